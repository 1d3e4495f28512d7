/* view_incidents.c - the incidents, newest first, and the tickets (the same list
 * with each ticket's SLA time left); Enter opens an incident's timeline
 * (view_timeline.c), J its upstream record. Open incidents stand out by severity;
 * resolved ones are muted.
 *
 * Beside the list, on a terminal at least PANEL_MIN_COLS wide or when p asks for it,
 * a panel of the selected service's MTTD, MTTA, MTTC and MTTR (median, mean, p90,
 * n), availability, MTBF and SLA compliance over the last 7, 30 or 90 days (w): the
 * engine and inputs of `sitrep mttx` (sitrep/engine.h), so the two always agree. The
 * figures are computed when the selection moves to another service, the window
 * changes or the cache does; not on every frame. */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/engine.h"
#include "sitrep/timestamp.h"

#include <math.h>

enum incident_column {
	COL_SEVERITY,
	COL_SERVICE,
	COL_STATUS,
	COL_AGE,
	COL_SOURCE,
	COL_TITLE,
	COL_SLA, /* tickets only */
};

static const struct list_column columns[] = {
	[COL_SEVERITY] = { "SEV", 4, false, true },
	[COL_SERVICE] = { "SERVICE", 12, false, true },
	[COL_STATUS] = { "STATUS", 8, false, false },
	[COL_AGE] = { "AGE", 7, true, false },
	[COL_SOURCE] = { "SOURCE", 12, false, true },
	[COL_TITLE] = { "TITLE", 0, false, false },
};

/* Tickets: their state in words, and at the right edge the SLA time left, since "how
 * long until we breach" is what a ticket queue is read for. */
static const struct list_column ticket_columns[] = {
	[COL_SEVERITY] = { "SEV", 4, false, true },
	[COL_SERVICE] = { "SERVICE", 12, false, true },
	[COL_STATUS] = { "STATE", 12, false, false },
	[COL_AGE] = { "AGE", 7, true, false },
	[COL_SOURCE] = { "SOURCE", 10, false, true },
	[COL_TITLE] = { "TITLE", 0, false, false },
	[COL_SLA] = { "SLA LEFT", 9, true, false },
};

#define PANEL_MIN_COLS 140 /* the MTTx panel shows by itself from this width */
#define PANEL_WIDTH 40

static const struct {
	const char *name;
	int64_t seconds;
} mttx_windows[] = {
	{ "7d", 7 * 86400 },
	{ "30d", 30 * 86400 },
	{ "90d", 90 * 86400 },
};

static const char *
mttx_window_name(size_t i)
{
	return mttx_windows[i].name;
}

struct panel {
	int shown; /* -1: by the terminal's width; 0 hidden, 1 shown (p) */
	size_t window;
	bool valid;    /* figures holds what service and window ask for */
	char *service; /* the figures' service; "" for every service */
	struct mttx_result result;
	bool has_result;
	char error[160];
};

