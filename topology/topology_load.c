/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The topology loader: one JSON document (format: config/README.md) made
 * into a snapshot, all of it or nothing.
 *
 *   {
 *     "bridges": [ { "id": "b1", "name": "demo", "admin_state_up": true, "mac_aging_s": 300,
 *                    "ports": [ { "id": "b1-p1" }, { "id": "b1-p2", "peer": "r1-p1" } ] } ],
 *     "routers": [ { "id": "r1",
 *                    "ports": [ { "id": "r1-p1", "address": "10.0.1.1",
 *                                 "network": "10.0.1.0/24", "mac": "02:00:00:00:01:01",
 *                                 "address6": "2001:db8:1::1",
 *                                 "network6": "2001:db8:1::/64" } ],
 *                    "routes": [ { "dst": "0.0.0.0/0", "gateway": "10.0.1.254",
 *                                  "port": "r1-p1" } ] } ],
 *     "bindings": [ { "port": "b1-p1", "interface": "vm1" } ]
 *   }
 *
 * A binding ties an exterior port to a local interface (a port in the daemon
 * config), as `host host0 add binding port ... interface ...` does in
 * midonet-cli; "peer" links two interior ports, as `port ... set peer ...`.
 * Every router port's network (and IPv6 network) becomes a connected route.
 * A route is IPv6 when its "dst" is; its "src" and "gateway" must then be too.
 * Ports, bridges and routers may name rule chains as "inbound_filter" and
 * "outbound_filter"; "chains" and "port_groups" are topology/topology_chains.c's.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_hosts.h"
#include "topology_load.h"

/* "bridges[0]" + ".ports[2]": a field's path for messages (vsnprintf: cut at PATH_LEN, never overflow). */
void
subpath(char *out, const char *base, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(out, PATH_LEN, "%s", base);
	va_list ap;

	if (n >= PATH_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(out + n, PATH_LEN - n, fmt, ap);
	va_end(ap);
}

/* "2001:db8::1" (optional: *present says whether it was there). */
static int
field_ipv6(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
	   uint8_t out[IPV6_ADDR_LEN], bool *present)
{
	char str[CIDR6_STR_LEN], fpath[PATH_LEN];
	int ret;

	*present = json_object_get(obj, key) != NULL;
	if (!*present)
		return 0;
	if ((ret = json_field_string(ctx, obj, path, key, NULL, true, str, sizeof(str))) != 0)
		return ret;
	subpath(fpath, path, ".%s", key);
	if (inet_pton(AF_INET6, str, out) != 1)
		return json_field_error(ctx, fpath, "\"%s\" is not an IPv6 address", str);
	return 0;
}

/* Clear the bits of addr past len. */
static void
ipv6_mask(uint8_t addr[IPV6_ADDR_LEN], uint8_t len)
{
	unsigned int i;

	for (i = 0; i < IPV6_ADDR_LEN; i++) {
		int keep = (int)len - (int)i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

/* "2001:db8::/32" from a string already read; "2001:db8::1" means /128.  Masked. */
int
parse_cidr6(struct json_ctx *ctx, const char *fpath, const char *str,
	    uint8_t out[IPV6_ADDR_LEN], uint8_t *len)
{
	char addr[CIDR6_STR_LEN];
	const char *slash = strchr(str, '/');
	unsigned long l = 128;
	char *end;

	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - str) : (int)strlen(str), str);
	if (slash != NULL) {
		l = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || l > 128)
			return json_field_error(ctx, fpath, "\"%s\": prefix length must be 0 to 128",
						str);
	}
	if (inet_pton(AF_INET6, addr, out) != 1)
		return json_field_error(ctx, fpath, "\"%s\" is not an IPv6 CIDR", str);
	*len = (uint8_t)l;
	ipv6_mask(out, *len);
	return 0;
}

