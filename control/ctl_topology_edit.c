/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing, part two: the edits of each kind of object in the
 * midonet-cli grammar (ctl_topology.h).  Each edit changes c->doc only and
 * sets c->edited; ctl_topology.c checks the result and commits it.  What
 * the grammar can check cheaply (an address, a CIDR, a number) is refused
 * here naming the word; what needs the whole topology (a dangling
 * reference, a port bound twice) is refused by topology_json_load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_topology.h"

#define ALIAS_LEN 96

const char *
topo_id_of(const json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));

	return id != NULL ? id : "";
}

bool
topo_is_word(const char *w, const char *s)
{
	return w != NULL && strcmp(w, s) == 0;
}

/* Decimal, at most max. */
int
topo_number(struct topo_cmd *c, const char *key, const char *s, unsigned long max,
	    unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || *out > max)
		return topo_fail(c, "%s \"%s\": not a number from 0 to %lu", key, s, max);
	return 0;
}

static bool
ipv4_ok(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

static bool
ipv6_ok(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

/* "10.0.0.0/24", "10.0.0.1" (/32), "2001:db8::/64": the address and the length both checked. */
static bool
cidr_ok(const char *s, bool *v6)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	unsigned long len = 0;
	char *end;

	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	*v6 = strchr(addr, ':') != NULL;
	if (slash != NULL) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno != 0 || len > (*v6 ? 128u : 32u))
			return false;
	}
	return *v6 ? ipv6_ok(addr) : ipv4_ok(addr);
}

int
topo_check_cidr(struct topo_cmd *c, const char *key, const char *s)
{
	bool v6;

	if (!cidr_ok(s, &v6))
		return topo_fail(c, "%s \"%s\": not an IPv4 or IPv6 address or CIDR", key, s);
	return 0;
}

int
topo_check_mac(struct topo_cmd *c, const char *key, const char *s)
{
	unsigned int n = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
			n++;
		else if (*p != ':' && *p != '.' && *p != '-')
			n = 99;
	}
	if (n != 12)
		return topo_fail(c, "%s \"%s\": not a MAC address (02:00:00:00:00:01 or "
				 "0200.0000.0001)", key, s);
	return 0;
}

/* "up" or "down" into admin_state_up. */
static int
set_state(struct topo_cmd *c, json_t *o, const char *v)
{
	if (!topo_is_word(v, "up") && !topo_is_word(v, "down"))
		return topo_fail(c, "state \"%s\": up or down", v);
	json_object_set_new(o, "admin_state_up", json_boolean(topo_is_word(v, "up")));
	return 0;
}

/* infilter/outfilter: a chain by alias or id, or "none" to clear. */
static int
set_filter(struct topo_cmd *c, json_t *o, const char *key, const char *v)
{
	json_t *chain;

	if (topo_is_word(v, "none")) {
		json_object_del(o, key);
		return 0;
	}
	if (topo_resolve(c, KIND_CHAIN, v, &chain, NULL) != 0)
		return -EINVAL;
	json_object_set_new(o, key, json_string(topo_id_of(chain)));
	return 0;
}

/*
 * "name N", "state up", "infilter C", "outfilter C" (and, for router ports,
 * the L3 attributes) until the words run out.  allowed lists the keys.
 */
