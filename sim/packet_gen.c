/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building the packets the simulation answers with.  Every read of an input
 * packet is bounds-checked against its first segment: the inputs are frames
 * from the wire, and a length field that lies must cost us a NULL, not a read
 * past the buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_mbuf.h>

#include "flow_key.h"
#include "packet_gen.h"

/* Ethernet frames shorter than this (FCS excluded) are padded with zeros (IEEE 802.3 4.2.3.3). */
#define FRAME_MIN_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

/* RFC 1122 3.2.1.7 defers the default TTL to Assigned Numbers; RFC 1700 says 64. */
#define GEN_TTL 64

/* RFC 1812 4.3.2.5: ICMP errors SHOULD carry precedence 6 (internetwork control). */
#define ICMP_ERROR_TOS 0xc0

/* ICMP types we need by value (RFC 792, RFC 950). */
#define ICMP_DEST_UNREACH 3
#define ICMP_TYPE_MAX_KNOWN 18 /* address mask reply, the last type RFC 950 defines */
#define ICMP_CODE_FRAG_NEEDED 4

/* An echo message is type, code, checksum, identifier, sequence number (RFC 792). */
#define ICMP_ECHO_HDR_LEN sizeof(struct rte_icmp_hdr)
/* An error is type, code, checksum and 4 bytes (unused, or RFC 1191's next-hop MTU). */
#define ICMP_ERROR_HDR_LEN 8

#define IPV4_FRAG_MASK (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)

/*
 * A new mbuf from pool with len bytes of data at *data, zero-padded to the
 * minimum frame length, and its pkt_meta zeroed.  NULL if the pool is empty,
 * its private area cannot hold a pkt_meta, or the frame does not fit.
 */
static struct rte_mbuf *
frame_alloc(struct rte_mempool *pool, uint32_t len, uint8_t **data)
{
	uint32_t wire_len = RTE_MAX(len, (uint32_t)FRAME_MIN_LEN);
	struct rte_mbuf *m;
	uint8_t *p;

	/* The caller reads pkt_meta from every mbuf we return: a smaller area would be overrun. */
	if (rte_pktmbuf_priv_size(pool) < sizeof(struct pkt_meta) || wire_len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, wire_len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(rte_mbuf_to_priv(m), 0, sizeof(struct pkt_meta));
	memset(p + len, 0, wire_len - len);
	*data = p;
	return m;
}

/* The same, with its Ethernet header written; *l3 is where the payload goes. */
static struct rte_mbuf *
frame_alloc_eth(struct rte_mempool *pool, uint32_t l3_len, const struct rte_ether_addr *dst,
		const struct rte_ether_addr *src, uint16_t ether_type, uint8_t **l3)
{
	struct rte_ether_hdr *eth;
	struct rte_mbuf *m = frame_alloc(pool, sizeof(*eth) + l3_len, l3);

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)*l3;
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ether_type);
	*l3 += sizeof(*eth);
	return m;
}

/* RFC 1071: the checksum is the one's complement of the one's complement sum. */
static uint16_t
inet_cksum(const void *p, uint32_t len)
{
	return (uint16_t)~rte_raw_cksum(p, len);
}

/* Sums to all ones, so the stored checksum is right (RFC 1071 section 1, step 3). */
static bool
inet_cksum_ok(const void *p, uint32_t len)
{
	return rte_raw_cksum(p, len) == 0xffff;
}

static uint8_t
ipv4_first_octet(rte_be32_t addr)
{
	return rte_be_to_cpu_32(addr) >> 24;
}

/*
 * RFC 1812 4.3.2.7 "does not define a single host": 0/8 (this network),
 * 127/8 (loopback), 224/4 (multicast) and 240/4 (class E, which holds
 * 255.255.255.255).  A subnet-directed broadcast looks like any unicast
 * address here; only the owner of the prefix can tell.
 */
static bool
ipv4_is_single_host(rte_be32_t addr)
{
	uint8_t first = ipv4_first_octet(addr);

	return first != 0 && first != 127 && first < 224;
}

/* RFC 1812 4.3.2.7 "destined to an IP broadcast or IP multicast address", as far as we can tell. */
static bool
ipv4_is_group_dst(rte_be32_t addr)
{
	uint8_t first = ipv4_first_octet(addr);

	return addr == RTE_BE32(0xffffffff) || (first >= 224 && first < 240);
}

