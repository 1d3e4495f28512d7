#!/bin/bash
# sync_github.sh - `sitrep sync --once` with a GitHub source against sitrep-sim over
# loopback: the workflow runs of three repositories become pipelines with their jobs
# as stages, and the deployments their deploy jobs made become deployments, each
# field equal to the scenario's ground truth (GET /_sim/scenario) at the simulated
# instant; a second round sends If-None-Match and is answered 304, but for the one
# deployment still rolling out; a round broken off half-way is resumed where it
# stopped, not at the list; two hours later new and finished runs and deployments
# arrive, and only their jobs and statuses are read; more than 100 runs come over
# two Link pages; and every injected fault (5xx, 401, 403 rate limit, 404, 429,
# malformed, truncated and mistyped JSON, a cursor that does not advance, a reset)
# ends with a clear error in the sync state, exit 1, and the data intact. The
# branches stream: every branch with its head and protection rules, and the check
# runs of every head, equal to the ground truth's "branches_now"; a second round
# sends If-None-Match for the list, each protection and each head's checks, all
# answered 304; a fault on one protection fails that stream alone and keeps its rows.
set -u
. "$(dirname "$0")/lib.bash"

start_sim --start 2025-03-03T10:00:00Z --require-token s3cret

cat >"$tmp/config" <<CONF
[source "gh"]
	type = github
	url = $base/github
	repo = acme/checkout
	repo = acme/search
	repo = acme/payments
	token = env:GH_TOKEN
CONF
chmod 600 "$tmp/config"
export GH_TOKEN=s3cret
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
count() { sqlite3 "$tmp/c.db" "$1"; }
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
requests() { curl -s --max-time 5 "$base/_sim/requests"; }
clear_requests() { curl -s --max-time 5 -X DELETE "$base/_sim/requests" >/dev/null; }
epoch() { date -u -d "$1" +%s; }
# Everything the source wrote, in one line per row.
state() {
	count "SELECT p.source_id, p.status, p.started_at, p.finished_at, p.updated_at,
		(SELECT group_concat(name || ':' || status || ':' || IFNULL(started_at, '') ||
			':' || IFNULL(finished_at, ''), ',') FROM pipeline_stages
			WHERE pipeline_id = p.id) FROM pipelines p ORDER BY p.source_id;
	       SELECT source_id, status, finished_at, replaces, updated_at FROM deployments
		ORDER BY source_id;
	       SELECT * FROM branches ORDER BY id; SELECT * FROM check_runs ORDER BY id" | md5sum
}

# The ground truth at the simulated instant $1 (epoch), as the source must have it.
# Pipelines: what GitHub shows at that instant (a queued run has not started, a job
# exists once it could start, a job that never ran has no times); deployments: those
# a deploy job made (an Argo CD rollback is not on GitHub), each replacing the last
# success to its environment that GitHub shows.
truth_jq='
def t: if . == null then null else fromdateiso8601 end;
def cell: if . == null then "" else tostring end;
def kinds: {"lint": "lint", "unit-tests": "test", "docker build": "build",
	"publish alpha": "publish", "integration-tests": "integration", "publish": "publish",
	"release branch": "release", "deploy staging": "deploy", "deploy production": "deploy"};
def sstat($now): if .started_at == null then .status
	elif $now < (.started_at | t) then (if .approved_at != null then "waiting" else "queued" end)
	elif .finished_at == null or $now < (.finished_at | t) then "running"
	else .status end;
def listed($now): .ready_at != null and (.ready_at | t) <= $now;
def pstat($now): if .finished_at != null and (.finished_at | t) <= $now then .status
	elif (.started_at | t) > $now then "queued"
	elif any(.stages[] | select(listed($now)); sstat($now) == "waiting") then "waiting"
	else "running" end;
