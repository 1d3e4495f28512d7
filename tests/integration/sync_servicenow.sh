#!/bin/bash
# sync_servicenow.sh - `sitrep sync --once` of a servicenow source against sitrep-sim's
# ServiceNow Table API dialect over loopback, with Basic auth: every ServiceNow ticket
# of the world opened by now arrives once, with the state, milestones, severity,
# service, assignee, SLA instances, reopens, pauses and timeline the ground truth
# (GET /_sim/scenario) says at that instant; tickets naming their Opsgenie alert
# (correlation_id) are tied to it once the opsgenie source has synced; a second round
# asks each stream one keyset question and adds nothing; an hour later the new and
# changed tickets arrive; a world of 131 tickets comes in pages, and an SLA that
# breaches while its incident does not change comes through the task_sla stream;
# every injected fault (also in the middle of a chain) ends in exit 1, a clear error
# in `sitrep status`, the data intact and no secret shown.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
password=sn-7Hq2-s3cret
start_sim --start $start --require-token $password

# sn2 reads the same instance under another name, so with cursors of its own.
cat >"$tmp/config" <<CONF
[source "sn"]
	type = servicenow
	url = $base/servicenow
	user = sitrep.integration
	password = env:SN_PASSWORD
	correlate = og
[source "sn2"]
	type = servicenow
	url = $base/servicenow/
	user = sitrep.integration
	password = env:SN_PASSWORD
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = env:SN_PASSWORD
CONF
chmod 600 "$tmp/config"
export SN_PASSWORD=$password
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
fault() { ctl POST fault "$1" >/dev/null; }
clear_faults() { ctl DELETE fault >/dev/null; }
epoch() { date -u -d "$1" +%s; }
ctl GET scenario >"$tmp/scenario.json"

# The ground truth of every ServiceNow ticket opened by NOW (epoch seconds), one
# line each: sys_id|state|opened|acknowledged (its Response SLA completes when it
# goes In Progress)|resolved (the last resolution, while resolved or closed)|closed|
# severity|service|title|assignee (nobody while New)|SLA instances started|reopens.
expected() {
	jq -r --argjson now "$1" '
		def t: if . == null then "" else fromdateiso8601 end;
		def by_now: select(. != null and fromdateiso8601 <= $now);
		.tickets[] | select(.system == "servicenow" and (.opened_at | t) <= $now)
		| ([.transitions[] | select((.at | t) <= $now)] | last | .state) as $state
		| [.sys_id, $state, (.opened_at | t),
		   ([.responded_at | by_now] | first | t),
		   (if $state == "Resolved" or $state == "Closed"
		    then ([.resolutions[] | by_now] | last | t) else "" end),
		   ([.closed_at | by_now] | first | t),
		   "P\(.priority)", .service, .title,
		   (if $state == "New" then "" else .assignee end),
		   ([.slas[] | select((.start_time | t) <= $now)] | length),
		   ([.reopened_at[] | by_now] | length)]
		| map(tostring) | join("|")' "$tmp/scenario.json" | sort
}
cached() {
	q "SELECT i.source_id, i.state, i.detected_at, i.acknowledged_at, i.resolved_at,
		i.closed_at, i.severity, s.name, i.title, i.assignee, i.sla_count, i.reopen_count
		FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = '$2' ORDER BY i.source_id"
}
# Every SLA instance started by NOW: ticket|start|stop|breached|target|schedule.
expected_slas() {
	jq -r --argjson now "$1" '
		def t: if . == null then "" else fromdateiso8601 end;
		.tickets[] | select(.system == "servicenow") | .sys_id as $id
		| .slas[] | select((.start_time | t) <= $now)
		| [$id, (.start_time | t),
		   (if .stop_time != null and (.stop_time | t) <= $now then .stop_time | t else "" end),
		   (if .breach_time != null and (.breach_time | t) <= $now then 1 else 0 end),
		   .target_minutes, (if .schedule == "24x7" then 0 else 1 end)]
		| map(tostring) | join("|")' "$tmp/scenario.json" | sort
}
cached_slas() {
	q "SELECT i.source_id, s.start_at, s.stop_at, s.breached, s.target / 60, s.schedule
		FROM incident_slas s JOIN incidents i ON i.id = s.incident_id
		WHERE i.source = '$2'" | sort
}
compare() { # what, expected file, got file
	if ! cmp -s "$2" "$3"; then
		fail "$1 differ from the ground truth:"
		diff "$2" "$3" | head -20
	fi
}
state() {
	q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_events)
		|| '/' || (SELECT count(*) FROM incident_slas) || '/' ||
		(SELECT ifnull(max(updated_at), 0) FROM incidents)"
}
requests() { ctl GET requests | jq -c "$1"; }

