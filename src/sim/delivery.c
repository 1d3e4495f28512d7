/* delivery.c - software delivery in the scenario: the CI pipelines that build the
 * commits of each service's repository (repo.c) stage by stage, and the deployments
 * to staging and production that those pipelines (or an Argo CD rollback) make. The
 * CI/CD dialects (GitHub Actions, GitLab CI, Jenkins, Argo CD and Rollouts) all read
 * these records, so a run, its jobs, a deployment and the commits it shipped agree
 * everywhere; world_json() publishes them as ground truth.
 *
 * Scenario format (instants as for incidents: "+1h30m" or "-6d" from --start, or
 * absolute; durations such as "90s", "10m", "1h30m"):
 *
 *   "pipelines": [{"id": "co-9", "commit": "co-9", "queued": "-1h04m",
 *                  "template": "cd", "version": "1.43.0",
 *                  "stages": {"unit": {"status": "failed"}}}]
 *     One CI run on a commit. ref defaults to the commit's branch (a pipeline may
 *     also run on a branch cut from the commit, such as "release/2.15"), event to
 *     push on the default and release/ branches and pull_request elsewhere, actor to
 *     the commit's author, name to the template's workflow. template picks the
 *     stages: "ci" (lint, unit, build, alpha, integration), "cut" (ci, release), "cd"
 *     (ci, publish, staging, production), "release" (unit, build, publish, staging,
 *     production), or an array of these words; by default cd on the default branch,
 *     release on release/ branches, ci elsewhere. A pipeline that publishes needs a
 *     "version". "stages" overrides a few stages: "status" (success, failed, canceled,
 *     skipped, or manual: a gate never approved), "duration", "approved" with
 *     "approver" (a manual gate: the stage waits from when it could start until
 *     then), "finish" (when a canceled stage was canceled) and "coverage" (unit
 *     tests, percent).
 *     Timings are derived: the run starts 5-40 s after it is queued, each stage a few
 *     seconds after the one before and lasts its typical time +-15%. These come from
 *     the pipeline's id, never from the seed, so a scenario is valid or not whatever
 *     --seed says. A failed stage skips the rest; a canceled one cancels the rest.
 *
 *   "deployments": [{"id": "DEP-104", "pipeline": "co-9", "environment": "production",
 *                    "pattern": "canary", "steps": [{"setWeight": 20}, {"pause": "10m"}],
 *                    "abort_at_step": 1, "kind": "hotfix", "fixes": "DEP-103"}]
 *     Each deploy stage that runs is one deployment, which takes its times, outcome,
 *     sha, version and actor (the approver of a gate) from that stage. environment
 *     defaults to production; pattern to the service's in production and rolling in
 *     staging. A canary's steps default to 20% / 10m / 50% / 10m; it lasts a minute,
 *     30 s per setWeight and its pauses, and a minute to promote. abort_at_step
 *     aborts it half way through that step: status rolled_back, its stage fails.
 *     kind is normal, hotfix ("fixes": a production deployment done before it starts)
 *     or rollback: without a pipeline, it "rolls_back" the deployment live at its
 *     "start" to the one before that, with "finish", "actor" and "via" ("argocd").
 *
 * A deployment ships the commits reachable from it and not from the previous success
 * to the same environment (none for a rollback). Incidents name the deployment that
 * caused them with "caused_by" (world.c). Nothing here changes after loading. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <inttypes.h>
#include <math.h>

#define QUEUE_DELAY_MIN 5
#define CANARY_SYNC 60	     /* the canary ReplicaSet comes up before the first step */
#define CANARY_SET_WEIGHT 30 /* a setWeight step: scaling and traffic shift */
#define CANARY_PROMOTE 60    /* after the last step, or scaling down after an abort */
#define RUN_ID_BASE UINT64_C(13500000000)
#define DEPLOYMENT_NUM_BASE UINT64_C(1600000000)

static const struct {
	const char *key;
	const char *name;
	const char *group;
	int64_t seconds; /* typical duration */
} stage_table[STAGE_KIND_COUNT] = {
	[STAGE_LINT] = { "lint", "lint", "lint", 70 },
	[STAGE_UNIT] = { "unit", "unit-tests", "test", 250 },
	[STAGE_BUILD] = { "build", "docker build", "build", 180 },
	[STAGE_ALPHA] = { "alpha", "publish alpha", "publish", 40 },
	[STAGE_INTEGRATION] = { "integration", "integration-tests", "integration", 520 },
	[STAGE_PUBLISH] = { "publish", "publish", "release", 35 },
	[STAGE_RELEASE] = { "release", "release branch", "release", 20 },
	[STAGE_STAGING] = { "staging", "deploy staging", "staging", 150 },
	[STAGE_PRODUCTION] = { "production", "deploy production", "production", 240 },
};

/* Typical production rollout by pattern (a canary's comes from its steps). */
static const int64_t pattern_seconds[] = { 240, 420, 0, 150 };

static const struct template
{
	const char *name;
	const char *workflow;
	size_t n;
	enum stage_kind stages[STAGE_KIND_COUNT];
}
templates[] = {
	{ "ci", "ci", 5, { STAGE_LINT, STAGE_UNIT, STAGE_BUILD, STAGE_ALPHA, STAGE_INTEGRATION } },
	{ "cut",
	  "ci",
	  6,
	  { STAGE_LINT, STAGE_UNIT, STAGE_BUILD, STAGE_ALPHA, STAGE_INTEGRATION, STAGE_RELEASE } },
	{ "cd",
	  "deploy",
	  8,
	  { STAGE_LINT, STAGE_UNIT, STAGE_BUILD, STAGE_ALPHA, STAGE_INTEGRATION, STAGE_PUBLISH,
	    STAGE_STAGING, STAGE_PRODUCTION } },
	{ "release",
	  "release",
	  5,
	  { STAGE_UNIT, STAGE_BUILD, STAGE_PUBLISH, STAGE_STAGING, STAGE_PRODUCTION } },
};

static const char *const run_status_names[] = { "pending", "waiting",  "running", "success",
						"failed",  "canceled", "skipped" };
static const char *const env_names[] = { "staging", "production" };
static const char *const pattern_names[] = { "rolling", "blue-green", "canary", "recreate" };
static const char *const kind_names[] = { "normal", "hotfix", "rollback" };
static const char *const deploy_status_names[] = { "pending", "running",  "success",
						   "failed",  "canceled", "rolled_back" };

const char *
stage_kind_key(enum stage_kind k)
{
	return stage_table[k].key;
}

const char *
stage_kind_name(enum stage_kind k)
{
	return stage_table[k].name;
}

const char *
stage_kind_group(enum stage_kind k)
{
	return stage_table[k].group;
}

const char *
run_status_name(enum run_status s)
{
	return run_status_names[s];
}

const char *
deploy_env_name(enum deploy_env e)
{
	return env_names[e];
}

