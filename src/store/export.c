/* export.c - `sitrep export`: the cache's incidents or deployments as the import
 * format (JSON, so that export then import is lossless), and the incident events,
 * metric samples, pipelines and their stages that arrived, as JSON or as CSV for
 * spreadsheets; branches and check runs are in export_branches.c.
 *
 * Records are written one at a time as they are read; the document is never built
 * whole. JSON escapes everything outside ASCII, and CSV text goes through the
 * sanitizer, so neither can carry terminal escape sequences to whoever cats it. */
#include "sitrep/sitrep.h"
#include "sitrep/import.h"
#include "sitrep/json.h"
#include "sitrep/text.h"
#include "export-private.h"

#include <math.h>

json_t *
export_text(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Minutes as an integer when whole, so 120 stays 120 and not 120.0. */
static json_t *
minutes_value(int64_t seconds)
{
	if (seconds % 60 == 0)
		return json_integer(seconds / 60);
	return json_real((double)seconds / 60.0);
}

enum status_code
export_write(struct exporter *ex, json_t *rec)
{
	enum status_code code;

	if (fputs(ex->count++ ? ",\n" : "\n", ex->out) == EOF)
		code = error("cannot write the export");
	else
		code = json_write(ex->out, rec);
	json_decref(rec);
	return code;
}

static json_t *
sla_json(const struct store_incident *in)
{
	json_t *sla = json_object(), *pauses = json_array();
	size_t i;

	json_object_set_new(sla, "policy", export_text(in->sla_policy));
	json_object_set_new(sla, "target_minutes", minutes_value(in->sla.target_seconds));
	json_object_set_new(sla, "schedule",
			    json_string(in->sla.schedule == MX_SCHEDULE_BUSINESS_HOURS
						? "business_hours"
						: "24x7"));
	json_object_set_new(sla, "start_time", json_time(in->sla.start_time));
	json_object_set_new(sla, "stop_time", json_time(in->sla.stop_time));
	for (i = 0; i < in->sla.n_pauses; i++)
		json_array_append_new(pauses, json_pack("[oo]", json_time(in->sla.pauses[i].start),
							json_time(in->sla.pauses[i].end)));
	json_object_set_new(sla, "pauses", pauses);
	return sla;
}

static const char *const impact_names[] = { "outage", "degraded", "planned" };

static json_t *
slas_json(const struct store_incident *in)
{
	json_t *list = json_array();

	for (size_t i = 0; i < in->n_slas; i++) {
		const struct store_sla *s = &in->slas[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(s->name));
		json_object_set_new(o, "kind", export_text(s->kind));
		json_object_set_new(o, "target_minutes",
				    s->target == TIME_NONE ? json_null()
							   : minutes_value(s->target));
		json_object_set_new(o, "schedule",
				    json_string(s->schedule == MX_SCHEDULE_BUSINESS_HOURS
							? "business_hours"
							: "24x7"));
		json_object_set_new(o, "start_at", json_time(s->start_at));
		json_object_set_new(o, "due_at", json_time(s->due_at));
		json_object_set_new(o, "stop_at", json_time(s->stop_at));
		json_object_set_new(o, "paused_minutes",
				    s->paused == TIME_NONE ? json_null()
							   : minutes_value(s->paused));
		json_object_set_new(o, "stage", export_text(s->stage));
		json_object_set_new(o, "breached", json_boolean(s->breached));
		json_array_append_new(list, o);
	}
	return list;
}

/* Where an incident stands now, from its milestones. */
static const char *
incident_status(const struct store_incident *in)
{
	if (in->closed_at != TIME_NONE)
		return "closed";
	if (in->resolved_at != TIME_NONE)
		return "resolved";
	if (in->acknowledged_at != TIME_NONE)
		return "acknowledged";
	return "open";
}

static json_t *
incident_json(const struct store_incident *in)
{
	json_t *rec = json_object(), *reopens = json_array(), *services;
	size_t i;

	json_object_set_new(rec, "id", json_string(in->source_id));
	json_object_set_new(rec, "source", json_string(in->source));
	if (in->n_services == 1) {
		services = json_string(in->services[0]);
	} else {
		services = json_array();
		for (i = 0; i < in->n_services; i++)
			json_array_append_new(services, json_string(in->services[i]));
	}
	json_object_set_new(rec, "service", services);
	json_object_set_new(rec, "title", export_text(in->title));
	json_object_set_new(rec, "severity", export_text(in->severity));
	json_object_set_new(rec, "status", json_string(incident_status(in)));
	json_object_set_new(rec, "impact", json_string(impact_names[in->impact]));
	json_object_set_new(rec, "impact_start", json_time(in->impact_start));
	json_object_set_new(rec, "detected_at", json_time(in->detected_at));
	json_object_set_new(rec, "acknowledged_at", json_time(in->acknowledged_at));
	json_object_set_new(rec, "contained_at", json_time(in->contained_at));
	json_object_set_new(rec, "resolved_at", json_time(in->resolved_at));
	json_object_set_new(rec, "closed_at", json_time(in->closed_at));
	for (i = 0; i < in->n_reopens; i++)
		json_array_append_new(reopens, json_pack("{s:o,s:o}", "resolved_at",
							 json_time(in->reopens[i].resolved_at),
							 "reopened_at",
							 json_time(in->reopens[i].reopened_at)));
	json_object_set_new(rec, "reopens", reopens);
	json_object_set_new(rec, "caused_by_deployment", export_text(in->caused_by));
	json_object_set_new(rec, "url", export_text(in->url));
	json_object_set_new(rec, "sla", in->sla.present ? sla_json(in) : json_null());
	if (in->ticket)
		json_object_set_new(rec, "ticket", json_true());
	json_object_set_new(rec, "state", export_text(in->state));
	json_object_set_new(rec, "assignee", export_text(in->assignee));
	if (in->parent_id)
		json_object_set_new(rec, "parent",
				    json_pack("{s:o,s:s,s:o}", "source",
					      export_text(in->parent_source), "id", in->parent_id,
					      "link", export_text(in->link)));
	if (in->n_slas)
		json_object_set_new(rec, "slas", slas_json(in));
	json_object_set_new(rec, "updated_at", json_time(in->updated_at));
	return rec;
}

static const char *const kind_names[] = { "normal", "hotfix", "rollback" };

static json_t *
deployment_json(const struct store_deployment *d)
{
	json_t *rec = json_object(), *commits = json_array();
	size_t i;

	json_object_set_new(rec, "id", json_string(d->source_id));
	json_object_set_new(rec, "source", json_string(d->source));
	json_object_set_new(rec, "service", json_string(d->service));
	json_object_set_new(rec, "environment", json_string(d->environment));
	json_object_set_new(rec, "status", json_string(d->status));
	json_object_set_new(rec, "kind", json_string(kind_names[d->kind]));
	json_object_set_new(rec, "version", export_text(d->version));
	json_object_set_new(rec, "sha", export_text(d->sha));
	json_object_set_new(rec, "pattern", export_text(d->pattern));
	json_object_set_new(rec, "started_at", json_time(d->started_at));
	json_object_set_new(rec, "finished_at", json_time(d->finished_at));
	json_object_set_new(rec, "fixes", export_text(d->fixes));
	json_object_set_new(rec, "rolled_back_by", export_text(d->rolled_back_by));
	for (i = 0; i < d->n_commits; i++)
		json_array_append_new(commits, json_pack("{s:s,s:o}", "sha", d->commits[i].sha,
							 "committed_at",
							 json_time(d->commits[i].committed_at)));
	json_object_set_new(rec, "commits", commits);
	json_object_set_new(rec, "canary_weight",
			    isnan(d->canary_weight) ? json_null() : json_real(d->canary_weight));
	json_object_set_new(rec, "bake_until", json_time(d->bake_until));
	json_object_set_new(rec, "replaces", export_text(d->replaces));
	json_object_set_new(rec, "pipeline", export_text(d->pipeline));
	json_object_set_new(rec, "target", export_text(d->target));
	json_object_set_new(rec, "url", export_text(d->url));
	json_object_set_new(rec, "updated_at", json_time(d->updated_at));
	return rec;
}

/* ---- CSV ---- */

void
export_csv_field(FILE *out, const char *s, bool last)
{
	char *safe;
	const char *p;

	if (s) {
		safe = text_sanitize(s, strlen(s), false);
		if (strpbrk(safe, ",\"\n")) {
			fputc('"', out);
			for (p = safe; *p; p++) {
				if (*p == '"')
					fputc('"', out);
				fputc(*p, out);
			}
			fputc('"', out);
		} else {
			fputs(safe, out);
		}
		free(safe);
	}
	fputc(last ? '\n' : ',', out);
}

void
export_csv_time(FILE *out, int64_t t, bool last)
{
	char text[TIMESTAMP_TEXT_SIZE];

	if (t != TIME_NONE)
		timestamp_format(t, text, sizeof(text));
	export_csv_field(out, t != TIME_NONE ? text : NULL, last);
}

static const char incident_csv_header[] =
	"source,id,services,title,severity,status,impact,impact_start,detected_at,acknowledged_at,"
	"contained_at,resolved_at,closed_at,reopens,caused_by_deployment,sla_policy,"
	"sla_target_minutes,sla_schedule,url,ticket,state,assignee,parent\n";

static void
incident_csv(FILE *out, const struct store_incident *in)
{
	struct buf b;
	size_t i;

	export_csv_field(out, in->source, false);
	export_csv_field(out, in->source_id, false);
	buf_init(&b, 0);
	for (i = 0; i < in->n_services; i++)
		buf_printf(&b, "%s%s", i ? ";" : "", in->services[i]);
	export_csv_field(out, b.data, false);
	buf_release(&b);
	export_csv_field(out, in->title, false);
	export_csv_field(out, in->severity, false);
	export_csv_field(out, incident_status(in), false);
	export_csv_field(out, impact_names[in->impact], false);
	export_csv_time(out, in->impact_start, false);
	export_csv_time(out, in->detected_at, false);
	export_csv_time(out, in->acknowledged_at, false);
	export_csv_time(out, in->contained_at, false);
	export_csv_time(out, in->resolved_at, false);
	export_csv_time(out, in->closed_at, false);
	fprintf(out, "%zu,", in->n_reopens);
	export_csv_field(out, in->caused_by, false);
	export_csv_field(out, in->sla_policy, false);
	if (in->sla.present)
		fprintf(out, "%g,%s,", (double)in->sla.target_seconds / 60,
			in->sla.schedule == MX_SCHEDULE_BUSINESS_HOURS ? "business_hours" : "24x7");
	else
		fputs(",,", out);
	export_csv_field(out, in->url, false);
	fputs(in->ticket ? "1," : "0,", out);
	export_csv_field(out, in->state, false);
	export_csv_field(out, in->assignee, false);
	if (in->parent_id) {
		char *parent = xasprintf("%s:%s", in->parent_source ? in->parent_source : "",
					 in->parent_id);

		export_csv_field(out, parent, true);
		free(parent);
	} else {
		export_csv_field(out, NULL, true);
	}
}

static const char deployment_csv_header[] =
	"source,id,service,environment,status,kind,version,sha,pattern,started_at,finished_at,"
	"fixes,rolled_back_by,commits,canary_weight,bake_until,replaces,pipeline,url\n";

static void
deployment_csv(FILE *out, const struct store_deployment *d)
{
	export_csv_field(out, d->source, false);
	export_csv_field(out, d->source_id, false);
	export_csv_field(out, d->service, false);
	export_csv_field(out, d->environment, false);
	export_csv_field(out, d->status, false);
	export_csv_field(out, kind_names[d->kind], false);
	export_csv_field(out, d->version, false);
	export_csv_field(out, d->sha, false);
	export_csv_field(out, d->pattern, false);
	export_csv_time(out, d->started_at, false);
	export_csv_time(out, d->finished_at, false);
	export_csv_field(out, d->fixes, false);
	export_csv_field(out, d->rolled_back_by, false);
	fprintf(out, "%zu,", d->n_commits);
	if (!isnan(d->canary_weight))
		fprintf(out, "%g", d->canary_weight);
	fputc(',', out);
	export_csv_time(out, d->bake_until, false);
	export_csv_field(out, d->replaces, false);
	export_csv_field(out, d->pipeline, false);
	export_csv_field(out, d->url, true);
}

static const char event_csv_header[] = "source,incident,service,at,kind,actor,text,id\n";

static json_t *
event_json(const struct store_event *ev)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "source", json_string(ev->source));
	json_object_set_new(rec, "incident", json_string(ev->incident_id));
	json_object_set_new(rec, "service", json_string(ev->service));
	json_object_set_new(rec, "at", json_time(ev->at));
	json_object_set_new(rec, "kind", json_string(ev->kind));
	json_object_set_new(rec, "actor", export_text(ev->actor));
	json_object_set_new(rec, "text", export_text(ev->text));
	json_object_set_new(rec, "id", export_text(ev->event_id[0] ? ev->event_id : NULL));
	return rec;
}

