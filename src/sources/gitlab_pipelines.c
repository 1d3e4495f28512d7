/* gitlab_pipelines.c - the stream "pipelines:PROJECT": each pipeline updated since
 * the watermark, with its jobs as stages.
 *
 * A round is a chain of requests, each committed with the cursor that says where
 * the chain stands:
 *   GET /projects/:id/pipelines?updated_after=MARK&order_by=updated_at&sort=asc
 *       the pipelines changed since the mark (gitlab.c); the new ones are queued
 *       in the cursor's `pending`;
 *   GET /projects/:id/pipelines/:pipeline_id
 *       the first pending pipeline: the list shows only ids, statuses, refs and
 *       dates, not who ran it nor when it started and finished; kept in the
 *       cursor's `pipeline`;
 *   GET /projects/:id/pipelines/:pipeline_id/jobs?include_retried=false
 *       its jobs (pages of 100, the earlier pages kept in `jobs`): the pipeline is
 *       written with them as its stages, and leaves `pending`;
 * then the next pending pipeline, and once none is left the list's next request
 * (`next`), if any. A round cut short resumes at the first pending pipeline, so a
 * pipeline the list showed is never lost; one deleted meanwhile (404) is passed
 * over.
 *
 * Mapping: source_id is the pipeline id, number its iid, event its source (push,
 * merge_request_event, schedule, web, ...), actor user.username, queued_at
 * created_at. Statuses: created, waiting_for_resource, preparing and pending are
 * queued; canceling is still running; manual and scheduled are waiting; a status
 * GitLab adds later is kept as GitLab spells it (the display shows it as unknown).
 *
 * Stages are the jobs, in the pipeline's stage order then by name, as GitLab's
 * pipeline graph shows them. The REST API does not give the stage order, but GitLab
 * creates a pipeline's jobs stage by stage, so a stage's place is that of its
 * lowest job id (a stage whose every job was retried moves behind the others).
 * A stage is named "STAGE: JOB" ("test: rspec"), or JOB alone when the job is named
 * like its stage; its kind comes from the job's name, else the stage's. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>

#include "sitrep/json.h"
#include "sitrep/timestamp.h"
#include "gitlab-private.h"

enum request_kind {
	REQ_LIST,
	REQ_DETAIL,
	REQ_JOBS,
};

/* ---- requests ---- */

static char *
detail_url(const struct source_ctx *ctx, const char *project, json_int_t id)
{
	char *base = gl_project_url(ctx, project), *url;

	url = xasprintf("%s/pipelines/%lld", base, (long long)id);
	free(base);
	return url;
}

static char *
jobs_url(const struct source_ctx *ctx, const char *project, json_int_t id)
{
	char *base = gl_project_url(ctx, project), *url;

	url = xasprintf("%s/pipelines/%lld/jobs?include_retried=false&per_page=%d", base,
			(long long)id, PER_PAGE);
	free(base);
	return url;
}

/* Whether the path of url ends in suffix, and where. */
static const char *
path_ends(const char *url, size_t path_len, const char *suffix)
{
	size_t len = strlen(suffix);

	return path_len >= len && strncmp(url + path_len - len, suffix, len) == 0
		       ? url + path_len - len
		       : NULL;
}

/* Which request of the chain url is, and the pipeline it names. */
static bool
request_kind(const char *url, enum request_kind *kind, json_int_t *id)
{
	size_t len = strcspn(url, "?#");
	const char *end;

	*id = 0;
	if (path_ends(url, len, "/pipelines")) {
		*kind = REQ_LIST;
		return true;
	}
	*kind = REQ_DETAIL;
	if ((end = path_ends(url, len, "/jobs"))) {
		*kind = REQ_JOBS;
		len = (size_t)(end - url);
	}
	end = url + len;
	while (end > url && end[-1] >= '0' && end[-1] <= '9')
		end--;
	if (end == url + len || !path_ends(url, (size_t)(end - url), "/pipelines/"))
		return false;
	*id = (json_int_t)strtoll(end, NULL, 10);
	return *id > 0;
}

