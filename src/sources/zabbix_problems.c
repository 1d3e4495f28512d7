/* zabbix_problems.c - Zabbix problem events as incidents: the stream "problems".
 *
 * It reads event.get only: problem.get forgets what resolved before its "recent"
 * window and ignores selectHosts. The stream's cursor is
 * {"eventid": W, "open": {problem id: recovery id or "0"}}: W the watermark of
 * problem events read, "open" the problems seen open, or seen resolved before the
 * time of their recovery was known. A round is, in pages:
 *   new      event.get value=1, eventid_from W+1 (time_from 30 days ago the first
 *            time), sortfield eventid ASC, limit 100, with hosts, tags and the
 *            acknowledges; full pages are followed by the next one. Open problems
 *            become incidents at once; resolved ones only go into "open" with their
 *            r_eventid, as event.get has no r_clock. W stops short of the last
 *            minute's events, which are read again: parallel history syncers may
 *            commit a lower event id after a higher one.
 *   refresh  event.get eventids = the next 100 open problems and the recovery
 *            events already known for them: an open problem is written again (new
 *            acknowledges, severity), one whose recovery came back is resolved at
 *            the recovery's clock and leaves "open", one that vanished upstream (its
 *            trigger deleted) leaves "open" as it is.
 *   recovery when a refresh finds problems resolved since, event.get eventids =
 *            those problems and their r_eventids, plus the refresh's last open id,
 *            which carries the refresh's position to the next chunk.
 * So a quiet round downloads the new events (none) and the open problems, never
 * the history. Milestones (metrics SPEC 2): detected_at is the problem's clock;
 * impact_start is left to imputation, as the SPEC says for Zabbix; acknowledged_at
 * the earliest acknowledge with the acknowledge bit; resolved_at (= closed_at) the
 * recovery event's clock, a manual close (userid set) being a "close" event.
 * Severity 0..5 becomes P5, P5, P4, P3, P2, P1, and a disaster (P1) an outage.
 * The service is a `service` tag, else the host's name, else the config's.
 * Each acknowledge with its acknowledgeid is an event (close, ack, unack,
 * severity or note, by its strongest action bit), so a re-read adds nothing.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "zabbix-private.h"

/* Problem events a page, and open problems a lookup. */
#define PAGE_LIMIT 100
#define LOOKUP_CHUNK 100
/* How far back a first round goes. */
#define PROBLEM_BACKFILL (30 * 86400)
/* Events younger than this are read again next round (see above). */
#define SETTLE_SECONDS 60

/* Acknowledge (problem update) action bits, 6.0. */
#define ACTION_CLOSE 1
#define ACTION_ACK 2
#define ACTION_MESSAGE 4
#define ACTION_SEVERITY 8
#define ACTION_UNACK 16

static const char *const severity_names[] = { "not classified", "information", "warning",
					      "average",	"high",	       "disaster" };
/* Disaster is the outage; information and not classified the least (source.c's
 * source_severity reads critical P1, high P2, warning P3, info P4 the same way). */
static const char *const severity_priorities[] = { "P5", "P5", "P4", "P3", "P2", "P1" };

static int
id_cmp_ptr(const void *a, const void *b)
{
	return zbx_id_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- the problems cursor ---- */

struct problem_cursor {
	char eventid[ID_SIZE]; /* the watermark; "" before the first round */
	json_t *open;	       /* {problem id: recovery id or "0"}, new */
};

/* A cursor of another shape starts afresh: a re-read costs a round, a wrong
 * watermark would lose problems. */
static void
cursor_load(const struct source_ctx *ctx, struct problem_cursor *c)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, PROBLEMS) : NULL;
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;
	const json_t *open = json_object_get(root, "open"), *v;
	const char *mark = json_string_value(json_object_get(root, "eventid")), *key;

	c->eventid[0] = '\0';
	c->open = json_object();
	if (zbx_is_id(mark))
		snprintf(c->eventid, sizeof(c->eventid), "%s", mark);
	json_object_foreach((json_t *)(uintptr_t)open, key, v)
	{
		if (zbx_is_id(key) && zbx_is_id(json_string_value(v)))
			json_object_set(c->open, key, (json_t *)(uintptr_t)v);
	}
	json_decref(root);
}

