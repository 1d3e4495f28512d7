/* cmd_data.c - `sitrep import FILE` and `sitrep export KIND`: moving normalized
 * records in and out of the cache in the import format. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/import.h"
#include "sitrep/timestamp.h"

#include <getopt.h>

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

#define EXPORT_USAGE                                                                   \
	"sitrep export incidents|tickets|events|samples|pipelines|stages|deployments|" \
	"branches|checks|actions "                                                     \
	"[--source NAME] [--service S] "                                               \
	"[--metric NAME] [--since 1h|T] [--format json|csv]"

static int
export_usage(const char *why, const char *arg)
{
	cli_error("export: %s%s%s (usage: " EXPORT_USAGE ")", why, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
}

/* --since: a duration back from now, or an instant. */
static bool
parse_since(const char *arg, int64_t *since)
{
	int64_t d;

	if (duration_parse(arg, &d) && d > 0) {
		*since = time_now() - d;
		return true;
	}
	return timestamp_parse(arg, since);
}

int
cmd_export(int argc, char **argv, const struct global_opts *gopts)
{
	static const char *const kind_names[] = {
		[EXPORT_INCIDENTS] = "incidents", [EXPORT_DEPLOYMENTS] = "deployments",
		[EXPORT_EVENTS] = "events",	  [EXPORT_SAMPLES] = "samples",
		[EXPORT_PIPELINES] = "pipelines", [EXPORT_STAGES] = "stages",
		[EXPORT_TICKETS] = "tickets",	  [EXPORT_BRANCHES] = "branches",
		[EXPORT_CHECKS] = "checks",	  [EXPORT_ACTIONS] = "actions",
	};
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 'o' },
		{ "service", required_argument, NULL, 'S' },
		{ "metric", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter filter = { .since = TIME_NONE };
	enum export_format format = EXPORT_JSON;
	struct store *store = NULL;
	enum status_code code;
	size_t kind = ARRAY_SIZE(kind_names);
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			filter.source = optarg;
			break;
		case 'S':
			filter.service = optarg;
			break;
		case 'm':
			filter.metric = optarg;
			break;
		case 's':
			if (!parse_since(optarg, &filter.since))
				return export_usage("--since: not a duration or an instant",
						    optarg);
			break;
		case 'F':
			if (streq(optarg, "json"))
				format = EXPORT_JSON;
			else if (streq(optarg, "csv"))
				format = EXPORT_CSV;
			else
				return export_usage("unknown format", optarg);
			break;
		case 'h':
			printf("usage: " EXPORT_USAGE "\n");
			return EXIT_OK;
		default:
			return export_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return export_usage("what to export?", NULL);
	for (kind = 0; kind < ARRAY_SIZE(kind_names); kind++)
		if (streq(argv[optind], kind_names[kind]))
			break;
	if (kind == ARRAY_SIZE(kind_names))
		return export_usage("cannot export", argv[optind]);
	if (optind + 1 < argc)
		return export_usage("unexpected argument", argv[optind + 1]);
	if (filter.metric && kind != EXPORT_SAMPLES)
		return export_usage("--metric selects samples only", filter.metric);
	if ((code = cli_open_store(gopts, &store)) == SUCCESS)
		code = export_records(store, stdout, (enum export_kind)kind, format, &filter);
	store_close(&store);
	if (code != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	return EXIT_OK;
}
