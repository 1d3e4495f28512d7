/* view_overview.c - the war-room board: one row per service with what runs in
 * production (version, canary weight), the last pipeline, requests per minute,
 * latency, errors per minute with the last hour's sparklines, CPU, memory, the
 * open incidents by severity and the error budget left of the service's SLO (the
 * figures of `sitrep slo`, through the same engine). A service with an open P1 is
 * marked on the left so the eye finds it from across a room. */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/engine.h"
#include "sitrep/text.h"

#include <math.h>

enum overview_column {
	COL_SERVICE,
	COL_INCIDENTS,
	COL_PROD,
	COL_SLO,
	COL_PIPELINE,
	COL_RPM,
	COL_RPM_SPARK,
	COL_ERRORS,
	COL_ERRORS_SPARK,
	COL_LATENCY,
	COL_LATENCY_SPARK,
	COL_CPU,
	COL_MEMORY,
};

/* In the order of what matters at 3 a.m.: a narrow terminal drops the columns on
 * the right first. What is broken, then what changed, before the slower signal of
 * the SLO budget (below 54 columns it goes). */
static const struct list_column columns[] = {
	[COL_SERVICE] = { "SERVICE", 0, false, false },
	[COL_INCIDENTS] = { "OPEN P1/2/3", 11, false, false },
	[COL_PROD] = { "PRODUCTION", 19, false, false },
	[COL_SLO] = { "SLO LEFT", 8, true, false },
	[COL_PIPELINE] = { "CI", 7, false, false },
	[COL_RPM] = { "RPM", 6, true, false },
	[COL_RPM_SPARK] = { "", 8, false, false },
	[COL_ERRORS] = { "ERR/m", 6, true, false },
	[COL_ERRORS_SPARK] = { "", 8, false, false },
	[COL_LATENCY] = { "LAT avg/max", 13, true, false },
	[COL_LATENCY_SPARK] = { "", 8, false, false },
	[COL_CPU] = { "CPU", 4, true, false },
	[COL_MEMORY] = { "MEM", 4, true, false },
};

struct overview {
	struct list list;
	struct store_service_row *rows; /* the whole board: one row per service */
	size_t n_rows;
	double *slo_left; /* per row: the error budget left in percent, NAN: no SLO */
	bool slo_pending; /* loaded without them: overview_idle computes them */
};

/* Below these shares of the error budget left, the column warns, then alarms. */
#define SLO_LEFT_WARN 50.0
#define SLO_LEFT_CRIT 10.0

/* The board is small (one row per service): it is read whole and handed to the list
 * in one page. */
static enum status_code
overview_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
	       bool backward, size_t n, void *rows, size_t *got)
{
	struct overview *o = view->private;
	struct store_service_row **out = rows;

	(void)tui;
	(void)list;
	*got = 0;
	if (anchor || backward)
		return SUCCESS;
	for (size_t i = 0; i < o->n_rows && *got < n; i++)
		out[(*got)++] = &o->rows[i];
	return SUCCESS;
}

static void
format_number(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (fabs(v) >= 10000)
		snprintf(buf, size, "%.0fk", v / 1000);
	else if (fabs(v) >= 100)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.1f", v);
}

static void
format_latency(double seconds, char *buf, size_t size)
{
	if (isnan(seconds))
		snprintf(buf, size, "-");
	else if (seconds < 1)
		snprintf(buf, size, "%.0fms", seconds * 1000);
	else
		snprintf(buf, size, "%.2fs", seconds);
}

static enum color_role
pipeline_role(const char *status)
{
	if (!status)
		return COLOR_MUTED;
	if (streq(status, "success"))
		return COLOR_GOOD;
	if (streq(status, "failed"))
		return COLOR_BAD;
	if (streq(status, "running") || streq(status, "queued") || streq(status, "waiting"))
		return COLOR_RUNNING;
	return COLOR_DEFAULT;
}

