#!/usr/bin/env bash
# What several hosts cost a job, and what a network fault costs it. Runs a
# terasort (10m rows, 1 GB; three maps and three reduces, 256 MiB sort
# buffers) on clusters
# of hosts on this machine (`dockmr dev --hosts`: every node a network
# namespace with its own address and Docker daemon) and prints each run's
# wall time and its ratio to the run on three hosts without a fault:
#
#   none, one host         --hosts 1, no fault
#   none                   --hosts 3, no fault (the baseline)
#   host cut during map    a host's cable pulled while its map runs, put
#                          back once the server has marked its node down
#                          (2 s heartbeat TTL + 2 s grace) and Nomad has
#                          replaced its allocations on the other hosts
#   host cut during reduce the same while its reduce runs
#   server restarted       the server agent restarted while the maps run
#   host lost              a host gone for good (agent, daemon, containers
#                          and namespace) while its map runs
#
# The runs are the tests of e2e/hosts (DOCKMR_HOSTS_ROWS and
# DOCKMR_HOSTS_SORT_MB set their size and sort buffer),
# which log the job's wall time (submit to commit, as the dockmr command
# saw it); each also checks the output (teravalidate, teragen's checksum,
# no partial or doubled part files) and that no container is left.
#
# Usage: bench/hosts.sh [ROUNDS [ROWS]]   (default 1 round of 10m rows;
# with more rounds, the median of each is shown). Needs root, a Docker
# daemon, dockerd and iproute2, and `make build nomad image` (DOCKMR_BIN,
# default bin/).
set -euo pipefail

rounds=${1:-1}
rows=${2:-10m}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "hosts: ROUNDS must be a positive whole number, not '$rounds'" >&2
	exit 2
fi
if ! [[ $rows =~ ^[1-9][0-9]*[kmb]?$ ]]; then
	echo "hosts: ROWS must be a number with an optional k, m or b suffix, not '$rows'" >&2
	exit 2
fi
if [[ $(id -u) != 0 ]]; then
	echo "hosts: needs root: every host is a network namespace with its own Docker daemon" >&2
	exit 1
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export DOCKMR_BIN=${DOCKMR_BIN:-$repo/bin}
for b in nomad plugins/dockmr-driver dockmr dockmr-task; do
	[[ -x $DOCKMR_BIN/$b ]] || { echo "hosts: $DOCKMR_BIN/$b is missing: run make build nomad image" >&2; exit 1; }
done

log=$(mktemp "${TMPDIR:-/tmp}/hosts.XXXXXX")
tests='^(TestTerasortOnOneHost|TestTerasortOnHosts|TestCutDuringMap|TestCutDuringReduce|TestServerRestart|TestLostHost)$'
if ! DOCKMR_HOSTS_ROWS=$rows DOCKMR_HOSTS_SORT_MB=${DOCKMR_HOSTS_SORT_MB:-256} go test -count="$rounds" -v -timeout 120m -run "$tests" ./e2e/hosts/ >"$log" 2>&1; then
	grep -E '^(---|FAIL|panic)|_test.go' "$log" >&2 || tail -n 50 "$log" >&2
	echo "hosts: a test failed; no figures (the tests' output: $log)" >&2
	exit 1
fi

# Lines like "tera_test.go:157: terasort of 10m rows on 3 host(s) took 9.87s with fault: none".
grep -o 'took [0-9.]*s with fault: .*' "$log" | sed -E 's/^took ([0-9.]+)s with fault: (.*)$/\2\t\1/' |
	sort -t "$(printf '\t')" -k1,1 -k2,2n |
	awk -F '\t' -v rounds="$rounds" -v rows="$rows" '
	{ t[$1, ++n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	function median(f,   c) { c = n[f]; return c % 2 ? t[f, (c + 1) / 2] : (t[f, c / 2] + t[f, c / 2 + 1]) / 2 }
	function line(f) { printf "%-24s %8.2f %7.2f   %.2f-%.2f\n", f, median(f), median(f) / base, t[f, 1], t[f, n[f]] }
	END {
		if (!("none" in seen)) { print "hosts: no baseline time found" > "/dev/stderr"; exit 1 }
		base = median("none")
		printf "%-24s %8s %7s   %s   (%s rows, %d round%s, median)\n", "fault", "seconds", "ratio", "range", rows, rounds, (rounds > 1 ? "s" : "")
		line("none")
		for (i = 1; i <= k; i++) if (order[i] != "none") line(order[i])
	}'
rm -f "$log"