int
topo_set_attributes(struct topo_cmd *c, json_t *o, const char *const *allowed)
{
	const char *k, *v;
	unsigned int i;
	unsigned long n;
	bool v6;

	while ((k = topo_peek(c)) != NULL) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL)
			return topo_fail(c, "\"%s\": not an attribute here (%s%s%s%s%s%s%s)", k,
					 allowed[0], allowed[1] ? ", " : "",
					 allowed[1] ? allowed[1] : "", allowed[2] ? ", " : "",
					 allowed[2] ? allowed[2] : "", allowed[3] ? ", " : "",
					 allowed[3] ? "..." : "");
		c->pos++;
		if (topo_value(c, k, &v) != 0)
			return -EINVAL;
		if (strcmp(k, "state") == 0) {
			if (set_state(c, o, v) != 0)
				return -EINVAL;
		} else if (strcmp(k, "infilter") == 0 || strcmp(k, "outfilter") == 0) {
			if (set_filter(c, o, k[0] == 'i' ? "inbound_filter" : "outbound_filter",
				       v) != 0)
				return -EINVAL;
		} else if (strcmp(k, "address") == 0 || strcmp(k, "address6") == 0) {
			if (k[7] == '6' ? !ipv6_ok(v) : !ipv4_ok(v))
				return topo_fail(c, "%s \"%s\": not an IPv%c address", k, v,
						 k[7] == '6' ? '6' : '4');
			json_object_set_new(o, k, json_string(v));
		} else if (strcmp(k, "net") == 0 || strcmp(k, "net6") == 0) {
			if (!cidr_ok(v, &v6) || v6 != (k[3] == '6') || strchr(v, '/') == NULL)
				return topo_fail(c, "%s \"%s\": not an IPv%c CIDR", k, v,
						 k[3] == '6' ? '6' : '4');
			json_object_set_new(o, k[3] == '6' ? "network6" : "network", json_string(v));
		} else if (strcmp(k, "mac") == 0) {
			if (topo_check_mac(c, k, v) != 0)
				return -EINVAL;
			json_object_set_new(o, k, json_string(v));
		} else if (strcmp(k, "mtu") == 0) {
			if (topo_number(c, k, v, 65535, &n) != 0)
				return -EINVAL;
			json_object_set_new(o, k, json_integer((json_int_t)n));
		} else if (strcmp(k, "stateful") == 0) {
			if (!topo_is_word(v, "true") && !topo_is_word(v, "false"))
				return topo_fail(c, "stateful \"%s\": true or false", v);
			json_object_set_new(o, k, json_boolean(topo_is_word(v, "true")));
		} else {
			json_object_set_new(o, k, json_string(v));
		}
		c->edited = true;
	}
	return 0;
}

static const char *const device_attrs[] = {"name", "state", "infilter", "outfilter", NULL};
static const char *const bridge_port_attrs[] = {"state", "infilter", "outfilter", NULL};
static const char *const router_port_attrs[] = {"address", "net", "mac", "state", "infilter",
						"outfilter", "mtu", "address6", "net6", NULL};

/* Print "bridge1" / "router0:port2" for what was made, and return it in the reply. */
void
topo_made(struct topo_cmd *c, const char *alias, const char *id)
{
	topo_line(c, "%s", alias);
	json_object_set_new(c->result, "alias", json_string(alias));
	json_object_set_new(c->result, "id", json_string(id));
	c->edited = true;
}

/* "create [attributes]": a new object with a fresh id at the end of its array. */
int
topo_create(struct topo_cmd *c, enum topo_kind kind, const char *array,
	    const char *const *attrs, json_t **out)
{
	char id[TOPO_ID_LEN], alias[ALIAS_LEN];
	json_t *o = json_object();

	topo_new_id(id, sizeof(id));
	json_object_set_new(o, "id", json_string(id));
	if (topo_set_attributes(c, o, attrs) != 0) {
		json_decref(o);
		return -EINVAL;
	}
	json_array_append_new(topo_array(c->doc, array), o);
	topo_alias(kind, "", id, alias, sizeof(alias));
	topo_made(c, alias, id);
	if (out != NULL)
		*out = o;
	return 0;
}

/* Remove every string equal to id from arr. */
void
topo_array_remove_string(json_t *arr, const char *id)
{
	size_t i = 0;

	while (i < json_array_size(arr)) {
		const char *s = json_string_value(json_array_get(arr, i));

		if (s != NULL && strcmp(s, id) == 0)
			json_array_remove(arr, i);
		else
			i++;
	}
}

/*
 * What goes with a port: its peer's link, its bindings, its port-group
 * memberships and its router's routes through it.  Rules that name it are
 * left for the check to refuse: the operator decides about those.
 */
