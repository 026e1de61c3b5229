/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv6 through a virtual router: neighbour discovery for its addresses
 * (RFC 4861), ICMPv6 echo for them, and forwarding: route lookup, hop limit,
 * MTU, next-hop resolution by neighbour solicitation, Ethernet rewrite.
 * ICMPv6 errors follow RFC 4443.
 *
 * A router port owns its configured address (address6) and the link-local
 * address derived from its MAC.  Link-local addresses mean something only on
 * their link: the router answers for the link-local of the port a packet came
 * in by, and never forwards a packet from or to one (RFC 4291 2.5.6).
 *
 * As for IPv4, the hop limit and the length are not in the flow key: the
 * CHECK_IPV6 action sim_finish puts first sends a packet that would fail
 * them back here, and this code sends the ICMPv6 error.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "chain.h"
#include "flow_tags.h"
#include "packet_gen.h"
#include "router.h"

/* ICMPv6 types and codes (RFC 4443 3, 4; RFC 4861 4). */
#define ICMP6_DEST_UNREACH 1
#define ICMP6_NO_ROUTE 0
#define ICMP6_ADMIN_PROHIBITED 1
#define ICMP6_BEYOND_SCOPE 2
#define ICMP6_ADDR_UNREACH 3
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_HOP_LIMIT_EXCEEDED 0
#define ICMP6_ECHO_REQUEST 128
#define ND_ROUTER_SOLICIT 133
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_REDIRECT 137

/* RFC 4861 7.1: a hop limit below 255 means the message crossed a router: not from this link. */
#define ND_HOP_LIMIT 255
/* type, code, checksum, 4 bytes (reserved or flags), target; options follow. */
#define ND_MSG_LEN 24
#define ND_TARGET_OFS 8
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
/* Options are counted in 8-octet units (RFC 4861 4.6). */
#define ND_OPT_UNIT 8
/* In the first byte of an advertisement's flags word. */
#define ND_NA_SOLICITED_BYTE 0x40
#define ND_NA_OVERRIDE_BYTE 0x20

static const struct rte_ipv6_hdr *
packet_ipv6(const struct sim_ctx *c)
{
	return rte_pktmbuf_mtod_offset(c->m, const struct rte_ipv6_hdr *, c->meta->l3_ofs);
}

static bool
ipv6_equal(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, IPV6_ADDR_LEN) == 0;
}

/* Does port p own a (its global address or its link-local one)? */
static bool
port_owns6(const struct topo_port *p, const uint8_t *a)
{
	return ipv6_equal(a, p->ll6) || (p->has_ip6 && ipv6_equal(a, p->ip6));
}

/* The global address of any port, or the link-local of the port the packet came in by. */
static bool
router6_owns(const struct topology *t, const struct topo_router *r, const struct topo_port *in,
	     const uint8_t *a)
{
	uint32_t i;

	if (ipv6_is_link_local(a))
		return ipv6_equal(a, in->ll6);
	for (i = 0; i < r->n_ports; i++) {
		const struct topo_port *p = &t->ports[r->ports[i]];

		if (p->has_ip6 && ipv6_equal(a, p->ip6))
			return true;
	}
	return false;
}

/* Which of p's addresses to speak from to peer: a link-local peer gets the link-local one. */
static const uint8_t *
port_src6(const struct topo_port *p, const uint8_t *peer)
{
	return p->has_ip6 && !ipv6_is_link_local(peer) ? p->ip6 : p->ll6;
}

