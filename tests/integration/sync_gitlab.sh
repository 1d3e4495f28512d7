#!/bin/bash
# sync_gitlab.sh - `sitrep sync --once` of a gitlab source against sitrep-sim's GitLab
# dialect over loopback: every pipeline of three projects, its jobs as stages, and
# every deployment arrive with the values of the scenario's ground truth
# (GET /_sim/scenario) as GitLab shows them at the simulated instant, the access
# token in PRIVATE-TOKEN; a second round asks one list page per stream and adds
# nothing, a third is answered 304; as the clock moves, new and changed pipelines
# and deployments arrive, also after a round cut short in the middle of its jobs;
# every injected fault ends in a clear error with the data kept; and in a world
# where a rollback is GitLab's retry of an old deployment job, that deployment is
# a rollback of the one it replaced (an OAuth token, sent as a Bearer token). The
# projects' protected branch rules arrive as the ground truth's "branches_now" has
# them, once each however many rounds, and a fault on them keeps them.
set -u
. "$(dirname "$0")/lib.bash"

# sim TOKEN [OPTION...]: a frozen simulator that wants TOKEN.
sim() { start_sim --start 2025-03-03T10:00:00Z --require-token "$@"; }
sim glpat-s3cret

cat >"$tmp/config" <<CONF
[source "gitlab"]
	type = gitlab
	url = $base/gitlab
	project = acme/checkout
	project = acme/search
	project = acme/payments
	token = env:GL_TOKEN
CONF
chmod 600 "$tmp/config"
export GL_TOKEN=glpat-s3cret
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
fault() { ctl POST fault "$1" >/dev/null; }
clear_faults() { ctl DELETE fault >/dev/null; }

# ---- ground truth as GitLab shows it at NOW (jq over /_sim/scenario) -------------
JQ_DEFS='
def ep: if . == null then "" else (fromdateiso8601 | tostring) end;
def at($t): $t != null and $t <= $now;
def final: {"rolled_back": "failed", "pending": "queued", "waiting": "waiting"}[.] // .;'

