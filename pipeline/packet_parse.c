/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Frame to flow key and header offsets (contract in packet_parse.h).
 *
 * One parse_* function per layer.  Each is given the bound it may read up
 * to and checks a header fits before touching it: Ethernet and the L3 header
 * are bounded by the packet, L4 and tunnel headers by the end of the IP
 * payload (IPv4 total length, IPv6 payload length), so Ethernet padding
 * after a short IP packet is never mistaken for a header.
 *
 * Lengths are checked against the whole packet (pkt_len: a jumbo frame
 * arrives as a chain of mbufs), but every header is read from the first
 * segment: a header the packet holds that runs past the first segment is
 * dropped as DROP_HEADERS_SPLIT, not linearized.  Drivers fill the first
 * segment (2 KiB in Kairo's pool) before they chain, so only headers longer
 * than that (stacked IPv6 extension headers) could run past it, and copying
 * them together would need a buffer no worker should hold.
 *
 * Offsets fit in uint16_t: every header is checked against the first
 * segment's data_len, itself a uint16_t, and every length against pkt_len
 * capped at UINT16_MAX, beyond which no IP length reaches.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "packet_parse.h"

/* 802.1Q inside 802.1ad (QinQ) is the deepest stack the key has fields for. */
#define PARSE_MAX_VLAN_TAGS 2

#define IPV4_VERSION 4
#define IPV4_ADDR_LEN 4
#define IPV6_VERSION 6
#define IPV6_VERSION_SHIFT 28
/* RFC 791 §3.1: the fragment offset counts 8-octet units. */
#define IP_FRAG_UNIT 8
/* RFC 1858 §4: the one offset at which a TCP fragment can only be an attack. */
#define RFC1858_OVERLAP_OFFSET 1
/* Largest IP datagram (RFC 791) or IPv6 payload (RFC 8200 §4.5) a reassembly can yield. */
#define IP_REASSEMBLED_MAX UINT16_MAX

/* RFC 8200 §4.5: fragment header, offset in the top 13 bits, M flag in bit 0. */
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFFSET_SHIFT 3
#define IPV6_FRAG_MORE 0x0001

/* RFC 9293 §3.1: the data offset counts 32-bit words, in the high nibble. */
#define TCP_DOFF_MIN 5
#define TCP_DOFF_UNIT 4

/* RFC 9260 §3.1: SCTP common header; the ports are its first 4 bytes. */
#define SCTP_COMMON_HDR_LEN 12

/* ICMP (RFC 792) and ICMPv6 (RFC 4443 §2.1) both start with type, code, checksum. */
#define ICMP_HDR_MIN 4
/* Echo request and reply: then identifier and sequence number. */
#define ICMP_ECHO_HDR_LEN 8

/* GRE (RFC 2784 §2, RFC 2890 §2): flags in byte 0, version in the low 3 bits of byte 1. */
#define GRE_BASE_LEN 4
#define GRE_OPT_LEN 4
#define GRE_FLAG_C 0x80 /* checksum + reserved1 present */
#define GRE_FLAG_K 0x20 /* key present */
#define GRE_FLAG_S 0x10 /* sequence number present */
#define GRE_VERSION_MASK 0x07
/* pkt_meta.gre_flags holds C/K/S shifted down to bits 3/1/0 (flow_key.h). */
#define GRE_META_FLAGS_SHIFT 4
#define GRE_META_FLAGS_MASK 0x0b

/* RFC 7348 §5: the VNI is the top 24 bits of the second word. */
#define VXLAN_VNI_SHIFT 8

struct parse_ctx {
	const uint8_t *data;            /* first byte of the frame */
	uint16_t len;                   /* the packet's bytes (pkt_len), capped at UINT16_MAX */
	uint16_t hdr_len;               /* readable bytes: the first segment's, at most len */
	const struct parse_config *cfg;
	struct pkt_meta *meta;
};

/* Whether need bytes at ofs end at or before end; 32-bit sums cannot wrap here. */
static inline bool
fits(uint32_t ofs, uint32_t need, uint32_t end)
{
	return ofs + need <= end;
}

/*
 * Whether a header of need bytes at ofs can be read: 0, or truncated when
 * the packet (or its IP payload, end) ends first, or DROP_HEADERS_SPLIT when
 * the packet holds it but not in its first segment.
 */
static inline int
header_fits(const struct parse_ctx *c, uint32_t ofs, uint32_t need, uint32_t end, int truncated)
{
	if (!fits(ofs, need, end))
		return truncated;
	if (!fits(ofs, need, c->hdr_len))
		return DROP_HEADERS_SPLIT;
	return 0;
}

static inline const void *
at(const struct parse_ctx *c, uint16_t ofs)
{
	return c->data + ofs;
}

/* Header fields at offsets the frame's layout does not align: no aligned loads. */
static inline uint16_t
load_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t
load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline int
parse_eth(struct parse_ctx *c, uint16_t *ether_type)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_ether_hdr *eth;
	uint16_t ofs = sizeof(*eth);
	uint16_t type;
	int tags, rc;

	if ((rc = header_fits(c, 0, sizeof(*eth), c->len, DROP_ETH_TRUNCATED)) != 0)
		return rc;
	eth = at(c, 0);
	rte_ether_addr_copy(&eth->dst_addr, &key->eth_dst);
	rte_ether_addr_copy(&eth->src_addr, &key->eth_src);
	type = rte_be_to_cpu_16(eth->ether_type);

	/*
	 * 802.1ad puts a 0x88a8 tag outside a 0x8100 one, but many switches
	 * stack two 0x8100 tags: either TPID is accepted at either depth.
	 */
	for (tags = 0; type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ; tags++) {
		const struct rte_vlan_hdr *vh;
		uint16_t tci;

		if (tags == PARSE_MAX_VLAN_TAGS)
			return DROP_VLAN_TOO_MANY;
		if ((rc = header_fits(c, ofs, sizeof(*vh), c->len, DROP_VLAN_TRUNCATED)) != 0)
			return rc;
		vh = at(c, ofs);
		tci = rte_be_to_cpu_16(vh->vlan_tci);
		if (tags == 0)
			key->vlan_outer = tci;
		else
			key->vlan_inner = tci;
		type = rte_be_to_cpu_16(vh->eth_proto);
		ofs += sizeof(*vh);
	}

	key->ether_type = type;
	c->meta->l2_len = ofs;
	c->meta->l3_ofs = ofs;
	*ether_type = type;
	return 0;
}

