/*
 * sock64: signal handling.  Handlers only set these flags; the flags
 * are the program's only mutable globals.
 */
#ifndef SOCK64_SIG_H
#define SOCK64_SIG_H

#include <signal.h>

extern volatile sig_atomic_t	 sig_got_chld;
extern volatile sig_atomic_t	 sig_got_term;
extern volatile sig_atomic_t	 sig_got_hup;
extern volatile sig_atomic_t	 sig_got_usr1;

int	sig_setup(sigset_t *, sigset_t *);
int	sig_child_setup(const sigset_t *, int, int);
int	sig_chld_pipe(void);

#endif /* SOCK64_SIG_H */
