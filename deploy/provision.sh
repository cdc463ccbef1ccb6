#!/usr/bin/env bash
# Provisions one Debian machine of a dockmr cluster. The Vagrantfile runs it
# on every VM; it works the same on any Debian 12 host.
#
# usage: provision.sh server|client
#
#   server  the shared data directory, exported over NFS to the cluster
#           network; a Nomad server; the dockmr CLI to submit jobs from.
#   client  Docker; the data directory mounted from the server at the same
#           path; the example image; a Nomad client with dockmr-driver.
#
# Environment:
#   DOCKMR_SERVER      the server's address on the cluster network
#                      (client: required; server: default DOCKMR_NODE_IP)
#   DOCKMR_NODE_IP     this machine's cluster address (default: its source
#                      address towards DOCKMR_SERVER, else its first address)
#   DOCKMR_NODE_NAME   Nomad node name (default: the short host name)
#   DOCKMR_INTERFACE   interface holding DOCKMR_NODE_IP (default: found)
#   DOCKMR_NETWORK     who may mount the export (default: DOCKMR_NODE_IP/24)
#   DOCKMR_SRC         the binaries built on the host: nomad, dockmr,
#                      dockmr-task, plugins/dockmr-driver (default /vagrant/bin)
#   DOCKMR_IMAGE_TAR   `docker save` of the example image, loaded on clients
#                      (default DOCKMR_SRC/examples-image.tar; when missing,
#                      the image is built here from dockmr-task and busybox)
#   DOCKMR_IMAGE       the example image's name (default dockmr/examples:dev)
#   DOCKMR_DATA_DIR    shared data directory (default /srv/dockmr)
#   DOCKMR_DATA_OWNER  owner of the data directory; every NFS client write
#                      is made as this user, so run dockmr as this user
#                      (default: vagrant when that user exists, else root)
#   DOCKMR_SHARE       nfs (default), or none when the data directory is
#                      already shared by other means or the cluster is one
#                      machine: then it is only created
#   DOCKMR_PREFIX      where the dockmr binaries go (default /opt/dockmr)
#   DOCKMR_SHUFFLE_DIR the client's local shuffle directory, where map output
#                      of --shuffle node jobs stays (default /var/lib/dockmr/shuffle)
#   DOCKMR_SHUFFLE_PORT the client's shuffle server port (default 13562)
#
# The server registers the shuffle servers' system job (dockmr shuffle
# start): Nomad then runs one on every client as it joins.
#
# Every value is checked before anything changes. Idempotent: run it again
# after rebuilding the binaries; it rewrites only what differs and restarts
# Nomad only then.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=provision

log() {
	echo "$prog: $*" >&2
}

die() {
	log "$*"
	exit 1
}

usage() {
	echo "usage: $prog server|client" >&2
	exit 2
}

# interface_of IP: the interface holding IP on this machine.
interface_of() {
	local ip=$1 name
	name=$(ip -o -4 addr show | awk -v ip="$ip" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }')
	if [ -z "$name" ]; then
		die "DOCKMR_NODE_IP=\"$ip\" is not an address of this machine; want one of: $(ip -o -4 addr show | awk '{ split($4, a, "/"); printf "%s%s", sep, a[1]; sep = ", " }')"
	fi
	echo "$name"
}

