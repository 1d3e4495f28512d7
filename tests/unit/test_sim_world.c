/* test_sim_world.c - the simulator's world (src/sim/world.c, delivery.c, tickets.c):
 * the built-in week loads and its references hold together (commits, pipelines,
 * deployments, incidents, tickets), its DORA figures are the ones the scenario
 * promises, what each entity shows at a given instant follows the clock, timings do
 * not depend on --seed, and bad scenarios are refused with the place named. */
#include "sitrep/sitrep.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"
#include "../../src/sim/sim.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400

static int64_t origin;

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	origin = ts("2025-03-03T08:00:00Z");
	if (!w || world_load(w, NULL, origin, 1) != SUCCESS) {
		print_error("%s\n", status_message(ERROR_CUSTOM_MESSAGE));
		free(w);
		return -1;
	}
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	world_release(*state);
	free(*state);
	return 0;
}

/* Milliseconds of origin + offset seconds: what accessors take. */
static int64_t
at(int64_t offset)
{
	return (origin + offset) * 1000;
}

static const struct deployment *
dep(const struct world *w, const char *id)
{
	long i = world_deployment(w, id);

	if (i < 0)
		fail_msg("no deployment %s", id);
	return &w->deployments[i];
}

static const struct pipeline *
pipe_(const struct world *w, const char *id)
{
	long i = world_pipeline(w, id);

	if (i < 0)
		fail_msg("no pipeline %s", id);
	return &w->pipelines[i];
}

static const struct ticket *
ticket(const struct world *w, enum ticket_system s, const char *id)
{
	long i = world_ticket(w, s, id);

	if (i < 0)
		fail_msg("no ticket %s", id);
	return &w->tickets[i];
}

static void
sim_world__builtin_loads(void **state)
{
	const struct world *w = *state;

	assert_int_equal(w->n_services, 3);
	assert_int_equal(w->n_incidents, 15);
	assert_int_equal(w->n_commits, 39);
	assert_int_equal(w->n_pipelines, 38);
	assert_int_equal(w->n_deployments, 35);
	assert_int_equal(w->n_tickets, 21);
	assert_string_equal(w->services[0].repo, "acme/checkout");
	assert_string_equal(w->services[0].default_branch, "main");
	assert_string_equal(w->services[0].team, "Checkout SRE");
	assert_int_equal(w->services[1].pattern, PATTERN_CANARY);
}

/* Every link points at something of the same service, in a possible order. */
static void
sim_world__references_hold(void **state)
{
	const struct world *w = *state;

	for (size_t i = 0; i < w->n_commits; i++) {
		const struct commit *c = &w->commits[i];

		assert_int_equal(strlen(c->sha), 40);
		if (c->parent >= 0) {
			assert_true(w->commits[c->parent].time <= c->time);
			assert_int_equal(w->commits[c->parent].service, c->service);
		}
		assert_true(commit_reaches(w, i, i));
	}
	for (size_t i = 0; i < w->n_pipelines; i++) {
		const struct pipeline *p = &w->pipelines[i];

		assert_int_equal(w->commits[p->commit].service, p->service);
		assert_true(p->queued >= w->commits[p->commit].time);
		assert_true(p->start >= p->queued);
		for (size_t j = 0; j < p->n_stages; j++)
			if (p->stages[j].start != TIME_NONE)
				assert_true(p->stages[j].finish > p->stages[j].start);
	}
	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		assert_int_equal(w->commits[d->commit].service, d->service);
		assert_true(d->finish > d->start);
		if (d->pipeline >= 0)
			assert_int_equal(w->pipelines[d->pipeline].commit, d->commit);
		for (size_t k = 0; k < d->n_caused; k++) {
			const struct incident *in = &w->incidents[d->caused[k]];

			assert_int_equal(in->caused_by, (long)i);
			assert_int_equal(in->service, d->service);
			assert_true(d->finish <= in->impact);
		}
		if (d->rolls_back >= 0) {
			assert_int_equal(w->deployments[d->rolls_back].rolled_back_by, (long)i);
			assert_string_equal(d->version, w->deployments[d->restores].version);
			assert_int_equal(d->n_commits, 0);
		}
		if (d->fixes >= 0)
			assert_int_equal(w->deployments[d->fixes].fixed_by, (long)i);
		for (size_t k = 0; k < d->n_commits; k++)
			assert_true(commit_reaches(w, d->commit, d->commits[k]));
	}
	for (size_t i = 0; i < w->n_tickets; i++) {
		const struct ticket *t = &w->tickets[i];

		if (t->incident >= 0)
			assert_int_equal(w->incidents[t->incident].service, t->service);
		assert_true(t->n_changes > 0 && t->changes[0].at == t->opened);
		for (size_t k = 1; k < t->n_changes; k++)
			assert_true(t->changes[k].at >= t->changes[k - 1].at);
	}
}

