/* sentry.c - the Sentry issues dialect: GET /api/0/projects/{org}/{project}/issues/
 * (one project per world service, slug = the service's name) and the organization's
 * GET /api/0/organizations/{org}/issues/, as sentry.io answers them.
 *
 * The issues are derived from the world and the seed, never stored: background
 * errors (240, 200 and 160 for the first three projects, 100 for any further one)
 * first seen from 13 days before --start to a week after, about two thirds of them
 * by --start, and a cluster of four for every incident whose symptom is errors or
 * an outage, erring while the incident lasts and resolved a little after it. An
 * issue exists from its first event; events come at a fixed period within bursts,
 * so lastSeen, count and stats follow the clock; about half are resolved after
 * their burst (a fifth of those regress later), a tenth ignored, the rest stay
 * unresolved.
 *
 * What clients trip on is reproduced on purpose (monitoring-ticketing.md 1 and 9):
 * a missing `query` means is:unresolved; pages of 100 (or `limit`) follow the Link
 * header, whose next link is always present and says results="false" at the end;
 * count is a string and userCount a number; timestamps have microseconds unless
 * they fall on a whole second; stats are epoch seconds; statsPeriod on the project
 * endpoint only sets the stats' period, on the organization's it filters by
 * lastSeen; errors are {"detail": "..."}; X-Sentry-Rate-Limit-Reset is an epoch
 * second. The organization answers to any slug. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <ctype.h>
#include <time.h>

#define PAGE_MAX 100
#define DAY 86400
#define WEEK (7 * DAY)
#define US INT64_C(1000000)
#define ID_BASE UINT64_C(4500000000)
#define PROJECT_STRIDE 100000
#define INCIDENT_OFFSET 90000 /* incident issues' numbers within a project */
#define INCIDENT_ISSUES 4
#define RATE_LIMIT 40
#define INBOX_NEW 0
#define INBOX_REGRESSION 2

static const char *const level_names[] = { "fatal", "error", "warning", "info", "debug" };

enum level {
	LEVEL_FATAL,
	LEVEL_ERROR,
	LEVEL_WARNING,
	LEVEL_INFO,
	LEVEL_DEBUG,
};

/* Errors a web service logs; the culprit is prefixed with the project's slug. */
static const struct {
	const char *type, *value, *culprit;
} templates[] = {
	{ "TimeoutError", "upstream request timed out after 30s", "clients.http in request" },
	{ "ConnectionResetError", "[Errno 104] Connection reset by peer", "db.pool in acquire" },
	{ "KeyError", "'currency'", "api.views in create" },
	{ "ValueError", "invalid literal for int() with base 10: 'NaN'",
	  "api.forms in clean_quantity" },
	{ "IntegrityError", "duplicate key value violates unique constraint \"orders_pkey\"",
	  "models.order in save" },
	{ "OperationalError", "could not obtain lock on row in relation \"carts\"",
	  "tasks.settle in run" },
	{ "AttributeError", "'NoneType' object has no attribute 'id'",
	  "api.serializers in to_representation" },
	{ "HTTPError", "503 Server Error: Service Unavailable", "clients.gateway in post" },
	{ "MemoryError", "", "workers.batch in run" },
	{ "JSONDecodeError", "Expecting value: line 1 column 1 (char 0)",
	  "clients.gateway in parse" },
	{ "PermissionDenied", "token lacks scope orders:write", "auth.middleware in __call__" },
	{ "RecursionError", "maximum recursion depth exceeded", "query.planner in expand" },
};

/* An issue's whole life: events every period from first to end, and, after a
 * regression, from regress to end2; resolved (or ignored) at resolve. */
struct issue {
	uint64_t id;
	size_t project; /* the service's index */
	uint64_t number;
	enum level level;
	const char *type, *value, *culprit; /* value borrowed from the world or a template */
	int64_t first, period, end;	    /* microseconds */
	int64_t resolve;		    /* seconds, or TIME_NONE */
	bool ignored;
	int64_t regress, end2; /* microseconds, or TIME_NONE */
	bool unhandled;
	uint64_t users;
};

/* ---- the issues of the world ------------------------------------------------- */

