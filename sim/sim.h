/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The slow path: a simulation thread takes misses from its upcall ring,
 * walks the virtual topology for each new key, installs the flow and sends
 * the packets back through a worker (pipeline/upcall.h has the contract).
 */
#ifndef KAIRO_SIM_H
#define KAIRO_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>

#include "drop_reason.h"
#include "flow_action.h"
#include "flow_cache.h"
#include "flow_explain.h"
#include "arp_table.h"
#include "conntrack.h"
#include "mac_table.h"
#include "meter.h"
#include "packet_parse.h"
#include "sim_counters.h"
#include "state_sync.h"
#include "topology.h"
#include "trace.h"
#include "upcall.h"

#define SIM_BURST 32
/* Packets of one key that may wait behind its first packet's simulation. */
#define SIM_MAX_QUEUED_PER_KEY 32
static_assert(UPCALL_MAX_FOLLOWERS + 1 <= SIM_MAX_QUEUED_PER_KEY,
	      "a lead and the packets that follow it without tokens fit one group (upcall.h)");
/* Housekeeping (expiry, aging) runs this often, in bounded steps. */
#define SIM_HOUSEKEEPING_US 10000
#define SIM_EXPIRE_BUDGET 4096
#define SIM_AGE_BUDGET 4096
#define SIM_IDLE_SLEEP_US 50

/*
 * Flow set-up latency: from the worker's pass that received a packet whose
 * key missed the cache (meta->upcall_tsc) to its flow being in the cache,
 * waits for next hops and for the state store included, as MidoNet's
 * "simulation latency" histogram counts.  Upper bounds of the buckets, in
 * microseconds; a last bucket takes what is slower than every bound.  The
 * bounds are Prometheus's le labels (control/metrics.c): change them and
 * the series' names change.
 */
#define FLOW_SETUP_BOUNDS_US 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000
#define FLOW_SETUP_BUCKETS 13

struct flow_setup_latency {
	/* Per bucket, not cumulative; the last: slower.  Their sum is the count. */
	uint64_t bucket[FLOW_SETUP_BUCKETS + 1];
	uint64_t sum_ns;
};

extern const uint32_t flow_setup_bounds_us[FLOW_SETUP_BUCKETS];

/* What simulating one packet decided. */
struct sim_result {
	struct flow_actions actions;
	struct explain_record explain; /* how the walk decided, kept in its flow (flow_explain.h) */
	uint64_t tags[FLOW_TAGS_MAX];
	unsigned int n_tags;
	uint32_t mac_entry; /* MAC entry this flow learned (kept alive by it), or MAC_NO_ENTRY */
	/* Connection and NAT entries this flow depends on (kept alive by it). */
	uint32_t ct_entries[FLOW_OWNER_STATE];
	uint8_t n_ct_entries;
	/*
	 * An ICMP error whose quoted packet NAT translated: the quoted header
	 * as it must read (sim/nat.h), written into the packet before it goes.
	 */
	bool icmp_inner_nat;
	struct ct_key icmp_inner;
	bool cacheable;
	bool consumed;      /* the simulation kept the packet (waiting on ARP): do not send it */
	uint16_t drop_reason; /* why, if the walk ends with no output */
	uint16_t meters[FLOW_METERS_MAX]; /* meters the walk went through (sim/meter.h) */
	uint8_t n_meters;
	/* Shared state (sim/shared_state.h); all unused when no store is configured. */
	bool need_state;     /* the walk stopped to ask the store (ask): park, send nothing */
	bool stateful;       /* it crossed a port of a stateful port group */
	struct state_query ask;
	int16_t ask_lease_set; /* ask is a lease for this set, or -1 */
	uint8_t n_created;   /* entries it created, to write behind */
	uint32_t created[FLOW_OWNER_STATE];
	/*
	 * A MAC it learned (new or moved) on a bridge that spans hosts: written
	 * behind with the entries, and the packet waits until it is stored.
	 */
	bool mac_shared;
	uint32_t mac_bridge, mac_port;
	struct rte_ether_addr mac;
};

struct sim_stats {
	/* One uint64_t per counter of sim_counters.h, in its order. */
#define KAIRO_SIM_STATS_FIELD(field, topic, label, help) uint64_t field;
	KAIRO_SIM_COUNTERS(KAIRO_SIM_STATS_FIELD)
#undef KAIRO_SIM_STATS_FIELD
	uint64_t drops[DROP_REASON_COUNT];
};

/* What a packet in the waiting room waits for (sim/waiting_room.h). */
enum wait_kind {
	WAIT_NEIGHBOUR,          /* a router's next hop (ARP, neighbour discovery) */
	WAIT_UNDERLAY_NEIGHBOUR, /* a tunnel peer's underlay next hop */
	WAIT_SHARED_STATE,       /* the state store's answer, or its acknowledgement of a write */
	WAIT_NAT_FRAGMENT,       /* a later fragment's header fragment, at a NAT rule (nat_frag.h) */
	WAIT_KIND_COUNT,
};
extern const char *const wait_kind_names[WAIT_KIND_COUNT];

/* The waiting room's counters, by kind (the room's only; read with sim_waiting_stats_read). */
struct waiting_room_stats {
	uint64_t parked[WAIT_KIND_COUNT];    /* packets that waited */
	uint64_t resumed[WAIT_KIND_COUNT];   /* packets walked again after an answer */
	uint64_t timed_out[WAIT_KIND_COUNT]; /* packets given up on at their deadline */
	uint64_t refused[WAIT_KIND_COUNT];   /* packets not parked: the room was full */
	uint64_t waiting[WAIT_KIND_COUNT];   /* packets waiting now */
};