static char *
cursor_dump(const struct problem_cursor *c)
{
	json_t *root = json_object();
	char *text;

	json_object_set_new(root, "eventid", json_string(c->eventid));
	json_object_set(root, "open", c->open);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}

/* ---- requests ---- */

static json_t *
event_params(void)
{
	json_t *params = json_object(), *hosts = json_array(), *sort = json_array();

	json_array_append_new(hosts, json_string("hostid"));
	json_array_append_new(hosts, json_string("host"));
	json_array_append_new(hosts, json_string("name"));
	json_array_append_new(sort, json_string("eventid"));
	json_object_set_new(params, "output", json_string("extend"));
	json_object_set_new(params, "source", json_integer(0));
	json_object_set_new(params, "object", json_integer(0));
	json_object_set_new(params, "selectHosts", hosts);
	json_object_set_new(params, "selectTags", json_string("extend"));
	/* event.get's spelling in 6.0 (problem.get's is selectAcknowledges); it
	 * also gives each acknowledge's username. */
	json_object_set_new(params, "select_acknowledges", json_string("extend"));
	json_object_set_new(params, "sortfield", sort);
	json_object_set_new(params, "sortorder", json_string("ASC"));
	return params;
}

/* The new problem events after watermark (or of the last 30 days). */
static json_t *
new_params(const struct source_ctx *ctx, const char *watermark)
{
	json_t *params = event_params();
	char from[ID_SIZE];

	json_object_set_new(params, "value", json_integer(1));
	if (*watermark && zbx_id_next(watermark, from, sizeof(from)))
		json_object_set_new(params, "eventid_from", json_string(from));
	else
		json_object_set_new(params, "time_from",
				    json_integer((json_int_t)(ctx->now - PROBLEM_BACKFILL)));
	json_object_set_new(params, "limit", json_integer(PAGE_LIMIT));
	return params;
}

json_t *
zbx_problems_first(const struct source_ctx *ctx)
{
	struct problem_cursor c;
	json_t *params;

	cursor_load(ctx, &c);
	params = new_params(ctx, c.eventid);
	json_decref(c.open);
	return params;
}

static json_t *
lookup_params(json_t *ids)
{
	json_t *params = event_params();

	json_object_set_new(params, "eventids", ids);
	return params;
}

/* The next refresh: up to LOOKUP_CHUNK open problems after `after` ("" for the
 * first) and their known recovery events; NULL when none is left (new). */
static json_t *
refresh_ids(const json_t *open, const char *after)
{
	const char **keys = xcalloc(json_object_size(open) + 1, sizeof(*keys));
	json_t *ids = NULL, *v;
	const char *key;
	size_t n = 0, i;

	json_object_foreach((json_t *)(uintptr_t)open, key, v)
	{
		if (!*after || zbx_id_cmp(key, after) > 0)
			keys[n++] = key;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), id_cmp_ptr);
	for (i = 0; i < n && i < LOOKUP_CHUNK; i++) {
		const char *r = json_string_value(json_object_get(open, keys[i]));

		if (!ids)
			ids = json_array();
		json_array_append_new(ids, json_string(keys[i]));
		if (r && !streq(r, "0"))
			json_array_append_new(ids, json_string(r));
	}
	free(keys);
	return ids;
}

/* ---- problem events ---- */

/* One event of a result, checked. */
struct zevent {
	const json_t *json;
	size_t index;
	char id[ID_SIZE], objectid[ID_SIZE], r_eventid[ID_SIZE], userid[ID_SIZE];
	int64_t value, clock, severity;
	const char *name;
	const json_t *acks, *tags, *hosts;
};

