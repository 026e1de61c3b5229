/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAT in the walk (MIDONET-MODEL §3): what the dnat, snat, rev_dnat and
 * rev_snat rules of a chain do to a packet.  For the simulation files only.
 *
 * A rule reads and rewrites the walk's current headers (sim_ctx.cur) and
 * appends the same rewrite to the flow's actions (set_ipv4_src/dst), so
 * every later device, chain and the route lookup see the translated packet,
 * and the fast path translates the rest of the flow.
 *
 * - Static: one target address, no port range (a floating IP).  dnat sets
 *   the destination, snat the source; no state, both directions are two
 *   static rules.
 * - Dynamic: a binding per connection, made by the first packet and kept in
 *   the connection table (sim/conntrack.h) under the tuple the rule rewrote
 *   and under the tuple of its answers.  snat picks an address and port
 *   from its targets that no other connection to the same remote end uses
 *   (masquerade never collides); dnat picks by a hash of the connection.
 *   rev_snat / rev_dnat turn answers back by that binding; a packet no
 *   binding names goes on to the next rule, unchanged.  Flows carry the
 *   keys' tags and keep the binding alive; it ages like a connection.
 * - ICMP errors: an error about a translated packet quotes it.  The rules
 *   read the error by the quoted packet's connection (its tuple reversed)
 *   and rewrite the outer address and, in the quote, the mirrored address
 *   and port, so the sender sees its own packet quoted back.  Such a walk
 *   is not cached: the quote is not in the key.  An error whose quote is
 *   too short to read the connection from (or split over fragments) is
 *   dropped at any NAT rule it matches: it cannot leave translated.
 * - Fragments: a dynamic rule translates every fragment of a datagram as
 *   it translated the header fragment (sim/nat_frag.h); a static one
 *   rewrites the address of each fragment alike, cached as two flows.
 */
#ifndef KAIRO_NAT_H
#define KAIRO_NAT_H

#include "sim_walk.h"

enum nat_verdict {
	NAT_APPLIED = 0,  /* rewritten: the rule's action decides what follows */
	NAT_NOT_APPLICABLE, /* not IPv4, or an answer no binding names: next rule */
	NAT_FAILED,       /* no free address and port, no room, untranslatable, or the
			   * packet waits (res->consumed): stop (c's drop set) */
};

/* Apply NAT rule r at a hook of the device the packet entered by in_port. */
enum nat_verdict nat_apply(struct sim_ctx *c, const struct topo_rule *r, uint32_t in_port);

/* Write a result's translated quote (sim_result.icmp_inner) into the ICMP error m. */
void nat_icmp_inner_write(struct rte_mbuf *m, const struct sim_result *res);

#endif
