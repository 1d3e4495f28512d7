#!/bin/bash
# rollback.sh - R's dialog in a real terminal (tmux): the plan it shows (target
# version and sha, the exact command, the commits removed, Argo CD's auto-sync
# warning against sitrep-sim), Cancel as the default (Enter closes, nothing runs),
# production wanting the service's name typed before Confirm, a success streaming
# the exec script's output (the script records its arguments) with its audit rows
# in `sitrep export actions`, a failure and a timeout with their outcome, a second
# console told who else looks and who holds the lock, and --read-only refusing.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

start=2025-03-05T10:00:00Z
export SITREP_TIME_NOW=$start TZ=UTC
unset SSH_CLIENT
start_sim --start $start --require-token s3cret

cat >"$tmp/undo.sh" <<'SH'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >>"$RECORD"
echo "undoing $1 with token=abcdef0123456789"
echo "step two of $1"
[ -z "${HOLD:-}" ] || sleep "$HOLD"
exit "${EXIT:-0}"
SH
chmod +x "$tmp/undo.sh"
export RECORD=$tmp/args
cat >"$tmp/config" <<CONF
[sitrep]
	user = alice
[source "argo"]
	type = argocd
	url = $base/argocd
	token = s3cret
	timeout = 2s
[deploy "checkout.production"]
	rollback = argocd:checkout-prod
[deploy "cart.production"]
	rollback = "exec:$tmp/undo.sh {service} --env={env} {version} {sha}"
	timeout = 30s
[deploy "cart.staging"]
	rollback = "exec:$tmp/undo.sh {service} --env={env} {version} {sha}"
	timeout = 2s
CONF
chmod 600 "$tmp/config"
cat >"$tmp/cart.json" <<'JSON'
{"format": "sitrep-import/1", "deployments": [
 {"source": "ci", "id": "p1", "service": "cart", "environment": "production", "status": "success",
  "version": "1.2.0", "sha": "1111111111111111111111111111111111111111",
  "started_at": "2025-03-04T10:00:00Z", "finished_at": "2025-03-04T10:05:00Z"},
 {"source": "ci", "id": "p2", "service": "cart", "environment": "production", "status": "success",
  "version": "1.3.0", "sha": "2222222222222222222222222222222222222222",
  "started_at": "2025-03-05T09:00:00Z", "finished_at": "2025-03-05T09:05:00Z",
  "commits": [{"sha": "2222222222222222222222222222222222222222"}, {"sha": "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a"}]},
 {"source": "ci", "id": "s1", "service": "cart", "environment": "staging", "status": "success",
  "version": "1.3.0", "sha": "2222222222222222222222222222222222222222",
  "started_at": "2025-03-04T09:00:00Z", "finished_at": "2025-03-04T09:05:00Z"},
 {"source": "ci", "id": "s2", "service": "cart", "environment": "staging", "status": "success",
  "version": "1.4.0", "sha": "3333333333333333333333333333333333333333",
  "started_at": "2025-03-05T08:00:00Z", "finished_at": "2025-03-05T08:05:00Z"}]}
JSON
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
run sync --once >/dev/null 2>&1 || { echo "FAIL: the first sync"; exit 1; }
run import "$tmp/cart.json" >/dev/null 2>&1 || { echo "FAIL: importing the cart deployments"; exit 1; }
audit() { sqlite3 "$tmp/c.db" "SELECT result FROM actions WHERE target = '$1' ORDER BY id" | tr '\n' ' '; }
# Waits (at most 10 s) until the screen shows $1.
wait_for() {
	for _ in $(seq 100); do has "$1" && return; sleep 0.1; done
}

# ---- --read-only: the plan, and no way to confirm ----
OPTS="--view deploys" start 160x40
keys / cart Enter
keys R
expect "Roll back cart in production" "R on the deploys view opens the dialog"
expect "current     1.3.0 (222222222222) deployed 2025-03-05T09:00:00Z" "the dialog's current"
expect "target      1.2.0 (111111111111) deployed 2025-03-04T10:00:00Z" "the dialog's target"
expect "sha         1111111111111111111111111111111111111111" "the dialog's sha"
expect "call        $tmp/undo.sh cart --env=production 1.2.0 1111111111111111111111111111111111111111" \
	"the dialog's exact command"