static size_t
background_count(size_t project)
{
	return project < 3 ? 240 - 40 * project : 100;
}

/* The hash stream of one issue: element j of its draws. */
static uint64_t
draw(const struct world *w, const char *service, uint64_t issue, unsigned j)
{
	char key[160];

	snprintf(key, sizeof(key), "sentry:%s", service);
	return sim_hash(w->seed, key, issue * 16 + j);
}

static enum level
level_of(uint64_t h)
{
	unsigned p = (unsigned)(h % 100);

	return p < 5	? LEVEL_FATAL
	       : p < 70 ? LEVEL_ERROR
	       : p < 88 ? LEVEL_WARNING
	       : p < 96 ? LEVEL_INFO
			: LEVEL_DEBUG;
}

static void
background_issue(const struct world *w, size_t s, uint64_t k, struct issue *is)
{
	const char *svc = w->services[s].name;
	uint64_t h[8];
	int64_t first_s, end_s;
	size_t t;
	unsigned outcome;

	for (unsigned j = 0; j < ARRAY_SIZE(h); j++)
		h[j] = draw(w, svc, k, j);
	memset(is, 0, sizeof(*is));
	is->id = ID_BASE + s * PROJECT_STRIDE + k;
	is->project = s;
	is->number = k + 1;
	is->level = level_of(h[6]);
	t = (size_t)(h[7] % ARRAY_SIZE(templates));
	is->type = templates[t].type;
	is->value = templates[t].value;
	is->culprit = templates[t].culprit;
	first_s = w->origin - 13 * DAY + (int64_t)(h[0] % (20 * DAY));
	/* A tenth fall on a whole second: Sentry then prints no fraction at all. */
	is->first = first_s * US + (h[1] % 10 == 0 ? 0 : (int64_t)(h[1] % US));
	is->period = (60 + (int64_t)(h[3] % 1800)) * US;
	is->end = is->first + (300 + (int64_t)(h[2] % (2 * DAY))) * US;
	end_s = floor_div(is->end, US);
	outcome = (unsigned)(h[4] % 100);
	is->resolve = outcome < 65 ? end_s + 600 + (int64_t)(h[5] % DAY) : TIME_NONE;
	is->ignored = outcome >= 55 && outcome < 65;
	is->regress = is->end2 = TIME_NONE;
	if (outcome < 55 && (h[6] >> 8) % 100 < 20) {
		is->regress = (is->resolve + 3600 + (int64_t)((h[7] >> 8) % (3 * DAY))) * US +
			      (int64_t)((h[1] >> 20) % US);
		is->end2 = is->regress + (300 + (int64_t)((h[5] >> 8) % (6 * 3600))) * US;
	}
	is->unhandled = (h[3] >> 8) % 3 == 0;
	is->users = 1 + (h[2] >> 8) % 60;
}

/* The scenario's error incidents show in Sentry too: four issues first seen as
 * the impact starts, erring until the incident resolves, resolved a little later
 * by whoever fixed it; the first carries the incident's (untrusted) title. */
static bool
is_error_incident(const struct incident *in)
{
	return in->symptom == SYMPTOM_ERRORS || in->symptom == SYMPTOM_OUTAGE;
}

static void
incident_issue(const struct world *w, size_t i, unsigned j, struct issue *is)
{
	const struct incident *in = &w->incidents[i];
	const char *svc = w->services[in->service].name;
	uint64_t n = INCIDENT_OFFSET + i * 10 + j, h[4];
	size_t t;

	for (unsigned k = 0; k < ARRAY_SIZE(h); k++)
		h[k] = draw(w, svc, n, k);
	memset(is, 0, sizeof(*is));
	is->id = ID_BASE + in->service * PROJECT_STRIDE + n;
	is->project = in->service;
	is->number = n + 1;
	if (j == 0) {
		is->level = in->severity == SEVERITY_CRITICAL  ? LEVEL_FATAL
			    : in->severity == SEVERITY_WARNING ? LEVEL_ERROR
							       : LEVEL_WARNING;
		is->type = in->symptom == SYMPTOM_OUTAGE ? "ServiceUnavailable" : "UpstreamError";
		is->value = in->title;
		is->culprit = "api.middleware in dispatch";
	} else {
		t = (size_t)(h[0] % ARRAY_SIZE(templates));
		is->level = LEVEL_ERROR;
		is->type = templates[t].type;
		is->value = templates[t].value;
		is->culprit = templates[t].culprit;
	}
	is->first =
		(in->impact + 20 * (int64_t)j + (int64_t)(h[1] % 20)) * US + (int64_t)(h[2] % US);
	is->period = (15 + (int64_t)(h[3] % 60)) * US;
	is->end = in->resolve != TIME_NONE ? in->resolve * US - 1 : INT64_MAX / 2;
	if (is->end < is->first)
		is->end = is->first;
	is->resolve =
		in->resolve != TIME_NONE ? in->resolve + 300 + (int64_t)(h[3] % 1800) : TIME_NONE;
	is->regress = is->end2 = TIME_NONE;
	is->unhandled = true;
	is->users = 20 + (h[0] >> 8) % 400;
}

