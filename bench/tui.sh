#!/bin/bash
# bench/tui.sh - the console beside htop and btop, measured in the same run, in the
# same tmux pane of 200x50, on a cache of 1M incidents and 10M samples:
#
#   1. time to the first complete frame (hyperfine; each run quits on a 'q' typed
#      into the pane before it starts, so it is time to the first frame, read the
#      key, restore the terminal, exit: the same for the three programs);
#   2. peak RSS of that run (/usr/bin/time);
#   3. CPU while the screen refreshes at 1 Hz (sitrep's overview; htop -d 10; btop
#      with update_ms = 1000): utime + stime from /proc/PID/stat over 60 s;
#   4. bytes written to the terminal per second over the same 60 s (tmux pipe-pane);
#   5. `sitrep status --format line` (hyperfine).
#
#   make bench-tui                       (builds, installs htop and btop if missing)
#   SITREP=build/sitrep sh bench/tui.sh
#
# Environment: SITREP (default ./sitrep), BENCH_RUNS (first-frame runs, default 20),
# BENCH_SECONDS (the live window, default 60), CC (builds bench/gen.c), BENCH_STRICT=1
# (exit 1 when a target is missed). Output in bench/out/tui/ (see bench/README.md).
set -eu

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

SITREP=${SITREP:-./sitrep}
BENCH_RUNS=${BENCH_RUNS:-20}
BENCH_SECONDS=${BENCH_SECONDS:-60}
CC=${CC:-cc}
N=1000000
SAMPLES_PER_SERIES=33334 # 50 services x 6 metrics x 33,334 = 10,000,200 samples
case $SITREP in
/*) ;;
*/*) SITREP=$(pwd)/$SITREP ;;
*) SITREP=$(command -v "$SITREP" 2>/dev/null || echo "$SITREP") ;;
esac
cd "$(dirname "$0")/.."
top=$(pwd)

for tool in hyperfine tmux sqlite3 htop btop; do
	command -v $tool >/dev/null 2>&1 ||
		die "$tool is not installed (make bench-tui installs it: sh tools/install-deps.sh --bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ -x "$SITREP" ] || die "no sitrep binary at $SITREP: run 'make bench-tui', or set SITREP"

OUT=$top/bench/out/tui
mkdir -p "$OUT"
cache=$OUT/cache.db
config=$OUT/config
xdg=$OUT/xdg
rm -rf "$xdg"
mkdir -p "$xdg/btop"

# ---- the cache: 1M incidents (bench/gen.c, imported), 10M samples, sources synced ----
base=$top/bench/out/$N
if [ ! -s "$base/incidents-only.db" ]; then
	echo "bench: building $N incidents ($base/incidents-only.db)"
	$CC -O2 -o "$top/bench/out/gen" bench/gen.c
	[ -s "$base/import.json" ] || "$top/bench/out/gen" $N "$base"
	rm -f "$base/incidents-only.db"*
	"$SITREP" --db "$base/incidents-only.db" import "$base/import.json" >/dev/null
fi
echo "bench: the cache ($cache): $N incidents and 10M samples ending two hours from now"
rm -f "$cache" "$cache-wal" "$cache-shm"
cp "$base/incidents-only.db" "$cache"
now=$(date +%s)
end=$((now + 7200))
sqlite3 "$cache" "
	INSERT INTO metric_series(source, name, labels, service_id)
		SELECT 'prometheus', s.name || '.' || m.m, '', s.id FROM services s,
		(SELECT 'rpm' AS m UNION ALL SELECT 'errors' UNION ALL SELECT 'latency'
		 UNION ALL SELECT 'latency_max' UNION ALL SELECT 'cpu' UNION ALL SELECT 'memory') m
		ORDER BY s.id, m.m;
	WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < $SAMPLES_PER_SERIES - 1)
	INSERT INTO metric_samples(series_id, ts, value)
		SELECT ser.id, $end - ($SAMPLES_PER_SERIES - 1 - i) * 60, abs(random() % 100000) / 100.0
		FROM metric_series ser, t ORDER BY ser.id, i;
	INSERT INTO sync_state(source, stream, last_attempt, last_success, records, pages)
		VALUES ('prometheus', 'metrics', $now, $now, 1, 1), ('opsgenie', 'alerts', $now, $now, 1, 1);"
