#!/usr/bin/env bash
# Stops the node agent: it TERMs its containers' process groups, removes its /etc/hosts block and exits.
source "$(dirname "$0")/../lib.sh"
stop_pid node-agent
