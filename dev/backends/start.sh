#!/usr/bin/env bash
# Starts the backup backends: restic REST server, MinIO (S3) with generated credentials and a bucket, and the
# Pushgateway. Idempotent: what already runs is reused. Returns when all answer.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/backends/common.sh"

mkdir -p "$BACKENDS_DIR/rest" "$BACKENDS_DIR/s3" "$BACKENDS_DIR/pushgateway" "$STACK_DIR/bin"
ln -sfn "$(restic_bin)" "$STACK_DIR/bin/restic"

# port_free_or_ours NAME PORT: fail early when someone else holds our port.
port_free_or_ours() {
  if ! is_running "$1" && port_open 127.0.0.1 "$2"; then die "port $2 is in use by another process (wanted for $1)"; fi
}

# --- restic REST server (no auth; repositories are plain folders under $BACKENDS_DIR/rest)
port_free_or_ours rest-server "$RESTIC_REST_PORT"
start_bg rest-server "$(rest_server_bin)" --path "$BACKENDS_DIR/rest" --listen "127.0.0.1:$RESTIC_REST_PORT" \
  --no-auth --prometheus --prometheus-no-auth
wait_for rest-server 30 http_ok "$REST_URL/metrics"

# --- MinIO: root credentials generated once into $S3_CREDENTIALS_FILE (0600), never printed
if [[ ! -s $S3_CREDENTIALS_FILE ]]; then
  ( umask 077
    key=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Z0-9' | head -c 20)
    secret=$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)
    printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$key" "$secret" > "$S3_CREDENTIALS_FILE.tmp"
    mv "$S3_CREDENTIALS_FILE.tmp" "$S3_CREDENTIALS_FILE" )
  log "generated S3 credentials in $S3_CREDENTIALS_FILE"
fi
# shellcheck disable=SC1090
source "$S3_CREDENTIALS_FILE"
port_free_or_ours minio "$MINIO_PORT"
MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
  start_bg minio "$(minio_bin)" server --quiet --anonymous --certs-dir "$BACKENDS_DIR/minio-certs" --address "127.0.0.1:$MINIO_PORT" \
  --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" "$BACKENDS_DIR/s3"
wait_for minio 60 http_ok "$S3_URL/minio/health/ready"

# Create the bucket through the S3 API (SigV4 by curl; the credentials go on stdin, not on the command line).
s3_curl() {
  printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
    curl -sS -K - --aws-sigv4 "aws:amz:us-east-1:s3" -o /dev/null -w '%{http_code}' --max-time 10 "$@"
}
code=$(s3_curl -I "$S3_URL/$S3_BUCKET")
if [[ $code == 404 ]]; then
  code=$(s3_curl -X PUT "$S3_URL/$S3_BUCKET")
  [[ $code == 200 ]] || die "creating bucket $S3_BUCKET failed: HTTP $code"
  log "created bucket $S3_BUCKET"
elif [[ $code != 200 ]]; then
  die "checking bucket $S3_BUCKET failed: HTTP $code"
fi

# --- Pushgateway (Debian's binary, our own process; persistence under $BACKENDS_DIR)
is_running pushgateway || stop_system_pushgateway
port_free_or_ours pushgateway "$PUSHGATEWAY_PORT"
start_bg pushgateway /usr/bin/prometheus-pushgateway --web.listen-address="127.0.0.1:$PUSHGATEWAY_PORT" \
  --persistence.file="$BACKENDS_DIR/pushgateway/metrics.data" --persistence.interval=30s --web.enable-admin-api
wait_for pushgateway 30 http_ok "$PUSHGATEWAY_URL/-/ready"

log "backends up: rest $REST_URL, s3 $S3_URL (bucket $S3_BUCKET), pushgateway $PUSHGATEWAY_URL, restic $RESTIC_VERSION"
