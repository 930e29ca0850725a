#!/usr/bin/env bash
# Headless Chromium for the Temporal UI test (test/integration/temporal-ui.test.ts drives it with playwright-core):
# Debian's chromium, installed once through apt_install (idempotent: nothing happens when it is present).
# The test launches /usr/bin/chromium itself with a fresh --user-data-dir and no background networking.
source "$(dirname "$0")/lib.sh"

apt_install chromium fonts-liberation
[[ -x /usr/bin/chromium ]] || die "chromium missing after apt install"
log "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
