/* view_timeline.c - one incident on one time axis: impact, detection,
 * acknowledgement, containment, resolution and close marked across the width, the
 * axis colored by phase, and under it how long each step took (TTD impact to
 * detection, TTA detection to acknowledgement, TTC detection to containment, TTR
 * impact to resolution, as `sitrep mttx` measures them) as spans on the same axis;
 * then the service's deployments around it (the one that caused it marked), the
 * other records of its family (the tickets and alerts linked to it) as bars, and its
 * events as ticks; below, the events as a list that j/k scroll. J shows the upstream
 * record as it arrived.
 *
 * Load reads the family, the deployments and the events; draw lays them out for the
 * width it is given, so a resize needs nothing here. */
#include "tui.h"
#include "chart.h"
#include "sitrep/console_store.h"
#include "sitrep/timestamp.h"

#include <time.h>

#define LABEL_WIDTH 12 /* the column of row names at the left */
#define FAMILY_ROWS 4  /* other records of the family shown as bars */
#define DEPLOYS_MAX 64

enum milestone {
	MS_IMPACT,
	MS_DETECT,
	MS_ACK,
	MS_CONTAIN,
	MS_RESOLVE,
	MS_CLOSE,
	MS_COUNT
};

static const char *const milestone_names[MS_COUNT] = {
	"impact", "detect", "ack", "contain", "resolve", "close",
};

/* The color of the axis after each milestone, until the next: red while the impact
 * goes undetected, through to green once resolved. */
static const enum color_role phase_roles[MS_COUNT] = {
	COLOR_CRITICAL, COLOR_HIGH, COLOR_WARNING, COLOR_INFO, COLOR_GOOD, COLOR_MUTED,
};

struct timeline_event {
	int64_t at;
	char *kind, *actor, *text;
};

struct timeline_view {
	/* Which incident: the rest is read again on every load. */
	char *source, *source_id, *parent_source, *parent_id;
	struct store_incident_row *family; /* the root and its children */
	size_t n_family;
	const struct store_incident_row *self; /* in family; NULL when gone */
	struct store_deploy_row *deploys;
	size_t n_deploys;
	struct timeline_event *events;
	size_t n_events;
	int64_t from, to; /* the axis */
	size_t top;	  /* the first event shown */
	int list_height;
};

/* ---- loading ---- */

static void
timeline_clear(struct timeline_view *t)
{
	store_incident_rows_free(t->family, t->n_family);
	t->family = NULL;
	t->n_family = 0;
	t->self = NULL;
	store_deploy_rows_free(t->deploys, t->n_deploys);
	t->deploys = NULL;
	t->n_deploys = 0;
	for (size_t i = 0; i < t->n_events; i++) {
		free(t->events[i].kind);
		free(t->events[i].actor);
		free(t->events[i].text);
	}
	free(t->events);
	t->events = NULL;
	t->n_events = 0;
}

static enum status_code
add_event(void *ctx, const struct store_event *ev)
{
	struct timeline_view *t = ctx;
	struct timeline_event *e;

	t->events = xrealloc(t->events, (t->n_events + 1) * sizeof(*t->events));
	e = &t->events[t->n_events++];
	e->at = ev->at;
	e->kind = xstrdup(ev->kind ? ev->kind : "");
	e->actor = ev->actor ? xstrdup(ev->actor) : NULL;
	e->text = ev->text ? xstrdup(ev->text) : NULL;
	return SUCCESS;
}

static void
milestones_of(const struct store_incident_row *r, int64_t ms[MS_COUNT])
{
	ms[MS_IMPACT] = r->impact_start;
	ms[MS_DETECT] = r->detected_at;
	ms[MS_ACK] = r->acknowledged_at;
	ms[MS_CONTAIN] = r->contained_at;
	ms[MS_RESOLVE] = r->resolved_at;
	ms[MS_CLOSE] = r->closed_at;
}

