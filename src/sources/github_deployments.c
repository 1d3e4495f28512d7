/* github_deployments.c - GitHub Deployments: the list (GET /repos/OWNER/NAME/
 * deployments) and each deployment's statuses (.../deployments/ID/statuses), within
 * the pass of github.c.
 *
 * A pass reads the statuses of the deployments still running at the end of the last
 * pass (their fields wait in the cursor's open map), then the list down to the mark,
 * then the statuses of the new deployments, oldest first. A deployment never
 * changes and, once it succeeded or failed, its usual next status is inactive, which
 * changes nothing here: finished deployments are not read again.
 *
 * Mapping (metrics SPEC 2: a deployment counts when it succeeded, at finished_at).
 * source_id is the deployment id; service the config's, else the repo's name;
 * environment and sha the deployment's; version its ref when that is a tag (the API
 * does not say whether a ref is a branch, a tag or a sha: refs/tags/X, or a name
 * like v42, v1.2.3 or 2025.03.1), else the payload's "version", which deploy
 * workflows commonly set; started_at created_at. The status is that of the latest
 * status (by created_at, then id) other than inactive: success is success; failure
 * and error failed, or rolled_back when the status's description says the rollout
 * was rolled back (an aborted canary); queued, pending and in_progress running.
 * inactive only says that a newer deployment superseded this one (auto_inactive):
 * not a rollback, so it keeps what it was, success when it had nothing else. Without
 * a status yet: running. finished_at is the created_at of that status when it is
 * final; url its log_url, else environment_url, else target_url (else the newest
 * status's with one); pipeline the workflow run named by a status's log or target
 * URL (.../actions/runs/ID/...), where GitHub Actions points them; updated_at the
 * newest of the deployment's and its statuses' updated_at.
 * replaces is what was live in the environment when the deployment started: the
 * newest earlier deployment there that succeeded (the cursor's live map, moved by
 * each success in the order the deployments were made; unknown before the first
 * pass's backfill). kind is rollback when the deployment says so: its task or
 * description contains "rollback", "roll back", "rolled back" or "revert", or its
 * payload (an object or a string) has a "rollback" member that is true or not
 * empty, or, as a string, contains "rollback". A rollback fixes what it replaces
 * (DORA counts that one as failed). It is hotfix when the ref, the task or the
 * description contains "hotfix". Commits are not read (the compare API has them),
 * so this source gives no lead time. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <ctype.h>

#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#include "github-private.h"

/* ---- URLs ---- */

char *
gh_deployments_list_url(const char *base, const char *repo)
{
	char *path = xasprintf("/repos/%s/deployments?per_page=" GH_PER_PAGE, repo);
	char *url = source_url(base, path);

	free(path);
	return url;
}

static char *
statuses_url(const char *base, const char *repo, const char *id)
{
	char *path = xasprintf("/repos/%s/deployments/%s/statuses?per_page=" GH_PER_PAGE, repo, id);
	char *url = source_url(base, path);

	free(path);
	return url;
}

char *
gh_deployments_step(const char *base, const char *repo, const json_t *pass)
{
	const json_t *item = json_array_get(json_object_get(pass, "todo"), 0);
	const char *next = json_string_value(json_object_get(pass, "next"));
	bool listed = json_is_true(json_object_get(pass, "listed"));

	if (!listed && !item)
		return gh_deployments_list_url(base, repo);
	if (listed && next)
		return xstrdup(next);
	if (item)
		return statuses_url(base, repo, json_string_value(json_object_get(item, "id")));
	return NULL;
}

void
gh_deployments_pass_init(const json_t *cursor, json_t *pass)
{
	const json_t *open = json_object_get(cursor, "open"), *live, *item;
	json_t *todo = json_object_get(pass, "todo");
	const char *id;

	json_object_foreach((json_t *)(uintptr_t)open, id, item)
	{
		if (json_is_object(item) &&
		    streq(json_string_value(json_object_get(item, "id")), id))
			json_array_append_new(todo, json_deep_copy(item));
	}
	live = json_object_get(cursor, "live");
	json_object_set_new(pass, "live",
			    json_is_object(live) ? json_deep_copy(live) : json_object());
}

/* ---- text heuristics ---- */

