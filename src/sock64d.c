/*
 * sock64d: the framed request/reply server.  main() parses the command
 * line into a struct config and hands over to a mode: standalone
 * (listen, fork a child per client) or inetd (serve fd 0/1 once).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "exec.h"
#include "execenv.h"
#include "listen.h"
#include "log.h"
#include "priv.h"
#include "proxyio.h"
#include "session.h"
#include "sig.h"
#include "systemd.h"
#include "usage.h"
#include "util.h"

#define DEFAULT_LISTEN		"127.0.0.1:8000"
#define MAX_LISTENERS		64
#define TIMEOUT_MAX		(7 * 24 * 3600)
#define MAX_PROXY_FROM		64

struct config {
	struct addr	 listen[MAX_LISTENERS];
	size_t		 nlisten;
	int		 listen_given;	/* not just the default */
	int		 backlog;
	size_t		 max_connections;
	size_t		 max_per_source;
	size_t		 max_message;
	int		 idle_timeout;
	int		 frame_timeout;
	int		 write_timeout;
	int		 grace;
	int		 print_port;
	const char	*user;
	int		 inetd;
	int		 verbosity;
	char		**program;	/* -- PROGRAM [ARG]...; NULL: echo */
	char		 program_path[PATH_MAX];
	size_t		 max_reply;	/* SIZE_MAX until given */
	int		 handler_timeout;
	int		 proxy_accept;	/* PROXY_V1, _V2, _ANY; 0: off */
	struct proxy_cidr proxy_from[MAX_PROXY_FROM];
	size_t		 nproxy_from;
	int		 reuseport;
	int		 socket_mode;	/* unix listeners; -1: the umask's */
};

enum {
	OPT_FRAME_TIMEOUT = 256,
	OPT_GRACE,
	OPT_HANDLER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_PER_SOURCE,
	OPT_MAX_REPLY,
	OPT_PROXY_FROM,
	OPT_PROXY_PROTOCOL,
	OPT_REUSEPORT,
	OPT_SOCKET_MODE,
	OPT_WRITE_TIMEOUT
};

static const struct option long_options[] = {
	{ "print-port",		no_argument,		NULL, '1' },
	{ "backlog",		required_argument,	NULL, 'b' },
	{ "max-connections",	required_argument,	NULL, 'c' },
	{ "frame-timeout",	required_argument,	NULL,
	    OPT_FRAME_TIMEOUT },
	{ "grace",		required_argument,	NULL, OPT_GRACE },
	{ "handler-timeout",	required_argument,	NULL,
	    OPT_HANDLER_TIMEOUT },
	{ "help",		no_argument,		NULL, 'h' },
	{ "idle-timeout",	required_argument,	NULL,
	    OPT_IDLE_TIMEOUT },
	{ "inetd",		no_argument,		NULL, 'i' },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "max-message",	required_argument,	NULL, 'm' },
	{ "max-per-source",	required_argument,	NULL,
	    OPT_MAX_PER_SOURCE },
	{ "max-reply",		required_argument,	NULL, OPT_MAX_REPLY },
	{ "proxy-from",		required_argument,	NULL, OPT_PROXY_FROM },
	{ "proxy-protocol",	required_argument,	NULL,
	    OPT_PROXY_PROTOCOL },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "reuseport",		no_argument,		NULL, OPT_REUSEPORT },
	{ "socket-mode",	required_argument,	NULL,
	    OPT_SOCKET_MODE },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "write-timeout",	required_argument,	NULL,
	    OPT_WRITE_TIMEOUT },
	{ NULL,			0,			NULL, 0 }
};

static void	help(void) __attribute__((noreturn));
static void	parse_options(int, char **, struct config *);
static void	parse_listen(struct config *, const char *);
static void	parse_timeout(const char *, const char *, int *);
static void	parse_socket_mode(struct config *, const char *);
static void	check_socket_mode(const struct config *);
static void	parse_value(struct config *, int, const char *);
static int	run_standalone(const struct config *);
static size_t	open_listeners(const struct config *,
		    const struct listen_perm *, struct listener *);
