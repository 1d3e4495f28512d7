/* grafana.c - the Grafana HTTP API dialect (as Grafana 11 answers it, the parts a
 * monitoring client reads): the alert rules of its alerting (ruler API), the alert
 * instances of its embedded Alertmanager (API v2 shapes), annotations, data source
 * queries (/api/ds/query) over the scenario's series, and the health check.
 *
 * The scenario's incidents are Grafana-managed alerts: one rule per service and
 * alertname, in a folder per service, linked to a panel of the service's dashboard,
 * evaluated every minute. A rule's pending period ("for") is that of its latest
 * incident to have started, so the impact a client derives (startsAt - for) is the
 * scenario's. Its state history is written as annotations (Normal -> Pending ->
 * Alerting -> Normal, alertId the rule's id), the on-call leaves a note on the panel
 * at the acknowledgement, and a region over the incident once it is over; a backup
 * annotation every six hours concerns no alert at all.
 *
 * What clients trip on is reproduced on purpose (monitoring-ticketing.md 4 and 9):
 * annotation and data frame times are epoch milliseconds, frames are columnar, a
 * query error is a result with "error" and "status", resolved alerts are never
 * listed, errors are {"message", "traceID"}. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <math.h>

#define EVAL_MS 60000
#define VALIDITY_MS (4 * EVAL_MS)
#define ACK_SILENCE_MS (2 * 3600000)
#define BACKUP_MS (6 * 3600000LL)
#define HISTORY_MS (8 * 86400000LL) /* how far back backup annotations go */
#define DEFAULT_LIMIT 100
#define MAX_LIMIT 5000
#define MAX_POINTS 11000
#define DATASOURCE_UID "sim-prometheus"
#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"

/* Annotation ids: 1000 + incident * 10 + kind; backups from 1000000. */
enum note_kind {
	NOTE_PENDING,
	NOTE_ALERTING,
	NOTE_NORMAL,
	NOTE_ACK,
	NOTE_REGION,
};

/* ---- errors ------------------------------------------------------------------- */

static void
gf_error(struct sim_response *resp, unsigned int status, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "message", json_string(message));
	json_object_set_new(o, "traceID", json_string(status >= 500 ? TRACE_ID : ""));
	response_json(resp, status, o);
}

void
grafana_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[64];
	json_t *o;

	switch (status) {
	case 401:
		gf_error(resp, status, "Invalid API key");
		o = resp->json;
		json_object_set_new(o, "messageId", json_string("api-key.invalid"));
		json_object_set_new(o, "statusCode", json_integer(401));
		break;
	case 403:
		gf_error(resp, status,
			 "You'll need additional permissions to perform this action. Permissions "
			 "needed: alert.rules:read");
		break;
	case 404:
		gf_error(resp, status, "Not found");
		break;
	case 429:
		gf_error(resp, status, "Too many requests");
		break;
	case 500:
		gf_error(resp, status, "Internal Server Error");
		break;
	case 502:
	case 503:
	case 504:
		/* From the proxy in front, not from Grafana. */
		response_gateway(resp, status);
		break;
	default:
		snprintf(text, sizeof(text), "sitrep-sim: injected status %u", status);
		gf_error(resp, status, text);
	}
}

/* ---- the rules ---------------------------------------------------------------- */

/* One rule per (service, alertname): its index is the first incident of the pair. */
static bool
rule_first(const struct world *w, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (w->incidents[j].service == w->incidents[i].service &&
		    streq(w->incidents[j].alertname, w->incidents[i].alertname))
			return false;
	return true;
}

/* The rule of incident i: its first incident, numeric id (1-based, in order of first
 * appearance) and panel (1-based within the service). */
struct rule {
	size_t first;
	long id;
	long panel;
	char uid[16];
	char dashboard[48];
};

