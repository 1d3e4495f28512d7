/* commit_text.c - the fields the branch graph needs from a commit object's text,
 * read from as much of its start as packs.c inflated: the parents and committer
 * time (the walk), the author's name and the summary (a shown commit). They are
 * taken as libgit2 takes them (git_commit_parent_id, git_commit_time,
 * git_commit_author, git_commit_summary), so the drawing does not change with the
 * reader; a text this parser does not follow is read through libgit2 instead. */
#include "sitrep/sitrep.h"
#include "git-private.h"

#include <string.h>

#define HEX_LEN 40

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
parse_hex(const char *s, struct graph_id *id)
{
	for (size_t i = 0; i < GRAPH_ID_SIZE; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		id->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* The end of the header's blank line (the message's start), or NULL. */
static const char *
message_start(const char *data, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (data[i] == '\n' && data[i - 1] == '\n')
			return data + i + 1;
	return NULL;
}

static const char *
line_with(const char *data, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *s = data; s < end;) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));

		if (!eol)
			return NULL;
		if ((size_t)(eol - s) >= n && !memcmp(s, prefix, n))
			return s;
		if (eol == s) /* the blank line: the header is over */
			return NULL;
		s = eol + 1;
	}
	return NULL;
}

bool
commit_text_has_header(const char *data, size_t len)
{
	return line_with(data, data + len, "committer ") != NULL || message_start(data, len);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The summary as libgit2's git_commit_summary makes it: the first paragraph of the
 * message (after its leading newlines), whitespace runs holding a newline made one
 * space, into out (NULL: only *whole). *whole: the paragraph ended within len. */
static void
summary_of(const char *msg, const char *end, struct buf *out, bool *whole)
{
	const char *space = NULL;
	bool space_newline = false;

	*whole = false;
	while (msg < end && *msg == '\n')
		msg++;
	for (; msg < end && *msg; msg++) {
		if (*msg == '\n') {
			const char *next = msg + 1;

			while (next < end && (*next == ' ' || *next == '\t' || *next == '\v' ||
					      *next == '\f' || *next == '\r'))
				next++;
			if (next >= end)
				return; /* the next line is not all there */
			if (!*next || *next == '\n')
				break;
		}
		if (is_space(*msg)) {
			if (!space) {
				space = msg;
				space_newline = false;
			}
			space_newline |= *msg == '\n';
		} else if (out) {
			if (space) {
				if (space_newline)
					buf_addch(out, ' ');
				else
					buf_add(out, space, (size_t)(msg - space));
				space = NULL;
			}
			buf_addch(out, *msg);
		}
	}
	*whole = msg < end; /* else the text ran out within the paragraph */
}

bool
commit_text_has_summary(const char *data, size_t len)
{
	const char *msg = message_start(data, len);
	bool whole;

	if (!msg)
		return false;
	summary_of(msg, data + len, NULL, &whole);
	return whole;
}

/* The time after the last '>' of a signature line, as libgit2 reads it. */
static bool
signature_time(const char *line, const char *eol, int64_t *time)
{
	const char *gt = NULL, *s;
	int64_t t = 0;

	for (s = line; s < eol; s++)
		if (*s == '>')
			gt = s;
	if (!gt || gt + 2 >= eol)
		return false;
	s = gt + 2;
	if (*s < '0' || *s > '9')
		return false;
	for (; s < eol && *s >= '0' && *s <= '9'; s++) {
		if (t > (INT64_MAX - 9) / 10)
			return false;
		t = t * 10 + (*s - '0');
	}
	*time = t;
	return true;
}

bool
commit_text_parse(struct commit_fields *f, const char *data, size_t len, bool full)
{
	const char *end = data + len, *s = data, *committer, *eol;

	f->n_parents = 0;
	if (len < 5 + HEX_LEN + 1 || memcmp(s, "tree ", 5) || s[5 + HEX_LEN] != '\n')
		return false;
	for (s += 5 + HEX_LEN + 1; (size_t)(end - s) > 7 + HEX_LEN && !memcmp(s, "parent ", 7);
	     s += 7 + HEX_LEN + 1) {
		if (s[7 + HEX_LEN] != '\n')
			return false;
		f->parents =
			xgrow(f->parents, &f->alloc_parents, f->n_parents + 1, sizeof(*f->parents));
		if (!parse_hex(s + 7, &f->parents[f->n_parents++]))
			return false;
	}
	if (!(committer = line_with(s, end, "committer ")) ||
	    !(eol = memchr(committer, '\n', (size_t)(end - committer))) ||
	    !signature_time(committer, eol, &f->time))
		return false;
	if (full) {
		const char *author = line_with(s, end, "author "), *lt = NULL, *name, *name_end;
		const char *msg = message_start(data, len);
		bool whole;

		if (!author || !msg)
			return false;
		eol = memchr(author, '\n', (size_t)(end - author));
		for (const char *c = author; c < eol; c++)
			if (*c == '<')
				lt = c;
		if (!lt)
			return false;
		name = author + 7;
		name_end = lt;
		while (name < name_end && is_space(*name))
			name++;
		while (name_end > name && is_space(name_end[-1]))
			name_end--;
		buf_reset(&f->author);
		buf_add(&f->author, name, (size_t)(name_end - name));
		buf_reset(&f->summary);
		summary_of(msg, end, &f->summary, &whole);
		(void)whole; /* a message cut short is the object's end */
	}
	return true;
}

void
commit_fields_release(struct commit_fields *f)
{
	free(f->parents);
	buf_release(&f->summary);
	buf_release(&f->author);
	memset(f, 0, sizeof(*f));
}
