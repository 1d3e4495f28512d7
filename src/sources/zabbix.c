/* zabbix.c - the Zabbix 6.0 JSON-RPC API as a source: the transport (request
 * bodies, the error envelope, the fields' types), the plan, and user.login and
 * user.logout; problem events are read in zabbix_problems.c, item history in
 * zabbix_metrics.c (zabbix-private.h is what the three share).
 *
 * Every call is a POST of {"jsonrpc":"2.0","method":...,"params":...,"auth":...,
 * "id":1} to the configured api_jsonrpc.php with Content-Type application/json-rpc
 * (monitoring-ticketing.md 3, realservers.md Z10). The credential goes in the
 * body's `auth`, as 6.0 has no Bearer header: the API token when one is
 * configured, else the session ops->login opened with user.login (username,
 * password), which ops->logout closes with user.logout. Errors come with HTTP 200
 * as an `error` member {code, message, data}; every answer is checked for one, for
 * "jsonrpc":"2.0" and for the request's id. Zabbix writes every number as a
 * string; a JSON number is read as well, anything else is an error naming the
 * field.
 *
 * Secrets are kept out of jansson, which frees without wiping: bodies are written
 * by hand at their exact size (the engine wipes them), a parse reads back only the
 * members before `auth`, and an error that quotes the server has the token,
 * password and session cut out.
 *
 * Streams: "problems" (zabbix_problems.c) and "metric:NAME" for each [metric]
 * whose source is this one (zabbix_metrics.c). It must not do I/O or change
 * untrusted text in records (the display sanitizes); error messages, which quote
 * the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <errno.h>
#include <limits.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/json_tok.h"
#include "zabbix-private.h"

#define RPC_ID 1
#define CONTENT_TYPE "application/json-rpc"
#define MAX_SESSION 128

/* ---- request bodies ---- */

/* The length of s as a JSON string, quotes included. */
static size_t
quoted_len(const char *s)
{
	size_t n = 2;

	for (; *s; s++)
		n += *s == '"' || *s == '\\' ? 2 : (unsigned char)*s < 0x20 ? 6 : 1;
	return n;
}

static char *
put_quoted(char *dst, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	*dst++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*dst++ = '\\';
			*dst++ = (char)c;
		} else if (c < 0x20) {
			memcpy(dst, "\\u00", 4);
			dst[4] = hex[c >> 4];
			dst[5] = hex[c & 15];
			dst += 6;
		} else {
			*dst++ = (char)c;
		}
	}
	*dst++ = '"';
	return dst;
}

static char *
put_text(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return dst + n;
}

/* {"jsonrpc":"2.0","method":M,"params":P,"auth":A,"id":1}, allocated at its exact
 * size so that no copy of auth is left behind by a realloc (new; the engine wipes
 * request bodies). auth NULL: none (user.login). */
static char *
rpc_body(const char *method, const char *params, const char *auth)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":", mid[] = ",\"params\":",
			  auth_key[] = ",\"auth\":", tail[] = ",\"id\":1}";
	size_t size = strlen(head) + quoted_len(method) + strlen(mid) + strlen(params) +
		      (auth ? strlen(auth_key) + quoted_len(auth) : 0) + strlen(tail) + 1;
	char *body = xmalloc(size), *p = body;

	p = put_text(p, head);
	p = put_quoted(p, method);
	p = put_text(p, mid);
	p = put_text(p, params);
	if (auth) {
		p = put_text(p, auth_key);
		p = put_quoted(p, auth);
	}
	p = put_text(p, tail);
	*p = '\0';
	return body;
}

static bool
token_configured(const struct source_ctx *ctx)
{
	return ctx->config && config_source_get(ctx->config, "token");
}

/* The auth of every call but user.login: the session, else the token. */
const char *
zbx_auth(const struct source_ctx *ctx)
{
	if (ctx->session)
		return ctx->session;
	return token_configured(ctx) ? ctx->secret : NULL;
}

