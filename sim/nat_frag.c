/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fragments through stateful NAT rules (sim/nat_frag.h): the table of
 * datagrams, an rte_hash from a datagram's key to its entry, and what the
 * walk does with it.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "nat_frag.h"
#include "waiting_room.h"

/* A full table looks this far for what is due before it refuses a header: bounded work. */
#define NAT_FRAG_FULL_SCAN 64
/* RFC 791 §3.1: the fragment offset counts 8-octet units. */
#define IP_FRAG_UNIT 8

static_assert(sizeof(struct nat_frag_key) == 20, "nat_frag_key has no hidden padding");

struct nat_frag_table {
	struct rte_hash *index;  /* key -> position, which is the entry's index */
	struct nat_frag *entries;
	uint32_t capacity;
	uint32_t count;
	uint32_t expire_next;    /* where the bounded expiry walk goes on */
	uint64_t timeout_tsc;
};

struct nat_frag_table *
nat_frag_table_create(const char *name, uint32_t capacity, uint32_t timeout_s, int socket_id)
{
	struct nat_frag_table *t = rte_zmalloc_socket(name, sizeof(*t), 0, socket_id);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct nat_frag_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		/* Positions stay below capacity: the count, not a bucket, is the bound. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->capacity = capacity;
	t->timeout_tsc = (uint64_t)timeout_s * rte_get_tsc_hz();
	t->index = rte_hash_create(&hp);
	t->entries = rte_zmalloc_socket(NULL, sizeof(*t->entries) * capacity, 0, socket_id);
	if (t->index == NULL || t->entries == NULL) {
		nat_frag_table_destroy(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	return t;
}

void
nat_frag_table_destroy(struct nat_frag_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->index);
	rte_free(t->entries);
	rte_free(t);
}

uint64_t
nat_frag_key_hash(const struct nat_frag_key *key)
{
	/* Two functions, as ct_key_hash: a second CRC would add no bits. */
	return (uint64_t)rte_jhash(key, sizeof(*key), 0x9e3779b9) << 32 |
	       rte_hash_crc(key, sizeof(*key), 0);
}

struct nat_frag *
nat_frag_find(struct nat_frag_table *t, const struct nat_frag_key *key)
{
	int32_t pos = rte_hash_lookup(t->index, key);

	return pos < 0 ? NULL : &t->entries[pos];
}

static void
forget(struct nat_frag_table *t, struct nat_frag *e)
{
	rte_hash_del_key(t->index, &e->key);
	e->used = false;
	t->count--;
}

struct nat_frag *
nat_frag_keep(struct nat_frag_table *t, const struct nat_frag_key *key, uint16_t tp_src,
	      uint16_t tp_dst, uint64_t now)
{
	struct nat_frag *e = nat_frag_find(t, key);
	int32_t pos;

	if (e == NULL) {
		if (t->count == t->capacity)
			nat_frag_expire(t, now, NAT_FRAG_FULL_SCAN);
		if (t->count == t->capacity || (pos = rte_hash_add_key(t->index, key)) < 0)
			return NULL;
		e = &t->entries[pos];
		memset(e, 0, sizeof(*e));
		e->key = *key;
		e->used = true;
		e->expires = now + t->timeout_tsc;
		t->count++;
	}
	/*
	 * Found: the same header walked again (it waited for a next hop or the
	 * state store), or another datagram that reuses the id within the
	 * timeout (RFC 4963).  Nothing tells them apart; the ports are the
	 * latest header's, and what was counted stays (a mixed count ends the
	 * entry early, and what then waits for a header is dropped, counted).
	 */
	e->tp_src = tp_src;
	e->tp_dst = tp_dst;
	return e;
}

bool
nat_frag_went(struct nat_frag_table *t, struct nat_frag *e, bool header, uint32_t offset,
	      uint32_t payload, bool more)
{
	if (header) {
		/* A duplicate of the header adds no bytes to the datagram. */
		if (e->header_counted)
			return false;
		e->header_counted = true;
	}
	e->bytes += payload;
	if (!more)
		e->total = offset + payload;
	/*
	 * Every byte went (duplicates may make it look so early: the rest then
	 * waits for a header that is gone, and is dropped, counted).
	 */
	if (!e->header_counted || e->total == 0 || e->bytes < e->total)
		return false;
	forget(t, e);
	return true;
}

unsigned int
nat_frag_expire(struct nat_frag_table *t, uint64_t now, unsigned int budget)
{
	unsigned int seen, expired = 0;

	for (seen = 0; seen < budget && t->count > 0; seen++) {
		struct nat_frag *e = &t->entries[t->expire_next];

		t->expire_next = t->expire_next + 1 < t->capacity ? t->expire_next + 1 : 0;
		if (e->used && now >= e->expires) {
			forget(t, e);
			expired++;
		}
	}
	return expired;
}

uint32_t
nat_frag_entries(const struct nat_frag_table *t)
{
	return t == NULL ? 0 : t->count;
}

/* ---- the walk ---- */

static const struct rte_ipv4_hdr *
walk_ipv4(const struct sim_ctx *c)
{
	return rte_pktmbuf_mtod_offset(c->m, const struct rte_ipv4_hdr *, c->meta->l3_ofs);
}

/*
 * The datagram of the walk's packet, by its headers as it came in: its
 * header and later fragments meet the rules with the same addresses only
 * there, before any rule rewrote them.
 */
