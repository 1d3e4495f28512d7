/* cmd_graph.c - `sitrep graph`: the branch graph of a local repository on stdout,
 * one commit a line as `git log --graph --oneline` prints it, plus a line wherever a
 * merge opens lanes for its other parents. For scripts, and for the tests, which
 * trace every line of the drawing back to the parents git lists. With --branches,
 * the branches instead: role, base, ahead/behind, last commit, stale. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/branches.h"
#include "sitrep/config.h"
#include "sitrep/graph.h"
#include "sitrep/history.h"
#include "sitrep/text.h"

#include "sitrep/timestamp.h"

#include <errno.h>
#include <jansson.h>

#define GRAPH_USAGE                                                          \
	"sitrep graph [--repo DIR] [-n N] [--all] [--ascii] [--full-hash]\n" \
	"       sitrep graph --branches [--repo DIR] [--format text|json]"

struct graph_opts {
	struct history_opts history;
	unsigned long max; /* 0: no limit */
	bool ascii, full_hash, branches, json;
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
		} else if (streq(a, "--no-commit-graph")) {
			o->history.no_commit_graph = true;
		} else if (streq(a, "--branches")) {
			o->branches = true;
		} else if (streq(a, "--format") && i + 1 < argc &&
			   (streq(argv[i + 1], "text") || streq(argv[i + 1], "json"))) {
			o->json = streq(argv[++i], "json");
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

static void
print_branches_text(const struct branch_list *l, int64_t now)
{
	printf("strategy: %s", l->strategy);
	if (l->trunk)
		printf(" (trunk %s%s%s)", l->trunk, l->develop ? ", develop " : "",
		       l->develop ? l->develop : "");
	printf("\n%-12s %-32s %-16s %6s %6s  %s\n", "ROLE", "BRANCH", "BASE", "AHEAD", "BEHIND",
	       "LAST COMMIT");
	for (size_t i = 0; i < l->n; i++) {
		const struct branch_info *b = &l->items[i];
		char age[32];

		duration_format(now - b->last_commit, age, sizeof(age));
		printf("%-12s %-32s %-16s", b->role, b->name, b->base ? b->base : "-");
		if (b->base)
			printf(" %6zu %6zu", b->ahead, b->behind);
		else
			printf(" %6s %6s", "-", "-");
		printf("  %s ago%s\n", age, b->stale ? ", stale" : "");
	}
}

static json_t *
branches_json(const struct branch_list *l)
{
	json_t *root = json_object(), *items = json_array();

	json_object_set_new(root, "strategy", json_string(l->strategy));
	json_object_set_new(root, "trunk", l->trunk ? json_string(l->trunk) : json_null());
	json_object_set_new(root, "develop", l->develop ? json_string(l->develop) : json_null());
	for (size_t i = 0; i < l->n; i++) {
		const struct branch_info *b = &l->items[i];
		char hex[2 * GRAPH_ID_SIZE + 1];

		history_hex(&b->tip, hex);
		json_array_append_new(
			items,
			json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:b, s:b, s:b, s:s}", "name",
				  b->name, "role", b->role, "base",
				  b->base ? json_string(b->base) : json_null(), "ahead",
				  b->base ? json_integer((json_int_t)b->ahead) : json_null(),
				  "behind",
				  b->base ? json_integer((json_int_t)b->behind) : json_null(),
				  "last_commit", (json_int_t)b->last_commit, "remote", b->remote,
				  "head", b->head, "stale", b->stale, "tip", hex));
	}
	json_object_set_new(root, "branches", items);
	return root;
}

static int
run_branches(const struct graph_opts *o, const struct global_opts *gopts)
{
	char *path = config_default_path(gopts->config_path);
	struct config cfg;
	struct branch_list list;
	enum status_code code = config_load(&cfg, path, gopts->config_path != NULL);
	int64_t now = time_now();

	free(path);
	if (code != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	for (size_t i = 0; i < cfg.n_problems; i++)
		fprintf(stderr, "sitrep: %s\n", cfg.problems[i]);
	code = branches_read(&list, o->history.repo, &cfg, now);
	if (code != SUCCESS) {
		config_release(&cfg);
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	if (o->json) {
		json_t *root = branches_json(&list);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		printf("\n");
		json_decref(root);
	} else {
		print_branches_text(&list, now);
	}
	branches_release(&list);
	config_release(&cfg); /* the roles named by its rules are its strings */
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
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

	if ((rc = parse_opts(argc, argv, &o)) != EXIT_OK)
		return rc == EXIT_HELP ? EXIT_OK : rc;
	if (o.branches)
		return run_branches(&o, gopts);
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
	code = history_status(h);
	history_close(&h);
	if (code != SUCCESS) {
		fflush(stdout);
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
