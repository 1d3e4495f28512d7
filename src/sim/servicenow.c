/* servicenow.c - the ServiceNow Table API dialect: GET /api/now/table/{table} and
 * /api/now/table/{table}/{sys_id} over four tables of the world's ServiceNow
 * tickets, as an instance answers them (monitoring-ticketing.md 7):
 *
 *   incident           one row per ticket opened by now
 *   task_sla           its SLA instances started by now (a response and a
 *                      resolution SLA, and one more resolution SLA per reopen)
 *   sys_audit          its state changes by now (fieldname=state)
 *   sys_journal_field  its work notes by now (element=work_notes)
 *
 * Rows are derived from the world and the clock, never stored; ids come from the
 * seed. Every value is a string, date-times raw UTC "yyyy-MM-dd HH:mm:ss", durations
 * "1970-01-01 HH:mm:ss" (an offset from the epoch). Reference fields are
 * {"link", "value"} objects unless sysparm_exclude_reference_link=true; dot-walked
 * fields (assigned_to.name, sla.name, task.sys_updated_on, ...) exist when
 * sysparm_fields names them, and conditions may use them. A reopened incident's
 * resolved_at is cleared, as the base system does. A task_sla row is updated when
 * its clock starts, pauses, resumes, stops or breaches: a breach changes the SLA
 * and not the incident.
 *
 * sysparm_query is an encoded query: conditions joined by ^ (and), ^OR (or, with
 * the condition before), ^NQ (a new query ORed with the others), with =, !=, >, >=,
 * <, <=, IN, NOT IN, STARTSWITH, ISEMPTY, ISNOTEMPTY, and ORDERBY / ORDERBYDESC
 * clauses; numbers compare as numbers, the rest as text (raw date-times order that
 * way). A condition on a field the table does not have, or with an operator it
 * does not know, is dropped, as an instance does unless
 * glide.invalid_query.returns_no_rows is set. Pages: sysparm_limit (default 10000)
 * and sysparm_offset, with X-Total-Count and a Link header (first, prev, next,
 * last) repeating the request's parameters. sysparm_display_value is not
 * implemented: values are always raw.
 *
 * Auth: with --require-token T, Basic with T as the password (any user) or Bearer
 * T. Errors are {"error": {"message", "detail"}, "status": "failure"}. The
 * stuck_cursor fault makes the instance ignore sysparm_query's conditions and
 * repeat the request as its next page. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <strings.h>
#include <time.h>

#define PREFIX "/servicenow"
#define TABLE_PATH "/api/now/table/"
#define DEFAULT_LIMIT 10000
#define RATE_LIMIT_PER_HOUR 1000
#define HOUR 3600

enum table {
	T_INCIDENT,
	T_TASK_SLA,
	T_AUDIT,
	T_JOURNAL,
};

static const char *const table_names[] = { "incident", "task_sla", "sys_audit",
					   "sys_journal_field" };

/* The reference fields of each table and the table they point into. */
static const struct {
	enum table table;
	const char *field, *target;
} references[] = {
	{ T_INCIDENT, "caller_id", "sys_user" },
	{ T_INCIDENT, "opened_by", "sys_user" },
	{ T_INCIDENT, "assigned_to", "sys_user" },
	{ T_INCIDENT, "resolved_by", "sys_user" },
	{ T_INCIDENT, "closed_by", "sys_user" },
	{ T_INCIDENT, "assignment_group", "sys_user_group" },
	{ T_INCIDENT, "business_service", "cmdb_ci_service" },
	{ T_INCIDENT, "cmdb_ci", "cmdb_ci" },
	{ T_TASK_SLA, "task", "task" },
	{ T_TASK_SLA, "sla", "contract_sla" },
	{ T_TASK_SLA, "schedule", "cmn_schedule" },
};

/* ---- values ---- */

static void
set_str(json_t *row, const char *key, const char *value)
{
	json_object_set_new(row, key, json_string(value ? value : ""));
}

