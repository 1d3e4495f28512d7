/* argocd.c - the Argo CD API dialect, with the Argo Rollouts objects of the
 * applications that manage them, as the API server answers (grpc-gateway writing
 * with Go's encoding/json: int64 ids are numbers, an empty list is null, <>& are
 * escaped in strings; cicd-rollback.md 4 and 5):
 *
 *   GET /api/v1/applications[?name=&project=]  the ApplicationList, whole (no paging)
 *   GET /api/v1/applications/{name}[?project=] one Application
 *   GET /api/v1/applications/{name}/resource?namespace=&resourceName=&group=&version=
 *       &kind=                                 {"manifest": "<the live object as JSON>"}
 *   POST /api/v1/applications/{name}/rollback {"id"}  a sync of that history entry
 *   PATCH /api/v1/applications/{name} {"patch", "patchType"}  auto-sync off
 *
 * The world. One application per service and environment, "checkout-prod" and
 * "checkout-staging", destination namespace the service, source the service's
 * repository at deploy/<environment> with the deployed image set by a kustomize
 * override (ghcr.io/<repo>:<version>), created 30 days before --start. Every
 * deployment of the world to that service and environment is a sync of it, in start
 * order. Production of a canary or blue-green service runs an Argo Rollouts Rollout
 * (named after the service); everything else a Deployment.
 *   - A Rollout's sync only applies its spec: it ends a minute after the start for a
 *     canary (the canary ReplicaSet comes up, delivery.c's CANARY_SYNC) and 30 s
 *     after for blue-green, and the Rollout carries on: canary steps with their
 *     pauses, blue-green preview then a BlueGreenPause with autoPromotionSeconds up
 *     to the finish, aborted (status.abort, abortedAt) for a canary the world aborts
 *     or cancels, Degraded past its progress deadline for one that fails, Healthy
 *     with a Completed condition at the finish.
 *   - A Deployment's sync waits for its rollout (a PostSync smoke test), so it ends
 *     at the finish, Failed when the deployment failed or was canceled ("Operation
 *     terminated").
 * A sync that succeeds appends a history entry (deployStartedAt the start,
 * deployedAt the sync's end), numbered as Argo CD numbers them: the previous
 * entry's id + 1 from 0, a failed sync taking none; the newest 10 are kept. A
 * rollback (via argocd) is a sync of the restored deployment's revision and source.
 * status.operationState is the newest sync started by now: Running while it lasts.
 * Health: Progressing while a sync runs, then the Rollout's (Paused is Suspended,
 * aborted or failed Degraded) or the Deployment's. Argo CD sends no ETag.
 *
 * Staging applications sync themselves (spec.syncPolicy.automated), production
 * ones do not. A rollback is refused while auto-sync is on ("rollback cannot be
 * initiated when auto-sync is enabled") or a sync runs, and an unknown id is
 * InvalidArgument; otherwise it becomes a deployment of the world (rollbacks.c),
 * synced within the second, so the history gains its entry. A PATCH that sets
 * spec.syncPolicy.automated to null turns auto-sync off until a reset.
 *
 * Errors are grpc-gateway's {"error", "code", "message"}; an application that does
 * not exist is 403 "permission denied" unless project= is given (then 404), so that
 * existence does not leak (Argo CD's api-docs). Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#define HISTORY_LIMIT 10
#define CANARY_SYNC 60	     /* as delivery.c: the canary ReplicaSet comes up */
#define BLUE_GREEN_SYNC 30   /* the Rollout's spec and the preview ReplicaSet */
#define APP_AGE (30 * 86400) /* the applications were created before --start */
#define RECONCILE 180	     /* timeout.reconciliation */
#define REPLICAS 4
#define PROJECT "default"

/* ---- errors ------------------------------------------------------------------- */

/* gRPC codes as grpc-gateway writes them. */
enum grpc_code {
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_NOT_FOUND = 5,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_INTERNAL = 13,
	GRPC_UNAUTHENTICATED = 16,
};

static void
grpc_error(struct sim_response *resp, unsigned int status, enum grpc_code code, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(message));
	json_object_set_new(o, "code", json_integer(code));
	json_object_set_new(o, "message", json_string(message));
	response_json(resp, status, o);
	resp->go_escape = true;
}

void
argocd_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[64];

	switch (status) {
	case 401:
		grpc_error(resp, status, GRPC_UNAUTHENTICATED,
			   "invalid session: token signature is invalid");
		break;
	case 403:
		grpc_error(resp, status, GRPC_PERMISSION_DENIED, "permission denied");
		break;
	case 404:
		grpc_error(resp, status, GRPC_NOT_FOUND, "not found");
		break;
	case 500:
		grpc_error(resp, status, GRPC_INTERNAL, "error getting cached app state: EOF");
		break;
	case 429:
	case 502:
	case 503:
	case 504:
		/* From the ingress in front, not from Argo CD. */
		response_gateway(resp, status);
		break;
	default:
		snprintf(text, sizeof(text), "sitrep-sim: injected status %u", status);
		grpc_error(resp, status, GRPC_UNKNOWN, text);
	}
}

