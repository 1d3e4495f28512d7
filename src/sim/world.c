/* world.c - the scenario: services and the incidents that happen to them, loaded
 * from a JSON file or the built-in week, with instants resolved against --start.
 * A scenario may also ask for incidents by the thousand ("generate"), made from the
 * seed alone, so that a benchmark serves a large world from a file of a few lines.
 * delivery.c adds commits, pipelines and deployments, tickets.c the tickets; both
 * use the loading helpers here (scn_*) and are loaded from load_root().
 *
 * Loading is strict (an unknown key or an incident that resolves before it fires
 * is an error naming the place) because a scenario typo would otherwise show up as
 * a puzzling test failure far away. Once loaded the world never changes: the only
 * mutable state of the simulator is the clock, faults and what clients posted. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>

#define SCENARIO_MAX_BYTES (4 * 1024 * 1024)

static const char *const severity_names[] = { "info", "warning", "critical" };
static const char *const symptom_names[] = { "errors", "latency", "cpu", "memory", "outage" };

const char *
severity_name(enum severity s)
{
	return severity_names[s];
}

const char *
symptom_name(enum symptom s)
{
	return symptom_names[s];
}

int
scn_name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], name))
			return (int)i;
	return -1;
}

/* Every key of obj must be one of allowed: a misspelt "resolve" must not silently
 * leave an incident open forever. */
enum status_code
scn_check_keys(json_t *obj, const char *const *allowed, size_t n, const char *where)
{
	const char *key;
	json_t *value;

	if (!json_is_object(obj))
		return error("%s: expected an object", where);
	json_object_foreach(obj, key, value)
	{
		if (scn_name_index(allowed, n, key) < 0)
			return error("%s: unknown key \"%s\"", where, key);
	}
	return SUCCESS;
}

enum status_code
scn_number(json_t *obj, const char *key, double fallback, double *out, const char *where)
{
	json_t *v = json_object_get(obj, key);

	if (!v) {
		*out = fallback;
		return SUCCESS;
	}
	if (!json_is_number(v) || json_number_value(v) < 0)
		return error("%s: \"%s\" must be a non-negative number", where, key);
	*out = json_number_value(v);
	return SUCCESS;
}

enum status_code
scn_string(json_t *obj, const char *key, bool required, char **out, const char *where)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? error("%s: \"%s\" is required", where, key) : SUCCESS;
	if (!json_is_string(v) || (required && json_string_length(v) == 0))
		return error("%s: \"%s\" must be a string", where, key);
	*out = xstrdup(json_string_value(v));
	return SUCCESS;
}

/* "+1h30m" and "-6d" count from the origin; anything else is an absolute instant. */
enum status_code
scn_instant(json_t *obj, const char *key, int64_t origin, int64_t *out, const char *where)
{
	json_t *v = json_object_get(obj, key);
	const char *text = json_string_value(v);
	int64_t ms;

	*out = TIME_NONE;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!text)
		return error("%s: \"%s\" must be a string", where, key);
	if ((text[0] == '+' || text[0] == '-') && wire_parse_signed_duration(text, &ms)) {
		*out = origin + floor_div(ms, 1000);
		return SUCCESS;
	}
	if (timestamp_parse(text, out))
		return SUCCESS;
	return error("%s: \"%s\": cannot read \"%s\" as an instant or an offset", where, key, text);
}

enum status_code
scn_duration(json_t *obj, const char *key, int64_t fallback, int64_t *out, const char *where)
{
	json_t *v = json_object_get(obj, key);
	int64_t ms;

	*out = fallback;
	if (!v)
		return SUCCESS;
	if (!json_is_string(v) || !wire_parse_duration(json_string_value(v), &ms) || ms <= 0)
		return error("%s: \"%s\" must be a positive duration such as \"10m\"", where, key);
	*out = (ms + 999) / 1000;
	return SUCCESS;
}

enum status_code
scn_array(json_t *obj, const char *key, json_t **out, const char *where)
{
	*out = json_object_get(obj, key);
	if (*out && !json_is_array(*out))
		return error("%s: \"%s\" must be an array", where, key);
	return SUCCESS;
}

/* A service's baseline: the level each metric has at an average hour before
 * load, noise and incidents move it (see series.c). */
static const char *const pattern_names[] = { "rolling", "blue-green", "canary", "recreate" };

