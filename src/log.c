/*
 * sock64: logging.  The destination and level are set once at start-up
 * (write-once globals), and so is whether writes may wait (the daemon's
 * parent turns that off); after that every call formats one line and
 * writes it with one write(2).  fatal() and fatalx() are for start-up
 * code and main() only: modules return errors to their callers.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* Where syslog(3) sends, and where its lines go when nobody listens. */
#define LOG_SYSLOG_PATH	"/dev/log"
#define LOG_CONSOLE	"/dev/console"

/* A line, with its prefix and newline: below PIPE_BUF, written whole. */
#define LOG_LINE_MAX	2048

/* How a line reaches stderr; all but LOG_WAIT give up rather than wait. */
enum log_how {
	LOG_WAIT,		/* write(2), waiting for room */
	LOG_SEND,		/* a socket: send(2) with MSG_DONTWAIT */
	LOG_OWN,		/* a pipe: our own non-blocking open of it */
	LOG_POLL		/* else: write(2) once poll(2) sees room */
};

static const char	*log_name = "sock64";
static int		 log_level = LOG_LEVEL_INFO;
static enum log_dest	 log_dest = LOG_TO_STDERR;
static enum log_how	 log_how = LOG_WAIT;
static int		 log_own_fd = -1;
static unsigned long	 log_dropped;	/* lines not written, not told */

static void	vlog(int, const char *, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));
static size_t	log_format(char *, size_t, int, const char *, int,
		    const char *, va_list)
		    __attribute__((format(printf, 6, 0)));
static size_t	log_line(char *, size_t, int, const char *, const char *,
		    ...)
		    __attribute__((format(printf, 5, 6)));
static void	log_emit(const char *, size_t);
static int	log_put(const char *, size_t);
static int	log_reopen(void);
static int	log_syslog_listens(void);
static void	log_to_console(void);

void
log_init(const char *name, int level, enum log_dest dest)
{
	log_name = name;
	log_level = level;
	log_dest = dest;
	if (dest != LOG_TO_SYSLOG)
		return;
	if (log_syslog_listens())
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else
		log_to_console();
}

/* Whether a syslog daemon (or the journal) takes datagrams on /dev/log. */
static int
log_syslog_listens(void)
{
	struct sockaddr_un	 sun;
	int			 fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, LOG_SYSLOG_PATH, sizeof(LOG_SYSLOG_PATH));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return 1;	/* let syslog(3) try, and fail, itself */
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/*
 * No syslog daemon: syslog(3) would drop every line without a word.  The
 * lines go to the console instead, in stderr's format, opened now while
 * we may still be root; with -v the first one says so.  Only when the
 * console cannot be opened either are they lost.
 */
