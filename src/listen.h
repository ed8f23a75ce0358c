/*
 * sock64: listening sockets: open, adopt from systemd, port, close.
 */
#ifndef SOCK64_LISTEN_H
#define SOCK64_LISTEN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "addr.h"

struct listener {
	int		 fd;
	int		 is_unix;
	/* TCP_NODELAY set before listen(2): Linux copies it to clients. */
	int		 nodelay;
	char		 name[ADDR_NAME_MAX];	/* as bound, for logs */
	char		 path[ADDR_PATH_MAX];	/* unix: ours to unlink */
};

/*
 * The socket files of unix listeners we create: their mode (-1: what the
 * umask leaves) and owner ((uid_t)-1, (gid_t)-1: ours).
 */
struct listen_perm {
	int		 mode;
	uid_t		 uid;
	gid_t		 gid;
};

int	listen_open(const struct addr *, const struct listen_perm *, int,
	    struct listener *, const char **);
int	listen_adopt(int, struct listener *);
int	listen_port(const struct listener *);
void	listen_close(struct listener *);
void	listen_client_name(const struct listener *,
	    const struct sockaddr_storage *, socklen_t, char *, size_t);

#endif /* SOCK64_LISTEN_H */
