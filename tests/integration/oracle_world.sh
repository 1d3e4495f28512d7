#!/bin/bash
# oracle_world.sh - after syncing the whole simulated week, `sitrep mttx --format json`
# and `sitrep dora --format json` equal the figures an independent oracle computes
# with jq from the simulator's ground truth (GET /_sim/scenario), following
# docs/metrics.md (spec §2 milestones, §3 normalisation, §4 MTTx, §4.8-4.9 DORA).
#
# One source per kind, so nothing is counted twice: incidents from Opsgenie (it
# carries acknowledgements), deployments from Argo CD (rollbacks and canaries).
#
# What the oracle leaves out, because these upstreams do not expose it and so sitrep
# cannot know it:
# - impact start: Opsgenie alerts have none (spec §2), so impact is imputed from
#   detection (createdAt): MTTD has no sample, and TTR = resolve - fire.
# - containment: neither source has one, so MTTC has no sample.
# - an incident's causing deployment (the scenario's caused_by): Opsgenie alerts do
#   not name one; and a hotfix's `fixes`: Argo CD shows a hotfix as a normal sync.
#   So the only failed deployments sitrep can see are the ones Argo CD rolled back,
#   the only rework is rollbacks, and a failed deployment's recovery runs from its
#   finish to the rollback's finish (spec §4.9, "rolled back with no incident").
# Lead time comes from the services' repositories, built here from the scenario's
# commits (tests/tools/scenario_repos.sh: the simulator's shas are git's), as
# `[service] repo`: per commit, the first successful production deployment whose sha
# contains it (spec §4.9), whatever failed or was rolled back before it.
# - availability, downtime, failures and MTBF: they need sitrep's own mapping of
#   Opsgenie priorities to outage/degraded, which the ground truth does not state.
# Opsgenie also serves the simulator's seeded routine alerts (tag "routine"), which
# are not part of the scenario; the oracle reads their createdAt and report times
# from the Opsgenie API and applies the same definitions to them.
set -u
. "$(dirname "$0")/lib.bash"

start=2025-03-03T10:00:00Z
start_sim --start $start

cat >"$tmp/config" <<CONF
[source "og"]
	type = opsgenie
	url = $base/opsgenie
	token = og-token
[source "argo"]
	type = argocd
	url = $base/argocd/
	token = argo-token
CONF
chmod 600 "$tmp/config"
run() { "$SITREP" --config "$tmp/config" --db "$tmp/c.db" "$@"; }
set_clock() { # instant: the sim and sitrep move together
	curl -s --max-time 5 -X POST "$base/_sim/clock" -d "{\"set\": \"$1\"}" >/dev/null
	export SITREP_TIME_NOW=$1
}

curl -s --max-time 5 "$base/_sim/scenario" >"$tmp/truth.json"
jq -e '.incidents | length > 0' "$tmp/truth.json" >/dev/null || { echo "no ground truth"; exit 1; }
# The services' repositories, the commits git makes of the scenario's: sitrep reads
# what each deployment shipped, and when it was committed, from them (lead time).
bash tests/tools/scenario_repos.sh "$tmp/truth.json" "$tmp/repos" >/dev/null ||
	{ echo "the scenario's repositories"; exit 1; }
for s in $(jq -r '.repositories[].service' "$tmp/truth.json"); do
	printf '[service "%s"]\n\trepo = %s/repos/%s\n' "$s" "$tmp" "$s" >>"$tmp/config"
done

# The end of the week: after every milestone of the scenario and of the routine alerts
# (they stop three days after the start and close within hours).
end=2025-03-07T00:00:00Z
from=2025-02-24T00:00:00Z
jq -e --arg e $end '[.incidents[] | .impact, .fire, .ack, .resolve]
	+ [.deployments[] | .finished_at] | map(select(. != null) | fromdate) | max < ($e | fromdate)' "$tmp/truth.json" >/dev/null ||
	fail "the scenario goes beyond $end"

# --- sync
# Argo CD keeps only successful syncs in its history, and a canary's abort only in
# its Rollout while it is live: a deployment replaced before sitrep first saw it
# shows as its sync did (success). So, as a real poller would, Argo CD is read just
# after each production deployment of the week ends; Opsgenie once at the end.
for t in $(jq -r '[.deployments[] | select(.environment == "production") |
	.finished_at | fromdate + 1] | unique | .[] | todate' "$tmp/truth.json"); do
	set_clock "$t"
	run sync --once --source argo >/dev/null 2>"$tmp/err" || fail "argo sync at $t: $(cat "$tmp/err")"
done
set_clock $end
run sync --once >"$tmp/out" 2>"$tmp/err" || fail "final sync: $(cat "$tmp/err")"

run mttx --from $from --to $end --format json >"$tmp/mttx.json" 2>"$tmp/err" ||
	fail "mttx: $(cat "$tmp/err")"
run dora --from $from --to $end --format json >"$tmp/dora.json" 2>"$tmp/err" ||
	fail "dora: $(cat "$tmp/err")"

