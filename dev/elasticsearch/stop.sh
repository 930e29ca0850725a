#!/usr/bin/env bash
# Stop nginx and both Elasticsearch nodes (by recorded pid only). Data under $STACK_DIR/elasticsearch/ is kept.
source "$(dirname "$0")/../lib.sh"
stop_pid es-nginx
stop_pid es-target
stop_pid es-source
