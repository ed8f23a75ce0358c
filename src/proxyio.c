/*
 * sock64: the PROXY header of one connection, read before the frame
 * loop starts.  Input is read in chunks and fed to the pure decoder;
 * whatever arrived after the header is kept for the frame loop, so no
 * client byte is lost and none is read twice.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "io.h"
#include "log.h"
#include "proxyio.h"
#include "util.h"

/*
 * Whether the peer at sa (a unix-socket peer when is_unix) must send a
 * PROXY header: --proxy-protocol is on, and --proxy-from is not given
 * or lists it.  Any other peer's bytes are frames, so a header from it
 * is a malformed frame: it cannot choose the address it is logged as.
 */
int
proxy_trusted(const struct proxy_opts *po, const struct sockaddr *sa,
    socklen_t len, int is_unix)
{
	struct addr_source	 src;
	size_t			 i;

	if (po->accept == 0)
		return 0;
	if (po->nfrom == 0)
		return 1;
	memset(&src, 0, sizeof(src));
	if (is_unix)
		src.family = AF_UNIX;
	else if (addr_source(sa, len, &src) == -1)
		return 0;
	for (i = 0; i < po->nfrom; i++)
		if (cidr_match(&po->from[i], &src))
			return 1;
	return 0;
}

/*
 * Reads the header from fd (accepting the versions in accept) by the
 * deadline (0: none).  Returns 1 with *pc filled, 0 when the peer
 * closed before its first byte or we are stopping (once *stop is set,
 * as conn and exec are told; at debug level: a
 * balancer's health check does just that), -1 for a malformed,
 * truncated or late header (logged as a warning).
 */
int
proxy_read(int fd, int accept, const char *peer, int64_t deadline,
    const volatile sig_atomic_t *stop, struct proxy_conn *pc)
{
	struct proxy_decoder	 d;
	enum proxy_status	 st = PROXY_NEED_MORE;
	ssize_t			 n = 0;
	size_t			 used = 0;

	memset(pc, 0, sizeof(*pc));
	proxy_decoder_init(&d, accept);
	while (st == PROXY_NEED_MORE) {
		n = io_read(fd, pc->rest, sizeof(pc->rest), deadline);
		if (n <= 0)
			break;
		st = proxy_decode(&d, pc->rest, (size_t)n, &used, &pc->hdr);
	}
	if (st == PROXY_OK) {
		pc->nrest = (size_t)n - used;
		memmove(pc->rest, pc->rest + used, pc->nrest);
		/* A unix client has no address to go by: the balancer's stands. */
		pc->proxied = !pc->hdr.local && pc->hdr.src.ss_family != AF_UNIX;
		if (pc->proxied)
			addr_format((struct sockaddr *)&pc->hdr.src,
			    pc->hdr.srclen, pc->name, sizeof(pc->name));
		else
			util_strlcpy(pc->name, peer, sizeof(pc->name));
		return 1;
	}
	if (st == PROXY_MALFORMED && d.version == 0)
		log_warnx("%s: missing PROXY header (first byte 0x%02x)", peer,
		    pc->rest[0]);
	else if (st == PROXY_MALFORMED)
		log_warnx("%s: malformed PROXY header (%s)", peer, d.why);
	else if ((stop != NULL && *stop) || (n == 0 && d.pos == 0)) {
		log_debug("%s: closed before a PROXY header", peer);
		return 0;
	} else if (n == 0)
		log_warnx("%s: truncated PROXY header (end of input after %zu "
		    "bytes)", peer, d.pos);
	else if (errno == ETIMEDOUT)
		log_warnx("%s: PROXY header timeout", peer);
	else
		log_warn("%s: read", peer);
	return -1;
}
