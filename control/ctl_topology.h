/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing in the midonet-cli grammar (control/README.md,
 * "Topology editing"): `bridge create name br0`, `bridge bridge0 add port`,
 * `chain chain0 add rule dst 10.0.0.0/24 type drop`, `list bridge`...
 *
 * One "topology" command on the control socket carries the words.  Every
 * edit changes a copy of the store's document, is checked with
 * topology_json_load (its message goes back to the user), and only then is
 * handed to the store's commit(); the daemon reloads on the store's changed
 * flag.  A refused command changes nothing.
 *
 * Objects are named by midonet-cli's short aliases (bridge0, router0:port1,
 * chain3:rule0, pgroup0, tzone0, host0) or by their ids.  Aliases belong to
 * one session, as midonet-cli's do; here the session is the daemon's life:
 * an object gets the next free number of its kind the first time the
 * command server sees it (in document order), keeps it while the daemon
 * runs, and a deleted object's alias is never handed out again.  So every
 * kairoctl run and every client sees the same aliases.
 *
 * ctl_topology.c: the entry point, aliases, words.  ctl_topology_print.c:
 * listings.  ctl_topology_edit.c: bridges, routers, ports, routes.  ctl_topology_hosts.c: hosts, bindings, tunnel zones.
 * ctl_topology_chain.c: chains, rules, port groups.  All run on the command server's
 * thread only, which is why the alias registry needs no lock.
 */
#ifndef KAIRO_CTL_TOPOLOGY_H
#define KAIRO_CTL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dataplane.h"

/* The control socket's "topology" command: args {"words": ["bridge", "create", ...]}. */
int ctl_topology_command(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

/* ---- shared by ctl_topology.c and ctl_topology_edit.c ---- */

/* The kinds of objects with aliases of their own; children (ports, routes, rules) are scoped. */
enum topo_kind {
	KIND_BRIDGE,
	KIND_ROUTER,
	KIND_CHAIN,
	KIND_PORT_GROUP,
	KIND_TUNNEL_ZONE,
	KIND_HOST,
	KIND_PORT,  /* scoped by device id */
	KIND_ROUTE, /* scoped by router id */
	KIND_RULE,  /* scoped by chain id */
	KIND_COUNT,
};

/* An alias: "router123:port45" and room to spare. */
#define ALIAS_LEN 96

/*
 * What each kind is called: the word of the grammar, the alias prefix
 * (midonet-cli's), the document's array.
 */
struct topo_kind_name {
	const char *word;
	const char *prefix;
	const char *array;
};
extern const struct topo_kind_name topo_kinds[KIND_COUNT];

/* One command being run: the words, where we are in them, the working document. */
struct topo_cmd {
	struct kairo_dp *dp;
	json_t *doc;     /* a private copy of the store's document: edits go here */
	char **words;
	int n_words;
	int pos;         /* the next word to read */
	json_t *lines;   /* the reply's text, one midonet-cli style line each */
	json_t *result;  /* the reply object (lines, alias, id, objects) */
	bool edited;     /* doc changed: check and commit it */
	char *err;
	size_t errlen;
};

int topo_fail(struct topo_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Words: the next one (NULL at the end), whether one is there, a required one. */
const char *topo_peek(const struct topo_cmd *c);
const char *topo_next(struct topo_cmd *c);
/* The value after a keyword: refused with "KEY: missing value" at the end. */
int topo_value(struct topo_cmd *c, const char *key, const char **out);
void topo_line(struct topo_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The array doc[key], created empty if absent. */
json_t *topo_array(json_t *doc, const char *key);
/* The object with this "id" in arr, or NULL (*index set when found). */
json_t *topo_find_id(const json_t *arr, const char *id, size_t *index);
/* The port with this id and the device holding it (kind KIND_BRIDGE/KIND_ROUTER). */
json_t *topo_find_port(const json_t *doc, const char *id, json_t **device, enum topo_kind *kind);

/* A fresh id, a random UUID as MidoNet's. */
void topo_new_id(char *out, size_t len);

/* The alias of an object (assigned now if never seen): "bridge0", "port2". */
void topo_alias(enum topo_kind kind, const char *scope, const char *id, char *out, size_t len);
/* A port's full alias: "router0:port1". */
void topo_port_alias(const json_t *doc, const char *port_id, char *out, size_t len);
/* A chain's alias or "" for none. */
void topo_chain_alias(const char *chain_id, char *out, size_t len);

/*
 * Resolve a word to an object: its alias or its id.  Refused with a message
 * naming the word when nothing matches.  For ports, word may be
 * "router0:port1", a port id, or "port1" inside device (may be NULL).
 */
int topo_resolve(struct topo_cmd *c, enum topo_kind kind, const char *word, json_t **obj,
		 size_t *index);
int topo_resolve_port(struct topo_cmd *c, const char *word, const json_t *device, json_t **port,
		      char *id, size_t idlen);
int topo_resolve_child(struct topo_cmd *c, enum topo_kind kind, const json_t *parent,
		       const char *key, const char *word, json_t **obj, size_t *index);

/* Listings, also used after an edit to show what was made. */
void topo_print_port(struct topo_cmd *c, const json_t *device, enum topo_kind dkind,
		     const json_t *port);
void topo_print_route(struct topo_cmd *c, const json_t *router, const json_t *route);
void topo_print_rule(struct topo_cmd *c, const json_t *chain, const json_t *rule);

/* ctl_topology_edit.c: helpers the edits share. */
const char *topo_id_of(const json_t *o);
bool topo_is_word(const char *w, const char *s);
/* Each refuses with "KEY \"VALUE\": what it should be". */
int topo_number(struct topo_cmd *c, const char *key, const char *s, unsigned long max,
		unsigned long *out);
int topo_check_cidr(struct topo_cmd *c, const char *key, const char *s);
int topo_check_mac(struct topo_cmd *c, const char *key, const char *s);
/* "KEY VALUE" pairs until the words run out; allowed lists the keys (NULL-terminated). */
int topo_set_attributes(struct topo_cmd *c, json_t *o, const char *const *allowed);
/* Say what was made ("bridge1", "chain0:rule2") and mark the document edited. */
void topo_made(struct topo_cmd *c, const char *alias, const char *id);
/* "create [attributes]": a new object with a fresh id at the end of doc[array]. */
int topo_create(struct topo_cmd *c, enum topo_kind kind, const char *array,
		const char *const *attrs, json_t **out);
void topo_array_remove_string(json_t *arr, const char *id);

/* ctl_topology_edit.c: "bridge ...", "router ...", ... after the first word. */
int topo_edit_bridge(struct topo_cmd *c);
int topo_edit_router(struct topo_cmd *c);
int topo_edit_chain(struct topo_cmd *c);
int topo_edit_port_group(struct topo_cmd *c);
int topo_edit_tunnel_zone(struct topo_cmd *c);
int topo_edit_host(struct topo_cmd *c);
/* "port P ..." of a device already resolved. */
int topo_edit_port(struct topo_cmd *c, json_t *device, enum topo_kind dkind);

/* ctl_topology.c: listings of a kind, "show" of one object. */
int topo_list(struct topo_cmd *c, enum topo_kind kind);
int topo_show(struct topo_cmd *c, enum topo_kind kind, const json_t *obj);
/* This daemon's host (alive: it answers) or one of the document's. */
int topo_show_host(struct topo_cmd *c, const char *word);

#endif