struct problems {
	const struct source_ctx *ctx;
	const struct source_request *req;
	struct source_page *page;
	struct zbx_where where;
	struct zevent *events;
	size_t n;
	struct problem_cursor cursor;
};

static enum status_code
read_event(struct problems *ps, size_t i, const json_t *ev, struct zevent *e)
{
	const struct zbx_where *w = &ps->where;
	enum status_code code;

	memset(e, 0, sizeof(*e));
	ps->where.index = i;
	e->json = ev;
	e->index = i;
	if (!json_is_object(ev))
		return error(TYPE " %s: event %zu is %s, not an object", w->stream, i,
			     json_type_name(ev));
	if ((code = zbx_get_id(w, ev, "eventid", true, e->id)) != SUCCESS ||
	    (code = zbx_get_int(w, ev, "value", false, 1, &e->value)) != SUCCESS ||
	    (code = zbx_get_clock(w, ev, "clock", &e->clock)) != SUCCESS)
		return code;
	if (e->value != 1)
		return SUCCESS; /* a recovery event: its id and clock are all we use */
	if ((code = zbx_get_id(w, ev, "objectid", false, e->objectid)) != SUCCESS ||
	    (code = zbx_get_id(w, ev, "r_eventid", false, e->r_eventid)) != SUCCESS ||
	    (code = zbx_get_id(w, ev, "userid", false, e->userid)) != SUCCESS ||
	    (code = zbx_get_int(w, ev, "severity", false, -1, &e->severity)) != SUCCESS ||
	    (code = zbx_get_string(w, ev, "name", &e->name)) != SUCCESS ||
	    (code = zbx_get_array(w, ev, "acknowledges", &e->acks)) != SUCCESS ||
	    (code = zbx_get_array(w, ev, "tags", &e->tags)) != SUCCESS ||
	    (code = zbx_get_array(w, ev, "hosts", &e->hosts)) != SUCCESS)
		return code;
	return SUCCESS;
}

static enum status_code
read_events(struct problems *ps, const json_t *result)
{
	enum status_code code;
	size_t i;

	ps->n = json_array_size(result);
	ps->events = xcalloc(ps->n + 1, sizeof(*ps->events));
	for (i = 0; i < ps->n; i++)
		if ((code = read_event(ps, i, json_array_get(result, i), &ps->events[i])) !=
		    SUCCESS)
			return code;
	return SUCCESS;
}

static const struct zevent *
find_event(const struct problems *ps, const char *id)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (streq(ps->events[i].id, id))
			return &ps->events[i];
	return NULL;
}

/* A `service` tag, else the first host's technical name, else the config's. */
static enum status_code
service_of(struct problems *ps, const struct zevent *e, const char **out)
{
	struct zbx_where *w = &ps->where;
	const json_t *item;
	const char *s;
	char field[48];
	size_t i;

	*out = NULL;
	json_array_foreach((json_t *)(uintptr_t)e->tags, i, item)
	{
		const char *tag, *value;
		enum status_code code;

		snprintf(field, sizeof(field), "tags[%zu]", i);
		if (!json_is_object(item))
			return zbx_wrong_type(w, field, item, "an object");
		snprintf(w->prefix, sizeof(w->prefix), "tags[%zu].", i);
		code = zbx_get_string(w, item, "tag", &tag);
		if (code == SUCCESS)
			code = zbx_get_string(w, item, "value", &value);
		w->prefix[0] = '\0';
		if (code != SUCCESS)
			return code;
		if (!*out && streq(tag, "service") && value && *value)
			*out = value;
	}
	if (*out)
		return SUCCESS;
	item = json_array_get(e->hosts, 0);
	if (item && !json_is_object(item))
		return zbx_wrong_type(&ps->where, "hosts[0]", item, "an object");
	s = json_string_value(json_object_get(item, "host"));
	if (s && *s)
		*out = s;
	else
		*out = zbx_default_service(ps->ctx) ? zbx_default_service(ps->ctx) : "unknown";
	return SUCCESS;
}