expect "removes     2" "the dialog's count of commits"
expect "            222222222222" "the first commit removed"
expect "            1a1a1a1a1a1a" "the second commit removed"
expect "auto-sync   none known" "no auto-sync for a script"
expect "No other console is looking at cart." "nobody else looks"
expect "Read-only console (--read-only): it cannot roll back" "read-only says why"
expect "[>Cancel<]" "Cancel is the default"
keys Tab
expect "[>Cancel<]" "read-only: Tab cannot choose Confirm"
keys Enter
expect_not "Roll back cart" "Enter on Cancel closes"
expect "cart.production: not rolled back" "the status bar says so"
[ -z "$(audit cart.production)" ] || fail "read-only wrote audit rows: $(audit cart.production)"
[ -e "$tmp/args" ] && fail "read-only ran the script: $(cat "$tmp/args")"

# ---- Argo CD: the auto-sync warning, the API call; R on the overview ----
OPTS="--view deploys" start 160x40
keys / checkout Enter
keys R
expect "Roll back checkout in production" "R on checkout's production row"
expect "target      1.42.0" "Argo CD's target"
expect "call        POST $base/argocd/api/v1/applications/checkout-prod/rollback {\"id\": 2} (source argo)" \
	"the API call"
expect "auto-sync   Argo CD refuses a rollback of checkout-prod while its auto-sync is on" \
	"the auto-sync warning"
keys Escape
expect_not "Roll back checkout" "Esc closes"
OPTS="--view overview" start 160x40
keys R
expect "Roll back cart in production" "R on the overview's first service"
keys Escape

# ---- read-write: Cancel first; production wants the name; a success ----
READ_ONLY= OPTS="--view deploys" start 160x40
keys / cart Enter
keys R
expect "cart.production is production: type the service's name (cart) to enable Confirm." \
	"production asks for the name"
expect "[>Cancel<]" "read-write: Cancel is the default"
keys Enter
expect_not "Roll back cart" "Enter on the default closes"
expect "cart.production: not rolled back" "Enter cancelled"
keys R
keys Tab
expect "[>Cancel<]" "Confirm cannot be chosen before the name is typed"
keys c a r Tab
expect "Name: car_" "the name as typed"
expect "[>Cancel<]" "Confirm cannot be chosen with a part of the name"
keys t Tab
expect "[>Confirm<]" "the whole name enables Confirm"
keys BSpace
expect "[>Cancel<]" "unmaking the name goes back to Cancel"
# The cancel is audited as the CLI's: requested, then cancelled.
[ "$(audit cart.production)" = "requested cancelled " ] ||
	fail "the cancel's audit: $(audit cart.production)"
[ -e "$tmp/args" ] && fail "cancelling ran the script"
keys t Tab Enter
wait_for "Succeeded:"
expect "Succeeded: cart.production: rolled back: exit 0" "the outcome"
expect "undoing cart with token=[redacted]" "the script's output streams into the dialog"
expect "step two of cart" "the script's last line"
expect_not "abcdef0123456789" "a token reached the screen"
printf 'cart\n--env=production\n1.2.0\n1111111111111111111111111111111111111111\n' >"$tmp/want"
cmp -s "$tmp/args" "$tmp/want" || fail "the script's arguments: $(cat "$tmp/args")"
[ "$(audit cart.production)" = "requested cancelled requested confirmed succeeded " ] ||
	fail "the audit of the success: $(audit cart.production)"
run export actions >"$tmp/actions.json" || fail "sitrep export actions"
# requested twice: the cancel's, then the success's
for r in requested:2 cancelled:1 confirmed:1 succeeded:1; do
	jq -e --arg r ${r%:*} --argjson n ${r#*:} --arg h "$(hostname)" '[.actions[] | select(.target ==
		"cart.production" and .result == $r and .actor == "alice" and .host == $h)] | length == $n' "$tmp/actions.json" \
		>/dev/null || fail "no $r row by alice on $(hostname) in the export: $(cat "$tmp/actions.json")"
