/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology in ZooKeeper, cached: every object node as last read, with
 * a watch on it and on each list of children.  A watch marks what changed;
 * the next document() reads only that (pipelined, all requests out before
 * the first answer is awaited) and assembles the document from the cache.
 * Layout: nsdb/README.md, "ZooKeeper layout".
 *
 * The document is assembled from the cache in nsdb/zk_document.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zk_internal.h"

void
zk_name_encode(const char *id, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	bool dots = strcmp(id, ".") == 0 || strcmp(id, "..") == 0;
	size_t o = 0;

	for (; *id != '\0' && o + 4 < outlen; id++) {
		unsigned char c = (unsigned char)*id;

		if (c == '/' || c == '%' || c < 0x21 || c > 0x7e || (dots && c == '.')) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
zk_name_decode(const char *name, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *name != '\0' && o + 1 < outlen; name++) {
		if (name[0] == '%' && hexval(name[1]) >= 0 && hexval(name[2]) >= 0) {
			out[o++] = (char)(hexval(name[1]) << 4 | hexval(name[2]));
			name += 2;
		} else {
			out[o++] = *name;
		}
	}
	out[o] = '\0';
}

static void
node_clear(struct zk_node *n)
{
	free(n->name);
	json_decref(n->value);
	free(n->error);
	memset(n, 0, sizeof(*n));
}

static void
dir_free(struct zk_dir *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		node_clear(&d->nodes[i]);
	free(d->nodes);
	free(d->order);
	d->nodes = NULL;
	d->order = NULL;
	d->n = d->cap = 0;
}

void
zk_tree_init(struct zk_store *s)
{
	struct zk_tree *t = &s->tree;

	memset(t, 0, sizeof(*t));
	t->kinds_dirty = true;
	t->hosts_dirty = true;
}

void
zk_tree_free(struct zk_tree *t)
{
	size_t i;

	for (i = 0; i < t->n_dirs; i++)
		dir_free(&t->dirs[i]);
	for (i = 0; i < t->n_hosts; i++)
		dir_free(&t->hosts[i]);
	free(t->dirs);
	free(t->hosts);
	free(t->bind_order);
	t->dirs = t->hosts = NULL;
	t->bind_order = NULL;
	t->n_dirs = t->n_hosts = t->n_bind = 0;
}

struct zk_dir *
zk_tree_dir(struct zk_tree *t, size_t i)
{
	return i < t->n_dirs ? &t->dirs[i] : &t->hosts[i - t->n_dirs];
}

void
zk_tree_mark_all(struct zk_tree *t)
{
	size_t i, j;

	t->kinds_dirty = true;
	t->hosts_dirty = true;
	for (i = 0; i < t->n_dirs + t->n_hosts; i++) {
		struct zk_dir *d = zk_tree_dir(t, i);

		d->list_dirty = true;
		for (j = 0; j < d->n; j++)
			d->nodes[j].dirty = true;
	}
}

static int
cmp_node_name(const void *a, const void *b)
{
	return strcmp(((const struct zk_node *)a)->name, ((const struct zk_node *)b)->name);
}

struct zk_node *
zk_dir_find(struct zk_dir *d, const char *name)
{
	struct zk_node key = {.name = (char *)(uintptr_t)name};

	return d->n ? bsearch(&key, d->nodes, d->n, sizeof(*d->nodes), cmp_node_name) : NULL;
}

struct zk_dir *
zk_tree_find_dir(struct zk_tree *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_dirs; i++)
		if (strcmp(t->dirs[i].kind, name) == 0)
			return &t->dirs[i];
	return NULL;
}

struct zk_dir *
zk_tree_find_host(struct zk_tree *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_hosts; i++)
		if (strcmp(t->hosts[i].kind, name) == 0)
			return &t->hosts[i];
	return NULL;
}

