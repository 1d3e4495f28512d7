/* github.c - the GitHub REST dialect (API version 2022-11-28) for Actions workflow
 * runs with their jobs and for Deployments with their statuses, as api.github.com
 * answers them, read from the world's delivery records (delivery.c): each service's
 * repository ("acme/checkout") under /repos/OWNER/NAME/ and, as GitHub's Link
 * headers name it, under /repositories/ID/.
 *
 *   GET /repos/{owner}/{repo}                             the repository
 *   GET /repos/{owner}/{repo}/actions/runs                {"total_count", "workflow_runs"}
 *   GET /repos/{owner}/{repo}/actions/runs/{id}           a run
 *   GET /repos/{owner}/{repo}/actions/runs/{id}/jobs      {"total_count", "jobs"}
 *   GET /repos/{owner}/{repo}/deployments                 [deployment]
 *   GET /repos/{owner}/{repo}/deployments/{id}            a deployment
 *   GET /repos/{owner}/{repo}/deployments/{id}/statuses   [status]
 *   POST /repos/{owner}/{repo}/deployments                a rollback (rollbacks.c)
 *   GET /rate_limit
 *
 * and, in github_branches.c, a repository's branches, their protection and the
 * check runs of a commit.
 *
 * A pipeline is a workflow run from its queueing; its stages are its jobs, each from
 * when it could start (GitHub creates a job once the jobs it needs are done). A
 * deployment a pipeline's deploy stage made is a GitHub deployment (an Argo CD
 * rollback is not: GitHub never hears of it), created by the deploy job with the
 * version in its payload, with statuses: in_progress at its start (one more per
 * canary weight), then success, failure (an aborted canary says it rolled back), or
 * error for a cancel; and inactive once a newer deployment to the same staging
 * environment succeeds (auto_inactive spares production environments).
 *
 * What clients trip on, reproduced (cicd-rollback.md 1): ids past 2^32; list
 * bodies wrapped in {"total_count": N, ...} for runs and jobs but bare arrays for
 * deployments and statuses; newest first, per_page (default 30, at most 100) and
 * page, with Link next/last/first/prev URLs in the /repositories/ID form; a run has
 * no completed_at (updated_at is its last change); status and conclusion apart; a
 * queued job carries the time it was queued as started_at, a skipped one its skip
 * time as both; steps' times carry a +02:00 offset; a deployment's payload is an
 * object; ETags on every 200, so If-None-Match gives 304; X-RateLimit-* headers with
 * the reset as an epoch second; errors are {"message", "documentation_url",
 * "status"}. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#define REPO_ID_BASE 617210000
#define PER_PAGE_DEFAULT 30
#define PER_PAGE_MAX 100
#define RATE_LIMIT 5000
#define JOB_STRIDE 100 /* job ids: the run's id times this, plus the stage's number */
#define STATUS_STRIDE 100
#define DOCS "https://docs.github.com/rest"
#define WEB "https://github.com"

/* ---- what the world looks like on GitHub ---------------------------------------- */

static void
set_time(json_t *obj, const char *key, int64_t t)
{
	char text[TIMESTAMP_TEXT_SIZE];

	if (t == TIME_NONE) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	timestamp_format(t, text, sizeof(text));
	json_object_set_new(obj, key, json_string(text));
}

/* Steps' times as the runner's clock writes them: "2025-03-03T11:42:56.000+02:00". */
static void
set_step_time(json_t *obj, const char *key, int64_t t)
{
	char text[TIMESTAMP_TEXT_SIZE], out[40];

	if (t == TIME_NONE) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	timestamp_format(t + 2 * 3600, text, sizeof(text));
	snprintf(out, sizeof(out), "%.19s.000+02:00", text);
	json_object_set_new(obj, key, json_string(out));
}

static json_t *
id_json(uint64_t id)
{
	return json_integer((json_int_t)id);
}

/* "http://127.0.0.1:PORT/github" */
static void
api_base(const struct sim *sim, struct buf *b)
{
	buf_printf(b, "http://127.0.0.1:%u/github", (unsigned int)sim->port);
}

