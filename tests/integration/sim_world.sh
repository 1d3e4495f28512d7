#!/bin/bash
# sim_world.sh - the simulator's ground truth (GET /_sim/scenario) for delivery and
# tickets, read with jq as an end-to-end test would: the built-in week's references
# hold (deploy shas are commits of their service's repository, causes are production
# deployments done before the impact, rollbacks and hotfixes point both ways, ticket
# correlation ids name incidents), its DORA figures computed independently from the
# ground truth are the scenario's, --seed changes ids (not commits' shas, which are
# git's) but no instant, and a bad scenario file is refused with the place named.
set -u
. "$(dirname "$0")/lib.bash"

# truth NAME ARGS...: runs the simulator, saves its ground truth in $tmp/NAME.json.
truth() {
	local name=$1 pid
	shift
	"$SITREP_SIM" --speed 0 --port 0 --port-file "$tmp/$name.port" "$@" >"$tmp/$name.log" 2>&1 &
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
	curl -s --max-time 5 "http://127.0.0.1:$(cat "$tmp/$name.port")/_sim/scenario" >"$tmp/$name.json"
	kill "$pid"
	wait "$pid" || fail "$name: exit $? after SIGTERM"
}
# check WHAT FILTER: the jq filter must print true for the week.
check() {
	local got
	got=$(jq -r "$2" "$tmp/week.json" 2>&1)
	[ "$got" = true ] || fail "$1: $got"
}
# equal WHAT FILTER VALUE
equal() {
	local got
	got=$(jq -r "$2" "$tmp/week.json" 2>&1)
	[ "$got" = "$3" ] || fail "$1: got $got, expected $3"
}

truth week --seed 7

# --- the built-in week loads and holds what it says
equal "incidents keep their ids" '[.incidents[].id] | join(",")' \
	SIM-101,SIM-102,SIM-103,SIM-104,SIM-105,SIM-106,SIM-107,SIM-108,SIM-109,SIM-110,SIM-111,SIM-112,SIM-113,SIM-114,SIM-115
equal "counts" '[(.commits|length), (.pipelines|length), (.deployments|length), (.tickets|length)] | join(" ")' \
	"39 38 35 21"
equal "repositories" '[.repositories[] | .repo + "@" + .default_branch] | join(" ")' \
	"acme/checkout@main acme/search@main acme/payments@main"
check "shas are 40 hex digits" 'all(.commits[]; .sha | test("^[0-9a-f]{40}$"))'
check "parents are commits of the same repository" \
	'(INDEX(.commits[]; .sha)) as $c | all(.commits[]; .repo as $r | all(.parents[]; $c[.].repo == $r))'

# --- references
check "deploy shas are commits of their service" \
	'(INDEX(.commits[]; .sha)) as $c | all(.deployments[]; $c[.sha].service == .service)'
check "pipeline shas are commits of their service" \
	'(INDEX(.commits[]; .sha)) as $c | all(.pipelines[]; $c[.sha].service == .service)'
check "deployments finish after they start" \
	'all(.deployments[]; (.finished_at | fromdate) > (.started_at | fromdate))'
check "a pipeline-made deployment is within its deploy stage" \
	'(INDEX(.pipelines[]; .id)) as $p | all(.deployments[] | select(.pipeline); . as $d |
	 $p[.pipeline].stages | any(.deployment == $d.id and .started_at == $d.started_at and .finished_at == $d.finished_at))'
check "caused_by names a production deployment of the service done before the impact" \
	'(INDEX(.deployments[]; .id)) as $d | all(.incidents[] | select(.caused_by);
	 $d[.caused_by] as $x | $x.service == .service and $x.environment == "production" and
	 ($x.finished_at | fromdate) <= (.impact | fromdate) and (.id | IN($x.caused[])))'
check "rollbacks point both ways and restore the version before" \
	'(INDEX(.deployments[]; .id)) as $d | all(.deployments[] | select(.kind == "rollback");
	 $d[.rolls_back].rolled_back_by == .id and $d[.restores].version == .version and
	 $d[.restores].sha == .sha and (.commits | length) == 0 and .pipeline == null and .via == "argocd")'
check "hotfixes point both ways" \
	'(INDEX(.deployments[]; .id)) as $d | all(.deployments[] | select(.kind == "hotfix");
	 $d[.fixes].fixed_by == .id and ($d[.fixes].finished_at | fromdate) <= (.started_at | fromdate))'
check "canaries have steps, two of them aborted" \
	'[.deployments[] | select(.pattern == "canary" and .environment == "production")] |
	 all(.canary.steps | length > 0) and ([.[] | select(.status == "rolled_back")] | length) == 2'
check "ticket correlation ids name their incident" \
	'(INDEX(.incidents[]; .id)) as $i | all(.tickets[] | select(.correlation_id);
	 .correlation_id == .incident and $i[.correlation_id].service == .service)'