const char *
deploy_pattern_name(enum deploy_pattern p)
{
	return pattern_names[p];
}

const char *
deploy_kind_name(enum deploy_kind k)
{
	return kind_names[k];
}

const char *
deploy_status_name(enum deploy_status s)
{
	return deploy_status_names[s];
}

/* Timings and numbers hash the scenario's text only: changing --seed must not move
 * a stage past an approval or a deployment past the incident it caused. */
static uint64_t
fixed_hash(const char *text, uint64_t n)
{
	return sim_hash(0, text, n);
}

/* What the scenario asks of one stage, until the timings are computed. */
struct stage_spec {
	int status; /* -1: as it comes; else a run_status (RUN_WAITING for "manual") */
	int64_t duration;
	int64_t finish;
	int64_t approved;
	double coverage;
};

struct loader {
	struct world *w;
	struct stage_spec **specs; /* per pipeline, per stage */
};

/* ---- lookups --------------------------------------------------------------------- */

long
world_pipeline(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->n_pipelines; i++)
		if (streq(w->pipelines[i].id, id))
			return (long)i;
	return -1;
}

long
world_deployment(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->n_deployments; i++)
		if (streq(w->deployments[i].id, id))
			return (long)i;
	return -1;
}

/* ---- pipelines --------------------------------------------------------------------- */

static const struct template *
find_template(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(templates); i++)
		if (streq(templates[i].name, name))
			return &templates[i];
	return NULL;
}

static int
stage_kind_of(const char *key)
{
	for (int k = 0; k < STAGE_KIND_COUNT; k++)
		if (streq(stage_table[k].key, key))
			return k;
	return -1;
}

/* The template a pipeline on ref gets when it names none. */
static const struct template *
default_template(const struct world *w, const struct pipeline *p)
{
	const char *ref = w->branches[p->branch].name;

	if (streq(ref, w->services[p->service].default_branch))
		return find_template("cd");
	return find_template(strncmp(ref, "release/", 8) == 0 ? "release" : "ci");
}

/* "template": a name or an array of stage words, each once and in the usual order. */
static enum status_code
load_stage_list(struct world *w, struct pipeline *p, json_t *obj, const char *where)
{
	json_t *v = json_object_get(obj, "template"), *item;
	const struct template *t = v ? NULL : default_template(w, p);
	size_t i;

	if (json_is_string(v) && !(t = find_template(json_string_value(v))))
		return error("%s: unknown template \"%s\" (ci, cut, cd, release)", where,
			     json_string_value(v));
	if (t) {
		p->stages = xcalloc(t->n, sizeof(*p->stages));
		for (i = 0; i < t->n; i++)
			p->stages[i].kind = t->stages[i];
		p->n_stages = t->n;
		if (!p->name)
			p->name = xstrdup(t->workflow);
		return SUCCESS;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > STAGE_KIND_COUNT)
		return error("%s: \"template\" must be a template name or an array of stages",
			     where);
	p->stages = xcalloc(json_array_size(v), sizeof(*p->stages));
	json_array_foreach(v, i, item)
	{
		int k = stage_kind_of(json_string_value(item) ? json_string_value(item) : "");

		if (k < 0)
			return error("%s: template[%zu]: not a stage (lint, unit, build, alpha, "
				     "integration, publish, release, staging, production)",
				     where, i);
		if (i > 0 && k <= (int)p->stages[i - 1].kind)
			return error("%s: template[%zu]: stages must be in order, each once", where,
				     i);
		p->stages[i].kind = (enum stage_kind)k;
		p->n_stages++;
	}
	if (!p->name)
		p->name = xstrdup("ci");
	return SUCCESS;
}

static long
stage_index(const struct pipeline *p, enum stage_kind k)
{
	for (size_t i = 0; i < p->n_stages; i++)
		if (p->stages[i].kind == k)
			return (long)i;
	return -1;
}

/* One entry of "stages": what the scenario says of a stage. */
static enum status_code
load_stage_spec(struct world *w, struct stage *st, struct stage_spec *sp, json_t *obj,
		const char *where)
{
	static const char *const keys[] = { "status",	"duration", "approved",
					    "approver", "finish",   "coverage" };
	static const char *const statuses[] = { "success", "failed", "canceled", "skipped",
						"manual" };
	static const int status_values[] = { RUN_SUCCESS, RUN_FAILED, RUN_CANCELED, RUN_SKIPPED,
					     RUN_WAITING };
	enum status_code rc;
	int status;
	double coverage;

	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_enum(obj, "status", statuses, ARRAY_SIZE(statuses), -1, &status, where)) ||
	    (rc = scn_duration(obj, "duration", 0, &sp->duration, where)) ||
	    (rc = scn_instant(obj, "approved", w->origin, &sp->approved, where)) ||
	    (rc = scn_string(obj, "approver", false, &st->approver, where)) ||
	    (rc = scn_instant(obj, "finish", w->origin, &sp->finish, where)) ||
	    (rc = scn_number(obj, "coverage", NAN, &coverage, where)))
		return rc;
	sp->status = status < 0 ? -1 : status_values[status];
	sp->coverage = coverage;
	if ((sp->approved == TIME_NONE) != (st->approver == NULL))
		return error("%s: \"approved\" and \"approver\" go together", where);
	if (sp->approved != TIME_NONE && sp->status >= 0 && sp->status != RUN_SUCCESS &&
	    sp->status != RUN_FAILED && sp->status != RUN_CANCELED)
		return error("%s: an approved stage runs", where);
	if (sp->finish != TIME_NONE && sp->status != RUN_CANCELED)
		return error("%s: \"finish\" is for a canceled stage", where);
	if (sp->duration && (sp->status == RUN_SKIPPED || sp->status == RUN_WAITING))
		return error("%s: a stage that never runs has no duration", where);
	if (!isnan(coverage) && (st->kind != STAGE_UNIT || coverage > 100))
		return error("%s: \"coverage\" is a percentage, for unit tests", where);
	return SUCCESS;
}

static enum status_code
load_stage_specs(struct world *w, struct pipeline *p, struct stage_spec *specs, json_t *obj,
		 const char *where)
{
	json_t *stages = json_object_get(obj, "stages"), *v;
	const char *key;
	char inner[128];
	enum status_code rc;

	for (size_t i = 0; i < p->n_stages; i++) {
		specs[i] = (struct stage_spec){
			.status = -1, .finish = TIME_NONE, .approved = TIME_NONE, .coverage = NAN
		};
		p->stages[i].deployment = -1;
		p->stages[i].approved = TIME_NONE;
	}
	if (!stages)
		return SUCCESS;
	if (!json_is_object(stages))
		return error("%s: \"stages\" must be an object keyed by stage", where);
	json_object_foreach(stages, key, v)
	{
		int k = stage_kind_of(key);
		long i = k < 0 ? -1 : stage_index(p, (enum stage_kind)k);

		if (i < 0)
			return error("%s: stages: \"%s\" is not a stage of this pipeline", where,
				     key);
		snprintf(inner, sizeof(inner), "%s: stages.%s", where, key);
		if ((rc = load_stage_spec(w, &p->stages[i], &specs[i], v, inner)))
			return rc;
	}
	return SUCCESS;
}

