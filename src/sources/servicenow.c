/* servicenow.c - ServiceNow incidents as tickets, through the Table API
 * (/api/now/table/TABLE), with their SLA instances (task_sla), state history
 * (sys_audit) and work notes (sys_journal_field). servicenow_map.c reads the rows
 * and says which field is which milestone.
 *
 * Every request asks for raw values (sysparm_display_value=false: UTC
 * "yyyy-MM-dd HH:mm:ss", state numbers rather than labels in the API user's
 * language and time zone), references as bare sys_ids
 * (sysparm_exclude_reference_link=true) and only the fields that are mapped,
 * names by dot-walking (assigned_to.name, business_service.name, sla.name). The
 * incident's source_id is its sys_id, not its number: sys_id never changes and is
 * what task_sla.task, sys_audit.documentkey and sys_journal_field.element_id name,
 * where a number can be renumbered and is only unique by convention.
 *
 * Stream "incident": incidents by (sys_updated_on, sys_id), a keyset rather than
 * sysparm_offset: offset paging over rows that change while they are read skips
 * one whenever another moves to the end, and the cursor would then pass it for
 * good. The query after a key (U, ID) is
 *   sys_updated_on>=U^sys_updated_on>U^ORsys_id>ID^ORDERBYsys_updated_on^ORDERBYsys_id
 * (^OR binds to the condition before it): rows of the key's own second with a
 * greater sys_id come, the ones already read do not, so a second with many
 * updates is neither skipped nor read again forever. The first round reads
 * BACKFILL_DAYS back. A row at or before the key means the instance ignored the
 * query (it drops conditions it cannot parse) and stops the stream with an error.
 * sysparm_limit applies before ACLs, so a page can come back short, even empty,
 * while rows follow: the Link header's rel="next" says whether more come, and an
 * empty page is passed by following it (its offset) as it is.
 *
 * A ticket is one record with its SLA instances and milestones (the store
 * replaces them on each write), but they live in four tables, and the engine
 * hands a parse nothing of the responses before it. So each page of incidents
 * is a chain of requests: the page (at most PAGE_LIMIT incidents), then the
 * task_sla rows of those incidents (taskIN...), then their state changes in
 * sys_audit (the first move to In Progress is the acknowledgement when there is
 * no Response SLA; the reopens; the On Hold periods that pause the SLA clock),
 * whereupon the records are written, then their work notes. The rows of a chain
 * so far travel in the stream's cursor, as its "pending" member, committed with
 * each step; the key the next round starts from changes only when the chain
 * ends, so a chain cut short is read again whole. (Sentry carries its round's
 * state in the next URL's fragment; a page of incidents is far too big for a URL,
 * and every --trace line would show it.) Adding a work note or changing the state
 * updates the incident, so a chain sees every note and change of its incidents;
 * events are idempotent by their sys_id.
 *
 * Stream "task_sla": an SLA can change while its incident does not (the breach
 * flag, set by a scheduled job). The SLA rows by their own (sys_updated_on,
 * sys_id) keyset, with task.sys_updated_on dot-walked: a row no newer than its
 * incident is the incident stream's (it read or will read that incident with
 * its SLAs); the incidents of the other rows go through the same chain (the
 * incidents by sys_idIN, their SLAs, their history), without the notes.
 *
 * Without read access to sys_audit or sys_journal_field (the admin role reads
 * them by default) those steps answer 403, or nothing: records are written
 * without history, and the acknowledgement then needs a Response SLA.
 *
 * Auth is Basic (user and password) or an OAuth bearer token. It must not do I/O
 * or change untrusted text in records; error messages quote the server sanitized,
 * and never the credentials. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/timestamp.h"
#include "servicenow.h"

#define STREAM_INCIDENTS "incident"
#define STREAM_SLAS "task_sla"
#define TABLE_PATH "/api/now/table/"
/* Incidents per page: their sys_ids go into the next steps' URLs (35 bytes each). */
#define PAGE_LIMIT 100
/* Rows per page of the steps that read the rows of a page's incidents. */
#define CHILD_LIMIT 1000
#define BACKFILL_DAYS 90
#define STEP_FRAGMENT "#sitrep-step="

