/* run.c - carrying out a rollback plan: lock, executor, audit, timeline.
 *
 * The lock is taken after the person confirmed (a prompt left open must not
 * block a colleague's rollback) and held while the executor runs. The plan is
 * built again under the lock: a rollback that finished meanwhile (its sync
 * changed what runs) would make this one roll back the wrong thing.
 *
 * Every step is a row of the audit log (kind rollback, target SERVICE.ENV); the
 * detail says what was done and ends with an excerpt of the output, credentials
 * redacted. The API executors go through the source's session and HTTP path
 * (src/sync/action.c: auth, TLS, timeouts, a write never sent twice once it may
 * have arrived) and sync the source afterwards, so the rollback shows as a
 * deployment. */
#include "sitrep/sitrep.h"
#include "sitrep/action.h"
#include "sitrep/rollback.h"
#include "sitrep/timestamp.h"

#define DETAIL_MAX 4000

enum status_code
rollback_audit(struct store *store, const struct rollback_plan *plan,
	       const struct rollback_actor *actor, int64_t at, const char *result,
	       const char *detail)
{
	char *text = detail ? xstrndup(detail, strnlen(detail, DETAIL_MAX)) : NULL;
	struct store_action row = { at,		actor->user, actor->host, "rollback",
				    plan->name, text,	     result };
	enum status_code code;

	if (text)
		rollback_redact(text);
	code = store_add_action(store, &row);
	free(text);
	return code;
}

char *
rollback_summary(const struct rollback_plan *plan)
{
	return xasprintf("to %s (%.12s) from %s (%.12s): %s",
			 plan->target.version ? plan->target.version : "?",
			 plan->target.sha ? plan->target.sha : "-",
			 plan->current.version ? plan->current.version : "?",
			 plan->current.sha ? plan->current.sha : "-", plan->call);
}

static void
run_exec(const struct rollback_plan *plan, rollback_output_fn fn, void *ctx,
	 struct rollback_report *report)
{
	char *why = NULL;

	report->outcome =
		rollback_exec_run(plan->argv, plan->timeout, fn, ctx, &report->excerpt, &why);
	snprintf(report->message, sizeof(report->message), "%s: %s: %s", plan->name,
		 report->outcome == ROLLBACK_SUCCEEDED	 ? "rolled back"
		 : report->outcome == ROLLBACK_TIMED_OUT ? "timed out"
							 : "failed",
		 why);
	free(why);
}

static enum status_code
run_api(struct store *store, const struct config *cfg, const struct rollback_plan *plan,
	const struct rollback_actor *actor, struct rollback_report *report)
{
	struct source_action action = {
		.kind = "rollback",
		.id = plan->target.source_id,
		.who = actor->user,
		.target = plan->argument,
		.service = plan->service,
		.environment = plan->environment,
		.version = plan->target.version,
		.sha = plan->target.sha,
		.job = plan->target.target,
		.allow_disable_autosync = plan->allow_disable_autosync,
		.follow_seconds = plan->timeout,
	};
	struct action_report ar;
	enum status_code code = action_run(store, cfg, plan->source, &action, NULL, &ar);

	if (code != SUCCESS)
		return code;
	report->outcome = !ar.failed	 ? ROLLBACK_SUCCEEDED
			  : ar.timed_out ? ROLLBACK_TIMED_OUT
					 : ROLLBACK_FAILED;
	report->synced = ar.synced && !ar.sync.failed;
	if (ar.failed)
		snprintf(report->message, sizeof(report->message), "%.100s: %.400s", plan->name,
			 ar.message);
	else
		snprintf(report->message, sizeof(report->message),
			 "%.100s: rolled back to %.60s (%.12s) through %.60s", plan->name,
			 plan->target.version ? plan->target.version : "?",
			 plan->target.sha ? plan->target.sha : "-", plan->source->name);
	if (ar.synced && ar.sync.failed)
		report->excerpt = xasprintf("the sync after it failed: %s", ar.sync.error);
	return SUCCESS;
}

static const char *
result_name(enum rollback_outcome outcome)
{
	return outcome == ROLLBACK_SUCCEEDED   ? "succeeded"
	       : outcome == ROLLBACK_TIMED_OUT ? "timed-out"
					       : "failed";
}

