/* template.c - the exec: executor's command template into an argument vector.
 *
 * The template is split into words first, the placeholders are replaced inside
 * each word after: a version such as "1.2; rm -rf /" or "$(id)" stays one argument,
 * and nothing ever goes through a shell. Quoting is the small part of the shell's
 * that a command line in a config file needs: '...' keeps everything, "..." keeps
 * blanks (a backslash escapes " and \ inside), a backslash outside quotes takes the
 * next character. */
#include "sitrep/sitrep.h"
#include "sitrep/rollback.h"

static const char *
var_value(const struct rollback_vars *vars, const char *name, size_t len, bool *known)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{ "service", offsetof(struct rollback_vars, service) },
		{ "env", offsetof(struct rollback_vars, env) },
		{ "version", offsetof(struct rollback_vars, version) },
		{ "sha", offsetof(struct rollback_vars, sha) },
		{ "revision", offsetof(struct rollback_vars, revision) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0) {
			const char *v;

			*known = true;
			memcpy(&v, (const char *)vars + names[i].offset, sizeof(v));
			return v ? v : "";
		}
	*known = false;
	return NULL;
}

/* word with its placeholders replaced (new), or NULL after error(). */
static char *
substitute(const char *word, const struct rollback_vars *vars)
{
	struct buf out;
	const char *p = word;

	buf_init(&out, 0);
	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL, *v = NULL;
		bool known = false;

		if (close)
			v = var_value(vars, p + 1, (size_t)(close - p - 1), &known);
		/* {name} that is not ours is a typo; other braces are the command's own */
		if (close && !known && close > p + 1 &&
		    strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_") == (size_t)(close - p - 1)) {
			error("exec: unknown placeholder {%.*s} (placeholders: {service} {env} "
			      "{version} {sha} {revision})",
			      (int)(close - p - 1 > 40 ? 40 : close - p - 1), p + 1);
			buf_release(&out);
			return NULL;
		}
		if (known) {
			buf_addstr(&out, v);
			p = close + 1;
		} else {
			buf_addch(&out, *p++);
		}
	}
	return buf_detach(&out);
}

/* The next word of *p into word (reset first); false at the end. */
static enum status_code
next_word(const char **p, struct buf *word, bool *found)
{
	const char *s = *p;
	char quote = 0;

	buf_reset(word);
	*found = false;
	s += strspn(s, " \t\n");
	if (!*s) {
		*p = s;
		return SUCCESS;
	}
	*found = true;
	for (; *s && (quote || !strchr(" \t\n", *s)); s++) {
		if (quote == '\'' && *s == '\'') {
			quote = 0;
		} else if (quote == '\'') {
			buf_addch(word, *s);
		} else if (*s == '\\' && s[1] && (!quote || s[1] == '"' || s[1] == '\\')) {
			buf_addch(word, *++s);
		} else if (quote == '"' && *s == '"') {
			quote = 0;
		} else if (!quote && (*s == '\'' || *s == '"')) {
			quote = *s;
		} else {
			buf_addch(word, *s);
		}
	}
	*p = s;
	if (quote)
		return error("exec: the command has an unclosed %c quote", quote);
	return SUCCESS;
}

enum status_code
rollback_template_expand(const char *template, const struct rollback_vars *vars, char ***argv,
			 size_t *n)
{
	const char *p = template;
	struct buf word;
	size_t alloc = 0;
	enum status_code code = SUCCESS;
	bool found;
	char *arg;

	*argv = NULL;
	*n = 0;
	buf_init(&word, 0);
	for (;;) {
		if ((code = next_word(&p, &word, &found)) != SUCCESS || !found)
			break;
		if (!(arg = substitute(word.data ? word.data : "", vars))) {
			code = ERROR_CUSTOM_MESSAGE;
			break;
		}
		*argv = xgrow(*argv, &alloc, *n + 2, sizeof(**argv));
		(*argv)[(*n)++] = arg;
		(*argv)[*n] = NULL;
	}
	buf_release(&word);
	if (code == SUCCESS && *n == 0)
		code = error("exec: the command is empty");
	if (code != SUCCESS) {
		rollback_argv_free(*argv);
		*argv = NULL;
		*n = 0;
	}
	return code;
}

void
rollback_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
