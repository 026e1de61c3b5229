/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the simulation: the walk of one packet through the devices.  For
 * the simulation files only.
 *
 * A walk starts at the port a packet came in on and moves device by device:
 * a bridge or a router takes the frame in on a port and sends it out of one
 * (or, flooding, several); out of an exterior port it leaves (an OUTPUT
 * action), out of an interior port it enters the peer's device.  Each device
 * appends what it did to the result (rewrites, outputs) and tags it with what
 * it read, so the flow can be cached and invalidated.
 *
 * A device that must answer (ARP reply, ICMP) makes a packet and hands it to
 * sim_emit(): it is walked from the answering port after the main walk, and
 * the main result is marked not cacheable, because a cached flow could not
 * answer the next packet.
 */
#ifndef KAIRO_SIM_WALK_H
#define KAIRO_SIM_WALK_H

#include "conntrack.h"
#include "sim_private.h"

/* Devices a walk may cross before it is taken for a loop. */
#define SIM_MAX_HOPS 16
/* Packets one walk may make (answers, ARP requests). */
#define SIM_MAX_EMIT 8
/*
 * A made packet may make one more (a router's ARP request answered by the
 * router at the other end of an interior link); that one may not.
 */
#define SIM_MAX_EMIT_DEPTH 2

/* Packets of one key in one burst: the first is simulated, the rest wait behind it. */
struct sim_group {
	struct rte_mbuf *pkts[SIM_MAX_QUEUED_PER_KEY];
	uint16_t n;
	/* An earlier group of the burst has the same key (another reason): it may install it. */
	bool key_seen_before;
};

struct sim_emitted {
	struct rte_mbuf *m;
	uint32_t port; /* walked from this port's egress */
};

/* Connection tracking of one walk, looked up the first time a rule asks. */
enum sim_ct_state {
	SIM_CT_UNKNOWN = 0,   /* no rule asked */
	SIM_CT_UNTRACKED = 1, /* not IP (or no table): forward, never a return */
	SIM_CT_FORWARD = 2,   /* a known connection's forward packet, or a new one's */
	SIM_CT_RETURN = 3,    /* a return packet of a known connection */
};

struct sim_ctx {
	struct sim_thread *st;
	const struct topology *t;
	uint64_t now;
	struct sim_result *res;
	struct rte_mbuf *m;        /* the packet, unmodified */
	const struct pkt_meta *meta;
	struct flow_key cur;       /* its headers as the walk has rewritten them so far */
	unsigned int hops;
	uint8_t routers;           /* routers crossed: the fast path needs TTL above this */
	uint16_t min_mtu;          /* smallest egress MTU on the way, 0 if no router */
	uint32_t in_router_port;   /* the port the packet entered the last router by */
	uint32_t in_port;          /* the port it entered the current device by, or TOPO_NO_INDEX */
	struct rte_ether_addr in_eth_src; /* its MACs as it entered that device: a reject answers */
	struct rte_ether_addr in_eth_dst; /* from in_eth_dst to in_eth_src */
	bool skip_egress_filter;   /* a made packet leaves its first port unfiltered */
	bool stateful_in;          /* came in by a port of a stateful port group */
	uint8_t ct_state;          /* enum sim_ct_state: what the flow conditions found */
	uint32_t ct_entry;         /* the connection found, CT_NO_ENTRY if none (yet) */
	struct ct_key ct_fwd;      /* SIM_CT_FORWARD: the packet's own 5-tuple */
	uint8_t emit_depth;        /* 0: a received packet; n: made by a walk of depth n - 1 */
	bool flooding;             /* inside a bridge's flood: egress ports are not tagged */
	struct overlay_flood *oflood; /* the innermost flood's remote ports (sim/overlay.h) */
	uint8_t trace_level;       /* enum trace_level, when traced */
	uint64_t trace_cookie;     /* this walk is traced (trace.h): 0 = not */
	/* Fragments through stateful NAT rules (sim/nat_frag.h). */
	bool frag_ports;           /* a later fragment, walked with its header fragment's ports */
	bool frag_header;          /* a header fragment whose datagram the table remembers... */
	bool frag_full;            /* ...or would, but it is full: a NAT rule drops the header */
	unsigned int n_emit;
	struct sim_emitted emit[SIM_MAX_EMIT];
};

