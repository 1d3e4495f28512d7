#!/bin/bash
# matrix.sh - every view of the real console (overview, pipelines, branches, metrics,
# incidents and an incident's timeline, deploys, tickets, help) at 80x24, 120x40 and
# 250x70, fresh and after a chain of resizes ending at each size, under
# TERM=xterm-256color, screen-256color, xterm and vt100, with NO_COLOR=1 and with
# LANG=C, on a cache filled by a sync from sitrep-sim on a fixed clock. Checked the
# way a person would: the tabs and the status bar whole (no source cut mid-word),
# the rows the simulator's ground truth (GET /_sim/scenario) and the cache say are
# there with their values, the overview's SLO budget left equal to `sitrep slo
# --format json`, no line wider than the terminal, nothing left over from a larger
# size (a resized screen is the screen of a fresh start at that size), "too small"
# below 40x10, no colors without them, ASCII only in LANG=C. Hostile titles and
# branch names (OSC, CSI, C0 and C1 controls, a bidi override, invalid UTF-8) show
# as harmless text: no attribute change leaks (capture-pane -e), the pane title
# stays.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
SITREP_SIM=${SITREP_SIM:-$(dirname "$SITREP")/sitrep-sim}
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	harness_cleanup
}
trap cleanup EXIT

export SITREP_TIME_NOW=2025-03-03T11:30:00Z TZ=UTC
now=$(date -u -d "$SITREP_TIME_NOW" +%s)

# --- the world: a frozen simulator, one sync of every source, its ground truth
"$SITREP_SIM" --port 0 --port-file "$tmp/port" --speed 0 --start "$SITREP_TIME_NOW" \
	>"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "FAIL: sitrep-sim did not start: $(cat "$tmp/sim.log")"; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/port")"
{
	# checkout has overspent its budget, search has some left, payments has no SLO.
	printf '[service "checkout"]\n\tslo = 99.9\n[service "search"]\n\tslo = 97\n'
	printf '[source "prometheus"]\n\ttype = prometheus\n\turl = %s/prometheus\n\tbackfill = 6h\n' "$base"
	printf '[source "alertmanager"]\n\ttype = alertmanager\n\turl = %s/alertmanager\n' "$base"
	printf '[source "opsgenie"]\n\ttype = opsgenie\n\turl = %s/opsgenie\n\ttoken = t\n' "$base"
	printf '[source "sentry"]\n\ttype = sentry\n\turl = %s/sentry\n\torg = acme\n\ttoken = t\n' "$base"
	printf '\tproject = %s\n' checkout search payments
	printf '[source "servicenow"]\n\ttype = servicenow\n\turl = %s/servicenow\n\ttoken = t\n' "$base"
	printf '\tcorrelate = opsgenie\n'
	printf '[source "zendesk"]\n\ttype = zendesk\n\turl = %s/zendesk\n\temail = a@example.com\n\ttoken = t\n' "$base"
	printf '[source "argocd"]\n\ttype = argocd\n\turl = %s/argocd\n\ttoken = t\n' "$base"
	printf '[source "github"]\n\ttype = github\n\turl = %s/github\n\ttoken = t\n' "$base"
	printf '\trepo = acme/%s\n' checkout search payments
	for s in checkout search payments; do
		for m in rpm:rpm errors:errors_per_minute latency:latency_avg_seconds \
			latency_max:latency_max_seconds cpu:cpu_percent memory:memory_percent; do
			printf '[metric "%s.%s"]\n\tsource = prometheus\n\tquery = sitrep:%s{service=\\"%s\\"}\n' \
				"$s" "${m%%:*}" "${m#*:}" "$s"
		done
	done
} >"$tmp/config"
chmod 600 "$tmp/config"
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" sync --once >"$tmp/sync.log" 2>&1 ||
	{ echo "FAIL: sync: $(cat "$tmp/sync.log")"; exit 1; }
