/* alertmanager.c - the Alertmanager API v2 dialect (/api/v2/..., as 0.25 answers it):
 * the scenario's firing incidents as Prometheus would have sent them, plus alerts
 * and silences clients POST, with silences, inhibition and the filters applied.
 *
 * What clients trip on is reproduced on purpose (fixtures/live/alertmanager-*.json,
 * monitoring-ticketing.md 6 and 9): resolved alerts are never returned; endsAt of a
 * firing alert is a validity deadline in the future (last resend + 4 min), not a
 * resolve time; the fingerprint is the label-set hash, reused when an alert fires
 * again; an acknowledgement shows only as a silence (incidents with silence_on_ack).
 * Times are UTC with milliseconds. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#define RESEND_MS 60000
#define VALIDITY_MS (4 * RESEND_MS)    /* 4 x max(evaluation interval, resend delay) */
#define RESOLVE_TIMEOUT_MS (5 * 60000) /* resolve_timeout for alerts without endsAt */
#define ACK_SILENCE_MS (2 * 3600000)   /* how long the on-call silences for */
#define RETENTION_MS (120 * 3600000LL) /* expired silences stay visible this long */
#define MAX_POSTED 10000

/* ---- the store of posted alerts and silences ---------------------------------- */

static void
silence_release(struct am_silence *s)
{
	for (size_t i = 0; i < s->n_matchers; i++)
		matcher_release(&s->matchers[i]);
	free(s->matchers);
	json_decref(s->matchers_json);
	free(s->id);
	free(s->created_by);
	free(s->comment);
}

void
am_store_release(struct am_store *am)
{
	for (size_t i = 0; i < am->n_alerts; i++) {
		json_decref(am->alerts[i].labels);
		json_decref(am->alerts[i].annotations);
		free(am->alerts[i].generator_url);
	}
	for (size_t i = 0; i < am->n_silences; i++)
		silence_release(&am->silences[i]);
	free(am->alerts);
	free(am->silences);
	memset(am, 0, sizeof(*am));
}

/* ---- the silences in force: the scenario's acknowledgements and posted ones --- */

/* The scenario's silences are derived from the immutable world and the clock, so
 * they are rebuilt for each request rather than stored: moving the clock back
 * makes them vanish again, as the timeline says they should. */
struct silence_set {
	struct am_silence *scenario; /* owned, made for this request */
	size_t n_scenario;
	const struct am_store *posted;
};

static size_t
silence_count(const struct silence_set *set)
{
	return set->n_scenario + set->posted->n_silences;
}

static const struct am_silence *
silence_at(const struct silence_set *set, size_t i)
{
	return i < set->n_scenario ? &set->scenario[i]
				   : &set->posted->silences[i - set->n_scenario];
}

static void
add_matcher(struct am_silence *s, const char *name, const char *value, bool is_regex, bool is_equal)
{
	json_t *m = json_object();

	matcher_init(&s->matchers[s->n_matchers++], name, value, is_regex, is_equal);
	json_object_set_new(m, "isEqual", json_boolean(is_equal));
	json_object_set_new(m, "isRegex", json_boolean(is_regex));
	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "value", json_string(value));
	json_array_append_new(s->matchers_json, m);
}

/* The on-call's silence of an acknowledged incident exists from the ack on. */
static void
silence_set_init(struct silence_set *set, const struct sim *sim, int64_t now)
{
	const struct world *w = &sim->world;

	memset(set, 0, sizeof(*set));
	set->posted = &sim->am;
	for (size_t i = 0; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		struct am_silence *s;

		if (!in->silence_on_ack || in->ack == TIME_NONE || in->ack * 1000 > now ||
		    in->ack * 1000 + ACK_SILENCE_MS + RETENTION_MS < now)
			continue;
		set->scenario = xrealloc(set->scenario, (set->n_scenario + 1) * sizeof(*s));
		s = &set->scenario[set->n_scenario++];
		memset(s, 0, sizeof(*s));
		s->id = sim_uuid(w->seed, in->id, 0);
		s->matchers = xcalloc(2, sizeof(*s->matchers));
		s->matchers_json = json_array();
		add_matcher(s, "alertname", in->alertname, false, true);
		add_matcher(s, "service", w->services[in->service].name, false, true);
		s->created_by = xstrdup(in->acked_by ? in->acked_by : "oncall");
		s->comment = xasprintf("ack %s: investigating", in->id);
		s->starts_ms = in->ack * 1000 + in->phase_ns / 1000000;
		s->updated_ms = s->starts_ms;
		s->ends_ms = s->starts_ms + ACK_SILENCE_MS;
	}
}

