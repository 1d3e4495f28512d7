#!/bin/bash
# palette.sh - the console's ":" command palette and its mouse, in a real terminal
# (tmux), on a fixed clock and a prepared cache of sixty incidents: commands switch
# views, themes and windows, filter, and sync one source through the console's
# worker; Tab completes, Up and Down recall, the line edits; mistakes are named in
# the status bar. The mouse gets real xterm reports typed into the pane: SGR 1006
# under TERM=xterm-256color (its kmous is \E[<), the older X10 form under tmux's own
# tmux-256color (kmous \E[M); a click switches tabs, selects and opens rows and
# names a source's error, the wheel scrolls, and [ui] mouse = false leaves the
# mouse to the terminal.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

export SITREP_TIME_NOW=2025-03-03T10:00:00Z TZ=UTC
# INC-01 .. INC-60, detected a minute apart from 08:01: the newest, INC-60, first.
{
	printf '{"format":"sitrep-import/1","services":[{"name":"checkout"},{"name":"payments"}],"incidents":['
	for i in $(seq 1 60); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"id":"INC-%02d","source":"opsgenie","service":"%s","title":"Incident number %02d","severity":"P3","detected_at":"2025-03-03T%02d:%02d:00Z"}' \
			"$i" "$([ $((i % 2)) = 0 ] && echo checkout || echo payments)" "$i" $((8 + i / 60)) $((i % 60))
	done
	printf ']}\n'
} >"$tmp/incidents.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/incidents.json" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
# Two sources nobody answers for (port 1), each synced once an hour.
cat >"$tmp/config" <<'CONF'
[source "prom"]
	type = prometheus
	url = http://127.0.0.1:1/
	interval = 1h
	timeout = 2s
[source "og"]
	type = opsgenie
	url = http://127.0.0.1:1/
	token = env:OG_TOKEN
	interval = 1h
	timeout = 2s
CONF
chmod 600 "$tmp/config"

# send_text TEXT: typed into the pane as it is (spaces too).
send_text() {
	tmux -L "$sock" send-keys -t c -l "$1"
	settle
}
# run COMMAND: ":COMMAND" and Enter.
run() {
	keys :
	send_text "$1"
	keys Enter
}
status() { screen | tail -1; }
# The newest first: row N of the list (1 is the first under the header) is on screen
# line N + 2; which incident it is, by its title.
row_title() { line $(($1 + 2)) | grep -o 'Incident number [0-9]*'; }

# --- views by name, requests by name, and mistakes
start 120x30 LANG=C.UTF-8
run incidents
expect "Incidents: all" "the incidents view by its name"
run view-deploys
expect "SERVICE" "the deploys view"
line 1 | grep -q 'Deploys' || fail "view-deploys did not open the deploys: $(line 1)"
run view-metrics
expect "last 1h (w changes)" "view-metrics by the request's name"
run bogus
status | grep -q 'unknown command: bogus' || fail "an unknown command is not named: $(status)"
run 'help me'
status | grep -q 'help takes no argument' || fail "an argument to help: $(status)"
run 'source prom'
status | grep -q 'usage: source NAME sync' || fail "source without sync: $(status)"
run 'source nosuch sync'
status | grep -q 'source nosuch: no such source' || fail "an unknown source: $(status)"
run 'source prom sync'
status | grep -q 'read-only' || fail "source sync in a read-only console: $(status)"
run 'theme nosuch'
status | grep -q 'theme nosuch: no such theme (default, high-contrast, mono, solarized-dark)' ||
	fail "an unknown theme: $(status)"

# --- windows: the metrics' and the incidents' MTTx panel's
run 'window 6h'
expect "last 6h (w changes)" "window 6h on the metrics"
run 'window 30d'
status | grep -q 'window 30d: not one of this view.s (15m 1h 6h 24h 7d)' ||
	fail "a window the metrics do not have: $(status)"
expect "last 6h (w changes)" "the window after a bad one"
run incidents
run 'window 90d'
expect "last 90d" "window 90d on the incidents' panel"
run 'window 7d'
expect "last 7d" "window 7d on the incidents' panel"
run overview
run 'window 1h'
status | grep -q 'window: not here' || fail "a window on the overview: $(status)"