char *
github_api_url(const struct sim *sim, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	api_base(sim, &b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

static void
set_url(json_t *obj, const char *key, char *url)
{
	json_object_set_new(obj, key, json_string(url));
	free(url);
}

static uint64_t
user_id(const struct world *w, const char *login)
{
	return 1000000 + sim_hash(w->seed, login, 7) % 90000000;
}

static json_t *
user_json(const struct sim *sim, const char *login, bool bot)
{
	json_t *u = json_object();
	char text[160];

	json_object_set_new(u, "login", json_string(login));
	json_object_set_new(u, "id", id_json(bot ? 41898282 : user_id(&sim->world, login)));
	snprintf(text, sizeof(text), "U_%s", login);
	json_object_set_new(u, "node_id", json_string(text));
	snprintf(text, sizeof(text), "https://avatars.githubusercontent.com/u/%llu?v=4",
		 (unsigned long long)(bot ? 41898282 : user_id(&sim->world, login)));
	json_object_set_new(u, "avatar_url", json_string(text));
	json_object_set_new(u, "gravatar_id", json_string(""));
	set_url(u, "url", github_api_url(sim, "/users/%s", login));
	snprintf(text, sizeof(text), WEB "/%s", login);
	json_object_set_new(u, "html_url", json_string(text));
	json_object_set_new(u, "type", json_string(bot ? "Bot" : "User"));
	json_object_set_new(u, "site_admin", json_false());
	return u;
}

static uint64_t
repo_id(size_t s)
{
	return REPO_ID_BASE + s;
}

static json_t *
repository_json(const struct sim *sim, size_t s)
{
	const struct service *svc = &sim->world.services[s];
	const char *slash = strchr(svc->repo, '/');
	json_t *r = json_object(), *owner;
	char text[200];

	json_object_set_new(r, "id", id_json(repo_id(s)));
	snprintf(text, sizeof(text), "R_kgDO%llu", (unsigned long long)repo_id(s));
	json_object_set_new(r, "node_id", json_string(text));
	json_object_set_new(r, "name", json_string(slash ? slash + 1 : svc->repo));
	json_object_set_new(r, "full_name", json_string(svc->repo));
	json_object_set_new(r, "private", json_true());
	snprintf(text, sizeof(text), "%.*s", slash ? (int)(slash - svc->repo) : 0, svc->repo);
	owner = user_json(sim, text, false);
	json_object_set_new(owner, "type", json_string("Organization"));
	json_object_set_new(r, "owner", owner);
	snprintf(text, sizeof(text), WEB "/%s", svc->repo);
	json_object_set_new(r, "html_url", json_string(text));
	json_object_set_new(r, "description", json_string(svc->name));
	json_object_set_new(r, "fork", json_false());
	set_url(r, "url", github_api_url(sim, "/repos/%s", svc->repo));
	set_url(r, "deployments_url", github_api_url(sim, "/repos/%s/deployments", svc->repo));
	return r;
}

/* GitHub's status and conclusion of a world status. */
static void
run_state(enum run_status st, const char **status, const char **conclusion)
{
	static const char *const statuses[] = { "queued", "waiting", "in_progress" };
	static const char *const conclusions[] = { "success", "failure", "cancelled", "skipped" };

	*conclusion = NULL;
	if (st <= RUN_RUNNING) {
		*status = statuses[st];
		return;
	}
	*status = "completed";
	*conclusion = conclusions[st - RUN_SUCCESS];
}

/* The last change of a run by now: its queueing, start, and every stage's. */
static int64_t
run_updated(const struct pipeline *p, int64_t now)
{
	int64_t t = p->queued;
	int64_t times[4];

#define LATER(x)                                               \
	do {                                                   \
		if ((x) != TIME_NONE && (x) <= now && (x) > t) \
			t = (x);                               \
	} while (0)
	LATER(p->start);
	LATER(p->finish);
	for (size_t i = 0; i < p->n_stages; i++) {
		times[0] = p->stages[i].ready;
		times[1] = p->stages[i].start;
		times[2] = p->stages[i].finish;
		times[3] = p->stages[i].approved;
		for (size_t j = 0; j < ARRAY_SIZE(times); j++)
			LATER(times[j]);
	}
#undef LATER
	return t;
}

static const char *
first_line(const char *text, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
	return buf;
}

static json_t *
head_commit_json(const struct sim *sim, const struct commit *c)
{
	const struct service *svc = &sim->world.services[c->service];
	json_t *hc = json_object(), *who;
	char email[160];

	json_object_set_new(hc, "id", json_string(c->sha));
	json_object_set_new(hc, "tree_id", json_string(c->sha)); /* not the commit's, but 40 hex */
	json_object_set_new(hc, "message", json_string(c->message));
	set_time(hc, "timestamp", c->time);
	snprintf(email, sizeof(email), "%s@%.*s.example", c->author, (int)strcspn(svc->repo, "/"),
		 svc->repo);
	who = json_object();
	json_object_set_new(who, "name", json_string(c->author));
	json_object_set_new(who, "email", json_string(email));
	json_object_set_new(hc, "author", who);
	who = json_object();
	json_object_set_new(who, "name", json_string("GitHub"));
	json_object_set_new(who, "email", json_string("noreply@github.com"));
	json_object_set_new(hc, "committer", who);
	return hc;
}

static uint64_t
workflow_id(const struct world *w, const struct pipeline *p)
{
	return 75000000 + sim_hash(w->seed, p->name, p->service) % 1000000;
}

static json_t *
run_json(const struct sim *sim, const struct pipeline *p, int64_t now_ms, bool with_prs)
{
	const struct world *w = &sim->world;
	const struct service *svc = &w->services[p->service];
	const struct commit *c = &w->commits[p->commit];
	const struct branch *b = &w->branches[p->branch];
	int64_t now = floor_div(now_ms, 1000);
	unsigned long long id = (unsigned long long)p->run_id;
	const char *status, *conclusion;
	json_t *o = json_object(), *prs = json_array();
	char text[512];

	run_state(pipeline_status(p, now_ms), &status, &conclusion);
	json_object_set_new(o, "id", id_json(p->run_id));
	json_object_set_new(o, "name", json_string(p->name));
	snprintf(text, sizeof(text), "WFR_kwLO%llu", id);
	json_object_set_new(o, "node_id", json_string(text));
	json_object_set_new(o, "head_branch", json_string(b->name));
	json_object_set_new(o, "head_sha", json_string(c->sha));
	snprintf(text, sizeof(text), ".github/workflows/%s.yml", p->name);
	json_object_set_new(o, "path", json_string(text));
	json_object_set_new(o, "display_title",
			    json_string(first_line(c->message, text, sizeof(text))));
	json_object_set_new(o, "run_number", json_integer((json_int_t)p->number));
	json_object_set_new(o, "event", json_string(p->event));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "conclusion", conclusion ? json_string(conclusion) : json_null());
	json_object_set_new(o, "workflow_id", id_json(workflow_id(w, p)));
	json_object_set_new(o, "check_suite_id", id_json(p->run_id * 2 + 1));
	snprintf(text, sizeof(text), "CS_kwDO%llu", id * 2 + 1);
	json_object_set_new(o, "check_suite_node_id", json_string(text));
	set_url(o, "url", github_api_url(sim, "/repos/%s/actions/runs/%llu", svc->repo, id));
	snprintf(text, sizeof(text), WEB "/%s/actions/runs/%llu", svc->repo, id);
	json_object_set_new(o, "html_url", json_string(text));
	if (with_prs && b->pr && streq(p->event, "pull_request")) {
		json_t *pr = json_object();

		json_object_set_new(pr, "number", json_integer((json_int_t)b->pr));
		set_url(pr, "url", github_api_url(sim, "/repos/%s/pulls/%lu", svc->repo, b->pr));
		json_array_append_new(prs, pr);
	}
	json_object_set_new(o, "pull_requests", prs);
	set_time(o, "created_at", p->queued);
	set_time(o, "updated_at", run_updated(p, now));
	json_object_set_new(o, "actor", user_json(sim, p->actor, false));
	json_object_set_new(o, "run_attempt", json_integer(1));
	json_object_set_new(o, "referenced_workflows", json_array());
	/* GitHub sets it when the attempt is created, before it starts. */
	set_time(o, "run_started_at", p->start <= now ? p->start : p->queued);
	json_object_set_new(o, "triggering_actor", user_json(sim, p->actor, false));
	set_url(o, "jobs_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu/jobs", svc->repo, id));
	set_url(o, "logs_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu/logs", svc->repo, id));
	set_url(o, "check_suite_url",
		github_api_url(sim, "/repos/%s/check-suites/%llu", svc->repo, id * 2 + 1));
	set_url(o, "artifacts_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu/artifacts", svc->repo, id));
	set_url(o, "cancel_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu/cancel", svc->repo, id));
	set_url(o, "rerun_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu/rerun", svc->repo, id));
	json_object_set_new(o, "previous_attempt_url", json_null());
	set_url(o, "workflow_url",
		github_api_url(sim, "/repos/%s/actions/workflows/%llu", svc->repo,
			       (unsigned long long)workflow_id(w, p)));
	json_object_set_new(o, "head_commit", head_commit_json(sim, c));
	json_object_set_new(o, "repository", repository_json(sim, p->service));
	json_object_set_new(o, "head_repository", repository_json(sim, p->service));
	return o;
}