equal "tickets without an alert, and one tied by time only" \
	'[([.tickets[] | select(.incident == null)] | length), ([.tickets[] | select(.incident and .correlation_id == null) | .id] | join(","))] | join(" ")' \
	"2 4805"
check "the time-only ticket overlaps its incident" \
	'(INDEX(.incidents[]; .id)) as $i | all(.tickets[] | select(.incident and .correlation_id == null);
	 (.opened_at | fromdate) < ($i[.incident].resolve | fromdate) and
	 (.resolved_at | fromdate) > ($i[.incident].impact | fromdate))'
equal "breached SLAs" '[.tickets[] | .id as $t | .slas[] | select(.has_breached) | $t + ":" + .metric] | join(" ")' \
	"INC0010233:response INC0010233:resolution 4805:first_reply_time"
equal "reopens" '[.tickets[] | select(.reopen_count > 0) | .id] | join(" ")' "INC0010236 4802"

# --- DORA from the ground truth alone (metrics SPEC 4.8, 4.9), the week around --start
prod='[.deployments[] | select(.environment == "production" and .status == "success")]'
equal "deployment frequency" "$prod | length" 15
equal "failed production deployments are not deployments" \
	'[.deployments[] | select(.environment == "production" and .status != "success") | .id + ":" + .status] | join(" ")' \
	"DEP-110:failed DEP-116:rolled_back DEP-135:rolled_back"
equal "change failure rate: caused, rolled back or fixed" \
	"$prod | map(select((.caused | length) > 0 or .rolled_back_by or .fixed_by)) | length" 3
equal "rework: rollbacks and hotfixes" "$prod | map(select(.kind != \"normal\")) | length" 2
# Lead time per commit at its first successful production deployment, minutes.
lead='[.deployments[] | select(.environment == "production" and .status == "success" and .kind != "rollback") |
	.finished_at as $f | .commits[] | {sha, lead: (($f | fromdate) - (.committed_at | fromdate))}] |
	group_by(.sha) | map(min_by(.lead).lead / 60) | sort'
equal "commits deployed to production" "$lead | length" 34
equal "median lead time (minutes)" "$lead | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end | floor" 1073
# Failed deployment recovery time: earliest impact to latest resolve of what it caused.
equal "failed deployment recovery (minutes)" \
	'(INDEX(.incidents[]; .id)) as $i | [.deployments[] | select((.caused | length) > 0) |
	 ([.caused[] | $i[.].resolve | fromdate] | max) - ([.caused[] | $i[.].impact | fromdate] | min) | . / 60] | sort | map(tostring) | join(" ")' \
	"55 60 315"

# --- --seed moves identifiers, never instants
truth twin --seed 7
truth other --seed 8
cmp -s "$tmp/week.json" "$tmp/twin.json" || fail "same seed, different ground truth"
times='[.. | objects | to_entries[] | select(.key | test("_at$|^impact$|^fire$|^resolve$")) | .value]'
[ "$(jq -c "$times" "$tmp/week.json")" = "$(jq -c "$times" "$tmp/other.json")" ] || fail "another seed moved instants"
# A commit's sha is git's, of its content (sim_git_shas.sh): no seed moves it.
[ "$(jq -c '[.commits[].sha]' "$tmp/week.json")" = "$(jq -c '[.commits[].sha]' "$tmp/other.json")" ] ||
	fail "another seed moved the commits' shas"

# --- a bad scenario is refused, naming the place
refused() { # what, expected message, scenario JSON
	echo "$3" >"$tmp/bad.json"
	"$SITREP_SIM" --scenario "$tmp/bad.json" >/dev/null 2>"$tmp/err"
	local rc=$?
	[ $rc = 1 ] || fail "$1: exit $rc, expected 1"
	grep -qF "$tmp/bad.json: $2" "$tmp/err" || fail "$1: $(cat "$tmp/err")"
}
base='"services": [{"name": "api"}], "commits": [{"id": "c0", "service": "api", "author": "a", "message": "m", "time": "-2d"}]'
refused "unknown key" 'commits[0]: unknown key "sah"' \
	'{"services": [{"name": "api"}], "commits": [{"id": "c0", "service": "api", "author": "a", "message": "m", "time": "-2d", "sah": "x"}]}'
refused "dangling reference" 'deployments[0]: no pipeline "p9"' \
	"{$base, \"deployments\": [{\"id\": \"D-1\", \"pipeline\": \"p9\"}]}"
refused "finish before start" 'deployments[0]: finishes before it starts' \
	"{$base, \"deployments\": [{\"id\": \"D-1\", \"service\": \"api\", \"kind\": \"rollback\", \"rolls_back\": \"D-1\", \"actor\": \"x\", \"start\": \"-1h\", \"finish\": \"-2h\"}]}"
refused "dangling cause" 'incidents[0]: caused_by: no deployment "D-7"' \
	"{$base, \"incidents\": [{\"id\": \"I\", \"service\": \"api\", \"alertname\": \"A\", \"title\": \"t\", \"impact\": \"+1h\", \"caused_by\": \"D-7\"}]}"

finish sim_world
