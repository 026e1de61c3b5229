/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the topology loader: what topology/topology_load.c (devices,
 * ports, routes, bindings) and topology/topology_chains.c (rule chains, port
 * groups) share while they build one snapshot.  For those two files only.
 */
#ifndef KAIRO_TOPOLOGY_LOAD_H
#define KAIRO_TOPOLOGY_LOAD_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "json_field.h"
#include "topology_json.h"

/* Field paths in messages ("routers[0].routes[3].gateway"): long enough for any we build. */
#define PATH_LEN 256
/* Room for an IPv6 CIDR in text: INET6_ADDRSTRLEN plus "/128". */
#define CIDR6_STR_LEN (INET6_ADDRSTRLEN + 4)

/* Peers name ports that may come later in the file: kept by name until all are loaded. */
struct pending_peer {
	uint32_t port;
	char peer[TOPO_ID_LEN];
	char path[PATH_LEN];
};

/* What an id names, in the load's id table (topology/topology_ids.c). */
enum load_id_kind {
	LOAD_ID_NONE,
	LOAD_ID_BRIDGE,
	LOAD_ID_ROUTER,
	LOAD_ID_PORT,
	LOAD_ID_CHAIN,
	LOAD_ID_PORT_GROUP,
};

struct load_id_slot;

struct load_state {
	struct json_ctx *ctx;
	struct topology *t;
	struct pending_peer *peers;
	uint32_t n_peers;
	uint32_t ports_cap;  /* room in t->ports */
	/* Every id loaded so far, so that lookups by id do not scan the snapshot. */
	struct load_id_slot *ids;
	uint32_t ids_mask;  /* slots - 1 (a power of two) */
	uint32_t n_ids;
};

/* base + the formatted rest into out (PATH_LEN bytes), cut rather than overflowing. */
void subpath(char *out, const char *base, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "2001:db8::/32" (or one address: /128) into a masked prefix; the error names fpath. */
int parse_cidr6(struct json_ctx *ctx, const char *fpath, const char *str,
		uint8_t out[IPV6_ADDR_LEN], uint8_t *len);

/* topology/topology_ids.c: the ids loaded so far, by hash (O(1) lookups on average). */

/*
 * Record the id of the kind's object at index (already in ls->t, counted),
 * after id_taken said it is free.  An error names path.
 */
int load_ids_add(struct load_state *ls, enum load_id_kind kind, uint32_t index,
		 const char *path);
/* The index of the object with this id and its kind, or -1. */
int load_ids_find(const struct load_state *ls, const char *id, enum load_id_kind *kind);
void load_ids_free(struct load_state *ls);
/* The index of the port with this id, or -1. */
int find_port(const struct load_state *ls, const char *id);
/* Is id used by any object already loaded? Ids are unique across kinds. */
bool id_taken(const struct load_state *ls, const char *id);

/* A new port at the end of t->ports (zeroed), not counted yet; the error names path. */
int load_port_slot(struct load_state *ls, const char *path, struct topo_port **out);

/* topology/topology_provider.c: a bridge's "provider" and its implicit uplink port. */
int load_bridge_provider(struct load_state *ls, const json_t *jb, const char *path,
			 struct topo_bridge *b, const struct local_interface *ifs,
			 unsigned int n_ifs);

/* topology/topology_vlan.c: a bridge port's "vlan" or "trunk_vlans" into p. */
int load_port_vlan(struct load_state *ls, const json_t *jp, const char *path, struct topo_port *p);

/* topology/topology_chains.c */

/* Every chain's id and name, so that filters and jumps can name chains defined later. */
int load_chain_ids(struct load_state *ls, const json_t *jchains);
/* obj's "inbound_filter" / "outbound_filter" chain ids into indexes (TOPO_NO_INDEX if absent). */
int load_filters(struct load_state *ls, const json_t *obj, const char *path, uint32_t *in,
		 uint32_t *out);
/* Port groups: after every port is loaded. */
int load_port_groups(struct load_state *ls, const json_t *jgroups);
/* Every chain's rules: after ports and port groups, since rules name them. */
int load_chain_rules(struct load_state *ls, const json_t *jchains);
void topology_chains_free(struct topology *t);
/* A port range "lo[-hi]" (each 0-65535, lo <= hi). */
int parse_range(const char *s, uint16_t *lo, uint16_t *hi);

/* topology/topology_nat.c: a NAT rule's "action" and target(s), once its type is known. */
int load_nat(struct load_state *ls, const json_t *jr, const char *path, struct topo_rule *r);

#endif
