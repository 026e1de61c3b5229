/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A packet through a virtual router (MIDONET-MODEL §2): ARP for its port
 * addresses, ICMP echo for them, and forwarding: route lookup, TTL, MTU,
 * next-hop resolution, Ethernet rewrite.  ICMP errors follow RFC 1812 4.3.
 * IPv6 is sim/router6.c's; the neighbour table (next hops of both families,
 * the packets waiting on them, retries and expiry) is here.
 *
 * What the fast path cannot decide from the key (TTL, length) is left to
 * the CHECK_IPV4 action sim_finish puts first: a packet that fails it comes
 * back here, and this code sends the ICMP error.
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include "chain.h"
#include "flow_tags.h"
#include "packet_gen.h"
#include "router.h"
#include "shared_state.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_FRAG_NEEDED 4
#define ICMP_ADMIN_PROHIBITED 13
#define ICMP_TIME_EXCEEDED 11
#define ICMP_ECHO_REQUEST 8
/* ARP housekeeping runs this often. */
#define ARP_HOUSEKEEPING_MS 100

static rte_be32_t
key_ipv4(const uint8_t *addr)
{
	rte_be32_t a;

	memcpy(&a, addr, sizeof(a));
	return a;
}

static const struct rte_ipv4_hdr *
packet_ipv4(const struct sim_ctx *c)
{
	return rte_pktmbuf_mtod_offset(c->m, const struct rte_ipv4_hdr *, c->meta->l3_ofs);
}

/*
 * Longest destination prefix among the routes whose source prefix matches;
 * among those of equal length and weight, one chosen by the flow's hash, so
 * a flow keeps its path.  Routes through a down port are skipped.
 */
static const struct topo_route *
route_lookup(const struct topology *t, const struct topo_router *r, rte_be32_t src,
	     rte_be32_t dst, uint32_t hash)
{
	const struct topo_route *cand[ROUTE_MULTIPATH_MAX];
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < r->n_routes; i++) {
		const struct topo_route *rt = &r->routes[i];

		if (n > 0 && (rt->dst_len != cand[0]->dst_len || rt->weight != cand[0]->weight))
			break;
		if (rt->ipv6)
			continue;
		if (!ipv4_in_prefix(dst, rt->dst, rt->dst_len) ||
		    !ipv4_in_prefix(src, rt->src, rt->src_len))
			continue;
		if (rt->port != TOPO_NO_INDEX && !t->ports[rt->port].admin_up)
			continue;
		if (n < ROUTE_MULTIPATH_MAX)
			cand[n++] = rt;
	}
	if (n == 0)
		return NULL;
	return cand[n == 1 ? 0 : hash % n];
}

const char *
router_name(const struct topo_router *r)
{
	return r->name[0] != '\0' ? r->name : r->id;
}

void
router_trace_route(struct sim_ctx *c, const struct topo_router *r, const struct topo_route *rt)
{
	char line[TRACE_LINE_LEN];

	if (likely(c->trace_cookie == 0))
		return;
	router_route_format(c->t, r, rt, line, sizeof(line));
	sim_trace(c, "%s", line);
}

int
router_route_format(const struct topology *t, const struct topo_router *r,
		    const struct topo_route *rt, char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN] = "";
	static const char *const types[] = {"normal", "blackhole", "reject"};
	int af = rt->ipv6 ? AF_INET6 : AF_INET;

	inet_ntop(af, rt->ipv6 ? (const void *)rt->dst6 : (const void *)&rt->dst, dst, sizeof(dst));
	if (rt->ipv6 ? rt->gateway6[0] || memcmp(rt->gateway6, rt->gateway6 + 1, 15) : rt->gateway)
		inet_ntop(af, rt->ipv6 ? (const void *)rt->gateway6 : (const void *)&rt->gateway, gw,
			  sizeof(gw));
	return snprintf(buf, len, "router %s: route %s/%u%s%s%s%s (%s, weight %u%s)",
			router_name(r), dst, rt->dst_len, rt->type == ROUTE_NORMAL ? " via port " : "",
			rt->type == ROUTE_NORMAL ? t->ports[rt->port].id : "", gw[0] ? " gateway " : "",
			gw, types[rt->type], rt->weight, rt->connected ? ", connected" : "");
}

