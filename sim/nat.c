/* SPDX-License-Identifier: Apache-2.0 */
/* NAT rules in the walk (sim/nat.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "checksum.h"
#include "flow_tags.h"
#include "nat.h"
#include "nat_frag.h"
#include "packet_gen.h"
#include "shared_state.h"

/* Type, code, checksum and four more bytes come before the quote. */
#define ICMP_ERROR_HDR_LEN 8
/* RFC 792: the quote holds the packet's IP header and the first 64 bits of its data. */
#define ICMP_QUOTE_L4_MIN 8

/*
 * Candidates a new binding tries before giving up: enough to find a free
 * port in a range far fuller than any sane one, and a bound on the time one
 * miss may take.
 */
#define NAT_PROBE_MAX 8192

/* An error quotes a packet; fragmented or not, the quote must be translated with it. */
static bool
is_icmp_error(const struct flow_key *k)
{
	return k->nw_proto == IPPROTO_ICMP && icmp_type_quotes_packet((uint8_t)k->tp_src);
}

/* Does the tuple have a port NAT can move: TCP, UDP, or an ICMP echo's identifier? */
static bool
tuple_has_port(const struct ct_key *t)
{
	return t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP ||
	       (t->proto == IPPROTO_ICMP && t->sport == FLOW_ICMP_ECHO_REQUEST);
}

/* The port of one side; an echo has one identifier for both (ct_key_of puts it in dport). */
static uint16_t *
tuple_port(struct ct_key *t, bool dst)
{
	if (t->proto == IPPROTO_ICMP)
		return &t->dport;
	return dst ? &t->dport : &t->sport;
}

static rte_be32_t
tuple_addr(const struct ct_key *t, bool dst)
{
	rte_be32_t a;

	memcpy(&a, dst ? t->dst : t->src, sizeof(a));
	return a;
}

static void
tuple_set(struct ct_key *t, bool dst, rte_be32_t addr, uint16_t port, bool port_too)
{
	memcpy(dst ? t->dst : t->src, &addr, sizeof(addr));
	if (port_too)
		*tuple_port(t, dst) = port;
}

/*
 * The quoted packet of an ICMP error, as a tuple (ct_key_of's form), read
 * once per walk into res->icmp_inner.  False when the quote is shorter than
 * RFC 792 makes it, an IPv4 header and the first 8 bytes of its payload,
 * within the error's own IP length (what follows is Ethernet padding): too
 * little to find the connection by, or to translate.
 */
static bool
icmp_inner_read(struct sim_ctx *c)
{
	const struct rte_mbuf *m = c->m;
	const struct rte_ipv4_hdr *outer = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								   c->meta->l3_ofs);
	uint32_t ofs = (uint32_t)c->meta->l4_ofs + ICMP_ERROR_HDR_LEN;
	uint32_t end = RTE_MIN((uint32_t)rte_pktmbuf_data_len(m),
			       (uint32_t)c->meta->l3_ofs + rte_be_to_cpu_16(outer->total_length));
	const struct rte_ipv4_hdr *ip;
	const uint8_t *l4;
	struct ct_key *t = &c->res->icmp_inner;
	uint32_t ihl;

	if (c->res->icmp_inner_nat)
		return true;
	if (c->meta->l4_ofs == 0 || ofs + sizeof(*ip) > end)
		return false;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, ofs);
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    ofs + ihl + ICMP_QUOTE_L4_MIN > end)
		return false;
	l4 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ofs + ihl);
	memset(t, 0, sizeof(*t));
	t->proto = ip->next_proto_id;
	memcpy(t->src, &ip->src_addr, 4);
	memcpy(t->dst, &ip->dst_addr, 4);
	/* The ports as ct_key_of has them for the quoted packet's own key. */
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP || t->proto == IPPROTO_SCTP) {
		t->sport = rte_be_to_cpu_16(csum_load16(l4));
		t->dport = rte_be_to_cpu_16(csum_load16(l4 + 2));
	} else if (t->proto == IPPROTO_ICMP && flow_icmp_is_echo(IPPROTO_ICMP, l4[0])) {
		t->sport = FLOW_ICMP_ECHO_REQUEST;
		t->dport = rte_be_to_cpu_16(csum_load16(l4 + ICMP_ID_OFS));
	} else if (t->proto == IPPROTO_ICMP) {
		t->sport = l4[0];
		t->dport = l4[1];
	}
	c->res->icmp_inner_nat = true;
	/* The quote is not in the key: each error is walked on its own. */
	c->res->cacheable = false;
	return true;
}