/* The week's DORA inputs: 15 production deployments succeed, 3 of them cause
 * incidents, one is rolled back in Argo CD and one fixed by a hotfix. */
static void
sim_world__dora_numbers(void **state)
{
	const struct world *w = *state;
	size_t deployed = 0, caused = 0, rollbacks = 0, hotfixes = 0, failed = 0;

	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		if (d->env != ENV_PRODUCTION)
			continue;
		if (d->outcome != DEPLOY_SUCCESS) {
			failed++;
			continue;
		}
		deployed++;
		caused += d->n_caused > 0;
		rollbacks += d->kind == DEPLOY_ROLLBACK;
		hotfixes += d->kind == DEPLOY_HOTFIX;
	}
	assert_int_equal(deployed, 15);
	assert_int_equal(caused, 3);
	assert_int_equal(rollbacks, 1);
	assert_int_equal(hotfixes, 1);
	/* 3.7.1 failed, the canaries of search 3.8.0 and checkout 1.44.0-rc.1 aborted */
	assert_int_equal(failed, 3);
	assert_int_equal(dep(w, "DEP-119")->rolls_back, world_deployment(w, "DEP-118"));
	assert_string_equal(dep(w, "DEP-119")->via, "argocd");
	assert_string_equal(dep(w, "DEP-119")->version, "2.13.2");
	assert_int_equal(dep(w, "DEP-126")->fixes, world_deployment(w, "DEP-124"));
	assert_int_equal(dep(w, "DEP-124")->n_caused, 2);
	assert_int_equal(dep(w, "DEP-116")->outcome, DEPLOY_ROLLED_BACK);
	assert_int_equal(dep(w, "DEP-110")->outcome, DEPLOY_FAILED);
	/* 1.41.0 shipped the two commits of its branch and the merge */
	assert_int_equal(dep(w, "DEP-104")->n_commits, 3);
	assert_int_equal(dep(w, "DEP-104")->previous, -1);
}

/* At --start: the hotfix pipeline runs, 2.14.1 waits for approval, the search
 * canary pauses at 50%, and what runs in production is what the history says. */
