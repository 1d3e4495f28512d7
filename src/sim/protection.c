/* protection.c - what the world's branches look like to a forge: the rules that
 * protect them and the check runs on their head commits. The scenario names
 * neither, so both follow from the branches and pipelines as a team would set them
 * up: on GitHub the default branch requires lint and unit tests, one approval and
 * binds administrators, a release branch also requires the integration tests and
 * two approvals; feature branches are open. On GitLab the default branch takes
 * pushes from maintainers and merges from developers with a code owner's approval,
 * and release branches (a wildcard rule) take no pushes and maintainers' merges.
 * Force pushes are allowed nowhere. A check run is a job of a pipeline that built
 * the commit (GitHub Actions makes one check run per job), the newest pipeline's
 * for each job name, as GitHub's filter=latest lists them.
 *
 * github_branches.c and gitlab.c serve these; the ground truth shows them at the
 * simulated now (GET /_sim/scenario, "branches_now"). */
#include "sitrep/sitrep.h"
#include "sim.h"

#include "sitrep/json.h"

#define RULE_ID_BASE 7100

static bool
is_release(const struct branch *b)
{
	return strncmp(b->name, "release/", 8) == 0;
}

void
branch_rules(const struct world *w, size_t b, struct branch_rules *r)
{
	const struct branch *br = &w->branches[b];
	bool main = streq(br->name, w->services[br->service].default_branch);

	memset(r, 0, sizeof(*r));
	if (!main && !is_release(br))
		return;
	r->protected = true;
	r->checks[r->n_checks++] = STAGE_LINT;
	r->checks[r->n_checks++] = STAGE_UNIT;
	if (!main)
		r->checks[r->n_checks++] = STAGE_INTEGRATION;
	r->approvals = main ? 1 : 2;
	r->enforce_admins = main;
	r->code_owners = main;
}

size_t
gitlab_rules(const struct world *w, size_t s, struct gitlab_rule out[2])
{
	out[0] = (struct gitlab_rule){
		w->services[s].default_branch, RULE_ID_BASE + 2 * s, 40, 30, false, true
	};
	out[1] = (struct gitlab_rule){ "release/*", RULE_ID_BASE + 2 * s + 1, 0, 40, false, false };
	return 2;
}

size_t
commit_checks(const struct world *w, size_t c, int64_t now_ms, struct check_ref *out, size_t max)
{
	int64_t now = floor_div(now_ms, 1000);
	size_t n = 0;

	for (size_t i = 0; i < w->n_pipelines; i++) {
		const struct pipeline *p = &w->pipelines[i];

		if (p->commit != c || !pipeline_exists(p, now_ms))
			continue;
		for (size_t k = 0; k < p->n_stages; k++) {
			const struct stage *st = &p->stages[k];
			size_t j;

			if (st->ready == TIME_NONE || st->ready > now)
				continue;
			for (j = 0; j < n; j++)
				if (w->pipelines[out[j].pipeline].stages[out[j].stage].kind ==
				    st->kind)
					break;
			if (j < n && w->pipelines[out[j].pipeline].queued > p->queued)
				continue;
			if (j == n && n == max)
				continue;
			out[j] = (struct check_ref){ i, k };
			if (j == n)
				n++;
		}
	}
	return n;
}

/* The status a client normalizes a job's to (queued for pending). */
static const char *
check_status(enum run_status st)
{
	return st == RUN_PENDING ? "queued" : run_status_name(st);
}

static json_t *
checks_text(const struct branch_rules *r)
{
	struct buf b;
	json_t *v;

	if (!r->n_checks)
		return json_null();
	buf_init(&b, 0);
	for (size_t i = 0; i < r->n_checks; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", stage_kind_name(r->checks[i]));
	v = json_string(b.data);
	buf_release(&b);
	return v;
}

static json_t *
github_branch_json(const struct world *w, size_t b, long head)
{
	const struct branch *br = &w->branches[b];
	struct branch_rules r;
	json_t *o = json_object();

	branch_rules(w, b, &r);
	json_object_set_new(o, "repo", json_string(w->services[br->service].repo));
	json_object_set_new(o, "name", json_string(br->name));
	json_object_set_new(o, "head", json_string(w->commits[head].sha));
	json_object_set_new(o, "protected", json_boolean(r.protected));
	json_object_set_new(o, "required_checks", r.protected ? checks_text(&r) : json_null());
	json_object_set_new(o, "required_approvals",
			    r.protected ? json_integer(r.approvals) : json_null());
	json_object_set_new(o, "enforce_admins",
			    r.protected ? json_boolean(r.enforce_admins) : json_null());
	json_object_set_new(o, "force_push",
			    r.protected ? json_boolean(r.force_push) : json_null());
	json_object_set_new(o, "code_owner_approval",
			    r.protected ? json_boolean(r.code_owners) : json_null());
	return o;
}

static const char *
level_name(int level)
{
	return level == 0 ? "no one" : level == 30 ? "developer" : "maintainer";
}

static void
add_checks(const struct world *w, size_t c, int64_t now_ms, json_t *list)
{
	struct check_ref refs[STAGE_KIND_COUNT];
	size_t n = commit_checks(w, c, now_ms, refs, ARRAY_SIZE(refs));

	for (size_t i = 0; i < n; i++) {
		const struct pipeline *p = &w->pipelines[refs[i].pipeline];
		const struct stage *st = &p->stages[refs[i].stage];
		json_t *o = json_object();

		json_object_set_new(o, "repo", json_string(w->services[p->service].repo));
		json_object_set_new(o, "sha", json_string(w->commits[c].sha));
		json_object_set_new(o, "name", json_string(stage_kind_name(st->kind)));
		json_object_set_new(o, "pipeline", json_string(p->id));
		json_object_set_new(o, "status",
				    json_string(check_status(stage_status(st, now_ms))));
		json_array_append_new(list, o);
	}
}

json_t *
branches_now_json(const struct world *w, int64_t now_ms)
{
	json_t *root = json_object(), *gh = json_array(), *gl = json_array();
	json_t *checks = json_array();
	bool *seen = xcalloc(w->n_commits + 1, sizeof(*seen));
	struct gitlab_rule rules[2];

	json_object_set_new(root, "at", json_time(floor_div(now_ms, 1000)));
	for (size_t b = 0; b < w->n_branches; b++) {
		long head = branch_head(w, b, now_ms);

		if (head < 0)
			continue;
		json_array_append_new(gh, github_branch_json(w, b, head));
		if (!seen[head])
			add_checks(w, (size_t)head, now_ms, checks);
		seen[head] = true;
	}
	for (size_t s = 0; s < w->n_services; s++) {
		size_t n = gitlab_rules(w, s, rules);

		for (size_t i = 0; i < n; i++) {
			json_array_append_new(
				gl, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "repo",
					      w->services[s].repo, "name", rules[i].name,
					      "push_access", level_name(rules[i].push_level),
					      "merge_access", level_name(rules[i].merge_level),
					      "force_push", rules[i].force_push,
					      "code_owner_approval", rules[i].code_owners));
		}
	}
	json_object_set_new(root, "github", gh);
	json_object_set_new(root, "gitlab", gl);
	json_object_set_new(root, "check_runs", checks);
	free(seen);
	return root;
}
