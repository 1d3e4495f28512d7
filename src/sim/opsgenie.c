/* opsgenie.c - the Opsgenie Alert API v2 dialect (/v2/alerts, /v2/alerts/count,
 * /v2/alerts/{id}, its logs, acknowledge and request status): the scenario's
 * incidents as the alerts Opsgenie would have made of them, plus the routine alerts
 * of every service around the clock (disk, queue, certificate, restarts...), a week
 * and a half of them around --start, so that a client really pages: several
 * hundred alerts exist at --start, 100 a page at most.
 *
 * Everything is derived from the immutable world, the seed and the clock, for each
 * request: an alert exists from its createdAt; its ack and close appear when the
 * clock passes them, and move updatedAt. What clients trip on is reproduced on
 * purpose (monitoring-ticketing.md 2 and 9): report.ackTime and closeTime are
 * elapsed milliseconds; `report` is absent until an ack or close; `acknowledged` is
 * false again once an alert closed; fraction digits vary ("...:10.17Z", none when
 * zero); paging.next is an absolute URL (this simulator's own base, so a client
 * following it stays on loopback) and the X-Paging-* headers repeat it.
 *
 * Of the writes, acknowledge is served (POST /v2/alerts/{id}/acknowledge): it
 * answers 202 and a requestId whatever becomes of it, as Opsgenie processes writes
 * later; GET /v2/alerts/requests/{requestId} says "not processed yet" (404,
 * X-Opsgenie-Errortype RequestNotProcessed) the first time it is asked, then the
 * outcome ("Alert does not exist", "Alert is already closed", or done). A done
 * acknowledge is kept (acks.c) and changes the alert from then on: report.ackTime,
 * acknowledgedBy (the request's user), `acknowledged`, updatedAt, and its
 * /v2/alerts/{id}/logs.
 *
 * The query language is the documented subset a client needs: clauses joined by
 * AND, each FIELD OP VALUE with OP one of : = > >= < <=, over createdAt, updatedAt
 * and lastOccurredAt (epoch ms), status, priority, acknowledged and tag. updatedAt
 * is not among the vendor's documented fields; it is accepted here because sitrep
 * syncs with it. The stuck_cursor fault returns paging.next equal to the request's
 * own URL. Runs under sim->lock.
 *
 * A client syncing asks for updatedAt>=X sorted by updatedAt, page after page: that
 * listing is served from the alerts at the clock's instant sorted once (the cache),
 * so that a world of a hundred thousand alerts pages in time linear in the pages. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <strings.h>

#define PREFIX "/opsgenie"
#define MAX_LIMIT 100
#define DEFAULT_LIMIT 20
/* Routine alerts: one chance an hour per service, from a week before --start to
 * three days after. */
#define NOISE_HOURS_BEFORE (7 * 24)
#define NOISE_HOURS_AFTER (3 * 24)
#define NOISE_PERCENT 80
#define MINUTE_MS 60000LL
#define HOUR_MS 3600000LL

/* One alert's whole life; what the API shows of it depends on the clock. */
struct og_alert {
	char id[40];
	char alias[64];
	char *message; /* owned */
	const char *description;
	const char *service;
	const char *priority;
	const char *acked_by;
	const char *closed_by;
	const char *tag;		      /* a second tag besides service:X */
	const char *ack_note;		      /* a client's acknowledge: its note, or "" */
	int64_t created_ms, ack_ms, close_ms; /* TIME_NONE when it never happens */
	unsigned int count;
	unsigned long tiny;
	/* at the request's clock */
	int64_t updated_ms, last_ms;
	bool acked, closed;
};

struct og_list {
	struct og_alert *items;
	size_t n, alloc;
};

static void
list_release(struct og_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].message);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void
uuid_of(uint64_t seed, const char *what, uint64_t n, char *buf, size_t size)
{
	uint64_t a = sim_hash(seed, what, n), b = sim_hash(seed, what, n + 0x5bd1e995);

	snprintf(buf, size, "%08x-%04x-4%03x-%04x-%012llx", (unsigned int)(a >> 32),
		 (unsigned int)(a >> 16) & 0xffff, (unsigned int)a & 0xfff,
		 (unsigned int)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffULL));
}

void
opsgenie_alert_id(const struct world *w, size_t i, char *buf, size_t size)
{
	uuid_of(w->seed, "opsgenie-alert", i, buf, size);
}

/* Who is on call for a service: whoever acknowledged its scenario incidents. */
static const char *
oncall(const struct world *w, size_t service)
{
	for (size_t i = 0; i < w->n_incidents; i++)
		if (w->incidents[i].service == service && w->incidents[i].acked_by)
			return w->incidents[i].acked_by;
	return "oncall";
}

static struct og_alert *
list_add(struct og_list *l)
{
	struct og_alert *a;

	l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
	a = &l->items[l->n++];
	memset(a, 0, sizeof(*a));
	a->ack_ms = a->close_ms = TIME_NONE;
	a->count = 1;
	return a;
}

static const char *
incident_priority(const struct incident *in)
{
	switch (in->severity) {
	case SEVERITY_CRITICAL:
		return in->symptom == SYMPTOM_OUTAGE ? "P1" : "P2";
	case SEVERITY_WARNING:
		return "P3";
	case SEVERITY_INFO:
		break;
	}
	return "P5";
}

