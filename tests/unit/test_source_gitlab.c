/* test_source_gitlab.c - the GitLab source: payloads in the shape of GitLab's API
 * docs examples (tests/fixtures/gitlab, checked against GitLab's own response
 * schemas) parsed into exact pipelines, stages and deployments; the chain a round
 * walks (list, pipeline, jobs pages) with its cursor; the watermark and its seen
 * ids; paging by Link and X-Next-Page; rollbacks; the requests a round plans and
 * their token header; and a table of bad responses, each with the error it must
 * give. Nothing here opens a socket: responses are handed to ops->parse as the
 * engine would, and the engine's cursor is played by a small table. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

/* 2025-03-03T10:00:00Z: the round's clock. */
#define NOW 1740996000

#define BASE "https://gitlab.example.com"
#define PROJECT_URL BASE "/api/v4/projects/acme%2Fcheckout"
#define PIPELINES_STREAM "pipelines:acme/checkout"
#define DEPLOYMENTS_STREAM "deployments:acme/checkout"
#define LIST_QUERY(since) "?updated_after=" since "&order_by=updated_at&sort=asc&per_page=100"
/* The first round: two weeks back. */
#define FIRST_LIST PROJECT_URL "/pipelines" LIST_QUERY("2025-02-17T10%3A00%3A00.000Z")
#define DETAIL(id) PROJECT_URL "/pipelines/" #id
#define JOBS(id) PROJECT_URL "/pipelines/" #id "/jobs?include_retried=false&per_page=100"

#define P1 2147483901
#define P2 2147483907
#define P3 2147483910

/*
 * The engine, as far as a source sees it: a cursor per stream.
 */

struct fake_engine {
	char *stream[4];
	char *cursor[4];
	size_t n;
};

static const char *
fake_cursor(void *engine, const char *stream)
{
	struct fake_engine *e = engine;

	for (size_t i = 0; i < e->n; i++)
		if (streq(e->stream[i], stream))
			return e->cursor[i];
	return NULL;
}

static void
fake_set(struct fake_engine *e, const char *stream, const char *cursor)
{
	size_t i;

	if (!cursor)
		return; /* NULL: unchanged, as the engine keeps it */
	for (i = 0; i < e->n; i++)
		if (streq(e->stream[i], stream))
			break;
	if (i == e->n) {
		assert_true(e->n < ARRAY_SIZE(e->stream));
		e->stream[e->n++] = xstrdup(stream);
	}
	free(e->cursor[i]);
	e->cursor[i] = xstrdup(cursor);
}

static void
fake_release(struct fake_engine *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->stream[i]);
		free(e->cursor[i]);
	}
	memset(e, 0, sizeof(*e));
}

/* A [source "gl"] section: url, one project, optionally a service. */
static void
source_init(struct test_source *t, const char *url, const char *project, const char *service)
{
	test_source_init(t, "gl", "gitlab", url, service);
	if (project)
		add_value(t, "project", project);
}

static struct source_ctx
ctx_for(const struct test_source *t, struct fake_engine *e, const char *secret)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "gl";
	ctx.config = &t->src;
	ctx.secret = secret;
	ctx.now = NOW;
	ctx.cursor = fake_cursor;
	ctx.engine = e;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("gitlab");
}

/* Parses resp as the answer to url of stream; the page's cursor goes to the fake
 * engine, as a commit would put it. */
static enum status_code
parse_url(const struct source_ctx *ctx, const char *stream, const char *url,
	  const struct http_response *resp, struct source_page *page)
{
	enum status_code code = test_parse_get("gitlab", ctx, stream, url, NULL, NULL, resp, page);

	if (code == SUCCESS)
		fake_set(ctx->engine, stream, page->cursor);
	return code;
}

static enum status_code
parse_file(const struct source_ctx *ctx, const char *stream, const char *url, const char *file,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_file(&resp, 200, file);
	code = parse_url(ctx, stream, url, &resp, page);
	response_release(&resp);
	return code;
}

