#!/bin/bash
# sim.sh - sitrep-sim on its own, over loopback with curl: every Prometheus and
# Alertmanager route answers with the real servers' shapes, answers are a function
# of seed and clock only (two runs agree byte for byte, and the built-in scenario
# equals data/sim/week.json), the clock moves the world, each fault kind breaks a
# request the way it promises, ETags give 304s, --require-token gives 401s, and
# SIGTERM stops it cleanly (exit 0; no leak or error under valgrind when present).
set -u
here=$(cd "$(dirname "$0")" && pwd)
week=$here/../../data/sim/week.json
. "$(dirname "$0")/lib.bash"

# start NAME ARGS...: runs the simulator (or a wrapper such as valgrind) on a free
# port; sets $pid and $base.
start() {
	local name=$1
	shift
	rm -f "$tmp/$name.port"
	"$@" --port 0 --port-file "$tmp/$name.port" >"$tmp/$name.log" 2>&1 &
	pid=$!
	stop_on_exit "$pid"
	for _ in $(seq 200); do
		[ -s "$tmp/$name.port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$tmp/$name.port" ]; then
		echo "FAIL: $name did not start: $(cat "$tmp/$name.log")"
		exit 1
	fi
	base="http://127.0.0.1:$(cat "$tmp/$name.port")"
}
# stop NAME PID: SIGTERM, then the exit status must be 0.
stop() {
	kill "$2"
	wait "$2"
	local rc=$?
	[ $rc = 0 ] || fail "$1: exit $rc after SIGTERM: $(tail -20 "$tmp/$1.log")"
	[ -e "$tmp/$1.port" ] && fail "$1: port file left behind"
}
# get URL [curl args]: body in $tmp/body, headers in $tmp/head, prints the status.
get() {
	local url=$1
	shift
	rm -f "$tmp/body" "$tmp/head"
	curl -s --max-time 5 -D "$tmp/head" -o "$tmp/body" -w '%{http_code}' "$@" "$url"
}
expect() { # what, status, url, [curl args]
	local what=$1 want=$2 url=$3 got
	shift 3
	got=$(get "$url" "$@")
	[ "$got" = "$want" ] || fail "$what: HTTP $got, expected $want: $(head -c 300 "$tmp/body")"
}
has() { grep -q -- "$2" "$tmp/body" || fail "$1: no $2 in $(head -c 300 "$tmp/body")"; }
hasnt() { grep -q -- "$2" "$tmp/body" && fail "$1: unexpected $2"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
# The entry of one alert, from a list of them, on a line of its own.
alert_of() { sed 's/},{"labels"/}\n{"labels"/g; s/},{"annotations"/}\n{"annotations"/g' "$tmp/body" |
	grep "\"alertname\":\"$1\""; }

P=/prometheus/api/v1
A=/alertmanager/api/v2

start main "$SITREP_SIM" --speed 0 --seed 7
main=$pid

# --- Prometheus: every route, its status and shape
expect "query" 200 "$base$P/query" -G --data-urlencode 'query=sitrep:rpm'
has "query" '^{"status":"success","data":{"resultType":"vector","result":\[{"metric":{"__name__":"sitrep:rpm","service":"checkout"},"value":\[1740988800,"[0-9.]*"\]}'
[ "$(grep -o '"service":' "$tmp/body" | wc -l)" = 3 ] || fail "query: one series per service expected"
expect "query with a matcher" 200 "$base$P/query" -G --data-urlencode 'query=sum by (service) (rate(http_requests_total{service="search",code=~"5.."}[5m])) * 60'
[ "$(grep -o '"service":"search"' "$tmp/body" | wc -l)" = 1 ] || fail "service matcher: $(cat "$tmp/body")"
hasnt "service matcher" '"checkout"'
cp "$tmp/body" "$tmp/get.json"
expect "query as a POST form" 200 "$base$P/query" --data-urlencode 'query=sum by (service) (rate(http_requests_total{service="search",code=~"5.."}[5m])) * 60'
cmp -s "$tmp/body" "$tmp/get.json" || fail "POST form and GET answer differently"
expect "aggregated query" 200 "$base$P/query" -G --data-urlencode 'query=sum(rate(http_requests_total{service="checkout"}[1m])) * 60'
has "aggregated query" '"result":\[{"metric":{},"value":'
expect "unknown bare metric" 200 "$base$P/query" -G --data-urlencode 'query=no_such_metric'
has "unknown bare metric" '"result":\[\]'
expect "unknown query" 400 "$base$P/query" -G --data-urlencode 'query=foo + bar'
has "unknown query" '"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\"'
expect "parse error" 400 "$base$P/query" -G --data-urlencode 'query=rate(up['
has "parse error" 'parse error'
expect "range" 200 "$base$P/query_range" -G --data-urlencode 'query=sitrep:cpu_percent{service="checkout"}' \
	-d start=2025-03-03T07:00:00Z -d end=2025-03-03T08:00:00Z -d step=15m
has "range" '"resultType":"matrix","result":\[{"metric":{"__name__":"sitrep:cpu_percent","service":"checkout"},"values":\[\[1740985200,"'
[ "$(grep -o '\[17409[0-9]*,"' "$tmp/body" | wc -l)" = 5 ] || fail "range: 5 points expected: $(cat "$tmp/body")"
expect "range too fine" 400 "$base$P/query_range" -G -d query=up -d start=0 -d end=110020 -d step=10
has "range too fine" 'exceeded maximum resolution of 11,000 points per timeseries'
expect "range bad start" 400 "$base$P/query_range" -G -d query=up -d start=yesterday -d end=1 -d step=1
expect "alerts" 200 "$base$P/alerts"
has "alerts" '^{"status":"success","data":{"alerts":\[{"labels":{"alertname":"'
grep -q -E '"activeAt":"2025-03-03T09:[0-9:]+\.[0-9]{1,9}\+02:00"' "$tmp/body" || fail "activeAt: nanoseconds and +02:00 expected"
has "alerts carry an escape sequence" '\\u001b\]0;owned\\u0007'
alert_of SearchLatencyHigh | grep -q '"state":"pending"' || fail "SearchLatencyHigh pending at start"
alert_of CheckoutHighErrorRate | grep -q '"state":"firing"' || fail "CheckoutHighErrorRate firing at start"
expect "rules" 200 "$base$P/rules"
has "rules" '"groups":\[{"name":"sitrep.recording"'
has "rules" '"type":"alerting"'
has "rules: Go escaping" '\\u003e 0.05'
expect "rules, one page" 200 "$base$P/rules?group_limit=1"
token=$(grep -o '"groupNextToken":"[0-9a-f]*"' "$tmp/body" | cut -d'"' -f4)
[ -n "$token" ] || fail "rules: no groupNextToken with group_limit=1"
expect "rules, next page" 200 "$base$P/rules?group_limit=1&group_next_token=$token"
has "rules, next page" '"name":"checkout.alerts"'
expect "targets" 200 "$base$P/targets"
has "targets" '"activeTargets":\[{"discoveredLabels"'
expect "buildinfo" 200 "$base$P/status/buildinfo"
has "buildinfo" '"version":"2.42.0"'
expect "unknown route" 404 "$base$P/nope"
expect "wrong method" 405 "$base$P/alerts" -X DELETE

# --- Alertmanager
expect "am alerts" 200 "$base$A/alerts"
has "am alerts" '^\[{"annotations":{'
grep -q -E '"fingerprint":"[0-9a-f]{16}"' "$tmp/body" || fail "am alerts: fingerprint"
has "am: the acknowledged alert is silenced" '"silencedBy":\["[0-9a-f-]\{36\}"\],"state":"suppressed"'
has "am: the warning is inhibited" '"inhibitedBy":\["[0-9a-f]\{16\}"\]'
alert_of SearchLatencyHigh >/dev/null && fail "am: a pending alert is listed"
ends=$(alert_of PaymentsWebhookBacklog | grep -o '"endsAt":"[^"]*"')
[ "$ends" \> '"endsAt":"2025-03-03T08:00:00.000Z"' ] || fail "am: endsAt $ends is not in the future"
expect "am groups" 200 "$base$A/alerts/groups"
has "am groups" '"labels":{"alertname":"CheckoutHighErrorRate"},"receiver":{"name":"team-checkout"}'
expect "am silences" 200 "$base$A/silences"
has "am silences" '"status":{"state":"active"}'
expect "am status" 200 "$base$A/status"
has "am status" '"cluster":{"peers":\[\],"status":"disabled"}'
expect "am filter" 200 "$base$A/alerts?filter=severity%3D%22critical%22&silenced=false"
[ "$(cat "$tmp/body")" = "[]" ] || fail "am filter: the critical alert is silenced: $(cat "$tmp/body")"
expect "am bad filter" 400 "$base$A/alerts?filter=severity~~x"
expect "post alerts" 200 "$base$A/alerts" -H 'Content-Type: application/json' --data-binary \
	'[{"labels":{"alertname":"SitrepDiskFull","severity":"critical","instance":"db01:9100","job":"node"},"annotations":{"summary":"Disk almost full on db01"},"startsAt":"2025-03-03T07:59:00.000Z"}]'
expect "posted alert listed" 200 "$base$A/alerts"
# The fingerprint real Alertmanager gives these labels (fixtures/live).
alert_of SitrepDiskFull | grep -q '"endsAt":"2025-03-03T08:05:00.000Z","fingerprint":"2c4297c6bd911066"' ||
	fail "posted alert: fingerprint or resolve_timeout: $(alert_of SitrepDiskFull)"
expect "post a bad alert" 422 "$base$A/alerts" -H 'Content-Type: application/json' --data-binary '[{"annotations":{}}]'
has "post a bad alert" '{"code":602,"message":"0.labels in body is required"}'
expect "post a silence" 200 "$base$A/silences" -H 'Content-Type: application/json' --data-binary \
	'{"matchers":[{"name":"alertname","value":"SitrepDiskFull","isRegex":false,"isEqual":true}],"startsAt":"2025-03-03T08:00:00Z","endsAt":"2025-03-03T09:00:00Z","createdBy":"t","comment":"c"}'
has "post a silence" '"silenceID":"'
expect "silenced" 200 "$base$A/alerts"
alert_of SitrepDiskFull | grep -q '"state":"suppressed"' || fail "posted silence not applied"

# --- requests are counted, with If-None-Match and the Authorization scheme
ctl DELETE requests >/dev/null
get "$base$A/alerts" -H 'If-None-Match: "abc"' -H 'Authorization: Bearer topsecret' >/dev/null
get "$base$A/alerts" >/dev/null
ctl GET requests >"$tmp/body"
has "request log" '"/alertmanager/api/v2/alerts":{"count":2,'
has "request log" '"if_none_match":null,"authorization":null'
get "$base$P/query?query=up" -H 'If-None-Match: "abc"' -H 'Authorization: Bearer topsecret' >/dev/null
ctl GET requests >"$tmp/body"
has "request log" '"if_none_match":"\\"abc\\"","authorization":"Bearer"'
has "request log keeps the arguments" '"args":{"query":"up"}'
hasnt "request log" topsecret

# --- ETag and 304 on Alertmanager /alerts and Prometheus /rules
for route in "$A/alerts" "$P/rules"; do
	get "$base$route" >/dev/null
	etag=$(grep -i '^etag:' "$tmp/head" | tr -d '\r' | cut -d' ' -f2)
	[ -n "$etag" ] || fail "$route: no ETag"
	expect "$route with If-None-Match" 304 "$base$route" -H "If-None-Match: $etag"
	[ -s "$tmp/body" ] && fail "$route: a 304 with a body"
	grep -q -i '^etag:' "$tmp/head" || fail "$route: a 304 without its ETag"
	expect "$route with another ETag" 200 "$base$route" -H 'If-None-Match: "0000000000000000"'
done

# --- determinism: same seed and clock, same bytes; the file equals the built-in
routes=("$P/query?query=sitrep:rpm" "$P/query_range?query=sitrep:latency_max_seconds&start=1740900000&end=1740988800&step=300"
	"$P/alerts" "$P/rules" "$A/alerts" "$A/alerts/groups" "$A/silences" "/_sim/scenario")
snapshot() { # dir
	mkdir -p "$1"
	local i=0
	for r in "${routes[@]}"; do
		curl -s --max-time 5 "$base$r" >"$1/$i"
		i=$((i + 1))
	done
}
start twin "$SITREP_SIM" --speed 0 --seed 7
twin=$pid
snapshot "$tmp/twin"
stop twin "$twin"
start file "$SITREP_SIM" --speed 0 --seed 7 --scenario "$week"
file=$pid
snapshot "$tmp/file"
stop file "$file"
start other "$SITREP_SIM" --speed 0 --seed 8
other=$pid
snapshot "$tmp/other"
stop other "$other"
base="http://127.0.0.1:$(cat "$tmp/main.port")"
curl -s --max-time 5 -X POST "$base/_sim/reset" >/dev/null
snapshot "$tmp/main"
for i in "${!routes[@]}"; do
	[ -s "$tmp/main/$i" ] || fail "determinism: empty answer for ${routes[$i]}"
	cmp -s "$tmp/main/$i" "$tmp/twin/$i" || fail "same seed, different answer: ${routes[$i]}"
	cmp -s "$tmp/main/$i" "$tmp/file/$i" || fail "data/sim/week.json differs from the built-in: ${routes[$i]}"
done
cmp -s "$tmp/main/0" "$tmp/other/0" && fail "another seed gave the same metrics"

# --- the clock moves the world
ctl GET clock >"$tmp/body"
has "clock" '"now":"2025-03-03T08:00:00.000Z"'
ctl POST clock '{"advance":"5m"}' >"$tmp/body"
has "advance" '"now":"2025-03-03T08:05:00.000Z"'
get "$base$P/alerts" >/dev/null
alert_of SearchLatencyHigh | grep -q '"state":"firing"' || fail "SearchLatencyHigh not firing 5 minutes on"
ctl POST clock '{"set":"2025-03-03T11:10:00Z"}' >"$tmp/body"
has "set" '"now":"2025-03-03T11:10:00.000Z"'
get "$base$P/query?query=up" >/dev/null
has "outage" '"service":"payments"},"value":\[1741000200,"0"\]'
get "$base$A/alerts" >/dev/null
has "outage alert" '"alertname":"PaymentsDown"'
hasnt "resolved alerts are not returned" CheckoutHighErrorRate
ctl POST clock '{"speed":36000}' >/dev/null
sleep 0.3
ctl POST clock '{"speed":0}' >"$tmp/body"
grep -q '"now":"2025-03-03T1[3-9]:' "$tmp/body" || fail "speed: the clock did not run: $(cat "$tmp/body")"
ctl POST clock '{"advance":"soon"}' | grep -q '"error"' || fail "a bad advance is not refused"

# --- faults, each kind, with count
Q="$base$P/query?query=up"
fault() { ctl POST fault "$1" | grep -q '"id":' || fail "fault not accepted: $1"; }
ctl DELETE fault >/dev/null
fault '{"route":"/prometheus/api/v1/query","kind":"status","status":500,"count":1}'
expect "status fault" 500 "$Q"
has "status fault" '"status":"error","errorType":"internal"'
expect "count: the fault is spent" 200 "$Q"
fault '{"route":"/alertmanager/*","kind":"status","status":503,"count":1}'
expect "status fault on alertmanager" 503 "$base$A/alerts"
has "status fault on alertmanager" '"code":503'
fault '{"route":"/prometheus/api/v1/query","kind":"delay","delay_ms":3000,"count":1}'
curl -s --max-time 1 -o /dev/null "$Q"
[ $? = 28 ] || fail "delay: curl --max-time 1 did not time out"
fault '{"route":"/prometheus/api/v1/query","kind":"delay","delay_ms":300,"count":1}'
t=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{time_total}' "$Q")
case $t in "200 0."[3-9]* | "200 "[1-4].*) ;; *) fail "short delay: $t" ;; esac
fault '{"route":"/prometheus/api/v1/query","kind":"truncate","count":1}'
expect "truncate" 200 "$Q"
[ "$(tail -c 1 "$tmp/body")" = "}" ] && fail "truncate: the body is complete"
grep -q '^{"status":"success"' "$tmp/body" || fail "truncate: not the start of the real body"
get "$base$A/alerts" >/dev/null
etag=$(grep -i '^etag:' "$tmp/head" | tr -d '\r' | cut -d' ' -f2)
fault '{"route":"/alertmanager/api/v2/alerts","kind":"truncate","count":1}'
expect "a body fault overrides If-None-Match" 200 "$base$A/alerts" -H "If-None-Match: $etag"
[ "$(tail -c 1 "$tmp/body")" = "]" ] && fail "truncate with If-None-Match: the body is complete"
fault '{"route":"/prometheus/api/v1/query","kind":"malformed","count":1}'
expect "malformed" 200 "$Q"
LC_ALL=C grep -q $'\x01' "$tmp/body" || fail "malformed: no control byte in the body"
fault '{"route":"/prometheus/api/v1/query","kind":"wrong_types","count":1}'
expect "wrong_types" 200 "$Q"
has "wrong_types" '"value":\["1741'
fault '{"route":"/prometheus/api/v1/query","kind":"rate_limit","retry_after":7,"count":1}'
expect "rate_limit" 429 "$Q"
grep -q -i '^retry-after: 7' "$tmp/head" || fail "rate_limit: no Retry-After: 7"
fault '{"route":"/prometheus/api/v1/query","kind":"reset","count":1}'
curl -s --max-time 5 -o /dev/null "$Q"
rc=$?
[ $rc = 52 ] || [ $rc = 56 ] || fail "reset: curl exit $rc, expected 52 or 56"
fault '{"route":"/prometheus/api/v1/query","kind":"huge","count":1}'
curl -s --max-time 5 --max-filesize 1000000 -o /dev/null "$Q"
rc=$?
[ $rc = 63 ] || fail "huge: curl exit $rc, expected 63 (maximum file size exceeded)"
fault '{"route":"/prometheus/api/v1/rules","kind":"stuck_cursor"}'
get "$base$P/rules?group_limit=1&group_next_token=$token" >/dev/null
has "stuck_cursor" "\"groupNextToken\":\"$token\""
ctl GET fault >"$tmp/body"
has "fault list" '"kind":"stuck_cursor"'
ctl DELETE fault >"$tmp/body"
[ "$(cat "$tmp/body")" = "[]" ] || fail "DELETE /_sim/fault left: $(cat "$tmp/body")"
expect "healthy again" 200 "$Q"
ctl POST fault '{"route":"/_sim/clock","kind":"reset"}' | grep -q '"error"' || fail "control routes must not be faulted"
ctl POST fault '{"route":"/x","kind":"bogus"}' | grep -q '"error"' || fail "a bad kind is not refused"