static bool
contains_ci(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text; p && *p; p++) {
		size_t i;

		for (i = 0; i < n && p[i] && tolower((unsigned char)p[i]) == word[i]; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static bool
says_rollback(const char *text)
{
	return contains_ci(text, "rollback") || contains_ci(text, "roll back") ||
	       contains_ci(text, "rolled back") || contains_ci(text, "revert");
}

static bool
payload_rollback(const json_t *payload)
{
	const json_t *v = json_object_get(payload, "rollback");

	if (json_is_string(payload))
		return contains_ci(json_string_value(payload), "rollback");
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* v42, v1.2.3, 2025.03.1, 1.2.0-rc.1: what a version tag looks like; a branch is
 * rarely named so. */
static bool
looks_like_version(const char *ref)
{
	const char *p = ref;
	bool v = *p == 'v' || *p == 'V', dot = false;

	if (v)
		p++;
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p) || *p == '.'; p++)
		dot = dot || *p == '.';
	return (v || dot) && (!*p || *p == '-' || *p == '+');
}

static const char *
tag_version(const char *ref, const char *sha)
{
	if (!ref || !*ref || streq(ref, sha))
		return NULL;
	if (strncmp(ref, "refs/tags/", 10) == 0)
		return ref[10] ? ref + 10 : NULL;
	return looks_like_version(ref) ? ref : NULL;
}

/* The tag deployed, else the version the payload names. */
static const char *
version_of(const char *ref, const char *sha, const json_t *payload)
{
	const char *v = tag_version(ref, sha);

	if (!v)
		v = json_string_value(json_object_get(payload, "version"));
	return v && *v ? v : NULL;
}

/* ---- the list ---- */

struct deployment {
	char id[GH_ID_SIZE];
	int64_t idn, created, updated;
	const char *sha, *ref, *task, *environment, *description;
	const json_t *payload;
};

static enum status_code
read_deployment(const struct gh_parse *g, const json_t *obj, struct deployment *d)
{
	enum status_code code;

	if (!json_is_object(obj))
		return error(GH_TYPE " %s: %s is %s, not an object", g->stream, g->where,
			     json_type_name(obj));
	if ((code = gh_get_id(g, obj, "id", d->id, &d->idn)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "sha", true, &d->sha)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "ref", false, &d->ref)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "task", false, &d->task)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "environment", true, &d->environment)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "description", false, &d->description)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "created_at", true, &d->created)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "updated_at", false, &d->updated)) != SUCCESS)
		return code;
	if (!*d->environment)
		return gh_field_error(g, "environment", "is empty", NULL);
	d->payload = json_object_get(obj, "payload");
	if (d->payload && !json_is_null(d->payload) && !json_is_object(d->payload) &&
	    !json_is_string(d->payload))
		return gh_field_error(g, "payload", "is neither an object nor a string", NULL);
	return SUCCESS;
}

static const char *
deployment_kind(const struct deployment *d)
{
	if (says_rollback(d->task) || says_rollback(d->description) || payload_rollback(d->payload))
		return "rollback";
	if (contains_ci(d->ref, "hotfix") || contains_ci(d->task, "hotfix") ||
	    contains_ci(d->description, "hotfix"))
		return "hotfix";
	return "normal";
}

/* What the record needs of the deployment, kept until its statuses are read (and,
 * while it runs, from pass to pass). */
static json_t *
deployment_item(const struct deployment *d)
{
	json_t *item = json_object();
	const char *version = version_of(d->ref, d->sha, d->payload);

	json_object_set_new(item, "id", json_string(d->id));
	json_object_set_new(item, "environment", json_string(d->environment));
	json_object_set_new(item, "sha", json_string(d->sha));
	if (version)
		json_object_set_new(item, "version", json_string(version));
	json_object_set_new(item, "kind", json_string(deployment_kind(d)));
	gh_json_set_time(item, "created", d->created);
	gh_json_set_time(item, "updated", d->updated != TIME_NONE ? d->updated : d->created);
	return item;
}

