/* export_branches.c - `sitrep export branches` and `sitrep export checks`: each
 * repository's branches with their protection rules, and the check runs on commits,
 * as JSON records or CSV rows. Unknown rules are null in JSON and empty in CSV. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "export-private.h"

const char export_branch_csv_header[] =
	"source,repo,name,head_sha,protected,required_checks,required_approvals,force_push,"
	"enforce_admins,code_owner_approval,push_access,merge_access,updated_at\n";

const char export_check_csv_header[] =
	"source,repo,sha,name,id,status,started_at,finished_at,url,updated_at\n";

/* A rule flag: 1 true, 0 false, -1 unknown. */
static json_t *
flag_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static void
flag_csv(FILE *out, int v)
{
	export_csv_field(out, v < 0 ? NULL : v ? "true" : "false", false);
}

static json_t *
branch_json(const struct store_branch *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "source", json_string(b->source));
	json_object_set_new(o, "repo", json_string(b->repo));
	json_object_set_new(o, "name", json_string(b->name));
	json_object_set_new(o, "head_sha", export_text(b->head_sha));
	json_object_set_new(o, "protected", json_boolean(b->protected));
	json_object_set_new(o, "required_checks", export_text(b->required_checks));
	json_object_set_new(o, "required_approvals",
			    b->required_approvals < 0 ? json_null()
						      : json_integer(b->required_approvals));
	json_object_set_new(o, "force_push", flag_json(b->force_push));
	json_object_set_new(o, "enforce_admins", flag_json(b->enforce_admins));
	json_object_set_new(o, "code_owner_approval", flag_json(b->code_owner_approval));
	json_object_set_new(o, "push_access", export_text(b->push_access));
	json_object_set_new(o, "merge_access", export_text(b->merge_access));
	json_object_set_new(o, "updated_at", json_time(b->updated_at));
	return o;
}

static void
branch_csv(FILE *out, const struct store_branch *b)
{
	export_csv_field(out, b->source, false);
	export_csv_field(out, b->repo, false);
	export_csv_field(out, b->name, false);
	export_csv_field(out, b->head_sha, false);
	export_csv_field(out, b->protected ? "true" : "false", false);
	export_csv_field(out, b->required_checks, false);
	if (b->required_approvals >= 0)
		fprintf(out, "%lld", (long long)b->required_approvals);
	fputc(',', out);
	flag_csv(out, b->force_push);
	flag_csv(out, b->enforce_admins);
	flag_csv(out, b->code_owner_approval);
	export_csv_field(out, b->push_access, false);
	export_csv_field(out, b->merge_access, false);
	export_csv_time(out, b->updated_at, true);
}

static json_t *
check_json(const struct store_check_run *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "source", json_string(c->source));
	json_object_set_new(o, "repo", json_string(c->repo));
	json_object_set_new(o, "sha", json_string(c->sha));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "id", export_text(c->source_id));
	json_object_set_new(o, "status", json_string(c->status));
	json_object_set_new(o, "started_at", json_time(c->started_at));
	json_object_set_new(o, "finished_at", json_time(c->finished_at));
	json_object_set_new(o, "url", export_text(c->url));
	json_object_set_new(o, "updated_at", json_time(c->updated_at));
	return o;
}

static void
check_csv(FILE *out, const struct store_check_run *c)
{
	export_csv_field(out, c->source, false);
	export_csv_field(out, c->repo, false);
	export_csv_field(out, c->sha, false);
	export_csv_field(out, c->name, false);
	export_csv_field(out, c->source_id, false);
	export_csv_field(out, c->status, false);
	export_csv_time(out, c->started_at, false);
	export_csv_time(out, c->finished_at, false);
	export_csv_field(out, c->url, false);
	export_csv_time(out, c->updated_at, true);
}

enum status_code
export_branch(void *ctx, const struct store_branch *b)
{
	struct exporter *ex = ctx;

	if (ex->format == EXPORT_JSON)
		return export_write(ex, branch_json(b));
	branch_csv(ex->out, b);
	return ferror(ex->out) ? error("cannot write the export") : SUCCESS;
}

enum status_code
export_check_run(void *ctx, const struct store_check_run *c)
{
	struct exporter *ex = ctx;

	if (ex->format == EXPORT_JSON)
		return export_write(ex, check_json(c));
	check_csv(ex->out, c);
	return ferror(ex->out) ? error("cannot write the export") : SUCCESS;
}
