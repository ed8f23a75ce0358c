/*
 * sock64: what the exec handler's programs get from us, prepared once:
 * the program's path, descriptors sealed with close-on-exec, and the
 * environment of a connection's programs.
 */
#ifndef SOCK64_EXECENV_H
#define SOCK64_EXECENV_H

#include <stddef.h>

int	exec_resolve(const char *, char *, size_t);
int	exec_cloexec_fds(void);
char	**exec_environ(char *const *, char *);

#endif /* SOCK64_EXECENV_H */
