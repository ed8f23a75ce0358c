/*
 * sock64: logging, in the shape of OpenBSD httpd's log.c.  One line per
 * event, written with a single write(2) so that children sharing stderr
 * never interleave within a line.
 */
#ifndef SOCK64_LOG_H
#define SOCK64_LOG_H

#include <stdarg.h>

#define LOG_LEVEL_NONE	(-1)	/* fatal() only: for fuzzing */
#define LOG_LEVEL_WARN	0
#define LOG_LEVEL_INFO	1
#define LOG_LEVEL_DEBUG	2

enum log_dest {
	LOG_TO_STDERR,		/* "sock64d[PID]: LEVEL: message" */
	LOG_TO_JOURNAL,		/* "<N>message", for systemd's journal */
	LOG_TO_SYSLOG		/* syslog(3), when stderr is the client */
};

void	log_init(const char *, int, enum log_dest);
int	log_get_level(void);
void	log_nonblocking(void);
void	log_blocking(void);
int	log_stderr_is_journal(void);
void	log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* SOCK64_LOG_H */