/* The scenario's incidents, as the Prometheus integration opened them. */
static void
add_incidents(const struct world *w, struct og_list *l)
{
	for (size_t i = 0; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		int64_t phase = in->phase_ns / 1000000;
		struct og_alert *a = list_add(l);

		opsgenie_alert_id(w, i, a->id, sizeof(a->id));
		snprintf(a->alias, sizeof(a->alias), "%s-%s", in->alertname,
			 w->services[in->service].name);
		a->message = xstrdup(in->title);
		a->description = in->description;
		a->service = w->services[in->service].name;
		a->priority = incident_priority(in);
		a->tag = severity_name(in->severity);
		a->created_ms = in->fire * 1000 + phase;
		if (in->ack != TIME_NONE)
			a->ack_ms = in->ack * 1000 + phase;
		if (in->resolve != TIME_NONE)
			a->close_ms = in->resolve * 1000 + phase;
		a->acked_by = in->acked_by ? in->acked_by : oncall(w, in->service);
		/* The integration closes the alert when Alertmanager says resolved. */
		a->closed_by = "Prometheus";
	}
}

/* What a service's routine alerts say; node picks one of its pods or disks. */
static char *
noise_message(const char *s, uint64_t r)
{
	unsigned int node = (unsigned int)(r >> 32) % 12 + 1;

	switch (r % 6) {
	case 0:
		return xasprintf("%s: disk usage above 80%% on %s-db-%u", s, s, node);
	case 1:
		return xasprintf("%s: TLS certificate of %s.example.com expires in 14 days", s, s);
	case 2:
		return xasprintf("%s: queue depth above 1000 for 5 minutes", s);
	case 3:
		return xasprintf("%s: pod %s-%u restarted 3 times in 10 minutes", s, s, node);
	case 4:
		return xasprintf("%s: synthetic check slower than 2 s from eu-west-1", s);
	default:
		return xasprintf("%s: error budget burn rate above 2x over 6 h", s);
	}
}

static const char *
noise_priority(uint64_t r)
{
	r %= 100;
	return r < 4 ? "P2" : r < 30 ? "P3" : r < 75 ? "P4" : "P5";
}

/* The routine alerts of service s: at most one an hour, each acked within half an
 * hour (most of them) and closed within hours (nearly all); a few stay open. */
static void
add_noise(const struct world *w, size_t s, struct og_list *l)
{
	const char *name = w->services[s].name;
	int64_t origin_ms = w->origin * 1000;

	for (int64_t k = -NOISE_HOURS_BEFORE; k < NOISE_HOURS_AFTER; k++) {
		uint64_t slot = (uint64_t)(k + NOISE_HOURS_BEFORE) * 16;
		uint64_t r[8];
		struct og_alert *a;
		int64_t from;

		for (size_t j = 0; j < ARRAY_SIZE(r); j++)
			r[j] = sim_hash(w->seed, name, slot + j);
		if (r[0] % 100 >= NOISE_PERCENT)
			continue;
		a = list_add(l);
		uuid_of(w->seed, name, slot, a->id, sizeof(a->id));
		snprintf(a->alias, sizeof(a->alias), "%s-routine-%012llx", name,
			 (unsigned long long)(r[1] & 0xffffffffffffULL));
		a->message = noise_message(name, r[2]);
		a->service = name;
		a->priority = noise_priority(r[3]);
		a->tag = "routine";
		a->created_ms = origin_ms + k * HOUR_MS + (int64_t)(r[4] % (uint64_t)HOUR_MS);
		a->count = 1 + (unsigned int)(r[1] >> 60) % 4;
		a->acked_by = oncall(w, s);
		from = a->created_ms;
		if (r[5] % 100 < 70) {
			a->ack_ms = a->created_ms + 30000 + (int64_t)(r[5] >> 8) % (30 * MINUTE_MS);
			from = a->ack_ms;
		}
		if (r[6] % 100 < 93) {
			a->close_ms = from + 2 * MINUTE_MS + (int64_t)(r[6] >> 8) % (3 * HOUR_MS);
			a->closed_by = a->ack_ms != TIME_NONE && r[7] % 100 < 60 ? a->acked_by
										 : "Prometheus";
		}
	}
}

