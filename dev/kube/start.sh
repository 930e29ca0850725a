#!/usr/bin/env bash
# Starts kine (SQLite) + kube-apiserver + kube-controller-manager + kube-scheduler on 127.0.0.1. Idempotent: running
# processes are reused. Returns when the apiserver is ready and the default namespace and ServiceAccount exist.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/kube/versions.sh"

BIN=$(kube_bin_dir); KINE_BIN=$(kine_bin_dir)/kine
for b in "${KUBE_BINARIES[@]}"; do [[ -x $BIN/$b ]] || die "$BIN/$b missing: run dev/kube/install.sh"; done
[[ -x $KINE_BIN ]] || die "$KINE_BIN missing: run dev/kube/install.sh"

KUBE_DIR=$STACK_DIR/kube; PKI=$KUBE_DIR/pki
mkdir -p "$KUBE_DIR/kine" "$STACK_DIR/bin"
source "$DEV_DIR/kube/pki.sh"
ensure_pki
ln -sf "$BIN/kubectl" "$STACK_DIR/bin/kubectl"
KUBECTL=("$BIN/kubectl" --kubeconfig "$KUBE_DIR/admin.kubeconfig" --request-timeout=5s)

# --- storage: kine speaks the etcd v3 API over a SQLite file ---
start_bg kine "$KINE_BIN" \
  --endpoint "sqlite://$KUBE_DIR/kine/state.db?_journal=WAL&cache=shared&_busy_timeout=30000&_txlock=immediate" \
  --listen-address "127.0.0.1:$KINE_PORT" \
  --metrics-bind-address 0
wait_for kine 60 port_open 127.0.0.1 "$KINE_PORT"

# --- kube-apiserver ---
# Kubelet connections (logs/exec/port-forward to the node agent on 127.0.0.1:$NODE_AGENT_PORT) use the kubelet client
# cert, and verify the node agent's serving cert ($KUBE_DIR/node-agent-serving.crt) against the cluster CA.
# KUBE_VERIFY_NODE_AGENT=0 turns that check off (for a node agent with a self-signed cert).
kubelet_ca=(--kubelet-certificate-authority="$PKI/ca.crt")
[[ ${KUBE_VERIFY_NODE_AGENT:-1} == 0 ]] && kubelet_ca=()
# The 'kubernetes' Service keeps no endpoints: an Endpoints address may not be loopback, and 127.0.0.1 is the only one
# this apiserver has (the lease reconciler would fail every 10s). In-cluster clients use 127.0.0.1:$KUBE_APISERVER_PORT.
start_bg kube-apiserver "$BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port="$KUBE_APISERVER_PORT" --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none \
  --etcd-servers="http://127.0.0.1:$KINE_PORT" \
  --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  "${kubelet_ca[@]}" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --profiling=false
wait_for kube-apiserver 120 "${KUBECTL[@]}" get --raw /readyz

# --- kube-controller-manager (all default controllers) and kube-scheduler ---
start_bg kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$KUBE_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$KUBE_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$KUBE_DIR/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KUBE_CONTROLLER_MANAGER_PORT" \
  --leader-elect=false \
  --controllers='*' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
  --cluster-name=stashflow \
  --profiling=false
start_bg kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$KUBE_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig="$KUBE_DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig="$KUBE_DIR/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KUBE_SCHEDULER_PORT" \
  --leader-elect=false \
  --profiling=false

# controller-manager proof of life: the serviceaccount controller creates the default ServiceAccount
wait_for kube-controller-manager 120 "${KUBECTL[@]}" get namespace default
wait_for kube-controller-manager 120 "${KUBECTL[@]}" -n default get serviceaccount default
wait_for kube-scheduler 60 curl -ksf "https://127.0.0.1:$KUBE_SCHEDULER_PORT/healthz"
log "kube ready: https://127.0.0.1:$KUBE_APISERVER_PORT (KUBECONFIG=$KUBE_DIR/admin.kubeconfig)"
