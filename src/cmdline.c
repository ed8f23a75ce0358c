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
#include "cidr.h"
#include "cmdline.h"
#include "cmdlineval.h"
#include "help.h"
#include "proxy.h"
#include "rules.h"
#include "usage.h"
#include "util.h"

#define CMDLINE_DEFAULT_LISTEN	"127.0.0.1:8000"
/* Spare children: see the man page, SPARE CHILDREN, for the choice. */
#define CMDLINE_DEFAULT_SPARES	4

/* The long options without a short one, sorted; above every char. */
enum {
	OPT_ALLOW = 256,
	OPT_CLEARENV,
	OPT_DENY,
	OPT_FRAME_TIMEOUT,
	OPT_GRACE,
	OPT_HANDLER_IO,
	OPT_HANDLER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_PER_SOURCE,
	OPT_MAX_RATE,
	OPT_MAX_RATE_PER_SOURCE,
	OPT_MAX_REPLY,
	OPT_METRICS_FILE,
	OPT_PASSENV,
	OPT_PER_CONNECTION,
	OPT_PROXY_FROM,
	OPT_PROXY_PROTOCOL,
	OPT_REUSEPORT,
	OPT_RULES,
	OPT_SETENV,
	OPT_SOCKET_MODE,
	OPT_SOURCE_PREFIX,
	OPT_SPARES,
	OPT_WRITE_TIMEOUT
};

static const struct option cmdline_long_options[] = {
	{ "print-port",		no_argument,		NULL, '1' },
	{ "allow",		required_argument,	NULL, OPT_ALLOW },
	{ "backlog",		required_argument,	NULL, 'b' },
	{ "max-connections",	required_argument,	NULL, 'c' },
	{ "clearenv",		no_argument,		NULL, OPT_CLEARENV },
	{ "deny",		required_argument,	NULL, OPT_DENY },
	{ "frame-timeout",	required_argument,	NULL,
	    OPT_FRAME_TIMEOUT },
	{ "grace",		required_argument,	NULL, OPT_GRACE },
	{ "handler-io",		required_argument,	NULL, OPT_HANDLER_IO },
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
	{ "max-rate",		required_argument,	NULL, OPT_MAX_RATE },
	{ "max-rate-per-source", required_argument,	NULL,
	    OPT_MAX_RATE_PER_SOURCE },
	{ "max-reply",		required_argument,	NULL, OPT_MAX_REPLY },
	{ "metrics-file",	required_argument,	NULL,
	    OPT_METRICS_FILE },
	{ "passenv",		required_argument,	NULL, OPT_PASSENV },
	{ "per-connection",	no_argument,		NULL,
	    OPT_PER_CONNECTION },
	{ "proxy-from",		required_argument,	NULL, OPT_PROXY_FROM },
	{ "proxy-protocol",	required_argument,	NULL,
	    OPT_PROXY_PROTOCOL },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "reuseport",		no_argument,		NULL, OPT_REUSEPORT },
	{ "rules",		required_argument,	NULL, OPT_RULES },
	{ "setenv",		required_argument,	NULL, OPT_SETENV },
	{ "socket-mode",	required_argument,	NULL,
	    OPT_SOCKET_MODE },
	{ "spares",		required_argument,	NULL, OPT_SPARES },
	{ "source-prefix",	required_argument,	NULL,
	    OPT_SOURCE_PREFIX },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "write-timeout",	required_argument,	NULL,
	    OPT_WRITE_TIMEOUT },
	{ NULL,			0,			NULL, 0 }
};

