/* test_source_jenkins.c - the Jenkins source: the real build and wfapi payloads of
 * tests/fixtures/jenkins (a build with its causes and changeset; failed, unstable,
 * in-progress and paused-for-input runs) and builds of the same shape mapped into
 * exact pipelines, stages and deployments; the chain of pages of a round (the list,
 * then one describe per new or running build) and the cursor that carries it; list
 * paging; job discovery; the requests a round plans, with Basic auth; and a table
 * of bad responses, each with the error it must give. Nothing here opens a socket:
 * responses are handed to ops->parse as the engine would, and a page's cursor is
 * stored as the engine stores it. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/http.h"
#include "sitrep/json.h"
#include "support.h"

#define BASE "https://ci.example.com/jenkins"
/* 2025-03-03T10:00:00Z; the parser does not depend on it. */
#define NOW 1740996000
#define WORKFLOW_RUN "org.jenkinsci.plugins.workflow.job.WorkflowRun"
#define FREESTYLE "hudson.model.FreeStyleBuild"
/* The tree of a round's first list page, as written in the URL before escaping. */
#define LIST_TREE                                                                     \
	"builds[number,url,result,building,timestamp,duration,displayName,"           \
	"actions[causes[userId,userName,shortDescription],lastBuiltRevision[SHA1,"    \
	"branch[name]],remoteUrls,parameters[name,value]],changeSets[items[commitId," \
	"timestamp]]]{0,50}"

/*
 * Harness
 */

/* A source, its config and the cursors the engine would have stored. */
struct harness {
	struct test_source t;
	struct source_ctx ctx;
	char *cursor;	   /* of the builds stream under test */
	char *jobs_cursor; /* of "jobs" */
	struct config_rule rules[4];
};

static const char *
cursor_of(void *engine, const char *stream)
{
	struct harness *h = engine;

	return streq(stream, "jobs") ? h->jobs_cursor : h->cursor;
}

/* [source "ci"] type = jenkins, url = BASE, user = alice, token t0ken; service
 * when not NULL; each job of jobs (NULL-terminated). */
static void
harness_init(struct harness *h, const char *service, const char *const *jobs)
{
	memset(h, 0, sizeof(*h));
	test_source_init(&h->t, "ci", "jenkins", BASE, service);
	add_value(&h->t, "user", "alice");
	for (size_t i = 0; jobs && jobs[i]; i++)
		add_value(&h->t, "job", jobs[i]);
	h->ctx.name = "ci";
	h->ctx.config = &h->t.src;
	h->ctx.secret = "t0ken";
	h->ctx.now = NOW;
	h->ctx.cursor = cursor_of;
	h->ctx.engine = h;
}

/* [stages] deploy = PATTERN, for each pattern (at most 4). */
static void
deploy_rules(struct harness *h, const char *const *patterns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h->rules[i].kind = (char *)(uintptr_t) "deploy";
		h->rules[i].pattern = (char *)(uintptr_t)patterns[i];
	}
	h->ctx.stage_rules = h->rules;
	h->ctx.n_stage_rules = n;
}

static void
set_cursor(struct harness *h, const char *cursor)
{
	free(h->cursor);
	h->cursor = cursor ? xstrdup(cursor) : NULL;
}

static void
harness_release(struct harness *h)
{
	free(h->cursor);
	free(h->jobs_cursor);
	source_release(&h->t);
}

static const struct source_ops *
ops(void)
{
	return test_ops("jenkins");
}

/* Test JSON is written with ' for ": a copy with the quotes put back (new). */
static char *
q(const char *s)
{
	char *out = xstrdup(s);

	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* Parses body (status) as the answer to url of stream; on success the page's
 * cursor is stored, as the engine commits it with the page. */
static enum status_code
parse(struct harness *h, const char *stream, const char *url, long status, const char *body,
      struct source_page *page)
{
	struct source_request req = { 0 };
	struct http_response resp;
	enum status_code code;

	req.stream = xstrdup(stream);
	req.method = xstrdup("GET");
	req.url = xstrdup(url);
	response_text(&resp, status, body);
	source_page_init(page);
	code = ops()->parse(&h->ctx, &req, &resp, page);
	if (code != SUCCESS)
		print_error("%s\n", status_message(code));
	if (code == SUCCESS && page->cursor) {
		char **slot = streq(stream, "jobs") ? &h->jobs_cursor : &h->cursor;

		free(*slot);
		*slot = xstrdup(page->cursor);
	}
	source_request_release(&req);
	response_release(&resp);
	return code;
}

/* The URL of a job's first list page. */
static char *
list_url(const char *job_path)
{
	char *tree = http_escape(LIST_TREE);
	char *url = xasprintf(BASE "%s/api/json?tree=%s", job_path, tree);

	free(tree);
	return url;
}

/* Parses a list page (the first one) of stream, whose job is at job_path
 * ("/job/checkout/job/main"); builds is a JSON text of the array's elements,
 * written with '. */
static enum status_code
parse_list(struct harness *h, const char *stream, const char *job_path, const char *builds,
	   struct source_page *page)
{
	char *b = q(builds), *body, *url = list_url(job_path);
	enum status_code code;

	body = xasprintf("{\"_class\":\"org.jenkinsci.plugins.workflow.job.WorkflowJob\","
			 "\"builds\":[%s]}",
			 b);
	code = parse(h, stream, url, 200, body, page);
	free(body);
	free(url);
	free(b);
	return code;
}

/* A build as the list's tree gives it, with its url under job_path and more
 * members (written with ', starting with a comma, or ""). */
static char *
build(const char *job_path, int number, const char *klass, const char *result, bool building,
      long long timestamp, long long duration, const char *more)
{
	char *m = q(more), *r = result ? xasprintf("\"%s\"", result) : xstrdup("null"), *out;

	out = xasprintf("{\"_class\":\"%s\",\"number\":%d,\"url\":\"" BASE
			"%s/%d/\",\"result\":%s,\"building\":%s,\"timestamp\":%lld,"
			"\"duration\":%lld,\"displayName\":\"#%d\"%s}",
			klass, number, job_path, number, r, building ? "true" : "false", timestamp,
			duration, number, m);
	free(m);
	free(r);
	return out;
}

/* The cursor's member key as jansson sees it (new reference). */
static json_t *
cursor_member(const struct harness *h, const char *key)
{
	json_t *root = json_loads(h->cursor, 0, NULL), *v;

	assert_non_null(root);
	v = json_incref(json_object_get(root, key));
	json_decref(root);
	return v;
}

/* The cursor's open builds as "12,11" (sorted as stored). */
static void
assert_open(const struct harness *h, const char *want)
{
	json_t *open = cursor_member(h, "open"), *v;
	struct buf b;
	size_t i;

	assert_true(json_is_array(open));
	buf_init(&b, 0);
	json_array_foreach(open, i, v)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)json_integer_value(v));
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
	json_decref(open);
}

static int64_t
cursor_last(const struct harness *h)
{
	json_t *last = cursor_member(h, "last");
	int64_t v = json_is_integer(last) ? (int64_t)json_integer_value(last) : -2;

	json_decref(last);
	return v;
}

static size_t
cursor_queue(const struct harness *h)
{
	json_t *queue = cursor_member(h, "queue");
	size_t n = json_array_size(queue);

	json_decref(queue);
	return n;
}

static void
assert_next(const struct source_page *page, const char *url)
{
	if (!url) {
		assert_null(page->next);
		return;
	}
	assert_non_null(page->next);
	assert_string_equal(page->next->url, url);
	assert_string_equal(page->next->method, "GET");
	assert_int_equal(page->next->n_headers, 1);
	assert_string_equal(page->next->headers[0].name, "Authorization");
	assert_string_equal(page->next->headers[0].value, "Basic YWxpY2U6dDBrZW4=");
}