/* Which device translates: bindings of two routers never meet. */
static uint32_t
nat_device(const struct sim_ctx *c, uint32_t in_port)
{
	const struct topo_port *p;

	if (in_port == TOPO_NO_INDEX)
		return UINT32_MAX;
	p = &c->t->ports[in_port];
	return p->device | (p->device_type == TOPO_DEVICE_ROUTER ? 0x80000000u : 0);
}

/*
 * Rewrite one side of the packet: the walk's headers and the flow's actions.
 * An ICMP error changes its outer address only, and the quote's mirrored
 * side (the error travels against the packet it quotes) with its port.
 */
static void
nat_rewrite(struct sim_ctx *c, bool dst, rte_be32_t addr, uint16_t port, bool port_too,
	    bool icmp_error)
{
	struct flow_key *k = &c->cur;

	memcpy(dst ? k->nw_dst : k->nw_src, &addr, sizeof(addr));
	if (icmp_error) {
		tuple_set(&c->res->icmp_inner, !dst, addr, port, port_too);
		port_too = false;
	} else if (port_too) {
		if (flow_icmp_is_echo(k->nw_proto, k->tp_src))
			k->tp_dst = port;
		else if (dst)
			k->tp_dst = port;
		else
			k->tp_src = port;
	}
	/*
	 * A later fragment has no L4 header: its address alone changes, while
	 * the walk's headers keep its header fragment's ports for the next rule.
	 */
	flow_actions_set_ipv4(&c->res->actions, dst, addr, rte_cpu_to_be_16(port),
			      port_too && k->nw_frag != FLOW_FRAG_LATER);
	if (unlikely(c->trace_cookie != 0)) {
		char a[INET_ADDRSTRLEN], p[8] = "";

		inet_ntop(AF_INET, &addr, a, sizeof(a));
		if (port_too || (icmp_error && port != 0))
			snprintf(p, sizeof(p), ":%u", port);
		sim_trace(c, "nat: %s to %s%s%s", dst ? "destination" : "source", a, p,
			  icmp_error ? " (ICMP error: the outer address, and the quote)" : "");
	}
}

static void
tag_tuple(struct sim_ctx *c, const struct ct_key *t)
{
	sim_tag(c, tag_conntrack(ct_key_hash(t)));
}

/* A 1:1 rewrite to the rule's one address (a floating IP): no state. */
static enum nat_verdict
nat_static(struct sim_ctx *c, const struct topo_rule *r, bool icmp_error)
{
	rte_be32_t addr = rte_cpu_to_be_32(r->nat_targets[0].addr_lo);

	c->st->stats.nat_static++;
	nat_rewrite(c, r->type == RULE_DNAT, addr, 0, false, icmp_error);
	return NAT_APPLIED;
}

/* Candidate i of the rule's targets, in order: address by address, port by port. */
static void
nat_candidate(const struct topo_rule *r, uint64_t i, rte_be32_t *addr, uint16_t *port)
{
	uint32_t j;

	*addr = 0;
	*port = 0;
	for (j = 0; j < r->n_nat_targets; j++) {
		const struct topo_nat_target *tg = &r->nat_targets[j];
		uint64_t ports = tg->port_lo == 0 ? 1 : (uint64_t)tg->port_hi - tg->port_lo + 1;
		uint64_t n = ((uint64_t)tg->addr_hi - tg->addr_lo + 1) * ports;

		if (i < n) {
			*addr = rte_cpu_to_be_32(tg->addr_lo + (uint32_t)(i / ports));
			*port = tg->port_lo == 0 ? 0 : (uint16_t)(tg->port_lo + i % ports);
			return;
		}
		i -= n;
	}
}