/*
 * The IPv4 header at l3_ofs of m, if the first segment holds the whole of it
 * and it is sane (version 4, IHL of at least 5, total length covering the
 * header); its length and the total length in *hdr_len and *total_len.
 * The Ethernet header in front of it must be there too: both builders read it.
 */
static const struct rte_ipv4_hdr *
ipv4_at(const struct rte_mbuf *m, uint16_t l3_ofs, uint16_t *hdr_len, uint16_t *total_len)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t data_len = rte_pktmbuf_data_len(m);

	if (l3_ofs < sizeof(struct rte_ether_hdr) ||
	    (uint32_t)l3_ofs + sizeof(struct rte_ipv4_hdr) > data_len)
		return NULL;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3_ofs);
	if (ip->version_ihl >> 4 != IPVERSION)
		return NULL;
	*hdr_len = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	*total_len = rte_be_to_cpu_16(ip->total_length);
	if (*hdr_len < sizeof(struct rte_ipv4_hdr) || (uint32_t)l3_ofs + *hdr_len > data_len ||
	    *total_len < *hdr_len)
		return NULL;
	return ip;
}

/* An option-less IPv4 header for a packet we originate; id 0 is fine (RFC 6864 4.1). */
static void
ipv4_fill(struct rte_ipv4_hdr *ip, uint8_t tos, uint16_t total_len, rte_be16_t frag,
	  rte_be32_t src, rte_be32_t dst)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16(total_len);
	ip->packet_id = 0;
	ip->fragment_offset = frag;
	ip->time_to_live = GEN_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* RFC 826, Ethernet and IPv4 only; the frame is 42 bytes, padded to 60. */