static void
silence_set_release(struct silence_set *set)
{
	for (size_t i = 0; i < set->n_scenario; i++)
		silence_release(&set->scenario[i]);
	free(set->scenario);
}

static const char *
silence_state(const struct am_silence *s, int64_t now)
{
	return now < s->starts_ms ? "pending" : now < s->ends_ms ? "active" : "expired";
}

static bool
silence_matches(const struct am_silence *s, const json_t *labels)
{
	for (size_t i = 0; i < s->n_matchers; i++)
		if (!matcher_matches_labels(&s->matchers[i], labels))
			return false;
	return true;
}

/* ---- alerts ------------------------------------------------------------------- */

/* An alert as the API shows it, before filtering. */
struct view {
	json_t *obj; /* the gettableAlert, status filled in last */
	json_t *labels;
	char fingerprint[17];
	bool critical;
	bool silenced;
	bool inhibited;
	const char *receiver;
};

static const char *
receiver_of(const struct sim *sim, const json_t *labels)
{
	const char *service = json_string_value(json_object_get(labels, "service"));
	long s = service ? world_service(&sim->world, service) : -1;

	return s < 0 ? "default" : sim->world.services[s].name;
}

static json_t *
alert_obj(const json_t *annotations, int64_t ends, const char *fp, const char *receiver,
	  int64_t starts, int64_t updated, const char *generator_url, json_t *labels)
{
	json_t *o = json_object(), *receivers = json_array(), *r = json_object();
	char text[WIRE_TIME_SIZE], *name = xasprintf("team-%s", receiver);

	json_object_set_new(o, "annotations", json_deep_copy(annotations));
	wire_time_ms(ends, text, sizeof(text));
	json_object_set_new(o, "endsAt", json_string(text));
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_object_set_new(r, "name", json_string(streq(receiver, "default") ? receiver : name));
	json_array_append_new(receivers, r);
	json_object_set_new(o, "receivers", receivers);
	wire_time_ms(starts, text, sizeof(text));
	json_object_set_new(o, "startsAt", json_string(text));
	json_object_set_new(o, "status", json_object());
	wire_time_ms(updated, text, sizeof(text));
	json_object_set_new(o, "updatedAt", json_string(text));
	if (generator_url)
		json_object_set_new(o, "generatorURL", json_string(generator_url));
	json_object_set_new(o, "labels", json_incref(labels));
	free(name);
	return o;
}

static char *
generator_url(const struct world *w, const struct incident *in)
{
	char *expr = incident_expr(w, in), *url;
	struct buf b;

	/* No port: two simulators on different ports must answer byte for byte alike. */
	buf_init(&b, 0);
	buf_addstr(&b, "http://prometheus.sim.invalid:9090/graph?g0.expr=");
	wire_urlencode(&b, expr);
	buf_addstr(&b, "&g0.tab=1");
	url = buf_detach(&b);
	free(expr);
	return url;
}

static void
add_view(struct view **views, size_t *n, size_t *alloc, json_t *labels, json_t *obj,
	 const char *receiver)
{
	struct view *v;

	*views = xgrow(*views, alloc, *n + 1, sizeof(**views));
	v = &(*views)[(*n)++];
	memset(v, 0, sizeof(*v));
	v->obj = obj;
	v->labels = labels;
	v->receiver = receiver;
	snprintf(v->fingerprint, sizeof(v->fingerprint), "%016llx",
		 (unsigned long long)labels_fingerprint(labels));
	v->critical = streq(json_string_value(json_object_get(labels, "severity")), "critical");
}

static bool
has_fingerprint(const struct view *views, size_t n, uint64_t fp)
{
	char text[17];

	snprintf(text, sizeof(text), "%016llx", (unsigned long long)fp);
	for (size_t i = 0; i < n; i++)
		if (streq(views[i].fingerprint, text))
			return true;
	return false;
}

