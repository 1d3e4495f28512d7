/* view_deploys.c - deploys by service and environment: what runs where (version,
 * pattern, canary weight, how long the bake has left), how the last rollout went,
 * and on Enter that environment's history with the deployments each replaced. The
 * HEALTH column is each deployment's verdict against its baseline (health.h):
 * during the bake, and the last one after it; the line under the list says why for
 * the selected deployment, baseline against now. R rolls the row's service back in
 * the row's environment (rollback_dialog.c). */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/health.h"
#include "sitrep/timestamp.h"

#include <math.h>

static const struct list_column deploy_columns[] = {
	{ "SERVICE", 0, false, false },	  { "ENV", 11, false, false },
	{ "VERSION", 12, false, false },  { "PATTERN", 10, false, false },
	{ "CANARY", 7, true, false },	  { "BAKE", 7, true, false },
	{ "STATUS", 11, false, false },	  { "HEALTH", 9, false, false },
	{ "PREVIOUS", 12, false, false }, { "SHA", 7, false, false },
	{ "DEPLOYED", 8, true, false },	  { "#", 4, true, false },
};

struct deploys_view {
	struct list list;
	struct store_deploy_row *rows;
	struct health_report *health; /* of rows[i] */
	size_t n_rows;
};

static enum color_role
verdict_role(enum health_verdict v)
{
	return v == HEALTH_FAILING     ? COLOR_BAD
	       : v == HEALTH_DEGRADING ? COLOR_WARNING
	       : v == HEALTH_HEALTHY   ? COLOR_GOOD
				       : COLOR_MUTED;
}

static const struct health_report *
health_of(const struct deploys_view *d, const struct store_deploy_row *r)
{
	return d->health ? &d->health[r - d->rows] : NULL;
}

static bool
is_production(const char *env)
{
	return env && (streq(env, "production") || streq(env, "prod"));
}

static enum status_code
deploys_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
	      bool backward, size_t n, void *rows, size_t *got)
{
	struct deploys_view *d = view->private;
	const struct store_deploy_row **out = rows;

	(void)tui;
	*got = 0;
	if (anchor || backward)
		return SUCCESS;
	for (size_t i = 0; i < d->n_rows && *got < n; i++) {
		const struct store_deploy_row *r = &d->rows[i];

		if (list->filter[0] && !strstr(r->service, list->filter) &&
		    !strstr(r->environment, list->filter) &&
		    !(r->version && strstr(r->version, list->filter)))
			continue;
		out[(*got)++] = r;
	}
	return SUCCESS;
}

static enum color_role
deploy_status_role(const char *status)
{
	if (!status)
		return COLOR_MUTED;
	if (streq(status, "success"))
		return COLOR_GOOD;
	if (streq(status, "failed") || streq(status, "rolled_back"))
		return COLOR_BAD;
	if (streq(status, "running"))
		return COLOR_RUNNING;
	return COLOR_DEFAULT;
}

static enum color_role
deploys_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf,
	     size_t size)
{
	const struct store_deploy_row *r = *(const struct store_deploy_row *const *)row;

	switch (col) {
	case 0:
		snprintf(buf, size, "%s", r->service);
		break;
	case 1:
		snprintf(buf, size, "%s", r->environment);
		return is_production(r->environment) ? COLOR_PRODUCTION : COLOR_DEFAULT;
	case 2:
		snprintf(buf, size, "%s", r->version ? r->version : "-");
		break;
	case 3:
		snprintf(buf, size, "%s", r->pattern ? r->pattern : "-");
		break;
	case 4:
		if (!isnan(r->canary_weight))
			snprintf(buf, size, "%.0f%%", r->canary_weight);
		return COLOR_RUNNING;
	case 5:
		if (r->bake_until != TIME_NONE && r->bake_until > tui->now)
			format_age(tui->now, r->bake_until, buf, size);
		return COLOR_RUNNING;
	case 6:
		snprintf(buf, size, "%s", r->status ? r->status : "-");
		return deploy_status_role(r->status);
	case 7: {
		const struct health_report *h = health_of(view->private, r);

		if (!h || h->verdict == HEALTH_UNKNOWN)
			return COLOR_MUTED;
		snprintf(buf, size, "%s", health_verdict_name(h->verdict));
		return verdict_role(h->verdict);
	}
	case 8:
		snprintf(buf, size, "%s", r->previous ? r->previous : "-");
		return COLOR_MUTED;
	case 9:
		snprintf(buf, size, "%.7s", r->sha ? r->sha : "-");
		return COLOR_MUTED;
	case 10:
		format_age(r->finished_at != TIME_NONE ? r->finished_at : r->started_at, tui->now,
			   buf, size);
		break;
	default:
		snprintf(buf, size, "%lld", (long long)r->count);
		break;
	}
	return COLOR_DEFAULT;
}

