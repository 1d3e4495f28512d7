/* cmd_mttx.c - `sitrep mttx`: MTTD, MTTA, MTTC, MTTR, downtime, availability,
 * failures, MTBF, MDT and SLA compliance over a window, per service and pooled.
 * The cache streams incidents into the engine; nothing here holds a table. */
#include "sitrep/sitrep.h"
#include "cli-private.h"

#include <math.h>

/* ---- JSON ---- */

json_t *report_window(const struct mx_window *window);

json_t *
report_window(const struct mx_window *window)
{
	char from[TIMESTAMP_TEXT_SIZE], to[TIMESTAMP_TEXT_SIZE];

	timestamp_format(window->start, from, sizeof(from));
	timestamp_format(window->end, to, sizeof(to));
	return json_pack("{s:s,s:s,s:f}", "from", from, "to", to, "minutes",
			 (double)(window->end - window->start) / 60.0);
}

typedef json_t *(*figure_fn)(const struct mttx_figures *f);

/* {service: fn(figures), ..., all: fn(pooled)} */
static json_t *
per_service(const struct service_set *set, const struct mttx_result *r, figure_fn fn)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < set->n_selected; i++)
		json_object_set_new(o, set->selected[i]->name, fn(&r->services[i]));
	json_object_set_new(o, "all", fn(&r->all));
	return o;
}

#define FIGURE_FN(name, expr)                             \
	static json_t *name(const struct mttx_figures *f) \
	{                                                 \
		return expr;                              \
	}

FIGURE_FN(fig_ttd, report_stat(&f->ttd))
FIGURE_FN(fig_tta, report_stat(&f->tta))
FIGURE_FN(fig_ttc, report_stat(&f->ttc))
FIGURE_FN(fig_ttr, report_stat(&f->ttr))
FIGURE_FN(fig_unacked, json_integer((json_int_t)f->unacknowledged))
FIGURE_FN(fig_open, json_integer((json_int_t)f->open_at_window_end))
FIGURE_FN(fig_downtime, report_number(f->downtime))
FIGURE_FN(fig_availability, report_number(f->availability))
FIGURE_FN(fig_failures, json_integer((json_int_t)f->failures))
FIGURE_FN(fig_mtbf, report_number(f->mtbf))
FIGURE_FN(fig_mdt, report_number(f->mdt))
FIGURE_FN(fig_sla_met, json_integer((json_int_t)f->sla_met))
FIGURE_FN(fig_sla_breached, json_integer((json_int_t)f->sla_breached))
FIGURE_FN(fig_sla_compliance, report_number(f->sla_compliance))

static json_t *
mttx_json(const struct service_set *set, const struct mx_window *window,
	  const struct mttx_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "window", report_window(window));
	json_object_set_new(o, "mttd", per_service(set, r, fig_ttd));
	json_object_set_new(o, "mtta", per_service(set, r, fig_tta));
	json_object_set_new(o, "unacknowledged_in_window", per_service(set, r, fig_unacked));
	json_object_set_new(o, "mttc", per_service(set, r, fig_ttc));
	json_object_set_new(o, "mttr", per_service(set, r, fig_ttr));
	json_object_set_new(o, "open_at_window_end", per_service(set, r, fig_open));
	json_object_set_new(o, "downtime", per_service(set, r, fig_downtime));
	json_object_set_new(o, "availability", per_service(set, r, fig_availability));
	json_object_set_new(o, "failures", per_service(set, r, fig_failures));
	json_object_set_new(o, "mtbf", per_service(set, r, fig_mtbf));
	json_object_set_new(o, "mdt", per_service(set, r, fig_mdt));
	json_object_set_new(o, "sla",
			    json_pack("{s:o,s:o,s:o}", "met", per_service(set, r, fig_sla_met),
				      "breached", per_service(set, r, fig_sla_breached),
				      "compliance", per_service(set, r, fig_sla_compliance)));
	return o;
}

/* ---- table ---- */

/* Minutes as "1h 05m"; "-" when undefined. */
const char *fmt_minutes(double minutes, char *buf, size_t size);

const char *
fmt_minutes(double minutes, char *buf, size_t size)
{
	if (isnan(minutes))
		snprintf(buf, size, "-");
	else
		duration_format((int64_t)llround(minutes * 60), buf, size);
	return buf;
}

/* One row; with two to four samples the samples themselves follow the note, since
 * their p90 is mostly interpolation (spec §6). */
static void
stat_row(const char *name, const struct mx_stat *s, const char *note)
{
	char a[32], b[32], c[32], v[32];
	struct buf notes;

	buf_init(&notes, 0);
	buf_addstr(&notes, note);
	if (s->n >= 2 && s->n <= MX_STAT_FEW) {
		buf_addstr(&notes, notes.len ? "; values " : "values ");
		for (size_t i = 0; i < s->n; i++)
			buf_printf(&notes, "%s%s", i ? ", " : "",
				   fmt_minutes(s->few[i], v, sizeof(v)));
	}
	printf("  %-16s %10s %10s %10s %6zu%s%s\n", name, fmt_minutes(s->median, a, sizeof(a)),
	       fmt_minutes(s->mean, b, sizeof(b)), fmt_minutes(s->p90, c, sizeof(c)), s->n,
	       notes.len ? "  " : "", notes.len ? notes.data : "");
	buf_release(&notes);
}