#define INCIDENT_FIELDS                                                                \
	"sys_id,number,sys_updated_on,sys_created_on,opened_at,resolved_at,closed_at," \
	"state,priority,short_description,assigned_to,assigned_to.name,"               \
	"business_service,business_service.name,cmdb_ci,cmdb_ci.name,correlation_id,"  \
	"reopen_count,reopened_time"
#define SLA_FIELDS                                                                  \
	"sys_id,task,sys_updated_on,sla,sla.name,sla.target,sla.duration,schedule," \
	"start_time,end_time,planned_end_time,pause_duration,pause_time,stage,"     \
	"has_breached"
#define SLA_CHANGE_FIELDS "sys_id,sys_updated_on,task,task.sys_updated_on"
#define AUDIT_FIELDS "sys_id,documentkey,oldvalue,newvalue,user,sys_created_on,record_checkpoint"
#define NOTE_FIELDS "sys_id,element_id,value,sys_created_on,sys_created_by"

/* The requests of a stream, in chain order; LIST starts every chain. */
enum step {
	STEP_LIST,	/* incident: the incidents; task_sla: the changed SLA rows */
	STEP_INCIDENTS, /* task_sla only: the incidents of the changed rows */
	STEP_SLAS,
	STEP_AUDIT,
	STEP_NOTES, /* incident only */
};

static const char *const step_names[] = { "list", "incidents", "slas", "audit", "notes" };

/* ---- keys ---- */

/* A position in a keyset: after this row. */
struct key {
	int64_t updated; /* TIME_NONE: none (the first round) */
	char sys_id[72];
};

static int
key_cmp(const struct key *a, const struct key *b)
{
	if (a->updated != b->updated)
		return a->updated < b->updated ? -1 : 1;
	return strcmp(a->sys_id, b->sys_id);
}

/* "2025-03-03 10:00:00": the Table API's raw form, UTC. */
static void
raw_time(int64_t t, char *buf, size_t size)
{
	char iso[TIMESTAMP_TEXT_SIZE];

	timestamp_format(t, iso, sizeof(iso));
	snprintf(buf, size, "%.10s %.8s", iso, iso + 11);
}

/* Text that can go into an encoded query as a value: sys_ids are 32 hex digits,
 * and '^', ',' or '=' would change the query. */
static bool
query_safe(const char *s)
{
	if (!s || !*s || strlen(s) >= sizeof(((struct key *)0)->sys_id))
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static json_t *
key_json(const struct key *k)
{
	char text[32];

	raw_time(k->updated, text, sizeof(text));
	return json_pack("{s:s,s:s}", "updated", text, "sys_id", k->sys_id);
}

static bool
key_read(const json_t *obj, struct key *k)
{
	const char *updated = json_string_value(json_object_get(obj, "updated"));
	const char *id = json_string_value(json_object_get(obj, "sys_id"));

	k->updated = TIME_NONE;
	k->sys_id[0] = '\0';
	if (!updated || !query_safe(id) || !timestamp_parse(updated, &k->updated)) {
		k->updated = TIME_NONE;
		return false;
	}
	string_copy(k->sys_id, id);
	return true;
}

/* ---- the cursor ---- */

/* {"updated": U, "sys_id": ID, "pending": {...}}: the key the next chain starts
 * after (absent before the first chain ends), and the rows of the chain under way:
 *   {"upto": KEY, "more": bool, "ids": [...], "incidents": [...], "slas": [...],
 *    "audit": [...]}
 * upto is the key of the chain's last listed row, the stream's key once the chain
 * ends; more says whether the list had a next page. A cursor that is not ours
 * starts afresh: a re-read costs a round, a wrong key would lose rows. */
struct cursor {
	json_t *root; /* new */
	struct key key;
	json_t *pending; /* borrowed from root, or NULL */
};

static void
cursor_load(const struct source_ctx *ctx, const char *stream, struct cursor *c)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;

	memset(c, 0, sizeof(*c));
	c->key.updated = TIME_NONE;
	c->root = text ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_object(c->root)) {
		json_decref(c->root);
		c->root = json_object();
	}
	if (!key_read(c->root, &c->key)) {
		json_object_del(c->root, "updated");
		json_object_del(c->root, "sys_id");
	}
	c->pending = json_object_get(c->root, "pending");
	if (!json_is_object(c->pending))
		c->pending = NULL;
}