static void
sim_world__state_at_start(void **state)
{
	const struct world *w = *state;
	const struct pipeline *hotfix = pipe_(w, "pl-co-10"), *gate = pipe_(w, "pl-pa-7");
	const struct deployment *canary = dep(w, "DEP-122");
	struct canary_state cs;
	size_t running = 0;
	long prod;

	assert_int_equal(pipeline_status(hotfix, at(0)), RUN_RUNNING);
	for (size_t j = 0; j < hotfix->n_stages; j++) {
		enum run_status s = stage_status(&hotfix->stages[j], at(0));

		running += s == RUN_RUNNING;
		assert_true(s == RUN_SUCCESS || s == RUN_RUNNING || s == RUN_PENDING ||
			    (s == RUN_SKIPPED && hotfix->stages[j].kind == STAGE_INTEGRATION));
	}
	assert_int_equal(running, 1);
	assert_int_equal(pipeline_status(hotfix, at(-10 * MIN)), RUN_PENDING);
	assert_false(pipeline_exists(hotfix, at(-10 * MIN)));
	assert_int_equal(pipeline_status(hotfix, at(HOUR)), RUN_SUCCESS);

	assert_int_equal(pipeline_status(gate, at(0)), RUN_WAITING);
	prod = (long)gate->n_stages - 1;
	assert_int_equal(gate->stages[prod].kind, STAGE_PRODUCTION);
	assert_int_equal(stage_status(&gate->stages[prod], at(0)), RUN_WAITING);
	assert_int_equal(stage_status(&gate->stages[prod - 1], at(0)), RUN_SUCCESS);
	assert_int_equal(stage_status(&gate->stages[prod], at(5 * HOUR + MIN)), RUN_RUNNING);
	assert_string_equal(gate->stages[prod].approver, "sam");

	assert_int_equal(deployment_status(canary, at(0)), DEPLOY_RUNNING);
	assert_true(deployment_canary(canary, at(0), &cs));
	assert_int_equal(cs.step, 5);
	assert_int_equal(cs.weight, 50);
	assert_true(cs.paused);
	assert_false(cs.done);
	assert_true(cs.pause_end > origin && cs.pause_end - cs.pause_start == 40 * MIN);
	assert_true(deployment_canary(canary, at(-70 * MIN), &cs));
	assert_int_equal(cs.weight, 10);
	assert_true(deployment_canary(canary, at(HOUR), &cs));
	assert_true(cs.done && cs.weight == 100 && !cs.aborted);
	assert_false(deployment_canary(dep(w, "DEP-124"), at(0), &cs));
	assert_true(deployment_canary(dep(w, "DEP-116"), at(0), &cs));
	assert_true(cs.done && cs.aborted && cs.weight == 0 && cs.step == 3);

	assert_int_equal(world_live_deployment(w, 1, ENV_PRODUCTION, at(0)),
			 world_deployment(w, "DEP-112"));
	assert_int_equal(world_latest_deployment(w, 1, ENV_PRODUCTION, at(0)),
			 world_deployment(w, "DEP-122"));
	assert_int_equal(world_live_deployment(w, 2, ENV_PRODUCTION, at(0)),
			 world_deployment(w, "DEP-119"));
	assert_int_equal(world_live_deployment(w, 0, ENV_PRODUCTION, at(0)),
			 world_deployment(w, "DEP-124"));
	assert_int_equal(world_live_deployment(w, 0, ENV_PRODUCTION, at(15 * MIN)),
			 world_deployment(w, "DEP-126"));
	assert_int_equal(world_live_deployment(w, 0, ENV_PRODUCTION, at(-7 * DAY)), -1);
}

/* The demo's live story, minutes after --start: checkout 1.44.0-rc.1 goes out as a
 * canary once the hotfix is live, its errors fire an alert (acknowledged, with a
 * ServiceNow ticket), the canary is aborted and traffic returns to 1.43.1. */
static void
sim_world__live_canary_story(void **state)
{
	const struct world *w = *state;
	const struct deployment *canary = dep(w, "DEP-135"), *hotfix = dep(w, "DEP-126");
	const struct incident *in = &w->incidents[world_incident(w, "SIM-115")];
	const struct ticket *t = ticket(w, TICKET_SERVICENOW, "INC0010244");
	size_t checkout = (size_t)world_service(w, "checkout");
	struct canary_state cs;

	assert_true(canary->start >= hotfix->finish);
	assert_true(canary->start - origin <= 15 * MIN);
	assert_int_equal(deployment_status(canary, at(15 * MIN)), DEPLOY_RUNNING);
	assert_true(deployment_canary(canary, at(15 * MIN), &cs));
	assert_int_equal(cs.weight, 10);
	assert_int_equal(incident_state(in, at(12 * MIN)), ALERT_INACTIVE);
	assert_int_equal(incident_state(in, at(15 * MIN)), ALERT_FIRING);
	assert_int_equal(t->incident, world_incident(w, "SIM-115"));
	assert_true(t->opened > in->fire && t->opened < in->resolve);
	assert_int_equal(deployment_status(canary, at(19 * MIN)), DEPLOY_ROLLED_BACK);
	assert_int_equal(world_live_deployment(w, checkout, ENV_PRODUCTION, at(19 * MIN)),
			 world_deployment(w, "DEP-126"));
	assert_int_equal(incident_state(in, at(21 * MIN)), ALERT_INACTIVE);
}