/* Fills req's body and header for a call; params is stolen. */
void
zbx_rpc_fill(struct source_request *req, const char *method, json_t *params, const char *auth)
{
	char *text = json_dumps(params, JSON_COMPACT | JSON_PRESERVE_ORDER);

	req->body = rpc_body(method, text, auth);
	source_request_header(req, "Content-Type", CONTENT_TYPE);
	free(text);
	json_decref(params);
}

/* A call for page->next (new). */
struct source_request *
zbx_rpc_next(const struct source_ctx *ctx, const char *stream, const char *url, const char *method,
	     json_t *params)
{
	struct source_request *req = xcalloc(1, sizeof(*req));

	req->stream = xstrdup(stream);
	req->method = xstrdup("POST");
	req->url = xstrdup(url);
	zbx_rpc_fill(req, method, params, zbx_auth(ctx));
	return req;
}

/* ---- ids, numbers ---- */

/* A Zabbix id: decimal digits, no sign, no leading zero but in "0". */
bool
zbx_is_id(const char *s)
{
	size_t n = s ? strspn(s, "0123456789") : 0;

	return n > 0 && n < ID_SIZE && s[n] == '\0' && (s[0] != '0' || n == 1);
}

/* Numeric order of two ids. */
int
zbx_id_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* id + 1, as text; false when it does not fit. */
bool
zbx_id_next(const char *id, char *out, size_t size)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(id, &end, 10);
	if (errno || *end || v == ULLONG_MAX)
		return false;
	snprintf(out, size, "%llu", v + 1);
	return true;
}

