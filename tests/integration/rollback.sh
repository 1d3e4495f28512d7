#!/bin/bash
# rollback.sh - `sitrep rollback` end to end: against sitrep-sim's Argo CD dialect
# (refused while auto-sync is on, auto-sync turned off first where allowed, the
# rollback with the history id, a 500 and a timeout, each POST sent once) and its
# GitHub dialect (a new deployment of the previous sha, a 500), the next sync
# showing each rollback as a deployment of kind rollback; an exec script that
# records its arguments (a hostile version stays one argument; success, failure,
# timeout); two concurrent rollbacks (one runs, the other is refused with the
# holder's name); the confirmation on a terminal (production wants the service's
# name; anything else cancels); --dry-run changing nothing (the cache byte for
# byte, no request in the sim's log); an audit row for every outcome, kept by
# later syncs, in `sitrep export actions`; the rollback on the timeline of the
# incident the deployment caused.
set -u
. "$(dirname "$0")/lib.bash"

token=s3cret.T0ken
start_sim --start 2025-03-05T10:00:00Z --require-token "$token"
export SITREP_TIME_NOW=2025-03-05T10:00:00Z TOKEN=$token
unset SSH_CLIENT

sources="[source \"argo\"]
	type = argocd
	url = $base/argocd
	token = env:TOKEN
	timeout = 2s
