#!/bin/bash
# console.sh - the real console in a real terminal (tmux new-session, send-keys,
# capture-pane), on a fixed clock and a prepared cache, checked the way a person
# would: the overview's rows and numbers, the incidents list, its sort, filter and
# paging, an incident's timeline, the help with a rebound key, staleness in the
# status bar, a hostile title that cannot reach the terminal, resizes, a terminal
# too small, an ASCII locale, and the terminal restored on q and on SIGTERM.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

export SITREP_TIME_NOW=2025-03-03T10:00:00Z TZ=UTC
"$SITREP" --db "$tmp/c.db" import tests/fixtures/console.json 2>/dev/null || { echo "FAIL: import"; exit 1; }
# A metric hour for the overview: checkout's requests per minute and errors.
sqlite3 "$tmp/c.db" "
	INSERT INTO metric_series(source, name, labels, service_id)
		SELECT 'prom', 'checkout.rpm', '', id FROM services WHERE name = 'checkout';
	INSERT INTO metric_series(source, name, labels, service_id)
		SELECT 'prom', 'checkout.errors', '', id FROM services WHERE name = 'checkout';
	WITH RECURSIVE t(ts) AS (SELECT 1740996000 - 3600 UNION ALL SELECT ts + 60 FROM t WHERE ts < 1740996000 - 60)
	INSERT INTO metric_samples SELECT (SELECT id FROM metric_series WHERE name = 'checkout.rpm'), ts,
		1000 + (ts - 1740992400) / 6 FROM t;
	WITH RECURSIVE t(ts) AS (SELECT 1740996000 - 3600 UNION ALL SELECT ts + 60 FROM t WHERE ts < 1740996000 - 60)
	INSERT INTO metric_samples SELECT (SELECT id FROM metric_series WHERE name = 'checkout.errors'), ts,
		CASE WHEN ts >= 1740995880 THEN 42.5 ELSE 1 END FROM t;"
cat >"$tmp/config" <<'CONF'
[source "prom"]
	type = prometheus
	url = http://127.0.0.1:1/
	interval = 15s
[source "og"]
	type = opsgenie
	url = http://127.0.0.1:1/
	token = env:OG_TOKEN
[bind "generic"]
	move-down = x j Down
CONF
chmod 600 "$tmp/config"
# One source synced 30 s ago (ok: its interval is 15 s), one an hour ago (stale for
# its 60 s interval).
sqlite3 "$tmp/c.db" "
	INSERT INTO sync_state(source, stream, last_attempt, last_success, records, pages)
		VALUES ('prom', 'alerts', 1740995970, 1740995970, 3, 1),
		       ('og', 'alerts', 1740992400, 1740992400, 9, 1);"

# --- the overview at 120x30
start 120x30 LANG=C.UTF-8
expect " 1 Overview " "tab line"
expect "checkout" "overview rows"
expect "payments" "overview rows"
expect "v1.42.0 canary 25%" "the canary in production"
# Open incidents of checkout by severity: OG-1 and SN-1 are P1 (SN-1 names OG-1).
screen | grep -E '^! checkout +2/0/0 ' >/dev/null || fail "checkout's open P1/P2/P3: $(screen | grep checkout)"
screen | grep -E '^  search +0/0/1 ' >/dev/null || fail "search's open incidents: $(screen | grep search)"
screen | grep checkout | grep -qE ' 1590 ' || fail "checkout's latest requests per minute (1590): $(screen | grep checkout)"
screen | grep checkout | grep -qE ' 42\.5 ' || fail "checkout's errors per minute: $(screen | grep checkout)"
# The status bar: prom is fresh, og is stale and says so in words.
screen | tail -1 | grep -q ' prom 30s ' || fail "prom's freshness: $(screen | tail -1)"
screen | tail -1 | grep -q ' og stale 1h00m ' || fail "og is not labelled stale: $(screen | tail -1)"
expect "10:00:00 UTC" "the clock"