done
jq -e '.actions[] | select(.result == "confirmed") | .detail == "the service'"'"'s name typed in the console"' \
	"$tmp/actions.json" >/dev/null || fail "the confirmation's detail: $(cat "$tmp/actions.json")"
keys Enter
expect_not "Roll back cart" "a key closes the outcome"
expect "Succeeded: cart.production: rolled back: exit 0" "the outcome stays in the status bar"

# ---- a failure and a timeout (staging: no name to type) ----
for spec in 'EXIT=3 Failed: cart.staging: failed: exit 3' \
	'HOLD=10 Timed out: cart.staging: timed out: stopped after 2s'; do
	READ_ONLY= OPTS="--view deploys" start 160x40 "${spec%% *}"
	keys / cart Enter
	keys j R
	expect "Roll back cart in staging" "${spec%% *}: R on staging"
	expect "Tab chooses Confirm, Enter presses, Esc cancels." "${spec%% *}: no name for staging"
	keys Tab Enter
	wait_for "${spec#* }"
	expect "${spec#* }" "${spec%% *}: the outcome"
	expect "step two of cart" "${spec%% *}: the output"
	keys q
	expect_not "Roll back cart" "${spec%% *}: q closes the outcome"
done
[ "$(audit cart.staging)" = "requested confirmed failed requested confirmed timed-out " ] ||
	fail "the audit of staging: $(audit cart.staging)"

# ---- two consoles: who else looks, and who holds the lock ----
READ_ONLY= OPTS="--view deploys" start 160x40 HOLD=8
keys / cart Enter
keys R
# The second console, in a session of its own.
tmux -L "$sock" new-session -d -s d -x 160 -y 40 \
	"env $SITREP --config $tmp/config --db $tmp/c.db --view deploys; echo EXIT=\$?; sleep 60"
screen2() { tmux -L "$sock" capture-pane -t d -p 2>/dev/null; }
keys2() {
	tmux -L "$sock" send-keys -t d "$@"
	sleep 0.5
}
for _ in $(seq 100); do screen2 | grep -q '^ sitrep ' && break; sleep 0.1; done
keys2 / cart Enter
keys2 R
for _ in $(seq 50); do screen2 | grep -q "Roll back cart" && break; sleep 0.1; done
screen2 | grep -qF "Also looking at cart: alice ($(hostname)) in the rollback dialog" ||
	fail "the second console does not see the first: $(screen2)"
# The first console's dialog, open before, looks again and sees the second.
wait_for "Also looking at cart: alice ($(hostname)) in the rollback dialog"
expect "Also looking at cart: alice ($(hostname)) in the rollback dialog" \
	"the first console does not see the one that came after it"
keys c a r t Tab Enter
for _ in $(seq 100); do
	[ "$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM locks WHERE name = 'rollback:cart.production'")" = 1 ] && break
	sleep 0.1
done
keys2 c a r t Tab Enter
for _ in $(seq 100); do screen2 | grep -q "Not rolled back" && break; sleep 0.1; done
screen2 | grep -Eq "Not rolled back: another rollback of cart.production runs: alice on $(hostname) \(pid [0-9]+\) since 2025-03-05T10:00:00Z" ||
	fail "the second console is not told who holds the lock: $(screen2)"
for _ in $(seq 150); do has "Succeeded:" && break; sleep 0.1; done
expect "Succeeded: cart.production: rolled back: exit 0" "the first console's rollback"
[ "$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM actions WHERE target = 'cart.production' AND result = 'refused'")" = 1 ] ||
	fail "the refusal is not audited: $(audit cart.production)"
# Quitting takes a console's presence away.
keys2 Enter
keys2 Q
for _ in $(seq 50); do screen2 | grep -q EXIT= && break; sleep 0.1; done
keys Enter
keys Q
for _ in $(seq 50); do has EXIT= && break; sleep 0.1; done
# (a sanitizer's or a leak's report would end it otherwise)
screen2 | grep -q EXIT=0 || fail "the second console did not end well: $(screen2)"
expect EXIT=0 "the first console did not end well"
[ "$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM locks")" = 0 ] ||
	fail "rows left in locks: $(sqlite3 "$tmp/c.db" "SELECT name FROM locks")"

[ $failures -eq 0 ] && echo "ok: the console's rollback dialog" || exit 1
