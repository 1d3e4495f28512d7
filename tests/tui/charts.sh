#!/bin/bash
# charts.sh - the console's charts, incident timelines, MTTx panel and ticket SLAs in
# a real terminal (tmux), on a fixed clock (10:00 UTC) and a prepared cache, checked
# the way a person reads them: a chart's value axis and current/avg/max, the deploy
# markers under the right minutes, ASCII in LANG=C; an incident's milestones in
# order with TTD/TTA/TTC/TTR, its cause, rollback and family; the upstream record
# pretty-printed without its escape sequences; the panel's MTTA the same as
# `sitrep mttx`'s; each ticket's SLA time left or "breached".
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

export SITREP_TIME_NOW=2025-03-03T10:00:00Z TZ=UTC
now=1740996000
"$SITREP" --db "$tmp/c.db" import tests/fixtures/console_timeline.json >/dev/null 2>&1 ||
	{ echo "FAIL: import"; exit 1; }
# checkout's eight metrics, a sample a minute for a day. Requests per minute are
# 1200 until 09:30 and 1800 after: over the last hour, avg 1500, max and current 1800.
sqlite3 "$tmp/c.db" "
	INSERT INTO metric_series(source, name, labels, service_id)
		SELECT 'prom', 'checkout.' || m.name, '', s.id FROM services s,
		(SELECT 'rpm' AS name UNION ALL SELECT 'errors' UNION ALL SELECT 'latency'
		 UNION ALL SELECT 'latency_max' UNION ALL SELECT 'cpu' UNION ALL SELECT 'memory'
		 UNION ALL SELECT 'availability' UNION ALL SELECT 'consumers') m
		WHERE s.name = 'checkout';
	-- A raw series as a bare selector returns it: __name__ among its labels.
	INSERT INTO metric_series(source, name, labels, service_id) SELECT 'prom',
		'apiserver_up', '__name__=\"apiserver_up\",instance=\"node:9100\"', id
		FROM services WHERE name = 'checkout';
	WITH RECURSIVE t(ts) AS (SELECT $now - 86400 UNION ALL SELECT ts + 60 FROM t WHERE ts < $now - 60)
	INSERT INTO metric_samples SELECT s.id, t.ts, CASE s.name
		WHEN 'checkout.rpm' THEN CASE WHEN t.ts >= $now - 1800 THEN 1800 ELSE 1200 END
		WHEN 'checkout.errors' THEN CASE WHEN t.ts >= $now - 2400 AND t.ts < $now - 480 THEN 42 ELSE 1 END
		WHEN 'checkout.latency' THEN CASE WHEN t.ts >= $now - 2400 THEN 0.25 ELSE 0.12 END
		WHEN 'checkout.latency_max' THEN CASE WHEN t.ts >= $now - 2400 THEN 1.4 ELSE 0.4 END
		WHEN 'checkout.cpu' THEN 30 + (t.ts / 60) % 10
		WHEN 'checkout.memory' THEN 52
		WHEN 'checkout.availability' THEN CASE WHEN t.ts >= $now - 2400 THEN 0.995 ELSE 0.9999 END
		ELSE 340 END
	FROM t, metric_series s WHERE s.name LIKE 'checkout.%';
	-- The timeline's events and the upstream record of OG-7, with an escape
	-- sequence and a bidi override in it.
	INSERT INTO incident_events(incident_id, at, kind, actor, text)
		SELECT id, $now - 2100, 'trigger', 'opsgenie', 'Checkout 502 rate above 5%' FROM incidents WHERE source_id = 'OG-7'
		UNION ALL SELECT id, $now - 1860, 'ack', 'alice', NULL FROM incidents WHERE source_id = 'OG-7'
		UNION ALL SELECT id, $now - 1620, 'note', 'bob', 'rolling back to v1.41.0' FROM incidents WHERE source_id = 'OG-7'
		UNION ALL SELECT id, $now - 480, 'resolve', 'alice', NULL FROM incidents WHERE source_id = 'OG-7';
	INSERT INTO incident_raw(incident_id, json)
		SELECT id, '{\"id\":\"OG-7\",\"message\":\"\\u001b]0;pwned\\u0007502s \\u001b[31mred\\u001b[0m\",\"tags\":[\"checkout\",\"p1\"],\"details\":{\"note\":\"evil \\u202e override\"}}'
		FROM incidents WHERE source_id = 'OG-7';" || { echo "FAIL: preparing the cache"; exit 1; }