static void
event_csv(FILE *out, const struct store_event *ev)
{
	export_csv_field(out, ev->source, false);
	export_csv_field(out, ev->incident_id, false);
	export_csv_field(out, ev->service, false);
	export_csv_time(out, ev->at, false);
	export_csv_field(out, ev->kind, false);
	export_csv_field(out, ev->actor, false);
	export_csv_field(out, ev->text, false);
	export_csv_field(out, ev->event_id, true);
}

static const char sample_csv_header[] = "source,series,labels,service,ts,value\n";

/* JSON text of a string, escaped as everywhere else in the export. */
static void
put_string(FILE *out, const char *s)
{
	json_t *v = s ? json_string(s) : json_null();

	json_dumpf(v, out, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	json_decref(v);
}

/* Written by hand rather than through jansson, whose reals always take 17 digits:
 * a sample keeps the short text the upstream sent. */
static enum status_code
sample_json(struct exporter *ex, const struct store_sample *s)
{
	char ts[TIMESTAMP_TEXT_SIZE], value[DOUBLE_TEXT_SIZE];

	timestamp_format(s->ts, ts, sizeof(ts));
	if (isfinite(s->value))
		double_format(s->value, value, sizeof(value));
	else
		string_copy(value, "null");
	fputs(ex->count++ ? ",\n{\"source\":" : "\n{\"source\":", ex->out);
	put_string(ex->out, s->source);
	fputs(",\"series\":", ex->out);
	put_string(ex->out, s->series);
	fputs(",\"labels\":", ex->out);
	put_string(ex->out, s->labels);
	fputs(",\"service\":", ex->out);
	put_string(ex->out, s->service);
	fprintf(ex->out, ",\"ts\":\"%s\",\"value\":%s}", ts, value);
	return ferror(ex->out) ? error("cannot write the export") : SUCCESS;
}

static void
sample_csv(FILE *out, const struct store_sample *s)
{
	char value[DOUBLE_TEXT_SIZE];

	export_csv_field(out, s->source, false);
	export_csv_field(out, s->series, false);
	export_csv_field(out, s->labels, false);
	export_csv_field(out, s->service, false);
	export_csv_time(out, s->ts, false);
	double_format(s->value, value, sizeof(value));
	fprintf(out, "%s\n", value);
}

/* One record out: CSV through write_csv, else JSON through make_json. */
#define EXPORT_ONE(ex, rec, write_csv, make_json)                                   \
	((ex)->format == EXPORT_CSV                                                 \
		 ? (write_csv((ex)->out, rec),                                      \
		    ferror((ex)->out) ? error("cannot write the export") : SUCCESS) \
		 : export_write(ex, make_json(rec)))

static const char action_csv_header[] = "at,actor,host,kind,target,result,detail\n";

static json_t *
action_json(const struct store_action *a)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "at", json_time(a->at));
	json_object_set_new(rec, "actor", json_string(a->actor));
	json_object_set_new(rec, "host", export_text(a->host));
	json_object_set_new(rec, "kind", json_string(a->kind));
	json_object_set_new(rec, "target", json_string(a->target));
	json_object_set_new(rec, "result", json_string(a->result));
	json_object_set_new(rec, "detail", export_text(a->detail));
	return rec;
}