/* Posted alerts first: one posted with a scenario alert's labels takes its place,
 * as Alertmanager merges alerts by fingerprint. */
static size_t
collect(const struct sim *sim, int64_t now, struct view **out)
{
	const struct world *w = &sim->world;
	struct view *views = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < sim->am.n_alerts; i++) {
		const struct am_alert *a = &sim->am.alerts[i];
		const char *rcv = receiver_of(sim, a->labels);
		char fp[17];

		if (a->ends_ms <= now)
			continue; /* resolved: never returned */
		snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)a->fingerprint);
		add_view(&views, &n, &alloc, a->labels,
			 alert_obj(a->annotations, a->ends_ms, fp, rcv, a->starts_ms, a->updated_ms,
				   a->generator_url, a->labels),
			 rcv);
	}
	for (size_t i = 0; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		json_t *labels, *annotations;
		int64_t starts, updated;
		char fp[17], *url;

		if (incident_state(in, now) != ALERT_FIRING)
			continue;
		labels = incident_labels(w, in);
		if (has_fingerprint(views, n, labels_fingerprint(labels))) {
			json_decref(labels);
			continue;
		}
		/* Prometheus resends a firing alert every resend delay; updatedAt is the
		 * last resend, so the answer (and its ETag) changes once a minute, not
		 * on every request. */
		starts = in->fire * 1000 + in->phase_ns / 1000000;
		updated = starts + floor_div(now - starts, RESEND_MS) * RESEND_MS;
		snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)labels_fingerprint(labels));
		annotations = incident_annotations(in);
		url = generator_url(w, in);
		add_view(&views, &n, &alloc, labels,
			 alert_obj(annotations, updated + VALIDITY_MS, fp, receiver_of(sim, labels),
				   starts, updated, url, labels),
			 receiver_of(sim, labels));
		/* the view holds the only reference now, through obj */
		json_decref(labels);
		json_decref(annotations);
		free(url);
	}
	*out = views;
	return n;
}

/* Silences, then the one inhibition rule of the simulated config: a critical alert
 * mutes the warnings and infos of the same service. */
static void
set_status(struct view *views, size_t n, const struct silence_set *set, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		json_t *status = json_object_get(views[i].obj, "status");
		json_t *silenced = json_array(), *inhibited = json_array();
		const char *service =
			json_string_value(json_object_get(views[i].labels, "service"));

		for (size_t k = 0; k < silence_count(set); k++) {
			const struct am_silence *s = silence_at(set, k);

			if (streq(silence_state(s, now), "active") &&
			    silence_matches(s, views[i].labels))
				json_array_append_new(silenced, json_string(s->id));
		}
		for (size_t j = 0; j < n && !views[i].critical; j++) {
			const char *other =
				json_string_value(json_object_get(views[j].labels, "service"));

			if (j != i && views[j].critical &&
			    (service && other ? streq(service, other) : service == other))
				json_array_append_new(inhibited, json_string(views[j].fingerprint));
		}
		views[i].silenced = json_array_size(silenced) > 0;
		views[i].inhibited = json_array_size(inhibited) > 0;
		json_object_set_new(status, "inhibitedBy", inhibited);
		json_object_set_new(status, "silencedBy", silenced);
		json_object_set_new(status, "state",
				    json_string(views[i].silenced || views[i].inhibited
							? "suppressed"
							: "active"));
	}
}

static void
views_release(struct view *views, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(views[i].obj);
	free(views);
}

static int
compare_views(const void *a, const void *b)
{
	return strcmp(((const struct view *)a)->fingerprint, ((const struct view *)b)->fingerprint);
}

struct alert_filter {
	bool active, silenced, inhibited;
	struct matcher *matchers;
	size_t n_matchers;
	bool has_receiver;
	regex_t receiver;
};

static void
filter_release(struct alert_filter *f)
{
	for (size_t i = 0; i < f->n_matchers; i++)
		matcher_release(&f->matchers[i]);
	free(f->matchers);
	if (f->has_receiver)
		regfree(&f->receiver);
}

/* The query parameters of GET /alerts and /alerts/groups. Errors are plain text
 * 400s, as Alertmanager words them. */