static void
sim_world__branches(void **state)
{
	const struct world *w = *state;
	long rel = world_branch(w, 2, "release/2.15"),
	     feat = world_branch(w, 0, "feature/receipt-pdf");

	assert_true(rel >= 0 && feat >= 0);
	assert_int_equal(w->branches[rel].base, world_commit(w, "pa-11"));
	assert_int_equal(w->branches[rel].pr, 0);
	assert_int_equal(branch_head(w, (size_t)rel, at(0)), -1);
	assert_int_equal(branch_head(w, (size_t)rel, at(3 * DAY)), world_commit(w, "pa-11"));
	assert_true(w->branches[feat].pr > 0);
	assert_int_equal(w->branches[feat].merged_by, world_commit(w, "co-7"));
	assert_non_null(
		strstr(w->commits[world_commit(w, "co-7")].message, "Merge pull request #"));
	assert_int_equal(branch_head(w, 0, at(-4 * DAY)), world_commit(w, "co-4"));
	assert_true(commit_reaches(w, (size_t)world_commit(w, "pa-8"),
				   (size_t)world_commit(w, "pa-7")));
	assert_false(commit_reaches(w, (size_t)world_commit(w, "pa-7"),
				    (size_t)world_commit(w, "pa-8")));
}

static void
sim_world__tickets_at_start(void **state)
{
	const struct world *w = *state;
	const struct ticket *inc = ticket(w, TICKET_SERVICENOW, "INC0010238");
	const struct ticket *pending = ticket(w, TICKET_ZENDESK, "4803");
	const struct ticket *late = ticket(w, TICKET_ZENDESK, "4805");
	const struct ticket *reopened = ticket(w, TICKET_SERVICENOW, "INC0010236");
	struct sla_state s;
	struct ticket_metrics m;

	assert_true(inc->correlated);
	assert_int_equal(inc->priority, 2);
	assert_int_equal(ticket_state_at(inc, at(0)), TICKET_OPEN);
	assert_int_equal(ticket_state_at(inc, at(HOUR)), TICKET_SOLVED);
	assert_int_equal(servicenow_state_code(ticket_state_at(inc, at(HOUR))), 6);
	assert_true(ticket_notes_at(inc, at(0)) >= 2 && ticket_notes_at(inc, at(0)) < inc->n_notes);
	assert_true(ticket_updated_at(inc, at(0)) <= origin);
	sla_state_at(&inc->slas[1], at(0), &s);
	assert_int_equal(s.stage, SLA_IN_PROGRESS);
	assert_false(s.breached);

	assert_int_equal(ticket_state_at(pending, at(0)), TICKET_PENDING);
	sla_state_at(&pending->slas[1], at(0), &s);
	assert_int_equal(s.stage, SLA_PAUSED);
	assert_int_equal(pending->slas[1].def->metric, SLA_REQUESTER_WAIT);

	/* The merchant's ticket: tied to SIM-110 only by service and time. */
	assert_false(late->correlated);
	assert_int_equal(late->incident, world_incident(w, "SIM-110"));
	assert_false(ticket_exists(late, at(0)));
	assert_true(ticket_exists(late, at(5 * MIN)));
	sla_state_at(&late->slas[0], at(65 * MIN), &s);
	assert_false(s.breached);
	assert_int_equal(s.planned_end, origin + 65 * MIN);
	sla_state_at(&late->slas[0], at(66 * MIN), &s);
	assert_true(s.breached);
	ticket_metrics_at(late, at(3 * HOUR), &m);
	assert_int_equal(m.reply, 75 * MIN);
	assert_int_equal(m.reply_business, 20 * MIN);
	assert_int_equal(m.agent_wait, 75 * MIN);
	assert_int_equal(m.requester_wait, 90 * MIN);
	assert_int_equal(m.replies, 3);
	ticket_metrics_at(late, at(HOUR), &m);
	assert_int_equal(m.reply, TIME_NONE);

	assert_int_equal(reopened->n_reopens, 1);
	assert_int_equal(ticket_reopens_at(reopened, at(0)), 1);
	assert_int_equal(reopened->n_slas, 3);
	assert_int_equal(ticket_slas_at(reopened, at(-1 * DAY - 14 * HOUR - MIN)), 2);
}

