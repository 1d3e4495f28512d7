/* test_source_gitlab_branches.c - the GitLab source's "branches:PROJECT" stream:
 * protected branch rules in the shape of GitLab's API docs (tests/fixtures/gitlab)
 * parsed into exact branch records, paging by Link and X-Next-Page, the request
 * a round plans, and bad responses, each with the error it must give. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "support.h"

#define NOW "2025-03-03T10:00:00Z"
#define BASE "https://gitlab.example.com"
#define LIST_URL BASE "/api/v4/projects/acme%2Fcheckout/protected_branches?per_page=100"
#define STREAM "branches:acme/checkout"

struct fixture {
	struct test_source t;
	struct source_ctx ctx;
};

static const char *
no_cursor(void *engine, const char *stream)
{
	(void)engine;
	(void)stream;
	return NULL;
}

static const struct source_ops *
ops(void)
{
	return test_ops("gitlab");
}

static void
fixture_init(struct fixture *f, const char *secret)
{
	memset(f, 0, sizeof(*f));
	test_source_init(&f->t, "gl", "gitlab", BASE, NULL);
	add_value(&f->t, "project", "acme/checkout");
	f->ctx.name = "gl";
	f->ctx.config = &f->t.src;
	f->ctx.secret = secret;
	f->ctx.now = ts(NOW);
	f->ctx.cursor = no_cursor;
}

static enum status_code
parse(struct fixture *f, const char *url, const struct http_response *resp,
      struct source_page *page)
{
	return test_parse_get("gitlab", &f->ctx, STREAM, url, NULL, NULL, resp, page);
}

static void
source_gitlab_branches__plan(void **state)
{
	struct source_request *reqs = NULL;
	struct fixture f;
	size_t n = 0;

	(void)state;
	fixture_init(&f, "glpat-s3cret");
	assert_int_equal(ops()->plan(&f.ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 3);
	assert_string_equal(reqs[2].stream, STREAM);
	assert_string_equal(reqs[2].method, "GET");
	assert_string_equal(reqs[2].url, LIST_URL);
	assert_int_equal(reqs[2].n_headers, 1);
	assert_string_equal(reqs[2].headers[0].name, "PRIVATE-TOKEN");
	assert_string_equal(reqs[2].headers[0].value, "glpat-s3cret");
	source_requests_free(reqs, n);
	source_release(&f.t);
}

static void
source_gitlab_branches__rules_become_branches(void **state)
{
	const struct store_branch *b;
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, NULL);
	response_file(&resp, 200, "gitlab/protected-branches-list.json");
	response_header(&resp, "X-Next-Page", "");
	assert_int_equal(parse(&f, LIST_URL, &resp, &page), SUCCESS);
	assert_int_equal(page.n_branches, 2);
	assert_null(page.next);
	assert_null(page.cursor);
	b = &page.branches[0];
	assert_string_equal(b->source, "gl");
	assert_string_equal(b->repo, "acme/checkout");
	assert_string_equal(b->name, "main");
	assert_null(b->head_sha);
	assert_true(b->protected);
	assert_string_equal(b->push_access, "maintainer");
	assert_string_equal(b->merge_access, "developer");
	assert_int_equal(b->force_push, 0);
	assert_int_equal(b->code_owner_approval, 1);
	assert_int_equal(b->required_approvals, -1);
	assert_int_equal(b->enforce_admins, -1);
	assert_null(b->required_checks);
	assert_int_equal(b->updated_at, ts(NOW));
	b = &page.branches[1];
	assert_string_equal(b->name, "release/*");
	assert_string_equal(b->push_access, "no one");
	assert_string_equal(b->merge_access, "maintainer, group:9");
	assert_int_equal(b->force_push, 1);
	assert_int_equal(b->code_owner_approval, -1); /* not in the payload */
	/* One page is every rule: the others stored go. */
	assert_string_equal(page.prune_repo, "acme/checkout");
	assert_int_equal(page.n_prune_names, 2);
	assert_string_equal(page.prune_names[0], "main");
	assert_string_equal(page.prune_names[1], "release/*");
	response_release(&resp);
	source_page_release(&page);
	source_release(&f.t);
}

/* Offset pages: X-Next-Page on the request's URL; Link when GitLab sends one. */
static void
source_gitlab_branches__pages(void **state)
{
	struct http_response resp;
	struct source_page page;
	struct fixture f;

	(void)state;
	fixture_init(&f, NULL);
	response_text(&resp, 200, "[]");
	response_header(&resp, "X-Next-Page", "2");
	assert_int_equal(parse(&f, LIST_URL, &resp, &page), SUCCESS);
	assert_non_null(page.next);
	assert_string_equal(page.next->url, LIST_URL "&page=2");
	assert_string_equal(page.next->stream, STREAM);
	assert_null(page.prune_repo); /* over pages, no page is every rule */
	response_release(&resp);
	source_page_release(&page);

	response_text(&resp, 200, "[]");
	response_header(&resp, "Link",
			"<" BASE "/api/v4/projects/7/protected_branches?page=3&per_page=100>; "
			"rel=\"next\"");
	assert_int_equal(parse(&f, LIST_URL "&page=2", &resp, &page), SUCCESS);
	assert_string_equal(page.next->url,
			    BASE "/api/v4/projects/7/protected_branches?page=3&per_page=100");
	assert_null(page.prune_repo);
	response_release(&resp);
	source_page_release(&page);
	source_release(&f.t);
}

static void
source_gitlab_branches__bad_responses_name_the_problem(void **state)
{
	static const struct {
		long status;
		const char *body, *error;
	} cases[] = {
		{ 200, "{\"name\":\"main\"}",
		  "gitlab " STREAM ": the response is an object, not a JSON array of protected "
		  "branches" },
		{ 200, "[{\"push_access_levels\":[]}]",
		  "gitlab " STREAM ": protected branch 0: name is missing" },
		{ 200, "[{\"name\":\"\"}]",
		  "gitlab " STREAM ": protected branch 0: name is empty" },
		{ 200, "[{\"name\":\"main\",\"push_access_levels\":{}}]",
		  "gitlab " STREAM ": protected branch 0: push_access_levels is an object, not an "
		  "array" },
		{ 200, "[{\"name\":\"main\",\"merge_access_levels\":[{\"access_level\":\"40\"}]}]",
		  "gitlab " STREAM ": protected branch 0: merge_access_levels holds an entry with "
		  "no integer access_level" },
		{ 200, "[{\"name\":\"main\",\"allow_force_push\":\"no\"}]",
		  "gitlab " STREAM ": protected branch 0: allow_force_push is a string, not a "
		  "boolean" },
		{ 200, "[7]", "gitlab " STREAM ": protected branch 0 is a number, not an object" },
		{ 403, "{\"message\":\"403 Forbidden\"}",
		  "gitlab " STREAM
		  ": HTTP 403: 403 Forbidden (the token needs the read_api scope)" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_response resp;
		struct source_page page;
		struct fixture f;

		fixture_init(&f, NULL);
		response_text(&resp, cases[i].status, cases[i].body);
		assert_int_equal(parse(&f, LIST_URL, &resp, &page), ERROR_CUSTOM_MESSAGE);
		if (!streq(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error))
			fail_msg("case %zu: %s", i, status_message(ERROR_CUSTOM_MESSAGE));
		response_release(&resp);
		source_page_release(&page);
		source_release(&f.t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_gitlab_branches__plan),
		cmocka_unit_test(source_gitlab_branches__rules_become_branches),
		cmocka_unit_test(source_gitlab_branches__pages),
		cmocka_unit_test(source_gitlab_branches__bad_responses_name_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
