/* test_source_github.c - the GitHub source: recorded GitHub payloads (workflow runs
 * with startup failures, an older run list without run_started_at, a run's jobs,
 * deployments with string and object payloads, deployment statuses, a secondary
 * rate limit) parsed into exact pipelines, stages and deployments; passes carried by
 * the cursor from the list to the details and resumed by the plan; what a later pass
 * reads again; the requests a round plans; and tables of statuses, deployment
 * outcomes, kinds and bad responses, each with the error it must give. Nothing here
 * opens a socket: responses are handed to ops->parse as the engine would, and a small
 * fake engine keeps the committed cursor between pages. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

#define API "https://api.github.com"
#define REPO "hub4j-test-org/GHWorkflowRunTest"
#define RUNS_STREAM "runs:" REPO
#define DEPLOY_STREAM "deployments:" REPO
#define RUNS_URL API "/repos/" REPO "/actions/runs?per_page=100&exclude_pull_requests=true"
#define JOBS_URL(id) API "/repos/" REPO "/actions/runs/" id "/jobs?per_page=100"
#define RUN_URL(id) API "/repos/" REPO "/actions/runs/" id "?exclude_pull_requests=true"
#define DEPLOY_URL API "/repos/" REPO "/deployments?per_page=100"
#define STATUSES_URL(id) API "/repos/" REPO "/deployments/" id "/statuses?per_page=100"

/*
 * A fake engine: the stream's committed cursor, moved by every parsed page
 */

struct engine {
	char *cursor;
};

static const char *
cursor_of(void *arg, const char *stream)
{
	(void)stream;
	return ((struct engine *)arg)->cursor;
}

static void
engine_set(struct engine *e, const char *cursor)
{
	free(e->cursor);
	e->cursor = cursor ? xstrdup(cursor) : NULL;
}

struct fixture {
	struct test_source t;
	struct engine e;
	struct source_ctx ctx;
};

static const struct source_ops *
ops(void)
{
	return test_ops("github");
}

/* [source "gh"] type = github, url as config_load leaves the default, one repo. */
static void
fixture_init(struct fixture *f, const char *now, const char *cursor)
{
	memset(f, 0, sizeof(*f));
	test_source_init(&f->t, "gh", "github", API, NULL);
	add_value(&f->t, "repo", REPO);
	f->e.cursor = cursor ? xstrdup(cursor) : NULL;
	f->ctx.name = "gh";
	f->ctx.config = &f->t.src;
	f->ctx.secret = "t0ken";
	f->ctx.now = ts(now);
	f->ctx.cursor = cursor_of;
	f->ctx.engine = &f->e;
}

static void
fixture_release(struct fixture *f)
{
	source_release(&f->t);
	free(f->e.cursor);
}

/* Parses resp as the answer to url on stream; on success the page's cursor becomes
 * the stored one, as the engine's commit does. */
static enum status_code
parse(struct fixture *f, const char *stream, const char *url, const struct http_response *resp,
      struct source_page *page)
{
	enum status_code code =
		test_parse_get("github", &f->ctx, stream, url, NULL, NULL, resp, page);

	if (code == SUCCESS && page->cursor)
		engine_set(&f->e, page->cursor);
	return code;
}

static enum status_code
parse_text(struct fixture *f, const char *stream, const char *url, const char *body,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_text(&resp, 200, body);
	code = parse(f, stream, url, &resp, page);
	response_release(&resp);
	return code;
}

static enum status_code
parse_file(struct fixture *f, const char *stream, const char *url, const char *name,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_file(&resp, 200, name);
	code = parse(f, stream, url, &resp, page);
	response_release(&resp);
	return code;
}

/* The stored cursor, parsed (new reference). */
static json_t *
cursor_json(const struct fixture *f)
{
	json_t *root;

	assert_non_null(f->e.cursor);
	root = json_loads(f->e.cursor, 0, NULL);
	assert_non_null(root);
	return root;
}

static const char *
header_of(const struct source_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (streq(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

static void
assert_github_headers(const struct source_request *req, const char *token)
{
	assert_string_equal(header_of(req, "Accept"), "application/vnd.github+json");
	assert_string_equal(header_of(req, "X-GitHub-Api-Version"), "2022-11-28");
	if (token) {
		char *want = xasprintf("Bearer %s", token);

		assert_string_equal(header_of(req, "Authorization"), want);
		free(want);
	} else {
		assert_null(header_of(req, "Authorization"));
	}
}

/* A recorded response from its WireMock mapping: status, headers, and the body
 * inline or, when body_file is set, from that fixture (the bodyFileName). */
static void
response_from_mapping(struct http_response *resp, const char *name, const char *body_file)
{
	char *text = fixture_text(name, NULL);
	json_t *root = json_loads(text, 0, NULL), *r = json_object_get(root, "response"), *v;
	long status;
	const char *key;

	assert_non_null(r);
	status = (long)json_integer_value(json_object_get(r, "status"));
	if (body_file)
		response_file(resp, status, body_file);
	else
		response_text(resp, status, json_string_value(json_object_get(r, "body")));
	json_object_foreach(json_object_get(r, "headers"), key, v)
	{
		if (json_is_string(v))
			response_header(resp, key, json_string_value(v));
	}
	json_decref(root);
	free(text);
}

/* One run as the list shows it (the recorded payloads' fields, our values). */
static char *
run_json(const char *id, int number, const char *status, const char *conclusion,
	 const char *created, const char *updated)
{
	return xasprintf("{\"id\":%s,\"name\":\"CI\",\"head_branch\":\"main\",\"head_sha\":"
			 "\"abc%s\",\"run_number\":%d,\"event\":\"push\",\"status\":\"%s\","
			 "\"conclusion\":%s%s%s,\"html_url\":\"https://github.com/" REPO
			 "/actions/runs/%s\",\"created_at\":\"%s\",\"updated_at\":\"%s\","
			 "\"run_started_at\":\"%s\",\"actor\":{\"login\":\"dana\"}}",
			 id, id, number, status, conclusion ? "\"" : "",
			 conclusion ? conclusion : "null", conclusion ? "\"" : "", id, created,
			 updated, created);
}

static char *
runs_page(size_t n, char **runs)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "{\"total_count\":%zu,\"workflow_runs\":[", n);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? "," : "", runs[i]);
		free(runs[i]);
	}
	buf_addstr(&b, "]}");
	return buf_detach(&b);
}

static const char *
item_text(const json_t *item, const char *key)
{
	return json_string_value(json_object_get(item, key));
}

/*
 * Plan
 */

static void
source_github__plan_three_streams_per_repo(void **state)
{
	struct source_request *reqs = NULL;
	struct fixture f;
	size_t n = 0;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
	add_value(&f.t, "repo", "acme/shop.web_2");
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 6);
	assert_string_equal(reqs[0].stream, RUNS_STREAM);
	assert_string_equal(reqs[0].method, "GET");
	assert_string_equal(reqs[0].url, RUNS_URL);
	assert_github_headers(&reqs[0], "t0ken");
	assert_string_equal(reqs[1].stream, DEPLOY_STREAM);
	assert_string_equal(reqs[1].url, DEPLOY_URL);
	assert_github_headers(&reqs[1], "t0ken");
	assert_string_equal(reqs[2].stream, "branches:" REPO);
	assert_string_equal(reqs[2].url, API "/repos/" REPO "/branches?per_page=100");
	assert_github_headers(&reqs[2], "t0ken");
	assert_string_equal(reqs[3].stream, "runs:acme/shop.web_2");
	assert_string_equal(reqs[3].url, API "/repos/acme/shop.web_2/actions/runs?per_page=100"
					     "&exclude_pull_requests=true");
	assert_string_equal(reqs[4].url, API "/repos/acme/shop.web_2/deployments?per_page=100");
	assert_string_equal(reqs[5].url, API "/repos/acme/shop.web_2/branches?per_page=100");
	source_requests_free(reqs, n);

	/* Public repositories: no token, no Authorization. An Enterprise url with a
	 * trailing slash. */
	f.ctx.secret = NULL;
	free(f.t.values[1].value);
	f.t.values[1].value = xstrdup("https://ghe.example.com/api/v3/");
	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[0].url, "https://ghe.example.com/api/v3/repos/" REPO
					 "/actions/runs?per_page=100&exclude_pull_requests=true");
	assert_int_equal(reqs[0].n_headers, 2);
	assert_github_headers(&reqs[0], NULL);
	source_requests_free(reqs, n);
	fixture_release(&f);
}