struct incidents_view {
	struct list list;
	struct panel panel;
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

/* A ticket's SLA: the time left on the running SLA due first, colored by how close it
 * is to its target; "breached" once past it; "met" or "breached" once stopped. */
static enum color_role
sla_cell(const struct store_incident_row *r, int64_t now, char *buf, size_t size)
{
	int64_t left, target;

	if (!r->has_sla) {
		snprintf(buf, size, "-");
		return COLOR_MUTED;
	}
	if (!r->sla_running) {
		snprintf(buf, size, "%s", r->sla_breached ? "breached" : "met");
		return r->sla_breached ? COLOR_BAD : COLOR_MUTED;
	}
	if (r->sla_breached || (r->sla_due_at != TIME_NONE && r->sla_due_at <= now)) {
		snprintf(buf, size, "breached");
		return COLOR_CRITICAL;
	}
	if (r->sla_due_at == TIME_NONE) {
		snprintf(buf, size, "%s", r->sla_paused ? "paused" : "-");
		return COLOR_MUTED;
	}
	left = r->sla_due_at - now;
	format_age(now, r->sla_due_at, buf, size);
	if (r->sla_paused) {
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, " ||");
		return COLOR_INFO;
	}
	/* Urgent within a tenth of the target (at least 15 minutes), close within a
	 * quarter of it (at least an hour). */
	target = r->sla_target != TIME_NONE && r->sla_target > 0 ? r->sla_target : 4 * 3600;
	if (left <= (target / 10 > 900 ? target / 10 : 900))
		return COLOR_HIGH;
	if (left <= (target / 4 > 3600 ? target / 4 : 3600))
		return COLOR_WARNING;
	return COLOR_GOOD;
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
	case COL_SLA:
		return sla_cell(r, tui->now, buf, size);
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

static void
list_setup(struct view *view, struct incidents_view *v)
{
	if (v->list.ops)
		return;
	if (view->ops == &tickets_ops)
		list_init(&v->list, &incidents_list_ops, ticket_columns,
			  ARRAY_SIZE(ticket_columns));
	else
		list_init(&v->list, &incidents_list_ops, columns, ARRAY_SIZE(columns));
	v->panel.shown = -1;
	v->panel.window = 1; /* 30 days, as `sitrep mttx` by default */
}

static void
panel_forget(struct panel *p)
{
	if (p->has_result)
		mttx_result_release(&p->result);
	p->has_result = false;
	p->valid = false;
	free(p->service);
	p->service = NULL;
}

static enum status_code
incidents_load(struct view *view, struct tui *tui)
{
	struct incidents_view *v = view->private;

	list_setup(view, v);
	panel_forget(&v->panel); /* the cache changed, or the list did */
	snprintf(view->subtitle, sizeof(view->subtitle), "%s%s%.100s",
		 v->list.open_only ? "open" : "all", v->list.filter[0] ? ", /" : "",
		 v->list.filter);
	return list_reload(&v->list, view, tui);
}

/* ---- the MTTx panel ---- */

static bool
panel_shown(const struct panel *p, int width)
{
	return p->shown < 0 ? width >= PANEL_MIN_COLS : p->shown == 1;
}

/* The figures of service ("" for all) over the window ending now, through the
 * engine `sitrep mttx` runs, with the config's objectives. */
static void
panel_compute(struct panel *p, struct tui *tui, const char *service)
{
	const char *names[1] = { service };
	struct mx_window window = { tui->now - mttx_windows[p->window].seconds, tui->now };
	struct service_set set;
	enum status_code code;

	panel_forget(p);
	p->service = xstrdup(service);
	p->valid = true;
	p->error[0] = '\0';
	code = service_set_load(tui->store, names, *service ? 1 : 0, &set);
	if (code == SUCCESS) {
		service_set_apply_config(&set, &tui->cfg);
		code = mttx_run(tui->store, &set, &window, NULL, 0, &p->result);
		p->has_result = code == SUCCESS;
		service_set_release(&set);
	}
	if (code != SUCCESS)
		snprintf(p->error, sizeof(p->error), "%s", status_message(code));
}

/* Minutes as "1h 05m", "-" when undefined (as `sitrep mttx` prints them). */
static const char *
minutes_text(double minutes, char *buf, size_t size)
{
	if (isnan(minutes))
		snprintf(buf, size, "-");
	else
		duration_format((int64_t)llround(minutes * 60), buf, size);
	return buf;
}

static void
panel_stat(WINDOW *win, int y, int x, int width, const char *name, const struct mx_stat *s)
{
	char line[96], a[24], b[24], c[24];

	snprintf(line, sizeof(line), "%-5s %7s %7s %7s %4zu", name,
		 minutes_text(s->median, a, sizeof(a)), minutes_text(s->mean, b, sizeof(b)),
		 minutes_text(s->p90, c, sizeof(c)), s->n);
	draw_text(win, y, x, width, role_attr(s->n ? COLOR_DEFAULT : COLOR_MUTED), line);
}

static void
panel_draw(struct panel *p, WINDOW *win, int x, int width)
{
	const struct mttx_figures *f;
	char line[96], a[24];
	int y = 0, height = getmaxy(win);

	for (int row = 0; row < height; row++)
		draw_text(win, row, x - 1, 1, role_attr(COLOR_CHART_AXIS),
			  draw_glyph("\u2502", "|"));
	draw_fill(win, 0, x, role_attr(COLOR_HEADER));
	snprintf(line, sizeof(line), "MTTx %.60s, last %s (w)", p->service[0] ? p->service : "all",
		 mttx_windows[p->window].name);
	draw_text(win, y++, x, width, role_attr(COLOR_HEADER), line);
	if (!p->has_result) {
		draw_text(win, y + 1, x, width, role_attr(COLOR_ERROR), p->error);
		return;
	}
	f = p->service[0] && p->result.n_services ? &p->result.services[0] : &p->result.all;
	snprintf(line, sizeof(line), "%-5s %7s %7s %7s %4s", "", "median", "mean", "p90", "n");
	draw_text(win, y++, x, width, role_attr(COLOR_MUTED), line);
	panel_stat(win, y++, x, width, "MTTD", &f->ttd);
	panel_stat(win, y++, x, width, "MTTA", &f->tta);
	panel_stat(win, y++, x, width, "MTTC", &f->ttc);
	panel_stat(win, y++, x, width, "MTTR", &f->ttr);
	y++;
	if (isnan(f->availability))
		snprintf(line, sizeof(line), "%-14s -", "availability");
	else
		snprintf(line, sizeof(line), "%-14s %.3f%%", "availability", f->availability * 100);
	draw_text(win, y++, x, width,
		  role_attr(!isnan(f->availability) && f->availability < 0.999 ? COLOR_WARNING
									       : COLOR_DEFAULT),
		  line);
	snprintf(line, sizeof(line), "%-14s %s", "downtime",
		 minutes_text(f->downtime, a, sizeof(a)));
	draw_text(win, y++, x, width, role_attr(COLOR_DEFAULT), line);
	snprintf(line, sizeof(line), "%-14s %zu", "failures", f->failures);
	draw_text(win, y++, x, width, role_attr(COLOR_DEFAULT), line);
	snprintf(line, sizeof(line), "%-14s %s", "MTBF", minutes_text(f->mtbf, a, sizeof(a)));
	draw_text(win, y++, x, width, role_attr(COLOR_DEFAULT), line);
	if (f->sla_met + f->sla_breached)
		snprintf(line, sizeof(line), "%-14s %zu/%zu %.1f%%", "SLA met", f->sla_met,
			 f->sla_met + f->sla_breached, f->sla_compliance * 100);
	else
		snprintf(line, sizeof(line), "%-14s -", "SLA met");
	draw_text(win, y++, x, width, role_attr(f->sla_breached ? COLOR_WARNING : COLOR_DEFAULT),
		  line);
	snprintf(line, sizeof(line), "%-14s %zu, %zu unacked", "open at end", f->open_at_window_end,
		 f->unacknowledged);
	draw_text(win, y++, x, width, role_attr(COLOR_DEFAULT), line);
}

static void
incidents_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct incidents_view *v = view->private;
	int width = getmaxx(win), height = getmaxy(win);
	const struct store_incident_row *r;
	const char *service;
	WINDOW *sub;

