#!/usr/bin/env bash
# Starts Prometheus on 127.0.0.1:$PROMETHEUS_PORT with our config (prometheus.yml here): it scrapes the Pushgateway
# (honor_labels, so Stash's job/instance labels stay), the product's watcher and worker (dev/product.sh's fixed
# metrics ports) and any file_sd targets under $PROMETHEUS_TARGETS_DIR. Idempotent; returns when ready.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/prometheus/common.sh"

mkdir -p "$PROMETHEUS_DIR/data" "$PROMETHEUS_TARGETS_DIR"
sed -e "s|@PUSHGATEWAY@|127.0.0.1:$PUSHGATEWAY_PORT|g" -e "s|@WATCHER@|$WATCHER_METRICS_ADDR|g" \
  -e "s|@WORKER@|$WORKER_METRICS_ADDR|g" -e "s|@TEMPORAL@|$TEMPORAL_METRICS_ADDR|g" -e "s|@TARGETS_DIR@|$PROMETHEUS_TARGETS_DIR|g" \
  "$DEV_DIR/prometheus/prometheus.yml" > "$PROMETHEUS_DIR/prometheus.yml.tmp"
mv "$PROMETHEUS_DIR/prometheus.yml.tmp" "$PROMETHEUS_DIR/prometheus.yml"

is_running prometheus || stop_system_prometheus
if ! is_running prometheus && port_open 127.0.0.1 "$PROMETHEUS_PORT"; then
  die "port $PROMETHEUS_PORT is in use by another process (wanted for prometheus)"
fi
# --web.enable-lifecycle: POST /-/reload rereads the config without a restart
start_bg prometheus /usr/bin/prometheus --config.file="$PROMETHEUS_DIR/prometheus.yml" \
  --storage.tsdb.path="$PROMETHEUS_DIR/data" --storage.tsdb.retention.time=2d \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle --log.level=warn
wait_for prometheus 60 http_ok "$PROMETHEUS_URL/-/ready"
# an already running one picks up a changed config
curl -fs -o /dev/null --max-time 5 -X POST "$PROMETHEUS_URL/-/reload" || log "prometheus config reload failed"
log "prometheus up: $PROMETHEUS_URL"
