/* servicenow_map.c - ServiceNow rows into sitrep records: an incident with its
 * task_sla instances and its state history (sys_audit) becomes one ticket, its
 * milestones and its timeline; work notes (sys_journal_field) become notes.
 *
 * Milestones (metrics SPEC 2). detected is opened_at (user-editable, and it may
 * precede sys_created_on; sys_created_on only when it is empty). acknowledged is
 * the end of the Response SLA (the earliest one that completed), else the first
 * move to In Progress in the state history. resolved is resolved_at while the
 * state says the incident is over (Resolved, Closed, Canceled): a reopened
 * incident is open whatever resolved_at still holds, and one closed or canceled
 * without a resolution was over when it closed. closed is closed_at. impact start
 * would come from a linked outage (cmdb_ci_outage.begin), which is not synced:
 * none, and the metrics impute it; likewise containment.
 *
 * Reopens (SPEC 3: within 24 h one incident) are the state history's moves from
 * Resolved back to an open state, paired with the move to Resolved before them.
 * reopen_count and reopened_time alone cannot make a pair (the earlier resolution
 * is gone from the record): they give a timeline event only.
 *
 * SLAs. Every task_sla row is an SLA instance (an incident reopened gets a new
 * instance of the same definition: later ones are named "NAME (2)", ...). The
 * definition is read by dot-walking (sla.name, sla.target: response or resolution,
 * sla.duration); without a duration the target is planned_end_time - start_time
 * less the pauses, which only holds for a 24x7 clock. An instance with a schedule
 * runs on business hours. The resolution SLA the metrics judge (sla_policy, sla)
 * is the earliest that was not cancelled: the commitment made when the incident
 * was opened, where a reopen's instance is a second one. Its pauses are the On
 * Hold periods of the state history within its clock, when it paused at all
 * (pause_duration, stage paused); without a history, one pause of pause_duration
 * at its start, exact for a 24x7 clock.
 *
 * Nothing here does I/O; untrusted text goes into records as it came (the display
 * sanitizes), and into error messages sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sitrep/source.h"

#include <ctype.h>

#include "sitrep/config.h"
#include "sitrep/timestamp.h"
#include "servicenow.h"

#define STATE_IN_PROGRESS "2"
#define STATE_ON_HOLD "3"
#define STATE_RESOLVED "6"

/* ---- reading values ---- */

enum status_code
sn_field_error(const struct sn_where *w, const char *field, const char *what, const char *value)
{
	char *label = w->label ? source_error_text(w->label, strlen(w->label)) : NULL;
	char *text = value ? source_error_text(value, strlen(value)) : NULL;
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "%s row %zu", w->table, w->index);
	if (label && *label)
		buf_printf(&b, " (%s)", label);
	buf_printf(&b, ": %s ", field);
	if (text)
		buf_printf(&b, "\"%s\" ", text);
	error(SN_TYPE " %s: %s%s", w->stream, b.data, what);
	buf_release(&b);
	free(label);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

enum status_code
sn_text(const struct sn_where *w, const json_t *row, const char *key, const char **out)
{
	const json_t *v = json_object_get(row, key);
	char what[48];

	*out = "";
	/* A reference with its link: {"link": "https://...", "value": "<sys_id>"}. */
	if (json_is_object(v))
		v = json_object_get(v, "value");
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v)) {
		snprintf(what, sizeof(what), "is %s, not a string", json_type_name(v));
		return sn_field_error(w, key, what, NULL);
	}
	*out = json_string_value(v);
	return SUCCESS;
}

enum status_code
sn_time(const struct sn_where *w, const json_t *row, const char *key, int64_t *out)
{
	const char *text;
	enum status_code code;

	*out = TIME_NONE;
	if ((code = sn_text(w, row, key, &text)) != SUCCESS || !*text)
		return code;
	if (!timestamp_parse(text, out))
		return sn_field_error(w, key, "is not a date-time (yyyy-MM-dd HH:mm:ss)", text);
	return SUCCESS;
}