# run_id|service|iid|ref|sha|source|actor|status|queued|started|finished|stages
expected_pipelines() {
	jq -r --arg now "$1" "$JQ_DEFS"'
	(.repositories | map({key: .service, value: (.branches | map({key: .name,
		value: .pr}) | from_entries)}) | from_entries) as $pr
	| .pipelines[] | select(.queued_at <= $now) | . as $p
	| (if at($p.finished_at) then ($p.status | final)
	   elif at($p.started_at) then
		(if any($p.stages[]; at(.ready_at) and (at(.started_at) | not) and
			(.approved_at != null or .status == "waiting")) then "waiting"
		 else "running" end)
	   else "queued" end) as $status
	| [.run_id, .service, .number,
	   (if .event == "pull_request" then "refs/merge-requests/\($pr[.service][.ref])/head"
	    else .ref end),
	   .sha, ({"pull_request": "merge_request_event", "workflow_dispatch": "web"}[.event]
		// .event),
	   .actor, $status, (.queued_at | ep),
	   (if at(.started_at) then .started_at | ep else "" end),
	   (if at(.finished_at) then .finished_at | ep else "" end), (.stages | length)]
	| map(tostring) | join("|")' "$tmp/scenario.json" | sort
}
got_pipelines() {
	q "SELECT p.source_id, s.name, p.number, p.ref, p.sha, p.event, p.actor, p.status,
		p.queued_at, p.started_at, p.finished_at,
		(SELECT count(*) FROM pipeline_stages WHERE pipeline_id = p.id)
	   FROM pipelines p JOIN services s ON s.id = p.service_id
	   WHERE p.source = '${2:-gitlab}'" | sort
}
# The stages of the pipelines over by NOW: run_id|position|name|kind|status|started|
# finished|coverage
expected_stages() {
	jq -r --arg now "$1" "$JQ_DEFS"'
	.pipelines[] | select(at(.finished_at)) | .run_id as $id | .stages | to_entries[]
	| .key as $i | .value
	| [$id, $i, (if .group == .name then .name else "\(.group): \(.name)" end),
	   {"lint": "lint", "unit": "test", "build": "build", "alpha": "publish",
	    "integration": "integration", "publish": "publish", "release": "release",
	    "staging": "deploy", "production": "deploy"}[.kind],
	   (.status | final),
	   (if at(.started_at) then .started_at | ep else "" end),
	   (if (.status == "success" or .status == "failed" or .status == "canceled")
		and at(.finished_at) then .finished_at | ep else "" end),
	   (if .kind == "unit" and .status == "success" then .coverage else "" end)]
	| map(tostring) | join("|")' "$tmp/scenario.json" | sort
}
got_stages() {
	q "SELECT p.source_id, st.position, st.name, st.kind, st.status, st.started_at,
		st.finished_at, CASE WHEN st.coverage IS NULL THEN '' ELSE printf('%g', st.coverage) END
	   FROM pipeline_stages st JOIN pipelines p ON p.id = st.pipeline_id
	   WHERE p.finished_at IS NOT NULL" | sort
}
# The deployments GitLab made (not Argo CD's), shown from when their job is made:
# num|service|environment|status|sha|started|finished|pipeline|replaces. A
# deployment replaces the environment's latest success with a lower id.
expected_deployments() {
	jq -r --arg now "$1" "$JQ_DEFS"'
	(.pipelines | map(.stages[] | select(.deployment != null) | {key: .deployment,
		value: .}) | from_entries) as $stage
	| (.pipelines | map({key: .id, value: .run_id}) | from_entries) as $run
	| [.deployments[] | select(.via == "pipeline")
	   | . + {created: ([$stage[.id].ready_at, .started_at] | map(select(. != null)) | min)}
	   | select(at(.created))] as $all
	| $all[] | . as $d
	| ([$all[] | select(.service == $d.service and .environment == $d.environment and
		.num < $d.num and .status == "success" and at(.finished_at))] | max_by(.num)
	   | if . == null then "" else .num end) as $replaces
	| [.num, .service, .environment,
	   (if at(.started_at) then (if at(.finished_at) then (.status | final) else "running" end)
	    elif $stage[.id].approved_at != null then "waiting" else "running" end),
	   .sha, (if at(.started_at) then .started_at else .created end | ep),
	   (if at(.finished_at) then .finished_at | ep else "" end), $run[.pipeline], $replaces]
	| map(tostring) | join("|")' "$tmp/scenario.json" | sort
}
got_deployments() {
	q "SELECT d.source_id, s.name, d.environment, d.status, d.sha, d.started_at,
		d.finished_at, d.pipeline, d.replaces
	   FROM deployments d JOIN services s ON s.id = d.service_id WHERE d.kind = 0" | sort
}
# Everything compared at NOW; a label for the messages.
compare_all() { # now, label
	ctl GET scenario >"$tmp/scenario.json"
	expected_pipelines "$1" >"$tmp/want-p"
	got_pipelines >"$tmp/got-p"
	[ -s "$tmp/want-p" ] || fail "$2: the scenario has no pipelines"
	diff "$tmp/want-p" "$tmp/got-p" >"$tmp/diff" || fail "$2: pipelines differ:
$(cat "$tmp/diff")"
	expected_stages "$1" >"$tmp/want-s"
	got_stages >"$tmp/got-s"
	diff "$tmp/want-s" "$tmp/got-s" >"$tmp/diff" || fail "$2: stages differ:
$(cat "$tmp/diff")"
	expected_deployments "$1" >"$tmp/want-d"
	got_deployments >"$tmp/got-d"
	diff "$tmp/want-d" "$tmp/got-d" >"$tmp/diff" || fail "$2: deployments differ:
$(cat "$tmp/diff")"
	[ "$(q "SELECT count(*) FROM deployments WHERE kind != 0")" = 0 ] ||
		fail "$2: a deployment taken for a rollback or a hotfix"
}
state() { q "SELECT (SELECT count(*) FROM pipelines) || '/' || (SELECT count(*) FROM
	pipeline_stages) || '/' || (SELECT count(*) FROM deployments) || '/' ||
	(SELECT sum(updated_at) FROM pipelines) || '/' || (SELECT sum(updated_at) FROM deployments)
	|| '/' || (SELECT group_concat(cursor, '#') FROM (SELECT cursor FROM sync_state
	ORDER BY stream)) || '/' || (SELECT group_concat(repo || ':' || name || ':' ||
	merge_access || ':' || updated_at, ',') FROM branches)"; }
# The protected branch rules of the three projects, as the truth and the cache
# have them.
truth_rules() {
	ctl GET scenario | jq -r '.branches_now.gitlab[]
	| select(.repo | test("^acme/(checkout|search|payments)$"))
	| [.repo, .name, .push_access, .merge_access, (if .force_push then 1 else 0 end),
	   (if .code_owner_approval then 1 else 0 end)] | join("|")' | sort
}
got_rules() {
	q "SELECT repo, name, push_access, merge_access, force_push, code_owner_approval
		FROM branches WHERE source = 'gitlab' AND protected AND head_sha IS NULL
		AND required_approvals IS NULL" | sort
}
compare_rules() {
	truth_rules >"$tmp/want-r"
	got_rules >"$tmp/got-r"
	[ "$(wc -l <"$tmp/want-r")" = 6 ] || fail "$1: the truth has $(wc -l <"$tmp/want-r") rules"
	diff "$tmp/want-r" "$tmp/got-r" >"$tmp/diff" || fail "$1: protected branches differ:
$(cat "$tmp/diff")"
}

# ---- the dialect answers as GitLab does ----------------------------------------
api() { curl -s --max-time 5 -H "PRIVATE-TOKEN: glpat-s3cret" -o "$tmp/api.json" \
	-w '%{http_code}' "$base/gitlab/api/v4/projects/$1"; }
[ "$(api 'acme%2Fcheckout/deployments?updated_after=2025-03-01T00:00:00Z')" = 400 ] &&
	jq -e '.message == "400 Bad request - `updated_at` filter requires `updated_at` sort"' \
		"$tmp/api.json" >/dev/null || fail "deployments: updated_after without its sort"
[ "$(api 'acme%2Fnope/pipelines')" = 404 ] &&
	jq -e '.message == "404 Project Not Found"' "$tmp/api.json" >/dev/null ||
	fail "an unknown project: $(cat "$tmp/api.json")"
[ "$(api 'acme%2Fcheckout/pipelines/1')" = 404 ] &&
	jq -e '.message == "404 Not found"' "$tmp/api.json" >/dev/null || fail "an unknown pipeline"
[ "$(curl -s -o "$tmp/api.json" -w '%{http_code}' "$base/gitlab/api/v4/projects/48151600/pipelines")" = 401 ] &&
	jq -e '.message == "401 Unauthorized"' "$tmp/api.json" >/dev/null || fail "no token: not a 401"
[ "$(api '48151600/pipelines?per_page=3&page=2')" = 200 ] && [ "$(jq length "$tmp/api.json")" = 3 ] &&
	jq -e 'map(.id) == (map(.id) | sort | reverse)' "$tmp/api.json" >/dev/null ||
	fail "pipelines: not newest first by default"

# ---- the first round: everything, as the scenario says -------------------------
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^gitlab  *ok' "$tmp/out" || fail "no ok line: $(cat "$tmp/out")"
compare_all 2025-03-03T10:00:00Z "at 10:00"
compare_rules "at 10:00"
[ "$(q "SELECT push_access || '/' || merge_access FROM branches
	WHERE repo = 'acme/payments' AND name = 'release/*'")" = "no one/maintainer" ] ||
	fail "payments release/* rule"
n=$(q "SELECT count(*) FROM pipelines")
[ "$n" -gt 25 ] || fail "only $n pipelines"
[ "$(q "SELECT count(*) FROM pipeline_stages")" -gt 150 ] || fail "too few stages"
[ "$(q "SELECT count(*) FROM deployments")" -gt 20 ] || fail "too few deployments"
# At the start: checkout's hotfix pipeline runs, payments 2.14.1 waits for its
# production approval (a blocked deployment), search's canary is under way.
for s in 'running|checkout' 'waiting|payments' 'running|search'; do
	q "SELECT p.status || '|' || s.name FROM pipelines p JOIN services s ON s.id = p.service_id" |
		grep -qx "$s" || fail "no $s pipeline"
done
[ "$(q "SELECT count(*) FROM deployments WHERE status = 'waiting' AND environment = 'production'
	AND finished_at IS NULL")" = 1 ] || fail "no deployment waiting for approval"
# The aborted canary of search 3.8.0 is a failed deployment, as its job failed.
[ "$(q "SELECT count(*) FROM deployments WHERE status = 'failed'")" -ge 2 ] ||
	fail "the failed deployments are missing"
# Merge request pipelines run on their merge request's ref.
[ "$(q "SELECT count(*) FROM pipelines WHERE event = 'merge_request_event' AND
	ref LIKE 'refs/merge-requests/%/head'")" -gt 0 ] || fail "no merge request pipeline"
ctl GET requests >"$tmp/req.json"
jq -e '[.routes | to_entries[] | select(.key | startswith("/gitlab/"))] | length > 50 and
	all(.[]; .value.authorization == "PRIVATE-TOKEN" and .value.token_ok == true)' \
	"$tmp/req.json" >/dev/null || fail "requests without the token: $(cat "$tmp/req.json")"
# The first round reads two weeks back.
jq -e '.routes["/gitlab/api/v4/projects/acme/checkout/pipelines"].args == {"updated_after":
	"2025-02-17T10:00:00.000Z", "order_by": "updated_at", "sort": "asc", "per_page": "100"}' \
	"$tmp/req.json" >/dev/null ||
	fail "the last pipelines list asked for: $(jq -c '.routes["/gitlab/api/v4/projects/acme/checkout/pipelines"]' "$tmp/req.json")"
