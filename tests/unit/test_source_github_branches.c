/* test_source_github_branches.c - the GitHub source's "branches:OWNER/NAME" stream:
 * a branch list in GitHub's shape, recorded branch protections (hub4j/github-api,
 * octokit/fixtures) and a recorded page of check runs parsed into exact branch and
 * check run records; the pass from the list through the protections to the checks,
 * with the next request and its If-None-Match; a second round of 304s that writes
 * nothing; protections a token may not read; and bad payloads, each with the error
 * it must give. A fake engine keeps the committed cursor between pages. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/json.h"
#include "support.h"

#define API "https://api.github.com"
#define REPO "hub4j/github-api"
#define STREAM "branches:" REPO
#define LIST_URL API "/repos/" REPO "/branches?per_page=100"
#define RULES_URL(b) API "/repos/" REPO "/branches/" b "/protection"
#define MAIN_SHA "78b9ff49d47daaa158eb373c4e2e040f739df8b9"
#define RELEASE_SHA "2d4f0c3a9b8e7d6c5b4a39281706f5e4d3c2b1a0"
#define CHECKS_URL(sha) API "/repos/" REPO "/commits/" sha "/check-runs?per_page=100"
#define CHECKS_PAGE2 API "/repositories/617210/commits/" MAIN_SHA "/check-runs?per_page=2&page=2"
#define NOW "2025-03-03T10:00:00Z"

struct fixture {
	struct test_source t;
	char *cursor; /* the committed one */
	struct source_ctx ctx;
};

static const char *
cursor_of(void *arg, const char *stream)
{
	(void)stream;
	return ((struct fixture *)arg)->cursor;
}

static const struct source_ops *
ops(void)
{
	return test_ops("github");
}

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	test_source_init(&f->t, "gh", "github", API, NULL);
	add_value(&f->t, "repo", REPO);
	f->ctx.name = "gh";
	f->ctx.config = &f->t.src;
	f->ctx.secret = "t0ken";
	f->ctx.now = ts(NOW);
	f->ctx.cursor = cursor_of;
	f->ctx.engine = f;
}

static void
fixture_release(struct fixture *f)
{
	source_release(&f->t);
	free(f->cursor);
}

