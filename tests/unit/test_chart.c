/* test_chart.c - unit tests for src/tui/chart.c: buckets on wall-clock boundaries
 * (a chart redrawn a second later is the same chart), gaps between samples,
 * nice axis ticks, time ticks and labels, braille encoding and rendering, block and
 * ASCII rendering, and values with their units. */
#include "sitrep/sitrep.h"
#include "../../src/tui/chart.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#define NOW 1740996000 /* 2025-03-03T10:00:00Z */

static void
chart__span_ends_at_the_bucket_holding_now(void **state)
{
	struct chart_span s;

	(void)state;
	chart_span_init(&s, NOW, 3600, 226);
	assert_int_equal(s.step, 16); /* ceil(3600 / 226) */
	assert_int_equal(s.n, 226);
	assert_int_equal(s.start % s.step, 0);
	assert_true(s.start <= NOW - 3600);
	assert_true(NOW < s.start + 226 * s.step);
	assert_true(NOW >= s.start + 225 * s.step);
	assert_int_equal(s.start, NOW - 3600); /* 10:00 is a multiple of 16 s */
}

static void
chart__span_stays_until_a_bucket_has_passed(void **state)
{
	struct chart_span a, b;

	(void)state;
	chart_span_init(&a, NOW + 1, 900, 100);
	assert_int_equal(a.step, 9);
	/* Every second until the bucket ends: the same span, so the same columns. */
	for (int64_t t = NOW + 1; t < a.start + 100 * 9; t++) {
		chart_span_init(&b, t, 900, 100);
		assert_int_equal(b.start, a.start);
	}
	/* Then it moves by exactly one bucket. */
	chart_span_init(&b, a.start + 100 * 9, 900, 100);
	assert_int_equal(b.start, a.start + 9);
}

static void
chart__span_bucket_of_a_time(void **state)
{
	struct chart_span s;

	(void)state;
	chart_span_init(&s, NOW, 3600, 226);
	assert_int_equal(chart_span_bucket(&s, NOW - 3600), 0);
	assert_int_equal(chart_span_bucket(&s, NOW - 3000), 37); /* 09:10: 600 / 16 */
	assert_int_equal(chart_span_bucket(&s, NOW), 225);
	assert_int_equal(chart_span_bucket(&s, NOW - 3601), -1);
	assert_int_equal(chart_span_bucket(&s, s.start + 226 * 16), -1);
}

static void
chart__span_degenerate_inputs(void **state)
{
	struct chart_span s;

	(void)state;
	chart_span_init(&s, NOW, 0, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.step, 1);
	assert_int_equal(chart_span_bucket(&s, NOW), 0);
	/* Before the epoch buckets still start at multiples of the step. */
	chart_span_init(&s, -10, 60, 6);
	assert_int_equal(s.start % 10, 0);
	assert_int_equal(chart_span_bucket(&s, -10), 5);
}

static void
chart__fill_gaps_between_samples(void **state)
{
	double v[] = { 1, NAN, 3, NAN, NAN, NAN, NAN, 8, NAN };

	(void)state;
	chart_fill_gaps(v, ARRAY_SIZE(v), 3);
	assert_true(v[1] == 2);			/* one empty bucket: a straight line across */
	assert_true(isnan(v[3]));		/* four: missing data, left a gap */
	assert_true(isnan(v[8]));		/* after the last sample: nothing to join */
	assert_int_equal(chart_max_gap(50), 3); /* under three minutes */
	assert_int_equal(chart_max_gap(9), 19);
	assert_int_equal(chart_max_gap(180), 0); /* a whole empty bucket is missing data */
	assert_int_equal(chart_max_gap(3600), 0);
}

static void
chart__axis_nice_ticks(void **state)
{
	struct chart_axis a;

	(void)state;
	chart_axis_init(&a, 1200, 1800, 13, true);
	assert_true(a.lo == 1200 && a.hi == 1800 && a.step == 100);
	/* From zero when the data is positive and its minimum under half its max. */
	chart_axis_init(&a, 3, 42, 3, true);
	assert_true(a.lo == 0 && a.hi == 60 && a.step == 20);
	chart_axis_init(&a, 3, 42, 3, false);
	assert_true(a.lo == 0 && a.hi == 60);
	chart_axis_init(&a, 0.995, 0.9999, 5, false);
	assert_true(a.lo <= 0.995 && a.hi >= 0.9999 && a.step > 0);
	assert_true(a.hi - a.lo < 0.01);
	/* A flat line gets room around it; no data gets an axis all the same. */
	chart_axis_init(&a, 52, 52, 3, true);
	assert_true(a.lo <= 52 && a.hi > 52);
	chart_axis_init(&a, NAN, NAN, 3, true);
	assert_true(a.lo == 0 && a.hi >= 1);
	chart_axis_init(&a, 0, 0, 3, true);
	assert_true(a.lo == 0 && a.hi > 0);
	chart_axis_init(&a, -5, 5, 3, true);
	assert_true(a.lo == -5 && a.hi == 5 && a.step == 5);
}

