/*
 * sock64: the byte queues of a program per connection and the two
 * encodings.  A queue grows on demand up to its limit, and moves its
 * bytes to the front before it grows.  A message is decoded in place:
 * the caller copies it on, then drops it with perconn_dec_done().
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "perconnbuf.h"

#define PERCONN_BUF_MIN	16384

void
perconn_buf_init(struct perconn_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
perconn_buf_free(struct perconn_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/*
 * Makes room for need more bytes after the queued ones.  Returns 0, or
 * -1 with errno: EOVERFLOW past the queue's limit, ENOMEM.
 */
int
perconn_buf_room(struct perconn_buf *b, size_t need)
{
	unsigned char	*p;
	size_t		 cap;

	if (b->cap - b->off - b->len >= need)
		return 0;
	if (b->off > 0 && b->len > 0)
		memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
	if (b->cap - b->len >= need)
		return 0;
	if (need > b->max || b->len > b->max - need) {
		errno = EOVERFLOW;
		return -1;
	}
	cap = b->cap < PERCONN_BUF_MIN ? PERCONN_BUF_MIN : b->cap;
	while (cap < b->len + need)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Appends len bytes: 0, or -1 with errno as perconn_buf_room. */
int
perconn_buf_add(struct perconn_buf *b, const void *data, size_t len)
{
	if (perconn_buf_room(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->off + b->len, data, len);
	b->len += len;
	return 0;
}

/* Drops n bytes from the front. */
void
perconn_buf_take(struct perconn_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* limit: the largest message (a frame's payload, a line). */
void
perconn_dec_init(struct perconn_dec *d, enum exec_io io, size_t limit)
{
	memset(d, 0, sizeof(*d));
	d->io = io;
	frame_decoder_init(&d->dec, limit);
}

/*
 * The next whole message at the front of b, if there is one.  A frame's
 * header is consumed as it is decoded; its payload, or a line, stays in
 * b until perconn_dec_done().  With PERCONN_MALFORMED, d->dec says where
 * and which byte; with PERCONN_TOO_LONG, d->dec.length is the length
 * announced (a line: what is held without a newline).
 */
enum perconn_msg
perconn_dec_next(struct perconn_dec *d, struct perconn_buf *b,
    const unsigned char **data, size_t *len)
{
	static const unsigned char	 none[1];
	const unsigned char		*p, *nl;
	size_t				 used;

	/* Not data + 0 on a NULL buffer: an empty payload points here. */
	p = b->len > 0 ? b->data + b->off : none;
	if (d->io == EXEC_IO_LINES) {
		if ((nl = memchr(p, '\n', b->len)) == NULL) {
			d->dec.length = b->len;
			return b->len > d->dec.limit ? PERCONN_TOO_LONG :
			    PERCONN_MORE;
		}
		*data = p;
		*len = (size_t)(nl - p);
		d->dec.length = *len;
		return *len > d->dec.limit ? PERCONN_TOO_LONG : PERCONN_WHOLE;
	}
	if (!d->in_payload) {
		switch (frame_decode_header(&d->dec, p, b->len, &used)) {
		case FRAME_NEED_MORE:
			perconn_buf_take(b, used);
			return PERCONN_MORE;
		case FRAME_MALFORMED:
			return PERCONN_MALFORMED;
		case FRAME_TOO_LONG:
			return PERCONN_TOO_LONG;
		case FRAME_OK:
			break;
		}
		perconn_buf_take(b, used);
		d->in_payload = 1;
		p = b->len > 0 ? b->data + b->off : none;
	}
	if (b->len < d->dec.length)
		return PERCONN_MORE;
	*data = p;
	*len = d->dec.length;
	return PERCONN_WHOLE;
}

/* Drops the message perconn_dec_next() gave, and starts the next. */
void
perconn_dec_done(struct perconn_dec *d, struct perconn_buf *b)
{
	perconn_buf_take(b, d->dec.length + (d->io == EXEC_IO_LINES));
	frame_decoder_init(&d->dec, d->dec.limit);
	d->in_payload = 0;
}

/* Whether no part of a message has been taken (frames) or held. */
int
perconn_dec_boundary(const struct perconn_dec *d)
{
	return !d->in_payload && d->dec.pos == 0;
}

/*
 * Queues one message in an encoding: a frame, or the payload and a
 * newline.  Returns 0, or -1 with errno as perconn_buf_room.
 */
int
perconn_encode(struct perconn_buf *b, enum exec_io io, const void *data,
    size_t len)
{
	char	 hdr[FRAME_HEADER_LEN];

	if (perconn_buf_room(b, len + FRAME_HEADER_LEN) == -1)
		return -1;
	if (io == EXEC_IO_FRAMES) {
		frame_encode_header(hdr, len);
		(void)perconn_buf_add(b, hdr, sizeof(hdr));
	}
	(void)perconn_buf_add(b, data, len);
	if (io == EXEC_IO_LINES)
		(void)perconn_buf_add(b, "\n", 1);
	return 0;
}
