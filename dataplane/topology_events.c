/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology's changes in the event log (util/event_log.h), in MidoNet's
 * words (operations guide, ch. 13): the store's document before and after a
 * reload, compared object by object by id.
 *
 *   topology.Bridge CREATE b1 name=left       topology.Port UPDATE p1 bridge b1
 *   topology.Router ROUTE_CREATE r1 route x   topology.Rule DELETE ru3 chain c1
 *   Port LINK p2 r1p1                          Port UNLINK p2 r1p1
 *
 * The documents are compared, not the snapshots the simulation diffs
 * (sim/topology_diff.c): those compare by index, which is what invalidating
 * flows needs, while an operator's event names objects by id.  A change of an
 * object's own fields is an UPDATE; its children (ports, routes, rules) have
 * events of their own, a port's peer is a LINK or UNLINK (once per pair of
 * ports), and a rule moving because another was inserted is no UPDATE (MidoNet
 * renumbers positions too).  Bindings are Port BIND / UNBIND, from the
 * resolved bindings (topology_reload.c), not from here.
 *
 * Order: links broken, then objects in document order (each device before its
 * children when created, after them when deleted), then links made.  Runs on
 * the control thread at a reload, never on a packet's way.
 */
#include <string.h>

#include "dataplane.h"
#include "event_log.h"

/* A kind of object: where it lives in the document, its event name, its children. */
struct kind {
	const char *array; /* "bridges" */
	const char *name;  /* "topology.Bridge" */
	const char *const *own_skip; /* children and fields not part of its own state */
};

static const char *const device_skip[] = {"ports", "routes", NULL};
static const char *const chain_skip[] = {"rules", NULL};
static const char *const port_skip[] = {"peer", NULL};
static const char *const rule_skip[] = {"pos", NULL};
static const char *const no_skip[] = {NULL};

static const struct kind kinds[] = {
	{"bridges", "topology.Bridge", device_skip},
	{"routers", "topology.Router", device_skip},
	{"chains", "topology.Chain", chain_skip},
	{"port_groups", "topology.PortGroup", no_skip},
	{"tunnel_zones", "topology.TunnelZone", no_skip},
	{"hosts", "topology.Host", no_skip},
};

/* An object's id, or "" (routes and rules may have none: then they are matched by place). */
static const char *
id_of(const json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));

	return id != NULL ? id : "";
}

/* The element of array with o's id (or, without ids, at index i); NULL if none. */
static const json_t *
find_same(const json_t *array, const json_t *o, size_t i)
{
	const char *id = id_of(o);
	const json_t *e;
	size_t j;

	if (id[0] == '\0') {
		e = json_array_get(array, i);
		return e != NULL && id_of(e)[0] == '\0' ? e : NULL;
	}
	json_array_foreach(array, j, e)
		if (strcmp(id_of(e), id) == 0)
			return e;
	return NULL;
}

/* a and b equal but for the keys in skip. */
static bool
same_own(const json_t *a, const json_t *b, const char *const *skip)
{
	json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
	bool same;

	for (; *skip != NULL; skip++) {
		json_object_del(ca, *skip);
		json_object_del(cb, *skip);
	}
	same = json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return same;
}

/* "b1 name=left", or the place "routes[2]" of an object without an id. */
static void
label(const json_t *o, size_t i, const char *array, char *buf, size_t len)
{
	const char *name = json_string_value(json_object_get(o, "name"));

	if (id_of(o)[0] == '\0')
		snprintf(buf, len, "%s[%zu]", array, i);
	else if (name != NULL)
		snprintf(buf, len, "%s name=%s", id_of(o), name);
	else
		snprintf(buf, len, "%s", id_of(o));
}

/*
 * The children of one device (ports, routes, rules) between its two
 * versions; either may be NULL (the device created or deleted).  word and id
 * name the parent ("bridge", "b1"); deleted: emit only the deletions (the
 * device goes after them), else only creations and updates.
 */
