/* zendesk_events.c - a ticket's metric events (the metric_events sideload of the
 * ticket export) read into clocks: Zendesk measures each ticket metric (reply_time,
 * requester_wait_time, agent_work_time, resolution_time, ...) in instances, and each
 * instance's life is a series of events: activate (the clock runs), pause (it stops
 * while the ticket is pending or on hold), fulfill (the metric is met: a reply, a
 * solve), apply_sla (a policy's target, with its title and whether it counts business
 * hours) and breach (when the target was or will be passed; deleted when it no longer
 * applies). An activate after a fulfill is the ticket reopening: the instance runs
 * again, and the gap between is kept as a pause so that the clock only counts the
 * time it ran. Some accounts measure each period of work as a new instance instead;
 * both read the same.
 *
 * These give what the ticket's metric set only has in whole minutes, or not at all:
 * the first reply to the second (fulfill of reply_time's first instance), each solve
 * and reopen (fulfill then activate of resolution_time, else of requester_wait_time
 * or agent_work_time), and per SLA its start, stop, pauses and breach. */
#include "sitrep/sitrep.h"
#include "zendesk-private.h"

#include "sitrep/timestamp.h"

/* One event, as far as the clocks care. */
struct zd_event {
	int64_t at;
	size_t seq; /* order in the payload: ties keep it */
	const char *metric;
	json_int_t instance;
	const char *type;
	const json_t *obj;
};

struct zd_event_list {
	struct zd_event *items;
	size_t n, alloc;
};