/* "2025-03-03 10:00:00", or "" for TIME_NONE. */
static void
set_time(json_t *row, const char *key, int64_t t)
{
	char iso[TIMESTAMP_TEXT_SIZE], raw[24];

	if (t == TIME_NONE) {
		set_str(row, key, "");
		return;
	}
	timestamp_format(t, iso, sizeof(iso));
	snprintf(raw, sizeof(raw), "%.10s %.8s", iso, iso + 11);
	set_str(row, key, raw);
}

static void
set_int(json_t *row, const char *key, long long v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", v);
	set_str(row, key, text);
}

static void
set_bool(json_t *row, const char *key, bool v)
{
	set_str(row, key, v ? "true" : "false");
}

/* A sys_id of kind and name from the seed. */
static void
set_id(const struct world *w, json_t *row, const char *key, const char *kind, const char *name)
{
	char *text, id[33];

	if (!name || !*name) {
		set_str(row, key, "");
		return;
	}
	text = xasprintf("%s %s", kind, name);
	wire_hex_id(w->seed, text, id, 32);
	set_str(row, key, id);
	free(text);
}

/* A reference and its dot-walked name. */
static void
set_ref(const struct world *w, json_t *row, const char *key, const char *kind, const char *name)
{
	char *dot = xasprintf("%s.name", key);

	set_id(w, row, key, kind, name);
	set_str(row, dot, name);
	free(dot);
}

/* ---- rows ---- */

static int64_t
now_s(const struct sim *sim)
{
	return floor_div(sim_clock_now(&sim->clock), 1000);
}

/* The ticket's latest resolution by now, while it is resolved or closed. */
static int64_t
resolved_at(const struct ticket *t, enum ticket_state st, int64_t now)
{
	int64_t last = TIME_NONE;

	if (st != TICKET_SOLVED && st != TICKET_CLOSED)
		return TIME_NONE;
	for (size_t i = 0; i < t->n_resolved && t->resolved[i] <= now; i++)
		last = t->resolved[i];
	return last;
}

/* The Opsgenie alert of the ticket's incident, which opened it: the integration
 * keeps the alert's id in correlation_id. */
static void
set_correlation(const struct world *w, json_t *row, const struct ticket *t)
{
	char id[48];

	if (!t->correlated || t->incident < 0) {
		set_str(row, "correlation_id", "");
		set_str(row, "correlation_display", "");
		return;
	}
	opsgenie_alert_id(w, (size_t)t->incident, id, sizeof(id));
	set_str(row, "correlation_id", id);
	set_str(row, "correlation_display", "Opsgenie");
}

