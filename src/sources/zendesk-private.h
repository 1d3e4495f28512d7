/* zendesk-private.h - what the Zendesk source's files share: zendesk.c (plan, pages,
 * errors), zendesk_tickets.c (a ticket as an incident) and zendesk_events.c (what
 * a ticket's metric events say: SLA clocks, first reply, solves and reopens). */
#ifndef SITREP_ZENDESK_PRIVATE_H
#define SITREP_ZENDESK_PRIVATE_H

#include "sitrep/source.h"

#include <jansson.h>

#define ZD_TYPE "zendesk"
#define ZD_STREAM "tickets"

/* Every error of a ticket names the stream, the ticket's place in the page and its
 * id (0 until known), then the field and what is wrong with it. value, when set, is
 * quoted (sanitized). Returns ERROR_CUSTOM_MESSAGE. */
enum status_code zd_error(size_t i, json_int_t id, const char *field, const char *what,
			  const char *value);
/* A timestamp member: *out TIME_NONE when absent or null (unless required). */
enum status_code zd_time(size_t i, json_int_t id, const json_t *obj, const char *key,
			 const char *field, bool required, int64_t *out);

/* The page's sideloads, by id (objects keyed by the decimal id). Borrowed. */
struct zd_sideloads {
	const json_t *metric_sets; /* ticket id -> its metric set */
	const json_t *users;	   /* user id -> user */
};

/* One clock of a ticket metric (Zendesk's metric instance), as its events tell it. */
struct zd_clock {
	const char *metric; /* the events' metric: reply_time, requester_wait_time, ... */
	json_int_t instance;
	bool applied;	    /* an SLA target was applied (apply_sla) */
	const char *policy; /* the SLA policy's title, or NULL */
	int64_t target;	    /* seconds, TIME_NONE without an SLA */
	bool business;	    /* the target is in business hours */
	int64_t start;	    /* first activation; TIME_NONE: never activated */
	int64_t stop;	    /* fulfilment; TIME_NONE while running */
	struct mx_pause *pauses;
	size_t n_pauses, pauses_alloc;
	int64_t paused_since; /* TIME_NONE unless paused now */
	int64_t breach;	      /* the earliest breach event not deleted, or TIME_NONE */
};

struct zd_events {
	struct zd_clock *clocks;
	size_t n_clocks;
	struct mx_reopen *reopens; /* solve, reopen pairs, in time order */
	size_t n_reopens;
	int64_t first_reply; /* fulfilment of reply_time's first instance, or TIME_NONE */
	int64_t last_solve;  /* the latest solve when the ticket is solved now, or TIME_NONE */
};

/* Reads a ticket's metric_events sideload (an object of arrays by metric, or one
 * array) into ev. Errors name ticket i. */
enum status_code zd_events_read(size_t i, json_int_t id, const json_t *events,
				struct zd_events *ev);
void zd_events_release(struct zd_events *ev);
/* The SLA metric a clock measures: first_reply_time and next_reply_time for
 * reply_time's instances, else the events' own name. Static or borrowed text. */
const char *zd_sla_metric(const struct zd_clock *c);
/* response, update or resolution: what an SLA metric is about; NULL when unknown. */
const char *zd_sla_kind(const char *sla_metric);

/* Ticket i of an export page as an incident (with its events) in page. */
enum status_code zd_ticket(const struct source_ctx *ctx, size_t i, const json_t *ticket,
			   const struct zd_sideloads *side, struct source_page *page);

#endif
