/*
 * sock64: admission in the parent, before any fork: the address rules
 * (--allow, --deny, --rules, reloaded on SIGHUP), the rate of the whole
 * server (--max-rate, which delays clients and never refuses them), the
 * rate of each source (--max-rate-per-source), sources grouped by
 * prefix (--source-prefix), the refusal log and the counts by reason.
 */
#ifndef SOCK64_ADMIT_H
#define SOCK64_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "bucket.h"
#include "refusal.h"
#include "rules.h"
#include "tally.h"

#define ADMIT_SOURCES	65536	/* sources --max-rate-per-source tracks */

struct admit_opts {
	const struct rules	*argv_rules;	/* --allow, --deny; or NULL */
	const char		*rules_path;	/* --rules; or NULL */
	size_t			 rate;		/* --max-rate; 0: none */
	int			 rate_secs;
	size_t			 source_rate;	/* --max-rate-per-source */
	int			 source_rate_secs;
	unsigned int		 v4_bits;	/* --source-prefix */
	unsigned int		 v6_bits;
};

/* What was refused or held back, by reason, since the start. */
struct admit_counts {
	unsigned long long	 refused[REFUSAL_REASONS];
	unsigned long long	 paced;		/* waits for --max-rate */
};

struct admit {
	const struct admit_opts	*opts;
	struct rules		 rules;		/* in force */
	struct bucket_table	 buckets;	/* --max-rate-per-source */
	int64_t			 window;	/* --max-rate: its start */
	size_t			 in_window;	/* accepted since */
	int64_t			 paced_logged;
	struct admit_counts	 counts;
	struct refusal_log	 refused;
};

int	admit_load_rules(const struct admit_opts *, struct rules *,
	    unsigned int *, const char **);
int	admit_open(struct admit *, const struct admit_opts *,
	    struct rules *);
void	admit_reload(struct admit *);
void	admit_close(struct admit *);
int	admit_checks_sources(const struct admit *);
int	admit_rules(struct admit *, const struct addr_source *,
	    const char *, const char *);
void	admit_group(const struct admit *, struct addr_source *);
int	admit_rate(struct admit *, const struct addr_source *,
	    const char *, const char *);
void	admit_summary(const char *, const char *, enum tally_end);
const char *admit_source_kind(const struct admit *,
	    const struct addr_source *);
int	admit_refused(struct admit *, enum refusal_reason,
	    const struct addr_source *, const char *);
int	admit_pace(struct admit *);
void	admit_accepted(struct admit *);
int	admit_due(struct admit *);

#endif /* SOCK64_ADMIT_H */
