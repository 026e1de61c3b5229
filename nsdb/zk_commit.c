/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commit() for the ZooKeeper store: the nodes a new document changes,
 * written in one multi-op, so ZooKeeper applies all of them or none.
 *
 * Every object becomes the node named after its id (a binding: after its
 * port).  An object equal to the cached one is not written; a changed one is
 * set with the version it was read at, so an edit made by someone else in
 * between fails the whole multi-op (ZBADVERSION) instead of being
 * overwritten; a new one is created; one the document no longer has is
 * deleted, again at the version read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zk_internal.h"

/* ZooKeeper refuses a request larger than jute.maxbuffer (1 MiB by default): stay under it. */
#define ZK_MULTI_MAX_BYTES (1000 * 1000)

/* What a written op makes stale in the cache. */
struct zk_mark {
	struct zk_dir *dir;     /* its list changes (create, delete); NULL for a set */
	struct zk_node *node;   /* its data changes (set) */
	bool kinds;             /* a new kind node */
};

struct zk_plan {
	zoo_op_t *ops;
	zoo_op_result_t *results;
	char **paths;
	char **values;
	struct zk_mark *marks;
	size_t n, cap;
	size_t bytes;
};

static int
plan_grow(struct zk_plan *p, size_t cap)
{
	p->ops = calloc(cap, sizeof(*p->ops));
	p->results = calloc(cap, sizeof(*p->results));
	p->paths = calloc(cap, sizeof(*p->paths));
	p->values = calloc(cap, sizeof(*p->values));
	p->marks = calloc(cap, sizeof(*p->marks));
	p->cap = cap;
	return p->ops && p->results && p->paths && p->values && p->marks ? 0 : -ENOMEM;
}

static void
plan_free(struct zk_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->paths[i]);
		free(p->values[i]);
	}
	free(p->ops);
	free(p->results);
	free(p->paths);
	free(p->values);
	free(p->marks);
}

/* One more op: path (copied) and value (taken). */
static zoo_op_t *
plan_add(struct zk_plan *p, const char *dir, const char *name, char *value, struct zk_mark mark)
{
	size_t len = strlen(dir) + (name ? strlen(name) + 1 : 0) + 1;
	char *path;

	if (p->n == p->cap || (path = malloc(len)) == NULL) {
		free(value);
		return NULL;
	}
	if (name != NULL)
		snprintf(path, len, "%s/%s", dir, name);
	else
		snprintf(path, len, "%s", dir);
	p->paths[p->n] = path;
	p->values[p->n] = value;
	p->marks[p->n] = mark;
	p->bytes += len + (value ? strlen(value) : 0) + 32;
	return &p->ops[p->n++];
}

/* Create dir (no data) unless made already in this plan; made collects what was. */
static int
plan_mkdir(struct zk_store *s, struct zk_plan *p, const char *dir, json_t *made)
{
	zoo_op_t *op;

	if (json_object_get(made, dir) != NULL)
		return 0;
	json_object_set_new(made, dir, json_true());
	op = plan_add(p, dir, NULL, NULL, (struct zk_mark){.kinds = true});
	if (op == NULL)
		return -ENOMEM;
	zoo_create_op_init(op, p->paths[p->n - 1], NULL, -1, s->acl, 0, NULL, 0);
	return 0;
}

/*
 * Where el goes: the dir of key (bindings: of el's host, this one when it
 * names none), its path, and the key of its names in seen_all; the dir
 * nodes missing are created first.  NULL *d when the dir is new.
 */
static int
plan_where(struct zk_store *s, struct zk_plan *p, const char *key, const json_t *el, json_t *made,
	   struct zk_dir **d, char *dirpath, size_t dplen, char *seen_key, size_t sklen)
{
	char name[ZK_PATH_LEN], hostpath[ZK_NODE_PATH_LEN];
	const json_t *jh;

