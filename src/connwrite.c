/*
 * sock64: the replies of one connection: queued in a buffer of fixed
 * size, written with as few system calls as the client's window allows,
 * under --write-timeout.
 */
#include "config.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "conn.h"
#include "connint.h"
#include "frame.h"
#include "io.h"
#include "log.h"

static int	conn_write(struct conn *, struct iovec *, int);

/*
 * Appends one reply frame to the output buffer, or, when it does not
 * fit, writes what is queued plus this frame in a single writev(2).
 */
int
conn_queue(struct conn *c, const void *data, size_t len)
{
	char		 hdr[FRAME_HEADER_LEN];
	struct iovec	 iov[3];

	if (len <= CONN_WBUF_SIZE - FRAME_HEADER_LEN &&
	    c->wlen + FRAME_HEADER_LEN + len <= CONN_WBUF_SIZE) {
		frame_encode_header((char *)c->wbuf + c->wlen, len);
		if (len > 0)
			memcpy(c->wbuf + c->wlen + FRAME_HEADER_LEN, data, len);
		c->wlen += FRAME_HEADER_LEN + len;
		return 0;
	}
	frame_encode_header(hdr, len);
	iov[0].iov_base = c->wbuf;
	iov[0].iov_len = c->wlen;
	iov[1].iov_base = hdr;
	iov[1].iov_len = sizeof(hdr);
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = len;
	c->wlen = 0;
	return conn_write(c, iov, 3);
}

int
conn_flush(struct conn *c)
{
	struct iovec	 iov;

	if (c->wlen == 0)
		return 0;
	iov.iov_base = c->wbuf;
	iov.iov_len = c->wlen;
	c->wlen = 0;
	return conn_write(c, &iov, 1);
}

/* Writes replies out; a peer that stops reading meets --write-timeout. */
static int
conn_write(struct conn *c, struct iovec *iov, int cnt)
{
	const struct conn_opts	*o = c->opts;
	size_t			 len = 0;
	int			 i;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (io_writev_all(c->wfd, iov, cnt, 0, o->write_timeout * 1000) == 0) {
		c->tally.bytes_out += len;
		return 0;
	}
	if (errno == ETIMEDOUT) {
		conn_ended(c, TALLY_WRITE_TIMEOUT);
		log_warnx("%s: write timeout (no reply byte taken for %d s)",
		    o->peer, o->write_timeout);
	} else if (errno == EPIPE || errno == ECONNRESET) {
		conn_ended(c, TALLY_PEER_GONE);
		log_info("%s: closed by the peer before its replies were "
		    "written", o->peer);
	} else {
		conn_ended(c, TALLY_IO_ERROR);
		log_warn("%s: write", o->peer);
	}
	return -1;
}
