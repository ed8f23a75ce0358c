/*
 * sock64: one connection served by a program per connection, shared by
 * the loop (perconn.c) and the program's side of it (perconnrun.c).
 */
#ifndef SOCK64_PERCONNRUN_H
#define SOCK64_PERCONNRUN_H

#include <sys/types.h>

#include <spawn.h>
#include <stdint.h>

#include "conn.h"
#include "exec.h"
#include "execerr.h"
#include "perconnbuf.h"
#include "tally.h"

#define PERCONN_CHUNK		65536	/* a queue's high-water mark */
#define PERCONN_INFLIGHT	4096	/* requests given, not answered */
#define PERCONN_PIPE_MAX	(1024 * 1024)	/* Linux's pipe-max-size */

struct perconn_req {
	unsigned long	 seq;
	uint64_t	 end;		/* its last byte's offset in stdin */
	int64_t		 written;	/* when that byte went; 0: not yet */
};

struct perconn {
	const struct exec_opts	*eo;
	const struct conn_opts	*co;
	const char		*peer;
	int			 rfd;
	int			 wfd;
	int			 wblock;	/* wfd blocks: write less */
	struct perconn_buf	 cin;		/* from the client */
	struct perconn_buf	 pin;		/* to the program */
	struct perconn_buf	 pout;		/* from the program */
	struct perconn_buf	 cout;		/* to the client */
	struct perconn_dec	 cdec;
	struct perconn_dec	 pdec;
	/* The program: started with the first request (pid > 0). */
	char			**envp;
	posix_spawnattr_t	 attr;
	char			 kids[64];	/* for exec_sweep */
	pid_t			 pid;
	int			 in;		/* our ends; -1: closed */
	int			 out;
	int			 err;
	int			 chld;		/* SIGCHLD self-pipe */
	int			 exited;
	int			 early;		/* before its stdin's end */
	struct exec_errlog	 errlog;
	/* Requests given to it, oldest first: a ring. */
	struct perconn_req	 reqs[PERCONN_INFLIGHT];
	size_t			 head;
	size_t			 count;
	size_t			 stamped;	/* of those, all written */
	uint64_t		 queued;	/* bytes queued for stdin */
	uint64_t		 written;	/* and written */
	unsigned long		 seq;
	/* How it ends. */
	int			 eof;		/* no more requests to take */
	int			 gone;		/* no more replies to send */
	int			 want_input;	/* a request is incomplete */
	int			 stopping;	/* SIGTERM */
	int			 refused;	/* input may be left unread */
	int			 failed;	/* CONN_FAILED */
	int			 kill;		/* end now, reason logged */
	int64_t			 activity;	/* last byte either way */
	int64_t			 frame_deadline;
	int64_t			 write_since;	/* replies wait since */
	int64_t			 grace_deadline;
	int64_t			 stop_deadline;
	/* For the connection's summary (conn_opts' tally). */
	struct tally_conn	 tally;
	int			 ended;		/* tally.end is set */
};

struct perconn *perconn_new(int, int, const struct conn_opts *,
	    const struct exec_opts *, char *const *);
void	perconn_free(struct perconn *);
int	perconn_start(struct perconn *);
void	perconn_feed(struct perconn *);
void	perconn_drain(struct perconn *, int);
void	perconn_replies(struct perconn *);
void	perconn_reap(struct perconn *);
void	perconn_fault(struct perconn *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	perconn_end(struct perconn *);
void	perconn_ended(struct perconn *, enum tally_end, enum tally_failure);

#endif /* SOCK64_PERCONNRUN_H */