# --- the first round: every ticket, exactly as the world has it now
now=$(epoch $start)
n_world=$(expected "$now" | wc -l)
[ "$n_world" -ge 9 ] || fail "the world should have ServiceNow tickets by now, has $n_world"
ctl DELETE requests >/dev/null
run sync --once --source sn >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^sn  *ok' "$tmp/out" || fail "no ok line for sn: $(cat "$tmp/out")"
expected "$now" >"$tmp/want"
cached "$now" sn >"$tmp/got"
compare "tickets at the start" "$tmp/want" "$tmp/got"
expected_slas "$now" >"$tmp/want"
cached_slas "$now" sn >"$tmp/got"
compare "SLA instances at the start" "$tmp/want" "$tmp/got"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'sn' AND ticket = 1")" = "$n_world" ] ||
	fail "not every record is a ticket"
[ "$(requests '.routes["/servicenow/api/now/table/incident"].authorization')" = '"Basic"' ] ||
	fail "no Basic auth sent"
[ "$(requests '.routes["/servicenow/api/now/table/incident"].token_ok')" = true ] ||
	fail "the password was not accepted"
# One chain of four requests for the page (the world has fewer than 100 tickets).
for table in incident task_sla sys_audit sys_journal_field; do
	requests ".routes[\"/servicenow/api/now/table/$table\"].count" | grep -q '^[12]$' ||
		fail "no request to $table"
done