stop main "$main"

# --- --require-token: 401 without it, the control API stays open
start token "$SITREP_SIM" --speed 0 --require-token s3cret
tokpid=$pid
expect "no token" 401 "$base$P/alerts"
grep -q -i '^www-authenticate: Bearer' "$tmp/head" || fail "401 without WWW-Authenticate"
expect "wrong token" 401 "$base$A/alerts" -H 'Authorization: Bearer nope'
expect "right token" 200 "$base$A/alerts" -H 'Authorization: Bearer s3cret'
expect "control without a token" 200 "$base/_sim/clock"
stop token "$tokpid"

# --- a scenario file: its own services and incidents, a token and faults
cat >"$tmp/mini.json" <<'JSON'
{"name": "mini", "require_token": "t0k",
 "services": [{"name": "api", "rpm": 100}],
 "incidents": [{"id": "M-1", "service": "api", "severity": "critical", "alertname": "ApiDown",
                "symptom": "outage", "title": "API down", "impact": "-10m", "fire": "2025-03-03T07:55:00Z"}],
 "faults": [{"route": "/prometheus/api/v1/alerts", "kind": "status", "status": 502, "count": 1}]}
JSON
start mini "$SITREP_SIM" --speed 0 --scenario "$tmp/mini.json"
minipid=$pid
expect "scenario token" 401 "$base$A/alerts"
expect "scenario fault" 502 "$base$P/alerts" -H 'Authorization: Bearer t0k'
has "a proxy's 502 has no envelope" '502 Bad Gateway'
expect "scenario alerts" 200 "$base$A/alerts" -H 'Authorization: Bearer t0k'
has "scenario alert" '"startsAt":"2025-03-03T07:55:00.[0-9]*Z"'
has "scenario alert" '"labels":{"alertname":"ApiDown","service":"api","severity":"critical"}'
expect "scenario up" 200 "$base$P/query?query=up" -H 'Authorization: Bearer t0k'
has "scenario up" '"service":"api"},"value":\[1740988800,"0"\]'
stop mini "$minipid"

