/* alarm.c - the rollback alarm: a baking deployment whose health (health.c) is
 * failing. The console shows it as a banner and rings the bell, `sitrep status`
 * prints it, and the sync (the process that is always running, not a console
 * someone may close) rolls back where [deploy "SERVICE.ENV"] auto-rollback =
 * true: through the same plan, lock, executor and audit as a person's
 * rollback, as user sitrep-alarm.
 *
 * Once per deployment, across restarts: the "requested" audit row of the alarm
 * starts with "rollback alarm on SOURCE_ID (VERSION): ", and a deployment with such
 * a row is never acted on again, whatever became of the attempt. */
#include "sitrep/sitrep.h"
#include "sitrep/rollback.h"
#include "sitrep/text.h"
#include "sitrep/timestamp.h"

#include <math.h>

void
rollback_alarms_free(struct rollback_alarm *alarms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(alarms[i].name);
		free(alarms[i].acted);
		health_report_release(&alarms[i].health);
		store_deploy_row_release(&alarms[i].deploy);
	}
	free(alarms);
}

/* How the alarm's audit rows about deployment d begin (new). */
static char *
audit_prefix(const struct store_deploy_row *d)
{
	return xasprintf("rollback alarm on %s (%s): ", d->source_id,
			 d->version ? d->version : "?");
}

/* Moves row and health into a, with what the alarm did about it so far. */
static enum status_code
keep(struct store *store, struct rollback_alarm *a, struct store_deploy_row *row,
     const struct health_report *health)
{
	char *prefix = audit_prefix(row);
	enum status_code code;

	a->name = xasprintf("%s.%s", row->service, row->environment);
	a->deploy = *row;
	a->health = *health;
	memset(row, 0, sizeof(*row));
	code = store_action_outcome(store, ROLLBACK_ALARM_USER, "rollback", a->name, prefix,
				    &a->acted);
	free(prefix);
	return code;
}

/* The baking deployments with their health: all of them, or the failing ones. */
static enum status_code
bakes(struct store *store, const struct config *cfg, int64_t now, bool failing_only,
      struct rollback_alarm **alarms, size_t *n)
{
	struct store_deploy_row *rows = NULL;
	size_t n_rows = 0, kept = 0;
	enum status_code code;

	*alarms = NULL;
	*n = 0;
	if ((code = store_baking_deploys(store, now, &rows, &n_rows)) != SUCCESS)
		return code;
	*alarms = xcalloc(n_rows + 1, sizeof(**alarms));
	for (size_t i = 0; i < n_rows; i++) {
		struct health_report health;

		if (code == SUCCESS)
			code = health_check(store, cfg, &rows[i], now, &health);
		if (code != SUCCESS || (failing_only && health.verdict != HEALTH_FAILING)) {
			if (code == SUCCESS)
				health_report_release(&health);
			continue;
		}
		code = keep(store, &(*alarms)[kept++], &rows[i], &health);
	}
	store_deploy_rows_free(rows, n_rows);
	if (code != SUCCESS) {
		rollback_alarms_free(*alarms, kept);
		*alarms = NULL;
		return code;
	}
	*n = kept;
	return SUCCESS;
}

enum status_code
rollback_alarms(struct store *store, const struct config *cfg, int64_t now,
		struct rollback_alarm **alarms, size_t *n)
{
	return bakes(store, cfg, now, true, alarms, n);
}

enum status_code
rollback_bakes(struct store *store, const struct config *cfg, int64_t now,
	       struct rollback_alarm **bakes_out, size_t *n)
{
	return bakes(store, cfg, now, false, bakes_out, n);
}

void
rollback_alarm_describe(const struct rollback_alarm *a, char *buf, size_t size)
{
	char how[48] = "";

	if (!isnan(a->deploy.canary_weight))
		snprintf(how, sizeof(how), " canary %.0f%%", a->deploy.canary_weight);
	else if (a->deploy.pattern)
		snprintf(how, sizeof(how), " %.40s", a->deploy.pattern);
	snprintf(buf, size, "%s %s%s: %s%s%s%s", a->name,
		 a->deploy.version ? a->deploy.version : "?", how, a->health.reason,
		 a->acted ? " (auto-rollback " : "", a->acted ? a->acted : "", a->acted ? ")" : "");
}