static int
compare_created(const void *x, const void *y)
{
	const struct og_alert *a = x, *b = y;

	if (a->created_ms != b->created_ms)
		return a->created_ms < b->created_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* An alert re-sent while open counts once a minute up to its count: the repeats
 * that happened by now (and before its close) show in count, lastOccurredAt and
 * updatedAt. */
static void
occurrences(struct og_alert *a, int64_t now)
{
	int64_t until = a->closed ? a->close_ms : now;
	int64_t extra = (int64_t)a->count - 1;

	if (a->created_ms + extra * MINUTE_MS > until)
		extra = (until - a->created_ms) / MINUTE_MS;
	a->count = 1 + (unsigned int)extra;
	a->last_ms = a->created_ms + extra * MINUTE_MS;
	a->updated_ms = a->last_ms;
}

/* The acknowledges clients made (POST .../acknowledge), over the world's own: an
 * ack earlier than the alert's own, and before its close, becomes its ack. */
static void
apply_acks(const struct sim *sim, struct og_list *l)
{
	for (const struct sim_ack *k = sim_ack_next(sim, "opsgenie", NULL); k;
	     k = sim_ack_next(sim, "opsgenie", k)) {
		for (size_t i = 0; k->ok && i < l->n; i++) {
			struct og_alert *a = &l->items[i];

			if (!streq(a->id, k->target))
				continue;
			if ((a->ack_ms == TIME_NONE || a->ack_ms > k->at_ms) &&
			    (a->close_ms == TIME_NONE || a->close_ms > k->at_ms)) {
				a->ack_ms = k->at_ms;
				a->acked_by = k->user;
				a->ack_note = k->note ? k->note : "";
			}
			break;
		}
	}
}

/* Every alert that exists at now, with its state at now, oldest first. */
static void
collect(const struct sim *sim, int64_t now, struct og_list *out)
{
	const struct world *w = &sim->world;
	struct og_list all = { 0 };
	size_t kept = 0;

	memset(out, 0, sizeof(*out));
	add_incidents(w, &all);
	for (size_t s = 0; s < w->n_services; s++)
		add_noise(w, s, &all);
	if (all.n > 1)
		qsort(all.items, all.n, sizeof(*all.items), compare_created);
	apply_acks(sim, &all);
	for (size_t i = 0; i < all.n; i++) {
		struct og_alert *a = &all.items[i];

		/* tinyId counts every alert ever made, as the account's counter does. */
		a->tiny = (unsigned long)i + 1;
		if (a->created_ms > now) {
			free(a->message);
			continue;
		}
		a->acked = a->ack_ms != TIME_NONE && a->ack_ms <= now;
		a->closed = a->close_ms != TIME_NONE && a->close_ms <= now;
		occurrences(a, now);
		if (a->acked && a->ack_ms > a->updated_ms)
			a->updated_ms = a->ack_ms;
		if (a->closed && a->close_ms > a->updated_ms)
			a->updated_ms = a->close_ms;
		all.items[kept++] = *a;
	}
	all.n = kept;
	*out = all;
}

/* ---- the query language ---------------------------------------------------------- */

enum og_op {
	OP_EQ,
	OP_GT,
	OP_GE,
	OP_LT,
	OP_LE,
};

struct clause {
	char field[32];
	enum og_op op;
	char value[96];
};

struct og_query {
	struct clause items[8];
	size_t n;
};

static bool
parse_clause(const char *text, size_t len, struct clause *c, char *err, size_t err_size)
{
	static const char *const fields[] = { "createdAt", "updatedAt", "lastOccurredAt",
					      "status",	   "priority",	"acknowledged",
					      "tag",	   "tags" };
	const char *p = text, *end = text + len;
	size_t n = 0, i;

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '.'))
		n++;
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i]) == n && strncmp(p, fields[i], n) == 0)
			break;
	if (n == 0 || i == ARRAY_SIZE(fields)) {
		snprintf(err, err_size, "Invalid query: unknown field in '%.*s'", (int)(end - text),
			 text);
		return false;
	}
	snprintf(c->field, sizeof(c->field), "%s", fields[i]);
	for (p += n; p < end && isspace((unsigned char)*p);)
		p++;
	if (p + 1 < end && (p[0] == '>' || p[0] == '<') && p[1] == '=') {
		c->op = p[0] == '>' ? OP_GE : OP_LE;
		p += 2;
	} else if (p < end && (*p == '>' || *p == '<' || *p == ':' || *p == '=')) {
		c->op = *p == '>' ? OP_GT : *p == '<' ? OP_LT : OP_EQ;
		p++;
	} else {
		snprintf(err, err_size, "Invalid query: no operator after '%s'", c->field);
		return false;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || (size_t)(end - p) >= sizeof(c->value)) {
		snprintf(err, err_size, "Invalid query: no value for '%s'", c->field);
		return false;
	}
	snprintf(c->value, sizeof(c->value), "%.*s", (int)(end - p), p);
	return true;
}

/* Clauses joined by AND (any case); nothing else of the vendor's grammar. */
static bool
query_parse(const char *text, struct og_query *q, char *err, size_t err_size)
{
	const char *p = text;

	memset(q, 0, sizeof(*q));
	while (p && *p) {
		const char *and = p, *next = NULL;

		for (; *and; and++) {
			if (isspace((unsigned char)and[0]) && strncasecmp(and+1, "AND", 3) == 0 &&
			    isspace((unsigned char)and[4])) {
				next = and+5;
				break;
			}
		}
		if (q->n == ARRAY_SIZE(q->items)) {
			snprintf(err, err_size, "Invalid query: too many conditions");
			return false;
		}
		if (!parse_clause(p, (size_t)(and-p), &q->items[q->n++], err, err_size))
			return false;
		p = next;
	}
	return true;
}

static bool
compare_ms(int64_t have, enum og_op op, const char *value, bool *ok)
{
	char *end;
	long long want = strtoll(value, &end, 10);

	if (*end != '\0') {
		*ok = false;
		return false;
	}
	switch (op) {
	case OP_EQ:
		return have == want;
	case OP_GT:
		return have > want;
	case OP_GE:
		return have >= want;
	case OP_LT:
		return have < want;
	case OP_LE:
		return have <= want;
	}
	return false;
}

/* Whether a matches every clause; *ok false with err set on a value of the wrong
 * kind (a date that is not epoch ms, a comparison of text). */
