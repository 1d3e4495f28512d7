/* argocd.c - Argo CD applications as deployments, with the state of the Argo
 * Rollouts canaries and blue-green rollouts they manage.
 *
 * Streams. "applications": GET /api/v1/applications, every application the token
 * may see (Argo CD does not page it); or, one per configured app, "app:NAME":
 * GET /api/v1/applications/NAME. Authorization: Bearer TOKEN. The list is fetched
 * whole: `fields=` keeps only a fixed set of members in current Argo CD, without
 * status.history. Argo CD sends no ETag; should a proxy add one, the engine asks
 * with If-None-Match, and a 304 ends the round at no cost.
 *
 * Deployments. Each entry of status.history[] (id, revision(s), deployStartedAt,
 * deployedAt, source(s); Argo CD appends one per successful sync and keeps the last
 * spec.revisionHistoryLimit, 10 by default) is one deployment, source_id "APP:ID",
 * the id being what POST /api/v1/applications/APP/rollback takes, and target the
 * application (what a rollback acts on). Ids count up by one, so the entry APP:ID
 * replaced APP:ID-1 even when that one has been trimmed away.
 *   - version: the image tag when the entry's source overrides one (a kustomize
 *     image "NAME=IMAGE:TAG", a helm parameter image.tag), else the revision (the
 *     chart version for a helm chart, else the commit); sha: the revision when it is
 *     a commit id (40 or 64 hex digits);
 *   - started_at deployStartedAt (deployedAt before Argo CD recorded the start),
 *     finished_at deployedAt; status success: the sync applied it;
 *   - a rollback is an entry whose revision differs from the one before it and
 *     equals an older one's (Argo CD's rollback syncs an old entry's source and
 *     revision again, and nothing else re-deploys an old commit): kind rollback,
 *     fixes the entry it replaced, which gets rolled_back_by. It stays a success:
 *     it did reach the environment (the DORA figures count it, as failed).
 * The operation under way (status.operationState, phase Running or Terminating) or
 * the last one, when it Failed or ended in Error, is not in the history yet: Argo CD
 * appends its entry, with id last + 1, only once it succeeds. So it is the
 * deployment APP:last+1, running or failed (finished at its finishedAt), which the
 * entry updates when it appears; a failed attempt is overwritten by the next
 * successful sync, as Argo CD itself forgets it.
 *
 * The live state belongs to the current deployment: the running operation, else the
 * newest entry. The newest entry is running while the application's health is
 * Progressing since it started (status.health.lastTransitionTime at or after
 * deployStartedAt): an Ingress that never gets an address keeps an application
 * Progressing for good, and a suspended CronJob keeps it Suspended, so the health
 * alone would hold a deployment "running" forever and out of the DORA counts. The
 * health and sync status themselves have no column in the cache.
 *
 * Argo Rollouts. status.resources[] lists the resources the application manages,
 * the same nodes the top of GET .../resource-tree shows, so Rollouts (group
 * argoproj.io, kind Rollout) are found there without a request. Each is read live
 * through GET .../applications/APP/resource?namespace=&resourceName=&group=
 * argoproj.io&version=&kind=Rollout, whose answer is {"manifest": "<JSON text>"}
 * (argocd-rollout.c reads it). Its pattern, canary weight, bake end and status
 * (running; rolled_back when aborted; failed when degraded) go on the current
 * deployment, finished when the Rollout completed or failed; with several, the one
 * furthest from done speaks (aborted, degraded, rolling out, healthy). A Rollout is
 * fetched again only when the application changed since, its health in
 * status.resources changed, or it was still rolling out: a quiet round costs the
 * list alone. The history says nothing of how a rollout ended, so what the Rollout
 * made of the current deployment is kept for when the next sync replaces it (an
 * aborted canary stays rolled back; one last seen under way was replaced before it
 * was seen done: it did reach the environment, a success). Entries that were never
 * current in sitrep's sight show as their sync did. An application that manages a
 * Deployment and no Rollout deploys with Kubernetes' rolling update ("rolling"; a
 * Recreate strategy would take a request per application to tell).
 *
 * Requests of a round. The list's page asks, through page->next, for the first
 * Rollout to read; each Rollout's page for the next one. What they need is in the
 * stream's cursor, committed with each page: per application a digest of each
 * record last written (a record that did not change is not written again; one that
 * did gets the round's clock as updated_at, so the newer state always wins), the
 * current deployment's fields, its Rollouts' last state and what they made of the
 * deployments, and the Rollouts still to read ("todo", as paths: the configured url
 * may hold a password, and the cursor is stored in the cache; the links to the web
 * UI leave it out too). A round that fails half way leaves the rest to the next
 * one, which starts again from the list.
 *
 * Environment: the application's label environment (or env); else the last part
 * of its name after a '-' ("checkout-prod"), of its destination namespace or of its
 * destination cluster's name, when that part is an environment's name (prod, prd,
 * live and production are "production"; stage, stg and staging "staging"; dev and
 * development "development"; qa, test, uat, preprod, sandbox as they are); else the
 * destination namespace; else "default". Service: the label service,
 * app.kubernetes.io/name or app; else the config's `service` (the service for
 * records that name none); else the name without that environment part
 * ("checkout"); else the name.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#include "argocd.h"

#define TYPE "argocd"
#define LIST_STREAM "applications"
#define APP_PREFIX "app:"
#define APPS_PATH "/api/v1/applications"
#define ROLLOUT_GROUP "argoproj.io"
#define ROLLOUT_VERSION "v1alpha1"

/* ---- plan ---- */

static bool
planned(const struct source_request *reqs, size_t n, const char *stream)
{
	for (size_t i = 0; i < n; i++)
		if (streq(reqs[i].stream, stream))
			return true;
	return false;
}