/* The cursor member key of stream, as compact JSON text (new). */
static char *
cursor_member(struct fake_engine *e, const char *stream, const char *key)
{
	json_t *root = json_loads(fake_cursor(e, stream), 0, NULL);
	char *text;

	assert_non_null(root);
	text = json_dumps(json_object_get(root, key), JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	return text ? text : xstrdup("(none)");
}

static void
assert_member(struct fake_engine *e, const char *stream, const char *key, const char *want)
{
	char *got = cursor_member(e, stream, key);

	assert_string_equal(got, want);
	free(got);
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
}

static void
assert_stage(const struct store_stage *st, const char *name, const char *kind, const char *status,
	     const char *started, const char *finished, double coverage, const char *url)
{
	assert_string_equal(st->name, name);
	if (kind)
		assert_string_equal(st->kind, kind);
	else
		assert_null(st->kind);
	assert_string_equal(st->status, status);
	assert_int_equal(st->started_at, ts(started));
	assert_int_equal(st->finished_at, ts(finished));
	if (isnan(coverage))
		assert_true(isnan(st->coverage));
	else
		assert_true(fabs(st->coverage - coverage) < 1e-9);
	assert_string_equal(st->url, url);
}

/*
 * Pipelines
 */

/* The list, the first pipeline and its jobs, as the first round walks them. */
static void
source_gitlab__first_round_chain_writes_pipeline_with_stages(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	const struct store_pipeline *p;

	(void)state;
	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, "glpat-s3cret");

	/* The list: three pipelines queued, nothing written yet, the first one next. */
	assert_int_equal(
		parse_file(&ctx, PIPELINES_STREAM, FIRST_LIST, "gitlab/pipelines-list.json", &page),
		SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, DETAIL(2147483901));
	assert_string_equal(page.next->headers[0].name, "PRIVATE-TOKEN");
	assert_string_equal(page.next->headers[0].value, "glpat-s3cret");
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "[2147483901,2147483907,2147483910]");
	assert_member(&e, PIPELINES_STREAM, "updated_after", "\"2025-03-03T09:55:30.000Z\"");
	/* Only what was updated at or after the mark can come back. */
	assert_member(&e, PIPELINES_STREAM, "seen", "{\"2147483910\":1740995730000}");
	assert_member(&e, PIPELINES_STREAM, "next", "(none)");

	/* The pipeline: kept in the cursor until its jobs are read. */
	assert_int_equal(parse_file(&ctx, PIPELINES_STREAM, DETAIL(2147483901),
				    "gitlab/pipeline.json", &page),
			 SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, JOBS(2147483901));
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pipeline",
		      "{\"id\":2147483901,\"iid\":311,\"status\":\"success\",\"ref\":\"main\","
		      "\"sha\":\"9f2c1e4b7a8d3c6e5f4a1b2c3d4e5f6a7b8c9d0e\",\"source\":\"push\","
		      "\"web_url\":\"https://gitlab.example.com/acme/checkout/-/pipelines/"
		      "2147483901\",\"name\":\"Build pipeline\","
		      "\"created_at\":\"2025-03-03T09:12:04.118Z\","
		      "\"updated_at\":\"2025-03-03T09:20:41.507Z\","
		      "\"started_at\":\"2025-03-03T09:12:09.871Z\","
		      "\"finished_at\":\"2025-03-03T09:20:41.377Z\",\"username\":\"dana\"}");

	/* Its jobs: the pipeline is written, and the next pending one is asked for. */
	assert_int_equal(parse_file(&ctx, PIPELINES_STREAM, JOBS(2147483901),
				    "gitlab/pipeline-jobs.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_pipelines, 1);
	assert_int_equal(source_page_records(&page), 1);
	assert_next(&page, DETAIL(2147483907));
	p = &page.pipelines[0];
	assert_string_equal(p->source, "gl");
	assert_string_equal(p->source_id, "2147483901");
	assert_string_equal(p->project, "acme/checkout");
	assert_string_equal(p->service, "checkout");
	assert_string_equal(p->name, "Build pipeline");
	assert_int_equal(p->number, 311);
	assert_string_equal(p->ref, "main");
	assert_string_equal(p->sha, "9f2c1e4b7a8d3c6e5f4a1b2c3d4e5f6a7b8c9d0e");
	assert_string_equal(p->event, "push");
	assert_string_equal(p->actor, "dana");
	assert_string_equal(p->status, "success");
	assert_int_equal(p->queued_at, ts("2025-03-03T09:12:04Z"));
	assert_int_equal(p->started_at, ts("2025-03-03T09:12:09Z"));
	assert_int_equal(p->finished_at, ts("2025-03-03T09:20:41Z"));
	assert_int_equal(p->updated_at, ts("2025-03-03T09:20:41Z"));
	assert_string_equal(p->url, BASE "/acme/checkout/-/pipelines/2147483901");
	/* Stage order (build, test, deploy, verify: each stage's lowest job id, the
	 * retried unit-tests 8123456010 staying in test), then job name. */
	assert_int_equal(p->n_stages, 5);
	assert_stage(&p->stages[0], "build: assemble", "build", "success", "2025-03-03T09:12:10Z",
		     "2025-03-03T09:14:02Z", NAN, BASE "/acme/checkout/-/jobs/8123456001");
	assert_stage(&p->stages[1], "test: lint", "lint", "success", "2025-03-03T09:14:08Z",
		     "2025-03-03T09:14:51Z", NAN, BASE "/acme/checkout/-/jobs/8123456003");
	assert_stage(&p->stages[2], "test: unit-tests", "test", "success", "2025-03-03T09:16:40Z",
		     "2025-03-03T09:18:55Z", 87.53, BASE "/acme/checkout/-/jobs/8123456010");
	assert_stage(&p->stages[3], "deploy", "deploy", "success", "2025-03-03T09:19:03Z",
		     "2025-03-03T09:20:39Z", NAN, BASE "/acme/checkout/-/jobs/8123456005");
	assert_stage(&p->stages[4], "verify: smoke-tests", "integration", "waiting", NULL, NULL,
		     NAN, BASE "/acme/checkout/-/jobs/8123456006");
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "[2147483907,2147483910]");
	assert_member(&e, PIPELINES_STREAM, "pipeline", "(none)");
	assert_member(&e, PIPELINES_STREAM, "jobs", "(none)");

	fake_release(&e);
	source_release(&t);
}

/* A pipeline of more than a page of jobs is written once, with all of them; a
 * pipeline deleted since the list showed it is passed over; after the last pending
 * pipeline the round ends (the list had no next page). */
