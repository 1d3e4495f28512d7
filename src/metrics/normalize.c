/* normalize.c - spec §3.2 and §2: makes one incident's milestones usable before any
 * metric reads them (impute a missing impact start, force the milestones monotone)
 * and reports what it changed as data-quality flags for the UI. It changes only the
 * milestones it names; it does not floor durations (the metrics do) or fold
 * duplicates (the store does, §3.1). */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

unsigned
mx_normalize(struct mx_incident *incident)
{
	unsigned flags = 0;

	/* An acknowledgement proves the problem was already known (E5). Done before the
	 * imputation so that an imputed impact start is the normalised detection. */
	if (incident->acknowledged_at != TIME_NONE && incident->detected_at != TIME_NONE &&
	    incident->acknowledged_at < incident->detected_at) {
		incident->detected_at = incident->acknowledged_at;
		flags |= MX_DETECTED_MOVED;
	}
	/* §2: imputed from detection, used for TTR and downtime, never for TTD. */
	if (incident->impact_start == TIME_NONE) {
		incident->impact_start = incident->detected_at;
		flags |= MX_IMPACT_IMPUTED;
	} else if (incident->detected_at != TIME_NONE &&
		   incident->impact_start > incident->detected_at) {
		incident->impact_start = incident->detected_at;
		flags |= MX_IMPACT_MOVED;
	}
	if (incident->contained_at != TIME_NONE && incident->resolved_at != TIME_NONE &&
	    incident->contained_at > incident->resolved_at) {
		incident->contained_at = incident->resolved_at;
		flags |= MX_CONTAINED_MOVED;
	}
	return flags;
}
