/*
 * sock64: dropping root for good, after the listeners are bound.
 */
#ifndef SOCK64_PRIV_H
#define SOCK64_PRIV_H

#include <sys/types.h>

struct priv_user {
	char	 name[256];
	uid_t	 uid;
	gid_t	 gid;
};

int	priv_lookup(const char *, struct priv_user *, const char **);
int	priv_drop(const struct priv_user *, const char **);

#endif /* SOCK64_PRIV_H */
