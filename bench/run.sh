#!/bin/sh
# bench/run.sh - sitrep import and mttx against plain sqlite3 doing the same storage work.
#
#   sh bench/run.sh                     (what `make bench` runs, after building ./sitrep)
#   BENCH_SIZES=100000 sh bench/run.sh
#
# Environment: SITREP (default ./sitrep), BENCH_SIZES (default "100000 1000000"),
# BENCH_RUNS (timed runs per command, default 3), CC (default cc), BENCH_STRICT=1 to
# exit 1 when a target is missed. Everything is written under bench/out/ (gitignored).
# See bench/README.md for what is measured and why.
set -eu

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

SITREP=${SITREP:-./sitrep}
BENCH_SIZES=${BENCH_SIZES:-"100000 1000000"}
BENCH_RUNS=${BENCH_RUNS:-3}
CC=${CC:-cc}
FROM=2025-01-01T00:00:00Z
TO=2026-01-01T00:00:00Z

# Resolve the binary before moving to the top of the tree.
case $SITREP in
/*) ;;
*/*) SITREP=$(pwd)/$SITREP ;;
*) SITREP=$(command -v "$SITREP" 2>/dev/null || echo "$SITREP") ;;
esac
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null 2>&1 ||
	die "hyperfine is not installed; it times every run (Debian/Ubuntu: apt-get install hyperfine)"
command -v sqlite3 >/dev/null 2>&1 ||
	die "sqlite3 is not installed; it is the baseline (apt-get install sqlite3)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing; it measures peak memory (apt-get install time)"
command -v "$CC" >/dev/null 2>&1 || die "no C compiler ($CC) to build bench/gen.c"
[ -x "$SITREP" ] || die "no sitrep binary at $SITREP: run 'make bench', or set SITREP"
case $BENCH_RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer" ;; esac
for n in $BENCH_SIZES; do
	case $n in '' | *[!0-9]* | 0*) die "BENCH_SIZES: '$n' is not a positive integer" ;; esac
done

OUT=bench/out
mkdir -p "$OUT"
results=$OUT/results.txt
: >"$results"

echo "bench: compiling bench/gen.c"
$CC -O2 -o "$OUT/gen" bench/gen.c

# The columns of incidents, and the same with the baseline's '' (CSV's NULL) as NULL.
cols="id, source, source_id, service_id, title, severity, impact, impact_start, detected_at,
acknowledged_at, contained_at, resolved_at, closed_at, reopen_count, extra_services, caused_by,
url, sla_policy, sla_target, sla_schedule, sla_start, sla_stop, sla_pause_count, updated_at"
base_cols=$(printf '%s' "$cols" | tr -d '\n' | sed 's/ //g' | tr ',' '\n' |
	sed 's/.*/NULLIF(&, '"''"')/' | paste -sd, -)

# mean seconds of the command named $2 in hyperfine's CSV export $1
mean_of() {
	awk -F, -v name="$2" '$1 == name { print $2 }' "$1"
}

# peak RSS in kB from a `/usr/bin/time -v` log
rss_of() {
	awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$1"
}

rm_db() {
	rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}

echo "bench: $SITREP vs $(command -v sqlite3) $(sqlite3 --version | cut -d' ' -f1)," \
	"$(hyperfine --version), sizes: $BENCH_SIZES, $BENCH_RUNS runs each"