static void
source_github__plan_refuses_bad_config(void **state)
{
	static const struct {
		const char *repo; /* NULL: none */
		const char *error;
	} cases[] = {
		{ NULL, "github gh: no repo configured" },
		{ "acme", "github gh: repo \"acme\" is not OWNER/NAME (line 4)" },
		{ "acme/", "github gh: repo \"acme/\" is not OWNER/NAME (line 4)" },
		{ "/shop", "github gh: repo \"/shop\" is not OWNER/NAME (line 4)" },
		{ "acme/shop/x", "github gh: repo \"acme/shop/x\" is not OWNER/NAME (line 4)" },
		{ "ac me/shop", "github gh: repo \"ac me/shop\" is not OWNER/NAME (line 4)" },
		{ "acme/..", "github gh: repo \"acme/..\" is not OWNER/NAME (line 4)" },
		{ "acme/sh?op", "github gh: repo \"acme/sh?op\" is not OWNER/NAME (line 4)" },
		{ "ac_me/shop", "github gh: repo \"ac_me/shop\" is not OWNER/NAME (line 4)" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct source_request *reqs = NULL;
		struct fixture f;
		size_t n = 0;

		fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
		free(f.t.values[2].value);
		free(f.t.values[2].key);
		f.t.src.n_values = 2;
		if (cases[i].repo)
			add_value(&f.t, "repo", cases[i].repo);
		assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error);
		source_requests_free(reqs, n);
		fixture_release(&f);
	}
}

/* A pass that broke off is resumed where it stopped, not at the list (whose 304
 * would end the stream with the work undone); running deployments are read first. */
static void
source_github__plan_resumes_the_pass(void **state)
{
	static const struct {
		const char *cursor, *runs_url, *deploy_url;
	} cases[] = {
		{ NULL, RUNS_URL, DEPLOY_URL },
		{ "not json", RUNS_URL, DEPLOY_URL },
		{ "{\"mark\":\"7\",\"since\":1740990000}", RUNS_URL, DEPLOY_URL },
		{ "{\"mark\":\"7\",\"pass\":{\"todo\":[{\"id\":\"9\"},{\"id\":\"8\"}],\"listed\":"
		  "true}}",
		  JOBS_URL("9"), STATUSES_URL("9") },
		{ "{\"pass\":{\"todo\":[{\"id\":\"9\",\"refresh\":1740990000}],\"listed\":true}}",
		  RUN_URL("9"), STATUSES_URL("9") },
		{ "{\"pass\":{\"todo\":[{\"id\":\"9\",\"next\":\"" API
		  "/repositories/5/actions/runs/"
		  "9/jobs?per_page=100&page=2\"}],\"listed\":true}}",
		  API "/repositories/5/actions/runs/9/jobs?per_page=100&page=2",
		  STATUSES_URL("9") },
		{ "{\"pass\":{\"todo\":[],\"next\":\"" API "/repositories/5/actions/runs?page=3\","
		  "\"listed\":true}}",
		  API "/repositories/5/actions/runs?page=3",
		  API "/repositories/5/actions/runs?page=3" },
		/* A pass of a shape this source never writes is dropped. */
		{ "{\"pass\":{\"todo\":[{\"id\":\"x\"}]}}", RUNS_URL, DEPLOY_URL },
		{ "{\"pass\":{\"todo\":{}}}", RUNS_URL, DEPLOY_URL },
		/* Deployments still running at the end of the last pass come first. */
		{ "{\"mark\":\"12\",\"open\":{\"12\":{\"id\":\"12\",\"environment\":\"production\"}"
		  "}}",
		  RUNS_URL, STATUSES_URL("12") },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct source_request *reqs = NULL;
		struct fixture f;
		size_t n = 0;

		fixture_init(&f, "2025-03-03T10:00:00Z", cases[i].cursor);
		assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
		assert_int_equal(n, 3);
		if (!streq(reqs[0].url, cases[i].runs_url) ||
		    !streq(reqs[1].url, cases[i].deploy_url))
			fail_msg("case %zu: %s and %s", i, reqs[0].url, reqs[1].url);
		assert_github_headers(&reqs[0], "t0ken");
		source_requests_free(reqs, n);
		fixture_release(&f);
	}
}

/*
 * Runs
 */

/* The recorded list of four startup failures (2023-11-08), read a day later: a
 * first pass, so all four are new. The list's page writes nothing: each run is
 * written by its jobs page, whole. */
static void
source_github__runs_list_starts_a_pass(void **state)
{
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	json_t *cursor, *pass, *todo, *item;

	(void)state;
	fixture_init(&f, "2023-11-09T12:00:00Z", NULL);
	/* As recorded: the body, and the headers (a weak ETag, the rate limit's). */
	response_from_mapping(
		&resp,
		"github/actions-workflow-runs-list-startup-failure.wiremock-mapping-headers.json",
		"github/actions-workflow-runs-list-startup-failure.json");
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_int_equal(source_page_records(&page), 0);
	assert_non_null(page.next);
	assert_string_equal(page.next->stream, RUNS_STREAM);
	assert_string_equal(page.next->url, JOBS_URL("6804432015"));
	assert_github_headers(page.next, "t0ken");

	cursor = cursor_json(&f);
	pass = json_object_get(cursor, "pass");
	assert_non_null(pass);
	assert_null(json_object_get(cursor, "mark")); /* no complete pass yet */
	assert_string_equal(item_text(pass, "mark"), "6804432015");
	assert_int_equal(json_integer_value(json_object_get(pass, "since")),
			 ts("2023-11-08T21:53:29Z"));
	assert_true(json_is_true(json_object_get(pass, "listed")));
	assert_null(json_object_get(pass, "next"));
	todo = json_object_get(pass, "todo");
	assert_int_equal(json_array_size(todo), 4);
	assert_string_equal(item_text(json_array_get(todo, 0), "id"), "6804432015");
	assert_string_equal(item_text(json_array_get(todo, 1), "id"), "6804363049");
	assert_string_equal(item_text(json_array_get(todo, 2), "id"), "6804324440");
	assert_string_equal(item_text(json_array_get(todo, 3), "id"), "6804095195");
	item = json_array_get(todo, 1);
	/* A run of a workflow file that does not parse is named by its path. */
	assert_string_equal(item_text(item, "name"),
			    ".github/workflows/startup-failure-workflow.yml");
	assert_string_equal(item_text(item, "status"), "failed");
	assert_int_equal(json_integer_value(json_object_get(item, "number")), 3);
	assert_int_equal(json_object_size(json_object_get(pass, "open")), 0);
	json_decref(cursor);
	source_page_release(&page);
	fixture_release(&f);
}

/* The pass goes on with each run's jobs (none for a run that never started) and ends
 * with the last: the marks become the cursor's. */
static void
source_github__jobs_pages_write_the_runs(void **state)
{
	static const char *const ids[] = { "6804432015", "6804363049", "6804324440", "6804095195" };
	const char *empty = "{\"total_count\":0,\"jobs\":[]}";
	const struct store_pipeline *p;
	struct source_page page;
	struct fixture f;
	json_t *cursor;
	char *url;

	(void)state;
	fixture_init(&f, "2023-11-09T12:00:00Z", NULL);
	assert_int_equal(parse_file(&f, RUNS_STREAM, RUNS_URL,
				    "github/actions-workflow-runs-list-startup-failure.json",
				    &page),
			 SUCCESS);
	source_page_release(&page);

	url = xasprintf(API "/repos/" REPO "/actions/runs/%s/jobs?per_page=100", ids[0]);
	assert_int_equal(parse_text(&f, RUNS_STREAM, url, empty, &page), SUCCESS);
	free(url);
	assert_int_equal(page.n_pipelines, 1);
	p = &page.pipelines[0];
	assert_string_equal(p->source, "gh");
	assert_string_equal(p->source_id, "6804432015");
	assert_string_equal(p->project, REPO);
	assert_string_equal(p->service, "GHWorkflowRunTest");
	assert_string_equal(p->name, "Broken Workflow");
	assert_int_equal(p->number, 4);
	assert_string_equal(p->ref, "main");
	assert_string_equal(p->sha, "e8b2761bda453495d1ae25941b5b380b07deae52");
	assert_string_equal(p->event, "push");
	assert_string_equal(p->actor, "yasin-herken");
	assert_string_equal(p->status, "failed");
	assert_int_equal(p->queued_at, ts("2023-11-08T21:53:13Z"));
	assert_int_equal(p->started_at, ts("2023-11-08T21:53:13Z"));
	assert_int_equal(p->finished_at, ts("2023-11-08T21:53:29Z"));
	assert_int_equal(p->updated_at, ts("2023-11-08T21:53:29Z"));
	assert_string_equal(p->url, "https://github.com/" REPO "/actions/runs/6804432015");
	assert_int_equal(p->n_stages, 0);
	assert_string_equal(page.next->url, JOBS_URL("6804363049"));
	source_page_release(&page);

	for (size_t i = 1; i < ARRAY_SIZE(ids); i++) {
		url = xasprintf(API "/repos/" REPO "/actions/runs/%s/jobs?per_page=100", ids[i]);
		assert_int_equal(parse_text(&f, RUNS_STREAM, url, empty, &page), SUCCESS);
		free(url);
		assert_int_equal(page.n_pipelines, 1);
		assert_string_equal(page.pipelines[0].source_id, ids[i]);
		if (i + 1 < ARRAY_SIZE(ids))
			assert_non_null(page.next);
		else
			assert_null(page.next);
		source_page_release(&page);
	}
	cursor = cursor_json(&f);
	assert_null(json_object_get(cursor, "pass"));
	assert_string_equal(item_text(cursor, "mark"), "6804432015");
	assert_int_equal(json_integer_value(json_object_get(cursor, "since")),
			 ts("2023-11-08T21:53:29Z"));
	assert_int_equal(json_object_size(json_object_get(cursor, "open")), 0);
	json_decref(cursor);
	fixture_release(&f);
}