enum status_code
gl_plan_pipelines(const struct source_ctx *ctx, const char *project, struct source_request **out,
		  size_t *n)
{
	char *stream = xasprintf(PIPELINES "%s", project), *url;
	json_t *cursor = gl_cursor_load(ctx, stream);
	const json_t *first = json_array_get(json_object_get(cursor, "pending"), 0);
	struct source_request *req;
	enum status_code code = SUCCESS;
	int64_t backfill;

	if (json_is_integer(first) && json_integer_value(first) > 0) {
		/* A round cut short: its pipelines first, from their start. */
		url = detail_url(ctx, project, json_integer_value(first));
	} else {
		struct gl_mark m;

		gl_mark_load(&m, cursor, ctx->now);
		if ((code = gl_backfill(ctx, &backfill)) == SUCCESS)
			url = gl_list_url(ctx, project, "pipelines",
					  m.mark != TIME_NONE ? m.mark
							      : (ctx->now - backfill) * 1000);
		gl_mark_release(&m);
	}
	if (code == SUCCESS) {
		req = source_request_add(out, n, stream, "GET", url);
		gl_auth(req, ctx->secret);
	}
	json_decref(cursor);
	free(stream);
	return code;
}

/* ---- the chain ---- */

struct chain {
	const struct source_ctx *ctx;
	const struct source_request *req;
	const char *project; /* as configured */
	struct source_page *page;
	json_t *cursor; /* new */
};

static void
set_next(struct chain *c, char *url)
{
	c->page->next = gl_request(c->ctx, c->req->stream, url);
}

/* What comes next: the first pending pipeline, else the list's next request, else
 * the end of the round. */
static void
go_on(struct chain *c)
{
	json_t *pending = json_object_get(c->cursor, "pending");
	const json_t *next = json_object_get(c->cursor, "next");

	if (json_array_size(pending) > 0) {
		set_next(c, detail_url(c->ctx, c->project,
				       json_integer_value(json_array_get(pending, 0))));
		return;
	}
	json_object_del(c->cursor, "pending");
	if (json_is_string(next))
		set_next(c, xstrdup(json_string_value(next)));
	json_object_del(c->cursor, "next");
}

/* The current pipeline is done (written, or gone). */
static void
advance(struct chain *c)
{
	json_object_del(c->cursor, "pipeline");
	json_object_del(c->cursor, "jobs");
	json_array_remove(json_object_get(c->cursor, "pending"), 0);
	go_on(c);
}

static bool
id_in(const json_t *array, json_int_t id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(array, i, v)
	{
		if (json_integer_value(v) == id)
			return true;
	}
	return false;
}

/* ---- the list ---- */

static enum status_code
parse_list(struct chain *c, const json_t *root, const struct http_response *resp)
{
	json_t *pending = json_object_get(c->cursor, "pending");
	struct gl_where w = { .stream = c->req->stream };
	enum status_code code = SUCCESS;
	const json_t *item;
	struct gl_mark m;
	char *next;
	size_t i;

	if (!json_is_array(root))
		return error(TYPE " %s: the response is %s, not a JSON array of pipelines",
			     c->req->stream, json_type_name(root));
	if (!json_is_array(pending)) {
		pending = json_array();
		json_object_set_new(c->cursor, "pending", pending);
	}
	gl_mark_load(&m, c->cursor, c->ctx->now);
	json_array_foreach(root, i, item)
	{
		json_int_t id;
		int64_t updated;
		const char *status;

		snprintf(w.what, sizeof(w.what), "pipeline %zu", i);
		if (!json_is_object(item)) {
			code = error(TYPE " %s: %s is %s, not an object", w.stream, w.what,
				     json_type_name(item));
			break;
		}
		if ((code = gl_get_id(&w, item, "id", "id", &id)) != SUCCESS ||
		    (code = gl_get_ms(&w, item, "updated_at", "updated_at", true, &updated)) !=
			    SUCCESS ||
		    (code = gl_get_string(&w, item, "status", "status", true, &status)) != SUCCESS)
			break;
		if (!gl_mark_known(&m, id, updated) && !id_in(pending, id))
			json_array_append_new(pending, json_integer(id));
	}
	if (code == SUCCESS) {
		gl_mark_store(&m, c->cursor);
		next = gl_mark_next(c->ctx, &m, c->req, resp, "pipelines");
		if (next)
			json_object_set_new(c->cursor, "next", json_string(next));
		else
			json_object_del(c->cursor, "next");
		free(next);
		go_on(c);
		gl_cursor_store(c->page, c->cursor);
	}
	gl_mark_release(&m);
	return code;
}

/* ---- one pipeline ---- */

/* The members of a pipeline the stream uses, checked, as a new object for the
 * cursor (the detail is some 2 kB; the cursor keeps a tenth of it). */
