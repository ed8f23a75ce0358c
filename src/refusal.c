/*
 * sock64: the log lines of refused connections.  A source that keeps
 * connecting once refused (a slowloris over --max-per-source, a client
 * looping on errors, a flood from a denied network) would write one
 * line per attempt, thousands a second: enough to fill the log and,
 * with a slow reader, to stall the parent.  So the first refusal of a
 * key (a source, or the rule that refused it) in an interval is logged
 * when it happens, by the caller, and the ones that follow are counted
 * and summed up in one line per key per interval.  The table has a
 * fixed size, so memory stays bounded however many keys there are; keys
 * it has no room for share one line per reason.  The clock is the
 * caller's.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "refusal.h"
#include "util.h"

static struct refusal_slot	*refusal_find(struct refusal_log *,
				    enum refusal_reason,
				    const struct addr_source *, const char *);
static void	refusal_expire(struct refusal_log *, struct refusal_slot *,
		    int64_t, int);

/*
 * A connection was refused for reason; key (named name in the log) is
 * what the refusals are summed up by, and why goes in brackets after
 * the sum: "(--max-per-source)".  Returns 1 when the caller is to log
 * this refusal now, the first of its key in the interval; 0 when it is
 * counted for the summary line.
 */
int
refusal_note(struct refusal_log *rl, enum refusal_reason reason,
    const struct addr_source *key, const char *name, const char *why,
    int64_t now)
{
	struct refusal_slot	*s;

	if ((s = refusal_find(rl, reason, key, name)) != NULL && s->in_use) {
		s->count++;
		return 0;
	}
	if (s == NULL) {
		/* No room: counted with the others, named in no line. */
		s = &rl->others[reason];
		if (!s->in_use) {
			s->in_use = 1;
			s->since = now;
			util_strlcpy(s->why, why, sizeof(s->why));
			rl->active++;
		}
		s->count++;
		return 0;
	}
	s->in_use = 1;
	s->reason = reason;
	s->key = *key;
	util_strlcpy(s->name, name, sizeof(s->name));
	util_strlcpy(s->why, why, sizeof(s->why));
	s->since = now;
	s->count = 0;
	rl->active++;
	return 1;
}

/* The key's slot, or else a free one, or NULL if the table is full. */
static struct refusal_slot *
refusal_find(struct refusal_log *rl, enum refusal_reason reason,
    const struct addr_source *key, const char *name)
{
	struct refusal_slot	*s, *free_slot = NULL;
	size_t			 i;

	for (i = 0; i < REFUSAL_SLOTS; i++) {
		s = &rl->slot[i];
		if (!s->in_use) {
			if (free_slot == NULL)
				free_slot = s;
		} else if (s->reason == reason &&
		    addr_same_source(&s->key, key) &&
		    strcmp(s->name, name) == 0)
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
	for (i = 0; i < REFUSAL_REASONS; i++)
		refusal_expire(rl, &rl->others[i], now, all);
	if (rl->active == 0)
		return -1;
	for (i = 0; i < REFUSAL_SLOTS; i++)
		if (rl->slot[i].in_use && rl->slot[i].since < next)
			next = rl->slot[i].since;
	for (i = 0; i < REFUSAL_REASONS; i++)
		if (rl->others[i].in_use && rl->others[i].since < next)
			next = rl->others[i].since;
	next += REFUSAL_INTERVAL_MS;
	if (next - now > INT_MAX)
		return INT_MAX;
	return next <= now ? 0 : (int)(next - now);
}

/*
 * Ends a slot's interval once it is over: a count is logged and a new
 * interval begins, so that a key that goes on gets a line per interval;
 * a slot with nothing counted is freed, and that key's next refusal is
 * logged at once again.
 */
static void
refusal_expire(struct refusal_log *rl, struct refusal_slot *s, int64_t now,
    int all)
{
	long long	 secs;
	size_t		 i;
	int		 other = 0;

	if (!s->in_use || (!all && now - s->since < REFUSAL_INTERVAL_MS))
		return;
	for (i = 0; i < REFUSAL_REASONS; i++)
		other |= s == &rl->others[i];
	if (s->count > 0) {
		secs = (now - s->since + 500) / 1000;
		if (secs < 1)
			secs = 1;
		if (other)
			log_warnx("refused %lu connections from other sources "
			    "in the last %lld s (%s; too many sources to name "
			    "each)", s->count, secs, s->why);
		else
			log_warnx("%s: refused %lu more connections in the "
			    "last %lld s (%s)", s->name, s->count, secs,
			    s->why);
	}
	if (s->count > 0 && !all) {
		s->since = now;
		s->count = 0;
		return;
	}
	s->in_use = 0;
	rl->active--;
}
