/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state image (sim/state_image.h) against the simulation thread's
 * tables: what a save reads out of them, and what a load puts back, mapped
 * through the topology in use by ids.  Both run on the thread (or while it is
 * stopped): sim_thread_call sees to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "arp_table.h"
#include "conntrack.h"
#include "mac_table.h"
#include "shared_state.h"
#include "sim_private.h"
#include "state_image_internal.h"

/* A NAT key's device field: the router's index with the top bit, or the bridge's (nat.c). */
#define NAT_DEVICE_ROUTER 0x80000000u

static uint32_t
tsc_to_ms(uint64_t tsc)
{
	uint64_t ms = tsc * 1000 / rte_get_tsc_hz();

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static uint64_t
ms_to_tsc(uint64_t ms)
{
	return ms * rte_get_tsc_hz() / 1000;
}

static void
id_copy(char dst[TOPO_ID_LEN], const char *src)
{
	memset(dst, 0, TOPO_ID_LEN);
	snprintf(dst, TOPO_ID_LEN, "%s", src);
}

/* The id of a NAT key's device and its type; false when the topology has no such device. */
static bool
nat_device_id(const struct topology *t, uint32_t device, char id[TOPO_ID_LEN], uint8_t *type)
{
	uint32_t idx = device & ~NAT_DEVICE_ROUTER;

	if (device & NAT_DEVICE_ROUTER) {
		if (idx >= t->n_routers)
			return false;
		id_copy(id, t->routers[idx].id);
		*type = STATE_IMAGE_DEV_ROUTER;
	} else {
		if (idx >= t->n_bridges)
			return false;
		id_copy(id, t->bridges[idx].id);
		*type = STATE_IMAGE_DEV_BRIDGE;
	}
	return true;
}

/* ---- saving ---- */

static void
tuple_out(const struct ct_key *k, struct state_image_tuple *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->src, k->src, sizeof(t->src));
	memcpy(t->dst, k->dst, sizeof(t->dst));
	t->sport = k->sport;
	t->dport = k->dport;
	t->proto = k->proto;
	t->v6 = k->v6;
	t->kind = k->kind;
}

static void
save_conns(struct sim_thread *st, struct state_image_writer *w, uint64_t now)
{
	struct state_image_conn rec;
	struct ct_key keys[2];
	struct ct_nat nat;
	uint32_t cursor = 0, e;
	uint8_t n_keys, i;

	state_image_section(w, STATE_IMAGE_CONNS);
	while ((e = conntrack_next(st->ct, &cursor)) != CT_NO_ENTRY) {
		uint64_t left = conntrack_remaining(st->ct, e, now);

		if (left == 0)
			continue; /* housekeeping would forget it next */
		memset(&rec, 0, sizeof(rec));
		conntrack_entry_read(st->ct, e, keys, &n_keys, &nat);
		if (n_keys == 2 &&
		    !nat_device_id(st->topo, keys[0].device, rec.device, &rec.device_type))
			continue;
		rec.n_keys = n_keys;
		rec.remaining_ms = tsc_to_ms(left);
		for (i = 0; i < n_keys; i++)
			tuple_out(&keys[i], &rec.keys[i]);
		rec.orig_addr = nat.orig_addr;
		rec.xlat_addr = nat.xlat_addr;
		rec.orig_port = nat.orig_port;
		rec.xlat_port = nat.xlat_port;
		rec.nat_port = nat.port;
		state_image_record(w, &rec);
	}
}

