/* github_branches.c - the stream "branches:OWNER/NAME": a repository's branches
 * (GET /repos/OWNER/NAME/branches, 100 a page, Link pagination), the protection of
 * each protected one (GET .../branches/NAME/protection) and the check runs of each
 * distinct head commit (github_checks.c), as branch and check run records.
 *
 * A round is one pass, in this order: the list, the protections, the checks; each
 * request after the list is the page after the one before (page->next), as the
 * list says which to make. Every request but the list's later pages is
 * conditional, with the ETag its URL answered in the last complete pass, kept in
 * the cursor: GitHub answers 304, which costs no rate limit, and an unchanged
 * repository is a round of 304s that download nothing. So the engine's single
 * stream ETag is not used (page->validators -1): a 304 of the list must not end
 * the round, since a check run moves on while the branches stay where they are.
 * The engine hands the source the 304s of requests it made conditional itself.
 *
 * Cursor: {"list": {"etag", "branches": [branch]}, "rules": {NAME: rules},
 * "checks": {SHA: etag}} of the last complete pass, and "pass" (the same being
 * built, "todo": the requests left, "next": the list's next page, "changed": the
 * list was read whole) while one is under way. A branch is {"name", "sha",
 * "protected", "checks", "admins"} (the last two from the list's protection
 * summary), rules {"etag", "checks", "approvals", "force", "admins", "owners"}.
 * The list's ETag is kept only when it fits one page: a 304 of a first page says
 * nothing of the next ones. A check-runs list over pages keeps none either.
 *
 * Records. A branch is written when what it shows is known: an unprotected one
 * with its list page, a protected one with its protection (or, after a 304 of it,
 * with the rules kept, when the list changed). The protection endpoint needs admin
 * rights: a token without them gets 403 or 404 there, and the branch is written
 * with what the list shows (required checks; admins enforced when the checks'
 * enforcement_level is "everyone"), approvals and force pushes unknown. 404
 * "Branch not protected" (protection removed since the list was read) writes it
 * unprotected. updated_at is now: branches carry no time of their own. A pass
 * that read the list whole ends by having the stored branches it did not list
 * deleted (page->prune_repo): deleted upstream.
 *
 * Mapping of a protection: required_checks the required_status_checks' contexts
 * (else checks[].context) joined by ", "; required_approvals
 * required_pull_request_reviews.required_approving_review_count (0 without the
 * object: no review required); code_owner_approval require_code_owner_reviews;
 * force_push allow_force_pushes.enabled; enforce_admins enforce_admins.enabled. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/http.h"
#include "sitrep/json.h"

#include "github-private.h"

/* ---- URLs ---- */

static char *
list_url(const char *base, const char *repo)
{
	char *path = xasprintf("/repos/%s/branches?per_page=" GH_PER_PAGE, repo);
	char *url = source_url(base, path);

	free(path);
	return url;
}

