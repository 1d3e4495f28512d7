/* zabbix_metrics.c - the history of Zabbix items as metric samples: the streams
 * "metric:NAME".
 *
 * One stream per [metric "NAME"] with query = ITEMID, HOST:KEY or KEY
 * (a key alone must name one item on one host). item.get finds the item, its
 * value_type and lastclock; only numeric items (0 float, 3 unsigned) have samples.
 * The cursor is the clock of the newest sample read. When lastclock is not past it
 * the round ends there; else history.get (history = value_type, which it needs)
 * from the cursor, 1000 a page, oldest first. The first round reads the last hour
 * of history and, before that, a week of trend.get hourly averages (history is
 * often kept for days only), then starts over at item.get. A sample is (the
 * metric's name, no labels, the service before the name's first dot, clock,
 * value); several values in one second keep the last.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json_tok.h"
#include "zabbix-private.h"

#define HISTORY_LIMIT 1000
/* How far back a first round goes. */
#define HISTORY_BACKFILL 3600
#define TREND_BACKFILL (7 * 86400)

static int64_t
floor_hour(int64_t t)
{
	return t >= 0 ? t - t % 3600 : t - (3600 + t % 3600) % 3600;
}

/* [metric "NAME"]'s query: an itemid, HOST:KEY, or a key alone. Host names
 * cannot hold ':' or '[', keys can (in their [parameters]). */
static void
item_selector(json_t *params, const char *query)
{
	const char *colon = strchr(query, ':'), *bracket = strchr(query, '[');
	json_t *filter = json_object(), *ids;

	if (zbx_is_id(query)) {
		ids = json_array();
		json_array_append_new(ids, json_string(query));
		json_object_set_new(params, "itemids", ids);
		json_decref(filter);
		return;
	}
	if (colon && colon > query && (!bracket || colon < bracket)) {
		json_object_set_new(params, "host", json_stringn(query, (size_t)(colon - query)));
		query = colon + 1;
	}
	json_object_set_new(filter, "key_", json_string(query));
	json_object_set_new(params, "filter", filter);
}

json_t *
zbx_item_params(const struct config_metric *m)
{
	static const char *const fields[] = { "itemid", "hostid",     "name",
					      "key_",	"value_type", "lastclock" };
	json_t *params = json_object(), *output = json_array(), *hosts = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		json_array_append_new(output, json_string(fields[i]));
	json_array_append_new(hosts, json_string("host"));
	json_object_set_new(params, "output", output);
	json_object_set_new(params, "selectHosts", hosts);
	json_object_set_new(params, "templated", json_false());
	json_object_set_new(params, "webitems", json_true());
	item_selector(params, m->query);
	json_object_set_new(params, "sortfield", json_string("itemid"));
	/* Two tell "one" from "several" without listing every host's item. */
	json_object_set_new(params, "limit", json_integer(2));
	return params;
}

/* ---- metrics ---- */

struct metric_page {
	const struct source_ctx *ctx;
	const struct source_request *req;
	const struct config_metric *metric;
	struct source_page *page;
	struct zbx_where where;
	int64_t cursor; /* TIME_NONE: none */
};

/* A cursor is the decimal clock of the newest sample read. */
static int64_t
metric_cursor(const struct source_ctx *ctx, const char *stream)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	int64_t t;

	return text && zbx_parse_int(text, &t) && t >= 0 && t <= MAX_EPOCH ? t : TIME_NONE;
}

static json_t *
history_params(const char *itemid, int64_t value_type, int64_t from)
{
	json_t *params = json_object(), *ids = json_array();

	json_array_append_new(ids, json_string(itemid));
	json_object_set_new(params, "output", json_string("extend"));
	/* history.get reads the table of this type, and silently gives [] for the
	 * wrong one (its default is 3, unsigned). */
	json_object_set_new(params, "history", json_integer((json_int_t)value_type));
	json_object_set_new(params, "itemids", ids);
	json_object_set_new(params, "time_from", json_integer((json_int_t)from));
	json_object_set_new(params, "sortfield", json_string("clock"));
	json_object_set_new(params, "sortorder", json_string("ASC"));
	json_object_set_new(params, "limit", json_integer(HISTORY_LIMIT));
	return params;
}

