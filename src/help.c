/*
 * sock64: sock64d --help, which mirrors sock64d(8): the synopsis, then
 * the options in groups, then how the server behaves.
 */
#include "config.h"

#include <stdio.h>

#include "help.h"

static void	help_usage(void);
static void	help_options(const char *, int);
static void	help_admission(void);
static void	help_peers(void);
static void	help_program(void);
static void	help_notes(void);

/*
 * Prints --help, with the defaults of --listen and --spares.  In parts: C only
 * promises string literals of 4095 bytes.
 */
void
help_print(const char *default_listen, int default_spares)
{
	help_usage();
	help_options(default_listen, default_spares);
	help_admission();
	help_peers();
	help_program();
	help_notes();
}

static void
help_usage(void)
{
	fputs(
"usage: sock64d [-1iqv] [-b backlog] [-c maxconn] [-l address]... [-m size]\n"
"               [-u user] [--max-per-source n] [--idle-timeout sec]\n"
"               [--frame-timeout sec] [--write-timeout sec] [--grace sec]\n"
"               [--max-reply size] [--handler-timeout sec]\n"
"               [--per-connection] [--handler-io frames|lines]\n"
"               [--clearenv] [--passenv name]... [--setenv name=value]...\n"
"               [--allow cidr]... [--deny cidr]... [--rules file]\n"
"               [--max-rate n[/sec]] [--max-rate-per-source n[/sec]]\n"
"               [--source-prefix v4[,v6]] [--metrics-file path]\n"
"               [--proxy-protocol v1|v2|any] [--proxy-from cidr]...\n"
"               [--reuseport] [--socket-mode mode] [--spares n]\n"
"               [-- program [arg ...]]\n"
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
help_options(const char *default_listen, int default_spares)
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
"      --spares=N            children forked ahead of demand, each to serve\n"
"                            one client; they count towards -c (default %d)\n"
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
	    default_listen, default_spares);
}

/* Who may connect, how fast, and the counts. */
static void
help_admission(void)
{
	fputs(
"      --allow=CIDR          serve peers in CIDR (ADDR, ADDR/BITS, unix, or\n"
"                            uid:N for one unix user); repeatable.  With any\n"
"                            allow rule, a peer no rule matches is refused\n"
"      --deny=CIDR           refuse peers in CIDR; repeatable.  The most\n"
"                            specific block wins; deny wins a tie (default:\n"
"                            no rules, everyone is served)\n"
"      --rules=FILE          more rules, one a line: allow CIDR or deny CIDR;\n"
"                            # comments.  Re-read on SIGHUP; a bad file keeps\n"
"                            the rules in force\n"
"      --max-rate=N[/SEC]    accept at most N connections in SEC seconds\n"
"                            (default 1); more wait in the backlog, none is\n"
"                            refused (default: no limit)\n"
"      --max-rate-per-source=N[/SEC]\n"
"                            at most N new connections from one source in SEC\n"
"                            seconds, in bursts of N; more are accepted,\n"
"                            logged and closed (default: no limit)\n"
"      --metrics-file=PATH   keep the counts in PATH for Prometheus'\n"
"                            node_exporter (textfile collector)\n"
"      --source-prefix=V4[,V6]\n"
"                            the prefix lengths that make one source for\n"
"                            --max-per-source and --max-rate-per-source\n"
"                            (default 32,128: one address)\n",
	    stdout);
}

/* The options for balancers and for the listeners' sockets. */
static void
help_peers(void)
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

/* The options of -- PROGRAM. */
static void
help_program(void)
{
	fputs(
"      --per-connection      -- PROGRAM: run PROGRAM once per connection,\n"
"                            from its first request to its end; requests go\n"
"                            to its stdin, replies come from its stdout, in\n"
"                            order, one each (default: a run per request)\n"
"      --handler-io=ENC      --per-connection: frames (sock64 frames both\n"
"                            ways, binary-safe) or lines (the payload and a\n"
"                            newline in, the next line out; a request with a\n"
"                            newline is refused) (default frames)\n"
"      --setenv=NAME=VALUE   -- PROGRAM: set NAME in its environment\n"
"                            (repeatable)\n"
"      --clearenv            -- PROGRAM: start its environment empty but for\n"
"                            PATH, the connection's variables, --passenv and\n"
"                            --setenv\n"
"      --passenv=NAME        --clearenv: keep NAME of ours (repeatable)\n",
	    stdout);
}

static void
help_notes(void)
{
	fputs(
"\n"
"Logs go to stderr, one line per event.  In -i mode they go to syslog when\n"
"stderr is the client connection itself.  SIGTERM or SIGINT stops the\n"
"server: listeners close, each connection finishes the reply in flight\n"
"(see --grace), and every child is reaped.  SIGHUP re-reads --rules;\n"
"SIGUSR1 logs the counts.  Each connection ends with a summary line.\n"
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
