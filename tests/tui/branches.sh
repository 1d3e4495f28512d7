#!/bin/bash
# branches.sh - the branch graph view (3) in a real terminal: two repositories built
# here with git and named by [service] repo; the cache holds pipelines and
# deployments for some of their commits. Checked: the graph's rows in git's order
# with merges, the CI result of each commit (the last pipeline on its sha), which
# environments run which commit, ] to the next repository, the filter, the ASCII
# fallback, 80x24, and a new commit appearing after the cache changes.
# Annotations: each branch's role, ahead/behind its base (against git rev-list
# --count), the protected mark from the cache's branches table, a stale branch
# dimmed, the strategy in the title; Enter on a commit (its files and line counts
# against git show --numstat, its pipelines and deployments); o with $BROWSER set to
# a script that records its argument, and without; a commit made while the console
# is open appears with no change to the cache.
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
git -C "$tmp/checkout" remote add origin git@github.com:acme/checkout.git
git init -q "$tmp/search"
printf 'int rank(void);\nint score(void);\n' >"$tmp/search/rank.h"
printf 'bm25\nboost title\nboost body\n' >"$tmp/search/ranking.conf"
git -C "$tmp/search" add rank.h ranking.conf
commit search "Initial search service"
# A feature branch nobody touched since January: stale (30 days by default).
git -C "$tmp/search" checkout -q -b feature/old-ranker
printf 'tf-idf\n' >>"$tmp/search/ranking.conf"
git -C "$tmp/search" add ranking.conf
GIT_AUTHOR_DATE="@1736500000 +0000" GIT_COMMITTER_DATE="@1736500000 +0000" \
	git -C "$tmp/search" commit -q -m "Old ranker experiment"
git -C "$tmp/search" checkout -q main
printf 'int rank(void);\nint knn(int k);\n' >"$tmp/search/rank.h"
printf 'vectors\n' >"$tmp/search/knn.c"
printf 'bm25\nboost title\nknn 0.3\nknn-k 10\n' >"$tmp/search/ranking.conf"
git -C "$tmp/search" add rank.h knn.c ranking.conf
commit search "kNN retrieval behind a flag"

sha() { git -C "$tmp/$1" rev-parse "$2"; }
merge=$(sha checkout main)
tune=$(sha checkout main~1)
receipts=$(sha checkout feature/receipts)
knn=$(sha search main)
search_root=$(sha search main~1)
"$SITREP" --db "$tmp/c.db" import - >/dev/null 2>&1 <<JSON || { echo "FAIL: import"; exit 1; }
{"format": "sitrep-import/1", "incidents": [], "deployments": [
 {"id": "d1", "source": "argocd", "service": "checkout", "environment": "production",
  "status": "success", "version": "v1.41.0", "sha": "$tune", "started_at": "2025-03-03T08:00:00Z",
  "finished_at": "2025-03-03T08:10:00Z"},
 {"id": "d2", "source": "argocd", "service": "checkout", "environment": "staging",
  "status": "success", "version": "v1.42.0", "sha": "$merge", "started_at": "2025-03-03T09:00:00Z",
  "finished_at": "2025-03-03T09:05:00Z"},
 {"id": "d3", "source": "argocd", "service": "search", "environment": "production",
  "status": "success", "version": "v2.0.0", "sha": "$knn", "started_at": "2025-03-03T09:30:00Z",
  "finished_at": "2025-03-03T09:40:00Z"}]}
JSON
# The last pipeline on each sha decides: the merge failed (after an earlier success),
# the receipts commit passed, by a short sha as some upstreams give it.
sqlite3 "$tmp/c.db" "
	INSERT INTO pipelines(source, source_id, project, ref, sha, status, started_at, updated_at)
	VALUES ('gh', '1', 'acme/checkout', 'main', '$merge', 'success', 1740990000, 1740990000),
	       ('gh', '2', 'acme/checkout', 'main', '$merge', 'failed', 1740993000, 1740993000),
	       ('gh', '3', 'acme/checkout', 'feature/receipts', '${receipts:0:10}', 'success',
	        1740980000, 1740980000);
	INSERT INTO pipelines(source, source_id, project, ref, sha, status, started_at, updated_at, url)
	VALUES ('gl', '77', 'acme/search', 'main', '$knn', 'success', 1740991000, 1740991000,
	        'https://gitlab.example.com/acme/search/-/pipelines/77');
	INSERT INTO branches(source, repo, name, head_sha, protected, updated_at)
	VALUES ('gh', 'acme/checkout', 'main', '$merge', 1, 1740990000),
	       ('gh', 'acme/checkout', 'feature/receipts', '$receipts', 0, 1740990000),
	       ('gh', 'acme/other', 'feature/old-ranker', NULL, 1, 1740990000),
	       ('gl', 'acme/search', 'main', '$knn', 1, 1740990000);"
