/*
 * sock64 unit tests: what the tests of the --max-per-source modules
 * share: log lines captured in a file instead of stderr, and a source
 * (struct addr_source) from an address in text.
 */
#ifndef SOCK64_CAPTURE_H
#define SOCK64_CAPTURE_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"

static int	 cap_orig_err = -1;
static int	 cap_fd = -1;

/* Log lines from now on go to a fresh file instead of stderr. */
static inline void
cap_start(void)
{
	char	 path[] = "/tmp/sock64_unit.XXXXXX";

	fflush(stderr);
	if ((cap_orig_err == -1 &&
	    (cap_orig_err = dup(STDERR_FILENO)) == -1) ||
	    (cap_fd = mkstemp(path)) == -1 || unlink(path) == -1 ||
	    dup2(cap_fd, STDERR_FILENO) == -1) {
		perror("capture");
		exit(1);
	}
}

/* What was logged since cap_start(); stderr is itself again. */
static inline const char *
cap_end(void)
{
	static char	 buf[16384];
	ssize_t		 n;

	dup2(cap_orig_err, STDERR_FILENO);
	if (lseek(cap_fd, 0, SEEK_SET) == -1 ||
	    (n = read(cap_fd, buf, sizeof(buf) - 1)) == -1)
		n = 0;
	buf[n] = '\0';
	close(cap_fd);
	return buf;
}

/* The source of an address in text: ip(AF_INET, "192.0.2.1"). */
static inline struct addr_source
ip(int family, const char *text)
{
	struct addr_source	 src;

	memset(&src, 0, sizeof(src));
	src.family = family;
	if (inet_pton(family, text, src.bytes) != 1)
		abort();
	return src;
}

#endif /* SOCK64_CAPTURE_H */