static inline int
parse_arp(struct parse_ctx *c, uint16_t ofs)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_arp_hdr *arp;
	int rc;

	/* The fixed part first: it says how long the addresses are. */
	rc = header_fits(c, ofs, offsetof(struct rte_arp_hdr, arp_data), c->len,
			 DROP_ARP_TRUNCATED);
	if (rc != 0)
		return rc;
	arp = at(c, ofs);
	/* RFC 826 is generic; only Ethernet/IPv4 addresses have a place in the key. */
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != IPV4_ADDR_LEN)
		return DROP_ARP_BAD_FORMAT;
	if ((rc = header_fits(c, ofs, sizeof(*arp), c->len, DROP_ARP_TRUNCATED)) != 0)
		return rc;

	key->l3_kind = FLOW_L3_ARP;
	memcpy(key->nw_src, &arp->arp_data.arp_sip, IPV4_ADDR_LEN);
	memcpy(key->nw_dst, &arp->arp_data.arp_tip, IPV4_ADDR_LEN);
	/* Opcodes in use (request 1, reply 2, RFC 5227 probes) fit the low byte. */
	key->nw_proto = (uint8_t)rte_be_to_cpu_16(arp->arp_opcode);
	c->meta->l3_len = sizeof(*arp);
	return 0;
}

static inline int
parse_tcp(struct parse_ctx *c, uint16_t ofs, uint16_t end)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_tcp_hdr *tcp;
	unsigned int doff;
	int rc;

	/*
	 * Also for a first fragment: one too short to hold the TCP header is
	 * the tiny-fragment attack on port filters (RFC 1858 §3, RFC 3128).
	 */
	if ((rc = header_fits(c, ofs, sizeof(*tcp), end, DROP_L4_TRUNCATED)) != 0)
		return rc;
	tcp = at(c, ofs);
	key->tp_src = rte_be_to_cpu_16(tcp->src_port);
	key->tp_dst = rte_be_to_cpu_16(tcp->dst_port);
	doff = tcp->data_off >> 4;
	if (doff < TCP_DOFF_MIN || !fits(ofs, doff * TCP_DOFF_UNIT, end))
		return DROP_TCP_BAD_OFFSET;
	return 0;
}