/* A glide_duration in raw form, "1970-01-01 04:00:00" (an offset from the epoch),
 * as seconds; TIME_NONE for "". */
static enum status_code
duration(const struct sn_where *w, const json_t *row, const char *key, int64_t *out)
{
	const char *text;
	enum status_code code;

	*out = TIME_NONE;
	if ((code = sn_text(w, row, key, &text)) != SUCCESS || !*text)
		return code;
	if (!timestamp_parse(text, out) || *out < 0)
		return sn_field_error(w, key, "is not a duration (1970-01-01 HH:mm:ss)", text);
	return SUCCESS;
}

/* A count ("2"); 0 for "". */
static enum status_code
count(const struct sn_where *w, const json_t *row, const char *key, long *out)
{
	const char *text, *p;
	enum status_code code;

	*out = 0;
	if ((code = sn_text(w, row, key, &text)) != SUCCESS || !*text)
		return code;
	for (p = text; *p >= '0' && *p <= '9' && p - text < 9; p++)
		*out = *out * 10 + (*p - '0');
	if (*p)
		return sn_field_error(w, key, "is not a count", text);
	return SUCCESS;
}

static enum status_code
boolean(const struct sn_where *w, const json_t *row, const char *key, bool *out)
{
	const char *text;
	enum status_code code;

	*out = false;
	if ((code = sn_text(w, row, key, &text)) != SUCCESS)
		return code;
	if (streq(text, "true"))
		*out = true;
	else if (*text && !streq(text, "false"))
		return sn_field_error(w, key, "is neither true nor false", text);
	return SUCCESS;
}

/* A sys_id: required, non-empty. */
static enum status_code
sys_id(const struct sn_where *w, const json_t *row, const char *key, const char **out)
{
	enum status_code code = sn_text(w, row, key, out);

	if (code == SUCCESS && !**out)
		return sn_field_error(w, key, "is missing", NULL);
	return code;
}

/* The first non-empty of two fields (a dot-walked name, then the sys_id). */
static enum status_code
either(const struct sn_where *w, const json_t *row, const char *first, const char *second,
       const char **out)
{
	enum status_code code = sn_text(w, row, first, out);

	if (code == SUCCESS && !**out)
		code = sn_text(w, row, second, out);
	return code;
}

/* ---- rows ---- */

enum status_code
sn_read_incident(const struct sn_where *w, const json_t *row, struct sn_incident *in)
{
	struct sn_where at = *w;
	enum status_code code;

	memset(in, 0, sizeof(*in));
	if ((code = sys_id(&at, row, "sys_id", &in->sys_id)) != SUCCESS ||
	    (code = sn_text(&at, row, "number", &in->number)) != SUCCESS)
		return code;
	at.label = *in->number ? in->number : in->sys_id;
	if ((code = sn_time(&at, row, "sys_updated_on", &in->updated)) != SUCCESS ||
	    (code = sn_time(&at, row, "sys_created_on", &in->created)) != SUCCESS ||
	    (code = sn_time(&at, row, "opened_at", &in->opened)) != SUCCESS ||
	    (code = sn_time(&at, row, "resolved_at", &in->resolved)) != SUCCESS ||
	    (code = sn_time(&at, row, "closed_at", &in->closed)) != SUCCESS ||
	    (code = sn_time(&at, row, "reopened_time", &in->reopened)) != SUCCESS ||
	    (code = count(&at, row, "reopen_count", &in->reopen_count)) != SUCCESS ||
	    (code = sn_text(&at, row, "state", &in->state)) != SUCCESS ||
	    (code = sn_text(&at, row, "priority", &in->priority)) != SUCCESS ||
	    (code = sn_text(&at, row, "short_description", &in->title)) != SUCCESS ||
	    (code = sn_text(&at, row, "correlation_id", &in->correlation_id)) != SUCCESS ||
	    (code = either(&at, row, "business_service.name", "cmdb_ci.name", &in->service)) !=
		    SUCCESS ||
	    (code = either(&at, row, "assigned_to.name", "assigned_to", &in->assignee)) != SUCCESS)
		return code;
	if (in->updated == TIME_NONE)
		return sn_field_error(&at, "sys_updated_on", "is missing", NULL);
	if (in->opened == TIME_NONE && in->created == TIME_NONE)
		return sn_field_error(&at, "opened_at", "and sys_created_on are both empty", NULL);
	return SUCCESS;
}

