/* keys_doc.c - `sitrep keys`: every action of the console with its keys, from the
 * one table (request.c), as the help screen shows them: for a terminal, with the
 * config's [bind] applied, or as the roff of the man page's KEYS section, which
 * docs/sitrep.1 holds and tests/integration/keys_doc.sh checks against it. */
#include "tui.h"

static void
man_text(FILE *out, const char *s)
{
	/* roff: a hyphen is \-; a backslash would start an escape. */
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
}

int
tui_keys_print(const struct config *cfg, bool man, FILE *out)
{
	char **problems = NULL;
	size_t n_problems = 0;

	keys_init(man ? NULL : cfg, &problems, &n_problems);
	for (size_t i = 0; i < n_problems; i++) {
		fprintf(stderr, "sitrep: %s\n", problems[i]);
		free(problems[i]);
	}
	free(problems);
	for (size_t i = 0; i < request_n_rows; i++) {
		const struct request_row *r = &request_rows[i];
		char keys[128];

		if (r->group) {
			if (man) {
				fputs(".SS ", out);
				man_text(out, r->group);
				fputc('\n', out);
			} else {
				fprintf(out, "%s%s\n", i ? "\n" : "", r->group);
			}
			continue;
		}
		keys_of(NULL, r->req, keys, sizeof(keys));
		if (man) {
			fputs(".TP\n.B ", out);
			man_text(out, keys[0] ? keys : "(none)");
			fputc('\n', out);
			man_text(out, request_help(r->req));
			fputs(" (\\fB", out);
			man_text(out, request_name(r->req));
			fputs("\\fR)\n", out);
		} else {
			fprintf(out, "  %-16s %-18s %s\n", keys[0] ? keys : "-",
				request_name(r->req), request_help(r->req));
		}
	}
	keys_release();
	return fflush(out) == 0 ? 0 : 1;
}