(.repositories | map({key: .service, value: .repo}) | from_entries) as $repo
| (.pipelines | map({key: .id, value: .}) | from_entries) as $pl
| (.deployments | map({key: .id, value: .}) | from_entries) as $dep
'
truth_pipelines() {
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r --argjson now "$1" "$truth_jq"'
	| .pipelines[] | select((.queued_at | t) <= $now) | . as $p | pstat($now) as $st
	| [.run_id, $repo[.service], .service, .name, .number, .ref, .sha, .event, .actor, $st,
	   (.queued_at | t), (if $st == "queued" then null else .started_at | t end),
	   (if .finished_at != null and (.finished_at | t) <= $now then .finished_at | t
	    else null end),
	   "https://github.com/\($repo[.service])/actions/runs/\(.run_id)"]
	  + [.stages | to_entries[] | select(.value | listed($now)) | .key as $i | .value
	     | sstat($now) as $ss
	     | "\(.name)/\(kinds[.name])/\($ss)/\(if $ss == "queued" or $ss == "waiting"
		or $ss == "skipped" or .started_at == null then "" else .started_at | t end)/\(
		if ($ss == "success" or $ss == "failed" or $ss == "canceled") and .started_at != null
		then .finished_at | t else "" end)/https://github.com/\($repo[$p.service])/actions/runs/\(
		$p.run_id)/job/\($p.run_id * 100 + $i + 1)"] | map(cell) | join("|")' | sort
}
got_pipelines() {
	count "SELECT p.source_id, p.project, s.name, p.name, p.number, p.ref, p.sha, p.event,
		p.actor, p.status, p.queued_at, p.started_at, p.finished_at, p.url ||
		IFNULL((SELECT '|' || group_concat(name || '/' || IFNULL(kind, '') || '/' || status ||
			'/' || IFNULL(started_at, '') || '/' || IFNULL(finished_at, '') || '/' ||
			IFNULL(url, ''), '|') FROM (SELECT * FROM pipeline_stages
			WHERE pipeline_id = p.id ORDER BY position)), '')
		FROM pipelines p JOIN services s ON s.id = p.service_id
		WHERE p.source = 'gh'" | sort
}
truth_deployments() {
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r --argjson now "$1" "$truth_jq"'
	| def visible($d): $d.via == "pipeline";
	  def prev($id): if $id == null then null elif visible($dep[$id]) then $dep[$id].num
		else prev($dep[$id].previous) end;
	.deployments[] | select(visible(.) and (.started_at | t) <= $now) | . as $d
	| (.finished_at | t) as $fin
	| ($pl[.pipeline].stages | to_entries[] | select(.value.deployment == $d.id) | .key) as $i
	| [.num, .service, .environment,
	   (if $fin <= $now then (if .status == "canceled" then "failed" else .status end)
	    else "running" end),
	   ({"normal": 0, "hotfix": 1, "rollback": 2}[.kind]), .version, .sha, (.started_at | t),
	   (if $fin <= $now then $fin else null end), null, prev(.previous), $pl[.pipeline].run_id,
	   "https://github.com/\($repo[.service])/actions/runs/\($pl[.pipeline].run_id)/job/\(
		$pl[.pipeline].run_id * 100 + $i + 1)"] | map(cell) | join("|")' | sort
}
got_deployments() {
	count "SELECT d.source_id, s.name, d.environment, d.status, d.kind, d.version, d.sha,
		d.started_at, d.finished_at, d.fixes, d.replaces, d.pipeline, d.url
		FROM deployments d JOIN services s ON s.id = d.service_id WHERE d.source = 'gh'" |
		sort
}
# check_truth WHEN: the cache equals the ground truth at WHEN.
check_truth() {
	local now
	now=$(epoch "$1")
	truth_pipelines "$now" >"$tmp/want-p"
	got_pipelines >"$tmp/got-p"
	[ -s "$tmp/want-p" ] || fail "$1: no pipelines in the ground truth"
	diff "$tmp/want-p" "$tmp/got-p" >"$tmp/diff-p" || fail "$1: pipelines differ: $(cat "$tmp/diff-p")"
	truth_deployments "$now" >"$tmp/want-d"
	got_deployments >"$tmp/got-d"
	[ -s "$tmp/want-d" ] || fail "$1: no deployments in the ground truth"
	diff "$tmp/want-d" "$tmp/got-d" >"$tmp/diff-d" || fail "$1: deployments differ: $(cat "$tmp/diff-d")"
}
# Branches with their rules and head, and the check runs of the heads, as the
# ground truth has them at the simulated now (flags 1/0, unknown empty).
truth_branches() {
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r '
	def b: if . == null then "" elif . then 1 else 0 end;
	def cell: if . == null then "" else tostring end;
	.branches_now.github[] | select(.repo | test("^acme/(checkout|search|payments)$"))
	| [.repo, .name, .head, (.protected | b), .required_checks, .required_approvals,
	   (.force_push | b), (.enforce_admins | b), (.code_owner_approval | b)]
	| map(cell) | join("|")' | sort
}
got_branches() {
	count "SELECT repo, name, head_sha, protected, required_checks, required_approvals,
		force_push, enforce_admins, code_owner_approval FROM branches WHERE source = 'gh'" |
		sort
}
truth_checks() {
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r '.branches_now.check_runs[]
	| select(.repo | test("^acme/(checkout|search|payments)$"))
	| [.repo, .sha, .name, .status] | join("|")' | sort
}
got_checks() {
	count "SELECT repo, sha, name, status FROM check_runs WHERE source = 'gh' AND sha IN
		(SELECT head_sha FROM branches WHERE source = 'gh')" | sort
}
check_branches() {
	truth_branches >"$tmp/want-b"
	got_branches >"$tmp/got-b"
	grep -q '|1|lint, unit-tests|1|0|1|1$' "$tmp/want-b" || fail "$1: no protected main in the truth"
	diff "$tmp/want-b" "$tmp/got-b" >"$tmp/diff-b" || fail "$1: branches differ: $(cat "$tmp/diff-b")"
	truth_checks >"$tmp/want-c"
	got_checks >"$tmp/got-c"
	[ "$(wc -l <"$tmp/want-c")" -gt 20 ] || fail "$1: too few check runs in the truth"
	diff "$tmp/want-c" "$tmp/got-c" >"$tmp/diff-c" || fail "$1: check runs differ: $(cat "$tmp/diff-c")"
}
# The ETag the simulator gives a URL now.
etag_of() {
	curl -s --max-time 5 -o /dev/null -D - -H "Authorization: Bearer s3cret" "$base$1" |
		tr -d '\r' | sed -n 's/^ETag: //Ip'
}
# not_modified ROUTE QUERY: the last request to ROUTE sent the current ETag (a 304).
not_modified() {
	local sent
	sent=$(jq -r --arg r "$1" '.routes[$r].if_none_match // ""' "$tmp/req.json")
	[ -n "$sent" ] && [ "$sent" = "$(etag_of "$1?$2")" ]
}

