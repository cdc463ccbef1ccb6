#!/usr/bin/env bash
# Teragen, terasort and teravalidate with --local to a directory and to
# versitygw (an S3 server on 127.0.0.1 serving a directory on the same
# disk), side by side, and, when Debian's awscli is installed, `aws s3 cp`
# of the same bytes up and down. Prints seconds and MB/s per step.
#
#   bench/s3.sh [ROWS]        # default 10m rows = 1 GB
#
# Needs bin/dockmr and bin/dockmr-task (make build) and versitygw
# (deploy/s3-server.sh installs it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-10m}
dockmr=$here/bin/dockmr
work=$(mktemp -d /tmp/dockmr-s3-bench.XXXXXX)
# shellcheck source-path=SCRIPTDIR source=s3server.sh
source "$here/bench/s3server.sh"

# step NAME CMD...: runs a command and prints its wall time.
step() {
	local name=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
	end=$(date +%s.%N)
	printf '%-28s %7.2f s\n' "$name" "$(echo "$end - $start" | bc)"
}

echo "rows $rows, --local, versitygw on 127.0.0.1:$port"
for where in dir s3; do
	if [ "$where" = dir ]; then base=$work/dir; else base=s3://bench; fi
	step "teragen      -> $where" "$dockmr" teragen --local "$rows" "$base/in"
	step "terasort     $where -> $where" "$dockmr" terasort --local "$base/in" "$base/out"
	step "teravalidate $where" "$dockmr" teravalidate --local "$base/out" "$base/report"
done
if command -v aws >/dev/null 2>&1; then
	step "aws s3 cp up (part files)" aws s3 cp --recursive --quiet "$work/dir/in" s3://bench/cp/
	step "aws s3 cp down" aws s3 cp --recursive --quiet s3://bench/cp/ "$work/down/"
fi
