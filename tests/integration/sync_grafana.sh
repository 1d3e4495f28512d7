#!/bin/bash
# sync_grafana.sh - `sitrep sync --once` with a Grafana source against sitrep-sim over
# loopback, the token sent as a bearer header and never shown: the firing alert
# instances become incidents whose impact starts the rule's pending period before
# startsAt (the scenario's own impact), silences and inhibitions become events, the
# annotations of each incident's rule and panel become its timeline, and each metric
# section becomes the samples /api/ds/query answers; a second round adds nothing;
# moving the clock brings a new incident, then the resolutions and their annotations;
# and every injected fault (5xx, 401, 403, 429, malformed and truncated JSON, wrong
# types, a huge body, a reset connection, a failing query) ends with a clear error in
# the sync state, exit 1, and the data intact.
set -u
. "$(dirname "$0")/lib.bash"

token=glsa_s3cretT0ken
start_sim --start 2025-03-03T10:00:00Z --require-token "$token"

cat >"$tmp/config" <<CONF
[source "graf"]
	type = grafana
	url = $base/grafana/
	token = env:GRAFANA_TOKEN
[metric "checkout.rpm"]
	source = graf
	query = "sim-prometheus: sitrep:rpm{service=\\"checkout\\"}"
[metric "fleet.cpu"]
	source = graf
	query = sim-prometheus: sitrep:cpu_percent
