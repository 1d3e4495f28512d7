#!/bin/bash
# alarm.sh - the rollback alarm end to end, synced from sitrep-sim: at 08:17 on the
# demo scenario's Monday checkout's 1.44.0-rc.1 canary (DEP-135) is baking while
# its errors doubled (SIM-115): `sitrep status` (text, line, json) shows the
# failing verdict with its reason; `sitrep sync --once` rolls it back through the
# exec executor (a script that records its arguments) as sitrep-alarm, with the
# audit rows of a person's rollback, and not a second time on the next round;
# `sitrep sync --daemon` does the same on a fresh cache, once, and not again
# after a restart (the audit log remembers);
# search's canary fails too (a latency incident) but has no auto-rollback, so it
# is only reported. At 07:06 search's canary is healthy: no alarm, no rollback,
# although its [deploy] has auto-rollback = true.
set -u
. "$(dirname "$0")/lib.bash"

start_sim
clock() { curl -s --max-time 5 -X POST "$base/_sim/clock" -d "{\"set\": \"$1\"}" >/dev/null; }
export TOKEN=t0ken RECORD=$tmp/args TZ=UTC LC_ALL=C
unset SSH_CLIENT

cat >"$tmp/undo.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$RECORD"
echo "rolled back $1"
SH
chmod +x "$tmp/undo.sh"
metric() { # service name recording-rule
	printf '[metric "%s.%s"]\n\tsource = prom\n\tquery = %s{service=\\"%s\\"}\n' "$1" "$2" "$3" "$1"
}
{
	cat <<CONF
[sitrep]
	user = alice
[source "argo"]
	type = argocd
	url = $base/argocd
	token = env:TOKEN
[source "prom"]
	type = prometheus
	url = $base/prometheus
	interval = 30s
	backfill = 3h
[deploy "checkout.production"]
	rollback = exec:$tmp/undo.sh {service} {env} {version} {sha}
	auto-rollback = true
[deploy "search.production"]
	rollback = exec:$tmp/undo.sh {service} {env} {version} {sha}
	health-latency = x1.5
CONF
	metric checkout errors sitrep:errors_per_minute
	metric checkout latency sitrep:latency_avg_seconds
	metric search errors sitrep:errors_per_minute
	metric search latency sitrep:latency_avg_seconds
} >"$tmp/config"
chmod 600 "$tmp/config"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
audit() { q "SELECT result FROM actions WHERE actor = 'sitrep-alarm' AND target = '$1' ORDER BY id" | tr '\n' ' '; }

# ---- 08:17: the bad canary ----
clock 2025-03-03T08:17:00Z
export SITREP_TIME_NOW=2025-03-03T08:17:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync: $(cat "$tmp/err")"
[ "$(q "SELECT status || ' ' || version || ' ' || canary_weight FROM deployments WHERE source_id = 'checkout-prod:5'")" = \
	"running 1.44.0-rc.1 10.0" ] || fail "the canary is not in the cache: $(q "SELECT * FROM deployments WHERE source_id = 'checkout-prod:5'")"
reason='errors/min 121.7 vs 59.0 baseline (x2.06) for 2m'
grep -qF "rollback alarm checkout.production: rollback alarm on checkout-prod:5 (1.44.0-rc.1): $reason; to 1.43.1" "$tmp/out" ||
	fail "sync did not report the alarm's rollback: $(cat "$tmp/out")"

# the executor ran once, for checkout, back to 1.43.1
sha=$(q "SELECT sha FROM deployments WHERE source_id = 'checkout-prod:4'")
[ ${#sha} = 40 ] || fail "no sha of checkout-prod:4: '$sha'"
[ "$(cat "$tmp/args" 2>/dev/null)" = "checkout production 1.43.1 $sha" ] ||
	fail "the executor's arguments: $(cat "$tmp/args" 2>/dev/null)"
[ "$(audit checkout.production)" = "requested confirmed succeeded " ] ||
	fail "audit of the auto-rollback: $(audit checkout.production)"
q "SELECT detail FROM actions WHERE actor = 'sitrep-alarm' AND result = 'confirmed'" |
	grep -qxF 'auto-rollback = true in [deploy "checkout.production"]' ||
	fail "confirmed row: $(q "SELECT detail FROM actions WHERE result = 'confirmed'")"
# search fails too, but nothing rolls it back: no auto-rollback there
[ -z "$(audit search.production)" ] || fail "search was acted on: $(audit search.production)"
[ "$(q "SELECT count(*) FROM actions WHERE target = 'search.production'")" = 0 ] ||
	fail "audit rows for search"

# sitrep status: the line starts with the alarm and says the alarm rolled it back;
# text and json carry both alarms
run status --format line >"$tmp/line" 2>"$tmp/err" || fail "status line: $(cat "$tmp/err")"
case "$(cat "$tmp/line")" in
"ALARM checkout.production 1.44.0-rc.1 canary 10%: $reason (auto-rollback succeeded) | "*) ;;
*) fail "status line: $(cat "$tmp/line")" ;;
esac
run status >"$tmp/text" 2>"$tmp/err" || fail "status: $(cat "$tmp/err")"
grep -qxF "ALARM checkout.production 1.44.0-rc.1 canary 10%: $reason (auto-rollback succeeded)" "$tmp/text" ||
	fail "status text: $(cat "$tmp/text")"
