/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology editor's listings: objects, ports, routes and rules as
 * midonet-cli prints them (one line each, with their aliases), and the same
 * objects in the reply's "objects" array for JSON clients.  See
 * ctl_topology.h for the command as a whole.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_topology.h"

/* Room for filters_text: two aliases and the two words before them. */
#define FILTERS_TEXT_LEN (2 * ALIAS_LEN + sizeof(" infilter ") + sizeof(" outfilter "))

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

/* " vlan 10", " trunk-vlans 10,20" or " trunk-vlans all" for a bridge port; "" for none. */
static void
vlans_text(const json_t *port, char *out, size_t len)
{
	const json_t *vlan = json_object_get(port, "vlan"), *trunk = json_object_get(port, "trunk_vlans");
	const json_t *e;
	size_t i, off;

	out[0] = '\0';
	if (json_is_integer(vlan))
		snprintf(out, len, " vlan %lld", (long long)json_integer_value(vlan));
	if (json_is_string(trunk))
		snprintf(out, len, " trunk-vlans %s", json_string_value(trunk));
	if (!json_is_array(trunk))
		return;
	off = (size_t)snprintf(out, len, " trunk-vlans ");
	json_array_foreach(trunk, i, e) {
		if (off >= len)
			break;
		off += (size_t)snprintf(out + off, len - off, "%s%lld", i ? "," : "",
					(long long)json_integer_value(e));
	}
}

void
topo_print_port(struct topo_cmd *c, const json_t *device, enum topo_kind dkind,
		const json_t *port)
{
	char da[ALIAS_LEN], pa[ALIAS_LEN], filt[FILTERS_TEXT_LEN], peer[2 * ALIAS_LEN], l3[512];
	const char *peer_id = json_string_value(json_object_get(port, "peer"));
	json_t *o;

	topo_alias(dkind, "", topo_id_of(device), da, sizeof(da));
	topo_alias(KIND_PORT, topo_id_of(device), topo_id_of(port), pa, sizeof(pa));
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
	} else {
		vlans_text(port, l3, sizeof(l3));
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

	topo_alias(KIND_ROUTE, topo_id_of(router), topo_id_of(route), ra, sizeof(ra));
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

	topo_alias(KIND_RULE, topo_id_of(chain), topo_id_of(rule), ra, sizeof(ra));
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

/* " provider-type vlan physical-network physnet1 segmentation-id 100", or "". */
static void
provider_text(const json_t *p, char *out, size_t len)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *net = json_string_value(json_object_get(p, "physical_network"));
	const json_t *seg = json_object_get(p, "segmentation_id");

	out[0] = '\0';
	if (p == NULL)
		return;
	if (seg != NULL)
		snprintf(out, len, " provider-type %s physical-network %s segmentation-id %lld",
			 type ? type : "?", net ? net : "?", (long long)json_integer_value(seg));
	else
		snprintf(out, len, " provider-type %s physical-network %s", type ? type : "?",
			 net ? net : "?");
}

/* One top-level object's line: "bridge bridge0 name br0 state up infilter chain0". */
static void
print_object(struct topo_cmd *c, enum topo_kind kind, const json_t *o)
{
	char a[ALIAS_LEN], filt[FILTERS_TEXT_LEN], prov[TOPO_NAME_LEN + 96];
	const char *name = json_string_value(json_object_get(o, "name"));
	const json_t *v;

	topo_alias(kind, "", topo_id_of(o), a, sizeof(a));
	if (name == NULL)
		name = topo_id_of(o);
	switch (kind) {
	case KIND_BRIDGE:
	case KIND_ROUTER:
		filters_text(o, filt, sizeof(filt));
		provider_text(json_object_get(o, "provider"), prov, sizeof(prov));
		topo_line(c, "%s %s name %s state %s%s%s", topo_kinds[kind].word, a, name,
			  state_text(o), filt, prov);
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
	default:
		topo_line(c, "%s %s name %s", topo_kinds[kind].word, a, name);
		break;
	}
	json_array_append_new(result_objects(c), object_json(o, a));
}

/*
 * Every host the store registered, with its liveness: [{"id", "name",
 * "alive"}], or NULL when the store knows no other host (the file) or
 * cannot be asked now (no ZooKeeper session): liveness unknown then.
 */
static json_t *
registered_hosts(struct topo_cmd *c)
{
	struct topology_store *st = c->dp->store;
	char err[256];
	json_t *hosts;

	if (st == NULL || st->ops->hosts == NULL)
		return NULL;
	hosts = st->ops->hosts(st, err, sizeof(err));
	if (hosts == NULL)
		json_object_set_new(c->result, "alive_unknown", json_string(err));
	return hosts;
}

