#!/bin/bash
# config_cli.sh - the analytics commands read the config file: service objectives
# from [service "NAME"] apply over the cache's, problems are reported on stderr with
# FILE:LINE without stopping the report, a file that does not parse stops it, and
# untrusted service names never reach the terminal raw.
set -u
. "$(dirname "$0")/lib.bash"
window="--from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z"

"$SITREP" --db "$tmp/c.db" import tests/fixtures/reference.json 2>/dev/null || { echo "import failed"; exit 1; }

# --- objectives from the config override the cache's (search: 0.99 in the file)
cat >"$tmp/config" <<'CONF'
[service "search"]
	slo = 99.5
	tier = 1
CONF
chmod 600 "$tmp/config"
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" slo $window --format csv >"$tmp/slo.csv" 2>"$tmp/err" || fail "slo with config"
grep -q '^slo.objective.search,0.995' "$tmp/slo.csv" || fail "config objective not applied: $(grep objective "$tmp/slo.csv")"
grep -q '^slo.budget_minutes.search,216' "$tmp/slo.csv" || fail "budget from the config objective: $(grep budget_minutes "$tmp/slo.csv")"
[ -s "$tmp/err" ] && fail "a clean config printed: $(cat "$tmp/err")"
SITREP_CONFIG="$tmp/config" "$SITREP" --db "$tmp/c.db" slo $window --format csv >"$tmp/slo2.csv" 2>/dev/null
cmp -s "$tmp/slo.csv" "$tmp/slo2.csv" || fail "\$SITREP_CONFIG is not read like --config"

# --- problems are reported with FILE:LINE, the report still comes
cat >"$tmp/bad" <<'CONF'
[service "search"]
	slo = 99.5
[source "prom"]
	type = prometheus
	url = http://127.0.0.1:9090
	interval = often
CONF
"$SITREP" --config "$tmp/bad" --db "$tmp/c.db" mttx $window --format json >"$tmp/out" 2>"$tmp/err" || fail "a config problem stopped the report"
grep -q "$tmp/bad:6:" "$tmp/err" || fail "problem without FILE:LINE: $(cat "$tmp/err")"
[ -s "$tmp/out" ] || fail "no report"

# --- a literal secret in a file others can read is refused, and never echoed
cat >"$tmp/leaky" <<'CONF'
[source "sentry"]
	type = sentry
	url = https://sentry.example
	org = acme
	token = sntrys_TOPSECRET_VALUE_123
CONF
chmod 644 "$tmp/leaky"
"$SITREP" --config "$tmp/leaky" --db "$tmp/c.db" mttx $window >"$tmp/out" 2>"$tmp/err"
grep -q "literal secret" "$tmp/err" || fail "literal secret in a readable file not reported: $(cat "$tmp/err")"
grep -q "TOPSECRET" "$tmp/err" "$tmp/out" && fail "the secret was printed"

# --- a file that does not parse stops the command, exit 1, nothing on stdout
printf '[service "x"\n\tslo = 1\n' >"$tmp/broken"
"$SITREP" --config "$tmp/broken" --db "$tmp/c.db" mttx $window >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "unparsable config: exit 1 expected"
[ -s "$tmp/out" ] && fail "unparsable config: stdout not empty"
grep -q "$tmp/broken" "$tmp/err" || fail "unparsable config: file not named: $(cat "$tmp/err")"
"$SITREP" --config "$tmp/missing" --db "$tmp/c.db" mttx $window >/dev/null 2>&1 && fail "a missing --config file was ignored"

# --- service names with escape sequences are printed safely
cat >"$tmp/evil.json" <<'JSON'
{"format": "sitrep-import/1", "incidents": [{"id": "E1", "source": "x", "service": "\u001b]0;owned\u0007evil\u001b[2J",
 "detected_at": "2025-03-02T10:00:00Z", "resolved_at": "2025-03-02T11:00:00Z"}]}
JSON
"$SITREP" --db "$tmp/c.db" import "$tmp/evil.json" 2>/dev/null || fail "import evil"
for f in table csv json; do
	"$SITREP" --db "$tmp/c.db" mttx $window --format $f >"$tmp/o.$f" || fail "mttx $f"
	LC_ALL=C grep -q $'[\x1b\x07]' "$tmp/o.$f" && fail "escape sequence in the $f report"
done
grep -q evil "$tmp/o.table" || fail "the service is missing from the table"

finish config_cli
