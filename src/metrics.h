/*
 * sock64: --metrics-file, the server's counts for Prometheus.
 */
#ifndef SOCK64_METRICS_H
#define SOCK64_METRICS_H

struct tally;

int	metrics_write(const char *, const struct tally *);

#endif /* SOCK64_METRICS_H */
