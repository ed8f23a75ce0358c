/*
 * libFuzzer target for the frame header decoder.  The first input byte
 * picks the limit, the second the piece size; the rest is fed to the
 * decoder whole and in pieces, and both verdicts are checked against a
 * plain reference reading of sock64(7)'s grammar.  Any disagreement,
 * or a decoder that eats past the header, aborts.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const size_t	 limits[] = { 0, 13, 1024 * 1024, SIZE_MAX };

/* The grammar read directly: SP* DIGIT+ SP*, then the value's size. */
static enum frame_status
reference(const uint8_t *h, size_t limit, size_t *length)
{
	size_t	 i = 0, start, end, value = 0;

	while (i < FRAME_HEADER_LEN && h[i] == ' ')
		i++;
	start = i;
	while (i < FRAME_HEADER_LEN && h[i] >= '0' && h[i] <= '9')
		i++;
	end = i;
	while (i < FRAME_HEADER_LEN && h[i] == ' ')
		i++;
	if (start == end || i != FRAME_HEADER_LEN)
		return FRAME_MALFORMED;
	while (start < end - 1 && h[start] == '0')
		start++;
	if (end - start > 20)
		return FRAME_TOO_LONG;
	for (i = start; i < end; i++) {
		size_t	 d = (size_t)(h[i] - '0');

		if (value > (SIZE_MAX - d) / 10)
			return FRAME_TOO_LONG;
		value = value * 10 + d;
	}
	*length = value;
	return value > limit ? FRAME_TOO_LONG : FRAME_OK;
}

static enum frame_status
decode(const uint8_t *p, size_t n, size_t piece, size_t limit,
    size_t *length, size_t *consumed)
{
	struct frame_decoder	 d;
	enum frame_status	 st = FRAME_NEED_MORE;
	size_t			 off = 0, len, used;

	frame_decoder_init(&d, limit);
	while (off < n && st == FRAME_NEED_MORE) {
		len = n - off < piece ? n - off : piece;
		st = frame_decode_header(&d, p + off, len, &used);
		if (used > len || (st == FRAME_NEED_MORE && used != len))
			abort();
		off += used;
	}
	*length = d.length;
	*consumed = off;
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum frame_status	 whole, pieces, want;
	size_t			 limit, piece, len1, len2, used1, used2;
	size_t			 reflen = 0;

	if (size < 2)
		return 0;
	limit = limits[data[0] % 4];
	piece = (size_t)(data[1] % 64) + 1;
	data += 2;
	size -= 2;

	whole = decode(data, size, size > 0 ? size : 1, limit, &len1, &used1);
	pieces = decode(data, size, piece, limit, &len2, &used2);
	if (whole != pieces || used1 != used2 || used1 > FRAME_HEADER_LEN)
		abort();
	if (whole == FRAME_OK && len1 != len2)
		abort();
	if (size < FRAME_HEADER_LEN) {
		/* Incomplete: only a malformed prefix may end it early. */
		if (whole != FRAME_NEED_MORE && whole != FRAME_MALFORMED)
			abort();
		return 0;
	}
	want = reference(data, limit, &reflen);
	if (whole != want)
		abort();
	if (want == FRAME_OK && (len1 != reflen || used1 != FRAME_HEADER_LEN))
		abort();
	return 0;
}
