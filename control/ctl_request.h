/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What kairod's command server (ctl_server.c) makes of one request line
 * before any handler runs: the JSON, the request's shape, the hello, the
 * command's words and its arguments against the table (ctl_protocol.h).
 *
 * Pure: no socket and no server state besides whether the connection has
 * said hello, so that the same code serves clients and is fuzzed on any
 * bytes (tests/fuzz/).  jansson only, like the command table.
 */
#ifndef KAIRO_CTL_REQUEST_H
#define KAIRO_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl_protocol.h"

/* Room for any refusal ctl_request_parse writes (the longest quotes 200 bytes of the line). */
#define CTL_REQUEST_ERR_LEN 1100

enum ctl_request_kind {
	CTL_REQUEST_REFUSED, /* err says why; the connection stays open */
	CTL_REQUEST_HELLO,   /* args: the hello's "args" object, or NULL (ctl_hello_check) */
	CTL_REQUEST_COMMAND, /* id: a command of the table; args: checked by ctl_args_check */
};

struct ctl_request {
	enum ctl_request_kind kind;
	int id;       /* CTL_REQUEST_COMMAND: enum ctl_command_id, else -1 */
	json_t *doc;  /* the parsed line, NULL when it is not JSON */
	/*
	 * A reference of the request's own: a command's "args" (an empty object
	 * when the line has none, as a handler is promised), the hello's (NULL
	 * when absent); NULL for a refusal.
	 */
	json_t *args;
	char err[CTL_REQUEST_ERR_LEN]; /* CTL_REQUEST_REFUSED: the reply's "error" */
};

/*
 * Read one line (len bytes, without its newline) of a connection that has
 * (hello_done) or has not said hello yet, in the order the server checks:
 * JSON, an object with a "command" string, "args" an object if present, the
 * hello (always heard), no other command before it, a command of the table,
 * its arguments.  Every outcome fills r; ctl_request_free releases it.
 */
void ctl_request_parse(const char *line, size_t len, bool hello_done, struct ctl_request *r);
void ctl_request_free(struct ctl_request *r);

/*
 * The hello's answer: its args (NULL: none) against CTL_PROTOCOL_VERSION.
 * 0 when it speaks ours; -EINVAL when it names no version (the connection
 * stays); -EPROTONOSUPPORT when it speaks another, the connection then to be
 * closed after the reply.  Either error writes the message into err, naming
 * the server's socket path.
 */
int ctl_hello_check(const json_t *args, const char *server_path, char *err, size_t errlen);

#endif
