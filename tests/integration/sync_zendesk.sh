#!/bin/bash
# sync_zendesk.sh - `sitrep sync --once` of a zendesk source against sitrep-sim's
# Zendesk dialect over loopback, compared with the simulator's ground truth (GET
# /_sim/scenario): the tickets of the cursor-based incremental export arrive over
# several pages with their milestones (created, first reply, last solve, close),
# reopens (4802), states (4803 pending at the start), SLA instances (targets,
# schedules, starts, stops, pauses, the breached first reply of 4805) and links (the
# Alert ID field, else the Prometheus alert of the service open at the time); the
# credentials go as Basic EMAIL/token:TOKEN; a second round asks from the stored
# cursor and adds nothing, a third is answered 304; three and a half hours later
# the changes arrive; a cursor that does not advance stops the round, a 429 with a
# short Retry-After is retried, and every other fault ends in a clear error in
# `sitrep status --format json` with the data intact.
set -u
. "$(dirname "$0")/lib.bash"

token=zd-4a7c1e9b2f
start=2025-03-03T10:00:00Z
start_sim --start $start --require-token $token

# zd2 reads the same account under another name, so with a cursor of its own; prom
# is the monitoring side a ticket without an Alert ID is linked to by overlap (its
# alerts of the week's incidents; the Alert ID field names those incidents).
cat >"$tmp/config" <<CONF
[source "zd"]
	type = zendesk
	url = $base/zendesk
	email = ops@acme.example
	token = env:ZD_TOKEN
	service = support
	service-field = 360012345672
	alert-field = 360012345671
	correlate = prom
[source "zd2"]
	type = zendesk
	url = $base/zendesk/
	email = ops@acme.example/token
	token = env:ZD_TOKEN
[source "prom"]
	type = prometheus
	url = $base/prometheus
	token = env:ZD_TOKEN
CONF
chmod 600 "$tmp/config"
export ZD_TOKEN=$token
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
ctl GET scenario >"$tmp/truth.json"
# truth ID FILTER: jq FILTER over Zendesk ticket ID of the ground truth.
truth() { jq -r ".tickets[] | select(.system == \"zendesk\" and .id == \"$1\") | $2" "$tmp/truth.json"; }
# epoch TEXT: an RFC 3339 instant as epoch seconds ("" for null).
epoch() { [ "$1" = null ] || [ -z "$1" ] || date -u -d "$1" +%s; }
# The simulator's log entry of the export route, on one line.
export_log() { ctl GET requests | jq -c '.routes["/zendesk/api/v2/incremental/tickets/cursor.json"]'; }
# The cache's ticket ID of source zd: COLUMNS.
row() { q "SELECT $2 FROM incidents WHERE source = 'zd' AND source_id = '$1'"; }
sla() { # ticket, SLA name, columns
	q "SELECT $3 FROM incident_slas s JOIN incidents i ON i.id = s.incident_id
		WHERE i.source = 'zd' AND i.source_id = '$1' AND s.name = '$2'"
}
status_of() { run status --format json | jq -r ".sources[] | select(.name == \"$1\") | $2"; }

# The SLAs of a ticket in the cache equal the ground truth's (instances that exist
# by now, in order): target, schedule, start, stop, breach, paused.
check_slas() { # ticket
	local i=0 n name want got metric k
	n=$(truth "$1" '.slas | length')
	for ((i = 0; i < n; i++)); do
		metric=$(truth "$1" ".slas[$i].metric")
		start_t=$(truth "$1" ".slas[$i].start_time")
		[ "$(epoch "$start_t")" -le "$(date -u -d "$SITREP_TIME_NOW" +%s)" ] || continue
		# the k-th instance of a metric is "#k"
		k=$(truth "$1" "[.slas[0:$((i + 1))][] | select(.metric == \"$metric\")] | length")
		name="Incident tickets: $metric"
		[ "$k" -gt 1 ] && name="$name #$k"
		stop=$(truth "$1" ".slas[$i].stop_time")
		[ "$stop" != null ] && [ "$(epoch "$stop")" -gt "$(date -u -d "$SITREP_TIME_NOW" +%s)" ] && stop=null
		want="$(($(truth "$1" ".slas[$i].target_minutes") * 60))|$(truth "$1" ".slas[$i].schedule" |
			sed 's/business_hours/1/; s/24x7/0/')|$(epoch "$start_t")|$(epoch "$stop")"
		[ "$stop" != null ] && want="$want|$(truth "$1" "if .slas[$i].has_breached then 1 else 0 end")"
		got=$(sla "$1" "$name" "target || '|' || schedule || '|' || start_at || '|' || ifnull(stop_at, '')")
		[ "$stop" != null ] && got="$got|$(sla "$1" "$name" breached)"
		[ "$got" = "$want" ] || fail "ticket $1 SLA $name: got '$got', expected '$want'"
	done
}