# --- --start now: the real time, or $SITREP_TIME_NOW
start now env SITREP_TIME_NOW=2025-06-01T12:00:00Z "$SITREP_SIM" --speed 0 --start now
nowpid=$pid
ctl GET clock | grep -q '"now":"2025-06-01T12:00:00.000Z"' || fail "--start now ignores SITREP_TIME_NOW"
stop now "$nowpid"

# --- usage errors exit 2, a bad scenario exits 1 and says where
"$SITREP_SIM" --bogus >/dev/null 2>&1
[ $? = 2 ] || fail "an unknown option must exit 2"
echo '{"services":[{"name":"a"}],"incidents":[{"id":"x","service":"a","alertname":"A","title":"t","impact":"+1h","resolv":"+2h"}]}' >"$tmp/bad.json"
"$SITREP_SIM" --scenario "$tmp/bad.json" >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "a bad scenario must exit 1"
grep -q 'incidents\[0\]: unknown key "resolv"' "$tmp/err" || fail "bad scenario message: $(cat "$tmp/err")"

# --- under valgrind: requests, faults in flight, then SIGTERM: no error, no leak
# An AddressSanitizer build (make check SAN=1) cannot run under valgrind; there
# LeakSanitizer makes a leak a non-zero exit, which stop() already checks.
if ldd "$SITREP_SIM" 2>/dev/null | grep -q libasan; then
	echo "sim: AddressSanitizer build, valgrind skipped"