static uint64_t
job_id(const struct pipeline *p, size_t i)
{
	return p->run_id * JOB_STRIDE + i + 1;
}

static json_t *
step_json(const char *name, int number, const char *status, const char *conclusion, int64_t start,
	  int64_t end)
{
	json_t *s = json_object();

	json_object_set_new(s, "name", json_string(name));
	json_object_set_new(s, "status", json_string(status));
	json_object_set_new(s, "conclusion", conclusion ? json_string(conclusion) : json_null());
	json_object_set_new(s, "number", json_integer(number));
	set_step_time(s, "started_at", start);
	set_step_time(s, "completed_at", end);
	return s;
}

/* Set up, the job's own work, complete: as far as the job got by now. */
static json_t *
steps_json(const struct stage *st, const char *status, const char *conclusion, int64_t now)
{
	json_t *steps = json_array();
	char name[80];
	int64_t setup;

	if (st->start == TIME_NONE || now < st->start)
		return steps;
	setup = st->start + 2;
	snprintf(name, sizeof(name), "Run %s", stage_kind_name(st->kind));
	if (now < setup) {
		json_array_append_new(steps, step_json("Set up job", 1, "in_progress", NULL,
						       st->start, TIME_NONE));
		return steps;
	}
	json_array_append_new(steps,
			      step_json("Set up job", 1, "completed", "success", st->start, setup));
	if (!streq(status, "completed")) {
		json_array_append_new(steps,
				      step_json(name, 2, "in_progress", NULL, setup, TIME_NONE));
		return steps;
	}
	json_array_append_new(steps,
			      step_json(name, 2, "completed", conclusion, setup, st->finish));
	json_array_append_new(steps, step_json("Complete job", 3, "completed", "success",
					       st->finish, st->finish));
	return steps;
}

json_t *
github_job_json(const struct sim *sim, const struct pipeline *p, size_t i, int64_t now_ms)
{
	const struct world *w = &sim->world;
	const struct service *svc = &w->services[p->service];
	const struct stage *st = &p->stages[i];
	int64_t now = floor_div(now_ms, 1000), started, completed = TIME_NONE;
	unsigned long long id = (unsigned long long)job_id(p, i);
	const char *status, *conclusion;
	json_t *o = json_object(), *labels = json_array();
	char text[256];

	run_state(stage_status(st, now_ms), &status, &conclusion);
	/* A job that has not run carries the time it was queued or skipped. */
	started = st->start != TIME_NONE && st->start <= now ? st->start : st->ready;
	if (streq(status, "completed"))
		completed = st->finish != TIME_NONE ? st->finish : st->ready;
	json_object_set_new(o, "id", id_json(job_id(p, i)));
	json_object_set_new(o, "run_id", id_json(p->run_id));
	json_object_set_new(o, "workflow_name", json_string(p->name));
	json_object_set_new(o, "head_branch", json_string(w->branches[p->branch].name));
	set_url(o, "run_url",
		github_api_url(sim, "/repos/%s/actions/runs/%llu", svc->repo,
			       (unsigned long long)p->run_id));
	json_object_set_new(o, "run_attempt", json_integer(1));
	snprintf(text, sizeof(text), "CR_kwDO%llu", id);
	json_object_set_new(o, "node_id", json_string(text));
	json_object_set_new(o, "head_sha", json_string(w->commits[p->commit].sha));
	set_url(o, "url", github_api_url(sim, "/repos/%s/actions/jobs/%llu", svc->repo, id));
	snprintf(text, sizeof(text), WEB "/%s/actions/runs/%llu/job/%llu", svc->repo,
		 (unsigned long long)p->run_id, id);
	json_object_set_new(o, "html_url", json_string(text));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "conclusion", conclusion ? json_string(conclusion) : json_null());
	set_time(o, "created_at", st->ready);
	set_time(o, "started_at", started);
	set_time(o, "completed_at", completed);
	json_object_set_new(o, "name", json_string(stage_kind_name(st->kind)));
	json_object_set_new(o, "steps", steps_json(st, status, conclusion, now));
	set_url(o, "check_run_url",
		github_api_url(sim, "/repos/%s/check-runs/%llu", svc->repo, id));
	json_array_append_new(labels, json_string("ubuntu-latest"));
	json_object_set_new(o, "labels", labels);
	if (st->start != TIME_NONE && st->start <= now) {
		json_object_set_new(o, "runner_id", json_integer((json_int_t)(id % 50 + 1)));
		snprintf(text, sizeof(text), "GitHub Actions %llu", id % 50 + 1);
		json_object_set_new(o, "runner_name", json_string(text));
		json_object_set_new(o, "runner_group_id", json_integer(2));
		json_object_set_new(o, "runner_group_name", json_string("GitHub Actions"));
	} else {
		json_object_set_new(o, "runner_id", json_null());
		json_object_set_new(o, "runner_name", json_null());
		json_object_set_new(o, "runner_group_id", json_null());
		json_object_set_new(o, "runner_group_name", json_null());
	}
	return o;
}