static void
port_detach(struct topo_cmd *c, json_t *device, const char *pid)
{
	json_t *peer, *o;
	const char *peer_id = json_string_value(json_object_get(
		topo_find_id(json_object_get(device, "ports"), pid, NULL), "peer"));
	size_t i;

	if (peer_id != NULL && (peer = topo_find_port(c->doc, peer_id, NULL, NULL)) != NULL &&
	    topo_is_word(json_string_value(json_object_get(peer, "peer")), pid))
		json_object_del(peer, "peer");
	i = 0;
	while (i < json_array_size(json_object_get(c->doc, "bindings"))) {
		o = json_array_get(json_object_get(c->doc, "bindings"), i);
		if (topo_is_word(json_string_value(json_object_get(o, "port")), pid))
			json_array_remove(json_object_get(c->doc, "bindings"), i);
		else
			i++;
	}
	json_array_foreach(json_object_get(c->doc, "port_groups"), i, o)
		topo_array_remove_string(json_object_get(o, "ports"), pid);
	i = 0;
	while (i < json_array_size(json_object_get(device, "routes"))) {
		o = json_array_get(json_object_get(device, "routes"), i);
		if (topo_is_word(json_string_value(json_object_get(o, "port")), pid))
			json_array_remove(json_object_get(device, "routes"), i);
		else
			i++;
	}
}

/* "set peer P" links both ends, as midonet-cli's link; "none" or "unlink" undoes it. */
static int
link_port(struct topo_cmd *c, json_t *port, const json_t *device, const char *word)
{
	const char *old = json_string_value(json_object_get(port, "peer"));
	char pid[TOPO_ID_LEN];
	json_t *peer, *op;

	if (old != NULL && (op = topo_find_port(c->doc, old, NULL, NULL)) != NULL)
		json_object_del(op, "peer");
	json_object_del(port, "peer");
	c->edited = true;
	if (word == NULL || topo_is_word(word, "none"))
		return 0;
	if (topo_resolve_port(c, word, device, &peer, pid, sizeof(pid)) != 0)
		return -EINVAL;
	if (peer == port)
		return topo_fail(c, "peer %s: a port cannot be its own peer", word);
	if (json_object_get(peer, "peer") != NULL)
		return topo_fail(c, "peer %s: already linked to another port (unlink it first)",
				 word);
	json_object_set_new(port, "peer", json_string(pid));
	json_object_set_new(peer, "peer", json_string(topo_id_of(port)));
	return 0;
}

static int
delete_port(struct topo_cmd *c, json_t *device, enum topo_kind dkind, const char *pw)
{
	json_t *port, *ports = json_object_get(device, "ports");
	char pid[TOPO_ID_LEN];
	size_t idx;

	if (topo_resolve_port(c, pw, device, &port, pid, sizeof(pid)) != 0)
		return -EINVAL;
	if (topo_find_id(ports, pid, &idx) == NULL)
		return topo_fail(c, "port %s: not a port of this %s", pw,
				 dkind == KIND_BRIDGE ? "bridge" : "router");
	port_detach(c, device, pid);
	json_array_remove(ports, idx);
	c->edited = true;
	return 0;
}

int
topo_edit_port(struct topo_cmd *c, json_t *device, enum topo_kind dkind)
{
	const char *pw, *verb, *key, *v;
	json_t *port, *ports = json_object_get(device, "ports");
	char pid[TOPO_ID_LEN];
	size_t idx;

	if (topo_value(c, "port", &pw) != 0 ||
	    topo_resolve_port(c, pw, device, &port, pid, sizeof(pid)) != 0)
		return -EINVAL;
	if (topo_find_id(ports, pid, &idx) == NULL)
		return topo_fail(c, "port %s: not a port of this %s", pw,
				 dkind == KIND_BRIDGE ? "bridge" : "router");
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show")) {
		topo_print_port(c, device, dkind, port);
		return 0;
	}
	if (topo_is_word(verb, "delete"))
		return delete_port(c, device, dkind, pw);
	if (topo_is_word(verb, "unlink"))
		return link_port(c, port, device, NULL);
	if (!topo_is_word(verb, "set"))
		return topo_fail(c, "port %s \"%s\": show, set, unlink or delete", pw, verb);
	/* "set peer P" and the port's own attributes, in any order. */
	while ((key = topo_peek(c)) != NULL && topo_is_word(key, "peer")) {
		c->pos++;
		if (topo_value(c, "peer", &v) != 0 || link_port(c, port, device, v) != 0)
			return -EINVAL;
	}
	if (topo_peek(c) == NULL)
		return c->edited ? 0 : topo_fail(c, "port %s set: what? (state, peer, ...)", pw);
	return topo_set_attributes(c, port, dkind == KIND_BRIDGE ? bridge_port_attrs
							     : router_port_attrs);
}

