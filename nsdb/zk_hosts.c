/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every host's liveness, as MidoNet's `host list` shows it: a host is
 * registered by its node ROOT/hosts/<host-id> (its record: name,
 * interfaces) and alive exactly while its ephemeral ROOT/hosts/<host-id>/alive
 * exists, that is while its ZooKeeper session does (nsdb/zk_store.c,
 * zk_register_host).  A host that stopped cleanly loses it at once; one that
 * died or lost its network, when ZooKeeper expires its session
 * (zookeeper.session_timeout_ms).
 *
 * Asked on demand (kairoctl list host) rather than watched: liveness is read
 * by an operator, not by the dataplane, and a watch on every host's node would
 * cost every agent a notification for every other agent's restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zk_internal.h"

/* A host record is small (a name and a few interfaces); a larger one is read without its name. */
#define ZK_HOST_RECORD_MAX 65536

static int
cmp_node_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One host: {"id", "name", "alive"}; s->lock held.  NULL when it went while we read. */
static json_t *
zk_host_entry(struct zk_store *s, const char *node, char *err, size_t errlen)
{
	char path[ZK_NODE_PATH_LEN], id[ZK_NAME_LEN * 3];
	char *buf = malloc(ZK_HOST_RECORD_MAX);
	json_t *rec = NULL, *out;
	const char *name = NULL;
	struct Stat st;
	int len = ZK_HOST_RECORD_MAX, rc;

	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		return NULL;
	}
	zk_name_decode(node, id, sizeof(id));
	zk_fmt(path, sizeof(path), "%s/%s", s->hosts_path, node);
	rc = zoo_get(s->zh, path, 0, buf, &len, &st);
	if (rc == ZOK && len > 0)
		rec = json_loadb(buf, (size_t)len, 0, NULL);
	free(buf);
	if (rc == ZNONODE)
		return json_null();
	if (rc != ZOK) {
		snprintf(err, errlen, "%s: %s: %s", s->source, path, zk_error_text(rc));
		return NULL;
	}
	if (json_is_object(rec))
		name = json_string_value(json_object_get(rec, "name"));
	zk_fmt(path, sizeof(path), "%s/%s/alive", s->hosts_path, node);
	rc = zoo_exists(s->zh, path, 0, &st);
	if (rc != ZOK && rc != ZNONODE) {
		json_decref(rec);
		snprintf(err, errlen, "%s: %s: %s", s->source, path, zk_error_text(rc));
		return NULL;
	}
	out = json_pack("{s:s, s:s, s:b}", "id", id, "name", name ? name : id, "alive", rc == ZOK);
	json_decref(rec);
	return out;
}

json_t *
zk_store_hosts(struct topology_store *ts, char *err, size_t errlen)
{
	struct zk_store *s = (struct zk_store *)ts;
	struct String_vector kids = {0};
	json_t *list = NULL, *h;
	int rc;

	pthread_mutex_lock(&s->lock);
	if (!zk_connected(s)) {
		snprintf(err, errlen, "%s: no ZooKeeper session: other hosts' liveness unknown",
			 s->source);
		goto out;
	}
	rc = zoo_get_children(s->zh, s->hosts_path, 0, &kids);
	if (rc != ZOK) {
		snprintf(err, errlen, "%s: %s: %s", s->source, s->hosts_path, zk_error_text(rc));
		goto out;
	}
	if (kids.count > 0)
		qsort(kids.data, (size_t)kids.count, sizeof(kids.data[0]), cmp_node_name);
	list = json_array();
	for (int32_t i = 0; list != NULL && i < kids.count; i++) {
		h = zk_host_entry(s, kids.data[i], err, errlen);
		if (h == NULL) {
			json_decref(list);
			list = NULL;
		} else if (json_is_object(h)) {
			json_array_append_new(list, h);
		} else {
			json_decref(h); /* deleted between the list and the read */
		}
	}
	deallocate_String_vector(&kids);
out:
	pthread_mutex_unlock(&s->lock);
	return list;
}
