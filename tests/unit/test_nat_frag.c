/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fragment table of sim/nat_frag.h as a specification: a header's
 * ports are found by its datagram's key; a datagram is forgotten once every
 * byte went through, or at its deadline; a header seen again adds no bytes
 * and brings its ports (an id reused); the table refuses a header
 * when it is full of datagrams not yet due, and takes one once some are.
 * What the walk does with it runs through the daemon: tests/pcap and
 * tests/netns test_nat_*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>

#include "nat_frag.h"
#include "unit_eal.h"

#define CAPACITY 64
#define TIMEOUT_S 30

static struct rte_mempool *pool;
static struct nat_frag_table *t;

static struct nat_frag_key
key_of(uint16_t id)
{
	struct nat_frag_key k;

	memset(&k, 0, sizeof(k));
	k.src = RTE_BE32(0x0a000102);
	k.dst = RTE_BE32(0xc6336402);
	k.in_port = 1;
	k.ip_id = rte_cpu_to_be_16(id);
	k.proto = 17;
	return k;
}

static uint64_t
seconds(uint64_t s)
{
	return s * rte_get_tsc_hz();
}

static int
setup(void **state)
{
	(void)state;
	t = nat_frag_table_create("test_natfrag", CAPACITY, TIMEOUT_S, SOCKET_ID_ANY);
	return t == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	nat_frag_table_destroy(t);
	return 0;
}

static void
test_a_header_is_found_by_its_datagram_and_no_other(void **state)
{
	struct nat_frag_key k = key_of(7), other = key_of(8);
	struct nat_frag *e;

	(void)state;
	e = nat_frag_keep(t, &k, 5000, 7777, seconds(1));
	assert_non_null(e);
	assert_int_equal(nat_frag_entries(t), 1);
	assert_ptr_equal(nat_frag_find(t, &k), e);
	assert_int_equal(e->tp_src, 5000);
	assert_int_equal(e->tp_dst, 7777);
	assert_null(nat_frag_find(t, &other));
	/* Where it came in is part of the datagram's name. */
	other = key_of(7);
	other.in_port = 2;
	assert_null(nat_frag_find(t, &other));
	assert_int_not_equal(nat_frag_key_hash(&k), nat_frag_key_hash(&other));
}

static void
test_a_datagram_is_forgotten_once_every_byte_went_in_any_order(void **state)
{
	struct nat_frag_key k = key_of(9);
	struct nat_frag *e = nat_frag_keep(t, &k, 1, 2, seconds(1));

	(void)state;
	/* 1032 bytes of payload: 400 + 400 + 232, the last first, the header last. */
	assert_false(nat_frag_went(t, e, false, 800, 232, false));
	assert_false(nat_frag_went(t, e, false, 400, 400, true));
	assert_int_equal(nat_frag_entries(t), 1);
	assert_true(nat_frag_went(t, e, true, 0, 400, true));
	assert_int_equal(nat_frag_entries(t), 0);
	assert_null(nat_frag_find(t, &k));
}

static void
test_a_header_again_adds_nothing_and_brings_its_ports(void **state)
{
	struct nat_frag_key k = key_of(10);
	struct nat_frag *e = nat_frag_keep(t, &k, 1, 2, seconds(1));

	(void)state;
	/* A header walked again before it went (it waited) keeps what the rest counted. */
	assert_false(nat_frag_went(t, e, false, 400, 400, true));
	e = nat_frag_keep(t, &k, 1, 2, seconds(1));
	assert_int_equal(e->bytes, 400);
	assert_false(nat_frag_went(t, e, true, 0, 400, true));
	/* A duplicate of the header adds nothing. */
	assert_false(nat_frag_went(t, e, true, 0, 400, true));
	assert_int_equal(e->bytes, 800);
	/* A header with the id again (walked again, or the id reused): its ports are the latest. */
	e = nat_frag_keep(t, &k, 3, 4, seconds(2));
	assert_int_equal(e->bytes, 800);
	assert_int_equal(e->tp_src, 3);
	assert_int_equal(e->tp_dst, 4);
	assert_int_equal(nat_frag_entries(t), 1);
}

static void
test_a_datagram_not_complete_is_forgotten_at_its_deadline(void **state)
{
	struct nat_frag_key k = key_of(11);

	(void)state;
	assert_non_null(nat_frag_keep(t, &k, 1, 2, seconds(1)));
	assert_int_equal(nat_frag_expire(t, seconds(1 + TIMEOUT_S) - 1, CAPACITY), 0);
	assert_int_equal(nat_frag_expire(t, seconds(1 + TIMEOUT_S), CAPACITY), 1);
	assert_null(nat_frag_find(t, &k));
	assert_int_equal(nat_frag_entries(t), 0);
}

static void
test_a_full_table_refuses_a_header_until_a_datagram_is_due(void **state)
{
	struct nat_frag_key k;
	uint16_t id;

	(void)state;
	for (id = 0; id < CAPACITY; id++) {
		k = key_of(100 + id);
		assert_non_null(nat_frag_keep(t, &k, id, 0, seconds(1) + id));
	}
	assert_int_equal(nat_frag_entries(t), CAPACITY);
	k = key_of(1);
	assert_null(nat_frag_keep(t, &k, 0, 0, seconds(2)));
	/* One already known is still found and kept. */
	k = key_of(100);
	assert_non_null(nat_frag_keep(t, &k, 0, 0, seconds(2)));
	/* Once the first are due, a new header makes room for itself. */
	k = key_of(1);
	assert_non_null(nat_frag_keep(t, &k, 0, 0, seconds(1 + TIMEOUT_S) + 1));
	assert_true(nat_frag_entries(t) <= CAPACITY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_header_is_found_by_its_datagram_and_no_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_datagram_is_forgotten_once_every_byte_went_in_any_order, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_header_again_adds_nothing_and_brings_its_ports, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_datagram_not_complete_is_forgotten_at_its_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_full_table_refuses_a_header_until_a_datagram_is_due, setup, teardown),
	};
	int rc;

	pool = unit_eal_start("test_nat_frag", "nat_frag_pool", 64);
	if (pool == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unit_eal_stop(pool);
	return rc;
}