static int	run_inetd(const struct config *);
static void	parse_proxy(struct config *, int, const char *);
static void	proxy_opts_from(const struct config *, struct proxy_opts *);
static void	print_ports(const struct listener *, size_t);
static void	close_listeners(struct listener *, size_t);
static int	log_level_from(const struct config *);
static void	conn_opts_from(const struct config *, struct conn_opts *);
static void	exec_opts_from(const struct config *, struct exec_opts *);
static int	stop_budget(const struct config *);
static void	resolve_program(struct config *);
static int	program_runs_as_user(const struct config *);
static enum log_dest	inetd_log_dest(void);

int
main(int argc, char *argv[])
{
	struct config	 cf;

	parse_options(argc, argv, &cf);
	if (cf.program != NULL)
		resolve_program(&cf);
	if (cf.inetd)
		return run_inetd(&cf);
	return run_standalone(&cf);
}

static void
help(void)
{
	printf(
"usage: sock64d [-1iqv] [-b backlog] [-c maxconn] [-l address]... [-m size]\n"
"               [-u user] [--max-per-source n] [--idle-timeout sec]\n"
"               [--frame-timeout sec] [--write-timeout sec] [--grace sec]\n"
"               [--max-reply size] [--handler-timeout sec]\n"
"               [--proxy-protocol v1|v2|any] [--proxy-from cidr]...\n"
"               [--reuseport] [--socket-mode mode] [-- program [arg ...]]\n"
"       sock64d -i [-qv] [-m size] [-u user] [-- program [arg ...]]\n"
"\n"
"Serve the sock64 framed request/reply protocol.  A frame is a 64-byte\n"
"header holding the payload length in decimal, padded with spaces, then\n"
"the payload; each request gets one reply frame: its own payload (echo),\n"
"or what PROGRAM, run once per request with the payload on its stdin,\n"
"writes on stdout.  Each client is served by a child process of its own.\n"
"\n"
"  -l, --listen=ADDR         listen on ADDR; may be repeated.  ADDR is\n"
"                            HOST:PORT, [IPV6ADDR]:PORT, :PORT or PORT (every\n"
"                            IPv4 and IPv6 address), or unix:PATH.  Port 0\n"
"                            picks a free port (see -1).  Default %s\n"
"  -b, --backlog=N           listen(2) backlog (default 50)\n"
"  -c, --max-connections=N   clients served at once; further clients wait\n"
"                            in the backlog (default 256)\n"
"      --max-per-source=N    connections at once from one client address\n"
"                            (IPv4-mapped IPv6 counts as IPv4); more are\n"
"                            accepted, logged and closed (default 0: no limit)\n"
"  -m, --max-message=SIZE    largest request payload in bytes, with an\n"
"                            optional k (KiB) or M (MiB) suffix (default 1M)\n"
"      --idle-timeout=SEC    close a connection when no new frame starts\n"
"                            within SEC seconds (default 300; 0: never)\n"
"      --frame-timeout=SEC   close a connection when a started frame is not\n"
"                            complete within SEC seconds, or the first frame\n"
"                            within SEC seconds of connecting, even if nothing\n"
"                            was sent (default 30; 0: never)\n"
"      --write-timeout=SEC   close a connection when the client takes no reply\n"
"                            byte for SEC seconds (default 30; 0: never)\n"
"      --grace=SEC           on SIGTERM, give open connections SEC seconds to\n"
"                            finish the reply in flight before they are\n"
"                            killed (default 10)\n"
"      --max-reply=SIZE      -- PROGRAM: largest reply; more output fails the\n"
"                            request (default: --max-message)\n"
"      --handler-timeout=SEC -- PROGRAM: kill the program's process group\n"
"                            after SEC seconds (default 30; 0: never)\n"
"  -1, --print-port          once listening, print each bound port (unix:PATH\n"
"                            for a unix socket) on stdout, one line per\n"
"                            --listen in order, then close stdout\n"
"  -u, --user=USER           once the listeners are open, run as USER (its\n"
"                            uid, gid and groups) for good; needs root.\n"
"                            Unix socket files are given to USER and its\n"
"                            group first\n"
"  -i, --inetd               serve one connection on stdin/stdout and exit\n"
"                            (inetd, systemd Accept=yes, tcpserver)\n"
"  -v, --verbose             also log each connection and each frame\n"
"  -q, --quiet               log warnings and errors only\n"
"  -h, --help                print this help and exit\n"
"  -V, --version             print the version and exit\n",
	    DEFAULT_LISTEN);
	/* In parts: C only promises string literals of 4095 bytes. */
	fputs(
"      --proxy-protocol=VER  a load balancer sends a PROXY protocol header\n"
"                            (v1, v2 or any) before the first frame; the\n"
"                            client it names is the peer for logs,\n"
"                            --max-per-source and PROGRAM (default: off)\n"
"      --proxy-from=CIDR     only peers in CIDR (ADDR, ADDR/BITS, or unix)\n"
"                            send the header; from others it is refused as\n"
"                            a malformed frame (repeatable; default: every\n"
"                            peer must send one)\n"
"      --reuseport           set SO_REUSEPORT on TCP listeners, so that a new\n"
"                            server can bind the port before this one stops\n"
"      --socket-mode=MODE    the mode of the socket files of unix: listeners,\n"
"                            in octal like chmod's, 0000-0777 (default: 0777\n"
"                            less the umask); needs a unix: --listen\n",
	    stdout);
	fputs(
"\n"
"Logs go to stderr, one line per event.  In -i mode they go to syslog when\n"
"stderr is the client connection itself.  SIGTERM or SIGINT stops the\n"
"server: listeners close, each connection finishes the reply in flight\n"
"(see --grace), and every child is reaped.  SIGHUP is ignored.\n"
"\n"
"Under systemd, the sockets passed in LISTEN_FDS are served instead of\n"
"binding (--listen is then refused), and NOTIFY_SOCKET is sent READY=1,\n"
"STATUS= and STOPPING=1.\n"
"\n"
"With -- PROGRAM [ARG]..., each request runs PROGRAM (searched in PATH) in a\n"
"process group of its own, with the payload on stdin; if it exits 0, what\n"
"it wrote on stdout until it exited is the reply.  Otherwise the connection\n"
"is closed with no reply.  Whatever it left running is then killed, and a\n"
"client that hangs up (a reset, a closed unix socket) stops it early.  Its\n"
"stderr is the server's log.  It gets the server's environment plus\n"
"PROTO (TCP or UNIX), TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT,\n"
"REMOTE_ADDR, REMOTE_PORT, SOCK64_REQUEST (1 for a connection's first\n"
"request) and, on unix sockets, UNIXREMOTEUID, UNIXREMOTEGID, UNIXREMOTEPID.\n"
"Behind a balancer (--proxy-protocol), the client's address is TCPREMOTEIP\n"
"and REMOTE_ADDR, and the balancer's is PROXYREMOTEIP, PROXYREMOTEPORT.\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT, or in -i mode when the client\n"
"closed at a frame boundary; 1 on a runtime error (address in use, ...),\n"
"or in -i mode after a protocol error or time-out; 2 on a usage error\n"
"(including a PROGRAM that is not found or not executable).\n", stdout);
	exit(0);
}