/* ServiceNow's outage ticket breaches both SLAs; the P1 resolution clock is 24x7. */
static void
sim_world__sla_breaches(void **state)
{
	const struct world *w = *state;
	const struct ticket *t = ticket(w, TICKET_SERVICENOW, "INC0010233");
	const struct ticket *report = ticket(w, TICKET_SERVICENOW, "INC0010234");

	assert_int_equal(t->priority, 1);
	assert_int_equal(t->slas[0].def->metric, SLA_RESPONSE);
	assert_int_equal(t->slas[0].breach, t->opened + 15 * MIN);
	assert_int_equal(t->slas[1].breach, t->opened + 2 * HOUR);
	/* The caller's report pauses its P4 resolution SLA while on hold. */
	assert_int_equal(report->slas[1].n_pauses, 1);
	assert_int_equal(report->slas[1].breach, TIME_NONE);
	assert_true(report->slas[1].def->business);
}

static void
sim_world__business_hours(void **state)
{
	(void)state;
	/* Friday 16:30 to Monday 09:40: 30 + 40 minutes. */
	assert_int_equal(business_seconds(ts("2025-02-28T16:30:00Z"), ts("2025-03-03T09:40:00Z")),
			 70 * MIN);
	assert_int_equal(business_seconds(ts("2025-03-01T10:00:00Z"), ts("2025-03-02T23:00:00Z")),
			 0);
	assert_int_equal(business_seconds(ts("2025-03-03T08:00:00Z"), ts("2025-03-04T08:00:00Z")),
			 8 * HOUR);
}

/* --seed changes identifiers, never timings. */
static void
sim_world__timings_ignore_the_seed(void **state)
{
	const struct world *w = *state;
	struct world other;

	assert_int_equal(world_load(&other, NULL, origin, 8), SUCCESS);
	for (size_t i = 0; i < w->n_pipelines; i++)
		assert_int_equal(other.pipelines[i].finish == w->pipelines[i].finish, 1);
	for (size_t i = 0; i < w->n_deployments; i++)
		assert_int_equal(other.deployments[i].finish, w->deployments[i].finish);
	/* a commit's sha is git's, of its content */
	assert_string_equal(other.commits[0].sha, w->commits[0].sha);
	assert_string_not_equal(other.tickets[0].sys_id, w->tickets[0].sys_id);
	world_release(&other);
}

/* ---- bad scenarios ------------------------------------------------------------------ */

#define HEAD                                                                              \
	"{\"services\": [{\"name\": \"api\"}, {\"name\": \"web\"}],"                      \
	"\"incidents\": [{\"id\": \"I-1\", \"service\": \"api\", \"alertname\": \"A\", "  \
	"\"title\": \"t\", \"impact\": \"+1h\", \"resolve\": \"+2h\" CAUSE}],"            \
	"\"commits\": [{\"id\": \"c0\", \"service\": \"api\", \"author\": \"a\", "        \
	"\"message\": \"m\", \"time\": \"-2d\"}, {\"id\": \"c1\", \"service\": \"api\", " \
	"\"author\": \"a\", \"message\": \"m\", \"time\": \"-1d\"}"
#define PIPE                                                                         \
	"\"pipelines\": [{\"id\": \"p1\", \"commit\": \"c1\", \"queued\": \"-1d\", " \
	"\"version\": \"1.0.0\"}]"
#define DEPS                                                                          \
	"\"deployments\": [{\"id\": \"D-1\", \"pipeline\": \"p1\", \"environment\": " \
	"\"staging\"}, {\"id\": \"D-2\", \"pipeline\": \"p1\"}]"