/* fe80::/64 with the interface id from mac: EUI-64, universal/local bit flipped (RFC 4291 2.5.1). */
static void
ipv6_link_local(uint8_t out[IPV6_ADDR_LEN], const struct rte_ether_addr *mac)
{
	const uint8_t *m = mac->addr_bytes;

	memset(out, 0, IPV6_ADDR_LEN);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = m[0] ^ 0x02;
	out[9] = m[1];
	out[10] = m[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = m[3];
	out[14] = m[4];
	out[15] = m[5];
}

/* Ports the snapshot's array first has room for; it doubles when full. */
#define LOAD_PORTS_MIN 64

/* Router port MACs not given in the file: locally administered, from the port index. */
#define ROUTER_MAC_OUI0 0x02
#define ROUTER_MAC_OUI1 0x6b

void
topology_free(struct topology *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_bridges; i++)
		free(t->bridges[i].ports);
	for (i = 0; i < t->n_ports; i++)
		free(t->ports[i].trunk_vlans);
	for (i = 0; i < t->n_routers; i++) {
		free(t->routers[i].ports);
		free(t->routers[i].routes);
	}
	topology_chains_free(t);
	topology_overlay_free(t);
	free(t->bridges);
	free(t->routers);
	free(t->ports);
	free(t);
}

