/* test_graph.c - the lane layout on small graphs given by hand: the rows an octopus
 * merge, a join of several lanes, a root followed by an unrelated tip and lanes
 * moving into a freed one produce, in box drawing and ASCII. (Real repositories and their topology against git are
 * tests/integration/graph.sh.) */
#include "sitrep/sitrep.h"
#include "sitrep/graph.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <string.h>

static struct graph_id
id(unsigned char n)
{
	struct graph_id g;

	memset(&g, 0, sizeof(g));
	g.bytes[0] = n;
	return g;
}

/* Adds commit n with the given parents (0-terminated) and returns its rows as text,
 * joined by '/'. */
static const char *
add(struct graph *g, bool ascii, unsigned char n, ...)
{
	static char out[512];
	struct graph_id parents[8], self = id(n);
	struct graph_row rows[2];
	size_t np = 0, nr, len = 0;
	va_list ap;
	int p;

	va_start(ap, n);
	while ((p = va_arg(ap, int)) != 0)
		parents[np++] = id((unsigned char)p);
	va_end(ap);
	nr = graph_add(g, &self, parents, np, rows);
	for (size_t r = 0; r < nr; r++) {
		char buf[256];

		graph_row_text(&rows[r], 0, ascii, buf, sizeof(buf));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", r ? "/" : "", buf);
	}
	return out;
}

static void
graph__octopus_and_joins(void **state)
{
	struct graph *g = graph_new();

	(void)state;
	/* 1 merges 2, 3 and 4, each of which comes from 5: once lanes 0 and 1 both
	 * wait for 5 and pass a row, they meet. */
	assert_string_equal(add(g, false, 1, 2, 3, 4, 0), "●/├─┬─╮");
	assert_string_equal(add(g, false, 2, 5, 0), "● │ │");
	assert_string_equal(add(g, false, 3, 5, 0), "│ ● │");
	assert_string_equal(add(g, false, 4, 5, 0), "│╱  ●");
	assert_string_equal(add(g, false, 5, 0), "●───╯");
	graph_free(g);

	g = graph_new();
	assert_string_equal(add(g, true, 1, 2, 3, 4, 0), "*/|-.-.");
	add(g, true, 2, 5, 0);
	add(g, true, 3, 5, 0);
	assert_string_equal(add(g, true, 4, 5, 0), "|/  *");
	assert_string_equal(add(g, true, 5, 0), "*---'");
	graph_free(g);

	g = graph_new();
	/* Three lanes end in 5 on its row (┴ ╯): lanes 0 and 2 wait for it, and the
	 * commit between them on the row before keeps them apart. */
	assert_string_equal(add(g, false, 1, 5, 0), "●");
	assert_string_equal(add(g, false, 2, 4, 0), "│ ●");
	assert_string_equal(add(g, false, 3, 5, 0), "│ │ ●");
	assert_string_equal(add(g, false, 4, 5, 0), "│ ● │");
	assert_string_equal(add(g, false, 5, 0), "●─┴─╯");
	graph_free(g);
}

static void
graph__crossing_and_roots(void **state)
{
	struct graph *g = graph_new();

	(void)state;
	/* 1 -> 3, 2 -> 4 and 3: lane 0 waits for 3 while 2's second parent crosses it
	 * into lane 2. */
	assert_string_equal(add(g, false, 1, 3, 0), "●");
	assert_string_equal(add(g, false, 2, 4, 3, 0), "│ ●/│ ├─╮");
	assert_string_equal(add(g, false, 4, 0), "│ ● │");
	/* 3 ends lanes 0 and 2; it is a root: its lane is free. */
	assert_string_equal(add(g, false, 3, 0), "●───╯");
	/* A tip after a root never sits right under it. */
	assert_string_equal(add(g, false, 6, 7, 0), "  ●");
	assert_string_equal(add(g, false, 7, 0), "  ●");
	graph_free(g);
}

static void
graph__merge_joins_a_waiting_lane(void **state)
{
	struct graph *g = graph_new();

	(void)state;
	/* 30 merges 31 and 32: lane 1 waits for 32. 31 merges 33 and 32 too: lane 1 is
	 * right of it and the line's only target, so the line ends in it. */
	assert_string_equal(add(g, false, 30, 31, 32, 0), "●/├─╮");
	assert_string_equal(add(g, false, 31, 33, 32, 0), "● │/├─┤");
	assert_string_equal(add(g, true, 33, 32, 0), "* |");
	assert_string_equal(add(g, false, 32, 0), "●─╯");
	graph_free(g);

	g = graph_new();
	/* 1 waits for 3 in lane 0; 4, a tip in lane 1, merges 5 and 3: lane 0 is left of
	 * its line, so 3 gets a lane of its own, and both end at 3. */
	assert_string_equal(add(g, false, 1, 3, 0), "●");
	assert_string_equal(add(g, true, 4, 5, 3, 0), "| */| |-.");
	assert_string_equal(add(g, false, 5, 0), "│ ● │");
	assert_string_equal(add(g, false, 3, 0), "●───╯");
	graph_free(g);
}

static void
graph__lanes_move_left(void **state)
{
	struct graph *g = graph_new();

	(void)state;
	/* Three tips; 21 ends lane 1 (its two children wait in lanes 0 and 1), and on
	 * the next row lane 2 moves into the free lane: 31 is drawn in lane 1, and the
	 * lane going on from it to 23 joins from there. */
	assert_string_equal(add(g, false, 10, 11, 0), "●");
	assert_string_equal(add(g, false, 20, 21, 0), "│ ●");
	assert_string_equal(add(g, false, 30, 31, 0), "│ │ ●");
	assert_string_equal(add(g, false, 11, 21, 0), "● │ │");
	assert_string_equal(add(g, false, 21, 22, 0), "●─╯ │");
	assert_string_equal(add(g, false, 22, 23, 0), "●  ╱");
	assert_string_equal(add(g, false, 31, 23, 0), "│ ●");
	assert_string_equal(add(g, true, 23, 0), "*-'");
	graph_free(g);

	g = graph_new();
	/* A run of lanes right of a gap moves on the same row, each by one lane; not
	 * on the row of the root that leaves the gap (its cell is the commit's). */
	add(g, true, 1, 5, 0);
	add(g, true, 2, 6, 0);
	add(g, true, 3, 7, 0);
	assert_string_equal(add(g, true, 4, 8, 0), "| | | *");
	assert_string_equal(add(g, true, 6, 0), "| * | |");
	assert_string_equal(add(g, true, 5, 9, 0), "*  / /");
	assert_string_equal(add(g, true, 7, 9, 0), "| * |");
	graph_free(g);

	g = graph_new();
	/* Lanes 0 and 1 both wait for 9: on the next row they pass, lane 1 meets lane
	 * 0 (╱ into its line); 4's lane joins the one lane left at 9. */
	assert_string_equal(add(g, false, 1, 9, 0), "●");
	assert_string_equal(add(g, false, 2, 9, 0), "│ ●");
	assert_string_equal(add(g, false, 3, 4, 0), "│╱  ●");
	assert_string_equal(add(g, false, 4, 9, 0), "│   ●");
	assert_string_equal(add(g, false, 9, 0), "●───╯");
	graph_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graph__octopus_and_joins),
		cmocka_unit_test(graph__crossing_and_roots),
		cmocka_unit_test(graph__merge_joins_a_waiting_lane),
		cmocka_unit_test(graph__lanes_move_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
