#!/usr/bin/env bash
# How much longer a job takes when a fault hits it. Runs the same terasort
# (3m rows, 300 MB; one map per client, two reduces) on a fresh two-client
# `devcluster` cluster with no fault and with each fault the job survives,
# in one run, and prints each one's wall time and its ratio to the run
# without a fault:
#
#   none              no fault (TestTerasortWithoutFault)
#   client restarts   a client crashed (agent and plugin SIGKILLed) while
#                     its map runs and another stopped gracefully while
#                     its reduce runs, both restarted; the tasks are frozen
#                     until their agent is back, so this includes two agent
#                     restarts
#   client lost       a client stopped for good while its map runs; the
#                     node is marked down after a 2 s heartbeat TTL + 2 s
#                     grace and its allocation replaced on the other
#   dockerd restart   a private Docker daemon (no live-restore) restarted
#                     while the maps run; the killed maps are retried after
#                     Nomad's 5 s reschedule delay
#   plugin kills      every client's dockmr-driver SIGKILLed while the maps
#                     run and again while the reduces run; the agents start
#                     new plugins, which recover the containers (frozen
#                     until then)
#   container killed  one map container killed with `docker kill` (frozen
#                     first, so mid-task); the task is retried after
#                     Nomad's 5 s reschedule delay
#
# The runs are the fault tests of e2e/faults/faults_test.go and
# e2e/faults/killfaults_test.go, which log the job's wall time (submit to
# commit, as the dockmr command saw it); each also checks the output
# (teravalidate, teragen's checksum, no partial or doubled part files) and
# that no container is left.
#
# Usage: bench/faults.sh [ROUNDS]   (default 1; with more, the median of
# each is shown). Needs root, a Docker daemon, dockerd on the PATH and
# `make build nomad image` (DOCKMR_BIN, default bin/).
set -euo pipefail

rounds=${1:-1}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "faults: ROUNDS must be a positive whole number, not '$rounds'" >&2
	exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export DOCKMR_BIN=${DOCKMR_BIN:-$repo/bin}
for b in nomad plugins/dockmr-driver dockmr dockmr-task; do
	[[ -x $DOCKMR_BIN/$b ]] || { echo "faults: $DOCKMR_BIN/$b is missing: run make build nomad image" >&2; exit 1; }
done

log=$(mktemp "${TMPDIR:-/tmp}/faults.XXXXXX")
tests='^(TestTerasortWithoutFault|TestTerasortSurvivesClientRestarts|TestTerasortSurvivesALostClient|TestTerasortSurvivesDockerdRestart|TestTerasortSurvivesPluginKills|TestTerasortSurvivesAKilledContainer)$'
if ! go test -count="$rounds" -v -timeout 60m -run "$tests" ./e2e/faults/ >"$log" 2>&1; then
	grep -E '^(---|FAIL|panic)|_test.go' "$log" >&2 || tail -n 50 "$log" >&2
	echo "faults: a fault test failed; no figures (the tests' output: $log)" >&2
	exit 1
fi

# Lines like "faults_test.go:52: terasort of 3m rows took 9.87s with fault: none".
# Each fault's median is compared with the median without a fault.
grep -o 'took [0-9.]*s with fault: .*' "$log" | sed -E 's/^took ([0-9.]+)s with fault: (.*)$/\2\t\1/' |
	sort -t "$(printf '\t')" -k1,1 -k2,2n |
	awk -F '\t' -v rounds="$rounds" '
	{ t[$1, ++n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	function median(f,   c) { c = n[f]; return c % 2 ? t[f, (c + 1) / 2] : (t[f, c / 2] + t[f, c / 2 + 1]) / 2 }
	END {
		if (!("none" in seen)) { print "faults: no baseline time found" > "/dev/stderr"; exit 1 }
		base = median("none")
		printf "%-16s %8s %7s   (%d round%s, median)\n", "fault", "seconds", "ratio", rounds, (rounds > 1 ? "s" : "")
		printf "%-16s %8.2f %7.2f\n", "none", base, 1
		for (i = 1; i <= k; i++) {
			f = order[i]
			if (f != "none") printf "%-16s %8.2f %7.2f\n", f, median(f), median(f) / base
		}
	}'
rm -f "$log"
