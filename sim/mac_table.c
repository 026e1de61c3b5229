/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "mac_table.h"
#include "table_memsize.h"

struct mac_key {
	uint32_t bridge;
	uint16_t vlan;
	struct rte_ether_addr mac;
};

struct mac_entry {
	struct mac_key key;
	uint32_t port;
	uint32_t flow_refs;
	uint64_t unused_since; /* tsc when flow_refs dropped to 0 (or learn time) */
	uint64_t aging_tsc;
	bool used;
};

struct mac_table {
	struct rte_hash *index; /* mac_key -> entry position */
	struct mac_entry *entries;
	uint32_t capacity;
	uint32_t age_next;
};

struct mac_table *
mac_table_create(const char *name, uint32_t capacity, int socket_id)
{
	struct mac_table *mt = rte_zmalloc_socket(name, sizeof(*mt), 0, socket_id);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct mac_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (mt == NULL)
		return NULL;
	mt->capacity = capacity;
	mt->index = rte_hash_create(&hp);
	/* The hash hands out positions below its size; one entry slot per position. */
	mt->entries = rte_zmalloc_socket(NULL, sizeof(struct mac_entry) * (capacity + 1), 0,
					 socket_id);
	if (mt->index == NULL || mt->entries == NULL) {
		mac_table_destroy(mt);
		rte_errno = ENOMEM;
		return NULL;
	}
	return mt;
}

uint64_t
mac_table_memsize(uint32_t capacity)
{
	return sizeof(struct mac_table) + hash_memsize(capacity, sizeof(struct mac_key), true) +
	       ((uint64_t)capacity + 1) * sizeof(struct mac_entry);
}

void
mac_table_destroy(struct mac_table *mt)
{
	if (mt == NULL)
		return;
	rte_hash_free(mt->index);
	rte_free(mt->entries);
	rte_free(mt);
}

static void
mac_key_make(struct mac_key *k, uint32_t bridge, uint16_t vlan, const struct rte_ether_addr *mac)
{
	memset(k, 0, sizeof(*k));
	k->bridge = bridge;
	k->vlan = vlan;
	k->mac = *mac;
}

int64_t
mac_table_lookup(const struct mac_table *mt, uint32_t bridge, uint16_t vlan,
		 const struct rte_ether_addr *mac)
{
	struct mac_key k;
	int32_t pos;

	mac_key_make(&k, bridge, vlan, mac);
	pos = rte_hash_lookup(mt->index, &k);
	if (pos < 0)
		return -ENOENT;
	return mt->entries[pos].port;
}

int
mac_table_learn(struct mac_table *mt, uint32_t bridge, uint16_t vlan,
		const struct rte_ether_addr *mac, uint32_t port, uint64_t aging_tsc, uint64_t now,
		uint32_t *entry)
{
	struct mac_entry *e;
	struct mac_key k;
	int32_t pos;
	int result;

	mac_key_make(&k, bridge, vlan, mac);
	pos = rte_hash_lookup(mt->index, &k);
	if (pos >= 0) {
		e = &mt->entries[pos];
		result = e->port == port ? MAC_LEARN_SAME : MAC_LEARN_MOVED;
	} else {
		pos = rte_hash_add_key(mt->index, &k);
		if (pos < 0 || (uint32_t)pos > mt->capacity)
			return -ENOSPC;
		e = &mt->entries[pos];
		memset(e, 0, sizeof(*e));
		e->key = k;
		e->used = true;
		result = MAC_LEARN_NEW;
	}
	e->port = port;
	e->aging_tsc = aging_tsc;
	e->unused_since = now;
	*entry = (uint32_t)pos;
	return result;
}

void
mac_table_ref(struct mac_table *mt, uint32_t entry)
{
	mt->entries[entry].flow_refs++;
}

void
mac_table_unref(struct mac_table *mt, uint32_t entry, uint64_t now)
{
	struct mac_entry *e = &mt->entries[entry];

	if (e->flow_refs > 0 && --e->flow_refs == 0)
		e->unused_since = now;
}

unsigned int
mac_table_age(struct mac_table *mt, uint64_t now, unsigned int budget, mac_aged_cb cb, void *arg)
{
	unsigned int visited = 0, removed = 0;
	const void *key;
	void *data;
	int32_t pos;

	while (visited < budget) {
		pos = rte_hash_iterate(mt->index, &key, &data, &mt->age_next);
		if (pos < 0) {
			mt->age_next = 0;
			break;
		}
		visited++;
		struct mac_entry *e = &mt->entries[pos];

		if (e->flow_refs == 0 && now - e->unused_since > e->aging_tsc) {
			struct mac_key k = e->key;

			rte_hash_del_key(mt->index, &k);
			e->used = false;
			cb(arg, k.bridge, &k.mac);
			removed++;
		}
	}
	return removed;
}

uint32_t
mac_table_count(const struct mac_table *mt)
{
	int32_t n = rte_hash_count(mt->index);

	return n < 0 ? 0 : (uint32_t)n;
}

int
mac_table_iterate(const struct mac_table *mt, uint32_t *next, uint32_t *bridge,
		  struct rte_ether_addr *mac, uint32_t *port, uint32_t *flow_refs)
{
	const void *key;
	void *data;
	int32_t pos = rte_hash_iterate(mt->index, &key, &data, next);

	if (pos < 0)
		return -ENOENT;
	*bridge = mt->entries[pos].key.bridge;
	*mac = mt->entries[pos].key.mac;
	*port = mt->entries[pos].port;
	*flow_refs = mt->entries[pos].flow_refs;
	return 0;
}

int
mac_table_entry_read(const struct mac_table *mt, uint32_t entry, uint32_t *bridge,
		     struct rte_ether_addr *mac, uint32_t *port)
{
	if (entry > mt->capacity)
		return -ENOENT;
	*bridge = mt->entries[entry].key.bridge;
	*mac = mt->entries[entry].key.mac;
	*port = mt->entries[entry].port;
	return 0;
}

void
mac_table_flush(struct mac_table *mt)
{
	rte_hash_reset(mt->index);
	memset(mt->entries, 0, sizeof(struct mac_entry) * (mt->capacity + 1));
	mt->age_next = 0;
}

int
mac_table_iterate_saved(const struct mac_table *mt, uint32_t *next, uint64_t now,
			struct mac_saved *out)
{
	const struct mac_entry *e;
	const void *key;
	void *data;
	int32_t pos = rte_hash_iterate(mt->index, &key, &data, next);
	uint64_t unused;

	if (pos < 0)
		return -ENOENT;
	e = &mt->entries[pos];
	out->bridge = e->key.bridge;
	out->vlan = e->key.vlan;
	out->mac = e->key.mac;
	out->port = e->port;
	out->aging_tsc = e->aging_tsc;
	/* Held by flows: they are not saved, so its aging clock starts now. */
	unused = e->flow_refs != 0 ? 0 : now - e->unused_since;
	out->remaining_tsc = unused >= e->aging_tsc ? 0 : e->aging_tsc - unused;
	return 0;
}

int
mac_table_restore(struct mac_table *mt, const struct mac_saved *in, uint64_t now)
{
	uint64_t since = now - (in->aging_tsc - RTE_MIN(in->remaining_tsc, in->aging_tsc));
	uint32_t entry;
	int ret;

	ret = mac_table_learn(mt, in->bridge, in->vlan, &in->mac, in->port, in->aging_tsc, since,
			      &entry);
	return ret < 0 ? ret : 0;
}
