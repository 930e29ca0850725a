#!/usr/bin/env bash
# The node agent is TypeScript run from the repository: nothing to build. Checks its runtime needs.
source "$(dirname "$0")/../lib.sh"
[[ -d $ROOT/node_modules/@kubernetes/client-node && -d $ROOT/node_modules/tsx ]] \
  || die "node_modules missing: run 'npm ci' in $ROOT"
v=$(node -p "require('$ROOT/node_modules/@kubernetes/client-node/package.json').version")
[[ $v == 1.4.0 ]] || die "@kubernetes/client-node is $v, the node agent needs 1.4.0"
apt_install util-linux mount   # unshare (private mount namespaces) and mount --bind
log "node-agent: nothing to build (runs dev/node-agent/main.ts with node --import tsx)"
