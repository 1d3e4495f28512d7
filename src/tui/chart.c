/* chart.c - the arithmetic of charts: buckets on wall-clock boundaries, nice ticks,
 * braille and block glyphs, values with units. No curses and no store here: what
 * is drawn is decided by these functions, and they are tested without a terminal. */
#include "sitrep/sitrep.h"
#include "chart.h"

#include <math.h>
#include <time.h>

const struct chart_metric chart_metrics[CHART_METRICS] = {
	{ "rpm", "requests per minute", CHART_UNIT_NONE, false },
	{ "errors", "errors per minute", CHART_UNIT_NONE, false },
	{ "latency", "average latency", CHART_UNIT_SECONDS, false },
	{ "latency_max", "max latency", CHART_UNIT_SECONDS, true },
	{ "cpu", "CPU", CHART_UNIT_PERCENT, false },
	{ "memory", "memory", CHART_UNIT_PERCENT, false },
	{ "availability", "availability", CHART_UNIT_RATIO, false },
	{ "consumers", "unique API consumers", CHART_UNIT_NONE, false },
};

const struct chart_range chart_ranges[CHART_RANGES] = {
	{ "15m", 900 }, { "1h", 3600 }, { "6h", 21600 }, { "24h", 86400 }, { "7d", 604800 },
};

const char *
chart_range_name(size_t i)
{
	return chart_ranges[i].name;
}

size_t
chart_metric_rank(const char *series)
{
	/* The service is everything before the last dot that leaves a known name:
	 * "checkout.latency_max", "eu.checkout.rpm". */
	const char *dot = series ? strrchr(series, '.') : NULL;

	if (!dot)
		return CHART_METRICS;
	for (size_t i = 0; i < CHART_METRICS; i++)
		if (streq(dot + 1, chart_metrics[i].name))
			return i;
	return CHART_METRICS;
}

const struct chart_metric *
chart_metric_of(const char *series)
{
	size_t rank = chart_metric_rank(series);

	return rank < CHART_METRICS ? &chart_metrics[rank] : NULL;
}

/* printf of a number with at most one decimal, "1.0" written "1". */
static void
one_decimal(double v, const char *suffix, char *buf, size_t size)
{
	if (fabs(v - round(v)) < 0.05)
		snprintf(buf, size, "%.0f%s", round(v), suffix);
	else
		snprintf(buf, size, "%.1f%s", v, suffix);
}

void
chart_format_value(double v, enum chart_unit unit, char *buf, size_t size)
{
	double a = fabs(v);

	if (isnan(v)) {
		snprintf(buf, size, "-");
		return;
	}
	switch (unit) {
	case CHART_UNIT_SECONDS:
		if (a == 0)
			snprintf(buf, size, "0s");
		else if (a < 0.01)
			snprintf(buf, size, "%.1fms", v * 1000);
		else if (a < 1)
			snprintf(buf, size, "%.0fms", v * 1000);
		else if (a < 60)
			one_decimal(v, "s", buf, size);
		else if (a < 3600)
			one_decimal(v / 60, "m", buf, size);
		else
			one_decimal(v / 3600, "h", buf, size);
		return;
	case CHART_UNIT_PERCENT:
		if (a >= 10 || a == floor(a))
			snprintf(buf, size, "%.0f%%", v);
		else
			snprintf(buf, size, "%.1f%%", v);
		return;
	case CHART_UNIT_RATIO: {
		double p = round(v * 10000) / 100; /* two decimals of a percent */

		if (p == floor(p))
			snprintf(buf, size, "%.0f%%", p);
		else
			snprintf(buf, size, "%.2f%%", p);
		return;
	}
	case CHART_UNIT_NONE:
		break;
	}
	if (a >= 1e6)
		one_decimal(v / 1e6, "M", buf, size);
	else if (a >= 1e4)
		one_decimal(v / 1e3, "k", buf, size);
	else if (a >= 100 || a == floor(a))
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.3g", v);
}