enum status_code
sn_read_sla(const struct sn_where *w, const json_t *row, struct sn_sla *s)
{
	struct sn_where at = *w;
	const char *schedule;
	enum status_code code;

	memset(s, 0, sizeof(*s));
	if ((code = sys_id(&at, row, "sys_id", &s->sys_id)) != SUCCESS)
		return code;
	at.label = s->sys_id;
	if ((code = sys_id(&at, row, "task", &s->task)) != SUCCESS ||
	    (code = either(&at, row, "sla.name", "sla", &s->name)) != SUCCESS ||
	    (code = sn_text(&at, row, "sla.target", &s->kind)) != SUCCESS ||
	    (code = sn_text(&at, row, "stage", &s->stage)) != SUCCESS ||
	    (code = sn_text(&at, row, "schedule", &schedule)) != SUCCESS ||
	    (code = boolean(&at, row, "has_breached", &s->breached)) != SUCCESS ||
	    (code = sn_time(&at, row, "sys_updated_on", &s->updated)) != SUCCESS ||
	    (code = duration(&at, row, "sla.duration", &s->target)) != SUCCESS ||
	    (code = sn_time(&at, row, "start_time", &s->start)) != SUCCESS ||
	    (code = sn_time(&at, row, "planned_end_time", &s->due)) != SUCCESS ||
	    (code = sn_time(&at, row, "end_time", &s->stop)) != SUCCESS ||
	    (code = duration(&at, row, "pause_duration", &s->paused)) != SUCCESS ||
	    (code = sn_time(&at, row, "pause_time", &s->pause_time)) != SUCCESS)
		return code;
	if (!*s->name)
		s->name = "SLA";
	s->business = *schedule != '\0';
	if (s->updated == TIME_NONE)
		return sn_field_error(&at, "sys_updated_on", "is missing", NULL);
	return SUCCESS;
}

enum status_code
sn_read_change(const struct sn_where *w, const json_t *row, struct sn_change *c)
{
	struct sn_where at = *w;
	enum status_code code;

	memset(c, 0, sizeof(*c));
	if ((code = sys_id(&at, row, "sys_id", &c->sys_id)) != SUCCESS)
		return code;
	at.label = c->sys_id;
	if ((code = sys_id(&at, row, "documentkey", &c->incident)) != SUCCESS ||
	    (code = sn_text(&at, row, "oldvalue", &c->from)) != SUCCESS ||
	    (code = sn_text(&at, row, "newvalue", &c->to)) != SUCCESS ||
	    (code = sn_text(&at, row, "user", &c->user)) != SUCCESS ||
	    (code = count(&at, row, "record_checkpoint", &c->checkpoint)) != SUCCESS ||
	    (code = sn_time(&at, row, "sys_created_on", &c->at)) != SUCCESS)
		return code;
	if (c->at == TIME_NONE)
		return sn_field_error(&at, "sys_created_on", "is missing", NULL);
	return SUCCESS;
}

