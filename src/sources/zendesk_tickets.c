/* zendesk_tickets.c - one ticket of the export, with its sideloads, as an incident.
 *
 * Milestones (metrics SPEC 2): detected is created_at; acknowledged is the first
 * public agent reply: the fulfil event of reply_time's first instance, exact to the
 * second, else created_at plus reply_time_in_minutes.calendar (whole minutes; the
 * two agree to the minute); resolved is the metric set's solved_at, the LAST solve,
 * and only while the ticket is solved or closed (a reopened ticket is open again);
 * closed is status_updated_at once closed. Reopens are the solve and reopen instants
 * the metric events give (metric_set.reopens only counts them: without events no
 * pair is invented). Zendesk knows nothing of the impact's start.
 *
 * SLA instances come from the metric events too (see zendesk_events.c): one per
 * clock an SLA policy applied to, named "POLICY: METRIC" ("#2" for a later instance
 * of the same metric), kind response (first_reply_time), update (next_reply_time,
 * *_update_time) or resolution (requester_wait_time, agent_work_time, resolution
 * times), the policy's target and schedule, start, stop, time paused so far, and the
 * slas sideload's breach_at as the due time of the metric's current instance (its
 * only one in the sideload). Breached: a breach event not deleted that lies before
 * the stop (or now, while it runs), or a due time passed the same way. The first
 * resolution clock also feeds the metric engine (incident sla). Without metric
 * events the sideload alone gives the metrics it lists, without target or policy.
 *
 * Service: the ticket field service-field names, else a tag service:NAME or
 * service_NAME, else the source's service. A field alert-field naming an incident of
 * the source correlate makes the ticket part of that incident (link "field");
 * without it the store links the ticket by overlap. The assignee is the user the
 * users sideload names, else the user id. A deleted ticket (status "deleted", which
 * the export lists unless told not to) is closed at its deletion (updated_at) with
 * state "deleted": the cache never deletes a record, and one left open forever would
 * be worse. Untrusted text is stored as it is: sanitizing is the display's job. */
#include "sitrep/sitrep.h"
#include "zendesk-private.h"

#include "sitrep/config.h"
#include "sitrep/timestamp.h"

/* Longer than a century is a broken value. */
#define MAX_MINUTES (100LL * 366 * 1440)

enum status_code
zd_error(size_t i, json_int_t id, const char *field, const char *what, const char *value)
{
	char where[64], *text;

	if (id > 0)
		snprintf(where, sizeof(where), "ticket %zu (#%lld)", i, (long long)id);
	else
		snprintf(where, sizeof(where), "ticket %zu", i);
	if (!value)
		return error(ZD_TYPE " " ZD_STREAM ": %s: %s %s", where, field, what);
	text = source_error_text(value, strlen(value));
	error(ZD_TYPE " " ZD_STREAM ": %s: %s \"%s\" %s", where, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

enum status_code
zd_time(size_t i, json_int_t id, const json_t *obj, const char *key, const char *field,
	bool required, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = TIME_NONE;
	if (!v || json_is_null(v))
		return required ? zd_error(i, id, field, "is missing", NULL) : SUCCESS;
	if (!json_is_string(v))
		return zd_error(i, id, field, "is not a string", NULL);
	if (!timestamp_parse(json_string_value(v), out))
		return zd_error(i, id, field, "is not a timestamp", json_string_value(v));
	return SUCCESS;
}

static enum status_code
optional_string(size_t i, json_int_t id, const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v))
		return zd_error(i, id, key, "is not a string", NULL);
	*out = json_string_value(v);
	return SUCCESS;
}

static int64_t
later(int64_t a, int64_t b)
{
	if (a == TIME_NONE)
		return b;
	return b != TIME_NONE && b > a ? b : a;
}

/* ---- the metric set ---- */

struct zd_metric_set {
	int64_t reply;	 /* reply_time_in_minutes.calendar in seconds, or TIME_NONE */
	int64_t solved;	 /* solved_at */
	int64_t status;	 /* status_updated_at */
	int64_t updated; /* updated_at (of the metric record) */
	json_int_t reopens;
};