static void
chart__time_ticks(void **state)
{
	char label[16];

	(void)state;
	assert_int_equal(chart_time_step(32, 9), 300); /* 5m ticks for 1h in 113 cells */
	assert_int_equal(chart_time_step(1, 9), 60);
	assert_int_equal(chart_time_step(764, 9), 7200);      /* 24h in 113 cells */
	assert_int_equal(chart_time_step(100000, 9), 604800); /* at most a week */
	assert_int_equal(chart_time_step(0, 9), 60);
	chart_time_label(NOW - 3000, 300, 0, label, sizeof(label));
	assert_string_equal(label, "09:10");
	chart_time_label(NOW - 36000, 7200, 0, label, sizeof(label));
	assert_string_equal(label, "03-03"); /* midnight: the date */
	chart_time_label(NOW, 86400, 0, label, sizeof(label));
	assert_string_equal(label, "03-03");
	chart_time_label(NOW, 300, 3600, label, sizeof(label));
	assert_string_equal(label, "11:00"); /* the local clock, UTC+1 */
}

static void
chart__time_column(void **state)
{
	(void)state;
	assert_int_equal(chart_time_column(0, 0, 100, 10), 0);
	assert_int_equal(chart_time_column(55, 0, 100, 10), 5);
	assert_int_equal(chart_time_column(100, 0, 100, 10), 9);
	assert_int_equal(chart_time_column(-5, 0, 100, 10), 0);
	assert_int_equal(chart_time_column(500, 0, 100, 10), 9);
	assert_int_equal(chart_time_column(5, 10, 10, 10), 0);
}

static void
chart__braille_encoding(void **state)
{
	char out[4];
	unsigned all = 0;

	(void)state;
	chart_braille_utf8(0, out);
	assert_string_equal(out, "\u2800");
	chart_braille_utf8(0xff, out);
	assert_string_equal(out, "\u28ff");
	assert_int_equal(chart_braille_bit(0, 0), 0x01); /* dot 1 */
	assert_int_equal(chart_braille_bit(0, 3), 0x40); /* dot 7 */
	assert_int_equal(chart_braille_bit(1, 0), 0x08); /* dot 4 */
	assert_int_equal(chart_braille_bit(1, 3), 0x80); /* dot 8 */
	assert_int_equal(chart_braille_bit(2, 0), 0);
	for (int c = 0; c < 2; c++)
		for (int r = 0; r < 4; r++)
			all |= chart_braille_bit(c, r);
	assert_int_equal(all, 0xff); /* eight distinct dots */
	chart_braille_utf8(chart_braille_bit(0, 3) | chart_braille_bit(1, 0), out);
	assert_string_equal(out, "\u2848");
}

static void
chart__render_braille_line(void **state)
{
	/* Two cells, one row: bottom, bottom | top, top. The jump from the bottom dot to
	 * the top one is joined in the third dot column. */
	double v[] = { 0, 0, 1, 1 };
	char cells[2][CHART_CELL_SIZE];
	char expect[4];

	(void)state;
	chart_render(v, 4, 0, 1, CHART_BRAILLE, 1, 2, cells);
	chart_braille_utf8(chart_braille_bit(0, 3) | chart_braille_bit(1, 3), expect);
	assert_string_equal(cells[0], expect);
	chart_braille_utf8(chart_braille_bit(0, 0) | chart_braille_bit(0, 1) |
				   chart_braille_bit(0, 2) | chart_braille_bit(1, 0),
			   expect);
	assert_string_equal(cells[1], expect);
}

static void
chart__render_braille_gap_and_rows(void **state)
{
	double v[] = { NAN, NAN, 0.5, NAN };
	char cells[2 * 2][CHART_CELL_SIZE];

	(void)state;
	chart_render(v, 4, 0, 1, CHART_BRAILLE, 2, 2, cells);
	assert_string_equal(cells[0], " ");
	assert_string_equal(cells[2], " ");
	/* 0.5 between the eight dot rows (0..7 from the bottom): row round(3.5) = 4,
	 * the lowest dot of the upper cell row, in the value's left dot column. */
	assert_string_equal(cells[1], "\u2840");
	assert_string_equal(cells[3], " ");
}