static void
save_macs(struct sim_thread *st, struct state_image_writer *w, uint64_t now)
{
	const struct topology *t = st->topo;
	struct state_image_mac rec;
	struct mac_saved m;
	uint32_t next = 0;

	state_image_section(w, STATE_IMAGE_MACS);
	while (mac_table_iterate_saved(st->macs, &next, now, &m) == 0) {
		if (m.remaining_tsc == 0 || m.bridge >= t->n_bridges || m.port >= t->n_ports)
			continue;
		memset(&rec, 0, sizeof(rec));
		id_copy(rec.bridge, t->bridges[m.bridge].id);
		id_copy(rec.port, t->ports[m.port].id);
		memcpy(rec.mac, m.mac.addr_bytes, sizeof(rec.mac));
		rec.vlan = m.vlan;
		rec.remaining_ms = tsc_to_ms(m.remaining_tsc);
		rec.aging_ms = tsc_to_ms(m.aging_tsc);
		state_image_record(w, &rec);
	}
}

static void
save_neighbours(struct sim_thread *st, struct state_image_writer *w, uint64_t now)
{
	const struct topology *t = st->topo;
	struct state_image_neigh rec;
	struct arp_entry *e;
	uint32_t next = 0;

	state_image_section(w, STATE_IMAGE_NEIGHBOURS);
	while (arp_table_iterate(st->arps, &next, &e) == 0) {
		/* A pending one has packets waiting in this process: the next one asks again. */
		if (!e->resolved || e->expires_tsc <= now || e->router >= t->n_routers ||
		    e->port >= t->n_ports)
			continue;
		memset(&rec, 0, sizeof(rec));
		id_copy(rec.router, t->routers[e->router].id);
		id_copy(rec.port, t->ports[e->port].id);
		memcpy(rec.addr, e->addr, sizeof(rec.addr));
		memcpy(rec.mac, e->mac.addr_bytes, sizeof(rec.mac));
		rec.remaining_ms = tsc_to_ms(e->expires_tsc - now);
		state_image_record(w, &rec);
	}
}

static void
save_leases(struct sim_thread *st, struct state_image_writer *w)
{
	const struct sim_shared *sh = st->shared;
	struct state_image_lease rec;
	uint32_t i, b;

	state_image_section(w, STATE_IMAGE_LEASES);
	for (i = 0; i < sh->n_leases; i++) {
		const struct snat_lease_set *s = &sh->leases[i];

		memset(&rec, 0, sizeof(rec));
		if (!nat_device_id(st->topo, s->device, rec.device, &rec.device_type))
			continue;
		rec.addr = s->addr;
		for (b = 0; b < SNAT_BLOCKS; b++) {
			if (!(s->owned[b / 64] >> (b % 64) & 1))
				continue;
			rec.block = (uint16_t)b;
			state_image_record(w, &rec);
		}
	}
}

struct save_call {
	void *buf;
	size_t len;
	int ret;
};

static void
save_on_thread(struct sim_thread *st, void *arg)
{
	struct save_call *sc = arg;
	struct state_image_writer w;
	uint64_t now = rte_get_tsc_cycles();

	state_image_begin(&w);
	if (st->ct != NULL)
		save_conns(st, &w, now);
	save_macs(st, &w, now);
	save_neighbours(st, &w, now);
	if (st->shared != NULL)
		save_leases(st, &w);
	sc->ret = state_image_finish(&w, state_image_now_ms(), &sc->buf, &sc->len);
}

int
sim_state_image_save(struct sim_thread *st, void **buf, size_t *len)
{
	struct save_call sc = {0};

	sim_thread_call(st, save_on_thread, &sc);
	*buf = sc.buf;
	*len = sc.len;
	return sc.ret;
}

/* ---- loading ---- */

/* The topology's ids, sorted, to find a device or port by id in log time. */
struct id_index {
	const char *base;  /* the first element's id */
	size_t stride;     /* bytes between elements */
	uint32_t n;
	uint32_t *order;   /* element numbers sorted by id */
};

static const char *
id_at(const struct id_index *x, uint32_t i)
{
	return x->base + (size_t)i * x->stride;
}

static int
id_cmp(const void *a, const void *b, void *arg)
{
	return strcmp(id_at(arg, *(const uint32_t *)a), id_at(arg, *(const uint32_t *)b));
}

