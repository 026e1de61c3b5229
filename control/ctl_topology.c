/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing, part one: the control command, the alias registry, the
 * words, and the listings (ctl_topology.h says what the whole is).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctl_topology.h"
#include "topology_store.h"

/* Words in one command, at most: a rule with every condition fits many times over. */
#define TOPO_MAX_WORDS 128

const struct topo_kind_name topo_kinds[KIND_COUNT] = {
	[KIND_BRIDGE] = {"bridge", "bridge", "bridges"},
	[KIND_ROUTER] = {"router", "router", "routers"},
	[KIND_CHAIN] = {"chain", "chain", "chains"},
	[KIND_PORT_GROUP] = {"port-group", "pgroup", "port_groups"},
	[KIND_TUNNEL_ZONE] = {"tunnel-zone", "tzone", "tunnel_zones"},
	[KIND_HOST] = {"host", "host", "hosts"},
	[KIND_PORT] = {"port", "port", "ports"},
	[KIND_ROUTE] = {"route", "route", "routes"},
	[KIND_RULE] = {"rule", "rule", "rules"},
};

/*
 * The alias registry: (kind, scope, id) → number.  Entries are never
 * removed, so a deleted object's number is not handed out again (as in
 * midonet-cli, where aliases only grow within a session).
 */
struct alias_entry {
	uint8_t kind;
	unsigned int n;
	char scope[TOPO_ID_LEN]; /* the parent's id for ports, routes, rules; "" otherwise */
	char id[TOPO_ID_LEN];
};

static struct alias_entry *aliases;
static size_t n_aliases, cap_aliases;

int
topo_fail(struct topo_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
topo_peek(const struct topo_cmd *c)
{
	return c->pos < c->n_words ? c->words[c->pos] : NULL;
}

const char *
topo_next(struct topo_cmd *c)
{
	return c->pos < c->n_words ? c->words[c->pos++] : NULL;
}

int
topo_value(struct topo_cmd *c, const char *key, const char **out)
{
	*out = topo_next(c);
	if (*out == NULL)
		return topo_fail(c, "%s: missing value", key);
	return 0;
}

void
topo_line(struct topo_cmd *c, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->lines, json_string(buf));
}

json_t *
topo_array(json_t *doc, const char *key)
{
	json_t *a = json_object_get(doc, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(doc, key, a);
	}
	return a;
}

json_t *
topo_find_id(const json_t *arr, const char *id, size_t *index)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *oid = json_string_value(json_object_get(o, "id"));

		if (oid != NULL && strcmp(oid, id) == 0) {
			if (index != NULL)
				*index = i;
			return o;
		}
	}
	return NULL;
}

json_t *
topo_find_port(const json_t *doc, const char *id, json_t **device, enum topo_kind *kind)
{
	static const enum topo_kind dkinds[] = {KIND_BRIDGE, KIND_ROUTER};
	json_t *d, *p;
	unsigned int k;
	size_t i;

	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(doc, topo_kinds[dkinds[k]].array), i, d) {
			p = topo_find_id(json_object_get(d, "ports"), id, NULL);
			if (p != NULL) {
				if (device != NULL)
					*device = d;
				if (kind != NULL)
					*kind = dkinds[k];
				return p;
			}
		}
	}
	return NULL;
}

