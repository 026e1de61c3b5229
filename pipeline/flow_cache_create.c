/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's set-up and tear-down, on the daemon's thread before the
 * workers start and after they stop: the two flow tables, the flow pool,
 * the defer queue, the tag index and the QSBR variable the workers report
 * to.  See flow_cache.h for the thread-safety rules.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "flow_cache.h"
#include "flow_cache_private.h"
#include "table_memsize.h"

/* Tag index: tag -> first link.  Sized relative to the flows it indexes. */
#define TAG_INDEX_PER_FLOW 2

/*
 * A removed flow keeps its hash slot and its memory until every worker has
 * passed a quiescent state.  Each table holds this many on top of the
 * capacity, so that a full cache can evict and insert in one call while the
 * workers are running, and a flush can be refilled at once.
 */
#define FLOW_DEFER_HEADROOM(capacity) ((capacity) + 1024)
/* rte_hash takes at most this many entries (RTE_HASH_ENTRIES_MAX). */
#define FLOW_TABLE_SLOTS_MAX (1u << 30)


/*
 * The tables' own hash functions, for rte_hash calls without a precomputed
 * signature; they agree with flow_key_hash.
 */
static uint32_t
flow_key_compact_hash_cb(const void *key, uint32_t len, uint32_t seed)
{
	uint64_t c[FLOW_KEY_COMPACT_WORDS];

	RTE_SET_USED(len);
	RTE_SET_USED(seed);
	memcpy(c, key, sizeof(c));
	return flow_key_compact_hash(c);
}

static uint32_t
flow_key_full_hash_cb(const void *key, uint32_t len, uint32_t seed)
{
	RTE_SET_USED(len);
	RTE_SET_USED(seed);
	return flow_key_full_hash(key);
}

/* The tag index hashes its 8-byte tags with plain CRC32. */
static uint32_t
tag_hash_cb(const void *key, uint32_t len, uint32_t seed)
{
	return rte_hash_crc(key, len, seed);
}

static uint64_t
ms_to_tsc(uint32_t ms)
{
	return (uint64_t)ms * rte_get_tsc_hz() / 1000;
}

/* One flow table: lock-free readers, extendable buckets. */
static struct rte_hash *
flow_table_create(const char *name, uint32_t key_len, rte_hash_function hash_func,
		  uint32_t slots, int socket_id)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = slots,
		.key_len = key_len,
		.hash_func = hash_func,
		.hash_func_init_val = FLOW_KEY_HASH_SEED_A,
		.socket_id = socket_id,
		/*
		 * LF: workers read while the simulation writes, without locks;
		 * a delete keeps the key slot until the cache frees it, once no
		 * worker can read it (struct flow_deferred).
		 * EXT_TABLE: a cuckoo table can refuse a key well before it is
		 * full; extendable buckets make "capacity" mean what it says.
		 * Capacity itself is enforced with n_flows: the slots past it
		 * are for removed flows awaiting reclamation.
		 */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	return rte_hash_create(&hp);
}

void
flow_cache_set_timeouts(struct flow_cache *fc, uint32_t idle_timeout_ms, uint32_t hard_timeout_ms)
{
	__atomic_store_n(&fc->idle_timeout_tsc, ms_to_tsc(idle_timeout_ms), __ATOMIC_RELAXED);
	__atomic_store_n(&fc->hard_timeout_tsc, ms_to_tsc(hard_timeout_ms), __ATOMIC_RELAXED);
}

