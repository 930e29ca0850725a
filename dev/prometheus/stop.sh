#!/usr/bin/env bash
# Stops the Prometheus this stack started (by recorded pid only). Its data stays under $STACK_DIR/prometheus.
source "$(dirname "$0")/../lib.sh"
stop_pid prometheus
