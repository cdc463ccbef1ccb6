#!/usr/bin/env bash
# Installs the S3-compatible server the object-storage tests start
# (versitygw, a gateway serving a directory over the S3 API) from the Go
# module proxy at a pinned version, into a cache directory that later runs
# reuse. Prints the binary's path. Takes minutes the first time.
set -euo pipefail

version=${VERSITYGW_VERSION:-v1.8.0}
dir=${DOCKMR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockmr-tools}/versitygw-$version
bin=$dir/versitygw

if [ ! -x "$bin" ]; then
	echo "s3-server: installing versitygw $version into $dir (a few minutes the first time)" >&2
	mkdir -p "$dir"
	GOBIN=$dir GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$version"
fi
echo "$bin"
