/* zabbix.c - the Zabbix 6.0 JSON-RPC dialect: POST /api_jsonrpc.php with
 * apiinfo.version, user.login, user.logout, event.get, problem.get, item.get,
 * history.get, trend.get and event.acknowledge, as a 6.0.14 frontend answers them
 * (realservers.md Recipe 3 and Z1-Z12, monitoring-ticketing.md 3).
 *
 * The world: one host per service (host and name = the service's name), whose
 * items zabbix_items.c serves (item.get, history.get, trend.get). Problems are the scenario's incidents (fired at `fire`, a
 * `service` tag, acknowledged with a message at `ack`, recovered at `resolve`) and
 * a service's routine problems (template triggers: disk, memory, agent...) from
 * eight days before --start to three days after, with acknowledges of every kind:
 * ack with a message, a message alone, a severity change, and manual closes.
 * Event ids follow the time of the events (problems and recoveries share the
 * sequence), acknowledge ids likewise; everything is derived from the world and
 * the seed on each request, and shows once the clock has passed it.
 *
 * What clients trip on is reproduced on purpose: every id, number and clock is a
 * string; errors come with HTTP 200 as {"error": {code, message, data}};
 * apiinfo.version refuses `auth`; the token or session goes in the body's `auth`,
 * never a header; event.get spells select_acknowledges (with usernames),
 * problem.get selectAcknowledges and ignores selectHosts; history.get defaults to
 * history=3 and answers [] for the wrong type; trend.get has completed hours only;
 * unknown parameters are ignored; a Content-Type other than application/json-rpc
 * or application/json gets HTTP 412 with an empty body.
 *
 * event.acknowledge (acknowledge, message, unacknowledge bits) on problem events
 * that exist by now is kept (acks.c), made by Admin, and shows from then on in the
 * problem's acknowledges and `acknowledged`; an unknown event is -32500 "No
 * permissions to referred object or it does not exist!", as Zabbix answers it.
 *
 * Auth: user.login with user Admin and, when the simulator requires a token, that
 * token as the password (any password otherwise) opens a session; every other call
 * needs the session or the token in `auth` (any non-empty auth when no token is
 * required), else -32602 "Not authorized.". The stuck_cursor fault makes event.get
 * and history.get ignore where they were asked to start. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <ctype.h>
#include <strings.h>

#define API_PATH "/api_jsonrpc.php"
#define VERSION "6.0.14"
#define TRIGGER_BASE 20001
#define NOISE_TRIGGER_BASE 21001
#define EVENT_BASE 1001
#define MINUTE 60
#define HOUR 3600
#define DAY 86400
/* "Display OK triggers for": problem.get recent=true shows recoveries this new. */
#define OK_PERIOD (5 * MINUTE)
#define NOISE_SLOT (2 * HOUR)
#define NOISE_SLOTS_BEFORE (8 * 12)
#define NOISE_SLOTS_AFTER (3 * 12)
#define NOISE_PERCENT 55
#define MAX_ACKS 8
#define MAX_SESSIONS 64

/* Routine problems: template triggers, their severity and scope tag. */
static const struct {
	const char *name;
	int severity;
	const char *scope;
} noise_defs[] = {
	{ "/var: Disk space is low (used > 80%)", 2, "capacity" },
	{ "High memory utilization (>90% for 5m)", 3, "capacity" },
	{ "Zabbix agent is not available (for 3m)", 3, "availability" },
	{ "Too many processes (over 300 for 5m)", 2, "performance" },
	{ "Load average is too high (per CPU load over 1.5 for 5m)", 3, "performance" },
	{ "Interface eth0: High error rate (>2 for 5m)", 2, "performance" },
	{ "Host has been restarted (uptime < 10m)", 1, "notice" },
	{ "Number of free inodes is low (< 20%)", 2, "capacity" },
};

static const char *const noise_messages[] = {
	"Looking into it",
	"Known issue, ticket OPS-4120",
	"Cleaning up old logs",
	"Restarted the agent",
};

struct zx_ack {
	uint64_t id;
	int64_t clock;
	int action;
	int old_severity, new_severity;
	const char *user;
	const char *message;
	size_t problem;
};

struct zx_problem {
	const char *name;
	size_t service;
	int severity; /* at creation */
	int64_t clock, resolve;
	uint32_t ns, r_ns;
	bool manual; /* closed by a user (the last ack has the close bit) */
	bool scenario;
	const char *scope;
	uint64_t triggerid;
	struct zx_ack acks[MAX_ACKS];
	size_t n_acks;
	uint64_t eventid, r_eventid; /* assigned by time */
};

struct zx_world {
	struct zx_problem *items;
	size_t n, alloc;
};

/* ---- users ---- */

/* Admin is 1; everyone who acknowledges follows in the order the scenario names
 * them. */
static uint64_t
user_id(const struct world *w, const char *name)
{
	uint64_t id = 2;

	if (!name || streq(name, "Admin"))
		return 1;
	for (size_t i = 0; i < w->n_incidents; i++) {
		const char *u = w->incidents[i].acked_by;
		bool seen = false;

		if (!u)
			continue;
		for (size_t j = 0; j < i; j++)
			seen = seen || streq(w->incidents[j].acked_by, u);
		if (seen)
			continue;
		if (streq(u, name))
			return id;
		id++;
	}
	return id;
}

/* Who is on call for a service: whoever acknowledged its scenario incidents. */
static const char *
oncall(const struct world *w, size_t service)
{
	for (size_t i = 0; i < w->n_incidents; i++)
		if (w->incidents[i].service == service && w->incidents[i].acked_by)
			return w->incidents[i].acked_by;
	return "Admin";
}

/* ---- the problems of the world ---- */

