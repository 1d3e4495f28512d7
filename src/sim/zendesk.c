/* zendesk.c - the Zendesk Support API dialect (/zendesk/api/v2/...): the world's
 * Zendesk tickets (tickets.c) as the account shows them at the clock's instant.
 *
 *   GET /api/v2/incremental/tickets/cursor.json?start_time=T | cursor=C
 *       [&per_page=N&include=metric_sets,slas,metric_events,users&exclude_deleted=]
 *   GET /api/v2/tickets/{id}.json[?include=slas,metric_sets,users]
 *   GET /api/v2/tickets/{id}/metrics.json
 *   GET /api/v2/slas/policies.json
 *
 * (".json" is optional, as on Zendesk.) The export lists the tickets whose
 * generated_timestamp (here their last change or comment) is at least start_time,
 * or after the cursor, oldest first by (generated_timestamp, id), leaving out the
 * last minute's changes as Zendesk does. Cursors are opaque to clients and encoded
 * as Zendesk's are: base64 of "GENERATED.0||ID|", the last ticket of the page;
 * after_cursor stays put on a page with nothing new. Pages hold per_page tickets
 * (default and at most 1000) but never more than 3: the week's seven tickets would
 * otherwise be one page and a client's paging would go untested. end_of_stream is
 * true on the page that reaches the newest ticket. The stuck_cursor fault answers
 * with the request's own position as after_cursor and end_of_stream false.
 *
 * Sideloads as the export gives them: metric_sets and users as top-level lists
 * (metric sets by ticket_id), slas ({policy_metrics: [{breach_at, stage, metric,
 * minutes|hours|days}]}, the current instance of each metric) and metric_events
 * ({METRIC: [events]}: activate, pause, fulfill, apply_sla with the policy's
 * target, breach when it happened, update_status) inside each ticket. The world's
 * SLA instances are one SLA policy, "Incident tickets": first_reply_time on
 * reply_time's instance 1, and requester_wait_time with one instance per period of
 * work (a reopen starts instance 2). resolution_time's fulfil and activate events
 * give each solve and reopen. Predicted breach events are not served (a real account
 * posts them ahead and deletes them when met): a breach event is one that happened.
 *
 * Custom fields: 360012345671 "Alert ID" (the incident a correlated ticket names,
 * else null) and 360012345672 "Service" (its service, also the tag service_NAME).
 * Users have ids from the seed: agents (the assignees) and end users (requesters).
 * A ticket is assigned from the first agent reply on.
 *
 * Auth: Basic base64("EMAIL/token:TOKEN") or Bearer TOKEN, checked against
 * --require-token (server.c asks zendesk_token_ok); Zendesk's error bodies are
 * {"error": "...", "description": "..."}, or {"error": {"title", "message"}} for 403.
 * Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <strings.h>

#define PREFIX "/zendesk"
#define PAGE_MAX 3
#define PER_PAGE_MAX 1000
#define ALERT_FIELD 360012345671LL
#define SERVICE_FIELD 360012345672LL
#define POLICY_ID 360000111222LL
#define POLICY_TITLE "Incident tickets"
#define MINUTE 60
#define HOUR 3600
#define DAY 86400

/* What an export or show request asks to sideload. */
enum zd_include {
	INC_METRIC_SETS = 1 << 0,
	INC_SLAS = 1 << 1,
	INC_METRIC_EVENTS = 1 << 2,
	INC_USERS = 1 << 3,
};

/* A place in the export's order: after the ticket (ts, id). */
struct zd_pos {
	int64_t ts;
	uint64_t id;
};

/* ---- small helpers ---- */

static void
zd_error(struct sim_response *resp, unsigned int status, const char *err, const char *desc)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(err));
	if (desc)
		json_object_set_new(o, "description", json_string(desc));
	response_json(resp, status, o);
}

void
zendesk_fault_body(struct sim_response *resp, unsigned int status)
{
	json_t *o, *e;
	char text[64];

	switch (status) {
	case 400:
		zd_error(resp, status, "InvalidValue", "sitrep-sim: injected status 400");
		break;
	case 401:
		zd_error(resp, status, "Couldn't authenticate you", NULL);
		response_header(resp, "WWW-Authenticate", "Basic realm=\"Web Password\"");
		break;
	case 403:
		o = json_object();
		e = json_object();
		json_object_set_new(e, "title", json_string("Forbidden"));
		json_object_set_new(e, "message",
				    json_string("You do not have access to this page. Please "
						"contact the account owner of this help desk for "
						"further help."));
		json_object_set_new(o, "error", e);
		response_json(resp, status, o);
		break;
	case 404:
		zd_error(resp, status, "RecordNotFound", "Not found");
		break;
	case 422:
		zd_error(resp, status, "RecordInvalid", "Record validation errors");
		break;
	case 429:
		/* Zendesk's 429 is plain text, with Retry-After. */
		response_text(resp, status, "Too Many Requests\n");
		response_header(resp, "Retry-After", "60");
		response_header(resp, "X-Rate-Limit-Remaining", "0");
		break;
	case 500:
		zd_error(resp, status, "InternalError", "Something went wrong");
		break;
	case 502:
	case 503:
	case 504:
		/* From the edge in front, not from the API. */
		response_gateway(resp, status);
		break;
	default:
		snprintf(text, sizeof(text), "sitrep-sim: injected status %u", status);
		zd_error(resp, status, "InvalidValue", text);
	}
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64_encode(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < len ? s[i + 2] : 0);

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Decodes base64 text into out (at most size - 1 bytes, NUL-terminated); false on
 * anything that is not base64 or does not fit. */
static bool
base64_decode(const char *in, char *out, size_t size)
{
	size_t n = 0, len = strlen(in);
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		const char *p;

		if (in[i] == '=')
			return strspn(in + i, "=") == len - i && len % 4 == 0;
		if (!(p = strchr(b64, in[i])) || !in[i])
			return false;
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return false;
			out[n++] = (char)(v >> bits & 0xff);
			out[n] = '\0';
		}
	}
	return len % 4 == 0;
}