enum status_code
sn_read_note(const struct sn_where *w, const json_t *row, struct sn_note *n)
{
	struct sn_where at = *w;
	enum status_code code;

	memset(n, 0, sizeof(*n));
	if ((code = sys_id(&at, row, "sys_id", &n->sys_id)) != SUCCESS)
		return code;
	at.label = n->sys_id;
	if ((code = sys_id(&at, row, "element_id", &n->incident)) != SUCCESS ||
	    (code = sn_text(&at, row, "value", &n->text)) != SUCCESS ||
	    (code = sn_text(&at, row, "sys_created_by", &n->author)) != SUCCESS ||
	    (code = sn_time(&at, row, "sys_created_on", &n->at)) != SUCCESS)
		return code;
	if (n->at == TIME_NONE)
		return sn_field_error(&at, "sys_created_on", "is missing", NULL);
	return SUCCESS;
}

enum status_code
sn_check_rows(const char *stream, const char *table, const json_t *rows)
{
	struct sn_where w = { .stream = stream, .table = table };
	const json_t *row;
	enum status_code code = SUCCESS;

	json_array_foreach((json_t *)(uintptr_t)rows, w.index, row)
	{
		union {
			struct sn_incident incident;
			struct sn_sla sla;
			struct sn_change change;
			struct sn_note note;
		} scratch;

		if (!json_is_object(row))
			return error(SN_TYPE " %s: %s row %zu is %s, not an object", stream, table,
				     w.index, json_type_name(row));
		if (streq(table, "incident"))
			code = sn_read_incident(&w, row, &scratch.incident);
		else if (streq(table, "task_sla"))
			code = sn_read_sla(&w, row, &scratch.sla);
		else if (streq(table, "sys_audit"))
			code = sn_read_change(&w, row, &scratch.change);
		else
			code = sn_read_note(&w, row, &scratch.note);
		if (code != SUCCESS)
			return code;
	}
	return code;
}

/* ---- states ---- */

const char *
sn_state_name(const char *code)
{
	static const struct {
		const char *code, *name;
	} states[] = {
		{ "1", "New" },	     { "2", "In Progress" }, { "3", "On Hold" },
		{ "6", "Resolved" }, { "7", "Closed" },	     { "8", "Canceled" },
	};

	for (size_t i = 0; code && i < ARRAY_SIZE(states); i++)
		if (streq(code, states[i].code))
			return states[i].name;
	return code;
}

/* Resolved, Closed, Canceled: the incident is over. */
static bool
state_over(const char *code)
{
	return streq(code, "6") || streq(code, "7") || streq(code, "8");
}

/* New, In Progress, On Hold: it is open. Neither (an instance's own state, or none
 * readable): the milestones decide. */
static bool
state_open(const char *code)
{
	return streq(code, "1") || streq(code, "2") || streq(code, "3");
}

/* ---- one incident ---- */

/* What belongs to one incident of a batch: its SLAs and state changes, read. */
struct batch_item {
	struct sn_incident in;
	const json_t *row;
	struct sn_sla *slas;
	size_t n_slas, slas_alloc;
	struct sn_change *changes;
	size_t n_changes, changes_alloc;
};

static int64_t
later(int64_t a, int64_t b)
{
	return a == TIME_NONE || (b != TIME_NONE && b > a) ? b : a;
}

static const char *
severity_of(const char *priority)
{
	static const char *const p[] = { "P1", "P2", "P3", "P4", "P5" };

	if (priority && priority[0] >= '1' && priority[0] <= '5' && !priority[1])
		return p[priority[0] - '1'];
	return NULL;
}

static int
cmp_change(const void *a, const void *b)
{
	const struct sn_change *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->checkpoint != y->checkpoint)
		return x->checkpoint < y->checkpoint ? -1 : 1;
	return strcmp(x->sys_id, y->sys_id);
}

static int
cmp_sla(const void *a, const void *b)
{
	const struct sn_sla *x = a, *y = b;

	if (x->start != y->start)
		return x->start == TIME_NONE   ? 1
		       : y->start == TIME_NONE ? -1
		       : x->start < y->start   ? -1
					       : 1;
	return strcmp(x->sys_id, y->sys_id);
}

