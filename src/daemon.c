/*
 * sock64: the start-up of sock64d, in either mode: the log, signals,
 * the program to run, privileges, systemd's sockets and readiness, the
 * listeners and their ports.  It turns the struct config into each
 * module's options, then hands over to the accept loop (standalone,
 * with the session as its serve hook) or to one session (-i).  A
 * start-up error ends the process here; the modules return theirs.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "admit.h"
#include "cmdline.h"
#include "conn.h"
#include "daemon.h"
#include "daemonopts.h"
#include "exec.h"
#include "execenv.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "priv.h"
#include "proxyio.h"
#include "report.h"
#include "session.h"
#include "sig.h"
#include "systemd.h"
#include "usage.h"
#include "util.h"

static int	daemon_loop(struct config *, struct listener *, size_t,
		    struct systemd_notify *, const sigset_t *);
static void	daemon_rules(const struct config *, struct rules *);
static size_t	daemon_listeners(const struct config *,
		    const struct listen_perm *, struct listener *);
static void	daemon_close_listeners(struct listener *, size_t);
static void	daemon_listen_fatal(const struct addr *, const char *)
		    __attribute__((noreturn));
static void	daemon_user_fatal(const char *, const char *)
		    __attribute__((noreturn));
static void	daemon_drop_fatal(const struct priv_user *, const char *)
		    __attribute__((noreturn));
static void	daemon_print_ports(const struct listener *, size_t);
static void	daemon_program(struct config *);
static int	daemon_program_runs_as_user(const struct config *);
static void	daemon_program_error(const struct config *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static enum log_dest	daemon_inetd_log_dest(void);

/*
 * Standalone: take systemd's sockets or bind every address, report the
 * ports and readiness, then run the accept loop until SIGTERM or SIGINT.
 */
int
daemon_standalone(struct config *cf)
{
	struct listener		 ls[CMDLINE_MAX_LISTEN];
	struct systemd_notify	 notify;
	struct priv_user	 pu;
	struct listen_perm	 perm;
	sigset_t		 orig, wait_mask;
	size_t			 n;
	const char		*why;

	if (cf->program != NULL)
		daemon_program(cf);
	daemon_rules(cf, &cf->rules);
	log_init("sock64d", daemon_log_level(cf),
	    log_stderr_is_journal() ? LOG_TO_JOURNAL : LOG_TO_STDERR);
	/* The parent never waits for its log (before -u: see log.c). */
	log_nonblocking();
	/* An unusable NOTIFY_SOCKET is a warning: we run, unannounced. */
	systemd_notify_init(&notify, log_warnx);
	if (sig_setup(&orig, &wait_mask) == -1)
		fatal("signal set-up");
	if (cf->user != NULL && priv_lookup(cf->user, &pu, &why) == -1)
		daemon_user_fatal(cf->user, why);
	/* With -u the user must be able to use its unix sockets. */
	perm.mode = cf->socket_mode;
	perm.uid = cf->user != NULL ? pu.uid : (uid_t)-1;
	perm.gid = cf->user != NULL ? pu.gid : (gid_t)-1;
	n = daemon_listeners(cf, &perm, ls);
	if (cf->user != NULL && priv_drop(&pu, &why) == -1) {
		daemon_close_listeners(ls, n);
		daemon_drop_fatal(&pu, why);
	}
	if (daemon_program_runs_as_user(cf) == -1) {
		daemon_close_listeners(ls, n);
		exit(2);
	}
	if (cf->print_port)
		daemon_print_ports(ls, n);
	systemd_notify(&notify, "READY=1\nSTATUS=0 connections now, 0 served, "
	    "0 refused");
	return daemon_loop(cf, ls, n, &notify, &wait_mask);
}

/* The accept loop, each child running a session, until it stops. */
static int
daemon_loop(struct config *cf, struct listener *ls, size_t n,
    struct systemd_notify *notify, const sigset_t *wait_mask)
{
	struct loop_opts	 lo;
	struct session_opts	 so;
	struct exec_opts	 eo;
	struct exec_env		 ee;
	struct admit_opts	 ao;
	struct report		 rep;