/* The rollback on the timeline of the incidents the current deployment caused. */
static enum status_code
add_to_timelines(struct store *store, const struct rollback_plan *plan,
		 const struct rollback_actor *actor, int64_t at, enum rollback_outcome outcome)
{
	char *text = xasprintf("rollback of %s to %s by %s: %s", plan->name,
			       plan->target.version ? plan->target.version : plan->target.sha,
			       actor->user, result_name(outcome));
	/* every attempt is its own event, even two within a second */
	char *id = xasprintf("sitrep-rollback:%s:%lld:%lld", actor->hostname, (long long)actor->pid,
			     (long long)at);
	enum status_code code;
	size_t n;

	if ((code = store_begin(store)) != SUCCESS)
		goto out;
	for (size_t i = 0; code == SUCCESS && plan->current_ids && plan->current_ids[i]; i++)
		code = store_add_event_caused_by(store, plan->current_ids[i], at, "rollback",
						 actor->user, text, id, &n);
	if (code == SUCCESS)
		code = store_commit(store);
	else
		store_rollback(store);
out:
	free(text);
	free(id);
	return code;
}

static enum status_code
refused(struct store *store, const struct rollback_plan *plan, const struct rollback_actor *actor,
	int64_t now, const struct store_lock *held)
{
	char since[TIMESTAMP_TEXT_SIZE];
	char *detail;
	enum status_code code;

	timestamp_format(held->since, since, sizeof(since));
	detail = xasprintf("another rollback of %s runs: %s on %s (pid %lld) since %s", plan->name,
			   held->holder, held->host, (long long)held->pid, since);
	rollback_audit(store, plan, actor, now, "refused", detail);
	code = error("%s", detail);
	free(detail);
	return code;
}

/* Under the lock: the plan still holds (the cache may have changed since). */
static enum status_code
still_holds(struct store *store, const struct config *cfg, const struct rollback_plan *plan)
{
	struct rollback_plan again;
	enum status_code code = rollback_plan_build(store, cfg, plan->service, plan->environment,
						    plan->target.version, &again);

	if (code == SUCCESS && !streq(again.current.source_id, plan->current.source_id))
		code = error("%s: what runs there changed since the plan (now %s): look again",
			     plan->name, again.current.version ? again.current.version : "?");
	rollback_plan_release(&again);
	return code;
}

enum status_code
rollback_run(struct store *store, const struct config *cfg, const struct rollback_plan *plan,
	     const struct rollback_actor *actor, rollback_output_fn fn, void *ctx,
	     struct rollback_report *report)
{
	struct store_lock held;
	enum status_code code;
	char *detail, *summary;
	bool taken;

	memset(report, 0, sizeof(*report));
	code = rollback_lock_take(store, plan, actor, time_now(), &taken, &held);
	if (code != SUCCESS)
		return code;
	if (!taken) {
		code = refused(store, plan, actor, time_now(), &held);
		store_lock_release(&held);
		return code;
	}
	if ((code = still_holds(store, cfg, plan)) != SUCCESS) {
		detail = xstrdup(status_message(code));
		rollback_audit(store, plan, actor, time_now(), "refused", detail);
		code = error("%s", detail);
		free(detail);
		rollback_lock_drop(store, plan, actor);
		return code;
	}
	if (plan->executor == ROLLBACK_EXEC)
		run_exec(plan, fn, ctx, report);
	else
		code = run_api(store, cfg, plan, actor, report);
	summary = rollback_summary(plan);
	detail = xasprintf("%s: %s%s%s", summary, report->message, report->excerpt ? "\n" : "",
			   report->excerpt ? report->excerpt : "");
	if (code == SUCCESS)
		code = rollback_audit(store, plan, actor, time_now(), result_name(report->outcome),
				      detail);
	if (code == SUCCESS)
		code = add_to_timelines(store, plan, actor, time_now(), report->outcome);
	free(summary);
	free(detail);
	rollback_lock_drop(store, plan, actor);
	return code;
}

void
rollback_report_release(struct rollback_report *report)
{
	free(report->excerpt);
	report->excerpt = NULL;
}
