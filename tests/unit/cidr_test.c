/*
 * Unit tests for address blocks: what parses, and which clients match.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cidr.h"

static void
test_cidr(void)
{
	static const struct {
		const char	*cidr;
		const char	*addr;	/* NULL: the block must not parse */
		int		 family;
		int		 match;
	} t[] = {
		{ "127.0.0.1", "127.0.0.1", AF_INET, 1 },
		{ "127.0.0.1", "127.0.0.2", AF_INET, 0 },
		{ "127.0.0.0/8", "127.255.0.9", AF_INET, 1 },
		{ "10.0.0.0/9", "10.128.0.1", AF_INET, 0 },
		{ "10.0.0.0/9", "10.127.0.1", AF_INET, 1 },
		{ "0.0.0.0/0", "203.0.113.9", AF_INET, 1 },
		{ "0.0.0.0/0", "::1", AF_INET6, 0 },
		{ "::1", "::1", AF_INET6, 1 },
		{ "2001:db8::/32", "2001:db8:1::1", AF_INET6, 1 },
		{ "2001:db8::/33", "2001:db8:8000::1", AF_INET6, 0 },
		{ "::ffff:192.0.2.0/120", "192.0.2.77", AF_INET, 1 },
		{ "unix", NULL, AF_UNIX, 1 },
		{ "127.0.0.1/33", NULL, 0, 0 },
		{ "127.0.0.1/", NULL, 0, 0 },
		{ "/8", NULL, 0, 0 },
		{ "localhost", NULL, 0, 0 },
		{ "::1/129", NULL, 0, 0 },
	};
	struct cidr	 c;
	struct addr_source	 src;
	const char		*err;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rv = cidr_parse(t[i].cidr, &c, &err);
		if (t[i].addr == NULL && t[i].family != AF_UNIX) {
			CHECK(rv == -1 && err != NULL, "%s parsed", t[i].cidr);
			continue;
		}
		CHECK(rv == 0, "%s: %s", t[i].cidr, err);
		memset(&src, 0, sizeof(src));
		src.family = t[i].family;
		if (t[i].addr != NULL && t[i].family != AF_UNIX)
			inet_pton(t[i].family, t[i].addr, src.bytes);
		CHECK(cidr_match(&c, &src) == t[i].match, "%s in %s: %d",
		    t[i].addr ? t[i].addr : "unix", t[i].cidr, t[i].match);
	}
}

int
main(void)
{
	test_cidr();
	return check_exit("cidr_test");
}