/* The recorded jobs of run 719643947 become its stages, in the API's order. */
static void
source_github__jobs_become_stages(void **state)
{
	const char *cursor =
		"{\"pass\":{\"mark\":\"719643947\",\"todo\":[{\"id\":\"719643947\",\"name\":"
		"\"Fast workflow\",\"number\":56,\"ref\":\"main\",\"sha\":\"c7bd3b8db871bbde8629"
		"275631ea645622ae89d7\",\"event\":\"workflow_dispatch\",\"status\":\"success\","
		"\"queued\":1617637373,\"started\":1617637373,\"finished\":1617637400,\"updated\":"
		"1617637400}],\"listed\":true}}";
	char kind[] = "test", pattern[] = "job1";
	struct config_rule rule = { .kind = kind, .pattern = pattern };
	const struct store_stage *st;
	const struct store_pipeline *p;
	struct source_page page;
	struct fixture f;
	json_t *root;

	(void)state;
	fixture_init(&f, "2021-04-06T00:00:00Z", cursor);
	f.ctx.stage_rules = &rule;
	f.ctx.n_stage_rules = 1;
	assert_int_equal(parse_file(&f, RUNS_STREAM, JOBS_URL("719643947"),
				    "github/actions-run-jobs-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	p = &page.pipelines[0];
	assert_string_equal(p->source_id, "719643947");
	assert_string_equal(p->name, "Fast workflow");
	assert_int_equal(p->number, 56);
	assert_int_equal(p->finished_at, 1617637400);
	assert_null(p->actor);
	assert_int_equal(p->n_stages, 2);
	st = &p->stages[0];
	assert_string_equal(st->name, "job2");
	assert_null(st->kind); /* no rule, no usual name */
	assert_string_equal(st->status, "success");
	assert_int_equal(st->started_at, ts("2021-04-05T15:42:56Z"));
	assert_int_equal(st->finished_at, ts("2021-04-05T15:42:57Z"));
	assert_true(isnan(st->coverage));
	assert_string_equal(st->url, "https://github.com/" REPO "/runs/2270858576");
	st = &p->stages[1];
	assert_string_equal(st->name, "job1");
	assert_string_equal(st->kind, "test"); /* the [stages] rule */
	assert_int_equal(st->started_at, ts("2021-04-05T15:42:57Z"));
	assert_int_equal(st->finished_at, ts("2021-04-05T15:42:59Z"));
	assert_string_equal(st->url, "https://github.com/" REPO "/runs/2270858630");
	assert_null(page.next);
	root = cursor_json(&f);
	assert_null(json_object_get(root, "pass"));
	assert_string_equal(item_text(root, "mark"), "719643947");
	json_decref(root);
	source_page_release(&page);

	/* Jobs that are not of the run the pass reads next are refused. */
	engine_set(&f.e, cursor);
	assert_int_equal(parse_file(&f, RUNS_STREAM, JOBS_URL("719643948"),
				    "github/actions-run-jobs-list.json", &page),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " RUNS_STREAM ": the jobs of run 719643948: not what this "
			    "pass reads next");
	source_page_release(&page);
	fixture_release(&f);
}

/* Payloads from before run_started_at and actor (2021): the run started when it was
 * created, and no one is named. */
static void
source_github__older_run_payload(void **state)
{
	struct source_page page;
	struct fixture f;
	json_t *cursor, *item;

	(void)state;
	fixture_init(&f, "2021-03-26T00:00:00Z", NULL);
	assert_int_equal(
		parse_file(&f, RUNS_STREAM, RUNS_URL,
			   "github/actions-workflow-runs-list-filter-branch-status-event.json",
			   &page),
		SUCCESS);
	source_page_release(&page);
	cursor = cursor_json(&f);
	item = json_array_get(json_object_get(json_object_get(cursor, "pass"), "todo"), 0);
	assert_string_equal(item_text(item, "id"), "686039314");
	assert_string_equal(item_text(item, "ref"), "second-branch");
	assert_string_equal(item_text(item, "event"), "workflow_dispatch");
	assert_null(json_object_get(item, "actor"));
	assert_int_equal(json_integer_value(json_object_get(item, "started")),
			 ts("2021-03-25T09:38:23Z"));
	json_decref(cursor);

	assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("686039314"),
				    "{\"total_count\":0,\"jobs\":[]}", &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].name, "Fast workflow");
	assert_int_equal(page.pipelines[0].number, 54);
	assert_string_equal(page.pipelines[0].status, "success");
	assert_int_equal(page.pipelines[0].queued_at, ts("2021-03-25T09:38:23Z"));
	assert_int_equal(page.pipelines[0].started_at, ts("2021-03-25T09:38:23Z"));
	assert_int_equal(page.pipelines[0].finished_at, ts("2021-03-25T09:38:42Z"));
	assert_null(page.pipelines[0].actor);
	source_page_release(&page);
	fixture_release(&f);
}

/* status and conclusion, for runs and jobs alike. */
static void
source_github__run_statuses(void **state)
{
	static const struct {
		const char *status, *conclusion, *want;
		bool started, finished;
	} cases[] = {
		{ "queued", NULL, "queued", false, false },
		{ "requested", NULL, "queued", false, false },
		{ "pending", NULL, "queued", false, false },
		{ "in_progress", NULL, "running", true, false },
		{ "waiting", NULL, "waiting", true, false },
		{ "completed", "success", "success", true, true },
		{ "completed", "neutral", "success", true, true },
		{ "completed", "failure", "failed", true, true },
		{ "completed", "timed_out", "failed", true, true },
		{ "completed", "startup_failure", "failed", true, true },
		{ "completed", "cancelled", "canceled", true, true },
		{ "completed", "stale", "canceled", true, true },
		{ "completed", "skipped", "skipped", true, true },
		{ "completed", "action_required", "waiting", true, true },
		{ "completed", "exploded", "failed", true, true },
		{ "completed", NULL, "failed", true, true },
		{ "reticulating", NULL, "running", true, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *runs[1] = { run_json("100", 1, cases[i].status, cases[i].conclusion,
					   "2025-03-03T09:00:00Z", "2025-03-03T09:05:00Z") };
		char *body = runs_page(1, runs), *jobs;
		struct source_page page;
		struct fixture f;
		const struct store_stage *st;

		fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
		assert_int_equal(parse_text(&f, RUNS_STREAM, RUNS_URL, body, &page), SUCCESS);
		source_page_release(&page);
		jobs = xasprintf("{\"total_count\":1,\"jobs\":[{\"id\":7,\"name\":\"build\","
				 "\"status\":\"%s\",\"conclusion\":%s%s%s,\"started_at\":"
				 "\"2025-03-03T09:01:00Z\",\"completed_at\":%s,\"html_url\":null,"
				 "\"steps\":[{\"name\":\"Set up job\",\"number\":1}]}]}",
				 cases[i].status, cases[i].conclusion ? "\"" : "",
				 cases[i].conclusion ? cases[i].conclusion : "null",
				 cases[i].conclusion ? "\"" : "",
				 cases[i].finished ? "\"2025-03-03T09:04:00Z\"" : "null");
		assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("100"), jobs, &page),
				 SUCCESS);
		if (!streq(page.pipelines[0].status, cases[i].want))
			fail_msg("%s/%s: run %s, want %s", cases[i].status,
				 cases[i].conclusion ? cases[i].conclusion : "null",
				 page.pipelines[0].status, cases[i].want);
		assert_int_equal(page.pipelines[0].started_at,
				 cases[i].started ? ts("2025-03-03T09:00:00Z") : TIME_NONE);
		assert_int_equal(page.pipelines[0].finished_at,
				 cases[i].finished ? ts("2025-03-03T09:05:00Z") : TIME_NONE);
		st = &page.pipelines[0].stages[0];
		assert_string_equal(st->status, cases[i].want);
		assert_string_equal(st->kind, "build");
		/* A queued, waiting or skipped job has not run, whatever its times say. */
		assert_int_equal(st->started_at,
				 cases[i].started && !streq(cases[i].status, "waiting") &&
						 !streq(cases[i].want, "skipped")
					 ? ts("2025-03-03T09:01:00Z")
					 : TIME_NONE);
		assert_int_equal(st->finished_at,
				 cases[i].finished && !streq(cases[i].want, "skipped")
					 ? ts("2025-03-03T09:04:00Z")
					 : TIME_NONE);
		assert_null(st->url);
		source_page_release(&page);
		free(jobs);
		free(body);
		fixture_release(&f);
	}
}

