#!/usr/bin/env bash
# Compares task start latency of dockmr-driver with Nomad's docker driver on
# one local Nomad cluster (server + client agent built from this module):
# bursts of trivial tasks (default 20 at once, 3 bursts per driver, drivers
# alternating), same local test image, host network. Prints the median and
# p90 "Received" -> "Started" latency per driver and their ratio, the
# processes each driver adds per running task, and the plugin's memory.
#
# Usage: bench/driver-start.sh [-tasks N] [-rounds R]
# Needs a Docker daemon (deploy/docker-up.sh) and root (Nomad's client).
# Binaries come from $DOCKMR_BIN, else bin/; they are built when missing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

bin=${DOCKMR_BIN:-$repo/bin}
if [ ! -x "$bin/nomad" ] || [ ! -x "$bin/plugins/dockmr-driver" ]; then
	if [ -n "${DOCKMR_BIN:-}" ]; then
		echo "driver-start: $bin lacks nomad or plugins/dockmr-driver" >&2
		exit 1
	fi
	echo "driver-start: building the agent and the plugin (make nomad driver)..." >&2
	make -s nomad driver >&2
fi

if ! docker version >/dev/null 2>&1; then
	echo "driver-start: no Docker daemon answers; start one with deploy/docker-up.sh" >&2
	exit 1
fi

DOCKMR_BIN=$bin exec go run ./bench/driverstart "$@"
