/* github_branches.c - GitHub's branches, branch protection and check runs of the
 * world's repositories (protection.c says which rules and which runs):
 *
 *   GET /repos/{owner}/{repo}/branches                      [branch], ?protected=
 *   GET /repos/{owner}/{repo}/branches/{branch}/protection  the rules
 *   GET /repos/{owner}/{repo}/commits/{ref}/check-runs      {"total_count", "check_runs"}
 *
 * As api.github.com answers them: branches sorted by name, each with its head
 * commit and a protection summary (the required checks and their
 * enforcement_level) that any reader sees; the protection itself in the shape of
 * GitHub's GET/PUT answer, 404 "Branch not protected" for an open branch and
 * "Branch not found" for none; check runs for a sha or a branch name, 422 for a
 * ref that names no commit; per_page and page with Link headers; ETags on every
 * 200, so If-None-Match gives 304. A branch exists from its first commit or cut,
 * and its head is its newest commit by now. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#define DOCS "https://docs.github.com/rest/branches/branch-protection"
#define ACTIONS_APP_ID 15368

/* The world's branches of service s that exist at now, sorted by name. */
static size_t
branches_of(const struct world *w, size_t s, int64_t now_ms, size_t *out)
{
	size_t n = 0;

	for (size_t b = 0; b < w->n_branches; b++) {
		size_t k;

		if (w->branches[b].service != s || branch_head(w, b, now_ms) < 0)
			continue;
		for (k = n; k > 0 && strcmp(w->branches[out[k - 1]].name, w->branches[b].name) > 0;
		     k--)
			out[k] = out[k - 1];
		out[k] = b;
		n++;
	}
	return n;
}

static json_t *
checks_json(const struct branch_rules *r, bool contexts)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n_checks; i++) {
		const char *name = stage_kind_name(r->checks[i]);

		if (contexts)
			json_array_append_new(list, json_string(name));
		else
			json_array_append_new(list, json_pack("{s:s, s:i}", "context", name,
							      "app_id", ACTIONS_APP_ID));
	}
	return list;
}

static json_t *
branch_json(const struct sim *sim, size_t b, int64_t now_ms)
{
	const struct world *w = &sim->world;
	const struct branch *br = &w->branches[b];
	const char *repo = w->services[br->service].repo;
	const char *sha = w->commits[branch_head(w, b, now_ms)].sha;
	json_t *o = json_object(), *commit = json_object(), *prot = json_object(), *rsc;
	struct branch_rules r;
	char *url;

	branch_rules(w, b, &r);
	json_object_set_new(o, "name", json_string(br->name));
	json_object_set_new(commit, "sha", json_string(sha));
	url = github_api_url(sim, "/repos/%s/commits/%s", repo, sha);
	json_object_set_new(commit, "url", json_string(url));
	free(url);
	json_object_set_new(o, "commit", commit);
	json_object_set_new(o, "protected", json_boolean(r.protected));
	rsc = json_object();
	json_object_set_new(rsc, "enforcement_level",
			    json_string(!r.protected	   ? "off"
					: r.enforce_admins ? "everyone"
							   : "non_admins"));
	json_object_set_new(rsc, "contexts", checks_json(&r, true));
	json_object_set_new(rsc, "checks", checks_json(&r, false));
	json_object_set_new(prot, "enabled", json_boolean(r.protected));
	json_object_set_new(prot, "required_status_checks", rsc);
	json_object_set_new(o, "protection", prot);
	url = github_api_url(sim, "/repos/%s/branches/%s/protection", repo, br->name);
	json_object_set_new(o, "protection_url", json_string(url));
	free(url);
	return o;
}

static void
list_branches(struct sim *sim, const struct sim_request *req, size_t s, const char *rest,
	      struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	size_t *rows = xcalloc(w->n_branches + 1, sizeof(*rows));
	size_t n = branches_of(w, s, now_ms, rows), kept = 0, per_page, page;
	const char *want = params_get(&req->params, "protected");
	json_t *list = json_array();

	github_paging(req, &per_page, &page);
	for (size_t i = 0; i < n; i++) {
		struct branch_rules r;

		branch_rules(w, rows[i], &r);
		if (want && streq(want, "true") != r.protected)
			continue;
		if (kept >= (page - 1) * per_page && kept < page * per_page)
			json_array_append_new(list, branch_json(sim, rows[i], now_ms));
		kept++;
	}
	response_json(resp, 200, list);
	resp->etag = true;
	github_add_links(sim, req, s, rest, page, per_page, kept, resp);
	free(rows);
}

