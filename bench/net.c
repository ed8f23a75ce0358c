/*
 * sock64-bench: addresses, connecting, and moving frames.  Sockets are
 * blocking with send and receive time-outs, so no call can hang the
 * run; exchanges too big for the socket buffers are pumped with poll(2)
 * so that a byte echo, which answers while we still send, cannot
 * deadlock us.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* A single call may block this long at most. */
#define NET_IO_TIMEOUT_S	10
/* Exchanges up to this size are a plain send, then a plain receive. */
#define NET_SMALL		(64 * 1024)

static int	net_poll(int, short, int64_t);
static int	net_pump_step(int, short, const unsigned char *, size_t *,
		    size_t, unsigned char *, size_t *, size_t);
static int	net_check(const struct bench_pipe *, const unsigned char *,
		    size_t, unsigned long long);

/*
 * Parses 127.x.y.z:PORT, [::1]:PORT or unix:PATH.  Anything that is not
 * loopback is refused: this tool never loads a real network.
 */
int
bench_target(const char *s, struct target *t)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&t->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&t->ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&t->ss;
	char			 host[64];
	const char		*colon;
	size_t			 hl;
	long			 port;

	memset(t, 0, sizeof(*t));
	if (strncmp(s, "unix:", 5) == 0) {
		if (strlen(s + 5) >= sizeof(sun->sun_path) || s[5] == '\0')
			return -1;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, s + 5, strlen(s + 5) + 1);
		t->len = sizeof(*sun);
		t->is_unix = 1;
		return 0;
	}
	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	port = bench_num(colon + 1, 1, 65535);
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((in_port_t)port);
		t->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((in_port_t)port);
		t->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* A connected, blocking socket with I/O time-outs; -1 on failure. */
