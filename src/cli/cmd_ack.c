/* cmd_ack.c - `sitrep ack SOURCE ID [--note TEXT]`: acknowledges incident ID (its
 * source_id, as `sitrep export incidents` shows it) through the upstream of
 * [source "SOURCE"], then syncs that source so the cache shows the ack. For
 * scripts and tests: one line on stdout on success, one line on stderr and exit
 * code 1 otherwise. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/action.h"
#include "sitrep/config.h"
#include "sitrep/text.h"

#include <getopt.h>

#define ACK_USAGE "sitrep ack SOURCE ID [--note TEXT]"

/* message, sanitized (it may quote the upstream), as "sitrep: ack: ..." */
static void
ack_error(const char *message)
{
	char *safe = text_sanitize(message, strlen(message), false);

	cli_error("ack: %s", safe);
	free(safe);
}

static int
ack(const struct global_opts *gopts, const char *source, const char *id, const char *note)
{
	char *path = config_default_path(gopts->config_path);
	const struct config_source *src;
	struct source_action action = { .kind = "ack", .id = id, .note = note };
	struct action_report report;
	struct store *store = NULL;
	enum status_code code;
	struct config cfg;
	int rc = EXIT_FAILURE_;

	code = config_load(&cfg, path, gopts->config_path != NULL);
	free(path);
	if (code != SUCCESS)
		return report_fail(code);
	action.who = action_user(&cfg);
	if (!(src = config_find_source(&cfg, source))) {
		cli_error("ack: no [source \"%s\"] in the config", source);
	} else if (!action_supported(src, "ack", report.message, sizeof(report.message))) {
		ack_error(report.message);
	} else if ((code = cli_open_store(gopts, &store)) != SUCCESS) {
		rc = report_fail(code);
	} else if ((code = action_run(store, &cfg, src, &action, NULL, &report)) != SUCCESS) {
		rc = report_fail(code);
	} else if (report.failed) {
		ack_error(report.message);
	} else {
		printf("%s\n", report.message);
		/* The upstream has it; a failed sync only delays the cache. */
		if (report.sync.failed)
			cli_error("ack: the sync that followed failed (the next one shows the "
				  "ack): %s",
				  report.sync.error);
		rc = EXIT_OK;
	}
	store_close(&store);
	config_release(&cfg);
	return rc;
}

int
cmd_ack(int argc, char **argv, const struct global_opts *gopts)
{
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'n') {
			note = optarg;
		} else if (c == 'h') {
			printf("usage: " ACK_USAGE "\n");
			return EXIT_OK;
		} else {
			cli_error("ack: unknown option: %s (usage: " ACK_USAGE ")",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || !*argv[optind] || !*argv[optind + 1]) {
		cli_error("ack: a source and an incident id (usage: " ACK_USAGE ")");
		return EXIT_USAGE;
	}
	return ack(gopts, argv[optind], argv[optind + 1], note);
}
