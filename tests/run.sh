#!/bin/sh
# run.sh TEST... - runs cmocka unit binaries and integration scripts, one line each,
# full output of the failures, and a closing "N passed, N failed" line.
# Integration scripts and the acceptance test get $SITREP, the binary under test,
# and $SITREP_SIM, the simulator.
set -u
passed=0 failed=0 failures=""
log_dir=${BUILD:-build}/test-logs
mkdir -p "$log_dir"
export SITREP SITREP_SIM
# Tests never read the user's config or touch the user's cache.
unset SITREP_CONFIG SITREP_DB SITREP_TIME_NOW
export XDG_CONFIG_HOME="$PWD/$log_dir/xdg-config" XDG_STATE_HOME="$PWD/$log_dir/xdg-state"
SITREP=$(cd "$(dirname "$SITREP")" && pwd)/$(basename "$SITREP")
# The binary itself, for a test that needs the file (SITREP may become a wrapper).
SITREP_BINARY=$SITREP
export SITREP_BINARY
: "${SITREP_SIM:=$SITREP-sim}"
SITREP_SIM=$(cd "$(dirname "$SITREP_SIM")" && pwd)/$(basename "$SITREP_SIM")
# VALGRIND=1: every unit binary and every run of the sitrep binary under memcheck;
# any error or definite leak fails the test.
wrap=""
if [ "${VALGRIND:-}" = 1 ]; then
	wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	real=$SITREP
	SITREP=$(pwd)/$log_dir/sitrep-valgrind
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$wrap" "$real" >"$SITREP"
	chmod +x "$SITREP"
fi
for t in "$@"; do
	name=$(basename "$t")
	log="$log_dir/$name.log"
	case "$t" in
	*.sh) bash "$t" >"$log" 2>&1 ;;
	*) $wrap "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok    %s\n' "$name"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		printf 'FAIL  %s (exit %d)\n' "$name" "$rc"
		sed 's/^/      /' "$log"
	fi
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
