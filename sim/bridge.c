/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A frame through a virtual bridge: MAC learning, forwarding to the learned
 * port, flooding unknown and multicast destinations, dropping a frame whose
 * source names no station.
 *
 * The MACs of router ports linked to the bridge are known without learning,
 * as in MidoNet: a frame for a router is never flooded, and the router's own
 * frames (which enter through that interior port) are not learned.
 *
 * VLANs (topology.h, enum topo_vlan_mode): in a VLAN-aware bridge a frame
 * belongs to one VLAN, decided by the port it came in by and its outer tag
 * (bridge_vlan_in); learning, lookups and floods are per (VLAN, MAC), and
 * it leaves only by ports of its VLAN, untagged out of access and plain
 * ports, tagged out of trunks (bridge_vlan_out: the push or pop goes into
 * the flow's actions, and the walk's key follows it).  A QinQ frame's inner
 * tag is payload.  A VLAN-unaware bridge leaves tags alone: all is VLAN 0.
 *
 * Spanning tree BPDUs in a VLAN-aware bridge (bridge_bpdu) are not frames of
 * any VLAN: they pass from one exterior trunk to the others untouched, so
 * that MidoNet's L2 gateway (operations guide ch. 15) closes the physical
 * switches' loop and their spanning tree blocks one trunk.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ether.h>

#include "chain.h"
#include "flow_tags.h"
#include "overlay.h"
#include "shared_state.h"
#include "sim_walk.h"

const char *
bridge_name(const struct topo_bridge *b)
{
	return b->name[0] != '\0' ? b->name : b->id;
}

/* A frame's VLAN in the bridge it crosses. */
struct bridge_vlan {
	uint16_t id;      /* 0: untagged (and every frame of a VLAN-unaware bridge) */
	uint16_t tag_vid; /* the VID of the frame's outer tag if the bridge put it there or
			   * took the frame in with it (a port's wire tag), else 0 */
};

/*
 * The VLAN of a frame that came in by port in; false, and counted as
 * vlan_not_allowed, when in does not admit it: a plain port takes untagged
 * frames, an access port untagged ones or its own VLAN's, a trunk the VLANs
 * of its set, tagged, a vlan provider network's uplink its segment's, which
 * are VLAN 0 inside.
 */
static bool
bridge_vlan_in(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in,
	       struct bridge_vlan *v)
{
	uint16_t outer = c->cur.vlan_outer, vid = outer & RTE_VLAN_ID_MASK;
	bool ok;

	v->id = 0;
	v->tag_vid = 0;
	if (!b->vlan_aware)
		return true;
	switch (in->vlan_mode) {
	case TOPO_VLAN_ACCESS:
		ok = outer == 0 || vid == in->vlan;
		v->id = in->vlan;
		v->tag_vid = outer != 0 ? in->vlan : 0;
		break;
	case TOPO_VLAN_TRUNK:
		ok = outer != 0 && topo_port_in_vlan(in, vid);
		v->id = vid;
		v->tag_vid = vid;
		break;
	case TOPO_VLAN_PROVIDER:
		ok = outer != 0 && vid == in->vlan;
		v->tag_vid = in->vlan;
		break;
	default:
		ok = outer == 0;
		break;
	}
	if (!ok) {
		sim_trace(c, "bridge %s: VLAN %u not allowed on port %s", bridge_name(b), vid,
			  in->id);
		sim_drop(c, DROP_VLAN_NOT_ALLOWED);
		return false;
	}
	sim_trace(c, "bridge %s: VLAN %u", bridge_name(b), v->id);
	return true;
}

/*
 * Out of port p in VLAN v: the tag the port wants on the wire (a trunk's
 * VLAN, a provider uplink's segment, none for access and plain ports),
 * popped and pushed as needed, then the egress.  The push or pop is an
 * action of the flow, and everything after it sees the frame so; the walk's
 * key keeps the tags the packet carries at this point.  A peer's devices
 * may change them: what the frame carries is read back.
 */
