/* SPDX-License-Identifier: Apache-2.0 */
/* The simulation's side of shared state (sim/shared_state.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "flow_tags.h"
#include "router.h"
#include "shared_state.h"

struct sim_shared *
sim_shared_create(struct state_sync *sync, const char *host_id)
{
	struct sim_shared *sh = rte_zmalloc("sim_shared", sizeof(*sh), 0);
	uint64_t ms = rte_get_tsc_hz() / 1000;

	if (sh == NULL)
		return NULL;
	sh->sync = sync;
	snprintf(sh->host_id, sizeof(sh->host_id), "%s", host_id);
	/* Three writes per TTL: one lost write (ring full, store away) never lets it lapse. */
	sh->refresh_tsc = (uint64_t)sync->ttl_ms / 3 * ms;
	sh->wait_tsc = (uint64_t)sync->wait_ms * ms;
	return sh;
}

void
sim_shared_destroy(struct sim_shared *sh)
{
	/* Its waiting packets are the waiting room's, freed with it. */
	rte_free(sh);
}

/* The id of the device a NAT key's device field names ("" for connections). */
static const char *
device_id(const struct topology *t, uint32_t device)
{
	uint32_t idx = device & 0x7fffffffu;

	if (device == 0 || device == UINT32_MAX)
		return "";
	if (device & 0x80000000u)
		return idx < t->n_routers ? t->routers[idx].id : "";
	return idx < t->n_bridges ? t->bridges[idx].id : "";
}

static bool
asked_before(const struct sim_shared *sh, uint64_t what)
{
	const union wait_context *p = sh->resume;
	uint8_t i;

	for (i = 0; p != NULL && i < p->state.n_asked; i++)
		if (p->state.asked[i] == what)
			return true;
	return false;
}

/* May this walk stop to ask the store? */
static bool
may_ask(const struct sim_ctx *c)
{
	const struct sim_shared *sh = c->st->shared;

	return sh != NULL && !sh->asks_off && c->emit_depth == 0 && !c->res->need_state &&
	       !c->res->consumed &&
	       (sh->resume == NULL || sh->resume->state.n_asked < SIM_ASKED_MAX);
}

bool
sim_state_ask(struct sim_ctx *c, const struct ct_key *key)
{
	struct sim_shared *sh = c->st->shared;
	struct state_query *q = &c->res->ask;

	if (!c->stateful_in || sh == NULL)
		return false;
	/*
	 * Asked and not found, or not asked (the store away, no slot): the miss
	 * stands for this packet only.  Cached, it would outlive the state
	 * arriving in the store, and nothing here would notice.
	 */
	if (!may_ask(c) || asked_before(sh, ct_key_hash(key))) {
		c->res->cacheable = false;
		return false;
	}
	memset(q, 0, sizeof(*q));
	q->kind = STATE_QUERY_LOOKUP;
	q->key = *key;
	snprintf(q->device, sizeof(q->device), "%s", device_id(c->t, key->device));
	c->res->need_state = true;
	c->res->ask_lease_set = -1;
	c->res->cacheable = false;
	sim_trace(c, "state: not known here; asking the state store (stateful port group)");
	return true;
}

void
sim_state_created(struct sim_ctx *c, uint32_t entry)
{
	struct sim_result *res = c->res;

	if (c->st->shared == NULL || res->n_created == FLOW_OWNER_STATE)
		return;
	res->created[res->n_created++] = entry;
}

static bool
write_queue(struct sim_shared *sh, const struct state_write *w)
{
	if (rte_ring_mp_enqueue_elem(sh->sync->writes, (void *)(uintptr_t)w, sizeof(*w)) != 0) {
		sh->stats.writes_lost++;
		return false;
	}
	sh->stats.writes_queued++;
	return true;
}