/* "acme/checkout": an owner and a name, each of letters, digits, '-', '_' and '.'. */
static bool
repo_name_ok(const char *repo)
{
	const char *slash = strchr(repo, '/');

	if (!slash || slash == repo || !slash[1] || strchr(slash + 1, '/'))
		return false;
	for (const char *p = repo; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
			return false;
	return true;
}

/* Where a service's code lives and who answers its tickets; every key has a
 * default ("acme/<name>", main, "<Name> SRE", rolling). */
static enum status_code
load_service_delivery(struct service *s, json_t *obj, const char *where)
{
	enum status_code rc;
	int pattern;

	if ((rc = scn_string(obj, "repo", false, &s->repo, where)) ||
	    (rc = scn_string(obj, "default_branch", false, &s->default_branch, where)) ||
	    (rc = scn_string(obj, "team", false, &s->team, where)) ||
	    (rc = scn_enum(obj, "pattern", pattern_names, ARRAY_SIZE(pattern_names),
			   PATTERN_ROLLING, &pattern, where)))
		return rc;
	s->pattern = (enum deploy_pattern)pattern;
	if (!s->repo)
		s->repo = xasprintf("acme/%s", s->name);
	if (!repo_name_ok(s->repo))
		return error("%s: \"repo\" must look like \"owner/name\", not \"%s\"", where,
			     s->repo);
	if (!s->default_branch)
		s->default_branch = xstrdup("main");
	if (!s->team) {
		s->team = xasprintf("%s SRE", s->name);
		s->team[0] = (char)toupper((unsigned char)s->team[0]);
	}
	return SUCCESS;
}

static enum status_code
load_service(struct service *s, json_t *obj, const char *where)
{
	static const char *const keys[] = { "name",	   "rpm",    "latency_ms",
					    "error_ratio", "cpu",    "memory",
					    "consumers",   "repo",   "default_branch",
					    "team",	   "pattern" };
	enum status_code rc;

	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_string(obj, "name", true, &s->name, where)) ||
	    (rc = scn_number(obj, "rpm", 1000, &s->rpm, where)) ||
	    (rc = scn_number(obj, "latency_ms", 100, &s->latency_ms, where)) ||
	    (rc = scn_number(obj, "error_ratio", 0.002, &s->error_ratio, where)) ||
	    (rc = scn_number(obj, "cpu", 30, &s->cpu, where)) ||
	    (rc = scn_number(obj, "memory", 50, &s->memory, where)) ||
	    (rc = scn_number(obj, "consumers", 200, &s->consumers, where)))
		return rc;
	if (s->latency_ms <= 0)
		return error("%s: \"latency_ms\" must be positive", where);
	return load_service_delivery(s, obj, where);
}