static struct rte_mbuf *
arp_build(struct rte_mempool *pool, uint16_t op, const struct rte_ether_addr *eth_dst,
	  const struct rte_ether_addr *sender_mac, rte_be32_t sender_ip,
	  const struct rte_ether_addr *target_mac, rte_be32_t target_ip)
{
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;
	uint8_t *p;

	m = frame_alloc_eth(pool, sizeof(*arp), eth_dst, sender_mac, RTE_ETHER_TYPE_ARP, &p);
	if (m == NULL)
		return NULL;

	arp = (struct rte_arp_hdr *)p;
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(rte_be32_t);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sender_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sender_ip;
	rte_ether_addr_copy(target_mac, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = target_ip;
	return m;
}

struct rte_mbuf *
packet_gen_arp_request(struct rte_mempool *pool, const struct rte_ether_addr *sender_mac,
		       rte_be32_t sender_ip, rte_be32_t target_ip)
{
	static const struct rte_ether_addr broadcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	/* RFC 826 leaves the target hardware address of a request open; zeros, as Linux sends. */
	static const struct rte_ether_addr unknown = { .addr_bytes = { 0 } };

	return arp_build(pool, RTE_ARP_OP_REQUEST, &broadcast, sender_mac, sender_ip, &unknown,
			 target_ip);
}

struct rte_mbuf *
packet_gen_arp_reply(struct rte_mempool *pool, const struct rte_ether_addr *sender_mac,
		     rte_be32_t sender_ip, const struct rte_ether_addr *target_mac,
		     rte_be32_t target_ip)
{
	return arp_build(pool, RTE_ARP_OP_REPLY, target_mac, sender_mac, sender_ip, target_mac,
			 target_ip);
}

struct rte_mbuf *
packet_gen_icmp_echo_reply(struct rte_mempool *pool, const struct rte_mbuf *req, uint16_t l3_ofs)
{
	const struct rte_ether_hdr *req_eth = rte_pktmbuf_mtod(req, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *req_ip;
	const struct rte_icmp_hdr *req_icmp;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint16_t hdr_len, total_len, icmp_len;
	struct rte_mbuf *m;
	uint8_t *p;

	req_ip = ipv4_at(req, l3_ofs, &hdr_len, &total_len);
	if (req_ip == NULL || req_ip->next_proto_id != IPPROTO_ICMP ||
	    (uint32_t)l3_ofs + total_len > rte_pktmbuf_data_len(req))
		return NULL;
	icmp_len = total_len - hdr_len;
	/* A fragment does not hold the whole message to echo, and we do not reassemble. */
	if (icmp_len < ICMP_ECHO_HDR_LEN || (req_ip->fragment_offset & RTE_BE16(IPV4_FRAG_MASK)))
		return NULL;
	req_icmp = (const struct rte_icmp_hdr *)((const uint8_t *)req_ip + hdr_len);
	if (req_icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
		return NULL;
	/* RFC 1122 3.2.1.2 (IP header) and RFC 792 (ICMP): a corrupted request is discarded. */
	if (!inet_cksum_ok(req_ip, hdr_len) || !inet_cksum_ok(req_icmp, icmp_len))
		return NULL;
	/*
	 * The reply swaps the addresses, so both ends must be single hosts:
	 * a group address as our source would be invalid (RFC 1122 3.2.2.6,
	 * RFC 1812 4.3.3.6 want the specific address the request was sent to;
	 * IEEE 802 forbids a group MAC as source).
	 */
	if (!ipv4_is_single_host(req_ip->src_addr) || !ipv4_is_single_host(req_ip->dst_addr) ||
	    !rte_is_unicast_ether_addr(&req_eth->src_addr) ||
	    !rte_is_unicast_ether_addr(&req_eth->dst_addr))
		return NULL;

	m = frame_alloc_eth(pool, sizeof(*ip) + icmp_len, &req_eth->src_addr, &req_eth->dst_addr,
			    RTE_ETHER_TYPE_IPV4, &p);
	if (m == NULL)
		return NULL;

	/* The request's TOS and DF come back with the reply, as Linux does. */
	ip = (struct rte_ipv4_hdr *)p;
	ipv4_fill(ip, req_ip->type_of_service, sizeof(*ip) + icmp_len,
		  req_ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG), req_ip->dst_addr,
		  req_ip->src_addr);

	/* RFC 792: the identifier, sequence number and data are returned unchanged. */
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	memcpy(icmp, req_icmp, icmp_len);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = inet_cksum(icmp, icmp_len);
	return m;
}

/*
 * RFC 1812 4.3.2.7 (after RFC 1122 3.2.2): never answer an ICMP error.  Types
 * we do not know may be errors too, so, like Linux, we stay silent on them.
 */
static bool
icmp_type_is_error(uint8_t type)
{
	return icmp_type_quotes_packet(type) || type > ICMP_TYPE_MAX_KNOWN;
}

struct rte_mbuf *
packet_gen_icmp_error(struct rte_mempool *pool, const struct rte_mbuf *orig, uint16_t l3_ofs,
		      uint8_t type, uint8_t code, uint16_t next_hop_mtu,
		      const struct rte_ether_addr *src_mac, rte_be32_t src_ip,
		      const struct rte_ether_addr *dst_mac)
{
	const struct rte_ether_hdr *orig_eth = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *orig_ip;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint16_t hdr_len, total_len, quote_len;
	struct rte_mbuf *m;
	uint8_t *p;

	orig_ip = ipv4_at(orig, l3_ofs, &hdr_len, &total_len);
	if (orig_ip == NULL || (uint32_t)l3_ofs + total_len > rte_pktmbuf_pkt_len(orig))
		return NULL;
	/*
	 * Only the quoted bytes are read, so a long packet chained over several
	 * segments is fine as long as the first one holds the quote.
	 */
	quote_len = RTE_MIN(total_len, (uint16_t)PACKET_GEN_ICMP_QUOTE_MAX);
	if ((uint32_t)l3_ofs + quote_len > rte_pktmbuf_data_len(orig))
		return NULL;

	/* RFC 1812 4.3.2.7: the packets that must never cause an ICMP error. */
	if (rte_is_multicast_ether_addr(&orig_eth->dst_addr) ||
	    ipv4_is_group_dst(orig_ip->dst_addr) || !ipv4_is_single_host(orig_ip->src_addr) ||
	    (orig_ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)))
		return NULL;
	if (orig_ip->next_proto_id == IPPROTO_ICMP) {
		/* No type byte is malformed; if there is one, the quote (checked above) has it. */
		if (total_len == hdr_len || icmp_type_is_error(((const uint8_t *)orig_ip)[hdr_len]))
			return NULL;
	}

	m = frame_alloc_eth(pool, sizeof(*ip) + ICMP_ERROR_HDR_LEN + quote_len, dst_mac, src_mac,
			    RTE_ETHER_TYPE_IPV4, &p);
	if (m == NULL)
		return NULL;

	/* DF clear: a narrower link on the way back should fragment the error, not drop it. */
	ip = (struct rte_ipv4_hdr *)p;
	ipv4_fill(ip, ICMP_ERROR_TOS, sizeof(*ip) + ICMP_ERROR_HDR_LEN + quote_len, 0, src_ip,
		  orig_ip->src_addr);

	/*
	 * rte_icmp_hdr names the second word identifier and sequence number; in
	 * an error it is unused, except that "fragmentation needed" puts the
	 * next-hop MTU in its low 16 bits (RFC 1191 section 4).
	 */
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = 0;
	icmp->icmp_seq_nb = type == ICMP_DEST_UNREACH && code == ICMP_CODE_FRAG_NEEDED ?
				    rte_cpu_to_be_16(next_hop_mtu) :
				    0;
	memcpy((uint8_t *)icmp + ICMP_ERROR_HDR_LEN, orig_ip, quote_len);
	icmp->icmp_cksum = inet_cksum(icmp, ICMP_ERROR_HDR_LEN + quote_len);
	return m;
}

/* IPv6: neighbour discovery (RFC 4861), ICMPv6 echo and errors (RFC 4443). */

#define IPV6_VERSION_WORD (6u << 28)
#define IPV6_TC_SHIFT 20
/* RFC 4861 4.3/4.4: ND messages are sent with hop limit 255, which proves they stayed on-link. */
#define ND_HOP_LIMIT 255
#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
/* type, code, checksum, 4 bytes (reserved or flags), target: then options (RFC 4861 4.3, 4.4). */
#define ND_MSG_LEN 24
/* A link-layer address option for Ethernet: type, length 1 (8 octets), the MAC (RFC 4861 4.6.1). */
#define ND_OPT_LLA_LEN 8
#define ICMP6_HDR_LEN 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_PACKET_TOO_BIG 2
/* RFC 4443 2.1: types 0-127 are errors, 128-255 informational. */
#define ICMP6_INFO_MIN 128
#define IPV6_HDR_LEN sizeof(struct rte_ipv6_hdr)

/*
 * RFC 4443 2.3: the checksum covers a pseudo-header (RFC 8200 8.1: source,
 * destination, upper-layer length, next header 58) and the message.
 * Returns the sum before complementing: 0xffff when a stored checksum is right.
 */
static uint16_t
icmp6_sum(const struct rte_ipv6_hdr *ip, const void *msg, uint32_t len)
{
	rte_be32_t plen = rte_cpu_to_be_32(len), nh = rte_cpu_to_be_32(IPPROTO_ICMPV6);
	uint32_t sum;

	sum = __rte_raw_cksum(ip->src_addr, 2 * sizeof(ip->src_addr), 0);
	sum = __rte_raw_cksum(&plen, sizeof(plen), sum);
	sum = __rte_raw_cksum(&nh, sizeof(nh), sum);
	sum = __rte_raw_cksum(msg, len, sum);
	return __rte_raw_cksum_reduce(sum);
}

static void
ipv6_fill(struct rte_ipv6_hdr *ip, uint8_t tc, uint16_t payload_len, uint8_t hop_limit,
	  const uint8_t *src, const uint8_t *dst)
{
	ip->vtc_flow = rte_cpu_to_be_32(IPV6_VERSION_WORD | (uint32_t)tc << IPV6_TC_SHIFT);
	ip->payload_len = rte_cpu_to_be_16(payload_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = hop_limit;
	memcpy(ip->src_addr, src, sizeof(ip->src_addr));
	memcpy(ip->dst_addr, dst, sizeof(ip->dst_addr));
}

/* RFC 2464 7: an IPv6 multicast address maps to 33:33 and its last 32 bits. */
static void
ipv6_multicast_mac(struct rte_ether_addr *mac, const uint8_t *ip)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], ip + 12, 4);
}

