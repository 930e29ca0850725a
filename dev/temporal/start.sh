#!/usr/bin/env bash
# Starts the Temporal dev server (frontend gRPC $TEMPORAL_HOST:$TEMPORAL_PORT, Web UI :$TEMPORAL_UI_PORT) on the
# SQLite file $STACK_DIR/temporal/temporal.db, so workflows survive a restart. Idempotent: a running server started
# with the same binary and flags is reused; one started with another binary or search-attribute list is restarted.
# Returns when healthy (frontend serving, namespace `default` known, our search attributes registered, UI answering).
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/temporal/common.sh"

[[ -x $TEMPORAL_BIN ]] || bash "$DEV_DIR/temporal/install.sh"
mapfile -t sa_flags < <(temporal_sa_flags)
# SQLite in WAL mode with synchronous=normal: a commit appends to the WAL without an fsync (the WAL is synced at
# checkpoints), so the single writer connection is not held by an fsync per persistence write. Durable against a
# killed server (kill -9, what the chaos tests do); an OS crash or power loss may lose the last commits. See README.
persistence_flags=(--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal --sqlite-pragma busy_timeout=5000)
# New Schedules are CHASM (V2) schedules: a firing is a timer task in the history service that calls
# StartWorkflowExecution itself, without a scheduler workflow's workflow task on the server's worker (README: action
# lag p50 341 → 119–264 ms, our workflow started 329 → ~65 ms after the slot). Sentinels and routing first, as the
# flags' docs require; V1 Schedules already in the database keep running (routing falls back to them). The V1
# scheduler workflows' worker keeps its 8 pollers.
scheduler_flags=(--dynamic-config-value 'worker.perNamespaceWorkerOptions={"MaxConcurrentWorkflowTaskPollers":8}'
  --dynamic-config-value history.enableCHASMSchedulerSentinels=true
  --dynamic-config-value history.enableCHASMSchedulerRouting=true
  --dynamic-config-value history.enableCHASMSchedulerCreation=true)
# One matching node: one partition per task queue, so a task finds the queue's waiting polls instead of landing on one
# of 4 partitions without a poll and being written to the task table and read back (README: 124 → 69 task writes).
matching_flags=(--dynamic-config-value matching.numTaskqueueReadPartitions=1
  --dynamic-config-value matching.numTaskqueueWritePartitions=1)
# Each history queue reads new tasks at most MaxPollRPS (default 20) times a second per shard. A cluster has hundreds
# of shards; this server has one, so 20 reads/s was the whole server's: raised (README: transfer-queue task latency
# mean 54 → 31 ms in a fire run).
queue_flags=(--dynamic-config-value history.transferProcessorMaxPollRPS=200
  --dynamic-config-value history.timerProcessorMaxPollRPS=200
  --dynamic-config-value history.outboundProcessorMaxPollRPS=200
  --dynamic-config-value history.visibilityProcessorMaxPollRPS=200)
mkdir -p "$TEMPORAL_DATA"
cmd=("$TEMPORAL_BIN" serve
  --db "$TEMPORAL_DATA/temporal.db"
  --ip "$TEMPORAL_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" --metrics-address "$TEMPORAL_METRICS_ADDR"
  --log-level "${TEMPORAL_LOG_LEVEL:-warn}"
  --retention "${TEMPORAL_RETENTION:-72h}"
  "${persistence_flags[@]}"
  "${scheduler_flags[@]}"
  "${matching_flags[@]}"
  "${queue_flags[@]}"
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
  port_open "${TEMPORAL_METRICS_ADDR%:*}" "${TEMPORAL_METRICS_ADDR##*:}" &&
    die "temporal: $TEMPORAL_METRICS_ADDR (metrics) is already in use by a process we did not start"
  printf '%s' "${cmd[*]}" > "$started_with"
fi
t=$SECONDS
start_bg temporal "${cmd[@]}"
wait_for temporal 180 "${health_cmd[@]}"
log "temporal healthy after $((SECONDS - t))s: $("${health_cmd[@]}")"
