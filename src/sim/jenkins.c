/* jenkins.c - the Jenkins dialect: the world's CI runs as the builds of multibranch
 * Pipeline projects, one project per service (/job/checkout) with one branch job
 * per branch (/job/checkout/job/main, /job/checkout/job/feature%2Freceipt-pdf: a
 * branch's '/' is %2F in the job's name, so %252F in a URL), served as Jenkins 2
 * answers its JSON API and the Pipeline Stage View plugin its wfapi:
 *   GET /api/json                          the jobs (tree=jobs[name,jobs[...]])
 *   GET /job/P/api/json                    a project: its branch jobs, no builds
 *   GET /job/P/job/B/api/json              a job: builds{M,N} or allBuilds{M,N}
 *   GET /job/P/job/B/N/api/json            a build
 *   GET /job/P/job/B/N/wfapi/describe      a build's stages
 *
 * A branch job exists from the branch's creation; a run is build N of its branch
 * job (counted in queue order) once it starts, before that it waits in the queue,
 * which is not served. A build's timestamp is its start and duration its length
 * in milliseconds (0 while it runs; the instants carry a few milliseconds from the
 * seed), its result null while building, then SUCCESS, FAILURE or ABORTED; a run
 * that publishes a version shows it as its displayName, as a Jenkinsfile's
 * currentBuild.displayName = version does. The cause is the push to the branch
 * (BranchEventCause; branch indexing for a feature branch's first build), a timer,
 * or the user who started it; BuildData names the commit built on
 * refs/remotes/origin/BRANCH; the changeset lists the commits since the job's
 * previous build (none for its first), oldest first.
 *
 * wfapi lists the stages that have begun, as a declarative Pipeline's are named
 * (the world's job names: "unit-tests", "deploy production"): IN_PROGRESS,
 * SUCCESS, FAILED, ABORTED, NOT_EXECUTED (skipped after a failure or an abort) or
 * PAUSED_PENDING_INPUT (an input step at a manual gate). A gated stage begins when
 * it could start and is paused until its approval: pauseDurationMillis is the wait,
 * and its work starts when the pause ends.
 *
 * Jenkins' error pages are Jetty's HTML; it sends no ETag on the JSON API. Basic
 * auth: with --require-token any user whose API token is that token is let in; no
 * credentials is a 403 (anonymous may not read), a wrong token a 401. The
 * stuck_cursor fault serves the first range of builds whatever range is asked.
 * Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <ctype.h>
#include <strings.h>

#define WORKFLOW_RUN "org.jenkinsci.plugins.workflow.job.WorkflowRun"
#define WORKFLOW_JOB "org.jenkinsci.plugins.workflow.job.WorkflowJob"
#define MULTIBRANCH "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
/* The builds property holds the newest builds only (Job.getNewBuilds). */
#define NEW_BUILDS 100
/* A changeset lists at most this many commits here. */
#define MAX_CHANGES 100

/* ---- auth and errors ---- */

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes base64 text into out (at most size - 1 bytes, NUL-terminated); false on
 * bad text. */
static bool
b64_decode(const char *text, char *out, size_t size)
{
	unsigned int acc = 0, bits = 0;
	size_t n = 0;

	for (const char *p = text; *p && *p != '='; p++) {
		int v = b64_value(*p);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return false;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return true;
}

bool
jenkins_token_ok(const char *authorization, const char *token)
{
	char pair[512];
	const char *colon;
	bool ok;

	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0 ||
	    !b64_decode(authorization + 6, pair, sizeof(pair)))
		return false;
	colon = strchr(pair, ':');
	ok = colon && colon > pair && streq(colon + 1, token);
	memset(pair, 0, sizeof(pair));
	return ok;
}

static const char *
reason(unsigned int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return status >= 500 ? "Server Error" : "Error";
	}
}

