/*
 * sock64: where the accept loop's counts go: systemd's STATUS= and the
 * --metrics-file.
 */
#ifndef SOCK64_REPORT_H
#define SOCK64_REPORT_H

struct systemd_notify;
struct tally;

struct report {
	struct systemd_notify	*notify;	/* or NULL */
	const char		*metrics_path;	/* or NULL */
	int			 failing;	/* the last write failed */
};

void	report_counts(const struct tally *, void *);

#endif /* SOCK64_REPORT_H */
