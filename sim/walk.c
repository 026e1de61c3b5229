/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The walk of one packet through the virtual topology (sim_walk.h): entry,
 * ports, the result's final form, and the packets the walk made.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_mbuf.h>

#include "chain.h"
#include "flow_key_format.h"
#include "flow_tags.h"
#include "nat_frag.h"
#include "overlay.h"
#include "packet_gen.h"
#include "router.h"
#include "sim_walk.h"

const char *
sim_port_name(const struct sim_ctx *c, const struct topo_port *p)
{
	RTE_SET_USED(c);
	return p->id;
}

const char *
sim_device_name(const struct sim_ctx *c, const struct topo_port *p)
{
	if (p->device_type == TOPO_DEVICE_BRIDGE)
		return bridge_name(&c->t->bridges[p->device]);
	return router_name(&c->t->routers[p->device]);
}

void
sim_tag(struct sim_ctx *c, uint64_t tag)
{
	struct sim_result *res = c->res;
	unsigned int i;

	for (i = 0; i < res->n_tags; i++)
		if (res->tags[i] == tag)
			return;
	if (res->n_tags == FLOW_TAGS_MAX) {
		/* A flow that cannot carry every tag could outlive a change: do not cache it. */
		res->cacheable = false;
		return;
	}
	res->tags[res->n_tags++] = tag;
}

void
sim_drop(struct sim_ctx *c, enum drop_reason reason)
{
	/*
	 * Only this branch ends here: a flood may still output elsewhere.  The
	 * reason counts if nothing is output at all (sim_finish).
	 */
	c->res->drop_reason = reason;
	sim_trace(c, "drop: %s", drop_reason_name(reason));
}

void
sim_emit(struct sim_ctx *c, struct rte_mbuf *m, uint32_t port)
{
	if (m == NULL)
		return;
	/* The next packet of this flow needs its own answer: the result is not cacheable. */
	c->res->cacheable = false;
	sim_trace(c, "answer made (%u bytes), sent from port %s", m->pkt_len,
		  c->t->ports[port].id);
	if (c->emit_depth >= SIM_MAX_EMIT_DEPTH || c->n_emit == SIM_MAX_EMIT) {
		/* Bounded: no chain of answers to answers. */
		rte_pktmbuf_free(m);
		return;
	}
	c->emit[c->n_emit].m = m;
	c->emit[c->n_emit].port = port;
	c->n_emit++;
}

/*
 * Note a meter (sim/meter.h).  cache is a field of the snapshot, which
 * belongs to this thread: it keeps the meter's index for the next walk.
 */
static void
sim_meter(struct sim_ctx *c, const uint16_t *cache, const char *prefix, const char *id)
{
	meter_note(&c->st->meters, (uint16_t *)(uintptr_t)cache, prefix, id, c->res->meters,
		   &c->res->n_meters);
}

void
sim_port_ingress(struct sim_ctx *c, const struct topo_port *port)
{
	uint32_t outer_in = c->in_port;
	struct rte_ether_addr outer_src = c->in_eth_src, outer_dst = c->in_eth_dst;

	if (unlikely(c->res->need_state))
		return;
	if (++c->hops > SIM_MAX_HOPS) {
		sim_drop(c, DROP_SIM_LOOP);
		return;
	}
	explain_note(&c->res->explain, EXPLAIN_PORT_IN, port->index);
	sim_trace(c, "%s %s: in through port %s%s",
		  port->device_type == TOPO_DEVICE_BRIDGE ? "bridge" : "router",
		  sim_device_name(c, port), sim_port_name(c, port),
		  port->peer == TOPO_NO_INDEX ? "" : " (interior)");
	if (unlikely(c->trace_cookie != 0 && c->trace_level == TRACE_LEVEL_TRACE)) {
		char kbuf[512];

		flow_key_format(&c->cur, kbuf, sizeof(kbuf));
		trace_line(&c->st->trace, c->trace_cookie, "  headers: %s", kbuf);
	}
	/*
	 * Interior ports are not tagged: a change to one is a change to its
	 * device, whose tag every walk through it carries.  Exterior ports are,
	 * so that a change to one leaves the flows of its neighbours alone.
	 */
	if (port->peer == TOPO_NO_INDEX) {
		sim_tag(c, tag_port(port->index));
		sim_meter(c, &port->meter_rx, "port:rx:", port->id);
		/* Its connections' state is shared with the group's other ports' hosts. */
		if (port->stateful_group) {
			c->stateful_in = true;
			c->res->stateful = true;
		}
	}
	if (!port->admin_up) {
		sim_drop(c, DROP_PORT_DOWN);
		return;
	}
	if (port->device_type == TOPO_DEVICE_BRIDGE)
		sim_meter(c, &c->t->bridges[port->device].meter, "device:",
			  c->t->bridges[port->device].id);
	else
		sim_meter(c, &c->t->routers[port->device].meter, "device:",
			  c->t->routers[port->device].id);
	/* This device's ingress, for its chains and a reject's answer; the caller's is restored. */
	c->in_port = port->index;
	c->in_eth_src = c->cur.eth_src;
	c->in_eth_dst = c->cur.eth_dst;
	if (chain_filter(c, port->inbound_filter, port->index, TOPO_NO_INDEX, "port", port->id,
			 "inbound")) {
		if (port->device_type == TOPO_DEVICE_BRIDGE) {
			bridge_ingress(c, port);
		} else {
			/* Other hosts' copies of the router learn from what this one does. */
			overlay_share_router_arp(c, port);
			router_ingress(c, port);
		}
	}
	c->in_port = outer_in;
	c->in_eth_src = outer_src;
	c->in_eth_dst = outer_dst;
}

