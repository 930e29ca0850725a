#!/usr/bin/env bash
# Starts the node agent (kubelet + container runtime stand-in) against the local control plane and waits until
# its Node is Ready. Needs root: containers run in private mount namespaces with bind-mounted volumes, and the
# agent keeps a managed block of Service names in /etc/hosts.
source "$(dirname "$0")/../lib.sh"
[[ $(id -u) == 0 ]] || die "the node agent must run as root (mount namespaces, /etc/hosts)"
bash "$DEV_DIR/kube/health.sh" >/dev/null || die "kube is not healthy: start it first (dev/stack.sh up kube)"
for f in node-agent.kubeconfig node-agent-serving.crt node-agent-serving.key ca.crt admin.kubeconfig; do
  [[ -s $STACK_DIR/kube/$f ]] || die "$STACK_DIR/kube/$f missing (made by dev/kube/start.sh)"
done
mkdir -p "$STACK_DIR/node-agent" "$STACK_DIR/bin"
cd "$ROOT"
STACK_DIR=$STACK_DIR NODE_AGENT_PORT=$NODE_AGENT_PORT KUBE_APISERVER_PORT=$KUBE_APISERVER_PORT \
  start_bg node-agent node --import tsx "$DEV_DIR/node-agent/main.ts"
wait_for node-agent 90 bash "$DEV_DIR/node-agent/health.sh"
log "node-agent ready: node stashflow-node, kubelet API https://127.0.0.1:$NODE_AGENT_PORT"
