#!/usr/bin/env bash
# Elasticsearch 9.5.3, assembled from the jars Elastic publishes on Maven Central (server + libraries, and the
# transport-netty4 module), started by our small launcher (launcher/); nginx (Debian) for TLS + basic auth in front.
# Result: $STASHFLOW_CACHE/elasticsearch-9.5.3/ laid out like a distribution:
#   lib/*.jar                       server classpath + es-launcher.jar
#   modules/transport-netty4/       the HTTP/transport module (own class loader) + plugin-descriptor.properties
#   modules/stashflow-root/         GET / (RootInfoPlugin, built with the launcher), as Central has no rest-root module
#   lib/platform/linux-x64/libzstd.so  -> Debian's libzstd (the native library Elasticsearch loads for zstd)
# Rebuilt when the pinned version or the launcher's sources change (a stamp holds their hash).
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/env.sh"
HOME_DIR=$ES_HOME_DIR

apt_install nginx openssl curl libzstd1
command -v mvn >/dev/null || apt_install maven
JAVA_HOME_ES=$(es_java_home) || die "no JDK >= 21 found (Elasticsearch $ES_VERSION needs one): set ES_JAVA_HOME"

stamp=$( (echo "$ES_VERSION"; cd "$HERE" && find launcher/pom.xml launcher/src netty4-module/pom.xml install.sh env.sh -type f | sort | xargs sha256sum) | sha256sum | cut -c1-16)
if [[ -f $HOME_DIR/.stamp && $(cat "$HOME_DIR/.stamp") == "$stamp" ]]; then
  log "elasticsearch $ES_VERSION present in $HOME_DIR"
  exit 0
fi

log "assembling elasticsearch $ES_VERSION from Maven Central into $HOME_DIR"
tmp=$(mktemp -d "$STASHFLOW_CACHE/.elasticsearch-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export JAVA_HOME=$JAVA_HOME_ES
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"   # quiet Maven's guava on Java 25
mvn_q() { mvn -B -q -Dstyle.color=never "-Des.version=$ES_VERSION" "$@" >>"$tmp/mvn.log" 2>&1 || { tail -n 40 "$tmp/mvn.log" >&2; die "mvn $* failed"; }; }

# the server's runtime classpath, and the launcher compiled against it
build=$tmp/launcher; cp -r "$HERE/launcher" "$build"
mvn_q -f "$build/pom.xml" package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/home/lib"
cp "$build/target/es-launcher.jar" "$tmp/home/lib/"

# transport-netty4 (HTTP + node transport) as a module, without the jars the server classpath already has
mvn_q -f "$HERE/netty4-module/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/netty4"
mkdir -p "$tmp/home/modules/transport-netty4" "$tmp/home/modules/stashflow-root" "$tmp/home/plugins"
cp "$build/target/es-launcher-root.jar" "$tmp/home/modules/stashflow-root/"
for j in "$tmp"/netty4/*.jar; do
  [[ -f $tmp/home/lib/$(basename "$j") ]] || cp "$j" "$tmp/home/modules/transport-netty4/"
done
# The descriptor the jar ships names a Java module; the server runs on the class path here, so load it as a
# class-path plugin (no modulename).
cat > "$tmp/home/modules/transport-netty4/plugin-descriptor.properties" <<EOF
description=Netty 4 based transport implementation
version=$ES_VERSION
name=transport-netty4
java.version=21
elasticsearch.version=$ES_VERSION
classname=org.elasticsearch.transport.netty4.Netty4Plugin
EOF
cat > "$tmp/home/modules/stashflow-root/plugin-descriptor.properties" <<EOF
description=GET / (node, cluster and version info), in place of the rest-root module that is not on Maven Central
version=$ES_VERSION
name=stashflow-root
java.version=21
elasticsearch.version=$ES_VERSION
classname=dev.stashflow.es.root.RootInfoPlugin
EOF
# Elasticsearch's native access (zstd; its own vector library is not on Central and stays disabled) loads from
# lib/platform/<os>-<arch>/ under es.path.home
mkdir -p "$tmp/home/lib/platform/linux-x64"
zstd_so=$(ls /usr/lib/x86_64-linux-gnu/libzstd.so.1 2>/dev/null || true)
[[ -n $zstd_so ]] && ln -s "$zstd_so" "$tmp/home/lib/platform/linux-x64/libzstd.so"
echo "$stamp" > "$tmp/home/.stamp"

rm -rf "$HOME_DIR"
mv "$tmp/home" "$HOME_DIR"
log "elasticsearch $ES_VERSION assembled: $(ls "$HOME_DIR"/lib/*.jar | wc -l) jars in lib/, modules: $(ls "$HOME_DIR/modules" | tr '\n' ' ')"
