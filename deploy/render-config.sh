#!/usr/bin/env bash
# Prints the Nomad agent configuration of one dockmr node: deploy/nomad/ROLE.hcl
# with its placeholders (upper-case names between '@' signs) replaced. Writes no file and starts nothing;
# deploy/provision.sh installs what it prints as /etc/nomad.d/ROLE.hcl.
#
# usage: render-config.sh server|client
#
# Environment (every value is checked; a bad one is an error naming it):
#   DOCKMR_NODE_NAME  Nomad node name                     (required)
#   DOCKMR_NODE_IP    this node's cluster address         (required)
#   DOCKMR_SERVER     the Nomad server's address          (client: required)
#   DOCKMR_INTERFACE  interface holding DOCKMR_NODE_IP    (client: required)
#   DOCKMR_DATA_DIR   shared data directory               (default /srv/dockmr)
#   DOCKMR_PREFIX     where the dockmr binaries live      (default /opt/dockmr)
#   DOCKMR_SHUFFLE_DIR  the node's local shuffle directory (default /var/lib/dockmr/shuffle)
#   DOCKMR_SHUFFLE_PORT the node's shuffle server port     (default 13562)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=render-config

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog server|client" >&2
	exit 2
}

# reject NAME VALUE WANT: the error for a value that is not accepted.
reject() {
	die "$1=\"$2\" is not accepted: want $3"
}

check_ipv4() {
	local name=$1 value=$2 octet
	local -a octets
	# Go, hence Nomad, refuses leading zeros.
	[[ $value =~ ^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$ ]] || reject "$name" "$value" "an IPv4 address such as 192.168.56.10"
	IFS=. read -ra octets <<<"$value"
	for octet in "${octets[@]}"; do
		((10#$octet <= 255)) || reject "$name" "$value" "an IPv4 address such as 192.168.56.10 (each part 0 to 255)"
	done
}

# check_path: an absolute, clean path of plain characters, which the agent
# config quotes as is.
check_path() {
	local name=$1 value=$2
	[[ $value =~ ^(/[A-Za-z0-9._-]+)+$ && /$value/ != */./* && /$value/ != */../* ]] ||
		reject "$name" "$value" "an absolute path of letters, digits, '.', '_', '-' and '/', without '.' or '..' parts or a trailing '/'"
}

check_name() {
	local name=$1 value=$2
	[[ $value =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] ||
		reject "$name" "$value" "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
}

check_interface() {
	local name=$1 value=$2
	[[ $value =~ ^[A-Za-z0-9][A-Za-z0-9._:-]{0,14}$ ]] ||
		reject "$name" "$value" "a network interface name such as eth1"
}

[ $# -eq 1 ] || usage
role=$1
case $role in
server | client) ;;
*) usage ;;
esac

node_name=${DOCKMR_NODE_NAME:-}
node_ip=${DOCKMR_NODE_IP:-}
data_dir=${DOCKMR_DATA_DIR:-/srv/dockmr}
prefix=${DOCKMR_PREFIX:-/opt/dockmr}
check_name DOCKMR_NODE_NAME "$node_name"
check_ipv4 DOCKMR_NODE_IP "$node_ip"
check_path DOCKMR_DATA_DIR "$data_dir"
check_path DOCKMR_PREFIX "$prefix"
shuffle_dir=${DOCKMR_SHUFFLE_DIR:-/var/lib/dockmr/shuffle}
shuffle_port=${DOCKMR_SHUFFLE_PORT:-13562}
check_path DOCKMR_SHUFFLE_DIR "$shuffle_dir"
if [[ ! $shuffle_port =~ ^[1-9][0-9]{0,4}$ ]] || ((shuffle_port > 65535)); then
	reject DOCKMR_SHUFFLE_PORT "$shuffle_port" "a port number from 1 to 65535"
fi
[ "$shuffle_dir" != "$data_dir" ] || reject DOCKMR_SHUFFLE_DIR "$shuffle_dir" "a local directory other than DOCKMR_DATA_DIR"

server_ip=${DOCKMR_SERVER:-}
interface=${DOCKMR_INTERFACE:-}
if [ "$role" = client ]; then
	check_ipv4 DOCKMR_SERVER "$server_ip"
	check_interface DOCKMR_INTERFACE "$interface"
fi

template=$here/nomad/$role.hcl
config=$(<"$template") || die "cannot read the template $template"

# Quoted replacements: bash 5.2 would otherwise read '&' in them as the match.
config=${config//@NODE_NAME@/"$node_name"}
config=${config//@NODE_IP@/"$node_ip"}
config=${config//@SERVER_IP@/"$server_ip"}
config=${config//@INTERFACE@/"$interface"}
config=${config//@DATA_DIR@/"$data_dir"}
config=${config//@PREFIX@/"$prefix"}
config=${config//@SHUFFLE_DIR@/"$shuffle_dir"}
config=${config//@SHUFFLE_PORT@/"$shuffle_port"}

if [[ $config =~ @[A-Z_]+@ ]]; then
	die "$template has the placeholder ${BASH_REMATCH[0]}, which this script does not fill in"
fi
printf '%s\n' "$config"
