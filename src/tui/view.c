/* view.c - views and the frame around them: the tab line at the top (the seven top
 * views by number, the current one marked), the view's body, and the status bar
 * at the bottom (every source's freshness, a message, the clock). Views only load
 * and paint; this file owns geometry, so a resize needs no code in any view. */
#include "tui.h"
#include "sitrep/sync.h"
#include "sitrep/text.h"

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
	view->idle_pending = view->ops->idle != NULL;
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

static void draw_view_title(const struct view *view, WINDOW *win, int x, int width);

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
		/* At 80 columns the numbers and first letters fit; wider, the titles;
		 * narrower, the numbers and the current view's letters. */
		if (width >= 100)
			snprintf(label, sizeof(label), " %d %s ", i, v->ops->title);
		else if (width >= 60 || active)
			snprintf(label, sizeof(label), " %d%.4s ", i, v->ops->title);
		else
			snprintf(label, sizeof(label), " %d ", i);
		used = draw_text(win, 0, x, width - x,
				 role_attr(active ? COLOR_TAB_ACTIVE : COLOR_TITLE), label);
		mouse_area_add(MOUSE_TAB, win, 0, x, 1, used, NULL, (size_t)i);
		x += used;
	}
	if (tui->current && x + 4 < width)
		draw_view_title(tui->current, win, x + 1, width - x - 1);
}

/* The longest prefix of s, cut after a whole word, that fits width columns with a
 * "..." mark; "" when not even one word does. */
static void
fit_words(const char *s, int width, char *buf, size_t size)
{
	const char *mark = draw_glyph("\u2026", "...");
	size_t mark_width = text_width(mark, strlen(mark));

	buf[0] = '\0';
	for (const char *sp = strchr(s, ' '); sp; sp = strchr(sp + 1, ' ')) {
		size_t len = (size_t)(sp - s);

		if (len && s[len - 1] != ' ' && text_width(s, len) + mark_width <= (size_t)width)
			snprintf(buf, size, "%.*s%s", (int)len, s, mark);
	}
}

/* The current view's title at the right of the tab line in width columns: "Title:
 * subtitle", else the subtitle alone, else as many whole words as fit. Never cut in
 * the middle of a word. Widths are those of the sanitized text that is drawn. */
static void
draw_view_title(const struct view *view, WINDOW *win, int x, int width)
{
	char full[192], part[192], *safe, *sub;

	if (view->ops == &text_ops)
		snprintf(full, sizeof(full), "%.120s", view->subtitle);
	else if (view->parent || view->subtitle[0])
		snprintf(full, sizeof(full), "%s%s%.120s", view->ops->title,
			 view->subtitle[0] ? ": " : "", view->subtitle);
	else
		return;
	safe = text_sanitize(full, strlen(full), false);
	sub = text_sanitize(view->subtitle, strlen(view->subtitle), false);
	/* One column of margin at the right: the text plus a space. */
	width--;
	if (text_width(safe, strlen(safe)) > (size_t)width && sub[0] &&
	    text_width(sub, strlen(sub)) <= (size_t)width)
		snprintf(part, sizeof(part), "%s", sub);
	else if (text_width(safe, strlen(safe)) > (size_t)width)
		fit_words(safe, width, part, sizeof(part));
	else
		snprintf(part, sizeof(part), "%s", safe);
	if (part[0])
		draw_text_right(win, 0, x, width, role_attr(COLOR_TITLE), part);
	free(safe);
	free(sub);
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

/* " name age " of source, " name stale age " when not ok: color is not the only
 * signal. */
static void
source_chip(const struct tui *tui, const struct source_health *s, char *chip, size_t size)
{
	char age[16];

	if (s->last_success != TIME_NONE)
		format_age(s->last_success, tui->now, age, sizeof(age));
	else
		string_copy(age, "never");
	snprintf(chip, size, " %s %s%s%s ", s->name,
		 s->health == SYNC_OK ? "" : sync_health_name((enum sync_health)s->health),
		 s->health == SYNC_OK ? "" : " ", age);
}

/* Every source's chip in width columns: the ones in trouble first, so that they are
 * never the ones left out, and only whole chips; " +N more " says how many did not
 * fit (E lists them all). */
static void
draw_sources(const struct tui *tui, WINDOW *win, int width)
{
	char chip[96], more[32];
	size_t left = tui->n_sources;
	int x = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < tui->n_sources; i++) {
			const struct source_health *s = &tui->sources[i];
			int w, room = width - x;

			if ((s->health == SYNC_OK) == (pass == 0))
				continue;
			source_chip(tui, s, chip, sizeof(chip));
			w = (int)text_width(chip, strlen(chip));
			/* The last chip needs no room for the count after it. */
			snprintf(more, sizeof(more), " +%zu more ", left - 1);
			if (left > 1)
				room -= (int)strlen(more) + 1;
			if (w > room)
				continue;
			w = draw_text(win, 0, x, w, role_attr(health_role(s->health)), chip);
			mouse_area_add(MOUSE_SOURCE, win, 0, x, 1, w, NULL, i);
			x += w;
			x += draw_text(win, 0, x, 1, role_attr(COLOR_STATUS), " ");
			left--;
		}
	}
	if (left) {
		snprintf(more, sizeof(more), " +%zu more ", left);
		draw_text(win, 0, x, width - x, role_attr(COLOR_STATUS), more);
	}
}

void
frame_draw_status(struct tui *tui, WINDOW *win)
{
	int width = getmaxx(win), clock_width;
	char clock[40];
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
	draw_sources(tui, win, width);
}