static inline int
parse_vxlan(struct parse_ctx *c, uint16_t ofs, uint16_t end)
{
	const struct rte_vxlan_hdr *vx;
	int rc;

	if ((rc = header_fits(c, ofs, sizeof(*vx), end, DROP_VXLAN_TRUNCATED)) != 0)
		return rc;
	vx = at(c, ofs);
	/*
	 * The I flag is not checked: RFC 7348 §5 has senders set it, and the
	 * VNI is what the decapsulation stage will look up either way.
	 */
	c->meta->tunnel = PKT_TUNNEL_VXLAN;
	c->meta->tunnel_key = rte_be_to_cpu_32(vx->vx_vni) >> VXLAN_VNI_SHIFT;
	c->meta->tunnel_ofs = ofs + sizeof(*vx);
	return 0;
}

static inline int
parse_udp(struct parse_ctx *c, uint16_t ofs, uint16_t end, uint8_t frag)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_udp_hdr *udp;
	uint16_t udp_len;
	uint16_t udp_end;
	int rc;

	if ((rc = header_fits(c, ofs, sizeof(*udp), end, DROP_L4_TRUNCATED)) != 0)
		return rc;
	udp = at(c, ofs);
	key->tp_src = rte_be_to_cpu_16(udp->src_port);
	key->tp_dst = rte_be_to_cpu_16(udp->dst_port);
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	/*
	 * RFC 768: the length counts the header.  It covers the whole datagram,
	 * so in a first fragment it may exceed what this packet carries.
	 */
	if (udp_len < sizeof(*udp))
		return DROP_UDP_BAD_LEN;
	if (frag == FLOW_FRAG_NONE && !fits(ofs, udp_len, end))
		return DROP_UDP_BAD_LEN;
	udp_end = (uint16_t)RTE_MIN((uint32_t)ofs + udp_len, (uint32_t)end);

	if (key->tp_dst == c->cfg->vxlan_udp_port)
		return parse_vxlan(c, ofs + sizeof(*udp), udp_end);
	return 0;
}

static inline int
parse_icmp(struct parse_ctx *c, uint16_t ofs, uint16_t end)
{
	const uint8_t *icmp;
	int rc;

	if ((rc = header_fits(c, ofs, ICMP_HDR_MIN, end, DROP_L4_TRUNCATED)) != 0)
		return rc;
	icmp = at(c, ofs);
	/* Type and code take the port fields, as in OpenFlow's icmp_type/icmp_code. */
	c->meta->key.tp_src = icmp[0];
	c->meta->key.tp_dst = icmp[1];
	/*
	 * Echo's identifier tells one ping session from another (connection
	 * tracking, NAT rewrites it); its code is always 0 (RFC 792, RFC 4443 4.1).
	 */
	if (flow_icmp_is_echo(c->meta->key.nw_proto, icmp[0])) {
		if ((rc = header_fits(c, ofs, ICMP_ECHO_HDR_LEN, end, DROP_L4_TRUNCATED)) != 0)
			return rc;
		c->meta->key.tp_dst = (uint16_t)(icmp[4] << 8 | icmp[5]);
	}
	return 0;
}

static inline int
parse_sctp(struct parse_ctx *c, uint16_t ofs, uint16_t end)
{
	const struct rte_udp_hdr *ports; /* SCTP's ports are laid out as UDP's */
	int rc;

	if ((rc = header_fits(c, ofs, SCTP_COMMON_HDR_LEN, end, DROP_L4_TRUNCATED)) != 0)
		return rc;
	ports = at(c, ofs);
	c->meta->key.tp_src = rte_be_to_cpu_16(ports->src_port);
	c->meta->key.tp_dst = rte_be_to_cpu_16(ports->dst_port);
	return 0;
}