static void
action_csv(FILE *out, const struct store_action *a)
{
	export_csv_time(out, a->at, false);
	export_csv_field(out, a->actor, false);
	export_csv_field(out, a->host, false);
	export_csv_field(out, a->kind, false);
	export_csv_field(out, a->target, false);
	export_csv_field(out, a->result, false);
	export_csv_field(out, a->detail, true);
}

static enum status_code
each_action(void *ctx, const struct store_action *a)
{
	return EXPORT_ONE((struct exporter *)ctx, a, action_csv, action_json);
}

static enum status_code
each_event(void *ctx, const struct store_event *ev)
{
	return EXPORT_ONE((struct exporter *)ctx, ev, event_csv, event_json);
}

static enum status_code
each_sample(void *ctx, const struct store_sample *s)
{
	struct exporter *ex = ctx;

	if (ex->format == EXPORT_JSON)
		return sample_json(ex, s);
	sample_csv(ex->out, s);
	return ferror(ex->out) ? error("cannot write the export") : SUCCESS;
}

static json_t *
stage_json(const struct store_stage *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(st->name));
	json_object_set_new(o, "kind", export_text(st->kind));
	json_object_set_new(o, "status", json_string(st->status));
	json_object_set_new(o, "started_at", json_time(st->started_at));
	json_object_set_new(o, "finished_at", json_time(st->finished_at));
	json_object_set_new(o, "coverage",
			    isnan(st->coverage) ? json_null() : json_real(st->coverage));
	json_object_set_new(o, "url", export_text(st->url));
	return o;
}