static json_t *
incident_row(const struct world *w, const struct ticket *t, int64_t now)
{
	int64_t now_ms = now * 1000;
	enum ticket_state st = ticket_state_at(t, now_ms);
	const char *service = w->services[t->service].name;
	json_t *row = json_object();
	int64_t reopened = TIME_NONE, resolved = resolved_at(t, st, now);
	unsigned int reopens = ticket_reopens_at(t, now_ms);
	bool breached = false;
	char *ci;

	for (size_t i = 0; i < reopens; i++)
		reopened = t->reopened[i];
	for (size_t i = 0; i < ticket_slas_at(t, now_ms); i++) {
		struct sla_state s;

		sla_state_at(&t->slas[i], now_ms, &s);
		breached = breached || s.breached;
	}
	set_str(row, "sys_id", t->sys_id);
	set_str(row, "number", t->id);
	set_str(row, "sys_class_name", "incident");
	set_time(row, "sys_created_on", t->opened);
	set_str(row, "sys_created_by", t->requester);
	set_time(row, "sys_updated_on", ticket_updated_at(t, now_ms));
	set_str(row, "sys_updated_by", st == TICKET_NEW ? t->requester : t->assignee);
	set_int(row, "sys_mod_count", ticket_mod_count(t, now_ms));
	set_time(row, "opened_at", t->opened);
	set_ref(w, row, "opened_by", "sys_user", t->requester);
	set_ref(w, row, "caller_id", "sys_user", t->requester);
	set_int(row, "state", servicenow_state_code(st));
	set_int(row, "incident_state", servicenow_state_code(st));
	set_bool(row, "active", st != TICKET_CLOSED);
	set_int(row, "priority", t->priority);
	set_int(row, "impact", t->priority <= 2 ? 1 : t->priority - 1);
	set_int(row, "urgency", t->priority == 1 ? 1 : t->priority <= 3 ? 2 : 3);
	set_str(row, "short_description", t->title);
	set_str(row, "description", t->description);
	set_str(row, "category", "software");
	set_str(row, "contact_type", t->correlated ? "monitoring" : "phone");
	set_ref(w, row, "assignment_group", "sys_user_group", t->group);
	/* Nobody owns it until someone takes it. */
	set_ref(w, row, "assigned_to", "sys_user", st == TICKET_NEW ? NULL : t->assignee);
	set_ref(w, row, "business_service", "cmdb_ci_service", service);
	ci = xasprintf("%s-app", service);
	set_ref(w, row, "cmdb_ci", "cmdb_ci", ci);
	free(ci);
	set_correlation(w, row, t);
	set_time(row, "resolved_at", resolved);
	set_ref(w, row, "resolved_by", "sys_user", resolved != TIME_NONE ? t->assignee : NULL);
	set_str(row, "close_code", resolved != TIME_NONE ? "Solved (Permanently)" : "");
	set_time(row, "closed_at", st == TICKET_CLOSED ? t->closed : TIME_NONE);
	set_ref(w, row, "closed_by", "sys_user", st == TICKET_CLOSED ? "system" : NULL);
	set_int(row, "reopen_count", reopens);
	set_time(row, "reopened_time", reopened);
	set_bool(row, "made_sla", !breached);
	set_str(row, "work_notes", ""); /* journal fields read empty */
	set_str(row, "comments", "");
	return row;
}

/* "1970-01-01 02:00:00": a glide_duration. */
static void
set_duration(json_t *row, const char *key, int64_t secs)
{
	set_time(row, key, secs < 0 ? 0 : secs);
}

/* When the SLA row last changed: its start, a pause beginning or ending, its stop
 * or its breach, whichever came last by now. */
static int64_t
sla_updated(const struct sla_instance *s, int64_t now)
{
	int64_t last = s->start;

	for (size_t i = 0; i < s->n_pauses; i++) {
		if (s->pauses[i].start <= now && s->pauses[i].start > last)
			last = s->pauses[i].start;
		if (s->pauses[i].end <= now && s->pauses[i].end > last)
			last = s->pauses[i].end;
	}
	if (s->stop != TIME_NONE && s->stop <= now && s->stop > last)
		last = s->stop;
	if (s->breach != TIME_NONE && s->breach <= now && s->breach > last)
		last = s->breach;
	return last;
}

static json_t *
sla_row(const struct world *w, const struct ticket *t, const struct sla_instance *s, int64_t now)
{
	static const char *const stages[] = { "not_started", "in_progress", "paused", "completed" };
	json_t *row = json_object();
	struct sla_state st;
	int64_t pause_time = TIME_NONE;
	char percent[32];

	sla_state_at(s, now * 1000, &st);
	for (size_t i = 0; st.stage == SLA_PAUSED && i < s->n_pauses; i++)
		if (now >= s->pauses[i].start && now < s->pauses[i].end)
			pause_time = s->pauses[i].start;
	set_str(row, "sys_id", s->sys_id);
	set_time(row, "sys_created_on", s->start);
	set_time(row, "sys_updated_on", sla_updated(s, now));
	set_str(row, "task", t->sys_id);
	set_str(row, "task.number", t->id);
	set_str(row, "task.sys_class_name", "incident");
	set_time(row, "task.sys_updated_on", ticket_updated_at(t, now * 1000));
	set_id(w, row, "sla", "contract_sla", s->def->name);
	set_str(row, "sla.name", s->def->name);
	set_str(row, "sla.target", sla_metric_name(s->def->metric));
	set_duration(row, "sla.duration", s->def->target);
	set_id(w, row, "schedule", "cmn_schedule", s->def->business ? "8-5 weekdays" : NULL);
	set_str(row, "stage", stages[st.stage]);
	set_bool(row, "active", st.stage != SLA_COMPLETED);
	set_bool(row, "has_breached", st.breached);
	set_time(row, "start_time", s->start);
	set_time(row, "end_time", st.stage == SLA_COMPLETED ? s->stop : TIME_NONE);
	set_time(row, "planned_end_time", st.planned_end);
	set_duration(row, "duration", st.elapsed);
	set_duration(row, "business_duration", st.business_elapsed);
	set_duration(row, "pause_duration", st.paused);
	set_time(row, "pause_time", pause_time);
	set_duration(row, "time_left", st.left);
	snprintf(percent, sizeof(percent), "%.2f", st.percentage);
	set_str(row, "percentage", percent);
	return row;
}

