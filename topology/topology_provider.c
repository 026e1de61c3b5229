/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provider networks (seed 003 §7, MIDONET-MODEL §4): a bridge that reaches a
 * physical network of this host, untagged (flat) or with exactly one tag
 * (vlan), as Neutron's --provider:network_type / physical_network /
 * segmentation_id do:
 *
 *   { "id": "public", "provider": { "type": "vlan", "physical_network": "physnet1",
 *                                   "segmentation_id": 100 }, "ports": [ ... ] }
 *
 * The daemon's configuration maps physical network names to its uplink
 * ports ("physical_networks": {"physnet1": "up0"}, like Neutron's
 * bridge_mappings = physnet1:br-ex), process-wide as the host id is
 * (topology_json.h, topology_physnets_set_local).
 *
 * The bridge gets an implicit port, "<bridge id>/provider", bound to that
 * uplink: a plain port for a flat network, a TOPO_VLAN_PROVIDER port for a
 * vlan one (the bridge's VLAN 0, tagged segmentation_id on the wire).  The
 * bridge is VLAN-aware, so a tag the network does not carry is dropped as
 * vlan_not_allowed.  Several provider bridges share one uplink: the
 * simulation picks the bridge by the frame's outer tag (sim/walk.c); the
 * uplink's interface is the first one's binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_load.h"

#define PHYSNETS_MAX 16

static struct {
	char name[TOPO_NAME_LEN];
	char iface[TOPO_NAME_LEN];
} physnets[PHYSNETS_MAX];
static unsigned int n_physnets;

int
topology_physnets_set_local(const char *const *names, const char *const *ifaces, unsigned int n)
{
	unsigned int i;

	if (n > PHYSNETS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(physnets[i].name, sizeof(physnets[i].name), "%s", names[i]);
		snprintf(physnets[i].iface, sizeof(physnets[i].iface), "%s", ifaces[i]);
	}
	n_physnets = n;
	return 0;
}

static const char *
physnet_iface(const char *name)
{
	unsigned int i;

	for (i = 0; i < n_physnets; i++)
		if (strcmp(physnets[i].name, name) == 0)
			return physnets[i].iface;
	return NULL;
}

/* Another provider bridge already on this physnet with this segment (0: flat)? */
static const struct topo_port *
segment_taken(const struct topology *t, const char *iface, uint16_t seg)
{
	uint32_t i;

	for (i = 0; i < t->n_ports; i++) {
		const struct topo_port *p = &t->ports[i];

		if (p->provider && strcmp(p->interface, iface) == 0 &&
		    (p->vlan_mode == TOPO_VLAN_PROVIDER ? p->vlan : 0) == seg)
			return p;
	}
	return NULL;
}

int
load_bridge_provider(struct load_state *ls, const json_t *jb, const char *path,
		     struct topo_bridge *b, const struct local_interface *ifs, unsigned int n_ifs)
{
	static const char *const fields[] = {"type", "physical_network", "segmentation_id", NULL};
	const json_t *jp = json_object_get(jb, "provider");
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char ppath[PATH_LEN], fpath[PATH_LEN], type[8], net[TOPO_NAME_LEN], id[TOPO_ID_LEN];
	const struct topo_port *other;
	const char *iface;
	struct topo_port *p;
	uint32_t *ports, i;
	uint64_t seg;
	int ret;

	if (jp == NULL)
		return 0;
	subpath(ppath, path, ".provider");
	if (!json_is_object(jp))
		return json_field_error(ctx, ppath, "must be an object");
	if ((ret = json_field_only(ctx, jp, ppath, fields)) != 0 ||
	    (ret = json_field_string(ctx, jp, ppath, "type", NULL, true, type, sizeof(type))) != 0 ||
	    (ret = json_field_string(ctx, jp, ppath, "physical_network", NULL, true, net,
				     sizeof(net))) != 0)
		return ret;
	subpath(fpath, ppath, ".type");
	if (strcmp(type, "flat") != 0 && strcmp(type, "vlan") != 0)
		return json_field_error(ctx, fpath, "\"%s\": flat or vlan", type);
	if (type[0] == 'f') {
		subpath(fpath, ppath, ".segmentation_id");
		if (json_object_get(jp, "segmentation_id") != NULL)
			return json_field_error(ctx, fpath, "a flat network has none (untagged)");
		seg = 0;
	} else if ((ret = json_field_uint(ctx, jp, ppath, "segmentation_id", TOPO_VLAN_MIN,
					  TOPO_VLAN_MAX, 0, true, &seg)) != 0) {
		return ret;
	}
	subpath(fpath, ppath, ".physical_network");
	iface = physnet_iface(net);
	if (iface == NULL)
		return json_field_error(ctx, fpath, "\"%s\": no port of this host maps it "
					"(physical_networks in the daemon's configuration)", net);
	if ((other = segment_taken(t, iface, (uint16_t)seg)) != NULL)
		return json_field_error(ctx, ppath, "%s %s is already bridge %s's", net,
					seg ? "this segmentation_id" : "flat",
					t->bridges[other->device].id);
	snprintf(id, sizeof(id), "%.*s/provider", TOPO_ID_LEN - 10, b->id);
	if (id_taken(ls, id))
		return json_field_error(ctx, ppath, "its port's id \"%s\" is taken", id);
	if ((ret = load_port_slot(ls, ppath, &p)) != 0)
		return ret;
	ports = realloc(b->ports, (b->n_ports + 1) * sizeof(*ports));
	if (ports == NULL)
		return json_field_error(ctx, ppath, "out of memory");
	b->ports = ports;
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->index = t->n_ports;
	p->device_type = TOPO_DEVICE_BRIDGE;
	p->device = b->index;
	p->admin_up = true;
	p->peer = TOPO_NO_INDEX;
	p->inbound_filter = TOPO_NO_INDEX;
	p->outbound_filter = TOPO_NO_INDEX;
	p->dpdk_port = TOPO_NO_DPDK_PORT;
	p->provider = true;
	p->vlan_mode = seg ? TOPO_VLAN_PROVIDER : TOPO_VLAN_NONE;
	p->vlan = (uint16_t)seg;
	snprintf(p->interface, sizeof(p->interface), "%s", iface);
	for (i = 0; i < n_ifs; i++)
		if (strcmp(ifs[i].name, iface) == 0 && ifs[i].dpdk_port < RTE_MAX_ETHPORTS) {
			p->dpdk_port = ifs[i].dpdk_port;
			p->link_down = ifs[i].link_down;
			/* The first provider port stands for the uplink; walk.c picks by tag. */
			if (t->vport_of_dpdk[p->dpdk_port] == TOPO_NO_INDEX)
				t->vport_of_dpdk[p->dpdk_port] = p->index;
		}
	b->ports[b->n_ports++] = p->index;
	b->vlan_aware = true;
	t->n_ports++;
	return load_ids_add(ls, LOAD_ID_PORT, p->index, ppath);
}

const struct topo_port *
topology_provider_port(const struct topology *t, const struct topo_port *in, uint16_t outer_tci)
{
	uint16_t vid = outer_tci & 0xfff;
	uint32_t i;

	for (i = 0; i < t->n_ports; i++) {
		const struct topo_port *p = &t->ports[i];

		if (!p->provider || p->dpdk_port != in->dpdk_port)
			continue;
		if (p->vlan_mode == TOPO_VLAN_PROVIDER ? outer_tci != 0 && vid == p->vlan
						       : outer_tci == 0)
			return p;
	}
	return NULL;
}
