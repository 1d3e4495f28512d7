#!/bin/bash
# rollback_gitlab.sh - `sitrep rollback` with the gitlab: executor against sitrep-sim's
# GitLab dialect: the retry of the target deployment's job is POSTed once, GitLab's
# answer becomes a new deployment of the target's sha that the next sync shows as a
# rollback, and the audit says so; a 500 is sent once and audited as failed; a job
# GitLab no longer knows (404) fails with GitLab's words; the plan names the job.
set -u
. "$(dirname "$0")/lib.bash"

token=glpat-s3cret
start_sim --start 2025-03-05T10:00:00Z --require-token "$token"
export SITREP_TIME_NOW=2025-03-05T10:00:00Z GL_TOKEN=$token
unset SSH_CLIENT

cat >"$tmp/config" <<CONF
[sitrep]
	user = carol
[source "gl"]
	type = gitlab
	url = $base/gitlab
	project = acme/checkout
	token = env:GL_TOKEN
	timeout = 2s
[deploy "checkout.production"]
	rollback = gitlab:acme/checkout
CONF
chmod 600 "$tmp/config"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
sent() {
	ctl GET requests | jq --arg r "$1" --arg m "$2" \
		'[.routes | to_entries[] | select(.key == $r and .value.method == $m) | .value.count] | add // 0'
}
retries() { # POSTs to any job's retry route
	ctl GET requests | jq '[.routes | to_entries[] | select((.key | test("/jobs/[0-9]+/retry$"))
		and .value.method == "POST") | .value.count] | add // 0'
}
newest() {
	q "SELECT d.kind || '|' || d.sha FROM deployments d JOIN services s
		ON s.id = d.service_id WHERE d.source = 'gl' AND d.environment = 'production'
		AND s.name = 'checkout' ORDER BY d.started_at DESC, d.id DESC LIMIT 1"
}

run sync --once >/dev/null 2>"$tmp/err" || fail "the first sync: $(cat "$tmp/err")"
# The two newest successful production deployments, from the ground truth.
ctl GET scenario >"$tmp/scenario.json"
read -r cur_v cur_sha <<<"$(jq -r '[.deployments[] | select(.service == "checkout" and
	.environment == "production" and .status == "success" and .finished_at <= "2025-03-05T10:00:00Z")]
	| sort_by(.started_at) | .[-1] | "\(.version) \(.sha)"' "$tmp/scenario.json")"
read -r tgt_v tgt_sha <<<"$(jq -r '[.deployments[] | select(.service == "checkout" and
	.environment == "production" and .status == "success" and .finished_at <= "2025-03-05T10:00:00Z")]
	| sort_by(.started_at) | .[-2] | "\(.version) \(.sha)"' "$tmp/scenario.json")"
[ ${#cur_sha} = 40 ] && [ ${#tgt_sha} = 40 ] && [ "$cur_v" != "$tgt_v" ] ||
	fail "the scenario's production deployments: '$cur_v $cur_sha' '$tgt_v $tgt_sha'"
[ "$(newest)" = "0|$cur_sha" ] || fail "before: $(newest), expected 0|$cur_sha ($cur_v)"
# The job to retry is the target deployment's deployable, as GitLab lists it.
job=$(q "SELECT d.target FROM deployments d JOIN services s ON s.id = d.service_id
	WHERE d.source = 'gl' AND d.environment = 'production' AND s.name = 'checkout'
	AND d.sha = '$tgt_sha' ORDER BY d.started_at DESC LIMIT 1")
[ -n "$job" ] || fail "the target deployment has no job"
route="/gitlab/api/v4/projects/acme/checkout/jobs/$job/retry"

# ---- the plan names the job and changes nothing ----
ctl DELETE requests >/dev/null
run rollback checkout --env production --dry-run >"$tmp/plan" 2>&1 || fail "dry run: $(cat "$tmp/plan")"
grep -q "jobs/$job/retry" "$tmp/plan" || fail "the plan does not name job $job: $(cat "$tmp/plan")"
grep -q "$tgt_sha" "$tmp/plan" || fail "the plan does not name $tgt_sha: $(cat "$tmp/plan")"
[ "$(retries)" = 0 ] || fail "the dry run sent a retry"
grep -q "$token" "$tmp/plan" && fail "the plan shows the token"

# ---- a job GitLab does not know: its 404, in GitLab's words; nothing made ----
q "UPDATE deployments SET target = '999999' WHERE source = 'gl' AND target = '$job'"
run rollback checkout --env production --yes >"$tmp/out" 2>&1
[ $? = 1 ] || fail "an unknown job: exit not 1: $(cat "$tmp/out")"
grep -q "404" "$tmp/out" || fail "an unknown job: $(cat "$tmp/out")"
q "UPDATE deployments SET target = '$job' WHERE source = 'gl' AND target = '999999'"

# ---- a 500: sent once, audited as failed, nothing else changes ----
ctl DELETE requests >/dev/null
ctl POST fault "{\"route\":\"$route\",\"kind\":\"status\",\"status\":500,\"count\":1}" >/dev/null
run rollback checkout --env production --yes >"$tmp/out" 2>&1
[ $? = 1 ] || fail "GitLab 500: exit not 1: $(cat "$tmp/out")"
[ "$(retries)" = 1 ] || fail "GitLab 500: the retry was sent $(retries) times"
[ "$(q "SELECT result FROM actions WHERE kind = 'rollback' ORDER BY id DESC LIMIT 1")" = failed ] ||
	fail "GitLab 500: audit $(q "SELECT result FROM actions ORDER BY id DESC LIMIT 1")"
ctl GET scenario | jq -e '[.deployments[] | select(.via == "gitlab")] | length == 0' >/dev/null ||
	fail "GitLab 500 made a deployment"
ctl DELETE fault >/dev/null

# ---- the rollback: one POST, a new deployment of the target's sha ----
ctl DELETE requests >/dev/null
run rollback checkout --env production --yes >"$tmp/out" 2>&1 || fail "rollback: $(cat "$tmp/out")"
[ "$(sent "$route" POST)" = 1 ] || fail "the retry of job $job was sent $(sent "$route" POST) times"
[ "$(retries)" = 1 ] || fail "$(retries) retries sent"
ctl GET scenario | jq -e --arg sha "$tgt_sha" '[.deployments[] | select(.via == "gitlab" and
	.sha == $sha and .environment == "production")] | length >= 1' >/dev/null ||
	fail "the simulated world has no GitLab rollback to $tgt_sha"
# The executor syncs the source after a success: the rollback is the newest deployment.
[ "$(newest)" = "2|$tgt_sha" ] || fail "after: $(newest), expected 2|$tgt_sha (kind 2: a rollback)"
row=$(q "SELECT result || '|' || actor || '|' || target FROM actions WHERE kind = 'rollback'
	ORDER BY id DESC LIMIT 1")
case $row in
succeeded\|carol\|*checkout*) ;;
*) fail "audit: $row" ;;
esac
run export actions --format csv >"$tmp/actions.csv" 2>&1 || fail "export actions"
[ "$(grep -c rollback "$tmp/actions.csv")" -ge 2 ] || fail "export actions: $(cat "$tmp/actions.csv")"
grep -q "$token" "$tmp/actions.csv" "$tmp/out" && fail "the token shows"

finish rollback_gitlab
