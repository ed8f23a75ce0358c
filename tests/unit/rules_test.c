/*
 * Unit tests for the address rules: precedence (most specific wins, deny
 * on a tie, allow-lists refuse the rest), IPv4-mapped blocks, unix
 * users, rules files and their errors, and the binary search checked
 * against a plain scan over random rules.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cidr.h"
#include "rules.h"

static struct addr_source
ip(const char *s)
{
	struct addr_source	 src;

	memset(&src, 0, sizeof(src));
	if (inet_pton(AF_INET, s, src.bytes) == 1)
		src.family = AF_INET;
	else if (inet_pton(AF_INET6, s, src.bytes) == 1)
		src.family = AF_INET6;
	return src;
}

static struct addr_source
uid(long long u)
{
	struct addr_source	 src;

	memset(&src, 0, sizeof(src));
	src.family = AF_UNIX;
	memcpy(src.bytes, &u, sizeof(u));
	return src;
}

/* A set from "allow X" / "deny X" words, NULL-terminated. */
static void
build(struct rules *r, const char *const *words)
{
	const char	*why;

	memset(r, 0, sizeof(*r));
	for (; *words != NULL; words += 2)
		CHECK(rules_add(r, strcmp(words[0], "deny") == 0, words[1], 0,
		    &why) == 0, "%s %s: %s", words[0], words[1], why);
	CHECK(rules_finish(r) == 0, "finish");
}

static int
refused(const struct rules *r, struct addr_source src)
{
	const struct rule	*by;

	return rules_refuse(r, &src, &by);
}

static void
test_precedence(void)
{
	static const char *const none[] = { NULL };
	static const char *const deny_only[] = { "deny", "10.0.0.0/8", NULL };
	static const char *const nested[] = {
		"allow", "10.0.0.0/8", "deny", "10.1.0.0/16",
		"allow", "10.1.2.3", NULL
	};
	static const char *const tie[] = {
		"allow", "10.0.0.0/8", "deny", "10.0.0.0/8", NULL
	};
	struct rules	 r;

	build(&r, none);
	CHECK(!refused(&r, ip("192.0.2.1")), "an empty set serves everyone");
	rules_free(&r);

	build(&r, deny_only);
	CHECK(refused(&r, ip("10.9.9.9")), "deny refuses its block");
	CHECK(!refused(&r, ip("11.0.0.1")), "deny only: the rest is served");
	CHECK(!refused(&r, ip("::1")), "deny only: IPv6 is served");
	CHECK(!refused(&r, uid(0)), "deny only: unix peers are served");
	rules_free(&r);

	build(&r, nested);
	CHECK(!refused(&r, ip("10.1.2.3")), "the /32 allow is most specific");
	CHECK(refused(&r, ip("10.1.2.4")), "the /16 deny beats the /8 allow");
	CHECK(!refused(&r, ip("10.2.0.1")), "the /8 allow");
	CHECK(refused(&r, ip("11.0.0.1")), "allow given: the rest refused");
	CHECK(refused(&r, ip("2001:db8::1")), "allow given: IPv6 refused");
	rules_free(&r);

	build(&r, tie);
	CHECK(refused(&r, ip("10.0.0.1")), "deny wins a tie");
	rules_free(&r);
}

static void
test_families(void)
{
	static const char *const mapped[] = {
		"deny", "::ffff:192.0.2.0/120", "allow", "0.0.0.0/0",
		"allow", "2001:db8::/32", "deny", "2001:db8:1::/48", NULL
	};
	static const char *const users[] = {
		"deny", "unix", "allow", "uid:1000", "allow", "127.0.0.1", NULL
	};
	static const char *const hostbits[] = { "deny", "10.1.2.3/8", NULL };
	struct rules		 r;
	const struct rule	*by;
	struct addr_source	 src;
	char			 buf[128];

	build(&r, mapped);
	CHECK(refused(&r, ip("192.0.2.77")), "a mapped block is IPv4");
	CHECK(!refused(&r, ip("192.0.3.1")), "0.0.0.0/0 allows IPv4");
	CHECK(!refused(&r, ip("2001:db8:2::1")), "IPv6 /32 allow");
	CHECK(refused(&r, ip("2001:db8:1::1")), "IPv6 /48 deny");
	CHECK(refused(&r, ip("2001:db9::1")), "IPv6 outside every block");
	src = ip("192.0.2.77");
	CHECK(rules_refuse(&r, &src, &by) && by != NULL, "a rule decided");
	rules_format(by, buf, sizeof(buf));
	CHECK(strcmp(buf, "deny 192.0.2.0/24") == 0, "formatted: %s", buf);
	rules_free(&r);

	build(&r, users);
	CHECK(!refused(&r, uid(1000)), "uid:1000 beats unix");
	CHECK(refused(&r, uid(1001)), "deny unix");
	CHECK(refused(&r, uid(-1)), "a peer of unknown uid is a unix peer");
	CHECK(!refused(&r, ip("127.0.0.1")), "IP rules for IP peers");
	src = uid(1000);
	CHECK(!rules_refuse(&r, &src, &by) && by != NULL, "uid rule");
	rules_format(by, buf, sizeof(buf));
	CHECK(strcmp(buf, "allow uid:1000") == 0, "formatted: %s", buf);
	rules_free(&r);

	build(&r, hostbits);
	CHECK(refused(&r, ip("10.200.0.1")), "host bits past /8 ignored");
	src = ip("10.200.0.1");
	rules_refuse(&r, &src, &by);
	rules_format(by, buf, sizeof(buf));
	CHECK(strcmp(buf, "deny 10.0.0.0/8") == 0, "formatted: %s", buf);
	rules_free(&r);
}