static void
assert_stage(const struct store_stage *st, const char *name, const char *kind, const char *status,
	     int64_t started, int64_t finished)
{
	assert_string_equal(st->name, name);
	if (kind)
		assert_string_equal(st->kind, kind);
	else
		assert_null(st->kind);
	assert_string_equal(st->status, status);
	assert_int_equal(st->started_at, started);
	assert_int_equal(st->finished_at, finished);
}

/* Element i of a JSON array fixture, as text (new). */
static char *
fixture_element(const char *name, size_t i)
{
	char *text = fixture_text(name, NULL), *out;
	json_t *root = json_loads(text, 0, NULL);

	assert_true(json_is_array(root));
	out = json_dumps(json_array_get(root, i), JSON_COMPACT);
	json_decref(root);
	free(text);
	return out;
}

/*
 * The real payloads
 */

/* cdancy/jenkins-rest's build: a user cause with a null userId, parameters that
 * name no version, a git changeset; no _class (Jenkins 1.x), so its stages are
 * asked for, and a 404 (no wfapi) makes the build its one stage. */
static void
source_jenkins__fixture_build_without_wfapi_is_its_own_stage(void **state)
{
	const char *const jobs[] = { "fish", NULL };
	char *fixture = fixture_text("jenkins/build-api-json-with-git-changeset.json", NULL);
	char *body = xasprintf("{\"builds\":[%s]}", fixture), *url = list_url("/job/fish");
	struct source_page page;
	struct harness h;
	const struct store_pipeline *p;

	(void)state;
	harness_init(&h, NULL, jobs);
	assert_int_equal(parse(&h, "builds:fish", url, 200, body, &page), SUCCESS);
	assert_int_equal(page.n_pipelines, 0);
	assert_next(&page, BASE "/job/fish/10/wfapi/describe");
	assert_int_equal(cursor_last(&h), 10);
	assert_open(&h, "10");
	assert_int_equal(cursor_queue(&h), 1);
	source_page_release(&page);

	assert_int_equal(parse(&h, "builds:fish", BASE "/job/fish/10/wfapi/describe", 404,
			       "<html><body>Not Found</body></html>", &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_int_equal(page.n_deployments, 0);
	p = &page.pipelines[0];
	assert_string_equal(p->source, "ci");
	assert_string_equal(p->source_id, "fish#10");
	assert_string_equal(p->project, "fish");
	assert_string_equal(p->service, "fish");
	assert_string_equal(p->name, "fish");
	assert_int_equal(p->number, 10);
	assert_null(p->ref);
	assert_null(p->sha);
	assert_string_equal(p->event, "user");
	assert_string_equal(p->actor, "anonymous");
	assert_string_equal(p->status, "success");
	assert_int_equal(p->queued_at, TIME_NONE);
	/* 1461091892486 ms, + 60750 ms */
	assert_int_equal(p->started_at, 1461091892);
	assert_int_equal(p->finished_at, 1461091953);
	assert_int_equal(p->updated_at, 1461091953);
	assert_string_equal(p->url, "http://localhost:32769/job/fish/10/");
	assert_int_equal(p->n_stages, 1);
	assert_stage(&p->stages[0], "fish", NULL, "success", 1461091892, 1461091953);
	assert_string_equal(p->stages[0].url, "http://localhost:32769/job/fish/10/");
	assert_next(&page, NULL);
	assert_int_equal(cursor_last(&h), 10);
	assert_open(&h, "");
	assert_int_equal(cursor_queue(&h), 0);
	source_page_release(&page);
	free(url);
	free(body);
	free(fixture);
	harness_release(&h);
}

/* Serves run i of a wfapi/runs fixture as the describe of build b of job cd. */
static void
describe_fixture(struct harness *h, const char *b, const char *fixture, size_t i,
		 struct source_page *page)
{
	char *run = fixture_element(fixture, i), *url;
	int number;

	assert_int_equal(parse_list(h, "builds:cd", "/job/cd", b, page), SUCCESS);
	assert_non_null(page->next);
	url = xstrdup(page->next->url);
	assert_int_equal(sscanf(url, BASE "/job/cd/%d/wfapi/describe", &number), 1);
	source_page_release(page);
	assert_int_equal(parse(h, "builds:cd", url, 200, run, page), SUCCESS);
	free(url);
	free(run);
}

/* A failed stage (wfapi FAILED, core FAILURE); with [stages] naming the
 * environments deploy stages, they are deployments of the build. */
static void
source_jenkins__failed_run_stages_and_deployments(void **state)
{
	const char *const patterns[] = { "staging", "production" };
	const struct store_pipeline *p;
	const struct store_deployment *d;
	struct source_page page;
	struct harness h;
	char *b;

	(void)state;
	harness_init(&h, "checkout", NULL);
	deploy_rules(&h, patterns, 2);
	b = build("/job/cd", 3, WORKFLOW_RUN, "FAILURE", false, 1414318349569LL, 39528, "");
	describe_fixture(&h, b, "jenkins/wfapi-runs-failed-stage.json", 0, &page);
	assert_int_equal(page.n_pipelines, 1);
	p = &page.pipelines[0];
	assert_string_equal(p->source_id, "cd#3");
	assert_string_equal(p->service, "checkout");
	assert_string_equal(p->status, "failed");
	assert_int_equal(p->started_at, 1414318349);
	assert_int_equal(p->finished_at, 1414318389);
	assert_int_equal(p->n_stages, 3);
	assert_stage(&p->stages[0], "Dev", NULL, "success", 1414318349, 1414318353);
	assert_stage(&p->stages[1], "QA", NULL, "success", 1414318353, 1414318388);
	assert_stage(&p->stages[2], "Staging", "deploy", "failed", 1414318388, 1414318389);
	assert_string_equal(p->stages[2].url, BASE "/job/cd/3/execution/node/27/");
	/* The failed staging deployment; production was never reached. */
	assert_int_equal(page.n_deployments, 1);
	d = &page.deployments[0];
	assert_string_equal(d->source_id, "cd#3@staging");
	assert_string_equal(d->service, "checkout");
	assert_string_equal(d->environment, "staging");
	assert_string_equal(d->status, "failed");
	assert_int_equal(d->kind, DORA_NORMAL);
	assert_int_equal(d->started_at, 1414318388);
	assert_int_equal(d->finished_at, 1414318389);
	assert_int_equal(d->updated_at, 1414318389);
	assert_string_equal(d->pipeline, "cd#3");
	assert_string_equal(d->target, "cd");
	assert_string_equal(d->url, BASE "/job/cd/3/");
	assert_null(d->version);
	source_page_release(&page);
	free(b);

	/* Run #1 of the same file went through to production. */
	set_cursor(&h, NULL);
	b = build("/job/cd", 1, WORKFLOW_RUN, "SUCCESS", false, 1414318232950LL, 55971, "");
	describe_fixture(&h, b, "jenkins/wfapi-runs-failed-stage.json", 1, &page);
	p = &page.pipelines[0];
	assert_string_equal(p->status, "success");
	assert_int_equal(p->n_stages, 4);
	assert_stage(&p->stages[3], "Production", "deploy", "success", 1414318288, 1414318288);
	assert_int_equal(page.n_deployments, 2);
	assert_string_equal(page.deployments[0].source_id, "cd#1@staging");
	assert_string_equal(page.deployments[0].status, "success");
	assert_int_equal(page.deployments[0].started_at, 1414318278);
	assert_int_equal(page.deployments[0].finished_at, 1414318288);
	assert_string_equal(page.deployments[1].source_id, "cd#1@production");
	assert_string_equal(page.deployments[1].environment, "production");
	assert_string_equal(page.deployments[1].status, "success");
	/* 1414318288292 + 629 ms */
	assert_int_equal(page.deployments[1].finished_at, 1414318288);
	source_page_release(&page);
	free(b);
	harness_release(&h);
}

/* UNSTABLE (tests failed, the build ran on) is failed in the store, the run and
 * every executed stage alike. */
static void
source_jenkins__unstable_run_is_failed(void **state)
{
	const struct store_pipeline *p;
	struct source_page page;
	struct harness h;
	char *b;

	(void)state;
	harness_init(&h, NULL, NULL);
	b = build("/job/cd", 1, WORKFLOW_RUN, "UNSTABLE", false, 1414318232950LL, 55971, "");
	describe_fixture(&h, b, "jenkins/wfapi-runs-unstable.json", 0, &page);
	p = &page.pipelines[0];
	assert_string_equal(p->status, "failed");
	assert_int_equal(p->finished_at, 1414318288); /* 1414318232950 + 55971 ms */
	assert_int_equal(p->n_stages, 2);
	assert_stage(&p->stages[0], "Staging", "deploy", "failed", 1414318278, 1414318288);
	assert_stage(&p->stages[1], "Production", "deploy", "failed", 1414318288, 1414318288);
	/* Stages named for an environment are deploy stages: one deployment each, failed
	 * with the unstable run. */
	assert_int_equal(page.n_deployments, 2);
	assert_string_equal(page.deployments[0].environment, "staging");
	assert_string_equal(page.deployments[1].environment, "production");
	assert_string_equal(page.deployments[0].status, "failed");
	source_page_release(&page);
	free(b);
	harness_release(&h);
}

/* A running build: running, no end, updated at its start (read again next round);
 * its running production stage is a running deployment. */
static void
source_jenkins__in_progress_run(void **state)
{
	const char *const patterns[] = { "staging", "production" };
	const struct store_pipeline *p;
	struct source_page page;
	struct harness h;
	char *b;

	(void)state;
	harness_init(&h, NULL, NULL);
	deploy_rules(&h, patterns, 2);
	b = build("/job/cd", 1, WORKFLOW_RUN, NULL, true, 1414318232950LL, 0, "");
	describe_fixture(&h, b, "jenkins/wfapi-runs-in-progress.json", 0, &page);
	p = &page.pipelines[0];
	assert_string_equal(p->status, "running");
	assert_int_equal(p->started_at, 1414318232);
	assert_int_equal(p->finished_at, TIME_NONE);
	assert_int_equal(p->updated_at, 1414318232);
	assert_stage(&p->stages[0], "Staging", "deploy", "success", 1414318278, 1414318288);
	assert_stage(&p->stages[1], "Production", "deploy", "running", 1414318288, TIME_NONE);
	assert_int_equal(page.n_deployments, 2);
	assert_string_equal(page.deployments[1].source_id, "cd#1@production");
	assert_string_equal(page.deployments[1].status, "running");
	assert_int_equal(page.deployments[1].finished_at, TIME_NONE);
	assert_int_equal(page.deployments[1].updated_at, 1414318288);
	/* Still open: the next round reads it again. */
	assert_open(&h, "1");
	source_page_release(&page);
	free(b);
	harness_release(&h);
}

/* An input step waiting for its approval: the build waits, and its Deploy stage
 * has deployed nothing yet. */
static void
source_jenkins__paused_for_input_is_waiting(void **state)
{
	const char *const jobs[] = { "Test Workflow", NULL };
	char *run = fixture_text("jenkins/wfapi-run-describe-paused-pending-input.json", NULL);
	const struct store_pipeline *p;
	struct source_page page;
	struct harness h;
	char *b;

	(void)state;
	harness_init(&h, NULL, jobs);
	b = build("/job/Test%20Workflow", 16, WORKFLOW_RUN, NULL, true, 1413461275770LL, 0, "");
	assert_int_equal(parse_list(&h, "builds:Test Workflow", "/job/Test%20Workflow", b, &page),
			 SUCCESS);
	assert_next(&page, BASE "/job/Test%20Workflow/16/wfapi/describe");
	source_page_release(&page);
	assert_int_equal(parse(&h, "builds:Test Workflow",
			       BASE "/job/Test%20Workflow/16/wfapi/describe", 200, run, &page),
			 SUCCESS);
	p = &page.pipelines[0];
	assert_string_equal(p->source_id, "Test Workflow#16");
	assert_string_equal(p->status, "waiting");
	assert_int_equal(p->n_stages, 3);
	assert_stage(&p->stages[0], "Build", "build", "success", 1413461275, 1413461280);
	assert_stage(&p->stages[1], "Test", "test", "success", 1413461280, 1413461285);
	assert_stage(&p->stages[2], "Deploy", "deploy", "waiting", 1413461285, TIME_NONE);
	assert_int_equal(page.n_deployments, 0);
	source_page_release(&page);
	free(b);
	free(run);
	harness_release(&h);
}

/* The job API's own build list (number and url only, as without tree=) is not
 * what sitrep asked for: a clear error, not builds at 1970. */
static void
source_jenkins__job_api_without_tree_is_refused(void **state)
{
	const char *const jobs[] = { "fish", NULL };
	char *body = fixture_text("jenkins/job-api-json.json", NULL), *url = list_url("/job/fish");
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, NULL, jobs);
	assert_int_equal(parse(&h, "builds:fish", url, 200, body, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "jenkins builds:fish: build #7: timestamp is missing");
	assert_null(h.cursor);
	source_page_release(&page);
	free(url);
	free(body);
	harness_release(&h);
}

/*
 * A round's chain of pages and the cursor
 */

#define CHECKOUT "/job/checkout/job/main"
#define STREAM "builds:checkout/main"

/* List, describe each new or running Pipeline build; freestyle ones are written
 * from the list; the next round reads only what was running. */
static void
source_jenkins__round_reads_new_and_running_builds_only(void **state)
{
	const char *const jobs[] = { "checkout/main", NULL };
	char *b12 = build(CHECKOUT, 12, WORKFLOW_RUN, NULL, true, 1740990000000LL, 0, "");
	char *b11 = build(CHECKOUT, 11, WORKFLOW_RUN, "SUCCESS", false, 1740980000000LL, 90000, "");
	char *b10 = build(CHECKOUT, 10, FREESTYLE, "FAILURE", false, 1740970000000LL, 30500, "");
	char *b9 = build(CHECKOUT, 9, FREESTYLE, NULL, true, 1740960000000LL, 0, "");
	char *list = xasprintf("%s,%s,%s,%s", b12, b11, b10, b9), *list2;
	const char *run12 = "{\"status\":\"IN_PROGRESS\",\"stages\":[{\"id\":\"6\",\"name\":"
			    "\"Build\",\"status\":\"IN_PROGRESS\",\"startTimeMillis\":"
			    "1740990001000,\"durationMillis\":5000}]}";
	const char *run11 = "{\"status\":\"SUCCESS\",\"stages\":[{\"id\":\"6\",\"name\":"
			    "\"Build\",\"status\":\"SUCCESS\",\"startTimeMillis\":1740980001000,"
			    "\"durationMillis\":60000}]}";
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, NULL, jobs);
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, list, &page), SUCCESS);
	/* #10 and #9 are freestyle: written now, the running one stays open. */
	assert_int_equal(page.n_pipelines, 2);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#10");
	assert_string_equal(page.pipelines[0].status, "failed");
	assert_int_equal(page.pipelines[0].finished_at, 1740970030);
	assert_string_equal(page.pipelines[0].ref, "main");
	assert_string_equal(page.pipelines[0].service, "checkout");
	assert_string_equal(page.pipelines[0].stages[0].name, "main");
	assert_string_equal(page.pipelines[1].source_id, "checkout/main#9");
	assert_string_equal(page.pipelines[1].status, "running");
	assert_next(&page, BASE CHECKOUT "/12/wfapi/describe");
	assert_int_equal(cursor_last(&h), 12);
	assert_open(&h, "12,11,9");
	assert_int_equal(cursor_queue(&h), 2);
	source_page_release(&page);

	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/12/wfapi/describe", 200, run12, &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#12");
	assert_string_equal(page.pipelines[0].status, "running");
	assert_stage(&page.pipelines[0].stages[0], "Build", "build", "running", 1740990001,
		     TIME_NONE);
	assert_next(&page, BASE CHECKOUT "/11/wfapi/describe");
	assert_open(&h, "12,11,9");
	assert_int_equal(cursor_queue(&h), 1);
	source_page_release(&page);

	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/11/wfapi/describe", 200, run11, &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#11");
	assert_string_equal(page.pipelines[0].status, "success");
	assert_int_equal(page.pipelines[0].finished_at, 1740980090);
	assert_next(&page, NULL);
	assert_open(&h, "12,9");
	assert_int_equal(cursor_queue(&h), 0);
	source_page_release(&page);

	/* The next round: the same list: only #12 again (and #9, written from the
	 * list); #11 and #10 ended and are not fetched again. */
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, list, &page), SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#9");
	assert_next(&page, BASE CHECKOUT "/12/wfapi/describe");
	assert_int_equal(cursor_queue(&h), 1);
	assert_open(&h, "12,9");
	source_page_release(&page);

	/* Later: #12 and #9 ended, #13 is new. */
	free(b12);
	free(b9);
	b12 = build(CHECKOUT, 12, WORKFLOW_RUN, "ABORTED", false, 1740990000000LL, 7000, "");
	b9 = build(CHECKOUT, 9, FREESTYLE, "SUCCESS", false, 1740960000000LL, 1000, "");
	free(b11);
	b11 = build(CHECKOUT, 13, WORKFLOW_RUN, NULL, false, 1740999000000LL, 0, "");
	list2 = xasprintf("%s,%s,%s", b11, b12, b9);
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, list2, &page), SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#9");
	assert_string_equal(page.pipelines[0].status, "success");
	assert_next(&page, BASE CHECKOUT "/13/wfapi/describe");
	assert_int_equal(cursor_last(&h), 13);
	assert_open(&h, "13,12");
	source_page_release(&page);
	/* #13 has not started (no result, not building): queued, and stays open. */
	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/13/wfapi/describe", 200,
			       "{\"status\":\"NOT_EXECUTED\",\"stages\":[]}", &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].status, "queued");
	assert_int_equal(page.pipelines[0].n_stages, 1);
	assert_string_equal(page.pipelines[0].stages[0].status, "queued");
	assert_next(&page, BASE CHECKOUT "/12/wfapi/describe");
	source_page_release(&page);
	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/12/wfapi/describe", 200,
			       "{\"status\":\"ABORTED\",\"stages\":[{\"id\":\"6\",\"name\":"
			       "\"Build\",\"status\":\"ABORTED\",\"startTimeMillis\":"
			       "1740990001000,\"durationMillis\":5000}]}",
			       &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].status, "canceled");
	assert_stage(&page.pipelines[0].stages[0], "Build", "build", "canceled", 1740990001,
		     1740990006);
	assert_open(&h, "13");
	source_page_release(&page);
	free(list);
	free(list2);
	free(b9);
	free(b10);
	free(b11);
	free(b12);
	harness_release(&h);
}

