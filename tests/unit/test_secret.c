/* test_secret.c - secret_resolve for env:, cmd:, file: and literal specs: the first line
 * is taken, failures are errors that name the origin, and nothing of the secret or of a
 * command's output appears in a message. Files live in a fresh mkdtemp directory. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define ORIGIN "source test token"

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	string_copy(fx->dir, "/tmp/sitrep-test-secret-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	DIR *d = opendir(fx->dir);

	while (d && (de = readdir(d))) {
		char *p;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", fx->dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static char *
write_file(const struct fixture *fx, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", fx->dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	return path;
}

/* Resolves spec and checks the secret it gives. */
static void
assert_resolves(const char *spec, bool private_file, const char *want)
{
	enum status_code code;
	char *out = NULL;

	code = secret_resolve(spec, ORIGIN, private_file, &out);
	if (code != SUCCESS)
		fail_msg("%s: %s", spec, status_message(code));
	assert_non_null(out);
	assert_string_equal(out, want);
	secret_free(&out);
	assert_null(out);
}

/* Resolving spec fails, with a message holding each of the NULL-terminated words.
 * private_file is an int: va_start on a promoted type is undefined. */
static void
assert_fails(const char *spec, int private_file, ...)
{
	static char poison[] = "must be reset to NULL";
	enum status_code code;
	const char *word;
	char *out = poison;
	va_list ap;

	code = secret_resolve(spec, ORIGIN, private_file != 0, &out);
	assert_int_not_equal(code, SUCCESS);
	assert_null(out);
	assert_non_null(strstr(status_message(code), ORIGIN));
	va_start(ap, private_file);
	while ((word = va_arg(ap, const char *)))
		if (!strstr(status_message(code), word))
			fail_msg("%s: \"%s\" lacks \"%s\"", spec, status_message(code), word);
	va_end(ap);
}

static void
secret__env_gives_the_variable(void **state)
{
	(void)state;
	setenv("SITREP_TEST_TOKEN", "tok en\n", 1);
	/* taken whole, whatever the file's permissions */
	assert_resolves("env:SITREP_TEST_TOKEN", false, "tok en\n");
	setenv("SITREP_TEST_TOKEN", "", 1);
	assert_fails("env:SITREP_TEST_TOKEN", true, "SITREP_TEST_TOKEN", "empty", NULL);
	unsetenv("SITREP_TEST_TOKEN");
	assert_fails("env:SITREP_TEST_TOKEN", true, "SITREP_TEST_TOKEN", "not set", NULL);
	assert_fails("env:", true, "variable name", NULL);
}

static void
secret__cmd_gives_the_first_line(void **state)
{
	(void)state;
	assert_resolves("cmd:printf 'first\\nsecond\\n'", false, "first");
	assert_resolves("cmd:printf 'crlf\\r\\n'", false, "crlf");
	assert_resolves("cmd:printf 'no newline'", false, "no newline");
	assert_resolves("cmd:  echo  padded", false, "padded");
	/* stdin is /dev/null: a command that reads it does not hang */
	assert_resolves("cmd:cat; echo done", false, "done");
	/* a pipeline, as /bin/sh -c runs it */
	assert_resolves("cmd:echo abc | tr a-z A-Z", false, "ABC");
}

static void
secret__cmd_failing_is_an_error(void **state)
{
	(void)state;
	/* non-zero exit, even with output: the output is not trusted nor shown */
	assert_fails("cmd:echo partial; exit 3", true, "exit status 3", NULL);
	assert_fails("cmd:false", true, "exit status 1", NULL);
	assert_fails("cmd:sitrep-no-such-command-xyz", true, "not found", NULL);
	assert_fails("cmd:kill -9 $$", true, "signal 9", NULL);
	/* success but nothing printed, or an empty first line */
	assert_fails("cmd:true", true, "empty", NULL);
	assert_fails("cmd:printf '\\nsecond\\n'", true, "empty", NULL);
	assert_fails("cmd:", true, "needs a command", NULL);
	/* a first line too long to be a token */
	assert_fails("cmd:head -c 20000 /dev/zero | tr '\\0' a", true, "longer than", NULL);
}

static void
secret__file_gives_the_first_line(void **state)
{
	struct fixture *fx = *state;
	char *path = write_file(fx, "token", "from-file\r\nsecond line\n");
	char *spec = xasprintf("file:%s", path);
	char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

	assert_resolves(spec, false, "from-file");
	/* ~ is $HOME */
	setenv("HOME", fx->dir, 1);
	assert_resolves("file:~/token", false, "from-file");
	free(path);
	path = write_file(fx, "one", "no-newline");
	assert_resolves("file:~/one", false, "no-newline");
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
	free(path);
	free(spec);
}

static void
secret__file_problems_are_errors(void **state)
{
	struct fixture *fx = *state;
	char *empty = write_file(fx, "empty", "");
	char *blank = write_file(fx, "blank", "\nsecond\n");
	char *spec;

	spec = xasprintf("file:%s/missing", fx->dir);
	assert_fails(spec, true, "missing", "No such file", NULL);
	free(spec);
	spec = xasprintf("file:%s", empty);
	assert_fails(spec, true, "empty", NULL);
	free(spec);
	spec = xasprintf("file:%s", blank);
	assert_fails(spec, true, "empty", NULL);
	free(spec);
	spec = xasprintf("file:%s", fx->dir);
	assert_fails(spec, true, NULL); /* a directory */
	free(spec);
	assert_fails("file:", true, "needs a path", NULL);
	free(empty);
	free(blank);
}

static void
secret__literal_only_from_a_private_file(void **state)
{
	(void)state;
	assert_resolves("sntrys_literal", true, "sntrys_literal");
	assert_fails("sntrys_literal", false, "literal secret", "chmod 600", NULL);
	assert_fails("", true, "empty", NULL);
	assert_fails(NULL, true, "not set", NULL);
}

static void
secret__free_accepts_null(void **state)
{
	char *s = NULL;

	(void)state;
	secret_free(&s);
	secret_free(NULL);
	s = xstrdup("x");
	secret_free(&s);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(secret__env_gives_the_variable),   T(secret__cmd_gives_the_first_line),
		T(secret__cmd_failing_is_an_error),  T(secret__file_gives_the_first_line),
		T(secret__file_problems_are_errors), T(secret__literal_only_from_a_private_file),
		T(secret__free_accepts_null),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