int
zendesk_token_ok(const char *authorization, const char *token)
{
	char decoded[512];
	const char *sep;

	if (!authorization)
		return 0;
	if (strncasecmp(authorization, "Bearer ", 7) == 0)
		return streq(authorization + 7, token);
	if (strncasecmp(authorization, "Basic ", 6) != 0)
		return 0;
	decoded[0] = '\0';
	if (!base64_decode(authorization + 6, decoded, sizeof(decoded)))
		return 0;
	/* EMAIL/token:TOKEN: an email and the literal "/token" before the colon. */
	sep = strstr(decoded, "/token:");
	return sep && sep > decoded && streq(sep + 7, token);
}

static char *
cursor_encode(struct zd_pos p)
{
	char text[64];

	snprintf(text, sizeof(text), "%lld.0||%llu|", (long long)p.ts, (unsigned long long)p.id);
	return base64_encode(text, strlen(text));
}

static bool
cursor_decode(const char *cursor, struct zd_pos *p)
{
	char text[64];
	long long ts;
	unsigned long long id;
	int used = 0;

	if (!base64_decode(cursor, text, sizeof(text)) ||
	    sscanf(text, "%lld.0||%llu|%n", &ts, &id, &used) != 2 || used != (int)strlen(text))
		return false;
	p->ts = ts;
	p->id = id;
	return true;
}

static bool
pos_after(int64_t ts, uint64_t id, struct zd_pos p)
{
	return ts > p.ts || (ts == p.ts && id > p.id);
}

/* A user's id, from the seed and the name: 13 digits, as Zendesk's. */
static json_int_t
user_id(const struct world *w, const char *name)
{
	return 361000000000LL +
	       (json_int_t)(sim_hash(w->seed, "zendesk-user", 0) % 1000) * 1000000LL +
	       (json_int_t)(fnv64_add(FNV64_OFFSET, name, strlen(name)) % 1000000);
}

static json_t *
minutes_json(int64_t seconds)
{
	return seconds == TIME_NONE ? json_null() : json_integer((seconds + 30) / MINUTE);
}

static json_t *
pair_json(int64_t calendar, int64_t business)
{
	json_t *o = json_object();

	json_object_set_new(o, "calendar", minutes_json(calendar));
	json_object_set_new(o, "business", minutes_json(business));
	return o;
}

static char *
api_url(const struct sim *sim, const char *path)
{
	return xasprintf("http://127.0.0.1:%u" PREFIX "%s", (unsigned int)sim->port, path);
}

static void
rate_headers(struct sim_response *resp)
{
	response_header(resp, "X-Rate-Limit", "700");
	response_header(resp, "X-Rate-Limit-Remaining", "699");
}

/* ---- a ticket at an instant ---- */

static int64_t
latest(int64_t a, int64_t b)
{
	return a == TIME_NONE || (b != TIME_NONE && b > a) ? b : a;
}

/* The last note by author (or anyone, NULL) at now, or TIME_NONE. */
static int64_t
last_note(const struct ticket *t, size_t notes, const char *author)
{
	int64_t at = TIME_NONE;

	for (size_t i = 0; i < notes; i++)
		if (!author || streq(t->notes[i].author, author))
			at = latest(at, t->notes[i].at);
	return at;
}

static int64_t
last_change(const struct ticket *t, int64_t now)
{
	int64_t at = t->opened;

	for (size_t i = 0; i < t->n_changes && t->changes[i].at <= now; i++)
		at = t->changes[i].at;
	return at;
}

/* Business seconds on hold within [from, to). */
static int64_t
held_business(const struct ticket *t, int64_t from, int64_t to)
{
	int64_t total = 0;

	for (size_t i = 0; i < t->n_holds; i++) {
		int64_t a = t->holds[i].start > from ? t->holds[i].start : from;
		int64_t b = t->holds[i].end < to ? t->holds[i].end : to;

		total += b > a ? business_seconds(a, b) : 0;
	}
	return total;
}

