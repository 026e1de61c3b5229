/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact-match flow cache.  See flow_cache.h for the thread-safety rules:
 * lock-free readers on the workers, one writer (the simulation thread).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "flow_cache.h"

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
 * Removed flows a removal tries to reclaim, oldest first: bounded work per
 * call (rte_hash's own defer queue uses the same, RTE_HASH_RCU_DQ_RECLAIM_MAX).
 */
#define FLOW_RECLAIM_BATCH 16

/* The two tables (flow_cache.h, "Two tables, one cache"). */
enum flow_table {
	FLOW_TABLE_COMPACT, /* struct flow_key_compact: every key but IPv6 */
	FLOW_TABLE_FULL,    /* struct flow_key: IPv6 */
	FLOW_TABLES,
};

/*
 * flow_cache_iterate's cursor: the table in the top bit, the rte_hash_iterate
 * position below it.  Positions stay under 2 * slots rounded up to a power of
 * two (main and extendable buckets), so under 1 << 31 (FLOW_TABLE_SLOTS_MAX).
 */
#define FLOW_ITER_TABLE_SHIFT 31
#define FLOW_ITER_POS_MASK ((1u << FLOW_ITER_TABLE_SHIFT) - 1)
static_assert(FLOW_TABLES <= 2, "one bit of the cursor names the table");

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
	struct rte_hash *tables[FLOW_TABLES]; /* key -> struct flow * */
	struct rte_hash *tag_index; /* uint64 tag -> struct flow_tag_link * (writer only) */
	struct rte_mempool *flows;
	struct rte_rcu_qsbr *qsbr;
	uint32_t capacity;
	/*
	 * Flows installed now, in both tables (writer writes, anyone reads).
	 * Not rte_hash_count(): that also counts removed flows whose slots
	 * wait in the defer queue.
	 */
	uint32_t n_flows;
	uint64_t idle_timeout_tsc;
	uint64_t hard_timeout_tsc;
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
	flow_removed_cb removed_cb;
	void *removed_arg;
	struct flow_cache_counters counters; /* writer only */
};

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

uint64_t
flow_cache_lookup_burst(const struct flow_cache *fc, const struct flow_key **keys, uint32_t n,
			uint32_t *hashes, struct flow **flows)
{
	struct flow_key_compact ckeys[RTE_HASH_LOOKUP_BULK_MAX];
	const void *cptr[RTE_HASH_LOOKUP_BULK_MAX], *fptr[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t chash[RTE_HASH_LOOKUP_BULK_MAX], fhash[RTE_HASH_LOOKUP_BULK_MAX];
	uint8_t cpos[RTE_HASH_LOOKUP_BULK_MAX], fpos[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t c[FLOW_KEY_COMPACT_WORDS];
	uint64_t hits = 0, mask;
	uint32_t i, nc = 0, nf = 0;

	/*
	 * Split the burst by table.  A compact key is gathered into registers,
	 * hashed from there and stored once, so nothing reads back what was
	 * just stored in narrower pieces.
	 */
	for (i = 0; i < n; i++) {
		const struct flow_key *key = keys[i];

		if (likely(flow_key_is_compact(key))) {
			flow_key_compact_gather(key, c);
			hashes[i] = flow_key_compact_hash(c);
			memcpy(&ckeys[nc], c, sizeof(c));
			cptr[nc] = &ckeys[nc];
			chash[nc] = hashes[i];
			cpos[nc++] = i;
		} else {
			hashes[i] = flow_key_full_hash(key);
			fptr[nf] = key;
			fhash[nf] = hashes[i];
			fpos[nf++] = i;
		}
	}

	/*
	 * One bulk lookup per table that has keys: it prefetches both buckets
	 * of every key before comparing any.  A burst of one kind needs no
	 * merge: its results are in burst order already.
	 */
	if (nc == n) {
		rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_COMPACT], cptr,
						    chash, n, &hits, (void **)flows);
		return hits;
	}
	if (nf == n) {
		rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_FULL], fptr,
						    fhash, n, &hits, (void **)flows);
		return hits;
	}
	rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_COMPACT], cptr, chash, nc,
					    &mask, data);
	for (; mask != 0; mask &= mask - 1) {
		i = rte_bsf64(mask);
		flows[cpos[i]] = data[i];
		hits |= 1ULL << cpos[i];
	}
	rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_FULL], fptr, fhash, nf,
					    &mask, data);
	for (; mask != 0; mask &= mask - 1) {
		i = rte_bsf64(mask);
		flows[fpos[i]] = data[i];
		hits |= 1ULL << fpos[i];
	}
	return hits;
}

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

/*
 * The next flow of a sweep over both tables.  At the end of the last table
 * it returns -ENOENT and stays there; the caller starts over if it wants.
 */
static int
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

/* ---- tag index (writer only) ---- */

static void
tag_link(struct flow_cache *fc, struct flow_tag_link *l)
{
	struct flow_tag_link *head = NULL;

	rte_hash_lookup_data(fc->tag_index, &l->tag, (void **)&head);
	l->next = head;
	l->pprev = NULL;
	if (head != NULL)
		head->pprev = &l->next;
	/* Updating the data of an existing key is in place, so this cannot fail for a known tag. */
	if (rte_hash_add_key_data(fc->tag_index, &l->tag, l) != 0) {
		/* Index full: the flow stays uninvalidatable by this tag; keep the list intact. */
		if (head != NULL)
			head->pprev = NULL;
		l->next = NULL;
		l->flow = NULL;
	}
}

