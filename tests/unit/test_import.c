/* test_import.c - the import format's validation: a table of bad records, each with
 * the reason it is bad and the problem sitrep must name; a bad record anywhere leaves
 * the cache untouched; good variants (numbers as SLOs, arrays of services, epoch
 * times, unknown keys) are accepted. */
#include "sitrep/sitrep.h"
#include "sitrep/import.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <unistd.h>

#include "store_support.h"

#define GOOD_INCIDENT                                                                      \
	"{\"id\": \"I1\", \"source\": \"zabbix\", \"service\": \"api\", \"detected_at\": " \
	"\"2025-03-01T10:00:00Z\"}"

static const struct {
	const char *doc;     /* the whole file */
	const char *problem; /* a substring of the one problem expected */
} bad[] = {
	/* not the import format at all */
	{ "{\"format\": \"sitrep-import/2\"}",
	  "format: \"sitrep-import/2\" is not \"sitrep-import/1\"" },
	/* the format key is required */
	{ "{\"incidents\": []}", "format: missing" },
	/* a JSON array is not a document */
	{ "[]", "expected a JSON object" },
	/* cut off in the middle of a record */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", ",
	  "unexpected end of input" },
	/* two members without a comma */
	{ "{\"format\": \"sitrep-import/1\" \"incidents\": []}", "expected ','" },
	/* a record that is not an object */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [42]}", "incidents[0]: not an object" },
	/* malformed JSON inside one record */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [" GOOD_INCIDENT ", {\"id\": tru}]}",
	  "incidents[1]: line 1: invalid JSON" },
	/* detection is the one required milestone */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\"}]}",
	  "incidents[0].detected_at: missing" },
	/* words are not timestamps */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"yesterday\"}]}",
	  "incidents[0].detected_at: not a timestamp: \"yesterday\"" },
	/* February 29th of a common year */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"2025-02-29T10:00:00Z\"}]}",
	  "incidents[0].detected_at: not a timestamp" },
	/* ids are strings */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": 7, \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\"}]}",
	  "incidents[0].id: not a non-empty string: 7" },
	/* every incident belongs to a service */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\"}]}",
	  "incidents[0].service: missing" },
	/* an empty list of services names none */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": [], "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\"}]}",
	  "incidents[0].service: not a name" },
	/* impact is one of three words */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"impact\": \"down\", \"detected_at\": \"2025-03-01T10:00:00Z\"}]}",
	  "incidents[0].impact: \"down\" is not one of outage, degraded, planned" },
	/* a reopen cannot precede its resolution */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\", \"reopens\": [{\"resolved_at\": "
	  "\"2025-03-01T12:00:00Z\", "
	  "\"reopened_at\": \"2025-03-01T11:00:00Z\"}]}]}",
	  "incidents[0].reopens[0].reopened_at: before resolved_at" },
	/* an SLA needs a target */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\", \"sla\": {\"schedule\": \"24x7\"}}]}",
	  "incidents[0].sla.target_minutes: missing" },
	/* pauses are [start, end] pairs */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"2025-03-01T10:00:00Z\", \"sla\": {\"target_minutes\": 60, "
	  "\"pauses\": [[\"2025-03-01T10:00:00Z\"]]}}]}",
	  "incidents[0].sla.pauses[0]: not a [start, end] pair" },
	/* an SLO is a fraction below one */
	{ "{\"format\": \"sitrep-import/1\", \"services\": [{\"name\": \"api\", \"slo\": "
	  "\"1.5\"}]}",
	  "services[0].slo: not an objective" },
	/* IANA zones are not supported yet: refuse rather than compute wrong hours */
	{ "{\"format\": \"sitrep-import/1\", \"settings\": {\"business_hours\": {\"timezone\": "
	  "\"Europe/Berlin\"}}}",
	  "settings.business_hours.timezone: \"Europe/Berlin\" is not supported" },
	/* a working day ends after it starts */
	{ "{\"format\": \"sitrep-import/1\", \"settings\": {\"business_hours\": {\"start\": "
	  "\"17:00\", \"end\": \"09:00\"}}}",
	  "settings.business_hours.end: must be after start" },
	/* deployments need an environment */
	{ "{\"format\": \"sitrep-import/1\", \"deployments\": [{\"id\": \"D1\", \"source\": "
	  "\"github\", \"service\": \"api\", "
	  "\"status\": \"success\"}]}",
	  "deployments[0].environment: missing" },
	/* commits carry a sha */
	{ "{\"format\": \"sitrep-import/1\", \"deployments\": [{\"id\": \"D1\", \"source\": "
	  "\"github\", \"service\": \"api\", "
	  "\"environment\": \"production\", \"status\": \"success\", \"commits\": "
	  "[{\"committed_at\": \"2025-03-01T10:00:00Z\"}]}]}",
	  "deployments[0].commits[0].sha: missing" },
	/* the rollout pattern is a known word */
	{ "{\"format\": \"sitrep-import/1\", \"deployments\": [{\"id\": \"D1\", \"source\": "
	  "\"github\", \"service\": \"api\", "
	  "\"environment\": \"production\", \"status\": \"success\", \"pattern\": \"yolo\"}]}",
	  "deployments[0].pattern: \"yolo\" is not one of" },
	/* a control sequence in a bad value is not echoed to the terminal */
	{ "{\"format\": \"sitrep-import/1\", \"incidents\": [{\"id\": \"I1\", \"source\": \"s\", "
	  "\"service\": \"api\", "
	  "\"detected_at\": \"\\u001b[2Jnow\"}]}",
	  "not a timestamp: \"\\u001b[2Jnow\"" },
};