static void
add_event(struct source_page *page, const char *id, int64_t at, const char *kind, const char *actor,
	  const char *text, const char *event_id)
{
	struct source_event *ev;

	if (at == TIME_NONE)
		return;
	ev = source_page_event(page);
	ev->incident_id = id;
	ev->at = at;
	ev->kind = kind;
	ev->actor = actor && *actor ? source_page_strdup(page, actor) : NULL;
	ev->text = text ? source_page_strdup(page, text) : NULL;
	ev->event_id = event_id ? source_page_strdup(page, event_id) : NULL;
}

static bool
is_kind(const struct sn_sla *s, const char *kind)
{
	size_t n = strlen(kind);

	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s->kind[i]) != kind[i])
			return false;
	return s->kind[n] == '\0';
}

/* The periods the incident spent On Hold, as pauses within [from, to) (to
 * TIME_NONE: open-ended), into page memory. */
static struct mx_pause *
holds(struct source_page *page, const struct batch_item *it, int64_t from, int64_t to, size_t *n)
{
	struct mx_pause *p = source_page_alloc(page, (it->n_changes + 1) * sizeof(*p));
	int64_t since = TIME_NONE;

	*n = 0;
	for (size_t i = 0; i <= it->n_changes; i++) {
		const struct sn_change *c = i < it->n_changes ? &it->changes[i] : NULL;
		int64_t end = c ? c->at : TIME_NONE;

		if (since != TIME_NONE && (!c || !streq(c->to, STATE_ON_HOLD))) {
			int64_t s = since > from ? since : from;
			int64_t e = to != TIME_NONE && (end == TIME_NONE || end > to) ? to : end;

			if (e == TIME_NONE || e > s)
				p[(*n)++] = (struct mx_pause){ s, e };
			since = TIME_NONE;
		}
		if (c && streq(c->to, STATE_ON_HOLD) && since == TIME_NONE)
			since = c->at;
	}
	return p;
}

/* The resolution SLA as the metrics read it (see the top of the file). */
static void
set_metric_sla(struct source_page *page, struct store_incident *inc, const struct batch_item *it,
	       const struct sn_sla *s, const char *name)
{
	struct mx_sla *m = &inc->sla;
	struct mx_pause *p;
	size_t n = 0;
	int64_t target = s->target;

	if (target == TIME_NONE && !s->business && s->due != TIME_NONE && s->start != TIME_NONE)
		target = s->due - s->start - (s->paused == TIME_NONE ? 0 : s->paused);
	if (target == TIME_NONE || target <= 0 || s->start == TIME_NONE)
		return;
	m->present = true;
	m->schedule = s->business ? MX_SCHEDULE_BUSINESS_HOURS : MX_SCHEDULE_24X7;
	m->target_seconds = target;
	m->start_time = s->start;
	m->stop_time =
		streq(s->stage, "in_progress") || streq(s->stage, "paused") ? TIME_NONE : s->stop;
	inc->sla_policy = name;
	if ((s->paused == TIME_NONE || s->paused <= 0) && !streq(s->stage, "paused"))
		return;
	p = holds(page, it, m->start_time, m->stop_time, &n);
	if (n == 0 && streq(s->stage, "paused") && s->pause_time != TIME_NONE) {
		p[n++] = (struct mx_pause){ s->pause_time, TIME_NONE };
	} else if (n == 0 && s->paused != TIME_NONE && s->paused > 0) {
		p = source_page_alloc(page, sizeof(*p));
		p[n++] = (struct mx_pause){ s->start, s->start + s->paused };
	}
	m->pauses = p;
	m->n_pauses = n;
}

/* The SLA instances, named uniquely; the resolution SLA for the metrics; the
 * Response SLA's end, the acknowledgement, into *response_end. */
