/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A frame through a virtual bridge: MAC learning, forwarding to the learned
 * port, flooding unknown and multicast destinations, dropping a frame whose
 * source names no station.
 *
 * The MACs of router ports linked to the bridge are known without learning,
 * as in MidoNet: a frame for a router is never flooded, and the router's own
 * frames (which enter through that interior port) are not learned.
 */
#include <rte_cycles.h>
#include <rte_ether.h>

#include "chain.h"
#include "flow_tags.h"
#include "overlay.h"
#include "shared_state.h"
#include "sim_walk.h"

static const char *
bridge_name(const struct topo_bridge *b)
{
	return b->name[0] != '\0' ? b->name : b->id;
}

/*
 * Out of every other up port: exterior ones output, interior ones carry it to
 * their peer.  Ports waiting for their interface and ports whose link is down
 * are left out.
 */
static void
bridge_flood(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in)
{
	uint32_t i, before = c->res->actions.n_outputs;
	bool outer = c->flooding;
	struct overlay_flood remote;

	c->flooding = true;
	overlay_flood_begin(c, &remote, b->index);
	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &c->t->ports[b->ports[i]];

		if (p->index == in->index || !p->admin_up)
			continue;
		if (!topo_port_is_bound(p) && p->peer == TOPO_NO_INDEX)
			continue;
		/* No carrier: nothing to flood to; the bridge's tag brings it back with the link. */
		if (p->dpdk_port != TOPO_NO_DPDK_PORT && p->link_down)
			continue;
		sim_port_egress(c, p);
	}
	/* Ports on other hosts: one encapsulated copy per host (sim/overlay_walk.c). */
	overlay_flood_finish(c, &remote);
	c->flooding = outer;
	sim_trace(c, "bridge %s: flooded to %u output(s)", bridge_name(b),
		  c->res->actions.n_outputs - before);
	if (c->res->actions.n_outputs == before && c->res->drop_reason == 0)
		sim_drop(c, DROP_NO_FLOOD_TARGET);
}

static void
bridge_learn(struct sim_ctx *c, const struct topo_bridge *b, const struct topo_port *in)
{
	struct sim_thread *st = c->st;
	const struct rte_ether_addr *src = &c->cur.eth_src;
	uint32_t entry;
	int r;

	r = mac_table_learn(st->macs, b->index, 0, src, in->index,
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
		sim_state_mac(c, b, src, in);
	}
	/* The first bridge a frame crosses is the one that learns its source. */
	if (c->res->mac_entry == MAC_NO_ENTRY)
		c->res->mac_entry = entry;
	sim_tag(c, tag_mac(b->index, src));
}

/* A router port linked to this bridge that owns mac, or NULL. */
static const struct topo_port *
bridge_router_port(const struct sim_ctx *c, const struct topo_bridge *b,
		   const struct rte_ether_addr *mac)
{
	uint32_t i;

	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &c->t->ports[b->ports[i]];

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
	/* Pre-bridge: before learning, so that a frame the rules refuse teaches nothing. */
	if (!chain_filter(c, b->inbound_filter, in->index, TOPO_NO_INDEX, "bridge", bridge_name(b),
			  "inbound"))
		return;
	if (in->peer == TOPO_NO_INDEX)
		bridge_learn(c, b, in);

	if (rte_is_multicast_ether_addr(&key->eth_dst)) {
		sim_trace(c, "bridge %s: %s destination: flood", bridge_name(b),
			  rte_is_broadcast_ether_addr(&key->eth_dst) ? "broadcast" : "multicast");
		if (bridge_out_filter(c, b, in, NULL))
			bridge_flood(c, b, in);
		return;
	}
	/*
	 * Unicast: a router port's MAC is part of the topology (the bridge's own
	 * tag covers it); any other answer changes when the MAC is learned, moves
	 * or ages out.
	 */
	out = bridge_router_port(c, b, &key->eth_dst);
	if (out == NULL) {
		sim_tag(c, tag_mac(b->index, &key->eth_dst));
		learned = mac_table_lookup(c->st->macs, b->index, 0, &key->eth_dst);
		/* Learned on another host? (Asked once; the answer walks it again.) */
		if (learned < 0 && sim_state_ask_mac(c, b, &key->eth_dst))
			return;
		if (learned < 0) {
			sim_trace(c, "bridge %s: destination unknown: flood", bridge_name(b));
			if (bridge_out_filter(c, b, in, NULL))
				bridge_flood(c, b, in);
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
		sim_port_egress(c, out);
}