/* The frontend's page of the event: the api_jsonrpc.php URL's directory plus
 * tr_events.php (new in page memory), or NULL. */
static const char *
event_url(struct problems *ps, const struct zevent *e)
{
	const char *url = config_source_get(ps->ctx->config, "url");
	const char *host = url ? strstr(url, "://") : NULL;
	size_t len = url ? strcspn(url, "?#") : 0;
	char *text;
	const char *out;

	while (len > 0 && url[len - 1] != '/')
		len--;
	/* The slash must end a path, not the scheme's "//". */
	if (!host || len <= (size_t)(host - url) + 3 || streq(e->objectid, "0") ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return NULL;
	text = xasprintf("%.*str_events.php?triggerid=%s&eventid=%s", (int)len, url, e->objectid,
			 e->id);
	out = source_page_strdup(ps->page, text);
	free(text);
	return out;
}

static const char *
severity_name(int64_t s)
{
	return s >= 0 && s < (int64_t)ARRAY_SIZE(severity_names) ? severity_names[s] : "unknown";
}

/* The kind of an acknowledge's event: the strongest bit of its action. */
static const char *
ack_kind(int64_t action)
{
	if (action & ACTION_CLOSE)
		return "close";
	if (action & ACTION_ACK)
		return "ack";
	if (action & ACTION_UNACK)
		return "unack";
	if (action & ACTION_SEVERITY)
		return "severity";
	return "note";
}

static void
add_event(struct source_page *page, const char *incident, int64_t at, const char *kind,
	  const char *actor, const char *text, const char *id)
{
	struct source_event *ev = source_page_event(page);

	ev->incident_id = incident;
	ev->at = at;
	ev->kind = kind;
	ev->actor = actor && *actor ? source_page_strdup(page, actor) : NULL;
	ev->text = text && *text ? source_page_strdup(page, text) : NULL;
	ev->event_id = source_page_strdup(page, id);
}

/* What the acknowledges say about an incident. */
struct acks {
	int64_t first_ack, last;
	const char *closed_by;
};

static enum status_code
read_ack(struct problems *ps, const char *incident, size_t i, const json_t *a, struct acks *out)
{
	struct zbx_where *w = &ps->where;
	char field[48], id[ID_SIZE], *text = NULL;
	const char *message = NULL, *user = NULL;
	int64_t clock = 0, action = 0, old_sev = 0, new_sev = 0;
	enum status_code code;

	snprintf(field, sizeof(field), "acknowledges[%zu]", i);
	if (!json_is_object(a))
		return zbx_wrong_type(w, field, a, "an object");
	snprintf(w->prefix, sizeof(w->prefix), "%s.", field);
	if ((code = zbx_get_id(w, a, "acknowledgeid", true, id)) != SUCCESS ||
	    (code = zbx_get_clock(w, a, "clock", &clock)) != SUCCESS ||
	    (code = zbx_get_int(w, a, "action", true, 0, &action)) != SUCCESS ||
	    (code = zbx_get_int(w, a, "old_severity", false, 0, &old_sev)) != SUCCESS ||
	    (code = zbx_get_int(w, a, "new_severity", false, 0, &new_sev)) != SUCCESS ||
	    (code = zbx_get_string(w, a, "message", &message)) != SUCCESS ||
	    (code = zbx_get_string(w, a, "username", &user)) != SUCCESS) {
		w->prefix[0] = '\0';
		return code;
	}
	w->prefix[0] = '\0';
	if ((action & ACTION_ACK) && (out->first_ack == TIME_NONE || clock < out->first_ack))
		out->first_ack = clock;
	if (action & ACTION_CLOSE)
		out->closed_by = user;
	if (clock > out->last)
		out->last = clock;
	if (action & ACTION_SEVERITY)
		text = xasprintf("severity %s -> %s%s%s", severity_name(old_sev),
				 severity_name(new_sev), message && *message ? ": " : "",
				 message ? message : "");
	add_event(ps->page, incident, clock, ack_kind(action), user, text ? text : message, id);
	free(text);
	return SUCCESS;
}

/* One incident from a problem event; recovery is its recovery event when it is
 * resolved. */
static enum status_code
emit_problem(struct problems *ps, const struct zevent *e, const struct zevent *recovery)
{
	struct source_page *page = ps->page;
	struct store_incident *inc;
	struct acks acks = { .first_ack = TIME_NONE, .last = e->clock };
	const char **services, *service, *id;
	const json_t *a;
	enum status_code code;
	char *raw;
	size_t i;

	ps->where.index = e->index;
	if ((code = service_of(ps, e, &service)) != SUCCESS)
		return code;
	id = source_page_strdup(page, e->id);
	add_event(page, id, e->clock, "trigger", NULL, NULL, e->id);
	json_array_foreach((json_t *)(uintptr_t)e->acks, i, a)
	{
		if ((code = read_ack(ps, id, i, a, &acks)) != SUCCESS)
			return code;
	}
	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ps->ctx->name);
	inc->source_id = id;
	services = source_page_alloc(page, sizeof(*services));
	services[0] = source_page_strdup(page, service);
	inc->services = services;
	inc->n_services = 1;
	inc->title = source_page_strdup(page, e->name && *e->name ? e->name : e->id);
	inc->severity = e->severity >= 0 && e->severity < (int64_t)ARRAY_SIZE(severity_priorities)
				? severity_priorities[e->severity]
				: NULL;
	inc->impact = streq(inc->severity, "P1") ? MX_IMPACT_OUTAGE : MX_IMPACT_DEGRADED;
	inc->detected_at = e->clock;
	inc->acknowledged_at = acks.first_ack;
	inc->updated_at = acks.last;
	if (recovery) {
		inc->resolved_at = inc->closed_at = recovery->clock;
		if (recovery->clock > inc->updated_at)
			inc->updated_at = recovery->clock;
		add_event(page, id, recovery->clock, "resolve",
			  streq(e->userid, "0") ? NULL : acks.closed_by, NULL, recovery->id);
	}
	inc->url = event_url(ps, e);
	raw = json_dumps(e->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);
	return SUCCESS;
}

