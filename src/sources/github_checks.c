/* github_checks.c - the check runs of a commit (GET /repos/OWNER/NAME/commits/SHA/
 * check-runs, {"total_count": N, "check_runs": [...]}, the latest run of each check
 * name: GitHub's default filter=latest), read for each branch head by the branches
 * stream (github_branches.c).
 *
 * Mapping: repo the stream's, sha head_sha, name, source_id the id in decimal,
 * status from status and conclusion as for workflow runs (gh_run_status: queued,
 * running, success, failed, canceled, skipped, waiting), started_at once it runs
 * (GitHub stamps a queued, waiting or skipped check with when it was created or
 * skipped, which is no start), finished_at completed_at once completed (not for a
 * skipped one), url html_url (details_url for checks of other apps that have no
 * page on GitHub), updated_at the latest of its instants, else now. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "github-private.h"

char *
gh_checks_url(const char *base, const char *repo, const char *sha)
{
	char *path = xasprintf("/repos/%s/commits/%s/check-runs?per_page=" GH_PER_PAGE, repo, sha);
	char *url = source_url(base, path);

	free(path);
	return url;
}

static bool
has_started(const char *status)
{
	return !streq(status, "queued") && !streq(status, "waiting") && !streq(status, "skipped");
}

static enum status_code
check_run(struct gh_parse *g, const json_t *obj)
{
	const char *sha, *name, *status, *conclusion, *url;
	int64_t started, completed, id;
	char text[GH_ID_SIZE];
	struct store_check_run *c;
	enum status_code code;

	if (!json_is_object(obj))
		return gh_field_error(g, "check run", "is not an object", NULL);
	if ((code = gh_get_id(g, obj, "id", text, &id)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "head_sha", true, &sha)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "name", true, &name)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "status", true, &status)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "conclusion", false, &conclusion)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "started_at", false, &started)) != SUCCESS ||
	    (code = gh_get_instant(g, obj, "completed_at", false, &completed)) != SUCCESS ||
	    (code = gh_get_string(g, obj, "html_url", false, &url)) != SUCCESS)
		return code;
	if (!url && (code = gh_get_string(g, obj, "details_url", false, &url)) != SUCCESS)
		return code;
	c = source_page_check_run(g->page);
	c->source = source_page_strdup(g->page, g->ctx->name);
	c->repo = g->repo;
	c->sha = source_page_strdup(g->page, sha);
	c->name = source_page_strdup(g->page, name);
	c->source_id = source_page_strdup(g->page, text);
	c->status = gh_run_status(status, conclusion);
	if (has_started(c->status))
		c->started_at = started;
	if (streq(status, "completed") && !streq(c->status, "skipped"))
		c->finished_at = completed;
	c->url = source_page_strdup(g->page, url);
	c->updated_at = completed != TIME_NONE && completed > started ? completed : started;
	if (c->updated_at == TIME_NONE)
		c->updated_at = g->ctx->now;
	return SUCCESS;
}

enum status_code
gh_checks_page(struct gh_parse *g, const json_t *root)
{
	const json_t *list, *obj;
	enum status_code code;
	size_t i;

	if ((code = gh_list_member(g, root, "check_runs", &list)) != SUCCESS)
		return code;
	json_array_foreach(list, i, obj)
	{
		snprintf(g->where, sizeof(g->where), "check_runs[%zu]", i);
		if ((code = check_run(g, obj)) != SUCCESS)
			return code;
	}
	return SUCCESS;
}