/*
 * One host's line, midonet-cli's "host host0 name NAME alive true".  alive:
 * this daemon is (it answers); another is as ZooKeeper says (its ephemeral
 * node); with no registry to ask, "alive unknown" and a JSON null, never a
 * guess.
 */
static void
print_host(struct topo_cmd *c, const json_t *o, const json_t *registry)
{
	const char *id = topo_id_of(o), *name = json_string_value(json_object_get(o, "name"));
	json_t *alive = json_null(), *h, *out;
	char a[ALIAS_LEN];
	size_t i;

	if (strcmp(id, c->dp->cfg.host_id) == 0) {
		alive = json_true();
	} else if (registry != NULL) {
		alive = json_false(); /* never registered, or its record is gone: not alive */
		json_array_foreach(registry, i, h)
			if (strcmp(json_string_value(json_object_get(h, "id")), id) == 0) {
				alive = json_incref(json_object_get(h, "alive"));
				if (name == NULL)
					name = json_string_value(json_object_get(h, "name"));
				break;
			}
	}
	topo_alias(KIND_HOST, "", id, a, sizeof(a));
	topo_line(c, "host %s name %s alive %s", a, name ? name : id,
		  json_is_null(alive) ? "unknown" : json_is_true(alive) ? "true" : "false");
	out = object_json(o, a);
	json_object_set_new(out, "alive", alive);
	if (name != NULL && json_object_get(out, "name") == NULL)
		json_object_set_new(out, "name", json_string(name));
	json_array_append_new(result_objects(c), out);
}

/*
 * The hosts: this daemon's own first (it is alive: it answers), then the
 * document's, then those registered in ZooKeeper that the document does not
 * name (a host that runs but binds nothing yet).
 */
static void
list_hosts(struct topo_cmd *c)
{
	json_t *self = json_pack("{s:s, s:s}", "id", c->dp->cfg.host_id, "name", c->dp->cfg.host);
	json_t *registry = registered_hosts(c), *doc_hosts = json_object_get(c->doc, "hosts");
	json_t *o;
	size_t i;

	print_host(c, self, registry);
	json_decref(self);
	json_array_foreach(doc_hosts, i, o)
		if (strcmp(topo_id_of(o), c->dp->cfg.host_id) != 0)
			print_host(c, o, registry);
	json_array_foreach(registry, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));

		if (strcmp(id, c->dp->cfg.host_id) != 0 && topo_find_id(doc_hosts, id, NULL) == NULL)
			print_host(c, o, registry);
	}
	json_decref(registry);
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
	json_array_foreach(json_object_get(c->doc, topo_kinds[kind].array), i, o)
		print_object(c, kind, o);
	if (json_object_get(c->result, "objects") == NULL)
		result_objects(c);
	return 0;
}

int
topo_show_host(struct topo_cmd *c, const char *word)
{
	char self[ALIAS_LEN];
	json_t *h = NULL, *o, *registry;
	size_t i;
	int ret;

	topo_alias(KIND_HOST, "", c->dp->cfg.host_id, self, sizeof(self));
	if (strcmp(word, self) == 0 || strcmp(word, c->dp->cfg.host_id) == 0) {
		o = json_pack("{s:s, s:s}", "id", c->dp->cfg.host_id, "name", c->dp->cfg.host);
		print_host(c, o, NULL);
		json_decref(o);
		return 0;
	}
	registry = registered_hosts(c);
	/* A host only ZooKeeper knows (no document object yet) is shown by its id or alias too. */
	json_array_foreach(registry, i, o) {
		char a[ALIAS_LEN];
		const char *id = json_string_value(json_object_get(o, "id"));

		if (topo_find_id(json_object_get(c->doc, "hosts"), id, NULL) != NULL)
			continue;
		topo_alias(KIND_HOST, "", id, a, sizeof(a));
		if (strcmp(word, id) == 0 || strcmp(word, a) == 0) {
			print_host(c, o, registry);
			json_decref(registry);
			return 0;
		}
	}
	ret = topo_resolve(c, KIND_HOST, word, &h, NULL);
	if (ret == 0)
		print_host(c, h, registry);
	json_decref(registry);
	return ret;
}

int
topo_show(struct topo_cmd *c, enum topo_kind kind, const json_t *obj)
{
	print_object(c, kind, obj);
	return 0;
}