static int
compare_events(const void *x, const void *y)
{
	const struct zd_event *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One event object; metric is the key it came under (NULL in a flat array). */
static enum status_code
read_event(size_t i, json_int_t id, const json_t *obj, const char *metric,
	   struct zd_event_list *out)
{
	const json_t *inst = json_object_get(obj, "instance_id");
	const char *m = json_string_value(json_object_get(obj, "metric"));
	struct zd_event *ev;
	enum status_code code;
	int64_t at;

	if (!json_is_object(obj))
		return zd_error(i, id, "metric_events", "holds an event that is not an object",
				NULL);
	if (!m)
		m = metric;
	if (!m)
		return zd_error(i, id, "metric_events", "holds an event without its metric", NULL);
	if (!json_is_string(json_object_get(obj, "type")))
		return zd_error(i, id, "metric_events", "holds an event without a type", NULL);
	if (inst && !json_is_null(inst) && !json_is_integer(inst))
		return zd_error(i, id, "metric_events", "holds an instance_id that is not a number",
				NULL);
	if ((code = zd_time(i, id, obj, "time", "metric_events time", true, &at)) != SUCCESS)
		return code;
	if (out->n == out->alloc) {
		out->alloc = out->alloc ? out->alloc * 2 : 16;
		out->items = xrealloc(out->items, out->alloc * sizeof(*out->items));
	}
	ev = &out->items[out->n];
	ev->at = at;
	ev->seq = out->n++;
	ev->metric = m;
	ev->instance = json_is_integer(inst) ? json_integer_value(inst) : 1;
	ev->type = json_string_value(json_object_get(obj, "type"));
	ev->obj = obj;
	return SUCCESS;
}

static enum status_code
read_array(size_t i, json_int_t id, const json_t *arr, const char *metric,
	   struct zd_event_list *out)
{
	const json_t *obj;
	enum status_code code;
	size_t k;

	if (json_is_null(arr))
		return SUCCESS;
	if (!json_is_array(arr))
		return zd_error(i, id, "metric_events", "holds a metric that is not an array",
				NULL);
	json_array_foreach((json_t *)(uintptr_t)arr, k, obj)
	{
		if ((code = read_event(i, id, obj, metric, out)) != SUCCESS)
			return code;
	}
	return SUCCESS;
}

static struct zd_clock *
clock_of(struct zd_events *ev, const char *metric, json_int_t instance)
{
	struct zd_clock *c;

	for (size_t k = 0; k < ev->n_clocks; k++)
		if (ev->clocks[k].instance == instance && streq(ev->clocks[k].metric, metric))
			return &ev->clocks[k];
	ev->clocks = xrealloc(ev->clocks, (ev->n_clocks + 1) * sizeof(*ev->clocks));
	c = &ev->clocks[ev->n_clocks++];
	memset(c, 0, sizeof(*c));
	c->metric = metric;
	c->instance = instance;
	c->target = c->start = c->stop = c->paused_since = c->breach = TIME_NONE;
	return c;
}

static void
add_pause(struct zd_clock *c, int64_t from, int64_t to)
{
	if (c->n_pauses == c->pauses_alloc) {
		c->pauses_alloc = c->pauses_alloc ? c->pauses_alloc * 2 : 4;
		c->pauses = xrealloc(c->pauses, c->pauses_alloc * sizeof(*c->pauses));
	}
	c->pauses[c->n_pauses++] = (struct mx_pause){ from, to };
}

/* sla{target (minutes), business_hours, policy{title}} of an apply_sla event. */
static enum status_code
apply_sla(size_t i, json_int_t id, struct zd_clock *c, const json_t *obj)
{
	const json_t *sla = json_object_get(obj, "sla");
	const json_t *target = json_object_get(sla, "target");
	const json_t *business = json_object_get(sla, "business_hours");
	const json_t *title = json_object_get(json_object_get(sla, "policy"), "title");

	if (!json_is_object(sla))
		return zd_error(i, id, "metric_events apply_sla", "has no sla object", NULL);
	if (!json_is_integer(target) || json_integer_value(target) < 0 ||
	    json_integer_value(target) > 100LL * 366 * 1440)
		return zd_error(i, id, "metric_events sla.target", "is not a number of minutes",
				NULL);
	if (business && !json_is_null(business) && !json_is_boolean(business))
		return zd_error(i, id, "metric_events sla.business_hours", "is not a boolean",
				NULL);
	if (title && !json_is_null(title) && !json_is_string(title))
		return zd_error(i, id, "metric_events sla.policy.title", "is not a string", NULL);
	c->applied = true;
	c->target = json_integer_value(target) * 60;
	c->business = json_is_true(business);
	c->policy = json_string_value(title);
	return SUCCESS;
}

/* One event on its clock. */
static enum status_code
run_clock(size_t i, json_int_t id, struct zd_clock *c, const struct zd_event *e)
{
	const json_t *deleted = json_object_get(e->obj, "deleted");

	if (streq(e->type, "activate")) {
		if (c->start == TIME_NONE)
			c->start = e->at;
		if (c->paused_since != TIME_NONE)
			add_pause(c, c->paused_since, e->at);
		else if (c->stop != TIME_NONE)
			add_pause(c, c->stop, e->at); /* reopened: the gap did not count */
		c->paused_since = c->stop = TIME_NONE;
	} else if (streq(e->type, "pause")) {
		if (c->paused_since == TIME_NONE && c->stop == TIME_NONE && c->start != TIME_NONE)
			c->paused_since = e->at;
	} else if (streq(e->type, "fulfill")) {
		if (c->paused_since != TIME_NONE)
			add_pause(c, c->paused_since, e->at);
		if (c->start == TIME_NONE)
			c->start = e->at;
		c->paused_since = TIME_NONE;
		c->stop = e->at;
	} else if (streq(e->type, "apply_sla")) {
		return apply_sla(i, id, c, e->obj);
	} else if (streq(e->type, "breach")) {
		if (deleted && !json_is_boolean(deleted))
			return zd_error(i, id, "metric_events deleted", "is not a boolean", NULL);
		if (!json_is_true(deleted) && (c->breach == TIME_NONE || e->at < c->breach))
			c->breach = e->at;
	}
	/* update_status, measure, apply_group_sla: nothing a clock needs. */
	return SUCCESS;
}

/* Solves and reopens from the first metric that measures time to solve. */
static void
find_reopens(struct zd_events *ev, const struct zd_event_list *list)
{
	static const char *const metrics[] = { "resolution_time", "requester_wait_time",
					       "agent_work_time" };

	for (size_t m = 0; m < ARRAY_SIZE(metrics); m++) {
		int64_t solved = TIME_NONE;
		bool any = false;

		for (size_t k = 0; k < list->n; k++) {
			const struct zd_event *e = &list->items[k];

			if (!streq(e->metric, metrics[m]))
				continue;
			any = true;
			if (streq(e->type, "fulfill")) {
				solved = e->at;
			} else if (streq(e->type, "activate") && solved != TIME_NONE) {
				ev->reopens = xrealloc(ev->reopens,
						       (ev->n_reopens + 1) * sizeof(*ev->reopens));
				ev->reopens[ev->n_reopens++] = (struct mx_reopen){ solved, e->at };
				solved = TIME_NONE;
			}
		}
		if (any) {
			ev->last_solve = solved;
			return;
		}
	}
}

enum status_code
zd_events_read(size_t i, json_int_t id, const json_t *events, struct zd_events *ev)
{
	struct zd_event_list list = { 0 };
	enum status_code code = SUCCESS;
	const char *key;
	const json_t *arr;

	memset(ev, 0, sizeof(*ev));
	ev->first_reply = ev->last_solve = TIME_NONE;
	if (!events || json_is_null(events))
		return SUCCESS;
	if (json_is_array(events)) {
		code = read_array(i, id, events, NULL, &list);
	} else if (json_is_object(events)) {
		json_object_foreach((json_t *)(uintptr_t)events, key, arr)
		{
			if ((code = read_array(i, id, arr, key, &list)) != SUCCESS)
				break;
		}
	} else {
		code = zd_error(i, id, "metric_events", "is neither an object nor an array", NULL);
	}
	if (code == SUCCESS && list.n) {
		qsort(list.items, list.n, sizeof(*list.items), compare_events);
		for (size_t k = 0; code == SUCCESS && k < list.n; k++) {
			const struct zd_event *e = &list.items[k];

			code = run_clock(i, id, clock_of(ev, e->metric, e->instance), e);
			if (streq(e->metric, "reply_time") && e->instance == 1 &&
			    streq(e->type, "fulfill") && ev->first_reply == TIME_NONE)
				ev->first_reply = e->at;
		}
		find_reopens(ev, &list);
	}
	free(list.items);
	if (code != SUCCESS)
		zd_events_release(ev);
	return code;
}

void
zd_events_release(struct zd_events *ev)
{
	for (size_t k = 0; k < ev->n_clocks; k++)
		free(ev->clocks[k].pauses);
	free(ev->clocks);
	free(ev->reopens);
	memset(ev, 0, sizeof(*ev));
	ev->first_reply = ev->last_solve = TIME_NONE;
}

const char *
zd_sla_metric(const struct zd_clock *c)
{
	if (streq(c->metric, "reply_time"))
		return c->instance <= 1 ? "first_reply_time" : "next_reply_time";
	return c->metric;
}

const char *
zd_sla_kind(const char *m)
{
	if (streq(m, "first_reply_time"))
		return "response";
	if (streq(m, "next_reply_time") || strstr(m, "update_time"))
		return "update";
	if (streq(m, "requester_wait_time") || streq(m, "agent_work_time") ||
	    strstr(m, "resolution"))
		return "resolution";
	return NULL;
}