static void
bridge_vlan_out(struct sim_ctx *c, const struct topo_port *p, struct bridge_vlan *v)
{
	uint16_t want = topo_port_wire_vid(p, v->id), outer, inner;
	int r = 0;

	if (want != v->tag_vid && v->tag_vid != 0) {
		sim_trace(c, "out through port %s: VLAN tag %u popped", p->id, v->tag_vid);
		r = flow_actions_pop_vlan(&c->res->actions);
		c->cur.vlan_outer = c->cur.vlan_inner;
		c->cur.vlan_inner = 0;
		v->tag_vid = 0;
	}
	if (r == 0 && want != v->tag_vid) {
		sim_trace(c, "out through port %s: VLAN tag %u pushed", p->id, want);
		r = flow_actions_push_vlan(&c->res->actions, RTE_ETHER_TYPE_VLAN, want);
		c->cur.vlan_inner = c->cur.vlan_outer;
		c->cur.vlan_outer = want;
		v->tag_vid = want;
	}
	if (r != 0) {
		c->res->cacheable = false;
		sim_drop(c, DROP_SIM_TOO_COMPLEX);
		return;
	}
	outer = c->cur.vlan_outer;
	inner = c->cur.vlan_inner;
	sim_port_egress(c, p);
	/* Still the tag it was, or gone (a peer's bridge popped it). */
	if (c->cur.vlan_outer != outer || c->cur.vlan_inner != inner)
		v->tag_vid = v->tag_vid != 0 && c->cur.vlan_outer != 0 &&
				     (c->cur.vlan_outer & RTE_VLAN_ID_MASK) == v->tag_vid
			     ? v->tag_vid
			     : 0;
}

/*
 * Out of every other up port: exterior ones output, interior ones carry it to
 * their peer.  Ports waiting for their interface and ports whose link is down
 * are left out.
 */
static void
bridge_flood(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in,
	     struct bridge_vlan *v)
{
	uint32_t i, before = c->res->actions.n_outputs;
	uint16_t first = v->tag_vid;
	bool outer = c->flooding;
	struct overlay_flood remote;
	unsigned int pass;

	c->flooding = true;
	/*
	 * A VLAN-aware bridge sends to other hosts port by port: a host's flood
	 * key would reach ports of every VLAN there, with one tagging for all.
	 */
	if (!b->vlan_aware)
		overlay_flood_begin(c, &remote, b->index);
	/*
	 * VLAN-aware: the ports that take the frame as it is first, then the
	 * others after one push or pop, so a flood changes the tags at most
	 * once (and a trunk gets a trunk's frame byte for byte).
	 */
	for (pass = 0; pass < (b->vlan_aware ? 2u : 1u); pass++) {
		for (i = 0; i < b->n_ports; i++) {
			const struct topo_port *p = &c->t->ports[b->ports[i]];

			if (p->index == in->index || !p->admin_up)
				continue;
			if (!topo_port_is_bound(p) && p->peer == TOPO_NO_INDEX)
				continue;
			/* No carrier: nothing to flood to; the bridge's tag brings it back with the link. */
			if (p->dpdk_port != TOPO_NO_DPDK_PORT && p->link_down)
				continue;
			if (b->vlan_aware &&
			    (!topo_port_in_vlan(p, v->id) ||
			     (topo_port_wire_vid(p, v->id) == first) != (pass == 0)))
				continue;
			bridge_vlan_out(c, p, v);
		}
	}
	/* Ports on other hosts: one encapsulated copy per host (sim/overlay_walk.c). */
	if (!b->vlan_aware)
		overlay_flood_finish(c, &remote);
	c->flooding = outer;
	sim_trace(c, "bridge %s: flooded to %u output(s)", bridge_name(b),
		  c->res->actions.n_outputs - before);
	if (c->res->actions.n_outputs == before && c->res->drop_reason == 0)
		sim_drop(c, DROP_NO_FLOOD_TARGET);
}

/* IEEE 802.1D 7.12.3: the Bridge Group Address, where spanning tree BPDUs go. */
static const struct rte_ether_addr bpdu_group = {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}};

/* An exterior trunk: a trunk bound to an interface (here or on another host), not linked. */
static bool
bridge_port_is_exterior_trunk(const struct topo_port *p)
{
	return p->vlan_mode == TOPO_VLAN_TRUNK && p->peer == TOPO_NO_INDEX;
}

/*
 * A BPDU in a VLAN-aware bridge: MidoNet's L2 gateway hands it from the
 * trunk it came in by to every other exterior trunk, byte for byte
 * (untagged, as 802.1D sends it), and to nothing else: a VM or a per-VLAN
 * bridge has no business with the physical switches' spanning tree, and
 * it names no host, so its source is not learned.  The physical switches
 * then see their own BPDUs come back through the gateway and block one of
 * their links to it.  A tagged one, or one from an access, plain or
 * interior port, is dropped as bridge_bpdu.
 *
 * Cacheable: the answer depends on the bridge's ports (their VLAN modes,
 * admin state, bindings, links) and on nothing learned; the bridge's tag,
 * which every topology change of its ports and every link change of one of
 * them removes, covers it.  Not subject to the bridge's rule chains: these
 * are the switches' frames, not a host's.
 */
