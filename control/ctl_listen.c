/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server's listening socket (ctl_listen.h): what is at
 * control.socket is looked at before anything is removed, and only a stale
 * socket is.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_listen.h"

/* What a file that is not a socket is, for the refusal: the operator learns what they named. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a socket";
}

/*
 * Does anyone answer on the socket at addr: 1 yes, 0 no (a stale socket: its
 * server is gone), or a negative errno when it cannot be told (a datagram
 * socket, say), which is not ours to remove either.  The probe does not
 * block: a live server with a full queue answers EAGAIN, and counts as live.
 */
static int
socket_answers(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN)
		ret = 1;
	else if (errno == ECONNREFUSED)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Make the path free for bind: nothing there, or a stale socket, which is
 * removed.  Anything else stays as it is and is refused, named: lstat, so a
 * symbolic link is not followed to whatever it points at.
 */
static int
clear_path(const char *path, const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control.socket: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "control.socket: %s is %s, not a socket: kairod replaces only a stale "
			 "socket there (remove it, or name another path)",
			 path, file_kind(st.st_mode));
		return -EEXIST;
	}
	ret = socket_answers(addr);
	if (ret > 0) {
		snprintf(err, errlen, "control.socket: %s is in use by another kairod", path);
		return -EADDRINUSE;
	}
	if (ret < 0) {
		snprintf(err, errlen, "control.socket: %s is a socket kairod cannot probe (%s): "
			 "not replaced", path, strerror(-ret));
		return ret;
	}
	/* Nobody answers: what a kairod that died leaves behind. */
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "control.socket: cannot remove the stale socket %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* The listening socket on addr, owned by root and gid, mode 0660. */
static int
bind_and_listen(const struct sockaddr_un *addr, gid_t gid, int *fd, char *err, size_t errlen)
{
	const char *path = addr->sun_path;
	int ret;

	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		snprintf(err, errlen, "control.socket: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (bind(*fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
		/* Something appeared there since clear_path looked: not ours either. */
		ret = -errno;
		snprintf(err, errlen, "control.socket: %s: %s", path, strerror(-ret));
		close(*fd);
		*fd = -1;
		return ret;
	}
	if (chown(path, 0, gid) != 0 || chmod(path, 0660) != 0 ||
	    listen(*fd, CTL_LISTEN_BACKLOG) != 0) {
		ret = -errno;
		snprintf(err, errlen, "control.socket: %s: %s", path, strerror(-ret));
		close(*fd);
		*fd = -1;
		unlink(path); /* ours: bind made it */
		return ret;
	}
	return 0;
}

int
ctl_listen(const char *path, const char *group, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[sizeof(addr.sun_path)];
	struct group *gr;
	gid_t gid = 0;
	int ret;

	*fd = -1;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control.socket: \"%s\" is longer than %zu bytes", path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (group[0] != '\0') {
		gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "control.group: no group \"%s\" on this host", group);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	/* /run/kairo on a fresh host; only the last level is made. */
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "control.socket: cannot make %s: %s", dir, strerror(-ret));
		return ret;
	}
	if ((ret = clear_path(path, &addr, err, errlen)) != 0)
		return ret;
	return bind_and_listen(&addr, gid, fd, err, errlen);
}