/* As route_lookup in sim/router.c, over the IPv6 routes. */
static const struct topo_route *
route6_lookup(const struct topology *t, const struct topo_router *r, const uint8_t *src,
	      const uint8_t *dst, uint32_t hash)
{
	const struct topo_route *cand[ROUTE_MULTIPATH_MAX];
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < r->n_routes; i++) {
		const struct topo_route *rt = &r->routes[i];

		if (n > 0 && (rt->dst_len != cand[0]->dst_len || rt->weight != cand[0]->weight))
			break;
		if (!rt->ipv6 || !ipv6_in_prefix(dst, rt->dst6, rt->dst_len) ||
		    !ipv6_in_prefix(src, rt->src6, rt->src_len))
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

/* An ICMPv6 error about the packet, sent back from the port it came in on. */
static void
router6_error(struct sim_ctx *c, const struct topo_port *in, uint8_t type, uint8_t code,
	      uint32_t param)
{
	struct rte_mbuf *e = packet_gen_icmp6_error(c->st->pool, c->m, c->meta->l3_ofs, type,
						    code, param, &in->mac,
						    port_src6(in, c->cur.nw_src), &c->cur.eth_src);

	if (e != NULL) {
		c->st->stats.icmp6_sent++;
		sim_emit(c, e, in->index);
	}
	/* Even when no error may be sent (RFC 4443 2.4 (e)), the answer depends on the packet. */
	c->res->cacheable = false;
}

struct rte_mbuf *
router6_solicit(struct sim_thread *st, const struct topo_port *out,
		const uint8_t target[NEIGH_ADDR_LEN])
{
	/* RFC 4861 7.2.2: from an address of the interface; the one on the target's network if any. */
	const uint8_t *src = out->has_ip6 && ipv6_in_prefix(target, out->net6, out->prefix6_len) ?
				     out->ip6 : out->ll6;

	return packet_gen_nd_solicit(st->pool, &out->mac, src, target);
}

struct rte_mbuf *
router6_unreachable(struct sim_thread *st, const struct rte_mbuf *q, const struct topo_port *in,
		    const struct rte_ether_addr *from)
{
	const struct pkt_meta *meta = rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)q);

	return packet_gen_icmp6_error(st->pool, q, meta->l3_ofs, ICMP6_DEST_UNREACH,
				      ICMP6_ADDR_UNREACH, 0, &in->mac,
				      port_src6(in, meta->key.nw_src), from);
}

/*
 * The link-layer address option of type want in the options of an ND
 * message (msg, len bytes), into *lla (NULL if absent).  Returns false for
 * an option of length 0, which RFC 4861 4.6 says invalidates the message.
 */
static bool
nd_find_lla(const uint8_t *msg, uint32_t len, uint8_t want, const struct rte_ether_addr **lla)
{
	uint32_t ofs = ND_MSG_LEN;

	*lla = NULL;
	while (ofs + 2 <= len) {
		uint32_t olen = msg[ofs + 1] * ND_OPT_UNIT;

		if (olen == 0 || ofs + olen > len)
			return false;
		if (msg[ofs] == want && *lla == NULL && olen >= 2 + RTE_ETHER_ADDR_LEN)
			*lla = (const struct rte_ether_addr *)(msg + ofs + 2);
		ofs += olen;
	}
	return true;
}

/* A solicitation for one of in's addresses: advertise it, learn the sender (RFC 4861 7.2.3). */
static void
router6_ns(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in,
	   const uint8_t *target, const struct rte_ether_addr *slla)
{
	static const uint8_t all_nodes[IPV6_ADDR_LEN] = {0xff, 0x02, [15] = 0x01};
	static const struct rte_ether_addr all_nodes_mac = {
		.addr_bytes = {0x33, 0x33, 0, 0, 0, 0x01}};
	const uint8_t *src = c->cur.nw_src;
	bool dad = ipv6_is_zero(src);
	uint32_t flags = PACKET_GEN_NA_ROUTER | PACKET_GEN_NA_OVERRIDE;
	const struct rte_ether_addr *dst_mac;

	/* RFC 4861 7.1.1: a solicitation from :: (duplicate address detection) has no SLLA. */
	if (dad && slla != NULL) {
		sim_drop(c, DROP_ND_INVALID);
		return;
	}
	if (!port_owns6(in, target)) {
		sim_drop(c, DROP_ND_NOT_FOR_US);
		return;
	}
	if (slla != NULL && (ipv6_is_link_local(src) ||
			     (in->has_ip6 && ipv6_in_prefix(src, in->net6, in->prefix6_len))))
		router_neigh_learn(c, r, in, src, slla);
	/* RFC 4861 7.2.4: to the solicitor, or to all nodes (S clear) when it has no address yet. */
	if (dad) {
		dst_mac = &all_nodes_mac;
		src = all_nodes;
	} else {
		dst_mac = slla != NULL ? slla : &c->cur.eth_src;
		flags |= PACKET_GEN_NA_SOLICITED;
	}
	c->st->stats.nd_adverts++;
	sim_emit(c, packet_gen_nd_advert(c->st->pool, &in->mac, target, dst_mac, src, flags),
		 in->index);
	sim_drop(c, DROP_ROUTER_CONSUMED);
}