static inline int
parse_gre(struct parse_ctx *c, uint16_t ofs, uint16_t end)
{
	struct pkt_meta *meta = c->meta;
	const uint8_t *gre;
	uint16_t hlen = GRE_BASE_LEN;
	uint16_t key_ofs;
	int rc;

	if ((rc = header_fits(c, ofs, GRE_BASE_LEN, end, DROP_GRE_TRUNCATED)) != 0)
		return rc;
	gre = at(c, ofs);
	/*
	 * RFC 2784 §2.3.1: version 0.  Version 1 is PPTP's enhanced GRE
	 * (RFC 2637), whose payload is PPP, nothing a virtual port carries.
	 */
	if ((gre[1] & GRE_VERSION_MASK) != 0)
		return DROP_GRE_BAD_VERSION;
	/* RFC 2890 §2: the optional words come in the order checksum, key, sequence. */
	if (gre[0] & GRE_FLAG_C)
		hlen += GRE_OPT_LEN;
	key_ofs = hlen;
	if (gre[0] & GRE_FLAG_K)
		hlen += GRE_OPT_LEN;
	if (gre[0] & GRE_FLAG_S)
		hlen += GRE_OPT_LEN;
	if ((rc = header_fits(c, ofs, hlen, end, DROP_GRE_TRUNCATED)) != 0)
		return rc;

	meta->tunnel = PKT_TUNNEL_GRE;
	meta->gre_flags = (gre[0] >> GRE_META_FLAGS_SHIFT) & GRE_META_FLAGS_MASK;
	if (gre[0] & GRE_FLAG_K)
		meta->tunnel_key = load_be32(gre + key_ofs);
	meta->tunnel_ofs = ofs + hlen;
	return 0;
}

/*
 * L4 of an unfragmented packet or a first fragment: proto's header at ofs,
 * the IP payload ending at end.
 */
static inline int
parse_l4(struct parse_ctx *c, uint8_t proto, uint16_t ofs, uint16_t end, uint8_t frag)
{
	c->meta->l4_ofs = ofs;
	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(c, ofs, end);
	case IPPROTO_UDP:
		return parse_udp(c, ofs, end, frag);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return parse_icmp(c, ofs, end);
	case IPPROTO_SCTP:
		return parse_sctp(c, ofs, end);
	case IPPROTO_GRE:
		return parse_gre(c, ofs, end);
	default:
		/* Not malformed: the key just stops at nw_proto. */
		return 0;
	}
}

static inline int
parse_ipv4(struct parse_ctx *c, uint16_t ofs)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_ipv4_hdr *ip;
	uint16_t avail = c->len - ofs;
	uint16_t hlen, total_len, frag_field, frag_ofs;
	uint8_t frag;
	int rc;

	if ((rc = header_fits(c, ofs, sizeof(*ip), c->len, DROP_IPV4_TRUNCATED)) != 0)
		return rc;
	ip = at(c, ofs);
	/* RFC 1812 §5.2.2 lists the checks a router makes before it trusts a header. */
	if ((ip->version_ihl >> 4) != IPV4_VERSION)
		return DROP_IPV4_BAD_VERSION;
	hlen = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (hlen < sizeof(*ip))
		return DROP_IPV4_BAD_IHL;
	if ((rc = header_fits(c, ofs, hlen, c->len, DROP_IPV4_BAD_IHL)) != 0)
		return rc;
	total_len = rte_be_to_cpu_16(ip->total_length);
	/* Bytes past total_len are Ethernet padding (frames are 60 bytes at least). */
	if (total_len < hlen || total_len > avail)
		return DROP_IPV4_BAD_TOTAL_LEN;

	frag_field = rte_be_to_cpu_16(ip->fragment_offset);
	frag_ofs = frag_field & RTE_IPV4_HDR_OFFSET_MASK;
	/* A fragment ending past 64 KiB cannot be reassembled: the "ping of death". */
	if ((uint32_t)frag_ofs * IP_FRAG_UNIT + (total_len - hlen) > IP_REASSEMBLED_MAX)
		return DROP_IPV4_BAD_FRAGMENT;
	/*
	 * RFC 1858 §4: a TCP fragment at offset 1 (8 bytes) starts inside the
	 * first fragment's TCP header and rewrites its flags on reassembly, past
	 * a filter that let the first one through.  No sender fragments TCP
	 * that way, so the RFC's rule is simply to drop it.
	 */
	if (frag_ofs == RFC1858_OVERLAP_OFFSET && ip->next_proto_id == IPPROTO_TCP)
		return DROP_TCP_FRAGMENT_OVERLAP;
	if (frag_ofs > 0)
		frag = FLOW_FRAG_LATER;
	else if (frag_field & RTE_IPV4_HDR_MF_FLAG)
		frag = FLOW_FRAG_FIRST;
	else
		frag = FLOW_FRAG_NONE;

	key->l3_kind = FLOW_L3_IPV4;
	memcpy(key->nw_src, &ip->src_addr, IPV4_ADDR_LEN);
	memcpy(key->nw_dst, &ip->dst_addr, IPV4_ADDR_LEN);
	key->nw_tos = ip->type_of_service;
	key->nw_proto = ip->next_proto_id;
	key->nw_frag = frag;
	c->meta->l3_len = hlen;

	/* A later fragment carries no L4 header: its key stops at nw_proto. */
	if (frag == FLOW_FRAG_LATER)
		return 0;
	return parse_l4(c, ip->next_proto_id, ofs + hlen, ofs + total_len, frag);
}

