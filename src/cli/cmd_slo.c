/* cmd_slo.c - `sitrep slo`: error budget, burn rates over 5m..3d and the whole SLO
 * period, and the multiwindow page/ticket alerts, for every service with an
 * objective. Bad minutes are the availability downtime (outages) of the engine. */
#include "sitrep/sitrep.h"
#include "cli-private.h"

#include <math.h>

/* Services with an objective, each with its figures. */
struct slo_report {
	size_t n;
	const struct store_service **services;
	struct slo_figures *figures;
};

/* One set of lookback windows per distinct period length among the services. */
static size_t
period_slot(const int64_t *periods, size_t n, int64_t period)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (periods[i] == period)
			return i;
	return n;
}

static enum status_code
slo_run(struct store *store, const struct service_set *set, int64_t at, struct slo_report *rep)
{
	struct mx_window *windows = xcalloc(set->n_selected * SLO_LB_COUNT + 1, sizeof(*windows));
	int64_t *periods = xcalloc(set->n_selected + 1, sizeof(*periods));
	size_t n_periods = 0, i, lb;
	struct mttx_result result = { 0 };
	struct mx_window main_window = { at, at };
	enum status_code code;

	for (i = 0; i < set->n_selected; i++) {
		int64_t period = (int64_t)set->selected[i]->slo_period_days * 86400;

		if (set->selected[i]->slo <= 0 ||
		    period_slot(periods, n_periods, period) < n_periods)
			continue;
		for (lb = 0; lb < SLO_LB_COUNT; lb++) {
			int64_t len = slo_lookback_seconds((enum slo_lookback)lb, period);

			windows[n_periods * SLO_LB_COUNT + lb] = (struct mx_window){ at - len, at };
			if (at - len < main_window.start)
				main_window.start = at - len;
		}
		periods[n_periods++] = period;
	}
	rep->services = xcalloc(set->n_selected + 1, sizeof(*rep->services));
	rep->figures = xcalloc(set->n_selected + 1, sizeof(*rep->figures));
	if (main_window.start == at)
		main_window.start = at - 1;
	code = mttx_run(store, set, &main_window, windows, n_periods * SLO_LB_COUNT, &result);
	for (i = 0; code == SUCCESS && i < set->n_selected; i++) {
		const struct store_service *s = set->selected[i];
		int64_t period = (int64_t)s->slo_period_days * 86400;
		size_t slot = period_slot(periods, n_periods, period);

		if (s->slo <= 0)
			continue;
		rep->services[rep->n] = s;
		slo_evaluate(s->slo, period,
			     result.services[i].window_downtime + slot * SLO_LB_COUNT,
			     &rep->figures[rep->n]);
		rep->n++;
	}
	if (code == SUCCESS)
		mttx_result_release(&result);
	free(windows);
	free(periods);
	return code;
}

static json_t *
slo_json(const struct slo_report *rep, int64_t at)
{
	json_t *o = json_object(), *slo = json_object(), *burn = json_object(),
	       *alert = json_object();
	json_t *budget = json_object(), *consumed = json_object(), *remaining = json_object();
	json_t *objective = json_object(), *page = json_object(), *ticket = json_object();
	char at_text[TIMESTAMP_TEXT_SIZE], name[16];
	size_t i, lb;

	/* burn.<lookback>.<service>; the period's name depends on each service's period */
	for (lb = 0; lb < SLO_LB_COUNT; lb++) {
		for (i = 0; i < rep->n; i++) {
			json_t *per;

			slo_lookback_name((enum slo_lookback)lb, rep->figures[i].period_seconds,
					  name, sizeof(name));
			if (!(per = json_object_get(burn, name))) {
				per = json_object();
				json_object_set_new(burn, name, per);
			}
			json_object_set_new(per, rep->services[i]->name,
					    report_number(rep->figures[i].burn[lb]));
		}
	}
	for (i = 0; i < rep->n; i++) {
		const struct slo_figures *f = &rep->figures[i];
		const char *s = rep->services[i]->name;

		json_object_set_new(objective, s, report_number(f->objective));
		json_object_set_new(budget, s, report_number(f->budget_minutes));
		json_object_set_new(consumed, s, report_number(f->budget_consumed));
		json_object_set_new(remaining, s, report_number(f->budget_remaining_minutes));
		json_object_set_new(page, s, json_integer(f->page));
		json_object_set_new(ticket, s, json_integer(f->ticket));
	}
	timestamp_format(at, at_text, sizeof(at_text));
	json_object_set_new(o, "at", json_string(at_text));
	json_object_set_new(slo, "objective", objective);
	json_object_set_new(slo, "budget_minutes", budget);
	json_object_set_new(slo, "budget_consumed", consumed);
	json_object_set_new(slo, "budget_remaining_minutes", remaining);
	json_object_set_new(o, "slo", slo);
	json_object_set_new(o, "burn", burn);
	json_object_set_new(alert, "page", page);
	json_object_set_new(alert, "ticket", ticket);
	json_object_set_new(o, "alert", alert);
	return o;
}

static void
slo_table(const struct slo_report *rep, int64_t at)
{
	char at_text[TIMESTAMP_TEXT_SIZE], name[16];
	size_t i, lb;

	timestamp_format(at, at_text, sizeof(at_text));
	printf("burn rates at %s (1 = the budget lasts exactly the period)\n\n", at_text);
	printf("  %-14s %8s %9s %9s", "service", "SLO", "budget", "used");
	for (lb = 0; lb < SLO_LB_COUNT; lb++) {
		slo_lookback_name((enum slo_lookback)lb,
				  rep->n ? rep->figures[0].period_seconds : 28 * 86400, name,
				  sizeof(name));
		printf(" %7s", lb == SLO_LB_PERIOD ? "period" : name);
	}
	printf("  alert\n");
	for (i = 0; i < rep->n; i++) {
		const struct slo_figures *f = &rep->figures[i];

		printf("  %-14s %7.3f%% %8.1fm %8.1f%%", rep->services[i]->name, f->objective * 100,
		       f->budget_minutes, f->budget_consumed * 100);
		for (lb = 0; lb < SLO_LB_COUNT; lb++)
			printf(" %7.2f", f->burn[lb]);
		printf("  %s\n", f->page ? "PAGE" : f->ticket ? "ticket" : "-");
	}
	if (rep->n == 0)
		printf("  no service has an objective (set slo in the config or the import "
		       "file)\n");
}

struct slo_output {
	const struct slo_report *rep;
	int64_t at;
};

static void
table_of(const void *ctx)
{
	const struct slo_output *o = ctx;

	slo_table(o->rep, o->at);
}

static json_t *
json_of(const void *ctx)
{
	const struct slo_output *o = ctx;

	return slo_json(o->rep, o->at);
}

int
cmd_slo(int argc, char **argv, const struct global_opts *gopts)
{
	struct report_session s;
	struct slo_report rep = { 0 };
	struct slo_output output = { &rep, 0 };
	enum status_code code;
	int rc;

	if ((rc = report_session_open(&s, argc, argv, "slo", gopts)) != EXIT_OK || !s.store)
		goto out;
	output.at = s.opts.at;
	if ((code = slo_run(s.store, &s.set, s.opts.at, &rep)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	rc = report_output(s.opts.format, table_of, json_of, &output);
out:
	free(rep.services);
	free(rep.figures);
	report_session_close(&s);
	return rc;
}