static const char *
header_of(const struct source_request *req, const char *name)
{
	for (size_t i = 0; req && i < req->n_headers; i++)
		if (streq(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* Parses resp as the answer to url (with If-None-Match etag when not NULL); a page
 * that parses commits its cursor, as the engine does. */
static enum status_code
parse(struct fixture *f, const char *url, const char *etag, const struct http_response *resp,
      struct source_page *page)
{
	enum status_code code = test_parse_get("github", &f->ctx, STREAM, url,
					       etag ? "If-None-Match" : NULL, etag, resp, page);

	if (code == SUCCESS && page->cursor) {
		free(f->cursor);
		f->cursor = xstrdup(page->cursor);
	}
	return code;
}

/* A response with a body (fixture file or text) and an ETag. */
static void
answer(struct http_response *resp, long status, const char *file, const char *text,
       const char *etag)
{
	if (file)
		response_file(resp, status, file);
	else
		response_text(resp, status, text);
	if (etag)
		response_header(resp, "ETag", etag);
}

static void
assert_next(const struct source_page *page, const char *url, const char *etag)
{
	assert_non_null(page->next);
	assert_string_equal(page->next->url, url);
	assert_string_equal(header_of(page->next, "Accept"), "application/vnd.github+json");
	assert_string_equal(header_of(page->next, "Authorization"), "Bearer t0ken");
	if (etag)
		assert_string_equal(header_of(page->next, "If-None-Match"), etag);
	else
		assert_null(header_of(page->next, "If-None-Match"));
}

static const struct store_branch *
find_branch(const struct source_page *page, const char *name)
{
	for (size_t i = 0; i < page->n_branches; i++)
		if (streq(page->branches[i].name, name))
			return &page->branches[i];
	fail_msg("no branch %s", name);
	return NULL;
}

/* Reads the list, then each protection and the checks, as the first pass does. */
static void
first_pass(struct fixture *f)
{
	struct http_response resp;
	struct source_page page;

	answer(&resp, 200, "github/branches-list.json", NULL, "\"list-1\"");
	assert_int_equal(parse(f, LIST_URL, NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	answer(&resp, 200, "github/branch-protection-put-response.json", NULL, "\"main-1\"");
	assert_int_equal(parse(f, RULES_URL("main"), NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	answer(&resp, 200, "github/branch-protection-get-minimal.json", NULL, "\"rel-1\"");
	assert_int_equal(parse(f, RULES_URL("release%2F2.14"), NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	answer(&resp, 200, NULL, "{\"total_count\":0,\"check_runs\":[]}", "\"c-main\"");
	assert_int_equal(parse(f, CHECKS_URL(MAIN_SHA), NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	answer(&resp, 200, NULL, "{\"total_count\":0,\"check_runs\":[]}", "\"c-rel\"");
	assert_int_equal(parse(f, CHECKS_URL(RELEASE_SHA), NULL, &resp, &page), SUCCESS);
	assert_null(page.next);
	response_release(&resp);
	source_page_release(&page);
}

/*
 * Plan
 */

static void
source_github_branches__plan_is_conditional(void **state)
{
	struct source_request *reqs = NULL;
	struct fixture f;
	size_t n = 0;

	(void)state;
	fixture_init(&f);
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 3);
	assert_string_equal(reqs[2].stream, STREAM);
	assert_string_equal(reqs[2].url, LIST_URL);
	assert_string_equal(header_of(&reqs[2], "X-GitHub-Api-Version"), "2022-11-28");
	assert_null(header_of(&reqs[2], "If-None-Match"));
	source_requests_free(reqs, n);

	/* After a complete pass: the list's ETag; a pass cut short starts again. */
	f.cursor = xstrdup("{\"list\":{\"etag\":\"W/\\\"abc\\\"\",\"branches\":[]},"
			   "\"pass\":{\"todo\":[{\"url\":\"x\"}]}}");
	reqs = NULL;
	n = 0;
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[2].url, LIST_URL);
	assert_string_equal(header_of(&reqs[2], "If-None-Match"), "W/\"abc\"");
	assert_int_equal(reqs[2].n_headers, 4);
	source_requests_free(reqs, n);
	fixture_release(&f);
}

/*
 * A first pass
 */

/* The list writes the unprotected branch at once; the protected ones wait for
 * their protection, which comes next, in list order, names encoded. */
static void
source_github_branches__list_then_protections(void **state)
{
	const struct store_branch *b;
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f);
	answer(&resp, 200, "github/branches-list.json", NULL, "\"list-1\"");
	assert_int_equal(parse(&f, LIST_URL, NULL, &resp, &page), SUCCESS);
	assert_int_equal(page.validators, -1);
	assert_int_equal(page.n_branches, 1);
	b = &page.branches[0];
	assert_string_equal(b->source, "gh");
	assert_string_equal(b->repo, REPO);
	assert_string_equal(b->name, "feature/receipt-pdf");
	assert_string_equal(b->head_sha, MAIN_SHA);
	assert_false(b->protected);
	assert_null(b->required_checks);
	assert_int_equal(b->required_approvals, -1);
	assert_int_equal(b->force_push, -1);
	assert_int_equal(b->enforce_admins, -1);
	assert_int_equal(b->updated_at, ts(NOW));
	assert_next(&page, RULES_URL("main"), NULL);
	response_release(&resp);
	source_page_release(&page);

	/* Every rule of the recorded protection, with what the list said of the head. */
	answer(&resp, 200, "github/branch-protection-put-response.json", NULL, "\"main-1\"");
	assert_int_equal(parse(&f, RULES_URL("main"), NULL, &resp, &page), SUCCESS);
	assert_int_equal(page.n_branches, 1);
	b = &page.branches[0];
	assert_string_equal(b->name, "main");
	assert_string_equal(b->head_sha, MAIN_SHA);
	assert_true(b->protected);
	assert_string_equal(b->required_checks, "test-status-check");
	assert_int_equal(b->required_approvals, 2);
	assert_int_equal(b->force_push, 1);
	assert_int_equal(b->enforce_admins, 1);
	assert_int_equal(b->code_owner_approval, 1);
	assert_next(&page, RULES_URL("release%2F2.14"), NULL);
	response_release(&resp);
	source_page_release(&page);

	/* The minimal one: no checks, no reviews (0 approvals), nothing allowed. */
	answer(&resp, 200, "github/branch-protection-get-minimal.json", NULL, "\"rel-1\"");
	assert_int_equal(parse(&f, RULES_URL("release%2F2.14"), NULL, &resp, &page), SUCCESS);
	b = find_branch(&page, "release/2.14");
	assert_string_equal(b->head_sha, RELEASE_SHA);
	assert_null(b->required_checks);
	assert_int_equal(b->required_approvals, 0);
	assert_int_equal(b->force_push, 0);
	assert_int_equal(b->enforce_admins, 0);
	assert_int_equal(b->code_owner_approval, 0);
	/* Two branches share a head: its checks are read once. */
	assert_next(&page, CHECKS_URL(MAIN_SHA), NULL);
	response_release(&resp);
	source_page_release(&page);
	fixture_release(&f);
}

/* The recorded check runs page (per_page=2 of 8, Link next) and its next page. */
static void
source_github_branches__check_runs(void **state)
{
	const struct store_check_run *c;
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	json_t *cursor;

	(void)state;
	fixture_init(&f);
	first_pass(&f);
	/* A second pass, whose list and protections changed nothing. */
	answer(&resp, 200, "github/branches-list.json", NULL, "\"list-1\"");
	assert_int_equal(parse(&f, LIST_URL, "\"list-1\"", &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	response_text(&resp, 304, NULL);
	assert_int_equal(parse(&f, RULES_URL("main"), "\"main-1\"", &resp, &page), SUCCESS);
	assert_next(&page, RULES_URL("release%2F2.14"), "\"rel-1\"");
	source_page_release(&page);
	assert_int_equal(parse(&f, RULES_URL("release%2F2.14"), "\"rel-1\"", &resp, &page),
			 SUCCESS);
	assert_next(&page, CHECKS_URL(MAIN_SHA), "\"c-main\"");
	source_page_release(&page);
	response_release(&resp);

	response_file(&resp, 200, "github/check-runs-for-commit-page1.json");
	response_header(&resp, "ETag", "W/\"5c7ad916e0537e392ec3722c55925cf1\"");
	response_header(&resp, "Link",
			"<" CHECKS_PAGE2 ">; rel=\"next\", <" API
			"/repositories/617210/commits/" MAIN_SHA
			"/check-runs?per_page=2&page=4>; rel=\"last\"");
	assert_int_equal(parse(&f, CHECKS_URL(MAIN_SHA), "\"c-main\"", &resp, &page), SUCCESS);
	assert_int_equal(page.n_check_runs, 2);
	assert_int_equal(page.n_branches, 0);
	c = &page.check_runs[0];
	assert_string_equal(c->source, "gh");
	assert_string_equal(c->repo, REPO);
	assert_string_equal(c->sha, MAIN_SHA);
	assert_string_equal(c->name, "test (windows, Java 13)");
	assert_string_equal(c->source_id, "514982798");
	assert_string_equal(c->status, "success");
	assert_int_equal(c->started_at, ts("2020-03-17T21:37:32Z"));
	assert_int_equal(c->finished_at, ts("2020-03-17T21:41:30Z"));
	assert_int_equal(c->updated_at, ts("2020-03-17T21:41:30Z"));
	assert_string_equal(c->url, "https://github.com/hub4j/github-api/runs/514982798");
	c = &page.check_runs[1];
	assert_string_equal(c->name, "test (windows, Java 11)");
	assert_string_equal(c->source_id, "514982790");
	assert_int_equal(c->started_at, ts("2020-03-17T21:37:30Z"));
	assert_int_equal(c->finished_at, ts("2020-03-17T21:41:01Z"));
	/* Its next page, unconditional, before the other head. */
	assert_next(&page, CHECKS_PAGE2, NULL);
	response_release(&resp);
	source_page_release(&page);

	answer(&resp, 200, NULL, "{\"total_count\":8,\"check_runs\":[]}", "\"p2\"");
	assert_int_equal(parse(&f, CHECKS_PAGE2, NULL, &resp, &page), SUCCESS);
	assert_next(&page, CHECKS_URL(RELEASE_SHA), "\"c-rel\"");
	response_release(&resp);
	source_page_release(&page);
	response_text(&resp, 304, NULL);
	assert_int_equal(parse(&f, CHECKS_URL(RELEASE_SHA), "\"c-rel\"", &resp, &page), SUCCESS);
	assert_null(page.next);
	/* The list was read whole: the stored branches it did not name are gone. */
	assert_string_equal(page.prune_repo, REPO);
	assert_int_equal(page.n_prune_names, 3);
	assert_string_equal(page.prune_names[0], "feature/receipt-pdf");
	assert_string_equal(page.prune_names[2], "release/2.14");
	response_release(&resp);
	source_page_release(&page);

	/* Complete: a list over pages keeps no ETag; the others are kept. */
	cursor = json_loads(f.cursor, 0, NULL);
	assert_null(json_object_get(cursor, "pass"));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(cursor, "list"), "etag")),
		"\"list-1\"");
	assert_true(json_is_null(json_object_get(json_object_get(cursor, "checks"), MAIN_SHA)));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(cursor, "checks"), RELEASE_SHA)),
		"\"c-rel\"");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(cursor, "rules"), "main"), "etag")),
		"\"main-1\"");
	json_decref(cursor);
	fixture_release(&f);
}

