# Sourced by dev/temporal/*.sh after dev/lib.sh: where the pinned binary lives and the flags from our files.
TEMPORAL_SERVER_VERSION=v1.31.2   # go.temporal.io/server; Web UI: github.com/temporalio/ui-server/v2 v2.50.1 (see go.mod)
TEMPORAL_SRC=$DEV_DIR/temporal
# The cache key covers every input of the build, so a changed pin or program rebuilds and an unchanged one is reused.
TEMPORAL_BUILD_KEY=$(cat "$TEMPORAL_SRC/go.mod" "$TEMPORAL_SRC/go.sum" "$TEMPORAL_SRC/main.go" | sha256sum | cut -c1-12)
TEMPORAL_BIN=$(go_cache_dir temporal "$TEMPORAL_SERVER_VERSION-$TEMPORAL_BUILD_KEY")/stashflow-temporal
TEMPORAL_DATA=$STACK_DIR/temporal

# --search-attribute flags from search-attributes.txt (comments and blank lines skipped)
temporal_sa_flags() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%%#*}; line=${line//[[:space:]]/}
    [[ -n $line ]] && printf -- '--search-attribute\n%s\n' "$line"
  done < "$TEMPORAL_SRC/search-attributes.txt"
}
