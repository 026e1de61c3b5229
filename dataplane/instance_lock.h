/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One kairod per control socket.  A second daemon started with the same
 * configuration must stop before it touches anything the first one uses: a
 * probed net_pcap truncates its tx_pcap file, a ZooKeeper registration
 * replaces the host's, a tap attaches as another queue.  The control socket
 * is found taken only once the ports are open, too late; so before EAL
 * starts, kairod takes an flock() on CONTROL_SOCKET.lock (beside the socket:
 * /run/kairo/kairod.sock.lock by default), writes its pid there and holds it
 * until it exits.  config/README.md documents the file.
 */
#ifndef KAIRO_INSTANCE_LOCK_H
#define KAIRO_INSTANCE_LOCK_H

#include <stddef.h>
#include <sys/un.h>

/* sun_path's 107 characters and ".lock". */
#define INSTANCE_LOCK_PATH_LEN (sizeof(((struct sockaddr_un *)0)->sun_path) + 8)

struct instance_lock {
	int fd; /* the flock()ed file, open for the daemon's life; -1: not held */
	char path[INSTANCE_LOCK_PATH_LEN];
};

/*
 * Become the one kairod of control_socket: lock CONTROL_SOCKET.lock, then
 * make sure nothing answers on the socket (a daemon that predates the lock,
 * or one whose lock file was removed).  0 with the lock held, -EADDRINUSE
 * with err naming the other instance (its socket, lock file and pid when
 * known), or -errno with err.
 */
int instance_lock_take(struct instance_lock *l, const char *control_socket, char *err,
		       size_t errlen);

/* Remove the lock file and let it go (at exit; the kernel lets it go on a crash). */
void instance_lock_release(struct instance_lock *l);

#endif
