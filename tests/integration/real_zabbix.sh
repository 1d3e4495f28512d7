#!/bin/bash
# real_zabbix.sh - `sitrep sync --once` against a real Zabbix 6.0 from Debian's packages
# (PostgreSQL, zabbix_server, zabbix_agentd and the frontend's API under php -S),
# started here on loopback by tests/realservers/zabbix.sh. Problems raised by values
# sent with zabbix_sender become incidents with the API's own clocks (detection,
# first acknowledge, recovery), severities and service; the acknowledgement's message
# and the recovery are events; float and unsigned history arrive as samples equal to
# history.get; a second round adds nothing; user + password (one user.login, one
# user.logout, by Zabbix's audit log) gives the same as the API token; a wrong token
# ends in exit 1 and "Not authorized" in `sitrep status`; neither the token, the
# password nor the session is ever printed or logged. Only the test host's problems
# are asserted on. If a server cannot start, the test fails and shows their logs.
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
# Milliseconds since the test started, for the log.
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
	for _ in $(seq 60); do
		zbx_send "${lines[@]}"
		for _ in 1 2 3 4; do
			sleep 0.1
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

# --- History of a float item with no trigger, at past times (zabbix_sender -T)
now=$(date +%s)
load_ts=($((now - 240)) $((now - 180)) $((now - 120)) $((now - 60)))
load_v=(1.5 2.25 3.75 0.5)
lines=()
for i in 0 1 2 3; do lines+=("$ZBX_HOST sitrep.load ${load_ts[i]} ${load_v[i]}"); done
for _ in $(seq 30); do zbx_send -T "${lines[@]}" && break; sleep 0.5; done
# The acknowledgement and the recovery come in a later second than the problems, so
# that every milestone is told apart.
while [ "$(date +%s)" -le "$cpu_clock" ] || [ "$(date +%s)" -le "$st_clock" ]; do sleep 0.1; done
ack_msg="sitrep test: looking into it ($$)"
zbx_api event.acknowledge "$(jq -cn --arg e "$cpu_event" --arg m "$ack_msg" \
	'{eventids: [$e], action: 6, message: $m}')" >/dev/null || die "event.acknowledge"
fire "$ZBX_TRIGGERID_STATUS" '.r_eventid != "0"' "sitrep.status 1" || die "the status problem did not recover"
mark "acknowledged and recovered"

history() {
	zbx_api history.get "{\"history\": 0, \"itemids\": [\"$ZBX_ITEMID_LOAD\"], \"sortfield\": \"clock\",
		\"sortorder\": \"ASC\", \"time_from\": $((now - 600))}"
}
for _ in $(seq 50); do
	[ "$(history | jq length)" = 4 ] && break
	sleep 0.2
done
[ "$(history | jq length)" = 4 ] || die "history.get does not show the 4 values sent: $(history)"
# What the API says now: the truth the cache is checked against.
p=$(problems)
read -r cpu_event cpu_clock cpu_r cpu_acked <<<"$(problem_of "$ZBX_TRIGGERID_CPU" "$p")"
read -r st_event st_clock st_r st_acked <<<"$(problem_of "$ZBX_TRIGGERID_STATUS" "$p")"
ack_clock=$(jq -r --arg e "$cpu_event" '.[] | select(.eventid == $e) | .acknowledges[0].clock' <<<"$p")
[ "$cpu_r" = 0 ] && [ "$cpu_acked" = 1 ] && [ -n "$ack_clock" ] || die "the CPU problem is not open and acknowledged: $p"
[ "$st_r" -gt "$st_clock" ] && [ "$st_acked" = 0 ] || die "the status problem is not resolved: $p"
mark "API: cpu $cpu_event at $cpu_clock acked at $ack_clock; status $st_event at $st_clock resolved at $st_r"

# --- sitrep, with the API token
export ZBX_TOKEN ZBX_PASSWORD ZBX_BAD_TOKEN
ZBX_BAD_TOKEN=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
# Its own state directory, to look for secrets in what sitrep writes there.
export XDG_STATE_HOME=$tmp/state
cat >"$tmp/config" <<CONF
[source "zbx"]
	type = zabbix
	url = $ZBX_URL
	token = env:ZBX_TOKEN
[metric "web.cpu"]
	source = zbx
	query = $ZBX_HOST:sitrep.load
[metric "web.status"]
	source = zbx
	query = $ZBX_ITEMID_STATUS
CONF
sed -e 's/"zbx"/"zbxpw"/' -e 's/= zbx$/= zbxpw/' \
	-e "s/token = env:ZBX_TOKEN/user = $ZBX_USER\n\tpassword = env:ZBX_PASSWORD/" \
	"$tmp/config" >"$tmp/config-pw"
sed -e 's/"zbx"/"zbxbad"/' -e 's/= zbx$/= zbxbad/' -e 's/env:ZBX_TOKEN/env:ZBX_BAD_TOKEN/' \
	"$tmp/config" >"$tmp/config-bad"