cat >"$tmp/config" <<CONF
[service "checkout"]
	repo = $tmp/checkout
[service "search"]
	repo = $tmp/search
CONF

OPTS="--view branches"
start 160x30 LANG=C.UTF-8
wait_gone "Reading the branches"
expect " 3 Branches " "tab line"
row() { screen | grep -F -- "$1"; }
row "Merge feature/receipts" | grep -qE '^● +✘ +'"${merge:0:10}"' \(HEAD -> main <trunk, protected>, tag: v1.42.0\) \[checkout@staging\] Merge feature/receipts +dana' ||
	fail "the merge's row: $(row 'Merge feature/receipts')"
row "Tune the retry budget" | grep -qF "[checkout@production] Tune the retry budget" ||
	fail "production's commit: $(row 'Tune the retry budget')"
# The feature branch measured from the trunk as git counts it; the branches table
# says the forge does not protect it.
ahead=$(git -C "$tmp/checkout" rev-list --count main..feature/receipts)
behind=$(git -C "$tmp/checkout" rev-list --count feature/receipts..main)
[ "$ahead/$behind" = 0/2 ] || fail "the scenario: feature/receipts is $ahead/$behind"
row "Render receipts" | grep -qE '^│ ● +✔ +'"${receipts:0:10}"' \(feature/receipts <feature ↑'"$ahead"' ↓'"$behind"'>\) Render' ||
	fail "the feature commit (a short sha's pipeline): $(row 'Render receipts')"
expect "Branches: checkout" "the repository in the title"
line 2 | grep -qxE ' *trunk-based strategy, trunk main; 2 branches, 1 protected, 0 stale *' ||
	fail "the strategy line: $(line 2)"
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
wait_gone "Reading the branches"
expect "kNN retrieval behind a flag" "the next repository"
expect_not "Render receipts" "the next repository"
# No remote: the branches table's acme/search is this repository by its service's
# name; acme/other's protected feature/old-ranker is another repository's.
row "kNN retrieval" | grep -qF "(HEAD -> main <trunk, protected>) [search@production] kNN retrieval" ||
	fail "search's trunk: $(row 'kNN retrieval')"
ahead=$(git -C "$tmp/search" rev-list --count main..feature/old-ranker)
behind=$(git -C "$tmp/search" rev-list --count feature/old-ranker..main)
row "Old ranker" | grep -qF "(feature/old-ranker <feature ↑$ahead ↓$behind, stale>) Old ranker experiment" ||
	fail "the stale branch ($ahead/$behind): $(row 'Old ranker')"
# Dimmed: the stale row's author is drawn dim (SGR 2), a fresh row's is not.
attrs() { tmux -L "$sock" capture-pane -t c -p -e | grep -F -- "$1"; }
dim_author() { attrs "$1" | sed 's/\x1b\[[0-9;]*m$//' | grep -qE $'\x1b\\[([0-9]+;)*2(;[0-9]+)*m[^\x1b]*dana'; }
dim_author "Old ranker experiment" || fail "the stale branch is not dimmed: $(attrs 'Old ranker' | cat -v)"
dim_author "Initial search service" && fail "a fresh commit is dimmed: $(attrs 'Initial search' | cat -v)"

# Enter: the commit in detail, its files and line counts as git show --numstat
# gives them, the pipeline that ran on it and the deployment that shipped it.
keys /
keys -l "kNN retrieval"
keys Enter
keys Enter
expect "commit $knn" "the detail's header"
expect "Author:    dana <dana@example.com>" "the detail's author"
expect "    kNN retrieval behind a flag" "the detail's message"
expect "$(git -C "$tmp/search" show --shortstat --format= "$knn" | sed 's/^ //')" "the detail's summary"
while read -r added deleted path; do
	printf -v want '  %6s %6s  %s' "+$added" "-$deleted" "$path"
	has "$want" || fail "the detail's $path: no \"$want\":$(printf '\n%s' "$(screen)")"
done < <(git -C "$tmp/search" show --numstat --format= "$knn")
[ "$(git -C "$tmp/search" show --numstat --format= "$knn" | wc -l)" = 3 ] || fail "the scenario: kNN changes 3 files"
expect "success  gl acme/search  main  2025-03-03T08:36:40Z  https://gitlab.example.com/acme/search/-/pipelines/77" "the detail's pipeline"
expect "search@production  v2.0.0  success  2025-03-03T09:30:00Z  (its commit)" "the detail's deployment"
# o without $BROWSER: the URL in the status bar (from the pipeline: no remote).
keys o
expect "https://gitlab.example.com/acme/search/-/commit/$knn" "o without \$BROWSER"
keys q
expect "kNN retrieval behind a flag" "back from the detail"
keys /
keys C-u
keys Enter
# The first commit is contained in what runs in production.
keys /
keys -l "Initial search"
keys Enter
keys Enter
expect "search@production  v2.0.0  success  2025-03-03T09:30:00Z  (running now, contains it)" "a deployment containing the commit"
expect "$(git -C "$tmp/search" show --shortstat --format= "$search_root" | sed 's/^ //')" "a root commit's summary"
keys Escape
keys /
keys C-u
keys Enter

