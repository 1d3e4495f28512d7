/* view_deploys.c - deploys by service and environment: what runs where (version,
 * pattern, canary weight, how long the bake has left), how the last rollout went,
 * and on Enter that environment's history with the deployments each replaced. R
 * rolls the row's service back in the row's environment (rollback_dialog.c). */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/timestamp.h"

#include <math.h>

static const struct list_column deploy_columns[] = {
	{ "SERVICE", 0, false, false },	 { "ENV", 11, false, false },
	{ "VERSION", 12, false, false }, { "PATTERN", 10, false, false },
	{ "CANARY", 7, true, false },	 { "BAKE", 7, true, false },
	{ "STATUS", 11, false, false },	 { "DEPLOYED", 8, true, false },
	{ "#", 4, true, false },
};

struct deploys_view {
	struct list list;
	struct store_deploy_row *rows;
	size_t n_rows;
};

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

	(void)view;
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
	case 7:
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

static enum status_code
deploys_load(struct view *view, struct tui *tui)
{
	struct deploys_view *d = view->private;
	enum status_code code;

	if (!d->list.ops)
		list_init(&d->list, &deploys_list_ops, deploy_columns, ARRAY_SIZE(deploy_columns));
	list_release(&d->list);
	store_deploy_rows_free(d->rows, d->n_rows);
	d->rows = NULL;
	d->n_rows = 0;
	if ((code = store_deploy_rows(tui->store, &d->rows, &d->n_rows)) != SUCCESS)
		return code;
	return list_reload(&d->list, view, tui);
}

static void
deploys_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct deploys_view *d = view->private;

	list_draw(&d->list, view, tui, win);
}

static void
open_history(struct view *view, struct tui *tui, const struct store_deploy_row *r)
{
	struct store_deploy_row *rows = NULL;
	size_t n = 0, n_lines = 0;
	char **lines;
	char title[160];

	if (store_deploy_history(tui->store, r->service, r->environment, 200, &rows, &n) !=
	    SUCCESS) {
		tui_message(tui, true, "%s", status_message(ERROR_CUSTOM_MESSAGE));
		return;
	}
	lines = xcalloc(n + 2, sizeof(*lines));
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