int
load_port_slot(struct load_state *ls, const char *path, struct topo_port **out)
{
	struct topology *t = ls->t;
	struct topo_port *np;

	/* Doubled, not grown by one: a copy per port made large loads quadratic again. */
	if (t->n_ports == ls->ports_cap) {
		uint32_t cap = ls->ports_cap == 0 ? LOAD_PORTS_MIN : 2 * ls->ports_cap;

		np = realloc(t->ports, cap * sizeof(*t->ports));
		if (np == NULL)
			return json_field_error(ls->ctx, path, "out of memory");
		t->ports = np;
		ls->ports_cap = cap;
	}
	*out = &t->ports[t->n_ports];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static int
load_port(struct load_state *ls, const json_t *jp, const char *path, uint8_t device_type,
	  uint32_t device, uint32_t *index)
{
	static const char *const bridge_port_fields[] = {"id", "admin_state_up", "peer",
							 "inbound_filter", "outbound_filter",
							 "vlan", "trunk_vlans", NULL};
	static const char *const router_port_fields[] = {"id", "admin_state_up", "peer", "address",
							 "network", "mac", "mtu", "address6",
							 "network6", "inbound_filter",
							 "outbound_filter", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	struct topo_port *p = NULL;
	char fpath[PATH_LEN], peer[TOPO_ID_LEN], net6[CIDR6_STR_LEN];
	bool has_mac, has_net6;
	uint64_t mtu;
	int ret;

	if (!json_is_object(jp))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = load_port_slot(ls, path, &p)) != 0)
		return ret;
	peer[0] = '\0';
	ret = json_field_only(ctx, jp, path, device_type == TOPO_DEVICE_ROUTER ?
				  router_port_fields : bridge_port_fields);
	if (ret == 0)
		ret = json_field_string(ctx, jp, path, "id", NULL, true, p->id, sizeof(p->id));
	if (ret == 0)
		ret = json_field_bool(ctx, jp, path, "admin_state_up", true, &p->admin_up);
	if (ret == 0)
		ret = json_field_string(ctx, jp, path, "peer", NULL, false, peer, sizeof(peer));
	if (ret != 0)
		return ret;
	subpath(fpath, path, ".id");
	if (id_taken(ls, p->id))
		return json_field_error(ctx, fpath, "duplicate id \"%s\"", p->id);
	p->index = t->n_ports;
	p->device_type = device_type;
	p->device = device;
	p->dpdk_port = TOPO_NO_DPDK_PORT;
	p->peer = TOPO_NO_INDEX;
	if ((ret = load_filters(ls, jp, path, &p->inbound_filter, &p->outbound_filter)) != 0)
		return ret;
	if (device_type == TOPO_DEVICE_ROUTER) {
		if ((ret = json_field_ipv4(ctx, jp, path, "address", NULL, true, &p->ip)) != 0 ||
		    (ret = json_field_cidr(ctx, jp, path, "network", NULL, true, &p->net,
					   &p->prefix_len)) != 0 ||
		    (ret = json_field_mac(ctx, jp, path, "mac", p->mac.addr_bytes, &has_mac)) != 0 ||
		    (ret = json_field_uint(ctx, jp, path, "mtu", 68, 9600, ROUTER_PORT_MTU_DEFAULT,
					   false, &mtu)) != 0)
			return ret;
		if (!ipv4_in_prefix(p->ip, p->net, p->prefix_len)) {
			subpath(fpath, path, ".address");
			return json_field_error(ctx, fpath, "not inside the port's network");
		}
		if (!has_mac) {
			uint8_t m[6] = {ROUTER_MAC_OUI0, ROUTER_MAC_OUI1, 0, (uint8_t)(p->index >> 16),
					(uint8_t)(p->index >> 8), (uint8_t)p->index};

			memcpy(p->mac.addr_bytes, m, sizeof(m));
		}
		p->mtu = (uint16_t)mtu;
		ipv6_link_local(p->ll6, &p->mac);
		has_net6 = json_object_get(jp, "network6") != NULL;
		if ((ret = field_ipv6(ctx, jp, path, "address6", p->ip6, &p->has_ip6)) != 0)
			return ret;
		if (p->has_ip6 != has_net6) {
			subpath(fpath, path, p->has_ip6 ? ".network6" : ".address6");
			return json_field_error(ctx, fpath, "missing (\"address6\" and \"network6\" "
						"go together)");
		}
		if (p->has_ip6) {
			subpath(fpath, path, ".network6");
			if ((ret = json_field_string(ctx, jp, path, "network6", NULL, true, net6,
						     sizeof(net6))) != 0 ||
			    (ret = parse_cidr6(ctx, fpath, net6, p->net6, &p->prefix6_len)) != 0)
				return ret;
			subpath(fpath, path, ".address6");
			if (!ipv6_in_prefix(p->ip6, p->net6, p->prefix6_len))
				return json_field_error(ctx, fpath, "not inside the port's network6");
			if (ipv6_is_multicast(p->ip6) || ipv6_is_link_local(p->ip6) ||
			    ipv6_is_zero(p->ip6))
				return json_field_error(ctx, fpath, "must be a global unicast address "
							"(the link-local one comes from the MAC)");
		}
	}
	if (peer[0] != '\0') {
		struct pending_peer *pp = realloc(ls->peers, (ls->n_peers + 1) * sizeof(*pp));

		if (pp == NULL)
			return json_field_error(ctx, path, "out of memory");
		ls->peers = pp;
		pp[ls->n_peers].port = p->index;
		snprintf(pp[ls->n_peers].peer, sizeof(pp[ls->n_peers].peer), "%s", peer);
		subpath(pp[ls->n_peers].path, path, ".peer");
		ls->n_peers++;
	}
	/* Last before it counts: nothing after it can fail and leak a trunk's set. */
	if (device_type == TOPO_DEVICE_BRIDGE && (ret = load_port_vlan(ls, jp, path, p)) != 0)
		return ret;
	*index = p->index;
	t->n_ports++;
	subpath(fpath, path, ".id");
	return load_ids_add(ls, LOAD_ID_PORT, p->index, fpath);
}

static int
load_ports(struct load_state *ls, const json_t *jports, const char *path, uint8_t device_type,
	   uint32_t device, uint32_t **ports, uint32_t *n_ports)
{
	char ppath[PATH_LEN];
	json_t *jp;
	size_t i;
	int ret;

	if (jports == NULL)
		return 0;
	*ports = calloc(json_array_size(jports) + 1, sizeof(uint32_t));
	if (*ports == NULL)
		return json_field_error(ls->ctx, path, "out of memory");
	json_array_foreach(jports, i, jp) {
		subpath(ppath, path, ".ports[%zu]", i);
		if ((ret = load_port(ls, jp, ppath, device_type, device, &(*ports)[*n_ports])) != 0)
			return ret;
		(*n_ports)++;
	}
	return 0;
}