/* "1.43.0", "2.15.0-rc.1": three numbers and an optional suffix. */
static bool
is_semver(const char *v)
{
	for (int part = 0; part < 3; part++) {
		if (*v < '0' || *v > '9')
			return false;
		while (*v >= '0' && *v <= '9')
			v++;
		if (part < 2 && *v++ != '.')
			return false;
	}
	return *v == '\0' || (*v == '-' && v[1]);
}

/* The ref a pipeline runs on: the commit's branch, or a branch cut from it. */
static enum status_code
pipeline_ref(struct world *w, struct pipeline *p, char *ref, const char *where)
{
	const struct commit *c = &w->commits[p->commit];
	struct branch *br;

	p->branch = repo_branch(w, p->service, ref ? ref : c->branch, p->queued);
	br = &w->branches[p->branch];
	if (streq(br->name, c->branch))
		return SUCCESS;
	if (streq(br->name, w->services[p->service].default_branch))
		return error("%s: %s is not on %s", where, c->id, br->name);
	if (br->base < 0)
		br->base = (long)p->commit;
	if (br->base != (long)p->commit)
		return error("%s: %s is neither on %s nor where it was cut (%s)", where, c->id,
			     br->name, w->commits[br->base].id);
	return SUCCESS;
}

static enum status_code
load_pipeline(struct loader *ld, size_t i, json_t *obj, const char *where)
{
	static const char *const keys[] = { "id",	"service", "commit", "ref",
					    "template", "stages",  "name",   "event",
					    "actor",	"version", "queued" };
	struct world *w = ld->w;
	struct pipeline *p = &w->pipelines[i];
	char *service = NULL, *commit = NULL, *ref = NULL;
	enum status_code rc;
	long c;

	p->start = p->finish = TIME_NONE;
	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_string(obj, "id", true, &p->id, where)) ||
	    (rc = scn_string(obj, "service", false, &service, where)) ||
	    (rc = scn_string(obj, "commit", true, &commit, where)) ||
	    (rc = scn_string(obj, "ref", false, &ref, where)) ||
	    (rc = scn_string(obj, "name", false, &p->name, where)) ||
	    (rc = scn_string(obj, "event", false, &p->event, where)) ||
	    (rc = scn_string(obj, "actor", false, &p->actor, where)) ||
	    (rc = scn_string(obj, "version", false, &p->version, where)) ||
	    (rc = scn_instant(obj, "queued", w->origin, &p->queued, where)))
		goto out;
	if (world_pipeline(w, p->id) != (long)i) {
		rc = error("%s: pipeline \"%s\" twice", where, p->id);
		goto out;
	}
	if ((c = world_commit(w, commit)) < 0) {
		rc = error("%s: no commit \"%s\"", where, commit);
		goto out;
	}
	p->commit = (size_t)c;
	p->service = w->commits[c].service;
	if (service && !streq(service, w->services[p->service].name)) {
		rc = error("%s: %s is a commit of %s, not %s", where, commit,
			   w->services[p->service].name, service);
		goto out;
	}
	if (p->queued == TIME_NONE) {
		rc = error("%s: \"queued\" is required", where);
		goto out;
	}
	if (p->queued < w->commits[c].time) {
		rc = error("%s: queued before its commit was made", where);
		goto out;
	}
	if ((rc = pipeline_ref(w, p, ref, where)) || (rc = load_stage_list(w, p, obj, where)))
		goto out;
	ld->specs[i] = xcalloc(p->n_stages, sizeof(**ld->specs));
	if ((rc = load_stage_specs(w, p, ld->specs[i], obj, where)))
		goto out;
	if (p->version && !is_semver(p->version)) {
		rc = error("%s: \"version\" must be a semver tag such as 1.4.0", where);
		goto out;
	}
	if (!p->version && stage_index(p, STAGE_PUBLISH) >= 0) {
		rc = error("%s: it publishes, so it needs a \"version\"", where);
		goto out;
	}
	if (!p->actor)
		p->actor = xstrdup(w->commits[c].author);
	if (!p->event)
		p->event = xstrdup(branch_is_feature(w, &w->branches[p->branch]) ? "pull_request"
										 : "push");
out:
	free(service);
	free(commit);
	free(ref);
	return rc;
}

/* ---- deployments: what the scenario says ------------------------------------------ */

static enum status_code
load_steps(struct deployment *d, json_t *steps, const char *where)
{
	size_t i;
	json_t *step;

	if (!json_is_array(steps) || json_array_size(steps) == 0)
		return error("%s: \"steps\" must be a non-empty array", where);
	d->steps = xcalloc(json_array_size(steps), sizeof(*d->steps));
	json_array_foreach(steps, i, step)
	{
		json_t *weight = json_object_get(step, "setWeight");
		int64_t ms;

		if (!json_is_object(step) || json_object_size(step) != 1)
			return error("%s: steps[%zu]: expected {\"setWeight\": N} or {\"pause\": "
				     "\"10m\"}",
				     where, i);
		if (weight) {
			if (!json_is_integer(weight) || json_integer_value(weight) < 1 ||
			    json_integer_value(weight) > 100)
				return error("%s: steps[%zu]: setWeight must be 1 to 100", where,
					     i);
			d->steps[i].weight = (int)json_integer_value(weight);
		} else if (json_is_string(json_object_get(step, "pause")) &&
			   wire_parse_duration(json_string_value(json_object_get(step, "pause")),
					       &ms) &&
			   ms >= 1000) {
			d->steps[i].weight = -1;
			d->steps[i].pause = ms / 1000;
		} else {
			return error("%s: steps[%zu]: expected {\"setWeight\": N} or {\"pause\": "
				     "\"10m\"}",
				     where, i);
		}
		d->n_steps++;
	}
	return SUCCESS;
}

static const struct {
	int weight;
	int64_t pause;
} default_steps[] = { { 20, 0 }, { -1, 600 }, { 50, 0 }, { -1, 600 } };

static enum status_code
load_canary(struct deployment *d, json_t *obj, const char *where)
{
	json_t *steps = json_object_get(obj, "steps");
	json_t *abort_at = json_object_get(obj, "abort_at_step");
	enum status_code rc;

	d->abort_step = -1;
	if (d->pattern != PATTERN_CANARY) {
		if (steps || abort_at)
			return error("%s: steps are for a canary", where);
		return SUCCESS;
	}
	if (steps) {
		if ((rc = load_steps(d, steps, where)))
			return rc;
	} else {
		d->steps = xcalloc(ARRAY_SIZE(default_steps), sizeof(*d->steps));
		for (size_t i = 0; i < ARRAY_SIZE(default_steps); i++) {
			d->steps[i].weight = default_steps[i].weight;
			d->steps[i].pause = default_steps[i].pause;
		}
		d->n_steps = ARRAY_SIZE(default_steps);
	}
	if (abort_at) {
		if (!json_is_integer(abort_at) || json_integer_value(abort_at) < 0 ||
		    json_integer_value(abort_at) >= (json_int_t)d->n_steps)
			return error("%s: \"abort_at_step\" must be the index of a step", where);
		d->abort_step = (long)json_integer_value(abort_at);
	}
	return SUCCESS;
}

