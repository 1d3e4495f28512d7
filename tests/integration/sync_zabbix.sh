#!/bin/bash
# sync_zabbix.sh - `sitrep sync --once` of a zabbix source against sitrep-sim's
# Zabbix 6.0 dialect over loopback, with an API token and with user and password
# (user.login, user.logout): every problem event of the last 30 days becomes one
# incident whose service, severity, detection, first ack and recovery are exactly
# what event.get says, each acknowledge and recovery an event; three items' trends
# and history become samples equal to trend.get and history.get; a second round
# asks only for new events and the open problems, downloads no history, and adds
# nothing; two hours later the new problems and the recoveries of that time arrive
# in one round; and every injected fault ends in exit 1, a clear error in
# `sitrep status`, the data intact and no secret shown.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
token=zbx-4d0e2c1b9a8f7e6d5c4b3a29
start_sim --start $start --require-token $token
api="$base/zabbix/api_jsonrpc.php"

# A call to the simulator's Zabbix with the token; prints .result.
rpc() {
	curl -s --max-time 10 -H 'Content-Type: application/json-rpc' "$api" \
		-d "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2,\"auth\":\"$token\",\"id\":1}" |
		jq -c '.result'
}
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
fault() { ctl POST fault "$1" >/dev/null; }
clear_faults() { ctl DELETE fault >/dev/null; }
epoch() { date -u -d "$1" +%s; }

search_ping=$(rpc item.get '{"output":["itemid"],"host":"search","filter":{"key_":"agent.ping"}}' |
	jq -r '.[0].itemid')
[ -n "$search_ping" ] && [ "$search_ping" != null ] || fail "no agent.ping item on host search"
cat >"$tmp/config" <<CONF
[source "zbx"]
	type = zabbix
	url = $api
	token = env:ZBX_TOKEN
[source "zbx-pw"]
	type = zabbix
	url = $api
	user = Admin
	password = env:ZBX_PASSWORD
[metric "checkout.cpu"]
	source = zbx
	query = checkout:system.cpu.util
[metric "search.ping"]
	source = zbx
	query = $search_ping
[metric "payments.latency"]
	source = zbx
	query = payments:app.latency
CONF
chmod 600 "$tmp/config"
export ZBX_TOKEN=$token ZBX_PASSWORD=$token
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/${2:-c}.db" "$1"; }

