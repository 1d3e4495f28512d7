/* tui.h - the console: the full-screen view of the cache. */
#ifndef SITREP_TUI_H
#define SITREP_TUI_H

#include <stdbool.h>
#include <stdio.h>

struct config;

struct tui_options {
	const char *config_path; /* --config, or NULL */
	const char *db_path;	 /* --db, or NULL */
	bool read_only;		 /* never write the cache: a sync daemon does */
	const char *view;	 /* the view to open first ("incidents"), or NULL */
	/* Keys to run before reading the terminal (tests, the demo), in the console's
	 * key-name syntax ("5 j j Enter"), or NULL. */
	const char *keys;
	/* Leave after this many passes of the loop (0: never), for smoke runs. */
	unsigned max_iterations;
};

/* Runs the console until the user quits; returns the exit code. The terminal is
 * restored on every way out, including SIGTERM and SIGINT. */
int tui_run(const struct tui_options *opts);

/* Every action of the console with its keys, by group: for a terminal (cfg's [bind]
 * applied; cfg may be NULL), or with man the roff of the man page's KEYS section
 * (the default keys). Returns 0, or 1 when out failed. */
int tui_keys_print(const struct config *cfg, bool man, FILE *out);

#endif
