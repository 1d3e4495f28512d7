/* gitlab.c - the GitLab CI dialect (REST API v4): the pipelines of the world's
 * services, their jobs, and their deployments, as gitlab.com answers them.
 *
 *   GET /api/v4/projects/:id                       the project
 *   GET /api/v4/projects/:id/pipelines             updated_after/_before, ref, sha,
 *                                                  status, source, order_by, sort
 *   GET /api/v4/projects/:id/pipelines/:pid        one pipeline, with its user and times
 *   GET /api/v4/projects/:id/pipelines/:pid/jobs   its jobs, newest id first
 *   GET /api/v4/projects/:id/deployments           updated_after/_before (which need
 *                                                  order_by=updated_at), environment,
 *                                                  status, order_by, sort
 *   GET /api/v4/projects/:id/protected_branches    its protected branch rules
 *                                                  (protection.c), by id
 *   POST /api/v4/projects/:id/jobs/:job_id/retry   a deployment's job retried: the
 *                                                  environment's Rollback button
 *
 * A project is a service: :id is its repository's path ("acme/checkout", sent
 * URL-encoded as acme%2Fcheckout; libmicrohttpd hands the path over decoded) or its
 * numeric id (PROJECT_ID_BASE + the service's index). A pipeline is a world
 * pipeline (id its run_id, iid its number), one job per stage (named and grouped
 * as stage_kind_name and stage_kind_group say), and a deployment one made by a
 * deploy stage, shown from when its job is created: "blocked" while a manual gate
 * waits for its approval, "created" until it starts. A rollback whose "via" is
 * "gitlab" is what GitLab's Rollback button makes: a new deployment of the restored
 * deployment's sha whose job is a retry in the restored deployment's pipeline (the
 * pipeline's own job list is left as it ran); a client makes one by retrying the
 * job of the deployment to restore (rollbacks.c). Argo CD rollbacks do not show.
 *
 * What clients trip on is reproduced: instants in milliseconds (each entity has its
 * own millisecond phase); updated_after and updated_before are inclusive; the
 * default order is id descending for pipelines and ascending for deployments; a
 * pipeline's list entry lacks its user and times; merge request pipelines run on
 * refs/merge-requests/IID/head; job ids pass 2^31; pages of 20 unless per_page says
 * (at most 100) with X-Page, X-Per-Page, X-Next-Page (blank on the last page),
 * X-Prev-Page, X-Total, X-Total-Pages and Link; RateLimit-* headers; errors
 * {"message": "404 Project Not Found"} or {"error": "..."}; Rack::Attack's 429 in
 * plain text. Under the stuck_cursor fault every page names itself as the next
 * one. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <ctype.h>
#include <time.h>

#define PROJECT_ID_BASE 48151600
#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100
#define RATE_LIMIT 2000 /* authenticated API requests a minute */
/* A job's id: its pipeline's run_id * JOB_STRIDE + the stage's index; a rollback's
 * retried job: its deployment's num * JOB_STRIDE + JOB_RETRY. */
#define JOB_STRIDE 16
#define JOB_RETRY 15
#define ZERO_SHA "0000000000000000000000000000000000000000"

struct gl {
	struct sim *sim;
	const struct world *w;
	const struct sim_request *req;
	int64_t now; /* ms */
	size_t service;
	bool by_id; /* the request named the project by its id */
};

/* ---- times, people, URLs ----------------------------------------------------- */

static int
phase_of(const struct world *w, const char *what, uint64_t id)
{
	return (int)(sim_hash(w->seed, what, id) % 1000);
}

static bool
happened(const struct gl *g, int64_t t)
{
	return t != TIME_NONE && t * 1000 <= g->now;
}

/* t (seconds) with the entity's millisecond phase, if it happened by now. */
static json_t *
time_json(const struct gl *g, int64_t t, int phase)
{
	char text[WIRE_TIME_SIZE];

	if (!happened(g, t))
		return json_null();
	wire_time_ms(t * 1000 + phase, text, sizeof(text));
	return json_string(text);
}

static void
latest(const struct gl *g, int64_t t, int64_t *last)
{
	if (happened(g, t) && (*last == TIME_NONE || t > *last))
		*last = t;
}

static json_t *
user_json(const struct gl *g, const char *login)
{
	json_t *u = json_object();
	char name[64], *url;

	snprintf(name, sizeof(name), "%s", login);
	name[0] = (char)toupper((unsigned char)name[0]);
	url = xasprintf("http://127.0.0.1:%u/gitlab/%s", (unsigned int)g->sim->port, login);
	json_object_set_new(u, "id",
			    json_integer((json_int_t)(sim_hash(0, login, 7) % 90000 + 1000)));
	json_object_set_new(u, "username", json_string(login));
	json_object_set_new(u, "name", json_string(name));
	json_object_set_new(u, "state", json_string("active"));
	json_object_set_new(u, "locked", json_false());
	json_object_set_new(u, "avatar_url", json_null());
	json_object_set_new(u, "web_url", json_string(url));
	free(url);
	return u;
}

static char *
web_url(const struct gl *g, const char *kind, uint64_t id)
{
	return xasprintf("http://127.0.0.1:%u/gitlab/%s/-/%s/%llu", (unsigned int)g->sim->port,
			 g->w->services[g->service].repo, kind, (unsigned long long)id);
}

static json_int_t
project_id(size_t service)
{
	return PROJECT_ID_BASE + (json_int_t)service;
}

/* ---- errors ------------------------------------------------------------------ */

static void
message(struct sim_response *resp, unsigned int status, const char *key, const char *text)
{
	json_t *o = json_object();

	json_object_set_new(o, key, json_string(text));
	response_json(resp, status, o);
}

