/* view_branches.c - the branch graph: the commits of a repository as `sitrep graph`
 * draws them (src/git), each with the result of the last pipeline that ran on it,
 * the environments it runs in (the last deployment of each service and environment
 * whose sha it is), its refs, subject, author and age.
 *
 * The walk is lazy: rows are laid out as the list asks for them, so the first screen
 * of a large history costs what the screen shows (with a commit-graph file; see
 * walk.c). The repositories are the config's [service] repo paths, else the one
 * around the current directory; ] and [ step through them.
 *
 * Each branch among a commit's refs carries its role in the branching strategy
 * (src/git/branches.c), how far it is ahead of and behind the branch it is measured
 * from, whether the forge protects it (the cache's branches table, matched by the
 * repository's path on the forge and the branch's name), and stale tips are dimmed.
 * The strategy is in the title. The branches are read on a thread of their own
 * (ahead/behind walks the history between each branch and its base: 1.4 s on git's
 * history without a commit-graph), so the graph shows and scrolls meanwhile. Enter
 * opens the commit (view_commit.c), o its web page. The refs are polled every few seconds, so commits made while the console is
 * open appear without waiting for the cache to change. */
#include "tui.h"
#include "sitrep/branches.h"
#include "sitrep/commit_info.h"
#include "sitrep/console_store.h"
#include "sitrep/graph.h"
#include "sitrep/history.h"

#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

/* How often the refs are polled while the view is shown. */
#define REFS_POLL_MS 2000

/* Graph cells kept per row; wider graphs are cut (the row says so with '…'). */
#define GRAPH_CELLS 64

enum branch_column {
	COL_GRAPH,
	COL_CI,
	COL_COMMIT,
	COL_SUBJECT,
	COL_AUTHOR,
	COL_AGE
};

struct graph_line {
	enum graph_glyph cells[GRAPH_CELLS];
	unsigned char n_cells;
	bool cut;
	bool commit; /* else the row that opens a merge's lanes */
	char hex[2 * GRAPH_ID_SIZE + 1];
	char *subject;	   /* refs, deploy marks and subject: "(main) [production] Fix" */
	char *refs;	   /* the refs as the history names them, or NULL */
	size_t summary_at; /* where the commit's own subject starts in subject */
	char *author;
	char *ci; /* the last pipeline's status, or NULL */
	int64_t time;
	bool stale; /* the tip of a stale branch */
};

struct branches_view {
	struct list list;
	struct list_column columns[6];
	char **repos;
	size_t n_repos, repo;
	struct history *history; /* NULL: not open, or none */
	struct graph *graph;
	struct graph_line *lines;
	size_t n_lines, alloc_lines;
	bool walked; /* the history's end was reached */
	char problem[512];
	struct store_deploy_row *deploys; /* what runs where */
	size_t n_deploys;
	size_t graph_width;  /* the widest row so far, in cells */
	uint64_t refs;	     /* the digest of the refs the history was opened on */
	int64_t refs_polled; /* CLOCK_MONOTONIC ms of the last poll */
	struct branch_list branches;
	bool branches_read;			       /* the branches are in */
	struct branches_job *job;		       /* reading them, after the first frame */
	size_t n_protected_branches, n_stale_branches; /* for the strategy line */
	char *remote;				       /* the repository's remote URL, or NULL */
	char **protected; /* the forge's protected branch names and rules */
	size_t n_protected;
};

/* A read of the branches on a thread of its own. */
struct branches_job {
	pthread_t thread;
	bool threaded; /* else read on the loop's thread: nothing to join */
	atomic_bool done;
	char *path;
	const struct config *cfg; /* the console's, read-only meanwhile */
	int64_t now;
	int wakeup; /* the loop's wake-up pipe, or -1 */
	struct branch_list list;
	enum status_code code;
};

static const struct list_column base_columns[] = {
	{ "GRAPH", 1, false, false },	{ "CI", 2, false, false },
	{ "COMMIT", 10, false, false }, { "SUBJECT", 0, false, false },
	{ "AUTHOR", 14, false, false }, { "AGE", 5, true, false },
};

