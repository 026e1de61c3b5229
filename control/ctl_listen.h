/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server's listening socket (ctl_server.c): the file at
 * control.socket, made or refused.
 *
 * What may already be at that path: nothing; a socket a kairod that died
 * left behind (nobody answers on it), which is replaced; or something that
 * is someone else's, which is refused and left as it is: a live socket
 * (another kairod), or no socket at all (a regular file, a directory, a
 * FIFO: control.socket names it by mistake, and deleting it would lose what
 * it holds).
 */
#ifndef KAIRO_CTL_LISTEN_H
#define KAIRO_CTL_LISTEN_H

#include <stddef.h>

/*
 * Connections the kernel queues before the control thread accepts them.
 * As many as there are client slots: a burst of that many clients that
 * arrive together all get into the queue and are answered (served, or told
 * the server is busy), none left waiting in connect() for a place in it.
 */
#define CTL_LISTEN_BACKLOG 64

/*
 * Listen on path (mode 0660, owned by root and group, or root only when
 * group is ""), the parent directory made if missing.  *fd is the
 * non-blocking listening socket.  0, or a negative errno with err saying
 * what is at the path (control.socket: ...).
 */
int ctl_listen(const char *path, const char *group, int *fd, char *err, size_t errlen);

#endif