void
gitlab_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[64];

	switch (status) {
	case 401:
		message(resp, status, "message", "401 Unauthorized");
		break;
	case 403:
		message(resp, status, "message", "403 Forbidden");
		break;
	case 404:
		message(resp, status, "message", "404 Project Not Found");
		break;
	case 429:
		/* Rack::Attack's throttled answer, before the API. A window is real time. */
		response_text(resp, status, "Retry later\n");
		response_header(resp, "Retry-After", "60");
		response_header(resp, "RateLimit-Name", "throttle_authenticated_api");
		snprintf(text, sizeof(text), "%d", RATE_LIMIT);
		response_header(resp, "RateLimit-Limit", text);
		response_header(resp, "RateLimit-Remaining", "0");
		snprintf(text, sizeof(text), "%lld", (long long)time(NULL) + 60);
		response_header(resp, "RateLimit-Reset", text);
		break;
	case 502:
	case 503:
	case 504:
		/* From the nginx in front of Puma. */
		snprintf(text, sizeof(text), "%u %s", status,
			 status == 502	 ? "Bad Gateway"
			 : status == 503 ? "Service Unavailable"
					 : "Gateway Timeout");
		{
			char *page =
				xasprintf("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n"
					  "<center><h1>%s</h1></center>\r\n"
					  "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
					  text, text);

			response_text(resp, status, page);
			free(page);
		}
		resp->content_type = "text/html";
		break;
	default:
		snprintf(text, sizeof(text), "%u %s", status,
			 status == 500 ? "Internal Server Error" : "sitrep-sim injected status");
		message(resp, status, "message", text);
	}
}

static void
rate_headers(const struct gl *g, struct sim_response *resp)
{
	unsigned long observed = g->sim->log.total % RATE_LIMIT + 1;
	time_t reset = time(NULL) / 60 * 60 + 60;
	char text[48];
	struct tm tm;

	snprintf(text, sizeof(text), "%d", RATE_LIMIT);
	response_header(resp, "RateLimit-Limit", text);
	snprintf(text, sizeof(text), "%lu", observed);
	response_header(resp, "RateLimit-Observed", text);
	snprintf(text, sizeof(text), "%lu", RATE_LIMIT - observed);
	response_header(resp, "RateLimit-Remaining", text);
	snprintf(text, sizeof(text), "%lld", (long long)reset);
	response_header(resp, "RateLimit-Reset", text);
	gmtime_r(&reset, &tm);
	strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	response_header(resp, "RateLimit-ResetTime", text);
}

/* ---- pipelines --------------------------------------------------------------- */

static int
pipeline_phase(const struct gl *g, const struct pipeline *p)
{
	return phase_of(g->w, "gitlab:pipeline", p->run_id);
}

/* When the pipeline last changed by now: any of its jobs' moves shows. */
static int64_t
pipeline_updated(const struct gl *g, const struct pipeline *p)
{
	int64_t last = p->queued;

	latest(g, p->start, &last);
	latest(g, p->finish, &last);
	for (size_t i = 0; i < p->n_stages; i++) {
		latest(g, p->stages[i].ready, &last);
		latest(g, p->stages[i].start, &last);
		latest(g, p->stages[i].finish, &last);
		latest(g, p->stages[i].approved, &last);
	}
	return last;
}

static const char *
pipeline_status_name(const struct gl *g, const struct pipeline *p)
{
	static const char *const names[] = {
		[RUN_PENDING] = "pending", [RUN_WAITING] = "manual", [RUN_RUNNING] = "running",
		[RUN_SUCCESS] = "success", [RUN_FAILED] = "failed",  [RUN_CANCELED] = "canceled",
		[RUN_SKIPPED] = "skipped",
	};

	return names[pipeline_status(p, g->now)];
}

static const char *
source_of(const char *event)
{
	if (streq(event, "pull_request"))
		return "merge_request_event";
	if (streq(event, "workflow_dispatch"))
		return "web";
	return event; /* push, schedule */
}

/* Merge request pipelines run on the merge request's ref. */
static char *
ref_of(const struct world *w, const struct pipeline *p)
{
	const struct branch *b = &w->branches[p->branch];

	if (streq(p->event, "pull_request") && b->pr)
		return xasprintf("refs/merge-requests/%lu/head", b->pr);
	return xstrdup(b->name);
}

static json_t *
pipeline_basic_json(const struct gl *g, const struct pipeline *p)
{
	json_t *o = json_object();
	int phase = pipeline_phase(g, p);
	char *ref = ref_of(g->w, p), *url = web_url(g, "pipelines", p->run_id);

	json_object_set_new(o, "id", json_integer((json_int_t)p->run_id));
	json_object_set_new(o, "iid", json_integer((json_int_t)p->number));
	json_object_set_new(o, "project_id", json_integer(project_id(g->service)));
	json_object_set_new(o, "sha", json_string(g->w->commits[p->commit].sha));
	json_object_set_new(o, "ref", json_string(ref));
	json_object_set_new(o, "status", json_string(pipeline_status_name(g, p)));
	json_object_set_new(o, "source", json_string(source_of(p->event)));
	json_object_set_new(o, "created_at", time_json(g, p->queued, phase));
	json_object_set_new(o, "updated_at", time_json(g, pipeline_updated(g, p), phase));
	json_object_set_new(o, "web_url", json_string(url));
	json_object_set_new(o, "name", json_string(p->name));
	free(ref);
	free(url);
	return o;
}

static const struct stage *
unit_stage(const struct pipeline *p)
{
	for (size_t i = 0; i < p->n_stages; i++)
		if (p->stages[i].kind == STAGE_UNIT)
			return &p->stages[i];
	return NULL;
}