/* "fixes" of a hotfix, "rolls_back" of a rollback: required there, refused elsewhere. */
static enum status_code
deployment_ref(struct world *w, json_t *obj, const char *key, enum deploy_kind kind,
	       const struct deployment *d, long *out, const char *where)
{
	json_t *v = json_object_get(obj, key);

	*out = -1;
	if (!v && d->kind == kind)
		return error("%s: a %s names the deployment it %s (\"%s\")", where,
			     kind_names[kind], kind == DEPLOY_HOTFIX ? "fixes" : "rolls back", key);
	if (!v)
		return SUCCESS;
	if (d->kind != kind)
		return error("%s: \"%s\" is for a %s", where, key, kind_names[kind]);
	if (!json_is_string(v) || (*out = world_deployment(w, json_string_value(v))) < 0)
		return error("%s: %s: no deployment \"%s\"", where, key,
			     json_is_string(v) ? json_string_value(v) : "?");
	return SUCCESS;
}

/* A pipeline-made deployment is of the pipeline's service, and takes its people and
 * times from the pipeline; only a rollback comes without one, naming its service. */
static enum status_code
deployment_service(struct world *w, struct deployment *d, const char *pipeline, const char *service,
		   long *s, const char *where)
{
	if (pipeline) {
		if ((d->pipeline = world_pipeline(w, pipeline)) < 0)
			return error("%s: no pipeline \"%s\"", where, pipeline);
		*s = (long)w->pipelines[d->pipeline].service;
		if (d->via || d->actor || d->start != TIME_NONE || d->finish != TIME_NONE)
			return error("%s: via, actor, start and finish come from the pipeline",
				     where);
		if (d->kind == DEPLOY_ROLLBACK)
			return error("%s: a rollback is done outside CI: no pipeline", where);
		if (service && !streq(service, w->services[*s].name))
			return error("%s: its pipeline builds %s, not %s", where,
				     w->services[*s].name, service);
	} else if (d->kind != DEPLOY_ROLLBACK) {
		return error("%s: \"pipeline\" is required (only a rollback comes without one)",
			     where);
	} else if (!service) {
		return error("%s: a rollback needs its \"service\"", where);
	} else if ((*s = world_service(w, service)) < 0) {
		return error("%s: unknown service \"%s\"", where, service);
	}
	d->service = (size_t)*s;
	return SUCCESS;
}

static enum status_code
rollback_fields(struct deployment *d, const char *where)
{
	if (d->start == TIME_NONE || d->finish == TIME_NONE || !d->actor)
		return error("%s: a rollback needs \"start\", \"finish\" and \"actor\"", where);
	if (d->finish < d->start)
		return error("%s: finishes before it starts", where);
	if (!d->via)
		d->via = xstrdup("argocd");
	d->outcome = DEPLOY_SUCCESS;
	return SUCCESS;
}

/* The scenario's fields; times and links come once every entry is read. */
static enum status_code
load_deployment(struct loader *ld, size_t i, json_t *obj, const char *where)
{
	static const char *const keys[] = { "id",	  "service",	  "pipeline", "environment",
					    "pattern",	  "steps",	  "kind",     "fixes",
					    "rolls_back", "via",	  "actor",    "start",
					    "finish",	  "abort_at_step" };
	struct world *w = ld->w;
	struct deployment *d = &w->deployments[i];
	char *service = NULL, *pipeline = NULL;
	int env, pattern, kind;
	enum status_code rc;
	long s = -1;

	d->pipeline = d->fixes = d->fixed_by = d->rolls_back = d->restores = -1;
	d->rolled_back_by = d->previous = d->abort_step = -1;
	d->aborted = TIME_NONE;
	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_string(obj, "id", true, &d->id, where)) ||
	    (rc = scn_string(obj, "service", false, &service, where)) ||
	    (rc = scn_string(obj, "pipeline", false, &pipeline, where)) ||
	    (rc = scn_enum(obj, "environment", env_names, ARRAY_SIZE(env_names), ENV_PRODUCTION,
			   &env, where)) ||
	    (rc = scn_enum(obj, "kind", kind_names, ARRAY_SIZE(kind_names), DEPLOY_NORMAL, &kind,
			   where)) ||
	    (rc = scn_string(obj, "via", false, &d->via, where)) ||
	    (rc = scn_string(obj, "actor", false, &d->actor, where)) ||
	    (rc = scn_instant(obj, "start", w->origin, &d->start, where)) ||
	    (rc = scn_instant(obj, "finish", w->origin, &d->finish, where)))
		goto out;
	d->env = (enum deploy_env)env;
	d->kind = (enum deploy_kind)kind;
	if (world_deployment(w, d->id) != (long)i) {
		rc = error("%s: deployment \"%s\" twice", where, d->id);
		goto out;
	}
	if ((rc = deployment_service(w, d, pipeline, service, &s, where)))
		goto out;
	if ((rc = scn_enum(obj, "pattern", pattern_names, ARRAY_SIZE(pattern_names),
			   d->env == ENV_PRODUCTION ? (int)w->services[s].pattern : PATTERN_ROLLING,
			   &pattern, where)))
		goto out;
	d->pattern = (enum deploy_pattern)pattern;
	if ((rc = load_canary(d, obj, where)) ||
	    (rc = deployment_ref(w, obj, "fixes", DEPLOY_HOTFIX, d, &d->fixes, where)) ||
	    (rc = deployment_ref(w, obj, "rolls_back", DEPLOY_ROLLBACK, d, &d->rolls_back, where)))
		goto out;
	if (d->kind == DEPLOY_HOTFIX && d->env != ENV_PRODUCTION) {
		rc = error("%s: a hotfix goes to production", where);
		goto out;
	}
	if (d->kind == DEPLOY_ROLLBACK)
		rc = rollback_fields(d, where);
out:
	free(service);
	free(pipeline);
	return rc;
}