struct flow_cache *
flow_cache_create(const char *name, const struct flow_cache_config *cfg)
{
	char n[RTE_MEMZONE_NAMESIZE];
	struct flow_cache *fc;
	uint64_t slots;
	size_t qsbr_size;

	slots = (uint64_t)cfg->capacity + FLOW_DEFER_HEADROOM((uint64_t)cfg->capacity);
	if (cfg->capacity < 8 || slots > FLOW_TABLE_SLOTS_MAX || cfg->n_workers == 0 ||
	    cfg->n_workers > KAIRO_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	fc = rte_zmalloc_socket(name, sizeof(*fc), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (fc == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	fc->capacity = cfg->capacity;
	fc->idle_timeout_tsc = ms_to_tsc(cfg->idle_timeout_ms);
	fc->hard_timeout_tsc = ms_to_tsc(cfg->hard_timeout_ms);

	qsbr_size = rte_rcu_qsbr_get_memsize(cfg->n_workers);
	fc->qsbr = rte_zmalloc_socket(NULL, qsbr_size, RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (fc->qsbr == NULL || rte_rcu_qsbr_init(fc->qsbr, cfg->n_workers) != 0)
		goto fail;

	/*
	 * Capacity is one limit over both tables, but either may hold every
	 * flow (all IPv4, or all IPv6): each gets the slots a single table
	 * would.
	 */
	snprintf(n, sizeof(n), "%s_flows", name);
	fc->tables[FLOW_TABLE_COMPACT] = flow_table_create(n, sizeof(struct flow_key_compact),
							   flow_key_compact_hash_cb, slots,
							   cfg->socket_id);
	snprintf(n, sizeof(n), "%s_flows6", name);
	fc->tables[FLOW_TABLE_FULL] = flow_table_create(n, sizeof(struct flow_key),
							flow_key_full_hash_cb, slots,
							cfg->socket_id);
	if (fc->tables[FLOW_TABLE_COMPACT] == NULL || fc->tables[FLOW_TABLE_FULL] == NULL)
		goto fail;

	/*
	 * Flow memory: one flow per table slot, installed or awaiting
	 * reclamation, plus the one an insert holds: what one table would
	 * need, shared by both since capacity is one limit.  An insert that
	 * finds the pool empty, or its table full, reclaims what the workers
	 * have released before it gives up (flow_reclaim).
	 */
	snprintf(n, sizeof(n), "%s_mem", name);
	fc->flows = rte_mempool_create(n, slots + 1, sizeof(struct flow), 0, 0,
				       NULL, NULL, NULL, NULL, cfg->socket_id,
				       RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (fc->flows == NULL)
		goto fail;
	/* Every flow of the pool may be waiting at once (after a flush). */
	fc->deferred_size = slots + 1;
	fc->deferred = rte_malloc_socket(NULL, sizeof(*fc->deferred) * fc->deferred_size,
					 RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (fc->deferred == NULL)
		goto fail;

	snprintf(n, sizeof(n), "%s_tags", name);
	struct rte_hash_parameters tp = {
		.name = n,
		.entries = cfg->capacity * TAG_INDEX_PER_FLOW,
		.key_len = sizeof(uint64_t),
		.hash_func = tag_hash_cb,
		.hash_func_init_val = FLOW_KEY_HASH_SEED_A,
		.socket_id = cfg->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	fc->tag_index = rte_hash_create(&tp);
	if (fc->tag_index == NULL)
		goto fail;
	return fc;
fail:
	flow_cache_destroy(fc);
	rte_errno = ENOMEM;
	return NULL;
}

/* What flow_cache_create allocates, table by table, for the same slots. */
uint64_t
flow_cache_memsize(const struct flow_cache_config *cfg)
{
	uint64_t slots = (uint64_t)cfg->capacity + FLOW_DEFER_HEADROOM((uint64_t)cfg->capacity);

	return hash_memsize(slots, sizeof(struct flow_key_compact), true) +
	       hash_memsize(slots, sizeof(struct flow_key), true) +
	       mempool_memsize(slots + 1, sizeof(struct flow)) +
	       (slots + 1) * sizeof(struct flow_deferred) +
	       hash_memsize((uint64_t)cfg->capacity * TAG_INDEX_PER_FLOW, sizeof(uint64_t), true) +
	       rte_rcu_qsbr_get_memsize(cfg->n_workers) + sizeof(struct flow_cache);
}

void
flow_cache_destroy(struct flow_cache *fc)
{
	unsigned int t;

	if (fc == NULL)
		return;
	/* Workers are stopped: flows still deferred go with their table and the pool. */
	rte_hash_free(fc->tag_index);
	for (t = 0; t < FLOW_TABLES; t++)
		rte_hash_free(fc->tables[t]);
	rte_free(fc->deferred);
	rte_mempool_free(fc->flows);
	rte_free(fc->qsbr);
	rte_free(fc);
}

struct rte_rcu_qsbr *
flow_cache_qsbr(struct flow_cache *fc)
{
	return fc->qsbr;
}

void
flow_cache_set_removed_cb(struct flow_cache *fc, flow_removed_cb cb, void *arg)
{
	fc->removed_cb = cb;
	fc->removed_arg = arg;
}
