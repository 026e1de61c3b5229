/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where topology documents come from: the embedded store reads a local JSON
 * file (nsdb/topology_store_file.c), ZooKeeper assembles one from its nodes
 * (nsdb/zk_store.c).  Snapshots are built from either with topology_json_load
 * (topology/topology_json.h).
 */
#ifndef KAIRO_TOPOLOGY_STORE_H
#define KAIRO_TOPOLOGY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "topology_json.h"

/*
 * A store: where the topology document lives and how it is changed.  The
 * embedded file store (nsdb/topology_store_file.c) and ZooKeeper
 * (nsdb/zk_store.c) implement the same operations; the daemon builds each
 * snapshot with topology_json_load from document(), and the CLI's topology
 * editor changes a copy of the document, checks it with topology_json_load
 * and hands it to commit().
 *
 * A store that learns of a change on its own (a ZooKeeper watch) sets
 * *changed (an atomic flag the daemon's control loop polls, as it does for
 * SIGHUP); the daemon then reads document() again.  No call blocks a worker:
 * stores are used from the control thread and the command server only.
 */
struct topology_store;

struct topology_store_ops {
	const char *name; /* "file", "zookeeper": shown in views and messages */
	/* The current document, a new reference the caller decrefs; NULL with a message in err. */
	json_t *(*document)(struct topology_store *s, char *err, size_t errlen);
	/*
	 * Make doc the topology: all of it or nothing (the file is replaced by
	 * rename; ZooKeeper nodes change in one multi-op).  0 or -errno with err.
	 */
	int (*commit)(struct topology_store *s, const json_t *doc, char *err, size_t errlen);
	/*
	 * This host's interfaces changed (ports added or removed at run time):
	 * [{"name", "device", "role"}], as the store registered them at open.
	 * NULL for a store that keeps no host record (the file).  0 or -errno
	 * with err; the list is kept either way and written when it can be.
	 */
	int (*set_interfaces)(struct topology_store *s, const json_t *interfaces, char *err,
			      size_t errlen);
	/* The store can be read and written now; NULL for a store that is always there (the file). */
	bool (*connected)(struct topology_store *s);
	/*
	 * Every host registered in the store and whether it is alive now:
	 * [{"id", "name", "alive": true|false}] sorted by id, a new reference;
	 * NULL with a message in err when the store cannot be asked (no
	 * session).  A round trip per host, on the caller's thread: the command
	 * server may call it, a worker never.  NULL op for a store that knows
	 * no other host (the file): their liveness is unknown, not false.
	 */
	json_t *(*hosts)(struct topology_store *s, char *err, size_t errlen);
	void (*close)(struct topology_store *s);
};

struct topology_store {
	const struct topology_store_ops *ops;
	int *changed; /* set to 1 (__atomic) when the store changed under us; may be NULL */
};

#endif
