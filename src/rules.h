/*
 * sock64: --allow, --deny and --rules: which peers may connect.  The
 * most specific block that holds a peer decides; on a tie, deny wins.
 * A peer in no block is refused when any allow rule exists, and served
 * otherwise.  Pure code: no I/O but reading a rules file.
 */
#ifndef SOCK64_RULES_H
#define SOCK64_RULES_H

#include <stddef.h>

#include "addr.h"
#include "cidr.h"

struct rule {
	struct cidr		 block;	/* AF_UNIX: "unix", or "uid:N" */
	int			 deny;
	unsigned int		 line;	/* in the rules file; 0: argv */
};

/* Rules of one address family and prefix length, in rule[]. */
struct rules_group {
	int			 family;
	unsigned int		 bits;
	size_t			 first, n;
};

/* All zero is an empty set, which serves everyone. */
struct rules {
	struct rule		*rule;
	size_t			 n, cap;
	size_t			 nallow;
	struct rules_group	*group;		/* by rules_finish() */
	size_t			 ngroups;
};

int	rules_add(struct rules *, int, const char *, unsigned int,
	    const char **);
int	rules_add_all(struct rules *, const struct rules *);
int	rules_load(struct rules *, const char *, unsigned int *,
	    const char **);
int	rules_finish(struct rules *);
const struct rule *rules_match(const struct rules *,
	    const struct addr_source *);
int	rules_refuse(const struct rules *, const struct addr_source *,
	    const struct rule **);
void	rules_format(const struct rule *, char *, size_t);
void	rules_free(struct rules *);

#endif /* SOCK64_RULES_H */
