/* tickets.c - the scenario's tickets: ServiceNow incidents (what the alert integration
 * or a caller opened, with work notes and task_sla records) and Zendesk tickets (what
 * customers wrote in, with comments, ticket metrics and SLA policy metrics). The
 * ServiceNow and Zendesk dialects read them; world_json() publishes them as ground
 * truth. Nothing here changes after loading: what a ticket shows at an instant is
 * computed from its whole life and the clock.
 *
 * Scenario format ("tickets" at the top level; instants as for incidents):
 *
 *   {"system": "servicenow", "id": "INC0010231", "incident": "SIM-101"}
 *   {"system": "zendesk", "id": 4801, "incident": "SIM-103", "requester": "ops@shop.example",
 *    "opened": "-3d20h31m", "holds": [["-3d19h", "-3d18h40m"]],
 *    "reopens": [["-3d16h", "-3d15h20m"]], "notes": [["-3d20h10m", "Escalated to payments"]]}
 *
 *   system and id are required: "INC" and 7 digits for ServiceNow, a positive number
 *   for Zendesk, unique within the system. incident ties the ticket to an incident
 *   and, unless "correlated": false, names it (ServiceNow correlation_id, the Zendesk
 *   "Alert ID" field); with false only the service and the times tie them, and the
 *   loader checks that the ticket's life overlaps the incident's. Without an
 *   incident it is a customer report: service, opened and resolved are required.
 *   title (short_description, subject) defaults to the incident's, description to
 *   the incident's (ServiceNow) or the title (Zendesk: the customer's first comment);
 *   requester (the caller) to "alertmanager" for ServiceNow and is required for
 *   Zendesk; priority is 1-4 (ServiceNow) or urgent, high, normal, low (Zendesk),
 *   by default from the incident (critical outage 1, critical 2, warning 3, else 4);
 *   group defaults to the service's team (ServiceNow) or "Support"; assignee to
 *   whoever acknowledged the incident, else the service's on-call, else "support".
 *   opened, responded (ServiceNow: In Progress; Zendesk: the first public reply),
 *   resolved and closed default from the incident: ServiceNow opens a minute after
 *   the alert fires, is in progress at its acknowledgement (else 10 minutes after
 *   opening), resolves 5 minutes after the alert and closes 7 days later; Zendesk
 *   opens 5 minutes after the alert fires, replies 15 minutes later, solves 20
 *   minutes after the alert resolves and closes 4 days later. null means never.
 *   holds are [from, to] spans awaiting the customer (On Hold; Zendesk pending)
 *   inside a period of work; reopens are [reopened, resolved again] pairs after a
 *   resolution (the last may resolve null); notes are [at, text] or [at, author,
 *   text] work notes (Zendesk: internal comments).
 *
 * Generated from that: the state changes, the customer-visible comments of a Zendesk
 * ticket (the request, the first reply, questions and answers around holds, each
 * solve, each reopen), ServiceNow work notes at the same moments, and SLA instances
 * from the tables below: a response and a resolution SLA per ServiceNow incident, a
 * first reply and a requester wait SLA per Zendesk ticket, a new resolution (wait)
 * instance per reopen, paused during holds. Business hours are Mon-Fri 09:00-17:00
 * UTC, sitrep's default calendar. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <ctype.h>

#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define BUSINESS_START (9 * HOUR)
#define BUSINESS_END (17 * HOUR)
#define FOREVER INT64_MAX

static const struct sla_definition servicenow_slas[] = {
	{ "P1 response (15 minutes)", TICKET_SERVICENOW, SLA_RESPONSE, 1, 15 * MINUTE, false },
	{ "P2 response (30 minutes)", TICKET_SERVICENOW, SLA_RESPONSE, 2, 30 * MINUTE, false },
	{ "P3 response (4 business hours)", TICKET_SERVICENOW, SLA_RESPONSE, 3, 4 * HOUR, true },
	{ "P4 response (1 business day)", TICKET_SERVICENOW, SLA_RESPONSE, 4, 8 * HOUR, true },
	{ "P1 resolution (2 hours)", TICKET_SERVICENOW, SLA_RESOLUTION, 1, 2 * HOUR, false },
	{ "P2 resolution (8 hours)", TICKET_SERVICENOW, SLA_RESOLUTION, 2, 8 * HOUR, false },
	{ "P3 resolution (3 business days)", TICKET_SERVICENOW, SLA_RESOLUTION, 3, 24 * HOUR,
	  true },
	{ "P4 resolution (5 business days)", TICKET_SERVICENOW, SLA_RESOLUTION, 4, 40 * HOUR,
	  true },
};

/* One Zendesk SLA policy ("Incident tickets") with two metrics per priority. */
static const struct sla_definition zendesk_slas[] = {
	{ "Urgent first reply (30 minutes)", TICKET_ZENDESK, SLA_FIRST_REPLY, 1, 30 * MINUTE,
	  false },
	{ "High first reply (1 hour)", TICKET_ZENDESK, SLA_FIRST_REPLY, 2, HOUR, false },
	{ "Normal first reply (4 business hours)", TICKET_ZENDESK, SLA_FIRST_REPLY, 3, 4 * HOUR,
	  true },
	{ "Low first reply (1 business day)", TICKET_ZENDESK, SLA_FIRST_REPLY, 4, 8 * HOUR, true },
	{ "Urgent requester wait (4 hours)", TICKET_ZENDESK, SLA_REQUESTER_WAIT, 1, 4 * HOUR,
	  false },
	{ "High requester wait (8 hours)", TICKET_ZENDESK, SLA_REQUESTER_WAIT, 2, 8 * HOUR, false },
	{ "Normal requester wait (2 business days)", TICKET_ZENDESK, SLA_REQUESTER_WAIT, 3,
	  16 * HOUR, true },
	{ "Low requester wait (5 business days)", TICKET_ZENDESK, SLA_REQUESTER_WAIT, 4, 40 * HOUR,
	  true },
};

