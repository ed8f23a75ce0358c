/*
 * A --per-connection --handler-io=frames program for bench/compare: it
 * echoes each frame back.  It reads what stdin has, answers every whole
 * frame in it, and writes those replies at once: one flush per read,
 * as a careful handler does.  Frames up to 1 MiB.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF	(2 * 1024 * 1024)

int
main(void)
{
	static char	 in[BUF], out[BUF];
	size_t		 have = 0, pos, len, olen, w;
	ssize_t		 n;

	while ((n = read(0, in + have, BUF - have)) > 0) {
		have += (size_t)n;
		for (pos = olen = 0; have - pos >= 64; pos += 64 + len) {
			len = strtoul(in + pos, NULL, 10);
			if (len > BUF / 2 - 64)
				return 1;
			if (have - pos - 64 < len || olen + 64 + len > BUF)
				break;
			memcpy(out + olen, in + pos, 64 + len);
			olen += 64 + len;
		}
		memmove(in, in + pos, have - pos);
		have -= pos;
		for (w = 0; w < olen; w += (size_t)n)
			if ((n = write(1, out + w, olen - w)) <= 0)
				return 1;
	}
	return n == 0 ? 0 : 1;
}