/* Jetty's error page, as Jenkins sends it. */
static void
error_page(struct sim_response *resp, unsigned int status, const char *message)
{
	char *page = xasprintf("<html>\n<head>\n<meta http-equiv=\"Content-Type\" "
			       "content=\"text/html;charset=utf-8\"/>\n<title>Error %u %s</title>\n"
			       "</head>\n<body><h2>HTTP ERROR %u %s</h2>\n<table>\n"
			       "<tr><th>STATUS:</th><td>%u</td></tr>\n"
			       "<tr><th>MESSAGE:</th><td>%s</td></tr>\n"
			       "<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n\n"
			       "</body>\n</html>\n",
			       status, reason(status), status, reason(status), status, message);

	response_text(resp, status, page);
	resp->content_type = "text/html;charset=utf-8";
	free(page);
}

void
jenkins_fault_body(struct sim_response *resp, unsigned int status)
{
	if (status == 401) {
		error_page(resp, 401, "Invalid password/token for user");
		response_header(resp, "WWW-Authenticate", "Basic realm=\"Jenkins\"");
	} else if (status == 403) {
		error_page(resp, 403, "Authentication required");
		response_header(resp, "X-You-Are-Authenticated-As", "anonymous");
	} else {
		error_page(resp, status, reason(status));
	}
}

/* ---- jobs and builds ---- */

/* "feature/x" as a multibranch job names it: "feature%2Fx" (new). */
static char *
job_name(const char *branch)
{
	struct buf b;

	buf_init(&b, 0);
	for (const char *p = branch; *p; p++) {
		if (*p == '/' || *p == '%')
			buf_printf(&b, "%%%02X", (unsigned char)*p);
		else
			buf_addch(&b, *p);
	}
	return buf_detach(&b);
}

static long
find_branch(const struct world *w, size_t service, const char *name, int64_t now)
{
	for (size_t i = 0; i < w->n_branches; i++) {
		const struct branch *b = &w->branches[i];
		char *jn;
		bool match;

		if (b->service != service || b->created > now)
			continue;
		jn = job_name(b->name);
		match = streq(jn, name);
		free(jn);
		if (match)
			return (long)i;
	}
	return -1;
}

/* Build number of pipeline i in its branch job: its place in queue order. */
static unsigned long
build_number(const struct world *w, size_t i)
{
	const struct pipeline *p = &w->pipelines[i];
	unsigned long n = 1;

	for (size_t j = 0; j < w->n_pipelines; j++) {
		const struct pipeline *q = &w->pipelines[j];

		if (j != i && q->service == p->service && q->branch == p->branch &&
		    (q->queued < p->queued || (q->queued == p->queued && j < i)))
			n++;
	}
	return n;
}

/* The pipeline that is build number of branch b, started by now, or -1. */
static long
find_build(const struct world *w, size_t b, unsigned long number, int64_t now)
{
	for (size_t i = 0; i < w->n_pipelines; i++) {
		const struct pipeline *p = &w->pipelines[i];

		if (p->branch == b && p->start <= now && build_number(w, i) == number)
			return (long)i;
	}
	return -1;
}

/* The builds of branch b started by now, newest first (new array of indices). */
static size_t *
branch_builds(const struct world *w, size_t b, int64_t now, size_t *n)
{
	size_t *out = xcalloc(w->n_pipelines + 1, sizeof(*out)), k = 0;

	for (size_t i = 0; i < w->n_pipelines; i++)
		if (w->pipelines[i].branch == b && w->pipelines[i].start <= now)
			out[k++] = i;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && build_number(w, out[j - 1]) < build_number(w, out[j]);
		     j--) {
			size_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	*n = k;
	return out;
}

/* A build's id: its number as text. */
static json_t *
number_text(unsigned long n)
{
	char text[24];

	snprintf(text, sizeof(text), "%lu", n);
	return json_string(text);
}

/* Milliseconds of instant t of what, with a sub-second part from the seed. */
static int64_t
ms_of(const struct world *w, int64_t t, const char *what, uint64_t n)
{
	return t * 1000 + (int64_t)(sim_hash(w->seed, what, n) % 1000);
}