# One pipeline, every field, from the cache's export.
id=$(jq -r '[.pipelines[] | select(.service == "checkout" and .status == "success" and
	.finished_at <= "2025-03-03T10:00:00Z")] | last | .run_id' "$tmp/scenario.json")
run export pipelines --format json >"$tmp/export.json" || fail "export pipelines"
jq -e --arg id "$id" --arg base "$base" '.pipelines[] | select(.id == $id) |
	.project == "acme/checkout" and .service == "checkout" and .name == "deploy" and
	.url == "\($base)/gitlab/acme/checkout/-/pipelines/\($id)" and
	(.stages | length) == 8 and .stages[1].name == "test: unit-tests" and
	.stages[1].kind == "test" and (.stages[1].coverage | type) == "number" and
	(.stages[7].url | startswith("\($base)/gitlab/acme/checkout/-/jobs/"))' \
	"$tmp/export.json" >/dev/null ||
	fail "pipeline $id as exported: $(jq -c --arg id "$id" '.pipelines[] | select(.id == $id)' "$tmp/export.json")"

# ---- a second round: one list page per stream, nothing added; a third: 304s ----
before=$(state)
ctl DELETE requests >/dev/null
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the second round changed the data"
ctl GET requests >"$tmp/req.json"
jq -e '(.routes | keys) == (["acme/checkout", "acme/payments", "acme/search"] |
	map("/gitlab/api/v4/projects/\(.)/deployments", "/gitlab/api/v4/projects/\(.)/pipelines",
	"/gitlab/api/v4/projects/\(.)/protected_branches") | sort) and all(.routes[]; .count == 1 and .if_none_match != null)' "$tmp/req.json" \
	>/dev/null || fail "the second round asked more than one list page a stream: $(cat "$tmp/req.json")"
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "third sync: $(cat "$tmp/err")"
grep -q '^gitlab  *ok  *0 records  *0 pages' "$tmp/out" ||
	fail "the third round was not all 304s: $(cat "$tmp/out")"