/* The requester's wait in business seconds (the periods of work, less holds). */
static int64_t
requester_wait_business(const struct ticket *t, int64_t now)
{
	int64_t total = 0;

	for (size_t k = 0; k <= t->n_reopens; k++) {
		int64_t from = k == 0 ? t->opened : t->reopened[k - 1];
		int64_t to = k < t->n_resolved ? t->resolved[k] : now;

		if (from > now)
			break;
		to = to < now ? to : now;
		total += business_seconds(from, to) - held_business(t, from, to);
	}
	return total;
}

static json_t *
time_or_null(int64_t t, int64_t now)
{
	return t == TIME_NONE || t > now ? json_null() : json_time(t);
}

static json_t *
metric_set_json(const struct sim *sim, const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	size_t notes = ticket_notes_at(t, now_ms);
	json_int_t id = 364000000000LL + (json_int_t)t->number;
	int64_t status = last_change(t, now);
	struct ticket_metrics m;
	json_t *o = json_object();
	char path[64];
	char *url;

	ticket_metrics_at(t, now_ms, &m);
	snprintf(path, sizeof(path), "/api/v2/ticket_metrics/%lld.json", (long long)id);
	url = api_url(sim, path);
	json_object_set_new(o, "url", json_string(url));
	free(url);
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "ticket_id", json_integer((json_int_t)t->number));
	json_object_set_new(o, "created_at", json_time(t->opened));
	json_object_set_new(o, "updated_at", json_time(ticket_updated_at(t, now_ms)));
	json_object_set_new(o, "group_stations", json_integer(1));
	json_object_set_new(o, "assignee_stations",
			    json_integer(t->responded != TIME_NONE && t->responded <= now));
	json_object_set_new(o, "reopens", json_integer(m.reopens));
	json_object_set_new(o, "replies", json_integer(m.replies));
	json_object_set_new(o, "assignee_updated_at",
			    time_or_null(last_note(t, notes, t->assignee), now));
	json_object_set_new(o, "requester_updated_at",
			    time_or_null(last_note(t, notes, t->requester), now));
	json_object_set_new(o, "status_updated_at", json_time(status));
	json_object_set_new(o, "initially_assigned_at", time_or_null(t->responded, now));
	json_object_set_new(o, "assigned_at", time_or_null(t->responded, now));
	json_object_set_new(o, "solved_at", time_or_null(m.solved_at, now));
	json_object_set_new(o, "latest_comment_added_at",
			    time_or_null(last_note(t, notes, NULL), now));
	json_object_set_new(o, "reply_time_in_minutes", pair_json(m.reply, m.reply_business));
	json_object_set_new(o, "first_resolution_time_in_minutes",
			    pair_json(m.first_resolution, m.first_resolution_business));
	json_object_set_new(o, "full_resolution_time_in_minutes",
			    pair_json(m.full_resolution, m.full_resolution_business));
	json_object_set_new(o, "agent_wait_time_in_minutes",
			    pair_json(m.agent_wait, held_business(t, t->opened, now)));
	json_object_set_new(o, "requester_wait_time_in_minutes",
			    pair_json(m.requester_wait, requester_wait_business(t, now)));
	json_object_set_new(o, "on_hold_time_in_minutes", pair_json(m.on_hold, 0));
	json_object_set_new(o, "custom_status_updated_at", json_time(status));
	return o;
}

/* ---- metric events ---- */

enum zd_metric {
	M_AGENT_WORK,
	M_PAUSABLE_UPDATE,
	M_PERIODIC_UPDATE,
	M_REPLY,
	M_REQUESTER_WAIT,
	M_RESOLUTION,
	M_COUNT,
};

static const char *const metric_keys[] = { "agent_work_time",	   "pausable_update_time",
					   "periodic_update_time", "reply_time",
					   "requester_wait_time",  "resolution_time" };

struct zd_event {
	int64_t at;
	enum zd_metric metric;
	int instance;
	const char *type;
	const struct sla_instance *sla; /* apply_sla */
	int64_t status;			/* update_status: the metric's calendar seconds */
	int64_t status_business;
};

struct zd_events {
	struct zd_event *items;
	size_t n, alloc;
};

static void
push(struct zd_events *l, int64_t at, enum zd_metric m, int instance, const char *type)
{
	struct zd_event *e;

	if (at == TIME_NONE)
		return;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 32;
		l->items = xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	e = &l->items[l->n++];
	memset(e, 0, sizeof(*e));
	e->at = at;
	e->metric = m;
	e->instance = instance;
	e->type = type;
}

