#!/bin/bash
# sim_git_shas.sh - the simulated world's commits carry the shas git gives them: each
# commit of GET /_sim/scenario is made again here with git's plumbing
# (tests/tools/scenario_repos.sh: a blob of the message, a tree of that one file,
# commit-tree with the author as author and committer at committed_at, UTC) and must
# hash to the scenario's sha. So the demo's
# repositories (the same commits, made with libgit2) and the simulated pipelines and
# deployments name the same commits, and the branch graph shows CI and deploys.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z
curl -s --max-time 10 "http://127.0.0.1:$(cat "$tmp/port")/_sim/scenario" >"$tmp/scenario.json"
bash tests/tools/scenario_repos.sh "$tmp/scenario.json" "$tmp/repos" >"$tmp/out" ||
	fail "commits whose sha is not git's: $(head -5 "$tmp/out")"
n=$(jq '.commits | length' "$tmp/scenario.json")
for repo in "$tmp"/repos/*/; do
	git -C "$repo" fsck --no-progress >/dev/null 2>&1 || fail "git fsck of $repo"
done
[ "$n" -gt 20 ] || fail "only $n commits in the scenario"
# Merges among them, so parents are checked too.
[ "$(jq '[.commits[] | select((.parents | length) == 2)] | length' "$tmp/scenario.json")" -gt 0 ] ||
	fail "no merge commits in the scenario"
echo "sim_git_shas: $n commits; $failures failure(s)"
[ $failures = 0 ]