enum status_code
scn_enum(json_t *obj, const char *key, const char *const *names, size_t n, int fallback, int *out,
	 const char *where)
{
	const char *text = json_string_value(json_object_get(obj, key));

	struct buf list;
	enum status_code rc;

	*out = fallback;
	if (!json_object_get(obj, key))
		return SUCCESS;
	if (text && (*out = scn_name_index(names, n, text)) >= 0)
		return SUCCESS;
	buf_init(&list, 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
	rc = error("%s: \"%s\" must be one of %s", where, key, list.data);
	buf_release(&list);
	return rc;
}

/* Milestones must come in order; a missing one may only be followed by missing
 * ones, except that an alert may resolve without ever being acknowledged. */
static enum status_code
check_order(const struct incident *in, const char *where)
{
	if (in->impact == TIME_NONE)
		return error("%s: \"impact\" is required", where);
	if (in->fire < in->impact)
		return error("%s: fires before its impact starts", where);
	if (in->ack != TIME_NONE && in->ack < in->fire)
		return error("%s: acknowledged before it fires", where);
	if (in->resolve != TIME_NONE && in->resolve < in->fire)
		return error("%s: resolved before it fires", where);
	if (in->ack != TIME_NONE && in->resolve != TIME_NONE && in->ack > in->resolve)
		return error("%s: acknowledged after it resolved", where);
	return SUCCESS;
}

static enum status_code
load_incident(struct world *w, struct incident *in, json_t *obj, const char *where)
{
	static const char *const keys[] = {
		"id",	       "service",  "severity",	     "alertname", "title",
		"description", "symptom",  "impact",	     "fire",	  "ack",
		"resolve",     "acked_by", "silence_on_ack", "caused_by"
	};
	enum status_code rc;
	char *service = NULL;
	int sev, sym;
	long idx;
	json_t *silence;

	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_string(obj, "id", true, &in->id, where)) ||
	    (rc = scn_string(obj, "alertname", true, &in->alertname, where)) ||
	    (rc = scn_string(obj, "title", true, &in->title, where)) ||
	    (rc = scn_string(obj, "description", false, &in->description, where)) ||
	    (rc = scn_string(obj, "acked_by", false, &in->acked_by, where)) ||
	    (rc = scn_string(obj, "service", true, &service, where)) ||
	    (rc = scn_enum(obj, "severity", severity_names, ARRAY_SIZE(severity_names),
			   SEVERITY_WARNING, &sev, where)) ||
	    (rc = scn_enum(obj, "symptom", symptom_names, ARRAY_SIZE(symptom_names), SYMPTOM_ERRORS,
			   &sym, where)) ||
	    (rc = scn_instant(obj, "impact", w->origin, &in->impact, where)) ||
	    (rc = scn_instant(obj, "fire", w->origin, &in->fire, where)) ||
	    (rc = scn_instant(obj, "ack", w->origin, &in->ack, where)) ||
	    (rc = scn_instant(obj, "resolve", w->origin, &in->resolve, where)))
		goto out;
	idx = world_service(w, service);
	if (idx < 0) {
		rc = error("%s: unknown service \"%s\"", where, service);
		goto out;
	}
	in->service = (size_t)idx;
	in->caused_by = -1;
	in->severity = (enum severity)sev;
	in->symptom = (enum symptom)sym;
	if (in->fire == TIME_NONE)
		in->fire = in->impact;
	silence = json_object_get(obj, "silence_on_ack");
	if (silence && !json_is_boolean(silence)) {
		rc = error("%s: \"silence_on_ack\" must be true or false", where);
		goto out;
	}
	in->silence_on_ack = json_is_true(silence);
	in->phase_ns = (uint32_t)(sim_hash(w->seed, in->id, 0) % 1000000000u);
	rc = check_order(in, where);
out:
	free(service);
	return rc;
}

static enum status_code
load_array(json_t *root, const char *key, bool required, json_t **out)
{
	*out = json_object_get(root, key);
	if (!*out && !required)
		return SUCCESS;
	if (!json_is_array(*out) || (required && json_array_size(*out) == 0))
		return error("scenario: \"%s\" must be a non-empty array", key);
	return SUCCESS;
}

/* ---- generated incidents ------------------------------------------------------- */

static const struct {
	const char *alertname, *title;
} generated_kinds[] = {
	[SYMPTOM_ERRORS] = { "HighErrorRate", "5xx rate above 5%" },
	[SYMPTOM_LATENCY] = { "LatencyHigh", "p99 latency above 800ms" },
	[SYMPTOM_CPU] = { "CPUSaturated", "CPU above 90% on several pods" },
	[SYMPTOM_MEMORY] = { "MemoryHigh", "memory above 85%" },
	[SYMPTOM_OUTAGE] = { "Down", "unavailable: health checks failing" },
};

static const char *const generated_responders[] = { "dana", "lee", "sam", "kim", "alex" };

/* Incident i of n, spread evenly over [from, to) with a jitter, each a function of
 * the seed and i only: a service, a severity and symptom, a few minutes from impact
 * to firing, an acknowledgement within half an hour (nine in ten) and a resolution
 * within hours: alerts are open only where the clock stands among them. */
static void
generate_one(struct world *w, struct incident *in, size_t i, size_t n, int64_t from, int64_t to)
{
	uint64_t r[6];
	int64_t span = to - from, at;
	const char *service;

	for (size_t j = 0; j < ARRAY_SIZE(r); j++)
		r[j] = sim_hash(w->seed, "generate", (uint64_t)i * 8 + j);
	in->service = (size_t)(r[0] % w->n_services);
	service = w->services[in->service].name;
	in->severity = r[1] % 100 < 15	 ? SEVERITY_CRITICAL
		       : r[1] % 100 < 75 ? SEVERITY_WARNING
					 : SEVERITY_INFO;
	in->symptom = (enum symptom)((r[1] >> 8) % ARRAY_SIZE(generated_kinds));
	in->id = xasprintf("GEN-%07zu", i + 1);
	in->alertname = xasprintf("%c%s%s", toupper((unsigned char)service[0]), service + 1,
				  generated_kinds[in->symptom].alertname);
	in->title = xasprintf("%s %s (%s)", service, generated_kinds[in->symptom].title, in->id);
	at = from + (int64_t)((double)span * (double)i / (double)n);
	in->impact = at + (int64_t)(r[2] % (uint64_t)(span / (int64_t)n + 1));
	in->fire = in->impact + 30 + (int64_t)(r[2] >> 32) % 270;
	if (r[3] % 10 != 0) {
		in->ack = in->fire + 60 + (int64_t)(r[3] >> 8) % 1740;
		in->acked_by = xstrdup(
			generated_responders[(r[3] >> 40) % ARRAY_SIZE(generated_responders)]);
	}
	in->resolve =
		(in->ack != TIME_NONE ? in->ack : in->fire) + 300 + (int64_t)(r[4] >> 8) % 14100;
	in->phase_ns = (uint32_t)(r[5] % 1000000000u);
}