/* A neighbour address as people write it. */
static const char *
neigh_addr_str(const uint8_t nh[NEIGH_ADDR_LEN], char *buf, size_t len)
{
	rte_be32_t v4;

	if (neigh_addr_is_ipv4(nh)) {
		v4 = neigh_addr_ipv4(nh);
		return inet_ntop(AF_INET, &v4, buf, len);
	}
	return inet_ntop(AF_INET6, nh, buf, len);
}

/* An ICMP error about the packet, sent back from the port it came in on. */
static void
router_icmp_error(struct sim_ctx *c, const struct topo_port *in, uint8_t type, uint8_t code,
		  uint16_t mtu)
{
	struct rte_mbuf *e = packet_gen_icmp_error(c->st->pool, c->m, c->meta->l3_ofs, type, code,
						   mtu, &in->mac, in->ip, &c->cur.eth_src);

	if (e != NULL) {
		c->st->stats.icmp_sent++;
		sim_emit(c, e, in->index);
	}
	/* Even when no error may be sent (RFC 1812 4.3.2.7), the answer depends on the packet. */
	c->res->cacheable = false;
}

/* The packets that waited on this next hop are walked again (sim/waiting_room.h). */
static void
arp_release(struct sim_thread *st, struct arp_entry *e)
{
	if (e->n_queued == 0)
		return;
	st->stats.requeued += waiting_room_wake_on(st->waiting, WAIT_NEIGHBOUR,
						   tag_neigh(e->router, e->addr));
	e->n_queued = 0;
}

/*
 * A packet waits for next hop e (its ARP request or solicitation is out)
 * until the answer, or until the last retry goes unanswered.
 */
static bool
arp_wait(struct sim_ctx *c, struct arp_entry *e, bool v4)
{
	const uint64_t retry = (uint64_t)ARP_RETRY_MS * rte_get_tsc_hz() / 1000;
	union wait_context ctx = {.neighbour = {.in_port = c->in_router_port,
						.from = c->cur.eth_src,
						.ipv4 = v4}};
	struct sim_group one = {.pkts = {c->m}, .n = 1};
	uint64_t deadline = e->retry_tsc + (uint64_t)(ARP_RETRIES - e->tries) * retry;

	if (waiting_room_park(c->st->waiting, WAIT_NEIGHBOUR, tag_neigh(e->router, e->addr), &one,
			      deadline, &ctx) < 0) {
		sim_drop(c, DROP_WAITING_ROOM_FULL);
		return false;
	}
	e->n_queued++;
	c->res->consumed = true;
	return true;
}

bool
router_neigh_set(struct sim_thread *st, const struct topo_router *r, const struct topo_port *in,
		 const uint8_t addr[NEIGH_ADDR_LEN], const struct rte_ether_addr *mac, uint64_t now)
{
	struct arp_entry *e = arp_table_get(st->arps, r->index, addr, in->index);
	bool changed;

	if (e == NULL) {
		st->stats.drops[DROP_ARP_TABLE_FULL]++;
		return false;
	}
	changed = !e->resolved || !rte_is_same_ether_addr(&e->mac, mac);
	e->mac = *mac;
	e->port = in->index;
	e->resolved = true;
	e->tries = 0;
	e->expires_tsc = now + (uint64_t)ARP_EXPIRY_S * rte_get_tsc_hz();
	if (changed) {
		if (neigh_addr_is_ipv4(addr))
			st->stats.arp_resolved++;
		else
			st->stats.nd_resolved++;
		st->stats.invalidations++;
		flow_cache_invalidate_tag(st->cache, tag_neigh(r->index, addr));
	}
	arp_release(st, e);
	return changed;
}

void
router_neigh_learn(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in,
		   const uint8_t addr[NEIGH_ADDR_LEN], const struct rte_ether_addr *mac)
{
	if (router_neigh_set(c->st, r, in, addr, mac, c->now) && neigh_addr_is_ipv4(addr))
		sim_state_arp(c, r, neigh_addr_ipv4(addr), mac);
}

