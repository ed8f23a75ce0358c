/*
 * libFuzzer target for the connection loop.  The input is one client's
 * whole byte stream (after a first byte that picks the size limit).  It
 * is served by conn_serve() with the echo handler from a pipe into a
 * temporary file, and the result is checked against a plain reading of
 * sock64(7): each acceptable frame before the first bad or incomplete
 * one is answered, in order, with the canonical frame of its payload;
 * nothing else is written; the loop ends cleanly only when the input
 * ended at a frame boundary.  Leaks are the sanitizer's to find.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "echo.h"
#include "frame.h"
#include "log.h"

#define FUZZ_MAX_INPUT	60000	/* below a pipe's capacity: one write */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const size_t	 limits[] = { 0, 13, 100, 70000 };
static unsigned char	 expect[2 * FUZZ_MAX_INPUT];
static unsigned char	 got[2 * FUZZ_MAX_INPUT + 1];

/*
 * The expected reply stream for echo; sets *clean when the input ends
 * exactly after its last acceptable frame.
 */
static size_t
expected(const uint8_t *p, size_t n, size_t limit, int *clean)
{
	size_t	 off = 0, out = 0, i, len;
	char	 hdr[FRAME_HEADER_LEN];

	for (;;) {
		*clean = off == n;
		if (n - off < FRAME_HEADER_LEN)
			return out;
		i = 0;
		while (i < FRAME_HEADER_LEN && p[off + i] == ' ')
			i++;
		len = 0;
		if (i == FRAME_HEADER_LEN || p[off + i] < '0' || p[off + i] > '9')
			return out;
		for (; i < FRAME_HEADER_LEN && p[off + i] >= '0' &&
		    p[off + i] <= '9'; i++)
			if (len <= limit)
				len = len * 10 + (size_t)(p[off + i] - '0');
		while (i < FRAME_HEADER_LEN && p[off + i] == ' ')
			i++;
		if (i != FRAME_HEADER_LEN || len > limit ||
		    n - off - FRAME_HEADER_LEN < len) {
			*clean = 0;
			return out;
		}
		frame_encode_header(hdr, len);
		memcpy(expect + out, hdr, FRAME_HEADER_LEN);
		memcpy(expect + out + FRAME_HEADER_LEN,
		    p + off + FRAME_HEADER_LEN, len);
		out += FRAME_HEADER_LEN + len;
		off += FRAME_HEADER_LEN + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE		*out;
	struct conn_opts	 o;
	enum conn_result	 r;
	size_t			 want, have;
	int			 in[2], clean;

	if (size < 1 || size - 1 > FUZZ_MAX_INPUT)
		return 0;
	if (out == NULL) {
		signal(SIGPIPE, SIG_IGN);
		/* The loop's warnings are expected here, not news. */
		log_init("conn_fuzz", LOG_LEVEL_NONE, LOG_TO_STDERR);
		if ((out = tmpfile()) == NULL)
			abort();
	}
	memset(&o, 0, sizeof(o));
	o.max_message = limits[data[0] % 4];
	o.peer = "fuzz";
	o.handler = &echo_handler;
	data++;
	size--;

	if (pipe(in) == -1 || write(in[1], data, size) != (ssize_t)size)
		abort();
	close(in[1]);
	if (ftruncate(fileno(out), 0) == -1 ||
	    lseek(fileno(out), 0, SEEK_SET) == -1)
		abort();
	r = conn_serve(in[0], fileno(out), &o);
	close(in[0]);

	want = expected(data, size, o.max_message, &clean);
	have = (size_t)pread(fileno(out), got, sizeof(got), 0);
	if (have != want || memcmp(got, expect, want) != 0)
		abort();
	if ((r == CONN_CLOSED) != clean)
		abort();
	return 0;
}
