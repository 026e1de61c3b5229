/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded topology store: one JSON file.
 *
 *   {
 *     "bridges": [ { "id": "b1", "name": "demo", "admin_state_up": true,
 *                    "mac_aging_s": 300,
 *                    "ports": [ { "id": "b1-p1", "admin_state_up": true } ] } ],
 *     "bindings": [ { "port": "b1-p1", "interface": "vm1" } ]
 *   }
 *
 * A binding ties an exterior virtual port to a local interface (a port in the
 * daemon config), as `host host0 add binding port ... interface ...` does in
 * midonet-cli.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_field.h"
#include "topology_store.h"

void
topology_free(struct topology *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_bridges; i++)
		free(t->bridges[i].ports);
	free(t->bridges);
	free(t->ports);
	free(t);
}

static int
find_port(const struct topology *t, const char *id)
{
	uint32_t i;

	for (i = 0; i < t->n_ports; i++)
		if (strcmp(t->ports[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int
id_taken(const struct topology *t, const char *id)
{
	uint32_t i;

	for (i = 0; i < t->n_bridges; i++)
		if (strcmp(t->bridges[i].id, id) == 0)
			return 1;
	return find_port(t, id) >= 0;
}

static int
load_bridge(struct json_ctx *ctx, struct topology *t, const json_t *jb, uint32_t bi)
{
	static const char *const bridge_fields[] = {"id", "name", "admin_state_up", "mac_aging_s",
						    "ports", NULL};
	static const char *const port_fields[] = {"id", "admin_state_up", NULL};
	struct topo_bridge *b = &t->bridges[bi];
	char path[128], ppath[160];
	json_t *jports, *jp;
	uint64_t aging;
	size_t i;
	int ret;

	snprintf(path, sizeof(path), "bridges[%u]", bi);
	if (!json_is_object(jb))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jb, path, bridge_fields)) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "id", NULL, true, b->id, sizeof(b->id))) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "name", b->id, false, b->name,
				     sizeof(b->name))) != 0 ||
	    (ret = json_field_bool(ctx, jb, path, "admin_state_up", true, &b->admin_up)) != 0 ||
	    (ret = json_field_uint(ctx, jb, path, "mac_aging_s", 1, 86400,
				   BRIDGE_MAC_AGING_DEFAULT_S, false, &aging)) != 0 ||
	    (ret = json_field_array(ctx, jb, path, "ports", false, &jports)) != 0)
		return ret;
	if (id_taken(t, b->id)) {
		snprintf(ppath, sizeof(ppath), "%s.id", path);
		return json_field_error(ctx, ppath, "duplicate id \"%s\"", b->id);
	}
	b->index = bi;
	b->mac_aging_s = (uint32_t)aging;
	t->n_bridges = bi + 1;
	if (jports == NULL)
		return 0;
	b->ports = calloc(json_array_size(jports) ? json_array_size(jports) : 1, sizeof(uint32_t));
	if (b->ports == NULL)
		return json_field_error(ctx, path, "out of memory");
	json_array_foreach(jports, i, jp) {
		struct topo_port *p;
		struct topo_port *np = realloc(t->ports, (t->n_ports + 1) * sizeof(*t->ports));

		if (np == NULL)
			return json_field_error(ctx, path, "out of memory");
		t->ports = np;
		p = &t->ports[t->n_ports];
		memset(p, 0, sizeof(*p));
		snprintf(ppath, sizeof(ppath), "%s.ports[%zu]", path, i);
		if (!json_is_object(jp))
			return json_field_error(ctx, ppath, "must be an object");
		if ((ret = json_field_only(ctx, jp, ppath, port_fields)) != 0 ||
		    (ret = json_field_string(ctx, jp, ppath, "id", NULL, true, p->id,
					     sizeof(p->id))) != 0 ||
		    (ret = json_field_bool(ctx, jp, ppath, "admin_state_up", true,
					   &p->admin_up)) != 0)
			return ret;
		if (id_taken(t, p->id)) {
			snprintf(ppath + strlen(ppath), sizeof(ppath) - strlen(ppath), ".id");
			return json_field_error(ctx, ppath, "duplicate id \"%s\"", p->id);
		}
		p->index = t->n_ports;
		p->device = bi;
		p->dpdk_port = TOPO_NO_DPDK_PORT;
		b->ports[b->n_ports++] = p->index;
		t->n_ports++;
	}
	return 0;
}