static const char *const system_names[] = { "servicenow", "zendesk" };
static const char *const servicenow_states[] = { "New", "In Progress", "On Hold", "Resolved",
						 "Closed" };
static const char *const zendesk_states[] = { "new", "open", "pending", "solved", "closed" };
static const int servicenow_codes[] = { 1, 2, 3, 6, 7 };
static const char *const zendesk_priorities[] = { "urgent", "high", "normal", "low" };
static const char *const metric_names[] = { "response", "resolution", "first_reply_time",
					    "requester_wait_time" };

const char *
ticket_system_name(enum ticket_system s)
{
	return system_names[s];
}

const char *
ticket_state_name(enum ticket_system s, enum ticket_state st)
{
	return s == TICKET_SERVICENOW ? servicenow_states[st] : zendesk_states[st];
}

int
servicenow_state_code(enum ticket_state st)
{
	return servicenow_codes[st];
}

const char *
zendesk_priority_name(int priority)
{
	return zendesk_priorities[priority < 1 ? 0 : priority > 4 ? 3 : priority - 1];
}

const char *
sla_metric_name(enum sla_metric m)
{
	return metric_names[m];
}

const struct sla_definition *
sla_definitions(enum ticket_system s, size_t *n)
{
	if (s == TICKET_SERVICENOW) {
		*n = ARRAY_SIZE(servicenow_slas);
		return servicenow_slas;
	}
	*n = ARRAY_SIZE(zendesk_slas);
	return zendesk_slas;
}

static const struct sla_definition *
sla_definition(enum ticket_system s, enum sla_metric m, int priority)
{
	size_t n;
	const struct sla_definition *defs = sla_definitions(s, &n);

	for (size_t i = 0; i < n; i++)
		if (defs[i].metric == m && defs[i].priority == priority)
			return &defs[i];
	return NULL;
}

/* ---- the business calendar ---------------------------------------------------------- */

