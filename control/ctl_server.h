/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server: a UNIX stream socket in kairod, one JSON request per
 * line, one JSON reply per line.
 *
 *   request  {"command": "dump flows", "args": {"ip-dst": "10.0.1.2"}}
 *   reply    {"ok": true, "result": ...}
 *            {"ok": false, "error": "args.ip-dst: \"10.0.1\" is not an IP address"}
 *
 * One control thread serves every client with poll(): sockets are
 * non-blocking, a request may arrive in pieces, a reply the client does not
 * read is buffered up to a bound.  A request longer than CTL_MAX_REQUEST,
 * one that is not JSON, or a reply buffer over CTL_MAX_PENDING_REPLY ends
 * that client only.  Handlers run on this thread, never on a worker lcore.
 *
 * The socket file is made mode 0660, owned by root and the configured
 * group: only they can connect.
 */
#ifndef KAIRO_CTL_SERVER_H
#define KAIRO_CTL_SERVER_H

#include <stddef.h>

#include <jansson.h>

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_PENDING_REPLY (64 * 1024 * 1024)

/*
 * A command: args is the request's "args" object (never NULL).  Returns 0
 * with *result set (a new reference), or a negative errno with err saying
 * what was wrong and where.
 */
typedef int (*ctl_handler)(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

struct ctl_command {
	const char *name;   /* "dump flows" */
	const char *usage;  /* for "help": the arguments it takes */
	ctl_handler fn;
};

struct ctl_server;

/*
 * Listen on path (a live server there is an error; a stale socket file is
 * replaced) and start serving.  NULL with err set on failure.
 */
struct ctl_server *ctl_server_start(const char *path, const char *group,
				    const struct ctl_command *cmds, unsigned int n_cmds, void *ctx,
				    char *err, size_t errlen);
/* Stop serving, close every client and remove the socket file. */
void ctl_server_stop(struct ctl_server *srv);

#endif
