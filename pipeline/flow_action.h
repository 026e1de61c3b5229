/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action list a cached flow carries, and its execution on a worker.
 *
 * A list is a short array of fixed-size actions run in order on the packet,
 * as in an OpenFlow/OVS datapath action list: an OUTPUT sends the packet as
 * it is at that point, so a set-field after an output only affects later
 * outputs.  A list with no OUTPUT drops the packet (counted under the reason
 * its DROP action names, or FLOW_ACTION_DROP).
 *
 * The simulation builds lists (flow_action_build.c); workers only run them
 * (flow_action_execute.c); dumps print them (flow_action_format.c).  A new
 * action type goes here and into each of the three.
 */
#ifndef KAIRO_FLOW_ACTION_H
#define KAIRO_FLOW_ACTION_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

/* Enough for an ordinary bridge's flood; a longer flood is not cached. */
#define FLOW_ACTIONS_MAX 30

enum flow_action_type {
	FLOW_ACTION_OUTPUT = 1,     /* .port */
	FLOW_ACTION_DROP,           /* .drop_reason: the verdict, counted under it */
	FLOW_ACTION_SET_ETH_SRC,    /* .mac */
	FLOW_ACTION_SET_ETH_DST,    /* .mac */
	FLOW_ACTION_PUSH_VLAN,      /* .vlan.tpid, .vlan.tci */
	FLOW_ACTION_POP_VLAN,       /* outermost tag */
	FLOW_ACTION_TO_SLOW_PATH,   /* hand the packet to the simulation */
	FLOW_ACTION_CHECK_IPV4,     /* .check: TTL above ttl_over and length within mtu, else
				     * to the slow path (before anything is changed) */
	FLOW_ACTION_DEC_TTL,        /* .ttl_dec: routers crossed; IPv4 checksum updated */
	FLOW_ACTION_CHECK_IPV6,     /* .check: hop limit above ttl_over and length (header
				     * included) within mtu, else to the slow path */
	FLOW_ACTION_DEC_HOP_LIMIT,  /* .ttl_dec: routers crossed (IPv6 has no header checksum) */
	FLOW_ACTION_SET_IPV4_SRC,   /* .nat: NAT; with FLOW_NAT_PORT in .flags the L4 source
				     * port too (an ICMP echo's identifier); checksums updated */
	FLOW_ACTION_SET_IPV4_DST,   /* .nat: as SET_IPV4_SRC, on the destination */
	FLOW_ACTION_TUNNEL_OUTPUT,  /* .tunnel: an output, encapsulated with outer header slot
				     * and key, out of the underlay uplink (pipeline/tunnel.h) */
};

/* flow_action.flags of SET_IPV4_SRC / SET_IPV4_DST. */
#define FLOW_NAT_PORT 0x01 /* rewrite the port (or echo identifier) as well as the address */

struct flow_action {
	uint8_t type; /* enum flow_action_type */
	uint8_t flags;
	union {
		uint16_t port;
		uint16_t drop_reason;
		struct rte_ether_addr mac;
		struct {
			uint16_t tpid; /* host order: 0x8100 or 0x88a8 */
			uint16_t tci;  /* host order */
		} vlan;
		struct {
			uint16_t mtu;    /* IP packet length allowed, header included */
			uint8_t ttl_over; /* the TTL must be greater than this */
		} check;
		uint8_t ttl_dec;
		struct {
			rte_be32_t addr;
			rte_be16_t port;
		} __rte_packed nat;
		struct {
			uint16_t slot; /* kairo_tunnel->outer[]: the peer's header template */
			uint32_t key;  /* VNI or GRE key naming the egress port there */
		} __rte_packed tunnel;
	};
} __rte_packed;

static_assert(sizeof(struct flow_action) == 8, "flow_action is 8 bytes");

struct flow_actions {
	uint8_t n;
	uint8_t n_outputs; /* number of OUTPUT actions, so execution knows when to copy */
	struct flow_action a[FLOW_ACTIONS_MAX];
};

/* Append helpers for the simulation; each returns -ENOSPC when the list is full. */
int flow_actions_output(struct flow_actions *acts, uint16_t port);
int flow_actions_drop(struct flow_actions *acts, uint16_t reason);
int flow_actions_set_eth(struct flow_actions *acts, int dst, const struct rte_ether_addr *mac);
int flow_actions_push_vlan(struct flow_actions *acts, uint16_t tpid, uint16_t tci);
int flow_actions_pop_vlan(struct flow_actions *acts);
int flow_actions_to_slow_path(struct flow_actions *acts);
int flow_actions_check_ipv4(struct flow_actions *acts, uint8_t ttl_over, uint16_t mtu);
int flow_actions_dec_ttl(struct flow_actions *acts, uint8_t n);
int flow_actions_check_ipv6(struct flow_actions *acts, uint8_t hop_limit_over, uint16_t mtu);
int flow_actions_dec_hop_limit(struct flow_actions *acts, uint8_t n);
/* NAT: the source (dst = 0) or destination address, and the port unless port_too is false. */
int flow_actions_set_ipv4(struct flow_actions *acts, int dst, rte_be32_t addr, rte_be16_t port,
			  bool port_too);
/* Out through a tunnel: an output (counted in n_outputs) that encapsulates what it sends. */
int flow_actions_tunnel_output(struct flow_actions *acts, uint16_t slot, uint32_t key);

/*
 * Where executed actions put their packets: (port, mbuf) pairs the caller
 * then transmits.  The caller keeps room for FLOW_ACTIONS_MAX more entries
 * before each call, so execution never has to check.
 */
#define ACTION_EMIT_MAX 96

struct action_emit {
	uint16_t n;
	uint16_t port[ACTION_EMIT_MAX];
	struct rte_mbuf *pkt[ACTION_EMIT_MAX];
};

enum action_verdict {
	ACTION_DONE = 0,      /* the packet was output, dropped or both (flood with failed copies) */
	ACTION_SLOW_PATH = 1, /* TO_SLOW_PATH: m is untouched and belongs to the caller */
};

/*
 * Run acts on m.  Outputs are appended to emit; a packet output to several
 * ports is copied from pool for all but the last.  Drops are counted in
 * drops[enum drop_reason] and the mbuf freed.  No allocation besides mbuf
 * copies, no logging: this runs on worker lcores.
 */
int flow_actions_execute(const struct flow_actions *acts, struct rte_mbuf *m,
			 struct rte_mempool *pool, struct action_emit *emit, uint64_t *drops);

/* Printable form, "output:2,set_eth_dst:...", for flow dumps. Returns the length written. */
int flow_actions_format(const struct flow_actions *acts, char *buf, size_t len);

#endif
