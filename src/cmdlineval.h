/*
 * sock64: the values of sock64d's options (cmdlineval.c), for the
 * option switch of cmdline.c.  Each returns the value or exits 2.
 */
#ifndef SOCK64_CMDLINEVAL_H
#define SOCK64_CMDLINEVAL_H

#include <stddef.h>

struct config;

long long	cmdline_count(const char *, const char *, long long,
		    long long);
size_t		cmdline_size(const char *, const char *);
int		cmdline_seconds(const char *, const char *);
void		cmdline_listen(struct config *, const char *);
int		cmdline_proxy_protocol(const char *);
void		cmdline_proxy_from(struct config *, const char *);
void		cmdline_rule(struct config *, int, const char *);
void		cmdline_rate(const char *, const char *, size_t *, int *);
void		cmdline_source_prefix(struct config *, const char *);
int		cmdline_socket_mode(const char *);
void		cmdline_env(char **, size_t *, char *, int);

#endif /* SOCK64_CMDLINEVAL_H */