/* A page of new problem events. */
static enum status_code
parse_new(struct problems *ps, const json_t *params)
{
	struct problem_cursor *c = &ps->cursor;
	int64_t limit = json_integer_value(json_object_get(params, "limit"));
	char seen[ID_SIZE] = "", from[ID_SIZE];
	enum status_code code;
	json_t *ids;
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct zevent *e = &ps->events[i];

		if (!*seen || zbx_id_cmp(e->id, seen) > 0)
			snprintf(seen, sizeof(seen), "%s", e->id);
		/* The watermark stays before the last minute's events (see above). */
		if (e->clock <= ps->ctx->now - SETTLE_SECONDS &&
		    (!*c->eventid || zbx_id_cmp(e->id, c->eventid) > 0))
			snprintf(c->eventid, sizeof(c->eventid), "%s", e->id);
		if (e->value != 1)
			continue;
		json_object_set_new(c->open, e->id, json_string(e->r_eventid));
		if (streq(e->r_eventid, "0") && (code = emit_problem(ps, e, NULL)) != SUCCESS)
			return code;
	}
	if (limit > 0 && (int64_t)ps->n >= limit) {
		/* A full page: the next one starts after its last event. */
		if (!zbx_id_next(seen, from, sizeof(from)))
			return error(TYPE " %s: event id %s is out of range", ps->where.stream,
				     seen);
		ps->page->next = zbx_rpc_next(ps->ctx, PROBLEMS, ps->req->url, "event.get",
					      new_params(ps->ctx, seen));
	} else if ((ids = refresh_ids(c->open, ""))) {
		ps->page->next = zbx_rpc_next(ps->ctx, PROBLEMS, ps->req->url, "event.get",
					      lookup_params(ids));
	}
	return SUCCESS;
}