/* Ties each pipeline-made deployment to its deploy stage, one to one. */
static enum status_code
attach_to_stages(struct world *w)
{
	char where[96];

	for (size_t i = 0; i < w->n_deployments; i++) {
		struct deployment *d = &w->deployments[i];
		struct pipeline *p;
		enum stage_kind k = d->env == ENV_PRODUCTION ? STAGE_PRODUCTION : STAGE_STAGING;
		long st;

		if (d->pipeline < 0)
			continue;
		snprintf(where, sizeof(where), "scenario: deployments[%zu]", i);
		p = &w->pipelines[d->pipeline];
		st = stage_index(p, k);
		if (st < 0)
			return error("%s: pipeline %s has no %s stage", where, p->id,
				     stage_kind_name(k));
		if (p->stages[st].deployment >= 0)
			return error("%s: %s of %s is already %s", where, stage_kind_name(k), p->id,
				     w->deployments[p->stages[st].deployment].id);
		if (!p->version)
			return error("%s: pipeline %s publishes no version to deploy", where,
				     p->id);
		p->stages[st].deployment = (long)i;
	}
	return SUCCESS;
}

/* ---- timings ----------------------------------------------------------------------- */

/* A canary's length: up to its end, or half way through the aborted step and the
 * scale-down after it. */
static int64_t
canary_seconds(const struct deployment *d)
{
	int64_t t = CANARY_SYNC;

	for (size_t i = 0; i < d->n_steps; i++) {
		int64_t len = d->steps[i].weight >= 0 ? CANARY_SET_WEIGHT : d->steps[i].pause;

		if ((long)i == d->abort_step)
			return t + len / 2 + CANARY_PROMOTE;
		t += len;
	}
	return t + CANARY_PROMOTE;
}

static int64_t
stage_seconds(const struct world *w, const struct pipeline *p, const struct stage *st,
	      const struct stage_spec *sp)
{
	uint64_t h = fixed_hash(p->id, 16 + (uint64_t)st->kind);
	int64_t base = stage_table[st->kind].seconds;

	if (sp->duration)
		return sp->duration;
	if (st->deployment >= 0) {
		const struct deployment *d = &w->deployments[st->deployment];

		if (d->pattern == PATTERN_CANARY)
			return canary_seconds(d);
		base = pattern_seconds[d->pattern];
		if (d->env == ENV_STAGING)
			base = base * 3 / 5;
	}
	return base * (85 + (int64_t)(h % 31)) / 100;
}

/* The stages of p one after the other from its start; see the file comment. */
static enum status_code
pipeline_timing(struct world *w, struct pipeline *p, const struct stage_spec *specs,
		const char *where)
{
	enum run_status blocked = RUN_SUCCESS;
	int64_t t = p->queued + QUEUE_DELAY_MIN + (int64_t)(fixed_hash(p->id, 0) % 36);

	p->start = t;
	for (size_t i = 0; i < p->n_stages; i++) {
		struct stage *st = &p->stages[i];
		const struct stage_spec *sp = &specs[i];
		const struct deployment *d =
			st->deployment >= 0 ? &w->deployments[st->deployment] : NULL;

		st->start = st->finish = TIME_NONE;
		st->coverage = NAN;
		if (blocked != RUN_SUCCESS) {
			st->outcome = blocked == RUN_FAILED	? RUN_SKIPPED
				      : blocked == RUN_CANCELED ? RUN_CANCELED
								: RUN_PENDING;
			st->ready = blocked == RUN_WAITING ? TIME_NONE : t;
			if (sp->approved != TIME_NONE)
				return error("%s: stages.%s: approved, but it never runs", where,
					     stage_kind_key(st->kind));
			continue;
		}
		st->ready = t;
		if (sp->status == RUN_SKIPPED || sp->status == RUN_WAITING) {
			st->outcome = (enum run_status)sp->status;
			if (sp->status == RUN_WAITING)
				blocked = RUN_WAITING;
			continue;
		}
		if (sp->approved != TIME_NONE && sp->approved < t)
			return error("%s: stages.%s: approved before it could start (%+" PRId64
				     " s)",
				     where, stage_kind_key(st->kind), sp->approved - t);
		st->approved = sp->approved;
		st->start = sp->approved != TIME_NONE
				    ? sp->approved
				    : t + 3 + (int64_t)(fixed_hash(p->id, 32 + i) % 10);
		st->outcome = sp->status >= 0 ? (enum run_status)sp->status : RUN_SUCCESS;
		if (d && d->pattern == PATTERN_CANARY && sp->duration && st->outcome == RUN_SUCCESS)
			return error(
				"%s: stages.%s: a successful canary lasts as long as its steps",
				where, stage_kind_key(st->kind));
		if (d && d->abort_step >= 0) {
			if (sp->status >= 0 && sp->status != RUN_FAILED)
				return error("%s: stages.%s: an aborted canary fails its stage",
					     where, stage_kind_key(st->kind));
			st->outcome = RUN_FAILED;
		}
		st->finish = st->start + stage_seconds(w, p, st, sp);
		if (st->outcome == RUN_CANCELED) {
			int64_t len = st->finish - st->start;

			st->finish = sp->finish != TIME_NONE ? sp->finish : st->start + len * 2 / 5;
			if (st->finish <= st->start)
				return error("%s: stages.%s: canceled before it started", where,
					     stage_kind_key(st->kind));
		}
		if (st->kind == STAGE_UNIT)
			st->coverage =
				!isnan(sp->coverage)
					? sp->coverage
					: 70.0 + (double)(fixed_hash(p->id, 48) % 200) / 10.0;
		t = st->finish;
		if (st->outcome == RUN_FAILED || st->outcome == RUN_CANCELED)
			blocked = st->outcome;
	}
	p->outcome = blocked;
	p->finish = blocked == RUN_WAITING ? TIME_NONE : t;
	return SUCCESS;
}

/* The steps from the start; a rollout that failed or was canceled early (its stage
 * ended before the steps did) never reached the later ones. */
static void
canary_timing(struct deployment *d)
{
	int64_t t = d->start + CANARY_SYNC;

	for (size_t i = 0; i < d->n_steps; i++) {
		struct canary_step *step = &d->steps[i];
		int64_t len = step->weight >= 0 ? CANARY_SET_WEIGHT : step->pause;

		step->start = step->finish = TIME_NONE;
		if ((d->abort_step >= 0 && (long)i > d->abort_step) || t >= d->finish)
			continue;
		step->start = t;
		step->finish = t + len < d->finish ? t + len : d->finish;
		if ((long)i == d->abort_step)
			step->finish = d->aborted = t + len / 2;
		t += len;
	}
}

/* A pipeline-made deployment is its stage. */
static enum status_code
deployment_from_stage(struct world *w, struct deployment *d, const char *where)
{
	const struct pipeline *p = &w->pipelines[d->pipeline];
	const struct stage *st = &p->stages[stage_index(
		p, d->env == ENV_PRODUCTION ? STAGE_PRODUCTION : STAGE_STAGING)];

	if (st->start == TIME_NONE)
		return error("%s: %s of %s never runs", where, stage_kind_name(st->kind), p->id);
	d->start = st->start;
	d->finish = st->finish;
	d->commit = p->commit;
	d->version = xstrdup(p->version);
	d->actor = xstrdup(st->approver ? st->approver : p->actor);
	d->via = xstrdup("pipeline");
	switch (st->outcome) {
	case RUN_SUCCESS:
		d->outcome = DEPLOY_SUCCESS;
		break;
	case RUN_CANCELED:
		d->outcome = DEPLOY_CANCELED;
		break;
	default:
		d->outcome = d->abort_step >= 0 ? DEPLOY_ROLLED_BACK : DEPLOY_FAILED;
		break;
	}
	if (d->pattern == PATTERN_CANARY)
		canary_timing(d);
	return SUCCESS;
}

