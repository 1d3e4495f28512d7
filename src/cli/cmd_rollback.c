/* cmd_rollback.c - `sitrep rollback SERVICE [--env ENV] [--to VERSION] [--dry-run]
 * [--yes]`: the plan (what runs, what it goes back to, the commits it removes,
 * how, whether an automated sync would undo it), then, confirmed, the rollback
 * through the executor of [deploy "SERVICE.ENV"], for runbooks and chat-ops.
 *
 * --dry-run prints the plan and changes nothing: the cache is opened read-only
 * and nothing is sent. Otherwise a person confirms on a terminal (production:
 * by typing the service's name; cancel is the default), or --yes does; without a
 * terminal and without --yes it refuses. Each step is an audit row. The
 * executor's output is printed as it comes, each line after "| ". Exit 0 when
 * the rollback succeeded, 1 otherwise, 2 for a usage error. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/rollback.h"
#include "sitrep/text.h"
#include "sitrep/timestamp.h"

#include <getopt.h>
#include <unistd.h>

#define ROLLBACK_USAGE "sitrep rollback SERVICE [--env ENV] [--to VERSION] [--dry-run] [--yes]"

struct rollback_args {
	const char *service, *env, *to;
	bool dry_run, yes;
};

static void
rollback_error(const char *message)
{
	char *safe = text_sanitize(message, strlen(message), false);

	cli_error("rollback: %s", safe);
	free(safe);
}

static void
print_output(void *ctx, const char *line)
{
	char *safe = text_sanitize(line, strlen(line), false);

	(void)ctx;
	printf("| %s\n", safe);
	fflush(stdout);
	free(safe);
}

/* Asks on the terminal; true when the person confirmed. *how says how. */
static bool
confirm(const struct rollback_plan *plan, const char **how)
{
	char answer[256];
	size_t len;

	if (plan->production)
		fprintf(stderr,
			"%s is production: type the service's name (%s) to roll back, "
			"anything else cancels: ",
			plan->name, plan->service);
	else
		fprintf(stderr, "Roll back %s? [y/N] ", plan->name);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	len = strcspn(answer, "\r\n");
	answer[len] = '\0';
	if (plan->production) {
		*how = "the service's name typed";
		return streq(answer, plan->service);
	}
	*how = "answered yes";
	return streq(answer, "y") || streq(answer, "yes") || streq(answer, "Y");
}

static int
carry_out(struct store *store, const struct config *cfg, const struct rollback_plan *plan,
	  const struct rollback_args *args)
{
	struct rollback_actor actor;
	struct rollback_report report;
	enum status_code code;
	const char *how = "--yes";
	char *summary = rollback_summary(plan);
	int rc = EXIT_FAILURE_;

	rollback_actor_init(&actor, cfg);
	if ((code = rollback_audit(store, plan, &actor, time_now(), "requested", summary)) !=
	    SUCCESS)
		goto fail;
	if (!args->yes && !isatty(STDIN_FILENO)) {
		rollback_audit(store, plan, &actor, time_now(), "refused",
			       "not confirmed: no terminal to ask on and no --yes");
		cli_error("rollback: not confirmed: no terminal to ask on (--yes confirms)");
		goto out;
	}
	if (!args->yes && !confirm(plan, &how)) {
		rollback_audit(store, plan, &actor, time_now(), "cancelled", "not confirmed");
		cli_error("rollback: cancelled");
		goto out;
	}
	if ((code = rollback_audit(store, plan, &actor, time_now(), "confirmed", how)) != SUCCESS)
		goto fail;
	code = rollback_run(store, cfg, plan, &actor, print_output, NULL, &report);
	if (code != SUCCESS) {
		rollback_error(status_message(code));
		goto out;
	}
	if (report.outcome == ROLLBACK_SUCCEEDED) {
		printf("%s\n", report.message);
		rc = EXIT_OK;
	} else {
		rollback_error(report.message);
	}
	rollback_report_release(&report);
	goto out;
fail:
	rc = report_fail(code);
out:
	free(summary);
	return rc;
}

static int
rollback(const struct global_opts *gopts, const struct rollback_args *args)
{
	char *path = config_default_path(gopts->config_path);
	struct rollback_plan plan;
	struct store *store = NULL;
	enum status_code code;
	struct config cfg;
	int rc = EXIT_FAILURE_;

	code = config_load(&cfg, path, gopts->config_path != NULL);
	free(path);
	if (code != SUCCESS)
		return report_fail(code);
	path = store_default_path(gopts->db_path);
	/* A dry run changes nothing, not even the cache's schema. */
	code = store_open(&store, path, args->dry_run ? STORE_READONLY : 0);
	free(path);
	if (code != SUCCESS) {
		rc = report_fail(code);
	} else if ((code = rollback_plan_build(store, &cfg, args->service, args->env, args->to,
					       &plan)) != SUCCESS) {
		rollback_error(status_message(code));
		rollback_plan_release(&plan);
	} else {
		rollback_plan_print(&plan, stdout);
		fflush(stdout);
		rc = args->dry_run ? EXIT_OK : carry_out(store, &cfg, &plan, args);
		rollback_plan_release(&plan);
	}
	store_close(&store);
	config_release(&cfg);
	return rc;
}

int
cmd_rollback(int argc, char **argv, const struct global_opts *gopts)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' }, { "to", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },	 { "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },	 { NULL, 0, NULL, 0 },
	};
	struct rollback_args args = { 0 };
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'e') {
			args.env = optarg;
		} else if (c == 't') {
			args.to = optarg;
		} else if (c == 'n') {
			args.dry_run = true;
		} else if (c == 'y') {
			args.yes = true;
		} else if (c == 'h') {
			printf("usage: " ROLLBACK_USAGE "\n");
			return EXIT_OK;
		} else {
			cli_error("rollback: unknown option or missing value: %s "
				  "(usage: " ROLLBACK_USAGE ")",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !*argv[optind] || (args.env && !*args.env) ||
	    (args.to && !*args.to)) {
		cli_error("rollback: one service (usage: " ROLLBACK_USAGE ")");
		return EXIT_USAGE;
	}
	args.service = argv[optind];
	return rollback(gopts, &args);
}