/* 50 new builds since the last round's #100 fill the first page: the list goes on
 * with allBuilds{50,100}, and only then are they described. */
static void
source_jenkins__full_page_of_new_builds_pages_on(void **state)
{
	const char *const jobs[] = { "checkout/main", NULL };
	char *tree = http_escape("allBuilds[number,url,result,building,timestamp,duration,"
				 "displayName,actions[causes[userId,userName,shortDescription],"
				 "lastBuiltRevision[SHA1,branch[name]],remoteUrls,parameters[name,"
				 "value]],changeSets[items[commitId,timestamp]]]{50,100}");
	char *page2_url = xasprintf(BASE CHECKOUT "/api/json?tree=%s", tree), *body;
	struct source_page page;
	struct harness h;
	struct buf b;

	(void)state;
	harness_init(&h, NULL, jobs);
	set_cursor(&h, "{\"last\":100,\"open\":[]}");
	buf_init(&b, 0);
	for (int n = 200; n > 150; n--) {
		char *one = build(CHECKOUT, n, WORKFLOW_RUN, "SUCCESS", false,
				  1740900000000LL + n * 60000LL, 1000, "");

		buf_printf(&b, "%s%s", n == 200 ? "" : ",", one);
		free(one);
	}
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b.data, &page), SUCCESS);
	assert_next(&page, page2_url);
	assert_int_equal(page.n_pipelines, 0);
	/* Not moved yet: a round stopped here lists them again. */
	assert_int_equal(cursor_last(&h), 100);
	assert_int_equal(cursor_queue(&h), 50);
	source_page_release(&page);

	buf_reset(&b);
	for (int n = 150; n > 100; n--) {
		char *one = build(CHECKOUT, n, WORKFLOW_RUN, "SUCCESS", false,
				  1740900000000LL + n * 60000LL, 1000, "");

		buf_printf(&b, "%s%s", n == 150 ? "" : ",", one);
		free(one);
	}
	body = xasprintf("{\"allBuilds\":[%s]}", b.data);
	assert_int_equal(parse(&h, STREAM, page2_url, 200, body, &page), SUCCESS);
	/* #101 came down to #100: the list is complete. */
	assert_next(&page, BASE CHECKOUT "/200/wfapi/describe");
	assert_int_equal(cursor_last(&h), 200);
	assert_int_equal(cursor_queue(&h), 100);
	source_page_release(&page);
	free(body);
	buf_release(&b);
	free(page2_url);
	free(tree);
	harness_release(&h);
}