/* ---- the applications ------------------------------------------------------------ */

struct app {
	size_t service;
	enum deploy_env env;
	char name[160];
	bool rollout;  /* manages an Argo Rollouts Rollout, else a Deployment */
	bool autosync; /* staging syncs itself (spec.syncPolicy.automated) */
	size_t *deps;  /* its deployments in start order */
	size_t n;
	long *ids; /* each one's history id, -1 when its sync failed */
};

static void
app_release(struct app *a)
{
	free(a->deps);
	free(a->ids);
}

static const struct deployment *
dep_of(const struct world *w, const struct app *a, size_t i)
{
	return &w->deployments[a->deps[i]];
}

/* When the sync of d ends; see the file comment. */
static int64_t
sync_end(const struct app *a, const struct deployment *d)
{
	int64_t t;

	if (!a->rollout)
		return d->finish;
	t = d->start + (d->pattern == PATTERN_CANARY ? CANARY_SYNC : BLUE_GREEN_SYNC);
	return t < d->finish ? t : d->finish;
}

/* A Rollout's sync succeeds unless the deployment ended within it. */
static bool
sync_ok(const struct app *a, const struct deployment *d)
{
	if (a->rollout)
		return d->outcome == DEPLOY_SUCCESS || sync_end(a, d) < d->finish;
	return d->outcome == DEPLOY_SUCCESS;
}

static void
app_init(const struct world *w, size_t s, enum deploy_env env, struct app *a)
{
	size_t k = 0;
	long next = 0;

	memset(a, 0, sizeof(*a));
	a->service = s;
	a->env = env;
	snprintf(a->name, sizeof(a->name), "%s-%s", w->services[s].name,
		 env == ENV_PRODUCTION ? "prod" : "staging");
	a->autosync = env == ENV_STAGING;
	a->rollout = env == ENV_PRODUCTION && (w->services[s].pattern == PATTERN_CANARY ||
					       w->services[s].pattern == PATTERN_BLUE_GREEN);
	a->deps = xcalloc(w->n_deployments + 1, sizeof(*a->deps));
	a->ids = xcalloc(w->n_deployments + 1, sizeof(*a->ids));
	for (size_t i = 0; i < w->n_deployments; i++)
		if (w->deployments[i].service == s && w->deployments[i].env == env)
			a->deps[a->n++] = i;
	/* Start order (insertion sort: a handful per application). */
	for (size_t i = 1; i < a->n; i++)
		for (size_t j = i; j > 0 && dep_of(w, a, j - 1)->start > dep_of(w, a, j)->start;
		     j--) {
			size_t t = a->deps[j];

			a->deps[j] = a->deps[j - 1];
			a->deps[j - 1] = t;
		}
	for (k = 0; k < a->n; k++)
		a->ids[k] = sync_ok(a, dep_of(w, a, k)) ? next++ : -1;
}

/* The application called name, or false. */
static bool
app_find(const struct world *w, const char *name, struct app *a)
{
	for (size_t s = 0; s < w->n_services; s++)
		for (int e = ENV_STAGING; e <= ENV_PRODUCTION; e++) {
			char want[160];

			snprintf(want, sizeof(want), "%s-%s", w->services[s].name,
				 e == ENV_PRODUCTION ? "prod" : "staging");
			if (streq(want, name)) {
				app_init(w, s, (enum deploy_env)e, a);
				return true;
			}
		}
	return false;
}

/* The newest of its deployments started by now, or -1. */
static long
latest(const struct world *w, const struct app *a, int64_t now)
{
	long best = -1;

	for (size_t i = 0; i < a->n; i++)
		if (dep_of(w, a, i)->start <= now)
			best = (long)i;
	return best;
}

/* ---- JSON pieces ----------------------------------------------------------------- */

static json_t *
time_json(int64_t t)
{
	char text[TIMESTAMP_TEXT_SIZE];

	timestamp_format(t, text, sizeof(text));
	return json_string(text);
}

static int64_t
created(const struct world *w)
{
	return w->origin - APP_AGE;
}

static char *
image_of(const struct world *w, const struct deployment *d)
{
	return xasprintf("ghcr.io/%s:%s", w->services[d->service].repo, d->version);
}

/* spec.source, and what a sync of d recorded of it. */
static json_t *
source_json(const struct world *w, const struct app *a, const struct deployment *d)
{
	const struct service *svc = &w->services[a->service];
	char *repo = xasprintf("https://github.com/%s.git", svc->repo), *image;
	json_t *o = json_object();

	json_object_set_new(o, "repoURL", json_string(repo));
	json_object_set_new(
		o, "path",
		json_string(a->env == ENV_PRODUCTION ? "deploy/production" : "deploy/staging"));
	json_object_set_new(o, "targetRevision",
			    json_string(d ? w->commits[d->commit].branch : svc->default_branch));
	if (d) {
		image = image_of(w, d);
		json_object_set_new(o, "kustomize", json_pack("{s:[s]}", "images", image));
		free(image);
	}
	free(repo);
	return o;
}