static void
source_gitlab__jobs_pages_and_deleted_pipelines(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	struct http_response resp;
	json_t *jobs;
	char *half;

	(void)state;
	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, NULL);
	assert_int_equal(
		parse_file(&ctx, PIPELINES_STREAM, FIRST_LIST, "gitlab/pipelines-list.json", &page),
		SUCCESS);
	assert_int_equal(page.next->n_headers, 0); /* no token configured */
	source_page_release(&page);
	assert_int_equal(parse_file(&ctx, PIPELINES_STREAM, DETAIL(2147483901),
				    "gitlab/pipeline.json", &page),
			 SUCCESS);
	source_page_release(&page);

	/* Jobs in two pages: three, then two; X-Next-Page names the second. */
	{
		char *text = fixture_text("gitlab/pipeline-jobs.json", NULL);

		jobs = json_loads(text, 0, NULL);
		free(text);
	}
	{
		json_t *first = json_array(), *second = json_array();

		for (size_t i = 0; i < json_array_size(jobs); i++)
			json_array_append(i < 3 ? first : second, json_array_get(jobs, i));
		half = json_dumps(first, JSON_COMPACT);
		response_text(&resp, 200, half);
		free(half);
		response_header(&resp, "X-Page", "1");
		response_header(&resp, "X-Next-Page", "2");
		assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, JOBS(2147483901), &resp, &page),
				 SUCCESS);
		response_release(&resp);
		assert_int_equal(source_page_records(&page), 0);
		assert_next(&page, JOBS(2147483901) "&page=2");
		source_page_release(&page);

		half = json_dumps(second, JSON_COMPACT);
		response_text(&resp, 200, half);
		free(half);
		response_header(&resp, "X-Page", "2");
		response_header(&resp, "X-Next-Page", "");
		assert_int_equal(
			parse_url(&ctx, PIPELINES_STREAM, JOBS(2147483901) "&page=2", &resp, &page),
			SUCCESS);
		response_release(&resp);
		json_decref(first);
		json_decref(second);
	}
	json_decref(jobs);
	assert_int_equal(page.n_pipelines, 1);
	assert_int_equal(page.pipelines[0].n_stages, 5);
	assert_string_equal(page.pipelines[0].stages[0].name, "build: assemble");
	assert_string_equal(page.pipelines[0].stages[4].name, "verify: smoke-tests");
	assert_next(&page, DETAIL(2147483907));
	source_page_release(&page);

	/* The second pipeline was deleted meanwhile: the third is next. */
	response_text(&resp, 404, "{\"message\":\"404 Not found\"}");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, DETAIL(2147483907), &resp, &page),
			 SUCCESS);
	response_release(&resp);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, DETAIL(2147483910));
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "[2147483910]");

	/* The third one's jobs are gone too (deleted between the two requests). */
	response_text(&resp, 200,
		      "{\"id\":2147483910,\"iid\":313,\"status\":\"manual\",\"source\":"
		      "\"schedule\",\"ref\":\"main\",\"sha\":\"9f2c\",\"created_at\":"
		      "\"2025-03-03T09:55:00.004Z\",\"updated_at\":\"2025-03-03T09:55:30.000Z\","
		      "\"started_at\":null,\"finished_at\":null,\"user\":null,\"web_url\":\"x\"}");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, DETAIL(2147483910), &resp, &page),
			 SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	response_text(&resp, 404, "{\"message\":\"404 Not found\"}");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, JOBS(2147483910), &resp, &page),
			 SUCCESS);
	response_release(&resp);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, NULL);
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "(none)");
	assert_member(&e, PIPELINES_STREAM, "updated_after", "\"2025-03-03T09:55:30.000Z\"");

	fake_release(&e);
	source_release(&t);
}

/* The next round asks from the mark; the items read at it come back (GitLab's
 * updated_after is >=) and are known: nothing to do, no next request. An item
 * updated again is read again. */
static void
source_gitlab__known_items_at_the_mark_are_skipped(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	struct source_request *reqs = NULL;
	struct http_response resp;
	size_t n = 0;

	(void)state;
	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, "oauth-token");
	fake_set(&e, PIPELINES_STREAM,
		 "{\"updated_after\":\"2025-03-03T09:55:30.000Z\",\"seen\":{\"2147483910\":"
		 "1740995730000}}");
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 3);
	assert_string_equal(reqs[0].stream, PIPELINES_STREAM);
	assert_string_equal(reqs[0].url,
			    PROJECT_URL "/pipelines" LIST_QUERY("2025-03-03T09%3A55%3A30.000Z"));
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Bearer oauth-token");

	response_text(&resp, 200,
		      "[{\"id\":2147483910,\"iid\":313,\"status\":\"manual\",\"updated_at\":"
		      "\"2025-03-03T09:55:30.000Z\"}]");
	response_header(&resp, "X-Next-Page", "");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, reqs[0].url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, NULL);
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "(none)");
	assert_member(&e, PIPELINES_STREAM, "seen", "{\"2147483910\":1740995730000}");

	/* Updated again (and the mark then stays a minute behind the clock). */
	response_text(&resp, 200,
		      "[{\"id\":2147483910,\"iid\":313,\"status\":\"success\",\"updated_at\":"
		      "\"2025-03-03T09:59:31.250Z\"}]");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, reqs[0].url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_next(&page, DETAIL(2147483910));
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "pending", "[2147483910]");
	assert_member(&e, PIPELINES_STREAM, "updated_after", "\"2025-03-03T09:59:00.000Z\"");
	assert_member(&e, PIPELINES_STREAM, "seen", "{\"2147483910\":1740995971250}");
	source_requests_free(reqs, n);

	/* A round cut short starts at its first pending pipeline. */
	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[0].url, DETAIL(2147483910));
	source_requests_free(reqs, n);

	fake_release(&e);
	source_release(&t);
}

