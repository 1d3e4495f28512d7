/* argocd-rollout.c - an Argo Rollouts Rollout, as Argo CD's resource endpoint returns
 * it live, read into what a deployment shows: the pattern, the canary's share of
 * traffic, the end of the current timed pause (bake), and whether it is still
 * rolling out, done, degraded or aborted.
 *
 * Field names and semantics are those of pkg/apis/rollouts/v1alpha1/types.go
 * (cicd-rollback.md 5.2-5.3):
 *   - spec.strategy.canary.steps[]: setWeight (percent) or pause {duration}, the
 *     duration an integer of seconds or a string such as "10s", "1h30m", or digits;
 *   - status.currentStepIndex: the step under way, len(steps) once all are done;
 *   - status.canary.weights.canary.weight: the weight the traffic router was set to,
 *     present only with traffic routing; without it the weight is the current step's
 *     setWeight (the last one at or before the step: a pause keeps the weight before
 *     it), approximated by replica counts upstream;
 *   - status.pauseConditions[]{reason, startTime}: a timed canary pause ends at its
 *     startTime plus the current step's duration, a blue-green pause at its
 *     startTime plus spec.strategy.blueGreen.autoPromotionSeconds; a pause with
 *     neither waits for a human (no bake end);
 *   - status.abort / abortedAt: traffic went back to stable ("rolled_back"), while
 *     spec.template still names the new version (pitfall 16);
 *   - status.phase Healthy, Progressing, Paused, Degraded; trusted only when
 *     status.observedGeneration (a string, pitfall 17) equals metadata.generation,
 *     as kubectl and Argo CD's health check do: otherwise the controller has not
 *     seen the latest spec and the rollout is still under way. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>

#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#include "argocd.h"

#define NS_PER_S INT64_C(1000000000)

/* ---- Go durations ---- */

/* The nanoseconds of one unit at s (advancing *s), or 0 when none is there. */
static int64_t
go_unit(const char **s)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		/* Longer names first: "ms" before "m". */
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
		{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
		{ "ms", 1000000 },
		{ "s", NS_PER_S },
		{ "m", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S },
	};

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t len = strlen(units[i].name);

		if (strncmp(*s, units[i].name, len) == 0) {
			*s += len;
			return units[i].ns;
		}
	}
	return 0;
}