	if (strcmp(key, "bindings") != 0) {
		zk_name_encode(key, name, sizeof(name));
		*d = zk_tree_find_dir(&s->tree, name);
		zk_fmt(dirpath, dplen, "%s/%s", s->topo_path, name);
		snprintf(seen_key, sklen, "%s", name);
		return *d == NULL ? plan_mkdir(s, p, dirpath, made) : 0;
	}
	jh = json_object_get(el, "host");
	zk_name_encode(json_is_string(jh) ? json_string_value(jh) : s->cfg.host_id, name,
		       sizeof(name));
	*d = zk_tree_find_host(&s->tree, name);
	zk_fmt(hostpath, sizeof(hostpath), "%s/%s", s->hosts_path, name);
	zk_fmt(dirpath, dplen, "%s/bindings", hostpath);
	zk_fmt(seen_key, sklen, "hosts/%s", name);
	if (*d == NULL && plan_mkdir(s, p, hostpath, made) != 0)
		return -ENOMEM;
	if ((*d == NULL || !(*d)->exists) && plan_mkdir(s, p, dirpath, made) != 0)
		return -ENOMEM;
	return 0;
}

/* The ops for one array of the document; seen_all collects the node names kept, per dir. */
static int
plan_kind(struct zk_store *s, struct zk_plan *p, const char *key, const json_t *arr,
	  json_t *seen_all, json_t *made, char *err, size_t errlen)
{
	bool bindings = strcmp(key, "bindings") == 0;
	const char *idf = bindings ? "port" : "id";
	char name[ZK_PATH_LEN], dirpath[ZK_NODE_PATH_LEN], seen_key[ZK_NODE_PATH_LEN];
	struct zk_dir *d;
	const json_t *el, *jid;
	json_t *seen;
	size_t i;

	if (!json_is_array(arr)) {
		snprintf(err, errlen, "%s: %s: must be an array", s->source, key);
		return -EINVAL;
	}
	json_array_foreach(arr, i, el) {
		struct zk_node *node;
		zoo_op_t *op;
		char *value;

		if (!json_is_object(el)) {
			snprintf(err, errlen, "%s: %s[%zu]: must be an object", s->source, key, i);
			return -EINVAL;
		}
		jid = json_object_get(el, idf);
		if (!json_is_string(jid) || json_string_length(jid) == 0) {
			snprintf(err, errlen, "%s: %s[%zu]: no \"%s\": each object is the node named "
				 "after it", s->source, key, i, idf);
			return -EINVAL;
		}
		if (bindings && json_object_get(el, "host") != NULL &&
		    !json_is_string(json_object_get(el, "host"))) {
			snprintf(err, errlen, "%s: %s[%zu].host: must be a string", s->source, key, i);
			return -EINVAL;
		}
		if (plan_where(s, p, key, el, made, &d, dirpath, sizeof(dirpath), seen_key,
			       sizeof(seen_key)) != 0)
			goto nomem;
		seen = json_object_get(seen_all, seen_key);
		if (seen == NULL) {
			seen = json_object();
			if (json_object_set_new(seen_all, seen_key, seen) != 0)
				goto nomem;
		}
		zk_name_encode(json_string_value(jid), name, sizeof(name));
		if (json_object_get(seen, name) != NULL) {
			snprintf(err, errlen, "%s: %s[%zu].%s: \"%s\" is given twice", s->source, key,
				 i, idf, json_string_value(jid));
			return -EINVAL;
		}
		json_object_set_new(seen, name, json_true());
		node = d ? zk_dir_find(d, name) : NULL;
		if (node != NULL && node->value != NULL && json_equal(node->value, el))
			continue;
		value = json_dumps(el, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (value == NULL)
			goto nomem;
		op = plan_add(p, dirpath, name, value,
			      node ? (struct zk_mark){.node = node} : (struct zk_mark){.dir = d});
		if (op == NULL)
			goto nomem;
		if (node != NULL)
			zoo_set_op_init(op, p->paths[p->n - 1], value, (int)strlen(value),
					node->version, NULL);
		else
			zoo_create_op_init(op, p->paths[p->n - 1], value, (int)strlen(value), s->acl,
					   0, NULL, 0);
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", s->source);
	return -ENOMEM;
}

/* Delete d's nodes that seen (the document's names for d's kind; NULL = none) lacks. */
static int
plan_deletes(struct zk_store *s, struct zk_plan *p, struct zk_dir *d, const json_t *seen,
	     char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		zoo_op_t *op;

		if (seen != NULL && json_object_get(seen, d->nodes[i].name) != NULL)
			continue;
		op = plan_add(p, d->path, d->nodes[i].name, NULL, (struct zk_mark){.dir = d});
		if (op == NULL) {
			snprintf(err, errlen, "%s: out of memory", s->source);
			return -ENOMEM;
		}
		zoo_delete_op_init(op, p->paths[p->n - 1], d->nodes[i].version);
	}
	return 0;
}

static size_t
plan_capacity(const struct zk_tree *t, const json_t *doc)
{
	const char *key;
	size_t cap = 1, i;
	json_t *v;

	for (i = 0; i < t->n_dirs; i++)
		cap += t->dirs[i].n;
	for (i = 0; i < t->n_hosts; i++)
		cap += t->hosts[i].n;
	/* An object, and perhaps its kind's node, or its host's and its bindings' nodes. */
	json_object_foreach((json_t *)doc, key, v)
		cap += json_array_size(v) * 3 + 1;
	return cap;
}

/* After a write: what it touched is read again (its watches would say so too, a little later). */
static void
plan_mark(struct zk_store *s, const struct zk_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->marks[i].kinds)
			s->tree.kinds_dirty = s->tree.hosts_dirty = true;
		if (p->marks[i].dir != NULL)
			p->marks[i].dir->list_dirty = true;
		if (p->marks[i].node != NULL)
			p->marks[i].node->dirty = true;
	}
	/* New dirs' nodes: listed once their dir is (list_parent makes new dirs list-dirty). */
}

