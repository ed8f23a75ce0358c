/*
 * sock64: sock64d's command line.  cmdline_parse() fills a struct config
 * from argv: the defaults, every option checked against its range, and
 * the options that do not go together.  A usage error is one line on
 * stderr and exit status 2; --help and --version exit 0.  Nothing here
 * opens, binds or logs: the start-up acts on the config.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmdline.h"
#include "proxy.h"
#include "usage.h"
#include "util.h"

#define CMDLINE_DEFAULT_LISTEN	"127.0.0.1:8000"
#define CMDLINE_TIMEOUT_MAX	(7 * 24 * 3600)

/* The long options without a short one, sorted; above every char. */
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

static const struct option cmdline_long_options[] = {
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

static void	cmdline_defaults(struct config *);
static void	cmdline_short_option(struct config *, int, const char *);
static void	cmdline_long_option(struct config *, int, const char *);
static void	cmdline_operands(struct config *, int, char **);
static void	cmdline_check(struct config *);
static size_t	cmdline_size(const char *, const char *);
static long long cmdline_count(const char *, const char *, long long,
		    long long);
static int	cmdline_seconds(const char *, const char *);
static void	cmdline_listen(struct config *, const char *);
static int	cmdline_proxy_protocol(const char *);
static void	cmdline_proxy_from(struct config *, const char *);
static int	cmdline_socket_mode(const char *);
static void	cmdline_check_socket_mode(const struct config *);
static void	cmdline_version(void) __attribute__((noreturn));
static void	cmdline_help(void) __attribute__((noreturn));
static void	cmdline_help_usage(void);
static void	cmdline_help_options(void);
static void	cmdline_help_peers(void);
static void	cmdline_help_notes(void);

/*
 * Fills cf from the command line, or exits: 2 after a usage error, 0
 * after --help or --version.  cf->program points into argv.
 */
void
cmdline_parse(int argc, char **argv, struct config *cf)
{
	int	 ch;

	usage_set_program("sock64d");
	cmdline_defaults(cf);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":1b:c:hil:m:qu:vV",
	    cmdline_long_options, NULL)) != -1) {
		if (ch == ':' || ch == '?')
			usage_bad_option(ch, argv[optind - 1],
			    cmdline_long_options);
		else if (ch < OPT_FRAME_TIMEOUT)
			cmdline_short_option(cf, ch, optarg);
		else
			cmdline_long_option(cf, ch, optarg);
	}
	cmdline_operands(cf, argc, argv);
	cmdline_check(cf);
}

static void
cmdline_defaults(struct config *cf)
{
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
}

/* An option with a short form, in the order of the option string. */
static void
cmdline_short_option(struct config *cf, int ch, const char *arg)
{
	switch (ch) {
	case '1':
		cf->print_port = 1;
		break;
	case 'b':
		cf->backlog = (int)cmdline_count("backlog", arg, 1, 65535);
		break;
	case 'c':
		cf->max_connections = (size_t)cmdline_count("max-connections",
		    arg, 1, 1000000);
		break;
	case 'h':
		cmdline_help();
	case 'i':
		cf->inetd = 1;
		break;
	case 'l':
		cmdline_listen(cf, arg);
		break;
	case 'm':
		cf->max_message = cmdline_size("max-message", arg);
		break;
	case 'q':
		cf->verbosity--;
		break;
	case 'u':
		cf->user = arg;
		break;
	case 'v':
		cf->verbosity++;
		break;
	case 'V':
		cmdline_version();
	}
}

/* An option with a long name only, sorted by name. */
static void
cmdline_long_option(struct config *cf, int ch, const char *arg)
{
	switch (ch) {
	case OPT_FRAME_TIMEOUT:
		cf->frame_timeout = cmdline_seconds("frame-timeout", arg);
		break;
	case OPT_GRACE:
		cf->grace = cmdline_seconds("grace", arg);
		break;
	case OPT_HANDLER_TIMEOUT:
		cf->handler_timeout = cmdline_seconds("handler-timeout", arg);
		break;
	case OPT_IDLE_TIMEOUT:
		cf->idle_timeout = cmdline_seconds("idle-timeout", arg);
		break;
	case OPT_MAX_PER_SOURCE:
		cf->max_per_source = (size_t)cmdline_count("max-per-source",
		    arg, 0, 1000000);
		break;
	case OPT_MAX_REPLY:
		cf->max_reply = cmdline_size("max-reply", arg);
		break;
	case OPT_PROXY_FROM:
		cmdline_proxy_from(cf, arg);
		break;
	case OPT_PROXY_PROTOCOL:
		cf->proxy_accept = cmdline_proxy_protocol(arg);
		break;
	case OPT_REUSEPORT:
		cf->reuseport = 1;
		break;
	case OPT_SOCKET_MODE:
		cf->socket_mode = cmdline_socket_mode(arg);
		break;
	case OPT_WRITE_TIMEOUT:
		cf->write_timeout = cmdline_seconds("write-timeout", arg);
		break;
	}
}

/* Operands only after "--": the program and its arguments. */
static void
cmdline_operands(struct config *cf, int argc, char **argv)
{
	if (optind == argc)
		return;
	if (strcmp(argv[optind - 1], "--") != 0)
		usage_error("unexpected argument '%s'", argv[optind]);
	cf->program = &argv[optind];
}

