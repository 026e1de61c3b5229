/* SPDX-License-Identifier: Apache-2.0 */
/* The simulation's counters as data, from the one list in sim_counters.h. */
#include <string.h>

#include "sim_counters.h"
#include "sim.h"

/*
 * sim_stats_read copies the struct as uint64_t words, and the views read a
 * counter at its offset as one: so every member is a uint64_t, the listed
 * counters and then the drops, with nothing else in between.
 */
_Static_assert(sizeof(struct sim_stats) ==
		       (SIM_COUNTER_COUNT + DROP_REASON_COUNT) * sizeof(uint64_t),
	       "struct sim_stats holds the listed counters and the drops, all uint64_t");

const struct sim_counter sim_counters[SIM_COUNTER_COUNT] = {
#define KAIRO_SIM_COUNTER_INFO(field, topic_, label_, help_)                                     \
	{.name = #field, .label = label_, .help = help_, .topic = SIM_TOPIC_##topic_,            \
	 .offset = offsetof(struct sim_stats, field)},
	KAIRO_SIM_COUNTERS(KAIRO_SIM_COUNTER_INFO)
#undef KAIRO_SIM_COUNTER_INFO
};

static const char *const topic_titles[SIM_TOPIC_COUNT] = {
#define KAIRO_SIM_TOPIC_TITLE(sym, title) [SIM_TOPIC_##sym] = title,
	KAIRO_SIM_TOPICS(KAIRO_SIM_TOPIC_TITLE)
#undef KAIRO_SIM_TOPIC_TITLE
};

const char *
sim_topic_title(unsigned int topic)
{
	return topic < SIM_TOPIC_COUNT ? topic_titles[topic] : NULL;
}

const struct sim_counter *
sim_counter_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < SIM_COUNTER_COUNT; i++)
		if (strcmp(sim_counters[i].name, name) == 0)
			return &sim_counters[i];
	return NULL;
}
