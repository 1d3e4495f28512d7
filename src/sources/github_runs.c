/* github_runs.c - GitHub Actions workflow runs as pipelines and their jobs as stages:
 * the list (GET /repos/OWNER/NAME/actions/runs), a run alone (.../runs/ID) and a
 * run's jobs (.../runs/ID/jobs, the latest attempt's), within the pass of github.c.
 *
 * A listed run is read again (its jobs fetched, its pipeline written) when it is
 * new (an id above the mark, or in a first pass created within the backfill), when
 * its updated_at is newer than the newest the last complete pass saw, or when it was
 * open then and its updated_at moved. Its fields wait in its todo item while its
 * jobs pages are read (a run has more than 100 jobs only with large matrices; up to
 * MAX_STAGES are kept).
 *
 * Mapping (metrics SPEC 2). source_id is the run id in decimal, project the repo,
 * name the workflow's name, number run_number, ref head_branch, sha head_sha, event,
 * actor actor.login (else triggering_actor.login; older payloads have neither).
 * status and conclusion make the status: queued, requested and pending are queued;
 * in_progress running; waiting (a deployment protection rule holds it) waiting;
 * completed with success or neutral (neutral passes branch protection) success;
 * failure, timed_out and startup_failure failed; cancelled and stale (GitHub gave up
 * on it) canceled; skipped skipped; action_required waiting (someone must approve
 * it). A conclusion GitHub adds later counts as failed: the run is over and did not
 * say it succeeded; a status it adds later as running: the run is not over.
 * queued_at is created_at; started_at run_started_at (the latest attempt's start;
 * created_at in payloads older than the field), unknown while the run is queued;
 * finished_at updated_at once completed (a run has no completed_at); url html_url;
 * updated_at the run's.
 * Jobs keep the API's order: name, kind from the name (source_stage_kind), status as
 * for runs, started_at, and finished_at completed_at once completed; neither for a
 * job queued, waiting, skipped, or completed without steps (cancelled before a
 * runner took it): GitHub stamps those with when they were queued, skipped or
 * cancelled, which is no start; url html_url. Coverage is not in the API: unknown
 * (NAN). */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#include "github-private.h"

/* Enough for a 10-page matrix; the pipeline is written with these. */
#define MAX_STAGES 1000

/* ---- statuses ---- */

static bool
not_started(const char *status)
{
	return streq(status, "queued") || streq(status, "requested") || streq(status, "pending");
}

const char *
gh_run_status(const char *status, const char *conclusion)
{
	static const struct {
		const char *conclusion, *status;
	} over[] = {
		{ "success", "success" },	  { "neutral", "success" },
		{ "failure", "failed" },	  { "timed_out", "failed" },
		{ "startup_failure", "failed" },  { "cancelled", "canceled" },
		{ "stale", "canceled" },	  { "skipped", "skipped" },
		{ "action_required", "waiting" },
	};

	if (!streq(status, "completed")) {
		if (not_started(status))
			return "queued";
		return streq(status, "waiting") ? "waiting" : "running";
	}
	for (size_t i = 0; i < ARRAY_SIZE(over); i++)
		if (streq(conclusion, over[i].conclusion))
			return over[i].status;
	return "failed";
}

/* ---- URLs ---- */

char *
gh_runs_list_url(const char *base, const char *repo)
{
	char *path = xasprintf(
		"/repos/%s/actions/runs?per_page=" GH_PER_PAGE "&exclude_pull_requests=true", repo);
	char *url = source_url(base, path);

	free(path);
	return url;
}

static char *
run_url(const char *base, const char *repo, const char *id)
{
	char *path = xasprintf("/repos/%s/actions/runs/%s?exclude_pull_requests=true", repo, id);
	char *url = source_url(base, path);

	free(path);
	return url;
}

static char *
jobs_url(const char *base, const char *repo, const char *id)
{
	char *path = xasprintf("/repos/%s/actions/runs/%s/jobs?per_page=" GH_PER_PAGE, repo, id);
	char *url = source_url(base, path);

	free(path);
	return url;
}