# The cache's ticket equals the ground truth at the clock's instant: created, first
# reply, last solve and close (once they happened), service, assignee.
check_ticket() { # ticket, expected state
	local now opened responded resolved closed want got
	now=$(date -u -d "$SITREP_TIME_NOW" +%s)
	opened=$(epoch "$(truth "$1" .opened_at)")
	responded=$(epoch "$(truth "$1" .responded_at)")
	[ -n "$responded" ] && [ "$responded" -gt "$now" ] && responded=
	resolved=$(epoch "$(truth "$1" '.resolutions | last')")
	case $2 in solved | closed) ;; *) resolved= ;; esac
	closed=$(epoch "$(truth "$1" .closed_at)")
	[ "$2" = closed ] || closed=
	want="$2|$opened|$responded|$resolved|$closed|$(truth "$1" .service)|$(truth "$1" .assignee)"
	got=$(q "SELECT i.state || '|' || i.detected_at || '|' || ifnull(i.acknowledged_at, '') || '|' ||
		ifnull(i.resolved_at, '') || '|' || ifnull(i.closed_at, '') || '|' || s.name || '|' ||
		ifnull(i.assignee, '') FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = 'zd' AND i.source_id = '$1'")
	[ "$got" = "$want" ] || fail "ticket $1: got '$got', expected '$want'"
	check_slas "$1"
}

# --- the tickets open by the start, over several pages
run sync --once --source prom >/dev/null 2>"$tmp/err" || fail "prom sync: $(cat "$tmp/err")"
run sync --once --source zd >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^zd  *ok' "$tmp/out" || fail "no ok line for zd: $(cat "$tmp/out")"
want=$(jq --arg now $start '[.tickets[] | select(.system == "zendesk" and .opened_at <= $now)] | length' "$tmp/truth.json")
[ "$want" = 4 ] || fail "the week should have 4 Zendesk tickets by the start, has $want"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'zd' AND ticket = 1")" = "$want" ] ||
	fail "expected $want tickets, got $(q "SELECT count(*) FROM incidents WHERE source = 'zd'")"
[ "$(status_of zd '.streams[0].pages')" = 2 ] || fail "4 tickets in pages of 3 are 2 pages"
export_log | jq -e '.authorization == "Basic" and .token_ok == true' >/dev/null ||
	fail "the credentials were not Basic EMAIL/token:TOKEN: $(export_log)"
export_log | jq -e '.args.include == "metric_sets,slas,metric_events,users"' >/dev/null ||
	fail "the export did not ask for the sideloads: $(export_log)"
