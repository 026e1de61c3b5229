/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `kairoctl restart`: the running kairod (old) hands its ports, its state
 * and its control socket to a new kairod it starts, so that forwarding stops
 * only while the ports change hands, not for a whole stop and start.
 *
 *   old                                           new (fork + exec, same arguments)
 *   serves kairoctl restart on the main thread
 *   socketpair, fork, exec ──────────────────────▶ config, lock (inherited), store, topology,
 *     (still forwarding)                           EAL (its own --file-prefix), tables
 *                          ◀──────── "prepared"    (or "error TEXT" and exit: the old one
 *   RX off, packets inside drain,                   goes on, kairoctl restart fails with TEXT)
 *   the simulation writes its state image
 *   into a memfd; workers stop; ports close
 *   "released" + the memfd (SCM_RIGHTS) ─────────▶ open the ports, load the topology, load
 *                                                  the image, start the simulation, take the
 *                                                  control socket path, start the workers
 *                          ◀──────── "running PID"
 *   answers kairoctl: new pid, gap; exits 0
 *
 * The gap reported is from RX off in the old process to "running" (workers
 * polling) in the new one.  If the new process fails after "released", the
 * old one opens its ports again and forwards on (its tables are untouched).
 *
 * Choices made beyond the design given:
 * - The binary exec'd is the file /proc/self/exe names, with " (deleted)"
 *   taken off: after a package upgrade replaced the file, /proc/self/exe
 *   itself still opens the old inode, and the upgrade would not be picked up.
 * - The new process always gets another --file-prefix (a "-r" suffix added
 *   or taken off): besides EAL's shared config (without --no-shconf), the
 *   telemetry socket and hugepage files are named by it, and both processes
 *   live at once.
 * - Before exec every other descriptor is made close-on-exec: the new
 *   process must not keep the old one's af_packet sockets or tap fds open
 *   (a tap would outlive its close, a socket keep copying packets).
 * - The instance lock's descriptor is inherited, so the lock never lapses:
 *   the new process checks that it is the lock of its own control socket.
 *
 * Ports that survive a hand-over: kernel interfaces opened through
 * net_af_packet (a veth, a tap libvirt made) and vhost-user where kairod is
 * the client (the VM's side waits for the reconnect).  A net_tap that kairod
 * made does not: the kernel deletes the interface with its last descriptor,
 * and the VM side's addresses and routes with it; the reply and the log say
 * so for such ports.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dataplane.h"
#include "handover_internal.h"

/* The new process's side, from its environment. */
static struct {
	bool child;       /* started by a hand-over */
	int sock;         /* to the old process; -1 once "running" is sent */
	int image_fd;     /* the memfd the old one released with; -1 */
	long old_pid;
} ho = {.sock = -1, .image_fd = -1};

/* ---- messages: one per SOCK_SEQPACKET record, text, maybe with one descriptor ---- */

int
handover_msg_send(int sock, const char *text, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)(uintptr_t)text, .iov_len = strlen(text)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int
handover_msg_recv(int sock, char *text, size_t len, int *fd, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = text, .iov_len = len - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	struct cmsghdr *c;
	ssize_t n;
	int ret;

	*fd = -1;
	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return -ETIMEDOUT;
	if (ret < 0)
		return -errno;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (int)n;
}

/* ---- the new process ---- */

int
dp_lock_take(struct kairo_dp *dp, char *err, size_t errlen)
{
	const char *env = getenv(HANDOVER_ENV);
	struct stat fst, pst;
	int sock, lockfd, n;
	char pidline[32];
	long old;

	if (env == NULL)
		return instance_lock_take(&dp->lock, dp->cfg.control_socket, err, errlen);
	if (sscanf(env, "%d,%d,%ld", &sock, &lockfd, &old) != 3 || fcntl(sock, F_GETFD) < 0 ||
	    fcntl(lockfd, F_GETFD) < 0) {
		snprintf(err, errlen, "%s=\"%s\": not the descriptors of a hand-over", HANDOVER_ENV,
			 env);
		return -EINVAL;
	}
	unsetenv(HANDOVER_ENV);
	ho.child = true;
	ho.sock = sock;
	ho.old_pid = old;
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	fcntl(lockfd, F_SETFD, FD_CLOEXEC);
	dp->lock.fd = lockfd;
	/* config.c bounds control.socket by sun_path: the ".lock" beside it fits. */
	snprintf(dp->lock.path, sizeof(dp->lock.path), "%.*s.lock",
		 (int)sizeof(dp->lock.path) - 6, dp->cfg.control_socket);
	/* The lock handed down is the one of this configuration's control socket. */
	if (fstat(lockfd, &fst) != 0 || stat(dp->lock.path, &pst) != 0 ||
	    fst.st_ino != pst.st_ino || fst.st_dev != pst.st_dev ||
	    flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "control.socket: \"%s\" is not the socket of the kairod that "
			 "restarts (pid %ld): a restart keeps the control socket; change it with a "
			 "stop and a start", dp->cfg.control_socket, old);
		dp->lock.fd = -1;
		close(lockfd);
		return -EINVAL;
	}
	n = snprintf(pidline, sizeof(pidline), "%ld\n", (long)getpid());
	if (ftruncate(lockfd, 0) != 0 || pwrite(lockfd, pidline, (size_t)n, 0) != n)
		DP_LOG(WARNING, "%s: cannot write the pid: %s", dp->lock.path, strerror(errno));
	return 0;
}