static json_t *
detailed_status(const char *status, const char *path)
{
	json_t *o = json_object();
	const char *text = streq(status, "success")  ? "passed"
			   : streq(status, "manual") ? "blocked"
						     : status;
	char *icon = xasprintf("status_%s", status);

	json_object_set_new(o, "icon", json_string(icon));
	json_object_set_new(o, "text", json_string(text));
	json_object_set_new(o, "label", json_string(text));
	json_object_set_new(o, "group", json_string(status));
	json_object_set_new(o, "tooltip", json_string(text));
	json_object_set_new(o, "has_details", json_true());
	json_object_set_new(o, "details_path", json_string(path));
	json_object_set_new(o, "illustration", json_null());
	json_object_set_new(o, "favicon", json_string("/assets/ci_favicons/favicon_status.png"));
	free(icon);
	return o;
}

static json_t *
pipeline_json(const struct gl *g, const struct pipeline *p)
{
	json_t *o = pipeline_basic_json(g, p);
	const struct commit *c = &g->w->commits[p->commit];
	const struct stage *unit = unit_stage(p);
	bool started = happened(g, p->start), finished = happened(g, p->finish);
	int phase = pipeline_phase(g, p);
	char *path = xasprintf("/%s/-/pipelines/%llu", g->w->services[g->service].repo,
			       (unsigned long long)p->run_id);
	char coverage[16];

	json_object_set_new(o, "before_sha",
			    json_string(c->parent >= 0 ? g->w->commits[c->parent].sha : ZERO_SHA));
	json_object_set_new(o, "tag", json_false());
	json_object_set_new(o, "yaml_errors", json_null());
	json_object_set_new(o, "user", user_json(g, p->actor));
	json_object_set_new(o, "started_at", time_json(g, p->start, phase));
	json_object_set_new(o, "finished_at", time_json(g, p->finish, phase));
	json_object_set_new(o, "committed_at", json_null());
	json_object_set_new(o, "duration",
			    finished ? json_integer(p->finish - p->start) : json_null());
	json_object_set_new(o, "queued_duration",
			    started ? json_integer(p->start - p->queued) : json_null());
	/* The pipeline's coverage is a string, its jobs' a number. */
	if (unit && happened(g, unit->finish) && unit->outcome == RUN_SUCCESS) {
		snprintf(coverage, sizeof(coverage), "%.2f", unit->coverage);
		json_object_set_new(o, "coverage", json_string(coverage));
	} else {
		json_object_set_new(o, "coverage", json_null());
	}
	json_object_set_new(o, "detailed_status",
			    detailed_status(pipeline_status_name(g, p), path));
	free(path);
	return o;
}

/* ---- jobs -------------------------------------------------------------------- */

/* A job as GitLab shows it: a stage of a pipeline, or the retry a rollback makes. */
struct job_view {
	uint64_t id;
	const struct pipeline *p;
	const struct stage *st;
	const char *status;
	int64_t created, started, finished;
	const char *user;
	int phase;
};

static const char *
job_status(const struct gl *g, const struct stage *st)
{
	static const char *const names[] = {
		[RUN_PENDING] = "created", [RUN_WAITING] = "manual", [RUN_RUNNING] = "running",
		[RUN_SUCCESS] = "success", [RUN_FAILED] = "failed",  [RUN_CANCELED] = "canceled",
		[RUN_SKIPPED] = "skipped",
	};
	enum run_status s = stage_status(st, g->now);

	/* Ready, without a gate, and not started: waiting for a runner. */
	if (s == RUN_PENDING && happened(g, st->ready) && st->approved == TIME_NONE &&
	    st->start != TIME_NONE)
		return "pending";
	return names[s];
}

static void
stage_job(const struct gl *g, const struct pipeline *p, size_t i, struct job_view *j)
{
	const struct stage *st = &p->stages[i];

	memset(j, 0, sizeof(*j));
	j->id = p->run_id * JOB_STRIDE + i;
	j->p = p;
	j->st = st;
	j->status = job_status(g, st);
	j->created = p->queued;
	j->started = st->start;
	j->finished = st->finish;
	j->user = st->approver && happened(g, st->approved) ? st->approver : p->actor;
	j->phase = phase_of(g->w, "gitlab:job", j->id);
}

static const char *
deploy_status_name_at(const struct gl *g, const struct deployment *d, const struct stage *gate)
{
	if (!happened(g, d->start))
		return gate && gate->approved != TIME_NONE ? "blocked" : "created";
	switch (deployment_status(d, g->now)) {
	case DEPLOY_RUNNING:
		return "running";
	case DEPLOY_SUCCESS:
		return "success";
	case DEPLOY_CANCELED:
		return "canceled";
	default: /* failed, or a canary aborted: its job failed */
		return "failed";
	}
}

/* The deploy stage a deployment restores (a rollback) or runs in. */
static const struct stage *
deploy_stage(const struct world *w, const struct deployment *d, const struct pipeline **p)
{
	const struct deployment *made = d;

	if (d->pipeline < 0 && d->restores >= 0)
		made = &w->deployments[d->restores];
	if (made->pipeline < 0)
		return NULL;
	*p = &w->pipelines[made->pipeline];
	for (size_t i = 0; i < (*p)->n_stages; i++)
		if ((*p)->stages[i].deployment == made - w->deployments)
			return &(*p)->stages[i];
	return NULL;
}