/* A branch name in a path segment: '/' and everything not unreserved encoded. */
static char *
rules_url(const char *base, const char *repo, const char *name)
{
	struct buf b;
	char *url;

	buf_init(&b, 0);
	buf_printf(&b, "/repos/%s/branches/", repo);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_addch(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	buf_printf(&b, "/protection");
	url = source_url(base, b.data);
	buf_release(&b);
	return url;
}

static void
add_etag(struct source_request *req, const char *etag)
{
	if (etag && *etag)
		source_request_header(req, "If-None-Match", etag);
}

void
gh_branches_plan(const struct source_ctx *ctx, const char *base, const char *repo,
		 struct source_request **out, size_t *n)
{
	char *stream = xasprintf("branches:%s", repo);
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	json_t *cursor = text ? json_loads(text, 0, NULL) : NULL;
	struct source_request *req;

	/* A pass cut short is not resumed: the next one asks again, conditionally. */
	req = source_request_add(out, n, stream, "GET", list_url(base, repo));
	gh_add_headers(ctx, req);
	add_etag(req, json_string_value(json_object_get(json_object_get(cursor, "list"), "etag")));
	json_decref(cursor);
	free(stream);
}

/* ---- the cursor ---- */

struct br {
	struct gh_parse *g;
	json_t *cursor; /* owned */
	json_t *pass;	/* in cursor */
};

static json_t *
cursor_load(const struct gh_parse *g)
{
	const char *text = g->ctx->cursor ? g->ctx->cursor(g->ctx->engine, g->stream) : NULL;
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;

	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	return root;
}

static json_t *
pass_new(json_t *cursor)
{
	json_t *pass = json_object();

	json_object_set_new(pass, "branches", json_array());
	json_object_set_new(pass, "todo", json_array());
	json_object_set_new(pass, "rules", json_object());
	json_object_set_new(pass, "checks", json_object());
	json_object_set_new(cursor, "pass", pass);
	return pass;
}

static bool
valid_pass(const json_t *pass)
{
	return json_is_object(pass) && json_is_array(json_object_get(pass, "branches")) &&
	       json_is_array(json_object_get(pass, "todo")) &&
	       json_is_object(json_object_get(pass, "rules")) &&
	       json_is_object(json_object_get(pass, "checks"));
}

/* ---- records ---- */

static int
flag(const json_t *v)
{
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* Writes branch item with rules (NULL: only what the list shows). */
static void
write_branch(struct br *b, const json_t *item, const json_t *rules)
{
	struct gh_parse *g = b->g;
	struct store_branch *rec = source_page_branch(g->page);
	const json_t *approvals = json_object_get(rules, "approvals");

	rec->source = source_page_strdup(g->page, g->ctx->name);
	rec->repo = g->repo;
	rec->name = source_page_strdup(g->page, json_string_value(json_object_get(item, "name")));
	rec->head_sha =
		source_page_strdup(g->page, json_string_value(json_object_get(item, "sha")));
	rec->protected = json_is_true(json_object_get(item, "protected"));
	rec->updated_at = g->ctx->now;
	if (!rec->protected)
		return;
	rec->required_checks = source_page_strdup(
		g->page, json_string_value(json_object_get(rules ? rules : item, "checks")));
	rec->enforce_admins = flag(json_object_get(rules ? rules : item, "admins"));
	if (!rules)
		return;
	rec->required_approvals = json_is_integer(approvals) ? json_integer_value(approvals) : -1;
	rec->force_push = flag(json_object_get(rules, "force"));
	rec->code_owner_approval = flag(json_object_get(rules, "owners"));
}

/* The branch of the pass called name, or NULL. */
static const json_t *
pass_branch(const struct br *b, const char *name)
{
	const json_t *item;
	size_t i;

	json_array_foreach(json_object_get(b->pass, "branches"), i, item)
	{
		if (streq(json_string_value(json_object_get(item, "name")), name))
			return item;
	}
	return NULL;
}

/* ---- reading payloads ---- */

/* contexts (else checks[].context) of a required_status_checks object, joined by
 * ", ", or NULL when none. */
static enum status_code
required_checks(struct gh_parse *g, const json_t *rsc, json_t **out)
{
	const json_t *list = json_object_get(rsc, "contexts"), *v;
	const char *key = "context";
	struct buf b;
	size_t i;

	*out = NULL;
	if (!rsc || json_is_null(rsc))
		return SUCCESS;
	if (!json_is_object(rsc))
		return gh_field_error(g, "required_status_checks", "is not an object", NULL);
	if (!json_is_array(list) || json_array_size(list) == 0)
		list = json_object_get(rsc, "checks");
	else
		key = NULL;
	if (list && !json_is_array(list))
		return gh_field_error(g, "required_status_checks.checks", "is not an array", NULL);
	buf_init(&b, 0);
	json_array_foreach(list, i, v)
	{
		const json_t *name = key ? json_object_get(v, key) : v;

		if (!json_is_string(name)) {
			buf_release(&b);
			return gh_field_error(g, "required_status_checks",
					      "names a check by no string", NULL);
		}
		buf_printf(&b, "%s%s", b.len ? ", " : "", json_string_value(name));
	}
	if (b.len)
		*out = json_string(b.data);
	buf_release(&b);
	return SUCCESS;
}

/* One item of the list as the pass keeps it. */
static enum status_code
list_item(struct br *b, const json_t *obj, json_t **out)
{
	struct gh_parse *g = b->g;
	const json_t *commit = json_object_get(obj, "commit"), *prot, *rsc;
	const char *name, *sha, *level;
	json_t *item, *checks = NULL;
	enum status_code code;

	*out = NULL;
	if (!json_is_object(obj))
		return gh_field_error(g, "branch", "is not an object", NULL);
	if ((code = gh_get_string(g, obj, "name", true, &name)) != SUCCESS)
		return code;
	if (!*name)
		return gh_field_error(g, "name", "is empty", NULL);
	if (!json_is_object(commit))
		return gh_field_error(g, "commit", "is missing", NULL);
	if ((code = gh_get_string(g, commit, "sha", true, &sha)) != SUCCESS)
		return code;
	if (!json_is_boolean(json_object_get(obj, "protected")))
		return gh_field_error(g, "protected", "is not a boolean", NULL);
	prot = json_object_get(obj, "protection");
	rsc = json_is_object(prot) ? json_object_get(prot, "required_status_checks") : NULL;
	if ((code = required_checks(g, rsc, &checks)) != SUCCESS)
		return code;
	level = json_string_value(json_object_get(rsc, "enforcement_level"));
	item = json_pack("{s:s, s:s, s:O}", "name", name, "sha", sha, "protected",
			 json_object_get(obj, "protected"));
	if (checks)
		json_object_set_new(item, "checks", checks);
	if (level)
		json_object_set_new(item, "admins", json_boolean(streq(level, "everyone")));
	*out = item;
	return SUCCESS;
}

static enum status_code
parse_list(struct br *b, const json_t *root, const struct http_response *resp, bool first)
{
	struct gh_parse *g = b->g;
	json_t *branches = json_object_get(b->pass, "branches"), *item;
	const json_t *obj;
	enum status_code code;
	char *next;
	size_t i;

	if (!json_is_array(root))
		return error(GH_TYPE " %s: the branch list is %s, not an array", g->stream,
			     json_type_name(root));
	json_array_foreach(root, i, obj)
	{
		snprintf(g->where, sizeof(g->where), "branches[%zu]", i);
		if ((code = list_item(b, obj, &item)) != SUCCESS)
			return code;
		if (!json_is_true(json_object_get(item, "protected")))
			write_branch(b, item, NULL);
		json_array_append_new(branches, item);
	}
	json_object_set_new(b->pass, "changed", json_true());
	next = http_link_next(resp);
	if (next && streq(next, g->req->url)) {
		free(next);
		return error(GH_TYPE " %s: the pagination cursor did not advance: the list's "
				     "next page is the page itself",
			     g->stream);
	}
	if (next)
		json_object_set_new(b->pass, "next", json_string(next));
	else
		json_object_del(b->pass, "next");
	if (first && !next && http_header_get(resp, "ETag"))
		json_object_set_new(b->pass, "etag", json_string(http_header_get(resp, "ETag")));
	free(next);
	return SUCCESS;
}

/* required_pull_request_reviews and the *.enabled flags of a protection. */
static enum status_code
parse_rules(struct br *b, const char *name, const json_t *root, const struct http_response *resp)
{
	struct gh_parse *g = b->g;
	const json_t *reviews, *item = pass_branch(b, name);
	json_t *rules = json_object(), *checks = NULL;
	const char *etag = http_header_get(resp, "ETag");
	enum status_code code;
	int64_t count = 0;

	snprintf(g->where, sizeof(g->where), "protection of %.60s", name);
	if (!json_is_object(root))
		code = gh_field_error(g, "protection", "is not an object", NULL);
	else
		code = required_checks(g, json_object_get(root, "required_status_checks"), &checks);
	reviews = json_object_get(root, "required_pull_request_reviews");
	if (code == SUCCESS && reviews && !json_is_null(reviews)) {
		if (!json_is_object(reviews))
			code = gh_field_error(g, "required_pull_request_reviews",
					      "is not an object", NULL);
		else
			code = gh_get_count(g, reviews, "required_approving_review_count", false,
					    &count);
		if (count < 0)
			count = 0;
		json_object_set_new(rules, "owners",
				    json_boolean(json_is_true(json_object_get(
					    reviews, "require_code_owner_reviews"))));
	} else {
		json_object_set_new(rules, "owners", json_false());
	}
	if (code != SUCCESS) {
		json_decref(rules);
		json_decref(checks);
		return code;
	}
	if (checks)
		json_object_set_new(rules, "checks", checks);
	json_object_set_new(rules, "approvals", json_integer(count));
	json_object_set(rules, "force",
			json_object_get(json_object_get(root, "allow_force_pushes"), "enabled"));
	json_object_set(rules, "admins",
			json_object_get(json_object_get(root, "enforce_admins"), "enabled"));
	if (etag)
		json_object_set_new(rules, "etag", json_string(etag));
	if (item)
		write_branch(b, item, rules);
	json_object_set_new(json_object_get(b->pass, "rules"), name, rules);
	return SUCCESS;
}

/* ---- the pass ---- */

static json_t *
todo_item(const char *url, const char *kind, const char *key, const char *etag)
{
	json_t *item = json_pack("{s:s, s:s, s:s}", "url", url, "kind", kind, "key", key);

	if (etag)
		json_object_set_new(item, "etag", json_string(etag));
	return item;
}

/* The list is read: the protections, then the checks of each distinct head. */
static void
plan_details(struct br *b)
{
	struct gh_parse *g = b->g;
	json_t *todo = json_object_get(b->pass, "todo"), *seen = json_object();
	const json_t *rules = json_object_get(b->cursor, "rules");
	const json_t *checks = json_object_get(b->cursor, "checks"), *item;
	size_t i;

	json_array_foreach(json_object_get(b->pass, "branches"), i, item)
	{
		const char *name = json_string_value(json_object_get(item, "name"));
		char *url;

		if (!json_is_true(json_object_get(item, "protected")))
			continue;
		url = rules_url(g->base, g->repo, name);
		json_array_append_new(todo,
				      todo_item(url, "rules", name,
						json_string_value(json_object_get(
							json_object_get(rules, name), "etag"))));
		free(url);
	}
	json_array_foreach(json_object_get(b->pass, "branches"), i, item)
	{
		const char *sha = json_string_value(json_object_get(item, "sha"));
		char *url;

		if (json_object_get(seen, sha))
			continue;
		json_object_set_new(seen, sha, json_true());
		url = gh_checks_url(g->base, g->repo, sha);
		json_array_append_new(todo,
				      todo_item(url, "checks", sha,
						json_string_value(json_object_get(checks, sha))));
		free(url);
	}
	json_decref(seen);
}

/* The pass read the whole list: its branches are all there are, and the stored
 * ones it did not list were deleted upstream. */
static void
prune(struct br *b)
{
	struct source_page *page = b->g->page;
	const json_t *branches = json_object_get(b->pass, "branches"), *item;
	size_t i;

	page->prune_repo = b->g->repo;
	page->prune_names =
		source_page_alloc(page, (json_array_size(branches) + 1) * sizeof(char *));
	json_array_foreach(branches, i, item)
	{
		page->prune_names[page->n_prune_names++] =
			source_page_strdup(page, json_string_value(json_object_get(item, "name")));
	}
}

/* The pass is complete: what it read becomes the cursor's. */
static void
pass_finish(struct br *b)
{
	json_t *list = json_object();
	json_t *etag = json_object_get(b->pass, "etag");

	if (json_is_true(json_object_get(b->pass, "changed")))
		prune(b);

	json_object_set(list, "branches", json_object_get(b->pass, "branches"));
	if (etag)
		json_object_set(list, "etag", etag);
	json_object_set_new(b->cursor, "list", list);
	json_object_set(b->cursor, "rules", json_object_get(b->pass, "rules"));
	json_object_set(b->cursor, "checks", json_object_get(b->pass, "checks"));
	json_object_del(b->cursor, "pass");
}

/* The next request (the list's next page, else the first of todo), or the end. */
static void
continue_pass(struct br *b)
{
	struct gh_parse *g = b->g;
	const char *next = json_string_value(json_object_get(b->pass, "next"));
	const json_t *item = json_array_get(json_object_get(b->pass, "todo"), 0);
	struct source_request *req = NULL;

	if (next) {
		req = gh_new_request(g->ctx, g->stream, xstrdup(next));
	} else if (item) {
		req = gh_new_request(g->ctx, g->stream,
				     xstrdup(json_string_value(json_object_get(item, "url"))));
		add_etag(req, json_string_value(json_object_get(item, "etag")));
	} else {
		pass_finish(b);
	}
	g->page->next = req;
	g->page->cursor = json_dumps(b->cursor, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* A protection answered 304: the rules kept; written again if the head moved. */
static void
rules_unchanged(struct br *b, const char *name)
{
	json_t *rules = json_object_get(json_object_get(b->cursor, "rules"), name);
	const json_t *item = pass_branch(b, name);

	if (!rules)
		return;
	json_object_set(json_object_get(b->pass, "rules"), name, rules);
	if (item && json_is_true(json_object_get(b->pass, "changed")))
		write_branch(b, item, rules);
}

/* 403 or 404 from a protection: no admin rights (or, "Branch not protected", the
 * protection is gone). Not an error: the branch is written from the list. */
static bool
rules_unreadable(struct br *b, const char *name, const struct http_response *resp)
{
	const json_t *item = pass_branch(b, name);
	json_t *root, *copy;
	const char *msg;

	if (resp->status != 403 && resp->status != 404)
		return false;
	/* A spent rate limit is a 403 too, and is an error. */
	if (streq(http_header_get(resp, "X-RateLimit-Remaining"), "0") ||
	    http_retry_after(resp, b->g->ctx->now) >= 0)
		return false;
	if (!item)
		return true;
	root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	msg = json_string_value(json_object_get(root, "message"));
	if (msg && strstr(msg, "rate limit")) {
		json_decref(root);
		return false;
	}
	copy = json_deep_copy(item);
	if (msg && streq(msg, "Branch not protected"))
		json_object_set_new(copy, "protected", json_false());
	write_branch(b, copy, NULL);
	json_decref(copy);
	json_decref(root);
	return true;
}

/* A page of check runs: follows its Link (keeping no ETag for a list of pages). */
static enum status_code
parse_checks(struct br *b, const char *sha, const json_t *root, const struct http_response *resp)
{
	struct gh_parse *g = b->g;
	const char *etag = http_header_get(resp, "ETag");
	json_t *todo = json_object_get(b->pass, "todo");
	enum status_code code;
	char *next;

	if ((code = gh_checks_page(g, root)) != SUCCESS)
		return code;
	next = http_link_next(resp);
	if (next && streq(next, g->req->url)) {
		free(next);
		return error(GH_TYPE " %s: the pagination cursor did not advance: the check "
				     "runs' next page is the page itself",
			     g->stream);
	}
	if (next) {
		json_array_insert_new(todo, 1, todo_item(next, "checks", sha, NULL));
		json_object_set_new(json_object_get(b->pass, "checks"), sha, json_null());
	} else if (etag &&
		   !json_is_null(json_object_get(json_object_get(b->pass, "checks"), sha))) {
		/* The first page of one: a later page finds null there. */
		json_object_set_new(json_object_get(b->pass, "checks"), sha, json_string(etag));
	}
	free(next);
	return SUCCESS;
}

/* The response to todo's first request. */
static enum status_code
parse_detail(struct br *b, const struct http_response *resp)
{
	struct gh_parse *g = b->g;
	json_t *todo = json_object_get(b->pass, "todo"), *root = NULL;
	const json_t *item = json_array_get(todo, 0);
	const char *kind = json_string_value(json_object_get(item, "kind"));
	const char *key = json_string_value(json_object_get(item, "key"));
	const char *etag = json_string_value(json_object_get(item, "etag"));
	bool rules = streq(kind, "rules");
	enum status_code code = SUCCESS;

	if (!item || !streq(json_string_value(json_object_get(item, "url")), g->req->url) || !key)
		return error(GH_TYPE " %s: not what this pass reads next", g->stream);
	if (resp->status == 304 && etag) {
		if (rules)
			rules_unchanged(b, key);
		else
			json_object_set_new(json_object_get(b->pass, "checks"), key,
					    json_string(etag));
	} else if (rules && rules_unreadable(b, key, resp)) {
		/* written from the list */
	} else if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big) {
		return gh_http_error(g, resp);
	} else if ((code = source_check_response(GH_TYPE, g->stream, resp)) != SUCCESS ||
		   (code = source_parse_json(GH_TYPE, g->stream, resp, &root)) != SUCCESS) {
		return code;
	} else {
		code = rules ? parse_rules(b, key, root, resp) : parse_checks(b, key, root, resp);
		json_decref(root);
	}
	if (code == SUCCESS)
		json_array_remove(todo, 0);
	return code;
}

/* The list's first page, answered 304: the branches of the last complete pass. */
static enum status_code
list_unchanged(struct br *b)
{
	json_t *list = json_object_get(b->cursor, "list");
	json_t *branches = json_object_get(list, "branches");

	if (!json_is_array(branches))
		return error(GH_TYPE " %s: the branch list answered 304 Not Modified, but no "
				     "list is kept to stand for it",
			     b->g->stream);
	json_object_set(b->pass, "branches", branches);
	json_object_set(b->pass, "etag", json_object_get(list, "etag"));
	return SUCCESS;
}

static enum status_code
parse_list_page(struct br *b, const struct http_response *resp, bool first)
{
	struct gh_parse *g = b->g;
	enum status_code code;
	json_t *root = NULL;

	if (resp->status == 304 && first)
		code = list_unchanged(b);
	else if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big)
		return gh_http_error(g, resp);
	else if ((code = source_check_response(GH_TYPE, g->stream, resp)) == SUCCESS &&
		 (code = source_parse_json(GH_TYPE, g->stream, resp, &root)) == SUCCESS)
		code = parse_list(b, root, resp, first);
	json_decref(root);
	if (code == SUCCESS && !json_object_get(b->pass, "next"))
		plan_details(b);
	return code;
}

enum status_code
gh_branches_parse(struct gh_parse *g, const struct http_response *resp)
{
	struct br b = { .g = g };
	char *first = list_url(g->base, g->repo);
	const char *next;
	enum status_code code;

	g->page->validators = -1; /* the pass keeps its own: see the top */
	/* Records point into the page, which outlives the request. */
	g->repo = source_page_strdup(g->page, g->repo);
	b.cursor = cursor_load(g);
	b.pass = json_object_get(b.cursor, "pass");
	next = json_string_value(json_object_get(b.pass, "next"));
	if (streq(g->req->url, first)) {
		b.pass = pass_new(b.cursor);
		code = parse_list_page(&b, resp, true);
	} else if (!valid_pass(b.pass)) {
		code = error(GH_TYPE " %s: no pass under way for this request", g->stream);
	} else if (next && streq(next, g->req->url)) {
		code = parse_list_page(&b, resp, false);
	} else {
		code = parse_detail(&b, resp);
	}
	if (code == SUCCESS)
		continue_pass(&b);
	free(first);
	json_decref(b.cursor);
	return code;
}
