/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay inside a walk (overlay.h): out of a port bound on another host
 * or to a VTEP, a bridge's flood across hosts, frames that a VTEP (or a
 * router port on another host) hands to this host's simulation, and the ARP
 * answers a router learns from, passed on to the other hosts.
 *
 * MidoNet keeps routers' ARP tables in the NSDB, so every host's copy of a
 * router knows what any host's learned.  Until learned state is shared
 * (Redis), the host that receives an ARP answer for a router port sends the
 * frame on to the other hosts of its zone, keyed with that router port: each
 * simulates it there, so its own copy of the router learns too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>

#include "flow_tags.h"
#include "overlay.h"
#include "packet_gen.h"
#include "sim_walk.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

/* This host's address for host h in its zone, or 0: no tunnel reaches h. */
static rte_be32_t
host_address(const struct topology *t, uint32_t host)
{
	const struct topo_overlay *o = &t->overlay;
	const struct topo_tunnel_zone *z;
	uint32_t k;

	if (o->local_zone == TOPO_NO_INDEX)
		return 0;
	z = &o->zones[o->local_zone];
	for (k = 0; k < z->n_members; k++)
		if (z->members[k].host == host)
			return z->members[k].ip;
	return 0;
}

/*
 * A packet routed into a tunnel must fit the tunnel: the router's checks
 * (sim_finish's CHECK_IPV4) use the smaller MTU, and one that is already too
 * large gets "fragmentation needed" with the tunnel's MTU (RFC 1191) from the
 * router port it came in by.  True when it fits.
 */
static bool
routed_fits(struct sim_ctx *c, uint16_t vport_mtu)
{
	const struct rte_ipv4_hdr *ip;
	const struct topo_port *rp;
	struct rte_mbuf *e;

	if (c->routers == 0 || c->cur.l3_kind != FLOW_L3_IPV4)
		return true;
	if (c->min_mtu == 0 || vport_mtu < c->min_mtu)
		c->min_mtu = vport_mtu;
	ip = rte_pktmbuf_mtod_offset(c->m, const struct rte_ipv4_hdr *, c->meta->l3_ofs);
	if (rte_be_to_cpu_16(ip->total_length) <= vport_mtu)
		return true;
	c->res->cacheable = false;
	if (!(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))) {
		sim_drop(c, DROP_TUNNEL_MTU_EXCEEDED);
		return false;
	}
	rp = &c->t->ports[c->in_router_port];
	e = packet_gen_icmp_error(c->st->pool, c->m, c->meta->l3_ofs, ICMP_DEST_UNREACH,
				  ICMP_FRAG_NEEDED, vport_mtu, &rp->mac, rp->ip,
				  &c->meta->key.eth_src);
	if (e != NULL) {
		c->st->stats.icmp_sent++;
		sim_emit(c, e, rp->index);
	}
	sim_drop(c, DROP_FRAG_NEEDED);
	return false;
}

/* One encapsulated copy to the peer at ip with key; unicast waits for the next hop, a flood not. */
static void
tunnel_send(struct sim_ctx *c, rte_be32_t ip, uint32_t key, bool flood)
{
	struct sim_thread *st = c->st;
	struct overlay *ov = st->overlay;
	char a[INET_ADDRSTRLEN];
	uint16_t tmpl;
	int slot, r;

	if (ov == NULL || ip == 0) {
		sim_trace(c, "no tunnel: %s", ov == NULL ? "no underlay configured"
							: "the port's host is in no zone of ours");
		sim_drop(c, DROP_TUNNEL_NO_ZONE);
		return;
	}
	slot = overlay_peer_slot(ov, ip);
	if (slot < 0) {
		sim_drop(c, DROP_TUNNEL_PEERS_FULL);
		return;
	}
	sim_tag(c, tag_tunnel_peer((uint32_t)slot));
	if (!routed_fits(c, (uint16_t)(ov->cfg.mtu - overlay_overhead(ov, (uint32_t)slot))))
		return;
	r = overlay_peer_ready(st, (uint32_t)slot, c->meta->worker, c->now, &tmpl);
	if (unlikely(c->trace_cookie != 0))
		sim_trace(c, "tunnel to %s, key %u%s", inet_ntop(AF_INET, &ip, a, sizeof(a)), key,
			  r == 0 ? "" : r == -EAGAIN ? ": underlay next hop unresolved"
						 : ": no underlay route");
	if (r == -ENOENT) {
		sim_drop(c, DROP_TUNNEL_NO_ZONE);
		return;
	}
	if (r == 0) {
		if (flow_actions_tunnel_output(&c->res->actions, tmpl, key) != 0) {
			c->res->cacheable = false;
			sim_drop(c, DROP_SIM_TOO_COMPLEX);
		}
		return;
	}
	/* Like a router's next hop: the packet waits for the answer and is walked again. */
	c->res->cacheable = false;
	if (flood || c->emit_depth > 0)
		return;
	r = overlay_peer_wait(c->st, (uint32_t)slot, c->m);
	if (r != 0) {
		sim_drop(c, r == -ENOBUFS ? DROP_TUNNEL_QUEUE_FULL : DROP_WAITING_ROOM_FULL);
		return;
	}
	c->res->consumed = true;
}