static enum color_role
overview_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf,
	      size_t size)
{
	const struct store_service_row *r = *(struct store_service_row *const *)row;
	char a[16], b[16];

	(void)tui;
	switch ((enum overview_column)col) {
	case COL_SERVICE:
		snprintf(buf, size, "%s %s", r->open_by_severity[0] ? "!" : " ", r->name);
		return r->open_by_severity[0] ? COLOR_CRITICAL : COLOR_DEFAULT;
	case COL_PROD:
		if (!r->prod_version) {
			snprintf(buf, size, "-");
			return COLOR_MUTED;
		}
		if (!isnan(r->canary_weight))
			snprintf(buf, size, "%s canary %.0f%%", r->prod_version, r->canary_weight);
		else
			snprintf(buf, size, "%s", r->prod_version);
		return r->prod_status && streq(r->prod_status, "failed") ? COLOR_BAD
		       : !isnan(r->canary_weight)			 ? COLOR_RUNNING
									 : COLOR_PRODUCTION;
	case COL_PIPELINE:
		snprintf(buf, size, "%s", r->pipeline_status ? r->pipeline_status : "-");
		return pipeline_role(r->pipeline_status);
	case COL_RPM:
		format_number(r->metric[OVERVIEW_RPM], buf, size);
		break;
	case COL_RPM_SPARK:
		draw_sparkline(r->spark[0], OVERVIEW_SPARK, columns[col].width, buf, size);
		return COLOR_CHART;
	case COL_LATENCY:
		format_latency(r->metric[OVERVIEW_LATENCY], a, sizeof(a));
		format_latency(r->metric[OVERVIEW_LATENCY_MAX], b, sizeof(b));
		snprintf(buf, size, "%s/%s", a, b);
		break;
	case COL_LATENCY_SPARK:
		draw_sparkline(r->spark[1], OVERVIEW_SPARK, columns[col].width, buf, size);
		return COLOR_CHART;
	case COL_ERRORS:
		format_number(r->metric[OVERVIEW_ERRORS], buf, size);
		return !isnan(r->metric[OVERVIEW_ERRORS]) && r->metric[OVERVIEW_ERRORS] >= 1
			       ? COLOR_WARNING
			       : COLOR_DEFAULT;
	case COL_ERRORS_SPARK:
		draw_sparkline(r->spark[2], OVERVIEW_SPARK, columns[col].width, buf, size);
		return COLOR_CHART;
	case COL_CPU:
	case COL_MEMORY: {
		double v = r->metric[col == COL_CPU ? OVERVIEW_CPU : OVERVIEW_MEMORY];

		if (isnan(v))
			snprintf(buf, size, "-");
		else
			snprintf(buf, size, "%.0f%%", v);
		return !isnan(v) && v >= 90   ? COLOR_BAD
		       : !isnan(v) && v >= 75 ? COLOR_WARNING
					      : COLOR_DEFAULT;
	}
	case COL_SLO: {
		const struct overview *o = view->private;
		double left = o->slo_left ? o->slo_left[r - o->rows] : NAN;

		if (o->slo_pending) {
			snprintf(buf, size, "%s", draw_glyph("…", "..."));
			return COLOR_MUTED;
		}
		if (isnan(left)) {
			snprintf(buf, size, "-");
			return COLOR_MUTED;
		}
		snprintf(buf, size, "%.1f%%", left);
		return left <= SLO_LEFT_CRIT   ? COLOR_CRITICAL
		       : left <= SLO_LEFT_WARN ? COLOR_WARNING
					       : COLOR_GOOD;
	}
	case COL_INCIDENTS:
		snprintf(buf, size, "%zu/%zu/%zu", r->open_by_severity[0], r->open_by_severity[1],
			 r->open_by_severity[2] + r->open_by_severity[3]);
		return r->open_by_severity[0]	? COLOR_CRITICAL
		       : r->open_by_severity[1] ? COLOR_HIGH
		       : r->open_by_severity[2] ? COLOR_WARNING
						: COLOR_GOOD;
	}
	return COLOR_DEFAULT;
}

static const struct list_ops overview_list_ops = {
	.row_size = sizeof(struct store_service_row *),
	.fetch = overview_fetch,
	.cell = overview_cell,
};

/* o->slo_left of every row: `sitrep slo`'s figures at now, with the config's
 * objectives over the cache's. */
