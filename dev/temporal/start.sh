#!/usr/bin/env bash
# Starts the Temporal dev server (frontend gRPC $TEMPORAL_HOST:$TEMPORAL_PORT, Web UI :$TEMPORAL_UI_PORT) on the
# SQLite file $STACK_DIR/temporal/temporal.db, so workflows survive a restart. Idempotent: a running server started
# with the same binary and flags is reused; one started with another binary or search-attribute list is restarted.
# Returns when healthy (frontend serving, namespace `default` known, our search attributes registered, UI answering).
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/temporal/common.sh"

[[ -x $TEMPORAL_BIN ]] || bash "$DEV_DIR/temporal/install.sh"
mapfile -t sa_flags < <(temporal_sa_flags)
mkdir -p "$TEMPORAL_DATA"
cmd=("$TEMPORAL_BIN" serve
  --db "$TEMPORAL_DATA/temporal.db"
  --ip "$TEMPORAL_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT"
  --log-level "${TEMPORAL_LOG_LEVEL:-warn}"
  --retention "${TEMPORAL_RETENTION:-72h}"
  "${sa_flags[@]}")
health_cmd=("$TEMPORAL_BIN" health --address "$TEMPORAL_HOST:$TEMPORAL_PORT" --namespace default
  --ui-url "http://$TEMPORAL_HOST:$TEMPORAL_UI_PORT/" "${sa_flags[@]}")

# what the running server was started with
started_with=$TEMPORAL_DATA/started-with
if is_running temporal && [[ "$(cat "$started_with" 2>/dev/null)" != "${cmd[*]}" ]]; then
  log "temporal: running with another binary or flags; restarting"
  stop_pid temporal
fi
if ! is_running temporal; then
  for p in "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT"; do
    port_open "$TEMPORAL_HOST" "$p" && die "temporal: $TEMPORAL_HOST:$p is already in use by a process we did not start"
  done
  printf '%s' "${cmd[*]}" > "$started_with"
fi
t=$SECONDS
start_bg temporal "${cmd[@]}"
wait_for temporal 180 "${health_cmd[@]}"
log "temporal healthy after $((SECONDS - t))s: $("${health_cmd[@]}")"
