/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing, part three: hosts, their interfaces and bindings, and
 * tunnel zones, in the midonet-cli grammar (ctl_topology.h).  As in
 * ctl_topology_edit.c, an edit changes c->doc only; ctl_topology.c checks
 * and commits it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_topology.h"

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

/* "iface vm1 host_id host0 port 0 devargs net_pcap0,...": the ports, run-time ones too. */
static void
list_interfaces(struct topo_cmd *c, const char *alias)
{
	struct kairo_dp *dp = c->dp;
	unsigned int i;

	dp_ports_lock(dp);
	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].in_use)
			topo_line(c, "iface %s host_id %s port %u devargs %s link %s",
				  dp->cfg.ports[i].name, alias, dp->ports[i].id,
				  dp->cfg.ports[i].devargs, dp->ports[i].link_up ? "up" : "down");
	dp_ports_unlock(dp);
}

static void
list_bindings(struct topo_cmd *c, const char *hid, bool local, const char *alias)
{
	char pa[2 * ALIAS_LEN];
	const char *host, *iface;
	bool waiting;
	json_t *b;
	size_t i;

	json_array_foreach(json_object_get(c->doc, "bindings"), i, b) {
		host = json_string_value(json_object_get(b, "host"));
		if (host != NULL ? strcmp(host, hid) != 0 : !local)
			continue;
		waiting = false;
		topo_port_alias(c->doc, json_string_value(json_object_get(b, "port")), pa,
				sizeof(pa));
		iface = json_string_value(json_object_get(b, "interface"));
		/* A local binding to an interface this host does not have waits for it. */
		if (local && iface != NULL) {
			dp_ports_lock(c->dp);
			waiting = dp_port_by_name(c->dp, iface) == NULL;
			dp_ports_unlock(c->dp);
		}
		topo_line(c, "host %s interface %s port %s%s", alias, iface ? iface : "?", pa,
			  waiting ? " waiting" : "");
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
	/* Shown also when only ZooKeeper knows it (registered, not in the document). */
	if (topo_peek(c) == NULL || topo_is_word(topo_peek(c), "show")) {
		topo_next(c);
		return topo_show_host(c, w);
	}
	if (resolve_host(c, w, hid, sizeof(hid), &local) != 0)
		return -EINVAL;
	topo_alias(KIND_HOST, "", hid, alias, sizeof(alias));
	verb = topo_next(c);
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