static bool
is_open(const struct store_incident_row *r)
{
	return r->resolved_at == TIME_NONE && r->closed_at == TIME_NONE;
}

/* The end of r's bar: closed, else resolved, else now. */
static int64_t
end_of(const struct store_incident_row *r, int64_t now)
{
	if (r->closed_at != TIME_NONE)
		return r->closed_at;
	return r->resolved_at != TIME_NONE ? r->resolved_at : now;
}

static int64_t
deploy_at(const struct store_deploy_row *d)
{
	return d->started_at != TIME_NONE ? d->started_at : d->finished_at;
}

static void
widen(int64_t *from, int64_t *to, int64_t t)
{
	if (t == TIME_NONE)
		return;
	if (*from == TIME_NONE || t < *from)
		*from = t;
	if (*to == TIME_NONE || t > *to)
		*to = t;
}

/* The axis: the incident and its family, a margin either side; then widened to the
 * deployments read for it (the one that caused it may be days before). */
static void
axis_of_family(struct timeline_view *t, int64_t now)
{
	int64_t ms[MS_COUNT], pad;

	t->from = t->to = TIME_NONE;
	for (size_t i = 0; i < t->n_family; i++) {
		milestones_of(&t->family[i], ms);
		for (int k = 0; k < MS_COUNT; k++)
			widen(&t->from, &t->to, ms[k]);
		widen(&t->from, &t->to, end_of(&t->family[i], now));
	}
	if (t->from == TIME_NONE)
		t->from = t->to = now;
	pad = (t->to - t->from) / 12;
	pad = pad < 120 ? 120 : pad;
	t->from -= pad;
	t->to += pad;
}

static enum status_code
timeline_load(struct view *view, struct tui *tui)
{
	struct timeline_view *t = view->private;
	struct store_incident_row key = {
		.source = t->source,
		.source_id = t->source_id,
		.parent_source = t->parent_source,
		.parent_id = t->parent_id,
	};
	enum status_code code;
	int64_t lookback;

	timeline_clear(t);
	code = store_incident_family(tui->store, &key, &t->family, &t->n_family);
	for (size_t i = 0; i < t->n_family; i++)
		if (streq(t->family[i].source, t->source) &&
		    streq(t->family[i].source_id, t->source_id))
			t->self = &t->family[i];
	if (code != SUCCESS || !t->self)
		return code;
	axis_of_family(t, tui->now);
	/* What changed before it: deployments up to two hours (or twice the incident)
	 * before; the axis then reaches back to the earliest found. */
	lookback = t->to - t->from > 3600 ? 2 * (t->to - t->from) : 7200;
	if (t->self->service)
		code = store_deploys_between(tui->store, t->self->service, false,
					     t->from - lookback, t->to, t->self->caused_by,
					     DEPLOYS_MAX, &t->deploys, &t->n_deploys);
	for (size_t i = 0; code == SUCCESS && i < t->n_deploys; i++) {
		const struct store_deploy_row *d = &t->deploys[i];

		widen(&t->from, &t->to, deploy_at(d) - 60);
	}
	if (code == SUCCESS)
		code = store_incident_events(tui->store, t->source, t->source_id, add_event, t);
	for (size_t i = 0; i < t->n_events; i++)
		widen(&t->from, &t->to, t->events[i].at);
	snprintf(view->subtitle, sizeof(view->subtitle), "%.40s %.60s", t->source, t->source_id);
	return code;
}

/* ---- drawing ---- */

struct axis {
	int64_t from, to;
	int x, width;
};

static int
col_of(const struct axis *a, int64_t t)
{
	return a->x + chart_time_column(t, a->from, a->to, a->width);
}

static void
put(WINDOW *win, int y, int x, attr_t attr, const char *glyph)
{
	wattrset(win, attr);
	mvwaddstr(win, y, x, glyph);
	wattrset(win, A_NORMAL);
}