# --- the routine alerts, raw from the Opsgenie API
: >"$tmp/routine.jsonl"
offset=0
while :; do
	page=$(curl -s --max-time 5 -H 'Authorization: GenieKey og-token' \
		"$base/opsgenie/v2/alerts?limit=100&offset=$offset&sort=createdAt&order=asc")
	n=$(jq '.data | length' <<<"$page") || { fail "opsgenie page at $offset"; break; }
	[ "$n" = 0 ] && break
	jq -c '.data[] | select(.tags | index("routine"))' <<<"$page" >>"$tmp/routine.jsonl"
	offset=$((offset + n))
done
[ -s "$tmp/routine.jsonl" ] || fail "no routine alert read from the Opsgenie API"
total=$(curl -s --max-time 5 -H 'Authorization: GenieKey og-token' "$base/opsgenie/v2/alerts/count" |
	jq '.data.count')

# --- the oracle
# Statistics (spec §6): minutes; mean = sum/n; median and p90 by linear
# interpolation at pos = p*(n-1) (PERCENTILE_CONT).
JQ_STATS='
def pct($p): if length == 0 then null else sort as $s | ($p * (length - 1)) as $pos
	| ($pos | floor) as $lo | ($pos | ceil) as $hi
	| $s[$lo] + ($s[$hi] - $s[$lo]) * ($pos - $lo) end;
def stats: map(. / 60) | {n: length, mean: (if length == 0 then null else add / length end),
	median: pct(0.5), p90: pct(0.9)};
'
jq -n --slurpfile truth "$tmp/truth.json" --slurpfile routine <(jq -s . "$tmp/routine.jsonl") \
	--arg from $from --arg to $end "$JQ_STATS"'
$truth[0] as $t | ($from | fromdate) as $F | ($to | fromdate) as $T
| def inw: . != null and . >= $F and . < $T;
  def ms_sec: if . >= 0 then (. / 1000 | floor) else -((-. + 999) / 1000 | floor) end;
  # RFC 3339 with 0-3 fraction digits (the API trims trailing zeros: .51 = 510 ms).
  def created_ms: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$")
	| ((.s + "Z") | fromdate) * 1000 + ((.f // "") + "000" | .[0:3] | tonumber);
  $t.services as $services
# Incidents, milestones in epoch seconds (the store keeps seconds, floored).
# Scenario incidents: Opsgenie detected = createdAt = fire, acknowledged = ack,
# resolved = close = resolve; no impact start (imputed = detection, §2).
| ([$t.incidents[] | {service, det: (.fire | fromdate),
	ack: (.ack | if . then fromdate else null end),
	res: (.resolve | if . then fromdate else null end)}]
   + [$routine[0][] | (.createdAt | created_ms) as $c
	| {service: (.tags[] | select(startswith("service:")) | ltrimstr("service:")),
	   det: ($c | ms_sec),
	   ack: (if .report.ackTime then ($c + .report.ackTime | ms_sec) else null end),
	   res: (if .status == "closed" and .report.closeTime then
		($c + .report.closeTime | ms_sec) else null end)}]) as $inc
# §3.2: detection is not later than the acknowledgement.
| ($inc | map(if .ack != null and .ack < .det then .det = .ack else . end)) as $inc
| def fig(sel): ([$services[] as $s | {key: $s, value: ([$inc[] | select(.service == $s)] | sel)}]
	+ [{key: "all", value: ($inc | sel)}]) | from_entries;
# Production deployments as Argo CD shows them: the successful ones are counted (§4.8).
  [$t.deployments[] | select(.environment == "production" and .status == "success"
	and (.finished_at | fromdate | inw))] as $dep
| ($t.deployments | map({key: .id, value: .}) | from_entries) as $by_id
| def dfig(sel): ([$services[] as $s | {key: $s, value: ([$dep[] | select(.service == $s)] | sel)}]
	+ [{key: "all", value: ($dep | sel)}]) | from_entries;
# Lead time (§4.8): each commit at the first successful production deployment that
# shipped it (a rollback ships nothing new), finished in W: finish - commit time.
# "Containing it": the commits reachable from the deployed sha.
  (INDEX($t.commits[]; .sha)) as $commit
| def reach: [recurse($commit[.].parents[]?)] | unique;
  ([$t.deployments[] | select(.environment == "production" and .status == "success"
	and .kind != "rollback") | .service as $s | (.finished_at | fromdate) as $f
	| .sha | reach[] | {sha: ., service: $s, f: $f,
	  lead: ($f - ($commit[.].committed_at | fromdate))}]
   | group_by(.sha) | map(min_by(.f))) as $leads
| def lfig: ([$services[] as $s | {key: $s, value: ([$leads[] | select(.service == $s
	and (.f | inw)) | .lead] | stats)}] + [{key: "all", value: ([$leads[] | select(.f | inw)
	| .lead] | stats)}]) | from_entries;
# Failed: rolled back (the only link Argo CD shows, see the header).
  def failed: map(select(.rolled_back_by != null));
  def ratio(f): if length == 0 then null else (f | length) / length end;
{
  mttx: {
    mttd: fig([] | stats),
    mtta: fig([.[] | select(.ack | inw) | ([.ack - .det, 0] | max)] | stats),
    unacknowledged_in_window: fig([.[] | select((.det | inw) and .ack == null)] | length),
    mttc: fig([] | stats),
    mttr: fig([.[] | select(.res | inw) | ([.res - .det, 0] | max)] | stats),
    open_at_window_end: fig([.[] | select(.det < $T and (.res == null or .res >= $T))] | length)
  },
  dora: {
    df: {count: dfig(length),
	 per_day: dfig(length / (($T - $F) / 86400)),
	 per_week: dfig(length / (($T - $F) / 86400) * 7)},
    lead_time: lfig,
    cfr: (dfig(ratio(failed)) + {failed: dfig(failed | length)}),
    # Rework = rollbacks and hotfixes; Argo CD shows a hotfix as a normal sync.
    rework_rate: dfig(ratio(map(select(.kind == "rollback")))),
    fdrt: dfig([failed[] | ($by_id[.rolled_back_by].finished_at | fromdate) as $rec
	| select($rec | inw) | $rec - (.finished_at | fromdate)] | stats)
  }
}' >"$tmp/oracle.json" 2>"$tmp/err" || { fail "oracle: $(cat "$tmp/err")"; }

# How each figure is computed, for the failure messages.
formula() {
	case "$1" in
	mttx.mttd.*) echo "TTD = detected - impact_start: Opsgenie has no impact start (imputed), so no sample" ;;
	mttx.mtta.*) echo "TTA = ack - createdAt(fire), samples with ack in W, minutes" ;;
	mttx.unacknowledged_in_window.*) echo "count of alerts created in W without ack" ;;
	mttx.mttc.*) echo "TTC = contained - detected: no containment in Opsgenie, so no sample" ;;
	mttx.mttr.*) echo "TTR = close - createdAt(fire) (impact imputed = detection), samples with close in W, minutes" ;;
	mttx.open_at_window_end.*) echo "count of alerts created before W's end, not closed by then" ;;
	dora.df.count.*) echo "successful production deployments finished in W" ;;
	dora.df.per_day.*) echo "successful production deployments / days(W)" ;;
	dora.df.per_week.*) echo "successful production deployments / days(W) * 7" ;;
	dora.lead_time.*) echo "finish of the first successful production deployment shipping a commit - its commit time, minutes" ;;
	dora.cfr.*) echo "counted deployments rolled back (Argo CD rollback) / counted deployments" ;;
	dora.rework_rate.*) echo "rollback deployments / counted deployments (a hotfix is a normal sync in Argo CD)" ;;
	dora.fdrt.*) echo "rollback finished_at - rolled-back deployment finished_at, minutes" ;;
	*) echo "?" ;;
	esac
}

