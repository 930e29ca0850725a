# PKI of the local control plane (sourced by start.sh). Generated once with openssl into $KUBE_DIR; reused after.
# Layout ($STACK_DIR/kube/):
#   ca.crt                           cluster CA (clients and the node agent trust it; also signs CSRs via the
#                                    controller-manager); its key stays in pki/ca.key
#   admin.kubeconfig                 kubernetes-admin, O=system:masters  (exported as KUBECONFIG by dev/stack.sh)
#   node-agent.{crt,key}             CN=system:node:stashflow-node, O=system:nodes (the node agent's client identity)
#   node-agent.kubeconfig            the same identity as a kubeconfig
#   node-agent-serving.{crt,key}     serving cert for the node agent's HTTPS port (SAN 127.0.0.1, localhost, node name)
#   controller-manager.kubeconfig, scheduler.kubeconfig
#   pki/                             apiserver serving cert, kubelet client cert, front-proxy CA/client, SA key pair

# gen_key FILE: an EC P-256 private key (fast to make; accepted everywhere in the control plane).
gen_key() { [[ -s $1 ]] || { (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); }; }

# gen_ca NAME CN: a self-signed CA pki/NAME.{crt,key}.
gen_ca() {
  local name=$1 cn=$2
  [[ -s $PKI/$name.crt ]] && return 0
  gen_key "$PKI/$name.key"
  openssl req -x509 -new -key "$PKI/$name.key" -sha256 -days 3650 -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$name.crt" 2>/dev/null
}

# gen_cert CA OUT SUBJ USAGE [SAN]: a leaf cert OUT.{crt,key} signed by pki/CA; USAGE is clientAuth and/or serverAuth.
gen_cert() {
  local ca=$1 out=$2 subj=$3 usage=$4 san=${5:-}
  [[ -s $out.crt && -s $out.key ]] && return 0
  gen_key "$out.key"
  local ext; ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } > "$ext"
  openssl req -new -key "$out.key" -subj "$subj" -out "$out.csr" 2>/dev/null
  openssl x509 -req -in "$out.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -sha256 -days 3650 -extfile "$ext" -out "$out.crt" 2>/dev/null
  rm -f "$out.csr" "$ext"
}

# write_kubeconfig FILE USER CERT KEY: a kubeconfig for the local apiserver with embedded credentials.
write_kubeconfig() {
  local file=$1 user=$2 crt=$3 key=$4
  [[ -s $file ]] && return 0
  (umask 077; cat > "$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: stashflow
  cluster:
    server: https://127.0.0.1:$KUBE_APISERVER_PORT
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$crt")
    client-key-data: $(base64 -w0 < "$key")
contexts:
- name: $user@stashflow
  context: {cluster: stashflow, user: $user, namespace: default}
current-context: $user@stashflow
KC
  )
}

ensure_pki() {
  mkdir -p "$PKI"
  gen_ca ca stashflow-kube-ca
  gen_ca front-proxy-ca stashflow-front-proxy-ca
  cp "$PKI/ca.crt" "$KUBE_DIR/ca.crt"
  gen_cert ca "$PKI/apiserver" "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$KUBE_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  gen_cert ca "$PKI/apiserver-kubelet-client" "/CN=kube-apiserver-kubelet-client" clientAuth
  gen_cert front-proxy-ca "$PKI/front-proxy-client" "/CN=front-proxy-client" clientAuth
  gen_cert ca "$PKI/admin" "/O=system:masters/CN=kubernetes-admin" clientAuth
  gen_cert ca "$PKI/controller-manager" "/CN=system:kube-controller-manager" clientAuth
  gen_cert ca "$PKI/scheduler" "/CN=system:kube-scheduler" clientAuth
  gen_cert ca "$KUBE_DIR/node-agent" "/O=system:nodes/CN=system:node:$KUBE_NODE_NAME" clientAuth
  gen_cert ca "$KUBE_DIR/node-agent-serving" "/CN=$KUBE_NODE_NAME" serverAuth \
    "IP:127.0.0.1,DNS:localhost,DNS:$KUBE_NODE_NAME"
  # service-account token signing key pair (RS256)
  if [[ ! -s $PKI/sa.key ]]; then
    (umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null)
    openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  write_kubeconfig "$KUBE_DIR/admin.kubeconfig" kubernetes-admin "$PKI/admin.crt" "$PKI/admin.key"
  write_kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" system:kube-controller-manager \
    "$PKI/controller-manager.crt" "$PKI/controller-manager.key"
  write_kubeconfig "$KUBE_DIR/scheduler.kubeconfig" system:kube-scheduler "$PKI/scheduler.crt" "$PKI/scheduler.key"
  write_kubeconfig "$KUBE_DIR/node-agent.kubeconfig" "system:node:$KUBE_NODE_NAME" \
    "$KUBE_DIR/node-agent.crt" "$KUBE_DIR/node-agent.key"
}