static enum status_code
read_pipeline(const struct gl_where *w, const json_t *p, json_int_t want_id, json_t **out)
{
	static const char *const texts[] = { "ref", "sha", "source", "web_url", "name" };
	static const char *const instants[] = { "started_at", "finished_at" };
	const char *status, *text, *user_name = NULL;
	const json_t *user;
	enum status_code code;
	json_int_t id, iid;
	int64_t ms;
	json_t *o;

	if ((code = gl_get_id(w, p, "id", "id", &id)) != SUCCESS ||
	    (code = gl_get_id(w, p, "iid", "iid", &iid)) != SUCCESS ||
	    (code = gl_get_string(w, p, "status", "status", true, &status)) != SUCCESS ||
	    (code = gl_get_ms(w, p, "created_at", "created_at", true, &ms)) != SUCCESS ||
	    (code = gl_get_ms(w, p, "updated_at", "updated_at", true, &ms)) != SUCCESS ||
	    (code = gl_get_object(w, p, "user", "user", &user)) != SUCCESS ||
	    (user && (code = gl_get_string(w, user, "username", "user.username", false,
					   &user_name)) != SUCCESS))
		return code;
	if (id != want_id)
		return gl_field_error(w, "id", "is not the pipeline asked for", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if ((code = gl_get_string(w, p, texts[i], texts[i], false, &text)) != SUCCESS)
			return code;
	for (size_t i = 0; i < ARRAY_SIZE(instants); i++)
		if ((code = gl_get_ms(w, p, instants[i], instants[i], false, &ms)) != SUCCESS)
			return code;
	o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "iid", json_integer(iid));
	json_object_set_new(o, "status", json_string(status));
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (json_is_string(json_object_get(p, texts[i])))
			json_object_set(o, texts[i], json_object_get(p, texts[i]));
	json_object_set(o, "created_at", json_object_get(p, "created_at"));
	json_object_set(o, "updated_at", json_object_get(p, "updated_at"));
	for (size_t i = 0; i < ARRAY_SIZE(instants); i++)
		if (json_is_string(json_object_get(p, instants[i])))
			json_object_set(o, instants[i], json_object_get(p, instants[i]));
	if (user_name)
		json_object_set_new(o, "username", json_string(user_name));
	*out = o;
	return SUCCESS;
}

/* GitLab's 404 of a pipeline or its jobs ({"message": "404 Not found"}): the
 * pipeline was deleted since the list showed it. Not when GitLab says the project is
 * not found, nor a proxy's page: those are errors. */
static bool
pipeline_gone(const struct http_response *resp)
{
	const char *msg;
	json_t *root;
	bool gone;

	if (resp->status != 404 || !resp->body)
		return false;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_string_value(json_object_get(root, "message"));
	gone = msg && !streq(msg, "404 Project Not Found");
	json_decref(root);
	return gone;
}

static enum status_code
parse_detail(struct chain *c, json_int_t id, const struct http_response *resp)
{
	struct gl_where w = { .stream = c->req->stream };
	enum status_code code;
	json_t *root, *p = NULL;

	if (pipeline_gone(resp)) {
		advance(c);
		gl_cursor_store(c->page, c->cursor);
		return SUCCESS;
	}
	if ((code = gl_response_json(c->req, resp, &root)) != SUCCESS)
		return code;
	snprintf(w.what, sizeof(w.what), "pipeline %lld", (long long)id);
	if (!json_is_object(root))
		code = error(TYPE " %s: %s is %s, not an object", w.stream, w.what,
			     json_type_name(root));
	else if ((code = read_pipeline(&w, root, id, &p)) == SUCCESS) {
		json_object_set_new(c->cursor, "pipeline", p);
		json_object_set_new(c->cursor, "jobs", json_array());
		set_next(c, jobs_url(c->ctx, c->project, id));
		gl_cursor_store(c->page, c->cursor);
	}
	json_decref(root);
	return code;
}

/* ---- jobs ---- */

