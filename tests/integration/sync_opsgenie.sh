#!/bin/bash
# sync_opsgenie.sh - `sitrep sync --once` of an opsgenie source against sitrep-sim's
# Opsgenie dialect over loopback: several hundred alerts arrive over several pages
# as exactly as many incidents, with the scenario's milestones; the GenieKey goes
# along; a second round asks only for what changed (updatedAt>=CURSOR) and adds
# nothing; an hour later the changes of that hour arrive; a paging.next that repeats
# its own URL (stuck_cursor) stops the round with exit 1 and a "did not advance"
# error, keeping every page committed before it; a 429 with Retry-After: 1 is
# retried and succeeds; other faults end in a clear error with the data intact.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
start_sim --start $start --require-token og-s3cret

# og2 reads the same account under another name, so with a cursor of its own.
cat >"$tmp/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = og-s3cret
	service = ops
[source "og2"]
	type = opsgenie
	url = $base/opsgenie/
	token = og-s3cret
CONF
chmod 600 "$tmp/config"
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
# The simulator's own count of its alerts (GET /v2/alerts/count, with the key).
sim_count() {
	curl -s --max-time 5 -H 'Authorization: GenieKey og-s3cret' "$base/opsgenie/v2/alerts/count" |
		grep -o '"count": *[0-9]*' | grep -o '[0-9]*$'
}
# The last request the simulator logged for the alert list, on one line.
last_request() { ctl GET requests | tr -d '\n' | grep -o '"/opsgenie/v2/alerts": *{[^}]*}[^}]*}'; }
# A field of the scenario's incident ID from /_sim/scenario, as epoch seconds.
truth() {
	local t
	t=$(ctl GET scenario | tr -d '\n' | grep -o "{\"id\": *\"$1\"[^}]*}" |
		grep -o "\"$2\": *\"[^\"]*\"" | cut -d'"' -f4)
	date -u -d "$t" +%s
}
# pages of the last round of a source, from `sitrep status --format json`.
pages_of() {
	run status --format json | tr -d '\n' | grep -o "\"name\": *\"$1\".*" |
		grep -o '"pages": *[0-9]*' | head -1 | grep -o '[0-9]*$'
}

# --- every alert, over several pages, once
total=$(sim_count)
[ -n "$total" ] && [ "$total" -gt 300 ] || fail "the simulator should hold several hundred alerts, has '$total'"
run sync --once --source og >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^og  *ok' "$tmp/out" || fail "no ok line for og: $(cat "$tmp/out")"
p=$(pages_of og)
[ -n "$p" ] && [ "$p" -gt 1 ] || fail "expected several pages, status says '$p'"
[ "$p" = $(((total + 99) / 100)) ] || fail "$total alerts in pages of 100 are not $p pages"
n=$(q "SELECT count(*) FROM incidents WHERE source = 'og'")
[ "$n" = "$total" ] || fail "expected $total incidents, got $n"
last_request | grep -q '"authorization": *"GenieKey"' || fail "no GenieKey sent: $(last_request)"
last_request | grep -q '"token_ok": *true' || fail "the key was not accepted: $(last_request)"

