/* jenkins.c - Jenkins as a source: the builds of each configured job as
 * pipelines, their stages from the Pipeline Stage View API (wfapi), and the
 * deployments of deploy jobs and stages (jenkins_build.c says how a build maps).
 *
 * One stream per job, "builds:PATH", PATH as configured: "checkout/main" is the
 * job main in the folder (or multibranch project) checkout, /job/checkout/job/main
 * (each part percent-encoded, so the branch job "feature%2Flogin" goes out as
 * feature%252Flogin, as Jenkins wants). Without any job the source reads the
 * top-level jobs and three levels of folders (stream "jobs") each round, and syncs
 * the jobs the previous round found. Basic auth with user and API token, which
 * needs no CSRF crumb for a GET; no token: anonymous read.
 *
 * A round of a stream is a chain of pages, fetched one after the other:
 *   1. the list: GET JOB/api/json?tree=builds[FIELDS]{0,50}, the 50 newest builds
 *      and only the fields used (tree= keeps a busy controller's answer small);
 *      more of it, allBuilds[FIELDS]{50,100} and on (builds holds at most 100),
 *      while a full page has not reached what the last round saw, up to 200 builds;
 *   2. GET JOB/N/wfapi/describe, the stages of each build of the list that is new
 *      or was running, one page each. A build that says it is not a Pipeline run
 *      (freestyle) has no wfapi and is written from the list; one whose describe
 *      is a 404 all the same becomes its own single stage.
 * A pipeline is written once, with its stages (the store replaces the stages of a
 * pipeline written again), so the builds waiting for their describe travel from
 * page to page in the cursor, which commits with each page:
 *   {"last": L, "open": [N...], "queue": [BUILD...], "running": [N...],
 *    "newest": N}
 * L is the newest build number listed; open the builds at or below it still to be
 * read again (running, or not described yet); queue the list's JSON of the builds
 * still to describe this round, in order; running the builds written from the
 * list that are still running, and newest the newest build number listed, while
 * the list has more pages. A build is read again only when it is above L or open:
 * an ended build is never fetched twice. A round stopped half-way leaves its
 * builds open, so the next round, which starts from a fresh list, reads them. A list whose newest build is below L is a job
 * made anew (numbers restart): everything is read again.
 *
 * Jenkins sends no ETag on its JSON API, so every round fetches each job's list
 * (one small request) and nothing else unless something changed.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "jenkins-private.h"

#define JOBS_STREAM "jobs"
#define BUILDS_PREFIX "builds:"
#define PAGE_SIZE 50
/* The builds the list pages of one round may read. */
#define MAX_LIST 200
/* The jobs discovery keeps. */
#define MAX_JOBS 200
/* Folders discovery goes into (the tree below asks for three levels). */
#define MAX_DEPTH 3
#define JOBS_TREE "jobs[name,jobs[name,jobs[name]]]"
#define BUILD_FIELDS                                                                  \
	"number,url,result,building,timestamp,duration,displayName,"                  \
	"actions[causes[userId,userName,shortDescription],lastBuiltRevision[SHA1,"    \
	"branch[name]],remoteUrls,parameters[name,value]],changeSets[items[commitId," \
	"timestamp]]"
#define DESCRIBE_SUFFIX "/wfapi/describe"

/* ---- requests ---- */

/* Authorization: Basic base64(user:token), when both are set. */
static void
add_auth(const struct source_ctx *ctx, struct source_request *req)
{
	const char *user = ctx->config ? config_source_get(ctx->config, "user") : NULL;

	if (user && *user && ctx->secret && *ctx->secret)
		source_request_basic(req, user, ctx->secret);
}

/* base/job/A/job/B for the path A/B (new). */
static char *
job_url(const char *base, const char *job)
{
	char *path, *url;
	struct buf b;

	buf_init(&b, 0);
	for (const char *p = job; *p;) {
		size_t n = strcspn(p, "/");
		char *part = xstrndup(p, n), *escaped = http_escape(part);

		buf_printf(&b, "/job/%s", escaped);
		free(escaped);
		free(part);
		p += n;
		if (*p == '/')
			p++;
	}
	path = buf_detach(&b);
	url = source_url(base, path);
	free(path);
	return url;
}

