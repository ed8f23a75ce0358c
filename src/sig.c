/*
 * sock64: signal handling for the daemon's parent.  SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP are blocked except while the parent waits in
 * pselect(2), so a flag can never be set between its test and the wait.
 * SIGPIPE is ignored everywhere: a closed peer shows up as EPIPE.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "sig.h"

volatile sig_atomic_t	 sig_got_chld;
volatile sig_atomic_t	 sig_got_term;
volatile sig_atomic_t	 sig_got_hup;

static const int	 sig_trapped[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
#define SIG_NTRAPPED	(sizeof(sig_trapped) / sizeof(sig_trapped[0]))

static void	sig_handler(int);

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
 * In a forked child: default dispositions for the trapped signals and
 * the given mask.  SIGPIPE stays ignored, so a peer that goes away is
 * an EPIPE to log, not a silent death.
 */
int
sig_reset_child(const sigset_t *mask)
{
	struct sigaction	 sa;
	size_t			 i;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < SIG_NTRAPPED; i++)
		if (sigaction(sig_trapped[i], &sa, NULL) == -1)
			return -1;
	return sigprocmask(SIG_SETMASK, mask, NULL);
}
