/* cli-private.h - what the command files share: the options of the analytics
 * commands, the engine inputs built from the cache, and the report writers. */
#ifndef SITREP_CLI_PRIVATE_H
#define SITREP_CLI_PRIVATE_H

#include "sitrep/cli.h"
#include "sitrep/engine.h"
#include "sitrep/metrics.h"
#include "sitrep/store.h"
#include <jansson.h>

enum report_format {
	REPORT_TABLE,
	REPORT_JSON,
	REPORT_CSV,
};

struct report_opts {
	struct mx_window window;
	int64_t at; /* burn rates are evaluated here */
	enum report_format format;
	const char **services; /* --service, repeatable */
	size_t n_services;
};

/* Parses --from --to --since --at --service --format. Returns EXIT_OK, EXIT_USAGE
 * after printing why, or EXIT_HELP after printing the usage for --help. */
#define EXIT_HELP (-1)
int report_opts_parse(int argc, char **argv, const char *command, struct report_opts *opts);
void report_opts_release(struct report_opts *opts);

/* Applies the config file's [service "NAME"] objectives (slo, tier) to the services,
 * over what the cache holds; prints the file's problems on stderr. Fails only when
 * the file cannot be read or parsed. */
enum status_code service_set_configure(struct service_set *set, const struct global_opts *opts);

/* Opens the cache named by the global options. */
enum status_code cli_open_store(const struct global_opts *opts, struct store **store);

/* What every analytics command starts from: its options, the cache, and the selected
 * services with the config's objectives applied. */
struct report_session {
	struct report_opts opts;
	struct store *store;
	struct service_set set;
};

/* EXIT_OK when the session is ready; otherwise the command's exit code, the reason
 * already printed (EXIT_OK for --help, which printed the usage: check s->store). */
int report_session_open(struct report_session *s, int argc, char **argv, const char *command,
			const struct global_opts *gopts);
void report_session_close(struct report_session *s);
/* Reports a failure of the command (exit code 1). */
int report_fail(enum status_code code);

/* Prints table(ctx) or writes json(ctx) as the format asks; returns the exit code. */
int report_output(enum report_format format, void (*table)(const void *ctx),
		  json_t *(*json)(const void *ctx), const void *ctx);

/* Writes a report tree as JSON, or flattened "key,value" CSV. */
int report_write(json_t *report, enum report_format format);
/* A number, or null for NaN. */
json_t *report_number(double v);
json_t *report_stat(const struct mx_stat *stat);

#endif
