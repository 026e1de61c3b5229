/* SPDX-License-Identifier: Apache-2.0 */
/* What kairoctl's files share: its exit codes and one request on a session of its own. */
#ifndef KAIRO_KAIROCTL_H
#define KAIRO_KAIROCTL_H

#include <jansson.h>

#include "ctl_protocol.h"

enum exit_code {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DAEMON = 3,
};

/* kairoctl.c: hello, one request, close; the result (a new reference) or NULL with *status. */
json_t *request_once(const char *path, const struct ctl_command_decl *cmd, json_t *args,
		     int *status);

/* kairoctl_events.c: `events [--since SEQ] [--max N] [--follow]`; an exit code. */
int kairoctl_events(const char *path, json_t *args, const json_t *local, bool as_json);

#endif
