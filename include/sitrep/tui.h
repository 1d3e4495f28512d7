/* tui.h - the console: the full-screen view of the cache. */
#ifndef SITREP_TUI_H
#define SITREP_TUI_H

#include <stdbool.h>

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

#endif