static bool
filter_init(struct alert_filter *f, const struct params *p, struct sim_response *resp)
{
	bool ok = true;
	char err[300];
	const char *rcv = params_get(p, "receiver");

	memset(f, 0, sizeof(*f));
	f->active = params_bool(p, "active", true, &ok);
	f->silenced = params_bool(p, "silenced", true, &ok);
	f->inhibited = params_bool(p, "inhibited", true, &ok);
	/* Every alert is processed at once here: "unprocessed" is only validated. */
	params_bool(p, "unprocessed", true, &ok);
	if (!ok) {
		response_text(resp, 400, "invalid boolean parameter\n");
		return false;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (!streq(p->items[i].key, "filter"))
			continue;
		f->matchers = xrealloc(f->matchers, (f->n_matchers + 1) * sizeof(*f->matchers));
		if (!matcher_parse(&f->matchers[f->n_matchers], p->items[i].value,
				   strlen(p->items[i].value), err, sizeof(err))) {
			response_text(resp, 400, err);
			filter_release(f);
			return false;
		}
		f->n_matchers++;
	}
	if (rcv) {
		char *anchored = xasprintf("^(%s)$", rcv);

		f->has_receiver = regcomp(&f->receiver, anchored, REG_EXTENDED | REG_NOSUB) == 0;
		free(anchored);
		if (!f->has_receiver) {
			response_text(resp, 400, "failed to parse receiver param\n");
			filter_release(f);
			return false;
		}
	}
	return true;
}

/* api/v2/api.go alertFilter, in the same order. */
static bool
filter_keeps(const struct alert_filter *f, const struct view *v)
{
	json_t *receivers = json_object_get(v->obj, "receivers");
	const char *rname =
		json_string_value(json_object_get(json_array_get(receivers, 0), "name"));

	if (f->has_receiver && regexec(&f->receiver, rname ? rname : "", 0, NULL, 0) != 0)
		return false;
	if (!f->active && !v->silenced && !v->inhibited)
		return false;
	if (!f->silenced && v->silenced)
		return false;
	if (!f->inhibited && v->inhibited)
		return false;
	for (size_t i = 0; i < f->n_matchers; i++)
		if (!matcher_matches_labels(&f->matchers[i], v->labels))
			return false;
	return true;
}

/* Every alert in force at now, filtered and sorted by fingerprint. */
static size_t
current_alerts(const struct sim *sim, const struct alert_filter *f, struct view **out)
{
	int64_t now = sim_clock_now(&sim->clock);
	struct silence_set set;
	struct view *views;
	size_t n = collect(sim, now, &views), kept = 0;

	silence_set_init(&set, sim, now);
	set_status(views, n, &set, now);
	silence_set_release(&set);
	for (size_t i = 0; i < n; i++) {
		if (filter_keeps(f, &views[i]))
			views[kept++] = views[i];
		else
			json_decref(views[i].obj);
	}
	if (kept > 1)
		qsort(views, kept, sizeof(*views), compare_views);
	*out = views;
	return kept;
}

static void
get_alerts(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	struct alert_filter f;
	struct view *views;
	json_t *arr = json_array();
	size_t n;

	if (!filter_init(&f, &req->params, resp)) {
		json_decref(arr);
		return;
	}
	n = current_alerts(sim, &f, &views);
	for (size_t i = 0; i < n; i++)
		json_array_append(arr, views[i].obj);
	views_release(views, n);
	filter_release(&f);
	response_json(resp, 200, arr);
	resp->go_escape = true;
	resp->etag = true;
}

static const char *
alertname(const struct view *v)
{
	const char *name = json_string_value(json_object_get(v->labels, "alertname"));

	return name ? name : "";
}

static int
compare_groups(const void *a, const void *b)
{
	const struct view *x = a, *y = b;
	int c = strcmp(alertname(x), alertname(y));

	return c ? c : strcmp(x->receiver, y->receiver);
}