/* ARP seen by a router port: answer for its address, learn the sender (RFC 826 merge). */
static void
router_arp(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in)
{
	const struct flow_key *k = &c->cur;
	rte_be32_t spa = key_ipv4(k->nw_src), tpa = key_ipv4(k->nw_dst);
	uint8_t sender[NEIGH_ADDR_LEN];
	struct arp_entry *known;

	neigh_addr_from_ipv4(sender, spa);
	/* Every ARP the router sees may teach or ask it something: never cached. */
	c->res->cacheable = false;
	sim_trace(c, "router %s: ARP %s for %s from %s", router_name(r),
		  k->nw_proto == RTE_ARP_OP_REQUEST ? "request" : "reply",
		  inet_ntop(AF_INET, &tpa, (char[INET_ADDRSTRLEN]){0}, INET_ADDRSTRLEN),
		  inet_ntop(AF_INET, &spa, (char[INET_ADDRSTRLEN]){0}, INET_ADDRSTRLEN));
	if (tpa != in->ip) {
		known = arp_table_find(c->st->arps, r->index, sender);
		if (known != NULL && known->resolved)
			router_neigh_learn(c, r, in, sender, &k->eth_src);
		sim_drop(c, DROP_ARP_NOT_FOR_US);
		return;
	}
	if (spa != 0 && ipv4_in_prefix(spa, in->net, in->prefix_len))
		router_neigh_learn(c, r, in, sender, &k->eth_src);
	if (k->nw_proto == RTE_ARP_OP_REQUEST) {
		c->st->stats.arp_replies++;
		sim_emit(c, packet_gen_arp_reply(c->st->pool, &in->mac, in->ip, &k->eth_src, spa),
			 in->index);
	}
	sim_drop(c, DROP_ROUTER_CONSUMED);
}

/* To one of the router's own addresses: echo requests are answered, the rest dropped. */
static void
router_local(struct sim_ctx *c, const struct topo_port *in)
{
	struct rte_mbuf *reply;

	if (c->cur.nw_proto != IPPROTO_ICMP || c->cur.tp_src != ICMP_ECHO_REQUEST ||
	    c->cur.nw_frag != FLOW_FRAG_NONE) {
		sim_drop(c, DROP_ROUTER_LOCAL);
		return;
	}
	c->res->cacheable = false;
	sim_trace(c, "router: echo request to port %s's address: answered", in->id);
	reply = packet_gen_icmp_echo_reply(c->st->pool, c->m, c->meta->l3_ofs);
	if (reply != NULL) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(reply, struct rte_ether_hdr *);

		/* Back to whoever handed it to this port, from this port. */
		eh->src_addr = in->mac;
		eh->dst_addr = c->cur.eth_src;
		c->st->stats.icmp_sent++;
		sim_emit(c, reply, in->index);
	}
	sim_drop(c, DROP_ROUTER_CONSUMED);
}

static bool
router_owns(const struct topology *t, const struct topo_router *r, rte_be32_t ip)
{
	uint32_t i;

	for (i = 0; i < r->n_ports; i++)
		if (t->ports[r->ports[i]].ip == ip)
			return true;
	return false;
}

/* An ARP request or a neighbour solicitation for nh out of out, counted. */
static struct rte_mbuf *
router_solicit(struct sim_thread *st, const struct topo_port *out,
	       const uint8_t nh[NEIGH_ADDR_LEN])
{
	if (neigh_addr_is_ipv4(nh)) {
		st->stats.arp_requests++;
		return packet_gen_arp_request(st->pool, &out->mac, out->ip, neigh_addr_ipv4(nh));
	}
	st->stats.nd_solicits++;
	return router6_solicit(st, out, nh);
}