struct site {
	const struct sim *sim;
	int64_t now; /* seconds */
	int64_t now_ms;
};

/* http://127.0.0.1:PORT/jenkins/job/P/job/B/ (new), the root URL Jenkins knows. */
static char *
job_url(const struct site *s, const struct pipeline *p)
{
	const struct world *w = &s->sim->world;
	char *jn = job_name(w->branches[p->branch].name), *url;
	struct buf b;

	buf_init(&b, 0);
	wire_urlencode(&b, jn);
	url = xasprintf("http://127.0.0.1:%u/jenkins/job/%s/job/%s/", (unsigned int)s->sim->port,
			w->services[p->service].name, b.data);
	buf_release(&b);
	free(jn);
	return url;
}

static json_t *
cause_json(const struct world *w, size_t i)
{
	const struct pipeline *p = &w->pipelines[i];
	const char *branch = w->branches[p->branch].name;
	json_t *c = json_object();
	char *text;

	if (streq(p->event, "schedule")) {
		json_object_set_new(c, "_class",
				    json_string("hudson.triggers.TimerTrigger$TimerTriggerCause"));
		json_object_set_new(c, "shortDescription", json_string("Started by timer"));
	} else if (!streq(p->event, "push") && !streq(p->event, "pull_request")) {
		json_object_set_new(c, "_class", json_string("hudson.model.Cause$UserIdCause"));
		text = xasprintf("Started by user %s", p->actor);
		json_object_set_new(c, "shortDescription", json_string(text));
		free(text);
		json_object_set_new(c, "userId", json_string(p->actor));
		json_object_set_new(c, "userName", json_string(p->actor));
	} else if (build_number(w, i) == 1 &&
		   !streq(branch, w->services[p->service].default_branch)) {
		json_object_set_new(c, "_class", json_string("jenkins.branch.BranchIndexingCause"));
		json_object_set_new(c, "shortDescription", json_string("Branch indexing"));
	} else {
		json_object_set_new(c, "_class", json_string("jenkins.branch.BranchEventCause"));
		text = xasprintf("Push event to branch %s", branch);
		json_object_set_new(c, "shortDescription", json_string(text));
		free(text);
	}
	return c;
}

static json_t *
actions_json(const struct world *w, size_t i)
{
	const struct pipeline *p = &w->pipelines[i];
	const char *sha = w->commits[p->commit].sha;
	json_t *actions = json_array(), *o, *rev, *branch;
	char *name, *remote;

	o = json_object();
	json_object_set_new(o, "_class", json_string("hudson.model.CauseAction"));
	json_object_set_new(o, "causes", json_pack("[o]", cause_json(w, i)));
	json_array_append_new(actions, o);
	/* Actions with none of the fields asked for are empty objects under tree=. */
	json_array_append_new(
		actions, json_pack("{s:s}", "_class", "jenkins.metrics.impl.TimeInQueueAction"));
	rev = json_object();
	json_object_set_new(rev, "SHA1", json_string(sha));
	branch = json_object();
	json_object_set_new(branch, "SHA1", json_string(sha));
	name = xasprintf("refs/remotes/origin/%s", w->branches[p->branch].name);
	json_object_set_new(branch, "name", json_string(name));
	free(name);
	json_object_set_new(rev, "branch", json_pack("[o]", branch));
	o = json_object();
	json_object_set_new(o, "_class", json_string("hudson.plugins.git.util.BuildData"));
	json_object_set_new(o, "lastBuiltRevision", rev);
	remote = xasprintf("https://git.example.com/%s.git", w->services[p->service].repo);
	json_object_set_new(o, "remoteUrls", json_pack("[s]", remote));
	free(remote);
	json_array_append_new(actions, o);
	json_array_append_new(
		actions,
		json_pack("{s:s}", "_class", "org.jenkinsci.plugins.workflow.cps.EnvActionImpl"));
	return actions;
}