/* With more pages, a page that held something new is followed by the list asked
 * for again from the moved mark (offset pages shift under updates); a page with
 * nothing new by the server's next page: Link rel="next" on the configured host,
 * else X-Next-Page. */
static void
source_gitlab__paging_requery_or_follow(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	struct http_response resp;
	const char *url = PROJECT_URL "/pipelines" LIST_QUERY("2025-03-03T09%3A00%3A00.000Z");
	const char *item = "[{\"id\":5,\"status\":\"running\",\"updated_at\":"
			   "\"2025-03-03T09:30:00.000Z\"}]";

	(void)state;
	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, "glpat-x");
	fake_set(&e, PIPELINES_STREAM, "{\"updated_after\":\"2025-03-03T09:00:00.000Z\"}");

	/* Something new and a next page: the list again, from 09:30, after pipeline 5. */
	response_text(&resp, 200, item);
	response_header(&resp, "Link",
			"<" BASE "/api/v4/projects/acme%2Fcheckout/pipelines?page=2&per_page=100>; "
			"rel=\"next\"");
	response_header(&resp, "X-Next-Page", "2");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_next(&page, DETAIL(5));
	source_page_release(&page);
	assert_member(&e, PIPELINES_STREAM, "next",
		      "\"" PROJECT_URL
		      "/pipelines" LIST_QUERY("2025-03-03T09%3A30%3A00.000Z") "\"");

	/* Nothing new, a next page: followed as the Link header says. */
	fake_set(&e, PIPELINES_STREAM,
		 "{\"updated_after\":\"2025-03-03T09:30:00.000Z\",\"seen\":{\"5\":1740994200000}}");
	response_text(&resp, 200, item);
	response_header(
		&resp, "Link",
		"<" BASE "/api/v4/projects/acme%2Fcheckout/pipelines?page=2>; rel=\"next\", "
		"<" BASE "/api/v4/projects/acme%2Fcheckout/pipelines?page=1>; rel=\"first\"");
	response_header(&resp, "X-Next-Page", "2");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_next(&page, PROJECT_URL "/pipelines?page=2");
	assert_string_equal(page.next->headers[0].value, "glpat-x");
	source_page_release(&page);

	/* A Link to another host (a proxy's rewrite) is not followed with the token:
	 * X-Next-Page on the request's own URL instead. */
	response_text(&resp, 200, item);
	response_header(&resp, "Link",
			"<http://gitlab.internal:8080/api/v4/projects/7/pipelines?page=3>; "
			"rel=\"next\"");
	response_header(&resp, "X-Next-Page", "3");
	assert_int_equal(parse_url(&ctx, PIPELINES_STREAM, url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_next(&page,
		    PROJECT_URL "/pipelines" LIST_QUERY("2025-03-03T09%3A00%3A00.000Z") "&page=3");
	source_page_release(&page);

	fake_release(&e);
	source_release(&t);
}

/*
 * Deployments
 */

static void
assert_deployment(const struct store_deployment *d, const char *id, const char *env,
		  const char *status, enum dora_kind kind, const char *version, const char *sha,
		  const char *started, const char *finished, const char *updated,
		  const char *replaces, const char *fixes, const char *pipeline, const char *target,
		  const char *url)
{
	assert_string_equal(d->source, "gl");
	assert_string_equal(d->source_id, id);
	assert_string_equal(d->service, "checkout");
	assert_string_equal(d->environment, env);
	assert_string_equal(d->status, status);
	assert_int_equal(d->kind, kind);
#define OPT(got, want)                                  \
	do {                                            \
		if (want)                               \
			assert_string_equal(got, want); \
		else                                    \
			assert_null(got);               \
	} while (0)
	OPT(d->version, version);
	OPT(d->sha, sha);
	OPT(d->replaces, replaces);
	OPT(d->fixes, fixes);
	OPT(d->pipeline, pipeline);
	OPT(d->target, target);
	OPT(d->url, url);
#undef OPT
	assert_null(d->rolled_back_by);
	assert_int_equal(d->started_at, ts(started));
	assert_int_equal(d->finished_at, ts(finished));
	assert_int_equal(d->updated_at, ts(updated));
	assert_true(isnan(d->canary_weight));
}

#define SHA_A "5d41402abc4b2a76b9719d911017c592aa11bb01"
#define SHA_B "7c4a8d09ca3762af61e59520943dc26494f8941b"
#define SHA_C "9f2c1e4b7a8d3c6e5f4a1b2c3d4e5f6a7b8c9d0e"
#define SHA_D "e4da3b7fbbce2345d7772b0674a318d5c0ffee11"
#define DEPLOYMENTS_FIRST PROJECT_URL "/deployments" LIST_QUERY("2025-02-17T10%3A00%3A00.000Z")

/* Read in id order although listed by update: 1000504 re-deploys B, which 1000502
 * deployed before 1000503 replaced it: a rollback of 1000503. */
static void
source_gitlab__deployments_with_a_rollback(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	const struct store_deployment *d;

	(void)state;
	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, "glpat-s3cret");
	assert_int_equal(parse_file(&ctx, DEPLOYMENTS_STREAM, DEPLOYMENTS_FIRST,
				    "gitlab/deployments-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 7);
	assert_int_equal(source_page_records(&page), 7);
	assert_next(&page, NULL);
	d = page.deployments;
	assert_deployment(&d[0], "1000501", "production", "success", DORA_NORMAL, NULL, SHA_A,
			  "2025-03-01T14:02:11Z", "2025-03-01T14:05:47Z", "2025-03-01T14:05:47Z",
			  NULL, NULL, "2147483700", "8100000501",
			  BASE "/acme/checkout/-/jobs/8100000501");
	assert_deployment(&d[1], "1000502", "production", "success", DORA_NORMAL, "v2.14.0", SHA_B,
			  "2025-03-02T10:30:04Z", "2025-03-02T10:34:29Z", "2025-03-02T10:34:29Z",
			  "1000501", NULL, "2147483800", "8100000502",
			  BASE "/acme/checkout/-/jobs/8100000502");
	assert_deployment(&d[2], "1000503", "production", "success", DORA_NORMAL, NULL, SHA_C,
			  "2025-03-03T09:19:03Z", "2025-03-03T09:20:39Z", "2025-03-03T09:40:12Z",
			  "1000502", NULL, "2147483901", "8123456005",
			  BASE "/acme/checkout/-/jobs/8123456005");
	assert_deployment(&d[3], "1000504", "production", "success", DORA_ROLLBACK, "v2.14.0",
			  SHA_B, "2025-03-03T09:27:41Z", "2025-03-03T09:31:02Z",
			  "2025-03-03T09:31:02Z", "1000503", "1000503", "2147483800", "8100000540",
			  BASE "/acme/checkout/-/jobs/8100000540");
	assert_deployment(&d[4], "1000505", "staging", "running", DORA_NORMAL, NULL, SHA_C,
			  "2025-03-03T09:42:02Z", NULL, "2025-03-03T09:42:03Z", NULL, NULL,
			  "2147483907", "8123456120", BASE "/acme/checkout/-/jobs/8123456120");
	assert_deployment(&d[5], "1000506", "production", "waiting", DORA_NORMAL, NULL, SHA_D,
			  "2025-03-03T09:50:00Z", NULL, "2025-03-03T09:50:00Z", "1000504", NULL,
			  "2147483911", "8123456200", BASE "/acme/checkout/-/jobs/8123456200");
	/* Made through the API: no job, so no pipeline, no target, the environment's URL. */
	assert_deployment(&d[6], "1000507", "review/fix-card-retry", "failed", DORA_NORMAL, NULL,
			  SHA_D, "2025-03-03T09:52:10Z", "2025-03-03T09:52:10Z",
			  "2025-03-03T09:52:10Z", NULL, NULL, NULL, NULL,
			  "https://fix-card-retry.review.example.com");
	source_page_release(&page);
	assert_member(&e, DEPLOYMENTS_STREAM, "environments",
		      "{\"production\":[[1000501,\"" SHA_A "\"],[1000502,\"" SHA_B
		      "\"],[1000503,\"" SHA_C "\"],[1000504,\"" SHA_B "\"]],\"staging\":[],"
		      "\"review/fix-card-retry\":[]}");
	assert_member(&e, DEPLOYMENTS_STREAM, "updated_after", "\"2025-03-03T09:52:10.000Z\"");

	fake_release(&e);
	source_release(&t);
}

/* The history of an environment crosses rounds in the cursor: a rollback in a
 * later round is recognised, a redeploy of the current sha is not one. */
static void
source_gitlab__rollback_across_rounds(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	struct http_response resp;
	const char *url = PROJECT_URL "/deployments" LIST_QUERY("2025-03-03T09%3A00%3A00.000Z");

	(void)state;
	source_init(&t, BASE, "acme/checkout", "payments");
	ctx = ctx_for(&t, &e, NULL);
	fake_set(&e, DEPLOYMENTS_STREAM,
		 "{\"updated_after\":\"2025-03-03T09:00:00.000Z\",\"environments\":"
		 "{\"production\":[[10,\"aaa\"],[11,\"bbb\"]]}}");
	response_text(&resp, 200,
		      "[{\"id\":12,\"iid\":3,\"ref\":\"main\",\"sha\":\"bbb\",\"created_at\":"
		      "\"2025-03-03T09:10:00Z\",\"updated_at\":\"2025-03-03T09:11:00Z\","
		      "\"status\":\"success\",\"user\":null,\"deployable\":null,\"environment\":"
		      "{\"id\":1,\"name\":\"production\",\"external_url\":null}},"
		      "{\"id\":13,\"iid\":4,\"ref\":\"main\",\"sha\":\"aaa\",\"created_at\":"
		      "\"2025-03-03T09:20:00Z\",\"updated_at\":\"2025-03-03T09:21:00Z\","
		      "\"status\":\"success\",\"user\":null,\"deployable\":null,\"environment\":"
		      "{\"id\":1,\"name\":\"production\"}}]");
	assert_int_equal(parse_url(&ctx, DEPLOYMENTS_STREAM, url, &resp, &page), SUCCESS);
	response_release(&resp);
	assert_int_equal(page.n_deployments, 2);
	/* 12 re-deploys 11's sha: a redeploy, not a rollback. */
	assert_string_equal(page.deployments[0].service, "payments");
	assert_int_equal(page.deployments[0].kind, DORA_NORMAL);
	assert_string_equal(page.deployments[0].replaces, "11");
	assert_null(page.deployments[0].url);
	/* 13 goes back to 10's sha. */
	assert_int_equal(page.deployments[1].kind, DORA_ROLLBACK);
	assert_string_equal(page.deployments[1].replaces, "12");
	assert_string_equal(page.deployments[1].fixes, "12");
	source_page_release(&page);
	fake_release(&e);
	source_release(&t);
}

/*
 * Plans
 */

static void
source_gitlab__plan_three_streams_per_project(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs = NULL;
	size_t n = 0;

	(void)state;
	/* A url ending in /api/v4/ gets no second one; a numeric id stays as it is. */
	source_init(&t, BASE "/api/v4/", "acme/checkout", NULL);
	add_value(&t, "project", "4242");
	add_value(&t, "backfill", "2d");
	ctx = ctx_for(&t, &e, "glpat-s3cret");
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 6);
	assert_string_equal(reqs[0].stream, "pipelines:acme/checkout");
	assert_string_equal(reqs[0].url,
			    PROJECT_URL "/pipelines" LIST_QUERY("2025-03-01T10%3A00%3A00.000Z"));
	assert_string_equal(reqs[1].stream, "deployments:acme/checkout");
	assert_string_equal(reqs[1].url,
			    PROJECT_URL "/deployments" LIST_QUERY("2025-03-01T10%3A00%3A00.000Z"));
	assert_string_equal(reqs[2].stream, "branches:acme/checkout");
	assert_string_equal(reqs[2].url, PROJECT_URL "/protected_branches?per_page=100");
	assert_string_equal(reqs[3].stream, "pipelines:4242");
	assert_string_equal(reqs[3].url, BASE "/api/v4/projects/4242/pipelines" LIST_QUERY(
						 "2025-03-01T10%3A00%3A00.000Z"));
	assert_string_equal(reqs[4].stream, "deployments:4242");
	assert_string_equal(reqs[5].stream, "branches:4242");
	assert_string_equal(reqs[5].url,
			    BASE "/api/v4/projects/4242/protected_branches?per_page=100");
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(reqs[i].method, "GET");
		assert_int_equal(reqs[i].n_headers, 1);
		assert_string_equal(reqs[i].headers[0].name, "PRIVATE-TOKEN");
		assert_string_equal(reqs[i].headers[0].value, "glpat-s3cret");
	}
	source_requests_free(reqs, n);
	source_release(&t);

	/* A GitLab under a relative URL root, no token. */
	source_init(&t, "https://example.com/gitlab", "group/sub/name", NULL);
	ctx = ctx_for(&t, &e, NULL);
	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[0].url,
			    "https://example.com/gitlab/api/v4/projects/group%2Fsub%2Fname/"
			    "pipelines" LIST_QUERY("2025-02-17T10%3A00%3A00.000Z"));
	assert_int_equal(reqs[0].n_headers, 0);
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
source_gitlab__plan_refuses_bad_config(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs = NULL;
	size_t n = 0;

	(void)state;
	source_init(&t, BASE, NULL, NULL);
	ctx = ctx_for(&t, &e, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "gitlab gl: no project configured");
	source_release(&t);

	source_init(&t, BASE, "acme/checkout", NULL);
	add_value(&t, "backfill", "forever");
	ctx = ctx_for(&t, &e, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "gitlab gl: backfill \"forever\" is not a positive duration");
	source_requests_free(reqs, n);
	source_release(&t);
}