static const struct list_ops deploys_list_ops = {
	.row_size = sizeof(struct store_deploy_row *),
	.fetch = deploys_fetch,
	.cell = deploys_cell,
};

static void
health_free(struct deploys_view *d)
{
	for (size_t i = 0; d->health && i < d->n_rows; i++)
		health_report_release(&d->health[i]);
	free(d->health);
	d->health = NULL;
}

static enum status_code
deploys_load(struct view *view, struct tui *tui)
{
	struct deploys_view *d = view->private;
	enum status_code code;

	if (!d->list.ops)
		list_init(&d->list, &deploys_list_ops, deploy_columns, ARRAY_SIZE(deploy_columns));
	list_release(&d->list);
	health_free(d);
	store_deploy_rows_free(d->rows, d->n_rows);
	d->rows = NULL;
	d->n_rows = 0;
	if ((code = store_deploy_rows(tui->store, &d->rows, &d->n_rows)) != SUCCESS)
		return code;
	d->health = xcalloc(d->n_rows + 1, sizeof(*d->health));
	for (size_t i = 0; i < d->n_rows; i++)
		if ((code = health_check(tui->store, &tui->cfg, &d->rows[i], tui->now,
					 &d->health[i])) != SUCCESS)
			return code;
	return list_reload(&d->list, view, tui);
}

/* The line under the list: the selected deployment's verdict, why, and each
 * metric's baseline against now. */
static void
draw_why(struct deploys_view *d, WINDOW *win, int y)
{
	const void *row = list_selected(&d->list);
	const struct store_deploy_row *r =
		row ? *(const struct store_deploy_row *const *)row : NULL;
	const struct health_report *h = r ? health_of(d, r) : NULL;
	char text[512];
	size_t used;
	int x;

	draw_fill(win, y, 0, role_attr(COLOR_DEFAULT));
	if (!h)
		return;
	snprintf(text, sizeof(text), "%s %s: %s", r->service, r->environment,
		 h->baking ? "bake" : "last bake");
	x = draw_text(win, y, 0, getmaxx(win), role_attr(COLOR_MUTED), text);
	snprintf(text, sizeof(text), " %s", health_verdict_name(h->verdict));
	x += draw_text(win, y, x, getmaxx(win) - x, role_attr(verdict_role(h->verdict)), text);
	used = (size_t)snprintf(text, sizeof(text), ": %s", h->reason);
	for (size_t i = 1; i < h->n_metrics && used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "; %s",
					 h->metrics[i].reason);
	draw_text(win, y, x, getmaxx(win) - x, role_attr(COLOR_DEFAULT), text);
}

static void
deploys_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct deploys_view *d = view->private;
	int height = getmaxy(win), width = getmaxx(win);
	WINDOW *list = height > 3 ? derwin(win, height - 1, width, 0, 0) : NULL;

	if (!list) {
		list_draw(&d->list, view, tui, win);
		return;
	}
	list_draw(&d->list, view, tui, list);
	draw_why(d, win, height - 1);
	delwin(list);
}