static enum status_code
argocd_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;
	size_t apps = 0;

	if (!base || !*base)
		return error(TYPE " %s: no url configured (the Argo CD server, "
				  "https://argocd.example.com)",
			     ctx->name);
	/* Argo CD answers 401 to every API call without a token. */
	if (!ctx->secret || !*ctx->secret)
		return error(TYPE " %s: no token configured (an account's API token: argocd "
				  "account generate-token)",
			     ctx->name);
	for (size_t i = 0; i < ctx->config->n_values; i++) {
		const struct config_value *v = &ctx->config->values[i];
		char *stream, *escaped, *path;

		if (!streq(v->key, "app"))
			continue;
		if (!v->value || !*v->value)
			return error(TYPE " %s: an empty app (line %d)", ctx->name, v->line);
		apps++;
		stream = xasprintf(APP_PREFIX "%s", v->value);
		if (!planned(*out, *n, stream)) {
			escaped = http_escape(v->value);
			path = xasprintf(APPS_PATH "/%s", escaped);
			req = source_request_add(out, n, stream, "GET", source_url(base, path));
			source_request_bearer(req, ctx->secret);
			free(path);
			free(escaped);
		}
		free(stream);
	}
	if (apps == 0) {
		req = source_request_add(out, n, LIST_STREAM, "GET", source_url(base, APPS_PATH));
		source_request_bearer(req, ctx->secret);
	}
	return SUCCESS;
}

/* ---- a page's state ---- */

struct round {
	const struct source_ctx *ctx;
	const struct source_request *req;
	struct source_page *page;
	const char *base;
	json_t *prev;	   /* the stored cursor (new), or NULL */
	const json_t *was; /* its "apps", or NULL */
	json_t *apps;	   /* the new cursor's "apps" (new) */
	json_t *todo;	   /* the new cursor's "todo" (new) */
	char what[384];	   /* "argocd applications: application 2 (checkout-prod)" */
};

/* ---- environment and service ---- */