/* The commits since the job's previous build, oldest first. */
static json_t *
changesets_json(const struct world *w, size_t i)
{
	const struct pipeline *p = &w->pipelines[i];
	unsigned long number = build_number(w, i);
	json_t *items = json_array(), *set;
	long prev = -1;
	size_t *order, n = 0;

	for (size_t j = 0; j < w->n_pipelines; j++)
		if (w->pipelines[j].branch == p->branch && build_number(w, j) + 1 == number)
			prev = (long)j;
	order = xcalloc(w->n_commits + 1, sizeof(*order));
	for (size_t c = 0; prev >= 0 && c < w->n_commits; c++)
		if (w->commits[c].service == p->service && commit_reaches(w, p->commit, c) &&
		    !commit_reaches(w, w->pipelines[prev].commit, c))
			order[n++] = c;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a;
		     b > 0 && w->commits[order[b - 1]].time > w->commits[order[b]].time; b--) {
			size_t t = order[b];

			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (size_t k = 0; k < n && k < MAX_CHANGES; k++) {
		const struct commit *c = &w->commits[order[k]];
		const char *repo = w->services[c->service].repo;
		char *email =
			xasprintf("%s@%.*s.example", c->author, (int)strcspn(repo, "/"), repo);
		json_t *item = json_object();

		json_object_set_new(item, "_class", json_string("hudson.plugins.git.GitChangeSet"));
		json_object_set_new(item, "commitId", json_string(c->sha));
		json_object_set_new(item, "timestamp", json_integer(c->time * 1000));
		json_object_set_new(item, "msg", json_string(c->message ? c->message : ""));
		json_object_set_new(item, "authorEmail", json_string(email));
		json_array_append_new(items, item);
		free(email);
	}
	free(order);
	set = json_object();
	json_object_set_new(set, "_class", json_string("hudson.plugins.git.GitChangeSetList"));
	json_object_set_new(set, "items", items);
	json_object_set_new(set, "kind", json_string("git"));
	return json_pack("[o]", set);
}

static const char *
result_name(enum run_status st)
{
	switch (st) {
	case RUN_SUCCESS:
		return "SUCCESS";
	case RUN_FAILED:
		return "FAILURE";
	case RUN_CANCELED:
		return "ABORTED";
	case RUN_SKIPPED:
		return "NOT_BUILT";
	default:
		return NULL; /* still building */
	}
}

/* Build i as the job API shows it at now. */
static json_t *
build_json(const struct site *s, size_t i)
{
	const struct world *w = &s->sim->world;
	const struct pipeline *p = &w->pipelines[i];
	enum run_status st = pipeline_status(p, s->now_ms);
	const char *result = result_name(st);
	unsigned long number = build_number(w, i);
	int64_t start = ms_of(w, p->start, p->id, 1);
	char *jurl = job_url(s, p), *url, *display;
	json_t *b = json_object();

	url = xasprintf("%s%lu/", jurl, number);
	display = p->version ? xstrdup(p->version) : xasprintf("#%lu", number);
	json_object_set_new(b, "_class", json_string(WORKFLOW_RUN));
	json_object_set_new(b, "actions", actions_json(w, i));
	json_object_set_new(b, "building", json_boolean(!result));
	json_object_set_new(b, "displayName", json_string(display));
	json_object_set_new(b, "duration",
			    json_integer(result ? ms_of(w, p->finish, p->id, 2) - start : 0));
	json_object_set_new(b, "estimatedDuration", json_integer(1800000));
	json_object_set_new(b, "id", number_text(number));
	json_object_set_new(b, "number", json_integer((json_int_t)number));
	json_object_set_new(b, "queueId", json_integer((json_int_t)(p->run_id % 100000)));
	json_object_set_new(b, "result", result ? json_string(result) : json_null());
	json_object_set_new(b, "timestamp", json_integer(start));
	json_object_set_new(b, "url", json_string(url));
	json_object_set_new(b, "changeSets", changesets_json(w, i));
	free(display);
	free(url);
	free(jurl);
	return b;
}

