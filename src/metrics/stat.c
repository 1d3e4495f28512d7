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
	for (size_t i = 0; n <= MX_STAT_FEW && i < n; i++)
		stat->few[i] = (double)values[i] / SECONDS_PER_MINUTE;
}

void
mx_samples_grow(struct mx_samples *samples)
{
	samples->v = xgrow(samples->v, &samples->alloc, samples->n + 1, sizeof(*samples->v));
}

/* LSD radix sort of n elements of size bytes by the uint32 key each starts with,
 * skipping digits that are equal in every key. Large lists use 11-bit digits
 * (durations under 48 days take two passes and need no copy back); smaller ones
 * 8-bit digits, whose 8 KB of counters live on the stack: zeroing 48 KB of counters
 * for each of a few hundred per-service lists would cost more than sorting them.
 * A million samples sort in a few milliseconds where qsort takes ~80. Stable.
 * Inlined for each element size. */
#define RADIX_LARGE (1u << 12)

static inline uint32_t
key_of(const unsigned char *element)
{
	uint32_t key;

	memcpy(&key, element, sizeof(key));
	return key;
}

static inline void
radix_pass(unsigned char *dst, const unsigned char *src, size_t n, size_t size, unsigned shift,
	   unsigned mask, size_t *count)
{
	size_t total = 0;

	for (unsigned b = 0; b <= mask; b++) {
		size_t c = count[b];

		count[b] = total;
		total += c;
	}
	for (size_t i = 0; i < n; i++) {
		const unsigned char *e = src + i * size;

		memcpy(dst + count[(key_of(e) >> shift) & mask]++ * size, e, size);
	}
}

/* count: passes rows of (1 << bits) zeroed counters. */
static inline void
radix_sort(void *v, size_t n, size_t size, unsigned bits, size_t *count)
{
	unsigned passes = (32 + bits - 1) / bits, mask = (1u << bits) - 1;
	unsigned char *tmp = xmalloc(n * size);
	unsigned char *src = v, *dst = tmp, *swap;
	uint32_t first = key_of(v);

	for (size_t i = 0; i < n; i++) {
		uint32_t k = key_of(src + i * size);

		for (unsigned p = 0; p < passes; p++)
			count[(size_t)p << bits | ((k >> (bits * p)) & mask)]++;
	}
	for (unsigned p = 0; p < passes; p++) {
		size_t *row = count + ((size_t)p << bits);

		if (row[(first >> (bits * p)) & mask] == n)
			continue;
		radix_pass(dst, src, n, size, bits * p, mask, row);
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != (unsigned char *)v)
		memcpy(v, src, n * size);
	free(tmp);
}

static inline void
radix_sort_sized(void *v, size_t n, size_t size)
{
	if (n >= RADIX_LARGE) {
		size_t *count = xcalloc((size_t)3 << 11, sizeof(*count));

		radix_sort(v, n, size, 11, count);
		free(count);
	} else {
		size_t count[4 << 8] = { 0 };

		radix_sort(v, n, size, 8, count);
	}
}

void
mx_sort_by_key(void *v, size_t n, size_t size)
{
	if (n < 2)
		return;
	if (size == sizeof(uint32_t))
		radix_sort_sized(v, n, sizeof(uint32_t));
	else if (size == 2 * sizeof(uint32_t))
		radix_sort_sized(v, n, 2 * sizeof(uint32_t));
	else
		radix_sort_sized(v, n, size);
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
		mx_sort_by_key(samples->v, samples->n, sizeof(*samples->v));
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
percentile_lists(const struct mx_samples *const *lists, size_t n_lists, size_t n, unsigned permille)
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
	for (size_t i = 0; n <= MX_STAT_FEW && i < n; i++)
		stat->few[i] = kth_smallest(lists, n_lists, i) / SECONDS_PER_MINUTE;
}