static bool
is_weekday(int64_t day)
{
	int wd = (int)(((day + 4) % 7 + 7) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */

	return wd >= 1 && wd <= 5;
}

int64_t
business_seconds(int64_t from, int64_t to)
{
	int64_t total = 0;

	if (to <= from)
		return 0;
	for (int64_t day = floor_div(from, DAY); day * DAY < to; day++) {
		int64_t a = day * DAY + BUSINESS_START, b = day * DAY + BUSINESS_END;

		if (!is_weekday(day))
			continue;
		a = a > from ? a : from;
		b = b < to ? b : to;
		if (b > a)
			total += b - a;
	}
	return total;
}

/* The instant at which secs business seconds have passed since from. */
static int64_t
business_advance(int64_t from, int64_t secs)
{
	if (secs <= 0)
		return from;
	for (int64_t day = floor_div(from, DAY);; day++) {
		int64_t a = day * DAY + BUSINESS_START, b = day * DAY + BUSINESS_END;

		if (!is_weekday(day))
			continue;
		a = a > from ? a : from;
		if (b <= a)
			continue;
		if (b - a >= secs)
			return a + secs;
		secs -= b - a;
	}
}

static int64_t
schedule_seconds(bool business, int64_t from, int64_t to)
{
	if (to <= from)
		return 0;
	return business ? business_seconds(from, to) : to - from;
}

/* ---- SLA clocks --------------------------------------------------------------------- */

/* Schedule time and calendar pause time of s in [start, t). */
static void
sla_clock(const struct sla_instance *s, bool business, int64_t t, int64_t *elapsed, int64_t *paused)
{
	int64_t end = s->stop != TIME_NONE && s->stop < t ? s->stop : t;

	*elapsed = schedule_seconds(business, s->start, end);
	*paused = 0;
	for (size_t i = 0; i < s->n_pauses; i++) {
		int64_t a = s->pauses[i].start, b = s->pauses[i].end < end ? s->pauses[i].end : end;

		if (b <= a)
			continue;
		*elapsed -= schedule_seconds(business, a, b);
		*paused += b - a;
	}
}

/* When the clock of s reaches target if nothing else pauses it beyond pauses[0, n). */
static int64_t
sla_reach(const struct sla_instance *s, size_t n, int64_t target)
{
	bool business = s->def->business;
	int64_t from = s->start, acc = 0;

	for (size_t i = 0; i <= n; i++) {
		int64_t to = i < n ? s->pauses[i].start : FOREVER;
		int64_t have = to == FOREVER ? FOREVER : schedule_seconds(business, from, to);

		if (have == FOREVER || acc + have >= target)
			return business ? business_advance(from, target - acc)
					: from + (target - acc);
		acc += have;
		from = s->pauses[i].end;
	}
	return FOREVER; /* not reached: the loop returns on its last segment */
}

void
sla_state_at(const struct sla_instance *s, int64_t now_ms, struct sla_state *state)
{
	int64_t now = floor_div(now_ms, 1000), target = s->def->target, own;
	size_t n = 0;

	memset(state, 0, sizeof(*state));
	state->planned_end = TIME_NONE;
	if (now < s->start) {
		state->stage = SLA_NOT_STARTED;
		return;
	}
	sla_clock(s, false, now, &state->elapsed, &state->paused);
	state->business_elapsed = state->elapsed;
	if (s->def->business)
		sla_clock(s, true, now, &state->business_elapsed, &state->paused);
	own = s->def->business ? state->business_elapsed : state->elapsed;
	state->breached = own > target;
	state->left = target - own;
	state->percentage = 100.0 * (double)own / (double)target;
	if (s->stop != TIME_NONE && now >= s->stop) {
		state->stage = SLA_COMPLETED;
	} else {
		state->stage = SLA_IN_PROGRESS;
		for (size_t i = 0; i < s->n_pauses; i++)
			if (now >= s->pauses[i].start && now < s->pauses[i].end)
				state->stage = SLA_PAUSED;
	}
	/* Pauses begun by now count; later ones are not known yet. */
	while (n < s->n_pauses && s->pauses[n].start <= now)
		n++;
	state->planned_end = sla_reach(s, n, target);
}

static void
sla_finish(struct sla_instance *s)
{
	int64_t elapsed, paused;
	int64_t reach = sla_reach(s, s->n_pauses, s->def->target);

	if (s->stop == TIME_NONE) {
		s->breach = reach;
		return;
	}
	sla_clock(s, s->def->business, s->stop, &elapsed, &paused);
	s->breach = elapsed > s->def->target ? reach : TIME_NONE;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Who answers for service s when nobody acknowledged: its first on-call. */
static const char *
oncall(const struct world *w, size_t s)
{
	for (size_t i = 0; i < w->n_incidents; i++)
		if (w->incidents[i].service == s && w->incidents[i].acked_by)
			return w->incidents[i].acked_by;
	return "support";
}

static int
incident_priority(const struct incident *in)
{
	switch (in->severity) {
	case SEVERITY_CRITICAL:
		return in->symptom == SYMPTOM_OUTAGE ? 1 : 2;
	case SEVERITY_WARNING:
		return 3;
	case SEVERITY_INFO:
		break;
	}
	return 4;
}

/* An instant with a default: absent means fallback, null means never. */
static enum status_code
instant_or(struct world *w, json_t *obj, const char *key, int64_t fallback, int64_t *out,
	   const char *where)
{
	if (!json_object_get(obj, key)) {
		*out = fallback;
		return SUCCESS;
	}
	return scn_instant(obj, key, w->origin, out, where);
}

static int64_t
plus(int64_t t, int64_t secs)
{
	return t == TIME_NONE ? TIME_NONE : t + secs;
}

static enum status_code
load_id(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	json_t *id = json_object_get(obj, "id");
	const char *text = json_string_value(id);

	if (t->system == TICKET_SERVICENOW) {
		bool ok = text && strlen(text) == 10 && strncmp(text, "INC", 3) == 0;

		for (size_t i = 3; ok && i < 10; i++)
			ok = isdigit((unsigned char)text[i]);
		if (!ok)
			return error("%s: \"id\" must be \"INC\" and 7 digits", where);
		t->id = xstrdup(text);
		t->number = strtoull(text + 3, NULL, 10);
	} else {
		if (!json_is_integer(id) || json_integer_value(id) < 1)
			return error("%s: \"id\" must be a positive number", where);
		t->number = (uint64_t)json_integer_value(id);
		t->id = xasprintf("%llu", (unsigned long long)t->number);
	}
	if (world_ticket(w, t->system, t->id) != (long)(t - w->tickets))
		return error("%s: %s ticket %s twice", where, system_names[t->system], t->id);
	return SUCCESS;
}

/* The incident, the service and the default texts, people and priority. */
static enum status_code
load_subject(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	char *incident = NULL, *service = NULL;
	const struct incident *in = NULL;
	json_t *prio = json_object_get(obj, "priority");
	enum status_code rc;
	long s;

	t->incident = -1;
	if ((rc = scn_string(obj, "incident", false, &incident, where)) ||
	    (rc = scn_string(obj, "service", false, &service, where)) ||
	    (rc = scn_string(obj, "title", false, &t->title, where)) ||
	    (rc = scn_string(obj, "description", false, &t->description, where)) ||
	    (rc = scn_string(obj, "requester", false, &t->requester, where)) ||
	    (rc = scn_string(obj, "group", false, &t->group, where)) ||
	    (rc = scn_string(obj, "assignee", false, &t->assignee, where)))
		goto out;
	if (incident && (t->incident = world_incident(w, incident)) < 0) {
		rc = error("%s: no incident \"%s\"", where, incident);
		goto out;
	}
	in = t->incident >= 0 ? &w->incidents[t->incident] : NULL;
	s = service ? world_service(w, service) : in ? (long)in->service : -1;
	if (s < 0) {
		rc = service ? error("%s: unknown service \"%s\"", where, service)
			     : error("%s: \"service\" is required without an incident", where);
		goto out;
	}
	if (in && (size_t)s != in->service) {
		rc = error("%s: %s happened to %s, not %s", where, in->id,
			   w->services[in->service].name, service);
		goto out;
	}
	t->service = (size_t)s;
	if (!t->title && !in) {
		rc = error("%s: \"title\" is required without an incident", where);
		goto out;
	}
	if (!t->title)
		t->title = xstrdup(in->title);
	/* A customer writes in their own words; an alert integration copies the alert. */
	if (!t->description)
		t->description = xstrdup(in && in->description && t->system == TICKET_SERVICENOW
						 ? in->description
						 : t->title);
	if (!t->requester && t->system == TICKET_ZENDESK) {
		rc = error("%s: a Zendesk ticket needs its \"requester\"", where);
		goto out;
	}
	if (!t->requester)
		t->requester = xstrdup("alertmanager");
	if (!t->group)
		t->group =
			xstrdup(t->system == TICKET_SERVICENOW ? w->services[s].team : "Support");
	if (!t->assignee)
		t->assignee = xstrdup(in && in->acked_by	       ? in->acked_by
				      : t->system == TICKET_SERVICENOW ? oncall(w, t->service)
								       : "support");
	t->priority = in ? incident_priority(in) : t->system == TICKET_SERVICENOW ? 4 : 3;
	if (prio && t->system == TICKET_SERVICENOW) {
		if (!json_is_integer(prio) || json_integer_value(prio) < 1 ||
		    json_integer_value(prio) > 4) {
			rc = error("%s: \"priority\" must be 1 to 4", where);
			goto out;
		}
		t->priority = (int)json_integer_value(prio);
	} else if (prio) {
		int p = scn_name_index(zendesk_priorities, ARRAY_SIZE(zendesk_priorities),
				       json_string_value(prio) ? json_string_value(prio) : "");

		if (p < 0) {
			rc = error("%s: \"priority\" must be urgent, high, normal or low", where);
			goto out;
		}
		t->priority = p + 1;
	}
out:
	free(incident);
	free(service);
	return rc;
}

/* [[from, to], ...] of instants, neither null. */
static enum status_code
load_pairs(struct world *w, json_t *obj, const char *key, bool last_open, struct span **out,
	   size_t *n, const char *where)
{
	json_t *arr, *pair;
	enum status_code rc;
	size_t i;

	if ((rc = scn_array(obj, key, &arr, where)) || !arr || json_array_size(arr) == 0)
		return rc;
	*out = xcalloc(json_array_size(arr), sizeof(**out));
	json_array_foreach(arr, i, pair)
	{
		json_t *tmp = json_object();
		char inner[128];
		int64_t a, b;

		snprintf(inner, sizeof(inner), "%s: %s[%zu]", where, key, i);
		if (!json_is_array(pair) || json_array_size(pair) != 2) {
			json_decref(tmp);
			return error("%s: expected [from, to]", inner);
		}
		json_object_set(tmp, "from", json_array_get(pair, 0));
		json_object_set(tmp, "to", json_array_get(pair, 1));
		rc = scn_instant(tmp, "from", w->origin, &a, inner);
		if (!rc)
			rc = scn_instant(tmp, "to", w->origin, &b, inner);
		json_decref(tmp);
		if (rc)
			return rc;
		if (a == TIME_NONE ||
		    (b == TIME_NONE && !(last_open && i + 1 == json_array_size(arr))))
			return error("%s: both instants are required", inner);
		if (b != TIME_NONE && b <= a)
			return error("%s: ends before it begins", inner);
		(*out)[(*n)++] = (struct span){ a, b };
	}
	return SUCCESS;
}

/* The ticket's instants, defaults first, then the order they must come in. */
static enum status_code
load_times(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	const struct incident *in = t->incident >= 0 ? &w->incidents[t->incident] : NULL;
	bool sn = t->system == TICKET_SERVICENOW;
	int64_t opened = TIME_NONE, responded, resolved, closed, last;
	struct span *reopens = NULL;
	size_t n_reopens = 0;
	enum status_code rc;

	if (in)
		opened = in->fire + (sn ? MINUTE : 5 * MINUTE);
	if ((rc = instant_or(w, obj, "opened", opened, &t->opened, where)))
		return rc;
	if (t->opened == TIME_NONE)
		return error("%s: \"opened\" is required without an incident", where);
	responded = sn && in && in->ack != TIME_NONE && in->ack >= t->opened ? in->ack
		    : sn ? t->opened + 10 * MINUTE
			 : t->opened + 15 * MINUTE;
	resolved = in ? plus(in->resolve, sn ? 5 * MINUTE : 20 * MINUTE) : TIME_NONE;
	if (!in && !json_object_get(obj, "resolved"))
		return error("%s: \"resolved\" is required without an incident (null: open)",
			     where);
	if ((rc = instant_or(w, obj, "responded", responded, &t->responded, where)) ||
	    (rc = instant_or(w, obj, "resolved", resolved, &resolved, where)) ||
	    (rc = load_pairs(w, obj, "reopens", true, &reopens, &n_reopens, where)) ||
	    (rc = load_pairs(w, obj, "holds", false, &t->holds, &t->n_holds, where)))
		goto out;
	if (t->responded != TIME_NONE && t->responded < t->opened) {
		rc = error("%s: responded before it was opened", where);
		goto out;
	}
	if (resolved != TIME_NONE && (t->responded == TIME_NONE || resolved < t->responded)) {
		rc = error("%s: resolved before anyone responded", where);
		goto out;
	}
	if (n_reopens && resolved == TIME_NONE) {
		rc = error("%s: reopened, but never resolved", where);
		goto out;
	}
	t->resolved = xcalloc(n_reopens + 1, sizeof(*t->resolved));
	t->reopened = xcalloc(n_reopens + 1, sizeof(*t->reopened));
	if (resolved != TIME_NONE)
		t->resolved[t->n_resolved++] = resolved;
	last = resolved;
	for (size_t i = 0; i < n_reopens; i++) {
		if (reopens[i].start <= last) {
			rc = error("%s: reopens[%zu]: reopened before it was resolved", where, i);
			goto out;
		}
		t->reopened[t->n_reopens++] = reopens[i].start;
		if (reopens[i].end != TIME_NONE)
			t->resolved[t->n_resolved++] = reopens[i].end;
		last = reopens[i].end;
	}
	closed = last == TIME_NONE ? TIME_NONE : last + (sn ? 7 : 4) * DAY;
	if ((rc = instant_or(w, obj, "closed", closed, &t->closed, where)))
		goto out;
	if (t->closed != TIME_NONE && (last == TIME_NONE || t->closed < last))
		rc = error("%s: closed before it was resolved", where);
out:
	free(reopens);
	return rc;
}

/* The end of the working period that contains t, or TIME_NONE when t is in none:
 * periods run from responded (or a reopen) to the next resolution. */
static int64_t
period_end(const struct ticket *t, int64_t at)
{
	for (size_t k = 0; k <= t->n_reopens; k++) {
		int64_t from = k == 0 ? t->responded : t->reopened[k - 1];
		int64_t to = k < t->n_resolved ? t->resolved[k] : FOREVER;

		if (from != TIME_NONE && at >= from && at < to)
			return to;
	}
	return TIME_NONE;
}

static enum status_code
check_holds(const struct ticket *t, const char *where)
{
	for (size_t i = 0; i < t->n_holds; i++) {
		int64_t end = period_end(t, t->holds[i].start);

		if (end == TIME_NONE || t->holds[i].end > end)
			return error("%s: holds[%zu]: not within a period of work (responded or "
				     "reopened, to resolved)",
				     where, i);
		if (i > 0 && t->holds[i].start < t->holds[i - 1].end)
			return error("%s: holds[%zu]: overlaps the hold before it", where, i);
	}
	return SUCCESS;
}

/* A ticket tied by service and time only must overlap its incident. */
static enum status_code
load_link(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	json_t *v = json_object_get(obj, "correlated");
	const struct incident *in;
	int64_t end;

	t->correlated = t->incident >= 0;
	if (!v)
		return SUCCESS;
	if (!json_is_boolean(v))
		return error("%s: \"correlated\" must be true or false", where);
	if (t->incident < 0)
		return error("%s: \"correlated\" needs an \"incident\"", where);
	t->correlated = json_is_true(v);
	in = &w->incidents[t->incident];
	end = t->n_resolved > t->n_reopens ? t->resolved[t->n_resolved - 1] : FOREVER;
	if (!t->correlated &&
	    (t->opened >= (in->resolve == TIME_NONE ? FOREVER : in->resolve) || end <= in->impact))
		return error("%s: it does not overlap %s, its only tie to it", where, in->id);
	return SUCCESS;
}

static void
add_change(struct ticket *t, int64_t at, enum ticket_state st)
{
	t->changes = xrealloc(t->changes, (t->n_changes + 1) * sizeof(*t->changes));
	t->changes[t->n_changes++] = (struct ticket_change){ at, st };
}

static void
add_note(struct ticket *t, int64_t at, const char *author, const char *text, bool public)
{
	t->notes = xrealloc(t->notes, (t->n_notes + 1) * sizeof(*t->notes));
	t->notes[t->n_notes++] = (struct ticket_note){ at, xstrdup(author), xstrdup(text), public };
}

/* Insertion sorts: stable, and these lists are short. */
static void
sort_changes(struct ticket *t)
{
	for (size_t i = 1; i < t->n_changes; i++)
		for (size_t j = i; j > 0 && t->changes[j - 1].at > t->changes[j].at; j--) {
			struct ticket_change tmp = t->changes[j];

			t->changes[j] = t->changes[j - 1];
			t->changes[j - 1] = tmp;
		}
}

static void
sort_notes(struct ticket *t)
{
	for (size_t i = 1; i < t->n_notes; i++)
		for (size_t j = i; j > 0 && t->notes[j - 1].at > t->notes[j].at; j--) {
			struct ticket_note tmp = t->notes[j];

			t->notes[j] = t->notes[j - 1];
			t->notes[j - 1] = tmp;
		}
}

/* The life cycle, and what people wrote along it. */
static void
derive_history(struct ticket *t)
{
	bool zd = t->system == TICKET_ZENDESK;
	const char *who = t->assignee;

	add_change(t, t->opened, TICKET_NEW);
	if (zd)
		add_note(t, t->opened, t->requester, t->description, true);
	if (t->responded != TIME_NONE) {
		add_change(t, t->responded, TICKET_OPEN);
		add_note(t, t->responded, who,
			 zd ? "Thanks for reporting this. We are looking into it now."
			    : "Acknowledged; investigating.",
			 zd);
	}
	for (size_t i = 0; i < t->n_holds; i++) {
		add_change(t, t->holds[i].start, TICKET_PENDING);
		add_change(t, t->holds[i].end, TICKET_OPEN);
		add_note(t, t->holds[i].start, who,
			 zd ? "Could you send us an example order id and when you saw it?"
			    : "On hold: awaiting the caller's details.",
			 zd);
		if (zd)
			add_note(t, t->holds[i].end, t->requester,
				 "Here is an example: order 10-4471, a few minutes ago.", true);
	}
	for (size_t i = 0; i < t->n_resolved; i++) {
		add_change(t, t->resolved[i], TICKET_SOLVED);
		add_note(t, t->resolved[i], who,
			 zd ? "This is fixed now; sorry for the trouble. Reply here if you still "
			      "see it."
			    : "Resolved: service restored.",
			 zd);
	}
	for (size_t i = 0; i < t->n_reopens; i++) {
		add_change(t, t->reopened[i], TICKET_OPEN);
		add_note(t, t->reopened[i], zd ? t->requester : who,
			 zd ? "It is happening again." : "Reopened: the problem is back.", zd);
	}
	if (t->closed != TIME_NONE)
		add_change(t, t->closed, TICKET_CLOSED);
	sort_changes(t);
}

/* [at, text] or [at, author, text]: work notes, Zendesk internal comments. */
static enum status_code
load_notes(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	json_t *arr, *note;
	enum status_code rc;
	size_t i;

	if ((rc = scn_array(obj, "notes", &arr, where)) || !arr)
		return rc;
	json_array_foreach(arr, i, note)
	{
		size_t n = json_array_size(note);
		json_t *tmp = json_object();
		const char *author =
			n == 3 ? json_string_value(json_array_get(note, 1)) : t->assignee;
		const char *text = json_string_value(json_array_get(note, n - 1));
		char inner[128];
		int64_t at;

		snprintf(inner, sizeof(inner), "%s: notes[%zu]", where, i);
		if (!json_is_array(note) || (n != 2 && n != 3) || !author || !text) {
			json_decref(tmp);
			return error("%s: expected [at, text] or [at, author, text]", inner);
		}
		json_object_set(tmp, "at", json_array_get(note, 0));
		rc = scn_instant(tmp, "at", w->origin, &at, inner);
		json_decref(tmp);
		if (rc)
			return rc;
		if (at == TIME_NONE || at < t->opened)
			return error("%s: written before the ticket was opened", inner);
		add_note(t, at, author, text, false);
	}
	return SUCCESS;
}

static struct sla_instance *
add_sla(struct world *w, struct ticket *t, enum sla_metric m, int64_t start, int64_t stop,
	bool pausable)
{
	struct sla_instance *s;
	char *key;

	t->slas = xrealloc(t->slas, (t->n_slas + 1) * sizeof(*t->slas));
	s = &t->slas[t->n_slas];
	memset(s, 0, sizeof(*s));
	s->def = sla_definition(t->system, m, t->priority);
	s->start = start;
	s->stop = stop;
	key = xasprintf("task_sla %s %zu", t->id, t->n_slas++);
	wire_hex_id(w->seed, key, s->sys_id, 32);
	free(key);
	for (size_t i = 0; pausable && i < t->n_holds; i++) {
		if (t->holds[i].start < start || (stop != TIME_NONE && t->holds[i].start >= stop))
			continue;
		s->pauses = xrealloc(s->pauses, (s->n_pauses + 1) * sizeof(*s->pauses));
		s->pauses[s->n_pauses++] = t->holds[i];
	}
	sla_finish(s);
	return s;
}

/* A response SLA, and a resolution SLA for each period of work. */
static void
derive_slas(struct world *w, struct ticket *t)
{
	bool sn = t->system == TICKET_SERVICENOW;

	add_sla(w, t, sn ? SLA_RESPONSE : SLA_FIRST_REPLY, t->opened, t->responded, false);
	for (size_t k = 0; k <= t->n_reopens; k++)
		add_sla(w, t, sn ? SLA_RESOLUTION : SLA_REQUESTER_WAIT,
			k == 0 ? t->opened : t->reopened[k - 1],
			k < t->n_resolved ? t->resolved[k] : TIME_NONE, true);
}

static enum status_code
load_ticket(struct world *w, struct ticket *t, json_t *obj, const char *where)
{
	static const char *const keys[] = { "system",	  "id",	   "service",	  "incident",
					    "correlated", "title", "description", "requester",
					    "priority",	  "group", "assignee",	  "opened",
					    "responded",  "holds", "resolved",	  "reopens",
					    "closed",	  "notes" };
	enum status_code rc;
	int system;
	char *key;

	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)))
		return rc;
	if (!json_object_get(obj, "system"))
		return error("%s: \"system\" is required (servicenow or zendesk)", where);
	if ((rc = scn_enum(obj, "system", system_names, ARRAY_SIZE(system_names), 0, &system,
			   where)))
		return rc;
	t->system = (enum ticket_system)system;
	t->closed = t->responded = TIME_NONE;
	if ((rc = load_id(w, t, obj, where)) || (rc = load_subject(w, t, obj, where)) ||
	    (rc = load_times(w, t, obj, where)) || (rc = check_holds(t, where)) ||
	    (rc = load_link(w, t, obj, where)))
		return rc;
	key = xasprintf("%s %s", system_names[t->system], t->id);
	wire_hex_id(w->seed, key, t->sys_id, 32);
	free(key);
	derive_history(t);
	if ((rc = load_notes(w, t, obj, where)))
		return rc;
	sort_notes(t);
	derive_slas(w, t);
	return SUCCESS;
}

