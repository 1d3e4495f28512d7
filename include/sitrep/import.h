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

/* Writes every incident (with the services) or every deployment to out. The JSON is
 * the import format, so export then import is lossless. */
enum status_code export_incidents(struct store *store, FILE *out, enum export_format format);
enum status_code export_deployments(struct store *store, FILE *out, enum export_format format);

#endif