static void
rule_of(const struct world *w, size_t i, struct rule *r)
{
	const struct incident *in = &w->incidents[i];
	const char *service = w->services[in->service].name;
	char *key;

	memset(r, 0, sizeof(*r));
	for (size_t j = 0; j <= i; j++) {
		if (!rule_first(w, j))
			continue;
		r->id++;
		if (w->incidents[j].service == in->service)
			r->panel++;
		if (w->incidents[j].service == in->service &&
		    streq(w->incidents[j].alertname, in->alertname)) {
			r->first = j;
			break;
		}
	}
	key = xasprintf("%s/%s", service, in->alertname);
	snprintf(r->uid, sizeof(r->uid), "sim%010llx",
		 (unsigned long long)(sim_hash(w->seed, key, 11) & 0xffffffffffULL));
	free(key);
	snprintf(r->dashboard, sizeof(r->dashboard), "sim-%s", service);
}

/* The rule's latest incident to have started by now, or its first. */
static const struct incident *
rule_representative(const struct world *w, size_t first, int64_t now)
{
	const struct incident *rep = &w->incidents[first];

	for (size_t i = first; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];

		if (in->service == rep->service && streq(in->alertname, rep->alertname) &&
		    in->impact * 1000 <= now)
			rep = in;
	}
	return rep;
}

/* A Prometheus duration as Go's model.Duration prints it: "4m", "1h30m", "0s". */
static void
prom_duration(int64_t seconds, char *buf, size_t size)
{
	static const struct {
		int64_t unit;
		char name;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t len = 0;

	buf[0] = '\0';
	if (seconds <= 0) {
		snprintf(buf, size, "0s");
		return;
	}
	for (size_t u = 0; u < ARRAY_SIZE(units) && len < size; u++) {
		if (seconds / units[u].unit == 0)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%lld%c",
					(long long)(seconds / units[u].unit), units[u].name);
		seconds %= units[u].unit;
	}
}

static json_t *
rule_annotations(const struct incident *in, const struct rule *r)
{
	json_t *a = incident_annotations(in);
	char text[24];

	json_object_set_new(a, "__dashboardUid__", json_string(r->dashboard));
	snprintf(text, sizeof(text), "%ld", r->panel);
	json_object_set_new(a, "__panelId__", json_string(text));
	return a;
}

static json_t *
rule_json(const struct sim *sim, size_t first, int64_t now)
{
	const struct world *w = &sim->world;
	const struct incident *rep = rule_representative(w, first, now);
	const char *service = w->services[rep->service].name;
	json_t *o = json_object(), *ga = json_object(), *labels = json_object();
	json_t *data = json_array(), *query = json_object(), *model = json_object();
	json_t *range = json_object();
	char text[WIRE_TIME_SIZE], *expr = incident_expr(w, rep), *ns, *group;
	struct rule r;

	rule_of(w, first, &r);
	json_object_set_new(o, "expr", json_string(""));
	prom_duration(rep->fire - rep->impact, text, sizeof(text));
	json_object_set_new(o, "for", json_string(text));
	json_object_set_new(labels, "severity", json_string(severity_name(rep->severity)));
	json_object_set_new(labels, "service", json_string(service));
	json_object_set_new(o, "labels", labels);
	json_object_set_new(o, "annotations", rule_annotations(rep, &r));
	json_object_set_new(ga, "id", json_integer(r.id));
	json_object_set_new(ga, "orgId", json_integer(1));
	json_object_set_new(ga, "title", json_string(rep->alertname));
	json_object_set_new(ga, "condition", json_string("C"));
	json_object_set_new(query, "refId", json_string("A"));
	json_object_set_new(query, "queryType", json_string(""));
	json_object_set_new(range, "from", json_integer(600));
	json_object_set_new(range, "to", json_integer(0));
	json_object_set_new(query, "relativeTimeRange", range);
	json_object_set_new(query, "datasourceUid", json_string(DATASOURCE_UID));
	json_object_set_new(model, "expr", json_string(expr));
	json_object_set_new(model, "refId", json_string("A"));
	json_object_set_new(query, "model", model);
	json_array_append_new(data, query);
	json_object_set_new(ga, "data", data);
	wire_time_ms(sim->clock.start_ms - 86400000LL * 30, text, sizeof(text));
	json_object_set_new(ga, "updated", json_string(text));
	json_object_set_new(ga, "intervalSeconds", json_integer(EVAL_MS / 1000));
	json_object_set_new(ga, "version", json_integer(1));
	json_object_set_new(ga, "uid", json_string(r.uid));
	ns = xasprintf("folder-%s", service);
	json_object_set_new(ga, "namespace_uid", json_string(ns));
	group = xasprintf("%s.alerts", service);
	json_object_set_new(ga, "rule_group", json_string(group));
	json_object_set_new(ga, "no_data_state", json_string("NoData"));
	json_object_set_new(ga, "exec_err_state", json_string("Error"));
	json_object_set_new(ga, "is_paused", json_false());
	json_object_set_new(o, "grafana_alert", ga);
	free(expr);
	free(ns);
	free(group);
	return o;
}