static json_t *
destination_json(const struct world *w, const struct app *a)
{
	return json_pack("{s:s, s:s}", "server", "https://kubernetes.default.svc", "namespace",
			 w->services[a->service].name);
}

static json_t *
initiator_json(const struct deployment *d)
{
	return json_pack("{s:s}", "username", d->actor ? d->actor : "admin");
}

static json_t *
history_json(const struct world *w, const struct app *a, int64_t now)
{
	json_t *history = json_array();
	size_t first = 0, n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->ids[i] >= 0 && sync_end(a, dep_of(w, a, i)) <= now)
			n++;
	for (size_t i = 0; i < a->n; i++) {
		const struct deployment *d = dep_of(w, a, i);
		json_t *e;

		if (a->ids[i] < 0 || sync_end(a, d) > now || first++ + HISTORY_LIMIT < n)
			continue;
		e = json_object();
		json_object_set_new(e, "revision", json_string(w->commits[d->commit].sha));
		json_object_set_new(e, "deployedAt", time_json(sync_end(a, d)));
		json_object_set_new(e, "id", json_integer(a->ids[i]));
		json_object_set_new(e, "source", source_json(w, a, d));
		json_object_set_new(e, "deployStartedAt", time_json(d->start));
		json_object_set_new(e, "initiatedBy", initiator_json(d));
		json_array_append_new(history, e);
	}
	if (json_array_size(history) == 0) {
		json_decref(history);
		return NULL; /* omitempty */
	}
	return history;
}

/* ---- the Rollout -------------------------------------------------------------------- */

/* What a Rollout shows at an instant. */
struct rollout_state {
	const char *phase; /* Healthy, Progressing, Paused, Degraded */
	long step;	   /* currentStepIndex (canary), -1 for none */
	bool aborted;
	int64_t aborted_at;
	const char *pause_reason; /* CanaryPauseStep, BlueGreenPause, or NULL */
	int64_t pause_start;
	int64_t auto_promotion; /* blue-green: autoPromotionSeconds, 0 for none */
	int64_t since;		/* when the phase began */
	bool completed;		/* the update is done: the Completed condition */
	int64_t ended;		/* Completed, or the failure, at */
};

/* The canary step under way when d stopped (its last step started). */
static long
last_step(const struct deployment *d)
{
	long step = 0;

	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].start != TIME_NONE)
			step = (long)i;
	return step;
}

static void
canary_at(const struct deployment *d, int64_t now, struct rollout_state *st)
{
	struct canary_state cs;

	deployment_canary(d, now * 1000, &cs);
	if (d->aborted != TIME_NONE && now >= d->aborted) {
		st->phase = "Degraded";
		st->aborted = true;
		st->step = d->abort_step;
		st->since = st->aborted_at = st->ended = d->aborted;
	} else if (now >= d->finish) {
		st->since = st->ended = d->finish;
		st->step = d->outcome == DEPLOY_SUCCESS ? (long)d->n_steps : last_step(d);
		st->completed = d->outcome == DEPLOY_SUCCESS;
		st->phase = st->completed ? "Healthy" : "Degraded";
		if (d->outcome == DEPLOY_CANCELED) { /* a human aborted it */
			st->aborted = true;
			st->aborted_at = d->finish;
		}
	} else if (cs.paused) {
		st->phase = "Paused";
		st->step = cs.step;
		st->pause_reason = "CanaryPauseStep";
		st->since = st->pause_start = cs.pause_start;
	} else {
		st->phase = "Progressing";
		st->step = cs.step < 0 ? 0 : cs.step;
		st->since = d->start;
		for (size_t i = 0; i < d->n_steps; i++)
			if (d->steps[i].weight < 0 && d->steps[i].finish != TIME_NONE &&
			    d->steps[i].finish <= now)
				st->since = d->steps[i].finish;
	}
}

static void
blue_green_at(const struct app *a, const struct deployment *d, int64_t now,
	      struct rollout_state *st)
{
	int64_t begin = sync_end(a, d), mid = begin + (d->finish - begin) / 2;

	st->auto_promotion = d->finish - mid;
	if (now >= d->finish) {
		st->since = st->ended = d->finish;
		st->completed = d->outcome == DEPLOY_SUCCESS;
		st->phase = st->completed ? "Healthy" : "Degraded";
		if (d->outcome == DEPLOY_CANCELED) {
			st->aborted = true;
			st->aborted_at = d->finish;
		}
	} else if (now >= mid) {
		st->phase = "Paused";
		st->pause_reason = "BlueGreenPause";
		st->since = st->pause_start = mid;
	} else {
		st->phase = "Progressing";
		st->since = d->start;
	}
}