/* The pipeline without its stages: the head of a pipeline and of each stage row. */
static json_t *
pipeline_head_json(const struct store_pipeline *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "source", json_string(p->source));
	json_object_set_new(o, "id", json_string(p->source_id));
	json_object_set_new(o, "project", json_string(p->project));
	json_object_set_new(o, "service", export_text(p->service));
	json_object_set_new(o, "name", export_text(p->name));
	json_object_set_new(o, "number",
			    p->number == TIME_NONE ? json_null() : json_integer(p->number));
	json_object_set_new(o, "ref", export_text(p->ref));
	json_object_set_new(o, "sha", export_text(p->sha));
	json_object_set_new(o, "event", export_text(p->event));
	json_object_set_new(o, "actor", export_text(p->actor));
	json_object_set_new(o, "status", json_string(p->status));
	json_object_set_new(o, "queued_at", json_time(p->queued_at));
	json_object_set_new(o, "started_at", json_time(p->started_at));
	json_object_set_new(o, "finished_at", json_time(p->finished_at));
	json_object_set_new(o, "url", export_text(p->url));
	return o;
}

static const char pipeline_csv_header[] =
	"source,id,project,service,name,number,ref,sha,event,actor,status,queued_at,started_at,"
	"finished_at,stages,url\n";

static void
pipeline_csv(FILE *out, const struct store_pipeline *p)
{
	export_csv_field(out, p->source, false);
	export_csv_field(out, p->source_id, false);
	export_csv_field(out, p->project, false);
	export_csv_field(out, p->service, false);
	export_csv_field(out, p->name, false);
	if (p->number != TIME_NONE)
		fprintf(out, "%lld", (long long)p->number);
	fputc(',', out);
	export_csv_field(out, p->ref, false);
	export_csv_field(out, p->sha, false);
	export_csv_field(out, p->event, false);
	export_csv_field(out, p->actor, false);
	export_csv_field(out, p->status, false);
	export_csv_time(out, p->queued_at, false);
	export_csv_time(out, p->started_at, false);
	export_csv_time(out, p->finished_at, false);
	fprintf(out, "%zu,", p->n_stages);
	export_csv_field(out, p->url, true);
}

