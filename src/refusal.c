/*
 * sock64: the log lines of --max-per-source refusals.  A source that
 * keeps connecting over its limit (a slowloris, a client looping on
 * errors) would write one line per attempt, thousands a second: enough
 * to fill the log and, with a slow reader, to stall the parent.  So the
 * first refusal of a source is logged when it happens, and the ones that
 * follow are counted and summed up in one line per source per interval.
 * The table has a fixed size, so memory stays bounded however many
 * sources there are; sources it has no room for share one line.  The
 * clock is the caller's.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "refusal.h"

static struct refusal_slot	*refusal_find(struct refusal_log *,
				    const struct addr_source *);
static void	refusal_expire(struct refusal_log *, struct refusal_slot *,
		    int64_t, int);
static void	refusal_name(const struct addr_source *, char *, size_t);

/*
 * A connection from src (peer names it with its port, on the listener)
 * was refused with n connections from src already.  Logged at once if
 * src has not been refused in the current interval, else counted.
 */
void
refusal_note(struct refusal_log *rl, const struct addr_source *src,
    const char *peer, const char *on, size_t n, int64_t now)
{
	struct refusal_slot	*s;

	if ((s = refusal_find(rl, src)) != NULL && s->in_use) {
		s->count++;
		return;
	}
	if (s == NULL) {
		/* No room: counted with the others, named in no line. */
		s = &rl->others;
		if (!s->in_use) {
			s->in_use = 1;
			s->since = now;
			rl->active++;
		}
		s->count++;
		return;
	}
	s->in_use = 1;
	s->source = *src;
	s->since = now;
	s->count = 0;
	rl->active++;
	log_warnx("%s: refused on %s: %zu connections from this %s already "
	    "(--max-per-source)", peer, on, n,
	    src->family == AF_UNIX ? "user" : "address");
}

/* src's slot, or else a free one, or NULL if the table is full. */
static struct refusal_slot *
refusal_find(struct refusal_log *rl, const struct addr_source *src)
{
	struct refusal_slot	*s, *free_slot = NULL;
	size_t			 i;

	for (i = 0; i < REFUSAL_SLOTS; i++) {
		s = &rl->slot[i];
		if (!s->in_use) {
			if (free_slot == NULL)
				free_slot = s;
		} else if (addr_same_source(&s->source, src))
			return s;
	}
	return free_slot;
}

/*
 * Writes the summary of every interval that has ended, or with all of
 * every count still held (at shutdown).  Returns the ms until the next
 * interval ends, or -1 when nothing is held.
 */
int
refusal_flush(struct refusal_log *rl, int64_t now, int all)
{
	int64_t	 next = INT64_MAX;
	size_t	 i;

	for (i = 0; i < REFUSAL_SLOTS; i++)
		refusal_expire(rl, &rl->slot[i], now, all);
	refusal_expire(rl, &rl->others, now, all);
	if (rl->active == 0)
		return -1;
	for (i = 0; i < REFUSAL_SLOTS; i++)
		if (rl->slot[i].in_use && rl->slot[i].since < next)
			next = rl->slot[i].since;
	if (rl->others.in_use && rl->others.since < next)
		next = rl->others.since;
	next += REFUSAL_INTERVAL_MS;
	if (next - now > INT_MAX)
		return INT_MAX;
	return next <= now ? 0 : (int)(next - now);
}

/*
 * Ends a slot's interval once it is over: a count is logged and a new
 * interval begins, so that a source that goes on gets a line per
 * interval; a slot with nothing counted is freed, and that source's next
 * refusal is logged at once again.
 */
static void
refusal_expire(struct refusal_log *rl, struct refusal_slot *s, int64_t now,
    int all)
{
	char		 name[ADDR_NAME_MAX];
	long long	 secs;

	if (!s->in_use || (!all && now - s->since < REFUSAL_INTERVAL_MS))
		return;
	if (s->count > 0) {
		secs = (now - s->since + 500) / 1000;
		if (secs < 1)
			secs = 1;
		if (s == &rl->others)
			log_warnx("refused %lu connections from other sources "
			    "in the last %lld s (--max-per-source; too many "
			    "sources to name each)", s->count, secs);
		else {
			refusal_name(&s->source, name, sizeof(name));
			log_warnx("%s: refused %lu more connections in the "
			    "last %lld s (--max-per-source)", name, s->count,
			    secs);
		}
	}
	if (s->count > 0 && !all) {
		s->since = now;
		s->count = 0;
		return;
	}
	s->in_use = 0;
	rl->active--;
}

/* A source as log lines name it: "192.0.2.1", "2001:db8::1", "uid 1000". */
static void
refusal_name(const struct addr_source *src, char *buf, size_t size)
{
	long long	 uid;

	if (src->family == AF_UNIX) {
		memcpy(&uid, src->bytes, sizeof(uid));
		snprintf(buf, size, "uid %lld", uid);
	} else if ((src->family != AF_INET && src->family != AF_INET6) ||
	    size > (size_t)INT_MAX ||
	    inet_ntop(src->family, src->bytes, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}