static const struct bad_case {
	const char *text;
	const char *message; /* expected within the error, after the file name */
} bad_cases[] = {
	/* a good base, to prove the others fail for their own reason */
	{ "{\"services\": [{\"name\": \"api\"}]}", NULL },
	{ "{\"services\": [{\"name\": \"api\"}], \"commits\": [{\"id\": \"c0\", \"service\": "
	  "\"api\", \"auther\": \"a\"}]}",
	  ": commits[0]: unknown key \"auther\"" },
	{ "{\"services\": [{\"name\": \"api\", \"pattern\": \"big-bang\"}]}",
	  ": services[0]: \"pattern\" must be one of rolling, blue-green, canary, recreate" },
	{ "{\"services\": [{\"name\": \"api\"}], \"pipelines\": [{\"id\": \"p\", \"commit\": "
	  "\"nope\", \"queued\": \"-1h\"}]}",
	  ": pipelines[0]: no commit \"nope\"" },
	/* the built-in's shape, in small */
	{ HEAD "]," PIPE "," DEPS "}", NULL },
	{ HEAD ", {\"id\": \"c2\", \"service\": \"api\", \"author\": \"a\", \"message\": \"m\", "
	       "\"time\": \"-1d\", \"parent\": \"c9\"}]}",
	  ": commits[2]: parent: \"c9\" is not an earlier commit" },
	{ HEAD ", {\"id\": \"c1\", \"service\": \"api\", \"author\": \"a\", \"message\": \"m\", "
	       "\"time\": \"-1d\"}]}",
	  ": commits[2]: commit \"c1\" twice" },
	{ HEAD ", {\"id\": \"c2\", \"service\": \"api\", \"branch\": \"main\", \"author\": \"a\", "
	       "\"time\": \"-1d\", \"merge\": \"c1\"}]}",
	  ": commits[2]: merges \"c1\" of its own branch" },
	{ HEAD "], \"pipelines\": [{\"id\": \"p1\", \"commit\": \"c1\", \"queued\": \"-3d\"}]}",
	  ": pipelines[0]: queued before its commit was made" },
	{ HEAD "], \"pipelines\": [{\"id\": \"p1\", \"commit\": \"c1\", \"queued\": \"-1d\"}]}",
	  ": pipelines[0]: it publishes, so it needs a \"version\"" },
	{ HEAD "], \"pipelines\": [{\"id\": \"p1\", \"commit\": \"c1\", \"queued\": \"-1d\", "
	       "\"template\": \"ci\", \"stages\": {\"production\": {}}}]}",
	  ": pipelines[0]: stages: \"production\" is not a stage of this pipeline" },
	{ HEAD "]," PIPE "}",
	  ": pipelines[0]: its deploy staging runs, but no deployment names it" },
	{ HEAD "]," PIPE ", \"deployments\": [{\"id\": \"D-1\", \"pipeline\": \"p9\"}]}",
	  ": deployments[0]: no pipeline \"p9\"" },
	{ HEAD "], \"pipelines\": [{\"id\": \"p1\", \"commit\": \"c1\", \"queued\": \"-1d\", "
	       "\"version\": \"1.0.0\", \"stages\": {\"production\": {\"approved\": \"-1d\", "
	       "\"approver\": \"b\"}}}]," DEPS "}",
	  ": pipelines[0]: stages.production: approved before it could start" },
	{ HEAD "]," PIPE "," DEPS ", \"tickets\": [{\"system\": \"servicenow\", \"id\": "
	       "\"INC0000001\", \"incident\": \"I-9\"}]}",
	  ": tickets[0]: no incident \"I-9\"" },
	{ HEAD "]," PIPE "," DEPS ", \"tickets\": [{\"system\": \"zendesk\", \"id\": 7, "
	       "\"incident\": \"I-1\", \"requester\": \"r\", \"opened\": \"+1h\", \"responded\": "
	       "\"+3h\", \"resolved\": \"+2h\"}]}",
	  ": tickets[0]: resolved before anyone responded" },
	{ HEAD "]," PIPE "," DEPS ", \"tickets\": [{\"system\": \"zendesk\", \"id\": 7, "
	       "\"incident\": \"I-1\", \"correlated\": false, \"requester\": \"r\", \"opened\": "
	       "\"+3h\", \"resolved\": \"+4h\"}]}",
	  ": tickets[0]: it does not overlap I-1, its only tie to it" },
	{ HEAD "]," PIPE "," DEPS ", \"tickets\": [{\"system\": \"servicenow\", \"id\": "
	       "\"INC12\", \"incident\": \"I-1\"}]}",
	  ": tickets[0]: \"id\" must be \"INC\" and 7 digits" },
};

/* The same cases with a cause for I-1 (CAUSE in HEAD is replaced). */
static const struct bad_case cause_cases[] = {
	{ ", \"caused_by\": \"D-2\"", NULL },
	{ ", \"caused_by\": \"D-9\"", ": incidents[0]: caused_by: no deployment \"D-9\"" },
	{ ", \"caused_by\": \"D-1\"", ": incidents[0]: caused_by: D-1 deployed to staging" },
};

