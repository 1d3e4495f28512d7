/* clock.c - the simulated clock: a start instant plus real elapsed time scaled by
 * --speed, which tests may set or move through /_sim/clock.
 *
 * It reads CLOCK_MONOTONIC only, never the wall clock, so a host's NTP step cannot
 * move the simulated world; with speed 0 the clock stands still and every answer is
 * a pure function of the seed and the instant set. Callers hold sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>
#include <time.h>

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
sim_clock_init(struct sim_clock *c, int64_t start_ms, double speed)
{
	c->start_ms = start_ms;
	c->base_ms = start_ms;
	c->base_mono_ns = mono_ns();
	c->speed = speed;
}

int64_t
sim_clock_now(const struct sim_clock *c)
{
	double elapsed_ms;

	if (c->speed == 0.0)
		return c->base_ms;
	elapsed_ms = (double)(mono_ns() - c->base_mono_ns) / 1e6 * c->speed;
	return c->base_ms + (int64_t)floor(elapsed_ms);
}

/* Re-basing keeps the clock continuous when only the speed changes. */
void
sim_clock_set(struct sim_clock *c, int64_t ms)
{
	c->base_ms = ms;
	c->base_mono_ns = mono_ns();
}

void
sim_clock_set_speed(struct sim_clock *c, double speed)
{
	sim_clock_set(c, sim_clock_now(c));
	c->speed = speed;
}

json_t *
sim_clock_json(const struct sim_clock *c)
{
	char now[WIRE_TIME_SIZE], start[WIRE_TIME_SIZE];
	int64_t ms = sim_clock_now(c);
	json_t *obj = json_object();

	wire_time_ms(ms, now, sizeof(now));
	wire_time_ms(c->start_ms, start, sizeof(start));
	json_object_set_new(obj, "now", json_string(now));
	json_object_set_new(obj, "epoch", wire_unix_time(ms));
	json_object_set_new(obj, "epoch_ms", json_integer(ms));
	json_object_set_new(obj, "start", json_string(start));
	json_object_set_new(obj, "speed", json_real(c->speed));
	return obj;
}