CONF
chmod 600 "$tmp/config"
export GRAFANA_TOKEN=$token
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
epoch() { date -u -d "$1" +%s; }
now() { epoch "$SITREP_TIME_NOW"; }
api() { curl -s --max-time 5 -H "Authorization: Bearer $token" "$base/grafana$1"; }
ds_query() { # expr, from, to (epoch seconds)
	jq -n --arg e "$1" --arg f "$2" --arg t "$3" '{queries: [{refId: "A",
		datasource: {uid: "sim-prometheus"}, expr: $e, range: true, instant: false,
		intervalMs: 60000, maxDataPoints: 11000}], from: ($f + "000"), to: ($t + "000")}' |
		curl -s --max-time 5 -X POST -H "Authorization: Bearer $token" \
			-H 'Content-Type: application/json' --data-binary @- "$base/grafana/api/ds/query"
}
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
advance() { curl -s --max-time 5 -X POST "$base/_sim/clock" -d "{\"advance\": \"$1\"}" >/dev/null; }
state() { q "SELECT (SELECT count(*) FROM incidents) || '/' ||
	(SELECT count(*) FROM incidents WHERE resolved_at IS NOT NULL) || '/' ||
	(SELECT count(*) FROM incident_events) || '/' || (SELECT count(*) FROM metric_samples)"; }

# The firing instances as the sim lists them: "fp:FINGERPRINT:STARTS".
listed_ids() {
	api /api/alertmanager/grafana/api/v2/alerts |
		jq -r '.[] | "fp:\(.fingerprint):\(.startsAt | sub("\\.[0-9]+Z$"; "Z") | fromdate)"' |
		sort
}
# The scenario's incidents firing now: "service|title|impact|fire|severity".
scenario_firing() {
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r --argjson now "$(now)" '
		.incidents[] | (.fire | fromdate) as $f | (.resolve // "9999-01-01T00:00:00Z" |
		fromdate) as $r | select($f <= $now and $now < $r) |
		"\(.service)|\(.title)|\(.impact | fromdate)|\($f)|" +
		({critical: "P1", warning: "P3", info: "P4"}[.severity])' | sort
}
stored_open() {
	q "SELECT s.name, i.title, i.impact_start, i.detected_at, i.severity FROM incidents i
		JOIN services s ON s.id = i.service_id WHERE i.resolved_at IS NULL" | sort
}
# The annotation ids the sim holds for an incident: its rule's state changes
# (alertId) and its panel's notes from its impact start on; "KIND ID" lines.
expected_notes() { # incident source_id
	local fp=${1#fp:} impact
	fp=${fp%%:*}
	impact=$(q "SELECT impact_start FROM incidents WHERE source_id = '$1'")
	api /api/alertmanager/grafana/api/v2/alerts >"$tmp/alerts.json"
	api /api/ruler/grafana/api/v1/rules >"$tmp/rules.json"
	api "/api/annotations?from=0&to=$(($(now) * 1000))&limit=5000" >"$tmp/notes.json"
	jq -r --arg fp "$fp" --argjson from "$(((impact - 60) * 1000))" \
		--slurpfile alerts "$tmp/alerts.json" --slurpfile rules "$tmp/rules.json" '
		($alerts[0][] | select(.fingerprint == $fp)) as $a |
		([$rules[0][][].rules[].grafana_alert | select(.uid ==
			$a.labels.__alert_rule_uid__) | .id][0]) as $id |
		.[] | select(.timeEnd >= $from) |
		if .alertId != 0 then select(.alertId == $id) | "state \(.id)"
		else select(.dashboardUID == $a.annotations.__dashboardUid__ and
			(.panelId | tostring) == $a.annotations.__panelId__) | "annotation \(.id)"
		end' "$tmp/notes.json" | sort
}
stored_notes() { # incident source_id
	q "SELECT DISTINCT replace(e.kind, 'annotation-end', 'annotation') || ' ' ||
		e.source_event_id FROM incident_events e JOIN incidents i ON i.id = e.incident_id
		WHERE i.source_id = '$1' AND e.kind IN ('state', 'annotation', 'annotation-end')" |
		sort
}
# A metric's samples as the sim's /api/ds/query answers them: "LABELS|TS|MILLI".
expected_samples() { # expr
	local now from
	now=$(now)
	from=$(((now - 3600) / 60 * 60))
	ds_query "$1" "$from" "$now" | jq -r '.results.A.frames[] |
		(.schema.fields[1].labels | to_entries | sort_by(.key) |
		map("\(.key)=\(.value)") | join(",")) as $l |
		[.data.values[0], .data.values[1]] | transpose[] |
		"\($l)|\(.[0] / 1000 | floor)|\(.[1] * 1000 | round)"' | sort
}
stored_samples() { # metric name, since
	q "SELECT s.labels || '|' || m.ts || '|' || CAST(round(m.value * 1000) AS INTEGER)
		FROM metric_samples m JOIN metric_series s ON s.id = m.series_id
		WHERE s.name = '$1' AND m.ts >= $2" | sort
}

# --- the sim speaks Grafana: health is open, the rest wants the token
[ "$(curl -s --max-time 5 "$base/grafana/api/health" | jq -r .database)" = ok ] ||
	fail "health check"
body=$(curl -s --max-time 5 "$base/grafana/api/annotations")
[ "$(echo "$body" | jq -r .message)" = "Invalid API key" ] || fail "401 body: $body"

# --- first round: incidents, events and samples as the sim serves them
curl -s --max-time 5 -X DELETE "$base/_sim/requests" >/dev/null
run sync --once --verbose >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
curl -s --max-time 5 "$base/_sim/requests" >"$tmp/req.json"
grep -q '^graf  *ok' "$tmp/out" || fail "no ok line: $(cat "$tmp/out")"
ids=$(listed_ids)
[ "$(echo "$ids" | wc -l)" = 3 ] || fail "the sim lists $(echo "$ids" | wc -l) alerts, not 3"
[ "$(q "SELECT source_id FROM incidents ORDER BY 1")" = "$ids" ] ||
	fail "incidents $(q "SELECT group_concat(source_id) FROM incidents") for alerts $ids"
[ "$(stored_open)" = "$(scenario_firing)" ] ||
	fail "incidents: got $(stored_open), want the scenario's $(scenario_firing)"
[ "$(q "SELECT count(*) FROM incident_events WHERE kind = 'trigger'")" = 3 ] ||
	fail "not one trigger per incident"
api /api/alertmanager/grafana/api/v2/alerts >"$tmp/alerts.json"
want=$(jq -r '.[] | .fingerprint as $f | (.status.silencedBy[] | "silence \($f) \(.)"),
	(.status.inhibitedBy[] | "inhibit \($f) \(.)")' "$tmp/alerts.json" | sort)
got=$(q "SELECT e.kind || ' ' || substr(i.source_id, 4, 16) || ' ' || e.source_event_id
	FROM incident_events e JOIN incidents i ON i.id = e.incident_id
	WHERE e.kind IN ('silence', 'inhibit')" | sort)
[ -n "$want" ] && [ "$got" = "$want" ] || fail "muting events: got '$got', want '$want'"
for id in $ids; do
	want=$(expected_notes "$id")
	[ -n "$want" ] || fail "$id: the sim has no annotation for it"
	[ "$(stored_notes "$id")" = "$want" ] ||
		fail "$id: annotation events '$(stored_notes "$id" | tr '\n' ' ')', want '$(echo "$want" | tr '\n' ' ')'"
done
[ "$(q "SELECT count(*) FROM incident_events WHERE text LIKE '%backup%'")" = 0 ] ||
	fail "an annotation of no incident became an event"
q "SELECT e.actor || '|' || e.text FROM incident_events e WHERE e.kind = 'annotation'" |
	grep -q '^dana|ack SIM-108: investigating \[ack\]$' || fail "the on-call's note is missing"
since=$(((($(now) - 3600) / 60) * 60))
want=$(expected_samples 'sitrep:rpm{service="checkout"}')
[ "$(echo "$want" | wc -l)" = 61 ] || fail "the sim answers $(echo "$want" | wc -l) points, not 61"
[ "$(stored_samples checkout.rpm "$since")" = "$want" ] || fail "checkout.rpm samples differ"
want=$(expected_samples 'sitrep:cpu_percent')
[ "$(stored_samples fleet.cpu "$since")" = "$want" ] || fail "fleet.cpu samples differ"
[ "$(q "SELECT count(*) FROM metric_series WHERE name = 'fleet.cpu'")" = 3 ] ||
	fail "fleet.cpu: not one series per service"
[ "$(q "SELECT DISTINCT labels FROM metric_series WHERE name = 'checkout.rpm'")" = \
	"__name__=sitrep:rpm,service=checkout" ] || fail "checkout.rpm labels"
# The token went as a bearer header, and nowhere else.
cat "$tmp/out" "$tmp/err" | grep -q "$token" && fail "the token was printed"
grep -q 'Authorization: <redacted>' "$tmp/err" || fail "no redacted header in the trace"
grep -a -q "$token" "$tmp/c.db" && fail "the token is in the cache"
for r in /api/ruler/grafana/api/v1/rules /api/alertmanager/grafana/api/v2/alerts \
	/api/annotations /api/ds/query; do
	jq -e --arg r "/grafana$r" '.routes[$r].authorization == "Bearer" and
		.routes[$r].token_ok == true' "$tmp/req.json" >/dev/null ||
		fail "$r: no bearer token: $(cat "$tmp/req.json")"
done
jq -e '.routes["/grafana/api/ds/query"] | .count == 2 and .method == "POST"' "$tmp/req.json" \
	>/dev/null || fail "not one POST per metric: $(cat "$tmp/req.json")"

# --- a second round adds nothing
before=$(state)
run sync --once >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the second round changed the data: $before -> $(state)"

# --- 10:20: SIM-111 has fired, with its Pending annotation from before; 20 more points
advance 20m
export SITREP_TIME_NOW=2025-03-03T10:20:00Z
run sync --once >/dev/null 2>"$tmp/err" || fail "sync at 10:20: $(cat "$tmp/err")"
ids=$(listed_ids)
[ "$(echo "$ids" | wc -l)" = 4 ] || fail "at 10:20 the sim lists $(echo "$ids" | wc -l) alerts"
[ "$(q "SELECT source_id FROM incidents ORDER BY 1")" = "$ids" ] || fail "at 10:20: incidents"
[ "$(stored_open)" = "$(scenario_firing)" ] || fail "at 10:20: $(stored_open)"
for id in $ids; do
	[ "$(stored_notes "$id")" = "$(expected_notes "$id")" ] || fail "at 10:20: $id annotations"
done
[ "$(q "SELECT count(*) FROM metric_samples m JOIN metric_series s ON s.id = m.series_id
	WHERE s.name = 'checkout.rpm'")" = 81 ] || fail "at 10:20: checkout.rpm is not 81 points"

# --- 12:00: all four are over; each resolved at the poll, with the Normal state
# annotation at the scenario's resolve time and the on-call's region on its timeline
advance 1h40m
export SITREP_TIME_NOW=2025-03-03T12:00:00Z
run sync --once >/dev/null 2>"$tmp/err" || fail "sync at 12:00: $(cat "$tmp/err")"
[ "$(listed_ids)" = "" ] || fail "the sim still lists alerts at 12:00"
[ "$(q "SELECT count(*) FROM incidents WHERE resolved_at = $(now)")" = 4 ] ||
	fail "not resolved at the poll: $(q "SELECT source_id, resolved_at FROM incidents")"
want=$(curl -s --max-time 5 "$base/_sim/scenario" | jq -r '.incidents[] |
	select(.id | test("SIM-10[89]|SIM-11[01]")) | "\(.title)|\(.resolve | fromdate)"' | sort)
got=$(q "SELECT i.title || '|' || e.at FROM incident_events e JOIN incidents i
	ON i.id = e.incident_id WHERE e.kind = 'state' AND e.text LIKE 'Alerting -> Normal%'" | sort)
[ "$got" = "$want" ] || fail "Normal annotations: got '$got', want '$want'"
[ "$(q "SELECT count(*) FROM incident_events WHERE kind = 'annotation-end'")" = 4 ] ||
	fail "the regions' ends are missing"

# --- 13:30: payments is down (SIM-112, a critical outage)
advance 1h30m
export SITREP_TIME_NOW=2025-03-03T13:30:00Z
run sync --once >/dev/null 2>"$tmp/err" || fail "sync at 13:30: $(cat "$tmp/err")"
[ "$(stored_open)" = "$(scenario_firing)" ] ||
	fail "at 13:30: got $(stored_open), want $(scenario_firing)"
[ "$(q "SELECT impact FROM incidents WHERE resolved_at IS NULL")" = 0 ] ||
	fail "a critical alert is not an outage"

# --- faults: exit 1, a clear error in the state, nothing lost
before=$(state)
# The round's first failure is printed (the rules stream runs first); status shows
# the first failing stream by name (alerts, annotations, metric:..., rules).
check_fault() { # json, printed error pattern, [status error pattern]
	clear_faults
	fault "$1"
	run sync --once >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "graf") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: graf not failing in status"
	jq -r '.sources[] | select(.name == "graf") | .last_error' "$tmp/status.json" |
		grep -q -E "${3:-$2}" ||
		fail "fault $1: the error is not in status: $(cat "$tmp/status.json")"
	cat "$tmp/out" "$tmp/err" "$tmp/status.json" | grep -q "$token" &&
		fail "fault $1: the token was printed"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed ($before -> $(state))"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
route='/grafana/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" \
	'rules: grafana rules: HTTP 500: Internal Server Error' \
	'grafana alerts: HTTP 500: Internal Server Error'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 502}" \
	'grafana rules: HTTP 502: 502 Bad Gateway' 'grafana alerts: HTTP 502: 502 Bad Gateway'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" \
	'grafana rules: HTTP 401: Invalid API key \(check the token\)' \
	'grafana alerts: HTTP 401: Invalid API key \(check the token\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'HTTP 403: .*alert.rules:read \(the token.s service account lacks'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" \
	'grafana rules: HTTP 429: Too Many Requests' 'grafana alerts: HTTP 429: Too Many Requests'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" \
	'grafana rules: the response is not JSON' 'grafana alerts: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" \
	'grafana rules: the response is not JSON' 'grafana alerts: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" \
	'grafana rules: folder "checkout", group 0, rule 0: grafana_alert.id is not an integer' \
	'grafana alerts: alert 0: startsAt is missing or not a string'
check_fault "{\"route\": \"/grafana/api/annotations\", \"kind\": \"wrong_types\"}" \
	'grafana annotations: annotation 0: id is a string, not an integer'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" \
	'grafana rules: .*larger than' 'grafana alerts: .*larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" \
	'grafana rules: no response' 'grafana alerts: no response'
check_fault "{\"route\": \"/grafana/api/ds/query\", \"kind\": \"status\", \"status\": 500}" \
	'grafana metric:checkout.rpm: HTTP 500: Internal Server Error'
GRAFANA_TOKEN=wrong check_fault '{"route": "/nowhere", "kind": "reset"}' \
	'HTTP 401: Invalid API key \(check the token\)'

# A query Grafana refuses: the result's error, named by its metric (in a copy of
# the cache: a metric section taken out of the config would stay failing).
clear_faults
cp "$tmp/config" "$tmp/config.bad"
cat >>"$tmp/config.bad" <<CONF
[metric "search.rpm"]
	source = graf
	query = "nosuch-ds: sitrep:rpm"
CONF
cp "$tmp/c.db" "$tmp/bad.db"
"$SITREP" --config "$tmp/config.bad" --db "$tmp/bad.db" sync --once >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "a refused query: exit 1 expected"
grep -q 'metric:search.rpm: grafana metric:search.rpm: the query failed: data source not found (status 404)' \
	"$tmp/err" || fail "a refused query: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/bad.db" "SELECT count(*) FROM metric_series WHERE name = 'search.rpm'")" = 0 ] ||
	fail "a refused query made a series"

# A 429 asking for a short wait is honoured: the retry succeeds.
clear_faults
fault "{\"route\": \"/grafana/api/annotations\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"

# --- back to health
clear_faults
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'graf ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

finish sync_grafana