static int
add_port(struct topo_cmd *c, json_t *device, enum topo_kind dkind)
{
	char id[TOPO_ID_LEN], da[ALIAS_LEN], pa[ALIAS_LEN], full[2 * ALIAS_LEN + 2];
	json_t *p = json_object();

	topo_new_id(id, sizeof(id));
	json_object_set_new(p, "id", json_string(id));
	if (topo_set_attributes(c, p, dkind == KIND_BRIDGE ? bridge_port_attrs : router_port_attrs)) {
		json_decref(p);
		return -EINVAL;
	}
	if (dkind == KIND_ROUTER &&
	    (json_object_get(p, "address") == NULL || json_object_get(p, "network") == NULL)) {
		json_decref(p);
		return topo_fail(c, "add port: a router port needs \"address A net CIDR\"");
	}
	json_array_append_new(topo_array(device, "ports"), p);
	topo_alias(dkind, "", topo_id_of(device), da, sizeof(da));
	topo_alias(KIND_PORT, topo_id_of(device), id, pa, sizeof(pa));
	snprintf(full, sizeof(full), "%s:%s", da, pa);
	topo_made(c, full, id);
	return 0;
}

static int
list_children(struct topo_cmd *c, json_t *device, enum topo_kind dkind, const char *what)
{
	json_t *o;
	size_t i;

	if (topo_is_word(what, "port")) {
		json_array_foreach(json_object_get(device, "ports"), i, o)
			topo_print_port(c, device, dkind, o);
	} else if (topo_is_word(what, "route") && dkind == KIND_ROUTER) {
		json_array_foreach(json_object_get(device, "routes"), i, o)
			topo_print_route(c, device, o);
	} else {
		return topo_fail(c, "list %s: a %s lists port%s", what ? what : "",
				 dkind == KIND_BRIDGE ? "bridge" : "router",
				 dkind == KIND_BRIDGE ? "" : " or route");
	}
	return 0;
}

/* The references other objects hold to a device's ports go with it (port_detach). */
static void
delete_device(struct topo_cmd *c, json_t *device, const char *array, size_t idx)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(device, "ports"), i, p)
		port_detach(c, device, topo_id_of(p));
	json_array_remove(json_object_get(c->doc, array), idx);
	c->edited = true;
}