[source \"gh\"]
	type = github
	url = $base/github
	repo = acme/checkout
	repo = acme/search
	token = env:TOKEN
	timeout = 2s"
config() { # name user body
	printf '[sitrep]\n\tuser = %s\n%s\n%s\n' "$2" "$sources" "$3" >"$tmp/$1"
	chmod 600 "$tmp/$1"
}
config argo alice '[deploy "checkout.production"]
	rollback = argocd:checkout-prod
[deploy "checkout.staging"]
	rollback = argocd:checkout-staging'
config argo-allow alice '[deploy]
	allow-disable-autosync = true
[deploy "checkout.staging"]
	rollback = argocd:checkout-staging'
config gh bob '[deploy "search.production"]
	rollback = github:acme/search'
run() { # config args...
	local c=$1
	shift
	"$SITREP" --config "$tmp/$c" --db "$tmp/c.db" "$@"
}
q() { sqlite3 "$tmp/c.db" "$1"; }
ctl() { curl -s --max-time 5 -X "$1" "$base/_sim/$2" ${3:+-d "$3"}; }
# Forgets the request log and the faults; a reset would also forget the rollbacks
# made so far.
clear() { ctl DELETE requests >/dev/null; ctl DELETE fault >/dev/null; }
# How often route $1 was asked for with method $2 since the last reset.
sent() {
	ctl GET requests | jq --arg r "$1" --arg m "$2" \
		'[.routes | to_entries[] | select(.key == $r and .value.method == $m) | .value.count] | add // 0'
}
actions() { q "SELECT result FROM actions WHERE target = '$1' ORDER BY id" | tr '\n' ' '; }
last_detail() { q "SELECT detail FROM actions WHERE target = '$1' ORDER BY id DESC LIMIT 1"; }
# deployments of $1 (source) in $2 (environment) of service $3: the newest's fields
newest() {
	q "SELECT d.source_id || '|' || d.kind || '|' || d.version || '|' || IFNULL(d.fixes, '')
		FROM deployments d JOIN services s ON s.id = d.service_id WHERE d.source = '$1'
		AND d.environment = '$2' AND s.name = '$3' ORDER BY d.started_at DESC, d.id DESC LIMIT 1"
}

run argo sync --once >/dev/null 2>&1 || fail "the first sync"
[ "$(newest argo production checkout)" = "checkout-prod:3|0|1.43.0|" ] ||
	fail "before: checkout in production is $(newest argo production checkout)"
# An incident the current production deployment caused (a monitoring source would
# say so; here the import format does).
cat >"$tmp/incident.json" <<'JSON'
{"format": "sitrep-import/1", "incidents": [{"source": "og", "id": "inc-1",
 "service": "checkout", "title": "checkout errors after 1.43.0",
 "detected_at": "2025-03-05T09:30:00Z", "caused_by_deployment": "checkout-prod:3"}]}
JSON
run argo import "$tmp/incident.json" >/dev/null || fail "importing the incident"

# The shas of checkout's production 1.43.0 and 1.42.0, from the ground truth.
prod_sha() {
	ctl GET scenario | jq -r --arg v "$1" '[.deployments[] | select(.service == "checkout" and
		.environment == "production" and .version == $v)][0].sha'
}
cur=$(prod_sha 1.43.0)
tgt=$(prod_sha 1.42.0)
[ ${#cur} = 40 ] && [ ${#tgt} = 40 ] || fail "the scenario's production shas: '$cur' '$tgt'"

# ---- --dry-run: the plan, and nothing changes ----
sum=$(sha256sum <"$tmp/c.db")
clear
out=$(run argo rollback checkout --dry-run 2>&1)
rc=$?
[ $rc = 0 ] || fail "dry run: exit $rc: $out"
echo "$out" | grep -qx "current     1.43.0 (${cur:0:12}) deployed 2025-03-05T09:17:10Z, success, argo checkout-prod:3" ||
	fail "dry run: no current line: $out"
echo "$out" | grep -qx "target      1.42.0 (${tgt:0:12}) deployed 2025-03-01T17:03:13Z, success, argo checkout-prod:2" ||
	fail "dry run: no target line: $out"
echo "$out" | grep -qx "sha         $tgt" || fail "dry run: no sha: $out"
echo "$out" | grep -qxF "call        POST $base/argocd/api/v1/applications/checkout-prod/rollback {\"id\": 2} (source argo)" ||
	fail "dry run: no call: $out"
echo "$out" | grep -q '^auto-sync   Argo CD refuses a rollback of checkout-prod while its auto-sync is on' ||
	fail "dry run: no auto-sync line: $out"
[ "$(sha256sum <"$tmp/c.db")" = "$sum" ] || fail "dry run changed the cache"
[ "$(ctl GET requests | jq .total)" = 0 ] || fail "dry run sent requests: $(ctl GET requests)"

# ---- no terminal, no --yes: refused, nothing sent ----
run argo rollback checkout </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "without --yes: exit $rc"
grep -qx 'sitrep: rollback: not confirmed: no terminal to ask on (--yes confirms)' "$tmp/err" ||
	fail "without --yes: $(cat "$tmp/err")"
[ "$(ctl GET requests | jq .total)" = 0 ] || fail "an unconfirmed rollback sent requests"
[ "$(actions checkout.production)" = "requested refused " ] ||
	fail "audit without --yes: $(actions checkout.production)"

# ---- Argo CD: auto-sync on (staging) refuses before any write ----
run argo rollback checkout --env staging --yes >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "staging with auto-sync: exit $rc"
grep -q 'checkout-staging has auto-sync on: Argo CD refuses a rollback then' "$tmp/err" ||
	fail "staging with auto-sync: $(cat "$tmp/err")"
[ "$(sent /argocd/api/v1/applications/checkout-staging/rollback POST)" = 0 ] ||
	fail "a rollback was sent while auto-sync was on"
[ "$(actions checkout.staging)" = "requested confirmed failed " ] ||
	fail "audit of the auto-sync refusal: $(actions checkout.staging)"

# ... allowed off: PATCH, then the rollback; the sync after shows it
clear
out=$(run argo-allow rollback checkout --env staging --yes 2>&1)
rc=$?
[ $rc = 0 ] || fail "staging allowed: exit $rc: $out"
echo "$out" | tail -1 | grep -qx "checkout.staging: rolled back to 1.42.0 (${tgt:0:12}) through argo" ||
	fail "staging allowed said: $out"
[ "$(sent /argocd/api/v1/applications/checkout-staging/rollback POST)" = 1 ] || fail "not one rollback POST"
ctl GET requests | jq -e '.routes["/argocd/api/v1/applications/checkout-staging/rollback"].authorization == "Bearer"' >/dev/null ||
	fail "the rollback went without the token"
curl -s -H "Authorization: Bearer $token" "$base/argocd/api/v1/applications/checkout-staging" |
	jq -e --arg sha "$tgt" '.spec.syncPolicy == null and .status.history[-1].id == 4 and
		.status.history[-1].revision == $sha' >/dev/null ||
	fail "Argo CD's application after the rollback"
[ "$(newest argo staging checkout)" = "checkout-staging:4|2|1.42.0|checkout-staging:3" ] ||
	fail "after the sync: $(newest argo staging checkout)"
[ "$(actions checkout.staging)" = "requested confirmed failed requested confirmed succeeded " ] ||
	fail "audit of the staging rollback: $(actions checkout.staging)"

# ---- Argo CD production: success, then a 500 and a timeout, each sent once ----
clear
run argo rollback checkout --yes >"$tmp/out" 2>"$tmp/err" || fail "production rollback: $(cat "$tmp/err")"
[ "$(newest argo production checkout)" = "checkout-prod:4|2|1.42.0|checkout-prod:3" ] ||
	fail "after the production rollback: $(newest argo production checkout)"
q "SELECT e.kind || '|' || e.actor || '|' || e.text FROM incident_events e JOIN incidents i
	ON i.id = e.incident_id WHERE i.source_id = 'inc-1'" |
	grep -qx 'rollback|alice|rollback of checkout.production to 1.42.0 by alice: succeeded' ||
	fail "no rollback on the incident's timeline"
# Now 1.42.0 runs: rolling back again goes to 1.43.0, history id 3.
route=/argocd/api/v1/applications/checkout-prod/rollback
for spec in 'status 500 failed' 'delay 4000 timed-out'; do
	set -- $spec
	clear
	if [ "$1" = status ]; then
		ctl POST fault "{\"route\":\"$route\",\"kind\":\"status\",\"status\":$2,\"count\":1}" >/dev/null
	else
		ctl POST fault "{\"route\":\"$route\",\"kind\":\"delay\",\"delay_ms\":$2,\"count\":1}" >/dev/null
	fi
	run argo rollback checkout --yes >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 1 ] || fail "$1 $2: exit $rc"
	[ "$(sent $route POST)" = 1 ] || fail "$1 $2: the POST was sent $(sent $route POST) times"
	[ "$(q "SELECT result FROM actions WHERE target = 'checkout.production' ORDER BY id DESC LIMIT 1")" = "$3" ] ||
		fail "$1 $2: audit $(actions checkout.production)"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$1 $2: not one line: $(cat "$tmp/err")"
	[ "$(newest argo production checkout)" = "checkout-prod:4|2|1.42.0|checkout-prod:3" ] ||
		fail "$1 $2 changed the cache: $(newest argo production checkout)"
done
grep -q "HTTP 500" <<<"$(q "SELECT detail FROM actions WHERE result = 'failed' AND target = 'checkout.production'")" ||
	fail "the 500 is not in the audit"
# The write that timed out did reach Argo CD (the simulator answers after its
# delay): the next sync shows it, as the message said it would.
for _ in $(seq 100); do
	ctl GET scenario | jq -e '[.deployments[] | select(.via == "argocd" and .kind == "rollback" and
		.service == "checkout" and .environment == "production" and .version == "1.43.0")] | length == 1' \
		>/dev/null && break
	sleep 0.1
