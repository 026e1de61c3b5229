/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's inside: what the files that implement it share, and
 * nothing outside them includes.  flow_cache.h is the API.
 *
 * Who runs which file
 * -------------------
 *   flow_cache_lookup.c  the workers: flow_cache_lookup_burst, lock-free.
 *   flow_cache_create.c  the daemon, before the workers start and after they
 *                        stop: create, destroy, the QSBR variable, the
 *                        removal callback.
 *   flow_cache_write.c   the writer (the simulation thread): insert, remove,
 *                        the writer's own lookup, eviction, reclamation of
 *                        removed flows, flush and filtered removal.
 *   flow_cache_tags.c    the writer: the tag index and invalidation by tag.
 *   flow_cache_expire.c  the writer: the expiry sweep.
 *   flow_cache_read.c    any thread: the flow count, the counters, iteration
 *                        and a flow's counter sums, for dumps and telemetry.
 *
 * Thread-safety of struct flow_cache
 * ----------------------------------
 * The workers see the cache as const and read two things of it: tables[]
 * (through rte_hash's lock-free readers) and qsbr (they report quiescent
 * states to it).  Everything else is the writer's: written on the writer
 * thread only, so that the tag index, the sweep list, the eviction clock and
 * the defer queue need no lock.  Members set by flow_cache_create are not
 * written again.  n_flows is the one the writer writes and any thread reads
 * (relaxed atomics); counters are read by any thread without atomics, as a
 * dump's snapshot.
 */
#ifndef KAIRO_FLOW_CACHE_PRIVATE_H
#define KAIRO_FLOW_CACHE_PRIVATE_H

#include <errno.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "flow_cache.h"

/* The two tables (flow_cache.h, "Two tables, one cache"). */
enum flow_table {
	FLOW_TABLE_COMPACT, /* struct flow_key_compact: every key but IPv6 */
	FLOW_TABLE_FULL,    /* struct flow_key: IPv6 */
	FLOW_TABLES,
};

/* A position in both tables: rte_hash_iterate's in one table, then the next table. */
struct flow_sweep {
	uint32_t table; /* enum flow_table */
	uint32_t next;  /* rte_hash_iterate position in it */
};

/*
 * A removed flow that a worker may still hold: its key slot (the tables are
 * RW_CONCURRENCY_LF, so a delete leaves the slot to
 * rte_hash_free_key_with_position) and its memory wait for every worker to
 * pass the QSBR token taken when it was removed.
 */
struct flow_deferred {
	uint64_t token;   /* rte_rcu_qsbr_start() after the delete */
	struct flow *flow;
	int32_t position; /* its key slot in its table; < 0: none to free */
	uint32_t table;   /* enum flow_table */
};

struct flow_cache {
	/* key -> struct flow *: the workers read them lock-free, the writer adds and deletes. */
	struct rte_hash *tables[FLOW_TABLES];
	struct rte_hash *tag_index; /* uint64 tag -> struct flow_tag_link * (writer only) */
	struct rte_mempool *flows;  /* flow memory (writer only: single producer and consumer) */
	/* The workers report quiescent states; the writer takes and checks tokens. */
	struct rte_rcu_qsbr *qsbr;
	uint32_t capacity; /* set at create */
	/*
	 * Flows installed now, in both tables (writer writes, anyone reads).
	 * Not rte_hash_count(): that also counts removed flows whose slots
	 * wait in the defer queue.
	 */
	uint32_t n_flows;
	/* The tag flow_cache_invalidate_tag removes now, for the removed callback; 0 otherwise. */
	uint64_t invalidating_tag;
	uint64_t idle_timeout_tsc; /* set at create and by flow_cache_set_timeouts (atomics) */
	uint64_t hard_timeout_tsc; /* idem */
	struct flow *sweep_head;       /* every installed flow (writer only) */
	struct flow *sweep_cursor;     /* where the expiry sweep goes on; NULL: from the head */
	struct flow_sweep evict_next;  /* ... and the eviction sampler */
	/*
	 * The defer queue of both tables (writer only): a ring, oldest first,
	 * so tokens only grow from head to tail.  One queue, not one per
	 * table (rte_hash_rcu_qsbr_add), because the tables share the flow
	 * pool: a table's own queue is drained only by that table's inserts
	 * and removals, so flows removed from one table (a flush of the IPv6
	 * flows, say) could keep the pool empty for the other for good.
	 */
	struct flow_deferred *deferred;
	uint32_t deferred_size;  /* ring size: the pool's, as each entry holds a flow */
	uint32_t deferred_head;  /* oldest entry */
	uint32_t n_deferred;
	/* Set before the writer runs (flow_cache_set_removed_cb); called on the writer thread. */
	flow_removed_cb removed_cb;
	void *removed_arg;
	struct flow_cache_counters counters; /* writer writes; flow_cache_counters_read copies */
};

/*
 * The next flow of a sweep over both tables.  At the end of the last table
 * it returns -ENOENT and stays there; the caller starts over if it wants.
 * The writer's eviction and filtered removal, and flow_cache_iterate.
 */
static inline int
flow_sweep_next(const struct flow_cache *fc, struct flow_sweep *s, struct flow **flow)
{
	const void *key;
	void *data;

	for (;;) {
		if (rte_hash_iterate(fc->tables[s->table], &key, &data, &s->next) >= 0) {
			*flow = data;
			return 0;
		}
		if (s->table + 1 == FLOW_TABLES)
			return -ENOENT;
		s->table++;
		s->next = 0;
	}
}

/* When a flow was last used: the workers refresh it, the writer's eviction and expiry read it. */
static inline uint64_t
flow_last_used(const struct flow *f)
{
	return __atomic_load_n(&f->last_used_tsc, __ATOMIC_RELAXED);
}

/*
 * The tag index (flow_cache_tags.c), writer only.  Link the flow's first
 * n_tags of tags into it (at most FLOW_TAGS_MAX; the flow is already in its
 * table), and unlink all of them before the flow is removed.
 */
void flow_cache_tags_link(struct flow_cache *fc, struct flow *f, const uint64_t *tags,
			  unsigned int n_tags);
void flow_cache_tags_unlink(struct flow_cache *fc, struct flow *f);

#endif