static void
set_slas(struct source_page *page, struct store_incident *inc, struct batch_item *it,
	 int64_t *response_end, const char **response_name)
{
	struct store_sla *out = source_page_alloc(page, (it->n_slas + 1) * sizeof(*out));
	const struct sn_sla *resolution = NULL;
	const char *resolution_name = NULL;

	*response_end = TIME_NONE;
	*response_name = NULL;
	if (it->n_slas > 1)
		qsort(it->slas, it->n_slas, sizeof(*it->slas), cmp_sla);
	for (size_t i = 0; i < it->n_slas; i++) {
		const struct sn_sla *s = &it->slas[i];
		struct store_sla *o = &out[i];
		size_t same = 1;
		char *kind = xstrdup(s->kind);

		for (size_t j = 0; j < i; j++)
			same += streq(it->slas[j].name, s->name);
		o->name = same == 1 ? source_page_strdup(page, s->name) : NULL;
		if (!o->name) {
			char *name = xasprintf("%s (%zu)", s->name, same);

			o->name = source_page_strdup(page, name);
			free(name);
		}
		for (char *k = kind; *k; k++)
			*k = (char)tolower((unsigned char)*k);
		o->kind = *kind ? source_page_strdup(page, kind) : NULL;
		free(kind);
		o->target = s->target;
		o->schedule = s->business ? MX_SCHEDULE_BUSINESS_HOURS : MX_SCHEDULE_24X7;
		o->start_at = s->start;
		o->due_at = s->due;
		o->stop_at = s->stop;
		o->paused = s->paused;
		o->stage = *s->stage ? source_page_strdup(page, s->stage) : NULL;
		o->breached = s->breached;
		if (streq(s->stage, "cancelled"))
			continue;
		if (is_kind(s, "response") && s->stop != TIME_NONE &&
		    (*response_end == TIME_NONE || s->stop < *response_end)) {
			*response_end = s->stop;
			*response_name = o->name;
		}
		if (is_kind(s, "resolution") && s->start != TIME_NONE && !resolution) {
			resolution = s;
			resolution_name = o->name;
		}
	}
	inc->slas = it->n_slas ? out : NULL;
	inc->n_slas = it->n_slas;
	if (resolution)
		set_metric_sla(page, inc, it, resolution, resolution_name);
}

/* State changes: timeline events, the first move to In Progress (*progress, by
 * *progress_user) and the reopens. */
static void
read_history(struct source_page *page, struct store_incident *inc, struct batch_item *it,
	     int64_t *progress, const char **progress_user)
{
	struct mx_reopen *reopens = source_page_alloc(page, (it->n_changes + 1) * sizeof(*reopens));
	int64_t resolved = TIME_NONE;
	size_t n = 0;

	*progress = TIME_NONE;
	*progress_user = NULL;
	if (it->n_changes > 1)
		qsort(it->changes, it->n_changes, sizeof(*it->changes), cmp_change);
	for (size_t i = 0; i < it->n_changes; i++) {
		const struct sn_change *c = &it->changes[i];
		char *text = *c->from ? xasprintf("%s -> %s", sn_state_name(c->from),
						  sn_state_name(c->to))
				      : xstrdup(sn_state_name(c->to));

		add_event(page, inc->source_id, c->at, "state", c->user, text, c->sys_id);
		free(text);
		if (streq(c->to, STATE_IN_PROGRESS) && *progress == TIME_NONE) {
			*progress = c->at;
			*progress_user = c->user;
		}
		if (streq(c->to, STATE_RESOLVED)) {
			resolved = c->at;
		} else if (streq(c->from, STATE_RESOLVED) && !state_over(c->to) && *c->to &&
			   resolved != TIME_NONE) {
			reopens[n++] = (struct mx_reopen){ resolved, c->at };
			resolved = TIME_NONE;
		}
	}
	inc->reopens = n ? reopens : NULL;
	inc->n_reopens = n;
}

/* The ticket's parent: the monitoring alert its correlation_id names, when the
 * config says which source those ids belong to; else overlap in the store. */
