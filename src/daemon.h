/*
 * sock64: sock64d's two ways of starting, from a parsed command line:
 * standalone (listen, then a child per client) and -i (serve fd 0/1).
 */
#ifndef SOCK64_DAEMON_H
#define SOCK64_DAEMON_H

#include "cmdline.h"

int	daemon_standalone(struct config *);
int	daemon_inetd(struct config *);

#endif /* SOCK64_DAEMON_H */