# default_node_ip: the source address towards the server, else the first
# address of this machine.
default_node_ip() {
	local ip=""
	if [ -n "${DOCKMR_SERVER:-}" ]; then
		ip=$(ip -o route get "$DOCKMR_SERVER" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
	fi
	if [ -z "$ip" ]; then
		ip=$(hostname -I | awk '{ print $1 }')
	fi
	[ -n "$ip" ] || die "DOCKMR_NODE_IP is not set and this machine has no address to use; set it"
	echo "$ip"
}

# check_binaries: every program the machine needs is in DOCKMR_SRC.
check_binaries() {
	local f
	for f in nomad dockmr dockmr-task plugins/dockmr-driver; do
		if [ ! -f "$src/$f" ] || [ ! -x "$src/$f" ]; then
			die "DOCKMR_SRC=\"$src\" has no executable $f: build the binaries on the host with \`make build nomad\` (a VM sees the repository's bin/ at /vagrant/bin)"
		fi
	done
}

# apt_install PACKAGE...: installs the packages not installed yet.
apt_install() {
	local -a missing=()
	local p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	[ "${#missing[@]}" -gt 0 ] || return 0
	log "installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# put DEST MODE: writes standard input to DEST when it differs, through a
# temporary file renamed into place, so that nothing ever reads half a file.
# Sets changed=true when it wrote.
put() {
	local dest=$1 mode=$2 tmp
	mkdir -p "$(dirname "$dest")"
	tmp=$(mktemp "$dest.XXXXXX")
	if ! cat >"$tmp"; then
		rm -f "$tmp"
		die "cannot write $dest"
	fi
	if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
		rm -f "$tmp"
		return 0
	fi
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$dest"
	changed=true
	log "wrote $dest"
}

install_binaries() {
	put /usr/local/bin/nomad 0755 <"$src/nomad"
	put "$prefix/bin/dockmr" 0755 <"$src/dockmr"
	put "$prefix/bin/dockmr-task" 0755 <"$src/dockmr-task"
	put "$prefix/plugins/dockmr-driver" 0755 <"$src/plugins/dockmr-driver"
	ln -sfn "$prefix/bin/dockmr" /usr/local/bin/dockmr
}

# start_service UNIT SYSV_NAME: enabled and started with systemd, else
# started with its init script.
start_service() {
	if $systemd; then
		# -q would hide why a start failed, not only the chatter of enable.
		systemctl enable -q "$1"
		systemctl start "$1"
	else
		service "$2" start >/dev/null
	fi
}

# export_data_dir: the server's data directory, shared with the network.
# all_squash maps every client's writes, root's included, to the owner, so
# files made by tasks on clients and by dockmr on the server share one owner.
# Tasks run as nobody (the driver's default_user): on NFS the squash lets
# them write; a directory that is not shared is open to all, like /tmp.
export_data_dir() {
	install -d -m "$(data_dir_mode)" -o "$owner" -g "$owner_group" "$data_dir"
	[ "$share" = nfs ] || return 0
	apt_install nfs-kernel-server
	printf '%s %s(rw,sync,no_subtree_check,all_squash,anonuid=%s,anongid=%s)\n' \
		"$data_dir" "$network" "$(id -u "$owner")" "$(id -g "$owner")" |
		put /etc/exports.d/dockmr.exports 0644
	start_service nfs-server nfs-kernel-server
	exportfs -ra
}

# data_dir_mode: the mode of the data directory, which tasks write as nobody.
data_dir_mode() {
	if [ "$share" = nfs ]; then
		echo 0755
	else
		echo 1777
	fi
}

# mount_data_dir: the server's export at the same path on a client.
# x-systemd.automount mounts it on first use after a reboot, whichever
# machine comes up first.
mount_data_dir() {
	if [ "$share" != nfs ]; then
		install -d -m "$(data_dir_mode)" -o "$owner" -g "$owner_group" "$data_dir"
		return 0
	fi
	mkdir -p "$data_dir"
	apt_install nfs-common
	local source=$server:$data_dir
	{
		awk -v dir="$data_dir" '/^[[:space:]]*#/ || $2 != dir' /etc/fstab
		printf '%s %s nfs rw,hard,_netdev,x-systemd.automount 0 0\n' "$source" "$data_dir"
	} | put /etc/fstab 0644
	if $systemd; then
		systemctl daemon-reload
	fi
	if findmnt -n -t nfs,nfs4 -S "$source" -M "$data_dir" >/dev/null; then
		return 0
	fi
	# The server may still be coming up when the machines start together.
	local i err
	for i in $(seq 1 60); do
		if err=$(mount -t nfs -o rw,hard "$source" "$data_dir" 2>&1); then
			log "mounted $source at $data_dir"
			return 0
		fi
		[ "$i" -gt 1 ] || log "waiting for the server's export $source"
		sleep 5
	done
	die "cannot mount $source at $data_dir within 5 minutes: $err; is the server provisioned, and does its DOCKMR_NETWORK hold $node_ip?"
}

start_docker() {
	apt_install docker.io
	if $systemd; then
		start_service docker docker
	else
		"$here/docker-up.sh"
	fi
}

# load_image: the example image, from the host's `docker save` when there
# is one, else built here like `make image` does: no registry is needed.
load_image() {
	if [ -f "$image_tar" ]; then
		log "loading $image_tar"
		docker load -q -i "$image_tar" >/dev/null
	else
		log "building $image ($image_tar is missing)"
		apt_install busybox-static
		local ctx a
		ctx=$(mktemp -d)
		mkdir "$ctx/bin"
		cp "$here/../examples/image/Dockerfile" "$ctx/"
		cp "$src/dockmr-task" /bin/busybox "$ctx/bin/"
		for a in $(/bin/busybox --list); do
			[ -e "$ctx/bin/$a" ] || ln -s busybox "$ctx/bin/$a"
		done
		DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null
		rm -rf "$ctx"
	fi
	docker image inspect "$image" >/dev/null 2>&1 ||
		die "$image_tar does not hold $image; on the host: docker save $image -o bin/examples-image.tar"
}

install_agent() {
	printf '%s\n' "$config" | put "/etc/nomad.d/$role.hcl" 0644
	local other=client
	if [ "$role" = client ]; then
		other=server
	fi
	if [ -e "/etc/nomad.d/$other.hcl" ]; then
		rm -f "/etc/nomad.d/$other.hcl"
		changed=true
	fi
	put /etc/systemd/system/nomad.service 0644 <"$here/nomad/nomad.service"
	mkdir -p /var/lib/nomad
}

# start_nomad: as a systemd service, or, on a machine without systemd
# (a container), as a background process.
start_nomad() {
	if $systemd; then
		systemctl daemon-reload
		systemctl enable -q nomad
		if $changed; then
			systemctl restart nomad
		else
			systemctl start nomad
		fi
		return 0
	fi
	local pidfile=/run/dockmr-nomad.pid pid
	if [ -s "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
		$changed || return 0
		kill -INT "$pid"
		while kill -0 "$pid" 2>/dev/null; do
			sleep 0.5
		done
	fi
	nohup /usr/local/bin/nomad agent -config /etc/nomad.d >>/var/log/nomad.log 2>&1 &
	echo $! >"$pidfile"
	log "started nomad (log: /var/log/nomad.log)"
}

# make_shuffle_dir: the client's local shuffle directory, written by the
# tasks and the shuffle server as nobody.
make_shuffle_dir() {
	install -d -m 0700 -o nobody -g "$(id -gn nobody)" "$shuffle_dir"
}

# start_shuffle: the server registers the shuffle servers' system job.
start_shuffle() {
	NOMAD_ADDR=http://$node_ip:4646 "$prefix/bin/dockmr" shuffle start --image "$image" >/dev/null
	log "registered the shuffle servers' job dockmr-shuffle"
}

# wait_ready: the agent answers, and a client's dockmr-driver is healthy.
wait_ready() {
	local addr=http://$node_ip:4646 i
	for i in $(seq 1 120); do
		if [ "$role" = server ]; then
			/usr/local/bin/nomad agent-info -address="$addr" >/dev/null 2>&1 && return 0
		else
			/usr/local/bin/nomad node status -address="$addr" -self -verbose 2>/dev/null |
				grep -Eq '^dockmr-driver +true +true' && return 0
		fi
		sleep 1
	done
	if [ "$role" = server ]; then
		die "the Nomad server does not answer at $addr after 2 minutes; see journalctl -u nomad or /var/log/nomad.log"
	fi
	die "the Nomad client at $addr has not registered a healthy dockmr-driver after 2 minutes; see journalctl -u nomad or /var/log/nomad.log"
}

# Settle and check every value before changing anything.

[ $# -eq 1 ] || usage
role=$1
case $role in
server | client) ;;
*) usage ;;
esac

src=${DOCKMR_SRC:-/vagrant/bin}
prefix=${DOCKMR_PREFIX:-/opt/dockmr}
data_dir=${DOCKMR_DATA_DIR:-/srv/dockmr}
shuffle_dir=${DOCKMR_SHUFFLE_DIR:-/var/lib/dockmr/shuffle}
shuffle_port=${DOCKMR_SHUFFLE_PORT:-13562}
image=${DOCKMR_IMAGE:-dockmr/examples:dev}
image_tar=${DOCKMR_IMAGE_TAR:-$src/examples-image.tar}
share=${DOCKMR_SHARE:-nfs}
case $share in
nfs | none) ;;
*) die "DOCKMR_SHARE=\"$share\" is not accepted: want nfs or none" ;;
esac

