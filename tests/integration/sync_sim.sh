#!/bin/bash
# sync_sim.sh - `sitrep sync --once` against sitrep-sim over loopback: alerts become
# incidents (once, however often synced), alerts that stop being listed are resolved,
# metric sections become samples, and every injected fault (5xx, malformed or
# truncated JSON, wrong types, 429 with Retry-After, a reset connection, a body over
# the cap, a timeout) ends with a clear error in the sync state, exit 1, and the
# previous data intact.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z

cat >"$tmp/config" <<CONF
[source "am"]
	type = alertmanager
	url = $base/alertmanager
	service = checkout
[source "prom"]
	type = prometheus
	url = $base/prometheus
	interval = 60s
[metric "checkout.cpu"]
	source = prom
	query = sitrep:cpu_percent{service=\\"checkout\\"}
CONF
chmod 600 "$tmp/config"
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
count() { sqlite3 "$tmp/c.db" "$1"; }
post_alert() { # name, startsAt, endsAt (may be empty)
	local ends=""
	[ -n "$3" ] && ends=",\"endsAt\": \"$3\""
	curl -s --max-time 5 -X POST -H 'Content-Type: application/json' "$base/alertmanager/api/v2/alerts" \
		-d "[{\"labels\": {\"alertname\": \"$1\", \"service\": \"checkout\", \"severity\": \"critical\"},
		     \"annotations\": {\"summary\": \"$1 is failing\"}, \"startsAt\": \"$2\"$ends}]" >/dev/null
}
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }

# --- alerts become incidents, once
post_alert HighErrorRate 2025-03-03T09:50:00Z ""
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^am ' "$tmp/out" || fail "no line for am: $(cat "$tmp/out")"
n=$(count "SELECT count(*) FROM incidents WHERE source = 'am' AND title LIKE 'HighErrorRate%'")
[ "$n" = 1 ] || fail "expected the alert as one incident, got $n"
d=$(count "SELECT detected_at FROM incidents WHERE source = 'am' AND title LIKE 'HighErrorRate%'")
[ "$d" = "$(date -u -d 2025-03-03T09:50:00Z +%s)" ] || fail "detected_at $d is not startsAt"
run sync --once >/dev/null 2>&1 || fail "second sync"
n2=$(count "SELECT count(*) FROM incidents WHERE source = 'am'")
[ "$(count "SELECT count(*) FROM incidents WHERE source = 'am' AND title LIKE 'HighErrorRate%'")" = 1 ] ||
	fail "a second sync duplicated the incident"
s=$(count "SELECT count(*) FROM metric_samples")
[ "$s" -gt 0 ] || fail "no samples from the metric section"
# Prometheus's alerts arrive through /rules: detection is activeAt plus the rule's
# pending period, which the simulated rules all have.
[ "$(count "SELECT count(*) FROM incidents WHERE source = 'prom'")" -gt 0 ] || fail "no Prometheus alerts"
curl -s --max-time 5 "$base/prometheus/api/v1/rules?type=alert" >"$tmp/rules.json"
pending=$(sqlite3 :memory: "SELECT json_extract(readfile('$tmp/rules.json'), path || '.duration')
	FROM json_tree(readfile('$tmp/rules.json')) WHERE key = 'name' AND atom = 'CheckoutHighErrorRate'")
[ -n "$pending" ] && [ "$pending" -gt 0 ] || fail "the sim's rule has no pending period: $pending"
got=$(count "SELECT detected_at - impact_start FROM incidents WHERE source = 'prom' AND title LIKE 'Checkout 5xx%'")
[ "$got" = "$pending" ] || fail "detection is $got s after the impact start, the rule's pending period is $pending s"

# --- an alert that is no longer listed is resolved
post_alert HighErrorRate 2025-03-03T09:50:00Z 2025-03-03T09:55:00Z
run sync --once >/dev/null 2>&1 || fail "sync after resolve"
r=$(count "SELECT resolved_at IS NOT NULL FROM incidents WHERE source = 'am' AND title LIKE 'HighErrorRate%'")
[ "$r" = 1 ] || fail "the vanished alert was not resolved"

# --- faults: exit 1, a clear error in the state, nothing lost
before=$(count "SELECT count(*) || '/' || (SELECT count(*) FROM metric_samples) FROM incidents")
check_fault() { # json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once --source am >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -i -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	grep -q '"state": "failing"' "$tmp/status.json" || fail "fault $1: am not failing in status"
	after=$(count "SELECT count(*) || '/' || (SELECT count(*) FROM metric_samples) FROM incidents")
	[ "$before" = "$after" ] || fail "fault $1: data changed ($before -> $after)"
	[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
route=/alertmanager/api/v2/alerts
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" 'HTTP 500'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'json|parse|expected'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'json|parse|end of input|truncated'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" 'not|expected|type'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'recv|reset|empty|closed|connection'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" 'larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'HTTP 429'

# --- a 429 asking for a short wait is honoured: the retry succeeds
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once --source am >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1 not retried: $(cat "$tmp/err")"

# --- back to health
clear_faults
run sync --once >/dev/null 2>&1 || fail "sync after the faults"
run status --format json >"$tmp/status.json"
grep -q '"state": "failing"' "$tmp/status.json" && fail "still failing after a good round"
run status >"$tmp/line" || fail "status line"
grep -q 'am ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

# --- a source that cannot start (its credential is missing) shows failing, and
# is ok again after its next good round: the failure to start is not kept
cat >>"$tmp/config" <<CONF
[source "secured"]
	type = prometheus
	url = $base/prometheus
	token = env:SECURED_TOKEN
CONF
run sync --once --source secured >/dev/null 2>"$tmp/err" && fail "sync without the credential passed"
grep -q 'SECURED_TOKEN' "$tmp/err" || fail "the missing credential is not named: $(cat "$tmp/err")"
run status >"$tmp/line"
grep -q 'secured failing' "$tmp/line" || fail "a source that cannot start is not failing: $(cat "$tmp/line")"
SECURED_TOKEN=anything run sync --once --source secured >/dev/null 2>"$tmp/err" ||
	fail "sync with the credential: $(cat "$tmp/err")"
run status >"$tmp/line"
grep -q 'secured ok' "$tmp/line" || fail "still failing after a good round: $(cat "$tmp/line")"

finish sync_sim