static int
load_binding(struct json_ctx *ctx, struct topology *t, const json_t *jb, size_t bi,
	     const struct local_interface *ifs, unsigned int n_ifs)
{
	static const char *const fields[] = {"port", "interface", NULL};
	char path[64], fpath[96], port_id[TOPO_ID_LEN], iface[TOPO_NAME_LEN];
	struct topo_port *p;
	unsigned int i;
	int ret, pi;

	snprintf(path, sizeof(path), "bindings[%zu]", bi);
	if (!json_is_object(jb))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jb, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "port", NULL, true, port_id,
				     sizeof(port_id))) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "interface", NULL, true, iface,
				     sizeof(iface))) != 0)
		return ret;
	pi = find_port(t, port_id);
	if (pi < 0) {
		snprintf(fpath, sizeof(fpath), "%s.port", path);
		return json_field_error(ctx, fpath, "no port with id \"%s\"", port_id);
	}
	p = &t->ports[pi];
	if (p->interface[0] != '\0') {
		snprintf(fpath, sizeof(fpath), "%s.port", path);
		return json_field_error(ctx, fpath, "port \"%s\" is already bound to \"%s\"",
					port_id, p->interface);
	}
	for (i = 0; i < n_ifs; i++)
		if (strcmp(ifs[i].name, iface) == 0)
			break;
	snprintf(fpath, sizeof(fpath), "%s.interface", path);
	if (i == n_ifs)
		return json_field_error(ctx, fpath,
					"no local interface \"%s\" (names come from the daemon "
					"config's ports[].name)", iface);
	if (ifs[i].dpdk_port >= RTE_MAX_ETHPORTS)
		return json_field_error(ctx, fpath, "interface \"%s\" has port id %u, past %d",
					iface, ifs[i].dpdk_port, RTE_MAX_ETHPORTS);
	if (t->vport_of_dpdk[ifs[i].dpdk_port] != TOPO_NO_INDEX)
		return json_field_error(ctx, fpath, "interface \"%s\" is already bound to port \"%s\"",
					iface, t->ports[t->vport_of_dpdk[ifs[i].dpdk_port]].id);
	snprintf(p->interface, sizeof(p->interface), "%s", iface);
	p->dpdk_port = ifs[i].dpdk_port;
	t->vport_of_dpdk[ifs[i].dpdk_port] = (uint32_t)pi;
	return 0;
}

struct topology *
topology_file_load(const char *path, const struct local_interface *ifs, unsigned int n_ifs,
		   char *err, size_t errlen)
{
	static const char *const top_fields[] = {"bridges", "bindings", NULL};
	struct json_ctx ctx = {.file = path, .err = err, .errlen = errlen};
	json_t *root, *jbridges, *jbindings, *v;
	struct topology *t;
	size_t i;
	int ret = 0;

	root = json_field_load(&ctx);
	if (root == NULL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		json_decref(root);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		t->vport_of_dpdk[i] = TOPO_NO_INDEX;
	if ((ret = json_field_only(&ctx, root, "", top_fields)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "bridges", true, &jbridges)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "bindings", false, &jbindings)) != 0)
		goto out;
	t->bridges = calloc(json_array_size(jbridges) + 1, sizeof(*t->bridges));
	if (t->bridges == NULL) {
		ret = json_field_error(&ctx, "bridges", "out of memory");
		goto out;
	}
	json_array_foreach(jbridges, i, v) {
		if ((ret = load_bridge(&ctx, t, v, (uint32_t)i)) != 0)
			goto out;
	}
	if (jbindings != NULL) {
		json_array_foreach(jbindings, i, v) {
			if ((ret = load_binding(&ctx, t, v, i, ifs, n_ifs)) != 0)
				goto out;
		}
	}
	t->version = 1;
out:
	json_decref(root);
	if (ret != 0) {
		topology_free(t);
		return NULL;
	}
	return t;
}
