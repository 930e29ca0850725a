#!/usr/bin/env bash
# Installs Debian's Prometheus (the package's own service is kept stopped: we run our own process).
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/prometheus/common.sh"
if ! dpkg -s "$PROMETHEUS_DEB" >/dev/null 2>&1; then
  apt_install "$PROMETHEUS_DEB"
  stop_system_prometheus
fi
command -v curl >/dev/null || apt_install curl ca-certificates
