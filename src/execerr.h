/*
 * sock64: a program's standard error as log lines, when it cannot have
 * the server's (in -i mode, where fd 2 may be the client itself).
 */
#ifndef SOCK64_EXECERR_H
#define SOCK64_EXECERR_H

#include <stddef.h>

#define EXEC_ERRLINE	512		/* a longer line is logged in pieces */

struct exec_errlog {
	const char	*peer;		/* for the log lines */
	const char	*prog;		/* argv[0] as given */
	char		 line[EXEC_ERRLINE];
	size_t		 len;		/* bytes held, not logged yet */
};

void	exec_errlog_read(struct exec_errlog *, int *, int);

#endif /* SOCK64_EXECERR_H */
