#!/bin/bash
# export_sync.sh - what a sync brought in, as scripts see it: `sitrep export
# incidents|events|samples` with --source, --service, --metric and --since select
# exactly the rows the cache holds for them (counted with SQL beside), as JSON and
# CSV; incidents carry their status; samples keep the upstream's short numbers; and
# bad arguments are usage errors (exit 2) with nothing on stdout.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z --require-token s3cret

cat >"$tmp/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = env:OG_TOKEN
[source "prom"]
	type = prometheus
	url = $base/prometheus
	token = env:OG_TOKEN
[metric "checkout.cpu"]
	source = prom
	query = sitrep:cpu_percent{service=\\"checkout\\"}
[metric "search.cpu"]
	source = prom
	query = sitrep:cpu_percent{service=\\"search\\"}
CONF
chmod 600 "$tmp/config"
export OG_TOKEN=s3cret SITREP_TIME_NOW=2025-03-03T10:00:00Z
now=$(date -u -d 2025-03-03T10:00:00Z +%s)
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
sql() { sqlite3 "$tmp/c.db" "$1"; }
# The number of records in an export document (JSON), read by SQLite's JSON1.
json_count() { sqlite3 :memory: "SELECT json_array_length(readfile('$1'), '\$.$2')"; }

run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync: $(cat "$tmp/out" "$tmp/err")"
[ "$(sql "SELECT count(*) FROM incident_events")" -gt 0 ] || fail "the sync brought no events"
[ "$(sql "SELECT count(*) FROM metric_samples")" -gt 0 ] || fail "the sync brought no samples"

# --- events: everything, then each filter, against SQL
check_events() { # what, expected SQL count, export options...
	local what=$1 want=$2
	shift 2
	run export events "$@" >"$tmp/ev.json" 2>"$tmp/err" || { fail "export events $*: $(cat "$tmp/err")"; return; }
	local got
	got=$(json_count "$tmp/ev.json" events)
	[ "$got" = "$want" ] || fail "$what: $got events exported, the cache holds $want"
	run export events --format csv "$@" >"$tmp/ev.csv" || fail "export events --format csv $*"
	head -1 "$tmp/ev.csv" | grep -qx 'source,incident,service,at,kind,actor,text,id' ||
		fail "$what: CSV header is $(head -1 "$tmp/ev.csv")"
}
check_events "all events" "$(sql "SELECT count(*) FROM incident_events")"
check_events "events of og" "$(sql "SELECT count(*) FROM incident_events e JOIN incidents i
	ON i.id = e.incident_id WHERE i.source = 'og'")" --source og
check_events "events of another source" 0 --source nosuch
check_events "events of checkout" "$(sql "SELECT count(*) FROM incident_events e JOIN incidents i
	ON i.id = e.incident_id JOIN services s ON s.id = i.service_id WHERE s.name = 'checkout'")" \
	--service checkout
check_events "events of the last 2 h" "$(sql "SELECT count(*) FROM incident_events
	WHERE at >= $((now - 7200))")" --since 2h
check_events "events since an instant" "$(sql "SELECT count(*) FROM incident_events
	WHERE at >= $((now - 3600))")" --since 2025-03-03T09:00:00Z
# Every exported event names an incident that exists, with the instant as text.
run export events --since 2h >"$tmp/ev.json"
bad=$(sqlite3 "$tmp/c.db" "SELECT count(*) FROM json_each(readfile('$tmp/ev.json'), '\$.events') j
	WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.source = json_extract(j.value, '\$.source')
	AND i.source_id = json_extract(j.value, '\$.incident'))
	OR json_extract(j.value, '\$.at') NOT GLOB '2025-03-03T0[89]:*Z'")
[ "$bad" = 0 ] || fail "$bad exported events name no incident or carry a bad instant"

# --- samples: by metric and since, values as the upstream wrote them
check_samples() { # what, expected SQL count, export options...
	local what=$1 want=$2
	shift 2
	run export samples "$@" >"$tmp/s.json" 2>"$tmp/err" || { fail "export samples $*: $(cat "$tmp/err")"; return; }
	local got
	got=$(json_count "$tmp/s.json" samples)
	[ "$got" = "$want" ] || fail "$what: $got samples exported, the cache holds $want"
}
check_samples "all samples" "$(sql "SELECT count(*) FROM metric_samples")"
check_samples "samples of checkout.cpu" "$(sql "SELECT count(*) FROM metric_samples x JOIN metric_series m
	ON m.id = x.series_id WHERE m.name = 'checkout.cpu'")" --metric checkout.cpu
