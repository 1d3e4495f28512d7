#!/bin/bash
# alarm.sh - the rollback alarm on the screen (tmux), on a cache synced from
# sitrep-sim at 08:17 on the demo scenario's Monday, while checkout's 1.44.0-rc.1
# canary bakes with doubled errors: the banner under the tabs in the overview, the
# incidents and the deploys views, with the keys to act; in the deploys view the
# HEALTH column (failing for the canary, healthy for the staging deploy that went
# fine) and the why line with baseline against now. With no failing bake (the
# clock at 07:06) there is no banner.
set -u
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	harness_cleanup
}
trap cleanup EXIT

"$SITREP_SIM" --port 0 --port-file "$tmp/port" --speed 0 >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "FAIL: sitrep-sim did not start: $(cat "$tmp/sim.log")"; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/port")"
export TOKEN=t0ken TZ=UTC
cat >"$tmp/config" <<CONF
[ui]
	bell = false
[source "argo"]
	type = argocd
	url = $base/argocd
	token = env:TOKEN
[source "prom"]
	type = prometheus
	url = $base/prometheus
	interval = 30s
[metric "checkout.errors"]
	source = prom
	query = sitrep:errors_per_minute{service=\\"checkout\\"}
CONF
chmod 600 "$tmp/config"
sync_at() {
	curl -s --max-time 5 -X POST "$base/_sim/clock" -d "{\"set\": \"$1\"}" >/dev/null
	rm -f "$tmp/c.db"
	SITREP_TIME_NOW=$1 "$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --once >/dev/null 2>&1 ||
		fail "sync at $1"
}

sync_at 2025-03-03T08:17:00Z
banner='ROLLBACK ALARM checkout.production 1.44.0-rc.1 canary 10%: errors/min 121.7 vs 59.0 baseline (x2.06) for 2m'
start 160x30 SITREP_TIME_NOW=2025-03-03T08:17:00Z
case "$(line 2)" in
"$banner"*"6 deploys, R roll back") ;;
*) fail "overview: line 2 is not the banner: $(line 2)" ;;
esac
line 3 | grep -q '^SERVICE' || fail "overview: the list does not start under the banner: $(line 3)"
keys 5
case "$(line 2)" in "$banner"*) ;; *) fail "incidents: no banner: $(line 2)" ;; esac
keys 6
case "$(line 2)" in "$banner"*) ;; *) fail "deploys: no banner: $(line 2)" ;; esac
line 3 | grep -q 'HEALTH$' || fail "deploys: no HEALTH column: $(line 3)"
screen | grep -qE '^checkout +production +1\.44\.0-rc\.1 +canary +10% .* running .* failing$' ||
	fail "deploys: the canary is not failing:$(printf '\n%s' "$(screen)")"
screen | grep -qE '^checkout +staging +1\.44\.0-rc\.1 +rolling .* success .* healthy$' ||
	fail "deploys: staging is not healthy:$(printf '\n%s' "$(screen)")"
line 29 | grep -qF 'checkout production: bake failing: errors/min 121.7 vs 59.0 baseline (x2.06) for 2m' ||
	fail "deploys: the why line: $(line 29)"
keys Enter
expect 'Health failing: baking, bake 2025-03-03T08:11:00Z to 2025-03-03T08:17:00Z' "history: health"
expect '  failing    errors/min 121.7 vs 59.0 baseline (x2.06) for 2m' "history: the metric"
keys q

# At 80x24 the banner still fits on one line, cut before the keys.
start 80x24 SITREP_TIME_NOW=2025-03-03T08:17:00Z
case "$(line 2)" in
"ROLLBACK ALARM checkout.production 1.44.0-rc.1 canary "*"  6 deploys, R roll back") ;;
*) fail "80x24: the banner: $(line 2)" ;;
esac

# No failing bake: no banner, the list right under the tabs.
sync_at 2025-03-03T07:06:00Z
start 130x30 SITREP_TIME_NOW=2025-03-03T07:06:00Z
expect_not 'ROLLBACK ALARM' "07:06"
line 2 | grep -q '^SERVICE' || fail "07:06: line 2 is not the list's header: $(line 2)"

[ $failures = 0 ] || { echo "$failures failures"; exit 1; }
echo "tui alarm: all checks passed"