static void
parse_options(int argc, char **argv, struct config *cf)
{
	int	 ch;

	usage_set_program("sock64d");
	memset(cf, 0, sizeof(*cf));
	cf->backlog = 50;
	cf->max_connections = 256;
	cf->max_message = 1024 * 1024;
	cf->idle_timeout = 300;
	cf->frame_timeout = 30;
	cf->write_timeout = 30;
	cf->grace = 10;
	cf->max_reply = SIZE_MAX;
	cf->handler_timeout = 30;
	cf->socket_mode = -1;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":1b:c:hil:m:qu:vV", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case '1':
			cf->print_port = 1;
			break;
		case 'h':
			help();
		case 'i':
			cf->inetd = 1;
			break;
		case 'l':
			parse_listen(cf, optarg);
			break;
		case 'u':
			cf->user = optarg;
			break;
		case 'q':
			cf->verbosity--;
			break;
		case 'v':
			cf->verbosity++;
			break;
		case 'V':
			printf("sock64d %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
		case '?':
			usage_bad_option(ch, argv[optind - 1]);
		default:
			parse_value(cf, ch, optarg);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			usage_error("unexpected argument '%s'", argv[optind]);
		cf->program = &argv[optind];
	}
	if (cf->max_reply == SIZE_MAX)
		cf->max_reply = cf->max_message;
	if (cf->inetd && cf->nlisten > 0)
		usage_error("--inetd serves stdin and takes no --listen");
	if (cf->nproxy_from > 0 && cf->proxy_accept == 0)
		usage_error("--proxy-from needs --proxy-protocol");
	if (cf->inetd && cf->reuseport)
		usage_error("--reuseport is for listening sockets, not --inetd");
	cf->listen_given = cf->nlisten > 0;
	check_socket_mode(cf);
	if (cf->nlisten == 0)
		parse_listen(cf, DEFAULT_LISTEN);
	for (ch = 0; ch < (int)cf->nlisten; ch++)
		cf->listen[ch].reuseport = cf->reuseport;
}

