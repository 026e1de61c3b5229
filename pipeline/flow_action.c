/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building and running flow action lists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
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

static struct flow_action *
flow_actions_append(struct flow_actions *acts, uint8_t type)
{
	struct flow_action *a;

	if (acts->n >= FLOW_ACTIONS_MAX)
		return NULL;
	a = &acts->a[acts->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

int
flow_actions_output(struct flow_actions *acts, uint16_t port)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_OUTPUT);

	if (a == NULL)
		return -ENOSPC;
	a->port = port;
	acts->n_outputs++;
	return 0;
}

int
flow_actions_drop(struct flow_actions *acts, uint16_t reason)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DROP);

	if (a == NULL)
		return -ENOSPC;
	a->drop_reason = reason;
	return 0;
}

int
flow_actions_set_eth(struct flow_actions *acts, int dst, const struct rte_ether_addr *mac)
{
	struct flow_action *a =
		flow_actions_append(acts, dst ? FLOW_ACTION_SET_ETH_DST : FLOW_ACTION_SET_ETH_SRC);

	if (a == NULL)
		return -ENOSPC;
	a->mac = *mac;
	return 0;
}

int
flow_actions_push_vlan(struct flow_actions *acts, uint16_t tpid, uint16_t tci)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_PUSH_VLAN);

	if (a == NULL)
		return -ENOSPC;
	a->vlan.tpid = tpid;
	a->vlan.tci = tci;
	return 0;
}

int
flow_actions_pop_vlan(struct flow_actions *acts)
{
	return flow_actions_append(acts, FLOW_ACTION_POP_VLAN) == NULL ? -ENOSPC : 0;
}

int
flow_actions_to_slow_path(struct flow_actions *acts)
{
	return flow_actions_append(acts, FLOW_ACTION_TO_SLOW_PATH) == NULL ? -ENOSPC : 0;
}

int
flow_actions_check_ipv4(struct flow_actions *acts, uint8_t ttl_over, uint16_t mtu)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_CHECK_IPV4);

	if (a == NULL)
		return -ENOSPC;
	a->check.ttl_over = ttl_over;
	a->check.mtu = mtu;
	return 0;
}

int
flow_actions_dec_ttl(struct flow_actions *acts, uint8_t n)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DEC_TTL);

	if (a == NULL)
		return -ENOSPC;
	a->ttl_dec = n;
	return 0;
}

int
flow_actions_check_ipv6(struct flow_actions *acts, uint8_t hop_limit_over, uint16_t mtu)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_CHECK_IPV6);

	if (a == NULL)
		return -ENOSPC;
	a->check.ttl_over = hop_limit_over;
	a->check.mtu = mtu;
	return 0;
}

int
flow_actions_dec_hop_limit(struct flow_actions *acts, uint8_t n)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DEC_HOP_LIMIT);

	if (a == NULL)
		return -ENOSPC;
	a->ttl_dec = n;
	return 0;
}

int
flow_actions_set_ipv4(struct flow_actions *acts, int dst, rte_be32_t addr, rte_be16_t port,
		      bool port_too)
{
	struct flow_action *a =
		flow_actions_append(acts, dst ? FLOW_ACTION_SET_IPV4_DST : FLOW_ACTION_SET_IPV4_SRC);

	if (a == NULL)
		return -ENOSPC;
	a->nat.addr = addr;
	a->nat.port = port_too ? port : 0;
	a->flags = port_too ? FLOW_NAT_PORT : 0;
	return 0;
}

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
}

int
flow_actions_tunnel_output(struct flow_actions *acts, uint16_t slot, uint32_t key)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_TUNNEL_OUTPUT);

	if (a == NULL)
		return -ENOSPC;
	a->tunnel.slot = slot;
	a->tunnel.key = key;
	acts->n_outputs++;
	return 0;
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