static int
load_bridge(struct load_state *ls, const json_t *jb, uint32_t bi,
	    const struct local_interface *ifs, unsigned int n_ifs)
{
	static const char *const fields[] = {"id", "name", "admin_state_up", "mac_aging_s", "ports",
					     "inbound_filter", "outbound_filter", "provider", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	struct topo_bridge *b = &t->bridges[bi];
	char path[PATH_LEN], fpath[PATH_LEN];
	json_t *jports;
	uint64_t aging;
	uint32_t i;
	int ret;

	snprintf(path, sizeof(path), "bridges[%u]", bi);
	if (!json_is_object(jb))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jb, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "id", NULL, true, b->id, sizeof(b->id))) != 0 ||
	    (ret = json_field_string(ctx, jb, path, "name", b->id, false, b->name,
				     sizeof(b->name))) != 0 ||
	    (ret = json_field_bool(ctx, jb, path, "admin_state_up", true, &b->admin_up)) != 0 ||
	    (ret = json_field_uint(ctx, jb, path, "mac_aging_s", 1, 86400,
				   BRIDGE_MAC_AGING_DEFAULT_S, false, &aging)) != 0 ||
	    (ret = json_field_array(ctx, jb, path, "ports", false, &jports)) != 0 ||
	    (ret = load_filters(ls, jb, path, &b->inbound_filter, &b->outbound_filter)) != 0)
		return ret;
	subpath(fpath, path, ".id");
	if (id_taken(ls, b->id))
		return json_field_error(ctx, fpath, "duplicate id \"%s\"", b->id);
	b->index = bi;
	b->mac_aging_s = (uint32_t)aging;
	t->n_bridges = bi + 1;
	if ((ret = load_ids_add(ls, LOAD_ID_BRIDGE, bi, fpath)) != 0 ||
	    (ret = load_ports(ls, jports, path, TOPO_DEVICE_BRIDGE, bi, &b->ports, &b->n_ports)) != 0)
		return ret;
	for (i = 0; i < b->n_ports; i++)
		b->vlan_aware |= t->ports[b->ports[i]].vlan_mode != TOPO_VLAN_NONE;
	return load_bridge_provider(ls, jb, path, b, ifs, n_ifs);
}

