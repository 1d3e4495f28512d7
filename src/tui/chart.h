/* chart.h - the arithmetic of the console's charts and timelines, with no curses:
 * time buckets aligned to the wall clock, nice axis ticks, braille and block
 * glyphs, and values with their units. Pure functions, unit-tested on their own
 * (tests/unit/test_chart.c); view_chart.c and view_timeline.c put the result on
 * the screen. */
#ifndef SITREP_TUI_CHART_H
#define SITREP_TUI_CHART_H

#include "sitrep/sitrep.h"

/* ---- the metrics of a service --------------------------------------------------- */

enum chart_unit {
	CHART_UNIT_NONE,    /* a count or rate: 1590, 12.5k */
	CHART_UNIT_SECONDS, /* 250ms, 1.2s, 2m */
	CHART_UNIT_PERCENT, /* 0..100: 45% */
	CHART_UNIT_RATIO,   /* 0..1 shown as a percentage: 99.95% */
};

/* The eight metrics a service is charted by, by the name after "SERVICE." in
 * [metric "SERVICE.NAME"] (sitrep.conf(5)), in the order the chart page shows them. */
struct chart_metric {
	const char *name;  /* "latency_max" */
	const char *title; /* "max latency" */
	enum chart_unit unit;
	bool plot_max; /* a bucket shows its largest sample, not the average */
};

#define CHART_METRICS 8
extern const struct chart_metric chart_metrics[CHART_METRICS];

/* The metric of a series name ("checkout.latency" -> latency), or NULL. */
const struct chart_metric *chart_metric_of(const char *series);
/* Where series goes on the chart page: the metric's index, or CHART_METRICS. */
size_t chart_metric_rank(const char *series);

/* v in unit, as short as an axis label wants it: "1590", "12.5k", "250ms", "1.2s",
 * "45%", "99.95%"; "-" for NAN. */
void chart_format_value(double v, enum chart_unit unit, char *buf, size_t size);

/* The ranges a chart can show (w steps through them): 15m, 1h, 6h, 24h, 7d. */
struct chart_range {
	const char *name;
	int64_t seconds;
};

#define CHART_RANGES 5
extern const struct chart_range chart_ranges[CHART_RANGES];
/* chart_ranges[i]'s name, for window_step. */
const char *chart_range_name(size_t i);

/* ---- time buckets ---------------------------------------------------------------- */

/* n buckets of step seconds, the last one holding now, each starting at a multiple
 * of step: as the clock moves, a bucket's boundaries and its column stay where they
 * are until a whole bucket has passed, so a chart redrawn every second changes only
 * the cells whose values changed. */
struct chart_span {
	int64_t start; /* the first bucket's start; the span ends at start + n * step */
	int64_t step;  /* seconds, at least 1 */
	size_t n;
};

/* The span of n buckets covering at least range seconds up to now. */
void chart_span_init(struct chart_span *span, int64_t now, int64_t range, size_t n);
/* The bucket holding t, or -1 when t is outside the span. */
long chart_span_bucket(const struct chart_span *span, int64_t t);

/* Fills the runs of empty buckets (NAN) between two buckets with values when a run
 * is at most max_gap long, drawing a straight line across: a bucket shorter than the
 * interval between samples is empty now and then, and that is not missing data. */
void chart_fill_gaps(double *values, size_t n, size_t max_gap);
/* The longest run of empty buckets of step seconds that chart_fill_gaps should
 * fill: those shorter than three minutes together. */
size_t chart_max_gap(int64_t step);

/* The spacing of time ticks, from 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d,
 * 2d, 7d: the smallest that leaves at least min_columns between two ticks when a
 * column is seconds_per_column wide. */
int64_t chart_time_step(int64_t seconds_per_column, int min_columns);
/* The label of a tick at t: "09:30", or "03-04" at midnight and for steps of days. */
void chart_time_label(int64_t t, int64_t step, int64_t utc_offset, char *buf, size_t size);

/* ---- the value axis -------------------------------------------------------------- */

/* An axis from lo to hi in steps of step (lo and hi multiples of it), covering the
 * data's [min, max] with at most max_ticks ticks (Heckbert's nice numbers: steps of
 * 1, 2, 2.5 or 5 times a power of ten). The axis starts at 0 when the data is all
 * positive and its minimum is under half its maximum: a chart of requests reads from
 * zero, one of availability around its values. */
struct chart_axis {
	double lo, hi, step;
};

void chart_axis_init(struct chart_axis *axis, double min, double max, int max_ticks,
		     bool from_zero);

/* ---- glyphs ---------------------------------------------------------------------- */

enum chart_glyphs {
	CHART_BRAILLE, /* 2x4 dots a cell: a line at twice the columns */
	CHART_BLOCKS,  /* eighth blocks: a filled area, eight levels a row */
	CHART_ASCII,   /* a filled area of ASCII: "_", "-", "=", "#" */
};

/* Values each cell column holds: two with braille, else one. */
int chart_values_per_cell(enum chart_glyphs glyphs);

/* The bit of the braille dot at (column 0..1, row 0..3 from the top): U+2800 plus the
 * bits of the dots set is the cell's character. */
unsigned chart_braille_bit(int column, int row);
/* The UTF-8 of the braille cell with bits set (U+2800 + bits) into out[4]. */
void chart_braille_utf8(unsigned bits, char out[4]);

/* Glyphs of one cell, NUL-terminated (a space when empty). */
#define CHART_CELL_SIZE 4

/* Renders values[cols * chart_values_per_cell(glyphs)] (NAN: a gap) between lo (the
 * bottom of the last row) and hi (the top of the first) into rows x cols cells,
 * row-major from the top left. Values outside [lo, hi] are clipped to it. */
void chart_render(const double *values, size_t n, double lo, double hi, enum chart_glyphs glyphs,
		  int rows, int cols, char (*cells)[CHART_CELL_SIZE]);

/* ---- positions on a time axis ---------------------------------------------------- */

/* The column (0..width-1) of t on an axis from start to end drawn in width columns;
 * t outside is clamped to the ends. */
int chart_time_column(int64_t t, int64_t start, int64_t end, int width);

#endif
