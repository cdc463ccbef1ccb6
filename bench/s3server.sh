# shellcheck shell=bash
# Sourced by the S3 benchmarks: starts versitygw (deploy/s3-server.sh
# installs it) on a random port of 127.0.0.1, serving "$work/s3" with a
# bucket "bench", stops it and removes "$work" on exit, points the AWS
# SDK's settings at it, and waits until it answers. Needs here (the
# repository) and work (a temporary directory) set.
# shellcheck disable=SC2154 # here and work come from the sourcing script

: "${here:?set by the sourcing script}" "${work:?set by the sourcing script}"
vgw=$("$here/deploy/s3-server.sh")
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/s3/bench" "$work/dir"
ROOT_ACCESS_KEY=bench ROOT_SECRET_KEY=benchsecret "$vgw" --port "127.0.0.1:$port" posix "$work/s3" >"$work/versitygw.log" 2>&1 &
vgw_pid=$!
trap 'kill "$vgw_pid" 2>/dev/null; wait "$vgw_pid" 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
export DOCKMR_S3_PATH_STYLE=true AWS_EC2_METADATA_DISABLED=true DOCKMR_STAGING_DIR=$work/staging
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	sleep 0.1
done
