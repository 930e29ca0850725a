# Pins of the kube component (sourced by its scripts). Keep in step with go.mod / kine/go.mod.
KUBE_VERSION=v1.35.4; KUBE_MAJOR=1; KUBE_MINOR=35
KINE_VERSION=v0.17.5
KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
KUBE_SERVICE_CIDR=10.96.0.0/16
KUBE_SERVICE_IP=10.96.0.1            # first IP of the service CIDR (the kubernetes Service)
KUBE_NODE_NAME=stashflow-node         # the node agent's Node name (its client cert is CN=system:node:<this>)

_sum12() { sha256sum "$1" | cut -c1-12; }
kube_bin_dir() { echo "$STASHFLOW_CACHE/kube-$KUBE_VERSION-$(_sum12 "$DEV_DIR/kube/go.sum")"; }
kine_bin_dir() { echo "$STASHFLOW_CACHE/kine-$KINE_VERSION-$(_sum12 "$DEV_DIR/kube/kine/go.sum")"; }