bool
dp_handover_child(void)
{
	return ho.child;
}

void
dp_handover_error(const char *err)
{
	const char *env = getenv(HANDOVER_ENV);
	char msg[HANDOVER_MSG_LEN];
	int sock;

	/* Refused before the lock was adopted (a bad config): the socket is in the environment. */
	if (ho.sock < 0 && !ho.child && env != NULL && sscanf(env, "%d,", &sock) == 1 &&
	    fcntl(sock, F_GETFD) >= 0)
		ho.sock = sock;
	if (ho.sock < 0)
		return;
	snprintf(msg, sizeof(msg), "error %s", err);
	handover_msg_send(ho.sock, msg, -1);
	close(ho.sock);
	ho.sock = -1;
}

/*
 * The ports the old process had added with kairoctl join this one's config
 * (the file's ports of the same name or device win).  A list that does not
 * load is logged and left: the file's ports still come up.
 */
static void
ports_adopt(struct kairo_dp *dp, int fd)
{
	char source[64], err[512];
	json_error_t jerr;
	json_t *ports = NULL;
	size_t len;
	void *buf;
	int ret;

	snprintf(source, sizeof(source), "the ports of pid %ld", ho.old_pid);
	ret = dp_fd_read_all(fd, &buf, &len);
	close(fd);
	if (ret == 0) {
		ports = json_loadb(buf, len, 0, &jerr);
		free(buf);
	}
	if (ports == NULL) {
		DP_LOG(ERR, "hand-over: %s added at run time are not readable: add them again",
		       source);
		return;
	}
	ret = config_ports_append(&dp->cfg, ports, source, err, sizeof(err));
	json_decref(ports);
	if (ret < 0)
		DP_LOG(ERR, "hand-over: %s added at run time are refused (%s): add them again",
		       source, err);
	else
		DP_LOG(INFO, "hand-over: %d port(s) added at run time taken over", ret);
}

int
dp_handover_prepared(struct kairo_dp *dp, char *err, size_t errlen)
{
	char msg[HANDOVER_MSG_LEN];
	int ret, fd = -1;

	if (ho.sock < 0)
		return 0;
	if ((ret = handover_msg_send(ho.sock, "prepared", -1)) == 0)
		ret = handover_msg_recv(ho.sock, msg, sizeof(msg), &fd, HANDOVER_RELEASE_TIMEOUT_MS);
	/* The ports the old one had added at run time come first, if it had any. */
	if (ret > 0 && strcmp(msg, "ports") == 0 && fd >= 0) {
		ports_adopt(dp, fd);
		fd = -1;
		ret = handover_msg_recv(ho.sock, msg, sizeof(msg), &fd, HANDOVER_RELEASE_TIMEOUT_MS);
	}
	if (ret > 0 && strcmp(msg, "released") == 0 && fd >= 0) {
		ho.image_fd = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "hand-over: the kairod that restarts (pid %ld) did not release its "
		 "ports: %s", ho.old_pid, ret > 0 ? msg : ret == 0 ? "it closed the hand-over "
		 "socket" : strerror(-ret));
	close(ho.sock);
	ho.sock = -1;
	return ret > 0 ? -EPROTO : ret == 0 ? -ECONNRESET : ret;
}

void
dp_restore_state(struct kairo_dp *dp)
{
	char source[64];
	size_t len;
	void *buf;
	int ret;

	if (ho.image_fd < 0) {
		dp_state_file_load(dp);
		return;
	}
	snprintf(source, sizeof(source), "the hand-over of pid %ld", ho.old_pid);
	ret = dp_fd_read_all(ho.image_fd, &buf, &len);
	if (ret != 0) {
		DP_LOG(ERR, "%s: cannot read its state image: %s", source, strerror(-ret));
	} else {
		dp_state_image_apply(dp, buf, len, source);
		free(buf);
	}
	close(ho.image_fd);
	ho.image_fd = -1;
}

void
dp_handover_take_socket(struct kairo_dp *dp)
{
	/* The old process still listens there, on a socket it will not remove (ours by inode). */
	if (ho.child)
		unlink(dp->cfg.control_socket);
}

void
dp_handover_running(struct kairo_dp *dp)
{
	char msg[64];

	RTE_SET_USED(dp);
	if (ho.sock < 0)
		return;
	snprintf(msg, sizeof(msg), "running %ld", (long)getpid());
	if (handover_msg_send(ho.sock, msg, -1) != 0)
		DP_LOG(WARNING, "hand-over: pid %ld did not hear that this one runs", ho.old_pid);
	close(ho.sock);
	ho.sock = -1;
	DP_LOG(INFO, "running as pid %ld, handed over from pid %ld", (long)getpid(), ho.old_pid);
}