/* The events of an SLA clock: started, applied, paused and resumed, breached, met. */
static void
sla_events(struct zd_events *l, const struct sla_instance *s, enum zd_metric m, int instance)
{
	push(l, s->start, m, instance, "activate");
	push(l, s->start, m, instance, "apply_sla");
	l->items[l->n - 1].sla = s;
	for (size_t i = 0; i < s->n_pauses; i++) {
		push(l, s->pauses[i].start, m, instance, "pause");
		push(l, s->pauses[i].end, m, instance, "activate");
	}
	push(l, s->breach, m, instance, "breach");
	push(l, s->stop, m, instance, "fulfill");
}

/* Every event of the ticket's whole life, in a fixed order (their ids). */
static void
all_events(const struct ticket *t, struct zd_events *l)
{
	int instance = 0;

	for (size_t k = 0; k < t->n_slas; k++) {
		const struct sla_instance *s = &t->slas[k];

		if (s->def->metric == SLA_FIRST_REPLY) {
			sla_events(l, s, M_REPLY, 1);
			if (s->stop != TIME_NONE) {
				push(l, s->stop, M_REPLY, 1, "update_status");
				l->items[l->n - 1].status = s->stop - s->start;
				l->items[l->n - 1].status_business =
					business_seconds(s->start, s->stop);
			}
		} else {
			sla_events(l, s, M_REQUESTER_WAIT, ++instance);
		}
	}
	push(l, t->opened, M_RESOLUTION, 1, "activate");
	for (size_t k = 0; k < t->n_resolved; k++) {
		push(l, t->resolved[k], M_RESOLUTION, 1, "fulfill");
		if (k < t->n_reopens)
			push(l, t->reopened[k], M_RESOLUTION, 1, "activate");
	}
}

static json_t *
sla_json(const struct sla_instance *s)
{
	json_t *o = json_object(), *p = json_object();

	json_object_set_new(o, "target", json_integer(s->def->target / MINUTE));
	json_object_set_new(o, "business_hours", json_boolean(s->def->business));
	json_object_set_new(p, "id", json_integer(POLICY_ID));
	json_object_set_new(p, "title", json_string(POLICY_TITLE));
	json_object_set_new(p, "description", json_string("Customer-facing incidents"));
	json_object_set_new(o, "policy", p);
	return o;
}

static json_t *
metric_events_json(const struct ticket *t, int64_t now)
{
	struct zd_events l = { 0 };
	json_t *arrays[M_COUNT], *o = json_object();

	all_events(t, &l);
	for (int m = 0; m < M_COUNT; m++)
		arrays[m] = json_array();
	/* By time within a metric; ties keep the order above. */
	for (size_t i = 1; i < l.n; i++)
		for (size_t j = i; j > 0 && l.items[j - 1].at > l.items[j].at; j--) {
			struct zd_event tmp = l.items[j];

			l.items[j] = l.items[j - 1];
			l.items[j - 1] = tmp;
		}
	for (size_t i = 0; i < l.n; i++) {
		const struct zd_event *e = &l.items[i];
		json_t *ev;

		if (e->at > now)
			continue;
		ev = json_object();
		json_object_set_new(ev, "id",
				    json_integer(363000000000000LL + (json_int_t)t->number * 1000 +
						 (json_int_t)i));
		json_object_set_new(ev, "ticket_id", json_integer((json_int_t)t->number));
		json_object_set_new(ev, "metric", json_string(metric_keys[e->metric]));
		json_object_set_new(ev, "instance_id", json_integer(e->instance));
		json_object_set_new(ev, "type", json_string(e->type));
		json_object_set_new(ev, "time", json_time(e->at));
		if (e->sla)
			json_object_set_new(ev, "sla", sla_json(e->sla));
		if (streq(e->type, "update_status"))
			json_object_set_new(ev, "status", pair_json(e->status, e->status_business));
		if (streq(e->type, "breach"))
			json_object_set_new(ev, "deleted", json_false());
		json_array_append_new(arrays[e->metric], ev);
	}
	for (int m = 0; m < M_COUNT; m++)
		json_object_set_new(o, metric_keys[m], arrays[m]);
	free(l.items);
	return o;
}

/* ---- the slas sideload ---- */

static json_t *
policy_metric_json(const struct sla_instance *s, int64_t now_ms)
{
	json_t *o = json_object();
	struct sla_state st;
	int64_t left;

	sla_state_at(s, now_ms, &st);
	/* While paused there is no breach to come until the clock runs again. */
	if (st.stage == SLA_PAUSED || st.planned_end == TIME_NONE) {
		json_object_set_new(o, "breach_at", json_null());
	} else {
		json_object_set_new(o, "breach_at", json_time(st.planned_end));
	}
	json_object_set_new(o, "stage",
			    json_string(st.stage == SLA_COMPLETED ? "achieved"
					: st.stage == SLA_PAUSED  ? "paused"
								  : "active"));
	json_object_set_new(o, "metric", json_string(sla_metric_name(s->def->metric)));
	if (st.stage != SLA_PAUSED && st.planned_end != TIME_NONE) {
		left = st.planned_end - floor_div(now_ms, 1000);
		if (left > -HOUR && left < HOUR)
			json_object_set_new(o, "minutes", json_integer(left / MINUTE));
		else if (left > -DAY && left < DAY)
			json_object_set_new(o, "hours", json_integer(left / HOUR));
		else
			json_object_set_new(o, "days", json_integer(left / DAY));
	}
	return o;
}

