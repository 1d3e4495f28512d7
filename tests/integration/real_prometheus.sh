#!/bin/bash
# real_prometheus.sh - `sitrep sync --once` against real Prometheus, node_exporter and
# Alertmanager from Debian's packages, started here on loopback with their own data
# directories: Prometheus's firing alert and an alert posted to Alertmanager become
# incidents with the upstream's times, node_exporter's CPU and memory arrive as
# samples, and an alert resolved in Alertmanager is resolved in the cache. If a
# server cannot start, the test fails and says why.
set -u
. "$(dirname "$0")/lib.bash"
die() { echo "FAIL: $*"; for f in "$tmp"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

for b in prometheus prometheus-alertmanager prometheus-node-exporter curl; do
	command -v "$b" >/dev/null || die "$b is not installed (make check installs it: tools/install-deps.sh)"
done
# Ports in a range of their own, moved by the process id so two runs can coexist.
off=$(($$ % 500))
prom_port=$((21000 + off)) am_port=$((21500 + off)) node_port=$((22000 + off))
mkdir -p "$tmp/prom" "$tmp/am" "$tmp/textfile"
echo 'sitrep_test_gauge{name="demo"} 42' >"$tmp/textfile/sitrep.prom"

cat >"$tmp/am/am.yml" <<YML
route: {receiver: blackhole, group_by: ['alertname'], group_wait: 1s, group_interval: 5s, repeat_interval: 1h}
receivers: [{name: blackhole}]
YML
cat >"$tmp/prom/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$am_port']}]}]
rule_files: [rules.yml]
scrape_configs:
  - {job_name: prometheus, static_configs: [{targets: ['127.0.0.1:$prom_port']}]}
  - {job_name: node, static_configs: [{targets: ['127.0.0.1:$node_port']}]}
YML
cat >"$tmp/prom/rules.yml" <<'YML'
groups:
  - name: sitrep
    rules:
      - alert: SitrepTestAlwaysFiring
        expr: vector(1)
        labels: {severity: critical, service: checkout}
        annotations: {summary: "checkout is always on fire"}
      - alert: SitrepTestAfterPending
        expr: vector(1)
        for: 2s
        labels: {severity: warning, service: search}
        annotations: {summary: "search fired after its pending period"}
YML

prometheus-alertmanager --config.file="$tmp/am/am.yml" --storage.path="$tmp/am" \
	--web.listen-address=127.0.0.1:$am_port --cluster.listen-address= >"$tmp/am.log" 2>&1 </dev/null &
stop_on_exit $!
prometheus-node-exporter --web.listen-address=127.0.0.1:$node_port --no-collector.systemd \
	--collector.textfile.directory="$tmp/textfile" >"$tmp/node.log" 2>&1 </dev/null &
stop_on_exit $!
prometheus --config.file="$tmp/prom/prometheus.yml" --storage.tsdb.path="$tmp/prom/data" \
	--web.listen-address=127.0.0.1:$prom_port --rules.alert.resend-delay=1s \
	>"$tmp/prom.log" 2>&1 </dev/null &
stop_on_exit $!

prom=http://127.0.0.1:$prom_port am=http://127.0.0.1:$am_port
wait_for() { # description, command...
	local what=$1
	shift
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	die "$what did not happen within 30 s"
}
wait_for "Alertmanager ready" curl -fs --max-time 1 $am/-/ready
wait_for "Prometheus ready" curl -fs --max-time 1 $prom/-/ready
up_both() { curl -fs --max-time 1 "$prom/api/v1/query?query=count(up==1)" | grep -q '"2"'; }
wait_for "both scrape targets up" up_both
firing() { curl -fs --max-time 1 "$prom/api/v1/alerts" | grep -q '"state":"firing"'; }
wait_for "the always-firing alert" firing
pending_fired() {
	curl -fs --max-time 1 "$prom/api/v1/alerts" |
		grep -q '"alertname":"SitrepTestAfterPending"[^}]*}[^}]*}[^{]*"state":"firing"'
}
wait_for "the alert with a pending period to fire" pending_fired
# Prometheus forwards its firing alerts to Alertmanager, whose source syncs them too:
# wait until both have arrived there, or a later round would find one more.
both_in_am() {
	local alerts
	alerts=$(curl -fs --max-time 1 "$am/api/v2/alerts") || return 1
	echo "$alerts" | grep -q '"alertname":"SitrepTestAlwaysFiring"' &&
		echo "$alerts" | grep -q '"alertname":"SitrepTestAfterPending"'
}
wait_for "Prometheus's alerts in Alertmanager" both_in_am
cpu_range() {
	local n
	n=$(date +%s)
	curl -fs --max-time 1 "$prom/api/v1/query_range" --data-urlencode "start=$((n - 10))" \
		--data-urlencode "end=$n" --data-urlencode step=1 \
		--data-urlencode 'query=rate(node_cpu_seconds_total{mode="idle"}[5s])' | grep -q '"values"'
}
wait_for "CPU rates over a range" cpu_range

now=$(date -u +%FT%T.000Z)
curl -fs --max-time 5 -XPOST -H 'Content-Type: application/json' $am/api/v2/alerts \
	-d '[{"labels":{"alertname":"SitrepDiskFull","severity":"warning","service":"search"},"annotations":{"summary":"Disk almost full"},"startsAt":"'$now'"}]' ||
	die "posting an alert to Alertmanager"

cat >"$tmp/config" <<CONF
[source "prom"]
	type = prometheus
	url = $prom
	interval = 1s
[source "am"]
	type = alertmanager
	url = $am
[metric "node.cpu"]
	source = prom
	query = 100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\\"idle\\"}[5s])))
