/* server.c - the HTTP side of sitrep-sim: libmicrohttpd on 127.0.0.1 only, one
 * thread per connection, routing by path prefix to the dialects and the control
 * API, and the one place where injected faults reach the wire (delays, dropped
 * connections, broken and huge bodies, 429s), plus bearer-token checks and ETags.
 *
 * Handlers build a struct sim_response under sim->lock and never touch the
 * connection; everything that waits (a delay fault, streaming 100 MB) happens
 * here, outside the lock, so one slow request never stalls the others. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_UPLOAD (1024 * 1024)

/* Per-request state, from the first call of the access handler to completion. */
struct conn_ctx {
	struct buf body;
	bool too_big;
};

void
response_json(struct sim_response *r, unsigned int status, json_t *body)
{
	json_decref(r->json);
	r->status = status;
	r->json = body;
}

void
response_text(struct sim_response *r, unsigned int status, const char *text)
{
	json_decref(r->json);
	r->json = NULL;
	r->status = status;
	buf_reset(&r->text);
	buf_addstr(&r->text, text);
}

void
response_gateway(struct sim_response *r, unsigned int status)
{
	char text[64];

	snprintf(text, sizeof(text), "%u %s\n", status, MHD_get_reason_phrase_for(status));
	response_text(r, status, text);
}

void
response_header(struct sim_response *r, const char *name, const char *value)
{
	if (r->n_headers == SIM_MAX_HEADERS)
		die("response_header: more than %d headers", SIM_MAX_HEADERS);
	r->headers[r->n_headers][0] = xstrdup(name);
	r->headers[r->n_headers][1] = xstrdup(value);
	r->n_headers++;
}

static void
response_release(struct sim_response *r)
{
	json_decref(r->json);
	buf_release(&r->text);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i][0]);
		free(r->headers[i][1]);
	}
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
index_page(struct sim_response *resp)
{
	json_t *root = json_object(), *d = json_object();

	json_object_set_new(d, "prometheus", json_string("/prometheus"));
	json_object_set_new(d, "alertmanager", json_string("/alertmanager"));
	json_object_set_new(d, "sentry", json_string("/sentry"));
	json_object_set_new(d, "opsgenie", json_string("/opsgenie"));
	json_object_set_new(d, "grafana", json_string("/grafana"));
	json_object_set_new(d, "zabbix", json_string("/zabbix/api_jsonrpc.php"));
	json_object_set_new(d, "jenkins", json_string("/jenkins"));
	json_object_set_new(d, "servicenow", json_string("/servicenow"));
	json_object_set_new(d, "zendesk", json_string("/zendesk"));
	json_object_set_new(d, "gitlab", json_string("/gitlab"));
	json_object_set_new(d, "argocd", json_string("/argocd"));
	json_object_set_new(d, "github", json_string("/github"));
	json_object_set_new(root, "name", json_string("sitrep-sim"));
	json_object_set_new(root, "dialects", d);
	json_object_set_new(root, "control", json_string("/_sim/"));
	response_json(resp, 200, root);
}

/* Every route is "/<dialect>" followed by that upstream's own paths, so a source
 * configured with url = http://127.0.0.1:PORT/<dialect> sees the real layout. */
static void
dispatch(struct sim *sim, struct sim_request *req, struct sim_response *resp)
{
	if (has_prefix(req->path, "/_sim/")) {
		req->route = req->path;
		control_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/prometheus/")) {
		req->route = req->path + strlen("/prometheus");
		prometheus_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/alertmanager/")) {
		req->route = req->path + strlen("/alertmanager");
		alertmanager_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/sentry/")) {
		req->route = req->path + strlen("/sentry");
		sentry_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/opsgenie/")) {
		req->route = req->path + strlen("/opsgenie");
		opsgenie_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/grafana/")) {
		req->route = req->path + strlen("/grafana");
		grafana_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/zabbix/")) {
		req->route = req->path + strlen("/zabbix");
		zabbix_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/jenkins/")) {
		req->route = req->path + strlen("/jenkins");
		jenkins_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/servicenow/")) {
		req->route = req->path + strlen("/servicenow");
		servicenow_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/zendesk/")) {
		req->route = req->path + strlen("/zendesk");
		zendesk_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/gitlab/")) {
		req->route = req->path + strlen("/gitlab");
		gitlab_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/argocd/")) {
		req->route = req->path + strlen("/argocd");
		argocd_handle(sim, req, resp);
	} else if (has_prefix(req->path, "/github/")) {
		req->route = req->path + strlen("/github");
		github_handle(sim, req, resp);
	} else if (streq(req->path, "/")) {
		index_page(resp);
	} else {
		response_text(resp, 404, "404 page not found\n");
	}
}

