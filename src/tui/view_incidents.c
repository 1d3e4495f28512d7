/* view_incidents.c - the incidents, newest first, and on Enter one incident's
 * timeline: its milestones (impact, detection, acknowledgement, containment,
 * resolution, close) on one time axis with the events around them, and how long
 * each step took. Open incidents stand out by severity; resolved ones are muted. */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/timestamp.h"

enum incident_column {
	COL_SEVERITY,
	COL_SERVICE,
	COL_STATUS,
	COL_AGE,
	COL_SOURCE,
	COL_TITLE,
};

static const struct list_column columns[] = {
	[COL_SEVERITY] = { "SEV", 4, false, true },
	[COL_SERVICE] = { "SERVICE", 12, false, true },
	[COL_STATUS] = { "STATUS", 8, false, false },
	[COL_AGE] = { "AGE", 7, true, false },
	[COL_SOURCE] = { "SOURCE", 12, false, true },
	[COL_TITLE] = { "TITLE", 0, false, false },
};

struct incidents_view {
	struct list list;
};

static const char *
status_of(const struct store_incident_row *r)
{
	if (r->closed_at != TIME_NONE)
		return "closed";
	if (r->resolved_at != TIME_NONE)
		return "resolved";
	if (r->contained_at != TIME_NONE)
		return "contained";
	if (r->acknowledged_at != TIME_NONE)
		return "acked";
	return "open";
}

static enum status_code
incidents_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
		bool backward, size_t n, void *rows, size_t *got)
{
	static const enum store_incident_order orders[] = {
		[COL_SEVERITY] = STORE_BY_SEVERITY,
		[COL_SERVICE] = STORE_BY_SERVICE,
		[COL_SOURCE] = STORE_BY_SOURCE,
	};
	struct store_incident_query q = {
		.order = list->sort_column < 0 ? STORE_BY_DETECTED : orders[list->sort_column],
		/* Newest first by default; a chosen column reads A to Z (P1 first). */
		.descending = list->sort_column < 0 ? !list->descending : list->descending,
		.filter = list->filter,
		.open_only = list->open_only,
		.tickets_only = view->ops == &tickets_ops,
		.anchor = anchor,
		.backward = backward,
		.limit = n,
	};

	return store_incident_rows(tui->store, &q, rows, got);
}

static void
incidents_free_row(void *row)
{
	store_incident_row_release(row);
}

static enum color_role
incidents_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf,
	       size_t size)
{
	const struct store_incident_row *r = row;
	bool open = r->resolved_at == TIME_NONE && r->closed_at == TIME_NONE;

	(void)view;
	switch ((enum incident_column)col) {
	case COL_SEVERITY:
		snprintf(buf, size, "%s", r->severity ? r->severity : "-");
		return open ? severity_role(r->severity) : COLOR_DEFAULT;
	case COL_SERVICE:
		snprintf(buf, size, "%s", r->service ? r->service : "");
		break;
	case COL_STATUS:
		snprintf(buf, size, "%s", r->ticket && r->state ? r->state : status_of(r));
		if (open && r->acknowledged_at == TIME_NONE)
			return COLOR_BAD;
		break;
	case COL_AGE:
		format_age(r->detected_at, tui->now, buf, size);
		break;
	case COL_SOURCE:
		snprintf(buf, size, "%s", r->source);
		break;
	case COL_TITLE:
		snprintf(buf, size, "%s", r->title ? r->title : r->source_id);
		break;
	}
	return COLOR_DEFAULT;
}

static enum color_role
incidents_row_role(struct view *view, const void *row)
{
	const struct store_incident_row *r = row;

	(void)view;
	return r->resolved_at == TIME_NONE && r->closed_at == TIME_NONE ? COLOR_DEFAULT
									: COLOR_MUTED;
}

static const struct list_ops incidents_list_ops = {
	.row_size = sizeof(struct store_incident_row),
	.fetch = incidents_fetch,
	.free_row = incidents_free_row,
	.cell = incidents_cell,
	.row_role = incidents_row_role,
};

static enum status_code
incidents_load(struct view *view, struct tui *tui)
{
	struct incidents_view *v = view->private;

	if (!v->list.ops)
		list_init(&v->list, &incidents_list_ops, columns, ARRAY_SIZE(columns));
	snprintf(view->subtitle, sizeof(view->subtitle), "%s%s%.100s",
		 v->list.open_only ? "open" : "all", v->list.filter[0] ? ", /" : "",
		 v->list.filter);
	return list_reload(&v->list, view, tui);
}

static void
incidents_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct incidents_view *v = view->private;

	list_draw(&v->list, view, tui, win);
}