[metric "prometheus.memory"]
	source = prom
	query = process_resident_memory_bytes{job=\\"prometheus\\"} / 1048576
CONF
chmod 600 "$tmp/config"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }

run sync --once --verbose >"$tmp/out" 2>"$tmp/err" || fail "sync against the real servers: $(cat "$tmp/err")"
grep -q '^prom ' "$tmp/out" || fail "no line for prom: $(cat "$tmp/out")"
grep -q 'Authorization' "$tmp/err" && fail "a trace shows an Authorization header without a secret configured"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'prom' AND title LIKE '%always on fire%'")" = 1 ] ||
	fail "Prometheus's firing alert is not an incident: $(q 'SELECT source, title FROM incidents')"
# Detection is when the alert fired: activeAt plus the rule's pending period.
[ "$(q "SELECT detected_at - impact_start FROM incidents WHERE source = 'prom' AND title LIKE '%always on fire%'")" = 0 ] ||
	fail "an alert without a pending period was not detected when it became active"
[ "$(q "SELECT detected_at - impact_start FROM incidents WHERE source = 'prom' AND title LIKE 'search fired after%'")" = 2 ] ||
	fail "the 2 s pending period is not between impact start and detection: $(q "SELECT title, impact_start, detected_at FROM incidents WHERE source = 'prom'")"
[ "$(q "SELECT count(*) FROM incidents i JOIN services s ON s.id = i.service_id WHERE s.name = 'checkout'")" -ge 1 ] ||
	fail "the alert's service label was not used"
[ "$(q "SELECT count(*) FROM incidents WHERE source = 'am' AND title LIKE 'Disk almost full%' AND resolved_at IS NULL")" = 1 ] ||
	fail "the posted Alertmanager alert is not an open incident: $(q "SELECT source_id, title, resolved_at FROM incidents WHERE source = 'am'")"
started=$(date -u -d "$now" +%s)
[ "$(q "SELECT detected_at FROM incidents WHERE source = 'am' AND title LIKE 'Disk almost full%'")" = "$started" ] ||
	fail "detected_at is not Alertmanager's startsAt"
for m in node.cpu prometheus.memory; do
	n=$(q "SELECT count(*) FROM metric_samples s JOIN metric_series m ON m.id = s.series_id WHERE m.name = '$m'")
	[ "$n" -gt 0 ] || fail "no samples of $m"
done
v=$(q "SELECT max(value) FROM metric_samples s JOIN metric_series m ON m.id = s.series_id WHERE m.name = 'prometheus.memory'")
awk -v v="$v" 'BEGIN { exit !(v > 1 && v < 4096) }' || fail "Prometheus's resident memory in MB out of range: $v"
v=$(q "SELECT max(value) FROM metric_samples s JOIN metric_series m ON m.id = s.series_id WHERE m.name = 'node.cpu'")
awk -v v="$v" 'BEGIN { exit !(v >= 0 && v <= 100) }' || fail "CPU percent out of range: $v"

# The same round again adds no incident.
before=$(q "SELECT count(*) FROM incidents")
run sync --once >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM incidents")" = "$before" ] || fail "a second sync added incidents"

# Resolving the alert in Alertmanager resolves the incident.
curl -fs --max-time 5 -XPOST -H 'Content-Type: application/json' $am/api/v2/alerts \
	-d '[{"labels":{"alertname":"SitrepDiskFull","severity":"warning","service":"search"},"annotations":{"summary":"Disk almost full"},"startsAt":"'$now'","endsAt":"'$(date -u +%FT%T.000Z)'"}]' ||
	fail "resolving the alert"
sleep 1
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after resolving: $(cat "$tmp/err")"
[ "$(q "SELECT resolved_at IS NOT NULL FROM incidents WHERE source = 'am' AND title LIKE 'Disk almost full%'")" = 1 ] ||
	fail "the resolved alert is still open in the cache"
run status --format json | grep -q '"state": "ok"' || fail "status is not ok"

finish real_prometheus