static json_t *
audit_row(const struct world *w, const struct ticket *t, size_t i)
{
	const struct ticket_change *c = &t->changes[i];
	json_t *row = json_object();
	char *key = xasprintf("sys_audit %s %zu", t->id, i), id[33];

	wire_hex_id(w->seed, key, id, 32);
	free(key);
	set_str(row, "sys_id", id);
	set_time(row, "sys_created_on", c->at);
	set_str(row, "tablename", "incident");
	set_str(row, "documentkey", t->sys_id);
	set_str(row, "fieldname", "state");
	set_int(row, "oldvalue", servicenow_state_code(t->changes[i - 1].state));
	set_int(row, "newvalue", servicenow_state_code(c->state));
	set_str(row, "user", c->state == TICKET_CLOSED ? "system" : t->assignee);
	set_int(row, "record_checkpoint", (long long)i);
	return row;
}

static json_t *
journal_row(const struct world *w, const struct ticket *t, size_t i)
{
	const struct ticket_note *n = &t->notes[i];
	json_t *row = json_object();
	char *key = xasprintf("sys_journal_field %s %zu", t->id, i), id[33];

	wire_hex_id(w->seed, key, id, 32);
	free(key);
	set_str(row, "sys_id", id);
	set_time(row, "sys_created_on", n->at);
	set_str(row, "sys_created_by", n->author);
	set_str(row, "name", "incident");
	set_str(row, "element", "work_notes");
	set_str(row, "element_id", t->sys_id);
	set_str(row, "value", n->text);
	return row;
}

/* Every row of table at now (new array). */
static json_t *
table_rows(const struct world *w, enum table table, int64_t now)
{
	json_t *rows = json_array();

	for (size_t k = 0; k < w->n_tickets; k++) {
		const struct ticket *t = &w->tickets[k];

		if (t->system != TICKET_SERVICENOW || !ticket_exists(t, now * 1000))
			continue;
		switch (table) {
		case T_INCIDENT:
			json_array_append_new(rows, incident_row(w, t, now));
			break;
		case T_TASK_SLA:
			for (size_t i = 0; i < ticket_slas_at(t, now * 1000); i++)
				json_array_append_new(rows, sla_row(w, t, &t->slas[i], now));
			break;
		case T_AUDIT:
			for (size_t i = 1; i < t->n_changes && t->changes[i].at <= now; i++)
				json_array_append_new(rows, audit_row(w, t, i));
			break;
		case T_JOURNAL:
			for (size_t i = 0; i < ticket_notes_at(t, now * 1000); i++)
				json_array_append_new(rows, journal_row(w, t, i));
			break;
		}
	}
	return rows;
}

/* ---- encoded queries ---- */

enum op {
	OP_EQ,
	OP_NE,
	OP_GE,
	OP_LE,
	OP_GT,
	OP_LT,
	OP_IN,
	OP_NOT_IN,
	OP_STARTSWITH,
	OP_ISEMPTY,
	OP_ISNOTEMPTY,
};

/* Longest first, so that ">=" is not read as ">". */
static const struct {
	const char *text;
	enum op op;
} ops[] = {
	{ "ISNOTEMPTY", OP_ISNOTEMPTY },
	{ "ISEMPTY", OP_ISEMPTY },
	{ "STARTSWITH", OP_STARTSWITH },
	{ "NOT IN", OP_NOT_IN },
	{ "IN", OP_IN },
	{ "!=", OP_NE },
	{ ">=", OP_GE },
	{ "<=", OP_LE },
	{ ">", OP_GT },
	{ "<", OP_LT },
	{ "=", OP_EQ },
};

