/* servicenow.h - what the ServiceNow source's two files share: servicenow.c asks
 * the Table API for rows and keeps the sync state, servicenow_map.c reads the rows
 * and turns them into records. Private to src/sources. */
#ifndef SITREP_SOURCES_SERVICENOW_H
#define SITREP_SOURCES_SERVICENOW_H

#include <jansson.h>

#define SN_TYPE "servicenow"

/* Where a row came from, for messages: "servicenow incident: task_sla row 2
 * (INC0010001): ...". */
struct sn_where {
	const char *stream;
	const char *table;
	size_t index;
	const char *label; /* the row's number or sys_id once known, or NULL */
};

/* An error about one field of a row; value (untrusted) is quoted sanitized. */
enum status_code sn_field_error(const struct sn_where *w, const char *field, const char *what,
				const char *value);

/* The row's text value of key. Table API values are strings; a reference is a
 * {"link", "value"} object unless sysparm_exclude_reference_link is honoured, and
 * both forms are read. Absent and null read as "". */
enum status_code sn_text(const struct sn_where *w, const json_t *row, const char *key,
			 const char **out);
/* A raw (UTC) "yyyy-MM-dd HH:mm:ss", or TIME_NONE for "". */
enum status_code sn_time(const struct sn_where *w, const json_t *row, const char *key,
			 int64_t *out);

/* An incident row, checked. Text is borrowed from the row. */
struct sn_incident {
	const char *sys_id, *number, *title, *state, *priority, *service, *assignee;
	const char *correlation_id;
	int64_t updated, created, opened, resolved, closed, reopened;
	long reopen_count;
};

/* A task_sla row. */
struct sn_sla {
	const char *sys_id, *task, *name, *kind, *stage;
	bool business, breached;
	int64_t updated, target, start, due, stop, paused, pause_time;
};

/* A sys_audit row of an incident's state. */
struct sn_change {
	const char *sys_id, *incident, *from, *to, *user;
	int64_t at;
	long checkpoint; /* the record's update count: orders changes within a second */
};

/* A sys_journal_field work note. */
struct sn_note {
	const char *sys_id, *incident, *text, *author;
	int64_t at;
};

enum status_code sn_read_incident(const struct sn_where *w, const json_t *row,
				  struct sn_incident *out);
enum status_code sn_read_sla(const struct sn_where *w, const json_t *row, struct sn_sla *out);
enum status_code sn_read_change(const struct sn_where *w, const json_t *row, struct sn_change *out);
enum status_code sn_read_note(const struct sn_where *w, const json_t *row, struct sn_note *out);

/* Every row of the array rows read with read (one of the above, into a scratch
 * record): the check a step makes before it keeps rows for a later one. */
enum status_code sn_check_rows(const char *stream, const char *table, const json_t *rows);

/* The state name of a raw state value ("2": "In Progress"), or the value itself
 * for one the base system does not define (instances add their own). */
const char *sn_state_name(const char *code);

/* The incidents of a batch (arrays of rows, checked) with their SLA instances and
 * state changes, into page: the records and their timeline. */
enum status_code sn_emit_incidents(const struct source_ctx *ctx, const char *stream,
				   const json_t *incidents, const json_t *slas,
				   const json_t *changes, struct source_page *page);
/* Work notes as "note" events. */
enum status_code sn_emit_notes(const char *stream, const json_t *notes, struct source_page *page);

#endif
