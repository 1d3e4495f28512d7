/* view.c - views and the frame around them: the tab line at the top (the seven top
 * views by number, the current one marked), the view's body, and the status bar
 * at the bottom (every source's freshness, a message, the clock). Views only load
 * and paint; this file owns geometry, so a resize needs no code in any view. */
#include "tui.h"
#include "sitrep/sync.h"

#include <time.h>

struct view *
view_new(const struct view_ops *ops, struct view *parent)
{
	struct view *view = xcalloc(1, sizeof(*view));

	view->ops = ops;
	view->parent = parent;
	if (ops->private_size)
		view->private = xcalloc(1, ops->private_size);
	return view;
}

void
view_free(struct view *view)
{
	if (!view)
		return;
	if (view->ops->done)
		view->ops->done(view);
	free(view->private);
	free(view);
}

void
view_reload(struct tui *tui, struct view *view)
{
	enum status_code code = view->ops->load ? view->ops->load(view, tui) : SUCCESS;

	view->loaded = true;
	if (code != SUCCESS)
		tui_message(tui, true, "%s", status_message(code));
}

void
view_show(struct tui *tui, struct view *view)
{
	if (!view->loaded)
		view_reload(tui, view);
	tui->current = view;
}

/* ---- the tab line ---- */

void
frame_draw_tabs(struct tui *tui, WINDOW *win)
{
	const struct view *top = tui->current;
	int x = 0, width = getmaxx(win), used;
	char label[64];

	while (top && top->parent)
		top = top->parent;
	werase(win);
	draw_fill(win, 0, 0, role_attr(COLOR_TITLE));
	x += draw_text(win, 0, x, width - x, role_attr(COLOR_TITLE), " sitrep ");
	for (int i = 1; i <= 7 && x < width; i++) {
		const struct view *v = tui->views[i];
		bool active = v == top;

		if (!v)
			continue;
		/* At 80 columns the numbers and first letters fit; wider, the titles. */
		if (width >= 100)
			snprintf(label, sizeof(label), " %d %s ", i, v->ops->title);
		else
			snprintf(label, sizeof(label), " %d%.4s ", i, v->ops->title);
		used = draw_text(win, 0, x, width - x,
				 role_attr(active ? COLOR_TAB_ACTIVE : COLOR_TITLE), label);
		mouse_area_add(MOUSE_TAB, win, 0, x, 1, used, NULL, (size_t)i);
		x += used;
	}
	if (tui->current && x + 4 < width) {
		char title[192];

		if (tui->current->ops == &text_ops)
			snprintf(title, sizeof(title), "%.120s ", tui->current->subtitle);
		else if (tui->current->parent || tui->current->subtitle[0])
			snprintf(title, sizeof(title), "%s%s%.120s ", tui->current->ops->title,
				 tui->current->subtitle[0] ? ": " : "", tui->current->subtitle);
		else
			title[0] = '\0';
		draw_text_right(win, 0, x + 1, width - x - 1, role_attr(COLOR_TITLE), title);
	}
}

/* ---- the status bar ---- */

static enum color_role
health_role(int health)
{
	switch (health) {
	case SYNC_OK:
		return COLOR_SOURCE_OK;
	case SYNC_STALE:
		return COLOR_SOURCE_STALE;
	case SYNC_FAILING:
		return COLOR_SOURCE_FAILING;
	default:
		return COLOR_STATUS;
	}
}

void
frame_draw_status(struct tui *tui, WINDOW *win)
{
	int width = getmaxx(win), x = 0, clock_width, used;
	char clock[40], chip[96], age[16];
	time_t t = (time_t)tui->now;
	struct tm tm;

	werase(win);
	draw_fill(win, 0, 0, role_attr(COLOR_STATUS));
	if (tui->local_clock)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	strftime(clock, sizeof(clock), tui->local_clock ? " %H:%M:%S %Z " : " %H:%M:%S UTC ", &tm);
	clock_width = (int)strlen(clock);
	draw_text_right(win, 0, 0, width, role_attr(COLOR_STATUS), clock);
	width -= clock_width;
	if (tui->message[0]) {
		draw_text(win, 0, 0, width,
			  role_attr(tui->message_is_error ? COLOR_ERROR : COLOR_MESSAGE),
			  tui->message);
		return;
	}
	if (!tui->n_sources) {
		draw_text(win, 0, 0, width, role_attr(COLOR_STATUS),
			  " no sources configured: ? for help");
		return;
	}
	for (size_t i = 0; i < tui->n_sources && x < width; i++) {
		const struct source_health *s = &tui->sources[i];

		if (s->last_success != TIME_NONE)
			format_age(s->last_success, tui->now, age, sizeof(age));
		else
			string_copy(age, "never");
		/* Stale and failing say so in words too: color is not the only signal. */
		snprintf(chip, sizeof(chip), " %s %s%s%s ", s->name,
			 s->health == SYNC_OK ? "" : sync_health_name((enum sync_health)s->health),
			 s->health == SYNC_OK ? "" : " ", age);
		used = draw_text(win, 0, x, width - x, role_attr(health_role(s->health)), chip);
		mouse_area_add(MOUSE_SOURCE, win, 0, x, 1, used, NULL, i);
		x += used;
		if (x < width)
			x += draw_text(win, 0, x, 1, role_attr(COLOR_STATUS), " ");
	}
}
