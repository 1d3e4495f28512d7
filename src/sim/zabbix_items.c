/* zabbix_items.c - the items of the Zabbix dialect (zabbix.c): item.get,
 * history.get and trend.get over one host per service.
 *
 * Each host has items that sample its service's metrics every minute
 * (system.cpu.util, vm.memory.utilization, agent.ping, app.rpm, app.latency,
 * app.errors) and a text item app.version; history is kept two days, hourly
 * trends two weeks for the completed hours only (the current hour is still in
 * the server's cache). Every value is a string; history.get reads the table of
 * its `history` type (3 when not given) and answers [] for another. The
 * stuck_cursor fault makes history.get ignore time_from. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>
#include <strings.h>

#define ITEM_BASE 30001
#define ITEM_STRIDE 100
#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define HISTORY_KEEP (2 * DAY)
#define TREND_KEEP (14 * DAY)

enum zx_value_type {
	VT_FLOAT = 0,
	VT_UINT = 3,
	VT_TEXT = 4,
};

/* The items every host has. */
static const struct {
	const char *key, *name, *units;
	enum zx_value_type type;
	int metric; /* enum metric_kind, -1 for the text item */
} item_defs[] = {
	{ "system.cpu.util", "CPU utilization", "%", VT_FLOAT, METRIC_CPU },
	{ "vm.memory.utilization", "Memory utilization", "%", VT_FLOAT, METRIC_MEMORY },
	{ "agent.ping", "Zabbix agent ping", "", VT_UINT, METRIC_UP },
	{ "app.rpm", "Requests per minute", "rpm", VT_FLOAT, METRIC_RPM },
	{ "app.latency", "Average latency", "s", VT_FLOAT, METRIC_LATENCY },
	{ "app.errors", "5xx responses per minute", "rpm", VT_FLOAT, METRIC_ERRORS },
	{ "app.version", "Deployed version", "", VT_TEXT, -1 },
};

/* Item k of service s. */
static uint64_t
item_id(size_t s, size_t k)
{
	return ITEM_BASE + s * ITEM_STRIDE + k;
}

static bool
item_of(const struct world *w, uint64_t id, size_t *s, size_t *k)
{
	if (id < ITEM_BASE)
		return false;
	*s = (size_t)((id - ITEM_BASE) / ITEM_STRIDE);
	*k = (size_t)((id - ITEM_BASE) % ITEM_STRIDE);
	return *s < w->n_services && *k < ARRAY_SIZE(item_defs);
}

/* %.4f without trailing zeros: "63.5", "0.1234", "95". */
static void
format_value(double v, char *buf, size_t size)
{
	size_t len;

	snprintf(buf, size, "%.4f", v);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
}

/* The value of item k of service s at t (a minute boundary), as Zabbix writes it. */
static void
item_value(const struct world *w, size_t s, size_t k, int64_t t, char *buf, size_t size)
{
	double v;

	if (item_defs[k].metric < 0) {
		/* The deploy of the week: 2.14.0 a day before --start. */
		snprintf(buf, size, "%s", t < w->origin - DAY ? "2.13.4" : "2.14.0");
		return;
	}
	v = series_value(w, s, (enum metric_kind)item_defs[k].metric, (double)t);
	if (item_defs[k].type == VT_UINT) {
		snprintf(buf, size, "%.0f", round(v));
		return;
	}
	format_value(v, buf, size);
}

static uint32_t
sample_ns(const struct world *w, uint64_t itemid, int64_t t)
{
	return (uint32_t)(sim_hash(w->seed, "zabbix-ns", itemid * 1000003u + (uint64_t)t) %
			  1000000000u);
}

/* The newest sample at or before now (a minute boundary). */
static int64_t
last_sample(int64_t now)
{
	return floor_div(now, MINUTE) * MINUTE;
}

