/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing, part two: bridges, routers, their ports and routes, in
 * the midonet-cli grammar (ctl_topology.h); hosts and tunnel zones are
 * ctl_topology_hosts.c's, chains ctl_topology_chain.c's.  Each edit
 * changes c->doc only and sets c->edited; ctl_topology.c checks the result and commits it.  What
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
 * A bridge port's VLANs: "vlan V" (an access port) or "trunk-vlans 10,20"
 * or "trunk-vlans all" (a trunk); "none" clears either.  Numbers and
 * duplicates are refused here naming the word; an access and a trunk
 * setting on one port is refused by the check of the whole document
 * (topology/topology_vlan.c), which names the field.
 */
static int
set_vlans(struct topo_cmd *c, json_t *o, const char *k, const char *v)
{
	char buf[256], *tok, *save = NULL;
	unsigned long n;
	json_t *list;

	if (topo_is_word(v, "none")) {
		json_object_del(o, k[0] == 'v' ? "vlan" : "trunk_vlans");
		return 0;
	}
	if (k[0] == 'v') {
		if (topo_number(c, k, v, TOPO_VLAN_MAX, &n) != 0)
			return -EINVAL;
		if (n < TOPO_VLAN_MIN)
			return topo_fail(c, "vlan \"%s\": a VLAN id is %d to %d", v, TOPO_VLAN_MIN,
					 TOPO_VLAN_MAX);
		json_object_set_new(o, "vlan", json_integer((json_int_t)n));
		return 0;
	}
	if (topo_is_word(v, "all")) {
		json_object_set_new(o, "trunk_vlans", json_string("all"));
		return 0;
	}
	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return topo_fail(c, "trunk-vlans: too long a list (use \"all\")");
	list = json_array();
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		json_t *e;

		if (topo_number(c, k, tok, TOPO_VLAN_MAX, &n) != 0) {
			json_decref(list);
			return -EINVAL;
		}
		if (n < TOPO_VLAN_MIN) {
			json_decref(list);
			return topo_fail(c, "trunk-vlans \"%s\": a VLAN id is %d to %d", tok,
					 TOPO_VLAN_MIN, TOPO_VLAN_MAX);
		}
		json_array_foreach(list, i, e)
			if ((unsigned long)json_integer_value(e) == n) {
				json_decref(list);
				return topo_fail(c, "trunk-vlans \"%s\": VLAN %lu listed twice", v, n);
			}
		json_array_append_new(list, json_integer((json_int_t)n));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return topo_fail(c, "trunk-vlans \"%s\": VLAN ids (10,20) or all", v);
	}
	json_object_set_new(o, "trunk_vlans", list);
	return 0;
}

/*
 * A bridge's provider network, in Neutron's words: "provider-type flat|vlan"
 * ("none" removes it), "physical-network physnet1", "segmentation-id 100".
 * What needs the daemon's configuration or the whole network (a physnet no
 * port maps, an id a flat network must not have) is refused by the check of
 * the document (topology/topology_provider.c), naming the field.
 */
static int
set_provider(struct topo_cmd *c, json_t *o, const char *k, const char *v)
{
	json_t *p = json_object_get(o, "provider");
	unsigned long n;

	if (strcmp(k, "provider-type") == 0 && topo_is_word(v, "none")) {
		json_object_del(o, "provider");
		return 0;
	}
	if (p == NULL) {
		p = json_object();
		json_object_set_new(o, "provider", p);
	}
	if (strcmp(k, "provider-type") == 0) {
		if (!topo_is_word(v, "flat") && !topo_is_word(v, "vlan"))
			return topo_fail(c, "provider-type \"%s\": flat, vlan or none", v);
		json_object_set_new(p, "type", json_string(v));
	} else if (strcmp(k, "physical-network") == 0) {
		json_object_set_new(p, "physical_network", json_string(v));
	} else if (topo_is_word(v, "none")) {
		json_object_del(p, "segmentation_id");
	} else {
		if (topo_number(c, k, v, TOPO_VLAN_MAX, &n) != 0)
			return -EINVAL;
		if (n < TOPO_VLAN_MIN)
			return topo_fail(c, "segmentation-id \"%s\": a VLAN id is %d to %d", v,
					 TOPO_VLAN_MIN, TOPO_VLAN_MAX);
		json_object_set_new(p, "segmentation_id", json_integer((json_int_t)n));
	}
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
		} else if (strcmp(k, "provider-type") == 0 || strcmp(k, "physical-network") == 0 ||
			   strcmp(k, "segmentation-id") == 0) {
			if (set_provider(c, o, k, v) != 0)
				return -EINVAL;
		} else if (strcmp(k, "vlan") == 0 || strcmp(k, "trunk-vlans") == 0) {
			if (set_vlans(c, o, k, v) != 0)
				return -EINVAL;
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
static const char *const bridge_attrs[] = {"name", "state", "infilter", "outfilter",
					   "provider-type", "physical-network", "segmentation-id",
					   NULL};
static const char *const bridge_port_attrs[] = {"state", "infilter", "outfilter", "vlan",
						"trunk-vlans", NULL};
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
		return topo_create(c, kind, array, kind == KIND_BRIDGE ? bridge_attrs : device_attrs,
				   NULL);
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
		return topo_set_attributes(c, dev, kind == KIND_BRIDGE ? bridge_attrs : device_attrs);
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

