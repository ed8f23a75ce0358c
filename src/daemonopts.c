/*
 * sock64: the command line's struct config turned into each module's
 * options: the log level, the connection loop, the handlers, the PROXY
 * protocol, admission.  No checks here (cmdline.c made them), and
 * nothing opened.
 */
#include "config.h"

#include <string.h>

#include "admit.h"
#include "cmdline.h"
#include "conn.h"
#include "daemonopts.h"
#include "exec.h"
#include "execenv.h"
#include "log.h"
#include "proxyio.h"
#include "sig.h"

static int	daemon_stop_budget(const struct config *);

int
daemon_log_level(const struct config *cf)
{
	int	 level = LOG_LEVEL_INFO + cf->verbosity;

	if (level < LOG_LEVEL_WARN)
		return LOG_LEVEL_WARN;
	if (level > LOG_LEVEL_DEBUG)
		return LOG_LEVEL_DEBUG;
	return level;
}

void
daemon_conn_opts(const struct config *cf, struct conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_message = cf->max_message;
	o->idle_timeout = cf->idle_timeout;
	o->frame_timeout = cf->frame_timeout;
	o->write_timeout = cf->write_timeout;
	o->stop = &sig_got_term;
	o->stop_ms = daemon_stop_budget(cf);
}

/* ee: where the environment's options go; it must outlive o. */
void
daemon_exec_opts(const struct config *cf, struct exec_opts *o,
    struct exec_env *ee)
{
	memset(o, 0, sizeof(*o));
	o->path = cf->program_path;
	o->argv = cf->program;
	o->max_reply = cf->max_reply;
	o->timeout = cf->handler_timeout;
	o->stop_ms = daemon_stop_budget(cf);
	o->stop = &sig_got_term;
	o->per_connection = cf->per_connection;
	o->io = cf->handler_lines ? EXEC_IO_LINES : EXEC_IO_FRAMES;
	o->grace = cf->grace;
	memset(ee, 0, sizeof(*ee));
	ee->clear = cf->clearenv;
	ee->pass = cf->passenv;
	ee->npass = cf->npassenv;
	ee->set = cf->setenv;
	ee->nset = cf->nsetenv;
	o->env = ee;
}

void
daemon_proxy_opts(const struct config *cf, struct proxy_opts *po)
{
	memset(po, 0, sizeof(*po));
	po->accept = cf->proxy_accept;
	po->from = cf->proxy_from;
	po->nfrom = cf->nproxy_from;
}

/*
 * After SIGTERM, a connection (a program's run, the last replies) may
 * go on until shortly before the parent's --grace runs out and it kills
 * us, so that we can still end it cleanly (and kill the program's
 * process group) first.
 */
static int
daemon_stop_budget(const struct config *cf)
{
	int	 grace_ms = cf->grace * 1000;

	return grace_ms - (grace_ms / 2 < 1000 ? grace_ms / 2 : 1000);
}
void
daemon_admit_opts(const struct config *cf, struct admit_opts *ao)
{
	memset(ao, 0, sizeof(*ao));
	ao->argv_rules = &cf->argv_rules;
	ao->rules_path = cf->rules_path;
	ao->rate = cf->max_rate;
	ao->rate_secs = cf->max_rate_secs;
	ao->source_rate = cf->max_rate_per_source;
	ao->source_rate_secs = cf->max_rate_per_source_secs;
	ao->v4_bits = cf->v4_bits;
	ao->v6_bits = cf->v6_bits;
}