enum status_code
gh_deployments_list(struct gh_parse *g, const json_t *root)
{
	const json_t *open = json_object_get(g->cursor, "open"), *obj;
	bool first_pass = gh_id_value(json_string_value(json_object_get(g->cursor, "mark"))) <= 0;
	enum status_code code;
	size_t i;

	if (!json_is_array(root))
		return error(GH_TYPE " %s: the response is %s, not an array of deployments",
			     g->stream, json_type_name(root));
	json_array_foreach(root, i, obj)
	{
		struct deployment d;

		snprintf(g->where, sizeof(g->where), "deployments[%zu]", i);
		if ((code = read_deployment(g, obj, &d)) != SUCCESS)
			return code;
		gh_pass_saw(g, d.id, d.updated);
		if (gh_before_mark(g, d.idn, d.created))
			g->stop = true;
		if (json_object_get(open, d.id) || gh_before_mark(g, d.idn, d.created) ||
		    (first_pass && d.created < gh_floor(g)))
			continue; /* read already, or known */
		/* The list is newest first; statuses are read oldest first, so that each
		 * deployment finds what was live before it. */
		json_array_insert_new(gh_todo(g), 0, deployment_item(&d));
	}
	return SUCCESS;
}

/* ---- statuses ---- */

struct status {
	char id[GH_ID_SIZE];
	int64_t idn, created, updated;
	const char *state, *description, *log_url, *environment_url, *target_url;
};

static enum status_code
read_status(const struct gh_parse *g, const json_t *obj, struct status *s)
{
	enum status_code code;

	if (!json_is_object(obj))
		return error(GH_TYPE " %s: %s is %s, not an object", g->stream, g->where,
			     json_type_name(obj));
	if ((code = gh_get_id(g, obj, "id", s->id, &s->idn)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "state", true, &s->state)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "description", false, &s->description)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "created_at", true, &s->created)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "updated_at", false, &s->updated)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "log_url", false, &s->log_url)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "environment_url", false, &s->environment_url)) !=
		    SUCCESS ||
	    (code = gh_get_string(g, obj, "target_url", false, &s->target_url)) != SUCCESS)
		return code;
	return SUCCESS;
}

/* The normalized status a state decides, or NULL for inactive and for states GitHub
 * adds later: they decide nothing. */