/* GET /api/ruler/grafana/api/v1/rules: {"FOLDER": [{"name", "interval", "rules"}]}. */
static void
get_rules(struct sim *sim, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now = sim_clock_now(&sim->clock);
	json_t *root = json_object();

	for (size_t s = 0; s < w->n_services; s++) {
		json_t *groups = json_array(), *group = json_object(), *rules = json_array();
		char *name = xasprintf("%s.alerts", w->services[s].name);

		for (size_t i = 0; i < w->n_incidents; i++)
			if (w->incidents[i].service == s && rule_first(w, i))
				json_array_append_new(rules, rule_json(sim, i, now));
		json_object_set_new(group, "name", json_string(name));
		json_object_set_new(group, "interval", json_string("1m"));
		json_object_set_new(group, "rules", rules);
		json_array_append_new(groups, group);
		json_object_set_new(root, w->services[s].name, groups);
		free(name);
	}
	response_json(resp, 200, root);
	resp->go_escape = true;
}

/* ---- alerts: the embedded Alertmanager ----------------------------------------- */

static json_t *
alert_labels(const struct world *w, const struct incident *in, const struct rule *r)
{
	json_t *labels = incident_labels(w, in);

	json_object_set_new(labels, "__alert_rule_uid__", json_string(r->uid));
	json_object_set_new(labels, "grafana_folder", json_string(w->services[in->service].name));
	return labels;
}

/* Instants of an incident in ms, at its evaluation phase. */
static int64_t
at_ms(const struct incident *in, int64_t t)
{
	return t * 1000 + (int64_t)(in->phase_ns / 1000000u);
}

static json_t *
alert_json(const struct sim *sim, size_t i, int64_t now, char *fp, size_t fp_size)
{
	const struct world *w = &sim->world;
	const struct incident *in = &w->incidents[i];
	json_t *o = json_object(), *labels, *receivers = json_array(), *rcv = json_object();
	int64_t starts = at_ms(in, in->fire), updated;
	char text[WIRE_TIME_SIZE], *url;
	struct rule r;

	rule_of(w, i, &r);
	labels = alert_labels(w, in, &r);
	updated = starts + floor_div(now - starts, EVAL_MS) * EVAL_MS;
	snprintf(fp, fp_size, "%016llx", (unsigned long long)labels_fingerprint(labels));
	json_object_set_new(o, "annotations", rule_annotations(in, &r));
	wire_time_ms(updated + VALIDITY_MS, text, sizeof(text));
	json_object_set_new(o, "endsAt", json_string(text));
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_object_set_new(rcv, "name", json_string("grafana-default-email"));
	json_array_append_new(receivers, rcv);
	json_object_set_new(o, "receivers", receivers);
	wire_time_ms(starts, text, sizeof(text));
	json_object_set_new(o, "startsAt", json_string(text));
	json_object_set_new(o, "status", json_object());
	wire_time_ms(updated, text, sizeof(text));
	json_object_set_new(o, "updatedAt", json_string(text));
	url = xasprintf("http://grafana.sim.invalid/alerting/grafana/%s/view?orgId=1", r.uid);
	json_object_set_new(o, "generatorURL", json_string(url));
	json_object_set_new(o, "labels", labels);
	free(url);
	return o;
}

