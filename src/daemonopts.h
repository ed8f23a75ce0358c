/*
 * sock64: each module's options from sock64d's command line.
 */
#ifndef SOCK64_DAEMONOPTS_H
#define SOCK64_DAEMONOPTS_H

struct admit_opts;
struct config;
struct conn_opts;
struct exec_env;
struct exec_opts;
struct proxy_opts;

int	daemon_log_level(const struct config *);
void	daemon_conn_opts(const struct config *, struct conn_opts *);
void	daemon_exec_opts(const struct config *, struct exec_opts *,
	    struct exec_env *);
void	daemon_proxy_opts(const struct config *, struct proxy_opts *);
void	daemon_admit_opts(const struct config *, struct admit_opts *);

#endif /* SOCK64_DAEMONOPTS_H */