# INC0010236 was reopened: the pair, its second resolution SLA, its state history.
id=$(jq -r '.tickets[] | select(.id == "INC0010236") | .sys_id' "$tmp/scenario.json")
want=$(jq -r '.tickets[] | select(.id == "INC0010236") |
	"\(.resolutions[0] | fromdateiso8601)|\(.reopened_at[0] | fromdateiso8601)"' "$tmp/scenario.json")
got=$(q "SELECT r.resolved_at || '|' || r.reopened_at FROM incident_reopens r
	JOIN incidents i ON i.id = r.incident_id WHERE i.source_id = '$id'")
[ "$got" = "$want" ] || fail "INC0010236 reopen: got '$got', want '$want'"
got=$(q "SELECT name FROM incident_slas s JOIN incidents i ON i.id = s.incident_id
	WHERE i.source_id = '$id' ORDER BY start_at, name" | tr '\n' ',')
[ "$got" = "P2 resolution (8 hours),P2 response (30 minutes),P2 resolution (8 hours) (2)," ] ||
	fail "INC0010236 SLA names: $got"
got=$(q "SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source_id = '$id' AND e.kind = 'state'")
want=$(jq -r --argjson now "$now" '.tickets[] | select(.id == "INC0010236") |
	[.transitions[] | select((.at | fromdateiso8601) <= $now)] | length - 1' "$tmp/scenario.json")
[ "$got" = "$want" ] || fail "INC0010236: $got state events, want $want"

# INC0010234 (a customer's call) waited On Hold: its resolution SLA paused then, on
# business hours; the metrics read that SLA.
id=$(jq -r '.tickets[] | select(.id == "INC0010234") | .sys_id' "$tmp/scenario.json")
want=$(jq -r '.tickets[] | select(.id == "INC0010234") |
	.holds[0] | "\(.[0] | fromdateiso8601)|\(.[1] | fromdateiso8601)"' "$tmp/scenario.json")
got=$(q "SELECT p.start || '|' || p.end FROM sla_pauses p JOIN incidents i ON i.id = p.incident_id
	WHERE i.source_id = '$id'")
[ "$got" = "$want" ] || fail "INC0010234 SLA pause: got '$got', want '$want'"
got=$(q "SELECT sla_policy || '|' || sla_target || '|' || sla_schedule FROM incidents
	WHERE source_id = '$id'")
[ "$got" = "P4 resolution (5 business days)|144000|1" ] || fail "INC0010234 SLA: $got"
[ "$(q "SELECT link FROM incidents WHERE source_id = '$id'")" != correlation ] ||
	fail "INC0010234 names no alert"

# Work notes are note events with their author and text.
want=$(jq -r --argjson now "$now" '[.tickets[] | select(.system == "servicenow") |
	.notes[] | select((.at | fromdateiso8601) <= $now)] | length' "$tmp/scenario.json")
got=$(q "SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source = 'sn' AND e.kind = 'note'")
[ "$got" = "$want" ] || fail "$got work notes, want $want"
got=$(q "SELECT e.actor || '|' || e.text FROM incident_events e JOIN incidents i
	ON i.id = e.incident_id WHERE i.title LIKE 'Payments memory above 85%' AND e.kind = 'note'
	AND e.text LIKE 'Rolled back%'")
[ "$got" = "sam|Rolled back to 2.13.2; watching memory" ] || fail "INC0010237's note: '$got'"

# --- a second round asks one keyset question per stream and adds nothing
before=$(state)
ctl DELETE requests >/dev/null
run sync --once --source sn >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the second sync changed the data: $before -> $(state)"
[ "$(requests '.total')" = 2 ] || fail "the second sync made $(requests '.total') requests, not 2"
key=$(q "SELECT json_extract(cursor, '\$.sys_id') FROM sync_state WHERE source = 'sn' AND stream = 'incident'")
requests '.routes["/servicenow/api/now/table/incident"].args.sysparm_query' |
	grep -q "\\^ORsys_id>$key\\^ORDERBYsys_updated_on" || fail "the second sync did not ask after the key $key"

# --- tickets that name their Opsgenie alert are one incident with it
run sync --once --source og >/dev/null 2>"$tmp/err" || fail "opsgenie sync: $(cat "$tmp/err")"
want=$(jq -r --argjson now "$now" '[.tickets[] | select(.system == "servicenow" and
	.correlation_id != null and (.opened_at | fromdateiso8601) <= $now)] | length' "$tmp/scenario.json")
got=$(q "SELECT count(*) FROM incidents t JOIN incidents p ON p.source = 'og'
	AND p.source_id = t.parent_id AND p.title = t.title
	WHERE t.source = 'sn' AND t.parent_source = 'og' AND t.link = 'correlation'")
[ "$got" = "$want" ] || fail "$got tickets tied to their Opsgenie alert, want $want"
run export tickets --source sn --format json >"$tmp/tickets.json" || fail "export tickets"
jq -e '[.incidents[] | select(.parent.source == "og" and .parent.link == "correlation")] | length > 0' \
	"$tmp/tickets.json" >/dev/null || fail "export tickets shows no parent"

# --- an hour later: new tickets, and the changes of that hour
ctl POST clock '{"advance": "1h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T11:00:00Z
now=$(epoch $SITREP_TIME_NOW)
[ "$(expected "$now" | wc -l)" -gt "$n_world" ] || fail "no new ticket within the hour"
run sync --once --source sn >/dev/null 2>"$tmp/err" || fail "sync an hour later: $(cat "$tmp/err")"
expected "$now" >"$tmp/want"
cached "$now" sn >"$tmp/got"
compare "tickets an hour later" "$tmp/want" "$tmp/got"
expected_slas "$now" >"$tmp/want"
cached_slas "$now" sn >"$tmp/got"
compare "SLA instances an hour later" "$tmp/want" "$tmp/got"

# --- faults: exit 1, a clear error in the state, nothing lost, no secret shown
check_fault() { # source, fault json, expected error pattern
	clear_faults
	fault "$2"
	run sync --once --source "$1" >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $2: exit 1 expected"
	grep -q -E "$3" "$tmp/err" || fail "fault $2: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $2"
	jq -e --arg s "$1" '.sources[] | select(.name == $s) | .state == "failing"' \
		"$tmp/status.json" >/dev/null || fail "fault $2: $1 not failing in status"
	jq -r --arg s "$1" '.sources[] | select(.name == $s) | .last_error' "$tmp/status.json" |
		grep -q -E "$3" || fail "fault $2: the error is not in status"
	grep -q "$password" "$tmp/err" "$tmp/out" "$tmp/status.json" && fail "fault $2: the password shows"
	[ "$(state)" = "$before" ] || fail "fault $2: data changed"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $2: integrity"
}
before=$(state)
route=/servicenow/*
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" \
	'servicenow incident: HTTP 500: Server error: An internal error occurred'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 502}" \
	'servicenow incident: HTTP 502: <html><body><h1>502</h1></body></html>'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" \
	'HTTP 401: User Not Authenticated: Required to provide Auth information \(check user and password, or the token\)'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'HTTP 403: User Not Authorized: ACL restricts the table \(the user needs read access'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" \
	'HTTP 429: Rate limit exceeded: Rate limit of 1000 requests per hour for Table API exceeded; retry after 300s; the limit resets at 20'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'servicenow incident: the response is not JSON \(line'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'servicenow incident: the response is not JSON \(line'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" \
	'servicenow incident: incident row 0 \(INC00102[0-9]*\): [a-z_]* is a number, not a string'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"huge\"}" 'servicenow incident: no response: response body larger than'
check_fault sn2 "{\"route\": \"$route\", \"kind\": \"reset\"}" 'servicenow incident: no response'
# In the middle of a chain: the page's incidents wait in the cursor, none written.
check_fault sn2 '{"route": "/servicenow/api/now/table/task_sla", "kind": "status", "status": 500}' \
	'servicenow incident: HTTP 500: Server error'
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'sn2'")" = 0 ] ||
	fail "a chain cut short wrote incidents"
q "SELECT cursor FROM sync_state WHERE source = 'sn2' AND stream = 'incident'" | grep -q '"pending"' ||
	fail "the cut chain's rows are not in the cursor"
# The instance ignores the query (stuck_cursor): rows before the key stop the round.
check_fault sn "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}" \
	'servicenow incident: incident row 0 \(INC00102[0-9]*\) is not after the cursor \(2025-03-03 [0-9:]*, [0-9a-f]*\): the instance ignored the query; stopped'
clear_faults
# A 429 asking for a short wait is honoured: the retry succeeds.
ctl DELETE requests >/dev/null
fault '{"route": "/servicenow/api/now/table/incident", "kind": "rate_limit", "retry_after": 1, "count": 1}'
run sync --once --source sn >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"
[ "$(requests '.routes["/servicenow/api/now/table/incident"].count')" = 2 ] ||
	fail "429: expected the request and its retry"
clear_faults
run sync --once --source sn >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run sync --once --source sn2 >/dev/null 2>"$tmp/err" || fail "sn2 after the faults: $(cat "$tmp/err")"
cached "$now" sn2 >"$tmp/got"
expected "$now" >"$tmp/want"
compare "sn2's tickets after the faults" "$tmp/want" "$tmp/got"
run status --format json | jq -e '.sources[] | select(.name == "sn2") | .state == "ok"' >/dev/null ||
	fail "sn2 not ok after a good round"

# --- 131 tickets in pages of 100; an SLA breaching while its incident stays put
{
	printf '{"name": "many tickets", "services": [{"name": "checkout"}], "tickets": [\n'
	for i in $(seq 1 130); do
		printf '{"system": "servicenow", "id": "INC02%05d", "service": "checkout", ' "$i"
		printf '"title": "Customer report %d", "priority": 3, "opened": "-%dm", ' "$i" $((600 - i))
		printf '"responded": "-%dm", "resolved": null},\n' $((590 - i))
	done
	printf '{"system": "servicenow", "id": "INC0030001", "service": "checkout", '
	printf '"title": "Card terminals offline in store 12", "priority": 1, "opened": "-5m", '
	printf '"responded": null, "resolved": null}\n]}\n'
} >"$tmp/many.json"
export SITREP_TIME_NOW=$start
first=$base
start_sim --start $start --require-token $password --scenario "$tmp/many.json"
base2=$base base=$first
cat >"$tmp/config2" <<CONF
[source "many"]
	type = servicenow
	url = $base2/servicenow
	token = env:SN_PASSWORD
CONF
chmod 600 "$tmp/config2"
run2() { "$SITREP" --config "$tmp/config2" --db "$tmp/many.db" "$@"; }
q2() { sqlite3 "$tmp/many.db" "$1"; }
run2 sync --once >/dev/null 2>"$tmp/err" || fail "sync of 131 tickets: $(cat "$tmp/err")"
[ "$(q2 "SELECT count(*) FROM incidents")" = 131 ] || fail "$(q2 "SELECT count(*) FROM incidents") of 131 tickets"
[ "$(q2 "SELECT count(*) FROM incident_slas")" = 262 ] || fail "$(q2 "SELECT count(*) FROM incident_slas") of 262 SLAs"
run2 status --format json | jq -e '.sources[0].streams[] | select(.stream == "incident") |
	.pages == 8' >/dev/null || fail "131 tickets should take two chains of four pages"
terminal="Card terminals offline in store 12"
updated=$(q2 "SELECT updated_at FROM incidents WHERE title = '$terminal'")
[ "$(q2 "SELECT breached FROM incident_slas s JOIN incidents i ON i.id = s.incident_id
	WHERE i.title = '$terminal' AND s.kind = 'response'")" = 0 ] || fail "breached before its time"
curl -s --max-time 5 -X POST "$base2/_sim/clock" -d '{"advance": "1h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T11:00:00Z
run2 sync --once >/dev/null 2>"$tmp/err" || fail "sync of the breach: $(cat "$tmp/err")"
got=$(q2 "SELECT s.breached || '|' || s.stage || '|' || i.state FROM incident_slas s
	JOIN incidents i ON i.id = s.incident_id WHERE i.title = '$terminal' AND s.kind = 'response'")
[ "$got" = "1|in_progress|New" ] || fail "the response SLA's breach did not arrive: '$got'"
[ "$(q2 "SELECT updated_at FROM incidents WHERE title = '$terminal'")" -gt "$updated" ] ||
	fail "the breach did not make the record newer"
run2 status --format json | jq -e '.sources[0].streams[] | select(.stream == "task_sla") |
	.records > 0' >/dev/null || fail "the task_sla stream did not bring the breach"

[ "$failures" = 0 ] || exit 1
echo "sync_servicenow: ok"
