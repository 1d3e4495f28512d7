#!/bin/bash
# status_line.sh - `sitrep status --format line` on a prepared cache: the exact line
# (the worst open incident, highest severity then oldest, with its age; failing and
# stale sources; a rollout alarm), a hostile title that reaches the line sanitized
# and cut, no control character in any output, the unknown severity taken only when
# no known one is open, and an empty cache. Also the JSON and text formats.
set -u
. "$(dirname "$0")/lib.bash"

export SITREP_TIME_NOW=2025-03-03T10:00:00Z TZ=UTC LC_ALL=C
cat >"$tmp/import.json" <<'JSON'
{"format": "sitrep-import/1",
 "services": [{"name": "checkout"}, {"name": "payments"}, {"name": "search"}],
 "incidents": [
  {"id": "OG-1", "source": "opsgenie", "service": "checkout", "title": "Checkout 5xx rate above 5%",
   "severity": "P1", "detected_at": "2025-03-03T09:40:00Z"},
  {"id": "OG-5", "source": "opsgenie", "service": "payments",
   "title": "\u001b]0;pwned\u0007Payments \u001b[31mAPI\u001b[0m down:\nall pods crash-looping after the 2.14.0 rollout",
   "severity": "P1", "detected_at": "2025-03-03T09:30:00Z", "acknowledged_at": "2025-03-03T09:33:00Z"},
  {"id": "OG-6", "source": "opsgenie", "service": "search", "title": "resolved, older",
   "severity": "P1", "detected_at": "2025-03-03T08:00:00Z", "resolved_at": "2025-03-03T08:30:00Z"},
  {"id": "OG-7", "source": "opsgenie", "service": "search", "title": "closed, older",
   "severity": "P1", "detected_at": "2025-03-03T07:00:00Z", "closed_at": "2025-03-03T07:30:00Z"},
  {"id": "OG-8", "source": "opsgenie", "service": "checkout", "title": "no severity, oldest",
   "detected_at": "2025-03-03T06:00:00Z"},
  {"id": "OG-9", "source": "opsgenie", "service": "search", "title": "a P2, older",
   "severity": "P2", "detected_at": "2025-03-03T05:00:00Z"}
 ],
 "deployments": [
  {"id": "DEP-1", "source": "argocd", "service": "checkout", "environment": "production",
   "status": "running", "version": "1.44.0-rc.1", "pattern": "canary",
   "started_at": "2025-03-03T09:35:00Z", "finished_at": "2025-03-03T09:35:00Z"},
  {"id": "DEP-2", "source": "argocd", "service": "payments", "environment": "production",
   "status": "success", "version": "2.14.0", "pattern": "rolling",
   "started_at": "2025-03-03T09:00:00Z", "finished_at": "2025-03-03T09:10:00Z"}
 ]}
JSON
"$SITREP" --db "$tmp/c.db" import "$tmp/import.json" >/dev/null 2>"$tmp/err" ||
	{ echo "FAIL: import: $(cat "$tmp/err")"; exit 1; }
# The canary is still rolling out (the import format has no running deployment).
sqlite3 "$tmp/c.db" "UPDATE deployments SET finished_at = NULL, canary_weight = 25 WHERE source_id = 'DEP-1';
	INSERT INTO sync_state(source, stream, last_attempt, last_success, last_error)
	VALUES ('prom', 'alerts', 1740995970, 1740995970, NULL),
	       ('og', 'alerts', 1740995990, 1740995000, 'HTTP 503 from the upstream'),
	       ('sentry', 'issues', 1740992400, 1740992400, NULL);"
cat >"$tmp/config" <<'CONF'
[source "prom"]
	type = prometheus
	url = http://127.0.0.1:1/
	interval = 15s
[source "og"]
	type = opsgenie
	url = http://127.0.0.1:1/
	token = env:OG_TOKEN
[source "sentry"]
	type = sentry
	url = http://127.0.0.1:1/
	org = acme
	token = env:SENTRY_TOKEN
	interval = 60s
CONF
chmod 600 "$tmp/config"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
# no_controls FILE: no byte below 0x20 but the final newline, and no DEL.
no_controls() {
	[ "$(tr -d '\n' <"$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)" = 0 ] &&
		[ "$(wc -l <"$1")" = 1 ]
}

# --- the line: payments' P1 is older than checkout's; the resolved and closed P1s,
# the P2 and the incident without a severity are not the worst; the title lost its
# escape sequences and newline and is cut to 40 columns
run status --format line >"$tmp/line" 2>"$tmp/err" || fail "status --format line: $(cat "$tmp/err")"
want='P1 payments 30m: Payments API down: all pods crash-loopi~ | failing: og | stale: sentry | ALARM checkout 1.44.0-rc.1 canary 25%'
[ "$(cat "$tmp/line")" = "$want" ] || fail "line:
  got  $(cat "$tmp/line")
  want $want"
no_controls "$tmp/line" || fail "control characters in the line: $(od -c "$tmp/line" | head)"
[ -s "$tmp/err" ] && fail "stderr: $(cat "$tmp/err")"

# In a UTF-8 locale the cut is marked with an ellipsis.
LC_ALL=C.UTF-8 run status --format line >"$tmp/line8"
grep -q 'crash-loopi… | failing: og' "$tmp/line8" || fail "UTF-8 line: $(cat "$tmp/line8")"

# --- the canary is aborted: no alarm; a rollout done long ago raises none either
sqlite3 "$tmp/c.db" "UPDATE deployments SET status = 'rolled_back', finished_at = 1740995400
	WHERE source_id = 'DEP-1'"
run status --format line >"$tmp/line"
grep -q 'ALARM' "$tmp/line" && fail "an aborted canary still alarms: $(cat "$tmp/line")"
# ... but a finished rollout still baking does
sqlite3 "$tmp/c.db" "UPDATE deployments SET status = 'success', bake_until = 1740996600
	WHERE source_id = 'DEP-1'"
run status --format line >"$tmp/line"
grep -q '| ALARM checkout 1.44.0-rc.1 canary 25%$' "$tmp/line" || fail "baking: $(cat "$tmp/line")"

# --- JSON carries the same
run status --format json >"$tmp/json" || fail "status --format json"
jq -e '.worst_open_incident.source_id == "OG-5" and .worst_open_incident.severity == "P1"
	and .alarm.service == "checkout" and .alarm.canary_weight == 25
	and (.sources | map(.state) == ["ok", "failing", "stale"])' "$tmp/json" >/dev/null ||
	fail "json: $(cat "$tmp/json")"

# --- the default format lists every source, as before
run status >"$tmp/text"
grep -q '^prom ok 30s · og failing 16m 40s · sentry stale 1h$' "$tmp/text" || fail "text: $(cat "$tmp/text")"

# --- only an incident without a severity is open: it is the worst
sqlite3 "$tmp/c.db" "UPDATE incidents SET resolved_at = 1740995000 WHERE severity IS NOT NULL"
run status --format line >"$tmp/line"
grep -q '^P? checkout 4h: no severity, oldest | failing: og' "$tmp/line" || fail "unknown severity: $(cat "$tmp/line")"

# --- an empty cache, no config
: >"$tmp/none"
"$SITREP" --config "$tmp/none" --db "$tmp/empty.db" status --format line >"$tmp/line" 2>"$tmp/err" ||
	fail "empty cache: $(cat "$tmp/err")"
[ "$(cat "$tmp/line")" = "no open incidents" ] || fail "empty cache: $(cat "$tmp/line")"

finish status_line
