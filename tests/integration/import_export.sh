#!/bin/bash
# import_export.sh - the real binary on real SQLite files: import is all-or-nothing
# and names every bad record, importing twice changes nothing, export then import is
# lossless, untrusted text cannot reach a terminal through an export, usage errors
# exit 2, failures exit 1 with nothing on stdout, and a newer cache is refused.
set -u
. "$(dirname "$0")/lib.bash"
REF=tests/fixtures/reference.json
check() { local what=$1; shift; "$@" || fail "$what"; }
count() { sqlite3 "$1" "SELECT count(*) FROM $2"; }

# --- import twice changes nothing
check "import" "$SITREP" --db "$tmp/a.db" import "$REF" 2>/dev/null
"$SITREP" --db "$tmp/a.db" export incidents >"$tmp/inc1.json" || fail "export incidents"
"$SITREP" --db "$tmp/a.db" export deployments >"$tmp/dep1.json" || fail "export deployments"
check "second import" "$SITREP" --db "$tmp/a.db" import "$REF" 2>/dev/null
"$SITREP" --db "$tmp/a.db" export incidents >"$tmp/inc2.json"
check "import twice changes nothing" cmp -s "$tmp/inc1.json" "$tmp/inc2.json"
[ "$(count "$tmp/a.db" incidents)" = 12 ] || fail "12 incidents expected"
[ "$(count "$tmp/a.db" deployments)" = 12 ] || fail "12 deployments expected"
[ "$(count "$tmp/a.db" deployment_commits)" = 13 ] || fail "13 commits expected"

# --- export -> import -> export is lossless
check "import exported incidents" "$SITREP" --db "$tmp/b.db" import "$tmp/inc1.json" 2>/dev/null
check "import exported deployments" "$SITREP" --db "$tmp/b.db" import "$tmp/dep1.json" 2>/dev/null
"$SITREP" --db "$tmp/b.db" export incidents >"$tmp/inc3.json"
"$SITREP" --db "$tmp/b.db" export deployments >"$tmp/dep3.json"
check "incidents round trip" cmp -s "$tmp/inc1.json" "$tmp/inc3.json"
check "deployments round trip" cmp -s "$tmp/dep1.json" "$tmp/dep3.json"
"$SITREP" --db "$tmp/a.db" mttx --from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z --format json >"$tmp/m1.json"
"$SITREP" --db "$tmp/b.db" mttx --from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z --format json >"$tmp/m2.json"
check "same metrics after the round trip" cmp -s "$tmp/m1.json" "$tmp/m2.json"

# --- tickets, families, SLA instances and rollout fields round-trip too, and a
# ticket naming its alert is one incident for the metrics
F=tests/fixtures/families.json
check "import families" "$SITREP" --db "$tmp/f.db" import "$F" 2>/dev/null
"$SITREP" --db "$tmp/f.db" export incidents >"$tmp/f-inc1.json" || fail "export families"
"$SITREP" --db "$tmp/f.db" export deployments >"$tmp/f-dep1.json" || fail "export rollout"
check "import exported families" "$SITREP" --db "$tmp/g.db" import "$tmp/f-inc1.json" 2>/dev/null
check "import exported rollout" "$SITREP" --db "$tmp/g.db" import "$tmp/f-dep1.json" 2>/dev/null
"$SITREP" --db "$tmp/g.db" export incidents >"$tmp/f-inc2.json"
"$SITREP" --db "$tmp/g.db" export deployments >"$tmp/f-dep2.json"
check "families round trip" cmp -s "$tmp/f-inc1.json" "$tmp/f-inc2.json"
check "rollout round trip" cmp -s "$tmp/f-dep1.json" "$tmp/f-dep2.json"
for want in '"ticket":true' '"state":"Closed"' '"parent":{"source":"og","id":"A1","link":"correlation"}' \
	'"paused_minutes":5' '"kind":"response"'; do
	grep -qF "$want" "$tmp/f-inc1.json" || fail "the export lost $want"
