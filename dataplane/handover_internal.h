/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the hand-over of `kairoctl restart` (dataplane/handover.c: the new
 * process's side and the messages; dataplane/handover_release.c: the old
 * process's side), for those two files only.
 *
 * The two processes talk over a SOCK_SEQPACKET socketpair, one text
 * message per record: "prepared", "released" (with the state image's memfd),
 * "running PID", or "error TEXT" from the new process at any point before
 * "running".
 */
#ifndef KAIRO_HANDOVER_INTERNAL_H
#define KAIRO_HANDOVER_INTERNAL_H

#include <stddef.h>

/* "SOCKET_FD,LOCK_FD,OLD_PID" in the new process's environment. */
#define HANDOVER_ENV "KAIRO_HANDOVER_FD"
#define HANDOVER_MSG_LEN 1024
/* The new process's start-up up to "prepared" (EAL, tables); kairoctl waits 30 s in all. */
#define HANDOVER_PREPARED_TIMEOUT_MS 20000
/* The old process's drain, image and port close, up to "released". */
#define HANDOVER_RELEASE_TIMEOUT_MS 10000
/* From "released" to "running": ports, topology, the image, the threads. */
#define HANDOVER_RUNNING_TIMEOUT_MS 5000

/* Send text, with fd (SCM_RIGHTS) unless -1: 0 or -errno. */
int handover_msg_send(int sock, const char *text, int fd);
/*
 * The next message within timeout_ms: its length (text NUL-terminated, *fd
 * the descriptor it carried or -1), 0 when the other side closed, -ETIMEDOUT,
 * or -errno.
 */
int handover_msg_recv(int sock, char *text, size_t len, int *fd, int timeout_ms);

#endif
