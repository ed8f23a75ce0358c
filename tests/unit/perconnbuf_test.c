/*
 * Unit tests for the queues and encodings of a program per connection:
 * a queue grows to its limit and no further, frames and lines are
 * decoded in place whatever the pieces they arrive in, and each
 * encoding writes what the other side expects.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "check.h"
#include "perconnbuf.h"

static void
test_buf_limit(void)
{
	struct perconn_buf	 b;
	char			 big[100];

	perconn_buf_init(&b, 20000);
	memset(big, 'x', sizeof(big));
	CHECK(perconn_buf_add(&b, big, sizeof(big)) == 0, "add");
	CHECK(b.len == 100 && b.cap >= 100, "len %zu cap %zu", b.len, b.cap);
	perconn_buf_take(&b, 60);
	CHECK(b.len == 40 && b.off == 60, "take: len %zu off %zu", b.len,
	    b.off);
	CHECK(perconn_buf_room(&b, 19960) == 0, "room up to the limit");
	CHECK(b.off == 0 && b.cap == 20000, "moved to the front, cap %zu",
	    b.cap);
	errno = 0;
	CHECK(perconn_buf_room(&b, 19961) == -1 && errno == EOVERFLOW,
	    "past the limit: EOVERFLOW");
	perconn_buf_take(&b, 40);
	CHECK(b.len == 0 && b.off == 0, "empty again starts at 0");
	perconn_buf_free(&b);
}

/* Feeds in one byte at a time: a frame is whole only at its last byte. */
static void
test_frames_bytewise(void)
{
	struct perconn_buf	 in, out;
	struct perconn_dec	 d;
	const unsigned char	*data;
	size_t			 len, i, wire;
	int			 whole = 0;

	perconn_buf_init(&in, 1 << 20);
	perconn_buf_init(&out, 1 << 20);
	perconn_dec_init(&d, EXEC_IO_FRAMES, 100);
	CHECK(perconn_encode(&out, EXEC_IO_FRAMES, "a\0b", 3) == 0, "enc");
	CHECK(perconn_encode(&out, EXEC_IO_FRAMES, "", 0) == 0, "enc empty");
	wire = out.len;
	CHECK(wire == 64 + 3 + 64, "wire %zu", wire);
	for (i = 0; i < wire; i++) {
		(void)perconn_buf_add(&in, out.data + i, 1);
		if (perconn_dec_next(&d, &in, &data, &len) != PERCONN_WHOLE)
			continue;
		whole++;
		if (whole == 1)
			CHECK(i == 66 && len == 3 && memcmp(data, "a\0b", 3) ==
			    0, "first at byte %zu, len %zu", i, len);
		else
			CHECK(i == wire - 1 && len == 0, "second at %zu", i);
		perconn_dec_done(&d, &in);
		CHECK(perconn_dec_boundary(&d), "at a boundary after one");
	}
	CHECK(whole == 2, "%d whole frames", whole);
	CHECK(in.len == 0, "all consumed: %zu left", in.len);
	perconn_buf_free(&in);
	perconn_buf_free(&out);
}

static void
test_frames_errors(void)
{
	struct perconn_buf	 in;
	struct perconn_dec	 d;
	const unsigned char	*data;
	size_t			 len;
	char			 hdr[65];

	perconn_buf_init(&in, 1 << 20);
	perconn_dec_init(&d, EXEC_IO_FRAMES, 100);
	(void)perconn_buf_add(&in, "12x", 3);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_MALFORMED,
	    "malformed");
	CHECK(d.dec.pos == 3 && d.dec.bad == 'x', "pos %u bad %02x",
	    d.dec.pos, d.dec.bad);
	perconn_buf_free(&in);

	perconn_buf_init(&in, 1 << 20);
	perconn_dec_init(&d, EXEC_IO_FRAMES, 100);
	snprintf(hdr, sizeof(hdr), "%-64d", 101);
	(void)perconn_buf_add(&in, hdr, 64);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_TOO_LONG,
	    "over the limit");
	CHECK(d.dec.length == 101, "length %zu", d.dec.length);
	perconn_buf_free(&in);
}

static void
test_lines(void)
{
	struct perconn_buf	 in, out;
	struct perconn_dec	 d;
	const unsigned char	*data;
	size_t			 len;

	perconn_buf_init(&out, 1 << 20);
	CHECK(perconn_encode(&out, EXEC_IO_LINES, "ab", 2) == 0 &&
	    perconn_encode(&out, EXEC_IO_LINES, "", 0) == 0, "enc");
	CHECK(out.len == 4 && memcmp(out.data, "ab\n\n", 4) == 0,
	    "payload and newline");
	perconn_buf_free(&out);

	perconn_buf_init(&in, 1 << 20);
	perconn_dec_init(&d, EXEC_IO_LINES, 5);
	(void)perconn_buf_add(&in, "hello", 5);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_MORE,
	    "no newline yet");
	(void)perconn_buf_add(&in, "\n\nabc", 5);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_WHOLE &&
	    len == 5 && memcmp(data, "hello", 5) == 0, "a line");
	perconn_dec_done(&d, &in);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_WHOLE &&
	    len == 0, "an empty line");
	perconn_dec_done(&d, &in);
	CHECK(in.len == 3, "the rest waits: %zu", in.len);
	(void)perconn_buf_add(&in, "def", 3);
	CHECK(perconn_dec_next(&d, &in, &data, &len) == PERCONN_TOO_LONG,
	    "6 bytes and no newline is over 5");
	perconn_buf_free(&in);
}

int
main(void)
{
	test_buf_limit();
	test_frames_bytewise();
	test_frames_errors();
	test_lines();
	return check_exit("perconnbuf_test");
}