/* "router R add route dst CIDR [src CIDR] [type T] [port P] [gw IP] [weight N]". */
static int
add_route(struct topo_cmd *c, json_t *router)
{
	char id[TOPO_ID_LEN], ra[ALIAS_LEN], rta[ALIAS_LEN], full[2 * ALIAS_LEN + 2];
	char pid[TOPO_ID_LEN];
	json_t *rt = json_object(), *port;
	const char *k, *v;
	unsigned long n;
	int ret = 0;

	topo_new_id(id, sizeof(id));
	json_object_set_new(rt, "id", json_string(id));
	while (ret == 0 && (k = topo_next(c)) != NULL) {
		if ((ret = topo_value(c, k, &v)) != 0)
			break;
		if (topo_is_word(k, "dst") || topo_is_word(k, "src")) {
			if ((ret = topo_check_cidr(c, k, v)) == 0)
				json_object_set_new(rt, k, json_string(v));
		} else if (topo_is_word(k, "gw") || topo_is_word(k, "gateway")) {
			if (!ipv4_ok(v) && !ipv6_ok(v))
				ret = topo_fail(c, "gw \"%s\": not an IPv4 or IPv6 address", v);
			else
				json_object_set_new(rt, "gateway", json_string(v));
		} else if (topo_is_word(k, "type")) {
			if (!topo_is_word(v, "normal") && !topo_is_word(v, "blackhole") && !topo_is_word(v, "reject"))
				ret = topo_fail(c, "type \"%s\": normal, blackhole or reject", v);
			else
				json_object_set_new(rt, k, json_string(v));
		} else if (topo_is_word(k, "port")) {
			if ((ret = topo_resolve_port(c, v, router, &port, pid, sizeof(pid))) == 0)
				json_object_set_new(rt, k, json_string(pid));
		} else if (topo_is_word(k, "weight")) {
			if ((ret = topo_number(c, k, v, UINT32_MAX, &n)) == 0)
				json_object_set_new(rt, k, json_integer((json_int_t)n));
		} else {
			ret = topo_fail(c, "\"%s\": not a route attribute (dst, src, type, port, gw, "
					"weight)", k);
		}
	}
	if (ret == 0 && json_object_get(rt, "dst") == NULL)
		ret = topo_fail(c, "add route: dst CIDR missing");
	if (ret != 0) {
		json_decref(rt);
		return ret;
	}
	json_array_append_new(topo_array(router, "routes"), rt);
	topo_alias(KIND_ROUTER, "", topo_id_of(router), ra, sizeof(ra));
	topo_alias(KIND_ROUTE, topo_id_of(router), id, rta, sizeof(rta));
	snprintf(full, sizeof(full), "%s:%s", ra, rta);
	topo_made(c, full, id);
	return 0;
}

/* Bridges and routers share their grammar; routers add routes. */
static int
edit_device(struct topo_cmd *c, enum topo_kind kind, const char *array)
{
	const char *w = topo_next(c), *verb, *what;
	json_t *dev, *route;
	size_t idx;

	if (w == NULL || topo_is_word(w, "list"))
		return topo_list(c, kind);
	if (topo_is_word(w, "create"))
		return topo_create(c, kind, array, device_attrs, NULL);
	if (topo_resolve(c, kind, w, &dev, &idx) != 0)
		return -EINVAL;
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show"))
		return topo_show(c, kind, dev);
	if (topo_is_word(verb, "delete") && topo_peek(c) == NULL) {
		delete_device(c, dev, array, idx);
		return 0;
	}
	if (topo_is_word(verb, "set")) {
		if (topo_peek(c) == NULL)
			return topo_fail(c, "set: what? (name, state, infilter, outfilter)");
		return topo_set_attributes(c, dev, device_attrs);
	}
	if (topo_is_word(verb, "port")) {
		/* "port list", "port add ..." as well as "port P ..." */
		if (topo_is_word(topo_peek(c), "list"))
			return c->pos++, list_children(c, dev, kind, "port");
		if (topo_is_word(topo_peek(c), "add"))
			return c->pos++, add_port(c, dev, kind);
		return topo_edit_port(c, dev, kind);
	}
	if (kind == KIND_ROUTER && topo_is_word(verb, "route")) {
		what = topo_next(c);
		if (topo_is_word(what, "list"))
			return list_children(c, dev, kind, "route");
		if (topo_is_word(what, "add"))
			return add_route(c, dev);
		if (what != NULL &&
		    topo_resolve_child(c, KIND_ROUTE, dev, "routes", what, &route, &idx) == 0 &&
		    topo_is_word(topo_next(c), "delete")) {
			json_array_remove(json_object_get(dev, "routes"), idx);
			c->edited = true;
			return 0;
		}
		return topo_fail(c, "route: list, add ..., or ROUTE delete");
	}
	what = topo_next(c);
	if (topo_is_word(verb, "list"))
		return list_children(c, dev, kind, what);
	if (topo_is_word(verb, "add") && topo_is_word(what, "port"))
		return add_port(c, dev, kind);
	if (topo_is_word(verb, "add") && topo_is_word(what, "route") && kind == KIND_ROUTER)
		return add_route(c, dev);
	if (topo_is_word(verb, "delete") && topo_is_word(what, "port")) {
		const char *pw;

		return topo_value(c, "port", &pw) != 0 ? -EINVAL : delete_port(c, dev, kind, pw);
	}
	if (topo_is_word(verb, "delete") && topo_is_word(what, "route") && kind == KIND_ROUTER) {
		const char *rw;

		if (topo_value(c, "route", &rw) != 0 ||
		    topo_resolve_child(c, KIND_ROUTE, dev, "routes", rw, &route, &idx) != 0)
			return -EINVAL;
		json_array_remove(json_object_get(dev, "routes"), idx);
		c->edited = true;
		return 0;
	}
	return topo_fail(c, "%s %s \"%s%s%s\": show, set, delete, add port, list port, port P ...%s",
			 kind == KIND_BRIDGE ? "bridge" : "router", w, verb, what ? " " : "",
			 what ? what : "", kind == KIND_ROUTER ? ", add route, list route" : "");
}

