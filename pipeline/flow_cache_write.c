/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's writer side, on the simulation thread only: install and
 * remove flows, evict when full, and give removed flows back once no worker
 * can hold them.  The tag index is in flow_cache_tags.c and the expiry sweep
 * in flow_cache_expire.c; see flow_cache.h for the thread-safety rules.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "flow_cache.h"
#include "flow_cache_private.h"

/*
 * Removed flows a removal tries to reclaim, oldest first: bounded work per
 * call (rte_hash's own defer queue uses the same, RTE_HASH_RCU_DQ_RECLAIM_MAX).
 */
#define FLOW_RECLAIM_BATCH 16

/*
 * The table a key lives in, and what it is filed under there: the key
 * itself, or its compact form written to *buf.
 */
static enum flow_table
flow_table_key(const struct flow_key *key, struct flow_key_compact *buf, const void **filed)
{
	uint64_t c[FLOW_KEY_COMPACT_WORDS];

	if (!flow_key_is_compact(key)) {
		*filed = key;
		return FLOW_TABLE_FULL;
	}
	flow_key_compact_gather(key, c);
	memcpy(buf, c, sizeof(c));
	*filed = buf;
	return FLOW_TABLE_COMPACT;
}

/* Whether a key that is not IPv6 has bytes set that its compact form drops. */
static bool
flow_key_compact_drops_bytes(const struct flow_key *key)
{
	uint8_t spill = 0;
	unsigned int i;

	for (i = sizeof(uint32_t); i < sizeof(key->nw_src); i++)
		spill |= key->nw_src[i] | key->nw_dst[i];
	for (i = 0; i < sizeof(key->reserved); i++)
		spill |= key->reserved[i];
	return spill != 0;
}

struct flow *
flow_cache_lookup(const struct flow_cache *fc, const struct flow_key *key, uint32_t hash)
{
	struct flow_key_compact ck;
	const void *filed;
	enum flow_table t = flow_table_key(key, &ck, &filed);
	void *data;

	if (rte_hash_lookup_with_hash_data(fc->tables[t], filed, hash, &data) < 0)
		return NULL;
	return data;
}

/* ---- the sweep list (writer only) ---- */

static void
sweep_link(struct flow_cache *fc, struct flow *f)
{
	f->sweep_prev = NULL;
	f->sweep_next = fc->sweep_head;
	if (fc->sweep_head != NULL)
		fc->sweep_head->sweep_prev = f;
	fc->sweep_head = f;
}

static void
sweep_unlink(struct flow_cache *fc, struct flow *f)
{
	/* The sweep resumes after a flow removed under it. */
	if (fc->sweep_cursor == f)
		fc->sweep_cursor = f->sweep_next;
	if (f->sweep_prev != NULL)
		f->sweep_prev->sweep_next = f->sweep_next;
	else
		fc->sweep_head = f->sweep_next;
	if (f->sweep_next != NULL)
		f->sweep_next->sweep_prev = f->sweep_prev;
	f->sweep_next = f->sweep_prev = NULL;
}

/* ---- reclamation (writer only) ---- */

/*
 * Return the oldest removed flow to its table and the pool if no worker can
 * hold it any more.  Returns its table, or FLOW_TABLES if there was none.
 */
static unsigned int
flow_reclaim_one(struct flow_cache *fc)
{
	struct flow_deferred *d = &fc->deferred[fc->deferred_head];

	if (fc->n_deferred == 0 || rte_rcu_qsbr_check(fc->qsbr, d->token, false) != 1)
		return FLOW_TABLES;
	if (d->position >= 0)
		rte_hash_free_key_with_position(fc->tables[d->table], d->position);
	rte_mempool_put(fc->flows, d->flow);
	if (++fc->deferred_head == fc->deferred_size)
		fc->deferred_head = 0;
	fc->n_deferred--;
	return d->table;
}

/* Reclaim up to max removed flows, oldest first; returns how many. */
static unsigned int
flow_reclaim(struct flow_cache *fc, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && flow_reclaim_one(fc) != FLOW_TABLES)
		n++;
	return n;
}

/*
 * Reclaim until a slot of table t is free again; false if no removed flow
 * of it is reclaimable now.  However far one call goes, each removed flow
 * is reclaimed once: the work was paid for by the removals.
 */
static bool
flow_reclaim_for(struct flow_cache *fc, enum flow_table t)
{
	unsigned int got;

	do {
		got = flow_reclaim_one(fc);
	} while (got != FLOW_TABLES && got != t);
	return got == t;
}

/* Queue a flow just deleted from table t until every worker has passed a quiescent state. */
static void
flow_defer(struct flow_cache *fc, struct flow *flow, enum flow_table t, int32_t position)
{
	struct flow_deferred *d;
	uint64_t token;

	/* After the delete, so that a worker that reports past it cannot still hold the flow. */
	token = rte_rcu_qsbr_start(fc->qsbr);
	/* Keep the queue short while workers report: what an rte_hash defer queue does per delete. */
	flow_reclaim(fc, FLOW_RECLAIM_BATCH);
	/* Never full: every entry holds a flow of the pool, and the ring has room for all. */
	d = &fc->deferred[(fc->deferred_head + fc->n_deferred) % fc->deferred_size];
	d->token = token;
	d->flow = flow;
	d->position = position;
	d->table = t;
	fc->n_deferred++;
}

/* ---- insert and remove (writer only) ---- */

