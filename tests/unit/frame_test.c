/*
 * Unit tests for the frame codec: every header form sock64(7) accepts
 * or rejects, fed whole, split at every point and a byte at a time; the
 * decoder's stop at the end of the header; the encoder.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "frame.h"

struct header_case {
	const char		*text;	/* padded with spaces to 64 bytes */
	size_t			 textlen;
	size_t			 limit;
	enum frame_status	 want;
	size_t			 length;	/* with FRAME_OK */
};

#define MIB	((size_t)1024 * 1024)
#define T(s)	s, sizeof(s) - 1

static const struct header_case cases[] = {
	/* Accepted: digits first, right-aligned, leading zeros. */
	{ T("13"), MIB, FRAME_OK, 13 },
	{ T("0"), MIB, FRAME_OK, 0 },
	{ T("                                                              13"),
	    MIB, FRAME_OK, 13 },
	{ T("0013"), MIB, FRAME_OK, 13 },
	{ T("   13   "), MIB, FRAME_OK, 13 },
	{ T("0000000000000000000000000000000000000000000000000000000000000000"),
	    MIB, FRAME_OK, 0 },
	{ T("0000000000000000000000000000000000000000000000000000000001048576"),
	    MIB, FRAME_OK, MIB },
	{ T("1048576"), MIB, FRAME_OK, MIB },
	{ T("18446744073709551615"), SIZE_MAX, FRAME_OK, SIZE_MAX },
	/* Refused on length: above the limit, or above any integer. */
	{ T("1048577"), MIB, FRAME_TOO_LONG, 0 },
	{ T("14"), 13, FRAME_TOO_LONG, 0 },
	{ T("1"), 0, FRAME_TOO_LONG, 0 },
	{ T("18446744073709551616"), SIZE_MAX, FRAME_TOO_LONG, 0 },
	{ T("99999999999999999999999999999999999999"), SIZE_MAX,
	    FRAME_TOO_LONG, 0 },
	{ T("9999999999999999999999999999999999999999999999999999999999999999"),
	    SIZE_MAX, FRAME_TOO_LONG, 0 },
	/* Malformed: anything but SP* DIGIT+ SP*. */
	{ T(""), MIB, FRAME_MALFORMED, 0 },
	{ T("+13"), MIB, FRAME_MALFORMED, 0 },
	{ T("-13"), MIB, FRAME_MALFORMED, 0 },
	{ T("1 3"), MIB, FRAME_MALFORMED, 0 },
	{ T("13 0"), MIB, FRAME_MALFORMED, 0 },
	{ T("\t13"), MIB, FRAME_MALFORMED, 0 },
	{ T("13\t"), MIB, FRAME_MALFORMED, 0 },
	{ T("13\n"), MIB, FRAME_MALFORMED, 0 },
	{ T("13\r\n"), MIB, FRAME_MALFORMED, 0 },
	{ T("13\0"), MIB, FRAME_MALFORMED, 0 },
	{ T("\0" "13"), MIB, FRAME_MALFORMED, 0 },
	{ T("0x10"), MIB, FRAME_MALFORMED, 0 },
	{ T("1e3"), MIB, FRAME_MALFORMED, 0 },
	{ T("13a"), MIB, FRAME_MALFORMED, 0 },
	{ T("1.5"), MIB, FRAME_MALFORMED, 0 },
	{ T("\xd9\xa1"), MIB, FRAME_MALFORMED, 0 },
	{ T("Hello Server!"), MIB, FRAME_MALFORMED, 0 },
	/* A bad byte in the last position still counts. */
	{ T("13                                                             x"),
	    MIB, FRAME_MALFORMED, 0 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void	make_header(const struct header_case *, unsigned char *);
static enum frame_status	feed(const unsigned char *, size_t, size_t,
		    size_t, struct frame_decoder *, size_t *);
static void	test_cases(void);
static void	test_stops_at_header_end(void);
static void	test_malformed_position(void);
static void	test_encoder(void);

static void
make_header(const struct header_case *c, unsigned char *hdr)
{
	memset(hdr, ' ', FRAME_HEADER_LEN);
	memcpy(hdr, c->text, c->textlen);
}

/*
 * Feeds buf[0..len) in pieces of `step` bytes after a first piece of
 * `first` bytes, stopping at the first verdict.  *consumed totals what
 * the decoder used.
 */
static enum frame_status
feed(const unsigned char *buf, size_t len, size_t first, size_t step,
    struct frame_decoder *d, size_t *consumed)
{
	enum frame_status	 st = FRAME_NEED_MORE;
	size_t			 off = 0, n, used;

	*consumed = 0;
	while (off < len) {
		n = off == 0 && first > 0 ? first : step;
		if (n > len - off)
			n = len - off;
		st = frame_decode_header(d, buf + off, n, &used);
		*consumed += used;
		if (st != FRAME_NEED_MORE)
			return st;
		if (used != n)
			return (enum frame_status)-1;
		off += n;
	}
	return st;
}

/* Every case gives the same verdict whole, split anywhere, bytewise. */
static void
test_cases(void)
{
	unsigned char		 hdr[FRAME_HEADER_LEN];
	struct frame_decoder	 d;
	enum frame_status	 st;
	size_t			 i, split, used;

	for (i = 0; i < NCASES; i++) {
		make_header(&cases[i], hdr);
		for (split = 0; split <= FRAME_HEADER_LEN; split++) {
			frame_decoder_init(&d, cases[i].limit);
			st = feed(hdr, sizeof(hdr), split, FRAME_HEADER_LEN, &d,
			    &used);
			CHECK(st == cases[i].want, "case %zu split %zu: %s",
			    i, split, frame_status_str(st));
			if (st == FRAME_OK)
				CHECK(d.length == cases[i].length,
				    "case %zu: length %zu", i, d.length);
		}
		frame_decoder_init(&d, cases[i].limit);
		st = feed(hdr, sizeof(hdr), 0, 1, &d, &used);
		CHECK(st == cases[i].want, "case %zu bytewise: %s", i,
		    frame_status_str(st));
		if (st == FRAME_OK)
			CHECK(d.length == cases[i].length && used == 64,
			    "case %zu bytewise: length %zu used %zu", i,
			    d.length, used);
	}
}

/*
 * A whole frame split at every point, and fed a byte at a time: the
 * decoder takes exactly the 64 header bytes and not one payload byte,
 * and decides "too long" before any payload byte is offered.
 */
static void
test_stops_at_header_end(void)
{
	static const char	 payload[] = "Hello Server!";
	unsigned char		 frame[FRAME_HEADER_LEN + sizeof(payload)];
	struct frame_decoder	 d;
	enum frame_status	 st;
	size_t			 flen, split, step, used;

	frame_encode_header((char *)frame, sizeof(payload) - 1);
	memcpy(frame + FRAME_HEADER_LEN, payload, sizeof(payload) - 1);
	flen = FRAME_HEADER_LEN + sizeof(payload) - 1;
	for (split = 0; split <= flen; split++)
		for (step = 1; step <= flen; step += flen - 1) {
			frame_decoder_init(&d, 13);
			st = feed(frame, flen, split, step, &d, &used);
			CHECK(st == FRAME_OK && used == FRAME_HEADER_LEN &&
			    d.length == 13, "split %zu step %zu: %s used %zu",
			    split, step, frame_status_str(st), used);
			if (st == FRAME_OK)
				CHECK(memcmp(frame + used, payload, 13) == 0,
				    "payload follows the header");
			frame_decoder_init(&d, 12);
			st = feed(frame, flen, split, step, &d, &used);
			CHECK(st == FRAME_TOO_LONG && used == FRAME_HEADER_LEN,
			    "split %zu step %zu: limit 12 gives %s", split,
			    step, frame_status_str(st));
		}
}

/* A malformed header is refused at its first bad byte. */
static void
test_malformed_position(void)
{
	unsigned char		 hdr[FRAME_HEADER_LEN];
	struct frame_decoder	 d;
	size_t			 used;

	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "12 4", 4);
	frame_decoder_init(&d, MIB);
	CHECK(frame_decode_header(&d, hdr, sizeof(hdr), &used) ==
	    FRAME_MALFORMED, "12 4 is malformed");
	CHECK(used == 4 && d.pos == 4 && d.bad == '4',
	    "stopped at byte %zu (pos %u, bad 0x%02x)", used, d.pos, d.bad);
}

static void
test_encoder(void)
{
	static const size_t	 values[] = { 0, 1, 9, 10, 13, 99, 100,
	    1048576, 4294967296ULL, SIZE_MAX };
	char			 hdr[FRAME_HEADER_LEN], want[FRAME_HEADER_LEN + 1];
	struct frame_decoder	 d;
	size_t			 i, used;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		frame_encode_header(hdr, values[i]);
		snprintf(want, sizeof(want), "%-64zu", values[i]);
		CHECK(memcmp(hdr, want, FRAME_HEADER_LEN) == 0,
		    "encode %zu", values[i]);
		frame_decoder_init(&d, SIZE_MAX);
		CHECK(frame_decode_header(&d, hdr, sizeof(hdr), &used) ==
		    FRAME_OK && d.length == values[i], "round trip %zu",
		    values[i]);
	}
}

int
main(void)
{
	test_cases();
	test_stops_at_header_end();
	test_malformed_position();
	test_encoder();
	return check_exit("frame_test");
}