# --- a first sync: every run, job and deployment, as the ground truth has them
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
pages=$(sed -n 's/^gh .* \([0-9][0-9]*\) pages .*/\1/p' "$tmp/out")
[ "${pages:-0}" -gt 40 ] || fail "expected a page per run and deployment, got: $(cat "$tmp/out")"
check_truth 2025-03-03T10:00:00Z
check_branches "at 10:00"
# What a person checks: payments' release branch asks for two approvals and the
# integration tests; checkout's hotfix pipeline still builds main's head.
[ "$(count "SELECT required_checks || '/' || required_approvals || '/' || enforce_admins
	FROM branches WHERE repo = 'acme/payments' AND name = 'release/2.14'")" = \
	"lint, unit-tests, integration-tests/2/0" ] || fail "payments release/2.14 rules"
[ "$(count "SELECT c.status FROM check_runs c JOIN branches b ON b.head_sha = c.sha
	AND b.repo = c.repo WHERE b.repo = 'acme/checkout' AND b.name = 'main'
	AND c.name = 'docker build'")" = running ] || fail "checkout main's docker build runs"
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" export branches --format csv >"$tmp/b.csv" ||
	fail "export branches"
[ "$(head -1 "$tmp/b.csv")" = "source,repo,name,head_sha,protected,required_checks,required_approvals,force_push,enforce_admins,code_owner_approval,push_access,merge_access,updated_at" ] ||
	fail "export branches header: $(head -1 "$tmp/b.csv")"
grep -q '^gh,acme/payments,release/2.14,[0-9a-f]\{40\},true,"lint, unit-tests, integration-tests",2,false,false,false,,,2025-03-03T10:00:00Z$' \
	"$tmp/b.csv" || fail "export branches row: $(cat "$tmp/b.csv")"
"$SITREP" --config "$tmp/config" --db "$tmp/c.db" export checks --format json >"$tmp/c.json" ||
	fail "export checks"