/* {"url": URL, "enabled": on}, or {"enabled": on} without a url. */
static json_t *
enabled_json(char *url, bool on)
{
	json_t *o = json_object();

	if (url)
		json_object_set_new(o, "url", json_string(url));
	json_object_set_new(o, "enabled", json_boolean(on));
	free(url);
	return o;
}

static json_t *
protection_json(const struct sim *sim, const char *repo, const char *name,
		const struct branch_rules *r)
{
	char *base = github_api_url(sim, "/repos/%s/branches/%s/protection", repo, name);
	json_t *o = json_object(), *rsc = json_object(), *reviews = json_object();
	char *url;

	json_object_set_new(o, "url", json_string(base));
	url = xasprintf("%s/required_status_checks", base);
	json_object_set_new(rsc, "url", json_string(url));
	free(url);
	json_object_set_new(rsc, "strict", json_true());
	json_object_set_new(rsc, "contexts", checks_json(r, true));
	url = xasprintf("%s/required_status_checks/contexts", base);
	json_object_set_new(rsc, "contexts_url", json_string(url));
	free(url);
	json_object_set_new(rsc, "checks", checks_json(r, false));
	json_object_set_new(o, "required_status_checks", rsc);
	url = xasprintf("%s/required_pull_request_reviews", base);
	json_object_set_new(reviews, "url", json_string(url));
	free(url);
	json_object_set_new(reviews, "dismiss_stale_reviews", json_true());
	json_object_set_new(reviews, "require_code_owner_reviews", json_boolean(r->code_owners));
	json_object_set_new(reviews, "required_approving_review_count", json_integer(r->approvals));
	json_object_set_new(reviews, "require_last_push_approval", json_false());
	json_object_set_new(o, "required_pull_request_reviews", reviews);
	json_object_set_new(o, "required_signatures",
			    enabled_json(xasprintf("%s/required_signatures", base), false));
	json_object_set_new(o, "enforce_admins",
			    enabled_json(xasprintf("%s/enforce_admins", base), r->enforce_admins));
	json_object_set_new(o, "required_linear_history", enabled_json(NULL, false));
	json_object_set_new(o, "allow_force_pushes", enabled_json(NULL, r->force_push));
	json_object_set_new(o, "allow_deletions", enabled_json(NULL, false));
	json_object_set_new(o, "block_creations", enabled_json(NULL, false));
	json_object_set_new(o, "required_conversation_resolution", enabled_json(NULL, false));
	json_object_set_new(o, "lock_branch", enabled_json(NULL, false));
	json_object_set_new(o, "allow_fork_syncing", enabled_json(NULL, false));
	free(base);
	return o;
}

static void
get_protection(struct sim *sim, size_t s, const char *name, size_t len, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	struct branch_rules r;
	char *text = xstrndup(name, len);
	long b = world_branch(w, s, text);

	if (b < 0 || branch_head(w, (size_t)b, now_ms) < 0) {
		github_error_body(resp, 404, "Branch not found", DOCS "#get-branch-protection");
	} else if (branch_rules(w, (size_t)b, &r), !r.protected) {
		github_error_body(resp, 404, "Branch not protected", DOCS "#get-branch-protection");
	} else {
		response_json(resp, 200, protection_json(sim, w->services[s].repo, text, &r));
		resp->etag = true;
	}
	free(text);
}

