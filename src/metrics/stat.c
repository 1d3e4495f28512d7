/* stat.c - n, mean, median and p90 of duration samples (spec §6, E6), reported in
 * minutes, and the compact sample lists the accumulators keep. Pure: no I/O, no
 * clock; the only allocation is a sample list growing. It must not round: the
 * reference values are exact fractions and are checked to 1e-9. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>

#define SECONDS_PER_MINUTE 60.0

static void
stat_empty(struct mx_stat *stat)
{
	stat->n = 0;
	stat->mean = NAN;
	stat->median = NAN;
	stat->p90 = NAN;
}

/* PERCENTILE_CONT: pos = p·(n−1), with p in thousandths so that the split into
 * index and fraction is exact (p90 of 11 samples is exactly x[9], not x[8] + 0.99…). */
static void
percentile_pos(size_t n, unsigned permille, uint64_t *k, double *frac)
{
	uint64_t num = (uint64_t)permille * (uint64_t)(n - 1);

	*k = num / 1000;
	*frac = (double)(num % 1000) / 1000.0;
}

static double
lerp_minutes(double lo, double hi, double frac)
{
	return (lo + frac * (hi - lo)) / SECONDS_PER_MINUTE;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double
percentile_i64(const int64_t *sorted, size_t n, unsigned permille)
{
	uint64_t k;
	double frac;

	percentile_pos(n, permille, &k, &frac);
	if (k + 1 >= n)
		return lerp_minutes((double)sorted[k], (double)sorted[k], 0.0);
	return lerp_minutes((double)sorted[k], (double)sorted[k + 1], frac);
}

void
mx_stat_compute(struct mx_stat *stat, int64_t *values, size_t n)
{
	int64_t sum = 0;

	if (n == 0) {
		stat_empty(stat);
		return;
	}
	qsort(values, n, sizeof(*values), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += values[i];
	stat->n = n;
	stat->mean = (double)sum / (double)n / SECONDS_PER_MINUTE;
	stat->median = percentile_i64(values, n, 500);
	stat->p90 = percentile_i64(values, n, 900);
}

void
mx_samples_add(struct mx_samples *samples, int64_t seconds)
{
	if (seconds < 0)
		seconds = 0; /* spec §3.2: negative durations are floored at 0 */
	if (seconds > (int64_t)UINT32_MAX)
		seconds = UINT32_MAX;
	samples->v = xgrow(samples->v, &samples->alloc, samples->n + 1, sizeof(*samples->v));
	samples->v[samples->n++] = (uint32_t)seconds;
}

/* LSD radix sort, a byte at a time, skipping bytes that are equal in every sample
 * (the top byte usually is): a million samples sort in a few milliseconds. */
static void
radix_pass(uint32_t *dst, const uint32_t *src, size_t n, unsigned shift, const size_t *count)
{
	size_t pos[256];
	size_t total = 0;

	for (unsigned b = 0; b < 256; b++) {
		pos[b] = total;
		total += count[b];
	}
	for (size_t i = 0; i < n; i++)
		dst[pos[(src[i] >> shift) & 0xff]++] = src[i];
}

static void
radix_sort_u32(uint32_t *v, size_t n)
{
	size_t count[4][256] = { { 0 } };
	uint32_t *tmp = xmalloc(n * sizeof(*tmp));
	uint32_t *src = v, *dst = tmp, *swap;

	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 4; d++)
			count[d][(v[i] >> (8 * d)) & 0xff]++;
	for (unsigned d = 0; d < 4; d++) {
		if (count[d][(v[0] >> (8 * d)) & 0xff] == n)
			continue;
		radix_pass(dst, src, n, 8 * d, count[d]);
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void
mx_samples_sort(struct mx_samples *samples)
{
	if (samples->n < 2)
		return;
	if (samples->n < 256)
		qsort(samples->v, samples->n, sizeof(*samples->v), cmp_u32);
	else
		radix_sort_u32(samples->v, samples->n);
}

void
mx_samples_release(struct mx_samples *samples)
{
	free(samples->v);
	samples->v = NULL;
	samples->n = 0;
	samples->alloc = 0;
}

static size_t
count_at_most(const uint32_t *sorted, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The k-th smallest (0-based) sample of the union: the least value v with more than
 * k samples ≤ v. A binary search over the 32-bit value range costs 32 × n_lists
 * binary searches, instead of copying every pooled sample into one array (E7). */
static double
kth_smallest(const struct mx_samples *const *lists, size_t n_lists, uint64_t k)
{
	uint64_t lo = 0, hi = UINT32_MAX;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, at_most = 0;

		for (size_t i = 0; i < n_lists; i++)
			at_most += count_at_most(lists[i]->v, lists[i]->n, (uint32_t)mid);
		if (at_most > k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (double)lo;
}

static double
percentile_lists(const struct mx_samples *const *lists, size_t n_lists, size_t n,
		 unsigned permille)
{
	uint64_t k;
	double frac, lo;

	percentile_pos(n, permille, &k, &frac);
	lo = kth_smallest(lists, n_lists, k);
	if (frac == 0.0)
		return lerp_minutes(lo, lo, 0.0);
	return lerp_minutes(lo, kth_smallest(lists, n_lists, k + 1), frac);
}

void
mx_stat_lists(struct mx_stat *stat, const struct mx_samples *const *lists, size_t n_lists)
{
	uint64_t sum = 0;
	size_t n = 0;

	for (size_t i = 0; i < n_lists; i++) {
		n += lists[i]->n;
		for (size_t j = 0; j < lists[i]->n; j++)
			sum += lists[i]->v[j];
	}
	if (n == 0) {
		stat_empty(stat);
		return;
	}
	stat->n = n;
	stat->mean = (double)sum / (double)n / SECONDS_PER_MINUTE;
	stat->median = percentile_lists(lists, n_lists, n, 500);
	stat->p90 = percentile_lists(lists, n_lists, n, 900);
}
