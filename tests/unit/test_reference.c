/* test_reference.c - the acceptance test of the metric engine: the reference dataset
 * goes through the real binary (import -> cache -> engine -> JSON), and every value
 * of the hand-computed expected block must come out within 1e-9.
 *
 * $SITREP names the binary (default ./sitrep); fixtures are read from tests/fixtures
 * relative to the working directory, which `make check` sets to the top of the tree. */
#include "sitrep/sitrep.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <unistd.h>

#define FIXTURES "tests/fixtures/"
#define WINDOW "--from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z"

static char db_dir[] = "/tmp/sitrep-ref-XXXXXX";
static json_t *flat; /* "mttd.checkout.mean" -> number */

static const char *
binary(void)
{
	const char *s = getenv("SITREP");

	return s && *s ? s : "./sitrep";
}

static char *
run(const char *args, int *status)
{
	char *cmd = xasprintf("%s --db %s/cache.db %s", binary(), db_dir, args);
	FILE *p = popen(cmd, "r");
	struct buf out;
	char chunk[4096];
	size_t n;

	assert_non_null(p);
	buf_init(&out, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&out, chunk, n);
	*status = pclose(p);
	free(cmd);
	return buf_detach(&out);
}

static void
flatten(const char *prefix, json_t *v)
{
	const char *key;
	json_t *child;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child)
		{
			char *name = prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);

			flatten(name, child);
			free(name);
		}
	} else if (json_is_number(v)) {
		json_object_set_new(flat, prefix, json_real(json_number_value(v)));
	}
}

static void
report(const char *command)
{
	int status;
	char *args = xasprintf("%s " WINDOW " --format json", command);
	char *out = run(args, &status);
	json_error_t err;
	json_t *v;

	assert_int_equal(status, 0);
	v = json_loads(out, 0, &err);
	if (!v)
		fail_msg("%s: not JSON: %s", command, err.text);
	flatten(NULL, v);
	json_decref(v);
	free(out);
	free(args);
}

static int
setup(void **state)
{
	int status;
	char *out;

	(void)state;
	if (!mkdtemp(db_dir))
		return -1;
	out = run("import " FIXTURES "reference.json", &status);
	free(out);
	if (status != 0)
		return -1;
	flat = json_object();
	report("mttx");
	report("dora");
	report("slo");
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", db_dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	json_decref(flat);
	return rc == 0 ? 0 : -1;
}

/* "42/5", "-1824/5", "0.3" */
static double
parse_value(const char *s)
{
	char *end;
	double num = strtod(s, &end);

	if (*end == '/')
		return num / strtod(end + 1, NULL);
	return num;
}

static void
reference__every_expected_value(void **state)
{
	FILE *f = fopen(FIXTURES "reference-expected.md", "r");
	char line[512];
	bool inside = false;
	size_t checked = 0, wrong = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char key[256], value[128];
		json_t *got;
		double want;

		if (strstr(line, "BEGIN EXPECTED VALUES"))
			inside = true;
		if (strstr(line, "END EXPECTED VALUES"))
			break;
		if (!inside || line[0] == '#' || sscanf(line, "%255s = %127s", key, value) != 2)
			continue;
		want = parse_value(value);
		got = json_object_get(flat, key);
		checked++;
		if (!got) {
			print_error("missing: %s (want %s)\n", key, value);
			wrong++;
		} else if (fabs(json_real_value(got) - want) > 1e-9) {
			print_error("wrong: %s = %.12g, want %s = %.12g\n", key,
				    json_real_value(got), value, want);
			wrong++;
		}
	}
	fclose(f);
	assert_int_equal(checked, 143);
	assert_int_equal(wrong, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference__every_expected_value),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
