/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper: an Ethernet + IPv4 + UDP frame in a real mbuf, parsed by
 * packet_parse the way a worker does, so that flow keys in the tests are the
 * keys the dataplane would really build.
 */
#ifndef KAIRO_TEST_UDP_FRAME_H
#define KAIRO_TEST_UDP_FRAME_H

#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "flow_cache.h"
#include "flow_key.h"
#include "packet_parse.h"

#define UDP_FRAME_PAYLOAD 8
#define UDP_FRAME_LEN                                                                             \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + \
	 UDP_FRAME_PAYLOAD)

/* RTE_IPV4 of DPDK 22.11 shifts an int by 24: undefined from 128.0.0.0 on. */
#define UDP_FRAME_IPV4(a, b, c, d)                                                      \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define UDP_FRAME_IP_SRC UDP_FRAME_IPV4(192, 0, 2, 1)
#define UDP_FRAME_IP_DST UDP_FRAME_IPV4(198, 51, 100, 2)

/* A new mbuf from pool holding dst <- src, 192.0.2.1:sport -> ip_dst:dport; NULL if empty. */
static inline struct rte_mbuf *
udp_frame_to(struct rte_mempool *pool, const struct rte_ether_addr *dst,
	     const struct rte_ether_addr *src, uint32_t ip_dst, uint16_t sport, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *payload;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, UDP_FRAME_LEN);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	payload = (uint8_t *)(udp + 1);

	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(UDP_FRAME_LEN - sizeof(*eh));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(UDP_FRAME_IP_SRC);
	ip->dst_addr = rte_cpu_to_be_32(ip_dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + UDP_FRAME_PAYLOAD);
	udp->dgram_cksum = 0;
	memcpy(payload, "kairo-ut", UDP_FRAME_PAYLOAD);
	return m;
}

/* The same, to 198.51.100.2. */
static inline struct rte_mbuf *
udp_frame(struct rte_mempool *pool, const struct rte_ether_addr *dst,
	  const struct rte_ether_addr *src, uint16_t sport, uint16_t dport)
{
	return udp_frame_to(pool, dst, src, UDP_FRAME_IP_DST, sport, dport);
}

/*
 * What a worker does with a received frame before a lookup: parse, hash and
 * say who received it.  Returns packet_parse's verdict (0 = parsed).
 */
static inline int
udp_frame_receive(struct rte_mbuf *m, uint16_t in_port, uint16_t worker)
{
	static const struct parse_config cfg = { .vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT };
	struct pkt_meta *meta = pkt_meta(m);
	int ret = packet_parse(m, in_port, &cfg, meta);

	meta->hash = flow_key_hash(&meta->key);
	meta->worker = worker;
	return ret;
}

#endif
