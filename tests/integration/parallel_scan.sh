#!/bin/bash
# parallel_scan.sh - a cache large enough that `sitrep mttx` and `sitrep slo` scan it
# with two threads must give exactly the figures of the one-thread scan. The data is
# made by the benchmark's deterministic generator.
set -u
. "$(dirname "$0")/lib.bash"

${CC:-cc} -O2 -o "$tmp/gen" bench/gen.c || { echo "cannot build bench/gen.c"; exit 1; }
"$tmp/gen" 60000 "$tmp" >/dev/null || { echo "gen failed"; exit 1; }
"$SITREP" --db "$tmp/c.db" import "$tmp/import.json" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }

window="--from 2025-01-01T00:00:00Z --to 2026-01-01T00:00:00Z"
for cmd in "mttx $window" "mttx $window --service checkout --service search" "slo $window"; do
	# shellcheck disable=SC2086
	"$SITREP" --db "$tmp/c.db" $cmd --format json >"$tmp/two.json" || fail "$cmd (two threads)"
	# shellcheck disable=SC2086
	SITREP_ONE_THREAD=1 "$SITREP" --db "$tmp/c.db" $cmd --format json >"$tmp/one.json" || fail "$cmd (one thread)"
	cmp -s "$tmp/one.json" "$tmp/two.json" || fail "$cmd: two threads differ from one"
done
grep -q '"n": [1-9]' "$tmp/one.json" "$tmp/two.json" 2>/dev/null || true
"$SITREP" --db "$tmp/c.db" mttx $window --format csv >"$tmp/m.csv"
grep -q '^mttr.all.n,[1-9][0-9][0-9][0-9][0-9]' "$tmp/m.csv" || fail "expected tens of thousands of MTTR samples: $(grep '^mttr.all.n' "$tmp/m.csv")"
finish parallel_scan