/* "generate": {"incidents": N, "from": "-365d", "to": "-1h"}: N incidents after the
 * scenario's own, spread over [from, to) (offsets from --start, or instants). */
static enum status_code
load_generate(struct world *w, json_t *obj, size_t listed)
{
	static const char *const keys[] = { "incidents", "from", "to" };
	const char *where = "scenario: generate";
	enum status_code rc;
	int64_t from, to;
	double count;

	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_number(obj, "incidents", 0, &count, where)) ||
	    (rc = scn_instant(obj, "from", w->origin, &from, where)) ||
	    (rc = scn_instant(obj, "to", w->origin, &to, where)))
		return rc;
	if (count < 1 || count > 10000000 || count != (double)(size_t)count)
		return error("%s: \"incidents\" must be a whole number from 1 to 10000000", where);
	if (from == TIME_NONE || to == TIME_NONE || to <= from)
		return error("%s: \"from\" and \"to\" are required, from before to", where);
	w->incidents = xrealloc(w->incidents, (listed + (size_t)count) * sizeof(*w->incidents));
	memset(w->incidents + listed, 0, (size_t)count * sizeof(*w->incidents));
	for (size_t i = 0; i < (size_t)count; i++) {
		struct incident *in = &w->incidents[listed + i];

		in->ack = in->resolve = TIME_NONE;
		in->caused_by = -1;
		generate_one(w, in, i, (size_t)count, from, to);
		w->n_incidents++;
	}
	return SUCCESS;
}

/* "caused_by" names a production deployment of the incident's service that was done
 * before the impact began; the deployment lists what it caused. */
static enum status_code
link_causes(struct world *w, json_t *incidents)
{
	char where[96];

	for (size_t i = 0; i < w->n_incidents; i++) {
		struct incident *in = &w->incidents[i];
		json_t *v = json_object_get(json_array_get(incidents, i), "caused_by");
		struct deployment *d;
		long idx;

		if (!v || json_is_null(v))
			continue;
		snprintf(where, sizeof(where), "scenario: incidents[%zu]", i);
		if (!json_is_string(v))
			return error("%s: \"caused_by\" must be a deployment id", where);
		idx = world_deployment(w, json_string_value(v));
		if (idx < 0)
			return error("%s: caused_by: no deployment \"%s\"", where,
				     json_string_value(v));
		d = &w->deployments[idx];
		if (d->service != in->service)
			return error("%s: caused_by: %s deployed %s, not %s", where, d->id,
				     w->services[d->service].name, w->services[in->service].name);
		if (d->env != ENV_PRODUCTION)
			return error("%s: caused_by: %s deployed to %s, not production", where,
				     d->id, deploy_env_name(d->env));
		if (d->outcome != DEPLOY_SUCCESS && d->outcome != DEPLOY_ROLLED_BACK)
			return error("%s: caused_by: %s never reached production (%s)", where,
				     d->id, deploy_status_name(d->outcome));
		if (d->finish > in->impact)
			return error("%s: caused_by: %s finished after the impact began", where,
				     d->id);
		in->caused_by = idx;
		d->caused = xrealloc(d->caused, (d->n_caused + 1) * sizeof(*d->caused));
		d->caused[d->n_caused++] = i;
	}
	return SUCCESS;
}

