/*
 * sock64: --metrics-file, the counts in the Prometheus text exposition
 * format, for node_exporter's textfile collector: a daemon that should
 * not open an HTTP port of its own writes a file, and the exporter
 * serves it.  The file is written whole under another name in the same
 * directory and renamed over the old one, so a reader sees the old
 * counts or the new, never half of them.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "tally.h"

static void	metrics_head(FILE *, const char *, const char *,
		    const char *);
static void	metrics_counter(FILE *, const char *, const char *,
		    uint64_t);
static void	metrics_labelled(FILE *, const char *, const char *,
		    const char *, const char *const *, const uint64_t *,
		    size_t);
static void	metrics_print(FILE *, const struct tally *);

static const char *const metrics_refusals[REFUSAL_REASONS] = {
	"rule", "rate", "source"
};

/*
 * Writes the counts to path.  Returns 0, or -1 with errno (the file
 * at path is then left as it was).
 */
int
metrics_write(const char *path, const struct tally *t)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	/* mkstemp's 0600 would keep an exporter of another user out. */
	if (fchmod(fd, 0644) == -1 || (f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	metrics_print(f, t);
	if (ferror(f) | (fclose(f) == EOF) || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Every metric, with HELP and TYPE, in base units. */
static void
metrics_print(FILE *f, const struct tally *t)
{
	const char	*ends[TALLY_ENDS], *fails[TALLY_FAILURES - 1];
	const char	*pauses[TALLY_PAUSES];
	size_t		 i;

	for (i = 0; i < TALLY_ENDS; i++)
		ends[i] = tally_end_name((enum tally_end)i);
	for (i = 1; i < TALLY_FAILURES; i++)
		fails[i - 1] = tally_failure_name((enum tally_failure)i);
	for (i = 0; i < TALLY_PAUSES; i++)
		pauses[i] = tally_pause_name((enum tally_pause)i);
	metrics_head(f, "start_time_seconds", "gauge",
	    "When the server started, in seconds since the epoch.");
	fprintf(f, "sock64d_start_time_seconds %" PRId64 ".%03d\n",
	    t->started_ms / 1000, (int)(t->started_ms % 1000));
	metrics_head(f, "connections_active", "gauge",
	    "Connections being served now.");
	fprintf(f, "sock64d_connections_active %zu\n", t->active);
	metrics_counter(f, "connections_accepted_total",
	    "Connections accepted.", t->accepted);
	metrics_counter(f, "connections_served_total",
	    "Connections given a process of their own.", t->served);
	metrics_labelled(f, "connections_refused_total",
	    "Connections refused before a process was forked, by reason.",
	    "reason", metrics_refusals, t->refused, REFUSAL_REASONS);
	metrics_labelled(f, "connections_ended_total",
	    "Connections ended, by reason.", "reason", ends, t->ends,
	    TALLY_ENDS);
	metrics_head(f, "connection_duration_seconds_total", "counter",
	    "Time the ended connections lasted, in all.");
	fprintf(f, "sock64d_connection_duration_seconds_total %" PRIu64
	    ".%03d\n", t->duration_ms / 1000, (int)(t->duration_ms % 1000));
	metrics_counter(f, "requests_total", "Requests answered.",
	    t->requests);
	metrics_counter(f, "received_bytes_total",
	    "Bytes received from clients, headers included.", t->bytes_in);
	metrics_counter(f, "sent_bytes_total",
	    "Bytes sent to clients, headers included.", t->bytes_out);
	metrics_counter(f, "handler_runs_total",
	    "Runs of the -- PROGRAM handler.", t->handler_runs);
	metrics_labelled(f, "handler_failures_total",
	    "Handler runs that failed, by reason.", "reason", fails,
	    t->failures + 1, TALLY_FAILURES - 1);
	metrics_labelled(f, "accept_pauses_total",
	    "Times accepting paused, by reason.", "reason", pauses, t->pauses,
	    TALLY_PAUSES);
	metrics_counter(f, "children_crashed_total",
	    "Children killed by a signal they did not expect.", t->crashed);
	metrics_counter(f, "children_killed_total",
	    "Children killed after --grace at shutdown.", t->killed);
}

static void
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP sock64d_%s %s\n# TYPE sock64d_%s %s\n", name, help,
	    name, type);
}

static void
metrics_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	metrics_head(f, name, "counter", help);
	fprintf(f, "sock64d_%s %" PRIu64 "\n", name, v);
}

/* A counter with one label, one line per value of the label. */
static void
metrics_labelled(FILE *f, const char *name, const char *help,
    const char *label, const char *const *values, const uint64_t *v,
    size_t n)
{
	size_t	 i;

	metrics_head(f, name, "counter", help);
	for (i = 0; i < n; i++)
		fprintf(f, "sock64d_%s{%s=\"%s\"} %" PRIu64 "\n", name, label,
		    values[i], v[i]);
}