/* A connection or binding entry, as the store keeps it. */
static bool
write_entry(struct sim_thread *st, uint32_t entry, bool sync, uint16_t slot, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	struct state_write w;
	uint8_t n_keys;

	memset(&w, 0, offsetof(struct state_write, ct));
	conntrack_entry_read(st->ct, entry, w.ct.key, &n_keys, &w.ct.nat);
	w.kind = n_keys == 2 ? STATE_WRITE_NAT : STATE_WRITE_CONN;
	w.sync = sync;
	w.slot = slot;
	w.ttl_ms = sh->sync->ttl_ms;
	snprintf(w.device, sizeof(w.device), "%s", device_id(st->topo, w.ct.key[0].device));
	if (!write_queue(sh, &w))
		return false;
	conntrack_written(st->ct, entry, now);
	return true;
}

/* A learned MAC (port set) or a resolved neighbour (ip set) of device. */
static bool
write_l2(struct sim_shared *sh, uint8_t kind, const char *device, const struct rte_ether_addr *mac,
	 rte_be32_t ip, const char *port, bool sync, uint16_t slot)
{
	struct state_write w;

	memset(&w, 0, sizeof(w));
	w.kind = kind;
	w.sync = sync;
	w.slot = slot;
	w.ttl_ms = sh->sync->mac_ttl_ms;
	snprintf(w.device, sizeof(w.device), "%s", device);
	w.l2.mac = *mac;
	w.l2.ip = ip;
	if (port != NULL)
		snprintf(w.l2.port, sizeof(w.l2.port), "%s", port);
	return write_queue(sh, &w);
}

void
sim_state_mac(struct sim_ctx *c, const struct topo_bridge *b, const struct rte_ether_addr *mac,
	      const struct topo_port *port)
{
	struct sim_shared *sh = c->st->shared;
	struct sim_result *res = c->res;

	if (sh == NULL)
		return;
	/*
	 * Another host may answer this frame: the MAC must be stored before the
	 * frame leaves, or the answer would be flooded (sim_state_after_walk).
	 */
	if (!res->mac_shared && b->spans_hosts) {
		res->mac_shared = true;
		res->mac_bridge = b->index;
		res->mac_port = port->index;
		res->mac = *mac;
		return;
	}
	write_l2(sh, STATE_WRITE_MAC, b->id, mac, 0, port->id, false, 0);
}

void
sim_state_arp(struct sim_ctx *c, const struct topo_router *r, rte_be32_t ip,
	      const struct rte_ether_addr *mac)
{
	if (c->st->shared != NULL)
		write_l2(c->st->shared, STATE_WRITE_ARP, r->id, mac, ip, NULL, false, 0);
}

/* What a lookup of mac on bridge is noted as, once asked. */
static uint64_t
mac_asked(uint32_t bridge, const struct rte_ether_addr *mac)
{
	return tag_mac(bridge, mac);
}

bool
sim_state_ask_mac(struct sim_ctx *c, const struct topo_bridge *b, const struct rte_ether_addr *mac)
{
	struct sim_shared *sh = c->st->shared;
	struct state_query *q = &c->res->ask;

	/*
	 * Not asked, or not found: the frame is flooded, and that flood may be
	 * cached.  Unlike a missed connection it is not wrong, only wider: the
	 * copy to the MAC's host reaches it, and a MAC learned here later
	 * replaces the flow (tag_mac).
	 */
	/* Only a bridge with a port on another host may have MACs only another host knows. */
	if (sh == NULL || !b->spans_hosts || !may_ask(c) ||
	    asked_before(sh, mac_asked(b->index, mac)))
		return false;
	memset(q, 0, sizeof(*q));
	q->kind = STATE_QUERY_LOOKUP_MAC;
	q->device_index = b->index;
	q->mac = *mac;
	snprintf(q->device, sizeof(q->device), "%s", b->id);
	c->res->need_state = true;
	c->res->ask_lease_set = -1;
	c->res->cacheable = false;
	sim_trace(c, "state: destination not learned here; asking the state store (bridge spans "
		  "hosts)");
	return true;
}

/* What a lookup of neighbour ip of router is noted as, once asked. */
static uint64_t
arp_asked(uint32_t router, rte_be32_t ip)
{
	return tag_arp(router, ip);
}