/* A deployment is on GitHub when a pipeline's deploy job made it, or a client
 * through the API (rollbacks.c). */
static bool
on_github(const struct deployment *d, int64_t now_ms)
{
	return (d->pipeline >= 0 || (d->via && streq(d->via, "github"))) &&
	       deployment_exists(d, now_ms);
}

/* The deploy job of a deployment: its stage in its pipeline. */
static long
deploy_stage(const struct world *w, const struct deployment *d, size_t index)
{
	const struct pipeline *p = &w->pipelines[d->pipeline];

	for (size_t i = 0; i < p->n_stages; i++)
		if (p->stages[i].deployment == (long)index)
			return (long)i;
	return -1;
}

/* One status of a deployment, before it is dressed as JSON. */
struct dstatus {
	uint64_t id;
	const char *state;
	char description[140];
	int64_t at;
	bool environment_url;
};

/* The newer deployment to the same place that superseded d by now (it succeeded),
 * for staging only: GitHub's auto_inactive spares production environments. */
static long
superseded_by(const struct world *w, size_t index, int64_t now)
{
	const struct deployment *d = &w->deployments[index];

	if (d->env != ENV_STAGING || d->outcome != DEPLOY_SUCCESS || d->finish > now)
		return -1;
	long by = -1;

	for (size_t j = 0; j < w->n_deployments; j++) {
		const struct deployment *e = &w->deployments[j];

		if (j != index && e->service == d->service && e->env == d->env &&
		    e->pipeline >= 0 && e->start > d->start && e->outcome == DEPLOY_SUCCESS &&
		    e->finish <= now && (by < 0 || e->start < w->deployments[by].start))
			by = (long)j;
	}
	return by;
}

/* Every status of deployment index by now, oldest first; returns how many. */
static size_t
deployment_statuses(const struct world *w, size_t index, int64_t now_ms, struct dstatus *out,
		    size_t max)
{
	const struct deployment *d = &w->deployments[index];
	int64_t now = floor_div(now_ms, 1000);
	size_t n = 0;
	long by;

#define ADD(st, t, ...)                                                                        \
	do {                                                                                   \
		if (n < max) {                                                                 \
			out[n].id = d->num * STATUS_STRIDE + n + 1;                            \
			out[n].state = (st);                                                   \
			out[n].at = (t);                                                       \
			out[n].environment_url = false;                                        \
			snprintf(out[n].description, sizeof(out[n].description), __VA_ARGS__); \
			n++;                                                                   \
		}                                                                              \
	} while (0)
	ADD("in_progress", d->start, "Deploying %s", d->version);
	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].weight >= 0 && d->steps[i].start != TIME_NONE &&
		    d->steps[i].start <= now &&
		    (d->aborted == TIME_NONE || d->steps[i].start < d->aborted))
			ADD("in_progress", d->steps[i].start, "Canary at %d%%", d->steps[i].weight);
	if (d->finish > now)
		return n;
	switch (d->outcome) {
	case DEPLOY_SUCCESS:
		ADD("success", d->finish, "Deployed %s", d->version);
		out[n - 1].environment_url = true;
		break;
	case DEPLOY_ROLLED_BACK:
		ADD("failure", d->finish, "Canary aborted at step %ld: traffic rolled back to %s",
		    d->abort_step + 1,
		    d->previous >= 0 ? w->deployments[d->previous].version : "the stable version");
		break;
	case DEPLOY_CANCELED:
		ADD("error", d->finish, "Deployment of %s canceled", d->version);
		break;
	default:
		ADD("failure", d->finish, "Deployment of %s failed", d->version);
	}
	if ((by = superseded_by(w, index, now)) >= 0)
		ADD("inactive", w->deployments[by].finish, "Superseded by %s",
		    w->deployments[by].version);
#undef ADD
	return n;
}

static void
environment_url(const struct world *w, const struct deployment *d, char *buf, size_t size)
{
	snprintf(buf, size, "https://%s%s.acme.example", w->services[d->service].name,
		 d->env == ENV_STAGING ? ".staging" : "");
}

/* The URL of the deploy job's log, or "" when the stage cannot be found. */
static void
deploy_log_url(const struct world *w, size_t index, char *buf, size_t size)
{
	const struct deployment *d = &w->deployments[index];
	const struct pipeline *p = d->pipeline >= 0 ? &w->pipelines[d->pipeline] : NULL;
	long st = p ? deploy_stage(w, d, index) : -1;

	buf[0] = '\0';
	if (st >= 0)
		snprintf(buf, size, WEB "/%s/actions/runs/%llu/job/%llu",
			 w->services[d->service].repo, (unsigned long long)p->run_id,
			 (unsigned long long)job_id(p, (size_t)st));
}