[ "$(state)" = "$before" ] || fail "the third round changed the data"

# ---- an hour later, with a round cut short in the middle of the chain ----------
ctl POST clock '{"advance": "1h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T11:00:00Z
fault '{"route": "/gitlab/api/v4/projects/acme/checkout/pipelines/*", "kind": "status", "status": 500, "count": 4}'
run sync --once >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "a failing pipeline request: exit 1 expected"
grep -q 'pipelines:acme/checkout: HTTP 500: 500 Internal Server Error' "$tmp/err" ||
	fail "the cut round: $(cat "$tmp/err")"
q "SELECT cursor FROM sync_state WHERE stream = 'pipelines:acme/checkout'" | grep -q '"pending":\[' ||
	fail "the cut round left no pending pipelines"
clear_faults
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 11:00: $(cat "$tmp/err")"
compare_all 2025-03-03T11:00:00Z "at 11:00"
q "SELECT cursor FROM sync_state WHERE stream = 'pipelines:acme/checkout'" | grep -q pending &&
	fail "pipelines still pending after a whole round"
# The hotfix shipped at 10:10: its deployment and its pipeline, over.
[ "$(q "SELECT count(*) FROM deployments d JOIN services s ON s.id = d.service_id
	WHERE s.name = 'checkout' AND environment = 'production' AND status = 'success'
	AND started_at >= strftime('%s', '2025-03-03T10:00:00Z')")" = 1 ] || fail "no hotfix deployment"