/* {calendar, business} minutes (a bare number is read as calendar minutes). */
static enum status_code
calendar_minutes(size_t i, json_int_t id, const json_t *ms, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(ms, key);
	char field[80];

	*out = TIME_NONE;
	if (json_is_object(v))
		v = json_object_get(v, "calendar");
	if (!v || json_is_null(v))
		return SUCCESS;
	snprintf(field, sizeof(field), "metric_set.%s", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_MINUTES)
		return zd_error(i, id, field, "is not a number of minutes", NULL);
	*out = json_integer_value(v) * 60;
	return SUCCESS;
}

static enum status_code
read_metric_set(size_t i, json_int_t id, const json_t *ms, struct zd_metric_set *out)
{
	const json_t *reopens = json_object_get(ms, "reopens");
	enum status_code code;

	memset(out, 0, sizeof(*out));
	out->reply = out->solved = out->status = out->updated = TIME_NONE;
	if (!ms || json_is_null(ms))
		return SUCCESS;
	if (!json_is_object(ms))
		return zd_error(i, id, "metric_set", "is not an object", NULL);
	if (reopens && !json_is_null(reopens) && !json_is_integer(reopens))
		return zd_error(i, id, "metric_set.reopens", "is not a number", NULL);
	out->reopens = json_integer_value(reopens);
	if ((code = calendar_minutes(i, id, ms, "reply_time_in_minutes", &out->reply)) ||
	    (code = zd_time(i, id, ms, "solved_at", "metric_set.solved_at", false, &out->solved)) ||
	    (code = zd_time(i, id, ms, "status_updated_at", "metric_set.status_updated_at", false,
			    &out->status)) ||
	    (code = zd_time(i, id, ms, "updated_at", "metric_set.updated_at", false,
			    &out->updated)))
		return code;
	return SUCCESS;
}

/* ---- what the ticket says ---- */

struct zd_ticket {
	json_int_t id;
	const char *status, *subject, *priority, *service, *alert;
	const char *assignee, *requester; /* names, or user ids as text */
	int64_t created, updated, generated;
};

/* A user's name from the users sideload, else its id as text; NULL for none. */
static const char *
user_of(struct source_page *page, const struct zd_sideloads *side, const json_t *idv)
{
	char key[32];
	const char *name;

	if (!json_is_integer(idv))
		return NULL;
	snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(idv));
	name = json_string_value(json_object_get(json_object_get(side->users, key), "name"));
	return source_page_strdup(page, name && *name ? name : key);
}

/* The value of custom field field_id (decimal text) as text, NULL when empty. */
static enum status_code
field_value(size_t i, json_int_t id, const json_t *ticket, const char *field_id,
	    struct source_page *page, const char **out)
{
	const json_t *fields = json_object_get(ticket, "custom_fields"), *f;
	size_t k;

	*out = NULL;
	if (!field_id)
		return SUCCESS;
	if (!fields || json_is_null(fields))
		fields = json_object_get(ticket, "fields");
	if (!fields || json_is_null(fields))
		return SUCCESS;
	if (!json_is_array(fields))
		return zd_error(i, id, "custom_fields", "is not an array", NULL);
	json_array_foreach((json_t *)(uintptr_t)fields, k, f)
	{
		const json_t *fid = json_object_get(f, "id"), *v = json_object_get(f, "value");
		char text[32];

		if (!json_is_object(f) || !json_is_integer(fid))
			return zd_error(i, id, "custom_fields",
					"holds a field without a numeric id", NULL);
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(fid));
		if (!streq(text, field_id))
			continue;
		/* A multi-select field holds a list: its first choice. */
		if (json_is_array(v))
			v = json_array_get(v, 0);
		if (json_is_string(v) && *json_string_value(v)) {
			*out = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
			*out = source_page_strdup(page, text);
		}
		return SUCCESS;
	}
	return SUCCESS;
}

static enum status_code
ticket_service(const struct source_ctx *ctx, size_t i, const json_t *ticket, struct zd_ticket *t,
	       struct source_page *page)
{
	const json_t *tags = json_object_get(ticket, "tags"), *tag;
	const char *fallback = source_default_service(ctx);
	enum status_code code;
	size_t k;

	if ((code = field_value(i, t->id, ticket, config_source_get(ctx->config, "service-field"),
				page, &t->service)) != SUCCESS)
		return code;
	if (tags && !json_is_null(tags) && !json_is_array(tags))
		return zd_error(i, t->id, "tags", "is not an array", NULL);
	json_array_foreach((json_t *)(uintptr_t)tags, k, tag)
	{
		const char *s = json_string_value(tag);

		if (!s)
			return zd_error(i, t->id, "tags", "holds a non-string", NULL);
		if (!t->service &&
		    (strncmp(s, "service:", 8) == 0 || strncmp(s, "service_", 8) == 0) && s[8])
			t->service = s + 8;
	}
	if (!t->service)
		t->service = fallback && *fallback ? fallback : "unknown";
	return SUCCESS;
}

