# lib.bash - what the integration scripts share (sourced, never run on its own): the
# binaries under test, a scratch directory $tmp removed on exit together with every
# process registered with stop_on_exit, fail() that counts, start_sim, and finish.
# KEEP=1 keeps $tmp for a post-mortem.
SITREP=${SITREP:-./sitrep}
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
tmp=$(mktemp -d)
failures=0
sim_pid=
stop_pids=()

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# stop_on_exit PID: the process is killed and reaped when the script ends, however
# it ends, so no simulator or daemon outlives a failed test.
stop_on_exit() { stop_pids+=("$1"); }

cleanup() {
	local p
	for p in "${stop_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${stop_pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# start_sim [OPTION...]: a sitrep-sim on a free loopback port (--port 0), frozen
# (--speed 0) unless the options say otherwise, its log appended to $tmp/sim.log.
# Sets sim_pid and base (its URL); the script fails at once if it does not start.
start_sim() {
	rm -f "$tmp/port"
	"$SITREP_SIM" --port 0 --port-file "$tmp/port" --speed 0 "$@" >>"$tmp/sim.log" 2>&1 &
	sim_pid=$!
	stop_on_exit "$sim_pid"
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	[ -s "$tmp/port" ] || { echo "sitrep-sim did not start: $(cat "$tmp/sim.log")"; exit 1; }
	base="http://127.0.0.1:$(cat "$tmp/port")"
}

# stop_sim: stops the newest simulator (start_sim may then start another).
stop_sim() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	sim_pid=
}

# finish NAME: the script's last line: its count of failures, and its exit status.
finish() {
	echo "$1: $failures failure(s)"
	[ $failures = 0 ]
}