static void
bridge_bpdu(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in)
{
	uint32_t i, before = c->res->actions.n_outputs;
	bool outer = c->flooding;

	if (c->cur.vlan_outer != 0 || !bridge_port_is_exterior_trunk(in)) {
		sim_trace(c, "bridge %s: BPDU %s port %s: drop", bridge_name(b),
			  c->cur.vlan_outer != 0 ? "tagged, on"
						 : "on a port not an exterior trunk,",
			  in->id);
		sim_drop(c, DROP_BRIDGE_BPDU);
		return;
	}
	c->flooding = true;
	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &c->t->ports[b->ports[i]];

		if (p->index == in->index || !p->admin_up || !bridge_port_is_exterior_trunk(p))
			continue;
		if (p->dpdk_port != TOPO_NO_DPDK_PORT && p->link_down)
			continue;
		sim_port_egress(c, p);
	}
	c->flooding = outer;
	sim_trace(c, "bridge %s: BPDU passed to %u other trunk(s)", bridge_name(b),
		  c->res->actions.n_outputs - before);
	if (c->res->actions.n_outputs == before && c->res->drop_reason == 0)
		sim_drop(c, DROP_BRIDGE_BPDU);
}

static void
bridge_learn(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in,
	     uint16_t vlan)
{
	struct sim_thread *st = c->st;
	const struct rte_ether_addr *src = &c->cur.eth_src;
	uint32_t entry;
	int r;

	r = mac_table_learn(st->macs, b->index, vlan, src, in->index,
			    (uint64_t)b->mac_aging_s * rte_get_tsc_hz(), c->now, &entry);
	if (r < 0) {
		st->stats.mac_table_full++;
		return;
	}
	if (unlikely(c->trace_cookie != 0)) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), src);
		sim_trace(c, "bridge %s: source %s %s port %s", bridge_name(b), mac,
			  r == MAC_LEARN_NEW ? "learned on" : r == MAC_LEARN_SAME ? "already on"
										 : "moved to",
			  in->id);
	}
	if (r != MAC_LEARN_SAME) {
		/*
		 * New: flows that flooded towards this MAC can now go to one port.
		 * Moved: flows that sent to the old port, and flows that learned
		 * it there, are wrong.  Both are tagged with the MAC.
		 */
		st->stats.invalidations++;
		flow_cache_invalidate_tag(st->cache, tag_mac(b->index, src));
		if (r == MAC_LEARN_NEW)
			st->stats.mac_learned++;
		else
			st->stats.mac_moved++;
		/* Shared state knows (bridge, MAC): VLAN 0's only. */
		if (vlan == 0)
			sim_state_mac(c, b, src, in);
	}
	/* The first bridge a frame crosses is the one that learns its source. */
	if (c->res->mac_entry == MAC_NO_ENTRY)
		c->res->mac_entry = entry;
	sim_tag(c, tag_mac(b->index, src));
}

/* A router port linked to this bridge in VLAN vlan that owns mac, or NULL. */
static const struct topo_port *
bridge_router_port(const struct sim_ctx *c, const struct topo_bridge *b,
		   const struct rte_ether_addr *mac, uint16_t vlan)
{
	uint32_t i;

	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &c->t->ports[b->ports[i]];

		if (b->vlan_aware && !topo_port_in_vlan(p, vlan))
			continue;
		if (p->peer != TOPO_NO_INDEX &&
		    c->t->ports[p->peer].device_type == TOPO_DEVICE_ROUTER &&
		    rte_is_same_ether_addr(&c->t->ports[p->peer].mac, mac))
			return p;
	}
	return NULL;
}

/* The bridge's outbound filter, once it chose out (NULL: a flood). */
static bool
bridge_out_filter(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in,
		  const struct topo_port *out)
{
	return chain_filter(c, b->outbound_filter, in->index,
			    out != NULL ? out->index : TOPO_NO_INDEX, "bridge", bridge_name(b),
			    "outbound");
}