static bool
query_matches(const struct og_query *q, const struct og_alert *a, bool *ok)
{
	for (size_t i = 0; i < q->n; i++) {
		const struct clause *c = &q->items[i];
		bool text = !strstr(c->field, "At");

		if (text && c->op != OP_EQ) {
			*ok = false;
			return false;
		}
		if (streq(c->field, "createdAt") && !compare_ms(a->created_ms, c->op, c->value, ok))
			return false;
		if (streq(c->field, "updatedAt") && !compare_ms(a->updated_ms, c->op, c->value, ok))
			return false;
		if (streq(c->field, "lastOccurredAt") &&
		    !compare_ms(a->last_ms, c->op, c->value, ok))
			return false;
		if (streq(c->field, "status") &&
		    strcasecmp(c->value, a->closed ? "closed" : "open") != 0)
			return false;
		if (streq(c->field, "priority") && strcasecmp(c->value, a->priority) != 0)
			return false;
		if (streq(c->field, "acknowledged") &&
		    strcasecmp(c->value, a->acked && !a->closed ? "true" : "false") != 0)
			return false;
		if ((streq(c->field, "tag") || streq(c->field, "tags")) &&
		    !(strncmp(c->value, "service:", 8) == 0 ? streq(c->value + 8, a->service)
							    : streq(c->value, a->tag)))
			return false;
	}
	return true;
}

/* ---- the wire ------------------------------------------------------------------- */

/* ISO 8601 UTC with milliseconds, trailing zeros of the fraction dropped, as the
 * API writes them. */
static json_t *
og_time(int64_t ms)
{
	char text[WIRE_TIME_SIZE];
	char *dot, *end;

	wire_time_ms(ms, text, sizeof(text)); /* "...:SS.mmmZ" */
	dot = strchr(text, '.');
	end = dot + strlen(dot) - 1; /* the Z */
	while (end > dot + 1 && end[-1] == '0')
		end--;
	if (end == dot + 1)
		end = dot;
	memmove(end, "Z", 2);
	return json_string(text);
}

static json_t *
alert_json(const struct world *w, const struct og_alert *a, bool detail)
{
	json_t *o = json_object(), *tags = json_array(), *responders = json_array();
	json_t *team = json_object(), *integration = json_object();
	char text[64];

	json_object_set_new(o, "id", json_string(a->id));
	snprintf(text, sizeof(text), "%lu", a->tiny);
	json_object_set_new(o, "tinyId", json_string(text));
	json_object_set_new(o, "alias", json_string(a->alias));
	json_object_set_new(o, "message", json_string(a->message));
	json_object_set_new(o, "status", json_string(a->closed ? "closed" : "open"));
	json_object_set_new(o, "acknowledged", json_boolean(a->acked && !a->closed));
	json_object_set_new(o, "isSeen", json_boolean(a->acked || a->closed));
	snprintf(text, sizeof(text), "service:%s", a->service);
	json_array_append_new(tags, json_string(text));
	json_array_append_new(tags, json_string(a->tag));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "snoozed", json_false());
	json_object_set_new(o, "count", json_integer(a->count));
	json_object_set_new(o, "lastOccurredAt", og_time(a->last_ms));
	json_object_set_new(o, "createdAt", og_time(a->created_ms));
	json_object_set_new(o, "updatedAt", og_time(a->updated_ms));
	json_object_set_new(o, "source", json_string("Prometheus"));
	json_object_set_new(o, "owner", json_string(a->acked ? a->acked_by : ""));
	json_object_set_new(o, "priority", json_string(a->priority));
	uuid_of(w->seed, "opsgenie-team", (uint64_t)world_service(w, a->service), text,
		sizeof(text));
	json_object_set_new(team, "type", json_string("team"));
	json_object_set_new(team, "id", json_string(text));
	json_array_append_new(responders, team);
	json_object_set_new(o, "responders", responders);
	uuid_of(w->seed, "opsgenie-integration", 0, text, sizeof(text));
	json_object_set_new(integration, "id", json_string(text));
	json_object_set_new(integration, "name", json_string("Prometheus"));
	json_object_set_new(integration, "type", json_string("Prometheus"));
	json_object_set_new(o, "integration", integration);
	if (a->acked || a->closed) {
		json_t *report = json_object();

		if (a->acked)
			json_object_set_new(report, "ackTime",
					    json_integer((json_int_t)(a->ack_ms - a->created_ms)));
		if (a->closed)
			json_object_set_new(
				report, "closeTime",
				json_integer((json_int_t)(a->close_ms - a->created_ms)));
		if (a->acked)
			json_object_set_new(report, "acknowledgedBy", json_string(a->acked_by));
		if (a->closed)
			json_object_set_new(report, "closedBy", json_string(a->closed_by));
		json_object_set_new(o, "report", report);
	}
	/* One alert by id shows what the list leaves out. */
	if (detail) {
		json_object_set_new(o, "actions", json_array());
		json_object_set_new(o, "entity", json_string(a->service));
		json_object_set_new(o, "description",
				    json_string(a->description ? a->description : ""));
		json_object_set_new(o, "details", json_object());
	}
	return o;
}

/* took and requestId, as every answer carries them; both a function of the
 * request and the clock, so two simulators answer alike. */
