/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact-match flow cache.  See flow_cache.h for the thread-safety rules:
 * lock-free readers on the workers, one writer (the simulation thread).
 */
#include <errno.h>
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
 * passed a quiescent state.  The table and the flow pool hold this many on
 * top of the capacity, so that a full cache can evict and insert in one call
 * while the workers are running, and a flush can be refilled at once.
 */
#define FLOW_DEFER_HEADROOM(capacity) ((capacity) + 1024)

struct flow_cache {
	struct rte_hash *table;    /* flow_key -> struct flow * */
	struct rte_hash *tag_index; /* uint64 tag -> struct flow_tag_link * (writer only) */
	struct rte_mempool *flows;
	struct rte_rcu_qsbr *qsbr;
	uint32_t capacity;
	/*
	 * Flows installed now (writer writes, anyone reads).  Not
	 * rte_hash_count(): that also counts removed flows whose slots wait
	 * in the RCU defer queue.
	 */
	uint32_t n_flows;
	uint64_t idle_timeout_tsc;
	uint64_t hard_timeout_tsc;
	uint32_t expire_next;      /* rte_hash_iterate position of the expiry sweep */
	uint32_t evict_next;       /* ... and of the eviction sampler */
	flow_removed_cb removed_cb;
	void *removed_arg;
	struct flow_cache_counters counters; /* writer only */
};

/* The table's own hash function, for calls without a precomputed signature. */
static uint32_t
flow_key_hash_cb(const void *key, uint32_t len, uint32_t seed)
{
	RTE_SET_USED(len);
	RTE_SET_USED(seed);
	return flow_key_hash(key);
}

/* The tag index hashes its 8-byte tags with plain CRC32. */
static uint32_t
tag_hash_cb(const void *key, uint32_t len, uint32_t seed)
{
	return rte_hash_crc(key, len, seed);
}

/* Called by the hash's RCU defer queue once no worker can still hold the flow. */
static void
flow_free_deferred(void *arg, void *key_data)
{
	struct flow_cache *fc = arg;

	rte_mempool_put(fc->flows, key_data);
}

static uint64_t
ms_to_tsc(uint32_t ms)
{
	return (uint64_t)ms * rte_get_tsc_hz() / 1000;
}

