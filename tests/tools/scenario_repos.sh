#!/bin/bash
# scenario_repos.sh SCENARIO OUTDIR [NOW] - the simulated world's repositories, made
# with git's plumbing from GET /_sim/scenario (SCENARIO, a file): OUTDIR/SERVICE for
# each service, holding its commits made by NOW (ISO 8601; default: all), each branch
# at its newest, HEAD on the default branch. Each commit is what `sitrep demo` makes
# of it: a blob of the message as the tree's one file CHANGES, the author as author and
# committer at committed_at, UTC. Prints "sha: git makes X" and exits 1 for a commit
# whose sha is not the one git gives it.
set -u
scenario=$1 out=$2 now=${3:-9999-12-31T00:00:00Z}
mkdir -p "$out"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
bad=0
while IFS='|' read -r service sha branch author email at parents message_b64; do
	repo=$out/$service
	[ -d "$repo" ] || git init -q -b main "$repo"
	message=$(printf '%s' "$message_b64" | base64 -d; printf x)
	message=${message%x}
	blob=$(printf '%s' "$message" | git -C "$repo" hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tCHANGES\n' "$blob" | git -C "$repo" mktree)
	args=()
	for p in $parents; do args+=(-p "$p"); done
	got=$(printf '%s' "$message" | GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email \
		GIT_AUTHOR_DATE="@$at +0000" GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
		GIT_COMMITTER_DATE="@$at +0000" git -C "$repo" commit-tree "$tree" "${args[@]}")
	if [ "$got" != "$sha" ]; then
		echo "$sha: git makes $got"
		bad=1
	fi
	git -C "$repo" update-ref "refs/heads/$branch" "$got"
done < <(jq -r --arg now "$now" '.commits[] | select(.committed_at <= $now) |
	[.service, .sha, .branch, .author, .email, (.committed_at | fromdateiso8601),
	 (.parents | join(" ")), (.message | @base64)] | map(tostring) | join("|")' "$scenario")
for repo in "$out"/*/; do
	b=$(jq -r --arg s "$(basename "$repo")" '[.repositories[]? | select(.service == $s) | .default_branch][0] // "main"' "$scenario")
	git -C "$repo" symbolic-ref HEAD "refs/heads/$b"
done
exit $bad
