/*
 * sock64: the accept loop's report hook.  It hears of changed counts at
 * most once a second, and once each when stopping starts and ends.  A
 * metrics file that cannot be written is a warning when it starts to
 * fail and a line when it works again, not a line a second.
 */
#include "config.h"

#include <stddef.h>

#include "log.h"
#include "metrics.h"
#include "report.h"
#include "systemd.h"
#include "tally.h"

void
report_counts(const struct tally *t, void *arg)
{
	struct report	*r = arg;

	if (r->notify != NULL)
		systemd_report(t, r->notify);
	if (r->metrics_path == NULL)
		return;
	if (metrics_write(r->metrics_path, t) == -1) {
		if (!r->failing)
			log_warn("metrics file %s", r->metrics_path);
		r->failing = 1;
	} else if (r->failing) {
		log_info("metrics file %s written again", r->metrics_path);
		r->failing = 0;
	}
}
