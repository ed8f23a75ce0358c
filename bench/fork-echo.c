/*
 * fork-echo: the reference for sock64d's benchmark.  The least a
 * fork-per-connection server can do: accept, fork, and in the child
 * copy every byte read back to the client until end of file.  No
 * framing, no limits, no time-outs, no logs; children are reaped by the
 * kernel (SIGCHLD ignored).  Since a sock64 echo reply is byte for byte
 * its request, it serves the echo workloads like sock64d does.
 *
 * usage: fork-echo PORT   (listens on 127.0.0.1, prints the port)
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void	echo(int) __attribute__((noreturn));

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd, fd, on = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: fork-echo PORT\n");
		return 2;
	}
	signal(SIGCHLD, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((in_port_t)atoi(argv[1]));
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
	    -1 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1024) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1) {
		perror("fork-echo: listen");
		return 1;
	}
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		switch (fork()) {
		case 0:
			close(lfd);
			echo(fd);
		case -1:
			perror("fork-echo: fork");
			break;
		}
		close(fd);
	}
}

static void
echo(int fd)
{
	char	 buf[65536];
	ssize_t	 n, off, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n == -1 &&
	    errno == EINTR))
		for (off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				_exit(1);
			}
	_exit(0);
}