/* Where the IPv6 extension header walk stopped. */
struct ipv6_walk {
	uint16_t ofs;  /* the header after the last extension header walked */
	uint8_t proto; /* its type: the upper-layer protocol once the walk is done */
	uint8_t frag;  /* enum flow_frag */
};

static inline bool
ipv6_is_ext_hdr(uint8_t proto)
{
	/* RFC 8200 §4: the headers that lie between IPv6 and the upper layer. */
	switch (proto) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
		return true;
	default:
		return false;
	}
}

static inline int
parse_ipv6_frag_hdr(const uint8_t *hdr, uint16_t data_len, struct ipv6_walk *w)
{
	uint16_t frag_field = load_be16(hdr + 2);
	uint16_t frag_ofs = frag_field >> IPV6_FRAG_OFFSET_SHIFT;

	/* RFC 8200 §4.5: a fragment whose reassembly exceeds 65535 bytes is discarded. */
	if ((uint32_t)frag_ofs * IP_FRAG_UNIT + data_len > IP_REASSEMBLED_MAX)
		return DROP_IPV6_BAD_FRAGMENT;
	if (frag_ofs > 0)
		w->frag = FLOW_FRAG_LATER;
	else if (frag_field & IPV6_FRAG_MORE)
		w->frag = FLOW_FRAG_FIRST;
	/* Offset 0 without M is an atomic fragment: a whole packet (RFC 6946 §4). */
	return 0;
}

/*
 * Walk the extension headers from w->ofs up to the payload end.  A later
 * fragment stops the walk at its fragment header: what follows is data.
 */
static inline int
parse_ipv6_ext_hdrs(struct parse_ctx *c, uint16_t end, struct ipv6_walk *w)
{
	unsigned int n;

	for (n = 0; ipv6_is_ext_hdr(w->proto); n++) {
		const uint8_t *hdr;
		uint16_t hlen;
		int rc;

		/* RFC 8200 §4.1 sets no limit; the worker's time per packet needs one. */
		if (n == PACKET_PARSE_MAX_IPV6_EXT)
			return DROP_IPV6_BAD_EXT_HDR;
		/* Each starts with the next header's type, then (but in fragment) a length. */
		if ((rc = header_fits(c, w->ofs, 2, end, DROP_IPV6_BAD_EXT_HDR)) != 0)
			return rc;
		hdr = at(c, w->ofs);
		if (w->proto == IPPROTO_FRAGMENT)
			hlen = IPV6_FRAG_HDR_LEN;
		else if (w->proto == IPPROTO_AH)
			hlen = (hdr[1] + 2) * 4; /* RFC 4302 §2.2: 4-octet units, minus 2 */
		else
			hlen = (hdr[1] + 1) * 8; /* RFC 8200 §4.3: 8-octet units, minus 1 */
		if ((rc = header_fits(c, w->ofs, hlen, end, DROP_IPV6_BAD_EXT_HDR)) != 0)
			return rc;

		if (w->proto == IPPROTO_FRAGMENT) {
			rc = parse_ipv6_frag_hdr(hdr, end - w->ofs - hlen, w);
			if (rc != 0)
				return rc;
		}
		w->proto = hdr[0];
		/*
		 * RFC 8200 §4.1: hop-by-hop options may only come right after
		 * the IPv6 header, where every router looks for them; named by
		 * any later header (a fragment header too, whose later pieces
		 * end the walk) they are malformed.
		 */
		if (w->proto == IPPROTO_HOPOPTS)
			return DROP_IPV6_HOPOPTS_NOT_FIRST;
		w->ofs += hlen;
		if (w->frag == FLOW_FRAG_LATER)
			break;
	}
	return 0;
}