# --- filter, with line editing: C-w, Left, C-u, Home/End
run incidents
keys :
send_text 'filter number 19 junk'
keys C-w BSpace Enter
expect "Incidents: all, /number 19" "filter after C-w"
[ "$(row_title 1)" = "Incident number 19" ] || fail "the filtered list: $(line 3)"
[ -z "$(row_title 2)" ] || fail "more than INC-19 through the filter: $(line 4)"
keys :
send_text 'flter number 2'
keys Home Right
send_text 'i'
keys End Enter
expect "Incidents: all, /number 2" "Home, Right and End"
keys :
send_text 'garbage'
keys C-u
send_text 'filter'
keys Enter C-u Enter
expect_not "/number" "C-u, then filter prompting for its text"
keys :
send_text 'quit'
keys Escape
has "EXIT=" && fail "Esc ran the command"
expect "Incidents: all" "Esc leaves the view as it was"

# --- completion
keys :
send_text 'view-inc'
keys Tab
status | grep -q '^:view-incidents$' ||
	fail "view-inc did not complete: $(status)"
keys Escape
keys :
send_text 'view-'
keys Tab
status | grep -q 'view-overview view-pipelines view-branches' ||
	fail "view- does not list the views: $(status)"
keys Escape
keys :
send_text 'theme so'
keys Tab
status | grep -q '^:theme solarized-dark' || fail "theme so did not complete: $(status)"
keys Escape
keys :
send_text 'source '
keys Tab
status | grep -q 'prom og' || fail "the sources are not listed: $(status)"
send_text 'pr'
keys Tab
send_text 'sy'
keys Tab
status | grep -q '^:source prom sync' || fail "source pr sy did not complete: $(status)"
keys Escape
keys :
send_text 'zz'
keys Tab
status | grep -q 'no completion' || fail "no completion is not said: $(status)"
keys Escape

# --- history: Up, Up, Down, Down back to an empty line
keys :
keys Up
status | grep -q '^:filter$' || fail "Up: the last command: $(status)"
keys Up
status | grep -q '^:filter number 2$' || fail "Up Up: $(status)"
keys Down Down
[ "$(status)" = ":" ] || fail "Down past the newest: $(status)"
keys Escape

# --- themes at run time: the tab line's colors change
run overview
screen_e() { tmux -L "$sock" capture-pane -e -t c -p; }
screen_e | head -1 | grep -q $'\e\\[[0-9;]*44m' || fail "the default title is not on blue: $(screen_e | head -1 | cat -v)"
run 'theme solarized-dark'
status | grep -q 'theme solarized-dark' || fail "no word of the theme: $(status)"
screen_e | head -1 | grep -q '48;5;235' || fail "solarized's title background: $(screen_e | head -1 | cat -v)"
run 'theme mono'
screen_e | head -1 | grep -qE '48;5|4[0-7]m' && fail "colors under the mono theme: $(screen_e | head -1 | cat -v)"
expect "checkout" "rows under the mono theme"

# --- the help has the palette
run help
keys G
expect "Command palette (:" "the palette's section in the help"
expect ":theme  NAME  Switch to another colour theme" "the palette in the help"
expect ":source  NAME sync  Sync one source now" "the palette in the help"
keys q
run q
expect "EXIT=0" ":q quits"

# --- the mouse, SGR 1006 (xterm-256color): x and y count from 1
click() { send_text $'\e[<0;'"$1;$2M"$'\e[<0;'"$1;$2m"; }
wheel_down() { send_text $'\e[<65;'"$1;$2M"; }
wheel_up() { send_text $'\e[<64;'"$1;$2M"; }
start 120x30 LANG=C.UTF-8 TERM=xterm-256color
[ "$(tmux -L "$sock" display -p -t c '#{mouse_standard_flag}#{mouse_sgr_flag}')" = 11 ] ||
	fail "the console did not ask for SGR mouse reports"
