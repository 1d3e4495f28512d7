/* test_stat.c - mx_stat_compute and the compact sample lists (spec §6, E6):
 * PERCENTILE_CONT interpolation, NaN for no samples, and the pooled summary of
 * several sorted lists agreeing exactly with the summary of their concatenation. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#define MIN 60

static void
stat__empty_is_nan(void **state)
{
	struct mx_stat s;
	struct mx_samples empty = { 0 };
	const struct mx_samples *lists[] = { &empty, &empty };

	(void)state;
	mx_stat_compute(&s, NULL, 0);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.mean) && isnan(s.median) && isnan(s.p90));
	mx_samples_sort(&empty);
	mx_stat_lists(&s, lists, 2);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.mean) && isnan(s.median) && isnan(s.p90));
	mx_stat_lists(&s, NULL, 0);
	assert_true(isnan(s.median));
}

static void
stat__p90_with_one_sample(void **state)
{
	int64_t v[] = { 25 * MIN };
	struct mx_stat s;

	(void)state;
	mx_stat_compute(&s, v, 1);
	assert_int_equal(s.n, 1);
	assert_true(s.mean == 25.0 && s.median == 25.0 && s.p90 == 25.0);
}

/* reference-expected.md §3: checkout MTTD [3, 2, 5, 30, 2] minutes. */
static void
stat__percentile_cont_interpolation(void **state)
{
	int64_t v[] = { 3 * MIN, 2 * MIN, 5 * MIN, 30 * MIN, 2 * MIN };
	int64_t two[] = { 30 * MIN, 180 * MIN };
	struct mx_stat s;

	(void)state;
	mx_stat_compute(&s, v, ARRAY_SIZE(v));
	assert_int_equal(s.n, 5);
	assert_true(fabs(s.mean - 8.4) < 1e-12);
	assert_true(s.median == 3.0);
	assert_true(fabs(s.p90 - 20.0) < 1e-12);
	assert_true(v[0] == 2 * MIN && v[4] == 30 * MIN); /* sorted in place */
	mx_stat_compute(&s, two, 2);
	assert_true(s.median == 105.0 && fabs(s.p90 - 165.0) < 1e-12);
}

/* pos = 0.9 · 10 = 9 exactly: p90 of 11 samples is x[9], no interpolation error. */
static void
stat__p90_of_eleven_is_exact(void **state)
{
	int64_t v[11];
	struct mx_stat s;

	(void)state;
	for (size_t i = 0; i < 11; i++)
		v[i] = (int64_t)(10 - i) * 1000 * MIN + 1;
	mx_stat_compute(&s, v, 11);
	assert_true(s.p90 == (9000.0 * MIN + 1) / 60.0);
	assert_true(s.median == (5000.0 * MIN + 1) / 60.0);
}

static void
stat__samples_floor_and_cap(void **state)
{
	struct mx_samples s = { 0 };

	(void)state;
	mx_samples_add(&s, -5);
	mx_samples_add(&s, INT64_MAX);
	mx_samples_add(&s, 7);
	mx_samples_sort(&s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0], 0);
	assert_int_equal(s.v[1], 7);
	assert_int_equal(s.v[2], UINT32_MAX);
	mx_samples_release(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static uint64_t
lcg(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005u + 1442695040888963407u;
	return *seed >> 33;
}

/* Pooled figures are computed from sorted per-service lists without merging them;
 * they must equal the figures of the concatenation, bit for bit. Sizes cover both
 * sort paths (qsort below 256 samples, radix sort above). */
static void
stat__lists_equal_concatenation(void **state)
{
	enum {
		LISTS = 5
	};
	static const size_t sizes[LISTS] = { 0, 1, 255, 3000, 17 };
	struct mx_samples lists[LISTS] = { { 0 } };
	const struct mx_samples *ptrs[LISTS];
	int64_t *all = xmalloc(4000 * sizeof(*all));
	size_t n = 0;
	uint64_t seed = 3;
	struct mx_stat a, b;

	(void)state;
	for (size_t i = 0; i < LISTS; i++) {
		for (size_t j = 0; j < sizes[i]; j++) {
			int64_t v = (int64_t)(lcg(&seed) % (j % 2 ? 100 : 400000000));

			mx_samples_add(&lists[i], v);
			all[n++] = v;
		}
		mx_samples_sort(&lists[i]);
		for (size_t j = 1; j < lists[i].n; j++)
			assert_true(lists[i].v[j - 1] <= lists[i].v[j]);
		ptrs[i] = &lists[i];
	}
	mx_stat_lists(&a, ptrs, LISTS);
	mx_stat_compute(&b, all, n);
	assert_int_equal(a.n, b.n);
	assert_true(a.mean == b.mean && a.median == b.median && a.p90 == b.p90);
	for (size_t i = 0; i < LISTS; i++)
		mx_samples_release(&lists[i]);
	free(all);
}

/* Up to four samples are kept, ascending, in minutes; both ways of computing agree. */
static void
stat__few_samples_are_listed(void **state)
{
	int64_t values[] = { 600, 60, 7200 };
	struct mx_samples a = { 0 }, b = { 0 };
	const struct mx_samples *lists[] = { &a, &b };
	struct mx_stat direct, pooled;

	(void)state;
	mx_stat_compute(&direct, values, ARRAY_SIZE(values));
	assert_int_equal(direct.n, 3);
	assert_true(direct.few[0] == 1.0 && direct.few[1] == 10.0 && direct.few[2] == 120.0);
	mx_samples_add(&a, 7200);
	mx_samples_add(&a, 60);
	mx_samples_add(&b, 600);
	mx_samples_sort(&a);
	mx_samples_sort(&b);
	mx_stat_lists(&pooled, lists, ARRAY_SIZE(lists));
	assert_int_equal(pooled.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(pooled.few[i] == direct.few[i]);
	mx_samples_release(&a);
	mx_samples_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stat__empty_is_nan),
		cmocka_unit_test(stat__p90_with_one_sample),
		cmocka_unit_test(stat__percentile_cont_interpolation),
		cmocka_unit_test(stat__p90_of_eleven_is_exact),
		cmocka_unit_test(stat__samples_floor_and_cap),
		cmocka_unit_test(stat__lists_equal_concatenation),
		cmocka_unit_test(stat__few_samples_are_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
