/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packets the simulation makes itself: ARP requests and replies, ICMP echo
 * replies and ICMP errors (RFC 792, RFC 1812 4.3.2), TCP resets (RFC 793), and for IPv6 neighbour
 * solicitations and advertisements (RFC 4861), ICMPv6 echo replies and errors
 * (RFC 4443), built into mbufs from the daemon's pool.  Runs on the
 * simulation thread only.
 *
 * Every builder returns a new single-segment mbuf (with a zeroed pkt_meta
 * private area; frames under 60 bytes are zero-padded to 60) or NULL when the
 * pool is empty or its private area is smaller than struct pkt_meta; the
 * caller owns it.  The ICMP builders also return NULL for an input packet
 * they must not answer or that is malformed; they read only the input's first
 * segment.  IPv4 addresses are in network order (rte_be32_t), IPv6 ones 16
 * bytes as on the wire, MACs as struct rte_ether_addr.  No VLAN tags are added: the caller pushes one if the egress
 * needs it.
 */
#ifndef KAIRO_PACKET_GEN_H
#define KAIRO_PACKET_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/*
 * The ICMP errors (RFC 792, RFC 1812 4.3.2.3): destination unreachable, source
 * quench, redirect, time exceeded, parameter problem.  Each quotes the IP
 * header and the first bytes of the packet it is about.
 */