enum status_code
tickets_load(struct world *w, json_t *root)
{
	json_t *arr;
	char where[96];
	enum status_code rc;

	if ((rc = scn_array(root, "tickets", &arr, "scenario")) || !arr ||
	    json_array_size(arr) == 0)
		return rc;
	w->tickets = xcalloc(json_array_size(arr), sizeof(*w->tickets));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		snprintf(where, sizeof(where), "scenario: tickets[%zu]", i);
		w->n_tickets++;
		if ((rc = load_ticket(w, &w->tickets[i], json_array_get(arr, i), where)))
			return rc;
	}
	return SUCCESS;
}

void
tickets_release(struct world *w)
{
	for (size_t i = 0; i < w->n_tickets; i++) {
		struct ticket *t = &w->tickets[i];

		free(t->id);
		free(t->title);
		free(t->description);
		free(t->requester);
		free(t->group);
		free(t->assignee);
		free(t->resolved);
		free(t->reopened);
		free(t->holds);
		free(t->changes);
		for (size_t j = 0; j < t->n_notes; j++) {
			free(t->notes[j].author);
			free(t->notes[j].text);
		}
		free(t->notes);
		for (size_t j = 0; j < t->n_slas; j++)
			free(t->slas[j].pauses);
		free(t->slas);
	}
	free(w->tickets);
	w->tickets = NULL;
	w->n_tickets = 0;
}

