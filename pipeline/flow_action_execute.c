/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running action lists, on the workers: flow_actions_execute and the code of
 * each action.  No allocation besides mbuf copies, no logging, no lock.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "checksum.h"
#include "drop_reason.h"
#include "flow_key.h"
#include "flow_action.h"
#include "tunnel.h"
#include "tunnel_encap.h"

static inline struct rte_ipv6_hdr *
ipv6_header(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pkt_meta(m)->l3_ofs);
}

static inline struct rte_ipv4_hdr *
ipv4_header(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pkt_meta(m)->l3_ofs);
}

/*
 * Lower the TTL by n and patch the header checksum instead of recomputing it
 * (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m being the TTL/protocol word).
 */
static inline void
ipv4_dec_ttl(struct rte_ipv4_hdr *ip, uint8_t n)
{
	uint16_t old = rte_be_to_cpu_16(*(const rte_be16_t *)&ip->time_to_live);
	uint32_t sum;

	ip->time_to_live -= n;
	sum = (uint16_t)~rte_be_to_cpu_16(ip->hdr_checksum) + (uint16_t)~old +
	      rte_be_to_cpu_16(*(const rte_be16_t *)&ip->time_to_live);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~sum);
}

/*
 * NAT: rewrite the source or destination address, and the port with it when
 * a->flags says so, patching the IPv4 header checksum and the L4 checksum
 * (TCP and UDP cover the addresses through their pseudo-header; ICMP covers
 * only its own bytes, so only an echo identifier change touches it).  A
 * non-header fragment has no L4 header (l4_ofs 0): its address alone
 * changes; the header fragment's L4 checksum covered the whole datagram, and
 * was patched when that fragment went through.  The parser checked that the
 * L4 header is in the first segment.
 */
static void
ipv4_set_addr(struct rte_mbuf *m, const struct flow_action *a, bool dst)
{
	const struct pkt_meta *meta = pkt_meta(m);
	struct rte_ipv4_hdr *ip = ipv4_header(m);
	rte_be32_t old = dst ? ip->dst_addr : ip->src_addr;
	uint8_t *l4, *sum_at;
	uint16_t sum = 0;

	if (dst)
		ip->dst_addr = a->nat.addr;
	else
		ip->src_addr = a->nat.addr;
	ip->hdr_checksum = csum_replace32(ip->hdr_checksum, old, a->nat.addr);
	if (meta->l4_ofs == 0)
		return;
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_ofs);
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		sum_at = l4 + TCP_CSUM_OFS;
		break;
	case IPPROTO_UDP:
		sum_at = l4 + UDP_CSUM_OFS;
		/* A zero UDP checksum means none was computed (RFC 768): it stays so. */
		if (csum_load16(sum_at) == 0)
			sum_at = NULL;
		break;
	case IPPROTO_ICMP:
		/* Only an echo identifier moves with the port; addresses are not summed. */
		if (a->flags & FLOW_NAT_PORT) {
			uint16_t old_id = csum_load16(l4 + ICMP_ID_OFS);

			csum_store16(l4 + ICMP_ID_OFS, a->nat.port);
			csum_store16(l4 + ICMP_CSUM_OFS,
				     csum_replace16(csum_load16(l4 + ICMP_CSUM_OFS), old_id,
						    a->nat.port));
		}
		return;
	default:
		return;
	}
	if (sum_at != NULL)
		sum = csum_replace32(csum_load16(sum_at), old, a->nat.addr);
	if (a->flags & FLOW_NAT_PORT) {
		uint8_t *port_at = l4 + (dst ? 2 : 0);
		uint16_t old_port = csum_load16(port_at);

		csum_store16(port_at, a->nat.port);
		if (sum_at != NULL)
			sum = csum_replace16(sum, old_port, a->nat.port);
	}
	if (sum_at != NULL) {
		/* A UDP sum that comes out 0 is sent as all ones (RFC 768). */
		if (sum == 0 && ip->next_proto_id == IPPROTO_UDP)
			sum = 0xffff;
		csum_store16(sum_at, sum);
	}
}

/*
 * The headers behind the MAC addresses moved by delta bytes (a tag pushed or
 * popped): later actions (NAT, a router's TTL) find them by these offsets.
 */
static inline void
vlan_shift_offsets(struct rte_mbuf *m, int delta)
{
	struct pkt_meta *meta = pkt_meta(m);

	meta->l2_len = (uint16_t)(meta->l2_len + delta);
	if (meta->l3_ofs != 0)
		meta->l3_ofs = (uint16_t)(meta->l3_ofs + delta);
	if (meta->l4_ofs != 0)
		meta->l4_ofs = (uint16_t)(meta->l4_ofs + delta);
}

/* Insert a tag after the MAC addresses; false when there is no headroom. */
static bool
vlan_push(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	rte_be16_t *tag;
	uint8_t *p;

	if (rte_pktmbuf_data_len(m) < 2 * RTE_ETHER_ADDR_LEN)
		return false;
	p = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct rte_vlan_hdr));
	if (p == NULL)
		return false;
	memmove(p, p + sizeof(struct rte_vlan_hdr), 2 * RTE_ETHER_ADDR_LEN);
	/* TPID and TCI go between the addresses and the old ethertype, which stays in place. */
	tag = (rte_be16_t *)(p + 2 * RTE_ETHER_ADDR_LEN);
	tag[0] = rte_cpu_to_be_16(tpid);
	tag[1] = rte_cpu_to_be_16(tci);
	vlan_shift_offsets(m, (int)sizeof(struct rte_vlan_hdr));
	return true;
}