static void
rollback_job(const struct gl *g, const struct deployment *d, const struct pipeline *p,
	     const struct stage *st, struct job_view *j)
{
	const char *status = deploy_status_name_at(g, d, NULL);

	memset(j, 0, sizeof(*j));
	j->id = d->num * JOB_STRIDE + JOB_RETRY;
	j->p = p;
	j->st = st;
	j->status = streq(status, "created") ? "pending" : status;
	j->created = d->start;
	j->started = d->start;
	j->finished = d->finish;
	j->user = d->actor;
	j->phase = phase_of(g->w, "gitlab:job", j->id);
}

static json_t *
commit_json(const struct gl *g, const struct commit *c)
{
	json_t *o = json_object(), *parents = json_array();
	char when[WIRE_TIME_SIZE], *email, *url;
	size_t len = strcspn(c->message, "\n");
	char *title = xstrndup(c->message, len);

	wire_time_ms(c->time * 1000, when, sizeof(when));
	if (c->parent >= 0)
		json_array_append_new(parents, json_string(g->w->commits[c->parent].sha));
	if (c->merged >= 0)
		json_array_append_new(parents, json_string(g->w->commits[c->merged].sha));
	email = xasprintf("%s@acme.example", c->author);
	url = xasprintf("http://127.0.0.1:%u/gitlab/%s/-/commit/%s", (unsigned int)g->sim->port,
			g->w->services[c->service].repo, c->sha);
	json_object_set_new(o, "id", json_string(c->sha));
	json_object_set_new(o, "short_id", json_stringn(c->sha, 8));
	json_object_set_new(o, "created_at", json_string(when));
	json_object_set_new(o, "parent_ids", parents);
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "message", json_string(c->message));
	json_object_set_new(o, "author_name", json_string(c->author));
	json_object_set_new(o, "author_email", json_string(email));
	json_object_set_new(o, "authored_date", json_string(when));
	json_object_set_new(o, "committer_name", json_string(c->author));
	json_object_set_new(o, "committer_email", json_string(email));
	json_object_set_new(o, "committed_date", json_string(when));
	json_object_set_new(o, "trailers", json_object());
	json_object_set_new(o, "extended_trailers", json_object());
	json_object_set_new(o, "web_url", json_string(url));
	free(title);
	free(email);
	free(url);
	return o;
}

static json_t *
runner_json(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(12270837));
	json_object_set_new(o, "description", json_string("shared-runners-1.acme.example"));
	json_object_set_new(o, "ip_address", json_null());
	json_object_set_new(o, "active", json_true());
	json_object_set_new(o, "paused", json_false());
	json_object_set_new(o, "is_shared", json_true());
	json_object_set_new(o, "runner_type", json_string("instance_type"));
	json_object_set_new(o, "name", json_string("gitlab-runner"));
	json_object_set_new(o, "online", json_true());
	json_object_set_new(o, "status", json_string("online"));
	return o;
}

static json_t *
job_json(const struct gl *g, const struct job_view *j)
{
	json_t *o = json_object(), *tags = json_array(), *project = json_object();
	const struct pipeline *p = j->p;
	bool started = happened(g, j->started) && !streq(j->status, "created") &&
		       !streq(j->status, "pending") && !streq(j->status, "manual");
	bool done = started && happened(g, j->finished);
	bool final = streq(j->status, "success") || streq(j->status, "failed") ||
		     streq(j->status, "canceled");
	char *ref = ref_of(g->w, p), *url = web_url(g, "jobs", j->id);
	json_t *pipeline = pipeline_basic_json(g, p);

	json_object_set_new(o, "id", json_integer((json_int_t)j->id));
	json_object_set_new(o, "status", json_string(j->status));
	json_object_set_new(o, "stage", json_string(stage_kind_group(j->st->kind)));
	json_object_set_new(o, "name", json_string(stage_kind_name(j->st->kind)));
	json_object_set_new(o, "ref", json_string(ref));
	json_object_set_new(o, "tag", json_false());
	json_object_set_new(o, "coverage",
			    j->st->kind == STAGE_UNIT && done && streq(j->status, "success")
				    ? json_real(j->st->coverage)
				    : json_null());
	json_object_set_new(o, "allow_failure", json_false());
	json_object_set_new(o, "created_at", time_json(g, j->created, j->phase));
	json_object_set_new(o, "started_at",
			    started ? time_json(g, j->started, j->phase) : json_null());
	/* A job canceled before it started still has its finish. */
	json_object_set_new(o, "finished_at",
			    final && happened(g, j->finished) ? time_json(g, j->finished, j->phase)
							      : json_null());
	json_object_set_new(o, "erased_at", json_null());
	json_object_set_new(o, "duration",
			    done ? json_real((double)(j->finished - j->started)) : json_null());
	json_object_set_new(o, "queued_duration",
			    started ? json_real((double)(j->started - j->created)) : json_null());
	json_object_set_new(o, "user", user_json(g, j->user));
	json_object_set_new(o, "commit", commit_json(g, &g->w->commits[p->commit]));
	json_object_del(pipeline, "name");
	json_object_set_new(o, "pipeline", pipeline);
	json_object_set_new(o, "web_url", json_string(url));
	json_object_set_new(project, "ci_job_token_scope_enabled", json_false());
	json_object_set_new(o, "project", project);
	json_object_set_new(o, "artifacts", json_array());
	json_object_set_new(o, "runner", started ? runner_json() : json_null());
	json_object_set_new(o, "artifacts_expire_at", json_null());
	json_object_set_new(o, "archived", json_false());
	json_array_append_new(tags, json_string("docker"));
	json_object_set_new(o, "tag_list", tags);
	if (streq(j->status, "failed"))
		json_object_set_new(o, "failure_reason", json_string("script_failure"));
	free(ref);
	free(url);
	return o;
}

