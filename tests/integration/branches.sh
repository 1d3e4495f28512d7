#!/bin/bash
# branches.sh - `sitrep graph --branches` on repositories laid out as trunk-based,
# git-flow, release branching and environment branching: the strategy, each
# branch's role and base, ahead/behind equal to `git rev-list --left-right --count`,
# stale branches, a fork's remote branches, and [branches] rules from the config.
set -u
SITREP=${SITREP:-./sitrep}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
abs() { case $1 in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
SITREP=$(abs "$SITREP")

export GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME=Dev GIT_COMMITTER_EMAIL=dev@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" XDG_CONFIG_HOME="$tmp/xdg"
git config --global init.defaultBranch main
# Commits from 2025-01-01, a minute apart; "now" is 2025-03-01.
export SITREP_TIME_NOW=2025-03-01T00:00:00Z
clock=1735689600
commit() {
	clock=$((clock + 60))
	GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
		git commit -q --allow-empty -m "$1"
}
merge() {
	clock=$((clock + 60))
	GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
		git merge -q --no-ff -m "merge $1" "$1"
}
recent() { clock=$(date -u -d 2025-02-27 +%s); } # what follows is fresh
new_repo() {
	clock=1735689600
	git init -q "$tmp/$1"
	cd "$tmp/$1" || exit 1
}
json() { "$SITREP" graph --branches --repo "$tmp/$1" --format json; }

# expect REPO STRATEGY: then for each "BRANCH ROLE BASE STALE" line on stdin, the
# role, base and staleness, and ahead/behind against git's own count.
expect() {
	local repo=$1 strategy=$2 out=$tmp/$1.json
	json "$repo" >"$out" || { fail "$repo: sitrep graph --branches failed"; return; }
	[ "$(jq -r .strategy "$out")" = "$strategy" ] ||
		fail "$repo: strategy $(jq -r .strategy "$out"), expected $strategy"
	while read -r branch role base stale; do
		local got
		got=$(jq -r --arg b "$branch" '.branches[] | select(.name == $b) |
			"\(.role) \(.base // "-") \(.stale)"' "$out")
		[ "$got" = "$role $base $stale" ] ||
			fail "$repo: $branch is '$got', expected '$role $base $stale'"
		[ "$base" = - ] && continue
		local want
		want=$(git -C "$tmp/$repo" rev-list --left-right --count "$branch...$base" | tr '\t' ' ')
		got=$(jq -r --arg b "$branch" '.branches[] | select(.name == $b) | "\(.ahead) \(.behind)"' "$out")
		[ "$got" = "$want" ] || fail "$repo: $branch ahead/behind $got, git says $want"
	done
	[ "$(jq '.branches | length' "$out")" = "$(git -C "$tmp/$repo" for-each-ref refs/heads | wc -l)" ] ||
		[ "$repo" = forked ] || fail "$repo: not every branch listed"
	echo "$repo: $(jq -r '.strategy' "$out"), $(jq '.branches | length' "$out") branches"
}

# Trunk-based: short-lived branches off main, one left behind long ago.
new_repo trunk
commit one
git checkout -q -b feature/old && commit "old work"
git checkout -q main && commit two && commit three
recent
git checkout -q -b fix-login && commit "fix" && commit "fix more"
git checkout -q main && commit four
expect trunk trunk-based <<EOF
main trunk - false
feature/old feature main true
fix-login feature main false
EOF

# git-flow: develop, features from develop, a release and a hotfix.
new_repo flow
commit init
git checkout -q -b develop
commit "dev 1"
git checkout -q -b feature/search && commit "search 1" && commit "search 2"
git checkout -q develop && commit "dev 2"
git checkout -q -b release/2.0 && commit "bump 2.0"
git checkout -q main && git checkout -q -b hotfix/2.0.1 && commit "urgent"
recent
git checkout -q develop && merge feature/search
git checkout -q main
expect flow git-flow <<EOF
main trunk - true
develop develop main false
feature/search feature develop true
release/2.0 release develop true
hotfix/2.0.1 hotfix main true
EOF

# Release branching: release branches cut from main, fixes cherry-picked.
new_repo releases
commit one && commit two
git branch release-1.0
commit three
git branch release-1.1
recent
commit four
git checkout -q release-1.0 && commit "1.0.1 fix"
git checkout -q main
expect releases "release branching" <<EOF
main trunk - false
release-1.0 release main false
release-1.1 release main true
EOF

# Environment branching: main promoted to staging, then production.
new_repo envs
commit one && commit two
git branch production
commit three
git branch staging
recent
commit four
expect envs "environment branching" <<EOF
main trunk - false
staging environment main true
production environment main true
EOF

# A clone with a fork's remote: origin's branches stand behind the local ones,
# the fork's are the fork's.
git clone -q "$tmp/trunk" "$tmp/forked"
cd "$tmp/forked" || exit 1
git remote add alice "$tmp/trunk"
git fetch -q alice
expect forked trunk-based <<EOF
main trunk - false
origin/fix-login feature main false
alice/fix-login fork main false
EOF
[ "$(jq '[.branches[] | select(.name == "origin/main" or .name == "alice/HEAD")] | length' "$tmp/forked.json")" = 0 ] ||
	fail "forked: origin/main (a local main exists) or a symbolic ref is listed"

# [branches] rules first, and the stale age.
mkdir -p "$tmp/xdg/sitrep"
printf '[branches]\n\trelease = fix-*\n\tstale = 100d\n' >"$tmp/xdg/sitrep/config"
expect trunk "release branching" <<EOF
fix-login release main false
feature/old feature main false
EOF
printf '[branches]\n\tepic = x\n' >"$tmp/xdg/sitrep/config"
"$SITREP" graph --branches --repo "$tmp/trunk" >/dev/null 2>"$tmp/err"
grep -q 'has no kind "epic"' "$tmp/err" || fail "a bad [branches] key is not reported: $(cat "$tmp/err")"
rm "$tmp/xdg/sitrep/config"

# Text: one line a branch, stale marked.
"$SITREP" graph --branches --repo "$tmp/trunk" >"$tmp/text"
grep -q '^strategy: trunk-based (trunk main)' "$tmp/text" || fail "text: $(cat "$tmp/text")"
grep -q '^feature *feature/old *main *1 *3 .*stale$' "$tmp/text" || fail "text: $(cat "$tmp/text")"

out=$("$SITREP" graph --branches --repo "$tmp/none" 2>&1)
[ $? = 1 ] && [ -n "$out" ] || fail "no repository: '$out'"

echo "branches: $failures failure(s)"
[ $failures = 0 ]