/* A first round reads the 50 newest and no further; a job whose newest build is
 * below the cursor was made anew, and is read from scratch. */
static void
source_jenkins__first_round_and_renumbered_job(void **state)
{
	const char *const jobs[] = { "checkout/main", NULL };
	char *b3 = build(CHECKOUT, 3, FREESTYLE, "SUCCESS", false, 1740990000000LL, 1000, "");
	struct source_page page;
	struct harness h;
	struct buf b;

	(void)state;
	harness_init(&h, NULL, jobs);
	buf_init(&b, 0);
	for (int n = 200; n > 150; n--) {
		char *one = build(CHECKOUT, n, FREESTYLE, "SUCCESS", false, 1740900000000LL, 1, "");

		buf_printf(&b, "%s%s", n == 200 ? "" : ",", one);
		free(one);
	}
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b.data, &page), SUCCESS);
	assert_int_equal(page.n_pipelines, 50);
	assert_next(&page, NULL);
	assert_int_equal(cursor_last(&h), 200);
	source_page_release(&page);

	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b3, &page), SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.pipelines[0].source_id, "checkout/main#3");
	assert_int_equal(cursor_last(&h), 3);
	source_page_release(&page);
	buf_release(&b);
	free(b3);
	harness_release(&h);
}

/* A describe that is not of the build the cursor holds next is refused: the
 * stored cursor changed since the list (another process synced the stream). */
