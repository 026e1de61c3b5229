/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The meter registry (meter.h): names to indexes with an open-addressing
 * table, totals in an array.  All of it on the simulation thread, where
 * growing an array is allowed; nothing here runs on a worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"
#include "name_hash.h"

void
meter_registry_free(struct meter_registry *r)
{
	free(r->m);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

int
meter_find(const struct meter_registry *r, const char *name)
{
	uint32_t mask = r->n_slots - 1, i;

	if (r->n_slots == 0)
		return -1;
	for (i = name_hash(name) & mask; r->slots[i] != 0; i = (i + 1) & mask)
		if (strcmp(r->m[r->slots[i] - 1].name, name) == 0)
			return (int)(r->slots[i] - 1);
	return -1;
}

/* Twice as many slots, every meter placed again. */
static int
grow_slots(struct meter_registry *r)
{
	uint32_t n_slots = r->n_slots ? 2 * r->n_slots : 256, mask = n_slots - 1, i, k;
	uint32_t *slots = calloc(n_slots, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (k = 0; k < r->n; k++) {
		for (i = name_hash(r->m[k].name) & mask; slots[i] != 0; i = (i + 1) & mask)
			;
		slots[i] = k + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->n_slots = n_slots;
	return 0;
}

static int
meter_add(struct meter_registry *r, const char *name)
{
	uint32_t mask, i;

	if (r->n == METERS_MAX)
		return -1;
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? 2 * r->cap : 64;
		struct meter *m = realloc(r->m, cap * sizeof(*m));

		if (m == NULL)
			return -1;
		r->m = m;
		r->cap = cap;
	}
	if (2 * (r->n + 1) > r->n_slots && grow_slots(r) != 0)
		return -1;
	memset(&r->m[r->n], 0, sizeof(r->m[r->n]));
	snprintf(r->m[r->n].name, sizeof(r->m[r->n].name), "%s", name);
	mask = r->n_slots - 1;
	for (i = name_hash(name) & mask; r->slots[i] != 0; i = (i + 1) & mask)
		;
	r->slots[i] = r->n + 1;
	return (int)r->n++;
}

void
meter_note(struct meter_registry *r, uint16_t *cache, const char *prefix, const char *id,
	   uint16_t *list, uint8_t *n)
{
	char name[METER_NAME_LEN];
	int idx;
	uint8_t i;

	/*
	 * A cached index past the registry's end is from another registry (one
	 * that was freed while the snapshot lived on: the unit tests do that):
	 * looked up again rather than trusted.
	 */
	if (cache != NULL && *cache != 0 && *cache <= r->n) {
		idx = *cache - 1;
	} else {
		snprintf(name, sizeof(name), "%s%s", prefix, id);
		idx = meter_find(r, name);
		if (idx < 0)
			idx = meter_add(r, name);
		if (idx < 0) {
			r->full++;
			return;
		}
		if (cache != NULL)
			*cache = (uint16_t)(idx + 1);
	}
	/* A walk may pass a device twice (hairpin): one count per packet all the same. */
	for (i = 0; i < *n; i++)
		if (list[i] == idx)
			return;
	if (*n == FLOW_METERS_MAX) {
		r->overflow++;
		return;
	}
	list[(*n)++] = (uint16_t)idx;
}

void
meter_count(struct meter_registry *r, const uint16_t *list, uint8_t n, uint64_t packets,
	    uint64_t bytes)
{
	uint8_t i;

	for (i = 0; i < n; i++) {
		r->m[list[i]].packets += packets;
		r->m[list[i]].bytes += bytes;
	}
}

void
meter_fold_flow(struct meter_registry *r, const struct flow *f)
{
	struct flow_stats s;

	if (f->n_meters == 0)
		return;
	flow_stats_sum(f, &s);
	meter_count(r, f->meters, f->n_meters, s.packets, s.bytes);
}

void
meter_snapshot(const struct meter_registry *r, struct flow_cache *fc, uint64_t *packets,
	       uint64_t *bytes)
{
	const struct flow *f;
	struct flow_stats s;
	uint32_t next = 0, k;
	uint8_t i;

	for (k = 0; k < r->n; k++) {
		packets[k] = r->m[k].packets;
		bytes[k] = r->m[k].bytes;
	}
	while (flow_cache_iterate(fc, &next, &f) == 0) {
		if (f->n_meters == 0)
			continue;
		flow_stats_sum(f, &s);
		for (i = 0; i < f->n_meters; i++) {
			packets[f->meters[i]] += s.packets;
			bytes[f->meters[i]] += s.bytes;
		}
	}
}
