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
/* An alias: "router123:port45" and room to spare. */
#define ALIAS_LEN 96

/*
 * What each kind is called: the word of the grammar, the alias prefix
 * (midonet-cli's), the document's array, the key of the child array inside
 * a parent (for scoped kinds).
 */
static const struct {
	const char *word;
	const char *prefix;
	const char *array;
} kinds[KIND_COUNT] = {
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
		json_array_foreach(json_object_get(doc, kinds[dkinds[k]].array), i, d) {
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
	snprintf(out, len, "%s%u", kinds[kind].prefix, e->n);
}

/* The id an alias number stands for, or NULL. */
static const char *
alias_id(enum topo_kind kind, const char *scope, const char *word)
{
	size_t plen = strlen(kinds[kind].prefix), i;
	unsigned long n;
	char *end;

	if (strncmp(word, kinds[kind].prefix, plen) != 0 || !isdigit((unsigned char)word[plen]))
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

static const char *
obj_id(const json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));

	return id != NULL ? id : "";
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
	topo_alias(dk, "", obj_id(dev), da, sizeof(da));
	topo_alias(KIND_PORT, obj_id(dev), port_id, pa, sizeof(pa));
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
				snprintf(id, sizeof(id), "%.40s-%s%zu", obj_id(p), what, k);
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
		json_array_foreach(json_object_get(c->doc, kinds[walk[w].kind].array), i, o) {
			topo_alias(walk[w].kind, "", obj_id(o), a, sizeof(a));
			if (walk[w].key == NULL)
				continue;
			json_array_foreach(json_object_get(o, walk[w].key), k, ch)
				topo_alias(walk[w].child, obj_id(o), obj_id(ch), a, sizeof(a));
		}
	}
}

int
topo_resolve(struct topo_cmd *c, enum topo_kind kind, const char *word, json_t **obj,
	     size_t *index)
{
	const json_t *arr = json_object_get(c->doc, kinds[kind].array);
	const char *id = alias_id(kind, "", word);

	*obj = NULL;
	if (id != NULL)
		*obj = topo_find_id(arr, id, index);
	if (*obj == NULL)
		*obj = topo_find_id(arr, word, index);
	if (*obj == NULL)
		return topo_fail(c, "%s \"%s\": no such %s (alias or id; \"list %s\" shows them)",
				 kinds[kind].word, word, kinds[kind].word, kinds[kind].word);
	return 0;
}

int
topo_resolve_child(struct topo_cmd *c, enum topo_kind kind, const json_t *parent,
		   const char *key, const char *word, json_t **obj, size_t *index)
{
	const json_t *arr = json_object_get(parent, key);
	const char *colon = strrchr(word, ':');
	const char *short_word = colon != NULL ? colon + 1 : word;
	const char *id = alias_id(kind, obj_id(parent), short_word);

	*obj = NULL;
	if (id != NULL)
		*obj = topo_find_id(arr, id, index);
	if (*obj == NULL)
		*obj = topo_find_id(arr, word, index);
	if (*obj == NULL)
		return topo_fail(c, "%s \"%s\": no such %s here (alias or id; \"list %s\" under "
				 "its parent shows them)", kinds[kind].word, word,
				 kinds[kind].word, kinds[kind].word);
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
		if (dev != NULL && (pid = alias_id(KIND_PORT, obj_id(dev), colon + 1)) != NULL &&
		    (cand = topo_find_id(json_object_get(dev, "ports"), pid, NULL)) != NULL)
			*port = cand;
	} else if (*port == NULL && device != NULL &&
		   (pid = alias_id(KIND_PORT, obj_id(device), word)) != NULL) {
		*port = topo_find_id(json_object_get(device, "ports"), pid, NULL);
	}
	if (*port == NULL)
		return topo_fail(c, "port \"%s\": no such port (\"bridge0:port1\", \"router0:port0\" "
				 "or a port id; \"bridge bridge0 list port\" shows them)", word);
	if (id != NULL)
		snprintf(id, idlen, "%s", obj_id(*port));
	return 0;
}