static void
source_jenkins__describe_out_of_turn_is_refused(void **state)
{
	const char *const jobs[] = { "checkout/main", NULL };
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, NULL, jobs);
	set_cursor(&h, "{\"last\":5,\"open\":[5]}");
	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/5/wfapi/describe", 200,
			       "{\"status\":\"SUCCESS\",\"stages\":[]}", &page),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "jenkins builds:checkout/main: build #5: wfapi/describe: the build "
			    "is not the next one to describe (the cursor changed meanwhile): the "
			    "next round lists the job again");
	assert_string_equal(h.cursor, "{\"last\":5,\"open\":[5]}");
	source_page_release(&page);
	harness_release(&h);
}

/*
 * Mapping: causes, refs, repositories, deployments
 */

/* Who started a build: a user (id, else name), the timer, an SCM change or
 * branch indexing, an upstream build; by class, or by the text of Jenkins 1.x. */
static void
source_jenkins__causes_give_event_and_actor(void **state)
{
	static const struct {
		const char *causes, *event, *actor;
	} cases[] = {
		{ "{'_class':'hudson.model.Cause$UserIdCause','shortDescription':'Started by "
		  "user Alice','userId':'alice','userName':'Alice'}",
		  "user", "alice" },
		{ "{'_class':'hudson.triggers.TimerTrigger$TimerTriggerCause',"
		  "'shortDescription':'Started by timer'}",
		  "timer", "timer" },
		{ "{'shortDescription':'Started by timer'}", "timer", "timer" },
		{ "{'_class':'hudson.triggers.SCMTrigger$SCMTriggerCause','shortDescription':"
		  "'Started by an SCM change'}",
		  "scm", "scm" },
		{ "{'_class':'jenkins.branch.BranchIndexingCause','shortDescription':'Branch "
		  "indexing'}",
		  "scm", "scm" },
		{ "{'_class':'hudson.model.Cause$UpstreamCause','shortDescription':'Started by "
		  "upstream project \\'x\\' build number 5'}",
		  "upstream", NULL },
		/* A replay by a user: the user is the actor. */
		{ "{'_class':'org.jenkinsci.plugins.workflow.cps.replay.ReplayCause',"
		  "'shortDescription':'Replayed #4'},{'_class':'hudson.model.Cause$UserIdCause',"
		  "'userId':'bob','userName':'Bob'}",
		  "user", "bob" },
		{ "{'_class':'some.other.Cause','shortDescription':'Started somehow'}", NULL,
		  NULL },
	};
	const char *const jobs[] = { "checkout/main", NULL };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *more = xasprintf(",'actions':[{},{'_class':'hudson.model.CauseAction',"
				       "'causes':[%s]},null]",
				       cases[i].causes);
		char *b = build(CHECKOUT, 1, FREESTYLE, "SUCCESS", false, 1740990000000LL, 1, more);
		struct source_page page;
		struct harness h;

		harness_init(&h, NULL, jobs);
		assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b, &page), SUCCESS);
		assert_int_equal(page.n_pipelines, 1);
		if (cases[i].event)
			assert_string_equal(page.pipelines[0].event, cases[i].event);
		else
			assert_null(page.pipelines[0].event);
		if (cases[i].actor)
			assert_string_equal(page.pipelines[0].actor, cases[i].actor);
		else
			assert_null(page.pipelines[0].actor);
		source_page_release(&page);
		harness_release(&h);
		free(b);
		free(more);
	}
}

/* BuildData: the branch built (remote and refs prefixes dropped), the sha, and the
 * repository of its first remote URL as the project, whose name is the service. */
static void
source_jenkins__git_build_data_gives_ref_sha_and_project(void **state)
{
	static const struct {
		const char *job, *branch, *remote, *ref, *project, *service;
	} cases[] = {
		{ "checkout/main", "refs/remotes/origin/feature/x",
		  "https://github.com/acme/checkout.git", "feature/x", "acme/checkout",
		  "checkout" },
		{ "checkout/main", "origin/develop", "git@github.com:acme/payments.git", "develop",
		  "acme/payments", "payments" },
		{ "build", "refs/heads/main", "ssh://git@git.example.com:2222/team/api/", "main",
		  "team/api", "api" },
		{ "build", "refs/tags/v1.2", "https://git.example.com/solo", "refs/tags/v1.2",
		  "solo", "solo" },
		/* A detached checkout: the multibranch job names the branch. */
		{ "checkout/feature%2Flogin", "detached", NULL, "feature/login",
		  "checkout/feature%2Flogin", "checkout" },
		{ "build", "detached", NULL, NULL, "build", "build" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const jobs[] = { cases[i].job, NULL };
		char *remote = cases[i].remote ? xasprintf(",'remoteUrls':['%s']", cases[i].remote)
					       : xstrdup("");
		char *more =
			xasprintf(",'actions':[{'_class':'hudson.plugins.git.util.BuildData',"
				  "'lastBuiltRevision':{'SHA1':'"
				  "0123456789abcdef0123456789abcdef01234567','branch':[{'SHA1':"
				  "'0123456789abcdef0123456789abcdef01234567','name':'%s'}]}%s}]",
				  cases[i].branch, remote);
		char *b = build("/job/x", 4, FREESTYLE, "SUCCESS", false, 1740990000000LL, 1, more);
		char *stream = xasprintf("builds:%s", cases[i].job);
		const struct store_pipeline *p;
		struct source_page page;
		struct harness h;

		harness_init(&h, NULL, jobs);
		assert_int_equal(parse_list(&h, stream, "/job/x", b, &page), SUCCESS);
		p = &page.pipelines[0];
		if (cases[i].ref)
			assert_string_equal(p->ref, cases[i].ref);
		else
			assert_null(p->ref);
		assert_string_equal(p->sha, "0123456789abcdef0123456789abcdef01234567");
		assert_string_equal(p->project, cases[i].project);
		assert_string_equal(p->service, cases[i].service);
		source_page_release(&page);
		harness_release(&h);
		free(stream);
		free(b);
		free(more);
		free(remote);
	}
}

#define DEPLOY_SHA "9fceb02d0ae598e95dc970b74767f19372d61af8"
#define DEPLOY_ACTIONS                                                                   \
	",'actions':[{'_class':'hudson.model.ParametersAction','parameters':[{'_class':" \
	"'hudson.model.StringParameterValue','name':'VERSION','value':'2.4.1'},{'name':" \
	"'DRY_RUN','value':false}%s]},{'_class':'hudson.plugins.git.util.BuildData',"    \
	"'lastBuiltRevision':{'SHA1':'" DEPLOY_SHA "','branch':[{'SHA1':'" DEPLOY_SHA    \
	"','name':'refs/remotes/origin/main'}]},'remoteUrls':["                          \
	"'git@github.com:acme/checkout.git']}],'changeSets':[{'_class':"                 \
	"'hudson.plugins.git.GitChangeSetList','items':[{'commitId':'aaaa','timestamp':" \
	"1740980000000},{'commitId':'bbbb','timestamp':1740985000500}],'kind':'git'}]"

/* A deploy job deploys once per build: to the environment its name says, with the
 * VERSION parameter, the sha built and the commits of its changeset. */
static void
source_jenkins__deploy_job_is_a_deployment(void **state)
{
	const char *const jobs[] = { "deploy-production", NULL };
	char *more = xasprintf(DEPLOY_ACTIONS, "");
	char *b = build("/job/deploy-production", 7, FREESTYLE, "SUCCESS", false, 1740990000000LL,
			125000, more);
	const struct store_deployment *d;
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, "storefront", jobs);
	assert_int_equal(
		parse_list(&h, "builds:deploy-production", "/job/deploy-production", b, &page),
		SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.pipelines[0].project, "acme/checkout");
	assert_string_equal(page.pipelines[0].stages[0].kind, "deploy");
	assert_int_equal(page.n_deployments, 1);
	d = &page.deployments[0];
	assert_string_equal(d->source, "ci");
	assert_string_equal(d->source_id, "deploy-production#7");
	assert_string_equal(d->service, "storefront");
	assert_string_equal(d->environment, "production");
	assert_string_equal(d->status, "success");
	assert_int_equal(d->kind, DORA_NORMAL);
	assert_string_equal(d->version, "2.4.1");
	assert_string_equal(d->sha, DEPLOY_SHA);
	assert_int_equal(d->started_at, 1740990000);
	assert_int_equal(d->finished_at, 1740990125);
	assert_int_equal(d->updated_at, 1740990125);
	assert_string_equal(d->pipeline, "deploy-production#7");
	assert_string_equal(d->target, "deploy-production");
	assert_string_equal(d->url, BASE "/job/deploy-production/7/");
	assert_int_equal(d->n_commits, 2);
	assert_string_equal(d->commits[0].sha, "aaaa");
	assert_int_equal(d->commits[0].committed_at, 1740980000);
	assert_string_equal(d->commits[1].sha, "bbbb");
	assert_int_equal(d->commits[1].committed_at, 1740985000);
	assert_true(isnan(d->canary_weight));
	assert_null(d->fixes);
	source_page_release(&page);
	free(b);
	free(more);
	harness_release(&h);
}