void
sim_port_egress(struct sim_ctx *c, const struct topo_port *port)
{
	if (unlikely(c->res->need_state))
		return;
	/* A flood depends on the bridge's whole port set: the bridge's tag stands for it. */
	if (port->peer == TOPO_NO_INDEX && !c->flooding)
		sim_tag(c, tag_port(port->index));
	if (port->stateful_group)
		c->res->stateful = true;
	if (!port->admin_up) {
		sim_trace(c, "out through port %s: admin down", sim_port_name(c, port));
		sim_drop(c, DROP_PORT_DOWN);
		return;
	}
	/* A made packet leaves the port that answers as an exterior port would send it: unfiltered. */
	if (c->skip_egress_filter)
		c->skip_egress_filter = false;
	else if (!chain_filter(c, port->outbound_filter, c->in_port, port->index, "port", port->id,
			       "outbound"))
		return;
	if (port->dpdk_port != TOPO_NO_DPDK_PORT || port->remote || port->vtep)
		sim_meter(c, &port->meter_tx, "port:tx:", port->id);
	if (port->dpdk_port != TOPO_NO_DPDK_PORT && port->link_down) {
		/* Tagged with the port: the link coming back changes it, and the flow goes. */
		sim_trace(c, "out through port %s: interface %s link down", sim_port_name(c, port),
			  port->interface);
		sim_drop(c, DROP_LINK_DOWN);
	} else if (port->dpdk_port != TOPO_NO_DPDK_PORT) {
		sim_trace(c, "out through port %s to interface %s (DPDK port %u)",
			  sim_port_name(c, port), port->interface, port->dpdk_port);
		if (flow_actions_output(&c->res->actions, port->dpdk_port) != 0) {
			c->res->cacheable = false;
			sim_drop(c, DROP_SIM_TOO_COMPLEX);
		}
	} else if (port->remote || port->vtep) {
		overlay_port_egress(c, port);
	} else if (port->peer != TOPO_NO_INDEX) {
		sim_trace(c, "out through port %s to its peer %s", sim_port_name(c, port),
			  sim_port_name(c, &c->t->ports[port->peer]));
		sim_port_ingress(c, &c->t->ports[port->peer]);
	} else if (topo_port_is_waiting(port)) {
		sim_trace(c, "out through port %s: waiting for interface %s", sim_port_name(c, port),
			  port->interface);
		sim_drop(c, DROP_INTERFACE_WAITING);
	} else {
		sim_trace(c, "out through port %s: bound to no local interface",
			  sim_port_name(c, port));
		sim_drop(c, DROP_NO_BINDING);
	}
}

/*
 * The list the fast path runs: the checks a router hop needs first (the key
 * has no TTL, hop limit or length), then the TTL or hop limit decrement,
 * then what the walk appended.
 */