int
topo_edit_bridge(struct topo_cmd *c)
{
	return edit_device(c, KIND_BRIDGE, "bridges");
}

int
topo_edit_router(struct topo_cmd *c)
{
	return edit_device(c, KIND_ROUTER, "routers");
}

/*
 * Once the document lists hosts it must list this daemon's own (the loader
 * says so): add it before the first other host or tunnel zone.
 */
static void
ensure_local_host(struct topo_cmd *c)
{
	json_t *hosts = topo_array(c->doc, "hosts");

	if (topo_find_id(hosts, c->dp->cfg.host_id, NULL) == NULL)
		json_array_insert_new(hosts, 0, json_pack("{s:s, s:s}", "id", c->dp->cfg.host_id,
							  "name", c->dp->cfg.host));
}

/* A host by alias or id: this daemon's own (host0 unless hosts come first) or the document's. */
static int
resolve_host(struct topo_cmd *c, const char *w, char *id, size_t len, bool *local)
{
	char self[ALIAS_LEN];
	json_t *h;

	topo_alias(KIND_HOST, "", c->dp->cfg.host_id, self, sizeof(self));
	*local = strcmp(w, self) == 0 || strcmp(w, c->dp->cfg.host_id) == 0;
	if (*local) {
		snprintf(id, len, "%s", c->dp->cfg.host_id);
		return 0;
	}
	if (topo_resolve(c, KIND_HOST, w, &h, NULL) != 0)
		return -EINVAL;
	snprintf(id, len, "%s", topo_id_of(h));
	return 0;
}