/* The options that need or exclude others, and defaults from others. */
static void
cmdline_check(struct config *cf)
{
	size_t	 i;

	if (cf->max_reply == SIZE_MAX)
		cf->max_reply = cf->max_message;
	if (cf->inetd && cf->nlisten > 0)
		usage_error("--inetd serves stdin and takes no --listen");
	if (cf->nproxy_from > 0 && cf->proxy_accept == 0)
		usage_error("--proxy-from needs --proxy-protocol");
	if (cf->inetd && cf->reuseport)
		usage_error("--reuseport is for listening sockets, not --inetd");
	cf->listen_given = cf->nlisten > 0;
	cmdline_check_socket_mode(cf);
	if (cf->nlisten == 0)
		cmdline_listen(cf, CMDLINE_DEFAULT_LISTEN);
	for (i = 0; i < cf->nlisten; i++)
		cf->listen[i].reuseport = cf->reuseport;
}

/* A whole number from min to max; name is the option's long name. */
static long long
cmdline_count(const char *name, const char *arg, long long min,
    long long max)
{
	const char	*errstr;
	long long	 n;

	n = parse_num(arg, min, max, &errstr);
	if (errstr != NULL)
		usage_error("%s '%s' is %s (%lld-%lld)", name, arg, errstr,
		    min, max);
	return n;
}

/* A size in bytes, with an optional k or M suffix. */
static size_t
cmdline_size(const char *name, const char *arg)
{
	const char	*errstr;
	size_t		 n;

	if (parse_size(arg, 0, SIZE_MAX / 2, &n, &errstr) == -1)
		usage_error("%s '%s' is %s (bytes, or with a k or M suffix)",
		    name, arg, errstr);
	return n;
}

/* Seconds, 0 (never) to a week. */
static int
cmdline_seconds(const char *name, const char *arg)
{
	const char	*errstr;
	int		 s;

	if (parse_seconds(arg, CMDLINE_TIMEOUT_MAX, &s, &errstr) == -1)
		usage_error("%s '%s' is %s (seconds, 0-%d)", name, arg,
		    errstr, CMDLINE_TIMEOUT_MAX);
	return s;
}

static void
cmdline_listen(struct config *cf, const char *arg)
{
	const char	*errstr;

	if (cf->nlisten == CMDLINE_MAX_LISTEN)
		usage_error("too many --listen addresses (at most %d)",
		    CMDLINE_MAX_LISTEN);
	if (addr_parse(arg, &cf->listen[cf->nlisten], &errstr) == -1)
		usage_error("listen address '%s': %s", arg, errstr);
	cf->nlisten++;
}

static int
cmdline_proxy_protocol(const char *arg)
{
	if (strcmp(arg, "v1") == 0)
		return PROXY_V1;
	if (strcmp(arg, "v2") == 0)
		return PROXY_V2;
	if (strcmp(arg, "any") == 0)
		return PROXY_ANY;
	usage_error("proxy-protocol '%s' is not v1, v2 or any", arg);
}

static void
cmdline_proxy_from(struct config *cf, const char *arg)
{
	const char	*errstr;

	if (cf->nproxy_from == CMDLINE_MAX_PROXY_FROM)
		usage_error("too many --proxy-from (at most %d)",
		    CMDLINE_MAX_PROXY_FROM);
	if (proxy_cidr_parse(arg, &cf->proxy_from[cf->nproxy_from],
	    &errstr) == -1)
		usage_error("proxy-from '%s': %s (ADDR, ADDR/BITS or "
		    "unix)", arg, errstr);
	cf->nproxy_from++;
}

/* --socket-mode: 1 to 4 octal digits, as chmod and SocketMode= take. */
static int
cmdline_socket_mode(const char *arg)
{
	size_t	 i, n = strlen(arg);
	int	 mode = 0;

	for (i = 0; i < n && i < 4 && arg[i] >= '0' && arg[i] <= '7'; i++)
		mode = mode * 8 + (arg[i] - '0');
	if (n == 0 || i != n || mode > 0777)
		usage_error("socket-mode '%s' is not an octal mode (0000-0777)",
		    arg);
	return mode;
}

/*
 * --socket-mode sets the mode of the socket files we create.  Without a
 * unix: --listen there is none (TCP has no file; a socket systemd passes
 * has its SocketMode=), and an option that would silently do nothing is
 * more likely a mistake than a wish.
 */
static void
cmdline_check_socket_mode(const struct config *cf)
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
cmdline_version(void)
{
	printf("sock64d %s\n", PACKAGE_VERSION);
	exit(0);
}

/* In parts: C only promises string literals of 4095 bytes. */
static void
cmdline_help(void)
{
	cmdline_help_usage();
	cmdline_help_options();
	cmdline_help_peers();
	cmdline_help_notes();
	exit(0);
}

static void
cmdline_help_usage(void)
{
	fputs(
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
"writes on stdout.  Each client is served by a child process of its own.\n",
	    stdout);
}

static void
cmdline_help_options(void)
{
	printf(
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
	    CMDLINE_DEFAULT_LISTEN);
}

/* The options for balancers and for the listeners' sockets. */
static void
cmdline_help_peers(void)
{
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
}

static void
cmdline_help_notes(void)
{
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
}