static inline bool
icmp_type_quotes_packet(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* RFC 1812 4.3.2.3: quote the offending header and at least 8 bytes; we quote up to this. */
#define PACKET_GEN_ICMP_QUOTE_MAX 548

/* An ARP request "who has target_ip, tell sender_ip", broadcast. */
struct rte_mbuf *packet_gen_arp_request(struct rte_mempool *pool,
					const struct rte_ether_addr *sender_mac,
					rte_be32_t sender_ip, rte_be32_t target_ip);

/* An ARP reply "sender_ip is at sender_mac", unicast to target_mac/target_ip. */
struct rte_mbuf *packet_gen_arp_reply(struct rte_mempool *pool,
				      const struct rte_ether_addr *sender_mac, rte_be32_t sender_ip,
				      const struct rte_ether_addr *target_mac, rte_be32_t target_ip);

/*
 * The echo reply to the IPv4 ICMP echo request in req (an Ethernet frame whose
 * IPv4 header starts at l3_ofs): addresses swapped (MACs and IPs), type 0,
 * same id, sequence and payload, TTL 64, IP id 0, TOS and DF as in the
 * request, checksums recomputed.  The IPv4 options of the request are not
 * copied (RFC 1122 3.2.2.6 allows that).
 * Returns NULL unless req is an unfragmented ICMP type 8 message of at least
 * 8 bytes, wholly in the first segment, with valid IPv4 and ICMP checksums,
 * between two single-host addresses (IP and Ethernet): the swapped addresses
 * become the reply's.
 */
struct rte_mbuf *packet_gen_icmp_echo_reply(struct rte_mempool *pool, const struct rte_mbuf *req,
					    uint16_t l3_ofs);

/*
 * An ICMPv4 error about the IPv4 packet in orig (IPv4 header at l3_ofs):
 * from src_mac/src_ip (the router port that answers) to dst_mac and to the
 * offending packet's source address, with type/code, and for "fragmentation
 * needed" (type 3 code 4) the next-hop MTU in the unused field (RFC 1191).
 * Quotes the original IP header and payload up to PACKET_GEN_ICMP_QUOTE_MAX
 * bytes in all (Ethernet padding excluded), so the error is at most 576 bytes
 * of IP.  TTL 64, TOS 0xc0 (RFC 1812 4.3.2.5), IP id 0, DF clear, checksums
 * computed.  Other types' 4 bytes after the checksum are zero (e.g. no
 * parameter-problem pointer).
 * Returns NULL, without building, for the packets RFC 1812 4.3.2.7 forbids
 * answering: an ICMP error (types 3, 4, 5, 11, 12, and unknown types above
 * 18), a non-initial fragment, a broadcast or multicast destination (IP
 * 255.255.255.255 or 224/4, or an Ethernet group address; a subnet-directed
 * broadcast is the caller's to recognise), or a source that is not a single
 * host (0/8, 127/8, 224/4, 240/4).  Also NULL when the IPv4 header is
 * malformed, its total length runs past the packet, or the quote is not in
 * the first segment.
 */
struct rte_mbuf *packet_gen_icmp_error(struct rte_mempool *pool, const struct rte_mbuf *orig,
				       uint16_t l3_ofs, uint8_t type, uint8_t code,
				       uint16_t next_hop_mtu, const struct rte_ether_addr *src_mac,
				       rte_be32_t src_ip, const struct rte_ether_addr *dst_mac);

/*
 * The TCP reset answering the IPv4 TCP segment in orig (IPv4 header at
 * l3_ofs), RFC 793 3.4 "Reset Generation": from the segment's destination
 * (address and port) to its source, from src_mac to dst_mac; if the segment
 * has ACK, SEQ = its ACK and only RST is set, else SEQ 0, ACK = its SEQ plus
 * its length (SYN and FIN counting one each) and RST+ACK.  No options, window
 * 0, TTL 64, checksums computed.  NULL for a segment that is itself a reset,
 * a non-initial fragment, a truncated or malformed header, or a group
 * destination or a source that is not a single host.
 */
struct rte_mbuf *packet_gen_tcp_rst(struct rte_mempool *pool, const struct rte_mbuf *orig,
				    uint16_t l3_ofs, const struct rte_ether_addr *src_mac,
				    const struct rte_ether_addr *dst_mac);

/*
 * Is the ICMPv6 checksum of msg (len bytes, the upper-layer length) right,
 * with the pseudo-header of the IPv6 header ip6 (struct rte_ipv6_hdr)?
 */
bool packet_gen_icmp6_cksum_ok(const void *ip6, const void *msg, uint32_t len);

/* RFC 4443 2.4 (c): an ICMPv6 error must not exceed the minimum IPv6 MTU. */
#define PACKET_GEN_ICMP6_ERROR_MAX 1280

/* Neighbour advertisement flags (RFC 4861 4.4), in the host order of the flags word. */
#define PACKET_GEN_NA_ROUTER 0x80000000u
#define PACKET_GEN_NA_SOLICITED 0x40000000u
#define PACKET_GEN_NA_OVERRIDE 0x20000000u

/*
 * A neighbour solicitation for target from src_ip/src_mac, sent to target's
 * solicited-node multicast address (ff02::1:ffXX:XXXX, Ethernet 33:33:ff:XX:XX:XX),
 * hop limit 255, with a source link-layer address option (RFC 4861 4.3, 7.2.2).
 */
struct rte_mbuf *packet_gen_nd_solicit(struct rte_mempool *pool,
				       const struct rte_ether_addr *src_mac,
				       const uint8_t src_ip[16], const uint8_t target[16]);

/*
 * A neighbour advertisement "target is at src_mac" from target itself to
 * dst_ip/dst_mac, hop limit 255, with flags (PACKET_GEN_NA_*) and a target
 * link-layer address option (RFC 4861 4.4, 7.2.4).
 */
struct rte_mbuf *packet_gen_nd_advert(struct rte_mempool *pool,
				      const struct rte_ether_addr *src_mac, const uint8_t target[16],
				      const struct rte_ether_addr *dst_mac, const uint8_t dst_ip[16],
				      uint32_t flags);

/*
 * The echo reply to the ICMPv6 echo request in req (IPv6 header at l3_ofs,
 * ICMPv6 right after it: no extension headers): addresses swapped (MACs and
 * IPs), type 129, same identifier, sequence and data, hop limit 64, traffic
 * class as in the request, flow label 0, checksum over the pseudo-header
 * (RFC 4443 4.2, 2.3).  NULL unless req is a whole type 128 message with a
 * valid checksum between two unicast addresses (IP and Ethernet).
 */
struct rte_mbuf *packet_gen_icmp6_echo_reply(struct rte_mempool *pool,
					     const struct rte_mbuf *req, uint16_t l3_ofs);

/*
 * An ICMPv6 error about the IPv6 packet in orig (IPv6 header at l3_ofs), from
 * src_mac/src_ip to dst_mac and the offending packet's source, with type and
 * code and param in the 4 bytes after the checksum (the MTU of a packet too
 * big, type 2; the pointer of a parameter problem, type 4; 0 otherwise).
 * Quotes as much of the packet as fits in PACKET_GEN_ICMP6_ERROR_MAX bytes of
 * IPv6 (RFC 4443 2.4 (c)); hop limit 64, traffic class 0, checksum computed.
 * Returns NULL, without building, for what RFC 4443 2.4 (e) forbids
 * answering: an ICMPv6 error message (type below 128, after any extension
 * headers), a packet to an IPv6 multicast address or an Ethernet group
 * address (except for packet too big), and a source that is not a single
 * node (unspecified or multicast).  Also NULL when the header is malformed,
 * the payload length runs past the packet, or the quote (or the headers
 * before an ICMPv6 type) are not in the first segment.
 */
struct rte_mbuf *packet_gen_icmp6_error(struct rte_mempool *pool, const struct rte_mbuf *orig,
					uint16_t l3_ofs, uint8_t type, uint8_t code, uint32_t param,
					const struct rte_ether_addr *src_mac,
					const uint8_t src_ip[16],
					const struct rte_ether_addr *dst_mac);

#endif
