/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single-instance lock (instance_lock.h): an flock() on a file beside
 * the control socket, taken before EAL starts and held until exit.
 *
 * flock() rather than a pid file alone: the kernel lets go of it when the
 * process dies however it dies, so a stale file never blocks a start.  The
 * file is removed at exit while still locked; a newcomer that opened it in
 * between then holds a lock on a file no longer at the path, sees so by
 * comparing inodes, and opens the path again.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "instance_lock.h"

/* Opens of a lock file its holder removed meanwhile, before giving up (each is a race lost). */
#define LOCK_ATTEMPTS 8

/* The pid the holder wrote into the lock file; 0 if none (yet). */
static long
lock_holder_pid(int fd)
{
	char buf[32], *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && pid > 0 ? pid : 0;
}

/*
 * Does a server answer on path?  Its pid in *pid (the listener's credentials,
 * SO_PEERCRED), 0 if unknown.  Non-blocking: a listener whose backlog is full
 * (EAGAIN) is alive too, and must not keep this start waiting.
 */
static bool
socket_answers(const char *path, long *pid)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	bool live;
	int fd;

	*pid = 0;
	if (strlen(path) >= sizeof(addr.sun_path))
		return false;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	live = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EAGAIN;
	if (live && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
		*pid = cred.pid;
	close(fd);
	return live;
}

static int
refuse(char *err, size_t errlen, const char *socket_path, const char *lock_path, long pid,
       bool locked)
{
	char who[32] = "";

	if (pid > 0)
		snprintf(who, sizeof(who), " (pid %ld)", pid);
	snprintf(err, errlen,
		 "control.socket: %s is in use by another kairod%s, %s %s: this one stops "
		 "before touching any device or file",
		 socket_path, who, locked ? "which holds" : "which answers there without holding",
		 lock_path);
	return -EADDRINUSE;
}

/* /run/kairo on a fresh host: only the last level is made, as for the socket itself. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char dir[INSTANCE_LOCK_PATH_LEN];
	int ret;

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) == 0 || errno == EEXIST)
		return 0;
	ret = -errno;
	snprintf(err, errlen, "control.socket: cannot make %s: %s", dir, strerror(-ret));
	return ret;
}

/*
 * Open and lock the file at l->path.  The descriptor; -EWOULDBLOCK (*pid: the
 * holder's, if it wrote one) when another process holds it; -ESTALE when the
 * file locked is no longer the one at the path; other -errno with err.
 */
static int
lock_once(struct instance_lock *l, long *pid, char *err, size_t errlen)
{
	struct stat fst, pst;
	int fd, ret;

	/* O_NOFOLLOW: in a shared directory such as /tmp, a planted symlink is not followed. */
	fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "control.socket: cannot open the lock file %s: %s", l->path,
			 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
		snprintf(err, errlen, "control.socket: the lock file %s is not a regular file",
			 l->path);
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ret = -errno;
		if (ret == -EWOULDBLOCK)
			*pid = lock_holder_pid(fd);
		else
			snprintf(err, errlen, "control.socket: cannot lock %s: %s", l->path,
				 strerror(-ret));
		close(fd);
		return ret;
	}
	if (stat(l->path, &pst) != 0 || pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int
instance_lock_take(struct instance_lock *l, const char *control_socket, char *err,
		   size_t errlen)
{
	unsigned int attempt;
	char pidline[32];
	int fd = -ESTALE, ret, n;
	long pid = 0;

	l->fd = -1;
	if ((size_t)snprintf(l->path, sizeof(l->path), "%s.lock", control_socket) >=
	    sizeof(l->path)) {
		snprintf(err, errlen, "control.socket: \"%s\" is too long", control_socket);
		return -ENAMETOOLONG;
	}
	if ((ret = make_parent(l->path, err, errlen)) != 0)
		return ret;
	for (attempt = 0; attempt < LOCK_ATTEMPTS && fd == -ESTALE; attempt++)
		fd = lock_once(l, &pid, err, errlen);
	if (fd == -EWOULDBLOCK) {
		/* Locked but no pid written yet: the holder is starting; its socket may say. */
		if (pid == 0)
			socket_answers(control_socket, &pid);
		return refuse(err, errlen, control_socket, l->path, pid, true);
	}
	if (fd == -ESTALE)
		snprintf(err, errlen, "control.socket: the lock file %s keeps being replaced",
			 l->path);
	if (fd < 0)
		return fd;
	l->fd = fd;
	if (socket_answers(control_socket, &pid)) {
		instance_lock_release(l);
		return refuse(err, errlen, control_socket, l->path, pid, false);
	}
	/* For the refusals of those who come next; the lock itself is what counts. */
	n = snprintf(pidline, sizeof(pidline), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pidline, (size_t)n, 0) != n)
		fprintf(stderr, "kairod: %s: cannot write the pid: %s\n", l->path,
			strerror(errno));
	return 0;
}

void
instance_lock_release(struct instance_lock *l)
{
	if (l->fd < 0)
		return;
	/* Removed while still held: see the comment at the top. */
	unlink(l->path);
	close(l->fd);
	l->fd = -1;
}