static char *
write_doc(const char *name, const char *doc)
{
	char *path = xasprintf("%s/%s.json", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(doc, f);
	fclose(f);
	return path;
}

static enum status_code
count_one(void *ctx, const struct store_incident *in)
{
	(void)in;
	(*(size_t *)ctx)++;
	return SUCCESS;
}

static size_t
incident_count(struct store *store)
{
	size_t n = 0;

	assert_int_equal(store_each_incident(store, NULL, count_one, &n), SUCCESS);
	return n;
}

static struct store *
open_cache(const char *name)
{
	char *path = xasprintf("%s/%s.db", dir, name);
	struct store *store;

	assert_int_equal(store_open(&store, path, 0), SUCCESS);
	free(path);
	return store;
}

static void
import__bad_documents_name_the_problem_and_import_nothing(void **state)
{
	struct store *store = open_cache("bad");
	struct import_report report;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char *path = write_doc("bad", bad[i].doc);
		bool found = false;

		assert_int_not_equal(import_file(store, path, &report), SUCCESS);
		for (j = 0; j < report.kept_problems; j++)
			found |= strstr(report.problems[j], bad[i].problem) != NULL;
		if (!found)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, bad[i].problem,
				 report.kept_problems ? report.problems[0] : "(no problem)");
		for (j = 0; j < report.kept_problems; j++)
			assert_null(strchr(report.problems[j], '\x1b'));
		assert_int_equal(incident_count(store), 0);
		import_report_release(&report);
		free(path);
	}
	store_close(&store);
}

static void
import__one_bad_record_rolls_back_the_good_ones(void **state)
{
	struct store *store = open_cache("rollback");
	struct import_report report;
	char *path = write_doc("mixed",
			       "{\"format\": \"sitrep-import/1\", \"incidents\": [" GOOD_INCIDENT
			       ", " GOOD_INCIDENT ", {\"id\": \"I3\"}]}");

	(void)state;
	assert_int_not_equal(import_file(store, path, &report), SUCCESS);
	assert_int_equal(report.n_problems, 3); /* I3: source, service, detected_at */
	assert_int_equal(incident_count(store), 0);
	import_report_release(&report);
	free(path);
	store_close(&store);
}

static void
import__accepts_the_format_variants(void **state)
{
	struct store *store = open_cache("good");
	struct import_report report;
	char *path = write_doc(
		"good",
		"{\"format\": \"sitrep-import/1\", \"comment\": \"unknown keys are ignored\",\n"
		" \"settings\": {\"reopen_merge_window_hours\": 12, \"business_hours\": "
		"{\"timezone\": \"+02:00\"}},\n"
		" \"services\": [\"api\", {\"name\": \"web\", \"slo\": 0.995, \"tier\": 1}, "
		"{\"name\": \"db\", \"slo\": \"99.9%\"}],\n"
		" \"incidents\": [{\"id\": \"I1\", \"source\": \"zabbix\", \"service\": [\"api\", "
		"\"web\"],\n"
		"   \"detected_at\": 1740823200, \"resolved_at\": \"2025-03-01 11:00:00\", "
		"\"x-note\": {\"a\": [1]}},\n"
		"  {\"id\": \"I2\", \"source\": \"sentry\", \"service\": \"db\", \"detected_at\": "
		"\"2025-03-01T10:00:00.123+01:00\"}],\n"
		" \"deployments\": []}");

	(void)state;
	assert_int_equal(import_file(store, path, &report), SUCCESS);
	assert_int_equal(report.incidents, 2);
	assert_int_equal(report.services, 3);
	assert_int_equal(incident_count(store), 2);
	import_report_release(&report);
	/* the same file again: still two */
	assert_int_equal(import_file(store, path, &report), SUCCESS);
	assert_int_equal(incident_count(store), 2);
	import_report_release(&report);
	free(path);
	store_close(&store);
}

static void
import__counts_problems_past_the_kept_ones(void **state)
{
	struct store *store = open_cache("many");
	struct import_report report;
	struct buf doc;
	char *path;
	int i;

	(void)state;
	buf_init(&doc, 0);
	buf_addstr(&doc, "{\"format\": \"sitrep-import/1\", \"incidents\": [");
	for (i = 0; i < 500; i++)
		buf_printf(&doc, "%s{\"id\": \"I%d\", \"source\": \"s\", \"service\": \"api\"}",
			   i ? "," : "", i);
	buf_addstr(&doc, "]}");
	path = write_doc("many", doc.data);
	assert_int_not_equal(import_file(store, path, &report), SUCCESS);
	assert_int_equal(report.n_problems, 500);
	assert_true(report.kept_problems < report.n_problems);
	import_report_release(&report);
	buf_release(&doc);
	free(path);
	store_close(&store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(import__bad_documents_name_the_problem_and_import_nothing),
		cmocka_unit_test(import__one_bad_record_rolls_back_the_good_ones),
		cmocka_unit_test(import__accepts_the_format_variants),
		cmocka_unit_test(import__counts_problems_past_the_kept_ones),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
