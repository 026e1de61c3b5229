/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ZooKeeper store's document, assembled from the cached nodes
 * (nsdb/zk_tree.c) and checked before the daemon sees it.
 *
 * Order: an array lists its objects by creation (the node's czxid), then by
 * name, so an object keeps its index across changes and new ones come last,
 * which is what sim/topology_diff.c needs to keep learned state.  The
 * bindings are every host's, host by host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_config.h>

#include "topology.h"
#include "zk_internal.h"

static const struct zk_dir *order_dir;

static int
cmp_created(const void *a, const void *b)
{
	const struct zk_node *x = &order_dir->nodes[*(const size_t *)a];
	const struct zk_node *y = &order_dir->nodes[*(const size_t *)b];

	if (x->czxid != y->czxid)
		return x->czxid < y->czxid ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* d's objects in the document's order, deep copies (the caller may edit them). */
static json_t *
dir_array(struct zk_dir *d)
{
	json_t *arr = json_array();
	size_t i;

	free(d->order);
	d->order = malloc((d->n + 1) * sizeof(*d->order));
	if (arr == NULL || d->order == NULL) {
		json_decref(arr);
		return NULL;
	}
	for (i = 0; i < d->n; i++)
		d->order[i] = i;
	/* The lock is held: one caller at a time uses order_dir. */
	order_dir = d;
	qsort(d->order, d->n, sizeof(*d->order), cmp_created);
	for (i = 0; i < d->n; i++)
		if (json_array_append_new(arr, json_deep_copy(d->nodes[d->order[i]].value)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/* "SOURCE: bridges[3].ports[0]: what" gets " (node ROOT/topology/bridges/br4)". */
static void
name_node(struct zk_store *s, const char *source, char *err, size_t errlen)
{
	struct zk_tree *t = &s->tree;
	size_t sl = strlen(source), i, len = strlen(err);
	const struct zk_dir *d = NULL;
	unsigned long idx;
	const char *f;
	char *end;

	if (strncmp(err, source, sl) != 0 || strncmp(err + sl, ": ", 2) != 0)
		return;
	f = err + sl + 2;
	if (strncmp(f, "bindings[", 9) == 0) {
		idx = strtoul(f + 9, &end, 10);
		if (*end == ']' && idx < t->n_bind)
			snprintf(err + len, errlen - len, " (node %s/%s)", t->bind_order[idx].dir->path,
				 t->bind_order[idx].dir->nodes[t->bind_order[idx].index].name);
		return;
	}
	for (i = 0; i < t->n_dirs && d == NULL; i++)
		if (strncmp(f, t->dirs[i].kind, strlen(t->dirs[i].kind)) == 0 &&
		    f[strlen(t->dirs[i].kind)] == '[')
			d = &t->dirs[i];
	if (d == NULL)
		return;
	idx = strtoul(f + strlen(d->kind) + 1, &end, 10);
	if (*end == ']' && idx < d->n && d->order != NULL)
		snprintf(err + len, errlen - len, " (node %s/%s)", d->path,
			 d->nodes[d->order[idx]].name);
}

/*
 * Build a snapshot once here, so that a mistake is reported with the node
 * that holds it; the interfaces bindings name are taken as present (the
 * daemon checks those against its ports when it loads the document).
 */
static int
check_document(struct zk_store *s, const json_t *doc, char *err, size_t errlen)
{
	static struct local_interface ifs[RTE_MAX_ETHPORTS];
	const json_t *jb = json_object_get(doc, "bindings"), *v, *jif;
	unsigned int n_ifs = 0, j;
	struct topology *topo;
	size_t i;

	json_array_foreach(jb, i, v) {
		jif = json_object_get(v, "interface");
		if (!json_is_string(jif))
			continue;
		for (j = 0; j < n_ifs; j++)
			if (strcmp(ifs[j].name, json_string_value(jif)) == 0)
				break;
		if (j == n_ifs && n_ifs < RTE_MAX_ETHPORTS) {
			ifs[n_ifs].name = json_string_value(jif);
			ifs[n_ifs].dpdk_port = (uint16_t)n_ifs;
			n_ifs++;
		}
	}
	topo = topology_json_load(doc, s->source, ifs, n_ifs, err, errlen);
	if (topo == NULL) {
		name_node(s, s->source, err, errlen);
		return -EINVAL;
	}
	topology_free(topo);
	return 0;
}

/*
 * Every host's bindings, host by host; another host's say which host they
 * are (the document's "host"), this host's are as written.
 */
static json_t *
bindings_array(struct zk_store *s)
{
	struct zk_tree *t = &s->tree;
	json_t *all = json_array(), *arr, *v;
	char host[ZK_NAME_LEN];
	size_t i, j, n = 0;

	for (i = 0; i < t->n_hosts; i++)
		n += t->hosts[i].n;
	free(t->bind_order);
	t->bind_order = malloc((n + 1) * sizeof(*t->bind_order));
	t->n_bind = 0;
	if (all == NULL || t->bind_order == NULL)
		goto nomem;
	for (i = 0; i < t->n_hosts; i++) {
		struct zk_dir *d = &t->hosts[i];
		bool self = strcmp(d->kind, s->cfg.host_id) == 0;

		if (d->n == 0)
			continue;
		if ((arr = dir_array(d)) == NULL)
			goto nomem;
		zk_name_decode(d->kind, host, sizeof(host));
		json_array_foreach(arr, j, v) {
			if (!self && json_object_get(v, "host") == NULL)
				json_object_set_new(v, "host", json_string(host));
			t->bind_order[t->n_bind++] = (struct zk_ref){.dir = d, .index = d->order[j]};
		}
		json_array_extend(all, arr);
		json_decref(arr);
	}
	return all;
nomem:
	json_decref(all);
	return NULL;
}

json_t *
zk_tree_document(struct zk_store *s, char *err, size_t errlen)
{
	struct zk_tree *t = &s->tree;
	json_t *doc, *arr;
	size_t i, j;

	for (i = 0; i < t->n_dirs + t->n_hosts; i++) {
		struct zk_dir *d = zk_tree_dir(t, i);

		if (!d->bindings && strcmp(d->kind, "bindings") == 0) {
			snprintf(err, errlen, "%s: %s: bindings belong to hosts: %s/<host-id>/"
				 "bindings/<port-id>", s->source, d->path, s->hosts_path);
			return NULL;
		}
		for (j = 0; j < d->n; j++)
			if (d->nodes[j].error != NULL) {
				snprintf(err, errlen, "%s", d->nodes[j].error);
				return NULL;
			}
	}
	doc = json_object();
	if (doc == NULL)
		goto nomem;
	for (i = 0; i < t->n_dirs; i++) {
		struct zk_dir *d = &t->dirs[i];
		char kind[ZK_NAME_LEN];

		if (d->n == 0)
			continue;
		if ((arr = dir_array(d)) == NULL)
			goto nomem;
		zk_name_decode(d->kind, kind, sizeof(kind));
		if (json_object_set_new(doc, kind, arr) != 0)
			goto nomem;
	}
	if ((arr = bindings_array(s)) == NULL)
		goto nomem;
	if (json_array_size(arr) == 0)
		json_decref(arr);
	else if (json_object_set_new(doc, "bindings", arr) != 0)
		goto nomem;
	if (check_document(s, doc, err, errlen) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
nomem:
	json_decref(doc);
	snprintf(err, errlen, "%s: out of memory", s->source);
	return NULL;
}