static void
open_history(struct view *view, struct tui *tui, const struct store_deploy_row *r)
{
	const struct health_report *h = health_of(view->private, r);
	struct store_deploy_row *rows = NULL;
	size_t n = 0, n_lines = 0;
	char **lines;
	char title[160];

	if (store_deploy_history(tui->store, r->service, r->environment, 200, &rows, &n) !=
	    SUCCESS) {
		tui_message(tui, true, "%s", status_message(ERROR_CUSTOM_MESSAGE));
		return;
	}
	lines = xcalloc(n + 4 + (h ? h->n_metrics : 0), sizeof(*lines));
	if (h && h->n_metrics) {
		char from[TIMESTAMP_TEXT_SIZE], to[TIMESTAMP_TEXT_SIZE], base[TIMESTAMP_TEXT_SIZE];

		timestamp_format(h->from, from, sizeof(from));
		timestamp_format(h->to, to, sizeof(to));
		timestamp_format(h->baseline_from, base, sizeof(base));
		lines[n_lines++] =
			xasprintf("Health %s: %s, bake %s to %s, baseline from %s",
				  health_verdict_name(h->verdict),
				  h->baking ? "baking" : "the last bake", from, to, base);
		for (size_t i = 0; i < h->n_metrics; i++)
			lines[n_lines++] =
				xasprintf("  %-10s %s", health_verdict_name(h->metrics[i].verdict),
					  h->metrics[i].reason);
		lines[n_lines++] = xstrdup("");
	}
	lines[n_lines++] = xasprintf("%-22s %-14s %-10s %-12s %s", "STARTED", "VERSION", "PATTERN",
				     "STATUS", "ID (what a rollback acts on)");
	for (size_t i = 0; i < n; i++) {
		char at[TIMESTAMP_TEXT_SIZE] = "-";

		if (rows[i].started_at != TIME_NONE)
			timestamp_format(rows[i].started_at, at, sizeof(at));
		lines[n_lines++] =
			xasprintf("%-22s %-14s %-10s %-12s %s%s%s", at,
				  rows[i].version ? rows[i].version : "-",
				  rows[i].pattern ? rows[i].pattern : "-",
				  rows[i].status ? rows[i].status : "-", rows[i].source_id,
				  rows[i].target ? "  " : "", rows[i].target ? rows[i].target : "");
	}
	store_deploy_rows_free(rows, n);
	snprintf(title, sizeof(title), "%.60s %.40s", r->service, r->environment);
	text_view_open(tui, view, title, lines, n_lines);
}

static enum request
deploys_request(struct view *view, struct tui *tui, enum request req)
{
	struct deploys_view *d = view->private;
	const void *row;

	if (req == REQ_SORT || req == REQ_SORT_REVERSE || req == REQ_TOGGLE_OPEN)
		return REQ_NONE;
	req = list_request(&d->list, view, tui, req);
	if (req == REQ_ENTER) {
		if ((row = list_selected(&d->list)))
			open_history(view, tui, *(const struct store_deploy_row *const *)row);
		return REQ_NONE;
	}
	return req;
}

static const char *
deploys_service(struct view *view, const char **environment)
{
	struct deploys_view *d = view->private;
	const void *row = d->list.ops ? list_selected(&d->list) : NULL;
	const struct store_deploy_row *r =
		row ? *(const struct store_deploy_row *const *)row : NULL;

	*environment = r ? r->environment : NULL;
	return r ? r->service : NULL;
}

static void
deploys_done(struct view *view)
{
	struct deploys_view *d = view->private;

	list_release(&d->list);
	health_free(d);
	store_deploy_rows_free(d->rows, d->n_rows);
}

const struct view_ops deploys_ops = {
	.name = "deploys",
	.title = "Deploys",
	.private_size = sizeof(struct deploys_view),
	.load = deploys_load,
	.draw = deploys_draw,
	.request = deploys_request,
	.done = deploys_done,
	.service = deploys_service,
};