/*
 * An advertisement: only for a next hop the router asked about or knows
 * (RFC 4861 7.2.5: an unsolicited one creates no entry).  Without O, it
 * does not override a MAC already known.
 */
static void
router6_na(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in,
	   const uint8_t *msg, const struct rte_ether_addr *tlla)
{
	const uint8_t *target = msg + ND_TARGET_OFS;
	struct arp_entry *e;

	if (ipv6_is_multicast(c->cur.nw_dst) && (msg[4] & ND_NA_SOLICITED_BYTE)) {
		sim_drop(c, DROP_ND_INVALID);
		return;
	}
	e = arp_table_find(c->st->arps, r->index, target);
	if (e == NULL) {
		sim_drop(c, DROP_ND_NOT_FOR_US);
		return;
	}
	if (tlla != NULL && (!e->resolved || (msg[4] & ND_NA_OVERRIDE_BYTE)))
		router_neigh_learn(c, r, in, target, tlla);
	sim_drop(c, DROP_ROUTER_CONSUMED);
}

/* Neighbour discovery seen by a router port: validated (RFC 4861 7.1), never cached. */
static void
router6_nd(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in)
{
	const struct rte_ipv6_hdr *ip = packet_ipv6(c);
	const uint8_t *msg = rte_pktmbuf_mtod_offset(c->m, const uint8_t *, c->meta->l4_ofs);
	/* The parser saw the whole payload in the first segment. */
	uint32_t len = c->meta->l3_ofs + sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len) -
		       c->meta->l4_ofs;
	uint8_t type = (uint8_t)c->cur.tp_src;
	const struct rte_ether_addr *lla;

	/* What a router says or hears about itself, each a question to the router: never cached. */
	c->res->cacheable = false;
	if (type != ND_NEIGHBOR_SOLICIT && type != ND_NEIGHBOR_ADVERT) {
		/* Virtual routers neither advertise prefixes nor take redirects. */
		sim_drop(c, DROP_ND_IGNORED);
		return;
	}
	if (ip->hop_limits != ND_HOP_LIMIT || c->cur.tp_dst != 0 || len < ND_MSG_LEN ||
	    !packet_gen_icmp6_cksum_ok(ip, msg, len) || ipv6_is_multicast(msg + ND_TARGET_OFS) ||
	    !nd_find_lla(msg, len, type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SLLA : ND_OPT_TLLA, &lla)) {
		sim_drop(c, DROP_ND_INVALID);
		return;
	}
	if (type == ND_NEIGHBOR_SOLICIT)
		router6_ns(c, r, in, msg + ND_TARGET_OFS, lla);
	else
		router6_na(c, r, in, msg, lla);
}

/* To one of the router's own addresses: echo requests are answered, the rest dropped. */
static void
router6_local(struct sim_ctx *c, const struct topo_port *in)
{
	struct rte_mbuf *reply;

	if (c->cur.nw_proto != IPPROTO_ICMPV6 || c->cur.tp_src != ICMP6_ECHO_REQUEST ||
	    c->cur.nw_frag != FLOW_FRAG_NONE) {
		sim_drop(c, DROP_ROUTER_LOCAL);
		return;
	}
	c->res->cacheable = false;
	reply = packet_gen_icmp6_echo_reply(c->st->pool, c->m, c->meta->l3_ofs);
	if (reply != NULL) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(reply, struct rte_ether_hdr *);

		/* Back to whoever handed it to this port, from this port. */
		eh->src_addr = in->mac;
		eh->dst_addr = c->cur.eth_src;
		c->st->stats.icmp6_sent++;
		sim_emit(c, reply, in->index);
	}
	sim_drop(c, DROP_ROUTER_CONSUMED);
}

