/*
 * sock64: a program's standard error as log lines.  What the program
 * writes there is read without blocking and logged a line at a time,
 * "PEER: PROGRAM: line", at warning level; a line longer than the
 * buffer is logged in pieces, so a program cannot make us hold more.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "execerr.h"
#include "execspawn.h"
#include "log.h"

static void	exec_errlog_lines(struct exec_errlog *, int);

/*
 * Reads what *fd (non-blocking) has now and logs each whole line.  At
 * end of file, *fd is closed and set to -1, and a last line without its
 * newline is logged; so it is with last (the program is gone) when
 * there is nothing more to read.
 */
void
exec_errlog_read(struct exec_errlog *el, int *fd, int last)
{
	ssize_t	 n;

	for (;;) {
		n = read(*fd, el->line + el->len, sizeof(el->line) - 1 -
		    el->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n > 0)
			el->len += (size_t)n;
		exec_errlog_lines(el, n == 0 || (last && n < 0));
		if (n <= 0)
			break;
	}
	if (n == 0)
		exec_close(fd);
}

/*
 * Logs each whole line held; a full buffer counts as a line, and so,
 * with flush, does the rest.
 */
static void
exec_errlog_lines(struct exec_errlog *el, int flush)
{
	char	*nl;
	size_t	 len;

	while (el->len > 0) {
		nl = memchr(el->line, '\n', el->len);
		if (nl != NULL)
			len = (size_t)(nl - el->line);
		else if (flush || el->len == sizeof(el->line) - 1)
			len = el->len;
		else
			break;
		log_warnx("%s: %s: %.*s", el->peer, el->prog, (int)len,
		    el->line);
		if (nl != NULL)
			len++;
		el->len -= len;
		memmove(el->line, el->line + len, el->len);
	}
}
