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
#include <string.h>

#include "usage.h"

static void	usage_bad_long(const char *, const struct option *)
		    __attribute__((noreturn));
static int	usage_long_error(const char *, const struct option *);

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
 * for a bad option: ':' for a missing value, else an unknown option, an
 * ambiguous abbreviation or a value given to an option that takes none.
 * word is the argument it was found in, argv[optind - 1]; longopts is
 * the table getopt_long(3) was given.
 */
void
usage_bad_option(int ch, const char *word, const struct option *longopts)
{
	if (ch == ':')
		usage_error("option '%s' needs a value", word);
	if (usage_long_error(word, longopts))
		usage_bad_long(word + 2, longopts);
	if (optopt != 0)
		usage_error("unknown option '-%c'", optopt);
	usage_error("unknown option '%s'", word);
}

/*
 * Whether the error was about the long option in word.  For a short
 * option getopt_long(3) may not have moved past its word yet (in "-xq"
 * it stops at 'x'), so word can be an earlier, good long option: only
 * a zero optopt, or the value of an option taking none, is about word.
 */
static int
usage_long_error(const char *word, const struct option *longopts)
{
	const struct option	*o;
	size_t			 len;

	if (strncmp(word, "--", 2) != 0 || word[2] == '\0')
		return 0;
	if (optopt == 0)
		return 1;
	if (strchr(word, '=') == NULL)
		return 0;
	len = strcspn(word + 2, "=");
	for (o = longopts; o->name != NULL; o++)
		if (strncmp(o->name, word + 2, len) == 0 &&
		    o->has_arg == no_argument && o->val == optopt)
			return 1;
	return 0;
}

/* The error for "--name[=value]": ambiguous, takes no value, unknown. */
static void
usage_bad_long(const char *arg, const struct option *longopts)
{
	const struct option	*o, *match = NULL;
	size_t			 len;
	int			 n = 0;

	len = strcspn(arg, "=");
	for (o = longopts; o->name != NULL; o++) {
		if (strncmp(o->name, arg, len) != 0)
			continue;
		if (o->name[len] == '\0') {
			match = o;
			n = 1;
			break;
		}
		if (match == NULL || match->val != o->val)
			n++;
		if (match == NULL)
			match = o;
	}
	if (n > 1) {
		fprintf(stderr, "%s: option '--%.*s' is ambiguous; it could "
		    "be", usage_program, (int)len, arg);
		for (o = longopts; o->name != NULL; o++)
			if (strncmp(o->name, arg, len) == 0)
				fprintf(stderr, " '--%s'", o->name);
		fprintf(stderr, " (see %s --help)\n", usage_program);
		exit(2);
	}
	if (n == 1 && arg[len] == '=' && match->has_arg == no_argument)
		usage_error("option '--%s' takes no value", match->name);
	usage_error("unknown option '--%.*s'", (int)len, arg);
}