printf '[service "checkout"]\n\tslo = 99.9\n' >"$tmp/config"
chmod 600 "$tmp/config"

# --- the chart page of checkout at 120x30: the eight charts, two columns of four
OPTS="--view metrics" start 120x30 LANG=C.UTF-8
expect "checkout.rpm" "the series list"
# The series' labels, without __name__, which only repeats its name.
expect 'apiserver_up{instance="node:9100"}' "a raw series' labels"
screen | grep -q '__name__' && fail "__name__ shows: $(screen | grep __name__)"
# The list is by name: availability, consumers, cpu, errors, latency, latency_max,
# memory, rpm; rpm is the last.
keys G Enter
expect "Metrics: checkout, last 1h" "the chart page's title"
for m in "rpm requests per minute" "errors errors per minute" "latency average latency" \
	"latency_max" "cpu CPU" "memory memory" "availability" "consumers"; do
	expect "$m" "the chart of $m"
done
screen | grep -q "▶ rpm requests per minute *cur 1800  avg 1500  max 1800" ||
	fail "rpm's current/avg/max: $(screen | grep 'rpm')"
expect "cur 52%  avg 52%  max 52%" "memory in percent"
# Zoomed: the value axis from 1200 to 1800 in hundreds, the time axis in 5 minutes.
keys Enter
expect "▲ 03-03 09:10 v1.42.0 success" "zoomed: the deploys under the chart"
for v in 1200 1300 1500 1800; do
	screen | grep -qE "^ *$v┤" || fail "no value label $v on the axis: $(screen | head -8)"
done
axis=$(screen | grep -n '└' | head -1 | cut -d: -f1)
labels=$(line $((axis + 1)))
marks=$(line "$axis")
for t in 09:05 09:10 09:30 09:55; do
	echo "$labels" | grep -q "$t" || fail "no time label $t: $labels"
done
# The span is 09:00:00 to 10:00:16 in 226 braille columns of 16 s, two a cell: a
# deploy at 09:10 (v1.42.0) is in cell 600/32 = 18, under the 09:10 label, and the
# rollback at 09:38 in cell 2280/32 = 71, both after the 7-column value axis.
col_0910=$(echo "$labels" | awk '{ print index($0, "09:10") - 1 }')
[ "$col_0910" = 25 ] || fail "09:10 is at column $col_0910, not 7 + 18"
# The character at column $2 of $1 (the axis is of 3-byte characters: count them).
char_at() {
	local LC_ALL=C.UTF-8 text=$1
	echo "${text:$2:1}"
}
[ "$(char_at "$marks" 25)" = "▲" ] || fail "no deploy marker under 09:10: '$marks'"
[ "$(char_at "$marks" 78)" = "▲" ] || fail "no rollback marker at column 78: '$marks'"
[ "$(echo "$marks" | grep -o '▲' | wc -l)" = 2 ] || fail "production deploys only: '$marks'"
expect "v1.41.0 rollback" "the rollback in the legend"
expect_not "v1.43.0" "a staging deploy on a production chart"
# w: the next range
keys w
expect "last 6h" "the range moves to 6h"
keys q q
expect "checkout.rpm" "back to the series list"

# --- the same page in blocks at 80x24, and in ASCII in the C locale
OPTS="--view metrics" start 80x24 LANG=C.UTF-8
keys G Enter
screen | grep -qE '[▁▂▃▄▅▆▇█]' || fail "no block characters at 80 columns: $(screen)"
screen | grep -qP '[\x{2800}-\x{28ff}]' 2>/dev/null && fail "braille at 80 columns"
OPTS="--view metrics" start 120x30 LANG=C LC_ALL=C
keys G Enter
screen | LC_ALL=C grep -q -P '[\x80-\xff]' &&
	fail "non-ASCII bytes in the C locale: $(screen | LC_ALL=C grep -P '[\x80-\xff]' | head -3)"