/* ---- time ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void
chart_span_init(struct chart_span *span, int64_t now, int64_t range, size_t n)
{
	int64_t end;

	if (n == 0)
		n = 1;
	if (range < 1)
		range = 1;
	span->n = n;
	span->step = (range + (int64_t)n - 1) / (int64_t)n;
	end = (floor_div(now, span->step) + 1) * span->step;
	span->start = end - (int64_t)n * span->step;
}

long
chart_span_bucket(const struct chart_span *span, int64_t t)
{
	if (t < span->start || t >= span->start + (int64_t)span->n * span->step)
		return -1;
	return (long)((t - span->start) / span->step);
}

void
chart_fill_gaps(double *values, size_t n, size_t max_gap)
{
	size_t last = SIZE_MAX; /* the last bucket with a value */

	for (size_t i = 0; i < n; i++) {
		if (isnan(values[i]))
			continue;
		if (last != SIZE_MAX && i - last > 1 && i - last - 1 <= max_gap) {
			for (size_t k = last + 1; k < i; k++)
				values[k] = values[last] + (values[i] - values[last]) *
								   (double)(k - last) /
								   (double)(i - last);
		}
		last = i;
	}
}

size_t
chart_max_gap(int64_t step)
{
	if (step < 1)
		step = 1;
	return (size_t)((180 + step - 1) / step - 1);
}

int64_t
chart_time_step(int64_t seconds_per_column, int min_columns)
{
	static const int64_t steps[] = {
		60,   120,   300,   600,   900,	  1800,	  3600,
		7200, 10800, 21600, 43200, 86400, 172800, 604800,
	};

	if (seconds_per_column < 1)
		seconds_per_column = 1;
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		if (steps[i] / seconds_per_column >= min_columns)
			return steps[i];
	return steps[ARRAY_SIZE(steps) - 1];
}

void
chart_time_label(int64_t t, int64_t step, int64_t utc_offset, char *buf, size_t size)
{
	time_t local = (time_t)(t + utc_offset);
	struct tm tm;

	gmtime_r(&local, &tm);
	if (step >= 86400 || (tm.tm_hour == 0 && tm.tm_min == 0 && step >= 3600))
		strftime(buf, size, "%m-%d", &tm);
	else
		strftime(buf, size, "%H:%M", &tm);
}

int
chart_time_column(int64_t t, int64_t start, int64_t end, int width)
{
	int64_t c;

	if (width <= 1 || end <= start)
		return 0;
	if (t <= start)
		return 0;
	if (t >= end)
		return width - 1;
	c = (t - start) * width / (end - start);
	return c >= width ? width - 1 : (int)c;
}

/* ---- the value axis ---- */

/* A nice number near x: 1, 2, 5 or 10 times a power of ten, rounded or the next
 * above (Heckbert, Graphics Gems, 1990). */
