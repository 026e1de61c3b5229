/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A worker lcore: it polls its RX queues, parses, looks up the flow cache in
 * bursts, runs cached actions and transmits; misses go to the simulation
 * through the upcall channel (pipeline/upcall.h).
 *
 * Thread-safety: a struct worker is written only by its own lcore once
 * worker_main() runs, apart from the two control flags and its poll list
 * pointer (below).  The counters in
 * struct worker_stats are read by other threads with relaxed loads; on the
 * 64-bit targets DPDK supports an aligned 64-bit load is never torn, so
 * readers see a recent value without the worker paying for atomics.
 */
#ifndef KAIRO_WORKER_H
#define KAIRO_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "drop_reason.h"
#include "flow_cache.h"
#include "packet_parse.h"
#include "upcall.h"

#define WORKER_RX_BURST 32
#define WORKER_TX_BURST 32
#define WORKER_MAX_RXQ 16
/* worker.tx_pending has a bit per port. */
static_assert(RTE_MAX_ETHPORTS <= 64, "one bit per port in a 64-bit mask");
/* Packets ahead whose headers are prefetched while the current one is parsed. */
#define WORKER_PREFETCH_OFFSET 4
/* Empty passes before the worker starts sleeping, and the sleep bounds. */
#define WORKER_IDLE_PASSES_BEFORE_SLEEP 128
#define WORKER_SLEEP_MIN_US 1
/* A flow's last-used time is rewritten at most this often, to keep its line clean (STYLE avoid 2). */
#define FLOW_USED_GRANULARITY_US 1000
/* The most a frame carries around its L3 packet: the Ethernet header and two VLAN tags. */
#define RX_L2_OVERHEAD_MAX (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)

struct worker_rxq {
	uint16_t port;
	uint16_t queue;
};

/* What a worker does with one DPDK port: send on which queue, receive how large. */
struct worker_port {
	bool enabled;         /* the port exists: a packet sent to it otherwise is port_gone */
	uint16_t tx_queue;
	uint16_t rx_mtu;      /* the largest L3 packet it may receive */
	rte_spinlock_t *tx_lock; /* set only when workers share this port's TX queue */
};

/*
 * A worker's poll list: the RX queues it polls and the ports it may send to.
 *
 * Thread-safety: immutable once published.  The control side builds a new
 * list and stores its pointer into worker.poll with a release store; the
 * worker loads it (acquire) once at the top of each pass and applies a new
 * one then, between bursts, when its TX buffers are empty.  The old list may
 * be in use until the end of the worker's pass, so the control side frees it
 * only after rte_rcu_qsbr_synchronize() on the worker's QSBR (the flow
 * cache's, worker.qsbr): by then every worker reported a quiescent state
 * after the store, and a worker that sleeps (offline) comes back online
 * before it loads the pointer again.  The same wait is what makes a removed
 * port safe to stop: after it, no worker polls or sends on it.
 *
 * An RX queue stays with the worker it was given to until its port goes:
 * two lists in use at once never give one queue to two workers.
 */
struct worker_poll_list {
	uint16_t n_rxq;
	struct worker_rxq rxq[WORKER_MAX_RXQ];
	struct worker_port port[RTE_MAX_ETHPORTS];
};

struct worker_txq {
	uint16_t queue;
	uint16_t n;
	bool enabled;
	rte_spinlock_t *lock; /* set only when workers share this port's TX queue */
	struct rte_mbuf *pkts[WORKER_TX_BURST];
};

struct worker_stats {
	uint64_t passes;       /* loop iterations */
	uint64_t busy_passes;  /* iterations that received or sent something */
	uint64_t busy_cycles;
	uint64_t idle_cycles;  /* including time asleep */
	uint64_t rx_packets;
	uint64_t hits;         /* hits + misses = lookups (parsed packets) */
	uint64_t misses;
	uint64_t hits_to_slow_path; /* hits whose flow's check sent them up (TTL, MTU) */
	uint64_t lost;         /* misses that never reached the simulation (admission, ring full) */
	uint64_t upcalls;      /* misses handed to the simulation */
	uint64_t followers;    /* upcalls that followed their key's lead up without a token */
	uint64_t injected;     /* slow-path packets this worker transmitted for the simulation */
	uint64_t tx_packets;
	uint64_t drops[DROP_REASON_COUNT];
	uint64_t port_tx_dropped[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

struct worker_control {
	bool rx_enabled; /* cleared first at shutdown so in-flight packets can drain */
	bool quit;
	/*
	 * Test hook (`kairoctl debug stall`, only with KAIRO_TEST_HOOKS=1
	 * in kairod's environment): worker index + 1 stops making passes until
	 * set back to 0, as a stuck worker would, so that the service watchdog's
	 * reaction can be tested.  0 in every real run.
	 */
	unsigned int stall;
};

struct worker {
	unsigned int index;   /* 0..n_workers-1: QSBR thread id, flow stats slot, inject ring */
	unsigned int lcore_id;
	/* Published by the control side (release); see struct worker_poll_list. */
	const struct worker_poll_list *poll;
	const struct worker_poll_list *poll_applied; /* the list txq and rx_mtu were set from */
	uint64_t tx_pending; /* bit p: txq[p] holds packets */
	struct worker_txq txq[RTE_MAX_ETHPORTS];
	uint32_t sleep_max_us; /* the control side may change it while the worker runs (atomics) */
	uint64_t used_granularity_tsc; /* FLOW_USED_GRANULARITY_US in TSC cycles */
	struct parse_config parse;
	uint16_t underlay_port; /* tunnels arrive here (pipeline/tunnel_decap.h); UINT16_MAX: none */
	uint16_t rx_mtu[RTE_MAX_ETHPORTS]; /* per port: the largest L3 packet it may receive */
	struct flow_cache *cache;
	struct rte_rcu_qsbr *qsbr;
	struct upcall_channel *upcall;
	struct rte_mempool *pool; /* copies for flooding */
	const struct worker_control *control;
	struct upcall_leads leads; /* keys it sent up, for their followers (pipeline/upcall.h) */
	struct worker_stats stats;
};

/*
 * Publish list as w's poll list (release store); returns the list it
 * replaces, which the caller frees once rte_rcu_qsbr_synchronize() on
 * w->qsbr returned (any thread; one publisher at a time).
 */
const struct worker_poll_list *worker_poll_publish(struct worker *w,
						   const struct worker_poll_list *list);

/* rte_eal_remote_launch entry point; arg is a struct worker. */
int worker_main(void *arg);

/* Relaxed snapshot of a worker's counters, for any thread. */
void worker_stats_read(const struct worker *w, struct worker_stats *out);

#endif
