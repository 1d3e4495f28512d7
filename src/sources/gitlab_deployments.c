/* gitlab_deployments.c - the stream "deployments:PROJECT": GET
 * /projects/:id/deployments?updated_after=MARK&order_by=updated_at&sort=asc (GitLab
 * refuses updated_after without order_by=updated_at; the default order is by id),
 * with the watermark and paging of gitlab.c. A deployment's commits are filled in
 * from the service's local clone by the engine (src/sync/commits.c).
 *
 * Mapping: source_id is the deployment id; environment environment.name;
 * started_at when the deployment job started (a production job is often manual,
 * created with its pipeline hours before someone plays it), else created_at;
 * finished_at, once the deployment is over, the deployment's finished_at where
 * GitLab gives it, else its job's, else updated_at; version the ref when the
 * deployment job ran for a tag;
 * pipeline deployable.pipeline.id; target the deployable job's id, which a rollback
 * to this deployment retries (POST /projects/:id/jobs/:job_id/retry; none when the
 * deployment was made through the API, deployable null); url the job's page, else
 * the environment's external_url. Statuses: created and running are running,
 * blocked (waiting for a deployment approval) is waiting, canceled stays canceled
 * (it neither reached the environment nor failed there); a status GitLab adds later
 * is kept as GitLab spells it.
 *
 * Rollbacks. GitLab has no rollback object: its environment page's Rollback button
 * retries the deployment job of an older deployment, which makes a new deployment
 * of the old sha (cicd-rollback.md 2.6). So a deployment is a rollback when its sha
 * is that of a successful deployment of the same environment older than the one it
 * replaces, and not that of the one it replaces (which would be a redeploy). It
 * replaces the environment's latest successful deployment with a lower id, and a
 * rollback `fixes` that one, which is what DORA's change failure rate counts. The
 * cursor keeps the last ENV_HISTORY successful deployments (id, sha) of the
 * MAX_ENVIRONMENTS environments deployed to last, as a page shows only what changed
 * since the mark; a page is read in id order, the order deployments were made in.
 * A rollback to a deployment older than the history (or than the first round's
 * backfill) is not recognised. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/json.h"
#include "sitrep/timestamp.h"
#include "gitlab-private.h"

/* Successful deployments remembered per environment, and environments remembered
 * (review apps make one per merge request). */
#define ENV_HISTORY 20
#define MAX_ENVIRONMENTS 100

enum status_code
gl_plan_deployments(const struct source_ctx *ctx, const char *project, struct source_request **out,
		    size_t *n)
{
	char *stream = xasprintf(DEPLOYMENTS "%s", project);
	json_t *cursor = gl_cursor_load(ctx, stream);
	struct source_request *req;
	enum status_code code;
	struct gl_mark m;
	int64_t backfill;

	gl_mark_load(&m, cursor, ctx->now);
	if ((code = gl_backfill(ctx, &backfill)) == SUCCESS) {
		req = source_request_add(
			out, n, stream, "GET",
			gl_list_url(ctx, project, "deployments",
				    m.mark != TIME_NONE ? m.mark : (ctx->now - backfill) * 1000));
		gl_auth(req, ctx->secret);
	}
	gl_mark_release(&m);
	json_decref(cursor);
	free(stream);
	return code;
}

/* ---- one deployment ---- */

struct deployment {
	const json_t *obj;
	json_int_t id;
	const char *ref, *sha, *status, *environment, *external_url;
	int64_t created, updated, finished; /* ms; finished TIME_NONE when not given */
	int64_t job_started, job_finished;  /* ms, or TIME_NONE */
	json_int_t job, pipeline;	    /* 0: none */
	const char *job_url;
	bool tag;
};

static enum status_code
read_deployable(const struct gl_where *w, const json_t *job, struct deployment *d)
{
	const json_t *tag = json_object_get(job, "tag"), *pipeline;
	enum status_code code;

	if ((code = gl_get_id(w, job, "id", "deployable.id", &d->job)) != SUCCESS ||
	    (code = gl_get_string(w, job, "web_url", "deployable.web_url", false, &d->job_url)) !=
		    SUCCESS ||
	    (code = gl_get_ms(w, job, "started_at", "deployable.started_at", false,
			      &d->job_started)) != SUCCESS ||
	    (code = gl_get_ms(w, job, "finished_at", "deployable.finished_at", false,
			      &d->job_finished)) != SUCCESS ||
	    (code = gl_get_object(w, job, "pipeline", "deployable.pipeline", &pipeline)) != SUCCESS)
		return code;
	if (tag && !json_is_null(tag) && !json_is_boolean(tag))
		return gl_wrong_type(w, "deployable.tag", tag, "a boolean");
	d->tag = json_is_true(tag);
	if (pipeline && (code = gl_get_id(w, pipeline, "id", "deployable.pipeline.id",
					  &d->pipeline)) != SUCCESS)
		return code;
	return SUCCESS;
}