/* The cursor text: key, and pending (borrowed; NULL: none) beside it. */
static char *
cursor_text(const struct key *key, json_t *pending)
{
	json_t *root = key->updated != TIME_NONE ? key_json(key) : json_object();
	char *text;

	if (pending)
		json_object_set(root, "pending", pending);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}

/* ---- requests ---- */

/* Authorization: a bearer token when the config has one (the secret is then the
 * token), else Basic user:password. */
static enum status_code
add_headers(const struct source_ctx *ctx, struct source_request *req)
{
	const char *token = config_source_get(ctx->config, "token");
	const char *user = config_source_get(ctx->config, "user");

	if (!ctx->secret || !*ctx->secret)
		return error(SN_TYPE " %s: no token, or user and password, configured", ctx->name);
	if (token)
		source_request_bearer(req, ctx->secret);
	else if (user && *user)
		source_request_basic(req, user, ctx->secret);
	else
		return error(SN_TYPE " %s: a password needs a user", ctx->name);
	source_request_header(req, "Accept", "application/json");
	return SUCCESS;
}

/* BASE/api/now/table/TABLE?... for query, with the step's fragment (new). */
static char *
table_url(const char *base, const char *table, const char *query, const char *fields, int limit,
	  enum step step)
{
	char *q = http_escape(query), *f = http_escape(fields), *path, *url;

	path = xasprintf(TABLE_PATH
			 "%s?sysparm_query=%s&sysparm_fields=%s&sysparm_limit=%d"
			 "&sysparm_display_value=false&sysparm_exclude_reference_link=true%s%s",
			 table, q, f, limit, step == STEP_LIST ? "" : STEP_FRAGMENT,
			 step == STEP_LIST ? "" : step_names[step]);
	url = source_url(base, path);
	free(path);
	free(q);
	free(f);
	return url;
}

static const char *
base_url(const struct source_ctx *ctx)
{
	return config_source_get(ctx->config, "url");
}

/* The first page of a stream's list, after key (or BACKFILL_DAYS back). */
static char *
list_url(const struct source_ctx *ctx, const char *stream, const struct key *key)
{
	bool slas = streq(stream, STREAM_SLAS);
	char at[32], *query, *url;

	if (key->updated == TIME_NONE) {
		raw_time(ctx->now - BACKFILL_DAYS * 86400, at, sizeof(at));
		query = xasprintf("%ssys_updated_on>=%s",
				  slas ? "task.sys_class_name=incident^" : "", at);
	} else {
		raw_time(key->updated, at, sizeof(at));
		query = xasprintf("%ssys_updated_on>=%s^sys_updated_on>%s^ORsys_id>%s",
				  slas ? "task.sys_class_name=incident^" : "", at, at, key->sys_id);
	}
	url = xasprintf("%s^ORDERBYsys_updated_on^ORDERBYsys_id", query);
	free(query);
	query = url;
	url = table_url(base_url(ctx), slas ? "task_sla" : "incident", query,
			slas ? SLA_CHANGE_FIELDS : INCIDENT_FIELDS, PAGE_LIMIT, STEP_LIST);
	free(query);
	return url;
}

/* "a,b,c" of the strings of ids (new). */
static char *
id_list(const json_t *ids)
{
	const json_t *id;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	json_array_foreach((json_t *)(uintptr_t)ids, i, id)
	{
		if (i > 0)
			buf_addch(&b, ',');
		buf_addstr(&b, json_string_value(id));
	}
	return buf_detach(&b);
}