for n in $BENCH_SIZES; do
	dir=$OUT/$n
	cache=$dir/cache.db
	echo
	echo "=== $n incidents ==="
	echo "bench: generating $dir"
	"$OUT/gen" "$n" "$dir"

	# One untimed import of each side: checks that the CSV holds exactly the rows sitrep
	# stores, warms the page cache, and leaves the cache that mttx reads.
	echo "bench: checking that incidents.csv and import.json give the same rows"
	rm_db "$cache"
	rm_db "$dir/check.db"
	"$SITREP" --db "$cache" import "$dir/import.json" 2>"$dir/import.log" ||
		{ cat "$dir/import.log" >&2; die "sitrep import of $dir/import.json failed"; }
	sqlite3 "$dir/check.db" -cmd '.read bench/equivalent.sql' \
		".import --csv --skip 1 $dir/incidents.csv incidents" >/dev/null ||
		die "sqlite3 .import of $dir/incidents.csv failed"
	diff=$(sqlite3 "$cache" "ATTACH '$dir/check.db' AS b;
		SELECT (SELECT count(*) FROM incidents) || ' ' || (SELECT count(*) FROM b.incidents) || ' ' ||
		(SELECT count(*) FROM (SELECT $cols FROM main.incidents
			EXCEPT SELECT $base_cols FROM b.incidents));")
	[ "$diff" = "$n $n 0" ] ||
		die "incidents.csv and import.json disagree (sitrep rows, sqlite rows, differing rows: $diff)"
	rm_db "$dir/check.db"

	echo "bench: import"
	hyperfine --runs "$BENCH_RUNS" \
		--prepare "rm -f $dir/imp-sitrep.db $dir/imp-sitrep.db-wal $dir/imp-sitrep.db-shm $dir/imp-sqlite.db $dir/imp-sqlite.db-wal $dir/imp-sqlite.db-shm $dir/imp-sqlite.db-journal" \
		--export-json "$OUT/import-$n.json" --export-csv "$OUT/import-$n.csv" \
		-n sitrep-import "$SITREP --db $dir/imp-sitrep.db import $dir/import.json" \
		-n sqlite3-import "sqlite3 $dir/imp-sqlite.db -cmd '.read bench/equivalent.sql' '.import --csv --skip 1 $dir/incidents.csv incidents'"
	rm_db "$dir/imp-sitrep.db"
	rm_db "$dir/imp-sqlite.db"

	echo "bench: mttx (warm, on $cache)"
	hyperfine --warmup 1 --runs "$BENCH_RUNS" \
		--export-json "$OUT/mttx-$n.json" --export-csv "$OUT/mttx-$n.csv" \
		-n sitrep-mttx "$SITREP --db $cache mttx --from $FROM --to $TO --format json" \
		-n sqlite3-avg "sqlite3 $cache 'SELECT AVG(resolved_at - detected_at) FROM incidents'"

	echo "bench: peak memory of mttx"
	/usr/bin/time -v -o "$OUT/mttx-$n.time" \
		"$SITREP" --db "$cache" mttx --from "$FROM" --to "$TO" --format json >"$OUT/mttx-$n.out" ||
		die "sitrep mttx failed"
	rss=$(rss_of "$OUT/mttx-$n.time")
	/usr/bin/time -v -o "$OUT/sqlite3-avg-$n.time" \
		sqlite3 "$cache" 'SELECT AVG(resolved_at - detected_at) FROM incidents' >/dev/null
	base_rss=$(rss_of "$OUT/sqlite3-avg-$n.time")
	echo "  sitrep mttx: $rss kB, sqlite3 AVG: $base_rss kB"

	printf '%s %s %s %s %s %s %s\n' "$n" \
		"$(mean_of "$OUT/import-$n.csv" sitrep-import)" "$(mean_of "$OUT/import-$n.csv" sqlite3-import)" \
		"$(mean_of "$OUT/mttx-$n.csv" sitrep-mttx)" "$(mean_of "$OUT/mttx-$n.csv" sqlite3-avg)" \
		"$rss" "$base_rss" >>"$results"
done

# ---- summary ----
summary=$OUT/summary.txt
{
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc 2>/dev/null || echo '?') CPUs," \
		"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
	echo "sitrep:  $SITREP (tree: $(git describe --always --dirty 2>/dev/null || echo 'no git'))"
	echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1), $(hyperfine --version)," \
		"$BENCH_RUNS timed runs per command (mean)"
} >"$summary"
awk '
BEGIN {
	printf "\n%-9s | %10s %10s %7s | %9s %9s %7s | %13s %11s\n", "incidents", "import s", \
		"sqlite3 s", "ratio", "mttx s", "AVG s", "ratio", "mttx RSS MB", "AVG RSS MB"
	line = "----------+------------------------------+---------------------------+---------------------------"
	print line
}
{
	ir = $2 / $3; mr = $4 / $5; mb = $6 / 1024
	printf "%-9s | %10.3f %10.3f %7.2f | %9.3f %9.3f %7.2f | %13.1f %11.1f\n", \
		$1, $2, $3, ir, $4, $5, mr, mb, $7 / 1024
	if (ir > imax) imax = ir
	if (mr > mmax) mmax = mr
	if ($1 == 1000000) { rss1m = mb; mttx1m = mr }
	rows++
}
END {
	if (!rows) exit
	miss = 0
	print ""
	print "targets:"
	ok = imax <= 1.5; miss += !ok
	printf "  import ratio sitrep/sqlite3 <= 1.5 at every size: %s (worst %.2f)\n", ok ? "met" : "MISSED", imax
	# The mttx target is set for a window holding all 1M incidents; smaller caches
	# are reported, but start-up costs (loading, a second connection) weigh more there.
	if (mttx1m == "")
		print "  mttx ratio sitrep/sqlite3   <= 2   at 1M: not measured (1000000 is not in BENCH_SIZES)"
	else {
		ok = mttx1m <= 2; miss += !ok
		printf "  mttx ratio sitrep/sqlite3   <= 2   at 1M: %s (%.2f; worst at any size %.2f)\n", ok ? "met" : "MISSED", mttx1m, mmax
	}
	if (rss1m == "")
		print "  mttx peak RSS < 64 MB at 1M: not measured (1000000 is not in BENCH_SIZES)"
	else {
		ok = rss1m < 64; miss += !ok
		printf "  mttx peak RSS < 64 MB at 1M: %s (%.1f MB)\n", ok ? "met" : "MISSED", rss1m
	}
	print miss ? "RESULT: " miss " target(s) missed" : "RESULT: all targets met"
}' "$results" >>"$summary"
echo
cat "$summary"
status=0
grep -q '^RESULT: all targets met' "$summary" || status=3
echo
echo "bench: hyperfine exports, time logs and this summary are in $OUT/"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ $status -ne 0 ]; then
	exit 1
fi
exit 0