static void
router6_forward(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in)
{
	const struct rte_ipv6_hdr *ip = packet_ipv6(c);
	const uint8_t *src = c->cur.nw_src, *dst = c->cur.nw_dst;
	uint32_t len = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	const struct topo_route *rt;
	const struct topo_port *out;

	/* RFC 8200 3 / RFC 4443 3.3: a hop limit that would reach 0 here is not forwarded. */
	if (ip->hop_limits <= c->routers + 1) {
		sim_trace(c, "router %s: hop limit %u expires here", router_name(r), ip->hop_limits);
		router6_error(c, in, ICMP6_TIME_EXCEEDED, ICMP6_HOP_LIMIT_EXCEEDED, 0);
		sim_drop(c, DROP_TTL_EXPIRED);
		return;
	}
	/* RFC 4291 2.5.2, 2.5.6: :: and link-local addresses stay on their link. */
	if (ipv6_is_link_local(src) || ipv6_is_link_local(dst) || ipv6_is_zero(src)) {
		if (ipv6_is_link_local(src))
			router6_error(c, in, ICMP6_DEST_UNREACH, ICMP6_BEYOND_SCOPE, 0);
		sim_drop(c, DROP_IPV6_SCOPE);
		return;
	}
	rt = route6_lookup(c->t, r, src, dst, c->meta->hash);
	if (rt == NULL) {
		sim_trace(c, "router %s: no route", router_name(r));
		router6_error(c, in, ICMP6_DEST_UNREACH, ICMP6_NO_ROUTE, 0);
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
		router6_error(c, in, ICMP6_DEST_UNREACH, ICMP6_ADMIN_PROHIBITED, 0);
		sim_drop(c, DROP_REJECT_ROUTE);
		return;
	}
	out = &c->t->ports[rt->port];
	/* RFC 8200 5: routers do not fragment IPv6; the source learns the MTU (RFC 8201). */
	if (len > out->mtu) {
		sim_trace(c, "router %s: %u bytes do not fit port %s's MTU %u", router_name(r), len,
			  out->id, out->mtu);
		router6_error(c, in, ICMP6_PACKET_TOO_BIG, 0, out->mtu);
		sim_drop(c, DROP_PACKET_TOO_BIG);
		return;
	}
	if (!chain_filter(c, r->outbound_filter, in->index, out->index, "router", router_name(r),
			  "outbound (post-routing)"))
		return;
	router_send(c, r, out, ipv6_is_zero(rt->gateway6) ? dst : rt->gateway6);
}

/* RFC 2464 7: IPv6 multicast rides on 33:33:xx:xx:xx:xx. */
static bool
ipv6_multicast_frame(const struct flow_key *k)
{
	return k->eth_dst.addr_bytes[0] == 0x33 && k->eth_dst.addr_bytes[1] == 0x33 &&
	       ipv6_is_multicast(k->nw_dst);
}

void
router6_ingress(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *in)
{
	const struct flow_key *k = &c->cur;

	if (rte_is_multicast_ether_addr(&k->eth_dst) ? !ipv6_multicast_frame(k)
						      : !rte_is_same_ether_addr(&k->eth_dst,
										&in->mac)) {
		sim_drop(c, DROP_NOT_FOR_ROUTER);
		return;
	}
	c->in_router_port = in->index;
	if (k->nw_proto == IPPROTO_ICMPV6 && k->nw_frag == FLOW_FRAG_NONE &&
	    k->tp_src >= ND_ROUTER_SOLICIT && k->tp_src <= ND_REDIRECT) {
		router6_nd(c, r, in);
		return;
	}
	if (ipv6_is_multicast(k->nw_dst)) {
		sim_drop(c, DROP_IPV6_MULTICAST);
		return;
	}
	if (!chain_filter(c, r->inbound_filter, in->index, TOPO_NO_INDEX, "router", router_name(r),
			  "inbound (pre-routing)"))
		return;
	if (router6_owns(c->t, r, in, k->nw_dst)) {
		router6_local(c, in);
		return;
	}
	router6_forward(c, r, in);
}
