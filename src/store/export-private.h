/* export-private.h - what the files of `sitrep export` share: export.c (the
 * document, incidents, deployments, pipelines, events, samples) and
 * export_branches.c (branches and check runs). Not for other modules. */
#ifndef SITREP_STORE_EXPORT_PRIVATE_H
#define SITREP_STORE_EXPORT_PRIVATE_H

#include <jansson.h>

#include "sitrep/import.h"
#include "sitrep/store.h"

struct exporter {
	FILE *out;
	enum export_format format;
	size_t count;
};

/* A JSON string, or null for NULL (new reference). */
json_t *export_text(const char *s);
/* Writes one JSON record of the list (steals rec). */
enum status_code export_write(struct exporter *ex, json_t *rec);
/* One CSV field, sanitized and quoted as needed, then ',' or, when last, '\n'. */
void export_csv_field(FILE *out, const char *s, bool last);
/* An instant as RFC 3339 UTC; empty for TIME_NONE. */
void export_csv_time(FILE *out, int64_t t, bool last);

/* export_branches.c: the CSV headers and the per-record callbacks (ctx: the
 * exporter). */
extern const char export_branch_csv_header[];
extern const char export_check_csv_header[];
enum status_code export_branch(void *ctx, const struct store_branch *branch);
enum status_code export_check_run(void *ctx, const struct store_check_run *check);

#endif
