#!/usr/bin/env bash
# What node-local shuffle costs and saves. On a fresh `dockmr dev` cluster
# of CLIENTS clients (default 2) with a shuffle server on each, sorts ROWS
# rows (default 10m, 1 GB) of teragen output ROUNDS times (default 3) in
# each of three ways, and prints the median wall time of each, its map and
# reduce phases, and its ratio to the local run:
#
#   local    dockmr terasort --local: every task a process on this machine,
#            map output read in place
#   shared   --shuffle shared on the cluster: map output in the shared data
#            directory, read back from there by every reduce
#   node     --shuffle node on the cluster: map output on each map's
#            client, read in place there and fetched from the other
#            clients' shuffle servers
#   node+ss  --shuffle node --slowstart 0.5: the reduces start once every
#            map is placed and half of them committed, and fetch as maps
#            commit (their phase's time then includes waiting for maps)
#
# Every run's checksum is checked against teragen's.
#
# Usage: bench/shuffle.sh [ROUNDS [ROWS [CLIENTS]]]. Needs root (or a user
# who may run Docker), a Docker daemon and `make build nomad image`
# (DOCKMR_BIN, default bin/). Uses 127.0.0.1 only.
set -euo pipefail

rounds=${1:-3}
rows=${2:-10m}
clients=${3:-2}
for v in "$rounds" "$clients"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "shuffle: ROUNDS and CLIENTS must be positive whole numbers, not '$v'" >&2; exit 2; }
done
[[ $rows =~ ^[1-9][0-9]*[kmg]?$ ]] || { echo "shuffle: ROWS must be a number such as 10m, not '$rows'" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${DOCKMR_BIN:-$repo/bin}
for b in nomad plugins/dockmr-driver dockmr dockmr-task; do
	[[ -x $bin/$b ]] || { echo "shuffle: $bin/$b is missing: run make build nomad image" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "shuffle: jq is missing: apt-get install jq" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-shuffle.XXXXXX")
chmod 755 "$work"
port=$((20000 + RANDOM % 20000))
"$bin/dockmr" dev --clients "$clients" --http-port "$port" --data-dir "$work/data" \
	--ready-file "$work/env" --bin-dir "$bin" >"$work/dev.log" 2>&1 &
dev=$!
cleanup() {
	if kill -INT "$dev" 2>/dev/null; then
		wait "$dev" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 600); do
	[[ -s $work/env ]] && break
	kill -0 "$dev" 2>/dev/null || { cat "$work/dev.log" >&2; echo "shuffle: dockmr dev failed" >&2; exit 1; }
	sleep 0.2
done
[[ -s $work/env ]] || { echo "shuffle: dockmr dev not ready after 2 minutes" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/env"
set +a

want=$("$bin/dockmr" teragen --local --json "$rows" "$work/data/in" | jq -r .checksum)
maps=$(("$(nproc)" * 2))
results=$work/results
for round in $(seq 1 "$rounds"); do
	for mode in local shared node node+ss; do
		case $mode in
		local) flags=(--local) ;;
		node+ss) flags=(--shuffle node --slowstart 0.5) ;;
		*) flags=(--shuffle "$mode") ;;
		esac
		start=$(date +%s.%N)
		out=$("$bin/dockmr" terasort --json --overwrite --maps "$maps" --reduces "$clients" "${flags[@]}" "$work/data/in" "$work/data/out" 2>"$work/job.log") ||
			{ cat "$work/job.log" >&2; echo "shuffle: $mode round $round failed" >&2; exit 1; }
		end=$(date +%s.%N)
		got=$(jq -r .checksum <<<"$out")
		[[ $got == "$want" ]] || { echo "shuffle: $mode round $round: checksum $got, teragen's is $want" >&2; exit 1; }
		phase() { jq -r --arg p "$1" '[.phases[] | select(.phase == $p) | .wall_ns][0] // 0' <<<"$out"; }
		printf '%s\t%s\t%s\t%s\n' "$mode" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$(phase map)" "$(phase reduce)" >>"$results"
		echo "round $round $mode: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') s" >&2
	done
done

sort -t "$(printf '\t')" -k1,1 -k2,2n "$results" | awk -F '\t' -v rounds="$rounds" -v rows="$rows" -v clients="$clients" '
	{ k = $1; n[k]++; t[k, n[k]] = $2; m[k, n[k]] = $3 / 1e9; r[k, n[k]] = $4 / 1e9 }
	function med(a, k,   c, i, j, x, v) {
		c = n[k]; for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 2; i <= c; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
	}
	END {
		base = med(t, "local")
		printf "terasort of %s rows, %d clients, median of %d round%s\n", rows, clients, rounds, (rounds > 1 ? "s" : "")
		printf "%-8s %8s %8s %8s %8s\n", "shuffle", "seconds", "map", "reduce", "× local"
		split("local shared node node+ss", order, " ")
		for (i = 1; i <= 4; i++) { k = order[i]; printf "%-8s %8.2f %8.2f %8.2f %8.2f\n", k, med(t, k), med(m, k), med(r, k), med(t, k) / base }
	}'
