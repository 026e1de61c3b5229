/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include "overlay.h"
#include "underlay.h"

static const struct dp_port *
underlay_dp_port(const struct kairo_dp *dp)
{
	uint16_t i;

	if (!dp->cfg.underlay.enabled)
		return NULL;
	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].in_use &&
		    strcmp(dp->ports[i].cfg->name, dp->cfg.underlay.interface) == 0)
			return &dp->ports[i];
	return NULL;
}

uint16_t
dp_underlay_port(const struct kairo_dp *dp)
{
	const struct dp_port *p = underlay_dp_port(dp);

	return p != NULL ? p->id : UINT16_MAX;
}

int
dp_underlay_setup(struct kairo_dp *dp, char *err, size_t errlen)
{
	const struct underlay_config *u = &dp->cfg.underlay;
	const struct dp_port *p = underlay_dp_port(dp);
	struct overlay_config oc;
	struct tunnel_state *ts;
	uint16_t i;
	int ret;

	if (!u->enabled)
		return 0;
	if (p == NULL) {
		snprintf(err, errlen, "%s: underlay.interface: \"%s\" was not opened", dp->cfg.file,
			 u->interface);
		return -ENODEV;
	}
	memset(&oc, 0, sizeof(oc));
	oc.ip = u->ip;
	oc.prefix_len = u->prefix_len;
	oc.gateway = u->gateway;
	oc.mtu = u->mtu;
	oc.n_routes = u->n_routes;
	for (i = 0; i < u->n_routes; i++)
		oc.routes[i] = (struct overlay_route){.dst = u->routes[i].dst, .len = u->routes[i].len,
						      .gateway = u->routes[i].gateway};
	for (i = 0; i < u->n_neighbours && i < OVERLAY_STATIC_NEIGH_MAX; i++) {
		oc.static_ip[i] = u->neighbours[i].ip;
		memcpy(oc.static_mac[i].addr_bytes, u->neighbours[i].mac, RTE_ETHER_ADDR_LEN);
	}
	oc.n_static = i;
	oc.uplink = p->id;
	oc.udp_port = dp->cfg.vxlan_port;
	if ((ret = rte_eth_macaddr_get(p->id, &oc.uplink_mac)) != 0) {
		snprintf(err, errlen, "underlay port \"%s\": no MAC address: %s", u->interface,
			 rte_strerror(-ret));
		return ret;
	}
	ts = tunnel_state_create(flow_cache_qsbr(dp->cache), (int)rte_socket_id());
	if (ts == NULL) {
		snprintf(err, errlen, "cannot allocate the tunnel tables: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	dp->overlay = overlay_create(&oc, ts);
	if (dp->overlay == NULL) {
		tunnel_state_destroy(ts);
		snprintf(err, errlen, "cannot allocate the overlay state");
		return -ENOMEM;
	}
	kairo_tunnel = ts;
	/* The simulation thread, created next, fills in the first snapshot's peers. */
	return 0;
}

void
dp_underlay_teardown(struct kairo_dp *dp)
{
	struct overlay *ov = dp->overlay;

	if (ov == NULL)
		return;
	kairo_tunnel = NULL;
	tunnel_state_destroy(ov->ts);
	overlay_destroy(ov);
	dp->overlay = NULL;
}
