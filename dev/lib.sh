#!/usr/bin/env bash
# Shared conventions of the local stack. Sourced by dev/stack.sh and every dev/<component>/*.sh.
# - every server listens on 127.0.0.x; data, pids and logs live under $STACK_DIR (ignored by git)
# - built/downloaded artifacts live in $STASHFLOW_CACHE (outside the clone, so a fresh clone in CI reuses them),
#   under a folder named for the pinned version, and are reused when present
set -euo pipefail

DEV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DEV_DIR/.." && pwd)
: "${STACK_DIR:=$ROOT/.stack}"
: "${STASHFLOW_CACHE:=$HOME/.cache/stashflow}"
export STACK_DIR STASHFLOW_CACHE
mkdir -p "$STACK_DIR/logs" "$STACK_DIR/pids" "$STASHFLOW_CACHE"

# Addresses of the local stack (one place; dev/stack.sh writes them to $STACK_DIR/env for tests and the demo).
TEMPORAL_HOST=127.0.0.1; TEMPORAL_PORT=7233; TEMPORAL_UI_PORT=8233
KINE_PORT=2379
KUBE_APISERVER_PORT=6443; KUBE_CONTROLLER_MANAGER_PORT=10257; KUBE_SCHEDULER_PORT=10259
NODE_AGENT_PORT=10250
ES_SOURCE_HOST=127.0.0.1; ES_SOURCE_PORT=9200       # direct, no auth (benchmarks)
ES_TARGET_HOST=127.0.0.1; ES_TARGET_PORT=9201       # direct, no auth (restore target)
ES_SECURE_PORT=9243                                 # nginx: TLS + basic auth in front of the source node
ES_TARGET_SECURE_PORT=9244                          # nginx: TLS + basic auth in front of the target node
ES_SOURCE_TRANSPORT_PORT=9300; ES_TARGET_TRANSPORT_PORT=9301  # ES node-to-node transport (not for clients)
RESTIC_REST_PORT=8000
MINIO_PORT=9000; MINIO_CONSOLE_PORT=9001; S3_BUCKET=stashflow   # S3 credentials: $STACK_DIR/backends/s3-credentials
PUSHGATEWAY_PORT=9091
PROMETHEUS_PORT=9090                                # scrapes the Pushgateway and the product (dev/prometheus)
WATCHER_METRICS_ADDR=127.0.0.1:9464; WORKER_METRICS_ADDR=127.0.0.1:9465   # dev/product.sh's /metrics addresses
TEMPORAL_METRICS_ADDR=127.0.0.1:9466                # the Temporal server's own /metrics

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pidfile() { echo "$STACK_DIR/pids/$1.pid"; }
logfile() { echo "$STACK_DIR/logs/$1.log"; }

# is_running NAME: true when NAME's recorded pid is alive.
is_running() {
  local f pid; f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  # a killed process nobody has reaped yet (a zombie) is not running
  [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]
}

# start_bg NAME CMD...: start CMD detached (own session), log to logs/NAME.log, record its pid.
# A second call while NAME runs does nothing (idempotent start).
start_bg() {
  local name=$1; shift
  if is_running "$name"; then log "$name already running (pid $(cat "$(pidfile "$name")"))"; return 0; fi
  log "starting $name"
  setsid "$@" >>"$(logfile "$name")" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

# stop_pid NAME: TERM the recorded process group, then KILL after a grace period. Only our own pid.
stop_pid() {
  local name=$1 f pid i
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}

# wait_for NAME TIMEOUT_S CMD...: poll CMD until it succeeds; fail with the log's tail if NAME dies or time runs out.
wait_for() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then tail -n 30 "$(logfile "$name")" >&2 || true; die "$name exited during start"; fi
    if (( SECONDS >= deadline )); then tail -n 30 "$(logfile "$name")" >&2 || true; die "$name not ready after ${timeout}s"; fi
    sleep 0.5
  done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# apt_install PKG...: install Debian packages that are missing (update the index once per run).
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  (( ${#missing[@]} )) || return 0
  log "apt-get install ${missing[*]}"
  if [[ ! -f /tmp/.stashflow-apt-updated ]]; then apt-get update -qq && touch /tmp/.stashflow-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# go_cache_dir NAME VERSION: where a Go-built binary of this pin lives.
go_cache_dir() { echo "$STASHFLOW_CACHE/$1-$2"; }