bool
sim_state_ask_arp(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *out,
		  rte_be32_t ip)
{
	struct sim_shared *sh = c->st->shared;
	struct state_query *q = &c->res->ask;

	/* Not asked, or not found: this host sends its own ARP request, as without a store. */
	if (sh == NULL || !may_ask(c) || asked_before(sh, arp_asked(r->index, ip)))
		return false;
	memset(q, 0, sizeof(*q));
	q->kind = STATE_QUERY_LOOKUP_ARP;
	q->device_index = r->index;
	q->ip = ip;
	q->port_index = out->index;
	snprintf(q->device, sizeof(q->device), "%s", r->id);
	c->res->need_state = true;
	c->res->ask_lease_set = -1;
	sim_trace(c, "state: next hop not resolved here; asking the state store");
	return true;
}

/* ---- SNAT blocks ---- */

static struct snat_lease_set *
lease_set_find(struct sim_shared *sh, uint32_t device, uint32_t addr, bool create)
{
	struct snat_lease_set *s;
	uint32_t i;

	for (i = 0; i < sh->n_leases; i++)
		if (sh->leases[i].device == device && sh->leases[i].addr == addr)
			return &sh->leases[i];
	if (!create || sh->n_leases == SIM_LEASE_SETS)
		return NULL;
	s = &sh->leases[sh->n_leases++];
	memset(s, 0, sizeof(*s));
	s->device = device;
	s->addr = addr;
	return s;
}

static bool
block_owned(const struct snat_lease_set *s, uint32_t block)
{
	return s->owned[block / 64] >> (block % 64) & 1;
}