static bool
ipv6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

/*
 * An ND message (NS or NA): Ethernet, IPv6 with hop limit 255, type, the
 * 4-byte word, the target and one link-layer address option carrying mac.
 */
static struct rte_mbuf *
nd_build(struct rte_mempool *pool, uint8_t type, rte_be32_t word,
	 const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac,
	 const uint8_t *src_ip, const uint8_t *dst_ip, const uint8_t *target, uint8_t opt)
{
	const uint16_t msg_len = ND_MSG_LEN + ND_OPT_LLA_LEN;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint8_t *p, *msg;

	m = frame_alloc_eth(pool, IPV6_HDR_LEN + msg_len, dst_mac, src_mac,
			    RTE_ETHER_TYPE_IPV6, &p);
	if (m == NULL)
		return NULL;
	ip = (struct rte_ipv6_hdr *)p;
	ipv6_fill(ip, 0, msg_len, ND_HOP_LIMIT, src_ip, dst_ip);

	msg = (uint8_t *)(ip + 1);
	msg[0] = type;
	msg[1] = 0;
	msg[2] = msg[3] = 0;
	memcpy(msg + 4, &word, sizeof(word));
	memcpy(msg + 8, target, 16);
	msg[ND_MSG_LEN] = opt;
	msg[ND_MSG_LEN + 1] = 1;
	memcpy(msg + ND_MSG_LEN + 2, src_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	*(rte_be16_t *)(msg + 2) = (uint16_t)~icmp6_sum(ip, msg, msg_len);
	return m;
}

struct rte_mbuf *
packet_gen_nd_solicit(struct rte_mempool *pool, const struct rte_ether_addr *src_mac,
		      const uint8_t src_ip[16], const uint8_t target[16])
{
	/* RFC 4291 2.7.1: ff02::1:ff00:0/104 and the target's low 24 bits. */
	uint8_t snm[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
	struct rte_ether_addr dst_mac;

	memcpy(snm + 13, target + 13, 3);
	ipv6_multicast_mac(&dst_mac, snm);
	return nd_build(pool, ND_NS, 0, src_mac, &dst_mac, src_ip, snm, target, ND_OPT_SLLA);
}

struct rte_mbuf *
packet_gen_nd_advert(struct rte_mempool *pool, const struct rte_ether_addr *src_mac,
		     const uint8_t target[16], const struct rte_ether_addr *dst_mac,
		     const uint8_t dst_ip[16], uint32_t flags)
{
	return nd_build(pool, ND_NA, rte_cpu_to_be_32(flags), src_mac, dst_mac, target, dst_ip,
			target, ND_OPT_TLLA);
}

/* The IPv6 header at l3_ofs, if the first segment holds it (and the Ethernet header) and it is version 6. */
static const struct rte_ipv6_hdr *
ipv6_at(const struct rte_mbuf *m, uint16_t l3_ofs)
{
	const struct rte_ipv6_hdr *ip;

	if (l3_ofs < sizeof(struct rte_ether_hdr) ||
	    (uint32_t)l3_ofs + IPV6_HDR_LEN > rte_pktmbuf_data_len(m))
		return NULL;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l3_ofs);
	if (rte_be_to_cpu_32(ip->vtc_flow) >> 28 != 6)
		return NULL;
	return ip;
}

struct rte_mbuf *
packet_gen_icmp6_echo_reply(struct rte_mempool *pool, const struct rte_mbuf *req, uint16_t l3_ofs)
{
	const struct rte_ether_hdr *req_eth = rte_pktmbuf_mtod(req, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *req_ip = ipv6_at(req, l3_ofs);
	const uint8_t *req_msg;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint16_t len;
	uint8_t *p, *msg;

	if (req_ip == NULL || req_ip->proto != IPPROTO_ICMPV6)
		return NULL;
	len = rte_be_to_cpu_16(req_ip->payload_len);
	if (len < ICMP6_HDR_LEN || (uint32_t)l3_ofs + IPV6_HDR_LEN + len > rte_pktmbuf_data_len(req))
		return NULL;
	req_msg = (const uint8_t *)(req_ip + 1);
	if (req_msg[0] != ICMP6_ECHO_REQUEST || icmp6_sum(req_ip, req_msg, len) != 0xffff)
		return NULL;
	/* RFC 4443 4.2: a reply to a multicast request comes from a unicast address; we only answer unicast. */
	if (req_ip->src_addr[0] == 0xff || req_ip->dst_addr[0] == 0xff ||
	    ipv6_unspecified(req_ip->src_addr) || !rte_is_unicast_ether_addr(&req_eth->src_addr) ||
	    !rte_is_unicast_ether_addr(&req_eth->dst_addr))
		return NULL;

	m = frame_alloc_eth(pool, IPV6_HDR_LEN + len, &req_eth->src_addr, &req_eth->dst_addr,
			    RTE_ETHER_TYPE_IPV6, &p);
	if (m == NULL)
		return NULL;
	ip = (struct rte_ipv6_hdr *)p;
	ipv6_fill(ip, (rte_be_to_cpu_32(req_ip->vtc_flow) >> IPV6_TC_SHIFT) & 0xff, len, GEN_TTL,
		  req_ip->dst_addr, req_ip->src_addr);
	/* RFC 4443 4.2: identifier, sequence number and data come back unchanged. */
	msg = (uint8_t *)(ip + 1);
	memcpy(msg, req_msg, len);
	msg[0] = ICMP6_ECHO_REPLY;
	msg[1] = 0;
	msg[2] = msg[3] = 0;
	*(rte_be16_t *)(msg + 2) = (uint16_t)~icmp6_sum(ip, msg, len);
	return m;
}

/*
 * Is the packet (IPv6 header at ip, end bytes readable after it) an ICMPv6
 * error?  Walks the extension headers (RFC 8200 4); -1 if they run past what
 * can be read, so the caller does not answer what it cannot classify.
 */
static int
ipv6_is_icmp6_error(const struct rte_ipv6_hdr *ip, uint32_t avail)
{
	const uint8_t *p = (const uint8_t *)(ip + 1);
	uint8_t nh = ip->proto;
	uint32_t ofs = 0, hlen;

	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
		case IPPROTO_AH:
			if (ofs + 2 > avail)
				return -1;
			if (nh == IPPROTO_FRAGMENT)
				hlen = 8;
			else if (nh == IPPROTO_AH)
				hlen = (p[ofs + 1] + 2u) * 4;
			else
				hlen = (p[ofs + 1] + 1u) * 8;
			if (ofs + hlen > avail)
				return -1;
			/* A later fragment holds data, not the ICMPv6 header. */
			if (nh == IPPROTO_FRAGMENT &&
			    (rte_be_to_cpu_16(*(const rte_be16_t *)(p + ofs + 2)) & 0xfff8) != 0)
				return 0;
			nh = p[ofs];
			ofs += hlen;
			break;
		case IPPROTO_ICMPV6:
			if (ofs + 1 > avail)
				return -1;
			return p[ofs] < ICMP6_INFO_MIN;
		default:
			return 0;
		}
	}
}