static bool
word_eq(const char *a, size_t len, const char *b)
{
	if (strlen(b) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (tolower((unsigned char)a[i]) != b[i])
			return false;
	return true;
}

/* The environment a word names, or NULL. */
static const char *
environment_word(const char *word, size_t len)
{
	static const struct {
		const char *word, *name;
	} words[] = {
		{ "production", "production" },
		{ "prod", "production" },
		{ "prd", "production" },
		{ "live", "production" },
		{ "staging", "staging" },
		{ "stage", "staging" },
		{ "stg", "staging" },
		{ "development", "development" },
		{ "dev", "development" },
		{ "qa", "qa" },
		{ "test", "test" },
		{ "uat", "uat" },
		{ "preprod", "preprod" },
		{ "sandbox", "sandbox" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (word_eq(word, len, words[i].word))
			return words[i].name;
	return NULL;
}

/* The environment the whole of name or its last '-' part names, or NULL; *stem is
 * the length of the name before "-PART" (0 when the whole name is the word). */
static const char *
environment_in(const char *name, size_t *stem)
{
	const char *dash, *env;

	*stem = 0;
	if (!name || !*name)
		return NULL;
	if ((env = environment_word(name, strlen(name))))
		return env;
	dash = strrchr(name, '-');
	if (!dash || dash == name || !(env = environment_word(dash + 1, strlen(dash + 1))))
		return NULL;
	*stem = (size_t)(dash - name);
	return env;
}

/* A non-empty string label, or NULL (labels are checked to be an object). */
static const char *
label(const json_t *labels, const char *key)
{
	const json_t *v = json_object_get(labels, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

struct app {
	const char *name; /* page memory */
	const char *service, *environment, *url, *project;
	const char *health;	 /* status.health.status, or NULL */
	int64_t health_since;	 /* status.health.lastTransitionTime, or TIME_NONE */
	const char *namespace;	 /* spec.destination.namespace, or NULL */
	const json_t *resources; /* status.resources, or NULL */
};

static enum status_code
place(struct round *r, const json_t *obj, struct app *a)
{
	const json_t *labels, *ns, *cluster;
	const char *env = NULL, *service, *in_name, *v;
	size_t stem, ignored;
	enum status_code code;

	if ((code = argocd_member(r->what, obj, "", "metadata.labels", JSON_OBJECT, &labels)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, "", "spec.destination.namespace", JSON_STRING,
				  &ns)) != SUCCESS ||
	    (code = argocd_member(r->what, obj, "", "spec.destination.name", JSON_STRING,
				  &cluster)) != SUCCESS)
		return code;
	a->namespace = ns && json_string_length(ns) ? json_string_value(ns) : NULL;
	in_name = environment_in(a->name, &stem);
	if ((v = label(labels, "environment")) || (v = label(labels, "env")))
		env = environment_word(v, strlen(v)) ? environment_word(v, strlen(v)) : v;
	if (!env && !(env = in_name) && !(env = environment_in(a->namespace, &ignored)))
		env = environment_in(cluster ? json_string_value(cluster) : NULL, &ignored);
	if (!env)
		env = a->namespace ? a->namespace : "default";
	a->environment = source_page_strdup(r->page, env);

	if (!(service = label(labels, "service")) &&
	    !(service = label(labels, "app.kubernetes.io/name")) &&
	    !(service = label(labels, "app")))
		service = source_default_service(r->ctx);
	if (service && !*service)
		service = NULL;
	a->service = service ? source_page_strdup(r->page, service)
		     : stem  ? source_page_strndup(r->page, a->name, stem)
			     : source_page_strdup(r->page, a->name);
	return SUCCESS;
}

/* ---- versions ---- */

static bool
is_commit(const char *rev)
{
	size_t len = rev ? strlen(rev) : 0;

	return (len == 40 || len == 64) && strspn(rev, "0123456789abcdefABCDEF") == len;
}

/* The tag of a kustomize image override: "NAME=IMAGE:TAG", "IMAGE:TAG", either with
 * "@DIGEST"; NULL when it sets none. New. */
static char *
image_tag(const char *spec)
{
	const char *image = strchr(spec, '='), *last, *colon;
	size_t len;

	image = image ? image + 1 : spec;
	len = strcspn(image, "@");
	/* The tag is after the last ':' of the last path part: "host:5000/app:v2". */
	for (last = image + len; last > image && last[-1] != '/'; last--)
		;
	colon = memchr(last, ':', (size_t)(image + len - last));
	if (!colon || colon + 1 == image + len)
		return NULL;
	return xstrndup(colon + 1, (size_t)(image + len - colon - 1));
}

/* The image tag an application source sets, or NULL (page memory). */
static const char *
source_tag(struct round *r, const json_t *source)
{
	const json_t *images = json_object_get(json_object_get(source, "kustomize"), "images");
	const json_t *params = json_object_get(json_object_get(source, "helm"), "parameters");
	const json_t *v;
	const char *out = NULL;
	size_t i;

	json_array_foreach(images, i, v)
	{
		char *tag = json_is_string(v) ? image_tag(json_string_value(v)) : NULL;

		if (tag) {
			out = source_page_strdup(r->page, tag);
			free(tag);
			return out;
		}
	}
	json_array_foreach(params, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *value = json_string_value(json_object_get(v, "value"));
		size_t len = name ? strlen(name) : 0;

		if (value && *value &&
		    (streq(name, "image.tag") ||
		     (len > 10 && streq(name + len - 10, ".image.tag"))))
			return source_page_strdup(r->page, value);
	}
	return NULL;
}

/* What a sync deployed: revision (or revisions) and source (or sources), as a
 * history entry and an operation's sync result both carry them. */
struct revision {
	const char *key;     /* the revisions joined by ',', then "@TAG" when an image tag is
			      * set (page memory); NULL when it names neither */
	const char *version; /* the image tag, else key */
	const char *sha;     /* the first revision that is a commit id, or NULL */
};

static enum status_code
read_revision(struct round *r, const json_t *obj, const char *prefix, struct revision *out)
{
	const json_t *rev, *revs, *source, *sources, *v;
	struct buf b;
	enum status_code code;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((code = argocd_member(r->what, obj, prefix, "revision", JSON_STRING, &rev)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, prefix, "revisions", JSON_ARRAY, &revs)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, prefix, "source", JSON_OBJECT, &source)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, prefix, "sources", JSON_ARRAY, &sources)) !=
		    SUCCESS)
		return code;
	buf_init(&b, 0);
	if (rev && json_string_length(rev)) {
		buf_addstr(&b, json_string_value(rev));
		out->sha = is_commit(json_string_value(rev)) ? json_string_value(rev) : NULL;
		revs = NULL; /* a multi-source application names no single revision */
	}
	json_array_foreach(revs, i, v)
	{
		if (!json_is_string(v)) {
			buf_release(&b);
			return error("%s: %srevisions[%zu] is %s, not a string", r->what, prefix, i,
				     json_type_name(v));
		}
		if (b.len)
			buf_addch(&b, ',');
		buf_addstr(&b, json_string_value(v));
		if (!out->sha && is_commit(json_string_value(v)))
			out->sha = json_string_value(v);
	}
	out->key = b.len ? source_page_strndup(r->page, b.data, b.len) : NULL;
	buf_release(&b);
	out->sha = source_page_strdup(r->page, out->sha);
	out->version = source ? source_tag(r, source) : NULL;
	for (i = 0; !out->version && i < json_array_size(sources); i++)
		if (json_is_object(json_array_get(sources, i)))
			out->version = source_tag(r, json_array_get(sources, i));
	if (!out->version) {
		out->version = out->key;
	} else {
		/* An image set on an unchanged commit is another deployment too. */
		char *key = xasprintf("%s@%s", out->key ? out->key : "", out->version);

		out->key = source_page_strdup(r->page, key);
		free(key);
	}
	return SUCCESS;
}

/* ---- the deployments of an application ---- */

/* One deployment on its way to the page: its strings are page memory. */
struct dep {
	struct store_deployment d;
	const char *rev; /* the revision key, for the rollback rule */
	int64_t done;	 /* when it was over (deployedAt, finishedAt), or TIME_NONE */
	bool history;	 /* an entry of status.history, not the operation */
};

static const char *
dep_id(struct round *r, const struct app *a, int64_t id)
{
	char *text = xasprintf("%s:%" PRId64, a->name, id);
	const char *out = source_page_strdup(r->page, text);

	free(text);
	return out;
}

static void
dep_init(struct round *r, const struct app *a, int64_t id, struct dep *dep)
{
	struct store_deployment *d = &dep->d;

	memset(dep, 0, sizeof(*dep));
	d->source = source_page_strdup(r->page, r->ctx->name);
	d->source_id = dep_id(r, a, id);
	d->service = a->service;
	d->environment = a->environment;
	d->status = "success";
	d->kind = DORA_NORMAL;
	d->started_at = d->finished_at = d->bake_until = TIME_NONE;
	d->canary_weight = NAN;
	d->replaces = id > 0 ? dep_id(r, a, id - 1) : NULL;
	d->target = a->name;
	d->url = a->url;
	d->updated_at = r->ctx->now;
	dep->done = TIME_NONE;
}

struct entry {
	int64_t id;
	struct revision rev;
	int64_t started, deployed;
};

static int
entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static enum status_code
read_entry(struct round *r, const json_t *e, size_t i, struct entry *out)
{
	char prefix[48];
	const json_t *id;
	enum status_code code;

	snprintf(prefix, sizeof(prefix), "status.history[%zu]", i);
	if (!json_is_object(e))
		return error("%s: %s is %s, not an object", r->what, prefix, json_type_name(e));
	snprintf(prefix, sizeof(prefix), "status.history[%zu].", i);
	if ((code = argocd_member(r->what, e, prefix, "id", JSON_INTEGER, &id)) != SUCCESS)
		return code;
	if (!id)
		return error("%s: %sid is missing", r->what, prefix);
	if (json_integer_value(id) < 0)
		return error("%s: %sid is negative", r->what, prefix);
	out->id = (int64_t)json_integer_value(id);
	if ((code = argocd_instant(r->what, e, prefix, "deployedAt", &out->deployed)) != SUCCESS ||
	    (code = argocd_instant(r->what, e, prefix, "deployStartedAt", &out->started)) !=
		    SUCCESS ||
	    (code = read_revision(r, e, prefix, &out->rev)) != SUCCESS)
		return code;
	if (out->deployed == TIME_NONE)
		return error("%s: %sdeployedAt is missing", r->what, prefix);
	if (out->started == TIME_NONE)
		out->started = out->deployed; /* before Argo CD 2.1 recorded the start */
	return SUCCESS;
}

/* The history, sorted by id (new array). */
static enum status_code
read_history(struct round *r, const json_t *obj, struct entry **out, size_t *n)
{
	const json_t *history, *e;
	enum status_code code;
	size_t i;

	*out = NULL;
	*n = 0;
	if ((code = argocd_member(r->what, obj, "", "status.history", JSON_ARRAY, &history)) !=
		    SUCCESS ||
	    !history)
		return code;
	*out = xcalloc(json_array_size(history) + 1, sizeof(**out));
	json_array_foreach(history, i, e)
	{
		if ((code = read_entry(r, e, i, &(*out)[i])) != SUCCESS)
			return code;
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), entry_cmp);
	return SUCCESS;
}