static json_t *
item_json(const struct world *w, size_t s, size_t k, int64_t now, const json_t *output,
	  const json_t *select_hosts)
{
	static const char *const none[] = { NULL };
	uint64_t id = item_id(s, k);
	int64_t last = last_sample(now);
	json_t *o = json_object(), *hosts;
	char value[64], prev[64];

	item_value(w, s, k, last, value, sizeof(value));
	item_value(w, s, k, last - MINUTE, prev, sizeof(prev));
	json_object_set_new(o, "itemid", zx_id_json(id));
	json_object_set_new(o, "type", json_string("0"));
	json_object_set_new(o, "hostid", zx_id_json(ZX_HOST_BASE + s));
	json_object_set_new(o, "name", json_string(item_defs[k].name));
	json_object_set_new(o, "key_", json_string(item_defs[k].key));
	json_object_set_new(o, "delay", json_string("1m"));
	json_object_set_new(o, "history", json_string("2d"));
	json_object_set_new(o, "trends", json_string(item_defs[k].type == VT_TEXT ? "0" : "14d"));
	json_object_set_new(o, "value_type", zx_int_json(item_defs[k].type));
	json_object_set_new(o, "units", json_string(item_defs[k].units));
	json_object_set_new(o, "status", json_string("0"));
	json_object_set_new(o, "state", json_string("0"));
	json_object_set_new(o, "error", json_string(""));
	json_object_set_new(o, "lastclock", zx_int_json(last));
	json_object_set_new(o, "lastns", zx_int_json(sample_ns(w, id, last)));
	json_object_set_new(o, "lastvalue", json_string(value));
	json_object_set_new(o, "prevvalue", json_string(prev));
	zx_apply_output(o, output, none);
	if (select_hosts) {
		hosts = json_array();
		json_array_append_new(hosts, zx_host_json(w, s, select_hosts));
		json_object_set_new(o, "hosts", hosts);
	}
	return o;
}

/* filter/search {"key_": ...}: a value or a list (filter: exact; search: part). */
static bool
key_admitted(const json_t *cond, const char *key, bool exact)
{
	const json_t *v = json_object_get(cond, "key_"), *one;
	size_t i;

	if (!v || json_is_null(v))
		return true;
	for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		const char *want;

		one = json_is_array(v) ? json_array_get(v, i) : v;
		want = json_string_value(one);
		if (want && (exact ? streq(want, key) : strstr(key, want) != NULL))
			return true;
	}
	return false;
}

json_t *
zabbix_item_get(struct sim *sim, struct zx_call *c)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000), limit = -1;
	const char *host = json_string_value(json_object_get(c->params, "host"));
	const json_t *filter = json_object_get(c->params, "filter");
	const json_t *search = json_object_get(c->params, "search");
	size_t n_items, n_hosts;
	uint64_t *itemids = zx_get_ids(c, "itemids", &n_items);
	uint64_t *hostids = zx_get_ids(c, "hostids", &n_hosts);
	json_t *result = json_array();

	zx_get_number(c, "limit", &limit);
	/* Only hosts here: templated=true would list the templates' items. */
	if (json_is_true(json_object_get(c->params, "templated")))
		limit = 0;
	for (size_t s = 0; !c->error && s < w->n_services; s++) {
		for (size_t k = 0; k < ARRAY_SIZE(item_defs); k++) {
			if (limit >= 0 && json_array_size(result) >= (size_t)limit)
				break;
			if ((itemids && !zx_ids_have(itemids, n_items, item_id(s, k))) ||
			    (hostids && !zx_ids_have(hostids, n_hosts, ZX_HOST_BASE + s)) ||
			    (host && !streq(host, w->services[s].name)) ||
			    !key_admitted(filter, item_defs[k].key, true) ||
			    !key_admitted(search, item_defs[k].key, false))
				continue;
			json_array_append_new(result,
					      item_json(w, s, k, now,
							json_object_get(c->params, "output"),
							json_object_get(c->params, "selectHosts")));
		}
	}
	free(itemids);
	free(hostids);
	if (c->error) {
		json_decref(result);
		return NULL;
	}
	return result;
}

/* The window of samples a history or trend request may see: [from, till]. */
struct zx_window {
	int64_t from, till;
	int64_t limit;
	bool desc;
};

static void
window_read(struct zx_call *c, bool stuck, int64_t lo, int64_t hi, struct zx_window *win)
{
	int64_t v;
	const char *order = json_string_value(json_object_get(c->params, "sortorder"));

	win->from = lo;
	win->till = hi;
	win->limit = -1;
	if (zx_get_number(c, "time_from", &v) && !stuck && v > win->from)
		win->from = v;
	if (zx_get_number(c, "time_till", &v) && v < win->till)
		win->till = v;
	zx_get_number(c, "limit", &win->limit);
	win->desc = order && strcasecmp(order, "DESC") == 0;
}

