/*
 * sock64: dropping privileges.  initgroups(3) is not in POSIX, so this
 * one file asks for the BSD/SVID names that configure found.
 */
#include "config.h"

#ifdef HAVE_INITGROUPS
#define _DEFAULT_SOURCE
#endif

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"
#include "util.h"

/*
 * Finds USER before anything is bound, so that a typo fails at once.
 * Returns 0, or -1 with errno as getpwnam(3) left it (0: there is no
 * such user) and *why NULL, or with *why set when the user's name is
 * too long to keep.
 */
int
priv_lookup(const char *user, struct priv_user *pu, const char **why)
{
	struct passwd	*pw;

	*why = NULL;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	if (util_strlcpy(pu->name, pw->pw_name, sizeof(pu->name)) >=
	    sizeof(pu->name)) {
		*why = "user name too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	pu->uid = pw->pw_uid;
	pu->gid = pw->pw_gid;
	return 0;
}

/*
 * Becomes the user: its supplementary groups, then its group, then its
 * user id (in that order: after setuid we could no longer change
 * groups).  Then proves the change is permanent: getting root back must
 * fail.  Returns 0, or -1 with *why naming the call that failed and
 * errno set, or, with errno 0, saying why the change cannot be trusted.
 */
int
priv_drop(const struct priv_user *pu, const char **why)
{
#ifdef HAVE_INITGROUPS
	*why = "initgroups";
	if (initgroups(pu->name, pu->gid) == -1)
		return -1;
#endif
	*why = "setgid";
	if (setgid(pu->gid) == -1)
		return -1;
	*why = "setuid";
	if (setuid(pu->uid) == -1)
		return -1;
	if (pu->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		*why = "root could be regained";
		errno = 0;
		return -1;
	}
	if (getuid() != pu->uid || geteuid() != pu->uid ||
	    getgid() != pu->gid || getegid() != pu->gid) {
		*why = "ids did not change";
		errno = 0;
		return -1;
	}
	return 0;
}
