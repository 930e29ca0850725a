#!/usr/bin/env bash
# Healthy when the apiserver answers /readyz with the admin kubeconfig and the other processes run.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/kube/versions.sh"
for p in kine kube-apiserver kube-controller-manager kube-scheduler; do is_running "$p" || die "$p not running"; done
out=$("$(kube_bin_dir)/kubectl" --kubeconfig "$STACK_DIR/kube/admin.kubeconfig" --request-timeout=5s get --raw /readyz 2>&1) \
  || die "apiserver not ready: $out"
echo "apiserver https://127.0.0.1:$KUBE_APISERVER_PORT readyz=$out ($KUBE_VERSION, kine $KINE_VERSION)"
