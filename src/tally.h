/*
 * sock64: what connections did, counted.  Each connection ends with a
 * summary (how long, how many requests and bytes, why it ended) that
 * its process logs as one line of key=value pairs and, under the accept
 * loop, writes once to the parent, which adds it to the server's
 * counts.  The parent's counts go to SIGUSR1's log line, systemd's
 * STATUS= and the --metrics-file.
 */
#ifndef SOCK64_TALLY_H
#define SOCK64_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "refusal.h"

/* Why a connection ended; tally_end_name() gives its word in logs. */
enum tally_end {
	TALLY_EOF,		/* the client closed at a frame boundary */
	TALLY_TERMINATED,	/* SIGTERM: finished what was in flight */
	TALLY_MALFORMED,	/* a malformed header or PROXY header */
	TALLY_OVERSIZE,		/* a length over --max-message */
	TALLY_TRUNCATED,	/* end of input inside a frame */
	TALLY_FRAME_TIMEOUT,
	TALLY_IDLE_TIMEOUT,
	TALLY_WRITE_TIMEOUT,
	TALLY_PEER_GONE,	/* closed before its replies were written */
	TALLY_IO_ERROR,
	TALLY_HANDLER_FAILED,
	TALLY_REFUSED_RULE,	/* the client a PROXY header named */
	TALLY_REFUSED_RATE,
	TALLY_REFUSED_SOURCE,
	TALLY_ERROR,		/* set-up failed in the server */
	TALLY_ENDS
};

/* How a handler's run failed. */
enum tally_failure {
	TALLY_FAIL_NONE,
	TALLY_FAIL_EXIT,	/* non-zero exit status */
	TALLY_FAIL_SIGNAL,	/* killed by a signal */
	TALLY_FAIL_TIMEOUT,	/* --handler-timeout */
	TALLY_FAIL_OVERSIZE,	/* a reply over --max-reply */
	TALLY_FAIL_START,	/* could not be started */
	TALLY_FAIL_OTHER,
	TALLY_FAILURES
};

/*
 * One connection's summary: also the record a child writes its parent,
 * which logs the line (its log never waits, a child's would).
 */
struct tally_conn {
	int64_t			 pid;		/* the child's */
	char			 peer[ADDR_NAME_MAX];
	int64_t			 duration_ms;
	uint64_t		 requests;	/* answered */
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint32_t		 handler_runs;
	uint8_t			 end;		/* enum tally_end */
	uint8_t			 failure;	/* enum tally_failure */
	uint8_t			 logged;	/* no line: it is said */
};

/* Accepting paused, by reason. */
enum tally_pause {
	TALLY_PAUSE_RESOURCES,	/* EMFILE, ENFILE, ENOMEM, a failed fork */
	TALLY_PAUSE_CAP,	/* -c */
	TALLY_PAUSE_RATE,	/* --max-rate */
	TALLY_PAUSES
};

/* Where the server is, as the counts are reported. */
enum tally_phase {
	TALLY_RUNNING,
	TALLY_STARTING,		/* the first report, listeners ready */
	TALLY_STOPPING,		/* SIGTERM: children finishing */
	TALLY_STOPPED		/* every child reaped */
};

/* The server's counts since the start, kept by the parent. */
struct tally {
	int64_t			 started_ms;	/* wall clock, ms */
	size_t			 active;	/* connections now */
	uint64_t		 accepted;	/* by accept(2) */
	uint64_t		 served;	/* given a child */
	uint64_t		 refused[REFUSAL_REASONS];
	uint64_t		 ends[TALLY_ENDS];
	uint64_t		 requests;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 duration_ms;	/* of ended connections */
	uint64_t		 handler_runs;
	uint64_t		 failures[TALLY_FAILURES];
	uint64_t		 pauses[TALLY_PAUSES];
	uint64_t		 killed;	/* SIGKILL at shutdown */
	uint64_t		 crashed;	/* children killed by a signal */
	enum tally_phase	 phase;
};

const char	*tally_end_name(enum tally_end);
const char	*tally_failure_name(enum tally_failure);
const char	*tally_pause_name(enum tally_pause);
void		 tally_log_conn(const struct tally_conn *, const char *,
		    const char *);
int		 tally_send(int, const struct tally_conn *);
void		 tally_add(struct tally *, const struct tally_conn *);
void		 tally_log(const struct tally *);

#endif /* SOCK64_TALLY_H */
