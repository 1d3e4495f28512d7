#!/bin/bash
# sync_argocd.sh - `sitrep sync --once` with an Argo CD source against sitrep-sim over
# loopback, the token sent as a bearer header and never shown: every deployment of
# the scenario started by now becomes the deployment APP:ID of its application's
# history (or of the sync under way), with the scenario's service, environment,
# version, sha, start, finish, status, pattern and rollback links, and the search
# canary under way its weight and bake end, read from its Argo Rollouts Rollout; a
# second round asks for the list and the canary under way only, and writes nothing;
# moving the clock finishes the canary and brings the checkout hotfix; going back
# to the days of the failed and the aborted canary shows them so, and so they stay
# once replaced; configured applications are read one by one; and every injected
# fault (5xx, 401, 403, 429, malformed and truncated JSON, wrong types, a huge body,
# a reset connection, a missing Rollout) ends with a clear error in the sync state,
# exit 1, and the data intact.
#
# What Argo CD cannot tell is expected as Argo CD shows it: a hotfix is a normal
# sync, and a Rollout's deployment that was replaced before sitrep first saw it
# shows as its sync did (success, finished at deployedAt, no pattern).
set -u
. "$(dirname "$0")/lib.bash"

token=argocd.s3cret.T0ken
start_sim --start 2025-03-03T10:00:00Z --require-token "$token"

cat >"$tmp/config" <<CONF
[source "argo"]
	type = argocd
	url = $base/argocd/
	token = env:ARGOCD_TOKEN
CONF
chmod 600 "$tmp/config"
export ARGOCD_TOKEN=$token
# sitrep runs on the simulated clock (frozen at the start: --speed 0).
export SITREP_TIME_NOW=2025-03-03T10:00:00Z
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
q() { sqlite3 "$tmp/c.db" "$1"; }
epoch() { date -u -d "$1" +%s; }
now() { epoch "$SITREP_TIME_NOW"; }
api() { curl -s --max-time 5 -H "Authorization: Bearer $token" "$base/argocd$1"; }
fault() { curl -s --max-time 5 -X POST "$base/_sim/fault" -d "$1" >/dev/null; }
clear_faults() { curl -s --max-time 5 -X DELETE "$base/_sim/fault" >/dev/null; }
requests() { curl -s --max-time 5 "$base/_sim/requests"; }
clear_requests() { curl -s --max-time 5 -X DELETE "$base/_sim/requests" >/dev/null; }
set_clock() { # instant: the sim and sitrep move together
	curl -s --max-time 5 -X POST "$base/_sim/clock" -d "{\"set\": \"$1\"}" >/dev/null
	export SITREP_TIME_NOW=$1
}
# Every column a deployment has, one line each.
ROW="d.source_id || '|' || s.name || '|' || d.environment || '|' || d.status || '|' ||
	d.kind || '|' || IFNULL(d.version, '') || '|' || IFNULL(d.sha, '') || '|' ||
	IFNULL(d.pattern, '') || '|' || IFNULL(d.started_at, '') || '|' ||
	IFNULL(d.finished_at, '') || '|' || IFNULL(d.fixes, '') || '|' ||
	IFNULL(d.rolled_back_by, '') || '|' || IFNULL(d.target, '') || '|' || IFNULL(d.url, '')"
stored() { # [database]
	sqlite3 "${1:-$tmp/c.db}" "SELECT $ROW FROM deployments d JOIN services s
		ON s.id = d.service_id WHERE d.source = 'argo' ORDER BY d.source_id"
}
state() { stored | md5sum; }