struct listed {
	json_t *obj;
	size_t incident;
	char fp[17];
};

static int
compare_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->fp, ((const struct listed *)b)->fp);
}

/* The on-call's silence of an acknowledged incident (silence_on_ack), for two hours,
 * and the inhibition rule of Grafana's default policy here: a critical alert mutes
 * the others of its service. */
static void
set_status(const struct sim *sim, struct listed *list, size_t n, int64_t now)
{
	const struct world *w = &sim->world;

	for (size_t i = 0; i < n; i++) {
		const struct incident *in = &w->incidents[list[i].incident];
		json_t *status = json_object_get(list[i].obj, "status");
		json_t *silenced = json_array(), *inhibited = json_array();

		if (in->silence_on_ack && in->ack != TIME_NONE && at_ms(in, in->ack) <= now &&
		    now < at_ms(in, in->ack) + ACK_SILENCE_MS) {
			char *id = sim_uuid(w->seed, in->id, 1);

			json_array_append_new(silenced, json_string(id));
			free(id);
		}
		for (size_t j = 0; j < n && in->severity != SEVERITY_CRITICAL; j++) {
			const struct incident *other = &w->incidents[list[j].incident];

			if (j != i && other->severity == SEVERITY_CRITICAL &&
			    other->service == in->service)
				json_array_append_new(inhibited, json_string(list[j].fp));
		}
		json_object_set_new(
			status, "state",
			json_string(json_array_size(silenced) || json_array_size(inhibited)
					    ? "suppressed"
					    : "active"));
		json_object_set_new(status, "silencedBy", silenced);
		json_object_set_new(status, "inhibitedBy", inhibited);
	}
}

/* GET /api/alertmanager/grafana/api/v2/alerts: firing instances only (a resolved
 * one is never listed), sorted by fingerprint. */
static void
get_alerts(struct sim *sim, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now = sim_clock_now(&sim->clock);
	struct listed *list = xcalloc(w->n_incidents + 1, sizeof(*list));
	json_t *arr = json_array();
	size_t n = 0;

	for (size_t i = 0; i < w->n_incidents; i++) {
		if (incident_state(&w->incidents[i], now) != ALERT_FIRING)
			continue;
		list[n].incident = i;
		list[n].obj = alert_json(sim, i, now, list[n].fp, sizeof(list[n].fp));
		n++;
	}
	set_status(sim, list, n, now);
	qsort(list, n, sizeof(*list), compare_listed);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, list[i].obj);
	free(list);
	response_json(resp, 200, arr);
	resp->go_escape = true;
}

/* ---- annotations --------------------------------------------------------------- */

struct note {
	json_t *obj;
	int64_t time, time_end, id;
};

struct notes {
	struct note *items;
	size_t n, alloc;
};

/* The query of GET /api/annotations. */
struct note_query {
	int64_t from, to; /* ms; TIME_NONE: open */
	long limit;
	int type; /* 0 any, 1 alert, 2 annotation */
	long alert_id;
	const char *dashboard;
};

static bool
note_matches(const struct note_query *q, int64_t time, int64_t time_end, long alert_id,
	     const char *dashboard)
{
	if (q->to != TIME_NONE && time > q->to)
		return false;
	if (q->from != TIME_NONE && time_end < q->from)
		return false;
	if ((q->type == 1 && alert_id == 0) || (q->type == 2 && alert_id != 0))
		return false;
	if (q->alert_id && q->alert_id != alert_id)
		return false;
	return !q->dashboard || streq(q->dashboard, dashboard ? dashboard : "");
}

