#!/bin/bash
# alarm.sh - the rollback alarm on the screen (tmux), on a cache synced from
# sitrep-sim at 08:17 on the demo scenario's Monday, while checkout's 1.44.0-rc.1
# canary bakes with doubled errors: the banner under the tabs in the overview, the
# incidents and the deploys views, with the keys to act; in the deploys view the
# HEALTH column (failing for the canary, healthy for the staging deploy that went
# fine) and the why line with baseline against now; the bell once per new alarm,
# none with [ui] bell = false. With no failing bake (the clock at 07:06) there is
# no banner.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
cleanup() {
	tmux -L "$sock-bell" kill-server 2>/dev/null
	harness_cleanup
}
trap cleanup EXIT

start_sim
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
line 3 | grep -qE ' STATUS +HEALTH +PREVIOUS +SHA +DEPLOYED ' || fail "deploys: the columns: $(line 3)"
# What the canary replaced, and its own sha, as the cache has them.
canary_sha=$(sqlite3 "$tmp/c.db" "SELECT substr(sha, 1, 7) FROM deployments WHERE
	version = '1.44.0-rc.1' AND environment = 'production'")
[ ${#canary_sha} = 7 ] || fail "the canary's sha in the cache: '$canary_sha'"
screen | grep -qE "^checkout +production +1\.44\.0-rc\.1 .* failing +1\.43\.1 +$canary_sha " ||
	fail "deploys: the canary's previous version and sha:$(printf '\n%s' "$(screen)")"
screen | grep -qE '^checkout +production +1\.44\.0-rc\.1 +canary +10% .* running +failing ' ||
	fail "deploys: the canary is not failing:$(printf '\n%s' "$(screen)")"
screen | grep -qE '^checkout +staging +1\.44\.0-rc\.1 +rolling .* success +healthy ' ||
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

# The bell: once per new alarm, in a window of its own that is not the current one
# (tmux flags a bell there); [ui] bell = false keeps it quiet.
bell_sock="$sock-bell"
bell_start() { # config
	tmux -L "$bell_sock" kill-server 2>/dev/null
	# a server just killed may still be going away: try again
	for _ in 1 2 3 4 5; do
		tmux -L "$bell_sock" new-session -d -s b -x 160 -y 30 "sleep 120" 2>/dev/null && break
		sleep 0.2
	done
	tmux -L "$bell_sock" set -g monitor-bell on >/dev/null
	tmux -L "$bell_sock" new-window -d -t b:1 \
		"env SITREP_TIME_NOW=2025-03-03T08:17:00Z $SITREP --config $1 --db $tmp/c.db --read-only; sleep 60"
	for _ in $(seq 100); do
		tmux -L "$bell_sock" capture-pane -p -t b:1 | grep -q 'ROLLBACK ALARM' && break
		sleep 0.1
	done
	sleep 0.5
}
bell_flag() { tmux -L "$bell_sock" display -p -t b:1 '#{window_bell_flag}'; }
bell_clear() { # by visiting the window
	tmux -L "$bell_sock" select-window -t b:1
	tmux -L "$bell_sock" select-window -t b:0
}
# until_flag WANT: polls, as the console sees a change of the cache within a second
until_flag() { for _ in $(seq 30); do [ "$(bell_flag)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
sed 's/^\tbell = false$/\tbell = true/' "$tmp/config" >"$tmp/loud"
grep -q 'bell = true' "$tmp/loud" || fail "the loud config"
bell_start "$tmp/loud"
[ "$(bell_flag)" = 1 ] || fail "bell: no bell for the alarm"
bell_clear
[ "$(bell_flag)" = 0 ] || fail "bell: the flag did not clear"
# the cache changes, the same alarm is still up: no second bell
sqlite3 "$tmp/c.db" "UPDATE deployments SET updated_at = updated_at + 1 WHERE source_id = 'checkout-prod:5'"
sleep 2
[ "$(bell_flag)" = 0 ] || fail "bell: rang again for the same alarm"
# a new failing deployment is a new alarm: the bell again
sqlite3 "$tmp/c.db" "UPDATE deployments SET source_id = 'checkout-prod:6' WHERE source_id = 'checkout-prod:5'"
until_flag 1 || fail "bell: no bell for a new alarm"
# [ui] bell = false: the banner, no bell
bell_start "$tmp/config"
tmux -L "$bell_sock" capture-pane -p -t b:1 | grep -q 'ROLLBACK ALARM' || fail "quiet: no banner"
[ "$(bell_flag)" = 0 ] || fail "quiet: the bell rang with [ui] bell = false"
tmux -L "$bell_sock" kill-server 2>/dev/null

# No failing bake: no banner, the list right under the tabs.
sync_at 2025-03-03T07:06:00Z
start 130x30 SITREP_TIME_NOW=2025-03-03T07:06:00Z
expect_not 'ROLLBACK ALARM' "07:06"
line 2 | grep -q '^SERVICE' || fail "07:06: line 2 is not the list's header: $(line 2)"

[ $failures = 0 ] || { echo "$failures failures"; exit 1; }
echo "tui alarm: all checks passed"
