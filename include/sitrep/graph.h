/* graph.h - the lane layout of a commit graph (src/git/graph.c): commits go in, in
 * display order (every commit before its parents), rows of cells come out. It knows
 * nothing of git: a commit is a 20-byte id and the ids of its parents.
 *
 * Every edge from a commit to a parent has a lane down to the parent's row, where
 * all the lanes waiting for that parent come together. A merge's line may end in a
 * lane that already waits for the same parent (┤); otherwise lines never meet, so
 * which parent a line leads to can be read off the drawing (the tests trace it,
 * tests/tools/graph_trace.c). A lane whose left neighbour is free, or waits for the
 * same commit, moves into it on the next commit's row (╱, as git draws /), so the
 * graph narrows again after a merge-heavy stretch and branches forked from one
 * commit share a lane down to it. */
#ifndef SITREP_GRAPH_H
#define SITREP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#define GRAPH_ID_SIZE 20

struct graph_id {
	unsigned char bytes[GRAPH_ID_SIZE];
};

/* A cell. Lanes are the even cells of a row, the odd ones join them. */
enum graph_glyph {
	GRAPH_EMPTY,
	GRAPH_NODE,	  /* the commit */
	GRAPH_LINE,	  /* │ a lane going on down */
	GRAPH_ACROSS,	  /* ─ */
	GRAPH_CROSS,	  /* ┼ a lane crossed by a line: the two do not meet */
	GRAPH_JOIN,	  /* ╯ the last lane that ends in the commit to its left */
	GRAPH_JOIN_MORE,  /* ┴ a lane that ends in it, the line going on to the right */
	GRAPH_FORK,	  /* ╮ the last new lane, for a parent after the first */
	GRAPH_FORK_MORE,  /* ┬ a new lane, the line going on to the right */
	GRAPH_FORK_START, /* ├ under a merge: the first parent's lane and the line */
	GRAPH_JOIN_INTO,  /* ┤ the line ends in a lane already waiting for that parent */
	GRAPH_SHIFT,	  /* ╱ in an odd cell: the lane to its right above goes on in the
			     lane to its left below (a free lane, or one waiting for the
			     same commit: then the two lines meet) */
};

struct graph_row {
	const enum graph_glyph *cells;
	size_t n_cells;
	int column; /* the commit's lane on its row; -1 on a row that joins lanes */
};

struct graph;

struct graph *graph_new(void);
void graph_free(struct graph *g);

/* Lays out the next commit: its row, then, when it has several parents, a row that
 * opens their lanes. Returns how many rows (1 or 2) are in rows[]; they stay valid
 * until the next call. */
size_t graph_add(struct graph *g, const struct graph_id *id, const struct graph_id *parents,
		 size_t n_parents, struct graph_row rows[2]);

/* The cell as text: box drawing, or ASCII ('*', '|', '-', '+', '\'', '.'): '|' with a
 * '-' to its right is ├, to its left ┤. */
const char *graph_glyph_text(enum graph_glyph glyph, bool ascii);

/* The row as text into buf (NUL-terminated, truncated to size), padded with spaces
 * to width cells; the number of bytes written. */
size_t graph_row_text(const struct graph_row *row, size_t width, bool ascii, char *buf,
		      size_t size);

#endif
