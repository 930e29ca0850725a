#!/usr/bin/env bash
# Stops the backends this stack started (by recorded pid only). Data stays under $STACK_DIR/backends.
source "$(dirname "$0")/../lib.sh"
for name in pushgateway minio rest-server; do stop_pid "$name"; done
