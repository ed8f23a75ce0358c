/*
 * sock64: address rules.  A set is kept sorted by family, then by prefix
 * length, longest first, then by block, with deny before allow for the
 * same block.  A peer is then looked up one prefix length at a time,
 * from the longest: its address cut to that length is searched for with
 * a binary search, so the first block found is the most specific, and a
 * thousand rules cost a few dozen comparisons, not a thousand.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "rules.h"
#include "util.h"

#define RULES_UID_MAX	4294967294LL	/* (uid_t)-1 is no user */

static int	rules_parse(const char *, struct cidr *, const char **);
static int	rules_push(struct rules *, const struct rule *);
static int	rules_line(struct rules *, char *, unsigned int,
		    const char **);
static int	rules_cmp(const void *, const void *);
static const struct rule *rules_search(const struct rules *,
		    const struct rules_group *, const struct addr_source *);

/*
 * Adds the rule "text" (an address block, "unix" or "uid:N"), from the
 * given line of the rules file (0: the command line).  Returns 0, or -1
 * with *why (a bad rule) or with errno and *why NULL.  rules_finish()
 * must follow before the set is used.
 */
int
rules_add(struct rules *r, int deny, const char *text, unsigned int line,
    const char **why)
{
	struct rule	 ru;

	*why = NULL;
	memset(&ru, 0, sizeof(ru));
	ru.deny = deny;
	ru.line = line;
	if (rules_parse(text, &ru.block, why) == -1)
		return -1;
	return rules_push(r, &ru);
}

/* "uid:N" for one unix user, or whatever cidr_parse() takes. */
static int
rules_parse(const char *text, struct cidr *c, const char **why)
{
	const char	*errstr;
	long long	 uid;

	if (strncmp(text, "uid:", 4) != 0) {
		if (cidr_parse(text, c, why) == -1)
			return -1;
		/* Host bits past the length say nothing: 10.1.2.3/8. */
		cidr_mask(&c->net, c->bits);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	uid = parse_num(text + 4, 0, RULES_UID_MAX, &errstr);
	if (errstr != NULL) {
		*why = "not a uid (uid:N, N a number)";
		return -1;
	}
	/* As srclimit keys a unix peer: its uid in the first bytes. */
	c->net.family = AF_UNIX;
	memcpy(c->net.bytes, &uid, sizeof(uid));
	c->bits = 8 * sizeof(uid);
	return 0;
}

static int
rules_push(struct rules *r, const struct rule *ru)
{
	struct rule	*grown;
	size_t		 cap;

	if (r->n == r->cap) {
		cap = r->cap == 0 ? 16 : r->cap * 2;
		if (cap > SIZE_MAX / sizeof(*grown)) {
			errno = ENOMEM;
			return -1;
		}
		if ((grown = realloc(r->rule, cap * sizeof(*grown))) == NULL)
			return -1;
		r->rule = grown;
		r->cap = cap;
	}
	r->rule[r->n++] = *ru;
	if (!ru->deny)
		r->nallow++;
	return 0;
}

/* Adds a copy of every rule of from (the command line's, say). */
int
rules_add_all(struct rules *r, const struct rules *from)
{
	size_t	 i;

	for (i = 0; i < from->n; i++)
		if (rules_push(r, &from->rule[i]) == -1)
			return -1;
	return 0;
}

/*
 * Adds the rules in the file at path: one per line, "allow BLOCK" or
 * "deny BLOCK"; '#' starts a comment; blank lines are skipped.  Returns
 * 0, or -1 with *line and *why for the first bad line, or with errno,
 * *line 0 and *why NULL when the file cannot be read.
 */
int
rules_load(struct rules *r, const char *path, unsigned int *line,
    const char **why)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 size = 0;
	int	 rv = 0, saved;

	*line = 0;
	*why = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (getline(&buf, &size, f) != -1) {
		(*line)++;
		if ((rv = rules_line(r, buf, *line, why)) == -1)
			break;
	}
	if (rv == 0 && ferror(f)) {
		*line = 0;
		rv = -1;
	}
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return rv;
}