static const char *
state_status(const char *state)
{
	static const char *const map[][2] = {
		{ "success", "success" }, { "failure", "failed" },  { "error", "failed" },
		{ "queued", "running" },  { "pending", "running" }, { "in_progress", "running" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (streq(state, map[i][0]))
			return map[i][1];
	return NULL;
}

static bool
later(const struct status *a, const struct status *b)
{
	return !b->state || a->created > b->created ||
	       (a->created == b->created && a->idn > b->idn);
}

static const char *
status_url(const struct status *s)
{
	if (s->log_url && *s->log_url)
		return s->log_url;
	if (s->environment_url && *s->environment_url)
		return s->environment_url;
	return s->target_url && *s->target_url ? s->target_url : NULL;
}

/* The run id in a URL of a workflow run (.../actions/runs/ID, maybe /job/N after). */
static bool
run_of(const char *url, char id[GH_ID_SIZE])
{
	const char *p = url ? strstr(url, "/actions/runs/") : NULL;
	size_t n = 0;

	if (!p)
		return false;
	for (p += strlen("/actions/runs/"); is_digit(p[n]) && n + 1 < GH_ID_SIZE; n++)
		id[n] = p[n];
	id[n] = '\0';
	return n > 0 && !is_digit(p[n]);
}

/* The run a status names, in its log URL or else its target URL. */
static bool
status_run(const struct status *s, char id[GH_ID_SIZE])
{
	return run_of(s->log_url, id) || run_of(s->target_url, id);
}

/* What a deployment's statuses say. */
struct outcome {
	struct status decisive; /* state NULL: none */
	struct status with_url; /* the newest with a URL; state NULL: none */
	struct status with_run; /* the newest naming a workflow run; state NULL: none */
	bool inactive;
	int64_t updated;
};

static void
weigh(struct outcome *o, const struct status *s)
{
	char run[GH_ID_SIZE];

	if (state_status(s->state) && later(s, &o->decisive))
		o->decisive = *s;
	if (status_url(s) && later(s, &o->with_url))
		o->with_url = *s;
	if (status_run(s, run) && later(s, &o->with_run))
		o->with_run = *s;
	if (streq(s->state, "inactive"))
		o->inactive = true;
	if (s->updated != TIME_NONE && s->updated > o->updated)
		o->updated = s->updated;
	if (s->created > o->updated)
		o->updated = s->created;
}

/* The normalized status the statuses decide. */
static const char *
outcome_status(const struct outcome *o)
{
	const char *status = o->decisive.state ? state_status(o->decisive.state) : NULL;

	if (!status)
		return o->inactive ? "success" : "running";
	if (streq(status, "failed") && says_rollback(o->decisive.description))
		return "rolled_back";
	return status;
}

static void
write_deployment(struct gh_parse *g, const json_t *item, const struct outcome *o)
{
	struct source_page *page = g->page;
	struct store_deployment *d = source_page_deployment(page);
	char run[GH_ID_SIZE];
	const char *kind = json_string_value(json_object_get(item, "kind"));
	const char *status = outcome_status(o);
	const struct status *url = o->decisive.state && status_url(&o->decisive) ? &o->decisive
				   : o->with_url.state				 ? &o->with_url
										 : NULL;

	d->source = source_page_strdup(page, g->ctx->name);
	d->source_id = source_page_strdup(page, json_string_value(json_object_get(item, "id")));
	d->service = source_page_strdup(page, g->service);
	d->environment =
		source_page_strdup(page, json_string_value(json_object_get(item, "environment")));
	d->status = status;
	d->kind = streq(kind, "rollback") ? DORA_ROLLBACK
		  : streq(kind, "hotfix") ? DORA_HOTFIX
					  : DORA_NORMAL;
	d->version = source_page_strdup(page, json_string_value(json_object_get(item, "version")));
	d->sha = source_page_strdup(page, json_string_value(json_object_get(item, "sha")));
	d->started_at = gh_json_time(item, "created");
	if (o->decisive.state && !streq(status, "running"))
		d->finished_at = o->decisive.created;
	d->replaces =
		source_page_strdup(page, json_string_value(json_object_get(item, "replaces")));
	if (d->kind == DORA_ROLLBACK)
		d->fixes = d->replaces;
	/* The run the deciding status names, else the newest named. */
	if ((o->decisive.state && status_run(&o->decisive, run)) ||
	    (o->with_run.state && status_run(&o->with_run, run)))
		d->pipeline = source_page_strdup(page, run);
	d->url = url ? source_page_strdup(page, status_url(url)) : NULL;
	d->updated_at = gh_json_time(item, "updated");
	if (o->updated > d->updated_at)
		d->updated_at = o->updated;
}

/* What the deployment replaced: what was live in its environment when it was read
 * first (kept with it while it runs; null when nothing was known live). */
static void
replaced(const struct gh_parse *g, json_t *item)
{
	const char *env = json_string_value(json_object_get(item, "environment"));
	json_t *live;

	if (json_object_get(item, "replaces"))
		return;
	live = json_object_get(gh_pass_object(g, "live"), env ? env : "");
	json_object_set_new(item, "replaces", json_is_string(live) ? json_copy(live) : json_null());
}

/* A success is what is live in its environment, unless a newer one succeeded. */
static void
went_live(const struct gh_parse *g, const json_t *item)
{
	const char *env = json_string_value(json_object_get(item, "environment"));
	const char *id = json_string_value(json_object_get(item, "id"));
	json_t *live = gh_pass_object(g, "live");

	if (env && gh_id_value(id) > gh_id_value(json_string_value(json_object_get(live, env))))
		json_object_set_new(live, env, json_string(id));
}

enum status_code
gh_deployments_statuses(struct gh_parse *g, const char *id, const json_t *root)
{
	struct outcome o = { .updated = TIME_NONE };
	const json_t *obj;
	const char *status;
	json_t *item;
	enum status_code code;
	size_t i;

	if ((code = gh_todo_current(g, id, "the statuses of deployment", &item)) != SUCCESS)
		return code;
	if (!json_is_array(root))
		return error(GH_TYPE " %s: the statuses of deployment %s are %s, not an array",
			     g->stream, id, json_type_name(root));
	json_array_foreach(root, i, obj)
	{
		struct status s;

		snprintf(g->where, sizeof(g->where), "deployment %s: statuses[%zu]", id, i);
		if ((code = read_status(g, obj, &s)) != SUCCESS)
			return code;
		weigh(&o, &s);
	}
	replaced(g, item);
	write_deployment(g, item, &o);
	status = g->page->deployments[g->page->n_deployments - 1].status;
	if (streq(status, "running"))
		json_object_set(gh_pass_object(g, "open"), id, item);
	else if (streq(status, "success"))
		went_live(g, item);
	gh_todo_pop(g);
	return SUCCESS;
}