# ---- two more hours: the search canary promoted, payments 2.14.1 approved ------
ctl POST clock '{"advance": "2h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T13:00:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 13:00: $(cat "$tmp/err")"
compare_all 2025-03-03T13:00:00Z "at 13:00"
ctl POST clock '{"advance": "3h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T16:00:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 16:00: $(cat "$tmp/err")"
compare_all 2025-03-03T16:00:00Z "at 16:00"
compare_rules "at 16:00"
[ "$(q "SELECT count(*) FROM branches WHERE source = 'gitlab'")" = 6 ] ||
	fail "protected branches written twice"
[ "$(q "SELECT count(*) FROM deployments WHERE status = 'waiting'")" = 0 ] ||
	fail "the approved deployment still waits"

# ---- faults: exit 1, a clear error in the state, nothing lost -------------------
before=$(state)
check_fault() { # json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	grep -q 's3cret' "$tmp/err" "$tmp/out" && fail "fault $1: the token is in the output"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "gitlab") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: gitlab not failing in status"
	jq -r '.sources[] | select(.name == "gitlab") | .last_error' "$tmp/status.json" |
		grep -q -E "$2" || fail "fault $1: the error is not in status: $(cat "$tmp/status.json")"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
route='/gitlab/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" \
	'acme/checkout: HTTP 500: 500 Internal Server Error \(a GitLab server error\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 502}" \
	'HTTP 502: <html> <head><title>502 Bad Gateway'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" \
	'HTTP 401: 401 Unauthorized \(check the token\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'HTTP 403: 403 Forbidden \(the token needs the read_api scope\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 404}" \
	'HTTP 404: 404 Project Not Found \(check url and project'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 429}" \
	'HTTP 429: Retry later \(rate limited by GitLab\); the rate limit resets at 20'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" 'HTTP 429'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'acme/checkout: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" \
	'((pipelines:acme/checkout: pipeline|deployments:acme/checkout: deployment) 0: id is a string, not an integer|branches:acme/checkout: protected branch 0: allow_force_push is a string, not a boolean)'
check_fault "{\"route\": \"/gitlab/api/v4/projects/acme/checkout/deployments\", \"kind\": \"wrong_types\"}" \
	'deployments:acme/checkout: deployment 0: id is a string, not an integer'
check_fault '{"route": "/gitlab/api/v4/projects/acme/payments/protected_branches", "kind":
	"status", "status": 500}' 'branches:acme/payments: HTTP 500: 500 Internal Server Error'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" 'larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'no response'
GL_TOKEN=glpat-wrong check_fault '{"route": "/nowhere", "kind": "reset"}' \
	'HTTP 401: 401 Unauthorized \(check the token\)'

# A page that names itself as the next one: stopped, and what came before is kept.
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}"
"$SITREP" --config "$tmp/config" --db "$tmp/stuck.db" sync --once >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "stuck cursor: exit 1 expected"
grep -q 'did not advance' "$tmp/err" || fail "stuck cursor: $(cat "$tmp/err")"
clear_faults
"$SITREP" --config "$tmp/config" --db "$tmp/stuck.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "after the stuck cursor: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/stuck.db" "SELECT count(*) FROM pipelines")" = "$(q "SELECT count(*) FROM pipelines")" ] ||
	fail "after the stuck cursor: not every pipeline arrived"

# A 429 that asks for a short wait is honoured.
fault "{\"route\": \"/gitlab/api/v4/projects/acme/search/pipelines\", \"kind\": \"rate_limit\", \"retry_after\": 1, \"count\": 1}"
run sync --once >/dev/null 2>"$tmp/err" || fail "a 429 with Retry-After: 1: $(cat "$tmp/err")"

# ---- back to health ----------------------------------------------------------
clear_faults
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'gitlab ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

# ---- a project of 260 pipelines: the list asked again from the moved mark --------
stop_sim
jq -n '{name: "bulk", services: [{name: "bulk", repo: "acme/bulk"}],
	commits: [range(260) | {id: "c\(.)", service: "bulk", author: "ana",
		message: "change \(.)", time: "-\(260 - .)h"}],
	pipelines: [range(260) | {id: "p\(.)", commit: "c\(.)", queued: "-\(260 - .)h",
		template: "ci"}]}' >"$tmp/bulk.json"
