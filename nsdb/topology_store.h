/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where topology snapshots come from.  The embedded store reads a local JSON
 * file (docs: config/README.md, "Topology file"); the NSDB issue adds
 * ZooKeeper behind the same call.
 */
#ifndef KAIRO_TOPOLOGY_STORE_H
#define KAIRO_TOPOLOGY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "topology.h"

/* A local interface a binding may name: the "name" of a port in the daemon config. */
struct local_interface {
	const char *name;
	uint16_t dpdk_port;
};

/*
 * Build a snapshot from the topology file at path.  Bindings are resolved
 * against the local interfaces.  On error returns NULL with a message
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

#endif
