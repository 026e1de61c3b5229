/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every reason Kairo drops a packet, each with its own counter.  A drop that
 * is not in this list is a bug: nothing is freed silently (STYLE "Avoid" 4).
 *
 * The list is an X-macro so that the enum, the names printed by the daemon
 * and the CLI, and the tests all come from one place.
 */
#ifndef KAIRO_DROP_REASON_H
#define KAIRO_DROP_REASON_H

#include <stdint.h>

#define KAIRO_DROP_REASONS(X)                                                                    \
	/* 0 is not a drop: packet_parse and friends return 0 for a good packet */                \
	X(NONE, "none", "not dropped")                                                           \
	/* parse: Ethernet and VLAN */                                                            \
	X(ETH_TRUNCATED, "eth_truncated", "frame shorter than an Ethernet header")               \
	X(VLAN_TRUNCATED, "vlan_truncated", "frame ends inside an 802.1Q/802.1ad tag")           \
	X(VLAN_TOO_MANY, "vlan_too_many", "more than two VLAN tags")                             \
	X(HEADERS_SPLIT, "headers_split", "headers run past the first buffer of a chained frame " \
	  "(not linearized)")                                                                    \
	/* parse: ARP */                                                                          \
	X(ARP_TRUNCATED, "arp_truncated", "frame ends inside the ARP header")                    \
	X(ARP_BAD_FORMAT, "arp_bad_format", "ARP that is not Ethernet/IPv4")                     \
	/* parse: IPv4 */                                                                         \
	X(IPV4_TRUNCATED, "ipv4_truncated", "frame ends inside the IPv4 header")                 \
	X(IPV4_BAD_VERSION, "ipv4_bad_version", "IPv4 ethertype with version != 4")              \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl", "IPv4 header length below 20 bytes or past the frame")   \
	X(IPV4_BAD_TOTAL_LEN, "ipv4_bad_total_len", "IPv4 total length shorter than the header " \
	  "or longer than the frame")                                                             \
	X(IPV4_BAD_FRAGMENT, "ipv4_bad_fragment", "IPv4 fragment offset that cannot be valid")   \
	X(TCP_FRAGMENT_OVERLAP, "tcp_fragment_overlap", "IPv4 TCP fragment at offset 8 bytes: "  \
	  "would overwrite the first fragment's TCP flags (RFC 1858 4)")                         \
	/* parse: IPv6 */                                                                         \
	X(IPV6_TRUNCATED, "ipv6_truncated", "frame ends inside the IPv6 header")                 \
	X(IPV6_BAD_VERSION, "ipv6_bad_version", "IPv6 ethertype with version != 6")              \
	X(IPV6_BAD_PAYLOAD_LEN, "ipv6_bad_payload_len", "IPv6 payload length past the frame")    \
	X(IPV6_BAD_EXT_HDR, "ipv6_bad_ext_hdr", "IPv6 extension header truncated or too many")   \
	X(IPV6_BAD_FRAGMENT, "ipv6_bad_fragment", "IPv6 fragment offset that cannot be valid")   \
	X(IPV6_HOPOPTS_NOT_FIRST, "ipv6_hopopts_not_first", "IPv6 hop-by-hop options header "    \
	  "after another header, not right after the IPv6 header (RFC 8200 4.1)")                \
	/* parse: L4 */                                                                           \
	X(L4_TRUNCATED, "l4_truncated", "IP payload shorter than its TCP/UDP/ICMP header")       \
	X(TCP_BAD_OFFSET, "tcp_bad_offset", "TCP data offset below 5 or past the packet")        \
	X(UDP_BAD_LEN, "udp_bad_len", "UDP length below 8 or past the IP payload")               \
	/* parse: tunnels */                                                                      \
	X(VXLAN_TRUNCATED, "vxlan_truncated", "packet ends inside the VXLAN header")             \
	X(GRE_TRUNCATED, "gre_truncated", "packet ends inside the GRE header")                    \
	X(GRE_BAD_VERSION, "gre_bad_version", "GRE version other than 0")                        \
	/* pipeline */                                                                            \
	X(RX_TOO_BIG, "rx_too_big", "received frame larger than its port's MTU allows "          \
	  "(ports[].mtu, plus the Ethernet header and VLAN tags)")                               \
	X(NO_BINDING, "no_binding", "interface bound to no virtual port")                        \
	X(FLOW_ACTION_DROP, "flow_drop", "a cached flow's verdict was drop")                     \
	X(TX_FULL, "tx_full", "the transmit queue refused the packet")                           \
	X(PORT_GONE, "port_gone", "sent towards a port removed at run time (kairoctl port "      \
	  "remove, or gone from the config on SIGHUP) before its flows were")                    \
	X(NO_MBUF, "no_mbuf", "no buffer left to copy a flooded packet")                         \
	X(VLAN_PUSH_FAILED, "vlan_push_failed", "no headroom to push a VLAN tag")                \
	X(ADMISSION_GLOBAL, "admission_global", "slow path full: global bucket empty")           \
	X(ADMISSION_TUNNEL, "admission_tunnel", "slow path full: tunnel-port bucket empty")      \
	X(ADMISSION_VPORT, "admission_vport", "slow path full: virtual-port bucket empty")       \
	X(UPCALL_RING_FULL, "upcall_ring_full", "upcall ring to the simulation full")            \
	X(UPCALL_QUEUE_FULL, "upcall_queue_full", "too many packets waiting on one key's "      \
	  "simulation")                                                                           \
	X(INJECT_RING_FULL, "inject_ring_full", "slow-path packet could not reach a worker")     \
	X(WAITING_ROOM_FULL, "waiting_room_full", "too many packets waiting on answers in the "  \
	  "simulation (next hops, state store, header fragments)")                               \
	/* simulation */                                                                          \
	X(PORT_DOWN, "port_down", "virtual port administratively down")                          \
	X(INTERFACE_WAITING, "interface_waiting", "to a virtual port whose binding waits for "   \
	  "its interface (no port of that name on this host yet)")                               \
	X(LINK_DOWN, "link_down", "to a port whose interface's link is down")                    \
	X(BRIDGE_DOWN, "bridge_down", "bridge administratively down")                            \
	X(NO_FLOOD_TARGET, "no_flood_target", "flood with no other port on the bridge")          \
	X(BRIDGE_HAIRPIN, "bridge_hairpin", "destination MAC learned on the ingress port")       \
	X(BRIDGE_BAD_SRC_MAC, "bridge_bad_src_mac", "source MAC all zeros, multicast or "        \
	  "broadcast: names no station, never learned")                                          \
	X(ROUTER_DOWN, "router_down", "router administratively down")                            \
	X(NOT_FOR_ROUTER, "not_for_router", "frame to a MAC that is not the router port's")      \
	X(ROUTER_NOT_IPV4, "router_not_ipv4", "not IPv4, IPv6 or ARP, or an L2 broadcast: not "  \
	  "routed")                                                                               \
	X(ROUTER_LOCAL, "router_local", "to the router's own address, not an echo request")      \
	X(ROUTER_CONSUMED, "router_consumed", "ARP, neighbour discovery or echo request for a "  \
	  "router: answered there")                                                              \
	X(ARP_NOT_FOR_US, "arp_not_for_us", "ARP for another address, seen by a router")         \
	X(NO_ROUTE, "no_route", "no route to the destination (ICMP net unreachable sent)")       \
	X(BLACKHOLE_ROUTE, "blackhole_route", "matched a blackhole route")                       \
	X(REJECT_ROUTE, "reject_route", "matched a reject route (ICMP unreachable sent)")         \
	X(TTL_EXPIRED, "ttl_expired", "TTL or hop limit would reach 0 (ICMP time exceeded sent)")\
	X(FRAG_NEEDED, "frag_needed", "larger than the egress MTU with DF set (ICMP sent)")       \
	X(MTU_EXCEEDED, "mtu_exceeded", "larger than the egress MTU, DF clear: not fragmented")  \
	X(ARP_QUEUE_FULL, "arp_queue_full", "too many packets waiting on one ARP resolution")    \
	X(ARP_UNRESOLVED, "arp_unresolved", "next hop did not answer ARP (host unreachable)")    \
	X(ARP_TABLE_FULL, "arp_table_full", "no room for another ARP or IPv6 neighbour entry")   \
	/* simulation: IPv6 routing */                                                            \
	X(ND_NOT_FOR_US, "nd_not_for_us", "neighbour solicitation for another address, or an "   \
	  "advertisement for a next hop not asked about, seen by a router")                      \
	X(ND_INVALID, "nd_invalid", "neighbour discovery message failing RFC 4861 validation "   \
	  "(hop limit, length, checksum, options)")                                              \
	X(ND_IGNORED, "nd_ignored", "router solicitation/advertisement or redirect: not handled " \
	  "by virtual routers")                                                                  \
	X(ND_QUEUE_FULL, "nd_queue_full", "too many packets waiting on one neighbour "           \
	  "solicitation")                                                                         \
	X(ND_UNRESOLVED, "nd_unresolved", "next hop did not answer neighbour solicitation "      \
	  "(ICMPv6 address unreachable)")                                                        \
	X(IPV6_MULTICAST, "ipv6_multicast", "IPv6 multicast: virtual routers do not route it")   \
	X(IPV6_SCOPE, "ipv6_scope", "link-local source or destination: not forwarded off its "   \
	  "link (RFC 4291 2.5.6)")                                                                \
	X(PACKET_TOO_BIG, "packet_too_big", "IPv6 larger than the egress MTU (ICMPv6 packet "    \
	  "too big sent)")                                                                        \
	/* simulation: rule chains */                                                            \
	X(RULE_DROP, "rule_drop", "a chain's drop rule matched")                                 \
	X(RULE_REJECT, "rule_reject", "a chain's reject rule matched (ICMP unreachable or TCP "  \
	  "RST sent)")                                                                            \
	X(CHAIN_JUMP_LIMIT, "chain_jump_limit", "rule chains jumped deeper than the limit (a "   \
	  "jump loop)")                                                                           \
	X(NAT_NO_FREE_PORT, "nat_no_free_port", "a snat or dnat rule found no free address and " \
	  "port in its targets for a new connection")                                             \
	X(NAT_TABLE_FULL, "nat_table_full", "no room for a new NAT binding (slow_path "         \
	  "conntrack_size)")                                                                      \
	X(NAT_FRAG_TABLE_FULL, "nat_frag_table_full", "a header fragment met a NAT rule and "    \
	  "the fragment table was full: its later fragments could not follow its translation")   \
	X(NAT_FRAG_NO_HEADER, "nat_frag_no_header", "a later fragment met a NAT rule, and its "  \
	  "header fragment (same addresses, protocol and IP id) did not come within the wait "   \
	  "or was not translated")                                                                \
	X(NAT_ICMP_QUOTE_SHORT, "nat_icmp_quote_short", "an ICMP error met a NAT rule quoting "  \
	  "less than an IPv4 header and 8 bytes (RFC 792): its quote cannot be translated")       \
	X(NAT_ICMP_FRAGMENTED, "nat_icmp_fragmented", "a fragmented ICMP error met a NAT rule: " \
	  "its quote cannot be translated")                                                       \
	X(SIM_LOOP, "sim_loop", "the walk crossed too many devices (a loop in the topology)")    \
	X(SIM_TOO_COMPLEX, "sim_too_complex", "the result needs more actions or tags than a "   \
	  "flow holds")                                                                           \
	X(VLAN_NOT_ALLOWED, "vlan_not_allowed", "frame of a VLAN its bridge port does not carry") \
	X(BRIDGE_BPDU, "bridge_bpdu", "spanning tree BPDU (to 01:80:C2:00:00:00) a VLAN-aware "   \
	  "bridge does not pass: tagged, not from an exterior trunk port, or no other one up")    \
	/* tunnels: decapsulation on the underlay uplink (pipeline/tunnel_decap.c) */             \
	X(UNDERLAY_OTHER, "underlay_other", "on the underlay uplink: neither a tunnel packet "   \
	  "(VXLAN to vxlan_port, GRE) nor ARP")                                                  \
	X(UNDERLAY_ARP, "underlay_arp", "ARP on the underlay uplink: answered or learned")       \
	X(TUNNEL_NOT_OURS, "tunnel_not_ours", "tunnel packet to an address other than this "    \
	  "host's underlay address")                                                              \
	X(TUNNEL_UNKNOWN_PEER, "tunnel_unknown_peer", "tunnel packet from an address that is no " \
	  "member of this host's tunnel zone nor a bound VTEP")                                  \
	/* ... counted per peer too, in this order (pipeline/tunnel.h) */                       \
	X(TUNNEL_FRAGMENT, "tunnel_fragment", "fragmented outer IPv4 packet")                   \
	X(TUNNEL_BAD_CHECKSUM, "tunnel_bad_checksum", "outer IPv4 header or GRE checksum wrong") \
	X(TUNNEL_BAD_FLAGS, "tunnel_bad_flags", "VXLAN without the I flag (no valid VNI), or "  \
	  "GRE routing or reserved bits set")                                                     \
	X(TUNNEL_BAD_PROTO, "tunnel_bad_proto", "GRE payload other than Ethernet (0x6558)")     \
	X(TUNNEL_NO_KEY, "tunnel_no_key", "GRE without a key: names no port")                   \
	X(TUNNEL_WRONG_TYPE, "tunnel_wrong_type", "VXLAN from a GRE peer or GRE from a VXLAN "   \
	  "peer or VTEP")                                                                         \
	X(TUNNEL_UNKNOWN_KEY, "tunnel_unknown_key", "tunnel key or VNI that names nothing on "  \
	  "this host")                                                                            \
	X(TUNNEL_TRUNCATED, "tunnel_truncated", "inner frame shorter than an Ethernet header")  \
	/* tunnels: encapsulation (pipeline/tunnel_encap.c, sim/overlay.c) */                     \
	X(TUNNEL_MTU_EXCEEDED, "tunnel_mtu_exceeded", "frame too large for the underlay MTU "   \
	  "once encapsulated")                                                                    \
	X(TUNNEL_NO_HEADROOM, "tunnel_no_headroom", "no headroom for the outer headers")        \
	X(TUNNEL_NO_ZONE, "tunnel_no_zone", "egress port on a host this host shares no tunnel " \
	  "zone with, or no underlay configured")                                                \
	X(TUNNEL_PEERS_FULL, "tunnel_peers_full", "more tunnel peers than the tunnel table "     \
	  "holds")                                                                                \
	X(TUNNEL_QUEUE_FULL, "tunnel_queue_full", "too many packets waiting on one underlay "   \
	  "next hop's ARP")                                                                       \
	X(TUNNEL_UNRESOLVED, "tunnel_unresolved", "underlay next hop did not answer ARP")

enum drop_reason {
#define KAIRO_DROP_ENUM(sym, name, help) DROP_##sym,
	KAIRO_DROP_REASONS(KAIRO_DROP_ENUM)
#undef KAIRO_DROP_ENUM
	DROP_REASON_COUNT
};

/* Short name of a reason ("ipv4_bad_ihl"), or "unknown". */
const char *drop_reason_name(unsigned int reason);
/* One line saying what the reason means. */
const char *drop_reason_help(unsigned int reason);

#endif