static int
load_route(struct load_state *ls, const json_t *jr, const char *path, struct topo_router *r,
	   struct topo_route *rt)
{
	static const char *const fields[] = {"id", "type", "src", "dst", "gateway", "port",
					     "weight", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char type[16], port[TOPO_ID_LEN], fpath[PATH_LEN], dst[CIDR6_STR_LEN], src[CIDR6_STR_LEN];
	bool has_gw6;
	uint64_t weight;
	int ret, pi;

	if (!json_is_object(jr))
		return json_field_error(ctx, path, "must be an object");
	memset(rt, 0, sizeof(*rt));
	port[0] = '\0';
	if ((ret = json_field_only(ctx, jr, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "id", "", false, rt->id, sizeof(rt->id))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "type", "normal", false, type,
				     sizeof(type))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "dst", NULL, true, dst, sizeof(dst))) != 0)
		return ret;
	/* The destination says the family; the source and the gateway must agree with it. */
	rt->ipv6 = strchr(dst, ':') != NULL;
	if ((ret = json_field_string(ctx, jr, path, "src", rt->ipv6 ? "::/0" : "0.0.0.0/0", false,
				     src, sizeof(src))) != 0)
		return ret;
	subpath(fpath, path, ".src");
	if ((strchr(src, ':') != NULL) != rt->ipv6)
		return json_field_error(ctx, fpath, "\"%s\" is not an %s CIDR like \"dst\"", src,
					rt->ipv6 ? "IPv6" : "IPv4");
	if (rt->ipv6) {
		if ((ret = parse_cidr6(ctx, fpath, src, rt->src6, &rt->src_len)) != 0)
			return ret;
		subpath(fpath, path, ".dst");
		if ((ret = parse_cidr6(ctx, fpath, dst, rt->dst6, &rt->dst_len)) != 0 ||
		    (ret = field_ipv6(ctx, jr, path, "gateway", rt->gateway6, &has_gw6)) != 0)
			return ret;
		subpath(fpath, path, ".gateway");
		if (has_gw6 && (ipv6_is_multicast(rt->gateway6) || ipv6_is_zero(rt->gateway6)))
			return json_field_error(ctx, fpath, "must be a unicast address");
	} else if ((ret = json_field_cidr(ctx, jr, path, "src", "0.0.0.0/0", false, &rt->src,
					  &rt->src_len)) != 0 ||
		   (ret = json_field_cidr(ctx, jr, path, "dst", NULL, true, &rt->dst,
					  &rt->dst_len)) != 0 ||
		   (ret = json_field_ipv4(ctx, jr, path, "gateway", NULL, false,
					  &rt->gateway)) != 0) {
		return ret;
	}
	if ((ret = json_field_string(ctx, jr, path, "port", NULL, false, port, sizeof(port))) != 0 ||
	    (ret = json_field_uint(ctx, jr, path, "weight", 0, UINT32_MAX, ROUTE_WEIGHT_DEFAULT,
				   false, &weight)) != 0)
		return ret;
	rt->weight = (uint32_t)weight;
	subpath(fpath, path, ".type");
	if (strcmp(type, "normal") == 0)
		rt->type = ROUTE_NORMAL;
	else if (strcmp(type, "blackhole") == 0)
		rt->type = ROUTE_BLACKHOLE;
	else if (strcmp(type, "reject") == 0)
		rt->type = ROUTE_REJECT;
	else
		return json_field_error(ctx, fpath,
					"\"%s\" is not a route type (normal, blackhole, reject)", type);
	rt->port = TOPO_NO_INDEX;
	subpath(fpath, path, ".port");
	if (rt->type == ROUTE_NORMAL && port[0] == '\0')
		return json_field_error(ctx, fpath, "missing (a normal route needs an egress port)");
	if (port[0] != '\0') {
		pi = find_port(ls, port);
		if (pi < 0 || t->ports[pi].device_type != TOPO_DEVICE_ROUTER ||
		    t->ports[pi].device != r->index)
			return json_field_error(ctx, fpath, "\"%s\" is not a port of router \"%s\"",
						port, r->id);
		rt->port = (uint32_t)pi;
	}
	return 0;
}

/* Longest destination prefix first, then highest weight: the order route_lookup scans in. */
static int
route_cmp(const void *a, const void *b)
{
	const struct topo_route *x = a, *y = b;

	if (x->dst_len != y->dst_len)
		return y->dst_len - x->dst_len;
	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return x->src_len != y->src_len ? y->src_len - x->src_len : 0;
}

