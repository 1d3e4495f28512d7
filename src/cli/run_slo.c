/* run_slo.c - the SLO figures of every selected service with an objective: the
 * engine behind `sitrep slo` and the overview's "SLO budget left" column, so that
 * both show the same numbers for the same cache and instant. Bad minutes are the
 * availability downtime (outages) of the MTTx engine over each lookback window. */
#include "sitrep/sitrep.h"
#include "sitrep/engine.h"

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

enum status_code
slo_report_run(struct store *store, const struct service_set *set, int64_t at,
	       struct slo_report *rep)
{
	struct mx_window *windows = xcalloc(set->n_selected * SLO_LB_COUNT + 1, sizeof(*windows));
	int64_t *periods = xcalloc(set->n_selected + 1, sizeof(*periods));
	size_t n_periods = 0, i, lb;
	struct mttx_result result = { 0 };
	struct mx_window main_window = { at, at };
	enum status_code code;

	memset(rep, 0, sizeof(*rep));
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
	if (!n_periods) { /* no service has an objective: nothing to scan for */
		free(windows);
		free(periods);
		return SUCCESS;
	}
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

void
slo_report_release(struct slo_report *rep)
{
	free(rep->services);
	free(rep->figures);
	memset(rep, 0, sizeof(*rep));
}
