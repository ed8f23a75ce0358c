/*
 * sock64: the echo handler.  The reply borrows the request's bytes, so
 * echo costs no copy beyond what the connection loop does anyway.
 */
#include "config.h"

#include <stddef.h>

#include "echo.h"

static int	echo_serve(void *, const struct conn_request *,
		    struct conn_reply *);

const struct conn_handler echo_handler = { echo_serve, NULL };

static int
echo_serve(void *arg, const struct conn_request *req, struct conn_reply *rep)
{
	(void)arg;
	rep->data = req->data;
	rep->len = req->len;
	return 0;
}
