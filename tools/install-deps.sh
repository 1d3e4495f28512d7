#!/bin/sh
# install-deps.sh - installs the Debian packages sitrep needs to build, test and run
# the demo, when any is missing. Silent when nothing is missing; idempotent.
# With --bench, also what bench/tui.sh and bench/graph.sh measure sitrep against
# (htop, btop, tig).
set -eu

packages="build-essential pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev
libsqlite3-dev libgit2-dev zlib1g-dev libcmocka-dev libmicrohttpd-dev sqlite3 tmux git
valgrind time hyperfine clang-format curl jq
prometheus prometheus-alertmanager prometheus-node-exporter
postgresql zabbix-server-pgsql zabbix-frontend-php php-pgsql php-cli zabbix-agent"
[ "${1:-}" = --bench ] && packages="$packages htop btop tig"

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "sitrep: missing packages:$missing" >&2
	echo "sitrep: this is not a Debian system; install their equivalents by hand." >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo -n"
else
	echo "sitrep: missing Debian packages:$missing" >&2
	echo "sitrep: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "sitrep: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	$sudo apt-get update -qq >/dev/null
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