static int
format_mac(char *buf, size_t len, const struct rte_ether_addr *mac)
{
	char s[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(s, sizeof(s), mac);
	return snprintf(buf, len, "%s", s);
}

int
flow_actions_format(const struct flow_actions *acts, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (acts->n == 0 || acts->n_outputs == 0) {
		/* An empty or output-less list is a drop, as in OVS's "actions:drop". */
		int only_drop = 1;

		for (i = 0; i < acts->n; i++)
			only_drop &= acts->a[i].type == FLOW_ACTION_DROP;
		if (only_drop) {
			uint16_t r = acts->n ? acts->a[acts->n - 1].drop_reason : DROP_FLOW_ACTION_DROP;

			return snprintf(buf, len, "drop(%s)", drop_reason_name(r));
		}
	}
	for (i = 0; i < acts->n && off < len; i++) {
		const struct flow_action *a = &acts->a[i];
		const char *sep = i ? "," : "";
		int w = 0;

		switch (a->type) {
		case FLOW_ACTION_OUTPUT:
			w = snprintf(buf + off, len - off, "%soutput:%u", sep, a->port);
			break;
		case FLOW_ACTION_DROP:
			w = snprintf(buf + off, len - off, "%sdrop(%s)", sep,
				     drop_reason_name(a->drop_reason));
			break;
		case FLOW_ACTION_SET_ETH_SRC:
		case FLOW_ACTION_SET_ETH_DST:
			w = snprintf(buf + off, len - off, "%sset_eth_%s:", sep,
				     a->type == FLOW_ACTION_SET_ETH_SRC ? "src" : "dst");
			if (w > 0 && off + w < len)
			{
				struct rte_ether_addr mac = a->mac;

				w += format_mac(buf + off + w, len - off - w, &mac);
			}
			break;
		case FLOW_ACTION_PUSH_VLAN:
			w = snprintf(buf + off, len - off, "%spush_vlan:0x%04x/%u", sep, a->vlan.tpid,
				     a->vlan.tci);
			break;
		case FLOW_ACTION_POP_VLAN:
			w = snprintf(buf + off, len - off, "%spop_vlan", sep);
			break;
		case FLOW_ACTION_TO_SLOW_PATH:
			w = snprintf(buf + off, len - off, "%sslow_path", sep);
			break;
		case FLOW_ACTION_CHECK_IPV4:
			w = snprintf(buf + off, len - off, "%scheck(ttl>%u,len<=%u)", sep,
				     a->check.ttl_over, a->check.mtu);
			break;
		case FLOW_ACTION_DEC_TTL:
			w = snprintf(buf + off, len - off, "%sdec_ttl:%u", sep, a->ttl_dec);
			break;
		case FLOW_ACTION_CHECK_IPV6:
			w = snprintf(buf + off, len - off, "%scheck6(hlim>%u,len<=%u)", sep,
				     a->check.ttl_over, a->check.mtu);
			break;
		case FLOW_ACTION_DEC_HOP_LIMIT:
			w = snprintf(buf + off, len - off, "%sdec_hop_limit:%u", sep, a->ttl_dec);
			break;
		case FLOW_ACTION_SET_IPV4_SRC:
		case FLOW_ACTION_SET_IPV4_DST: {
			char addr[INET_ADDRSTRLEN];
			rte_be32_t nat_addr = a->nat.addr;

			inet_ntop(AF_INET, &nat_addr, addr, sizeof(addr));
			w = snprintf(buf + off, len - off, "%sset_ipv4_%s:%s", sep,
				     a->type == FLOW_ACTION_SET_IPV4_SRC ? "src" : "dst", addr);
			if (w > 0 && (a->flags & FLOW_NAT_PORT) && off + w < len)
				w += snprintf(buf + off + w, len - off - w, ":%u",
					      rte_be_to_cpu_16(a->nat.port));
			break;
		}
		case FLOW_ACTION_TUNNEL_OUTPUT: {
			/* The peer's address is in its template: the outer IPv4 destination. */
			char addr[INET_ADDRSTRLEN] = "?";
			const struct tunnel_outer *o = kairo_tunnel != NULL ?
				&kairo_tunnel->outer[a->tunnel.slot % (TUNNEL_PEERS_MAX * 2)] : NULL;
			uint32_t key = a->tunnel.key;

			if (o != NULL)
				inet_ntop(AF_INET, o->hdr + RTE_ETHER_HDR_LEN +
					  offsetof(struct rte_ipv4_hdr, dst_addr), addr, sizeof(addr));
			w = snprintf(buf + off, len - off, "%stunnel(%s,%s,key=%u)", sep,
				     o != NULL && o->type == TUNNEL_GRE ? "gre" : "vxlan", addr, key);
			break;
		}
		}
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return (int)(off < len ? off : len - 1);
}