static void
children_events(const json_t *was, const json_t *now, const char *array, const char *word,
		const char *id, const char *dev_kind, bool deleted)
{
	const json_t *old_a = json_object_get(was, array), *new_a = json_object_get(now, array);
	const bool route = strcmp(array, "routes") == 0;
	const char *kind = route ? dev_kind : strcmp(array, "rules") == 0 ? "topology.Rule"
									   : "topology.Port";
	const char *const *skip = route ? no_skip : strcmp(array, "rules") == 0 ? rule_skip
										  : port_skip;
	const json_t *o, *other;
	char what[160];
	size_t i;

	if (deleted) {
		json_array_foreach(old_a, i, o)
			if (find_same(new_a, o, i) == NULL) {
				label(o, i, array, what, sizeof(what));
				if (route)
					event_log(kind, "ROUTE_DELETE", "%s route %s", id, what);
				else
					event_log(kind, "DELETE", "%s %s %s", what, word, id);
			}
		return;
	}
	json_array_foreach(new_a, i, o) {
		other = find_same(old_a, o, i);
		if (other != NULL && same_own(other, o, skip))
			continue;
		label(o, i, array, what, sizeof(what));
		if (route)
			event_log(kind, other ? "ROUTE_UPDATE" : "ROUTE_CREATE", "%s route %s", id,
				  what);
		else
			event_log(kind, other ? "UPDATE" : "CREATE", "%s %s %s", what, word, id);
	}
}

/* "bridge", "router", "chain": a child's parent as its event names it. */
static const char *
parent_word(const struct kind *k)
{
	return strcmp(k->array, "bridges") == 0 ? "bridge" :
	       strcmp(k->array, "routers") == 0 ? "router" : "chain";
}

static void
kind_events(const struct kind *k, const json_t *old_doc, const json_t *new_doc)
{
	const json_t *old_a = json_object_get(old_doc, k->array);
	const json_t *new_a = json_object_get(new_doc, k->array), *o, *other;
	const char *children[2] = {NULL, NULL};
	char what[160];
	size_t i, c;

	if (k->own_skip == device_skip) {
		children[0] = "ports";
		children[1] = strcmp(k->array, "routers") == 0 ? "routes" : NULL;
	} else if (k->own_skip == chain_skip) {
		children[0] = "rules";
	}
	json_array_foreach(old_a, i, o) {
		other = find_same(new_a, o, i);
		for (c = 0; c < 2 && children[c] != NULL; c++)
			children_events(o, other, children[c], parent_word(k), id_of(o), k->name,
					true);
		if (other == NULL) {
			label(o, i, k->array, what, sizeof(what));
			event_log(k->name, "DELETE", "%s", what);
		}
	}
	json_array_foreach(new_a, i, o) {
		other = find_same(old_a, o, i);
		label(o, i, k->array, what, sizeof(what));
		if (other == NULL)
			event_log(k->name, "CREATE", "%s", what);
		else if (!same_own(other, o, k->own_skip))
			event_log(k->name, "UPDATE", "%s", what);
		for (c = 0; c < 2 && children[c] != NULL; c++)
			children_events(other, o, children[c], parent_word(k), id_of(o), k->name,
					false);
	}
}

/* Every link of doc as "a b" (a < b), into set (an object used as a set of strings). */
static json_t *
links_of(const json_t *doc)
{
	static const char *const devices[] = {"bridges", "routers", NULL};
	json_t *set = json_object(), *dev, *port;
	const char *const *d;
	const char *a, *b;
	char key[2 * 130];
	size_t i, j;

	for (d = devices; *d != NULL; d++)
		json_array_foreach(json_object_get(doc, *d), i, dev)
			json_array_foreach(json_object_get(dev, "ports"), j, port) {
				a = id_of(port);
				b = json_string_value(json_object_get(port, "peer"));
				if (b == NULL || a[0] == '\0')
					continue;
				snprintf(key, sizeof(key), "%s %s", strcmp(a, b) < 0 ? a : b,
					 strcmp(a, b) < 0 ? b : a);
				json_object_set_new(set, key, json_true());
			}
	return set;
}

/* The links in a and not in b, as events of kind what. */
static void
link_events(const json_t *a, const json_t *b, const char *what)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)a, key, v)
		if (json_object_get(b, key) == NULL)
			event_log("Port", what, "%s", key);
}

void
dp_topology_events(const json_t *old_doc, const json_t *new_doc)
{
	json_t *old_links, *new_links;
	size_t k;

	if (old_doc == NULL || new_doc == NULL || json_equal((json_t *)old_doc, (json_t *)new_doc))
		return;
	old_links = links_of(old_doc);
	new_links = links_of(new_doc);
	link_events(old_links, new_links, "UNLINK");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		kind_events(&kinds[k], old_doc, new_doc);
	link_events(new_links, old_links, "LINK");
	json_decref(old_links);
	json_decref(new_links);
}