/* A numeric project id: records name the project by the path in its web URLs. */
static void
source_gitlab__numeric_project_named_from_web_url(void **state)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_page page;
	const char *stream = "deployments:42";

	(void)state;
	source_init(&t, BASE, "42", NULL);
	ctx = ctx_for(&t, &e, NULL);
	assert_int_equal(parse_file(&ctx, stream,
				    BASE "/api/v4/projects/42/deployments" LIST_QUERY(
					    "2025-02-17T10%3A00%3A00.000Z"),
				    "gitlab/deployments-list.json", &page),
			 SUCCESS);
	assert_string_equal(page.deployments[0].service, "checkout");
	/* No job, no web URL: the id is all there is. */
	assert_string_equal(page.deployments[6].service, "42");
	source_page_release(&page);
	fake_release(&e);
	source_release(&t);
}

/*
 * The fixtures have GitLab's shape: every member GitLab's own response schemas
 * require (spec/fixtures/api/schemas/public_api/v4, MIT).
 */

static void
assert_required(const char *schema_file, const json_t *obj, const char *what)
{
	char *text = fixture_text(schema_file, NULL);
	json_t *schema = json_loads(text, 0, NULL);
	const json_t *key;
	size_t i;

	free(text);
	assert_non_null(schema);
	json_array_foreach(json_object_get(schema, "required"), i, key)
	{
		if (!json_object_get(obj, json_string_value(key)))
			fail_msg("%s lacks %s", what, json_string_value(key));
	}
	json_decref(schema);
}

