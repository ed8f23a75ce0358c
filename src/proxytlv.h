/*
 * sock64: the TLVs of a PROXY protocol v2 header that we use, the SSL
 * and AUTHORITY ones a TLS-terminating balancer sends.  Pure code, for
 * proxy.c's decoder.
 */
#ifndef SOCK64_PROXYTLV_H
#define SOCK64_PROXYTLV_H

#include <stddef.h>

#include "proxy.h"

int	proxy_tlvs(const unsigned char *, size_t, struct proxy_tls *);

#endif /* SOCK64_PROXYTLV_H */
