#!/usr/bin/env bash
# Builds our Temporal dev server (dev/temporal/main.go: go.temporal.io/server + the Web UI, pinned in go.mod/go.sum)
# into $STASHFLOW_CACHE/temporal-<server version>-<hash of the sources>/; skips when that binary exists.
source "$(dirname "$0")/../lib.sh"
source "$DEV_DIR/temporal/common.sh"

if [[ -x $TEMPORAL_BIN ]]; then log "temporal: $TEMPORAL_BIN present"; exit 0; fi
command -v go >/dev/null || die "go is not installed (need Go >= 1.26.4)"
log "temporal: building $TEMPORAL_BIN (cold: several minutes)"
t=$SECONDS
mkdir -p "$(dirname "$TEMPORAL_BIN")"
( cd "$TEMPORAL_SRC" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$TEMPORAL_BIN.tmp" . )
mv "$TEMPORAL_BIN.tmp" "$TEMPORAL_BIN"
log "temporal: built in $((SECONDS - t))s"