/* The request of a chain step for the incidents ids. */
static char *
step_url(const struct source_ctx *ctx, enum step step, const json_t *ids)
{
	char *list = id_list(ids), *query, *url;

	switch (step) {
	case STEP_INCIDENTS:
		query = xasprintf("sys_idIN%s", list);
		url = table_url(base_url(ctx), "incident", query, INCIDENT_FIELDS, PAGE_LIMIT,
				step);
		break;
	case STEP_SLAS:
		query = xasprintf("taskIN%s^ORDERBYsys_id", list);
		url = table_url(base_url(ctx), "task_sla", query, SLA_FIELDS, CHILD_LIMIT, step);
		break;
	case STEP_AUDIT:
		query = xasprintf("tablename=incident^fieldname=state^documentkeyIN%s"
				  "^ORDERBYsys_created_on^ORDERBYsys_id",
				  list);
		url = table_url(base_url(ctx), "sys_audit", query, AUDIT_FIELDS, CHILD_LIMIT, step);
		break;
	default:
		query = xasprintf("name=incident^element=work_notes^element_idIN%s"
				  "^ORDERBYsys_created_on^ORDERBYsys_id",
				  list);
		url = table_url(base_url(ctx), "sys_journal_field", query, NOTE_FIELDS, CHILD_LIMIT,
				step);
		break;
	}
	free(query);
	free(list);
	return url;
}

static enum status_code
set_next(const struct source_ctx *ctx, const char *stream, struct source_page *page, char *url)
{
	struct source_request *r = xcalloc(1, sizeof(*r));

	r->stream = xstrdup(stream);
	r->method = xstrdup("GET");
	r->url = url;
	page->next = r;
	return add_headers(ctx, r);
}

static enum step
step_of(const char *url)
{
	const char *p = url ? strstr(url, STEP_FRAGMENT) : NULL;

	for (size_t i = 1; p && i < ARRAY_SIZE(step_names); i++)
		if (streq(p + strlen(STEP_FRAGMENT), step_names[i]))
			return (enum step)i;
	return STEP_LIST;
}

static const char *
table_of(const char *stream, enum step step)
{
	switch (step) {
	case STEP_LIST:
		return streq(stream, STREAM_SLAS) ? "task_sla" : "incident";
	case STEP_INCIDENTS:
		return "incident";
	case STEP_SLAS:
		return "task_sla";
	case STEP_AUDIT:
		return "sys_audit";
	default:
		return "sys_journal_field";
	}
}

/* The Link header's next page, on the configured url (the credentials go to no
 * other host), with the step's fragment (new); NULL when there is none. */
static enum status_code
link_next(const struct source_ctx *ctx, const char *stream, enum step step,
	  const struct http_response *resp, char **out)
{
	char *link = http_link_next(resp), *text, *path;
	const char *p = link ? strstr(link, "/api/now/") : NULL;
	const char *table = table_of(stream, step);
	size_t plen = p ? strcspn(p, "?#") : 0, tlen = strlen(table);

	*out = NULL;
	if (!link)
		return SUCCESS;
	if (!p || p[plen] != '?' || plen < tlen + 1 || strncmp(p + plen - tlen, table, tlen) != 0 ||
	    p[plen - tlen - 1] != '/') {
		text = source_error_text(link, strlen(link));
		free(link);
		error(SN_TYPE " %s: the Link header's next page \"%s\" is not a page of %s", stream,
		      text, table);
		free(text);
		return ERROR_CUSTOM_MESSAGE;
	}
	path = xasprintf("%.*s%s%s", (int)strcspn(p, "#"), p,
			 step == STEP_LIST ? "" : STEP_FRAGMENT,
			 step == STEP_LIST ? "" : step_names[step]);
	*out = source_url(base_url(ctx), path);
	free(path);
	free(link);
	return SUCCESS;
}

/* Whether the array holds the string s. */
static bool
has_string(const json_t *array, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach((json_t *)(uintptr_t)array, i, v)
	{
		if (streq(json_string_value(v), s))
			return true;
	}
	return false;
}

/* ---- plan ---- */

static enum status_code
servicenow_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	static const char *const streams[] = { STREAM_INCIDENTS, STREAM_SLAS };
	const char *base = ctx->config ? base_url(ctx) : NULL;

	if (!base || !*base)
		return error(SN_TYPE " %s: no url configured (the instance, "
				     "https://NAME.service-now.com)",
			     ctx->name);
	for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
		struct cursor c;
		struct source_request *req;
		enum status_code code;

		cursor_load(ctx, streams[i], &c);
		req = source_request_add(out, n, streams[i], "GET",
					 list_url(ctx, streams[i], &c.key));
		json_decref(c.root);
		if ((code = add_headers(ctx, req)) != SUCCESS)
			return code;
	}
	return SUCCESS;
}