int
topo_edit_tunnel_zone(struct topo_cmd *c)
{
	static const char *const attrs[] = {"name", "type", NULL};
	const char *w = topo_next(c), *verb, *what, *hw, *addr, *type;
	char alias[ALIAS_LEN], hid[TOPO_ID_LEN], ha[ALIAS_LEN];
	json_t *z, *m, *members;
	bool local;
	size_t idx, i;

	if (w == NULL || topo_is_word(w, "list"))
		return topo_list(c, KIND_TUNNEL_ZONE);
	if (topo_is_word(w, "create")) {
		ensure_local_host(c);
		if (topo_create(c, KIND_TUNNEL_ZONE, "tunnel_zones", attrs, &z) != 0)
			return -EINVAL;
		type = json_string_value(json_object_get(z, "type"));
		if (type == NULL || (strcmp(type, "gre") != 0 && strcmp(type, "vxlan") != 0 &&
				     strcmp(type, "vtep") != 0))
			return topo_fail(c, "tunnel-zone create: type gre, vxlan or vtep");
		return 0;
	}
	if (topo_resolve(c, KIND_TUNNEL_ZONE, w, &z, &idx) != 0)
		return -EINVAL;
	topo_alias(KIND_TUNNEL_ZONE, "", topo_id_of(z), alias, sizeof(alias));
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show"))
		return topo_show(c, KIND_TUNNEL_ZONE, z);
	what = topo_next(c);
	if (topo_is_word(verb, "delete") && what == NULL) {
		json_array_remove(json_object_get(c->doc, "tunnel_zones"), idx);
		c->edited = true;
		return 0;
	}
	members = topo_array(z, "members");
	if (topo_is_word(verb, "list") && topo_is_word(what, "member")) {
		json_array_foreach(members, i, m) {
			topo_alias(KIND_HOST, "", json_string_value(json_object_get(m, "host")), ha,
				   sizeof(ha));
			topo_line(c, "zone %s host %s address %s", alias, ha,
				  json_string_value(json_object_get(m, "address")));
		}
		return 0;
	}
	if (!topo_is_word(what, "member") ||
	    (!topo_is_word(verb, "add") && !topo_is_word(verb, "delete")) ||
	    !topo_is_word(topo_next(c), "host") || topo_value(c, "host", &hw) != 0 ||
	    resolve_host(c, hw, hid, sizeof(hid), &local) != 0)
		return c->err[0] ? -EINVAL
				 : topo_fail(c, "tunnel-zone %s: show, delete, list member, add "
					     "member host H address IP, delete member host H", w);
	/* One membership per host and zone: adding again moves the address. */
	for (i = 0; i < json_array_size(members); i++)
		if (topo_is_word(json_string_value(json_object_get(json_array_get(members, i),
								   "host")), hid))
			json_array_remove(members, i--);
	c->edited = true;
	if (topo_is_word(verb, "delete"))
		return 0;
	if (!topo_is_word(topo_next(c), "address") || topo_value(c, "address", &addr) != 0)
		return topo_fail(c, "add member: \"address IP\" missing");
	if (topo_check_cidr(c, "address", addr) != 0 || strchr(addr, '/') != NULL)
		return topo_fail(c, "address \"%s\": not an IP address", addr);
	json_array_append_new(members, json_pack("{s:s, s:s}", "host", hid, "address", addr));
	return 0;
}

/* "iface vm1 host_id host0 port 0 devargs net_pcap0,...": the config's ports. */
static void
list_interfaces(struct topo_cmd *c, const char *alias)
{
	unsigned int i;

	for (i = 0; i < c->dp->cfg.n_ports; i++)
		topo_line(c, "iface %s host_id %s port %u devargs %s", c->dp->cfg.ports[i].name,
			  alias, c->dp->ports[i].id, c->dp->cfg.ports[i].devargs);
}

static void
list_bindings(struct topo_cmd *c, const char *hid, bool local, const char *alias)
{
	char pa[2 * ALIAS_LEN];
	const char *host;
	json_t *b;
	size_t i;

	json_array_foreach(json_object_get(c->doc, "bindings"), i, b) {
		host = json_string_value(json_object_get(b, "host"));
		if (host != NULL ? strcmp(host, hid) != 0 : !local)
			continue;
		topo_port_alias(c->doc, json_string_value(json_object_get(b, "port")), pa,
				sizeof(pa));
		topo_line(c, "host %s interface %s port %s", alias,
			  json_string_value(json_object_get(b, "interface")), pa);
	}
}

/*
 * Hosts register themselves in MidoNet; here another host that shares the
 * document is written by hand: "host create name compute-2 id host-b" (its
 * daemon's host_id must be the same id).
 */
static int
create_host(struct topo_cmd *c)
{
	static const char *const attrs[] = {"name", "id", NULL};
	char alias[ALIAS_LEN], id[TOPO_ID_LEN];
	json_t *h = json_object();

	if (topo_set_attributes(c, h, attrs) != 0) {
		json_decref(h);
		return -EINVAL;
	}
	if (json_object_get(h, "id") == NULL) {
		topo_new_id(id, sizeof(id));
		json_object_set_new(h, "id", json_string(id));
	}
	ensure_local_host(c);
	json_array_append_new(topo_array(c->doc, "hosts"), h);
	topo_alias(KIND_HOST, "", topo_id_of(h), alias, sizeof(alias));
	topo_made(c, alias, topo_id_of(h));
	return 0;
}