/* An earlier entry (before the one just before) that deployed rev, or -1. */
static long
restored(const struct dep *deps, size_t n, const char *rev)
{
	if (!rev || n < 2 || (deps[n - 1].rev && streq(deps[n - 1].rev, rev)))
		return -1;
	for (size_t j = n - 1; j-- > 0;)
		if (deps[j].rev && streq(deps[j].rev, rev))
			return (long)j;
	return -1;
}

static void
mark_rollback(struct dep *deps, size_t n, struct dep *d, bool done)
{
	if (restored(deps, n, d->rev) < 0)
		return;
	d->d.kind = DORA_ROLLBACK;
	d->d.fixes = deps[n - 1].d.source_id;
	if (done)
		deps[n - 1].d.rolled_back_by = d->d.source_id;
}

struct operation {
	const char *phase; /* NULL: none */
	int64_t started, finished;
	struct revision rev;
};

static enum status_code
read_operation(struct round *r, const json_t *obj, struct operation *op)
{
	const json_t *state, *phase, *result;
	enum status_code code;

	memset(op, 0, sizeof(*op));
	if ((code = argocd_member(r->what, obj, "", "status.operationState", JSON_OBJECT,
				  &state)) != SUCCESS ||
	    !state)
		return code;
	if ((code = argocd_member(r->what, state, "status.operationState.", "phase", JSON_STRING,
				  &phase)) != SUCCESS ||
	    (code = argocd_instant(r->what, state, "status.operationState.", "startedAt",
				   &op->started)) != SUCCESS ||
	    (code = argocd_instant(r->what, state, "status.operationState.", "finishedAt",
				   &op->finished)) != SUCCESS ||
	    (code = argocd_member(r->what, state, "status.operationState.", "syncResult",
				  JSON_OBJECT, &result)) != SUCCESS)
		return code;
	if (!phase)
		return error("%s: status.operationState.phase is missing", r->what);
	op->phase = json_string_value(phase);
	/* The revision it resolved to; while it starts, the one it was asked for. */
	if (result)
		code = read_revision(r, result, "status.operationState.syncResult.", &op->rev);
	if (code == SUCCESS && !op->rev.key) {
		const json_t *sync;

		code = argocd_member(r->what, state, "status.operationState.", "operation.sync",
				     JSON_OBJECT, &sync);
		if (code == SUCCESS && sync)
			code = read_revision(r, sync, "status.operationState.operation.sync.",
					     &op->rev);
	}
	return code;
}

/* The records of an application, history first (oldest first), then the operation
 * not yet in it; *current: the one the live state belongs to, or -1. New array. */
static enum status_code
build(struct round *r, const json_t *obj, const struct app *a, struct dep **out, size_t *n,
      long *current)
{
	struct entry *entries;
	struct operation op;
	struct dep *deps, *d;
	size_t n_entries;
	bool running;
	enum status_code code;

	*out = NULL;
	*n = 0;
	*current = -1;
	if ((code = read_history(r, obj, &entries, &n_entries)) != SUCCESS ||
	    (code = read_operation(r, obj, &op)) != SUCCESS) {
		free(entries);
		return code;
	}
	deps = xcalloc(n_entries + 1, sizeof(*deps));
	for (size_t i = 0; i < n_entries; i++) {
		d = &deps[i];
		dep_init(r, a, entries[i].id, d);
		d->rev = entries[i].rev.key;
		d->d.version = entries[i].rev.version;
		d->d.sha = entries[i].rev.sha;
		d->d.started_at = entries[i].started;
		d->d.finished_at = d->done = entries[i].deployed;
		d->history = true;
		mark_rollback(deps, i, d, true);
	}
	*n = n_entries;
	*current = (long)n_entries - 1;
	running = streq(op.phase, "Running") || streq(op.phase, "Terminating");
	if (!running && n_entries > 0) {
		d = &deps[*current];
		if (streq(a->health, "Progressing") && a->health_since != TIME_NONE &&
		    a->health_since >= d->d.started_at) {
			d->d.status = "running";
			d->d.finished_at = TIME_NONE;
		}
	}
	if (running || streq(op.phase, "Failed") || streq(op.phase, "Error")) {
		d = &deps[*n];
		dep_init(r, a, n_entries ? entries[n_entries - 1].id + 1 : 0, d);
		d->rev = op.rev.key;
		d->d.version = op.rev.version;
		d->d.sha = op.rev.sha;
		d->d.status = running ? "running" : "failed";
		d->d.started_at = op.started;
		d->d.finished_at = d->done = running ? TIME_NONE : op.finished;
		mark_rollback(deps, *n, d, false);
		if (running)
			*current = (long)*n;
		(*n)++;
	}
	free(entries);
	*out = deps;
	return SUCCESS;
}

/* ---- digests ---- */

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static uint64_t
fnv_text(uint64_t h, const char *s)
{
	const char *p = s ? s : "\x01"; /* NULL is not "" */

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * FNV_PRIME;
	return (h ^ 0xff) * FNV_PRIME;
}

static uint64_t
fnv_int(uint64_t h, int64_t v)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return fnv_text(h, text);
}

/* Everything a record writes but updated_at. */
static uint64_t
record_digest(uint64_t h, const struct store_deployment *d)
{
	char weight[32];

	if (isnan(d->canary_weight))
		snprintf(weight, sizeof(weight), "none");
	else
		snprintf(weight, sizeof(weight), "%.6f", d->canary_weight);
	h = fnv_text(h, d->source_id);
	h = fnv_text(h, d->service);
	h = fnv_text(h, d->environment);
	h = fnv_text(h, d->status);
	h = fnv_int(h, (int64_t)d->kind);
	h = fnv_text(h, d->version);
	h = fnv_text(h, d->sha);
	h = fnv_text(h, d->pattern);
	h = fnv_int(h, d->started_at);
	h = fnv_int(h, d->finished_at);
	h = fnv_text(h, d->fixes);
	h = fnv_text(h, d->rolled_back_by);
	h = fnv_text(h, weight);
	h = fnv_int(h, d->bake_until);
	h = fnv_text(h, d->replaces);
	h = fnv_text(h, d->pipeline);
	h = fnv_text(h, d->target);
	return fnv_text(h, d->url);
}

static json_t *
digest_json(uint64_t h)
{
	char text[24];

	snprintf(text, sizeof(text), "%016" PRIx64, h);
	return json_string(text);
}

/* ---- Rollouts ---- */