	if (!panel_shown(&v->panel, width) || width < PANEL_WIDTH + 40) {
		list_draw(&v->list, view, tui, win);
		return;
	}
	/* The list in what the panel leaves, as a window of its own: the list widget
	 * draws into any window it is given. */
	werase(win);
	sub = derwin(win, height, width - PANEL_WIDTH - 1, 0, 0);
	if (!sub) {
		list_draw(&v->list, view, tui, win);
		return;
	}
	wbkgdset(sub, getbkgd(win));
	list_draw(&v->list, view, tui, sub);
	delwin(sub);
	r = list_selected(&v->list);
	service = r && r->service ? r->service : "";
	if (!v->panel.valid || !streq(v->panel.service, service))
		panel_compute(&v->panel, tui, service);
	panel_draw(&v->panel, win, width - PANEL_WIDTH, PANEL_WIDTH);
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
			timeline_view_open(tui, view, r);
		return REQ_NONE;
	case REQ_RAW:
		if ((r = list_selected(&v->list)))
			raw_view_open(tui, view, r->source, r->source_id);
		return REQ_NONE;
	case REQ_ACK:
		if ((r = list_selected(&v->list)))
			act_ack(tui, r->source, r->source_id);
		return REQ_NONE;
	case REQ_TOGGLE_PANEL:
		v->panel.shown = !panel_shown(&v->panel, tui->cols);
		return REQ_NONE;
	case REQ_WINDOW:
		if (!window_step(tui, &v->panel.window, ARRAY_SIZE(mttx_windows), mttx_window_name))
			return REQ_NONE;
		v->panel.valid = false;
		if (!panel_shown(&v->panel, tui->cols))
			v->panel.shown = 1; /* a window is chosen to be seen */
		return REQ_NONE;
	default:
		return req;
	}
}

/* R: the incident's service in production, where incidents mostly are. */
static const char *
incidents_service(struct view *view, const char **environment)
{
	struct incidents_view *v = view->private;
	const struct store_incident_row *r = v->list.ops ? list_selected(&v->list) : NULL;

	*environment = NULL;
	return r && r->service && *r->service ? r->service : NULL;
}

static void
incidents_done(struct view *view)
{
	struct incidents_view *v = view->private;

	list_release(&v->list);
	panel_forget(&v->panel);
}

const struct view_ops incidents_ops = {
	.name = "incidents",
	.title = "Incidents",
	.private_size = sizeof(struct incidents_view),
	.load = incidents_load,
	.draw = incidents_draw,
	.request = incidents_request,
	.done = incidents_done,
	.service = incidents_service,
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
	.service = incidents_service,
};

void
incidents_show_service(struct tui *tui, const char *service)
{
	struct view *view = tui->views[5];
	struct incidents_view *v = view->private;

	list_setup(view, v);
	string_copy(v->list.filter, service);
	v->list.open_only = true;
	v->list.selected = v->list.top = 0;
	view->loaded = false;
	view_show(tui, view);
}
