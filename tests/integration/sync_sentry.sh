#!/bin/bash
# sync_sentry.sh - `sitrep sync --once` with a Sentry source against sitrep-sim over
# loopback: every issue of three projects (or of the organization) becomes one
# incident over several Link pages, with the bearer token sent; a second round
# reads only the first page of each project and adds nothing; once the clock
# moves, new issues arrive and issues seen open are resolved at the poll; and
# every injected fault (5xx, 401, 404, 429, malformed JSON, wrong types, a cursor
# that does not advance) ends with a clear error in the sync state, exit 1, and
# the data and the watermark intact.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z --require-token s3cret
projects="checkout search payments"

cat >"$tmp/config" <<CONF
[source "sentry"]
	type = sentry
	url = $base/sentry
	org = acme
	project = checkout
	project = search
	project = payments
	token = env:SENTRY_TOKEN
CONF
chmod 600 "$tmp/config"
export SENTRY_TOKEN=s3cret
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
count() { sqlite3 "$tmp/c.db" "$1"; }
api() { curl -s --max-time 5 -H "Authorization: Bearer s3cret" "$base/sentry/api/0/$1"; }
# The sim's own count of a project's issues (X-Hits), for a query.
hits() {
	curl -s --max-time 5 -o /dev/null -D - -H "Authorization: Bearer s3cret" \
		"$base/sentry/api/0/projects/acme/$1/issues/?query=$2" |
		tr -d '\r' | sed -n 's/^X-Hits: //Ip'
}
total_hits() {
	local n=0 p
	for p in $projects; do n=$((n + $(hits "$p" "$1"))); done
	echo "$n"
}
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
requests() { curl -s --max-time 5 "$base/_sim/requests"; }
clear_requests() { curl -s --max-time 5 -X DELETE "$base/_sim/requests" >/dev/null; }
# Incidents, events and the streams' watermarks.
state() { count "SELECT count(*) || '/' || (SELECT count(*) FROM incident_events) || '/' ||
	(SELECT group_concat(json_extract(cursor, '$.lastSeen'), '|')
	 FROM (SELECT cursor FROM sync_state ORDER BY stream))
	FROM incidents WHERE source = 'sentry'"; }

# --- every issue becomes one incident, over several pages
all=$(total_hits "")
[ "$all" -gt 300 ] || fail "the sim lists only $all issues"
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
pages=$(sed -n 's/^sentry .* \([0-9][0-9]*\) pages .*/\1/p' "$tmp/out")
[ "${pages:-0}" -gt 3 ] || fail "expected several pages, got: $(cat "$tmp/out")"
n=$(count "SELECT count(*) FROM incidents WHERE source = 'sentry'")
[ "$n" = "$all" ] || fail "expected $all incidents (the sim's issues), got $n"
for p in $projects; do
	n=$(count "SELECT count(*) FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = 'sentry' AND s.name = '$p'")
	[ "$n" = "$(hits "$p" "")" ] || fail "$p: $n incidents for $(hits "$p" "") issues"
done
r=$(count "SELECT count(*) FROM incidents WHERE source = 'sentry' AND resolved_at IS NOT NULL")
[ "$r" = "$(total_hits is:resolved)" ] || fail "resolved: $r, the sim: $(total_hits is:resolved)"
t=$(count "SELECT count(*) FROM incident_events WHERE kind = 'trigger'")
[ "$t" = "$all" ] || fail "expected one trigger per issue, got $t"
[ "$(count "SELECT count(*) FROM incident_events WHERE kind = 'regressed'")" -gt 0 ] ||
	fail "no regressed event"
requests >"$tmp/req.json"
for p in $projects; do
	jq -e --arg r "/sentry/api/0/projects/acme/$p/issues/" \
		'.routes[$r].authorization == "Bearer" and .routes[$r].token_ok == true' \
		"$tmp/req.json" >/dev/null || fail "$p: no bearer token sent: $(cat "$tmp/req.json")"
done

# --- the newest issue, field by field, as the sim shows it
api "projects/acme/checkout/issues/?query=&sort=date&limit=1" >"$tmp/issue.json"
id=$(jq -r '.[0].id' "$tmp/issue.json")
epoch() { date -u -d "$1" +%s; }
want="checkout|$(jq -r '.[0].title' "$tmp/issue.json")|$(epoch "$(jq -r '.[0].firstSeen' "$tmp/issue.json")")"
want="$want|$(epoch "$(jq -r '.[0].firstSeen' "$tmp/issue.json")")|$(epoch "$(jq -r '.[0].lastSeen' "$tmp/issue.json")")"
want="$want|$(jq -r '.[0].permalink' "$tmp/issue.json")"
got=$(count "SELECT s.name, i.title, i.impact_start, i.detected_at, i.updated_at, i.url
	FROM incidents i JOIN services s ON s.id = i.service_id WHERE i.source_id = '$id'")
[ "$got" = "$want" ] || fail "issue $id: got '$got', want '$want'"
lv=$(jq -r '.[0].level' "$tmp/issue.json")
sev=$(count "SELECT severity FROM incidents WHERE source_id = '$id'")
case "$lv:$sev" in fatal:P1 | error:P2 | warning:P3 | info:P4 | debug:P4) ;;
*) fail "issue $id: level $lv became severity $sev" ;; esac

