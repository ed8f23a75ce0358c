/*
 * sock64: blocking I/O with EINTR, short writes and optional deadlines
 * handled.  Deadlines are util_now_ms() values; 0 means none.  Reads
 * also end (ECANCELED) once the process's stop pipe has been written.
 */
#ifndef SOCK64_IO_H
#define SOCK64_IO_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

ssize_t	io_read(int, void *, size_t, int64_t);
int	io_read_full(int, void *, size_t, int64_t, size_t *);
int	io_writev_all(int, struct iovec *, int, int64_t, int);
int	io_wait(int, short, int64_t);
void	io_linger(int, int, int, size_t);
void	io_finish(int, int, int64_t);
int	io_stop_pipe(void);
int	io_stop_fd_get(void);

#endif /* SOCK64_IO_H */
