#!/bin/bash
# branches.sh - the branch graph view (3) in a real terminal: two repositories built
# here with git and named by [service] repo; the cache holds pipelines and
# deployments for some of their commits. Checked: the graph's rows in git's order
# with merges, the CI result of each commit (the last pipeline on its sha), which
# environments run which commit, ] to the next repository, the filter, the ASCII
# fallback, 80x24, and a new commit appearing after the cache changes.
set -u
tmp=$(mktemp -d)
. "$(dirname "$0")/harness.bash"
trap harness_cleanup EXIT

export SITREP_TIME_NOW=2025-03-03T10:00:00Z TZ=UTC
export GIT_AUTHOR_NAME=dana GIT_AUTHOR_EMAIL=dana@example.com GIT_CONFIG_NOSYSTEM=1
export GIT_COMMITTER_NAME=dana GIT_COMMITTER_EMAIL=dana@example.com HOME=$tmp
git config --global init.defaultBranch main
clock=1740900000
commit() { # repo message
	clock=$((clock + 600))
	GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
		git -C "$tmp/$1" commit -q --allow-empty -m "$2"
}
git init -q "$tmp/checkout"
commit checkout "Initial checkout service"
commit checkout "Add card tokens"
git -C "$tmp/checkout" checkout -q -b feature/receipts
commit checkout "Render receipts as PDF"
git -C "$tmp/checkout" checkout -q main
commit checkout "Tune the retry budget"
clock=$((clock + 600))
GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
	git -C "$tmp/checkout" merge -q --no-ff -m "Merge feature/receipts" feature/receipts
git -C "$tmp/checkout" tag v1.42.0
git init -q "$tmp/search"
commit search "Initial search service"
commit search "kNN retrieval behind a flag"

sha() { git -C "$tmp/$1" rev-parse "$2"; }
merge=$(sha checkout main)
tune=$(sha checkout main~1)
receipts=$(sha checkout feature/receipts)
"$SITREP" --db "$tmp/c.db" import - >/dev/null 2>&1 <<JSON || { echo "FAIL: import"; exit 1; }
{"format": "sitrep-import/1", "incidents": [], "deployments": [
 {"id": "d1", "source": "argocd", "service": "checkout", "environment": "production",
  "status": "success", "version": "v1.41.0", "sha": "$tune", "started_at": "2025-03-03T08:00:00Z",
  "finished_at": "2025-03-03T08:10:00Z"},
 {"id": "d2", "source": "argocd", "service": "checkout", "environment": "staging",
  "status": "success", "version": "v1.42.0", "sha": "$merge", "started_at": "2025-03-03T09:00:00Z",
  "finished_at": "2025-03-03T09:05:00Z"}]}
JSON
# The last pipeline on each sha decides: the merge failed (after an earlier success),
# the receipts commit passed, by a short sha as some upstreams give it.
sqlite3 "$tmp/c.db" "
	INSERT INTO pipelines(source, source_id, project, ref, sha, status, started_at, updated_at)
	VALUES ('gh', '1', 'acme/checkout', 'main', '$merge', 'success', 1740990000, 1740990000),
	       ('gh', '2', 'acme/checkout', 'main', '$merge', 'failed', 1740993000, 1740993000),
	       ('gh', '3', 'acme/checkout', 'feature/receipts', '${receipts:0:10}', 'success',
	        1740980000, 1740980000);"
cat >"$tmp/config" <<CONF
[service "checkout"]
	repo = $tmp/checkout
[service "search"]
	repo = $tmp/search
CONF

OPTS="--view branches"
start 120x30 LANG=C.UTF-8
expect " 3 Branches " "tab line"
row() { screen | grep -F -- "$1"; }
row "Merge feature/receipts" | grep -qE '^● +✘ +'"${merge:0:10}"' \(HEAD -> main, tag: v1.42.0\) \[checkout@staging\] Merge feature/receipts +dana' ||
	fail "the merge's row: $(row 'Merge feature/receipts')"
row "Tune the retry budget" | grep -qF "[checkout@production] Tune the retry budget" ||
	fail "production's commit: $(row 'Tune the retry budget')"
row "Render receipts" | grep -qE '^│ ● +✔ +'"${receipts:0:10}"' \(feature/receipts\)' ||
	fail "the feature commit (a short sha's pipeline): $(row 'Render receipts')"
row "Add card tokens" | grep -qE '^●─╯ ' || fail "the lanes joining: $(row 'Add card tokens')"
screen | grep -qE '^├─╮ *$' || fail "the merge opens a lane: $(screen)"
# Every commit of the repository once, each above its parents.
screen | grep -oE ' [0-9a-f]{10} ' | tr -d ' ' >"$tmp/shown"
[ "$(sort "$tmp/shown" | tr '\n' ' ')" = "$(git -C "$tmp/checkout" log --all --format=%h --abbrev=10 | sort | tr '\n' ' ')" ] ||
	fail "the commits shown: $(tr '\n' ' ' <"$tmp/shown")"
while read -r c parents; do
	for p in $parents; do
		[ "$(grep -n "^${c:0:10}" "$tmp/shown" | cut -d: -f1)" -lt "$(grep -n "^${p:0:10}" "$tmp/shown" | cut -d: -f1)" ] ||
			fail "${c:0:10} is not above its parent ${p:0:10}"
	done
done < <(git -C "$tmp/checkout" log --all --format='%H %P')

keys /
keys -l "receipts"
keys Enter
expect "Render receipts as PDF" "filter"
expect_not "Tune the retry budget" "filter"
keys /
keys C-u
keys Enter
expect "Tune the retry budget" "the filter cleared"

keys ']'
expect "kNN retrieval behind a flag" "the next repository"
expect_not "Render receipts" "the next repository"

# A new commit on the search repository shows once the cache changes (the console
# re-reads what it shows then; its refs moved).
commit search "Cap the candidate pool"
sqlite3 "$tmp/c.db" "UPDATE settings SET value = value WHERE 0; INSERT INTO settings(key, value) VALUES ('poke', '1');"
for _ in $(seq 30); do has "Cap the candidate pool" && break; sleep 0.2; done
expect "Cap the candidate pool" "a new commit after the cache changed"

# ASCII, and 80x24.
start 80x24 LANG=C
expect "${merge:0:10}" "ASCII"
row "${merge:0:10}" | grep -qE '^\* +X +'"${merge:0:10}"' \(HEAD -> main' || fail "ASCII merge row: $(row "${merge:0:10}")"
row "${receipts:0:10}" | grep -qE '^\| \* +ok ' || fail "ASCII feature row: $(row "${receipts:0:10}")"
screen | grep -qE '^\|-\. *$' || fail "ASCII: the merge opens a lane"
screen | LC_ALL=C grep -q '[^ -~]' && fail "non-ASCII bytes under LANG=C: $(screen)"
screen | awk 'length($0) > 80 { bad = 1 } END { exit !bad }' && fail "a line wider than 80 columns"

echo "branches: $failures failure(s)"
[ $failures = 0 ]