static void
add_note(struct notes *ns, const struct note_query *q, int64_t id, int64_t time, int64_t time_end,
	 long alert_id, const char *dashboard, long panel, const char *login, const char *prev,
	 const char *next, const char *text, const char *tag)
{
	json_t *o, *tags = json_array();
	struct note *nt;

	if (!note_matches(q, time, time_end, alert_id, dashboard))
		return;
	o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)id));
	json_object_set_new(o, "alertId", json_integer(alert_id));
	json_object_set_new(o, "alertName", json_string(""));
	json_object_set_new(o, "dashboardId", json_integer(dashboard ? 7 : 0));
	json_object_set_new(o, "dashboardUID", dashboard ? json_string(dashboard) : json_null());
	json_object_set_new(o, "panelId", json_integer(panel));
	json_object_set_new(o, "userId", json_integer(login ? 2 : 0));
	json_object_set_new(o, "newState", json_string(next ? next : ""));
	json_object_set_new(o, "prevState", json_string(prev ? prev : ""));
	json_object_set_new(o, "created", json_integer((json_int_t)time_end));
	json_object_set_new(o, "updated", json_integer((json_int_t)time_end));
	json_object_set_new(o, "time", json_integer((json_int_t)time));
	json_object_set_new(o, "timeEnd", json_integer((json_int_t)time_end));
	json_object_set_new(o, "text", json_string(text));
	if (tag)
		json_array_append_new(tags, json_string(tag));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "login", json_string(login ? login : ""));
	json_object_set_new(o, "email", json_string(""));
	json_object_set_new(o, "avatarUrl", json_string(""));
	json_object_set_new(o, "data", json_object());
	ns->items = xgrow(ns->items, &ns->alloc, ns->n + 1, sizeof(*ns->items));
	nt = &ns->items[ns->n++];
	nt->obj = o;
	nt->time = time;
	nt->time_end = time_end;
	nt->id = id;
}

/* The state history Grafana writes for an instance: "TITLE {LABELS} - VALUES". */
static char *
state_text(const struct world *w, const struct incident *in)
{
	return xasprintf("%s {alertname=%s, grafana_folder=%s, service=%s, severity=%s}",
			 in->alertname, in->alertname, w->services[in->service].name,
			 w->services[in->service].name, severity_name(in->severity));
}

/* What exists of incident i's annotations by now. */
static void
incident_notes(const struct sim *sim, size_t i, int64_t now, const struct note_query *q,
	       struct notes *ns)
{
	const struct world *w = &sim->world;
	const struct incident *in = &w->incidents[i];
	const char *by = in->acked_by ? in->acked_by : "oncall";
	int64_t base = 1000 + (int64_t)i * 10, t;
	char *text = state_text(w, in), *note;
	struct rule r;

	rule_of(w, i, &r);
	if ((t = at_ms(in, in->impact)) <= now && in->fire > in->impact)
		add_note(ns, q, base + NOTE_PENDING, t, t, r.id, r.dashboard, r.panel, NULL,
			 "Normal", "Pending", text, NULL);
	if ((t = at_ms(in, in->fire)) <= now)
		add_note(ns, q, base + NOTE_ALERTING, t, t, r.id, r.dashboard, r.panel, NULL,
			 in->fire > in->impact ? "Pending" : "Normal", "Alerting", text, NULL);
	if (in->resolve != TIME_NONE && (t = at_ms(in, in->resolve)) <= now)
		add_note(ns, q, base + NOTE_NORMAL, t, t, r.id, r.dashboard, r.panel, NULL,
			 "Alerting", "Normal", text, NULL);
	if (in->ack != TIME_NONE && (t = in->ack * 1000) <= now) {
		note = xasprintf("ack %s: investigating", in->id);
		add_note(ns, q, base + NOTE_ACK, t, t, 0, r.dashboard, r.panel, by, NULL, NULL,
			 note, "ack");
		free(note);
	}
	if (in->resolve != TIME_NONE && in->resolve * 1000 <= now) {
		note = xasprintf("%s: %s", in->id, in->title);
		add_note(ns, q, base + NOTE_REGION, in->impact * 1000, in->resolve * 1000, 0,
			 r.dashboard, r.panel, by, NULL, NULL, note, "incident");
		free(note);
	}
	free(text);
}

