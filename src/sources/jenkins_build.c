/* jenkins_build.c - one Jenkins build into records: a pipeline with its stages, and
 * the deployments it made.
 *
 * The pipeline ("JOB#NUMBER"). Status from the core API: building is running (or
 * waiting when wfapi says PAUSED_PENDING_INPUT: an input step holds it for an
 * approval); SUCCESS success; FAILURE failed; UNSTABLE failed as well: the build
 * ran to its end but tests failed or a quality gate did not pass, and the store's
 * statuses have nothing between success and failure, so the difference is lost
 * there (the stage that set it is failed too, wfapi marks every executed stage
 * UNSTABLE); ABORTED canceled; NOT_BUILT skipped; no result while not building
 * (a build that has not started yet) queued. Times are epoch MILLISECONDS:
 * started is timestamp, finished timestamp + duration once it ended (duration
 * is 0 while it runs), both rounded down to the second.
 *
 * updated_at is the finish of an ended build and the start of a running one. A
 * running build read again has the same updated_at, and ties rewrite (its stages
 * move on), while its end always wins over it. Both come from the Jenkins clock,
 * so no skew between Jenkins and sitrep can order them wrongly.
 *
 * Stages come from wfapi (status FAILED there, FAILURE in the core API). A build
 * that is not a Pipeline run (freestyle, Maven) has no wfapi: the build itself is
 * its one stage, named after the job.
 *
 * Deployments, conservatively (a false deployment would skew DORA more than a
 * missing one): a job whose own name is a deploy job by [stages]
 * (source_stage_kind: "deploy-production", "release-to-prod" when configured) and
 * that names an environment, in an ENVIRONMENT/ENV/TARGET_ENV/DEPLOY_ENV parameter
 * or in its path, deploys once per build ("JOB#N", as the pipeline). Any other job
 * deploys once per environment named by a stage of kind deploy ("Deploy to
 * production": "JOB#N@production"; several stages for one environment, a canary
 * and its promotion, are one deployment, the last stage's). An environment is a
 * word of the name: production/prod/prd, staging/stg, preprod, uat, qa,
 * dev/development, sandbox; "stage" is not one (every Jenkins step is in a stage).
 * A deploy stage gated by an input step starts when its pause ends (wfapi's
 * pauseDurationMillis), the approval, not when the stage was entered. A
 * deployment is running, success, or failed (also when aborted: it may have
 * changed the environment half-way); a deploy stage that was not executed or waits
 * for its approval deployed nothing yet. Version: a VERSION/APP_VERSION/IMAGE_TAG/
 * TAG/RELEASE parameter, else a displayName other than "#N". kind rollback or
 * hotfix when the job's or the stage's name says so. The target of a rollback is
 * the job: Jenkins' way back is running it again with the previous version.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "jenkins-private.h"

/* Epoch milliseconds of 9999-12-31T23:59:59Z, the last instant the store writes. */
#define MAX_MS 253402300799999LL
/* A build lists the commits since the previous one; a first build may list a
 * whole history, and lead time only needs the recent ones. */
#define MAX_COMMITS 100

/* ---- fields ---- */

static enum status_code
field_error(const char *stream, const struct jk_build *b, const char *field, const char *what,
	    const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " %s: %s: %s %s", stream, b->where, field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " %s: %s: %s \"%s\" %s", stream, b->where, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
wrong_type(const char *stream, const struct jk_build *b, const char *field, const json_t *v,
	   const char *want)
{
	return error(TYPE " %s: %s: %s is %s, not %s", stream, b->where, field, json_type_name(v),
		     want);
}

/* A string member: NULL when absent or null. */
static enum status_code
get_string(const char *stream, const struct jk_build *b, const json_t *obj, const char *key,
	   const char *field, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v))
		return wrong_type(stream, b, field, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

/* An array member: NULL when absent or null. */
static enum status_code
get_array(const char *stream, const struct jk_build *b, const json_t *obj, const char *key,
	  const char *field, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_array(v))
		return wrong_type(stream, b, field, v, "an array");
	*out = v;
	return SUCCESS;
}