static int
load_router(struct load_state *ls, const json_t *jr, uint32_t ri)
{
	static const char *const fields[] = {"id", "name", "admin_state_up", "ports", "routes",
					     "inbound_filter", "outbound_filter", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	struct topo_router *r = &t->routers[ri];
	char path[PATH_LEN], fpath[PATH_LEN];
	json_t *jports, *jroutes, *v;
	uint32_t i, n_cfg;
	size_t k;
	int ret;

	snprintf(path, sizeof(path), "routers[%u]", ri);
	if (!json_is_object(jr))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jr, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "id", NULL, true, r->id, sizeof(r->id))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "name", r->id, false, r->name,
				     sizeof(r->name))) != 0 ||
	    (ret = json_field_bool(ctx, jr, path, "admin_state_up", true, &r->admin_up)) != 0 ||
	    (ret = json_field_array(ctx, jr, path, "ports", false, &jports)) != 0 ||
	    (ret = json_field_array(ctx, jr, path, "routes", false, &jroutes)) != 0 ||
	    (ret = load_filters(ls, jr, path, &r->inbound_filter, &r->outbound_filter)) != 0)
		return ret;
	subpath(fpath, path, ".id");
	if (id_taken(ls, r->id))
		return json_field_error(ctx, fpath, "duplicate id \"%s\"", r->id);
	r->index = ri;
	t->n_routers = ri + 1;
	if ((ret = load_ids_add(ls, LOAD_ID_ROUTER, ri, fpath)) != 0)
		return ret;
	if ((ret = load_ports(ls, jports, path, TOPO_DEVICE_ROUTER, ri, &r->ports, &r->n_ports)) != 0)
		return ret;
	n_cfg = jroutes != NULL ? (uint32_t)json_array_size(jroutes) : 0;
	/* Room for a connected IPv4 and IPv6 route per port. */
	r->routes = calloc(n_cfg + 2 * r->n_ports + 1, sizeof(*r->routes));
	if (r->routes == NULL)
		return json_field_error(ctx, path, "out of memory");
	if (jroutes != NULL) {
		json_array_foreach(jroutes, k, v) {
			subpath(fpath, path, ".routes[%zu]", k);
			if ((ret = load_route(ls, v, fpath, r, &r->routes[r->n_routes])) != 0)
				return ret;
			r->n_routes++;
		}
	}
	/* Each port's network is reachable on-link through it: MidoNet adds this route itself. */
	for (i = 0; i < r->n_ports; i++) {
		const struct topo_port *p = &t->ports[r->ports[i]];
		struct topo_route *rt = &r->routes[r->n_routes++];

		memset(rt, 0, sizeof(*rt));
		snprintf(rt->id, sizeof(rt->id), "connected:%.50s", p->id);
		rt->type = ROUTE_NORMAL;
		rt->dst = p->net;
		rt->dst_len = p->prefix_len;
		rt->port = p->index;
		rt->weight = ROUTE_WEIGHT_DEFAULT;
		rt->connected = true;
		if (!p->has_ip6)
			continue;
		/* Link-local fe80::/64 gets no route: such packets never leave their link. */
		rt = &r->routes[r->n_routes++];
		memset(rt, 0, sizeof(*rt));
		snprintf(rt->id, sizeof(rt->id), "connected6:%.50s", p->id);
		rt->type = ROUTE_NORMAL;
		rt->ipv6 = true;
		memcpy(rt->dst6, p->net6, IPV6_ADDR_LEN);
		rt->dst_len = p->prefix6_len;
		rt->port = p->index;
		rt->weight = ROUTE_WEIGHT_DEFAULT;
		rt->connected = true;
	}
	qsort(r->routes, r->n_routes, sizeof(*r->routes), route_cmp);
	for (i = 0; i < r->n_routes; i++)
		r->routes[i].index = t->n_routes++;
	return 0;
}