struct flow_cache *
flow_cache_create(const char *name, const struct flow_cache_config *cfg)
{
	char n[RTE_MEMZONE_NAMESIZE];
	struct flow_cache *fc;
	uint32_t slots;
	size_t qsbr_size;

	if (cfg->capacity < 8 || cfg->n_workers == 0 || cfg->n_workers > KAIRO_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	fc = rte_zmalloc_socket(name, sizeof(*fc), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (fc == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	fc->capacity = cfg->capacity;
	slots = cfg->capacity + FLOW_DEFER_HEADROOM(cfg->capacity);
	fc->idle_timeout_tsc = ms_to_tsc(cfg->idle_timeout_ms);
	fc->hard_timeout_tsc = ms_to_tsc(cfg->hard_timeout_ms);

	qsbr_size = rte_rcu_qsbr_get_memsize(cfg->n_workers);
	fc->qsbr = rte_zmalloc_socket(NULL, qsbr_size, RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (fc->qsbr == NULL || rte_rcu_qsbr_init(fc->qsbr, cfg->n_workers) != 0)
		goto fail;

	snprintf(n, sizeof(n), "%s_flows", name);
	struct rte_hash_parameters hp = {
		.name = n,
		.entries = slots,
		.key_len = sizeof(struct flow_key),
		.hash_func = flow_key_hash_cb,
		.hash_func_init_val = FLOW_KEY_HASH_SEED_A,
		.socket_id = cfg->socket_id,
		/*
		 * LF: workers read while the simulation writes, without locks.
		 * EXT_TABLE: a cuckoo table can refuse a key well before it is
		 * full; extendable buckets make "capacity" mean what it says.
		 * Capacity itself is enforced with n_flows: the slots past it
		 * are for removed flows awaiting reclamation.
		 */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	fc->table = rte_hash_create(&hp);
	if (fc->table == NULL)
		goto fail;

	/*
	 * Flow memory: one flow per table slot, installed or awaiting
	 * reclamation, plus the one an insert holds.  So the pool is never
	 * empty before the table is full, and a full table sends the insert
	 * into rte_hash, which reclaims what the workers have released.
	 */
	snprintf(n, sizeof(n), "%s_mem", name);
	fc->flows = rte_mempool_create(n, slots + 1, sizeof(struct flow), 0, 0,
				       NULL, NULL, NULL, NULL, cfg->socket_id,
				       RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (fc->flows == NULL)
		goto fail;

	struct rte_hash_rcu_config rcu = {
		.v = fc->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.dq_size = slots, /* every slot may be waiting at once (after a flush) */
		.key_data_ptr = fc,
		.free_key_data_func = flow_free_deferred,
	};
	if (rte_hash_rcu_qsbr_add(fc->table, &rcu) != 0)
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
	if (fc == NULL)
		return;
	rte_hash_free(fc->tag_index);
	rte_hash_free(fc->table);
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
flow_cache_lookup_burst(const struct flow_cache *fc, const struct flow_key **keys,
			const uint32_t *hashes, uint32_t n, struct flow **flows)
{
	uint64_t hit_mask = 0;

	/* The bulk lookup prefetches both buckets of every key before comparing any. */
	rte_hash_lookup_with_hash_bulk_data(fc->table, (const void **)keys, (hash_sig_t *)hashes,
					    n, &hit_mask, (void **)flows);
	return hit_mask;
}

struct flow *
flow_cache_lookup(const struct flow_cache *fc, const struct flow_key *key, uint32_t hash)
{
	void *data;

	if (rte_hash_lookup_with_hash_data(fc->table, key, hash, &data) < 0)
		return NULL;
	return data;
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

/* ---- insert and remove (writer only) ---- */

void
flow_cache_remove(struct flow_cache *fc, struct flow *flow, enum flow_remove_reason why)
{
	unsigned int i;

	for (i = 0; i < flow->n_tags; i++)
		tag_unlink(fc, &flow->tags[i]);
	flow->n_tags = 0;
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
	 * With RCU configured, the delete queues the flow on the defer queue;
	 * flow_free_deferred returns it to the pool once every worker has
	 * passed a quiescent state.
	 */
	rte_hash_del_key_with_hash(fc->table, &flow->key, flow->hash);
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
	const void *key;
	unsigned int seen = 0, wraps = 0;

	while (seen < FLOW_CACHE_EVICT_SAMPLES && wraps < 2) {
		if (rte_hash_iterate(fc->table, &key, (void **)&f, &fc->evict_next) < 0) {
			fc->evict_next = 0;
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
	struct flow *f;
	unsigned int i;
	int ret;

	if (rte_hash_lookup_with_hash(fc->table, key, hash) >= 0) {
		rte_errno = EEXIST;
		return NULL;
	}
	if (fc->n_flows >= fc->capacity && flow_cache_evict_one(fc) != 0) {
		fc->counters.not_installed_full++;
		rte_errno = ENOSPC;
		return NULL;
	}
	if (rte_mempool_get(fc->flows, (void **)&f) != 0) {
		/* Not expected: the pool has a flow per table slot and one more (flow_cache_create). */
		fc->counters.not_installed_full++;
		rte_errno = ENOBUFS;
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

	/*
	 * This fails only when every spare slot still holds a removed flow a
	 * worker may read.  Evicting one more would not free a slot before the
	 * next quiescent state either: refuse, and keep what is installed.
	 */
	ret = rte_hash_add_key_with_hash_data(fc->table, key, hash, f);
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
	const void *key;
	struct flow *f;

	while (visited < budget) {
		if (rte_hash_iterate(fc->table, &key, (void **)&f, &fc->expire_next) < 0) {
			fc->expire_next = 0;
			break;
		}
		visited++;
		if (f->hard_timeout_tsc != 0 && now - f->created_tsc > f->hard_timeout_tsc) {
			flow_cache_remove(fc, f, FLOW_REMOVED_HARD);
			removed++;
		} else if (f->idle_timeout_tsc != 0 && flow_idle_expired(f, now)) {
			flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);
			removed++;
		}
	}
	return removed;
}

unsigned int
flow_cache_flush(struct flow_cache *fc)
{
	uint32_t next;
	const void *key;
	struct flow *f;
	unsigned int n = 0, pass;

	/*
	 * A delete may move a key from an extendable bucket into a slot the
	 * iterator has already passed (rte_hash compacts bucket chains), so
	 * one pass can miss flows whose keys collide: sweep until one finds none.
	 */
	do {
		next = 0;
		pass = 0;
		while (rte_hash_iterate(fc->table, &key, (void **)&f, &next) >= 0) {
			flow_cache_remove(fc, f, FLOW_REMOVED_FLUSHED);
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
	const void *key;
	void *data;

	if (rte_hash_iterate(fc->table, &key, &data, next) < 0)
		return -ENOENT;
	*flow = data;
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