/* One "1.5h" part into *ns (added); false on bad text or overflow. */
static bool
go_part(const char **sp, int64_t *ns)
{
	const char *s = *sp;
	int64_t whole = 0, frac = 0, scale = 1, unit, part;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		if (whole > (INT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
			if (scale < NS_PER_S) { /* finer than a nanosecond is dropped */
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
	if (!digits || !(unit = go_unit(&s)))
		return false;
	if (whole > INT64_MAX / unit)
		return false;
	part = whole * unit + (int64_t)((double)frac * (double)unit / (double)scale);
	if (part < 0 || *ns > INT64_MAX - part)
		return false;
	*ns += part;
	*sp = s;
	return true;
}

bool
argocd_go_duration(const char *text, int64_t *seconds)
{
	const char *s = text;
	int64_t ns = 0, n = 0;

	if (!s || !*s)
		return false;
	if (*s == '+')
		s++;
	/* strconv.ParseInt first: digits alone are seconds. */
	if (*s >= '0' && *s <= '9' && s[strspn(s, "0123456789")] == '\0') {
		for (; *s; s++) {
			if (n > (INT64_MAX - 9) / 10)
				return false;
			n = n * 10 + (*s - '0');
		}
		*seconds = n;
		return true;
	}
	while (*s)
		if (!go_part(&s, &ns))
			return false;
	*seconds = ns / NS_PER_S;
	return true;
}

/* ---- fields (shared with argocd.c) ---- */

static const char *
type_want(json_type type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a boolean";
	}
}

static bool
has_type(const json_t *v, json_type type)
{
	if (type == JSON_TRUE || type == JSON_FALSE)
		return json_is_boolean(v);
	return json_typeof(v) == type;
}

enum status_code
argocd_member(const char *what, const json_t *obj, const char *prefix, const char *path,
	      json_type type, const json_t **out)
{
	const char *p = path, *dot;
	char key[64];

	*out = NULL;
	for (;;) {
		dot = strchr(p, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - p) : (int)strlen(p), p);
		obj = json_object_get(obj, key);
		if (!obj || json_is_null(obj))
			return SUCCESS;
		if (!dot)
			break;
		if (!json_is_object(obj))
			return error("%s: %s%.*s is %s, not an object", what, prefix,
				     (int)(dot - path), path, json_type_name(obj));
		p = dot + 1;
	}
	if (!has_type(obj, type))
		return error("%s: %s%s is %s, not %s", what, prefix, path, json_type_name(obj),
			     type_want(type));
	*out = obj;
	return SUCCESS;
}

enum status_code
argocd_instant(const char *what, const json_t *obj, const char *prefix, const char *path,
	       int64_t *at)
{
	const json_t *v;
	enum status_code code;

	*at = TIME_NONE;
	if ((code = argocd_member(what, obj, prefix, path, JSON_STRING, &v)) != SUCCESS || !v)
		return code;
	if (!timestamp_parse(json_string_value(v), at)) {
		char *text = source_error_text(json_string_value(v), json_string_length(v));

		code = error("%s: %s%s \"%s\" is not a timestamp", what, prefix, path, text);
		free(text);
	}
	return code;
}

/* A pause step's duration in seconds; 0 when it has none (it waits for a human). */
static enum status_code
pause_seconds(const char *what, const json_t *step, const char *prefix, int64_t *seconds)
{
	const json_t *d = json_object_get(json_object_get(step, "pause"), "duration");

	*seconds = 0;
	if (!d || json_is_null(d))
		return SUCCESS;
	if (json_is_integer(d)) {
		*seconds = json_integer_value(d) > 0 ? (int64_t)json_integer_value(d) : 0;
		return SUCCESS;
	}
	if (!json_is_string(d))
		return error("%s: %spause.duration is %s, not an integer or a string", what, prefix,
			     json_type_name(d));
	if (!argocd_go_duration(json_string_value(d), seconds)) {
		char *text = source_error_text(json_string_value(d), json_string_length(d));
		enum status_code code =
			error("%s: %spause.duration \"%s\" is not a duration", what, prefix, text);

		free(text);
		return code;
	}
	return SUCCESS;
}

/* ---- the canary ---- */

struct canary {
	const json_t *steps; /* spec.strategy.canary.steps, or NULL */
	size_t n_steps;
	long index; /* status.currentStepIndex, -1 when absent */
};

static enum status_code
read_canary(const char *what, const json_t *rollout, struct canary *c)
{
	const json_t *idx;
	enum status_code code;
	char field[64];

	memset(c, 0, sizeof(*c));
	c->index = -1;
	if ((code = argocd_member(what, rollout, "", "spec.strategy.canary.steps", JSON_ARRAY,
				  &c->steps)) != SUCCESS ||
	    (code = argocd_member(what, rollout, "", "status.currentStepIndex", JSON_INTEGER,
				  &idx)) != SUCCESS)
		return code;
	c->n_steps = c->steps ? json_array_size(c->steps) : 0;
	if (idx && (json_integer_value(idx) < 0 || json_integer_value(idx) > 100000))
		return error("%s: status.currentStepIndex is out of range", what);
	if (idx)
		c->index = (long)json_integer_value(idx);
	for (size_t i = 0; i < c->n_steps; i++) {
		const json_t *step = json_array_get(c->steps, i), *w;

		snprintf(field, sizeof(field), "spec.strategy.canary.steps[%zu]", i);
		if (!json_is_object(step))
			return error("%s: %s is %s, not an object", what, field,
				     json_type_name(step));
		snprintf(field, sizeof(field), "spec.strategy.canary.steps[%zu].", i);
		if ((code = argocd_member(what, step, field, "setWeight", JSON_INTEGER, &w)) !=
		    SUCCESS)
			return code;
		if (w && (json_integer_value(w) < 0 || json_integer_value(w) > 100))
			return error("%s: %ssetWeight is not a percentage", what, field);
	}
	return SUCCESS;
}

/* The weight the current step set: the last setWeight at or before it (a pause
 * keeps the weight before it); 100 once every step is done. */
static double
step_weight(const struct canary *c)
{
	double weight = 0;

	if (c->index < 0)
		return 0; /* the controller has not started the steps */
	if ((size_t)c->index >= c->n_steps)
		return 100;
	for (size_t i = 0; i <= (size_t)c->index; i++) {
		const json_t *w = json_object_get(json_array_get(c->steps, i), "setWeight");

		if (json_is_integer(w))
			weight = (double)json_integer_value(w);
	}
	return weight;
}

/* The new version's share of traffic: the traffic router's weight when it reports
 * one, else the current step's. */
static enum status_code
canary_weight(const char *what, const json_t *rollout, const struct canary *c, bool aborted,
	      bool promoted, double *weight)
{
	const json_t *w;
	enum status_code code;

	if ((code = argocd_member(what, rollout, "", "status.canary.weights.canary.weight",
				  JSON_INTEGER, &w)) != SUCCESS)
		return code;
	if (w && (json_integer_value(w) < 0 || json_integer_value(w) > 100))
		return error("%s: status.canary.weights.canary.weight is not a percentage", what);
	if (aborted)
		*weight = 0; /* scaled back to stable */
	else if (promoted)
		*weight = 100; /* the new version is the stable one; the router says 0 */
	else if (w)
		*weight = (double)json_integer_value(w);
	else if (c->n_steps == 0)
		*weight = NAN; /* no steps: straight to all traffic once healthy */
	else
		*weight = step_weight(c);
	return SUCCESS;
}

/* ---- pauses ---- */

/* The startTime of the first pause condition with reason, or TIME_NONE. */
static enum status_code
pause_start(const char *what, const json_t *rollout, const char *reason, int64_t *at)
{
	const json_t *conds, *cond, *r;
	enum status_code code;
	char field[64];
	size_t i;

	*at = TIME_NONE;
	if ((code = argocd_member(what, rollout, "", "status.pauseConditions", JSON_ARRAY,
				  &conds)) != SUCCESS ||
	    !conds)
		return code;
	json_array_foreach(conds, i, cond)
	{
		snprintf(field, sizeof(field), "status.pauseConditions[%zu]", i);
		if (!json_is_object(cond))
			return error("%s: %s is %s, not an object", what, field,
				     json_type_name(cond));
		snprintf(field, sizeof(field), "status.pauseConditions[%zu].", i);
		if ((code = argocd_member(what, cond, field, "reason", JSON_STRING, &r)) != SUCCESS)
			return code;
		if (r && streq(json_string_value(r), reason))
			return argocd_instant(what, cond, field, "startTime", at);
	}
	return SUCCESS;
}

static enum status_code
canary_bake(const char *what, const json_t *rollout, const struct canary *c, int64_t *until)
{
	int64_t start, seconds;
	char prefix[64];
	enum status_code code;

	*until = TIME_NONE;
	if (c->index < 0 || (size_t)c->index >= c->n_steps)
		return SUCCESS;
	if ((code = pause_start(what, rollout, "CanaryPauseStep", &start)) != SUCCESS ||
	    start == TIME_NONE)
		return code;
	snprintf(prefix, sizeof(prefix), "spec.strategy.canary.steps[%ld].", c->index);
	if ((code = pause_seconds(what, json_array_get(c->steps, (size_t)c->index), prefix,
				  &seconds)) != SUCCESS)
		return code;
	*until = seconds > 0 ? start + seconds : TIME_NONE;
	return SUCCESS;
}

static enum status_code
blue_green_bake(const char *what, const json_t *rollout, int64_t *until)
{
	const json_t *enabled, *seconds;
	int64_t start;
	enum status_code code;

	*until = TIME_NONE;
	if ((code = argocd_member(what, rollout, "", "spec.strategy.blueGreen.autoPromotionEnabled",
				  JSON_TRUE, &enabled)) != SUCCESS ||
	    (code = argocd_member(what, rollout, "", "spec.strategy.blueGreen.autoPromotionSeconds",
				  JSON_INTEGER, &seconds)) != SUCCESS ||
	    (code = pause_start(what, rollout, "BlueGreenPause", &start)) != SUCCESS)
		return code;
	if (start != TIME_NONE && seconds && json_integer_value(seconds) > 0 &&
	    !json_is_false(enabled))
		*until = start + (int64_t)json_integer_value(seconds);
	return SUCCESS;
}

/* ---- the state ---- */

/* The lastTransitionTime of the condition of type whose status is want, or
 * TIME_NONE. */
static enum status_code
condition_time(const char *what, const json_t *rollout, const char *type, const char *want,
	       int64_t *at)
{
	const json_t *conds, *cond, *t, *st;
	enum status_code code;
	char prefix[48];
	size_t i;

	*at = TIME_NONE;
	if ((code = argocd_member(what, rollout, "", "status.conditions", JSON_ARRAY, &conds)) !=
		    SUCCESS ||
	    !conds)
		return code;
	json_array_foreach(conds, i, cond)
	{
		snprintf(prefix, sizeof(prefix), "status.conditions[%zu]", i);
		if (!json_is_object(cond))
			return error("%s: %s is %s, not an object", what, prefix,
				     json_type_name(cond));
		snprintf(prefix, sizeof(prefix), "status.conditions[%zu].", i);
		if ((code = argocd_member(what, cond, prefix, "type", JSON_STRING, &t)) !=
			    SUCCESS ||
		    (code = argocd_member(what, cond, prefix, "status", JSON_STRING, &st)) !=
			    SUCCESS)
			return code;
		if (t && st && streq(json_string_value(t), type) &&
		    streq(json_string_value(st), want))
			return argocd_instant(what, cond, prefix, "lastTransitionTime", at);
	}
	return SUCCESS;
}

/* Does the status describe the latest spec? metadata.generation is an integer,
 * status.observedGeneration a string of digits (an integer in some versions, a
 * pod-template hash in old ones, which cannot be compared). */
static enum status_code
observed(const char *what, const json_t *rollout, bool *current)
{
	const json_t *gen, *seen;
	enum status_code code;
	const char *text;
	char want[32];

	*current = true;
	if ((code = argocd_member(what, rollout, "", "metadata.generation", JSON_INTEGER, &gen)) !=
		    SUCCESS ||
	    !gen)
		return code;
	seen = json_object_get(json_object_get(rollout, "status"), "observedGeneration");
	if (!seen || json_is_null(seen))
		return SUCCESS;
	if (json_is_integer(seen)) {
		*current = json_integer_value(seen) == json_integer_value(gen);
		return SUCCESS;
	}
	if (!json_is_string(seen))
		return error("%s: status.observedGeneration is %s, not a string", what,
			     json_type_name(seen));
	text = json_string_value(seen);
	snprintf(want, sizeof(want), "%" JSON_INTEGER_FORMAT, json_integer_value(gen));
	if (*text && text[strspn(text, "0123456789")] == '\0')
		*current = streq(text, want);
	return SUCCESS;
}

static enum status_code
status_of(const char *what, const json_t *rollout, const struct canary *c, bool aborted,
	  const char **status)
{
	const json_t *phase, *conds, *st;
	const char *p;
	bool current;
	enum status_code code;

	if ((code = argocd_member(what, rollout, "", "status", JSON_OBJECT, &st)) != SUCCESS ||
	    (code = argocd_member(what, rollout, "", "status.phase", JSON_STRING, &phase)) !=
		    SUCCESS ||
	    (code = argocd_member(what, rollout, "", "status.pauseConditions", JSON_ARRAY,
				  &conds)) != SUCCESS ||
	    (code = observed(what, rollout, &current)) != SUCCESS)
		return code;
	p = phase ? json_string_value(phase) : NULL;
	if (aborted)
		*status = "rolled_back";
	else if (!st || !current)
		*status = "running"; /* the controller has not seen this spec yet */
	else if (streq(p, "Healthy"))
		*status = "success";
	else if (streq(p, "Degraded"))
		*status = "failed";
	else if (streq(p, "Progressing") || streq(p, "Paused"))
		*status = "running";
	else /* a controller that writes no phase: from the pauses and steps */
		*status = (conds && json_array_size(conds) > 0) ||
					  (c->n_steps > 0 &&
					   (c->index < 0 || (size_t)c->index < c->n_steps))
				  ? "running"
				  : "success";
	return SUCCESS;
}

enum status_code
argocd_rollout_read(const json_t *obj, const char *what, struct argocd_rollout *out)
{
	const json_t *kind, *canary_spec, *blue_green, *abort_flag, *promote;
	struct canary c;
	enum status_code code;
	char *text;

	memset(out, 0, sizeof(*out));
	out->weight = NAN;
	out->bake_until = out->ended = TIME_NONE;
	if (!json_is_object(obj))
		return error("%s: the manifest is %s, not an object", what, json_type_name(obj));
	if ((code = argocd_member(what, obj, "", "kind", JSON_STRING, &kind)) != SUCCESS)
		return code;
	if (!kind)
		return error("%s: the manifest has no kind", what);
	if (!streq(json_string_value(kind), "Rollout")) {
		text = source_error_text(json_string_value(kind), json_string_length(kind));
		code = error("%s: the manifest is a \"%s\", not a Rollout", what, text);
		free(text);
		return code;
	}
	if ((code = argocd_member(what, obj, "", "spec.strategy.canary", JSON_OBJECT,
				  &canary_spec)) != SUCCESS ||
	    (code = argocd_member(what, obj, "", "spec.strategy.blueGreen", JSON_OBJECT,
				  &blue_green)) != SUCCESS ||
	    (code = argocd_member(what, obj, "", "status.abort", JSON_TRUE, &abort_flag)) !=
		    SUCCESS ||
	    (code = argocd_member(what, obj, "", "status.promoteFull", JSON_TRUE, &promote)) !=
		    SUCCESS ||
	    (code = read_canary(what, obj, &c)) != SUCCESS)
		return code;
	if (json_is_true(abort_flag) &&
	    (code = argocd_instant(what, obj, "", "status.abortedAt", &out->ended)) != SUCCESS)
		return code;
	if ((code = status_of(what, obj, &c, json_is_true(abort_flag), &out->status)) != SUCCESS)
		return code;
	/* When it ended: the update completed, or ran out of its progress deadline. */
	if (streq(out->status, "success"))
		code = condition_time(what, obj, "Completed", "True", &out->ended);
	else if (streq(out->status, "failed"))
		code = condition_time(what, obj, "Progressing", "False", &out->ended);
	if (code != SUCCESS)
		return code;
	if (canary_spec) {
		out->pattern = "canary";
		code = canary_weight(what, obj, &c, json_is_true(abort_flag),
				     json_is_true(promote) || streq(out->status, "success"),
				     &out->weight);
		if (code == SUCCESS && streq(out->status, "running"))
			code = canary_bake(what, obj, &c, &out->bake_until);
	} else if (blue_green) {
		out->pattern = "blue-green";
		if (streq(out->status, "running"))
			code = blue_green_bake(what, obj, &out->bake_until);
	} else {
		out->pattern = "rolling";
	}
	return code;
}