# --- no project: the organization's issues in one stream, each in its project's service
cat >"$tmp/config-org" <<CONF
[source "sentry-org"]
	type = sentry
	url = $base/sentry
	org = acme
	token = env:SENTRY_TOKEN
CONF
chmod 600 "$tmp/config-org"
"$SITREP" --config "$tmp/config-org" --db "$tmp/org.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "organization sync: $(cat "$tmp/err")"
n=$(sqlite3 "$tmp/org.db" "SELECT count(*) FROM incidents")
[ "$n" = "$all" ] || fail "organization stream: $n incidents for $all issues"
s=$(sqlite3 "$tmp/org.db" "SELECT group_concat(name) FROM (SELECT DISTINCT s.name
	FROM incidents i JOIN services s ON s.id = i.service_id ORDER BY 1)")
[ "$s" = "checkout,payments,search" ] || fail "organization stream: services $s"

# --- a second round reads one page per project and adds nothing
before=$(state)
clear_requests
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
requests >"$tmp/req.json"
for p in $projects; do
	jq -e --arg r "/sentry/api/0/projects/acme/$p/issues/" \
		'.routes[$r].count == 1 and .routes[$r].args.cursor == null' "$tmp/req.json" \
		>/dev/null || fail "$p: the second round read more than its first page: $(cat "$tmp/req.json")"
done
[ "$(state)" = "$before" ] || fail "the second round changed the data"

# --- faults: exit 1, a clear error in the state, nothing lost, the watermark kept
check_fault() { # json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -i -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "sentry") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: sentry not failing in status"
	jq -r '.sources[] | select(.name == "sentry") | .last_error' "$tmp/status.json" |
		grep -q -i -E "$2" || fail "fault $1: the error is not in status: $(cat "$tmp/status.json")"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed"
	[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
route='/sentry/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" 'HTTP 500: Internal Error'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" 'HTTP 401: Invalid token'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 404}" 'HTTP 404: .*check org and project'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'HTTP 429'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" 'issue 0: id is a number, not a string'
SENTRY_TOKEN=wrong check_fault '{"route": "/nowhere", "kind": "reset"}' 'HTTP 401: Invalid token'

# A Sentry 429 names when the limit resets (an absolute epoch second).
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 429}"
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --once >/dev/null 2>"$tmp/err"
grep -q 'too frequently.*the rate limit resets at 20' "$tmp/err" || fail "429 reset: $(cat "$tmp/err")"

# A cursor that never advances: stopped, and the first round's watermark is not set.
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}"
"$SITREP" --config "$tmp/config" --db "$tmp/fresh.db" sync --once >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "stuck cursor: exit 1 expected"
grep -q 'did not advance' "$tmp/err" || fail "stuck cursor: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/fresh.db" "SELECT count(*) FROM sync_state WHERE cursor IS NOT NULL")" = 0 ] ||
	fail "stuck cursor: a watermark was saved for a round that did not finish"

# --- back to health
clear_faults
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'sentry ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

# --- two hours later: new issues arrive; the issues of the checkout incident (SIM-108,
# over at 10:35), seen open at 10:00, are resolved at the poll that first sees them so
clear_requests
curl -s --max-time 5 -X POST "$base/_sim/clock" -d '{"advance": "2h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T12:00:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 12:00: $(cat "$tmp/err")"
all=$(total_hits "")
n=$(count "SELECT count(*) FROM incidents WHERE source = 'sentry'")
[ "$n" = "$all" ] || fail "at 12:00: expected $all incidents, got $n"
api "projects/acme/checkout/issues/?query=is:resolved&limit=100" |
	jq '[.[] | select(.firstSeen > "2025-03-03T09:30" and .firstSeen < "2025-03-03T10:00")]' >"$tmp/res.json"
[ "$(jq 'length' "$tmp/res.json")" = 4 ] || fail "SIM-108's issues are not resolved in the sim"
for id in $(jq -r '.[].id' "$tmp/res.json"); do
	r=$(count "SELECT resolved_at FROM incidents WHERE source_id = '$id'")
	[ "$r" = "$(epoch 2025-03-03T12:00:00Z)" ] || fail "issue $id: resolved_at '$r', not the poll"
done

finish sync_sentry
