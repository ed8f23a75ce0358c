/*
 * sock64: signal handling for the daemon's parent.  SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP are blocked except while the parent waits in
 * pselect(2), so a flag can never be set between its test and the wait.
 * SIGPIPE is ignored everywhere: a closed peer shows up as EPIPE.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "sig.h"

volatile sig_atomic_t	 sig_got_chld;
volatile sig_atomic_t	 sig_got_term;
volatile sig_atomic_t	 sig_got_hup;

static const int	 sig_trapped[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
#define SIG_NTRAPPED	(sizeof(sig_trapped) / sizeof(sig_trapped[0]))

/* In a child: the connection whose input SIGTERM stops (write-once). */
static int		 sig_stop_rfd = -1;
static int		 sig_stop_wfd = -1;
/* In a child running programs: SIGCHLD writes a byte here (write-once). */
static int		 sig_chld_wfd = -1;

static void	sig_handler(int);
static void	sig_child_term(int);
static void	sig_child_chld(int);

static void
sig_handler(int signo)
{
	switch (signo) {
	case SIGCHLD:
		sig_got_chld = 1;
		break;
	case SIGTERM:
	case SIGINT:
		sig_got_term = 1;
		break;
	case SIGHUP:
		sig_got_hup = 1;
		break;
	}
}

/*
 * Installs the handlers, ignores SIGPIPE and blocks the trapped signals.
 * *orig receives the mask we started with; *waitmask is that mask with
 * the trapped signals open, for pselect(2) and for children.
 */
int
sig_setup(sigset_t *orig, sigset_t *waitmask)
{
	struct sigaction	 sa;
	sigset_t		 block;
	size_t			 i;

	sigemptyset(&block);
	for (i = 0; i < SIG_NTRAPPED; i++)
		sigaddset(&block, sig_trapped[i]);
	if (sigprocmask(SIG_BLOCK, &block, orig) == -1)
		return -1;
	*waitmask = *orig;
	for (i = 0; i < SIG_NTRAPPED; i++)
		sigdelset(waitmask, sig_trapped[i]);

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = sig_handler;
	for (i = 0; i < SIG_NTRAPPED; i++)
		if (sigaction(sig_trapped[i], &sa, NULL) == -1)
			return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * SIGTERM or SIGINT in a child: finish the reply in flight, read nothing
 * more.  shutdown(2) and close(2) are async-signal-safe, and a read that
 * is blocked, or about to block, then sees end of input at once; so the
 * connection loop cannot sleep through the signal.  A pipe cannot be
 * shut down, so it is closed instead, unless it is also the output.
 */
static void
sig_child_term(int signo)
{
	int	 saved = errno;

	(void)signo;
	sig_got_term = 1;
	if (sig_stop_rfd != -1 && shutdown(sig_stop_rfd, SHUT_RD) == -1 &&
	    sig_stop_rfd != sig_stop_wfd)
		close(sig_stop_rfd);
	sig_stop_rfd = -1;
	/* A handler waiting on a program polls the self-pipe: wake it. */
	if (sig_chld_wfd != -1)
		(void)write(sig_chld_wfd, "", 1);
	errno = saved;
}

/*
 * Set-up for a process serving one connection (a forked child, or -i
 * mode): SIGTERM and SIGINT stop it gracefully (sig_got_term is set and
 * reading from rfd ends), SIGCHLD and SIGHUP get their defaults, and
 * the signal mask becomes `mask`.  SIGPIPE stays ignored, so a peer
 * that goes away is an EPIPE to log, not a silent death.
 */
int
sig_child_setup(const sigset_t *mask, int rfd, int wfd)
{
	struct sigaction	 sa;

	sig_stop_rfd = rfd;
	sig_stop_wfd = wfd;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = sig_child_term;
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	return sigprocmask(SIG_SETMASK, mask, NULL);
}

/*
 * SIGCHLD in a child that runs programs: the self-pipe trick, so that a
 * poll(2) on the pipe wakes when a program exits, with no race between
 * testing a flag and starting to wait.
 */
static void
sig_child_chld(int signo)
{
	int	 saved = errno;
	char	 c = 0;

	(void)signo;
	sig_got_chld = 1;
	/* A full pipe already holds a wake-up: nothing is lost. */
	if (write(sig_chld_wfd, &c, 1) == -1)
		sig_got_chld = 1;
	errno = saved;
}

/*
 * Installs the SIGCHLD handler above and returns the pipe's read end
 * (non-blocking, close-on-exec; drain it before each waitpid(2)), or -1.
 * Once per process: later calls return the same descriptor.
 */
int
sig_chld_pipe(void)
{
	static int		 rfd = -1;
	struct sigaction	 sa;
	int			 fds[2], i;

	if (rfd != -1)
		return rfd;
	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
	sig_chld_wfd = fds[1];
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sa.sa_handler = sig_child_chld;
	if (sigaction(SIGCHLD, &sa, NULL) == -1) {
		close(fds[0]);
		close(fds[1]);
		sig_chld_wfd = -1;
		return -1;
	}
	return rfd = fds[0];
}