static int
resolve_peers(struct load_state *ls)
{
	struct topology *t = ls->t;
	uint32_t i;

	for (i = 0; i < ls->n_peers; i++) {
		struct pending_peer *pp = &ls->peers[i];
		struct topo_port *a = &t->ports[pp->port], *b;
		int pi = find_port(ls, pp->peer);

		if (pi < 0)
			return json_field_error(ls->ctx, pp->path, "no port with id \"%s\"", pp->peer);
		b = &t->ports[pi];
		if (b == a)
			return json_field_error(ls->ctx, pp->path, "a port cannot be its own peer");
		/*
		 * Two bridges are linked only as MidoNet's L2 gateway links them
		 * (operations guide ch. 15): a VLAN-aware bridge's access port to a
		 * port without VLAN settings of a per-VLAN bridge.  Anything else
		 * would join two broadcast domains with no VLAN between them.
		 */
		if (a->device_type == TOPO_DEVICE_BRIDGE && b->device_type == TOPO_DEVICE_BRIDGE &&
		    (a->device == b->device ||
		     !((a->vlan_mode == TOPO_VLAN_ACCESS && b->vlan_mode == TOPO_VLAN_NONE) ||
		       (b->vlan_mode == TOPO_VLAN_ACCESS && a->vlan_mode == TOPO_VLAN_NONE))))
			return json_field_error(ls->ctx, pp->path,
						"a bridge links to another bridge only from an "
						"access port (\"vlan\") to a port without VLAN "
						"settings (an L2 gateway's per-VLAN bridge); link a "
						"bridge to a router port otherwise");
		if ((a->peer != TOPO_NO_INDEX && a->peer != b->index) ||
		    (b->peer != TOPO_NO_INDEX && b->peer != a->index))
			return json_field_error(ls->ctx, pp->path,
						"\"%s\" or \"%s\" is already linked elsewhere", a->id,
						b->id);
		a->peer = b->index;
		b->peer = a->index;
	}
	return 0;
}

/* One local binding per interface, whether the interface is here yet or not. */
static int
interface_unbound(struct load_state *ls, const char *iface, const char *fpath)
{
	const struct topology *t = ls->t;
	uint32_t i;

	for (i = 0; i < t->n_ports; i++)
		if (!t->ports[i].remote && !t->ports[i].vtep &&
		    strcmp(t->ports[i].interface, iface) == 0)
			return json_field_error(ls->ctx, fpath,
						"interface \"%s\" is already bound to port \"%s\"",
						iface, t->ports[i].id);
	return 0;
}

static int
load_binding(struct load_state *ls, const json_t *jb, size_t bi,
	     const struct local_interface *ifs, unsigned int n_ifs)
{
	static const char *const fields[] = {"port", "interface", "host", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char path[PATH_LEN], fpath[PATH_LEN], port_id[TOPO_ID_LEN], iface[TOPO_NAME_LEN];
	struct topo_port *p;
	unsigned int i;
	bool remote;
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
	pi = find_port(ls, port_id);
	subpath(fpath, path, ".port");
	if (pi < 0)
		return json_field_error(ctx, fpath, "no port with id \"%s\"", port_id);
	p = &t->ports[pi];
	if (p->interface[0] != '\0')
		return json_field_error(ctx, fpath, "port \"%s\" is already bound to \"%s\"",
					port_id, p->interface);
	if (p->peer != TOPO_NO_INDEX)
		return json_field_error(ctx, fpath,
					"port \"%s\" is interior (linked to \"%s\"): only exterior "
					"ports are bound", port_id, t->ports[p->peer].id);
	/* Bound on another host: that host has the interface; here the port is remote. */
	if ((ret = load_binding_host(ctx, t, jb, path, p, &remote)) != 0)
		return ret;
	if (remote) {
		/* Its MACs may be learned there, and ours needed there (sim/shared_state.c). */
		if (p->device_type == TOPO_DEVICE_BRIDGE)
			t->bridges[p->device].spans_hosts = true;
		return 0;
	}
	subpath(fpath, path, ".interface");
	if ((ret = interface_unbound(ls, iface, fpath)) != 0)
		return ret;
	snprintf(p->interface, sizeof(p->interface), "%s", iface);
	for (i = 0; i < n_ifs; i++)
		if (strcmp(ifs[i].name, iface) == 0)
			break;
	/* Not (yet) a port of this host: the binding waits for it (topo_port_is_waiting). */
	if (i == n_ifs)
		return 0;
	if (ifs[i].dpdk_port >= RTE_MAX_ETHPORTS)
		return json_field_error(ctx, fpath, "interface \"%s\" has port id %u, past %d",
					iface, ifs[i].dpdk_port, RTE_MAX_ETHPORTS);
	if (t->vport_of_dpdk[ifs[i].dpdk_port] != TOPO_NO_INDEX)
		return json_field_error(ctx, fpath, "interface \"%s\" is already bound to port \"%s\"",
					iface, t->ports[t->vport_of_dpdk[ifs[i].dpdk_port]].id);
	p->dpdk_port = ifs[i].dpdk_port;
	p->link_down = ifs[i].link_down;
	t->vport_of_dpdk[ifs[i].dpdk_port] = (uint32_t)pi;
	return 0;
}

struct topology *
topology_file_load(const char *path, const struct local_interface *ifs, unsigned int n_ifs,
		   char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = path, .err = err, .errlen = errlen};
	struct topology *t;
	json_t *root;

	root = json_field_load(&ctx);
	if (root == NULL)
		return NULL;
	t = topology_json_load(root, path, ifs, n_ifs, err, errlen);
	json_decref(root);
	return t;
}