grep -q '^ALARM search.production 3.8.1 canary 50%: latency 164ms vs 43ms baseline (x3.80) for 18m30s$' "$tmp/text" ||
	fail "status text, search: $(cat "$tmp/text")"
run status --format json >"$tmp/json" 2>"$tmp/err" || fail "status json: $(cat "$tmp/err")"
jq -e '.rollback_alarms[0] | .service == "checkout" and .environment == "production" and
	.deployment == "checkout-prod:5" and .verdict == "failing" and .auto_rollback == "succeeded" and
	(.metrics[] | select(.series | startswith("checkout.errors")) | .verdict == "failing" and .held == 120 and
	 (.ratio * 100 | floor) == 206)' "$tmp/json" >/dev/null || fail "status json: $(jq -c .rollback_alarms "$tmp/json")"

# ---- the next round: not a second time ----
run sync --once >"$tmp/out2" 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/args")" = 1 ] || fail "the executor ran again: $(cat "$tmp/args")"
[ "$(audit checkout.production)" = "requested confirmed succeeded " ] ||
	fail "audit after the second round: $(audit checkout.production)"
grep -q 'rollback alarm' "$tmp/out2" && fail "the second round acted: $(cat "$tmp/out2")"
# the alarm itself stays up while the canary runs
run status --format line | grep -q '^ALARM checkout.production ' || fail "the alarm went away"

# ---- the daemon: the same, once, and not again after a restart ----
export XDG_STATE_HOME=$tmp/state
rm -f "$tmp/c.db" "$tmp/args"
daemon_pid=
start_daemon() {
	"$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --daemon >"$tmp/daemon.out" 2>&1 &
	daemon_pid=$!
	stop_on_exit "$daemon_pid"
}
stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}
trap 'stop_daemon; cleanup' EXIT
# until_true TRIES WHAT COMMAND...: polls every 0.1 s
until_true() {
	local n=$1 what=$2
	shift 2
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	fail "waited in vain for $what"
	return 1
}
rounds() { [ "$(grep -c ' ok ' "$XDG_STATE_HOME/sitrep/sync.log" 2>/dev/null)" -ge "$1" ]; }
rolled_back() { [ "$(audit checkout.production 2>/dev/null)" = "requested confirmed succeeded " ]; }
start_daemon
until_true 300 "the daemon's auto-rollback" rolled_back
until_true 300 "the daemon's first two rounds" rounds 2
stop_daemon
[ "$(cat "$tmp/args" 2>/dev/null)" = "checkout production 1.43.1 $sha" ] ||
	fail "the daemon's executor arguments: $(cat "$tmp/args" 2>/dev/null)"
grep -qF "rollback alarm checkout.production: rollback alarm on checkout-prod:5 (1.44.0-rc.1): $reason" \
	"$XDG_STATE_HOME/sitrep/sync.log" || fail "the daemon's log: $(cat "$XDG_STATE_HOME/sitrep/sync.log")"
before=$(grep -c ' ok ' "$XDG_STATE_HOME/sitrep/sync.log")
start_daemon
until_true 300 "two rounds after the restart" rounds $((before + 2))
stop_daemon
[ "$(wc -l <"$tmp/args")" = 1 ] || fail "the restarted daemon rolled back again: $(cat "$tmp/args")"
rolled_back || fail "audit after the restart: $(audit checkout.production)"

# ---- 07:06: search's canary bakes healthy; auto-rollback is on, nothing happens ----
sed -i 's/^\thealth-latency = x1.5$/\tauto-rollback = true/' "$tmp/config"
grep -q 'auto-rollback = true' "$tmp/config" || fail "config edit"
rm -f "$tmp/c.db" "$tmp/args"
clock 2025-03-03T07:06:00Z
export SITREP_TIME_NOW=2025-03-03T07:06:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 07:06: $(cat "$tmp/err")"
run status --format json >"$tmp/json" || fail "status json at 07:06"
jq -e '.rollback_alarms == [] and ([.bakes[] | select(.deployment == "search-prod:4")][0] |
	.verdict == "healthy" and .reason == "errors/min 1.3 vs 2.3 baseline (x0.54)")' "$tmp/json" >/dev/null ||
	fail "search at 07:06: $(jq -c '{rollback_alarms, bakes}' "$tmp/json")"
[ ! -e "$tmp/args" ] || fail "a healthy canary was rolled back: $(cat "$tmp/args")"
[ "$(q "SELECT count(*) FROM actions")" = 0 ] || fail "audit rows at 07:06"
run status --format line | grep -q 'ALARM' && fail "an alarm at 07:06: $(run status --format line)"

finish alarm