[ "$(jq '.checks | length' "$tmp/c.json")" = "$(count 'SELECT count(*) FROM check_runs')" ] ||
	fail "export checks: $(head -c 300 "$tmp/c.json")"
status_of() { count "SELECT status FROM $1 WHERE source_id = '$2'"; }
[ "$(status_of pipelines 13500029066)" = running ] || fail "the hotfix pipeline should run"
[ "$(status_of pipelines 13500025839)" = waiting ] ||
	fail "payments 2.14.1 should wait for its production approval"
[ "$(status_of deployments 1600016217)" = rolled_back ] ||
	fail "the aborted search 3.8.0 canary should be rolled back"
[ "$(status_of deployments 1600022351)" = running ] || fail "the search 3.8.1 canary runs"
requests >"$tmp/req.json"
jq -e '[.routes | to_entries[] | select(.key | startswith("/github/"))] | length > 40 and
	all(.value.authorization == "Bearer" and .value.token_ok == true)' "$tmp/req.json" \
	>/dev/null || fail "not every request sent the bearer token"
jq -e '.routes["/github/repos/acme/search/actions/runs/13500027683/jobs"].args.per_page == "100"' \
	"$tmp/req.json" >/dev/null || fail "jobs not read 100 a page: $(cat "$tmp/req.json")"

# --- a second round: 304s, but for the canary still rolling out (its statuses, then
# the list it forgoes the 304 of); nothing changes
before=$(state)
clear_requests
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
requests >"$tmp/req.json"
for repo in checkout search payments; do
	not_modified "/github/repos/acme/$repo/actions/runs" "per_page=100&exclude_pull_requests=true" ||
		fail "$repo: the runs list was not answered 304: $(cat "$tmp/req.json")"
done
for repo in checkout payments; do
	not_modified "/github/repos/acme/$repo/deployments" "per_page=100" ||
		fail "$repo: the deployments list was not answered 304"
done
jq -e '(.routes | keys | map(select(startswith("/github/") and
	(test("/branches|/check-runs") | not))) | sort) == [
	"/github/repos/acme/checkout/actions/runs", "/github/repos/acme/checkout/deployments",
	"/github/repos/acme/payments/actions/runs", "/github/repos/acme/payments/deployments",
	"/github/repos/acme/search/actions/runs", "/github/repos/acme/search/deployments",
	"/github/repos/acme/search/deployments/1600022351/statuses"]' "$tmp/req.json" >/dev/null ||
	fail "the second round read more than it needed: $(jq -c '.routes | keys' "$tmp/req.json")"
grep -q '^gh .* 1 records .* 2 pages' "$tmp/out" || fail "second round: $(cat "$tmp/out")"
# The branches stream: the list, every protection and every head's checks asked
# with their ETag, and answered 304.
n=0
for route in $(jq -r '.routes | keys[] | select(test("^/github/.*(/branches|/check-runs)"))' \
	"$tmp/req.json"); do
	n=$((n + 1))
	case $route in
	*/protection) query= ;;
	*) query=per_page=100 ;;
	esac
	not_modified "$route" "$query" || fail "$route: not answered 304 in the second round"
done
[ "$n" = "$(( $(count "SELECT count(*) FROM branches WHERE protected") + 3 +
	$(count "SELECT count(DISTINCT repo || head_sha) FROM branches") ))" ] ||
	fail "the second round made $n branch requests"
[ "$(state)" = "$before" ] || fail "the second round changed the data"

# --- faults: exit 1, a clear error in the state, nothing lost
check_fault() { # json, expected error pattern
	clear_faults
	fault "$1"
	run sync --once >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -i -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "gh") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: gh not failing in status"
	jq -r '.sources[] | select(.name == "gh") | .last_error' "$tmp/status.json" |
		grep -q -i -E "$2" || fail "fault $1: the error is not in status: $(cat "$tmp/status.json")"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed"
	[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
	grep -q s3cret "$tmp/out" "$tmp/err" "$tmp/status.json" && fail "fault $1: the token leaked"
}
route='/github/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" 'HTTP 500: Server Error'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" \
	'HTTP 401: Bad credentials \(check the token\)'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 404}" \
	'HTTP 404: Not Found \(check the repo'
# The spent primary limit: its reset is the next hour, an epoch second.
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'HTTP 403: API rate limit exceeded.*the rate limit resets at 2025-03-03T11:00:00Z'
# The secondary limit: Retry-After 60 s, longer than the engine waits.
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 429}" \
	'HTTP 429: You have exceeded a secondary rate limit.*retry after 2025-03-03T10:01:00Z'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" \
	'HTTP 429: Too Many Requests; rate limited: retry after 2025-03-03T10:05:00Z'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" 'not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" 'not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" \
	'id is a string, not an integer|protected is not a boolean'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'no response'
