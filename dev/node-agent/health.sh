#!/usr/bin/env bash
# Healthy when the agent runs and its Node is Ready (as the node lifecycle controller sees it).
source "$(dirname "$0")/../lib.sh"
is_running node-agent || die "node-agent not running"
port_open 127.0.0.1 "$NODE_AGENT_PORT" || die "kubelet API port $NODE_AGENT_PORT not open"
kubectl=$STACK_DIR/bin/kubectl
[[ -x $kubectl ]] || die "$kubectl missing (linked by dev/kube/start.sh)"
ready=$("$kubectl" --kubeconfig "$STACK_DIR/kube/admin.kubeconfig" --request-timeout=5s get node stashflow-node \
  -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>&1) || die "node not found: $ready"
[[ $ready == True ]] || die "node stashflow-node Ready=$ready"
echo "node stashflow-node Ready, kubelet API https://127.0.0.1:$NODE_AGENT_PORT"
