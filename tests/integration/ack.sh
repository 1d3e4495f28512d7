#!/bin/bash
# ack.sh - `sitrep ack SOURCE ID` against sitrep-sim's Opsgenie and Zabbix dialects:
# the acknowledge reaches the upstream (one POST, the GenieKey; event.acknowledge
# with the session), the sync that follows brings acknowledged_at (the simulated
# now) into `sitrep export incidents`, and a later plain sync keeps it; upstreams
# without an acknowledge say so and send nothing; an unknown alert, an unknown
# event, a 403, a 500 and a timeout end in exit 1 with a one-line error and the
# cache unchanged, and a POST that may have reached the upstream is never sent twice.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
now=1740996000
start_sim --start $start --require-token s3cret
cat >"$tmp/config" <<CONF
[sitrep]
	user = alice
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = s3cret
	timeout = 2s
[source "zbx"]
	type = zabbix
	url = $base/zabbix/api_jsonrpc.php
	user = Admin
	password = s3cret
[source "og-down"]
	type = opsgenie
	url = http://127.0.0.1:1
	token = s3cret
[source "am"]
	type = alertmanager
	url = $base/alertmanager
CONF
chmod 600 "$tmp/config"
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
# How many acknowledges the simulator was sent (logged route counts).
og_posts() {
	ctl GET requests | tr -d '\n ' | grep -o '"/opsgenie/v2/alerts/[^"]*/acknowledge":{"count":[0-9]*' |
		grep -o '[0-9]*$' | awk '{n += $1} END {print n + 0}'
}
exported() { run export incidents --source "$1" --format csv | grep -F -- "$2"; }
# The acknowledged_at column of incident $2 of source $1 in the export.
export_ack() {
	run export incidents --source "$1" --format csv |
		awk -F, -v id="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$2 == id { print $c["acknowledged_at"] }'
}
open_unacked() {
	q "SELECT source_id FROM incidents WHERE source = '$1' AND acknowledged_at IS NULL
		AND resolved_at IS NULL ORDER BY detected_at DESC LIMIT 1 OFFSET ${2:-0}"
}

run sync --once --source og --source zbx >/dev/null 2>&1 || fail "the first sync"

# ---- Opsgenie ----
og=$(open_unacked og)
[ -n "$og" ] || fail "no open unacknowledged Opsgenie alert"
[ -z "$(export_ack og "$og")" ] || fail "$og is acknowledged before"
out=$(run ack og "$og" --note "looking" 2>"$tmp/err")
rc=$?
[ $rc = 0 ] || fail "ack og: exit $rc: $(cat "$tmp/err")"
[ "$out" = "acknowledged $og in og" ] || fail "ack og said: $out"
[ "$(export_ack og "$og")" = 2025-03-03T10:00:00Z ] ||
	fail "after the ack the export has acknowledged_at '$(export_ack og "$og")'"
[ "$(og_posts)" = 1 ] || fail "$(og_posts) acknowledges were sent, not 1"
ctl GET requests | tr -d '\n ' | grep -q '"/opsgenie/v2/alerts/requests/[^"]*":{"count":2' ||
	fail "the outcome was not asked for twice (not processed, then done)"
ctl GET requests | tr -d '\n ' | grep -q 'acknowledge":{"count":1,"method":"POST","if_none_match":null,"authorization":"GenieKey","token_ok":true' ||
	fail "the acknowledge did not go out with the GenieKey"
q "SELECT kind, actor FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source_id = '$og' AND kind = 'ack'" | grep -qx 'ack|alice' ||
	fail "no ack event by alice on the timeline"
# The simulated Opsgenie keeps the ack in the alert's log, with its note.
logs=$(curl -s --max-time 5 -H 'Authorization: GenieKey s3cret' "$base/opsgenie/v2/alerts/$og/logs" | tr -d '\n')
echo "$logs" | grep -q '"log": *"Alert acknowledged via API", *"type": *"system", *"owner": *"alice"' ||
	fail "the alert's log has no acknowledge by alice: $logs"
echo "$logs" | grep -q '"log": *"Note added: looking"' || fail "the alert's log has no note: $logs"
run sync --once --source og >/dev/null 2>&1 || fail "a sync after the ack"
[ "$(export_ack og "$og")" = 2025-03-03T10:00:00Z ] || fail "a later sync lost the ack"

# An alert Opsgenie does not have: its 202 turns into "does not exist".
run ack og no-such-alert >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "ack of an unknown alert: exit $rc"
grep -qx 'sitrep: ack: opsgenie acknowledge no-such-alert: Opsgenie did not: Alert does not exist' "$tmp/err" ||
	fail "unknown alert: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "a failure printed on stdout: $(cat "$tmp/out")"