/* ---- state at an instant ------------------------------------------------------------ */

long
world_ticket(const struct world *w, enum ticket_system s, const char *id)
{
	for (size_t i = 0; i < w->n_tickets; i++)
		if (w->tickets[i].system == s && w->tickets[i].id && streq(w->tickets[i].id, id))
			return (long)i;
	return -1;
}

bool
ticket_exists(const struct ticket *t, int64_t now_ms)
{
	return floor_div(now_ms, 1000) >= t->opened;
}

enum ticket_state
ticket_state_at(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	enum ticket_state st = TICKET_NEW;

	for (size_t i = 0; i < t->n_changes && t->changes[i].at <= now; i++)
		st = t->changes[i].state;
	return st;
}

int64_t
ticket_updated_at(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000), last = t->opened;

	for (size_t i = 0; i < t->n_changes && t->changes[i].at <= now; i++)
		last = t->changes[i].at > last ? t->changes[i].at : last;
	for (size_t i = 0; i < t->n_notes && t->notes[i].at <= now; i++)
		last = t->notes[i].at > last ? t->notes[i].at : last;
	return last;
}

unsigned int
ticket_mod_count(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	unsigned int n = 0;

	if (now < t->opened)
		return 0;
	for (size_t i = 0; i < t->n_changes && t->changes[i].at <= now; i++)
		n++;
	/* The insert is not a modification. */
	return n + (unsigned int)ticket_notes_at(t, now_ms) - 1;
}

