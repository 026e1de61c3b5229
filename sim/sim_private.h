/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A simulation thread's own state, for sim/ only: other floors hold a
 * struct sim_thread * and use the calls of sim/sim.h.
 *
 * Thread-safety: everything here is the simulation thread's once it runs
 * (sim_thread_start), except what is marked otherwise.  Before it runs, or
 * after it stopped, the caller of sim_thread_poll stands in for it.
 */
#ifndef KAIRO_SIM_PRIVATE_H
#define KAIRO_SIM_PRIVATE_H

#include "sim.h"

struct sim_thread {
	unsigned int index;
	struct upcall_channel *upcall;
	struct flow_cache *cache;
	struct mac_table *macs;
	struct arp_table *arps;
	struct overlay *overlay;    /* tunnels to other hosts (sim/overlay.h); NULL: no underlay */
	struct conntrack *ct;       /* NULL: no connection tracking (return-flow never matches) */
	struct sim_shared *shared;  /* NULL: no state store (sim/shared_state.h) */
	struct waiting_room *waiting; /* packets waiting on an answer (sim/waiting_room.h) */
	struct nat_frag_table *frags; /* datagrams fragmented through NAT rules (sim/nat_frag.h) */
	struct parse_config parse; /* to read the packets the simulation makes */
	struct rte_mempool *pool;
	uint64_t next_arp_hk;
	struct topology *topo;       /* current snapshot; owned by this thread once running */
	struct topology *next_topo;  /* set by the control thread; taken between bursts */
	pthread_t thread;
	bool quit;
	/* Passes of the thread's loop (its only writer; relaxed): the service watchdog's heartbeat. */
	uint64_t heartbeat;
	/*
	 * Work another thread hands in (sim_thread_call): run between bursts,
	 * because only this thread may walk the cache or touch the tracers.
	 */
	pthread_mutex_t call_lock;   /* one caller at a time */
	struct sim_call *call;
	bool running;
	void (*dump_fn)(void *arg, FILE *out);
	void *dump_arg;
	struct trace_state trace;
	struct sim_stats stats;
	struct flow_setup_latency setup; /* written here only, read relaxed */
	uint64_t tsc_hz;
	struct meter_registry meters; /* this thread's only (sim/meter.h) */
	/* Flow explain (flow_explain.h): flows a change removed, and the version changing to. */
	struct flow_removed_memory *removed;
	uint64_t changing_to; /* 0: no topology change going on */
};

struct sim_call {
	void (*fn)(struct sim_thread *st, void *arg);
	void *arg;
	bool done;
};

#endif
