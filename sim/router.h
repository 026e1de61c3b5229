/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside a virtual router, between its IPv4 half (sim/router.c: ARP, the
 * neighbour table, the walk's entry) and its IPv6 half (sim/router6.c:
 * neighbour discovery, ICMPv6, IPv6 forwarding).  For those two files only.
 */
#ifndef KAIRO_ROUTER_H
#define KAIRO_ROUTER_H

#include "sim_walk.h"

/* Equal-cost routes spread over at most this many. */
#define ROUTE_MULTIPATH_MAX 16

/* The router's name for trace lines. */
const char *router_name(const struct topo_router *r);
/* "router edge: route 0.0.0.0/0 via port p1 gateway 192.0.2.1 (normal, weight 100)": trace and explain. */
int router_route_format(const struct topology *t, const struct topo_router *r,
			const struct topo_route *rt, char *buf, size_t len);

/* Trace line (when traced): the route a packet took, "10.2.0.0/24 via port X ...". */
void router_trace_route(struct sim_ctx *c, const struct topo_router *r,
			const struct topo_route *rt);

/* An IPv6 frame entering router r on port in (r is up). */
void router6_ingress(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in);

/*
 * The next hop's MAC, or NULL: then the packet waits (consumed) and an ARP
 * request or neighbour solicitation asks for it.  nh is IPv4-mapped for IPv4.
 */
const struct rte_ether_addr *router_resolve(struct sim_ctx *c, const struct topo_router *r,
					    const struct topo_port *out,
					    const uint8_t nh[NEIGH_ADDR_LEN]);

/*
 * Out of out towards next hop nh: resolve it (or queue the packet), rewrite
 * the MACs, count the router for the fast path's checks, leave.
 */
void router_send(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *out,
		 const uint8_t nh[NEIGH_ADDR_LEN]);

/*
 * The neighbour addr is at mac, behind in: create or update its entry, release
 * its queue; true if that changed what the router knew.  router_neigh_learn()
 * is the walk's (it writes a change behind); router_neigh_set() the thread's
 * (an entry found in the state store).
 */
bool router_neigh_set(struct sim_thread *st, const struct topo_router *r,
		      const struct topo_port *in, const uint8_t addr[NEIGH_ADDR_LEN],
		      const struct rte_ether_addr *mac, uint64_t now);
void router_neigh_learn(struct sim_ctx *c, const struct topo_router *r,
			const struct topo_port *in, const uint8_t addr[NEIGH_ADDR_LEN],
			const struct rte_ether_addr *mac);

/* The waiting room gave up on w, a packet whose next hop never answered (WAIT_NEIGHBOUR). */
struct waiter;
void router_wait_expired(struct sim_thread *st, struct waiter *w, uint64_t now);

/* A neighbour solicitation for target out of port out (sim/router6.c). */
struct rte_mbuf *router6_solicit(struct sim_thread *st, const struct topo_port *out,
				 const uint8_t target[NEIGH_ADDR_LEN]);

/* ICMPv6 address unreachable for a packet whose next hop never answered (sim/router6.c). */
struct rte_mbuf *router6_unreachable(struct sim_thread *st, const struct rte_mbuf *q,
				     const struct topo_port *in,
				     const struct rte_ether_addr *from);

#endif