/* A later pass reads again only what is new or changed, stops at the mark (even
 * with a next link), and reads the open runs the list no longer shows one by one. */
static void
source_github__later_pass_reads_changes(void **state)
{
	const char *cursor = "{\"mark\":\"200\",\"since\":1740992400,\"open\":{\"199\":"
			     "1740992000,\"198\":1740991000,\"150\":1740990000}}";
	char *runs[] = {
		run_json("202", 12, "queued", NULL, "2025-03-03T09:50:00Z",
			 "2025-03-03T09:50:00Z"), /* new */
		run_json("201", 11, "completed", "success", "2025-03-03T09:30:00Z",
			 "2025-03-03T09:40:00Z"), /* new */
		run_json("200", 10, "completed", "success", "2025-03-03T08:00:00Z",
			 "2025-03-03T08:58:00Z"), /* known, unchanged */
		run_json("199", 9, "in_progress", NULL, "2025-03-03T08:00:00Z",
			 "2025-03-03T08:53:20Z"), /* open, unchanged */
		run_json("198", 8, "completed", "failure", "2025-03-03T08:00:00Z",
			 "2025-03-03T08:40:00Z"), /* was open, now over */
		run_json("197", 7, "in_progress", NULL, "2025-03-03T07:00:00Z",
			 "2025-03-03T09:55:00Z"), /* re-run since */
	};
	char *body = runs_page(ARRAY_SIZE(runs), runs);
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	json_t *root, *pass, *todo;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	response_text(&resp, 200, body);
	response_header(&resp, "Link",
			"<" API "/repositories/5/actions/runs?per_page=100&page=2>; rel=\"next\"");
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), SUCCESS);
	response_release(&resp);
	root = cursor_json(&f);
	pass = json_object_get(root, "pass");
	todo = json_object_get(pass, "todo");
	assert_int_equal(json_array_size(todo), 5);
	assert_string_equal(item_text(json_array_get(todo, 0), "id"), "202");
	assert_string_equal(item_text(json_array_get(todo, 1), "id"), "201");
	assert_string_equal(item_text(json_array_get(todo, 2), "id"), "198");
	assert_string_equal(item_text(json_array_get(todo, 3), "id"), "197");
	/* 150 was open and is not on the page: read alone at the end. */
	assert_string_equal(item_text(json_array_get(todo, 4), "id"), "150");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(todo, 4), "refresh")),
			 1740990000);
	assert_null(json_object_get(pass, "next")); /* the mark is on this page */
	assert_string_equal(item_text(pass, "mark"), "202");
	assert_int_equal(json_integer_value(json_object_get(pass, "since")),
			 ts("2025-03-03T09:55:00Z"));
	assert_int_equal(json_object_size(json_object_get(pass, "open")), 3);
	assert_non_null(json_object_get(json_object_get(pass, "open"), "202"));
	assert_non_null(json_object_get(json_object_get(pass, "open"), "199"));
	assert_non_null(json_object_get(json_object_get(pass, "open"), "197"));
	/* The last complete pass's marks stay until this one is complete. */
	assert_string_equal(item_text(root, "mark"), "200");
	json_decref(root);
	source_page_release(&page);
	free(body);
	fixture_release(&f);
}

/* Without the mark on the page, the Link header's next page (as given, in the
 * /repositories/ID form) follows once the page's runs are read. */
static void
source_github__list_pages_follow_the_link(void **state)
{
	const char *next = API "/repositories/617210/actions/runs?per_page=100&page=2";
	char *runs[] = { run_json("302", 2, "completed", "success", "2025-03-03T09:50:00Z",
				  "2025-03-03T09:51:00Z") };
	char *body = runs_page(1, runs),
	     *link = xasprintf("<%s>; rel=\"next\", <" API "/repositories/617210/actions/runs?"
			       "per_page=100&page=4>; rel=\"last\"",
			       next);
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", "{\"mark\":\"200\",\"since\":1740992400}");
	response_text(&resp, 200, body);
	response_header(&resp, "Link", link);
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_string_equal(page.next->url, JOBS_URL("302"));
	source_page_release(&page);
	assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("302"),
				    "{\"total_count\":0,\"jobs\":[]}", &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_string_equal(page.next->url, next);
	source_page_release(&page);

	/* The second page: not the first, so the stored ETag (the first page's) stays. */
	runs[0] = run_json("200", 1, "completed", "success", "2025-03-03T08:00:00Z",
			   "2025-03-03T08:58:00Z");
	free(body);
	body = runs_page(1, runs);
	assert_int_equal(parse_text(&f, RUNS_STREAM, next, body, &page), SUCCESS);
	assert_null(page.next);
	assert_int_equal(source_page_records(&page), 0);
	source_page_release(&page);
	free(body);
	free(link);
	fixture_release(&f);
}

/* A list whose next page is itself would loop through its runs' jobs forever. */
static void
source_github__list_naming_itself_is_refused(void **state)
{
	char *runs[] = { run_json("302", 2, "completed", "success", "2025-03-03T09:50:00Z",
				  "2025-03-03T09:51:00Z") };
	char *body = runs_page(1, runs);
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", "{\"mark\":\"200\",\"since\":1740992400}");
	response_text(&resp, 200, body);
	response_header(&resp, "Link", "<" RUNS_URL ">; rel=\"next\"");
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " RUNS_STREAM ": the pagination cursor did not advance: the "
			    "list's next page is the page itself");
	assert_string_equal(f.e.cursor, "{\"mark\":\"200\",\"since\":1740992400}");
	response_release(&resp);
	source_page_release(&page);
	free(body);
	fixture_release(&f);
}

/* An open run read alone: unchanged it is done with; changed, its jobs come next. */
static void
source_github__open_run_read_alone(void **state)
{
	const char *cursor = "{\"mark\":\"300\",\"since\":1740990000,\"pass\":{\"mark\":\"300\","
			     "\"todo\":[{\"id\":\"150\",\"refresh\":1740990000}],\"listed\":true}}";
	char *run = run_json("150", 1, "in_progress", NULL, "2025-03-03T08:00:00Z",
			     "2025-03-03T08:20:00Z");
	struct source_page page;
	struct fixture f;
	json_t *root;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	assert_int_equal(parse_text(&f, RUNS_STREAM, RUN_URL("150"), run, &page), SUCCESS);
	assert_null(page.next);
	assert_int_equal(source_page_records(&page), 0);
	root = cursor_json(&f);
	assert_null(json_object_get(root, "pass"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "open"), "150")),
			 1740990000);
	json_decref(root);
	source_page_release(&page);
	free(run);

	engine_set(&f.e, cursor);
	run = run_json("150", 1, "completed", "cancelled", "2025-03-03T08:00:00Z",
		       "2025-03-03T09:30:00Z");
	assert_int_equal(parse_text(&f, RUNS_STREAM, RUN_URL("150"), run, &page), SUCCESS);
	assert_string_equal(page.next->url, JOBS_URL("150"));
	source_page_release(&page);
	assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("150"),
				    "{\"total_count\":0,\"jobs\":[]}", &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].status, "canceled");
	assert_int_equal(page.pipelines[0].finished_at, ts("2025-03-03T09:30:00Z"));
	root = cursor_json(&f);
	assert_int_equal(json_object_size(json_object_get(root, "open")), 0);
	json_decref(root);
	source_page_release(&page);
	free(run);

	source_page_release(&page);
	fixture_release(&f);
}

/* A detail answered 404: deleted, or the repository no longer readable (GitHub
 * answers 404 to both). The repository tells: readable, the item is dropped and the
 * pass goes on; not, the stream fails and the item stays to be read. */