/* Every six hours, an organisation annotation no alert is concerned with. */
static void
backup_notes(const struct sim *sim, int64_t now, const struct note_query *q, struct notes *ns)
{
	int64_t first = floor_div(sim->clock.start_ms - HISTORY_MS, BACKUP_MS);

	for (int64_t k = first; k * BACKUP_MS + 120000 <= now; k++) {
		int64_t t = k * BACKUP_MS + 120000;

		add_note(ns, q, 1000000 + (k - first), t, t, 0, NULL, 0, "backup-bot", NULL, NULL,
			 "nightly backup completed", "backup");
	}
}

/* Grafana's order: epoch * 1000 + epoch_end, newest first. */
static int
compare_notes(const void *a, const void *b)
{
	const struct note *x = a, *y = b;

	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	if (x->time_end != y->time_end)
		return x->time_end > y->time_end ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static bool
param_int(const struct params *p, const char *key, int64_t *out)
{
	const char *text = params_get(p, key);
	char *end;
	long long v;

	if (!text)
		return true;
	v = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0')
		return false;
	*out = v;
	return true;
}

static bool
note_query_init(struct note_query *q, const struct params *p, struct sim_response *resp)
{
	const char *type = params_get(p, "type");
	int64_t limit = DEFAULT_LIMIT, alert_id = 0;

	memset(q, 0, sizeof(*q));
	q->from = q->to = TIME_NONE;
	if (!param_int(p, "from", &q->from) || !param_int(p, "to", &q->to) ||
	    !param_int(p, "limit", &limit) || !param_int(p, "alertId", &alert_id)) {
		gf_error(resp, 400, "bad request data");
		return false;
	}
	/* Grafana filters on time only when both ends are given. */
	if (q->from == TIME_NONE || q->to == TIME_NONE)
		q->from = q->to = TIME_NONE;
	q->limit = limit <= 0 ? DEFAULT_LIMIT : limit > MAX_LIMIT ? MAX_LIMIT : (long)limit;
	q->type = streq(type, "alert") ? 1 : streq(type, "annotation") ? 2 : 0;
	q->alert_id = (long)alert_id;
	q->dashboard = params_get(p, "dashboardUID");
	return true;
}

/* GET /api/annotations. The stuck_cursor fault ignores `to`, as a server that
 * does not page would. */
static void
get_annotations(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock);
	struct notes ns = { 0 };
	struct note_query q;
	json_t *arr = json_array();

	if (!note_query_init(&q, &req->params, resp)) {
		json_decref(arr);
		return;
	}
	if (req->stuck_cursor && q.to != TIME_NONE)
		q.to = now;
	for (size_t i = 0; i < sim->world.n_incidents; i++)
		incident_notes(sim, i, now, &q, &ns);
	backup_notes(sim, now, &q, &ns);
	if (ns.n > 1)
		qsort(ns.items, ns.n, sizeof(*ns.items), compare_notes);
	for (size_t i = 0; i < ns.n; i++) {
		if ((long)i < q.limit)
			json_array_append(arr, ns.items[i].obj);
		json_decref(ns.items[i].obj);
	}
	free(ns.items);
	response_json(resp, 200, arr);
}

/* ---- /api/ds/query --------------------------------------------------------------- */

/* from and to: epoch ms as a string or a number, or "now" / "now-1h". */
static bool
query_time(const json_t *v, int64_t now, int64_t *ms)
{
	const char *text = json_string_value(v);
	int64_t d;
	char *end;

	if (json_is_integer(v)) {
		*ms = (int64_t)json_integer_value(v);
		return true;
	}
	if (!text)
		return false;
	if (strncmp(text, "now", 3) == 0) {
		if (!text[3]) {
			*ms = now;
			return true;
		}
		if (!wire_parse_signed_duration(text + 3, &d))
			return false;
		*ms = now + d;
		return true;
	}
	*ms = strtoll(text, &end, 10);
	return *text && !*end;
}