static void
tag_unlink(struct flow_cache *fc, struct flow_tag_link *l)
{
	if (l->flow == NULL)
		return;
	if (l->pprev != NULL) {
		*l->pprev = l->next;
		if (l->next != NULL)
			l->next->pprev = l->pprev;
	} else if (l->next != NULL) {
		/* l was the head: the next link becomes the head. */
		l->next->pprev = NULL;
		rte_hash_add_key_data(fc->tag_index, &l->tag, l->next);
	} else {
		rte_hash_del_key(fc->tag_index, &l->tag);
	}
	l->flow = NULL;
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
	unsigned int i;

	for (i = 0; i < flow->n_tags; i++)
		tag_unlink(fc, &flow->tags[i]);
	flow->n_tags = 0;
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

static uint64_t
flow_last_used(const struct flow *f)
{
	return __atomic_load_n(&f->last_used_tsc, __ATOMIC_RELAXED);
}

/*
 * A worker may refresh last_used between two reads of it, after now was
 * taken: read it once, or now - used wraps and a busy flow looks idle.
 */
static bool
flow_idle_expired(const struct flow *f, uint64_t now)
{
	uint64_t used = flow_last_used(f);

	return now > used && now - used > f->idle_timeout_tsc;
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
	unsigned int i;
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
	f->idle_timeout_tsc = fc->idle_timeout_tsc;
	f->hard_timeout_tsc = fc->hard_timeout_tsc;
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
	if (n_tags > FLOW_TAGS_MAX)
		n_tags = FLOW_TAGS_MAX;
	for (i = 0; i < n_tags; i++) {
		f->tags[i].tag = tags[i];
		f->tags[i].flow = f;
		tag_link(fc, &f->tags[i]);
	}
	f->n_tags = n_tags;
	sweep_link(fc, f);
	__atomic_store_n(&fc->n_flows, fc->n_flows + 1, __ATOMIC_RELAXED);
	fc->counters.installed++;
	return f;
}

unsigned int
flow_cache_invalidate_tag(struct flow_cache *fc, uint64_t tag)
{
	struct flow_tag_link *l;
	unsigned int n = 0;

	/* Each removal unlinks the head, so re-read the head until the tag is gone. */
	while (rte_hash_lookup_data(fc->tag_index, &tag, (void **)&l) >= 0 && l != NULL) {
		flow_cache_remove(fc, l->flow, FLOW_REMOVED_INVALIDATED);
		n++;
	}
	return n;
}

unsigned int
flow_cache_expire(struct flow_cache *fc, uint64_t now, unsigned int budget)
{
	unsigned int removed = 0, visited = 0;
	struct flow *f = fc->sweep_cursor != NULL ? fc->sweep_cursor : fc->sweep_head, *next;

	/*
	 * The installed flows' own list, not the hash tables: a step costs the
	 * flows it visits, never a scan of empty slots in a big, sparse table.
	 * Flows installed since are at the head, met on the next round.
	 */
	for (; f != NULL && visited < budget; f = next) {
		next = f->sweep_next;
		visited++;
		if (f->hard_timeout_tsc != 0 && now - f->created_tsc > f->hard_timeout_tsc) {
			flow_cache_remove(fc, f, FLOW_REMOVED_HARD);
			removed++;
		} else if (f->idle_timeout_tsc != 0 && flow_idle_expired(f, now)) {
			flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);
			removed++;
		}
	}
	fc->sweep_cursor = f;
	return removed;
}

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

uint32_t
flow_cache_count(const struct flow_cache *fc)
{
	return __atomic_load_n(&fc->n_flows, __ATOMIC_RELAXED);
}

uint32_t
flow_cache_capacity(const struct flow_cache *fc)
{
	return fc->capacity;
}

void
flow_cache_counters_read(const struct flow_cache *fc, struct flow_cache_counters *out)
{
	*out = fc->counters;
}

int
flow_cache_iterate(const struct flow_cache *fc, uint32_t *next, const struct flow **flow)
{
	struct flow_sweep sweep = {
		.table = *next >> FLOW_ITER_TABLE_SHIFT,
		.next = *next & FLOW_ITER_POS_MASK,
	};
	struct flow *f;
	int ret;

	ret = flow_sweep_next(fc, &sweep, &f);
	*next = sweep.table << FLOW_ITER_TABLE_SHIFT | sweep.next;
	if (ret != 0)
		return ret;
	*flow = f;
	return 0;
}

void
flow_stats_sum(const struct flow *flow, struct flow_stats *sum)
{
	unsigned int i;

	sum->packets = 0;
	sum->bytes = 0;
	for (i = 0; i < KAIRO_MAX_WORKERS; i++) {
		const struct flow_stats *s = flow_stats_slot((struct flow *)(uintptr_t)flow, i);

		sum->packets += __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
		sum->bytes += __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	}
}