static void
envelope_add(const struct sim *sim, const struct sim_request *req, json_t *o,
	     struct sim_response *resp)
{
	uint64_t h = sim_hash(sim->world.seed, req->path, (uint64_t)sim_clock_now(&sim->clock));
	char id[40];

	for (size_t i = 0; i < req->params.n; i++) {
		h = fnv64_add(h, req->params.items[i].key, strlen(req->params.items[i].key) + 1);
		h = fnv64_add(h, req->params.items[i].value,
			      strlen(req->params.items[i].value) + 1);
	}
	uuid_of(h, "opsgenie-request", 0, id, sizeof(id));
	json_object_set_new(o, "took", json_real((double)(5 + h % 60) / 1000.0));
	json_object_set_new(o, "requestId", json_string(id));
	response_header(resp, "X-Request-ID", id);
}

static void
og_error(const struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	 unsigned int status, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "message", json_string(message));
	envelope_add(sim, req, o, resp);
	response_json(resp, status, o);
}

void
opsgenie_fault_body(struct sim_response *resp, unsigned int status)
{
	json_t *o;
	const char *msg = status == 401	  ? "Could not authenticate"
			  : status == 403 ? "You are not authorized for this operation"
			  : status == 404 ? "Not found"
			  : status == 429 ? "Request rate limit exceeded"
			  : status >= 500 ? "Internal Server Error"
					  : "sitrep-sim: injected fault";

	/* A gateway in front answers these with its own page. */
	if (status == 502 || status == 504 || status < 400) {
		response_gateway(resp, status);
		return;
	}
	o = json_object();
	json_object_set_new(o, "message", json_string(msg));
	json_object_set_new(o, "took", json_real(0.001));
	json_object_set_new(o, "requestId", json_string("00000000-0000-4000-8000-000000000000"));
	response_json(resp, status, o);
}

/* ---- GET /v2/alerts ------------------------------------------------------------- */

struct list_params {
	const char *query;
	struct og_query q;
	long offset, limit;
	bool by_updated, asc;
};

static bool
param_long(const struct params *p, const char *key, long fallback, long min, long max, long *out)
{
	const char *text = params_get(p, key);
	char *end;

	*out = fallback;
	if (!text)
		return true;
	*out = strtol(text, &end, 10);
	return *text && *end == '\0' && *out >= min && *out <= max;
}

static bool
list_params_init(const struct sim *sim, const struct sim_request *req, struct list_params *lp,
		 struct sim_response *resp)
{
	const char *sort = params_get(&req->params, "sort");
	const char *order = params_get(&req->params, "order");
	char err[200];

	memset(lp, 0, sizeof(*lp));
	lp->query = params_get(&req->params, "query");
	if (!query_parse(lp->query ? lp->query : "", &lp->q, err, sizeof(err))) {
		og_error(sim, req, resp, 422, err);
		return false;
	}
	if (!param_long(&req->params, "offset", 0, 0, 1000000000L, &lp->offset)) {
		og_error(sim, req, resp, 422, "Offset should be a non-negative integer");
		return false;
	}
	if (!param_long(&req->params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, &lp->limit)) {
		og_error(sim, req, resp, 422, "Limit should be between 1 and 100");
		return false;
	}
	if (sort && !streq(sort, "createdAt") && !streq(sort, "updatedAt")) {
		og_error(sim, req, resp, 422, "sitrep-sim: sort supports createdAt and updatedAt");
		return false;
	}
	if (order && !streq(order, "asc") && !streq(order, "desc")) {
		og_error(sim, req, resp, 422, "Order should be one of asc, desc");
		return false;
	}
	lp->by_updated = streq(sort, "updatedAt");
	lp->asc = streq(order, "asc");
	return true;
}

/* The alerts of the query, in place; false with the 422 answered. */
static bool
filter(const struct sim *sim, const struct sim_request *req, const struct og_query *q,
       struct og_list *l, struct sim_response *resp)
{
	size_t kept = 0;
	bool ok = true;

	for (size_t i = 0; i < l->n; i++) {
		if (query_matches(q, &l->items[i], &ok))
			l->items[kept++] = l->items[i];
		else
			free(l->items[i].message);
		if (!ok) {
			for (size_t j = i + 1; j < l->n; j++)
				free(l->items[j].message);
			l->n = kept;
			og_error(sim, req, resp, 422,
				 "Invalid query: dates are epoch milliseconds, text fields take "
				 "':'");
			return false;
		}
	}
	l->n = kept;
	return true;
}

static int
compare_updated(const void *x, const void *y)
{
	const struct og_alert *a = x, *b = y;

	if (a->updated_ms != b->updated_ms)
		return a->updated_ms < b->updated_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Ascending by the sort key (ties by id), then reversed for desc. */
static void
sort_alerts(struct og_list *l, bool by_updated, bool asc)
{
	if (l->n > 1 && by_updated)
		qsort(l->items, l->n, sizeof(*l->items), compare_updated);
	for (size_t i = 0; !asc && i < l->n / 2; i++) {
		struct og_alert t = l->items[i];

		l->items[i] = l->items[l->n - 1 - i];
		l->items[l->n - 1 - i] = t;
	}
}

/* An absolute URL of this simulator for the same list at another offset. */
static char *
page_url(const struct sim *sim, const struct sim_request *req, const struct list_params *lp,
	 long offset)
{
	const char *sort = params_get(&req->params, "sort");
	const char *order = params_get(&req->params, "order");
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "http://127.0.0.1:%u" PREFIX "%s?", (unsigned int)sim->port, req->route);
	if (lp->query) {
		buf_addstr(&b, "query=");
		wire_urlencode(&b, lp->query);
		buf_addch(&b, '&');
	}
	buf_printf(&b, "offset=%ld&limit=%ld&sort=", offset, lp->limit);
	wire_urlencode(&b, sort ? sort : "createdAt");
	buf_addstr(&b, "&order=");
	wire_urlencode(&b, order ? order : "desc");
	return buf_detach(&b);
}