size_t
ticket_notes_at(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	size_t n = 0;

	while (n < t->n_notes && t->notes[n].at <= now)
		n++;
	return n;
}

unsigned int
ticket_reopens_at(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	unsigned int n = 0;

	for (size_t i = 0; i < t->n_reopens; i++)
		n += t->reopened[i] <= now;
	return n;
}

size_t
ticket_slas_at(const struct ticket *t, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000);
	size_t n = 0;

	while (n < t->n_slas && t->slas[n].start <= now)
		n++;
	return n;
}

/* Calendar seconds in [from, to) spent on hold (pending). */
static int64_t
held(const struct ticket *t, int64_t from, int64_t to)
{
	int64_t total = 0;

	for (size_t i = 0; i < t->n_holds; i++) {
		int64_t a = t->holds[i].start > from ? t->holds[i].start : from;
		int64_t b = t->holds[i].end < to ? t->holds[i].end : to;

		total += b > a ? b - a : 0;
	}
	return total;
}

void
ticket_metrics_at(const struct ticket *t, int64_t now_ms, struct ticket_metrics *m)
{
	int64_t now = floor_div(now_ms, 1000), last = TIME_NONE, waited = 0;
	enum ticket_state st = ticket_state_at(t, now_ms);
	size_t notes = ticket_notes_at(t, now_ms);

	m->reply = m->reply_business = TIME_NONE;
	m->first_resolution = m->first_resolution_business = TIME_NONE;
	m->full_resolution = m->full_resolution_business = TIME_NONE;
	if (t->responded != TIME_NONE && t->responded <= now) {
		m->reply = t->responded - t->opened;
		m->reply_business = business_seconds(t->opened, t->responded);
	}
	for (size_t i = 0; i < t->n_resolved && t->resolved[i] <= now; i++)
		last = t->resolved[i];
	if (t->n_resolved && t->resolved[0] <= now) {
		m->first_resolution = t->resolved[0] - t->opened;
		m->first_resolution_business = business_seconds(t->opened, t->resolved[0]);
	}
	if (last != TIME_NONE) {
		m->full_resolution = last - t->opened;
		m->full_resolution_business = business_seconds(t->opened, last);
	}
	/* The requester waits while the ticket is new or open: every working period up
	 * to now, minus the holds (which are the agent's wait). */
	for (size_t k = 0; k <= t->n_reopens; k++) {
		int64_t from = k == 0 ? t->opened : t->reopened[k - 1];
		int64_t to = k < t->n_resolved ? t->resolved[k] : FOREVER;

		if (from > now)
			break;
		to = to < now ? to : now;
		waited += to - from - held(t, from, to);
	}
	m->requester_wait = waited;
	m->agent_wait = held(t, t->opened, now);
	m->on_hold = 0;
	m->reopens = ticket_reopens_at(t, now_ms);
	m->replies = 0;
	for (size_t i = 0; i < notes; i++)
		m->replies += t->notes[i].public && !streq(t->notes[i].author, t->requester);
	m->solved_at = st == TICKET_SOLVED || st == TICKET_CLOSED ? last : TIME_NONE;
}

