/* report.c - writes the analytics reports as JSON or flattened CSV. The JSON tree's
 * leaves, joined with dots, are the names of the metrics specification's reference
 * block (mttd.checkout.mean, availability.all, burn.1h.search), so scripts and the
 * acceptance test read the same names. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/json.h"

#include <math.h>

json_t *
report_number(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

json_t *
report_stat(const struct mx_stat *stat)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)stat->n));
	json_object_set_new(o, "mean", report_number(stat->mean));
	json_object_set_new(o, "median", report_number(stat->median));
	json_object_set_new(o, "p90", report_number(stat->p90));
	return o;
}

static void
csv_flatten(const char *prefix, json_t *v, FILE *out)
{
	const char *key;
	json_t *child;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child)
		{
			char *name = prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);

			csv_flatten(name, child, out);
			free(name);
		}
		return;
	}
	fprintf(out, "%s,", prefix);
	if (json_is_null(v))
		fputc('\n', out);
	else if (json_is_integer(v))
		fprintf(out, "%lld\n", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%.15g\n", json_real_value(v));
	else if (json_is_string(v))
		fprintf(out, "%s\n", json_string_value(v));
	else
		fprintf(out, "%d\n", json_is_true(v));
}

/* Reals are written with 15 significant digits: 0.99 rather than
 * 0.98999999999999999, and still far below the 1e-9 the figures are checked to. */
int
report_write(json_t *report, enum report_format format)
{
	if (format == REPORT_CSV) {
		fputs("key,value\n", stdout);
		csv_flatten(NULL, report, stdout);
	} else {
		if (json_dumpf(report, stdout,
			       JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) |
				       JSON_ENSURE_ASCII) != 0)
			return EXIT_FAILURE_;
		fputc('\n', stdout);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}

int
report_output(enum report_format format, void (*table)(const void *ctx),
	      json_t *(*json)(const void *ctx), const void *ctx)
{
	json_t *report;
	int rc;

	if (format == REPORT_TABLE) {
		table(ctx);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
	}
	report = json(ctx);
	rc = report_write(report, format);
	json_decref(report);
	return rc;
}