struct condition {
	char *field, *value;
	enum op op;
	bool or_previous; /* ^OR: with the condition before */
	bool new_query;	  /* ^NQ: starts a query ORed with the ones before */
};

struct query {
	struct condition *conds;
	size_t n;
	char **order; /* field names, "-" prefixed for descending */
	size_t n_order;
};

static void
query_release(struct query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->conds[i].field);
		free(q->conds[i].value);
	}
	for (size_t i = 0; i < q->n_order; i++)
		free(q->order[i]);
	free(q->conds);
	free(q->order);
	memset(q, 0, sizeof(*q));
}

/* The operator at s (of len bytes), or -1. */
static int
op_at(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (len >= strlen(ops[i].text) && strncmp(s, ops[i].text, strlen(ops[i].text)) == 0)
			return (int)i;
	return -1;
}

/* One condition of text [s, s + len), on a field of the table's rows (sample, one of
 * them): a field name runs into its operator ("taskIN..."), so the instance reads the
 * longest field name that is followed by one. false: no such condition (dropped). */
static bool
parse_condition(const char *s, size_t len, const json_t *sample, struct condition *c)
{
	const char *key;
	json_t *v;
	size_t best = 0;
	int op;

	json_object_foreach((json_t *)(uintptr_t)sample, key, v)
	{
		size_t k = strlen(key);

		(void)v;
		if (k > best && k < len && strncmp(s, key, k) == 0 && op_at(s + k, len - k) >= 0)
			best = k;
	}
	if (best == 0)
		return false;
	op = op_at(s + best, len - best);
	c->field = xstrndup(s, best);
	c->value = xstrndup(s + best + strlen(ops[op].text), len - best - strlen(ops[op].text));
	c->op = ops[op].op;
	return true;
}

/* text's conditions on the fields of sample (a row; NULL: none) and its order. */
static void
parse_query(const char *text, const json_t *sample, struct query *q)
{
	const char *p = text ? text : "";

	memset(q, 0, sizeof(*q));
	while (*p) {
		struct condition c = { 0 };
		const char *end = strstr(p, "^");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		bool order = strncmp(p, "ORDERBY", 7) == 0;

		if (!order && strncmp(p, "OR", 2) == 0 && p != text) {
			c.or_previous = true;
			p += 2;
			len -= 2;
		} else if (!order && strncmp(p, "NQ", 2) == 0 && p != text) {
			c.new_query = true;
			p += 2;
			len -= 2;
		}
		if (order) {
			bool desc = strncmp(p, "ORDERBYDESC", 11) == 0;
			size_t skip = desc ? 11 : 7;

			q->order = xrealloc(q->order, (q->n_order + 1) * sizeof(*q->order));
			q->order[q->n_order++] =
				xasprintf("%s%.*s", desc ? "-" : "", (int)(len - skip), p + skip);
		} else if (sample && parse_condition(p, len, sample, &c)) {
			q->conds = xrealloc(q->conds, (q->n + 1) * sizeof(*q->conds));
			q->conds[q->n++] = c;
		}
		p += len;
		if (*p == '^')
			p++;
	}
}

static bool
integer_text(const char *s, long long *v)
{
	char *end;

	if (!*s)
		return false;
	*v = strtoll(s, &end, 10);
	return *end == '\0';
}

/* Numbers as numbers, the rest as text. */
static int
compare(const char *a, const char *b)
{
	long long x, y;

	if (integer_text(a, &x) && integer_text(b, &y))
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static bool
in_list(const char *value, const char *list)
{
	size_t len = strlen(value);

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, value, n) == 0)
			return true;
		p += n;
		p += *p == ',';
	}
	return false;
}

