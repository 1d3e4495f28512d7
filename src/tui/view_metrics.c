/* view_metrics.c - every metric series with its last value and min/avg/max over a
 * window (w: 15m, 1h, 6h, 24h, 7d) and the window as a sparkline, bucketed by the
 * database to the chart's width. Enter opens the chart page of the series' service
 * (view_chart.c) with that series chosen: one key from "which series" to "what did
 * the whole service do", and its deploys, over the same window. */
#include "tui.h"
#include "chart.h"
#include "sitrep/console_store.h"

#include <math.h>

static const struct list_column series_columns[] = {
	{ "SERIES", 0, false, false }, { "SERVICE", 10, false, false }, { "LAST", 9, true, false },
	{ "MIN", 9, true, false },     { "AVG", 9, true, false },	{ "MAX", 9, true, false },
	{ "", 32, false, false },
};

struct metrics_view {
	struct list list;
	struct store_series_row *rows;
	size_t n_rows;
	size_t window; /* index into windows */
};

static void
format_value(const struct store_series_row *r, double v, char *buf, size_t size)
{
	const struct chart_metric *m = chart_metric_of(r->name);

	chart_format_value(v, m ? m->unit : CHART_UNIT_NONE, buf, size);
}

static enum status_code
series_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
	     bool backward, size_t n, void *rows, size_t *got)
{
	struct metrics_view *m = view->private;
	const struct store_series_row **out = rows;

	(void)tui;
	*got = 0;
	if (anchor || backward)
		return SUCCESS;
	for (size_t i = 0; i < m->n_rows && *got < n; i++) {
		const struct store_series_row *r = &m->rows[i];

		if (list->filter[0] && !strstr(r->name, list->filter) &&
		    !(r->labels && strstr(r->labels, list->filter)))
			continue;
		out[(*got)++] = r;
	}
	return SUCCESS;
}

static enum color_role
series_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf, size_t size)
{
	const struct store_series_row *r = *(const struct store_series_row *const *)row;

	(void)view;
	(void)tui;
	switch (col) {
	case 0:
		format_series(r->name, r->labels, buf, size);
		break;
	case 1:
		snprintf(buf, size, "%s", r->service ? r->service : "");
		break;
	case 2:
		format_value(r, r->last, buf, size);
		break;
	case 3:
		format_value(r, r->min, buf, size);
		break;
	case 4:
		format_value(r, r->avg, buf, size);
		break;
	case 5:
		format_value(r, r->max, buf, size);
		break;
	default:
		draw_sparkline(r->points, SERIES_POINTS, series_columns[6].width, buf, size);
		return COLOR_CHART;
	}
	return COLOR_DEFAULT;
}

static const struct list_ops series_list_ops = {
	.row_size = sizeof(struct store_series_row *),
	.fetch = series_fetch,
	.cell = series_cell,
};

static enum status_code
metrics_load(struct view *view, struct tui *tui)
{
	struct metrics_view *m = view->private;
	enum status_code code;

	if (!m->list.ops) {
		list_init(&m->list, &series_list_ops, series_columns, ARRAY_SIZE(series_columns));
		m->window = 1;
	}
	list_release(&m->list);
	store_series_rows_free(m->rows, m->n_rows);
	m->rows = NULL;
	m->n_rows = 0;
	snprintf(view->subtitle, sizeof(view->subtitle), "last %s (w changes)",
		 chart_ranges[m->window].name);
	code = store_series_rows(tui->store, tui->now, chart_ranges[m->window].seconds, &m->rows,
				 &m->n_rows);
	if (code != SUCCESS)
		return code;
	return list_reload(&m->list, view, tui);
}

static void
metrics_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct metrics_view *m = view->private;

	list_draw(&m->list, view, tui, win);
}

static enum request
metrics_request(struct view *view, struct tui *tui, enum request req)
{
	struct metrics_view *m = view->private;

	if (req == REQ_SORT || req == REQ_SORT_REVERSE || req == REQ_TOGGLE_OPEN)
		return REQ_NONE;
	if (req == REQ_WINDOW) {
		if (window_step(tui, &m->window, CHART_RANGES, chart_range_name))
			view_reload(tui, view);
		return REQ_NONE;
	}
	if (req == REQ_ENTER) {
		const struct store_series_row *const *r = list_selected(&m->list);

		if (r)
			chart_view_open(tui, view, (*r)->service, (*r)->id, m->window);
		return REQ_NONE;
	}
	return list_request(&m->list, view, tui, req);
}

static void
metrics_done(struct view *view)
{
	struct metrics_view *m = view->private;

	list_release(&m->list);
	store_series_rows_free(m->rows, m->n_rows);
}

const struct view_ops metrics_ops = {
	.name = "metrics",
	.title = "Metrics",
	.private_size = sizeof(struct metrics_view),
	.load = metrics_load,
	.draw = metrics_draw,
	.request = metrics_request,
	.done = metrics_done,
};
