/* run_mttx.c - feeds the cache's incidents to the MTTx engine. A large cache is
 * scanned in two halves by id, the second by a worker thread with its own read-only
 * connection (SQLite connections are not shared between threads) and its own
 * accumulator; the accumulators then merge, since nothing they hold depends on row
 * order. The console's sync worker uses the same scan from its own thread. */
#include "sitrep/sitrep.h"
#include "cli-private.h"

#include <pthread.h>
#include <unistd.h>

/* Below this many incidents a second thread costs more than it saves. */
#define PARALLEL_MIN_ROWS 50000

struct scan_job {
	const char *path; /* the cache, opened again by the worker */
	const struct service_set *set;
	int64_t from, to, id_lo, id_hi;
	struct mttx *mttx;
	enum status_code code;
	char error[256]; /* the worker's message (error text is per thread) */
};

static void
add_row(void *ctx, const struct mx_incident *incident)
{
	mttx_add(ctx, incident);
}

static enum status_code
scan(struct store *store, struct scan_job *job)
{
	return store_scan_metric_range(store, job->from, job->to, job->id_lo, job->id_hi,
				       job->set->index_by_id, job->set->n_index, add_row,
				       job->mttx);
}

static void *
scan_worker(void *arg)
{
	struct scan_job *job = arg;
	struct store *store = NULL;

	job->code = store_open(&store, job->path, STORE_READONLY);
	if (job->code == SUCCESS)
		job->code = scan(store, job);
	if (job->code != SUCCESS)
		snprintf(job->error, sizeof(job->error), "%s", status_message(job->code));
	store_close(&store);
	return NULL;
}

static bool
two_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n >= 2 && !getenv("SITREP_ONE_THREAD");
}

/* Scans [from, to) into mttx, splitting the ids in two when it pays. */
static enum status_code
scan_all(struct store *store, const struct mttx_params *params, struct scan_job *job)
{
	struct scan_job half;
	pthread_t thread;
	int64_t lo, hi, count;
	enum status_code code;

	if ((code = store_incident_id_bounds(store, &lo, &hi, &count)) != SUCCESS)
		return code;
	if (count < PARALLEL_MIN_ROWS || !two_cores())
		return scan(store, job);
	half = *job;
	half.id_lo = lo + (hi - lo) / 2;
	half.mttx = mttx_new(params);
	job->id_hi = half.id_lo;
	if (pthread_create(&thread, NULL, scan_worker, &half) != 0) {
		mttx_free(&half.mttx);
		job->id_hi = INT64_MAX;
		return scan(store, job);
	}
	code = scan(store, job);
	pthread_join(thread, NULL);
	if (code == SUCCESS && half.code != SUCCESS)
		code = error("%s", half.error);
	if (code == SUCCESS)
		mttx_merge(job->mttx, half.mttx);
	mttx_free(&half.mttx);
	return code;
}

enum status_code
mttx_run(struct store *store, const struct service_set *set, const struct mx_window *window,
	 const struct mx_window *windows, size_t n_windows, struct mttx_result *result)
{
	struct engine_settings st;
	struct mttx_params params = { 0 };
	struct scan_job job = { 0 };
	enum status_code code;
	size_t i;

	if ((code = engine_settings_load(store, &st)) != SUCCESS)
		return code;
	params.window = *window;
	params.n_services = set->n_selected;
	params.reopen_merge_seconds = st.reopen_merge_seconds;
	params.business_hours = &st.hours;
	params.downtime_windows = windows;
	params.n_downtime_windows = n_windows;
	job.path = store_path(store);
	job.set = set;
	job.from = window->start;
	job.to = window->end;
	job.id_lo = INT64_MIN;
	job.id_hi = INT64_MAX;
	for (i = 0; i < n_windows; i++) {
		if (windows[i].start < job.from)
			job.from = windows[i].start;
		if (windows[i].end > job.to)
			job.to = windows[i].end;
	}
	job.mttx = mttx_new(&params);
	code = scan_all(store, &params, &job);
	if (code == SUCCESS)
		mttx_finish(job.mttx, result);
	mttx_free(&job.mttx);
	engine_settings_release(&st);
	return code;
}
