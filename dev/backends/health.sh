#!/usr/bin/env bash
# Healthy when restic runs from $STACK_DIR/bin and the REST server, MinIO and the Pushgateway answer.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/backends/common.sh"
v=$("$STACK_DIR/bin/restic" version 2>/dev/null | awk '{print $2}') || { echo "restic not runnable at $STACK_DIR/bin/restic"; exit 1; }
[[ -n $v ]] || { echo "restic not runnable at $STACK_DIR/bin/restic"; exit 1; }
http_ok "$REST_URL/metrics" || { echo "rest-server not answering at $REST_URL"; exit 1; }
http_ok "$S3_URL/minio/health/ready" || { echo "minio not answering at $S3_URL"; exit 1; }
http_ok "$PUSHGATEWAY_URL/-/ready" || { echo "pushgateway not answering at $PUSHGATEWAY_URL"; exit 1; }
echo "restic $v; rest-server $REST_URL; s3 $S3_URL bucket $S3_BUCKET; pushgateway $PUSHGATEWAY_URL"