static const char *const statuses[] = { "new",	  "open",   "pending", "hold",
					"solved", "closed", "deleted" };

static enum status_code
read_ticket(const struct source_ctx *ctx, size_t i, const json_t *ticket,
	    const struct zd_sideloads *side, struct source_page *page, struct zd_ticket *t)
{
	const json_t *idv = json_object_get(ticket, "id");
	const json_t *gen = json_object_get(ticket, "generated_timestamp");
	enum status_code code;
	bool known = false;

	memset(t, 0, sizeof(*t));
	if (!json_is_integer(idv) || json_integer_value(idv) <= 0)
		return zd_error(i, 0, "id", "is missing or not a positive number", NULL);
	t->id = json_integer_value(idv);
	t->status = json_string_value(json_object_get(ticket, "status"));
	if (!t->status)
		return zd_error(i, t->id, "status", "is missing or not a string", NULL);
	for (size_t k = 0; k < ARRAY_SIZE(statuses); k++)
		known |= streq(t->status, statuses[k]);
	if (!known)
		return zd_error(i, t->id, "status",
				"is none of new, open, pending, hold, solved, closed, deleted",
				t->status);
	if ((code = zd_time(i, t->id, ticket, "updated_at", "updated_at", true, &t->updated)) ||
	    (code = zd_time(i, t->id, ticket, "created_at", "created_at",
			    !streq(t->status, "deleted"), &t->created)) ||
	    (code = optional_string(i, t->id, ticket, "subject", &t->subject)) ||
	    (code = optional_string(i, t->id, ticket, "priority", &t->priority)))
		return code;
	if (t->created == TIME_NONE)
		t->created = t->updated; /* a deleted ticket may come stripped */
	if (gen && !json_is_null(gen) && !json_is_integer(gen))
		return zd_error(i, t->id, "generated_timestamp", "is not a number", NULL);
	t->generated = json_is_integer(gen) ? json_integer_value(gen) : TIME_NONE;
	if (json_object_get(ticket, "assignee_id") &&
	    !json_is_null(json_object_get(ticket, "assignee_id")) &&
	    !json_is_integer(json_object_get(ticket, "assignee_id")))
		return zd_error(i, t->id, "assignee_id", "is not a number", NULL);
	t->assignee = user_of(page, side, json_object_get(ticket, "assignee_id"));
	t->requester = user_of(page, side, json_object_get(ticket, "requester_id"));
	if ((code = field_value(i, t->id, ticket, config_source_get(ctx->config, "alert-field"),
				page, &t->alert)) != SUCCESS)
		return code;
	return ticket_service(ctx, i, ticket, t, page);
}

/* P1..P4 from urgent, high, normal, low; NULL for none. */
static const char *
severity_of(const char *priority)
{
	static const char *const names[] = { "urgent", "high", "normal", "low" };
	static const char *const sev[] = { "P1", "P2", "P3", "P4" };

	for (size_t k = 0; priority && k < ARRAY_SIZE(names); k++)
		if (streq(priority, names[k]))
			return sev[k];
	return NULL;
}

/* ---- the slas sideload ---- */

struct zd_policy_metric {
	const char *metric, *stage;
	int64_t breach_at;
};

static enum status_code
read_policy_metrics(size_t i, json_int_t id, const json_t *ticket, struct source_page *page,
		    struct zd_policy_metric **out, size_t *n)
{
	const json_t *slas = json_object_get(ticket, "slas");
	const json_t *list = json_object_get(slas, "policy_metrics"), *pm;
	enum status_code code;
	size_t k;

