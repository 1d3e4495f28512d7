#!/bin/bash
# demo.sh - `sitrep demo` in a real terminal (tmux): it starts sitrep-sim, builds the
# demo repositories, syncs and opens the overview with the three services of the
# simulated world; q quits, and then the temporary files are gone and sitrep-sim is
# stopped. The same after SIGTERM, and when sitrep-sim cannot be found.
set -u
SITREP=${SITREP:-./sitrep}
SITREP=$(cd "$(dirname "$SITREP")" && pwd)/$(basename "$SITREP")
SITREP_SIM=${SITREP_SIM:-$SITREP-sim}
SITREP_SIM=$(cd "$(dirname "$SITREP_SIM")" && pwd)/$(basename "$SITREP_SIM")
tmp=$(mktemp -d)
sock="sitrep-demo-test-$$-0"
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (make check installs it)"; exit 1; }

screen() { tmux -L "$sock" capture-pane -p -t d 2>/dev/null; }
# start N: `sitrep demo` in a fresh session, its temporary files under $tmp/tN.
start() {
	mkdir -p "$tmp/t$1"
	# A server of its own each time: a killed one may still be going away.
	tmux -L "$sock" kill-server 2>/dev/null
	sock="sitrep-demo-test-$$-$1"
	tmux -L "$sock" new-session -d -s d -x 160 -y 40 \
		"cd $tmp && TMPDIR=$tmp/t$1 SITREP_SIM=$SITREP_SIM exec $SITREP demo 2>$tmp/err$1"
}
# until SECONDS PATTERN: waits for PATTERN on the screen.
until_screen() {
	for _ in $(seq $(($1 * 10))); do
		screen | grep -qE "$2" && return 0
		sleep 0.1
	done
	return 1
}
sim_pid_of() { sed -n 's/.*sitrep-sim pid \([0-9]*\).*/\1/p' "$tmp/err$1"; }
dir_of() { sed -n 's/.* files in \([^)]*\)).*/\1/p' "$tmp/err$1"; }
# stopped N: after the demo, nothing is left of it.
stopped() {
	local pid dir
	pid=$(sim_pid_of "$1")
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "run $1: sitrep-sim ($pid) still runs"
	# sitrep removes its files after stopping the simulator: give it a moment.
	for _ in $(seq 50); do
		[ -z "$(ls -A "$tmp/t$1")" ] && break
		sleep 0.1
	done
	[ -z "$(ls -A "$tmp/t$1")" ] || fail "run $1: files left: $(ls -A "$tmp/t$1")"
}

# --- the overview of the simulated world, then q
start 1
until_screen 30 '^ *! *checkout|^   checkout' || fail "no overview: $(screen; cat "$tmp/err1")"
until_screen 5 'payments' && until_screen 5 'search' || fail "not all three services: $(screen)"
pid=$(sim_pid_of 1)
dir=$(dir_of 1)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || fail "no sitrep-sim running: $(cat "$tmp/err1")"
[ -d "$dir" ] || fail "no demo directory: $(cat "$tmp/err1")"
# No config problem, no failing source: the demo's sources and the simulator agree.
grep -q 'needs\|failed\|error' "$tmp/err1" && fail "the demo's set-up complained: $(cat "$tmp/err1")"
# The demo repositories hold the world's commits made by now, on their branches.
log=$(git -C "$dir/repos/checkout" log --format='%an %s' main 2>&1 | head -2)
echo "$log" | grep -q '^dana Revert "Batch tokenisation with per-merchant limits"' ||
	fail "checkout's demo repository: $log"
git -C "$dir/repos/checkout" rev-parse --verify -q release/1.44 >/dev/null ||
	fail "no release/1.44 branch in the demo repository"
grep -q "repo = $dir/repos/checkout" "$dir/config" || fail "the config names no repository"
# The metrics came through the sync: the board has numbers, not dashes.
screen | grep -E '^ *! *checkout|^   checkout' | grep -qE '[0-9]+%' || fail "no metrics: $(screen)"
tmux -L "$sock" send-keys -t d q
stopped 1

# --- SIGTERM to sitrep: the same
start 2
until_screen 30 'payments' || fail "run 2: no overview: $(screen)"
tmux -L "$sock" run-shell -t d 'kill -TERM #{pane_pid}'
stopped 2

# --- no simulator anywhere: a clear error, nothing left
mkdir -p "$tmp/bin" "$tmp/t3"
# The binary itself, alone in a directory (under VALGRIND=1, $SITREP is a wrapper
# that would run the build's binary, beside its simulator); bounded in time, so a
# demo that did start cannot hang the suite.
cp "${SITREP_BINARY:-$SITREP}" "$tmp/bin/sitrep"
(cd "$tmp" && TMPDIR="$tmp/t3" SITREP_SIM= PATH=/usr/bin:/bin timeout 60 \
	script -qec "$tmp/bin/sitrep demo" /dev/null >"$tmp/out3" 2>&1)
grep -q 'sitrep-sim is neither beside sitrep' "$tmp/out3" || fail "no simulator: $(cat "$tmp/out3")"
[ -z "$(ls -A "$tmp/t3")" ] || fail "no simulator: files left: $(ls -A "$tmp/t3")"

echo "demo: $failures failure(s)"
[ $failures = 0 ]