static enum status_code
load_incidents(struct world *w, json_t *incidents)
{
	char where[96];
	enum status_code rc;

	if (!incidents || json_array_size(incidents) == 0)
		return SUCCESS;
	w->incidents = xcalloc(json_array_size(incidents), sizeof(*w->incidents));
	for (size_t i = 0; i < json_array_size(incidents); i++) {
		snprintf(where, sizeof(where), "scenario: incidents[%zu]", i);
		w->n_incidents++;
		rc = load_incident(w, &w->incidents[i], json_array_get(incidents, i), where);
		if (rc)
			return rc;
		if (world_incident(w, w->incidents[i].id) != (long)i)
			return error("%s: incident \"%s\" twice", where, w->incidents[i].id);
	}
	return SUCCESS;
}

static enum status_code
load_root(struct world *w, json_t *root)
{
	static const char *const keys[] = { "name",	"description", "require_token",
					    "services", "incidents",   "faults",
					    "commits",	"pipelines",   "deployments",
					    "tickets",	"generate" };
	json_t *services, *incidents, *faults, *generate;
	enum status_code rc;
	char where[96];

	if ((rc = scn_check_keys(root, keys, ARRAY_SIZE(keys), "scenario")) ||
	    (rc = scn_string(root, "name", false, &w->name, "scenario")) ||
	    (rc = scn_string(root, "require_token", false, &w->require_token, "scenario")) ||
	    (rc = load_array(root, "services", true, &services)) ||
	    (rc = load_array(root, "incidents", false, &incidents)) ||
	    (rc = load_array(root, "faults", false, &faults)))
		return rc;
	w->services = xcalloc(json_array_size(services), sizeof(*w->services));
	for (size_t i = 0; i < json_array_size(services); i++) {
		snprintf(where, sizeof(where), "scenario: services[%zu]", i);
		w->n_services++;
		rc = load_service(&w->services[i], json_array_get(services, i), where);
		if (rc)
			return rc;
		if (world_service(w, w->services[i].name) != (long)i)
			return error("%s: service \"%s\" twice", where, w->services[i].name);
	}
	generate = json_object_get(root, "generate");
	if ((rc = load_incidents(w, incidents)) ||
	    (generate && (rc = load_generate(w, generate, w->n_incidents))) ||
	    (rc = delivery_load(w, root)) || (rc = link_causes(w, incidents)) ||
	    (rc = tickets_load(w, root)))
		return rc;
	if (faults)
		w->faults = json_incref(faults);
	return SUCCESS;
}

static enum status_code
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	enum status_code rc = SUCCESS;

	if (!f)
		return error("scenario %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (!buf_add(out, chunk, n)) {
			rc = error("scenario %s: larger than %d bytes", path, SCENARIO_MAX_BYTES);
			break;
		}
	}
	if (rc == SUCCESS && ferror(f))
		rc = error("scenario %s: read error", path);
	fclose(f);
	return rc;
}

enum status_code
world_load(struct world *w, const char *path, int64_t origin, uint64_t seed)
{
	struct buf text;
	json_t *root = NULL;
	char msg[160];
	enum status_code rc;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->origin = origin;
	buf_init(&text, SCENARIO_MAX_BYTES);
	if (path) {
		rc = read_file(path, &text);
		if (rc)
			goto out;
	} else {
		char *builtin = scenario_builtin_text();

		buf_addstr(&text, builtin);
		free(builtin);
	}
	root = json_parse(text.data ? text.data : "", text.len, msg, sizeof(msg));
	if (!root) {
		rc = error("scenario %s: %s", path ? path : "(built-in)", msg);
		goto out;
	}
	rc = load_root(w, root);
	if (rc == ERROR_CUSTOM_MESSAGE && path) {
		/* Name the file: "scenario: incidents[2]: ..." -> "FILE: incidents[2]: ..." */
		char *inner = xstrdup(status_message(rc));

		rc = error("%s%s", path, strncmp(inner, "scenario", 8) == 0 ? inner + 8 : inner);
		free(inner);
	}
out:
	json_decref(root);
	buf_release(&text);
	if (rc)
		world_release(w);
	else
		series_index_build(w);
	return rc;
}

void
world_release(struct world *w)
{
	delivery_release(w);
	tickets_release(w);
	for (size_t i = 0; i < w->n_services; i++) {
		free(w->services[i].name);
		free(w->services[i].repo);
		free(w->services[i].default_branch);
		free(w->services[i].team);
	}
	for (size_t i = 0; i < w->n_incidents; i++) {
		struct incident *in = &w->incidents[i];

		free(in->id);
		free(in->alertname);
		free(in->title);
		free(in->description);
		free(in->acked_by);
	}
	free(w->services);
	free(w->incidents);
	free(w->name);
	free(w->require_token);
	json_decref(w->faults);
	series_index_free(w);
	memset(w, 0, sizeof(*w));
}