/* The URL the client asked for, its parameters in the order they came. */
static char *
own_url(const struct sim *sim, const struct sim_request *req)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "http://127.0.0.1:%u%s", (unsigned int)sim->port, req->path);
	for (size_t i = 0; i < req->params.n; i++) {
		buf_addch(&b, i ? '&' : '?');
		wire_urlencode(&b, req->params.items[i].key);
		buf_addch(&b, '=');
		wire_urlencode(&b, req->params.items[i].value);
	}
	return buf_detach(&b);
}

static void
paging_add(json_t *paging, struct sim_response *resp, const char *key, const char *header,
	   char *url)
{
	json_object_set_new(paging, key, json_string(url));
	response_header(resp, header, url);
	free(url);
}

static json_t *
paging_json(const struct sim *sim, const struct sim_request *req, const struct list_params *lp,
	    size_t total, struct sim_response *resp)
{
	json_t *paging = json_object();
	long last = total > 0 ? (long)((total - 1) / (size_t)lp->limit) * lp->limit : 0;

	if (req->stuck_cursor)
		paging_add(paging, resp, "next", "X-Paging-Next", own_url(sim, req));
	else if ((size_t)(lp->offset + lp->limit) < total)
		paging_add(paging, resp, "next", "X-Paging-Next",
			   page_url(sim, req, lp, lp->offset + lp->limit));
	if (lp->offset > 0)
		paging_add(paging, resp, "prev", "X-Paging-Prev",
			   page_url(sim, req, lp,
				    lp->offset > lp->limit ? lp->offset - lp->limit : 0));
	paging_add(paging, resp, "first", "X-Paging-First", page_url(sim, req, lp, 0));
	paging_add(paging, resp, "last", "X-Paging-Last", page_url(sim, req, lp, last));
	return paging;
}

/* ---- the sync's listing, from the cache ---- */

struct opsgenie_cache {
	int64_t now;
	struct og_list by_updated;
};

void
opsgenie_release(struct sim *sim)
{
	if (!sim->opsgenie)
		return;
	list_release(&sim->opsgenie->by_updated);
	free(sim->opsgenie);
	sim->opsgenie = NULL;
}

/* Every alert at now, sorted by updatedAt (ties by id), as the general path would
 * sort them. */
static const struct og_list *
cached_by_updated(struct sim *sim, int64_t now)
{
	struct opsgenie_cache *c = sim->opsgenie;

	if (c && c->now == now)
		return &c->by_updated;
	opsgenie_release(sim);
	c = sim->opsgenie = xcalloc(1, sizeof(*c));
	c->now = now;
	collect(sim, now, &c->by_updated);
	sort_alerts(&c->by_updated, true, true);
	return &c->by_updated;
}

/* Whether the query is only updatedAt>=N (or >N) clauses; *since: the first
 * updatedAt they let through. */
static bool
updated_since(const struct og_query *q, int64_t *since)
{
	*since = INT64_MIN;
	for (size_t i = 0; i < q->n; i++) {
		const struct clause *c = &q->items[i];
		char *end;
		long long v;

		if (!streq(c->field, "updatedAt") || (c->op != OP_GE && c->op != OP_GT))
			return false;
		errno = 0;
		v = strtoll(c->value, &end, 10);
		if (*end != '\0' || errno || (c->op == OP_GT && v == LLONG_MAX))
			return false;
		if (c->op == OP_GT)
			v++;
		if (v > *since)
			*since = v;
	}
	return true;
}

static void
list_updated_since(struct sim *sim, const struct sim_request *req, const struct list_params *lp,
		   int64_t since, struct sim_response *resp)
{
	const struct og_list *l = cached_by_updated(sim, sim_clock_now(&sim->clock));
	size_t lo = 0, hi = l->n, total;
	json_t *root, *data;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->items[mid].updated_ms < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	total = l->n - lo;
	root = json_object();
	data = json_array();
	for (size_t i = (size_t)lp->offset; i < total && i < (size_t)(lp->offset + lp->limit); i++)
		json_array_append_new(data, alert_json(&sim->world, &l->items[lo + i], false));
	json_object_set_new(root, "data", data);
	json_object_set_new(root, "paging", paging_json(sim, req, lp, total, resp));
	envelope_add(sim, req, root, resp);
	response_json(resp, 200, root);
}