static void
sim_finish(struct sim_ctx *c)
{
	struct sim_result *res = c->res;
	struct flow_actions walked = res->actions;
	unsigned int i;

	if (res->need_state)
		return; /* walked again when the store answers */
	chain_conntrack_finish(c, walked.n_outputs > 0 && !res->consumed);
	if (walked.n_outputs == 0) {
		res->actions.n = 0;
		res->actions.n_outputs = 0;
		flow_actions_drop(&res->actions,
				  res->drop_reason ? res->drop_reason : DROP_FLOW_ACTION_DROP);
		return;
	}
	if (c->routers == 0)
		return;
	res->actions.n = 0;
	res->actions.n_outputs = 0;
	if (c->cur.l3_kind == FLOW_L3_IPV6) {
		flow_actions_check_ipv6(&res->actions, c->routers, c->min_mtu);
		flow_actions_dec_hop_limit(&res->actions, c->routers);
	} else {
		flow_actions_check_ipv4(&res->actions, c->routers, c->min_mtu);
		flow_actions_dec_ttl(&res->actions, c->routers);
	}
	for (i = 0; i < walked.n; i++) {
		if (res->actions.n == FLOW_ACTIONS_MAX) {
			res->cacheable = false;
			break;
		}
		res->actions.a[res->actions.n++] = walked.a[i];
	}
	res->actions.n_outputs = walked.n_outputs;
}

void
sim_hold(struct sim_ctx *c, uint32_t entry)
{
	struct sim_result *res = c->res;
	unsigned int i;

	for (i = 0; i < res->n_ct_entries; i++)
		if (res->ct_entries[i] == entry)
			return;
	/*
	 * Used now: an entry no cached flow holds (a walk not cached, every
	 * fragment through a NAT rule) would otherwise age from its creation.
	 */
	if (c->st->ct != NULL)
		conntrack_touch(c->st->ct, entry, c->now);
	/* A flow that could not keep one of its entries alive would outlive it unnoticed. */
	if (res->n_ct_entries == FLOW_OWNER_STATE) {
		res->cacheable = false;
		return;
	}
	res->ct_entries[res->n_ct_entries++] = entry;
}

static void
sim_ctx_init(struct sim_ctx *c, struct sim_thread *st, struct rte_mbuf *m, uint64_t now,
	     struct sim_result *res)
{
	memset(c, 0, offsetof(struct sim_ctx, emit));
	c->st = st;
	c->t = st->topo;
	c->now = now;
	c->res = res;
	c->m = m;
	c->meta = pkt_meta(m);
	c->cur = c->meta->key;
	res->actions.n = 0;
	res->actions.n_outputs = 0;
	res->n_tags = 0;
	res->explain.n = 0;
	res->explain.truncated = false;
	res->mac_entry = MAC_NO_ENTRY;
	res->n_ct_entries = 0;
	res->icmp_inner_nat = false;
	c->in_port = TOPO_NO_INDEX;
	c->ct_entry = CT_NO_ENTRY;
	res->cacheable = true;
	res->consumed = false;
	res->drop_reason = 0;
	res->n_meters = 0;
	res->need_state = false;
	res->stateful = false;
	res->ask_lease_set = -1;
	res->n_created = 0;
	res->mac_shared = false;
}

/* A tracer takes the packet: first line, and no flow is cached for it (trace.h). */
static void sim_walk_made(struct sim_thread *st, struct rte_mbuf *m, uint32_t port, uint16_t worker,
			  uint64_t now, uint8_t depth, uint64_t cookie, uint8_t level);

static void
sim_trace_begin(struct sim_ctx *c)
{
	char kbuf[512];
	uint32_t tracer;

	c->trace_cookie = trace_begin(&c->st->trace, &c->meta->key, &c->trace_level, &tracer);
	if (c->trace_cookie == 0)
		return;
	c->res->cacheable = false;
	flow_key_format(&c->meta->key, kbuf, sizeof(kbuf));
	sim_trace(c, "tracer %u: %u bytes in on DPDK port %u (%s): %s", tracer, c->m->pkt_len,
		  c->meta->key.in_port, c->meta->upcall_reason == UPCALL_MISS ? "flow miss"
				   : c->meta->upcall_reason == UPCALL_ACTION ? "sent up by its flow"
									      : "again after ARP",
		  kbuf);
}