/* The current instance of each metric. */
static json_t *
slas_json(const struct ticket *t, int64_t now_ms)
{
	size_t n = ticket_slas_at(t, now_ms);
	long first = -1, wait = -1;
	json_t *o = json_object(), *list = json_array();

	for (size_t k = 0; k < n; k++) {
		if (t->slas[k].def->metric == SLA_FIRST_REPLY)
			first = (long)k;
		else
			wait = (long)k;
	}
	if (first >= 0)
		json_array_append_new(list, policy_metric_json(&t->slas[first], now_ms));
	if (wait >= 0)
		json_array_append_new(list, policy_metric_json(&t->slas[wait], now_ms));
	json_object_set_new(o, "policy_metrics", list);
	return o;
}

/* ---- tickets, users ---- */

static json_t *
fields_json(const struct world *w, const struct ticket *t)
{
	json_t *arr = json_array(), *f;

	f = json_object();
	json_object_set_new(f, "id", json_integer(ALERT_FIELD));
	json_object_set_new(f, "value",
			    t->correlated && t->incident >= 0
				    ? json_string(w->incidents[t->incident].id)
				    : json_null());
	json_array_append_new(arr, f);
	f = json_object();
	json_object_set_new(f, "id", json_integer(SERVICE_FIELD));
	json_object_set_new(f, "value", json_string(w->services[t->service].name));
	json_array_append_new(arr, f);
	return arr;
}

static bool
assigned(const struct ticket *t, int64_t now)
{
	return t->responded != TIME_NONE && t->responded <= now;
}

static json_t *
ticket_json(const struct sim *sim, const struct ticket *t, int64_t now_ms, unsigned include)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(now_ms, 1000);
	json_t *o = json_object(), *via = json_object(), *src = json_object(), *tags;
	json_int_t requester = user_id(w, t->requester);
	char path[64], *text;

	snprintf(path, sizeof(path), "/api/v2/tickets/%llu.json", (unsigned long long)t->number);
	text = api_url(sim, path);
	json_object_set_new(o, "url", json_string(text));
	free(text);
	json_object_set_new(o, "id", json_integer((json_int_t)t->number));
	json_object_set_new(o, "external_id", json_null());
	json_object_set_new(via, "channel", json_string(t->correlated ? "api" : "email"));
	json_object_set_new(src, "from", json_object());
	json_object_set_new(src, "to", json_object());
	json_object_set_new(src, "rel", json_null());
	json_object_set_new(via, "source", src);
	json_object_set_new(o, "via", via);
	json_object_set_new(o, "created_at", json_time(t->opened));
	json_object_set_new(o, "updated_at", json_time(ticket_updated_at(t, now_ms)));
	json_object_set_new(o, "type", json_string(t->incident >= 0 ? "incident" : "problem"));
	json_object_set_new(o, "subject", json_string(t->title));
	json_object_set_new(o, "raw_subject", json_string(t->title));
	json_object_set_new(o, "description", json_string(t->description));
	json_object_set_new(o, "priority", json_string(zendesk_priority_name(t->priority)));
	json_object_set_new(
		o, "status",
		json_string(ticket_state_name(TICKET_ZENDESK, ticket_state_at(t, now_ms))));
	json_object_set_new(o, "recipient", json_string("support@acme.zendesk.example"));
	json_object_set_new(o, "requester_id", json_integer(requester));
	json_object_set_new(o, "submitter_id", json_integer(requester));
	json_object_set_new(o, "assignee_id",
			    assigned(t, now) ? json_integer(user_id(w, t->assignee)) : json_null());
	json_object_set_new(o, "organization_id", json_null());
	json_object_set_new(o, "group_id", json_integer(user_id(w, t->group)));
	json_object_set_new(o, "collaborator_ids", json_array());
	json_object_set_new(o, "follower_ids", json_array());
	json_object_set_new(o, "email_cc_ids", json_array());
	json_object_set_new(o, "forum_topic_id", json_null());
	json_object_set_new(o, "problem_id", json_null());
	json_object_set_new(o, "has_incidents", json_false());
	json_object_set_new(o, "is_public", json_true());
	json_object_set_new(o, "due_at", json_null());
	tags = json_array();
	text = xasprintf("service_%s", w->services[t->service].name);
	json_array_append_new(tags, json_string(text));
	free(text);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "custom_fields", fields_json(w, t));
	json_object_set_new(o, "satisfaction_rating", json_null());
	json_object_set_new(o, "sharing_agreement_ids", json_array());
	json_object_set_new(o, "custom_status_id",
			    json_integer(361000000300LL + ticket_state_at(t, now_ms)));
	json_object_set_new(o, "fields", fields_json(w, t));
	json_object_set_new(o, "followup_ids", json_array());
	json_object_set_new(o, "ticket_form_id", json_integer(361000000401LL));
	json_object_set_new(o, "brand_id", json_integer(361000000501LL));
	json_object_set_new(o, "allow_channelback", json_false());
	json_object_set_new(o, "allow_attachments", json_true());
	json_object_set_new(o, "from_messaging_channel", json_false());
	if (include & INC_SLAS)
		json_object_set_new(o, "slas", slas_json(t, now_ms));
	if (include & INC_METRIC_EVENTS)
		json_object_set_new(o, "metric_events", metric_events_json(t, now));
	json_object_set_new(o, "generated_timestamp", json_integer(ticket_updated_at(t, now_ms)));
	return o;
}

