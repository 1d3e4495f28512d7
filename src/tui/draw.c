/* draw.c - putting text on the screen. Everything drawn passes the one sanitizer
 * (text_sanitize) and is cut to its width by display columns (text_truncate), so an
 * incident title with escape sequences, bidi overrides or invalid UTF-8 cannot move
 * the cursor, change colors or retitle the terminal, and a wide character never
 * spills into the next column. In a non-UTF-8 locale the result is ASCII. */
#include "tui.h"
#include "chart.h"
#include "sitrep/text.h"
#include "sitrep/timestamp.h"

#include <math.h>
#include <time.h>

bool
draw_utf8(void)
{
	return text_locale_utf8();
}

/* Safe text of s cut to width columns, into buf. */
static size_t
fit(const char *s, int width, char *buf, size_t size)
{
	char *safe;
	size_t used;

	if (width <= 0 || !s) {
		buf[0] = '\0';
		return 0;
	}
	safe = text_sanitize(s, strlen(s), false);
	used = text_truncate(safe, (size_t)width, draw_utf8(), buf, size);
	free(safe);
	return used;
}

int
draw_text(WINDOW *win, int y, int x, int width, attr_t attr, const char *s)
{
	char buf[1024];
	size_t used = fit(s, width, buf, sizeof(buf));

	if (!used)
		return 0;
	wattrset(win, attr);
	mvwaddstr(win, y, x, buf);
	wattrset(win, A_NORMAL);
	return (int)used;
}

int
draw_text_right(WINDOW *win, int y, int x, int width, attr_t attr, const char *s)
{
	char buf[1024];
	size_t used = fit(s, width, buf, sizeof(buf));

	if (!used)
		return 0;
	wattrset(win, attr);
	mvwaddstr(win, y, x + width - (int)used, buf);
	wattrset(win, A_NORMAL);
	return (int)used;
}

void
draw_fill(WINDOW *win, int y, int x, attr_t attr)
{
	int w = getmaxx(win);

	wattrset(win, attr);
	for (; x < w; x++)
		mvwaddch(win, y, x, ' ');
	wattrset(win, A_NORMAL);
}

void
draw_sparkline(const double *values, size_t n, int width, char *buf, size_t size)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "._-=#";
	double cells[256], lo = INFINITY, hi = -INFINITY;
	size_t used = 0, w;
	bool utf8 = draw_utf8();

	buf[0] = '\0';
	if (width <= 0 || size == 0 || n == 0)
		return;
	w = (size_t)width < ARRAY_SIZE(cells) ? (size_t)width : ARRAY_SIZE(cells);
	if (w > n)
		w = n;
	/* Each cell averages its share of the values, so the whole span is shown. */
	for (size_t c = 0; c < w; c++) {
		size_t from = c * n / w, to = (c + 1) * n / w, k = 0;
		double sum = 0;

		for (size_t i = from; i < to; i++) {
			if (!isnan(values[i])) {
				sum += values[i];
				k++;
			}
		}
		cells[c] = k ? sum / (double)k : NAN;
		if (k) {
			lo = cells[c] < lo ? cells[c] : lo;
			hi = cells[c] > hi ? cells[c] : hi;
		}
	}
	for (size_t pad = (size_t)width - w; pad > 0 && used + 1 < size; pad--)
		buf[used++] = ' ';
	for (size_t c = 0; c < w; c++) {
		int level;

		if (isnan(cells[c])) {
			if (used + 1 < size)
				buf[used++] = ' ';
			continue;
		}
		level = hi > lo ? (int)((cells[c] - lo) / (hi - lo) * 7.999) : 3;
		if (utf8) {
			if (used + 4 >= size)
				break;
			memcpy(buf + used, blocks[level], 3);
			used += 3;
		} else if (used + 1 < size) {
			buf[used++] = ascii[level * 5 / 8];
		}
	}
	buf[used] = '\0';
}

void
format_age(int64_t then, int64_t now, char *buf, size_t size)
{
	int64_t d = now - then;

	if (then == TIME_NONE) {
		snprintf(buf, size, "-");
		return;
	}
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, size, "%llds", (long long)d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, size, "%lldh%02lldm", (long long)(d / 3600),
			 (long long)(d % 3600 / 60));
	else
		snprintf(buf, size, "%lldd", (long long)(d / 86400));
}

int
draw_chart_glyphs(int terminal_cols)
{
	if (!draw_utf8())
		return CHART_ASCII;
	return terminal_cols >= CHART_BRAILLE_COLS ? CHART_BRAILLE : CHART_BLOCKS;
}

const char *
draw_glyph(const char *utf8, const char *ascii)
{
	return draw_utf8() ? utf8 : ascii;
}

int64_t
tui_clock_offset(const struct tui *tui, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!tui->local_clock)
		return 0;
	localtime_r(&tt, &tm);
	return (int64_t)tm.tm_gmtoff;
}

enum color_role
pipeline_status_role(const char *status)
{
	if (!status)
		return COLOR_MUTED;
	if (streq(status, "success"))
		return COLOR_GOOD;
	if (streq(status, "failed"))
		return COLOR_BAD;
	if (streq(status, "running") || streq(status, "queued") || streq(status, "waiting"))
		return COLOR_RUNNING;
	return COLOR_MUTED;
}

void
format_series(const char *name, const char *labels, char *buf, size_t size)
{
	const char *l = labels ? labels : "";

	/* The canonical labels are key="value" pairs, sorted, values escaped: a query
	 * that returns the raw series brings __name__, which only repeats the name. */
	if (strncmp(l, "__name__=\"", 10) == 0) {
		const char *p = l + 10;

		while (*p && *p != '"')
			p += p[0] == '\\' && p[1] ? 2 : 1;
		l = *p ? p + 1 : p;
		if (*l == ',')
			l++;
	}
	snprintf(buf, size, "%s%s%s%s", name ? name : "", *l ? "{" : "", l, *l ? "}" : "");
}

void
draw_alarm_banner(const struct tui *tui, WINDOW *win)
{
	static const char hint[] = " 6 deploys, R roll back ";
	int width = getmaxx(win), x;
	char text[600];

	werase(win);
	draw_fill(win, 0, 0, role_attr(COLOR_ERROR));
	if (!tui->n_alarms)
		return;
	x = draw_text(win, 0, 0, width, role_attr(COLOR_ERROR), "ROLLBACK ALARM ");
	rollback_alarm_describe(&tui->alarms[0], text, sizeof(text));
	if (tui->n_alarms > 1)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " (+%zu more)",
			 tui->n_alarms - 1);
	/* the hint stays whole; the description is cut before it */
	if (width - x > (int)sizeof(hint) + 10) {
		draw_text_right(win, 0, 0, width, role_attr(COLOR_ERROR), hint);
		width -= (int)sizeof(hint);
	}
	draw_text(win, 0, x, width - x, role_attr(COLOR_ERROR), text);
}
