#!/usr/bin/env bash
# Runs Stashflow itself on the local stack, as two processes like the two Deployments would be:
# `dev/product.sh start|stop|status` — the worker (workflows + activities) and the watcher (CRs → Temporal).
# Needs `npm run build` and a running stack (dev/stack.sh up). Logs: .stack/logs/{worker,watcher}.log.
source "$(dirname "$0")/lib.sh"
[[ -f $STACK_DIR/env ]] || die "no $STACK_DIR/env: run bash dev/stack.sh up first"
set -a; source "$STACK_DIR/env"; set +a
export LOG_LEVEL=${LOG_LEVEL:-info}

case ${1:-status} in
  start)
    [[ -f $ROOT/dist/worker/main.js ]] || die "dist/ is missing: run npm run build"
    # fixed /metrics addresses: the stack's Prometheus scrapes them (dev/prometheus/prometheus.yml)
    STASHFLOW_METRICS_ADDR=$WORKER_METRICS_ADDR start_bg worker node "$ROOT/dist/worker/main.js"
    STASHFLOW_METRICS_ADDR=$WATCHER_METRICS_ADDR start_bg watcher node "$ROOT/dist/watcher/main.js"
    sleep 2
    for p in worker watcher; do is_running "$p" || { tail -n 20 "$(logfile "$p")" >&2; die "$p exited"; }; done
    log "worker and watcher running (logs in $STACK_DIR/logs)" ;;
  stop) stop_pid watcher; stop_pid worker ;;
  status) for p in worker watcher; do is_running "$p" && echo "$p running" || echo "$p stopped"; done ;;
  *) die "usage: dev/product.sh start|stop|status" ;;
esac