/* " infilter chain0 outfilter chain1" as midonet-cli shows filters. */
static void
filters_text(const json_t *o, char *out, size_t len)
{
	char in[ALIAS_LEN], outf[ALIAS_LEN];

	topo_chain_alias(json_string_value(json_object_get(o, "inbound_filter")), in, sizeof(in));
	topo_chain_alias(json_string_value(json_object_get(o, "outbound_filter")), outf,
			 sizeof(outf));
	snprintf(out, len, "%s%s%s%s", in[0] ? " infilter " : "", in, outf[0] ? " outfilter " : "",
		 outf);
}

static const char *
state_text(const json_t *o)
{
	const json_t *v = json_object_get(o, "admin_state_up");

	return v == NULL || json_is_true(v) ? "up" : "down";
}

/* The object as JSON for --json: its fields without the nested lists, plus its alias. */
static json_t *
object_json(const json_t *o, const char *alias)
{
	json_t *copy = json_copy((json_t *)o);

	json_object_del(copy, "ports");
	json_object_del(copy, "routes");
	json_object_del(copy, "rules");
	json_object_del(copy, "members");
	json_object_set_new(copy, "alias", json_string(alias));
	return copy;
}

static json_t *
result_objects(struct topo_cmd *c)
{
	json_t *a = json_object_get(c->result, "objects");

	if (a == NULL) {
		a = json_array();
		json_object_set_new(c->result, "objects", a);
	}
	return a;
}

void
topo_print_port(struct topo_cmd *c, const json_t *device, enum topo_kind dkind,
		const json_t *port)
{
	char da[ALIAS_LEN], pa[ALIAS_LEN], filt[2 * ALIAS_LEN], peer[2 * ALIAS_LEN], l3[512];
	const char *peer_id = json_string_value(json_object_get(port, "peer"));
	json_t *o;

	topo_alias(dkind, "", obj_id(device), da, sizeof(da));
	topo_alias(KIND_PORT, obj_id(device), obj_id(port), pa, sizeof(pa));
	filters_text(port, filt, sizeof(filt));
	peer[0] = l3[0] = '\0';
	if (peer_id != NULL)
		topo_port_alias(c->doc, peer_id, peer, sizeof(peer));
	if (dkind == KIND_ROUTER) {
		const char *mac = json_string_value(json_object_get(port, "mac"));
		const char *a6 = json_string_value(json_object_get(port, "address6"));

		snprintf(l3, sizeof(l3), "%s%s address %s net %s%s%s%s%s", mac ? " mac " : "",
			 mac ? mac : "", json_string_value(json_object_get(port, "address")),
			 json_string_value(json_object_get(port, "network")), a6 ? " address6 " : "",
			 a6 ? a6 : "", a6 ? " net6 " : "",
			 a6 ? json_string_value(json_object_get(port, "network6")) : "");
	}
	topo_line(c, "port %s device %s state %s%s%s%s%s", pa, da, state_text(port), l3, filt,
		  peer[0] ? " peer " : "", peer);
	o = object_json(port, pa);
	json_object_set_new(o, "device", json_string(da));
	json_array_append_new(result_objects(c), o);
}

void
topo_print_route(struct topo_cmd *c, const json_t *router, const json_t *route)
{
	char ra[ALIAS_LEN], pa[2 * ALIAS_LEN];
	const char *gw = json_string_value(json_object_get(route, "gateway"));
	const char *port = json_string_value(json_object_get(route, "port"));
	const char *type = json_string_value(json_object_get(route, "type"));
	const char *src = json_string_value(json_object_get(route, "src"));
	const json_t *w = json_object_get(route, "weight");

	topo_alias(KIND_ROUTE, obj_id(router), obj_id(route), ra, sizeof(ra));
	pa[0] = '\0';
	if (port != NULL)
		topo_port_alias(c->doc, port, pa, sizeof(pa));
	topo_line(c, "route %s type %s src %s dst %s%s%s%s%s weight %lld", ra,
		  type ? type : "normal", src ? src : "0.0.0.0/0",
		  json_string_value(json_object_get(route, "dst")), gw ? " gw " : "", gw ? gw : "",
		  port ? " port " : "", pa, w ? (long long)json_integer_value(w) : 100LL);
	json_array_append_new(result_objects(c), object_json(route, ra));
}

