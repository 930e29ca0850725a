#!/usr/bin/env bash
# README's test command (`npm test`): installs what is missing, builds, starts the local stack (idempotent),
# then runs every unit and integration test with node's built-in runner against the real servers.
# `npm test -- unit` runs only the unit tests (no stack needed).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
rm -rf dist && npm run build

suites=("${@:-unit integration chaos}")
read -r -a suites <<< "${suites[*]}"
need_stack=0
for s in "${suites[@]}"; do [[ $s == unit ]] || need_stack=1; done
if (( need_stack )); then
  bash dev/stack.sh up
  bash dev/browser.sh   # headless Chromium for the Temporal UI test (apt, once)
  # the demo's watcher would start the tests' sessions on its own task queue: the tests run their own
  bash dev/product.sh stop
  set -a; source .stack/env; set +a
fi

files=()
for s in "${suites[@]}"; do
  for f in dist/test/"$s"/*.test.js; do [[ -e $f ]] && files+=("$f"); done
done
(( ${#files[@]} )) || { echo "no test files for: ${suites[*]}" >&2; exit 1; }

echo "setup took $((SECONDS - t0))s; running ${#files[@]} test files" >&2
# One file at a time: integration tests share one stack (one Temporal, one apiserver, one node).
node --test --test-concurrency=1 --test-timeout=900000 --test-force-exit "${files[@]}"
