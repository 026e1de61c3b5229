/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state image (sim/state_image.h), as a specification: what one
 * simulation thread's tables save is what a fresh thread's tables hold after
 * the load, mapped by topology ids; what the topology no longer has is
 * skipped and counted; a truncated or corrupt image is refused, saying what
 * and where, and loads nothing.
 *
 * The topology:
 *
 *   bridge "br0": ports "p-a", "p-b", "p-gone" (the last one is removed in
 *                 the topology some tests load into)
 *   router "r1":  ports "r1p1" 10.0.0.1/24, "r1p2" 198.51.100.1/24; it
 *                 masquerades 10.0.0.11:4242 -> 198.51.100.1:20001 to
 *                 198.51.100.2:80, and holds SNAT block 312 of 198.51.100.1
 *
 * No thread is started: the test stands in for the simulation thread.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "unit_eal.h"
#include "shared_state.h"
#include "sim.h"
#include "state_image.h"
#include "topology_json.h"

#define POOL_SIZE 255
#define AGING_S 300
#define LEASE_BLOCK 312
#define ROUTER_DEVICE 0x80000000u /* r1's index (0) as NAT keys carry it (sim/nat.c) */

static const char topo_full[] =
	"{\"bridges\": [{\"id\": \"br0\", \"mac_aging_s\": 300, \"ports\": ["
	"  {\"id\": \"p-a\"}, {\"id\": \"p-b\"}, {\"id\": \"p-gone\"}]}],"
	" \"routers\": [{\"id\": \"r1\", \"ports\": ["
	"  {\"id\": \"r1p1\", \"address\": \"10.0.0.1\", \"network\": \"10.0.0.0/24\"},"
	"  {\"id\": \"r1p2\", \"address\": \"198.51.100.1\", \"network\": \"198.51.100.0/24\"}]}]}";
/* The same without p-gone, and with a bridge before br0: indexes move, ids stay. */
static const char topo_port_removed[] =
	"{\"bridges\": [{\"id\": \"br-new\", \"ports\": [{\"id\": \"n1\"}]},"
	"  {\"id\": \"br0\", \"mac_aging_s\": 300, \"ports\": ["
	"  {\"id\": \"p-b\"}, {\"id\": \"p-a\"}]}],"
	" \"routers\": [{\"id\": \"r1\", \"ports\": ["
	"  {\"id\": \"r1p1\", \"address\": \"10.0.0.1\", \"network\": \"10.0.0.0/24\"},"
	"  {\"id\": \"r1p2\", \"address\": \"198.51.100.1\", \"network\": \"198.51.100.0/24\"}]}]}";

static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct rte_ether_addr mac_gone = {{0x02, 0, 0, 0, 0, 0x0e}};
static const struct rte_ether_addr mac_nh = {{0x02, 0, 0, 0, 0, 0x11}};

static struct rte_mempool *pool;

/* One simulation thread's world: its tables, rings and shared-state side. */
struct world {
	struct upcall_channel *uc;
	struct flow_cache *cache;
	struct mac_table *macs;
	struct arp_table *arps;
	struct conntrack *ct;
	struct state_sync sync;
	struct sim_thread *st;
};

static struct world a, b;
static unsigned int n_worlds;

static struct topology *
topo_load(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	char err[256];
	struct topology *t;

	assert_non_null(doc);
	t = topology_json_load(doc, "test", NULL, 0, err, sizeof(err));
	json_decref(doc);
	if (t == NULL)
		fail_msg("%s", err);
	return t;
}

static void
world_create(struct world *w, const char *topo)
{
	struct upcall_channel_config ucc = {
		.n_sim = 1, .n_workers = 1, .ring_size = 64, .global_bucket = 16,
		.tunnel_bucket = 8, .vport_bucket = 8, .socket_id = SOCKET_ID_ANY,
	};
	struct flow_cache_config fcc = {.capacity = 256, .n_workers = 1,
					.socket_id = SOCKET_ID_ANY};
	char name[32];

	memset(w, 0, sizeof(*w));
	n_worlds++;
	snprintf(name, sizeof(name), "ut_si_fc%u", n_worlds);
	w->cache = flow_cache_create(name, &fcc);
	snprintf(name, sizeof(name), "ut_si_mac%u", n_worlds);
	w->macs = mac_table_create(name, 64, SOCKET_ID_ANY);
	snprintf(name, sizeof(name), "ut_si_arp%u", n_worlds);
	w->arps = arp_table_create(name, 64, SOCKET_ID_ANY);
	snprintf(name, sizeof(name), "ut_si_ct%u", n_worlds);
	w->ct = conntrack_create(name, 64, 60, SOCKET_ID_ANY);
	w->uc = upcall_channel_create(&ucc);
	snprintf(name, sizeof(name), "ut_si_ss%u", n_worlds);
	assert_int_equal(state_sync_create(&w->sync, name, 64, SOCKET_ID_ANY), 0);
	w->sync.ttl_ms = 60000;
	w->sync.wait_ms = 50;
	assert_true(w->cache && w->macs && w->arps && w->ct && w->uc);
	w->st = sim_thread_create(&(struct sim_config){
		.upcall = w->uc, .cache = w->cache, .macs = w->macs, .arps = w->arps,
		.ct = w->ct, .pool = pool, .vxlan_udp_port = 4789, .topo = topo_load(topo),
		.shared = sim_shared_create(&w->sync, "host-a"),
	});
	assert_non_null(w->st);
}

