/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "underlay_config.h"

/* The outer IPv4 header, UDP and VXLAN need room: below this nothing useful fits. */
#define UNDERLAY_MTU_MIN 576
#define UNDERLAY_MTU_MAX 9600

static bool
in_subnet(uint32_t ip, uint32_t net, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (rte_be_to_cpu_32(ip) & mask) == (rte_be_to_cpu_32(net) & mask);
}

static int
load_route(struct json_ctx *ctx, const json_t *jr, const char *path,
	   const struct underlay_config *u, struct underlay_route *r)
{
	static const char *const fields[] = {"dst", "gateway", NULL};
	char fpath[96];
	int ret;

	if (!json_is_object(jr))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jr, path, fields)) != 0 ||
	    (ret = json_field_cidr(ctx, jr, path, "dst", NULL, true, &r->dst, &r->len)) != 0 ||
	    (ret = json_field_ipv4(ctx, jr, path, "gateway", NULL, true, &r->gateway)) != 0)
		return ret;
	snprintf(fpath, sizeof(fpath), "%s.gateway", path);
	if (!in_subnet(r->gateway, u->ip, u->prefix_len))
		return json_field_error(ctx, fpath, "not inside the underlay address's subnet");
	return 0;
}

int
underlay_config_load(struct json_ctx *ctx, const json_t *root, const char *const *port_names,
		     const bool *uplink, unsigned int n_ports, struct underlay_config *out)
{
	static const char *const fields[] = {"interface", "address", "gateway", "mtu", "routes",
					     "neighbours", NULL};
	static const char *const nfields[] = {"address", "mac", NULL};
	const json_t *u = json_object_get(root, "underlay");
	json_t *jroutes, *jr, *jneigh;
	char path[64];
	unsigned int i;
	uint64_t mtu;
	size_t k;
	int ret;

	memset(out, 0, sizeof(*out));
	if (u == NULL)
		return 0;
	if (!json_is_object(u))
		return json_field_error(ctx, "underlay", "must be an object");
	if ((ret = json_field_only(ctx, u, "underlay", fields)) != 0 ||
	    (ret = json_field_string(ctx, u, "underlay", "interface", NULL, true, out->interface,
				     sizeof(out->interface))) != 0 ||
	    (ret = json_field_uint(ctx, u, "underlay", "mtu", UNDERLAY_MTU_MIN, UNDERLAY_MTU_MAX,
				   UNDERLAY_MTU_DEFAULT, false, &mtu)) != 0 ||
	    (ret = json_field_ipv4(ctx, u, "underlay", "gateway", NULL, false, &out->gateway)) != 0 ||
	    (ret = json_field_array(ctx, u, "underlay", "routes", false, &jroutes)) != 0 ||
	    (ret = json_field_array(ctx, u, "underlay", "neighbours", false, &jneigh)) != 0)
		return ret;
	out->mtu = (uint16_t)mtu;
	/* "address" is this host's address with its subnet's length, "192.168.50.1/24". */
	{
		const char *s = json_string_value(json_object_get(u, "address"));
		char addr[INET_ADDRSTRLEN];
		uint32_t net;

		if ((ret = json_field_cidr(ctx, u, "underlay", "address", NULL, true, &net,
					   &out->prefix_len)) != 0)
			return ret;
		if (s == NULL) /* json_field_cidr read a string: never, but say so */
			return -EINVAL;
		snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(s, "/"), s);
		if (inet_pton(AF_INET, addr, &out->ip) != 1 || strchr(s, '/') == NULL ||
		    out->prefix_len == 0 || out->prefix_len > 30)
			return json_field_error(ctx, "underlay.address", "\"%s\" must be this host's "
						"address with a prefix length of 1 to 30, "
						"\"192.168.50.1/24\"", s);
	}
	if (out->gateway != 0 && !in_subnet(out->gateway, out->ip, out->prefix_len))
		return json_field_error(ctx, "underlay.gateway", "not inside the underlay address's "
					"subnet");
	for (i = 0; i < n_ports; i++)
		if (strcmp(port_names[i], out->interface) == 0)
			break;
	if (i == n_ports)
		return json_field_error(ctx, "underlay.interface", "no port named \"%s\" in ports[]",
					out->interface);
	if (!uplink[i])
		return json_field_error(ctx, "underlay.interface", "ports[%u] (\"%s\") must have role "
					"\"uplink\"", i, out->interface);
	if (jroutes != NULL) {
		if (json_array_size(jroutes) > UNDERLAY_ROUTES_MAX)
			return json_field_error(ctx, "underlay.routes", "at most %d routes",
						UNDERLAY_ROUTES_MAX);
		json_array_foreach(jroutes, k, jr) {
			snprintf(path, sizeof(path), "underlay.routes[%zu]", k);
			if ((ret = load_route(ctx, jr, path, out, &out->routes[k])) != 0)
				return ret;
			out->n_routes++;
		}
	}
	if (jneigh != NULL) {
		if (json_array_size(jneigh) > UNDERLAY_NEIGHBOURS_MAX)
			return json_field_error(ctx, "underlay.neighbours", "at most %d neighbours",
						UNDERLAY_NEIGHBOURS_MAX);
		json_array_foreach(jneigh, k, jr) {
			struct underlay_neighbour *nb = &out->neighbours[k];
			bool has_mac;

			snprintf(path, sizeof(path), "underlay.neighbours[%zu]", k);
			if (!json_is_object(jr))
				return json_field_error(ctx, path, "must be an object");
			if ((ret = json_field_only(ctx, jr, path, nfields)) != 0 ||
			    (ret = json_field_ipv4(ctx, jr, path, "address", NULL, true,
						   &nb->ip)) != 0 ||
			    (ret = json_field_mac(ctx, jr, path, "mac", nb->mac, &has_mac)) != 0)
				return ret;
			if (!has_mac)
				return json_field_error(ctx, path, "missing \"mac\"");
			if (!in_subnet(nb->ip, out->ip, out->prefix_len))
				return json_field_error(ctx, path, "not inside the underlay address's "
							"subnet");
			out->n_neighbours++;
		}
	}
	out->enabled = true;
	return 0;
}
