#!/bin/bash
# sync_daemon.sh - `sitrep sync --daemon` against sitrep-sim: it keeps the cache
# current on the source's interval, logs each round to its log file, holds the
# cache against a second daemon, slows down on a failing upstream and recovers, and
# SIGTERM ends it promptly with exit 0. Each round ends with a checkpoint.
set -u
. "$(dirname "$0")/lib.bash"
daemon_pid=

start_sim --start 2025-03-03T10:00:00Z
cat >"$tmp/config" <<CONF
[source "am"]
	type = alertmanager
	url = $base/alertmanager
	interval = 1s
CONF
chmod 600 "$tmp/config"
export SITREP_TIME_NOW=2025-03-03T10:00:00Z XDG_STATE_HOME="$tmp/state"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
until_true() { # seconds, description, command...
	local limit=$1 what=$2 deadline=$((SECONDS + $1))
	shift 2
	while [ $SECONDS -lt $deadline ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	fail "$what (within $limit s)"
	return 1
}
state_is() { run status --format json | grep -q "\"state\": \"$1\""; }
incidents() { [ "$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM incidents WHERE title LIKE '$1%'")" = 1 ]; }

"$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --daemon >"$tmp/daemon.out" 2>&1 &
daemon_pid=$!
stop_on_exit "$daemon_pid"
until_true 30 "the daemon's first round" state_is ok

timeout 60 "$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --daemon >"$tmp/second.out" 2>&1
[ $? = 1 ] || fail "a second daemon on the same cache did not exit 1"
grep -q "another sync daemon" "$tmp/second.out" || fail "second daemon: $(cat "$tmp/second.out")"

curl -s --max-time 5 -X POST -H 'Content-Type: application/json' "$base/alertmanager/api/v2/alerts" \
	-d '[{"labels": {"alertname": "QueueStuck", "service": "search", "severity": "warning"},
	      "annotations": {"summary": "QueueStuck on search"}, "startsAt": "2025-03-03T09:58:00Z"}]' >/dev/null
until_true 30 "the daemon picking up a new alert" incidents QueueStuck
# Each round ends with a checkpoint: the database file alone, without its write-ahead
# log, holds the round (a sync connection checkpoints only every 64 MB of log).
in_main_file() {
	rm -f "$tmp/copy.db"
	cp "$tmp/c.db" "$tmp/copy.db" &&
		[ "$(sqlite3 "$tmp/copy.db" "SELECT count(*) FROM incidents WHERE title LIKE 'QueueStuck%'")" = 1 ]
}
until_true 10 "the round's checkpoint (the alert in the database file itself)" in_main_file

curl -s --max-time 5 -X POST "$base/_sim/fault" \
	-d '{"route": "/alertmanager/api/v2/alerts", "kind": "status", "status": 500}' >/dev/null
until_true 40 "the daemon reporting the failing upstream" state_is failing
curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null
until_true 60 "the daemon recovering" state_is ok

kill -TERM "$daemon_pid"
for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon_pid" 2>/dev/null; then
	fail "the daemon did not stop within 5 s of SIGTERM"
else
	wait "$daemon_pid"
	rc=$?
	[ $rc = 0 ] || fail "the daemon exited $rc after SIGTERM: $(cat "$tmp/daemon.out")"
fi
daemon_pid=
grep -q ' am ok ' "$tmp/state/sitrep/sync.log" || fail "no rounds in the log"
grep -q ' am failed ' "$tmp/state/sitrep/sync.log" || fail "the failed rounds are not in the log"
[ "$(sqlite3 "$tmp/c.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity"

finish sync_daemon