static int
rank(const char *status)
{
	static const char *const order[] = { "success", "running", "failed", "rolled_back" };

	for (size_t i = 0; status && i < ARRAY_SIZE(order); i++)
		if (streq(status, order[i]))
			return (int)i + 1;
	return 0;
}

/* What a Rollout's last reading left in the cursor. */
static json_t *
summary_json(const struct argocd_rollout *ro, const char *health)
{
	json_t *s = json_object();

	json_object_set_new(s, "h", health ? json_string(health) : json_null());
	json_object_set_new(s, "p", json_string(ro->pattern));
	json_object_set_new(s, "s", json_string(ro->status));
	json_object_set_new(s, "w", isnan(ro->weight) ? json_null() : json_real(ro->weight));
	json_object_set_new(
		s, "b", ro->bake_until == TIME_NONE ? json_null() : json_integer(ro->bake_until));
	json_object_set_new(s, "e", ro->ended == TIME_NONE ? json_null() : json_integer(ro->ended));
	return s;
}

static int64_t
json_time_of(const json_t *v)
{
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : TIME_NONE;
}

/* Puts the Rollouts' state (the cursor's "r") on the current deployment: the one
 * furthest from done speaks, ties to the first by name. */
static void
apply_rollouts(struct round *r, struct dep *dep, const json_t *summaries)
{
	const json_t *best = NULL, *s;
	const char *key, *best_key = NULL, *status;
	struct store_deployment *d = &dep->d;
	int64_t ended;

	json_object_foreach((json_t *)(uintptr_t)summaries, key, s)
	{
		int sev = rank(json_string_value(json_object_get(s, "s")));
		int best_sev = best ? rank(json_string_value(json_object_get(best, "s"))) : -1;

		if (sev > best_sev || (sev == best_sev && strcmp(key, best_key) < 0)) {
			best = s;
			best_key = key;
		}
	}
	if (!best)
		return;
	status = json_string_value(json_object_get(best, "s"));
	if (rank(status) > rank(d->status))
		d->status = source_page_strdup(r->page, status);
	d->pattern = source_page_strdup(r->page, json_string_value(json_object_get(best, "p")));
	d->canary_weight = json_is_number(json_object_get(best, "w"))
				   ? json_number_value(json_object_get(best, "w"))
				   : NAN;
	d->bake_until = json_time_of(json_object_get(best, "b"));
	ended = json_time_of(json_object_get(best, "e"));
	if (streq(d->status, "running"))
		d->finished_at = TIME_NONE;
	else if (ended != TIME_NONE && ended >= d->started_at && streq(d->status, status))
		d->finished_at = ended; /* the rollout ended after the sync did */
	else
		d->finished_at = dep->done;
}

/* What the Rollouts made of the current deployment, kept for when it is current
 * no more: the history says nothing of how a rollout ended. */
static json_t *
frozen_json(const struct store_deployment *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "s", json_string(d->status));
	json_object_set_new(o, "p", d->pattern ? json_string(d->pattern) : json_null());
	json_object_set_new(o, "w",
			    isnan(d->canary_weight) ? json_null() : json_real(d->canary_weight));
	json_object_set_new(
		o, "f", d->finished_at == TIME_NONE ? json_null() : json_integer(d->finished_at));
	return o;
}

/* A deployment no longer current as it was last seen. One last seen rolling out was
 * replaced before it was seen done: it did reach the environment. */
static void
apply_frozen(struct round *r, struct dep *dep, const json_t *frozen)
{
	struct store_deployment *d = &dep->d;
	const char *status = json_string_value(json_object_get(frozen, "s"));
	const json_t *w = json_object_get(frozen, "w");

	if (!status)
		return;
	d->pattern = source_page_strdup(r->page, json_string_value(json_object_get(frozen, "p")));
	d->canary_weight = json_is_number(w) ? json_number_value(w) : NAN;
	d->bake_until = TIME_NONE;
	if (streq(status, "running")) {
		d->status = "success";
		d->finished_at = dep->done;
	} else {
		d->status = source_page_strdup(r->page, status);
		d->finished_at = json_time_of(json_object_get(frozen, "f"));
	}
}

/* The current deployment before any Rollout's state, for the Rollouts' pages. */
static json_t *
dep_json(const struct dep *dep)
{
	const struct store_deployment *d = &dep->d;
	json_t *o = json_object();

#define TEXT(k, v) json_object_set_new(o, k, (v) ? json_string(v) : json_null())
#define TIME(k, v) json_object_set_new(o, k, (v) == TIME_NONE ? json_null() : json_integer(v))
	TEXT("id", d->source_id);
	TEXT("service", d->service);
	TEXT("environment", d->environment);
	TEXT("status", d->status);
	json_object_set_new(o, "kind", json_integer((json_int_t)d->kind));
	TEXT("version", d->version);
	TEXT("sha", d->sha);
	TIME("started", d->started_at);
	TIME("finished", d->finished_at);
	TIME("done", dep->done);
	TEXT("fixes", d->fixes);
	TEXT("rolled_back_by", d->rolled_back_by);
	TEXT("replaces", d->replaces);
	TEXT("target", d->target);
	TEXT("url", d->url);
#undef TEXT
#undef TIME
	return o;
}

/* The record dep_json wrote; false when the cursor does not hold one. */
static bool
dep_from_json(struct round *r, const json_t *o, struct dep *dep)
{
	struct store_deployment *d = &dep->d;
	const json_t *kind = json_object_get(o, "kind");

#define TEXT(k) source_page_strdup(r->page, json_string_value(json_object_get(o, k)))
	memset(dep, 0, sizeof(*dep));
	d->source = source_page_strdup(r->page, r->ctx->name);
	d->source_id = TEXT("id");
	d->service = TEXT("service");
	d->environment = TEXT("environment");
	d->status = TEXT("status");
	d->kind = json_integer_value(kind) == DORA_ROLLBACK ? DORA_ROLLBACK : DORA_NORMAL;
	d->version = TEXT("version");
	d->sha = TEXT("sha");
	d->started_at = json_time_of(json_object_get(o, "started"));
	d->finished_at = json_time_of(json_object_get(o, "finished"));
	dep->done = json_time_of(json_object_get(o, "done"));
	d->fixes = TEXT("fixes");
	d->rolled_back_by = TEXT("rolled_back_by");
	d->replaces = TEXT("replaces");
	d->target = TEXT("target");
	d->url = TEXT("url");
#undef TEXT
	d->canary_weight = NAN;
	d->bake_until = TIME_NONE;
	d->updated_at = r->ctx->now;
	return d->source_id && d->service && d->environment && d->status;
}