static json_t *
status_json(const struct sim *sim, size_t index, const struct dstatus *s)
{
	const struct world *w = &sim->world;
	const struct deployment *d = &w->deployments[index];
	const char *repo = w->services[d->service].repo;
	json_t *o = json_object();
	char text[256];

	set_url(o, "url",
		github_api_url(sim, "/repos/%s/deployments/%llu/statuses/%llu", repo,
			       (unsigned long long)d->num, (unsigned long long)s->id));
	json_object_set_new(o, "id", id_json(s->id));
	snprintf(text, sizeof(text), "DES_kwDO%llu", (unsigned long long)s->id);
	json_object_set_new(o, "node_id", json_string(text));
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "creator", user_json(sim, "github-actions[bot]", true));
	json_object_set_new(o, "description", json_string(s->description));
	json_object_set_new(o, "environment", json_string(deploy_env_name(d->env)));
	deploy_log_url(w, index, text, sizeof(text));
	json_object_set_new(o, "target_url", json_string(text));
	set_time(o, "created_at", s->at);
	set_time(o, "updated_at", s->at);
	set_url(o, "deployment_url",
		github_api_url(sim, "/repos/%s/deployments/%llu", repo,
			       (unsigned long long)d->num));
	set_url(o, "repository_url", github_api_url(sim, "/repos/%s", repo));
	if (s->environment_url)
		environment_url(w, d, text, sizeof(text));
	else
		text[0] = '\0';
	json_object_set_new(o, "environment_url", json_string(text));
	deploy_log_url(w, index, text, sizeof(text));
	json_object_set_new(o, "log_url", json_string(text));
	json_object_set_new(o, "performed_via_github_app", json_null());
	return o;
}

/* The ref a deployment was made from: its pipeline's branch, else its sha (a
 * rollback names the sha it goes back to). */
static const char *
deployment_ref(const struct world *w, const struct deployment *d)
{
	if (d->pipeline < 0)
		return w->commits[d->commit].sha;
	return w->branches[w->pipelines[d->pipeline].branch].name;
}

static json_t *
deployment_json(const struct sim *sim, size_t index, int64_t now_ms)
{
	const struct world *w = &sim->world;
	const struct deployment *d = &w->deployments[index];
	const char *repo = w->services[d->service].repo;
	struct dstatus st[16];
	size_t n = deployment_statuses(w, index, now_ms, st, ARRAY_SIZE(st));
	json_t *o = json_object(), *payload = json_object();
	char text[256];

	set_url(o, "url",
		github_api_url(sim, "/repos/%s/deployments/%llu", repo,
			       (unsigned long long)d->num));
	json_object_set_new(o, "id", id_json(d->num));
	snprintf(text, sizeof(text), "DE_kwDO%llu", (unsigned long long)d->num);
	json_object_set_new(o, "node_id", json_string(text));
	json_object_set_new(o, "task", json_string("deploy"));
	json_object_set_new(o, "original_environment", json_string(deploy_env_name(d->env)));
	json_object_set_new(o, "environment", json_string(deploy_env_name(d->env)));
	if (d->kind == DEPLOY_HOTFIX && d->fixes >= 0)
		snprintf(text, sizeof(text), "Hotfix %s for %s", d->version,
			 w->deployments[d->fixes].version);
	else if (d->kind == DEPLOY_ROLLBACK)
		snprintf(text, sizeof(text), "Rollback of %s to %s by %s",
			 w->services[d->service].name, d->version, d->actor);
	else
		snprintf(text, sizeof(text), "Deploy %s to %s", d->version,
			 deploy_env_name(d->env));
	json_object_set_new(o, "description", json_string(text));
	set_time(o, "created_at", d->start);
	set_time(o, "updated_at", st[n - 1].at);
	set_url(o, "statuses_url",
		github_api_url(sim, "/repos/%s/deployments/%llu/statuses", repo,
			       (unsigned long long)d->num));
	set_url(o, "repository_url", github_api_url(sim, "/repos/%s", repo));
	json_object_set_new(o, "creator", user_json(sim, "github-actions[bot]", true));
	json_object_set_new(o, "sha", json_string(w->commits[d->commit].sha));
	json_object_set_new(o, "ref", json_string(deployment_ref(w, d)));
	json_object_set_new(payload, "version", json_string(d->version));
	json_object_set_new(payload, "pattern", json_string(deploy_pattern_name(d->pattern)));
	json_object_set_new(payload, "actor", json_string(d->actor));
	if (d->kind == DEPLOY_ROLLBACK)
		json_object_set_new(payload, "rollback", json_true());
	json_object_set_new(o, "payload", payload);
	json_object_set_new(o, "transient_environment", json_false());
	json_object_set_new(o, "production_environment", json_boolean(d->env == ENV_PRODUCTION));
	json_object_set_new(o, "performed_via_github_app", json_null());
	return o;
}

/* ---- requests ---------------------------------------------------------------- */

void
github_error_body(struct sim_response *resp, unsigned int status, const char *message,
		  const char *docs)
{
	json_t *o = json_object();
	char text[8];

	json_object_set_new(o, "message", json_string(message));
	json_object_set_new(o, "documentation_url", json_string(docs ? docs : DOCS));
	snprintf(text, sizeof(text), "%u", status);
	json_object_set_new(o, "status", json_string(text));
	response_json(resp, status, o);
}

static void
not_found(struct sim_response *resp)
{
	github_error_body(resp, 404, "Not Found", DOCS);
}

/* How many requests the dialect has served since the request log was cleared. */
static unsigned long
requests_used(const struct sim *sim)
{
	unsigned long used = 0;

	for (size_t i = 0; i < sim->log.n; i++)
		if (strncmp(sim->log.items[i].route, "/github/", 8) == 0)
			used += sim->log.items[i].count;
	return used;
}

