/* control.c - the simulator's own API under /_sim/, for tests and the demo: the
 * clock (read, set, advance, speed), fault rules, the request log, the scenario's
 * ground truth, and a reset.
 *
 * These routes are never faulted nor token-checked, and never counted in the
 * request log, so that a test's bookkeeping does not disturb what it measures.
 * Bodies are JSON; errors are 400 {"error": "..."}. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <math.h>

static void
fail(struct sim_response *resp, unsigned int status, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(message));
	response_json(resp, status, o);
}

static json_t *
body_json(const struct sim_request *req, struct sim_response *resp)
{
	char msg[160], text[200];
	json_t *v = json_parse(req->body, req->body_len, msg, sizeof(msg));

	if (!v) {
		snprintf(text, sizeof(text), "request body is not JSON: %s", msg);
		fail(resp, 400, text);
	}
	return v;
}

static bool
instant_value(const json_t *v, int64_t *ms)
{
	if (json_is_number(v)) {
		*ms = llround(json_number_value(v) * 1000.0);
		return true;
	}
	return wire_parse_time(json_string_value(v), ms);
}

/* {"set": T, "advance": "1h", "speed": X}, applied in that order. */
static void
clock_post(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	json_t *body = body_json(req, resp), *set, *advance, *speed;
	int64_t ms;

	if (!body)
		return;
	set = json_object_get(body, "set");
	advance = json_object_get(body, "advance");
	speed = json_object_get(body, "speed");
	if (!json_is_object(body) || (!set && !advance && !speed)) {
		fail(resp, 400, "expected {\"set\": T} or {\"advance\": \"1h\"} or {\"speed\": X}");
		goto out;
	}
	if (set) {
		if (!instant_value(set, &ms)) {
			fail(resp, 400, "\"set\": expected RFC 3339 or unix seconds");
			goto out;
		}
		sim_clock_set(&sim->clock, ms);
	}
	if (advance) {
		if (!wire_parse_signed_duration(json_string_value(advance), &ms)) {
			fail(resp, 400,
			     "\"advance\": expected a duration such as \"90s\" or \"1h30m\"");
			goto out;
		}
		sim_clock_set(&sim->clock, sim_clock_now(&sim->clock) + ms);
	}
	if (speed) {
		if (!json_is_number(speed) || json_number_value(speed) < 0 ||
		    json_number_value(speed) > 1e6) {
			fail(resp, 400, "\"speed\": expected a number from 0 to 1000000");
			goto out;
		}
		sim_clock_set_speed(&sim->clock, json_number_value(speed));
	}
	response_json(resp, 200, sim_clock_json(&sim->clock));
out:
	json_decref(body);
}

/* One fault object, or an array of them (all or nothing). */
static void
fault_post(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	json_t *body = body_json(req, resp), *added = json_array(), *one;
	size_t before = sim->faults.n, i;
	char err[200];

	if (!body)
		goto out;
	if (json_is_object(body)) {
		json_t *arr = json_array();

		json_array_append_new(arr, body);
		body = arr;
	}
	if (json_array_size(body) == 0) {
		fail(resp, 400, "expected a fault object or a non-empty array of them");
		goto out;
	}
	json_array_foreach(body, i, one)
	{
		json_t *echo;

		if (!fault_add(&sim->faults, one, &echo, err, sizeof(err))) {
			while (sim->faults.n > before)
				fault_remove(&sim->faults, sim->faults.items[sim->faults.n - 1].id);
			fail(resp, 400, err);
			goto out;
		}
		json_array_append_new(added, echo);
	}
	if (json_array_size(added) == 1)
		response_json(resp, 200, json_incref(json_array_get(added, 0)));
	else
		response_json(resp, 200, json_incref(added));
out:
	json_decref(body);
	json_decref(added);
}

static void
fault_delete(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *id = params_get(&req->params, "id");
	char *end;
	unsigned long n;

	if (!id) {
		fault_list_clear(&sim->faults);
		response_json(resp, 200, fault_list_json(&sim->faults));
		return;
	}
	n = strtoul(id, &end, 10);
	if (*id == '\0' || *end != '\0' || !fault_remove(&sim->faults, n)) {
		fail(resp, 404, "no such fault");
		return;
	}
	response_json(resp, 200, fault_list_json(&sim->faults));
}

static void
requests_delete(struct sim *sim, struct sim_response *resp)
{
	reqlog_clear(&sim->log);
	response_json(resp, 200, reqlog_json(&sim->log));
}

/* The scenario's ground truth, and what the branches look like at the simulated
 * now (protection.c). */
static void
scenario_get(struct sim *sim, struct sim_response *resp)
{
	json_t *root = world_json(&sim->world);

	json_object_set_new(root, "branches_now",
			    branches_now_json(&sim->world, sim_clock_now(&sim->clock)));
	response_json(resp, 200, root);
}

static void
reset(struct sim *sim, struct sim_response *resp)
{
	fault_list_clear(&sim->faults);
	reqlog_clear(&sim->log);
	am_store_release(&sim->am);
	zabbix_state_release(sim);
	sim_acks_release(sim);
	sim_made_release(sim);
	opsgenie_release(sim);
	response_json(resp, 200, json_object());
}

void
control_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route, *m = req->method;

	if (streq(r, "/_sim/clock") && streq(m, "GET"))
		response_json(resp, 200, sim_clock_json(&sim->clock));
	else if (streq(r, "/_sim/clock") && streq(m, "POST"))
		clock_post(sim, req, resp);
	else if (streq(r, "/_sim/fault") && streq(m, "GET"))
		response_json(resp, 200, fault_list_json(&sim->faults));
	else if (streq(r, "/_sim/fault") && streq(m, "POST"))
		fault_post(sim, req, resp);
	else if (streq(r, "/_sim/fault") && streq(m, "DELETE"))
		fault_delete(sim, req, resp);
	else if (streq(r, "/_sim/requests") && streq(m, "GET"))
		response_json(resp, 200, reqlog_json(&sim->log));
	else if (streq(r, "/_sim/requests") && streq(m, "DELETE"))
		requests_delete(sim, resp);
	else if (streq(r, "/_sim/scenario") && streq(m, "GET"))
		scenario_get(sim, resp);
	else if (streq(r, "/_sim/reset") && streq(m, "POST"))
		reset(sim, resp);
	else if (streq(r, "/_sim/clock") || streq(r, "/_sim/fault") || streq(r, "/_sim/requests") ||
		 streq(r, "/_sim/scenario") || streq(r, "/_sim/reset"))
		fail(resp, 405, "method not allowed");
	else
		fail(resp, 404, "no such control route");
}
