#!/bin/bash
# doctor.sh - `sitrep doctor` against sitrep-sim: one line each for the config, the
# cache and every source, exit 0 only when all pass; a missing credential, a wrong
# token, an unreachable port, an upstream error, a config problem and a damaged
# cache each fail their own line with the reason, never with the secret; and the
# doctor writes nothing to the cache.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z --require-token s3cret-doctor
dead_port=1 # nothing listens on tcpmux's port on loopback

write_config() { # extra text for the end
	cat >"$tmp/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = env:DOC_TOKEN
[source "sentry"]
	type = sentry
	url = $base/sentry
	org = acme
	project = checkout
	token = env:DOC_TOKEN
[source "prom"]
	type = prometheus
	url = $base/prometheus
	token = env:DOC_TOKEN
[metric "checkout.cpu"]
	source = prom
	query = sitrep:cpu_percent{service=\\"checkout\\"}
$1
CONF
	chmod 600 "$tmp/config"
}
export SITREP_TIME_NOW=2025-03-03T10:00:00Z DOC_TOKEN=s3cret-doctor
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
# The line of a check: "NAME STATE detail".
line_of() { grep -E "^$1 +" "$tmp/out"; }
expect() { # name, ok|failing, pattern in the detail
	local l
	l=$(line_of "$1")
	[ -n "$l" ] || { fail "no line for $1: $(cat "$tmp/out")"; return; }
	echo "$l" | grep -qE "^$1 +$2 " || fail "$1 is not $2: $l"
	echo "$l" | grep -qE -- "$3" || fail "$1: expected /$3/ in: $l"
}
no_secret() {
	grep -q s3cret "$tmp/out" "$tmp/err" && fail "a token reached the output: $(cat "$tmp/out" "$tmp/err")"
}

# --- all well
write_config ""
run doctor >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || fail "doctor exit $rc on a sound setup: $(cat "$tmp/out" "$tmp/err")"
[ "$(wc -l <"$tmp/out")" = 5 ] || fail "expected 5 lines (config, cache, 3 sources): $(cat "$tmp/out")"
expect config ok "3 sources, 1 metrics"
expect cache ok "integrity ok, 0 incidents"
expect og ok "opsgenie: [0-9]+ streams answered"
expect sentry ok "sentry: [0-9]+ streams answered"
expect prom ok "prometheus: 2 streams answered"
no_secret
# Nothing was written: the probe parsed pages but committed none of them.
[ "$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM incidents") $(sqlite3 "$tmp/c.db" "SELECT count(*) FROM sync_state")" = "0 0" ] ||
	fail "doctor wrote to the cache"

# --- a wrong token: the sources that use it fail, with the upstream's reason
DOC_TOKEN=wrong-token run doctor >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "doctor exit $rc with a wrong token"
expect og failing "401|[Aa]uthori[sz]"
expect sentry failing "401|[Aa]uthenticat|[Aa]uthori[sz]"
expect config ok "3 sources"
grep -q wrong-token "$tmp/out" "$tmp/err" && fail "the wrong token reached the output"

# --- a missing credential
env -u DOC_TOKEN "$SITREP" --config "$tmp/config" --db "$tmp/c.db" doctor >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "doctor passed without the credential"
expect og failing "DOC_TOKEN"

# --- unreachable, an upstream failing, and a config problem
write_config "[source \"gone\"]
	type = alertmanager
	url = http://127.0.0.1:$dead_port/
[source \"broken\"]
	type = prometheus
	url = $base/prometheus
	colour = blue"
curl -s --max-time 5 -X POST "$base/_sim/fault" \
	-d '{"route": "/sentry/*", "kind": "status", "status": 500}' >/dev/null
run doctor >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "doctor passed with an unreachable source"
expect gone failing "alertmanager: .*(refused|connect)"
expect sentry failing "500"
expect og ok "streams answered"
grep -E '^config +failing .*colour' "$tmp/out" >/dev/null || fail "the unknown key has no failing config line: $(cat "$tmp/out")"
no_secret
curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null

# --- a damaged cache
write_config ""
run sync --once >/dev/null 2>&1 || fail "sync before damaging the cache"
n=$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM incidents")
[ "$n" -gt 0 ] || fail "the sync brought no incidents"
run doctor >"$tmp/out" 2>"$tmp/err"
expect cache ok "integrity ok, $n incidents"
# Make the index lie about the table: it holds detected_at, the schema says title.
sqlite3 "$tmp/c.db" "PRAGMA writable_schema = ON; UPDATE sqlite_schema
	SET sql = 'CREATE INDEX incidents_detected ON incidents(title)' WHERE name = 'incidents_detected'"
run doctor >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "doctor passed on a damaged cache: $(cat "$tmp/out")"
grep -E '^cache +failing ' "$tmp/out" >/dev/null || fail "no failing cache line: $(cat "$tmp/out" "$tmp/err")"

# --- usage
run doctor --bogus >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] || fail "doctor --bogus is not a usage error"
grep -q "usage: sitrep doctor" "$tmp/err" || fail "no usage line: $(cat "$tmp/err")"

[ $failures = 0 ] || exit 1
echo "doctor: ok"