static void
add_repo(struct branches_view *b, const char *path)
{
	for (size_t i = 0; i < b->n_repos; i++)
		if (streq(b->repos[i], path))
			return;
	b->repos = xrealloc(b->repos, (b->n_repos + 1) * sizeof(*b->repos));
	b->repos[b->n_repos++] = xstrdup(path);
}

/* ---- the branches' thread ---- */

static void *
branches_job_main(void *arg)
{
	struct branches_job *j = arg;

	j->code = branches_read(&j->list, j->path, j->cfg, j->now);
	atomic_store(&j->done, true);
	if (j->wakeup >= 0) {
		ssize_t rc = write(j->wakeup, "", 1);

		(void)rc; /* a full pipe wakes the loop all the same */
	}
	return NULL;
}

/* The job's branches once it has ended (waiting for it when wait says so), else
 * NULL; a job that failed gives an empty list: the graph shows all the same. */
static struct branches_job *
branches_job_end(struct branches_view *b, bool wait)
{
	struct branches_job *j = b->job;

	if (!j || (!wait && !atomic_load(&j->done)))
		return NULL;
	if (j->threaded)
		pthread_join(j->thread, NULL);
	b->job = NULL;
	if (j->code != SUCCESS) {
		branches_release(&j->list);
		memset(&j->list, 0, sizeof(j->list));
	}
	return j;
}

static void
branches_job_free(struct branches_job *j)
{
	if (!j)
		return;
	branches_release(&j->list);
	free(j->path);
	free(j);
}

static void
close_history(struct branches_view *b)
{
	history_close(&b->history);
	graph_free(b->graph);
	b->graph = NULL;
	for (size_t i = 0; i < b->n_lines; i++) {
		free(b->lines[i].subject);
		free(b->lines[i].refs);
		free(b->lines[i].author);
		free(b->lines[i].ci);
	}
	b->n_lines = 0;
	b->walked = false;
	b->graph_width = 1;
	branches_job_free(branches_job_end(b, true));
	branches_release(&b->branches);
	b->branches_read = false;
	free(b->remote);
	b->remote = NULL;
}

static void
free_protected(struct branches_view *b)
{
	for (size_t i = 0; i < b->n_protected; i++)
		free(b->protected[i]);
	free(b->protected);
	b->protected = NULL;
	b->n_protected = 0;
}

/* ---- annotations ---- */

/* The service whose repo is path, else the directory's name: what the cache's
 * branches table may call the repository when no forge remote names it. */
