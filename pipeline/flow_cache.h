/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact-match flow cache: flow_key -> struct flow.
 *
 * Thread-safety
 * -------------
 * Readers are the worker lcores: flow_cache_lookup_burst() is lock-free
 * (rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) and may run at any
 * time.  A worker that found a flow may use it until its next quiescent-state
 * report to the cache's QSBR variable.
 *
 * There is exactly one writer: the simulation thread.  Every function below
 * that is not a lookup or a stats read (insert, remove, invalidate, expire,
 * flush, iterate) must be called from that thread only.  This is what lets the
 * tag index and the eviction clock live without locks.
 *
 * A removed flow is unlinked from the hash at once (new lookups miss) but its
 * memory returns to the pool only after every worker has reported a quiescent
 * state (rte_hash_rcu_qsbr_add, defer-queue mode).
 *
 * Counters
 * --------
 * The cache's own counters (installed, evicted, expired, invalidated, full)
 * are written by the writer thread only.  Hits and misses are counted by the
 * workers in their per-lcore stats: hits + misses = lookups.
 */
#ifndef KAIRO_FLOW_CACHE_H
#define KAIRO_FLOW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

#include "flow_action.h"
#include "flow_key.h"

/* Flows keep per-worker counter slots so that no two lcores write one line. */
#define KAIRO_MAX_WORKERS 8
/* Tags a flow can carry: the devices, ports and learned entries it depends on. */
#define FLOW_TAGS_MAX 6
/* Entries sampled to pick an eviction victim when the cache is full (Redis-style approximate LRU). */
#define FLOW_CACHE_EVICT_SAMPLES 8

struct flow;

/* Why a flow left the cache; passed to the removal callback. */
enum flow_remove_reason {
	FLOW_REMOVED_INVALIDATED, /* a tag it carries was invalidated */
	FLOW_REMOVED_IDLE,        /* idle timeout */
	FLOW_REMOVED_HARD,        /* hard timeout */
	FLOW_REMOVED_EVICTED,     /* pushed out by a new flow while the cache was full */
	FLOW_REMOVED_FLUSHED,     /* flow_cache_flush */
};

struct flow_tag_link {
	uint64_t tag;
	struct flow *flow;
	struct flow_tag_link *next; /* other flows with the same tag */
	struct flow_tag_link **pprev;
};

/* Per-worker counters of one flow; only that worker writes its slot. */
struct flow_stats {
	uint64_t packets;
	uint64_t bytes;
};

struct flow {
	/*
	 * The first cache line is all a hit on worker 0 touches: when it was
	 * last used, that worker's counters, the action count and the first
	 * actions (a unicast flow has one).  At 128 K flows, every extra line a
	 * hit reads is a cache miss per packet.
	 */
	uint64_t last_used_tsc; /* coarse: refreshed at most every FLOW_USED_GRANULARITY */
	struct flow_stats stats0; /* worker 0's counters; see flow_stats_slot() */
	struct flow_actions actions; /* immutable once installed */
	/* Counters of workers 1.., one slot each, so no two lcores write one slot. */
	struct flow_stats stats_more[KAIRO_MAX_WORKERS - 1];
	/* Owned by the writer thread. */
	struct flow_key key;
	uint32_t hash;
	uint8_t n_tags;
	uint64_t created_tsc;
	uint64_t idle_timeout_tsc; /* 0: none */
	uint64_t hard_timeout_tsc; /* 0: none */
	uint64_t owner_cookie;     /* the simulation's own reference, passed back on removal */
	struct flow_tag_link tags[FLOW_TAGS_MAX];
} __rte_cache_aligned;

struct flow_cache_config {
	uint32_t capacity;        /* flows installed at most (the table also has room for removed
				   * flows that wait for the workers' quiescent states) */
	uint32_t idle_timeout_ms; /* default idle timeout of a flow, 0 = none */
	uint32_t hard_timeout_ms; /* default hard timeout, 0 = none */
	uint32_t n_workers;       /* QSBR threads: one per worker lcore */
	int socket_id;
};

struct flow_cache_counters {
	uint64_t installed;
	uint64_t evicted;
	uint64_t expired;      /* idle + hard timeouts */
	uint64_t invalidated;  /* removed by a tag */
	uint64_t flushed;
	uint64_t not_installed_full; /* full and no victim could be evicted */
};

typedef void (*flow_removed_cb)(void *arg, const struct flow *flow, enum flow_remove_reason why);

struct flow_cache;

struct flow_cache *flow_cache_create(const char *name, const struct flow_cache_config *cfg);
void flow_cache_destroy(struct flow_cache *fc);

/* The QSBR variable workers report quiescent states to (thread id = worker index). */
struct rte_rcu_qsbr *flow_cache_qsbr(struct flow_cache *fc);