	*out = NULL;
	*n = 0;
	if (!slas || json_is_null(slas))
		return SUCCESS;
	if (!json_is_object(slas))
		return zd_error(i, id, "slas", "is not an object", NULL);
	if (!list || json_is_null(list))
		return SUCCESS;
	if (!json_is_array(list))
		return zd_error(i, id, "slas.policy_metrics", "is not an array", NULL);
	*out = source_page_alloc(page, (json_array_size(list) + 1) * sizeof(**out));
	json_array_foreach((json_t *)(uintptr_t)list, k, pm)
	{
		struct zd_policy_metric *p = &(*out)[*n];

		p->metric = json_string_value(json_object_get(pm, "metric"));
		if (!json_is_object(pm) || !p->metric)
			return zd_error(i, id, "slas.policy_metrics",
					"holds an entry without metric", NULL);
		if ((code = optional_string(i, id, pm, "stage", &p->stage)) != SUCCESS ||
		    (code = zd_time(i, id, pm, "breach_at", "slas.policy_metrics breach_at", false,
				    &p->breach_at)) != SUCCESS)
			return code;
		(*n)++;
	}
	return SUCCESS;
}

static const struct zd_policy_metric *
policy_metric(const struct zd_policy_metric *pm, size_t n, const char *metric)
{
	for (size_t k = 0; k < n; k++)
		if (streq(pm[k].metric, metric))
			return &pm[k];
	return NULL;
}

/* in_progress, paused, completed from Zendesk's active, paused, achieved. */
static const char *
stage_of(const char *stage)
{
	if (!stage)
		return NULL;
	if (streq(stage, "achieved") || streq(stage, "fulfilled"))
		return "completed";
	if (streq(stage, "active"))
		return "in_progress";
	if (streq(stage, "paused"))
		return "paused";
	return NULL;
}

/* ---- SLA instances ---- */

/* Whether c is the last clock of its SLA metric: the one the sideload describes. */
static bool
latest_of_metric(const struct zd_events *ev, size_t k)
{
	const char *m = zd_sla_metric(&ev->clocks[k]);

	for (size_t j = k + 1; j < ev->n_clocks; j++)
		if (ev->clocks[j].applied && streq(zd_sla_metric(&ev->clocks[j]), m))
			return false;
	return true;
}

static void
clock_sla(const struct source_ctx *ctx, const struct zd_events *ev, size_t k,
	  const struct zd_policy_metric *pm, size_t n_pm, size_t nth, struct source_page *page,
	  struct store_sla *s)
{
	const struct zd_clock *c = &ev->clocks[k];
	const char *m = zd_sla_metric(c);
	const struct zd_policy_metric *p =
		latest_of_metric(ev, k) ? policy_metric(pm, n_pm, m) : NULL;
	int64_t end = c->stop != TIME_NONE ? c->stop : ctx->now, paused = 0;
	char *name = c->policy ? xasprintf("%s: %s", c->policy, m) : xstrdup(m);

	if (nth > 1) {
		char *more = xasprintf("%s #%zu", name, nth);

		free(name);
		name = more;
	}
	s->name = source_page_strdup(page, name);
	free(name);
	s->kind = zd_sla_kind(m);
	s->target = c->target;
	s->schedule = c->business ? MX_SCHEDULE_BUSINESS_HOURS : MX_SCHEDULE_24X7;
	s->start_at = c->start;
	s->stop_at = c->stop;
	for (size_t j = 0; j < c->n_pauses; j++)
		paused += c->pauses[j].end - c->pauses[j].start;
	if (c->paused_since != TIME_NONE && ctx->now > c->paused_since)
		paused += ctx->now - c->paused_since;
	s->paused = paused;
	s->stage = c->stop != TIME_NONE		  ? "completed"
		   : c->paused_since != TIME_NONE ? "paused"
						  : "in_progress";
	s->due_at = p && p->breach_at != TIME_NONE ? p->breach_at : c->breach;
	/* A paused clock is not breaching: its due time moves when it runs again. */
	s->breached = (c->breach != TIME_NONE && c->breach < end) ||
		      (s->due_at != TIME_NONE && s->due_at < end && c->paused_since == TIME_NONE);
}

/* The first resolution clock, for the metric engine. */
static void
engine_sla(struct store_incident *inc, const struct zd_clock *c, const struct store_sla *s,
	   struct source_page *page)
{
	struct mx_pause *pauses = source_page_alloc(page, (c->n_pauses + 1) * sizeof(*pauses));

	if (c->n_pauses)
		memcpy(pauses, c->pauses, c->n_pauses * sizeof(*pauses));
	if (c->paused_since != TIME_NONE)
		pauses[c->n_pauses] = (struct mx_pause){ c->paused_since, TIME_NONE };
	inc->sla_policy = s->name;
	inc->sla.present = true;
	inc->sla.schedule = s->schedule;
	inc->sla.target_seconds = c->target;
	inc->sla.start_time = c->start;
	inc->sla.stop_time = c->stop;
	inc->sla.pauses = pauses;
	inc->sla.n_pauses = c->n_pauses + (c->paused_since != TIME_NONE);
}