/*
 * "host H add binding port P interface I" (and the guide's other order,
 * "host H binding add interface I port P"); "delete binding port P" or
 * "interface I".  Bindings of this daemon's host are written without a host,
 * as the topology file has them.
 */
int
topo_edit_host(struct topo_cmd *c)
{
	const char *w = topo_next(c), *verb, *what, *k, *v, *iface = NULL, *pw = NULL;
	char hid[TOPO_ID_LEN], alias[ALIAS_LEN], pid[TOPO_ID_LEN];
	json_t *bindings, *b, *port;
	bool local, add;
	size_t i;

	if (w == NULL || topo_is_word(w, "list"))
		return topo_list(c, KIND_HOST);
	if (topo_is_word(w, "create"))
		return create_host(c);
	if (resolve_host(c, w, hid, sizeof(hid), &local) != 0)
		return -EINVAL;
	topo_alias(KIND_HOST, "", hid, alias, sizeof(alias));
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show"))
		return topo_show_host(c, w);
	if (topo_is_word(verb, "delete") && topo_peek(c) == NULL) {
		size_t idx;
		json_t *h;

		if (local)
			return topo_fail(c, "host %s: this daemon's own host is not deleted", w);
		if (topo_resolve(c, KIND_HOST, w, &h, &idx) != 0)
			return -EINVAL;
		/* Bindings and zone memberships naming it are left for the check to refuse. */
		json_array_remove(json_object_get(c->doc, "hosts"), idx);
		c->edited = true;
		return 0;
	}
	what = topo_next(c);
	if (topo_is_word(verb, "list") && topo_is_word(what, "interface") && local) {
		list_interfaces(c, alias);
		return 0;
	}
	if (topo_is_word(verb, "list") && topo_is_word(what, "binding")) {
		list_bindings(c, hid, local, alias);
		return 0;
	}
	if (topo_is_word(verb, "binding")) {
		/* "binding add|delete ...": the same words in the other order. */
		const char *tmp = verb;

		verb = what;
		what = tmp;
	}
	add = topo_is_word(verb, "add");
	if ((!add && !topo_is_word(verb, "delete")) || !topo_is_word(what, "binding"))
		return topo_fail(c, "host %s: list interface, list binding, add binding port P "
				 "interface I, delete binding port P", w);
	while ((k = topo_next(c)) != NULL) {
		if (topo_value(c, k, &v) != 0)
			return -EINVAL;
		if (topo_is_word(k, "port"))
			pw = v;
		else if (topo_is_word(k, "interface"))
			iface = v;
		else
			return topo_fail(c, "\"%s\": a binding has a port and an interface", k);
	}
	if (add && (pw == NULL || iface == NULL))
		return topo_fail(c, "add binding: port P and interface I, both");
	if (pw == NULL && iface == NULL)
		return topo_fail(c, "delete binding: port P or interface I");
	pid[0] = '\0';
	if (pw != NULL && topo_resolve_port(c, pw, NULL, &port, pid, sizeof(pid)) != 0)
		return -EINVAL;
	bindings = topo_array(c->doc, "bindings");
	c->edited = true;
	if (add) {
		b = json_pack("{s:s, s:s}", "port", pid, "interface", iface);
		if (!local)
			json_object_set_new(b, "host", json_string(hid));
		json_array_append_new(bindings, b);
		topo_line(c, "host %s interface %s port %s", alias, iface, pw);
		return 0;
	}
	for (i = 0; i < json_array_size(bindings); i++) {
		b = json_array_get(bindings, i);
		v = json_string_value(json_object_get(b, "host"));
		if ((v != NULL ? strcmp(v, hid) != 0 : !local) ||
		    (pw != NULL && !topo_is_word(json_string_value(json_object_get(b, "port")), pid)) ||
		    (iface != NULL &&
		     !topo_is_word(json_string_value(json_object_get(b, "interface")), iface)))
			continue;
		json_array_remove(bindings, i);
		return 0;
	}
	return topo_fail(c, "delete binding: host %s has no such binding", alias);
}