/* --proxy-protocol, --proxy-from, --reuseport. */
static void
parse_proxy(struct config *cf, int ch, const char *arg)
{
	const char	*errstr;

	switch (ch) {
	case OPT_PROXY_PROTOCOL:
		if (strcmp(arg, "v1") == 0)
			cf->proxy_accept = PROXY_V1;
		else if (strcmp(arg, "v2") == 0)
			cf->proxy_accept = PROXY_V2;
		else if (strcmp(arg, "any") == 0)
			cf->proxy_accept = PROXY_ANY;
		else
			usage_error("proxy-protocol '%s' is not v1, v2 or any",
			    arg);
		break;
	case OPT_PROXY_FROM:
		if (cf->nproxy_from == MAX_PROXY_FROM)
			usage_error("too many --proxy-from (at most %d)",
			    MAX_PROXY_FROM);
		if (proxy_cidr_parse(arg, &cf->proxy_from[cf->nproxy_from],
		    &errstr) == -1)
			usage_error("proxy-from '%s': %s (ADDR, ADDR/BITS or "
			    "unix)", arg, errstr);
		cf->nproxy_from++;
		break;
	case OPT_REUSEPORT:
		cf->reuseport = 1;
		break;
	}
}

static void
proxy_opts_from(const struct config *cf, struct proxy_opts *po)
{
	memset(po, 0, sizeof(*po));
	po->accept = cf->proxy_accept;
	po->from = cf->proxy_from;
	po->nfrom = cf->nproxy_from;
}

/* The options that take a number, each checked against its range. */
static void
parse_value(struct config *cf, int ch, const char *arg)
{
	const char	*errstr;

	switch (ch) {
	case 'b':
		cf->backlog = (int)parse_num(arg, 1, 65535,
		    &errstr);
		if (errstr != NULL)
			usage_error("backlog '%s' is %s (1-65535)",
			    arg, errstr);
		break;
	case 'c':
		cf->max_connections = (size_t)parse_num(arg, 1,
		    1000000, &errstr);
		if (errstr != NULL)
			usage_error("max-connections '%s' is %s "
			    "(1-1000000)", arg, errstr);
		break;
	case 'm':
		if (parse_size(arg, 0, SIZE_MAX / 2,
		    &cf->max_message, &errstr) == -1)
			usage_error("max-message '%s' is %s "
			    "(bytes, or with a k or M suffix)", arg,
			    errstr);
		break;
	case OPT_FRAME_TIMEOUT:
		parse_timeout("frame-timeout", arg,
		    &cf->frame_timeout);
		break;
	case OPT_GRACE:
		parse_timeout("grace", arg, &cf->grace);
		break;
	case OPT_HANDLER_TIMEOUT:
		parse_timeout("handler-timeout", arg, &cf->handler_timeout);
		break;
	case OPT_MAX_REPLY:
		if (parse_size(arg, 0, SIZE_MAX / 2, &cf->max_reply,
		    &errstr) == -1)
			usage_error("max-reply '%s' is %s "
			    "(bytes, or with a k or M suffix)", arg, errstr);
		break;
	case OPT_IDLE_TIMEOUT:
		parse_timeout("idle-timeout", arg,
		    &cf->idle_timeout);
		break;
	case OPT_MAX_PER_SOURCE:
		cf->max_per_source = (size_t)parse_num(arg, 0, 1000000,
		    &errstr);
		if (errstr != NULL)
			usage_error("max-per-source '%s' is %s (0-1000000)",
			    arg, errstr);
		break;
	case OPT_WRITE_TIMEOUT:
		parse_timeout("write-timeout", arg,
		    &cf->write_timeout);
		break;
	case OPT_PROXY_FROM:
	case OPT_PROXY_PROTOCOL:
	case OPT_REUSEPORT:
		parse_proxy(cf, ch, arg);
		break;
	case OPT_SOCKET_MODE:
		parse_socket_mode(cf, arg);
		break;
	}
}

