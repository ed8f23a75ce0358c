/*
 * sock64: the program per connection.  The program starts with the
 * connection's first request and serves all of them: requests go to its
 * stdin and replies come from its stdout, as frames or as lines.
 */
#ifndef SOCK64_PERCONN_H
#define SOCK64_PERCONN_H

#include "conn.h"
#include "exec.h"

enum conn_result	 perconn_serve(int, int, const struct conn_opts *,
			    const struct exec_opts *, char *const *);

#endif /* SOCK64_PERCONN_H */