static void
set_parent(const struct source_ctx *ctx, struct source_page *page, struct store_incident *inc,
	   const struct sn_incident *in)
{
	const char *correlate = ctx->config ? config_source_get(ctx->config, "correlate") : NULL;

	if (correlate && *correlate && *in->correlation_id) {
		inc->parent_source = source_page_strdup(page, correlate);
		inc->parent_id = source_page_strdup(page, in->correlation_id);
		inc->link = "correlation";
	} else {
		inc->link_by_overlap = true;
	}
}

static const char *
service_of(const struct source_ctx *ctx, const struct sn_incident *in)
{
	const char *s;

	if (*in->service)
		return in->service;
	s = ctx->config ? ctx->config->service : NULL;
	if (!s && ctx->config)
		s = config_source_get(ctx->config, "service");
	return s && *s ? s : "unknown";
}

/* The form of the incident in the instance's UI. */
static const char *
form_url(const struct source_ctx *ctx, struct source_page *page, const char *id)
{
	const char *base = ctx->config ? config_source_get(ctx->config, "url") : NULL;
	char *escaped, *path, *url;
	const char *out;

	if (!base || !*base)
		return NULL;
	escaped = http_escape(id);
	path = xasprintf("/nav_to.do?uri=%%2Fincident.do%%3Fsys_id%%3D%s", escaped);
	url = source_url(base, path);
	out = source_page_strdup(page, url);
	free(url);
	free(path);
	free(escaped);
	return out;
}

/* resolved and closed as the state allows (see the top of the file). */
static void
set_ends(struct store_incident *inc, const struct sn_incident *in)
{
	if (state_open(in->state))
		return;
	inc->closed_at = in->closed;
	inc->resolved_at = in->resolved != TIME_NONE ? in->resolved : in->closed;
	if (inc->resolved_at == TIME_NONE && state_over(in->state))
		inc->resolved_at = in->updated;
}

static void
emit_incident(const struct source_ctx *ctx, struct source_page *page, struct batch_item *it)
{
	const struct sn_incident *in = &it->in;
	struct store_incident *inc = source_page_incident(page);
	const char **services = source_page_alloc(page, sizeof(*services));
	const char *id = source_page_strdup(page, in->sys_id), *progress_user, *response_name;
	int64_t progress, response_end;
	char *raw;

	inc->source = source_page_strdup(page, ctx->name);
	inc->source_id = id;
	services[0] = source_page_strdup(page, service_of(ctx, in));
	inc->services = services;
	inc->n_services = 1;
	inc->title = source_page_strdup(page, *in->title    ? in->title
					      : *in->number ? in->number
							    : in->sys_id);
	inc->severity = severity_of(in->priority);
	inc->impact = streq(inc->severity, "P1") ? MX_IMPACT_OUTAGE : MX_IMPACT_DEGRADED;
	inc->detected_at = in->opened != TIME_NONE ? in->opened : in->created;
	set_ends(inc, in);
	inc->ticket = true;
	inc->state = *in->state ? source_page_strdup(page, sn_state_name(in->state)) : NULL;
	inc->assignee = *in->assignee ? source_page_strdup(page, in->assignee) : NULL;
	inc->url = form_url(ctx, page, in->sys_id);
	set_parent(ctx, page, inc, in);
	raw = json_dumps(it->row, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);

	read_history(page, inc, it, &progress, &progress_user);
	set_slas(page, inc, it, &response_end, &response_name);
	inc->acknowledged_at = response_end != TIME_NONE ? response_end : progress;
	inc->updated_at = in->updated;
	for (size_t i = 0; i < it->n_slas; i++)
		inc->updated_at = later(inc->updated_at, it->slas[i].updated);

	add_event(page, id, inc->detected_at, "trigger", NULL, NULL, NULL);
	if (response_end != TIME_NONE)
		add_event(page, id, response_end, "ack", NULL, response_name, NULL);
	else
		add_event(page, id, progress, "ack", progress_user, "In Progress", NULL);
	for (size_t i = 0; i < inc->n_reopens; i++)
		add_event(page, id, inc->reopens[i].reopened_at, "reopen", NULL, NULL, NULL);
	if (inc->n_reopens == 0 && in->reopen_count > 0)
		add_event(page, id, in->reopened, "reopen", NULL, NULL, NULL);
	add_event(page, id, inc->resolved_at, "resolve", NULL, NULL, NULL);
	add_event(page, id, inc->closed_at, "close", NULL, inc->state, NULL);
}

