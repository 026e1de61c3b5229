/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tunnels between hosts on the fast path: what a worker needs to
 * decapsulate (pipeline/tunnel_decap.c) and to encapsulate
 * (pipeline/tunnel_encap.c), and the per-peer counters both keep.
 *
 * Thread-safety.  The simulation thread (sim/overlay.c) is the only writer.
 *  - The receive table (struct tunnel_rx_table: our address, the peers, what
 *    each tunnel key delivers to) is immutable once published.  A change
 *    builds the other of two tables and publishes it with a release store;
 *    the writer then waits a QSBR grace period (the flow cache's: workers
 *    report a quiescent state every loop pass) before that table may be
 *    rebuilt.  Workers load the pointer once per packet, with acquire.
 *  - Outer header templates (struct tunnel_outer) come in two generations
 *    per peer.  A cached flow names one (its TUNNEL_OUTPUT action); when the
 *    underlay next hop's MAC changes the writer fills the other generation
 *    and removes the flows tagged with the peer, so no template is rewritten
 *    while a flow that names it can still be looked up.
 *  - Counters are per lcore (rte_lcore_id(); the slot past RTE_MAX_LCORE is
 *    for non-EAL threads, i.e. the simulation thread sending what it walked):
 *    each is written by one thread only, read by anyone with relaxed loads.
 */
#ifndef KAIRO_TUNNEL_H
#define KAIRO_TUNNEL_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "drop_reason.h"

/* Peers (other hosts' addresses and VTEPs) this host tunnels to, over all topologies. */
#define TUNNEL_PEERS_MAX 32
/* Open-addressing slots for finding a peer by address: twice the peers, a power of two. */
#define TUNNEL_PEER_HASH 64
/* 16-bit keys name ports and floods (topology/topology.h, TOPO_TUNNEL_KEYS). */
#define TUNNEL_KEYS 0x10000u
/* Bridges with local ports whose floods this host delivers, and ports per such flood. */
#define TUNNEL_FLOODS_MAX 256
#define TUNNEL_FLOOD_PORTS_MAX 8
/* VNIs bound to VTEPs. */
#define TUNNEL_VTEPS_MAX 64
#define TUNNEL_OUTER_MAX 64

/* Outer headers: Ethernet + IPv4 + UDP + VXLAN, or Ethernet + IPv4 + GRE with a key. */
#define TUNNEL_VXLAN_HDR_LEN 50
#define TUNNEL_GRE_HDR_LEN 42
/* What a tunnel costs an inner IP packet: outer IPv4, UDP + VXLAN or GRE, inner Ethernet. */
#define TUNNEL_VXLAN_OVERHEAD TUNNEL_VXLAN_HDR_LEN
#define TUNNEL_GRE_OVERHEAD TUNNEL_GRE_HDR_LEN
/* RFC 7348 §5: source ports from a hash of the inner flow, in the dynamic range. */
#define TUNNEL_UDP_SPORT_BASE 49152
#define TUNNEL_UDP_SPORT_MASK 0x3fff
#define TUNNEL_TTL 64

enum tunnel_type {
	TUNNEL_VXLAN = 1, /* a vxlan zone's member */
	TUNNEL_GRE = 2,   /* a gre zone's member */
	TUNNEL_VTEP = 3,  /* a hardware VTEP: VXLAN, and its frames are simulated here */
};

/* What a tunnel key delivers to on this host. */
enum tunnel_key_kind {
	TUNNEL_KEY_NONE = 0,
	TUNNEL_KEY_PORT = 1,  /* .port: a local DPDK port */
	TUNNEL_KEY_FLOOD = 2, /* .port: index into floods[], the bridge's local ports */
	TUNNEL_KEY_SIM = 3,   /* a router port: the inner frame is simulated (shared ARP) */
};

struct tunnel_key_entry {
	uint8_t kind; /* enum tunnel_key_kind */
	uint8_t pad;
	uint16_t port;
};

struct tunnel_peer_rx {
	rte_be32_t ip;
	uint8_t type; /* enum tunnel_type */
	uint8_t slot; /* counters and templates: the peer's place in the writer's registry */
};

struct tunnel_flood {
	uint16_t n;
	uint16_t ports[TUNNEL_FLOOD_PORTS_MAX];
};

struct tunnel_vtep_rx {
	rte_be32_t ip;
	uint32_t vni;
};