/* A simulation thread: its state is its own (sim/sim_private.h); reach it through these calls. */
struct sim_thread;

/*
 * What a simulation thread works with.  The tables are shared with the
 * daemon (the workers read the flow cache; views read the counters); the
 * thread is their only writer once it runs.
 */
struct sim_config {
	unsigned int index;              /* which of the upcall channel's to_sim rings it takes */
	struct upcall_channel *upcall;
	struct flow_cache *cache;        /* the thread becomes its removal callback */
	struct mac_table *macs;
	struct arp_table *arps;
	struct conntrack *ct;            /* NULL: no connection tracking */
	struct rte_mempool *pool;        /* for the packets it makes */
	uint16_t vxlan_udp_port;         /* to parse the packets it makes */
	/* The first snapshot: the thread owns it from here on (it replaces and frees it). */
	struct topology *topo;
	/* Tunnels to other hosts (sim/overlay.h), borrowed; NULL: no underlay. */
	struct overlay *overlay;
	/* Shared state (sim/shared_state.h), owned from here on; NULL: no state store. */
	struct sim_shared *shared;
	/* What sim_thread_request_dump runs, on the thread. */
	void (*dump_fn)(void *arg, FILE *out);
	void *dump_arg;
};

/*
 * A simulation thread for cfg, not yet running: sim_thread_poll serves it
 * from the caller's thread (tests, benchmarks), sim_thread_start gives it a
 * thread of its own.  NULL with rte_errno set (ENOMEM, EINVAL) on failure;
 * then cfg's topology and shared state are the caller's again.
 */
struct sim_thread *sim_thread_create(const struct sim_config *cfg);
/* Free a stopped (or never started) thread and what it owns. */
void sim_thread_destroy(struct sim_thread *st);

/*
 * Simulate one packet (simulation thread): walk the topology from the port it
 * came in on.  res is filled whatever happens; packets the walk makes (ARP,
 * ICMP) are sent before it returns.  m may be kept (res->consumed).
 */
void sim_packet(struct sim_thread *st, struct rte_mbuf *m, uint64_t now, struct sim_result *res);

/*
 * Replace old by new: invalidate the flows tagged with what changed (or
 * everything, when indexes moved: *flushed).  Returns the flows removed.
 */
unsigned int sim_topology_changed(struct sim_thread *st, const struct topology *old,
				  const struct topology *new, bool *flushed);
/* Hand a new snapshot to the thread (control thread); it takes ownership. */
void sim_thread_set_topology(struct sim_thread *st, struct topology *t);

/* ARP and neighbour solicitation retries and expiry (simulation thread, from housekeeping). */
void sim_arp_housekeeping(struct sim_thread *st, uint64_t now);

int sim_thread_start(struct sim_thread *st);
void sim_thread_stop(struct sim_thread *st);
/* Process whatever is queued now (also used by tests without a thread). Returns packets handled. */
unsigned int sim_thread_poll(struct sim_thread *st);
/*
 * Run fn(st, arg) on the simulation thread, between bursts, and wait until
 * it ran (control threads; directly when the thread is not running).
 */
void sim_thread_call(struct sim_thread *st, void (*fn)(struct sim_thread *st, void *arg), void *arg);
/*
 * Wait until the thread runs a snapshot of at least this version, its flows
 * invalidated (control threads), or timeout_ms passed; at once when the
 * thread is not running.  0 or -ETIMEDOUT.
 */
int sim_thread_wait_topology(const struct sim_thread *st, uint64_t version,
			     unsigned int timeout_ms);
/* Ask the thread to run dump_fn(out) and wait until it did. */
void sim_thread_request_dump(struct sim_thread *st, FILE *out);
/*
 * Start tracing what spec matches (simulation thread): the cached flows it
 * matches are removed so its packets come to the simulation.  Returns the
 * tracer id or a negative errno (trace_add).
 */
int sim_trace_add(struct sim_thread *st, const struct trace_spec *spec);
void sim_stats_read(const struct sim_thread *st, struct sim_stats *out);
/* The flow set-up latency histogram so far (any thread; each word read relaxed). */
void sim_flow_setup_read(const struct sim_thread *st, struct flow_setup_latency *out);

/*
 * What the thread works on, for calls made on it (sim_thread_call) or while
 * it does not run: the tracers, the meters, the snapshot in use.
 */
struct trace_state *sim_thread_trace(struct sim_thread *st);
struct meter_registry *sim_thread_meters(struct sim_thread *st);
struct flow_cache *sim_thread_cache(struct sim_thread *st);
const struct topology *sim_thread_topology(const struct sim_thread *st);
/*
 * Passes of the thread's loop so far (any thread): one that stops growing
 * while the thread runs is a stuck slow path (dataplane/service_notify.c).
 */
uint64_t sim_thread_heartbeat(const struct sim_thread *st);
/* The waiting room's counters (any thread). */
void sim_waiting_stats_read(const struct sim_thread *st, struct waiting_room_stats *out);
/* Its shared-state side, for the counters (any thread); NULL without a store. */
const struct sim_shared *sim_thread_shared(const struct sim_thread *st);
/* Flow removal callback to register with the cache (arg = the sim_thread). */
void sim_flow_removed(void *arg, const struct flow *flow, enum flow_remove_reason why);

#endif