/* ---- wfapi ---- */

static const char *
wfapi_status(enum run_status st)
{
	switch (st) {
	case RUN_WAITING:
		return "PAUSED_PENDING_INPUT";
	case RUN_RUNNING:
		return "IN_PROGRESS";
	case RUN_SUCCESS:
		return "SUCCESS";
	case RUN_FAILED:
		return "FAILED";
	case RUN_CANCELED:
		return "ABORTED";
	default:
		return "NOT_EXECUTED";
	}
}

/* A stage of build i at now; NULL while it has not begun. */
static json_t *
stage_json(const struct site *s, size_t i, size_t k, const char *describe)
{
	const struct world *w = &s->sim->world;
	const struct pipeline *p = &w->pipelines[i];
	const struct stage *st = &p->stages[k];
	enum run_status status = stage_status(st, s->now_ms);
	int64_t begin, end, pause = 0;
	json_t *o, *links;
	char id[16], *href;

	if (status == RUN_PENDING)
		return NULL;
	snprintf(id, sizeof(id), "%zu", 6 + 4 * k);
	o = json_object();
	href = xasprintf("%.*sexecution/node/%s/wfapi/describe",
			 (int)(strlen(describe) - strlen("wfapi/describe")), describe, id);
	links = json_pack("{s:{s:s}}", "self", "href", href);
	free(href);
	json_object_set_new(o, "_links", links);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(stage_kind_name(st->kind)));
	json_object_set_new(o, "execNode", json_string(""));
	json_object_set_new(o, "status", json_string(wfapi_status(status)));
	/* Skipped after a failure or an abort, or on purpose (a when condition). */
	if (status == RUN_SKIPPED || (status == RUN_CANCELED && st->start == TIME_NONE)) {
		json_object_set_new(o, "status", json_string("NOT_EXECUTED"));
		json_object_set_new(o, "startTimeMillis", json_integer(0));
		json_object_set_new(o, "durationMillis", json_integer(0));
		json_object_set_new(o, "pauseDurationMillis", json_integer(0));
		return o;
	}
	/* A gate: the stage began when it could start, paused until approved. */
	if (status == RUN_WAITING || st->approved != TIME_NONE) {
		begin = ms_of(w, st->ready, p->id, 10 + k);
		end = status == RUN_WAITING ? s->now_ms : ms_of(w, st->start, p->id, 30 + k);
		pause = end - begin;
		if (status != RUN_WAITING)
			end = status == RUN_RUNNING ? s->now_ms
						    : ms_of(w, st->finish, p->id, 50 + k);
	} else {
		begin = ms_of(w, st->start, p->id, 30 + k);
		end = status == RUN_RUNNING ? s->now_ms : ms_of(w, st->finish, p->id, 50 + k);
	}
	json_object_set_new(o, "startTimeMillis", json_integer(begin));
	json_object_set_new(o, "durationMillis", json_integer(end > begin ? end - begin : 0));
	json_object_set_new(o, "pauseDurationMillis", json_integer(pause));
	return o;
}

