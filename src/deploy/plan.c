/* plan.c - what a rollback of a service's environment will do, from the cache
 * alone: nothing is sent anywhere, so the plan is also --dry-run's output.
 *
 * Current: the newest deployment there (by start) that reached the environment or
 * is reaching it (success or running). Target: the newest successful deployment
 * before it with another version (a redeploy of the same version is not a way
 * back), or, with --to, the newest successful one of that version. The API
 * executors (argocd:, github:, gitlab:) act on their own upstream's records, so
 * only their [source]'s deployments count for them; exec: takes any source's.
 *
 * The commits removed are those reachable from the current sha and not from the
 * target's, from the service's clone ([service] repo) when it has both, else the
 * commits the deployments after the target shipped (deployment_commits). */
#include "sitrep/sitrep.h"
#include "sitrep/rollback.h"
#include "sitrep/text.h"
#include "sitrep/timestamp.h"

#include <git2.h>

#define MAX_REMOVED 50

struct found {
	const char *environment, *source; /* source NULL: any */
	struct rollback_deployment *deps;
	size_t n, alloc;
	char ***commits; /* each deployment's shipped shas, NULL-terminated */
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
deployment_copy(struct rollback_deployment *to, const struct store_deployment *d)
{
	to->source = dup_or_null(d->source);
	to->source_id = dup_or_null(d->source_id);
	to->version = dup_or_null(d->version);
	to->sha = dup_or_null(d->sha);
	to->status = dup_or_null(d->status);
	to->target = dup_or_null(d->target);
	to->started_at = d->started_at;
	to->finished_at = d->finished_at;
}

static void
deployment_release(struct rollback_deployment *d)
{
	free(d->source);
	free(d->source_id);
	free(d->version);
	free(d->sha);
	free(d->status);
	free(d->target);
	memset(d, 0, sizeof(*d));
}

static enum status_code
collect(void *ctx, const struct store_deployment *d)
{
	struct found *f = ctx;
	size_t alloc = f->alloc;
	char **shas;

	if (!streq(d->environment, f->environment) || (f->source && !streq(d->source, f->source)))
		return SUCCESS;
	f->deps = xgrow(f->deps, &f->alloc, f->n + 1, sizeof(*f->deps));
	f->commits = xgrow(f->commits, &alloc, f->n + 1, sizeof(*f->commits));
	deployment_copy(&f->deps[f->n], d);
	shas = xcalloc(d->n_commits + 1, sizeof(*shas));
	for (size_t i = 0; i < d->n_commits; i++)
		shas[i] = xstrdup(d->commits[i].sha);
	f->commits[f->n++] = shas;
	return SUCCESS;
}

static void
found_release(struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		deployment_release(&f->deps[i]);
		rollback_argv_free(f->commits[i]);
	}
	free(f->deps);
	free(f->commits);
}

static bool
reached(const struct rollback_deployment *d)
{
	return d->status && (streq(d->status, "success") || streq(d->status, "running"));
}

static bool
same(const char *a, const char *b)
{
	return a && b && streq(a, b);
}

/* Indexes of f->deps by start, oldest first (ties: the order the cache has). */
static size_t *
by_start(const struct found *f)
{
	size_t *order = xcalloc(f->n + 1, sizeof(*order));

	for (size_t i = 0; i < f->n; i++) {
		size_t j = i;

		for (; j > 0 && f->deps[order[j - 1]].started_at > f->deps[i].started_at; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return order;
}

/* The commits of the deployments after target up to current, newest first. */
static void
removed_from_cache(const struct found *f, const size_t *order, size_t target, size_t current,
		   struct rollback_plan *plan)
{
	for (size_t k = current + 1; k-- > target + 1;) {
		char **shas = f->commits[order[k]];

		if (!reached(&f->deps[order[k]]) && k != current)
			continue;
		for (size_t i = 0; shas[i]; i++) {
			bool seen = false;

			for (size_t j = 0; j < plan->n_removed && !seen; j++)
				seen = streq(plan->removed[j].sha, shas[i]);
			if (seen)
				continue;
			if (plan->n_removed == MAX_REMOVED) {
				plan->removed_more = true;
				return;
			}
			plan->removed[plan->n_removed++].sha = xstrdup(shas[i]);
		}
	}
}

/* The commits from the clone: false when it cannot tell. */
static bool
removed_from_clone(const char *path, const char *from, const char *hide, struct rollback_plan *plan)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid oid, hidden;
	bool ok = false;

	if (!path || !from || !hide || git_oid_fromstr(&oid, from) != 0 ||
	    git_oid_fromstr(&hidden, hide) != 0)
		return false;
	git_libgit2_init();
	if (git_repository_open(&repo, path) != 0 || git_revwalk_new(&walk, repo) != 0 ||
	    git_revwalk_push(walk, &oid) != 0 || git_revwalk_hide(walk, &hidden) != 0)
		goto out;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	ok = true;
	while (git_revwalk_next(&oid, walk) == 0) {
		struct rollback_commit *c;
		git_commit *commit;
		char hex[GIT_OID_HEXSZ + 1];

		if (plan->n_removed == MAX_REMOVED) {
			plan->removed_more = true;
			break;
		}
		c = &plan->removed[plan->n_removed++];
		git_oid_tostr(hex, sizeof(hex), &oid);
		c->sha = xstrdup(hex);
		if (git_commit_lookup(&commit, repo, &oid) == 0) {
			c->summary = dup_or_null(git_commit_summary(commit));
			git_commit_free(commit);
		}
	}
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ok;
}

/* The [source] of type whose key holds value, else the only source of that type. */
static const struct config_source *
find_source(const struct config *cfg, const char *type, const char *key, const char *value)
{
	const struct config_source *only = NULL;
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_sources; i++) {
		const struct config_source *s = &cfg->sources[i];

		if (!s->type || !streq(s->type, type))
			continue;
		n++;
		only = s;
		for (size_t j = 0; j < s->n_values; j++)
			if (streq(s->values[j].key, key) && same(s->values[j].value, value))
				return s;
	}
	return n == 1 ? only : NULL;
}