# Faults on the acknowledge: nothing changes, one line, never sent twice.
og2=$(open_unacked og)
for spec in 'status 403' 'status 500' 'delay 4000'; do
	set -- $spec
	before=$(og_posts)
	ctl POST reset >/dev/null
	if [ "$1" = status ]; then
		ctl POST fault "{\"route\":\"/opsgenie/v2/alerts/$og2/acknowledge\",\"kind\":\"status\",\"status\":$2,\"count\":1}" >/dev/null
	else
		ctl POST fault "{\"route\":\"/opsgenie/v2/alerts/$og2/acknowledge\",\"kind\":\"delay\",\"delay_ms\":$2,\"count\":1}" >/dev/null
	fi
	run ack og "$og2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 1 ] || fail "$spec: exit $rc"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$spec: not one line: $(cat "$tmp/err")"
	[ "$(og_posts)" = 1 ] || fail "$spec: the acknowledge was sent $(og_posts) times"
	[ -z "$(export_ack og "$og2")" ] || fail "$spec: the cache changed"
	case $spec in
	'status 403') grep -q 'HTTP 403: .*may not change alerts' "$tmp/err" || fail "403: $(cat "$tmp/err")" ;;
	'status 500') grep -q 'HTTP 500: Internal Server Error' "$tmp/err" || fail "500: $(cat "$tmp/err")" ;;
	*) grep -q 'not sent again: it may have reached Opsgenie' "$tmp/err" || fail "timeout: $(cat "$tmp/err")" ;;
	esac
	: "$before"
done
# The timed-out acknowledge went through on the simulator's side after its delay,
# as it may upstream: the next sync shows it, as the message said.
sleep 3
run sync --once --source og >/dev/null 2>&1 || fail "the sync after the timeout"
[ "$(export_ack og "$og2")" = 2025-03-03T10:00:00Z ] ||
	fail "the timed-out acknowledge that reached the upstream is not in the next sync"
ctl POST reset >/dev/null

# A 429 was refused unprocessed: the acknowledge is sent again after Retry-After.
og3=$(open_unacked og 1)
ctl POST fault "{\"route\":\"/opsgenie/v2/alerts/$og3/acknowledge\",\"kind\":\"rate_limit\",\"status\":429,\"retry_after\":1,\"count\":1}" >/dev/null
run ack og "$og3" >/dev/null 2>"$tmp/err" || fail "429 then ok: $(cat "$tmp/err")"
[ "$(og_posts)" = 2 ] || fail "after a 429 the acknowledge was sent $(og_posts) times, not twice"
[ "$(export_ack og "$og3")" = 2025-03-03T10:00:00Z ] || fail "429 then ok: not in the cache"
ctl POST reset >/dev/null

# ---- Zabbix ----
zb=$(open_unacked zbx)
[ -n "$zb" ] || fail "no open unacknowledged Zabbix problem"
out=$(run ack zbx "$zb" --note "restarting" 2>"$tmp/err")
rc=$?
[ $rc = 0 ] || fail "ack zbx: exit $rc: $(cat "$tmp/err")"
[ "$out" = "acknowledged $zb in zbx" ] || fail "ack zbx said: $out"
[ "$(export_ack zbx "$zb")" = 2025-03-03T10:00:00Z ] ||
	fail "zabbix: the export has acknowledged_at '$(export_ack zbx "$zb")'"
ctl GET requests | tr -d '\n ' | grep -q '"eventids":\["'"$zb"'"\],"action":6,"message":"restarting(alicevia' ||
	fail "event.acknowledge was not logged with action 6 and the message"
q "SELECT text FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source_id = '$zb' AND e.kind = 'ack'" | grep -qx 'restarting (alice via sitrep)' ||
	fail "zabbix: no ack event with the message"
run ack zbx 99999999 >/dev/null 2>"$tmp/err" && fail "an unknown event was acknowledged"
grep -qx 'sitrep: ack: zabbix acknowledge 99999999: Zabbix error -32500 Application error.: No permissions to referred object or it does not exist!' "$tmp/err" ||
	fail "unknown event: $(cat "$tmp/err")"
zb2=$(open_unacked zbx)
ctl POST fault '{"route":"/zabbix/api_jsonrpc.php#event.acknowledge","kind":"status","status":502,"count":1}' >/dev/null
run ack zbx "$zb2" >/dev/null 2>"$tmp/err" && fail "zabbix 502: exit 0"
grep -q 'HTTP 502' "$tmp/err" || fail "zabbix 502: $(cat "$tmp/err")"
[ -z "$(export_ack zbx "$zb2")" ] || fail "zabbix 502: the cache changed"

# Nobody listens: never reached, so tried again (with backoff), then a clear error.
run ack og-down "$og" >/dev/null 2>"$tmp/err" && fail "og-down: exit 0"
grep -q "^sitrep: ack: opsgenie acknowledge $og: Couldn't connect to server" "$tmp/err" ||
	fail "og-down: $(cat "$tmp/err")"
grep -q 'not sent again' "$tmp/err" && fail "og-down: a connection never made is not 'not sent again'"

# ---- upstreams without an acknowledge, and bad use ----
run ack am whatever >/dev/null 2>"$tmp/err" && fail "alertmanager: exit 0"
grep -qx 'sitrep: ack: am: Alertmanager has no acknowledge (a silence mutes an alert; it does not acknowledge it)' "$tmp/err" ||
	fail "alertmanager: $(cat "$tmp/err")"
ctl GET requests | tr -d '\n' | grep -q '/alertmanager/' && fail "alertmanager: a request was made"
run ack nosuch 1 2>"$tmp/err"
[ $? = 1 ] || fail "unknown source: not exit 1"
grep -qx 'sitrep: ack: no \[source "nosuch"\] in the config' "$tmp/err" || fail "unknown source: $(cat "$tmp/err")"
run ack og >/dev/null 2>&1
[ $? = 2 ] || fail "ack without an id is not a usage error"

[ $failures -eq 0 ] && echo "ok: sitrep ack against the simulator" || exit 1