/* The hour's primary limit; the reset is the next whole hour, an epoch second. */
static void
rate_headers(const struct sim *sim, struct sim_response *resp, bool spent)
{
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	unsigned long used = requests_used(sim);
	char text[32];

	if (spent)
		used = RATE_LIMIT;
	snprintf(text, sizeof(text), "%d", RATE_LIMIT);
	response_header(resp, "X-RateLimit-Limit", text);
	snprintf(text, sizeof(text), "%lu", used < RATE_LIMIT ? RATE_LIMIT - used : 0);
	response_header(resp, "X-RateLimit-Remaining", text);
	snprintf(text, sizeof(text), "%lld", (long long)(floor_div(now, 3600) + 1) * 3600);
	response_header(resp, "X-RateLimit-Reset", text);
	snprintf(text, sizeof(text), "%lu", used < RATE_LIMIT ? used : RATE_LIMIT);
	response_header(resp, "X-RateLimit-Used", text);
	response_header(resp, "X-RateLimit-Resource", "core");
}

void
github_fault_body(const struct sim *sim, struct sim_response *resp, unsigned int status)
{
	char text[64];

	switch (status) {
	case 401:
		github_error_body(resp, 401, "Bad credentials", DOCS);
		break;
	case 403:
		/* GitHub's most common 403: the primary rate limit, spent. */
		github_error_body(
			resp, 403,
			"API rate limit exceeded for user ID 41898282. If you reach out to GitHub "
			"Support for help, please include the request ID 0C7E:1F2A:3B4C5D:6E7F80.",
			DOCS "/overview/rate-limits-for-the-rest-api");
		rate_headers(sim, resp, true);
		break;
	case 404:
		not_found(resp);
		break;
	case 429:
		github_error_body(
			resp, 429,
			"You have exceeded a secondary rate limit. Please wait a few minutes "
			"before you try again.",
			DOCS "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
		response_header(resp, "Retry-After", "60");
		break;
	case 500:
		github_error_body(resp, 500, "Server Error", NULL);
		break;
	default:
		snprintf(text, sizeof(text), "injected status %u", status);
		github_error_body(resp, status, text, NULL);
	}
}

/* per_page (default 30, at most 100) and page (from 1); GitHub ignores bad values. */
void
github_paging(const struct sim_request *req, size_t *per_page, size_t *page)
{
	const char *pp = params_get(&req->params, "per_page");
	const char *pg = params_get(&req->params, "page");
	long v;

	*per_page = PER_PAGE_DEFAULT;
	*page = 1;
	if (pp && (v = strtol(pp, NULL, 10)) > 0)
		*per_page = v > PER_PAGE_MAX ? PER_PAGE_MAX : (size_t)v;
	if (pg && (v = strtol(pg, NULL, 10)) > 0)
		*page = (size_t)v;
}

/* The URL of page n of the request, in the /repositories/ID form GitHub's Link
 * headers use, other parameters kept. */
static void
page_url(const struct sim *sim, const struct sim_request *req, size_t s, const char *tail, size_t n,
	 struct buf *b)
{
	api_base(sim, b);
	buf_printf(b, "/repositories/%llu%s?", (unsigned long long)repo_id(s), tail);
	for (size_t i = 0; i < req->params.n; i++) {
		const struct param *p = &req->params.items[i];

		if (streq(p->key, "page"))
			continue;
		wire_urlencode(b, p->key);
		buf_addch(b, '=');
		wire_urlencode(b, p->value);
		buf_addch(b, '&');
	}
	buf_printf(b, "page=%zu", n);
}

/* Link: next and last while there are more, first and prev after the first page.
 * Under the stuck_cursor fault the next link is the page itself. */
void
github_add_links(const struct sim *sim, const struct sim_request *req, size_t s, const char *tail,
		 size_t page, size_t per_page, size_t total, struct sim_response *resp)
{
	size_t last = total ? (total + per_page - 1) / per_page : 1;
	struct buf link, url;

	buf_init(&link, 0);
	buf_init(&url, 0);
	if (page < last || req->stuck_cursor) {
		page_url(sim, req, s, tail, req->stuck_cursor ? page : page + 1, &url);
		buf_printf(&link, "<%s>; rel=\"next\"", url.data);
		buf_reset(&url);
		page_url(sim, req, s, tail, last, &url);
		buf_printf(&link, ", <%s>; rel=\"last\"", url.data);
	}
	if (page > 1) {
		buf_reset(&url);
		page_url(sim, req, s, tail, page - 1, &url);
		buf_printf(&link, "%s<%s>; rel=\"prev\"", link.len ? ", " : "", url.data);
		buf_reset(&url);
		page_url(sim, req, s, tail, 1, &url);
		buf_printf(&link, ", <%s>; rel=\"first\"", url.data);
	}
	if (link.len)
		response_header(resp, "Link", link.data);
	buf_release(&url);
	buf_release(&link);
}

/* Newest first: by creation, then id. */
struct entry {
	int64_t created;
	uint64_t id;
	size_t index;
};

static int
newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static bool
param_is(const struct sim_request *req, const char *key, const char *value)
{
	const char *v = params_get(&req->params, key);

	return !v || streq(v, value);
}

/* ?status= takes a status or a conclusion. */
static bool
status_matches(const struct sim_request *req, enum run_status st)
{
	const char *want = params_get(&req->params, "status"), *status, *conclusion;

	run_state(st, &status, &conclusion);
	return !want || streq(want, status) || streq(want, conclusion);
}

static void
list_runs(struct sim *sim, const struct sim_request *req, size_t s, const char *tail,
	  struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	struct entry *rows = xcalloc(w->n_pipelines ? w->n_pipelines : 1, sizeof(*rows));
	bool prs = !streq(params_get(&req->params, "exclude_pull_requests"), "true");
	size_t n = 0, per_page, page;
	json_t *root = json_object(), *runs = json_array();

	github_paging(req, &per_page, &page);
	for (size_t i = 0; i < w->n_pipelines; i++) {
		const struct pipeline *p = &w->pipelines[i];

		if (p->service != s || !pipeline_exists(p, now_ms) ||
		    !param_is(req, "branch", w->branches[p->branch].name) ||
		    !param_is(req, "event", p->event) ||
		    !param_is(req, "head_sha", w->commits[p->commit].sha) ||
		    !status_matches(req, pipeline_status(p, now_ms)))
			continue;
		rows[n++] = (struct entry){ p->queued, p->run_id, i };
	}
	qsort(rows, n, sizeof(*rows), newest_first);
	for (size_t i = (page - 1) * per_page; i < n && i < page * per_page; i++)
		json_array_append_new(runs,
				      run_json(sim, &w->pipelines[rows[i].index], now_ms, prs));
	json_object_set_new(root, "total_count", json_integer((json_int_t)n));
	json_object_set_new(root, "workflow_runs", runs);
	response_json(resp, 200, root);
	resp->etag = true;
	github_add_links(sim, req, s, tail, page, per_page, n, resp);
	free(rows);
}

/* The pipeline of service s with run id, or -1. */
static long
find_run(const struct world *w, size_t s, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < w->n_pipelines; i++)
		if (w->pipelines[i].service == s && w->pipelines[i].run_id == id &&
		    pipeline_exists(&w->pipelines[i], now_ms))
			return (long)i;
	return -1;
}

