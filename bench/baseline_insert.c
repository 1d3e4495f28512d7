/* baseline_insert.c - the storage baseline of bench/sync.sh: raw SQLite inserting the
 * rows a sync stored, with one prepared statement, in one transaction.
 *
 *   baseline_insert incidents SRC.db DST.db
 *   baseline_insert samples SRC.db DST.db [series|time]
 *
 * Reads the rows of incidents (or metric_samples) out of SRC, a cache that sitrep
 * filled, into memory; creates in DST (which must not exist) the same table from
 * SRC's own CREATE statements, with its indexes and the parent table its foreign key
 * names (services, metric_series: copied, not timed), with the pragmas sitrep sets
 * on its cache (foreign keys, WAL, synchronous NORMAL, 64 MB page cache); then times
 * BEGIN, one INSERT per row through one prepared statement, COMMIT. Samples go in
 * series-major order (series_id, ts), the order of the primary key and of a
 * query_range answer, or time-major (ts, series_id) with "time". Prints one line:
 * "rows R seconds S rows_per_s X". */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One column value of a row, copied out of SRC. */
struct cell {
	int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
	sqlite3_int64 i;
	double d;
	char *s;
	int len;
};

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "baseline_insert: %s%s%s\n", what, db ? ": " : "",
		db ? sqlite3_errmsg(db) : "");
	exit(1);
}

static void
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "baseline_insert: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs SRC's CREATE statements of table (and of its indexes) in dst. */
static void
copy_schema(sqlite3 *src, sqlite3 *dst, const char *table)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(src,
			       "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT "
			       "NULL ORDER BY type = 'index'",
			       -1, &st, NULL) != SQLITE_OK)
		die(src, "reading the schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		exec(dst, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Copies every row of a parent table as it is (untimed). */
static void
copy_rows(sqlite3 *dst, const char *src_path, const char *table)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "ATTACH '%s' AS src; INSERT INTO main.%s SELECT * FROM src.%s; "
		 "DETACH src;",
		 src_path, table, table);
	exec(dst, sql);
}

/* The rows of select_sql, ncol columns each, in rows[nrows * ncol]. */
static struct cell *
load_rows(sqlite3 *src, const char *select_sql, int ncol, size_t *nrows)
{
	struct cell *rows = NULL;
	size_t alloc = 0, n = 0;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(src, select_sql, -1, &st, NULL) != SQLITE_OK)
		die(src, "reading the rows");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 65536;
			if (!(rows = realloc(rows, alloc * (size_t)ncol * sizeof(*rows))))
				die(NULL, "out of memory");
		}
		for (int c = 0; c < ncol; c++) {
			struct cell *cell = &rows[n * (size_t)ncol + (size_t)c];

			memset(cell, 0, sizeof(*cell));
			cell->type = sqlite3_column_type(st, c);
			if (cell->type == SQLITE_INTEGER) {
				cell->i = sqlite3_column_int64(st, c);
			} else if (cell->type == SQLITE_FLOAT) {
				cell->d = sqlite3_column_double(st, c);
			} else if (cell->type == SQLITE_TEXT) {
				cell->len = sqlite3_column_bytes(st, c);
				if (!(cell->s = malloc((size_t)cell->len + 1)))
					die(NULL, "out of memory");
				memcpy(cell->s, sqlite3_column_text(st, c), (size_t)cell->len + 1);
			} else {
				cell->type = SQLITE_NULL;
			}
		}
		n++;
	}
	sqlite3_finalize(st);
	*nrows = n;
	return rows;
}

static void
bind(sqlite3_stmt *st, int col, const struct cell *c)
{
	switch (c->type) {
	case SQLITE_INTEGER:
		sqlite3_bind_int64(st, col, c->i);
		break;
	case SQLITE_FLOAT:
		sqlite3_bind_double(st, col, c->d);
		break;
	case SQLITE_TEXT:
		sqlite3_bind_text(st, col, c->s, c->len, SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(st, col);
	}
}

#define INCIDENT_COLUMNS                                                                        \
	"source, source_id, service_id, title, severity, impact, impact_start, detected_at, "   \
	"acknowledged_at, contained_at, resolved_at, closed_at, reopen_count, extra_services, " \
	"caused_by, url, sla_policy, sla_target, sla_schedule, sla_start, sla_stop, "           \
	"sla_pause_count, updated_at"

int
main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	bool incidents = strcmp(kind, "incidents") == 0;
	bool time_major = argc > 4 && strcmp(argv[4], "time") == 0;
	const char *select_sql, *insert_sql, *table, *parent = "metric_series";
	sqlite3 *src, *dst;
	sqlite3_stmt *ins;
	struct cell *rows;
	size_t nrows;
	int ncol;
	double t0, t1;

	if (argc < 4 || (!incidents && strcmp(kind, "samples") != 0))
		die(NULL, "usage: baseline_insert incidents|samples SRC.db DST.db [series|time]");
	if (incidents) {
		table = "incidents";
		ncol = 23;
		select_sql = "SELECT " INCIDENT_COLUMNS " FROM incidents ORDER BY id";
		insert_sql = "INSERT INTO incidents(" INCIDENT_COLUMNS ") VALUES (?, ?, ?, ?, ?, "
			     "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	} else {
		table = "metric_samples";
		parent = "metric_series";
		ncol = 3;
		select_sql = time_major ? "SELECT series_id, ts, value FROM metric_samples "
					  "ORDER BY ts, series_id"
					: "SELECT series_id, ts, value FROM metric_samples "
					  "ORDER BY series_id, ts";
		insert_sql = "INSERT INTO metric_samples(series_id, ts, value) VALUES (?, ?, ?)";
	}
	if (sqlite3_open_v2(argv[2], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(src, argv[2]);
	rows = load_rows(src, select_sql, ncol, &nrows);
	if (sqlite3_open_v2(argv[3], &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		die(dst, argv[3]);
	exec(dst, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
		  "PRAGMA cache_size = -65536");
	/* incidents and metric_series name services */
	copy_schema(src, dst, "services");
	copy_rows(dst, argv[2], "services");
	if (!incidents) {
		copy_schema(src, dst, parent);
		copy_rows(dst, argv[2], parent);
	}
	copy_schema(src, dst, table);
	exec(dst, "PRAGMA foreign_keys = ON");
	if (sqlite3_prepare_v2(dst, insert_sql, -1, &ins, NULL) != SQLITE_OK)
		die(dst, "preparing the insert");

	t0 = now_seconds();
	exec(dst, "BEGIN IMMEDIATE");
	for (size_t r = 0; r < nrows; r++) {
		for (int c = 0; c < ncol; c++)
			bind(ins, c + 1, &rows[r * (size_t)ncol + (size_t)c]);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die(dst, "inserting");
		sqlite3_reset(ins);
	}
	exec(dst, "COMMIT");
	t1 = now_seconds();

	printf("rows %zu seconds %.4f rows_per_s %.0f\n", nrows, t1 - t0,
	       (double)nrows / (t1 - t0));
	sqlite3_finalize(ins);
	sqlite3_close(dst);
	sqlite3_close(src);
	for (size_t i = 0; i < nrows * (size_t)ncol; i++)
		free(rows[i].s);
	free(rows);
	return 0;
}
