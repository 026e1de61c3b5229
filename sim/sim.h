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
#include "mac_table.h"
#include "topology.h"
#include "upcall.h"

#define SIM_BURST 32
/* Packets of one key that may wait behind its first packet's simulation. */
#define SIM_MAX_QUEUED_PER_KEY 32
/* Housekeeping (expiry, aging) runs this often, in bounded steps. */
#define SIM_HOUSEKEEPING_US 10000
#define SIM_EXPIRE_BUDGET 4096
#define SIM_AGE_BUDGET 4096
#define SIM_IDLE_SLEEP_US 50

/* What simulating one packet decided. */
struct sim_result {
	struct flow_actions actions;
	uint64_t tags[FLOW_TAGS_MAX];
	unsigned int n_tags;
	uint32_t mac_entry; /* MAC entry this flow learned (kept alive by it), or MAC_NO_ENTRY */
	bool cacheable;
};

struct sim_stats {
	uint64_t upcalls;       /* packets received from workers */
	uint64_t simulated;     /* keys walked through the topology */
	uint64_t queued_behind; /* packets that reused a result of the same burst */
	uint64_t reused_flow;   /* packets whose key had been installed meanwhile */
	uint64_t installed;
	uint64_t install_failed;
	uint64_t injected;      /* packets handed to workers to send */
	uint64_t mac_learned;
	uint64_t mac_moved;
	uint64_t mac_aged;
	uint64_t mac_table_full;
	uint64_t invalidations; /* tag invalidations run */
	uint64_t drops[DROP_REASON_COUNT];
};

struct sim_thread {
	unsigned int index;
	struct upcall_channel *upcall;
	struct flow_cache *cache;
	struct mac_table *macs;
	struct rte_mempool *pool;
	const struct topology *topo;
	pthread_t thread;
	bool quit;
	/* Set by another thread; the simulation answers it between bursts (it alone may walk the cache). */
	FILE *dump_request;
	void (*dump_fn)(void *arg, FILE *out);
	void *dump_arg;
	struct sim_stats stats;
};

/* Simulate one packet (simulation thread).  res is filled whatever happens. */
void sim_bridge_packet(struct sim_thread *st, const struct pkt_meta *meta, uint64_t now,
		       struct sim_result *res);

int sim_thread_start(struct sim_thread *st);
void sim_thread_stop(struct sim_thread *st);
/* Process whatever is queued now (also used by tests without a thread). Returns packets handled. */
unsigned int sim_thread_poll(struct sim_thread *st);
/* Ask the thread to run dump_fn(out) and wait until it did. */
void sim_thread_request_dump(struct sim_thread *st, FILE *out);
void sim_stats_read(const struct sim_thread *st, struct sim_stats *out);
/* Flow removal callback to register with the cache (arg = the sim_thread). */
void sim_flow_removed(void *arg, const struct flow *flow, enum flow_remove_reason why);

#endif
