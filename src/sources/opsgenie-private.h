/* opsgenie-private.h - what the Opsgenie source's files share (opsgenie.c: the
 * alerts stream; opsgenie_act.c: acknowledging an alert). Nothing else includes
 * it. */
#ifndef SITREP_OPSGENIE_PRIVATE_H
#define SITREP_OPSGENIE_PRIVATE_H

#define TYPE "opsgenie"
#define ALERTS_PATH "/v2/alerts"

/* Authorization: GenieKey SECRET. */
void og_auth(struct source_request *req, const char *secret);
/* An answer other than the one expected, as an error naming what was asked:
 * Opsgenie's message and requestId, with what the status means (write: the
 * request was a write, whose 403 is a key without write access). */
enum status_code og_http_error(const char *what, const struct http_response *resp, bool write);

enum status_code og_act(const struct source_ctx *ctx, const struct source_action *action,
			struct source_request **out);
enum status_code og_acted(const struct source_ctx *ctx, const struct source_action *action,
			  const struct source_request *req, const struct http_response *resp,
			  struct source_request **next, const char **done);

#endif
