/*
 * sock64: one connection's state, shared by conn.c (reading and
 * answering requests) and connwrite.c (writing the replies).
 */
#ifndef SOCK64_CONNINT_H
#define SOCK64_CONNINT_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "frame.h"
#include "tally.h"

#define CONN_WBUF_SIZE	(64 * 1024)

struct conn {
	int			 rfd;
	int			 wfd;
	const struct conn_opts	*opts;
	struct frame_decoder	 dec;
	int			 in_payload;	/* header done, payload due */
	int			 refused;	/* input may be left unread */
	unsigned long		 seq;		/* requests answered */
	/* Set while a frame is due: the first one from the start. */
	int64_t			 frame_deadline;
	int64_t			 stop_deadline;	/* once *stop is seen */
	unsigned char		*rbuf;		/* unparsed: [rpos, rend) */
	size_t			 rpos;
	size_t			 rend;
	unsigned char		*big;		/* a payload over rbuf's size */
	size_t			 bigcap;
	unsigned char		*wbuf;		/* replies not yet written */
	size_t			 wlen;
	struct tally_conn	 tally;		/* for opts->tally */
	int			 ended;		/* tally.end is set */
};

void	conn_ended(struct conn *, enum tally_end);
int	conn_queue(struct conn *, const void *, size_t);
int	conn_flush(struct conn *);

#endif /* SOCK64_CONNINT_H */