/* ---- deployments ------------------------------------------------------------- */

static bool
in_gitlab(const struct deployment *d)
{
	return d->pipeline >= 0 || (d->kind == DEPLOY_ROLLBACK && streq(d->via, "gitlab"));
}

/* GitLab makes a deployment with its job: when the deploy stage could start. */
static int64_t
deployment_created(const struct deployment *d, const struct stage *st)
{
	if (d->pipeline >= 0 && st && st->ready != TIME_NONE && st->ready < d->start)
		return st->ready;
	return d->start;
}

static json_t *
environment_json(const struct gl *g, const struct deployment *d)
{
	json_t *o = json_object();
	const char *env = deploy_env_name(d->env), *name = g->w->services[d->service].name;
	char *url = d->env == ENV_PRODUCTION ? xasprintf("https://%s.acme.example", name)
					     : xasprintf("https://%s.%s.acme.example", env, name);

	json_object_set_new(o, "id", json_integer((json_int_t)(d->service * 2 + d->env + 1)));
	json_object_set_new(o, "name", json_string(env));
	json_object_set_new(o, "slug", json_string(env));
	json_object_set_new(o, "external_url", json_string(url));
	free(url);
	return o;
}

static json_t *
deployment_json(const struct gl *g, const struct deployment *d)
{
	const struct pipeline *p = NULL;
	const struct stage *st = deploy_stage(g->w, d, &p);
	int phase = phase_of(g->w, "gitlab:deployment", d->num);
	int64_t created = deployment_created(d, st), updated = created;
	json_t *o = json_object();
	struct job_view j;
	char *ref;

	latest(g, d->start, &updated);
	latest(g, d->finish, &updated);
	json_object_set_new(o, "id", json_integer((json_int_t)d->num));
	json_object_set_new(o, "iid", json_integer((json_int_t)d->seq));
	ref = p ? ref_of(g->w, p) : xstrdup(g->w->services[d->service].default_branch);
	json_object_set_new(o, "ref", json_string(ref));
	free(ref);
	json_object_set_new(o, "sha", json_string(g->w->commits[d->commit].sha));
	json_object_set_new(o, "created_at", time_json(g, created, phase));
	json_object_set_new(o, "updated_at", time_json(g, updated, phase));
	json_object_set_new(o, "user",
			    d->actor ? user_json(g, d->actor)
			    : p	     ? user_json(g, p->actor)
				     : json_null());
	json_object_set_new(o, "environment", environment_json(g, d));
	if (p && st) {
		if (d->pipeline >= 0)
			stage_job(g, p, (size_t)(st - p->stages), &j);
		else
			rollback_job(g, d, p, st, &j);
		json_object_set_new(o, "deployable", job_json(g, &j));
	} else {
		json_object_set_new(o, "deployable", json_null());
	}
	json_object_set_new(o, "status", json_string(deploy_status_name_at(g, d, st)));
	return o;
}

/* ---- lists: filters, order, pages -------------------------------------------- */

struct row {
	json_t *item;	  /* owned until handed to the page */
	int64_t id;	  /* the tie-breaker */
	int64_t num;	  /* numeric sort key */
	const char *text; /* text sort key, or NULL */
};

static int
cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->text && y->text && (c = strcmp(x->text, y->text)) != 0)
		return c;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool
parse_ms_param(const struct sim_request *req, const char *key, int64_t *ms, bool *bad)
{
	const char *text = params_get(&req->params, key);

	*ms = TIME_NONE;
	if (!text || !*text)
		return false;
	if (!wire_parse_time(text, ms))
		*bad = true;
	return !*bad;
}

/* "2025-03-03T09:00:00.123Z" as ms, the way a list item shows it. */
static int64_t
item_ms(const json_t *item, const char *key)
{
	int64_t ms;

	return wire_parse_time(json_string_value(json_object_get(item, key)), &ms) ? ms : 0;
}

static void
page_url(const struct gl *g, long page, long per_page, struct buf *b)
{
	const char *route = g->req->route, *rest;
	bool first = true;

	/* The project part of the path as a client sends it: encoded. */
	rest = route + strlen("/api/v4/projects/");
	if (g->by_id)
		rest += strspn(rest, "0123456789");
	else
		rest += strlen(g->w->services[g->service].repo);
	buf_printf(b, "http://127.0.0.1:%u/gitlab/api/v4/projects/", (unsigned int)g->sim->port);
	if (g->by_id)
		buf_printf(b, "%lld", (long long)project_id(g->service));
	else
		wire_urlencode(b, g->w->services[g->service].repo);
	buf_printf(b, "%s?", rest);
	for (size_t i = 0; i < g->req->params.n; i++) {
		const struct param *p = &g->req->params.items[i];

		if (streq(p->key, "page") || streq(p->key, "per_page"))
			continue;
		if (!first)
			buf_addch(b, '&');
		first = false;
		wire_urlencode(b, p->key);
		buf_addch(b, '=');
		wire_urlencode(b, p->value);
	}
	buf_printf(b, "%spage=%ld&per_page=%ld", first ? "" : "&", page, per_page);
}

static void
add_link(const struct gl *g, struct buf *link, const char *rel, long page, long per_page)
{
	struct buf url;

	buf_init(&url, 0);
	page_url(g, page, per_page, &url);
	buf_printf(link, "%s<%s>; rel=\"%s\"", link->len ? ", " : "", url.data, rel);
	buf_release(&url);
}

/* Sorts rows (desc: reversed), and answers the page the request asks for, with
 * GitLab's offset pagination headers. */