/* Every deploy stage that runs is somebody's deployment. */
static enum status_code
check_stages_deployed(const struct world *w)
{
	for (size_t i = 0; i < w->n_pipelines; i++) {
		const struct pipeline *p = &w->pipelines[i];

		for (size_t j = 0; j < p->n_stages; j++) {
			const struct stage *st = &p->stages[j];

			if ((st->kind == STAGE_STAGING || st->kind == STAGE_PRODUCTION) &&
			    st->start != TIME_NONE && st->deployment < 0)
				return error("scenario: pipelines[%zu]: its %s runs, but no "
					     "deployment names it",
					     i, stage_kind_name(st->kind));
		}
	}
	return SUCCESS;
}

/* ---- deployments: links and what they shipped ------------------------------------- */

/* The last success to d's service and environment that finished before d started. */
static long
previous_success(const struct world *w, const struct deployment *d)
{
	long best = -1;

	for (size_t j = 0; j < w->n_deployments; j++) {
		const struct deployment *o = &w->deployments[j];

		if (o == d || o->service != d->service || o->env != d->env ||
		    o->outcome != DEPLOY_SUCCESS || o->finish > d->start)
			continue;
		if (best < 0 || o->finish > w->deployments[best].finish)
			best = (long)j;
	}
	return best;
}

static enum status_code
link_rollback(struct world *w, size_t i, const char *where)
{
	struct deployment *d = &w->deployments[i], *t = &w->deployments[d->rolls_back];

	if (t->service != d->service || t->env != d->env)
		return error("%s: rolls_back: %s is not a deployment of %s to %s", where, t->id,
			     w->services[d->service].name, deploy_env_name(d->env));
	if (d->previous != d->rolls_back)
		return error("%s: rolls_back: %s is not what runs when it starts", where, t->id);
	if (t->previous < 0)
		return error("%s: rolls_back: nothing ran before %s", where, t->id);
	if (t->rolled_back_by >= 0)
		return error("%s: rolls_back: %s is rolled back twice", where, t->id);
	if (!w->deployments[t->previous].version)
		return error("%s: rolls_back: %s came after a rollback listed later", where, t->id);
	t->rolled_back_by = (long)i;
	d->restores = t->previous;
	d->commit = w->deployments[d->restores].commit;
	d->version = xstrdup(w->deployments[d->restores].version);
	return SUCCESS;
}

static enum status_code
link_hotfix(struct world *w, size_t i, const char *where)
{
	struct deployment *d = &w->deployments[i], *t = &w->deployments[d->fixes];

	if (t->service != d->service || t->env != ENV_PRODUCTION)
		return error("%s: fixes: %s is not a production deployment of %s", where, t->id,
			     w->services[d->service].name);
	if (t->finish > d->start)
		return error("%s: fixes: %s had not finished when it started", where, t->id);
	if (t->fixed_by >= 0)
		return error("%s: fixes: %s is fixed twice", where, t->id);
	t->fixed_by = (long)i;
	return SUCCESS;
}

static bool
commit_after(const struct world *w, size_t a, size_t b)
{
	if (w->commits[a].time != w->commits[b].time)
		return w->commits[a].time > w->commits[b].time;
	return a > b;
}

/* Insertion sort, oldest first: lists are short, and C11's qsort takes no context. */
static void
sort_by_time(const struct world *w, size_t *items, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && commit_after(w, items[j - 1], items[j]); j--) {
			size_t tmp = items[j];

			items[j] = items[j - 1];
			items[j - 1] = tmp;
		}
	}
}

/* Reachable from d's commit, not from the previous success's (or, for the first,
 * not the service's root: the history before the scenario). */
static void
shipped_commits(struct world *w, struct deployment *d)
{
	long prev = d->previous >= 0 ? (long)w->deployments[d->previous].commit : -1;

	if (d->kind == DEPLOY_ROLLBACK)
		return;
	d->commits = xcalloc(w->n_commits ? w->n_commits : 1, sizeof(*d->commits));
	for (size_t c = 0; c < w->n_commits; c++) {
		if (!commit_reaches(w, d->commit, c))
			continue;
		if (prev >= 0 ? commit_reaches(w, (size_t)prev, c) : w->commits[c].parent < 0)
			continue;
		d->commits[d->n_commits++] = c;
	}
	sort_by_time(w, d->commits, d->n_commits);
}

/* Numbers that count in start (queue) order: ties keep the scenario's order. */
static void
number_entities(struct world *w)
{
	for (size_t i = 0; i < w->n_pipelines; i++) {
		struct pipeline *p = &w->pipelines[i];
		unsigned long before = 0, same = 0;

		for (size_t j = 0; j < w->n_pipelines; j++) {
			const struct pipeline *o = &w->pipelines[j];
			bool earlier = o->queued < p->queued || (o->queued == p->queued && j < i);

			before += earlier;
			same += earlier && o->service == p->service;
		}
		p->number = 100 +
			    (unsigned long)(fixed_hash(w->services[p->service].repo, 1) % 300) +
			    same + 1;
		p->run_id = RUN_ID_BASE + (before + 1) * 1000 + fixed_hash(p->id, 2) % 1000;
	}
	for (size_t i = 0; i < w->n_deployments; i++) {
		struct deployment *d = &w->deployments[i];
		unsigned long before = 0, same = 0;

		for (size_t j = 0; j < w->n_deployments; j++) {
			const struct deployment *o = &w->deployments[j];
			bool earlier = o->start < d->start || (o->start == d->start && j < i);

			before += earlier;
			same += earlier && o->service == d->service && o->env == d->env;
		}
		d->seq = same + 1;
		d->num = DEPLOYMENT_NUM_BASE + (before + 1) * 1000 + fixed_hash(d->id, 3) % 1000;
	}
}

static enum status_code
link_deployments(struct world *w)
{
	char where[96];
	enum status_code rc;

	for (size_t i = 0; i < w->n_deployments; i++)
		w->deployments[i].previous = previous_success(w, &w->deployments[i]);
	for (size_t i = 0; i < w->n_deployments; i++) {
		struct deployment *d = &w->deployments[i];

		snprintf(where, sizeof(where), "scenario: deployments[%zu]", i);
		if (d->rolls_back >= 0 && (rc = link_rollback(w, i, where)))
			return rc;
		if (d->fixes >= 0 && (rc = link_hotfix(w, i, where)))
			return rc;
	}
	for (size_t i = 0; i < w->n_deployments; i++)
		shipped_commits(w, &w->deployments[i]);
	number_entities(w);
	return SUCCESS;
}