col=$(line 1 | grep -bo '5 Incidents' | cut -d: -f1)
click $((col + 3)) 1
expect "Incidents: all" "a click on the incidents tab"
[ "$(row_title 1)" = "Incident number 60" ] || fail "the newest first: $(line 3)"
# The wheel: three rows a notch, the page with the selection.
wheel_down 20 10
[ "$(row_title 1)" = "Incident number 57" ] || fail "one notch down: $(line 3)"
wheel_down 20 10
wheel_down 20 10
[ "$(row_title 1)" = "Incident number 51" ] || fail "three notches down: $(line 3)"
wheel_up 20 10
[ "$(row_title 1)" = "Incident number 54" ] || fail "a notch up: $(line 3)"
# A click on row 5 (screen line 7) selects it; a second click opens it.
click 20 7
has "Incident: opsgenie" && fail "a first click opened the row"
click 20 7
expect "Incident: opsgenie INC-50" "a click on the selected row opens it"
keys q
# Enter opens what the click selected.
click 20 4
keys Enter
expect "Incident: opsgenie INC-53" "Enter on the clicked row"
keys q
# A click under the last row does nothing.
run 'filter number 1'
click 20 20
has "Incident: opsgenie" && fail "a click below the rows opened one"
run 'filter'
keys C-u Enter
# A click on a source in the status bar names its state.
col=$(status | grep -bo ' og ' | cut -d: -f1)
click $((col + 2)) 30
status | grep -q '^og: never synced\|og: [a-z]*, never synced' || fail "a click on og: $(status)"
col=$(line 1 | grep -bo '1 Overview' | cut -d: -f1)
click $((col + 2)) 1
expect "PRODUCTION" "a click on the overview tab"
keys Q
expect "EXIT=0" "Q after the clicks"

# --- the mouse, X10 (tmux-256color): a byte each, 32 + button, 33 + column, 33 + line
x10() { printf '\e[M%b%b%b' "$(printf '\\%03o' $((32 + $1)))" "$(printf '\\%03o' $((33 + $2)))" "$(printf '\\%03o' $((33 + $3)))"; }
start 100x24 LANG=C.UTF-8
col=$(line 1 | grep -bo '5 Incidents' | cut -d: -f1)
send_text "$(x10 0 $((col + 2)) 0)$(x10 3 $((col + 2)) 0)"
expect "SEV  SERVICE" "an X10 click on the incidents tab"
send_text "$(x10 65 10 5)"
[ "$(row_title 1)" = "Incident number 57" ] || fail "an X10 wheel notch: $(line 3)"
send_text "$(x10 0 10 3)$(x10 3 10 3)$(x10 0 10 3)$(x10 3 10 3)"
expect "opsgenie INC-56, open for" "an X10 double click"

# --- [ui] mouse = false: the terminal keeps the mouse
cp "$tmp/config" "$tmp/config.plain"
printf '[ui]\n\tmouse = false\n' >>"$tmp/config"
start 120x30 LANG=C.UTF-8 TERM=xterm-256color
expect "Overview" "the console without the mouse"
[ "$(tmux -L "$sock" display -p -t c '#{mouse_standard_flag}#{mouse_any_flag}')" = 00 ] ||
	fail "[ui] mouse = false still asked for mouse reports"
cp "$tmp/config.plain" "$tmp/config"

# --- :source NAME sync through the console's own sync worker: it syncs that
# source alone (the log has a line per round), where r syncs every one.
mkdir -p "$tmp/state"
READ_ONLY= start 120x30 LANG=C.UTF-8 TERM=xterm-256color XDG_STATE_HOME="$tmp/state"
log="$tmp/state/sitrep/sync.log"
rounds() { grep -c " $1 " "$log" 2>/dev/null; }
# The first rounds, one per source, as the console starts (bounded: no timing).
for _ in $(seq 100); do
	[ "$(rounds prom)" = 1 ] && [ "$(rounds og)" = 1 ] && break
	sleep 0.1
done
[ "$(rounds prom)" = 1 ] && [ "$(rounds og)" = 1 ] || fail "the first rounds: $(cat "$log" 2>/dev/null)"
run 'source prom sync'
status | grep -q 'syncing prom now' || fail "source prom sync: $(status)"
for _ in $(seq 100); do
	[ "$(rounds prom)" = 2 ] && break
	sleep 0.1
done
[ "$(rounds prom)" = 2 ] || fail "prom was not synced again: $(cat "$log")"
[ "$(rounds og)" = 1 ] || fail "og was synced with prom: $(cat "$log")"
# Its error, on a click on its name (once a key took the message away).
keys C-l
col=$(status | grep -bo ' prom ' | cut -d: -f1)
[ -n "$col" ] && click $((col + 2)) 30
status | grep -q '^prom: failing' || fail "a click on a failing source: $(status)"
keys r
for _ in $(seq 100); do
	[ "$(rounds og)" = 2 ] && [ "$(rounds prom)" = 3 ] && break
	sleep 0.1
done
[ "$(rounds og)" = 2 ] && [ "$(rounds prom)" = 3 ] || fail "r did not sync every source: $(cat "$log")"
keys Q
expect "EXIT=0" "Q with the sync worker running"

[ $failures = 0 ] || exit 1
echo "palette: ok"
