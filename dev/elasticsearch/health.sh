#!/usr/bin/env bash
# Healthy when both nodes report green/yellow and nginx answers 401 without credentials on both TLS ports.
source "$(dirname "$0")/../lib.sh"
CA=$STACK_DIR/elasticsearch/tls/ca.crt
status() { curl -fsS --max-time 3 "http://127.0.0.1:$1/_cluster/health?filter_path=status" | sed -E 's/.*"status":"([a-z]+)".*/\1/'; }
code() { curl -sS -o /dev/null --max-time 3 -w '%{http_code}' --cacert "$CA" "https://127.0.0.1:$1/" 2>/dev/null || true; }
src=$(status "$ES_SOURCE_PORT" 2>/dev/null || echo down)
tgt=$(status "$ES_TARGET_PORT" 2>/dev/null || echo down)
sec=$(code "$ES_SECURE_PORT"); tsec=$(code "$ES_TARGET_SECURE_PORT")
line="source :$ES_SOURCE_PORT $src, target :$ES_TARGET_PORT $tgt, nginx :$ES_SECURE_PORT $sec :$ES_TARGET_SECURE_PORT $tsec (401 expected)"
[[ $src =~ ^(green|yellow)$ && $tgt =~ ^(green|yellow)$ && $sec == 401 && $tsec == 401 ]] || { echo "$line"; exit 1; }
echo "$line"
