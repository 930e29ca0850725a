#!/usr/bin/env bash
# The local stack: `dev/stack.sh up|down|status|install [component...]`.
# Each component dir has install.sh (idempotent fetch/build into the cache), start.sh (idempotent; returns when
# healthy), stop.sh, health.sh (exit 0 when healthy, prints one line). Order matters: later ones use earlier ones.
source "$(dirname "$0")/lib.sh"

ALL=(temporal kube node-agent elasticsearch backends prometheus)
cmd=${1:-status}; shift || true
comps=("$@"); (( ${#comps[@]} )) || comps=("${ALL[@]}")

write_env() {
  cat > "$STACK_DIR/env" <<ENV
export TEMPORAL_ADDRESS=$TEMPORAL_HOST:$TEMPORAL_PORT
export TEMPORAL_NAMESPACE=default
export TEMPORAL_UI_URL=http://$TEMPORAL_HOST:$TEMPORAL_UI_PORT
export TEMPORAL_METRICS_URL=http://$TEMPORAL_METRICS_ADDR/metrics
export KUBECONFIG=$STACK_DIR/kube/admin.kubeconfig
export KUBE_CA_FILE=$STACK_DIR/kube/ca.crt
export NODE_AGENT_KUBECONFIG=$STACK_DIR/kube/node-agent.kubeconfig
export ES_SOURCE_URL=http://$ES_SOURCE_HOST:$ES_SOURCE_PORT
export ES_TARGET_URL=http://$ES_TARGET_HOST:$ES_TARGET_PORT
export ES_SECURE_URL=https://127.0.0.1:$ES_SECURE_PORT
export ES_SECURE_CA=$STACK_DIR/elasticsearch/tls/ca.crt
export ES_TARGET_SECURE_URL=https://127.0.0.1:$ES_TARGET_SECURE_PORT
export ES_CREDENTIALS_FILE=$STACK_DIR/elasticsearch/credentials
export RESTIC_REST_URL=http://127.0.0.1:$RESTIC_REST_PORT
export S3_ENDPOINT=http://127.0.0.1:$MINIO_PORT
export S3_BUCKET=$S3_BUCKET
export S3_CREDENTIALS_FILE=$STACK_DIR/backends/s3-credentials
export PUSHGATEWAY_URL=http://127.0.0.1:$PUSHGATEWAY_PORT
export PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
export PROMETHEUS_TARGETS_DIR=$STACK_DIR/prometheus/targets
export PATH=$STACK_DIR/bin:\$PATH
ENV
}

case $cmd in
  install)
    for c in "${comps[@]}"; do t=$SECONDS; bash "$DEV_DIR/$c/install.sh"; log "$c installed in $((SECONDS - t))s"; done ;;
  up)
    write_env
    for c in "${comps[@]}"; do
      t=$SECONDS
      bash "$DEV_DIR/$c/install.sh"
      bash "$DEV_DIR/$c/start.sh"
      log "$c up in $((SECONDS - t))s"
    done
    log "stack up; source $STACK_DIR/env" ;;
  down)
    for (( i=${#comps[@]}-1; i>=0; i-- )); do bash "$DEV_DIR/${comps[i]}/stop.sh"; done ;;
  status)
    rc=0
    for c in "${comps[@]}"; do
      if out=$(bash "$DEV_DIR/$c/health.sh" 2>&1); then printf '%-14s ok    %s\n' "$c" "$out"
      else printf '%-14s DOWN  %s\n' "$c" "$out"; rc=1; fi
    done
    exit $rc ;;
  *) die "usage: dev/stack.sh up|down|status|install [${ALL[*]}]" ;;
esac
