/*
 * sock64: the wire format, encoder and incremental header decoder.  The
 * decoder accepts exactly SP* DIGIT+ SP* in 64 bytes, leading zeros
 * included, and decides "too long" without ever overflowing: a number
 * too big for size_t is simply above any limit.  It knows nothing of
 * sockets, buffers or logging.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "frame.h"

enum {
	HDR_LEADING,		/* spaces before the first digit */
	HDR_DIGITS,		/* inside the digit group */
	HDR_TRAILING,		/* spaces after it */
	HDR_DONE		/* a result was returned; reinit first */
};

void
frame_decoder_init(struct frame_decoder *d, size_t limit)
{
	memset(d, 0, sizeof(*d));
	d->limit = limit;
	d->state = HDR_LEADING;
}

/*
 * Consumes header bytes from buf[0..len) and stores how many in *used.
 * Stops at the end of the header (FRAME_OK and its verdicts) or at the
 * first byte that makes it malformed (*used counts that byte; d->bad is
 * its value and d->pos its 1-based offset).  A malformed header is
 * reported at once; a length verdict needs all 64 bytes, since a later
 * byte may still make the header malformed.
 */
enum frame_status
frame_decode_header(struct frame_decoder *d, const void *buf, size_t len,
    size_t *used)
{
	const unsigned char	*p = buf;
	size_t			 i, want;
	unsigned int		 digit;

	want = FRAME_HEADER_LEN - d->pos;
	if (len > want)
		len = want;
	for (i = 0; i < len; i++) {
		unsigned char	 c = p[i];

		d->pos++;
		if (c == ' ') {
			if (d->state == HDR_DIGITS)
				d->state = HDR_TRAILING;
			continue;
		}
		if (c < '0' || c > '9' || d->state == HDR_TRAILING) {
			d->bad = c;
			d->state = HDR_DONE;
			*used = i + 1;
			return FRAME_MALFORMED;
		}
		d->state = HDR_DIGITS;
		digit = c - '0';
		if (d->length > (SIZE_MAX - digit) / 10)
			d->overflow = 1;
		else
			d->length = d->length * 10 + digit;
	}
	*used = len;
	if (d->pos < FRAME_HEADER_LEN)
		return FRAME_NEED_MORE;
	if (d->state == HDR_LEADING) {
		/* 64 spaces: no digit at all. */
		d->bad = ' ';
		d->state = HDR_DONE;
		return FRAME_MALFORMED;
	}
	d->state = HDR_DONE;
	if (d->overflow || d->length > d->limit)
		return FRAME_TOO_LONG;
	return FRAME_OK;
}

/* Writes the header for a payload of len bytes: "%-64zu", no NUL. */
void
frame_encode_header(char hdr[FRAME_HEADER_LEN], size_t len)
{
	char	 digits[32];
	size_t	 n = 0, i;

	do {
		digits[n++] = (char)('0' + len % 10);
		len /= 10;
	} while (len > 0);
	for (i = 0; i < n; i++)
		hdr[i] = digits[n - 1 - i];
	memset(hdr + n, ' ', FRAME_HEADER_LEN - n);
}

const char *
frame_status_str(enum frame_status st)
{
	switch (st) {
	case FRAME_NEED_MORE:
		return "truncated frame";
	case FRAME_OK:
		return "ok";
	case FRAME_MALFORMED:
		return "malformed header";
	case FRAME_TOO_LONG:
		return "message too large";
	}
	return "unknown";
}
