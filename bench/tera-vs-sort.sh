#!/usr/bin/env bash
# Measures dockmr's tera jobs on one machine against GNU sort and cat, on
# the same data, in one run:
#
#   teragen      ROWS records in Hadoop's binary format, then in gensort -a's
#                ascii format, which sort can sort
#   terasort     dockmr terasort --local   vs   LC_ALL=C sort --parallel=2 -S 8G
#   teravalidate dockmr teravalidate --local  vs  cat FILES >/dev/null
#
# and checks that terasort and sort wrote the same bytes and that every
# checksum agrees. Ratios above 1 mean dockmr is faster. Times are wall
# clock seconds; both sides of each comparison read from the page cache.
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

# timed NAME OUT CMD...: runs CMD with its stdout going to OUT and keeps
# its wall time in seconds in the variable t_NAME.
timed() {
	local name=$1 out=$2
	shift 2
	local start end
	start=$(date +%s.%N)
	"$@" >"$out"
	end=$(date +%s.%N)
	printf -v "t_$name" '%.3f' "$(echo "$end - $start" | bc -l)"
}
checksum() { sed -n 's/^checksum //p' "$work/$1.out"; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

rm -rf "$work/binary" "$work/in" "$work/out" "$work/report" "$work/sorted"
timed binary /dev/null "$dockmr" teragen --local --parallel "$parallel" --format binary "$rows" "$work/binary"
rm -rf "$work/binary"
timed teragen "$work/teragen.out" "$dockmr" teragen --local --parallel "$parallel" --format ascii "$rows" "$work/in"
inputs=("$work"/in/part-m-*)
bytes=$(stat -c %s "${inputs[@]}" | paste -sd+ | bc)
cat "${inputs[@]}" >/dev/null # both sorts read from the page cache
timed terasort "$work/terasort.out" "$dockmr" terasort --local --parallel "$parallel" "$work/in" "$work/out"
timed sort /dev/null env LC_ALL=C sort --parallel=2 -S 8G -o "$work/sorted" "${inputs[@]}"
cat "$work"/out/part-r-* >/dev/null # terasort wrote around the page cache
timed teravalidate "$work/teravalidate.out" "$dockmr" teravalidate --local --parallel "$parallel" "$work/out" "$work/report"
timed cat /dev/null cat "$work"/out/part-r-*

same=no
if cmp -s <(cat "$work"/out/part-r-*) "$work/sorted"; then same=yes; fi
sums_agree=no
if [[ $(checksum teragen) == "$(checksum terasort)" && $(checksum terasort) == "$(checksum teravalidate)" ]]; then
	sums_agree=yes
fi

# Set by timed through printf -v, which shellcheck cannot follow.
: "${t_terasort:?}" "${t_sort:?}" "${t_teravalidate:?}" "${t_cat:?}"
gb=$(echo "$bytes / 1000000000" | bc -l)
printf 'data          %s rows, %.2f GB, %d CPUs, --parallel %d\n' "$rows" "$gb" "$cpus" "$parallel"
for f in binary teragen; do
	t=t_$f
	printf 'teragen       %6.2fs  %.2f GB/s, %.2f GB/s per core (%s)\n' "${!t}" \
		"$(echo "$gb / ${!t}" | bc -l)" "$(echo "$gb / ${!t} / $parallel" | bc -l)" "${f/teragen/ascii}"
done
printf 'terasort      %6.2fs  vs sort %.2fs: %sx\n' "$t_terasort" "$t_sort" "$(ratio "$t_sort" "$t_terasort")"
printf 'teravalidate  %6.2fs  vs cat %.2fs: %sx\n' "$t_teravalidate" "$t_cat" "$(ratio "$t_cat" "$t_teravalidate")"
printf 'checksum      %s (teragen = terasort = teravalidate: %s)\n' "$(checksum teravalidate)" "$sums_agree"
printf 'same output   %s (terasort and sort)\n' "$same"
[[ $same == yes && $sums_agree == yes ]]