struct tunnel_rx_table {
	rte_be32_t local_ip;
	uint16_t udp_port;      /* VXLAN, host order */
	uint16_t n_peers;
	uint16_t n_vteps;
	struct tunnel_peer_rx peers[TUNNEL_PEERS_MAX];
	uint8_t peer_hash[TUNNEL_PEER_HASH]; /* peer index + 1, 0 = empty; linear probing */
	struct tunnel_vtep_rx vteps[TUNNEL_VTEPS_MAX];
	struct tunnel_flood floods[TUNNEL_FLOODS_MAX];
	struct tunnel_key_entry keys[TUNNEL_KEYS];
};

/* A precomputed outer header; the fields the fast path reads come first, in one line. */
struct tunnel_outer {
	uint8_t valid;
	uint8_t type;       /* enum tunnel_type */
	uint8_t len;        /* TUNNEL_VXLAN_HDR_LEN or TUNNEL_GRE_HDR_LEN */
	uint8_t slot;       /* the peer's counters */
	uint16_t port;      /* the underlay uplink's DPDK port */
	uint16_t max_inner; /* largest inner frame that fits the underlay MTU once wrapped */
	uint32_t ip_sum;    /* ones' complement sum of the IPv4 header, total length and checksum 0 */
	uint8_t hdr[TUNNEL_OUTER_MAX] __rte_aligned(8);
} __rte_cache_aligned;

/* The decapsulation failures that are counted per peer, in drop_reason.h's order. */
#define TUNNEL_ERR_FIRST DROP_TUNNEL_FRAGMENT
#define TUNNEL_ERR_LAST DROP_TUNNEL_TRUNCATED
#define TUNNEL_ERR_COUNT (TUNNEL_ERR_LAST - TUNNEL_ERR_FIRST + 1)

struct tunnel_peer_counters {
	uint64_t rx_packets; /* decapsulated, outer bytes */
	uint64_t rx_bytes;
	uint64_t tx_packets; /* encapsulated, outer bytes */
	uint64_t tx_bytes;
	uint64_t rx_errors[TUNNEL_ERR_COUNT];
};

struct tunnel_lcore_counters {
	struct tunnel_peer_counters peer[TUNNEL_PEERS_MAX];
} __rte_cache_aligned;

struct tunnel_state {
	struct tunnel_rx_table *rx; /* published table; NULL until the first */
	struct tunnel_rx_table *tables[2];
	struct rte_rcu_qsbr *qsbr;  /* the workers' (the flow cache's) */
	struct tunnel_lcore_counters *counters; /* RTE_MAX_LCORE + 1 */
	struct tunnel_outer outer[TUNNEL_PEERS_MAX * 2]; /* [slot * 2 + generation] */
};

/* The datapath's tunnels, NULL when the daemon has no underlay: set once before workers start. */
extern struct tunnel_state *kairo_tunnel;

struct tunnel_state *tunnel_state_create(struct rte_rcu_qsbr *qsbr, int socket_id);
void tunnel_state_destroy(struct tunnel_state *ts);

/* The counters of the calling thread. */
static inline struct tunnel_lcore_counters *
tunnel_counters_here(struct tunnel_state *ts)
{
	unsigned int l = rte_lcore_id();

	return &ts->counters[l < RTE_MAX_LCORE ? l : RTE_MAX_LCORE];
}

/* Sum of every thread's counters for one peer slot (any thread). */
void tunnel_counters_read(const struct tunnel_state *ts, unsigned int slot,
			  struct tunnel_peer_counters *out);

/* Where a peer's address sits in t->peer_hash's probe sequence. */
static inline unsigned int
tunnel_peer_hash(rte_be32_t ip)
{
	uint32_t h = (uint32_t)ip * 0x9e3779b1u; /* Fibonacci hashing: the top bits mix best */

	return h >> (32 - 6);
}

static_assert(TUNNEL_PEER_HASH == 64, "tunnel_peer_hash keeps 6 bits");

/* The index of the peer with address ip, or -1. */
static inline int
tunnel_peer_find(const struct tunnel_rx_table *t, rte_be32_t ip)
{
	unsigned int h = tunnel_peer_hash(ip), i;

	for (i = 0; i < TUNNEL_PEER_HASH; i++) {
		uint8_t p = t->peer_hash[(h + i) & (TUNNEL_PEER_HASH - 1)];

		if (p == 0)
			return -1;
		if (t->peers[p - 1].ip == ip)
			return p - 1;
	}
	return -1;
}

#endif