static json_t *
describe_json(const struct site *s, size_t i, const char *path)
{
	const struct world *w = &s->sim->world;
	const struct pipeline *p = &w->pipelines[i];
	enum run_status st = pipeline_status(p, s->now_ms);
	int64_t start = ms_of(w, p->start, p->id, 1), end, pause = 0;
	json_t *run = json_object(), *stages = json_array(), *links;
	char *display, *pending;

	for (size_t k = 0; k < p->n_stages; k++) {
		json_t *stage = stage_json(s, i, k, path);

		if (stage) {
			pause += json_integer_value(json_object_get(stage, "pauseDurationMillis"));
			json_array_append_new(stages, stage);
		}
	}
	end = result_name(st) ? ms_of(w, p->finish, p->id, 2) : s->now_ms;
	links = json_pack("{s:{s:s}}", "self", "href", path);
	if (st == RUN_WAITING) {
		pending = xasprintf("%.*spendingInputActions",
				    (int)(strlen(path) - strlen("describe")), path);
		json_object_set_new(links, "pendingInputActions",
				    json_pack("{s:s}", "href", pending));
		free(pending);
	}
	display = p->version ? xstrdup(p->version) : xasprintf("#%lu", build_number(w, i));
	json_object_set_new(run, "_links", links);
	json_object_set_new(run, "id", number_text(build_number(w, i)));
	json_object_set_new(run, "name", json_string(display));
	json_object_set_new(run, "status", json_string(wfapi_status(st)));
	json_object_set_new(run, "startTimeMillis", json_integer(start));
	json_object_set_new(run, "endTimeMillis", json_integer(end));
	json_object_set_new(run, "durationMillis", json_integer(end - start));
	json_object_set_new(
		run, "queueDurationMillis",
		json_integer(json_array_size(stages)
				     ? json_integer_value(json_object_get(json_array_get(stages, 0),
									  "startTimeMillis")) -
					       start
				     : 0));
	json_object_set_new(run, "pauseDurationMillis", json_integer(pause));
	json_object_set_new(run, "stages", stages);
	free(display);
	return run;
}

/* ---- trees ---- */

/* The range of a tree's array property: {M,N}, {M,}, {,N} or {N}. */
static void
tree_range(const char *tree, size_t *from, size_t *to)
{
	const char *brace = tree ? strrchr(tree, '{') : NULL;
	char *end;

	*from = 0;
	*to = SIZE_MAX;
	if (!brace || brace < strrchr(tree, ']'))
		return;
	brace++;
	if (*brace != ',')
		*from = (size_t)strtoul(brace, &end, 10);
	else
		end = (char *)(uintptr_t)brace;
	if (*end == '}')
		*to = *from + 1;
	else if (*end == ',' && end[1] != '}')
		*to = (size_t)strtoul(end + 1, NULL, 10);
}

static bool
tree_has(const char *tree, const char *property)
{
	size_t len = strlen(property);

	for (const char *p = tree; p && (p = strstr(p, property)); p += len)
		if ((p == tree || p[-1] == ',' || p[-1] == '[') &&
		    (p[len] == '[' || p[len] == ',' || p[len] == '\0' || p[len] == '{'))
			return true;
	return false;
}

/* The branch jobs of service s at now. */
static json_t *
branch_jobs(const struct site *s, size_t service)
{
	const struct world *w = &s->sim->world;
	json_t *jobs = json_array();

	for (size_t i = 0; i < w->n_branches; i++) {
		const struct branch *b = &w->branches[i];
		char *jn;

		if (b->service != service || b->created > s->now)
			continue;
		jn = job_name(b->name);
		json_array_append_new(jobs,
				      json_pack("{s:s,s:s}", "_class", WORKFLOW_JOB, "name", jn));
		free(jn);
	}
	return jobs;
}

static void
root_json(const struct site *s, struct sim_response *resp)
{
	const struct world *w = &s->sim->world;
	json_t *root = json_object(), *jobs = json_array();

	for (size_t i = 0; i < w->n_services; i++)
		json_array_append_new(jobs,
				      json_pack("{s:s,s:s,s:o}", "_class", MULTIBRANCH, "name",
						w->services[i].name, "jobs", branch_jobs(s, i)));
	json_object_set_new(root, "_class", json_string("hudson.model.Hudson"));
	json_object_set_new(root, "jobs", jobs);
	response_json(resp, 200, root);
}