# --- a scenario incident with its milestones (fire + ms phase, ack, resolve)
row=$(q "SELECT detected_at, acknowledged_at, resolved_at, severity, impact
	FROM incidents WHERE source = 'og' AND title LIKE 'Payments provider timeouts%'")
want="$(truth SIM-103 fire)|$(truth SIM-103 ack)|$(truth SIM-103 resolve)|P1|"
case "$row" in
"$want"*) ;;
*) fail "SIM-103: got '$row', expected '$want...'" ;;
esac
s=$(q "SELECT s.name FROM incidents i JOIN services s ON s.id = i.service_id
	WHERE i.source = 'og' AND i.title LIKE 'Payments provider timeouts%'")
[ "$s" = payments ] || fail "SIM-103: service '$s', expected payments (tag service:payments)"
a=$(q "SELECT e.actor FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source = 'og' AND i.title LIKE 'Payments provider timeouts%' AND e.kind = 'ack'")
[ "$a" = sam ] || fail "SIM-103: ack by '$a', expected sam"
# Still open at the start: acked, not resolved (SIM-110 acks at +12m).
r=$(q "SELECT count(*) FROM incidents WHERE source = 'og' AND resolved_at IS NULL")
[ "$r" -gt 0 ] || fail "no open incident at the start"

# --- a second round asks only for the changes, and adds nothing
before=$(q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_events)")
cursor=$(q "SELECT cursor FROM sync_state WHERE source = 'og' AND stream = 'alerts'")
[ -n "$cursor" ] && [ "$cursor" -gt 0 ] || fail "no cursor stored: '$cursor'"
ctl DELETE requests >/dev/null
run sync --once --source og >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
after=$(q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_events)")
[ "$before" = "$after" ] || fail "the second sync changed the data: $before -> $after"
last_request | grep -q "\"query\": *\"updatedAt>=$cursor\"" ||
	fail "the second sync did not ask for updatedAt>=$cursor: $(last_request)"
last_request | grep -q '"count": *1,' || fail "the second sync took more than one page: $(last_request)"

# --- an hour later: new alerts, and the acks and closes of that hour
ctl POST clock '{"advance": "1h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T11:00:00Z
total2=$(sim_count)
[ "$total2" -gt "$total" ] || fail "no new alert after an hour ($total -> $total2)"
run sync --once --source og >/dev/null 2>"$tmp/err" || fail "sync an hour later: $(cat "$tmp/err")"
n=$(q "SELECT count(*) FROM incidents WHERE source = 'og'")
[ "$n" = "$total2" ] || fail "an hour later: expected $total2 incidents, got $n"
r=$(q "SELECT resolved_at FROM incidents WHERE source = 'og' AND title LIKE 'Checkout latency above%'
	ORDER BY detected_at DESC LIMIT 1")
[ "$r" = "$(truth SIM-109 resolve)" ] || fail "SIM-109 resolved at +30m: got '$r'"

# --- stuck_cursor: exit 1, "did not advance", the pages before it kept
route=/opsgenie/v2/alerts
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
og_before=$(q "SELECT count(*) || '/' || max(updated_at) FROM incidents WHERE source = 'og'")
fault "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}"
run sync --once --source og2 >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "stuck_cursor: exit 1 expected"
grep -q 'did not advance' "$tmp/err" || fail "stuck_cursor: error not clear: $(cat "$tmp/err")"
n=$(q "SELECT count(*) FROM incidents WHERE source = 'og2'")
[ "$n" = 100 ] || fail "stuck_cursor: the first page (100 alerts) should be kept, got $n"
run status --format json | tr -d '\n' | grep -q '"name": *"og2", *"type": *"opsgenie", *"state": *"failing"' ||
	fail "stuck_cursor: og2 not failing in status"
[ "$(q "SELECT count(*) || '/' || max(updated_at) FROM incidents WHERE source = 'og'")" = "$og_before" ] ||
	fail "stuck_cursor: og's data changed"
clear_faults
run sync --once --source og2 >/dev/null 2>"$tmp/err" || fail "og2 after the fault: $(cat "$tmp/err")"
n=$(q "SELECT count(*) FROM incidents WHERE source = 'og2'")
[ "$n" = "$total2" ] || fail "og2 after the fault: expected $total2 incidents, got $n"

# --- a 429 asking for a short wait is honoured: the retry succeeds
ctl DELETE requests >/dev/null
fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once --source og >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"
last_request | grep -q '"count": *2,' || fail "429: expected the request and its retry: $(last_request)"
clear_faults

# --- other faults: exit 1, a clear error, nothing lost
before=$(q "SELECT count(*) || '/' || (SELECT count(*) FROM incident_events) FROM incidents")
check_fault() { # json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once --source og >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	after=$(q "SELECT count(*) || '/' || (SELECT count(*) FROM incident_events) FROM incidents")
	[ "$before" = "$after" ] || fail "fault $1: data changed ($before -> $after)"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" 'HTTP 500: Internal Server Error \(an Opsgenie server error\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" 'HTTP 403: .*read access'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" 'alert 0: .* is (missing or )?not a'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'HTTP 429'

# --- a wrong key: Opsgenie's 401, worded
clear_faults
sed -i 's/token = og-s3cret/token = wrong/' "$tmp/config"
run sync --once --source og >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "wrong key: exit 1 expected"
grep -q 'HTTP 401: Could not authenticate (the API key was refused' "$tmp/err" ||
	fail "wrong key: error not clear: $(cat "$tmp/err")"
grep -q 'wrong' "$tmp/err" && fail "wrong key: the key is in the error"
sed -i 's/token = wrong/token = og-s3cret/' "$tmp/config"

# --- back to health
run sync --once --source og >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
run status >"$tmp/line" || fail "status line"
grep -q 'og ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

finish sync_opsgenie