static void
rollout_at(const struct app *a, const struct deployment *d, int64_t now, struct rollout_state *st)
{
	memset(st, 0, sizeof(*st));
	st->step = -1;
	st->aborted_at = st->pause_start = st->ended = TIME_NONE;
	if (d->pattern == PATTERN_CANARY) {
		canary_at(d, now, st);
	} else if (d->pattern == PATTERN_BLUE_GREEN) {
		blue_green_at(a, d, now, st);
	} else {
		st->completed = now >= d->finish && d->outcome == DEPLOY_SUCCESS;
		st->phase = now < d->finish ? "Progressing"
			    : st->completed ? "Healthy"
					    : "Degraded";
		st->since = now < d->finish ? d->start : d->finish;
		st->ended = now < d->finish ? TIME_NONE : d->finish;
	}
}

/* "10m", "1h30m", "45s": how a pause's duration is written in a spec. */
static json_t *
duration_json(int64_t seconds)
{
	char text[32];
	int n = 0;

	if (seconds >= 3600)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%lldh",
			      (long long)(seconds / 3600));
	if (seconds % 3600 >= 60)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%lldm",
			      (long long)(seconds % 3600 / 60));
	if (seconds % 60 || seconds == 0)
		snprintf(text + n, sizeof(text) - (size_t)n, "%llds", (long long)(seconds % 60));
	return json_string(text);
}

static json_t *
strategy_json(const struct world *w, const struct deployment *d, const struct rollout_state *st)
{
	const char *name = w->services[d->service].name;
	char *preview = xasprintf("%s-preview", name), *canary = xasprintf("%s-canary", name);
	json_t *steps, *o;

	if (d->pattern == PATTERN_CANARY) {
		steps = json_array();
		for (size_t i = 0; i < d->n_steps; i++)
			json_array_append_new(
				steps, d->steps[i].weight >= 0
					       ? json_pack("{s:i}", "setWeight", d->steps[i].weight)
					       : json_pack("{s:{s:o}}", "pause", "duration",
							   duration_json(d->steps[i].pause)));
		o = json_pack("{s:{s:s, s:s, s:o}}", "canary", "canaryService", canary,
			      "stableService", name, "steps", steps);
	} else if (d->pattern == PATTERN_BLUE_GREEN) {
		o = json_pack("{s:{s:s, s:s, s:I}}", "blueGreen", "activeService", name,
			      "previewService", preview, "autoPromotionSeconds",
			      (json_int_t)st->auto_promotion);
	} else {
		o = json_object(); /* neither: the Rollout replaces pods as a Deployment does */
	}
	free(preview);
	free(canary);
	return o;
}

static json_t *
condition(const char *type, const char *status, const char *reason, const char *message, int64_t at)
{
	json_t *c = json_object();

	json_object_set_new(c, "lastTransitionTime", time_json(at));
	json_object_set_new(c, "lastUpdateTime", time_json(at));
	json_object_set_new(c, "message", json_string(message));
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "status", json_string(status));
	json_object_set_new(c, "type", json_string(type));
	return c;
}

static json_t *
conditions_json(const struct world *w, const struct deployment *d, const struct rollout_state *st)
{
	json_t *c = json_array();
	char text[160];

	json_array_append_new(c, condition("Available", "True", "AvailableReason",
					   "Rollout has minimum availability", created(w)));
	if (st->aborted) {
		snprintf(text, sizeof(text), "Rollout aborted update to revision %lu", d->seq);
		json_array_append_new(c, condition("Progressing", "False", "RolloutAborted", text,
						   st->aborted_at));
	} else if (streq(st->phase, "Degraded")) {
		json_array_append_new(
			c, condition("Progressing", "False", "ProgressDeadlineExceeded",
				     "ReplicaSet has timed out progressing.", st->ended));
	} else if (st->completed) {
		json_array_append_new(c, condition("Progressing", "True", "NewReplicaSetAvailable",
						   "Rollout has completed rollout", st->ended));
	} else if (streq(st->phase, "Paused")) {
		json_array_append_new(c, condition("Paused", "True", "RolloutPaused",
						   "Rollout is paused", st->pause_start));
		json_array_append_new(c, condition("Progressing", "Unknown", "RolloutPaused",
						   "Rollout is paused", st->pause_start));
	} else {
		json_array_append_new(c, condition("Progressing", "True", "ReplicaSetUpdated",
						   "Rollout is progressing", st->since));
	}
	snprintf(text, sizeof(text), "Rollout %s update to revision %lu",
		 st->completed ? "completed" : "not completed", d->seq);
	json_array_append_new(c,
			      condition("Completed", st->completed ? "True" : "False",
					st->completed ? "RolloutCompleted" : "RolloutNotCompleted",
					text, st->completed ? st->ended : d->start));
	return c;
}

