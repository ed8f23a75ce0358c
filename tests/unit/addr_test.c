/*
 * Unit tests for address parsing and formatting: every --listen and
 * --connect form, each refusal, and how peers are written in logs.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check.h"

struct good {
	const char	*in;
	enum addr_kind	 kind;
	const char	*host;
	const char	*port;
	const char	*path;
	const char	*canonical;
};

static const struct good goods[] = {
	{ "127.0.0.1:8000", ADDR_TCP, "127.0.0.1", "8000", "",
	    "127.0.0.1:8000" },
	{ "localhost:0", ADDR_TCP, "localhost", "0", "", "localhost:0" },
	{ "[::1]:8000", ADDR_TCP, "::1", "8000", "", "[::1]:8000" },
	{ "[::]:65535", ADDR_TCP, "::", "65535", "", "[::]:65535" },
	{ ":8000", ADDR_TCP, "", "8000", "", ":8000" },
	{ "8000", ADDR_TCP, "", "8000", "", ":8000" },
	{ "0", ADDR_TCP, "", "0", "", ":0" },
	{ "unix:/run/sock64.sock", ADDR_UNIX, "", "", "/run/sock64.sock",
	    "unix:/run/sock64.sock" },
	{ "unix:relative/x", ADDR_UNIX, "", "", "relative/x",
	    "unix:relative/x" },
	{ "unix::8000", ADDR_UNIX, "", "", ":8000", "unix::8000" },
};

static const char *const bads[] = {
	"", ":", "127.0.0.1:", "127.0.0.1", "host:65536", "host:-1",
	"host:80x", "host:+80", "::1:8000", "[::1]", "[::1]8000", "[]:80",
	"[::1:80", "unix:", "99999", "http",
	("unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
};

static void
test_parse(void)
{
	struct addr	 a;
	const char	*errstr;
	char		 buf[256];
	size_t		 i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		CHECK(addr_parse(g->in, &a, &errstr) == 0, "'%s': %s", g->in,
		    errstr != NULL ? errstr : "");
		CHECK(a.kind == g->kind && strcmp(a.host, g->host) == 0 &&
		    strcmp(a.port, g->port) == 0 &&
		    strcmp(a.path, g->path) == 0,
		    "'%s' gave host '%s' port '%s' path '%s'", g->in, a.host,
		    a.port, a.path);
		addr_describe(&a, buf, sizeof(buf));
		CHECK(strcmp(buf, g->canonical) == 0, "'%s' described as '%s'",
		    g->in, buf);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		errstr = NULL;
		CHECK(addr_parse(bads[i], &a, &errstr) == -1 && errstr != NULL,
		    "'%s' was accepted", bads[i]);
	}
}

static void
test_format(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr_un	 sun;
	char			 buf[256];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8000);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	addr_format((struct sockaddr *)&sin, sizeof(sin), buf, sizeof(buf));
	CHECK(strcmp(buf, "127.0.0.1:8000") == 0, "ipv4: %s", buf);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	addr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf));
	CHECK(strcmp(buf, "[::1]:443") == 0, "ipv6: %s", buf);

	/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d. */
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr);
	addr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf));
	CHECK(strcmp(buf, "192.0.2.7:443") == 0, "v4-mapped: %s", buf);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	addr_format((struct sockaddr *)&sun, sizeof(sa_family_t), buf,
	    sizeof(buf));
	CHECK(strcmp(buf, "unix") == 0, "unnamed unix: %s", buf);
	memcpy(sun.sun_path, "/tmp/s", sizeof("/tmp/s"));
	addr_format((struct sockaddr *)&sun, sizeof(sun), buf, sizeof(buf));
	CHECK(strcmp(buf, "unix:/tmp/s") == 0, "unix: %s", buf);
	memcpy(sun.sun_path, "\0abs", sizeof("\0abs"));
	addr_format((struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 4), buf,
	    sizeof(buf));
	CHECK(strcmp(buf, "unix:@abs") == 0, "abstract unix: %s", buf);
}

/*
 * IPv4 names are written without printf: the same text as inet_ntop(3)
 * and snprintf(3) give, edges and truncation included, plain and mapped.
 */
static void
test_format_v4(void)
{
	static const unsigned char	 edges[][4] = {
		{ 0, 0, 0, 0 }, { 255, 255, 255, 255 }, { 9, 10, 99, 100 },
		{ 199, 200, 1, 249 },
	};
	static const unsigned		 ports[] = { 0, 9, 10, 99, 100, 999,
	    1000, 9999, 10000, 65535 };
	struct sockaddr_in		 sin;
	struct sockaddr_in6		 sin6;
	char				 want[64], host[INET_ADDRSTRLEN];
	char				 got[64], got6[64];
	size_t				 i, size, bad = 0;

	srand(64);
	for (i = 0; i < 20000; i++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (i < 40) {
			memcpy(&sin.sin_addr, edges[i % 4], 4);
			sin.sin_port = htons((unsigned short)ports[i / 4]);
		} else {
			sin.sin_addr.s_addr = (in_addr_t)rand();
			sin.sin_port = (in_port_t)rand();
		}
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = sin.sin_port;
		sin6.sin6_addr.s6_addr[10] = sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);
		/* The edges whole; the rest in 0-24 bytes, cut and whole. */
		size = i < 40 ? sizeof(got) : i % 25;
		inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host));
		memset(want, 'x', sizeof(want));
		memset(got, 'x', sizeof(got));
		memset(got6, 'x', sizeof(got6));
		snprintf(want, size, "%s:%u", host, ntohs(sin.sin_port));
		addr_format((struct sockaddr *)&sin, sizeof(sin), got, size);
		addr_format((struct sockaddr *)&sin6, sizeof(sin6), got6,
		    size);
		if (memcmp(want, got, sizeof(want)) != 0 ||
		    memcmp(want, got6, sizeof(want)) != 0) {
			if (bad++ == 0)
				CHECK(0, "v4 %s:%u in %zu bytes: \"%.*s\"",
				    host, ntohs(sin.sin_port), size,
				    (int)size, got);
		}
	}
	CHECK(bad == 0, "%zu of 20000 IPv4 names differ", bad);
}

/* An IPv4 client counts once, through a dual-stack listener or not. */
static void
test_source(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6, other6;
	struct addr_source	 a, b, c;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1000);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(2000);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr);
	other6 = sin6;
	inet_pton(AF_INET6, "2001:db8::7", &other6.sin6_addr);

	CHECK(addr_source((struct sockaddr *)&sin, sizeof(sin), &a) == 0 &&
	    addr_source((struct sockaddr *)&sin6, sizeof(sin6), &b) == 0 &&
	    addr_source((struct sockaddr *)&other6, sizeof(other6), &c) == 0,
	    "sources");
	CHECK(addr_same_source(&a, &b), "v4 and v4-mapped are one source");
	CHECK(!addr_same_source(&a, &c) && c.family == AF_INET6,
	    "a real IPv6 address is another source");
	sin.sin_port = htons(3000);
	addr_source((struct sockaddr *)&sin, sizeof(sin), &c);
	CHECK(addr_same_source(&a, &c), "the port does not matter");
	sin.sin_family = AF_UNIX;
	CHECK(addr_source((struct sockaddr *)&sin, sizeof(sin), &c) == -1,
	    "unix is not keyed by address");
}

int
main(void)
{
	test_parse();
	test_format();
	test_format_v4();
	test_source();
	return check_exit("addr_test");
}