/* The list page of builds start to start + PAGE_SIZE, newest first (new). */
static char *
list_url(const char *base, const char *job, int64_t start)
{
	char *tree, *escaped, *jurl, *url;

	if (start == 0)
		tree = xasprintf("builds[" BUILD_FIELDS "]{0,%d}", PAGE_SIZE);
	else
		tree = xasprintf("allBuilds[" BUILD_FIELDS "]{%lld,%lld}", (long long)start,
				 (long long)(start + PAGE_SIZE));
	escaped = http_escape(tree);
	jurl = job_url(base, job);
	url = xasprintf("%s/api/json?tree=%s", jurl, escaped);
	free(jurl);
	free(escaped);
	free(tree);
	return url;
}

static char *
describe_url(const char *base, const char *job, int64_t number)
{
	char *jurl = job_url(base, job), *url;

	url = xasprintf("%s/%lld" DESCRIBE_SUFFIX, jurl, (long long)number);
	free(jurl);
	return url;
}

/* Where a list page starts: the range of allBuilds[...]{START,END}; 0 for the
 * first page (builds). */
static int64_t
list_start(const char *url)
{
	const char *tree = strstr(url, "?tree=");
	const char *brace = url ? strstr(url, "%7B") : NULL;

	if (!tree || strncmp(tree + 6, "allBuilds", 9) != 0 || !brace)
		return 0;
	return strtoll(brace + 3, NULL, 10);
}

/* The build number of a describe URL, or -1 when it is not one. */
static int64_t
describe_number(const char *url)
{
	size_t len = strlen(url), slen = strlen(DESCRIBE_SUFFIX);
	const char *end, *p;
	int64_t n = 0;

	if (len <= slen || strcmp(url + len - slen, DESCRIBE_SUFFIX) != 0)
		return -1;
	end = url + len - slen;
	for (p = end; p > url && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p == end || p == url || p[-1] != '/' || end - p > 15)
		return -1;
	for (; p < end; p++)
		n = n * 10 + (*p - '0');
	return n;
}

/* A request of stream for page->next (new). */
static struct source_request *
next_request(const struct source_ctx *ctx, const char *stream, char *url)
{
	struct source_request *r = xcalloc(1, sizeof(*r));

	r->stream = xstrdup(stream);
	r->method = xstrdup("GET");
	r->url = url;
	add_auth(ctx, r);
	return r;
}

/* ---- plan ---- */

/* A job path: parts separated by single slashes. Problems are worded for the
 * config, or NULL when it is fine. */
static const char *
job_problem(const char *job)
{
	if (!job || !*job)
		return "is empty";
	if (job[0] == '/' || job[strlen(job) - 1] == '/' || strstr(job, "//"))
		return "has an empty part (write folder/job)";
	if (strncmp(job, "job/", 4) == 0)
		return "starts with job/ (write the path without it: folder/job)";
	return NULL;
}

static void
add_stream(const struct source_ctx *ctx, const char *base, const char *job,
	   struct source_request **out, size_t *n)
{
	char *stream = xasprintf(BUILDS_PREFIX "%s", job);
	struct source_request *req;

	req = source_request_add(out, n, stream, "GET", list_url(base, job, 0));
	add_auth(ctx, req);
	free(stream);
}

/* The jobs discovery found last round (the "jobs" stream's cursor). */
static void
add_discovered(const struct source_ctx *ctx, const char *base, struct source_request **out,
	       size_t *n)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, JOBS_STREAM) : NULL;
	json_t *jobs = text ? json_loads(text, 0, NULL) : NULL, *v;
	size_t i;

	json_array_foreach(jobs, i, v)
	{
		if (json_is_string(v) && !job_problem(json_string_value(v)))
			add_stream(ctx, base, json_string_value(v), out, n);
	}
	json_decref(jobs);
}

