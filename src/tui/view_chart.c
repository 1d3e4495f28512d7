/* view_chart.c - a service's chart page: a chart for each of its series, the eight
 * performance metrics first in a fixed order (rpm, errors, latency, max latency,
 * CPU, memory, availability, consumers), in a grid that fills the screen (two
 * columns on a wide terminal, scrolled when they do not fit), one chosen; Enter
 * zooms the chosen one to the whole body and back, j/k choose, w changes the range.
 *
 * A chart is a value axis with units on the left, the plot (braille, blocks or
 * ASCII: see draw_chart_glyphs), and a time axis with ticks on wall-clock
 * boundaries and the service's production deployments marked on it; its title line
 * gives the current value and the average and maximum over the range. The store
 * buckets the samples to exactly the plot's columns (two a cell with braille), and
 * the buckets start at multiples of their length: redrawn every second, a chart
 * changes only where a value changed, and moves one column when a whole bucket has
 * passed, so a refresh writes few bytes to a slow link. */
#include "tui.h"
#include "chart.h"
#include "sitrep/console_store.h"
#include "sitrep/text.h"

#include <math.h>
#include <time.h>

#define CHART_MIN_HEIGHT 7 /* title, four plot rows, the time axis and its labels */
#define GUTTER 7	   /* the value axis: a label of six columns and the line */
#define DEPLOYS_MAX 200

struct chart {
	const struct store_series_row *series; /* borrowed from the view's rows */
	const struct chart_metric *metric;     /* NULL: not one of the eight */
	enum chart_unit unit;
	/* What was read, for which span: read again when the span moves. */
	bool loaded;
	struct chart_span span;
	double *values;
	struct store_chart_stats stats;
};

struct chart_view {
	char *service; /* NULL: the series without a service */
	struct store_series_row *rows;
	size_t n_rows;
	struct chart *charts; /* one per row, in page order */
	int64_t focus_id;     /* the chosen series, kept across reloads */
	size_t focus;
	size_t top; /* the first grid row shown */
	bool zoom;
	size_t range;
	int grid_cols;
	/* The service's production deployments over [deploys_from, deploys_to). */
	struct store_deploy_row *deploys;
	size_t n_deploys;
	int64_t deploys_from, deploys_to;
	bool deploys_loaded;
};

static void
charts_clear(struct chart_view *c)
{
	for (size_t i = 0; i < c->n_rows; i++)
		free(c->charts[i].values);
	free(c->charts);
	c->charts = NULL;
	store_series_rows_free(c->rows, c->n_rows);
	c->rows = NULL;
	c->n_rows = 0;
	store_deploy_rows_free(c->deploys, c->n_deploys);
	c->deploys = NULL;
	c->n_deploys = 0;
	c->deploys_loaded = false;
}

static enum chart_unit
unit_of(const struct store_series_row *r, const struct chart_metric *metric)
{
	if (metric)
		return metric->unit;
	if (streq(r->unit, "s") || streq(r->unit, "seconds"))
		return CHART_UNIT_SECONDS;
	if (streq(r->unit, "%") || streq(r->unit, "percent"))
		return CHART_UNIT_PERCENT;
	return CHART_UNIT_NONE;
}

static int
page_order(const void *a, const void *b)
{
	const struct chart *x = a, *y = b;
	size_t rx = chart_metric_rank(x->series->name), ry = chart_metric_rank(y->series->name);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->series->name, y->series->name);
}

static void
set_subtitle(struct view *view)
{
	struct chart_view *c = view->private;

	snprintf(view->subtitle, sizeof(view->subtitle), "%.60s, last %s",
		 c->service ? c->service : "no service", chart_ranges[c->range].name);
}

/* The series of the page, again: on open and whenever the cache changed. Their
 * samples are read when drawn, for the geometry of the screen. */