static enum status_code
read_deployment(const struct gl_where *w, const json_t *obj, struct deployment *d)
{
	const json_t *env, *job;
	enum status_code code;

	memset(d, 0, sizeof(*d));
	d->obj = obj;
	d->job_started = d->job_finished = TIME_NONE;
	if (!json_is_object(obj))
		return error(TYPE " %s: %s is %s, not an object", w->stream, w->what,
			     json_type_name(obj));
	if ((code = gl_get_id(w, obj, "id", "id", &d->id)) != SUCCESS ||
	    (code = gl_get_string(w, obj, "ref", "ref", false, &d->ref)) != SUCCESS ||
	    (code = gl_get_string(w, obj, "sha", "sha", false, &d->sha)) != SUCCESS ||
	    (code = gl_get_string(w, obj, "status", "status", true, &d->status)) != SUCCESS ||
	    (code = gl_get_ms(w, obj, "created_at", "created_at", true, &d->created)) != SUCCESS ||
	    (code = gl_get_ms(w, obj, "updated_at", "updated_at", true, &d->updated)) != SUCCESS ||
	    (code = gl_get_ms(w, obj, "finished_at", "finished_at", false, &d->finished)) !=
		    SUCCESS ||
	    (code = gl_get_object(w, obj, "environment", "environment", &env)) != SUCCESS ||
	    (code = gl_get_object(w, obj, "deployable", "deployable", &job)) != SUCCESS)
		return code;
	if (!env)
		return gl_field_error(w, "environment", "is missing", NULL);
	if ((code = gl_get_string(w, env, "name", "environment.name", true, &d->environment)) !=
		    SUCCESS ||
	    (code = gl_get_string(w, env, "external_url", "environment.external_url", false,
				  &d->external_url)) != SUCCESS)
		return code;
	if (!*d->environment)
		return gl_field_error(w, "environment.name", "is empty", NULL);
	return job ? read_deployable(w, job, d) : SUCCESS;
}