static void
source_github__missing_detail_checks_the_repository(void **state)
{
	const char *cursor = "{\"mark\":\"300\",\"since\":1740990000,\"pass\":{\"mark\":\"300\","
			     "\"todo\":[{\"id\":\"150\",\"refresh\":1740990000},{\"id\":\"151\","
			     "\"status\":\"success\"}],\"listed\":true}}";
	const char *check = API "/repos/" REPO "#sitrep-gone=150";
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	json_t *root;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	response_text(&resp, 404,
		      "{\"message\":\"Not Found\",\"documentation_url\":\"https://docs.github.com/"
		      "rest\",\"status\":\"404\"}");
	assert_int_equal(parse(&f, RUNS_STREAM, RUN_URL("150"), &resp, &page), SUCCESS);
	assert_null(page.cursor); /* unchanged until the repository answers */
	assert_string_equal(page.next->url, check);
	assert_github_headers(page.next, "t0ken");
	source_page_release(&page);

	/* The repository is readable: run 150 is gone; the run after it comes next. */
	assert_int_equal(
		parse_text(&f, RUNS_STREAM, check, "{\"id\":617210,\"name\":\"x\"}", &page),
		SUCCESS);
	assert_string_equal(page.next->url, JOBS_URL("151"));
	root = cursor_json(&f);
	assert_int_equal(json_array_size(json_object_get(json_object_get(root, "pass"), "todo")),
			 1);
	json_decref(root);
	source_page_release(&page);

	/* It is not: an error, and run 150 is still to read. */
	engine_set(&f.e, cursor);
	assert_int_equal(parse(&f, RUNS_STREAM, check, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " RUNS_STREAM ": HTTP 404: Not Found (check the repo, and that "
			    "the token may read it: GitHub answers 404 for a private repo it does "
			    "not show)");
	assert_string_equal(f.e.cursor, cursor);
	source_page_release(&page);
	/* The same for a deployment's statuses. */
	engine_set(&f.e, "{\"pass\":{\"todo\":[{\"id\":\"77\",\"environment\":\"p\"}],"
			 "\"listed\":true}}");
	assert_int_equal(parse(&f, DEPLOY_STREAM, STATUSES_URL("77"), &resp, &page), SUCCESS);
	assert_string_equal(page.next->url, API "/repos/" REPO "#sitrep-gone=77");
	source_page_release(&page);
	response_release(&resp);
	fixture_release(&f);
}

/* A run's jobs over several pages: collected, and written with the last page. */
static void
source_github__jobs_over_pages(void **state)
{
	const char *cursor = "{\"pass\":{\"todo\":[{\"id\":\"400\",\"status\":\"running\","
			     "\"updated\":1740990000}],\"listed\":true}}";
	const char *next = API "/repositories/5/actions/runs/400/jobs?per_page=100&page=2";
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	char *link = xasprintf("<%s>; rel=\"next\"", next);

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	response_text(&resp, 200,
		      "{\"total_count\":2,\"jobs\":[{\"name\":\"lint\",\"status\":\"completed\","
		      "\"conclusion\":\"success\",\"started_at\":\"2025-03-03T09:00:00Z\","
		      "\"completed_at\":\"2025-03-03T09:01:00Z\"}]}");
	response_header(&resp, "Link", link);
	assert_int_equal(parse(&f, RUNS_STREAM, JOBS_URL("400"), &resp, &page), SUCCESS);
	response_release(&resp);
	assert_int_equal(page.n_pipelines, 0);
	assert_string_equal(page.next->url, next);
	source_page_release(&page);
	assert_int_equal(parse_text(&f, RUNS_STREAM, next,
				    "{\"total_count\":2,\"jobs\":[{\"name\":\"deploy prod\","
				    "\"status\":\"in_progress\",\"conclusion\":null,\"started_at\":"
				    "\"2025-03-03T09:02:00Z\",\"completed_at\":null}]}",
				    &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_int_equal(page.pipelines[0].n_stages, 2);
	assert_string_equal(page.pipelines[0].stages[0].kind, "lint");
	assert_string_equal(page.pipelines[0].stages[1].name, "deploy prod");
	assert_string_equal(page.pipelines[0].stages[1].kind, "deploy");
	assert_string_equal(page.pipelines[0].stages[1].status, "running");
	assert_int_equal(page.pipelines[0].stages[1].finished_at, TIME_NONE);
	assert_null(page.next);
	source_page_release(&page);
	free(link);
	fixture_release(&f);
}

/* A job cancelled before a runner took it (no steps) never ran: GitHub stamps it
 * with the cancel as both start and completion. */
static void
source_github__cancelled_job_without_steps(void **state)
{
	const char *cursor = "{\"pass\":{\"todo\":[{\"id\":\"400\",\"status\":\"canceled\","
			     "\"updated\":1740990000}],\"listed\":true}}";
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	assert_int_equal(
		parse_text(
			&f, RUNS_STREAM, JOBS_URL("400"),
			"{\"total_count\":2,\"jobs\":[{\"name\":\"docker build\",\"status\":"
			"\"completed\",\"conclusion\":\"cancelled\",\"started_at\":"
			"\"2025-03-03T09:00:00Z\",\"completed_at\":\"2025-03-03T09:02:00Z\","
			"\"steps\":[{\"name\":\"Set up job\"}]},{\"name\":\"publish\",\"status\":"
			"\"completed\",\"conclusion\":\"cancelled\",\"started_at\":"
			"\"2025-03-03T09:02:00Z\",\"completed_at\":\"2025-03-03T09:02:00Z\","
			"\"steps\":[]}]}",
			&page),
		SUCCESS);
	assert_string_equal(page.pipelines[0].stages[0].status, "canceled");
	assert_int_equal(page.pipelines[0].stages[0].started_at, ts("2025-03-03T09:00:00Z"));
	assert_int_equal(page.pipelines[0].stages[0].finished_at, ts("2025-03-03T09:02:00Z"));
	assert_string_equal(page.pipelines[0].stages[1].status, "canceled");
	assert_int_equal(page.pipelines[0].stages[1].started_at, TIME_NONE);
	assert_int_equal(page.pipelines[0].stages[1].finished_at, TIME_NONE);
	source_page_release(&page);
	fixture_release(&f);
}

/* Ids beyond 2^53 stay exact: read as 64-bit integers, never through a double. */
static void
source_github__ids_stay_exact(void **state)
{
	char *runs[] = { run_json("9007199254740993", 1, "completed", "success",
				  "2025-03-03T09:00:00Z", "2025-03-03T09:01:00Z") };
	char *body = runs_page(1, runs);
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
	assert_int_equal(parse_text(&f, RUNS_STREAM, RUNS_URL, body, &page), SUCCESS);
	assert_string_equal(page.next->url, JOBS_URL("9007199254740993"));
	source_page_release(&page);
	assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("9007199254740993"),
				    "{\"total_count\":0,\"jobs\":[]}", &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].source_id, "9007199254740993");
	source_page_release(&page);
	free(body);
	fixture_release(&f);
}

/* A first pass goes back 14 days: an older run is not read, and ends the list. */
static void
source_github__first_pass_backfill(void **state)
{
	char *runs[] = {
		run_json("12", 2, "completed", "success", "2025-02-20T10:00:00Z",
			 "2025-02-20T10:05:00Z"),
		run_json("11", 1, "in_progress", NULL, "2025-02-10T10:00:00Z",
			 "2025-02-10T10:05:00Z"),
	};
	char *body = runs_page(2, runs);
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	json_t *root, *pass;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
	response_text(&resp, 200, body);
	response_header(&resp, "Link",
			"<" API "/repositories/5/actions/runs?page=2>; rel=\"next\"");
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), SUCCESS);
	response_release(&resp);
	root = cursor_json(&f);
	pass = json_object_get(root, "pass");
	assert_int_equal(json_array_size(json_object_get(pass, "todo")), 1);
	assert_null(json_object_get(pass, "next"));
	assert_int_equal(json_object_size(json_object_get(pass, "open")), 0);
	assert_string_equal(item_text(pass, "mark"), "12");
	json_decref(root);
	source_page_release(&page);
	free(body);
	fixture_release(&f);
}

/*
 * Deployments
 */

/* The two recorded deployments in one list, newest first: the older (2019) is
 * what a past pass saw live in production. */
static char *
deployments_list(void)
{
	char *newer = fixture_text("github/deployment-create-201-string-payload.json", NULL);
	char *older = fixture_text("github/deployment-get-object-payload.json", NULL);
	char *list = xasprintf("[%s,%s]", newer, older);

	free(newer);
	free(older);
	return list;
}

