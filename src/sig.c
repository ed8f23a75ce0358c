/*
 * sock64: signal handling.  In the daemon's parent, SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP and SIGUSR1 are blocked except while it waits in
 * ppoll(2), so a flag can never be set between its test and the wait.
 * SIGPIPE is ignored everywhere: a closed peer shows up as EPIPE.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "compat.h"
#include "io.h"
#include "sig.h"

volatile sig_atomic_t	 sig_got_chld;
volatile sig_atomic_t	 sig_got_term;
volatile sig_atomic_t	 sig_got_hup;
volatile sig_atomic_t	 sig_got_usr1;

static const int	 sig_trapped[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1
};
#define SIG_NTRAPPED	(sizeof(sig_trapped) / sizeof(sig_trapped[0]))

/*
 * Write-once settings read by the handler.  The daemon's children keep
 * the parent's handler (a fork costs no sigaction(2) then); what they
 * do differently is decided by these descriptors being set.
 */
static int		 sig_handlers_set;
/* In a child: the stop pipe's write end (see io_stop_pipe). */
static int		 sig_stop_wfd = -1;
/* In a child without a stop pipe: the connection, shut down instead. */
static int		 sig_conn_rfd = -1;
static int		 sig_conn_wfd = -1;
/* In a child running programs: the self-pipe a signal writes to. */
static int		 sig_chld_wfd = -1;

static void	sig_handler(int);
static void	sig_stop_input(void);
static void	sig_poke(int);
static int	sig_ignore_pipe(void);
static int	sig_install(int, int);

/*
 * The one handler: it sets a flag and, in a child, stops the input and
 * wakes a handler waiting on its program.  Nothing else.
 */
static void
sig_handler(int signo)
{
	int	 saved = errno;

	switch (signo) {
	case SIGCHLD:
		sig_got_chld = 1;
		/* A full pipe already holds a wake-up: nothing is lost. */
		if (sig_chld_wfd != -1)
			sig_poke(sig_chld_wfd);
		break;
	case SIGTERM:
	case SIGINT:
		sig_got_term = 1;
		sig_stop_input();
		break;
	case SIGHUP:
		sig_got_hup = 1;
		break;
	case SIGUSR1:
		sig_got_usr1 = 1;
		break;
	}
	errno = saved;
}

/*
 * SIGTERM or SIGINT in a child: finish the reply in flight, read nothing
 * more.  A byte in the stop pipe ends any wait for input, now or to
 * come, so the connection loop cannot sleep through the signal; the
 * connection itself is left alone, so that the replies already written
 * still reach the peer (see io_finish).  Only when the pipe could not
 * be made is the input shut down (or, for a pipe, closed) instead, as a
 * last resort that ends reads just as surely.  A handler polling on a
 * program is woken through its self-pipe.  write(2), shutdown(2) and
 * close(2) are async-signal-safe.
 */
static void
sig_stop_input(void)
{
	if (sig_stop_wfd != -1)
		sig_poke(sig_stop_wfd);
	else if (sig_conn_rfd != -1 && shutdown(sig_conn_rfd, SHUT_RD) ==
	    -1 && sig_conn_rfd != sig_conn_wfd)
		close(sig_conn_rfd);
	sig_conn_rfd = -1;
	if (sig_chld_wfd != -1)
		sig_poke(sig_chld_wfd);
}

/*
 * One byte into a wake-up pipe, from a signal handler.  A full pipe
 * already holds a wake-up, so a failed write loses nothing; the result
 * is taken only because fortified glibc insists that it is.
 */
static void
sig_poke(int fd)
{
	ssize_t	 n;

	n = write(fd, "", 1);
	(void)n;
}

/*
 * SIGPIPE ignored: a peer that goes away is an EPIPE to handle, not a
 * silent death.  The last step of installing our dispositions.
 */
static int
sig_ignore_pipe(void)
{
	struct sigaction	 sa;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	sig_handlers_set = 1;
	return 0;
}

static int
sig_install(int signo, int flags)
{
	struct sigaction	 sa;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGINT);
	sa.sa_flags = flags;
	sa.sa_handler = sig_handler;
	return sigaction(signo, &sa, NULL);
}

/*
 * Installs the handler, ignores SIGPIPE and blocks the trapped signals.
 * *orig receives the mask we started with; *waitmask is that mask with
 * the trapped signals open, for ppoll(2) and for children.
 */
int
sig_setup(sigset_t *orig, sigset_t *waitmask)
{
	sigset_t	 block;
	size_t		 i;

	sigemptyset(&block);
	for (i = 0; i < SIG_NTRAPPED; i++)
		sigaddset(&block, sig_trapped[i]);
	if (sigprocmask(SIG_BLOCK, &block, orig) == -1)
		return -1;
	*waitmask = *orig;
	for (i = 0; i < SIG_NTRAPPED; i++)
		sigdelset(waitmask, sig_trapped[i]);
	for (i = 0; i < SIG_NTRAPPED; i++)
		if (sig_install(sig_trapped[i], 0) == -1)
			return -1;
	return sig_ignore_pipe();
}

/*
 * Set-up for a process serving one connection (a forked child, or -i
 * mode) on rfd and wfd: SIGTERM and SIGINT stop it gracefully
 * (sig_got_term is set and every wait for input ends), SIGPIPE is
 * ignored (a peer that goes away is an EPIPE to log, not a silent
 * death), and the signal mask becomes `mask`.  A forked child already
 * has the handler: only the mask changes.  SIGHUP, SIGUSR1 and SIGCHLD
 * set their flags and are otherwise ignored there.
 */
int
sig_child_setup(const sigset_t *mask, int rfd, int wfd)
{
	if ((sig_stop_wfd = io_stop_pipe()) == -1) {
		sig_conn_rfd = rfd;
		sig_conn_wfd = wfd;
	}
	if (!sig_handlers_set && (sig_install(SIGTERM, 0) == -1 ||
	    sig_install(SIGINT, 0) == -1 || sig_ignore_pipe() == -1))
		return -1;
	return sigprocmask(SIG_SETMASK, mask, NULL);
}

/*
 * For a child that runs programs: a self-pipe written on SIGCHLD (and on
 * SIGTERM), so that a poll(2) on it wakes when a program exits, with no
 * race between checking and waiting.  Returns the pipe's read end
 * (non-blocking, close-on-exec; drain it before each waitpid(2)), or -1.
 * Once per process: later calls return the same descriptor.
 */
int
sig_chld_pipe(void)
{
	static int	 rfd = -1;
	int		 fds[2];

	if (rfd != -1)
		return rfd;
	if (compat_pipe(fds) == -1)
		return -1;
	sig_chld_wfd = fds[1];
	if (sig_install(SIGCHLD, SA_RESTART | SA_NOCLDSTOP) == -1) {
		close(fds[0]);
		close(fds[1]);
		sig_chld_wfd = -1;
		return -1;
	}
	return rfd = fds[0];
}