/* ---- a batch ---- */

static void
items_release(struct batch_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].slas);
		free(items[i].changes);
	}
	free(items);
}

static struct batch_item *
item_of(struct batch_item *items, size_t n, const char *sys_id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(items[i].in.sys_id, sys_id))
			return &items[i];
	return NULL;
}

/* Hands every SLA and change to its incident's item; rows of other incidents (an
 * instance that ignored the IN filter) belong to none and are dropped. */
static enum status_code
distribute(const char *stream, struct batch_item *items, size_t n, const json_t *slas,
	   const json_t *changes)
{
	struct sn_where w = { .stream = stream, .table = "task_sla" };
	const json_t *row;
	enum status_code code;

	json_array_foreach((json_t *)(uintptr_t)slas, w.index, row)
	{
		struct sn_sla s;
		struct batch_item *it;

		if ((code = sn_read_sla(&w, row, &s)) != SUCCESS)
			return code;
		if ((it = item_of(items, n, s.task))) {
			it->slas = xgrow(it->slas, &it->slas_alloc, it->n_slas + 1, sizeof(s));
			it->slas[it->n_slas++] = s;
		}
	}
	w.table = "sys_audit";
	json_array_foreach((json_t *)(uintptr_t)changes, w.index, row)
	{
		struct sn_change c;
		struct batch_item *it;

		if ((code = sn_read_change(&w, row, &c)) != SUCCESS)
			return code;
		if ((it = item_of(items, n, c.incident))) {
			it->changes = xgrow(it->changes, &it->changes_alloc, it->n_changes + 1,
					    sizeof(c));
			it->changes[it->n_changes++] = c;
		}
	}
	return SUCCESS;
}

enum status_code
sn_emit_incidents(const struct source_ctx *ctx, const char *stream, const json_t *incidents,
		  const json_t *slas, const json_t *changes, struct source_page *page)
{
	struct sn_where w = { .stream = stream, .table = "incident" };
	size_t n = json_array_size(incidents);
	struct batch_item *items = xcalloc(n + 1, sizeof(*items));
	const json_t *row;
	enum status_code code = SUCCESS;

	json_array_foreach((json_t *)(uintptr_t)incidents, w.index, row)
	{
		if ((code = sn_read_incident(&w, row, &items[w.index].in)) != SUCCESS)
			goto out;
		items[w.index].row = row;
	}
	if ((code = distribute(stream, items, n, slas, changes)) != SUCCESS)
		goto out;
	for (size_t i = 0; i < n; i++)
		emit_incident(ctx, page, &items[i]);
out:
	items_release(items, n);
	return code;
}

enum status_code
sn_emit_notes(const char *stream, const json_t *notes, struct source_page *page)
{
	struct sn_where w = { .stream = stream, .table = "sys_journal_field" };
	const json_t *row;
	enum status_code code;

	json_array_foreach((json_t *)(uintptr_t)notes, w.index, row)
	{
		struct sn_note n;

		if (!json_is_object(row))
			return error(SN_TYPE " %s: sys_journal_field row %zu is %s, not an object",
				     stream, w.index, json_type_name(row));
		if ((code = sn_read_note(&w, row, &n)) != SUCCESS)
			return code;
		add_event(page, source_page_strdup(page, n.incident), n.at, "note", n.author,
			  n.text, n.sys_id);
	}
	return SUCCESS;
}