/* A condition's text with port ids turned back into aliases ("!router0:port0, bridge0:port1"). */
static void
ports_text(struct topo_cmd *c, const json_t *v, char *out, size_t len)
{
	char buf[1024], pa[2 * ALIAS_LEN], *save = NULL, *tok;
	const char *s = json_string_value(v);
	size_t n = 0;
	json_t *e;
	size_t i;

	out[0] = '\0';
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			topo_port_alias(c->doc, json_string_value(e) ? json_string_value(e) : "", pa,
					sizeof(pa));
			n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", i ? "," : "", pa);
		}
		return;
	}
	if (s == NULL)
		return;
	if (*s == '!')
		n += (size_t)snprintf(out, len, "!");
	snprintf(buf, sizeof(buf), "%s", *s == '!' ? s + 1 : s);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		topo_port_alias(c->doc, tok, pa, sizeof(pa));
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s",
				      (n > 0 && out[n - 1] != '!') ? "," : "", pa);
	}
}

void
topo_print_rule(struct topo_cmd *c, const json_t *chain, const json_t *rule)
{
	/* The conditions in the order midonet-cli prints them. */
	static const char *const conds[] = {"hw-src", "hw-src-mask", "hw-dst", "hw-dst-mask",
					    "ethertype", "src", "dst", "proto", "tos", "src-port",
					    "dst-port", "in-ports", "out-ports", "port-group",
					    "flow", "fragment-policy", NULL};
	char ra[ALIAS_LEN], line[2048], val[1024], ja[ALIAS_LEN];
	const json_t *v, *t;
	size_t n, i;
	unsigned int k;

	topo_alias(KIND_RULE, obj_id(chain), obj_id(rule), ra, sizeof(ra));
	n = (size_t)snprintf(line, sizeof(line), "rule %s", ra);
	for (k = 0; conds[k] != NULL; k++) {
		v = json_object_get(rule, conds[k]);
		if (v == NULL)
			continue;
		if (strcmp(conds[k], "in-ports") == 0 || strcmp(conds[k], "out-ports") == 0)
			ports_text(c, v, val, sizeof(val));
		else if (strcmp(conds[k], "port-group") == 0 && json_is_string(v))
			topo_alias(KIND_PORT_GROUP, "",
				   json_string_value(v) + (json_string_value(v)[0] == '!'), val,
				   sizeof(val));
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else
			snprintf(val, sizeof(val), "%s", json_string_value(v) ? json_string_value(v) : "?");
		if (strcmp(conds[k], "port-group") == 0 && json_string_value(v) &&
		    json_string_value(v)[0] == '!')
			memmove(val + 1, val, strnlen(val, sizeof(val) - 2) + 1), val[0] = '!';
		n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, " %s %s",
				      conds[k], val);
	}
	v = json_object_get(rule, "pos");
	n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, " pos %lld type %s",
			      (long long)json_integer_value(v),
			      json_string_value(json_object_get(rule, "type")));
	if ((v = json_object_get(rule, "action")) != NULL)
		n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
				      " action %s", json_string_value(v));
	if ((v = json_object_get(rule, "jump-to")) != NULL) {
		topo_chain_alias(json_string_value(v), ja, sizeof(ja));
		n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
				      " jump-to %s", ja);
	}
	json_array_foreach(json_object_get(rule, "nat_targets"), i, t) {
		long long pf = json_integer_value(json_object_get(t, "port_from"));
		long long pt = json_integer_value(json_object_get(t, "port_to"));
		const char *af = json_string_value(json_object_get(t, "addr_from"));
		const char *at = json_string_value(json_object_get(t, "addr_to"));

		snprintf(val, sizeof(val), "%s%s%s", af ? af : "?",
			 at && af && strcmp(af, at) != 0 ? "-" : "",
			 at && af && strcmp(af, at) != 0 ? at : "");
		n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
				      " target %s", val);
		if (pf != 0 || pt != 0)
			n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
					      pf == pt ? ":%lld" : ":%lld-%lld", pf, pt);
	}
	if ((v = json_object_get(rule, "meter")) != NULL)
		snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, " meter %s",
			 json_string_value(v));
	json_array_append_new(c->lines, json_string(line));
	json_array_append_new(result_objects(c), object_json(rule, ra));
}