static void
list_alerts(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	struct list_params lp;
	struct og_list l;
	json_t *root, *data;
	int64_t since;

	if (!list_params_init(sim, req, &lp, resp))
		return;
	if (lp.by_updated && lp.asc && updated_since(&lp.q, &since)) {
		list_updated_since(sim, req, &lp, since, resp);
		return;
	}
	collect(sim, sim_clock_now(&sim->clock), &l);
	if (!filter(sim, req, &lp.q, &l, resp)) {
		list_release(&l);
		return;
	}
	/* collect() leaves them by createdAt already. */
	sort_alerts(&l, lp.by_updated, lp.asc);
	root = json_object();
	data = json_array();
	for (size_t i = (size_t)lp.offset; i < l.n && i < (size_t)(lp.offset + lp.limit); i++)
		json_array_append_new(data, alert_json(&sim->world, &l.items[i], false));
	json_object_set_new(root, "data", data);
	json_object_set_new(root, "paging", paging_json(sim, req, &lp, l.n, resp));
	envelope_add(sim, req, root, resp);
	response_json(resp, 200, root);
	list_release(&l);
}

static void
count_alerts(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *query = params_get(&req->params, "query");
	struct og_query q;
	struct og_list l;
	json_t *root, *data;
	char err[200];

	if (!query_parse(query ? query : "", &q, err, sizeof(err))) {
		og_error(sim, req, resp, 422, err);
		return;
	}
	collect(sim, sim_clock_now(&sim->clock), &l);
	if (!filter(sim, req, &q, &l, resp)) {
		list_release(&l);
		return;
	}
	root = json_object();
	data = json_object();
	json_object_set_new(data, "count", json_integer((json_int_t)l.n));
	json_object_set_new(root, "data", data);
	envelope_add(sim, req, root, resp);
	response_json(resp, 200, root);
	list_release(&l);
}

static bool
alert_is(const struct og_alert *a, const char *type, const char *ident)
{
	char tiny[24];

	if (type && streq(type, "tiny")) {
		snprintf(tiny, sizeof(tiny), "%lu", a->tiny);
		return streq(tiny, ident);
	}
	/* An alias names the open alert that has it, if any. */
	if (type && streq(type, "alias"))
		return streq(a->alias, ident) && !a->closed;
	return streq(a->id, ident);
}

/* GET /v2/alerts/{identifier}?identifierType=id|tiny|alias */
static void
one_alert(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	  const char *ident)
{
	const char *type = params_get(&req->params, "identifierType");
	struct og_list l;
	size_t i;
	char msg[200];

	if (type && !streq(type, "id") && !streq(type, "tiny") && !streq(type, "alias")) {
		og_error(sim, req, resp, 422, "Identifier type should be one of id, tiny, alias");
		return;
	}
	collect(sim, sim_clock_now(&sim->clock), &l);
	for (i = 0; i < l.n && !alert_is(&l.items[i], type, ident); i++)
		;
	if (i < l.n) {
		json_t *root = json_object();

		json_object_set_new(root, "data", alert_json(&sim->world, &l.items[i], true));
		envelope_add(sim, req, root, resp);
		response_json(resp, 200, root);
	} else {
		snprintf(msg, sizeof(msg), "Alert with id [%.120s] does not exist", ident);
		og_error(sim, req, resp, 404, msg);
	}
	list_release(&l);
}

static void
log_add(json_t *data, int64_t ms, const char *type, const char *owner, const char *text)
{
	json_t *o = json_object();
	char offset[64];

	snprintf(offset, sizeof(offset), "%lld_%lld000000", (long long)ms, (long long)ms);
	json_object_set_new(o, "log", json_string(text));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "owner", json_string(owner));
	json_object_set_new(o, "createdAt", og_time(ms));
	json_object_set_new(o, "offset", json_string(offset));
	json_array_append_new(data, o);
}

/* GET /v2/alerts/{identifier}/logs: what happened to the alert by now, oldest
 * first (AlertLog {log, type, owner, createdAt, offset}; one page). */
static void
alert_logs(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	   const char *ident, size_t ident_len)
{
	const char *type = params_get(&req->params, "identifierType");
	char *id = xstrndup(ident, ident_len), *text;
	struct og_list l;
	json_t *root, *data;
	size_t i;

	collect(sim, sim_clock_now(&sim->clock), &l);
	for (i = 0; i < l.n && !alert_is(&l.items[i], type, id); i++)
		;
	if (i == l.n) {
		text = xasprintf("Alert with id [%.120s] does not exist", id);
		og_error(sim, req, resp, 404, text);
		free(text);
	} else {
		const struct og_alert *a = &l.items[i];

		data = json_array();
		log_add(data, a->created_ms, "system", "System", "Alert created via Prometheus");
		if (a->acked) {
			/* A client's acknowledge came through the API, with its note. */
			text = xasprintf("Alert acknowledged via %s", a->ack_note ? "API" : "web");
			log_add(data, a->ack_ms, "system", a->acked_by, text);
			free(text);
			if (a->ack_note && *a->ack_note) {
				text = xasprintf("Note added: %s", a->ack_note);
				log_add(data, a->ack_ms, "alertNote", a->acked_by, text);
				free(text);
			}
		}
		if (a->closed)
			log_add(data, a->close_ms, "system", a->closed_by,
				"Alert closed via Prometheus");
		root = json_object();
		json_object_set_new(root, "data", data);
		envelope_add(sim, req, root, resp);
		response_json(resp, 200, root);
	}
	list_release(&l);
	free(id);
}

