/*
 * sock64: the command-line client.  Connects, sends each message as one
 * request frame, and prints each reply's payload.  Every failure is one
 * line on stderr and exit status 1; usage errors exit 2.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "frame.h"
#include "io.h"
#include "usage.h"
#include "util.h"

#define DEFAULT_CONNECT		"127.0.0.1:8000"
#define DEFAULT_MAX_REPLY	(64 * 1024 * 1024)
/* sock64d's default --max-message, for the message about a refusal. */
#define SERVER_MAX_MESSAGE	(1024 * 1024)

struct client {
	struct addr	 addr;
	char		 addrname[ADDR_NAME_MAX + ADDR_HOST_MAX];
	int		 fd;
	int		 lines;		/* -l: a request per stdin line */
	int		 newline;	/* print '\n' after each reply */
	int		 timeout;	/* -t seconds; 0: none */
	int64_t		 deadline;
	size_t		 max_reply;
	unsigned char	*reply;
	size_t		 replycap;
};

static const struct option long_options[] = {
	{ "connect",	required_argument,	NULL, 'c' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "lines",	no_argument,		NULL, 'l' },
	{ "max-reply",	required_argument,	NULL, 'm' },
	{ "no-newline",	no_argument,		NULL, 'n' },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

static void	help(void) __attribute__((noreturn));
static void	die(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static void	die_io(const struct client *, const char *)
		    __attribute__((noreturn));
static void	die_unreplied(const struct client *, size_t)
		    __attribute__((noreturn));
static int	parse_options(int, char **, struct client *);
static void	client_address(struct client *, const char *);
static void	client_connect(struct client *);
static int	client_try(struct client *, const struct sockaddr *,
		    socklen_t);
static void	client_exchange(struct client *, const void *, size_t);
static void	client_stdin(struct client *);
static void	client_stdin_lines(struct client *);

int
main(int argc, char *argv[])
{
	struct client	 cl;
	struct sigaction sa;
	int		 i, first, used_stdin = 0;

	first = parse_options(argc, argv, &cl);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (cl.timeout > 0)
		cl.deadline = util_now_ms() + (int64_t)cl.timeout * 1000;
	client_connect(&cl);
	if (first == argc) {
		client_stdin(&cl);
		used_stdin = 1;
	}
	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0 && !used_stdin) {
			client_stdin(&cl);
			used_stdin = 1;
		} else
			client_exchange(&cl, argv[i], strlen(argv[i]));
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		die("write to stdout: %s", strerror(errno));
	close(cl.fd);
	free(cl.reply);
	return 0;
}

static void
help(void)
{
	printf(
"usage: sock64 [-ln] [-c address] [-m size] [-t seconds] [message ...]\n"
"\n"
"Send each MESSAGE to a sock64d server as one request and print each\n"
"reply's payload followed by a newline.  With no MESSAGE, or for a\n"
"MESSAGE of -, requests come from standard input: all of it as one\n"
"request, or one request per line with -l.\n"
"\n"
"  -c, --connect=ADDR     the server: HOST:PORT, [IPV6ADDR]:PORT, :PORT or\n"
"                         PORT (this host), or unix:PATH (default %s)\n"
"  -l, --lines            one request per line of standard input; the\n"
"                         newline is not sent, an empty line is an empty\n"
"                         request\n"
"  -n, --no-newline       print replies without the added newline\n"
"  -t, --timeout=SEC      give up when the whole exchange takes longer\n"
"                         than SEC seconds (default: no limit)\n"
"  -m, --max-reply=SIZE   refuse a reply larger than SIZE bytes, with an\n"
"                         optional k or M suffix (default 64M)\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the version and exit\n"
"\n"
"Exit status: 0 when every request got its reply, 1 on any failure\n"
"(connection refused, server closed the connection, time-out, ...),\n"
"2 on a usage error.\n", DEFAULT_CONNECT);
	exit(0);
}

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("sock64: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Turns an I/O failure during the exchange into its one-line message. */
static void
die_io(const struct client *cl, const char *what)
{
	if (errno == ETIMEDOUT)
		die("timed out after %d s", cl->timeout);
	if (errno == EPIPE || errno == ECONNRESET || errno == 0)
		die("server closed the connection %s", what);
	die("%s: %s", cl->addrname, strerror(errno));
}

/*
 * The server closed before replying to a request of len bytes.  Past
 * the default request limit of sock64d that is the likely reason, and
 * only the server's option can change it: say so.
 */
static void
die_unreplied(const struct client *cl, size_t len)
{
	int	 err = errno;

	if (len > SERVER_MAX_MESSAGE && (err == EPIPE || err == ECONNRESET ||
	    err == 0))
		die("server closed the connection before replying to a "
		    "request of %zu bytes: sock64d takes at most %d unless "
		    "started with a larger --max-message", len,
		    SERVER_MAX_MESSAGE);
	die_io(cl, "before replying");
}

/* Returns the index of the first message argument. */
static int
parse_options(int argc, char **argv, struct client *cl)
{
	const char	*errstr, *connect = DEFAULT_CONNECT;
	int		 ch;

	usage_set_program("sock64");
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->newline = 1;
	cl->max_reply = DEFAULT_MAX_REPLY;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:hlm:nt:V", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			connect = optarg;
			break;
		case 'h':
			help();
		case 'l':
			cl->lines = 1;
			break;
		case 'm':
			if (parse_size(optarg, 0, SIZE_MAX / 2, &cl->max_reply,
			    &errstr) == -1)
				usage_error("max-reply '%s' is %s (bytes, or "
				    "with a k or M suffix)", optarg, errstr);
			break;
		case 'n':
			cl->newline = 0;
			break;
		case 't':
			if (parse_seconds(optarg, 7 * 24 * 3600, &cl->timeout,
			    &errstr) == -1 || cl->timeout == 0)
				usage_error("timeout '%s' is %s (seconds, "
				    "1-604800)", optarg, errstr != NULL ?
				    errstr : "too small");
			break;
		case 'V':
			printf("sock64 %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage_bad_option(ch, argv[optind - 1], long_options);
		}
	}
	client_address(cl, connect);
	return optind;
}

/* --connect: the server's address, and its name for messages. */
static void
client_address(struct client *cl, const char *connect)
{
	const char	*errstr;

	if (addr_parse(connect, &cl->addr, &errstr) == -1)
		usage_error("address '%s': %s", connect, errstr);
	if (cl->addr.kind == ADDR_TCP && strcmp(cl->addr.port, "0") == 0)
		usage_error("address '%s': port 0 cannot be connected to",
		    connect);
	addr_describe(&cl->addr, cl->addrname, sizeof(cl->addrname));
	if (cl->addr.kind == ADDR_TCP && cl->addr.host[0] == '\0')
		snprintf(cl->addrname, sizeof(cl->addrname), "localhost:%s",
		    cl->addr.port);
}

/*
 * Connects to the first address that accepts.  The socket stays non-
 * blocking: every later wait goes through poll(2) with the deadline.
 */
static void
client_connect(struct client *cl)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_un	 sun;
	int			 gai, err = 0;

	if (cl->addr.kind == ADDR_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, cl->addr.path, strlen(cl->addr.path) + 1);
		if (client_try(cl, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return;
		err = errno;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		gai = getaddrinfo(cl->addr.host[0] != '\0' ? cl->addr.host :
		    NULL, cl->addr.port, &hints, &res);
		if (gai != 0)
			die("cannot resolve %s: %s", cl->addr.host,
			    gai == EAI_SYSTEM ? strerror(errno) :
			    gai_strerror(gai));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (client_try(cl, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			/* The first failure says most, unless it timed out. */
			if (err == 0 || errno == ETIMEDOUT)
				err = errno;
		}
		freeaddrinfo(res);
		if (cl->fd != -1)
			return;
	}
	if (err == ECONNREFUSED)
		die("connection refused: %s", cl->addrname);
	if (err == ETIMEDOUT)
		die("timed out after %d s connecting to %s", cl->timeout,
		    cl->addrname);
	die("connect %s: %s", cl->addrname, strerror(err));
}

/* One connect attempt; 0 with cl->fd set, or -1 with errno. */
static int
client_try(struct client *cl, const struct sockaddr *sa, socklen_t len)
{
	socklen_t	 elen = sizeof(int);
	int		 fd, err = 0;

	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (util_set_nonblock(fd, UTIL_KEEP_FLAGS) == -1)
		goto fail;
	if (connect(fd, sa, len) == -1) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		if (io_wait(fd, POLLOUT, cl->deadline) == -1)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	cl->fd = fd;
	return 0;
 fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Sends one request, reads its reply and prints the payload. */
static void
client_exchange(struct client *cl, const void *msg, size_t len)
{
	struct frame_decoder	 dec;
	enum frame_status	 st;
	struct iovec		 iov[2];
	char			 hdr[FRAME_HEADER_LEN];
	unsigned char		*p;
	size_t			 used, got;

	frame_encode_header(hdr, len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)msg;
	iov[1].iov_len = len;
	if (io_writev_all(cl->fd, iov, 2, cl->deadline, 0) == -1)
		die_unreplied(cl, len);

	if (io_read_full(cl->fd, hdr, sizeof(hdr), cl->deadline, &got) == -1) {
		if (got == 0)
			die_unreplied(cl, len);
		die_io(cl, "in the middle of a reply");
	}
	frame_decoder_init(&dec, cl->max_reply);
	st = frame_decode_header(&dec, hdr, sizeof(hdr), &used);
	if (st == FRAME_MALFORMED)
		die("malformed reply header from %s", cl->addrname);
	if (st == FRAME_TOO_LONG)
		die("reply too large (over %zu bytes; see --max-reply)",
		    cl->max_reply);
	if (dec.length > cl->replycap) {
		if ((p = realloc(cl->reply, dec.length)) == NULL)
			die("reply of %zu bytes: %s", dec.length,
			    strerror(errno));
		cl->reply = p;
		cl->replycap = dec.length;
	}
	if (io_read_full(cl->fd, cl->reply, dec.length, cl->deadline,
	    &got) == -1)
		die_io(cl, "in the middle of a reply");
	/*
	 * An empty reply before any other has no buffer: fwrite's pointer
	 * must not be NULL even for no bytes.
	 */
	if ((dec.length > 0 &&
	    fwrite(cl->reply, 1, dec.length, stdout) != dec.length) ||
	    (cl->newline && putchar('\n') == EOF))
		die("write to stdout: %s", strerror(errno));
}

/* Standard input as requests: all of it as one, or a line each. */
static void
client_stdin(struct client *cl)
{
	unsigned char	*buf = NULL, *p;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;

	if (cl->lines) {
		client_stdin_lines(cl);
		return;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((p = realloc(buf, cap)) == NULL)
				die("standard input: %s", strerror(errno));
			buf = p;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("standard input: %s", strerror(errno));
		}
		len += (size_t)n;
	}
	client_exchange(cl, buf, len);
	free(buf);
}

static void
client_stdin_lines(struct client *cl)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		client_exchange(cl, line, (size_t)n);
	}
	if (ferror(stdin))
		die("standard input: %s", strerror(errno));
	free(line);
}