static void
chart__render_blocks_and_ascii(void **state)
{
	double v[] = { 0, 0.5, 1, NAN, 0.25 };
	char cells[2 * 5][CHART_CELL_SIZE];

	(void)state;
	chart_render(v, 5, 0, 1, CHART_BLOCKS, 2, 5, cells);
	/* top row */
	assert_string_equal(cells[0], " ");
	assert_string_equal(cells[1], " ");
	assert_string_equal(cells[2], "\u2588");
	assert_string_equal(cells[3], " ");
	/* bottom row: a zero still shows as the lowest block, a gap as nothing */
	assert_string_equal(cells[5], "\u2581");
	assert_string_equal(cells[6], "\u2588");
	assert_string_equal(cells[7], "\u2588");
	assert_string_equal(cells[8], " ");
	assert_string_equal(cells[9], "\u2584");
	chart_render(v, 5, 0, 1, CHART_ASCII, 2, 5, cells);
	assert_string_equal(cells[2], "#");
	assert_string_equal(cells[5], "_");
	assert_string_equal(cells[6], "#");
	assert_string_equal(cells[9], "-");
	for (size_t i = 0; i < ARRAY_SIZE(cells); i++)
		for (const char *p = cells[i]; *p; p++)
			assert_true((unsigned char)*p < 0x80);
}

static void
chart__values_with_units(void **state)
{
	static const struct {
		double v;
		enum chart_unit unit;
		const char *text;
	} cases[] = {
		{ 1590, CHART_UNIT_NONE, "1590" },
		{ 12500, CHART_UNIT_NONE, "12.5k" },
		{ 20000, CHART_UNIT_NONE, "20k" },
		{ 2.5e6, CHART_UNIT_NONE, "2.5M" },
		{ 42.5, CHART_UNIT_NONE, "42.5" },
		{ 0, CHART_UNIT_NONE, "0" },
		{ 0.25, CHART_UNIT_SECONDS, "250ms" },
		{ 1.4, CHART_UNIT_SECONDS, "1.4s" },
		{ 2, CHART_UNIT_SECONDS, "2s" },
		{ 0.0042, CHART_UNIT_SECONDS, "4.2ms" },
		{ 90, CHART_UNIT_SECONDS, "1.5m" },
		{ 0, CHART_UNIT_SECONDS, "0s" },
		{ 45, CHART_UNIT_PERCENT, "45%" },
		{ 2.5, CHART_UNIT_PERCENT, "2.5%" },
		{ 0.9995, CHART_UNIT_RATIO, "99.95%" },
		{ 1, CHART_UNIT_RATIO, "100%" },
		{ 1.0000000001, CHART_UNIT_RATIO, "100%" },
		{ NAN, CHART_UNIT_RATIO, "-" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		chart_format_value(cases[i].v, cases[i].unit, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void
chart__metric_names(void **state)
{
	(void)state;
	assert_int_equal(chart_metric_rank("checkout.rpm"), 0);
	assert_int_equal(chart_metric_rank("checkout.latency_max"), 3);
	assert_int_equal(chart_metric_rank("eu.checkout.consumers"), 7);
	assert_int_equal(chart_metric_rank("checkout.latency.p99"), CHART_METRICS);
	assert_int_equal(chart_metric_rank("rpm"), CHART_METRICS);
	assert_int_equal(chart_metric_rank(NULL), CHART_METRICS);
	assert_int_equal(chart_metric_of("a.availability")->unit, CHART_UNIT_RATIO);
	assert_true(chart_metric_of("a.latency_max")->plot_max);
	assert_null(chart_metric_of("a.b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chart__span_ends_at_the_bucket_holding_now),
		cmocka_unit_test(chart__span_stays_until_a_bucket_has_passed),
		cmocka_unit_test(chart__span_bucket_of_a_time),
		cmocka_unit_test(chart__span_degenerate_inputs),
		cmocka_unit_test(chart__fill_gaps_between_samples),
		cmocka_unit_test(chart__axis_nice_ticks),
		cmocka_unit_test(chart__time_ticks),
		cmocka_unit_test(chart__time_column),
		cmocka_unit_test(chart__braille_encoding),
		cmocka_unit_test(chart__render_braille_line),
		cmocka_unit_test(chart__render_braille_gap_and_rows),
		cmocka_unit_test(chart__render_blocks_and_ascii),
		cmocka_unit_test(chart__values_with_units),
		cmocka_unit_test(chart__metric_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
