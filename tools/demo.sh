#!/bin/sh
# demo.sh - what `make demo` shows: the console on the simulated world. It starts
# sitrep-sim on a free loopback port with its bundled week (six days of history
# before now, more to come), writes a throwaway config and cache, and opens the
# console, whose sync worker fills the cache from the simulator over HTTP: the real
# code path end to end, no network, no configuration. Quitting stops the simulator
# and removes everything.
set -eu
SITREP=${SITREP:-./sitrep}
SITREP_SIM=${SITREP_SIM:-./sitrep-sim}
dir=$(mktemp -d)
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$SITREP_SIM" --port 0 --port-file "$dir/port" --start "$now" --speed 1 \
	>"$dir/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
[ -s "$dir/port" ] || { echo "sitrep-sim did not start: $(cat "$dir/sim.log")" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$dir/port")"

{
	cat <<CONF
[source "prometheus"]
	type = prometheus
	url = $base/prometheus
	interval = 15s
	backfill = 6h
[source "alertmanager"]
	type = alertmanager
	url = $base/alertmanager
	interval = 15s
[source "opsgenie"]
	type = opsgenie
	url = $base/opsgenie
	interval = 30s
[source "sentry"]
	type = sentry
	url = $base/sentry
	org = acme
	project = checkout
	project = search
	project = payments
	interval = 30s
CONF
	for service in checkout search payments; do
		for m in "rpm rpm" "errors errors_per_minute" "latency latency_avg_seconds" \
			"latency_max latency_max_seconds" "cpu cpu_percent" "memory memory_percent"; do
			set -- $m
			printf '[metric "%s.%s"]\n\tsource = prometheus\n\tquery = sitrep:%s{service="%s"}\n' \
				"$service" "$1" "$2" "$service"
		done
	done
} >"$dir/config"
chmod 600 "$dir/config"
export XDG_STATE_HOME="$dir/state"
echo "sitrep demo: the simulated world at $base (log in $dir/sim.log); q quits" >&2
"$SITREP" --config "$dir/config" --db "$dir/demo.db"