/* ---- the steps ---- */

struct parse_state {
	const struct source_ctx *ctx;
	const char *stream;
	enum step step;
	const struct http_response *resp;
	struct source_page *page;
	struct cursor cur;
	const json_t *rows; /* the response's result */
};

/* The chain is over: the stream's key moves to upto, and the list goes on when it
 * had more. */
static enum status_code
finish(struct parse_state *ps, const struct key *upto, bool more)
{
	ps->page->cursor = cursor_text(upto, NULL);
	if (!more)
		return SUCCESS;
	return set_next(ps->ctx, ps->stream, ps->page, list_url(ps->ctx, ps->stream, upto));
}

/* The next step of the chain, with pending saved beside the unchanged key. */
static enum status_code
next_step(struct parse_state *ps, json_t *pending, enum step step)
{
	ps->page->cursor = cursor_text(&ps->cur.key, pending);
	return set_next(ps->ctx, ps->stream, ps->page,
			step_url(ps->ctx, step, json_object_get(pending, "ids")));
}

/* The pending rows this step continues, or an error. */
static enum status_code
need_pending(struct parse_state *ps, const char *member, struct key *upto, bool *more)
{
	const json_t *p = ps->cur.pending;

	if (!p || !key_read(json_object_get(p, "upto"), upto) ||
	    !json_is_array(json_object_get(p, "ids")) ||
	    (member && !json_is_array(json_object_get(p, member))))
		return error(SN_TYPE " %s: the %s step found no rows of the steps before it in the "
				     "sync state (a cursor changed meanwhile?)",
			     ps->stream, step_names[ps->step]);
	*more = json_is_true(json_object_get(p, "more"));
	return SUCCESS;
}

/* An empty list page: the end, unless Link names a next page (rows hidden by ACLs
 * filled this one). A chain cut short leaves its pending rows, dropped here. */
static enum status_code
empty_list(struct parse_state *ps)
{
	char *next;
	enum status_code code;

	if ((code = link_next(ps->ctx, ps->stream, STEP_LIST, ps->resp, &next)) != SUCCESS)
		return code;
	if (ps->cur.pending)
		ps->page->cursor = cursor_text(&ps->cur.key, NULL);
	return next ? set_next(ps->ctx, ps->stream, ps->page, next) : SUCCESS;
}

