#!/bin/sh
# bench/sync.sh - end-to-end sync throughput: `sitrep sync --once` from sitrep-sim over
# loopback (HTTP + JSON + mapping + upsert), incidents through the Opsgenie dialect and
# a metric backfill through Prometheus's query_range, each beside two baselines run on
# the same data in the same run: jansson alone parsing the same response bodies, and
# raw SQLite inserting the same rows with one prepared statement.
#
#   make bench-sync                     (builds sitrep, sitrep-sim, then runs this)
#   BENCH_INCIDENTS=20000 BENCH_BACKFILL_DAYS=4 sh bench/sync.sh     (a quick run)
#
# Environment: SITREP (default ./sitrep), SITREP_SIM (default ./sitrep-sim),
# BENCH_INCIDENTS (generated incidents, default 100000), BENCH_SERVICES (services, so
# series per metric, default 24), BENCH_BACKFILL_DAYS (metric history at a 60 s step,
# default 15: 4 metrics x 24 series x 21601 points = 2.07M samples), BENCH_RUNS (timed
# runs of each sync, default 3), BENCH_SCALE (the memory check's page multiplier,
# default 4; 0 skips it), CC (default cc), BENCH_STRICT=1 (exit 1 when a target is
# missed). Everything is written under bench/out/sync/ (gitignored). See
# bench/README.md for what is measured and why.
set -eu

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

SITREP=${SITREP:-./sitrep}
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
BENCH_INCIDENTS=${BENCH_INCIDENTS:-100000}
BENCH_SERVICES=${BENCH_SERVICES:-24}
BENCH_BACKFILL_DAYS=${BENCH_BACKFILL_DAYS:-15}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SCALE=${BENCH_SCALE:-4}
CC=${CC:-cc}
START=2025-03-03T10:00:00Z
STEP=60
METRICS="rpm cpu_percent memory_percent latency_avg_seconds"

abs() {
	case $1 in
	/*) echo "$1" ;;
	*/*) echo "$(pwd)/$1" ;;
	*) command -v "$1" 2>/dev/null || echo "$1" ;;
	esac
}
SITREP=$(abs "$SITREP")
SITREP_SIM=$(abs "$SITREP_SIM")
cd "$(dirname "$0")/.."

for t in curl sqlite3 pkg-config "$CC"; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed (Debian: curl sqlite3 pkg-config gcc)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing; it measures wall time and peak memory (apt-get install time)"
[ -x "$SITREP" ] || die "no sitrep binary at $SITREP: run 'make bench-sync', or set SITREP"
[ -x "$SITREP_SIM" ] || die "no sitrep-sim binary at $SITREP_SIM: run 'make bench-sync', or set SITREP_SIM"
for v in BENCH_INCIDENTS BENCH_SERVICES BENCH_BACKFILL_DAYS BENCH_RUNS; do
	eval "x=\$$v"
	case $x in '' | *[!0-9]* | 0*) die "$v must be a positive integer" ;; esac
done
case $BENCH_SCALE in '' | *[!0-9]*) die "BENCH_SCALE must be an integer" ;; esac

OUT=bench/out/sync
mkdir -p "$OUT"
summary=$OUT/summary.txt
results=$OUT/results.txt
: >"$results"

# ---- the baselines, with the project's warning flags ------------------------------
FLAGS="-std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wwrite-strings -Wformat=2 -Werror"
echo "bench: compiling bench/baseline_parse.c and bench/baseline_insert.c"
# shellcheck disable=SC2086
$CC $FLAGS -o "$OUT/baseline_parse" bench/baseline_parse.c $(pkg-config --cflags --libs jansson)
# shellcheck disable=SC2086
$CC $FLAGS -o "$OUT/baseline_insert" bench/baseline_insert.c $(pkg-config --cflags --libs sqlite3)

# ---- helpers ---------------------------------------------------------------------
sim_pid=
stop_sim() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	sim_pid=
}
trap stop_sim EXIT INT TERM