static enum status_code
each_pipeline(void *ctx, const struct store_pipeline *p)
{
	struct exporter *ex = ctx;
	json_t *o, *stages;

	if (ex->format == EXPORT_CSV) {
		pipeline_csv(ex->out, p);
		return ferror(ex->out) ? error("cannot write the export") : SUCCESS;
	}
	o = pipeline_head_json(p);
	stages = json_array();
	for (size_t i = 0; i < p->n_stages; i++)
		json_array_append_new(stages, stage_json(&p->stages[i]));
	json_object_set_new(o, "stages", stages);
	return export_write(ex, o);
}

static const char stage_csv_header[] =
	"source,pipeline,project,sha,position,name,kind,status,started_at,finished_at,coverage,"
	"url\n";

static enum status_code
each_stage_of(void *ctx, const struct store_pipeline *p)
{
	struct exporter *ex = ctx;
	enum status_code code = SUCCESS;

	for (size_t i = 0; i < p->n_stages && code == SUCCESS; i++) {
		const struct store_stage *st = &p->stages[i];
		json_t *o;

		if (ex->format == EXPORT_JSON) {
			o = stage_json(st);
			json_object_set_new(o, "source", json_string(p->source));
			json_object_set_new(o, "pipeline", json_string(p->source_id));
			json_object_set_new(o, "project", json_string(p->project));
			json_object_set_new(o, "sha", export_text(p->sha));
			json_object_set_new(o, "position", json_integer((json_int_t)i));
			code = export_write(ex, o);
			continue;
		}
		export_csv_field(ex->out, p->source, false);
		export_csv_field(ex->out, p->source_id, false);
		export_csv_field(ex->out, p->project, false);
		export_csv_field(ex->out, p->sha, false);
		fprintf(ex->out, "%zu,", i);
		export_csv_field(ex->out, st->name, false);
		export_csv_field(ex->out, st->kind, false);
		export_csv_field(ex->out, st->status, false);
		export_csv_time(ex->out, st->started_at, false);
		export_csv_time(ex->out, st->finished_at, false);
		if (!isnan(st->coverage))
			fprintf(ex->out, "%g", st->coverage);
		fputc(',', ex->out);
		export_csv_field(ex->out, st->url, true);
		code = ferror(ex->out) ? error("cannot write the export") : SUCCESS;
	}
	return code;
}

