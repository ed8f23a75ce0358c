/*
 * sock64d: the framed request/reply server.  main() parses the command
 * line into a struct config and hands over to a mode: standalone
 * (listen, fork a child per client) or inetd (serve fd 0/1 once).
 */
#include "config.h"

#include "cmdline.h"
#include "daemon.h"

int
main(int argc, char *argv[])
{
	struct config	 cf;

	cmdline_parse(argc, argv, &cf);
	if (cf.inetd)
		return daemon_inetd(&cf);
	return daemon_standalone(&cf);
}
