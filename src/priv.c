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

/*
 * Finds USER before anything is bound, so that a typo fails at once.
 * Returns 0, or -1 with a one-line reason in err.
 */
int
priv_lookup(const char *user, struct priv_user *pu, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user %s%s%s", user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	if ((size_t)snprintf(pu->name, sizeof(pu->name), "%s", pw->pw_name) >=
	    sizeof(pu->name)) {
		snprintf(err, errlen, "user name too long: %s", user);
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
 * fail.  Returns 0, or -1 with a one-line reason in err.
 */
int
priv_drop(const struct priv_user *pu, char *err, size_t errlen)
{
	const char	*step;

#ifdef HAVE_INITGROUPS
	step = "initgroups";
	if (initgroups(pu->name, pu->gid) == -1)
		goto fail;
#endif
	step = "setgid";
	if (setgid(pu->gid) == -1)
		goto fail;
	step = "setuid";
	if (setuid(pu->uid) == -1)
		goto fail;
	if (pu->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "cannot drop privileges to %s: root "
		    "could be regained", pu->name);
		return -1;
	}
	if (getuid() != pu->uid || geteuid() != pu->uid ||
	    getgid() != pu->gid || getegid() != pu->gid) {
		snprintf(err, errlen, "cannot drop privileges to %s: ids did "
		    "not change", pu->name);
		return -1;
	}
	return 0;
 fail:
	snprintf(err, errlen, "cannot drop privileges to %s: %s: %s",
	    pu->name, step, strerror(errno));
	return -1;
}