static uint64_t
nat_candidates(const struct topo_rule *r)
{
	uint64_t n = 0;
	uint32_t j;

	for (j = 0; j < r->n_nat_targets; j++) {
		const struct topo_nat_target *tg = &r->nat_targets[j];

		n += ((uint64_t)tg->addr_hi - tg->addr_lo + 1) *
		     (tg->port_lo == 0 ? 1 : (uint64_t)tg->port_hi - tg->port_lo + 1);
	}
	return n;
}

/* Is (addr, port) free for t: does no binding of this device expect answers on it? */
static bool
nat_candidate_free(struct sim_ctx *c, const struct ct_key *t, bool dst, rte_be32_t addr,
		   uint16_t port, struct ct_key *rev)
{
	struct ct_key x = *t;

	tuple_set(&x, dst, addr, port, tuple_has_port(t) && port != 0);
	ct_key_reverse(&x, rev);
	rev->kind = dst ? CT_KIND_DNAT_REV : CT_KIND_SNAT_REV;
	return conntrack_lookup(c->st->ct, rev) == CT_NO_ENTRY;
}

static bool
snat_port_free(struct sim_ctx *c, const struct ct_key *t, rte_be32_t addr, uint16_t port)
{
	struct ct_key rev;

	return nat_candidate_free(c, t, false, addr, port, &rev);
}

/*
 * The first candidate, from a point the connection's hash picks, that is
 * free.  With a state store, a source port comes from the blocks this host
 * holds (sim/shared_state.h), so no other host can pick it: -EAGAIN when a
 * block was asked for.
 */
static int
nat_pick(struct sim_ctx *c, const struct topo_rule *r, const struct ct_key *t, bool dst,
	 rte_be32_t *addr, uint16_t *port)
{
	uint64_t total = nat_candidates(r), start, i, probes;
	struct ct_key rev;

	if (c->st->shared != NULL && !dst && tuple_has_port(t))
		return sim_state_snat_pick(c, r, t, snat_port_free, addr, port);
	start = rte_hash_crc(t, sizeof(*t), 0) % total;
	probes = total < NAT_PROBE_MAX ? total : NAT_PROBE_MAX;
	for (i = 0; i < probes; i++) {
		nat_candidate(r, (start + i) % total, addr, port);
		if (nat_candidate_free(c, t, dst, *addr, *port, &rev))
			return 0;
	}
	sim_trace(c, "nat: no free address and port among %" PRIu64 " tried", probes);
	return -ENOSPC;
}

/*
 * A new binding for the connection t: an address and port whose answers no
 * other binding of this device expects (their reverse key is free) — so two
 * connections to one remote end never share an address and port.  Ports
 * are tried only on tuples that have one; a target without a port range
 * keeps the port.
 */
static uint32_t
nat_bind(struct sim_ctx *c, const struct topo_rule *r, const struct ct_key *t, bool dst)
{
	struct sim_thread *st = c->st;
	bool has_port = tuple_has_port(t);
	struct ct_key x, rev;
	struct ct_nat nat;
	uint16_t port;
	rte_be32_t addr;
	uint32_t e;
	int ret;

	ret = nat_pick(c, r, t, dst, &addr, &port);
	if (ret == -EAGAIN)
		return CT_NO_ENTRY; /* the walk waits for a block of ports */
	if (ret != 0) {
		sim_drop(c, DROP_NAT_NO_FREE_PORT);
		return CT_NO_ENTRY;
	}
	x = *t;
	tuple_set(&x, dst, addr, port, has_port && port != 0);
	ct_key_reverse(&x, &rev);
	rev.kind = dst ? CT_KIND_DNAT_REV : CT_KIND_SNAT_REV;
	memset(&nat, 0, sizeof(nat));
	nat.orig_addr = tuple_addr(t, dst);
	nat.xlat_addr = addr;
	nat.port = has_port && port != 0;
	if (nat.port) {
		x = *t;
		nat.orig_port = *tuple_port(&x, dst);
		nat.xlat_port = port;
	}
	e = conntrack_add_nat(st->ct, t, &rev, &nat, c->now);
	if (e == CT_NO_ENTRY) {
		sim_drop(c, DROP_NAT_TABLE_FULL);
		return CT_NO_ENTRY;
	}
	st->stats.nat_created++;
	sim_state_created(c, e);
	/* Flows that looked either tuple up and found nothing (an answer that came first) go. */
	st->stats.invalidations += 2;
	flow_cache_invalidate_tag(st->cache, tag_conntrack(ct_key_hash(t)));
	flow_cache_invalidate_tag(st->cache, tag_conntrack(ct_key_hash(&rev)));
	return e;
}

