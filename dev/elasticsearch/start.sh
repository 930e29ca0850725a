#!/usr/bin/env bash
# Two single-node Elasticsearch 9.5.3 clusters (source :$ES_SOURCE_PORT, restore target :$ES_TARGET_PORT; no auth,
# plain HTTP) and one nginx in front of both with TLS + basic auth (:$ES_SECURE_PORT -> source,
# :$ES_TARGET_SECURE_PORT -> target). Idempotent; returns when all three are healthy.
# Data/config under $STACK_DIR/elasticsearch/<node>/; TLS (CA + server cert) under $STACK_DIR/elasticsearch/tls/;
# credentials generated at first start into $STACK_DIR/elasticsearch/credentials (ES_USERNAME=..., ES_PASSWORD=...).
source "$(dirname "$0")/../lib.sh"

source "$(dirname "$0")/env.sh"
: "${ES_HEAP:=768m}"                                     # per node
HOME_DIR=$ES_HOME_DIR BASE=$ES_BASE
[[ -f $HOME_DIR/.stamp ]] || bash "$(dirname "$0")/install.sh"
JAVA_HOME_ES=$(es_java_home) || die "no JDK >= 21 found: set ES_JAVA_HOME"
mkdir -p "$BASE"

# Elasticsearch wants vm.max_map_count >= 262144 for mmapped index files. Our launcher runs no production bootstrap
# checks, so a lower value only matters with many shards; raise it when this kernel lets us (root, not in a
# read-only /proc/sys), otherwise go on.
mmc=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
if (( mmc < 262144 )); then
  { echo 262144 > /proc/sys/vm/max_map_count; } 2>/dev/null && log "vm.max_map_count raised to 262144" \
    || log "vm.max_map_count is $mmc and cannot be raised here (fine for a dev node)"
fi

# node_config NAME HTTP_PORT TRANSPORT_PORT: write the node's config dir (rewritten each start; data is kept).
node_config() {
  local name=$1 http=$2 transport=$3 d=$BASE/$1
  mkdir -p "$d/config" "$d/data" "$d/logs" "$d/tmp" "$d/snapshots"
  cat > "$d/config/elasticsearch.yml" <<EOF
cluster.name: stashflow-$name
node.name: $name
path.data: $d/data
path.logs: $d/logs
path.repo: [ "$d/snapshots" ]
network.host: 127.0.0.1
http.port: $http
transport.port: $transport
discovery.type: single-node
# a dev machine's disk may be fuller than production watermarks allow; never turn indices read-only for that
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
EOF
  cat > "$d/config/log4j2.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.deprecation.name = org.elasticsearch.deprecation
logger.deprecation.level = error
EOF
}

start_node() {
  local name=$1 d=$BASE/$1
  start_bg "es-$name" "$JAVA_HOME_ES/bin/java" \
    "-Xms$ES_HEAP" "-Xmx$ES_HEAP" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
    --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -Dfile.encoding=UTF-8 -Djava.locale.providers=CLDR -Des.networkaddress.cache.ttl=60 \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false -Dlog4j2.formatMsgNoLookups=true \
    -Dorg.elasticsearch.nativeaccess.enableVectorLibrary=false \
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
    "-Des.path.home=$HOME_DIR" "-Djava.io.tmpdir=$d/tmp" -cp "$HOME_DIR/lib/*" dev.stashflow.es.EsLauncher "$HOME_DIR" "$d/config"
}

node_config source "$ES_SOURCE_PORT" "$ES_SOURCE_TRANSPORT_PORT"
node_config target "$ES_TARGET_PORT" "$ES_TARGET_TRANSPORT_PORT"
start_node source
start_node target

# --- TLS + basic auth (nginx), generated once ---
TLS=$BASE/tls
if [[ ! -f $TLS/server.crt ]]; then
  log "generating CA and server certificate in $TLS"
  mkdir -p "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=stashflow dev CA" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > "$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 3650 \
    -extfile "$TLS/server.ext" -out "$TLS/server.crt" 2>/dev/null
  chmod 600 "$TLS"/*.key
fi
CREDS=$BASE/credentials
if [[ ! -f $CREDS ]]; then
  umask 077
  printf 'ES_USERNAME=elastic\nES_PASSWORD=%s\n' "$(openssl rand -hex 16)" > "$CREDS"
  umask 022
  log "generated credentials in $CREDS"
fi
NGX=$BASE/nginx
mkdir -p "$NGX/logs" "$NGX/tmp"
# htpasswd (apr1) from the credentials file; the password goes through stdin, never argv
( source "$CREDS"; printf '%s:%s\n' "$ES_USERNAME" "$(printf '%s' "$ES_PASSWORD" | openssl passwd -apr1 -stdin)" ) > "$NGX/htpasswd.new"
# nginx workers run as nobody:nogroup (the master, as root, reads the TLS key); only they may read htpasswd
chgrp nogroup "$NGX/htpasswd.new"; chmod 640 "$NGX/htpasswd.new"; mv "$NGX/htpasswd.new" "$NGX/htpasswd"

server_block() { # PORT UPSTREAM_PORT
  cat <<EOF
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate     $TLS/server.crt;
    ssl_certificate_key $TLS/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    auth_basic "Elasticsearch";
    auth_basic_user_file $NGX/htpasswd;
    client_max_body_size 512m;
    location / {
      proxy_pass http://127.0.0.1:$2;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";   # the node has no security: do not forward credentials
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;   # upstream headers such as X-Elastic-Product pass through unchanged
    }
  }
EOF
}
cat > "$NGX/nginx.conf" <<EOF
# generated by dev/elasticsearch/start.sh
daemon off;
master_process on;
user nobody nogroup;
worker_processes 1;
pid $NGX/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  keepalive_timeout 65s;
$(server_block "$ES_SECURE_PORT" "$ES_SOURCE_PORT")
$(server_block "$ES_TARGET_SECURE_PORT" "$ES_TARGET_PORT")
}
EOF
/usr/sbin/nginx -t -q -e stderr -p "$NGX" -c "$NGX/nginx.conf" || die "nginx config test failed ($NGX/nginx.conf)"
start_bg es-nginx /usr/sbin/nginx -e stderr -p "$NGX" -c "$NGX/nginx.conf"

es_ready() { curl -fsS "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null; }
nginx_401() { [[ $(curl -sS -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.crt" "https://127.0.0.1:$1/") == 401 ]]; }
wait_for es-source 180 es_ready "$ES_SOURCE_PORT"
wait_for es-target 180 es_ready "$ES_TARGET_PORT"
wait_for es-nginx 30 nginx_401 "$ES_SECURE_PORT"
wait_for es-nginx 30 nginx_401 "$ES_TARGET_SECURE_PORT"
log "elasticsearch $ES_VERSION up: source :$ES_SOURCE_PORT, target :$ES_TARGET_PORT, TLS+auth :$ES_SECURE_PORT/:$ES_TARGET_SECURE_PORT"