static struct zx_problem *
add_problem(struct zx_world *zw)
{
	struct zx_problem *p;

	zw->items = xgrow(zw->items, &zw->alloc, zw->n + 1, sizeof(*zw->items));
	p = &zw->items[zw->n++];
	memset(p, 0, sizeof(*p));
	p->resolve = TIME_NONE;
	return p;
}

static struct zx_ack *
add_ack(struct zx_problem *p, int64_t clock, int action, const char *user, const char *message)
{
	struct zx_ack *a = &p->acks[p->n_acks++];

	memset(a, 0, sizeof(*a));
	a->clock = clock;
	a->action = action;
	a->user = user;
	a->message = message;
	return a;
}

static int
incident_severity(const struct incident *in)
{
	switch (in->severity) {
	case SEVERITY_CRITICAL:
		return in->symptom == SYMPTOM_OUTAGE ? 5 : 4;
	case SEVERITY_WARNING:
		return 3;
	case SEVERITY_INFO:
		break;
	}
	return 1;
}

static void
add_incidents(const struct world *w, struct zx_world *zw)
{
	for (size_t i = 0; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		struct zx_problem *p = add_problem(zw);

		p->name = in->title;
		p->service = in->service;
		p->severity = incident_severity(in);
		p->clock = in->fire;
		p->ns = in->phase_ns;
		p->resolve = in->resolve;
		p->r_ns = (in->phase_ns + 500000000u) % 1000000000u;
		p->scenario = true;
		p->scope = symptom_name(in->symptom);
		p->triggerid = TRIGGER_BASE + i;
		if (in->ack != TIME_NONE)
			add_ack(p, in->ack, 2 | 4, in->acked_by ? in->acked_by : "Admin",
				"Acknowledged, investigating");
	}
}

/* The acknowledges of a routine problem, from its hash draws r. */
static void
noise_acks(const struct world *w, struct zx_problem *p, const uint64_t *r)
{
	const char *user = oncall(w, p->service);
	int64_t end = p->resolve != TIME_NONE ? p->resolve : p->clock + DAY;
	int64_t at = p->clock + MINUTE + (int64_t)(r[5] % (20 * MINUTE));
	const char *msg = noise_messages[r[6] % ARRAY_SIZE(noise_messages)];

	if (r[5] % 100 < 10 && at < end) {
		add_ack(p, at, 4, user, "Seen, low priority"); /* a message alone */
		return;
	}
	if (r[5] % 100 >= 65 || at >= end)
		return;
	add_ack(p, at, 2 | 4, user, msg);
	if (r[7] % 100 < 20 && at + 5 * MINUTE < end) {
		struct zx_ack *a =
			add_ack(p, at + 5 * MINUTE, 8 | 4, user, "Raising: customers are affected");

		a->old_severity = p->severity;
		a->new_severity = p->severity < 4 ? p->severity + 1 : 5;
	}
	/* Closed by hand before it would have recovered. */
	if (p->resolve != TIME_NONE && r[7] % 100 >= 85 && at + 10 * MINUTE < p->resolve) {
		p->resolve = at + 10 * MINUTE;
		p->manual = true;
		add_ack(p, p->resolve, 1 | 4, user, "Closed: false positive");
	}
}

static void
add_noise(const struct world *w, size_t s, struct zx_world *zw)
{
	const char *name = w->services[s].name;
	char key[96];

	snprintf(key, sizeof(key), "zabbix:%s", name);
	for (int64_t k = -NOISE_SLOTS_BEFORE; k < NOISE_SLOTS_AFTER; k++) {
		uint64_t slot = (uint64_t)(k + NOISE_SLOTS_BEFORE) * 16, r[8];
		struct zx_problem *p;
		size_t d;

		for (size_t j = 0; j < ARRAY_SIZE(r); j++)
			r[j] = sim_hash(w->seed, key, slot + j);
		if (r[0] % 100 >= NOISE_PERCENT)
			continue;
		d = (size_t)(r[1] % ARRAY_SIZE(noise_defs));
		p = add_problem(zw);
		p->name = noise_defs[d].name;
		p->service = s;
		p->severity = noise_defs[d].severity;
		p->scope = noise_defs[d].scope;
		p->triggerid = NOISE_TRIGGER_BASE + s * 16 + d;
		p->clock = w->origin + k * NOISE_SLOT + (int64_t)(r[2] % NOISE_SLOT);
		p->ns = (uint32_t)(r[2] >> 32) % 1000000000u;
		p->r_ns = (uint32_t)(r[3] >> 32) % 1000000000u;
		if (r[3] % 100 < 92)
			p->resolve = p->clock + 5 * MINUTE + (int64_t)(r[4] % (3 * HOUR));
		noise_acks(w, p, r);
	}
}

/* One event of the sequence: a problem, or its recovery. */
struct zx_seq {
	int64_t clock;
	uint32_t ns;
	bool recovery;
	size_t problem;
};

static int
compare_seq(const void *x, const void *y)
{
	const struct zx_seq *a = x, *b = y;

	if (a->clock != b->clock)
		return a->clock < b->clock ? -1 : 1;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	if (a->recovery != b->recovery)
		return a->recovery ? 1 : -1;
	return a->problem < b->problem ? -1 : a->problem > b->problem;
}

static int
compare_ack(const void *x, const void *y)
{
	const struct zx_ack *a = *(const struct zx_ack *const *)x;
	const struct zx_ack *b = *(const struct zx_ack *const *)y;

	if (a->clock != b->clock)
		return a->clock < b->clock ? -1 : 1;
	return a->problem < b->problem ? -1 : a->problem > b->problem;
}

/* Event and acknowledge ids, in the order things happen (future ones too, so
 * that an id never changes as the clock moves). */