static json_t *
trend_params(const char *itemid, int64_t from, int64_t till)
{
	static const char *const fields[] = { "itemid",	   "clock",	"num",
					      "value_min", "value_avg", "value_max" };
	json_t *params = json_object(), *ids = json_array(), *output = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		json_array_append_new(output, json_string(fields[i]));
	json_array_append_new(ids, json_string(itemid));
	json_object_set_new(params, "output", output);
	json_object_set_new(params, "itemids", ids);
	/* trend.get compares time_from with the hour's start. */
	json_object_set_new(params, "time_from", json_integer((json_int_t)from));
	json_object_set_new(params, "time_till", json_integer((json_int_t)till));
	return params;
}

/* Where the first round's history starts: the hour an hour ago began. */
static int64_t
history_start(int64_t now)
{
	return floor_hour(now - HISTORY_BACKFILL);
}

static const char *
value_type_name(int64_t t)
{
	static const char *const names[] = { "float",	 "character", "log",
					     "unsigned", "text",      "binary" };

	return t >= 0 && t < (int64_t)ARRAY_SIZE(names) ? names[t] : "unknown";
}

/* The hosts of a result of several items, for the error ("a, b"). */
static char *
item_hosts(const json_t *items)
{
	const json_t *item;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	json_array_foreach((json_t *)(uintptr_t)items, i, item)
	{
		const char *h = json_string_value(
			json_object_get(json_array_get(json_object_get(item, "hosts"), 0), "host"));
		char *text = source_error_text(h ? h : "?", h ? strlen(h) : 1);

		buf_printf(&b, "%s%s", i ? ", " : "", text);
		free(text);
	}
	return buf_detach(&b);
}

static enum status_code
read_item(struct metric_page *mp, const json_t *item, char *itemid, int64_t *value_type,
	  int64_t *lastclock)
{
	enum status_code code;

	if (!json_is_object(item))
		return error(TYPE " %s: item 0 is %s, not an object", mp->where.stream,
			     json_type_name(item));
	if ((code = zbx_get_id(&mp->where, item, "itemid", true, itemid)) != SUCCESS ||
	    (code = zbx_get_int(&mp->where, item, "value_type", true, 0, value_type)) != SUCCESS)
		return code;
	/* "0": never collected. */
	return zbx_get_int(&mp->where, item, "lastclock", false, 0, lastclock);
}

static enum status_code
parse_item(struct metric_page *mp, const json_t *result)
{
	const json_t *item = json_array_get(result, 0);
	char itemid[ID_SIZE], *q, *hosts;
	int64_t value_type, lastclock, from;
	enum status_code code;

	q = source_error_text(mp->metric->query, strlen(mp->metric->query));
	if (json_array_size(result) != 1) {
		hosts = item_hosts(result);
		if (json_array_size(result) == 0)
			error(TYPE " %s: no item matches \"%s\"", mp->where.stream, q);
		else
			error(TYPE " %s: \"%s\" matches more than one item (hosts %s, ...): "
				   "write HOST:KEY or the itemid",
			      mp->where.stream, q, hosts);
		free(hosts);
		free(q);
		return ERROR_CUSTOM_MESSAGE;
	}
	mp->where.what = "item";
	code = read_item(mp, item, itemid, &value_type, &lastclock);
	if (code == SUCCESS && value_type != 0 && value_type != 3)
		code = error(TYPE " %s: item %s (\"%s\") holds %s values (value_type %lld): only "
				  "numeric items (float, unsigned) have samples",
			     mp->where.stream, itemid, q, value_type_name(value_type),
			     (long long)value_type);
	free(q);
	if (code != SUCCESS)
		return code;
	if (mp->cursor != TIME_NONE) {
		/* Nothing newer than the samples read: no history call at all. */
		if (lastclock > mp->cursor)
			mp->page->next =
				zbx_rpc_next(mp->ctx, mp->req->stream, mp->req->url, "history.get",
					     history_params(itemid, value_type, mp->cursor));
		return SUCCESS;
	}
	from = history_start(mp->ctx->now);
	if (lastclock > 0 && lastclock >= from - TREND_BACKFILL)
		mp->page->next =
			zbx_rpc_next(mp->ctx, mp->req->stream, mp->req->url, "trend.get",
				     trend_params(itemid, from - TREND_BACKFILL, from - 1));
	return SUCCESS;
}

static enum status_code
add_sample(struct metric_page *mp, int64_t ts, double value)
{
	struct source_sample *s;
	const char *name = mp->metric->name, *dot = strchr(name, '.');

	if (ts < 0 || ts > MAX_EPOCH)
		return zbx_field_error(&mp->where, "clock", "is out of range", NULL);
	s = source_page_sample(mp->page);
	s->series = source_page_strdup(mp->page, name);
	s->labels = "";
	/* [metric "checkout.cpu"]: the service is the part before the first dot. */
	s->service = dot ? source_page_strndup(mp->page, name, (size_t)(dot - name))
			 : source_page_strdup(mp->page, zbx_default_service(mp->ctx));
	s->ts = ts;
	s->value = value;
	return SUCCESS;
}

