# Shared by the prometheus scripts (after lib.sh): paths and helpers.
PROMETHEUS_DEB=prometheus
PROMETHEUS_DIR=$STACK_DIR/prometheus
PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
# Extra scrape targets (file_sd): tests and other tools drop <name>.json files here; Prometheus rereads them.
PROMETHEUS_TARGETS_DIR=$PROMETHEUS_DIR/targets

http_ok() { curl -fs -o /dev/null --max-time 3 "$1"; }

# The Debian package ships a service on our port. policy-rc.d usually keeps apt from starting it; if one runs,
# stop it through the init system, else through the package's own pidfile — never by process name.
stop_system_prometheus() {
  local pf=/run/prometheus/prometheus.pid
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    log "stopping the system prometheus service (it would hold port $PROMETHEUS_PORT)"
    systemctl stop prometheus || true
    systemctl disable prometheus >/dev/null 2>&1 || true
  elif [[ -f $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then
    log "stopping the system prometheus (pidfile $pf)"
    if command -v service >/dev/null; then service prometheus stop || true; fi
    if [[ -f $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then kill -TERM "$(cat "$pf")" || true; fi
  fi
}
