/*
 * sock64: starting one run of the exec handler's program.  The program
 * gets a process group of its own (so that it can be killed whole),
 * every signal at its default and none blocked, and pipes on its
 * standard input and output (and error, when the server logs it).  This
 * file knows posix_spawn(3) and pipes; when a run ends is exec.c's
 * business.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "exec.h"
#include "execspawn.h"
#include "util.h"

static int	exec_pipe(int *, int);

/*
 * The attributes every run is started with: its own group, every signal
 * at its default (an ignored SIGQUIT or SIGPIPE inherited from whoever
 * started us is not the program's business), nothing blocked.  Returns
 * 0, or an error number as posix_spawnattr_*(3) do.
 */
int
exec_spawn_attr_init(posix_spawnattr_t *attr)
{
	sigset_t	 set;
	int		 e;

	if ((e = posix_spawnattr_init(attr)) != 0)
		return e;
	if ((e = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (e = posix_spawnattr_setpgroup(attr, 0)) == 0) {
		sigemptyset(&set);
		e = posix_spawnattr_setsigmask(attr, &set);
		sigfillset(&set);
		if (e == 0)
			e = posix_spawnattr_setsigdefault(attr, &set);
	}
	if (e != 0)
		posix_spawnattr_destroy(attr);
	return e;
}

/*
 * Starts the program of o with the pipes on 0, 1 (and 2, with
 * o->log_stderr).  Returns 0 with *pid and our ends of the pipes (*err
 * is -1 unless stderr is ours to read; each of ours is non-blocking and
 * close-on-exec), or -1 with errno and nothing left open.
 */
int
exec_spawn(const posix_spawnattr_t *attr, const struct exec_opts *o,
    char *const *envp, pid_t *pid, int *in_fd, int *out_fd, int *err_fd)
{
	posix_spawn_file_actions_t	 fa;
	int				 in[2] = { -1, -1 };
	int				 out[2] = { -1, -1 };
	int				 err[2] = { -1, -1 };
	int				 e = -1;

	if (exec_pipe(in, 1) == -1 || exec_pipe(out, 0) == -1 ||
	    (o->log_stderr && exec_pipe(err, 0) == -1))
		goto out;
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	e = posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	if (e == 0)
		e = posix_spawn_file_actions_adddup2(&fa, out[1],
		    STDOUT_FILENO);
	if (e == 0 && err[1] != -1)
		e = posix_spawn_file_actions_adddup2(&fa, err[1],
		    STDERR_FILENO);
	if (e == 0)
		e = posix_spawn(pid, o->path, &fa, attr, o->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (e == 0) {
		*in_fd = in[1];
		*out_fd = out[0];
		*err_fd = err[0];
		in[1] = out[0] = err[0] = -1;
	}
 out:
	exec_close(&in[0]);
	exec_close(&in[1]);
	exec_close(&out[0]);
	exec_close(&out[1]);
	exec_close(&err[0]);
	exec_close(&err[1]);
	if (e > 0)
		errno = e;
	return e == 0 ? 0 : -1;
}

/*
 * A pipe whose two ends are above 2 (so that the dup2 onto 0, 1 and 2
 * in the program cannot clobber one another) and close-on-exec; our
 * end, fds[ours], is non-blocking.
 */
static int
exec_pipe(int *fds, int ours)
{
	int	 i, fd;

	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fds[i] <= STDERR_FILENO) {
			fd = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
			close(fds[i]);
			fds[i] = fd;
		} else if (util_set_cloexec(fds[i]) == -1)
			break;
		if (fds[i] == -1)
			break;
	}
	if (i == 2 && util_set_nonblock(fds[ours], UTIL_NEW_FD) == 0)
		return 0;
	exec_close(&fds[0]);
	exec_close(&fds[1]);
	return -1;
}

/* Closes *fd if it is open, and marks it closed. */
void
exec_close(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}