char *
gh_runs_step(const char *base, const char *repo, const json_t *pass)
{
	const json_t *item = json_array_get(json_object_get(pass, "todo"), 0);
	const char *next;

	if (item) {
		const char *id = json_string_value(json_object_get(item, "id"));

		if ((next = json_string_value(json_object_get(item, "next"))))
			return xstrdup(next);
		return json_object_get(item, "refresh") ? run_url(base, repo, id)
							: jobs_url(base, repo, id);
	}
	if ((next = json_string_value(json_object_get(pass, "next"))))
		return xstrdup(next);
	if (!json_is_true(json_object_get(pass, "listed")))
		return gh_runs_list_url(base, repo);
	return NULL;
}

/* ---- a run ---- */

struct run {
	char id[GH_ID_SIZE];
	int64_t idn, number, created, started, updated;
	const char *name, *branch, *sha, *event, *actor, *status, *conclusion, *url;
};

static enum status_code
read_run(const struct gh_parse *g, const json_t *obj, struct run *r)
{
	enum status_code code;

	if (!json_is_object(obj))
		return error(GH_TYPE " %s: %s is %s, not an object", g->stream, g->where,
			     json_type_name(obj));
	if ((code = gh_get_id(g, obj, "id", r->id, &r->idn)) != SUCCESS ||
	    (code = gh_get_count(g, obj, "run_number", true, &r->number)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "name", false, &r->name)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "head_branch", false, &r->branch)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "head_sha", true, &r->sha)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "event", false, &r->event)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "status", true, &r->status)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "conclusion", false, &r->conclusion)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "html_url", false, &r->url)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "created_at", true, &r->created)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "run_started_at", false, &r->started)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "updated_at", true, &r->updated)) != SUCCESS ||
	    (code = gh_get_login(g, obj, "actor", &r->actor)) != SUCCESS)
		return code;
	if (!r->actor && (code = gh_get_login(g, obj, "triggering_actor", &r->actor)) != SUCCESS)
		return code;
	return SUCCESS;
}

static bool
run_open(const struct run *r)
{
	return !streq(r->status, "completed");
}

