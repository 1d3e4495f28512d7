/* cmd_doctor.c - `sitrep doctor`: is everything in place? One line per check - the
 * config file, the cache's integrity, and each source's credentials, reachability,
 * authorization and payloads - and exit 0 only when all of them pass. Nothing is
 * written: sources are probed (sync_probe), not synced. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/sync.h"
#include "sitrep/text.h"

#define DOCTOR_USAGE "sitrep doctor"

struct doctor {
	unsigned failed;
};

/* One line: what was checked, ok or failing, and what was found (untrusted text
 * is sanitized: an upstream's error message may carry escape sequences). */
static void
line(struct doctor *d, const char *what, bool ok, const char *detail)
{
	char *safe = text_sanitize(detail, strlen(detail), false);

	printf("%-16s %-8s %s\n", what, ok ? "ok" : "failing", safe);
	free(safe);
	if (!ok)
		d->failed++;
}

static bool
check_config(struct doctor *d, const struct global_opts *gopts, struct config *cfg)
{
	char *path = config_default_path(gopts->config_path);
	enum status_code code = config_load(cfg, path, gopts->config_path != NULL);
	char detail[1024];

	if (code != SUCCESS) {
		line(d, "config", false, status_message(code));
		free(path);
		return false;
	}
	if (!cfg->path)
		snprintf(detail, sizeof(detail), "%s: no such file, so no sources to sync", path);
	else
		snprintf(detail, sizeof(detail), "%s: %zu sources, %zu metrics, %zu services", path,
			 cfg->n_sources, cfg->n_metrics, cfg->n_services);
	line(d, "config", cfg->path && cfg->n_sources > 0 && cfg->n_problems == 0, detail);
	for (size_t i = 0; i < cfg->n_problems; i++)
		line(d, "config", false, cfg->problems[i]);
	free(path);
	return true;
}

static struct store *
check_cache(struct doctor *d, const struct global_opts *gopts)
{
	struct store *store = NULL;
	char detail[1024], *problem = NULL;
	int64_t incidents;
	enum status_code code;

	if ((code = cli_open_store(gopts, &store)) != SUCCESS) {
		line(d, "cache", false, status_message(code));
		return NULL;
	}
	if ((code = store_check(store, &problem, &incidents)) != SUCCESS) {
		line(d, "cache", false, status_message(code));
	} else if (problem) {
		snprintf(detail, sizeof(detail), "%s: integrity check failed: %s",
			 store_path(store), problem);
		line(d, "cache", false, detail);
	} else {
		snprintf(detail, sizeof(detail), "%s: integrity ok, %lld incidents",
			 store_path(store), (long long)incidents);
		line(d, "cache", true, detail);
	}
	free(problem);
	return store;
}

static enum status_code
check_sources(struct doctor *d, struct store *store, const struct config *cfg)
{
	struct http_client *http = http_client_new(&(struct http_options){ 0 });
	/* A doctor answers quickly: one retry, and no long wait for a Retry-After. */
	struct sync_options opts = { .max_attempts = 2, .max_wait_ms = 5000 };
	enum status_code code = SUCCESS;

	for (size_t i = 0; i < cfg->n_sources && code == SUCCESS; i++) {
		const struct config_source *src = &cfg->sources[i];
		struct sync_report report;
		char detail[1024];

		code = sync_probe(store, http, cfg, src, &opts, &report);
		if (code != SUCCESS)
			break;
		if (report.failed)
			snprintf(detail, sizeof(detail), "%s: %s", src->type, report.error);
		else
			snprintf(detail, sizeof(detail),
				 "%s: %lld streams answered (%lld records) in %.3f s", src->type,
				 (long long)report.pages, (long long)report.records,
				 report.seconds);
		line(d, src->name, !report.failed, detail);
	}
	http_client_free(&http);
	return code;
}

int
cmd_doctor(int argc, char **argv, const struct global_opts *gopts)
{
	struct doctor d = { 0 };
	struct config cfg;
	struct store *store;
	enum status_code code = SUCCESS;

	if (argc == 2 && streq(argv[1], "--help")) {
		printf("usage: " DOCTOR_USAGE "\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		cli_error("doctor: unexpected argument: %s (usage: " DOCTOR_USAGE ")", argv[1]);
		return EXIT_USAGE;
	}
	if (!check_config(&d, gopts, &cfg))
		return EXIT_FAILURE_;
	store = check_cache(&d, gopts);
	if (store)
		code = check_sources(&d, store, &cfg);
	store_close(&store);
	config_release(&cfg);
	if (code != SUCCESS)
		return report_fail(code);
	return d.failed ? EXIT_FAILURE_ : EXIT_OK;
}