long
world_service(const struct world *w, const char *name)
{
	for (size_t i = 0; i < w->n_services; i++)
		if (streq(w->services[i].name, name))
			return (long)i;
	return -1;
}

long
world_incident(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->n_incidents; i++)
		if (streq(w->incidents[i].id, id))
			return (long)i;
	return -1;
}

enum alert_state
incident_state(const struct incident *in, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);

	if (now < in->impact || (in->resolve != TIME_NONE && now >= in->resolve))
		return ALERT_INACTIVE;
	return now < in->fire ? ALERT_PENDING : ALERT_FIRING;
}

json_t *
incident_labels(const struct world *w, const struct incident *in)
{
	json_t *labels = json_object();

	json_object_set_new(labels, "alertname", json_string(in->alertname));
	json_object_set_new(labels, "service", json_string(w->services[in->service].name));
	json_object_set_new(labels, "severity", json_string(severity_name(in->severity)));
	return labels;
}

json_t *
incident_annotations(const struct incident *in)
{
	json_t *annotations = json_object();

	if (in->description)
		json_object_set_new(annotations, "description", json_string(in->description));
	json_object_set_new(annotations, "summary", json_string(in->title));
	return annotations;
}

char *
incident_expr(const struct world *w, const struct incident *in)
{
	const char *s = w->services[in->service].name;

	switch (in->symptom) {
	case SYMPTOM_ERRORS:
		return xasprintf("sum by (service) (rate(http_requests_total{service=\"%s\",code=~"
				 "\"5..\"}[5m])) / sum by (service) "
				 "(rate(http_requests_total{service=\"%s\"}[5m])) > 0.05",
				 s, s);
	case SYMPTOM_LATENCY:
		return xasprintf(
			"histogram_quantile(0.99, sum by (le, service) "
			"(rate(http_request_duration_seconds_bucket{service=\"%s\"}[5m]))) "
			"> 0.4",
			s);
	case SYMPTOM_CPU:
		return xasprintf("sitrep:cpu_percent{service=\"%s\"} > 90", s);
	case SYMPTOM_MEMORY:
		return xasprintf("sitrep:memory_percent{service=\"%s\"} > 85", s);
	case SYMPTOM_OUTAGE:
		return xasprintf("up{service=\"%s\"} == 0", s);
	}
	return xstrdup("vector(0)");
}

static json_t *
instant_json(int64_t t)
{
	char buf[TIMESTAMP_TEXT_SIZE];

	if (t == TIME_NONE)
		return json_null();
	timestamp_format(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
world_json(const struct world *w)
{
	json_t *root = json_object(), *services = json_array(), *incidents = json_array();

	json_object_set_new(root, "name", json_string(w->name ? w->name : "week"));
	json_object_set_new(root, "origin", instant_json(w->origin));
	json_object_set_new(root, "seed", json_integer((json_int_t)w->seed));
	for (size_t i = 0; i < w->n_services; i++)
		json_array_append_new(services, json_string(w->services[i].name));
	json_object_set_new(root, "services", services);
	for (size_t i = 0; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(in->id));
		json_object_set_new(o, "service", json_string(w->services[in->service].name));
		json_object_set_new(o, "severity", json_string(severity_name(in->severity)));
		json_object_set_new(o, "alertname", json_string(in->alertname));
		json_object_set_new(o, "title", json_string(in->title));
		json_object_set_new(o, "symptom", json_string(symptom_name(in->symptom)));
		json_object_set_new(o, "impact", instant_json(in->impact));
		json_object_set_new(o, "fire", instant_json(in->fire));
		json_object_set_new(o, "ack", instant_json(in->ack));
		json_object_set_new(o, "resolve", instant_json(in->resolve));
		json_object_set_new(o, "acked_by",
				    in->acked_by ? json_string(in->acked_by) : json_null());
		json_object_set_new(o, "silence_on_ack", json_boolean(in->silence_on_ack));
		json_object_set_new(o, "caused_by",
				    in->caused_by >= 0
					    ? json_string(w->deployments[in->caused_by].id)
					    : json_null());
		json_array_append_new(incidents, o);
	}
	json_object_set_new(root, "incidents", incidents);
	delivery_json(w, root);
	tickets_json(w, root);
	return root;
}