samples=$(sqlite3 "$cache" 'SELECT count(*) FROM metric_samples')
incidents=$(sqlite3 "$cache" 'SELECT count(*) FROM incidents')
cat >"$config" <<'CONF'
[source "prometheus"]
	type = prometheus
	url = http://127.0.0.1:1/
	interval = 15s
[source "opsgenie"]
	type = opsgenie
	url = http://127.0.0.1:1/
	token = bench
	interval = 30s
CONF
chmod 600 "$config"
# btop refreshes at 1 Hz like the others (its default is 2 s).
echo 'update_ms = 1000' >"$xdg/btop/btop.conf"

# ---- the terminal: one tmux pane of 200x50 running bash ----
sock=sitrep-bench-$$
tmux -L $sock kill-server 2>/dev/null || true
trap 'tmux -L $sock kill-server 2>/dev/null || true' EXIT
tmux -L $sock -f /dev/null new-session -d -s b -x 200 -y 50 \
	"env -i PATH=$PATH HOME=$HOME TERM=screen-256color LANG=C.UTF-8 XDG_CONFIG_HOME=$xdg XDG_STATE_HOME=$xdg bash --norc"
tty=$(tmux -L $sock display -p -t b '#{pane_tty}')
# in_pane CMD: runs CMD in the pane and waits for it to finish.
in_pane() {
	tmux -L $sock send-keys -t b "clear; $1; tmux -L $sock wait-for -S bench-done" Enter
	tmux -L $sock wait-for bench-done
}

sitrep_cmd="$SITREP --config $config --db $cache --read-only"
names="sitrep htop btop"
cmd_of() {
	case $1 in
	sitrep) echo "$sitrep_cmd" ;;
	htop) echo "htop -d 10" ;;
	btop) echo "btop" ;;
	esac
}

# ---- 1. first frame ----
echo "bench: time to the first frame, $BENCH_RUNS runs each (hyperfine in the pane)"
in_pane "hyperfine --style none --output=inherit --warmup 3 --runs $BENCH_RUNS \
--prepare 'tmux -L $sock send-keys -t b q' --export-json $OUT/first-frame.json \
-n sitrep '$sitrep_cmd </dev/tty' -n htop 'htop -d 10 </dev/tty' -n btop 'btop </dev/tty' \
2>$OUT/first-frame.err"
[ -s "$OUT/first-frame.json" ] || die "hyperfine failed: $(cat "$OUT/first-frame.err")"

# ---- 2. peak RSS of one such run ----
echo "bench: peak RSS (/usr/bin/time)"
for p in $names; do
	in_pane "tmux -L $sock send-keys -t b q; /usr/bin/time -f %M -o $OUT/rss-$p.txt $(cmd_of $p) </dev/tty"
done

# ---- 3 and 4. CPU and bytes at 1 Hz over BENCH_SECONDS ----
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
: >"$OUT/live.txt"
for p in $names; do
	echo "bench: $p refreshing at 1 Hz for $BENCH_SECONDS s"
	tmux -L $sock send-keys -t b "clear; exec $(cmd_of $p)" Enter
	sleep 5
	pid=$(tmux -L $sock display -p -t b '#{pane_pid}')
	t0=$(ticks "$pid")
	tmux -L $sock pipe-pane -t b "cat >$OUT/bytes-$p.raw"
	sleep "$BENCH_SECONDS"
	tmux -L $sock pipe-pane -t b
	t1=$(ticks "$pid")
	bytes=$(wc -c <"$OUT/bytes-$p.raw")
	echo "$p $((t1 - t0)) $hz $BENCH_SECONDS $bytes" >>"$OUT/live.txt"
	tmux -L $sock respawn-pane -k -t b \
		"env -i PATH=$PATH HOME=$HOME TERM=screen-256color LANG=C.UTF-8 XDG_CONFIG_HOME=$xdg XDG_STATE_HOME=$xdg bash --norc"
	sleep 0.5