static void
answer_page(const struct gl *g, struct row *rows, size_t n, bool desc, struct sim_response *resp)
{
	const char *page_text = params_get(&g->req->params, "page");
	const char *per_text = params_get(&g->req->params, "per_page");
	long page = page_text ? strtol(page_text, NULL, 10) : 1;
	long per_page = per_text ? strtol(per_text, NULL, 10) : PER_PAGE_DEFAULT;
	long pages, next;
	json_t *arr = json_array();
	struct buf link;
	char text[24];

	if (page < 1)
		page = 1;
	if (per_page < 1)
		per_page = PER_PAGE_DEFAULT;
	if (per_page > PER_PAGE_MAX)
		per_page = PER_PAGE_MAX;
	qsort(rows, n, sizeof(*rows), cmp_rows);
	for (size_t i = 0; i < n; i++) {
		size_t k = desc ? n - 1 - i : i;

		if ((long)i >= (page - 1) * per_page && (long)i < page * per_page)
			json_array_append(arr, rows[k].item);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i].item);
	pages = n ? ((long)n + per_page - 1) / per_page : 1;
	next = g->req->stuck_cursor ? page : page < pages ? page + 1 : 0;
	response_json(resp, 200, arr);
	resp->etag = true;
	snprintf(text, sizeof(text), "%ld", page);
	response_header(resp, "X-Page", text);
	snprintf(text, sizeof(text), "%ld", per_page);
	response_header(resp, "X-Per-Page", text);
	snprintf(text, sizeof(text), "%ld", next);
	response_header(resp, "X-Next-Page", next ? text : "");
	snprintf(text, sizeof(text), "%ld", page - 1);
	response_header(resp, "X-Prev-Page", page > 1 ? text : "");
	snprintf(text, sizeof(text), "%zu", n);
	response_header(resp, "X-Total", text);
	snprintf(text, sizeof(text), "%ld", pages);
	response_header(resp, "X-Total-Pages", text);
	buf_init(&link, 0);
	if (page > 1)
		add_link(g, &link, "prev", page - 1, per_page);
	if (next)
		add_link(g, &link, "next", next, per_page);
	add_link(g, &link, "first", 1, per_page);
	add_link(g, &link, "last", pages, per_page);
	response_header(resp, "Link", link.data);
	buf_release(&link);
}

/* GET /projects/:id/protected_branches: the rules of protection.c, by id. */
static json_t *
access_levels_json(uint64_t id, int level)
{
	static const struct {
		int level;
		const char *text;
	} names[] = { { 0, "No one" }, { 30, "Developers + Maintainers" }, { 40, "Maintainers" } };
	const char *text = "Maintainers";

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].level == level)
			text = names[i].text;
	return json_pack("[{s:I, s:i, s:s, s:n, s:n, s:n}]", "id", (json_int_t)id, "access_level",
			 level, "access_level_description", text, "deploy_key_id", "user_id",
			 "group_id");
}

static void
list_protected_branches(const struct gl *g, struct sim_response *resp)
{
	struct gitlab_rule rules[2];
	size_t n = gitlab_rules(g->w, g->service, rules);
	struct row rows[2];

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "id", json_integer((json_int_t)rules[i].id));
		json_object_set_new(o, "name", json_string(rules[i].name));
		json_object_set_new(o, "push_access_levels",
				    access_levels_json(rules[i].id * 10 + 1, rules[i].push_level));
		json_object_set_new(o, "merge_access_levels",
				    access_levels_json(rules[i].id * 10 + 2, rules[i].merge_level));
		json_object_set_new(o, "unprotect_access_levels", json_array());
		json_object_set_new(o, "allow_force_push", json_boolean(rules[i].force_push));
		json_object_set_new(o, "code_owner_approval_required",
				    json_boolean(rules[i].code_owners));
		json_object_set_new(o, "inherited", json_false());
		rows[i] = (struct row){ o, (int64_t)rules[i].id, (int64_t)rules[i].id, NULL };
	}
	answer_page(g, rows, n, false, resp);
}

static bool
sort_param(const struct gl *g, const char *fallback, bool *desc, struct sim_response *resp)
{
	const char *sort = params_get(&g->req->params, "sort");

	if (!sort || !*sort)
		sort = fallback;
	if (!streq(sort, "asc") && !streq(sort, "desc")) {
		message(resp, 400, "error", "sort does not have a valid value");
		return false;
	}
	*desc = streq(sort, "desc");
	return true;
}

static bool
order_param(const struct gl *g, const char *const *allowed, size_t n, const char **order,
	    struct sim_response *resp)
{
	const char *v = params_get(&g->req->params, "order_by");

	*order = allowed[0];
	if (!v || !*v)
		return true;
	for (size_t i = 0; i < n; i++)
		if (streq(v, allowed[i])) {
			*order = allowed[i];
			return true;
		}
	message(resp, 400, "error", "order_by does not have a valid value");
	return false;
}

/* updated_after and updated_before (inclusive, as GitLab's UpdatedAtFilterable). */
static bool
updated_window(const struct gl *g, int64_t *after, int64_t *before, struct sim_response *resp)
{
	bool bad = false;

	parse_ms_param(g->req, "updated_after", after, &bad);
	if (bad) {
		message(resp, 400, "error", "updated_after is invalid");
		return false;
	}
	parse_ms_param(g->req, "updated_before", before, &bad);
	if (bad) {
		message(resp, 400, "error", "updated_before is invalid");
		return false;
	}
	return true;
}

static bool
in_window(int64_t ms, int64_t after, int64_t before)
{
	return (after == TIME_NONE || ms >= after) && (before == TIME_NONE || ms <= before);
}