chmod 600 "$tmp"/config*
db=$tmp/cache.db
run() { # NAME CONFIG ARGS...: sitrep's stdout and stderr kept as $tmp/NAME.{out,err}
	local name=$1 cfg=$2
	shift 2
	"$SITREP" --config "$cfg" --db "$db" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
q() { sqlite3 "$db" "$1"; }

run sync1 "$tmp/config" sync --once --verbose || fail "sync with the token: $(cat "$tmp/sync1.err")"
mark "sitrep sync 1"
grep -q '^zbx  *ok' "$tmp/sync1.out" || fail "no ok line for zbx: $(cat "$tmp/sync1.out")"

# Every problem event of the test host is an incident; Zabbix's own host is left out
# (it may raise problems of its own).
events=$(zbx_api event.get "{\"output\": [\"eventid\"], \"hostids\": [\"$H\"], \"value\": 1,
	\"source\": 0, \"object\": 0, \"sortfield\": [\"eventid\"]}" | jq -r '[.[].eventid] | join(",")')
[ "$events" = "$cpu_event,$st_event" ] || fail "event.get lists problems $events, expected $cpu_event,$st_event"
inc() { # SOURCE EVENTID: the incident's milestones and mapping, as the cache has them
	q "SELECT i.detected_at, coalesce(i.impact_start, '-'), coalesce(i.acknowledged_at, '-'),
		coalesce(i.resolved_at, '-'), coalesce(i.closed_at, '-'), i.severity, i.impact, s.name
		FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = '$1' AND i.source_id = '$2'"
}
# The CPU problem: detected at its clock, open, acknowledged at the acknowledge's
# clock; high (4) is P2, degraded; the trigger's service tag is the service.
want_cpu="$cpu_clock|-|$ack_clock|-|-|P2|1|web"
got=$(inc zbx "$cpu_event")
[ "$got" = "$want_cpu" ] || fail "CPU problem $cpu_event: got '$got', expected '$want_cpu'"
# The status problem: resolved (and closed) at r_clock, never acknowledged;
# disaster (5) is P1, an outage.
want_st="$st_clock|-|-|$st_r|$st_r|P1|0|web"
got=$(inc zbx "$st_event")
[ "$got" = "$want_st" ] || fail "status problem $st_event: got '$got', expected '$want_st'"
n=$(q "SELECT count(*) FROM incidents i JOIN services s ON s.id = i.service_id
	WHERE i.source = 'zbx' AND s.name = 'web'")
[ "$n" = 2 ] || fail "expected 2 incidents of service web, got $n"
title=$(q "SELECT title FROM incidents WHERE source = 'zbx' AND source_id = '$cpu_event'")
[ "$title" = "sitrep CPU above 90% on $ZBX_HOST" ] || fail "CPU problem's title: '$title'"
# The timeline: the trigger, the acknowledgement with its message and user, the recovery.
evs() {
	q "SELECT e.kind, e.at, coalesce(e.actor, '-'), coalesce(e.text, '-') FROM incident_events e
		JOIN incidents i ON i.id = e.incident_id
		WHERE i.source = '$1' AND i.source_id = '$2' ORDER BY e.at, e.kind"
}
want="trigger|$cpu_clock|-|-
ack|$ack_clock|Admin|$ack_msg"
[ "$(evs zbx "$cpu_event")" = "$want" ] || fail "CPU problem's events: '$(evs zbx "$cpu_event")', expected '$want'"
want="trigger|$st_clock|-|-
resolve|$st_r|-|-"
[ "$(evs zbx "$st_event")" = "$want" ] || fail "status problem's events: '$(evs zbx "$st_event")', expected '$want'"

# Samples: exactly history.get's values and clocks (the last of a second when there
# are several), for a float item by HOST:KEY and an unsigned one by itemid.
samples() { # SOURCE METRIC
	q "SELECT s.ts || '|' || printf('%g', s.value) FROM metric_samples s
		JOIN metric_series m ON m.id = s.series_id
		WHERE m.source = '$1' AND m.name = '$2' ORDER BY s.ts"
}
api_history() { # ITEMID TYPE
	zbx_api history.get "{\"history\": $2, \"itemids\": [\"$1\"], \"time_from\": $((now - 3600))}" |
		jq -r 'group_by(.clock | tonumber) | map(max_by(.ns | tonumber)) | .[] |
			"\(.clock)|\(.value | tonumber)"'
}
want=""
for i in 0 1 2 3; do want="$want${load_ts[i]}|${load_v[i]}"$'\n'; done
want=${want%$'\n'}
[ "$(api_history "$ZBX_ITEMID_LOAD" 0)" = "$want" ] || fail "history.get of sitrep.load: '$(api_history "$ZBX_ITEMID_LOAD" 0)'"
[ "$(samples zbx web.cpu)" = "$want" ] || fail "web.cpu samples: '$(samples zbx web.cpu)', expected '$want'"
want=$(api_history "$ZBX_ITEMID_STATUS" 3)
[ -n "$want" ] && [ "$(samples zbx web.status)" = "$want" ] ||
	fail "web.status samples: '$(samples zbx web.status)', expected history.get's '$want'"
[ "$(q "SELECT s.name FROM metric_series m JOIN services s ON s.id = m.service_id
	WHERE m.source = 'zbx' AND m.name = 'web.cpu'")" = web ] || fail "web.cpu's service is not web"

# --- A second round adds nothing.
counts() {
	q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_events) ||
		'/' || (SELECT count(*) FROM metric_samples)"
}
before=$(counts)
run sync2 "$tmp/config" sync --once || fail "second sync: $(cat "$tmp/sync2.err")"
[ "$(counts)" = "$before" ] || fail "the second sync changed the counts: $before -> $(counts)"
[ "$(inc zbx "$cpu_event")" = "$want_cpu" ] || fail "the second sync changed the CPU problem: $(inc zbx "$cpu_event")"
mark "sitrep sync 2"

# --- User and password: a session opened by user.login and closed by user.logout
# (Zabbix's audit log counts both; a logout leaves no active session of Admin).
logins() {
	zbx_sql "SELECT count(*) FILTER (WHERE action = 8) || '/' || count(*) FILTER (WHERE action = 4)
		FROM auditlog WHERE userid = 1 AND resourcetype = 0"
}
a0=$(logins)
run sync3 "$tmp/config-pw" sync --once --verbose || fail "sync with user and password: $(cat "$tmp/sync3.err")"
mark "sitrep sync 3 (password)"
a1=$(logins)
[ "$a1" = "$((${a0%/*} + 1))/$((${a0#*/} + 1))" ] || fail "not one login and one logout: audit log (logins/logouts) $a0 -> $a1"
n=$(zbx_sql "SELECT count(*) FROM sessions WHERE userid = 1 AND status = 0")
[ "$n" = 0 ] || fail "sitrep left $n session(s) open"
session=$(zbx_sql "SELECT sessionid FROM sessions WHERE userid = 1 ORDER BY lastaccess DESC LIMIT 1")
[ ${#session} = 32 ] || fail "no session of sitrep's in Zabbix's database: '$session'"
for e in "$cpu_event" "$st_event"; do
	[ "$(inc zbxpw "$e")" = "$(inc zbx "$e")" ] || fail "with the password, problem $e: '$(inc zbxpw "$e")'"
	[ "$(evs zbxpw "$e")" = "$(evs zbx "$e")" ] || fail "with the password, the events of $e differ"
done
[ "$(samples zbxpw web.cpu)" = "$(samples zbx web.cpu)" ] || fail "with the password, web.cpu differs"

# --- A wrong token: exit 1, a clear error, the data kept.
before=$(counts)
run sync4 "$tmp/config-bad" sync --once
[ $? = 1 ] || fail "a wrong token: exit 1 expected"
mark "sitrep sync 4 (wrong token)"
grep -q 'Not authorized' "$tmp/sync4.err" || fail "a wrong token: no 'Not authorized' in '$(cat "$tmp/sync4.err")'"
run status "$tmp/config-bad" status --format json
jq -e '.sources[] | select(.name == "zbxbad") | .state == "failing" and (tostring | test("Not authorized"))' \
	"$tmp/status.out" >/dev/null || fail "status does not say zbxbad fails with 'Not authorized': $(cat "$tmp/status.out")"
[ "$(counts)" = "$before" ] || fail "a failed sync changed the data: $before -> $(counts)"

# --- No secret is ever printed or logged (the traces of --verbose included).
for f in "$tmp"/*.out "$tmp"/*.err $(find "$XDG_STATE_HOME" -type f 2>/dev/null); do
	for secret in "$ZBX_TOKEN" "$ZBX_PASSWORD" "$ZBX_BAD_TOKEN" "${session:-no session}"; do
		grep -qF -- "$secret" "$f" && fail "a secret (${secret:0:4}...) appears in $f"
	done
done
grep -q 'api_jsonrpc' "$tmp/sync1.err" || fail "--verbose traced no request: $(head -c 300 "$tmp/sync1.err")"

# The server polls the agent (its first poll of a new item takes a few seconds,
# which the runs of sitrep above have mostly spent).
ping() { zbx_api item.get "{\"itemids\": [\"$ZBX_ITEMID_PING\"], \"output\": [\"lastvalue\"]}" | jq -r '.[0].lastvalue'; }
for _ in $(seq 100); do
	[ "$(ping)" = 1 ] && break
	sleep 0.2
done
[ "$(ping)" = 1 ] || fail "zabbix_server did not get agent.ping from zabbix_agentd within 20 s"
mark "agent polled"

echo "real_zabbix: $failures failure(s)"
[ $failures = 0 ]