done

# ---- 5. the status line ----
echo "bench: sitrep status --format line"
hyperfine -N --warmup 5 --runs 100 --export-json "$OUT/status-line.json" \
	-n status-line "$SITREP --config $config --db $cache status --format line" >/dev/null 2>&1
"$SITREP" --config "$config" --db "$cache" status --format line >"$OUT/status-line.txt"

# ---- summary ----
ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) |
	"\(.mean * 1000 | . * 10 | round / 10) ms ± \(.stddev * 1000 | . * 10 | round / 10) (median \(.median * 1000 | . * 10 | round / 10))"' "$1"; }
mean_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean * 1000' "$1"; }
summary=$OUT/summary.txt
{
	echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine:  $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
		"load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "sitrep:   $SITREP ($(git describe --always --dirty 2>/dev/null || echo 'no git'))"
	echo "versions: $(htop --version | head -1), btop $(btop --version | sed -n 's/.*version: *//p'), $(tmux -V), $(hyperfine --version)"
	echo "cache:    $incidents incidents, $samples samples; terminal: tmux 200x50, TERM=screen-256color"
	echo
	printf '%-7s | %-34s | %12s | %9s | %13s\n' "" "first frame (mean ± sd)" "peak RSS" "CPU 1 Hz" "bytes/s 1 Hz"
	for p in $names; do
		read -r _ dt hz secs bytes < <(grep "^$p " "$OUT/live.txt")
		printf '%-7s | %-34s | %9.1f MB | %7.2f %% | %9.0f B/s\n' "$p" \
			"$(ms "$OUT/first-frame.json" "$p")" "$(awk "BEGIN { print $(cat "$OUT/rss-$p.txt") / 1024 }")" \
			"$(awk "BEGIN { print $dt * 100 / $hz / $secs }")" "$(awk "BEGIN { print $bytes / $secs }")"
	done
	echo
	echo "status --format line: $(ms "$OUT/status-line.json" status-line)"
	echo "  $(cat "$OUT/status-line.txt")"
} >"$summary"
read -r _ dt hz secs bytes < <(grep "^sitrep " "$OUT/live.txt")
read -r _ hdt _ _ hbytes < <(grep "^htop " "$OUT/live.txt")
{
	echo
	echo "targets:"
	awk -v ff="$(mean_ms "$OUT/first-frame.json" sitrep)" -v rss="$(cat "$OUT/rss-sitrep.txt")" \
		-v cpu="$dt" -v hcpu="$hdt" -v b="$bytes" -v hb="$hbytes" \
		-v st="$(mean_ms "$OUT/status-line.json" status-line)" 'BEGIN {
		miss = 0
		ok = ff <= 30; miss += !ok
		printf "  first frame <= 30 ms: %s (%.1f ms)\n", ok ? "met" : "MISSED", ff
		ok = rss / 1024 <= 16; miss += !ok
		printf "  peak RSS <= 16 MB: %s (%.1f MB)\n", ok ? "met" : "MISSED", rss / 1024
		ok = cpu <= hcpu; miss += !ok
		printf "  CPU at 1 Hz <= htop'"'"'s: %s (%d ticks against %d)\n", ok ? "met" : "MISSED", cpu, hcpu
		ok = b <= hb; miss += !ok
		printf "  bytes at 1 Hz <= htop'"'"'s: %s (%d against %d)\n", ok ? "met" : "MISSED", b, hb
		ok = st < 20; miss += !ok
		printf "  status --format line < 20 ms: %s (%.1f ms)\n", ok ? "met" : "MISSED", st
		print miss ? "RESULT: " miss " target(s) missed" : "RESULT: all targets met"
	}'
} >>"$summary"
echo
cat "$summary"
if [ "${BENCH_STRICT:-0}" = 1 ] && ! grep -q '^RESULT: all targets met' "$summary"; then
	exit 1
fi
exit 0