curl -s --max-time 5 "$base/_sim/scenario" >"$tmp/truth.json" || { echo "FAIL: no ground truth"; exit 1; }
# The services' repositories as the demo makes them, for the branch graph.
bash tests/tools/scenario_repos.sh "$tmp/truth.json" "$tmp/repos" "$SITREP_TIME_NOW" >/dev/null ||
	{ echo "FAIL: the scenario's repositories"; exit 1; }
for s in checkout search payments; do
	printf '[service "%s"]\n\trepo = %s/repos/%s\n' "$s" "$tmp" "$s" >>"$tmp/config"
done
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" slo --format json >"$tmp/slo.json" ||
	{ echo "FAIL: sitrep slo"; exit 1; }
kill "$sim_pid" && wait "$sim_pid" 2>/dev/null
sim_pid=
sql() { sqlite3 "$tmp/c.db" "$1"; }
truth() { jq -r --arg now "$SITREP_TIME_NOW" "$1" "$tmp/truth.json"; }

# --- hostile text in the cache: the newest incident (a ServiceNow ticket) again with
# a hostile title, so that the two rows differ only by it; the newest pipeline's
# branch.
hostile="X'486f7374696c65201b5d303b70776e6564072074697469653a1b5b324a1b5b33316d7265641b5b306d2001087f20c29b33316d633120e280ae6c69766520e280ac20fffe20656e6420e6bca2e5ad97e38386e382b9e38388'"
# Hostile ESC]0;pwned BEL titie: ESC[2J ESC[31m red ESC[0m \1\b DEL (U+009B)31m c1
# U+202E live U+202C \xff\xfe end, and wide characters; what the screen must show:
shown="Hostile  titie:red  c1 live  �� end 漢字テスト"
shown_ascii="Hostile  titie:red  c1 live  ?? end ?????"
cols=$(sql "SELECT group_concat(name, ', ') FROM pragma_table_info('incidents')
	WHERE name NOT IN ('id', 'source_id', 'title', 'detected_at')")
sql "INSERT INTO incidents(source_id, title, detected_at, $cols)
	SELECT 'EVIL-1', CAST($hostile AS TEXT), detected_at + 1, $cols
	FROM incidents ORDER BY detected_at DESC, id DESC LIMIT 1;
	UPDATE pipelines SET ref = CAST(X'65766c1b5d323b7469746c65071b5b41e280ae2f6272616e6368' AS TEXT)
	WHERE id = (SELECT id FROM pipelines ORDER BY started_at DESC LIMIT 1);" ||
	{ echo "FAIL: the hostile rows"; exit 1; }
# evl ESC]2;title BEL ESC[A U+202E /branch
branch_shown="evl/branch"
# The simulator's own title there has an OSC in it too.
reference_title=$(sql "SELECT title FROM incidents WHERE source_id != 'EVIL-1'
	ORDER BY detected_at DESC, id DESC LIMIT 1" | sed 's/\x1b\][^\x07]*\x07//g')
[ "$reference_title" = "Payments webhook backlog growing" ] || fail "the reference title: $reference_title"

# --- what every screen must hold
w_of() { echo "${1%x*}"; }
h_of() { echo "${1#*x}"; }
# frame SIZE WHAT: the tab line, the status bar whole, no line wider than the
# terminal, no more lines than it has.
frame() {
	local w h s status chunk
	w=$(w_of "$1")
	h=$(h_of "$1")
	s=$(screen)
	echo "$s" | head -1 | grep -q '^ sitrep ' || fail "$2: no tab line: $(echo "$s" | head -1)"
	if [ "$w" -ge 100 ]; then
		echo "$s" | head -1 | grep -qE ' 1 Overview  2 Pipelines  3 Branches  4 Metrics  5 Incidents  6 Deploys  7 Tickets( |$)' ||
			fail "$2: the tabs: $(echo "$s" | head -1)"
	elif [ "$w" -ge 60 ]; then
		echo "$s" | head -1 | grep -qE ' 1Over  2Pipe  3Bran  4Metr  5Inci  6Depl  7Tick( |$)' ||
			fail "$2: the short tabs: $(echo "$s" | head -1)"
	else
		echo "$s" | head -1 | grep -qE '^ sitrep  1(Over)?  2(Pipe)?  3(Bran)?  4(Metr)?  5(Inci)?  6(Depl)?  7(Tick)?( |$)' ||
			fail "$2: the numbered tabs: $(echo "$s" | head -1)"
	fi
	# A title at the right is whole words.
	echo "$s" | head -1 | grep -qE '[^ ](…|~)' && fail "$2: the tab line cut mid-word: $(echo "$s" | head -1)"
	[ "$(echo "$s" | wc -l)" -le "$h" ] || fail "$2: more lines than $h"
	[ "$(echo "$s" | LC_ALL=C.UTF-8 wc -L)" -le "$w" ] || fail "$2: a line wider than $w: $(echo "$s" | LC_ALL=C.UTF-8 awk -v w="$w" 'length($0) > w')"
	status=$(echo "$s" | sed -n "${h}p")
	echo "$status" | grep -q ' 11:30:00 UTC$' || fail "$2: no clock in the status bar: $status"
	# Each chip is a whole source and its age, or the count of those left out.
	status=${status% 11:30:00 UTC}
	while read -r chunk; do
		[ -z "$chunk" ] && continue
		echo "$chunk" | grep -qE '^(prometheus|alertmanager|opsgenie|sentry|servicenow|zendesk|argocd|github) ((stale|failing) )?[0-9]+[smhd]([0-9]+m)?$|^\+[0-9] more$' ||
			fail "$2: a status chip cut or garbled: \"$chunk\" in \"$status\""
	done < <(echo "$status" | sed 's/   */\n/g')
	echo "$status" | grep -q ' prometheus 0s ' || fail "$2: the first source is not in the status bar: $status"
}

# slo_left SERVICE: the budget left as `sitrep slo --format json` says, in percent
# with one decimal, or "-" without an objective.
slo_left() {
	local left
	left=$(jq -r ".slo | if .budget_minutes.$1 then .budget_remaining_minutes.$1 / .budget_minutes.$1 * 100 else \"-\" end" "$tmp/slo.json")
	[ "$left" = - ] || left=$(LC_ALL=C awk -v v="$left" 'BEGIN { printf "%.1f%%", v }')
	echo "$left"
}
# The figures differ: a check of one cannot pass on another's.
[ "$(slo_left checkout)" != "$(slo_left search)" ] && [ "$(slo_left payments)" = - ] ||
	fail "the SLO figures: $(cat "$tmp/slo.json")"

# check_view VIEW SIZE WHAT: the rows of VIEW that the truth and the cache say.
check_view() {
	local v=$1 w what=$3 s
	w=$(w_of "$2")
	s=$(screen)
	case $v in
	overview)
		echo "$s" | sed -n 2p | grep -q '^SERVICE  *OPEN P1/2/3 PRODUCTION  *SLO LEFT CI ' ||
			fail "$what: the overview's header: $(echo "$s" | sed -n 2p)"
		for svc in checkout payments search; do
			local row version left
			row=$(echo "$s" | grep -E "^[! ] $svc ")
			version=$(truth "[.deployments[] | select(.service == \"$svc\" and .environment == \"production\" and .started_at <= \$now)] | max_by(.started_at).version")
			echo "$row" | grep -qF " $version " || fail "$what: $svc in production is $version: $row"
			left=$(slo_left "$svc")
			echo "$row" | grep -qE "^[! ] $svc +[0-9]+/[0-9]+/[0-9]+ +.{19} +${left//./[.]} " ||
				fail "$what: $svc's SLO budget left is $left (sitrep slo): $row"
		done
		;;
	pipelines)
		local first n
		first=$(truth '[.pipelines[] | select(.queued_at <= $now)] | max_by(.queued_at) | "acme/" + .service + " .* " + (.number | tostring)')
		echo "$s" | sed -n 3p | grep -qE "^[a-z]+ +$first " || fail "$what: the newest pipeline first ($first): $(echo "$s" | sed -n 3p)"
		echo "$s" | sed -n 3p | grep -qF "${branch_shown:0:3}" || fail "$what: the hostile branch: $(echo "$s" | sed -n 3p)"
		n=$(sql "SELECT count(*) FROM pipelines")
		[ "$(($(h_of "$2") - 3))" -lt "$n" ] && n=$(($(h_of "$2") - 3))
		[ "$(echo "$s" | grep -cE '^(running|success|failed|canceled|waiting|queued) +acme/')" -eq "$n" ] ||
			fail "$what: $n pipelines: $(echo "$s" | grep -cE '^[a-z]+ +acme/')"
		;;
	branches)
		# checkout's graph: its default branch's newest commit by now, with the last
		# pipeline's result on it; a commit row for each commit that fits.
		local head n status glyph
		head=$(git -C "$tmp/repos/checkout" rev-parse HEAD)
		echo "$s" | grep -qE "${head:0:10} \(HEAD -> main" || fail "$what: checkout's HEAD ${head:0:10}: $(echo "$s" | sed -n 3,5p)"
		status=$(sql "SELECT status FROM pipelines WHERE sha = '$head' ORDER BY started_at DESC, id DESC LIMIT 1")
		case $status in
		success) glyph='(✔|ok)' ;; failed) glyph='(✘|X)' ;; running | queued | waiting) glyph='(◌|\.\.)' ;; *) glyph='' ;;
		esac
		[ -z "$glyph" ] || echo "$s" | grep -qE "$glyph +${head:0:10} " || fail "$what: CI $status on HEAD: $(echo "$s" | grep "${head:0:10}")"
		n=$(git -C "$tmp/repos/checkout" rev-list --all --count)
		[ "$(($(h_of "$2") - 3))" -lt "$n" ] && n=$(($(h_of "$2") - 3))
		[ "$(echo "$s" | grep -cE ' [0-9a-f]{10} ')" -ge $((n / 2)) ] || fail "$what: fewer than $((n / 2)) commits: $(echo "$s" | grep -cE ' [0-9a-f]{10} ')"
		;;
	metrics)
		local rpm
		rpm=$(sql "SELECT printf('%.0f', value) FROM metric_samples WHERE series_id =
			(SELECT id FROM metric_series WHERE name = 'checkout.rpm') AND ts <= $now ORDER BY ts DESC LIMIT 1")
		echo "$s" | grep -E '^checkout\.rpm' | grep -qE " $rpm " || fail "$what: checkout.rpm's last value $rpm: $(echo "$s" | grep '^checkout.rpm')"
		[ "$(echo "$s" | grep -cE '^(checkout|search|payments)\.')" -eq 18 ] || fail "$what: 18 series"
		;;
	incidents)
		local text=$shown
		[ "$ascii" = 1 ] && text=$shown_ascii
		echo "$s" | sed -n 3p | grep -qF "${text:0:$((w - 52))}" ||
			fail "$what: the hostile title shown as text: $(echo "$s" | sed -n 3p)"
		echo "$s" | sed -n 4p | grep -qF "${reference_title:0:$((w - 52))}" ||
			fail "$what: the incident below it: $(echo "$s" | sed -n 4p)"
		;;
	timeline)
		local src
		src=$(sql "SELECT source FROM incidents WHERE source_id = 'EVIL-1'")
		echo "$s" | head -1 | grep -qE "( Incident:)? $src EVIL-1\$" || fail "$what: the timeline's title: $(echo "$s" | head -1)"
		;;
	deploys)
		for svc in checkout payments search; do
			for where in production staging; do
				local version
				version=$(truth "[.deployments[] | select(.service == \"$svc\" and .environment == \"$where\" and .started_at <= \$now)] | max_by(.started_at).version")
				echo "$s" | grep -qE "^$svc +$where +$version " || fail "$what: $svc in $where is $version: $(echo "$s" | grep "^$svc  *$where")"
			done
		done
		;;
	tickets)
		local n
		# The simulator's tickets and the hostile copy of one.
		n=$(($(truth '[.tickets[] | select(.opened_at <= $now)] | length') + 1))
		[ "$(echo "$s" | grep -cE '^P[0-9] ')" -eq "$n" ] || fail "$what: $n tickets: $(echo "$s" | grep -cE '^P[0-9] ')"
		echo "$s" | grep -qE 'Card payments dec.* met( |$)' || fail "$what: a met SLA: $(echo "$s" | grep 'Card payments')"
		# The hostile title (wide characters in it) keeps the SLA column where the
		# row below has it (up to the side panel, if any).
		local a b
		a=$(echo "$s" | sed -n 3p | sed -E 's/(│|[|]).*//; s/ *$//' | LC_ALL=C.UTF-8 wc -L)
		b=$(echo "$s" | sed -n 4p | sed -E 's/(│|[|]).*//; s/ *$//' | LC_ALL=C.UTF-8 wc -L)
		[ "$a" = "$b" ] || fail "$what: the SLA column moved by the hostile title: $(echo "$s" | sed -n 3,4p)"
		;;
	help)
		echo "$s" | grep -qE ' j Down +Next line' || fail "$what: the help: $(echo "$s" | grep 'Next line')"
		;;
	esac
}

