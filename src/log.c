/*
 * sock64: logging.  The destination and level are set once at start-up
 * (write-once globals); after that every call formats one line and
 * writes it with one write(2).  fatal() and fatalx() are for start-up
 * code and main() only: modules return errors to their callers.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "sock64";
static int		 log_level = LOG_LEVEL_INFO;
static enum log_dest	 log_dest = LOG_TO_STDERR;

static void	vlog(int, const char *, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

void
log_init(const char *name, int level, enum log_dest dest)
{
	log_name = name;
	log_level = level;
	log_dest = dest;
	if (dest == LOG_TO_SYSLOG)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

/*
 * True when stderr is the stream systemd's journal gave us: JOURNAL_STREAM
 * holds "DEVICE:INODE" of that stream (systemd.exec(5)).  A redirected
 * stderr no longer matches, and then the plain format is right.
 */
int
log_stderr_is_journal(void)
{
	struct stat		 st;
	const char		*env;
	unsigned long long	 dev, ino;
	char			 tail;

	if ((env = getenv("JOURNAL_STREAM")) == NULL)
		return 0;
	if (sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/*
 * Formats one line.  With errnum non-zero, ": strerror(errnum)" follows
 * the message, as in "sock64d[12]: warning: accept: Too many open files".
 */
static void
vlog(int pri, const char *label, int errnum, const char *fmt, va_list ap)
{
	char	 line[1024];
	int	 n, m;
	size_t	 len;

	if (log_dest == LOG_TO_JOURNAL)
		n = snprintf(line, sizeof(line), "<%d>", pri);
	else if (log_dest == LOG_TO_STDERR)
		n = snprintf(line, sizeof(line), "%s[%ld]: %s: ", log_name,
		    (long)getpid(), label);
	else
		n = 0;
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;
	if (errnum != 0) {
		m = snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(errnum));
		if (m > 0)
			len += (size_t)m;
		if (len > sizeof(line) - 1)
			len = sizeof(line) - 1;
	}
	if (log_dest == LOG_TO_SYSLOG) {
		line[len] = '\0';
		syslog(pri, "%s", line);
		return;
	}
	/* A long line is cut, but still ends with its newline. */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	while (write(STDERR_FILENO, line, len) == -1 && errno == EINTR)
		continue;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, "warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, "warning", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, "info", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