/* A listed row's key, checked to come after the stored one. */
static enum status_code
row_key(struct parse_state *ps, const struct sn_where *w, const json_t *row, struct key *k)
{
	const char *id, *label = w->label;
	char at[32], *text;
	enum status_code code;

	if ((code = sn_text(w, row, "sys_id", &id)) != SUCCESS ||
	    (code = sn_time(w, row, "sys_updated_on", &k->updated)) != SUCCESS)
		return code;
	if (!query_safe(id))
		return sn_field_error(w, "sys_id", "cannot go into a query", id);
	if (k->updated == TIME_NONE)
		return sn_field_error(w, "sys_updated_on", "is missing", NULL);
	string_copy(k->sys_id, id);
	if (ps->cur.key.updated == TIME_NONE || key_cmp(k, &ps->cur.key) > 0)
		return SUCCESS;
	raw_time(ps->cur.key.updated, at, sizeof(at));
	text = source_error_text(label ? label : id, strlen(label ? label : id));
	error(SN_TYPE " %s: %s row %zu (%s) is not after the cursor (%s, %s): the instance "
		      "ignored the query; stopped",
	      ps->stream, w->table, w->index, text, at, ps->cur.key.sys_id);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

/* The incidents of a list page: checked, then a chain for their SLAs. */
static enum status_code
list_incidents(struct parse_state *ps)
{
	struct sn_where w = { .stream = ps->stream, .table = "incident" };
	struct key upto = { .updated = TIME_NONE }, k;
	json_t *pending, *ids = json_array();
	const json_t *row;
	enum status_code code = SUCCESS;
	char *more = NULL;

	if (json_array_size(ps->rows) == 0) {
		json_decref(ids);
		return empty_list(ps);
	}
	if ((code = sn_check_rows(ps->stream, "incident", ps->rows)) != SUCCESS)
		goto out;
	json_array_foreach((json_t *)(uintptr_t)ps->rows, w.index, row)
	{
		w.label = json_string_value(json_object_get(row, "number"));
		if ((code = row_key(ps, &w, row, &k)) != SUCCESS)
			goto out;
		if (upto.updated == TIME_NONE || key_cmp(&k, &upto) > 0)
			upto = k;
		json_array_append_new(ids, json_string(k.sys_id));
	}
	if ((code = link_next(ps->ctx, ps->stream, STEP_LIST, ps->resp, &more)) != SUCCESS)
		goto out;
	pending = json_pack("{s:o,s:b,s:O,s:O,s:[],s:[]}", "upto", key_json(&upto), "more",
			    more != NULL, "ids", ids, "incidents", ps->rows, "slas", "audit");
	code = next_step(ps, pending, STEP_SLAS);
	json_decref(pending);
out:
	free(more);
	json_decref(ids);
	return code;
}

/* The SLA rows that changed: those newer than their incident send the incident
 * through a chain. */
static enum status_code
list_slas(struct parse_state *ps)
{
	struct sn_where w = { .stream = ps->stream, .table = "task_sla" };
	struct key upto = { .updated = TIME_NONE }, k;
	json_t *pending, *ids = json_array();
	const json_t *row;
	enum status_code code = SUCCESS;
	char *more = NULL;

	if (json_array_size(ps->rows) == 0) {
		json_decref(ids);
		return empty_list(ps);
	}
	json_array_foreach((json_t *)(uintptr_t)ps->rows, w.index, row)
	{
		const char *task;
		int64_t task_updated;

		w.label = NULL;
		if (!json_is_object(row)) {
			code = error(SN_TYPE " %s: task_sla row %zu is not an object", ps->stream,
				     w.index);
			goto out;
		}
		if ((code = row_key(ps, &w, row, &k)) != SUCCESS ||
		    (code = sn_text(&w, row, "task", &task)) != SUCCESS ||
		    (code = sn_time(&w, row, "task.sys_updated_on", &task_updated)) != SUCCESS)
			goto out;
		if (!query_safe(task)) {
			code = sn_field_error(&w, "task", "is not a sys_id", task);
			goto out;
		}
		if (upto.updated == TIME_NONE || key_cmp(&k, &upto) > 0)
			upto = k;
		/* Unknown (the incident unreadable): refresh rather than miss it. */
		if (task_updated != TIME_NONE && task_updated >= k.updated)
			continue;
		if (!has_string(ids, task))
			json_array_append_new(ids, json_string(task));
	}
	if ((code = link_next(ps->ctx, ps->stream, STEP_LIST, ps->resp, &more)) != SUCCESS)
		goto out;
	if (json_array_size(ids) == 0) {
		code = finish(ps, &upto, more != NULL);
		goto out;
	}
	pending = json_pack("{s:o,s:b,s:O,s:[],s:[],s:[]}", "upto", key_json(&upto), "more",
			    more != NULL, "ids", ids, "incidents", "slas", "audit");
	code = next_step(ps, pending, STEP_INCIDENTS);
	json_decref(pending);
out:
	free(more);
	json_decref(ids);
	return code;
}

/* The incidents a task_sla chain refreshes: those the instance returned among the
 * ones asked for. */
static enum status_code
step_incidents(struct parse_state *ps)
{
	json_t *pending, *ids = json_array(), *rows = json_array();
	const json_t *row, *asked;
	struct key upto;
	bool more;
	size_t i;
	enum status_code code;

	if ((code = need_pending(ps, NULL, &upto, &more)) != SUCCESS ||
	    (code = sn_check_rows(ps->stream, "incident", ps->rows)) != SUCCESS)
		goto out;
	asked = json_object_get(ps->cur.pending, "ids");
	json_array_foreach((json_t *)(uintptr_t)ps->rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "sys_id"));

		if (has_string(asked, id) && !has_string(ids, id)) {
			json_array_append_new(ids, json_string(id));
			json_array_append(rows, (json_t *)(uintptr_t)row);
		}
	}
	/* Rows, and none of them asked for: the sys_idIN condition was dropped. */
	if (json_array_size(rows) == 0 && json_array_size(ps->rows) > 0) {
		code = error(SN_TYPE " %s: the incidents step got none of the %zu incidents it "
				     "asked for: the instance ignored the query; stopped",
			     ps->stream, json_array_size(asked));
		goto out;
	}
	/* None (deleted, or hidden by ACLs): the rows that named them are done. */
	if (json_array_size(rows) == 0) {
		code = finish(ps, &upto, more);
		goto out;
	}
	pending = json_deep_copy(ps->cur.pending);
	json_object_set(pending, "ids", ids);
	json_object_set(pending, "incidents", rows);
	code = next_step(ps, pending, STEP_SLAS);
	json_decref(pending);
