#!/usr/bin/env bash
# README's main command (`npm run demo`): installs what is missing, starts the local stack and Stashflow's worker
# and watcher, then backs up an Elasticsearch index and restores it into a second one, verified.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then npm ci --no-audit --no-fund; fi
npm run build
bash dev/stack.sh up
bash dev/product.sh start
set -a; source .stack/env; set +a
node dist/dev/demo/run.js
