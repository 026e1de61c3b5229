/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server: a UNIX stream socket in kairod, one JSON request per
 * line, one JSON reply per line, as the control protocol says
 * (ctl_protocol.h: the hello, the commands and their arguments).
 *
 * One control thread serves every client with poll(): sockets are
 * non-blocking, a request may arrive in pieces, a reply the client does not
 * read is buffered up to a bound.  A request longer than CTL_MAX_REQUEST,
 * one that is not JSON, or a reply buffer over CTL_MAX_PENDING_REPLY ends
 * that client only.  The server answers the hello itself, refuses a command
 * before it and any argument the command does not declare; handlers run on
 * this thread, never on a worker lcore.
 *
 * The socket file is made mode 0660, owned by root and the configured
 * group: only they can connect (ctl_listen.h: what may be replaced there).
 */
#ifndef KAIRO_CTL_SERVER_H
#define KAIRO_CTL_SERVER_H

#include <stddef.h>

#include <jansson.h>

#include "ctl_protocol.h"

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_PENDING_REPLY (64 * 1024 * 1024)

/*
 * A command: args is the request's "args" object (never NULL), holding only
 * the arguments its declaration names (ctl_args_check), required ones
 * present.  Returns 0 with *result set (a new reference), or a negative
 * errno with err saying what was wrong and where.
 */
typedef int (*ctl_handler)(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

struct ctl_server;

/*
 * Listen on path (a live server there, or anything that is not a socket, is
 * an error; a stale socket is replaced: ctl_listen.h) and start serving,
 * handlers[id] for each command of the table (every one must be set).  NULL
 * with err set on failure.
 */
struct ctl_server *ctl_server_start(const char *path, const char *group,
				    const ctl_handler handlers[CTL_CMD_COUNT], void *ctx, char *err,
				    size_t errlen);
/* Stop serving, close every client and remove the socket file. */
void ctl_server_stop(struct ctl_server *srv);

#endif