elif command -v valgrind >/dev/null; then
	start valgrind valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
		"$SITREP_SIM" --speed 0
	vpid=$pid
	Q="$base$P/query?query=up"
	for r in "$P/alerts" "$P/rules" "$P/query?query=sitrep:rpm" "$A/alerts" "$A/alerts/groups" "$A/silences"; do
		curl -s --max-time 10 -o /dev/null "$base$r"
	done
	curl -s --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' "$base$A/alerts" \
		--data-binary '[{"labels":{"alertname":"X","service":"checkout"}}]'
	ctl POST fault '[{"route":"/prometheus/api/v1/query","kind":"wrong_types","count":1},{"route":"/prometheus/api/v1/query","kind":"reset","count":1},{"route":"/alertmanager/*","kind":"delay","delay_ms":10000}]' >/dev/null
	curl -s --max-time 10 -o /dev/null "$Q"
	curl -s --max-time 10 -o /dev/null "$Q"
	curl -s --max-time 10 -o /dev/null "$base$A/alerts" &
	sleep 0.5
	stop valgrind "$vpid"
	[ -s "$tmp/valgrind.log" ] && fail "valgrind: $(head -30 "$tmp/valgrind.log")"
	wait
else
	echo "sim: valgrind not installed, leak check skipped"
fi

finish sim