static void
test_bad_rules(void)
{
	static const char *const bad[] = {
		"localhost", "10.0.0.0/33", "::/129", "uid:", "uid:-1",
		"uid:x", "", "unix/8", NULL
	};
	struct rules	 r;
	const char	*why;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; bad[i] != NULL; i++)
		CHECK(rules_add(&r, 0, bad[i], 0, &why) == -1 && why != NULL,
		    "'%s' taken", bad[i]);
	CHECK(r.n == 0, "a bad rule is not added");
	rules_free(&r);
}

/* Writes text to a temporary file; returns its name (static). */
static const char *
file_with(const char *text)
{
	static char	 path[] = "/tmp/rules_test.XXXXXX";
	int		 fd;

	strcpy(path, "/tmp/rules_test.XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("rules_test: temporary file");
		exit(99);
	}
	close(fd);
	return path;
}

static void
test_files(void)
{
	struct rules	 r;
	const char	*path, *why;
	unsigned int	 line;

	memset(&r, 0, sizeof(r));
	path = file_with("# comment\n\n  allow 10.0.0.0/8   # trailing\n"
	    "deny\t10.1.0.0/16\r\nallow uid:0\n");
	CHECK(rules_load(&r, path, &line, &why) == 0, "line %u: %s", line,
	    why);
	unlink(path);
	CHECK(r.n == 3 && r.nallow == 2, "%zu rules", r.n);
	CHECK(rules_finish(&r) == 0, "finish");
	CHECK(refused(&r, ip("10.1.0.1")) && !refused(&r, ip("10.2.0.1")),
	    "the file's rules apply");
	rules_free(&r);

	path = file_with("allow 10.0.0.0/8\n# ok\nallw 10.1.0.0/16\n");
	CHECK(rules_load(&r, path, &line, &why) == -1 && line == 3 &&
	    why != NULL && strstr(why, "allow") != NULL, "line %u", line);
	unlink(path);
	rules_free(&r);

	path = file_with("deny 10.0.0.0/8 10.1.0.0/16\n");
	CHECK(rules_load(&r, path, &line, &why) == -1 && line == 1 &&
	    why != NULL, "two blocks on a line taken");
	unlink(path);
	rules_free(&r);

	path = file_with("deny\n");
	CHECK(rules_load(&r, path, &line, &why) == -1 && line == 1 &&
	    why != NULL, "no block taken");
	unlink(path);
	rules_free(&r);

	path = file_with("deny 300.0.0.1\n");
	CHECK(rules_load(&r, path, &line, &why) == -1 && line == 1 &&
	    why != NULL, "a bad address taken");
	unlink(path);
	rules_free(&r);

	CHECK(rules_load(&r, "/nonexistent/rules", &line, &why) == -1 &&
	    errno == ENOENT && line == 0 && why == NULL, "a missing file");
	rules_free(&r);
}

/* A plain scan: the longest matching block, deny on a tie. */
static int
scan_refuses(const struct rules *r, const struct addr_source *src)
{
	const struct rule	*best = NULL, *ru;
	size_t			 i;

	for (i = 0; i < r->n; i++) {
		ru = &r->rule[i];
		if (!cidr_match(&ru->block, src))
			continue;
		if (best == NULL || ru->block.bits > best->block.bits ||
		    (ru->block.bits == best->block.bits && ru->deny))
			best = ru;
	}
	return best != NULL ? best->deny : r->nallow > 0;
}

static void
test_random(void)
{
	struct rules		 r;
	struct addr_source	 src;
	const char		*why;
	char			 text[64];
	unsigned char		*b;
	size_t			 i, wrong = 0;

	srand(64);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 2000; i++) {
		b = (unsigned char[4]){ (unsigned char)(10 + rand() % 2),
		    (unsigned char)(rand() % 4), (unsigned char)(rand() % 4),
		    (unsigned char)(rand() % 4) };
		snprintf(text, sizeof(text), "%u.%u.%u.%u/%d", b[0], b[1],
		    b[2], b[3], 8 + rand() % 25);
		CHECK(rules_add(&r, rand() % 2, text, 0, &why) == 0, "%s",
		    text);
	}
	CHECK(rules_finish(&r) == 0, "finish");
	for (i = 0; i < 20000; i++) {
		memset(&src, 0, sizeof(src));
		src.family = AF_INET;
		src.bytes[0] = (unsigned char)(10 + rand() % 3);
		src.bytes[1] = (unsigned char)(rand() % 5);
		src.bytes[2] = (unsigned char)(rand() % 5);
		src.bytes[3] = (unsigned char)(rand() % 5);
		if (refused(&r, src) != scan_refuses(&r, &src))
			wrong++;
	}
	CHECK(wrong == 0, "%zu of 20000 verdicts differ from a plain scan",
	    wrong);
	rules_free(&r);
}

int
main(void)
{
	test_precedence();
	test_families();
	test_bad_rules();
	test_files();
	test_random();
	return check_exit("rules_test");
}
