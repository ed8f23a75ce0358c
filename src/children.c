/*
 * sock64: the parent's table of live children.  An array of fixed size
 * (the child cap), allocated once: adding and removing a child costs no
 * allocation, and the order of the rest may change on removal.  It knows
 * processes only by their pid; reaping and logging are the loop's.
 */
#include "config.h"

#include <sys/types.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "children.h"

/* Room for max children.  Returns 0, or -1 with errno (ENOMEM). */
int
children_init(struct children *ct, size_t max)
{
	memset(ct, 0, sizeof(*ct));
	if ((ct->child = calloc(max, sizeof(*ct->child))) == NULL)
		return -1;
	ct->max = max;
	return 0;
}

void
children_free(struct children *ct)
{
	free(ct->child);
	memset(ct, 0, sizeof(*ct));
}

/*
 * A new entry for pid, to be filled by the caller (verdict_fd -1, no
 * source).  NULL if the table is full.
 */
struct child *
children_add(struct children *ct, pid_t pid)
{
	struct child	*ch;

	if (ct->n == ct->max)
		return NULL;
	ch = &ct->child[ct->n++];
	memset(ch, 0, sizeof(*ch));
	ch->pid = pid;
	ch->verdict_fd = -1;
	return ch;
}

struct child *
children_find(struct children *ct, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < ct->n; i++)
		if (ct->child[i].pid == pid)
			return &ct->child[i];
	return NULL;
}

/* Forgets ch, which the last entry replaces. */
void
children_remove(struct children *ct, struct child *ch)
{
	*ch = ct->child[--ct->n];
}

/* How many children serve src. */
size_t
children_count_source(const struct children *ct,
    const struct addr_source *src)
{
	size_t	 i, n = 0;

	for (i = 0; i < ct->n; i++)
		if (addr_same_source(src, &ct->child[i].source))
			n++;
	return n;
}

/* Sends signo to every child. */
void
children_signal(const struct children *ct, int signo)
{
	size_t	 i;

	for (i = 0; i < ct->n; i++)
		kill(ct->child[i].pid, signo);
}
