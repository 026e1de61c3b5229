/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The UNIX sockets of vhost-user and memif ports, before their device is
 * probed (port_socket.h).  The socket each driver uses, from its devargs as
 * DPDK 22.11 reads them:
 *
 *   net_vhost  iface=PATH, a stream socket; kairod serves it unless client=1.
 *   net_memif  socket=PATH (default /run/memif.sock), a seqpacket socket;
 *              kairod serves it unless role=client.  socket-abstract=yes is
 *              the default: PATH is then a name in the abstract namespace,
 *              not a file, and nothing is ever left behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_kvargs.h>

#include "dataplane.h"
#include "port_socket.h"

#define MEMIF_DEFAULT_SOCKET "/run/memif.sock"

struct vm_socket {
	const char *kind;                               /* "vhost-user", "memif" */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool abstract;                                  /* a name, not a file */
	bool server;                                    /* kairod listens on it */
	int type;                                       /* SOCK_STREAM, SOCK_SEQPACKET */
};

/* "net_vhost0,..." and the driver's alias "eth_vhost0,..." both name net_vhost. */
static bool
driver_is(const char *devargs, const char *driver)
{
	size_t n = strlen(driver);

	return (strncmp(devargs, "net_", 4) == 0 || strncmp(devargs, "eth_", 4) == 0) &&
	       strncmp(devargs + 4, driver, n) == 0;
}

static bool
kvargs_is(const struct rte_kvargs *kv, const char *key, const char *value)
{
	const char *v = rte_kvargs_get(kv, key);

	return v != NULL && strcmp(v, value) == 0;
}

/*
 * The socket a port's devargs name: 1 with *s filled in, 0 for a device
 * with none (or devargs its driver will refuse itself, with its own words).
 */
static int
vm_socket_of(const struct port_config *pc, struct vm_socket *s, char *err, size_t errlen)
{
	const char *devargs = pc->devargs, *args = strchr(devargs, ',');
	struct rte_kvargs *kv;
	const char *path;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!driver_is(devargs, "vhost") && !driver_is(devargs, "memif"))
		return 0;
	kv = rte_kvargs_parse(args != NULL ? args + 1 : "", NULL);
	if (kv == NULL)
		return 0;
	if (driver_is(devargs, "vhost")) {
		s->kind = "vhost-user";
		s->type = SOCK_STREAM;
		s->server = !kvargs_is(kv, "client", "1");
		path = rte_kvargs_get(kv, "iface");
	} else {
		s->kind = "memif";
		s->type = SOCK_SEQPACKET;
		s->server = !kvargs_is(kv, "role", "client");
		s->abstract = !kvargs_is(kv, "socket-abstract", "no");
		path = rte_kvargs_get(kv, "socket");
		if (path == NULL)
			path = MEMIF_DEFAULT_SOCKET;
	}
	if (path != NULL && strlen(path) + (s->abstract ? 1 : 0) >= sizeof(s->path)) {
		snprintf(err, errlen, "port \"%s\": %s socket %s: longer than the %zu bytes a "
			 "UNIX socket's path holds", pc->name, s->kind, path,
			 sizeof(s->path) - 1 - (s->abstract ? 1 : 0));
		ret = -ENAMETOOLONG;
	} else if (path != NULL) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		ret = 1;
	}
	rte_kvargs_free(kv);
	return ret;
}

/*
 * Does a server answer on the socket: 1 yes, 0 no (nothing there, or a
 * stale socket whose server is gone), or -errno when it cannot be told.  An
 * abstract name is the path after a NUL byte, its length exact, as memif
 * binds it.  The probe does not block: a full queue (EAGAIN) is a live one.
 */
static int
socket_answers(const struct vm_socket *s)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t n = strlen(s->path);
	socklen_t len = sizeof(addr);
	int fd, ret;

	if (s->abstract) {
		memcpy(addr.sun_path + 1, s->path, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	} else {
		memcpy(addr.sun_path, s->path, n + 1);
	}
	fd = socket(AF_UNIX, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&addr, len) == 0 || errno == EAGAIN)
		ret = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

static const char *
file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a socket";
}

/*
 * A socket kairod will listen on: free it of a stale socket left by a kairod
 * that died; refuse anything that is someone else's, and leave it as it is.
 */
static int
server_socket_prepare(const struct port_config *pc, const struct vm_socket *s, char *err,
		      size_t errlen)
{
	struct stat st;
	int answers;

	if (!s->abstract && lstat(s->path, &st) != 0)
		return 0; /* nothing there; bind says what else may be wrong */
	if (!s->abstract && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "port \"%s\": %s socket %s is %s, not a socket: kairod "
			 "listens there and replaces only a stale socket (remove it, or name "
			 "another path)", pc->name, s->kind, s->path, file_kind(st.st_mode));
		return -EEXIST;
	}
	answers = socket_answers(s);
	if (answers > 0) {
		snprintf(err, errlen, "port \"%s\": %s socket %s%s is in use: a server listens "
			 "there already (another kairod, or the peer's own server: to connect to "
			 "it, make kairod the client with %s)", pc->name, s->kind,
			 s->abstract ? "@" : "", s->path,
			 s->type == SOCK_STREAM ? "client=1" : "role=client");
		return -EADDRINUSE;
	}
	if (answers < 0) {
		snprintf(err, errlen, "port \"%s\": %s socket %s cannot be probed (%s): not "
			 "replaced", pc->name, s->kind, s->path, strerror(-answers));
		return answers;
	}
	if (s->abstract)
		return 0;
	/* Nobody answers: what a kairod that died (or was killed) leaves behind. */
	if (unlink(s->path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "port \"%s\": cannot remove the stale %s socket %s: %s",
			 pc->name, s->kind, s->path, strerror(errno));
		return -errno;
	}
	DP_LOG(INFO, "port \"%s\": removed the stale %s socket %s", pc->name, s->kind, s->path);
	return 0;
}

int
port_socket_prepare(const struct port_config *pc, char *err, size_t errlen)
{
	struct vm_socket s;
	int ret;

	ret = vm_socket_of(pc, &s, err, errlen);
	if (ret <= 0)
		return ret;
	if (s.server)
		return server_socket_prepare(pc, &s, err, errlen);
	/* A vhost-user client retries every second by itself; a memif client does not. */
	if (s.type == SOCK_SEQPACKET && socket_answers(&s) <= 0) {
		snprintf(err, errlen, "port \"%s\": no memif server listens on %s%s: DPDK's memif "
			 "client connects only when its port starts, and never again; start the "
			 "peer first, or make kairod the server (role=server)", pc->name,
			 s.abstract ? "@" : "", s.path);
		return -ENOTCONN;
	}
	return 0;
}
