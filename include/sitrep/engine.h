/* engine.h - what the metric engines are fed from the cache, shared by the analytics
 * commands (src/cli: sitrep mttx, dora, slo) and the console (its MTTx panel, the
 * overview's SLO budget), so that both show the same figures for the same window:
 * the selected services with the config's objectives, the engine settings stored by
 * import, the MTTx run and the SLO figures. */
#ifndef SITREP_ENGINE_H
#define SITREP_ENGINE_H

#include "sitrep/config.h"
#include "sitrep/metrics.h"
#include "sitrep/store.h"

/* The selected services of the cache and the id -> index map the store scans take. */
struct service_set {
	struct store_service *all;
	size_t n_all;
	struct store_service **selected; /* by engine index */
	size_t n_selected;
	size_t *index_by_id;
	size_t n_index;
};

/* Every service of the cache, and selected those named in names[n_names] (all of
 * them when n_names is 0); an unknown name is an error. Names are sanitized. */
enum status_code service_set_load(struct store *store, const char *const *names, size_t n_names,
				  struct service_set *set);
/* Applies cfg's [service "NAME"] objectives (slo, tier) over what the cache holds. */
void service_set_apply_config(struct service_set *set, const struct config *cfg);
void service_set_release(struct service_set *set);

/* Engine settings stored by import: business hours and the reopen merge window. */
struct engine_settings {
	struct mx_business_hours hours;
	int64_t *holidays;
	int64_t reopen_merge_seconds;
};

enum status_code engine_settings_load(struct store *store, struct engine_settings *settings);
void engine_settings_release(struct engine_settings *settings);

/* Runs the MTTx engine over the selected services' incidents for window, with extra
 * downtime windows (SLO lookbacks); large caches are scanned by two threads.
 * result is filled; release it with mttx_result_release. */
enum status_code mttx_run(struct store *store, const struct service_set *set,
			  const struct mx_window *window, const struct mx_window *windows,
			  size_t n_windows, struct mttx_result *result);

/* The SLO figures at `at` of the selected services that have an objective (`sitrep
 * slo` and the console's overview): services[i] and figures[i], n of them. */
struct slo_report {
	size_t n;
	const struct store_service **services;
	struct slo_figures *figures;
};

enum status_code slo_report_run(struct store *store, const struct service_set *set, int64_t at,
				struct slo_report *rep);
void slo_report_release(struct slo_report *rep);

#endif
