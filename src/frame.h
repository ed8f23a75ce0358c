/*
 * sock64: the wire format.  A frame is a 64-byte ASCII header holding
 * the payload length in decimal, space padded, then the payload.  Pure
 * code: no I/O, no allocation, no globals.
 */
#ifndef SOCK64_FRAME_H
#define SOCK64_FRAME_H

#include <stddef.h>

#define FRAME_HEADER_LEN	64

enum frame_status {
	FRAME_NEED_MORE,	/* all input consumed, header incomplete */
	FRAME_OK,		/* header complete: length is valid */
	FRAME_MALFORMED,	/* not SP* DIGIT+ SP* */
	FRAME_TOO_LONG		/* well formed, but above the limit */
};

/*
 * Incremental header decoder.  Feed it bytes in any split; it consumes
 * header bytes only, so the caller knows where the payload starts.
 */
struct frame_decoder {
	size_t		 limit;		/* largest payload accepted */
	size_t		 length;	/* value so far; the length once OK */
	unsigned int	 pos;		/* header bytes consumed */
	unsigned char	 state;		/* where in SP* DIGIT+ SP* */
	unsigned char	 overflow;	/* value exceeded SIZE_MAX */
	unsigned char	 bad;		/* with FRAME_MALFORMED: that byte */
};

void			 frame_decoder_init(struct frame_decoder *, size_t);
enum frame_status	 frame_decode_header(struct frame_decoder *,
			    const void *, size_t, size_t *);
void			 frame_encode_header(char [FRAME_HEADER_LEN],
			    size_t);
const char		*frame_status_str(enum frame_status);

#endif /* SOCK64_FRAME_H */
