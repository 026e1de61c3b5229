/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet tracing in the slow path, as MidoNet's mm-trace does it.
 *
 * A tracer matches packets on MAC, ethertype, IP, protocol and L4 ports.  A
 * packet it matches is simulated with tracing on: every step of the walk
 * (each device and port, each decision, the drop or the actions) writes one
 * line tagged "cookie:0x..", the same cookie for the whole walk, so the
 * lines of one packet can be picked out of the log with grep.  A tracer
 * with a limit dies after that many packets.
 *
 * While a tracer matches a key, the key's result is not cached: every
 * matching packet comes to the simulation and is traced.  Adding a tracer
 * removes the cached flows it matches for the same reason.
 *
 * Lines go to the daemon's log (type kairo.trace) and to a ring of the last
 * TRACE_LOG_LINES lines, read back by sequence number.  Owned by one
 * simulation thread; other threads reach it through sim_thread_call().
 */
#ifndef KAIRO_TRACE_H
#define KAIRO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "flow_key.h"

#define TRACE_MAX_TRACERS 64
#define TRACE_LOG_LINES 4096
#define TRACE_LINE_LEN 240

enum trace_level {
	TRACE_LEVEL_DEBUG = 0, /* each device, port and decision */
	TRACE_LEVEL_TRACE = 1, /* and the headers and tags at each step */
};

/* What a tracer matches (trace_spec.fields says which are set). */
enum trace_field {
	TRACE_MAC_SRC = 1u << 0,
	TRACE_MAC_DST = 1u << 1,
	TRACE_ETHERTYPE = 1u << 2,
	TRACE_IP_SRC = 1u << 3,
	TRACE_IP_DST = 1u << 4,
	TRACE_IP_PROTO = 1u << 5,
	TRACE_SRC_PORT = 1u << 6,
	TRACE_DST_PORT = 1u << 7,
};

struct trace_spec {
	uint32_t fields;            /* enum trace_field bits */
	struct rte_ether_addr mac_src;
	struct rte_ether_addr mac_dst;
	uint16_t ethertype;
	uint8_t ip_src_kind;        /* FLOW_L3_IPV4 or FLOW_L3_IPV6 */
	uint8_t ip_dst_kind;
	uint8_t ip_src[16];         /* as in flow_key.nw_src */
	uint8_t ip_dst[16];
	uint8_t ip_proto;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t level;              /* enum trace_level */
	uint64_t limit;             /* packets to trace before the tracer dies; 0 = no limit */
};

struct tracer {
	uint32_t id;
	struct trace_spec spec;
	uint64_t matched;           /* packets traced so far */
};

struct trace_line {
	uint64_t seq;               /* 1, 2, ...: readers ask for lines after one they saw */
	uint64_t cookie;
	char text[TRACE_LINE_LEN];  /* without the cookie prefix */
};

/* All zero is a valid empty state. */
struct trace_state {
	struct tracer tracers[TRACE_MAX_TRACERS];
	uint32_t n_tracers;
	uint32_t last_id;
	uint64_t last_cookie;
	uint64_t last_seq;
	uint64_t packets_traced;
	uint64_t tracers_expired;   /* died at their limit */
	struct trace_line *log;     /* TRACE_LOG_LINES, a ring indexed by seq; made by trace_add */
};

void trace_state_free(struct trace_state *ts);

/* Does spec match key?  Fields not in spec.fields match anything. */
bool trace_spec_match(const struct trace_spec *spec, const struct flow_key *key);

/* The same spec (level and limit included)? mm-trace removes by spec. */
bool trace_spec_equal(const struct trace_spec *a, const struct trace_spec *b);

/*
 * mm-trace's own syntax ("--debug --ip-dst 192.0.2.1 --limit 5"), so a
 * listed tracer can be added again as it reads.  Returns the length.
 */
int trace_spec_format(const struct trace_spec *spec, char *buf, size_t len);

/* Add a tracer: its id, or -EEXIST (the same spec is there), -ENOSPC, -ENOMEM. */
int trace_add(struct trace_state *ts, const struct trace_spec *spec);
/* Remove tracers: by id (0 or -ENOENT), by spec (how many), all (how many). */
int trace_remove_id(struct trace_state *ts, uint32_t id);
unsigned int trace_remove_spec(struct trace_state *ts, const struct trace_spec *spec);
unsigned int trace_flush(struct trace_state *ts);

/*
 * The first tracer matching key takes the packet: it counts it, dies if
 * that was its last, and the packet gets a new cookie (0: not traced).
 */
uint64_t trace_begin(struct trace_state *ts, const struct flow_key *key, uint8_t *level,
		     uint32_t *tracer_id);

/* Would a tracer take this key?  (Nothing counted.) */
bool trace_wanted(const struct trace_state *ts, const struct flow_key *key);

/* Append a line for cookie to the ring and the log. */
void trace_line(struct trace_state *ts, uint64_t cookie, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Visit the lines still in the ring with seq > since (and of cookie, unless
 * 0), oldest first, at most max.  Returns the last seq looked at (visited
 * or skipped), to pass as since next time.
 */
uint64_t trace_read(const struct trace_state *ts, uint64_t since, uint64_t cookie, unsigned int max,
		    void (*visit)(void *arg, const struct trace_line *line), void *arg);

#endif
