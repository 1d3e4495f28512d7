#!/bin/bash
# sync_jenkins.sh - `sitrep sync --once` of a jenkins source against sitrep-sim's
# Jenkins dialect over loopback (multibranch Pipeline projects, Basic auth with an
# API token): every build of four branch jobs is one pipeline whose sha, times and
# status, and every stage whose name, kind, status and times, are the scenario's
# ground truth (GET /_sim/scenario) at the simulated instant; the deploy stages are
# the scenario's deployments (environment, outcome as Jenkins can tell it, version,
# sha, times, the approval of a gated one, the commits of a changeset); a second
# round lists each job and describes only the builds still running, adding
# nothing; an hour later the builds that ended meanwhile arrive; a source without
# jobs finds them and syncs them the round after; and every injected fault ends in
# exit 1, a clear error in `sitrep status`, the data intact and no secret shown.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
token=jk-11e4a7d0c2b95f3e
start_sim --start $start --require-token $token

# jk names four branch jobs (a release branch's '/' is %2F in its job's name);
# jk-all names none and finds every job.
cat >"$tmp/config" <<CONF
[source "jk"]
	type = jenkins
	url = $base/jenkins
	job = checkout/main
	job = search/main
	job = payments/release%2F2.14
	job = checkout/feature%2Fmerchant-limits
	user = sitrep
	token = env:JK_TOKEN
[source "jk-all"]
	type = jenkins
	url = $base/jenkins/
	user = sitrep
	token = env:JK_TOKEN
CONF
chmod 600 "$tmp/config"
export JK_TOKEN=$token
export SITREP_TIME_NOW=$start
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
fault() { ctl POST fault "$1" >/dev/null; }
clear_faults() { ctl DELETE fault >/dev/null; }
epoch() { date -u -d "$1" +%s; }

# What Jenkins shows of the scenario at an instant, one line per record, from the
# ground truth: the build number of a run is its place in its branch's queue order,
# the job is SERVICE/BRANCH with the branch's '/' as %2F. A gated stage began when
# it could start (the wait is an input step's pause); what Jenkins cannot tell
# (a rolled-back or canceled deployment) is failed.
cat >"$tmp/expect.jq" <<'JQ'
def t: if . == null then null else fromdate end;
def job: .service + "/" + (.ref | gsub("/"; "%2F"));
def sid($all): . as $p | job + "#" + ([$all[] | select(.service == $p.service
	and .ref == $p.ref and .queued_at <= $p.queued_at)] | length | tostring);
def status_at($now): if (.finished_at | t) != null and (.finished_at | t) <= $now then .status
	elif any(.stages[]; .approved_at != null and (.ready_at | t) <= $now
		and (.approved_at | t) > $now) then "waiting"
	else "running" end;
def kind: {"lint": "lint", "unit": "test", "build": "build", "alpha": "publish",
	"integration": "integration", "publish": "publish", "release": "release",
	"staging": "deploy", "production": "deploy"}[.];
def ended($now): (.finished_at | t) != null and (.finished_at | t) <= $now;
# A stage at now: [status, started, finished], or null while it has not begun.
def stage_at($now):
	if .ready_at == null or (.ready_at | t) > $now then null
	elif .started_at == null then
		(if .status == "waiting" then ["waiting", (.ready_at | t), null] else ["skipped", null, null] end)
	elif (.started_at | t) > $now then
		(if .approved_at != null then ["waiting", (.ready_at | t), null] else null end)
	else [(if ended($now) then .status else "running" end),
		(if .approved_at != null then .ready_at else .started_at end | t),
		(if ended($now) then (.finished_at | t) else null end)]
	end;