/* The executor of spec and its source. */
static enum status_code
executor(const struct config *cfg, const char *spec, struct rollback_plan *plan)
{
	static const struct {
		const char *prefix, *type, *key;
		enum rollback_executor kind;
	} kinds[] = {
		{ "exec:", NULL, NULL, ROLLBACK_EXEC },
		{ "kubectl:", NULL, NULL, ROLLBACK_EXEC },
		{ "argocd:", "argocd", "app", ROLLBACK_ARGOCD },
		{ "github:", "github", "repo", ROLLBACK_GITHUB },
		{ "gitlab:", "gitlab", "project", ROLLBACK_GITLAB },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t len = strlen(kinds[i].prefix);

		if (strncmp(spec, kinds[i].prefix, len) != 0)
			continue;
		plan->executor = kinds[i].kind;
		plan->argument = streq(kinds[i].prefix, "kubectl:")
					 ? xasprintf("kubectl %s", spec + len)
					 : xstrdup(spec + len);
		if (!kinds[i].type)
			return SUCCESS;
		plan->source = find_source(cfg, kinds[i].type, kinds[i].key, plan->argument);
		if (!plan->source)
			return error("deploy \"%s\": rollback = %s%.100s needs a [source] of type "
				     "%s (with %s = %.100s when there are several)",
				     plan->name, kinds[i].prefix, plan->argument, kinds[i].type,
				     kinds[i].key, plan->argument);
		return SUCCESS;
	}
	return error("deploy \"%s\": rollback has no executor sitrep knows", plan->name);
}

/* The configured url without credentials, for the plan's call (new). */
static char *
shown_url(const struct config_source *src)
{
	const char *url = config_source_get(src, "url");
	const char *scheme = url ? strstr(url, "://") : NULL;
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;

	if (!url)
		return xstrdup("");
	if (at && (!slash || at < slash))
		return xasprintf("%.*s%s", (int)(scheme + 3 - url), url, at + 1);
	return xstrdup(url);
}

/* {revision}: what the upstream numbers the target by (Argo CD's history id). */
static const char *
revision_of(const struct rollback_deployment *d)
{
	const char *colon = d->source_id ? strrchr(d->source_id, ':') : NULL;

	return colon ? colon + 1 : d->source_id;
}

static char *
shown_argv(char **argv)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; argv[i]; i++) {
		bool plain =
			*argv[i] && strcspn(argv[i], " \t\n'\"\\$;&|<>(){}*?!`") == strlen(argv[i]);

		if (i)
			buf_addch(&b, ' ');
		if (plain) {
			buf_addstr(&b, argv[i]);
			continue;
		}
		buf_addch(&b, '\'');
		for (const char *p = argv[i]; *p; p++)
			buf_addstr(&b, *p == '\'' ? "'\\''" : (char[]){ *p, '\0' });
		buf_addch(&b, '\'');
	}
	return buf_detach(&b);
}