# --- incidents: newest first, sort, filter, timeline
keys 5
expect "Incidents: all" "incidents title"
first=$(screen | sed -n 3p)
echo "$first" | grep -q "Customers cannot pay" || fail "the newest incident is not first: $first"
# The hostile title: no escape sequence reached the terminal (tmux would have taken
# the OSC as the pane title), the text is there without its controls.
expect "Payments webhook backlog" "the sanitized title"
[ "$(tmux -L "$sock" display -p -t c '#{pane_title}')" = "pwned" ] && fail "an OSC in a title retitled the terminal"
keys s
screen | sed -n 2p | grep -qE 'SEV(▲|\^)' || fail "sort mark on SEV: $(screen | sed -n 2p)"
screen | sed -n 3p | grep -q "^P1" || fail "P1 first when sorted by severity: $(screen | sed -n 3p)"
keys / s e a r c h Enter
expect "Incidents: all, /search" "filter in the title"
[ "$(screen | grep -c 'search ')" -ge 1 ] || fail "filtered rows"
expect_not "checkout " "the filter"
keys Enter
expect "Incident: opsgenie OG-2" "the timeline"
expect "detect 09:10" "the detection milestone"
expect "TTA -" "no acknowledgement yet"
keys q
expect "Incidents: all, /search" "back from the timeline, filter kept"
keys / C-u Enter
expect_not "/search" "the filter cleared"

# --- help, with the key rebound in the config
keys '?'
screen | grep -E ' Next line$' | grep -qw x || fail "help does not show the rebound key: $(screen | grep 'Next line')"
keys q
keys x
keys q
tmux -L "$sock" send-keys -t c q
settle
expect "EXIT=0" "q quits with 0"

# --- resizes, too small, and a narrow terminal
start 120x30 LANG=C.UTF-8
tmux -L "$sock" resize-window -t c -x 80 -y 24
settle
[ "$(screen | head -1 | wc -L)" -le 80 ] || fail "the tab line wider than 80 after a resize"
expect " 1Over " "tabs at 80 columns"
tmux -L "$sock" resize-window -t c -x 30 -y 8
settle
expect "sitrep needs 40x10" "a terminal too small"
tmux -L "$sock" resize-window -t c -x 250 -y 70
settle
expect " 1 Overview " "after growing again"
expect "checkout" "rows after growing again"

# --- SIGTERM: the console leaves and restores the terminal
pid=$(pgrep -n -f -- "--config $tmp/config --db")
[ -n "$pid" ] && kill -TERM "$pid"
settle
expect "EXIT=143" "SIGTERM exits with 143"

# --- an ASCII locale: no UTF-8 on the screen
start 120x30 LANG=C LC_ALL=C
screen | LC_ALL=C grep -q -P '[\x80-\xff]' && fail "non-ASCII bytes in the C locale: $(screen | LC_ALL=C grep -P '[\x80-\xff]' | head -2)"
expect "checkout" "rows in the C locale"

# --- NO_COLOR and vt100 still draw the board
start 100x24 NO_COLOR=1 TERM=vt100
expect "checkout" "rows without colors on a vt100"

# --- an empty cache: every view says there is nothing yet, none crashes
mv "$tmp/c.db" "$tmp/full.db"
"$SITREP" --db "$tmp/c.db" import /dev/null 2>/dev/null
sqlite3 "$tmp/c.db" "PRAGMA user_version" >/dev/null
start 100x24
expect "No services yet" "the overview of an empty cache"
for v in 2 3 4 5 6 7; do
	keys "$v"
	has "EXIT=" && fail "view $v of an empty cache: the console left"
done
expect "Nothing here yet" "an empty list"
mv "$tmp/full.db" "$tmp/c.db"

# --- themes: a bundled one loads without a problem; an unknown one is named
cp "$tmp/config" "$tmp/config.plain"
for theme in themes/*.theme; do
	name=$(basename "$theme" .theme)
	cp "$tmp/config.plain" "$tmp/config"
	printf '[sitrep]\n\ttheme = %s\n' "$name" >>"$tmp/config"
	start 120x30
	expect "checkout" "rows with the $name theme"
	screen | tail -1 | grep -qE "theme|color" && fail "$name reported a problem: $(screen | tail -1)"
done
cp "$tmp/config.plain" "$tmp/config"
printf '[sitrep]\n\ttheme = no-such-theme\n' >>"$tmp/config"
start 120x30
screen | tail -1 | grep -q 'theme "no-such-theme": no such theme' ||
	fail "an unknown theme is not named: $(screen | tail -1)"

[ $failures = 0 ] || exit 1
echo "console: ok"