sim glpat-s3cret --scenario "$tmp/bulk.json"
printf '[source "bulk"]\n\ttype = gitlab\n\turl = %s/gitlab\n\tproject = acme/bulk\n\ttoken = env:GL_TOKEN\n' \
	"$base" >"$tmp/config-bulk"
chmod 600 "$tmp/config-bulk"
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
"$SITREP" --config "$tmp/config-bulk" --db "$tmp/bulk.db" sync --once >"$tmp/out" 2>"$tmp/err" ||
	fail "260 pipelines: $(cat "$tmp/err")"
ctl GET scenario >"$tmp/scenario.json"
want=$(jq -r '.pipelines[] | "\(.run_id)|\(.number)|\(.status)|\(.stages | length)"' \
	"$tmp/scenario.json" | sort)
got=$(sqlite3 "$tmp/bulk.db" "SELECT source_id || '|' || number || '|' || status || '|' ||
	(SELECT count(*) FROM pipeline_stages WHERE pipeline_id = p.id) FROM pipelines p" | sort)
[ "$(echo "$got" | wc -l)" = 260 ] && [ "$got" = "$want" ] ||
	fail "260 pipelines: $(diff <(echo "$want") <(echo "$got") | head -5)"
ctl GET requests | jq -e '.routes["/gitlab/api/v4/projects/acme/bulk/pipelines"] |
	.count == 3 and (.args | has("page") | not)' >/dev/null ||
	fail "260 pipelines: not three lists: $(ctl GET requests | jq -c '.routes["/gitlab/api/v4/projects/acme/bulk/pipelines"]')"

# ---- a rollback the GitLab way: payments 2.14.0 rolled back by retrying 2.13.2's job
stop_sim
jq '(.deployments[] | select(.id == "DEP-119") | .via) = "gitlab"' data/sim/week.json \
	>"$tmp/week-gitlab.json" || fail "cannot write the scenario"
sim 5f0c1a2b3c4d-oauth --scenario "$tmp/week-gitlab.json"
cat >"$tmp/config-rb" <<CONF
[source "gl"]
	type = gitlab
	url = $base/gitlab/api/v4
	project = 48151602
	token = env:GL_OAUTH
CONF
chmod 600 "$tmp/config-rb"
export GL_OAUTH=5f0c1a2b3c4d-oauth SITREP_TIME_NOW=2025-03-03T16:00:00Z
ctl POST clock '{"advance": "6h"}' >/dev/null
"$SITREP" --config "$tmp/config-rb" --db "$tmp/rb.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "rollback world: $(cat "$tmp/err")"
ctl GET scenario >"$tmp/scenario.json"
num() { jq -r --arg id "$1" '.deployments[] | select(.id == $id) | .num' "$tmp/scenario.json"; }
got=$(sqlite3 "$tmp/rb.db" "SELECT kind || '|' || fixes || '|' || replaces || '|' || sha || '|' ||
	status FROM deployments WHERE source_id = '$(num DEP-119)'")
want="2|$(num DEP-118)|$(num DEP-118)|$(jq -r '.deployments[] | select(.id == "DEP-102") | .sha' "$tmp/scenario.json")|success"
[ "$got" = "$want" ] || fail "DEP-119: got '$got', want '$want' (a rollback of DEP-118)"
[ "$(sqlite3 "$tmp/rb.db" "SELECT count(*) FROM deployments WHERE kind = 2")" = 1 ] ||
	fail "more than one rollback"
got=$(sqlite3 "$tmp/rb.db" "SELECT replaces FROM deployments WHERE source_id = '$(num DEP-127)'")
[ "$got" = "$(num DEP-119)" ] || fail "DEP-127 replaces '$got', not the rollback"
got=$(sqlite3 "$tmp/rb.db" "SELECT DISTINCT project || '|' || s.name FROM pipelines p JOIN services s
	ON s.id = p.service_id")
[ "$got" = "acme/payments|payments" ] || fail "project by id: '$got'"
ctl GET requests | jq -e '[.routes | to_entries[] | select(.key | startswith("/gitlab/"))] |
	length > 0 and all(.[]; .value.authorization == "Bearer" and .value.token_ok == true)' \
	>/dev/null || fail "the OAuth token did not go as a Bearer token"

finish sync_gitlab
