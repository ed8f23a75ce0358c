/*
 * sock64: blocking I/O with EINTR, short writes and optional deadlines
 * handled.  Deadlines are util_now_ms() values; 0 means none.
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
int	io_write_all(int, const void *, size_t, int64_t, int);
int	io_wait(int, short, int64_t);
void	io_linger(int, int, int, size_t);

#endif /* SOCK64_IO_H */