/* The members of a job the stream uses, checked, as a new object. */
static enum status_code
read_job(const struct gl_where *w, const json_t *job, json_t **out)
{
	static const char *const texts[] = { "name", "stage", "status" };
	json_t *coverage = json_object_get(job, "coverage");
	const char *text, *web_url;
	enum status_code code;
	json_int_t id;
	int64_t ms;
	json_t *o;

	if ((code = gl_get_id(w, job, "id", "id", &id)) != SUCCESS)
		return code;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if ((code = gl_get_string(w, job, texts[i], texts[i], true, &text)) != SUCCESS)
			return code;
	if ((code = gl_get_ms(w, job, "started_at", "started_at", false, &ms)) != SUCCESS ||
	    (code = gl_get_ms(w, job, "finished_at", "finished_at", false, &ms)) != SUCCESS ||
	    (code = gl_get_string(w, job, "web_url", "web_url", false, &web_url)) != SUCCESS)
		return code;
	if (coverage && !json_is_null(coverage) && !json_is_number(coverage))
		return gl_wrong_type(w, "coverage", coverage, "a number");
	o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		json_object_set(o, texts[i], json_object_get(job, texts[i]));
	if (json_is_string(json_object_get(job, "started_at")))
		json_object_set(o, "started_at", json_object_get(job, "started_at"));
	if (json_is_string(json_object_get(job, "finished_at")))
		json_object_set(o, "finished_at", json_object_get(job, "finished_at"));
	if (json_is_number(coverage))
		json_object_set(o, "coverage", coverage);
	if (web_url)
		json_object_set_new(o, "web_url", json_string(web_url));
	*out = o;
	return SUCCESS;
}

/* The normalized status of a pipeline or job; one GitLab adds later is kept as
 * GitLab spells it. */
