#!/bin/bash
# sync_kill9.sh - kill -9 at random moments of a paged sync (Opsgenie dialect of
# sitrep-sim, every page slowed down so the kill lands mid-round), then sync again:
# each time the cache ends with every alert exactly once, the same events, and
# PRAGMA integrity_check ok. Each page and its cursor are one transaction, so a kill
# loses at most the page in flight, which the next run fetches again.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z --seed 7
cat >"$tmp/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = env:OG_KEY
CONF
chmod 600 "$tmp/config"
export SITREP_TIME_NOW=2025-03-03T10:00:00Z OG_KEY=any-key
total=$(curl -s --max-time 5 -H 'Authorization: GenieKey any-key' "$base/opsgenie/v2/alerts/count" |
	grep -o '"count": *[0-9]*' | grep -o '[0-9]*$')
[ -n "$total" ] && [ "$total" -gt 200 ] || { echo "the simulator's alert count: '$total'"; exit 1; }
# 60 ms a page: a whole round takes about 300 ms, and a kill can land anywhere in it.
curl -s --max-time 5 -X POST "$base/_sim/fault" \
	-d '{"route": "/opsgenie/v2/alerts", "kind": "delay", "delay_ms": 60}' >/dev/null

RANDOM=4242
for i in $(seq 8); do
	db="$tmp/c$i.db"
	"$SITREP" --config "$tmp/config" --db "$db" sync --once >/dev/null 2>&1 &
	pid=$!
	delay=$((RANDOM % 450))
	sleep "$(printf '0.%03d' "$delay")"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	partial=$(sqlite3 "$db" "SELECT count(*) FROM incidents" 2>/dev/null || echo 0)
	"$SITREP" --config "$tmp/config" --db "$db" sync --once >/dev/null 2>"$tmp/err" ||
		fail "round $i: the sync after the kill failed: $(cat "$tmp/err")"
	n=$(sqlite3 "$db" "SELECT count(*) FROM incidents")
	distinct=$(sqlite3 "$db" "SELECT count(DISTINCT source_id) FROM incidents")
	[ "$n" = "$total" ] || fail "round $i (killed after ${delay} ms with $partial incidents): $n incidents, expected $total"
	[ "$n" = "$distinct" ] || fail "round $i: duplicates ($n rows, $distinct ids)"
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "round $i: integrity_check"
	m=$(sqlite3 "$db" "SELECT count(*) FROM incident_metrics")
	[ "$m" = "$n" ] || fail "round $i: $m metric rows for $n incidents"
	echo "round $i: killed after ${delay} ms with $partial incidents; then $n"
done
# Every run ends with the same events as an uninterrupted one.
"$SITREP" --config "$tmp/config" --db "$tmp/clean.db" sync --once >/dev/null 2>&1 || fail "clean sync"
want=$(sqlite3 "$tmp/clean.db" "SELECT count(*) FROM incident_events")
for i in $(seq 8); do
	got=$(sqlite3 "$tmp/c$i.db" "SELECT count(*) FROM incident_events")
	[ "$got" = "$want" ] || fail "round $i: $got events, an uninterrupted sync has $want"
done

finish sync_kill9