static enum status_code
each_incident(void *ctx, const struct store_incident *in)
{
	return EXPORT_ONE((struct exporter *)ctx, in, incident_csv, incident_json);
}

static enum status_code
each_deployment(void *ctx, const struct store_deployment *d)
{
	return EXPORT_ONE((struct exporter *)ctx, d, deployment_csv, deployment_json);
}

/* The document head: format, settings and services, up to the opening of key. */
static enum status_code
json_head(struct store *store, FILE *out, const char *key)
{
	struct store_service *services;
	size_t n, i;
	char *reopen = NULL, *hours = NULL;
	json_t *settings = json_object(), *list = json_array();
	enum status_code code;

	if ((code = store_list_services(store, &services, &n)) != SUCCESS)
		goto out;
	if ((code = store_get_setting(store, "reopen_merge_window_hours", &reopen)) != SUCCESS ||
	    (code = store_get_setting(store, "business_hours", &hours)) != SUCCESS)
		goto out;
	if (reopen)
		json_object_set_new(settings, "reopen_merge_window_hours",
				    json_real(strtod(reopen, NULL)));
	if (hours)
		json_object_set_new(settings, "business_hours",
				    json_parse(hours, strlen(hours), NULL, 0));
	for (i = 0; i < n; i++) {
		json_t *s = json_pack("{s:s}", "name", services[i].name);
		char slo[32];

		if (services[i].slo > 0) {
			snprintf(slo, sizeof(slo), "%.15g", services[i].slo);
			json_object_set_new(s, "slo", json_string(slo));
		}
		json_object_set_new(s, "slo_period_days",
				    json_integer(services[i].slo_period_days));
		if (services[i].tier)
			json_object_set_new(s, "tier", json_integer(services[i].tier));
		json_array_append_new(list, s);
	}
	fputs("{\"format\":\"" IMPORT_FORMAT "\",\"settings\":", out);
	if ((code = json_write(out, settings)) != SUCCESS)
		goto out;
	fputs(",\"services\":", out);
	if ((code = json_write(out, list)) != SUCCESS)
		goto out;
	fprintf(out, ",\"%s\":[", key);
out:
	store_services_free(services, n);
	free(reopen);
	free(hours);
	json_decref(settings);
	json_decref(list);
	return code;
}

