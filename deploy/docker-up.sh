#!/usr/bin/env bash
# Makes sure a Docker daemon answers on this machine: installs Debian's
# docker.io when dockerd is missing and starts it in the background when no
# daemon answers. Idempotent; safe to run before every test or demo.
set -euo pipefail

log=${DOCKMR_DOCKERD_LOG:-/tmp/dockmr-dockerd.log}

if docker version >/dev/null 2>&1; then
	exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "docker-up: dockerd is not installed; run as root or install docker.io" >&2
		exit 1
	fi
	echo "docker-up: installing docker.io" >&2
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
fi

if [ -n "${DOCKER_HOST:-}" ]; then
	echo "docker-up: DOCKER_HOST=$DOCKER_HOST does not answer" >&2
	exit 1
fi

echo "docker-up: starting dockerd (log: $log)" >&2
nohup dockerd --pidfile /var/run/dockmr-dockerd.pid >"$log" 2>&1 &

for _ in $(seq 1 60); do
	if docker version >/dev/null 2>&1; then
		exit 0
	fi
	sleep 0.5
done
echo "docker-up: dockerd did not answer within 30s; last log lines:" >&2
tail -n 20 "$log" >&2
exit 1
