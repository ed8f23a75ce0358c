/*
 * sock64: the two small systemd protocols the daemon speaks, without
 * libsystemd: listening sockets passed in LISTEN_FDS (sd_listen_fds(3))
 * and readiness and status datagrams to NOTIFY_SOCKET (sd_notify(3)).
 */
#ifndef SOCK64_SYSTEMD_H
#define SOCK64_SYSTEMD_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>

#include "listen.h"

struct tally;

/* The first descriptor systemd passes; the rest follow in order. */
#define SYSTEMD_LISTEN_FDS_START	3

struct systemd_notify {
	struct sockaddr_un	 sun;
	socklen_t		 len;		/* 0: no NOTIFY_SOCKET */
	int			 warned;
};

int	systemd_listeners(struct listener *, size_t,
	    void (*)(const char *, ...) __attribute__((format(printf, 1, 2))));
void	systemd_forget(void);
int	systemd_notify_init(struct systemd_notify *,
	    void (*)(const char *, ...) __attribute__((format(printf, 1, 2))));
int	systemd_notify(struct systemd_notify *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	systemd_report(const struct tally *, void *);

#endif /* SOCK64_SYSTEMD_H */
