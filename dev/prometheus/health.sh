#!/usr/bin/env bash
# Healthy when Prometheus answers /-/ready.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/prometheus/common.sh"
v=$(/usr/bin/prometheus --version 2>&1 | awk 'NR==1{print $3}') || true
http_ok "$PROMETHEUS_URL/-/ready" || { echo "prometheus not answering at $PROMETHEUS_URL"; exit 1; }
echo "prometheus ${v:-?} $PROMETHEUS_URL"
