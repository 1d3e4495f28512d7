/* view_commit.c - one commit of the branch graph in detail, as a text view (tig's diff
 * header and stat): its id, parents, author and dates, its web page, the whole
 * message, the files it changed against its first parent with lines added and
 * deleted, the pipelines that ran on it (from the cache) and the deployments that
 * shipped it: those whose commit it is or that list it among what they shipped,
 * and the ones running now whose commit contains it. o opens the web page.
 *
 * Git reading lives in src/git/commit_info.c; here it is only laid out as lines.
 * Every line goes through draw_text, which sanitizes it again on the way out. */
#include "tui.h"
#include "sitrep/commit_info.h"
#include "sitrep/timestamp.h"

#define DETAIL_PIPELINES 20
#define DETAIL_DEPLOYS 20

struct detail {
	char **lines;
	size_t n;
};

static void
add(struct detail *d, char *line)
{
	d->lines = xrealloc(d->lines, (d->n + 1) * sizeof(*d->lines));
	d->lines[d->n++] = line;
}

/* "2025-03-03T09:20:00Z (40m ago)" */
static void
when(const struct tui *tui, int64_t t, char *buf, size_t size)
{
	char at[TIMESTAMP_TEXT_SIZE], age[16];

	timestamp_format(t, at, sizeof(at));
	format_age(t, tui->now, age, sizeof(age));
	snprintf(buf, size, "%s (%s ago)", at, age);
}

char *
commit_page_url(struct tui *tui, const char *remote, const char *hex)
{
	struct store_pipeline_row *rows = NULL;
	size_t n = 0;
	char *url = commit_web_url(remote, hex);

	/* No forge remote (a local clone of a clone): a pipeline's page names the forge. */
	if (!url && store_sha_pipelines(tui->store, hex, DETAIL_PIPELINES, &rows, &n) == SUCCESS)
		for (size_t i = 0; i < n && !url; i++)
			url = commit_web_url_from_pipeline(rows[i].url, hex);
	store_pipeline_rows_free(rows, n);
	return url;
}

static void
add_header(struct detail *d, struct tui *tui, const struct commit_info *c, const char *url)
{
	char at[64];
	struct buf parents;

	add(d, xasprintf("commit %s", c->hex));
	if (c->n_parents) {
		buf_init(&parents, 0);
		for (size_t i = 0; i < c->n_parents; i++)
			buf_printf(&parents, " %.10s", c->parents[i]);
		add(d, xasprintf("%s:%s", c->n_parents > 1 ? "Merge of" : "Parent", parents.data));
		buf_release(&parents);
	}
	when(tui, c->author_time, at, sizeof(at));
	add(d, xasprintf("Author:    %s", c->author));
	add(d, xasprintf("Date:      %s", at));
	if (!streq(c->author, c->committer) || c->author_time != c->commit_time) {
		when(tui, c->commit_time, at, sizeof(at));
		add(d, xasprintf("Committer: %s, %s", c->committer, at));
	}
	add(d, xasprintf("Web page:  %s", url ? url : "(none: no forge remote, no pipeline URL)"));
	add(d, xstrdup(""));
}

static void
add_message(struct detail *d, const char *message)
{
	const char *p = message;

	while (*p) {
		size_t len = strcspn(p, "\n");

		add(d, xasprintf("    %.*s", (int)len, p));
		p += len + (p[len] == '\n');
	}
	add(d, xstrdup(""));
}

static void
add_files(struct detail *d, const struct commit_info *c)
{
	size_t files = c->n_files + c->files_left_out;
	struct buf sum;

	/* git's summary: a count of zero is left out unless both are */
	buf_init(&sum, 0);
	buf_printf(&sum, "%zu file%s changed", files, files == 1 ? "" : "s");
	if (c->added || !c->deleted)
		buf_printf(&sum, ", %zu insertion%s(+)", c->added, c->added == 1 ? "" : "s");
	if (c->deleted || !c->added)
		buf_printf(&sum, ", %zu deletion%s(-)", c->deleted, c->deleted == 1 ? "" : "s");
	if (c->n_parents > 1)
		buf_printf(&sum, " against the first parent, %.10s", c->parents[0]);
	add(d, buf_detach(&sum));
	for (size_t i = 0; i < c->n_files; i++) {
		const struct commit_file *f = &c->files[i];
		char plus[24], minus[24];

		if (f->binary) {
			snprintf(plus, sizeof(plus), "-");
			snprintf(minus, sizeof(minus), "-");
		} else {
			snprintf(plus, sizeof(plus), "+%zu", f->added);
			snprintf(minus, sizeof(minus), "-%zu", f->deleted);
		}
		add(d, xasprintf("  %6s %6s  %s%s", plus, minus, f->path,
				 f->binary ? " (binary)" : ""));
	}
	if (c->files_left_out)
		add(d, xasprintf("  ... and %zu more", c->files_left_out));
	add(d, xstrdup(""));
}

