#!/bin/bash
# bench/graph.sh - the branch graph beside git and tig, measured in the same run on
# the same repository:
#
#   1. the first screen: `sitrep graph --all -n 60` and `git log --graph --oneline
#      --all -n 60` (hyperfine), and tig's time to its first full screen in a tmux
#      pane of 200x50 (launch to the moment the pane shows 45 commit lines, polled);
#      each with and without a commit-graph file, and with and without pull request
#      refs (sitrep hides them; git and tig show what they are given);
#   2. the full graph: `sitrep graph --all` and `git log --graph --oneline --all`,
#      both to /dev/null, once each (git's takes minutes on a large history);
#   3. memory: peak RSS (/usr/bin/time) of sitrep's full graph, and tig's once it
#      has read everything (VmHWM); and sitrep's on a generated history of
#      BENCH_COMMITS commits (git fast-import), with its commit-graph.
#
#   SITREP=build/sitrep BENCH_REPO=/path/to/a/clone bash bench/graph.sh
#
# BENCH_REPO: a clone to measure (a bare mirror is fine), copied twice under
# bench/out/graph/ (hard links): as it is, and without refs/pull and refs/merge-
# requests; each copy is measured with a commit-graph written and without one. Unset:
# only the generated history is measured. Git's own history (about 200k commits and,
# on a GitHub mirror, 3,000 pull request refs) is what the targets in bench/README.md
# were set on. Other variables: BENCH_COMMITS (1000000), BENCH_RUNS (10),
# BENCH_FULL_GIT (1; 0 skips git's full graph). Needs git, tig, tmux, hyperfine, jq
# and /usr/bin/time (tools/install-deps.sh --bench). Output: bench/out/graph/.
set -eu

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

SITREP=${SITREP:-./sitrep}
BENCH_REPO=${BENCH_REPO:-}
BENCH_COMMITS=${BENCH_COMMITS:-1000000}
BENCH_RUNS=${BENCH_RUNS:-10}
BENCH_FULL_GIT=${BENCH_FULL_GIT:-1}
case $SITREP in
/*) ;;
*/*) SITREP=$(pwd)/$SITREP ;;
*) SITREP=$(command -v "$SITREP" 2>/dev/null || echo "$SITREP") ;;
esac
[ -z "$BENCH_REPO" ] || BENCH_REPO=$(cd "$BENCH_REPO" && pwd)
cd "$(dirname "$0")/.."
top=$(pwd)
for tool in git tig tmux hyperfine jq; do
	command -v $tool >/dev/null 2>&1 ||
		die "$tool is not installed (sh tools/install-deps.sh --bench installs it)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ -x "$SITREP" ] || die "no sitrep binary at $SITREP: build it, or set SITREP"

OUT=$top/bench/out/graph
mkdir -p "$OUT"
summary=$OUT/summary.txt
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$summary"; }
export LC_ALL=C.UTF-8 GIT_CONFIG_NOSYSTEM=1 HOME=$OUT/home
mkdir -p "$HOME"
printf '[core]\n\tpager = cat\n[color]\n\tui = never\n' >"$HOME/.gitconfig"

session=sitrep-bench-graph
tmux kill-session -t "$session" 2>/dev/null || true
tmux new-session -d -s "$session" -x 200 -y 50
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT

# tig's first screen: from launch until the pane shows 45 lines of commits. Polled
# every 5 ms; prints seconds. tig draws as git log --topo-order streams, so its
# first screen is there once git has sorted the history.
tig_first_screen() { # repo
	local t0 t1 lines
	tmux send-keys -t "$session" "cd '$1' && clear" Enter
	sleep 0.3
	t0=$(date +%s.%N)
	tmux send-keys -t "$session" "tig --all" Enter
	while :; do
		lines=$(tmux capture-pane -p -t "$session" | grep -c '[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]' || true)
		[ "$lines" -ge 45 ] && break
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a > 120) }' && { echo timeout; return; }
		sleep 0.005
	done
	t1=$(date +%s.%N)
	tmux send-keys -t "$session" q
	sleep 0.2
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