	memset(&lo, 0, sizeof(lo));
	daemon_admit_opts(cf, &ao);
	lo.admit = &ao;
	lo.rules = &cf->rules;
	lo.wait_mask = *wait_mask;
	daemon_conn_opts(cf, &so.conn);
	daemon_exec_opts(cf, &eo, &ee);
	so.exec = cf->program != NULL ? &eo : NULL;
	lo.listeners = ls;
	lo.nlisteners = n;
	lo.max_children = cf->max_connections;
	lo.grace = cf->grace;
	lo.max_per_source = cf->max_per_source;
	lo.spares = cf->spares;
	/*
	 * --grace 0 with -- PROGRAM: children kill their program's group at
	 * once on SIGTERM (see daemon_exec_opts); they get a second to do
	 * so before SIGKILL, which would leave the group behind.
	 */
	if (cf->program != NULL && lo.grace == 0)
		lo.grace = 1;
	lo.serve = session_serve;
	lo.arg = &so;
	daemon_proxy_opts(cf, &so.proxy);
	if (so.proxy.accept != 0) {
		lo.later_source = session_later_source;
		lo.later_arg = &so;
	}
	rep.notify = notify->len != 0 ? notify : NULL;
	rep.metrics_path = cf->metrics_path;
	rep.failing = 0;
	if (rep.notify != NULL || rep.metrics_path != NULL) {
		lo.report = report_counts;
		lo.report_arg = &rep;
	}
	if (loop_run(&lo) == -1)
		fatal("accept loop");
	/* The loop freed the rules in force; these are the command line's. */
	rules_free(&cf->argv_rules);
	log_info("stopped");
	return 0;
}

/*
 * The address rules, before anything is bound: a rules file that cannot
 * be read or has a bad line is a usage error, as a bad --deny is.
 */
static void
daemon_rules(const struct config *cf, struct rules *r)
{
	struct admit_opts	 ao;
	const char		*why;
	unsigned int		 line;

	daemon_admit_opts(cf, &ao);
	if (admit_load_rules(&ao, r, &line, &why) == 0)
		return;
	if (why != NULL)
		usage_error("rules file %s, line %u: %s", cf->rules_path, line,
		    why);
	usage_error("rules file %s: %s", cf->rules_path, strerror(errno));
}

/*
 * The listening sockets: those systemd passed (LISTEN_FDS), or else one
 * per --listen address.  Both at once is a usage error: the unit file
 * and the command line would disagree about where to listen.  perm is
 * for the unix socket files we create; systemd's are left as they are.
 */
static size_t
daemon_listeners(const struct config *cf, const struct listen_perm *perm,
    struct listener *ls)
{
	const char	*why;
	int		 n;
	size_t		 i;

	/* What is wrong with systemd's sockets, fatalx() says. */
	if ((n = systemd_listeners(ls, CMDLINE_MAX_LISTEN, fatalx)) == -1)
		exit(1);
	if (n > 0 && cf->listen_given)
		usage_error("--listen conflicts with the sockets systemd "
		    "passed (LISTEN_FDS)");
	if (n > 0)
		return (size_t)n;
	for (i = 0; i < cf->nlisten; i++) {
		if (listen_open(&cf->listen[i], perm, cf->backlog, &ls[i],
		    &why) == -1) {
			daemon_close_listeners(ls, i);
			daemon_listen_fatal(&cf->listen[i], why);
		}
		log_info("listening on %s", ls[i].name);
	}
	return cf->nlisten;
}

/*
 * Before a start-up error: no socket file of ours is left behind.
 * errno is kept for the error's message.
 */
static void
daemon_close_listeners(struct listener *ls, size_t n)
{
	size_t	 i;
	int	 saved = errno;

	for (i = 0; i < n; i++)
		listen_close(&ls[i]);
	errno = saved;
}

/*
 * listen_open() failed for a: the call that failed and the address,
 * with errno's text; or, errno 0, the reason it gave for a unix: path
 * or a host.
 */
static void
daemon_listen_fatal(const struct addr *a, const char *why)
{
	char	 desc[ADDR_NAME_MAX + ADDR_HOST_MAX];
	int	 saved = errno;

	if (saved == 0 && a->kind == ADDR_TCP)
		fatalx("cannot resolve %s: %s", a->host, why);
	addr_describe(a, desc, sizeof(desc));
	if (saved == 0)
		fatalx("bind %s: %s", desc, why);
	errno = saved;
	fatal("%s %s", why, desc);
}

/* priv_lookup() failed for -u user. */
static void
daemon_user_fatal(const char *user, const char *why)
{
	if (why != NULL)
		fatalx("%s: %s", why, user);
	if (errno != 0)
		fatal("unknown user %s", user);
	fatalx("unknown user %s", user);
}

/* priv_drop() failed: the call that failed, or the check. */
static void
daemon_drop_fatal(const struct priv_user *pu, const char *why)
{
	if (errno != 0)
		fatal("cannot drop privileges to %s: %s", pu->name, why);
	fatalx("cannot drop privileges to %s: %s", pu->name, why);
}

/*
 * -1: one line per listener, then stdout is closed so that a reader
 * sees end of file; /dev/null takes fd 1 so no later socket lands there.
 */
static void
daemon_print_ports(const struct listener *ls, size_t n)
{
	size_t	 i;
	int	 fd;

	for (i = 0; i < n; i++) {
		if (ls[i].is_unix)
			printf("%s\n", ls[i].name);
		else
			printf("%d\n", listen_port(&ls[i]));
	}
	if (fflush(stdout) == EOF)
		fatal("print port");
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	if (dup2(fd, STDOUT_FILENO) == -1)
		fatal("dup2");
	close(fd);
}