static enum status_code
load_slo(struct overview *o, struct tui *tui)
{
	struct service_set set;
	struct slo_report rep;
	enum status_code code;

	o->slo_left = xcalloc(o->n_rows + 1, sizeof(*o->slo_left));
	for (size_t i = 0; i < o->n_rows; i++)
		o->slo_left[i] = NAN;
	if ((code = service_set_load(tui->store, NULL, 0, &set)) != SUCCESS)
		return code;
	service_set_apply_config(&set, &tui->cfg);
	code = slo_report_run(tui->store, &set, tui->now, &rep);
	/* Both lists come from the services table; the set's names are sanitized. */
	for (size_t k = 0; code == SUCCESS && k < rep.n; k++) {
		char *name;

		for (size_t i = 0; i < o->n_rows; i++) {
			name = text_sanitize(o->rows[i].name, strlen(o->rows[i].name), false);
			if (streq(name, rep.services[k]->name))
				o->slo_left[i] = slo_budget_left_percent(&rep.figures[k]);
			free(name);
		}
	}
	slo_report_release(&rep);
	service_set_release(&set);
	return code;
}

static enum status_code
overview_load(struct view *view, struct tui *tui)
{
	struct overview *o = view->private;
	enum status_code code;

	if (!o->list.ops)
		list_init(&o->list, &overview_list_ops, columns, ARRAY_SIZE(columns));
	/* The list's rows point into the old board: let go of them first. */
	list_release(&o->list);
	store_service_rows_free(o->rows, o->n_rows);
	free(o->slo_left);
	o->slo_left = NULL;
	o->rows = NULL;
	o->n_rows = 0;
	code = store_service_rows(tui->store, tui->now, &o->rows, &o->n_rows);
	if (code != SUCCESS)
		return code;
	/* The SLO budgets run the metric engine over the SLO periods (30 ms on a
	 * million incidents): they come right after the first frame (overview_idle). */
	o->slo_pending = true;
	return list_reload(&o->list, view, tui);
}

static void
overview_idle(struct view *view, struct tui *tui)
{
	struct overview *o = view->private;
	enum status_code code;

	free(o->slo_left);
	o->slo_left = NULL;
	/* Without its SLO figures the board is still worth showing. */
	if ((code = load_slo(o, tui)) != SUCCESS)
		tui_message(tui, true, "SLO budget: %s", status_message(code));
	o->slo_pending = false;
}

static void
overview_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct overview *o = view->private;

	list_draw(&o->list, view, tui, win);
	if (!o->n_rows)
		draw_text(win, 3, 2, getmaxx(win) - 4, role_attr(COLOR_MUTED),
			  "No services yet: add [source] sections to the config (sitrep.conf(5)), "
			  "or try sitrep demo.");
}

static enum request
overview_request(struct view *view, struct tui *tui, enum request req)
{
	struct overview *o = view->private;

	if (req == REQ_SORT || req == REQ_SORT_REVERSE || req == REQ_FILTER ||
	    req == REQ_TOGGLE_OPEN)
		return REQ_NONE; /* the board keeps its order: services by name */
	req = list_request(&o->list, view, tui, req);
	if (req == REQ_ENTER) {
		/* the service's incidents */
		const void *row = list_selected(&o->list);

		if (row)
			incidents_show_service(tui,
					       (*(struct store_service_row *const *)row)->name);
		return REQ_NONE;
	}
	return req;
}

/* R: the service in production, the environment the board shows. */
static const char *
overview_service(struct view *view, const char **environment)
{
	struct overview *o = view->private;
	const void *row = o->list.ops ? list_selected(&o->list) : NULL;

	*environment = NULL;
	return row ? (*(struct store_service_row *const *)row)->name : NULL;
}

static void
overview_done(struct view *view)
{
	struct overview *o = view->private;

	list_release(&o->list);
	store_service_rows_free(o->rows, o->n_rows);
	free(o->slo_left);
}

const struct view_ops overview_ops = {
	.name = "overview",
	.title = "Overview",
	.private_size = sizeof(struct overview),
	.idle = overview_idle,
	.load = overview_load,
	.draw = overview_draw,
	.request = overview_request,
	.done = overview_done,
	.service = overview_service,
};
