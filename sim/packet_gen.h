/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packets the simulation makes itself: ARP requests and replies, ICMP echo
 * replies and ICMP errors (RFC 792, RFC 1812 4.3.2), built into mbufs from
 * the daemon's pool.  Runs on the simulation thread only.
 *
 * Every builder returns a new single-segment mbuf (with a zeroed pkt_meta
 * private area; frames under 60 bytes are zero-padded to 60) or NULL when the
 * pool is empty or its private area is smaller than struct pkt_meta; the
 * caller owns it.  The ICMP builders also return NULL for an input packet
 * they must not answer or that is malformed; they read only the input's first
 * segment.  Addresses are in network order (rte_be32_t), MACs as struct
 * rte_ether_addr.  No VLAN tags are added: the caller pushes one if the egress
 * needs it.
 */
#ifndef KAIRO_PACKET_GEN_H
#define KAIRO_PACKET_GEN_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

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

#endif