void
flow_cache_remove(struct flow_cache *fc, struct flow *flow, enum flow_remove_reason why)
{
	struct flow_key_compact ck;
	const void *filed;
	enum flow_table t;

	flow_cache_tags_unlink(fc, flow);
	sweep_unlink(fc, flow);
	__atomic_store_n(&fc->n_flows, fc->n_flows - 1, __ATOMIC_RELAXED);
	switch (why) {
	case FLOW_REMOVED_INVALIDATED:
		fc->counters.invalidated++;
		break;
	case FLOW_REMOVED_IDLE:
	case FLOW_REMOVED_HARD:
		fc->counters.expired++;
		break;
	case FLOW_REMOVED_EVICTED:
		fc->counters.evicted++;
		break;
	case FLOW_REMOVED_FLUSHED:
		fc->counters.flushed++;
		break;
	}
	if (fc->removed_cb != NULL)
		fc->removed_cb(fc->removed_arg, flow, why);
	/*
	 * New lookups miss from here on; the key slot and the memory wait
	 * until every worker has passed a quiescent state.
	 */
	t = flow_table_key(&flow->key, &ck, &filed);
	flow_defer(fc, flow, t, rte_hash_del_key_with_hash(fc->tables[t], filed, flow->hash));
}

/* Approximate LRU: evict the least recently used of a few sampled flows. */
static int
flow_cache_evict_one(struct flow_cache *fc)
{
	struct flow *victim = NULL, *f;
	unsigned int seen = 0, wraps = 0;

	/* Consecutive entries of the sweep, which crosses from one table to the other. */
	while (seen < FLOW_CACHE_EVICT_SAMPLES && wraps < 2) {
		if (flow_sweep_next(fc, &fc->evict_next, &f) < 0) {
			fc->evict_next = (struct flow_sweep){ 0 };
			wraps++;
			continue;
		}
		seen++;
		if (victim == NULL || flow_last_used(f) < flow_last_used(victim))
			victim = f;
	}
	if (victim == NULL)
		return -ENOENT;
	flow_cache_remove(fc, victim, FLOW_REMOVED_EVICTED);
	return 0;
}

struct flow *
flow_cache_insert(struct flow_cache *fc, const struct flow_key *key, uint32_t hash,
		  const struct flow_actions *actions, const uint64_t *tags, unsigned int n_tags,
		  uint64_t owner_cookie)
{
	struct flow_key_compact ck;
	const void *filed;
	enum flow_table t = flow_table_key(key, &ck, &filed);
	struct rte_hash *h = fc->tables[t];
	struct flow *f;
	int ret;

	if (flow_key_is_compact(key) && flow_key_compact_drops_bytes(key)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (rte_hash_lookup_with_hash(h, filed, hash) >= 0) {
		rte_errno = EEXIST;
		return NULL;
	}
	if (fc->n_flows >= fc->capacity && flow_cache_evict_one(fc) != 0) {
		fc->counters.not_installed_full++;
		rte_errno = ENOSPC;
		return NULL;
	}
	/*
	 * No spare flow: reclaim what the workers have released.  If that
	 * frees none, every spare flow is a removed one a worker may read;
	 * evicting one more would not free anything before the next quiescent
	 * state either: refuse, and keep what is installed.
	 */
	if (rte_mempool_get(fc->flows, (void **)&f) != 0 &&
	    (flow_reclaim(fc, FLOW_RECLAIM_BATCH) == 0 ||
	     rte_mempool_get(fc->flows, (void **)&f) != 0)) {
		fc->counters.not_installed_full++;
		rte_errno = ENOSPC;
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	f->actions = *actions;
	f->key = *key;
	f->hash = hash;
	f->created_tsc = rte_get_tsc_cycles();
	f->last_used_tsc = f->created_tsc;
	/* flow_cache_set_timeouts may change them while kairod runs: new flows take the new ones. */
	f->idle_timeout_tsc = __atomic_load_n(&fc->idle_timeout_tsc, __ATOMIC_RELAXED);
	f->hard_timeout_tsc = __atomic_load_n(&fc->hard_timeout_tsc, __ATOMIC_RELAXED);
	f->owner_cookie = owner_cookie;

	/* The same for a slot of the key's table. */
	ret = rte_hash_add_key_with_hash_data(h, filed, hash, f);
	if (ret == -ENOSPC && flow_reclaim_for(fc, t))
		ret = rte_hash_add_key_with_hash_data(h, filed, hash, f);
	if (ret != 0) {
		rte_mempool_put(fc->flows, f);
		fc->counters.not_installed_full++;
		rte_errno = ENOSPC;
		return NULL;
	}
	flow_cache_tags_link(fc, f, tags, n_tags);
	sweep_link(fc, f);
	__atomic_store_n(&fc->n_flows, fc->n_flows + 1, __ATOMIC_RELAXED);
	fc->counters.installed++;
	return f;
}

/* ---- flush and filtered removal (writer only) ---- */

static bool
flow_key_any(const struct flow_key *key, void *arg)
{
	RTE_SET_USED(key);
	RTE_SET_USED(arg);
	return true;
}

unsigned int
flow_cache_flush(struct flow_cache *fc)
{
	return flow_cache_remove_matching(fc, flow_key_any, NULL, FLOW_REMOVED_FLUSHED);
}

unsigned int
flow_cache_remove_matching(struct flow_cache *fc, bool (*match)(const struct flow_key *key, void *arg),
			   void *arg, enum flow_remove_reason why)
{
	struct flow_sweep sweep;
	struct flow *f;
	unsigned int n = 0, pass;

	/*
	 * A delete may move a key from an extendable bucket into a slot the
	 * iterator has already passed (rte_hash compacts bucket chains), so
	 * one pass can miss flows whose keys collide: sweep both tables until
	 * one pass removes none.
	 */
	do {
		sweep = (struct flow_sweep){ 0 };
		pass = 0;
		while (flow_sweep_next(fc, &sweep, &f) == 0) {
			if (!match(&f->key, arg))
				continue;
			flow_cache_remove(fc, f, why);
			pass++;
		}
		n += pass;
	} while (pass != 0);
	return n;
}
