/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Meters, as mm-meter shows them: named packet and byte counters.
 *
 *   port:rx:<port id>   packets that entered the virtual topology by that exterior port
 *   port:tx:<port id>   packets that left it by that exterior port
 *   device:<id>         packets that went into that bridge or router
 *   user:<name>         packets of the flows a rule with "meter": name admitted
 *
 * MidoNet's way: a walk notes the meters it went through, its flow carries
 * them (struct flow.meters, at most FLOW_METERS_MAX), and when the flow is
 * removed its counters fold into the meters' totals.  A meter's value is its
 * totals plus the live flows' counters (meter_snapshot).  Packets the slow
 * path itself sends (a flow's first packets, uncacheable ones) are counted
 * into the totals straight away, since no flow counter sees them.
 *
 * Thread-safety: the registry belongs to the simulation thread; the command
 * server reads it through sim_thread_call.  Totals reset when kairod
 * restarts, as mm-meter's do.
 */
#ifndef KAIRO_METER_H
#define KAIRO_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_cache.h"

/* "port:rx:" and an id (TOPO_ID_LEN), with room to spare. */
#define METER_NAME_LEN 96
/* Meter indexes are uint16_t in flows and the topology's caches; 0 there means none. */
#define METERS_MAX 65535

struct meter {
	char name[METER_NAME_LEN];
	uint64_t packets; /* of removed flows and of packets sent by the slow path */
	uint64_t bytes;
};

struct meter_registry {
	struct meter *m;
	uint32_t n, cap;
	uint32_t *slots;     /* open addressing by name: index + 1, 0 = empty */
	uint32_t n_slots;    /* a power of two, at least twice n */
	uint64_t overflow;   /* meters a walk could not note: its flow carried FLOW_METERS_MAX */
	uint64_t full;       /* meters not created: METERS_MAX reached, or out of memory */
};

void meter_registry_free(struct meter_registry *r);

/* The index of the meter called name, or -1. */
int meter_find(const struct meter_registry *r, const char *name);

/*
 * Note meter prefix+id in a walk's list (list has FLOW_METERS_MAX room, *n
 * used), creating it if new.  cache (may be NULL) is the topology object's
 * memory of the index (index + 1, 0 = not yet looked up): the name is built
 * and looked up once per snapshot, not once per walk.
 */
void meter_note(struct meter_registry *r, uint16_t *cache, const char *prefix, const char *id,
		uint16_t *list, uint8_t *n);

/* Add packets and bytes to every meter of a list (packets the slow path sent). */
void meter_count(struct meter_registry *r, const uint16_t *list, uint8_t n, uint64_t packets,
		 uint64_t bytes);

/* A flow is removed: its counters go into its meters' totals. */
void meter_fold_flow(struct meter_registry *r, const struct flow *f);

/*
 * Every meter's totals plus the live flows' counters, into packets[] and
 * bytes[] (r->n entries each).  Walks the flow cache: simulation thread only.
 */
void meter_snapshot(const struct meter_registry *r, struct flow_cache *fc, uint64_t *packets,
		    uint64_t *bytes);

#endif
