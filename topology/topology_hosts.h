/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay part of the topology document: hosts, tunnel zones, bindings
 * to other hosts and to hardware VTEPs (format: config/README.md, "Hosts
 * and tunnel zones").  topology/topology_load.c calls these while it builds a
 * snapshot; the daemon says once, before the first load, which host it is
 * (topology_hosts_set_local, topology/topology_json.h).
 */
#ifndef KAIRO_TOPOLOGY_HOSTS_H
#define KAIRO_TOPOLOGY_HOSTS_H

#include <stdbool.h>

#include <rte_byteorder.h>

#include "topology_load.h"

/* "hosts" and "tunnel_zones" of root: before the bindings, which name hosts. */
int load_overlay(struct load_state *ls, const json_t *root);

/*
 * The "host" of binding jb (path names it in messages) for port p: absent or
 * this host leaves *remote false (the caller binds the local interface);
 * another host marks p remote and sets *remote.
 */
int load_binding_host(struct json_ctx *ctx, struct topology *t, const json_t *jb,
		      const char *path, struct topo_port *p, bool *remote);

/* "vtep_bindings": after the other bindings. */
int load_vtep_bindings(struct load_state *ls, const json_t *root);

void topology_overlay_free(struct topology *t);

#endif
