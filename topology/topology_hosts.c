/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hosts, tunnel zones and the bindings that make a port remote (contract in
 * topology_hosts.h, format in config/README.md):
 *
 *   "hosts": [ { "id": "host-a", "name": "compute-1" }, { "id": "host-b" } ],
 *   "tunnel_zones": [ { "id": "tz1", "name": "tz", "type": "vxlan",
 *                       "members": [ { "host": "host-a", "address": "192.168.50.1" },
 *                                    { "host": "host-b", "address": "192.168.50.2" } ] } ],
 *   "bindings": [ { "port": "b1p1", "host": "host-b", "interface": "vm2" } ],
 *   "vtep_bindings": [ { "port": "b1-vtep", "vni": 5000, "address": "192.168.50.9" } ]
 *
 * as midonet-cli's `tunnel-zone create name tz type vxlan`, `tunnel-zone
 * tzone0 add member host host0 address 10.0.0.11` and `host host0 add
 * binding port bridge0:port0 interface tap0` write them.
 */
#include <stdlib.h>
#include <string.h>

#include "topology_hosts.h"

/* Set once by the daemon before any load (topology_hosts.h says why it is process-wide). */
static char local_host_id[TOPO_ID_LEN];
static rte_be32_t local_underlay_ip;

/* RFC 7348 §5: the VNI is 24 bits. */
#define VNI_MAX 0xffffffu

void
topology_hosts_set_local(const char *host_id, rte_be32_t underlay_ip)
{
	snprintf(local_host_id, sizeof(local_host_id), "%s", host_id != NULL ? host_id : "");
	local_underlay_ip = underlay_ip;
}

void
topology_overlay_free(struct topology *t)
{
	uint32_t i;

	for (i = 0; i < t->overlay.n_zones; i++)
		free(t->overlay.zones[i].members);
	free(t->overlay.zones);
	free(t->overlay.hosts);
	free(t->overlay.vteps);
}

static int
find_host(const struct topology *t, const char *id)
{
	uint32_t i;

	for (i = 0; i < t->overlay.n_hosts; i++)
		if (strcmp(t->overlay.hosts[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int
load_host(struct load_state *ls, const json_t *jh, const char *path, struct topo_host *h)
{
	static const char *const fields[] = {"id", "name", NULL};
	struct json_ctx *ctx = ls->ctx;
	char fpath[PATH_LEN];
	int ret;

	if (!json_is_object(jh))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jh, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jh, path, "id", NULL, true, h->id, sizeof(h->id))) != 0 ||
	    (ret = json_field_string(ctx, jh, path, "name", h->id, false, h->name,
				     sizeof(h->name))) != 0)
		return ret;
	subpath(fpath, path, ".id");
	if (find_host(ls->t, h->id) >= 0 || id_taken(ls, h->id))
		return json_field_error(ctx, fpath, "duplicate id \"%s\"", h->id);
	return 0;
}

static int
zone_type(struct json_ctx *ctx, const char *fpath, const char *s, uint8_t *type)
{
	if (strcmp(s, "vxlan") == 0)
		*type = TOPO_TZ_VXLAN;
	else if (strcmp(s, "gre") == 0)
		*type = TOPO_TZ_GRE;
	else if (strcmp(s, "vtep") == 0)
		*type = TOPO_TZ_VTEP;
	else
		return json_field_error(ctx, fpath, "\"%s\" is not a tunnel zone type (vxlan, gre, "
					"vtep)", s);
	return 0;
}

/* A unicast address a tunnel can be sent to: not 0/8, loopback, multicast or reserved. */
static bool
ipv4_is_tunnel_endpoint(rte_be32_t ip)
{
	uint8_t first = (uint8_t)(rte_be_to_cpu_32(ip) >> 24);

	return first != 0 && first != 127 && first < 224;
}

static int
load_member(struct load_state *ls, const json_t *jm, const char *path,
	    struct topo_tunnel_zone *z)
{
	static const char *const fields[] = {"host", "address", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topo_tz_member *m = &z->members[z->n_members];
	char host[TOPO_ID_LEN], fpath[PATH_LEN];
	uint32_t i;
	int ret, hi;

	if (!json_is_object(jm))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jm, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jm, path, "host", NULL, true, host, sizeof(host))) != 0 ||
	    (ret = json_field_ipv4(ctx, jm, path, "address", NULL, true, &m->ip)) != 0)
		return ret;
	subpath(fpath, path, ".host");
	hi = find_host(ls->t, host);
	if (hi < 0)
		return json_field_error(ctx, fpath, "no host with id \"%s\" in hosts[]", host);
	m->host = (uint32_t)hi;
	subpath(fpath, path, ".address");
	if (!ipv4_is_tunnel_endpoint(m->ip))
		return json_field_error(ctx, fpath, "not a unicast address a tunnel can reach");
	for (i = 0; i < z->n_members; i++) {
		if (z->members[i].host == m->host)
			return json_field_error(ctx, path, "host \"%s\" is already a member "
						"(members[%u])", host, i);
		if (z->members[i].ip == m->ip)
			return json_field_error(ctx, fpath, "address already used by members[%u]", i);
	}
	if (ls->t->overlay.local_host == m->host && local_underlay_ip != 0 &&
	    m->ip != local_underlay_ip) {
		char want[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &local_underlay_ip, want, sizeof(want));
		return json_field_error(ctx, fpath, "this is this daemon's host, whose underlay "
					"address is %s (underlay.address in the daemon config)", want);
	}
	z->n_members++;
	return 0;
}

static int
load_zone(struct load_state *ls, const json_t *jz, const char *path, struct topo_tunnel_zone *z)
{
	static const char *const fields[] = {"id", "name", "type", "members", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topo_overlay *o = &ls->t->overlay;
	char type[16], fpath[PATH_LEN], mpath[PATH_LEN];
	json_t *jmembers, *jm;
	uint32_t i, k;
	size_t j;
	int ret;

	if (!json_is_object(jz))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jz, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jz, path, "id", NULL, true, z->id, sizeof(z->id))) != 0 ||
	    (ret = json_field_string(ctx, jz, path, "name", z->id, false, z->name,
				     sizeof(z->name))) != 0 ||
	    (ret = json_field_string(ctx, jz, path, "type", NULL, true, type, sizeof(type))) != 0 ||
	    (ret = json_field_array(ctx, jz, path, "members", false, &jmembers)) != 0)
		return ret;
	subpath(fpath, path, ".type");
	if ((ret = zone_type(ctx, fpath, type, &z->type)) != 0)
		return ret;
	subpath(fpath, path, ".id");
	for (i = 0; i < z->index; i++)
		if (strcmp(o->zones[i].id, z->id) == 0)
			return json_field_error(ctx, fpath, "duplicate id \"%s\"", z->id);
	if (find_host(ls->t, z->id) >= 0 || id_taken(ls, z->id))
		return json_field_error(ctx, fpath, "duplicate id \"%s\"", z->id);
	z->members = calloc(jmembers ? json_array_size(jmembers) + 1 : 1, sizeof(*z->members));
	if (z->members == NULL)
		return json_field_error(ctx, path, "out of memory");
	if (jmembers == NULL)
		return 0;
	json_array_foreach(jmembers, j, jm) {
		subpath(mpath, path, ".members[%zu]", j);
		if ((ret = load_member(ls, jm, mpath, z)) != 0)
			return ret;
		if (z->type == TOPO_TZ_VTEP)
			continue;
		/* MidoNet: a host is in one gre or vxlan zone, so its peers have one encapsulation. */
		for (i = 0; i < z->index; i++) {
			if (o->zones[i].type == TOPO_TZ_VTEP)
				continue;
			for (k = 0; k < o->zones[i].n_members; k++)
				if (o->zones[i].members[k].host == z->members[z->n_members - 1].host)
					return json_field_error(ctx, mpath, "host \"%s\" is already in "
								"tunnel zone \"%s\" (a host is in one "
								"gre or vxlan zone)",
								o->hosts[o->zones[i].members[k].host].id,
								o->zones[i].id);
		}
	}
	return 0;
}

/* The local host's gre or vxlan zone. */
static uint32_t
local_zone(const struct topo_overlay *o)
{
	uint32_t i, k;

	for (i = 0; i < o->n_zones; i++) {
		if (o->zones[i].type == TOPO_TZ_VTEP)
			continue;
		for (k = 0; k < o->zones[i].n_members; k++)
			if (o->zones[i].members[k].host == o->local_host)
				return i;
	}
	return TOPO_NO_INDEX;
}

int
load_overlay(struct load_state *ls, const json_t *root)
{
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	struct topo_overlay *o = &t->overlay;
	json_t *jhosts, *jzones, *v;
	char path[PATH_LEN];
	size_t i;
	int ret, hi;

	o->local_host = TOPO_NO_INDEX;
	o->local_zone = TOPO_NO_INDEX;
	if ((ret = json_field_array(ctx, root, "", "hosts", false, &jhosts)) != 0 ||
	    (ret = json_field_array(ctx, root, "", "tunnel_zones", false, &jzones)) != 0)
		return ret;
	o->hosts = calloc(jhosts ? json_array_size(jhosts) + 1 : 1, sizeof(*o->hosts));
	o->zones = calloc(jzones ? json_array_size(jzones) + 1 : 1, sizeof(*o->zones));
	if (o->hosts == NULL || o->zones == NULL)
		return json_field_error(ctx, "(top level)", "out of memory");
	if (jhosts != NULL) {
		json_array_foreach(jhosts, i, v) {
			snprintf(path, sizeof(path), "hosts[%zu]", i);
			o->hosts[i].index = (uint32_t)i;
			if ((ret = load_host(ls, v, path, &o->hosts[i])) != 0)
				return ret;
			o->n_hosts++;
		}
	}
	if (o->n_hosts > 0) {
		hi = find_host(t, local_host_id);
		if (hi < 0)
			return json_field_error(ctx, "hosts", "this daemon's host \"%s\" (host_id in "
						"the daemon config) is not listed", local_host_id);
		o->local_host = (uint32_t)hi;
	}
	if (jzones != NULL) {
		if (o->n_hosts == 0 && json_array_size(jzones) > 0)
			return json_field_error(ctx, "tunnel_zones", "zones have host members: "
						"\"hosts\" must list them");
		json_array_foreach(jzones, i, v) {
			snprintf(path, sizeof(path), "tunnel_zones[%zu]", i);
			o->zones[i].index = (uint32_t)i;
			o->n_zones = (uint32_t)i + 1; /* so topology_overlay_free sees its members */
			if ((ret = load_zone(ls, v, path, &o->zones[i])) != 0)
				return ret;
		}
	}
	o->local_zone = local_zone(o);
	return 0;
}

int
load_binding_host(struct json_ctx *ctx, struct topology *t, const json_t *jb, const char *path,
		  struct topo_port *p, bool *remote)
{
	char host[TOPO_ID_LEN], fpath[PATH_LEN];
	int ret, hi;

	*remote = false;
	host[0] = '\0';
	if ((ret = json_field_string(ctx, jb, path, "host", NULL, false, host, sizeof(host))) != 0)
		return ret;
	if (host[0] == '\0')
		return 0;
	subpath(fpath, path, ".host");
	hi = find_host(t, host);
	if (hi < 0)
		return json_field_error(ctx, fpath, "no host with id \"%s\" in hosts[]", host);
	if ((uint32_t)hi == t->overlay.local_host)
		return 0;
	/* The interface is the other host's: nothing here to check it against. */
	if ((ret = json_field_string(ctx, jb, path, "interface", NULL, true, p->interface,
				     sizeof(p->interface))) != 0)
		return ret;
	p->remote = true;
	p->host = (uint32_t)hi;
	*remote = true;
	return 0;
}

static int
load_vtep_binding(struct load_state *ls, const json_t *jv, const char *path,
		  struct topo_vtep_binding *vb, uint32_t index)
{
	static const char *const fields[] = {"port", "vni", "address", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char port[TOPO_ID_LEN], fpath[PATH_LEN];
	struct topo_port *p;
	uint64_t vni;
	uint32_t i;
	int ret, pi;

	if (!json_is_object(jv))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jv, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jv, path, "port", NULL, true, port, sizeof(port))) != 0 ||
	    (ret = json_field_uint(ctx, jv, path, "vni", 1, VNI_MAX, 0, true, &vni)) != 0 ||
	    (ret = json_field_ipv4(ctx, jv, path, "address", NULL, true, &vb->ip)) != 0)
		return ret;
	subpath(fpath, path, ".port");
	pi = find_port(ls, port);
	if (pi < 0)
		return json_field_error(ctx, fpath, "no port with id \"%s\"", port);
	p = &t->ports[pi];
	if (p->device_type != TOPO_DEVICE_BRIDGE)
		return json_field_error(ctx, fpath, "\"%s\" is not a bridge port (a VTEP joins a "
					"bridge)", port);
	if (p->peer != TOPO_NO_INDEX)
		return json_field_error(ctx, fpath, "port \"%s\" is interior (linked to \"%s\")", port,
					t->ports[p->peer].id);
	if (p->interface[0] != '\0' || p->vtep)
		return json_field_error(ctx, fpath, "port \"%s\" is already bound", port);
	subpath(fpath, path, ".address");
	if (!ipv4_is_tunnel_endpoint(vb->ip))
		return json_field_error(ctx, fpath, "not a unicast address a tunnel can reach");
	vb->vni = (uint32_t)vni;
	for (i = 0; i < index; i++)
		if (t->overlay.vteps[i].vni == vb->vni && t->overlay.vteps[i].ip == vb->ip)
			return json_field_error(ctx, path, "VNI %u of this VTEP is already bound "
						"(vtep_bindings[%u])", vb->vni, i);
	vb->port = (uint32_t)pi;
	p->vtep = true;
	p->vtep_index = index;
	snprintf(p->interface, sizeof(p->interface), "vtep:%u", vb->vni);
	return 0;
}

int
load_vtep_bindings(struct load_state *ls, const json_t *root)
{
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	struct topo_overlay *o = &t->overlay;
	char path[PATH_LEN];
	json_t *jv, *v;
	size_t i;
	int ret;

	if ((ret = json_field_array(ctx, root, "", "vtep_bindings", false, &jv)) != 0)
		return ret;
	o->vteps = calloc(jv ? json_array_size(jv) + 1 : 1, sizeof(*o->vteps));
	if (o->vteps == NULL)
		return json_field_error(ctx, "vtep_bindings", "out of memory");
	if (jv != NULL) {
		json_array_foreach(jv, i, v) {
			snprintf(path, sizeof(path), "vtep_bindings[%zu]", i);
			if ((ret = load_vtep_binding(ls, v, path, &o->vteps[i], (uint32_t)i)) != 0)
				return ret;
			o->n_vteps++;
		}
	}
	/* Port keys and bridge flood keys share 16 bits of the tunnel key (topology.h). */
	if ((o->n_hosts > 0 || o->n_vteps > 0) &&
	    (t->n_ports >= TOPO_TUNNEL_KEY_FLOOD_BASE || t->n_bridges >= TOPO_TUNNEL_KEY_FLOOD_BASE))
		return json_field_error(ctx, "(top level)", "%u ports and %u bridges: an overlay "
					"names at most %u of each by tunnel key", t->n_ports,
					t->n_bridges, TOPO_TUNNEL_KEY_FLOOD_BASE - 1);
	return 0;
}
