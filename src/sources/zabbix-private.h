/* zabbix-private.h - what the Zabbix source's files share (zabbix.c: transport
 * and ops; zabbix_problems.c; zabbix_metrics.c). Nothing else includes it. */
#ifndef SITREP_ZABBIX_PRIVATE_H
#define SITREP_ZABBIX_PRIVATE_H

#include <jansson.h>

struct config_metric;
struct jtok_parser;

#define TYPE "zabbix"
#define PROBLEMS "problems"
#define METRIC_PREFIX "metric:"
/* A Zabbix id as text, with its NUL. */
#define ID_SIZE 24
/* The last instant timestamp_format can write (9999-12-31T23:59:59Z). */
#define MAX_EPOCH 253402300799LL

/* ---- calls ---- */

/* The auth of every call but user.login: the session, else the token (borrowed). */
const char *zbx_auth(const struct source_ctx *ctx);
/* Fills req's body and Content-Type for a call; params is stolen. */
void zbx_rpc_fill(struct source_request *req, const char *method, json_t *params, const char *auth);
/* A call of stream to url for page->next (new); params is stolen. */
struct source_request *zbx_rpc_next(const struct source_ctx *ctx, const char *stream,
				    const char *url, const char *method, json_t *params);
/* The result of a call (*root new, *result borrowed from it), or an error naming
 * what was asked: the HTTP failure, or the JSON-RPC error envelope; secrets cut
 * out. */
enum status_code zbx_result(const struct source_ctx *ctx, const char *what,
			    const struct http_response *resp, json_t **root, const json_t **result);
/* The config's service (borrowed), or NULL. */
const char *zbx_default_service(const struct source_ctx *ctx);

/* ---- ids and numbers ---- */

/* Decimal digits, no sign, no leading zero but in "0". */
bool zbx_is_id(const char *s);
/* Numeric order of two ids. */
int zbx_id_cmp(const char *a, const char *b);
/* id + 1 as text into out; false when it does not fit. */
bool zbx_id_next(const char *id, char *out, size_t size);
/* A decimal integer, all of s. */
bool zbx_parse_int(const char *s, int64_t *out);

/* ---- fields of a result ---- */

/* Where a field is, for errors: "zabbix STREAM: WHAT INDEX: PREFIXFIELD ...". */
struct zbx_where {
	const char *stream;
	const char *what; /* "event", "item", "row" */
	size_t index;
	char prefix[64]; /* of a nested field: "acknowledges[2]." */
};

enum status_code zbx_field_error(const struct zbx_where *w, const char *field, const char *what,
				 const char *value);
enum status_code zbx_wrong_type(const struct zbx_where *w, const char *field, const json_t *v,
				const char *want);
/* An integer member, a string of digits as Zabbix writes it or a JSON integer;
 * absent or null gives fallback unless required. */
enum status_code zbx_get_int(const struct zbx_where *w, const json_t *obj, const char *key,
			     bool required, int64_t fallback, int64_t *out);
/* An epoch second. */
enum status_code zbx_get_clock(const struct zbx_where *w, const json_t *obj, const char *key,
			       int64_t *out);
/* An id into buf (ID_SIZE bytes); absent or null gives "0" unless required. */
enum status_code zbx_get_id(const struct zbx_where *w, const json_t *obj, const char *key,
			    bool required, char *buf);
/* A string, or NULL when absent or null (borrowed). */
enum status_code zbx_get_string(const struct zbx_where *w, const json_t *obj, const char *key,
				const char **out);
/* An array, or NULL when absent or null (borrowed). */
enum status_code zbx_get_array(const struct zbx_where *w, const json_t *obj, const char *key,
			       const json_t **out);
/* A number written as a string ("3.882324"), or a JSON number. */
enum status_code zbx_get_value(const struct zbx_where *w, struct jtok_parser *p, const json_t *obj,
			       const char *key, double *out);

/* ---- the streams ---- */

/* The params of the round's first event.get (new). */
json_t *zbx_problems_first(const struct source_ctx *ctx);
/* A page of "problems"; call holds the request's method and params. */
enum status_code zbx_parse_problems(const struct source_ctx *ctx, const struct source_request *req,
				    const json_t *call, const json_t *result,
				    struct source_page *page);
/* The params of a metric's item.get (new). */
json_t *zbx_item_params(const struct config_metric *m);
/* A page of "metric:NAME". */
enum status_code zbx_parse_metric(const struct source_ctx *ctx, const struct source_request *req,
				  const json_t *call, const json_t *result,
				  struct source_page *page);

/* ---- actions (zabbix_act.c) ---- */

enum status_code zbx_act(const struct source_ctx *ctx, const struct source_action *action,
			 struct source_request **out);
enum status_code zbx_acted(const struct source_ctx *ctx, const struct source_action *action,
			   const struct source_request *req, const struct http_response *resp,
			   struct source_request **next, const char **done);

#endif
