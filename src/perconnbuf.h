/*
 * sock64: the byte queues of a program per connection, and the two
 * encodings between them: client frames into the program's requests
 * (frames or lines), the program's replies back into client frames.
 * No I/O: the caller reads and writes.
 */
#ifndef SOCK64_PERCONNBUF_H
#define SOCK64_PERCONNBUF_H

#include <stddef.h>

#include "exec.h"
#include "frame.h"

/* Bytes [off, off + len) of data[cap]. */
struct perconn_buf {
	unsigned char	*data;
	size_t		 off;
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* cap never grows past it */
};

/* One direction's decoder: where in the current message it is. */
struct perconn_dec {
	struct frame_decoder	 dec;
	int			 in_payload;	/* frames: header done */
	enum exec_io		 io;
};

enum perconn_msg {
	PERCONN_MORE,		/* no whole message yet */
	PERCONN_WHOLE,		/* *data, *len: one message */
	PERCONN_MALFORMED,	/* a frame header that is not one */
	PERCONN_TOO_LONG	/* over the limit */
};

void	perconn_buf_init(struct perconn_buf *, size_t);
void	perconn_buf_free(struct perconn_buf *);
int	perconn_buf_room(struct perconn_buf *, size_t);
int	perconn_buf_add(struct perconn_buf *, const void *, size_t);
void	perconn_buf_take(struct perconn_buf *, size_t);

void	perconn_dec_init(struct perconn_dec *, enum exec_io, size_t);
enum perconn_msg perconn_dec_next(struct perconn_dec *,
	    struct perconn_buf *, const unsigned char **, size_t *);
void	perconn_dec_done(struct perconn_dec *, struct perconn_buf *);
int	perconn_dec_boundary(const struct perconn_dec *);
int	perconn_encode(struct perconn_buf *, enum exec_io, const void *,
	    size_t);

#endif /* SOCK64_PERCONNBUF_H */
