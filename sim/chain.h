/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule chains in the walk (MIDONET-MODEL §3; topology.h has the rules).
 * For the simulation files only.
 *
 * A filter is a chain run at one point of the walk: a port's inbound and
 * outbound filter as the frame enters and leaves through it, a bridge's as
 * it enters and once the bridge chose where it goes, a router's before
 * routing (pre-routing, the ingress port known) and after (post-routing,
 * both ports known).  Rules are read against the walk's current headers
 * (sim_ctx.cur) in `pos` order, and evaluation stops at the first rule that
 * decides: a packet costs only the rules it reaches.  Every chain evaluated
 * tags the flow, so a changed chain removes exactly the flows that read it.
 */
#ifndef KAIRO_CHAIN_H
#define KAIRO_CHAIN_H

#include "sim_walk.h"

/* Chains a packet may jump through; deeper is taken for a jump loop and dropped. */
#define CHAIN_JUMP_MAX 16

/* A chain's name (its id when it has none), a rule type's word ("accept", "snat", ...). */
const char *chain_name(const struct topo_chain *ch);
const char *chain_rule_type_name(uint8_t type);

/*
 * Run chain (TOPO_NO_INDEX: none) on the packet at a hook, "kind name hook"
 * in trace lines ("port p1 inbound"), with the ports known there (in_port: the port the
 * packet entered the current device by; out_port: where it leaves, or
 * TOPO_NO_INDEX).  True when the packet goes on; false when a rule dropped
 * or rejected it (the drop is recorded, a reject's answer emitted).
 */
bool chain_filter(struct sim_ctx *c, uint32_t chain, uint32_t in_port, uint32_t out_port,
		  const char *kind, const char *name, const char *hook);

/*
 * End of a walk: a packet a chain took for a new connection is recorded if
 * the walk let it through (forwarded); a cached flow keeps the connection
 * alive (sim_hold).
 */
void chain_conntrack_finish(struct sim_ctx *c, bool forwarded);

#endif
