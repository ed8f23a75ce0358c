/*
 * TEMPORARY: the accept loop's new names, mapped to the old ones in
 * listen.h until the loop moves out of listen.c.
 */
#ifndef SOCK64_LOOP_H
#define SOCK64_LOOP_H

#include "listen.h"

#define loop_client	listen_peer
#define loop_stats	listen_stats
#define loop_opts	listen_opts
#define loop_run	listen_loop

#endif /* SOCK64_LOOP_H */
