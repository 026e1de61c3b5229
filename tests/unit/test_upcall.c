/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Admission (pipeline/upcall.h) as a specification: a new key takes the
 * tokens and leads; the packets behind it follow without tokens, up to
 * UPCALL_MAX_FOLLOWERS; once the lead's tokens come back, or for a new key,
 * tokens are needed again, so a flood of new flows stays bounded by the
 * bucket.  No packets move here: only the metadata a worker hands up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit_eal.h"
#include "upcall.h"

#define VM_PORT 2
#define VPORT_BUCKET 2
#define GLOBAL_BUCKET 64

static struct rte_mempool *pool;
static struct upcall_channel *uc;
static struct upcall_leads leads;

/* What worker 0 knows of a miss of flow sport on VM_PORT, reason given. */
static struct pkt_meta
packet(uint16_t sport, uint8_t reason)
{
	struct pkt_meta m;

	memset(&m, 0xa5, sizeof(m));
	memset(&m.key, 0, sizeof(m.key));
	m.key.in_port = VM_PORT;
	m.key.ether_type = RTE_ETHER_TYPE_IPV4;
	m.key.tp_src = sport;
	m.hash = flow_key_hash(&m.key);
	m.worker = 0;
	m.upcall_reason = reason;
	return m;
}

static int32_t
vport_tokens(void)
{
	return uc->port[VM_PORT].tokens;
}

static void
give_back(const struct pkt_meta *m)
{
	struct upcall_hold hold = upcall_hold_of(m);

	upcall_hold_release(uc, &hold);
}

static void
test_packets_behind_a_lead_take_no_token(void **state)
{
	struct pkt_meta lead = packet(1, UPCALL_MISS), m;
	unsigned int i;

	(void)state;
	assert_int_equal(upcall_admit_packet(uc, &leads, &lead), 0);
	assert_int_equal(lead.upcall_follower, 0);
	assert_int_not_equal(lead.upcall_lead, 0);
	assert_int_equal(vport_tokens(), VPORT_BUCKET - 1);
	for (i = 0; i < UPCALL_MAX_FOLLOWERS; i++) {
		m = packet(1, UPCALL_MISS);
		assert_int_equal(upcall_admit_packet(uc, &leads, &m), 0);
		assert_int_equal(m.upcall_follower, 1);
		assert_int_equal(m.upcall_lead, 0);
	}
	assert_int_equal(vport_tokens(), VPORT_BUCKET - 1);

	/* The bound: the next one takes tokens and leads, and others follow it. */
	m = packet(1, UPCALL_MISS);
	assert_int_equal(upcall_admit_packet(uc, &leads, &m), 0);
	assert_int_equal(m.upcall_follower, 0);
	assert_int_equal(m.upcall_lead, lead.upcall_lead + 1);
	assert_int_equal(vport_tokens(), VPORT_BUCKET - 2);
	give_back(&m);
	give_back(&lead);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);
}

static void
test_a_new_key_always_takes_a_token(void **state)
{
	struct pkt_meta a = packet(1, UPCALL_MISS), b = packet(2, UPCALL_MISS);
	struct pkt_meta c = packet(3, UPCALL_MISS), c2 = packet(3, UPCALL_MISS);

	(void)state;
	assert_int_equal(upcall_admit_packet(uc, &leads, &a), 0);
	assert_int_equal(upcall_admit_packet(uc, &leads, &b), 0);
	/* A flood of new flows is stopped at the bucket, as before... */
	assert_int_equal(upcall_admit_packet(uc, &leads, &c), DROP_ADMISSION_VPORT);
	/* ... and a refused first leads nothing: the packet behind it needs tokens too. */
	assert_int_equal(upcall_admit_packet(uc, &leads, &c2), DROP_ADMISSION_VPORT);
	give_back(&a);
	give_back(&b);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);
	assert_int_equal(uc->global.tokens, GLOBAL_BUCKET);
}

