/* import.h - `sitrep import FILE`: the import format (sitrep-import/1, see
 * docs/sitrep.1) into the cache, in one transaction. A file with any invalid record
 * imports nothing; every problem is named by JSON path and reason. Importing the same
 * file twice changes nothing. `sitrep export` writes the same format back. */
#ifndef SITREP_IMPORT_H
#define SITREP_IMPORT_H

#include "sitrep/store.h"

#define IMPORT_FORMAT "sitrep-import/1"

struct import_report {
	size_t services, incidents, deployments;
	char **problems;   /* "incidents[3].detected_at: not a timestamp: \"x\"" */
	size_t n_problems; /* all of them, even past the kept ones */
	size_t kept_problems;
};

/* Imports path ("-": standard input). Returns SUCCESS only when everything was
 * imported; on invalid records report->problems says why and the cache is unchanged. */
enum status_code import_file(struct store *store, const char *path, struct import_report *report);
void import_report_release(struct import_report *report);

enum export_format {
	EXPORT_JSON,
	EXPORT_CSV,
};

enum export_kind {
	EXPORT_INCIDENTS,
	EXPORT_DEPLOYMENTS,
	EXPORT_EVENTS,
	EXPORT_SAMPLES,
	EXPORT_PIPELINES,
	EXPORT_STAGES,
	EXPORT_TICKETS,
	EXPORT_BRANCHES,
	EXPORT_CHECKS,
	EXPORT_ACTIONS,
};

/* Writes what filter (NULL: everything) selects of kind to out, record by record.
 * Incidents and deployments in JSON are the import format, so export then import is
 * lossless (an incident also carries its status, which import derives again);
 * tickets are the incidents that are tickets, in the same format; events, samples,
 * pipelines (with their stages), stages (one per pipeline stage) and actions (the
 * audit log: rollbacks and what became of them) are
 * {"format":"sitrep-export/1","KIND":[...]}. */
enum status_code export_records(struct store *store, FILE *out, enum export_kind kind,
				enum export_format format, const struct store_filter *filter);

#endif