/* The environment of a deploy job: a parameter, else its path; none, none
 * deployed. A rollback job's deployments are rollbacks; a running build a running
 * deployment; an aborted one failed; one not built none. */
static void
source_jenkins__deploy_job_environment_kind_and_status(void **state)
{
	static const struct {
		const char *job, *param, *result;
		bool building;
		const char *env, *status;
		enum dora_kind kind;
	} cases[] = {
		{ "deploy", ",{'name':'ENV','value':'prod'}", "SUCCESS", false, "production",
		  "success", DORA_NORMAL },
		{ "deploy", ",{'name':'environment','value':'eu-west'}", "SUCCESS", false,
		  "eu-west", "success", DORA_NORMAL },
		{ "deploy", "", "SUCCESS", false, NULL, NULL, DORA_NORMAL },
		{ "team/deploy-app", ",{'name':'TARGET_ENV','value':'staging'}", NULL, true,
		  "staging", "running", DORA_NORMAL },
		{ "prod/deploy-rollback", "", "SUCCESS", false, "production", "success",
		  DORA_ROLLBACK },
		{ "deploy-hotfix-prd", "", "ABORTED", false, "production", "failed", DORA_HOTFIX },
		{ "deploy-production", "", "NOT_BUILT", false, NULL, NULL, DORA_NORMAL },
		/* Not a deploy job: a build job whose path names production. */
		{ "production/build", "", "SUCCESS", false, NULL, NULL, DORA_NORMAL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const jobs[] = { cases[i].job, NULL };
		char *more = xasprintf(DEPLOY_ACTIONS, cases[i].param);
		char *b = build("/job/x", 2, FREESTYLE, cases[i].result, cases[i].building,
				1740990000000LL, cases[i].building ? 0 : 1000, more);
		char *stream = xasprintf("builds:%s", cases[i].job);
		struct source_page page;
		struct harness h;

		harness_init(&h, NULL, jobs);
		assert_int_equal(parse_list(&h, stream, "/job/x", b, &page), SUCCESS);
		if (!cases[i].env) {
			if (page.n_deployments)
				fail_msg("%s: a deployment to %s", cases[i].job,
					 page.deployments[0].environment);
		} else {
			assert_int_equal(page.n_deployments, 1);
			assert_string_equal(page.deployments[0].environment, cases[i].env);
			assert_string_equal(page.deployments[0].status, cases[i].status);
			assert_int_equal(page.deployments[0].kind, cases[i].kind);
			assert_string_equal(page.deployments[0].target, cases[i].job);
			/* The service is the repository's name. */
			assert_string_equal(page.deployments[0].service, "checkout");
			if (cases[i].building)
				assert_int_equal(page.deployments[0].finished_at, TIME_NONE);
		}
		source_page_release(&page);
		harness_release(&h);
		free(stream);
		free(b);
		free(more);
	}
}

/* A pipeline's deploy stages: one deployment per environment (a canary and its
 * promotion are one, begun with the canary), from the end of its input step's
 * pause; a stage not executed, or without an environment, deployed nothing. */
static void
source_jenkins__deploy_stages_are_deployments_per_environment(void **state)
{
	const char *const jobs[] = { "checkout/main", NULL };
	const char *run =
		"{'status':'IN_PROGRESS','stages':["
		"{'id':'6','name':'Build','status':'SUCCESS','startTimeMillis':1740990001000,"
		"'durationMillis':60000},"
		"{'id':'20','name':'Deploy to staging','status':'SUCCESS','startTimeMillis':"
		"1740990061000,'durationMillis':30000,'pauseDurationMillis':20500},"
		"{'id':'30','name':'Canary production','status':'SUCCESS','startTimeMillis':"
		"1740990100000,'durationMillis':600000},"
		"{'id':'40','name':'Deploy to production','status':'IN_PROGRESS',"
		"'startTimeMillis':1740990700000,'durationMillis':5000},"
		"{'id':'50','name':'Deploy to QA','status':'NOT_EXECUTED','startTimeMillis':0,"
		"'durationMillis':0},"
		"{'id':'60','name':'Deploy','status':'SUCCESS','startTimeMillis':1740990701000,"
		"'durationMillis':1000}]}";
	char *more = xasprintf(DEPLOY_ACTIONS, "");
	char *b = build(CHECKOUT, 5, WORKFLOW_RUN, NULL, true, 1740990000000LL, 0, more);
	char *body = q(run);
	const struct store_deployment *d;
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, NULL, jobs);
	assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b, &page), SUCCESS);
	source_page_release(&page);
	assert_int_equal(parse(&h, STREAM, BASE CHECKOUT "/5/wfapi/describe", 200, body, &page),
			 SUCCESS);
	assert_int_equal(page.pipelines[0].n_stages, 6);
	assert_stage(&page.pipelines[0].stages[4], "Deploy to QA", "deploy", "skipped", TIME_NONE,
		     TIME_NONE);
	assert_int_equal(page.n_deployments, 2);
	d = &page.deployments[0];
	assert_string_equal(d->source_id, "checkout/main#5@staging");
	assert_string_equal(d->status, "success");
	/* Held 20.5 s by an input step: the deployment began at the approval. */
	assert_int_equal(page.pipelines[0].stages[1].started_at, 1740990061);
	assert_int_equal(d->started_at, 1740990081);
	assert_int_equal(d->finished_at, 1740990091);
	assert_string_equal(d->version, "2.4.1");
	assert_string_equal(d->sha, DEPLOY_SHA);
	assert_string_equal(d->pipeline, "checkout/main#5");
	assert_string_equal(d->target, "checkout/main");
	d = &page.deployments[1];
	assert_string_equal(d->source_id, "checkout/main#5@production");
	assert_string_equal(d->environment, "production");
	assert_string_equal(d->status, "running");
	assert_int_equal(d->started_at, 1740990100);
	assert_int_equal(d->finished_at, TIME_NONE);
	/* Running: updated as of the stage under way, which the end overtakes. */
	assert_int_equal(d->updated_at, 1740990700);
	source_page_release(&page);
	free(body);
	free(b);
	free(more);
	harness_release(&h);
}