const struct rte_ether_addr *
router_resolve(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *out,
	       const uint8_t nh[NEIGH_ADDR_LEN])
{
	struct sim_thread *st = c->st;
	bool v4 = neigh_addr_is_ipv4(nh);
	struct arp_entry *e;

	sim_tag(c, tag_neigh(r->index, nh));
	e = arp_table_find(st->arps, r->index, nh);
	if (unlikely(c->trace_cookie != 0)) {
		char addr[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

		if (e != NULL && e->resolved)
			rte_ether_format_addr(mac, sizeof(mac), &e->mac);
		sim_trace(c, "router %s: next hop %s %s%s", router_name(r),
			  neigh_addr_str(nh, addr, sizeof(addr)),
			  mac[0] ? "is at " : "unresolved: the packet waits for the answer",
			  mac);
	}
	if (e != NULL && e->resolved)
		return &e->mac;
	c->res->cacheable = false;
	/* Resolved on another host? (Asked once; the answer walks it again.) */
	if (v4 && (e == NULL || e->tries == 0) && sim_state_ask_arp(c, r, out, neigh_addr_ipv4(nh)))
		return NULL;
	if (c->emit_depth > 0) {
		/* The simulation's own packets do not wait. */
		sim_drop(c, v4 ? DROP_ARP_UNRESOLVED : DROP_ND_UNRESOLVED);
		return NULL;
	}
	e = arp_table_get(st->arps, r->index, nh, out->index);
	if (e == NULL) {
		sim_drop(c, DROP_ARP_TABLE_FULL);
		return NULL;
	}
	if (e->n_queued == ARP_QUEUE_MAX) {
		sim_drop(c, v4 ? DROP_ARP_QUEUE_FULL : DROP_ND_QUEUE_FULL);
		return NULL;
	}
	if (e->tries == 0) {
		e->tries = 1;
		e->retry_tsc = c->now + (uint64_t)ARP_RETRY_MS * rte_get_tsc_hz() / 1000;
		sim_emit(c, router_solicit(st, out, nh), out->index);
	}
	arp_wait(c, e, v4);
	return NULL;
}

void
router_send(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *out,
	    const uint8_t nh[NEIGH_ADDR_LEN])
{
	const struct rte_ether_addr *nh_mac = router_resolve(c, r, out, nh);

	if (nh_mac == NULL)
		return;
	flow_actions_set_eth(&c->res->actions, 0, &out->mac);
	flow_actions_set_eth(&c->res->actions, 1, nh_mac);
	c->cur.eth_src = out->mac;
	c->cur.eth_dst = *nh_mac;
	/* The fast path checks TTL (or hop limit) and length against every router crossed. */
	c->routers++;
	if (c->min_mtu == 0 || out->mtu < c->min_mtu)
		c->min_mtu = out->mtu;
	sim_port_egress(c, out);
}

static void
router_forward(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in)
{
	const struct rte_ipv4_hdr *ip = packet_ipv4(c);
	rte_be32_t src = key_ipv4(c->cur.nw_src), dst = key_ipv4(c->cur.nw_dst);
	uint8_t nh[NEIGH_ADDR_LEN];
	const struct topo_route *rt;
	const struct topo_port *out;
	uint16_t len = rte_be_to_cpu_16(ip->total_length);

	/* RFC 1812 5.3.1: a packet whose TTL would reach 0 here is not forwarded. */
	if (ip->time_to_live <= c->routers + 1) {
		sim_trace(c, "router %s: TTL %u expires here", router_name(r), ip->time_to_live);
		router_icmp_error(c, in, ICMP_TIME_EXCEEDED, 0, 0);
		sim_drop(c, DROP_TTL_EXPIRED);
		return;
	}
	rt = route_lookup(c->t, r, src, dst, c->meta->hash);
	if (rt == NULL) {
		sim_trace(c, "router %s: no route", router_name(r));
		router_icmp_error(c, in, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0);
		sim_drop(c, DROP_NO_ROUTE);
		return;
	}
	sim_tag(c, tag_route(rt->index));
	explain_note(&c->res->explain, EXPLAIN_ROUTE, rt->index);
	router_trace_route(c, r, rt);
	if (rt->type == ROUTE_BLACKHOLE) {
		sim_drop(c, DROP_BLACKHOLE_ROUTE);
		return;
	}
	if (rt->type == ROUTE_REJECT) {
		router_icmp_error(c, in, ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, 0);
		sim_drop(c, DROP_REJECT_ROUTE);
		return;
	}
	out = &c->t->ports[rt->port];
	if (len > out->mtu) {
		sim_trace(c, "router %s: %u bytes do not fit port %s's MTU %u", router_name(r), len,
			  out->id, out->mtu);
		/* RFC 1191: DF set, so say how large a packet fits; without DF we do not fragment. */
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
			router_icmp_error(c, in, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, out->mtu);
			sim_drop(c, DROP_FRAG_NEEDED);
		} else {
			c->res->cacheable = false;
			sim_drop(c, DROP_MTU_EXCEEDED);
		}
		return;
	}
	if (!chain_filter(c, r->outbound_filter, in->index, out->index, "router", router_name(r),
			  "outbound (post-routing)"))
		return;
	neigh_addr_from_ipv4(nh, rt->gateway != 0 ? rt->gateway : dst);
	router_send(c, r, out, nh);
}

