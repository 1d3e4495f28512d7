#!/bin/bash
# graph.sh - `sitrep graph` on repositories built here with git: linear, merge-heavy,
# octopus, criss-cross, several roots, tags, a detached HEAD, an empty repository, a
# shallow clone, a corrupt object, a generated history of a thousand commits and
# branch names and subjects carrying escape sequences. The topology each drawing
# shows (which parent every line leads to) is traced by tests/tools/graph_trace
# against `git log --format='%H %P'`, in box drawing and in ASCII, never against a
# stored drawing.
set -u
SITREP=${SITREP:-./sitrep}
BUILD=${BUILD:-build}
TRACE=${GRAPH_TRACE:-$BUILD/tests/tools/graph_trace}
tmp=$(mktemp -d)
trap "[ -n \"${KEEP:-}\" ] || rm -rf \"$tmp\"" EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
[ -x "$TRACE" ] || { echo "no $TRACE: make tests builds it"; exit 1; }
# The repositories are built in their own directories.
abs() { case $1 in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
SITREP=$(abs "$SITREP")
TRACE=$(abs "$TRACE")

export GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME=Dev GIT_COMMITTER_EMAIL=dev@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
clock=1700000000
commit() { # message: an empty commit, one second after the last
	clock=$((clock + 1))
	GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
		git commit -q --allow-empty -m "$1"
}
merge() { # message branch...
	local msg=$1
	shift
	clock=$((clock + 1))
	GIT_AUTHOR_DATE="@$clock +0000" GIT_COMMITTER_DATE="@$clock +0000" \
		git merge -q --no-ff -m "$msg" "$@"
}
new_repo() {
	rm -rf "$tmp/$1"
	git init -q "$tmp/$1"
	cd "$tmp/$1" || exit 1
}

# check NAME [--all]: the drawing against git, box drawing and ASCII, and the
# locale's choice: ASCII under LC_ALL=C.
check() {
	local name=$1 all=${2:-} out=$tmp/$1
	git -C "$tmp/$name" log $all --format='%H %P' >"$out.parents" 2>/dev/null
	LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/$name" $all --full-hash >"$out.utf8" 2>"$out.err" ||
		fail "$name: sitrep graph failed: $(cat "$out.err")"
	"$TRACE" "$out.utf8" "$out.parents" --complete >"$out.trace" ||
		fail "$name (box drawing): $(cat "$out.trace")"
	LC_ALL=C "$SITREP" graph --repo "$tmp/$name" $all --full-hash >"$out.ascii" 2>&1 ||
		fail "$name: sitrep graph in the C locale failed"
	LC_ALL=C grep -q '[^ -~]' "$out.ascii" && fail "$name: non-ASCII bytes in the C locale"
	"$TRACE" "$out.ascii" "$out.parents" --complete >"$out.trace" ||
		fail "$name (ASCII): $(cat "$out.trace")"
	n=$(wc -l <"$out.parents")
	[ "$(grep -c '[0-9a-f]\{40\}' "$out.utf8")" = "$n" ] || fail "$name: not $n commit lines"
	echo "$name: $(tail -1 "$out.trace")"
	# The same history read through a commit-graph file (levels, a lazy walk) and
	# without it, when the repository has one.
	if [ -e "$tmp/$name/.git/objects/info/commit-graph" ] ||
		[ -e "$tmp/$name/.git/objects/info/commit-graphs" ]; then
		LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/$name" $all --full-hash \
			--no-commit-graph >"$out.nocg" || fail "$name: --no-commit-graph failed"
		"$TRACE" "$out.nocg" "$out.parents" --complete >"$out.trace" ||
			fail "$name (without the commit-graph): $(cat "$out.trace")"
		# The lazy walk shows the same drawing as the full one.
		cmp -s "$out.utf8" "$out.nocg" ||
			fail "$name: the commit-graph changed the drawing: $(diff "$out.utf8" "$out.nocg" | head -5)"
	fi
}
# check_graph NAME [--all]: check, then again with a commit-graph of all commits.
check_graph() {
	check "$@"
	git -C "$tmp/$1" commit-graph write --reachable 2>/dev/null || fail "$1: commit-graph write"
	check "$@"
}

new_repo linear
for i in $(seq 30); do commit "linear $i"; done
check linear

# Long-lived branches merged into main again and again, merges between feature
# branches, a release branch with a fix merged back.
new_repo merges
commit base
for b in feat-a feat-b feat-c; do git branch "$b"; done
for round in 1 2 3; do
	for b in feat-a feat-b feat-c; do
		git checkout -q "$b"
		commit "$b work $round.1"
		commit "$b work $round.2"
	done
	git checkout -q main
	commit "main $round"
	merge "merge feat-a $round" feat-a
	[ $round = 2 ] && { git checkout -q feat-c && merge "feat-c takes feat-b" feat-b && git checkout -q main; }
	merge "merge feat-c $round" feat-c
done
git checkout -q -b release/1.0 main~2
commit "release fix"
git checkout -q main
merge "merge the release fix" release/1.0
check_graph merges --all
check merges

new_repo octopus
commit base
for b in o1 o2 o3 o4; do git checkout -q -b "$b" main && commit "$b" && commit "$b again"; done
git checkout -q main
commit "main moves"
merge "octopus" o1 o2 o3 o4
commit after
check_graph octopus --all

new_repo crisscross
commit base
git branch x
commit "main 1"
git checkout -q x && commit "x 1"
git checkout -q main && merge "main takes x" x~0
git checkout -q x && merge "x takes main 1" main~1
git checkout -q main && commit "main 2"
git checkout -q x && commit "x 2"
git checkout -q main && merge "criss-cross merge" x
check_graph crisscross --all

# Several roots: an orphan branch merged in, and one never merged.
new_repo roots
commit "root one"
commit "one more"
git checkout -q --orphan other && commit "root two" && commit "two more"
git checkout -q --orphan lonely && commit "root three"
git checkout -q main
merge "join the histories" --allow-unrelated-histories other
check_graph roots --all

# Tags (lightweight, annotated, on a tree), a detached HEAD.
new_repo tags
commit one
git tag v0.1
commit two
git tag -a v0.2 -m "version 0.2"
git tag tree-tag "$(git rev-parse HEAD^{tree})"
commit three
git checkout -q HEAD~1
commit "on a detached head"
check tags --all
check tags
LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/tags" --all >"$tmp/tags.plain"
grep -q "(HEAD) on a detached head" "$tmp/tags.plain" || fail "tags: detached HEAD: $(cat "$tmp/tags.plain")"
grep -q "(tag: v0.2) two" "$tmp/tags.plain" || fail "tags: annotated tag: $(cat "$tmp/tags.plain")"
grep -q "(main) three" "$tmp/tags.plain" || fail "tags: main: $(cat "$tmp/tags.plain")"
grep -q "(tag: v0.1) one" "$tmp/tags.plain" || fail "tags: lightweight tag"

# -n: the first commits only, each line still leading to its parent or off the end.
LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/merges" --all --full-hash -n 7 >"$tmp/n7"
[ "$(grep -c '[0-9a-f]\{40\}' "$tmp/n7")" = 7 ] || fail "-n 7: $(cat "$tmp/n7")"
"$TRACE" "$tmp/n7" "$tmp/merges.parents" >"$tmp/n7.trace" || fail "-n 7: $(cat "$tmp/n7.trace")"

# The tracer can fail: a join turned into a fork is caught.
sed '0,/╯/s//╮/' "$tmp/merges.utf8" >"$tmp/broken"
cmp -s "$tmp/broken" "$tmp/merges.utf8" && fail "no join in the merges drawing to break"
"$TRACE" "$tmp/broken" "$tmp/merges.parents" >/dev/null && fail "the tracer accepted a broken drawing"

new_repo empty
out=$("$SITREP" graph --repo "$tmp/empty" 2>&1)
rc=$?
[ $rc = 0 ] && [ -z "$out" ] || fail "empty repository: exit $rc, '$out'"

# A shallow clone: its oldest commits have no parents in the clone.
git clone -q --depth 4 --no-local "file://$tmp/merges" "$tmp/shallow" 2>/dev/null ||
	git clone -q --depth 4 "file://$tmp/merges" "$tmp/shallow"
[ -f "$tmp/shallow/.git/shallow" ] || fail "the clone is not shallow"
check shallow --all

# A generated history: 1,000 commits on 12 branches merging at random.
new_repo generated
RANDOM=7
tree=$(git hash-object -t tree -w /dev/null)
declare -a tips
for i in $(seq 1000); do
	b=$((RANDOM % 12))
	parents=()
	[ -n "${tips[$b]:-}" ] && parents+=(-p "${tips[$b]}")
	if [ $((RANDOM % 5)) = 0 ]; then
		o=$((RANDOM % 12))
		[ $o != $b ] && [ -n "${tips[$o]:-}" ] && parents+=(-p "${tips[$o]}")
	fi
	clock=$((clock + RANDOM % 100 - 20)) # clocks skew: a parent may be newer
	tips[$b]=$(GIT_COMMITTER_DATE="@$clock +0000" GIT_AUTHOR_DATE="@$clock +0000" \
		git commit-tree "$tree" "${parents[@]}" -m "commit $i on b$b")
done
for b in $(seq 0 11); do [ -n "${tips[$b]:-}" ] && git update-ref "refs/heads/b$b" "${tips[$b]}"; done
git update-ref refs/pull/1/head "${tips[3]}"
check generated --all
# Packed: the walk inflates the start of each commit from the pack itself (the
# loose objects above went through libgit2); the drawing, subjects and names are
# the same to the byte.
cp "$tmp/generated.utf8" "$tmp/generated.loose"
git repack -adq || fail "generated: repack"
[ -z "$(find .git/objects -path '*/objects/??/*' -type f)" ] || fail "generated: loose objects left"
check generated --all
cmp -s "$tmp/generated.loose" "$tmp/generated.utf8" ||
	fail "generated: packed, the drawing changed: $(diff "$tmp/generated.loose" "$tmp/generated.utf8" | head -5)"
# Freed lanes are taken by the lanes right of them (╱), and the tracer follows a
# moved lane and rejects a diagonal that carries nothing or a lane cut short.
grep -q '╱' "$tmp/generated.utf8" || fail "generated: no lane moves left"
sed '0,/╱/s//│/' "$tmp/generated.utf8" >"$tmp/broken"
"$TRACE" "$tmp/broken" "$tmp/generated.parents" >/dev/null && fail "the tracer accepted a diagonal turned into a line"
sed '0,/╱/s// /' "$tmp/generated.utf8" >"$tmp/broken"
"$TRACE" "$tmp/broken" "$tmp/generated.parents" >/dev/null && fail "the tracer accepted a lane cut short"
sed '5s/^● /●╱ /' "$tmp/linear.utf8" >"$tmp/broken"
cmp -s "$tmp/broken" "$tmp/linear.utf8" && fail "no row to add a stray diagonal to"
"$TRACE" "$tmp/broken" "$tmp/linear.parents" >/dev/null && fail "the tracer accepted a stray diagonal"
# A commit-graph of what there is, then more commits on top: a split chain of two
# layers, and commits newer than both, which the walk reads from their objects.
git commit-graph write --reachable --split 2>/dev/null || fail "generated: commit-graph write"
for i in $(seq 60); do
	b=$((RANDOM % 12))
	parents=(-p "${tips[$b]}")
	[ $((i % 7)) = 0 ] && parents+=(-p "${tips[$(((b + 1) % 12))]}")
	tips[$b]=$(GIT_COMMITTER_DATE="@$((clock + i))" git commit-tree "$tree" "${parents[@]}" -m "late $i")
	git update-ref "refs/heads/b$b" "${tips[$b]}"
	[ $i = 30 ] && { git commit-graph write --reachable --split=no-merge 2>/dev/null || fail "split"; }
done
[ "$(wc -l <.git/objects/info/commit-graphs/commit-graph-chain)" = 2 ] ||
	fail "generated: no chain of two commit-graph layers"
check generated --all
# The first screen of a lazy walk reads only what it needs: the first 20 commits
# and their lines are the same as those of a full walk.
LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/generated" --all --full-hash -n 20 >"$tmp/lazy20"
"$TRACE" "$tmp/lazy20" "$tmp/generated.parents" >"$tmp/lazy20.trace" ||
	fail "generated -n 20: $(cat "$tmp/lazy20.trace")"
LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/generated" --all >"$tmp/gen.plain"
grep -q "pull/1" "$tmp/gen.plain" && fail "pull request refs are shown"

# Untrusted names and messages: no escape sequence reaches the terminal.
new_repo hostile
commit "$(printf 'title \033]0;pwned\007 with \033[2J escapes \342\200\256 bidi')"
git branch "$(printf 'evil\033[31mred')" 2>/dev/null || git branch "evil-plain"
# Its message's first paragraph runs over three lines, the summary joins them.
commit "$(printf 'a subject\nover three\n  lines\n\nand a body')"
git repack -adq
LC_ALL=C.UTF-8 "$SITREP" graph --repo "$tmp/hostile" --all >"$tmp/hostile.out"
grep -q "$(printf '\033')" "$tmp/hostile.out" && fail "an escape sequence reached the output"
grep -q "$(printf '\342\200\256')" "$tmp/hostile.out" && fail "a bidi override reached the output"
grep -q "title  with  escapes  bidi" "$tmp/hostile.out" || fail "hostile: $(cat -v "$tmp/hostile.out")"
grep -q "(HEAD -> main) a subject over three lines$" "$tmp/hostile.out" || fail "hostile: the summary: $(cat -v "$tmp/hostile.out")"

# A corrupt repository: a clear error, no crash.
new_repo corrupt
commit one
commit two
commit three
git commit-graph write --reachable 2>/dev/null || fail "corrupt: commit-graph write"
obj=$(git rev-parse HEAD~1)
rm -f ".git/objects/${obj:0:2}/${obj:2}"
# The lazy walk never reads what it does not show: with the commit-graph, the newest
# commit alone needs no other object; without it, every commit is read first.
"$SITREP" graph --repo "$tmp/corrupt" -n 1 >"$tmp/lazy1" 2>&1 || fail "corrupt -n 1: $(cat "$tmp/lazy1")"
grep -q "three" "$tmp/lazy1" || fail "corrupt -n 1: $(cat "$tmp/lazy1")"
"$SITREP" graph --repo "$tmp/corrupt" -n 1 --no-commit-graph >/dev/null 2>&1 &&
	fail "corrupt -n 1 --no-commit-graph: the missing object went unnoticed"
out=$("$SITREP" graph --repo "$tmp/corrupt" --no-commit-graph 2>&1)
rc=$?
[ $rc = 1 ] || fail "corrupt: exit $rc"
case $out in
*"$obj"*"cannot be read"*) ;;
*) fail "corrupt: the error does not name the commit: $out" ;;
esac
# With the commit-graph the walk stops where it meets the missing object, and says so.
out=$("$SITREP" graph --repo "$tmp/corrupt" 2>&1)
rc=$?
[ $rc = 1 ] || fail "corrupt, with the commit-graph: exit $rc"
case $out in
*"three"*"$obj"*) ;;
*) fail "corrupt, with the commit-graph: $out" ;;
esac

out=$("$SITREP" graph --repo "$tmp/nowhere" 2>&1)
[ $? = 1 ] && [ -n "$out" ] || fail "no repository: '$out'"
"$SITREP" graph -n x >/dev/null 2>&1
[ $? = 2 ] || fail "-n x is not a usage error"

echo "graph: $failures failure(s)"
[ $failures = 0 ]