/* A free port of the blocks of s within [lo, hi], from a point h picks. */
static int
pick_in_set(struct sim_ctx *c, const struct snat_lease_set *s, const struct ct_key *t,
	    uint16_t lo, uint16_t hi, uint64_t h,
	    bool (*free_fn)(struct sim_ctx *, const struct ct_key *, rte_be32_t, uint16_t),
	    uint16_t *port)
{
	uint32_t b_lo = lo / SNAT_BLOCK_PORTS, b_hi = hi / SNAT_BLOCK_PORTS;
	uint32_t nb = b_hi - b_lo + 1, bi, pi;

	if (s->n_owned == 0)
		return -ENOENT;
	for (bi = 0; bi < nb; bi++) {
		uint32_t b = b_lo + (uint32_t)((h >> 20) + bi) % nb;
		uint32_t p_lo = RTE_MAX((uint32_t)lo, b * SNAT_BLOCK_PORTS);
		uint32_t p_hi = RTE_MIN((uint32_t)hi, b * SNAT_BLOCK_PORTS + SNAT_BLOCK_PORTS - 1);
		uint32_t np = p_hi - p_lo + 1;

		if (!block_owned(s, b))
			continue;
		for (pi = 0; pi < np; pi++) {
			uint16_t p = (uint16_t)(p_lo + (uint32_t)(h + pi) % np);

			if (free_fn(c, t, rte_cpu_to_be_32(s->addr), p)) {
				*port = p;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int
sim_state_snat_pick(struct sim_ctx *c, const struct topo_rule *r, const struct ct_key *t,
		    bool (*free_fn)(struct sim_ctx *, const struct ct_key *, rte_be32_t, uint16_t),
		    rte_be32_t *addr, uint16_t *port)
{
	struct sim_shared *sh = c->st->shared;
	uint64_t h = rte_hash_crc(t, sizeof(*t), 0);
	const struct topo_nat_target *want = NULL;
	struct snat_lease_set *s;
	struct state_query *q;
	uint32_t ti, ai;

	for (ti = 0; ti < r->n_nat_targets; ti++) {
		const struct topo_nat_target *tg = &r->nat_targets[(h + ti) % r->n_nat_targets];
		uint32_t naddr = tg->addr_hi - tg->addr_lo + 1;

		if (tg->port_lo == 0)
			continue;
		if (want == NULL)
			want = tg;
		for (ai = 0; ai < naddr; ai++) {
			uint32_t a = tg->addr_lo + (uint32_t)((h >> 8) + ai) % naddr;

			s = lease_set_find(sh, t->device, a, false);
			if (s != NULL && pick_in_set(c, s, t, tg->port_lo, tg->port_hi, h, free_fn,
						     port) == 0) {
				*addr = rte_cpu_to_be_32(a);
				return 0;
			}
		}
	}
	if (want == NULL)
		return -ENOSPC;
	/* No free port in what this host holds: ask for a block of the first target. */
	s = lease_set_find(sh, t->device, want->addr_lo, true);
	if (s == NULL || !may_ask(c) || asked_before(sh, SIM_ASKED_LEASE(s - sh->leases))) {
		/* A block may be had later: this drop is not cached. */
		c->res->cacheable = false;
		return -ENOSPC;
	}
	q = &c->res->ask;
	memset(q, 0, sizeof(*q));
	q->kind = STATE_QUERY_LEASE;
	snprintf(q->device, sizeof(q->device), "%s", device_id(c->t, t->device));
	q->addr_lo = want->addr_lo;
	q->addr_hi = want->addr_hi;
	q->port_lo = want->port_lo;
	q->port_hi = want->port_hi;
	q->device_index = t->device;
	c->res->need_state = true;
	c->res->ask_lease_set = (int16_t)(s - sh->leases);
	c->res->cacheable = false;
	sim_trace(c, "nat: no free port in the blocks this host holds; leasing a block");
	return -EAGAIN;
}

/* ---- parking ---- */

static void
write_mac_learned(struct sim_thread *st, const struct sim_result *res, bool sync, uint16_t slot)
{
	const struct topology *t = st->topo;

	write_l2(st->shared, STATE_WRITE_MAC, t->bridges[res->mac_bridge].id, &res->mac, 0,
		 t->ports[res->mac_port].id, sync, slot);
}

/* What a lookup is noted as in a parked slot, never to be asked again for it. */
static uint64_t
query_noted(const struct state_query *q)
{
	switch (q->kind) {
	case STATE_QUERY_LOOKUP_MAC:
		return mac_asked(q->device_index, &q->mac);
	case STATE_QUERY_LOOKUP_ARP:
		return arp_asked(q->device_index, q->ip);
	default:
		return ct_key_hash(&q->key);
	}
}

/* The group waits for the store: returns its index in the waiting room, or -ENOSPC. */
static int
park(struct sim_thread *st, const struct sim_group *g, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	union wait_context ctx = {.state = {.lease_set = -1}};
	int slot;

	/* What the walk that parked it asked before, it does not ask again. */
	if (sh->resume != NULL) {
		memcpy(ctx.state.asked, sh->resume->state.asked, sizeof(ctx.state.asked));
		ctx.state.n_asked = sh->resume->state.n_asked;
	}
	slot = waiting_room_park(st->waiting, WAIT_SHARED_STATE, 0, g, now + sh->wait_tsc, &ctx);
	if (slot < 0)
		return slot;
	__atomic_store_n(&sh->n_parked, sh->n_parked + 1, __ATOMIC_RELAXED);
	sh->stats.parked += g->n;
	return slot;
}

/* The waiter the store's answer names (its query's slot), if it still waits. */
static struct waiter *
parked(struct sim_thread *st, uint32_t slot)
{
	return waiting_room_get(st->waiting, WAIT_SHARED_STATE, slot);
}

static void
ask_noted(struct waiter *w, uint64_t what)
{
	if (w->ctx.state.n_asked < SIM_ASKED_MAX)
		w->ctx.state.asked[w->ctx.state.n_asked++] = what;
}

bool
sim_state_after_walk(struct sim_thread *st, struct sim_group *g, const struct sim_result *res,
		     uint64_t now)
{
	struct sim_shared *sh = st->shared;
	struct state_query q;
	bool sync;
	int slot = -1;
	uint8_t i;

	if (res->need_state) {
		/*
		 * What the walk made before it stopped (a MAC learned, a NAT
		 * binding before an unresolved next hop) is found, not made, when
		 * it is walked again: write it now.  Written ahead of the query,
		 * it is stored before the answer lets the packet go (the state
		 * thread sends writes before queries, on one connection).
		 */
		if (res->mac_shared)
			write_mac_learned(st, res, false, 0);
		for (i = 0; i < res->n_created; i++)
			write_entry(st, res->created[i], false, 0, now);
		slot = park(st, g, now);
		if (slot < 0) {
			sh->stats.park_full += g->n;
			return false;
		}
		q = res->ask;
		q.slot = (uint16_t)slot;
		if (res->ask_lease_set >= 0) {
			struct snat_lease_set *s = &sh->leases[res->ask_lease_set];

			/*
			 * Not noted as asked: a block granted may go to the others
			 * waiting, and this one may ask again.  A refusal is noted.
			 */
			parked(st, (uint32_t)slot)->ctx.state.lease_set = res->ask_lease_set;
			/* One query per set at a time: the others wait for its answer. */
			if (s->asking)
				return true;
			s->asking = true;
		} else {
			ask_noted(parked(st, (uint32_t)slot), query_noted(&q));
		}
		if (rte_ring_mp_enqueue_elem(sh->sync->queries, &q, sizeof(q)) != 0) {
			/* Nobody will answer: its deadline wakes it, the miss standing. */
			sh->stats.queries_lost++;
			if (res->ask_lease_set >= 0)
				sh->leases[res->ask_lease_set].asking = false;
		} else {
			sh->stats.queries_queued++;
		}
		return true;
	}
	/* Its state must be stored before the first packet goes: park until it is. */
	sync = (res->stateful && res->cacheable) || res->mac_shared;
	if (sync) {
		slot = park(st, g, now);
		sync = slot >= 0;
		if (!sync)
			sh->stats.park_full += g->n;
	}
	/*
	 * The last write answers: the store takes them in order, so the slot
	 * wakes when all are stored.  A write lost (ring full) leaves the slot
	 * to its deadline.
	 */
	if (res->mac_shared)
		write_mac_learned(st, res, sync && res->n_created == 0,
				  (uint16_t)(slot < 0 ? 0 : slot));
	for (i = 0; i < res->n_created; i++)
		write_entry(st, res->created[i], sync && i + 1 == res->n_created,
			    (uint16_t)(slot < 0 ? 0 : slot), now);
	return sync;
}

struct lease_wake {
	struct sim_thread *st;
	const struct state_answer *a;
};

/* Is w waiting for a block of the answer's router?  A refusal is noted: not asked again. */
static bool
waits_for_lease_of(struct waiter *w, void *arg)
{
	struct lease_wake *lw = arg;
	struct sim_shared *sh = lw->st->shared;
	int16_t set = w->ctx.state.lease_set;

	if (set < 0 || sh->leases[set].device != lw->a->device_index)
		return false;
	if (lw->a->status != STATE_OK)
		ask_noted(w, SIM_ASKED_LEASE(set));
	__atomic_store_n(&sh->n_parked, sh->n_parked - 1, __ATOMIC_RELAXED);
	return true;
}

/* The store answered (or will not): the group is walked again at the thread's next poll. */
static void
wake(struct sim_thread *st, struct waiter *w)
{
	struct sim_shared *sh = st->shared;

	__atomic_store_n(&sh->n_parked, sh->n_parked - 1, __ATOMIC_RELAXED);
	waiting_room_wake(st->waiting, w);
}

void
sim_state_resume(struct sim_thread *st, struct waiter *w, uint64_t now)
{
	struct sim_shared *sh = st->shared;

	sh->resume = &w->ctx;
	sim_group_handle(st, &w->g, NULL, now);
	sh->resume = NULL;
}

/* No answer in time: walked again, the miss standing; a lease it waited for may be asked again. */
void
sim_state_wait_expired(struct sim_thread *st, struct waiter *w, uint64_t now)
{
	struct sim_shared *sh = st->shared;

	__atomic_store_n(&sh->n_parked, sh->n_parked - 1, __ATOMIC_RELAXED);
	sh->stats.park_timeouts++;
	if (w->ctx.state.lease_set >= 0) {
		sh->leases[w->ctx.state.lease_set].asking = false;
		ask_noted(w, SIM_ASKED_LEASE(w->ctx.state.lease_set));
	}
	sim_state_resume(st, w, now);
}

/* A found entry joins the local table, as if this host had made it. */
static void
import(struct sim_thread *st, const struct state_answer *a, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	uint32_t e;
	uint8_t i;

	if (a->n_keys == 2)
		e = conntrack_add_nat(st->ct, &a->key[0], &a->key[1], &a->nat, now);
	else
		e = conntrack_add(st->ct, &a->key[0], now);
	if (e == CT_NO_ENTRY)
		return;
	conntrack_written(st->ct, e, now);
	sh->stats.imported++;
	/* Flows that looked its keys up and found nothing are wrong now. */
	for (i = 0; i < a->n_keys; i++) {
		st->stats.invalidations++;
		flow_cache_invalidate_tag(st->cache, tag_conntrack(ct_key_hash(&a->key[i])));
	}
}

/*
 * A MAC another host learned on one of its ports, learned here on that port.
 * An answer naming a port of this host, or of another bridge, is stale (the
 * VM moved, the topology changed): this host would have learned it itself.
 */
static void
import_mac(struct sim_thread *st, const struct state_answer *a, uint64_t now)
{
	const struct topology *t = st->topo;
	const struct topo_bridge *b;
	uint32_t i, entry;
	int r;

	if (a->device_index >= t->n_bridges ||
	    strcmp((b = &t->bridges[a->device_index])->id, a->device) != 0)
		goto stale;
	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &t->ports[b->ports[i]];

		if (strcmp(p->id, a->port) != 0)
			continue;
		if (!p->remote)
			goto stale;
		r = mac_table_learn(st->macs, b->index, 0, &a->mac, p->index,
				    (uint64_t)b->mac_aging_s * rte_get_tsc_hz(), now, &entry);
		if (r < 0) {
			st->stats.mac_table_full++;
			return;
		}
		st->shared->stats.macs_imported++;
		if (r != MAC_LEARN_SAME) {
			/* Flows that flooded towards it can go to its host alone now. */
			st->stats.invalidations++;
			flow_cache_invalidate_tag(st->cache, tag_mac(b->index, &a->mac));
		}
		return;
	}
stale:
	st->shared->stats.lookups_missed++;
}

/*
 * A neighbour another host resolved, taken as resolved here (not written
 * back: the entry is the other host's to keep).  An answer for a router or
 * port the topology no longer has is stale.
 */
static void
import_arp(struct sim_thread *st, const struct state_answer *a, uint64_t now)
{
	const struct topology *t = st->topo;
	uint8_t addr[NEIGH_ADDR_LEN];
	const struct topo_port *p;

	if (a->device_index >= t->n_routers || a->port_index >= t->n_ports ||
	    strcmp(t->routers[a->device_index].id, a->device) != 0 ||
	    (p = &t->ports[a->port_index])->device_type != TOPO_DEVICE_ROUTER ||
	    p->device != a->device_index) {
		st->shared->stats.lookups_missed++;
		return;
	}
	neigh_addr_from_ipv4(addr, a->ip);
	router_neigh_set(st, &t->routers[a->device_index], p, addr, &a->mac, now);
	st->shared->stats.arps_imported++;
}

static void
lease_answer(struct sim_thread *st, const struct state_answer *a, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	struct snat_lease_set *s;
	uint32_t i;

	if (a->kind == STATE_ANSWER_LEASE_LOST) {
		s = lease_set_find(sh, a->device_index, a->addr, false);
		if (s != NULL && block_owned(s, a->block)) {
			s->owned[a->block / 64] &= ~(1ull << (a->block % 64));
			s->n_owned--;
			sh->stats.leases_held--;
		}
		sh->stats.leases_lost++;
		return;
	}
	s = lease_set_find(sh, a->device_index, a->addr, a->status == STATE_OK);
	if (a->status == STATE_OK && s != NULL && !block_owned(s, a->block)) {
		s->owned[a->block / 64] |= 1ull << (a->block % 64);
		s->n_owned++;
		sh->stats.leases_held++;
	} else if (a->status != STATE_OK) {
		sh->stats.lease_denied++;
	}
	/*
	 * The block may be of another address of the range than the one asked
	 * for: every packet waiting for a block of this router tries again.
	 */
	for (i = 0; i < sh->n_leases; i++)
		if (sh->leases[i].device == a->device_index)
			sh->leases[i].asking = false;
	struct lease_wake lw = {.st = st, .a = a};

	waiting_room_wake_if(st->waiting, WAIT_SHARED_STATE, waits_for_lease_of, &lw);
}

unsigned int
sim_state_poll(struct sim_thread *st, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	struct state_answer a;
	struct waiter *w;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue_elem(sh->sync->answers, &a, sizeof(a)) == 0) {
		n++;
		switch (a.kind) {
		case STATE_ANSWER_RESYNC:
			sh->resync_since = now;
			sh->stats.resyncs++;
			continue;
		case STATE_ANSWER_LEASE:
		case STATE_ANSWER_LEASE_LOST:
			lease_answer(st, &a, now);
			continue;
		case STATE_ANSWER_LOOKUP:
			if (a.status == STATE_OK && st->ct != NULL)
				import(st, &a, now);
			else
				sh->stats.lookups_missed++;
			break;
		case STATE_ANSWER_MAC:
		case STATE_ANSWER_ARP:
			if (a.status != STATE_OK)
				sh->stats.lookups_missed++;
			else if (a.kind == STATE_ANSWER_MAC)
				import_mac(st, &a, now);
			else
				import_arp(st, &a, now);
			break;
		default:
			break;
		}
		if ((w = parked(st, a.slot)) != NULL)
			wake(st, w);
	}
	return n;
}

static bool
refresh_one(void *arg, uint32_t entry)
{
	struct sim_thread *st = arg;

	if (!write_entry(st, entry, false, 0, rte_get_tsc_cycles()))
		return false;
	st->shared->stats.refreshed++;
	return true;
}

/*
 * MACs learned on this host's ports are written again every refresh period
 * (a MAC in use keeps its entry here, but nothing would write it again), and
 * at once after a resynchronisation.  Imported ones are the other host's to
 * keep.  A pass visits the table in rounds of SIM_REFRESH_BUDGET.
 */
static void
refresh_macs(struct sim_thread *st, uint64_t now)
{
	struct sim_shared *sh = st->shared;
	const struct topology *t = st->topo;
	struct rte_ether_addr mac;
	uint32_t bridge, port, refs, n;

	if (sh->mac_cursor == 0 && now < sh->mac_refresh_at && sh->mac_refresh_at != 0 &&
	    sh->resync_since <= sh->mac_pass_began)
		return;
	if (sh->mac_cursor == 0)
		sh->mac_pass_began = now;
	for (n = 0; n < SIM_REFRESH_BUDGET; n++) {
		if (mac_table_iterate(st->macs, &sh->mac_cursor, &bridge, &mac, &port, &refs) != 0) {
			sh->mac_cursor = 0;
			sh->mac_refresh_at = now + sh->refresh_tsc;
			return;
		}
		if (bridge >= t->n_bridges || port >= t->n_ports || t->ports[port].remote)
			continue;
		if (!write_l2(sh, STATE_WRITE_MAC, t->bridges[bridge].id, &mac, 0, t->ports[port].id,
			      false, 0))
			return; /* the ring is full: this pass goes on next round */
		sh->stats.macs_refreshed++;
	}
}

void
sim_state_housekeeping(struct sim_thread *st, uint64_t now)
{
	struct sim_shared *sh = st->shared;

	if (st->ct != NULL)
		conntrack_refresh(st->ct, now, sh->refresh_tsc, sh->resync_since, SIM_REFRESH_BUDGET,
				  refresh_one, st);
	refresh_macs(st, now);
}