static const struct {
	const char *key, *csv_header;
} kinds[] = {
	[EXPORT_INCIDENTS] = { "incidents", incident_csv_header },
	[EXPORT_DEPLOYMENTS] = { "deployments", deployment_csv_header },
	[EXPORT_EVENTS] = { "events", event_csv_header },
	[EXPORT_SAMPLES] = { "samples", sample_csv_header },
	[EXPORT_PIPELINES] = { "pipelines", pipeline_csv_header },
	[EXPORT_STAGES] = { "stages", stage_csv_header },
	[EXPORT_TICKETS] = { "incidents", incident_csv_header },
	[EXPORT_BRANCHES] = { "branches", export_branch_csv_header },
	[EXPORT_CHECKS] = { "checks", export_check_csv_header },
	[EXPORT_ACTIONS] = { "actions", action_csv_header },
};

enum status_code
export_records(struct store *store, FILE *out, enum export_kind kind, enum export_format format,
	       const struct store_filter *filter)
{
	struct exporter ex = { .out = out, .format = format };
	enum status_code code = SUCCESS;

	if (format == EXPORT_CSV)
		fputs(kinds[kind].csv_header, out);
	else if (kind == EXPORT_INCIDENTS || kind == EXPORT_DEPLOYMENTS || kind == EXPORT_TICKETS)
		code = json_head(store, out, kinds[kind].key);
	else
		fprintf(out, "{\"format\":\"sitrep-export/1\",\"%s\":[", kinds[kind].key);
	if (code != SUCCESS)
		return code;
	switch (kind) {
	case EXPORT_INCIDENTS:
		code = store_each_incident(store, filter, each_incident, &ex);
		break;
	case EXPORT_DEPLOYMENTS:
		code = store_each_deployment(store, filter, each_deployment, &ex);
		break;
	case EXPORT_EVENTS:
		code = store_each_event(store, filter, each_event, &ex);
		break;
	case EXPORT_SAMPLES:
		code = store_each_sample(store, filter, each_sample, &ex);
		break;
	case EXPORT_PIPELINES:
		code = store_each_pipeline(store, filter, each_pipeline, &ex);
		break;
	case EXPORT_STAGES:
		code = store_each_pipeline(store, filter, each_stage_of, &ex);
		break;
	case EXPORT_BRANCHES:
		code = store_each_branch(store, filter, export_branch, &ex);
		break;
	case EXPORT_CHECKS:
		code = store_each_check_run(store, filter, export_check_run, &ex);
		break;
	case EXPORT_ACTIONS:
		code = store_each_action(store, filter, each_action, &ex);
		break;
	case EXPORT_TICKETS: {
		struct store_filter tickets = { .since = TIME_NONE };

		if (filter)
			tickets = *filter;
		tickets.tickets = true;
		code = store_each_incident(store, &tickets, each_incident, &ex);
		break;
	}
	}
	if (code != SUCCESS)
		return code;
	if (format == EXPORT_JSON)
		fputs("\n]}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return error("cannot write the export");
	return SUCCESS;
}
