/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ids of one load, in a hash table: every port, bridge, router, chain
 * and port group id loaded so far, by what it names.
 *
 * Each port added asks whether its id is taken, and peers, routes, bindings
 * and port lists look ports up by id: scanning every object for each made a
 * load quadratic in the number of ports (a 50 000 port document took
 * seconds).  The table keeps no strings: a slot holds the id's hash and
 * (kind, index), and the id itself is read back from the snapshot, so
 * t->ports may move when it grows.
 *
 * Open addressing, linear probing, at most half full; ids are unique across
 * kinds (id_taken refuses a second one), so a key is in one slot at most.
 * Only the load fills it, and topology_json_load frees it at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "name_hash.h"
#include "topology_load.h"

/* Slots of a new table; doubled whenever an id would make it more than half full. */
#define LOAD_IDS_MIN_SLOTS 64

struct load_id_slot {
	uint32_t hash;
	uint32_t index;  /* in the kind's array of the snapshot */
	uint8_t kind;    /* enum load_id_kind; LOAD_ID_NONE: free slot */
};

static const char *
id_of(const struct topology *t, uint8_t kind, uint32_t index)
{
	switch (kind) {
	case LOAD_ID_BRIDGE:
		return t->bridges[index].id;
	case LOAD_ID_ROUTER:
		return t->routers[index].id;
	case LOAD_ID_PORT:
		return t->ports[index].id;
	case LOAD_ID_CHAIN:
		return t->chains[index].id;
	case LOAD_ID_PORT_GROUP:
		return t->port_groups[index].id;
	}
	return "";
}

/* The slot holding id, or the free slot where it would go. */
static struct load_id_slot *
slot_of(const struct load_state *ls, const char *id, uint32_t hash)
{
	uint32_t i;

	for (i = hash & ls->ids_mask;; i = (i + 1) & ls->ids_mask) {
		struct load_id_slot *s = &ls->ids[i];

		if (s->kind == LOAD_ID_NONE ||
		    (s->hash == hash && strcmp(id_of(ls->t, s->kind, s->index), id) == 0))
			return s;
	}
}

static int
grow(struct load_state *ls)
{
	uint32_t n_slots = ls->ids == NULL ? LOAD_IDS_MIN_SLOTS : 2 * (ls->ids_mask + 1);
	struct load_id_slot *old = ls->ids;
	uint32_t old_n = old == NULL ? 0 : ls->ids_mask + 1, i;

	ls->ids = calloc(n_slots, sizeof(*ls->ids));
	if (ls->ids == NULL) {
		ls->ids = old;
		return -ENOMEM;
	}
	ls->ids_mask = n_slots - 1;
	for (i = 0; i < old_n; i++) {
		uint32_t j = old[i].hash & ls->ids_mask;

		if (old[i].kind == LOAD_ID_NONE)
			continue;
		while (ls->ids[j].kind != LOAD_ID_NONE)
			j = (j + 1) & ls->ids_mask;
		ls->ids[j] = old[i];
	}
	free(old);
	return 0;
}

int
load_ids_add(struct load_state *ls, enum load_id_kind kind, uint32_t index, const char *path)
{
	const char *id = id_of(ls->t, kind, index);
	uint32_t hash = name_hash(id);
	struct load_id_slot *s;

	if ((ls->ids == NULL || 2 * (ls->n_ids + 1) > ls->ids_mask + 1) && grow(ls) != 0)
		return json_field_error(ls->ctx, path, "out of memory");
	s = slot_of(ls, id, hash);
	/* Callers ask id_taken first, with the message users know: this is only a safety net. */
	if (s->kind != LOAD_ID_NONE)
		return json_field_error(ls->ctx, path, "duplicate id \"%s\"", id);
	s->hash = hash;
	s->index = index;
	s->kind = (uint8_t)kind;
	ls->n_ids++;
	return 0;
}

int
load_ids_find(const struct load_state *ls, const char *id, enum load_id_kind *kind)
{
	const struct load_id_slot *s;

	if (ls->ids == NULL)
		return -1;
	s = slot_of(ls, id, name_hash(id));
	if (s->kind == LOAD_ID_NONE)
		return -1;
	*kind = (enum load_id_kind)s->kind;
	return (int)s->index;
}

void
load_ids_free(struct load_state *ls)
{
	free(ls->ids);
	ls->ids = NULL;
	ls->ids_mask = 0;
	ls->n_ids = 0;
}

int
find_port(const struct load_state *ls, const char *id)
{
	enum load_id_kind kind;
	int i = load_ids_find(ls, id, &kind);

	return i >= 0 && kind == LOAD_ID_PORT ? i : -1;
}

bool
id_taken(const struct load_state *ls, const char *id)
{
	enum load_id_kind kind;

	return load_ids_find(ls, id, &kind) >= 0;
}