static void
test_once_its_lead_is_back_a_key_takes_tokens_again(void **state)
{
	struct pkt_meta lead = packet(1, UPCALL_MISS), f = packet(1, UPCALL_MISS), m;

	(void)state;
	assert_int_equal(upcall_admit_packet(uc, &leads, &lead), 0);
	assert_int_equal(upcall_admit_packet(uc, &leads, &f), 0);
	assert_int_equal(f.upcall_follower, 1);
	/* A follower holds nothing: giving it back changes no bucket. */
	give_back(&f);
	assert_int_equal(vport_tokens(), VPORT_BUCKET - 1);
	give_back(&lead);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);

	/* The simulation is done with the lead (its flow not cacheable, say): a new lead. */
	m = packet(1, UPCALL_MISS);
	assert_int_equal(upcall_admit_packet(uc, &leads, &m), 0);
	assert_int_equal(m.upcall_follower, 0);
	assert_int_not_equal(m.upcall_lead, 0);
	assert_int_equal(vport_tokens(), VPORT_BUCKET - 1);
	give_back(&m);
}

static void
test_a_packet_its_flow_sent_up_takes_its_own_tokens(void **state)
{
	struct pkt_meta a = packet(1, UPCALL_ACTION), b = packet(1, UPCALL_ACTION);
	struct pkt_meta c = packet(1, UPCALL_ACTION);

	(void)state;
	assert_int_equal(upcall_admit_packet(uc, &leads, &a), 0);
	assert_int_equal(upcall_admit_packet(uc, &leads, &b), 0);
	assert_int_equal(upcall_admit_packet(uc, &leads, &c), DROP_ADMISSION_VPORT);
	assert_int_equal(a.upcall_follower + b.upcall_follower, 0);
	assert_int_equal(a.upcall_lead + b.upcall_lead, 0);
	give_back(&a);
	give_back(&b);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);
}

static void
test_a_resumed_packet_gives_nothing_back(void **state)
{
	struct pkt_meta lead = packet(1, UPCALL_MISS), m;

	(void)state;
	assert_int_equal(upcall_admit_packet(uc, &leads, &lead), 0);
	give_back(&lead); /* parked: its tokens went back then */
	lead.upcall_reason = UPCALL_RESUMED;
	give_back(&lead);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);
	m = packet(1, UPCALL_MISS);
	assert_int_equal(upcall_admit_packet(uc, &leads, &m), 0);
	assert_int_equal(m.upcall_follower, 0);
	give_back(&m);
}

static void
test_a_displaced_lead_coming_back_does_not_end_the_new_one(void **state)
{
	struct pkt_meta a = packet(1, UPCALL_MISS), b = packet(2, UPCALL_MISS), f;

	(void)state;
	/* Two keys in one slot: the newer lead takes it over. */
	b.hash = a.hash;
	assert_int_equal(upcall_admit_packet(uc, &leads, &a), 0);
	assert_int_equal(upcall_admit_packet(uc, &leads, &b), 0);
	assert_int_equal(b.upcall_follower, 0);
	give_back(&a);
	f = packet(2, UPCALL_MISS);
	f.hash = a.hash;
	assert_int_equal(upcall_admit_packet(uc, &leads, &f), 0);
	assert_int_equal(f.upcall_follower, 1);
	give_back(&b);
	assert_int_equal(vport_tokens(), VPORT_BUCKET);
}

static int
setup_channel(void **state)
{
	struct upcall_channel_config cfg = {
		.n_sim = 1,
		.n_workers = 1,
		.ring_size = 64,
		.global_bucket = GLOBAL_BUCKET,
		.tunnel_bucket = 4,
		.vport_bucket = VPORT_BUCKET,
		.socket_id = SOCKET_ID_ANY,
	};

	(void)state;
	memset(&leads, 0, sizeof(leads));
	uc = upcall_channel_create(&cfg);
	return uc == NULL ? -1 : 0;
}

static int
teardown_channel(void **state)
{
	(void)state;
	upcall_channel_destroy(uc);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_upcall", "ut_upcall", 63);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_channel, teardown_channel)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_packets_behind_a_lead_take_no_token),
		T(test_a_new_key_always_takes_a_token),
		T(test_once_its_lead_is_back_a_key_takes_tokens_again),
		T(test_a_packet_its_flow_sent_up_takes_its_own_tokens),
		T(test_a_resumed_packet_gives_nothing_back),
		T(test_a_displaced_lead_coming_back_does_not_end_the_new_one),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