/* Without metric events: what the sideload lists, without targets. */
static size_t
sideload_slas(const struct source_ctx *ctx, const struct store_incident *inc,
	      const struct zd_policy_metric *pm, size_t n_pm, struct store_sla *slas,
	      struct source_page *page)
{
	for (size_t k = 0; k < n_pm; k++) {
		struct store_sla *s = &slas[k];
		const char *kind = zd_sla_kind(pm[k].metric);
		bool achieved = pm[k].stage && streq(pm[k].stage, "achieved");
		int64_t end;

		s->name = source_page_strdup(page, pm[k].metric);
		s->kind = kind;
		s->target = s->start_at = s->stop_at = s->paused = TIME_NONE;
		s->schedule = MX_SCHEDULE_24X7;
		s->stage = stage_of(pm[k].stage);
		s->due_at = pm[k].breach_at;
		if (streq(pm[k].metric, "first_reply_time")) {
			s->start_at = inc->detected_at;
			s->stop_at = achieved ? inc->acknowledged_at : TIME_NONE;
		} else if (kind && streq(kind, "resolution") && achieved) {
			s->stop_at = inc->resolved_at;
		}
		end = s->stop_at != TIME_NONE			   ? s->stop_at
		      : s->stage && streq(s->stage, "in_progress") ? ctx->now
								   : TIME_NONE;
		s->breached = s->due_at != TIME_NONE && end != TIME_NONE && s->due_at < end;
	}
	return n_pm;
}

static enum status_code
ticket_slas(const struct source_ctx *ctx, size_t i, const json_t *ticket, struct zd_ticket *t,
	    const struct zd_events *ev, struct store_incident *inc, struct source_page *page)
{
	struct zd_policy_metric *pm;
	struct store_sla *slas;
	size_t n_pm, n = 0;
	bool engine = false;
	enum status_code code;

	if ((code = read_policy_metrics(i, t->id, ticket, page, &pm, &n_pm)) != SUCCESS)
		return code;
	slas = source_page_alloc(page, (ev->n_clocks + n_pm + 1) * sizeof(*slas));
	for (size_t k = 0; k < ev->n_clocks; k++) {
		const struct zd_clock *c = &ev->clocks[k];
		size_t nth = 1;

		if (!c->applied)
			continue;
		for (size_t j = 0; j < k; j++)
			nth += ev->clocks[j].applied &&
			       streq(zd_sla_metric(&ev->clocks[j]), zd_sla_metric(c));
		clock_sla(ctx, ev, k, pm, n_pm, nth, page, &slas[n]);
		if (!engine && slas[n].kind && streq(slas[n].kind, "resolution") &&
		    c->start != TIME_NONE) {
			engine_sla(inc, c, &slas[n], page);
			engine = true;
		}
		n++;
	}
	if (n == 0)
		n = sideload_slas(ctx, inc, pm, n_pm, slas, page);
	inc->slas = n ? slas : NULL;
	inc->n_slas = n;
	return SUCCESS;
}

/* ---- the incident ---- */

static void
add_event(struct source_page *page, const char *id, int64_t at, const char *kind, const char *actor)
{
	struct source_event *e;

	if (at == TIME_NONE)
		return;
	e = source_page_event(page);
	e->incident_id = id;
	e->at = at;
	e->kind = kind;
	e->actor = actor;
}

/* The milestones from the status, the metric set and the events. */
static void
milestones(const struct zd_ticket *t, const struct zd_metric_set *ms, const struct zd_events *ev,
	   struct store_incident *inc)
{
	bool solved = streq(t->status, "solved") || streq(t->status, "closed");
	bool deleted = streq(t->status, "deleted");

