#!/usr/bin/env bash
# Stops the Temporal dev server by its recorded pid (its data stays in $STACK_DIR/temporal).
source "$(dirname "$0")/../lib.sh"
stop_pid temporal
