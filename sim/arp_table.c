/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "arp_table.h"
#include "table_memsize.h"

struct arp_key {
	uint32_t router;
	uint8_t addr[NEIGH_ADDR_LEN];
};

struct arp_table {
	struct rte_hash *index; /* arp_key -> position in entries */
	struct arp_entry *entries;
	uint32_t capacity;
};

struct arp_table *
arp_table_create(const char *name, uint32_t capacity, int socket_id)
{
	struct arp_table *at = rte_zmalloc_socket(name, sizeof(*at), 0, socket_id);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct arp_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (at == NULL)
		return NULL;
	at->capacity = capacity;
	at->index = rte_hash_create(&hp);
	at->entries = rte_zmalloc_socket(NULL, sizeof(struct arp_entry) * (capacity + 1), 0,
					 socket_id);
	if (at->index == NULL || at->entries == NULL) {
		arp_table_destroy(at);
		rte_errno = ENOMEM;
		return NULL;
	}
	return at;
}

uint64_t
arp_table_memsize(uint32_t capacity)
{
	return sizeof(struct arp_table) + hash_memsize(capacity, sizeof(struct arp_key), true) +
	       ((uint64_t)capacity + 1) * sizeof(struct arp_entry);
}

void
arp_table_destroy(struct arp_table *at)
{
	if (at == NULL)
		return;
	rte_hash_free(at->index);
	rte_free(at->entries);
	rte_free(at);
}

struct arp_entry *
arp_table_find(struct arp_table *at, uint32_t router, const uint8_t addr[NEIGH_ADDR_LEN])
{
	struct arp_key k = {.router = router};
	int32_t pos;

	memcpy(k.addr, addr, NEIGH_ADDR_LEN);
	pos = rte_hash_lookup(at->index, &k);
	return pos < 0 ? NULL : &at->entries[pos];
}

struct arp_entry *
arp_table_get(struct arp_table *at, uint32_t router, const uint8_t addr[NEIGH_ADDR_LEN],
	      uint32_t port)
{
	struct arp_key k = {.router = router};
	struct arp_entry *e;
	int32_t pos;

	memcpy(k.addr, addr, NEIGH_ADDR_LEN);
	pos = rte_hash_lookup(at->index, &k);

	if (pos >= 0)
		return &at->entries[pos];
	pos = rte_hash_add_key(at->index, &k);
	if (pos < 0 || (uint32_t)pos > at->capacity)
		return NULL;
	e = &at->entries[pos];
	memset(e, 0, sizeof(*e));
	e->router = router;
	memcpy(e->addr, addr, NEIGH_ADDR_LEN);
	e->port = port;
	return e;
}

void
arp_table_delete(struct arp_table *at, struct arp_entry *e)
{
	struct arp_key k = {.router = e->router};

	memcpy(k.addr, e->addr, NEIGH_ADDR_LEN);
	e->n_queued = 0;
	rte_hash_del_key(at->index, &k);
}

int
arp_table_iterate(struct arp_table *at, uint32_t *next, struct arp_entry **e)
{
	const void *key;
	void *data;
	int32_t pos = rte_hash_iterate(at->index, &key, &data, next);

	if (pos < 0)
		return -ENOENT;
	*e = &at->entries[pos];
	return 0;
}

uint32_t
arp_table_count(const struct arp_table *at)
{
	int32_t n = rte_hash_count(at->index);

	return n < 0 ? 0 : (uint32_t)n;
}

void
arp_table_flush(struct arp_table *at)
{
	rte_hash_reset(at->index);
}