check_samples "samples of search in the last 30 min" "$(sql "SELECT count(*) FROM metric_samples x
	JOIN metric_series m ON m.id = x.series_id JOIN services s ON s.id = m.service_id
	WHERE s.name = 'search' AND x.ts >= $((now - 1800))")" --service search --since 30m
check_samples "samples of an unknown metric" 0 --metric nosuch
# The exported values equal the stored ones, and none has a 17-digit tail.
run export samples --metric checkout.cpu --format csv >"$tmp/s.csv"
[ "$(wc -l <"$tmp/s.csv")" -gt 1 ] || fail "no CSV rows of checkout.cpu"
awk -F, 'NR > 1 && length($NF) > 16 { bad++ } END { exit bad > 0 }' "$tmp/s.csv" ||
	fail "sample values not in their shortest form: $(sed -n 2p "$tmp/s.csv")"
sum_sql=$(sql "SELECT printf('%.6f', sum(value)) FROM metric_samples x JOIN metric_series m
	ON m.id = x.series_id WHERE m.name = 'checkout.cpu'")
sum_csv=$(awk -F, 'NR > 1 { s += $NF } END { printf "%.6f", s }' "$tmp/s.csv")
[ "$sum_sql" = "$sum_csv" ] || fail "CSV values sum to $sum_csv, the cache's to $sum_sql"

# --- incidents: filters and status
run export incidents --source og --service checkout >"$tmp/i.json" || fail "export incidents"
want=$(sql "SELECT count(*) FROM incidents i JOIN services s ON s.id = i.service_id
	WHERE i.source = 'og' AND s.name = 'checkout'")
[ "$(json_count "$tmp/i.json" incidents)" = "$want" ] || fail "incidents of og/checkout: not $want"
for st in open acknowledged resolved closed; do
	case $st in
	open) cond="acknowledged_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL" ;;
	acknowledged) cond="acknowledged_at IS NOT NULL AND resolved_at IS NULL AND closed_at IS NULL" ;;
	resolved) cond="resolved_at IS NOT NULL AND closed_at IS NULL" ;;
	closed) cond="closed_at IS NOT NULL" ;;
	esac
	want=$(sql "SELECT count(*) FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.source = 'og' AND s.name = 'checkout' AND $cond")
	got=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$tmp/i.json'), '\$.incidents')
		WHERE json_extract(value, '\$.status') = '$st'")
	[ "$got" = "$want" ] || fail "$got incidents exported as $st, the cache has $want"
done
# Open at some moment of the last hour: still open, or resolved within it, or new.
run export incidents --since 1h >"$tmp/i.json" || fail "export incidents --since 1h"
want=$(sql "SELECT count(*) FROM incidents WHERE resolved_at IS NULL OR resolved_at >= $((now - 3600))
	OR detected_at >= $((now - 3600))")
[ "$(json_count "$tmp/i.json" incidents)" = "$want" ] || fail "incidents of the last hour: not $want"
# The export still imports: the status it carries is derived, not required.
run export incidents >"$tmp/all.json"
"$SITREP" --db "$tmp/copy.db" import "$tmp/all.json" 2>"$tmp/err" || fail "re-import: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/copy.db" "SELECT count(*) FROM incidents")" = "$(sql "SELECT count(*) FROM incidents")" ] ||
	fail "the re-imported cache lost incidents"

# --- usage errors
for args in "events --metric x" "events --since yesterday" "things" "events samples" \
	"samples --format xml" "events --bogus"; do
	# shellcheck disable=SC2086
	run export $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] || fail "export $args: exit $rc, expected 2"
	[ -s "$tmp/out" ] && fail "export $args wrote to stdout"
	grep -q "usage: sitrep export" "$tmp/err" || fail "export $args: no usage line: $(cat "$tmp/err")"
done

[ $failures = 0 ] || exit 1
echo "export_sync: ok"