static void
set_text(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

/* What the pipeline needs of the run, kept in its todo item until its jobs are read. */
static json_t *
run_item(const struct run *r)
{
	json_t *item = json_object();

	json_object_set_new(item, "id", json_string(r->id));
	set_text(item, "name", r->name);
	json_object_set_new(item, "number", json_integer((json_int_t)r->number));
	set_text(item, "ref", r->branch);
	set_text(item, "sha", r->sha);
	set_text(item, "event", r->event);
	set_text(item, "actor", r->actor);
	set_text(item, "status", gh_run_status(r->status, r->conclusion));
	gh_json_set_time(item, "queued", r->created);
	gh_json_set_time(item, "started",
			 not_started(r->status)	   ? TIME_NONE
			 : r->started != TIME_NONE ? r->started
						   : r->created);
	gh_json_set_time(item, "finished", run_open(r) ? TIME_NONE : r->updated);
	gh_json_set_time(item, "updated", r->updated);
	set_text(item, "url", r->url);
	return item;
}

/* Whether the last complete pass has this run as it is now. */
static bool
run_known(const struct gh_parse *g, const struct run *r)
{
	int64_t mark = gh_id_value(json_string_value(json_object_get(g->cursor, "mark")));
	int64_t since = gh_json_time(g->cursor, "since");
	const json_t *open = json_object_get(json_object_get(g->cursor, "open"), r->id);

	if (mark <= 0 || r->idn > mark)
		return false;
	if (since == TIME_NONE || r->updated > since)
		return false;
	return !open || (json_is_integer(open) && json_integer_value(open) == r->updated);
}

/* ---- pages ---- */

enum status_code
gh_runs_list(struct gh_parse *g, const json_t *root)
{
	const json_t *runs, *obj;
	json_t *unseen = gh_pass_object(g, "unseen");
	bool first_pass = gh_id_value(json_string_value(json_object_get(g->cursor, "mark"))) <= 0;
	enum status_code code;
	size_t i;

	if ((code = gh_list_member(g, root, "workflow_runs", &runs)) != SUCCESS)
		return code;
	json_array_foreach(runs, i, obj)
	{
		struct run r;

		snprintf(g->where, sizeof(g->where), "workflow_runs[%zu]", i);
		if ((code = read_run(g, obj, &r)) != SUCCESS)
			return code;
		json_object_del(unseen, r.id);
		gh_pass_saw(g, r.id, r.updated);
		if (gh_before_mark(g, r.idn, r.created))
			g->stop = true;
		if (first_pass && r.created < gh_floor(g))
			continue; /* before the backfill */
		if (!run_known(g, &r))
			json_array_append_new(gh_todo(g), run_item(&r));
		if (run_open(&r))
			json_object_set_new(gh_pass_object(g, "open"), r.id,
					    json_integer((json_int_t)r.updated));
	}
	return SUCCESS;
}

void
gh_runs_list_done(struct gh_parse *g)
{
	json_t *unseen = gh_pass_object(g, "unseen"), *updated;
	const char *id;

	json_object_foreach(unseen, id, updated)
	{
		json_t *item = json_object();

		json_object_set_new(item, "id", json_string(id));
		json_object_set(item, "refresh", updated);
		json_array_append_new(gh_todo(g), item);
	}
	json_object_clear(unseen);
}

/* An open run the list did not show: unchanged, it stays open; changed, its jobs
 * are read next. */
enum status_code
gh_runs_run(struct gh_parse *g, const char *id, const json_t *root)
{
	json_t *item;
	struct run r;
	enum status_code code;

	if ((code = gh_todo_current(g, id, "run", &item)) != SUCCESS)
		return code;
	if (!json_object_get(item, "refresh"))
		return error(GH_TYPE " %s: run %s is not what this pass reads next (its jobs are)",
			     g->stream, id);
	snprintf(g->where, sizeof(g->where), "run %s", id);
	if ((code = read_run(g, root, &r)) != SUCCESS)
		return code;
	if (!streq(r.id, id))
		return gh_field_error(g, "id", "is not the run asked for", r.id);
	if (run_open(&r))
		json_object_set_new(gh_pass_object(g, "open"), r.id,
				    json_integer((json_int_t)r.updated));
	if (gh_json_time(item, "refresh") == r.updated)
		gh_todo_pop(g);
	else
		json_array_set_new(gh_todo(g), 0, run_item(&r));
	return SUCCESS;
}

/* GitHub stamps a job that has not run, or never will, with the time it was queued,
 * skipped or cancelled: not a start. A job a runner took has steps. */
static bool
never_ran(const char *status, const char *conclusion, const json_t *steps)
{
	return not_started(status) || streq(status, "waiting") ||
	       (streq(status, "completed") && (streq(conclusion, "skipped") ||
					       (json_is_array(steps) && !json_array_size(steps))));
}

static enum status_code
read_job(const struct gh_parse *g, const json_t *job, json_t *stages)
{
	const char *name, *status, *conclusion, *url;
	int64_t started, completed;
	enum status_code code;
	json_t *stage;

	if (!json_is_object(job))
		return error(GH_TYPE " %s: %s is %s, not an object", g->stream, g->where,
			     json_type_name(job));
	if ((code = gh_get_string(g, job, "name", true, &name)) != SUCCESS ||
	    (code = gh_get_string(g, job, "status", true, &status)) != SUCCESS ||
	    (code = gh_get_string(g, job, "conclusion", false, &conclusion)) != SUCCESS ||
	    (code = gh_get_string(g, job, "html_url", false, &url)) != SUCCESS ||
	    (code = gh_get_instant(g, job, "started_at", false, &started)) != SUCCESS ||
	    (code = gh_get_instant(g, job, "completed_at", false, &completed)) != SUCCESS)
		return code;
	stage = json_object();
	set_text(stage, "name", name);
	set_text(stage, "status", gh_run_status(status, conclusion));
	if (!never_ran(status, conclusion, json_object_get(job, "steps"))) {
		gh_json_set_time(stage, "started", started);
		if (streq(status, "completed"))
			gh_json_set_time(stage, "finished", completed);
	}
	set_text(stage, "url", url);
	json_array_append_new(stages, stage);
	return SUCCESS;
}

static const char *
text_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The pipeline of a run whose jobs are all read. */
static void
write_pipeline(struct gh_parse *g, const json_t *item)
{
	struct source_page *page = g->page;
	const json_t *stages = json_object_get(item, "stages"), *st;
	struct store_pipeline *p = source_page_pipeline(page);
	struct store_stage *out;
	size_t i, n = json_array_size(stages);

	p->source = source_page_strdup(page, g->ctx->name);
	p->source_id = source_page_strdup(page, text_of(item, "id"));
	p->project = source_page_strdup(page, g->repo);
	p->service = source_page_strdup(page, g->service);
	p->name = source_page_strdup(page, text_of(item, "name"));
	if (json_is_integer(json_object_get(item, "number")))
		p->number = (int64_t)json_integer_value(json_object_get(item, "number"));
	p->ref = source_page_strdup(page, text_of(item, "ref"));
	p->sha = source_page_strdup(page, text_of(item, "sha"));
	p->event = source_page_strdup(page, text_of(item, "event"));
	p->actor = source_page_strdup(page, text_of(item, "actor"));
	p->status = source_page_strdup(page, text_of(item, "status"));
	p->queued_at = gh_json_time(item, "queued");
	p->started_at = gh_json_time(item, "started");
	p->finished_at = gh_json_time(item, "finished");
	p->url = source_page_strdup(page, text_of(item, "url"));
	p->updated_at = gh_json_time(item, "updated");
	out = source_page_stages(page, n);
	json_array_foreach(stages, i, st)
	{
		out[i].name = source_page_strdup(page, text_of(st, "name"));
		out[i].kind = source_stage_kind(g->ctx, out[i].name);
		out[i].status = source_page_strdup(page, text_of(st, "status"));
		out[i].started_at = gh_json_time(st, "started");
		out[i].finished_at = gh_json_time(st, "finished");
		out[i].url = source_page_strdup(page, text_of(st, "url"));
	}
	p->stages = out;
	p->n_stages = n;
}

/* A page of a run's jobs: collected in its item; with the last, its pipeline. */
enum status_code
gh_runs_jobs(struct gh_parse *g, const char *id, const json_t *root, const char *next)
{
	const json_t *jobs, *job;
	json_t *item, *stages;
	enum status_code code;
	size_t i;

	if ((code = gh_todo_current(g, id, "the jobs of run", &item)) != SUCCESS)
		return code;
	if (json_object_get(item, "refresh"))
		return error(GH_TYPE " %s: run %s is to be read before its jobs", g->stream, id);
	if ((code = gh_list_member(g, root, "jobs", &jobs)) != SUCCESS)
		return code;
	if (!json_is_array((stages = json_object_get(item, "stages")))) {
		stages = json_array();
		json_object_set_new(item, "stages", stages);
	}
	json_array_foreach(jobs, i, job)
	{
		snprintf(g->where, sizeof(g->where), "run %s: jobs[%zu]", id, i);
		if (json_array_size(stages) < MAX_STAGES &&
		    (code = read_job(g, job, stages)) != SUCCESS)
			return code;
	}
	if (next && json_array_size(stages) < MAX_STAGES) {
		json_object_set_new(item, "next", json_string(next));
		return SUCCESS;
	}
	write_pipeline(g, item);
	gh_todo_pop(g);
	return SUCCESS;
}
