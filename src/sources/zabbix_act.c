/* zabbix_act.c - acknowledging a Zabbix problem: event.acknowledge (6.0) with the
 * acknowledge bit (2) and the message bit (4), on the problem event's id, with the
 * session or token in `auth` as every other call (zabbix.c). Zabbix records the
 * API user as the one who acknowledged; the person sitrep acted for goes into the
 * message. The answer is {"eventids": [ID]}, the ids numbers or strings; errors
 * come with HTTP 200 as the JSON-RPC error envelope ("No permissions to referred
 * object or it does not exist!").
 *
 * It must not do I/O; error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "zabbix-private.h"

#define ACK_STREAM "action:ack"
/* event.acknowledge action bits (6.0). */
#define ACTION_ACK 2
#define ACTION_MESSAGE 4
/* The acknowledges table's message column (varchar 2048 in 6.0). */
#define MAX_MESSAGE 2048

/* "NOTE (alice via sitrep)", or "Acknowledged by alice via sitrep", cut on a
 * character boundary to what Zabbix stores (new). */
static char *
ack_message(const struct source_action *action)
{
	char *text = action->note && *action->note
			     ? xasprintf("%s (%s via sitrep)", action->note, action->who)
			     : xasprintf("Acknowledged by %s via sitrep", action->who);
	size_t n = strlen(text);

	if (n > MAX_MESSAGE) {
		n = MAX_MESSAGE;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		text[n] = '\0';
	}
	return text;
}

enum status_code
zbx_act(const struct source_ctx *ctx, const struct source_action *action,
	struct source_request **out)
{
	const char *url = config_source_get(ctx->config, "url");
	json_t *params, *ids;
	char *msg;

	*out = NULL;
	if (!streq(action->kind, "ack"))
		return error(TYPE " %s: Zabbix has no action \"%s\" here (it can acknowledge)",
			     ctx->name, action->kind);
	if (!url || !*url)
		return error(TYPE " %s: no url configured", ctx->name);
	if (!zbx_is_id(action->id)) {
		char *id = source_error_text(action->id, strlen(action->id));

		error(TYPE " %s: \"%s\" is not a Zabbix event id (digits)", ctx->name, id);
		free(id);
		return ERROR_CUSTOM_MESSAGE;
	}
	if (!zbx_auth(ctx) || !*zbx_auth(ctx))
		return error(TYPE " %s: no token configured, and no session (user and password)",
			     ctx->name);
	params = json_object();
	ids = json_array();
	json_array_append_new(ids, json_string(action->id));
	json_object_set_new(params, "eventids", ids);
	json_object_set_new(params, "action", json_integer(ACTION_ACK | ACTION_MESSAGE));
	msg = ack_message(action);
	json_object_set_new(params, "message", json_string(msg));
	free(msg);
	*out = xcalloc(1, sizeof(**out));
	(*out)->stream = xstrdup(ACK_STREAM);
	(*out)->method = xstrdup("POST");
	(*out)->url = xstrdup(url);
	zbx_rpc_fill(*out, "event.acknowledge", params, zbx_auth(ctx));
	return SUCCESS;
}

/* Whether the result's eventids hold id. */
static bool
names_event(const json_t *result, const char *id)
{
	const json_t *ids = json_object_get(result, "eventids"), *v;
	size_t i;
	char text[ID_SIZE];

	json_array_foreach(ids, i, v)
	{
		if (json_is_integer(v))
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		else
			snprintf(text, sizeof(text), "%s",
				 json_is_string(v) ? json_string_value(v) : "");
		if (streq(text, id))
			return true;
	}
	return false;
}

enum status_code
zbx_acted(const struct source_ctx *ctx, const struct source_action *action,
	  const struct source_request *req, const struct http_response *resp,
	  struct source_request **next, const char **done)
{
	char *what = xasprintf("acknowledge %s", action->id);
	const json_t *result;
	json_t *root = NULL;
	enum status_code code;

	(void)req;
	*next = NULL;
	*done = NULL;
	if (resp->status == 0 && !resp->unsent)
		code = error(TYPE " %s: %s (not sent again: it may have reached Zabbix; the next "
				  "sync shows whether it did)",
			     what, resp->error);
	else if ((code = zbx_result(ctx, what, resp, &root, &result)) != SUCCESS)
		;
	else if (!json_is_object(result) || !names_event(result, action->id))
		code = error(TYPE " %s: the result does not name the event (%s)", what,
			     json_is_object(result) ? "eventids without it"
						    : json_type_name(result));
	else
		*done = "acknowledged";
	json_decref(root);
	free(what);
	return code;
}