static int
id_index_build(struct id_index *x, const char *base, size_t stride, uint32_t n)
{
	uint32_t i;

	x->base = base;
	x->stride = stride;
	x->n = n;
	x->order = malloc(sizeof(uint32_t) * (n + 1));
	if (x->order == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		x->order[i] = i;
	qsort_r(x->order, n, sizeof(uint32_t), id_cmp, x);
	return 0;
}

/* The element whose id is id, or TOPO_NO_INDEX. */
static uint32_t
id_find(const struct id_index *x, const char *id)
{
	uint32_t lo = 0, hi = x->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, id_at(x, x->order[mid]));

		if (c == 0)
			return x->order[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return TOPO_NO_INDEX;
}

struct load_ctx {
	struct sim_thread *st;
	const uint8_t *body;
	size_t len;
	uint64_t now;
	uint64_t elapsed_ms;  /* between the save and now */
	struct id_index ports, bridges, routers;
	struct state_image_report *rep;
};

/* What is left of remaining_ms now, in TSC cycles; 0 when it ran out. */
static uint64_t
left_tsc(const struct load_ctx *lc, uint32_t remaining_ms)
{
	return remaining_ms <= lc->elapsed_ms ? 0 : ms_to_tsc(remaining_ms - lc->elapsed_ms);
}

/* A NAT key's device field for a saved device, or TOPO_NO_INDEX when it is gone. */
static uint32_t
device_now(const struct load_ctx *lc, uint8_t type, const char *id)
{
	uint32_t idx;

	if (type == STATE_IMAGE_DEV_ROUTER) {
		idx = id_find(&lc->routers, id);
		return idx == TOPO_NO_INDEX ? TOPO_NO_INDEX : idx | NAT_DEVICE_ROUTER;
	}
	return id_find(&lc->bridges, id);
}

/* A port by id, on device (a bridge's or router's index) of type; TOPO_NO_INDEX otherwise. */
static uint32_t
port_now(const struct load_ctx *lc, const char *id, uint8_t device_type, uint32_t device)
{
	uint32_t p = id_find(&lc->ports, id);
	const struct topo_port *tp;

	if (p == TOPO_NO_INDEX)
		return p;
	tp = &lc->st->topo->ports[p];
	return tp->device_type == device_type && tp->device == device ? p : TOPO_NO_INDEX;
}

static void
load_conn(struct load_ctx *lc, const struct state_image_conn *rec)
{
	struct state_image_report *rep = lc->rep;
	uint64_t left = left_tsc(lc, rec->remaining_ms);
	uint32_t device = 0;
	struct ct_key keys[2];
	struct ct_nat nat;
	uint8_t i;

	if (left == 0) {
		rep->skipped_expired++;
		return;
	}
	if (rec->n_keys == 2 &&
	    (device = device_now(lc, rec->device_type, rec->device)) == TOPO_NO_INDEX) {
		rep->skipped_topology++;
		return;
	}
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < rec->n_keys; i++) {
		memcpy(keys[i].src, rec->keys[i].src, sizeof(keys[i].src));
		memcpy(keys[i].dst, rec->keys[i].dst, sizeof(keys[i].dst));
		keys[i].sport = rec->keys[i].sport;
		keys[i].dport = rec->keys[i].dport;
		keys[i].proto = rec->keys[i].proto;
		keys[i].v6 = rec->keys[i].v6;
		keys[i].kind = rec->keys[i].kind;
		keys[i].device = device;
	}
	memset(&nat, 0, sizeof(nat));
	nat.orig_addr = rec->orig_addr;
	nat.xlat_addr = rec->xlat_addr;
	nat.orig_port = rec->orig_port;
	nat.xlat_port = rec->xlat_port;
	nat.port = rec->nat_port != 0;
	/* Written 0: the shared-state refresh writes it again soon, as this host's (refreshed). */
	if (lc->st->ct == NULL ||
	    conntrack_restore(lc->st->ct, keys, rec->n_keys, &nat, left, lc->now) == CT_NO_ENTRY)
		rep->skipped_full++;
	else if (rec->n_keys == 2)
		rep->nat_bindings++;
	else
		rep->conns++;
}