static enum status_code
chart_load(struct view *view, struct tui *tui)
{
	struct chart_view *c = view->private;
	enum status_code code;

	charts_clear(c);
	set_subtitle(view);
	code = store_service_series(tui->store, c->service, &c->rows, &c->n_rows);
	if (code != SUCCESS)
		return code;
	c->charts = xcalloc(c->n_rows + 1, sizeof(*c->charts));
	for (size_t i = 0; i < c->n_rows; i++) {
		struct chart *ch = &c->charts[i];

		ch->series = &c->rows[i];
		ch->metric = chart_metric_of(c->rows[i].name);
		ch->unit = unit_of(&c->rows[i], ch->metric);
	}
	qsort(c->charts, c->n_rows, sizeof(*c->charts), page_order);
	c->focus = 0;
	for (size_t i = 0; i < c->n_rows; i++)
		if (c->charts[i].series->id == c->focus_id)
			c->focus = i;
	return SUCCESS;
}

/* Reads ch's buckets when its span for n values at now is not the one it holds. */
static void
chart_fetch(struct chart_view *c, struct chart *ch, struct tui *tui, size_t n)
{
	struct chart_span span;
	enum status_code code;

	chart_span_init(&span, tui->now, chart_ranges[c->range].seconds, n);
	if (ch->loaded && ch->span.start == span.start && ch->span.step == span.step &&
	    ch->span.n == span.n)
		return;
	ch->span = span;
	ch->values = xrealloc(ch->values, n * sizeof(*ch->values));
	code = store_chart_read(tui->store, ch->series->id, span.start, span.step, n,
				ch->metric && ch->metric->plot_max, tui->now, ch->values,
				&ch->stats);
	ch->loaded = true;
	if (code != SUCCESS) {
		for (size_t i = 0; i < n; i++)
			ch->values[i] = NAN;
		tui_message(tui, true, "%s", status_message(code));
	}
	chart_fill_gaps(ch->values, n, chart_max_gap(span.step));
}

/* The deployments over [from, to), read again only when that is not covered. */
static void
deploys_fetch(struct chart_view *c, struct tui *tui, int64_t from, int64_t to)
{
	enum status_code code;

	if (!c->service || (c->deploys_loaded && c->deploys_from <= from && c->deploys_to >= to))
		return;
	store_deploy_rows_free(c->deploys, c->n_deploys);
	c->deploys = NULL;
	c->n_deploys = 0;
	/* A margin either side, so that the next few buckets need no read. */
	c->deploys_from = from - (to - from) / 4;
	c->deploys_to = to + (to - from) / 4;
	c->deploys_loaded = true;
	code = store_deploys_between(tui->store, c->service, true, c->deploys_from, c->deploys_to,
				     NULL, DEPLOYS_MAX, &c->deploys, &c->n_deploys);
	if (code != SUCCESS)
		tui_message(tui, true, "%s", status_message(code));
}

static int64_t
deploy_time(const struct store_deploy_row *d)
{
	return d->started_at != TIME_NONE ? d->started_at : d->finished_at;
}

/* ---- painting ---- */

static void
put(WINDOW *win, int y, int x, attr_t attr, const char *glyph)
{
	wattrset(win, attr);
	mvwaddstr(win, y, x, glyph);
	wattrset(win, A_NORMAL);
}

/* The title line: the metric, what it is, and current / average / maximum. */
static void
draw_title(WINDOW *win, struct tui *tui, const struct chart *ch, int y, int x, int w, bool chosen)
{
	char name[168], series[160], figures[128], cur[24], avg[24], max[24], age[16] = "";
	const struct store_series_row *r = ch->series;
	bool stale = false;
	int used;

	chart_format_value(ch->stats.last, ch->unit, cur, sizeof(cur));
	chart_format_value(ch->stats.avg, ch->unit, avg, sizeof(avg));
	chart_format_value(ch->stats.max, ch->unit, max, sizeof(max));
	/* A last sample older than two buckets (and a minute) is not current: say so. */
	if (ch->stats.last_at != TIME_NONE &&
	    tui->now - ch->stats.last_at > (ch->span.step * 2 > 60 ? ch->span.step * 2 : 60)) {
		format_age(ch->stats.last_at, tui->now, age, sizeof(age));
		stale = true;
	}
	snprintf(figures, sizeof(figures), "cur %s%s%s  avg %s  max %s", cur, stale ? " " : "",
		 stale ? age : "", avg, max);
	format_series(ch->metric ? ch->metric->name : r->name, r->labels, series, sizeof(series));
	snprintf(name, sizeof(name), "%s%s", chosen ? draw_glyph("\u25b6 ", "> ") : "  ", series);
	used = draw_text(win, y, x, w, role_attr(chosen ? COLOR_CURSOR : COLOR_HEADER), name);
	/* What the metric is, when the figures leave room for it: they come first. */
	if (ch->metric && used + 1 + (int)strlen(ch->metric->title) + 2 + (int)strlen(figures) <= w)
		used += 1 + draw_text(win, y, x + used + 1, w - used - 1, role_attr(COLOR_MUTED),
				      ch->metric->title);
	if (used + 1 < w)
		draw_text_right(win, y, x + used + 1, w - used - 1,
				role_attr(stale ? COLOR_SOURCE_STALE : COLOR_DEFAULT), figures);
}

