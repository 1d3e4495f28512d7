/* graph_trace.c - reads the drawing `sitrep graph --full-hash` printed and checks the
 * topology it shows against git's own list of parents (`git log --format='%H %P'`):
 * from every commit's node, each line is followed down through the cells to where
 * it ends, and the commits it ends at must be that commit's parents, each as many
 * times as git lists it, a parent not in the drawing being a line that runs off its
 * bottom. A line that ends nowhere, turns up, or enters a cell from a side the cell
 * does not join is an error. Knows the box-drawing glyphs and the ASCII ones. A
 * diagonal (╱ or /) in a cell takes the line coming down into the empty cell to its
 * right over to the cell below its left neighbour (a lane moving left); a diagonal
 * no line goes through is an error too.
 *
 * usage: graph_trace GRAPH PARENTS [--complete]
 * --complete: every commit of PARENTS must be in the drawing, once.
 * Prints "graph_trace: N commits, M lines" and exits 0, or each problem and 1. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	U = 1,
	D = 2,
	L = 4,
	R = 8,
	CROSS = 16,
	NODE = 32,
	JOIN_LEFT = 64,
	JOIN_DOWN = 128
};

#define MAX_ROWS 200000
#define MAX_CELLS 4096
#define HASH 40

struct row {
	uint32_t *cells;
	size_t n;
	char sha[HASH + 1]; /* "" on a row without a commit */
};

static struct row rows[MAX_ROWS];
static unsigned char *diagonal_used[MAX_ROWS]; /* per cell: a line went through it */
static size_t n_rows;
static unsigned problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	va_list ap;

	if (problems++ < 30) {
		printf("graph_trace: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

static size_t
utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0 && u[1]) {
		*cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
		return 2;
	}
	if ((u[0] & 0xf0) == 0xe0 && u[1] && u[2]) {
		*cp = ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) |
		      (u[2] & 0x3f);
		return 3;
	}
	*cp = 0xfffd;
	return 1;
}

static bool
is_hash_at(const char *s)
{
	for (int i = 0; i < HASH; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return false;
	return s[HASH] == ' ' || s[HASH] == '\n' || s[HASH] == '\0';
}

static void
read_graph(const char *path)
{
	FILE *f = fopen(path, "r");
	static char line[1 << 16];
	static uint32_t cells[MAX_CELLS];

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) && n_rows < MAX_ROWS) {
		struct row *r = &rows[n_rows++];
		size_t end = strcspn(line, "\n");
		const char *s = line;

		r->sha[0] = '\0';
		for (size_t i = 0; i + HASH <= end; i++)
			if (line[i] == ' ' && is_hash_at(line + i + 1)) {
				memcpy(r->sha, line + i + 1, HASH);
				r->sha[HASH] = '\0';
				end = i;
				break;
			}
		while (s < line + end && r->n < MAX_CELLS)
			s += utf8_next(s, &cells[r->n++]);
		while (r->n && cells[r->n - 1] == ' ')
			r->n--;
		/* Each row as long as it is: a whole history has a hundred thousand. */
		r->cells = malloc((r->n + 1) * sizeof(*r->cells));
		memcpy(r->cells, cells, r->n * sizeof(*r->cells));
		diagonal_used[n_rows - 1] = calloc(r->n + 1, 1);
	}
	fclose(f);
}

static uint32_t
cell(size_t r, long c)
{
	if (r >= n_rows || c < 0 || (size_t)c >= rows[r].n)
		return ' ';
	return rows[r].cells[c];
}

/* The sides a cell joins. ASCII cells take their sides from their neighbours. */
static unsigned
sides(size_t r, long c)
{
	uint32_t ch = cell(r, c);
	unsigned left = cell(r, c - 1) == '-' ? L : 0, right = cell(r, c + 1) == '-' ? R : 0;

	switch (ch) {
	case 0x25cf: /* ● */
	case '*':
		return NODE;
	case 0x2502: /* │ */
		return U | D;
	case '|':
		return U | D | left | right | (left ? JOIN_DOWN : 0);
	case 0x2500: /* ─ */
	case '-':
		return L | R;
	case 0x253c: /* ┼ */
	case '+':
		return CROSS;
	case 0x256f: /* ╯ */
		return U | L;
	case 0x2534: /* ┴ */
		return U | L | R | JOIN_LEFT;
	case '\'':
		return U | L | right | (right ? JOIN_LEFT : 0);
	case 0x256e: /* ╮ */
		return L | D;
	case 0x252c: /* ┬ */
		return L | R | D;
	case '.':
		return L | D | right;
	case 0x251c: /* ├ */
		return U | D | R;
	case 0x2524: /* ┤ */
		return U | D | L | JOIN_DOWN;
	case 0x256d: /* ╭ */
		return R | D;
	case 0x2570: /* ╰ */
		return U | R;
	default:
		return 0;
	}
}