static uint64_t
acks_made(const struct sim *sim)
{
	uint64_t n = 0;

	for (const struct sim_ack *k = sim_ack_next(sim, "opsgenie", NULL); k;
	     k = sim_ack_next(sim, "opsgenie", k))
		n++;
	return n;
}

/* POST /v2/alerts/{identifier}/acknowledge: 202 and a requestId, whatever becomes
 * of it, as Opsgenie processes writes later; GET /v2/alerts/requests/{id} tells. */
static void
acknowledge(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	    const char *ident, size_t ident_len)
{
	const char *type = params_get(&req->params, "identifierType");
	int64_t now = sim_clock_now(&sim->clock);
	json_t *body = json_loadb(req->body, req->body_len, 0, NULL), *root;
	const char *user = json_string_value(json_object_get(body, "user"));
	const char *note = json_string_value(json_object_get(body, "note"));
	char *id = xstrndup(ident, ident_len);
	struct sim_ack *k;
	struct og_list l;
	size_t i;

	if (req->body_len && !json_is_object(body)) {
		og_error(sim, req, resp, 400, "Could not parse the request body");
	} else if (type && !streq(type, "id") && !streq(type, "tiny") && !streq(type, "alias")) {
		og_error(sim, req, resp, 422, "Identifier type should be one of id, tiny, alias");
	} else {
		collect(sim, now, &l);
		for (i = 0; i < l.n && !alert_is(&l.items[i], type, id); i++)
			;
		k = sim_ack_add(sim, "opsgenie", i < l.n ? l.items[i].id : id, now,
				user ? user : "API", note);
		if (i == l.n) {
			k->ok = false;
			k->status = "Alert does not exist";
		} else if (l.items[i].closed) {
			k->ok = false;
			k->status = "Alert is already closed";
		} else {
			k->status = "Acknowledged successfully";
		}
		uuid_of(sim_hash(sim->world.seed, k->target, (uint64_t)now), "opsgenie-ack-request",
			acks_made(sim), k->request, sizeof(k->request));
		list_release(&l);
		opsgenie_release(sim); /* the listing at now has changed */
		root = json_object();
		json_object_set_new(root, "result", json_string("Request will be processed"));
		json_object_set_new(root, "took", json_real(0.012));
		json_object_set_new(root, "requestId", json_string(k->request));
		response_header(resp, "X-Request-ID", k->request);
		response_json(resp, 202, root);
	}
	json_decref(body);
	free(id);
}

/* GET /v2/alerts/requests/{requestId}: not processed at the first asking (as a
 * busy Opsgenie answers), then the outcome. */
static void
request_status(struct sim *sim, const struct sim_request *req, struct sim_response *resp,
	       const char *rid)
{
	struct sim_ack *k = sim_ack_request(sim, "opsgenie", rid);
	json_t *root, *data;
	char text[64];

	if (!k || k->polls++ == 0) {
		og_error(sim, req, resp, 404, "Request not processed yet");
		response_header(resp, "X-Opsgenie-Errortype", "RequestNotProcessed");
		return;
	}
	root = json_object();
	data = json_object();
	json_object_set_new(data, "success", json_boolean(k->ok));
	json_object_set_new(data, "action", json_string("Acknowledge"));
	json_object_set_new(data, "processedAt", og_time(k->at_ms + 180));
	uuid_of(sim->world.seed, "opsgenie-integration", 1, text, sizeof(text));
	json_object_set_new(data, "integrationId", json_string(text));
	json_object_set_new(data, "isSuccess", json_boolean(k->ok));
	json_object_set_new(data, "status", json_string(k->status));
	json_object_set_new(data, "alertId", json_string(k->ok ? k->target : ""));
	json_object_set_new(data, "alias", json_string(""));
	json_object_set_new(root, "data", data);
	envelope_add(sim, req, root, resp);
	response_json(resp, 200, root);
}

void
opsgenie_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route;
	bool get = streq(req->method, "GET") || streq(req->method, "HEAD");
	const char *slash = strncmp(r, "/v2/alerts/", 11) == 0 ? strchr(r + 11, '/') : NULL;

	if (slash && slash > r + 11 && streq(slash, "/acknowledge") && streq(req->method, "POST"))
		acknowledge(sim, req, resp, r + 11, (size_t)(slash - (r + 11)));
	else if (slash && slash > r + 11 && streq(slash, "/logs") && get &&
		 strncmp(r, "/v2/alerts/requests/", 20) != 0)
		alert_logs(sim, req, resp, r + 11, (size_t)(slash - (r + 11)));
	else if (strncmp(r, "/v2/alerts/requests/", 20) == 0 && r[20] && !strchr(r + 20, '/') &&
		 get)
		request_status(sim, req, resp, r + 20);
	else if (streq(r, "/v2/alerts") && get)
		list_alerts(sim, req, resp);
	else if (streq(r, "/v2/alerts/count") && get)
		count_alerts(sim, req, resp);
	else if (strncmp(r, "/v2/alerts/", 11) == 0 && r[11] && !strchr(r + 11, '/') && get)
		one_alert(sim, req, resp, r + 11);
	else if (streq(r, "/v2/alerts") || strncmp(r, "/v2/alerts/", 11) == 0)
		og_error(sim, req, resp, 405,
			 "sitrep-sim: of the alert API's writes only acknowledge is served");
	else
		og_error(sim, req, resp, 404, "No handler found for the path");
}