done
for want in '"canary_weight":25' '"bake_until":"2025-03-06T09:30:00Z"' '"target":"checkout-prod"'; do
	grep -qF "$want" "$tmp/f-dep1.json" || fail "the export lost $want"
done
[ "$(sqlite3 "$tmp/g.db" "SELECT count(*) FROM incident_slas")" = 2 ] || fail "2 SLA instances expected"
"$SITREP" --db "$tmp/g.db" export tickets --format csv >"$tmp/t.csv" || fail "export tickets"
[ "$(tail -n +2 "$tmp/t.csv" | wc -l)" = 2 ] || fail "2 tickets expected: $(cat "$tmp/t.csv")"
"$SITREP" --db "$tmp/g.db" mttx --from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z --format json >"$tmp/fm.json"
# Three records, two incidents: INC0010001 folds into A1 (detected 10:04 by the
# alert, acknowledged 10:12 on the ticket: MTTA 8 minutes; resolved 11:30).
mtta=$(sqlite3 :memory: "SELECT json_extract(readfile('$tmp/fm.json'), '\$.mtta.all.n') || ' ' ||
	json_extract(readfile('$tmp/fm.json'), '\$.mtta.all.mean')")
[ "$mtta" = "1 8.0" ] || fail "the ticket and its alert are not one incident: MTTA n and mean $mtta"

# --- a file with bad records imports nothing and names each one by path
sed -e 's/"detected_at": "2025-03-05T14:02:00Z"/"detected_at": "yesterday"/' \
    -e 's/"severity": "P3"/"severity": "P9"/' \
    -e 's/"kind": "hotfix"/"kind": 7/' "$REF" >"$tmp/bad.json"
"$SITREP" --db "$tmp/a.db" import "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "bad file: exit 1 expected"
[ -s "$tmp/out" ] && fail "bad file: nothing on stdout expected"
grep -qF 'incidents[2].detected_at: not a timestamp: "yesterday"' "$tmp/err" || fail "bad timestamp not named: $(cat "$tmp/err")"
grep -qF 'incidents[4].severity: "P9" is not one of P1, P2, P3, P4, P5' "$tmp/err" || fail "bad severity not named"
grep -qF 'deployments[4].kind: not a non-empty string: 7' "$tmp/err" || fail "bad kind not named"
grep -q 'nothing was imported' "$tmp/err" || fail "bad file: summary missing"
"$SITREP" --db "$tmp/a.db" export incidents >"$tmp/inc4.json"
check "bad import left the cache as it was" cmp -s "$tmp/inc1.json" "$tmp/inc4.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/bad.json" 2>/dev/null
[ "$(count "$tmp/c.db" incidents)" = 0 ] || fail "bad file into an empty cache imported something"

# --- truncated and malformed documents
head -c 5000 "$REF" >"$tmp/trunc.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/trunc.json" 2>"$tmp/err" && fail "truncated file accepted"
grep -q 'truncated\|invalid JSON' "$tmp/err" || fail "truncated file: unclear message: $(cat "$tmp/err")"
printf '{"format": "sitrep-import/2", "incidents": []}' >"$tmp/fmt.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/fmt.json" 2>"$tmp/err" && fail "wrong format accepted"
grep -q 'format: "sitrep-import/2" is not "sitrep-import/1"' "$tmp/err" || fail "wrong format not named"
printf '[1, 2]' >"$tmp/arr.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/arr.json" 2>/dev/null && fail "array document accepted"
printf '{"format": "sitrep-import/1", "incidents": [{"id": 1}] } junk' >"$tmp/junk.json"
"$SITREP" --db "$tmp/c.db" import "$tmp/junk.json" 2>"$tmp/err" && fail "trailing junk accepted"
grep -qF 'incidents[0].id: not a non-empty string: 1' "$tmp/err" || fail "wrong type not named"

# --- terminal escape sequences in titles never come out raw
cat >"$tmp/esc.json" <<'JSON'
{"format": "sitrep-import/1", "incidents": [{"id": "E1", "source": "sentry", "service": "api",
 "title": "\u001b]0;pwned\u0007\u001b[31mred\u001b[0m \u009b2J title", "detected_at": "2025-03-02T10:00:00Z"}]}
JSON
check "import escape title" "$SITREP" --db "$tmp/d.db" import "$tmp/esc.json" 2>/dev/null
"$SITREP" --db "$tmp/d.db" export incidents --format csv >"$tmp/esc.csv"
"$SITREP" --db "$tmp/d.db" export incidents >"$tmp/esc.out.json"
if LC_ALL=C grep -q $'[\x1b\x07]\|\xc2\x9b' "$tmp/esc.csv" "$tmp/esc.out.json"; then
	fail "escape sequence reached the output"
fi
grep -q 'red title\|red  title' "$tmp/esc.csv" || fail "title text lost: $(cat "$tmp/esc.csv")"

# --- exit codes and stdout discipline
"$SITREP" --db "$tmp/a.db" mttx --bogus >"$tmp/out" 2>"$tmp/err"; [ $? = 2 ] || fail "unknown option: exit 2 expected"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "a usage error is one line: $(cat "$tmp/err")"
grep -q -- '--bogus' "$tmp/err" || fail "the usage error names the option"
[ -s "$tmp/out" ] && fail "usage error printed to stdout"
for cmd in mttx dora slo import export; do
	"$SITREP" "$cmd" --help >"$tmp/out" 2>&1 || fail "$cmd --help: exit 0 expected"
	grep -q "^usage: sitrep $cmd" "$tmp/out" || fail "$cmd --help: no usage"
done
"$SITREP" --db "$tmp/a.db" mttx --from yesterday --to 2025-01-01 >/dev/null 2>&1; [ $? = 2 ] || fail "bad --from: exit 2"
"$SITREP" --db "$tmp/a.db" nosuch >/dev/null 2>&1; [ $? = 2 ] || fail "unknown command: exit 2 expected"
"$SITREP" --db "$tmp/a.db" import >/dev/null 2>&1; [ $? = 2 ] || fail "import without FILE: exit 2"
"$SITREP" --db "$tmp/a.db" mttx --service nosuch >"$tmp/out" 2>&1 </dev/null
"$SITREP" --db "$tmp/a.db" mttx --service nosuch >"$tmp/out" 2>/dev/null; [ $? = 1 ] || fail "unknown service: exit 1"
[ -s "$tmp/out" ] && fail "failure printed to stdout"
"$SITREP" --db "$tmp" mttx >"$tmp/out" 2>/dev/null; [ $? = 1 ] || fail "directory as cache: exit 1"
[ -s "$tmp/out" ] && fail "failure printed to stdout"

# --- --service restricts the report
"$SITREP" --db "$tmp/a.db" mttx --from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z \
	--service search --format csv >"$tmp/search.csv"
grep -q '^mttr.search.median,180' "$tmp/search.csv" || fail "search median missing"
grep -q 'checkout' "$tmp/search.csv" && fail "checkout in a search-only report"
grep -q '^mttr.all.median,180' "$tmp/search.csv" || fail "pooled over the selection only"

# --- a cache written by a newer sitrep is refused and left untouched
cp "$tmp/a.db" "$tmp/new.db"
sqlite3 "$tmp/new.db" 'PRAGMA user_version = 999'
before=$(md5sum <"$tmp/new.db")
"$SITREP" --db "$tmp/new.db" mttx >"$tmp/out" 2>"$tmp/err"; [ $? = 1 ] || fail "newer cache: exit 1"
grep -q 'newer than this sitrep' "$tmp/err" || fail "newer cache: unclear message"
[ "$before" = "$(md5sum <"$tmp/new.db")" ] || fail "newer cache was modified"

finish import_export