/* ---- ground truth ------------------------------------------------------------------- */

static json_t *
span_json(const struct span *s)
{
	json_t *pair = json_array();

	json_array_append_new(pair, json_time(s->start));
	json_array_append_new(pair, json_time(s->end));
	return pair;
}

static json_t *
minutes_json(int64_t seconds)
{
	return seconds == TIME_NONE ? json_null() : json_real((double)seconds / 60.0);
}

static json_t *
sla_json(const struct sla_instance *s)
{
	json_t *o = json_object(), *pauses = json_array();

	json_object_set_new(o, "sys_id", json_string(s->sys_id));
	json_object_set_new(o, "definition", json_string(s->def->name));
	json_object_set_new(o, "metric", json_string(sla_metric_name(s->def->metric)));
	json_object_set_new(o, "target_minutes", json_integer(s->def->target / MINUTE));
	json_object_set_new(o, "schedule",
			    json_string(s->def->business ? "business_hours" : "24x7"));
	json_object_set_new(o, "start_time", json_time(s->start));
	json_object_set_new(o, "stop_time", json_time(s->stop));
	for (size_t i = 0; i < s->n_pauses; i++)
		json_array_append_new(pauses, span_json(&s->pauses[i]));
	json_object_set_new(o, "pauses", pauses);
	json_object_set_new(o, "breach_time", json_time(s->breach));
	json_object_set_new(o, "has_breached", json_boolean(s->breach != TIME_NONE));
	return o;
}

static json_t *
minutes_pair(int64_t calendar, int64_t business)
{
	json_t *pair = json_object();

	json_object_set_new(pair, "calendar", minutes_json(calendar));
	json_object_set_new(pair, "business", minutes_json(business));
	return pair;
}