static json_t *
time_field(int64_t step)
{
	json_t *f = json_object(), *info = json_object(), *config = json_object();

	json_object_set_new(f, "name", json_string("Time"));
	json_object_set_new(f, "type", json_string("time"));
	json_object_set_new(info, "frame", json_string("time.Time"));
	json_object_set_new(f, "typeInfo", info);
	json_object_set_new(config, "interval", json_integer((json_int_t)step));
	json_object_set_new(f, "config", config);
	return f;
}

static json_t *
value_field(json_t *labels)
{
	json_t *f = json_object(), *info = json_object();

	json_object_set_new(f, "name", json_string("Value"));
	json_object_set_new(f, "type", json_string("number"));
	json_object_set_new(info, "frame", json_string("float64"));
	json_object_set_new(info, "nullable", json_true());
	json_object_set_new(f, "typeInfo", info);
	json_object_set_new(f, "labels", labels);
	return f;
}

/* One Prometheus matrix series ({"metric", "values": [[t, "v"], ...]}) as a
 * "timeseries-multi" frame: a time column in ms, a value column. */
static json_t *
series_frame(const char *ref, const json_t *series, int64_t step, const char *executed)
{
	json_t *frame = json_object(), *schema = json_object(), *meta = json_object();
	json_t *fields = json_array(), *data = json_object(), *values = json_array();
	json_t *times = json_array(), *vals = json_array(), *version = json_array();
	json_t *custom = json_object(), *point;
	size_t i;

	json_array_foreach(json_object_get(series, "values"), i, point)
	{
		double t = json_number_value(json_array_get(point, 0));
		const char *v = json_string_value(json_array_get(point, 1));
		double value = v ? strtod(v, NULL) : NAN;

		json_array_append_new(times, json_integer((json_int_t)llround(t * 1000.0)));
		/* NaN and infinities are not JSON: null, as Grafana writes them. */
		json_array_append_new(vals, isfinite(value) ? json_real(value) : json_null());
	}
	json_object_set_new(schema, "refId", json_string(ref));
	json_object_set_new(meta, "type", json_string("timeseries-multi"));
	json_array_append_new(version, json_integer(0));
	json_array_append_new(version, json_integer(1));
	json_object_set_new(meta, "typeVersion", version);
	json_object_set_new(custom, "resultType", json_string("matrix"));
	json_object_set_new(meta, "custom", custom);
	json_object_set_new(meta, "executedQueryString", json_string(executed));
	json_object_set_new(schema, "meta", meta);
	json_array_append_new(fields, time_field(step));
	json_array_append_new(fields,
			      value_field(json_deep_copy(json_object_get(series, "metric"))));
	json_object_set_new(schema, "fields", fields);
	json_object_set_new(frame, "schema", schema);
	json_array_append_new(values, times);
	json_array_append_new(values, vals);
	json_object_set_new(data, "values", values);
	json_object_set_new(frame, "data", data);
	return frame;
}

static json_t *
result_error(const char *message, int status)
{
	json_t *r = json_object();

	json_object_set_new(r, "error", json_string(message));
	json_object_set_new(r, "errorSource", json_string("downstream"));
	json_object_set_new(r, "status", json_integer(status));
	return r;
}

