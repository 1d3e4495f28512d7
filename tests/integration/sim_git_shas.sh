#!/bin/bash
# sim_git_shas.sh - the simulated world's commits carry the shas git gives them: each
# commit of GET /_sim/scenario is made again here with git's plumbing (a blob of the
# message, a tree of that one file, commit-tree with the author as author and
# committer at committed_at, UTC) and must hash to the scenario's sha. So the demo's
# repositories (the same commits, made with libgit2) and the simulated pipelines and
# deployments name the same commits, and the branch graph shows CI and deploys.
set -u
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
tmp=$(mktemp -d)
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$SITREP_SIM" --port 0 --port-file "$tmp/port" --speed 0 --start 2025-03-03T10:00:00Z \
	>"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "sitrep-sim did not start: $(cat "$tmp/sim.log")"; exit 1; }
curl -s --max-time 10 "http://127.0.0.1:$(cat "$tmp/port")/_sim/scenario" >"$tmp/scenario.json"
git init -q --bare "$tmp/objects.git"
export GIT_DIR=$tmp/objects.git GIT_CONFIG_NOSYSTEM=1 HOME=$tmp

n=0
while IFS='|' read -r sha author email at parents message_b64; do
	message=$(printf '%s' "$message_b64" | base64 -d; printf x)
	message=${message%x}
	blob=$(printf '%s' "$message" | git hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tCHANGES\n' "$blob" | git mktree)
	args=()
	for p in $parents; do args+=(-p "$p"); done
	got=$(printf '%s' "$message" | GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email \
		GIT_AUTHOR_DATE="@$at +0000" GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
		GIT_COMMITTER_DATE="@$at +0000" git commit-tree "$tree" "${args[@]}")
	[ "$got" = "$sha" ] || fail "commit $sha: git makes $got of it"
	n=$((n + 1))
done < <(jq -r '.commits[] | [.sha, .author, .email, (.committed_at | fromdateiso8601),
	(.parents | join(" ")), (.message | @base64)] | map(tostring) | join("|")' "$tmp/scenario.json")
[ "$n" -gt 20 ] || fail "only $n commits in the scenario"
# Merges among them, so parents are checked too.
[ "$(jq '[.commits[] | select((.parents | length) == 2)] | length' "$tmp/scenario.json")" -gt 0 ] ||
	fail "no merge commits in the scenario"
echo "sim_git_shas: $n commits; $failures failure(s)"
[ $failures = 0 ]