/* Every issue of every project, visible or not yet (new array). */
static struct issue *
world_issues(const struct world *w, size_t *n)
{
	struct issue *all;
	size_t total = 0, k = 0;

	for (size_t s = 0; s < w->n_services; s++)
		total += background_count(s);
	for (size_t i = 0; i < w->n_incidents; i++)
		total += is_error_incident(&w->incidents[i]) ? INCIDENT_ISSUES : 0;
	all = xcalloc(total ? total : 1, sizeof(*all));
	for (size_t s = 0; s < w->n_services; s++)
		for (size_t j = 0; j < background_count(s); j++)
			background_issue(w, s, j, &all[k++]);
	for (size_t i = 0; i < w->n_incidents; i++)
		for (unsigned j = 0; is_error_incident(&w->incidents[i]) && j < INCIDENT_ISSUES;
		     j++)
			incident_issue(w, i, j, &all[k++]);
	*n = k;
	return all;
}

/* ---- an issue at an instant ---------------------------------------------------- */

/* Events of one burst [from, to] with the given period, up to t: how many, and
 * the last one's time (TIME_NONE when none yet). */
static int64_t
burst_events(int64_t from, int64_t to, int64_t period, int64_t t, int64_t *last)
{
	int64_t upto = t < to ? t : to, k;

	if (from == TIME_NONE || t < from) {
		*last = TIME_NONE;
		return 0;
	}
	k = (upto - from) / period;
	*last = from + k * period;
	return k + 1;
}

/* Events up to t (microseconds) and the last one's time. */
static int64_t
events_upto(const struct issue *is, int64_t t, int64_t *last)
{
	int64_t last2, n = burst_events(is->first, is->end, is->period, t, last);

	n += burst_events(is->regress, is->end2, is->period, t, &last2);
	if (last2 != TIME_NONE)
		*last = last2;
	return n;
}

struct issue_state {
	const char *status, *substatus;
	int inbox_reason; /* -1: not in the inbox */
	int64_t inbox_at; /* microseconds */
	int64_t last_seen;
	int64_t count;
};

static void
issue_state(const struct issue *is, int64_t now, struct issue_state *st)
{
	int64_t now_s = floor_div(now, US);

	st->count = events_upto(is, now, &st->last_seen);
	st->inbox_reason = -1;
	if (is->regress != TIME_NONE && now >= is->regress) {
		st->status = "unresolved";
		st->substatus = now - is->regress < WEEK * US ? "regressed" : "ongoing";
		st->inbox_reason = now - is->regress < WEEK * US ? INBOX_REGRESSION : -1;
		st->inbox_at = is->regress;
	} else if (is->resolve != TIME_NONE && now_s >= is->resolve) {
		st->status = is->ignored ? "ignored" : "resolved";
		st->substatus = is->ignored ? "archived_until_escalating" : NULL;
	} else {
		st->status = "unresolved";
		st->substatus = now - is->first < WEEK * US ? "new" : "ongoing";
		st->inbox_reason = now - is->first < WEEK * US ? INBOX_NEW : -1;
		st->inbox_at = is->first;
	}
}

