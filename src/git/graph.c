/* graph.c - the lane layout of a commit graph: which lane each commit sits in and
 * the cells that draw the lines between commits (see include/sitrep/graph.h).
 *
 * A lane waits for one commit. A commit takes the leftmost lane waiting for it (or
 * a free one when nothing waits: a branch tip); the other lanes waiting for it end
 * on its row, joined by a line from the right. Its first parent inherits its lane,
 * every other parent gets a lane to the right, opened on a second row (or joins one
 * already waiting for it at the end of that row's line). Lines go only to the
 * right, so one never has to pass left of its commit, and every lane leads to the one
 * commit it waits for: the drawing says exactly which parent each line leads to, as
 * `git log --graph` does. It does not read git; src/git/walk.c does. */
#include "sitrep/sitrep.h"
#include "sitrep/graph.h"

#include <string.h>

struct lane {
	struct graph_id want;
	bool used;
};

struct graph {
	struct lane *lanes;
	size_t n_lanes, alloc_lanes;
	enum graph_glyph *cells[2];
	size_t alloc_cells[2];
	size_t root_lane; /* freed by a root on the last row, or SIZE_MAX */
};

struct graph *
graph_new(void)
{
	struct graph *g = xcalloc(1, sizeof(*g));

	g->root_lane = SIZE_MAX;
	return g;
}

void
graph_free(struct graph *g)
{
	if (!g)
		return;
	free(g->lanes);
	free(g->cells[0]);
	free(g->cells[1]);
	free(g);
}

static bool
same_id(const struct graph_id *a, const struct graph_id *b)
{
	return memcmp(a->bytes, b->bytes, GRAPH_ID_SIZE) == 0;
}

/* A free lane at index from or after it, added at the end if none is. */
static size_t
free_lane(struct graph *g, size_t from)
{
	size_t i;

	for (i = from; i < g->n_lanes; i++)
		if (!g->lanes[i].used)
			return i;
	g->lanes = xgrow(g->lanes, &g->alloc_lanes, g->n_lanes + 1, sizeof(*g->lanes));
	g->lanes[g->n_lanes].used = false;
	return g->n_lanes++;
}

/* Row r's cells for the lanes as they are: a line where a lane is used. */
static enum graph_glyph *
start_row(struct graph *g, int r, size_t *n)
{
	enum graph_glyph *cells;

	*n = g->n_lanes ? 2 * g->n_lanes - 1 : 0;
	g->cells[r] = xgrow(g->cells[r], &g->alloc_cells[r], *n + 1, sizeof(**g->cells));
	cells = g->cells[r];
	for (size_t i = 0; i < *n; i++)
		cells[i] = (i % 2 == 0 && g->lanes[i / 2].used) ? GRAPH_LINE : GRAPH_EMPTY;
	return cells;
}

/* A line from lane col to lane last (col < last) through cells already holding
 * their lanes: the lanes it passes are crossed. */
static void
draw_across(enum graph_glyph *cells, size_t col, size_t last)
{
	for (size_t i = 2 * col + 1; i < 2 * last; i++) {
		if (cells[i] == GRAPH_LINE)
			cells[i] = GRAPH_CROSS;
		else if (cells[i] == GRAPH_EMPTY)
			cells[i] = GRAPH_ACROSS;
	}
}

/* The lane right of col that already waits for id and that no line of this row
 * has taken, or SIZE_MAX. */
static size_t
waiting_lane(const struct graph *g, size_t col, const struct graph_id *id, const bool *taken)
{
	for (size_t i = g->n_lanes; i-- > col + 1;)
		if (g->lanes[i].used && !taken[i] && same_id(&g->lanes[i].want, id))
			return i;
	return SIZE_MAX;
}

/* The row under a merge at col: a line to the right that opens a lane for each parent
 * after the first. A parent some lane right of all of them already waits for joins
 * that lane instead (┤), so a merge of a branch whose tip is already on screen adds
 * no lane; a lane further left would have to be crossed by the line, and is not
 * joined. */
static void
open_lanes(struct graph *g, size_t col, const struct graph_id *parents, size_t n_parents,
	   struct graph_row *row)
{
	size_t *target = xcalloc(n_parents, sizeof(*target)), join = SIZE_MAX, join_k = 0;
	size_t last = 0, n, k;
	bool *taken = xcalloc(g->n_lanes + n_parents + 1, sizeof(*taken));
	enum graph_glyph *cells;

	for (k = 1; k < n_parents; k++) {
		size_t j = waiting_lane(g, col, &parents[k], taken);

		if (j != SIZE_MAX && (join == SIZE_MAX || j > join)) {
			join = j;
			join_k = k;
		}
	}
	for (k = 1; k < n_parents; k++) {
		if (k == join_k)
			continue;
		target[k] = free_lane(g, col + 1);
		g->lanes[target[k]].used = true;
		g->lanes[target[k]].want = parents[k];
		taken[target[k]] = true;
		if (target[k] > last)
			last = target[k];
	}
	if (join != SIZE_MAX && join < last) { /* the line would cross it: a lane of its own */
		target[join_k] = free_lane(g, col + 1);
		g->lanes[target[join_k]].used = true;
		g->lanes[target[join_k]].want = parents[join_k];
		join = SIZE_MAX;
	} else if (join != SIZE_MAX) {
		target[join_k] = join;
	}
	for (k = 1; k < n_parents; k++)
		if (target[k] > last)
			last = target[k];
	cells = start_row(g, 1, &n);
	for (k = 1; k < n_parents; k++)
		if (target[k] != join)
			cells[2 * target[k]] = GRAPH_EMPTY; /* not a line yet: drawn below */
	draw_across(cells, col, last);
	for (k = 1; k < n_parents; k++)
		cells[2 * target[k]] = target[k] == join   ? GRAPH_JOIN_INTO
				       : target[k] == last ? GRAPH_FORK
							   : GRAPH_FORK_MORE;
	cells[2 * col] = GRAPH_FORK_START;
	*row = (struct graph_row){ cells, n, -1 };
	free(target);
	free(taken);
}