/* The value axis in the gutter: labels at the ticks that land on distinct rows. */
static void
draw_value_axis(WINDOW *win, const struct chart *ch, const struct chart_axis *axis, int y, int x,
		int rows)
{
	attr_t attr = role_attr(COLOR_CHART_AXIS);
	int last_row = -1;

	for (int r = 0; r < rows; r++)
		put(win, y + r, x + GUTTER - 1, attr, draw_glyph("\u2502", "|"));
	for (double v = axis->lo; v <= axis->hi + axis->step * 1e-6; v += axis->step) {
		int r = rows - 1 - (int)lround((v - axis->lo) / (axis->hi - axis->lo) * (rows - 1));
		char label[24];

		if (r == last_row || r < 0 || r >= rows)
			continue;
		last_row = r;
		chart_format_value(fabs(v) < axis->step * 1e-9 ? 0 : v, ch->unit, label,
				   sizeof(label));
		draw_text_right(win, y + r, x, GUTTER - 1, attr, label);
		put(win, y + r, x + GUTTER - 1, attr, draw_glyph("\u2524", "+"));
	}
}

/* The time axis: a line with ticks on wall-clock boundaries, their labels below, and
 * the deployments marked on the line. */
static void
draw_time_axis(WINDOW *win, struct tui *tui, struct chart_view *c, const struct chart *ch, int y,
	       int x, int cols, int per_cell)
{
	attr_t attr = role_attr(COLOR_CHART_AXIS);
	int64_t col_seconds = ch->span.step * per_cell;
	int64_t end = ch->span.start + (int64_t)ch->span.n * ch->span.step;
	int64_t step = chart_time_step(col_seconds, 9);
	int64_t off = tui_clock_offset(tui, end);
	int label_end = 0;

	put(win, y, x + GUTTER - 1, attr, draw_glyph("\u2514", "+"));
	for (int i = 0; i < cols; i++)
		put(win, y, x + GUTTER + i, attr, draw_glyph("\u2500", "-"));
	for (int64_t t = ((ch->span.start + off) / step + 1) * step - off; t < end; t += step) {
		int col = (int)((t - ch->span.start) / col_seconds);
		char label[16];
		int len;

		if (col < 0 || col >= cols)
			continue;
		put(win, y, x + GUTTER + col, attr, draw_glyph("\u252c", "+"));
		chart_time_label(t, step, off, label, sizeof(label));
		len = (int)strlen(label);
		/* Labels start at their tick; one that would not fit is left out. */
		if (col >= label_end && col + len <= cols) {
			draw_text(win, y + 1, x + GUTTER + col, len, attr, label);
			label_end = col + len + 1;
		}
	}
	for (size_t i = 0; i < c->n_deploys; i++) {
		int64_t t = deploy_time(&c->deploys[i]);
		long b = t == TIME_NONE ? -1 : chart_span_bucket(&ch->span, t);

		if (b >= 0)
			put(win, y, x + GUTTER + (int)(b / per_cell),
			    role_attr(COLOR_DEPLOY_MARKER), draw_glyph("\u25b2", "^"));
	}
}