static void
world_destroy(struct world *w)
{
	sim_thread_destroy(w->st);
	upcall_channel_destroy(w->uc);
	mac_table_destroy(w->macs);
	arp_table_destroy(w->arps);
	conntrack_destroy(w->ct);
	flow_cache_destroy(w->cache);
	state_sync_destroy(&w->sync);
}

/* The masqueraded connection's keys, as nat.c files them under r1. */
static void
binding_keys(struct ct_key *fwd, struct ct_key *rev, struct ct_nat *nat)
{
	memset(fwd, 0, sizeof(*fwd));
	*(uint32_t *)fwd->src = inet_addr("10.0.0.11");
	*(uint32_t *)fwd->dst = inet_addr("198.51.100.2");
	fwd->sport = 4242;
	fwd->dport = 80;
	fwd->proto = IPPROTO_TCP;
	fwd->kind = CT_KIND_SNAT_FWD;
	fwd->device = ROUTER_DEVICE;
	memset(rev, 0, sizeof(*rev));
	*(uint32_t *)rev->src = inet_addr("198.51.100.2");
	*(uint32_t *)rev->dst = inet_addr("198.51.100.1");
	rev->sport = 80;
	rev->dport = 20001;
	rev->proto = IPPROTO_TCP;
	rev->kind = CT_KIND_SNAT_REV;
	rev->device = ROUTER_DEVICE;
	memset(nat, 0, sizeof(*nat));
	nat->orig_addr = inet_addr("10.0.0.11");
	nat->xlat_addr = inet_addr("198.51.100.1");
	nat->orig_port = 4242;
	nat->xlat_port = 20001;
	nat->port = true;
}

static void
conn_key(struct ct_key *k)
{
	memset(k, 0, sizeof(*k));
	*(uint32_t *)k->src = inet_addr("10.0.0.12");
	*(uint32_t *)k->dst = inet_addr("10.0.0.13");
	k->sport = 5000;
	k->dport = 22;
	k->proto = IPPROTO_TCP;
}

static void
neigh_addr(uint8_t addr[NEIGH_ADDR_LEN])
{
	neigh_addr_from_ipv4(addr, inet_addr("198.51.100.2"));
}

/* World a learns: a connection, a binding, MACs on p-a and p-gone, a neighbour, a block. */
static void
fill(struct world *w)
{
	uint64_t now = rte_get_tsc_cycles(), aging = (uint64_t)AGING_S * rte_get_tsc_hz();
	struct ct_key fwd, rev, conn;
	struct snat_lease_set *s;
	struct sim_shared *sh = (struct sim_shared *)sim_thread_shared(w->st);
	uint8_t addr[NEIGH_ADDR_LEN];
	struct arp_entry *e;
	struct ct_nat nat;
	uint32_t entry;

	binding_keys(&fwd, &rev, &nat);
	conn_key(&conn);
	assert_int_not_equal(conntrack_add_nat(w->ct, &fwd, &rev, &nat, now), CT_NO_ENTRY);
	assert_int_not_equal(conntrack_add(w->ct, &conn, now), CT_NO_ENTRY);
	assert_int_equal(mac_table_learn(w->macs, 0, 0, &mac_a, 0, aging, now, &entry),
			 MAC_LEARN_NEW);
	assert_int_equal(mac_table_learn(w->macs, 0, 0, &mac_gone, 2, aging, now, &entry),
			 MAC_LEARN_NEW);
	neigh_addr(addr);
	e = arp_table_get(w->arps, 0, addr, 4); /* r1p2: the fifth port */
	assert_non_null(e);
	e->mac = mac_nh;
	e->resolved = true;
	e->expires_tsc = now + (uint64_t)ARP_EXPIRY_S * rte_get_tsc_hz();
	s = &sh->leases[sh->n_leases++];
	s->device = ROUTER_DEVICE;
	s->addr = ntohl(inet_addr("198.51.100.1"));
	s->owned[LEASE_BLOCK / 64] |= 1ull << (LEASE_BLOCK % 64);
	s->n_owned = 1;
}