/* Grouped by alertname per receiver (route group_by: [alertname]). */
static void
get_groups(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	struct alert_filter f;
	struct view *views;
	json_t *groups = json_array(), *group = NULL;
	size_t n;

	if (!filter_init(&f, &req->params, resp)) {
		json_decref(groups);
		return;
	}
	n = current_alerts(sim, &f, &views);
	if (n > 1)
		qsort(views, n, sizeof(*views), compare_groups);
	for (size_t i = 0; i < n; i++) {
		json_t *receivers = json_object_get(views[i].obj, "receivers");

		if (i == 0 || compare_groups(&views[i - 1], &views[i]) != 0) {
			json_t *labels = json_object();

			group = json_object();
			json_object_set_new(group, "alerts", json_array());
			json_object_set_new(labels, "alertname", json_string(alertname(&views[i])));
			json_object_set_new(group, "labels", labels);
			json_object_set(group, "receiver", json_array_get(receivers, 0));
			json_array_append_new(groups, group);
		}
		json_array_append(json_object_get(group, "alerts"), views[i].obj);
	}
	views_release(views, n);
	filter_release(&f);
	response_json(resp, 200, groups);
	resp->go_escape = true;
}

static void
swagger_error(struct sim_response *resp, unsigned int status, int code, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "code", json_integer(code));
	json_object_set_new(o, "message", json_string(message));
	response_json(resp, status, o);
}

void
alertmanager_fault_body(struct sim_response *resp, unsigned int status)
{
	if (status == 502 || status == 504 || status < 400) {
		response_gateway(resp, status);
		return;
	}
	swagger_error(resp, status, (int)status, "sitrep-sim: injected fault");
}

static bool
parse_time_field(const json_t *obj, const char *key, int64_t *ms, size_t index,
		 struct sim_response *resp)
{
	const json_t *v = json_object_get(obj, key);
	char msg[200];

	if (!v)
		return true;
	if (json_is_string(v) && wire_parse_time(json_string_value(v), ms) &&
	    strchr(json_string_value(v), 'T'))
		return true;
	snprintf(msg, sizeof(msg), "%zu.%s in body must be of type date-time", index, key);
	if (resp)
		swagger_error(resp, 422, 601, msg);
	return false;
}

/* Validates every alert before storing any: go-swagger rejects the whole body. */
static bool
validate_posted(json_t *body, struct sim_response *resp)
{
	json_t *a;
	size_t i;
	char msg[200];
	int64_t ms;

	if (!json_is_array(body)) {
		swagger_error(
			resp, 400, 400,
			"parsing alerts body from \"\" failed, because json: cannot unmarshal "
			"into Go value of type models.PostableAlerts");
		return false;
	}
	json_array_foreach(body, i, a)
	{
		json_t *labels = json_object_get(a, "labels");
		const char *key;
		json_t *value;

		if (!json_is_object(labels) || json_object_size(labels) == 0) {
			snprintf(msg, sizeof(msg), "%zu.labels in body is required", i);
			swagger_error(resp, 422, 602, msg);
			return false;
		}
		json_object_foreach(labels, key, value)
		{
			if (json_is_string(value))
				continue;
			snprintf(msg, sizeof(msg), "%zu.labels.%s in body must be of type string",
				 i, key);
			swagger_error(resp, 422, 600, msg);
			return false;
		}
		if (!parse_time_field(a, "startsAt", &ms, i, resp) ||
		    !parse_time_field(a, "endsAt", &ms, i, resp))
			return false;
	}
	return true;
}

static void
store_alert(struct am_store *am, const json_t *a, int64_t now)
{
	json_t *labels = json_deep_copy(json_object_get(a, "labels"));
	const json_t *annotations = json_object_get(a, "annotations");
	const char *url = json_string_value(json_object_get(a, "generatorURL"));
	struct am_alert na = { .labels = labels, .updated_ms = now };
	int64_t starts = now, ends = TIME_NONE;

	na.fingerprint = labels_fingerprint(labels);
	na.annotations = json_is_object(annotations) ? json_deep_copy(annotations) : json_object();
	na.generator_url = url ? xstrdup(url) : NULL;
	parse_time_field(a, "startsAt", &starts, 0, NULL);
	parse_time_field(a, "endsAt", &ends, 0, NULL);
	na.starts_ms = starts;
	na.ends_ms = ends == TIME_NONE ? now + RESOLVE_TIMEOUT_MS : ends;
	for (size_t i = 0; i < am->n_alerts; i++) {
		struct am_alert *old = &am->alerts[i];

		if (old->fingerprint != na.fingerprint)
			continue;
		/* Still firing: the alert keeps the start it had. */
		if (old->ends_ms > now && old->starts_ms < na.starts_ms)
			na.starts_ms = old->starts_ms;
		json_decref(old->labels);
		json_decref(old->annotations);
		free(old->generator_url);
		*old = na;
		return;
	}
	am->alerts = xgrow(am->alerts, &am->alloc_alerts, am->n_alerts + 1, sizeof(*am->alerts));
	am->alerts[am->n_alerts++] = na;
}