static void
add_user(const struct sim *sim, json_t *users, const char *name, bool agent)
{
	const struct world *w = &sim->world;
	json_int_t id = user_id(w, name);
	json_t *u, *o;
	size_t i;
	char path[64], *text;

	json_array_foreach(users, i, u)
	{
		if (json_integer_value(json_object_get(u, "id")) == id)
			return;
	}
	o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	snprintf(path, sizeof(path), "/api/v2/users/%lld.json", (long long)id);
	text = api_url(sim, path);
	json_object_set_new(o, "url", json_string(text));
	free(text);
	json_object_set_new(o, "name", json_string(name));
	text = strchr(name, '@') ? xstrdup(name) : xasprintf("%s@acme.zendesk.example", name);
	json_object_set_new(o, "email", json_string(text));
	free(text);
	json_object_set_new(o, "created_at", json_time(w->origin - 400 * DAY));
	json_object_set_new(o, "updated_at", json_time(w->origin - 400 * DAY));
	json_object_set_new(o, "time_zone", json_string("UTC"));
	json_object_set_new(o, "role", json_string(agent ? "agent" : "end-user"));
	json_object_set_new(o, "active", json_true());
	json_object_set_new(o, "verified", json_true());
	json_array_append_new(users, o);
}

static void
add_ticket_users(const struct sim *sim, json_t *users, const struct ticket *t, int64_t now)
{
	add_user(sim, users, t->requester, false);
	if (assigned(t, now))
		add_user(sim, users, t->assignee, true);
}

/* ---- requests ---- */

/* Fills *include from the include parameter; false (answered) on one the API refuses. */
static bool
read_include(const struct sim_request *req, unsigned *include, struct sim_response *resp)
{
	const char *p = params_get(&req->params, "include");

	*include = 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n == 11 && strncmp(p, "metric_sets", n) == 0)
			*include |= INC_METRIC_SETS;
		else if (n == 4 && strncmp(p, "slas", n) == 0)
			*include |= INC_SLAS;
		else if (n == 13 && strncmp(p, "metric_events", n) == 0)
			*include |= INC_METRIC_EVENTS;
		else if (n == 5 && strncmp(p, "users", n) == 0)
			*include |= INC_USERS;
		else if (n == 11 && strncmp(p, "last_audits", n) == 0) {
			zd_error(resp, 400, "InvalidValue",
				 "last_audits sideloads are not supported by incremental exports");
			return false;
		}
		p += n + (p[n] == ',');
	}
	return true;
}

/* The export's tickets at now: Zendesk tickets with their generated timestamp, in
 * export order. */
struct zd_row {
	size_t ticket;
	int64_t ts;
	uint64_t id;
};

static int
compare_rows(const void *x, const void *y)
{
	const struct zd_row *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static struct zd_row *
export_rows(const struct world *w, int64_t now_ms, size_t *n)
{
	struct zd_row *rows = xcalloc(w->n_tickets + 1, sizeof(*rows));
	int64_t cutoff = floor_div(now_ms, 1000) - MINUTE;

	*n = 0;
	for (size_t i = 0; i < w->n_tickets; i++) {
		const struct ticket *t = &w->tickets[i];
		int64_t ts;

		if (t->system != TICKET_ZENDESK || !ticket_exists(t, now_ms))
			continue;
		ts = ticket_updated_at(t, now_ms);
		/* The last minute's changes are not exported yet. */
		if (ts > cutoff)
			continue;
		rows[(*n)++] = (struct zd_row){ i, ts, t->number };
	}
	qsort(rows, *n, sizeof(*rows), compare_rows);
	return rows;
}

static bool
param_integer(const char *text, long long *out)
{
	char *end;

	if (!text || !*text)
		return false;
	*out = strtoll(text, &end, 10);
	return *end == '\0';
}

static char *
page_url(const struct sim *sim, const struct sim_request *req, const char *cursor)
{
	const char *per_page = params_get(&req->params, "per_page");
	const char *include = params_get(&req->params, "include");
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b,
		   "http://127.0.0.1:%u" PREFIX "/api/v2/incremental/tickets/cursor.json?cursor=",
		   (unsigned int)sim->port);
	wire_urlencode(&b, cursor);
	if (per_page) {
		buf_addstr(&b, "&per_page=");
		wire_urlencode(&b, per_page);
	}
	if (include) {
		buf_addstr(&b, "&include=");
		wire_urlencode(&b, include);
	}
	return buf_detach(&b);
}