def jobs: $jobs | split(" ");
(.pipelines) as $all
| [$all[] | select((job as $j | jobs | index($j)) and (.started_at | t) <= $now)] as $mine
| if $what == "pipelines" then
	$mine[] | [sid($all), .sha, (.started_at | t),
		(if ended($now) then (.finished_at | t) else "" end), status_at($now)] | join("|")
  elif $what == "stages" then
	$mine[] | sid($all) as $id | [.stages[] | stage_at($now) as $s | select($s)
		| [.name, (.kind | kind)] + $s] | to_entries[]
	| [$id, (.key | tostring)] + (.value | map(. // "")) | map(tostring) | join("|")
  elif $what == "deployments" then
	(INDEX($mine[]; .id)) as $by | .deployments[]
	| select(.pipeline and $by[.pipeline] and (.started_at | t) <= $now)
	| [($by[.pipeline] | sid($all)) + "@" + .environment, .service, .environment,
		(if ended($now) then (if .status == "success" then "success" else "failed" end)
		 else "running" end),
		.version, .sha, (.started_at | t), (if ended($now) then (.finished_at | t) else "" end)]
	| map(tostring) | join("|")
  else empty end
JQ
jobs="checkout/main search/main payments/release%2F2.14 checkout/feature%2Fmerchant-limits"
expect() { # WHAT NOW
	jq -r --arg what "$1" --argjson now "$2" --arg jobs "$jobs" -f "$tmp/expect.jq" \
		"$tmp/truth.json" | sort
}
got_pipelines() {
	q "SELECT source_id || '|' || sha || '|' || started_at || '|' || coalesce(finished_at, '')
		|| '|' || status FROM pipelines WHERE source = 'jk'" | sort
}
got_stages() {
	q "SELECT p.source_id || '|' || s.position || '|' || s.name || '|' || coalesce(s.kind, '')
		|| '|' || s.status || '|' || coalesce(s.started_at, '') || '|'
		|| coalesce(s.finished_at, '') FROM pipeline_stages s
		JOIN pipelines p ON p.id = s.pipeline_id WHERE p.source = 'jk'" | sort
}
got_deployments() {
	q "SELECT d.source_id || '|' || v.name || '|' || environment || '|' || status || '|'
		|| version || '|' || sha || '|' || started_at || '|' || coalesce(finished_at, '')
		FROM deployments d JOIN services v ON v.id = d.service_id WHERE source = 'jk'" | sort
}
# compare WHAT NOW: the cache's records of WHAT equal the ground truth's at NOW.
compare() {
	expect "$1" "$2" >"$tmp/want.$1"
	"got_$1" >"$tmp/got.$1"
	[ -s "$tmp/want.$1" ] || fail "$1: the ground truth has none"
	diff "$tmp/want.$1" "$tmp/got.$1" >"$tmp/diff.$1" ||
		fail "$1 differ from the ground truth at $2 (< truth, > cache): $(cat "$tmp/diff.$1")"
}
routes() { ctl GET requests | jq -r '.routes | keys[]' | sort; }

ctl GET scenario >"$tmp/truth.json"
now=$(epoch $start)

# --- the first round: every build of the four jobs, with its stages and deployments
run sync --once --source jk >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^jk  *ok' "$tmp/out" || fail "no ok line for jk: $(cat "$tmp/out")"
compare pipelines "$now"
compare stages "$now"
compare deployments "$now"
n=$(q "SELECT count(*) FROM pipelines WHERE source = 'jk'")
[ "$n" -ge 12 ] || fail "expected at least 12 builds, got $n"
# A gated production deploy (payments 2.14.0, approved by hand): the stage began
# when it could, the deployment at the approval.
row=$(q "SELECT d.started_at || '|' || s.started_at FROM deployments d
	JOIN pipelines p ON p.source_id = d.pipeline JOIN pipeline_stages s ON s.pipeline_id = p.id
	WHERE d.source_id = 'payments/release%2F2.14#1@production' AND s.name = 'deploy production'")
want="$(jq -r '.deployments[] | select(.id == "DEP-118") | .started_at | fromdate' "$tmp/truth.json")|$(
	jq -r '.pipelines[] | select(.id == "pl-pa-6r") | .stages[] | select(.kind == "production") | .ready_at | fromdate' "$tmp/truth.json")"
[ "$row" = "$want" ] || fail "gated deploy: got '$row', expected '$want'"
# The commits of checkout 1.43.0's changeset are those it shipped (DEP-124).
got=$(q "SELECT group_concat(c.sha || '@' || c.committed_at, ' ') FROM (SELECT c.* FROM
	deployment_commits c JOIN deployments d ON d.id = c.deployment_id
	WHERE d.source_id = 'checkout/main#4@production' ORDER BY c.position) c")
want=$(jq -r '[.deployments[] | select(.id == "DEP-124") | .commits[] |
	.sha + "@" + (.committed_at | fromdate | tostring)] | join(" ")' "$tmp/truth.json")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "DEP-124 commits: got '$got', expected '$want'"
row=$(q "SELECT project || '|' || ref || '|' || event || '|' || actor || '|' || name
	FROM pipelines WHERE source_id = 'payments/release%2F2.14#1'")
[ "$row" = "acme/payments|release/2.14|scm|scm|release/2.14" ] || fail "pipeline fields: '$row'"
ctl GET requests | jq -e '.routes["/jenkins/job/checkout/job/main/api/json"] |
	.authorization == "Basic" and .token_ok == true' >/dev/null || fail "no accepted Basic auth"
grep -q -F "$token" "$tmp/out" "$tmp/err" && fail "the token is shown"

# --- a second round: one list per job, a describe per running build, nothing new
before=$(q "SELECT (SELECT count(*) FROM pipelines) || '/' || (SELECT count(*) FROM pipeline_stages)
	|| '/' || (SELECT count(*) FROM deployments)")
running=$(q "SELECT count(*) FROM pipelines WHERE source = 'jk' AND status IN ('running', 'waiting')")
[ "$running" -ge 2 ] || fail "expected builds still running at the start, got $running"
ctl DELETE requests >/dev/null
run sync --once --source jk >/dev/null 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
after=$(q "SELECT (SELECT count(*) FROM pipelines) || '/' || (SELECT count(*) FROM pipeline_stages)
	|| '/' || (SELECT count(*) FROM deployments)")
[ "$before" = "$after" ] || fail "the second sync changed the data: $before -> $after"
lists=$(routes | grep -c '/api/json$')
describes=$(routes | grep -c '/wfapi/describe$')
[ "$lists" = 4 ] || fail "second round: $lists list requests, expected 4: $(routes)"
[ "$describes" = "$running" ] || fail "second round: $describes describes, expected $running: $(routes)"
routes | grep -q '/job/checkout/job/main/4/wfapi/describe' && fail "an ended build described again"
ctl GET requests | jq -e '[.routes[] | .count] | all(. == 1)' >/dev/null ||
	fail "a request made twice in one round: $(ctl GET requests)"
compare pipelines "$now"

# --- an hour later: the hotfix pipeline and the search canary have ended
ctl POST clock '{"advance": "1h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T11:00:00Z
later=$(epoch $SITREP_TIME_NOW)
run sync --once --source jk >/dev/null 2>"$tmp/err" || fail "sync an hour later: $(cat "$tmp/err")"
compare pipelines "$later"
compare stages "$later"
compare deployments "$later"
s=$(q "SELECT status FROM deployments WHERE source_id = 'search/main#6@production'")
[ "$s" = success ] || fail "the search 3.8.1 canary promoted at +25m: '$s'"

# --- discovery: the first round finds the jobs, the next syncs them
run sync --once --source jk-all >/dev/null 2>"$tmp/err" || fail "discovery: $(cat "$tmp/err")"
n=$(q "SELECT count(*) FROM pipelines WHERE source = 'jk-all'")
[ "$n" = 0 ] || fail "discovery: builds in the first round ($n)"
found=$(q "SELECT cursor FROM sync_state WHERE source = 'jk-all' AND stream = 'jobs'")
echo "$found" | jq -e 'index("payments/release%2F2.14") and index("checkout/main") and length >= 10' \
	>/dev/null || fail "discovery: jobs found: $found"
run sync --once --source jk-all >/dev/null 2>"$tmp/err" || fail "discovery, then: $(cat "$tmp/err")"
n=$(q "SELECT count(*) FROM pipelines WHERE source = 'jk-all'")
want=$(jq --argjson now "$later" '[.pipelines[] | select((.started_at | fromdate) <= $now)] | length' \
	"$tmp/truth.json")
[ "$n" = "$want" ] || fail "discovery: $n builds, expected every one started ($want)"

# --- faults: exit 1, a clear error in status, nothing lost (the builds a round
# had still to describe when it failed may stay queued in the cursor: the next
# round lists the job afresh)
snapshot() {
	q "SELECT (SELECT count(*) || ',' || max(updated_at) FROM pipelines) || '/' ||
		(SELECT count(*) FROM pipeline_stages) || '/' || (SELECT count(*) FROM deployments) || '/' ||
		(SELECT group_concat(json_remove(cursor, '$.queue'), ';') FROM sync_state
		 WHERE source = 'jk')"
}
check_fault() { # json, expected error pattern
	local before
	clear_faults
	before=$(snapshot)
	fault "$1"
	run sync --once --source jk >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "jk") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: jk not failing in status"
	jq -r '.sources[] | select(.name == "jk") | .streams[].last_error // empty' \
		"$tmp/status.json" | grep -q -E "$2" || fail "fault $1: status does not say it"
	[ "$(snapshot)" = "$before" ] || fail "fault $1: data changed ($before -> $(snapshot))"
	grep -q -F "$token" "$tmp/out" "$tmp/err" "$tmp/status.json" && fail "fault $1: token shown"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
lists='/jenkins/job/*'
check_fault "{\"route\": \"$lists\", \"kind\": \"status\", \"status\": 500}" \
	'the build list: HTTP 500 \(a Jenkins server error\)'
check_fault "{\"route\": \"$lists\", \"kind\": \"status\", \"status\": 404}" \
	'HTTP 404 \(no such job at this url'
check_fault "{\"route\": \"$lists\", \"kind\": \"malformed\"}" 'not JSON'
check_fault "{\"route\": \"$lists\", \"kind\": \"truncate\"}" 'not JSON'
check_fault "{\"route\": \"$lists\", \"kind\": \"wrong_types\"}" \
	'build 0: number is a string, not an integer'
check_fault "{\"route\": \"$lists\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'HTTP 429'
check_fault "{\"route\": \"$lists\", \"kind\": \"reset\"}" 'no response'
# The describe of the build that waits for its approval until +5h.
check_fault '{"route": "/jenkins/job/payments/job/release%2F2.14/2/wfapi/describe", "kind": "status", "status": 502}' \
	'builds:payments/release%2F2.14: build #2: wfapi/describe: HTTP 502 \(a Jenkins server error\)'
q "SELECT cursor FROM sync_state WHERE stream = 'builds:payments/release%2F2.14'" | jq -e '.open == [2]' \
	>/dev/null || fail "the waiting build is no longer open after its describe failed"
clear_faults

# --- harmless ones: a short 429 is waited out, a stuck range changes nothing here
fault "{\"route\": \"$lists\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once --source jk >/dev/null 2>"$tmp/err" || fail "429 with Retry-After: 1: $(cat "$tmp/err")"
fault "{\"route\": \"$lists\", \"kind\": \"stuck_cursor\"}"
run sync --once --source jk >/dev/null 2>"$tmp/err" || fail "stuck_cursor: $(cat "$tmp/err")"
clear_faults
compare pipelines "$later"

# --- credentials: a wrong token is refused (401), none at all may not read (403)
JK_TOKEN=wrong-token run sync --once --source jk >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "wrong token: exit 1 expected"
grep -q 'HTTP 401 (the user and API token were refused' "$tmp/err" ||
	fail "wrong token: error not clear: $(cat "$tmp/err")"
grep -q wrong-token "$tmp/err" && fail "wrong token: the token is in the error"
sed -e '/^\[source "jk"\]/,/^\[/{/user =/d;/token =/d}' "$tmp/config" >"$tmp/anon"
chmod 600 "$tmp/anon"
"$SITREP" --config "$tmp/anon" --db "$tmp/c.db" sync --once --source jk >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "anonymous: exit 1 expected"
grep -q 'HTTP 403 (the user may not read it: it needs Overall/Read and Job/Read)' "$tmp/err" ||
	fail "anonymous: error not clear: $(cat "$tmp/err")"

# --- back to health
run sync --once --source jk >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
run status >"$tmp/line" || fail "status line"
grep -q 'jk ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"
compare deployments "$later"

finish sync_jenkins