static void
post_alerts(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	char msg[160], text[256];
	json_t *body = json_parse(req->body, req->body_len, msg, sizeof(msg)), *a;
	int64_t now = sim_clock_now(&sim->clock);
	size_t i;

	if (!body) {
		snprintf(text, sizeof(text), "parsing alerts body from \"\" failed, because %s",
			 msg);
		swagger_error(resp, 400, 400, text);
		return;
	}
	if (validate_posted(body, resp)) {
		if (sim->am.n_alerts + json_array_size(body) > MAX_POSTED) {
			swagger_error(resp, 500, 500, "sitrep-sim: too many posted alerts");
		} else {
			json_array_foreach(body, i, a)
			{
				store_alert(&sim->am, a, now);
			}
			/* Alertmanager answers a good POST with 200 and no body at all. */
			response_text(resp, 200, "");
		}
	}
	json_decref(body);
}

/* ---- silences ----------------------------------------------------------------- */

static json_t *
silence_json(const struct am_silence *s, int64_t now)
{
	json_t *o = json_object(), *status = json_object();
	char text[WIRE_TIME_SIZE];

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(status, "state", json_string(silence_state(s, now)));
	json_object_set_new(o, "status", status);
	wire_time_ms(s->updated_ms, text, sizeof(text));
	json_object_set_new(o, "updatedAt", json_string(text));
	json_object_set_new(o, "comment", json_string(s->comment));
	json_object_set_new(o, "createdBy", json_string(s->created_by));
	wire_time_ms(s->ends_ms, text, sizeof(text));
	json_object_set_new(o, "endsAt", json_string(text));
	json_object_set_new(o, "matchers", json_incref(s->matchers_json));
	wire_time_ms(s->starts_ms, text, sizeof(text));
	json_object_set_new(o, "startsAt", json_string(text));
	return o;
}

/* Active first by endsAt, then pending by startsAt, then expired, latest first. */
struct silence_order {
	const struct am_silence *s;
	int rank;
	int64_t key;
};

static int
compare_silences(const void *a, const void *b)
{
	const struct silence_order *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->s->id, y->s->id);
}

static void
get_silences(struct sim *sim, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock);
	struct silence_set set;
	struct silence_order *list;
	json_t *arr = json_array();
	size_t n;

	silence_set_init(&set, sim, now);
	n = silence_count(&set);
	if (n > 0) {
		list = xcalloc(n, sizeof(*list));
		for (size_t i = 0; i < n; i++) {
			const struct am_silence *si = silence_at(&set, i);
			const char *st = silence_state(si, now);

			list[i].s = si;
			list[i].rank = streq(st, "active") ? 0 : streq(st, "pending") ? 1 : 2;
			list[i].key = list[i].rank == 0	  ? si->ends_ms
				      : list[i].rank == 1 ? si->starts_ms
							  : -si->ends_ms;
		}
		qsort(list, n, sizeof(*list), compare_silences);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, silence_json(list[i].s, now));
		free(list);
	}
	silence_set_release(&set);
	response_json(resp, 200, arr);
	resp->go_escape = true;
}