struct edges {
	char (*to)[HASH + 1]; /* "" for a line off the bottom */
	size_t n, alloc;
};

static void
add_edge(struct edges *e, const char *to)
{
	if (e->n == e->alloc) {
		e->alloc = e->alloc ? 2 * e->alloc : 8;
		e->to = realloc(e->to, e->alloc * sizeof(*e->to));
	}
	snprintf(e->to[e->n++], HASH + 1, "%s", to);
}

static bool
is_diagonal(size_t r, long c)
{
	uint32_t ch = cell(r, c);

	return ch == '/' || ch == 0x2571; /* ╱ */
}

/* Whether a line coming down into cell (r, c) goes on: the cell joins it from
 * above, or it is empty with a diagonal to its left. */
static bool
takes_from_above(size_t r, long c)
{
	return (sides(r, c) & (U | CROSS | NODE)) || (!sides(r, c) && is_diagonal(r, c - 1));
}

/* Follows a line entering cell (r, c) from side `from` to where it ends. */
static void
follow(const char *src, size_t r, long c, unsigned from, struct edges *out, unsigned depth)
{
	unsigned s, exits;

	if (depth > 100000) {
		problem("a line from %s loops", src);
		return;
	}
	if (r >= n_rows) {
		add_edge(out, ""); /* runs off the bottom */
		return;
	}
	s = sides(r, c);
	if (!s && from == U && is_diagonal(r, c - 1)) {
		diagonal_used[r][c - 1] = 1;
		follow(src, r + 1, c - 2, U, out, depth + 1);
		return;
	}
	if (s & NODE) {
		if (!rows[r].sha[0])
			problem("a line from %s ends in a node on a row without a commit", src);
		else
			add_edge(out, rows[r].sha);
		return;
	}
	if (s & CROSS) {
		exits = from == U ? D : from == L ? R : L;
	} else {
		if (!(s & from)) {
			problem("a line from %s enters a cell that does not join it", src);
			return;
		}
		exits = s & (U | D | L | R) & ~from;
		if (s & JOIN_LEFT)
			exits = L; /* lanes ending on a row join towards its commit */
		if (s & JOIN_DOWN)
			exits = D; /* a line ending in a lane, and the lane, go on down */
	}
	if (!exits)
		problem("a line from %s ends nowhere", src);
	if (exits & U)
		problem("a line from %s turns up", src);
	if (exits & D)
		follow(src, r + 1, c, U, out, depth + 1);
	if (exits & L)
		follow(src, r, c - 1, R, out, depth + 1);
	if (exits & R)
		follow(src, r, c + 1, L, out, depth + 1);
}

struct commit {
	char sha[HASH + 1];
	char (*parents)[HASH + 1];
	size_t n_parents;
	unsigned seen;
	bool drawn;
};

static struct commit *commits;
static size_t n_commits;

static void
read_parents(const char *path)
{
	FILE *f = fopen(path, "r");
	static char line[1 << 16];
	size_t alloc = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		struct commit *c;
		char *tok, *save = NULL;

		if (n_commits == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			commits = realloc(commits, alloc * sizeof(*commits));
		}
		c = &commits[n_commits];
		memset(c, 0, sizeof(*c));
		tok = strtok_r(line, " \n", &save);
		if (!tok)
			continue;
		snprintf(c->sha, sizeof(c->sha), "%s", tok);
		while ((tok = strtok_r(NULL, " \n", &save))) {
			c->parents = realloc(c->parents, (c->n_parents + 1) * sizeof(*c->parents));
			snprintf(c->parents[c->n_parents++], HASH + 1, "%s", tok);
		}
		n_commits++;
	}
	fclose(f);
}

