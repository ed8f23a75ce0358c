/*
 * sock64: the default handler, which replies with the request unchanged.
 */
#ifndef SOCK64_ECHO_H
#define SOCK64_ECHO_H

#include "conn.h"

extern const struct conn_handler	 echo_handler;

#endif /* SOCK64_ECHO_H */