check_ticket 4801 closed
check_ticket 4802 solved
check_ticket 4803 pending
check_ticket 4804 open
# 4802 was reopened: the solve and reopen instants, and the final solve as resolution
want="$(epoch "$(truth 4802 '.resolutions[0]')")|$(epoch "$(truth 4802 '.reopened_at[0]')")"
got=$(q "SELECT r.resolved_at || '|' || r.reopened_at FROM incident_reopens r JOIN incidents i
	ON i.id = r.incident_id WHERE i.source = 'zd' AND i.source_id = '4802'")
[ "$got" = "$want" ] || fail "4802 reopen: got '$got', expected '$want'"
[ "$(row 4802 reopen_count)" = "$(truth 4802 .metrics.reopens)" ] || fail "4802 reopen count"
[ "$(row 4802 severity)|$(row 4802 impact)" = "P1|0" ] || fail "4802: urgent is P1, an outage"
# 4803 waits for the customer: its requester wait is paused since the hold began
got=$(sla 4803 'Incident tickets: requester_wait_time' "stage || '|' || paused")
want="paused|$(($(date -u -d $start +%s) - $(epoch "$(truth 4803 '.holds[0][0]')")))"
[ "$got" = "$want" ] || fail "4803 wait: got '$got', expected '$want'"
got=$(q "SELECT p.start || '|' || iif(p.end = -9223372036854775808, 'open', p.end) FROM sla_pauses p JOIN incidents i
	ON i.id = p.incident_id WHERE i.source = 'zd' AND i.source_id = '4803'")
[ "$got" = "$(epoch "$(truth 4803 '.holds[0][0]')")|open" ] || fail "4803 engine pause: '$got'"
# Links: the Alert ID field names the alert; a customer report is linked by overlap
[ "$(row 4801 "parent_source || '|' || parent_id || '|' || link")" = "prom|$(truth 4801 .correlation_id)|field" ] ||
	fail "4801 link: $(row 4801 "parent_source || '|' || parent_id || '|' || link")"
[ "$(row 4803 "ifnull(parent_id, 'none')")" = none ] || fail "4803 has no alert to be linked to"
# the Zendesk agent page of the ticket
[ "$(row 4804 url)" = "$base/zendesk/agent/tickets/4804" ] || fail "4804 url: $(row 4804 url)"

# --- a second round asks from the cursor and adds nothing; a third is a 304
before=$(q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_slas) || '/' ||
	(SELECT count(*) FROM incident_events) || '/' || (SELECT max(updated_at) FROM incidents)")
cursor=$(q "SELECT cursor FROM sync_state WHERE source = 'zd' AND stream = 'tickets'")
[ -n "$cursor" ] || fail "no cursor stored"
ctl DELETE requests >/dev/null
run sync --once --source zd >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
after=$(q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_slas) || '/' ||
	(SELECT count(*) FROM incident_events) || '/' || (SELECT max(updated_at) FROM incidents)")
[ "$before" = "$after" ] || fail "the second sync changed the data: $before -> $after"
export_log | jq -e --arg c "$cursor" '.args.cursor == $c and .count == 1 and (.args | has("start_time") | not)' \
	>/dev/null || fail "the second sync did not ask from cursor $cursor: $(export_log)"
[ "$(status_of zd '.streams[0].records')" = 0 ] || fail "the second sync brought records"
ctl DELETE requests >/dev/null
run sync --once --source zd >/dev/null 2>"$tmp/err" || fail "third sync: $(cat "$tmp/err")"
export_log | jq -e '.if_none_match != null' >/dev/null || fail "no If-None-Match: $(export_log)"
[ "$(status_of zd '.streams[0].pages')" = 0 ] || fail "the third sync downloaded a body (304 expected)"

# --- three and a half hours later: 4805 opened, breached its first reply and was
# solved, 4803 came back from the customer and was solved, 4806 opened
ctl POST clock '{"advance": "3h30m"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T13:30:00Z
run sync --once --source zd >/dev/null 2>"$tmp/err" || fail "sync 3h30m later: $(cat "$tmp/err")"
want=$(jq --arg now $SITREP_TIME_NOW '[.tickets[] | select(.system == "zendesk" and .opened_at <= $now)] | length' \
	"$tmp/truth.json")
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'zd'")" = "$want" ] || fail "3h30m later: expected $want tickets"
check_ticket 4803 solved
check_ticket 4804 solved
check_ticket 4805 solved
check_ticket 4806 open
# 4805 answered 75 minutes after it was opened: its one-hour first reply breached
[ "$(truth 4805 '.slas[0].has_breached')" = true ] || fail "the truth says 4805 breaches its first reply"
got=$(sla 4805 'Incident tickets: first_reply_time' "breached || '|' || due_at || '|' || stage")
[ "$got" = "1|$(epoch "$(truth 4805 '.slas[0].breach_time')")|completed" ] || fail "4805 first reply: '$got'"
got=$(sla 4805 'Incident tickets: requester_wait_time' "paused || '|' || breached")
want=$(($(epoch "$(truth 4805 '.holds[0][1]')") - $(epoch "$(truth 4805 '.holds[0][0]')")))
[ "$got" = "$want|0" ] || fail "4805 wait: got '$got', expected '$want|0'"
# no Alert ID: linked to the Prometheus alert of payments open when it was opened
got=$(q "SELECT a.title FROM incidents t JOIN incidents a ON a.source = t.parent_source AND
	a.source_id = t.parent_id WHERE t.source = 'zd' AND t.source_id = '4805' AND t.link = 'overlap'")
want=$(jq -r '.incidents[] | select(.id == "SIM-110") | .title' "$tmp/truth.json")
[ -n "$got" ] && [ "$got" = "$want" ] || fail "4805 is not linked to SIM-110's alert: '$got'"

# --- stuck_cursor: exit 1, "did not advance", the pages before it kept
route='/zendesk/*'
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
zd_before=$(q "SELECT count(*) || '/' || max(updated_at) FROM incidents WHERE source = 'zd'")
fault "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}"
run sync --once --source zd2 >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "stuck_cursor: exit 1 expected"
grep -q 'did not advance' "$tmp/err" || fail "stuck_cursor: error not clear: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'zd2'")" = 3 ] ||
	fail "stuck_cursor: the first page (3 tickets) should be kept"
[ "$(status_of zd2 .state)" = failing ] || fail "stuck_cursor: zd2 not failing in status"
[ "$(q "SELECT count(*) || '/' || max(updated_at) FROM incidents WHERE source = 'zd'")" = "$zd_before" ] ||
	fail "stuck_cursor: zd's data changed"
clear_faults
run sync --once --source zd2 >/dev/null 2>"$tmp/err" || fail "zd2 after the fault: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'zd2'")" = "$(q "SELECT count(*) FROM incidents WHERE source = 'zd'")" ] ||
	fail "zd2 after the fault: not every ticket"