/*
 * One line of a traced walk (trace.h); nothing, not even the arguments'
 * evaluation, when the walk is not traced.
 */
#define sim_trace(c, ...)                                                                          \
	do {                                                                                       \
		if (unlikely((c)->trace_cookie != 0))                                              \
			trace_line(&(c)->st->trace, (c)->trace_cookie, __VA_ARGS__);               \
	} while (0)
/* The same, for what only the trace level shows (headers, tags). */
#define sim_trace_detail(c, ...)                                                                   \
	do {                                                                                       \
		if (unlikely((c)->trace_cookie != 0) && (c)->trace_level == TRACE_LEVEL_TRACE)     \
			trace_line(&(c)->st->trace, (c)->trace_cookie, __VA_ARGS__);               \
	} while (0)

/* Names for trace lines. */
const char *sim_port_name(const struct sim_ctx *c, const struct topo_port *p);
const char *sim_device_name(const struct sim_ctx *c, const struct topo_port *p);

/* Tag the result; a result with more tags than a flow holds is not cached. */
void sim_tag(struct sim_ctx *c, uint64_t tag);
/* The flow depends on a connection or NAT entry: a cached flow keeps it alive. */
void sim_hold(struct sim_ctx *c, uint32_t entry);
/* Replace everything decided so far by a drop. */
void sim_drop(struct sim_ctx *c, enum drop_reason reason);
/* Queue a made packet, walked from port's egress once the main walk ends. */
void sim_emit(struct sim_ctx *c, struct rte_mbuf *m, uint32_t port);

/* A frame enters a device on port / leaves it through port. */
void sim_port_ingress(struct sim_ctx *c, const struct topo_port *port);
void sim_port_egress(struct sim_ctx *c, const struct topo_port *port);

/* The devices (sim/bridge.c, sim/router.c); a bridge's name (its id when it has none). */
const char *bridge_name(const struct topo_bridge *b);
void bridge_ingress(struct sim_ctx *c, const struct topo_port *in);
void router_ingress(struct sim_ctx *c, const struct topo_port *in);

/* Send a made packet: walk it from port and execute what the walk decided (sim/walk.c, then sim_output.c). */
void sim_send_made(struct sim_thread *st, struct rte_mbuf *m, uint32_t port, uint16_t worker,
		   uint64_t now, uint8_t depth);
/*
 * Simulate (or reuse the flow of) a group and send its packets; f is the
 * group's key already looked up in the cache, or NULL (sim/sim_thread.c).
 */
void sim_group_handle(struct sim_thread *st, struct sim_group *g, struct flow *f, uint64_t now);
/* ---- sim/sim_output.c: packets out of the simulation ---- */

/* Execute acts on m and hand the results to worker. */
void sim_execute_and_send(struct sim_thread *st, const struct flow_actions *acts,
			  struct rte_mbuf *m, uint16_t worker);
/* Give back what a packet took at admission (a resumed one or a follower holds nothing). */
void sim_release_tokens(struct sim_thread *st, const struct upcall_hold *hold);
/* Run acts on every packet of the group and hand them to their workers; tokens back. */
void sim_send_group(struct sim_thread *st, const struct flow_actions *acts, struct sim_group *g);
/* Send one walked packet unless the walk kept it (res->consumed); its tokens back. */
void sim_send_one(struct sim_thread *st, struct rte_mbuf *m, const struct sim_result *res);
/* Count a group the slow path sends itself in the meters the walk went through. */
void sim_meter_group(struct sim_thread *st, const uint16_t *meters, uint8_t n_meters,
		     const struct sim_group *g);

#endif
