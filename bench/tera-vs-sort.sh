#!/usr/bin/env bash
# Measures dockmr's tera jobs on one machine against GNU sort and cat, on
# the same data, in one run:
#
#   teragen      ROWS ascii records (gensort -a's format, sortable by sort)
#   terasort     dockmr terasort --local   vs   LC_ALL=C sort --parallel=2 -S 8G
#   teravalidate dockmr teravalidate --local  vs  cat FILES >/dev/null
#
# and checks that terasort and sort wrote the same bytes and that every
# checksum agrees. Ratios above 1 mean dockmr is faster. Times are wall
# clock seconds; the data is read once first, so both sides read from the
# page cache.
#
# Usage: bench/tera-vs-sort.sh [ROWS]   (default 10m: 1 GB)
# Environment: DOCKMR (binary; default: build it), WORK (scratch directory;
# default: a new one under $TMPDIR, removed at exit), PARALLEL (tasks at a
# time; default: the number of CPUs).
set -euo pipefail

rows=${1:-10m}
cd "$(dirname "$0")/.."
work=${WORK:-}
if [[ -z $work ]]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/tera-vs-sort.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
dockmr=${DOCKMR:-}
if [[ -z $dockmr ]]; then
	dockmr=$work/dockmr
	CGO_ENABLED=0 go build -trimpath -o "$dockmr" ./cmd/dockmr
fi
cpus=$(nproc)
parallel=${PARALLEL:-$cpus}

# timed NAME CMD...: runs CMD, keeping its stdout in $work/NAME.out and its
# wall time in seconds in the variable t_NAME.
timed() {
	local name=$1
	shift
	local start end
	start=$(date +%s.%N)
	"$@" >"$work/$name.out"
	end=$(date +%s.%N)
	printf -v "t_$name" '%.3f' "$(echo "$end - $start" | bc -l)"
}
checksum() { sed -n 's/^checksum //p' "$work/$1.out"; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

rm -rf "$work/in" "$work/out" "$work/report" "$work/sorted"
timed teragen "$dockmr" teragen --local --parallel "$parallel" --format ascii "$rows" "$work/in"
inputs=("$work"/in/part-m-*)
bytes=$(cat "${inputs[@]}" | wc -c)
timed cat cat "${inputs[@]}"
timed terasort "$dockmr" terasort --local --parallel "$parallel" "$work/in" "$work/out"
timed sort env LC_ALL=C sort --parallel=2 -S 8G -o "$work/sorted" "${inputs[@]}"
timed teravalidate "$dockmr" teravalidate --local --parallel "$parallel" "$work/out" "$work/report"
timed catout cat "$work"/out/part-r-*

same=no
if cmp -s <(cat "$work"/out/part-r-*) "$work/sorted"; then same=yes; fi
sums_agree=no
if [[ $(checksum teragen) == "$(checksum terasort)" && $(checksum terasort) == "$(checksum teravalidate)" ]]; then
	sums_agree=yes
fi

gb=$(echo "$bytes / 1000000000" | bc -l)
printf 'data          %s rows, %.2f GB, %d CPUs, --parallel %d\n' "$rows" "$gb" "$cpus" "$parallel"
printf 'teragen       %6.2fs  %.2f GB/s, %.2f GB/s per core\n' "$t_teragen" \
	"$(echo "$gb / $t_teragen" | bc -l)" "$(echo "$gb / $t_teragen / $parallel" | bc -l)"
printf 'terasort      %6.2fs  vs sort %.2fs: %sx\n' "$t_terasort" "$t_sort" "$(ratio "$t_sort" "$t_terasort")"
printf 'teravalidate  %6.2fs  vs cat %.2fs: %sx\n' "$t_teravalidate" "$t_catout" "$(ratio "$t_catout" "$t_teravalidate")"
printf 'checksum      %s (teragen = terasort = teravalidate: %s)\n' "$(checksum teravalidate)" "$sums_agree"
printf 'same output   %s (terasort and sort)\n' "$same"
[[ $same == yes && $sums_agree == yes ]]