/* Zendesk's ticket metrics once the ticket's last change happened. */
static json_t *
metrics_json(const struct ticket *t)
{
	struct ticket_metrics m;
	json_t *o = json_object();

	ticket_metrics_at(t, t->changes[t->n_changes - 1].at * 1000, &m);
	json_object_set_new(o, "reply_time_in_minutes", minutes_pair(m.reply, m.reply_business));
	json_object_set_new(o, "first_resolution_time_in_minutes",
			    minutes_pair(m.first_resolution, m.first_resolution_business));
	json_object_set_new(o, "full_resolution_time_in_minutes",
			    minutes_pair(m.full_resolution, m.full_resolution_business));
	json_object_set_new(o, "agent_wait_time_minutes", minutes_json(m.agent_wait));
	json_object_set_new(o, "requester_wait_time_minutes", minutes_json(m.requester_wait));
	json_object_set_new(o, "reopens", json_integer(m.reopens));
	json_object_set_new(o, "replies", json_integer(m.replies));
	return o;
}

static json_t *
times_json(const int64_t *times, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_time(times[i]));
	return arr;
}

static json_t *
ticket_json(const struct world *w, const struct ticket *t)
{
	json_t *o = json_object(), *arr;
	bool sn = t->system == TICKET_SERVICENOW;
	enum ticket_state final = t->n_changes ? t->changes[t->n_changes - 1].state : TICKET_NEW;
	const char *incident = t->incident >= 0 ? w->incidents[t->incident].id : NULL;

	json_object_set_new(o, "system", json_string(system_names[t->system]));
	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "number", json_integer((json_int_t)t->number));
	json_object_set_new(o, "sys_id", sn ? json_string(t->sys_id) : json_null());
	json_object_set_new(o, "service", json_string(w->services[t->service].name));
	json_object_set_new(o, "incident", incident ? json_string(incident) : json_null());
	json_object_set_new(o, "correlation_id",
			    t->correlated ? json_string(incident) : json_null());
	json_object_set_new(o, "title", json_string(t->title));
	json_object_set_new(o, "description", json_string(t->description));
	json_object_set_new(o, "requester", json_string(t->requester));
	json_object_set_new(o, "priority", json_integer(t->priority));
	if (!sn)
		json_object_set_new(o, "priority_name",
				    json_string(zendesk_priority_name(t->priority)));
	json_object_set_new(o, "group", json_string(t->group));
	json_object_set_new(o, "assignee", json_string(t->assignee));
	json_object_set_new(o, "state", json_string(ticket_state_name(t->system, final)));
	json_object_set_new(o, "opened_at", json_time(t->opened));
	json_object_set_new(o, "responded_at", json_time(t->responded));
	json_object_set_new(o, "resolutions", times_json(t->resolved, t->n_resolved));
	json_object_set_new(o, "reopened_at", times_json(t->reopened, t->n_reopens));
	json_object_set_new(o, "resolved_at",
			    json_time(final == TICKET_SOLVED || final == TICKET_CLOSED
					      ? t->resolved[t->n_resolved - 1]
					      : TIME_NONE));
	json_object_set_new(o, "closed_at", json_time(t->closed));
	json_object_set_new(o, "reopen_count", json_integer((json_int_t)t->n_reopens));
	arr = json_array();
	for (size_t i = 0; i < t->n_holds; i++)
		json_array_append_new(arr, span_json(&t->holds[i]));
	json_object_set_new(o, "holds", arr);
	arr = json_array();
	for (size_t i = 0; i < t->n_changes; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "at", json_time(t->changes[i].at));
		json_object_set_new(c, "state",
				    json_string(ticket_state_name(t->system, t->changes[i].state)));
		json_array_append_new(arr, c);
	}
	json_object_set_new(o, "transitions", arr);
	arr = json_array();
	for (size_t i = 0; i < t->n_notes; i++) {
		json_t *n = json_object();

		json_object_set_new(n, "at", json_time(t->notes[i].at));
		json_object_set_new(n, "author", json_string(t->notes[i].author));
		json_object_set_new(n, "text", json_string(t->notes[i].text));
		json_object_set_new(n, "public", json_boolean(t->notes[i].public));
		json_array_append_new(arr, n);
	}
	json_object_set_new(o, "notes", arr);
	arr = json_array();
	for (size_t i = 0; i < t->n_slas; i++)
		json_array_append_new(arr, sla_json(&t->slas[i]));
	json_object_set_new(o, "slas", arr);
	json_object_set_new(o, "metrics", sn ? json_null() : metrics_json(t));
	return o;
}

void
tickets_json(const struct world *w, json_t *root)
{
	json_t *tickets = json_array(), *defs = json_array();

	for (size_t i = 0; i < w->n_tickets; i++)
		json_array_append_new(tickets, ticket_json(w, &w->tickets[i]));
	json_object_set_new(root, "tickets", tickets);
	for (int s = 0; s < 2; s++) {
		size_t n;
		const struct sla_definition *d = sla_definitions((enum ticket_system)s, &n);

		for (size_t i = 0; i < n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "name", json_string(d[i].name));
			json_object_set_new(o, "system", json_string(system_names[s]));
			json_object_set_new(o, "metric", json_string(sla_metric_name(d[i].metric)));
			json_object_set_new(o, "priority", json_integer(d[i].priority));
			json_object_set_new(o, "target_minutes",
					    json_integer(d[i].target / MINUTE));
			json_object_set_new(o, "schedule",
					    json_string(d[i].business ? "business_hours" : "24x7"));
			json_array_append_new(defs, o);
		}
	}
	json_object_set_new(root, "sla_definitions", defs);
}