static json_t *
check_run_json(const struct sim *sim, const struct check_ref *ref, int64_t now_ms)
{
	const struct world *w = &sim->world;
	const struct pipeline *p = &w->pipelines[ref->pipeline];
	const char *repo = w->services[p->service].repo;
	json_t *job = github_job_json(sim, p, ref->stage, now_ms), *o = json_object(), *output;
	unsigned long long id = (unsigned long long)json_integer_value(json_object_get(job, "id"));
	static const char *const copied[] = { "id",	    "name",	    "node_id",
					      "head_sha",   "status",	    "conclusion",
					      "started_at", "completed_at", "html_url" };
	char *url;

	for (size_t i = 0; i < ARRAY_SIZE(copied); i++)
		json_object_set(o, copied[i], json_object_get(job, copied[i]));
	json_object_set(o, "details_url", json_object_get(job, "html_url"));
	json_object_set_new(o, "external_id", json_string(""));
	url = github_api_url(sim, "/repos/%s/check-runs/%llu", repo, id);
	json_object_set_new(o, "url", json_string(url));
	free(url);
	output = json_pack("{s:n, s:n, s:n, s:i}", "title", "summary", "text", "annotations_count",
			   0);
	url = github_api_url(sim, "/repos/%s/check-runs/%llu/annotations", repo, id);
	json_object_set_new(output, "annotations_url", json_string(url));
	free(url);
	json_object_set_new(o, "output", output);
	json_object_set_new(o, "check_suite",
			    json_pack("{s:I}", "id", (json_int_t)(p->run_id * 2 + 1)));
	json_object_set_new(o, "app",
			    json_pack("{s:i, s:s, s:s}", "id", ACTIONS_APP_ID, "slug",
				      "github-actions", "name", "GitHub Actions"));
	json_object_set_new(o, "pull_requests", json_array());
	json_decref(job);
	return o;
}

/* The commit a ref names in service s: a sha, else a branch's head; -1 for none. */
static long
ref_commit(const struct world *w, size_t s, const char *ref, int64_t now_ms)
{
	long b = world_branch(w, s, ref);

	for (size_t c = 0; c < w->n_commits; c++)
		if (w->commits[c].service == s && streq(w->commits[c].sha, ref) &&
		    w->commits[c].time <= floor_div(now_ms, 1000))
			return (long)c;
	return b >= 0 ? branch_head(w, (size_t)b, now_ms) : -1;
}

static void
list_check_runs(struct sim *sim, const struct sim_request *req, size_t s, const char *rest,
		const char *ref, size_t len, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock);
	const char *name = params_get(&req->params, "check_name");
	const char *status = params_get(&req->params, "status");
	char *text = xstrndup(ref, len), *msg;
	long c = ref_commit(w, s, text, now_ms);
	struct check_ref refs[STAGE_KIND_COUNT];
	size_t n, kept = 0, per_page, page;
	json_t *root, *list;

	if (c < 0) {
		msg = xasprintf("No commit found for SHA: %s", text);
		github_error_body(resp, 422, msg, "https://docs.github.com/rest/checks/runs");
		free(msg);
		free(text);
		return;
	}
	github_paging(req, &per_page, &page);
	n = commit_checks(w, (size_t)c, now_ms, refs, ARRAY_SIZE(refs));
	root = json_object();
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *run = check_run_json(sim, &refs[i], now_ms);

		if ((name && !streq(name, json_string_value(json_object_get(run, "name")))) ||
		    (status && !streq(status, json_string_value(json_object_get(run, "status"))))) {
			json_decref(run);
			continue;
		}
		if (kept >= (page - 1) * per_page && kept < page * per_page)
			json_array_append_new(list, run);
		else
			json_decref(run);
		kept++;
	}
	json_object_set_new(root, "total_count", json_integer((json_int_t)kept));
	json_object_set_new(root, "check_runs", list);
	response_json(resp, 200, root);
	resp->etag = true;
	github_add_links(sim, req, s, rest, page, per_page, kept, resp);
	free(text);
}

/* Whether rest is PREFIX<something>SUFFIX: the something's start and length. */
static bool
between(const char *rest, const char *prefix, const char *suffix, const char **mid, size_t *len)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), rl = strlen(rest);

	if (rl <= pl + sl || strncmp(rest, prefix, pl) != 0 || !streq(rest + rl - sl, suffix))
		return false;
	*mid = rest + pl;
	*len = rl - pl - sl;
	return true;
}

bool
github_branches_route(struct sim *sim, const struct sim_request *req, size_t s, const char *rest,
		      struct sim_response *resp)
{
	const char *mid;
	size_t len;

	if (streq(rest, "/branches"))
		list_branches(sim, req, s, rest, resp);
	else if (between(rest, "/branches/", "/protection", &mid, &len))
		get_protection(sim, s, mid, len, resp);
	else if (between(rest, "/commits/", "/check-runs", &mid, &len) && !memchr(mid, '/', len))
		list_check_runs(sim, req, s, rest, mid, len, resp);
	else
		return false;
	return true;
}