/* An injected status carries the body that upstream sends with it. Called
 * without sim->lock held. */
static void
fault_status_body(struct sim *sim, const char *path, unsigned int status, struct sim_response *resp)
{
	char text[64];

	if (has_prefix(path, "/github/")) {
		/* Its rate limit headers read the clock. */
		pthread_mutex_lock(&sim->lock);
		github_fault_body(sim, resp, status);
		pthread_mutex_unlock(&sim->lock);
	} else if (has_prefix(path, "/prometheus/")) {
		prometheus_fault_body(resp, status);
	} else if (has_prefix(path, "/alertmanager/")) {
		alertmanager_fault_body(resp, status);
	} else if (has_prefix(path, "/sentry/")) {
		sentry_fault_body(resp, status);
	} else if (has_prefix(path, "/opsgenie/")) {
		opsgenie_fault_body(resp, status);
	} else if (has_prefix(path, "/grafana/")) {
		grafana_fault_body(resp, status);
	} else if (has_prefix(path, "/zabbix/")) {
		zabbix_fault_body(resp, status);
	} else if (has_prefix(path, "/jenkins/")) {
		jenkins_fault_body(resp, status);
	} else if (has_prefix(path, "/servicenow/")) {
		servicenow_fault_body(resp, status);
	} else if (has_prefix(path, "/zendesk/")) {
		zendesk_fault_body(resp, status);
	} else if (has_prefix(path, "/gitlab/")) {
		gitlab_fault_body(resp, status);
	} else if (has_prefix(path, "/argocd/")) {
		argocd_fault_body(resp, status);
	} else {
		snprintf(text, sizeof(text), "injected status %u\n", status);
		response_text(resp, status, text);
	}
}

static enum MHD_Result
add_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	params_add(cls, key, value);
	return MHD_YES;
}

static const char *
header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* -1 when no token is required, else whether the request carries it (Opsgenie's
 * scheme is GenieKey, ServiceNow's Basic with the token as password or Bearer,
 * Zendesk's Basic EMAIL/token:TOKEN or Bearer, Jenkins' Basic with the token as the
 * password, everyone else's Bearer, and GitLab also takes a PRIVATE-TOKEN header,
 * seen here as "PRIVATE-TOKEN <token>"; Zabbix's auth is in the body, see
 * zabbix_peek). Grafana's health check is open to all, as load balancers call it. */
static int
check_token(const struct sim *sim, const char *url, const char *authorization)
{
	const char *name = has_prefix(url, "/opsgenie/") ? "GenieKey "
			   : has_prefix(url, "/gitlab/") && authorization &&
					   has_prefix(authorization, "PRIVATE-TOKEN ")
				   ? "PRIVATE-TOKEN "
				   : "Bearer ";
	size_t scheme = strlen(name);

	if (!sim->require_token || streq(url, "/grafana/api/health"))
		return -1;
	if (has_prefix(url, "/jenkins/"))
		return jenkins_token_ok(authorization, sim->require_token);
	if (has_prefix(url, "/servicenow/"))
		return servicenow_auth_ok(authorization, sim->require_token);
	if (has_prefix(url, "/zendesk/"))
		return zendesk_token_ok(authorization, sim->require_token);
	return authorization && strncasecmp(authorization, name, scheme) == 0 &&
	       streq(authorization + scheme, sim->require_token);
}