static void
source_gitlab__fixtures_have_gitlabs_shape(void **state)
{
	char *text = fixture_text("gitlab/pipeline-jobs.json", NULL);
	json_t *jobs = json_loads(text, 0, NULL), *deployments;
	const json_t *v;
	size_t i;

	(void)state;
	free(text);
	assert_true(json_array_size(jobs) == 5);
	json_array_foreach(jobs, i, v)
	{
		assert_required("gitlab/schema-public-api-v4-job.json", v, "a job");
	}
	text = fixture_text("gitlab/deployments-list.json", NULL);
	deployments = json_loads(text, 0, NULL);
	free(text);
	json_array_foreach(deployments, i, v)
	{
		const json_t *job = json_object_get(v, "deployable");

		assert_required("gitlab/schema-public-api-v4-deployment.json", v, "a deployment");
		if (!json_is_null(job))
			assert_required("gitlab/schema-public-api-v4-job.json", job,
					"a deployable");
	}
	json_decref(jobs);
	json_decref(deployments);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	const char *stream; /* NULL: pipelines:acme/checkout */
	const char *url;    /* NULL: the first list */
	long status;
	const char *body;
	const char *header, *value; /* one response header, or NULL */
	const char *expect;
};

#define GOOD_PIPELINE                                                                              \
	"\"iid\":1,\"status\":\"running\",\"created_at\":\"2025-03-03T09:00:00Z\",\"updated_at\":" \
	"\"2025-03-03T09:01:00Z\""