/* Python's isoformat as Sentry prints it: microseconds only when there are some. */
static json_t *
iso_time(int64_t us)
{
	char text[WIRE_TIME_SIZE], out[WIRE_TIME_SIZE + 8];
	int64_t sec = floor_div(us, US), frac = us - sec * US;

	timestamp_format(sec, text, sizeof(text));
	if (frac == 0)
		return json_string(text);
	snprintf(out, sizeof(out), "%.19s.%06lldZ", text, (long long)frac);
	return json_string(out);
}

static char *
title_of(const struct issue *is)
{
	return is->value && *is->value ? xasprintf("%s: %s", is->type, is->value)
				       : xstrdup(is->type);
}

/* "CHECKOUT-5K": the slug upper-cased and the number in base 36. */
static void
short_id(const char *slug, uint64_t number, char *buf, size_t size)
{
	char digits[16];
	size_t n = 0, len;

	do {
		digits[n++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[number % 36];
		number /= 36;
	} while (number && n < sizeof(digits));
	snprintf(buf, size, "%s-", slug);
	for (len = 0; buf[len]; len++)
		buf[len] = (char)toupper((unsigned char)buf[len]);
	while (n > 0 && len + 1 < size)
		buf[len++] = digits[--n];
	buf[len] = '\0';
}

static json_t *
project_json(const struct world *w, size_t s)
{
	json_t *o = json_object();
	char id[24], *name = xstrdup(w->services[s].name);

	snprintf(id, sizeof(id), "%zu", s + 1);
	name[0] = (char)toupper((unsigned char)name[0]);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "slug", json_string(w->services[s].name));
	json_object_set_new(o, "platform", json_string("python"));
	free(name);
	return o;
}

/* [[bucket start (epoch seconds), events], ...] ending with the current bucket. */
static json_t *
stats_json(const struct issue *is, int64_t now, const char *period)
{
	int64_t width = streq(period, "14d") ? DAY : 3600, n = streq(period, "14d") ? 14 : 24;
	int64_t now_s = floor_div(now, US), start = floor_div(now_s, width) * width;
	json_t *o = json_object(), *arr = json_array();

	for (int64_t b = start - (n - 1) * width; b <= start; b += width) {
		int64_t last, hi = (b + width) * US - 1, lo = b * US - 1;
		int64_t count =
			events_upto(is, hi < now ? hi : now, &last) - events_upto(is, lo, &last);
		json_t *pair = json_array();

		json_array_append_new(pair, json_integer((json_int_t)b));
		json_array_append_new(pair, json_integer((json_int_t)count));
		json_array_append_new(arr, pair);
	}
	json_object_set_new(o, period, arr);
	return o;
}

struct list_options {
	const char *org;
	const char *stats; /* "24h", "14d", or NULL for none */
	bool inbox;	   /* expand=inbox */
};