# One protection fails: its stream alone, the rows stay.
check_fault '{"route": "/github/repos/acme/payments/branches/release/2.14/protection",
	"kind": "status", "status": 502}' 'branches:acme/payments: HTTP 502'
check_fault '{"route": "/github/repos/acme/checkout/commits/*", "kind": "malformed"}' \
	'branches:acme/checkout: the response is not JSON'
GH_TOKEN=wrong check_fault '{"route": "/nowhere", "kind": "reset"}' 'HTTP 401: Bad credentials'

# A list that names itself as its next page: a first round (later ones stop at the
# mark, or are answered 304) stops, and sets no mark.
clear_faults
fault "{\"route\": \"$route\", \"kind\": \"stuck_cursor\"}"
"$SITREP" --config "$tmp/config" --db "$tmp/fresh.db" sync --once >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "stuck cursor: exit 1 expected"
grep -q 'did not advance' "$tmp/err" || fail "stuck cursor: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/fresh.db" "SELECT count(*) FROM sync_state
	WHERE json_extract(cursor, '$.mark') IS NOT NULL")" = 0 ] ||
	fail "stuck cursor: a mark was saved for a pass that did not finish"

# --- back to health
clear_faults
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'gh ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"
check_truth 2025-03-03T10:00:00Z

# --- a round broken off half-way is resumed where it stopped: a fresh cache whose
# first round fails at the jobs of checkout 1.42.0 (pl-co-7)
jobs=/github/repos/acme/checkout/actions/runs/13500018050/jobs
fault "{\"route\": \"$jobs\", \"kind\": \"status\", \"status\": 404}"
fault "{\"route\": \"/github/repos/acme/checkout/actions/runs/13500016995/jobs\",
	\"kind\": \"status\", \"status\": 502}"
"$SITREP" --config "$tmp/config" --db "$tmp/r.db" sync --once >/dev/null 2>"$tmp/err" &&
	fail "the broken round should fail"
grep -q 'runs:acme/checkout: HTTP 502' "$tmp/err" || fail "broken round: $(cat "$tmp/err")"
n=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM pipelines WHERE project = 'acme/checkout'")
[ "$n" -gt 0 ] && [ "$n" -lt 10 ] || fail "broken round: $n checkout pipelines"
# pl-co-7's jobs were gone (a 404): its run is dropped, the pass goes on.
[ "$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM pipelines WHERE source_id = '13500018050'")" = 0 ] ||
	fail "a run whose jobs are gone was written"
clear_faults
clear_requests
"$SITREP" --config "$tmp/config" --db "$tmp/r.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "resumed round: $(cat "$tmp/err")"
requests >"$tmp/req.json"
jq -e '.routes["/github/repos/acme/checkout/actions/runs/13500016995/jobs"].count == 1 and
	.routes["/github/repos/acme/checkout/actions/runs"] == null and
	(.routes["/github/repos/acme/checkout/actions/runs/13500028855/jobs"] == null)' \
	"$tmp/req.json" >/dev/null ||
	fail "the round did not resume where the last stopped: $(jq -c '.routes | keys' "$tmp/req.json")"
n=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM pipelines WHERE project = 'acme/checkout'")
[ "$n" = 10 ] || fail "resumed round: $n checkout pipelines, want 10 (11 but the gone one)"

# --- two hours later: the hotfix is out, the canary promoted; six hours later, the
# payments approval given. Only new and changed runs have their jobs read.
clear_requests
curl -s --max-time 5 -X POST "$base/_sim/clock" -d '{"advance": "6h"}' >/dev/null
export SITREP_TIME_NOW=2025-03-03T16:00:00Z
# A branch the cache knows that GitHub no longer lists (deleted meanwhile) goes
# once the list, which changed (payments gained a branch), is read again.
count "INSERT INTO branches(source, repo, name, head_sha, protected, updated_at)
	VALUES ('gh', 'acme/payments', 'feature/deleted-upstream', 'abc', 0, 1)"
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 16:00: $(cat "$tmp/err")"
check_truth 2025-03-03T16:00:00Z
check_branches "at 16:00"
[ "$(count "SELECT count(*) FROM branches WHERE name = 'feature/deleted-upstream'")" = 0 ] ||
	fail "a branch deleted upstream is still in the cache"
