/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual topology as the simulation sees it: an immutable snapshot.
 *
 * A snapshot is built whole by the store (nsdb/: the embedded file store, and
 * ZooKeeper later) and never changed after it is published; a change is a new
 * snapshot.  Simulation threads read the current one without locks.
 *
 * Objects carry the store's string ids (MidoNet uses UUIDs) and a dense index
 * used everywhere inside the dataplane.  Flow tags are built from indexes.
 *
 * Devices are bridges and routers.  A port belongs to one device and is
 * either exterior (bound to a local interface: it sends and receives frames)
 * or interior (its peer is a port of another device: a frame sent out of it
 * enters the peer's device).  Router ports carry an address, a network and
 * a MAC, optionally an IPv6 address and network, and always the IPv6
 * link-local address derived from the MAC (EUI-64, RFC 4291 2.5.1), so
 * that a router port speaks IPv6 on its link whether or not it has a global
 * address.  A route is IPv4 or IPv6 as its destination is.
 */
#ifndef KAIRO_TOPOLOGY_H
#define KAIRO_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>

#define TOPO_ID_LEN 64
#define TOPO_NAME_LEN 64
#define TOPO_NO_INDEX UINT32_MAX
#define TOPO_NO_DPDK_PORT UINT16_MAX

#define BRIDGE_MAC_AGING_DEFAULT_S 300
#define ROUTE_WEIGHT_DEFAULT 100
#define ROUTER_PORT_MTU_DEFAULT 1500
#define IPV6_ADDR_LEN 16

/*
 * A bridge port's VLANs (MIDONET-MODEL §2, "VLAN awareness"; loaded by
 * topology/topology_vlan.c).  A bridge with no port set is VLAN-unaware:
 * tags cross it untouched and everything is VLAN 0, as before VLANs.  Once
 * one port is set the bridge is VLAN-aware and a port with no setting
 * carries untagged frames only, in VLAN 0.
 */
enum topo_vlan_mode {
	TOPO_VLAN_NONE = 0,   /* untagged frames, VLAN 0 (a VLAN-aware bridge's plain port) */
	TOPO_VLAN_ACCESS = 1, /* untagged on the wire, VLAN `vlan` inside the bridge */
	TOPO_VLAN_TRUNK = 2,  /* tagged on the wire: the VLANs of trunk_vlans (NULL: all) */
	TOPO_VLAN_PROVIDER = 3, /* a vlan provider network's uplink: VLAN 0, tagged `vlan` on the
				 * wire (topology/topology_provider.c) */
};

#define TOPO_VLAN_MIN 1
#define TOPO_VLAN_MAX 4094
#define TOPO_VLAN_IDS 4096 /* bits in a trunk's set */

enum topo_device_type {
	TOPO_DEVICE_BRIDGE = 1,
	TOPO_DEVICE_ROUTER = 2,
};

struct topo_port {
	char id[TOPO_ID_LEN];
	uint32_t index;
	uint8_t device_type;  /* enum topo_device_type */
	uint32_t device;      /* index into bridges[] or routers[] */
	bool admin_up;
	uint16_t dpdk_port;   /* exterior port bound to a local interface, or TOPO_NO_DPDK_PORT */
	char interface[TOPO_NAME_LEN]; /* binding: the local interface name, "" if unbound */
	/*
	 * Bound to a local interface whose link is down (no carrier): floods
	 * leave it out and output to it is dropped as link_down.  Zero is up.
	 */
	bool link_down;
	uint32_t peer;        /* interior port: the port it is linked to, or TOPO_NO_INDEX */
	/* Router ports only. */
	rte_be32_t ip;        /* the port's address */
	rte_be32_t net;       /* its network, masked */
	uint8_t prefix_len;
	struct rte_ether_addr mac;
	uint16_t mtu;
	bool has_ip6;                 /* ip6/net6 are set */
	uint8_t prefix6_len;
	uint8_t ip6[IPV6_ADDR_LEN];   /* the port's IPv6 address */
	uint8_t net6[IPV6_ADDR_LEN];  /* its network, masked */
	uint8_t ll6[IPV6_ADDR_LEN];   /* fe80::/64 + EUI-64 of mac, on every router port */
	/* Rule chains (indexes into chains[]) run as the frame enters / leaves, or TOPO_NO_INDEX. */
	uint32_t inbound_filter;
	uint32_t outbound_filter;
	/*
	 * The overlay (topology/topology_hosts.c).  Both default to false when a
	 * loader leaves them zeroed: an exterior port is local unless bound to
	 * another host or to a VTEP.
	 */
	bool remote;          /* bound to an interface of another host: host says which */
	bool vtep;            /* bound to a hardware VTEP: overlay.vteps[vtep_index] */
	uint32_t host;        /* remote: index into overlay.hosts */
	uint32_t vtep_index;
	/* A member of a stateful port group: its connections' state is shared (sim/state_sync.h). */
	bool stateful_group;
	/* The simulation thread's memory of its meters' indexes + 1, 0 = not looked up (sim/meter.h). */
	uint16_t meter_rx, meter_tx;
	/* Bridge ports: enum topo_vlan_mode, the access VLAN, a trunk's set (TOPO_VLAN_IDS bits). */
	bool provider;        /* a provider bridge's implicit uplink port (shares its interface) */
	uint8_t vlan_mode;
	uint16_t vlan;
	uint64_t *trunk_vlans;
};

enum topo_route_type {
	ROUTE_NORMAL = 0,
	ROUTE_BLACKHOLE = 1, /* drop silently */
	ROUTE_REJECT = 2,    /* drop and answer ICMP unreachable */
};

struct topo_route {
	char id[TOPO_ID_LEN];
	uint32_t index;       /* over all routers' routes: flow tags use it */
	uint8_t type;         /* enum topo_route_type */
	rte_be32_t src;       /* masked */
	rte_be32_t dst;       /* masked */
	uint8_t src_len;
	uint8_t dst_len;
	rte_be32_t gateway;   /* next hop, 0 = the destination itself (on-link) */
	uint32_t port;        /* egress port index (normal routes) */
	uint32_t weight;      /* higher preferred; equal weights share flows by hash */
	bool connected;       /* made from a port's network, not configured */
	bool ipv6;            /* the *6 fields hold the route, the IPv4 ones are zero */
	uint8_t src6[IPV6_ADDR_LEN]; /* masked */
	uint8_t dst6[IPV6_ADDR_LEN]; /* masked */
	uint8_t gateway6[IPV6_ADDR_LEN]; /* all zeros = on-link */
};

struct topo_bridge {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	bool admin_up;
	uint32_t mac_aging_s;  /* a learned MAC no flow uses is forgotten after this */
	uint32_t inbound_filter;  /* chain run as a frame enters the bridge ("pre-bridge") */
	uint32_t outbound_filter; /* chain run once the bridge chose where the frame goes */
	uint32_t n_ports;
	uint32_t *ports;       /* indexes into topology.ports */
	uint16_t meter;        /* device:<id>'s index + 1, the simulation's cache (sim/meter.h) */
	bool spans_hosts;      /* a port is bound on another host (set with the bindings) */
	bool vlan_aware;       /* a port has a VLAN setting (enum topo_vlan_mode) */
};

struct topo_router {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	bool admin_up;
	uint32_t inbound_filter;  /* pre-routing: the ingress port is known */
	uint32_t outbound_filter; /* post-routing: ingress and egress ports are known */
	uint32_t n_ports;
	uint32_t *ports;
	uint32_t n_routes;
	/* Sorted: longest destination prefix first, then highest weight (route_lookup). */
	struct topo_route *routes;
	uint16_t meter;        /* device:<id>'s index + 1, the simulation's cache (sim/meter.h) */
};

/*
 * Rule chains (MIDONET-MODEL §3, the operations guide's tables 7.1 and 7.2).
 * A rule is a set of conditions, each optional and each negatable, and a
 * type saying what happens to a packet that meets them all.  The chain is
 * evaluated in `pos` order and stops at the first rule that decides.
 */
enum rule_type {
	RULE_ACCEPT = 0,   /* stop: the packet goes on */
	RULE_CONTINUE = 1, /* go on with the next rule (a rule that only counts or traces) */
	RULE_DROP = 2,     /* stop: drop silently */
	RULE_REJECT = 3,   /* stop: drop, answer ICMP unreachable (admin prohibited) or TCP RST */
	RULE_JUMP = 4,     /* evaluate jump_to; its return or end continues here */
	RULE_RETURN = 5,   /* stop this chain: the calling chain goes on */
	/*
	 * NAT (IPv4): rewrite, then do what nat_action says.  dnat and snat
	 * translate to one of nat_targets; one address and no port range is a
	 * static (floating IP) translation that needs no state, anything else
	 * a binding kept per connection.  rev_dnat / rev_snat turn an answer
	 * back by the binding its connection made; without one they do nothing.
	 */
	RULE_DNAT = 6,
	RULE_SNAT = 7,
	RULE_REV_DNAT = 8,
	RULE_REV_SNAT = 9,
};

/* What a NAT rule does after its rewrite ("action accept|continue|return"). */
enum rule_nat_action {
	NAT_ACTION_ACCEPT = 0,
	NAT_ACTION_CONTINUE = 1,
	NAT_ACTION_RETURN = 2,
};

/* "target ip[-ip][:port[-port]]": addresses and ports in host order; ports 0-0 keep the port. */
struct topo_nat_target {
	uint32_t addr_lo, addr_hi;
	uint16_t port_lo, port_hi;
};

/* Which conditions a rule has (rule.conds) and which are negated (rule.inv). */
enum rule_cond {
	COND_HW_SRC = 1u << 0,
	COND_HW_DST = 1u << 1,
	COND_ETHERTYPE = 1u << 2,
	COND_IN_PORTS = 1u << 3,
	COND_OUT_PORTS = 1u << 4,
	COND_TOS = 1u << 5,
	COND_PROTO = 1u << 6,
	COND_SRC = 1u << 7,
	COND_DST = 1u << 8,
	COND_SRC_PORT = 1u << 9,
	COND_DST_PORT = 1u << 10,
	COND_PORT_GROUP = 1u << 11, /* the ingress port is a member of port_group */
};

/* Which IP fragments a rule matches (MidoNet's FragmentPolicy); non-IP counts as unfragmented. */
enum rule_frag_policy {
	FRAG_POLICY_ANY = 0,          /* all */
	FRAG_POLICY_HEADER = 1,       /* unfragmented and header fragments (L4 rules' default) */
	FRAG_POLICY_NONHEADER = 2,    /* later fragments only */
	FRAG_POLICY_UNFRAGMENTED = 3, /* unfragmented only */
};

/* Connection tracking condition ("flow forward-flow" / "flow return-flow"). */
enum rule_flow {
	RULE_FLOW_ANY = 0,
	RULE_FLOW_FORWARD = 1, /* not a return packet of a known connection */
	RULE_FLOW_RETURN = 2,  /* a return packet of a connection seen forward */
};

struct topo_rule {
	char id[TOPO_ID_LEN];
	uint32_t pos;
	uint8_t type;           /* enum rule_type */
	uint8_t frag_policy;    /* enum rule_frag_policy */
	uint8_t flow;           /* enum rule_flow */
	/* "meter": user:<name> counts the flows this rule admits; index + 1 cached by the walk. */
	char meter_name[TOPO_NAME_LEN];
	uint16_t meter;
	uint32_t jump_to;       /* RULE_JUMP: chain index */
	uint32_t conds;         /* enum rule_cond bits set */
	uint32_t inv;           /* enum rule_cond bits negated ("!") */
	struct rte_ether_addr hw_src, hw_src_mask, hw_dst, hw_dst_mask; /* masked */
	uint16_t ethertype;
	uint8_t tos;
	uint8_t proto;
	bool src6, dst6;        /* the CIDR is IPv6 (src_addr holds 16 bytes) */
	uint8_t src_len, dst_len;
	uint8_t src_addr[IPV6_ADDR_LEN]; /* masked; IPv4 in the first 4 bytes */
	uint8_t dst_addr[IPV6_ADDR_LEN];
	uint16_t src_port_lo, src_port_hi; /* inclusive */
	uint16_t dst_port_lo, dst_port_hi;
	uint32_t port_group;
	uint32_t n_in_ports, n_out_ports;
	uint32_t *in_ports;     /* port indexes */
	uint32_t *out_ports;
	/* NAT rules only. */
	uint8_t nat_action;     /* enum rule_nat_action */
	bool nat_static;        /* one address, no port range: a stateless 1:1 rewrite */
	uint32_t n_nat_targets;
	struct topo_nat_target *nat_targets;
};

struct topo_chain {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	uint32_t n_rules;
	struct topo_rule *rules; /* sorted by pos */
};

/* Ports sharing a name for rules ("port-group"); stateful groups share connection state. */
struct topo_port_group {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	bool stateful;
	uint32_t n_ports;
	uint32_t *ports;
};

/*
 * Hosts and tunnel zones (MIDONET-MODEL §1–2): where the ports bound on other
 * hosts live and how packets reach them.  A port's tunnel key names it on the
 * wire (topo_port_tunnel_key); every host reads the same document, so every
 * host gives a port the same key.
 */
enum topo_tz_type {
	TOPO_TZ_VXLAN = 1,
	TOPO_TZ_GRE = 2,
	TOPO_TZ_VTEP = 3, /* hosts that talk to hardware VTEPs (VXLAN) */
};

struct topo_host {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
};

struct topo_tz_member {
	uint32_t host;  /* index into overlay.hosts */
	rte_be32_t ip;  /* the host's underlay address in this zone */
};

struct topo_tunnel_zone {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	uint8_t type;   /* enum topo_tz_type */
	uint32_t n_members;
	struct topo_tz_member *members;
};

/* A bridge port bound to a VNI on an external VTEP (the operations guide's VXLAN gateway). */
struct topo_vtep_binding {
	uint32_t port;  /* the bridge port standing for the VTEP's segment */
	uint32_t vni;   /* 1 .. 2^24 - 1 */
	rte_be32_t ip;  /* the VTEP's tunnel address */
};

/* Port keys are index + 1; a bridge's flood to a host is FLOOD_BASE + bridge index. */
#define TOPO_TUNNEL_KEY_FLOOD_BASE 0x8000u
#define TOPO_TUNNEL_KEYS 0x10000u

struct topo_overlay {
	uint32_t n_hosts;
	uint32_t n_zones;
	uint32_t n_vteps;
	struct topo_host *hosts;
	struct topo_tunnel_zone *zones;
	struct topo_vtep_binding *vteps;
	uint32_t local_host; /* this daemon's host, TOPO_NO_INDEX when the document has no hosts */
	uint32_t local_zone; /* its gre or vxlan zone, TOPO_NO_INDEX if none */
};

struct topology {
	uint64_t version;
	uint32_t n_ports;
	uint32_t n_bridges;
	uint32_t n_routers;
	uint32_t n_routes;     /* over all routers */
	struct topo_port *ports;
	struct topo_bridge *bridges;
	struct topo_router *routers;
	uint32_t n_chains;
	uint32_t n_port_groups;
	struct topo_chain *chains;
	struct topo_port_group *port_groups;
	/* The virtual port bound to each local DPDK port, TOPO_NO_INDEX if none. */
	uint32_t vport_of_dpdk[RTE_MAX_ETHPORTS];
	struct topo_overlay overlay;
};

void topology_free(struct topology *t);

static inline const struct topo_port *
topology_port_of_dpdk(const struct topology *t, uint16_t dpdk_port)
{
	uint32_t i = dpdk_port < RTE_MAX_ETHPORTS ? t->vport_of_dpdk[dpdk_port] : TOPO_NO_INDEX;

	return i == TOPO_NO_INDEX ? NULL : &t->ports[i];
}

/* Is ip (network order) inside prefix/len (prefix masked, network order)? */
static inline bool
ipv4_in_prefix(rte_be32_t ip, rte_be32_t prefix, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (rte_be_to_cpu_32(ip) & mask) == rte_be_to_cpu_32(prefix);
}

/* Is addr inside prefix/len (prefix masked)? */
static inline bool
ipv6_in_prefix(const uint8_t *addr, const uint8_t *prefix, uint8_t len)
{
	unsigned int full = len / 8, rest = len % 8;

	if (memcmp(addr, prefix, full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ prefix[full]) & (0xff00 >> rest)) == 0;
}

static inline bool
ipv6_is_zero(const uint8_t *addr)
{
	static const uint8_t zero[IPV6_ADDR_LEN];

	return memcmp(addr, zero, IPV6_ADDR_LEN) == 0;
}

/* fe80::/10 (RFC 4291 2.5.6). */
static inline bool
ipv6_is_link_local(const uint8_t *addr)
{
	return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

/* ff00::/8 (RFC 4291 2.7). */
static inline bool
ipv6_is_multicast(const uint8_t *addr)
{
	return addr[0] == 0xff;
}

/* The key that names port p in a tunnel header (VXLAN VNI, GRE key). */
static inline uint32_t
topo_port_tunnel_key(const struct topo_port *p)
{
	return p->index + 1;
}

/* The key of a bridge's flood towards one host: that host's ports of the bridge. */
static inline uint32_t
topo_bridge_flood_key(uint32_t bridge)
{
	return TOPO_TUNNEL_KEY_FLOOD_BASE + bridge;
}

/* Does a frame sent out of exterior port p leave somewhere (here, or through a tunnel)? */
static inline bool
topo_port_is_bound(const struct topo_port *p)
{
	return p->dpdk_port != TOPO_NO_DPDK_PORT || p->remote || p->vtep;
}

/*
 * A local binding whose interface this host does not have (yet): the port
 * names it, but no DPDK port stands behind it.  It takes effect when a port
 * of that name is added, and waits again when the port is removed.
 */
static inline bool
topo_port_is_waiting(const struct topo_port *p)
{
	return p->interface[0] != '\0' && p->dpdk_port == TOPO_NO_DPDK_PORT && !p->remote &&
	       !p->vtep;
}

/* Does bridge port p carry VLAN vlan (0: untagged, in a VLAN-aware bridge)? */
static inline bool
topo_port_in_vlan(const struct topo_port *p, uint16_t vlan)
{
	switch (p->vlan_mode) {
	case TOPO_VLAN_ACCESS:
		return p->vlan == vlan;
	case TOPO_VLAN_TRUNK:
		return vlan != 0 && (p->trunk_vlans == NULL ||
				     (p->trunk_vlans[vlan / 64] >> (vlan % 64) & 1) != 0);
	default:
		return vlan == 0;
	}
}

/* The VLAN id a frame of VLAN vlan carries on the wire out of bridge port p, 0 for none. */
static inline uint16_t
topo_port_wire_vid(const struct topo_port *p, uint16_t vlan)
{
	switch (p->vlan_mode) {
	case TOPO_VLAN_TRUNK:
		return vlan;
	case TOPO_VLAN_PROVIDER:
		return p->vlan;
	default:
		return 0;
	}
}

/*
 * The provider port of the uplink that in (a provider port) stands for which
 * takes a frame with this outer TCI (0: untagged): the flat network's for an
 * untagged frame, the vlan network's of that segmentation id; NULL if none.
 */
const struct topo_port *topology_provider_port(const struct topology *t,
					       const struct topo_port *in, uint16_t outer_tci);

static inline bool
topo_port_group_has(const struct topo_port_group *g, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < g->n_ports; i++)
		if (g->ports[i] == port)
			return true;
	return false;
}

#endif