int
zk_tree_commit(struct zk_store *s, const json_t *doc, char *err, size_t errlen)
{
	struct zk_tree *t = &s->tree;
	struct zk_plan p = {0};
	json_t *seen_all = json_object(), *made = json_object(), *v;
	char seen_key[ZK_NODE_PATH_LEN];
	const char *key;
	size_t i;
	int ret = 0, rc;

	if (!json_is_object(doc)) {
		snprintf(err, errlen, "%s: (top level): must be a JSON object", s->source);
		json_decref(seen_all);
		json_decref(made);
		return -EINVAL;
	}
	if (seen_all == NULL || made == NULL || plan_grow(&p, plan_capacity(t, doc)) != 0) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		ret = -ENOMEM;
		goto out;
	}
	json_object_foreach((json_t *)doc, key, v)
		if ((ret = plan_kind(s, &p, key, v, seen_all, made, err, errlen)) != 0)
			goto out;
	for (i = 0; i < t->n_dirs && ret == 0; i++)
		ret = plan_deletes(s, &p, &t->dirs[i], json_object_get(seen_all, t->dirs[i].kind),
				   err, errlen);
	for (i = 0; i < t->n_hosts && ret == 0; i++) {
		zk_fmt(seen_key, sizeof(seen_key), "hosts/%s", t->hosts[i].kind);
		ret = plan_deletes(s, &p, &t->hosts[i], json_object_get(seen_all, seen_key), err,
				   errlen);
	}
	if (ret != 0 || p.n == 0)
		goto out;
	if (p.bytes > ZK_MULTI_MAX_BYTES) {
		snprintf(err, errlen, "%s: the change is %zu bytes in %zu nodes, more than ZooKeeper "
			 "takes in one request (jute.maxbuffer, 1 MiB by default): nothing written; "
			 "commit it in parts", s->source, p.bytes, p.n);
		ret = -E2BIG;
		goto out;
	}
	rc = zoo_multi(s->zh, (int)p.n, p.ops, p.results);
	if (rc != ZOK) {
		const char *path = "(multi-op)";

		for (i = 0; i < p.n; i++)
			if (p.results[i].err != ZOK && p.results[i].err != ZRUNTIMEINCONSISTENCY) {
				rc = p.results[i].err;
				path = p.paths[i];
				break;
			}
		snprintf(err, errlen, "%s: %s: %s; nothing was written", s->source, path,
			 zk_error_text(rc));
		/* Whatever we thought we knew may be old: read it all again. */
		zk_tree_mark_all(t);
		ret = rc == ZBADVERSION || rc == ZNODEEXISTS || rc == ZNONODE ? -EAGAIN :
		      rc == ZNOAUTH ? -EACCES : -EIO;
		goto out;
	}
	ZK_LOG(INFO, "commit: %zu node(s) written in one multi-op", p.n);
	plan_mark(s, &p);
	if (s->base.changed != NULL)
		__atomic_store_n(s->base.changed, 1, __ATOMIC_RELEASE);
out:
	plan_free(&p);
	json_decref(seen_all);
	json_decref(made);
	return ret;
}
