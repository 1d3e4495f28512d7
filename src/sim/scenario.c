/* scenario.c - the built-in scenario: data/sim/week.json, compiled in by the Makefile
 * (tools/embed.sh writes it into $(BUILD)/sim_week.c), so that sitrep-sim runs from
 * any directory (the demo, an installed copy) without finding its data, and the file
 * and the built-in can never drift apart. */
#include "sitrep/sitrep.h"
#include "sim.h"

extern const char sim_week_json[];

char *
scenario_builtin_text(void)
{
	return xstrdup(sim_week_json);
}