# goto VIEW: the next view of $views, from the one before it (the timeline is the
# incidents list's first row, the hostile one; help is over the tickets).
goto() {
	case $1 in
	pipelines) keys 2 ;;
	branches) keys 3 ;;
	metrics) keys 4 ;;
	incidents) keys 5 ;;
	timeline) keys g Enter ;;
	deploys) keys q 6 ;;
	tickets) keys 7 ;;
	help) keys '?' ;;
	esac
}
views="overview pipelines branches metrics incidents timeline deploys tickets help"
sizes="80x24 120x40 250x70"

# --- the matrix: each terminal and environment, each size, each view
for env in "TERM=xterm-256color LANG=C.UTF-8" "TERM=screen-256color LANG=C.UTF-8" \
	"TERM=xterm LANG=C.UTF-8" "TERM=vt100 LANG=C.UTF-8" \
	"TERM=xterm-256color NO_COLOR=1 LANG=C.UTF-8" "TERM=xterm-256color LANG=C LC_ALL=C"; do
	ascii=0
	case $env in *LANG=C\ *) ascii=1 ;; esac
	for size in $sizes; do
		start "$size" $env
		title=$(tmux -L "$sock" display -p -t c '#{pane_title}')
		for v in $views; do
			goto "$v"
			has "EXIT=" && { fail "$env $size $v: the console left: $(screen)"; break; }
			what="$env $size $v"
			frame "$size" "$what"
			check_view "$v" "$size" "$what"
			[ "$(tmux -L "$sock" display -p -t c '#{pane_title}')" = "$title" ] ||
				fail "$what: the pane title changed to $(tmux -L "$sock" display -p -t c '#{pane_title}')"
			case $env in
			*LANG=C\ *)
				screen | LC_ALL=C grep -q -P '[\x80-\xff]' &&
					fail "$what: non-ASCII in LANG=C: $(screen | LC_ALL=C grep -P '[\x80-\xff]' | head -2)"
				;;
			esac
			case $env in
			*NO_COLOR* | *vt100*)
				tmux -L "$sock" capture-pane -t c -p -e | grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5|48;5|9[0-7])[;m]' &&
					fail "$what: colors without them"
				;;
			*)
				tmux -L "$sock" capture-pane -t c -p -e | head -1 | grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5|48;5)' ||
					fail "$what: no colors on the tab line"
				;;
			esac
			[ "$env" = "TERM=xterm-256color LANG=C.UTF-8" ] && screen >"$tmp/fresh-$size-$v"
		done
	done
