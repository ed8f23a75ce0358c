/*
 * sock64: listening sockets and the accept loop.  Knows sockets and
 * processes, not the protocol: each accepted client is handed to a
 * function pointer in a forked child.
 */
#ifndef SOCK64_LISTEN_H
#define SOCK64_LISTEN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <signal.h>
#include <stddef.h>

#include "addr.h"

struct listener {
	int		 fd;
	int		 is_unix;
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

struct listen_peer {
	const struct listener	*listener;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 name[ADDR_NAME_MAX];
	/* -1, or the pipes of listen_report_source() (counted later). */
	int			 report_fd;
	int			 verdict_fd;
};

struct listen_stats {
	size_t			 children;	/* connections now */
	unsigned long long	 served;	/* connections since start */
	int			 stopping;
};

struct listen_opts {
	struct listener		*listeners;
	size_t			 nlisteners;
	size_t			 max_children;
	size_t			 max_per_source; /* 0: no limit */
	int			 grace;		/* s: SIGTERM to SIGKILL */
	sigset_t		 wait_mask;	/* while waiting; children */
	/* Runs in the child; its return value is the exit status. */
	int			(*serve)(int, const struct listen_peer *,
				    void *);
	void			*arg;
	/* Optional: the counts, at most once a second and at shutdown. */
	void			(*report)(const struct listen_stats *,
				    void *);
	void			*report_arg;
	/*
	 * Optional: true for a peer whose source is known only once its
	 * child has read it (a PROXY header).  --max-per-source then
	 * counts what the child reports with listen_report_source().
	 */
	int			(*later_source)(const struct sockaddr *,
				    socklen_t, int, void *);
	void			*later_arg;
};

int	listen_open(const struct addr *, const struct listen_perm *, int,
	    struct listener *, const char **);
int	listen_adopt(int, struct listener *);
int	listen_port(const struct listener *);
void	listen_close(struct listener *);
int	listen_loop(const struct listen_opts *);
int	listen_reuseport(int);
int	listen_report_source(const struct listen_peer *,
	    const struct addr_source *, const char *);

#endif /* SOCK64_LISTEN_H */
