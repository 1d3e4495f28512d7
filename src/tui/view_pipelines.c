/* view_pipelines.c - CI/CD runs newest first, each with its stages as a strip
 * (lint, tests, build, publish, integration, release, deploy: one mark per stage,
 * colored by how it went), how long it took, who or what started it, and the stage
 * that failed; Enter shows the run's stages. And the branches view: every branch
 * that ran CI with its last result, until the branch graph replaces it. */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/timestamp.h"

enum pipeline_column {
	COL_STATUS,
	COL_PROJECT,
	COL_REF,
	COL_NUMBER,
	COL_STAGES,
	COL_DURATION,
	COL_ACTOR,
	COL_AGE,
	COL_FAILING,
};

static const struct list_column columns[] = {
	[COL_STATUS] = { "STATUS", 8, false, false },
	[COL_PROJECT] = { "PROJECT", 16, false, false },
	[COL_REF] = { "REF", 14, false, false },
	[COL_NUMBER] = { "#", 5, true, false },
	[COL_STAGES] = { "STAGES", 11, false, false },
	[COL_DURATION] = { "TOOK", 7, true, false },
	[COL_ACTOR] = { "BY", 10, false, false },
	[COL_AGE] = { "AGE", 6, true, false },
	[COL_FAILING] = { "FAILED AT", 0, false, false },
};

struct pipelines_view {
	struct list list;
};

/* The strip: one mark a stage. */
static void
strip_text(const char *strip, char *buf, size_t size)
{
	static const struct {
		char letter;
		const char *utf8, *ascii;
	} marks[] = {
		{ 's', "\u2713", "+" }, { 'f', "\u2717", "x" }, { 'r', "\u25cf", "*" },
		{ 'q', "\u25cb", "o" }, { 'c', "\u2298", "/" }, { 'k', "\u00b7", "." },
		{ 'w', "\u23f8", "w" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (const char *p = strip ? strip : ""; *p; p++) {
		const char *mark = "?";

		for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
			if (marks[i].letter == *p)
				mark = draw_utf8() ? marks[i].utf8 : marks[i].ascii;
		if (used + strlen(mark) + 1 >= size)
			break;
		memcpy(buf + used, mark, strlen(mark) + 1);
		used += strlen(mark);
	}
}

static enum status_code
pipelines_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
		bool backward, size_t n, void *rows, size_t *got)
{
	struct store_page_query q = {
		.filter = list->filter,
		.open_only = list->open_only,
		.anchor = anchor,
		.backward = backward,
		.limit = n,
	};

	(void)view;
	return store_pipeline_rows(tui->store, &q, rows, got);
}

static void
pipelines_free_row(void *row)
{
	store_pipeline_row_release(row);
}

static enum color_role
pipelines_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf,
	       size_t size)
{
	const struct store_pipeline_row *r = row;
	int64_t start = r->started_at != TIME_NONE ? r->started_at : r->queued_at;

	(void)view;
	switch ((enum pipeline_column)col) {
	case COL_STATUS:
		snprintf(buf, size, "%s", r->status ? r->status : "-");
		return pipeline_status_role(r->status);
	case COL_PROJECT:
		snprintf(buf, size, "%s", r->project);
		break;
	case COL_REF:
		snprintf(buf, size, "%s", r->ref ? r->ref : "");
		break;
	case COL_NUMBER:
		if (r->number != TIME_NONE)
			snprintf(buf, size, "%lld", (long long)r->number);
		break;
	case COL_STAGES:
		strip_text(r->strip, buf, size);
		return pipeline_status_role(r->status);
	case COL_DURATION:
		if (start != TIME_NONE)
			format_age(start, r->finished_at != TIME_NONE ? r->finished_at : tui->now,
				   buf, size);
		break;
	case COL_ACTOR:
		snprintf(buf, size, "%s", r->actor ? r->actor : r->event ? r->event : "");
		break;
	case COL_AGE:
		format_age(start, tui->now, buf, size);
		break;
	case COL_FAILING:
		snprintf(buf, size, "%s", r->failing ? r->failing : "");
		return COLOR_BAD;
	}
	return COLOR_DEFAULT;
}

