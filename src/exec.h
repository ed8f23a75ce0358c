/*
 * sock64: the exec handler.  Each request runs a program with the
 * payload on its standard input; what it writes on standard output,
 * if it exits 0, is the reply.
 */
#ifndef SOCK64_EXEC_H
#define SOCK64_EXEC_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>

#include "conn.h"
#include "tally.h"

struct exec_env;

/* How a program per connection takes requests and gives replies. */
enum exec_io {
	EXEC_IO_FRAMES,		/* sock64 frames both ways */
	EXEC_IO_LINES		/* a line each way, newline removed */
};

struct exec_opts {
	const char			*path;		/* from exec_resolve */
	char *const			*argv;		/* argv[0] as given */
	size_t				 max_reply;
	int				 timeout;	/* s; 0: none */
	/* Once *stop is set, how long a run may still take (ms). */
	int				 stop_ms;
	const volatile sig_atomic_t	*stop;
	/* Read the program's stderr and log it (else it inherits fd 2). */
	int				 log_stderr;
	const struct exec_env		*env;		/* NULL: ours */
	/* One run for the whole connection (perconn.c), not per request. */
	int				 per_connection;
	enum exec_io			 io;
	int				 grace;		/* s: to exit */
};

struct exec_handler;

struct exec_handler *exec_handler_new(const struct exec_opts *, int,
	    char *const *, const char *);
void	exec_handler_free(struct exec_handler *);
void	exec_handler_tally(const struct exec_handler *, struct tally_conn *);
int	exec_handler_serve(void *, const struct conn_request *,
	    struct conn_reply *);

/* execsweep.c: what runs leave behind. */
void	exec_subreaper(void);
int	exec_sweep_path(char *, size_t);
void	exec_sweep(const char *, const char *, pid_t);

#endif /* SOCK64_EXEC_H */