static bool
param_keeps(const struct sim_request *req, const char *key, const json_t *item, const char *field)
{
	const char *want = params_get(&req->params, key);

	return !want || !*want || streq(want, json_string_value(json_object_get(item, field)));
}

static void
list_pipelines(const struct gl *g, struct sim_response *resp)
{
	static const char *const orders[] = { "id", "status", "ref", "updated_at", "user_id" };
	const char *order;
	int64_t after, before;
	struct row *rows;
	size_t n = 0;
	bool desc;

	if (!order_param(g, orders, ARRAY_SIZE(orders), &order, resp) ||
	    !sort_param(g, "desc", &desc, resp) || !updated_window(g, &after, &before, resp))
		return;
	rows = xcalloc(g->w->n_pipelines + 1, sizeof(*rows));
	for (size_t i = 0; i < g->w->n_pipelines; i++) {
		const struct pipeline *p = &g->w->pipelines[i];
		json_t *item;
		int64_t updated;

		if (p->service != g->service || !pipeline_exists(p, g->now))
			continue;
		item = pipeline_basic_json(g, p);
		updated = item_ms(item, "updated_at");
		if (!in_window(updated, after, before) ||
		    !param_keeps(g->req, "ref", item, "ref") ||
		    !param_keeps(g->req, "sha", item, "sha") ||
		    !param_keeps(g->req, "status", item, "status") ||
		    !param_keeps(g->req, "source", item, "source")) {
			json_decref(item);
			continue;
		}
		rows[n].item = item;
		rows[n].id = (int64_t)p->run_id;
		if (streq(order, "updated_at"))
			rows[n].num = updated;
		else if (streq(order, "status") || streq(order, "ref"))
			rows[n].text = json_string_value(json_object_get(item, order));
		else if (streq(order, "user_id"))
			rows[n].num = (int64_t)(sim_hash(0, p->actor, 7) % 90000 + 1000);
		n++;
	}
	answer_page(g, rows, n, desc, resp);
	free(rows);
}

static const struct pipeline *
find_pipeline(const struct gl *g, const char *id_text)
{
	uint64_t id = strtoull(id_text, NULL, 10);

	for (size_t i = 0; i < g->w->n_pipelines; i++) {
		const struct pipeline *p = &g->w->pipelines[i];

		if (p->service == g->service && p->run_id == id && pipeline_exists(p, g->now))
			return p;
	}
	return NULL;
}

static void
list_jobs(const struct gl *g, const struct pipeline *p, struct sim_response *resp)
{
	struct row *rows = xcalloc(p->n_stages + 1, sizeof(*rows));
	struct job_view j;

	for (size_t i = 0; i < p->n_stages; i++) {
		stage_job(g, p, i, &j);
		rows[i].item = job_json(g, &j);
		rows[i].id = (int64_t)j.id;
	}
	/* Newest id first, as GitLab lists them since 13.5. */
	answer_page(g, rows, p->n_stages, true, resp);
	free(rows);
}

static void
list_deployments(const struct gl *g, struct sim_response *resp)
{
	static const char *const orders[] = { "id", "iid", "created_at", "updated_at",
					      "finished_at" };
	const char *order, *env = params_get(&g->req->params, "environment");
	int64_t after, before;
	struct row *rows;
	size_t n = 0;
	bool desc;

	if (!order_param(g, orders, ARRAY_SIZE(orders), &order, resp) ||
	    !sort_param(g, "asc", &desc, resp) || !updated_window(g, &after, &before, resp))
		return;
	/* DeploymentsFinder#validate! */
	if ((after != TIME_NONE || before != TIME_NONE) && !streq(order, "updated_at")) {
		message(resp, 400, "message",
			"400 Bad request - `updated_at` filter requires `updated_at` sort");
		return;
	}
	rows = xcalloc(g->w->n_deployments + 1, sizeof(*rows));
	for (size_t i = 0; i < g->w->n_deployments; i++) {
		const struct deployment *d = &g->w->deployments[i];
		const struct pipeline *p = NULL;
		const struct stage *st = deploy_stage(g->w, d, &p);
		json_t *item;
		int64_t updated;

		if (d->service != g->service || !in_gitlab(d) ||
		    !happened(g, deployment_created(d, st)))
			continue;
		if (env && *env && !streq(env, deploy_env_name(d->env)))
			continue;
		item = deployment_json(g, d);
		updated = item_ms(item, "updated_at");
		if (!in_window(updated, after, before) ||
		    !param_keeps(g->req, "status", item, "status")) {
			json_decref(item);
			continue;
		}
		rows[n].item = item;
		rows[n].id = (int64_t)d->num;
		if (streq(order, "updated_at"))
			rows[n].num = updated;
		else if (streq(order, "finished_at"))
			rows[n].num = d->finish;
		n++;
	}
	answer_page(g, rows, n, desc, resp);
	free(rows);
}

static json_t *
project_json(const struct gl *g)
{
	const struct service *s = &g->w->services[g->service];
	json_t *o = json_object();
	const char *slash = strrchr(s->repo, '/');
	char *url = xasprintf("http://127.0.0.1:%u/gitlab/%s", (unsigned int)g->sim->port, s->repo);

	json_object_set_new(o, "id", json_integer(project_id(g->service)));
	json_object_set_new(o, "name", json_string(slash ? slash + 1 : s->repo));
	json_object_set_new(o, "path", json_string(slash ? slash + 1 : s->repo));
	json_object_set_new(o, "path_with_namespace", json_string(s->repo));
	json_object_set_new(o, "default_branch", json_string(s->default_branch));
	json_object_set_new(o, "web_url", json_string(url));
	free(url);
	return o;
}