int
bench_connect(const struct target *t, int64_t deadline)
{
	struct timeval	 tv;
	int		 fd, on = 1;

	(void)deadline;
	tv.tv_sec = NET_IO_TIMEOUT_S;
	tv.tv_usec = 0;
	if ((fd = socket(t->ss.ss_family, SOCK_STREAM, 0)) == -1) {
		bench_warn("socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    (!t->is_unix && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on)) == -1) ||
	    connect(fd, (const struct sockaddr *)&t->ss, t->len) == -1) {
		bench_warn("connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends out[0..outlen) and receives exactly inlen bytes into in.  Small
 * exchanges are one send and as many receives as it takes; big ones are
 * pumped both ways at once.  Returns 0, or -1 after a warning.
 */
int
bench_exchange(int fd, const void *out, size_t outlen, void *in,
    size_t inlen, int64_t deadline)
{
	size_t		 woff = 0, roff = 0;
	ssize_t		 n;
	short		 ev;

	if (outlen <= NET_SMALL) {
		while (woff < outlen) {
			n = send(fd, (const char *)out + woff, outlen - woff,
			    MSG_NOSIGNAL);
			if (n == -1 && errno != EINTR)
				goto fail;
			if (n > 0)
				woff += (size_t)n;
		}
		while (roff < inlen) {
			n = recv(fd, (char *)in + roff, inlen - roff, 0);
			if (n == 0) {
				bench_warn("server closed the connection");
				return -1;
			}
			if (n == -1 && errno != EINTR)
				goto fail;
			if (n > 0)
				roff += (size_t)n;
		}
		return 0;
	}
	while (woff < outlen || roff < inlen) {
		ev = POLLIN | (woff < outlen ? POLLOUT : 0);
		if ((ev = (short)net_poll(fd, ev, deadline)) == -1 ||
		    net_pump_step(fd, ev, out, &woff, outlen, in, &roff,
		    inlen) == -1)
			return -1;
	}
	return 0;
 fail:
	bench_warn("exchange: %s", strerror(errno));
	return -1;
}

/* Waits for events until the deadline; returns revents or -1. */
static int
net_poll(int fd, short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	pfd.fd = fd;
	pfd.events = events;
	for (;;) {
		left = (deadline - bench_now_ns()) / 1000000;
		if (left <= 0) {
			bench_warn("timed out waiting for the server");
			return -1;
		}
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (n > 0)
			return pfd.revents;
		if (n == -1 && errno != EINTR) {
			bench_warn("poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* One non-blocking send and/or receive, as poll said they may go. */
static int
net_pump_step(int fd, short ev, const unsigned char *out, size_t *woff,
    size_t outlen, unsigned char *in, size_t *roff, size_t inlen)
{
	ssize_t	 n;

	if ((ev & POLLOUT) && *woff < outlen) {
		n = send(fd, out + *woff, outlen - *woff,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			*woff += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR &&
		    errno != EWOULDBLOCK)
			goto fail;
	}
	if ((ev & (POLLIN | POLLHUP | POLLERR)) && *roff < inlen) {
		n = recv(fd, in + *roff, inlen - *roff, MSG_DONTWAIT);
		if (n == 0) {
			bench_warn("server closed the connection");
			return -1;
		}
		if (n > 0)
			*roff += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != EWOULDBLOCK)
			goto fail;
	} else if ((ev & (POLLHUP | POLLERR)) && *roff >= inlen) {
		bench_warn("connection hung up");
		return -1;
	}
	return 0;
 fail:
	bench_warn("pump: %s", strerror(errno));
	return -1;
}

/*
 * pipe: sends the frame over and over, never more than window frames
 * ahead of the replies, until p->max frames or the deadline; then
 * collects the replies still due.  Every reply byte is checked.
 */
int
bench_pipeline(int fd, struct bench_pipe *p, int64_t deadline)
{
	unsigned char		*out, in[65536];
	unsigned long long	 sent = 0, got = 0, limit;
	size_t			 room, off, fl = p->framelen, w, r;
	short			 ev;
	int			 i;

	if ((out = malloc(fl * (size_t)p->window)) == NULL)
		bench_die("out of memory");
	for (i = 0; i < p->window; i++)
		memcpy(out + (size_t)i * fl, p->frame, fl);
	limit = (unsigned long long)p->max * fl;
	while (got < limit) {
		if (bench_now_ns() >= deadline && limit > (sent + fl - 1) /
		    fl * fl)
			limit = (sent + fl - 1) / fl * fl;	/* finish up */
		if (got >= limit)
			break;
		room = (size_t)(got + fl * (size_t)p->window - sent);
		if (sent + room > limit)
			room = (size_t)(limit - sent);
		off = (size_t)(sent % fl);
		if (room > fl * (size_t)p->window - off)
			room = fl * (size_t)p->window - off;
		ev = POLLIN | (room > 0 ? POLLOUT : 0);
		if ((ev = (short)net_poll(fd, ev, deadline + BENCH_GRACE_NS))
		    == -1)
			goto fail;
		w = 0;
		r = 0;
		if (net_pump_step(fd, ev, out + off, &w, room, in, &r,
		    sizeof(in)) == -1 || net_check(p, in, r, got) == -1)
			goto fail;
		sent += w;
		got += r;
		if (got > sent) {
			bench_warn("more reply bytes than request bytes");
			goto fail;
		}
	}
	p->received = (long)(got / fl);
	free(out);
	return 0;
 fail:
	free(out);
	return -1;
}

/* Reply bytes at stream offset `at` must repeat the request frame. */
static int
net_check(const struct bench_pipe *p, const unsigned char *in, size_t len,
    unsigned long long at)
{
	size_t	 off = (size_t)(at % p->framelen), n;

	while (len > 0) {
		n = p->framelen - off;
		if (n > len)
			n = len;
		if (memcmp(in, p->frame + off, n) != 0) {
			bench_warn("reply differs from the request near "
			    "byte %llu", at);
			return -1;
		}
		in += n;
		len -= n;
		at += n;
		off = 0;
	}
	return 0;
}
