/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim/flow_explain.h: a walk's steps are kept in order, 12 at most, and a
 * walk longer than a flow holds, or a step whose value does not fit, keeps
 * the first steps and says it was cut; a flow gets the record and the
 * topology version it was decided against.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flow_explain.h"

static uint32_t
kind_of(uint32_t step)
{
	return step >> EXPLAIN_KIND_SHIFT;
}

static void
steps_are_kept_in_order_with_their_kind_and_value(void **state)
{
	struct explain_record r = {0};

	(void)state;
	explain_note(&r, EXPLAIN_PORT_IN, 7);
	explain_note_rule(&r, 3, 2);
	explain_note(&r, EXPLAIN_ROUTE, 100000);
	explain_note(&r, EXPLAIN_CHAIN_ACCEPT, 4);
	assert_int_equal(r.n, 4);
	assert_false(r.truncated);
	assert_int_equal(kind_of(r.step[0]), EXPLAIN_PORT_IN);
	assert_int_equal(r.step[0] & EXPLAIN_VALUE_MASK, 7);
	assert_int_equal(kind_of(r.step[1]), EXPLAIN_RULE);
	assert_int_equal(r.step[1] & EXPLAIN_VALUE_MASK, 3 << 16 | 2);
	assert_int_equal(kind_of(r.step[2]), EXPLAIN_ROUTE);
	assert_int_equal(r.step[2] & EXPLAIN_VALUE_MASK, 100000);
	assert_int_equal(kind_of(r.step[3]), EXPLAIN_CHAIN_ACCEPT);
}

static void
a_walk_longer_than_a_flow_holds_keeps_its_first_steps_and_says_so(void **state)
{
	struct explain_record r = {0};
	unsigned int i;

	(void)state;
	for (i = 0; i < FLOW_EXPLAIN_MAX + 3; i++)
		explain_note(&r, EXPLAIN_PORT_IN, i);
	assert_int_equal(r.n, FLOW_EXPLAIN_MAX);
	assert_true(r.truncated);
	assert_int_equal(r.step[FLOW_EXPLAIN_MAX - 1] & EXPLAIN_VALUE_MASK, FLOW_EXPLAIN_MAX - 1);
}

static void
a_value_that_does_not_fit_is_left_out_and_marks_the_walk_cut(void **state)
{
	struct explain_record r = {0};

	(void)state;
	explain_note(&r, EXPLAIN_ROUTE, EXPLAIN_VALUE_MASK + 1);
	explain_note_rule(&r, EXPLAIN_CHAIN_MAX, 0);
	explain_note_rule(&r, 0, EXPLAIN_RULE_MAX);
	assert_int_equal(r.n, 0);
	assert_true(r.truncated);
	explain_note_rule(&r, EXPLAIN_CHAIN_MAX - 1, EXPLAIN_RULE_MAX - 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.step[0] & EXPLAIN_VALUE_MASK,
			 (EXPLAIN_CHAIN_MAX - 1) << 16 | (EXPLAIN_RULE_MAX - 1));
}

static void
a_flow_keeps_the_record_and_the_version(void **state)
{
	struct explain_record r = {0};
	struct flow f;

	(void)state;
	memset(&f, 0xff, sizeof(f));
	explain_note(&r, EXPLAIN_PORT_IN, 1);
	explain_note(&r, EXPLAIN_ROUTE, 2);
	flow_explain_keep(&f, &r, 42);
	assert_int_equal(f.n_explain, 2);
	assert_int_equal(f.owner_version, 42);
	assert_memory_equal(f.explain, r.step, 2 * sizeof(r.step[0]));
	r.truncated = true;
	flow_explain_keep(&f, &r, 43);
	assert_int_not_equal(f.n_explain, 2); /* marked cut: the count and a flag */
	assert_int_equal(f.n_explain & 0x7f, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(steps_are_kept_in_order_with_their_kind_and_value),
		cmocka_unit_test(a_walk_longer_than_a_flow_holds_keeps_its_first_steps_and_says_so),
		cmocka_unit_test(a_value_that_does_not_fit_is_left_out_and_marks_the_walk_cut),
		cmocka_unit_test(a_flow_keeps_the_record_and_the_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