/* The path (after the configured url) that reads a Rollout (new). */
static char *
rollout_path(const char *app, const char *ns, const char *name, const char *version)
{
	char *a = http_escape(app), *n = http_escape(ns ? ns : ""), *r = http_escape(name);
	char *v = http_escape(version && *version ? version : ROLLOUT_VERSION), *path;

	path = xasprintf(APPS_PATH "/%s/resource?namespace=%s&resourceName=%s&group=" ROLLOUT_GROUP
				   "&version=%s&kind=Rollout",
			 a, n, r, v);
	free(a);
	free(n);
	free(r);
	free(v);
	return path;
}

/* ---- an application's page ---- */

/* The record goes on the page when it differs from what was written of it before
 * (was's digests; entry's get the new one). */
static void
written(struct round *r, json_t *entry, const json_t *was, const struct dep *dep)
{
	json_t *digest = digest_json(record_digest(FNV_OFFSET, &dep->d));
	const json_t *before = json_object_get(json_object_get(was, "d"), dep->d.source_id);

	if (!json_is_object(json_object_get(entry, "d")))
		json_object_set_new(entry, "d", json_object());
	if (!json_equal(before, digest))
		*source_page_deployment(r->page) = dep->d;
	json_object_set_new(json_object_get(entry, "d"), dep->d.source_id, digest);
}

/* The Rollouts of status.resources into rollouts: {"NS/NAME": [version, health,
 * NAME]}; *deployments: whether it manages a Deployment. */
static enum status_code
find_rollouts(struct round *r, const struct app *a, json_t *rollouts, bool *deployments)
{
	const json_t *res;
	size_t i;

	json_array_foreach(a->resources, i, res)
	{
		const json_t *kind, *group, *name, *ns, *version, *health;
		char prefix[48];
		enum status_code code;
		char *key;

		snprintf(prefix, sizeof(prefix), "status.resources[%zu]", i);
		if (!json_is_object(res))
			return error("%s: %s is %s, not an object", r->what, prefix,
				     json_type_name(res));
		snprintf(prefix, sizeof(prefix), "status.resources[%zu].", i);
		if ((code = argocd_member(r->what, res, prefix, "kind", JSON_STRING, &kind)) !=
			    SUCCESS ||
		    (code = argocd_member(r->what, res, prefix, "group", JSON_STRING, &group)) !=
			    SUCCESS)
			return code;
		if (kind && streq(json_string_value(kind), "Deployment") && group &&
		    streq(json_string_value(group), "apps"))
			*deployments = true;
		if (!kind || !streq(json_string_value(kind), "Rollout") || !group ||
		    !streq(json_string_value(group), ROLLOUT_GROUP))
			continue;
		if ((code = argocd_member(r->what, res, prefix, "name", JSON_STRING, &name)) !=
			    SUCCESS ||
		    (code = argocd_member(r->what, res, prefix, "namespace", JSON_STRING, &ns)) !=
			    SUCCESS ||
		    (code = argocd_member(r->what, res, prefix, "version", JSON_STRING,
					  &version)) != SUCCESS ||
		    (code = argocd_member(r->what, res, prefix, "health.status", JSON_STRING,
					  &health)) != SUCCESS)
			return code;
		if (!name || !json_string_length(name))
			return error("%s: %sname is missing", r->what, prefix);
		key = xasprintf("%s/%s",
				ns	       ? json_string_value(ns)
				: a->namespace ? a->namespace
					       : "",
				json_string_value(name));
		json_object_set_new(rollouts, key,
				    json_pack("[s?s?s]",
					      version ? json_string_value(version) : NULL,
					      health ? json_string_value(health) : NULL,
					      json_string_value(name)));
		free(key);
	}
	return SUCCESS;
}

/* Which Rollouts to read this round, and the state kept of the others. */
static void
plan_rollouts(struct round *r, const struct app *a, const json_t *rollouts, const json_t *was,
	      bool changed, json_t *kept)
{
	const json_t *prev = json_object_get(was, "r"), *ro;
	const char *key;

	json_object_foreach((json_t *)(uintptr_t)rollouts, key, ro)
	{
		const json_t *s = json_object_get(prev, key);
		const char *health = json_string_value(json_array_get(ro, 1));
		const char *slash = strchr(key, '/');
		const char *was_health = json_string_value(json_object_get(s, "h"));
		char *ns, *path;

		if (s)
			json_object_set(kept, key, (json_t *)(uintptr_t)s);
		if (s && !changed &&
		    !streq(json_string_value(json_object_get(s, "s")), "running") &&
		    ((!health && !was_health) ||
		     (health && was_health && streq(health, was_health))))
			continue;
		ns = xstrndup(key, (size_t)(slash - key));
		path = rollout_path(a->name, ns, json_string_value(json_array_get(ro, 2)),
				    json_string_value(json_array_get(ro, 0)));
		json_array_append_new(r->todo,
				      json_pack("{s:s, s:s, s:s, s:s?}", "path", path, "app",
						a->name, "key", key, "health", health));
		free(path);
		free(ns);
	}
}

/* The application's page in the web UI: the configured url without the user and
 * password it may carry (https://user:secret@host), which records must not keep. */
static char *
ui_url(const char *base, const char *path)
{
	const char *host = strstr(base, "://"), *at, *end;
	char *bare, *url;

	if (!host)
		return source_url(base, path);
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (!at)
		return source_url(base, path);
	bare = xasprintf("%.*s%s", (int)(host - base), base, at + 1);
	url = source_url(bare, path);
	free(bare);
	return url;
}

static enum status_code
read_app(struct round *r, const json_t *obj, struct app *a)
{
	const json_t *name, *health, *resources, *project;
	enum status_code code;
	char *escaped, *path, *url;

	memset(a, 0, sizeof(*a));
	if ((code = argocd_member(r->what, obj, "", "metadata.name", JSON_STRING, &name)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, "", "status.health.status", JSON_STRING,
				  &health)) != SUCCESS ||
	    (code = argocd_instant(r->what, obj, "", "status.health.lastTransitionTime",
				   &a->health_since)) != SUCCESS ||
	    (code = argocd_member(r->what, obj, "", "status.resources", JSON_ARRAY, &resources)) !=
		    SUCCESS ||
	    (code = argocd_member(r->what, obj, "", "spec.project", JSON_STRING, &project)) !=
		    SUCCESS)
		return code;
	if (!name || !json_string_length(name))
		return error("%s: metadata.name is missing", r->what);
	a->name = source_page_strdup(r->page, json_string_value(name)); /* records keep it */
	a->health = health ? json_string_value(health) : NULL;
	a->resources = resources;
	a->project = project ? json_string_value(project) : NULL;
	escaped = http_escape(a->name);
	path = xasprintf("/applications/%s", escaped);
	url = ui_url(r->base, path);
	a->url = source_page_strdup(r->page, url);
	free(url);
	free(path);
	free(escaped);
	return place(r, obj, a);
}