static void
assign_ids(struct zx_world *zw)
{
	struct zx_seq *seq = xcalloc(2 * zw->n + 1, sizeof(*seq));
	struct zx_ack **acks = xcalloc(MAX_ACKS * zw->n + 1, sizeof(*acks));
	size_t n = 0, na = 0;

	for (size_t i = 0; i < zw->n; i++) {
		struct zx_problem *p = &zw->items[i];

		seq[n++] = (struct zx_seq){ p->clock, p->ns, false, i };
		if (p->resolve != TIME_NONE)
			seq[n++] = (struct zx_seq){ p->resolve, p->r_ns, true, i };
		for (size_t j = 0; j < p->n_acks; j++) {
			p->acks[j].problem = i;
			acks[na++] = &p->acks[j];
		}
	}
	qsort(seq, n, sizeof(*seq), compare_seq);
	for (size_t k = 0; k < n; k++) {
		struct zx_problem *p = &zw->items[seq[k].problem];

		if (seq[k].recovery)
			p->r_eventid = EVENT_BASE + k;
		else
			p->eventid = EVENT_BASE + k;
	}
	qsort(acks, na, sizeof(*acks), compare_ack);
	for (size_t k = 0; k < na; k++)
		acks[k]->id = k + 1;
	free(seq);
	free(acks);
}

/* The acknowledges clients made (event.acknowledge), in time order among the
 * problem's own, with ids after every one of the world's. */
static void
apply_acks(const struct sim *sim, struct zx_world *zw)
{
	uint64_t id = 0;

	for (size_t i = 0; i < zw->n; i++)
		id += zw->items[i].n_acks;
	for (const struct sim_ack *k = sim_ack_next(sim, "zabbix", NULL); k;
	     k = sim_ack_next(sim, "zabbix", k)) {
		int64_t clock = floor_div(k->at_ms, 1000);

		id++;
		for (size_t i = 0; i < zw->n; i++) {
			struct zx_problem *p = &zw->items[i];
			size_t j = p->n_acks;
			char text[24];

			snprintf(text, sizeof(text), "%llu", (unsigned long long)p->eventid);
			if (!streq(text, k->target) || p->n_acks == MAX_ACKS)
				continue;
			while (j > 0 && p->acks[j - 1].clock > clock)
				j--;
			memmove(&p->acks[j + 1], &p->acks[j], (p->n_acks - j) * sizeof(p->acks[0]));
			p->n_acks++;
			memset(&p->acks[j], 0, sizeof(p->acks[j]));
			p->acks[j] = (struct zx_ack){ .id = id,
						      .clock = clock,
						      .action = k->action,
						      .user = k->user,
						      .message = k->note,
						      .problem = i };
			break;
		}
	}
}

static void
zx_collect(const struct sim *sim, struct zx_world *zw)
{
	const struct world *w = &sim->world;

	memset(zw, 0, sizeof(*zw));
	add_incidents(w, zw);
	for (size_t s = 0; s < w->n_services; s++)
		add_noise(w, s, zw);
	assign_ids(zw);
	apply_acks(sim, zw);
}

static void
zx_release(struct zx_world *zw)
{
	free(zw->items);
	memset(zw, 0, sizeof(*zw));
}

/* ---- the wire ---- */

json_t *
zx_id_json(uint64_t id)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)id);
	return json_string(text);
}

json_t *
zx_int_json(int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", (long long)v);
	return json_string(text);
}

static json_t *
rpc_error(json_t *id, int code, const char *message, const char *data)
{
	json_t *root = json_object(), *err = json_object();

	json_object_set_new(err, "code", json_integer(code));
	json_object_set_new(err, "message", json_string(message));
	json_object_set_new(err, "data", json_string(data));
	json_object_set_new(root, "jsonrpc", json_string("2.0"));
	json_object_set_new(root, "error", err);
	json_object_set_new(root, "id", id ? json_incref(id) : json_null());
	return root;
}

/* 'Invalid parameter "/NAME": WHAT.' */
static json_t *
invalid_params(json_t *id, const char *name, const char *what)
{
	char data[200];

	snprintf(data, sizeof(data), "Invalid parameter \"/%s\": %s.", name, what);
	return rpc_error(id, -32602, "Invalid params.", data);
}

bool
zx_get_number(struct zx_call *c, const char *key, int64_t *out)
{
	json_t *v = json_object_get(c->params, key);
	const char *s = json_string_value(v);
	char *end;

	if (!v || json_is_null(v))
		return false;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (s && *s && (isdigit((unsigned char)*s) || *s == '-')) {
		*out = strtoll(s, &end, 10);
		if (*end == '\0')
			return true;
	}
	if (!c->error)
		c->error = invalid_params(c->id, key, "an integer is expected");
	return false;
}

/* An id or a list of ids as a set of numbers (new array), or NULL when absent. */
uint64_t *
zx_get_ids(struct zx_call *c, const char *key, size_t *n)
{
	json_t *v = json_object_get(c->params, key), *one;
	uint64_t *ids;
	size_t i;

	*n = 0;
	if (!v || json_is_null(v))
		return NULL;
	ids = xcalloc(json_is_array(v) ? json_array_size(v) + 1 : 2, sizeof(*ids));
	for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		const char *s;
		char *end;

		one = json_is_array(v) ? json_array_get(v, i) : v;
		s = json_string_value(one);
		if (json_is_integer(one) && json_integer_value(one) >= 0) {
			ids[(*n)++] = (uint64_t)json_integer_value(one);
			continue;
		}
		if (s && isdigit((unsigned char)*s)) {
			ids[*n] = strtoull(s, &end, 10);
			if (*end == '\0') {
				(*n)++;
				continue;
			}
		}
		if (!c->error)
			c->error = invalid_params(c->id, key, "a number is expected");
		free(ids);
		*n = 0;
		return NULL;
	}
	return ids;
}