/*
 * Plan and discovery
 */

static void
source_jenkins__plan_lists_each_job_with_basic_auth(void **state)
{
	const char *const jobs[] = { "checkout/main", "checkout/feature%2Flogin", "Test Workflow",
				     NULL };
	static const struct {
		const char *user, *token, *header;
	} auth[] = {
		{ "alice", "t0ken", "Basic YWxpY2U6dDBrZW4=" },
		{ "alice", "t0k", "Basic YWxpY2U6dDBr" },
		{ "al", "t", "Basic YWw6dA==" },
	};
	struct source_request *reqs = NULL;
	struct harness h;
	size_t n = 0;
	char *url;

	(void)state;
	harness_init(&h, NULL, jobs);
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 3);
	assert_string_equal(reqs[0].stream, "builds:checkout/main");
	assert_string_equal(reqs[0].method, "GET");
	url = list_url("/job/checkout/job/main");
	assert_string_equal(reqs[0].url, url);
	free(url);
	/* The URL as it goes out: brackets and braces escaped. */
	assert_non_null(strstr(reqs[0].url, "/api/json?tree=builds%5Bnumber%2Curl%2Cresult%2C"));
	assert_non_null(strstr(reqs[0].url, "%5D%7B0%2C50%7D"));
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Basic YWxpY2U6dDBrZW4=");
	/* A branch job's name is percent-encoded once more. */
	assert_string_equal(reqs[1].stream, "builds:checkout/feature%2Flogin");
	assert_non_null(strstr(reqs[1].url, BASE "/job/checkout/job/feature%252Flogin/api/json?"));
	assert_non_null(strstr(reqs[2].url, BASE "/job/Test%20Workflow/api/json?"));
	source_requests_free(reqs, n);
	harness_release(&h);

	for (size_t i = 0; i < ARRAY_SIZE(auth); i++) {
		harness_init(&h, NULL, jobs);
		free(h.t.values[h.t.src.n_values - 4].value);
		h.t.values[h.t.src.n_values - 4].value = xstrdup(auth[i].user);
		h.ctx.secret = auth[i].token;
		reqs = NULL;
		n = 0;
		assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), SUCCESS);
		assert_string_equal(reqs[0].headers[0].value, auth[i].header);
		source_requests_free(reqs, n);
		harness_release(&h);
	}

	/* No token: anonymous read, no header. */
	harness_init(&h, NULL, jobs);
	h.ctx.secret = NULL;
	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(reqs[0].n_headers, 0);
	source_requests_free(reqs, n);
	harness_release(&h);
}

static void
source_jenkins__plan_refuses_bad_jobs_and_no_url(void **state)
{
	static const struct {
		const char *job, *expect;
	} cases[] = {
		{ "", "jenkins ci: job (line 5) is empty" },
		{ "/checkout", "jenkins ci: job (line 5) has an empty part (write folder/job)" },
		{ "checkout//main", "has an empty part" },
		{ "checkout/", "has an empty part" },
		{ "job/checkout/job/main",
		  "jenkins ci: job (line 5) starts with job/ (write the path without it: "
		  "folder/job)" },
	};
	struct source_request *reqs = NULL;
	struct harness h;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const jobs[] = { cases[i].job, NULL };

		harness_init(&h, NULL, jobs);
		assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
		if (!strstr(status_message(ERROR_CUSTOM_MESSAGE), cases[i].expect))
			fail_msg("%s: got \"%s\"", cases[i].job,
				 status_message(ERROR_CUSTOM_MESSAGE));
		source_requests_free(reqs, n);
		reqs = NULL;
		n = 0;
		harness_release(&h);
	}
	memset(&h, 0, sizeof(h));
	test_source_init(&h.t, "ci", "jenkins", NULL, NULL);
	h.ctx.name = "ci";
	h.ctx.config = &h.t.src;
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), "jenkins ci: no url configured");
	assert_int_equal(n, 0);
	source_release(&h.t);
}

/* No job: the jobs stream finds them (folders and multibranch projects
 * included), and the next round syncs each. */
