/*
 * Unit tests for --max-per-source: the parent end admitting clients at
 * accept, and a child's question over the real report and verdict pipes
 * (the child forked here, as the daemon's are) answered by the parent
 * end: 1 under the limit, 0 over it with one log line, -1 once the
 * parent has stopped.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "capture.h"
#include "check.h"
#include "children.h"
#include "listen.h"
#include "log.h"
#include "srclimit.h"

static struct sockaddr_storage
sin_of(const char *text, int port, socklen_t *len)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((in_port_t)port);
	if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
		abort();
	*len = sizeof(*sin);
	return ss;
}

/* Every client is a balancer's, whose child reports its source. */
static int
later(const struct sockaddr *sa, socklen_t len, int is_unix, void *arg)
{
	(void)sa;
	(void)len;
	(void)is_unix;
	(void)arg;
	return 1;
}

/* Admission with one --deny rule (or none), no rates, whole addresses. */
static void
admit_with(struct admit *ad, const char *deny)
{
	static struct admit_opts	 ao;
	static struct rules		 argv;
	struct rules			 r;
	const char			*why;
	unsigned int			 line;

	rules_free(&argv);
	if (deny != NULL)
		CHECK(rules_add(&argv, 1, deny, 0, &why) == 0, "%s", deny);
	memset(&ao, 0, sizeof(ao));
	ao.argv_rules = &argv;
	ao.v4_bits = 32;
	ao.v6_bits = 128;
	CHECK(admit_load_rules(&ao, &r, &line, &why) == 0, "rules");
	CHECK(admit_open(ad, &ao, &r) == 0, "admit");
}

static void
test_admit(void)
{
	struct admit		 ad;
	struct srclimit		 sl;
	struct children		 ct;
	struct listener		 l;
	struct sockaddr_storage	 ss;
	struct addr_source	 src;
	socklen_t		 len;
	const char		*out;
	enum srclimit_verdict	 v;
	int			 i;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "127.0.0.1:8000");
	CHECK(children_init(&ct, 8) == 0, "init");
	admit_with(&ad, NULL);
	CHECK(srclimit_open(&sl, 2, &ad, NULL, NULL) == 0, "open");
	CHECK(sl.reports[0] == -1, "no report pipe without later sources");
	ss = sin_of("192.0.2.1", 4000, &len);
	for (i = 0; i < 2; i++) {
		CHECK(srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src) ==
		    SRCLIMIT_ADMITTED, "client %d let in", i);
		CHECK(src.family == AF_INET, "family %d", src.family);
		children_add(&ct, 100 + i)->source = src;
	}
	cap_start();
	v = srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src);
	out = cap_end();
	CHECK(v == SRCLIMIT_REFUSED, "the third from one address is refused");
	CHECK(strstr(out, ": warning: 192.0.2.1:4000: refused on "
	    "127.0.0.1:8000: 2 connections from this address already "
	    "(--max-per-source)\n") != NULL, "%s", out);
	ss = sin_of("192.0.2.2", 4000, &len);
	CHECK(srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src) ==
	    SRCLIMIT_ADMITTED, "another address is let in");
	cap_start();
	srclimit_close(&sl, &ct);
	out = cap_end();
	CHECK(*out == '\0', "nothing held to log: %s", out);

	/* No limit: everyone is let in, with no source. */
	CHECK(srclimit_open(&sl, 0, &ad, later, NULL) == 0 &&
	    sl.reports[0] == -1, "open with no limit");
	ss = sin_of("192.0.2.1", 4000, &len);
	CHECK(srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src) ==
	    SRCLIMIT_ADMITTED && src.family == 0, "no limit");
	srclimit_close(&sl, &ct);
	admit_close(&ad);

	/* A deny rule refuses at accept, even a balancer. */
	admit_with(&ad, "192.0.2.0/24");
	CHECK(srclimit_open(&sl, 0, &ad, later, NULL) == 0 &&
	    sl.reports[0] != -1, "open with a rule");
	cap_start();
	v = srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src);
	out = cap_end();
	CHECK(v == SRCLIMIT_REFUSED, "denied: %d", v);
	CHECK(strstr(out, ": warning: 192.0.2.1:4000: refused on "
	    "127.0.0.1:8000 by the rule 'deny 192.0.2.0/24' (--deny)\n") != NULL, "%s",
	    out);
	ss = sin_of("198.51.100.1", 4000, &len);
	CHECK(srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src) ==
	    SRCLIMIT_LATER, "another balancer's client is judged later");
	CHECK(ad.counts.refused[REFUSAL_RULE] == 1, "counted");
	srclimit_close(&sl, &ct);
	admit_close(&ad);
	children_free(&ct);
}

