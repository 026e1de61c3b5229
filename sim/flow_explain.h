/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow explain: how the simulation decided a cached flow, recorded when the
 * walk runs and read back by "kairoctl flow explain" long after the packet
 * went, as neither OVS's ofproto/trace nor MidoNet's mm-trace can (they walk
 * a packet again, against today's tables).
 *
 * The walk notes each decision as a 32-bit step: the ports it entered
 * devices by, each rule that matched (chain and rule index), a chain that
 * ended with no rule deciding, the route each router chose.  The flow keeps
 * up to FLOW_EXPLAIN_MAX steps beside the topology version it was decided
 * against (pipeline/flow_cache.h): 53 bytes a flow.  What else explains it
 * is already held for other reasons and read, not copied: the MAC entry it
 * keeps alive, its connection and NAT bindings, the neighbour entries its
 * tags name, the meters.
 *
 * A flow still in the cache is what a new simulation would decide: every
 * object it read is in its tags, and a change to any of them removed it.
 * So the flows a change made stale are remembered when they go: the last
 * FLOW_EXPLAIN_REMOVED of them, with their record, the version they were
 * decided against and what removed them, answer "why did my flow change".
 */
#ifndef KAIRO_FLOW_EXPLAIN_H
#define KAIRO_FLOW_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "flow_cache.h"

enum explain_step_kind {
	EXPLAIN_PORT_IN = 1,      /* value: the port index the walk entered a device by */
	EXPLAIN_RULE = 2,         /* value: chain index << 16 | rule index: the rule matched */
	EXPLAIN_CHAIN_ACCEPT = 3, /* value: chain index: no rule decided, the chain accepts */
	EXPLAIN_ROUTE = 4,        /* value: the route index (over all routers) chosen */
};

#define EXPLAIN_KIND_SHIFT 28
#define EXPLAIN_VALUE_MASK ((1u << EXPLAIN_KIND_SHIFT) - 1)
/* A rule step keeps 12 bits of the chain index and 16 of the rule's. */
#define EXPLAIN_CHAIN_MAX (1u << 12)
#define EXPLAIN_RULE_MAX (1u << 16)

/* Invalidated flows remembered, oldest forgotten first. */
#define FLOW_EXPLAIN_REMOVED 64

/* A walk's record so far (in struct sim_result). */
struct explain_record {
	uint32_t step[FLOW_EXPLAIN_MAX];
	uint8_t n;
	bool truncated; /* more steps than a flow holds: the first ones are kept */
};

static inline void
explain_note(struct explain_record *r, enum explain_step_kind kind, uint32_t value)
{
	if (value > EXPLAIN_VALUE_MASK || r->n == FLOW_EXPLAIN_MAX) {
		r->truncated = true;
		return;
	}
	r->step[r->n++] = (uint32_t)kind << EXPLAIN_KIND_SHIFT | value;
}

static inline void
explain_note_rule(struct explain_record *r, uint32_t chain, uint32_t rule)
{
	if (chain >= EXPLAIN_CHAIN_MAX || rule >= EXPLAIN_RULE_MAX) {
		r->truncated = true;
		return;
	}
	explain_note(r, EXPLAIN_RULE, chain << 16 | rule);
}

struct sim_thread;
struct flow;
struct flow_removed_memory;

/* Keep a walk's record in the flow installed for it (the simulation thread). */
void flow_explain_keep(struct flow *f, const struct explain_record *r, uint64_t version);

/*
 * A flow's explanation as JSON (simulation thread): its match and actions,
 * the version it was decided against and the one in use, the walk in words,
 * the MAC, neighbour and NAT entries it uses, and whether it still stands.
 */
json_t *flow_explain_json(struct sim_thread *st, const struct flow *f);

/* Remember a flow an invalidation removed, and the tag that did (flow_cache_invalidating_tag). */
void flow_explain_removed(struct sim_thread *st, const struct flow *f, uint64_t tag);

/*
 * The remembered removals whose key match(arg, key) selects, newest first,
 * at most max, as JSON: what "flow explain" says of flows no longer cached.
 */
json_t *flow_explain_removed_json(struct sim_thread *st,
				  bool (*match)(const struct flow_key *key, const void *arg),
				  const void *arg, unsigned int max);

/* The thread's memory of removed flows: made and freed with it. 0 or -ENOMEM. */
int flow_explain_init(struct sim_thread *st);
void flow_explain_free(struct sim_thread *st);
/* Around a topology change's invalidations: the version changing to, for what it removes. */
void flow_explain_change_begin(struct sim_thread *st, uint64_t version);
void flow_explain_change_end(struct sim_thread *st);

#endif