static enum status_code
jenkins_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = ctx->config ? config_source_get(ctx->config, "url") : NULL;
	const char *problem;
	size_t i, jobs = 0;
	char *escaped, *url;

	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	for (i = 0; i < ctx->config->n_values; i++) {
		const struct config_value *v = &ctx->config->values[i];

		if (!streq(v->key, "job"))
			continue;
		if ((problem = job_problem(v->value)))
			return error(TYPE " %s: job (line %d) %s", ctx->name, v->line, problem);
		add_stream(ctx, base, v->value, out, n);
		jobs++;
	}
	if (jobs > 0)
		return SUCCESS;
	escaped = http_escape(JOBS_TREE);
	url = xasprintf("%s?tree=%s", "/api/json", escaped);
	add_auth(ctx, source_request_add(out, n, JOBS_STREAM, "GET", source_url(base, url)));
	free(url);
	free(escaped);
	add_discovered(ctx, base, out, n);
	return SUCCESS;
}

/* ---- responses ---- */

static const char *
status_hint(long status, bool list)
{
	if (status == 401)
		return "the user and API token were refused: user is the Jenkins user id, "
		       "token one of their API tokens";
	if (status == 403)
		return "the user may not read it: it needs Overall/Read and Job/Read";
	if (status == 404 && list)
		return "no such job at this url: a job in a folder is FOLDER/JOB, a branch "
		       "of a multibranch project PROJECT/BRANCH";
	if (status == 429)
		return "rate limited";
	if (status >= 500)
		return "a Jenkins server error";
	return NULL;
}

/* An answer other than 200, worded. Jenkins' error pages are HTML, not worth
 * quoting; any other body is. */
static enum status_code
http_error(const char *stream, const char *what, const struct http_response *resp, bool list)
{
	const char *hint = status_hint(resp->status, list);
	char *text;

	if (resp->body && resp->body_len && resp->body[0] != '<') {
		text = source_error_text(resp->body, resp->body_len);
		/* A text body's final newline arrives as a space. */
		for (size_t n = strlen(text); n > 0 && text[n - 1] == ' '; n--)
			text[n - 1] = '\0';
		error(TYPE " %s: %s: HTTP %ld: %s%s%s%s", stream, what, resp->status, text,
		      hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
		free(text);
		return ERROR_CUSTOM_MESSAGE;
	}
	return error(TYPE " %s: %s: HTTP %ld%s%s%s", stream, what, resp->status, hint ? " (" : "",
		     hint ? hint : "", hint ? ")" : "");
}

/* The failures every answer can have, then its JSON (new reference). */
static enum status_code
read_json(const char *stream, const char *what, const struct http_response *resp, bool list,
	  json_t **root)
{
	enum status_code code;

	*root = NULL;
	if (resp->status != 200 && resp->status != 0 && !resp->too_big)
		return http_error(stream, what, resp, list);
	if ((code = source_check_response(TYPE, stream, resp)) != SUCCESS)
		return code;
	return source_parse_json(TYPE, stream, resp, root);
}

/* ---- the cursor ---- */

struct cursor {
	json_t *root;	      /* new */
	int64_t last;	      /* -1: nothing listed yet */
	int64_t newest;	      /* listed by this round's pages so far, or -1 */
	json_t *open, *queue; /* borrowed from root; always arrays */
	json_t *running;
};

static json_t *
array_member(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	if (json_is_array(v))
		return v;
	json_object_set_new(root, key, json_array());
	return json_object_get(root, key);
}

/* Anything but one of ours starts afresh: a full read costs a round, a wrong
 * cursor would lose builds. */
static void
cursor_load(const struct source_ctx *ctx, const char *stream, struct cursor *c)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	const json_t *last;

	memset(c, 0, sizeof(*c));
	c->root = text ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_object(c->root)) {
		json_decref(c->root);
		c->root = json_object();
	}
	last = json_object_get(c->root, "last");
	c->last = json_is_integer(last) ? (int64_t)json_integer_value(last) : -1;
	last = json_object_get(c->root, "newest");
	c->newest = json_is_integer(last) ? (int64_t)json_integer_value(last) : -1;
	c->open = array_member(c->root, "open");
	c->queue = array_member(c->root, "queue");
	c->running = array_member(c->root, "running");
}