static void
format_clock(struct tui *tui, int64_t t, bool with_date, char *buf, size_t size)
{
	time_t tt = (time_t)(t + tui_clock_offset(tui, t));
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, with_date ? "%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}

/* Phase of the incident at t: the last milestone reached, or -1 outside it. */
static int
phase_at(const int64_t ms[MS_COUNT], int64_t t, int64_t end)
{
	int phase = -1;

	if (t > end)
		return -1;
	for (int k = 0; k < MS_COUNT; k++)
		if (ms[k] != TIME_NONE && ms[k] <= t && (phase < 0 || ms[k] >= ms[phase]))
			phase = k;
	return phase == MS_CLOSE ? -1 : phase;
}

/* The heading: what, where from, and its state and cause. */
static void
draw_heading(WINDOW *win, struct tui *tui, struct timeline_view *t, int width)
{
	const struct store_incident_row *r = t->self;
	char text[512], age[16];
	struct buf b;
	int used;

	used = draw_text(win, 0, 0, width, role_attr(severity_role(r->severity)),
			 r->severity ? r->severity : "-");
	snprintf(text, sizeof(text), " %s  %s", r->service ? r->service : "",
		 r->title ? r->title : r->source_id);
	draw_text(win, 0, used, width - used, role_attr(COLOR_HEADER), text);
	buf_init(&b, 0);
	buf_printf(&b, "%s %s%s", r->source, r->source_id, r->ticket ? " (ticket)" : "");
	if (r->state)
		buf_printf(&b, ", %s", r->state);
	if (is_open(r)) {
		format_age(r->detected_at, tui->now, age, sizeof(age));
		buf_printf(&b, ", open for %s", age);
	}
	if (r->caused_by)
		buf_printf(&b, "; caused by deploy %s", r->caused_by);
	if (t->n_family > 1)
		buf_printf(&b, "; family of %zu records", t->n_family);
	draw_text(win, 1, 0, width, role_attr(COLOR_DEFAULT), b.data);
	buf_release(&b);
}

/* A label over the axis at column col, on the first of two rows where it fits: at
 * the marker, or a few columns right of it when the label before is in the way, or
 * ending at the right edge. */
static bool
place_label(WINDOW *win, int rows[2], int ends[2], int col, int right, attr_t attr,
	    const char *label)
{
	int len = (int)strlen(label);

	for (int k = 0; k < 2; k++) {
		int x = col > ends[k] ? col : ends[k];

		if (x + len > right)
			x = right - len;
		if (x >= ends[k] && x >= 0 && x - col <= 4) {
			draw_text(win, rows[k], x, len, attr, label);
			ends[k] = x + len + 1;
			return true;
		}
	}
	return false;
}

/* The milestones: labels in two rows over the axis, the axis colored by phase,
 * the markers on it, and the time ticks under it. Returns the rows used. */
static int
draw_axis(WINDOW *win, struct tui *tui, struct timeline_view *t, const struct axis *a, int y)
{
	const struct store_incident_row *r = t->self;
	int64_t ms[MS_COUNT], end = end_of(r, tui->now), col_seconds, step, off;
	int rows[2] = { y + 1, y }, ends[2] = { 0, 0 }, label_end = 0;

	milestones_of(r, ms);
	draw_text(win, y + 2, 0, LABEL_WIDTH, role_attr(COLOR_HEADER), "incident");
	for (int c = 0; c < a->width; c++) {
		int64_t t0 = a->from + (a->to - a->from) * c / a->width;
		int phase = phase_at(ms, t0, end);

		put(win, y + 2, a->x + c,
		    role_attr(phase < 0 ? COLOR_CHART_AXIS : phase_roles[phase]),
		    phase < 0 ? draw_glyph("\u2500", "-") : draw_glyph("\u2501", "="));
	}
	if (is_open(r))
		put(win, y + 2, col_of(a, tui->now), role_attr(COLOR_BAD),
		    draw_glyph("\u25b6", ">"));
	for (int k = 0; k < MS_COUNT; k++) {
		char label[48], when[24];
		int col;

		if (ms[k] == TIME_NONE)
			continue;
		col = col_of(a, ms[k]);
		put(win, y + 2, col, role_attr(phase_roles[k]) | A_BOLD, draw_glyph("\u25cf", "o"));
		format_clock(tui, ms[k], false, when, sizeof(when));
		when[5] = '\0'; /* HH:MM */
		snprintf(label, sizeof(label), "%s %s", milestone_names[k], when);
		if (!place_label(win, rows, ends, col, a->x + a->width, role_attr(phase_roles[k]),
				 label))
			place_label(win, rows, ends, col, a->x + a->width,
				    role_attr(phase_roles[k]), milestone_names[k]);
	}
	/* Ticks under the axis on wall-clock boundaries. */
	col_seconds = (a->to - a->from) / (a->width > 0 ? a->width : 1);
	step = chart_time_step(col_seconds > 0 ? col_seconds : 1, 9);
	off = tui_clock_offset(tui, a->to);
	for (int64_t tt = ((a->from + off) / step + 1) * step - off; tt < a->to; tt += step) {
		int col = col_of(a, tt) - a->x;
		char label[16];

		chart_time_label(tt, step, off, label, sizeof(label));
		if (col >= label_end && col + (int)strlen(label) <= a->width) {
			draw_text(win, y + 3, a->x + col, (int)strlen(label),
				  role_attr(COLOR_CHART_AXIS), label);
			label_end = col + (int)strlen(label) + 1;
		}
	}
	return 4;
}

/* A span from a to b on row y, labelled in the left column: the TTx rows. */
static void
draw_span(WINDOW *win, const struct axis *a, int y, const char *name, int64_t from, int64_t to,
	  enum color_role role)
{
	char label[32], d[24];
	int c0, c1;

	if (from == TIME_NONE || to == TIME_NONE || to < from) {
		snprintf(label, sizeof(label), "%s -", name);
		draw_text(win, y, 0, LABEL_WIDTH, role_attr(COLOR_MUTED), label);
		return;
	}
	duration_format(to - from, d, sizeof(d));
	snprintf(label, sizeof(label), "%s %s", name, d);
	draw_text(win, y, 0, LABEL_WIDTH, role_attr(role), label);
	c0 = col_of(a, from);
	c1 = col_of(a, to);
	if (c0 == c1) {
		put(win, y, c0, role_attr(role), draw_glyph("\u2502", "|"));
		return;
	}
	put(win, y, c0, role_attr(role), draw_glyph("\u251c", "|"));
	for (int c = c0 + 1; c < c1; c++)
		put(win, y, c, role_attr(role), draw_glyph("\u2500", "-"));
	put(win, y, c1, role_attr(role), draw_glyph("\u2524", "|"));
}

/* TTD, TTA, TTC and TTR as `sitrep mttx` measures them. Returns the rows used. */
static int
draw_durations(WINDOW *win, struct timeline_view *t, const struct axis *a, int y)
{
	const struct store_incident_row *r = t->self;
	int64_t start = r->impact_start != TIME_NONE ? r->impact_start : r->detected_at;

	draw_span(win, a, y, "TTD", r->impact_start, r->detected_at, COLOR_CRITICAL);
	draw_span(win, a, y + 1, "TTA", r->detected_at, r->acknowledged_at, COLOR_HIGH);
	draw_span(win, a, y + 2, "TTC", r->detected_at, r->contained_at, COLOR_WARNING);
	draw_span(win, a, y + 3, "TTR", start, r->resolved_at, COLOR_GOOD);
	return 4;
}

/* The service's deployments: a marker each, its version beside it where that covers
 * no other marker; the one that caused the incident stands out. Returns the rows
 * used. */
static int
draw_deploys(WINDOW *win, struct timeline_view *t, const struct axis *a, int y)
{
	int label_end = 0;

	draw_text(win, y, 0, LABEL_WIDTH, role_attr(COLOR_HEADER), "deploys");
	if (!t->n_deploys)
		draw_text(win, y, a->x, a->width, role_attr(COLOR_MUTED), "none around it");
	for (size_t i = 0; i < t->n_deploys; i++) {
		const struct store_deploy_row *d = &t->deploys[i];
		bool cause = streq(d->source_id, t->self->caused_by), rollback = d->kind == 2;
		bool prod = streq(d->environment, "production") || streq(d->environment, "prod");
		enum color_role role = cause ? COLOR_CRITICAL : COLOR_DEPLOY_MARKER;
		int col = col_of(a, deploy_at(d)), room = a->x + a->width - (col + 2);
		char label[128];

		put(win, y, col, role_attr(role),
		    rollback ? draw_glyph("\u21ba", "R") : draw_glyph("\u25b2", "^"));
		/* Deployments are in time order: the next marker bounds the label. */
		if (i + 1 < t->n_deploys)
			room = col_of(a, deploy_at(&t->deploys[i + 1])) - 1 - (col + 2);
		snprintf(label, sizeof(label), "%.30s%s%s%.16s%s",
			 d->version ? d->version : d->source_id, rollback ? " rollback" : "",
			 prod ? "" : " ", prod ? "" : d->environment, cause ? " (cause)" : "");
		if (col + 2 >= label_end && room >= 4)
			label_end =
				col + 2 + draw_text(win, y, col + 2, room, role_attr(role), label);
	}
	return 1;
}

/* The other records of the family, each a bar from detection to resolution (or now).
 * Returns the rows used. */
static int
draw_family(WINDOW *win, struct tui *tui, struct timeline_view *t, const struct axis *a, int y)
{
	int rows = 0;
	size_t others = t->n_family - 1;

	for (size_t i = 0; i < t->n_family; i++) {
		const struct store_incident_row *m = &t->family[i];
		bool root = !m->parent_id;
		enum color_role role = m->ticket ? COLOR_INFO : severity_role(m->severity);
		char label[256];
		int c0, c1, len;

		if (m == t->self)
			continue;
		if (rows == FAMILY_ROWS - 1 && others > FAMILY_ROWS) {
			snprintf(label, sizeof(label), "and %zu more records",
				 others - (size_t)rows);
			draw_text(win, y + rows, a->x, a->width, role_attr(COLOR_MUTED), label);
			return rows + 1;
		}
		draw_text(win, y + rows, 0, LABEL_WIDTH - 1, role_attr(role), m->source_id);
		c0 = col_of(a, m->detected_at);
		c1 = col_of(a, end_of(m, tui->now));
		put(win, y + rows, c0, role_attr(role), draw_glyph("\u25a0", "#"));
		for (int c = c0 + 1; c <= c1; c++)
			put(win, y + rows, c, role_attr(role), draw_glyph("\u2501", "="));
		snprintf(label, sizeof(label), "%s%s%s%s %s", root ? "parent " : "",
			 m->ticket ? "ticket" : m->source, m->state ? " " : "",
			 m->state ? m->state : "", m->title ? m->title : "");
		/* What it is: after its bar, else before it, where there is room. */
		len = a->x + a->width - (c1 + 2);
		if (len > 12)
			draw_text(win, y + rows, c1 + 2, len, role_attr(COLOR_DEFAULT), label);
		else if (c0 - 1 - a->x > 12)
			draw_text_right(win, y + rows, a->x, c0 - 1 - a->x,
					role_attr(COLOR_DEFAULT), label);
		rows++;
	}
	return rows;
}

/* The events as ticks on the axis. */
static int
draw_event_ticks(WINDOW *win, struct timeline_view *t, const struct axis *a, int y)
{
	draw_text(win, y, 0, LABEL_WIDTH, role_attr(COLOR_HEADER), "events");
	for (size_t i = 0; i < t->n_events; i++)
		put(win, y, col_of(a, t->events[i].at), role_attr(COLOR_INFO),
		    draw_glyph("\u2022", "*"));
	return 1;
}

/* The events list, from t->top, in the rows left. */
static void
draw_event_list(WINDOW *win, struct tui *tui, struct timeline_view *t, int y, int height, int width)
{
	bool with_date = t->to - t->from > 86400;
	char line[768], when[24];

	draw_fill(win, y, 0, role_attr(COLOR_HEADER));
	snprintf(line, sizeof(line), "Events (%zu)  j/k scroll, J the upstream record, q back",
		 t->n_events);
	draw_text(win, y, 0, width, role_attr(COLOR_HEADER), line);
	t->list_height = height - 1 > 0 ? height - 1 : 1;
	if (t->top + (size_t)t->list_height > t->n_events)
		t->top = t->n_events > (size_t)t->list_height ? t->n_events - (size_t)t->list_height
							      : 0;
	if (!t->n_events && height > 1)
		draw_text(win, y + 1, 2, width - 2, role_attr(COLOR_MUTED), "No events recorded.");
	for (int k = 0; k < t->list_height && t->top + (size_t)k < t->n_events; k++) {
		const struct timeline_event *e = &t->events[t->top + (size_t)k];

		format_clock(tui, e->at, with_date, when, sizeof(when));
		snprintf(line, sizeof(line), "%s  %-10s %s%s%s", when, e->kind,
			 e->actor ? e->actor : "", e->actor && e->text ? ": " : "",
			 e->text ? e->text : "");
		draw_text(win, y + 1 + k, 1, width - 1, role_attr(COLOR_DEFAULT), line);
	}
}

static void
timeline_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct timeline_view *t = view->private;
	int height = getmaxy(win), width = getmaxx(win), y;
	struct axis a = { t->from, t->to, LABEL_WIDTH, width - LABEL_WIDTH - 1 };

	werase(win);
	if (!t->self) {
		draw_text(win, 1, 2, width - 4, role_attr(COLOR_MUTED),
			  "This incident is no longer in the cache.");
		return;
	}
	draw_heading(win, tui, t, width);
	if (a.width < 10)
		return;
	y = 2;
	y += draw_axis(win, tui, t, &a, y);
	y += draw_durations(win, t, &a, y);
	y += draw_deploys(win, t, &a, y);
	y += draw_family(win, tui, t, &a, y);
	y += draw_event_ticks(win, t, &a, y);
	if (y < height)
		draw_event_list(win, tui, t, y, height - y, width);
}