/* Where the request starts: after its cursor, or at start_time. false: answered. */
static bool
export_start(const struct sim_request *req, int64_t now, struct zd_pos *pos,
	     struct sim_response *resp)
{
	const char *cursor = params_get(&req->params, "cursor");
	const char *start = params_get(&req->params, "start_time");
	long long t;

	if (cursor) {
		if (cursor_decode(cursor, pos))
			return true;
		zd_error(resp, 400, "InvalidPaginationParameter", "cursor is invalid");
		return false;
	}
	if (!start) {
		zd_error(resp, 400, "InvalidValue", "start_time or cursor is required");
		return false;
	}
	if (!param_integer(start, &t) || t < 0) {
		zd_error(resp, 400, "InvalidValue", "start_time must be a Unix epoch time");
		return false;
	}
	if (t > now - MINUTE) {
		zd_error(resp, 400, "InvalidValue",
			 "start_time must be at least one minute in the past");
		return false;
	}
	/* after (t - 1, the largest id): every ticket generated at t or later */
	pos->ts = t - 1;
	pos->id = UINT64_MAX;
	return true;
}

static void
export_tickets(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const struct world *w = &sim->world;
	int64_t now_ms = sim_clock_now(&sim->clock), now = floor_div(now_ms, 1000);
	const char *per_page = params_get(&req->params, "per_page");
	long long limit = PER_PAGE_MAX;
	json_t *root, *tickets, *sets = json_array(), *users = json_array();
	struct zd_pos pos, after;
	struct zd_row *rows;
	size_t n, k = 0, end;
	unsigned include;
	char *cursor, *url;
	bool eos;

	if (per_page && (!param_integer(per_page, &limit) || limit < 1 || limit > PER_PAGE_MAX)) {
		zd_error(resp, 400, "InvalidValue", "per_page must be between 1 and 1000");
		goto out;
	}
	if (!read_include(req, &include, resp) || !export_start(req, now, &pos, resp))
		goto out;
	rows = export_rows(w, now_ms, &n);
	while (k < n && !pos_after(rows[k].ts, rows[k].id, pos))
		k++;
	end = k + (size_t)(limit < PAGE_MAX ? limit : PAGE_MAX);
	end = end < n ? end : n;
	tickets = json_array();
	for (size_t i = k; i < end; i++) {
		const struct ticket *t = &w->tickets[rows[i].ticket];

		json_array_append_new(tickets, ticket_json(sim, t, now_ms, include));
		if (include & INC_METRIC_SETS)
			json_array_append_new(sets, metric_set_json(sim, t, now_ms));
		if (include & INC_USERS)
			add_ticket_users(sim, users, t, now);
	}
	after = end > k ? (struct zd_pos){ rows[end - 1].ts, rows[end - 1].id } : pos;
	eos = end >= n;
	if (req->stuck_cursor) {
		after = pos;
		eos = false;
	}
	root = json_object();
	json_object_set_new(root, "tickets", tickets);
	if (include & INC_METRIC_SETS)
		json_object_set(root, "metric_sets", sets);
	if (include & INC_USERS)
		json_object_set(root, "users", users);
	cursor = cursor_encode(after);
	url = page_url(sim, req, cursor);
	json_object_set_new(root, "after_url", json_string(url));
	json_object_set_new(root, "after_cursor", json_string(cursor));
	free(url);
	free(cursor);
	if (params_get(&req->params, "cursor")) {
		cursor = cursor_encode(pos);
		url = page_url(sim, req, cursor);
		json_object_set_new(root, "before_url", json_string(url));
		json_object_set_new(root, "before_cursor", json_string(cursor));
		free(url);
		free(cursor);
	} else {
		json_object_set_new(root, "before_url", json_null());
		json_object_set_new(root, "before_cursor", json_null());
	}
	json_object_set_new(root, "end_of_stream", json_boolean(eos));
	response_json(resp, 200, root);
	resp->etag = true;
	rate_headers(resp);
	free(rows);
out:
	json_decref(sets);
	json_decref(users);
}

/* The ticket a route's id names, if it exists by now; else answered with a 404. */
static const struct ticket *
find_ticket(struct sim *sim, const char *id, size_t len, struct sim_response *resp)
{
	int64_t now_ms = sim_clock_now(&sim->clock);
	char text[24];
	long i;

	if (len == 0 || len >= sizeof(text) || strspn(id, "0123456789") < len) {
		zd_error(resp, 404, "RecordNotFound", "Not found");
		return NULL;
	}
	memcpy(text, id, len);
	text[len] = '\0';
	i = world_ticket(&sim->world, TICKET_ZENDESK, text);
	if (i < 0 || !ticket_exists(&sim->world.tickets[i], now_ms)) {
		zd_error(resp, 404, "RecordNotFound", "Not found");
		return NULL;
	}
	return &sim->world.tickets[i];
}