static const char *
status_of(struct source_page *page, const char *status)
{
	static const struct {
		const char *gitlab, *status;
	} map[] = {
		{ "created", "running" }, { "running", "running" },   { "success", "success" },
		{ "failed", "failed" },	  { "canceled", "canceled" }, { "blocked", "waiting" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (streq(status, map[i].gitlab))
			return map[i].status;
	return source_page_strdup(page, status);
}

static bool
is_over(const char *status)
{
	return streq(status, "success") || streq(status, "failed") || streq(status, "canceled");
}

static int64_t
finished_of(const struct deployment *d)
{
	if (!is_over(d->status))
		return TIME_NONE;
	if (d->finished != TIME_NONE)
		return gl_seconds(d->finished);
	return gl_seconds(d->job_finished != TIME_NONE ? d->job_finished : d->updated);
}

static const char *
id_text(struct source_page *page, json_int_t id)
{
	char text[24];

	if (id <= 0)
		return NULL;
	snprintf(text, sizeof(text), "%lld", (long long)id);
	return source_page_strdup(page, text);
}

/* ---- the environments' history ---- */

/* The environment's successful deployments, [[id, "sha"], ...] by id (borrowed,
 * created when missing). */
static json_t *
history_of(json_t *envs, const char *environment)
{
	json_t *h = json_object_get(envs, environment);

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(envs, environment, h);
	}
	return h;
}

static json_int_t
entry_id(const json_t *h, size_t i)
{
	return json_integer_value(json_array_get(json_array_get(h, i), 0));
}

static const char *
entry_sha(const json_t *h, size_t i)
{
	return json_string_value(json_array_get(json_array_get(h, i), 1));
}

/* What d replaces, and whether it rolls back: see the top of the file. */
static void
judge(const json_t *h, const struct deployment *d, json_int_t *replaces, bool *rollback)
{
	size_t n = json_array_size(h), prev = n;

	*replaces = 0;
	*rollback = false;
	for (size_t i = 0; i < n; i++)
		if (entry_id(h, i) < d->id)
			prev = i;
	if (prev == n)
		return;
	*replaces = entry_id(h, prev);
	if (!d->sha || streq(d->sha, entry_sha(h, prev)))
		return;
	for (size_t i = 0; i < prev; i++)
		if (streq(d->sha, entry_sha(h, i)))
			*rollback = true;
}

/* Remembers a successful deployment, in id order, the newest ENV_HISTORY. */
static void
remember(json_t *h, const struct deployment *d)
{
	size_t i, n = json_array_size(h);
	json_t *entry = json_array();

	json_array_append_new(entry, json_integer(d->id));
	json_array_append_new(entry, json_string(d->sha));
	for (i = 0; i < n; i++)
		if (entry_id(h, i) >= d->id)
			break;
	if (i < n && entry_id(h, i) == d->id)
		json_array_set_new(h, i, entry);
	else
		json_array_insert_new(h, i, entry);
	while (json_array_size(h) > ENV_HISTORY)
		json_array_remove(h, 0);
}

/* Keeps the MAX_ENVIRONMENTS environments with the latest deployments. */
static void
trim_environments(json_t *envs)
{
	while (json_object_size(envs) > MAX_ENVIRONMENTS) {
		const char *key, *oldest = NULL;
		json_int_t oldest_id = 0;
		json_t *h;

		json_object_foreach(envs, key, h)
		{
			size_t n = json_array_size(h);
			json_int_t last = n ? entry_id(h, n - 1) : 0;

			if (!oldest || last < oldest_id) {
				oldest = key;
				oldest_id = last;
			}
		}
		json_object_del(envs, oldest);
	}
}

/* ---- a page ---- */

static void
add_deployment(const struct source_ctx *ctx, struct source_page *page, const char *project,
	       json_t *envs, const struct deployment *d)
{
	struct store_deployment *out = source_page_deployment(page);
	json_t *h = history_of(envs, d->environment);
	const char *name = gl_project_name(page, ctx, project, d->job_url);
	json_int_t replaces;
	bool rollback;

	judge(h, d, &replaces, &rollback);
	out->source = source_page_strdup(page, ctx->name);
	out->source_id = id_text(page, d->id);
	out->service = gl_service(page, ctx, name);
	out->environment = source_page_strdup(page, d->environment);
	out->status = status_of(page, d->status);
	out->kind = rollback ? DORA_ROLLBACK : DORA_NORMAL;
	out->version = d->tag ? source_page_strdup(page, d->ref) : NULL;
	out->sha = source_page_strdup(page, d->sha);
	out->started_at = gl_seconds(d->job_started != TIME_NONE ? d->job_started : d->created);
	out->finished_at = finished_of(d);
	out->updated_at = gl_seconds(d->updated);
	out->replaces = id_text(page, replaces);
	out->fixes = rollback ? out->replaces : NULL;
	out->pipeline = id_text(page, d->pipeline);
	out->target = id_text(page, d->job);
	out->url = source_page_strdup(
		page, gl_usable_url(d->job_url) ? d->job_url : gl_usable_url(d->external_url));
	if (streq(d->status, "success") && d->sha)
		remember(h, d);
}

static int
cmp_id(const void *a, const void *b)
{
	const struct deployment *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static enum status_code
parse_page(const struct source_ctx *ctx, const struct source_request *req,
	   const struct http_response *resp, const json_t *root, json_t *cursor,
	   struct source_page *page)
{
	struct gl_where w = { .stream = req->stream };
	struct deployment *fresh;
	enum status_code code = SUCCESS;
	json_t *envs = json_object_get(cursor, "environments");
	const json_t *item;
	size_t i, n = 0;
	struct gl_mark m;
	char *next;

	if (!json_is_array(root))
		return error(TYPE " %s: the response is %s, not a JSON array of deployments",
			     req->stream, json_type_name(root));
	if (!json_is_object(envs)) {
		envs = json_object();
		json_object_set_new(cursor, "environments", envs);
	}
	fresh = xcalloc(json_array_size(root) + 1, sizeof(*fresh));
	gl_mark_load(&m, cursor, ctx->now);
	json_array_foreach(root, i, item)
	{
		snprintf(w.what, sizeof(w.what), "deployment %zu", i);
		if ((code = read_deployment(&w, item, &fresh[n])) != SUCCESS)
			break;
		if (!gl_mark_known(&m, fresh[n].id, fresh[n].updated))
			n++;
	}
	if (code == SUCCESS) {
		qsort(fresh, n, sizeof(*fresh), cmp_id);
		for (i = 0; i < n; i++)
			add_deployment(ctx, page, gl_stream_project(req->stream), envs, &fresh[i]);
		trim_environments(envs);
		gl_mark_store(&m, cursor);
		if ((next = gl_mark_next(ctx, &m, req, resp, "deployments")))
			page->next = gl_request(ctx, req->stream, next);
		gl_cursor_store(page, cursor);
	}
	gl_mark_release(&m);
	free(fresh);
	return code;
}

enum status_code
gl_parse_deployments(const struct source_ctx *ctx, const struct source_request *req,
		     const struct http_response *resp, struct source_page *page)
{
	enum status_code code;
	json_t *root, *cursor;

	if ((code = gl_response_json(req, resp, &root)) != SUCCESS)
		return code;
	cursor = gl_cursor_load(ctx, req->stream);
	code = parse_page(ctx, req, resp, root, cursor, page);
	json_decref(cursor);
	json_decref(root);
	return code;
}
