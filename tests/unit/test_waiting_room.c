/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The waiting room (sim/waiting_room.h) as a specification: what an answer
 * wakes and in which order, what a full room refuses, what it counts, and
 * that every packet it holds comes back.  The deadlines and the kinds'
 * give-up handlers run with a simulation thread: the router and overlay
 * packet tests (an unanswered next hop) cover them through the daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "waiting_room.h"
#include "unit_eal.h"

#define POOL_SIZE 2048

static struct rte_mempool *pool;
static struct waiting_room *wr;

static struct sim_group
one_packet(void)
{
	struct sim_group g = {.n = 1};

	g.pkts[0] = rte_pktmbuf_alloc(pool);
	assert_non_null(g.pkts[0]);
	return g;
}

/* The waiters marked ready, in the order they will be walked again. */
static unsigned int
ready_order(uint32_t *out)
{
	unsigned int i;

	for (i = 0; i < wr->n_ready; i++)
		out[i] = wr->ready[(wr->ready_head + i) % WAITING_ROOM_MAX];
	return wr->n_ready;
}

static void
test_an_answer_wakes_exactly_its_waiters_oldest_first(void **state)
{
	struct sim_group g;
	uint32_t order[8];
	int a1, b1, a2;

	(void)state;
	g = one_packet();
	a1 = waiting_room_park(wr, WAIT_NEIGHBOUR, 0xa, &g, UINT64_MAX, NULL);
	g = one_packet();
	b1 = waiting_room_park(wr, WAIT_NEIGHBOUR, 0xb, &g, UINT64_MAX, NULL);
	g = one_packet();
	a2 = waiting_room_park(wr, WAIT_NEIGHBOUR, 0xa, &g, UINT64_MAX, NULL);
	assert_true(a1 >= 0 && b1 >= 0 && a2 >= 0);
	assert_int_equal(waiting_room_count(wr, WAIT_NEIGHBOUR), 3);

	/* Another kind waiting on the same value is not woken by this answer. */
	assert_int_equal(waiting_room_wake_on(wr, WAIT_UNDERLAY_NEIGHBOUR, 0xa), 0);
	assert_int_equal(waiting_room_wake_on(wr, WAIT_NEIGHBOUR, 0xa), 2);
	assert_int_equal(ready_order(order), 2);
	assert_int_equal(order[0], (uint32_t)a1);
	assert_int_equal(order[1], (uint32_t)a2);
	assert_int_equal(waiting_room_count(wr, WAIT_NEIGHBOUR), 1);
	/* Woken once: a second answer finds nothing more. */
	assert_int_equal(waiting_room_wake_on(wr, WAIT_NEIGHBOUR, 0xa), 0);
	assert_null(waiting_room_get(wr, WAIT_NEIGHBOUR, (uint32_t)a1));
	assert_non_null(waiting_room_get(wr, WAIT_NEIGHBOUR, (uint32_t)b1));
}

static void
test_a_shared_state_answer_finds_its_waiter_by_index_and_kind(void **state)
{
	union wait_context ctx = {.state = {.lease_set = 3, .n_asked = 1, .asked = {42}}};
	struct sim_group g = one_packet();
	struct waiter *w;
	int i;

	(void)state;
	i = waiting_room_park(wr, WAIT_SHARED_STATE, 0, &g, UINT64_MAX, &ctx);
	assert_true(i >= 0);
	assert_null(waiting_room_get(wr, WAIT_NEIGHBOUR, (uint32_t)i));
	assert_null(waiting_room_get(wr, WAIT_SHARED_STATE, WAITING_ROOM_MAX));
	w = waiting_room_get(wr, WAIT_SHARED_STATE, (uint32_t)i);
	assert_non_null(w);
	/* What the walk asked before travels with it. */
	assert_int_equal(w->ctx.state.lease_set, 3);
	assert_int_equal(w->ctx.state.asked[0], 42);
	assert_int_equal(waiting_room_wake(wr, w), 1);
	assert_null(waiting_room_get(wr, WAIT_SHARED_STATE, (uint32_t)i));
}

static void
test_a_full_room_refuses_and_counts_and_the_caller_keeps_the_packets(void **state)
{
	struct sim_group g;
	unsigned int i;

	(void)state;
	for (i = 0; i < WAITING_ROOM_MAX; i++) {
		g = one_packet();
		assert_true(waiting_room_park(wr, WAIT_UNDERLAY_NEIGHBOUR, i, &g, UINT64_MAX,
					      NULL) >= 0);
	}
	g = one_packet();
	assert_int_equal(waiting_room_park(wr, WAIT_NEIGHBOUR, 1, &g, UINT64_MAX, NULL), -ENOSPC);
	assert_int_equal(wr->stats.refused[WAIT_NEIGHBOUR], 1);
	assert_int_equal(wr->stats.parked[WAIT_UNDERLAY_NEIGHBOUR], WAITING_ROOM_MAX);
	rte_pktmbuf_free(g.pkts[0]);
}

static void
test_forgetting_a_kind_frees_its_packets_and_keeps_the_others(void **state)
{
	struct sim_group g;

	(void)state;
	g = one_packet();
	waiting_room_park(wr, WAIT_NEIGHBOUR, 1, &g, UINT64_MAX, NULL);
	g = one_packet();
	waiting_room_park(wr, WAIT_SHARED_STATE, 0, &g, UINT64_MAX, NULL);
	waiting_room_forget(wr, WAIT_NEIGHBOUR);
	assert_int_equal(waiting_room_count(wr, WAIT_NEIGHBOUR), 0);
	assert_int_equal(waiting_room_count(wr, WAIT_SHARED_STATE), 1);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE - 1);
}

static int
setup_room(void **state)
{
	(void)state;
	wr = waiting_room_create();
	return wr == NULL ? -1 : 0;
}

/* Whatever the test left in the room, the room gives back. */
static int
teardown_room(void **state)
{
	(void)state;
	waiting_room_destroy(wr);
	if (rte_mempool_avail_count(pool) != POOL_SIZE) {
		fprintf(stderr, "%u mbufs not returned\n", POOL_SIZE - rte_mempool_avail_count(pool));
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_waiting_room", "ut_wr_mbufs", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_room, teardown_room)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_an_answer_wakes_exactly_its_waiters_oldest_first),
		T(test_a_shared_state_answer_finds_its_waiter_by_index_and_kind),
		T(test_a_full_room_refuses_and_counts_and_the_caller_keeps_the_packets),
		T(test_forgetting_a_kind_frees_its_packets_and_keeps_the_others),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
