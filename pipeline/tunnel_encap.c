/* SPDX-License-Identifier: Apache-2.0 */
/* Encapsulation from a precomputed outer header (contract in tunnel_encap.h). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#include "drop_reason.h"
#include "tunnel.h"
#include "tunnel_encap.h"

#define VXLAN_VNI_SHIFT 8
/* Where the per-packet fields sit in the templates tunnel.h describes. */
#define OUTER_IP_OFS RTE_ETHER_HDR_LEN
#define OUTER_L4_OFS (OUTER_IP_OFS + sizeof(struct rte_ipv4_hdr))
#define VXLAN_VNI_OFS (OUTER_L4_OFS + sizeof(struct rte_udp_hdr) + 4)
#define GRE_KEY_OFS (OUTER_L4_OFS + 4)

static inline uint16_t
cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
tunnel_encap(struct rte_mbuf *m, uint16_t slot, uint32_t key, uint32_t hash, uint16_t *port)
{
	struct tunnel_state *ts = kairo_tunnel;
	const struct tunnel_outer *o = &ts->outer[slot % (TUNNEL_PEERS_MAX * 2)];
	uint32_t inner = rte_pktmbuf_pkt_len(m);
	struct tunnel_peer_counters *cnt;
	struct rte_ipv4_hdr *ip;
	uint16_t ip_len;
	rte_be32_t k;
	uint8_t *h;

	if (unlikely(!o->valid))
		return DROP_TUNNEL_UNRESOLVED;
	if (unlikely(inner > o->max_inner))
		return DROP_TUNNEL_MTU_EXCEEDED;
	h = (uint8_t *)rte_pktmbuf_prepend(m, o->len);
	if (unlikely(h == NULL))
		return DROP_TUNNEL_NO_HEADROOM;
	rte_memcpy(h, o->hdr, o->len);
	ip = (struct rte_ipv4_hdr *)(h + OUTER_IP_OFS);
	ip_len = (uint16_t)(inner + o->len - RTE_ETHER_HDR_LEN);
	ip->total_length = rte_cpu_to_be_16(ip_len);
	/*
	 * The template's sum leaves out the length; ones' complement sums are
	 * byte-order independent, so the wire-order length is simply added.
	 */
	ip->hdr_checksum = (uint16_t)~cksum_fold(o->ip_sum + ip->total_length);
	if (o->type == TUNNEL_GRE) {
		k = rte_cpu_to_be_32(key);
		memcpy(h + GRE_KEY_OFS, &k, sizeof(k));
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(h + OUTER_L4_OFS);

		/* RFC 7348 §5: one inner flow, one source port, so ECMP keeps its packets in order. */
		udp->src_port = rte_cpu_to_be_16(TUNNEL_UDP_SPORT_BASE |
						 (hash & TUNNEL_UDP_SPORT_MASK));
		udp->dgram_len = rte_cpu_to_be_16(ip_len - sizeof(struct rte_ipv4_hdr));
		k = rte_cpu_to_be_32(key << VXLAN_VNI_SHIFT);
		memcpy(h + VXLAN_VNI_OFS, &k, sizeof(k));
	}
	cnt = &tunnel_counters_here(ts)->peer[o->slot];
	cnt->tx_packets++;
	cnt->tx_bytes += rte_pktmbuf_pkt_len(m);
	*port = o->port;
	return 0;
}
