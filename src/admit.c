/*
 * sock64: admission before fork.  The parent asks here about each client
 * right after accept(2), or when a child reports the client a PROXY
 * header names: the address rules first (the whole address), then the
 * rate of its source (grouped by --source-prefix).  A refusal is counted
 * by reason and goes to the refusal log, which a flood cannot turn into
 * a flood of lines.  --max-rate never refuses: the loop asks how long to
 * leave the listeners alone, and clients wait in the backlog meanwhile.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "cidr.h"
#include "log.h"
#include "tally.h"
#include "util.h"

/* --max-rate says it holds clients back at most this often. */
#define ADMIT_PACE_LOG_MS	10000

static void	admit_rule_origin(const struct admit *, const struct rule *,
		    char *, size_t);
static unsigned int admit_bits(const struct admit *, int);

/*
 * The rules in force: the command line's, then the rules file's.
 * Returns 0 with *r filled, or -1 with *r empty, and the file's bad
 * line and *why, or with errno, *line 0 and *why NULL.
 */
int
admit_load_rules(const struct admit_opts *o, struct rules *r,
    unsigned int *line, const char **why)
{
	int	 saved;

	memset(r, 0, sizeof(*r));
	*line = 0;
	*why = NULL;
	if ((o->argv_rules != NULL && rules_add_all(r, o->argv_rules) == -1) ||
	    (o->rules_path != NULL && rules_load(r, o->rules_path, line,
	    why) == -1) || rules_finish(r) == -1) {
		saved = errno;
		rules_free(r);
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * Starts with the rules loaded at start-up (taken over; r is left
 * empty).  Returns 0, or -1 with errno.
 */
int
admit_open(struct admit *ad, const struct admit_opts *o, struct rules *r)
{
	memset(ad, 0, sizeof(*ad));
	ad->opts = o;
	ad->rules = *r;
	memset(r, 0, sizeof(*r));
	if (o->source_rate > 0 && bucket_init(&ad->buckets, ADMIT_SOURCES,
	    (int64_t)o->source_rate, (int64_t)o->source_rate_secs * 1000) ==
	    -1) {
		rules_free(&ad->rules);
		return -1;
	}
	return 0;
}

/*
 * SIGHUP: the rules file again.  A file that cannot be read or has a
 * bad line changes nothing: the rules in force stay, and a warning
 * names the line and the reason.
 */
void
admit_reload(struct admit *ad)
{
	const struct admit_opts	*o = ad->opts;
	struct rules		 r;
	const char		*why;
	unsigned int		 line;

	if (o->rules_path == NULL) {
		log_info("SIGHUP ignored: there is no --rules file to reload");
		return;
	}
	if (admit_load_rules(o, &r, &line, &why) == -1) {
		if (why != NULL)
			log_warnx("rules file %s, line %u: %s; the rules in "
			    "force stay", o->rules_path, line, why);
		else
			log_warn("rules file %s (the rules in force stay)",
			    o->rules_path);
		return;
	}
	rules_free(&ad->rules);
	ad->rules = r;
	log_info("rules file %s reloaded: %zu rules in force", o->rules_path,
	    r.n);
}

/* At shutdown: the refusals held back go to the log. */
void
admit_close(struct admit *ad)
{
	refusal_flush(&ad->refused, util_now_ms(), 1);
	rules_free(&ad->rules);
	bucket_free(&ad->buckets);
}

/* Whether the rules or a rate per source need each client's source. */
int
admit_checks_sources(const struct admit *ad)
{
	return ad->rules.n > 0 || ad->opts->source_rate > 0;
}

/*
 * The address rules for the client peer (as log lines name it) on the
 * listener named on, whose whole source is src.  Returns 1 to serve it,
 * 0 when it is refused (logged and counted).
 */
int
admit_rules(struct admit *ad, const struct addr_source *src,
    const char *peer, const char *on)
{
	const struct rule	*by;
	struct addr_source	 key;
	char			 name[ADDR_NAME_MAX], why[REFUSAL_WHY_MAX];
	char			 rule[ADDR_NAME_MAX + 8], origin[256];

	if (ad->rules.n == 0 || !rules_refuse(&ad->rules, src, &by))
		return 1;
	ad->counts.refused[REFUSAL_RULE]++;
	if (by == NULL) {
		/* Summed up by source: a table of fixed size. */
		addr_source_name(src, 0, name, sizeof(name));
		if (refusal_note(&ad->refused, REFUSAL_RULE, src, name,
		    "no allow rule matches", util_now_ms())) {
			log_warnx("%s: refused on %s: no allow rule matches "
			    "it", peer, on);
			admit_summary(peer, on, TALLY_REFUSED_RULE);
		}
		return 0;
	}
	/* Summed up by rule: a denied network is one line. */
	key = by->block.net;
	cidr_format(&by->block, name, sizeof(name));
	admit_rule_origin(ad, by, origin, sizeof(origin));
	rules_format(by, rule, sizeof(rule));
	/* A long rules file path is cut in the summary, not the line. */
	if (snprintf(why, sizeof(why), "rule '%s', %s", rule, origin) >=
	    (int)sizeof(why))
		memcpy(why + sizeof(why) - 4, "...", 4);
	if (refusal_note(&ad->refused, REFUSAL_RULE, &key, name, why,
	    util_now_ms())) {
		log_warnx("%s: refused on %s by the rule '%s' (%s)", peer, on,
		    rule, origin);
		admit_summary(peer, on, TALLY_REFUSED_RULE);
	}
	return 0;
}

/* Where a rule was given: "--deny", or "rules.conf:12". */
static void
admit_rule_origin(const struct admit *ad, const struct rule *ru, char *buf,
    size_t size)
{
	if (ru->line == 0)
		util_strlcpy(buf, ru->deny ? "--deny" : "--allow", size);
	else
		snprintf(buf, size, "%s:%u", ad->opts->rules_path, ru->line);
}

/*
 * Turns a client's whole source into the source it counts as for the
 * limits: its address cut to --source-prefix.  A unix peer's uid stays.
 */
void
admit_group(const struct admit *ad, struct addr_source *src)
{
	if (src->family == AF_INET)
		cidr_mask(src, ad->opts->v4_bits);
	else if (src->family == AF_INET6)
		cidr_mask(src, ad->opts->v6_bits);
}

/* The prefix a source of this family is cut to, for its name. */
static unsigned int
admit_bits(const struct admit *ad, int family)
{
	return family == AF_INET ? ad->opts->v4_bits :
	    family == AF_INET6 ? ad->opts->v6_bits : 0;
}

/*
 * --max-rate-per-source for a client whose source (admit_group) is src.
 * Returns 1 to serve it, 0 when its source is over the rate (logged
 * and counted).
 */
int
admit_rate(struct admit *ad, const struct addr_source *src,
    const char *peer, const char *on)
{
	const struct admit_opts	*o = ad->opts;

	if (o->source_rate == 0)
		return 1;
	if (bucket_take(&ad->buckets, src, util_now_ms()))
		return 1;
	if (admit_refused(ad, REFUSAL_RATE, src, "--max-rate-per-source")) {
		log_warnx("%s: refused on %s: over %zu connections in %d s "
		    "from this %s (--max-rate-per-source)", peer, on,
		    o->source_rate, o->source_rate_secs,
		    admit_source_kind(ad, src));
		admit_summary(peer, on, TALLY_REFUSED_RATE);
	}
	return 0;
}

/*
 * The summary line of a connection refused at accept, for the refusals
 * logged one by one: a connection of no requests, no time.
 */
void
admit_summary(const char *peer, const char *on, enum tally_end why)
{
	struct tally_conn	 tc;

	memset(&tc, 0, sizeof(tc));
	tc.end = (uint8_t)why;
	tally_log_conn(&tc, peer, on);
}

/* What a source is, for log lines: "address", "network" or "user". */
const char *
admit_source_kind(const struct admit *ad, const struct addr_source *src)
{
	if (src->family == AF_UNIX)
		return "user";
	if (admit_bits(ad, src->family) < (src->family == AF_INET ? 32U :
	    128U))
		return "network";
	return "address";
}

/*
 * A client of source src (admit_group) was refused for reason: counted,
 * and noted in the refusal log, why in brackets in its summary lines.
 * Returns 1 when the caller is to log this refusal now, the first of
 * its source in the interval (refusal_note()).
 */
int
admit_refused(struct admit *ad, enum refusal_reason reason,
    const struct addr_source *src, const char *why)
{
	char	 name[ADDR_NAME_MAX];

	ad->counts.refused[reason]++;
	addr_source_name(src, admit_bits(ad, src->family), name, sizeof(name));
	return refusal_note(&ad->refused, reason, src, name, why,
	    util_now_ms());
}

/*
 * --max-rate: the ms to leave the listeners alone before the next
 * accept, 0 to go on.  Clients wait in the backlog meanwhile.
 */
int
admit_pace(struct admit *ad)
{
	const struct admit_opts	*o = ad->opts;
	int64_t			 now, period, wait;

	if (o->rate == 0)
		return 0;
	now = util_now_ms();
	period = (int64_t)o->rate_secs * 1000;
	if (ad->window == 0 || now - ad->window >= period) {
		ad->window = now;
		ad->in_window = 0;
	}
	if (ad->in_window < o->rate)
		return 0;
	wait = ad->window + period - now;
	ad->counts.paced++;
	if (ad->paced_logged == 0 ||
	    now - ad->paced_logged >= ADMIT_PACE_LOG_MS) {
		ad->paced_logged = now;
		log_info("%zu connections in %d s (--max-rate): accepting "
		    "again in %lld ms; clients wait meanwhile", o->rate,
		    o->rate_secs, (long long)wait);
	}
	return wait > 0 ? (int)wait : 1;
}

/* --max-rate: a client was accepted. */
void
admit_accepted(struct admit *ad)
{
	ad->in_window++;
}

/* The ms until refusals held back are due in the log, or -1 for none. */
int
admit_due(struct admit *ad)
{
	if (ad->refused.active == 0)
		return -1;
	return refusal_flush(&ad->refused, util_now_ms(), 0);
}