/* ---- the timeline ---- */

static void
milestone(char ***lines, size_t *n, const char *what, int64_t at, int64_t from)
{
	char when[TIMESTAMP_TEXT_SIZE], after[32] = "";

	if (at == TIME_NONE) {
		*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
		(*lines)[(*n)++] = xasprintf("  %-13s -", what);
		return;
	}
	timestamp_format(at, when, sizeof(when));
	if (from != TIME_NONE && at >= from) {
		char d[24];

		duration_format(at - from, d, sizeof(d));
		snprintf(after, sizeof(after), "  +%s", d);
	}
	*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
	(*lines)[(*n)++] = xasprintf("  %-13s %s%s", what, when, after);
}

struct event_lines {
	char ***lines;
	size_t *n;
};

static enum status_code
add_event(void *ctx, const struct store_event *ev)
{
	struct event_lines *e = ctx;
	char when[TIMESTAMP_TEXT_SIZE];

	timestamp_format(ev->at, when, sizeof(when));
	*e->lines = xrealloc(*e->lines, (*e->n + 1) * sizeof(**e->lines));
	(*e->lines)[(*e->n)++] =
		xasprintf("  %s  %-10s %s%s%s", when, ev->kind, ev->actor ? ev->actor : "",
			  ev->text ? ": " : "", ev->text ? ev->text : "");
	return SUCCESS;
}

static void
open_timeline(struct view *view, struct tui *tui, const struct store_incident_row *r)
{
	char **lines = NULL;
	size_t n = 0;
	int64_t start = r->impact_start != TIME_NONE ? r->impact_start : r->detected_at;
	struct event_lines ev = { &lines, &n };

	lines = xrealloc(lines, 4 * sizeof(*lines));
	lines[n++] = xasprintf("%s %s  %s", r->severity ? r->severity : "-",
			       r->service ? r->service : "", r->title ? r->title : "");
	lines[n++] = xasprintf("%s %s%s%s", r->source, r->source_id, r->url ? "  " : "",
			       r->url ? r->url : "");
	lines[n++] = xstrdup("");
	lines[n++] = xstrdup("Milestones (from the impact start)");
	milestone(&lines, &n, "impact", r->impact_start, start);
	milestone(&lines, &n, "detected", r->detected_at, start);
	milestone(&lines, &n, "acknowledged", r->acknowledged_at, start);
	milestone(&lines, &n, "contained", r->contained_at, start);
	milestone(&lines, &n, "resolved", r->resolved_at, start);
	milestone(&lines, &n, "closed", r->closed_at, start);
	lines = xrealloc(lines, (n + 2) * sizeof(*lines));
	lines[n++] = xstrdup("");
	lines[n++] = xstrdup("Events");
	if (store_incident_events(tui->store, r->source, r->source_id, add_event, &ev) != SUCCESS) {
		lines = xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = xasprintf("  (%s)", status_message(ERROR_CUSTOM_MESSAGE));
	}
	text_view_open(tui, view, r->source_id, lines, n);
}

static enum request
incidents_request(struct view *view, struct tui *tui, enum request req)
{
	struct incidents_view *v = view->private;
	const struct store_incident_row *r;

	req = list_request(&v->list, view, tui, req);
	switch (req) {
	case REQ_ENTER:
		if ((r = list_selected(&v->list)))
			open_timeline(view, tui, r);
		return REQ_NONE;
	default:
		return req;
	}
}

static void
incidents_done(struct view *view)
{
	struct incidents_view *v = view->private;

	list_release(&v->list);
}

const struct view_ops incidents_ops = {
	.name = "incidents",
	.title = "Incidents",
	.private_size = sizeof(struct incidents_view),
	.load = incidents_load,
	.draw = incidents_draw,
	.request = incidents_request,
	.done = incidents_done,
};

/* Tickets: the same list, of the incidents that are tickets. */
const struct view_ops tickets_ops = {
	.name = "tickets",
	.title = "Tickets",
	.private_size = sizeof(struct incidents_view),
	.load = incidents_load,
	.draw = incidents_draw,
	.request = incidents_request,
	.done = incidents_done,
};

void
incidents_show_service(struct tui *tui, const char *service)
{
	struct view *view = tui->views[5];
	struct incidents_view *v = view->private;

	if (!v->list.ops)
		list_init(&v->list, &incidents_list_ops, columns, ARRAY_SIZE(columns));
	string_copy(v->list.filter, service);
	v->list.open_only = true;
	v->list.selected = v->list.top = 0;
	view->loaded = false;
	view_show(tui, view);
}