static void
log_to_console(void)
{
	int	 fd;

	if ((fd = open(LOG_CONSOLE, O_WRONLY | O_APPEND | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return;
	log_dest = LOG_TO_STDERR;
	log_own_fd = fd;
	log_how = LOG_OWN;
	log_debug("no syslog daemon listens on %s: logging to %s",
	    LOG_SYSLOG_PATH, LOG_CONSOLE);
}

int
log_get_level(void)
{
	return log_level;
}

/*
 * For the daemon's parent, which serves every client and so must never
 * wait for its log: from now on a line that standard error cannot take
 * at once is dropped and counted, and the next line that gets through
 * is preceded by one saying how many were dropped.
 *
 * O_NONBLOCK is not set on fd 2: that open file description is shared,
 * with the children and the programs they run, maybe with the shell of
 * a terminal, and they would all get EAGAIN.  Instead a socket (the
 * journal's stream) is sent to with MSG_DONTWAIT; a pipe is opened once
 * more, through /proc, as a non-blocking description of our own; and
 * anything else is written only when poll(2) says it has room (a file
 * always has; a terminal stalls only on its user's ^S; a pipe elsewhere
 * than Linux could fill between the poll and the write).  Called before
 * privileges are dropped, as a pipe made by root may not be ours to open
 * after.
 */
void
log_nonblocking(void)
{
	struct stat	 st;

	if (log_dest == LOG_TO_SYSLOG || fstat(STDERR_FILENO, &st) == -1)
		return;
#ifdef MSG_DONTWAIT
	if (S_ISSOCK(st.st_mode)) {
		log_how = LOG_SEND;
		return;
	}
#endif
	if (S_ISFIFO(st.st_mode) && (log_own_fd = log_reopen()) != -1)
		log_how = LOG_OWN;
	else
		log_how = LOG_POLL;
}

/*
 * Back to writes that wait, for a forked child.  A child serves one
 * client: while the log does not take its lines only that client waits,
 * and --grace still bounds a stop; in return no line about a connection
 * is lost.  The lines the parent dropped are the parent's to tell.
 */
void
log_blocking(void)
{
	if (log_own_fd != -1)
		close(log_own_fd);
	log_own_fd = -1;
	log_how = LOG_WAIT;
	log_dropped = 0;
}

/*
 * A new open file description of the pipe on fd 2, non-blocking and
 * ours alone.  Linux's /proc/self/fd opens the pipe itself; elsewhere a
 * /dev/fd open may duplicate the shared description instead.
 */
static int
log_reopen(void)
{
#ifdef __linux__
	char	 path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", STDERR_FILENO);
	return open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
#else
	return -1;
#endif
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

/* Formats one line and writes it. */
static void
vlog(int pri, const char *label, int errnum, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	size_t	 len;

	len = log_format(line, sizeof(line), pri, label, errnum, fmt, ap);
	if (len == 0)
		return;
	if (log_dest == LOG_TO_SYSLOG)
		syslog(pri, "%s", line);
	else
		log_emit(line, len);
}

/*
 * Formats one line into buf, NUL-terminated; returns its length, 0 on a
 * formatting error.  With errnum non-zero, ": strerror(errnum)" follows
 * the message, as in "sock64d[12]: warning: accept: Too many open
 * files".  For stderr and the journal the line ends with a newline, even
 * when it had to be cut.
 */
static size_t
log_format(char *line, size_t size, int pri, const char *label, int errnum,
    const char *fmt, va_list ap)
{
	int	 n, m;
	size_t	 len;

	if (log_dest == LOG_TO_JOURNAL)
		n = snprintf(line, size, "<%d>", pri);
	else if (log_dest == LOG_TO_STDERR)
		n = snprintf(line, size, "%s[%ld]: %s: ", log_name,
		    (long)getpid(), label);
	else
		n = 0;
	if (n < 0 || (size_t)n >= size)
		return 0;
	m = vsnprintf(line + n, size - (size_t)n, fmt, ap);
	if (m < 0)
		return 0;
	len = (size_t)n + (size_t)m;
	if (len > size - 1)
		len = size - 1;
	if (errnum != 0) {
		m = snprintf(line + len, size - len, ": %s", strerror(errnum));
		if (m > 0)
			len += (size_t)m;
		if (len > size - 1)
			len = size - 1;
	}
	if (log_dest != LOG_TO_SYSLOG) {
		if (len > size - 2)
			len = size - 2;
		line[len++] = '\n';
	}
	line[len] = '\0';
	return len;
}

static size_t
log_line(char *line, size_t size, int pri, const char *label,
    const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len;

	va_start(ap, fmt);
	len = log_format(line, size, pri, label, 0, fmt, ap);
	va_end(ap);
	return len;
}

/*
 * Writes a formatted line.  Without waiting, a line that cannot go is
 * counted; the first line that can go again is preceded by the count.
 */
static void
log_emit(const char *line, size_t len)
{
	char	 note[LOG_LINE_MAX];
	size_t	 n;

	if (log_how == LOG_WAIT) {
		(void)log_put(line, len);
		return;
	}
	if (log_dropped > 0) {
		n = log_line(note, sizeof(note), LOG_WARNING, "warning",
		    "%lu log lines dropped: standard error did not take them",
		    log_dropped);
		if (n == 0 || log_put(note, n) == -1) {
			log_dropped++;
			return;
		}
		log_dropped = 0;
	}
	if (log_put(line, len) == -1)
		log_dropped++;
}

/*
 * One write of a whole line; -1 if it did not go.  A line is shorter
 * than PIPE_BUF, so a pipe takes it whole or not at all, and a unix
 * stream socket (the journal's) in one buffer, whole or not at all.
 */
static int
log_put(const char *line, size_t len)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	do {
#ifdef MSG_DONTWAIT
		if (log_how == LOG_SEND) {
			n = send(STDERR_FILENO, line, len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			continue;
		}
#endif
		if (log_how == LOG_OWN) {
			n = write(log_own_fd, line, len);
			continue;
		}
		if (log_how == LOG_POLL) {
			pfd.fd = STDERR_FILENO;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 0) != 1 ||
			    (pfd.revents & POLLOUT) == 0)
				return -1;
		}
		n = write(STDERR_FILENO, line, len);
	} while (n == -1 && errno == EINTR);
	return n == -1 ? -1 : 0;
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