/* ---- the Rollback button ------------------------------------------------------ */

/* The job that made a deployment (its "deployable"), when it has one. */
static bool
deployment_job(const struct gl *g, const struct deployment *d, struct job_view *j)
{
	const struct pipeline *p = NULL;
	const struct stage *st = deploy_stage(g->w, d, &p);

	if (!in_gitlab(d) || !p || !st)
		return false;
	if (d->pipeline >= 0)
		stage_job(g, p, (size_t)(st - p->stages), j);
	else
		rollback_job(g, d, p, st, j);
	return true;
}

/* POST .../jobs/:job_id/retry: GitLab answers 201 with the new job. Only the jobs
 * that made a deployment of the project can be retried here; one that has not
 * finished is refused as GitLab refuses it (403, "Job is not retryable"). */
static void
retry_job(struct gl *g, const char *id_text, struct sim_response *resp)
{
	const struct world *w = g->w;
	char *end;
	unsigned long long id = strtoull(id_text, &end, 10);
	struct job_view j;
	long made;

	if (*end || end == id_text) {
		message(resp, 404, "message", "404 Not found");
		return;
	}
	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		if (d->service != g->service || !deployment_job(g, d, &j) || j.id != id)
			continue;
		if (!happened(g, d->finish)) {
			message(resp, 403, "message", "403 Forbidden - Job is not retryable");
			return;
		}
		made = sim_rollback_add(g->sim, i, "gitlab", "root", g->now / 1000);
		if (!deployment_job(g, &g->w->deployments[made], &j)) {
			message(resp, 500, "message", "500 Internal Server Error");
			return;
		}
		response_json(resp, 201, job_json(g, &j));
		return;
	}
	message(resp, 404, "message", "404 Job Not Found");
}

/* ---- routing ----------------------------------------------------------------- */

/* The project the path after /projects/ names, and the path after it. */
static bool
find_project(struct gl *g, const char *rest, const char **after)
{
	size_t digits = strspn(rest, "0123456789"), best = 0;
	bool found = false;

	if (digits > 0 && (rest[digits] == '/' || rest[digits] == '\0')) {
		long long id = strtoll(rest, NULL, 10) - PROJECT_ID_BASE;

		if (id < 0 || (size_t)id >= g->w->n_services)
			return false;
		g->service = (size_t)id;
		g->by_id = true;
		*after = rest + digits;
		return true;
	}
	for (size_t s = 0; s < g->w->n_services; s++) {
		const char *repo = g->w->services[s].repo;
		size_t len = strlen(repo);

		if (len > best && strncmp(rest, repo, len) == 0 &&
		    (rest[len] == '/' || rest[len] == '\0')) {
			g->service = s;
			best = len;
			found = true;
		}
	}
	*after = rest + best;
	return found;
}

/* "/jobs/123/retry": the job's id text. */
static bool
retry_route(const char *after, char *id, size_t size)
{
	const char *p;
	size_t n;

	if (strncmp(after, "/jobs/", 6) != 0)
		return false;
	p = after + 6;
	n = strspn(p, "0123456789");
	if (n == 0 || n >= size || !streq(p + n, "/retry"))
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	return true;
}

/* "/pipelines/123" or "/pipelines/123/jobs": the id's text, and whether jobs. */
static bool
pipeline_route(const char *after, char *id, size_t size, bool *jobs)
{
	const char *p = after + strlen("/pipelines/");
	size_t n = strspn(p, "0123456789");

	if (strncmp(after, "/pipelines/", strlen("/pipelines/")) != 0 || n == 0 || n >= size)
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	*jobs = streq(p + n, "/jobs");
	return p[n] == '\0' || *jobs;
}

void
gitlab_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	struct gl g = { .sim = sim, .w = &sim->world, .req = req };
	const char *prefix = "/api/v4/projects/", *after;
	const struct pipeline *p;
	char id[24];
	bool jobs, post;

	g.now = sim_clock_now(&sim->clock);
	if (strncmp(req->route, "/api/v4/", 8) != 0) {
		response_text(resp, 404, "404 Not Found\n");
		return;
	}
	post = streq(req->method, "POST");
	if (!post && !streq(req->method, "GET") && !streq(req->method, "HEAD")) {
		message(resp, 405, "error", "405 Method Not Allowed");
		return;
	}
	if (strncmp(req->route, prefix, strlen(prefix)) != 0) {
		message(resp, 404, "error", "404 Not Found");
		return;
	}
	if (!find_project(&g, req->route + strlen(prefix), &after)) {
		message(resp, 404, "message", "404 Project Not Found");
		return;
	}
	if (post) {
		if (retry_route(after, id, sizeof(id)))
			retry_job(&g, id, resp);
		else
			message(resp, 405, "error", "405 Method Not Allowed");
	} else if (streq(after, "") || streq(after, "/")) {
		response_json(resp, 200, project_json(&g));
	} else if (streq(after, "/pipelines")) {
		list_pipelines(&g, resp);
	} else if (streq(after, "/deployments")) {
		list_deployments(&g, resp);
	} else if (streq(after, "/protected_branches")) {
		list_protected_branches(&g, resp);
	} else if (pipeline_route(after, id, sizeof(id), &jobs)) {
		if (!(p = find_pipeline(&g, id)))
			message(resp, 404, "message", "404 Not found");
		else if (jobs)
			list_jobs(&g, p, resp);
		else {
			response_json(resp, 200, pipeline_json(&g, p));
			resp->etag = true;
		}
	} else {
		message(resp, 404, "error", "404 Not Found");
	}
	if (resp->status == 200)
		rate_headers(&g, resp);
}