# world FILE INCIDENTS: services s01..sNN and INCIDENTS generated over the last year.
world() {
	{
		printf '{"name": "bench", "services": ['
		i=1
		while [ "$i" -le "$BENCH_SERVICES" ]; do
			[ "$i" -gt 1 ] && printf ', '
			printf '{"name": "s%02d"}' "$i"
			i=$((i + 1))
		done
		printf '],\n "generate": {"incidents": %s, "from": "-365d", "to": "-1d"}}\n' "$2"
	} >"$1"
}

# start_sim WORLD: sitrep-sim on a free port, clock frozen at START.
start_sim() {
	stop_sim
	rm -f "$OUT/port"
	"$SITREP_SIM" --port 0 --port-file "$OUT/port" --speed 0 --start "$START" \
		--scenario "$1" >"$OUT/sim.log" 2>&1 &
	sim_pid=$!
	for _ in $(seq 600); do [ -s "$OUT/port" ] && break; sleep 0.05; done
	[ -s "$OUT/port" ] || die "sitrep-sim did not start: $(cat "$OUT/sim.log")"
	base="http://127.0.0.1:$(cat "$OUT/port")"
	cat >"$OUT/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = bench
[source "prom"]
	type = prometheus
	url = $base/prometheus
	interval = ${STEP}s
	backfill = ${backfill_days}d
CONF
	for m in $METRICS; do
		printf '[metric "all.%s"]\n\tsource = prom\n\tquery = sitrep:%s\n' "$m" "$m" >>"$OUT/config"
	done
	chmod 600 "$OUT/config"
}

rm_db() {
	rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}

# field NAME FILE: a number from a `/usr/bin/time -v` log
field() {
	awk -F': ' -v name="$1" 'index($0, name) { v = $2 } END { print v }' "$2"
}