static bool
silence_from_json(struct am_silence *s, const json_t *body, int64_t now, char *err, size_t err_size)
{
	const json_t *matchers = json_object_get(body, "matchers"), *m;
	const char *starts = json_string_value(json_object_get(body, "startsAt"));
	const char *ends = json_string_value(json_object_get(body, "endsAt"));
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!json_is_array(matchers) || json_array_size(matchers) == 0) {
		snprintf(err, err_size, "silence invalid: at least one matcher required");
		return false;
	}
	if (!wire_parse_time(starts, &s->starts_ms) || !wire_parse_time(ends, &s->ends_ms)) {
		snprintf(err, err_size, "silence invalid: startsAt and endsAt are required");
		return false;
	}
	/* Alertmanager's own validation order, so that a client sees its wording. */
	if (s->ends_ms <= s->starts_ms) {
		snprintf(err, err_size, "silence invalid: end time must not be before start time");
		return false;
	}
	if (s->ends_ms < now) {
		snprintf(err, err_size, "silence invalid: end time can't be in the past");
		return false;
	}
	s->matchers = xcalloc(json_array_size(matchers), sizeof(*s->matchers));
	s->matchers_json = json_array();
	json_array_foreach(matchers, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *value = json_string_value(json_object_get(m, "value"));
		const json_t *eq = json_object_get(m, "isEqual");

		if (!name || !value || !*name) {
			snprintf(err, err_size,
				 "silence invalid: matcher %zu needs a name and a value", i);
			return false;
		}
		add_matcher(s, name, value, json_is_true(json_object_get(m, "isRegex")),
			    !eq || json_is_true(eq));
		if (!s->matchers[s->n_matchers - 1].name) {
			snprintf(err, err_size,
				 "silence invalid: invalid regular expression \"%s\"", value);
			return false;
		}
	}
	/* Alertmanager moves a start in the past to now. */
	if (s->starts_ms < now)
		s->starts_ms = now;
	s->updated_ms = now;
	s->created_by = xstrdup(json_string_value(json_object_get(body, "createdBy"))
					? json_string_value(json_object_get(body, "createdBy"))
					: "");
	s->comment = xstrdup(json_string_value(json_object_get(body, "comment"))
				     ? json_string_value(json_object_get(body, "comment"))
				     : "");
	return true;
}

static void
post_silence(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	char msg[200], text[240];
	json_t *body = json_parse(req->body, req->body_len, msg, sizeof(msg)), *o;
	int64_t now = sim_clock_now(&sim->clock);
	struct am_silence s;

	if (!body) {
		snprintf(text, sizeof(text), "parsing silence body failed: %s", msg);
		response_json(resp, 400, json_string(text));
		return;
	}
	if (sim->am.n_silences >= MAX_POSTED) {
		response_json(resp, 500, json_string("sitrep-sim: too many silences"));
	} else if (!silence_from_json(&s, body, now, msg, sizeof(msg))) {
		silence_release(&s);
		response_json(resp, 400, json_string(msg));
	} else {
		s.id = sim_uuid(sim->world.seed, "silence", ++sim->am.next_silence);
		sim->am.silences = xgrow(sim->am.silences, &sim->am.alloc_silences,
					 sim->am.n_silences + 1, sizeof(*sim->am.silences));
		sim->am.silences[sim->am.n_silences++] = s;
		o = json_object();
		json_object_set_new(o, "silenceID", json_string(s.id));
		response_json(resp, 200, o);
	}
	json_decref(body);
}

/* GET or DELETE /api/v2/silence/{id}. Deleting expires the silence; the scenario's
 * own silences are history and cannot be deleted. */
static void
one_silence(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	    const char *id)
{
	int64_t now = sim_clock_now(&sim->clock);
	struct silence_set set;

	silence_set_init(&set, sim, now);
	response_text(resp, 404, "silence not found\n");
	for (size_t i = 0; i < silence_count(&set); i++) {
		const struct am_silence *s = silence_at(&set, i);

		if (!streq(s->id, id))
			continue;
		if (!streq(req->method, "DELETE")) {
			response_json(resp, 200, silence_json(s, now));
		} else if (i < set.n_scenario) {
			response_text(resp, 400,
				      "sitrep-sim: the scenario's silences are history\n");
		} else {
			struct am_silence *p = &sim->am.silences[i - set.n_scenario];

			if (p->ends_ms > now)
				p->ends_ms = now > p->starts_ms ? now : p->starts_ms;
			p->updated_ms = now;
			response_text(resp, 200, "");
		}
		break;
	}
	silence_set_release(&set);
}

/* ---- status ------------------------------------------------------------------- */

/* The config a client would find: routes per service and the one inhibition rule
 * set_status() applies, so that what the status says and what the alerts show
 * agree. */