/* Called on every removal, on the writer thread, before the flow is queued for reclamation. */
void flow_cache_set_removed_cb(struct flow_cache *fc, flow_removed_cb cb, void *arg);

#define FLOW_KEY_HASH_SEED_A 0x6b616972u
#define FLOW_KEY_HASH_SEED_B 0x6f666c77u

/*
 * The signature the cache files a key under; workers compute it once per
 * packet.  Two CRC32 chains over the two halves of the key run side by side
 * (each crc32 instruction waits on the previous one of its own chain only),
 * then fold: about half the latency of one chain over 80 bytes.
 */
static inline uint32_t
flow_key_hash(const struct flow_key *key)
{
	const uint64_t *w = (const uint64_t *)key;
	uint32_t a = FLOW_KEY_HASH_SEED_A, b = FLOW_KEY_HASH_SEED_B;

	static_assert(sizeof(*key) == 10 * sizeof(uint64_t), "two lanes of five words");
	a = rte_hash_crc_8byte(w[0], a);
	b = rte_hash_crc_8byte(w[5], b);
	a = rte_hash_crc_8byte(w[1], a);
	b = rte_hash_crc_8byte(w[6], b);
	a = rte_hash_crc_8byte(w[2], a);
	b = rte_hash_crc_8byte(w[7], b);
	a = rte_hash_crc_8byte(w[3], a);
	b = rte_hash_crc_8byte(w[8], b);
	a = rte_hash_crc_8byte(w[4], a);
	b = rte_hash_crc_8byte(w[9], b);
	return rte_hash_crc_4byte(b, a);
}

/*
 * Look up n keys (n <= RTE_HASH_LOOKUP_BULK_MAX) with their precomputed
 * hashes.  flows[i] is set for hits; bit i of the returned mask says hit.
 * Worker lcores only.
 */
uint64_t flow_cache_lookup_burst(const struct flow_cache *fc, const struct flow_key **keys,
				 const uint32_t *hashes, uint32_t n, struct flow **flows);

/* One key; writer or tests. Returns the flow or NULL. */
struct flow *flow_cache_lookup(const struct flow_cache *fc, const struct flow_key *key, uint32_t hash);

/*
 * Install a flow (writer thread).  Tags are copied (at most FLOW_TAGS_MAX).
 * When the cache is full, the least recently used of FLOW_CACHE_EVICT_SAMPLES
 * sampled flows is evicted first.
 * Returns the flow, or NULL with rte_errno = EEXIST (already installed),
 * ENOSPC (full and nothing evictable, or every spare slot still holds a
 * removed flow that a worker may read until its next quiescent state) or
 * ENOBUFS (no flow memory).
 */
struct flow *flow_cache_insert(struct flow_cache *fc, const struct flow_key *key, uint32_t hash,
			       const struct flow_actions *actions, const uint64_t *tags,
			       unsigned int n_tags, uint64_t owner_cookie);

/* Remove one flow (writer thread). */
void flow_cache_remove(struct flow_cache *fc, struct flow *flow, enum flow_remove_reason why);

/* Remove every flow that carries tag; returns how many. */
unsigned int flow_cache_invalidate_tag(struct flow_cache *fc, uint64_t tag);

/*
 * Visit up to budget entries of the table, continuing where the last call
 * stopped, and remove the flows whose idle or hard timeout passed.  Bounded
 * work per call so the writer thread never stalls on a big table.
 * Returns the number of flows removed.
 */
unsigned int flow_cache_expire(struct flow_cache *fc, uint64_t now_tsc, unsigned int budget);

unsigned int flow_cache_flush(struct flow_cache *fc);

/* Flows installed now. Any thread. */
uint32_t flow_cache_count(const struct flow_cache *fc);
uint32_t flow_cache_capacity(const struct flow_cache *fc);
void flow_cache_counters_read(const struct flow_cache *fc, struct flow_cache_counters *out);

/* Iterate installed flows (writer thread, or any thread while workers and writer are stopped). */
int flow_cache_iterate(const struct flow_cache *fc, uint32_t *next, const struct flow **flow);

static_assert(offsetof(struct flow, actions.a[4]) <= RTE_CACHE_LINE_SIZE,
	      "a hit's counters and first actions share the flow's first cache line");

/* The counters one worker writes on a hit. */
static inline struct flow_stats *
flow_stats_slot(struct flow *f, unsigned int worker)
{
	return worker == 0 ? &f->stats0 : &f->stats_more[worker - 1];
}

/* Sum of a flow's per-worker counters. */
void flow_stats_sum(const struct flow *flow, struct flow_stats *sum);

#endif
