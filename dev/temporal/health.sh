#!/usr/bin/env bash
# Exit 0 and one line when the Temporal frontend, namespace `default`, our search attributes and the Web UI answer.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/temporal/common.sh"
[[ -x $TEMPORAL_BIN ]] || { echo "not installed ($TEMPORAL_BIN missing)"; exit 1; }
mapfile -t sa_flags < <(temporal_sa_flags)
exec "$TEMPORAL_BIN" health --address "$TEMPORAL_HOST:$TEMPORAL_PORT" --namespace default \
  --ui-url "http://$TEMPORAL_HOST:$TEMPORAL_UI_PORT/" "${sa_flags[@]}" 2>&1
