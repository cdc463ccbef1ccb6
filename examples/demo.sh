#!/usr/bin/env bash
# The dockmr demo (`make demo`): starts a development Nomad cluster with
# `dockmr dev`, runs teragen, terasort and teravalidate on it, one
# container per task, prints what each step did and whether the sorted
# output keeps the generated checksum, and stops the cluster.
#
# It expects `make build nomad image` to have run (`make demo` does) and a
# Docker daemon to answer (deploy/setup.sh starts one). Settings:
#   ROWS             rows to generate, k/m/b suffixes (default 10m = 1 GB)
#   MAPS, REDUCES    teragen's maps and terasort's reduces (default: the number of CPUs)
#   DOCKMR_BIN       directory of dockmr, dockmr-task, nomad and plugins/ (default bin/)
#   DEMO_HTTP_PORT   the cluster's HTTP port (default 4646; it also takes the two above)
#   DEMO_DIR         where data and logs go (default a new directory in $TMPDIR, removed after)
#   DEMO_IMAGE       the tasks' image (default dockmr/examples:dev)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DOCKMR_BIN:-$root/bin}
rows=${ROWS:-10m}
cpus=$(nproc)
maps=${MAPS:-$cpus}
reduces=${REDUCES:-$cpus}
port=${DEMO_HTTP_PORT:-4646}
image=${DEMO_IMAGE:-dockmr/examples:dev}

die() {
	echo "demo: $*" >&2
	exit 1
}

for f in dockmr dockmr-task nomad plugins/dockmr-driver; do
	[ -x "$bin/$f" ] || die "$bin/$f is missing: run 'make build nomad image' first"
done
command -v jq >/dev/null || die "jq is missing: run 'make deps' (or install jq)"
docker version >/dev/null 2>&1 || die "no Docker daemon answers: run 'make deps' to start one"
docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing: run 'make image'"

if [ -n "${DEMO_DIR:-}" ]; then
	work=$DEMO_DIR
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/dockmr-demo.XXXXXX")
	# Run by root, the tasks run as nobody, who must reach the data.
	chmod 755 "$work"
	keep=
fi
data=$work/data
dev_pid=

# stop ends the cluster (dockmr dev stops its jobs, agents and containers
# on SIGINT) and removes the demo's data unless DEMO_DIR was given.
stop() {
	local status=$?
	trap - EXIT INT TERM
	if [ -n "$dev_pid" ] && kill -0 "$dev_pid" 2>/dev/null; then
		echo "demo: stopping the cluster"
		kill -INT "$dev_pid"
		wait "$dev_pid" || status=1
	fi
	if [ -z "$keep" ]; then
		rm -rf "$work"
	fi
	exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "demo: starting a Nomad cluster with dockmr-driver (logs: $work/dev.log)"
"$bin/dockmr" dev --bin-dir "$bin" --data-dir "$data" --http-port "$port" \
	--ready-file "$work/dev.env" >"$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 240); do
	[ -f "$work/dev.env" ] && break
	if ! kill -0 "$dev_pid" 2>/dev/null; then
		dev_pid=
		tail -n 30 "$work/dev.log" >&2
		die "dockmr dev exited before the cluster was ready"
	fi
	sleep 0.5
done
[ -f "$work/dev.env" ] || die "the cluster was not ready within 2 minutes; see $work/dev.log"
set -a
# shellcheck source=/dev/null
. "$work/dev.env"
set +a
export DOCKMR_IMAGE=$image
echo "demo: cluster ready at $NOMAD_ADDR; data in $DOCKMR_DATA_DIR"

# step NAME COMMAND...: runs a dockmr command, showing its progress, and
# records its wall time in seconds.
declare -A secs
step() {
	local name=$1
	shift
	echo
	echo "demo: $name: dockmr $*"
	local t0 t1
	t0=$(date +%s.%N)
	"$bin/dockmr" "$@"
	t1=$(date +%s.%N)
	secs[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

step teragen teragen --maps "$maps" "$rows" "$data/tera-in"
step terasort terasort --reduces "$reduces" "$data/tera-in" "$data/tera-out"
step teravalidate teravalidate "$data/tera-out" "$data/tera-report"

gen_sum=$(jq -r .checksum "$data/tera-in/_SUCCESS")
sort_sum=$(jq -r .checksum "$data/tera-out/_SUCCESS")
records=$(jq -r .map.records_out "$data/tera-in/_SUCCESS")
bytes=$(jq -r .map.bytes_out "$data/tera-in/_SUCCESS")
valid_sum=$(sed -n 's/^checksum\t//p' "$data/tera-report/part-r-00000")
errors=$(grep -c '^error' "$data/tera-report/part-r-00000" || true)

echo
echo "demo: summary ($records rows, $((bytes / 1000000)) MB, $maps maps, $reduces reduces, image $image)"
printf '  %-13s %8s %9s\n' step seconds MB/s
for s in teragen terasort teravalidate; do
	awk -v s="$s" -v t="${secs[$s]}" -v b="$bytes" 'BEGIN { printf "  %-13s %8.2f %9.1f\n", s, t, b / 1e6 / t }'
done
echo "  checksum: teragen $gen_sum, terasort $sort_sum, teravalidate $valid_sum"
if [ "$gen_sum" != "$valid_sum" ] || [ "$gen_sum" != "$sort_sum" ] || [ "$errors" -ne 0 ]; then
	die "FAILED: the checksums differ or the output is not sorted ($errors errors in $data/tera-report/part-r-00000)"
fi
echo "demo: OK: the output is sorted and its checksum matches teragen's"