/* A decimal integer, all of it. */
bool
zbx_parse_int(const char *s, int64_t *out)
{
	long long v;
	char *end;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* ---- errors ---- */

/* Cuts every copy of a secret out of text, in place; true when it did. */
static bool
cut_secret(char *text, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	bool cut = false;
	char *p;

	/* A secret of a few characters would match innocent text. */
	if (n < 4)
		return false;
	while ((p = strstr(text, secret))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
		cut = true;
	}
	return cut;
}

/* code, with the token, password and session taken out of its message: a proxy
 * page or an error may quote the request. */
static enum status_code
scrubbed(const struct source_ctx *ctx, enum status_code code)
{
	char *text;
	bool cut;

	if (code != ERROR_CUSTOM_MESSAGE)
		return code;
	text = xstrdup(status_message(code));
	cut = cut_secret(text, ctx->secret);
	cut = cut_secret(text, ctx->session) || cut;
	if (cut)
		error("%s", text);
	free(text);
	return code;
}

/* ---- responses ---- */

static const char *
http_hint(long status)
{
	switch (status) {
	case 404:
		return " (check url: it names the frontend's api_jsonrpc.php)";
	case 412:
		return " (the frontend refused the request's Content-Type)";
	default:
		return "";
	}
}

/* The JSON-RPC error envelope: "Zabbix error -32602 Invalid params.: Not
 * authorized." */
static enum status_code
rpc_error(const char *stream, const json_t *err)
{
	const json_t *code = json_object_get(err, "code");
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *data = json_string_value(json_object_get(err, "data"));
	char *m, *d;
	const char *hint = "";

	if (!json_is_object(err))
		return error(TYPE " %s: the response's error is %s, not an object", stream,
			     json_type_name(err));
	if (data && (strstr(data, "Not authorized") || strstr(data, "re-login")))
		hint = " (check the token, or user and password)";
	m = source_error_text(msg ? msg : "", msg ? strlen(msg) : 0);
	d = source_error_text(data ? data : "", data ? strlen(data) : 0);
	error(TYPE " %s: Zabbix error %lld %s%s%s%s", stream,
	      json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
	      *m ? m : "(no message)", *d ? ": " : "", d, hint);
	free(m);
	free(d);
	return ERROR_CUSTOM_MESSAGE;
}

/* The result of a call: *root is the parsed response (new), *result borrowed
 * from it. */
static enum status_code
rpc_result(const char *stream, const struct http_response *resp, json_t **root,
	   const json_t **result)
{
	const json_t *jsonrpc, *id, *err;
	enum status_code code;

	*root = NULL;
	*result = NULL;
	if ((code = source_check_response(TYPE, stream, resp)) != SUCCESS) {
		if (resp->status != 200 && *http_hint(resp->status)) {
			char *text = xstrdup(status_message(code));

			error("%s%s", text, http_hint(resp->status));
			free(text);
		}
		return code;
	}
	if ((code = source_parse_json(TYPE, stream, resp, root)) != SUCCESS)
		return code;
	if (!json_is_object(*root))
		return error(TYPE " %s: the response is %s, not a JSON-RPC object", stream,
			     json_type_name(*root));
	if ((err = json_object_get(*root, "error")))
		return rpc_error(stream, err);
	jsonrpc = json_object_get(*root, "jsonrpc");
	if (!streq(json_string_value(jsonrpc), "2.0"))
		return error(TYPE " %s: the response is not JSON-RPC 2.0 (jsonrpc is %s)", stream,
			     jsonrpc ? json_is_string(jsonrpc) ? "another version"
							       : json_type_name(jsonrpc)
				     : "missing");
	id = json_object_get(*root, "id");
	if (!json_is_integer(id) || json_integer_value(id) != RPC_ID)
		return error(TYPE " %s: the response's id is %s, not the request's %d", stream,
			     id ? json_type_name(id) : "missing", RPC_ID);
	if (!(*result = json_object_get(*root, "result")))
		return error(TYPE " %s: the response has neither result nor error", stream);
	return SUCCESS;
}

/* The result of a call answering an action (zabbix_act.c), its error scrubbed of
 * secrets. */
enum status_code
zbx_result(const struct source_ctx *ctx, const char *what, const struct http_response *resp,
	   json_t **root, const json_t **result)
{
	return scrubbed(ctx, rpc_result(what, resp, root, result));
}

/* A result that must be an array. */
static enum status_code
rpc_array(const char *stream, const struct http_response *resp, json_t **root,
	  const json_t **result)
{
	enum status_code code = rpc_result(stream, resp, root, result);

	if (code == SUCCESS && !json_is_array(*result))
		return error(TYPE " %s: the result is %s, not an array", stream,
			     json_type_name(*result));
	return code;
}

/* ---- fields ---- */

enum status_code
zbx_field_error(const struct zbx_where *w, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " %s: %s %zu: %s%s %s", w->stream, w->what, w->index, w->prefix,
			     field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " %s: %s %zu: %s%s \"%s\" %s", w->stream, w->what, w->index, w->prefix, field,
	      text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

enum status_code
zbx_wrong_type(const struct zbx_where *w, const char *field, const json_t *v, const char *want)
{
	char what[80];

	snprintf(what, sizeof(what), "is %s, not %s", json_type_name(v), want);
	return zbx_field_error(w, field, what, NULL);
}

/* A member holding an integer: Zabbix writes "1795847391"; a JSON integer is read
 * too. Absent or null: *out = fallback unless required. */
enum status_code
zbx_get_int(const struct zbx_where *w, const json_t *obj, const char *key, bool required,
	    int64_t fallback, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = fallback;
	if (!v || json_is_null(v))
		return required ? zbx_field_error(w, key, "is missing", NULL) : SUCCESS;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return SUCCESS;
	}
	if (!json_is_string(v))
		return zbx_wrong_type(w, key, v, "a string of digits");
	if (!zbx_parse_int(json_string_value(v), out))
		return zbx_field_error(w, key, "is not an integer", json_string_value(v));
	return SUCCESS;
}

enum status_code
zbx_get_clock(const struct zbx_where *w, const json_t *obj, const char *key, int64_t *out)
{
	enum status_code code = zbx_get_int(w, obj, key, true, 0, out);

	if (code == SUCCESS && (*out < 0 || *out > MAX_EPOCH))
		return zbx_field_error(w, key, "is out of range", NULL);
	return code;
}

/* An id member into buf (ID_SIZE bytes); absent or null gives "0" unless
 * required. */
enum status_code
zbx_get_id(const struct zbx_where *w, const json_t *obj, const char *key, bool required, char *buf)
{
	const json_t *v = json_object_get(obj, key);

	snprintf(buf, ID_SIZE, "0");
	if (!v || json_is_null(v))
		return required ? zbx_field_error(w, key, "is missing", NULL) : SUCCESS;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		snprintf(buf, ID_SIZE, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (!json_is_string(v))
		return zbx_wrong_type(w, key, v, "a string of digits");
	else if (zbx_is_id(json_string_value(v)))
		snprintf(buf, ID_SIZE, "%s", json_string_value(v));
	else
		return zbx_field_error(w, key, "is not an id", json_string_value(v));
	return SUCCESS;
}

enum status_code
zbx_get_string(const struct zbx_where *w, const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v))
		return zbx_wrong_type(w, key, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

/* An array member; null reads as empty, as some serializers write it. */
enum status_code
zbx_get_array(const struct zbx_where *w, const json_t *obj, const char *key, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_array(v))
		return zbx_wrong_type(w, key, v, "an array");
	*out = v;
	return SUCCESS;
}

/* A value Zabbix writes as a string ("3.882324", "24251940864"), or a JSON
 * number; read through the JSON tokenizer, strict and locale-free. */
enum status_code
zbx_get_value(const struct zbx_where *w, struct jtok_parser *p, const json_t *obj, const char *key,
	      double *out)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;

	if (!v || json_is_null(v))
		return zbx_field_error(w, key, "is missing", NULL);
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return SUCCESS;
	}
	if (!json_is_string(v))
		return zbx_wrong_type(w, key, v, "a number in a string");
	s = json_string_value(v);
	if (!jtok_parse(p, s, json_string_length(v)) || p->n != 1 ||
	    p->toks[0].type != JTOK_NUMBER || !jtok_double(p, s, 0, out))
		return zbx_field_error(w, key, "is not a number", s);
	return SUCCESS;
}