static void
source_github__deployments_become_records(void **state)
{
	const struct store_deployment *d;
	struct source_page page;
	struct fixture f;
	struct source_request *reqs = NULL;
	char *list = deployments_list();
	json_t *root, *open;
	size_t n = 0;

	(void)state;
	fixture_init(&f, "2021-01-24T00:00:00Z",
		     "{\"mark\":\"178653229\",\"live\":{\"production\":\"178653229\"}}");
	assert_int_equal(parse_text(&f, DEPLOY_STREAM, DEPLOY_URL, list, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_string_equal(page.next->url, STATUSES_URL("315601644"));
	source_page_release(&page);

	assert_int_equal(parse_file(&f, DEPLOY_STREAM, STATUSES_URL("315601644"),
				    "github/deployment-statuses-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 1);
	d = &page.deployments[0];
	assert_string_equal(d->source, "gh");
	assert_string_equal(d->source_id, "315601644");
	assert_string_equal(d->service, "GHWorkflowRunTest");
	assert_string_equal(d->environment, "production");
	assert_string_equal(d->status, "running"); /* queued */
	assert_int_equal(d->kind, DORA_NORMAL);
	assert_null(d->version); /* ref main is a branch */
	assert_string_equal(d->sha, "3ca6395616e9decaba9f350f59eb5b007462e2e7");
	assert_int_equal(d->started_at, ts("2021-01-23T05:30:54Z"));
	assert_int_equal(d->finished_at, TIME_NONE);
	assert_string_equal(d->replaces, "178653229");
	assert_null(d->fixes);
	assert_null(d->pipeline);
	assert_string_equal(d->url, "http://www.github.com/logurl");
	assert_int_equal(d->updated_at, ts("2021-01-23T05:30:55Z"));
	assert_true(isnan(d->canary_weight));
	assert_null(page.next);
	source_page_release(&page);

	/* Still running: kept, with what it replaces, and read first next time. */
	root = cursor_json(&f);
	assert_null(json_object_get(root, "pass"));
	assert_string_equal(item_text(root, "mark"), "315601644");
	assert_string_equal(item_text(json_object_get(root, "live"), "production"), "178653229");
	open = json_object_get(json_object_get(root, "open"), "315601644");
	assert_string_equal(item_text(open, "replaces"), "178653229");
	json_decref(root);
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[1].url, STATUSES_URL("315601644"));
	source_requests_free(reqs, n);

	/* It succeeded since: written again; then the list, where it is known. */
	assert_int_equal(
		parse_text(&f, DEPLOY_STREAM, STATUSES_URL("315601644"),
			   "[{\"id\":466129563,\"state\":\"success\",\"created_at\":"
			   "\"2021-01-23T05:40:00Z\",\"updated_at\":\"2021-01-23T05:40:00Z\","
			   "\"log_url\":\"https://github.com/" REPO "/actions/runs/"
			   "486420002/job/1\",\"environment_url\":\"https://shop.example\"},"
			   "{\"id\":466129562,\"state\":\"queued\",\"created_at\":"
			   "\"2021-01-23T05:30:54Z\"}]",
			   &page),
		SUCCESS);
	d = &page.deployments[0];
	assert_string_equal(d->status, "success");
	assert_int_equal(d->finished_at, ts("2021-01-23T05:40:00Z"));
	assert_string_equal(d->replaces, "178653229");
	assert_string_equal(d->pipeline, "486420002");
	assert_string_equal(d->url, "https://github.com/" REPO "/actions/runs/486420002/job/1");
	assert_string_equal(page.next->url, DEPLOY_URL);
	source_page_release(&page);
	assert_int_equal(parse_text(&f, DEPLOY_STREAM, DEPLOY_URL, list, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_null(page.next);
	source_page_release(&page);
	root = cursor_json(&f);
	assert_int_equal(json_object_size(json_object_get(root, "open")), 0);
	assert_string_equal(item_text(json_object_get(root, "live"), "production"), "315601644");
	json_decref(root);
	free(list);
	fixture_release(&f);
}

static char *
deployment_json(const char *id, const char *env, const char *ref, const char *task,
		const char *description, const char *payload, const char *created)
{
	return xasprintf("{\"id\":%s,\"sha\":\"sha%s\",\"ref\":\"%s\",\"task\":\"%s\","
			 "\"payload\":%s,\"environment\":\"%s\",\"description\":%s,"
			 "\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
			 id, id, ref, task, payload, env, description, created, created);
}

/* "[a,b,...]", freeing the items. */
static char *
json_list(size_t n, char **items)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addch(&b, '[');
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? "," : "", items[i]);
		free(items[i]);
	}
	buf_addch(&b, ']');
	return buf_detach(&b);
}

/* New deployments are read oldest first; each replaces what was live in its
 * environment when it started (a failure replaces nothing); kinds and versions from
 * what they say. Two list pages, read before any statuses. */
static void
source_github__replaces_kinds_and_versions(void **state)
{
	const char *cursor = "{\"mark\":\"10\",\"live\":{\"production\":\"9\","
			     "\"staging\":\"10\"}}";
	const char *page2 = API "/repositories/5/deployments?per_page=100&page=2";
	const char *success = "[{\"id\":1,\"state\":\"success\",\"created_at\":"
			      "\"2025-03-03T09:55:00Z\"}]";
	const char *failure = "[{\"id\":1,\"state\":\"failure\",\"created_at\":"
			      "\"2025-03-03T09:55:00Z\"}]";
	char *first_items[] = {
		deployment_json("15", "production", "v2.0.1", "deploy", "null",
				"{\"rollback\":true}", "2025-03-03T09:50:00Z"),
		deployment_json("14", "production", "hotfix/cart", "deploy", "null",
				"{\"version\":\"2.0.0\"}", "2025-03-03T09:40:00Z"),
		deployment_json("13", "staging", "refs/tags/release-7", "deploy",
				"\"Roll back the cart\"", "null", "2025-03-03T09:30:00Z"),
	};
	char *second_items[] = {
		deployment_json("12", "production", "2025.03.1", "deploy:rollback", "null", "\"\"",
				"2025-03-03T09:20:00Z"),
		deployment_json("11", "production", "main", "deploy", "null",
				"\"{\\\"note\\\":\\\"rollback drill\\\"}\"",
				"2025-03-03T09:10:00Z"),
		deployment_json("10", "staging", "main", "deploy", "null", "null",
				"2025-03-03T09:00:00Z"),
	};
	char *first = json_list(ARRAY_SIZE(first_items), first_items);
	char *second = json_list(ARRAY_SIZE(second_items), second_items);
	static const struct {
		const char *id, *statuses, *status, *replaces, *version;
		enum dora_kind kind;
	} want[] = {
		{ "11", "s", "success", "9", NULL, DORA_ROLLBACK },
		{ "12", "f", "failed", "11", "2025.03.1", DORA_ROLLBACK },
		{ "13", "s", "success", "10", "release-7", DORA_ROLLBACK },
		{ "14", "s", "success", "11", "2.0.0", DORA_HOTFIX },
		{ "15", "", "running", "14", "v2.0.1", DORA_ROLLBACK },
	};
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	char *link = xasprintf("<%s>; rel=\"next\"", page2);
	json_t *root;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
	response_text(&resp, 200, first);
	response_header(&resp, "Link", link);
	assert_int_equal(parse(&f, DEPLOY_STREAM, DEPLOY_URL, &resp, &page), SUCCESS);
	response_release(&resp);
	/* The whole list first. */
	assert_string_equal(page.next->url, page2);
	source_page_release(&page);
	assert_int_equal(parse_text(&f, DEPLOY_STREAM, page2, second, &page), SUCCESS);
	assert_string_equal(page.next->url, STATUSES_URL("11"));
	source_page_release(&page);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct store_deployment *d;
		char *url = xasprintf(API "/repos/" REPO "/deployments/%s/statuses?per_page=100",
				      want[i].id);
		const char *body = streq(want[i].statuses, "s")	  ? success
				   : streq(want[i].statuses, "f") ? failure
								  : "[]";

		assert_int_equal(parse_text(&f, DEPLOY_STREAM, url, body, &page), SUCCESS);
		free(url);
		d = &page.deployments[0];
		assert_string_equal(d->source_id, want[i].id);
		assert_string_equal(d->status, want[i].status);
		if (!streq(d->replaces, want[i].replaces))
			fail_msg("%s replaces %s, want %s", want[i].id, d->replaces,
				 want[i].replaces);
		if (want[i].version)
			assert_string_equal(d->version, want[i].version);
		else
			assert_null(d->version);
		assert_int_equal(d->kind, want[i].kind);
		/* A rollback repairs what it replaced. */
		if (want[i].kind == DORA_ROLLBACK)
			assert_string_equal(d->fixes, want[i].replaces);
		else
			assert_null(d->fixes);
		if (i + 1 == ARRAY_SIZE(want))
			assert_null(page.next);
		source_page_release(&page);
	}
	root = cursor_json(&f);
	assert_string_equal(item_text(root, "mark"), "15");
	assert_string_equal(item_text(json_object_get(root, "live"), "production"), "14");
	assert_string_equal(item_text(json_object_get(root, "live"), "staging"), "13");
	assert_int_equal(json_object_size(json_object_get(root, "open")), 1);
	assert_string_equal(
		item_text(json_object_get(json_object_get(root, "open"), "15"), "replaces"), "14");
	json_decref(root);
	free(link);
	free(first);
	free(second);
	fixture_release(&f);
}

/* What a deployment's statuses say, in whatever order they come. */
static void
source_github__deployment_outcomes(void **state)
{
	static const struct {
		const char *statuses;
		const char *status, *finished, *url, *pipeline;
	} cases[] = {
		{ "[]", "running", NULL, NULL, NULL },
		{ "[{\"id\":3,\"state\":\"success\",\"created_at\":\"2025-03-03T09:10:00Z\","
		  "\"environment_url\":\"https://shop\"},{\"id\":2,\"state\":\"in_progress\","
		  "\"created_at\":\"2025-03-03T09:05:00Z\",\"log_url\":\"https://ci/log\"}]",
		  "success", "2025-03-03T09:10:00Z", "https://shop", NULL },
		/* Superseded later: still the success it was. */
		{ "[{\"id\":4,\"state\":\"inactive\",\"created_at\":\"2025-03-03T09:30:00Z\"},"
		  "{\"id\":3,\"state\":\"success\",\"created_at\":\"2025-03-03T09:10:00Z\","
		  "\"target_url\":\"https://github.com/a/b/actions/runs/77/job/5\"}]",
		  "success", "2025-03-03T09:10:00Z", "https://github.com/a/b/actions/runs/77/job/5",
		  "77" },
		{ "[{\"id\":4,\"state\":\"inactive\",\"created_at\":\"2025-03-03T09:30:00Z\"}]",
		  "success", NULL, NULL, NULL },
		{ "[{\"id\":2,\"state\":\"pending\",\"created_at\":\"2025-03-03T09:05:00Z\"},"
		  "{\"id\":3,\"state\":\"failure\",\"created_at\":\"2025-03-03T09:10:00Z\","
		  "\"log_url\":\"https://github.com/a/b/actions/runs/88\"}]",
		  "failed", "2025-03-03T09:10:00Z", "https://github.com/a/b/actions/runs/88",
		  "88" },
		{ "[{\"id\":3,\"state\":\"error\",\"created_at\":\"2025-03-03T09:10:00Z\"}]",
		  "failed", "2025-03-03T09:10:00Z", NULL, NULL },
		/* An aborted canary says so. */
		{ "[{\"id\":3,\"state\":\"failure\",\"description\":\"Canary aborted at 50%: "
		  "traffic rolled back to 3.7.2\",\"created_at\":\"2025-03-03T09:10:00Z\"}]",
		  "rolled_back", "2025-03-03T09:10:00Z", NULL, NULL },
		/* Same second: the later id decides. */
		{ "[{\"id\":5,\"state\":\"queued\",\"created_at\":\"2025-03-03T09:10:00Z\"},"
		  "{\"id\":6,\"state\":\"success\",\"created_at\":\"2025-03-03T09:10:00Z\"}]",
		  "success", "2025-03-03T09:10:00Z", NULL, NULL },
		{ "[{\"id\":6,\"state\":\"destroyed\",\"created_at\":\"2025-03-03T09:10:00Z\"}]",
		  "running", NULL, NULL, NULL },
		/* The run of the deciding status, not of an older one. */
		{ "[{\"id\":2,\"state\":\"in_progress\",\"created_at\":\"2025-03-03T09:05:00Z\","
		  "\"log_url\":\"https://github.com/a/b/actions/runs/90\"},{\"id\":3,\"state\":"
		  "\"success\",\"created_at\":\"2025-03-03T09:10:00Z\",\"log_url\":"
		  "\"https://github.com/a/b/actions/runs/91/attempts/2\"}]",
		  "success", "2025-03-03T09:10:00Z",
		  "https://github.com/a/b/actions/runs/91/attempts/2", "91" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *cursor = "{\"pass\":{\"todo\":[{\"id\":\"42\",\"environment\":"
				     "\"production\",\"sha\":\"abc\",\"kind\":\"normal\","
				     "\"created\":1740992400,\"updated\":1740992400}],"
				     "\"listed\":true}}";
		const struct store_deployment *d;
		struct source_page page;
		struct fixture f;

		fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
		assert_int_equal(
			parse_text(&f, DEPLOY_STREAM, STATUSES_URL("42"), cases[i].statuses, &page),
			SUCCESS);
		d = &page.deployments[0];
		if (!streq(d->status, cases[i].status))
			fail_msg("case %zu: %s, want %s", i, d->status, cases[i].status);
		assert_int_equal(d->finished_at, ts(cases[i].finished));
		if (cases[i].url)
			assert_string_equal(d->url, cases[i].url);
		else
			assert_null(d->url);
		if (cases[i].pipeline)
			assert_string_equal(d->pipeline, cases[i].pipeline);
		else
			assert_null(d->pipeline);
		source_page_release(&page);
		fixture_release(&f);
	}
}

/*
 * Errors
 */

static void
source_github__rate_limits_say_when(void **state)
{
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
	/* The recorded secondary rate limit: a 429 with Retry-After and GitHub's message. */
	response_from_mapping(&resp, "github/secondary-rate-limit-429.wiremock-mapping.json", NULL);
	assert_int_equal(parse(&f, RUNS_STREAM, RUNS_URL, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " RUNS_STREAM ": HTTP 429: You have exceeded a secondary rate "
			    "limit. Please wait a few minutes before you try again; rate limited: "
			    "retry after 2025-03-03T10:00:08Z");
	response_release(&resp);
	source_page_release(&page);

	/* The primary limit: the reset is an epoch second, the recorded one here. */
	response_text(
		&resp, 403,
		"{\"message\":\"API rate limit exceeded for user ID 1.\",\"documentation_url\":"
		"\"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api\"}");
	response_header(&resp, "X-RateLimit-Limit", "5000");
	response_header(&resp, "X-RateLimit-Remaining", "0");
	response_header(&resp, "X-RateLimit-Reset", "1699649568");
	assert_int_equal(parse(&f, DEPLOY_STREAM, DEPLOY_URL, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " DEPLOY_STREAM
			    ": HTTP 403: API rate limit exceeded for user ID "
			    "1.; the rate limit resets at 2023-11-10T20:52:48Z");
	response_release(&resp);
	source_page_release(&page);
	/* A failed page leaves the cursor alone. */
	assert_null(f.e.cursor);
	fixture_release(&f);
}

static void
source_github__bad_responses_name_the_problem(void **state)
{
	static const struct {
		long status;
		const char *stream, *url, *body, *error;
	} cases[] = {
		{ 401, RUNS_STREAM, RUNS_URL,
		  "{\"message\":\"Bad credentials\",\"documentation_url\":\"https://docs.github.com"
		  "/rest\"}",
		  "HTTP 401: Bad credentials (check the token)" },
		{ 404, RUNS_STREAM, RUNS_URL, "{\"message\":\"Not Found\"}",
		  "HTTP 404: Not Found (check the repo, and that the token may read it: GitHub "
		  "answers 404 for a private repo it does not show)" },
		{ 403, DEPLOY_STREAM, DEPLOY_URL,
		  "{\"message\":\"Resource not accessible by personal access token\"}",
		  "HTTP 403: Resource not accessible by personal access token (the token needs "
		  "read access to Actions and Deployments)" },
		{ 403, RUNS_STREAM, RUNS_URL,
		  "{\"message\":\"You have exceeded a secondary rate limit.\"}",
		  "HTTP 403: You have exceeded a secondary rate limit.; rate limited: retry in a "
		  "minute or more" },
		{ 502, RUNS_STREAM, RUNS_URL, "<html>\r\nBad Gateway\r\n</html>\n",
		  "HTTP 502: <html> Bad Gateway </html>" },
		{ 500, RUNS_STREAM, RUNS_URL, "", "HTTP 500: (empty body)" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"total_count\":1,", "the response is not JSON" },
		{ 200, RUNS_STREAM, RUNS_URL, "[]",
		  "the response is an array, not an object with workflow_runs" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"total_count\":0}",
		  "the response has no workflow_runs" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"workflow_runs\":null}",
		  "workflow_runs is null, not an array" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"workflow_runs\":[7]}",
		  "workflow_runs[0] is a number, not an object" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"workflow_runs\":[{\"id\":\"6804432015\"}]}",
		  "workflow_runs[0]: id is a string, not an integer" },
		{ 200, RUNS_STREAM, RUNS_URL,
		  "{\"workflow_runs\":[{\"id\":5,\"run_number\":\"4\"}]}",
		  "workflow_runs[0]: run_number is a string, not an integer" },
		{ 200, RUNS_STREAM, RUNS_URL,
		  "{\"workflow_runs\":[{\"id\":5,\"run_number\":4,\"head_sha\":\"a\",\"status\":"
		  "\"queued\",\"created_at\":1699480393}]}",
		  "workflow_runs[0]: created_at is a number, not a string" },
		{ 200, RUNS_STREAM, RUNS_URL,
		  "{\"workflow_runs\":[{\"id\":5,\"run_number\":4,\"head_sha\":\"a\",\"status\":"
		  "\"queued\",\"created_at\":\"yesterday\\u0007\"}]}",
		  "workflow_runs[0]: created_at \"yesterday\" is not a timestamp" },
		{ 200, RUNS_STREAM, RUNS_URL,
		  "{\"workflow_runs\":[{\"id\":5,\"run_number\":4,\"head_sha\":\"a\",\"status\":"
		  "\"queued\",\"created_at\":\"2025-03-03T09:00:00Z\",\"updated_at\":"
		  "\"2025-03-03T09:00:00Z\",\"actor\":{\"login\":7}}]}",
		  "workflow_runs[0]: actor.login is a number, not a string" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"workflow_runs\":[{\"id\":0}]}",
		  "workflow_runs[0]: id is 0" },
		{ 200, RUNS_STREAM, RUNS_URL, "{\"workflow_runs\":[{\"id\":-3}]}",
		  "workflow_runs[0]: id is negative" },
		{ 200, DEPLOY_STREAM, DEPLOY_URL, "{\"deployments\":[]}",
		  "the response is an object, not an array of deployments" },
		{ 200, DEPLOY_STREAM, DEPLOY_URL, "[{\"id\":5,\"sha\":\"a\"}]",
		  "deployments[0]: environment is missing" },
		{ 200, DEPLOY_STREAM, DEPLOY_URL,
		  "[{\"id\":5,\"sha\":\"a\",\"environment\":\"\",\"created_at\":"
		  "\"2025-03-03T09:00:00Z\"}]",
		  "deployments[0]: environment is empty" },
		{ 200, DEPLOY_STREAM, DEPLOY_URL,
		  "[{\"id\":5,\"sha\":\"a\",\"environment\":\"prod\",\"created_at\":"
		  "\"2025-03-03T09:00:00Z\",\"payload\":[1]}]",
		  "deployments[0]: payload is neither an object nor a string" },
		{ 200, RUNS_STREAM, API "/repos/" REPO "/check-runs", "{}",
		  "not a request of this source" },
		{ 200, DEPLOY_STREAM, RUNS_URL, "{}", "not a request of this stream" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_response resp;
		struct source_page page;
		struct fixture f;
		char *want = xasprintf("github %s: %s", cases[i].stream, cases[i].error);

		fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
		response_text(&resp, cases[i].status, cases[i].body);
		assert_int_equal(parse(&f, cases[i].stream, cases[i].url, &resp, &page),
				 ERROR_CUSTOM_MESSAGE);
		if (strncmp(status_message(ERROR_CUSTOM_MESSAGE), want, strlen(want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 status_message(ERROR_CUSTOM_MESSAGE), want);
		assert_null(f.e.cursor);
		response_release(&resp);
		source_page_release(&page);
		free(want);
		fixture_release(&f);
	}
}

/* Details of a pass: their own errors, and the pass kept for the next round. */
static void
source_github__detail_errors_keep_the_pass(void **state)
{
	static const struct {
		const char *stream, *url, *body, *error;
	} cases[] = {
		{ RUNS_STREAM, JOBS_URL("9"), "{\"jobs\":[{\"name\":\"build\"}]}",
		  "run 9: jobs[0]: status is missing" },
		{ RUNS_STREAM, JOBS_URL("9"), "{\"jobs\":{}}", "jobs is an object, not an array" },
		{ RUNS_STREAM, JOBS_URL("9"),
		  "{\"jobs\":[{\"name\":\"b\",\"status\":\"completed\",\"started_at\":"
		  "\"2025-13-01T00:00:00Z\"}]}",
		  "run 9: jobs[0]: started_at \"2025-13-01T00:00:00Z\" is not a timestamp" },
		{ DEPLOY_STREAM, STATUSES_URL("9"), "{}",
		  "the statuses of deployment 9 are an object, not an array" },
		{ DEPLOY_STREAM, STATUSES_URL("9"), "[{\"id\":1,\"state\":3}]",
		  "deployment 9: statuses[0]: state is a number, not a string" },
		{ DEPLOY_STREAM, STATUSES_URL("9"),
		  "[{\"id\":1,\"state\":\"success\",\"created_at\":null}]",
		  "deployment 9: statuses[0]: created_at is missing" },
		{ RUNS_STREAM, RUN_URL("9"), "{\"id\":9}",
		  "run 9 is not what this pass reads next (its jobs are)" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *cursor = "{\"pass\":{\"todo\":[{\"id\":\"9\",\"environment\":\"p\"}],"
				     "\"listed\":true}}";
		struct source_page page;
		struct fixture f;
		char *want = xasprintf("github %s: %s", cases[i].stream, cases[i].error);

		fixture_init(&f, "2025-03-03T10:00:00Z", cursor);
		assert_int_equal(
			parse_text(&f, cases[i].stream, cases[i].url, cases[i].body, &page),
			ERROR_CUSTOM_MESSAGE);
		if (strncmp(status_message(ERROR_CUSTOM_MESSAGE), want, strlen(want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 status_message(ERROR_CUSTOM_MESSAGE), want);
		assert_string_equal(f.e.cursor, cursor);
		source_page_release(&page);
		free(want);
		fixture_release(&f);
	}
}

/* Upstream text is kept as it came: the display sanitizes. */
static void
source_github__untrusted_text_is_kept(void **state)
{
	const char *body = "{\"workflow_runs\":[{\"id\":5,\"run_number\":1,\"name\":\"ci\\u001b[2J"
			   "\",\"head_sha\":\"a\",\"status\":\"completed\",\"conclusion\":"
			   "\"success\",\"created_at\":\"2025-03-03T09:00:00Z\",\"updated_at\":"
			   "\"2025-03-03T09:01:00Z\"}]}";
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, "2025-03-03T10:00:00Z", NULL);
	assert_int_equal(parse_text(&f, RUNS_STREAM, RUNS_URL, body, &page), SUCCESS);
	source_page_release(&page);
	assert_int_equal(parse_text(&f, RUNS_STREAM, JOBS_URL("5"),
				    "{\"jobs\":[{\"name\":\"x\\u0007\",\"status\":\"queued\"}]}",
				    &page),
			 SUCCESS);
	assert_string_equal(page.pipelines[0].name, "ci\x1b[2J");
	assert_string_equal(page.pipelines[0].stages[0].name, "x\a");
	assert_null(page.pipelines[0].ref);
	source_page_release(&page);
	fixture_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_github__plan_three_streams_per_repo),
		cmocka_unit_test(source_github__plan_refuses_bad_config),
		cmocka_unit_test(source_github__plan_resumes_the_pass),
		cmocka_unit_test(source_github__runs_list_starts_a_pass),
		cmocka_unit_test(source_github__jobs_pages_write_the_runs),
		cmocka_unit_test(source_github__jobs_become_stages),
		cmocka_unit_test(source_github__older_run_payload),
		cmocka_unit_test(source_github__run_statuses),
		cmocka_unit_test(source_github__later_pass_reads_changes),
		cmocka_unit_test(source_github__list_pages_follow_the_link),
		cmocka_unit_test(source_github__list_naming_itself_is_refused),
		cmocka_unit_test(source_github__open_run_read_alone),
		cmocka_unit_test(source_github__missing_detail_checks_the_repository),
		cmocka_unit_test(source_github__jobs_over_pages),
		cmocka_unit_test(source_github__cancelled_job_without_steps),
		cmocka_unit_test(source_github__ids_stay_exact),
		cmocka_unit_test(source_github__first_pass_backfill),
		cmocka_unit_test(source_github__deployments_become_records),
		cmocka_unit_test(source_github__replaces_kinds_and_versions),
		cmocka_unit_test(source_github__deployment_outcomes),
		cmocka_unit_test(source_github__rate_limits_say_when),
		cmocka_unit_test(source_github__bad_responses_name_the_problem),
		cmocka_unit_test(source_github__detail_errors_keep_the_pass),
		cmocka_unit_test(source_github__untrusted_text_is_kept),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