static json_t *
issue_json(const struct sim *sim, const struct issue *is, const struct issue_state *st, int64_t now,
	   const struct list_options *opt)
{
	const struct world *w = &sim->world;
	const char *slug = w->services[is->project].name;
	json_t *o = json_object(), *meta = json_object(), *inbox;
	char id[24], sid[64], *title = title_of(is), *culprit, *link;
	struct buf org;
	uint64_t users = is->users < (uint64_t)st->count ? is->users : (uint64_t)st->count;

	snprintf(id, sizeof(id), "%llu", (unsigned long long)is->id);
	short_id(slug, is->number, sid, sizeof(sid));
	culprit = xasprintf("%s.%s", slug, is->culprit);
	buf_init(&org, 0);
	wire_urlencode(&org, opt->org);
	link = xasprintf("https://sentry.sim.invalid/organizations/%s/issues/%s/", org.data, id);
	json_object_set_new(o, "annotations", json_array());
	json_object_set_new(o, "assignedTo", json_null());
	json_object_set_new(o, "count", json_sprintf("%lld", (long long)st->count));
	json_object_set_new(o, "culprit", json_string(culprit));
	json_object_set_new(o, "firstSeen", iso_time(is->first));
	json_object_set_new(o, "hasSeen", json_false());
	json_object_set_new(o, "id", json_string(id));
	if (opt->inbox) {
		inbox = json_null();
		if (st->inbox_reason >= 0) {
			inbox = json_object();
			json_object_set_new(inbox, "reason", json_integer(st->inbox_reason));
			json_object_set_new(inbox, "reason_details", json_null());
			json_object_set_new(inbox, "date_added", iso_time(st->inbox_at));
		}
		json_object_set_new(o, "inbox", inbox);
	}
	json_object_set_new(o, "isBookmarked", json_false());
	json_object_set_new(o, "isPublic", json_false());
	json_object_set_new(o, "isSubscribed", json_false());
	json_object_set_new(o, "lastSeen", iso_time(st->last_seen));
	json_object_set_new(o, "level", json_string(level_names[is->level]));
	json_object_set_new(o, "logger", json_null());
	json_object_set_new(meta, "type", json_string(is->type));
	json_object_set_new(meta, "value", json_string(is->value ? is->value : ""));
	json_object_set_new(o, "metadata", meta);
	json_object_set_new(o, "numComments", json_integer(0));
	json_object_set_new(o, "permalink", json_string(link));
	json_object_set_new(o, "project", project_json(w, is->project));
	json_object_set_new(o, "shareId", json_null());
	json_object_set_new(o, "shortId", json_string(sid));
	if (opt->stats)
		json_object_set_new(o, "stats", stats_json(is, now, opt->stats));
	json_object_set_new(o, "status", json_string(st->status));
	json_object_set_new(o, "substatus",
			    st->substatus ? json_string(st->substatus) : json_null());
	json_object_set_new(o, "statusDetails", json_object());
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "type", json_string("error"));
	json_object_set_new(o, "userCount", json_integer((json_int_t)users));
	json_object_set_new(o, "isUnhandled", json_boolean(is->unhandled));
	json_object_set_new(o, "issueCategory", json_string("error"));
	json_object_set_new(o, "issueType", json_string("error"));
	json_object_set_new(o, "platform", json_string("python"));
	buf_release(&org);
	free(link);
	free(culprit);
	free(title);
	return o;
}

/* ---- errors ------------------------------------------------------------------- */

/* Django REST framework's shape, as Sentry sends it. */
static void
detail(struct sim_response *resp, unsigned int status, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "detail", json_string(message));
	response_json(resp, status, o);
}

void
sentry_fault_body(struct sim_response *resp, unsigned int status)
{
	char text[64];

	switch (status) {
	case 401:
		detail(resp, status, "Invalid token");
		break;
	case 403:
		detail(resp, status, "You do not have permission to perform this action.");
		break;
	case 404:
		detail(resp, status, "The requested resource does not exist");
		break;
	case 429:
		detail(resp, status,
		       "You are attempting to use this endpoint too frequently. Limit is 40 "
		       "requests in 1 seconds");
		response_header(resp, "X-Sentry-Rate-Limit-Limit", "40");
		response_header(resp, "X-Sentry-Rate-Limit-Remaining", "0");
		/* A rate-limit window is real time, not the simulated clock. */
		snprintf(text, sizeof(text), "%lld", (long long)time(NULL) + 1);
		response_header(resp, "X-Sentry-Rate-Limit-Reset", text);
		break;
	case 500:
		detail(resp, status, "Internal Error");
		json_object_set_new(resp->json, "errorId",
				    json_string("5f0b8a4e1c2d4e6f8a9b0c1d2e3f4a5b"));
		break;
	case 502:
	case 503:
	case 504:
		/* From the load balancer in front, not from Sentry. */
		response_gateway(resp, status);
		break;
	default:
		snprintf(text, sizeof(text), "sitrep-sim: injected status %u", status);
		detail(resp, status, text);
	}
}

/* ---- the list endpoints ----------------------------------------------------------- */

enum sort_key {
	SORT_DATE, /* lastSeen, newest first */
	SORT_NEW,  /* firstSeen */
	SORT_FREQ, /* count */
	SORT_USER, /* userCount */
};

struct row {
	const struct issue *is;
	struct issue_state st;
	int64_t key;
};

static int
compare_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->is->id > y->is->id ? -1 : x->is->id < y->is->id;
}

/* A query of space-separated terms: is:unresolved|resolved|ignored|archived keep
 * those statuses, other key:value terms are accepted and ignored, and free text
 * must appear in the title. */