void
bridge_ingress(struct sim_ctx *c, const struct topo_port *in)
{
	const struct topo_bridge *b = &c->t->bridges[in->device];
	const struct flow_key *key = &c->cur;
	const struct topo_port *out;
	struct bridge_vlan v;
	int64_t learned;

	sim_tag(c, tag_device(b->index));
	if (!b->admin_up) {
		sim_trace(c, "bridge %s: admin down", bridge_name(b));
		sim_drop(c, DROP_BRIDGE_DOWN);
		return;
	}
	/*
	 * IEEE 802.3 3.2.3: a source address is an individual one (group bit
	 * clear), and all zeros is no station's.  Learned, either would send
	 * the frames of a group, or of nobody, to one port; the Linux bridge
	 * drops such a frame on arrival (br_handle_frame, is_valid_ether_addr),
	 * and so does this one, before its rules and its learning.
	 */
	if (!rte_is_valid_assigned_ether_addr(&key->eth_src)) {
		sim_trace(c, "bridge %s: source MAC is %s: drop", bridge_name(b),
			  rte_is_zero_ether_addr(&key->eth_src) ? "all zeros" : "a group address");
		sim_drop(c, DROP_BRIDGE_BAD_SRC_MAC);
		return;
	}
	if (b->vlan_aware && rte_is_same_ether_addr(&key->eth_dst, &bpdu_group)) {
		bridge_bpdu(c, b, in);
		return;
	}
	if (!bridge_vlan_in(c, b, in, &v))
		return;
	/* Pre-bridge: before learning, so that a frame the rules refuse teaches nothing. */
	if (!chain_filter(c, b->inbound_filter, in->index, TOPO_NO_INDEX, "bridge", bridge_name(b),
			  "inbound"))
		return;
	if (in->peer == TOPO_NO_INDEX)
		bridge_learn(c, b, in, v.id);

	if (rte_is_multicast_ether_addr(&key->eth_dst)) {
		sim_trace(c, "bridge %s: %s destination: flood", bridge_name(b),
			  rte_is_broadcast_ether_addr(&key->eth_dst) ? "broadcast" : "multicast");
		if (bridge_out_filter(c, b, in, NULL))
			bridge_flood(c, b, in, &v);
		return;
	}
	/*
	 * Unicast: a router port's MAC is part of the topology (the bridge's own
	 * tag covers it); any other answer changes when the MAC is learned, moves
	 * or ages out.
	 */
	out = bridge_router_port(c, b, &key->eth_dst, v.id);
	if (out == NULL) {
		sim_tag(c, tag_mac(b->index, &key->eth_dst));
		learned = mac_table_lookup(c->st->macs, b->index, v.id, &key->eth_dst);
		/* Learned on a port since taken out of the VLAN: as good as unknown. */
		if (learned >= 0 && b->vlan_aware && !topo_port_in_vlan(&c->t->ports[learned], v.id))
			learned = -ENOENT;
		/*
		 * VLAN-aware (an L2 gateway) and learned on a port whose link is
		 * down: the station may be reachable another way (the other trunk,
		 * once the physical switch unblocks it), so flood rather than drop
		 * until it is learned there.  The link coming back changes the port,
		 * and the bridge's flows go.  A plain bridge's ports are VMs', which
		 * are nowhere else: it drops as link_down (sim_port_egress).
		 */
		if (learned >= 0 && b->vlan_aware &&
		    c->t->ports[learned].dpdk_port != TOPO_NO_DPDK_PORT &&
		    c->t->ports[learned].link_down) {
			sim_trace(c, "bridge %s: destination learned on port %s, link down",
				  bridge_name(b), c->t->ports[learned].id);
			learned = -ENOENT;
		}
		/* Learned on another host? (Asked once; the answer walks it again.) */
		if (learned < 0 && v.id == 0 && sim_state_ask_mac(c, b, &key->eth_dst))
			return;
		if (learned < 0) {
			sim_trace(c, "bridge %s: destination unknown: flood", bridge_name(b));
			if (bridge_out_filter(c, b, in, NULL))
				bridge_flood(c, b, in, &v);
			return;
		}
		out = &c->t->ports[learned];
		sim_trace(c, "bridge %s: destination learned on port %s", bridge_name(b), out->id);
	} else {
		sim_trace(c, "bridge %s: destination is router port %s, linked through port %s",
			  bridge_name(b), c->t->ports[out->peer].id, out->id);
	}
	if (out->index == in->index) {
		/* The destination sits behind the port the frame came from: the segment has it. */
		sim_drop(c, DROP_BRIDGE_HAIRPIN);
		return;
	}
	if (bridge_out_filter(c, b, in, out))
		bridge_vlan_out(c, out, &v);
}