bool
zx_ids_have(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Whether a filter value (a value or a list of them) admits v. */
static bool
values_admit(const json_t *filter, int64_t v)
{
	const json_t *one;
	size_t i;

	if (!filter || json_is_null(filter))
		return true;
	for (i = 0; i < (json_is_array(filter) ? json_array_size(filter) : 1); i++) {
		one = json_is_array(filter) ? json_array_get(filter, i) : filter;
		if ((json_is_integer(one) && json_integer_value(one) == v) ||
		    (json_is_string(one) && strtoll(json_string_value(one), NULL, 10) == v))
			return true;
	}
	return false;
}

/* output: "extend", or the list of fields to keep. */
void
zx_apply_output(json_t *obj, const json_t *output, const char *const *keep_always)
{
	const char *key;
	json_t *value;
	void *tmp;

	if (!json_is_array(output))
		return;
	json_object_foreach_safe(obj, tmp, key, value)
	{
		bool keep = false;
		size_t i;
		const json_t *f;

		(void)value;
		json_array_foreach(output, i, f)
		{
			keep = keep || streq(json_string_value(f), key);
		}
		for (i = 0; keep_always && keep_always[i]; i++)
			keep = keep || streq(keep_always[i], key);
		if (!keep)
			json_object_del(obj, key);
	}
}

/* ---- users and sessions ---- */

struct zx_sessions {
	char ids[MAX_SESSIONS][33];
	size_t n;
	uint64_t made;
};

static struct zx_sessions *
sessions(struct sim *sim)
{
	if (!sim->zabbix)
		sim->zabbix = xcalloc(1, sizeof(struct zx_sessions));
	return sim->zabbix;
}

void
zabbix_state_release(struct sim *sim)
{
	free(sim->zabbix);
	sim->zabbix = NULL;
}

static bool
session_valid(struct sim *sim, const char *auth)
{
	struct zx_sessions *s = sessions(sim);

	for (size_t i = 0; i < s->n; i++)
		if (streq(s->ids[i], auth))
			return true;
	return false;
}

static bool
auth_ok(struct sim *sim, const json_t *auth)
{
	const char *a = json_string_value(auth);

	if (!a || !*a)
		return false;
	if (session_valid(sim, a))
		return true;
	return sim->require_token ? streq(a, sim->require_token) : true;
}

static json_t *
user_login(struct sim *sim, struct zx_call *c)
{
	const char *user = json_string_value(json_object_get(c->params, "username"));
	const char *password = json_string_value(json_object_get(c->params, "password"));
	struct zx_sessions *s = sessions(sim);
	uint64_t a, b;
	char *id;

	/* "user" is the name before 5.4, still read in 6.0. */
	if (!user)
		user = json_string_value(json_object_get(c->params, "user"));
	if (!user || !password || !streq(user, "Admin") ||
	    (sim->require_token && !streq(password, sim->require_token)))
		return rpc_error(c->id, -32602, "Invalid params.",
				 "Incorrect user name or password or account is temporarily "
				 "blocked.");
	if (s->n == MAX_SESSIONS) {
		memmove(s->ids[0], s->ids[1], (MAX_SESSIONS - 1) * sizeof(s->ids[0]));
		s->n--;
	}
	a = sim_hash(sim->world.seed, "zabbix-session", s->made);
	b = sim_hash(sim->world.seed, "zabbix-session", s->made + 0x9e3779b9);
	s->made++;
	id = s->ids[s->n++];
	snprintf(id, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
	return json_string(id);
}

static json_t *
user_logout(struct sim *sim, const json_t *auth)
{
	struct zx_sessions *s = sessions(sim);
	const char *a = json_string_value(auth);

	for (size_t i = 0; a && i < s->n; i++) {
		if (streq(s->ids[i], a)) {
			memmove(s->ids[i], s->ids[i + 1], (s->n - i - 1) * sizeof(s->ids[0]));
			s->n--;
			break;
		}
	}
	return json_true();
}

/* ---- problems and events ---- */

/* A problem's state at now. */
struct zx_state {
	bool resolved;
	bool acknowledged;
	int severity;
};

static struct zx_state
state_at(const struct zx_problem *p, int64_t now)
{
	struct zx_state st = { .severity = p->severity };

	st.resolved = p->resolve != TIME_NONE && p->resolve <= now;
	for (size_t j = 0; j < p->n_acks; j++) {
		const struct zx_ack *a = &p->acks[j];

		if (a->clock > now)
			continue;
		if (a->action & 2)
			st.acknowledged = true;
		if (a->action & 16)
			st.acknowledged = false;
		if (a->action & 8)
			st.severity = a->new_severity;
	}
	return st;
}

json_t *
zx_host_json(const struct world *w, size_t s, const json_t *select)
{
	json_t *h = json_object();
	static const char *const none[] = { NULL };

	json_object_set_new(h, "hostid", zx_id_json(ZX_HOST_BASE + s));
	json_object_set_new(h, "host", json_string(w->services[s].name));
	json_object_set_new(h, "name", json_string(w->services[s].name));
	zx_apply_output(h, select, none);
	return h;
}

static json_t *
tags_json(const struct world *w, const struct zx_problem *p)
{
	json_t *tags = json_array(), *t;

	/* Trigger tags first, then host tags. */
	if (p->scenario) {
		t = json_object();
		json_object_set_new(t, "tag", json_string("service"));
		json_object_set_new(t, "value", json_string(w->services[p->service].name));
		json_array_append_new(tags, t);
	}
	t = json_object();
	json_object_set_new(t, "tag", json_string("scope"));
	json_object_set_new(t, "value", json_string(p->scope));
	json_array_append_new(tags, t);
	t = json_object();
	json_object_set_new(t, "tag", json_string("env"));
	json_object_set_new(t, "value", json_string("production"));
	json_array_append_new(tags, t);
	return tags;
}

static void
capitalized(const char *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s);
	if (buf[0])
		buf[0] = (char)toupper((unsigned char)buf[0]);
}

/* The acknowledges visible at now, newest first; with_user as event.get gives
 * them (username, name, surname). */
static json_t *
acks_json(const struct world *w, const struct zx_problem *p, int64_t now, bool with_user)
{
	json_t *arr = json_array();
	char name[64];

	for (size_t j = p->n_acks; j-- > 0;) {
		const struct zx_ack *a = &p->acks[j];
		json_t *o;

		if (a->clock > now)
			continue;
		o = json_object();
		json_object_set_new(o, "acknowledgeid", zx_id_json(a->id));
		json_object_set_new(o, "userid", zx_id_json(user_id(w, a->user)));
		json_object_set_new(o, "eventid", zx_id_json(p->eventid));
		json_object_set_new(o, "clock", zx_int_json(a->clock));
		json_object_set_new(o, "message", json_string(a->message ? a->message : ""));
		json_object_set_new(o, "action", zx_int_json(a->action));
		json_object_set_new(o, "old_severity", zx_int_json(a->old_severity));
		json_object_set_new(o, "new_severity", zx_int_json(a->new_severity));
		if (with_user) {
			capitalized(a->user, name, sizeof(name));
			json_object_set_new(o, "username", json_string(a->user));
			json_object_set_new(o, "name", json_string(name));
			json_object_set_new(o, "surname", json_string(""));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The user who closed it by hand, or 0. */
static uint64_t
closer(const struct world *w, const struct zx_problem *p, int64_t now)
{
	if (!p->manual || p->resolve > now)
		return 0;
	/* The close is the last ack of the world's; a client's may follow it. */
	for (size_t j = p->n_acks; j-- > 0;)
		if (p->acks[j].action & 1)
			return user_id(w, p->acks[j].user);
	return 0;
}

struct event_select {
	const json_t *output, *hosts, *tags, *acks;
};

/* event.get's object of a problem event (recovery false) or its recovery. */
static json_t *
event_json(const struct world *w, const struct zx_problem *p, bool recovery, int64_t now,
	   const struct event_select *sel)
{
	static const char *const none[] = { NULL };
	struct zx_state st = state_at(p, now);
	json_t *o = json_object(), *hosts;

	json_object_set_new(o, "eventid", zx_id_json(recovery ? p->r_eventid : p->eventid));
	json_object_set_new(o, "source", json_string("0"));
	json_object_set_new(o, "object", json_string("0"));
	json_object_set_new(o, "objectid", zx_id_json(p->triggerid));
	json_object_set_new(o, "clock", zx_int_json(recovery ? p->resolve : p->clock));
	json_object_set_new(o, "value", json_string(recovery ? "0" : "1"));
	json_object_set_new(o, "acknowledged",
			    json_string(!recovery && st.acknowledged ? "1" : "0"));
	json_object_set_new(o, "ns", zx_int_json(recovery ? p->r_ns : p->ns));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "severity", zx_int_json(recovery ? 0 : st.severity));
	json_object_set_new(o, "r_eventid",
			    zx_id_json(!recovery && st.resolved ? p->r_eventid : 0));
	json_object_set_new(o, "c_eventid", json_string("0"));
	json_object_set_new(o, "correlationid", json_string("0"));
	json_object_set_new(o, "userid", zx_id_json(recovery ? 0 : closer(w, p, now)));
	json_object_set_new(o, "opdata", json_string(""));
	json_object_set_new(o, "suppressed", json_string("0"));
	json_object_set_new(o, "urls", json_array());
	zx_apply_output(o, sel->output, none);
	if (sel->hosts) {
		hosts = json_array();
		json_array_append_new(hosts, zx_host_json(w, p->service, sel->hosts));
		json_object_set_new(o, "hosts", hosts);
	}
	if (sel->acks)
		json_object_set_new(o, "acknowledges",
				    recovery ? json_array() : acks_json(w, p, now, true));
	if (sel->tags)
		json_object_set_new(o, "tags", tags_json(w, p));
	return o;
}

/* One event of a listing: which problem, and whether its recovery. */
struct zx_row {
	const struct zx_problem *p;
	bool recovery;
	uint64_t id;
	int64_t clock;
};

static int
sort_dir(const json_t *order, size_t i)
{
	const json_t *o = json_is_array(order) ? json_array_get(order, i) : order;
	const char *s = json_string_value(o);

	return s && strcasecmp(s, "DESC") == 0 ? -1 : 1;
}

/* The sort of a listing, for qsort's comparator. */
static const json_t *sort_fields, *sort_orders;

static int
compare_rows(const void *x, const void *y)
{
	const struct zx_row *a = x, *b = y;
	size_t n = json_is_array(sort_fields) ? json_array_size(sort_fields) : 1;

	for (size_t i = 0; i < n; i++) {
		const json_t *f =
			json_is_array(sort_fields) ? json_array_get(sort_fields, i) : sort_fields;
		const char *field = json_string_value(f);
		int dir = sort_dir(sort_orders, i);

		if (streq(field, "clock") && a->clock != b->clock)
			return a->clock < b->clock ? -dir : dir;
		if (streq(field, "objectid") && a->p->triggerid != b->p->triggerid)
			return a->p->triggerid < b->p->triggerid ? -dir : dir;
		if (streq(field, "eventid") && a->id != b->id)
			return a->id < b->id ? -dir : dir;
	}
	return a->id < b->id ? -1 : a->id > b->id;
}

static void
sort_rows(struct zx_row *rows, size_t n, const json_t *fields, const json_t *orders)
{
	if (!fields || n < 2)
		return;
	/* Under sim->lock: one listing at a time. */
	sort_fields = fields;
	sort_orders = orders;
	qsort(rows, n, sizeof(*rows), compare_rows);
	sort_fields = sort_orders = NULL;
}

/* The filters event.get and problem.get share. */
struct zx_filter {
	uint64_t *eventids, *objectids, *hostids;
	size_t n_eventids, n_objectids, n_hostids;
	int64_t time_from, time_till, from_id, till_id, limit;
	bool has_time_from, has_time_till, has_from_id, has_till_id, has_limit;
	bool other_source;
};

static void
filter_release(struct zx_filter *f)
{
	free(f->eventids);
	free(f->objectids);
	free(f->hostids);
}

static void
filter_read(struct zx_call *c, bool stuck, struct zx_filter *f)
{
	int64_t v;

	memset(f, 0, sizeof(*f));
	f->eventids = zx_get_ids(c, "eventids", &f->n_eventids);
	f->objectids = zx_get_ids(c, "objectids", &f->n_objectids);
	f->hostids = zx_get_ids(c, "hostids", &f->n_hostids);
	f->has_time_from = zx_get_number(c, "time_from", &f->time_from) && !stuck;
	f->has_time_till = zx_get_number(c, "time_till", &f->time_till);
	f->has_limit = zx_get_number(c, "limit", &f->limit);
	if (json_object_get(c->params, "eventid_from")) {
		uint64_t *one;
		size_t n;

		one = zx_get_ids(c, "eventid_from", &n);
		f->has_from_id = n == 1 && !stuck;
		f->from_id = n == 1 ? (int64_t)one[0] : 0;
		free(one);
	}
	if (json_object_get(c->params, "eventid_till")) {
		uint64_t *one;
		size_t n;

		one = zx_get_ids(c, "eventid_till", &n);
		f->has_till_id = n == 1;
		f->till_id = n == 1 ? (int64_t)one[0] : 0;
		free(one);
	}
	/* Only trigger events exist here. */
	f->other_source = (zx_get_number(c, "source", &v) && v != 0) ||
			  (zx_get_number(c, "object", &v) && v != 0);
}

static bool
filter_admits(const struct zx_filter *f, const struct zx_row *r)
{
	if (f->other_source)
		return false;
	if (f->eventids && !zx_ids_have(f->eventids, f->n_eventids, r->id))
		return false;
	if (f->objectids && !zx_ids_have(f->objectids, f->n_objectids, r->p->triggerid))
		return false;
	if (f->hostids && !zx_ids_have(f->hostids, f->n_hostids, ZX_HOST_BASE + r->p->service))
		return false;
	if ((f->has_time_from && r->clock < f->time_from) ||
	    (f->has_time_till && r->clock > f->time_till))
		return false;
	if ((f->has_from_id && (int64_t)r->id < f->from_id) ||
	    (f->has_till_id && (int64_t)r->id > f->till_id))
		return false;
	return true;
}

static json_t *
event_get(struct sim *sim, struct zx_call *c, bool stuck)
{
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	const json_t *value = json_object_get(c->params, "value");
	struct event_select sel = {
		.output = json_object_get(c->params, "output"),
		.hosts = json_object_get(c->params, "selectHosts"),
		.tags = json_object_get(c->params, "selectTags"),
		/* 6.0's spelling; selectAcknowledges is problem.get's. */
		.acks = json_object_get(c->params, "select_acknowledges"),
	};
	struct zx_world zw;
	struct zx_filter f;
	struct zx_row *rows;
	json_t *result;
	size_t n = 0;

	filter_read(c, stuck, &f);
	if (c->error) {
		filter_release(&f);
		return NULL;
	}
	zx_collect(sim, &zw);
	rows = xcalloc(2 * zw.n + 1, sizeof(*rows));
	for (size_t i = 0; i < zw.n; i++) {
		const struct zx_problem *p = &zw.items[i];
		struct zx_row pr = { p, false, p->eventid, p->clock };
		struct zx_row rr = { p, true, p->r_eventid, p->resolve };

		if (p->clock <= now && values_admit(value, 1) && filter_admits(&f, &pr))
			rows[n++] = pr;
		if (p->resolve != TIME_NONE && p->resolve <= now && values_admit(value, 0) &&
		    filter_admits(&f, &rr))
			rows[n++] = rr;
	}
	sort_rows(rows, n, json_object_get(c->params, "sortfield"),
		  json_object_get(c->params, "sortorder"));
	if (f.has_limit && f.limit >= 0 && (size_t)f.limit < n)
		n = (size_t)f.limit;
	result = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			result, event_json(&sim->world, rows[i].p, rows[i].recovery, now, &sel));
	free(rows);
	filter_release(&f);
	zx_release(&zw);
	return result;
}

static json_t *
problem_json(const struct world *w, const struct zx_problem *p, int64_t now, const json_t *output,
	     const json_t *acks, const json_t *tags)
{
	static const char *const none[] = { NULL };
	struct zx_state st = state_at(p, now);
	json_t *o = json_object();

	json_object_set_new(o, "eventid", zx_id_json(p->eventid));
	json_object_set_new(o, "source", json_string("0"));
	json_object_set_new(o, "object", json_string("0"));
	json_object_set_new(o, "objectid", zx_id_json(p->triggerid));
	json_object_set_new(o, "clock", zx_int_json(p->clock));
	json_object_set_new(o, "ns", zx_int_json(p->ns));
	json_object_set_new(o, "r_eventid", zx_id_json(st.resolved ? p->r_eventid : 0));
	json_object_set_new(o, "r_clock", zx_int_json(st.resolved ? p->resolve : 0));
	json_object_set_new(o, "r_ns", zx_int_json(st.resolved ? p->r_ns : 0));
	json_object_set_new(o, "correlationid", json_string("0"));
	json_object_set_new(o, "userid", zx_id_json(closer(w, p, now)));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "acknowledged", json_string(st.acknowledged ? "1" : "0"));
	json_object_set_new(o, "severity", zx_int_json(st.severity));
	json_object_set_new(o, "opdata", json_string(""));
	zx_apply_output(o, output, none);
	if (acks)
		json_object_set_new(o, "acknowledges", acks_json(w, p, now, false));
	json_object_set_new(o, "suppressed", json_string("0"));
	json_object_set_new(o, "urls", json_array());
	if (tags)
		json_object_set_new(o, "tags", tags_json(w, p));
	return o;
}

/* Unresolved problems, and with recent=true those resolved within OK_PERIOD;
 * selectHosts is not a parameter of problem.get and is ignored. */
static json_t *
problem_get(struct sim *sim, struct zx_call *c)
{
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	const json_t *recent = json_object_get(c->params, "recent");
	bool with_recent = json_is_true(recent) || streq(json_string_value(recent), "true") ||
			   (json_is_integer(recent) && json_integer_value(recent) != 0);
	struct zx_world zw;
	struct zx_filter f;
	struct zx_row *rows;
	json_t *result;
	size_t n = 0;

	filter_read(c, false, &f);
	if (c->error) {
		filter_release(&f);
		return NULL;
	}
	zx_collect(sim, &zw);
	rows = xcalloc(zw.n + 1, sizeof(*rows));
	for (size_t i = 0; i < zw.n; i++) {
		const struct zx_problem *p = &zw.items[i];
		struct zx_row pr = { p, false, p->eventid, p->clock };
		bool resolved = p->resolve != TIME_NONE && p->resolve <= now;

		if (p->clock > now || !filter_admits(&f, &pr))
			continue;
		if (resolved && !(with_recent && now - p->resolve < OK_PERIOD))
			continue;
		rows[n++] = pr;
	}
	sort_rows(rows, n, json_object_get(c->params, "sortfield"),
		  json_object_get(c->params, "sortorder"));
	if (f.has_limit && f.limit >= 0 && (size_t)f.limit < n)
		n = (size_t)f.limit;
	result = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(result,
				      problem_json(&sim->world, rows[i].p, now,
						   json_object_get(c->params, "output"),
						   json_object_get(c->params, "selectAcknowledges"),
						   json_object_get(c->params, "selectTags")));
	free(rows);
	filter_release(&f);
	zx_release(&zw);
	return result;
}

/* ---- event.acknowledge ---- */

/* The action bits 6.0 knows: close, acknowledge, message, severity, unacknowledge. */
#define KNOWN_ACTIONS (1 | 2 | 4 | 8 | 16)

/* event.acknowledge: problem events that exist at now (a recovery event, or one
 * not visible to the user, is refused as Zabbix refuses it); the update is made by
 * Admin, the only API user here. Severity changes and closes are not served. */
static json_t *
event_acknowledge(struct sim *sim, struct zx_call *c)
{
	int64_t now_ms = sim_clock_now(&sim->clock), now = floor_div(now_ms, 1000), action;
	const char *msg = json_string_value(json_object_get(c->params, "message"));
	size_t n, i, j;
	uint64_t *ids = zx_get_ids(c, "eventids", &n);
	struct zx_world zw;
	json_t *result;

	if (!ids || !n) {
		if (!c->error)
			c->error = invalid_params(c->id, "eventids", "cannot be empty");
		free(ids);
		return NULL;
	}
	if (!zx_get_number(c, "action", &action) || action <= 0 || (action & ~KNOWN_ACTIONS)) {
		if (!c->error)
			c->error = invalid_params(c->id, "action", "value must be one of 1-31");
		free(ids);
		return NULL;
	}
	if ((action & 4) && (!msg || !*msg)) {
		c->error = invalid_params(c->id, "message", "cannot be empty");
		free(ids);
		return NULL;
	}
	zx_collect(sim, &zw);
	for (i = 0; i < n; i++) {
		for (j = 0; j < zw.n; j++)
			if (zw.items[j].eventid == ids[i] && zw.items[j].clock <= now)
				break;
		if (j == zw.n)
			break;
	}
	zx_release(&zw);
	if (i < n) {
		free(ids);
		c->error = rpc_error(c->id, -32500, "Application error.",
				     "No permissions to referred object or it does not exist!");
		return NULL;
	}
	result = json_array();
	for (i = 0; i < n; i++) {
		char text[24];
		struct sim_ack *k;

		snprintf(text, sizeof(text), "%llu", (unsigned long long)ids[i]);
		k = sim_ack_add(sim, "zabbix", text, now_ms, "Admin", msg);
		k->action = (int)(action & (2 | 4 | 16));
		json_array_append_new(result, json_integer((json_int_t)ids[i]));
	}
	free(ids);
	return json_pack("{s:o}", "eventids", result);
}

/* ---- the endpoint ---- */

static const char *const public_methods[] = { "apiinfo.version", "user.login" };

static bool
is_public(const char *method)
{
	for (size_t i = 0; i < ARRAY_SIZE(public_methods); i++)
		if (streq(method, public_methods[i]))
			return true;
	return false;
}

static json_t *
call_method(struct sim *sim, struct zx_call *c, const json_t *auth, bool stuck)
{
	const char *m = c->method;

	if (streq(m, "apiinfo.version"))
		return json_string(VERSION);
	if (streq(m, "user.login"))
		return user_login(sim, c);
	if (streq(m, "user.logout"))
		return user_logout(sim, auth);
	if (streq(m, "event.get"))
		return event_get(sim, c, stuck);
	if (streq(m, "event.acknowledge"))
		return event_acknowledge(sim, c);
	if (streq(m, "problem.get"))
		return problem_get(sim, c);
	if (streq(m, "item.get"))
		return zabbix_item_get(sim, c);
	if (streq(m, "history.get"))
		return zabbix_history_get(sim, c, stuck);
	if (streq(m, "trend.get"))
		return zabbix_trend_get(sim, c);
	return NULL;
}

static bool
known_method(const char *m)
{
	static const char *const methods[] = {
		"apiinfo.version", "user.login",  "user.logout", "event.get",	     "problem.get",
		"item.get",	   "history.get", "trend.get",	 "event.acknowledge"
	};

	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (streq(m, methods[i]))
			return true;
	return false;
}

/* One JSON-RPC request object to its response object (new). */
static json_t *
answer(struct sim *sim, json_t *rq, bool stuck)
{
	const json_t *jsonrpc = json_object_get(rq, "jsonrpc");
	const json_t *auth = json_object_get(rq, "auth");
	struct zx_call c = { .id = json_object_get(rq, "id") };
	json_t *result, *root;
	char data[200];

	if (!json_is_object(rq))
		return rpc_error(NULL, -32600, "Invalid Request.",
				 "Invalid parameter \"/\": an array or object is expected.");
	if (!streq(json_string_value(jsonrpc), "2.0"))
		return rpc_error(c.id, -32600, "Invalid Request.",
				 "Invalid parameter \"/jsonrpc\": value must be \"2.0\".");
	c.method = json_string_value(json_object_get(rq, "method"));
	if (!c.method)
		return rpc_error(c.id, -32600, "Invalid Request.",
				 "Invalid parameter \"/\": the parameter \"method\" is missing.");
	c.params = json_object_get(rq, "params");
	if (!known_method(c.method)) {
		snprintf(data, sizeof(data), "Incorrect method \"%.120s\".", c.method);
		return rpc_error(c.id, -32601, "Method not found.", data);
	}
	if (streq(c.method, "apiinfo.version") && auth && !json_is_null(auth))
		return rpc_error(c.id, -32602, "Invalid params.",
				 "The \"apiinfo.version\" method must be called without the "
				 "\"auth\" parameter.");
	if (!is_public(c.method) && !auth_ok(sim, auth))
		return rpc_error(c.id, -32602, "Invalid params.", "Not authorized.");
	if (!json_is_object(c.params) && !streq(c.method, "user.logout"))
		return rpc_error(c.id, -32602, "Invalid params.",
				 "Invalid parameter \"/\": an array is expected.");
	result = call_method(sim, &c, auth, stuck);
	if (c.error) {
		json_decref(result);
		return c.error;
	}
	if (json_object_get(result, "error")) /* user.login's refusal */
		return result;
	root = json_object();
	json_object_set_new(root, "jsonrpc", json_string("2.0"));
	json_object_set_new(root, "result", result);
	json_object_set_new(root, "id", c.id ? json_incref(c.id) : json_null());
	return root;
}

static bool
json_rpc_type(const char *ctype)
{
	size_t n = ctype ? strcspn(ctype, ";") : 0;

	while (n > 0 && ctype[n - 1] == ' ')
		n--;
	return ctype && ((n == 20 && strncasecmp(ctype, "application/json-rpc", n) == 0) ||
			 (n == 16 && strncasecmp(ctype, "application/json", n) == 0));
}

void
zabbix_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	json_t *rq;

	if (!streq(req->route, API_PATH)) {
		response_text(resp, 404,
			      "<html><head><title>404 Not Found</title></head></html>\n");
		resp->content_type = "text/html";
		return;
	}
	if (!streq(req->method, "POST")) {
		response_text(resp, 405, "");
		return;
	}
	/* The frontend answers a wrong Content-Type with 412 and nothing else. */
	if (!json_rpc_type(req->content_type)) {
		response_text(resp, 412, "");
		return;
	}
	rq = json_loadb(req->body, req->body_len, 0, NULL);
	if (!rq) {
		response_json(resp, 200,
			      rpc_error(NULL, -32700, "Parse error.",
					"Invalid JSON. An error occurred on the server while "
					"parsing the JSON text."));
		return;
	}
	if (json_is_array(rq))
		response_json(resp, 200,
			      rpc_error(NULL, -32600, "Invalid Request.",
					"sitrep-sim: batch requests are not served."));
	else
		response_json(resp, 200, answer(sim, rq, req->stuck_cursor));
	json_decref(rq);
}

