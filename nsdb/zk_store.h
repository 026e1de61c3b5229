/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology store in ZooKeeper (the NSDB).  The layout of the nodes is
 * documented in nsdb/README.md, "ZooKeeper layout": one JSON object per
 * topology object under ROOT/topology/<kind>/<id>, this host's record,
 * bindings and ephemeral liveness node under ROOT/hosts/<host-id>, central
 * configuration under ROOT/config.
 *
 * The store keeps a session open (libzookeeper-mt), watches every node it
 * read and sets the daemon's changed flag when one of them changes (bursts
 * coalesced).  Losing ZooKeeper changes nothing for forwarding: the daemon
 * keeps its last snapshot, the store reconnects, re-registers the host when
 * the session expired, and raises the changed flag once it is back, so the
 * daemon reads everything again.
 */
#ifndef KAIRO_ZK_STORE_H
#define KAIRO_ZK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "topology_store.h"

#define ZK_HOSTS_LEN 512
#define ZK_PATH_LEN 256
#define ZK_NAME_LEN 64
#define ZK_DIGEST_LEN 256

struct zk_store_config {
	char hosts[ZK_HOSTS_LEN];     /* "10.0.0.1:2181,10.0.0.2:2181" (midolman.conf zookeeper_hosts) */
	char root[ZK_PATH_LEN];       /* "/kairo": everything lives below it */
	char host_id[ZK_NAME_LEN];    /* this host's node name under ROOT/hosts */
	char host_name[ZK_NAME_LEN];  /* written into the host record */
	char digest[ZK_DIGEST_LEN];   /* "user:password" for digest auth and ACLs; "" = none */
	uint32_t session_timeout_ms;
	uint32_t start_wait_s;        /* how long open waits for a first session; 0 = for ever */
	/* This host's interfaces (the daemon config's ports), written into the host record. */
	const json_t *interfaces;
};

/*
 * Connect (waiting, with back-off messages, up to start_wait_s), register
 * this host and read the topology once.  changed may be NULL.  NULL with a
 * message in err when no session could be made, authentication failed or a
 * node could not be created.
 */
struct topology_store *zk_store_open(const struct zk_store_config *cfg, int *changed, char *err,
				     size_t errlen);

/*
 * The central configuration for this host: ROOT/config/default with
 * ROOT/config/hosts/<host-id> merged over it (objects key by key).  A new
 * reference ({} when neither node exists), or NULL with a message naming the
 * node that is not a JSON object.
 */
json_t *zk_store_central_config(struct topology_store *s, char *err, size_t errlen);

/*
 * Whether ROOT/config/default or this host's ROOT/config/hosts/<host-id>
 * changed (created, set, deleted) since the last call, or may have (a new
 * session, a reconnect); the flag is cleared.  The store's changed flag is
 * raised with it, so the daemon's control loop asks after each reload and
 * reads zk_store_central_config() again.
 */
bool zk_store_config_changed(struct topology_store *s);

/* "zookeeper HOSTS ROOT": how messages name the store's document. */
const char *zk_store_source(const struct topology_store *s);

#endif