static enum status_code
describe_call(struct rollback_plan *plan)
{
	struct rollback_vars vars = { plan->service, plan->environment, plan->target.version,
				      plan->target.sha, revision_of(&plan->target) };
	char *url;
	enum status_code code;

	if (plan->executor == ROLLBACK_EXEC) {
		code = rollback_template_expand(plan->argument, &vars, &plan->argv, &plan->argc);
		if (code != SUCCESS)
			return code;
		plan->call = shown_argv(plan->argv);
		rollback_redact(plan->call); /* a command line may carry a token */
		return SUCCESS;
	}
	url = shown_url(plan->source);
	if (plan->executor == ROLLBACK_ARGOCD)
		plan->call = xasprintf("POST %s/api/v1/applications/%s/rollback {\"id\": %s} "
				       "(source %s)",
				       url, plan->argument, revision_of(&plan->target),
				       plan->source->name);
	else if (plan->executor == ROLLBACK_GITHUB)
		plan->call =
			xasprintf("POST %s/repos/%s/deployments {\"ref\": \"%s\", "
				  "\"environment\": \"%s\"} (source %s)",
				  url, plan->argument, plan->target.sha ? plan->target.sha : "",
				  plan->environment, plan->source->name);
	else if (!plan->target.target)
		code = error("deploy \"%s\": GitLab deployment %s has no job to retry (made "
			     "through the API): roll back with exec: instead",
			     plan->name, plan->target.source_id);
	else
		plan->call = xasprintf("POST %s/api/v4/projects/%s/jobs/%s/retry (source %s)", url,
				       plan->argument, plan->target.target, plan->source->name);
	free(url);
	return plan->call ? SUCCESS : ERROR_CUSTOM_MESSAGE;
}

/* Whether an automated sync may undo it: Argo CD manages the place. */
static void
describe_autosync(const struct config *cfg, const struct found *all, struct rollback_plan *plan)
{
	const char *app = NULL;

	if (plan->executor == ROLLBACK_ARGOCD) {
		plan->autosync = xasprintf(
			"Argo CD refuses a rollback of %s while its auto-sync is on, and an "
			"auto-sync would undo it: checked before the rollback; %s",
			plan->argument,
			plan->allow_disable_autosync
				? "allow-disable-autosync = true: auto-sync is turned off first"
				: "allow-disable-autosync = false: refused if it is on");
		return;
	}
	for (size_t i = 0; i < all->n && !app; i++) {
		const struct config_source *s = config_find_source(cfg, all->deps[i].source);

		if (s && s->type && streq(s->type, "argocd"))
			app = all->deps[i].target ? all->deps[i].target : s->name;
	}
	if (app)
		plan->autosync = xasprintf("Argo CD application %s deploys %s to %s: if its "
					   "auto-sync is on, it will undo this rollback",
					   app, plan->service, plan->environment);
}

/* Every source's record of what runs: an incident may name any of them. */
static void
same_rollout(const struct found *all, struct rollback_plan *plan)
{
	size_t n = 0;

	plan->current_ids = xcalloc(all->n + 2, sizeof(*plan->current_ids));
	plan->current_ids[n++] = xstrdup(plan->current.source_id);
	for (size_t i = 0; i < all->n; i++) {
		const struct rollback_deployment *d = &all->deps[i];

		if (d->source_id && same(d->sha, plan->current.sha) && reached(d) &&
		    d->started_at > plan->target.started_at &&
		    !streq(d->source_id, plan->current.source_id))
			plan->current_ids[n++] = xstrdup(d->source_id);
	}
}

static enum status_code
choose(const struct found *f, const char *to_version, struct rollback_plan *plan)
{
	size_t *order = by_start(f);
	size_t k, current = SIZE_MAX, target = SIZE_MAX;
	enum status_code code = SUCCESS;

	for (k = f->n; k-- > 0 && current == SIZE_MAX;)
		if (reached(&f->deps[order[k]]))
			current = k;
	if (current == SIZE_MAX) {
		code = error("%s: no deployment is running in %s%s", plan->service,
			     plan->environment, f->source ? " for this executor's source" : "");
		goto out;
	}
	for (k = current; k-- > 0 && target == SIZE_MAX;) {
		const struct rollback_deployment *d = &f->deps[order[k]];

		if (!d->status || !streq(d->status, "success"))
			continue;
		if (to_version ? same(d->version, to_version)
			       : !same(d->version, f->deps[order[current]].version))
			target = k;
	}
	if (target == SIZE_MAX || same(f->deps[order[target]].sha, f->deps[order[current]].sha)) {
		code = to_version ? error("%s: no successful deployment of %.80s to %s before "
					  "the current one",
					  plan->service, to_version, plan->environment)
				  : error("%s: nothing to go back to in %s (no earlier successful "
					  "deployment of another version)",
					  plan->service, plan->environment);
		goto out;
	}
	plan->current = f->deps[order[current]];
	plan->target = f->deps[order[target]];
	memset(&f->deps[order[current]], 0, sizeof(plan->current));
	memset(&f->deps[order[target]], 0, sizeof(plan->target));
	plan->removed = xcalloc(MAX_REMOVED, sizeof(*plan->removed));
	if (!removed_from_clone(plan->repo, plan->current.sha, plan->target.sha, plan))
		removed_from_cache(f, order, target, current, plan);
out:
	free(order);
	return code;
}

