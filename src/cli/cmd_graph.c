/* cmd_graph.c - `sitrep graph`: the branch graph of a local repository on stdout,
 * one commit a line as `git log --graph --oneline` prints it, plus a line wherever a
 * merge opens lanes for its other parents. For scripts, and for the tests, which
 * trace every line of the drawing back to the parents git lists. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/graph.h"
#include "sitrep/history.h"
#include "sitrep/text.h"

#include <errno.h>

#define GRAPH_USAGE "sitrep graph [--repo DIR] [-n N] [--all] [--ascii] [--full-hash]"

struct graph_opts {
	struct history_opts history;
	unsigned long max; /* 0: no limit */
	bool ascii, full_hash;
};

static int
parse_opts(int argc, char **argv, struct graph_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (streq(a, "--repo") && i + 1 < argc) {
			o->history.repo = argv[++i];
		} else if (streq(a, "-n") && i + 1 < argc) {
			char *end;

			errno = 0;
			o->max = strtoul(argv[++i], &end, 10);
			if (errno || *end || argv[i][0] == '-' || !argv[i][0]) {
				cli_error("-n wants a number of commits, not '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (streq(a, "--all")) {
			o->history.all = true;
		} else if (streq(a, "--ascii")) {
			o->ascii = true;
		} else if (streq(a, "--full-hash")) {
			o->full_hash = true;
		} else if (streq(a, "--help")) {
			printf("usage: %s\n", GRAPH_USAGE);
			return EXIT_HELP;
		} else {
			cli_error("unknown option '%s'\nusage: %s", a, GRAPH_USAGE);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

static void
print_commit(const struct graph_row *row, const struct history_commit *c,
	     const struct graph_opts *o, char *buf, size_t size)
{
	char hex[2 * GRAPH_ID_SIZE + 1];

	graph_row_text(row, 0, o->ascii, buf, size);
	history_hex(&c->id, hex);
	if (!o->full_hash)
		hex[10] = '\0';
	printf("%s %s", buf, hex);
	if (c->refs)
		printf(" (%s)", c->refs);
	printf(" %s\n", c->summary);
}

int
cmd_graph(int argc, char **argv, const struct global_opts *gopts)
{
	struct graph_opts o = { 0 };
	struct history *h;
	struct history_commit c;
	struct graph *g;
	enum status_code code;
	unsigned long shown = 0;
	size_t size = 4096;
	char *buf;
	int rc;

	(void)gopts;
	if ((rc = parse_opts(argc, argv, &o)) != EXIT_OK)
		return rc == EXIT_HELP ? EXIT_OK : rc;
	if (!text_locale_utf8())
		o.ascii = true;
	if ((code = history_open(&h, &o.history)) != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	g = graph_new();
	buf = xmalloc(size);
	while ((!o.max || shown < o.max) && history_next(h, &c)) {
		struct graph_row rows[2];
		size_t n = graph_add(g, &c.id, c.parents, c.n_parents, rows);

		/* Four bytes a cell is the widest glyph: a line never comes out cut. */
		if (size < 4 * (rows[n - 1].n_cells + rows[0].n_cells) + 64) {
			size = 4 * (rows[n - 1].n_cells + rows[0].n_cells) + 64;
			buf = xrealloc(buf, size);
		}
		print_commit(&rows[0], &c, &o, buf, size);
		if (n > 1) {
			graph_row_text(&rows[1], 0, o.ascii, buf, size);
			printf("%s\n", buf);
		}
		shown++;
	}
	free(buf);
	graph_free(g);
	history_close(&h);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