/*
 * -i: one connection, requests on fd 0 and replies on fd 1 (one socket,
 * or two pipes), served by a session once the process is set up.
 */
int
daemon_inetd(struct config *cf)
{
	struct session_opts	 so;
	struct priv_user	 pu;
	struct exec_opts	 eo;
	struct exec_env		 ee;
	enum log_dest		 dest;
	sigset_t		 mask;
	socklen_t		 typelen = sizeof(int);
	int			 type;
	const char		*why;

	dest = daemon_inetd_log_dest();
	log_init("sock64d", daemon_log_level(cf), dest);
	if (cf->program != NULL)
		daemon_program(cf);
	if (cf->user != NULL && priv_lookup(cf->user, &pu, &why) == -1)
		daemon_user_fatal(cf->user, why);
	if (cf->user != NULL && priv_drop(&pu, &why) == -1)
		daemon_drop_fatal(&pu, why);
	if (daemon_program_runs_as_user(cf) == -1)
		exit(2);
	/* Sockets systemd passed are not for the handler's children. */
	systemd_forget();
	if (fcntl(STDIN_FILENO, F_GETFD) == -1 ||
	    fcntl(STDOUT_FILENO, F_GETFD) == -1)
		fatalx("-i needs the connection on stdin and stdout");
	/* SIGTERM (a service manager stopping us) ends the loop gently. */
	if (sigprocmask(SIG_SETMASK, NULL, &mask) == -1)
		fatal("sigprocmask");
	sigdelset(&mask, SIGTERM);
	sigdelset(&mask, SIGINT);
	if (sig_child_setup(&mask, STDIN_FILENO, STDOUT_FILENO) == -1)
		fatal("signal set-up");
	/*
	 * A socket is ours alone (inetd, systemd and tcpserver hand it
	 * over): non-blocking, so --write-timeout holds.  Pipes and
	 * terminals may be shared, so they are left as they are.
	 */
	if (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_TYPE, &type,
	    &typelen) == 0 &&
	    util_set_nonblock(STDOUT_FILENO, UTIL_KEEP_FLAGS) == -1)
		fatal("fcntl");
	daemon_conn_opts(cf, &so.conn);
	daemon_exec_opts(cf, &eo, &ee);
	/* Never the client connection as the program's stderr. */
	eo.log_stderr = dest == LOG_TO_SYSLOG;
	so.exec = cf->program != NULL ? &eo : NULL;
	daemon_proxy_opts(cf, &so.proxy);
	return session_inetd(&so);
}

/*
 * Where -i mode may log.  Classic inetd and systemd's default make fd 2
 * the connection itself: a log line there would corrupt the stream, so
 * then (or when fd 2 is closed) syslog is used.
 */
static enum log_dest
daemon_inetd_log_dest(void)
{
	struct stat	 in, err;

	if (fstat(STDERR_FILENO, &err) == -1)
		return LOG_TO_SYSLOG;
	if (fstat(STDIN_FILENO, &in) == 0 && in.st_dev == err.st_dev &&
	    in.st_ino == err.st_ino)
		return LOG_TO_SYSLOG;
	return log_stderr_is_journal() ? LOG_TO_JOURNAL : LOG_TO_STDERR;
}

/* Start-up for -- PROGRAM: find it (else exit 2), seal our descriptors. */
static void
daemon_program(struct config *cf)
{
	const char	*prog = cf->program[0];

	if (exec_resolve(prog, cf->program_path,
	    sizeof(cf->program_path)) == -1) {
		if (errno == ENOENT && strchr(prog, '/') == NULL)
			daemon_program_error(cf, "program '%s' not found in "
			    "PATH", prog);
		else
			daemon_program_error(cf, "program '%s': %s", prog,
			    strerror(errno));
		exit(2);
	}
	if (exec_cloexec_fds() == -1)
		fatal("close-on-exec");
}

/*
 * After -u: the program was found as root, but it is the user who must
 * be able to run it.  -1 (said) when the user cannot.
 */
static int
daemon_program_runs_as_user(const struct config *cf)
{
	char	 path[sizeof(cf->program_path)];

	if (cf->user == NULL || cf->program == NULL ||
	    exec_resolve(cf->program_path, path, sizeof(path)) == 0)
		return 0;
	daemon_program_error(cf, "program '%s' cannot be run by user %s: %s",
	    cf->program_path, cf->user, strerror(errno));
	return -1;
}

/*
 * Why -- PROGRAM cannot be run, before an exit status of 2.  Standalone,
 * one line on stderr, as for a usage error; in -i mode stderr may be
 * the client's connection, so the line goes where the log goes.
 */
static void
daemon_program_error(const struct config *cf, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	if (cf->inetd) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		log_warnx("%s", msg);
	} else {
		fputs("sock64d: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