node_ip=${DOCKMR_NODE_IP:-$(default_node_ip)}
node_name=${DOCKMR_NODE_NAME:-$(hostname -s)}
server=${DOCKMR_SERVER:-}
if [ -z "$server" ]; then
	[ "$role" = server ] || die "DOCKMR_SERVER is not set: give the Nomad server's address on the cluster network, such as 192.168.56.10"
	server=$node_ip
fi
interface=${DOCKMR_INTERFACE:-}
if [ "$role" = client ] && [ -z "$interface" ]; then
	interface=$(interface_of "$node_ip")
fi

# The renderer checks the addresses, names and paths.
config=$(DOCKMR_NODE_NAME=$node_name DOCKMR_NODE_IP=$node_ip DOCKMR_SERVER=$server \
	DOCKMR_INTERFACE=$interface DOCKMR_DATA_DIR=$data_dir DOCKMR_PREFIX=$prefix \
	DOCKMR_SHUFFLE_DIR=$shuffle_dir DOCKMR_SHUFFLE_PORT=$shuffle_port \
	"$here/render-config.sh" "$role")

network=${DOCKMR_NETWORK:-${node_ip%.*}.0/24}
if [[ ! $network =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/([0-9]|[12][0-9]|3[0-2])$ ]]; then
	die "DOCKMR_NETWORK=\"$network\" is not accepted: want an IPv4 network such as 192.168.56.0/24"
fi
owner=${DOCKMR_DATA_OWNER:-}
if [ -z "$owner" ]; then
	owner=root
	if id -u vagrant >/dev/null 2>&1; then
		owner=vagrant
	fi
fi
owner_group=$(id -gn "$owner" 2>/dev/null) || die "DOCKMR_DATA_OWNER=\"$owner\" is not a user of this machine"
check_binaries
if [ "$role" = client ] && [ ! -f "$image_tar" ] && [ ! -f "$here/../examples/image/Dockerfile" ]; then
	die "DOCKMR_IMAGE_TAR=$image_tar is missing and so is $here/../examples/image/Dockerfile to build $image from"
fi
[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages and services"

# Act. A command failing from here on is named, with the step it broke.

trap 'log "failed (line $LINENO): $BASH_COMMAND"' ERR
set -E
systemd=false
if [ -d /run/systemd/system ]; then
	systemd=true
fi
changed=false

install_binaries
if [ "$role" = server ]; then
	export_data_dir
else
	start_docker
	mount_data_dir
	make_shuffle_dir
	load_image
fi
install_agent
start_nomad
wait_ready
if [ "$role" = server ]; then
	start_shuffle
fi
log "$role $node_name ($node_ip) is ready"