struct rte_mbuf *
packet_gen_icmp6_error(struct rte_mempool *pool, const struct rte_mbuf *orig, uint16_t l3_ofs,
		       uint8_t type, uint8_t code, uint32_t param,
		       const struct rte_ether_addr *src_mac, const uint8_t src_ip[16],
		       const struct rte_ether_addr *dst_mac)
{
	const struct rte_ether_hdr *orig_eth = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	const struct rte_ipv6_hdr *orig_ip = ipv6_at(orig, l3_ofs);
	uint32_t total_len, quote_len, msg_len;
	bool group_dst;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint8_t *p, *msg;

	if (orig_ip == NULL)
		return NULL;
	total_len = IPV6_HDR_LEN + rte_be_to_cpu_16(orig_ip->payload_len);
	if (l3_ofs + total_len > rte_pktmbuf_pkt_len(orig))
		return NULL;
	quote_len = RTE_MIN(total_len, (uint32_t)(PACKET_GEN_ICMP6_ERROR_MAX - IPV6_HDR_LEN -
						  ICMP6_HDR_LEN));
	if (l3_ofs + quote_len > rte_pktmbuf_data_len(orig))
		return NULL;
	/* RFC 4443 2.4 (e): what must not cause an error. */
	group_dst = orig_ip->dst_addr[0] == 0xff ||
		    rte_is_multicast_ether_addr(&orig_eth->dst_addr);
	if ((group_dst && type != ICMP6_PACKET_TOO_BIG) || orig_ip->src_addr[0] == 0xff ||
	    ipv6_unspecified(orig_ip->src_addr))
		return NULL;
	if (ipv6_is_icmp6_error(orig_ip, quote_len - IPV6_HDR_LEN) != 0)
		return NULL;

	msg_len = ICMP6_HDR_LEN + quote_len;
	m = frame_alloc_eth(pool, IPV6_HDR_LEN + msg_len, dst_mac, src_mac,
			    RTE_ETHER_TYPE_IPV6, &p);
	if (m == NULL)
		return NULL;
	ip = (struct rte_ipv6_hdr *)p;
	ipv6_fill(ip, 0, (uint16_t)msg_len, GEN_TTL, src_ip, orig_ip->src_addr);

	msg = (uint8_t *)(ip + 1);
	msg[0] = type;
	msg[1] = code;
	msg[2] = msg[3] = 0;
	/* After 14 bytes of Ethernet the word is 2 bytes off a 4-byte boundary. */
	param = rte_cpu_to_be_32(param);
	memcpy(msg + 4, &param, sizeof(param));
	memcpy(msg + ICMP6_HDR_LEN, orig_ip, quote_len);
	*(rte_be16_t *)(msg + 2) = (uint16_t)~icmp6_sum(ip, msg, msg_len);
	return m;
}