/* ---- plan ---- */

const char *
zbx_default_service(const struct source_ctx *ctx)
{
	const char *s;

	if (!ctx->config)
		return NULL;
	s = ctx->config->service ? ctx->config->service : config_source_get(ctx->config, "service");
	return s && *s ? s : NULL;
}

static enum status_code
zabbix_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *url = config_source_get(ctx->config, "url");
	struct source_request *req;
	size_t i;

	/* Fail before adding anything: the caller frees nothing on failure. */
	if (!url || !*url)
		return error(TYPE " %s: no url configured (the frontend's api_jsonrpc.php)",
			     ctx->name);
	if (!zbx_auth(ctx) || !*zbx_auth(ctx))
		return error(TYPE " %s: no token configured, and no session (user and password)",
			     ctx->name);
	req = source_request_add(out, n, PROBLEMS, "POST", xstrdup(url));
	zbx_rpc_fill(req, "event.get", zbx_problems_first(ctx), zbx_auth(ctx));
	for (i = 0; i < ctx->n_metrics; i++) {
		const struct config_metric *m = &ctx->metrics[i];
		char *stream;

		if (!streq(m->source, ctx->name) || !m->name || !m->query || !*m->query)
			continue;
		stream = xasprintf(METRIC_PREFIX "%s", m->name);
		req = source_request_add(out, n, stream, "POST", xstrdup(url));
		zbx_rpc_fill(req, "item.get", zbx_item_params(m), zbx_auth(ctx));
		free(stream);
	}
	return SUCCESS;
}

/* ---- the ops ---- */

/* One member of a body rpc_body wrote, read up to its end only: the auth that
 * follows params never enters jansson (new, or NULL). */
static json_t *
body_member(const char *body, const char *key)
{
	const char *p = body ? strstr(body, key) : NULL;

	if (!p)
		return NULL;
	return json_loads(p + strlen(key), JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL);
}