# without service-field, the tag service_NAME names the service
[ "$(q "SELECT s.name FROM incidents i JOIN services s ON s.id = i.service_id
	WHERE i.source = 'zd2' AND i.source_id = '4803'")" = search ] || fail "zd2: 4803's service from its tag"

# --- a 429 asking for a short wait is honoured: the retry succeeds
ctl DELETE requests >/dev/null
fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once --source zd >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"
export_log | jq -e '.count == 2' >/dev/null || fail "429: expected the request and its retry: $(export_log)"
clear_faults

# --- other faults: exit 1, a clear error in status, nothing lost
state() {
	q "SELECT (SELECT count(*) FROM incidents WHERE source = 'zd') || '/' ||
		(SELECT count(*) FROM incident_slas) || '/' || (SELECT count(*) FROM incident_events) ||
		'/' || (SELECT max(updated_at) FROM incidents WHERE source = 'zd')"
}
before=$(state)
check_fault() { # json, error pattern
	clear_faults
	fault "$1"
	run sync --once --source zd >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	[ "$(status_of zd .state)" = failing ] || fail "fault $1: zd not failing in status"
	status_of zd .last_error | grep -q -E "$2" ||
		fail "fault $1: the error is not in status: $(status_of zd .last_error)"
	cat "$tmp/out" "$tmp/err" | grep -q -e "$token" -e "$(printf 'ops@acme.example/token:%s' $token | base64)" &&
		fail "fault $1: the credentials were printed"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed ($before -> $(state))"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" \
	'zendesk tickets: HTTP 500: InternalError: Something went wrong \(a Zendesk server error\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 503}" \
	'zendesk tickets: HTTP 503: 503 Service Unavailable \(a Zendesk server error\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'zendesk tickets: HTTP 403: Forbidden: You do not have access.*needs an admin'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 404}" \
	'zendesk tickets: HTTP 404: RecordNotFound: Not found \(no Zendesk API at this url'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" \
	'zendesk tickets: HTTP 429: Too Many Requests \(rate limited: the ticket export allows 10 requests a minute.*Retry-After 300'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'zendesk tickets: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'zendesk tickets: the response is not JSON'
# the round reads an empty page (the cursor is at the end): its tickets turn null
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" 'zendesk tickets: the response has no tickets array'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" 'zendesk tickets: .*larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'zendesk tickets: no response'
ZD_TOKEN=wrong check_fault '{"route": "/nowhere", "kind": "reset"}' \
	"zendesk tickets: HTTP 401: Couldn't authenticate you \(the credentials were refused"

# wrong types in a page that has tickets: a fresh source reads from the start
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}"
sed 's/"zd2"/"zd3"/' "$tmp/config" >"$tmp/config3"
chmod 600 "$tmp/config3"
"$SITREP" --config "$tmp/config3" --db "$tmp/c.db" sync --once --source zd3 >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "wrong types with tickets: exit 1 expected"
grep -q 'zendesk tickets: end_of_stream is missing or not a boolean' "$tmp/err" ||
	fail "wrong types with tickets: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'zd3'")" = 0 ] || fail "wrong types: tickets stored"

# --- back to health
clear_faults
run sync --once --source zd >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(status_of zd .state)" != failing ] || fail "zd still failing after the faults"
[ "$(state)" = "$before" ] || fail "after the faults: data changed ($before -> $(state))"

finish sync_zendesk