static bool
condition_true(const struct condition *c, const char *v)
{
	switch (c->op) {
	case OP_EQ:
		return compare(v, c->value) == 0;
	case OP_NE:
		return compare(v, c->value) != 0;
	case OP_GE:
		return compare(v, c->value) >= 0;
	case OP_LE:
		return compare(v, c->value) <= 0;
	case OP_GT:
		return compare(v, c->value) > 0;
	case OP_LT:
		return compare(v, c->value) < 0;
	case OP_IN:
		return in_list(v, c->value);
	case OP_NOT_IN:
		return !in_list(v, c->value);
	case OP_STARTSWITH:
		return strncmp(v, c->value, strlen(c->value)) == 0;
	case OP_ISEMPTY:
		return !*v;
	case OP_ISNOTEMPTY:
		return *v != '\0';
	}
	return false;
}

/* The text of a field of a row; a reference's sys_id. NULL: no such field. */
static const char *
row_value(const json_t *row, const char *field)
{
	const json_t *v = json_object_get(row, field);

	if (json_is_object(v))
		v = json_object_get(v, "value");
	return json_string_value(v);
}

/* Clauses (a condition and the ^OR ones after it) are ANDed into a query, queries
 * (^NQ) ORed; a query left without conditions matches everything. */
static bool
query_matches(const struct query *q, const json_t *row)
{
	bool result = false, query = true, clause = false, open = false;

	for (size_t i = 0; i < q->n; i++) {
		const struct condition *c = &q->conds[i];
		const char *v = row_value(row, c->field);

		if (!v)
			continue;
		if (open && (c->new_query || !c->or_previous)) {
			query = query && clause;
			open = false;
		}
		if (c->new_query) {
			result = result || query;
			query = true;
		}
		if (!open) {
			clause = false;
			open = true;
		}
		clause = clause || condition_true(c, v);
	}
	if (open)
		query = query && clause;
	return result || query;
}

/* ---- the answer ---- */

/* What cmp_rows sorts by: qsort has no context argument, and handlers run one at a
 * time under sim->lock. */
static const struct query *sort_query;

static int
cmp_rows(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	for (size_t i = 0; i < sort_query->n_order; i++) {
		const char *f = sort_query->order[i];
		bool desc = *f == '-';
		const char *u = row_value(x, f + desc), *v = row_value(y, f + desc);
		int c = compare(u ? u : "", v ? v : "");

		if (c)
			return desc ? -c : c;
	}
	return 0;
}

/* The row as the request wants it: the fields it names (every stored one without
 * a dot when it names none), references with their links unless excluded. */
static json_t *
shape_row(const struct sim *sim, enum table table, const json_t *row, const char *fields,
	  bool links)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;

	if (fields && *fields) {
		for (const char *p = fields; *p;) {
			size_t n = strcspn(p, ",");
			char *name = xstrndup(p, n);

			if ((v = json_object_get(row, name)))
				json_object_set(out, name, v);
			free(name);
			p += n;
			p += *p == ',';
		}
	} else {
		json_object_foreach((json_t *)(uintptr_t)row, key, v)
		{
			if (!strchr(key, '.'))
				json_object_set(out, key, v);
		}
	}
	for (size_t i = 0; links && i < ARRAY_SIZE(references); i++) {
		const char *id =
			references[i].table == table
				? json_string_value(json_object_get(out, references[i].field))
				: NULL;
		char *link;

		if (!id || !*id)
			continue;
		link = xasprintf("http://127.0.0.1:%u" PREFIX TABLE_PATH "%s/%s",
				 (unsigned int)sim->port, references[i].target, id);
		json_object_set_new(out, references[i].field,
				    json_pack("{s:s,s:s}", "link", link, "value", id));
		free(link);
	}
	return out;
}

static void
error_body(struct sim_response *resp, unsigned int status, const char *message, const char *detail)
{
	response_json(resp, status,
		      json_pack("{s:{s:s,s:s?},s:s}", "error", "message", message, "detail", detail,
				"status", "failure"));
}