static char *
scenario_text(const char *text, const char *cause)
{
	const char *mark = strstr(text, " CAUSE");
	struct buf b;

	buf_init(&b, 0);
	if (!mark) {
		buf_addstr(&b, text);
		return buf_detach(&b);
	}
	buf_add(&b, text, (size_t)(mark - text));
	buf_addstr(&b, cause);
	buf_addstr(&b, mark + 6);
	return buf_detach(&b);
}

static void
check_case(const char *text, const char *message)
{
	char path[] = "/tmp/sitrep-sim-world-XXXXXX";
	int fd = mkstemp(path);
	struct world w;
	enum status_code rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = world_load(&w, path, origin, 1);
	unlink(path);
	if (!message) {
		if (rc)
			fail_msg("refused: %s\n%s", status_message(rc), text);
		world_release(&w);
		return;
	}
	if (rc == SUCCESS)
		fail_msg("accepted: %s", text);
	if (strncmp(status_message(rc), path, strlen(path)) != 0 ||
	    !strstr(status_message(rc), message))
		fail_msg("got \"%s\", expected \"%s\"", status_message(rc), message);
}

static void
sim_world__bad_scenarios_name_the_place(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char *text = scenario_text(bad_cases[i].text, "");

		check_case(text, bad_cases[i].message);
		free(text);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cause_cases); i++) {
		char *text = scenario_text(HEAD "]," PIPE "," DEPS "}", cause_cases[i].text);

		check_case(text, cause_cases[i].message);
		free(text);
	}
}

/* A rollback must undo what runs when it starts, and finish after it starts. */
static void
sim_world__bad_rollbacks(void **state)
{
	static const struct bad_case cases[] = {
		{ ", {\"id\": \"R\", \"service\": \"api\", \"kind\": \"rollback\", \"rolls_back\": "
		  "\"D-2\", \"actor\": \"x\", \"start\": \"-1h\", \"finish\": \"-2h\"}",
		  ": deployments[2]: finishes before it starts" },
		{ ", {\"id\": \"R\", \"service\": \"api\", \"kind\": \"rollback\", \"rolls_back\": "
		  "\"D-2\", \"actor\": \"x\", \"start\": \"-1h\", \"finish\": \"-50m\"}",
		  ": deployments[2]: rolls_back: nothing ran before D-2" },
		{ ", {\"id\": \"R\", \"service\": \"api\", \"kind\": \"rollback\", \"actor\": "
		  "\"x\", "
		  "\"start\": \"-1h\", \"finish\": \"-50m\"}",
		  ": deployments[2]: a rollback names the deployment it rolls back "
		  "(\"rolls_back\")" },
		{ ", {\"id\": \"R\", \"service\": \"api\", \"kind\": \"hotfix\", \"actor\": \"x\"}",
		  ": deployments[2]: \"pipeline\" is required" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *deps = xasprintf("\"deployments\": [{\"id\": \"D-1\", \"pipeline\": \"p1\", "
				       "\"environment\": \"staging\"}, {\"id\": \"D-2\", "
				       "\"pipeline\": \"p1\"}%s]",
				       cases[i].text);
		char *text = xasprintf("%s]," PIPE ",%s}", HEAD, deps);
		char *full = scenario_text(text, "");

		check_case(full, cases[i].message);
		free(full);
		free(text);
		free(deps);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_world__builtin_loads),
		cmocka_unit_test(sim_world__references_hold),
		cmocka_unit_test(sim_world__dora_numbers),
		cmocka_unit_test(sim_world__state_at_start),
		cmocka_unit_test(sim_world__live_canary_story),
		cmocka_unit_test(sim_world__branches),
		cmocka_unit_test(sim_world__tickets_at_start),
		cmocka_unit_test(sim_world__sla_breaches),
		cmocka_unit_test(sim_world__business_hours),
		cmocka_unit_test(sim_world__timings_ignore_the_seed),
		cmocka_unit_test(sim_world__bad_scenarios_name_the_place),
		cmocka_unit_test(sim_world__bad_rollbacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