done

# --- the hostile title leaks no attribute: the hostile row (moved off the cursor)
# has the same color changes as the row below it, its twin but for the title.
start 250x70 TERM=xterm-256color LANG=C.UTF-8
keys 5 j j
sgr() { tmux -L "$sock" capture-pane -t c -p -e | sed -n "${1}p" | grep -oE $'\e\\[[0-9;]*m' | tr '\n' ' '; }
[ "$(sgr 3)" = "$(sgr 4)" ] || fail "the hostile title changed attributes: $(sgr 3) vs $(sgr 4)"
screen | sed -n 3p | grep -qF "$shown" || fail "the whole hostile title: $(screen | sed -n 3p)"
keys 2
screen | grep -F "$branch_shown" >/dev/null || fail "the hostile branch: $(screen | grep evl)"
start 250x70 TERM=xterm-256color LANG=C LC_ALL=C
keys 5
screen | sed -n 3p | grep -qF "$shown_ascii" || fail "the hostile title in ASCII: $(screen | sed -n 3p)"

# --- resizes: a chain ending at each size leaves the screen of a fresh start there
for size in $sizes; do
	start 120x40 TERM=xterm-256color LANG=C.UTF-8
	for v in $views; do
		goto "$v"
		for step in 250x70 30x8 80x24 $size; do
			tmux -L "$sock" resize-window -t c -x "${step%x*}" -y "${step#*x}"
			settle
		done
		frame "$size" "resized to $size, $v"
		diff <(screen) "$tmp/fresh-$size-$v" >"$tmp/diff" ||
			fail "resized to $size, $v: not the screen of a fresh start: $(cat "$tmp/diff")"
	done