static void
job_json(const struct site *s, const struct sim_request *req, size_t b, struct sim_response *resp)
{
	const struct world *w = &s->sim->world;
	const char *tree = params_get(&req->params, "tree");
	bool all = tree && strncmp(tree, "allBuilds", 9) == 0;
	size_t n, from, to, *builds = branch_builds(w, b, s->now, &n);
	json_t *root = json_object(), *list = json_array();
	char *jn = job_name(w->branches[b].name);

	tree_range(tree, &from, &to);
	if (req->stuck_cursor && to != SIZE_MAX && to > from) {
		to -= from;
		from = 0;
	}
	if (!all && n > NEW_BUILDS)
		n = NEW_BUILDS;
	for (size_t k = from; k < n && k < to; k++)
		json_array_append_new(list, build_json(s, builds[k]));
	json_object_set_new(root, "_class", json_string(WORKFLOW_JOB));
	if (!tree) {
		json_object_set_new(root, "name", json_string(jn));
		json_object_set_new(root, "buildable", json_true());
	}
	json_object_set_new(root, all ? "allBuilds" : "builds", list);
	response_json(resp, 200, root);
	free(jn);
	free(builds);
}

/* ---- routes ---- */

/* The parts of a route: "job", NAME pairs, then the rest. */
struct route {
	char names[2][256];
	size_t depth; /* job pairs */
	const char *rest;
};

static bool
parse_route(const char *r, struct route *out)
{
	memset(out, 0, sizeof(*out));
	while (strncmp(r, "/job/", 5) == 0) {
		size_t len = strcspn(r + 5, "/");

		if (out->depth == 2 || len == 0 || len >= sizeof(out->names[0]))
			return false;
		memcpy(out->names[out->depth], r + 5, len);
		out->names[out->depth++][len] = '\0';
		r += 5 + len;
	}
	out->rest = r;
	return true;
}

/* "/7/wfapi/describe" or "/7/api/json": the build number and what is asked. */
static bool
build_route(const char *rest, unsigned long *number, const char **what)
{
	char *end;

	if (rest[0] != '/' || !isdigit((unsigned char)rest[1]))
		return false;
	*number = strtoul(rest + 1, &end, 10);
	*what = end;
	return *number > 0;
}

void
jenkins_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	struct site s = { .sim = sim, .now_ms = sim_clock_now(&sim->clock) };
	const char *what, *tree = params_get(&req->params, "tree");
	unsigned long number;
	struct route r;
	long svc = -1, b = -1, i;

	s.now = floor_div(s.now_ms, 1000);
	if (!streq(req->method, "GET") && !streq(req->method, "HEAD")) {
		error_page(resp, 405, "Method Not Allowed");
		return;
	}
	if (!parse_route(req->route, &r)) {
		error_page(resp, 404, "Not Found");
		return;
	}
	if (r.depth >= 1)
		svc = world_service(w, r.names[0]);
	if (r.depth == 2 && svc >= 0)
		b = find_branch(w, (size_t)svc, r.names[1], s.now);
	if ((r.depth >= 1 && svc < 0) || (r.depth == 2 && b < 0)) {
		error_page(resp, 404, "Not Found");
	} else if (r.depth == 0 && streq(r.rest, "/api/json")) {
		root_json(&s, resp);
	} else if (r.depth == 1 && streq(r.rest, "/api/json")) {
		/* A project has jobs, not builds: a tree asking for builds gets none. */
		json_t *root = json_pack("{s:s}", "_class", MULTIBRANCH);

		if (!tree || tree_has(tree, "jobs"))
			json_object_set_new(root, "jobs", branch_jobs(&s, (size_t)svc));
		response_json(resp, 200, root);
	} else if (r.depth == 2 && streq(r.rest, "/api/json")) {
		job_json(&s, req, (size_t)b, resp);
	} else if (r.depth == 2 && build_route(r.rest, &number, &what) &&
		   (i = find_build(w, (size_t)b, number, s.now)) >= 0 &&
		   (streq(what, "/api/json") || streq(what, "/wfapi/describe"))) {
		if (streq(what, "/api/json")) {
			response_json(resp, 200, build_json(&s, (size_t)i));
		} else {
			response_json(resp, 200, describe_json(&s, (size_t)i, req->path));
		}
	} else {
		error_page(resp, 404, "Not Found");
	}
}