static bool
query_keeps(const char *query, const struct issue *is, const struct issue_state *st)
{
	char *copy = xstrdup(query), *title = title_of(is), *save = NULL, *term;
	bool keep = true, status_term = false, status_ok = false;

	for (term = strtok_r(copy, " ", &save); term && keep; term = strtok_r(NULL, " ", &save)) {
		if (strncmp(term, "is:", 3) == 0) {
			const char *want = streq(term + 3, "archived") ? "ignored" : term + 3;

			status_term = true;
			status_ok |= streq(st->status, want);
		} else if (!strchr(term, ':')) {
			keep = strstr(title, term) != NULL;
		}
	}
	free(copy);
	free(title);
	return keep && (!status_term || status_ok);
}

static bool
parse_limit(const char *text, size_t *limit)
{
	char *end;
	long v;

	if (!text) {
		*limit = PAGE_MAX;
		return true;
	}
	v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 1 || v > PAGE_MAX)
		return false;
	*limit = (size_t)v;
	return true;
}

/* "value:offset:is_prev"; the value is kept but unused, offsets count issues. */
static bool
parse_cursor(const char *text, size_t *offset, bool *prev)
{
	unsigned long long value, off;
	unsigned int is_prev;
	char tail;

	if (!text) {
		*offset = 0;
		*prev = false;
		return true;
	}
	for (const char *p = text; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != ':')
			return false;
	if (sscanf(text, "%llu:%llu:%u%c", &value, &off, &is_prev, &tail) != 3 || is_prev > 1 ||
	    off > 1000000)
		return false;
	(void)value;
	*offset = (size_t)off;
	*prev = is_prev == 1;
	return true;
}

static bool
parse_sort(const char *text, enum sort_key *sort)
{
	static const char *const names[] = { "date", "new", "freq", "user" };

	*sort = SORT_DATE;
	if (!text)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(text, names[i])) {
			*sort = (enum sort_key)i;
			return true;
		}
	return false;
}

/* The request's URL without its cursor, as Sentry's links repeat it:
 * "http://127.0.0.1:PORT/sentry/api/0/...?query=&limit=100". */
static void
base_url(const struct sim *sim, const struct sim_request *req, bool with_cursor, struct buf *b)
{
	bool first = true;

	buf_printf(b, "http://127.0.0.1:%u%s?", (unsigned int)sim->port, req->path);
	for (size_t i = 0; i < req->params.n; i++) {
		const struct param *p = &req->params.items[i];

		if (streq(p->key, "cursor") && !with_cursor)
			continue;
		if (!first)
			buf_addch(b, '&');
		first = false;
		wire_urlencode(b, p->key);
		buf_addch(b, '=');
		if (streq(p->key, "cursor"))
			buf_addstr(b, p->value); /* checked: digits and colons */
		else
			wire_urlencode(b, p->value);
	}
}

/* Link: previous and next, always both, as Sentry sends them. Under the
 * stuck_cursor fault the next link is the request itself. */
static void
add_links(const struct sim *sim, const struct sim_request *req, size_t start, size_t limit,
	  size_t total, struct sim_response *resp)
{
	struct buf link, base;
	size_t next = start + limit;

	buf_init(&link, 0);
	buf_init(&base, 0);
	base_url(sim, req, false, &base);
	buf_printf(&link,
		   "<%s&cursor=0:%zu:1>; rel=\"previous\"; results=\"%s\"; cursor=\"0:%zu:1\"",
		   base.data, start, start > 0 ? "true" : "false", start);
	if (req->stuck_cursor) {
		buf_reset(&base);
		base_url(sim, req, true, &base);
		buf_printf(&link, ", <%s>; rel=\"next\"; results=\"true\"; cursor=\"0:%zu:0\"",
			   base.data, start);
	} else {
		buf_printf(
			&link,
			", <%s&cursor=0:%zu:0>; rel=\"next\"; results=\"%s\"; cursor=\"0:%zu:0\"",
			base.data, next, next < total ? "true" : "false", next);
	}
	response_header(resp, "Link", link.data);
	buf_release(&link);
	buf_release(&base);
}

