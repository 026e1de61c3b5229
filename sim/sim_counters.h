/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every counter of the simulation, declared once.  struct sim_stats (sim.h)
 * is expanded from this list, and so are the datapath view's "slow_path"
 * object, the text view rendered from that object, and the telemetry
 * flattened from it: a counter added here is counted and shown everywhere,
 * and no view can show a counter that is not in it.
 *
 * The lists are X-macros, as in drop_reason.h.
 *
 * KAIRO_SIM_TOPICS(X): X(sym, title), the parts of the slow path's view,
 * in the order the views show them.  Each is one line of the text view,
 * titled title.  NONE comes first and is not shown.
 *
 * KAIRO_SIM_COUNTERS(X): X(field, topic, label, help)
 *   field  the uint64_t member of struct sim_stats, and the key the JSON
 *          views and telemetry show it under (tests and kairoctl read
 *          these keys: renaming one breaks them)
 *   topic  the SIM_TOPIC_ it is shown under.  NONE: counted, not shown;
 *          giving it a topic adds its key to the JSON views and telemetry
 *   label  its name on that topic's line of the text view
 *   help   what it counts
 * Within a topic the views keep this list's order.
 */
#ifndef KAIRO_SIM_COUNTERS_H
#define KAIRO_SIM_COUNTERS_H

#include <stddef.h>

#define KAIRO_SIM_TOPICS(X)                                                                      \
	X(NONE, NULL)                                                                            \
	X(UPCALLS, "slow path")                                                                  \
	X(MAC, "mac table")                                                                      \
	X(ARP, "arp table")                                                                      \
	X(ND, "ipv6 neighbours")                                                                 \
	X(CT, "conntrack")                                                                       \
	X(CHAINS, "rule chains")                                                                 \
	X(NAT, "nat")                                                                            \
	X(INSTALL, "flow installs")                                                              \
	X(TOPOLOGY, "topology")

enum sim_topic {
#define KAIRO_SIM_TOPIC_ENUM(sym, title) SIM_TOPIC_##sym,
	KAIRO_SIM_TOPICS(KAIRO_SIM_TOPIC_ENUM)
#undef KAIRO_SIM_TOPIC_ENUM
	SIM_TOPIC_COUNT
};