/* One query of the body: its result object (new). */
static json_t *
run_query(struct sim *sim, const json_t *q, int64_t from, int64_t to, bool *failed)
{
	const char *uid =
		json_string_value(json_object_get(json_object_get(q, "datasource"), "uid"));
	const char *expr = json_string_value(json_object_get(q, "expr"));
	const json_t *interval = json_object_get(q, "intervalMs");
	const json_t *max_points = json_object_get(q, "maxDataPoints");
	const char *ref = json_string_value(json_object_get(q, "refId"));
	int64_t step = json_is_integer(interval) ? (int64_t)json_integer_value(interval) : 15000;
	json_t *res, *frames, *matrix, *series;
	struct promql pq;
	char err[400], *executed;
	size_t i;

	*failed = true;
	if (!streq(uid, DATASOURCE_UID))
		return result_error("data source not found", 404);
	if (!expr || !promql_parse(&pq, expr, err, sizeof(err)))
		return result_error(expr ? err : "query expression is missing", 400);
	if (step < 1)
		step = 1;
	if (json_is_integer(max_points) && json_integer_value(max_points) > 0 &&
	    (to - from) / step > json_integer_value(max_points))
		step = (to - from) / json_integer_value(max_points) + 1;
	if ((to - from) / step > MAX_POINTS) {
		promql_release(&pq);
		return result_error("exceeded maximum resolution of 11,000 points per timeseries. "
				    "Try decreasing the query resolution (?step=XX)",
				    400);
	}
	*failed = false;
	from = floor_div(from, step) * step; /* Grafana aligns the range to the step */
	matrix = promql_matrix(&pq, &sim->world, from, to, step, sim_clock_now(&sim->clock));
	executed = xasprintf("Expr: %s\nStep: %llds", expr, (long long)(step / 1000));
	frames = json_array();
	json_array_foreach(matrix, i, series) json_array_append_new(
		frames, series_frame(ref ? ref : "A", series, step, executed));
	res = json_object();
	json_object_set_new(res, "status", json_integer(200));
	json_object_set_new(res, "frames", frames);
	free(executed);
	json_decref(matrix);
	promql_release(&pq);
	return res;
}

/* POST /api/ds/query. Any failed query makes the answer a 400, its result saying
 * why; a body that is not a query is a 400 with a message. */
static void
post_ds_query(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	char msg[160];
	json_t *body = json_parse(req->body, req->body_len, msg, sizeof(msg));
	json_t *queries = json_object_get(body, "queries"), *results, *root, *q;
	int64_t now = sim_clock_now(&sim->clock), from, to;
	bool any_failed = false, failed;
	size_t i;

	if (!json_is_array(queries) || json_array_size(queries) == 0 ||
	    !query_time(json_object_get(body, "from"), now, &from) ||
	    !query_time(json_object_get(body, "to"), now, &to) || to < from) {
		gf_error(resp, 400, "bad request data");
		json_decref(body);
		return;
	}
	results = json_object();
	json_array_foreach(queries, i, q)
	{
		const char *ref = json_string_value(json_object_get(q, "refId"));

		json_object_set_new(results, ref ? ref : "A", run_query(sim, q, from, to, &failed));
		any_failed |= failed;
	}
	root = json_object();
	json_object_set_new(root, "results", results);
	response_json(resp, any_failed ? 400 : 200, root);
	json_decref(body);
}

/* ---- routing --------------------------------------------------------------------- */

static void
health(struct sim_response *resp)
{
	json_t *o = json_object();

	json_object_set_new(o, "commit", json_string("sitrep-sim"));
	json_object_set_new(o, "database", json_string("ok"));
	json_object_set_new(o, "version", json_string("11.3.0"));
	response_json(resp, 200, o);
}

void
grafana_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route, *m = req->method;
	bool get = streq(m, "GET") || streq(m, "HEAD");

	if (streq(r, "/api/health") && get)
		health(resp);
	else if (streq(r, "/api/ruler/grafana/api/v1/rules") && get)
		get_rules(sim, resp);
	else if (streq(r, "/api/alertmanager/grafana/api/v2/alerts") && get)
		get_alerts(sim, resp);
	else if (streq(r, "/api/annotations") && get)
		get_annotations(sim, req, resp);
	else if (streq(r, "/api/ds/query") && streq(m, "POST"))
		post_ds_query(sim, req, resp);
	else if (streq(r, "/api/ds/query") || streq(r, "/api/annotations") ||
		 streq(r, "/api/ruler/grafana/api/v1/rules") ||
		 streq(r, "/api/alertmanager/grafana/api/v2/alerts"))
		gf_error(resp, 405, "Method Not Allowed");
	else
		gf_error(resp, 404, "Not found");
}
