/* cli.h - the subcommands of the sitrep binary. main.c parses the global options and
 * dispatches; each command parses its own options and returns an exit code:
 * 0 ok, 1 failure (message on stderr, nothing on stdout), 2 usage. */
#ifndef SITREP_CLI_H
#define SITREP_CLI_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,
	EXIT_USAGE = 2,
};

struct global_opts {
	const char *config_path; /* --config, or NULL */
	const char *db_path;	 /* --db, or NULL */
};

int cmd_import(int argc, char **argv, const struct global_opts *opts);
int cmd_export(int argc, char **argv, const struct global_opts *opts);
int cmd_rollback(int argc, char **argv, const struct global_opts *opts);
int cmd_mttx(int argc, char **argv, const struct global_opts *opts);
int cmd_dora(int argc, char **argv, const struct global_opts *opts);
int cmd_slo(int argc, char **argv, const struct global_opts *opts);
int cmd_ack(int argc, char **argv, const struct global_opts *opts);
int cmd_sync(int argc, char **argv, const struct global_opts *opts);
int cmd_status(int argc, char **argv, const struct global_opts *opts);
int cmd_doctor(int argc, char **argv, const struct global_opts *opts);
int cmd_demo(int argc, char **argv, const struct global_opts *opts);
int cmd_graph(int argc, char **argv, const struct global_opts *opts);
int cmd_keys(int argc, char **argv, const struct global_opts *opts);

/* Prints "sitrep: message" on stderr. */
void cli_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