static void	cmdline_defaults(struct config *);
static void	cmdline_short_option(struct config *, int, const char *);
static void	cmdline_long_option(struct config *, int, char *);
static void	cmdline_operands(struct config *, int, char **);
static void	cmdline_check(struct config *);
static void	cmdline_check_program(const struct config *);
static void	cmdline_check_socket_mode(const struct config *);
static void	cmdline_version(void) __attribute__((noreturn));

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
		else if (ch < OPT_ALLOW)
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
	cf->spares = CMDLINE_DEFAULT_SPARES;
	cf->max_message = 1024 * 1024;
	cf->idle_timeout = 300;
	cf->frame_timeout = 30;
	cf->write_timeout = 30;
	cf->grace = 10;
	cf->max_reply = SIZE_MAX;
	cf->handler_timeout = 30;
	cf->socket_mode = -1;
	cf->v4_bits = 32;
	cf->v6_bits = 128;
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
		help_print(CMDLINE_DEFAULT_LISTEN, CMDLINE_DEFAULT_SPARES);
		exit(0);
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
cmdline_long_option(struct config *cf, int ch, char *arg)
{
	switch (ch) {
	case OPT_ALLOW:
	case OPT_DENY:
		cmdline_rule(cf, ch == OPT_DENY, arg);
		break;
	case OPT_CLEARENV:
		cf->clearenv = 1;
		break;
	case OPT_FRAME_TIMEOUT:
		cf->frame_timeout = cmdline_seconds("frame-timeout", arg);
		break;
	case OPT_GRACE:
		cf->grace = cmdline_seconds("grace", arg);
		break;
	case OPT_HANDLER_IO:
		if (strcmp(arg, "frames") != 0 && strcmp(arg, "lines") != 0)
			usage_error("handler-io '%s' is not frames or lines",
			    arg);
		cf->handler_lines = strcmp(arg, "lines") == 0;
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
	case OPT_MAX_RATE:
		cmdline_rate("max-rate", arg, &cf->max_rate,
		    &cf->max_rate_secs);
		break;
	case OPT_MAX_RATE_PER_SOURCE:
		cmdline_rate("max-rate-per-source", arg,
		    &cf->max_rate_per_source, &cf->max_rate_per_source_secs);
		break;
	case OPT_MAX_REPLY:
		cf->max_reply = cmdline_size("max-reply", arg);
		break;
	case OPT_METRICS_FILE:
		if (arg[0] == '\0')
			usage_error("metrics-file: an empty path");
		cf->metrics_path = arg;
		break;
	case OPT_PASSENV:
		cmdline_env(cf->passenv, &cf->npassenv, arg, 0);
		break;
	case OPT_PER_CONNECTION:
		cf->per_connection = 1;
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
	case OPT_RULES:
		cf->rules_path = arg;
		break;
	case OPT_SETENV:
		cmdline_env(cf->setenv, &cf->nsetenv, arg, 1);
		break;
	case OPT_SOCKET_MODE:
		cf->socket_mode = cmdline_socket_mode(arg);
		break;
	case OPT_SOURCE_PREFIX:
		cmdline_source_prefix(cf, arg);
		break;
	case OPT_SPARES:
		cf->spares = (size_t)cmdline_count("spares", arg, 0, 1000);
		cf->spares_given = 1;
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
	if (cf->inetd && cf->metrics_path != NULL)
		usage_error("--metrics-file counts the accept loop's "
		    "connections, not --inetd's one");
	if (cf->inetd && (cf->argv_rules.n > 0 || cf->rules_path != NULL ||
	    cf->max_rate > 0 || cf->max_rate_per_source > 0))
		usage_error("--allow, --deny, --rules and the rates are for "
		    "the accept loop, not --inetd");
	if (cf->inetd && cf->spares_given)
		usage_error("--spares is for the accept loop, not --inetd");
	cf->listen_given = cf->nlisten > 0;
	cmdline_check_program(cf);
	cmdline_check_socket_mode(cf);
	if (cf->nlisten == 0)
		cmdline_listen(cf, CMDLINE_DEFAULT_LISTEN);
	for (i = 0; i < cf->nlisten; i++)
		cf->listen[i].reuseport = cf->reuseport;
}

/*
 * The options that shape the program's runs need a program, and
 * --passenv, which keeps a variable --clearenv would drop, --clearenv.
 */
static void
cmdline_check_program(const struct config *cf)
{
	if (cf->npassenv > 0 && !cf->clearenv)
		usage_error("--passenv needs --clearenv (without it, every "
		    "variable is passed)");
	if (cf->program != NULL)
		return;
	if (cf->per_connection)
		usage_error("--per-connection needs -- PROGRAM");
	if (cf->handler_lines)
		usage_error("--handler-io needs -- PROGRAM");
	if (cf->clearenv || cf->npassenv > 0 || cf->nsetenv > 0)
		usage_error("--clearenv, --passenv and --setenv need "
		    "-- PROGRAM");
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

