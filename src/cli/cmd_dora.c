/* cmd_dora.c - `sitrep dora`: deployment frequency, lead time for changes, change
 * failure rate, deployment rework rate and failed-deployment recovery time. */
#include "sitrep/sitrep.h"
#include "cli-private.h"

#include <math.h>

json_t *report_window(const struct mx_window *window);
const char *fmt_minutes(double minutes, char *buf, size_t size);

typedef json_t *(*dora_fn)(const struct dora_figures *f);

static json_t *
per_service(const struct service_set *set, const struct dora_result *r, dora_fn fn, json_t *o)
{
	size_t i;

	if (!o)
		o = json_object();
	for (i = 0; i < set->n_selected; i++)
		json_object_set_new(o, set->selected[i]->name, fn(&r->services[i]));
	json_object_set_new(o, "all", fn(&r->all));
	return o;
}

#define DORA_FN(name, expr)                               \
	static json_t *name(const struct dora_figures *f) \
	{                                                 \
		return expr;                              \
	}

DORA_FN(fig_count, json_integer((json_int_t)f->deployments))
DORA_FN(fig_per_day, report_number(f->per_day))
DORA_FN(fig_per_week, report_number(f->per_week))
DORA_FN(fig_lead_time, report_stat(&f->lead_time))
DORA_FN(fig_failed, json_integer((json_int_t)f->failed))
DORA_FN(fig_cfr, report_number(f->cfr))
DORA_FN(fig_rework, report_number(f->rework_rate))
DORA_FN(fig_fdrt, report_stat(&f->fdrt))

static json_t *
dora_json(const struct service_set *set, const struct mx_window *window,
	  const struct dora_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "window", report_window(window));
	json_object_set_new(o, "df",
			    json_pack("{s:o,s:o,s:o}", "count",
				      per_service(set, r, fig_count, NULL), "per_day",
				      per_service(set, r, fig_per_day, NULL), "per_week",
				      per_service(set, r, fig_per_week, NULL)));
	json_object_set_new(o, "lead_time", per_service(set, r, fig_lead_time, NULL));
	/* cfr.failed.<service> beside cfr.<service>, as the reference names them */
	json_object_set_new(
		o, "cfr",
		per_service(set, r, fig_cfr,
			    json_pack("{s:o}", "failed", per_service(set, r, fig_failed, NULL))));
	json_object_set_new(o, "rework_rate", per_service(set, r, fig_rework, NULL));
	json_object_set_new(o, "fdrt", per_service(set, r, fig_fdrt, NULL));
	return o;
}

static void
percent(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", v * 100);
}

static void
dora_row(const char *name, const struct dora_figures *f)
{
	char lt[32], fd[32], cfr[16], rw[16];

	percent(f->cfr, cfr, sizeof(cfr));
	percent(f->rework_rate, rw, sizeof(rw));
	printf("  %-16s %6zu %8.2f %12s %7s %3zu/%-3zu %7s %12s\n", name, f->deployments,
	       f->per_week, fmt_minutes(f->lead_time.median, lt, sizeof(lt)), cfr, f->failed,
	       f->deployments, rw, fmt_minutes(f->fdrt.median, fd, sizeof(fd)));
}

static void
dora_table(const struct service_set *set, const struct mx_window *window,
	   const struct dora_result *r)
{
	char from[TIMESTAMP_TEXT_SIZE], to[TIMESTAMP_TEXT_SIZE];
	size_t i;

	timestamp_format(window->start, from, sizeof(from));
	timestamp_format(window->end, to, sizeof(to));
	printf("window %s .. %s; successful production deployments; medians\n\n", from, to);
	printf("  %-16s %6s %8s %12s %7s %7s %7s %12s\n", "service", "deploys", "per wk",
	       "lead time", "CFR", "failed", "rework", "recovery");
	for (i = 0; i < set->n_selected; i++)
		dora_row(set->selected[i]->name, &r->services[i]);
	dora_row("all", &r->all);
}

struct dora_report {
	const struct service_set *set;
	const struct mx_window *window;
	const struct dora_result *result;
};

static void
table_of(const void *ctx)
{
	const struct dora_report *r = ctx;

	dora_table(r->set, r->window, r->result);
}

static json_t *
json_of(const void *ctx)
{
	const struct dora_report *r = ctx;

	return dora_json(r->set, r->window, r->result);
}

int
cmd_dora(int argc, char **argv, const struct global_opts *gopts)
{
	struct report_session s;
	struct store_dora_input in = { 0 };
	struct dora_result result = { 0 };
	struct dora_report report = { &s.set, &s.opts.window, &result };
	enum status_code code;
	int rc;

	if ((rc = report_session_open(&s, argc, argv, "dora", gopts)) != EXIT_OK || !s.store)
		goto out;
	if ((code = store_load_dora(s.store, s.set.index_by_id, s.set.n_index, &in)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	dora_compute(&s.opts.window, s.set.n_selected, in.deployments, in.n_deployments,
		     in.incidents, in.n_incidents, &result);
	rc = report_output(s.opts.format, table_of, json_of, &report);
	dora_result_release(&result);
out:
	store_dora_input_release(&in);
	report_session_close(&s);
	return rc;
}