enum stat_kind {
	STAT_TTD,
	STAT_TTA,
	STAT_TTC,
	STAT_TTR
};

static const struct mx_stat *
pick(const struct mttx_figures *f, enum stat_kind kind)
{
	const struct mx_stat *stats[] = { &f->ttd, &f->tta, &f->ttc, &f->ttr };

	return stats[kind];
}

static void
excluded_note(const struct mttx_figures *f, enum stat_kind kind, char *buf, size_t size)
{
	char age[32];

	buf[0] = '\0';
	if (kind == STAT_TTD && f->ttd_excluded_imputed)
		snprintf(buf, size, "%zu without impact start", f->ttd_excluded_imputed);
	else if (kind == STAT_TTA && f->unacknowledged)
		snprintf(buf, size, "%zu never acknowledged", f->unacknowledged);
	else if (kind == STAT_TTR && f->open_at_window_end)
		snprintf(buf, size, "%zu open (oldest %s)", f->open_at_window_end,
			 fmt_minutes((double)f->oldest_open_seconds / 60, age, sizeof(age)));
}

static void
stat_block(const struct service_set *set, const struct mttx_result *r, enum stat_kind kind,
	   const char *title)
{
	char note[96];
	size_t i;

	printf("\n%s\n  %-16s %10s %10s %10s %6s  %s\n", title, "service", "median", "mean", "p90",
	       "n", "notes");
	for (i = 0; i < set->n_selected; i++) {
		excluded_note(&r->services[i], kind, note, sizeof(note));
		stat_row(set->selected[i]->name, pick(&r->services[i], kind), note);
	}
	excluded_note(&r->all, kind, note, sizeof(note));
	stat_row("all", pick(&r->all, kind), note);
}

static void
availability_row(const char *name, const struct mttx_figures *f)
{
	char d[32], m[32], t[32], sla[32];

	if (f->sla_met + f->sla_breached)
		snprintf(sla, sizeof(sla), "%zu/%zu %.2f%%", f->sla_met,
			 f->sla_met + f->sla_breached, f->sla_compliance * 100);
	else
		snprintf(sla, sizeof(sla), "-");
	printf("  %-16s %10s %9.4f%% %8zu %10s %10s  %s\n", name,
	       fmt_minutes(f->downtime, d, sizeof(d)), f->availability * 100, f->failures,
	       fmt_minutes(f->mtbf, m, sizeof(m)), fmt_minutes(f->mdt, t, sizeof(t)), sla);
}

static void
mttx_table(const struct service_set *set, const struct mx_window *window,
	   const struct mttx_result *r)
{
	char from[TIMESTAMP_TEXT_SIZE], to[TIMESTAMP_TEXT_SIZE], len[32];
	size_t i;

	timestamp_format(window->start, from, sizeof(from));
	timestamp_format(window->end, to, sizeof(to));
	duration_format(window->end - window->start, len, sizeof(len));
	printf("window %s .. %s (%s)\n", from, to, len);
	stat_block(set, r, STAT_TTD, "MTTD  time to detect (impact start -> detected)");
	stat_block(set, r, STAT_TTA, "MTTA  time to acknowledge (detected -> acknowledged)");
	stat_block(set, r, STAT_TTC, "MTTC  time to contain (detected -> contained)");
	stat_block(set, r, STAT_TTR, "MTTR  time to recovery (impact start -> resolved)");
	printf("\nAVAILABILITY  outages only; MDT = mean downtime per failure\n"
	       "  %-16s %10s %10s %8s %10s %10s  %s\n",
	       "service", "downtime", "avail", "failures", "MTBF", "MDT", "SLA met");
	for (i = 0; i < set->n_selected; i++)
		availability_row(set->selected[i]->name, &r->services[i]);
	availability_row("all", &r->all);
}

struct mttx_report {
	const struct service_set *set;
	const struct mx_window *window;
	const struct mttx_result *result;
};

static void
table_of(const void *ctx)
{
	const struct mttx_report *r = ctx;

	mttx_table(r->set, r->window, r->result);
}

static json_t *
json_of(const void *ctx)
{
	const struct mttx_report *r = ctx;

	return mttx_json(r->set, r->window, r->result);
}

int
cmd_mttx(int argc, char **argv, const struct global_opts *gopts)
{
	struct report_session s;
	struct mttx_result result = { 0 };
	struct mttx_report report = { &s.set, &s.opts.window, &result };
	enum status_code code;
	int rc;

	if ((rc = report_session_open(&s, argc, argv, "mttx", gopts)) != EXIT_OK || !s.store)
		goto out;
	if ((code = mttx_run(s.store, &s.set, &s.opts.window, NULL, 0, &result)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	rc = report_output(s.opts.format, table_of, json_of, &report);
	mttx_result_release(&result);
out:
	report_session_close(&s);
	return rc;
}