/* A ReplicaSet's pod-template hash for a commit. */
static void
pod_hash(const struct world *w, const struct deployment *d, char *out)
{
	snprintf(out, 11, "%.10s", w->commits[d->commit].sha);
}

static json_t *
rollout_status(const struct world *w, const struct app *a, long gen, const struct deployment *d,
	       const struct deployment *stable, const struct rollout_state *st)
{
	json_t *o = json_object();
	char hash[16], stable_hash[16], text[32];
	const char *name = w->services[a->service].name;
	char *selector = xasprintf("app=%s", name);

	pod_hash(w, d, hash);
	pod_hash(w, stable ? stable : d, stable_hash);
	json_object_set_new(o, "HPAReplicas", json_integer(REPLICAS));
	if (st->aborted) {
		json_object_set_new(o, "abort", json_true());
		json_object_set_new(o, "abortedAt", time_json(st->aborted_at));
	}
	json_object_set_new(o, "availableReplicas", json_integer(REPLICAS));
	json_object_set_new(o, "blueGreen", json_object());
	json_object_set_new(o, "canary", json_object());
	json_object_set_new(o, "conditions", conditions_json(w, d, st));
	if (st->pause_reason)
		json_object_set_new(o, "controllerPause", json_true());
	json_object_set_new(o, "currentPodHash", json_string(hash));
	if (st->step >= 0)
		json_object_set_new(o, "currentStepIndex", json_integer(st->step));
	json_object_set_new(o, "message",
			    json_string(st->aborted	   ? "RolloutAborted"
					: st->pause_reason ? st->pause_reason
							   : ""));
	snprintf(text, sizeof(text), "%ld", gen);
	json_object_set_new(o, "observedGeneration", json_string(text));
	if (st->pause_reason)
		json_object_set_new(o, "pauseConditions",
				    json_pack("[{s:s, s:o}]", "reason", st->pause_reason,
					      "startTime", time_json(st->pause_start)));
	json_object_set_new(o, "phase", json_string(st->phase));
	json_object_set_new(o, "readyReplicas", json_integer(REPLICAS));
	json_object_set_new(o, "replicas", json_integer(REPLICAS));
	json_object_set_new(o, "selector", json_string(selector));
	json_object_set_new(o, "stableRS", json_string(st->completed ? hash : stable_hash));
	json_object_set_new(o, "updatedReplicas",
			    json_integer(st->completed ? REPLICAS : REPLICAS / 2));
	if (streq(json_string_value(json_object_get(o, "message")), ""))
		json_object_del(o, "message");
	free(selector);
	return o;
}

/* The live Rollout of a Rollout application at now (new), or NULL before its first
 * deployment. */
static json_t *
rollout_json(const struct world *w, const struct app *a, int64_t now)
{
	long i = latest(w, a, now), stable = -1;
	const struct deployment *d;
	struct rollout_state st;
	const char *name = w->services[a->service].name;
	char revision[24], uid[40];
	char *image;
	json_t *o;

	if (i < 0)
		return NULL;
	d = dep_of(w, a, (size_t)i);
	for (long j = i - 1; j >= 0 && stable < 0; j--)
		if (dep_of(w, a, (size_t)j)->outcome == DEPLOY_SUCCESS)
			stable = j;
	rollout_at(a, d, now, &st);
	snprintf(revision, sizeof(revision), "%lu", d->seq);
	wire_hex_id(w->seed, a->name, uid, 32);
	image = image_of(w, d);
	o = json_object();
	json_object_set_new(o, "apiVersion", json_string("argoproj.io/v1alpha1"));
	json_object_set_new(o, "kind", json_string("Rollout"));
	json_object_set_new(o, "metadata",
			    json_pack("{s:{s:s}, s:o, s:I, s:{s:s}, s:s, s:s, s:s, s:s}",
				      "annotations", "rollout.argoproj.io/revision", revision,
				      "creationTimestamp", time_json(created(w)), "generation",
				      (json_int_t)(i + 2), "labels", "app.kubernetes.io/instance",
				      a->name, "name", name, "namespace", name, "resourceVersion",
				      "77310452", "uid", uid));
	json_object_set_new(
		o, "spec",
		json_pack("{s:i, s:i, s:{s:{s:s}}, s:o, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s, "
			  "s:[{s:i, s:s, s:s}]}]}}}",
			  "replicas", REPLICAS, "revisionHistoryLimit", 3, "selector",
			  "matchLabels", "app", name, "strategy", strategy_json(w, d, &st),
			  "template", "metadata", "labels", "app", name, "spec", "containers",
			  "image", image, "name", name, "ports", "containerPort", 8080, "name",
			  "http", "protocol", "TCP"));
	json_object_set_new(o, "status",
			    rollout_status(w, a, i + 2, d,
					   stable >= 0 ? dep_of(w, a, (size_t)stable) : NULL, &st));
	free(image);
	return o;
}