static int
cmp_commit(const void *a, const void *b)
{
	return strcmp(((const struct commit *)a)->sha, ((const struct commit *)b)->sha);
}

/* commits[] sorted by sha (a whole history is hundreds of thousands). */
static struct commit *
find_commit(const char *sha)
{
	struct commit key;

	snprintf(key.sha, sizeof(key.sha), "%s", sha);
	return bsearch(&key, commits, n_commits, sizeof(*commits), cmp_commit);
}

static bool
in_drawing(const char *sha)
{
	const struct commit *c = find_commit(sha);

	return c && c->drawn;
}

static int
cmp_hash(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The lines from the commit of row r against its parents. */
static size_t
check_row(size_t r)
{
	struct edges e = { 0 };
	struct commit *c = find_commit(rows[r].sha);
	char(*want)[HASH + 1];
	long col = -1;

	for (size_t i = 0; i < rows[r].n && col < 0; i++)
		if (sides(r, (long)i) & NODE)
			col = (long)i;
	if (!c) {
		problem("%s is drawn but git does not list it", rows[r].sha);
		return 0;
	}
	if (col < 0) {
		problem("%s has no node", rows[r].sha);
		return 0;
	}
	c->seen++;
	if (r + 1 == n_rows) {
		/* The last line: what leaves it is not drawn; no parent can be. */
		for (size_t k = 0; k < c->n_parents; k++)
			if (in_drawing(c->parents[k]))
				problem("%s is drawn above its child %s", c->parents[k], c->sha);
		return 0;
	}
	/* A line leaves a node only where the cell below joins it from above. */
	if (takes_from_above(r + 1, col))
		follow(c->sha, r + 1, col, U, &e, 0);
	want = calloc(c->n_parents + 1, sizeof(*want));
	for (size_t k = 0; k < c->n_parents; k++)
		snprintf(want[k], HASH + 1, "%s", in_drawing(c->parents[k]) ? c->parents[k] : "");
	qsort(want, c->n_parents, sizeof(*want), cmp_hash);
	if (e.n)
		qsort(e.to, e.n, sizeof(*e.to), cmp_hash);
	if (e.n != c->n_parents) {
		problem("%zu lines from %s, git lists %zu parents", e.n, c->sha, c->n_parents);
	} else {
		for (size_t k = 0; k < e.n; k++)
			if (strcmp(e.to[k], want[k]))
				problem("a line from %s ends at %s, which is not its parent there",
					c->sha, e.to[k][0] ? e.to[k] : "(the bottom)");
	}
	free(want);
	free(e.to);
	return e.n;
}

int
main(int argc, char **argv)
{
	size_t drawn = 0, lines = 0;
	bool complete = argc > 3 && !strcmp(argv[3], "--complete");

	if (argc < 3) {
		fprintf(stderr, "usage: graph_trace GRAPH PARENTS [--complete]\n");
		return 2;
	}
	read_graph(argv[1]);
	read_parents(argv[2]);
	if (n_commits)
		qsort(commits, n_commits, sizeof(*commits), cmp_commit);
	for (size_t r = 0; r < n_rows; r++) {
		struct commit *c = rows[r].sha[0] ? find_commit(rows[r].sha) : NULL;

		if (c)
			c->drawn = true;
	}
	for (size_t r = 0; r < n_rows; r++) {
		if (!rows[r].sha[0])
			continue;
		drawn++;
		lines += check_row(r);
	}
	/* Every diagonal carries a line from a commit above it (lines from above the
	 * drawing's first row are not followed: a drawing cut at the top may leave one). */
	for (size_t r = 1; r < n_rows; r++)
		for (size_t i = 0; i < rows[r].n; i++)
			if (is_diagonal(r, (long)i) && !diagonal_used[r][i])
				problem("the diagonal on line %zu, cell %zu, carries no line",
					r + 1, i);
	for (size_t i = 0; i < n_commits; i++) {
		if (commits[i].seen > 1)
			problem("%s is drawn more than once", commits[i].sha);
		if (complete && !commits[i].seen)
			problem("%s is missing from the drawing", commits[i].sha);
	}
	printf("graph_trace: %zu commits, %zu lines, %u problems\n", drawn, lines, problems);
	return problems ? 1 : 0;
}
