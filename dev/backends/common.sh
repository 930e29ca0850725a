# Shared by the backends scripts (after lib.sh): pins, paths, helpers.
source "$DEV_DIR/backends/versions.sh"

restic_bin()      { echo "$(go_cache_dir restic "$RESTIC_VERSION")/restic"; }
rest_server_bin() { echo "$(go_cache_dir rest-server "$REST_SERVER_VERSION")/rest-server"; }
minio_bin()       { echo "$(go_cache_dir minio "$MINIO_VERSION")/minio"; }

BACKENDS_DIR=$STACK_DIR/backends
S3_CREDENTIALS_FILE=$BACKENDS_DIR/s3-credentials
REST_URL=http://127.0.0.1:$RESTIC_REST_PORT
S3_URL=http://127.0.0.1:$MINIO_PORT
PUSHGATEWAY_URL=http://127.0.0.1:$PUSHGATEWAY_PORT

http_ok() { curl -fs -o /dev/null --max-time 3 "$1"; }

# The Debian package ships a service on our port. policy-rc.d usually keeps apt from starting it; if one runs,
# stop it through the init system, else through the package's own pidfile — never by process name.
stop_system_pushgateway() {
  local pf=/run/prometheus/prometheus-pushgateway.pid
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus-pushgateway 2>/dev/null; then
    log "stopping the system prometheus-pushgateway service (it would hold port $PUSHGATEWAY_PORT)"
    systemctl stop prometheus-pushgateway || true
    systemctl disable prometheus-pushgateway >/dev/null 2>&1 || true
  elif [[ -f $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then
    log "stopping the system prometheus-pushgateway (pidfile $pf)"
    if command -v service >/dev/null; then service prometheus-pushgateway stop || true; fi
    if [[ -f $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then kill -TERM "$(cat "$pf")" || true; fi
  fi
}