static void
get_status(struct sim *sim, struct sim_response *resp)
{
	json_t *o = json_object(), *cluster = json_object(), *config = json_object();
	json_t *version = json_object();
	char text[WIRE_TIME_SIZE];
	struct buf yaml;

	json_object_set_new(cluster, "peers", json_array());
	json_object_set_new(cluster, "status", json_string("disabled"));
	json_object_set_new(o, "cluster", cluster);
	buf_init(&yaml, 0);
	buf_addstr(&yaml, "global:\n  resolve_timeout: 5m\nroute:\n  receiver: default\n"
			  "  group_by:\n  - alertname\n  group_wait: 30s\n  group_interval: 5m\n"
			  "  repeat_interval: 4h\n  routes:\n");
	for (size_t s = 0; s < sim->world.n_services; s++)
		buf_printf(&yaml, "  - receiver: team-%s\n    matchers:\n    - service=\"%s\"\n",
			   sim->world.services[s].name, sim->world.services[s].name);
	buf_addstr(&yaml, "inhibit_rules:\n- source_matchers:\n  - severity=\"critical\"\n"
			  "  target_matchers:\n  - severity=~\"warning|info\"\n  equal:\n"
			  "  - service\nreceivers:\n- name: default\n");
	for (size_t s = 0; s < sim->world.n_services; s++)
		buf_printf(&yaml, "- name: team-%s\n", sim->world.services[s].name);
	buf_addstr(&yaml, "templates: []\n");
	json_object_set_new(config, "original", json_string(yaml.data));
	buf_release(&yaml);
	json_object_set_new(o, "config", config);
	wire_time_ms(sim->clock.start_ms, text, sizeof(text));
	json_object_set_new(o, "uptime", json_string(text));
	json_object_set_new(version, "branch", json_string("HEAD"));
	json_object_set_new(version, "buildDate", json_string("20250303-08:00:00"));
	json_object_set_new(version, "buildUser", json_string("sitrep-sim"));
	json_object_set_new(version, "goVersion", json_string("go1.19.8"));
	json_object_set_new(version, "revision", json_string("sitrep-sim"));
	json_object_set_new(version, "version", json_string("0.25.0"));
	json_object_set_new(o, "versionInfo", version);
	response_json(resp, 200, o);
	resp->go_escape = true;
}

static void
get_receivers(struct sim *sim, struct sim_response *resp)
{
	json_t *arr = json_array(), *r = json_object();

	json_object_set_new(r, "name", json_string("default"));
	json_array_append_new(arr, r);
	for (size_t s = 0; s < sim->world.n_services; s++) {
		char *name = xasprintf("team-%s", sim->world.services[s].name);

		r = json_object();
		json_object_set_new(r, "name", json_string(name));
		json_array_append_new(arr, r);
		free(name);
	}
	response_json(resp, 200, arr);
}

static bool
known_route(const char *r)
{
	static const char *const routes[] = { "/api/v2/alerts", "/api/v2/alerts/groups",
					      "/api/v2/silences", "/api/v2/status",
					      "/api/v2/receivers" };

	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (streq(r, routes[i]))
			return true;
	return strncmp(r, "/api/v2/silence/", 16) == 0;
}

void
alertmanager_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route, *m = req->method;
	bool get = streq(m, "GET") || streq(m, "HEAD");

	if (streq(r, "/api/v2/alerts") && get)
		get_alerts(sim, req, resp);
	else if (streq(r, "/api/v2/alerts") && streq(m, "POST"))
		post_alerts(sim, req, resp);
	else if (streq(r, "/api/v2/alerts/groups") && get)
		get_groups(sim, req, resp);
	else if (streq(r, "/api/v2/silences") && get)
		get_silences(sim, resp);
	else if (streq(r, "/api/v2/silences") && streq(m, "POST"))
		post_silence(sim, req, resp);
	else if (strncmp(r, "/api/v2/silence/", 16) == 0 && r[16] && (get || streq(m, "DELETE")))
		one_silence(sim, req, resp, r + 16);
	else if (streq(r, "/api/v2/status") && get)
		get_status(sim, resp);
	else if (streq(r, "/api/v2/receivers") && get)
		get_receivers(sim, resp);
	else if (streq(r, "/-/ready") || streq(r, "/-/healthy"))
		response_text(resp, 200, "OK\n");
	else if (known_route(r))
		response_text(resp, 405, "method not allowed\n");
	else
		response_text(resp, 404, "path not found\n");
}
