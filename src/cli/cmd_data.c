/* cmd_data.c - `sitrep import FILE` and `sitrep export KIND`: moving normalized
 * records in and out of the cache in the import format. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/import.h"

int
cmd_import(int argc, char **argv, const struct global_opts *gopts)
{
	struct import_report report;
	struct store *store = NULL;
	enum status_code code;
	size_t i;

	if (argc == 2 && streq(argv[1], "--help")) {
		printf("usage: sitrep import FILE   (FILE may be - for standard input)\n");
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '\0' || (argv[1][0] == '-' && argv[1][1] != '\0')) {
		cli_error("import: expected one FILE (usage: sitrep import FILE, - for standard "
			  "input)");
		return EXIT_USAGE;
	}
	if ((code = cli_open_store(gopts, &store)) != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	code = import_file(store, argv[1], &report);
	store_close(&store);
	for (i = 0; i < report.kept_problems; i++)
		fprintf(stderr, "%s\n", report.problems[i]);
	if (report.n_problems > report.kept_problems)
		fprintf(stderr, "... and %zu more problems\n",
			report.n_problems - report.kept_problems);
	if (code != SUCCESS) {
		cli_error("%s", status_message(code));
		import_report_release(&report);
		return EXIT_FAILURE_;
	}
	fprintf(stderr, "imported %zu incidents, %zu deployments, %zu services from %s\n",
		report.incidents, report.deployments, report.services, argv[1]);
	import_report_release(&report);
	return EXIT_OK;
}

int
cmd_export(int argc, char **argv, const struct global_opts *gopts)
{
	enum export_format format = EXPORT_JSON;
	struct store *store = NULL;
	enum status_code code;
	const char *kind = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (streq(argv[i], "--help")) {
			printf("usage: sitrep export incidents|deployments [--format json|csv]\n");
			return EXIT_OK;
		}
		if (streq(argv[i], "--format") && i + 1 < argc) {
			i++;
			if (streq(argv[i], "json"))
				format = EXPORT_JSON;
			else if (streq(argv[i], "csv"))
				format = EXPORT_CSV;
			else
				goto usage;
		} else if (!kind &&
			   (streq(argv[i], "incidents") || streq(argv[i], "deployments"))) {
			kind = argv[i];
		} else {
			goto usage;
		}
	}
	if (!kind)
		goto usage;
	if ((code = cli_open_store(gopts, &store)) == SUCCESS)
		code = streq(kind, "incidents") ? export_incidents(store, stdout, format)
						: export_deployments(store, stdout, format);
	store_close(&store);
	if (code != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	return EXIT_OK;
usage:
	cli_error("export: %s%s (usage: sitrep export incidents|deployments [--format json|csv])",
		  i < argc ? "unexpected argument: " : "what to export?", i < argc ? argv[i] : "");
	return EXIT_USAGE;
}