/* World w's image; w goes (its rings' names are the next world's). */
static void
save(struct world *w, void **buf, size_t *len)
{
	assert_int_equal(sim_state_image_save(w->st, buf, len), 0);
	assert_non_null(*buf);
	world_destroy(w);
}

static void
assert_nothing_loaded(struct world *w)
{
	const struct sim_shared *sh = sim_thread_shared(w->st);

	assert_int_equal(conntrack_count(w->ct) + conntrack_nat_count(w->ct), 0);
	assert_int_equal(mac_table_count(w->macs), 0);
	assert_int_equal(arp_table_count(w->arps), 0);
	assert_int_equal(sh->n_leases, 0);
	assert_int_equal(rte_ring_count(w->sync.queries), 0);
}

static void
test_a_round_trip_restores_every_entry_into_fresh_tables(void **state)
{
	struct ct_key fwd, rev, conn;
	struct state_image_report rep;
	const struct sim_shared *sh;
	uint8_t addr[NEIGH_ADDR_LEN];
	struct state_query q;
	struct arp_entry *e;
	struct ct_nat nat;
	char err[256];
	uint32_t entry;
	size_t len;
	void *buf;

	(void)state;
	world_create(&a, topo_full);
	fill(&a);
	save(&a, &buf, &len);
	world_create(&b, topo_full);
	assert_int_equal(sim_state_image_load(b.st, buf, len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.conns, 1);
	assert_int_equal(rep.nat_bindings, 1);
	assert_int_equal(rep.macs, 2);
	assert_int_equal(rep.neighbours, 1);
	assert_int_equal(rep.lease_blocks, 1);
	assert_int_equal(rep.skipped_topology + rep.skipped_expired + rep.skipped_full, 0);

	/* The binding answers both ways with the same public port. */
	binding_keys(&fwd, &rev, &nat);
	entry = conntrack_lookup(b.ct, &fwd);
	assert_int_not_equal(entry, CT_NO_ENTRY);
	assert_int_equal(conntrack_lookup(b.ct, &rev), entry);
	assert_int_equal(conntrack_nat(b.ct, entry)->xlat_port, 20001);
	assert_int_equal(conntrack_nat(b.ct, entry)->xlat_addr, inet_addr("198.51.100.1"));
	assert_int_equal(conntrack_nat(b.ct, entry)->orig_port, 4242);
	assert_true(conntrack_nat(b.ct, entry)->port);
	conn_key(&conn);
	assert_int_not_equal(conntrack_lookup(b.ct, &conn), CT_NO_ENTRY);
	/* Not idle: a minute to live, as when saved; housekeeping keeps them. */
	assert_int_equal(conntrack_expire(b.ct, rte_get_tsc_cycles(), 64, NULL, NULL), 0);

	assert_int_equal(mac_table_lookup(b.macs, 0, 0, &mac_a), 0);
	assert_int_equal(mac_table_lookup(b.macs, 0, 0, &mac_gone), 2);
	neigh_addr(addr);
	e = arp_table_find(b.arps, 0, addr);
	assert_non_null(e);
	assert_true(e->resolved);
	assert_true(rte_is_same_ether_addr(&e->mac, &mac_nh));
	assert_int_equal(e->port, 4);

	/* The block is held again, and the store is asked to keep it (not lease anew). */
	sh = sim_thread_shared(b.st);
	assert_int_equal(sh->n_leases, 1);
	assert_true(sh->leases[0].owned[LEASE_BLOCK / 64] >> (LEASE_BLOCK % 64) & 1);
	assert_int_equal(rte_ring_sc_dequeue_elem(b.sync.queries, &q, sizeof(q)), 0);
	assert_int_equal(q.kind, STATE_QUERY_LEASE_KEEP);
	assert_string_equal(q.device, "r1");
	assert_int_equal(q.port_lo, LEASE_BLOCK * SNAT_BLOCK_PORTS);
	assert_int_equal(q.addr_lo, ntohl(inet_addr("198.51.100.1")));
	free(buf);
	world_destroy(&b);
}

static void
test_entries_of_a_removed_port_are_skipped_and_counted(void **state)
{
	struct state_image_report rep;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	world_create(&a, topo_full);
	fill(&a);
	save(&a, &buf, &len);
	world_create(&b, topo_port_removed);
	assert_int_equal(sim_state_image_load(b.st, buf, len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.macs, 1);
	assert_int_equal(rep.skipped_topology, 1);
	assert_int_equal(rep.nat_bindings, 1);
	assert_int_equal(rep.neighbours, 1);
	/* br0 is bridge 1 now, p-a port 2: mapped by id, not by index. */
	assert_int_equal(mac_table_lookup(b.macs, 1, 0, &mac_a), 2);
	assert_int_equal(mac_table_lookup(b.macs, 1, 0, &mac_gone), -ENOENT);
	assert_int_equal(mac_table_count(b.macs), 1);
	free(buf);
	world_destroy(&b);
}

/* Load bad (len bytes) into a fresh world: refused with a message containing what; nothing in. */
static void
assert_refused(const void *bad, size_t len, const char *what)
{
	struct state_image_report rep;
	char err[256] = "";

	assert_int_equal(sim_state_image_load(b.st, bad, len, &rep, err, sizeof(err)), -EINVAL);
	if (strstr(err, what) == NULL || strstr(err, "byte ") == NULL)
		fail_msg("len %zu: \"%s\" does not say \"%s\" and where", len, err, what);
	assert_int_equal(state_image_check(bad, len, err, sizeof(err)), -EINVAL);
	assert_nothing_loaded(&b);
}

static void
test_a_truncated_image_is_refused_and_loads_nothing(void **state)
{
	size_t len, cut;
	void *buf;

	(void)state;
	world_create(&a, topo_full);
	fill(&a);
	save(&a, &buf, &len);
	world_create(&b, topo_full);
	assert_refused(buf, 0, "truncated");
	assert_refused(buf, sizeof(struct state_image_header) - 1, "truncated");
	for (cut = sizeof(struct state_image_header); cut < len; cut += 97)
		assert_refused(buf, cut, "truncated");
	assert_refused(buf, len - 1, "truncated");
	free(buf);
	world_destroy(&b);
}

static void
test_a_corrupt_image_is_refused_and_loads_nothing(void **state)
{
	struct state_image_header h;
	uint8_t *bad;
	size_t len, at;
	void *buf;

	(void)state;
	world_create(&a, topo_full);
	fill(&a);
	save(&a, &buf, &len);
	world_create(&b, topo_full);
	bad = malloc(len + 1);
	assert_non_null(bad);
	/* Any byte of the body changed: its checksum says so. */
	for (at = sizeof(h); at < len; at += 53) {
		memcpy(bad, buf, len);
		bad[at] ^= 0x40;
		assert_refused(bad, len, "checksum");
	}
	/* The header's fields changed. */
	memcpy(bad, buf, len);
	bad[0] = 'X';
	assert_refused(bad, len, "not a state image");
	memcpy(bad, buf, len);
	bad[offsetof(struct state_image_header, saved_ms)] ^= 1;
	assert_refused(bad, len, "checksum");
	/* A byte too many. */
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_refused(bad, len + 1, "past the end");
	free(bad);
	free(buf);
	world_destroy(&b);
}

/* An image whose checksums are right but whose records are not is refused by its checks. */
static void
test_a_wrong_record_with_right_checksums_is_refused(void **state)
{
	struct state_image_header h;
	struct state_image_conn rec;
	uint8_t *img;
	size_t len;
	void *buf;

	(void)state;
	world_create(&a, topo_full);
	fill(&a);
	save(&a, &buf, &len);
	world_create(&b, topo_full);
	img = buf;
	/* The first record of the first section (connections): 3 keys. */
	memcpy(&rec, img + sizeof(h) + sizeof(struct state_image_section), sizeof(rec));
	rec.n_keys = 3;
	memcpy(img + sizeof(h) + sizeof(struct state_image_section), &rec, sizeof(rec));
	memcpy(&h, img, sizeof(h));
	h.body_crc = state_image_crc(img + sizeof(h), len - sizeof(h));
	h.header_crc = 0;
	h.header_crc = state_image_crc(&h, sizeof(h));
	memcpy(img, &h, sizeof(h));
	assert_refused(img, len, "section 1 (connections), record 1: neither 1 key");
	free(buf);
	world_destroy(&b);
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_state_image", "ut_si_mbufs", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_round_trip_restores_every_entry_into_fresh_tables),
		cmocka_unit_test(test_entries_of_a_removed_port_are_skipped_and_counted),
		cmocka_unit_test(test_a_truncated_image_is_refused_and_loads_nothing),
		cmocka_unit_test(test_a_corrupt_image_is_refused_and_loads_nothing),
		cmocka_unit_test(test_a_wrong_record_with_right_checksums_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
