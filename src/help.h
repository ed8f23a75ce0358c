/*
 * sock64: sock64d --help.
 */
#ifndef SOCK64_HELP_H
#define SOCK64_HELP_H

void	help_print(const char *, int);

#endif /* SOCK64_HELP_H */