bool
packet_gen_icmp6_cksum_ok(const void *ip6, const void *msg, uint32_t len)
{
	return icmp6_sum(ip6, msg, len) == 0xffff;
}

struct rte_mbuf *
packet_gen_tcp_rst(struct rte_mempool *pool, const struct rte_mbuf *orig, uint16_t l3_ofs,
		   const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac)
{
	const struct rte_ipv4_hdr *orig_ip;
	const struct rte_tcp_hdr *orig_tcp;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint16_t hdr_len, total_len, tcp_len;
	uint32_t seg_len;
	struct rte_mbuf *m;
	uint8_t *p;

	orig_ip = ipv4_at(orig, l3_ofs, &hdr_len, &total_len);
	if (orig_ip == NULL || orig_ip->next_proto_id != IPPROTO_TCP ||
	    (orig_ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) ||
	    total_len < hdr_len + sizeof(*orig_tcp) ||
	    (uint32_t)l3_ofs + hdr_len + sizeof(*orig_tcp) > rte_pktmbuf_data_len(orig))
		return NULL;
	orig_tcp = (const struct rte_tcp_hdr *)((const uint8_t *)orig_ip + hdr_len);
	tcp_len = (uint16_t)((orig_tcp->data_off >> 4) * 4);
	/* RFC 793 3.4: a reset is never answered; nor a group address nor a broken header. */
	if ((orig_tcp->tcp_flags & RTE_TCP_RST_FLAG) || tcp_len < sizeof(*orig_tcp) ||
	    tcp_len > total_len - hdr_len || !ipv4_is_single_host(orig_ip->src_addr) ||
	    ipv4_is_group_dst(orig_ip->dst_addr))
		return NULL;
	m = frame_alloc_eth(pool, sizeof(*ip) + sizeof(*tcp), dst_mac, src_mac,
			    RTE_ETHER_TYPE_IPV4, &p);
	if (m == NULL)
		return NULL;
	ip = (struct rte_ipv4_hdr *)p;
	ipv4_fill(ip, 0, sizeof(*ip) + sizeof(*tcp), 0, orig_ip->dst_addr, orig_ip->src_addr);
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	memset(tcp, 0, sizeof(*tcp));
	tcp->src_port = orig_tcp->dst_port;
	tcp->dst_port = orig_tcp->src_port;
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	if (orig_tcp->tcp_flags & RTE_TCP_ACK_FLAG) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		tcp->sent_seq = orig_tcp->recv_ack;
		tcp->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>: SYN and FIN count in SEG.LEN. */
		seg_len = (uint32_t)(total_len - hdr_len - tcp_len) +
			  !!(orig_tcp->tcp_flags & RTE_TCP_SYN_FLAG) +
			  !!(orig_tcp->tcp_flags & RTE_TCP_FIN_FLAG);
		tcp->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(orig_tcp->sent_seq) + seg_len);
		tcp->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return m;
}