# wall seconds from "h:mm:ss" or "m:ss.ss"
wall_of() {
	field "Elapsed (wall clock)" "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# sync_once NAME SOURCE DB LOG: one timed `sitrep sync --once --source SOURCE` from
# no cache at all; appends "wall user sys rss_kb" to $OUT/NAME.runs.
sync_once() {
	rm_db "$3"
	SITREP_TIME_NOW=$START /usr/bin/time -v -o "$4.time" \
		"$SITREP" --config "$OUT/config" --db "$3" sync --once --source "$2" >"$4" 2>&1 ||
		die "sitrep sync --source $2 failed: $(cat "$4")"
	printf '%s %s %s %s\n' "$(wall_of "$4.time")" "$(field "User time" "$4.time")" \
		"$(field "System time" "$4.time")" "$(field "Maximum resident" "$4.time")" >>"$OUT/$1.runs"
}

# timed NAME SOURCE DB: BENCH_RUNS runs; sets med_wall med_cpu med_rss
timed() {
	: >"$OUT/$1.runs"
	i=0
	while [ "$i" -lt "$BENCH_RUNS" ]; do
		sync_once "$1" "$2" "$3" "$OUT/$1.log"
		i=$((i + 1))
	done
	med_wall=$(awk '{ print $1 }' "$OUT/$1.runs" | median)
	med_cpu=$(awk '{ print $2 + $3 }' "$OUT/$1.runs" | median)
	med_rss=$(awk '{ print $4 }' "$OUT/$1.runs" | median)
}

# the query_range windows sitrep asks for: from now - backfill aligned down to the
# step, pages of at most 1440 points, the last ending now
windows() {
	now=$(date -u -d "$START" +%s)
	start=$(((now - $1 * 86400) / STEP * STEP))
	while [ "$start" -le "$now" ]; do
		end=$((start + 1439 * STEP))
		[ "$end" -gt "$now" ] && end=$now
		echo "$start $end"
		start=$((end + STEP))
	done
}

# save_bodies DIR: every response body of a first sync, fetched again with curl (one
# process, one connection): the alert pages and the metric pages.
save_bodies() {
	rm -rf "$1"
	mkdir -p "$1/incidents" "$1/samples"
	total=$(curl -s -H 'Authorization: GenieKey bench' \
		"$base/opsgenie/v2/alerts/count?query=updatedAt%3E%3D0" | grep -o '"count": *[0-9]*' | grep -o '[0-9]*$')
	: >"$1/curl.cfg"
	off=0
	while [ "$off" -lt "$total" ]; do
		printf 'url = "%s/opsgenie/v2/alerts?query=updatedAt%%3E%%3D0&offset=%d&limit=100&sort=updatedAt&order=asc"\noutput = "%s/incidents/%07d.json"\nheader = "Authorization: GenieKey bench"\nnext\n' \
			"$base" "$off" "$1" "$off" >>"$1/curl.cfg"
		off=$((off + 100))
	done
	n=0
	for m in $METRICS; do
		windows "$backfill_days" | while read -r s e; do
			printf 'url = "%s/prometheus/api/v1/query_range"\ndata = "query=sitrep%%3A%s&start=%s&end=%s&step=%s"\noutput = "%s/samples/%s-%s.json"\nnext\n' \
				"$base" "$m" "$s" "$e" "$STEP" "$1" "$m" "$s"
		done >>"$1/curl.cfg"
		n=$((n + 1))
	done
	sed -i '$d' "$1/curl.cfg" # the last "next" would start an entry with no URL
	curl -s -K "$1/curl.cfg" || die "curl could not fetch the bodies"
}

bytes_of() {
	cat "$1"/*.json | wc -c | tr -d ' '
}

kb_to_mb() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

echo "bench: $SITREP, $(sqlite3 --version | cut -d' ' -f1) (sqlite3 CLI), $BENCH_INCIDENTS incidents," \
	"$BENCH_SERVICES services, $BENCH_BACKFILL_DAYS days of 4 metrics at ${STEP}s, $BENCH_RUNS runs each"

# ---- N: the timed runs -------------------------------------------------------------
backfill_days=$BENCH_BACKFILL_DAYS
world "$OUT/world.json" "$BENCH_INCIDENTS"
start_sim "$OUT/world.json"
inc_db=$OUT/incidents.db
met_db=$OUT/samples.db

echo "bench: sync of incidents (opsgenie), $BENCH_RUNS runs"
timed incidents og "$inc_db"
inc_wall=$med_wall inc_cpu=$med_cpu inc_rss=$med_rss
inc_rows=$(sqlite3 "$inc_db" "SELECT count(*) FROM incidents")
inc_pages=$(sqlite3 "$inc_db" "SELECT pages FROM sync_state WHERE source = 'og' AND stream = 'alerts'")

echo "bench: sync of samples (prometheus query_range), $BENCH_RUNS runs"
timed samples prom "$met_db"
met_wall=$med_wall met_cpu=$med_cpu met_rss=$med_rss
met_rows=$(sqlite3 "$met_db" "SELECT count(*) FROM metric_samples")
met_pages=$(sqlite3 "$met_db" "SELECT sum(pages) FROM sync_state WHERE source = 'prom' AND stream LIKE 'metric:%'")

echo "bench: saving the response bodies"
save_bodies "$OUT/bodies"
inc_bytes=$(bytes_of "$OUT/bodies/incidents")
met_bytes=$(bytes_of "$OUT/bodies/samples")

echo "bench: baselines"
# shellcheck disable=SC2046
set -- $("$OUT/baseline_parse" -r 3 "$OUT"/bodies/incidents/*.json)
inc_parse=$6 inc_parse_mbs=$8
# shellcheck disable=SC2046
set -- $("$OUT/baseline_parse" -r 3 "$OUT"/bodies/samples/*.json)
met_parse=$6 met_parse_mbs=$8
ins() { # ins KIND SRC [ORDER]
	rm_db "$OUT/baseline.db"
	"$OUT/baseline_insert" "$1" "$2" "$OUT/baseline.db" ${3:+"$3"}
}
# shellcheck disable=SC2046
set -- $(ins incidents "$inc_db")
inc_insert=$4 inc_insert_rate=$6
# shellcheck disable=SC2046
set -- $(ins samples "$met_db")
met_insert=$4 met_insert_rate=$6
# shellcheck disable=SC2046
set -- $(ins samples "$met_db" time)
met_insert_time_rate=$6
rm_db "$OUT/baseline.db"

# ---- the second sync: what an unchanged upstream is asked ---------------------------
echo "bench: second sync of each source"
second() {
	curl -s -X DELETE "$base/_sim/requests" >/dev/null
	SITREP_TIME_NOW=$START "$SITREP" --config "$OUT/config" --db "$2" sync --once --source "$1" \
		--verbose >"$OUT/second-$1.out" 2>"$OUT/second-$1.trace" ||
		die "second sync of $1 failed: $(cat "$OUT/second-$1.trace")"
	requests=$(curl -s "$base/_sim/requests" | grep -o '"total": *[0-9]*' | grep -o '[0-9]*$')
	n304=$(grep -c '← 304 ' "$OUT/second-$1.trace" || true)
	n200=$(grep -c '← 200 ' "$OUT/second-$1.trace" || true)
	bytes200=$(awk '/← 200 / { for (i = 1; i <= NF; i++) if ($i == "B") s += $(i - 1) } END { print s + 0 }' \
		"$OUT/second-$1.trace")
	records=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "records") print $(i - 1) }' "$OUT/second-$1.out")
	echo "$1 requests $requests 304 $n304 200 $n200 bytes200 $bytes200 records $records" >>"$results"
	echo "$requests requests: $n304 x 304, $n200 x 200 ($bytes200 B), $records records"
}
inc_second=$(second og "$inc_db")
met_second=$(second prom "$met_db")

# ---- memory: the same syncs with BENCH_SCALE times the pages ------------------------
inc_rss_big= met_rss_big= inc_pages_big= met_pages_big=
if [ "$BENCH_SCALE" -gt 0 ]; then
	echo "bench: memory with ${BENCH_SCALE}x the pages (one run each)"
	backfill_days=$((BENCH_BACKFILL_DAYS * BENCH_SCALE))
	world "$OUT/world-big.json" $((BENCH_INCIDENTS * BENCH_SCALE))
	start_sim "$OUT/world-big.json"
	: >"$OUT/incidents-big.runs"
	: >"$OUT/samples-big.runs"
	sync_once incidents-big og "$OUT/big.db" "$OUT/incidents-big.log"
	inc_rss_big=$(awk '{ print $4 }' "$OUT/incidents-big.runs")
	inc_pages_big=$(sqlite3 "$OUT/big.db" "SELECT pages FROM sync_state WHERE source = 'og' AND stream = 'alerts'")
	sync_once samples-big prom "$OUT/big.db" "$OUT/samples-big.log"
	met_rss_big=$(awk '{ print $4 }' "$OUT/samples-big.runs")
	met_pages_big=$(sqlite3 "$OUT/big.db" "SELECT sum(pages) FROM sync_state WHERE source = 'prom' AND stream LIKE 'metric:%'")
	rm_db "$OUT/big.db"
fi
stop_sim

# ---- summary -------------------------------------------------------------------------
cat >>"$results" <<EOF
incidents rows $inc_rows pages $inc_pages bytes $inc_bytes wall $inc_wall cpu $inc_cpu rss_kb $inc_rss parse_s $inc_parse parse_mbs $inc_parse_mbs insert_s $inc_insert insert_rows_s $inc_insert_rate rss_kb_${BENCH_SCALE}x $inc_rss_big pages_${BENCH_SCALE}x $inc_pages_big
samples rows $met_rows pages $met_pages bytes $met_bytes wall $met_wall cpu $met_cpu rss_kb $met_rss parse_s $met_parse parse_mbs $met_parse_mbs insert_s $met_insert insert_rows_s $met_insert_rate insert_time_major_rows_s $met_insert_time_rate rss_kb_${BENCH_SCALE}x $met_rss_big pages_${BENCH_SCALE}x $met_pages_big
EOF
verdict() { # verdict OK-EXPR: "met" or "MISSED"
	if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi
}
inc_ratio=$(awk -v w="$inc_wall" -v p="$inc_parse" -v i="$inc_insert" 'BEGIN { printf "%.2f", w / (p + i) }')
met_ratio=$(awk -v w="$met_wall" -v p="$met_parse" -v i="$met_insert" 'BEGIN { printf "%.2f", w / (p + i) }')
inc_rate=$(awk -v n="$inc_rows" -v w="$inc_wall" 'BEGIN { printf "%.0f", n / w }')
met_rate=$(awk -v n="$met_rows" -v w="$met_wall" 'BEGIN { printf "%.0f", n / w }')
v_inc=$(verdict "$inc_ratio <= 2")
v_met=$(verdict "$met_ratio <= 2")
v_rate=$(verdict "$met_rate >= 1000000")
# An unchanged upstream must not send a full page again: the alert listing re-reads
# only the cursor's lag (the last minutes), a metric its last sample per series.
second_records() { echo "$1" | grep -o '[0-9]* records' | awk '{ print $1 + 0 }'; }
v_second=$(verdict "$(second_records "$inc_second") < 100 && $(second_records "$met_second") <= $BENCH_SERVICES * 4")
{
	echo "sitrep sync --once from sitrep-sim over loopback, median of $BENCH_RUNS runs"
	echo
	printf '%-10s %8s %6s %8s %9s %12s %9s | %9s %9s %9s | %6s %7s\n' \
		"" rows pages MB wall rows/s "peak RSS" parse insert "sum" ratio "<= 2?"
	printf '%-10s %8s %6s %8.1f %8.2fs %12s %7sMB | %8.2fs %8.2fs %8.2fs | %6s %7s\n' \
		incidents "$inc_rows" "$inc_pages" "$(awk -v b="$inc_bytes" 'BEGIN { print b / 1e6 }')" \
		"$inc_wall" "$inc_rate" "$(kb_to_mb "$inc_rss")" "$inc_parse" "$inc_insert" \
		"$(awk -v p="$inc_parse" -v i="$inc_insert" 'BEGIN { print p + i }')" "$inc_ratio" "$v_inc"
	printf '%-10s %8s %6s %8.1f %8.2fs %12s %7sMB | %8.2fs %8.2fs %8.2fs | %6s %7s\n' \
		samples "$met_rows" "$met_pages" "$(awk -v b="$met_bytes" 'BEGIN { print b / 1e6 }')" \
		"$met_wall" "$met_rate" "$(kb_to_mb "$met_rss")" "$met_parse" "$met_insert" \
		"$(awk -v p="$met_parse" -v i="$met_insert" 'BEGIN { print p + i }')" "$met_ratio" "$v_met"
	echo
	echo "sitrep CPU (user + sys): incidents ${inc_cpu}s, samples ${met_cpu}s"
	echo "baselines: jansson json_loadb ${inc_parse_mbs} MB/s (alert pages), ${met_parse_mbs} MB/s (query_range pages);"
	echo "  one prepared INSERT, one transaction: ${inc_insert_rate} incident rows/s, ${met_insert_rate} samples/s series-major" \
		"(${met_insert_time_rate}/s time-major)"
	echo "metric backfill >= 1M samples/s: $met_rate/s: $v_rate"
	echo "second sync, incidents: $inc_second"
	echo "second sync, samples:   $met_second"
	echo "  no full page again (alerts: fewer than a page of 100; metrics: at most the last sample of each series): $v_second"
	if [ "$BENCH_SCALE" -gt 0 ]; then
		echo "peak RSS at ${BENCH_SCALE}x the pages: incidents $(kb_to_mb "$inc_rss") MB ($inc_pages pages) ->" \
			"$(kb_to_mb "$inc_rss_big") MB ($inc_pages_big pages): $(verdict "$inc_rss_big <= $inc_rss * 1.25")"
		echo "  samples $(kb_to_mb "$met_rss") MB ($met_pages pages) -> $(kb_to_mb "$met_rss_big") MB" \
			"($met_pages_big pages): $(verdict "$met_rss_big <= $met_rss * 1.25")"
	fi
} >"$summary"
echo
cat "$summary"
if grep -q MISSED "$summary" && [ "${BENCH_STRICT:-0}" = 1 ]; then
	exit 1
fi
exit 0