/* ---- loading ----------------------------------------------------------------------- */

static enum status_code
load_pipelines(struct loader *ld, json_t *root)
{
	struct world *w = ld->w;
	json_t *arr;
	char where[96];
	enum status_code rc;

	if ((rc = scn_array(root, "pipelines", &arr, "scenario")) || !arr ||
	    json_array_size(arr) == 0)
		return rc;
	w->pipelines = xcalloc(json_array_size(arr), sizeof(*w->pipelines));
	ld->specs = xcalloc(json_array_size(arr), sizeof(*ld->specs));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		snprintf(where, sizeof(where), "scenario: pipelines[%zu]", i);
		w->n_pipelines++;
		if ((rc = load_pipeline(ld, i, json_array_get(arr, i), where)))
			return rc;
	}
	return SUCCESS;
}

static enum status_code
load_deployments(struct loader *ld, json_t *root)
{
	struct world *w = ld->w;
	json_t *arr;
	char where[96];
	enum status_code rc;

	if ((rc = scn_array(root, "deployments", &arr, "scenario")) || !arr ||
	    json_array_size(arr) == 0)
		return rc;
	w->deployments = xcalloc(json_array_size(arr), sizeof(*w->deployments));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		snprintf(where, sizeof(where), "scenario: deployments[%zu]", i);
		w->n_deployments++;
		if ((rc = load_deployment(ld, i, json_array_get(arr, i), where)))
			return rc;
	}
	return SUCCESS;
}

static enum status_code
compute_timings(struct loader *ld)
{
	struct world *w = ld->w;
	char where[96];
	enum status_code rc;

	for (size_t i = 0; i < w->n_pipelines; i++) {
		snprintf(where, sizeof(where), "scenario: pipelines[%zu]", i);
		if ((rc = pipeline_timing(w, &w->pipelines[i], ld->specs[i], where)))
			return rc;
	}
	for (size_t i = 0; i < w->n_deployments; i++) {
		snprintf(where, sizeof(where), "scenario: deployments[%zu]", i);
		if (w->deployments[i].pipeline >= 0 &&
		    (rc = deployment_from_stage(w, &w->deployments[i], where)))
			return rc;
	}
	return check_stages_deployed(w);
}

enum status_code
delivery_load(struct world *w, json_t *root)
{
	struct loader ld = { .w = w };
	enum status_code rc;

	if ((rc = repo_load(w, root)))
		return rc;
	if (!(rc = load_pipelines(&ld, root)) && !(rc = load_deployments(&ld, root)) &&
	    !(rc = attach_to_stages(w)) && !(rc = compute_timings(&ld)))
		rc = link_deployments(w);
	for (size_t i = 0; ld.specs && i < w->n_pipelines; i++)
		free(ld.specs[i]);
	free(ld.specs);
	return rc;
}

void
delivery_release(struct world *w)
{
	repo_release(w);
	for (size_t i = 0; i < w->n_pipelines; i++) {
		struct pipeline *p = &w->pipelines[i];

		for (size_t j = 0; j < p->n_stages; j++)
			free(p->stages[j].approver);
		free(p->stages);
		free(p->id);
		free(p->name);
		free(p->event);
		free(p->actor);
		free(p->version);
	}
	for (size_t i = 0; i < w->n_deployments; i++) {
		struct deployment *d = &w->deployments[i];

		free(d->id);
		free(d->version);
		free(d->actor);
		free(d->via);
		free(d->steps);
		free(d->commits);
		free(d->caused);
	}
	free(w->pipelines);
	free(w->deployments);
	w->pipelines = NULL;
	w->deployments = NULL;
	w->n_pipelines = w->n_deployments = 0;
}

/* ---- state at an instant ----------------------------------------------------------- */

bool
pipeline_exists(const struct pipeline *p, int64_t now_ms)
{
	return floor_div(now_ms, 1000) >= p->queued;
}

enum run_status
stage_status(const struct stage *s, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);

	if (s->ready == TIME_NONE || now < s->ready)
		return RUN_PENDING;
	if (s->start == TIME_NONE)
		return s->outcome;
	if (now < s->start)
		return s->approved != TIME_NONE ? RUN_WAITING : RUN_PENDING;
	return now < s->finish ? RUN_RUNNING : s->outcome;
}

enum run_status
pipeline_status(const struct pipeline *p, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	bool waiting = false;

	if (now < p->start)
		return RUN_PENDING;
	if (p->finish != TIME_NONE && now >= p->finish)
		return p->outcome;
	for (size_t i = 0; i < p->n_stages; i++)
		waiting = waiting || stage_status(&p->stages[i], now_ms) == RUN_WAITING;
	return waiting ? RUN_WAITING : RUN_RUNNING;
}

bool
deployment_exists(const struct deployment *d, int64_t now_ms)
{
	return floor_div(now_ms, 1000) >= d->start;
}

enum deploy_status
deployment_status(const struct deployment *d, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);

	if (now < d->start)
		return DEPLOY_PENDING;
	return now < d->finish ? DEPLOY_RUNNING : d->outcome;
}

bool
deployment_canary(const struct deployment *d, int64_t now_ms, struct canary_state *state)
{
	int64_t now = floor_div(now_ms, 1000);

	memset(state, 0, sizeof(*state));
	state->step = -1;
	state->pause_start = state->pause_end = TIME_NONE;
	if (d->pattern != PATTERN_CANARY)
		return false;
	if (now >= d->finish) {
		state->step = d->abort_step >= 0 ? d->abort_step : (long)d->n_steps;
		state->aborted = d->abort_step >= 0;
		state->weight = d->outcome == DEPLOY_SUCCESS ? 100 : 0;
		state->done = true;
		return true;
	}
	if (d->aborted != TIME_NONE && now >= d->aborted) {
		state->step = d->abort_step;
		state->aborted = true;
		return true;
	}
	for (size_t i = 0; i < d->n_steps; i++) {
		const struct canary_step *s = &d->steps[i];

		if (s->start == TIME_NONE || now < s->start)
			break;
		state->step = (long)i;
		if (s->weight >= 0)
			state->weight = s->weight;
		state->paused = s->weight < 0 && now < s->finish;
		if (state->paused) {
			state->pause_start = s->start;
			state->pause_end = s->start + s->pause;
		}
		if (now >= s->finish)
			state->step = (long)i + 1;
	}
	return true;
}

static long
newest_deployment(const struct world *w, size_t s, enum deploy_env e, int64_t now_ms, bool live)
{
	int64_t now = floor_div(now_ms, 1000);
	long best = -1;

	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];
		int64_t at = live ? d->finish : d->start;

		if (d->service != s || d->env != e || at > now ||
		    (live && d->outcome != DEPLOY_SUCCESS))
			continue;
		if (best < 0 ||
		    at >= (live ? w->deployments[best].finish : w->deployments[best].start))
			best = (long)i;
	}
	return best;
}

