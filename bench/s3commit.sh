#!/usr/bin/env bash
# The time of a job's commit against its number of part files: teragen
# --local with --maps 1, 10, 100 and 400 (one part file per map) to
# versitygw (an S3 server on 127.0.0.1 serving a directory on the same
# disk) and to a local directory. The commit's time is the duration of
# the job's `job commit` span (OTEL_TRACES_EXPORTER=console): on S3,
# completing every part's multipart upload, listing and aborting the
# pending uploads under the prefix and writing _SUCCESS; on a directory,
# the renames. Prints the median of ROUNDS rounds per count.
#
#   bench/s3commit.sh [ROWS [ROUNDS]]   # default 400k rows (40 MB), 3 rounds
#
# Needs bin/dockmr and bin/dockmr-task (make build), jq, and versitygw
# (deploy/s3-server.sh installs it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-400k}
rounds=${2:-3}
counts=(1 10 100 400)
dockmr=$here/bin/dockmr
work=$(mktemp -d /tmp/dockmr-s3commit-bench.XXXXXX)
# shellcheck source-path=SCRIPTDIR source=s3server.sh
source "$here/bench/s3server.sh"

# commit_seconds MAPS OUTPUT: runs teragen and prints the seconds its job
# commit took, from the console exporter's `job commit` span (whole
# seconds and the fractions apart, so no precision is lost).
commit_seconds() {
	OTEL_TRACES_EXPORTER=console "$dockmr" teragen --local --maps "$1" "$rows" "$2" >/dev/null 2>"$work/spans" ||
		{ tail -n 5 "$work/spans" >&2; exit 1; }
	jq -R -r 'fromjson? | select(.Name == "job commit")
		| def whole: .[0:19] + "Z" | fromdateiso8601;
		  def frac: .[19:-1] | if . == "" then 0 else tonumber end;
		  (.EndTime | whole) - (.StartTime | whole) + (.EndTime | frac) - (.StartTime | frac)' "$work/spans"
}

# median: the middle of the numbers on standard input.
median() {
	sort -g | awk '{ v[NR] = $1 } END { printf "%.9f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "rows $rows, --local, versitygw on 127.0.0.1:$port, median of $rounds rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %14s %14s %8s\n' parts "commit S3 s" "commit dir s" ratio
for maps in "${counts[@]}"; do
	: >"$work/s3.times"
	: >"$work/dir.times"
	for round in $(seq "$rounds"); do
		for where in s3 dir; do
			if [ "$where" = dir ]; then out=$work/dir/m$maps-r$round; else out=s3://bench/m$maps-r$round; fi
			commit_seconds "$maps" "$out" >>"$work/$where.times"
		done
	done
	s3=$(median <"$work/s3.times")
	dir=$(median <"$work/dir.times")
	printf '%6d %14.4f %14.4f %8.1f\n' "$maps" "$s3" "$dir" "$(echo "$s3 / $dir" | bc -l)"
done
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