expect "> rpm" "the chosen chart in ASCII"
screen | grep -qE '^ *[0-9]+\+' || fail "the ASCII value axis: $(screen | head -6)"
screen | grep -qE '^ +\+[-+^]{20,}' || fail "the ASCII time axis: $(screen | head -9)"
screen | grep -q '#' || fail "no ASCII plot"
screen | grep -q '\^' || fail "no ASCII deploy marker"

# --- the timeline of OG-7 at 120x30
OPTS="--view incidents" start 120x30 LANG=C.UTF-8
keys / O G - 7 Enter
keys Enter
expect "Incident: opsgenie OG-7" "the timeline of OG-7"
expect "caused by deploy argo:checkout-prod:42" "the cause in the heading"
expect "family of 2 records" "the family"
# Milestones left to right in their order, on the two rows over the axis.
order=$(screen | sed -n 4,5p | awk '{
	for (i = 1; i <= NF; i++) if ($i ~ /^(impact|detect|ack|contain|resolve|close)$/)
		print index($0, " " $i " ") "\t" $i }' | sort -n | cut -f2 | tr '\n' ' ')
[ "$order" = "impact detect ack contain resolve close " ] ||
	fail "milestones out of order: '$order'$(printf '\n%s' "$(screen | sed -n 3,7p)")"
expect "TTD 5m" "time to detect (09:20 to 09:25)"
expect "TTA 4m" "time to acknowledge (09:25 to 09:29)"
expect "TTC 15m" "time to contain (09:25 to 09:40)"
expect "TTR 32m" "time to resolve (09:20 to 09:52)"
expect "v1.42.0 (cause)" "the deploy that caused it"
expect "v1.41.0 rollback" "the rollback"
expect "v1.43.0 staging" "the staging deploy"
screen | grep -qE '^SN-7 .*ticket Resolved' || fail "the linked ticket: $(screen | grep SN-7)"
expect "Events (4)" "the events list"
expect "bob: rolling back to v1.41.0" "an event"
# The upstream record, pretty-printed and without its escapes
keys J
expect '"id": "OG-7",' "the raw record, indented"
expect '"tags": [' "the raw record's array"
[ "$(tmux -L "$sock" display -p -t c '#{pane_title}')" = "pwned" ] && fail "an OSC in the raw record retitled the terminal"
screen | grep -q $'\u202e' && fail "a bidi override reached the screen"
keys q
expect "TTR 32m" "back to the timeline"

# --- the MTTx panel at 150 columns: checkout over 30 days, as sitrep mttx says
json=$("$SITREP" --config "$tmp/config" --db "$tmp/c.db" mttx --since 30d --service checkout --format json)
median=$(sqlite3 :memory: "SELECT json_extract('$json', '\$.mtta.checkout.median')")
n=$(sqlite3 :memory: "SELECT json_extract('$json', '\$.mtta.checkout.n')")
[ "$median" = 4.0 ] && [ "$n" = 3 ] || fail "the fixture's MTTA changed: $median over $n"
OPTS="--view incidents" start 150x30 LANG=C.UTF-8
expect "MTTx checkout, last 30d (w)" "the panel at 150 columns"
screen | grep -qE "│MTTA +${median%.0}m .* $n\$" ||
	fail "the panel's MTTA is not mttx's (${median%.0}m over $n): $(screen | grep MTTA)"
keys w
expect "MTTx checkout, last 90d (w)" "w moves the panel's window"
keys p
expect_not "MTTx checkout" "p hides the panel"
OPTS="--view incidents" start 120x30 LANG=C.UTF-8
expect_not "MTTx" "no panel at 120 columns"
keys p
expect "MTTx checkout, last 30d" "p shows the panel at 120 columns"

# --- tickets: the SLA left, or breached
OPTS="--view tickets" start 120x30 LANG=C.UTF-8
expect "SLA LEFT" "the SLA column"
screen | grep -E '^P2 +payments' | grep -qE ' 45m$' || fail "SN-8's 45 minutes left: $(screen | grep payments)"
screen | grep -E '^P3 +payments' | grep -qE ' breached$' || fail "SN-9 breached: $(screen | grep payments)"
screen | grep -E '^P4 +search' | grep -qE ' met$' || fail "SN-10 met: $(screen | grep search)"
screen | grep -E '^P1 +checkout' | grep -qE ' met$' || fail "SN-7 met: $(screen | grep checkout)"

[ $failures = 0 ] || exit 1
echo "charts: ok"
