/*
 * Unit tests for the parent's table of children: adding up to the cap,
 * finding and removing by pid, counting by source, and signalling every
 * child in the table (real processes, reaped here) but no other.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "children.h"

static void
test_add_find_remove(void)
{
	struct children	 ct;
	struct child	*ch;

	CHECK(children_init(&ct, 3) == 0, "init");
	CHECK(ct.n == 0 && ct.max == 3, "n %zu, max %zu", ct.n, ct.max);
	ch = children_add(&ct, 101);
	CHECK(ch != NULL && ch->pid == 101 && ch->verdict_fd == -1,
	    "a new entry has its pid and no verdict");
	CHECK(children_add(&ct, 102) != NULL, "second");
	CHECK(children_add(&ct, 103) != NULL, "third");
	CHECK(children_add(&ct, 104) == NULL, "a full table takes no more");
	CHECK(ct.n == 3, "n %zu", ct.n);
	CHECK(children_find(&ct, 104) == NULL, "104 was never added");

	ch = children_find(&ct, 101);
	CHECK(ch != NULL && ch->pid == 101, "find 101");
	children_remove(&ct, ch);
	CHECK(ct.n == 2, "n %zu", ct.n);
	CHECK(children_find(&ct, 101) == NULL, "101 is gone");
	CHECK(children_find(&ct, 102) != NULL &&
	    children_find(&ct, 103) != NULL, "the others stay");
	CHECK(children_add(&ct, 105) != NULL, "a removal makes room");
	ch = children_find(&ct, 105);
	CHECK(ch != NULL && ch->pid == 105, "find 105");
	children_remove(&ct, children_find(&ct, 103));
	children_remove(&ct, children_find(&ct, 105));
	children_remove(&ct, children_find(&ct, 102));
	CHECK(ct.n == 0, "empty again: n %zu", ct.n);
	CHECK(children_find(&ct, 102) == NULL, "nothing to find");
	children_free(&ct);
}

static void
test_count_source(void)
{
	struct children		 ct;
	struct addr_source	 a = ip(AF_INET, "192.0.2.1"), b = ip(AF_INET, "192.0.2.2");
	struct addr_source	 c = ip(AF_INET, "192.0.2.3");
	pid_t			 pid;

	CHECK(children_init(&ct, 8) == 0, "init");
	for (pid = 1; pid <= 5; pid++)
		children_add(&ct, pid)->source = pid <= 3 ? a : b;
	CHECK(children_count_source(&ct, &a) == 3, "a: %zu",
	    children_count_source(&ct, &a));
	CHECK(children_count_source(&ct, &b) == 2, "b: %zu",
	    children_count_source(&ct, &b));
	CHECK(children_count_source(&ct, &c) == 0, "c: %zu",
	    children_count_source(&ct, &c));
	children_remove(&ct, children_find(&ct, 2));
	CHECK(children_count_source(&ct, &a) == 2, "a after a removal: %zu",
	    children_count_source(&ct, &a));
	children_free(&ct);
}

/* A child that waits for a signal and dies of it, whatever we inherited. */
static pid_t
sleeper(void)
{
	sigset_t	 none;
	pid_t		 pid;

	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (;;)
			pause();
	}
	return pid;
}

/* The signal that ended pid, reaped here; 0 if it did not die of one. */
static int
death(pid_t pid)
{
	int	 status;

	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void
test_signal_all(void)
{
	struct children	 ct;
	pid_t		 pids[4];
	int		 i, sig;

	CHECK(children_init(&ct, 4) == 0, "init");
	for (i = 0; i < 4; i++)
		children_add(&ct, pids[i] = sleeper());
	/* pids[2] leaves the table: it must not get the signal. */
	children_remove(&ct, children_find(&ct, pids[2]));
	children_signal(&ct, SIGTERM);
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		CHECK((sig = death(pids[i])) == SIGTERM,
		    "child %d died of signal %d", i, sig);
	}
	/* A SIGTERM sent to it earlier would be what it died of. */
	kill(pids[2], SIGKILL);
	CHECK((sig = death(pids[2])) == SIGKILL,
	    "the removed child died of signal %d", sig);
	children_free(&ct);
}

int
main(void)
{
	/* A signal that never arrives fails the test instead of hanging it. */
	alarm(60);
	test_add_find_remove();
	test_count_source();
	test_signal_all();
	return check_exit("children_test");
}