/* An unchanged repository: 304 for everything, nothing written, the cursor as it
 * was. A protection that changed is written with the kept head. */
static void
source_github_branches__second_round_of_304s(void **state)
{
	struct http_response resp, changed;
	struct source_page page;
	struct fixture f;
	char *before;

	(void)state;
	fixture_init(&f);
	first_pass(&f);
	before = xstrdup(f.cursor);
	response_text(&resp, 304, NULL);
	assert_int_equal(parse(&f, LIST_URL, "\"list-1\"", &resp, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_next(&page, RULES_URL("main"), "\"main-1\"");
	source_page_release(&page);

	answer(&changed, 200, "github/branch-protection-get-minimal.json", NULL, "\"main-2\"");
	assert_int_equal(parse(&f, RULES_URL("main"), "\"main-1\"", &changed, &page), SUCCESS);
	assert_int_equal(page.n_branches, 1);
	assert_string_equal(page.branches[0].name, "main");
	assert_string_equal(page.branches[0].head_sha, MAIN_SHA);
	assert_int_equal(page.branches[0].required_approvals, 0);
	response_release(&changed);
	source_page_release(&page);

	assert_int_equal(parse(&f, RULES_URL("release%2F2.14"), "\"rel-1\"", &resp, &page),
			 SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	source_page_release(&page);
	assert_int_equal(parse(&f, CHECKS_URL(MAIN_SHA), "\"c-main\"", &resp, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	source_page_release(&page);
	assert_int_equal(parse(&f, CHECKS_URL(RELEASE_SHA), "\"c-rel\"", &resp, &page), SUCCESS);
	assert_int_equal(source_page_records(&page), 0);
	assert_null(page.next);
	assert_null(page.prune_repo); /* the list answered 304: nothing to prune by */
	source_page_release(&page);
	response_release(&resp);
	/* Only main's protection ETag moved. */
	assert_string_not_equal(f.cursor, before);
	assert_non_null(strstr(f.cursor, "main-2"));
	assert_null(strstr(f.cursor, "main-1"));
	assert_non_null(strstr(f.cursor, "rel-1"));
	assert_non_null(strstr(f.cursor, "list-1"));
	free(before);
	fixture_release(&f);
}

/* Protections a token may not read (no admin rights: 403, or 404) are written
 * from the list's summary; 404 "Branch not protected" unprotected; a spent rate
 * limit is an error that keeps the pass. */
static void
source_github_branches__unreadable_protections(void **state)
{
	const struct store_branch *b;
	struct http_response resp;
	struct source_page page;
	struct fixture f;
	char *scenario;
	json_t *root;

	(void)state;
	fixture_init(&f);
	answer(&resp, 200, "github/branches-list.json", NULL, NULL);
	assert_int_equal(parse(&f, LIST_URL, NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);

	response_text(
		&resp, 403,
		"{\"message\":\"Resource not accessible by integration\",\"documentation_url\":"
		"\"https://docs.github.com/rest/branches/branch-protection\",\"status\":"
		"\"403\"}");
	response_header(&resp, "X-RateLimit-Remaining", "4999");
	response_header(&resp, "X-RateLimit-Reset", "1740999600");
	assert_int_equal(parse(&f, RULES_URL("main"), NULL, &resp, &page), SUCCESS);
	b = find_branch(&page, "main");
	assert_true(b->protected);
	assert_string_equal(b->required_checks, "build, test (ubuntu, Java 17)");
	assert_int_equal(b->enforce_admins, 1); /* enforcement_level everyone */
	assert_int_equal(b->required_approvals, -1);
	assert_int_equal(b->force_push, -1);
	assert_int_equal(b->code_owner_approval, -1);
	assert_next(&page, RULES_URL("release%2F2.14"), NULL);
	response_release(&resp);
	source_page_release(&page);

	/* The recorded 404 of octokit's scenario. */
	scenario = fixture_text("github/octokit-scenario-branch-protection.json", NULL);
	root = json_loads(scenario, 0, NULL);
	free(scenario);
	scenario = json_dumps(json_object_get(json_array_get(root, 0), "response"), JSON_COMPACT);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(root, 0), "status")),
			 404);
	response_text(&resp, 404, scenario);
	response_header(&resp, "X-RateLimit-Remaining", "4999");
	assert_int_equal(parse(&f, RULES_URL("release%2F2.14"), NULL, &resp, &page), SUCCESS);
	b = find_branch(&page, "release/2.14");
	assert_false(b->protected);
	assert_string_equal(b->head_sha, RELEASE_SHA);
	assert_null(b->required_checks);
	assert_next(&page, CHECKS_URL(MAIN_SHA), NULL);
	response_release(&resp);
	source_page_release(&page);
	free(scenario);
	json_decref(root);
	fixture_release(&f);

	/* A spent primary rate limit on a protection. */
	fixture_init(&f);
	answer(&resp, 200, "github/branches-list.json", NULL, NULL);
	assert_int_equal(parse(&f, LIST_URL, NULL, &resp, &page), SUCCESS);
	response_release(&resp);
	source_page_release(&page);
	response_text(&resp, 403, "{\"message\":\"API rate limit exceeded for user ID 1.\"}");
	response_header(&resp, "X-RateLimit-Remaining", "0");
	response_header(&resp, "X-RateLimit-Reset", "1740999600");
	scenario = xstrdup(f.cursor);
	assert_int_equal(parse(&f, RULES_URL("main"), NULL, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "github " STREAM ": HTTP 403: API rate limit exceeded for user ID 1.; "
			    "the rate limit resets at 2025-03-03T11:00:00Z");
	assert_string_equal(f.cursor, scenario);
	response_release(&resp);
	source_page_release(&page);
	free(scenario);
	fixture_release(&f);
}

/* Check runs of every state: normalized like pipelines; a run not started has no
 * start, a skipped one neither start nor end. */
static void
source_github_branches__check_statuses(void **state)
{
	static const struct {
		const char *status, *conclusion, *want;
		bool started, finished;
	} cases[] = {
		{ "queued", NULL, "queued", false, false },
		{ "in_progress", NULL, "running", true, false },
		{ "waiting", NULL, "waiting", false, false },
		{ "pending", NULL, "queued", false, false },
		{ "completed", "failure", "failed", true, true },
		{ "completed", "timed_out", "failed", true, true },
		{ "completed", "cancelled", "canceled", true, true },
		{ "completed", "skipped", "skipped", false, false },
		{ "completed", "neutral", "success", true, true },
		{ "completed", "action_required", "waiting", false, true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_response resp;
		struct source_page page;
		struct fixture f;
		char *body;

		fixture_init(&f);
		first_pass(&f);
		/* The cursor's todo is empty: a new pass reads the list first. */
		response_text(&resp, 304, NULL);
		assert_int_equal(parse(&f, LIST_URL, "\"list-1\"", &resp, &page), SUCCESS);
		source_page_release(&page);
		assert_int_equal(parse(&f, RULES_URL("main"), "\"main-1\"", &resp, &page), SUCCESS);
		source_page_release(&page);
		assert_int_equal(parse(&f, RULES_URL("release%2F2.14"), "\"rel-1\"", &resp, &page),
				 SUCCESS);
		source_page_release(&page);
		response_release(&resp);
		body = xasprintf(
			"{\"total_count\":1,\"check_runs\":[{\"id\":6,\"head_sha\":\"" MAIN_SHA
			"\",\"name\":\"lint\",\"status\":\"%s\",\"conclusion\":%s%s%s,"
			"\"started_at\":\"2025-03-03T09:00:00Z\",\"completed_at\":%s,"
			"\"html_url\":null,\"details_url\":\"https://ci.example/6\"}]}",
			cases[i].status, cases[i].conclusion ? "\"" : "",
			cases[i].conclusion ? cases[i].conclusion : "null",
			cases[i].conclusion ? "\"" : "",
			cases[i].conclusion ? "\"2025-03-03T09:05:00Z\"" : "null");
		response_text(&resp, 200, body);
		assert_int_equal(parse(&f, CHECKS_URL(MAIN_SHA), "\"c-main\"", &resp, &page),
				 SUCCESS);
		assert_int_equal(page.n_check_runs, 1);
		if (!streq(page.check_runs[0].status, cases[i].want))
			fail_msg("case %zu: %s", i, page.check_runs[0].status);
		assert_int_equal(page.check_runs[0].started_at,
				 cases[i].started ? ts("2025-03-03T09:00:00Z") : TIME_NONE);
		assert_int_equal(page.check_runs[0].finished_at,
				 cases[i].finished ? ts("2025-03-03T09:05:00Z") : TIME_NONE);
		assert_int_equal(
			page.check_runs[0].updated_at,
			ts(cases[i].conclusion ? "2025-03-03T09:05:00Z" : "2025-03-03T09:00:00Z"));
		assert_string_equal(page.check_runs[0].url, "https://ci.example/6");
		response_release(&resp);
		source_page_release(&page);
		free(body);
		fixture_release(&f);
	}
}

/*
 * Bad input
 */

static void
source_github_branches__bad_responses_name_the_problem(void **state)
{
	static const struct {
		const char *url; /* NULL: the list */
		long status;
		const char *body, *error;
	} cases[] = {
		{ NULL, 200, "{\"name\":\"main\"}",
		  "github " STREAM ": the branch list is an object, not an array" },
		{ NULL, 200, "[{\"name\":\"main\",\"protected\":true}]",
		  "github " STREAM ": branches[0]: commit is missing" },
		{ NULL, 200, "[{\"name\":\"main\",\"commit\":{\"sha\":5},\"protected\":true}]",
		  "github " STREAM ": branches[0]: sha is a number, not a string" },
		{ NULL, 200,
		  "[{\"name\":\"main\",\"commit\":{\"sha\":\"a\"},\"protected\":\"yes\"}]",
		  "github " STREAM ": branches[0]: protected is not a boolean" },
		{ NULL, 200, "[{\"name\":\"\",\"commit\":{\"sha\":\"a\"},\"protected\":false}]",
		  "github " STREAM ": branches[0]: name is empty" },
		{ NULL, 200, "[{\"broken",
		  "github " STREAM ": the response is not JSON (line 1, column 9: premature end of "
		  "input near '\"broken')" },
		{ NULL, 500, "{\"message\":\"Server Error\"}",
		  "github " STREAM ": HTTP 500: Server Error" },
		{ NULL, 404, "{\"message\":\"Not Found\"}",
		  "github " STREAM ": HTTP 404: Not Found (check the repo, and that the token may "
		  "read it: GitHub answers 404 for a private repo it does not show)" },
		{ RULES_URL("main"), 200,
		  "{\"required_pull_request_reviews\":{"
		  "\"required_approving_review_count\":\"two\"}}",
		  "github " STREAM ": protection of main: required_approving_review_count is a "
		  "string, not an integer" },
		{ RULES_URL("main"), 200, "{\"required_status_checks\":{\"contexts\":[1]}}",
		  "github " STREAM ": protection of main: required_status_checks names a check by "
		  "no string" },
		{ RULES_URL("main"), 502, "Bad Gateway\n",
		  "github " STREAM ": HTTP 502: Bad Gateway" },
		{ CHECKS_URL(MAIN_SHA), 200, "{\"check_runs\":[{\"id\":1,\"head_sha\":\"a\"}]}",
		  "github " STREAM ": check_runs[0]: name is missing" },
		{ CHECKS_URL(MAIN_SHA), 200,
		  "{\"check_runs\":[{\"id\":1,\"head_sha\":\"a\","
		  "\"name\":\"x\",\"status\":\"completed\","
		  "\"started_at\":\"yesterday\"}]}",
		  "github " STREAM ": check_runs[0]: started_at \"yesterday\" is not a timestamp" },
		{ CHECKS_URL(MAIN_SHA), 200, "{\"total_count\":1}",
		  "github " STREAM ": the response has no check_runs" },
		{ CHECKS_URL(RELEASE_SHA), 200, "{\"check_runs\":[]}",
		  "github " STREAM ": not what this pass reads next" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_response resp;
		struct source_page page;
		struct fixture f;
		char *before = NULL;

		fixture_init(&f);
		if (cases[i].url) {
			/* Up to the request at hand. */
			answer(&resp, 200, "github/branches-list.json", NULL, NULL);
			assert_int_equal(parse(&f, LIST_URL, NULL, &resp, &page), SUCCESS);
			response_release(&resp);
			source_page_release(&page);
			if (strstr(cases[i].url, "check-runs")) {
				for (const char *u = RULES_URL("main");;
				     u = RULES_URL("release%2F2.14")) {
					answer(&resp, 200, NULL, "{}", NULL);
					assert_int_equal(parse(&f, u, NULL, &resp, &page), SUCCESS);
					response_release(&resp);
					source_page_release(&page);
					if (strstr(u, "release"))
						break;
				}
			}
			before = xstrdup(f.cursor);
		}
		response_text(&resp, cases[i].status, cases[i].body);
		assert_int_equal(
			parse(&f, cases[i].url ? cases[i].url : LIST_URL, NULL, &resp, &page),
			ERROR_CUSTOM_MESSAGE);
		if (!streq(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error))
			fail_msg("case %zu: %s", i, status_message(ERROR_CUSTOM_MESSAGE));
		/* The committed cursor stays: the engine keeps the previous data. */
		if (before)
			assert_string_equal(f.cursor, before);
		response_release(&resp);
		source_page_release(&page);
		free(before);
		fixture_release(&f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_github_branches__plan_is_conditional),
		cmocka_unit_test(source_github_branches__list_then_protections),
		cmocka_unit_test(source_github_branches__check_runs),
		cmocka_unit_test(source_github_branches__second_round_of_304s),
		cmocka_unit_test(source_github_branches__unreadable_protections),
		cmocka_unit_test(source_github_branches__check_statuses),
		cmocka_unit_test(source_github_branches__bad_responses_name_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
