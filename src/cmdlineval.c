/*
 * sock64: the values of sock64d's options, each checked against its
 * range or form: counts, sizes, seconds, addresses, address rules,
 * rates, modes, environment names.  A bad value is a usage error that
 * names the option.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "cmdline.h"
#include "cmdlineval.h"
#include "proxy.h"
#include "rules.h"
#include "usage.h"
#include "util.h"

#define CMDLINE_TIMEOUT_MAX	(7 * 24 * 3600)	/* a week */

static const char *cmdline_pair(const char *, int, long long *, long long,
		    long long, long long *, long long, long long);

/* A whole number from min to max; name is the option's long name. */
long long
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
size_t
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
int
cmdline_seconds(const char *name, const char *arg)
{
	const char	*errstr;
	int		 s;

	if (parse_seconds(arg, CMDLINE_TIMEOUT_MAX, &s, &errstr) == -1)
		usage_error("%s '%s' is %s (seconds, 0-%d)", name, arg,
		    errstr, CMDLINE_TIMEOUT_MAX);
	return s;
}

void
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

int
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

void
cmdline_proxy_from(struct config *cf, const char *arg)
{
	const char	*errstr;

	if (cf->nproxy_from == CMDLINE_MAX_PROXY_FROM)
		usage_error("too many --proxy-from (at most %d)",
		    CMDLINE_MAX_PROXY_FROM);
	if (cidr_parse(arg, &cf->proxy_from[cf->nproxy_from],
	    &errstr) == -1)
		usage_error("proxy-from '%s': %s (ADDR, ADDR/BITS or "
		    "unix)", arg, errstr);
	cf->nproxy_from++;
}

/* --allow, --deny: one address rule. */
void
cmdline_rule(struct config *cf, int deny, const char *arg)
{
	const char	*why;

	if (rules_add(&cf->argv_rules, deny, arg, 0, &why) == -1)
		usage_error("%s '%s': %s (ADDR, ADDR/BITS, unix or uid:N)",
		    deny ? "deny" : "allow", arg, why != NULL ? why :
		    "out of memory");
}

/*
 * "A" or "A<sep>B", two whole numbers, each in its range: *a and, when
 * given, *b.  Returns NULL, or why the value is bad.
 */
static const char *
cmdline_pair(const char *arg, int sep, long long *a, long long amin,
    long long amax, long long *b, long long bmin, long long bmax)
{
	const char	*second, *errstr;
	char		 first[32];
	size_t		 len;

	second = strchr(arg, sep);
	len = second != NULL ? (size_t)(second - arg) : strlen(arg);
	if (len >= sizeof(first))
		return "invalid";
	memcpy(first, arg, len);
	first[len] = '\0';
	*a = parse_num(first, amin, amax, &errstr);
	if (errstr == NULL && second != NULL)
		*b = parse_num(second + 1, bmin, bmax, &errstr);
	return errstr;
}

/* --max-rate, --max-rate-per-source: N[/SEC], N connections in SEC s. */
void
cmdline_rate(const char *name, const char *arg, size_t *n, int *secs)
{
	const char	*errstr;
	long long	 count, s = 1;

	if ((errstr = cmdline_pair(arg, '/', &count, 1, 1000000, &s, 1,
	    3600)) != NULL)
		usage_error("%s '%s' is %s (N or N/SEC: N connections, "
		    "1-1000000, in SEC seconds, 1-3600)", name, arg, errstr);
	*n = (size_t)count;
	*secs = (int)s;
}

/* --source-prefix: V4BITS[,V6BITS]. */
void
cmdline_source_prefix(struct config *cf, const char *arg)
{
	const char	*errstr;
	long long	 v4, v6 = cf->v6_bits;

	if ((errstr = cmdline_pair(arg, ',', &v4, 1, 32, &v6, 1, 128)) !=
	    NULL)
		usage_error("source-prefix '%s' is %s (V4BITS, 1-32, or "
		    "V4BITS,V6BITS, V6BITS 1-128)", arg, errstr);
	cf->v4_bits = (unsigned int)v4;
	cf->v6_bits = (unsigned int)v6;
}

/* --socket-mode: 1 to 4 octal digits, as chmod and SocketMode= take. */
int
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
 * --setenv NAME=VALUE (with_value) or --passenv NAME: a name of letters,
 * digits and '_', not starting with a digit, as sh(1) takes.
 */
void
cmdline_env(char **list, size_t *n, char *arg, int with_value)
{
	const char	*opt = with_value ? "setenv" : "passenv";
	size_t		 len = strcspn(arg, "=");
	size_t		 i;

	if (*n == CMDLINE_MAX_ENV)
		usage_error("too many --%s (at most %d)", opt,
		    CMDLINE_MAX_ENV);
	for (i = 0; i < len; i++)
		if (!(arg[i] == '_' || (arg[i] >= 'A' && arg[i] <= 'Z') ||
		    (arg[i] >= 'a' && arg[i] <= 'z') ||
		    (i > 0 && arg[i] >= '0' && arg[i] <= '9')))
			break;
	if (len == 0 || i < len || (with_value ? arg[len] != '=' :
	    arg[len] != '\0'))
		usage_error("%s '%s' is not %s", opt, arg, with_value ?
		    "NAME=VALUE" : "a variable name");
	list[(*n)++] = arg;
}