static void
source_jenkins__discovery_finds_jobs_in_folders(void **state)
{
	const char *body =
		"{'_class':'hudson.model.Hudson','jobs':["
		"{'_class':'hudson.model.FreeStyleProject','name':'build-app'},"
		"{'_class':'com.cloudbees.hudson.plugins.folder.Folder','name':'team','jobs':["
		"{'_class':'org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject',"
		"'name':'checkout','jobs':["
		"{'_class':'org.jenkinsci.plugins.workflow.job.WorkflowJob','name':'main'},"
		"{'_class':'org.jenkinsci.plugins.workflow.job.WorkflowJob','name':"
		"'feature%2Flogin'},"
		"{'_class':'com.cloudbees.hudson.plugins.folder.Folder','name':'deeper'}]},"
		"{'_class':'com.cloudbees.hudson.plugins.folder.Folder','name':'empty','jobs':[]}"
		"]}]}";
	char *text = q(body), *tree = http_escape("jobs[name,jobs[name,jobs[name]]]");
	char *url = xasprintf(BASE "/api/json?tree=%s", tree);
	struct source_request *reqs = NULL;
	struct source_page page;
	struct harness h;
	size_t n = 0;

	(void)state;
	harness_init(&h, NULL, NULL);
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(reqs[0].stream, "jobs");
	assert_string_equal(reqs[0].url, url);
	assert_string_equal(reqs[0].headers[0].value, "Basic YWxpY2U6dDBrZW4=");
	source_requests_free(reqs, n);

	assert_int_equal(parse(&h, "jobs", url, 200, text, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_string_equal(h.jobs_cursor, "[\"build-app\",\"team/checkout/main\",\"team/checkout/"
					   "feature%2Flogin\"]");
	source_page_release(&page);

	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 4);
	assert_string_equal(reqs[1].stream, "builds:build-app");
	assert_string_equal(reqs[3].stream, "builds:team/checkout/feature%2Flogin");
	assert_non_null(strstr(reqs[3].url, "/job/team/job/checkout/job/feature%252Flogin/api/"));
	source_requests_free(reqs, n);

	assert_int_equal(parse(&h, "jobs", url, 200, "{\"jobs\":[{\"_class\":\"x\"}]}", &page),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "jenkins jobs: job 0 has no name");
	source_page_release(&page);
	free(url);
	free(tree);
	free(text);
	harness_release(&h);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	bool describe; /* the answer to the describe of #5, else to the list */
	long status;
	const char *body; /* written with ' */
	const char *expect;
};

static void
check_bad(const struct bad_case *c)
{
	const char *const jobs[] = { "checkout/main", NULL };
	char *b5 = build(CHECKOUT, 5, WORKFLOW_RUN, "SUCCESS", false, 1740990000000LL, 1000, "");
	char *body = q(c->body), *url = list_url(CHECKOUT), *before;
	struct source_page page;
	struct harness h;
	enum status_code code;
	const char *msg, *p;

	harness_init(&h, NULL, jobs);
	if (c->describe) {
		assert_int_equal(parse_list(&h, STREAM, CHECKOUT, b5, &page), SUCCESS);
		source_page_release(&page);
		free(url);
		url = xstrdup(BASE CHECKOUT "/5/wfapi/describe");
	}
	before = h.cursor ? xstrdup(h.cursor) : NULL;
	code = parse(&h, STREAM, url, c->status, body, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	if (strstr(msg, "t0ken") || strstr(msg, "YWxpY2U6dDBrZW4="))
		fail_msg("%s: the token in \"%s\"", c->why, msg);
	/* The engine keeps the previous cursor (and data) on an error. */
	if (before)
		assert_string_equal(h.cursor, before);
	else
		assert_null(h.cursor);
	source_page_release(&page);
	free(before);
	free(url);
	free(body);
	free(b5);
	harness_release(&h);
}

#define GOOD_BUILD                                                                             \
	"'number':1,'result':'SUCCESS','building':false,'timestamp':1740990000000,'duration':" \
	"1000"

static void
source_jenkins__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "an HTML page", false, 200, "<html>sign in</html>",
		  "jenkins builds:checkout/main: the response is not JSON" },
		{ "a refused token", false, 401, "<html><head><title>Error 401</title></html>",
		  "jenkins builds:checkout/main: the build list: HTTP 401 (the user and API token "
		  "were refused: user is the Jenkins user id, token one of their API tokens)" },
		{ "no read permission", false, 403, "<html>Forbidden</html>",
		  "the build list: HTTP 403 (the user may not read it: it needs Overall/Read and "
		  "Job/Read)" },
		{ "no such job", false, 404, "<html>Not Found</html>",
		  "the build list: HTTP 404 (no such job at this url: a job in a folder is "
		  "FOLDER/JOB" },
		{ "a server error in text", false, 500, "Oops\n",
		  "the build list: HTTP 500: Oops (a Jenkins server error)" },
		{ "an array", false, 200, "[]", "the response is an array, not a JSON object" },
		{ "a folder", false, 200, "{'_class':'com.cloudbees.hudson.plugins.folder.Folder'}",
		  "jenkins builds:checkout/main: this is a folder, not a job: name a job in it" },
		{ "no builds", false, 200, "{'_class':'hudson.model.FreeStyleProject'}",
		  "the response has no builds array (is this a job?)" },
		{ "builds not an array", false, 200, "{'builds':{}}",
		  "builds is an object, not an array" },
		{ "a build not an object", false, 200, "{'builds':[3]}",
		  "build 0: the build is a number, not an object" },
		{ "a number as text", false, 200, "{'builds':[{'number':'1'}]}",
		  "jenkins builds:checkout/main: build 0: number is a string, not an integer" },
		{ "a build number 0", false, 200, "{'builds':[{'number':0}]}",
		  "build 0: number is not positive" },
		{ "an unknown result", false, 200,
		  "{'builds':[{'number':1,'result':'WEIRD','timestamp':1}]}",
		  "build #1: result \"WEIRD\" is not a Jenkins result" },
		{ "a timestamp in text", false, 200,
		  "{'builds':[{'number':1,'timestamp':'2025-03-03T10:00:00Z'}]}",
		  "build #1: timestamp is a string, not an integer (milliseconds)" },
		{ "a negative timestamp", false, 200, "{'builds':[{'number':1,'timestamp':-5}]}",
		  "build #1: timestamp is out of range" },
		{ "building as text", false, 200, "{'builds':[{" GOOD_BUILD ",'building':'no'}]}",
		  "build #1: building is a string, not a boolean" },
		{ "causes not an array", false, 200,
		  "{'builds':[{" GOOD_BUILD ",'actions':[{'causes':{}}]}]}",
		  "build #1: causes is an object, not an array" },
		{ "a sha as a number", false, 200,
		  "{'builds':[{" GOOD_BUILD
		  ",'actions':[{'lastBuiltRevision':{'SHA1':12,'branch':[]}}]}]}",
		  "build #1: lastBuiltRevision.SHA1 is a number, not a string" },
		{ "a parameter without a name", false, 200,
		  "{'builds':[{" GOOD_BUILD ",'actions':[{'parameters':[{'value':'x'}]}]}]}",
		  "build #1: parameters[] has no name" },
		{ "a commit id as a number", false, 200,
		  "{'builds':[{" GOOD_BUILD ",'changeSets':[{'items':[{'commitId':5}]}]}]}",
		  "build #1: items[].commitId is a number, not a string" },
		{ "a control character", false, 200,
		  "{'builds':[{'number':1,'result':'\\u001b[2Jbad','timestamp':1}]}",
		  "build #1: result \"bad\" is not a Jenkins result" },
		/* The describe of #5. */
		{ "a describe failing", true, 500, "<html>boom</html>",
		  "jenkins builds:checkout/main: build #5: wfapi/describe: HTTP 500 (a Jenkins "
		  "server error)" },
		{ "a describe not JSON", true, 200, "{'status':", "the response is not JSON" },
		{ "an unknown run status", true, 200, "{'status':'FAILURE','stages':[]}",
		  "build #5: the wfapi status \"FAILURE\" is not a wfapi status" },
		{ "stages not an array", true, 200, "{'status':'SUCCESS','stages':{}}",
		  "build #5: wfapi stages is an object, not an array" },
		{ "an unknown stage status", true, 200,
		  "{'status':'SUCCESS','stages':[{'name':'a','status':'SUCCESS'},{'name':'b',"
		  "'status':'FAILURE'}]}",
		  "build #5: stages[1].status \"FAILURE\" is not a wfapi status" },
		{ "a stage without a name", true, 200,
		  "{'status':'SUCCESS','stages':[{'status':'SUCCESS'}]}",
		  "build #5: stages[0].name is missing" },
		{ "a stage time in text", true, 200,
		  "{'status':'SUCCESS','stages':[{'name':'a','status':'SUCCESS',"
		  "'startTimeMillis':'now'}]}",
		  "build #5: startTimeMillis is a string, not an integer (milliseconds)" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

static void
source_jenkins__unknown_stream_is_an_error(void **state)
{
	struct source_page page;
	struct harness h;

	(void)state;
	harness_init(&h, NULL, NULL);
	assert_int_equal(parse(&h, "alerts", BASE "/api/json", 200, "{}", &page),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "jenkins alerts: not a stream of this source");
	source_page_release(&page);
	harness_release(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_jenkins__fixture_build_without_wfapi_is_its_own_stage),
		cmocka_unit_test(source_jenkins__failed_run_stages_and_deployments),
		cmocka_unit_test(source_jenkins__unstable_run_is_failed),
		cmocka_unit_test(source_jenkins__in_progress_run),
		cmocka_unit_test(source_jenkins__paused_for_input_is_waiting),
		cmocka_unit_test(source_jenkins__job_api_without_tree_is_refused),
		cmocka_unit_test(source_jenkins__round_reads_new_and_running_builds_only),
		cmocka_unit_test(source_jenkins__full_page_of_new_builds_pages_on),
		cmocka_unit_test(source_jenkins__first_round_and_renumbered_job),
		cmocka_unit_test(source_jenkins__describe_out_of_turn_is_refused),
		cmocka_unit_test(source_jenkins__causes_give_event_and_actor),
		cmocka_unit_test(source_jenkins__git_build_data_gives_ref_sha_and_project),
		cmocka_unit_test(source_jenkins__deploy_job_is_a_deployment),
		cmocka_unit_test(source_jenkins__deploy_job_environment_kind_and_status),
		cmocka_unit_test(source_jenkins__deploy_stages_are_deployments_per_environment),
		cmocka_unit_test(source_jenkins__plan_lists_each_job_with_basic_auth),
		cmocka_unit_test(source_jenkins__plan_refuses_bad_jobs_and_no_url),
		cmocka_unit_test(source_jenkins__discovery_finds_jobs_in_folders),
		cmocka_unit_test(source_jenkins__bad_responses_name_the_problem),
		cmocka_unit_test(source_jenkins__unknown_stream_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
