/* main.c - command line: global options and subcommand dispatch only. Every command
 * returns its exit code: 0 ok, 1 failure, 2 usage. */
#include "sitrep/sitrep.h"
#include "sitrep/cli.h"
#include "sitrep/store.h"
#include "sitrep/tui.h"

#include <locale.h>
#include <unistd.h>

#define SITREP_VERSION "0.1.0"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct global_opts *opts);
	const char *help;
} commands[] = {
	{ "import", cmd_import, "import FILE                 normalized records into the cache" },
	{ "export", cmd_export,
	  "export incidents|deployments|events|samples|actions [--source NAME] [--since 1h] ..." },
	{ "mttx", cmd_mttx, "mttx [WINDOW] [--service S] [--format table|json|csv]" },
	{ "dora", cmd_dora, "dora [WINDOW] [--service S] [--format table|json|csv]" },
	{ "slo", cmd_slo, "slo [WINDOW] [--at T] [--service S] [--format table|json|csv]" },
	{ "sync", cmd_sync, "sync --once|--daemon [--source NAME]... [--verbose]" },
	{ "ack", cmd_ack, "ack SOURCE ID [--note TEXT]  acknowledge an incident upstream" },
	{ "rollback", cmd_rollback,
	  "rollback SERVICE [--env ENV] [--to VERSION] [--dry-run] [--yes]  undo a deploy" },
	{ "status", cmd_status,
	  "status [--format text|line|json]  sources; line: for a tmux status bar" },
	{ "demo", cmd_demo,
	  "demo                        the console on a simulated world: no config, no network" },
	{ "doctor", cmd_doctor,
	  "doctor                      config, cache and every source: one line each" },
	{ "graph", cmd_graph, "graph [--repo DIR] [-n N] [--all] [--ascii]  the branch graph" },
	{ "keys", cmd_keys, "keys [--format text|man]    the console's keys, with [bind] applied" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sitrep [--config FILE] [--db FILE] [COMMAND [ARGS]]\n\n"
		     "without a command: the console (--read-only, --view NAME)\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %s\n", commands[i].help);
	fprintf(out, "\nWINDOW: --since 30d (default) or --from T --to T (half-open, UTC)\n"
		     "see sitrep(1) and sitrep.conf(5)\n");
}

/* `sitrep [--read-only] [--view NAME] [--keys KEYS] [--max-iterations N]`: the
 * console. --keys and --max-iterations are for scripts and tests. */
static int
console(int argc, char **argv, const struct global_opts *gopts)
{
	struct tui_options o = { .config_path = gopts->config_path, .db_path = gopts->db_path };
	int i;

	for (i = 0; i < argc; i++) {
		if (streq(argv[i], "--read-only")) {
			o.read_only = true;
		} else if (streq(argv[i], "--view") && i + 1 < argc) {
			o.view = argv[++i];
		} else if (streq(argv[i], "--keys") && i + 1 < argc) {
			o.keys = argv[++i];
		} else if (streq(argv[i], "--max-iterations") && i + 1 < argc) {
			o.max_iterations = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "sitrep: unknown option: %s (sitrep --help lists them)\n",
				argv[i]);
			return 2;
		}
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "sitrep: the console needs a terminal (commands for scripts: "
				"sitrep --help)\n");
		return 2;
	}
	return tui_run(&o);
}

/* Takes --config and --db (also as --opt=value) from before the command. */
static int
global_option(char **argv, int *i, struct global_opts *opts)
{
	const char *arg = argv[*i];
	const char **target = NULL;
	const char *value = NULL;
	size_t len;

	if (strncmp(arg, "--config", 8) == 0) {
		target = &opts->config_path;
		len = 8;
	} else if (strncmp(arg, "--db", 4) == 0) {
		target = &opts->db_path;
		len = 4;
	} else {
		return -1;
	}
	if (arg[len] == '=')
		value = arg + len + 1;
	else if (arg[len] == '\0' && argv[*i + 1])
		value = argv[++*i];
	else if (arg[len] != '\0')
		return -1;
	if (!value || !*value)
		return -1;
	*target = value;
	return 0;
}

int
main(int argc, char **argv)
{
	struct global_opts opts = { 0 };
	int i;
	size_t c;

	setlocale(LC_ALL, "");
	store_library_init();
	opts.config_path = getenv("SITREP_CONFIG");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (streq(argv[i], "--version")) {
			printf("sitrep %s\n", SITREP_VERSION);
			return 0;
		}
		if (global_option(argv, &i, &opts) != 0)
			break; /* the console's options, or an unknown one: console() says */
	}
	if (i == argc || argv[i][0] == '-')
		return console(argc - i, argv + i, &opts);
	for (c = 0; c < ARRAY_SIZE(commands); c++)
		if (streq(argv[i], commands[c].name))
			return commands[c].run(argc - i, argv + i, &opts);
	fprintf(stderr, "sitrep: unknown command: %s (sitrep --help lists them)\n", argv[i]);
	return 2;
}
