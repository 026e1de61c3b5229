/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server: a UNIX stream socket in kairod, one JSON request per
 * line, one JSON reply per line, as the control protocol says
 * (ctl_protocol.h: the hello, the commands and their arguments).
 *
 * One control thread serves every client with poll(): sockets are
 * non-blocking, a request may arrive in pieces, and no client can hold up
 * another or lock the socket out:
 *
 *  - each turn of the loop serves at most CTL_REQUESTS_PER_TURN requests of
 *    each client, so a client that pipelines many waits for its own, not
 *    others for it;
 *  - a client whose unread replies reach CTL_MAX_UNREAD is neither read
 *    from nor served until it takes them: no handler runs whose reply could
 *    not be buffered, and one reply larger than CTL_MAX_REPLY is answered
 *    with an error instead;
 *  - a request not complete CTL_REQUEST_MS after it began, and a client
 *    that did nothing for CTL_IDLE_MS (no request, its replies not taken),
 *    are closed with a one-line reason;
 *  - when all CTL_MAX_CLIENTS slots are taken, a new client takes the slot
 *    of the one quiet longest (told why, then closed) if one has been quiet
 *    CTL_EVICT_QUIET_MS; if none has, the new client is told that kairod is
 *    busy and closed.
 *
 * A request longer than CTL_MAX_REQUEST ends that client only (one that is
 * not JSON is answered with an error).  The server answers the hello itself, refuses a command
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

/*
 * A request is one line that a client writes at once: on a local socket it
 * arrives whole within microseconds.  Five seconds covers a client
 * descheduled mid-write on a loaded host many times over; a line still
 * unfinished after that is a client that stopped, holding a slot.
 */
#define CTL_REQUEST_MS (5 * 1000)

/*
 * Clients of the protocol ask without pausing: kairoctl's requests follow
 * each other within microseconds (meter get with a DELAY opens a connection
 * for each sample), scripts ask and close.  Fifteen seconds of nothing, no
 * request and no reply taken, is a forgotten connection (a socat left open,
 * a script stopped in a debugger) or one that stopped reading: its slot and
 * its buffers go back.
 */
#define CTL_IDLE_MS (15 * 1000)

/*
 * With every slot taken, a client quiet this long is the one that gives
 * its slot to a newcomer.  Longer than any pause inside an exchange (a
 * client between its hello and its command, between a reply and its next
 * request: microseconds, tens of milliseconds when the host is loaded), so
 * a client in mid-exchange is not the one cut; short enough that a
 * newcomer does not wait for CTL_IDLE_MS while idle clients hold every slot.
 */
#define CTL_EVICT_QUIET_MS 500

/*
 * Replies a client may leave unread before the server stops reading and
 * serving its requests: a few default flow dumps (1000 flows, some 260 KiB
 * each).  Its requests wait in its socket, and it is served again as soon
 * as it takes its replies.
 */
#define CTL_MAX_UNREAD (1024 * 1024)

/*
 * The largest reply: some 60,000 flows of a dump.  A larger one is answered
 * with an error saying to ask for less (--limit), so the replies kairod
 * holds are bounded: CTL_MAX_CLIENTS * (CTL_MAX_UNREAD + CTL_MAX_REPLY).
 */
#define CTL_MAX_REPLY (16 * 1024 * 1024)

/*
 * Requests of one client served per turn of the loop: one, so that each
 * client with a request waiting gets its turn before anyone's second.
 */
#define CTL_REQUESTS_PER_TURN 1

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