static void
add_rate_headers(int64_t now, struct sim_response *resp)
{
	char text[32];

	snprintf(text, sizeof(text), "%d", RATE_LIMIT);
	response_header(resp, "X-Sentry-Rate-Limit-Limit", text);
	snprintf(text, sizeof(text), "%d", RATE_LIMIT - 1);
	response_header(resp, "X-Sentry-Rate-Limit-Remaining", text);
	snprintf(text, sizeof(text), "%lld", (long long)floor_div(now, US) + 1);
	response_header(resp, "X-Sentry-Rate-Limit-Reset", text);
	response_header(resp, "X-Sentry-Rate-Limit-ConcurrentLimit", "25");
}

/* What one list request selects: a project (or every one of a set), and for the
 * organization's endpoint a lastSeen window. */
struct selection {
	bool *projects; /* by service index */
	int64_t since;	/* microseconds, or TIME_NONE */
};

static void
list_issues(struct sim *sim, const struct sim_request *req, const struct selection *sel,
	    const struct list_options *opt, struct sim_response *resp)
{
	const char *query = params_get(&req->params, "query");
	int64_t now = sim_clock_now(&sim->clock) * 1000;
	size_t n_all, n = 0, limit, start, offset;
	struct issue *all;
	struct row *rows;
	enum sort_key sort;
	json_t *page;
	char hits[24];
	bool prev;

	if (!parse_sort(params_get(&req->params, "sort"), &sort)) {
		detail(resp, 400, "Invalid sort");
		return;
	}
	if (!parse_limit(params_get(&req->params, "limit"), &limit)) {
		detail(resp, 400, "Invalid limit: must be between 1 and 100");
		return;
	}
	if (!parse_cursor(params_get(&req->params, "cursor"), &offset, &prev)) {
		detail(resp, 400, "Invalid cursor parameter.");
		return;
	}
	/* The pitfall: no query at all means unresolved issues only. */
	if (!query)
		query = "is:unresolved";
	all = world_issues(&sim->world, &n_all);
	rows = xcalloc(n_all ? n_all : 1, sizeof(*rows));
	for (size_t i = 0; i < n_all; i++) {
		struct row *r = &rows[n];

		if (!sel->projects[all[i].project] || all[i].first > now)
			continue;
		r->is = &all[i];
		issue_state(r->is, now, &r->st);
		if ((sel->since != TIME_NONE && r->st.last_seen < sel->since) ||
		    !query_keeps(query, r->is, &r->st))
			continue;
		r->key = sort == SORT_DATE   ? r->st.last_seen
			 : sort == SORT_NEW  ? r->is->first
			 : sort == SORT_FREQ ? r->st.count
					     : (int64_t)(r->is->users < (uint64_t)r->st.count
								 ? r->is->users
								 : (uint64_t)r->st.count);
		n++;
	}
	qsort(rows, n, sizeof(*rows), compare_rows);
	start = prev ? (offset > limit ? offset - limit : 0) : offset;
	page = json_array();
	for (size_t i = start; i < n && i < start + limit; i++)
		json_array_append_new(page, issue_json(sim, rows[i].is, &rows[i].st, now, opt));
	response_json(resp, 200, page);
	add_links(sim, req, start, limit, n, resp);
	snprintf(hits, sizeof(hits), "%zu", n);
	response_header(resp, "X-Hits", hits);
	add_rate_headers(now, resp);
	free(rows);
	free(all);
}

/* GET /api/0/projects/{org}/{project}/issues/: statsPeriod is only the stats'. */
static void
project_issues(struct sim *sim, const struct sim_request *req, const char *org, const char *project,
	       struct sim_response *resp)
{
	const char *period = params_get(&req->params, "statsPeriod");
	long s = world_service(&sim->world, project);
	struct list_options opt = { .org = org };
	struct selection sel = { .since = TIME_NONE };

	if (s < 0) {
		detail(resp, 404, "The requested resource does not exist");
		return;
	}
	if (period && !streq(period, "") && !streq(period, "24h") && !streq(period, "14d")) {
		detail(resp, 400, "Invalid stats_period. Valid choices are '', '24h', and '14d'");
		return;
	}
	opt.stats = !period ? "24h" : *period ? period : NULL;
	opt.inbox = streq(params_get(&req->params, "expand"), "inbox");
	sel.projects = xcalloc(sim->world.n_services, sizeof(*sel.projects));
	sel.projects[s] = true;
	list_issues(sim, req, &sel, &opt, resp);
	free(sel.projects);
}

