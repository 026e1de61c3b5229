/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the ZooKeeper store: what nsdb/zk_store.c (the session, its thread,
 * host registration, the store's ops), nsdb/zk_tree.c (the cache of
 * topology nodes and reading them), nsdb/zk_document.c (assembling and
 * checking the document), nsdb/zk_commit.c and nsdb/zk_hosts.c (every host's
 * liveness) share.  For those files only.
 *
 * Thread-safety:
 *  - libzookeeper-mt calls zk_watcher() on its completion thread.  The
 *    watcher only records what happened (state, paths) under ev_lock and
 *    wakes the session thread; it never calls ZooKeeper itself (a
 *    synchronous call from the completion thread would wait for itself).
 *  - lock guards the handle and the tree.  document() and commit() (the
 *    daemon's control thread, the command server) and the session thread
 *    (re-registration, handle replacement after expiry) take it.
 */
#ifndef KAIRO_ZK_INTERNAL_H
#define KAIRO_ZK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_log.h>
#include <zookeeper/zookeeper.h>

#include "zk_store.h"

/* Paths the store builds from the root: root, a kind or host id, a node name, separators. */
#define ZK_NODE_PATH_LEN (ZK_PATH_LEN * 2 + ZK_NAME_LEN * 2)
#define ZK_NS_PER_MS ((uint64_t)1000000)
#define ZK_NS_PER_S ((uint64_t)1000000000)

extern int kairo_logtype_nsdb;
#define ZK_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, kairo_logtype_nsdb, "nsdb: " fmt "\n", ##__VA_ARGS__)

/* One topology object: a node under ROOT/topology/<kind>/ (or a binding of this host). */
struct zk_node {
	char *name;       /* the node's name: the object's id, %-encoded where ZooKeeper needs it */
	json_t *value;    /* the object as last read; NULL while unread or refused */
	char *error;      /* why the value is refused ("not JSON: ..."); NULL when fine */
	int64_t czxid;    /* creation transaction: an object keeps its place in its array */
	int32_t version;  /* data version, for commit's compare-and-set */
	bool dirty;       /* a watch fired (or never read): read it again */
};

/*
 * A node whose children are the objects of one array of the document:
 * ROOT/topology/<kind>, or one host's ROOT/hosts/<host-id>/bindings (all of
 * them together are the document's "bindings").
 */
struct zk_dir {
	char kind[ZK_NAME_LEN];   /* the array ("bridges"); for bindings, the host's node name */
	char path[ZK_NODE_PATH_LEN];
	bool bindings;            /* a host's bindings: named by "port", "host" is the host */
	bool exists;              /* the node itself was there when last listed */
	struct zk_node *nodes;    /* sorted by name */
	size_t n, cap;
	size_t *order;            /* the document's array index -> nodes[]: by creation, then name */
	bool list_dirty;          /* a child watch fired (or never listed): list again */
};

/* One object of the document's "bindings": which host's dir, which node. */
struct zk_ref {
	struct zk_dir *dir;
	size_t index;
};

struct zk_tree {
	struct zk_dir *dirs;      /* ROOT/topology's children, sorted by kind */
	size_t n_dirs;
	struct zk_dir *hosts;     /* ROOT/hosts' children's bindings, sorted by host */
	size_t n_hosts;
	struct zk_ref *bind_order; /* the document's bindings[i] */
	size_t n_bind;
	bool kinds_dirty;         /* ROOT/topology's child watch fired */
	bool hosts_dirty;         /* ROOT/hosts' child watch fired */
	bool loaded;              /* read at least once */
	size_t last_read;         /* nodes the last refresh read (for the log's timing line) */
};

struct zk_store {
	struct topology_store base; /* first: the ops get a struct topology_store * */
	struct zk_store_config cfg;
	char source[ZK_HOSTS_LEN + ZK_PATH_LEN + 16];
	char topo_path[ZK_NODE_PATH_LEN];
	char hosts_path[ZK_NODE_PATH_LEN];
	char host_path[ZK_NODE_PATH_LEN];
	char bindings_path[ZK_NODE_PATH_LEN];
	char alive_path[ZK_NODE_PATH_LEN];
	char config_default[ZK_NODE_PATH_LEN];
	char config_host[ZK_NODE_PATH_LEN];
	const struct ACL_vector *acl; /* what the nodes we create get */
	json_t *interfaces;         /* our copy of cfg.interfaces: written again on every session */

	pthread_mutex_t lock;       /* zh and tree */
	zhandle_t *zh;
	struct zk_tree tree;

	/* Written by the watcher, read by the session thread and the tree, under ev_lock. */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cond;
	int state;                  /* the session's last state (ZOO_CONNECTED_STATE, ...) */
	bool expired;               /* the session is gone: a new handle is needed */
	bool need_register;         /* connected on a session the host is not registered in */
	bool resync;                /* connected again after a loss: read everything */
	bool all_dirty;             /* too many paths to keep: read everything */
	char **paths;               /* nodes whose watch fired, not yet applied to the tree */
	size_t n_paths, cap_paths;
	uint64_t first_event_ns;    /* a burst of changes: the first and the last, 0 = none */
	uint64_t last_event_ns;
	int config_changed;         /* ROOT/config/... changed or may have (__atomic) */
	bool stop;
	pthread_t thread;
	bool thread_started;
};

/* nsdb/zk_store.c */
void zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
/* Take the paths the watcher recorded (and the all-dirty mark); caller frees them. */
char **zk_take_paths(struct zk_store *s, size_t *n, bool *all);
bool zk_connected(struct zk_store *s);

/* nsdb/zk_hosts.c: the store's hosts() op (topology_store.h); takes s->lock. */
json_t *zk_store_hosts(struct topology_store *ts, char *err, size_t errlen);

/* nsdb/zk_tree.c: every call with s->lock held. */
void zk_tree_init(struct zk_store *s);
void zk_tree_free(struct zk_tree *t);
/* Mark every node and list for reading again (a new session, or a reconnect). */
void zk_tree_mark_all(struct zk_tree *t);
/* Read what watches said changed; 0 or -errno with a message naming the node. */
int zk_tree_refresh(struct zk_store *s, char *err, size_t errlen);

/* nsdb/zk_document.c, with s->lock held, after zk_tree_refresh. */
/* The document from the tree (a new reference), checked; NULL with a message naming the node. */
json_t *zk_tree_document(struct zk_store *s, char *err, size_t errlen);
/* Dir i of all: the kinds', then the hosts' bindings (i < n_dirs + n_hosts). */
struct zk_dir *zk_tree_dir(struct zk_tree *t, size_t i);
/* The node named name in d (sorted by name), or NULL. */
struct zk_node *zk_dir_find(struct zk_dir *d, const char *name);
/* The dir of a kind (its node name, encoded), or NULL. */
struct zk_dir *zk_tree_find_dir(struct zk_tree *t, const char *name);
/* The bindings dir of a host (its node name, encoded), or NULL. */
struct zk_dir *zk_tree_find_host(struct zk_tree *t, const char *name);

/* nsdb/zk_commit.c, with s->lock held, after zk_tree_refresh. */
/* Write doc's changes in one multi-op; 0 or -errno with a message. */
int zk_tree_commit(struct zk_store *s, const json_t *doc, char *err, size_t errlen);

/* "%2F" for '/': ids are any strings, node names are not. */
void zk_name_encode(const char *id, char *out, size_t outlen);
void zk_name_decode(const char *name, char *out, size_t outlen);
/* snprintf for paths and messages built from paths: 0, or -ENAMETOOLONG when cut. */
int zk_fmt(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A message for a ZooKeeper return code, with what to check for the common ones. */
const char *zk_error_text(int rc);

#endif