/* ---- the Application ---------------------------------------------------------------- */

/* status.health at now: its status and since when. */
static const char *
health_at(const struct world *w, const struct app *a, int64_t now, int64_t *since)
{
	long i = latest(w, a, now);
	const struct deployment *d;
	struct rollout_state st;

	*since = created(w);
	if (i < 0)
		return "Healthy";
	d = dep_of(w, a, (size_t)i);
	if (now < sync_end(a, d)) {
		*since = d->start;
		return "Progressing";
	}
	if (!a->rollout) {
		*since = d->finish;
		return d->outcome == DEPLOY_FAILED ? "Degraded" : "Healthy";
	}
	rollout_at(a, d, now, &st);
	*since = st.since;
	return streq(st.phase, "Paused") ? "Suspended" : st.phase;
}

static json_t *
resources_json(const struct world *w, const struct app *a, const char *health)
{
	const char *name = w->services[a->service].name;
	char *preview = xasprintf("%s-preview", name);
	json_t *list = json_array();

	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "version", "v1",
					      "kind", "Service", "namespace", name, "name", name,
					      "status", "Synced", "health", "status", "Healthy"));
	if (a->rollout) {
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}",
						      "version", "v1", "kind", "Service",
						      "namespace", name, "name", preview, "status",
						      "Synced", "health", "status", "Healthy"));
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "group",
						"argoproj.io", "version", "v1alpha1", "kind",
						"Rollout", "namespace", name, "name", name,
						"status", "Synced", "health", "status", health));
	} else {
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "group",
						"apps", "version", "v1", "kind", "Deployment",
						"namespace", name, "name", name, "status", "Synced",
						"health", "status", health));
	}
	free(preview);
	return list;
}

/* status.operationState: the newest sync started by now, or NULL. */
static json_t *
operation_json(const struct world *w, const struct app *a, int64_t now)
{
	long i = latest(w, a, now);
	const struct deployment *d;
	const char *phase, *message;
	json_t *o, *op, *result;
	char text[160];

	if (i < 0)
		return NULL;
	d = dep_of(w, a, (size_t)i);
	if (now < sync_end(a, d)) {
		phase = "Running";
		snprintf(text, sizeof(text), "waiting for healthy state of %s/%s",
			 a->rollout ? "argoproj.io/Rollout" : "apps/Deployment",
			 w->services[a->service].name);
		message = text;
	} else if (a->ids[i] >= 0) {
		phase = "Succeeded";
		message = "successfully synced (all tasks run)";
	} else {
		phase = "Failed";
		message = d->outcome == DEPLOY_CANCELED
				  ? "Operation terminated"
				  : "one or more synchronization tasks completed unsuccessfully";
	}
	op = json_pack("{s:{s:s, s:{s:{}}}, s:o, s:{}}", "sync", "revision",
		       w->commits[d->commit].sha, "syncStrategy", "hook", "initiatedBy",
		       initiator_json(d), "retry");
	result = json_pack("{s:[], s:s, s:o}", "resources", "revision", w->commits[d->commit].sha,
			   "source", source_json(w, a, d));
	o = json_object();
	json_object_set_new(o, "operation", op);
	json_object_set_new(o, "phase", json_string(phase));
	json_object_set_new(o, "message", json_string(message));
	json_object_set_new(o, "syncResult", result);
	json_object_set_new(o, "startedAt", time_json(d->start));
	if (!streq(phase, "Running"))
		json_object_set_new(o, "finishedAt", time_json(sync_end(a, d)));
	return o;
}

