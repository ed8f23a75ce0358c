/*
 * sock64: the usage error, worded the same by sock64d and sock64:
 * "PROGRAM: what is wrong (see PROGRAM --help)", exit status 2.  Kept
 * apart from either program's options, so that each links only this.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "usage.h"

/* Who says it: set once, before the options are read. */
static const char	*usage_program = PACKAGE_NAME;

void
usage_set_program(const char *name)
{
	usage_program = name;
}

/* One line saying what is wrong, then exit 2. */
void
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", usage_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", usage_program);
	exit(2);
}

/*
 * What getopt_long(3), with ':' leading the option string, returned
 * for a bad option: ':' for a missing value, else an unknown option.
 * word is the argument it was found in, argv[optind - 1].
 */
void
usage_bad_option(int ch, const char *word)
{
	if (ch == ':')
		usage_error("option '%s' needs a value", word);
	if (optopt != 0)
		usage_error("unknown option '-%c'", optopt);
	usage_error("unknown option '%s'", word);
}