long
world_live_deployment(const struct world *w, size_t s, enum deploy_env e, int64_t now_ms)
{
	return newest_deployment(w, s, e, now_ms, true);
}

long
world_latest_deployment(const struct world *w, size_t s, enum deploy_env e, int64_t now_ms)
{
	return newest_deployment(w, s, e, now_ms, false);
}

/* ---- ground truth ------------------------------------------------------------------ */

static json_t *
id_or_null(const struct world *w, long d)
{
	return d >= 0 ? json_string(w->deployments[d].id) : json_null();
}

static json_t *
stage_json(const struct world *w, const struct stage *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(stage_kind_key(st->kind)));
	json_object_set_new(o, "name", json_string(stage_kind_name(st->kind)));
	json_object_set_new(o, "group", json_string(stage_kind_group(st->kind)));
	json_object_set_new(o, "status", json_string(run_status_name(st->outcome)));
	json_object_set_new(o, "ready_at", json_time(st->ready));
	json_object_set_new(o, "started_at", json_time(st->start));
	json_object_set_new(o, "finished_at", json_time(st->finish));
	json_object_set_new(o, "approved_at", json_time(st->approved));
	json_object_set_new(o, "approver", st->approver ? json_string(st->approver) : json_null());
	json_object_set_new(o, "coverage",
			    isnan(st->coverage) ? json_null() : json_real(st->coverage));
	json_object_set_new(o, "deployment", id_or_null(w, st->deployment));
	return o;
}

static json_t *
pipeline_json(const struct world *w, const struct pipeline *p)
{
	json_t *o = json_object(), *stages = json_array();

	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "run_id", json_integer((json_int_t)p->run_id));
	json_object_set_new(o, "number", json_integer((json_int_t)p->number));
	json_object_set_new(o, "service", json_string(w->services[p->service].name));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "ref", json_string(w->branches[p->branch].name));
	json_object_set_new(o, "sha", json_string(w->commits[p->commit].sha));
	json_object_set_new(o, "commit", json_string(w->commits[p->commit].id));
	json_object_set_new(o, "event", json_string(p->event));
	json_object_set_new(o, "actor", json_string(p->actor));
	json_object_set_new(o, "version", p->version ? json_string(p->version) : json_null());
	json_object_set_new(o, "queued_at", json_time(p->queued));
	json_object_set_new(o, "started_at", json_time(p->start));
	json_object_set_new(o, "finished_at", json_time(p->finish));
	json_object_set_new(o, "status", json_string(run_status_name(p->outcome)));
	for (size_t i = 0; i < p->n_stages; i++)
		json_array_append_new(stages, stage_json(w, &p->stages[i]));
	json_object_set_new(o, "stages", stages);
	return o;
}

static json_t *
canary_json(const struct deployment *d)
{
	json_t *o, *steps;

	if (d->pattern != PATTERN_CANARY)
		return json_null();
	o = json_object();
	steps = json_array();
	for (size_t i = 0; i < d->n_steps; i++) {
		const struct canary_step *s = &d->steps[i];
		json_t *step = json_object();

		if (s->weight >= 0)
			json_object_set_new(step, "set_weight", json_integer(s->weight));
		else
			json_object_set_new(step, "pause_seconds", json_integer(s->pause));
		json_object_set_new(step, "started_at", json_time(s->start));
		json_object_set_new(step, "finished_at", json_time(s->finish));
		json_array_append_new(steps, step);
	}
	json_object_set_new(o, "steps", steps);
	json_object_set_new(o, "abort_at_step",
			    d->abort_step >= 0 ? json_integer(d->abort_step) : json_null());
	json_object_set_new(o, "aborted_at", json_time(d->aborted));
	return o;
}

/* The import format's deployment (sitrep-import/1) and more. */
static json_t *
deployment_json(const struct world *w, const struct deployment *d)
{
	json_t *o = json_object(), *commits = json_array(), *caused = json_array();

	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "num", json_integer((json_int_t)d->num));
	json_object_set_new(o, "seq", json_integer((json_int_t)d->seq));
	json_object_set_new(o, "service", json_string(w->services[d->service].name));
	json_object_set_new(o, "environment", json_string(deploy_env_name(d->env)));
	json_object_set_new(o, "status", json_string(deploy_status_name(d->outcome)));
	json_object_set_new(o, "kind", json_string(deploy_kind_name(d->kind)));
	json_object_set_new(o, "pattern", json_string(deploy_pattern_name(d->pattern)));
	json_object_set_new(o, "version", json_string(d->version));
	json_object_set_new(o, "sha", json_string(w->commits[d->commit].sha));
	json_object_set_new(o, "pipeline",
			    d->pipeline >= 0 ? json_string(w->pipelines[d->pipeline].id)
					     : json_null());
	json_object_set_new(o, "via", json_string(d->via));
	json_object_set_new(o, "actor", json_string(d->actor));
	json_object_set_new(o, "started_at", json_time(d->start));
	json_object_set_new(o, "finished_at", json_time(d->finish));
	json_object_set_new(o, "fixes", id_or_null(w, d->fixes));
	json_object_set_new(o, "fixed_by", id_or_null(w, d->fixed_by));
	json_object_set_new(o, "rolls_back", id_or_null(w, d->rolls_back));
	json_object_set_new(o, "restores", id_or_null(w, d->restores));
	json_object_set_new(o, "rolled_back_by", id_or_null(w, d->rolled_back_by));
	json_object_set_new(o, "previous", id_or_null(w, d->previous));
	json_object_set_new(o, "canary", canary_json(d));
	for (size_t i = 0; i < d->n_commits; i++) {
		const struct commit *c = &w->commits[d->commits[i]];
		json_t *one = json_object();

		json_object_set_new(one, "sha", json_string(c->sha));
		json_object_set_new(one, "committed_at", json_time(c->time));
		json_array_append_new(commits, one);
	}
	json_object_set_new(o, "commits", commits);
	for (size_t i = 0; i < d->n_caused; i++)
		json_array_append_new(caused, json_string(w->incidents[d->caused[i]].id));
	json_object_set_new(o, "caused", caused);
	return o;
}

void
delivery_json(const struct world *w, json_t *root)
{
	json_t *pipelines = json_array(), *deployments = json_array();

	repo_json(w, root);
	for (size_t i = 0; i < w->n_pipelines; i++)
		json_array_append_new(pipelines, pipeline_json(w, &w->pipelines[i]));
	json_object_set_new(root, "pipelines", pipelines);
	for (size_t i = 0; i < w->n_deployments; i++)
		json_array_append_new(deployments, deployment_json(w, &w->deployments[i]));
	json_object_set_new(root, "deployments", deployments);
}