out:
	json_decref(ids);
	json_decref(rows);
	return code;
}

/* SLAs and state changes: added to the pending rows page by page; after the last
 * page of the history, the records are written. */
static enum status_code
step_rows(struct parse_state *ps, const char *member, const char *table)
{
	json_t *pending;
	struct key upto;
	bool more;
	char *link = NULL;
	enum status_code code;

	if ((code = need_pending(ps, member, &upto, &more)) != SUCCESS ||
	    (code = sn_check_rows(ps->stream, table, ps->rows)) != SUCCESS ||
	    (code = link_next(ps->ctx, ps->stream, ps->step, ps->resp, &link)) != SUCCESS)
		return code;
	pending = json_deep_copy(ps->cur.pending);
	json_array_extend(json_object_get(pending, member), (json_t *)(uintptr_t)ps->rows);
	if (link) {
		ps->page->cursor = cursor_text(&ps->cur.key, pending);
		code = set_next(ps->ctx, ps->stream, ps->page, link);
	} else if (ps->step == STEP_SLAS) {
		code = next_step(ps, pending, STEP_AUDIT);
	} else {
		code = sn_emit_incidents(ps->ctx, ps->stream, json_object_get(pending, "incidents"),
					 json_object_get(pending, "slas"),
					 json_object_get(pending, "audit"), ps->page);
		if (code == SUCCESS && streq(ps->stream, STREAM_INCIDENTS)) {
			json_object_del(pending, "incidents");
			json_object_del(pending, "slas");
			json_object_del(pending, "audit");
			code = next_step(ps, pending, STEP_NOTES);
		} else if (code == SUCCESS) {
			code = finish(ps, &upto, more);
		}
	}
	json_decref(pending);
	return code;
}

static enum status_code
step_notes(struct parse_state *ps)
{
	struct key upto;
	bool more;
	char *link = NULL;
	enum status_code code;

	if ((code = need_pending(ps, NULL, &upto, &more)) != SUCCESS ||
	    (code = sn_emit_notes(ps->stream, ps->rows, ps->page)) != SUCCESS ||
	    (code = link_next(ps->ctx, ps->stream, ps->step, ps->resp, &link)) != SUCCESS)
		return code;
	if (link)
		return set_next(ps->ctx, ps->stream, ps->page, link);
	return finish(ps, &upto, more);
}

/* ---- responses ---- */

static const char *
status_hint(long status)
{
	switch (status) {
	case 401:
		return " (check user and password, or the token)";
	case 403:
		return " (the user needs read access to the table: role itil, or an ACL)";
	case 404:
		return " (check url: the instance, without a path)";
	default:
		return "";
	}
}

/* Retry-After, and X-RateLimit-Reset (an epoch second: the next hourly window). */
static void
rate_note(const struct http_response *resp, char *buf, size_t size)
{
	const char *reset = http_header_get(resp, "X-RateLimit-Reset");
	int64_t after = http_retry_after(resp, time_now()), at;
	char when[TIMESTAMP_TEXT_SIZE];
	size_t len = 0;

	buf[0] = '\0';
	if (resp->status != 429)
		return;
	if (after >= 0)
		len = (size_t)snprintf(buf, size, "; retry after %llds", (long long)after);
	if (reset && timestamp_parse(reset, &at) && len < size) {
		timestamp_format(at, when, sizeof(when));
		snprintf(buf + len, size - len, "; the limit resets at %s", when);
	}
}