/*
 * Forks a child that asks for src over the pipes, as the daemon's
 * children do, and keeps it in the table.  The parent end answers it,
 * or with answer 0 has stopped first.  Returns what srclimit_ask()
 * returned in the child (-2 if it did not exit as expected).
 */
static int
ask(struct srclimit *sl, struct children *ct, const struct listener *l,
    const struct addr_source *src, int answer, enum tally_end *why)
{
	struct pollfd	 pfd;
	struct child	*ch;
	pid_t		 pid;
	enum tally_end	 end = TALLY_EOF;
	int		 vp[2], rfd, vfd, status, rv;

	if (srclimit_verdict_pipe(vp) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		/* As sig_child_setup() leaves a child: no SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		close(vp[1]);
		srclimit_child(sl, ct, vp[0], &rfd, &vfd);
		rv = srclimit_ask(rfd, vfd, src, "192.0.2.1:4000", &end);
		/* The verdict, and why when refused, in the exit status. */
		_exit((rv + 1) | (rv == 0 ? (int)end << 2 : 0));
	}
	close(vp[0]);
	ch = children_add(ct, pid);
	ch->listener = l;
	ch->verdict_fd = vp[1];
	if (answer) {
		pfd.fd = sl->reports[0];
		pfd.events = POLLIN;
		CHECK(poll(&pfd, 1, 30000) == 1, "no report within 30 s");
		srclimit_answer(sl, ct);
	} else
		srclimit_close(sl, ct);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -2;
	*why = (enum tally_end)(WEXITSTATUS(status) >> 2);
	return (WEXITSTATUS(status) & 3) - 1;
}

static void
test_ask(void)
{
	struct admit		 ad;
	struct srclimit		 sl;
	struct children		 ct;
	struct listener		 l;
	struct addr_source	 a = ip(AF_INET, "192.0.2.1");
	struct addr_source	 b = ip(AF_INET, "192.0.2.2");
	struct addr_source	 denied = ip(AF_INET, "192.0.2.3");
	struct addr_source	 src;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*out;
	enum tally_end		 why;
	int			 rv;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "127.0.0.1:8000");
	CHECK(children_init(&ct, 8) == 0, "init");
	admit_with(&ad, "192.0.2.3");
	CHECK(srclimit_open(&sl, 2, &ad, later, NULL) == 0, "open");
	CHECK(sl.reports[0] != -1 && sl.reports[1] != -1, "report pipe");
	ss = sin_of("192.0.2.9", 4000, &len);
	CHECK(srclimit_admit(&sl, &ct, &l, -1, &ss, len, &src) ==
	    SRCLIMIT_LATER && src.family == 0, "a balancer's client waits");
	CHECK((rv = ask(&sl, &ct, &l, &a, 1, &why)) == 1, "first: %d", rv);
	CHECK((rv = ask(&sl, &ct, &l, &a, 1, &why)) == 1, "second: %d", rv);
	CHECK(children_count_source(&ct, &a) == 2, "both counted");
	cap_start();
	rv = ask(&sl, &ct, &l, &a, 1, &why);
	out = cap_end();
	CHECK(rv == 0, "third, over the limit: %d", rv);
	CHECK(why == TALLY_REFUSED_SOURCE, "refused as %d", why);
	CHECK(children_count_source(&ct, &a) == 2, "the refused one is not "
	    "counted");
	CHECK(strstr(out, ": warning: 192.0.2.1:4000: refused on "
	    "127.0.0.1:8000: 2 connections from this address already "
	    "(--max-per-source)\n") != NULL, "%s", out);
	CHECK((rv = ask(&sl, &ct, &l, &b, 1, &why)) == 1, "another source: %d",
	    rv);
	cap_start();
	rv = ask(&sl, &ct, &l, &denied, 1, &why);
	out = cap_end();
	CHECK(rv == 0, "a client the rules deny: %d", rv);
	CHECK(why == TALLY_REFUSED_RULE, "refused as %d", why);
	CHECK(strstr(out, ": warning: 192.0.2.1:4000: refused on "
	    "127.0.0.1:8000 by the rule 'deny 192.0.2.3' (--deny)\n") != NULL, "%s", out);
	CHECK((rv = ask(&sl, &ct, &l, &b, 0, &why)) == -1, "parent gone: %d",
	    rv);
	CHECK(sl.reports[0] == -1, "closed");
	admit_close(&ad);
	children_free(&ct);
}

int
main(void)
{
	/* A verdict that never comes fails the test instead of hanging it. */
	alarm(60);
	log_init("srclimit_test", LOG_LEVEL_INFO, LOG_TO_STDERR);
	test_admit();
	test_ask();
	return check_exit("srclimit_test");
}