done

# --- below the minimum size, and at it
left_checkout=$(slo_left checkout)
start 120x40 TERM=xterm-256color LANG=C.UTF-8
for step in 39x10 40x9 20x5; do
	tmux -L "$sock" resize-window -t c -x "${step%x*}" -y "${step#*x}"
	settle
	expect "sitrep needs 40x10" "at $step"
	expect "this is $step" "at $step"
	[ "$(screen | LC_ALL=C.UTF-8 wc -L)" -le "${step%x*}" ] || fail "at $step: a line too wide"
done
tmux -L "$sock" resize-window -t c -x 40 -y 10
settle
expect_not "sitrep needs" "at 40x10"
frame 40x10 "at 40x10"

# --- the overview's SLO column goes whole below 54 columns, never cut
tmux -L "$sock" resize-window -t c -x 53 -y 12
settle
screen | sed -n 2p | grep -qE '^SERVICE +OPEN P1/2/3 PRODUCTION *$' || fail "the header at 53 columns: $(screen | sed -n 2p)"
expect_not "%" "the SLO column at 53 columns"
tmux -L "$sock" resize-window -t c -x 54 -y 12
settle
screen | sed -n 2p | grep -qE '^SERVICE +OPEN P1/2/3 PRODUCTION +SLO LEFT$' || fail "the header at 54 columns: $(screen | sed -n 2p)"
screen | grep -E '^[! ] checkout ' | grep -qE " ${left_checkout//./[.]}$" || fail "the SLO at 54 columns: $(screen | grep checkout)"

# --- a stale source last in the config is not the one left out at 80 columns
sql "UPDATE sync_state SET last_success = $now - 3600, last_attempt = $now - 3600
	WHERE source = 'github'"
start 80x24 TERM=xterm-256color LANG=C.UTF-8
frame 80x24 "a stale source"
screen | tail -1 | grep -q '^ github stale 1h00m  ' || fail "the stale source first: $(screen | tail -1)"
screen | tail -1 | grep -qE ' \+[0-9] more ' || fail "the sources left out are counted: $(screen | tail -1)"
keys E
for src in prometheus alertmanager opsgenie sentry servicenow zendesk argocd github; do
	expect "$src " "E lists every source"
done

[ $failures = 0 ] || exit 1
echo "matrix: ok"