static json_t *
history_row(const struct world *w, uint64_t id, size_t s, size_t k, int64_t t)
{
	json_t *o = json_object();
	char value[64];

	item_value(w, s, k, t, value, sizeof(value));
	json_object_set_new(o, "itemid", zx_id_json(id));
	json_object_set_new(o, "clock", zx_int_json(t));
	json_object_set_new(o, "value", json_string(value));
	json_object_set_new(o, "ns", zx_int_json(sample_ns(w, id, t)));
	return o;
}

/* history.get: the minute samples of the items of type `history` (3 when not
 * given) in the window, kept HISTORY_KEEP; one item after the other, by clock. */
json_t *
zabbix_history_get(struct sim *sim, struct zx_call *c, bool stuck)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000), type = VT_UINT;
	size_t n_items, s, k;
	uint64_t *itemids = zx_get_ids(c, "itemids", &n_items);
	struct zx_window win;
	json_t *result = json_array();

	zx_get_number(c, "history", &type);
	window_read(c, stuck, now - HISTORY_KEEP, now, &win);
	for (size_t i = 0; !c->error && i < n_items; i++) {
		int64_t first = floor_div(win.from + MINUTE - 1, MINUTE) * MINUTE;
		int64_t last = floor_div(win.till, MINUTE) * MINUTE;

		if (!item_of(w, itemids[i], &s, &k) || (int64_t)item_defs[k].type != type)
			continue;
		for (int64_t t = win.desc ? last : first; win.desc ? t >= first : t <= last;
		     t += win.desc ? -MINUTE : MINUTE) {
			if (win.limit >= 0 && json_array_size(result) >= (size_t)win.limit)
				break;
			json_array_append_new(result, history_row(w, itemids[i], s, k, t));
		}
	}
	free(itemids);
	if (c->error) {
		json_decref(result);
		return NULL;
	}
	return result;
}

/* One completed hour of item k of service s: the minute samples' count, min,
 * average and max. */
static json_t *
trend_row(const struct world *w, uint64_t id, size_t s, size_t k, int64_t hour)
{
	json_t *o = json_object();
	double sum = 0, lo = INFINITY, hi = -INFINITY;
	char text[64];

	for (int64_t t = hour; t < hour + HOUR; t += MINUTE) {
		char value[64];
		double v;

		item_value(w, s, k, t, value, sizeof(value));
		v = strtod(value, NULL);
		sum += v;
		lo = fmin(lo, v);
		hi = fmax(hi, v);
	}
	json_object_set_new(o, "itemid", zx_id_json(id));
	json_object_set_new(o, "clock", zx_int_json(hour));
	json_object_set_new(o, "num", zx_int_json(HOUR / MINUTE));
	format_value(lo, text, sizeof(text));
	json_object_set_new(o, "value_min", json_string(text));
	format_value(sum / (HOUR / MINUTE), text, sizeof(text));
	json_object_set_new(o, "value_avg", json_string(text));
	format_value(hi, text, sizeof(text));
	json_object_set_new(o, "value_max", json_string(text));
	return o;
}

/* trend.get: completed hours only (the current one is still in the server's
 * cache); time_from compares with the hour's start. */
json_t *
zabbix_trend_get(struct sim *sim, struct zx_call *c)
{
	const struct world *w = &sim->world;
	int64_t now = floor_div(sim_clock_now(&sim->clock), 1000);
	size_t n_items, s, k;
	uint64_t *itemids = zx_get_ids(c, "itemids", &n_items);
	struct zx_window win;
	json_t *result = json_array();

	window_read(c, false, now - TREND_KEEP, floor_div(now, HOUR) * HOUR - HOUR, &win);
	for (size_t i = 0; !c->error && i < n_items; i++) {
		if (!item_of(w, itemids[i], &s, &k) || item_defs[k].type == VT_TEXT)
			continue;
		for (int64_t h = floor_div(win.from + HOUR - 1, HOUR) * HOUR; h <= win.till;
		     h += HOUR) {
			if (win.limit >= 0 && json_array_size(result) >= (size_t)win.limit)
				break;
			json_array_append_new(result, trend_row(w, itemids[i], s, k, h));
		}
	}
	free(itemids);
	if (c->error) {
		json_decref(result);
		return NULL;
	}
	return result;
}
