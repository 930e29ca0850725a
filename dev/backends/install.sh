#!/usr/bin/env bash
# Builds restic, rest-server and MinIO from the pinned wrapper modules in this folder into $STASHFLOW_CACHE (skipped
# when the pinned binary is there), installs the Debian Pushgateway, and links restic as $STACK_DIR/bin/restic.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/backends/common.sh"

command -v go >/dev/null || die "go is not installed"

# go_build_tool NAME MODULE_DIR PACKAGE OUT: build PACKAGE of the wrapper module into OUT unless OUT exists.
go_build_tool() {
  local name=$1 mod=$2 pkg=$3 out=$4 t=$SECONDS
  [[ -x $out ]] && { log "$name present in $(dirname "$out")"; return 0; }
  log "building $name ($pkg)"
  mkdir -p "$(dirname "$out")"
  (cd "$DEV_DIR/backends/$mod" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  log "built $name in $((SECONDS - t))s"
}

go_build_tool restic restic github.com/restic/restic/cmd/restic "$(restic_bin)"
go_build_tool rest-server rest-server github.com/restic/rest-server/cmd/rest-server "$(rest_server_bin)"
go_build_tool minio minio github.com/minio/minio "$(minio_bin)"

if ! dpkg -s "$PUSHGATEWAY_DEB" >/dev/null 2>&1; then
  apt_install "$PUSHGATEWAY_DEB"
  stop_system_pushgateway
fi
command -v curl >/dev/null || apt_install curl ca-certificates

mkdir -p "$STACK_DIR/bin"
ln -sfn "$(restic_bin)" "$STACK_DIR/bin/restic"
