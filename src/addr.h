/*
 * sock64: the address forms of --listen and --connect, and how socket
 * addresses are written in log lines.
 */
#ifndef SOCK64_ADDR_H
#define SOCK64_ADDR_H

#include <sys/socket.h>
#include <sys/un.h>

#define ADDR_HOST_MAX	256
#define ADDR_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path))
#define ADDR_NAME_MAX	(ADDR_PATH_MAX + 8)

enum addr_kind {
	ADDR_TCP,
	ADDR_UNIX
};

struct addr {
	enum addr_kind	 kind;
	char		 host[ADDR_HOST_MAX];	/* "" for every address */
	char		 port[8];
	char		 path[ADDR_PATH_MAX];
	int		 bracketed;		/* host was "[v6]" */
	int		 reuseport;		/* listen with SO_REUSEPORT */
};

/* Who a connection comes from, for the rules and the limits. */
struct addr_source {
	int		 family;	/* AF_INET, AF_INET6 or AF_UNIX */
	unsigned char	 bytes[16];	/* the address; for unix, the uid */
};

int	addr_parse(const char *, struct addr *, const char **);
int	addr_source(const struct sockaddr *, socklen_t,
	    struct addr_source *);
const unsigned char *addr_unmap(int *, const unsigned char *);
int	addr_same_source(const struct addr_source *,
	    const struct addr_source *);
void	addr_source_name(const struct addr_source *, unsigned int, char *,
	    size_t);
void	addr_format(const struct sockaddr *, socklen_t, char *, size_t);
void	addr_describe(const struct addr *, char *, size_t);

#endif /* SOCK64_ADDR_H */