static enum status_code
parse_app(struct round *r, const json_t *obj)
{
	struct app a;
	struct dep *deps = NULL;
	size_t n = 0;
	long current;
	json_t *entry, *rollouts, *kept, *base, *frozen;
	const json_t *was, *was_frozen;
	uint64_t mark = FNV_OFFSET;
	enum status_code code;
	bool changed, deployments = false;

	if (!json_is_object(obj))
		return error("%s: is %s, not an object", r->what, json_type_name(obj));
	if ((code = read_app(r, obj, &a)) != SUCCESS ||
	    (code = build(r, obj, &a, &deps, &n, &current)) != SUCCESS) {
		free(deps);
		return code;
	}
	rollouts = json_object();
	if ((code = find_rollouts(r, &a, rollouts, &deployments)) != SUCCESS) {
		json_decref(rollouts);
		free(deps);
		return code;
	}
	/* Kubernetes' own rollout: RollingUpdate unless the spec says Recreate, which
	 * would take a request per application to tell. */
	for (size_t i = 0; deployments && json_object_size(rollouts) == 0 && i < n; i++)
		deps[i].d.pattern = "rolling";
	was = json_object_get(r->was, a.name);
	entry = json_object();
	kept = json_object();
	for (size_t i = 0; i < n; i++)
		mark = record_digest(mark, &deps[i].d);
	json_object_set_new(entry, "m", digest_json(mark));
	changed = !json_equal(json_object_get(was, "m"), json_object_get(entry, "m"));
	was_frozen = json_object_get(was, "x");
	frozen = json_object();
	for (size_t i = 0; i < n; i++) {
		const json_t *f = json_object_get(was_frozen, deps[i].d.source_id);

		if ((long)i != current && deps[i].history && f) {
			apply_frozen(r, &deps[i], f);
			json_object_set(frozen, deps[i].d.source_id, (json_t *)(uintptr_t)f);
		}
	}
	if (current >= 0 && json_object_size(rollouts) > 0) {
		plan_rollouts(r, &a, rollouts, was, changed, kept);
		base = dep_json(&deps[current]);
		apply_rollouts(r, &deps[current], kept);
		if (deps[current].d.pattern)
			json_object_set_new(frozen, deps[current].d.source_id,
					    frozen_json(&deps[current].d));
		json_object_set_new(entry, "n", base);
		json_object_set_new(entry, "r", kept);
	} else {
		json_decref(kept);
	}
	json_object_set_new(entry, "x", frozen);
	json_object_set_new(entry, "d", json_object());
	for (size_t i = 0; i < n; i++)
		written(r, entry, was, &deps[i]);
	json_object_set_new(r->apps, a.name, entry);
	json_decref(rollouts);
	free(deps);
	return SUCCESS;
}

/* ---- the cursor ---- */

static void
load_cursor(struct round *r)
{
	const char *text = r->ctx->cursor ? r->ctx->cursor(r->ctx->engine, r->req->stream) : NULL;

	r->prev = text ? json_loads(text, 0, NULL) : NULL;
	if (r->prev && !json_is_object(r->prev)) {
		json_decref(r->prev);
		r->prev = NULL; /* not ours: a round that writes everything again */
	}
	r->was = json_object_get(r->prev, "apps");
	if (!json_is_object(r->was))
		r->was = NULL;
}

/* The page's cursor, and the request of the first Rollout still to read. */
static void
finish(struct round *r)
{
	json_t *root = json_object();
	const json_t *first = json_array_get(r->todo, 0);

	json_object_set(root, "apps", r->apps);
	json_object_set(root, "todo", r->todo);
	r->page->cursor = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (first) {
		struct source_request *next = xcalloc(1, sizeof(*next));

		next->stream = xstrdup(r->req->stream);
		next->method = xstrdup("GET");
		next->url = source_url(r->base, json_string_value(json_object_get(first, "path")));
		for (size_t i = 0; i < r->req->n_headers; i++)
			source_request_header(next, r->req->headers[i].name,
					      r->req->headers[i].value);
		r->page->next = next;
	}
}

/* ---- errors ---- */

static const char *
status_hint(long status)
{
	switch (status) {
	case 401:
		return " (check the token: expired or revoked tokens are refused)";
	case 403:
		return " (the token's account needs the applications get permission; Argo CD "
		       "also answers 403 for an application that does not exist)";
	case 404:
		return " (no such application or resource)";
	default:
		return "";
	}
}

/* Argo CD's errors are grpc-gateway's {"error": "...", "code": 16, "message":
 * "..."}; a proxy in front may send anything. */
static enum status_code
http_error(const char *what, const struct http_response *resp)
{
	json_t *root;
	const char *msg;
	enum status_code code;
	char *text;
	size_t len;

	if (resp->status == 0 || resp->too_big || !resp->body || resp->body_len == 0)
		return source_check_response(TYPE, what + strlen(TYPE " "), resp);
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_string_value(json_object_get(root, "message"));
	if (!msg || !*msg)
		msg = json_string_value(json_object_get(root, "error"));
	text = msg ? source_error_text(msg, strlen(msg))
		   : source_error_text(resp->body, resp->body_len);
	for (len = strlen(text); len > 0 && text[len - 1] == ' '; len--)
		text[len - 1] = '\0';
	code = error("%s: HTTP %ld: %s%s", what, resp->status, *text ? text : "(empty body)",
		     status_hint(resp->status));
	free(text);
	json_decref(root);
	return code;
}

/* ---- pages ---- */

