/* gitlab_branches.c - the stream "branches:PROJECT": the project's protected branch
 * rules (GET /projects/:id/protected_branches, 100 a page, Link or X-Next-Page
 * paging as the other streams) as branch records, each round whole: the list is
 * small and carries no update time to keep a watermark by.
 *
 * Mapping: name as given (a wildcard rule such as release/ followed by a star is a row of its own, as
 * GitLab lists it), protected, push_access and merge_access from push_access_levels
 * and merge_access_levels (access_level 0 "no one", 30 "developer" (developers and
 * maintainers), 40 "maintainer", 60 "admin"; an entry for a user or a group, a
 * Premium feature whose access_level is then null, "user:ID" or "group:ID"; several
 * joined by ", "), force_push allow_force_push, code_owner_approval
 * code_owner_approval_required (Premium: unknown when absent). Protected branches
 * name no commit, approvals (merge request approval rules) nor status checks: those
 * stay unknown. updated_at is now: the list carries no time. A list of one page
 * holds every rule, so the stored rules it does not name are deleted (removed
 * upstream); over pages, none are. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/json.h"
#include "gitlab-private.h"

enum status_code
gl_plan_branches(const struct source_ctx *ctx, const char *project, struct source_request **out,
		 size_t *n)
{
	char *stream = xasprintf(BRANCHES "%s", project);
	char *base = gl_project_url(ctx, project);
	struct source_request *req;

	req = source_request_add(out, n, stream, "GET",
				 xasprintf("%s/protected_branches?per_page=%d", base, PER_PAGE));
	gl_auth(req, ctx->secret);
	free(base);
	free(stream);
	return SUCCESS;
}

static const char *
level_name(json_int_t level)
{
	switch (level) {
	case 0:
		return "no one";
	case 30:
		return "developer";
	case 40:
		return "maintainer";
	case 60:
		return "admin";
	default:
		return NULL;
	}
}

/* One access level entry into b. */
static enum status_code
access_entry(const struct gl_where *w, const char *field, const json_t *entry, struct buf *b)
{
	const json_t *level = json_object_get(entry, "access_level");
	const char *keys[] = { "user_id", "group_id" }, *name;
	char text[48];

	if (!json_is_object(entry))
		return gl_field_error(w, field, "holds an entry that is not an object", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const json_t *id = json_object_get(entry, keys[i]);

		if (json_is_integer(id)) {
			snprintf(text, sizeof(text), "%.*s:%lld", (int)strcspn(keys[i], "_"),
				 keys[i], (long long)json_integer_value(id));
			buf_printf(b, "%s%s", b->len ? ", " : "", text);
			return SUCCESS;
		}
	}
	if (!json_is_integer(level))
		return gl_field_error(w, field, "holds an entry with no integer access_level",
				      NULL);
	if (!(name = level_name(json_integer_value(level)))) {
		snprintf(text, sizeof(text), "level %lld", (long long)json_integer_value(level));
		name = text;
	}
	buf_printf(b, "%s%s", b->len ? ", " : "", name);
	return SUCCESS;
}

/* The entries of obj[key] as text in page memory, NULL when absent. */
static enum status_code
access_levels(struct source_page *page, const struct gl_where *w, const json_t *obj,
	      const char *key, const char **out)
{
	const json_t *list = json_object_get(obj, key), *entry;
	enum status_code code = SUCCESS;
	struct buf b;
	size_t i;

	*out = NULL;
	if (!list || json_is_null(list))
		return SUCCESS;
	if (!json_is_array(list))
		return gl_wrong_type(w, key, list, "an array");
	buf_init(&b, 0);
	json_array_foreach(list, i, entry)
	{
		if ((code = access_entry(w, key, entry, &b)) != SUCCESS)
			break;
	}
	if (code == SUCCESS)
		*out = source_page_strdup(page, b.len ? b.data : "");
	buf_release(&b);
	return code;
}

static enum status_code
flag(const struct gl_where *w, const json_t *obj, const char *key, int *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = -1;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_boolean(v))
		return gl_wrong_type(w, key, v, "a boolean");
	*out = json_is_true(v);
	return SUCCESS;
}

static enum status_code
protected_branch(const struct source_ctx *ctx, const struct gl_where *w, const char *repo,
		 const json_t *obj, struct source_page *page)
{
	struct store_branch *b;
	enum status_code code;
	const char *name, *push, *merge;
	int force, owners;

	if (!json_is_object(obj))
		return error(TYPE " %s: %s is %s, not an object", w->stream, w->what,
			     json_type_name(obj));
	if ((code = gl_get_string(w, obj, "name", "name", true, &name)) != SUCCESS ||
	    (code = access_levels(page, w, obj, "push_access_levels", &push)) != SUCCESS ||
	    (code = access_levels(page, w, obj, "merge_access_levels", &merge)) != SUCCESS ||
	    (code = flag(w, obj, "allow_force_push", &force)) != SUCCESS ||
	    (code = flag(w, obj, "code_owner_approval_required", &owners)) != SUCCESS)
		return code;
	if (!*name)
		return gl_field_error(w, "name", "is empty", NULL);
	b = source_page_branch(page);
	b->source = source_page_strdup(page, ctx->name);
	b->repo = repo;
	b->name = source_page_strdup(page, name);
	b->protected = true;
	b->push_access = push;
	b->merge_access = merge;
	b->force_push = force;
	b->code_owner_approval = owners;
	b->updated_at = ctx->now;
	return SUCCESS;
}

/* A list of one page is every rule: the stored ones it does not name were removed. */
static void
prune(struct source_page *page, const char *repo)
{
	page->prune_repo = repo;
	page->prune_names = source_page_alloc(page, (page->n_branches + 1) * sizeof(char *));
	for (size_t i = 0; i < page->n_branches; i++)
		page->prune_names[page->n_prune_names++] = page->branches[i].name;
}

enum status_code
gl_parse_branches(const struct source_ctx *ctx, const struct source_request *req,
		  const struct http_response *resp, struct source_page *page)
{
	struct gl_where w = { .stream = req->stream };
	const char *repo = gl_project_name(page, ctx, gl_stream_project(req->stream), NULL);
	enum status_code code;
	const json_t *item;
	json_t *root;
	char *next;
	size_t i;

	if ((code = gl_response_json(req, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_array(root)) {
		code = error(TYPE " %s: the response is %s, not a JSON array of protected branches",
			     req->stream, json_type_name(root));
		json_decref(root);
		return code;
	}
	json_array_foreach(root, i, item)
	{
		snprintf(w.what, sizeof(w.what), "protected branch %zu", i);
		if ((code = protected_branch(ctx, &w, repo, item, page)) != SUCCESS)
			break;
	}
	json_decref(root);
	if (code != SUCCESS)
		return code;
	if ((next = gl_next_page_url(ctx, req, resp)))
		page->next = gl_request(ctx, req->stream, next);
	else if (!strstr(req->url, "?page=") && !strstr(req->url, "&page="))
		prune(page, repo);
	return code;
}