#define GOOD_DEPLOYMENT                                                                 \
	"\"sha\":\"a\",\"status\":\"success\",\"created_at\":\"2025-03-03T09:00:00Z\"," \
	"\"updated_at\":\"2025-03-03T09:01:00Z\""

static void
check_bad(const struct bad_case *c)
{
	struct fake_engine e = { 0 };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	struct source_request req = { 0 };
	enum status_code code;
	const char *msg;

	source_init(&t, BASE, "acme/checkout", NULL);
	ctx = ctx_for(&t, &e, "glpat-s3cret");
	/* A jobs page comes after its pipeline. */
	fake_set(&e, PIPELINES_STREAM,
		 "{\"pending\":[7],\"pipeline\":{\"id\":7,\"iid\":1,\"status\":\"running\"}}");
	response_text(&resp, c->status, c->body);
	if (c->status == 0)
		string_copy(resp.error, "Could not resolve host: gitlab.example.com");
	if (c->header)
		response_header(&resp, c->header, c->value);
	source_page_init(&page);
	req.stream = xstrdup(c->stream ? c->stream : PIPELINES_STREAM);
	req.method = xstrdup("GET");
	req.url = xstrdup(c->url ? c->url : FIRST_LIST);
	code = ops()->parse(&ctx, &req, &resp, &page);
	source_request_release(&req);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why,
			 code == SUCCESS ? "success" : msg, c->expect);
	if (strstr(msg, "s3cret"))
		fail_msg("%s: the token is in the error: %s", c->why, msg);
	for (const char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: a control character in \"%s\"", c->why, msg);
	source_page_release(&page);
	response_release(&resp);
	fake_release(&e);
	source_release(&t);
}

