/*
 * sock64: an address block (ADDR/BITS, IPv4 or IPv6), or every
 * unix-socket peer, and whether a client lies in it.
 */
#ifndef SOCK64_CIDR_H
#define SOCK64_CIDR_H

#include <stddef.h>

#include "addr.h"

struct cidr {
	struct addr_source	 net;		/* family AF_UNIX: unix peers */
	unsigned int		 bits;
};

int	cidr_parse(const char *, struct cidr *, const char **);
int	cidr_match(const struct cidr *, const struct addr_source *);
void	cidr_mask(struct addr_source *, unsigned int);
void	cidr_format(const struct cidr *, char *, size_t);

#endif /* SOCK64_CIDR_H */