/* Under a zoomed chart: what each marker is. */
static void
draw_deploy_legend(WINDOW *win, struct tui *tui, struct chart_view *c, const struct chart *ch,
		   int y, int x, int w)
{
	int used = 0;

	for (size_t i = 0; i < c->n_deploys && used < w; i++) {
		const struct store_deploy_row *d = &c->deploys[i];
		int64_t t = deploy_time(d);
		time_t tt;
		struct tm tm;
		char when[16], text[160];

		if (t == TIME_NONE || chart_span_bucket(&ch->span, t) < 0)
			continue;
		tt = (time_t)(t + tui_clock_offset(tui, t));
		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%m-%d %H:%M", &tm);
		snprintf(text, sizeof(text), "%s %s %.40s%s%.20s%s ", draw_glyph("\u25b2", "^"),
			 when, d->version ? d->version : d->source_id,
			 d->kind == 2 ? " rollback" : "", d->status ? " " : "",
			 d->status ? d->status : "");
		used += draw_text(win, y, x + used, w - used, role_attr(COLOR_DEPLOY_MARKER), text);
	}
}

/* One chart in the rectangle (y, x, h, w). */
static void
draw_chart(WINDOW *win, struct tui *tui, struct chart_view *c, struct chart *ch, int y, int x,
	   int h, int w, bool chosen, bool legend)
{
	enum chart_glyphs glyphs = (enum chart_glyphs)draw_chart_glyphs(tui->cols);
	int per_cell = chart_values_per_cell(glyphs);
	int rows = h - 3 - (legend ? 1 : 0), cols = w - GUTTER;
	double lo = INFINITY, hi = -INFINITY;
	char(*cells)[CHART_CELL_SIZE];
	struct chart_axis axis;

	if (rows < 1 || cols < 4) {
		draw_title(win, tui, ch, y, x, w, chosen);
		return;
	}
	chart_fetch(c, ch, tui, (size_t)cols * (size_t)per_cell);
	deploys_fetch(c, tui, ch->span.start, ch->span.start + (int64_t)ch->span.n * ch->span.step);
	draw_title(win, tui, ch, y, x, w, chosen);
	for (size_t i = 0; i < ch->span.n; i++) {
		if (isnan(ch->values[i]))
			continue;
		lo = ch->values[i] < lo ? ch->values[i] : lo;
		hi = ch->values[i] > hi ? ch->values[i] : hi;
	}
	chart_axis_init(&axis, lo == INFINITY ? NAN : lo, hi == -INFINITY ? NAN : hi,
			rows / 2 + 1 < 2 ? 2 : rows / 2 + 1, ch->unit != CHART_UNIT_RATIO);
	draw_value_axis(win, ch, &axis, y + 1, x, rows);
	cells = xcalloc((size_t)rows * (size_t)cols, sizeof(*cells));
	chart_render(ch->values, ch->span.n, axis.lo, axis.hi, glyphs, rows, cols, cells);
	for (int r = 0; r < rows; r++)
		for (int col = 0; col < cols; col++)
			if (strcmp(cells[(size_t)r * (size_t)cols + (size_t)col], " ") != 0)
				put(win, y + 1 + r, x + GUTTER + col, role_attr(COLOR_CHART),
				    cells[(size_t)r * (size_t)cols + (size_t)col]);
	free(cells);
	if (ch->stats.samples == 0)
		draw_text(win, y + 1 + rows / 2, x + GUTTER + 2, cols - 2, role_attr(COLOR_MUTED),
			  "no samples in this range");
	draw_time_axis(win, tui, c, ch, y + 1 + rows, x, cols, per_cell);
	if (legend)
		draw_deploy_legend(win, tui, c, ch, y + h - 1, x + GUTTER, cols);
}

/* Columns of the grid: two side by side once each gets at least 55 columns. */
static int
grid_columns(int width, size_t n)
{
	return n > 1 && width >= 110 ? 2 : 1;
}