tig_rss_kb() { # repo: tig's peak RSS once the whole history is loaded
	local pid
	tmux send-keys -t "$session" "cd '$1' && clear && tig --all" Enter
	for _ in $(seq 600); do
		pid=$(pgrep -n -x tig || true)
		[ -n "$pid" ] && tmux capture-pane -p -t "$session" | grep -q '100%' && break
		sleep 0.2
	done
	awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo '?'
	tmux send-keys -t "$session" q
	sleep 0.3
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

first_screens() { # label repo
	local label=$1 repo=$2 json=$OUT/first-$1.json tig=()
	hyperfine -N --warmup 2 --runs "$BENCH_RUNS" --export-json "$json" \
		"$SITREP graph --repo $repo --all -n 60" \
		"git -C $repo log --graph --oneline --all -n 60" >/dev/null 2>&1
	for _ in 1 2 3; do tig+=("$(tig_first_screen "$repo")"); done
	say "$(printf '%-34s sitrep %7.3f s   git log %7.3f s   tig %7s s' "$label" \
		"$(jq '.results[0].median' "$json")" "$(jq '.results[1].median' "$json")" \
		"$(printf '%s\n' "${tig[@]}" | median)")"
}

full_graph() { # label repo
	local s g=skipped
	s=$(/usr/bin/time -f '%e %M' "$SITREP" graph --repo "$2" --all 2>&1 >/dev/null | tail -1)
	if [ "$BENCH_FULL_GIT" = 1 ]; then
		g=$(/usr/bin/time -f '%e' git -C "$2" log --graph --oneline --all 2>&1 >/dev/null | tail -1)
	fi
	say "$(printf '%-34s sitrep %7s s (peak RSS %s kB)   git log %s s' "$1" "${s% *}" "${s#* }" "$g")"
}

commits_of() { git -C "$1" rev-list --all --count; }

if [ -n "$BENCH_REPO" ]; then
	say "repository: $BENCH_REPO ($(commits_of "$BENCH_REPO") commits, $(git -C "$BENCH_REPO" for-each-ref | wc -l) refs)"
	for variant in all-refs no-pr-refs; do
		copy=$OUT/$variant
		rm -rf "$copy"
		git clone -q --mirror "$BENCH_REPO" "$copy"
		if [ $variant = no-pr-refs ]; then
			git -C "$copy" for-each-ref --format='delete %(refname)' refs/pull refs/merge-requests |
				git -C "$copy" update-ref --stdin
		fi
		rm -rf "$copy/objects/info/commit-graph" "$copy/objects/info/commit-graphs"
		first_screens "$variant, no commit-graph" "$copy"
		git -C "$copy" commit-graph write --reachable 2>/dev/null
		first_screens "$variant, commit-graph" "$copy"
	done
	say "tig peak RSS, whole history loaded: $(tig_rss_kb "$OUT/all-refs") kB"
	full_graph "full graph, all refs, commit-graph" "$OUT/all-refs"
fi

# A generated history: BENCH_COMMITS commits on 16 branches that merge into main
# every so often, written by git fast-import.
gen=$OUT/generated-$BENCH_COMMITS
if [ ! -s "$gen/objects/info/commit-graph" ]; then
	rm -rf "$gen"
	git init -q --bare "$gen"
	awk -v n="$BENCH_COMMITS" 'BEGIN {
		t = 1500000000
		for (i = 1; i <= n; i++) {
			b = (i % 10 == 0) ? 0 : 1 + int(rand() * 16)
			msg = sprintf("commit %d on %s", i, b ? "topic-" b : "main")
			printf "commit refs/heads/%s\nmark :%d\n", b ? "topic-" b : "main", i
			printf "committer Dev <dev@example.com> %d +0000\ndata %d\n%s\n", t + i,
				length(msg), msg
			if (last[b]) printf "from :%d\n", last[b]
			else if (last[0]) printf "from :%d\n", last[0] # a topic starts from main
			if (!b) for (k = 1; k <= 16; k++) if (last[k] > merged[k]) {
				printf "merge :%d\n", last[k]; merged[k] = last[k]
			}
			last[b] = i
			printf "\n"
		}
	}' | git -C "$gen" fast-import --quiet
	git -C "$gen" commit-graph write --reachable 2>/dev/null
fi
say "generated: $(commits_of "$gen") commits, $(git -C "$gen" for-each-ref | wc -l) branches"
first_screens "generated, commit-graph" "$gen"
full_graph "full graph, generated" "$gen"
