/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay in the slow path: tunnels to the hosts (and hardware VTEPs)
 * that the ports of the virtual topology are bound to.
 *
 * The simulation thread owns it.  From each topology snapshot it builds the
 * fast path's receive table and outer header templates (pipeline/tunnel.h);
 * during a walk it turns an egress through a remote or VTEP port into a
 * TUNNEL_OUTPUT action, and a flood into one copy per remote host; on the
 * underlay uplink it answers ARP for this host's address and resolves each
 * peer's next hop, holding the packets that wait for it.
 *
 * sim/overlay.c: tables, peers, the underlay's ARP, housekeeping, the view.
 * sim/overlay_walk.c: what a walk does with remote ports, floods, VTEP
 * ingress, and the router ARP answers shared with the other hosts.
 */
#ifndef KAIRO_OVERLAY_H
#define KAIRO_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "arp_table.h"
#include "tunnel.h"

struct sim_thread;
struct sim_ctx;
struct topology;
struct topo_port;
struct topo_bridge;

#define OVERLAY_ROUTES_MAX 16
#define OVERLAY_STATIC_NEIGH_MAX 16
/* Remote ports one flood may record before it sends (more: one copy per port, unrecorded). */
#define OVERLAY_FLOOD_MAX 64
/* Flow tags (sim/flow_tags.h): a kind of their own, far from the small sequential ones. */
#define TAG_KIND_TUNNEL_PEER 0x54

struct overlay_route {
	rte_be32_t dst;
	uint8_t len;
	rte_be32_t gateway;
};

/* What the daemon config says about the underlay (dataplane/underlay_config.h), resolved. */
struct overlay_config {
	rte_be32_t ip;
	uint8_t prefix_len;
	rte_be32_t gateway;     /* 0: none */
	uint16_t mtu;
	uint16_t n_routes;
	struct overlay_route routes[OVERLAY_ROUTES_MAX];
	uint16_t n_static;      /* next hops whose MAC is configured (static ARP entries) */
	rte_be32_t static_ip[OVERLAY_STATIC_NEIGH_MAX];
	struct rte_ether_addr static_mac[OVERLAY_STATIC_NEIGH_MAX];
	uint16_t uplink;        /* DPDK port */
	struct rte_ether_addr uplink_mac;
	uint16_t udp_port;      /* VXLAN, host order */
};

/* An underlay next hop (a peer itself, or a gateway) and the packets waiting for it. */
struct overlay_neigh {
	rte_be32_t ip;
	struct rte_ether_addr mac;
	bool resolved;
	uint8_t tries;          /* ARP requests sent for the current wait */
	uint64_t retry_tsc;
	/* Packets waiting for it in the simulation's waiting room (sim/waiting_room.h). */
	uint16_t n_queued;
};

/* A tunnel peer; its index is its slot in the fast path's counters and templates. */
struct overlay_peer {
	rte_be32_t ip;
	uint8_t type;           /* enum tunnel_type */
	uint8_t gen;            /* which of its two templates flows use now */
	bool in_topology;       /* a member of this host's zone, or a bound VTEP, now */
	uint32_t neigh;         /* index into neighs, UINT32_MAX: no underlay route */
};

struct overlay_stats {
	uint64_t arp_requests;  /* sent for underlay next hops */
	uint64_t arp_replies;   /* sent for this host's underlay address */
	uint64_t resolved;
	uint64_t arp_shared;    /* router ARP answers sent on to the other hosts */
	uint64_t released;      /* packets simulated again once their next hop answered */
	uint64_t table_builds;
};

struct overlay {
	struct overlay_config cfg;
	struct tunnel_state *ts;
	uint32_t n_peers;       /* written with release after the peer is filled: the view reads */
	struct overlay_peer peers[TUNNEL_PEERS_MAX];
	uint32_t n_neighs;
	struct overlay_neigh neighs[TUNNEL_PEERS_MAX];
	bool peers_full_logged;
	struct overlay_stats stats;
};

/* The remote ports one bridge flood reached (overlay_walk.c). */
struct overlay_flood {
	uint32_t bridge;
	uint32_t n;
	uint32_t ports[OVERLAY_FLOOD_MAX];
	struct overlay_flood *outer; /* the flood this one is nested in */
};

static inline uint64_t
tag_tunnel_peer(uint32_t slot)
{
	return (uint64_t)TAG_KIND_TUNNEL_PEER << 56 | slot;
}

/* overlay.c */
struct overlay *overlay_create(const struct overlay_config *cfg, struct tunnel_state *ts);
void overlay_destroy(struct overlay *ov);
/*
 * A new snapshot (old NULL at start): register its peers, rebuild and
 * publish the receive table, and remove the flows whose tunnels changed.
 * Simulation thread, or before it starts.
 */
void overlay_topology_changed(struct sim_thread *st, const struct topology *old,
			      const struct topology *new);
/* ARP retries for underlay next hops; gives up on their packets after ARP_RETRIES. */
void overlay_housekeeping(struct sim_thread *st, uint64_t now);
/* The peer with address ip, registered: its slot, or -1. */
int overlay_peer_slot(const struct overlay *ov, rte_be32_t ip);
/* The overhead a peer's encapsulation adds to an inner IP packet (VXLAN 50, GRE 42 bytes). */
uint16_t overlay_overhead(const struct overlay *ov, uint32_t slot);
/*
 * Whether the peer's next hop is resolved (*slot_gen: the template to name);
 * if not, an ARP request is out for it.  -ENOENT: no underlay route.
 */
int overlay_peer_ready(struct sim_thread *st, uint32_t slot, uint16_t worker, uint64_t now,
		       uint16_t *template_slot);
/*
 * m waits in the waiting room until the peer's next hop answers: 0, or
 * -ENOBUFS when ARP_QUEUE_MAX packets wait on that next hop already,
 * -ENOSPC when the room is full.
 */
int overlay_peer_wait(struct sim_thread *st, uint32_t slot, struct rte_mbuf *m);
/* An ARP frame received on the underlay uplink (the walk's packet). */
void overlay_underlay_arp(struct sim_ctx *c);
/* The tunnels view: peers, their next hops and counters (any thread: counters read relaxed). */
json_t *overlay_view(const struct overlay *ov);

/* overlay_walk.c: hooks of the walk (sim/walk.c, sim/bridge.c). */

/* A packet on the underlay uplink that is no local binding's: true if handled here. */
bool overlay_ingress(struct sim_ctx *c);
/* Out of an exterior port bound on another host or to a VTEP (state and filters passed). */
void overlay_port_egress(struct sim_ctx *c, const struct topo_port *port);
/* Around a bridge's flood: remote ports are gathered, then sent one copy per host. */
void overlay_flood_begin(struct sim_ctx *c, struct overlay_flood *fl, uint32_t bridge);
void overlay_flood_finish(struct sim_ctx *c, struct overlay_flood *fl);
/* A router port is entered: an ARP answer to it is also sent to the zone's other hosts. */
void overlay_share_router_arp(struct sim_ctx *c, const struct topo_port *port);

#endif