static void
show_ticket(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	    const struct ticket *t)
{
	int64_t now_ms = sim_clock_now(&sim->clock);
	json_t *root = json_object(), *users;
	unsigned include;

	if (!read_include(req, &include, resp)) {
		json_decref(root);
		return;
	}
	/* Show Ticket's own sideloads: slas and metric_sets, users; no metric events. */
	json_object_set_new(root, "ticket",
			    ticket_json(sim, t, now_ms, include & ~(unsigned)INC_METRIC_EVENTS));
	if (include & INC_METRIC_SETS) {
		users = json_array();
		json_array_append_new(users, metric_set_json(sim, t, now_ms));
		json_object_set_new(root, "metric_sets", users);
	}
	if (include & INC_USERS) {
		users = json_array();
		add_ticket_users(sim, users, t, floor_div(now_ms, 1000));
		json_object_set_new(root, "users", users);
	}
	response_json(resp, 200, root);
	resp->etag = true;
	rate_headers(resp);
}

static void
show_metrics(struct sim *sim, struct sim_response *resp, const struct ticket *t)
{
	json_t *root = json_object();

	json_object_set_new(root, "ticket_metric",
			    metric_set_json(sim, t, sim_clock_now(&sim->clock)));
	response_json(resp, 200, root);
	resp->etag = true;
	rate_headers(resp);
}

static void
list_policies(struct sim *sim, struct sim_response *resp)
{
	size_t n;
	const struct sla_definition *d = sla_definitions(TICKET_ZENDESK, &n);
	json_t *root = json_object(), *list = json_array(), *p = json_object();
	json_t *metrics = json_array(), *filter = json_object();
	char *url = api_url(sim, "/api/v2/slas/policies/360000111222.json");

	json_object_set_new(p, "url", json_string(url));
	free(url);
	json_object_set_new(p, "id", json_integer(POLICY_ID));
	json_object_set_new(p, "title", json_string(POLICY_TITLE));
	json_object_set_new(p, "description", json_string("Customer-facing incidents"));
	json_object_set_new(p, "position", json_integer(1));
	json_object_set_new(filter, "all", json_array());
	json_object_set_new(filter, "any", json_array());
	json_object_set_new(p, "filter", filter);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object();

		json_object_set_new(m, "priority",
				    json_string(zendesk_priority_name(d[i].priority)));
		json_object_set_new(m, "metric", json_string(sla_metric_name(d[i].metric)));
		json_object_set_new(m, "target", json_integer(d[i].target / MINUTE));
		json_object_set_new(m, "business_hours", json_boolean(d[i].business));
		json_array_append_new(metrics, m);
	}
	json_object_set_new(p, "policy_metrics", metrics);
	json_object_set_new(p, "created_at", json_time(sim->world.origin - 90 * DAY));
	json_object_set_new(p, "updated_at", json_time(sim->world.origin - 90 * DAY));
	json_array_append_new(list, p);
	json_object_set_new(root, "sla_policies", list);
	json_object_set_new(root, "next_page", json_null());
	json_object_set_new(root, "previous_page", json_null());
	json_object_set_new(root, "count", json_integer(1));
	response_json(resp, 200, root);
	resp->etag = true;
	rate_headers(resp);
}

void
zendesk_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	char route[256];
	size_t len = strlen(req->route);
	bool get = streq(req->method, "GET") || streq(req->method, "HEAD");
	const char *id, *slash;

	/* ".json" is optional on every route. */
	if (len >= sizeof(route)) {
		zd_error(resp, 404, "InvalidEndpoint", "Not found");
		return;
	}
	memcpy(route, req->route, len + 1);
	if (len > 5 && streq(route + len - 5, ".json"))
		route[len - 5] = '\0';
	if (!get && strncmp(route, "/api/v2/", 8) == 0) {
		zd_error(resp, 405, "InvalidEndpoint", "sitrep-sim: the API is read-only here");
	} else if (streq(route, "/api/v2/incremental/tickets/cursor")) {
		export_tickets(sim, req, resp);
	} else if (streq(route, "/api/v2/slas/policies")) {
		list_policies(sim, resp);
	} else if (strncmp(route, "/api/v2/tickets/", 16) == 0) {
		const struct ticket *t;

		id = route + 16;
		slash = strchr(id, '/');
		if (!(t = find_ticket(sim, id, slash ? (size_t)(slash - id) : strlen(id), resp)))
			return;
		if (!slash)
			show_ticket(sim, req, resp, t);
		else if (streq(slash, "/metrics"))
			show_metrics(sim, resp, t);
		else
			zd_error(resp, 404, "InvalidEndpoint", "Not found");
	} else {
		zd_error(resp, 404, "InvalidEndpoint", "Not found");
	}
}