/* --socket-mode: 1 to 4 octal digits, as chmod and SocketMode= take. */
static void
parse_socket_mode(struct config *cf, const char *arg)
{
	size_t	 i, n = strlen(arg);
	int	 mode = 0;

	for (i = 0; i < n && i < 4 && arg[i] >= '0' && arg[i] <= '7'; i++)
		mode = mode * 8 + (arg[i] - '0');
	if (n == 0 || i != n || mode > 0777)
		usage_error("socket-mode '%s' is not an octal mode (0000-0777)",
		    arg);
	cf->socket_mode = mode;
}

/*
 * --socket-mode sets the mode of the socket files we create.  Without a
 * unix: --listen there is none (TCP has no file; a socket systemd passes
 * has its SocketMode=), and an option that would silently do nothing is
 * more likely a mistake than a wish.
 */
static void
check_socket_mode(const struct config *cf)
{
	size_t	 i;

	if (cf->socket_mode == -1)
		return;
	if (cf->inetd)
		usage_error("--socket-mode is for unix: listeners, not "
		    "--inetd");
	for (i = 0; i < cf->nlisten; i++)
		if (cf->listen[i].kind == ADDR_UNIX)
			return;
	usage_error("--socket-mode needs a unix: --listen address");
}

static void
parse_timeout(const char *name, const char *s, int *out)
{
	const char	*errstr;

	if (parse_seconds(s, TIMEOUT_MAX, out, &errstr) == -1)
		usage_error("%s '%s' is %s (seconds, 0-%d)", name, s, errstr,
		    TIMEOUT_MAX);
}

static void
parse_listen(struct config *cf, const char *s)
{
	const char	*errstr;

	if (cf->nlisten == MAX_LISTENERS)
		usage_error("too many --listen addresses (at most %d)",
		    MAX_LISTENERS);
	if (addr_parse(s, &cf->listen[cf->nlisten], &errstr) == -1)
		usage_error("listen address '%s': %s", s, errstr);
	cf->nlisten++;
}

static void
conn_opts_from(const struct config *cf, struct conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_message = cf->max_message;
	o->idle_timeout = cf->idle_timeout;
	o->frame_timeout = cf->frame_timeout;
	o->write_timeout = cf->write_timeout;
	o->stop = &sig_got_term;
	o->stop_ms = stop_budget(cf);
}

static void
exec_opts_from(const struct config *cf, struct exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->path = cf->program_path;
	o->argv = cf->program;
	o->max_reply = cf->max_reply;
	o->timeout = cf->handler_timeout;
	o->stop_ms = stop_budget(cf);
	o->stop = &sig_got_term;
}

/*
 * After SIGTERM, a connection (a program's run, the last replies) may
 * go on until shortly before the parent's --grace runs out and it kills
 * us, so that we can still end it cleanly (and kill the program's
 * process group) first.
 */
