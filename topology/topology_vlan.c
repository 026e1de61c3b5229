/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bridge port's VLANs in the topology file (config/README.md, "VLANs"):
 *
 *   { "id": "vm1", "vlan": 10 }                      access port: untagged, VLAN 10
 *   { "id": "up1", "trunk_vlans": [10, 20] }         trunk: tagged, VLANs 10 and 20
 *   { "id": "up2", "trunk_vlans": "all" }            trunk: tagged, any VLAN 1-4094
 *
 * A port is one or the other; ids are 1-4094 (0 is "no VLAN", 4095 reserved,
 * IEEE 802.1Q 9.6), each listed once.  A bridge with any such port is
 * VLAN-aware (topology.h, enum topo_vlan_mode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_load.h"

/* One entry of "trunk_vlans" into set; fpath names the entry. */
static int
trunk_entry(struct json_ctx *ctx, const json_t *v, const char *fpath, uint64_t *set)
{
	json_int_t id;

	if (!json_is_integer(v))
		return json_field_error(ctx, fpath, "must be a VLAN id (an integer %d-%d)",
					TOPO_VLAN_MIN, TOPO_VLAN_MAX);
	id = json_integer_value(v);
	if (id < TOPO_VLAN_MIN || id > TOPO_VLAN_MAX)
		return json_field_error(ctx, fpath, "%lld is not a VLAN id (%d-%d)", (long long)id,
					TOPO_VLAN_MIN, TOPO_VLAN_MAX);
	if (set[id / 64] >> (id % 64) & 1)
		return json_field_error(ctx, fpath, "VLAN %lld is listed twice", (long long)id);
	set[id / 64] |= 1ull << (id % 64);
	return 0;
}

int
load_port_vlan(struct load_state *ls, const json_t *jp, const char *path, struct topo_port *p)
{
	struct json_ctx *ctx = ls->ctx;
	const json_t *jt = json_object_get(jp, "trunk_vlans"), *v;
	char fpath[PATH_LEN];
	uint64_t *set, vlan;
	size_t i;
	int ret;

	if ((ret = json_field_uint(ctx, jp, path, "vlan", TOPO_VLAN_MIN, TOPO_VLAN_MAX, 0, false,
				   &vlan)) != 0)
		return ret;
	subpath(fpath, path, ".trunk_vlans");
	if (vlan != 0 && jt != NULL)
		return json_field_error(ctx, fpath, "a port is an access port (\"vlan\") or a trunk "
					"(\"trunk_vlans\"), not both");
	if (vlan != 0) {
		p->vlan_mode = TOPO_VLAN_ACCESS;
		p->vlan = (uint16_t)vlan;
		return 0;
	}
	if (jt == NULL)
		return 0;
	if (json_is_string(jt) && strcmp(json_string_value(jt), "all") == 0) {
		p->vlan_mode = TOPO_VLAN_TRUNK;
		return 0;
	}
	if (!json_is_array(jt) || json_array_size(jt) == 0)
		return json_field_error(ctx, fpath, "must be \"all\" or a list of VLAN ids (%d-%d)",
					TOPO_VLAN_MIN, TOPO_VLAN_MAX);
	set = calloc(TOPO_VLAN_IDS / 64, sizeof(*set));
	if (set == NULL)
		return json_field_error(ctx, fpath, "out of memory");
	json_array_foreach(jt, i, v) {
		char epath[PATH_LEN];

		subpath(epath, fpath, "[%zu]", i);
		if ((ret = trunk_entry(ctx, v, epath, set)) != 0) {
			free(set);
			return ret;
		}
	}
	p->vlan_mode = TOPO_VLAN_TRUNK;
	p->trunk_vlans = set;
	return 0;
}
