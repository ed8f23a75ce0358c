/*
 * sock64: starting one run of the exec handler's program, in a process
 * group of its own, with pipes on its standard streams.
 */
#ifndef SOCK64_EXECSPAWN_H
#define SOCK64_EXECSPAWN_H

#include <sys/types.h>

#include <spawn.h>

struct exec_opts;

int	exec_spawn_attr_init(posix_spawnattr_t *);
int	exec_spawn(const posix_spawnattr_t *, const struct exec_opts *,
	    char *const *, pid_t *, int *, int *, int *);
void	exec_close(int *);

#endif /* SOCK64_EXECSPAWN_H */
