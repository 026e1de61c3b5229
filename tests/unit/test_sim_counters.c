/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim/sim_counters.h, as a specification: the one list struct sim_stats
 * and every view of the simulation's counters are made from.
 *
 *   layout  the struct is the list in its order, one uint64_t each, then
 *           the drops: sim_stats_read copies it as words and the views
 *           read each counter at its listed offset;
 *   names   unique, so a JSON key names one counter;
 *   text    every counter has help, every topic shown has a title, and no
 *           two counters share a label on one topic's line;
 *   keys    the keys the integration tests read from the slow_path view
 *           are still counters the views show.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "sim_counters.h"

static void
test_the_struct_is_the_list_in_its_order_then_the_drops(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < SIM_COUNTER_COUNT; i++)
		assert_int_equal(sim_counters[i].offset, i * sizeof(uint64_t));
	assert_int_equal(offsetof(struct sim_stats, drops), SIM_COUNTER_COUNT * sizeof(uint64_t));
	assert_int_equal(sim_counter_find("upcalls")->offset, offsetof(struct sim_stats, upcalls));
	assert_int_equal(sim_counter_find("nat_created")->offset,
			 offsetof(struct sim_stats, nat_created));
	assert_int_equal(sim_counter_find("topo_last_change_us")->offset,
			 offsetof(struct sim_stats, topo_last_change_us));
}

static void
test_each_name_finds_its_own_counter(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < SIM_COUNTER_COUNT; i++)
		assert_ptr_equal(sim_counter_find(sim_counters[i].name), &sim_counters[i]);
	assert_null(sim_counter_find("drops"));
	assert_null(sim_counter_find(""));
}

static void
test_every_counter_has_help_and_a_label_under_a_known_topic(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < SIM_COUNTER_COUNT; i++) {
		const struct sim_counter *c = &sim_counters[i];

		assert_true(c->topic < SIM_TOPIC_COUNT);
		assert_non_null(c->label);
		assert_true(c->label[0] != '\0');
		assert_non_null(c->help);
		assert_true(c->help[0] != '\0');
	}
}

static void
test_every_shown_topic_has_a_title_and_none_has_none(void **state)
{
	unsigned int t;

	(void)state;
	assert_null(sim_topic_title(SIM_TOPIC_NONE));
	assert_null(sim_topic_title(SIM_TOPIC_COUNT));
	for (t = SIM_TOPIC_NONE + 1; t < SIM_TOPIC_COUNT; t++)
		assert_non_null(sim_topic_title(t));
	assert_string_equal(sim_topic_title(SIM_TOPIC_UPCALLS), "slow path");
	assert_string_equal(sim_topic_title(SIM_TOPIC_ND), "ipv6 neighbours");
}

static void
test_no_two_counters_share_a_label_on_one_line(void **state)
{
	const struct sim_counter *a, *b;

	(void)state;
	for (a = sim_counters; a < sim_counters + SIM_COUNTER_COUNT; a++)
		for (b = a + 1; b < sim_counters + SIM_COUNTER_COUNT; b++)
			if (a->topic == b->topic && a->topic != SIM_TOPIC_NONE)
				assert_string_not_equal(a->label, b->label);
}

static void
test_the_keys_the_integration_tests_read_are_shown(void **state)
{
	/* Each read as stats["slow_path"][name] somewhere under tests/. */
	static const char *const read[] = {
		"arp_replies", "arp_requests", "arp_resolved", "ct_created", "ct_expired",
		"icmp6_sent", "injected", "mac_learned", "mac_moved", "nat_created",
		"nat_frag_followed", "nat_frag_kept", "nat_icmp_errors", "nat_reversed",
		"nat_static", "nd_adverts", "nd_resolved",
		"nd_solicits", "rejects_sent", "simulated", "topo_last_invalidated",
		"topo_version", "upcalls",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(read) / sizeof(read[0]); i++) {
		const struct sim_counter *c = sim_counter_find(read[i]);

		assert_non_null(c);
		assert_int_not_equal(c->topic, SIM_TOPIC_NONE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_struct_is_the_list_in_its_order_then_the_drops),
		cmocka_unit_test(test_each_name_finds_its_own_counter),
		cmocka_unit_test(test_every_counter_has_help_and_a_label_under_a_known_topic),
		cmocka_unit_test(test_every_shown_topic_has_a_title_and_none_has_none),
		cmocka_unit_test(test_no_two_counters_share_a_label_on_one_line),
		cmocka_unit_test(test_the_keys_the_integration_tests_read_are_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