static enum status_code
parse_apps(struct round *r, const struct http_response *resp)
{
	json_t *root = NULL;
	const json_t *items, *app;
	const char *want = NULL;
	enum status_code code;
	size_t i;

	snprintf(r->what, sizeof(r->what), TYPE " %s", r->req->stream);
	if (resp->status != 200)
		return http_error(r->what, resp);
	if ((code = source_parse_json(TYPE, r->req->stream, resp, &root)) != SUCCESS)
		return code;
	if (strncmp(r->req->stream, APP_PREFIX, strlen(APP_PREFIX)) == 0) {
		want = r->req->stream + strlen(APP_PREFIX);
		snprintf(r->what, sizeof(r->what), TYPE " %s: application", r->req->stream);
		code = parse_app(r, root);
		if (code == SUCCESS && !json_object_get(r->apps, want))
			code = error(TYPE " %s: the response is another application",
				     r->req->stream);
	} else if (!json_is_object(root)) {
		code = error(TYPE " %s: the response is %s, not an application list",
			     r->req->stream, json_type_name(root));
	} else if ((code = argocd_member(r->what, root, "", "items", JSON_ARRAY, &items)) ==
		   SUCCESS) {
		/* An empty list is "items": null. */
		json_array_foreach(items, i, app)
		{
			const char *name = json_string_value(
				json_object_get(json_object_get(app, "metadata"), "name"));
			char *text = name ? source_error_text(name, strlen(name)) : NULL;

			snprintf(r->what, sizeof(r->what), TYPE " %s: application %zu%s%s%s",
				 r->req->stream, i, text ? " (" : "", text ? text : "",
				 text ? ")" : "");
			free(text);
			if ((code = parse_app(r, app)) != SUCCESS)
				break;
		}
	}
	json_decref(root);
	return code;
}

/* The todo item whose request this is, or -1. */
static long
todo_index(const struct round *r, const json_t *todo)
{
	const json_t *item;
	size_t i;

	json_array_foreach(todo, i, item)
	{
		char *url = source_url(r->base, json_string_value(json_object_get(item, "path")));
		bool same = streq(url, r->req->url);

		free(url);
		if (same)
			return (long)i;
	}
	return -1;
}

/* The Rollout's state into the cursor, and the current deployment written again
 * when that changed it. */
static void
update_current(struct round *r, const char *app, const char *key, json_t *summary)
{
	json_t *entry = json_object_get(r->apps, app), *rollouts;
	struct dep dep;

	if (!json_is_object(entry)) {
		json_decref(summary);
		return; /* the cursor lost it: the next list page reads it again */
	}
	rollouts = json_object_get(entry, "r");
	if (!json_is_object(rollouts)) {
		rollouts = json_object();
		json_object_set_new(entry, "r", rollouts);
	}
	json_object_set_new(rollouts, key, summary);
	if (!dep_from_json(r, json_object_get(entry, "n"), &dep))
		return;
	apply_rollouts(r, &dep, rollouts);
	if (!json_is_object(json_object_get(entry, "x")))
		json_object_set_new(entry, "x", json_object());
	if (dep.d.pattern)
		json_object_set_new(json_object_get(entry, "x"), dep.d.source_id,
				    frozen_json(&dep.d));
	written(r, entry, entry, &dep);
}

static enum status_code
parse_rollout(struct round *r, long index, const struct http_response *resp)
{
	const json_t *item = json_array_get(r->todo, (size_t)index);
	const char *app = json_string_value(json_object_get(item, "app"));
	const char *key = json_string_value(json_object_get(item, "key"));
	const char *health = json_string_value(json_object_get(item, "health"));
	const json_t *manifest;
	json_t *root = NULL, *obj = NULL;
	struct argocd_rollout ro;
	json_error_t err;
	enum status_code code;
	char *a = source_error_text(app ? app : "", app ? strlen(app) : 0);
	char *k = source_error_text(key ? key : "", key ? strlen(key) : 0);

	snprintf(r->what, sizeof(r->what), TYPE " %s: rollout %s of %s", r->req->stream, k, a);
	free(a);
	free(k);
	if (!app || !key)
		return error("%s: the cursor's request is damaged", r->what);
	if (resp->status != 200)
		return http_error(r->what, resp);
	if ((code = source_parse_json(TYPE, r->what + strlen(TYPE " "), resp, &root)) != SUCCESS)
		return code;
	code = argocd_member(r->what, root, "", "manifest", JSON_STRING, &manifest);
	if (code == SUCCESS && !json_is_object(root))
		code = error("%s: the response is %s, not a resource", r->what,
			     json_type_name(root));
	else if (code == SUCCESS && !manifest)
		code = error("%s: the response has no manifest", r->what);
	if (code == SUCCESS &&
	    !(obj = json_loadb(json_string_value(manifest), json_string_length(manifest), 0, &err)))
		code = error("%s: the manifest is not JSON (line %d, column %d)", r->what, err.line,
			     err.column);
	if (code == SUCCESS && (code = argocd_rollout_read(obj, r->what, &ro)) == SUCCESS) {
		update_current(r, app, key, summary_json(&ro, health));
		json_array_remove(r->todo, (size_t)index);
	}
	json_decref(obj);
	json_decref(root);
	return code;
}

static enum status_code
argocd_parse(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, struct source_page *page)
{
	struct round r = { .ctx = ctx, .req = req, .page = page };
	const json_t *todo;
	enum status_code code;
	long index;

	r.base = config_source_get(ctx->config, "url");
	if (!r.base || !*r.base)
		return error(TYPE " %s: no url configured", req->stream);
	if (!streq(req->stream, LIST_STREAM) &&
	    (strncmp(req->stream, APP_PREFIX, strlen(APP_PREFIX)) != 0 ||
	     !req->stream[strlen(APP_PREFIX)]))
		return error(TYPE " %s: not a stream of this source", req->stream);
	load_cursor(&r);
	todo = json_object_get(r.prev, "todo");
	index = json_is_array(todo) ? todo_index(&r, todo) : -1;
	if (index >= 0) {
		/* A Rollout's page: the cursor goes on, one read less. */
		r.apps = r.was ? json_deep_copy(r.was) : json_object();
		r.todo = json_deep_copy(todo);
		code = parse_rollout(&r, index, resp);
	} else {
		r.apps = json_object();
		r.todo = json_array();
		code = parse_apps(&r, resp);
	}
	if (code == SUCCESS)
		finish(&r);
	json_decref(r.apps);
	json_decref(r.todo);
	json_decref(r.prev);
	return code;
}

const struct source_ops source_argocd_ops = {
	.type = TYPE,
	.plan = argocd_plan,
	.parse = argocd_parse,
	.act = argocd_rollback_act,
	.acted = argocd_rollback_acted,
};