static enum request
timeline_request(struct view *view, struct tui *tui, enum request req)
{
	struct timeline_view *t = view->private;
	if (lines_scroll(&t->top, t->list_height > 0 ? (size_t)t->list_height : 0, t->n_events,
			 req))
		return REQ_NONE;
	switch (req) {
	case REQ_RAW:
		raw_view_open(tui, view, t->source, t->source_id);
		break;
	case REQ_ACK:
		act_ack(tui, t->source, t->source_id);
		break;
	default:
		return req;
	}
	return REQ_NONE;
}

static void
timeline_done(struct view *view)
{
	struct timeline_view *t = view->private;

	timeline_clear(t);
	free(t->source);
	free(t->source_id);
	free(t->parent_source);
	free(t->parent_id);
}

const struct view_ops timeline_ops = {
	.name = "timeline",
	.title = "Incident",
	.private_size = sizeof(struct timeline_view),
	.load = timeline_load,
	.draw = timeline_draw,
	.request = timeline_request,
	.done = timeline_done,
};

void
timeline_view_open(struct tui *tui, struct view *parent, const struct store_incident_row *row)
{
	struct view *view = view_new(&timeline_ops, parent);
	struct timeline_view *t = view->private;

	t->source = xstrdup(row->source);
	t->source_id = xstrdup(row->source_id);
	t->parent_source = row->parent_source ? xstrdup(row->parent_source) : NULL;
	t->parent_id = row->parent_id ? xstrdup(row->parent_id) : NULL;
	view_reload(tui, view);
	tui->current = view;
}