static enum status_code
parse_page(const struct source_ctx *ctx, const struct source_request *req,
	   const struct http_response *resp, struct source_page *page)
{
	bool metric = strncmp(req->stream, METRIC_PREFIX, strlen(METRIC_PREFIX)) == 0;
	json_t *call = json_object(), *root = NULL;
	const json_t *result;
	enum status_code code;

	if (!streq(req->stream, PROBLEMS) && !metric) {
		json_decref(call);
		return error(TYPE " %s: not a stream of this source", req->stream);
	}
	/* The request is ours: it says which call this answers. */
	json_object_set_new(call, "method", body_member(req->body, "\"method\":"));
	json_object_set_new(call, "params", body_member(req->body, "\"params\":"));
	if (!json_is_string(json_object_get(call, "method")) ||
	    !json_is_object(json_object_get(call, "params")))
		code = error(TYPE " %s: not a request of this source", req->stream);
	else
		code = rpc_array(req->stream, resp, &root, &result);
	if (code == SUCCESS && metric)
		code = zbx_parse_metric(ctx, req, call, result, page);
	else if (code == SUCCESS)
		code = zbx_parse_problems(ctx, req, call, result, page);
	json_decref(call);
	json_decref(root);
	return code;
}

static enum status_code
zabbix_parse(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, struct source_page *page)
{
	return scrubbed(ctx, parse_page(ctx, req, resp, page));
}

/* user.login with username and password; nothing with a token. */
static enum status_code
zabbix_login(const struct source_ctx *ctx, struct source_request **out)
{
	const char *url = config_source_get(ctx->config, "url");
	const char *user = config_source_get(ctx->config, "user");
	static const char head[] = "{\"username\":", mid[] = ",\"password\":";
	char *params, *p;
	size_t size;

	*out = NULL;
	if (token_configured(ctx))
		return SUCCESS;
	if (!url || !*url)
		return error(TYPE " %s: no url configured", ctx->name);
	if (!user || !*user || !ctx->secret)
		return error(TYPE " %s: no token, and no user and password configured", ctx->name);
	/* By hand, at its exact size: the password never enters jansson. */
	size = strlen(head) + quoted_len(user) + strlen(mid) + quoted_len(ctx->secret) + 2;
	p = params = xmalloc(size);
	p = put_text(p, head);
	p = put_quoted(p, user);
	p = put_text(p, mid);
	p = put_quoted(p, ctx->secret);
	*p++ = '}';
	*p = '\0';
	*out = xcalloc(1, sizeof(**out));
	(*out)->stream = xstrdup("login");
	(*out)->method = xstrdup("POST");
	(*out)->url = xstrdup(url);
	(*out)->body = rpc_body("user.login", params, NULL);
	source_request_header(*out, "Content-Type", CONTENT_TYPE);
	secret_free(&params);
	return SUCCESS;
}

static bool
is_session(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return n > 0 && n <= MAX_SESSION;
}

/* The session id user.login answered (32 hex digits in 6.0). */
static enum status_code
zabbix_session(const struct source_ctx *ctx, const struct http_response *resp, char **token)
{
	const json_t *result;
	json_t *root = NULL;
	enum status_code code;

	*token = NULL;
	code = rpc_result("login", resp, &root, &result);
	if (code == SUCCESS && !is_session(json_string_value(result)))
		code = error(TYPE " login: the result is %s, not a session id",
			     json_is_string(result) ? "a string of another form"
						    : json_type_name(result));
	if (code == SUCCESS)
		*token = xstrdup(json_string_value(result));
	json_decref(root);
	return scrubbed(ctx, code);
}

/* user.logout, so that a daemon leaves no session behind each round. */
static enum status_code
zabbix_logout(const struct source_ctx *ctx, struct source_request **out)
{
	const char *url = config_source_get(ctx->config, "url");

	*out = NULL;
	if (!ctx->session || !url || !*url)
		return SUCCESS;
	*out = xcalloc(1, sizeof(**out));
	(*out)->stream = xstrdup("logout");
	(*out)->method = xstrdup("POST");
	(*out)->url = xstrdup(url);
	(*out)->body = rpc_body("user.logout", "[]", ctx->session);
	source_request_header(*out, "Content-Type", CONTENT_TYPE);
	return SUCCESS;
}

const struct source_ops source_zabbix_ops = {
	.type = TYPE,
	.plan = zabbix_plan,
	.parse = zabbix_parse,
	.login = zabbix_login,
	.session = zabbix_session,
	.logout = zabbix_logout,
	.act = zbx_act,
	.acted = zbx_acted,
};