	inc->detected_at = t->created;
	if (ev->first_reply != TIME_NONE)
		inc->acknowledged_at = ev->first_reply;
	else if (ms->reply != TIME_NONE)
		inc->acknowledged_at = t->created + ms->reply;
	if (solved) {
		inc->resolved_at = ms->solved != TIME_NONE	 ? ms->solved
				   : ev->last_solve != TIME_NONE ? ev->last_solve
				   : ms->status != TIME_NONE	 ? ms->status
								 : t->updated;
	} else if (deleted) {
		inc->resolved_at = ms->solved != TIME_NONE ? ms->solved : t->updated;
		inc->closed_at = t->updated;
	}
	if (streq(t->status, "closed"))
		inc->closed_at = ms->status != TIME_NONE ? ms->status : t->updated;
	inc->reopens = ev->reopens;
	inc->n_reopens = ev->n_reopens;
	inc->updated_at = later(later(t->updated, ms->updated), t->generated);
}

static void
describe(const struct source_ctx *ctx, const json_t *ticket, const struct zd_ticket *t,
	 struct store_incident *inc, struct source_page *page)
{
	const char **services = source_page_alloc(page, sizeof(*services));
	const char *base = config_source_get(ctx->config, "url");
	char *text;

	inc->ticket = true;
	inc->source = source_page_strdup(page, ctx->name);
	text = xasprintf("%lld", (long long)t->id);
	inc->source_id = source_page_strdup(page, text);
	free(text);
	services[0] = source_page_strdup(page, t->service);
	inc->services = services;
	inc->n_services = 1;
	if (t->subject && *t->subject) {
		inc->title = source_page_strdup(page, t->subject);
	} else {
		text = xasprintf("Zendesk ticket #%lld", (long long)t->id);
		inc->title = source_page_strdup(page, text);
		free(text);
	}
	inc->severity = severity_of(t->priority);
	inc->impact =
		t->priority && streq(t->priority, "urgent") ? MX_IMPACT_OUTAGE : MX_IMPACT_DEGRADED;
	inc->state = source_page_strdup(page, t->status);
	inc->assignee = t->assignee;
	if (t->alert) {
		inc->parent_source =
			source_page_strdup(page, config_source_get(ctx->config, "correlate"));
		inc->parent_id = source_page_strdup(page, t->alert);
		inc->link = "field";
	} else {
		inc->link_by_overlap = true;
	}
	if (base && *base) {
		char *url;

		text = xasprintf("/agent/tickets/%lld", (long long)t->id);
		url = source_url(base, text);
		inc->url = source_page_strdup(page, url);
		free(url);
		free(text);
	}
	text = json_dumps(ticket, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, text);
	free(text);
}

enum status_code
zd_ticket(const struct source_ctx *ctx, size_t i, const json_t *ticket,
	  const struct zd_sideloads *side, struct source_page *page)
{
	struct zd_ticket t;
	struct zd_metric_set ms;
	struct zd_events ev;
	struct store_incident *inc;
	const json_t *set;
	enum status_code code;
	char key[32];

	if (!json_is_object(ticket))
		return zd_error(i, 0, "the ticket", "is not an object", NULL);
	if ((code = read_ticket(ctx, i, ticket, side, page, &t)) != SUCCESS)
		return code;
	snprintf(key, sizeof(key), "%lld", (long long)t.id);
	set = json_object_get(side->metric_sets, key);
	if (!set)
		set = json_object_get(ticket, "metric_set");
	if ((code = read_metric_set(i, t.id, set, &ms)) != SUCCESS ||
	    (code = zd_events_read(i, t.id, json_object_get(ticket, "metric_events"), &ev)) !=
		    SUCCESS)
		return code;
	inc = source_page_incident(page);
	describe(ctx, ticket, &t, inc, page);
	milestones(&t, &ms, &ev, inc);
	/* The page keeps what the incident points into. */
	if (ev.n_reopens) {
		struct mx_reopen *r = source_page_alloc(page, ev.n_reopens * sizeof(*r));

		memcpy(r, ev.reopens, ev.n_reopens * sizeof(*r));
		inc->reopens = r;
	}
	if ((code = ticket_slas(ctx, i, ticket, &t, &ev, inc, page)) == SUCCESS) {
		add_event(page, inc->source_id, inc->detected_at, "trigger", t.requester);
		add_event(page, inc->source_id, inc->acknowledged_at, "ack", t.assignee);
		for (size_t k = 0; k < ev.n_reopens; k++) {
			add_event(page, inc->source_id, ev.reopens[k].resolved_at, "resolve",
				  t.assignee);
			add_event(page, inc->source_id, ev.reopens[k].reopened_at, "reopen",
				  t.requester);
		}
		add_event(page, inc->source_id, inc->resolved_at, "resolve", t.assignee);
	}
	zd_events_release(&ev);
	return code;
}