/* ?filter=latest (the default) or all: one attempt here, so the same jobs. */
static void
list_jobs(struct sim *sim, const struct sim_request *req, size_t s, const char *tail, uint64_t id,
	  struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock), now = floor_div(now_ms, 1000);
	const char *filter = params_get(&req->params, "filter");
	long r = find_run(w, s, id, now_ms);
	size_t n = 0, per_page, page;
	json_t *root, *jobs;
	const struct pipeline *p;

	if (r < 0) {
		not_found(resp);
		return;
	}
	if (filter && !streq(filter, "latest") && !streq(filter, "all")) {
		github_error_body(resp, 422, "Validation Failed", NULL);
		return;
	}
	p = &w->pipelines[r];
	github_paging(req, &per_page, &page);
	root = json_object();
	jobs = json_array();
	/* A job exists once the jobs it needs are done. */
	for (size_t i = 0; i < p->n_stages; i++) {
		if (p->stages[i].ready == TIME_NONE || p->stages[i].ready > now)
			continue;
		if (n >= (page - 1) * per_page && n < page * per_page)
			json_array_append_new(jobs, github_job_json(sim, p, i, now_ms));
		n++;
	}
	json_object_set_new(root, "total_count", json_integer((json_int_t)n));
	json_object_set_new(root, "jobs", jobs);
	response_json(resp, 200, root);
	resp->etag = true;
	github_add_links(sim, req, s, tail, page, per_page, n, resp);
}

static void
list_deployments(struct sim *sim, const struct sim_request *req, size_t s, const char *tail,
		 struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	struct entry *rows = xcalloc(w->n_deployments ? w->n_deployments : 1, sizeof(*rows));
	size_t n = 0, per_page, page;
	json_t *list = json_array();

	github_paging(req, &per_page, &page);
	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		if (d->service != s || !on_github(d, now_ms) ||
		    !param_is(req, "environment", deploy_env_name(d->env)) ||
		    !param_is(req, "sha", w->commits[d->commit].sha) ||
		    !param_is(req, "ref", deployment_ref(w, d)) || !param_is(req, "task", "deploy"))
			continue;
		rows[n++] = (struct entry){ d->start, d->num, i };
	}
	qsort(rows, n, sizeof(*rows), newest_first);
	for (size_t i = (page - 1) * per_page; i < n && i < page * per_page; i++)
		json_array_append_new(list, deployment_json(sim, rows[i].index, now_ms));
	response_json(resp, 200, list);
	resp->etag = true;
	github_add_links(sim, req, s, tail, page, per_page, n, resp);
	free(rows);
}

static long
find_deployment(const struct world *w, size_t s, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < w->n_deployments; i++)
		if (w->deployments[i].service == s && w->deployments[i].num == id &&
		    on_github(&w->deployments[i], now_ms))
			return (long)i;
	return -1;
}

/* Newest first. */
static void
list_statuses(struct sim *sim, const struct sim_request *req, size_t s, const char *tail,
	      size_t index, struct sim_response *resp)
{
	int64_t now_ms = sim_clock_now(&sim->clock);
	struct dstatus st[16];
	size_t n = deployment_statuses(&sim->world, index, now_ms, st, ARRAY_SIZE(st));
	size_t per_page, page;
	json_t *list = json_array();

	github_paging(req, &per_page, &page);
	for (size_t k = (page - 1) * per_page; k < n && k < page * per_page; k++)
		json_array_append_new(list, status_json(sim, index, &st[n - 1 - k]));
	response_json(resp, 200, list);
	resp->etag = true;
	github_add_links(sim, req, s, tail, page, per_page, n, resp);
}

static void
rate_limit_body(struct sim *sim, struct sim_response *resp)
{
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	unsigned long used = requests_used(sim);
	json_t *root = json_object(), *resources = json_object(), *core = json_object();

	json_object_set_new(core, "limit", json_integer(RATE_LIMIT));
	json_object_set_new(core, "remaining",
			    json_integer(used < RATE_LIMIT ? (json_int_t)(RATE_LIMIT - used) : 0));
	json_object_set_new(core, "reset", json_integer((floor_div(now, 3600) + 1) * 3600));
	json_object_set_new(core, "used", json_integer((json_int_t)used));
	json_object_set_new(core, "resource", json_string("core"));
	json_object_set_new(resources, "core", json_deep_copy(core));
	json_object_set_new(root, "resources", resources);
	json_object_set_new(root, "rate", core);
	response_json(resp, 200, root);
}

/* ---- routing ------------------------------------------------------------------ */