static const struct list_ops pipelines_list_ops = {
	.row_size = sizeof(struct store_pipeline_row),
	.fetch = pipelines_fetch,
	.free_row = pipelines_free_row,
	.cell = pipelines_cell,
};

static enum status_code
pipelines_load(struct view *view, struct tui *tui)
{
	struct pipelines_view *v = view->private;

	if (!v->list.ops)
		list_init(&v->list, &pipelines_list_ops, columns, ARRAY_SIZE(columns));
	snprintf(view->subtitle, sizeof(view->subtitle), "%s%s%.100s",
		 v->list.open_only ? "running" : "all", v->list.filter[0] ? ", /" : "",
		 v->list.filter);
	return list_reload(&v->list, view, tui);
}

static void
pipelines_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct pipelines_view *v = view->private;

	list_draw(&v->list, view, tui, win);
}

struct stage_lines {
	char **lines;
	size_t n;
	int64_t now;
};

static enum status_code
add_stages(void *ctx, const struct store_pipeline *p)
{
	struct stage_lines *s = ctx;

	for (size_t i = 0; i < p->n_stages; i++) {
		const struct store_stage *st = &p->stages[i];
		char took[16] = "", coverage[24] = "";

		if (st->started_at != TIME_NONE)
			format_age(st->started_at,
				   st->finished_at != TIME_NONE ? st->finished_at : s->now, took,
				   sizeof(took));
		if (st->coverage == st->coverage) /* not NAN */
			snprintf(coverage, sizeof(coverage), "  coverage %.1f%%", st->coverage);
		s->lines = xrealloc(s->lines, (s->n + 1) * sizeof(*s->lines));
		s->lines[s->n++] = xasprintf("  %-9s %-12s %-28s %7s%s", st->status,
					     st->kind ? st->kind : "-", st->name, took, coverage);
	}
	if (!p->n_stages) {
		s->lines = xrealloc(s->lines, (s->n + 1) * sizeof(*s->lines));
		s->lines[s->n++] = xstrdup("  (no stages reported)");
	}
	return SUCCESS;
}

static void
open_run(struct view *view, struct tui *tui, const struct store_pipeline_row *r)
{
	struct stage_lines s = { .now = tui->now };
	char title[160];

	s.lines = xcalloc(4, sizeof(*s.lines));
	s.lines[s.n++] =
		xasprintf("%s %s%s%s  %s", r->project, r->name ? r->name : "",
			  r->number != TIME_NONE ? " #" : "", "", r->status ? r->status : "");
	s.lines[s.n++] = xasprintf("ref %s  sha %s  by %s  (%s)", r->ref ? r->ref : "-",
				   r->sha ? r->sha : "-", r->actor ? r->actor : "-",
				   r->event ? r->event : "-");
	s.lines[s.n++] = xasprintf("%s", r->url ? r->url : "");
	s.lines[s.n++] = xstrdup("");
	if (store_pipeline_get(tui->store, r->source, r->source_id, add_stages, &s) != SUCCESS) {
		s.lines = xrealloc(s.lines, (s.n + 1) * sizeof(*s.lines));
		s.lines[s.n++] = xasprintf("(%s)", status_message(ERROR_CUSTOM_MESSAGE));
	}
	snprintf(title, sizeof(title), "%.60s #%lld", r->project,
		 (long long)(r->number != TIME_NONE ? r->number : 0));
	text_view_open(tui, view, title, s.lines, s.n);
}

static enum request
pipelines_request(struct view *view, struct tui *tui, enum request req)
{
	struct pipelines_view *v = view->private;
	const struct store_pipeline_row *r;

	req = list_request(&v->list, view, tui, req);
	if (req == REQ_ENTER) {
		if ((r = list_selected(&v->list)))
			open_run(view, tui, r);
		return REQ_NONE;
	}
	return req;
}

static void
pipelines_done(struct view *view)
{
	struct pipelines_view *v = view->private;

	list_release(&v->list);
}

const struct view_ops pipelines_ops = {
	.name = "pipelines",
	.title = "Pipelines",
	.private_size = sizeof(struct pipelines_view),
	.load = pipelines_load,
	.draw = pipelines_draw,
	.request = pipelines_request,
	.done = pipelines_done,
};