# A new commit on the search repository shows while nothing changes in the cache:
# the refs are polled.
keys g
keys j
commit search "Cap the candidate pool"
for _ in $(seq 50); do has "Cap the candidate pool" && break; sleep 0.2; done
expect "Cap the candidate pool" "a new commit with no change to the cache"
# The selection stays on the commit it was on, though the rows moved down.
keys Enter
expect "    Old ranker experiment" "the selection after new commits"
keys q
# ... and a new branch, annotated
git -C "$tmp/search" branch release/2.1 main
for _ in $(seq 50); do has "release/2.1 <release" && break; sleep 0.2; done
row "Cap the candidate pool" | grep -qF "(HEAD -> main <trunk, protected>, release/2.1 <release ↑0 ↓0>) Cap the candidate pool" ||
	fail "a new branch: $(row 'Cap the candidate pool')"
line 2 | grep -qF "release branching strategy, trunk main; 3 branches, 1 protected, 1 stale" ||
	fail "the strategy follows the branches: $(line 2)"
# The cache changing still reloads (CI results come with it).
sqlite3 "$tmp/c.db" "INSERT INTO pipelines(source, source_id, project, ref, sha, status, started_at, updated_at)
	VALUES ('gl', '78', 'acme/search', 'main', '$(sha search main)', 'failed', 1740992000, 1740992000);"
for _ in $(seq 30); do row "Cap the candidate pool" | grep -q "✘" && break; sleep 0.2; done
row "Cap the candidate pool" | grep -q "✘" || fail "a pipeline after the cache changed: $(row 'Cap the candidate')"

# o with $BROWSER: run with the commit's page (from the remote), without a shell.
cat >"$tmp/browser" <<SH
#!/bin/sh
printf '%s\n' "\$@" >>"$tmp/opened"
SH
chmod +x "$tmp/browser"
start 160x30 LANG=C.UTF-8 BROWSER=$tmp/browser
wait_gone "Reading the branches"
keys o
for _ in $(seq 30); do [ -s "$tmp/opened" ] && break; sleep 0.1; done
[ "$(cat "$tmp/opened" 2>/dev/null)" = "https://github.com/acme/checkout/commit/$merge" ] ||
	fail "o ran \$BROWSER with: $(cat "$tmp/opened" 2>/dev/null)"
expect "Opening https://github.com/acme/checkout/commit/$merge" "o's message"
keys Enter
expect "Web page:  https://github.com/acme/checkout/commit/$merge" "the detail's web page"
expect "Merge of: ${tune:0:10} ${receipts:0:10}" "a merge's parents"
keys o
for _ in $(seq 30); do [ "$(wc -l <"$tmp/opened")" = 2 ] && break; sleep 0.1; done
[ "$(sed -n 2p "$tmp/opened")" = "https://github.com/acme/checkout/commit/$merge" ] ||
	fail "o in the detail ran \$BROWSER with: $(cat "$tmp/opened")"
keys q
# The help of the view: o opens the web page here, it does not toggle open records.
keys '?'
expect_not "Open records only" "o toggling open records in the branch view's help"
keys G
screen | grep -qE '^ +o  +Branches: the commit.s web page in \$BROWSER, else shown' ||
	fail "the help's o: $(screen | grep -F 'web page')"
keys q

# ASCII, and 80x24.
start 80x24 LANG=C
wait_gone "Reading the branches"
expect "${merge:0:10}" "ASCII"
row "${merge:0:10}" | grep -qE '^\* +X +'"${merge:0:10}"' \(HEAD -> main' || fail "ASCII merge row: $(row "${merge:0:10}")"
row "${receipts:0:10}" | grep -qE '^\| \* +ok ' || fail "ASCII feature row: $(row "${receipts:0:10}")"
screen | grep -qE '^\|-\. *$' || fail "ASCII: the merge opens a lane"
screen | LC_ALL=C grep -q '[^ -~]' && fail "non-ASCII bytes under LANG=C: $(screen)"
screen | awk 'length($0) > 80 { bad = 1 } END { exit !bad }' && fail "a line wider than 80 columns"

echo "branches: $failures failure(s)"
[ $failures = 0 ]
