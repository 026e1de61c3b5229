/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact-match flow key and the per-packet metadata a worker keeps in the
 * mbuf's private area.
 *
 * The key holds every header field the simulation may read, so two packets
 * with equal keys are guaranteed to get the same verdict.  Fields the
 * simulation never reads into a decision (TTL, IP id, checksums, TCP flags)
 * stay out: the cached actions check what they need (DESIGN.md, "TTL and
 * anything else that the cache key leaves out").
 *
 * The struct is 80 bytes, a size rte_hash compares with its unrolled SIMD
 * compare (rte_hash_k80_cmp_eq); every byte, padding included, must be written (packet_parse zeroes
 * the whole key before filling it), because rte_hash hashes and compares raw
 * bytes.
 */
#ifndef KAIRO_FLOW_KEY_H
#define KAIRO_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/* Fragment class of an IP packet, as the rule model sees it (MIDONET-MODEL §3). */
enum flow_frag {
	FLOW_FRAG_NONE = 0,  /* not fragmented */
	FLOW_FRAG_FIRST = 1, /* header fragment: offset 0, more fragments */
	FLOW_FRAG_LATER = 2, /* non-header fragment: offset > 0, no L4 header */
};

/* key.l3_kind: what fills the address fields. */
enum flow_l3 {
	FLOW_L3_NONE = 0, /* neither IP nor ARP: only the L2 fields are set */
	FLOW_L3_ARP = 1,  /* nw_src/nw_dst = sender/target IPv4, nw_proto = opcode */
	FLOW_L3_IPV4 = 2, /* nw_src/nw_dst = IPv4 addresses in their first 4 bytes */
	FLOW_L3_IPV6 = 3,
};

struct flow_key {
	uint32_t tun_id;       /* VNI or GRE key of a decapsulated packet, 0 otherwise */
	uint32_t tun_src;      /* outer IPv4 source, network order, 0 if none */
	uint32_t tun_dst;      /* outer IPv4 destination, network order */
	uint16_t in_port;      /* DPDK port id the packet arrived on */
	uint16_t vlan_outer;   /* TCI of the outer 802.1Q/802.1ad tag, 0 if none */
	uint16_t vlan_inner;   /* TCI of the inner tag (QinQ), 0 if none */
	uint16_t ether_type;   /* innermost ethertype, host order */
	struct rte_ether_addr eth_dst;
	struct rte_ether_addr eth_src;
	uint8_t nw_src[16];    /* IPv4 in the first 4 bytes, rest zero */
	uint8_t nw_dst[16];
	uint8_t l3_kind;       /* enum flow_l3 */
	uint8_t nw_proto;      /* IP protocol (IPv6: the upper-layer header) or ARP opcode */
	uint8_t nw_tos;        /* IPv4 TOS / IPv6 traffic class */
	uint8_t nw_frag;       /* enum flow_frag */
	uint16_t tp_src;       /* L4 source port, or ICMP/ICMPv6 type; host order */
	uint16_t tp_dst;       /* L4 destination port, or ICMP/ICMPv6 code, or the
				* identifier of an echo request or reply (flow_icmp_is_echo);
				* host order */
	uint8_t reserved[8];   /* zero; keeps the key at a size rte_hash compares fast */
};

static_assert(sizeof(struct flow_key) == 80, "flow_key must stay 80 bytes (rte_hash k80 compare)");

#define FLOW_ICMP_ECHO_REPLY 0
#define FLOW_ICMP_ECHO_REQUEST 8
#define FLOW_ICMP6_ECHO_REQUEST 128
#define FLOW_ICMP6_ECHO_REPLY 129

/*
 * ICMP and ICMPv6 echo carry their identifier where other ICMP messages'
 * keys carry the code (always 0 for echo): one ping session is one flow and
 * one connection, and NAT can tell sessions apart.
 */
static inline bool
flow_icmp_is_echo(uint8_t proto, uint16_t type)
{
	if (proto == 1) /* IPPROTO_ICMP */
		return type == FLOW_ICMP_ECHO_REQUEST || type == FLOW_ICMP_ECHO_REPLY;
	if (proto == 58) /* IPPROTO_ICMPV6 */
		return type == FLOW_ICMP6_ECHO_REQUEST || type == FLOW_ICMP6_ECHO_REPLY;
	return false;
}

/* The code an ICMP key stands for: echo's is 0, its place holds the identifier. */
static inline uint16_t
flow_icmp_code(const struct flow_key *k)
{
	return flow_icmp_is_echo(k->nw_proto, k->tp_src) ? 0 : k->tp_dst;
}

/* Outer encapsulation the parser recognised (decapsulation is done later, in the pipeline). */
enum pkt_tunnel {
	PKT_TUNNEL_NONE = 0,
	PKT_TUNNEL_VXLAN = 1,
	PKT_TUNNEL_GRE = 2,
};

/*
 * What a worker knows about one packet, kept in the mbuf private area
 * (pool created with priv_size = sizeof(struct pkt_meta)).  Written by the
 * parser on the worker, read by the worker's actions and, for a miss, by the
 * simulation thread after the upcall hand-off.
 */
struct pkt_meta {
	struct flow_key key;
	uint16_t l2_len;       /* bytes before the L3 header, VLAN tags included */
	uint16_t l3_len;       /* IP header incl. options / IPv6 extension headers */
	uint16_t l3_ofs;       /* offset of the L3 header */
	uint16_t l4_ofs;       /* offset of the L4 header, 0 if none (later fragment) */
	uint8_t tunnel;        /* enum pkt_tunnel: outer header recognised */
	uint8_t gre_flags;     /* GRE: C/K/S bits as on the wire (byte 0 >> 4 & 0xb) */
	uint16_t tunnel_ofs;   /* offset of the inner Ethernet (VXLAN) or payload (GRE) */
	uint32_t tunnel_key;   /* VXLAN VNI or GRE key (host order), if present */
	uint16_t out_port;     /* slow-path injections: where the worker sends it */
	uint16_t worker;       /* index of the worker that received it */
	uint32_t hash;         /* rte_hash signature of key, computed once on the worker */
	uint8_t upcall_reason; /* enum upcall_reason: why the packet went to the slow path */
	/* Admission (pipeline/upcall.h), set by the worker as it hands the packet up: */
	uint8_t upcall_follower; /* 1: follows its key's first packet up and holds no token */
	uint32_t upcall_lead;  /* leads its key: its number in the worker's lead table; 0: not */
	uint64_t upcall_tsc;   /* TSC of the worker's pass that sent it up; 0: not from a worker */
};

/* Why a packet is in the slow path (pipeline/upcall.h). */
enum upcall_reason {
	UPCALL_MISS = 0,     /* no flow for the key */
	UPCALL_ACTION = 1,   /* a flow's check sent it up (TTL, MTU): simulate, do not install */
	UPCALL_RESUMED = 2,  /* waited in the simulation (a next hop) and walked again: holds no tokens */
};

static inline struct pkt_meta *
pkt_meta(struct rte_mbuf *m)
{
	return (struct pkt_meta *)rte_mbuf_to_priv(m);
}

#endif