static void
add_pipelines(struct detail *d, struct tui *tui, const char *hex)
{
	struct store_pipeline_row *rows = NULL;
	size_t n = 0;

	add(d, xstrdup("Pipelines that ran on it:"));
	if (store_sha_pipelines(tui->store, hex, DETAIL_PIPELINES, &rows, &n) != SUCCESS)
		add(d, xasprintf("  (%s)", status_message(ERROR_CUSTOM_MESSAGE)));
	else if (!n)
		add(d, xstrdup("  none in the cache"));
	for (size_t i = 0; i < n; i++) {
		const struct store_pipeline_row *p = &rows[i];
		char at[TIMESTAMP_TEXT_SIZE], number[24] = "";

		timestamp_format(p->started_at != TIME_NONE ? p->started_at : p->queued_at, at,
				 sizeof(at));
		if (p->number != TIME_NONE)
			snprintf(number, sizeof(number), " #%lld", (long long)p->number);
		add(d, xasprintf("  %-8s %s %s%s  %s  %s  %s", p->status, p->source,
				 p->name ? p->name : p->project, number, p->ref ? p->ref : "-", at,
				 p->url ? p->url : ""));
	}
	store_pipeline_rows_free(rows, n);
	add(d, xstrdup(""));
}

static void
add_deploy(struct detail *d, const struct store_deploy_row *r, const char *how)
{
	char at[TIMESTAMP_TEXT_SIZE];

	timestamp_format(r->started_at != TIME_NONE ? r->started_at : r->finished_at, at,
			 sizeof(at));
	add(d, xasprintf("  %s@%s  %s  %s  %s  (%s)", r->service, r->environment,
			 r->version ? r->version : "-", r->status ? r->status : "-", at, how));
}

static bool
same_deploy(const struct store_deploy_row *a, const struct store_deploy_row *b)
{
	return streq(a->service, b->service) && streq(a->environment, b->environment) &&
	       a->source_id && b->source_id && streq(a->source_id, b->source_id);
}

/* Those that shipped it by the cache, then those running now whose commit contains
 * it by git. */
static void
add_deploys(struct detail *d, struct tui *tui, const char *repo, const char *hex,
	    const struct store_deploy_row *running, size_t n_running)
{
	struct store_deploy_row *rows = NULL;
	const char **tips = xcalloc(n_running + 1, sizeof(*tips));
	bool *contains = xcalloc(n_running + 1, sizeof(*contains));
	size_t n = 0, shown = 0;

	add(d, xstrdup("Deployments that shipped it:"));
	if (store_sha_deploys(tui->store, hex, DETAIL_DEPLOYS, &rows, &n) != SUCCESS)
		add(d, xasprintf("  (%s)", status_message(ERROR_CUSTOM_MESSAGE)));
	for (size_t i = 0; i < n; i++, shown++) {
		bool own = rows[i].sha && !strncmp(hex, rows[i].sha, strlen(rows[i].sha));

		add_deploy(d, &rows[i], own ? "its commit" : "among the commits it shipped");
	}
	for (size_t i = 0; i < n_running; i++)
		tips[i] = running[i].sha;
	if (n_running)
		commit_contained_in(repo, hex, tips, n_running, contains);
	for (size_t i = 0; i < n_running; i++) {
		bool listed = false;

		for (size_t j = 0; j < n && !listed; j++)
			listed = same_deploy(&running[i], &rows[j]);
		if (contains[i] && !listed) {
			add_deploy(d, &running[i], "running now, contains it");
			shown++;
		}
	}
	if (!shown)
		add(d, xstrdup("  none known"));
	store_deploy_rows_free(rows, n);
	free(tips);
	free(contains);
}

void
commit_view_open(struct tui *tui, struct view *parent, const char *repo, const char *remote,
		 const char *hex, const struct store_deploy_row *running, size_t n_running)
{
	struct commit_info c;
	struct detail d = { 0 };
	char title[64], *url;

	if (commit_info_read(&c, repo, hex) != SUCCESS) {
		tui_message(tui, true, "%s", status_message(ERROR_CUSTOM_MESSAGE));
		return;
	}
	url = commit_page_url(tui, remote, c.hex);
	add_header(&d, tui, &c, url);
	add_message(&d, c.message);
	add_files(&d, &c);
	add_pipelines(&d, tui, c.hex);
	add_deploys(&d, tui, repo, c.hex, running, n_running);
	snprintf(title, sizeof(title), "commit %.10s", c.hex);
	text_view_open(tui, parent, title, d.lines, d.n);
	text_view_set_url(tui->current, url);
	free(url);
	commit_info_release(&c);
}