/* The request's URL with sysparm_offset set to offset (new). */
static char *
page_url(const struct sim *sim, const struct sim_request *req, long offset, long limit)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "http://127.0.0.1:%u%s?sysparm_offset=%ld&sysparm_limit=%ld",
		   (unsigned int)sim->port, req->path, offset, limit);
	for (size_t i = 0; i < req->params.n; i++) {
		const struct param *p = &req->params.items[i];

		if (streq(p->key, "sysparm_offset") || streq(p->key, "sysparm_limit"))
			continue;
		buf_addch(&b, '&');
		wire_urlencode(&b, p->key);
		buf_addch(&b, '=');
		wire_urlencode(&b, p->value);
	}
	return buf_detach(&b);
}

static void
add_links(const struct sim *sim, const struct sim_request *req, long offset, long limit, long total,
	  struct sim_response *resp)
{
	long last = total > 0 ? (total - 1) / limit * limit : 0;
	struct buf b;
	char *url, text[24];

	buf_init(&b, 0);
	url = page_url(sim, req, 0, limit);
	buf_printf(&b, "<%s>;rel=\"first\"", url);
	free(url);
	if (offset > 0) {
		url = page_url(sim, req, offset > limit ? offset - limit : 0, limit);
		buf_printf(&b, ",<%s>;rel=\"prev\"", url);
		free(url);
	}
	if (offset + limit < total || req->stuck_cursor) {
		url = page_url(sim, req, req->stuck_cursor ? offset : offset + limit, limit);
		buf_printf(&b, ",<%s>;rel=\"next\"", url);
		free(url);
	}
	url = page_url(sim, req, last, limit);
	buf_printf(&b, ",<%s>;rel=\"last\"", url);
	free(url);
	response_header(resp, "Link", b.data);
	buf_release(&b);
	snprintf(text, sizeof(text), "%ld", total);
	response_header(resp, "X-Total-Count", text);
}

static bool
long_param(const struct sim_request *req, const char *key, long fallback, long *out)
{
	const char *text = params_get(&req->params, key);
	char *end;

	*out = fallback;
	if (!text)
		return true;
	*out = strtol(text, &end, 10);
	return *text && !*end && *out >= 0;
}

static void
list_table(struct sim *sim, const struct sim_request *req, enum table table,
	   struct sim_response *resp)
{
	const char *fields = params_get(&req->params, "sysparm_fields");
	const char *exclude = params_get(&req->params, "sysparm_exclude_reference_link");
	bool links = !exclude || !streq(exclude, "true");
	json_t *all = table_rows(&sim->world, table, now_s(sim)), *kept = json_array(), *result;
	json_t **rows, *row;
	struct query q;
	long limit, offset, total;
	size_t i, n;

	if (!long_param(req, "sysparm_limit", DEFAULT_LIMIT, &limit) || limit == 0 ||
	    !long_param(req, "sysparm_offset", 0, &offset)) {
		error_body(resp, 400, "Invalid parameter", "sysparm_limit or sysparm_offset");
		goto out;
	}
	parse_query(req->stuck_cursor ? NULL : params_get(&req->params, "sysparm_query"),
		    json_array_get(all, 0), &q);
	json_array_foreach(all, i, row)
	{
		if (query_matches(&q, row))
			json_array_append(kept, row);
	}
	n = json_array_size(kept);
	rows = xcalloc(n + 1, sizeof(*rows));
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(kept, i);
	sort_query = &q;
	if (q.n_order && n > 1)
		qsort(rows, n, sizeof(*rows), cmp_rows);
	result = json_array();
	total = (long)n;
	for (long k = offset; k < total && k < offset + limit; k++)
		json_array_append_new(result, shape_row(sim, table, rows[k], fields, links));
	response_json(resp, 200, json_pack("{s:o}", "result", result));
	add_links(sim, req, offset, limit, total, resp);
	free(rows);
	query_release(&q);
out:
	json_decref(all);
	json_decref(kept);
}

static void
get_record(struct sim *sim, const struct sim_request *req, enum table table, const char *id,
	   struct sim_response *resp)
{
	const char *fields = params_get(&req->params, "sysparm_fields");
	const char *exclude = params_get(&req->params, "sysparm_exclude_reference_link");
	json_t *all = table_rows(&sim->world, table, now_s(sim)), *row;
	size_t i;