/* One line of a rules file, which may be changed. */
static int
rules_line(struct rules *r, char *s, unsigned int line, const char **why)
{
	char	*action, *block, *extra;
	int	 deny;

	s[strcspn(s, "#")] = '\0';
	if ((action = strtok(s, " \t\r\n")) == NULL)
		return 0;
	block = strtok(NULL, " \t\r\n");
	extra = strtok(NULL, " \t\r\n");
	if (strcmp(action, "allow") == 0)
		deny = 0;
	else if (strcmp(action, "deny") == 0)
		deny = 1;
	else {
		*why = "not 'allow BLOCK' or 'deny BLOCK'";
		return -1;
	}
	if (block == NULL) {
		*why = "no address block after the action";
		return -1;
	}
	if (extra != NULL) {
		*why = "more than one address block on the line";
		return -1;
	}
	if (rules_add(r, deny, block, line, why) == -1) {
		if (*why == NULL)
			*why = "out of memory";
		return -1;
	}
	return 0;
}

/*
 * Sorts the set and finds its groups, for rules_match().  Returns 0, or
 * -1 with errno.
 */
int
rules_finish(struct rules *r)
{
	size_t	 i, g;

	free(r->group);
	r->group = NULL;
	r->ngroups = 0;
	if (r->n == 0)
		return 0;
	qsort(r->rule, r->n, sizeof(*r->rule), rules_cmp);
	for (i = 0, g = 1; i + 1 < r->n; i++)
		if (r->rule[i].block.net.family !=
		    r->rule[i + 1].block.net.family ||
		    r->rule[i].block.bits != r->rule[i + 1].block.bits)
			g++;
	if ((r->group = calloc(g, sizeof(*r->group))) == NULL)
		return -1;
	for (i = 0; i < r->n; i++) {
		if (r->ngroups == 0 ||
		    r->group[r->ngroups - 1].family !=
		    r->rule[i].block.net.family ||
		    r->group[r->ngroups - 1].bits != r->rule[i].block.bits) {
			r->group[r->ngroups].family = r->rule[i].block.net.family;
			r->group[r->ngroups].bits = r->rule[i].block.bits;
			r->group[r->ngroups].first = i;
			r->ngroups++;
		}
		r->group[r->ngroups - 1].n++;
	}
	return 0;
}

/* Family; longest prefix first; block; deny before allow. */
static int
rules_cmp(const void *a, const void *b)
{
	const struct rule	*x = a, *y = b;
	int			 c;

	if (x->block.net.family != y->block.net.family)
		return x->block.net.family < y->block.net.family ? -1 : 1;
	if (x->block.bits != y->block.bits)
		return x->block.bits > y->block.bits ? -1 : 1;
	if ((c = memcmp(x->block.net.bytes, y->block.net.bytes,
	    sizeof(x->block.net.bytes))) != 0)
		return c;
	return y->deny - x->deny;
}

/*
 * The most specific rule whose block holds src, deny on a tie, or NULL
 * when none does.
 */
const struct rule *
rules_match(const struct rules *r, const struct addr_source *src)
{
	const struct rule	*ru;
	size_t			 g;

	for (g = 0; g < r->ngroups; g++)
		if (r->group[g].family == src->family &&
		    (ru = rules_search(r, &r->group[g], src)) != NULL)
			return ru;
	return NULL;
}

/* In one group: the first rule for src's block of the group's length. */
static const struct rule *
rules_search(const struct rules *r, const struct rules_group *gr,
    const struct addr_source *src)
{
	struct addr_source	 key = *src;
	size_t			 lo = gr->first, hi = gr->first + gr->n, mid;

	cidr_mask(&key, gr->bits);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(r->rule[mid].block.net.bytes, key.bytes,
		    sizeof(key.bytes)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < gr->first + gr->n && memcmp(r->rule[lo].block.net.bytes,
	    key.bytes, sizeof(key.bytes)) == 0)
		return &r->rule[lo];
	return NULL;
}

/*
 * Whether src is refused: by a deny rule, or by matching no rule when
 * some rule allows.  *by receives the deciding rule, or NULL.
 */
int
rules_refuse(const struct rules *r, const struct addr_source *src,
    const struct rule **by)
{
	*by = rules_match(r, src);
	if (*by != NULL)
		return (*by)->deny;
	return r->nallow > 0;
}

/* "deny 192.0.2.0/24", as a rules file would have it. */
void
rules_format(const struct rule *ru, char *buf, size_t size)
{
	char	 block[ADDR_NAME_MAX];

	cidr_format(&ru->block, block, sizeof(block));
	snprintf(buf, size, "%s %s", ru->deny ? "deny" : "allow", block);
}

void
rules_free(struct rules *r)
{
	free(r->rule);
	free(r->group);
	memset(r, 0, sizeof(*r));
}
