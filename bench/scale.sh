#!/usr/bin/env bash
# Runs dockmr's two scale runs on local Nomad clusters and prints what the
# dockmr-driver plugin costs, sampled from /proc and from the plugin's own
# pprof listener (DOCKMR_DRIVER_DEBUG_ADDR):
#   - 200 tasks running at once on one client (TestScaleBurstOnOneClient);
#   - teragen with 1,000 maps over three clients through the dockmr CLI
#     (TestScaleThousandMaps, which the suite skips without DOCKMR_SCALE).
# Both check that every task succeeds and that each plugin is back to its
# baseline of goroutines, file descriptors and live heap once the tasks
# are collected.
#
# Usage: bench/scale.sh [-run REGEXP]   (default: both runs)
# Needs a Docker daemon (deploy/docker-up.sh), the example image (make
# image) and root (Nomad's client). Binaries come from $DOCKMR_BIN, else
# bin/; they are built when missing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

run='^TestScale(BurstOnOneClient|ThousandMaps)$'
if [ "${1:-}" = "-run" ] && [ -n "${2:-}" ]; then
	run=$2
elif [ $# -gt 0 ]; then
	echo "usage: bench/scale.sh [-run REGEXP]" >&2
	exit 2
fi

bin=${DOCKMR_BIN:-$repo/bin}
if [ ! -x "$bin/nomad" ] || [ ! -x "$bin/plugins/dockmr-driver" ] || [ ! -x "$bin/dockmr" ] || [ ! -x "$bin/dockmr-task" ]; then
	if [ -n "${DOCKMR_BIN:-}" ]; then
		echo "scale: $bin lacks nomad, dockmr, dockmr-task or plugins/dockmr-driver" >&2
		exit 1
	fi
	echo "scale: building (make build nomad)..." >&2
	make -s build nomad >&2
fi
if ! docker version >/dev/null 2>&1; then
	echo "scale: no Docker daemon answers; start one with deploy/docker-up.sh" >&2
	exit 1
fi
if ! docker image inspect dockmr/examples:dev >/dev/null 2>&1; then
	echo "scale: building the example image (make image)..." >&2
	make -s image >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
DOCKMR_SCALE=1 DOCKMR_BIN=$bin go test -count=1 -timeout 60m -v -run "$run" ./e2e/scale >"$log" 2>&1 || status=$?
# The figures are the tests' log lines; the rest is on failure only.
grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|    scale(job)?_test\.go:[0-9]+:)' "$log" | sed -E 's/^    scale(job)?_test\.go:[0-9]+: /    /'
if [ "$status" -ne 0 ]; then
	echo "scale: the run failed; its whole output:" >&2
	cat "$log" >&2
fi
exit "$status"
