/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAT rules in the topology file (config/README.md, "NAT rules"): the
 * "action" after the rewrite and the targets, written as midonet-cli writes
 * them or as a list:
 *
 *   { "type": "snat", "action": "accept", "target": "198.51.100.2:1024-65535" }
 *   { "type": "dnat", "nat_targets": [ { "addr_from": "10.0.0.2", "addr_to": "10.0.0.3",
 *                                        "port_from": 80, "port_to": 80 } ] }
 *   { "type": "rev_snat", "action": "accept" }
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_load.h"

/* "10.0.0.1-10.0.0.9:1024-65535" at most, with room to say what is wrong. */
#define TARGET_TEXT_LEN 64

static const char *const nat_actions[] = {
	[NAT_ACTION_ACCEPT] = "accept", [NAT_ACTION_CONTINUE] = "continue",
	[NAT_ACTION_RETURN] = "return",
};

static int
parse_addr(const char *s, size_t n, uint32_t *out)
{
	char a[INET_ADDRSTRLEN];
	rte_be32_t ip;

	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, &ip) != 1)
		return -1;
	*out = rte_be_to_cpu_32(ip);
	return 0;
}

/* "ip[-ip][:port[-port]]" (the CLI's target). */
static int
parse_target(struct json_ctx *ctx, const char *fpath, const char *s, struct topo_nat_target *t)
{
	const char *colon = strchr(s, ':'), *end = colon ? colon : s + strlen(s);
	const char *dash = memchr(s, '-', (size_t)(end - s));

	memset(t, 0, sizeof(*t));
	if (parse_addr(s, (size_t)((dash ? dash : end) - s), &t->addr_lo) != 0 ||
	    (dash != NULL ? parse_addr(dash + 1, (size_t)(end - dash - 1), &t->addr_hi)
			  : (t->addr_hi = t->addr_lo, 0)) != 0)
		return json_field_error(ctx, fpath, "\"%s\" is not ip[-ip][:port[-port]] (IPv4)", s);
	if (colon != NULL && parse_range(colon + 1, &t->port_lo, &t->port_hi) != 0)
		return json_field_error(ctx, fpath, "\"%s\": the ports are not port[-port] within "
					"0-65535", s);
	return 0;
}

static int
load_target_object(struct json_ctx *ctx, const json_t *jt, const char *path,
		   struct topo_nat_target *t)
{
	static const char *const fields[] = {"addr_from", "addr_to", "port_from", "port_to", NULL};
	uint64_t lo, hi;
	rte_be32_t a;
	int ret;

	if (!json_is_object(jt))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jt, path, fields)) != 0 ||
	    (ret = json_field_ipv4(ctx, jt, path, "addr_from", NULL, true, &a)) != 0)
		return ret;
	t->addr_lo = rte_be_to_cpu_32(a);
	if ((ret = json_field_ipv4(ctx, jt, path, "addr_to", NULL, false, &a)) != 0)
		return ret;
	t->addr_hi = json_object_get(jt, "addr_to") ? rte_be_to_cpu_32(a) : t->addr_lo;
	if ((ret = json_field_uint(ctx, jt, path, "port_from", 0, UINT16_MAX, 0, false, &lo)) != 0 ||
	    (ret = json_field_uint(ctx, jt, path, "port_to", 0, UINT16_MAX, lo, false, &hi)) != 0)
		return ret;
	t->port_lo = (uint16_t)lo;
	t->port_hi = (uint16_t)hi;
	return 0;
}

static int
check_target(struct json_ctx *ctx, const char *path, const struct topo_nat_target *t)
{
	if (t->addr_lo > t->addr_hi)
		return json_field_error(ctx, path, "the address range ends before it starts");
	if (t->port_lo > t->port_hi)
		return json_field_error(ctx, path, "the port range ends before it starts");
	if (t->port_lo == 0 && t->port_hi != 0)
		return json_field_error(ctx, path, "port 0 cannot be a translated port (0-0 keeps "
					"the port)");
	return 0;
}

int
load_nat(struct load_state *ls, const json_t *jr, const char *path, struct topo_rule *r)
{
	struct json_ctx *ctx = ls->ctx;
	const json_t *jtargets = json_object_get(jr, "nat_targets");
	const json_t *jtarget = json_object_get(jr, "target");
	bool rev = r->type == RULE_REV_DNAT || r->type == RULE_REV_SNAT;
	char action[16], fpath[PATH_LEN];
	const json_t *jt;
	size_t k;
	int ret, a;

	if ((ret = json_field_string(ctx, jr, path, "action", "accept", false, action,
				     sizeof(action))) != 0)
		return ret;
	subpath(fpath, path, ".action");
	for (a = 0; a < (int)RTE_DIM(nat_actions); a++)
		if (strcmp(action, nat_actions[a]) == 0)
			break;
	if (a == (int)RTE_DIM(nat_actions))
		return json_field_error(ctx, fpath, "\"%s\" is not accept, continue or return",
					action);
	r->nat_action = (uint8_t)a;
	subpath(fpath, path, ".target");
	if (rev && (jtarget != NULL || jtargets != NULL))
		return json_field_error(ctx, fpath, "a %s rule turns answers back by the binding "
					"its connection made: it has no target",
					r->type == RULE_REV_DNAT ? "rev_dnat" : "rev_snat");
	if (rev)
		return 0;
	if ((jtarget == NULL) == (jtargets == NULL))
		return json_field_error(ctx, fpath, "a %s rule needs a target: \"target\" "
					"(ip[-ip][:port[-port]]) or \"nat_targets\", one of them",
					r->type == RULE_DNAT ? "dnat" : "snat");
	if (jtarget != NULL) {
		if (!json_is_string(jtarget))
			return json_field_error(ctx, fpath, "must be a string ip[-ip][:port[-port]]");
		r->nat_targets = calloc(1, sizeof(*r->nat_targets));
		if (r->nat_targets == NULL)
			return json_field_error(ctx, fpath, "out of memory");
		r->n_nat_targets = 1;
		if ((ret = parse_target(ctx, fpath, json_string_value(jtarget),
					&r->nat_targets[0])) != 0 ||
		    (ret = check_target(ctx, fpath, &r->nat_targets[0])) != 0)
			return ret;
	} else {
		subpath(fpath, path, ".nat_targets");
		if (!json_is_array(jtargets) || json_array_size(jtargets) == 0)
			return json_field_error(ctx, fpath, "must be a non-empty array");
		r->nat_targets = calloc(json_array_size(jtargets), sizeof(*r->nat_targets));
		if (r->nat_targets == NULL)
			return json_field_error(ctx, fpath, "out of memory");
		json_array_foreach(jtargets, k, jt) {
			subpath(fpath, path, ".nat_targets[%zu]", k);
			r->n_nat_targets++;
			if ((ret = load_target_object(ctx, jt, fpath, &r->nat_targets[k])) != 0 ||
			    (ret = check_target(ctx, fpath, &r->nat_targets[k])) != 0)
				return ret;
		}
	}
	/* One address, ports kept: a floating IP, rewritten without state (MidoNet's static NAT). */
	r->nat_static = r->n_nat_targets == 1 &&
			r->nat_targets[0].addr_lo == r->nat_targets[0].addr_hi &&
			r->nat_targets[0].port_lo == 0;
	return 0;
}