struct topology *
topology_json_load(const json_t *root, const char *source, const struct local_interface *ifs,
		   unsigned int n_ifs, char *err, size_t errlen)
{
	static const char *const top_fields[] = {"bridges", "routers", "bindings", "chains",
						 "port_groups", "hosts", "tunnel_zones",
						 "vtep_bindings", NULL};
	struct json_ctx ctx = {.file = source, .err = err, .errlen = errlen};
	struct load_state ls = {.ctx = &ctx};
	json_t *jbridges, *jrouters, *jbindings, *jchains, *jgroups, *v;
	struct topology *t;
	size_t i;
	int ret = 0;

	if (!json_is_object(root)) {
		json_field_error(&ctx, "(top level)", "must be a JSON object");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "%s: out of memory", source);
		return NULL;
	}
	ls.t = t;
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		t->vport_of_dpdk[i] = TOPO_NO_INDEX;
	if ((ret = json_field_only(&ctx, root, "", top_fields)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "bridges", false, &jbridges)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "routers", false, &jrouters)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "bindings", false, &jbindings)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "chains", false, &jchains)) != 0 ||
	    (ret = json_field_array(&ctx, root, "", "port_groups", false, &jgroups)) != 0)
		goto out;
	/* Chains first by id: filters and jumps may name chains defined later in the file. */
	if ((ret = load_chain_ids(&ls, jchains)) != 0)
		goto out;
	if (jbridges == NULL && jrouters == NULL) {
		ret = json_field_error(&ctx, "(top level)", "no \"bridges\" and no \"routers\"");
		goto out;
	}
	t->bridges = calloc((jbridges ? json_array_size(jbridges) : 0) + 1, sizeof(*t->bridges));
	t->routers = calloc((jrouters ? json_array_size(jrouters) : 0) + 1, sizeof(*t->routers));
	if (t->bridges == NULL || t->routers == NULL) {
		ret = json_field_error(&ctx, "(top level)", "out of memory");
		goto out;
	}
	if (jbridges != NULL)
		json_array_foreach(jbridges, i, v)
			if ((ret = load_bridge(&ls, v, (uint32_t)i, ifs, n_ifs)) != 0)
				goto out;
	if (jrouters != NULL)
		json_array_foreach(jrouters, i, v)
			if ((ret = load_router(&ls, v, (uint32_t)i)) != 0)
				goto out;
	if ((ret = resolve_peers(&ls)) != 0 || (ret = load_port_groups(&ls, jgroups)) != 0 ||
	    (ret = load_chain_rules(&ls, jchains)) != 0 || (ret = load_overlay(&ls, root)) != 0)
		goto out;
	if (jbindings != NULL)
		json_array_foreach(jbindings, i, v)
			if ((ret = load_binding(&ls, v, i, ifs, n_ifs)) != 0)
				goto out;
	if ((ret = load_vtep_bindings(&ls, root)) != 0)
		goto out;
	t->version = 1;
out:
	free(ls.peers);
	load_ids_free(&ls);
	if (ret != 0) {
		topology_free(t);
		return NULL;
	}
	return t;
}
