#!/bin/bash
# real_zabbix.sh - `sitrep sync --once` against a real Zabbix 6.0 from Debian's packages
# (PostgreSQL, zabbix_server, zabbix_agentd and the frontend's API under php -S),
# started here on loopback by tests/realservers/zabbix.sh. Problems raised by values
# sent with zabbix_sender become incidents with the API's own clocks; an
# acknowledgement with a message and a recovery arrive; float history arrives as
# samples; a second round adds nothing; user + password works as well as an API
# token; a wrong token fails clearly; no secret is ever printed or logged. If a
# server cannot start, the test fails and shows the servers' logs.
set -u
SITREP=${SITREP:-./sitrep}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../realservers/zabbix.sh"

# State on tmpfs when there is one: the database's files are removed in no time.
shm=/dev/shm
[ -d $shm ] && [ -w $shm ] || shm=/tmp
tmp=$(mktemp -d -p "$shm" sitrep-zbx.XXXXXX)
zdir=$tmp/zabbix
chmod 755 "$tmp" # for the servers' users; the files with secrets are 600
cleanup() {
	zabbix_down "$zdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() {
	echo "FAIL: $*"
	zabbix_logs "$zdir"
	exit 1
}
# The seconds since the test started, for the log.
t0=$(date +%s%N)
mark() { echo "$((($(date +%s%N) - t0) / 1000000))ms $*"; }

for b in sqlite3 curl jq; do
	command -v $b >/dev/null || die "$b is not installed (make check installs it: tools/install-deps.sh)"
done
# Four ports in a range of their own, moved by the process id so two runs can coexist.
zabbix_up "$zdir" $((24000 + $$ % 500 * 4)) || die "the Zabbix servers did not come up"
mark "Zabbix $ZBX_VERSION up"
H=$ZBX_HOSTID

# A problem's fields, from the API: problem.get on the test host (recent, so that a
# resolved problem is still listed), selected by trigger.
problems() {
	zbx_api problem.get "{\"output\": \"extend\", \"hostids\": [\"$H\"], \"recent\": true,
		\"selectAcknowledges\": \"extend\", \"sortfield\": [\"eventid\"]}"
}
# "eventid clock r_clock acknowledged" of the newest problem of trigger $1 in JSON $2.
problem_of() {
	jq -r --arg t "$1" '[.[] | select(.objectid == $t)] | last // empty |
		"\(.eventid) \(.clock) \(.r_clock) \(.acknowledged)"' <<<"$2"
}
# Sends "key value"... until the triggers in $1 ("TRIGGERID ..."), each have a problem
# that satisfies the jq condition $2: the items and triggers reach the server's
# configuration cache about a second apart, and a trigger only looks at values that
# arrive after it, so the first value can be lost (or rejected: "failed: 1").
fire() {
	local triggers=$1 cond=$2 line lines=() p t ok
	shift 2
	for line in "$@"; do lines+=("$ZBX_HOST $line"); done
	for _ in $(seq 30); do
		zbx_send "${lines[@]}"
		for _ in 1 2 3 4 5; do
			sleep 0.2
			p=$(problems) || return 1
			ok=1
			for t in $triggers; do
				jq -e --arg t "$t" "[.[] | select(.objectid == \$t)] | last // {} | $cond" \
					<<<"$p" >/dev/null || ok=0
			done
			[ $ok = 1 ] && return 0
		done
	done
	return 1
}

# --- Problems: CPU at 95 (trigger "> 90", high) and status 0 (trigger "= 0", disaster)
fire "$ZBX_TRIGGERID_CPU $ZBX_TRIGGERID_STATUS" '.eventid != null' "sitrep.cpu 95" "sitrep.status 0" ||
	die "no problems after 30 s of sending values"
p=$(problems)
read -r cpu_event cpu_clock _ _ <<<"$(problem_of "$ZBX_TRIGGERID_CPU" "$p")"
read -r st_event st_clock _ _ <<<"$(problem_of "$ZBX_TRIGGERID_STATUS" "$p")"
mark "problems $cpu_event at $cpu_clock and $st_event at $st_clock"

# The acknowledgement and the recovery come in a later second than the problems, so
# that every milestone is told apart.
while [ "$(date +%s)" -le "$cpu_clock" ] || [ "$(date +%s)" -le "$st_clock" ]; do sleep 0.1; done
ack_msg="sitrep test: looking into it ($$)"
zbx_api event.acknowledge "$(jq -cn --arg e "$cpu_event" --arg m "$ack_msg" \
	'{eventids: [$e], action: 6, message: $m}')" >/dev/null || die "event.acknowledge"
fire "$ZBX_TRIGGERID_STATUS" '.r_eventid != "0"' "sitrep.status 1" || die "the status problem did not recover"

# --- History of a float item with no trigger, at past times (zabbix_sender -T)
now=$(date +%s)
load_ts=($((now - 240)) $((now - 180)) $((now - 120)) $((now - 60)))
load_v=(1.5 2.25 3.75 0.5)
lines=()
for i in 0 1 2 3; do lines+=("$ZBX_HOST sitrep.load ${load_ts[i]} ${load_v[i]}"); done
for _ in $(seq 30); do zbx_send -T "${lines[@]}" && break; sleep 0.5; done
history() {
	zbx_api history.get "{\"history\": 0, \"itemids\": [\"$ZBX_ITEMID_LOAD\"], \"sortfield\": \"clock\",
		\"sortorder\": \"ASC\", \"time_from\": $((now - 600))}"
}
for _ in $(seq 50); do
	[ "$(history | jq length)" = 4 ] && break
	sleep 0.2
done
[ "$(history | jq length)" = 4 ] || die "history.get does not show the 4 values sent: $(history)"
# The agent answers the server's passive checks.
ping() { zbx_api item.get "{\"itemids\": [\"$ZBX_ITEMID_PING\"], \"output\": [\"lastvalue\"]}" | jq -r '.[0].lastvalue'; }
for _ in $(seq 100); do
	[ "$(ping)" = 1 ] && break
	sleep 0.2
done
[ "$(ping)" = 1 ] || die "zabbix_agentd did not answer agent.ping"

# What the API says now: the truth the cache is checked against.
p=$(problems)
read -r cpu_event cpu_clock cpu_r cpu_acked <<<"$(problem_of "$ZBX_TRIGGERID_CPU" "$p")"
read -r st_event st_clock st_r st_acked <<<"$(problem_of "$ZBX_TRIGGERID_STATUS" "$p")"
ack_clock=$(jq -r --arg e "$cpu_event" '.[] | select(.eventid == $e) | .acknowledges[0].clock' <<<"$p")
[ "$cpu_r" = 0 ] && [ "$cpu_acked" = 1 ] && [ -n "$ack_clock" ] || die "the CPU problem is not open and acknowledged: $p"
[ "$st_r" -gt "$st_clock" ] && [ "$st_acked" = 0 ] || die "the status problem is not resolved: $p"
mark "API: cpu $cpu_event at $cpu_clock acked at $ack_clock; status $st_event at $st_clock resolved at $st_r"

echo "real_zabbix: $failures failure(s)"
[ $failures = 0 ]
