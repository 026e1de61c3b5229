/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event log: one line per thing that happened to the agent, in the words
 * of MidoNet's event log (operations guide, ch. 13), separate from the
 * daemon's log:
 *
 *   2026-12-06T13:05:01.123Z topology.Bridge CREATE 7a1f... name=left
 *   2026-12-06T13:05:02.004Z Port BIND 7a1f... vm1
 *   2026-12-06T13:05:09.870Z agent.Nsdb DISCONNECT zookeeper 127.0.0.1:2181
 *
 * A line is the time (UTC, milliseconds), the kind (topology.Router, Port,
 * agent.Nsdb, agent.Interface, agent.Service, ...), the event and what it
 * names.  Each line goes into a ring of the most recent EVENT_LOG_RING lines
 * (`kairoctl events` reads it by sequence number) and, when a file is open,
 * is appended to it with one write(), so a reader never sees half a line.
 *
 * Thread-safety: any thread may call event_log(); one mutex guards the ring
 * and the file.  Events are rare (an edit, a port, a connection): never call
 * it per packet.
 */
#ifndef KAIRO_EVENT_LOG_H
#define KAIRO_EVENT_LOG_H

#include <stdint.h>

/* Lines kept for `kairoctl events`; older ones are only in the file. */
#define EVENT_LOG_RING 1024
/* One line, newline excluded; a longer one is cut (its ids come first). */
#define EVENT_LOG_LINE 320

/*
 * Append the events to path from now on (created 0640 if missing); NULL
 * stops writing to a file.  Returns 0 or -errno; on failure the previous
 * file stays in use.  Called again with the same path after a log rotation.
 */
int event_log_open(const char *path);

/* kind: "topology.Bridge"; event: "CREATE"; fmt: what it names (may be NULL). */
void event_log(const char *kind, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The lines with sequence numbers >= since, oldest first, at most max of
 * them, each handed to fn; returns how many.  *next is where to ask from
 * next time (to follow); *first the oldest line still in the ring (since <
 * first: some were lost to the ring's size).
 */
unsigned int event_log_read(uint64_t since, unsigned int max,
			    void (*fn)(void *arg, uint64_t seq, const char *line), void *arg,
			    uint64_t *next, uint64_t *first);

#endif