static void
sim_trace_end(struct sim_ctx *c)
{
	const struct sim_result *res = c->res;
	char abuf[512];
	unsigned int i;

	flow_actions_format(&res->actions, abuf, sizeof(abuf));
	if (c->emit_depth > 0)
		sim_trace(c, "answer's actions: %s", abuf);
	else if (res->consumed)
		sim_trace(c, "result: the packet waits for its next hop");
	else
		sim_trace(c, "result: %s (not cached: traced)", abuf);
	for (i = 0; i < res->n_tags; i++)
		sim_trace_detail(c, "  tag 0x%016" PRIx64, res->tags[i]);
}

static void
sim_send_emitted(struct sim_ctx *c)
{
	uint16_t worker = c->meta->worker;
	unsigned int i;

	/* A traced walk's answers are traced under its cookie. */
	for (i = 0; i < c->n_emit; i++)
		sim_walk_made(c->st, c->emit[i].m, c->emit[i].port, worker, c->now,
			      c->emit_depth + 1, c->trace_cookie, c->trace_level);
}

void
sim_packet(struct sim_thread *st, struct rte_mbuf *m, uint64_t now, struct sim_result *res)
{
	const struct topo_port *in;
	bool no_provider = false;
	struct sim_ctx c;

	sim_ctx_init(&c, st, m, now, res);
	if (unlikely(st->trace.n_tracers != 0))
		sim_trace_begin(&c);
	/* A later fragment follows its header fragment through stateful NAT rules. */
	if (c.meta->key.nw_frag == FLOW_FRAG_LATER)
		nat_frag_recall(&c);
	in = topology_port_of_dpdk(c.t, c.meta->key.in_port);
	/* A physical network's uplink: the provider bridge its outer tag names. */
	if (in != NULL && in->provider) {
		sim_tag(&c, tag_interface(c.meta->key.in_port));
		in = topology_provider_port(c.t, in, c.meta->key.vlan_outer);
		no_provider = in == NULL;
		if (in == NULL) {
			sim_trace(&c, "physical network uplink: no provider network for VLAN %u",
				  c.meta->key.vlan_outer & RTE_VLAN_ID_MASK);
			sim_drop(&c, DROP_VLAN_NOT_ALLOWED);
		}
	}
	if (no_provider) {
		/* Dropped above. */
	} else if (in == NULL && overlay_ingress(&c)) {
		/* The underlay uplink: a VTEP's frame, a shared ARP answer, or the underlay's ARP. */
	} else if (in == NULL) {
		sim_tag(&c, tag_interface(c.meta->key.in_port));
		sim_trace(&c, "interface (DPDK port %u) bound to no virtual port",
			  c.meta->key.in_port);
		sim_drop(&c, DROP_NO_BINDING);
	} else {
		sim_port_ingress(&c, in);
	}
	sim_finish(&c);
	nat_frag_walk_end(&c);
	if (unlikely(res->need_state)) {
		unsigned int i;

		/* Walked again once the store answers: what it made now is not sent. */
		for (i = 0; i < c.n_emit; i++)
			rte_pktmbuf_free(c.emit[i].m);
		sim_trace(&c, "result: waits for the state store");
		return;
	}
	if (unlikely(c.trace_cookie != 0))
		sim_trace_end(&c);
	sim_send_emitted(&c);
}

void
sim_send_made(struct sim_thread *st, struct rte_mbuf *m, uint32_t port, uint16_t worker,
	      uint64_t now, uint8_t depth)
{
	sim_walk_made(st, m, port, worker, now, depth, 0, 0);
}

static void
sim_walk_made(struct sim_thread *st, struct rte_mbuf *m, uint32_t port, uint16_t worker,
	      uint64_t now, uint8_t depth, uint64_t cookie, uint8_t level)
{
	struct sim_result res;
	struct sim_ctx c;

	/* The walk reads the made packet's headers from its key, as for a received one. */
	if (packet_parse(m, TOPO_NO_DPDK_PORT, &st->parse, pkt_meta(m)) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	pkt_meta(m)->worker = worker;
	sim_ctx_init(&c, st, m, now, &res);
	c.emit_depth = depth;
	c.trace_cookie = cookie;
	c.trace_level = level;
	c.skip_egress_filter = true;
	sim_port_egress(&c, &c.t->ports[port]);
	sim_finish(&c);
	if (unlikely(cookie != 0))
		sim_trace_end(&c);
	sim_execute_and_send(st, &res.actions, m, worker);
	sim_send_emitted(&c);
}