# --- compare every leaf of the oracle with sitrep's JSON, within 1e-6
jq -n --slurpfile o "$tmp/oracle.json" --slurpfile m "$tmp/mttx.json" --slurpfile d "$tmp/dora.json" -r '
{mttx: $m[0], dora: $d[0]} as $got | $o[0] as $want
| [$want | paths(scalars or . == null)] | map(select(length > 0)) as $ps
| $ps[] | . as $p | ($want | getpath($p)) as $w
| select($w != null or (($want | getpath($p[:-1])) | type) == "object")
| ($got | getpath($p)) as $g
| if ($w == null and $g == null) then empty
  elif ($w | type) == "number" and ($g | type) == "number" and
	(($w - $g) | fabs) <= 1e-6 then empty
  else "\($p | map(tostring) | join("."))\t\($w)\t\($g)" end' >"$tmp/diff" ||
	fail "the comparison failed"
while IFS=$'\t' read -r path want got; do
	fail "$path: sitrep says $got, the oracle $want ($(formula "$path"))"
done <"$tmp/diff"

# The figures compared must not be vacuous.
checked=$(jq '[paths(numbers)] | length' "$tmp/oracle.json")
[ "$checked" -gt 50 ] || fail "only $checked figures compared"
jq -e --argjson total "$total" '.mttx.mttr.all.n + .mttx.open_at_window_end.all == $total
	and .mttx.mtta.all.n > 400 and .mttx.mttr.all.n > 500 and .dora.df.count.all == 15
	and .dora.cfr.failed.all == 1 and .dora.fdrt.all.n == 1' "$tmp/oracle.json" >/dev/null ||
	fail "the oracle looks wrong: $(jq -c '[.mttx.mtta.all, .mttx.mttr.all, .dora.df.count, .dora.cfr]' "$tmp/oracle.json")"

echo "oracle_world: $checked figures compared, $failures failure(s)"
[ $failures = 0 ]
