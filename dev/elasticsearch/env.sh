# Pins and paths shared by dev/elasticsearch/*.sh (sourced after ../lib.sh).
ES_VERSION=9.5.3                                          # org.elasticsearch:elasticsearch on Maven Central
ES_HOME_DIR=$STASHFLOW_CACHE/elasticsearch-$ES_VERSION     # the assembled node (see install.sh)
ES_BASE=$STACK_DIR/elasticsearch                          # per-node config/data, tls/, credentials, nginx/

# Elasticsearch 9.x needs Java 21+: ES_JAVA_HOME if set, else the machine's Temurin 25, else any JDK >= 21 here.
es_java_home() {
  local j v
  for j in ${ES_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [[ -x $j/bin/java ]] || continue
    v=$("$j/bin/java" -XshowSettings:properties -version 2>&1 | sed -nE 's/^ *java\.specification\.version = ([0-9]+).*/\1/p')
    if [[ -n $v ]] && (( v >= 21 )); then echo "$j"; return 0; fi
  done
  return 1
}