	json_array_foreach(all, i, row)
	{
		if (streq(row_value(row, "sys_id"), id)) {
			response_json(resp, 200,
				      json_pack("{s:o}", "result",
						shape_row(sim, table, row, fields,
							  !exclude || !streq(exclude, "true"))));
			json_decref(all);
			return;
		}
	}
	json_decref(all);
	error_body(resp, 404, "No Record found",
		   "Record doesn't exist or ACL restricts the record retrieval");
}

void
servicenow_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route;
	char name[64];
	size_t n;

	if (strncmp(r, TABLE_PATH, strlen(TABLE_PATH)) != 0) {
		error_body(resp, 400, "Requested URI does not represent any resource", NULL);
		return;
	}
	r += strlen(TABLE_PATH);
	n = strcspn(r, "/");
	if (n == 0 || n >= sizeof(name)) {
		error_body(resp, 400, "Requested URI does not represent any resource", NULL);
		return;
	}
	memcpy(name, r, n);
	name[n] = '\0';
	r += n;
	if (!streq(req->method, "GET")) {
		error_body(resp, 405, "Method not Supported",
			   "This sitrep-sim instance serves GET only");
		return;
	}
	for (size_t t = 0; t < ARRAY_SIZE(table_names); t++) {
		if (!streq(name, table_names[t]))
			continue;
		if (!*r)
			list_table(sim, req, (enum table)t, resp);
		else if (r[0] == '/' && r[1] && !strchr(r + 1, '/'))
			get_record(sim, req, (enum table)t, r + 1, resp);
		else
			error_body(resp, 400, "Requested URI does not represent any resource",
				   NULL);
		return;
	}
	error_body(resp, 400, "Invalid table", name);
}

void
servicenow_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[64];

	switch (status) {
	case 401:
		error_body(resp, status, "User Not Authenticated",
			   "Required to provide Auth information");
		break;
	case 403:
		error_body(resp, status, "User Not Authorized", "ACL restricts the table");
		break;
	case 404:
		error_body(resp, status, "No Record found",
			   "Record doesn't exist or ACL restricts the record retrieval");
		break;
	case 429:
		error_body(resp, status, "Rate limit exceeded",
			   "Rate limit of 1000 requests per hour for Table API exceeded");
		snprintf(text, sizeof(text), "%d", RATE_LIMIT_PER_HOUR);
		response_header(resp, "X-RateLimit-Limit", text);
		/* Windows are real hours, not simulated ones. */
		snprintf(text, sizeof(text), "%lld", (long long)(time(NULL) / HOUR + 1) * HOUR);
		response_header(resp, "X-RateLimit-Reset", text);
		response_header(resp, "X-RateLimit-Rule", "b6d9d7a5c0a8016400b0a1b2c3d4e5f6");
		break;
	case 500:
		error_body(resp, status, "Server error", "An internal error occurred");
		break;
	case 502:
	case 503:
	case 504:
		/* The load balancer in front answers these, in HTML. */
		snprintf(text, sizeof(text), "<html><body><h1>%u</h1></body></html>\n", status);
		response_text(resp, status, text);
		resp->content_type = "text/html";
		break;
	default:
		snprintf(text, sizeof(text), "sitrep-sim: injected status %u", status);
		error_body(resp, status, text, NULL);
		break;
	}
}

/* Basic with the token as the password (any user), or Bearer token. */
bool
servicenow_auth_ok(const char *authorization, const char *token)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char decoded[512], *colon;
	size_t n = 0;
	unsigned bits = 0, acc = 0;

	if (!authorization)
		return false;
	if (strncasecmp(authorization, "Bearer ", 7) == 0)
		return streq(authorization + 7, token);
	if (strncasecmp(authorization, "Basic ", 6) != 0)
		return false;
	for (const char *p = authorization + 6; *p && *p != '='; p++) {
		const char *d = strchr(digits, *p);

		if (!d || !*d || n + 1 >= sizeof(decoded))
			return false;
		acc = (acc << 6) | (unsigned)(d - digits);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			decoded[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	decoded[n] = '\0';
	colon = memchr(decoded, ':', n);
	return colon && streq(colon + 1, token);
}
