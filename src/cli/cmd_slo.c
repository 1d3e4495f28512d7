/* cmd_slo.c - `sitrep slo`: error budget, burn rates over 5m..3d and the whole SLO
 * period, and the multiwindow page/ticket alerts, for every service with an
 * objective, as computed by slo_report_run (run_slo.c). */
#include "sitrep/sitrep.h"
#include "cli-private.h"

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
	if ((code = slo_report_run(s.store, &s.set, s.opts.at, &rep)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	rc = report_output(s.opts.format, table_of, json_of, &output);
out:
	slo_report_release(&rep);
	report_session_close(&s);
	return rc;
}