/* Lanes that only pass the row move one lane left where that lane is free above
 * and below it, or where it passes the row waiting for the same commit: the line
 * leaves through the odd cell between the two (╱) and goes on in that lane (and
 * meets the lane's own line, as git's │╱ does: both lead to the one commit, so
 * the drawing still says which parent each line leads to). Left to right, so a run
 * of lanes right of a gap all move on the same row; a lane moves one lane a row.
 * Cells that hold anything but a passing line (the commit, joins, a line across)
 * stay as they are. */
static void
shift_lanes(struct graph *g, enum graph_glyph *cells)
{
	for (size_t j = 1; j < g->n_lanes; j++) {
		struct lane *to = &g->lanes[j - 1];
		bool joins;

		if (!g->lanes[j].used || cells[2 * j] != GRAPH_LINE ||
		    cells[2 * j - 1] != GRAPH_EMPTY)
			continue;
		joins = to->used && cells[2 * j - 2] == GRAPH_LINE &&
			same_id(&to->want, &g->lanes[j].want);
		if (!joins && (to->used || cells[2 * j - 2] != GRAPH_EMPTY))
			continue;
		*to = g->lanes[j];
		g->lanes[j].used = false;
		cells[2 * j] = GRAPH_EMPTY;
		cells[2 * j - 1] = GRAPH_SHIFT;
	}
}

size_t
graph_add(struct graph *g, const struct graph_id *id, const struct graph_id *parents,
	  size_t n_parents, struct graph_row rows[2])
{
	enum graph_glyph *cells;
	size_t col = SIZE_MAX, last = 0, n, i;

	for (i = 0; i < g->n_lanes && col == SIZE_MAX; i++)
		if (g->lanes[i].used && same_id(&g->lanes[i].want, id))
			col = i;
	if (col == SIZE_MAX) {
		/* A tip: nothing above it. Not right under a root, or the two would
		 * look like a commit and its parent. */
		col = free_lane(g, 0);
		if (col == g->root_lane)
			col = free_lane(g, col + 1);
		g->lanes[col].used = true;
		g->lanes[col].want = *id;
	}

	/* The commit's row: the other lanes waiting for it end here. */
	cells = start_row(g, 0, &n);
	for (i = col + 1; i < g->n_lanes; i++)
		if (g->lanes[i].used && same_id(&g->lanes[i].want, id))
			last = i;
	for (i = col + 1; i <= last; i++)
		if (g->lanes[i].used && same_id(&g->lanes[i].want, id))
			cells[2 * i] = i == last ? GRAPH_JOIN : GRAPH_JOIN_MORE;
	if (last)
		draw_across(cells, col, last);
	for (i = col + 1; i <= last; i++)
		if (g->lanes[i].used && same_id(&g->lanes[i].want, id))
			g->lanes[i].used = false;
	cells[2 * col] = GRAPH_NODE;

	/* The first parent keeps the lane; a root frees it. */
	g->root_lane = SIZE_MAX;
	if (n_parents == 0) {
		g->lanes[col].used = false;
		g->root_lane = col;
	} else {
		g->lanes[col].want = parents[0];
	}
	shift_lanes(g, cells);
	while (n && cells[n - 1] == GRAPH_EMPTY)
		n--;
	rows[0] = (struct graph_row){ cells, n, (int)col };
	if (n_parents > 1)
		open_lanes(g, col, parents, n_parents, &rows[1]);

	/* Lanes no longer used at the right edge go. */
	while (g->n_lanes && !g->lanes[g->n_lanes - 1].used)
		g->n_lanes--;
	return n_parents > 1 ? 2 : 1;
}

const char *
graph_glyph_text(enum graph_glyph glyph, bool ascii)
{
	static const char *const utf8[] = {
		[GRAPH_EMPTY] = " ",	  [GRAPH_NODE] = "●",	   [GRAPH_LINE] = "│",
		[GRAPH_ACROSS] = "─",	  [GRAPH_CROSS] = "┼",	   [GRAPH_JOIN] = "╯",
		[GRAPH_JOIN_MORE] = "┴",  [GRAPH_FORK] = "╮",	   [GRAPH_FORK_MORE] = "┬",
		[GRAPH_FORK_START] = "├", [GRAPH_JOIN_INTO] = "┤", [GRAPH_SHIFT] = "╱",
	};
	static const char *const plain[] = {
		[GRAPH_EMPTY] = " ",	  [GRAPH_NODE] = "*",	   [GRAPH_LINE] = "|",
		[GRAPH_ACROSS] = "-",	  [GRAPH_CROSS] = "+",	   [GRAPH_JOIN] = "'",
		[GRAPH_JOIN_MORE] = "'",  [GRAPH_FORK] = ".",	   [GRAPH_FORK_MORE] = ".",
		[GRAPH_FORK_START] = "|", [GRAPH_JOIN_INTO] = "|", [GRAPH_SHIFT] = "/",
	};

	return (ascii ? plain : utf8)[glyph];
}

size_t
graph_row_text(const struct graph_row *row, size_t width, bool ascii, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	for (size_t i = 0; i < row->n_cells || i < width; i++) {
		const char *t =
			graph_glyph_text(i < row->n_cells ? row->cells[i] : GRAPH_EMPTY, ascii);
		size_t tl = strlen(t);

		if (len + tl >= size)
			break;
		memcpy(buf + len, t, tl);
		len += tl;
	}
	buf[len] = '\0';
	return len;
}
