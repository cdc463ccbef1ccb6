#!/usr/bin/env bash
# Measures terasort through Nomad, one container per task, against GNU sort
# on the same records, in one run:
#
#   teragen   ROWS ascii records (gensort -a's format, which sort can sort)
#             through Nomad
#   terasort  dockmr terasort on Nomad   vs   LC_ALL=C sort --parallel=2 -S 8G
#
# and prints the ratio (above 1: dockmr is faster), whether both wrote the
# same bytes, and where terasort's time went, read from the Nomad API: for
# each phase, scheduling (job submitted -> allocation received by the
# client), container start (received -> task started, from the task
# events), compute (started -> finished), and the time outside the phases
# (planning and sampling before the map phase, the hand-over between
# phases, and job commit after the reduce phase). Times are wall clock
# seconds; both sorts read their input from the page cache.
#
# Usage: bench/e2e-terasort.sh [ROWS]   (default 10m: 1 GB)
# It starts `dockmr dev` unless NOMAD_ADDR and DOCKMR_DATA_DIR name a
# running cluster and its shared directory. Environment: DOCKMR_BIN
# (default bin/, as `make build nomad image` leaves it), BENCH_HTTP_PORT
# (the dev cluster's port, default 4646), MAPS and REDUCES (terasort's
# tasks; default: the number of CPUs each), MEMORY (MiB per task, default
# 3000: in cgroup v1 the page cache of the files a task streams counts
# against its container's limit, and sort gets -S 8G), SORT_MB (each
# map's sort buffer, default 1024: a map's half of 1 GB sorts without
# spilling, as sort -S 8G does), WORK (scratch directory for sort; default a new one, removed).
set -euo pipefail

rows=${1:-10m}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DOCKMR_BIN:-$root/bin}
maps=${MAPS:-$(nproc)}
memory=${MEMORY:-3000}
sort_mb=${SORT_MB:-1024}
reduces=${REDUCES:-$(nproc)}
for t in jq curl; do
	command -v "$t" >/dev/null || { echo "e2e-terasort: $t is missing" >&2; exit 1; }
done

work=${WORK:-}
if [[ -z $work ]]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/e2e-terasort.XXXXXX")
fi
mkdir -p "$work"
dev_pid=
cleanup() {
	if [[ -n $dev_pid ]] && kill -INT "$dev_pid" 2>/dev/null; then
		wait "$dev_pid" || true
	fi
	[[ -n ${WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

if [[ -z ${NOMAD_ADDR:-} || -z ${DOCKMR_DATA_DIR:-} ]]; then
	"$bin/dockmr" dev --bin-dir "$bin" --data-dir "$work/data" --http-port "${BENCH_HTTP_PORT:-4646}" \
		--ready-file "$work/dev.env" >"$work/dev.log" 2>&1 &
	dev_pid=$!
	for _ in $(seq 1 240); do
		[[ -f $work/dev.env ]] && break
		kill -0 "$dev_pid" 2>/dev/null || { tail -n 30 "$work/dev.log" >&2; exit 1; }
		sleep 0.5
	done
	set -a
	# shellcheck source=/dev/null
	. "$work/dev.env"
	set +a
fi
data=$DOCKMR_DATA_DIR/e2e-terasort.$$
mkdir -p "$data"
trap 'rm -rf "$data"; cleanup' EXIT

now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }

"$bin/dockmr" teragen --format ascii --maps "$(nproc)" "$rows" "$data/in" >"$work/teragen.out" 2>&1 ||
	{ cat "$work/teragen.out" >&2; exit 1; }
inputs=("$data"/in/part-m-*)
bytes=$(cat "${inputs[@]}" | wc -c) # also brings the input into the page cache

t0=$(now)
"$bin/dockmr" terasort --memory "$memory" --sort-mb "$sort_mb" --maps "$maps" --reduces "$reduces" "$data/in" "$data/out" >"$work/terasort.out" 2>&1 ||
	{ cat "$work/terasort.out" >&2; exit 1; }
t1=$(now)
LC_ALL=C sort --parallel=2 -S 8G -o "$work/sorted" "${inputs[@]}"
t2=$(now)

same=no
if cmp -s <(cat "$data"/out/part-r-*) "$work/sorted"; then same=yes; fi
id=$(jq -r .id "$data/out/_SUCCESS")

# phase KIND: the phase's Nomad job as "submit sched start compute end
# tasks": submit is the job's submit time (ns since the epoch); the others
# are nanoseconds: the means over the tasks' successful allocations of
# scheduling (submitted -> received), container start (received ->
# started) and compute (started -> terminated), and the time from submit
# to the last task's end. jq computes in doubles, whose 256 ns steps at
# today's times in nanoseconds do not matter here; it prints durations only.
phase() {
	local job=dockmr-$id-$1 submit
	submit=$(curl -sf "$NOMAD_ADDR/v1/job/$job" | grep -o '"SubmitTime":[0-9]*' | cut -d: -f2)
	curl -sf "$NOMAD_ADDR/v1/job/$job/allocations" | jq -r --arg task "$1" --arg submit "$submit" '
		($submit | tonumber) as $s
		| [ .[] | select(.ClientStatus == "complete") | .TaskStates[$task].Events
		    | { r: (map(select(.Type == "Received"))[0].Time),
		        s: (map(select(.Type == "Started"))[0].Time),
		        f: (map(select(.Type == "Terminated"))[0].Time) } ]
		| def mean(f): map(f) | add / length | floor;
		  "\($submit) \(mean(.r - $s)) \(mean(.s - .r)) \(mean(.f - .s)) \(map(.f) | max - $s | floor) \(length)"'
}
read -r m_submit m_sched m_start m_compute m_span m_tasks < <(phase map)
read -r r_submit r_sched r_start r_compute r_span r_tasks < <(phase reduce)
m_end=$((m_submit + m_span))
r_end=$((r_submit + r_span))

sort_ns=$((t2 - t1))
terasort_ns=$((t1 - t0))
printf 'data            %s rows, %.2f GB, %d CPUs\n' "$rows" "$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')" "$(nproc)"
printf 'terasort        %6ss on Nomad, %d maps and %d reduces in containers of %d MiB, --sort-mb %d\n' "$(secs $terasort_ns)" "$m_tasks" "$r_tasks" "$memory" "$sort_mb"
printf 'sort            %6ss  LC_ALL=C sort --parallel=2 -S 8G\n' "$(secs $sort_ns)"
printf 'ratio           %6sx (sort time / terasort time; goal >= 2)\n' "$(awk -v a="$sort_ns" -v b="$terasort_ns" 'BEGIN { printf "%.2f", a / b }')"
printf 'same output     %s\n' "$same"
echo 'where the time went (seconds; per-task figures are means over the tasks):'
printf '  plan+sample   %6s  command start -> map job submitted\n' "$(secs $((m_submit - t0)))"
printf '  map           %6s  scheduling %s, container start %s, compute %s\n' "$(secs $((m_end - m_submit)))" \
	"$(secs "$m_sched")" "$(secs "$m_start")" "$(secs "$m_compute")"
printf '  hand-over     %6s  last map finished -> reduce job submitted\n' "$(secs $((r_submit - m_end)))"
printf '  reduce        %6s  scheduling %s, container start %s, compute %s\n' "$(secs $((r_end - r_submit)))" \
	"$(secs "$r_sched")" "$(secs "$r_start")" "$(secs "$r_compute")"
printf '  commit        %6s  last reduce finished -> command exit (job commit)\n' "$(secs $((t1 - r_end)))"
[[ $same == yes ]]