static json_t *
application_json(const struct world *w, const struct app *a, int64_t now)
{
	long i = latest(w, a, now), live = -1;
	const struct deployment *d = i >= 0 ? dep_of(w, a, (size_t)i) : NULL;
	int64_t since;
	const char *health = health_at(w, a, now, &since);
	bool syncing = d && now < sync_end(a, d);
	char hex[40], uid[40], *image;
	json_t *app, *status, *history, *op, *images;

	for (size_t j = 0; j < a->n; j++)
		if (a->ids[j] >= 0 && sync_end(a, dep_of(w, a, j)) <= now)
			live = (long)j;
	wire_hex_id(w->seed, a->name, hex, 32);
	snprintf(uid, sizeof(uid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
	app = json_object();
	json_object_set_new(app, "metadata",
			    json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "name", a->name,
				      "namespace", "argocd", "uid", uid, "resourceVersion",
				      "918273", "generation", (json_int_t)(2 * (i + 1) + 1),
				      "creationTimestamp", time_json(created(w))));
	json_object_set_new(app, "spec",
			    json_pack("{s:o, s:o, s:s}", "source", source_json(w, a, NULL),
				      "destination", destination_json(w, a), "project", PROJECT));
	if (a->autosync)
		json_object_set_new(
			json_object_get(app, "spec"), "syncPolicy",
			json_pack("{s:{s:b, s:b}}", "automated", "prune", 1, "selfHeal", 1));

	status = json_object();
	json_object_set_new(status, "resources", resources_json(w, a, health));
	json_object_set_new(
		status, "sync",
		json_pack("{s:s, s:{s:o, s:o}, s:s?}", "status", syncing ? "OutOfSync" : "Synced",
			  "comparedTo", "source", source_json(w, a, NULL), "destination",
			  destination_json(w, a), "revision",
			  live >= 0 ? w->commits[dep_of(w, a, (size_t)live)->commit].sha : NULL));
	json_object_set_new(
		status, "health",
		json_pack("{s:s, s:o}", "status", health, "lastTransitionTime", time_json(since)));
	if ((history = history_json(w, a, now)))
		json_object_set_new(status, "history", history);
	json_object_set_new(status, "reconciledAt",
			    time_json(floor_div(now, RECONCILE) * RECONCILE));
	if ((op = operation_json(w, a, now)))
		json_object_set_new(status, "operationState", op);
	json_object_set_new(status, "sourceType", json_string("Kustomize"));
	images = json_array();
	if (live >= 0) {
		image = image_of(w, dep_of(w, a, (size_t)live));
		json_array_append_new(images, json_string(image));
		free(image);
	}
	json_object_set_new(status, "summary", json_pack("{s:o}", "images", images));
	json_object_set_new(status, "controllerNamespace", json_string("argocd"));
	json_object_set_new(app, "status", status);
	return app;
}

/* ---- routes -------------------------------------------------------------------------- */

/* project= names a project other than the applications': nothing is in it. */
static bool
in_project(const struct sim_request *req)
{
	const char *p = params_get(&req->params, "project");

	if (!p)
		p = params_get(&req->params, "projects");
	return !p || !*p || streq(p, PROJECT);
}

static void
list_applications(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	const char *name = params_get(&req->params, "name");
	json_t *items = json_array(), *root;

	for (size_t s = 0; s < w->n_services && in_project(req); s++)
		for (int e = ENV_PRODUCTION; e >= ENV_STAGING; e--) {
			struct app a;

			app_init(w, s, (enum deploy_env)e, &a);
			a.autosync = a.autosync && !sim_autosync_off(sim, a.name);
			if (!name || !*name || streq(name, a.name))
				json_array_append_new(items, application_json(w, &a, now));
			app_release(&a);
		}
	root = json_object();
	json_object_set_new(root, "metadata", json_pack("{s:s}", "resourceVersion", "918301"));
	/* Go marshals a nil slice as null. */
	json_object_set_new(root, "items", json_array_size(items) ? items : json_null());
	if (!json_array_size(items))
		json_decref(items);
	response_json(resp, 200, root);
	resp->go_escape = true;
}

/* 403 unless project= is given, as Argo CD hides which applications exist. */
static void
no_application(const struct sim_request *req, const char *name, struct sim_response *resp)
{
	char *text;

	if (!params_get(&req->params, "project")) {
		grpc_error(resp, 403, GRPC_PERMISSION_DENIED, "permission denied");
		return;
	}
	text = xasprintf("applications.argoproj.io \"%s\" not found", name);
	grpc_error(resp, 404, GRPC_NOT_FOUND, text);
	free(text);
}

static void
get_resource(struct sim *sim, const struct sim_request *req, const struct app *a,
	     struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	const char *name = w->services[a->service].name;
	const char *ns = params_get(&req->params, "namespace");
	const char *rname = params_get(&req->params, "resourceName");
	const char *group = params_get(&req->params, "group");
	const char *kind = params_get(&req->params, "kind");
	json_t *obj;
	char *text, *manifest;
	size_t len;

	if (!rname || !*rname || !kind || !*kind) {
		grpc_error(resp, 400, GRPC_INVALID_ARGUMENT, "resourceName and kind are required");
		return;
	}
	if (!a->rollout || !streq(kind, "Rollout") || !group || !streq(group, "argoproj.io") ||
	    !ns || !streq(ns, name) || !streq(rname, name) || !(obj = rollout_json(w, a, now))) {
		text = xasprintf("%s %s not found as part of application %s", kind, rname, a->name);
		grpc_error(resp, 404, GRPC_NOT_FOUND, text);
		free(text);
		return;
	}
	manifest = wire_dump(obj, false, &len);
	response_json(resp, 200, json_pack("{s:s}", "manifest", manifest));
	resp->go_escape = true;
	free(manifest);
	json_decref(obj);
}

/* The request's JSON object body (new), or NULL after answering 400. */
static json_t *
body_object(const struct sim_request *req, struct sim_response *resp)
{
	json_t *body = req->body_len ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;

	if (!json_is_object(body)) {
		json_decref(body);
		grpc_error(resp, 400, GRPC_INVALID_ARGUMENT,
			   "invalid character looking for beginning of value");
		return NULL;
	}
	return body;
}

static void
answer_app(struct sim *sim, struct app *a, struct sim_response *resp)
{
	response_json(
		resp, 200,
		application_json(&sim->world, a, floor_div(sim_clock_now(&sim->clock), 1000)));
	resp->go_escape = true;
}

/* POST .../rollback {"id"}: a sync of that history entry's revision, refused while
 * auto-sync is on or an operation runs (application.go's Rollback). */
static void
rollback(struct sim *sim, const struct sim_request *req, struct app *a, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	json_t *body = body_object(req, resp), *id;
	long i = latest(w, a, now), k = -1;
	char text[sizeof(a->name) + 80];

	if (!body)
		return;
	id = json_object_get(body, "id");
	if (a->autosync) {
		grpc_error(resp, 400, GRPC_FAILED_PRECONDITION,
			   "rollback cannot be initiated when auto-sync is enabled");
	} else if (i >= 0 && now < sync_end(a, dep_of(w, a, (size_t)i))) {
		grpc_error(resp, 400, GRPC_FAILED_PRECONDITION,
			   "another operation is already in progress");
	} else {
		for (size_t j = 0; j < a->n && json_is_integer(id); j++)
			if (a->ids[j] == (long)json_integer_value(id) &&
			    sync_end(a, dep_of(w, a, j)) <= now)
				k = (long)j;
		if (k < 0) {
			snprintf(text, sizeof(text),
				 "application %s does not have deployment with id %lld", a->name,
				 json_is_integer(id) ? (long long)json_integer_value(id) : 0LL);
			grpc_error(resp, 400, GRPC_INVALID_ARGUMENT, text);
		} else {
			char name[sizeof(a->name)];

			sim_rollback_add(sim, a->deps[k], "argocd", "admin", now);
			/* the application again, with the new history entry */
			string_copy(name, a->name);
			app_release(a);
			app_find(&sim->world, name, a);
			answer_app(sim, a, resp);
		}
	}
	json_decref(body);
}

/* PATCH the application {"patch", "patchType": "merge"}: only turning auto-sync off
 * ({"spec":{"syncPolicy":{"automated":null}}}) changes anything here. */
static void
patch(struct sim *sim, const struct sim_request *req, struct app *a, struct sim_response *resp)
{
	json_t *body = body_object(req, resp), *p, *policy;
	const char *text, *type;

	if (!body)
		return;
	text = json_string_value(json_object_get(body, "patch"));
	type = json_string_value(json_object_get(body, "patchType"));
	p = text ? json_loads(text, 0, NULL) : NULL;
	policy = json_object_get(json_object_get(p, "spec"), "syncPolicy");
	if (!json_is_object(p) || (type && !streq(type, "merge") && !streq(type, "json"))) {
		grpc_error(resp, 400, GRPC_INVALID_ARGUMENT, "error unmarshaling patch");
	} else {
		if (json_is_object(policy) && json_is_null(json_object_get(policy, "automated"))) {
			sim_autosync_disable(sim, a->name);
			a->autosync = false;
		}
		answer_app(sim, a, resp);
	}
	json_decref(p);
	json_decref(body);
}

void
argocd_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route, *rest;
	bool get = streq(req->method, "GET") || streq(req->method, "HEAD");
	char app_name[256];
	struct app a;
	size_t len;

	if (strncmp(r, "/api/v1/applications", 20) != 0) {
		response_text(resp, 404, "404 page not found\n");
		return;
	}
	rest = r + 20;
	if (!get && !streq(req->method, "POST") && !streq(req->method, "PATCH")) {
		grpc_error(resp, 405, GRPC_UNKNOWN, "Method Not Allowed");
		return;
	}
	if (!*rest && get) {
		list_applications(sim, req, resp);
		return;
	}
	if (*rest != '/' || !(len = strcspn(rest + 1, "/")) || len >= sizeof(app_name)) {
		response_text(resp, 404, "404 page not found\n");
		return;
	}
	snprintf(app_name, sizeof(app_name), "%.*s", (int)len, rest + 1);
	rest += 1 + len;
	if (!app_find(&sim->world, app_name, &a) || !in_project(req)) {
		no_application(req, app_name, resp);
		return;
	}
	a.autosync = a.autosync && !sim_autosync_off(sim, a.name);
	if (streq(req->method, "POST") && streq(rest, "/rollback")) {
		rollback(sim, req, &a, resp);
	} else if (streq(req->method, "PATCH") && !*rest) {
		patch(sim, req, &a, resp);
	} else if (!get) {
		grpc_error(resp, 405, GRPC_UNKNOWN, "Method Not Allowed");
	} else if (!*rest) {
		answer_app(sim, &a, resp);
	} else if (streq(rest, "/resource")) {
		get_resource(sim, req, &a, resp);
	} else {
		response_text(resp, 404, "404 page not found\n");
	}
	app_release(&a);
}