void
zabbix_peek(struct sim *sim, const char *body, size_t len, char *method, size_t size,
	    json_t **params, int *token_ok)
{
	json_t *rq = json_loadb(body, len, 0, NULL);
	const char *m = json_string_value(json_object_get(rq, "method"));
	json_t *p = json_object_get(rq, "params");

	snprintf(method, size, "%s", m ? m : "");
	*params = json_is_object(p) ? json_deep_copy(p) : json_object();
	/* The log is read by tests: never a password. */
	if (json_object_get(*params, "password"))
		json_object_set_new(*params, "password", json_string("(hidden)"));
	*token_ok = !m || is_public(m) ? -1 : auth_ok(sim, json_object_get(rq, "auth"));
	json_decref(rq);
}

void
zabbix_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[256];
	const char *reason = status == 500   ? "Internal Server Error"
			     : status == 502 ? "Bad Gateway"
			     : status == 503 ? "Service Temporarily Unavailable"
			     : status == 504 ? "Gateway Time-out"
			     : status == 403 ? "Forbidden"
			     : status == 404 ? "Not Found"
					     : "Error";

	/* The frontend behind nginx and PHP-FPM: an HTML page, or nothing (412). */
	if (status == 412) {
		response_text(resp, status, "");
		return;
	}
	snprintf(text, sizeof(text),
		 "<html>\r\n<head><title>%u %s</title></head>\r\n<body>\r\n<center><h1>%u "
		 "%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
		 status, reason, status, reason);
	response_text(resp, status, text);
	resp->content_type = "text/html";
}
