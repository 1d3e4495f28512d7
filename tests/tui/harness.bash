# harness.bash - sourced by the screen tests (tests/tui/*.sh): the console in a real
# terminal (tmux new-session, send-keys, capture-pane) on a fixed clock, and checks
# of what is on the screen. Not a test itself (make check runs the *.sh only).
#
# The sourcing script sets $tmp (a temporary directory holding config and c.db) and
# may set OPTS (more options for sitrep); start() runs the console on them,
# --read-only unless READ_ONLY is set empty (the console's sync worker then runs).
SITREP=${SITREP:-./sitrep}
SITREP=$(cd "$(dirname "$SITREP")" && pwd)/$(basename "$SITREP")
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
sim_pid=
sock="sitrep-test-$$"
n_start=0
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (make check installs it)"; exit 1; }

# start WIDTHxHEIGHT [env and options...]: the console in a fresh tmux session.
start() {
	local size=$1
	shift
	# A server of its own each time: a killed one may still be going away.
	tmux -L "$sock" kill-server 2>/dev/null
	n_start=$((n_start + 1))
	sock="sitrep-test-$$-$n_start"
	tmux -L "$sock" new-session -d -s c -x "${size%x*}" -y "${size#*x}" \
		"env $* $SITREP --config $tmp/config --db $tmp/c.db ${READ_ONLY---read-only} ${OPTS:-}; echo EXIT=\$?; sleep 60"
	# The first frame (slow under valgrind), then quiet.
	for _ in $(seq 300); do
		screen | grep -qE '^ sitrep |EXIT=' && break
		sleep 0.1
	done
	settle
}
# Waits until the screen has not changed for 0.3 s (at most 5 s).
settle() {
	local a b same=0
	a=$(screen)
	for _ in $(seq 50); do
		sleep 0.1
		b=$(screen)
		if [ "$a" = "$b" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && return
		else
			same=0
		fi
		a=$b
	done
}
screen() { tmux -L "$sock" capture-pane -t c -p 2>/dev/null; }
# Line N (1 is the tab line) of the screen.
line() { screen | sed -n "${1}p"; }
keys() {
	tmux -L "$sock" send-keys -t c "$@"
	settle
}
has() { screen | grep -qF -- "$1"; }
# Waits (at most 60 s: valgrind) until the text is off the screen: the work a view
# does on a thread of its own after its first frame.
wait_gone() {
	for _ in $(seq 600); do
		has "$1" || { settle; return; }
		sleep 0.1
	done
}
expect() { has "$1" || fail "$2: no \"$1\" on the screen:$(printf '\n%s' "$(screen)")"; }
expect_not() { has "$1" && fail "$2: \"$1\" is on the screen"; }
# start_sim [OPTION...]: a frozen sitrep-sim on a free loopback port (its log in
# $tmp/sim.log), stopped by harness_cleanup; sets base, its URL.
start_sim() {
	"$SITREP_SIM" --port 0 --port-file "$tmp/port" --speed 0 "$@" >"$tmp/sim.log" 2>&1 &
	sim_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	[ -s "$tmp/port" ] || { echo "FAIL: sitrep-sim did not start: $(cat "$tmp/sim.log")"; exit 1; }
	base="http://127.0.0.1:$(cat "$tmp/port")"
}
harness_cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
