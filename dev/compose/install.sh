#!/usr/bin/env bash
# Fetches the Compose specification's JSON schema (what `docker compose` validates against) from the Go module
# proxy: it ships in github.com/compose-spec/compose-go/v2 (schema/compose-spec.json). No Docker engine here, so
# test/unit/compose.test.ts validates docker-compose.yml with ajv against this file.
# Prints the schema's path; reuses $STASHFLOW_CACHE/compose-spec-<version>/ when present.
source "$(dirname "$0")/../lib.sh"
COMPOSE_GO_VERSION=v2.16.2
out="$STASHFLOW_CACHE/compose-spec-$COMPOSE_GO_VERSION"
if [[ ! -f $out/compose-spec.json ]]; then
  log "downloading github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION (Go module proxy)"
  # outside any module (GOFLAGS=-mod=mod would touch a go.mod); the module cache is Go's, we copy two files out
  dir=$(cd / && GOFLAGS= go mod download -json "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -f $dir/schema/compose-spec.json ]] || die "compose-spec.json not found in the downloaded module"
  mkdir -p "$out.tmp"
  cp "$dir/schema/compose-spec.json" "$dir/LICENSE" "$out.tmp/"
  chmod u+w "$out.tmp"/*
  rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/compose-spec.json"