#define KAIRO_SIM_COUNTERS(X)                                                                    \
	/* misses from the workers, and what became of them */                                   \
	X(upcalls, UPCALLS, "upcalls", "packets received from workers")                          \
	X(simulated, UPCALLS, "simulated", "keys walked through the topology")                   \
	X(queued_behind, UPCALLS, "queued-behind", "packets that reused a result of the same "   \
	  "burst")                                                                               \
	X(reused_flow, UPCALLS, "reused", "packets whose key had been installed meanwhile")      \
	X(injected, UPCALLS, "injected", "packets handed to workers to send")                    \
	/* bridges' MAC learning */                                                              \
	X(mac_learned, MAC, "learned", "MAC addresses learned on a bridge port")                 \
	X(mac_moved, MAC, "moved", "learned MAC addresses seen again on another port")           \
	X(mac_aged, MAC, "aged", "MAC entries forgotten after the bridge's aging time")          \
	X(mac_table_full, NONE, "table-full", "MAC addresses not learned: table full")           \
	/* routers' ARP, for IPv4 next hops */                                                   \
	X(arp_requests, ARP, "requests", "ARP requests sent for next hops")                      \
	X(arp_replies, ARP, "replies", "ARP replies sent for router addresses")                  \
	X(arp_resolved, ARP, "resolved", "next hops resolved")                                   \
	X(arp_expired, ARP, "expired", "resolved next hops forgotten after their time")          \
	X(requeued, ARP, "requeued", "packets simulated again after their next hop resolved")    \
	X(icmp_sent, ARP, "icmp sent", "ICMP echo replies and errors sent")                      \
	/* routers' neighbour discovery, for IPv6 next hops */                                   \
	X(nd_solicits, ND, "solicits", "neighbour solicitations sent for IPv6 next hops")        \
	X(nd_adverts, ND, "adverts", "neighbour advertisements sent for router addresses")       \
	X(nd_resolved, ND, "resolved", "IPv6 next hops resolved")                                \
	X(nd_expired, ND, "expired", "resolved IPv6 next hops forgotten after their time")       \
	X(icmp6_sent, ND, "icmp6 sent", "ICMPv6 echo replies and errors sent")                   \
	/* connection tracking */                                                                \
	X(ct_created, CT, "created", "connections recorded")                                     \
	X(ct_expired, CT, "expired", "connections forgotten after their idle time")              \
	X(ct_table_full, CT, "table-full", "new connections not recorded: table full")           \
	/* rule chains */                                                                        \
	X(chains_run, CHAINS, "chains run", "rule chains evaluated (jumps included)")            \
	X(rules_run, CHAINS, "rules run", "rules whose conditions were read")                    \
	X(rejects_sent, CHAINS, "rejects sent", "ICMP unreachable and TCP RST answers to "       \
	  "reject rules")                                                                        \
	/* NAT */                                                                                \
	X(nat_created, NAT, "created", "NAT bindings made by snat / dnat rules")                 \
	X(nat_static, NAT, "static", "static (floating IP) rewrites")                            \
	X(nat_reversed, NAT, "reversed", "answers turned back by rev_snat / rev_dnat")           \
	X(nat_icmp_errors, NAT, "icmp errors", "ICMP errors whose quoted packet was translated " \
	  "too")                                                                                 \
	X(nat_frag_kept, NAT, "fragmented", "fragmented datagrams whose header fragment met a "  \
	  "stateful NAT rule: remembered for their later fragments")                             \
	X(nat_frag_followed, NAT, "later fragments", "later fragments walked with their header " \
	  "fragment's ports")                                                                    \
	X(nat_frag_expired, NAT, "fragments expired", "fragmented datagrams forgotten "         \
	  "incomplete, NAT_FRAG_TIMEOUT_S after their header")                                   \
	/* flows the simulation installed; flow_cache/installed shows the successes */           \
	X(installed, NONE, "installed", "flows installed in the cache")                          \
	X(install_failed, INSTALL, "failed", "cacheable results the flow cache did not take")    \
	/* flows removed by tag: a MAC moved or aged, a neighbour expired, the topology changed */ \
	X(invalidations, NONE, "invalidations", "tag invalidations run")                         \
	/* the topology snapshot: the first and last two are gauges, not counts */               \
	X(topo_version, TOPOLOGY, "version", "version of the snapshot in use")                   \
	X(topo_changes, TOPOLOGY, "changes", "new snapshots taken in")                           \
	X(topo_last_invalidated, TOPOLOGY, "last-invalidated", "flows the last change removed")  \
	X(topo_last_change_us, TOPOLOGY, "last-change-us", "from taking the last snapshot to "   \
	  "its last stale flow gone, in microseconds")

/* How many counters the list holds: each X line adds one. */
#define KAIRO_SIM_COUNTER_ONE(field, topic, label, help) +1
enum { SIM_COUNTER_COUNT = 0 KAIRO_SIM_COUNTERS(KAIRO_SIM_COUNTER_ONE) };
#undef KAIRO_SIM_COUNTER_ONE

/* One line of the list, as data for code that walks it (the views). */
struct sim_counter {
	const char *name;     /* the field's name: its JSON key */
	const char *label;    /* on its topic's line of the text view */
	const char *help;
	enum sim_topic topic;
	size_t offset;        /* of its uint64_t in struct sim_stats */
};

/* The list, in its order. */
extern const struct sim_counter sim_counters[SIM_COUNTER_COUNT];

/* A topic's title on its line of the text view ("mac table"); NULL for NONE or out of range. */
const char *sim_topic_title(unsigned int topic);
/* The counter whose field is name, or NULL. */
const struct sim_counter *sim_counter_find(const char *name);

#endif
