#!/bin/bash
# ack.sh - `a` on the incidents list in a real terminal (tmux), against sitrep-sim's
# Opsgenie dialect: the status bar asks "Acknowledge ID in og? y/n"; n leaves the
# alert as it was (no request upstream); y acknowledges it upstream and says so;
# after the sync daemon's next round (here `sitrep sync --once`, as the harness's
# console is --read-only) the row shows "acked".
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

start=2025-03-03T10:00:00Z
export SITREP_TIME_NOW=$start TZ=UTC
start_sim --start $start --require-token og-s3cret
cat >"$tmp/config" <<CONF
[sitrep]
	user = alice
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = og-s3cret
CONF
chmod 600 "$tmp/config"
sync() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --once >/dev/null 2>&1; }
sync || { echo "FAIL: first sync"; exit 1; }
# An open alert nobody acknowledged, the newest one with a plain title.
id=$(sqlite3 "$tmp/c.db" "SELECT source_id FROM incidents WHERE source = 'og' AND
	acknowledged_at IS NULL AND resolved_at IS NULL AND title NOT GLOB '*[^ -~]*'
	ORDER BY detected_at DESC LIMIT 1")
[ -n "$id" ] || { echo "FAIL: no open unacknowledged alert after the sync"; exit 1; }
title=$(sqlite3 "$tmp/c.db" "SELECT title FROM incidents WHERE source_id = '$id'")
posts() { curl -s --max-time 5 "$base/_sim/requests" | tr -d '\n ' | grep -o '"/opsgenie/v2/alerts/[^"]*/acknowledge"' | wc -l; }

OPTS="--view incidents" start 160x30
keys / "$id" Enter
expect "$id" "the filter is on"
# The list's row of the alert, by its title (the list has no id column).
row() { screen | grep -F -- "${title:0:40}" | head -1; }
[ "$(screen | grep -cF -- "${title:0:40}")" = 1 ] || fail "the filter shows not only the alert"
row | grep -qw open || fail "the alert is not open before: $(row)"
keys a
expect "Acknowledge $id in og? y/n" "a asks first"
keys n
expect "not acknowledged" "n says so"
[ "$(posts)" = 0 ] || fail "n still sent an acknowledge: $(posts)"

keys a
keys y
for _ in $(seq 50); do has "acknowledged $id in og" && break; sleep 0.1; done
expect "acknowledged $id in og (read-only: the sync daemon's next round shows it)" \
	"y acknowledges and says so"
[ "$(posts)" = 1 ] || fail "y sent $(posts) acknowledges, not one"
row | grep -qw open || fail "the read-only console showed the ack before a sync: $(row)"

sync || fail "the sync after the ack"
for _ in $(seq 30); do row | grep -qw acked && break; sleep 0.1; done
row | grep -qw acked || fail "after the sync the row is not acked: $(row)"
acked=$(sqlite3 "$tmp/c.db" "SELECT acknowledged_at FROM incidents WHERE source_id = '$id'")
[ "$acked" = 1740996000 ] || fail "acknowledged_at is '$acked', not the simulated now"

# A console that syncs (no --read-only): `a` on the timeline acknowledges, and the
# sync of the source that follows brings the ack in at once.
start_rw() {
	tmux -L "$sock" kill-server 2>/dev/null
	n_start=$((n_start + 1))
	sock="sitrep-test-$$-$n_start"
	tmux -L "$sock" new-session -d -s c -x 160 -y 30 \
		"env $SITREP --config $tmp/config --db $tmp/c.db --view incidents; echo EXIT=\$?; sleep 60"
	for _ in $(seq 300); do
		screen | grep -qE '^ sitrep |EXIT=' && break
		sleep 0.1
	done
	settle
}
id=$(sqlite3 "$tmp/c.db" "SELECT source_id FROM incidents WHERE source = 'og' AND
	acknowledged_at IS NULL AND resolved_at IS NULL AND title NOT GLOB '*[^ -~]*'
	ORDER BY detected_at DESC LIMIT 1")
title=$(sqlite3 "$tmp/c.db" "SELECT title FROM incidents WHERE source_id = '$id'")
[ -n "$id" ] || fail "no second open alert"
start_rw
keys / "$id" Enter
row | grep -qw open || fail "read-write: the alert is not open before: $(row)"
keys Enter
expect "TTA" "the timeline opens"
keys a
expect "Acknowledge $id in og? y/n" "a on the timeline asks first"
keys y
for _ in $(seq 50); do has "acknowledged $id in og" && break; sleep 0.1; done
expect "acknowledged $id in og" "y on the timeline acknowledges"
expect_not "read-only" "the read-write console synced the source itself"
[ "$(posts)" = 2 ] || fail "the timeline's y sent $(( $(posts) - 1 )) acknowledges, not one"
acked=$(sqlite3 "$tmp/c.db" "SELECT acknowledged_at FROM incidents WHERE source_id = '$id'")
[ "$acked" = 1740996000 ] || fail "read-write: acknowledged_at is '$acked' without an outside sync"
keys q
for _ in $(seq 30); do row | grep -qw acked && break; sleep 0.1; done
row | grep -qw acked || fail "read-write: back on the list the row is not acked: $(row)"

[ $failures -eq 0 ] && echo "ok: the console's acknowledge" || exit 1