requests >"$tmp/req.json"
jq -e '.routes["/github/repos/acme/checkout/actions/runs/13500029066/jobs"].count == 1 and
	.routes["/github/repos/acme/payments/actions/runs/13500025839/jobs"].count == 1 and
	.routes["/github/repos/acme/checkout/actions/runs/13500028855/jobs"] == null and
	.routes["/github/repos/acme/search/actions/runs/13500021234/jobs"] == null' \
	"$tmp/req.json" >/dev/null ||
	fail "at 16:00, jobs read: $(jq -c '.routes | keys' "$tmp/req.json")"
[ "$(count "SELECT kind || ' ' || replaces FROM deployments WHERE source_id = '1600026767'")" = \
	"1 1600024941" ] || fail "the hotfix 1.43.1 should be a hotfix replacing 1.43.0"
# payments 2.14.1 replaces 2.14.0: its rollback (Argo CD) is not on GitHub.
[ "$(count "SELECT replaces FROM deployments WHERE source_id = '1600029288'")" = 1600018835 ] ||
	fail "payments 2.14.1 should replace 2.14.0"
# Nothing runs now: a further round is 304s only.
after=$(state)
clear_requests
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "third sync: $(cat "$tmp/err")"
grep -q '^gh .* 0 records .* 0 pages' "$tmp/out" || fail "third round: $(cat "$tmp/out")"
requests >"$tmp/req.json"
jq -e '[.routes | to_entries[] | select(.key | startswith("/github/"))] as $all
	| ($all | all(.value.if_none_match != null)) and
	([$all[] | select(.key | test("/branches|/check-runs") | not)] | length == 6)' \
	"$tmp/req.json" >/dev/null ||
	fail "third round: $(cat "$tmp/req.json")"
[ "$(state)" = "$after" ] || fail "the third round changed the data"
grep -q s3cret "$tmp/c.db" && fail "the token is in the cache"

# --- more than 100 runs: two list pages, the second in the /repositories/ID form
stop_sim
jq -n '{name: "bulk", services: [{name: "bulk", repo: "acme/bulk"}],
	commits: ([range(0; 131)] | map({id: "c\(.)", service: "bulk", author: "ana",
		message: "Change \(.)", time: "-\((131 - .) * 60)m"})),
	pipelines: ([range(1; 131)] | map({id: "p\(.)", commit: "c\(.)",
		queued: "-\((131 - .) * 60 - 5)m", template: "ci"}))}' >"$tmp/bulk.json"
start_sim --start 2025-03-03T10:00:00Z --require-token s3cret --scenario "$tmp/bulk.json"
cat >"$tmp/config-bulk" <<CONF
[source "gh"]
	type = github
	url = $base/github
	repo = acme/bulk
	token = env:GH_TOKEN
CONF
chmod 600 "$tmp/config-bulk"
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
"$SITREP" --config "$tmp/config-bulk" --db "$tmp/b.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "bulk sync: $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/b.db" "SELECT count(*) || ' ' || (SELECT count(*) FROM pipeline_stages)
	FROM pipelines")" = "130 650" ] || fail "bulk: $(sqlite3 "$tmp/b.db" 'SELECT count(*) FROM pipelines')"
requests >"$tmp/req.json"
jq -e '.routes["/github/repositories/617210000/actions/runs"].args.page == "2"' "$tmp/req.json" \
	>/dev/null || fail "bulk: no second page: $(jq -c '.routes | keys[0:3]' "$tmp/req.json")"
clear_requests
"$SITREP" --config "$tmp/config-bulk" --db "$tmp/b.db" sync --once >"$tmp/out" 2>"$tmp/err" ||
	fail "bulk second sync: $(cat "$tmp/err")"
grep -q '^gh .* 0 pages' "$tmp/out" || fail "bulk second round: $(cat "$tmp/out")"

finish sync_github