/* dnat / snat with state: the connection's binding, made by its first packet. */
static enum nat_verdict
nat_forward(struct sim_ctx *c, const struct topo_rule *r, struct ct_key *t, bool icmp_error)
{
	bool dst = r->type == RULE_DNAT;
	const struct ct_nat *nat;
	uint32_t e;

	t->kind = dst ? CT_KIND_DNAT_FWD : CT_KIND_SNAT_FWD;
	tag_tuple(c, t);
	e = conntrack_lookup(c->st->ct, t);
	if (e == CT_NO_ENTRY) {
		/* An error about a connection never translated is none of this rule's business. */
		if (icmp_error)
			return NAT_NOT_APPLICABLE;
		/*
		 * A later fragment opens nothing: its header fragment made the
		 * binding, or was dropped, and the datagram cannot be whole.
		 */
		if (c->cur.nw_frag == FLOW_FRAG_LATER) {
			sim_drop(c, DROP_NAT_FRAG_NO_HEADER);
			return NAT_FAILED;
		}
		/* Made on another host of a stateful port group?  Its binding is in the store. */
		if (sim_state_ask(c, t))
			return NAT_FAILED;
		e = nat_bind(c, r, t, dst);
		if (e == CT_NO_ENTRY)
			return NAT_FAILED;
	}
	sim_hold(c, e);
	nat = conntrack_nat(c->st->ct, e);
	nat_rewrite(c, dst, nat->xlat_addr, nat->xlat_port, nat->port, icmp_error);
	return NAT_APPLIED;
}

/* rev_dnat / rev_snat: an answer of a translated connection, turned back. */
static enum nat_verdict
nat_reverse(struct sim_ctx *c, const struct topo_rule *r, struct ct_key *t, bool icmp_error)
{
	bool snat = r->type == RULE_REV_SNAT;
	const struct ct_nat *nat;
	uint32_t e;

	t->kind = snat ? CT_KIND_SNAT_REV : CT_KIND_DNAT_REV;
	tag_tuple(c, t);
	e = conntrack_lookup(c->st->ct, t);
	if (e == CT_NO_ENTRY) {
		/* Its header fragment asked the store already, and was not turned back either. */
		if (c->cur.nw_frag == FLOW_FRAG_LATER)
			return NAT_NOT_APPLICABLE;
		/* An answer arriving at another host than its connection's: the store knows. */
		return sim_state_ask(c, t) ? NAT_FAILED : NAT_NOT_APPLICABLE;
	}
	sim_hold(c, e);
	c->st->stats.nat_reversed++;
	nat = conntrack_nat(c->st->ct, e);
	/* The answer to a source translation comes back to it: its destination is turned back. */
	nat_rewrite(c, snat, nat->orig_addr, nat->orig_port, nat->port, icmp_error);
	return NAT_APPLIED;
}

enum nat_verdict
nat_apply(struct sim_ctx *c, const struct topo_rule *r, uint32_t in_port)
{
	bool icmp_error;
	struct ct_key t;

	if (c->cur.l3_kind != FLOW_L3_IPV4 || c->st->ct == NULL)
		return NAT_NOT_APPLICABLE;
	/* Every fragment of a datagram is translated as its header fragment is (nat_frag.h). */
	if (!r->nat_static && c->cur.nw_frag != FLOW_FRAG_NONE && !nat_frag_ready(c))
		return NAT_FAILED;
	icmp_error = is_icmp_error(&c->cur);
	if (icmp_error) {
		/*
		 * An error the rule cannot translate whole must not leave half
		 * translated, its quote naming the address the outer header hides
		 * (RFC 5508 §4): dropped, counted.  A fragmented error splits its
		 * quote and its checksum over fragments this walk does not hold.
		 */
		if (c->cur.nw_frag != FLOW_FRAG_NONE) {
			sim_drop(c, DROP_NAT_ICMP_FRAGMENTED);
			return NAT_FAILED;
		}
		if (!icmp_inner_read(c)) {
			sim_drop(c, DROP_NAT_ICMP_QUOTE_SHORT);
			return NAT_FAILED;
		}
		/* The error travels against the packet it quotes: read it as that connection's. */
		ct_key_reverse(&c->res->icmp_inner, &t);
	} else if (!ct_key_of(&c->cur, false, &t)) {
		return NAT_NOT_APPLICABLE;
	}
	t.device = nat_device(c, in_port);
	if (r->type == RULE_DNAT || r->type == RULE_SNAT) {
		if (r->nat_static)
			return nat_static(c, r, icmp_error);
		return nat_forward(c, r, &t, icmp_error);
	}
	return nat_reverse(c, r, &t, icmp_error);
}