void
router_ingress(struct sim_ctx *c, const struct topo_port *in)
{
	const struct topo_router *r = &c->t->routers[in->device];
	const struct flow_key *k = &c->cur;
	bool bcast = rte_is_broadcast_ether_addr(&k->eth_dst);

	sim_tag(c, tag_router(r->index));
	if (!r->admin_up) {
		sim_trace(c, "router %s: admin down", router_name(r));
		sim_drop(c, DROP_ROUTER_DOWN);
		return;
	}
	if (k->l3_kind == FLOW_L3_IPV6) {
		router6_ingress(c, r, in);
		return;
	}
	if (!bcast && !rte_is_same_ether_addr(&k->eth_dst, &in->mac)) {
		sim_drop(c, DROP_NOT_FOR_ROUTER);
		return;
	}
	if (k->l3_kind == FLOW_L3_ARP) {
		router_arp(c, r, in);
		return;
	}
	/* Only frames addressed to the port are routed, never L2 broadcasts (RFC 1812 5.3.4). */
	if (k->l3_kind != FLOW_L3_IPV4 || bcast) {
		sim_drop(c, DROP_ROUTER_NOT_IPV4);
		return;
	}
	c->in_router_port = in->index;
	if (!chain_filter(c, r->inbound_filter, in->index, TOPO_NO_INDEX, "router", router_name(r),
			  "inbound (pre-routing)"))
		return;
	if (router_owns(c->t, r, key_ipv4(k->nw_dst))) {
		router_local(c, in);
		return;
	}
	router_forward(c, r, in);
}

/*
 * A packet waited for a next hop that never answered: host unreachable (RFC
 * 1812 4.3.3.1) or address unreachable (RFC 4861 7.3.3, RFC 4443 3.1) to its
 * sender, from the port it came in on.
 */
void
router_wait_expired(struct sim_thread *st, struct waiter *w, uint64_t now)
{
	const struct topology *t = st->topo;
	struct rte_mbuf *q = w->g.pkts[0];
	const struct topo_port *in = &t->ports[w->ctx.neighbour.in_port];
	struct rte_mbuf *err;

	if (w->ctx.neighbour.ipv4) {
		err = packet_gen_icmp_error(st->pool, q, pkt_meta(q)->l3_ofs, ICMP_DEST_UNREACH,
					    ICMP_HOST_UNREACH, 0, &in->mac, in->ip,
					    &w->ctx.neighbour.from);
		st->stats.drops[DROP_ARP_UNRESOLVED]++;
		st->stats.icmp_sent += err != NULL;
	} else {
		err = router6_unreachable(st, q, in, &w->ctx.neighbour.from);
		st->stats.drops[DROP_ND_UNRESOLVED]++;
		st->stats.icmp6_sent += err != NULL;
	}
	if (err != NULL)
		sim_send_made(st, err, in->index, pkt_meta(q)->worker, now, 1);
	rte_pktmbuf_free(q);
}

/* Retry ARP / ND for pending next hops, give up after ARP_RETRIES, forget expired entries. */
void
sim_arp_housekeeping(struct sim_thread *st, uint64_t now)
{
	const struct topology *t = st->topo;
	struct arp_entry *e;
	uint32_t next = 0;

	if (now < st->next_arp_hk)
		return;
	st->next_arp_hk = now + (uint64_t)ARP_HOUSEKEEPING_MS * rte_get_tsc_hz() / 1000;
	while (arp_table_iterate(st->arps, &next, &e) == 0) {
		const struct topo_port *p = &t->ports[e->port];
		bool v4 = neigh_addr_is_ipv4(e->addr);

		if (e->resolved) {
			if (now < e->expires_tsc)
				continue;
			if (v4)
				st->stats.arp_expired++;
			else
				st->stats.nd_expired++;
			st->stats.invalidations++;
			flow_cache_invalidate_tag(st->cache, tag_neigh(e->router, e->addr));
			arp_table_delete(st->arps, e);
			continue;
		}
		if (now < e->retry_tsc)
			continue;
		if (e->tries < ARP_RETRIES) {
			e->tries++;
			e->retry_tsc = now + (uint64_t)ARP_RETRY_MS * rte_get_tsc_hz() / 1000;
			struct rte_mbuf *req = router_solicit(st, p, e->addr);

			if (req != NULL)
				sim_send_made(st, req, p->index, 0, now, 1);
			continue;
		}
		/* No answer: what waited for it is given up on by the waiting room (router_wait_expired). */
		arp_table_delete(st->arps, e);
	}
}