static void
frag_key_of(const struct sim_ctx *c, struct nat_frag_key *key)
{
	const struct flow_key *k = &c->meta->key;

	memset(key, 0, sizeof(*key));
	memcpy(&key->src, k->nw_src, sizeof(key->src));
	memcpy(&key->dst, k->nw_dst, sizeof(key->dst));
	key->tun_id = k->tun_id;
	key->in_port = k->in_port;
	key->vlan = k->vlan_outer;
	key->ip_id = walk_ipv4(c)->packet_id;
	key->proto = k->nw_proto;
}

void
nat_frag_recall(struct sim_ctx *c)
{
	struct nat_frag_key key;
	struct nat_frag *e;

	if (nat_frag_entries(c->st->frags) == 0 || c->meta->key.l3_kind != FLOW_L3_IPV4 ||
	    c->meta->key.nw_frag != FLOW_FRAG_LATER)
		return;
	frag_key_of(c, &key);
	e = nat_frag_find(c->st->frags, &key);
	/* A header still being walked (waiting for the state store) is not followed yet. */
	if (e == NULL || !e->ready)
		return;
	c->cur.tp_src = e->tp_src;
	c->cur.tp_dst = e->tp_dst;
	c->frag_ports = true;
	/* The key has no IP id: the next datagram's fragment would find this walk's verdict. */
	c->res->cacheable = false;
	c->st->stats.nat_frag_followed++;
	sim_trace(c, "fragment: datagram id %u, walked with its header fragment's ports %u > %u",
		  rte_be_to_cpu_16(key.ip_id), e->tp_src, e->tp_dst);
}

void
nat_frag_header_met(struct sim_ctx *c)
{
	struct nat_frag_key key;
	struct nat_frag *e;

	/* Without a connection table NAT translates nothing (nat_apply): nothing to follow. */
	if (c->frag_header || c->frag_full || c->st->frags == NULL || c->st->ct == NULL ||
	    c->meta->key.l3_kind != FLOW_L3_IPV4 || c->meta->key.nw_frag != FLOW_FRAG_FIRST)
		return;
	/* Every datagram's header must come to the simulation to be remembered. */
	c->res->cacheable = false;
	frag_key_of(c, &key);
	e = nat_frag_keep(c->st->frags, &key, c->meta->key.tp_src, c->meta->key.tp_dst, c->now);
	if (e == NULL) {
		c->frag_full = true;
		return;
	}
	c->frag_header = true;
	sim_trace(c, "fragment: header of datagram id %u, remembered for its later fragments",
		  rte_be_to_cpu_16(key.ip_id));
}

/* Park the walk's packet until its header went through; false when it cannot wait. */
static bool
frag_wait(struct sim_ctx *c)
{
	struct sim_thread *st = c->st;
	struct sim_group one = {.pkts = {c->m}, .n = 1};
	uint64_t deadline = c->now + (uint64_t)NAT_FRAG_WAIT_MS * rte_get_tsc_hz() / 1000;
	struct nat_frag_key key;

	frag_key_of(c, &key);
	if (waiting_room_count(st->waiting, WAIT_NAT_FRAGMENT) >= NAT_FRAG_WAIT_MAX ||
	    waiting_room_park(st->waiting, WAIT_NAT_FRAGMENT, nat_frag_key_hash(&key), &one,
			      deadline, NULL) < 0)
		return false;
	c->res->consumed = true;
	sim_trace(c, "fragment: datagram id %u: its header fragment has not been seen; waits",
		  rte_be_to_cpu_16(key.ip_id));
	return true;
}

bool
nat_frag_ready(struct sim_ctx *c)
{
	/* Whatever the answer, it depends on the IP id, which the key does not have. */
	c->res->cacheable = false;
	if (c->cur.nw_frag == FLOW_FRAG_FIRST) {
		if (!c->frag_full)
			return true;
		sim_drop(c, DROP_NAT_FRAG_TABLE_FULL);
		return false;
	}
	if (c->frag_ports)
		return true;
	/* A made packet has no datagram to wait for (and is never a fragment). */
	if (c->emit_depth > 0)
		sim_drop(c, DROP_NAT_FRAG_NO_HEADER);
	else if (!frag_wait(c))
		sim_drop(c, DROP_WAITING_ROOM_FULL);
	return false;
}

void
nat_frag_walk_end(struct sim_ctx *c)
{
	struct sim_thread *st = c->st;
	const struct rte_ipv4_hdr *ip;
	struct nat_frag_key key;
	struct nat_frag *e;
	uint16_t field;

	/* A walk that waits for the state store is walked again: it decided nothing. */
	if ((!c->frag_header && !c->frag_ports) || c->res->need_state)
		return;
	frag_key_of(c, &key);
	e = nat_frag_find(st->frags, &key);
	if (e == NULL)
		return;
	if (c->frag_header && !e->ready) {
		e->ready = true;
		st->stats.nat_frag_kept++;
		/* Its later fragments that came first are walked again before the next burst. */
		waiting_room_wake_on(st->waiting, WAIT_NAT_FRAGMENT, nat_frag_key_hash(&key));
	}
	/* One that waits for a next hop is counted when it goes. */
	if (c->res->consumed)
		return;
	ip = walk_ipv4(c);
	field = rte_be_to_cpu_16(ip->fragment_offset);
	nat_frag_went(st->frags, e, c->frag_header,
		      (uint32_t)(field & RTE_IPV4_HDR_OFFSET_MASK) * IP_FRAG_UNIT,
		      (uint32_t)rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip),
		      (field & RTE_IPV4_HDR_MF_FLAG) != 0);
}

void
nat_frag_wait_expired(struct sim_thread *st, struct waiter *w)
{
	st->stats.drops[DROP_NAT_FRAG_NO_HEADER] += w->g.n;
	rte_pktmbuf_free_bulk(w->g.pkts, w->g.n);
}