static void
vlan_pop(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t type;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(struct rte_vlan_hdr))
		return;
	type = rte_be_to_cpu_16(eh->ether_type);
	if (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ)
		return;
	memmove((uint8_t *)eh + sizeof(struct rte_vlan_hdr), eh, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
	vlan_shift_offsets(m, -(int)sizeof(struct rte_vlan_hdr));
}

/*
 * Encapsulate m itself (the last output) or a copy (later actions still
 * need m as it is) and send it to the uplink.  True when m was used up,
 * sent or dropped.
 */
static bool
tunnel_output(const struct flow_action *a, struct rte_mbuf *m, struct rte_mempool *pool,
	      struct action_emit *emit, uint64_t *drops, bool last)
{
	struct rte_mbuf *t = last ? m : rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	uint16_t port;
	int r;

	if (t == NULL) {
		drops[DROP_NO_MBUF]++;
		return false;
	}
	r = tunnel_encap(t, a->tunnel.slot, a->tunnel.key, pkt_meta(m)->hash, &port);
	if (r != 0) {
		drops[r]++;
		rte_pktmbuf_free(t);
		return last;
	}
	emit->port[emit->n] = port;
	emit->pkt[emit->n++] = t;
	return last;
}

int
flow_actions_execute(const struct flow_actions *acts, struct rte_mbuf *m,
		     struct rte_mempool *pool, struct action_emit *emit, uint64_t *drops)
{
	unsigned int outputs_left = acts->n_outputs;
	uint16_t drop = DROP_FLOW_ACTION_DROP;
	struct rte_ether_hdr *eh;
	unsigned int i;

	for (i = 0; i < acts->n; i++) {
		const struct flow_action *a = &acts->a[i];

		switch (a->type) {
		case FLOW_ACTION_OUTPUT:
			if (--outputs_left == 0) {
				/* Last output: the packet itself goes, nothing to copy. */
				emit->port[emit->n] = a->port;
				emit->pkt[emit->n++] = m;
				return ACTION_DONE;
			} else {
				struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);

				if (c == NULL) {
					drops[DROP_NO_MBUF]++;
					break;
				}
				emit->port[emit->n] = a->port;
				emit->pkt[emit->n++] = c;
			}
			break;
		case FLOW_ACTION_DROP:
			drop = a->drop_reason;
			break;
		case FLOW_ACTION_SET_ETH_SRC:
			eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			eh->src_addr = a->mac;
			break;
		case FLOW_ACTION_SET_ETH_DST:
			eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			eh->dst_addr = a->mac;
			break;
		case FLOW_ACTION_PUSH_VLAN:
			if (!vlan_push(m, a->vlan.tpid, a->vlan.tci)) {
				drop = DROP_VLAN_PUSH_FAILED;
				goto dropped;
			}
			break;
		case FLOW_ACTION_POP_VLAN:
			vlan_pop(m);
			break;
		case FLOW_ACTION_TO_SLOW_PATH:
			/* Only valid before anything changed the packet; the simulation builds it so. */
			return ACTION_SLOW_PATH;
		case FLOW_ACTION_CHECK_IPV4: {
			/* TTL and length are not in the key: what the cache cannot decide goes up. */
			const struct rte_ipv4_hdr *ip = ipv4_header(m);

			if (ip->time_to_live <= a->check.ttl_over ||
			    rte_be_to_cpu_16(ip->total_length) > a->check.mtu)
				return ACTION_SLOW_PATH;
			break;
		}
		case FLOW_ACTION_DEC_TTL:
			ipv4_dec_ttl(ipv4_header(m), a->ttl_dec);
			break;
		case FLOW_ACTION_CHECK_IPV6: {
			/* As CHECK_IPV4; the length is the payload's plus the fixed header's. */
			const struct rte_ipv6_hdr *ip6 = ipv6_header(m);

			if (ip6->hop_limits <= a->check.ttl_over ||
			    rte_be_to_cpu_16(ip6->payload_len) + sizeof(*ip6) > a->check.mtu)
				return ACTION_SLOW_PATH;
			break;
		}
		case FLOW_ACTION_DEC_HOP_LIMIT:
			ipv6_header(m)->hop_limits -= a->ttl_dec;
			break;
		case FLOW_ACTION_SET_IPV4_SRC:
		case FLOW_ACTION_SET_IPV4_DST:
			ipv4_set_addr(m, a, a->type == FLOW_ACTION_SET_IPV4_DST);
			break;
		case FLOW_ACTION_TUNNEL_OUTPUT:
			if (tunnel_output(a, m, pool, emit, drops, --outputs_left == 0))
				return ACTION_DONE;
			break;
		}
	}
dropped:
	drops[drop < DROP_REASON_COUNT ? drop : DROP_FLOW_ACTION_DROP]++;
	rte_pktmbuf_free(m);
	return ACTION_DONE;
}