/* GET /api/0/organizations/{org}/issues/: `project` holds ids (-1 or none: all),
 * statsPeriod (default 14d) selects by lastSeen, groupStatsPeriod sets the stats. */
static void
organization_issues(struct sim *sim, const struct sim_request *req, const char *org,
		    struct sim_response *resp)
{
	const char *period = params_get(&req->params, "statsPeriod");
	const char *group = params_get(&req->params, "groupStatsPeriod");
	struct list_options opt = { .org = org, .stats = "24h" };
	struct selection sel = { .since = TIME_NONE };
	int64_t ms, now = sim_clock_now(&sim->clock);
	bool any = false, all = false;

	if (!wire_parse_duration(period && *period ? period : "14d", &ms)) {
		detail(resp, 400, "Invalid stats_period");
		return;
	}
	sel.since = (now - ms) * 1000;
	if (group)
		opt.stats = streq(group, "14d") ? "14d" : *group ? "24h" : NULL;
	opt.inbox = false;
	for (size_t i = 0; i < req->params.n; i++)
		if (streq(req->params.items[i].key, "expand") &&
		    streq(req->params.items[i].value, "inbox"))
			opt.inbox = true;
	sel.projects = xcalloc(sim->world.n_services, sizeof(*sel.projects));
	for (size_t i = 0; i < req->params.n; i++) {
		const char *v = req->params.items[i].value;
		char *end;
		long id;

		if (!streq(req->params.items[i].key, "project"))
			continue;
		id = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || (id != -1 && id < 1)) {
			detail(resp, 400, "Invalid project parameter. Values must be numbers.");
			goto out;
		}
		if (id > (long)sim->world.n_services) {
			detail(resp, 403, "You do not have permission to perform this action.");
			goto out;
		}
		any = true;
		if (id == -1)
			all = true;
		else
			sel.projects[id - 1] = true;
	}
	for (size_t s = 0; s < sim->world.n_services; s++)
		if (!any || all)
			sel.projects[s] = true;
	list_issues(sim, req, &sel, &opt, resp);
out:
	free(sel.projects);
}

/* The n-th segment of route (after "/api/0/"), copied into buf; false past the end. */
static bool
segment(const char *route, size_t n, char *buf, size_t size)
{
	const char *p = route;
	size_t len;

	for (;;) {
		len = strcspn(p, "/");
		if (n == 0)
			break;
		if (p[len] != '/')
			return false;
		p += len + 1;
		n--;
	}
	if (len == 0 || len >= size)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}

void
sentry_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route, *m = req->method;
	char a[128], b[128], c[128], d[128];
	bool get = streq(m, "GET") || streq(m, "HEAD");
	bool project = false, org = false;

	if (strncmp(r, "/api/0/", 7) == 0) {
		r += 7;
		project = segment(r, 0, a, sizeof(a)) && streq(a, "projects") &&
			  segment(r, 1, b, sizeof(b)) && segment(r, 2, c, sizeof(c)) &&
			  segment(r, 3, d, sizeof(d)) && streq(d, "issues") &&
			  !segment(r, 4, d, sizeof(d));
		org = !project && segment(r, 0, a, sizeof(a)) && streq(a, "organizations") &&
		      segment(r, 1, b, sizeof(b)) && segment(r, 2, d, sizeof(d)) &&
		      streq(d, "issues") && !segment(r, 3, d, sizeof(d));
	}
	/* Every path ends in '/': without it Django answers 404, no redirect. */
	if ((project || org) && r[strlen(r) - 1] != '/')
		project = org = false;
	if ((project || org) && !get) {
		char text[64];

		snprintf(text, sizeof(text), "Method \"%.16s\" not allowed.", m);
		detail(resp, 405, text);
	} else if (project) {
		project_issues(sim, req, b, c, resp);
	} else if (org) {
		organization_issues(sim, req, b, resp);
	} else {
		detail(resp, 404, "The requested resource does not exist");
	}
}
