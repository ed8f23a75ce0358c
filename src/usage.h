/*
 * sock64: the usage error of both programs: one line on stderr naming
 * the program and pointing at its --help, then exit status 2.
 */
#ifndef SOCK64_USAGE_H
#define SOCK64_USAGE_H

void	usage_set_program(const char *);
void	usage_error(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
struct option;
void	usage_bad_option(int, const char *, const struct option *)
	    __attribute__((noreturn));

#endif /* SOCK64_USAGE_H */