# deployedAt of every history entry the sim shows: {"APP:ID": epoch}.
deployed_at() {
	api /api/v1/applications | jq -c '[.items[] | .metadata.name as $a |
		(.status.history // [])[] | {key: "\($a):\(.id)",
		value: (.deployedAt | fromdate)}] | from_entries'
}
# The scenario's deployments started by now, as sitrep must store them. seen: the
# ids of Rollout deployments sitrep saw while they were current (a JSON array).
expected() { # seen
	curl -s --max-time 5 "$base/_sim/scenario" | jq -r --argjson now "$(now)" \
		--argjson deployed "$(deployed_at)" --argjson seen "$1" --arg url "$base/argocd" '
		def t: fromdate;
		def app: .service + "-" + (if .environment == "production" then "prod"
			else "staging" end);
		def id: app + ":" + ((.seq - 1) | tostring);
		(.repositories | map({key: .service, value: .pattern}) | from_entries) as $pat |
		[.deployments[] | select((.started_at | t) <= $now)] as $ds |
		($ds | map({key: .id, value: id}) | from_entries) as $ids |
		($ds | group_by(app) | map({key: (.[0] | app),
			value: (max_by(.started_at) | id)}) | from_entries) as $current |
		$ds[] | id as $id |
		(.environment == "production" and
		 ($pat[.service] == "canary" or $pat[.service] == "blue-green")) as $rollout |
		((.finished_at | t) > $now) as $running |
		(if $running then {s: "running", f: ""}
		 elif .status == "rolled_back" then {s: .status, f: (.canary.aborted_at | t)}
		 else {s: .status, f: (.finished_at | t)} end) as $now_state |
		(if $rollout and $current[app] != $id and ($seen | index($id) | not) then
			{s: "success", p: "", f: $deployed[$id]}
		 elif $rollout then $now_state + {p: .pattern}
		 else $now_state + {p: "rolling"} end) as $x |
		[$id, .service, .environment, $x.s,
		 (if .kind == "rollback" then 2 else 0 end), .version, .sha, $x.p,
		 (.started_at | t), $x.f, (if .rolls_back then $ids[.rolls_back] else "" end),
		 (if .rolled_back_by then $ids[.rolled_back_by] // "" else "" end), app,
		 "\($url)/applications/\(app)"] |
		map(tostring) | join("|")' | sort
}
# The Rollout deployments current now, to add to seen.
currents() {
	api /api/v1/applications | jq -c --argjson seen "$1" '$seen + [.items[] |
		select(any(.status.resources[]; .kind == "Rollout")) | .metadata.name as $a |
		((.status.history // [])[-1].id) as $last |
		if .status.operationState.phase == "Running" then "\($a):\($last + 1)"
		else "\($a):\($last)" end] | unique'
}
check_rows() { # seen, what
	expected "$1" >"$tmp/want"
	stored >"$tmp/got"
	diff "$tmp/want" "$tmp/got" >"$tmp/diff" || fail "$2: the cache is not the scenario:
$(cat "$tmp/diff")"
	[ -s "$tmp/want" ] || fail "$2: the scenario has no deployments by now"
}
canary() { # APP:ID -> weight|bake_until
	q "SELECT CAST(canary_weight AS INTEGER) || '|' || IFNULL(bake_until, '')
		FROM deployments WHERE source_id = '$1'"
}

# --- the sim speaks Argo CD: the token is wanted, unknown applications are hidden
body=$(curl -s --max-time 5 "$base/argocd/api/v1/applications")
[ "$(echo "$body" | jq -r .code)" = 16 ] || fail "401 body: $body"
[ "$(api /api/v1/applications/nosuch | jq -r .message)" = "permission denied" ] ||
	fail "an unknown application is not a 403"

# --- first round: every deployment started by now, as the scenario says
clear_requests
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "first sync: $(cat "$tmp/err")"
grep -q '^argo  *ok' "$tmp/out" || fail "no ok line: $(cat "$tmp/out")"
seen=$(currents '[]')
check_rows "$seen" "at 10:00"
n=$(q "SELECT count(*) FROM deployments")
[ "$n" = 24 ] || fail "expected the 24 deployments started by 10:00, got $n"
# The search 3.8.1 canary (DEP-122) is paused at 50% until the end of its pause.
bake=$(curl -s --max-time 5 "$base/_sim/scenario" | jq -r --argjson now "$(now)" '
	.deployments[] | select(.id == "DEP-122") | .canary.steps[] |
	select(.pause_seconds and (.started_at | fromdate) <= $now and
	       (.finished_at | fromdate) > $now) | .finished_at | fromdate')
[ "$(canary search-prod:4)" = "50|$bake" ] ||
	fail "the paused canary: $(canary search-prod:4), want 50|$bake"
# The payments rollback in Argo CD: 2.14.0 rolled back by the sync of 2.13.2.
[ "$(q "SELECT kind || fixes FROM deployments WHERE source_id = 'payments-prod:2'")" = \
	2payments-prod:1 ] || fail "the payments rollback"
requests >"$tmp/req.json"
jq -e '.routes | length == 3 and all(.[]; .authorization == "Bearer" and .token_ok == true)' \
	"$tmp/req.json" >/dev/null || fail "requests of the first round: $(cat "$tmp/req.json")"
jq -e '.routes["/argocd/api/v1/applications/search-prod/resource"].args == {"namespace":
	"search", "resourceName": "search", "group": "argoproj.io", "version": "v1alpha1",
	"kind": "Rollout"}' "$tmp/req.json" >/dev/null || fail "the Rollout's request: $(cat "$tmp/req.json")"
grep -rq "$token" "$tmp/out" "$tmp/err" && fail "the token was printed"
q "SELECT cursor FROM sync_state" | grep -q "$token" && fail "the cursor holds the token"

# --- a second round asks for the list and the canary under way, and writes nothing
before=$(state)
clear_requests
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "second sync: $(cat "$tmp/err")"
grep -q '^argo  *ok  *0 records' "$tmp/out" || fail "the second round wrote: $(cat "$tmp/out")"
requests >"$tmp/req.json"
jq -e '.total == 2 and .routes["/argocd/api/v1/applications"].count == 1 and
	.routes["/argocd/api/v1/applications/search-prod/resource"].count == 1' "$tmp/req.json" \
	>/dev/null || fail "the second round's requests: $(cat "$tmp/req.json")"
[ "$(state)" = "$before" ] || fail "the second round changed the data"

# --- half an hour later: the canary is promoted, the checkout hotfix is out
set_clock 2025-03-03T10:30:00Z
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "sync at 10:30: $(cat "$tmp/err")"
seen=$(currents "$seen")
check_rows "$seen" "at 10:30"
[ "$(canary search-prod:4)" = "100|" ] || fail "the promoted canary: $(canary search-prod:4)"
n=$(q "SELECT count(*) FROM deployments"); [ "$n" = 28 ] || fail "10:30: $n deployments, not 28"

# --- configured applications, one stream each; an unknown one is a clear error
cat >"$tmp/config-apps" <<CONF
[source "argo"]
	type = argocd
	url = $base/argocd
	app = search-prod
	app = payments-prod
	token = env:ARGOCD_TOKEN
CONF
chmod 600 "$tmp/config-apps"
"$SITREP" --config "$tmp/config-apps" --db "$tmp/apps.db" sync --once >/dev/null 2>"$tmp/err" ||
	fail "configured applications: $(cat "$tmp/err")"
grep -E '^(search|payments)-prod:' "$tmp/got" >"$tmp/want-apps"
stored "$tmp/apps.db" >"$tmp/got-apps"
diff "$tmp/want-apps" "$tmp/got-apps" >/dev/null ||
	fail "configured applications: $(diff "$tmp/want-apps" "$tmp/got-apps")"
[ "$(sqlite3 "$tmp/apps.db" "SELECT group_concat(stream) FROM sync_state")" = \
	"app:payments-prod,app:search-prod" ] || fail "streams: $(sqlite3 "$tmp/apps.db" \
	"SELECT group_concat(stream) FROM sync_state")"
printf '\tapp = billing-prod\n' >>"$tmp/config-apps"
"$SITREP" --config "$tmp/config-apps" --db "$tmp/apps.db" sync --once >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "an unknown application: exit 1 expected"
grep -q 'app:billing-prod: argocd app:billing-prod: HTTP 403: permission denied (.*does not exist)' \
	"$tmp/err" || fail "an unknown application: $(cat "$tmp/err")"

# --- the days of the failed and the aborted canary, then today again (a new cache)
past() { # instant, what
	set_clock "$1"
	"$SITREP" --config "$tmp/config" --db "$tmp/past.db" sync --once >/dev/null 2>"$tmp/err" ||
		fail "sync at $1: $(cat "$tmp/err")"
	seen_past=$(currents "$seen_past")
	expected "$seen_past" >"$tmp/want"
	stored "$tmp/past.db" >"$tmp/got"
	diff "$tmp/want" "$tmp/got" >"$tmp/diff" || fail "$2: $(cat "$tmp/diff")"
}
pq() { sqlite3 "$tmp/past.db" "$1"; }
seen_past='[]'
past 2025-02-26T15:00:00Z "3.7.1 rolling out"
[ "$(pq "SELECT status FROM deployments WHERE source_id = 'search-prod:1'")" = running ] ||
	fail "3.7.1 is not running at 15:00"
past 2025-02-26T15:10:00Z "3.7.1 past its deadline"
[ "$(pq "SELECT status FROM deployments WHERE source_id = 'search-prod:1'")" = failed ] ||
	fail "3.7.1 did not fail"
past 2025-02-28T13:30:00Z "3.8.0 at 30%"
past 2025-02-28T13:40:00Z "3.8.0 aborted"
[ "$(pq "SELECT status || '|' || canary_weight FROM deployments
	WHERE source_id = 'search-prod:3'")" = "rolled_back|0.0" ] || fail "3.8.0 is not rolled back"
past 2025-03-03T10:00:00Z "today, both replaced since"
[ "$(pq "SELECT group_concat(status) FROM deployments WHERE source_id IN
	('search-prod:1', 'search-prod:3') ORDER BY source_id")" = "failed,rolled_back" ] ||
	fail "the failed and the aborted canaries did not stay so"
set_clock 2025-03-03T10:30:00Z

# --- faults: exit 1, a clear error in the state, nothing lost
before=$(state)
check_fault() { # json, error pattern
	clear_faults
	fault "$1"
	run sync --once >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	run status --format json >"$tmp/status.json" || fail "status after fault $1"
	jq -e '.sources[] | select(.name == "argo") | .state == "failing"' "$tmp/status.json" \
		>/dev/null || fail "fault $1: argo not failing in status"
	jq -r '.sources[] | select(.name == "argo") | .last_error' "$tmp/status.json" |
		grep -q -E "$2" || fail "fault $1: the error is not in status: $(cat "$tmp/status.json")"
	cat "$tmp/out" "$tmp/err" "$tmp/status.json" | grep -q "$token" &&
		fail "fault $1: the token was printed"
	[ "$(state)" = "$before" ] || fail "fault $1: data changed"
	[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "fault $1: integrity"
}
route='/argocd/*'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 500}" \
	'argocd applications: HTTP 500: error getting cached app state: EOF'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 503}" \
	'argocd applications: HTTP 503: 503 Service Unavailable'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 401}" \
	'argocd applications: HTTP 401: invalid session: token signature is invalid \(check the token'
check_fault "{\"route\": \"$route\", \"kind\": \"status\", \"status\": 403}" \
	'argocd applications: HTTP 403: permission denied \(the token.s account needs'
check_fault "{\"route\": \"$route\", \"kind\": \"rate_limit\", \"retry_after\": 300}" \
	'argocd applications: HTTP 429: Too Many Requests'
check_fault "{\"route\": \"$route\", \"kind\": \"malformed\"}" \
	'argocd applications: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"truncate\"}" \
	'argocd applications: the response is not JSON'
check_fault "{\"route\": \"$route\", \"kind\": \"wrong_types\"}" \
	'argocd applications: application 0 \(checkout-prod\): .* is a number, not a string'
check_fault "{\"route\": \"$route\", \"kind\": \"huge\"}" \
	'argocd applications: no response: response body larger than'
check_fault "{\"route\": \"$route\", \"kind\": \"reset\"}" 'argocd applications: no response'
ARGOCD_TOKEN=wrong check_fault '{"route": "/nowhere", "kind": "reset"}' \
	'HTTP 401: invalid session: token signature is invalid'

# A Rollout that cannot be read (first round of a new cache: every Rollout is read):
# the applications' page is kept, the round fails naming the Rollout.
rollout_fault() { # json, error pattern
	clear_faults
	fault "$1"
	rm -f "$tmp/fresh.db"
	"$SITREP" --config "$tmp/config" --db "$tmp/fresh.db" sync --once >/dev/null 2>"$tmp/err"
	[ $? = 1 ] || fail "fault $1: exit 1 expected"
	grep -q -E "$2" "$tmp/err" || fail "fault $1: error not clear: $(cat "$tmp/err")"
	[ "$(sqlite3 "$tmp/fresh.db" "SELECT count(*) FROM deployments")" = 28 ] ||
		fail "fault $1: the applications' page was not kept"
}
rollout_fault '{"route": "/argocd/api/v1/applications/search-prod/resource", "kind": "status", "status": 404}' \
	'argocd applications: rollout search/search of search-prod: HTTP 404: not found'
rollout_fault '{"route": "/argocd/api/v1/applications/checkout-prod/resource", "kind": "malformed"}' \
	'argocd applications: rollout checkout/checkout of checkout-prod: the response is not JSON'

# --- back to health
clear_faults
run sync --once >/dev/null 2>"$tmp/err" || fail "sync after the faults: $(cat "$tmp/err")"
[ "$(state)" = "$before" ] || fail "the round after the faults changed the data"
run status >"$tmp/line" || fail "status line"
grep -q 'argo ok' "$tmp/line" || fail "status line: $(cat "$tmp/line")"

finish sync_argocd
