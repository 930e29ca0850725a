#!/usr/bin/env bash
# Stops the control plane (by recorded pids), storage last. Data stays in $STACK_DIR/kube.
source "$(dirname "$0")/../lib.sh"
for p in kube-scheduler kube-controller-manager kube-apiserver kine; do stop_pid "$p"; done
