/*
 * sock64: what the exec handler's programs get from us, prepared once:
 * the program's path (a PATH search at start-up), descriptors above 2
 * sealed with close-on-exec, and the environment of a connection's
 * programs.  exec.c runs them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "execenv.h"
#include "util.h"

extern char	**environ;

static int	exec_check(const char *);
static int	exec_env_kept(const struct exec_env *, const char *);
static int	exec_env_has(char *const *, size_t, const char *);
static int	exec_env_peer_name(const char *);

/*
 * Finds the program as execvp(3) would: a name with a slash as it is,
 * else each directory of PATH in turn.  Writes the path into path and
 * returns 0, or -1 with errno (ENOENT, EACCES, ENAMETOOLONG).
 */
int
exec_resolve(const char *prog, char *path, size_t size)
{
	const char	*dirs, *p, *end;
	size_t		 dlen;
	int		 n, err = ENOENT;

	if (*prog == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(prog, '/') != NULL) {
		if (strlen(prog) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(path, prog, strlen(prog) + 1);
		return exec_check(path);
	}
	if ((dirs = getenv("PATH")) == NULL)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs;; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		/* An empty entry is the current directory. */
		n = snprintf(path, size, "%.*s/%s", (int)dlen,
		    dlen == 0 ? "." : p, prog);
		if (n >= 0 && (size_t)n < size && exec_check(path) == 0)
			return 0;
		if (errno == EACCES)
			err = EACCES;
		if (*end == '\0')
			break;
	}
	errno = err;
	return -1;
}

/* A regular file we may execute: 0, or -1 with errno. */
static int
exec_check(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

/*
 * Start-up: sets close-on-exec on every descriptor above 2, so that
 * nothing the server inherited reaches the programs.  Returns 0 or -1.
 */
int
exec_cloexec_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	long		 fd, max;
	char		*end;

	if ((d = opendir("/dev/fd")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			fd = strtol(de->d_name, &end, 10);
			if (*end != '\0' || fd <= 2 || fd > INT_MAX ||
			    fd == dirfd(d))
				continue;
			if (util_set_cloexec((int)fd) == -1 && errno != EBADF) {
				closedir(d);
				return -1;
			}
		}
		return closedir(d);
	}
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (util_set_cloexec((int)fd) == -1 && errno != EBADF)
			return -1;
	return 0;
}

/*
 * The programs' environment: ours (with env->clear, only PATH and the
 * names of env->pass) without the names in vars, then env->set, then
 * vars, then seq (SOCK64_REQUEST, rewritten for each request; NULL:
 * none).  A later entry wins over an earlier one of the same name, so
 * vars (the connection's own) cannot be overridden.
 */
char **
exec_environ(const struct exec_env *env, char *const *vars, char *seq)
{
	char	**envp;
	size_t	 n, nvars, nset, i, k = 0;

	for (n = 0; environ[n] != NULL; n++)
		continue;
	for (nvars = 0; vars != NULL && vars[nvars] != NULL; nvars++)
		continue;
	nset = env != NULL ? env->nset : 0;
	if ((envp = calloc(n + nset + nvars + 2, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (exec_env_kept(env, environ[i]) &&
		    !exec_env_has(vars, nvars, environ[i]) &&
		    !(env != NULL && exec_env_has(env->set, env->nset,
		    environ[i])) &&
		    !(nvars > 0 && exec_env_peer_name(environ[i])) &&
		    strncmp(environ[i], "SOCK64_REQUEST=", 15) != 0)
			envp[k++] = environ[i];
	for (i = 0; i < nset; i++)
		if (!exec_env_has(vars, nvars, env->set[i]) &&
		    !exec_env_has(env->set + i + 1, nset - i - 1, env->set[i]))
			envp[k++] = env->set[i];
	for (i = 0; i < nvars; i++)
		envp[k++] = vars[i];
	if (seq != NULL)
		envp[k++] = seq;
	envp[k] = NULL;
	return envp;
}

/*
 * Whether an entry of our environment goes to the programs: all do,
 * unless --clearenv, and then only PATH and those --passenv names.
 */
static int
exec_env_kept(const struct exec_env *env, const char *entry)
{
	size_t	 i, len;

	if (env == NULL || !env->clear)
		return 1;
	if (strncmp(entry, "PATH=", 5) == 0)
		return 1;
	len = strcspn(entry, "=");
	for (i = 0; i < env->npass; i++)
		if (strlen(env->pass[i]) == len &&
		    strncmp(env->pass[i], entry, len) == 0)
			return 1;
	return 0;
}

/*
 * Whether the entry "NAME=value" is one of the names that describe a
 * connection.  When this connection's own are set, such names left in
 * the server's environment (from whatever started it) must not reach
 * the program: a stale TCPREMOTEHOST beside PROTO=UNIX, or an
 * SSL_CLIENT_VERIFY beside a client that sent no certificate, would
 * mislead it.  mod_ssl's and ucspi-ssl's SSL_ names go too; OpenSSL's
 * own, such as SSL_CERT_FILE, stay.
 */
static int
exec_env_peer_name(const char *entry)
{
	static const char *const prefixes[] = { "PROTO=", "TCP", "UNIX",
	    "REMOTE_ADDR=", "REMOTE_PORT=", "PROXY", "SSL_PROTOCOL=",
	    "SSL_CIPHER", "SSL_TLS_SNI", "SSL_CLIENT_", "SSL_SERVER_",
	    "SSL_SESSION_" };
	size_t	 i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Whether vars[0..n) sets the variable that the entry "NAME=value" names. */
static int
exec_env_has(char *const *vars, size_t n, const char *entry)
{
	size_t	 len = strcspn(entry, "="), i;

	for (i = 0; i < n; i++)
		if (strncmp(vars[i], entry, len) == 0 && vars[i][len] == '=')
			return 1;
	return 0;
}