enum status_code
rollback_plan_build(struct store *store, const struct config *cfg, const char *service,
		    const char *environment, const char *to_version, struct rollback_plan *plan)
{
	const struct config_deploy *d;
	const struct config_service *svc = config_find_service(cfg, service);
	struct store_filter filter = { .service = service, .since = TIME_NONE };
	struct found all = { 0 }, mine = { 0 };
	enum status_code code;

	memset(plan, 0, sizeof(*plan));
	plan->service = xstrdup(service);
	plan->environment = xstrdup(environment ? environment : "production");
	plan->name = xasprintf("%s.%s", plan->service, plan->environment);
	plan->production =
		streq(plan->environment, "production") || streq(plan->environment, "prod");
	plan->repo = svc ? svc->repo : NULL;
	if (!(d = config_find_deploy(cfg, plan->name)) || !d->rollback)
		return error("no [deploy \"%s\"] with a rollback in the config (rollback = "
			     "exec:COMMAND, argocd:APP, github:OWNER/REPO or gitlab:PROJECT)",
			     plan->name);
	plan->timeout = d->timeout > 0			   ? d->timeout
			: cfg->deploy_defaults.timeout > 0 ? cfg->deploy_defaults.timeout
							   : ROLLBACK_DEFAULT_TIMEOUT;
	plan->allow_disable_autosync = d->allow_disable_autosync >= 0
					       ? d->allow_disable_autosync == 1
					       : cfg->deploy_defaults.allow_disable_autosync == 1;
	if ((code = executor(cfg, d->rollback, plan)) != SUCCESS)
		return code;
	all.environment = mine.environment = plan->environment;
	mine.source = plan->source ? plan->source->name : NULL;
	if ((code = store_each_deployment(store, &filter, collect, &all)) != SUCCESS)
		goto out;
	if (mine.source &&
	    (code = store_each_deployment(store, &filter, collect, &mine)) != SUCCESS)
		goto out;
	describe_autosync(cfg, &all, plan);
	if ((code = choose(mine.source ? &mine : &all, to_version, plan)) != SUCCESS)
		goto out;
	same_rollout(&all, plan);
	code = describe_call(plan);
out:
	found_release(&all);
	found_release(&mine);
	return code;
}

void
rollback_plan_release(struct rollback_plan *plan)
{
	free(plan->service);
	free(plan->environment);
	free(plan->name);
	deployment_release(&plan->current);
	deployment_release(&plan->target);
	rollback_argv_free(plan->current_ids);
	for (size_t i = 0; i < plan->n_removed; i++) {
		free(plan->removed[i].sha);
		free(plan->removed[i].summary);
	}
	free(plan->removed);
	free(plan->argument);
	rollback_argv_free(plan->argv);
	free(plan->call);
	free(plan->autosync);
	memset(plan, 0, sizeof(*plan));
}

/* ---- the plan for a person ---- */

static void
put(FILE *out, const char *label, const char *text)
{
	char *safe = text_sanitize(text ? text : "-", strlen(text ? text : "-"), false);

	fprintf(out, "%-11s %s\n", label, safe);
	free(safe);
}

static char *
deployment_line(const struct rollback_deployment *d)
{
	char at[TIMESTAMP_TEXT_SIZE] = "-";

	if (d->started_at != TIME_NONE)
		timestamp_format(d->started_at, at, sizeof(at));
	return xasprintf("%s (%.12s) deployed %s, %s, %s %s", d->version ? d->version : "?",
			 d->sha ? d->sha : "no sha", at, d->status ? d->status : "?", d->source,
			 d->source_id);
}

void
rollback_plan_print(const struct rollback_plan *plan, FILE *out)
{
	static const char *const how[] = { "exec", "argocd", "github", "gitlab" };
	char *line, timeout[32];

	put(out, "rollback", plan->name);
	line = deployment_line(&plan->current);
	put(out, "current", line);
	free(line);
	line = deployment_line(&plan->target);
	put(out, "target", line);
	free(line);
	put(out, "sha", plan->target.sha);
	put(out, "executor", how[plan->executor]);
	put(out, "call", plan->call);
	snprintf(timeout, sizeof(timeout), "%llds", (long long)plan->timeout);
	put(out, "timeout", timeout);
	put(out, "auto-sync", plan->autosync ? plan->autosync : "none known");
	line = xasprintf("%zu%s", plan->n_removed, plan->removed_more ? "+" : "");
	put(out, "removes", line);
	free(line);
	for (size_t i = 0; i < plan->n_removed; i++) {
		line = plan->removed[i].summary ? xasprintf("%.12s %s", plan->removed[i].sha,
							    plan->removed[i].summary)
						: xasprintf("%.12s", plan->removed[i].sha);
		put(out, "", line);
		free(line);
	}
}