static void
source_gitlab__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "401", NULL, NULL, 401, "{\"message\":\"401 Unauthorized\"}", NULL, NULL,
		  "gitlab pipelines:acme/checkout: HTTP 401: 401 Unauthorized (check the token)" },
		{ "403", NULL, NULL, 403, "{\"message\":\"403 Forbidden\"}", NULL, NULL,
		  "HTTP 403: 403 Forbidden (the token needs the read_api scope)" },
		{ "404 project", NULL, NULL, 404, "{\"message\":\"404 Project Not Found\"}", NULL,
		  NULL,
		  "HTTP 404: 404 Project Not Found (check url and project: GitLab answers 404 "
		  "for a project the token cannot see)" },
		{ "404 project on a pipeline", NULL, DETAIL(7), 404,
		  "{\"message\":\"404 Project Not Found\"}", NULL, NULL,
		  "HTTP 404: 404 Project Not Found" },
		{ "a proxy's 404 on a pipeline", NULL, DETAIL(7), 404, "<html>Not Found</html>",
		  NULL, NULL, "HTTP 404: <html>Not Found</html>" },
		{ "400 with GitLab's error member", DEPLOYMENTS_STREAM, DEPLOYMENTS_FIRST, 400,
		  "{\"error\":\"order_by does not have a valid value\"}", NULL, NULL,
		  "gitlab deployments:acme/checkout: HTTP 400: order_by does not have a valid "
		  "value" },
		{ "400 with field messages", NULL, NULL, 400,
		  "{\"message\":{\"updated_after\":[\"is invalid\"]}}", NULL, NULL,
		  "HTTP 400: {\"updated_after\":[\"is invalid\"]}" },
		{ "429 from Rack::Attack with the reset", NULL, NULL, 429, "Retry later\n",
		  "RateLimit-Reset", "1741039201",
		  "HTTP 429: Retry later (rate limited by GitLab); the rate limit resets at "
		  "2025-03-03T22:00:01Z" },
		{ "502 from a proxy, escapes stripped", NULL, NULL, 502,
		  "<html>502 Bad Gateway\x1b]0;x\x07</html>", NULL, NULL,
		  "HTTP 502: <html>502 Bad Gateway</html> (a GitLab server error)" },
		{ "no response", NULL, NULL, 0, NULL, NULL, NULL,
		  "no response: Could not resolve host" },
		{ "not JSON", NULL, NULL, 200, "[{\"id\":", NULL, NULL, "is not JSON" },
		{ "empty body", NULL, NULL, 200, "", NULL, NULL, "empty response body" },
		{ "an object for the list", NULL, NULL, 200, "{}", NULL, NULL,
		  "the response is an object, not a JSON array of pipelines" },
		{ "an item not an object", NULL, NULL, 200, "[3]", NULL, NULL,
		  "pipeline 0 is a number, not an object" },
		{ "id a string", NULL, NULL, 200, "[{\"id\":\"7\"," GOOD_PIPELINE "}]", NULL, NULL,
		  "gitlab pipelines:acme/checkout: pipeline 0: id is a string, not an integer" },
		{ "id zero", NULL, NULL, 200, "[{\"id\":0," GOOD_PIPELINE "}]", NULL, NULL,
		  "pipeline 0: id is not a positive integer" },
		{ "updated_at not a timestamp", NULL, NULL, 200,
		  "[{\"id\":7,\"status\":\"running\",\"updated_at\":\"yesterday\"}]", NULL, NULL,
		  "pipeline 0: updated_at \"yesterday\" is not a timestamp" },
		{ "status missing", NULL, NULL, 200,
		  "[{\"id\":7,\"updated_at\":\"2025-03-03T09:01:00Z\"}]", NULL, NULL,
		  "pipeline 0: status is missing" },
		{ "a pipeline not the one asked for", NULL, DETAIL(7), 200,
		  "{\"id\":8," GOOD_PIPELINE "}", NULL, NULL,
		  "pipeline 7: id is not the pipeline asked for" },
		{ "a pipeline's user not an object", NULL, DETAIL(7), 200,
		  "{\"id\":7," GOOD_PIPELINE ",\"user\":\"dana\"}", NULL, NULL,
		  "pipeline 7: user is a string, not an object" },
		{ "a pipeline's started_at a number", NULL, DETAIL(7), 200,
		  "{\"id\":7," GOOD_PIPELINE ",\"started_at\":1740992400}", NULL, NULL,
		  "pipeline 7: started_at is a number, not a string" },
		{ "jobs not an array", NULL, JOBS(7), 200, "{\"message\":\"x\"}", NULL, NULL,
		  "the jobs of pipeline 7 are an object, not a JSON array" },
		{ "a job's coverage a string", NULL, JOBS(7), 200,
		  "[{\"id\":9,\"name\":\"rspec\",\"stage\":\"test\",\"status\":\"success\","
		  "\"coverage\":\"87.5\"}]",
		  NULL, NULL, "job 0 of pipeline 7: coverage is a string, not a number" },
		{ "a job without a stage", NULL, JOBS(7), 200,
		  "[{\"id\":9,\"name\":\"rspec\",\"status\":\"success\"}]", NULL, NULL,
		  "job 0 of pipeline 7: stage is missing" },
		{ "jobs of a pipeline not read first", NULL, JOBS(8), 200, "[]", NULL, NULL,
		  "the jobs of pipeline 8 came before the pipeline" },
		{ "a deployment without an environment", DEPLOYMENTS_STREAM, DEPLOYMENTS_FIRST, 200,
		  "[{\"id\":3," GOOD_DEPLOYMENT "}]", NULL, NULL,
		  "deployment 0: environment is missing" },
		{ "a deployable's pipeline id a string", DEPLOYMENTS_STREAM, DEPLOYMENTS_FIRST, 200,
		  "[{\"id\":3," GOOD_DEPLOYMENT ",\"environment\":{\"name\":\"production\"},"
		  "\"deployable\":{\"id\":4,\"pipeline\":{\"id\":\"5\"}}}]",
		  NULL, NULL, "deployment 0: deployable.pipeline.id is a string, not an integer" },
		{ "a deployable's tag a string", DEPLOYMENTS_STREAM, DEPLOYMENTS_FIRST, 200,
		  "[{\"id\":3," GOOD_DEPLOYMENT ",\"environment\":{\"name\":\"production\"},"
		  "\"deployable\":{\"id\":4,\"tag\":\"true\"}}]",
		  NULL, NULL, "deployment 0: deployable.tag is a string, not a boolean" },
		{ "not a pipelines URL", NULL, PROJECT_URL "/jobs", 200, "[]", NULL, NULL,
		  "gitlab pipelines:acme/checkout: not a pipelines URL" },
		{ "not a stream of this source", "issues", NULL, 200, "[]", NULL, NULL,
		  "gitlab issues: not a stream of this source" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_gitlab__first_round_chain_writes_pipeline_with_stages),
		cmocka_unit_test(source_gitlab__jobs_pages_and_deleted_pipelines),
		cmocka_unit_test(source_gitlab__known_items_at_the_mark_are_skipped),
		cmocka_unit_test(source_gitlab__paging_requery_or_follow),
		cmocka_unit_test(source_gitlab__deployments_with_a_rollback),
		cmocka_unit_test(source_gitlab__rollback_across_rounds),
		cmocka_unit_test(source_gitlab__plan_three_streams_per_project),
		cmocka_unit_test(source_gitlab__plan_refuses_bad_config),
		cmocka_unit_test(source_gitlab__numeric_project_named_from_web_url),
		cmocka_unit_test(source_gitlab__fixtures_have_gitlabs_shape),
		cmocka_unit_test(source_gitlab__bad_responses_name_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
