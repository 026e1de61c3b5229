/* SPDX-License-Identifier: Apache-2.0 */
/* Connection tracking (sim/conntrack.h): an rte_hash of 5-tuples and one slot per position. */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "conntrack.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

struct ct_entry {
	struct ct_key key;
	uint32_t flow_refs;
	uint64_t idle_since; /* tsc when flow_refs dropped to 0 (or creation) */
	bool used;
};

struct conntrack {
	struct rte_hash *index; /* ct_key -> entry position */
	struct ct_entry *entries;
	uint32_t capacity;
	uint32_t count;
	uint32_t expire_next;   /* where the bounded expiry walk goes on */
	uint64_t idle_tsc;
};

struct conntrack *
conntrack_create(const char *name, uint32_t capacity, uint32_t idle_s, int socket_id)
{
	struct conntrack *ct = rte_zmalloc_socket(name, sizeof(*ct), 0, socket_id);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
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
	ct->entries = rte_zmalloc_socket(NULL, sizeof(struct ct_entry) * (capacity + 1), 0,
					 socket_id);
	if (ct->index == NULL || ct->entries == NULL) {
		conntrack_destroy(ct);
		rte_errno = ENOMEM;
		return NULL;
	}
	return ct;
}

void
conntrack_destroy(struct conntrack *ct)
{
	if (ct == NULL)
		return;
	rte_hash_free(ct->index);
	rte_free(ct->entries);
	rte_free(ct);
}

/* Echo request and reply share a tuple: the request's type stands for both. */
static uint16_t
icmp_type_tracked(uint8_t proto, uint16_t type)
{
	if (proto == IPPROTO_ICMP && type == ICMP_ECHO_REPLY)
		return ICMP_ECHO_REQUEST;
	if (proto == IPPROTO_ICMPV6 && type == ICMP6_ECHO_REPLY)
		return ICMP6_ECHO_REQUEST;
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
	uint32_t lo = rte_hash_crc(key, sizeof(*key), 0);
	uint32_t hi = rte_hash_crc(key, sizeof(*key), 0x9e3779b9);

	return (uint64_t)hi << 32 | lo;
}

uint32_t
conntrack_lookup(const struct conntrack *ct, const struct ct_key *key)
{
	int32_t pos = rte_hash_lookup(ct->index, key);

	return pos < 0 ? CT_NO_ENTRY : (uint32_t)pos;
}

uint32_t
conntrack_add(struct conntrack *ct, const struct ct_key *key, uint64_t now)
{
	int32_t pos = rte_hash_add_key(ct->index, key);
	struct ct_entry *e;

	if (pos < 0)
		return CT_NO_ENTRY;
	e = &ct->entries[pos];
	if (!e->used) {
		e->used = true;
		e->key = *key;
		e->flow_refs = 0;
		ct->count++;
	}
	e->idle_since = now;
	return (uint32_t)pos;
}

void
conntrack_ref(struct conntrack *ct, uint32_t entry)
{
	if (entry < ct->capacity && ct->entries[entry].used)
		ct->entries[entry].flow_refs++;
}

void
conntrack_unref(struct conntrack *ct, uint32_t entry, uint64_t now)
{
	struct ct_entry *e;

	if (entry >= ct->capacity)
		return;
	e = &ct->entries[entry];
	if (!e->used || e->flow_refs == 0)
		return;
	if (--e->flow_refs == 0)
		e->idle_since = now;
}

unsigned int
conntrack_expire(struct conntrack *ct, uint64_t now, unsigned int budget, ct_expired_cb cb,
		 void *arg)
{
	unsigned int seen = 0, expired = 0;
	const void *key;
	void *data;
	int32_t pos;

	while (seen < budget) {
		pos = rte_hash_iterate(ct->index, &key, &data, &ct->expire_next);
		if (pos < 0) {
			ct->expire_next = 0;
			break;
		}
		seen++;
		struct ct_entry *e = &ct->entries[pos];

		if (!e->used || e->flow_refs != 0 || now - e->idle_since < ct->idle_tsc)
			continue;
		if (cb != NULL)
			cb(arg, &e->key);
		rte_hash_del_key(ct->index, &e->key);
		e->used = false;
		ct->count--;
		expired++;
	}
	return expired;
}

uint32_t
conntrack_count(const struct conntrack *ct)
{
	return ct == NULL ? 0 : ct->count;
}

void
conntrack_flush(struct conntrack *ct)
{
	rte_hash_reset(ct->index);
	memset(ct->entries, 0, sizeof(*ct->entries) * (ct->capacity + 1));
	ct->count = 0;
	ct->expire_next = 0;
}