static const char *
repo_label(const struct tui *tui, const char *path)
{
	const char *slash;

	for (size_t i = 0; i < tui->cfg.n_services; i++)
		if (tui->cfg.services[i].repo && streq(tui->cfg.services[i].repo, path))
			return tui->cfg.services[i].name;
	while ((slash = strrchr(path, '/')) && !slash[1] && slash > path)
		path = slash - 1; /* "dir/" */
	slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

struct protected_ctx {
	struct branches_view *b;
	const char *forge; /* "acme/checkout", or NULL */
	const char *label; /* "checkout" */
};

/* The table's repo is the forge's path ("acme/checkout"): it matches the path the
 * remote names, else its last part matches the service's (or directory's) name. */
static enum status_code
collect_protected(void *ctx, const struct store_branch *branch)
{
	struct protected_ctx *p = ctx;
	const char *last = strrchr(branch->repo, '/');
	bool ours = p->forge ? streq(branch->repo, p->forge)
			     : streq(last ? last + 1 : branch->repo, p->label);

	if (ours && branch->protected) {
		p->b->protected = xrealloc(p->b->protected,
					   (p->b->n_protected + 1) * sizeof(*p->b->protected));
		p->b->protected[p->b->n_protected++] = xstrdup(branch->name);
	}
	return SUCCESS;
}

/* Reads the protected names again; true when they changed. */
static bool
load_protected(struct branches_view *b, struct tui *tui)
{
	char *forge = repo_forge_path(b->remote), **before = b->protected;
	size_t n_before = b->n_protected;
	struct protected_ctx ctx = { b, forge, repo_label(tui, b->repos[b->repo]) };
	bool changed;

	b->protected = NULL;
	b->n_protected = 0;
	store_each_branch(tui->store, NULL, collect_protected, &ctx);
	free(forge);
	changed = n_before != b->n_protected;
	for (size_t i = 0; i < n_before; i++) {
		changed = changed || !streq(before[i], b->protected[i]);
		free(before[i]);
	}
	free(before);
	return changed;
}

/* Whether the forge protects the branch: by name without the remote's prefix, or by
 * a GitLab wildcard rule ("release/" followed by a star). */
static bool
is_protected(const struct branches_view *b, const struct branch_info *info)
{
	const char *name = info->name;

	if (info->remote && strchr(name, '/'))
		name = strchr(name, '/') + 1;
	for (size_t i = 0; i < b->n_protected; i++)
		if (streq(b->protected[i], name) || fnmatch(b->protected[i], name, 0) == 0)
			return true;
	return false;
}

static const struct branch_info *
find_branch(const struct branches_view *b, const char *name, size_t len)
{
	for (size_t i = 0; i < b->branches.n; i++)
		if (strlen(b->branches.items[i].name) == len &&
		    !strncmp(b->branches.items[i].name, name, len))
			return &b->branches.items[i];
	return NULL;
}

/* " <feature ↑1 ↓2, protected, stale>" after a branch's name. */
static void
annotate_branch(const struct branches_view *b, const struct branch_info *info, struct buf *out)
{
	buf_printf(out, " <%s", info->role);
	if (info->base)
		buf_printf(out, " %s%zu %s%zu", draw_glyph("↑", "+"), info->ahead,
			   draw_glyph("↓", "-"), info->behind);
	if (is_protected(b, info))
		buf_addstr(out, ", protected");
	if (info->stale)
		buf_addstr(out, ", stale");
	buf_addch(out, '>');
}

/* The commit's refs ("HEAD -> main, tag: v1.0") with each branch annotated, into
 * out; *stale set when a branch among them is stale. */
static void
annotate_refs(const struct branches_view *b, const char *refs, struct buf *out, bool *stale)
{
	const char *p = refs;

	buf_addch(out, '(');
	while (*p) {
		size_t len = strcspn(p, ",");
		const struct branch_info *info;
		const char *name = p;
		size_t name_len = len;

		if (name_len > 8 && !strncmp(name, "HEAD -> ", 8))
			name += 8, name_len -= 8;
		buf_add(out, p, len);
		if ((info = find_branch(b, name, name_len))) {
			annotate_branch(b, info, out);
			*stale = *stale || info->stale;
		}
		p += len;
		if (*p == ',') {
			buf_addstr(out, ", ");
			p += 1 + strspn(p + 1, " ");
		}
	}
	buf_addstr(out, ") ");
}

/* The strategy line above the graph: "trunk-based strategy, trunk main; 3 branches,
 * 1 protected, 1 stale". */
static void
strategy_line(const struct branches_view *b, char *buf, size_t size)
{
	const struct branch_list *l = &b->branches;

	if (!b->branches_read) {
		snprintf(buf, size, "Reading the branches...");
		return;
	}
	snprintf(buf, size, "%s strategy%s%.60s%s%.60s; %zu branch%s, %zu protected, %zu stale",
		 l->strategy ? l->strategy : "no", l->trunk ? ", trunk " : "",
		 l->trunk ? l->trunk : "", l->develop ? ", develop " : "",
		 l->develop ? l->develop : "", l->n, l->n == 1 ? "" : "es", b->n_protected_branches,
		 b->n_stale_branches);
}

/* The title: the repository's service (or directory). */
static void
set_subtitle(struct view *view, const struct branches_view *b, const struct tui *tui)
{
	if (b->n_repos)
		snprintf(view->subtitle, sizeof(view->subtitle), "%.60s",
			 repo_label(tui, b->repos[b->repo]));
	else
		view->subtitle[0] = '\0';
}

/* The environments the commit runs in: " [production] [staging]". */
static void
deploy_marks(const struct branches_view *b, const char *hex, struct buf *out)
{
	for (size_t i = 0; i < b->n_deploys; i++) {
		const char *sha = b->deploys[i].sha;

		if (!sha || strlen(sha) < 7 || strncmp(hex, sha, strlen(sha)))
			continue;
		buf_printf(out, "[%s%s%s", b->deploys[i].service, "@", b->deploys[i].environment);
		if (b->deploys[i].canary_weight > 0 && b->deploys[i].canary_weight < 100)
			buf_printf(out, " %.0f%%", b->deploys[i].canary_weight);
		buf_addstr(out, "] ");
	}
}

/* The row's text: annotated refs, deploy marks, then summary (the commit's subject). */
static void
compose_subject(const struct branches_view *b, struct graph_line *line, const char *summary)
{
	struct buf text;

	buf_init(&text, 0);
	line->stale = false;
	if (line->refs)
		annotate_refs(b, line->refs, &text, &line->stale);
	deploy_marks(b, line->hex, &text);
	line->summary_at = text.len;
	buf_addstr(&text, summary);
	free(line->subject);
	line->subject = xstrdup(text.data ? text.data : "");
	buf_release(&text);
}

/* The same again after the branches, deploys or protection rules changed; and the
 * strategy line's counts (counted here, not on every frame). */
static void
recompose_subjects(struct branches_view *b)
{
	b->n_protected_branches = b->n_stale_branches = 0;
	for (size_t i = 0; i < b->branches.n; i++) {
		b->n_protected_branches += is_protected(b, &b->branches.items[i]);
		b->n_stale_branches += b->branches.items[i].stale;
	}
	for (size_t i = 0; i < b->n_lines; i++) {
		struct graph_line *line = &b->lines[i];
		char *summary;

		if (!line->commit)
			continue;
		summary = xstrdup(line->subject + line->summary_at);
		compose_subject(b, line, summary);
		free(summary);
	}
}

static void
keep_row(struct branches_view *b, const struct graph_row *row, struct graph_line *line)
{
	size_t n = row->n_cells < GRAPH_CELLS ? row->n_cells : GRAPH_CELLS;

	memcpy(line->cells, row->cells, n * sizeof(*row->cells));
	line->n_cells = (unsigned char)n;
	line->cut = row->n_cells > GRAPH_CELLS;
	if (n > b->graph_width)
		b->graph_width = n;
}

static struct graph_line *
new_line(struct branches_view *b)
{
	struct graph_line *line;

	b->lines = xgrow(b->lines, &b->alloc_lines, b->n_lines + 1, sizeof(*b->lines));
	line = &b->lines[b->n_lines++];
	memset(line, 0, sizeof(*line));
	return line;
}

/* Lays out commits until there are at least want rows or the history ends. */
static void
walk_to(struct branches_view *b, struct tui *tui, size_t want)
{
	struct history_commit c;

	while (b->history && !b->walked && b->n_lines < want) {
		struct graph_row rows[2];
		struct graph_line *line;
		char hex[2 * GRAPH_ID_SIZE + 1];
		size_t n;

		if (!history_next(b->history, &c)) {
			b->walked = true;
			if (history_status(b->history) != SUCCESS)
				snprintf(b->problem, sizeof(b->problem), "%s",
					 status_message(ERROR_CUSTOM_MESSAGE));
			break;
		}
		n = graph_add(b->graph, &c.id, c.parents, c.n_parents, rows);
		history_hex(&c.id, hex);
		line = new_line(b);
		keep_row(b, &rows[0], line);
		line->commit = true;
		memcpy(line->hex, hex, sizeof(hex));
		line->refs = c.refs ? xstrdup(c.refs) : NULL;
		compose_subject(b, line, c.summary);
		line->author = xstrdup(c.author);
		line->time = c.time;
		store_sha_status(tui->store, hex, &line->ci);
		if (n > 1)
			keep_row(b, &rows[1], new_line(b));
	}
}

static void
open_repo(struct branches_view *b, struct tui *tui)
{
	struct history_opts opts = { .all = true };

	close_history(b);
	b->problem[0] = '\0';
	if (!b->n_repos) {
		snprintf(b->problem, sizeof(b->problem),
			 "No repository: set [service \"NAME\"] repo = PATH in the config, or "
			 "start sitrep in a clone");
		return;
	}
	opts.repo = b->repos[b->repo];
	if (history_open(&b->history, &opts) != SUCCESS) {
		snprintf(b->problem, sizeof(b->problem), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
		return;
	}
	b->remote = repo_remote_url(opts.repo);
	load_protected(b, tui);
	b->graph = graph_new();
	walk_to(b, tui, 1);
}

/* ---- the list ---- */

static bool
line_matches(const struct graph_line *line, const char *filter)
{
	return line->commit && (strstr(line->subject, filter) || strstr(line->author, filter) ||
				strstr(line->hex, filter));
}

static enum status_code
branches_fetch(struct view *view, struct tui *tui, const struct list *list, const void *anchor,
	       bool backward, size_t n, void *rows, size_t *got)
{
	struct branches_view *b = view->private;
	size_t *out = rows, i;

	*got = 0;
	if (backward) {
		/* From the last row: the whole history must be laid out first. */
		if (!anchor)
			walk_to(b, tui, SIZE_MAX);
		i = anchor ? *(const size_t *)anchor : b->n_lines;
		while (i-- > 0 && *got < n)
			if (!list->filter[0] || line_matches(&b->lines[i], list->filter))
				out[(*got)++] = i;
		for (size_t l = 0, r = *got; l + 1 < r; l++, r--) { /* into display order */
			size_t t = out[l];

			out[l] = out[r - 1];
			out[r - 1] = t;
		}
		return SUCCESS;
	}
	for (i = anchor ? *(const size_t *)anchor + 1 : 0; *got < n; i++) {
		if (i >= b->n_lines)
			walk_to(b, tui, i + n + 1);
		if (i >= b->n_lines)
			break;
		if (!list->filter[0] || line_matches(&b->lines[i], list->filter))
			out[(*got)++] = i;
	}
	return SUCCESS;
}

static void
graph_text(const struct graph_line *line, char *buf, size_t size)
{
	struct graph_row row = { line->cells, line->n_cells, -1 };
	size_t len = graph_row_text(&row, 0, !draw_utf8(), buf, size);

	if (line->cut && len + 4 < size)
		snprintf(buf + len, size - len, "%s", draw_glyph("…", "~"));
}

static const char *
ci_glyph(const char *status)
{
	if (!status)
		return "";
	if (streq(status, "success"))
		return draw_glyph("✔", "ok");
	if (streq(status, "failed"))
		return draw_glyph("✘", "X");
	if (streq(status, "running") || streq(status, "queued") || streq(status, "waiting"))
		return draw_glyph("◌", "..");
	return draw_glyph("·", "-");
}

static enum color_role
branches_cell(struct view *view, struct tui *tui, const void *row, size_t col, char *buf,
	      size_t size)
{
	const struct branches_view *b = view->private;
	const struct graph_line *line = &b->lines[*(const size_t *)row];

	buf[0] = '\0';
	if (col == COL_GRAPH) {
		graph_text(line, buf, size);
		return COLOR_INFO;
	}
	if (!line->commit)
		return COLOR_DEFAULT;
	switch ((enum branch_column)col) {
	case COL_CI:
		snprintf(buf, size, "%s", ci_glyph(line->ci));
		return pipeline_status_role(line->ci);
	case COL_COMMIT:
		snprintf(buf, size, "%.10s", line->hex);
		return COLOR_MUTED;
	case COL_SUBJECT:
		snprintf(buf, size, "%s", line->subject);
		if (line->stale)
			return COLOR_MUTED;
		return strchr(line->subject, '[') && strstr(line->subject, "@production]")
			       ? COLOR_PRODUCTION
			       : COLOR_DEFAULT;
	case COL_AUTHOR:
		snprintf(buf, size, "%s", line->author);
		return COLOR_DEFAULT;
	default:
		format_age(line->time, tui->now, buf, size);
		return COLOR_MUTED;
	}
}

/* A stale branch's tip is dimmed, all of its row but the graph and CI result. */
static enum color_role
branches_row_role(struct view *view, const void *row)
{
	const struct branches_view *b = view->private;

	return b->lines[*(const size_t *)row].stale ? COLOR_MUTED : COLOR_DEFAULT;
}

static const struct list_ops branches_list_ops = {
	.row_size = sizeof(size_t),
	.fetch = branches_fetch,
	.cell = branches_cell,
	.row_role = branches_row_role,
};

static void
find_repos(struct branches_view *b, const struct tui *tui)
{
	for (size_t i = 0; i < tui->cfg.n_services; i++)
		if (tui->cfg.services[i].repo)
			add_repo(b, tui->cfg.services[i].repo);
	if (!b->n_repos) {
		struct history_opts opts = { 0 };
		struct history *h;

		if (history_open(&h, &opts) == SUCCESS) {
			history_close(&h);
			add_repo(b, ".");
		}
	}
}

/* New data in the cache: the CI results, deploy marks and protection of the rows
 * laid out. */
static void
refresh_lines(struct branches_view *b, struct tui *tui)
{
	for (size_t i = 0; i < b->n_lines; i++) {
		struct graph_line *line = &b->lines[i];

		if (!line->commit)
			continue;
		free(line->ci);
		store_sha_status(tui->store, line->hex, &line->ci);
	}
	recompose_subjects(b);
}

static const struct graph_line *
selected_commit(const struct branches_view *b)
{
	const size_t *row = list_selected(&b->list);

	return row && b->lines[*row].commit ? &b->lines[*row] : NULL;
}

/* Puts the selection back on commit hex after the graph was laid out again (rows are
 * positions: a new commit above would move it to another commit), if it is among the
 * rows loaded. */
static void
select_commit(struct branches_view *b, const char *hex)
{
	const size_t *rows = (const size_t *)(const void *)b->list.rows;

	for (size_t i = 0; hex[0] && i < b->list.n_rows; i++) {
		if (!b->lines[rows[i]].commit || !streq(b->lines[rows[i]].hex, hex))
			continue;
		b->list.selected = i;
		if (i < b->list.top ||
		    (b->list.height > 0 && i >= b->list.top + (size_t)b->list.height))
			b->list.top = i;
		return;
	}
}

/* Reads the list again, the history opened again first when reopen (refs moved,
 * another repository), the selection kept on its commit. */
static enum status_code
reload(struct view *view, struct tui *tui, bool reopen)
{
	struct branches_view *b = view->private;
	const struct graph_line *line = selected_commit(b);
	char selected[2 * GRAPH_ID_SIZE + 1] = "";
	enum status_code code;

	if (line)
		memcpy(selected, line->hex, sizeof(selected));
	list_release(&b->list);
	if (reopen) {
		b->refs = 0;
		if (b->n_repos)
			history_refs_digest(b->repos[b->repo], &b->refs);
		open_repo(b, tui);
		view->idle_pending = true; /* the branches, after the frame */
	} else {
		refresh_lines(b, tui);
	}
	set_subtitle(view, b, tui);
	code = list_reload(&b->list, view, tui);
	select_commit(b, selected);
	return code;
}

static enum status_code
branches_load(struct view *view, struct tui *tui)
{
	struct branches_view *b = view->private;
	uint64_t refs = 0;

	if (!b->list.ops) {
		memcpy(b->columns, base_columns, sizeof(base_columns));
		list_init(&b->list, &branches_list_ops, b->columns, ARRAY_SIZE(b->columns));
		find_repos(b, tui);
	}
	store_deploy_rows_free(b->deploys, b->n_deploys);
	b->deploys = NULL;
	b->n_deploys = 0;
	store_deploy_rows(tui->store, &b->deploys, &b->n_deploys);
	if (b->history)
		load_protected(b, tui);
	/* The walk starts again only when a ref moved: new commits, branches, tags. */
	if (b->n_repos)
		history_refs_digest(b->repos[b->repo], &refs);
	return reload(view, tui, !b->history || refs != b->refs);
}

/* The branches, when their thread has read them: the rows are annotated again. */
static void
branches_poll(struct view *view, struct tui *tui)
{
	struct branches_view *b = view->private;
	struct branches_job *j = branches_job_end(b, false);

	if (!j)
		return;
	branches_release(&b->branches);
	b->branches = j->list;
	memset(&j->list, 0, sizeof(j->list));
	branches_job_free(j);
	b->branches_read = true;
	recompose_subjects(b);
	set_subtitle(view, b, tui);
}

/* After the first frame: the branches, whose ahead/behind counts walk the history
 * between each branch and its base, then the rows laid out annotated with them. */
static void
branches_idle(struct view *view, struct tui *tui)
{
	struct branches_view *b = view->private;
	struct branches_job *j;

	if (b->branches_read || b->job || !b->history)
		return;
	j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(b->repos[b->repo]);
	j->cfg = &tui->cfg;
	j->now = tui->now;
	j->wakeup = tui->wakeup[1];
	atomic_init(&j->done, false);
	b->job = j;
	j->threaded = pthread_create(&j->thread, NULL, branches_job_main, j) == 0;
	if (!j->threaded) {
		branches_job_main(j); /* no thread to be had: read them here */
		branches_poll(view, tui);
	}
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A commit, branch or tag made while the view is shown: the graph is laid out again.
 * A digest of the refs costs a read of the refs, not a walk. */
static void
branches_tick(struct view *view, struct tui *tui)
{
	struct branches_view *b = view->private;
	int64_t now = monotonic_ms();
	uint64_t refs = 0;

	branches_poll(view, tui);
	if (!b->n_repos || now - b->refs_polled < REFS_POLL_MS)
		return;
	b->refs_polled = now;
	if (history_refs_digest(b->repos[b->repo], &refs) == SUCCESS && refs != b->refs)
		reload(view, tui, true);
}

static void
open_url(struct branches_view *b, struct tui *tui)
{
	const struct graph_line *line = selected_commit(b);
	char *url;

	if (!line)
		return;
	url = commit_page_url(tui, b->remote, line->hex);
	if (url)
		tui_open_url(tui, url);
	else
		tui_message(tui, true,
			    "%.10s: no web page known (no forge remote, no pipeline URL)",
			    line->hex);
	free(url);
}

static void
branches_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct branches_view *b = view->private;
	int width = getmaxx(win), height = getmaxy(win);
	char line[256];
	WINDOW *sub;

	werase(win);
	if (b->problem[0] && !b->n_lines) {
		draw_text(win, 1, 2, width - 4, role_attr(COLOR_MUTED), b->problem);
		return;
	}
	/* The graph column as wide as the widest row laid out (its title at least), at
	 * most a third. */
	b->columns[COL_GRAPH].width = (int)(b->graph_width < 4 ? 5 : b->graph_width + 1);
	if (b->columns[COL_GRAPH].width > width / 3)
		b->columns[COL_GRAPH].width = width / 3;
	/* The strategy on the first line, the list below in a window of its own. */
	strategy_line(b, line, sizeof(line));
	draw_text(win, 0, 0, width, role_attr(COLOR_INFO), line);
	sub = height > 2 ? derwin(win, height - 1, width, 1, 0) : NULL;
	if (!sub) {
		list_draw(&b->list, view, tui, win);
		return;
	}
	wbkgdset(sub, getbkgd(win));
	list_draw(&b->list, view, tui, sub);
	delwin(sub);
}

static enum request
branches_request(struct view *view, struct tui *tui, enum request req)
{
	struct branches_view *b = view->private;

	if (req == REQ_SORT || req == REQ_SORT_REVERSE || req == REQ_TOGGLE_OPEN)
		return REQ_NONE; /* the graph has one order */
	if (req == REQ_NEXT_REPO || req == REQ_PREV_REPO) {
		if (b->n_repos > 1) {
			b->repo = (b->repo + (req == REQ_NEXT_REPO ? 1 : b->n_repos - 1)) %
				  b->n_repos;
			reload(view, tui, true);
		}
		if (b->n_repos)
			tui_message(tui, false, "%s (%zu of %zu)", b->repos[b->repo], b->repo + 1,
				    b->n_repos);
		return REQ_NONE;
	}
	if (req == REQ_ENTER) {
		const struct graph_line *line = selected_commit(b);

		if (line)
			commit_view_open(tui, view, b->repos[b->repo], b->remote, line->hex,
					 b->deploys, b->n_deploys);
		return REQ_NONE;
	}
	if (req == REQ_OPEN_URL) {
		open_url(b, tui);
		return REQ_NONE;
	}
	return list_request(&b->list, view, tui, req);
}

static void
branches_done(struct view *view)
{
	struct branches_view *b = view->private;

	list_release(&b->list);
	close_history(b);
	free(b->lines);
	for (size_t i = 0; i < b->n_repos; i++)
		free(b->repos[i]);
	free(b->repos);
	store_deploy_rows_free(b->deploys, b->n_deploys);
	free_protected(b);
}

const struct view_ops branches_ops = {
	.name = "branches",
	.title = "Branches",
	.private_size = sizeof(struct branches_view),
	.load = branches_load,
	.draw = branches_draw,
	.request = branches_request,
	.done = branches_done,
	.idle = branches_idle,
	.tick = branches_tick,
};
