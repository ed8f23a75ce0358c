/*
 * TEMPORARY: the child end of --max-per-source under its new name,
 * mapped to listen_report_source() until it moves out of listen.c.
 */
#ifndef SOCK64_SRCLIMIT_H
#define SOCK64_SRCLIMIT_H

#include <string.h>

#include "addr.h"
#include "listen.h"

static inline int
srclimit_ask(int report_fd, int verdict_fd, const struct addr_source *src,
    const char *name)
{
	struct listen_peer	 peer;

	memset(&peer, 0, sizeof(peer));
	peer.report_fd = report_fd;
	peer.verdict_fd = verdict_fd;
	return listen_report_source(&peer, src, name);
}

#endif /* SOCK64_SRCLIMIT_H */