static double
nice_number(double x, bool round_it)
{
	double e = floor(log10(x)), f = x / pow(10, e), nf;

	if (round_it)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

void
chart_axis_init(struct chart_axis *axis, double min, double max, int max_ticks, bool from_zero)
{
	double range;

	if (isnan(min) || isnan(max) || isinf(min) || isinf(max)) {
		min = 0;
		max = 1;
	}
	if (min > max) {
		double t = min;

		min = max;
		max = t;
	}
	if (from_zero && min >= 0 && min < max * 0.5)
		min = 0;
	if (max == min) {
		double pad = max == 0 ? 1 : fabs(max) * 0.1;

		max += pad;
		min = min >= 0 && min - pad < 0 ? 0 : min - pad;
	}
	if (max_ticks < 2)
		max_ticks = 2;
	range = nice_number(max - min, false);
	axis->step = nice_number(range / (max_ticks - 1), true);
	axis->lo = floor(min / axis->step) * axis->step;
	axis->hi = ceil(max / axis->step) * axis->step;
	/* Float steps land a hair off their multiples; keep the ends exact-ish. */
	if (fabs(axis->lo) < axis->step * 1e-9)
		axis->lo = 0;
	if (axis->hi <= axis->lo)
		axis->hi = axis->lo + axis->step;
}

/* ---- glyphs ---- */

int
chart_values_per_cell(enum chart_glyphs glyphs)
{
	return glyphs == CHART_BRAILLE ? 2 : 1;
}

unsigned
chart_braille_bit(int column, int row)
{
	/* Dots 1-3 and 7 down the left, 4-6 and 8 down the right (ISO/TR 11548-1). */
	static const unsigned bits[2][4] = {
		{ 0x01, 0x02, 0x04, 0x40 },
		{ 0x08, 0x10, 0x20, 0x80 },
	};

	if (column < 0 || column > 1 || row < 0 || row > 3)
		return 0;
	return bits[column][row];
}

void
chart_braille_utf8(unsigned bits, char out[4])
{
	unsigned cp = 0x2800 + (bits & 0xff);

	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	out[3] = '\0';
}

/* Where v stands between lo and hi, 0..1. */
static double
fraction(double v, double lo, double hi)
{
	double f = hi > lo ? (v - lo) / (hi - lo) : 0;

	return f < 0 ? 0 : f > 1 ? 1 : f;
}

static void
render_braille(const double *values, size_t n, double lo, double hi, int rows, int cols,
	       char (*cells)[CHART_CELL_SIZE])
{
	int dots = rows * 4, prev = -1;
	unsigned *bits = xcalloc((size_t)rows * (size_t)cols, sizeof(*bits));

	for (size_t i = 0; i < n && i < (size_t)cols * 2; i++) {
		int y, from, to;

		if (isnan(values[i])) {
			prev = -1;
			continue;
		}
		/* dot rows from the top */
		y = dots - 1 - (int)lround(fraction(values[i], lo, hi) * (dots - 1));
		/* joined to the dot before it, so that a jump stays one line */
		from = prev >= 0 && prev < y ? prev + 1 : y;
		to = prev >= 0 && prev > y ? prev - 1 : y;
		for (int d = from; d <= to; d++)
			bits[(size_t)(d / 4) * (size_t)cols + i / 2] |=
				chart_braille_bit((int)(i % 2), d % 4);
		prev = y;
	}
	for (size_t c = 0; c < (size_t)rows * (size_t)cols; c++) {
		if (bits[c])
			chart_braille_utf8(bits[c], cells[c]);
		else
			memcpy(cells[c], " ", 2);
	}
	free(bits);
}

static void
render_blocks(const double *values, size_t n, double lo, double hi, bool ascii, int rows, int cols,
	      char (*cells)[CHART_CELL_SIZE])
{
	static const char *const blocks[9] = {
		" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char *const ascii_levels[9] = { " ", "_", "_", "-", "-", "=", "=", "#", "#" };

	for (int c = 0; c < cols; c++) {
		long eighths = -1;

		if ((size_t)c < n && !isnan(values[c])) {
			eighths = lround(fraction(values[c], lo, hi) * rows * 8);
			if (eighths < 1)
				eighths = 1; /* a value at the bottom still shows */
		}
		for (int r = 0; r < rows; r++) {
			long level = eighths - 8L * (rows - 1 - r);
			const char *g;

			level = level < 0 ? 0 : level > 8 ? 8 : level;
			g = ascii ? ascii_levels[level] : blocks[level];
			memcpy(cells[(size_t)r * (size_t)cols + (size_t)c], g, strlen(g) + 1);
		}
	}
}

void
chart_render(const double *values, size_t n, double lo, double hi, enum chart_glyphs glyphs,
	     int rows, int cols, char (*cells)[CHART_CELL_SIZE])
{
	if (rows <= 0 || cols <= 0)
		return;
	if (glyphs == CHART_BRAILLE)
		render_braille(values, n, lo, hi, rows, cols, cells);
	else
		render_blocks(values, n, lo, hi, glyphs == CHART_ASCII, rows, cols, cells);
}
