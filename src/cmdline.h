/*
 * sock64: sock64d's command line: the options into a struct config,
 * with their defaults and the checks between them, and --help.
 */
#ifndef SOCK64_CMDLINE_H
#define SOCK64_CMDLINE_H

#include <limits.h>
#include <stddef.h>

#include "addr.h"
#include "cidr.h"
#include "proxy.h"
#include "rules.h"

#define CMDLINE_MAX_LISTEN	64	/* --listen addresses */
#define CMDLINE_MAX_PROXY_FROM	64
#define CMDLINE_MAX_ENV		64	/* --setenv, --passenv each */

struct config {
	struct addr	 listen[CMDLINE_MAX_LISTEN];
	size_t		 nlisten;
	int		 listen_given;	/* not just the default */
	int		 backlog;
	size_t		 max_connections;
	size_t		 max_per_source;
	size_t		 spares;	/* forked ahead of demand */
	int		 spares_given;
	struct rules	 argv_rules;	/* --allow, --deny */
	const char	*rules_path;	/* --rules */
	struct rules	 rules;		/* in force at start: both */
	size_t		 max_rate;	/* --max-rate; 0: none */
	int		 max_rate_secs;
	size_t		 max_rate_per_source;
	int		 max_rate_per_source_secs;
	unsigned int	 v4_bits;	/* --source-prefix */
	unsigned int	 v6_bits;
	const char	*metrics_path;	/* --metrics-file */
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
	char		 program_path[PATH_MAX];	/* found at start-up */
	size_t		 max_reply;	/* SIZE_MAX until given */
	int		 handler_timeout;
	int		 per_connection;	/* one run per connection */
	int		 handler_lines;		/* --handler-io=lines */
	int		 clearenv;
	char		*passenv[CMDLINE_MAX_ENV];	/* names */
	size_t		 npassenv;
	char		*setenv[CMDLINE_MAX_ENV];	/* NAME=VALUE */
	size_t		 nsetenv;
	int		 proxy_accept;	/* PROXY_V1, _V2, _ANY; 0: off */
	struct cidr proxy_from[CMDLINE_MAX_PROXY_FROM];
	size_t		 nproxy_from;
	int		 reuseport;
	int		 socket_mode;	/* unix listeners; -1: the umask's */
};

void	cmdline_parse(int, char **, struct config *);

#endif /* SOCK64_CMDLINE_H */