static void
load_mac(struct load_ctx *lc, const struct state_image_mac *rec)
{
	const struct topology *t = lc->st->topo;
	uint32_t bridge = id_find(&lc->bridges, rec->bridge);
	struct mac_saved m;

	if (bridge == TOPO_NO_INDEX) {
		lc->rep->skipped_topology++;
		return;
	}
	memset(&m, 0, sizeof(m));
	m.bridge = bridge;
	m.port = port_now(lc, rec->port, TOPO_DEVICE_BRIDGE, bridge);
	if (m.port == TOPO_NO_INDEX) {
		lc->rep->skipped_topology++;
		return;
	}
	m.remaining_tsc = left_tsc(lc, rec->remaining_ms);
	if (m.remaining_tsc == 0) {
		lc->rep->skipped_expired++;
		return;
	}
	/* The bridge's aging as configured now; what was left of it, at most that. */
	m.aging_tsc = (uint64_t)t->bridges[bridge].mac_aging_s * rte_get_tsc_hz();
	m.remaining_tsc = RTE_MIN(m.remaining_tsc, m.aging_tsc);
	m.vlan = rec->vlan;
	memcpy(m.mac.addr_bytes, rec->mac, sizeof(rec->mac));
	if (mac_table_restore(lc->st->macs, &m, lc->now) != 0)
		lc->rep->skipped_full++;
	else
		lc->rep->macs++;
}

static void
load_neighbour(struct load_ctx *lc, const struct state_image_neigh *rec)
{
	uint32_t router = id_find(&lc->routers, rec->router), port;
	uint64_t left = left_tsc(lc, rec->remaining_ms);
	struct arp_entry *e;

	if (router == TOPO_NO_INDEX ||
	    (port = port_now(lc, rec->port, TOPO_DEVICE_ROUTER, router)) == TOPO_NO_INDEX) {
		lc->rep->skipped_topology++;
		return;
	}
	if (left == 0) {
		lc->rep->skipped_expired++;
		return;
	}
	e = arp_table_get(lc->st->arps, router, rec->addr, port);
	if (e == NULL) {
		lc->rep->skipped_full++;
		return;
	}
	memcpy(e->mac.addr_bytes, rec->mac, sizeof(rec->mac));
	e->port = port;
	e->resolved = true;
	e->tries = 0;
	e->expires_tsc = lc->now + left;
	lc->rep->neighbours++;
}

/*
 * A block this host held before the restart: held again, and the state
 * store told to keep it (refresh its key, not lease anew).  The store gives
 * it up, and says so (a lease lost), if another host took it meanwhile.
 */
static void
load_lease(struct load_ctx *lc, const struct state_image_lease *rec)
{
	struct sim_shared *sh = lc->st->shared;
	uint32_t device = device_now(lc, rec->device_type, rec->device), i;
	struct snat_lease_set *s = NULL;
	struct state_query q;

	if (sh == NULL) {
		lc->rep->skipped_no_store++;
		return;
	}
	if (device == TOPO_NO_INDEX) {
		lc->rep->skipped_topology++;
		return;
	}
	for (i = 0; i < sh->n_leases && s == NULL; i++)
		if (sh->leases[i].device == device && sh->leases[i].addr == rec->addr)
			s = &sh->leases[i];
	if (s == NULL && sh->n_leases < SIM_LEASE_SETS) {
		s = &sh->leases[sh->n_leases++];
		memset(s, 0, sizeof(*s));
		s->device = device;
		s->addr = rec->addr;
	}
	memset(&q, 0, sizeof(q));
	q.kind = STATE_QUERY_LEASE_KEEP;
	snprintf(q.device, sizeof(q.device), "%s", rec->device);
	q.device_index = device;
	q.addr_lo = q.addr_hi = rec->addr;
	q.port_lo = (uint16_t)(rec->block * SNAT_BLOCK_PORTS);
	q.port_hi = (uint16_t)(q.port_lo + SNAT_BLOCK_PORTS - 1);
	/* Held here only if the store hears of it: a block it does not refresh lapses. */
	if (s == NULL || (s->owned[rec->block / 64] >> (rec->block % 64) & 1) ||
	    rte_ring_mp_enqueue_elem(sh->sync->queries, &q, sizeof(q)) != 0) {
		lc->rep->skipped_full++;
		return;
	}
	s->owned[rec->block / 64] |= 1ull << (rec->block % 64);
	s->n_owned++;
	sh->stats.leases_held++;
	sh->stats.queries_queued++;
	lc->rep->lease_blocks++;
}

