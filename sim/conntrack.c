/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection state (sim/conntrack.h): an rte_hash from 5-tuples to entries,
 * a connection filed under one key and a NAT binding under two.
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "conntrack.h"
#include "table_memsize.h"


struct ct_entry {
	struct ct_key keys[2]; /* a connection has one, a NAT binding two */
	struct ct_nat nat;
	uint32_t flow_refs;
	uint64_t idle_since; /* tsc when flow_refs dropped to 0 (or creation) */
	uint64_t written_at; /* tsc of its last write to the state store (or import from it) */
	uint8_t n_keys;      /* 0: the slot is free */
};

struct conntrack {
	struct rte_hash *index; /* ct_key -> entry number (as the key's data) */
	struct ct_entry *entries;
	uint32_t *free;         /* free entry numbers, a stack */
	uint32_t n_free;
	uint32_t capacity;
	uint32_t count;
	uint32_t nat_count;
	uint32_t expire_next;   /* where the bounded expiry walk goes on */
	uint32_t refresh_next;  /* where the bounded refresh walk goes on */
	uint64_t idle_tsc;
};

struct conntrack *
conntrack_create(const char *name, uint32_t capacity, uint32_t idle_s, int socket_id)
{
	struct conntrack *ct = rte_zmalloc_socket(name, sizeof(*ct), 0, socket_id);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity * 2,
		.key_len = sizeof(struct ct_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (ct == NULL)
		return NULL;
	ct->capacity = capacity;
	ct->idle_tsc = (uint64_t)idle_s * rte_get_tsc_hz();
	ct->index = rte_hash_create(&hp);
	ct->entries = rte_zmalloc_socket(NULL, sizeof(struct ct_entry) * capacity, 0, socket_id);
	ct->free = rte_malloc_socket(NULL, sizeof(uint32_t) * capacity, 0, socket_id);
	if (ct->index == NULL || ct->entries == NULL || ct->free == NULL) {
		conntrack_destroy(ct);
		rte_errno = ENOMEM;
		return NULL;
	}
	conntrack_flush(ct);
	return ct;
}

uint64_t
conntrack_memsize(uint32_t capacity)
{
	return sizeof(struct conntrack) +
	       hash_memsize((uint64_t)capacity * 2, sizeof(struct ct_key), true) +
	       (uint64_t)capacity * (sizeof(struct ct_entry) + sizeof(uint32_t));
}

void
conntrack_destroy(struct conntrack *ct)
{
	if (ct == NULL)
		return;
	rte_hash_free(ct->index);
	rte_free(ct->entries);
	rte_free(ct->free);
	rte_free(ct);
}

/* Echo request and reply share a tuple: the request's type stands for both. */
static uint16_t
icmp_type_tracked(uint8_t proto, uint16_t type)
{
	if (proto == IPPROTO_ICMP && type == FLOW_ICMP_ECHO_REPLY)
		return FLOW_ICMP_ECHO_REQUEST;
	if (proto == IPPROTO_ICMPV6 && type == FLOW_ICMP6_ECHO_REPLY)
		return FLOW_ICMP6_ECHO_REQUEST;
	return type;
}

bool
ct_key_of(const struct flow_key *k, bool reverse, struct ct_key *out)
{
	bool icmp = k->nw_proto == IPPROTO_ICMP || k->nw_proto == IPPROTO_ICMPV6;

	if (k->l3_kind != FLOW_L3_IPV4 && k->l3_kind != FLOW_L3_IPV6)
		return false;
	memset(out, 0, sizeof(*out));
	out->v6 = k->l3_kind == FLOW_L3_IPV6;
	out->proto = k->nw_proto;
	memcpy(out->src, reverse ? k->nw_dst : k->nw_src, sizeof(out->src));
	memcpy(out->dst, reverse ? k->nw_src : k->nw_dst, sizeof(out->dst));
	if (icmp) {
		out->sport = icmp_type_tracked(k->nw_proto, k->tp_src);
		out->dport = k->tp_dst; /* the code, or echo's identifier */
	} else {
		out->sport = reverse ? k->tp_dst : k->tp_src;
		out->dport = reverse ? k->tp_src : k->tp_dst;
	}
	return true;
}

uint64_t
ct_key_hash(const struct ct_key *key)
{
	/*
	 * Two different functions: CRC is linear, so a second CRC with another
	 * seed differs from the first by a constant and adds no bits; tags of
	 * 100 K connections would then collide (32 bits, the birthday bound).
	 */
	uint32_t lo = rte_hash_crc(key, sizeof(*key), 0);
	uint32_t hi = rte_jhash(key, sizeof(*key), 0x9e3779b9);

	return (uint64_t)hi << 32 | lo;
}

void
ct_key_reverse(const struct ct_key *key, struct ct_key *out)
{
	*out = *key;
	memcpy(out->src, key->dst, sizeof(out->src));
	memcpy(out->dst, key->src, sizeof(out->dst));
	if (key->proto != IPPROTO_ICMP && key->proto != IPPROTO_ICMPV6) {
		out->sport = key->dport;
		out->dport = key->sport;
	}
}

uint32_t
conntrack_lookup(const struct conntrack *ct, const struct ct_key *key)
{
	void *data;

	if (rte_hash_lookup_data(ct->index, key, &data) < 0)
		return CT_NO_ENTRY;
	return (uint32_t)(uintptr_t)data;
}

/* A free entry holding the keys, filed under each; CT_NO_ENTRY if full. */
static uint32_t
entry_add(struct conntrack *ct, const struct ct_key *keys, uint8_t n_keys, uint64_t now)
{
	struct ct_entry *e;
	uint32_t id;
	uint8_t i;

	if (ct->n_free == 0)
		return CT_NO_ENTRY;
	id = ct->free[ct->n_free - 1];
	for (i = 0; i < n_keys; i++) {
		if (rte_hash_add_key_data(ct->index, &keys[i], (void *)(uintptr_t)id) < 0) {
			while (i-- > 0)
				rte_hash_del_key(ct->index, &keys[i]);
			return CT_NO_ENTRY;
		}
	}
	ct->n_free--;
	e = &ct->entries[id];
	memset(e, 0, sizeof(*e));
	memcpy(e->keys, keys, n_keys * sizeof(*keys));
	e->n_keys = n_keys;
	e->idle_since = now;
	ct->count++;
	return id;
}

uint32_t
conntrack_add(struct conntrack *ct, const struct ct_key *key, uint64_t now)
{
	uint32_t id = conntrack_lookup(ct, key);

	if (id != CT_NO_ENTRY) {
		ct->entries[id].idle_since = now;
		return id;
	}
	return entry_add(ct, key, 1, now);
}

uint32_t
conntrack_add_nat(struct conntrack *ct, const struct ct_key *fwd, const struct ct_key *rev,
		  const struct ct_nat *nat, uint64_t now)
{
	struct ct_key keys[2] = {*fwd, *rev};
	uint32_t id;

	if (conntrack_lookup(ct, fwd) != CT_NO_ENTRY || conntrack_lookup(ct, rev) != CT_NO_ENTRY)
		return CT_NO_ENTRY;
	id = entry_add(ct, keys, 2, now);
	if (id != CT_NO_ENTRY) {
		ct->entries[id].nat = *nat;
		ct->nat_count++;
	}
	return id;
}

const struct ct_nat *
conntrack_nat(const struct conntrack *ct, uint32_t entry)
{
	return &ct->entries[entry].nat;
}

void
conntrack_ref(struct conntrack *ct, uint32_t entry)
{
	if (entry < ct->capacity && ct->entries[entry].n_keys != 0)
		ct->entries[entry].flow_refs++;
}

void
conntrack_touch(struct conntrack *ct, uint32_t entry, uint64_t now)
{
	/* One a flow holds starts its idle clock when the last flow goes (conntrack_unref). */
	if (entry < ct->capacity && ct->entries[entry].n_keys != 0 &&
	    ct->entries[entry].flow_refs == 0)
		ct->entries[entry].idle_since = now;
}

void
conntrack_unref(struct conntrack *ct, uint32_t entry, uint64_t now)
{
	struct ct_entry *e;

	if (entry >= ct->capacity)
		return;
	e = &ct->entries[entry];
	if (e->n_keys == 0 || e->flow_refs == 0)
		return;
	if (--e->flow_refs == 0)
		e->idle_since = now;
}

unsigned int
conntrack_expire(struct conntrack *ct, uint64_t now, unsigned int budget, ct_expired_cb cb,
		 void *arg)
{
	unsigned int seen, expired = 0;
	uint8_t i;

	for (seen = 0; seen < budget && ct->count > 0; seen++) {
		struct ct_entry *e = &ct->entries[ct->expire_next];
		uint32_t id = ct->expire_next;

		ct->expire_next = ct->expire_next + 1 < ct->capacity ? ct->expire_next + 1 : 0;
		if (e->n_keys == 0 || e->flow_refs != 0 || now - e->idle_since < ct->idle_tsc)
			continue;
		for (i = 0; i < e->n_keys; i++) {
			if (cb != NULL)
				cb(arg, &e->keys[i]);
			rte_hash_del_key(ct->index, &e->keys[i]);
		}
		if (e->n_keys == 2)
			ct->nat_count--;
		e->n_keys = 0;
		ct->free[ct->n_free++] = id;
		ct->count--;
		expired++;
	}
	return expired;
}

uint32_t
conntrack_count(const struct conntrack *ct)
{
	return ct == NULL ? 0 : ct->count - ct->nat_count;
}

uint32_t
conntrack_nat_count(const struct conntrack *ct)
{
	return ct == NULL ? 0 : ct->nat_count;
}

void
conntrack_flush(struct conntrack *ct)
{
	uint32_t i;

	rte_hash_reset(ct->index);
	memset(ct->entries, 0, sizeof(*ct->entries) * ct->capacity);
	/* Handed out from the low numbers first: the expiry walk finds them together. */
	for (i = 0; i < ct->capacity; i++)
		ct->free[i] = ct->capacity - 1 - i;
	ct->n_free = ct->capacity;
	ct->count = 0;
	ct->nat_count = 0;
	ct->expire_next = 0;
	ct->refresh_next = 0;
}

void
conntrack_entry_read(const struct conntrack *ct, uint32_t entry, struct ct_key *keys,
		     uint8_t *n_keys, struct ct_nat *nat)
{
	const struct ct_entry *e = &ct->entries[entry];

	memcpy(keys, e->keys, e->n_keys * sizeof(*keys));
	*n_keys = e->n_keys;
	*nat = e->nat;
}

void
conntrack_written(struct conntrack *ct, uint32_t entry, uint64_t now)
{
	if (entry < ct->capacity)
		ct->entries[entry].written_at = now;
}

unsigned int
conntrack_refresh(struct conntrack *ct, uint64_t now, uint64_t interval, uint64_t since,
		  unsigned int budget, ct_refresh_cb cb, void *arg)
{
	unsigned int seen, n = 0;

	for (seen = 0; seen < budget && seen < ct->capacity && ct->count > 0; seen++) {
		struct ct_entry *e = &ct->entries[ct->refresh_next];
		uint32_t id = ct->refresh_next;

		ct->refresh_next = ct->refresh_next + 1 < ct->capacity ? ct->refresh_next + 1 : 0;
		/* In use: a flow holds it, or it is not yet idle long enough to be forgotten. */
		if (e->n_keys == 0 || (e->flow_refs == 0 && now - e->idle_since >= ct->idle_tsc))
			continue;
		if (e->written_at >= since && now - e->written_at < interval)
			continue;
		if (!cb(arg, id))
			break;
		e->written_at = now;
		n++;
	}
	return n;
}

uint32_t
conntrack_next(const struct conntrack *ct, uint32_t *cursor)
{
	while (*cursor < ct->capacity) {
		uint32_t id = (*cursor)++;

		if (ct->entries[id].n_keys != 0)
			return id;
	}
	return CT_NO_ENTRY;
}

uint64_t
conntrack_remaining(const struct conntrack *ct, uint32_t entry, uint64_t now)
{
	const struct ct_entry *e = &ct->entries[entry];
	uint64_t idle = now - e->idle_since;

	if (e->flow_refs != 0)
		return ct->idle_tsc;
	return idle >= ct->idle_tsc ? 0 : ct->idle_tsc - idle;
}

uint32_t
conntrack_restore(struct conntrack *ct, const struct ct_key *keys, uint8_t n_keys,
		  const struct ct_nat *nat, uint64_t remaining, uint64_t now)
{
	/* Idle since as long ago as makes it expire remaining from now. */
	uint64_t since = now - (ct->idle_tsc - RTE_MIN(remaining, ct->idle_tsc));
	uint32_t id;

	if (n_keys == 2)
		return conntrack_add_nat(ct, &keys[0], &keys[1], nat, since);
	if (n_keys != 1 || conntrack_lookup(ct, &keys[0]) != CT_NO_ENTRY)
		return CT_NO_ENTRY;
	id = entry_add(ct, keys, 1, since);
	return id;
}