/* A line of the log (a terminal with sync --once): upstream text sanitized. */
static void
say(FILE *log, const char *name, const char *what)
{
	char at[TIMESTAMP_TEXT_SIZE];
	char *line, *safe;

	if (!log)
		return;
	timestamp_format(time_now(), at, sizeof(at));
	line = xasprintf("%s rollback alarm %s: %s", at, name, what);
	rollback_redact(line);
	safe = text_sanitize(line, strlen(line), false);
	fprintf(log, "%s\n", safe);
	fflush(log);
	free(safe);
	free(line);
}

/* An audit row of the alarm without a plan (the plan could not be made). */
static enum status_code
audit_plain(struct store *store, const struct rollback_actor *actor, const char *target,
	    const char *result, const char *detail)
{
	struct store_action row = { time_now(), actor->user, actor->host, "rollback",
				    target,	detail,	     result };

	return store_add_action(store, &row);
}

/* The plan rolls back the deployment the alarm is about, not one that came after. */
static bool
plan_matches(const struct rollback_plan *plan, const struct store_deploy_row *d)
{
	if (plan->current.source_id && streq(plan->current.source_id, d->source_id))
		return true;
	if (plan->current.sha && d->sha)
		return streq(plan->current.sha, d->sha);
	return plan->current.version && d->version && streq(plan->current.version, d->version);
}

static enum status_code
act_on(struct store *store, const struct config *cfg, const struct rollback_alarm *a, FILE *log)
{
	struct rollback_actor actor;
	struct rollback_plan plan;
	struct rollback_report report;
	enum status_code code;
	char *prefix, *detail, *summary;

	if (a->acted) /* once per deployment: whatever became of the first attempt */
		return SUCCESS;
	prefix = audit_prefix(&a->deploy);
	rollback_actor_init(&actor, cfg);
	string_copy(actor.user, ROLLBACK_ALARM_USER);
	code = rollback_plan_build(store, cfg, a->deploy.service, a->deploy.environment, NULL,
				   &plan);
	if (code != SUCCESS || !plan_matches(&plan, &a->deploy)) {
		detail = xasprintf("%s%s; no rollback: %s", prefix, a->health.reason,
				   code != SUCCESS ? status_message(code)
						   : "what runs there is another deployment now");
		say(log, a->name, detail);
		code = audit_plain(store, &actor, a->name, "failed", detail);
		free(detail);
		rollback_plan_release(&plan);
		free(prefix);
		return code;
	}
	summary = rollback_summary(&plan);
	detail = xasprintf("%s%s; %s", prefix, a->health.reason, summary);
	say(log, a->name, detail);
	code = rollback_audit(store, &plan, &actor, time_now(), "requested", detail);
	free(detail);
	free(summary);
	if (code == SUCCESS) {
		detail = xasprintf("auto-rollback = true in [deploy \"%s\"]", a->name);
		code = rollback_audit(store, &plan, &actor, time_now(), "confirmed", detail);
		free(detail);
	}
	if (code == SUCCESS) {
		/* A refused lock (a person is rolling back) is audited by rollback_run and is
		 * not the cache failing: the alarm does not try again. */
		enum status_code run = rollback_run(store, cfg, &plan, &actor, NULL, NULL, &report);

		say(log, a->name, run == SUCCESS ? report.message : status_message(run));
		if (run == SUCCESS)
			rollback_report_release(&report);
	}
	rollback_plan_release(&plan);
	free(prefix);
	return code;
}

enum status_code
rollback_alarm_act(struct store *store, const struct config *cfg, int64_t now, FILE *log)
{
	struct rollback_alarm *alarms;
	enum status_code code;
	size_t n;

	if (!cfg->n_deploys)
		return SUCCESS;
	if ((code = rollback_alarms(store, cfg, now, &alarms, &n)) != SUCCESS)
		return code;
	for (size_t i = 0; i < n && code == SUCCESS; i++) {
		const struct config_deploy *d = config_find_deploy(cfg, alarms[i].name);

		if (d && d->auto_rollback)
			code = act_on(store, cfg, &alarms[i], log);
	}
	rollback_alarms_free(alarms, n);
	return code;
}