/* One top-level object's line: "bridge bridge0 name br0 state up infilter chain0". */
static void
print_object(struct topo_cmd *c, enum topo_kind kind, const json_t *o)
{
	char a[ALIAS_LEN], filt[2 * ALIAS_LEN];
	const char *name = json_string_value(json_object_get(o, "name"));
	const json_t *v;

	topo_alias(kind, "", obj_id(o), a, sizeof(a));
	if (name == NULL)
		name = obj_id(o);
	switch (kind) {
	case KIND_BRIDGE:
	case KIND_ROUTER:
		filters_text(o, filt, sizeof(filt));
		topo_line(c, "%s %s name %s state %s%s", kinds[kind].word, a, name, state_text(o),
			  filt);
		break;
	case KIND_PORT_GROUP:
		v = json_object_get(o, "stateful");
		topo_line(c, "port-group %s name %s stateful %s", a, name,
			  json_is_true(v) ? "true" : "false");
		break;
	case KIND_TUNNEL_ZONE:
		topo_line(c, "tzone %s name %s type %s", a, name,
			  json_string_value(json_object_get(o, "type")));
		break;
	case KIND_HOST:
		/* This daemon is alive (it answers); of another host the document says nothing. */
		topo_line(c, "host %s name %s%s", a, name,
			  strcmp(obj_id(o), c->dp->cfg.host_id) == 0 ? " alive true" : "");
		break;
	default:
		topo_line(c, "%s %s name %s", kinds[kind].word, a, name);
		break;
	}
	json_array_append_new(result_objects(c), object_json(o, a));
}

/* The hosts: this daemon's own first (it is alive: it answers), then the document's. */
static void
list_hosts(struct topo_cmd *c)
{
	json_t *self = json_pack("{s:s, s:s}", "id", c->dp->cfg.host_id, "name", c->dp->cfg.host);
	json_t *o;
	size_t i;

	print_object(c, KIND_HOST, self);
	json_decref(self);
	json_array_foreach(json_object_get(c->doc, "hosts"), i, o)
		if (strcmp(obj_id(o), c->dp->cfg.host_id) != 0)
			print_object(c, KIND_HOST, o);
}

int
topo_list(struct topo_cmd *c, enum topo_kind kind)
{
	json_t *o;
	size_t i;

	if (kind == KIND_HOST) {
		list_hosts(c);
		return 0;
	}
	json_array_foreach(json_object_get(c->doc, kinds[kind].array), i, o)
		print_object(c, kind, o);
	if (json_object_get(c->result, "objects") == NULL)
		result_objects(c);
	return 0;
}

int
topo_show_host(struct topo_cmd *c, const char *word)
{
	char self[ALIAS_LEN];
	json_t *h, *o;
	int ret;

	topo_alias(KIND_HOST, "", c->dp->cfg.host_id, self, sizeof(self));
	if (strcmp(word, self) == 0 || strcmp(word, c->dp->cfg.host_id) == 0) {
		o = json_pack("{s:s, s:s}", "id", c->dp->cfg.host_id, "name", c->dp->cfg.host);
		print_object(c, KIND_HOST, o);
		json_decref(o);
		return 0;
	}
	if ((ret = topo_resolve(c, KIND_HOST, word, &h, NULL)) != 0)
		return ret;
	print_object(c, KIND_HOST, h);
	return 0;
}

int
topo_show(struct topo_cmd *c, enum topo_kind kind, const json_t *obj)
{
	print_object(c, kind, obj);
	return 0;
}

static int
kind_of_word(const char *w)
{
	int k;

	for (k = 0; k < KIND_PORT; k++)
		if (w != NULL && strcmp(w, kinds[k].word) == 0)
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
		t = topology_json_load(c.doc, dp->topo_source, ifs, dp_local_interfaces(dp, true, ifs),
				       err, errlen);
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