/* Sleeps in slices so that stopping the simulator ends a long delay early. */
static void
sleep_ms(const struct sim *sim, unsigned int ms)
{
	while (ms > 0 && !atomic_load(&sim->stopping)) {
		unsigned int slice = ms < 20 ? ms : 20;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

static bool
etag_matches(const char *if_none_match, const char *etag)
{
	const char *p = if_none_match;
	size_t len = strlen(etag);

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t,");
		if (has_prefix(p, "W/"))
			p += 2;
		n = strcspn(p, " \t,");
		if ((n == 1 && *p == '*') || (n == len && strncmp(p, etag, len) == 0))
			return true;
		p += n;
	}
	return false;
}

static ssize_t
huge_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct sim *sim = cls;

	if (atomic_load(&sim->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)fault_huge_fill(pos, buf, max);
}

static enum MHD_Result
queue_huge(struct sim *sim, struct MHD_Connection *conn)
{
	struct MHD_Response *mr = MHD_create_response_from_callback(FAULT_HUGE_SIZE, 64 * 1024,
								    huge_reader, sim, NULL);
	enum MHD_Result ret;

	if (!mr)
		return MHD_NO;
	MHD_add_response_header(mr, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, 200, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* Serialises the response, applies the body faults and the ETag, and queues it. */
static enum MHD_Result
queue(struct MHD_Connection *conn, struct sim_response *resp, const struct fault_hit *hit,
      const char *if_none_match)
{
	struct MHD_Response *mr;
	struct buf body;
	char etag[24];
	unsigned int status = resp->status;
	enum MHD_Result ret;
	size_t len;

	buf_init(&body, 0);
	if (resp->json) {
		char *text;

		if (hit->hit && hit->kind == FAULT_WRONG_TYPES)
			resp->json = fault_wrong_types(resp->json);
		text = wire_dump(resp->json, resp->go_escape, &len);
		buf_add(&body, text, len);
		free(text);
	} else {
		buf_add(&body, resp->text.data ? resp->text.data : "", resp->text.len);
	}
	etag[0] = '\0';
	/* A body fault ignores If-None-Match: the client must get the broken body.
	 * truncate and malformed keep the good body's ETag, as a mangling proxy
	 * would pass it on: a client that stores it before parsing is caught. */
	if (hit->hit && (hit->kind == FAULT_TRUNCATE || hit->kind == FAULT_MALFORMED ||
			 hit->kind == FAULT_WRONG_TYPES))
		if_none_match = NULL;
	if (resp->etag && status == 200) {
		snprintf(etag, sizeof(etag), "\"%016llx\"",
			 (unsigned long long)fnv64_add(FNV64_OFFSET, body.data ? body.data : "",
						       body.len));
		if (if_none_match && etag_matches(if_none_match, etag)) {
			status = 304;
			buf_reset(&body);
		}
	}
	if (hit->hit && hit->kind == FAULT_TRUNCATE)
		fault_truncate(&body);
	if (hit->hit && hit->kind == FAULT_MALFORMED)
		fault_malform(&body);
	len = body.len;
	mr = MHD_create_response_from_buffer(len, buf_detach(&body), MHD_RESPMEM_MUST_FREE);
	if (!mr)
		return MHD_NO;
	if (status != 304)
		MHD_add_response_header(mr, "Content-Type",
					resp->json	     ? "application/json"
					: resp->content_type ? resp->content_type
							     : "text/plain; charset=utf-8");
	if (etag[0])
		MHD_add_response_header(mr, "ETag", etag);
	for (size_t i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(mr, resp->headers[i][0], resp->headers[i][1]);
	ret = MHD_queue_response(conn, status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* The faults that replace the response entirely. Returns true when resp is ready. */
static bool
fault_response(struct sim *sim, const struct sim_request *req, const struct fault_hit *hit,
	       struct sim_response *resp)
{
	char text[16];

	if (!hit->hit)
		return false;
	switch (hit->kind) {
	case FAULT_STATUS:
		fault_status_body(sim, req->path, hit->status, resp);
		return true;
	case FAULT_RATE_LIMIT:
		if (has_prefix(req->path, "/servicenow/"))
			servicenow_fault_body(resp, hit->status); /* its JSON and X-RateLimit-* */
		else
			response_text(resp, hit->status, "Too Many Requests\n");
		snprintf(text, sizeof(text), "%u", hit->retry_after);
		response_header(resp, "Retry-After", text);
		response_header(resp, "X-RateLimit-Remaining", "0");
		return true;
	default:
		return false;
	}
}

/* The whole life of one request once its body is in: log it and pick its fault
 * under the lock, wait outside it, then either drop the connection, stream the
 * huge body, answer for the fault or the missing token, or run the handler. */
static enum MHD_Result
serve(struct sim *sim, struct MHD_Connection *conn, const char *url, const char *method,
      struct conn_ctx *ctx)
{
	struct sim_request req = { .method = method, .path = url };
	struct sim_response resp = { .status = 200 };
	const char *ctype = header(conn, "Content-Type");
	const char *inm = header(conn, "If-None-Match");
	const char *auth = header(conn, "Authorization");
	const char *private_token = header(conn, "PRIVATE-TOKEN");
	bool control = has_prefix(url, "/_sim/");
	bool zabbix = has_prefix(url, "/zabbix/");
	struct fault_hit hit = { .hit = false };
	char *gitlab_auth = NULL;
	int token_ok;
	json_t *args = NULL;
	char rpc[64], *key = NULL;
	enum MHD_Result ret;

	if (has_prefix(url, "/gitlab/") && !auth && private_token)
		auth = gitlab_auth = xasprintf("PRIVATE-TOKEN %s", private_token);
	token_ok = zabbix ? -1 : check_token(sim, url, auth);

	buf_init(&resp.text, 0);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_param, &req.params);
	if (ctype && has_prefix(ctype, "application/x-www-form-urlencoded"))
		params_add_form(&req.params, ctx->body.data ? ctx->body.data : "", ctx->body.len);
	req.body = ctx->body.data ? ctx->body.data : "";
	req.body_len = ctx->body.len;
	req.content_type = ctype;

	pthread_mutex_lock(&sim->lock);
	if (zabbix) {
		/* One URL, many calls: each is logged and faulted as PATH#METHOD. */
		zabbix_peek(sim, req.body, req.body_len, rpc, sizeof(rpc), &args, &token_ok);
		key = xasprintf("%s#%s", url, rpc);
	}
	if (!control) {
		reqlog_record(&sim->log, method, key ? key : url, inm, auth, token_ok,
			      args ? args : params_json(&req.params));
		hit = fault_take(&sim->faults, method, key ? key : url);
	}
	pthread_mutex_unlock(&sim->lock);
	free(key);

	if (hit.hit && hit.delay_ms > 0)
		sleep_ms(sim, hit.delay_ms);
	if (hit.hit && (hit.kind == FAULT_RESET || hit.kind == FAULT_HUGE)) {
		/* MHD_NO closes the connection before a byte of the response. */
		ret = hit.kind == FAULT_RESET ? MHD_NO : queue_huge(sim, conn);
		goto out;
	}
	if (ctx->too_big) {
		response_text(&resp, 413, "request body too large\n");
	} else if (fault_response(sim, &req, &hit, &resp)) {
		/* resp is the fault's */
	} else if (!control && token_ok == 0 && has_prefix(url, "/opsgenie/")) {
		opsgenie_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/sentry/")) {
		sentry_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/grafana/")) {
		grafana_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/jenkins/")) {
		/* Anonymous may not read; a wrong token is refused. */
		jenkins_fault_body(&resp, auth ? 401 : 403);
	} else if (!control && token_ok == 0 && has_prefix(url, "/servicenow/")) {
		servicenow_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/zendesk/")) {
		zendesk_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/gitlab/")) {
		gitlab_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/argocd/")) {
		argocd_fault_body(&resp, 401);
	} else if (!control && token_ok == 0 && has_prefix(url, "/github/")) {
		pthread_mutex_lock(&sim->lock);
		github_fault_body(sim, &resp, 401);
		pthread_mutex_unlock(&sim->lock);
	} else if (!control && !zabbix && token_ok == 0) {
		response_text(&resp, 401, "Unauthorized\n");
		response_header(&resp, "WWW-Authenticate", "Bearer realm=\"sitrep-sim\"");
	} else {
		req.stuck_cursor = hit.hit && hit.kind == FAULT_STUCK_CURSOR;
		pthread_mutex_lock(&sim->lock);
		dispatch(sim, &req, &resp);
		pthread_mutex_unlock(&sim->lock);
	}
	if (sim->verbose)
		fprintf(stderr, "sitrep-sim: %s %s -> %u%s\n", method, url, resp.status,
			hit.hit ? " (fault)" : "");
	ret = queue(conn, &resp, &hit, inm);
out:
	if (gitlab_auth)
		memset(gitlab_auth, 0, strlen(gitlab_auth));
	free(gitlab_auth);
	params_release(&req.params);
	response_release(&resp);
	return ret;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	       const char *version, const char *upload_data, size_t *upload_data_size,
	       void **con_cls)
{
	struct conn_ctx *ctx = *con_cls;

	(void)version;
	if (!ctx) {
		ctx = xcalloc(1, sizeof(*ctx));
		buf_init(&ctx->body, MAX_UPLOAD);
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!buf_add(&ctx->body, upload_data, *upload_data_size))
			ctx->too_big = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return serve(cls, conn, url, method, ctx);
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!ctx)
		return;
	buf_release(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

enum status_code
server_start(struct sim *sim, uint16_t port)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	/* A thread per connection: a delay fault sleeps in its request's thread,
	 * and the other clients of a test keep being answered meanwhile. */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	/* Loopback only: the simulator accepts any token and serves fake data, so it
	 * must never be reachable from another host. */
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sim->verbose)
		flags |= MHD_USE_ERROR_LOG;
	sim->daemon = MHD_start_daemon(
		flags, port, NULL, NULL, access_handler, sim, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, request_completed, sim,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60, MHD_OPTION_END);
	if (!sim->daemon)
		return error("cannot listen on 127.0.0.1:%u", (unsigned int)port);
	info = MHD_get_daemon_info(sim->daemon, MHD_DAEMON_INFO_BIND_PORT);
	sim->port = info ? info->port : port;
	return SUCCESS;
}

void
server_stop(struct sim *sim)
{
	atomic_store(&sim->stopping, true);
	if (sim->daemon)
		MHD_stop_daemon(sim->daemon);
	sim->daemon = NULL;
}