static inline int
parse_ipv6(struct parse_ctx *c, uint16_t ofs)
{
	struct flow_key *key = &c->meta->key;
	const struct rte_ipv6_hdr *ip;
	uint16_t avail = c->len - ofs;
	uint32_t vtc_flow;
	uint16_t end;
	struct ipv6_walk w;
	int rc;

	if ((rc = header_fits(c, ofs, sizeof(*ip), c->len, DROP_IPV6_TRUNCATED)) != 0)
		return rc;
	ip = at(c, ofs);
	vtc_flow = rte_be_to_cpu_32(ip->vtc_flow);
	if ((vtc_flow >> IPV6_VERSION_SHIFT) != IPV6_VERSION)
		return DROP_IPV6_BAD_VERSION;
	/*
	 * A payload length of 0 would announce a jumbogram (RFC 2675), which
	 * no Ethernet frame can hold; it is taken literally as an empty payload.
	 */
	if (rte_be_to_cpu_16(ip->payload_len) > avail - sizeof(*ip))
		return DROP_IPV6_BAD_PAYLOAD_LEN;
	end = ofs + sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);

	key->l3_kind = FLOW_L3_IPV6;
	memcpy(key->nw_src, ip->src_addr, sizeof(key->nw_src));
	memcpy(key->nw_dst, ip->dst_addr, sizeof(key->nw_dst));
	key->nw_tos = (vtc_flow & RTE_IPV6_HDR_TC_MASK) >> RTE_IPV6_HDR_TC_SHIFT;

	w.ofs = ofs + sizeof(*ip);
	w.proto = ip->proto;
	w.frag = FLOW_FRAG_NONE;
	rc = parse_ipv6_ext_hdrs(c, end, &w);
	/* Even on error the key shows how far the walk got. */
	key->nw_proto = w.proto;
	key->nw_frag = w.frag;
	c->meta->l3_len = w.ofs - ofs;
	if (rc != 0)
		return rc;

	/* In a later fragment, nw_proto is the type the fragment header announced. */
	if (w.frag == FLOW_FRAG_LATER)
		return 0;
	return parse_l4(c, w.proto, w.ofs, end, w.frag);
}

int
packet_parse(const struct rte_mbuf *m, uint16_t in_port, const struct parse_config *cfg,
	     struct pkt_meta *meta)
{
	uint16_t len = (uint16_t)RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)UINT16_MAX);
	struct parse_ctx c = {
		.data = rte_pktmbuf_mtod(m, const uint8_t *),
		.len = len,
		/* Headers are read from the first segment only; a chain's tail is payload. */
		.hdr_len = RTE_MIN(rte_pktmbuf_data_len(m), len),
		.cfg = cfg,
		.meta = meta,
	};
	uint16_t ether_type;
	int rc;

	/* rte_hash hashes and compares raw bytes: every key byte must be defined. */
	memset(&meta->key, 0, sizeof(meta->key));
	meta->l2_len = 0;
	meta->l3_len = 0;
	meta->l3_ofs = 0;
	meta->l4_ofs = 0;
	meta->tunnel = PKT_TUNNEL_NONE;
	meta->gre_flags = 0;
	meta->tunnel_ofs = 0;
	meta->tunnel_key = 0;
	meta->key.in_port = in_port;

	rc = parse_eth(&c, &ether_type);
	if (rc != 0)
		return rc;
	switch (ether_type) {
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(&c, meta->l3_ofs);
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(&c, meta->l3_ofs);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(&c, meta->l3_ofs);
	default:
		/* Not malformed: the key just stops at ether_type. */
		return 0;
	}
}