static void
chart_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct chart_view *c = view->private;
	int height = getmaxy(win), width = getmaxx(win);
	size_t grid_rows, shown;
	int cols, ch_height;

	werase(win);
	if (!c->n_rows) {
		draw_text(win, 1, 2, width - 4, role_attr(COLOR_MUTED),
			  "No metric series for this service yet.");
		return;
	}
	if (c->zoom) {
		draw_chart(win, tui, c, &c->charts[c->focus], 0, 0, height, width, true, true);
		return;
	}
	cols = c->grid_cols = grid_columns(width, c->n_rows);
	grid_rows = (c->n_rows + (size_t)cols - 1) / (size_t)cols;
	shown = height / CHART_MIN_HEIGHT > 0 ? (size_t)(height / CHART_MIN_HEIGHT) : 1;
	shown = shown < grid_rows ? shown : grid_rows;
	ch_height = height / (int)shown;
	/* Scrolled by whole rows of charts, so that the chosen one shows. */
	if (c->focus / (size_t)cols < c->top)
		c->top = c->focus / (size_t)cols;
	if (c->focus / (size_t)cols >= c->top + shown)
		c->top = c->focus / (size_t)cols - shown + 1;
	for (size_t r = 0; r < shown; r++) {
		for (int k = 0; k < cols; k++) {
			size_t i = (c->top + r) * (size_t)cols + (size_t)k;
			int x = k * width / cols, w = (k + 1) * width / cols - x;

			if (i >= c->n_rows)
				break;
			if (k < cols - 1)
				w--; /* a column between charts */
			draw_chart(win, tui, c, &c->charts[i], (int)r * ch_height, x, ch_height, w,
				   i == c->focus, false);
		}
	}
}

static void
choose(struct chart_view *c, size_t i)
{
	if (!c->n_rows)
		return;
	c->focus = i < c->n_rows ? i : c->n_rows - 1;
	c->focus_id = c->charts[c->focus].series->id;
}

static enum request
chart_request(struct view *view, struct tui *tui, enum request req)
{
	struct chart_view *c = view->private;

	(void)tui;
	switch (req) {
	case REQ_MOVE_DOWN:
	case REQ_FIND_NEXT:
		choose(c, c->focus + 1);
		break;
	case REQ_MOVE_UP:
	case REQ_FIND_PREV:
		choose(c, c->focus ? c->focus - 1 : 0);
		break;
	case REQ_MOVE_PAGE_DOWN:
		choose(c, c->focus + (size_t)(c->grid_cols > 0 ? c->grid_cols : 1));
		break;
	case REQ_MOVE_PAGE_UP:
		choose(c, c->focus >= (size_t)c->grid_cols ? c->focus - (size_t)c->grid_cols : 0);
		break;
	case REQ_MOVE_FIRST:
		choose(c, 0);
		break;
	case REQ_MOVE_LAST:
		choose(c, c->n_rows ? c->n_rows - 1 : 0);
		break;
	case REQ_ENTER:
		c->zoom = !c->zoom;
		set_subtitle(view);
		break;
	case REQ_BACK:
		if (!c->zoom)
			return req;
		c->zoom = false;
		set_subtitle(view);
		break;
	case REQ_WINDOW:
		if (!window_step(tui, &c->range, CHART_RANGES, chart_range_name))
			break;
		for (size_t i = 0; i < c->n_rows; i++)
			c->charts[i].loaded = false;
		set_subtitle(view);
		break;
	default:
		return req;
	}
	return REQ_NONE;
}

static void
chart_done(struct view *view)
{
	struct chart_view *c = view->private;

	charts_clear(c);
	free(c->service);
}

const struct view_ops chart_ops = {
	.name = "chart",
	.title = "Metrics",
	.private_size = sizeof(struct chart_view),
	.load = chart_load,
	.draw = chart_draw,
	.request = chart_request,
	.done = chart_done,
};

void
chart_view_open(struct tui *tui, struct view *parent, const char *service, int64_t series_id,
		size_t range)
{
	struct view *view = view_new(&chart_ops, parent);
	struct chart_view *c = view->private;

	c->service = service ? xstrdup(service) : NULL;
	c->focus_id = series_id;
	c->range = range < CHART_RANGES ? range : 1;
	view_reload(tui, view);
	tui->current = view;
}