/* A decimal id of a path segment, or 0. */
static uint64_t
segment_id(const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* The repository a route names ("/repos/acme/checkout/..." or "/repositories/ID/...")
 * as a service index, and the rest of the route. -1 when it names none. */
static long
route_repo(const struct world *w, const char *route, const char **rest)
{
	if (strncmp(route, "/repositories/", 14) == 0) {
		const char *p = route + 14;
		size_t len = strcspn(p, "/");
		uint64_t id = segment_id(p, len);

		*rest = p + len;
		if (id < REPO_ID_BASE || id - REPO_ID_BASE >= w->n_services)
			return -1;
		return (long)(id - REPO_ID_BASE);
	}
	if (strncmp(route, "/repos/", 7) == 0) {
		const char *p = route + 7;
		const char *slash = strchr(p, '/');
		size_t len;

		if (!slash)
			return -1;
		len = (size_t)(slash - p) + 1 + strcspn(slash + 1, "/");
		*rest = p + len;
		for (size_t s = 0; s < w->n_services; s++)
			if (strlen(w->services[s].repo) == len &&
			    strncmp(w->services[s].repo, p, len) == 0)
				return (long)s;
	}
	return -1;
}

/* "/actions/runs/123/jobs" against "/actions/runs/#/jobs": # takes an id. */
static bool
route_is(const char *rest, const char *pattern, uint64_t *id)
{
	while (*pattern) {
		if (*pattern == '#') {
			size_t len = strcspn(rest, "/");

			if (!(*id = segment_id(rest, len)))
				return false;
			rest += len;
			pattern++;
			continue;
		}
		if (*rest++ != *pattern++)
			return false;
	}
	return *rest == '\0';
}

/* POST /repos/O/R/deployments {"ref", "environment", ...}: a deployment of a sha
 * that ran in that environment before is a rollback to it (rollbacks.c), done
 * within the second; 201 with the deployment. A ref the environment never ran is
 * refused as GitHub refuses an unknown ref. */
static void
create_deployment(struct sim *sim, const struct sim_request *req, size_t s,
		  struct sim_response *resp)
{
	struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock), now = floor_div(now_ms, 1000);
	json_t *body = req->body_len ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
	const char *ref = json_string_value(json_object_get(body, "ref"));
	const char *env = json_string_value(json_object_get(body, "environment"));
	const char *actor =
		json_string_value(json_object_get(json_object_get(body, "payload"), "actor"));
	long restores = -1, made;
	char text[160];

	if (!env)
		env = "production";
	for (size_t i = 0; ref && *ref && i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		if (d->service == s && streq(deploy_env_name(d->env), env) &&
		    d->outcome == DEPLOY_SUCCESS && d->finish <= now &&
		    strncmp(w->commits[d->commit].sha, ref, strlen(ref)) == 0 && strlen(ref) >= 7 &&
		    (restores < 0 || d->start > w->deployments[restores].start))
			restores = (long)i;
	}
	if (!json_is_object(body)) {
		github_error_body(resp, 400, "Problems parsing JSON", DOCS);
	} else if (!ref) {
		github_error_body(resp, 422, "Invalid request.\n\n\"ref\" wasn't supplied.", DOCS);
	} else if (restores < 0) {
		snprintf(text, sizeof(text), "No ref found for: %.100s", ref);
		github_error_body(resp, 422, text, DOCS);
	} else {
		made = sim_rollback_add(sim, (size_t)restores, "github", actor ? actor : "octocat",
					now);
		response_json(resp, 201, deployment_json(sim, (size_t)made, now_ms));
	}
	json_decref(body);
}

void
github_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	const char *rest = "";
	uint64_t id = 0;
	long s, i;

	if (streq(req->method, "POST") && (s = route_repo(w, req->route, &rest)) >= 0 &&
	    route_is(rest, "/deployments", &id)) {
		create_deployment(sim, req, (size_t)s, resp);
	} else if (!streq(req->method, "GET") && !streq(req->method, "HEAD")) {
		not_found(resp);
	} else if (streq(req->route, "/rate_limit")) {
		rate_limit_body(sim, resp);
		return; /* it does not count against the limit */
	} else if ((s = route_repo(w, req->route, &rest)) < 0) {
		not_found(resp);
	} else if (*rest == '\0') {
		response_json(resp, 200, repository_json(sim, (size_t)s));
		resp->etag = true;
	} else if (route_is(rest, "/actions/runs", &id)) {
		list_runs(sim, req, (size_t)s, rest, resp);
	} else if (route_is(rest, "/actions/runs/#", &id)) {
		if ((i = find_run(w, (size_t)s, id, now_ms)) < 0)
			not_found(resp);
		else
			response_json(
				resp, 200,
				run_json(sim, &w->pipelines[i], now_ms,
					 !streq(params_get(&req->params, "exclude_pull_requests"),
						"true")));
		resp->etag = resp->status == 200;
	} else if (route_is(rest, "/actions/runs/#/jobs", &id)) {
		list_jobs(sim, req, (size_t)s, rest, id, resp);
	} else if (route_is(rest, "/deployments", &id)) {
		list_deployments(sim, req, (size_t)s, rest, resp);
	} else if (route_is(rest, "/deployments/#", &id)) {
		if ((i = find_deployment(w, (size_t)s, id, now_ms)) < 0)
			not_found(resp);
		else
			response_json(resp, 200, deployment_json(sim, (size_t)i, now_ms));
		resp->etag = resp->status == 200;
	} else if (github_branches_route(sim, req, (size_t)s, rest, resp)) {
		/* branches, their protection, check runs (github_branches.c) */
	} else if (route_is(rest, "/deployments/#/statuses", &id)) {
		if ((i = find_deployment(w, (size_t)s, id, now_ms)) < 0)
			not_found(resp);
		else
			list_statuses(sim, req, (size_t)s, rest, (size_t)i, resp);
	} else {
		not_found(resp);
	}
	response_header(resp, "X-GitHub-Api-Version-Selected", "2022-11-28");
	rate_headers(sim, resp, false);
}