/* {"error": {"message": "...", "detail": "..."}, "status": "failure"}. */
static enum status_code
envelope_error(const char *stream, const struct http_response *resp, const json_t *err)
{
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *detail = json_string_value(json_object_get(err, "detail"));
	char *m = source_error_text(msg ? msg : "", msg ? strlen(msg) : 0);
	char *d = source_error_text(detail ? detail : "", detail ? strlen(detail) : 0);
	char note[128];

	rate_note(resp, note, sizeof(note));
	error(SN_TYPE " %s: HTTP %ld: %s%s%s%s%s", stream, resp->status, *m ? m : "(no message)",
	      *d ? ": " : "", d, status_hint(resp->status), note);
	free(m);
	free(d);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
http_error(const char *stream, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const json_t *err = json_object_get(root, "error");
	enum status_code code;
	char note[128];

	if (json_is_object(err)) {
		code = envelope_error(stream, resp, err);
	} else {
		rate_note(resp, note, sizeof(note));
		code = source_check_response(SN_TYPE, stream, resp);
		if (note[0] || *status_hint(resp->status)) {
			/* error() writes where status_message() reads from. */
			char *text = xstrdup(status_message(code));
			size_t len = strlen(text);

			/* A text body's final newline arrives as a space. */
			while (len > 0 && text[len - 1] == ' ')
				text[--len] = '\0';
			code = error("%s%s%s", text, status_hint(resp->status), note);
			free(text);
		}
	}
	json_decref(root);
	return code;
}

/* The response's result array into ps->rows (borrowed from *root, new). */
static enum status_code
read_result(struct parse_state *ps, json_t **root)
{
	const json_t *result, *err;
	enum status_code code;

	if ((code = source_check_response(SN_TYPE, ps->stream, ps->resp)) != SUCCESS ||
	    (code = source_parse_json(SN_TYPE, ps->stream, ps->resp, root)) != SUCCESS)
		return code;
	result = json_object_get(*root, "result");
	err = json_object_get(*root, "error");
	if (!result && json_is_object(err))
		return envelope_error(ps->stream, ps->resp, err);
	if (!json_is_array(result))
		return error(SN_TYPE " %s: the %s response has no result array", ps->stream,
			     table_of(ps->stream, ps->step));
	ps->rows = result;
	return SUCCESS;
}

static enum status_code
run_step(struct parse_state *ps)
{
	switch (ps->step) {
	case STEP_LIST:
		return streq(ps->stream, STREAM_SLAS) ? list_slas(ps) : list_incidents(ps);
	case STEP_INCIDENTS:
		return step_incidents(ps);
	case STEP_SLAS:
		return step_rows(ps, "slas", "task_sla");
	case STEP_AUDIT:
		return step_rows(ps, "audit", "sys_audit");
	default:
		return step_notes(ps);
	}
}

static enum status_code
servicenow_parse(const struct source_ctx *ctx, const struct source_request *req,
		 const struct http_response *resp, struct source_page *page)
{
	struct parse_state ps = { .ctx = ctx, .stream = req->stream, .resp = resp, .page = page };
	struct http_response forbidden = { .status = 200 };
	json_t *root = NULL;
	enum status_code code;

	if (!streq(req->stream, STREAM_INCIDENTS) && !streq(req->stream, STREAM_SLAS))
		return error(SN_TYPE " %s: not a stream of this source", req->stream);
	ps.step = step_of(req->url);
	/* History and notes are a bonus: without read access, the records go without. */
	if ((ps.step == STEP_AUDIT || ps.step == STEP_NOTES) && resp->status == 403) {
		root = json_array();
		ps.rows = root;
		ps.resp = &forbidden; /* no rows, no next page */
	} else if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big) {
		return http_error(req->stream, resp);
	} else if ((code = read_result(&ps, &root)) != SUCCESS) {
		json_decref(root);
		return code;
	}
	cursor_load(ctx, req->stream, &ps.cur);
	code = run_step(&ps);
	json_decref(ps.cur.root);
	json_decref(root);
	return code;
}

const struct source_ops source_servicenow_ops = {
	.type = SN_TYPE,
	.plan = servicenow_plan,
	.parse = servicenow_parse,
};