void
topo_new_id(char *out, size_t len)
{
	uint8_t b[16];
	size_t got = 0;

	/* getrandom never fails for 16 bytes once the pool is ready; fall back on rand() anyway. */
	if (getrandom(b, sizeof(b), 0) == (ssize_t)sizeof(b))
		got = sizeof(b);
	for (; got < sizeof(b); got++)
		b[got] = (uint8_t)rand();
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

static struct alias_entry *
alias_lookup(enum topo_kind kind, const char *scope, const char *id)
{
	size_t i;

	for (i = 0; i < n_aliases; i++)
		if (aliases[i].kind == kind && strcmp(aliases[i].scope, scope) == 0 &&
		    strcmp(aliases[i].id, id) == 0)
			return &aliases[i];
	return NULL;
}

void
topo_alias(enum topo_kind kind, const char *scope, const char *id, char *out, size_t len)
{
	struct alias_entry *e = alias_lookup(kind, scope, id);
	unsigned int next = 0;
	size_t i;

	if (e == NULL && n_aliases == cap_aliases) {
		size_t ncap = cap_aliases ? 2 * cap_aliases : 64;
		struct alias_entry *na = realloc(aliases, ncap * sizeof(*na));

		if (na == NULL) {
			/* No room to remember it: the id still names the object. */
			snprintf(out, len, "%s", id);
			return;
		}
		aliases = na;
		cap_aliases = ncap;
	}
	if (e == NULL) {
		for (i = 0; i < n_aliases; i++)
			if (aliases[i].kind == kind && strcmp(aliases[i].scope, scope) == 0 &&
			    aliases[i].n >= next)
				next = aliases[i].n + 1;
		e = &aliases[n_aliases++];
		e->kind = (uint8_t)kind;
		e->n = next;
		snprintf(e->scope, sizeof(e->scope), "%s", scope);
		snprintf(e->id, sizeof(e->id), "%s", id);
	}
	snprintf(out, len, "%s%u", topo_kinds[kind].prefix, e->n);
}

/* The id an alias number stands for, or NULL. */
static const char *
alias_id(enum topo_kind kind, const char *scope, const char *word)
{
	size_t plen = strlen(topo_kinds[kind].prefix), i;
	unsigned long n;
	char *end;

	if (strncmp(word, topo_kinds[kind].prefix, plen) != 0 || !isdigit((unsigned char)word[plen]))
		return NULL;
	n = strtoul(word + plen, &end, 10);
	if (*end != '\0')
		return NULL;
	for (i = 0; i < n_aliases; i++)
		if (aliases[i].kind == kind && aliases[i].n == n &&
		    strcmp(aliases[i].scope, scope) == 0)
			return aliases[i].id;
	return NULL;
}


void
topo_port_alias(const json_t *doc, const char *port_id, char *out, size_t len)
{
	char da[ALIAS_LEN], pa[ALIAS_LEN];
	enum topo_kind dk;
	json_t *dev;

	if (topo_find_port(doc, port_id, &dev, &dk) == NULL) {
		snprintf(out, len, "%s", port_id); /* dangling: the loader will say so */
		return;
	}
	topo_alias(dk, "", topo_id_of(dev), da, sizeof(da));
	topo_alias(KIND_PORT, topo_id_of(dev), port_id, pa, sizeof(pa));
	snprintf(out, len, "%s:%s", da, pa);
}

void
topo_chain_alias(const char *chain_id, char *out, size_t len)
{
	if (chain_id == NULL || chain_id[0] == '\0')
		out[0] = '\0';
	else
		topo_alias(KIND_CHAIN, "", chain_id, out, len);
}

/*
 * Routes and rules may have no id in a hand-written file: give them one
 * derived from their place, so that their alias stays the same from one
 * command to the next (it is written with the next edit).
 */
static void
fill_child_ids(json_t *doc, const char *array, const char *child, const char *what)
{
	char id[TOPO_ID_LEN];
	json_t *p, *o;
	size_t i, k;

	json_array_foreach(json_object_get(doc, array), i, p) {
		json_array_foreach(json_object_get(p, child), k, o) {
			if (json_is_object(o) && json_object_get(o, "id") == NULL) {
				snprintf(id, sizeof(id), "%.40s-%s%zu", topo_id_of(p), what, k);
				json_object_set_new(o, "id", json_string(id));
			}
		}
	}
}

/* Give every object of the document an alias, in document order: what "first seen" means. */
static void
sync_aliases(struct topo_cmd *c)
{
	static const struct {
		enum topo_kind kind, child;
		const char *key;
	} walk[] = {
		{KIND_BRIDGE, KIND_PORT, "ports"},  {KIND_ROUTER, KIND_PORT, "ports"},
		{KIND_ROUTER, KIND_ROUTE, "routes"}, {KIND_CHAIN, KIND_RULE, "rules"},
		{KIND_PORT_GROUP, KIND_COUNT, NULL}, {KIND_TUNNEL_ZONE, KIND_COUNT, NULL},
		{KIND_HOST, KIND_COUNT, NULL},
	};
	char a[ALIAS_LEN];
	json_t *o, *ch;
	unsigned int w;
	size_t i, k;

	fill_child_ids(c->doc, "routers", "routes", "route");
	fill_child_ids(c->doc, "chains", "rules", "rule");
	/* This daemon's host is host0 unless the document lists hosts first. */
	topo_alias(KIND_HOST, "", c->dp->cfg.host_id, a, sizeof(a));
	for (w = 0; w < RTE_DIM(walk); w++) {
		json_array_foreach(json_object_get(c->doc, topo_kinds[walk[w].kind].array), i, o) {
			topo_alias(walk[w].kind, "", topo_id_of(o), a, sizeof(a));
			if (walk[w].key == NULL)
				continue;
			json_array_foreach(json_object_get(o, walk[w].key), k, ch)
				topo_alias(walk[w].child, topo_id_of(o), topo_id_of(ch), a, sizeof(a));
		}
	}
}

int
topo_resolve(struct topo_cmd *c, enum topo_kind kind, const char *word, json_t **obj,
	     size_t *index)
{
	const json_t *arr = json_object_get(c->doc, topo_kinds[kind].array);
	const char *id = alias_id(kind, "", word);

	*obj = NULL;
	if (id != NULL)
		*obj = topo_find_id(arr, id, index);
	if (*obj == NULL)
		*obj = topo_find_id(arr, word, index);
	if (*obj == NULL)
		return topo_fail(c, "%s \"%s\": no such %s (alias or id; \"list %s\" shows them)",
				 topo_kinds[kind].word, word, topo_kinds[kind].word, topo_kinds[kind].word);
	return 0;
}

int
topo_resolve_child(struct topo_cmd *c, enum topo_kind kind, const json_t *parent,
		   const char *key, const char *word, json_t **obj, size_t *index)
{
	const json_t *arr = json_object_get(parent, key);
	const char *colon = strrchr(word, ':');
	const char *short_word = colon != NULL ? colon + 1 : word;
	const char *id = alias_id(kind, topo_id_of(parent), short_word);

	*obj = NULL;
	if (id != NULL)
		*obj = topo_find_id(arr, id, index);
	if (*obj == NULL)
		*obj = topo_find_id(arr, word, index);
	if (*obj == NULL)
		return topo_fail(c, "%s \"%s\": no such %s here (alias or id; \"list %s\" under "
				 "its parent shows them)", topo_kinds[kind].word, word,
				 topo_kinds[kind].word, topo_kinds[kind].word);
	return 0;
}

int
topo_resolve_port(struct topo_cmd *c, const char *word, const json_t *device, json_t **port,
		  char *id, size_t idlen)
{
	const char *colon = strchr(word, ':');
	json_t *dev = NULL;
	const char *pid;

	*port = topo_find_port(c->doc, word, NULL, NULL);
	if (*port == NULL && colon != NULL) {
		char dword[ALIAS_LEN];
		json_t *cand;

		snprintf(dword, sizeof(dword), "%.*s", (int)(colon - word), word);
		/* "bridge0:port1" or "router2:port0", the device by alias or id. */
		if ((pid = alias_id(KIND_BRIDGE, "", dword)) != NULL ||
		    topo_find_id(json_object_get(c->doc, "bridges"), dword, NULL) != NULL)
			dev = topo_find_id(json_object_get(c->doc, "bridges"), pid ? pid : dword,
					   NULL);
		if (dev == NULL && ((pid = alias_id(KIND_ROUTER, "", dword)) != NULL ||
				    topo_find_id(json_object_get(c->doc, "routers"), dword, NULL)))
			dev = topo_find_id(json_object_get(c->doc, "routers"), pid ? pid : dword,
					   NULL);
		if (dev != NULL && (pid = alias_id(KIND_PORT, topo_id_of(dev), colon + 1)) != NULL &&
		    (cand = topo_find_id(json_object_get(dev, "ports"), pid, NULL)) != NULL)
			*port = cand;
	} else if (*port == NULL && device != NULL &&
		   (pid = alias_id(KIND_PORT, topo_id_of(device), word)) != NULL) {
		*port = topo_find_id(json_object_get(device, "ports"), pid, NULL);
	}
	if (*port == NULL)
		return topo_fail(c, "port \"%s\": no such port (\"bridge0:port1\", \"router0:port0\" "
				 "or a port id; \"bridge bridge0 list port\" shows them)", word);
	if (id != NULL)
		snprintf(id, idlen, "%s", topo_id_of(*port));
	return 0;
}

static int
kind_of_word(const char *w)
{
	int k;

	for (k = 0; k < KIND_PORT; k++)
		if (w != NULL && strcmp(w, topo_kinds[k].word) == 0)
			return k;
	return -1;
}

static int
run(struct topo_cmd *c)
{
	const char *w = topo_next(c), *kw, *name;
	json_t *obj;
	int k;

	if (w == NULL)
		return topo_fail(c, "no words: try \"list bridge\" or \"bridge create name br0\"");
	if (strcmp(w, "list") == 0 || strcmp(w, "show") == 0) {
		kw = topo_next(c);
		k = kind_of_word(kw);
		if (k < 0)
			return topo_fail(c, "%s %s: not a kind of object (bridge, router, chain, "
					 "port-group, tunnel-zone, host)", w, kw ? kw : "");
		if (strcmp(w, "list") == 0) {
			if (topo_peek(c) != NULL)
				return topo_fail(c, "list %s: unexpected \"%s\"", kw, topo_peek(c));
			return topo_list(c, (enum topo_kind)k);
		}
		if ((name = topo_next(c)) == NULL)
			return topo_fail(c, "show %s: which one? (an alias or an id)", kw);
		if (k == KIND_HOST)
			return topo_show_host(c, name);
		if (topo_resolve(c, (enum topo_kind)k, name, &obj, NULL) != 0)
			return -EINVAL;
		return topo_show(c, (enum topo_kind)k, obj);
	}
	switch (kind_of_word(w)) {
	case KIND_BRIDGE:
		return topo_edit_bridge(c);
	case KIND_ROUTER:
		return topo_edit_router(c);
	case KIND_CHAIN:
		return topo_edit_chain(c);
	case KIND_PORT_GROUP:
		return topo_edit_port_group(c);
	case KIND_TUNNEL_ZONE:
		return topo_edit_tunnel_zone(c);
	case KIND_HOST:
		return topo_edit_host(c);
	default:
		return topo_fail(c, "\"%s\": unknown command (list, show, bridge, router, chain, "
				 "port-group, tunnel-zone, host)", w);
	}
}

int
ctl_topology_command(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = ctx;
	struct topo_cmd c = {.dp = dp, .err = err, .errlen = errlen};
	char *words[TOPO_MAX_WORDS];
	struct local_interface ifs[RTE_MAX_ETHPORTS];
	const json_t *jw = json_object_get(args, "words");
	struct topology *t;
	json_t *doc, *v;
	size_t i, mark = n_aliases;
	int ret;

	if (!json_is_array(jw) || json_array_size(jw) > TOPO_MAX_WORDS) {
		snprintf(err, errlen, "args.words: must be a list of at most %d words",
			 TOPO_MAX_WORDS);
		return -EINVAL;
	}
	json_array_foreach(jw, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "args.words[%zu]: must be a string", i);
			return -EINVAL;
		}
		words[i] = (char *)json_string_value(v);
	}
	c.words = words;
	c.n_words = (int)json_array_size(jw);
	doc = dp->store->ops->document(dp->store, err, errlen);
	if (doc == NULL)
		return -EIO;
	/* A copy of our own: the store may hand out a document it keeps. */
	c.doc = json_deep_copy(doc);
	json_decref(doc);
	c.lines = json_array();
	c.result = json_object();
	if (c.doc == NULL || c.lines == NULL || c.result == NULL) {
		ret = topo_fail(&c, "out of memory");
		goto out;
	}
	json_object_set(c.result, "lines", c.lines);
	sync_aliases(&c);
	/* Aliases handed out from here on are for new objects: a refused edit takes them back. */
	mark = n_aliases;
	if ((ret = run(&c)) != 0)
		goto out;
	if (c.pos < c.n_words) {
		ret = topo_fail(&c, "\"%s\" (word %d): unexpected here", c.words[c.pos], c.pos + 1);
		goto out;
	}
	if (c.edited) {
		/* The same check the daemon makes when it reloads, against the probed ports. */
		dp_ports_lock(dp);
		t = topology_json_load(c.doc, dp->topo_source, ifs, dp_local_interfaces(dp, true, ifs),
				       err, errlen);
		dp_ports_unlock(dp);
		if (t == NULL) {
			ret = -EINVAL;
			goto out;
		}
		topology_free(t);
		if ((ret = dp->store->ops->commit(dp->store, c.doc, err, errlen)) != 0)
			goto out;
		json_object_set_new(c.result, "committed", json_true());
		json_object_set_new(c.result, "store", json_string(dp->store->ops->name));
	}
	*result = c.result;
	c.result = NULL;
	mark = n_aliases;
out:
	n_aliases = mark;
	json_decref(c.doc);
	json_decref(c.lines);
	json_decref(c.result);
	return ret;
}