static const char *
status_of(struct source_page *page, const char *status)
{
	static const struct {
		const char *gitlab, *status;
	} map[] = {
		{ "created", "queued" },    { "waiting_for_resource", "queued" },
		{ "preparing", "queued" },  { "pending", "queued" },
		{ "running", "running" },   { "canceling", "running" },
		{ "success", "success" },   { "failed", "failed" },
		{ "canceled", "canceled" }, { "skipped", "skipped" },
		{ "manual", "waiting" },    { "scheduled", "waiting" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (streq(status, map[i].gitlab))
			return map[i].status;
	return source_page_strdup(page, status);
}

static int64_t
seconds_of(const json_t *obj, const char *key)
{
	int64_t ms;

	return gl_parse_ms(json_string_value(json_object_get(obj, key)), &ms) ? gl_seconds(ms)
									      : TIME_NONE;
}

static const char *
text_of(struct source_page *page, const json_t *obj, const char *key)
{
	return source_page_strdup(page, json_string_value(json_object_get(obj, key)));
}

struct job_order {
	const json_t *job;
	json_int_t id, stage_first; /* the lowest job id of its stage */
	const char *stage, *name;
};

static int
cmp_jobs(const void *a, const void *b)
{
	const struct job_order *x = a, *y = b;
	int c;

	if (x->stage_first != y->stage_first)
		return x->stage_first < y->stage_first ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

static struct store_stage *
stages_of(const struct source_ctx *ctx, struct source_page *page, const json_t *jobs, size_t *n)
{
	struct job_order *order;
	struct store_stage *stages;
	const json_t *job;
	size_t i, j;

	*n = json_array_size(jobs);
	stages = source_page_stages(page, *n);
	order = xcalloc(*n ? *n : 1, sizeof(*order));
	json_array_foreach(jobs, i, job)
	{
		order[i].job = job;
		order[i].id = json_integer_value(json_object_get(job, "id"));
		order[i].stage = json_string_value(json_object_get(job, "stage"));
		order[i].name = json_string_value(json_object_get(job, "name"));
	}
	for (i = 0; i < *n; i++) {
		order[i].stage_first = order[i].id;
		for (j = 0; j < *n; j++)
			if (streq(order[j].stage, order[i].stage) &&
			    order[j].id < order[i].stage_first)
				order[i].stage_first = order[j].id;
	}
	qsort(order, *n, sizeof(*order), cmp_jobs);
	for (i = 0; i < *n; i++) {
		struct store_stage *st = &stages[i];
		const json_t *cov = json_object_get(order[i].job, "coverage");
		const char *kind = source_stage_kind(ctx, order[i].name);
		char *name = streq(order[i].stage, order[i].name)
				     ? xstrdup(order[i].name)
				     : xasprintf("%s: %s", order[i].stage, order[i].name);

		st->name = source_page_strdup(page, name);
		free(name);
		st->kind = kind ? kind : source_stage_kind(ctx, order[i].stage);
		st->status =
			status_of(page, json_string_value(json_object_get(order[i].job, "status")));
		st->started_at = seconds_of(order[i].job, "started_at");
		st->finished_at = seconds_of(order[i].job, "finished_at");
		st->coverage = json_is_number(cov) ? json_number_value(cov) : NAN;
		st->url = source_page_strdup(
			page,
			gl_usable_url(json_string_value(json_object_get(order[i].job, "web_url"))));
	}
	free(order);
	return stages;
}

/* The pipeline read by parse_detail, with the jobs of every page as its stages. */
static void
add_pipeline(struct chain *c, const json_t *p, const json_t *jobs)
{
	struct source_page *page = c->page;
	struct store_pipeline *pl = source_page_pipeline(page);
	const char *web_url = json_string_value(json_object_get(p, "web_url"));
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(p, "id")));
	pl->source = source_page_strdup(page, c->ctx->name);
	pl->source_id = source_page_strdup(page, id);
	pl->project = gl_project_name(page, c->ctx, c->project, web_url);
	pl->service = gl_service(page, c->ctx, pl->project);
	pl->name = text_of(page, p, "name");
	pl->number = (int64_t)json_integer_value(json_object_get(p, "iid"));
	pl->ref = text_of(page, p, "ref");
	pl->sha = text_of(page, p, "sha");
	pl->event = text_of(page, p, "source");
	pl->actor = text_of(page, p, "username");
	pl->status = status_of(page, json_string_value(json_object_get(p, "status")));
	pl->queued_at = seconds_of(p, "created_at");
	pl->started_at = seconds_of(p, "started_at");
	pl->finished_at = seconds_of(p, "finished_at");
	pl->url = source_page_strdup(page, gl_usable_url(web_url));
	pl->updated_at = seconds_of(p, "updated_at");
	pl->stages = stages_of(c->ctx, page, jobs, &pl->n_stages);
}

static enum status_code
parse_jobs(struct chain *c, json_int_t id, const struct http_response *resp)
{
	json_t *p = json_object_get(c->cursor, "pipeline"),
	       *jobs = json_object_get(c->cursor, "jobs");
	struct gl_where w = { .stream = c->req->stream };
	enum status_code code = SUCCESS;
	const json_t *job;
	json_t *root, *o = NULL;
	char *next;
	size_t i;

	if (json_integer_value(json_object_get(p, "id")) != id)
		return error(TYPE " %s: the jobs of pipeline %lld came before the pipeline",
			     c->req->stream, (long long)id);
	if (pipeline_gone(resp)) {
		advance(c);
		gl_cursor_store(c->page, c->cursor);
		return SUCCESS;
	}
	if ((code = gl_response_json(c->req, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_array(root)) {
		code = error(TYPE " %s: the jobs of pipeline %lld are %s, not a JSON array",
			     c->req->stream, (long long)id, json_type_name(root));
		json_decref(root);
		return code;
	}
	if (!json_is_array(jobs)) {
		jobs = json_array();
		json_object_set_new(c->cursor, "jobs", jobs);
	}
	json_array_foreach(root, i, job)
	{
		snprintf(w.what, sizeof(w.what), "job %zu of pipeline %lld", i, (long long)id);
		if (!json_is_object(job)) {
			code = error(TYPE " %s: %s is %s, not an object", w.stream, w.what,
				     json_type_name(job));
			break;
		}
		if ((code = read_job(&w, job, &o)) != SUCCESS)
			break;
		json_array_append_new(jobs, o);
	}
	if (code == SUCCESS) {
		if ((next = gl_next_page_url(c->ctx, c->req, resp))) {
			set_next(c, next);
		} else {
			add_pipeline(c, p, jobs);
			advance(c);
		}
		gl_cursor_store(c->page, c->cursor);
	}
	json_decref(root);
	return code;
}

enum status_code
gl_parse_pipelines(const struct source_ctx *ctx, const struct source_request *req,
		   const struct http_response *resp, struct source_page *page)
{
	struct chain c = { .ctx = ctx, .req = req, .page = page };
	enum request_kind kind;
	enum status_code code;
	json_int_t id;
	json_t *root;

	c.project = gl_stream_project(req->stream);
	if (!request_kind(req->url, &kind, &id))
		return error(TYPE " %s: not a pipelines URL", req->stream);
	c.cursor = gl_cursor_load(ctx, req->stream);
	switch (kind) {
	case REQ_LIST:
		if ((code = gl_response_json(req, resp, &root)) == SUCCESS)
			code = parse_list(&c, root, resp);
		json_decref(root);
		break;
	case REQ_DETAIL:
		code = parse_detail(&c, id, resp);
		break;
	default:
		code = parse_jobs(&c, id, resp);
		break;
	}
	json_decref(c.cursor);
	return code;
}
