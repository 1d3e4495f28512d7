/* sync-private.h - what the sync engine (engine.c) lends the upstream actions
 * (action.c): the source's session and its HTTP path. Nothing else includes it. */
#ifndef SITREP_SYNC_PRIVATE_H
#define SITREP_SYNC_PRIVATE_H

#include "sitrep/source.h"
#include "sitrep/sync.h"

typedef void (*sync_session_fn)(const struct source_ctx *ctx, void *arg);

/* Runs fn in a session of src, as a round starts one (its ops, resolved secret,
 * login) and ends it (logout). false, with report saying why, when the session
 * could not start; fn is not called then. Writes nothing to the cache. */
bool sync_session_run(struct http_client *http, const struct config *cfg,
		      const struct config_source *src, const struct sync_options *opts,
		      struct sync_report *report, sync_session_fn fn, void *arg);
/* One request through the round's HTTP path (its client, timeouts, backoff and
 * Retry-After), for ctx as sync_session_run gave it. A request that is not
 * idempotent is retried only when it cannot have reached the upstream
 * (http_retryable_write). */
void sync_session_fetch(const struct source_ctx *ctx, const struct source_request *req,
			bool idempotent, struct http_response *resp);

#endif