done
grep -q 'the next sync shows whether it did' "$tmp/err" || fail "the timeout's message: $(cat "$tmp/err")"
run argo sync --once --source argo >/dev/null 2>&1 || fail "the sync after the timeout"
[ "$(newest argo production checkout)" = "checkout-prod:5|2|1.43.0|checkout-prod:4" ] ||
	fail "after the timed-out rollback landed: $(newest argo production checkout)"

# ---- GitHub: a new deployment of the previous sha ----
run gh sync --once --source gh >/dev/null 2>&1 || fail "the GitHub sync"
before=$(newest gh production search)
plan=$(run gh rollback search --dry-run)
target_sha=$(echo "$plan" | awk '$1 == "sha" { print $2 }')
target_version=$(echo "$plan" | awk '$1 == "target" { print $2 }')
[ ${#target_sha} = 40 ] || fail "GitHub plan: $plan"
clear
ctl POST fault '{"route":"/github/repos/acme/search/deployments","kind":"status","status":500,"count":1}' >/dev/null
run gh rollback search --yes >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "GitHub 500: not a failure"
[ "$(sent /github/repos/acme/search/deployments POST)" = 1 ] || fail "GitHub 500: POST not sent once"
[ "$(newest gh production search)" = "$before" ] || fail "GitHub 500 changed the cache"
clear
run gh rollback search --yes >"$tmp/out" 2>"$tmp/err" || fail "GitHub rollback: $(cat "$tmp/err")"
# one deployment made (the sync after reads the same route, so count the world's)
ctl GET scenario | jq -e '[.deployments[] | select(.via == "github")] | length == 1' >/dev/null ||
	fail "GitHub: not one deployment made"
after=$(newest gh production search)
[ "$(echo "$after" | cut -d'|' -f2,3)" = "2|$target_version" ] ||
	fail "GitHub: after $after (before $before, target $target_version)"
q "SELECT sha FROM deployments WHERE source = 'gh' AND source_id = '$(echo "$after" | cut -d'|' -f1)'" |
	grep -qx "$target_sha" || fail "GitHub: the new deployment is not of $target_sha"
[ "$(actions search.production)" = "requested confirmed failed requested confirmed succeeded " ] ||
	fail "GitHub audit: $(actions search.production)"
[ "$(q "SELECT actor || '|' || host FROM actions WHERE target = 'search.production' LIMIT 1")" = "bob|$(hostname)" ] ||
	fail "GitHub audit actor: $(q "SELECT actor, host FROM actions LIMIT 1")"

# ---- exec: a script that records its arguments ----
cat >"$tmp/undo.sh" <<'SH'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >>"$RECORD"
echo "undoing $1 with token=abcdef0123456789"
[ -z "${HOLD:-}" ] || sleep "$HOLD"
exit "${EXIT:-0}"
SH
chmod +x "$tmp/undo.sh"
cat >"$tmp/exec.json" <<'JSON'
{"format": "sitrep-import/1", "deployments": [
 {"source": "ci", "id": "e1", "service": "cart", "environment": "production", "status": "success",
  "version": "1.2; rm -rf /", "sha": "1111111111111111111111111111111111111111",
  "started_at": "2025-03-04T10:00:00Z", "finished_at": "2025-03-04T10:05:00Z"},
 {"source": "ci", "id": "e2", "service": "cart", "environment": "production", "status": "success",
  "version": "1.3.0", "sha": "2222222222222222222222222222222222222222",
  "started_at": "2025-03-05T09:00:00Z", "finished_at": "2025-03-05T09:05:00Z",
  "commits": [{"sha": "2222222222222222222222222222222222222222"}, {"sha": "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a"}]}]}
JSON
exec_config() { # name user timeout
	printf '[sitrep]\n\tuser = %s\n[deploy "cart.production"]\n\trollback = "exec:%s {service} --env={env} {version} {sha} {revision} '"'"'two words'"'"'"\n\ttimeout = %s\n' \
		"$2" "$tmp/undo.sh" "$3" >"$tmp/$1"
	chmod 600 "$tmp/$1"
}
exec_config exec alice 2s
exec_config exec-long alice 30s
exec_config exec-carol carol 30s
run exec import "$tmp/exec.json" >/dev/null || fail "importing the cart deployments"
export RECORD=$tmp/args
out=$(run exec rollback cart --yes 2>&1)
[ $? = 0 ] || fail "exec: $out"
printf 'cart\n--env=production\n1.2; rm -rf /\n1111111111111111111111111111111111111111\ne1\ntwo words\n' >"$tmp/want"
cmp -s "$tmp/args" "$tmp/want" || fail "exec arguments: $(cat "$tmp/args")"
echo "$out" | grep -qx '| undoing cart with token=\[redacted\]' || fail "exec output: $out"
echo "$out" | grep -q 'abcdef0123456789' && fail "the token reached the screen"
echo "$out" | grep -qx 'removes     2' || fail "exec plan's commits: $out"
EXIT=3 run exec rollback cart --yes >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "exec exit 3: not a failure"
grep -qx 'sitrep: rollback: cart.production: failed: exit 3' "$tmp/err" || fail "exec exit 3: $(cat "$tmp/err")"
HOLD=10 run exec rollback cart --yes >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || fail "exec timeout: not a failure"
grep -qx 'sitrep: rollback: cart.production: timed out: stopped after 2s' "$tmp/err" ||
	fail "exec timeout: $(cat "$tmp/err")"
last_detail cart.production | grep -q 'token=\[redacted\]' || fail "the excerpt is not in the audit"
q "SELECT detail FROM actions" | grep -q 'abcdef0123456789' && fail "a token reached the audit log"

# ---- the commits removed, from the service's clone ----
repo=$tmp/web.git
git init -q "$repo"
for m in first second third; do
	git -C "$repo" -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m "$m"
done
old_sha=$(git -C "$repo" rev-parse HEAD~2)
new_sha=$(git -C "$repo" rev-parse HEAD)
cat >"$tmp/web.json" <<JSON
{"format": "sitrep-import/1", "deployments": [
 {"source": "ci", "id": "w1", "service": "web", "environment": "production", "status": "success",
  "version": "1.0", "sha": "$old_sha", "started_at": "2025-03-04T10:00:00Z"},
 {"source": "ci", "id": "w2", "service": "web", "environment": "production", "status": "success",
  "version": "1.1", "sha": "$new_sha", "started_at": "2025-03-05T09:00:00Z"}]}
JSON
printf '[service "web"]\n\trepo = %s\n[deploy "web.production"]\n\trollback = exec:true\n' "$repo" >"$tmp/web"
run web import "$tmp/web.json" >/dev/null || fail "importing the web deployments"
run web rollback web --dry-run >"$tmp/out" 2>&1 || fail "web dry run: $(cat "$tmp/out")"
printf 'removes     2\n            %.12s third\n            %.12s second\n' \
	"$new_sha" "$(git -C "$repo" rev-parse HEAD~1)" >"$tmp/want"
tail -3 "$tmp/out" | cmp -s - "$tmp/want" || fail "commits from the clone: $(tail -3 "$tmp/out")"

# ---- two at once: one runs, the other is refused with the holder's name ----
HOLD=3 "$SITREP" --config "$tmp/exec-long" --db "$tmp/c.db" rollback cart --yes >"$tmp/first" 2>&1 &
first=$!
for _ in $(seq 100); do [ "$(q 'SELECT count(*) FROM locks')" = 1 ] && break; sleep 0.05; done
run exec-carol rollback cart --yes >"$tmp/second" 2>&1
rc=$?
wait $first
rc1=$?
[ $rc1 = 0 ] || fail "the first of two: exit $rc1: $(cat "$tmp/first")"
[ $rc = 1 ] || fail "the second of two: exit $rc"
grep -Eq "^sitrep: rollback: another rollback of cart.production runs: alice on $(hostname) \(pid $first\) since 2025-03-05T10:00:00Z$" "$tmp/second" ||
	fail "the second of two said: $(cat "$tmp/second")"
[ "$(q "SELECT count(*) FROM actions WHERE actor = 'carol' AND result = 'refused'")" = 1 ] ||
	fail "the refusal is not audited"
[ "$(q 'SELECT count(*) FROM locks')" = 0 ] || fail "a lock was left behind"

# ---- on a terminal: production wants the service's name; cancel is the default ----
script -qec "$SITREP --config $tmp/exec --db $tmp/c.db rollback cart" /dev/null <<<"yes" >"$tmp/tty" 2>&1
grep -q "type the service's name (cart) to roll back" "$tmp/tty" || fail "no prompt: $(cat "$tmp/tty")"
grep -q 'sitrep: rollback: cancelled' "$tmp/tty" || fail "\"yes\" did not cancel: $(cat "$tmp/tty")"
script -qec "$SITREP --config $tmp/exec --db $tmp/c.db rollback cart" /dev/null <<<"cart" >"$tmp/tty" 2>&1
grep -q 'cart.production: rolled back: exit 0' "$tmp/tty" || fail "typing cart did not roll back: $(cat "$tmp/tty")"
[ "$(q "SELECT detail FROM actions WHERE result = 'confirmed' ORDER BY id DESC LIMIT 1")" = "the service's name typed" ] ||
	fail "the typed confirmation is not audited"

# ---- every outcome is in the audit log and the export; syncs keep it ----
for r in requested confirmed cancelled refused succeeded failed timed-out; do
	[ "$(q "SELECT count(*) > 0 FROM actions WHERE kind = 'rollback' AND result = '$r'")" = 1 ] ||
		fail "no audit row $r"
done
n=$(q "SELECT count(*) FROM actions")
run argo sync --once >/dev/null 2>&1
[ "$(q "SELECT count(*) FROM actions")" = "$n" ] || fail "a sync changed the audit log"
run argo export actions --format csv >"$tmp/actions.csv" || fail "export actions csv"
[ "$(head -1 "$tmp/actions.csv")" = "at,actor,host,kind,target,result,detail" ] || fail "csv header: $(head -1 "$tmp/actions.csv")"
[ "$(($(wc -l <"$tmp/actions.csv") - 1))" -ge "$n" ] || fail "the csv lacks rows"
grep -q '^2025-03-05T10:00:00Z,carol,[^,]*,rollback,cart.production,refused,' "$tmp/actions.csv" ||
	fail "the csv lacks the refusal"
[ "$(run argo export actions | jq '.actions | length')" = "$n" ] || fail "the json export lacks rows"
run argo export actions | jq -e '.actions[0] | .at == "2025-03-05T10:00:00Z" and .kind == "rollback" and .result == "requested"' >/dev/null ||
	fail "json export: $(run argo export actions | head -3)"

finish rollback