void
nat_icmp_inner_write(struct rte_mbuf *m, const struct sim_result *res)
{
	const struct pkt_meta *meta = pkt_meta(m);
	const struct ct_key *t = &res->icmp_inner;
	struct rte_ipv4_hdr *outer = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							     meta->l3_ofs);
	uint32_t ofs = (uint32_t)meta->l4_ofs + ICMP_ERROR_HDR_LEN;
	uint32_t end = RTE_MIN((uint32_t)rte_pktmbuf_data_len(m),
			       (uint32_t)meta->l3_ofs + rte_be_to_cpu_16(outer->total_length));
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ofs);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4, l4ofs = ofs + ihl;
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, l4ofs);
	rte_be32_t old_src = ip->src_addr, old_dst = ip->dst_addr, src, dst;
	uint16_t icmp_len, sum;
	uint8_t *sum_at = NULL;

	memcpy(&src, t->src, sizeof(src));
	memcpy(&dst, t->dst, sizeof(dst));
	/*
	 * icmp_inner_read checked the quote's IP header and its first 8 L4 bytes
	 * are here.  Other protocols than TCP, UDP and echo keep their L4 bytes:
	 * only addresses were translated, and no other L4 checksum covers them.
	 */
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = csum_replace32(csum_replace32(ip->hdr_checksum, old_src, src),
					  old_dst, dst);
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
		rte_be16_t sp = rte_cpu_to_be_16(t->sport), dp = rte_cpu_to_be_16(t->dport);
		uint32_t csum_ofs = t->proto == IPPROTO_TCP ? TCP_CSUM_OFS : UDP_CSUM_OFS;

		/* The quote's own checksum, when it is quoted at all (RFC 792 quotes 8 bytes). */
		if (l4ofs + csum_ofs + 2 <= end &&
		    (t->proto == IPPROTO_TCP || csum_load16(l4 + csum_ofs) != 0))
			sum_at = l4 + csum_ofs;
		if (sum_at != NULL) {
			sum = csum_replace32(csum_load16(sum_at), old_src, src);
			sum = csum_replace32(sum, old_dst, dst);
			sum = csum_replace16(sum, csum_load16(l4), sp);
			sum = csum_replace16(sum, csum_load16(l4 + 2), dp);
			csum_store16(sum_at, sum);
		}
		csum_store16(l4, sp);
		csum_store16(l4 + 2, dp);
	} else if (tuple_has_port(t)) {
		/* An echo: its identifier moves, and the echo's own checksum with it. */
		rte_be16_t id = rte_cpu_to_be_16(t->dport);

		csum_store16(l4 + ICMP_CSUM_OFS,
			     csum_replace16(csum_load16(l4 + ICMP_CSUM_OFS),
					    csum_load16(l4 + ICMP_ID_OFS), id));
		csum_store16(l4 + ICMP_ID_OFS, id);
	}
	/* The error's own checksum covers the quote: summed again, the quote having changed. */
	icmp_len = (uint16_t)(rte_be_to_cpu_16(outer->total_length) -
			      (meta->l4_ofs - meta->l3_ofs));
	csum_store16(rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_ofs + ICMP_CSUM_OFS), 0);
	if (rte_raw_cksum_mbuf(m, meta->l4_ofs, icmp_len, &sum) == 0)
		csum_store16(rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_ofs + ICMP_CSUM_OFS),
			     (uint16_t)~sum);
}