/* Whether ids (a JSON array of strings) holds id. */
static bool
ids_have(const json_t *ids, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach((json_t *)(uintptr_t)ids, i, v)
	{
		if (streq(json_string_value(v), id))
			return true;
	}
	return false;
}

/* One problem of a lookup; adds those whose recovery is still to fetch to chain. */
static enum status_code
lookup_one(struct problems *ps, const char *id, const json_t *asked, json_t *chain)
{
	const struct zevent *e = find_event(ps, id), *r;
	json_t *open = ps->cursor.open;

	if (!e || e->value != 1) {
		/* Gone upstream (its trigger was deleted): it keeps its last state. */
		json_object_del(open, id);
		return SUCCESS;
	}
	if (streq(e->r_eventid, "0")) {
		json_object_set_new(open, id, json_string("0"));
		return emit_problem(ps, e, NULL);
	}
	r = find_event(ps, e->r_eventid);
	if (r && r->value == 0) {
		json_object_del(open, id);
		return emit_problem(ps, e, r);
	}
	json_object_set_new(open, id, json_string(e->r_eventid));
	/* Asked for and not served: tried again next round, not in a loop now. */
	if (!ids_have(asked, e->r_eventid)) {
		json_array_append_new(chain, json_string(id));
		json_array_append_new(chain, json_string(e->r_eventid));
	}
	return SUCCESS;
}

/* A page of known problems (a refresh, or the recovery events it lacked). */
static enum status_code
parse_lookup(struct problems *ps, const json_t *asked)
{
	json_t *open = ps->cursor.open, *chain = json_array(), *ids;
	char point[ID_SIZE] = "";
	enum status_code code = SUCCESS;
	const json_t *v;
	size_t i;

	/* The refresh's position: its last open problem. */
	json_array_foreach((json_t *)(uintptr_t)asked, i, v)
	{
		const char *id = json_string_value(v);

		if (id && json_object_get(open, id) && (!*point || zbx_id_cmp(id, point) > 0))
			snprintf(point, sizeof(point), "%s", id);
	}
	json_array_foreach((json_t *)(uintptr_t)asked, i, v)
	{
		const char *id = json_string_value(v);

		if (id && json_object_get(open, id) &&
		    (code = lookup_one(ps, id, asked, chain)) != SUCCESS)
			break;
	}
	if (code == SUCCESS && json_array_size(chain) > 0) {
		if (*point && !ids_have(chain, point))
			json_array_append_new(chain, json_string(point));
		ps->page->next = zbx_rpc_next(ps->ctx, PROBLEMS, ps->req->url, "event.get",
					      lookup_params(json_incref(chain)));
	} else if (code == SUCCESS && *point && (ids = refresh_ids(open, point))) {
		ps->page->next = zbx_rpc_next(ps->ctx, PROBLEMS, ps->req->url, "event.get",
					      lookup_params(ids));
	}
	json_decref(chain);
	return code;
}

enum status_code
zbx_parse_problems(const struct source_ctx *ctx, const struct source_request *req,
		   const json_t *call, const json_t *result, struct source_page *page)
{
	const json_t *params = json_object_get(call, "params");
	const json_t *asked = json_object_get(params, "eventids");
	struct problems ps = { .ctx = ctx, .req = req, .page = page };
	enum status_code code;

	ps.where.stream = req->stream;
	ps.where.what = "event";
	if (!streq(json_string_value(json_object_get(call, "method")), "event.get"))
		return error(TYPE " %s: not a request of this stream", req->stream);
	cursor_load(ctx, &ps.cursor);
	code = read_events(&ps, result);
	if (code == SUCCESS)
		code = asked ? parse_lookup(&ps, asked) : parse_new(&ps, params);
	if (code == SUCCESS)
		page->cursor = cursor_dump(&ps.cursor);
	json_decref(ps.cursor.open);
	free(ps.events);
	return code;
}