/* Rows of history.get ({itemid, clock, value, ns}) or trend.get ({itemid, clock,
 * num, value_min, value_avg, value_max}); *newest is the latest clock. */
static enum status_code
read_rows(struct metric_page *mp, const json_t *result, const char *value_key, int64_t *newest)
{
	struct jtok_parser p;
	enum status_code code = SUCCESS;
	const json_t *row;
	int64_t clock;
	double value;
	size_t i;

	mp->where.what = "row";
	*newest = TIME_NONE;
	jtok_init(&p);
	json_array_foreach((json_t *)(uintptr_t)result, i, row)
	{
		mp->where.index = i;
		if (!json_is_object(row))
			code = error(TYPE " %s: row %zu is %s, not an object", mp->where.stream, i,
				     json_type_name(row));
		else if ((code = zbx_get_clock(&mp->where, row, "clock", &clock)) == SUCCESS &&
			 (code = zbx_get_value(&mp->where, &p, row, value_key, &value)) == SUCCESS)
			code = add_sample(mp, clock, value);
		if (code != SUCCESS)
			break;
		if (clock > *newest)
			*newest = clock;
	}
	jtok_release(&p);
	return code;
}

static enum status_code
parse_history(struct metric_page *mp, const json_t *params, const json_t *result)
{
	const char *itemid =
		json_string_value(json_array_get(json_object_get(params, "itemids"), 0));
	int64_t vt = json_integer_value(json_object_get(params, "history"));
	int64_t from = json_integer_value(json_object_get(params, "time_from"));
	int64_t newest;
	enum status_code code = read_rows(mp, result, "value", &newest);

	if (code != SUCCESS)
		return code;
	if (newest != TIME_NONE && (mp->cursor == TIME_NONE || newest > mp->cursor))
		mp->page->cursor = xasprintf("%lld", (long long)newest);
	/* A full page: the rest from its last second on (values of that second come
	 * again; a page of one second only would repeat itself, which the engine
	 * stops). */
	if (itemid && json_array_size(result) >= HISTORY_LIMIT)
		mp->page->next =
			zbx_rpc_next(mp->ctx, mp->req->stream, mp->req->url, "history.get",
				     history_params(itemid, vt, newest > from ? newest : from));
	return SUCCESS;
}

/* The week before the first history: hourly averages. Then the stream starts over
 * from item.get with the cursor where the history begins. */
static enum status_code
parse_trend(struct metric_page *mp, const json_t *params, const json_t *result)
{
	int64_t till = json_integer_value(json_object_get(params, "time_till"));
	int64_t newest;
	enum status_code code = read_rows(mp, result, "value_avg", &newest);

	if (code != SUCCESS)
		return code;
	mp->page->cursor = xasprintf("%lld", (long long)till);
	mp->page->next = zbx_rpc_next(mp->ctx, mp->req->stream, mp->req->url, "item.get",
				      zbx_item_params(mp->metric));
	return SUCCESS;
}

static const struct config_metric *
metric_of(const struct source_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->n_metrics; i++)
		if (streq(ctx->metrics[i].name, name) && streq(ctx->metrics[i].source, ctx->name) &&
		    ctx->metrics[i].query && *ctx->metrics[i].query)
			return &ctx->metrics[i];
	return NULL;
}

enum status_code
zbx_parse_metric(const struct source_ctx *ctx, const struct source_request *req, const json_t *call,
		 const json_t *result, struct source_page *page)
{
	const char *method = json_string_value(json_object_get(call, "method"));
	const json_t *params = json_object_get(call, "params");
	struct metric_page mp = { .ctx = ctx, .req = req, .page = page };

	mp.where.stream = req->stream;
	if (!(mp.metric = metric_of(ctx, req->stream + strlen(METRIC_PREFIX))))
		return error(TYPE " %s: no [metric] of this source has that name", req->stream);
	mp.cursor = metric_cursor(ctx, req->stream);
	page->observed_at = ctx->now;
	if (streq(method, "item.get"))
		return parse_item(&mp, result);
	if (streq(method, "history.get"))
		return parse_history(&mp, params, result);
	if (streq(method, "trend.get"))
		return parse_trend(&mp, params, result);
	return error(TYPE " %s: not a request of this stream", req->stream);
}