void
overlay_port_egress(struct sim_ctx *c, const struct topo_port *port)
{
	const struct topo_overlay *o = &c->t->overlay;
	struct overlay_flood *fl = c->oflood;

	if (port->vtep) {
		const struct topo_vtep_binding *vb = &o->vteps[port->vtep_index];

		sim_trace(c, "out through port %s to VTEP VNI %u", sim_port_name(c, port), vb->vni);
		tunnel_send(c, vb->ip, vb->vni, c->flooding);
		return;
	}
	/* A flood of this port's bridge sends per host once it has seen every port. */
	if (fl != NULL && port->device == fl->bridge && port->device_type == TOPO_DEVICE_BRIDGE &&
	    fl->n < OVERLAY_FLOOD_MAX) {
		fl->ports[fl->n++] = port->index;
		return;
	}
	sim_trace(c, "out through port %s, bound on host %s", sim_port_name(c, port),
		  o->hosts[port->host].id);
	tunnel_send(c, host_address(c->t, port->host), topo_port_tunnel_key(port), c->flooding);
}

void
overlay_flood_begin(struct sim_ctx *c, struct overlay_flood *fl, uint32_t bridge)
{
	fl->bridge = bridge;
	fl->n = 0;
	fl->outer = c->oflood;
	c->oflood = fl;
}

/* How many ports of bridge b are bound on host h and up: what its flood key reaches there. */
static uint32_t
host_bridge_ports(const struct topology *t, const struct topo_bridge *b, uint32_t h)
{
	uint32_t i, n = 0;

	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &t->ports[b->ports[i]];

		n += p->remote && p->host == h && p->admin_up;
	}
	return n;
}

void
overlay_flood_finish(struct sim_ctx *c, struct overlay_flood *fl)
{
	const struct topology *t = c->t;
	const struct topo_bridge *b = &t->bridges[fl->bridge];
	bool done[OVERLAY_FLOOD_MAX] = {false};
	uint32_t i, j;

	c->oflood = fl->outer;
	for (i = 0; i < fl->n; i++) {
		const struct topo_port *p = &t->ports[fl->ports[i]];
		uint32_t h = p->host, passed = 0;

		if (done[i])
			continue;
		for (j = i; j < fl->n; j++)
			passed += t->ports[fl->ports[j]].host == h;
		/* Every port of the bridge there passed: one copy, the flood key; else per port. */
		if (passed == host_bridge_ports(t, b, h)) {
			sim_trace(c, "flood to host %s: one copy, key %u", t->overlay.hosts[h].id,
				  topo_bridge_flood_key(fl->bridge));
			tunnel_send(c, host_address(t, h), topo_bridge_flood_key(fl->bridge), true);
			for (j = i; j < fl->n; j++)
				done[j] |= t->ports[fl->ports[j]].host == h;
			continue;
		}
		tunnel_send(c, host_address(t, h), topo_port_tunnel_key(p), true);
		done[i] = true;
	}
}

bool
overlay_ingress(struct sim_ctx *c)
{
	const struct overlay *ov = c->st->overlay;
	const struct flow_key *k = &c->meta->key;
	const struct topology *t = c->t;
	uint32_t i;

	if (ov == NULL || k->in_port != ov->cfg.uplink)
		return false;
	if (k->tun_id == 0) {
		overlay_underlay_arp(c);
		return true;
	}
	for (i = 0; i < t->overlay.n_vteps; i++) {
		const struct topo_vtep_binding *vb = &t->overlay.vteps[i];

		if (vb->ip == k->tun_src && vb->vni == k->tun_id) {
			sim_trace(c, "from VTEP VNI %u: into port %s", vb->vni,
				  t->ports[vb->port].id);
			sim_port_ingress(c, &t->ports[vb->port]);
			return true;
		}
	}
	/* Keys of router ports carry ARP answers another host's copy of the router learned from. */
	if (k->tun_id - 1 < t->n_ports && t->ports[k->tun_id - 1].device_type == TOPO_DEVICE_ROUTER) {
		c->res->cacheable = false;
		sim_trace(c, "ARP answer shared by another host: into router port %s",
			  t->ports[k->tun_id - 1].id);
		sim_port_ingress(c, &t->ports[k->tun_id - 1]);
		return true;
	}
	sim_drop(c, DROP_TUNNEL_UNKNOWN_KEY);
	return true;
}

void
overlay_share_router_arp(struct sim_ctx *c, const struct topo_port *port)
{
	struct sim_thread *st = c->st;
	struct overlay *ov = st->overlay;
	const struct topo_overlay *o = &c->t->overlay;
	const struct flow_key *k = &c->cur;
	const struct topo_tunnel_zone *z;
	rte_be32_t tpa;
	uint32_t i;

	if (ov == NULL || o->local_zone == TOPO_NO_INDEX || c->emit_depth > 0 ||
	    c->meta->key.tun_id != 0 || k->l3_kind != FLOW_L3_ARP || k->nw_proto != RTE_ARP_OP_REPLY)
		return;
	memcpy(&tpa, k->nw_dst, sizeof(tpa));
	if (tpa != port->ip)
		return;
	z = &o->zones[o->local_zone];
	for (i = 0; i < z->n_members; i++) {
		struct flow_actions acts = {0};
		struct rte_mbuf *copy;
		uint16_t tmpl;
		int slot;

		if (z->members[i].host == o->local_host)
			continue;
		slot = overlay_peer_slot(ov, z->members[i].ip);
		if (slot < 0 || overlay_peer_ready(st, (uint32_t)slot, c->meta->worker, c->now,
						   &tmpl) != 0)
			continue;
		copy = rte_pktmbuf_copy(c->m, st->pool, 0, UINT32_MAX);
		if (copy == NULL) {
			st->stats.drops[DROP_NO_MBUF]++;
			continue;
		}
		memset(pkt_meta(copy), 0, sizeof(struct pkt_meta));
		flow_actions_tunnel_output(&acts, tmpl, topo_port_tunnel_key(port));
		sim_execute_and_send(st, &acts, copy, c->meta->worker);
		ov->stats.arp_shared++;
	}
}