# What the simulator holds, one line per problem event of the last 30 days:
# eventid|service|priority|clock|first ack with the ack bit|recovery clock. The
# service is a service tag, else the host; the recovery clock is its recovery
# event's (event.get has no r_clock).
expected() {
	local now from
	now=$(epoch "$SITREP_TIME_NOW")
	from=$((now - 30 * 86400))
	rpc event.get "{\"output\":\"extend\",\"value\":1,\"time_from\":$from,\"selectHosts\":[\"host\"],
		\"selectTags\":\"extend\",\"select_acknowledges\":\"extend\",\"sortfield\":[\"eventid\"]}" \
		>"$tmp/sim-problems.json"
	rpc event.get "{\"output\":[\"eventid\",\"clock\"],\"value\":0,\"time_from\":$from}" \
		>"$tmp/sim-recoveries.json"
	jq -r --slurpfile rec "$tmp/sim-recoveries.json" '
		($rec[0] | map({(.eventid): .clock}) | add // {}) as $r
		| .[]
		| [.eventid,
		   (([.tags[] | select(.tag == "service" and .value != "") | .value] | first)
		    // .hosts[0].host),
		   (["P5", "P5", "P4", "P3", "P2", "P1"][.severity | tonumber]),
		   .clock,
		   ([.acknowledges[] | select((.action | tonumber) % 4 >= 2) | .clock | tonumber]
		    | min // ""),
		   (if .r_eventid == "0" then "" else $r[.r_eventid] end)]
		| map(tostring) | join("|")' "$tmp/sim-problems.json"
}
cached() {
	q "SELECT i.source_id, s.name, i.severity, i.detected_at, ifnull(i.acknowledged_at, ''),
		ifnull(i.resolved_at, '') FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = '${1:-zbx}' ORDER BY i.source_id + 0" "${2:-c}"
}
# Incidents, events, samples and the cursors: what a round must not change.
state() {
	q "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM incident_events)
		|| '/' || (SELECT count(*) FROM metric_samples) || '/' ||
		(SELECT group_concat(stream || '=' || cursor, ' ') FROM
		 (SELECT stream, cursor FROM sync_state WHERE source = 'zbx' ORDER BY stream))"
}
requests() { ctl GET requests >"$tmp/req.json"; }
calls() { jq -r --arg m "$1" '.routes["/zabbix/api_jsonrpc.php#" + $m].count // 0' "$tmp/req.json"; }
last_args() { jq -c --arg m "$1" '.routes["/zabbix/api_jsonrpc.php#" + $m].args' "$tmp/req.json"; }
# The samples of a series as "ts value" lines, and the simulator's for an item.
samples() {
	q "SELECT m.ts || ' ' || m.value FROM metric_samples m JOIN metric_series s ON s.id = m.series_id
		WHERE s.name = '$1' ORDER BY m.ts"
}
# Numeric comparison of two "ts value" files.
same_samples() {
	paste -d' ' "$1" "$2" | awk 'NF != 4 || $1 != $3 || ($2 - $4) * ($2 - $4) > 1e-12 { bad++ }
		END { exit bad > 0 }' && [ "$(wc -l <"$1")" = "$(wc -l <"$2")" ]
}
no_secret() { # files...
	grep -q -F -- "$token" "$@" && fail "the token is shown in: $(grep -l -F -- "$token" "$@")"
	true
}

# --- the first round: every problem of the last 30 days, exactly
ctl DELETE requests >/dev/null
run sync --once --source zbx >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^zbx  *ok' "$tmp/out" || fail "no ok line: $(cat "$tmp/out")"
expected >"$tmp/want"
cached >"$tmp/got"
n=$(wc -l <"$tmp/want")
[ "$n" -gt 150 ] || fail "the simulator should hold more than a page of problems, has $n"
cmp -s "$tmp/want" "$tmp/got" || fail "the cache differs from event.get: $(diff "$tmp/want" "$tmp/got" | head -5)"
[ "$(grep -c '|$' "$tmp/want")" -gt 0 ] && [ "$(grep -vc '|$' "$tmp/want")" -gt 100 ] ||
	fail "expected open and resolved problems"
requests
[ "$(jq '[.routes | to_entries[] | select(.key | startswith("/zabbix/")) |
	select(.value.token_ok != true or .value.authorization != null)] | length' "$tmp/req.json")" = 0 ] ||
	fail "every call carries the token in auth, none a header: $(cat "$tmp/req.json")"
[ "$(calls user.login)" = 0 ] || fail "a token needs no login"
# Two pages of new events, then the refresh of every problem held open.
[ "$(calls event.get)" -ge 4 ] || fail "expected several event.get pages, got $(calls event.get)"

# Events: a trigger per problem, a resolve per recovery, one per acknowledge.
jq -r '.[] | .acknowledges[] | (.action | tonumber) as $a |
	if $a % 2 == 1 then "close" elif $a % 4 >= 2 then "ack" elif $a % 32 >= 16 then "unack"
	elif $a % 16 >= 8 then "severity" else "note" end' "$tmp/sim-problems.json" |
	sort | uniq -c | awk '{ print $2 "|" $1 }' >"$tmp/want-acks"
echo "resolve|$(jq '[.[] | select(.r_eventid != "0")] | length' "$tmp/sim-problems.json")" >>"$tmp/want-acks"
echo "trigger|$n" >>"$tmp/want-acks"
sort -o "$tmp/want-acks" "$tmp/want-acks"
q "SELECT kind, count(*) FROM incident_events GROUP BY kind ORDER BY kind" >"$tmp/got-acks"
cmp -s "$tmp/want-acks" "$tmp/got-acks" ||
	fail "events differ: want $(tr '\n' ' ' <"$tmp/want-acks"), got $(tr '\n' ' ' <"$tmp/got-acks")"
for k in ack note severity close; do
	grep -q "^$k|" "$tmp/got-acks" || fail "no $k event: the sim should have every kind"
done

# --- one incident, field by field: SIM-108, open at 10:00, acked by dana
jq '[.[] | select(.name == "Checkout 5xx rate above 5%")] | max_by(.eventid | tonumber)' \
	"$tmp/sim-problems.json" >"$tmp/p.json"
id=$(jq -r .eventid "$tmp/p.json")
got=$(q "SELECT s.name, i.title, i.severity, i.impact, i.detected_at, i.acknowledged_at,
	ifnull(i.resolved_at, 'open'), i.url FROM incidents i JOIN services s ON s.id = i.service_id
	WHERE i.source_id = '$id'")
want="checkout|Checkout 5xx rate above 5%|P2|1|$(epoch 2025-03-03T09:39:00Z)|$(epoch 2025-03-03T09:46:00Z)|open"
want="$want|$base/zabbix/tr_events.php?triggerid=$(jq -r .objectid "$tmp/p.json")&eventid=$id"
[ "$got" = "$want" ] || fail "SIM-108: got '$got', want '$want'"
a=$(q "SELECT e.actor || '|' || e.text FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source_id = '$id' AND e.kind = 'ack'")
[ "$a" = "dana|Acknowledged, investigating" ] || fail "SIM-108's ack: '$a'"
# A problem closed by hand: its resolve event names who closed it.
closed=$(jq -r '[.[] | select(.userid != "0")][0].eventid' "$tmp/sim-problems.json")
[ "$closed" != null ] || fail "no problem closed by hand in the sim"
a=$(q "SELECT e.actor FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE i.source_id = '$closed' AND e.kind = 'resolve'")
[ -n "$a" ] || fail "the manual close of $closed names nobody"

# --- samples: a week of hourly trends, then an hour of history
hist_from=$(($(epoch $start) / 3600 * 3600 - 3600))
item=$(rpc item.get '{"output":["itemid"],"host":"checkout","filter":{"key_":"system.cpu.util"}}' |
	jq -r '.[0].itemid')
{
	rpc trend.get "{\"itemids\":[\"$item\"],\"time_from\":$((hist_from - 7 * 86400)),\"time_till\":$((hist_from - 1))}" |
		jq -r '.[] | "\(.clock) \(.value_avg)"'
	rpc history.get "{\"history\":0,\"itemids\":[\"$item\"],\"time_from\":$((hist_from - 1)),\"sortfield\":\"clock\"}" |
		jq -r '.[] | "\(.clock) \(.value)"'
} >"$tmp/want-cpu"
samples checkout.cpu >"$tmp/got-cpu"
[ "$(wc -l <"$tmp/want-cpu")" -gt 200 ] || fail "the sim has too few cpu samples: $(wc -l <"$tmp/want-cpu")"
same_samples "$tmp/want-cpu" "$tmp/got-cpu" ||
	fail "checkout.cpu differs from trend.get + history.get: $(diff "$tmp/want-cpu" "$tmp/got-cpu" | head -4)"
rpc history.get "{\"history\":3,\"itemids\":[\"$search_ping\"],\"time_from\":$((hist_from - 1))}" |
	jq -r '.[] | "\(.clock) \(.value)"' >"$tmp/want-ping"
samples search.ping | awk -v from=$((hist_from - 1)) '$1 >= from' >"$tmp/got-ping"
same_samples "$tmp/want-ping" "$tmp/got-ping" || fail "search.ping (unsigned) differs from history.get"
s=$(q "SELECT group_concat(DISTINCT sv.name) FROM metric_series s JOIN services sv ON sv.id = s.service_id
	WHERE s.name = 'payments.latency'")
[ "$s" = payments ] || fail "payments.latency belongs to '$s'"
[ "$(q "SELECT cursor FROM sync_state WHERE stream = 'metric:checkout.cpu'")" = "$(epoch $start)" ] ||
	fail "the cpu cursor is not the newest sample"

# --- a second round asks for new events and the open problems, nothing else
before=$(state)
open=$(q "SELECT count(*) FROM incidents WHERE resolved_at IS NULL")
ctl DELETE requests >/dev/null
run sync --once --source zbx >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
requests
[ "$(state)" = "$before" ] || fail "the second round changed the data: $before -> $(state)"
[ "$(calls event.get)" = 2 ] || fail "second round: $(calls event.get) event.get calls, not 2"
[ "$(calls history.get)$(calls trend.get)" = 00 ] || fail "second round downloaded history again"
[ "$(calls item.get)" = 3 ] || fail "second round: one item.get per metric expected"
[ "$(last_args event.get | jq '.eventids | length')" = "$open" ] ||
	fail "the refresh should ask for the $open open problems: $(last_args event.get)"

# --- user and password: user.login, the session in auth, user.logout; same data
ctl DELETE requests >/dev/null
"$SITREP" --config "$tmp/config" --db "$tmp/pw.db" sync --once --source zbx-pw >"$tmp/out" 2>"$tmp/err" ||
	fail "sync with user and password: $(cat "$tmp/err")"
requests
[ "$(calls user.login)/$(calls user.logout)" = 1/1 ] || fail "one login and one logout expected: $(cat "$tmp/req.json")"
[ "$(last_args user.login | jq -r '.username + " " + .password')" = "Admin (hidden)" ] ||
	fail "user.login params: $(last_args user.login)"
[ "$(jq '[.routes | to_entries[] | select(.key | startswith("/zabbix/")) |
	select(.key | endswith("#user.login") | not) | select(.value.token_ok != true)] | length' "$tmp/req.json")" = 0 ] ||
	fail "a call without the session: $(cat "$tmp/req.json")"
cached zbx-pw pw >"$tmp/got-pw"
cmp -s "$tmp/want" "$tmp/got-pw" || fail "user and password: the cache differs from event.get"
ZBX_PASSWORD=wrong-pass "$SITREP" --config "$tmp/config" --db "$tmp/pw.db" sync --once \
	--source zbx-pw >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "a wrong password: exit 1 expected"
grep -q 'login: zabbix login: Zabbix error -32602 Invalid params.: Incorrect user name or password' "$tmp/err" ||
	fail "a wrong password: $(cat "$tmp/err")"
"$SITREP" --config "$tmp/config" --db "$tmp/pw.db" status --format json >"$tmp/status.json"
jq -e '.sources[] | select(.name == "zbx-pw") | .state == "failing"' "$tmp/status.json" >/dev/null ||
	fail "a wrong password: zbx-pw not failing"
grep -q -F wrong-pass "$tmp/out" "$tmp/err" "$tmp/status.json" && fail "the password is shown"
cmp -s "$tmp/want" <(cached zbx-pw pw) || fail "a failed login changed the data"

# --- faults: exit 1, a clear error in the state, nothing lost, no secret shown
before=$(state)
check_fault() { # fault json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once --source zbx >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "(problems|metric:[a-z.]*): $2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "zbx") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: zbx not failing in status"
	jq -r '.sources[] | select(.name == "zbx") | .streams[].last_error // empty' \
		"$tmp/status.json" | grep -q -E "$2" || fail "fault $1: the error is not in status"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
	no_secret "$tmp/out" "$tmp/err" "$tmp/status.json"
}
route='/zabbix/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" 'zabbix problems: HTTP 500: <html> <head><title>500 Internal Server Error'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 502}" 'zabbix problems: HTTP 502: <html>.*Bad Gateway'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 412}" "zabbix problems: HTTP 412: \(empty body\) \(the frontend refused the request's Content-Type\)"
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'zabbix problems: HTTP 429: Too Many Requests'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'zabbix problems: the response is not JSON \(line'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'zabbix problems: the response is not JSON \(line'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" 'zabbix problems: the response is not JSON-RPC 2.0 \(jsonrpc is a number\)'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" 'zabbix problems: .*larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'zabbix problems: no response'
# One method only: the metric streams fail, the problems are read.
check_fault '{"route": "/zabbix/api_jsonrpc.php#item.get", "kind": "status", "status": 503}' \
	'zabbix metric:checkout.cpu: HTTP 503: <html>'
jq -e '.sources[] | select(.name == "zbx") | .streams[] | select(.stream == "problems") |
	.last_error == null' "$tmp/status.json" >/dev/null || fail "item.get's fault failed the problems stream"
# A wrong token: Zabbix's "Not authorized." with HTTP 200, the token not shown.
clear_faults
ZBX_TOKEN=wrong-token run sync --once --source zbx >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "a wrong token: exit 1 expected"
grep -q 'problems: zabbix problems: Zabbix error -32602 Invalid params.: Not authorized.' "$tmp/err" ||
	fail "a wrong token: $(cat "$tmp/err")"
grep -q -F wrong-token "$tmp/out" "$tmp/err" && fail "the wrong token is shown"
[ "$(state)" = "$before" ] || fail "a wrong token changed the data"

# A 429 asking for a short wait is honoured: the retry succeeds.
ctl DELETE requests >/dev/null
fault '{"route": "/zabbix/api_jsonrpc.php#event.get", "kind": "rate_limit", "retry_after": 1, "count": 1}'
run sync --once --source zbx >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"
requests
[ "$(calls event.get)" = 3 ] || fail "429: expected the request, its retry and the refresh"
[ "$(state)" = "$before" ] || fail "the retried round changed the data"

# event.get ignoring eventid_from (a cursor that never advances): stopped after
# the page that repeats, with the first page kept.
clear_faults
fault '{"route": "/zabbix/api_jsonrpc.php#event.get", "kind": "stuck_cursor"}'
"$SITREP" --config "$tmp/config" --db "$tmp/stuck.db" sync --once --source zbx >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "stuck cursor: exit 1 expected"
grep -q 'problems: the pagination cursor did not advance' "$tmp/err" || fail "stuck cursor: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/stuck.db" "SELECT count(*) FROM incident_events WHERE kind = 'trigger'")" -gt 0 ] ||
	fail "stuck cursor: the first page was not kept"
[ "$(sqlite3 "$tmp/stuck.db" "SELECT json_extract(cursor, '$.eventid') FROM sync_state WHERE stream = 'problems'")" = \
	"$(head -100 "$tmp/want" | tail -1 | cut -d'|' -f1)" ] || fail "stuck cursor: the watermark is not the first page's"

# --- back to health
clear_faults
run sync --once --source zbx >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'zbx ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

# --- two hours later: new problems, and the recoveries and acks of those hours
ctl POST clock '{"advance": "2h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T12:00:00Z
ctl DELETE requests >/dev/null
run sync --once --source zbx >/dev/null 2>"$tmp/err" || fail "sync at 12:00: $(cat "$tmp/err")"
expected >"$tmp/want2"
cached >"$tmp/got2"
cmp -s "$tmp/want2" "$tmp/got2" || fail "at 12:00 the cache differs from event.get: $(diff "$tmp/want2" "$tmp/got2" | head -5)"
[ "$(wc -l <"$tmp/want2")" -gt "$n" ] || fail "no new problem in two hours"
r=$(q "SELECT resolved_at FROM incidents WHERE source_id = '$id'")
[ "$r" = "$(epoch 2025-03-03T10:35:00Z)" ] || fail "SIM-108 resolved at 10:35, cache says '$r'"
row=$(q "SELECT acknowledged_at || '|' || resolved_at FROM incidents WHERE title LIKE 'Payments webhook backlog%'")
[ "$row" = "$(epoch 2025-03-03T10:12:00Z)|$(epoch 2025-03-03T11:50:00Z)" ] || fail "SIM-110: '$row'"
requests
[ "$(calls history.get)" = 3 ] || fail "two hours of history: one page per metric, got $(calls history.get)"
[ "$(q "SELECT cursor FROM sync_state WHERE stream = 'metric:checkout.cpu'")" = "$(epoch 2025-03-03T12:00:00Z)" ] ||
	fail "the cpu cursor did not move to 12:00"
no_secret "$tmp/c.db"

finish sync_zabbix