static int
stop_budget(const struct config *cf)
{
	int	 grace_ms = cf->grace * 1000;

	return grace_ms - (grace_ms / 2 < 1000 ? grace_ms / 2 : 1000);
}

/* Start-up for -- PROGRAM: find it (else exit 2), seal our descriptors. */
static void
resolve_program(struct config *cf)
{
	const char	*prog = cf->program[0];

	if (exec_resolve(prog, cf->program_path,
	    sizeof(cf->program_path)) == -1) {
		if (errno == ENOENT && strchr(prog, '/') == NULL)
			fprintf(stderr, "sock64d: program '%s' not found in "
			    "PATH\n", prog);
		else
			fprintf(stderr, "sock64d: program '%s': %s\n", prog,
			    strerror(errno));
		exit(2);
	}
	if (exec_cloexec_fds() == -1)
		fatal("close-on-exec");
}

/*
 * After -u: the program was found as root, but it is the user who must
 * be able to run it.  -1 (said on stderr) when the user cannot.
 */
static int
program_runs_as_user(const struct config *cf)
{
	char	 path[sizeof(cf->program_path)];

	if (cf->user == NULL || cf->program == NULL ||
	    exec_resolve(cf->program_path, path, sizeof(path)) == 0)
		return 0;
	fprintf(stderr, "sock64d: program '%s' cannot be run by user %s: "
	    "%s\n", cf->program_path, cf->user, strerror(errno));
	return -1;
}

static int
log_level_from(const struct config *cf)
{
	int	 level = LOG_LEVEL_INFO + cf->verbosity;

	if (level < LOG_LEVEL_WARN)
		return LOG_LEVEL_WARN;
	if (level > LOG_LEVEL_DEBUG)
		return LOG_LEVEL_DEBUG;
	return level;
}

/*
 * Standalone: take systemd's sockets or bind every address, report the
 * ports and readiness, then run the accept loop until SIGTERM or SIGINT.
 */
