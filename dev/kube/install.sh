#!/usr/bin/env bash
# Builds the pinned Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) from
# the wrapper module in this folder, and kine (etcd API over SQLite) from kine/, into $STASHFLOW_CACHE. Reused when
# present: the cache folder is keyed by the version and a hash of the committed go.sum.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/kube/versions.sh"

command -v go >/dev/null || die "go is not installed"
command -v gcc >/dev/null || apt_install gcc libc6-dev   # kine's SQLite driver needs cgo
apt_install openssl curl

build_kube() {
  local out; out=$(kube_bin_dir)
  local missing=() b
  for b in "${KUBE_BINARIES[@]}"; do [[ -x $out/$b ]] || missing+=("$b"); done
  (( ${#missing[@]} )) || { log "kube $KUBE_VERSION binaries present in $out"; return 0; }
  mkdir -p "$out.tmp"
  local pkg="k8s.io/component-base/version" cg="k8s.io/client-go/pkg/version" ldflags="-s -w" v
  for v in "$pkg" "$cg"; do
    ldflags+=" -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=$KUBE_MAJOR -X $v.gitMinor=$KUBE_MINOR -X $v.gitTreeState=clean"
  done
  for b in "${missing[@]}"; do
    local t=$SECONDS
    log "building $b $KUBE_VERSION (cold: many minutes on 2 cores)"
    (cd "$DEV_DIR/kube" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/$b" "k8s.io/kubernetes/cmd/$b")
    log "built $b in $((SECONDS - t))s"
  done
  mkdir -p "$out"
  for b in "${missing[@]}"; do mv "$out.tmp/$b" "$out/$b"; done
  rmdir "$out.tmp" 2>/dev/null || true
}

build_kine() {
  local out; out=$(kine_bin_dir)
  [[ -x $out/kine ]] && { log "kine $KINE_VERSION present in $out"; return 0; }
  local t=$SECONDS
  log "building kine $KINE_VERSION (cgo, SQLite)"
  mkdir -p "$out"
  (cd "$DEV_DIR/kube/kine" && CGO_ENABLED=1 go build -trimpath \
     -tags "sqlite_unlock_notify,sqlite_column_metadata" \
     -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$KINE_VERSION" \
     -o "$out/kine.tmp" github.com/k3s-io/kine)
  mv "$out/kine.tmp" "$out/kine"
  log "built kine in $((SECONDS - t))s"
}

build_kine
build_kube
