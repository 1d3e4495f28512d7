/* baseline_parse.c - the parse baseline of bench/sync.sh: jansson alone, json_loadb
 * over saved response bodies, nothing done with the trees but freeing them.
 *
 *   baseline_parse [-r RUNS] FILE...
 *
 * Every file is read into memory first; then each run parses every body once and
 * frees it. Prints one line: "bytes B files F seconds S mb_per_s M" for the median
 * run (MB = 10^6 bytes). Plain C11 + jansson, so it measures what any client of the
 * library would pay for the same bytes. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct body {
	char *data;
	size_t len;
};

static void
die(const char *what, const char *arg)
{
	fprintf(stderr, "baseline_parse: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static struct body
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct body b = { NULL, 0 };
	size_t alloc = 0, n;

	if (!f)
		die("cannot open", path);
	do {
		if (b.len + 65536 > alloc) {
			alloc = alloc ? alloc * 2 : 1 << 20;
			if (!(b.data = realloc(b.data, alloc)))
				die("out of memory", NULL);
		}
		n = fread(b.data + b.len, 1, alloc - b.len, f);
		b.len += n;
	} while (n > 0);
	if (ferror(f))
		die("cannot read", path);
	fclose(f);
	return b;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct body *bodies;
	double *times;
	size_t total = 0;
	int runs = 3, first = 1, n;

	if (argc > 2 && strcmp(argv[1], "-r") == 0) {
		runs = atoi(argv[2]);
		first = 3;
	}
	n = argc - first;
	if (n < 1 || runs < 1)
		die("usage: baseline_parse [-r RUNS] FILE...", NULL);
	if (!(bodies = calloc((size_t)n, sizeof(*bodies))) ||
	    !(times = calloc((size_t)runs, sizeof(*times))))
		die("out of memory", NULL);
	for (int i = 0; i < n; i++) {
		bodies[i] = read_all(argv[first + i]);
		total += bodies[i].len;
	}
	for (int r = 0; r < runs; r++) {
		double t0 = now_seconds();

		for (int i = 0; i < n; i++) {
			json_error_t err;
			json_t *root = json_loadb(bodies[i].data, bodies[i].len, 0, &err);

			if (!root)
				die("not JSON", argv[first + i]);
			json_decref(root);
		}
		times[r] = now_seconds() - t0;
	}
	qsort(times, (size_t)runs, sizeof(*times), cmp_double);
	printf("bytes %zu files %d seconds %.4f mb_per_s %.1f\n", total, n, times[runs / 2],
	       (double)total / 1e6 / times[runs / 2]);
	for (int i = 0; i < n; i++)
		free(bodies[i].data);
	free(bodies);
	free(times);
	return 0;
}
