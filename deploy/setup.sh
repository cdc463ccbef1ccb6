#!/usr/bin/env bash
# Prepares this machine for building and testing dockmr: installs the
# Debian packages the tests use when they are missing, then makes sure a
# Docker daemon answers. Idempotent.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# command -> Debian package providing it
declare -A wanted=(
	[dockerd]=docker.io
	[jq]=jq
	[bc]=bc
	[shellcheck]=shellcheck
	[vagrant]=vagrant
	[htpasswd]=apache2-utils
	[chromium]=chromium
	[ip]=iproute2
	[python3]=python3
)

missing=()
for cmd in "${!wanted[@]}"; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		missing+=("${wanted[$cmd]}")
	fi
done
# Test and example images are FROM scratch plus a static busybox; the
# Vagrantfile is validated against Vagrant's libvirt provider; registry
# tests push to and pull from Debian's Docker registry with htpasswd auth;
# the job history page is rendered in headless Chromium.
for pkg in busybox-static vagrant-libvirt docker-registry; do
	if ! dpkg -s "$pkg" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages ${missing[*]}; run as root or install them" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}" >&2
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

"$here/docker-up.sh"

# The object-storage tests (e2e/s3) start versitygw; install it once.
if command -v go >/dev/null 2>&1; then
	"$here/s3-server.sh" >/dev/null
fi