/* Epoch milliseconds or a duration in them: a non-negative integer. */
static enum status_code
get_ms(const char *stream, const struct jk_build *b, const json_t *obj, const char *key,
       bool required, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v || json_is_null(v))
		return required ? field_error(stream, b, key, "is missing", NULL) : SUCCESS;
	if (!json_is_integer(v))
		return wrong_type(stream, b, key, v, "an integer (milliseconds)");
	if (json_integer_value(v) < 0 || json_integer_value(v) > MAX_MS)
		return field_error(stream, b, key, "is out of range", NULL);
	*out = (int64_t)json_integer_value(v);
	return SUCCESS;
}

/* Formatted text in page memory. */
static const char *page_printf(struct source_page *page, const char *fmt, ...) PRINTF_LIKE(2, 3);

static const char *
page_printf(struct source_page *page, const char *fmt, ...)
{
	const char *out;
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	out = source_page_strndup(page, b.data ? b.data : "", b.len);
	buf_release(&b);
	return out;
}

static int64_t
ms_to_sec(int64_t ms)
{
	return ms / 1000; /* never negative: get_ms refuses that */
}

/* ---- actions ---- */

static bool
contains(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Who or what started the build. Jenkins names a cause by its class
 * (hudson.model.Cause$UserIdCause, hudson.triggers.TimerTrigger$TimerTriggerCause,
 * hudson.triggers.SCMTrigger$SCMTriggerCause, jenkins.branch.BranchIndexingCause,
 * push causes of the GitHub and GitLab plugins); Jenkins 1.x omits _class, so the
 * English shortDescription is the fallback. A user is the likeliest actor to
 * matter (a replay carries a user cause beside the replay's), so one wins. */
static enum status_code
read_cause(const char *stream, struct jk_build *b, const json_t *cause)
{
	const char *klass, *user_id, *user_name, *text;
	enum status_code code;

	if (!json_is_object(cause))
		return wrong_type(stream, b, "causes[]", cause, "an object");
	if ((code = get_string(stream, b, cause, "_class", "causes[]._class", &klass)) ||
	    (code = get_string(stream, b, cause, "userId", "causes[].userId", &user_id)) ||
	    (code = get_string(stream, b, cause, "userName", "causes[].userName", &user_name)) ||
	    (code = get_string(stream, b, cause, "shortDescription", "causes[].shortDescription",
			       &text)))
		return code;
	if ((user_id && *user_id) || (user_name && *user_name) || contains(klass, "UserIdCause") ||
	    contains(klass, "UserCause")) {
		b->event = "user";
		b->actor = user_id && *user_id ? user_id : user_name;
	} else if (b->event) {
		return SUCCESS; /* the first cause that is not a user's stays */
	} else if (contains(klass, "TimerTrigger") || starts_with(text, "Started by timer")) {
		b->event = b->actor = "timer";
	} else if (contains(klass, "SCMTrigger") || contains(klass, "Branch") ||
		   contains(klass, "PushCause") || contains(klass, "WebHookCause") ||
		   contains(text, "SCM change") || contains(text, "push")) {
		b->event = b->actor = "scm";
	} else if (contains(klass, "UpstreamCause") || starts_with(text, "Started by upstream")) {
		b->event = "upstream";
	} else if (contains(klass, "RemoteCause") || starts_with(text, "Started by remote")) {
		b->event = "remote";
	}
	return SUCCESS;
}

/* hudson.plugins.git.util.BuildData: the commit built and its branch. A Pipeline
 * that loads a shared library has one BuildData per repository checked out; the
 * first is the job's own checkout in the usual Jenkinsfile, so the first wins. */
static enum status_code
read_revision(const char *stream, struct jk_build *b, const json_t *action)
{
	const json_t *rev = json_object_get(action, "lastBuiltRevision"), *branches, *urls;
	const char *sha, *branch = NULL;
	enum status_code code;

	if (!rev || json_is_null(rev) || b->sha)
		return SUCCESS;
	if (!json_is_object(rev))
		return wrong_type(stream, b, "lastBuiltRevision", rev, "an object");
	if ((code = get_string(stream, b, rev, "SHA1", "lastBuiltRevision.SHA1", &sha)) ||
	    (code = get_array(stream, b, rev, "branch", "lastBuiltRevision.branch", &branches)) ||
	    (code = get_array(stream, b, action, "remoteUrls", "remoteUrls", &urls)))
		return code;
	if (json_array_size(branches) > 0 &&
	    (code = get_string(stream, b, json_array_get(branches, 0), "name",
			       "lastBuiltRevision.branch[0].name", &branch)))
		return code;
	if (json_array_size(branches) > 0 && !json_is_object(json_array_get(branches, 0)))
		return wrong_type(stream, b, "lastBuiltRevision.branch[0]",
				  json_array_get(branches, 0), "an object");
	if (json_array_size(urls) > 0 && !json_is_string(json_array_get(urls, 0)))
		return wrong_type(stream, b, "remoteUrls[0]", json_array_get(urls, 0), "a string");
	b->sha = sha && *sha ? sha : NULL;
	b->branch = branch;
	b->remote = json_string_value(json_array_get(urls, 0));
	return SUCCESS;
}

static bool
name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

static enum status_code
read_parameters(const char *stream, struct jk_build *b, const json_t *params)
{
	static const char *const versions[] = { "VERSION", "APP_VERSION", "IMAGE_TAG", "TAG",
						"RELEASE" };
	static const char *const environments[] = { "ENVIRONMENT", "ENV", "TARGET_ENV",
						    "DEPLOY_ENV" };
	const json_t *p;
	size_t i;

	json_array_foreach(params, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *value = json_string_value(json_object_get(p, "value"));

		if (!json_is_object(p) || !name)
			return field_error(stream, b, "parameters[]", "has no name", NULL);
		/* Booleans and numbers name neither. */
		if (!value || !*value)
			continue;
		if (!b->version && name_in(name, versions, ARRAY_SIZE(versions)))
			b->version = value;
		if (!b->environment && name_in(name, environments, ARRAY_SIZE(environments)))
			b->environment = value;
	}
	return SUCCESS;
}

/* Jenkins lists a build's actions by class; with tree= the ones that have none of
 * the fields asked for are empty objects ({"_class": "..."}), and an action may be
 * null. */
static enum status_code
read_actions(const char *stream, struct jk_build *b, const json_t *actions)
{
	const json_t *action, *causes, *params, *cause;
	enum status_code code;
	size_t i, j;

	json_array_foreach(actions, i, action)
	{
		if (json_is_null(action))
			continue;
		if (!json_is_object(action))
			return wrong_type(stream, b, "actions[]", action, "an object");
		if ((code = get_array(stream, b, action, "causes", "causes", &causes)) ||
		    (code = get_array(stream, b, action, "parameters", "parameters", &params)) ||
		    (code = read_revision(stream, b, action)) ||
		    (params && (code = read_parameters(stream, b, params))))
			return code;
		json_array_foreach(causes, j, cause)
		{
			if ((code = read_cause(stream, b, cause)) != SUCCESS)
				return code;
		}
	}
	return SUCCESS;
}

/* changeSets[].items[]: commitId and timestamp, read when deploying. */
static enum status_code
check_changesets(const char *stream, const struct jk_build *b)
{
	const json_t *cs, *items, *item;
	const char *sha;
	int64_t ms;
	enum status_code code;
	size_t i, j;

	json_array_foreach(b->changesets, i, cs)
	{
		if (!json_is_object(cs))
			return wrong_type(stream, b, "changeSets[]", cs, "an object");
		if ((code = get_array(stream, b, cs, "items", "changeSets[].items", &items)))
			return code;
		json_array_foreach(items, j, item)
		{
			if (!json_is_object(item))
				return wrong_type(stream, b, "changeSets[].items[]", item,
						  "an object");
			if ((code = get_string(stream, b, item, "commitId", "items[].commitId",
					       &sha)) ||
			    (code = get_ms(stream, b, item, "timestamp", false, &ms)))
				return code;
		}
	}
	return SUCCESS;
}

/* ---- the build ---- */

static bool
known_result(const char *r)
{
	static const char *const results[] = { "SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT",
					       "ABORTED" };

	for (size_t i = 0; i < ARRAY_SIZE(results); i++)
		if (streq(r, results[i]))
			return true;
	return false;
}

enum status_code
jk_read_build(const char *stream, size_t index, const json_t *obj, struct jk_build *b)
{
	const json_t *number = json_object_get(obj, "number"), *building, *actions;
	enum status_code code;

	memset(b, 0, sizeof(*b));
	snprintf(b->where, sizeof(b->where), "build %zu", index);
	if (!json_is_object(obj))
		return wrong_type(stream, b, "the build", obj, "an object");
	if (!number)
		return field_error(stream, b, "number", "is missing", NULL);
	if (!json_is_integer(number))
		return wrong_type(stream, b, "number", number, "an integer");
	if (json_integer_value(number) < 1)
		return field_error(stream, b, "number", "is not positive", NULL);
	b->number = (int64_t)json_integer_value(number);
	snprintf(b->where, sizeof(b->where), "build #%lld", (long long)b->number);
	building = json_object_get(obj, "building");
	if (building && !json_is_boolean(building) && !json_is_null(building))
		return wrong_type(stream, b, "building", building, "a boolean");
	b->building = json_is_true(building);
	if ((code = get_string(stream, b, obj, "_class", "_class", &b->klass)) ||
	    (code = get_string(stream, b, obj, "url", "url", &b->url)) ||
	    (code = get_string(stream, b, obj, "result", "result", &b->result)) ||
	    (code = get_string(stream, b, obj, "displayName", "displayName", &b->display_name)) ||
	    (code = get_ms(stream, b, obj, "timestamp", true, &b->timestamp_ms)) ||
	    (code = get_ms(stream, b, obj, "duration", false, &b->duration_ms)) ||
	    (code = get_array(stream, b, obj, "actions", "actions", &actions)) ||
	    (code = get_array(stream, b, obj, "changeSets", "changeSets", &b->changesets)) ||
	    (code = read_actions(stream, b, actions)) || (code = check_changesets(stream, b)))
		return code;
	if (b->result && !known_result(b->result))
		return field_error(stream, b, "result", "is not a Jenkins result", b->result);
	if (b->timestamp_ms > MAX_MS - b->duration_ms)
		return field_error(stream, b, "duration", "is out of range", NULL);
	return SUCCESS;
}

bool
jk_is_pipeline(const struct jk_build *b)
{
	return !b->klass || streq(b->klass, "org.jenkinsci.plugins.workflow.job.WorkflowRun");
}

bool
jk_is_final(const struct jk_build *b)
{
	return !b->building && b->result;
}

/* ---- names ---- */

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char *
percent_decode(struct source_page *page, const char *s, size_t len)
{
	char *out = source_page_alloc(page, len + 1);
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
		    hex_value(s[i + 2]) >= 0) {
			out[n++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return out;
}

const char *
jk_job_name(struct source_page *page, const char *job)
{
	const char *slash = strrchr(job, '/');
	const char *name = slash ? slash + 1 : job;

	return percent_decode(page, name, strlen(name));
}

/* The branch of a BuildData name: "refs/remotes/origin/develop" and
 * "origin/develop" are develop, "refs/heads/main" main, a tag stays a tag;
 * "detached" (a commit checked out by sha) names none. */
static const char *
branch_ref(struct source_page *page, const char *name)
{
	const char *p;

	if (!name || !*name || streq(name, "detached"))
		return NULL;
	if (starts_with(name, "refs/remotes/")) {
		p = strchr(name + strlen("refs/remotes/"), '/');
		return p && p[1] ? source_page_strdup(page, p + 1) : NULL;
	}
	if (starts_with(name, "refs/heads/"))
		return source_page_strdup(page, name + strlen("refs/heads/"));
	if (starts_with(name, "origin/"))
		return source_page_strdup(page, name + strlen("origin/"));
	return source_page_strdup(page, name);
}

/* "acme/checkout" of https://git.example.com/acme/checkout.git,
 * git@github.com:acme/checkout.git or ssh://git@host:22/acme/checkout/: the last
 * two parts of the path, without .git. NULL when there is no path. */
static const char *
repo_name(struct source_page *page, const char *url)
{
	const char *path, *end, *start, *scheme;
	int parts = 0;

	if (!url || !*url)
		return NULL;
	/* The path starts after the host (and port) of a URL, after the colon of
	 * scp's user@host:path. */
	if ((scheme = strstr(url, "://")))
		path = strchr(scheme + 3, '/');
	else
		path = strchr(url, ':') ? strchr(url, ':') + 1 : url;
	if (!path)
		return NULL;
	end = path + strlen(path);
	while (end > path && end[-1] == '/')
		end--;
	if (end - path > 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	for (start = end; start > path; start--)
		if (start[-1] == '/' && ++parts == 2)
			break;
	while (start < end && *start == '/')
		start++;
	return end > start ? source_page_strndup(page, start, (size_t)(end - start)) : NULL;
}

/* The service: the config's, else the repository's name, else the job path's
 * first part (the folder of a multibranch job, the job of a plain one). */
static const char *
service_of(struct source_page *page, const struct source_ctx *ctx, const char *repo,
	   const char *job)
{
	const char *s = source_default_service(ctx), *slash;

	if (s && *s)
		return s;
	if (repo) {
		slash = strrchr(repo, '/');
		return slash ? slash + 1 : repo;
	}
	slash = strchr(job, '/');
	return slash ? percent_decode(page, job, (size_t)(slash - job)) : jk_job_name(page, job);
}

/* The environment a name says, normalized: a word of it, words being runs of
 * letters and digits. NULL when none. */
static const char *
environment_of(const char *name)
{
	static const struct {
		const char *word, *env;
	} words[] = {
		{ "production", "production" },
		{ "prod", "production" },
		{ "prd", "production" },
		{ "staging", "staging" },
		{ "stg", "staging" },
		{ "preprod", "preprod" },
		{ "uat", "uat" },
		{ "qa", "qa" },
		{ "dev", "development" },
		{ "development", "development" },
		{ "sandbox", "sandbox" },
	};
	char word[32];
	const char *p = name;

	while (p && *p) {
		size_t n = 0;

		while (*p && !isalnum((unsigned char)*p))
			p++;
		while (*p && isalnum((unsigned char)*p)) {
			if (n + 1 < sizeof(word))
				word[n++] = (char)tolower((unsigned char)*p);
			p++;
		}
		word[n] = '\0';
		for (size_t i = 0; n && i < ARRAY_SIZE(words); i++)
			if (streq(word, words[i].word))
				return words[i].env;
	}
	return NULL;
}

/* ---- statuses ---- */

static const char *
build_status(const struct jk_build *b, const char *run_status)
{
	if (b->building)
		return streq(run_status, "PAUSED_PENDING_INPUT") ? "waiting" : "running";
	if (!b->result)
		return "queued";
	if (streq(b->result, "SUCCESS"))
		return "success";
	if (streq(b->result, "ABORTED"))
		return "canceled";
	if (streq(b->result, "NOT_BUILT"))
		return "skipped";
	return "failed"; /* FAILURE, UNSTABLE: see the top of the file */
}

/* wfapi's StatusExt, or NULL for a value it does not have. */
static const char *
stage_status(const char *s)
{
	static const struct {
		const char *wfapi, *status;
	} map[] = {
		{ "SUCCESS", "success" },      { "FAILED", "failed" },
		{ "UNSTABLE", "failed" },      { "ABORTED", "canceled" },
		{ "IN_PROGRESS", "running" },  { "PAUSED_PENDING_INPUT", "waiting" },
		{ "NOT_EXECUTED", "skipped" },
	};

	for (size_t i = 0; s && i < ARRAY_SIZE(map); i++)
		if (streq(s, map[i].wfapi))
			return map[i].status;
	return NULL;
}

static bool
ended(const char *status)
{
	return streq(status, "success") || streq(status, "failed") || streq(status, "canceled");
}

/* ---- stages ---- */

/* The build as its one stage, named after the job (freestyle, Maven). */
static void
build_stage(const struct source_ctx *ctx, struct source_page *page, struct store_pipeline *p,
	    const char *job)
{
	struct store_stage *st = source_page_stages(page, 1);

	st->name = jk_job_name(page, job);
	st->kind = source_stage_kind(ctx, st->name);
	st->status = p->status;
	st->started_at = p->started_at;
	st->finished_at = p->finished_at;
	st->url = p->url;
	p->stages = st;
	p->n_stages = 1;
}

static enum status_code
read_stage(const struct source_ctx *ctx, const char *stream, const struct jk_build *b, size_t i,
	   const json_t *obj, struct source_page *page, struct store_stage *st, int64_t *work)
{
	const char *name, *status, *id;
	int64_t start, duration, pause;
	char field[48];
	enum status_code code;

	snprintf(field, sizeof(field), "stages[%zu]", i);
	if (!json_is_object(obj))
		return wrong_type(stream, b, field, obj, "an object");
	snprintf(field, sizeof(field), "stages[%zu].name", i);
	if ((code = get_string(stream, b, obj, "name", field, &name)))
		return code;
	if (!name)
		return field_error(stream, b, field, "is missing", NULL);
	snprintf(field, sizeof(field), "stages[%zu].status", i);
	if ((code = get_string(stream, b, obj, "status", field, &status)))
		return code;
	if (!status)
		return field_error(stream, b, field, "is missing", NULL);
	if (!stage_status(status))
		return field_error(stream, b, field, "is not a wfapi status", status);
	if ((code = get_ms(stream, b, obj, "startTimeMillis", false, &start)) ||
	    (code = get_ms(stream, b, obj, "durationMillis", false, &duration)) ||
	    (code = get_ms(stream, b, obj, "pauseDurationMillis", false, &pause)) ||
	    (code = get_string(stream, b, obj, "id", "stages[].id", &id)))
		return code;
	st->name = source_page_strdup(page, name);
	st->kind = source_stage_kind(ctx, name);
	st->status = stage_status(status);
	/* A stage that never ran says 0. */
	if (start > 0)
		st->started_at = ms_to_sec(start);
	if (start > 0 && ended(st->status) && start <= MAX_MS - duration)
		st->finished_at = ms_to_sec(start + duration);
	/* An input step pauses the stage it is in: its work began when the pause
	 * ended (the approval), which is when a deployment starts. */
	*work = start > 0 ? ms_to_sec(start + (pause <= duration ? pause : duration)) : TIME_NONE;
	/* The flow node's page, beside its log. */
	if (id && *id && b->url)
		st->url = page_printf(page, "%s%sexecution/node/%s/", b->url,
				      b->url[strlen(b->url) - 1] == '/' ? "" : "/", id);
	return SUCCESS;
}

/* The stages wfapi describes. A Pipeline that declares no stage (a scripted one
 * without stage blocks, or one not started yet) is shown as the build. */
static enum status_code
run_stages(const struct source_ctx *ctx, const char *stream, const struct jk_build *b,
	   const json_t *run, const char *job, struct source_page *page, struct store_pipeline *p,
	   int64_t **work)
{
	const json_t *stages = json_object_get(run, "stages"), *obj;
	struct store_stage *st;
	enum status_code code;
	size_t i;

	if (stages && !json_is_null(stages) && !json_is_array(stages))
		return wrong_type(stream, b, "wfapi stages", stages, "an array");
	if (json_array_size(stages) == 0) {
		build_stage(ctx, page, p, job);
		return SUCCESS;
	}
	st = source_page_stages(page, json_array_size(stages));
	*work = source_page_alloc(page, json_array_size(stages) * sizeof(**work));
	json_array_foreach(stages, i, obj)
	{
		if ((code = read_stage(ctx, stream, b, i, obj, page, &st[i], &(*work)[i])) !=
		    SUCCESS)
			return code;
	}
	p->stages = st;
	p->n_stages = json_array_size(stages);
	return SUCCESS;
}

/* ---- deployments ---- */

static const char *
deploy_status(const char *status)
{
	if (streq(status, "success") || streq(status, "running"))
		return status;
	if (streq(status, "failed") || streq(status, "canceled"))
		return "failed";
	return NULL; /* queued, waiting for an approval, skipped: nothing deployed yet */
}

static enum dora_kind
deploy_kind(const char *name)
{
	char lower[256];
	size_t i;

	for (i = 0; name && name[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';
	if (strstr(lower, "rollback") || strstr(lower, "roll-back") || strstr(lower, "roll back"))
		return DORA_ROLLBACK;
	return strstr(lower, "hotfix") ? DORA_HOTFIX : DORA_NORMAL;
}

/* The commits the build's changesets list, newest last as Jenkins lists them. */
static void
add_commits(struct source_page *page, const struct jk_build *b, struct store_deployment *d)
{
	struct dora_commit *commits = source_page_alloc(page, MAX_COMMITS * sizeof(*commits));
	const json_t *cs, *item;
	size_t i, j, n = 0;

	json_array_foreach(b->changesets, i, cs)
	{
		json_array_foreach(json_object_get(cs, "items"), j, item)
		{
			const char *sha = json_string_value(json_object_get(item, "commitId"));
			const json_t *ts = json_object_get(item, "timestamp");

			if (!sha || !*sha || n >= MAX_COMMITS)
				continue;
			commits[n].sha = source_page_strdup(page, sha);
			commits[n].committed_at = json_is_integer(ts) && json_integer_value(ts) > 0
							  ? ms_to_sec(json_integer_value(ts))
							  : TIME_NONE;
			n++;
		}
	}
	d->commits = n ? commits : NULL;
	d->n_commits = n;
}

/* The deployment id of the page, or a new one. */
static struct store_deployment *
deployment_for(struct source_page *page, const char *source_id, bool *fresh)
{
	for (size_t i = 0; i < page->n_deployments; i++) {
		if (streq(page->deployments[i].source_id, source_id)) {
			*fresh = false;
			return &page->deployments[i];
		}
	}
	*fresh = true;
	return source_page_deployment(page);
}

/* One deployment of pipeline p to env, or one more stage of it. */
static void
add_deployment(struct source_page *page, const struct store_pipeline *p, const struct jk_build *b,
	       const char *job, const char *source_id, const char *env, const char *status,
	       int64_t started, int64_t finished, const char *kind_name)
{
	struct store_deployment *d;
	bool fresh;

	d = deployment_for(page, source_id, &fresh);
	if (fresh) {
		d->source = p->source;
		d->source_id = source_id;
		d->service = p->service;
		d->environment = env;
		d->version = b->version ? source_page_strdup(page, b->version)
			     : b->display_name && b->display_name[0] != '#'
				     ? source_page_strdup(page, b->display_name)
				     : NULL;
		d->sha = p->sha;
		d->pipeline = p->source_id;
		d->target = source_page_strdup(page, job);
		d->url = p->url;
		d->started_at = started;
		add_commits(page, b, d);
	}
	/* A later stage of the same environment (the promotion after a canary) says
	 * how the deployment went; it began with the first. */
	d->kind = deploy_kind(kind_name) != DORA_NORMAL ? deploy_kind(kind_name) : d->kind;
	d->status = status;
	d->finished_at = finished;
	d->updated_at = finished != TIME_NONE ? finished : started;
	if (d->started_at == TIME_NONE)
		d->started_at = started;
	if (d->updated_at == TIME_NONE || d->updated_at < d->started_at)
		d->updated_at = d->started_at;
}

static const char *
parameter_environment(const char *value)
{
	const char *env = environment_of(value);

	return env ? env : value;
}

/* work: when each stage's work began (NULL: at its start). */
static void
add_deployments(const struct source_ctx *ctx, struct source_page *page,
		const struct store_pipeline *p, const struct jk_build *b, const char *job,
		const int64_t *work)
{
	const char *env, *status;

	env = b->environment ? parameter_environment(b->environment) : environment_of(job);
	if (env && streq(source_stage_kind(ctx, p->name), "deploy")) {
		if ((status = deploy_status(p->status)))
			add_deployment(page, p, b, job, p->source_id, source_page_strdup(page, env),
				       status, p->started_at, p->finished_at, p->name);
		return;
	}
	for (size_t i = 0; i < p->n_stages; i++) {
		const struct store_stage *st = &p->stages[i];

		if (!streq(st->kind, "deploy") || !(env = environment_of(st->name)) ||
		    !(status = deploy_status(st->status)))
			continue;
		add_deployment(page, p, b, job, page_printf(page, "%s@%s", p->source_id, env), env,
			       status, work ? work[i] : st->started_at, st->finished_at, st->name);
	}
}

/* ---- the records ---- */

enum status_code
jk_add_build(const struct source_ctx *ctx, const char *stream, const char *job,
	     const struct jk_build *b, const json_t *run, struct source_page *page)
{
	const char *run_status = NULL, *repo;
	struct store_pipeline *p;
	int64_t *work = NULL;
	enum status_code code;

	if (run && !json_is_object(run))
		return wrong_type(stream, b, "the wfapi run", run, "an object");
	if (run && (code = get_string(stream, b, run, "status", "the wfapi status", &run_status)))
		return code;
	if (run_status && !stage_status(run_status))
		return field_error(stream, b, "the wfapi status", "is not a wfapi status",
				   run_status);
	p = source_page_pipeline(page);
	p->source = source_page_strdup(page, ctx->name);
	p->source_id = page_printf(page, "%s#%lld", job, (long long)b->number);
	repo = repo_name(page, b->remote);
	p->project = repo ? repo : source_page_strdup(page, job);
	p->service = service_of(page, ctx, repo, job);
	p->name = jk_job_name(page, job);
	p->number = b->number;
	/* Without a git branch, the job of a multibranch project is named after its
	 * branch. */
	p->ref = branch_ref(page, b->branch);
	if (!p->ref && strchr(job, '/'))
		p->ref = p->name;
	p->sha = source_page_strdup(page, b->sha);
	p->event = b->event;
	p->actor = source_page_strdup(page, b->actor);
	p->status = build_status(b, run_status);
	p->started_at = ms_to_sec(b->timestamp_ms);
	if (jk_is_final(b))
		p->finished_at = ms_to_sec(b->timestamp_ms + b->duration_ms);
	p->url = source_page_strdup(page, b->url);
	p->updated_at = p->finished_at != TIME_NONE ? p->finished_at : p->started_at;
	if (!run)
		build_stage(ctx, page, p, job);
	else if ((code = run_stages(ctx, stream, b, run, job, page, p, &work)) != SUCCESS)
		return code;
	add_deployments(ctx, page, p, b, job, work);
	return SUCCESS;
}