/* A watch fired on path: mark what it covers. */
static void
apply_event(struct zk_store *s, const char *path)
{
	struct zk_tree *t = &s->tree;
	size_t tl = strlen(s->topo_path), hl = strlen(s->hosts_path);
	char kind[ZK_PATH_LEN];
	const char *rest, *slash;
	struct zk_node *n;
	struct zk_dir *d;
	struct Stat st;

	if (strcmp(path, s->config_default) == 0 || strcmp(path, s->config_host) == 0) {
		/* The watcher flagged it (zk_store_config_changed); watch again for the next one. */
		zoo_exists(s->zh, path, 1, &st);
		return;
	}
	if (strcmp(path, s->topo_path) == 0) {
		t->kinds_dirty = true;
		return;
	}
	if (strcmp(path, s->hosts_path) == 0) {
		t->hosts_dirty = true;
		return;
	}
	/* ROOT/hosts/<h>/bindings[/<port>]; the record and the liveness node are not watched. */
	if (strncmp(path, s->hosts_path, hl) == 0 && path[hl] == '/') {
		rest = path + hl + 1;
		slash = strchr(rest, '/');
		if (slash == NULL || strncmp(slash, "/bindings", 9) != 0)
			return;
		snprintf(kind, sizeof(kind), "%.*s", (int)(slash - rest), rest);
		if ((d = zk_tree_find_host(t, kind)) == NULL)
			t->hosts_dirty = true;
		else if (slash[9] == '\0')
			d->list_dirty = true;
		else if (slash[9] == '/' && (n = zk_dir_find(d, slash + 10)) != NULL)
			n->dirty = true;
		else
			d->list_dirty = true;
		return;
	}
	if (strncmp(path, s->topo_path, tl) != 0 || path[tl] != '/')
		return;
	rest = path + tl + 1;
	slash = strchr(rest, '/');
	snprintf(kind, sizeof(kind), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	if ((d = zk_tree_find_dir(t, kind)) == NULL) {
		t->kinds_dirty = true;
		return;
	}
	if (slash == NULL)
		d->list_dirty = true;
	else if ((n = zk_dir_find(d, slash + 1)) != NULL)
		n->dirty = true;
	else
		d->list_dirty = true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * List d's children (watching the list) and make d->nodes match: kept
 * nodes keep their cached value, new ones are marked for reading.
 */
static int
list_dir(struct zk_store *s, struct zk_dir *d, char *err, size_t errlen)
{
	struct String_vector sv = {0};
	struct zk_node *nodes;
	size_t i, j = 0, k = 0;
	int rc;

	rc = zoo_get_children(s->zh, d->path, 1, &sv);
	if (rc == ZNONODE) {
		struct Stat st;

		/* Gone (or not made yet): empty, and watched for its creation. */
		zoo_exists(s->zh, d->path, 1, &st);
		sv.count = 0;
		d->exists = false;
	} else if (rc != ZOK) {
		snprintf(err, errlen, "%s: %s: %s", s->source, d->path, zk_error_text(rc));
		return rc == ZNOAUTH ? -EACCES : -EIO;
	} else {
		d->exists = true;
	}
	qsort(sv.data, (size_t)sv.count, sizeof(char *), cmp_str);
	nodes = calloc((size_t)sv.count + 1, sizeof(*nodes));
	if (nodes == NULL) {
		deallocate_String_vector(&sv);
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	/* Both sorted by name: one merge. */
	for (i = 0; i < (size_t)sv.count; i++) {
		while (j < d->n && strcmp(d->nodes[j].name, sv.data[i]) < 0)
			node_clear(&d->nodes[j++]);
		if (j < d->n && strcmp(d->nodes[j].name, sv.data[i]) == 0) {
			nodes[k++] = d->nodes[j];
			memset(&d->nodes[j++], 0, sizeof(*d->nodes));
		} else {
			nodes[k].name = strdup(sv.data[i]);
			nodes[k].dirty = true;
			if (nodes[k++].name == NULL)
				rc = -ENOMEM;
		}
	}
	while (j < d->n)
		node_clear(&d->nodes[j++]);
	free(d->nodes);
	d->nodes = nodes;
	d->n = d->cap = k;
	deallocate_String_vector(&sv);
	if (rc == -ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	d->list_dirty = false;
	return 0;
}

/*
 * The children of parent (watched): one dir each, kept sorted, at
 * parent/<child><suffix>; dirs still there keep their nodes.
 */
static int
list_parent(struct zk_store *s, const char *parent, const char *suffix, bool bindings,
	    struct zk_dir **pdirs, size_t *pn, char *err, size_t errlen)
{
	struct String_vector sv = {0};
	struct zk_dir *dirs, *old;
	size_t i, j;
	int rc;

	rc = zoo_get_children(s->zh, parent, 1, &sv);
	if (rc == ZNONODE) {
		struct Stat st;

		zoo_exists(s->zh, parent, 1, &st);
		sv.count = 0;
	} else if (rc != ZOK) {
		snprintf(err, errlen, "%s: %s: %s", s->source, parent, zk_error_text(rc));
		return rc == ZNOAUTH ? -EACCES : -EIO;
	}
	qsort(sv.data, (size_t)sv.count, sizeof(char *), cmp_str);
	dirs = calloc((size_t)sv.count + 1, sizeof(*dirs));
	if (dirs == NULL) {
		deallocate_String_vector(&sv);
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	for (i = 0; i < (size_t)sv.count; i++) {
		old = NULL;
		for (j = 0; j < *pn && old == NULL; j++)
			if (strcmp((*pdirs)[j].kind, sv.data[i]) == 0)
				old = &(*pdirs)[j];
		if (old != NULL) {
			dirs[i] = *old;
			memset(old, 0, sizeof(*old));
		} else {
			snprintf(dirs[i].kind, sizeof(dirs[i].kind), "%s", sv.data[i]);
			dirs[i].list_dirty = true;
			dirs[i].bindings = bindings;
		}
		zk_fmt(dirs[i].path, sizeof(dirs[i].path), "%s/%s%s", parent, sv.data[i], suffix);
	}
	for (j = 0; j < *pn; j++)
		dir_free(&(*pdirs)[j]);
	free(*pdirs);
	*pdirs = dirs;
	*pn = (size_t)sv.count;
	deallocate_String_vector(&sv);
	return 0;
}

/* Pipelined reads: every request is sent before the first answer is awaited. */
struct zk_batch {
	pthread_mutex_t lock;
	pthread_cond_t done;
	size_t pending;
};

struct zk_get {
	struct zk_batch *batch;
	struct zk_dir *dir;
	size_t index;
	int rc;
	char *data;
	int len;
	struct Stat stat;
};

static void
get_done(int rc, const char *value, int len, const struct Stat *stat, const void *arg)
{
	struct zk_get *g = (struct zk_get *)(uintptr_t)arg;

	g->rc = rc;
	if (rc == ZOK) {
		g->stat = *stat;
		g->len = len < 0 ? 0 : len;
		g->data = malloc((size_t)g->len + 1);
		if (g->data == NULL)
			g->rc = ZSYSTEMERROR;
		else if (g->len > 0)
			memcpy(g->data, value, (size_t)g->len);
	}
	pthread_mutex_lock(&g->batch->lock);
	if (--g->batch->pending == 0)
		pthread_cond_signal(&g->batch->done);
	pthread_mutex_unlock(&g->batch->lock);
}

/* The node's value from its data, or the reason it is refused in n->error. */
static void
node_parse(struct zk_store *s, struct zk_dir *d, struct zk_node *n, const struct zk_get *g)
{
	char msg[512], id[ZK_PATH_LEN];
	json_error_t jerr;
	const json_t *jid;
	json_t *v = NULL;

	json_decref(n->value);
	free(n->error);
	n->value = NULL;
	n->error = NULL;
	n->czxid = g->stat.czxid;
	n->version = g->stat.version;
	msg[0] = '\0';
	if (g->len == 0) {
		snprintf(msg, sizeof(msg), "empty: one JSON object expected");
	} else if ((v = json_loadb(g->data, (size_t)g->len, JSON_REJECT_DUPLICATES, &jerr)) ==
		   NULL) {
		snprintf(msg, sizeof(msg), "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
			 jerr.column);
	} else if (!json_is_object(v)) {
		snprintf(msg, sizeof(msg), "must be a JSON object");
	} else {
		/* The node is named after the object: a copy under the wrong name is a mistake. */
		jid = json_object_get(v, d->bindings ? "port" : "id");
		zk_name_decode(n->name, id, sizeof(id));
		if (jid != NULL && (!json_is_string(jid) || strcmp(json_string_value(jid), id) != 0))
			snprintf(msg, sizeof(msg), "\"%s\" must be \"%s\", the node's name",
				 d->bindings ? "port" : "id", id);
		/* A binding under a host is that host's: it says so, or another is a mistake. */
		jid = d->bindings ? json_object_get(v, "host") : NULL;
		zk_name_decode(d->kind, id, sizeof(id));
		if (msg[0] == '\0' && jid != NULL &&
		    (!json_is_string(jid) || strcmp(json_string_value(jid), id) != 0))
			snprintf(msg, sizeof(msg), "\"host\" must be \"%s\", the host it is under",
				 id);
	}
	if (msg[0] != '\0') {
		char full[1024];

		zk_fmt(full, sizeof(full), "%s: %s/%s: %s", s->source, d->path, n->name, msg);
		n->error = strdup(full);
		json_decref(v);
		v = NULL;
		if (n->error == NULL)
			n->dirty = true;
	}
	n->value = v;
}

static size_t
count_dirty(struct zk_dir *d)
{
	size_t i, c = 0;

	for (i = 0; i < d->n; i++)
		c += d->nodes[i].dirty;
	return c;
}

/* Queue a read of every dirty node of d into gets (from *k on). */
static void
queue_reads(struct zk_store *s, struct zk_dir *d, struct zk_get *gets, size_t *k,
	    struct zk_batch *b)
{
	char path[ZK_PATH_LEN * 2];
	size_t i;
	int rc;

	for (i = 0; i < d->n; i++) {
		struct zk_get *g;

		if (!d->nodes[i].dirty)
			continue;
		g = &gets[(*k)++];
		g->batch = b;
		g->dir = d;
		g->index = i;
		zk_fmt(path, sizeof(path), "%s/%s", d->path, d->nodes[i].name);
		pthread_mutex_lock(&b->lock);
		b->pending++;
		pthread_mutex_unlock(&b->lock);
		rc = zoo_aget(s->zh, path, 1, get_done, g);
		if (rc != ZOK) {
			g->rc = rc;
			pthread_mutex_lock(&b->lock);
			b->pending--;
			pthread_mutex_unlock(&b->lock);
		}
	}
}

static int
read_dirty(struct zk_store *s, char *err, size_t errlen)
{
	struct zk_tree *t = &s->tree;
	struct zk_batch b = {.pending = 0};
	struct zk_get *gets;
	size_t i, n = 0, k = 0;
	bool gone = false;
	int ret = 0;

	for (i = 0; i < t->n_dirs + t->n_hosts; i++)
		n += count_dirty(zk_tree_dir(t, i));
	t->last_read += n;
	if (n == 0)
		return 0;
	gets = calloc(n, sizeof(*gets));
	if (gets == NULL) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.done, NULL);
	for (i = 0; i < t->n_dirs + t->n_hosts; i++)
		queue_reads(s, zk_tree_dir(t, i), gets, &k, &b);
	/* A lost connection completes every outstanding request with an error: this ends. */
	pthread_mutex_lock(&b.lock);
	while (b.pending > 0)
		pthread_cond_wait(&b.done, &b.lock);
	pthread_mutex_unlock(&b.lock);
	for (i = 0; i < k; i++) {
		struct zk_get *g = &gets[i];
		struct zk_node *node = &g->dir->nodes[g->index];

		if (g->rc == ZOK) {
			node_parse(s, g->dir, node, g);
			node->dirty = node->error == NULL && node->value == NULL;
		} else if (g->rc == ZNONODE) {
			/* Deleted after it was listed: its list's watch says so too. */
			g->dir->list_dirty = true;
			gone = true;
		} else if (ret == 0) {
			snprintf(err, errlen, "%s: %s/%s: %s", s->source, g->dir->path, node->name,
				 zk_error_text(g->rc));
			ret = g->rc == ZNOAUTH ? -EACCES : -EIO;
		}
		free(g->data);
	}
	pthread_mutex_destroy(&b.lock);
	pthread_cond_destroy(&b.done);
	free(gets);
	if (ret == 0 && gone)
		ret = -EAGAIN; /* list again, then read what is new */
	return ret;
}

int
zk_tree_refresh(struct zk_store *s, char *err, size_t errlen)
{
	struct zk_tree *t = &s->tree;
	bool all;
	size_t n, i;
	char **paths = zk_take_paths(s, &n, &all);
	int ret, tries;

	t->last_read = 0;
	if (all)
		zk_tree_mark_all(t);
	for (i = 0; i < n; i++) {
		apply_event(s, paths[i]);
		free(paths[i]);
	}
	free(paths);
	/* A node deleted between its listing and its read: list again (a few times at most). */
	for (tries = 0; tries < 3; tries++) {
		if (t->kinds_dirty) {
			if ((ret = list_parent(s, s->topo_path, "", false, &t->dirs, &t->n_dirs, err,
					       errlen)) != 0)
				return ret;
			t->kinds_dirty = false;
		}
		if (t->hosts_dirty) {
			if ((ret = list_parent(s, s->hosts_path, "/bindings", true, &t->hosts,
					       &t->n_hosts, err, errlen)) != 0)
				return ret;
			t->hosts_dirty = false;
		}
		for (i = 0; i < t->n_dirs + t->n_hosts; i++)
			if (zk_tree_dir(t, i)->list_dirty &&
			    (ret = list_dir(s, zk_tree_dir(t, i), err, errlen)) != 0)
				return ret;
		ret = read_dirty(s, err, errlen);
		if (ret != -EAGAIN)
			break;
	}
	if (ret == -EAGAIN)
		snprintf(err, errlen, "%s: the topology keeps changing under the read; again later",
			 s->source);
	if (ret == 0)
		t->loaded = true;
	return ret;
}