static void
cursor_save(struct cursor *c, struct source_page *page)
{
	json_object_set_new(c->root, "last", json_integer(c->last));
	if (c->newest >= 0)
		json_object_set_new(c->root, "newest", json_integer(c->newest));
	else
		json_object_del(c->root, "newest");
	if (json_array_size(c->queue) == 0)
		json_object_del(c->root, "queue");
	if (json_array_size(c->running) == 0)
		json_object_del(c->root, "running");
	page->cursor = json_dumps(c->root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(c->root);
	c->root = NULL;
}

static bool
has_number(const json_t *numbers, int64_t n)
{
	const json_t *v;
	size_t i;

	json_array_foreach(numbers, i, v)
	{
		if (json_is_integer(v) && json_integer_value(v) == n)
			return true;
	}
	return false;
}

static void
add_number(json_t *numbers, int64_t n)
{
	if (!has_number(numbers, n))
		json_array_append_new(numbers, json_integer(n));
}

static void
remove_number(json_t *numbers, int64_t n)
{
	for (size_t i = json_array_size(numbers); i-- > 0;)
		if (json_integer_value(json_array_get(numbers, i)) == n)
			json_array_remove(numbers, i);
}

static int64_t
build_number(const json_t *build)
{
	return (int64_t)json_integer_value(json_object_get(build, "number"));
}

static bool
queued(const json_t *queue, int64_t n)
{
	const json_t *build;
	size_t i;

	json_array_foreach(queue, i, build)
	{
		if (build_number(build) == n)
			return true;
	}
	return false;
}

static int64_t
lowest_open(const json_t *open)
{
	int64_t low = INT64_MAX;
	const json_t *v;
	size_t i;

	json_array_foreach(open, i, v)
	{
		if (json_is_integer(v) && json_integer_value(v) < low)
			low = (int64_t)json_integer_value(v);
	}
	return low;
}

/* ---- the list ---- */

/* What a list page saw. */
struct list_scan {
	struct jk_build *builds;
	size_t n;
	int64_t newest, oldest;
};

static enum status_code
scan_list(const char *stream, const json_t *array, struct list_scan *s)
{
	const json_t *obj;
	enum status_code code;
	size_t i;

	s->n = json_array_size(array);
	s->builds = xcalloc(s->n ? s->n : 1, sizeof(*s->builds));
	s->newest = -1;
	s->oldest = INT64_MAX;
	json_array_foreach(array, i, obj)
	{
		if ((code = jk_read_build(stream, i, obj, &s->builds[i])) != SUCCESS)
			return code;
		if (s->builds[i].number > s->newest)
			s->newest = s->builds[i].number;
		if (s->builds[i].number < s->oldest)
			s->oldest = s->builds[i].number;
	}
	return SUCCESS;
}

/* The builds array of a list page; a folder has none. */
static enum status_code
builds_of(const char *stream, const json_t *root, const char *key, const json_t **out)
{
	const char *klass = json_string_value(json_object_get(root, "_class"));

	*out = json_object_get(root, key);
	if (json_is_array(*out))
		return SUCCESS;
	if (!*out && klass && (strstr(klass, "Folder") || strstr(klass, "MultiBranch")))
		return error(TYPE " %s: this is a folder, not a job: name a job in it "
				  "(FOLDER/JOB, or PROJECT/BRANCH for a multibranch project)",
			     stream);
	if (!*out)
		return error(TYPE " %s: the response has no %s array (is this a job?)", stream,
			     key);
	return error(TYPE " %s: %s is %s, not an array", stream, key, json_type_name(*out));
}

/* Each build of the page that is new or open: queued for its describe, or, not
 * being a Pipeline run, written now. */
static enum status_code
take_builds(const struct source_ctx *ctx, const char *stream, const json_t *array,
	    const struct list_scan *s, struct cursor *c, struct source_page *page)
{
	const char *job = stream + strlen(BUILDS_PREFIX);
	enum status_code code;

	for (size_t i = 0; i < s->n; i++) {
		const struct jk_build *b = &s->builds[i];

		if ((b->number <= c->last && !has_number(c->open, b->number)) ||
		    queued(c->queue, b->number))
			continue;
		if (jk_is_pipeline(b)) {
			json_array_append(c->queue, json_array_get(array, i));
			continue;
		}
		if ((code = jk_add_build(ctx, stream, job, b, NULL, page)) != SUCCESS)
			return code;
		if (!jk_is_final(b))
			add_number(c->running, b->number);
	}
	return SUCCESS;
}

static enum status_code
parse_list(const struct source_ctx *ctx, const struct source_request *req, const json_t *root,
	   struct source_page *page)
{
	const char *stream = req->stream, *job = stream + strlen(BUILDS_PREFIX);
	const char *base = config_source_get(ctx->config, "url");
	int64_t start = list_start(req->url);
	struct list_scan s = { 0 };
	const json_t *array;
	struct cursor c;
	enum status_code code;
	bool more;

	if ((code = builds_of(stream, root, start ? "allBuilds" : "builds", &array)) != SUCCESS)
		return code;
	if ((code = scan_list(stream, array, &s)) != SUCCESS) {
		free(s.builds);
		return code;
	}
	cursor_load(ctx, stream, &c);
	if (start == 0) {
		c.newest = -1;
		json_array_clear(c.queue);
		json_array_clear(c.running);
		/* A job made anew numbers its builds from 1 again. */
		if (s.n > 0 && s.newest < c.last) {
			c.last = -1;
			json_array_clear(c.open);
		}
	}
	if ((code = take_builds(ctx, stream, array, &s, &c, page)) != SUCCESS) {
		json_decref(c.root);
		free(s.builds);
		return code;
	}
	if (s.newest > c.newest)
		c.newest = s.newest;
	/* A full page that has not come down to the builds known: the builds between
	 * were made since the last round, more than a page of them. */
	more = c.last >= 0 && s.n >= PAGE_SIZE && start + PAGE_SIZE < MAX_LIST &&
	       (s.oldest > c.last + 1 || lowest_open(c.open) < s.oldest);
	if (more) {
		/* Stopped here, the next round reads these again. */
		for (size_t i = 0; i < json_array_size(c.queue); i++)
			add_number(c.open, build_number(json_array_get(c.queue, i)));
		for (size_t i = 0; i < json_array_size(c.running); i++)
			add_number(c.open, json_integer_value(json_array_get(c.running, i)));
		page->next = next_request(ctx, stream, list_url(base, job, start + PAGE_SIZE));
	} else {
		if (c.newest > c.last)
			c.last = c.newest;
		c.newest = -1;
		json_array_clear(c.open);
		for (size_t i = 0; i < json_array_size(c.queue); i++)
			add_number(c.open, build_number(json_array_get(c.queue, i)));
		json_array_extend(c.open, c.running);
		json_array_clear(c.running);
		if (json_array_size(c.queue) > 0)
			page->next = next_request(
				ctx, stream,
				describe_url(base, job, build_number(json_array_get(c.queue, 0))));
	}
	cursor_save(&c, page);
	free(s.builds);
	return SUCCESS;
}

/* ---- the stages of a build ---- */

static enum status_code
parse_describe(const struct source_ctx *ctx, const struct source_request *req,
	       const struct http_response *resp, struct source_page *page)
{
	const char *stream = req->stream, *job = stream + strlen(BUILDS_PREFIX);
	const char *base = config_source_get(ctx->config, "url");
	int64_t number = describe_number(req->url);
	json_t *run = NULL;
	struct jk_build b;
	struct cursor c;
	char what[64];
	enum status_code code;

	snprintf(what, sizeof(what), "build #%lld: wfapi/describe", (long long)number);
	cursor_load(ctx, stream, &c);
	if (build_number(json_array_get(c.queue, 0)) != number) {
		json_decref(c.root);
		return error(TYPE " %s: %s: the build is not the next one to describe (the "
				  "cursor changed meanwhile): the next round lists the job again",
			     stream, what);
	}
	/* A build that is not a Pipeline run has no wfapi: it is its own stage. */
	if (resp->status != 404 && (code = read_json(stream, what, resp, false, &run)) != SUCCESS)
		goto out;
	if ((code = jk_read_build(stream, 0, json_array_get(c.queue, 0), &b)) != SUCCESS ||
	    (code = jk_add_build(ctx, stream, job, &b, run, page)) != SUCCESS)
		goto out;
	if (jk_is_final(&b))
		remove_number(c.open, number);
	json_array_remove(c.queue, 0);
	if (json_array_size(c.queue) > 0)
		page->next = next_request(
			ctx, stream,
			describe_url(base, job, build_number(json_array_get(c.queue, 0))));
	cursor_save(&c, page);
out:
	json_decref(c.root);
	json_decref(run);
	return code;
}

/* ---- discovery ---- */

static enum status_code
collect_jobs(const json_t *jobs, const char *prefix, int depth, json_t *out)
{
	const json_t *job, *sub;
	enum status_code code;
	size_t i;

	json_array_foreach(jobs, i, job)
	{
		const char *name = json_string_value(json_object_get(job, "name"));
		const char *klass = json_string_value(json_object_get(job, "_class"));
		char *path;

		if (!json_is_object(job) || !name || !*name || strchr(name, '/'))
			return error(TYPE " " JOBS_STREAM ": job %zu%s%s has no name", i,
				     prefix ? " in " : "", prefix ? prefix : "");
		path = prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
		sub = json_object_get(job, "jobs");
		code = SUCCESS;
		if (json_is_array(sub)) {
			if (depth < MAX_DEPTH)
				code = collect_jobs(sub, path, depth + 1, out);
		} else if (!(klass && (strstr(klass, "Folder") || strstr(klass, "MultiBranch"))) &&
			   json_array_size(out) < MAX_JOBS) {
			/* A folder deeper than the tree asked shows no jobs. */
			json_array_append_new(out, json_string(path));
		}
		free(path);
		if (code != SUCCESS)
			return code;
	}
	return SUCCESS;
}

static enum status_code
parse_jobs(const struct http_response *resp, struct source_page *page)
{
	json_t *root, *found;
	enum status_code code;

	if ((code = read_json(JOBS_STREAM, "the job list", resp, false, &root)) != SUCCESS)
		return code;
	if (!json_is_array(json_object_get(root, "jobs"))) {
		json_decref(root);
		return error(TYPE " " JOBS_STREAM ": the response has no jobs array");
	}
	found = json_array();
	code = collect_jobs(json_object_get(root, "jobs"), NULL, 1, found);
	if (code == SUCCESS)
		page->cursor = json_dumps(found, JSON_COMPACT);
	json_decref(found);
	json_decref(root);
	return code;
}

/* ---- ops ---- */

static enum status_code
jenkins_parse(const struct source_ctx *ctx, const struct source_request *req,
	      const struct http_response *resp, struct source_page *page)
{
	json_t *root;
	enum status_code code;

	if (streq(req->stream, JOBS_STREAM))
		return parse_jobs(resp, page);
	if (strncmp(req->stream, BUILDS_PREFIX, strlen(BUILDS_PREFIX)) != 0 ||
	    !req->stream[strlen(BUILDS_PREFIX)])
		return error(TYPE " %s: not a stream of this source", req->stream);
	if (describe_number(req->url) > 0)
		return parse_describe(ctx, req, resp, page);
	if ((code = read_json(req->stream, "the build list", resp, true, &root)) != SUCCESS)
		return code;
	if (!json_is_object(root))
		code = error(TYPE " %s: the response is %s, not a JSON object", req->stream,
			     json_type_name(root));
	else
		code = parse_list(ctx, req, root, page);
	json_decref(root);
	return code;
}

const struct source_ops source_jenkins_ops = {
	.type = TYPE,
	.plan = jenkins_plan,
	.parse = jenkins_parse,
};
