/*
 * sock64: what the exec handler's programs get from us, prepared once:
 * the program's path, descriptors sealed with close-on-exec, and the
 * environment of a connection's programs.
 */
#ifndef SOCK64_EXECENV_H
#define SOCK64_EXECENV_H

#include <stddef.h>

/*
 * What the programs' environment is made of, besides the connection's
 * variables: --clearenv, --passenv NAME and --setenv NAME=VALUE.
 */
struct exec_env {
	int		 clear;		/* only PATH and pass[] of ours */
	char *const	*pass;		/* names */
	size_t		 npass;
	char *const	*set;		/* "NAME=VALUE" */
	size_t		 nset;
};

int	exec_resolve(const char *, char *, size_t);
int	exec_cloexec_fds(void);
char	**exec_environ(const struct exec_env *, char *const *, char *);

#endif /* SOCK64_EXECENV_H */
