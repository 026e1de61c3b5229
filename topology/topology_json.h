/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology document (JSON, format: config/README.md, "Topology file")
 * turned into an immutable snapshot (topology/topology.h).  Every store
 * (nsdb/: the embedded file, ZooKeeper) and the CLI's topology editor build
 * their snapshots with these calls, so a document means the same wherever it
 * comes from and every mistake is named the same way: "SOURCE: FIELD: what".
 *
 * Entry points of the topology/ floor; topology_load.h and topology_hosts.h
 * are the loader's own.
 */
#ifndef KAIRO_TOPOLOGY_JSON_H
#define KAIRO_TOPOLOGY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_byteorder.h>

#include "topology.h"

/*
 * A local interface a binding may name: the "name" of a port of the daemon
 * (its config's ports, and those added at run time).  A binding that names
 * none of them waits for its interface (topology.h, topo_port_is_waiting).
 * link_down: the interface has no carrier; zero means up, so a list built
 * without link state (tests, --check-config) reads as all up.
 */
struct local_interface {
	const char *name;
	uint16_t dpdk_port;
	bool link_down;
};

/*
 * Build a snapshot from the topology file at path.  Bindings are resolved
 * against the local interfaces; one naming an interface not among them is
 * kept, waiting for it.  On error returns NULL with a message
 * "FILE: FIELD: what" in err; nothing is half-built.
 */
struct topology *topology_file_load(const char *path, const struct local_interface *ifs,
				    unsigned int n_ifs, char *err, size_t errlen);

/*
 * The same from a document already in memory (the file's schema), for stores
 * that assemble it elsewhere (ZooKeeper) and for edits checked before they
 * are written.  source names the document in messages ("SOURCE: FIELD: what").
 */
struct topology *topology_json_load(const json_t *root, const char *source,
				    const struct local_interface *ifs, unsigned int n_ifs,
				    char *err, size_t errlen);

/*
 * This daemon's host id and underlay address (0: no underlay configured).
 * Process-wide and set before any snapshot is built: every store (file,
 * ZooKeeper, the CLI's editor) builds snapshots for the same host.
 */
void topology_hosts_set_local(const char *host_id, rte_be32_t underlay_ip);

/*
 * This daemon's physical networks: names[i] reaches the wire through its
 * port ifaces[i] (the configuration's "physical_networks"), for provider
 * bridges (topology/topology_provider.c).  Process-wide like the host id.
 * -1 if there are more than 16.
 */
int topology_physnets_set_local(const char *const *names, const char *const *ifaces,
				unsigned int n);

#endif