static int
run_standalone(const struct config *cf)
{
	struct listener		 ls[MAX_LISTENERS];
	struct listen_opts	 lo;
	struct session_opts	 so;
	struct exec_opts	 eo;
	struct systemd_notify	 notify;
	struct priv_user	 pu;
	struct listen_perm	 perm;
	sigset_t		 orig;
	char			 err[512];

	log_init("sock64d", log_level_from(cf),
	    log_stderr_is_journal() ? LOG_TO_JOURNAL : LOG_TO_STDERR);
	/* The parent never waits for its log (before -u: see log.c). */
	log_nonblocking();
	if (systemd_notify_init(&notify, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	memset(&lo, 0, sizeof(lo));
	if (sig_setup(&orig, &lo.wait_mask) == -1)
		fatal("signal set-up");
	if (cf->user != NULL && priv_lookup(cf->user, &pu, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	/* With -u the user must be able to use its unix sockets. */
	perm.mode = cf->socket_mode;
	perm.uid = cf->user != NULL ? pu.uid : (uid_t)-1;
	perm.gid = cf->user != NULL ? pu.gid : (gid_t)-1;
	lo.nlisteners = open_listeners(cf, &perm, ls);
	if (cf->user != NULL && priv_drop(&pu, err, sizeof(err)) == -1) {
		close_listeners(ls, lo.nlisteners);
		fatalx("%s", err);
	}
	if (program_runs_as_user(cf) == -1) {
		close_listeners(ls, lo.nlisteners);
		exit(2);
	}
	if (cf->print_port)
		print_ports(ls, lo.nlisteners);
	systemd_notify(&notify, "READY=1\nSTATUS=0 connections now, 0 served");

	conn_opts_from(cf, &so.conn);
	exec_opts_from(cf, &eo);
	so.exec = cf->program != NULL ? &eo : NULL;
	lo.listeners = ls;
	lo.max_children = cf->max_connections;
	lo.grace = cf->grace;
	lo.max_per_source = cf->max_per_source;
	/*
	 * --grace 0 with -- PROGRAM: children kill their program's group at
	 * once on SIGTERM (see exec_opts_from); they get a second to do so
	 * before SIGKILL, which would leave the group behind.
	 */
	if (cf->program != NULL && lo.grace == 0)
		lo.grace = 1;
	lo.serve = session_serve;
	lo.arg = &so;
	proxy_opts_from(cf, &so.proxy);
	if (so.proxy.accept != 0) {
		lo.later_source = session_later_source;
		lo.later_arg = &so;
	}
	if (notify.len != 0) {
		lo.report = systemd_report;
		lo.report_arg = &notify;
	}
	if (listen_loop(&lo) == -1)
		fatal("accept loop");
	log_info("stopped");
	return 0;
}

/*
 * The listening sockets: those systemd passed (LISTEN_FDS), or else one
 * per --listen address.  Both at once is a usage error: the unit file
 * and the command line would disagree about where to listen.  perm is
 * for the unix socket files we create; systemd's are left as they are.
 */
static size_t
open_listeners(const struct config *cf, const struct listen_perm *perm,
    struct listener *ls)
{
	char	 err[512];
	int	 n;
	size_t	 i;

	if ((n = systemd_listeners(ls, MAX_LISTENERS, err, sizeof(err))) ==
	    -1)
		fatalx("%s", err);
	if (n > 0 && cf->listen_given)
		usage_error("--listen conflicts with the sockets systemd "
		    "passed (LISTEN_FDS)");
	if (n > 0)
		return (size_t)n;
	for (i = 0; i < cf->nlisten; i++) {
		if (listen_open(&cf->listen[i], perm, cf->backlog, &ls[i], err,
		    sizeof(err)) == -1) {
			close_listeners(ls, i);
			fatalx("%s", err);
		}
		log_info("listening on %s", ls[i].name);
	}
	return cf->nlisten;
}

/* Before a start-up error: no socket file of ours is left behind. */
static void
close_listeners(struct listener *ls, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		listen_close(&ls[i]);
}

/*
 * -1: one line per listener, then stdout is closed so that a reader
 * sees end of file; /dev/null takes fd 1 so no later socket lands there.
 */
static void
print_ports(const struct listener *ls, size_t n)
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
 * Where -i mode may log.  Classic inetd and systemd's default make fd 2
 * the connection itself: a log line there would corrupt the stream, so
 * then (or when fd 2 is closed) syslog is used.
 */
static enum log_dest
inetd_log_dest(void)
{
	struct stat	 in, err;

	if (fstat(STDERR_FILENO, &err) == -1)
		return LOG_TO_SYSLOG;
	if (fstat(STDIN_FILENO, &in) == 0 && in.st_dev == err.st_dev &&
	    in.st_ino == err.st_ino)
		return LOG_TO_SYSLOG;
	return log_stderr_is_journal() ? LOG_TO_JOURNAL : LOG_TO_STDERR;
}

/*
 * -i: one connection, requests on fd 0 and replies on fd 1 (one socket,
 * or two pipes).  The peer's address is only for the log lines.
 */
static int
run_inetd(const struct config *cf)
{
	struct session_opts	 so;
	struct priv_user	 pu;
	struct exec_opts	 eo;
	enum log_dest		 dest = inetd_log_dest();
	sigset_t		 mask;
	socklen_t		 typelen = sizeof(int);
	int			 type;
	char			 err[512];

	log_init("sock64d", log_level_from(cf), dest);
	if (cf->user != NULL && (priv_lookup(cf->user, &pu, err,
	    sizeof(err)) == -1 || priv_drop(&pu, err, sizeof(err)) == -1))
		fatalx("%s", err);
	if (program_runs_as_user(cf) == -1)
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
	    &typelen) == 0 && fcntl(STDOUT_FILENO, F_SETFL,
	    fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl");
	conn_opts_from(cf, &so.conn);
	exec_opts_from(cf, &eo);
	/* Never the client connection as the program's stderr. */
	eo.log_stderr = dest == LOG_TO_SYSLOG;
	so.exec = cf->program != NULL ? &eo : NULL;
	proxy_opts_from(cf, &so.proxy);
	return session_inetd(&so);
}