/* Every record of the (checked) body, section by section. */
static void
load_sections(struct load_ctx *lc, uint32_t n_sections)
{
	struct state_image_section s;
	size_t off = 0, rec_len;
	uint32_t i, r;

	for (i = 0; i < n_sections; i++) {
		memcpy(&s, lc->body + off, sizeof(s));
		off += sizeof(s);
		rec_len = state_image_record_len(s.type);
		for (r = 0; r < s.count; r++, off += rec_len) {
			union {
				struct state_image_conn conn;
				struct state_image_mac mac;
				struct state_image_neigh neigh;
				struct state_image_lease lease;
			} rec;

			memcpy(&rec, lc->body + off, rec_len);
			if (s.type == STATE_IMAGE_CONNS)
				load_conn(lc, &rec.conn);
			else if (s.type == STATE_IMAGE_MACS)
				load_mac(lc, &rec.mac);
			else if (s.type == STATE_IMAGE_NEIGHBOURS)
				load_neighbour(lc, &rec.neigh);
			else
				load_lease(lc, &rec.lease);
		}
	}
}

struct load_call {
	const uint8_t *buf;
	size_t len;
	struct state_image_report *rep;
	int ret;
};

static void
load_on_thread(struct sim_thread *st, void *arg)
{
	struct load_call *lcall = arg;
	const struct topology *t = st->topo;
	struct state_image_header h;
	struct load_ctx lc = {
		.st = st,
		.body = lcall->buf + sizeof(h),
		.len = lcall->len - sizeof(h),
		.now = rte_get_tsc_cycles(),
		.rep = lcall->rep,
	};
	uint64_t wall = state_image_now_ms();

	memcpy(&h, lcall->buf, sizeof(h));
	/* A clock set back: no time passed, rather than a negative one. */
	lc.elapsed_ms = wall > h.saved_ms ? wall - h.saved_ms : 0;
	lc.rep->saved_ms_ago = lc.elapsed_ms;
	if (id_index_build(&lc.ports, t->n_ports ? t->ports->id : NULL, sizeof(*t->ports),
			   t->n_ports) != 0 ||
	    id_index_build(&lc.bridges, t->n_bridges ? t->bridges->id : NULL, sizeof(*t->bridges),
			   t->n_bridges) != 0 ||
	    id_index_build(&lc.routers, t->n_routers ? t->routers->id : NULL, sizeof(*t->routers),
			   t->n_routers) != 0)
		lcall->ret = -ENOMEM;
	else
		load_sections(&lc, h.n_sections);
	free(lc.ports.order);
	free(lc.bridges.order);
	free(lc.routers.order);
}

int
sim_state_image_load(struct sim_thread *st, const void *buf, size_t len,
		     struct state_image_report *rep, char *err, size_t errlen)
{
	struct load_call lcall = {.buf = buf, .len = len, .rep = rep};
	int ret;

	memset(rep, 0, sizeof(*rep));
	/* Checked whole first: a corrupt image changes nothing. */
	if ((ret = state_image_check(buf, len, err, errlen)) != 0)
		return ret;
	sim_thread_call(st, load_on_thread, &lcall);
	if (lcall.ret != 0)
		snprintf(err, errlen, "state image: out of memory for the topology's ids");
	return lcall.ret;
}
