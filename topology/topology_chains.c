/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule chains and port groups in the topology file (format: config/README.md,
 * "Rule chains").  Names follow midonet-cli (tables 7.1 and 7.2 of the
 * operations guide): a rule's conditions are written as the CLI writes them,
 * "!" in front negates one.
 *
 *   "chains": [ { "id": "c1", "name": "OS_PORT_vm1_INBOUND",
 *                 "rules": [ { "pos": 1, "type": "drop", "ethertype": 2048,
 *                              "src": "!172.16.3.3" },
 *                            { "pos": 2, "type": "accept", "flow": "return-flow" },
 *                            { "pos": 3, "type": "jump", "jump-to": "sg1" } ] } ],
 *   "port_groups": [ { "id": "pg1", "ports": ["b1-p1", "b1-p2"] } ]
 *
 * and "inbound_filter" / "outbound_filter" (a chain id) on ports, bridges and
 * routers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_load.h"

/* Longest text a condition's value may have: a port list. */
#define COND_TEXT_LEN 1024

void
topology_chains_free(struct topology *t)
{
	uint32_t i, j;

	for (i = 0; i < t->n_chains; i++) {
		for (j = 0; j < t->chains[i].n_rules; j++) {
			free(t->chains[i].rules[j].in_ports);
			free(t->chains[i].rules[j].out_ports);
			free(t->chains[i].rules[j].nat_targets);
		}
		free(t->chains[i].rules);
	}
	for (i = 0; i < t->n_port_groups; i++)
		free(t->port_groups[i].ports);
	free(t->chains);
	free(t->port_groups);
	t->chains = NULL;
	t->port_groups = NULL;
	t->n_chains = t->n_port_groups = 0;
}

static int
find_chain(const struct load_state *ls, const char *id)
{
	enum load_id_kind kind;
	int i = load_ids_find(ls, id, &kind);

	return i >= 0 && kind == LOAD_ID_CHAIN ? i : -1;
}

int
load_chain_ids(struct load_state *ls, const json_t *jchains)
{
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char path[PATH_LEN], fpath[PATH_LEN];
	json_t *jc;
	size_t i;
	int ret;

	if (jchains == NULL)
		return 0;
	t->chains = calloc(json_array_size(jchains) + 1, sizeof(*t->chains));
	if (t->chains == NULL)
		return json_field_error(ctx, "chains", "out of memory");
	json_array_foreach(jchains, i, jc) {
		struct topo_chain *c = &t->chains[i];

		snprintf(path, sizeof(path), "chains[%zu]", i);
		if (!json_is_object(jc))
			return json_field_error(ctx, path, "must be an object");
		if ((ret = json_field_string(ctx, jc, path, "id", NULL, true, c->id,
					     sizeof(c->id))) != 0 ||
		    (ret = json_field_string(ctx, jc, path, "name", c->id, false, c->name,
					     sizeof(c->name))) != 0)
			return ret;
		subpath(fpath, path, ".id");
		if (find_chain(ls, c->id) >= 0)
			return json_field_error(ctx, fpath, "duplicate id \"%s\"", c->id);
		c->index = (uint32_t)i;
		t->n_chains = (uint32_t)i + 1;
		if ((ret = load_ids_add(ls, LOAD_ID_CHAIN, c->index, fpath)) != 0)
			return ret;
	}
	return 0;
}

static int
chain_ref(struct load_state *ls, const json_t *obj, const char *path, const char *key,
	  uint32_t *out)
{
	char id[TOPO_ID_LEN], fpath[PATH_LEN];
	int ret, ci;

	*out = TOPO_NO_INDEX;
	id[0] = '\0';
	if ((ret = json_field_string(ls->ctx, obj, path, key, NULL, false, id, sizeof(id))) != 0)
		return ret;
	if (id[0] == '\0')
		return 0;
	ci = find_chain(ls, id);
	if (ci < 0) {
		subpath(fpath, path, ".%s", key);
		return json_field_error(ls->ctx, fpath, "no chain with id \"%s\"", id);
	}
	*out = (uint32_t)ci;
	return 0;
}

int
load_filters(struct load_state *ls, const json_t *obj, const char *path, uint32_t *in,
	     uint32_t *out)
{
	int ret = chain_ref(ls, obj, path, "inbound_filter", in);

	return ret != 0 ? ret : chain_ref(ls, obj, path, "outbound_filter", out);
}

/* A list of port ids: a JSON array of strings, or one string "p1, p2" (CLI style). */
static int
port_list(struct load_state *ls, const json_t *v, const char *text, const char *fpath,
	  uint32_t **ports, uint32_t *n)
{
	char buf[COND_TEXT_LEN], *save = NULL, *tok;
	size_t i, cap = json_is_array(v) ? json_array_size(v) : strlen(text) / 2 + 1;
	json_t *e;
	int pi;

	*ports = calloc(cap + 1, sizeof(uint32_t));
	*n = 0;
	if (*ports == NULL)
		return json_field_error(ls->ctx, fpath, "out of memory");
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return json_field_error(ls->ctx, fpath, "must list port ids (strings)");
			pi = find_port(ls, json_string_value(e));
			if (pi < 0)
				return json_field_error(ls->ctx, fpath, "no port with id \"%s\"",
							json_string_value(e));
			(*ports)[(*n)++] = (uint32_t)pi;
		}
	} else {
		snprintf(buf, sizeof(buf), "%s", text);
		for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
			pi = find_port(ls, tok);
			if (pi < 0)
				return json_field_error(ls->ctx, fpath, "no port with id \"%s\"", tok);
			(*ports)[(*n)++] = (uint32_t)pi;
		}
	}
	if (*n == 0)
		return json_field_error(ls->ctx, fpath, "names no port");
	return 0;
}

int
load_port_groups(struct load_state *ls, const json_t *jgroups)
{
	static const char *const fields[] = {"id", "name", "stateful", "ports", NULL};
	struct json_ctx *ctx = ls->ctx;
	struct topology *t = ls->t;
	char path[PATH_LEN], fpath[PATH_LEN];
	json_t *jg, *jports;
	size_t i;
	int ret;

	if (jgroups == NULL)
		return 0;
	t->port_groups = calloc(json_array_size(jgroups) + 1, sizeof(*t->port_groups));
	if (t->port_groups == NULL)
		return json_field_error(ctx, "port_groups", "out of memory");
	json_array_foreach(jgroups, i, jg) {
		struct topo_port_group *g = &t->port_groups[i];

		snprintf(path, sizeof(path), "port_groups[%zu]", i);
		if (!json_is_object(jg))
			return json_field_error(ctx, path, "must be an object");
		if ((ret = json_field_only(ctx, jg, path, fields)) != 0 ||
		    (ret = json_field_string(ctx, jg, path, "id", NULL, true, g->id,
					     sizeof(g->id))) != 0 ||
		    (ret = json_field_string(ctx, jg, path, "name", g->id, false, g->name,
					     sizeof(g->name))) != 0 ||
		    (ret = json_field_bool(ctx, jg, path, "stateful", false, &g->stateful)) != 0 ||
		    (ret = json_field_array(ctx, jg, path, "ports", false, &jports)) != 0)
			return ret;
		subpath(fpath, path, ".id");
		if (id_taken(ls, g->id))
			return json_field_error(ctx, fpath, "duplicate id \"%s\"", g->id);
		g->index = (uint32_t)i;
		t->n_port_groups = (uint32_t)i + 1;
		if ((ret = load_ids_add(ls, LOAD_ID_PORT_GROUP, g->index, fpath)) != 0)
			return ret;
		subpath(fpath, path, ".ports");
		/* Empty is allowed: midonet-cli creates a group, then adds its members. */
		if (jports != NULL && json_array_size(jports) > 0 &&
		    (ret = port_list(ls, jports, "", fpath, &g->ports, &g->n_ports)) != 0)
			return ret;
		for (uint32_t k = 0; g->stateful && k < g->n_ports; k++)
			t->ports[g->ports[k]].stateful_group = true;
	}
	return 0;
}

/*
 * A condition's value as text: a JSON string (a leading "!" negates it) or
 * a number.  *present is false when the key is absent.
 */
static int
cond_text(struct json_ctx *ctx, const json_t *obj, const char *fpath, const char *key,
	  char *out, bool *inv, bool *present)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;

	*inv = false;
	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		snprintf(out, COND_TEXT_LEN, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return json_field_error(ctx, fpath, "must be a string or a number");
	s = json_string_value(v);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '!') {
		*inv = true;
		s++;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s == '\0' || strlen(s) >= COND_TEXT_LEN)
		return json_field_error(ctx, fpath, "empty or too long");
	snprintf(out, COND_TEXT_LEN, "%s", s);
	return 0;
}

/* Decimal or 0x hex, at most max. */
static int
parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return (errno == 0 && end != s && *end == '\0' && *out <= max && s[0] != '-') ? 0 : -EINVAL;
}

/* "02:00:00:00:00:01" or the CLI's "0200.0000.0001": 12 hex digits, separators ignored. */
static int
parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned int n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == '.' || *s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || n == RTE_ETHER_ADDR_LEN)
			return -EINVAL;
		int d = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;

		if (hi < 0) {
			hi = d;
		} else {
			mac->addr_bytes[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return n == RTE_ETHER_ADDR_LEN && hi < 0 ? 0 : -EINVAL;
}

/* "lo" or "lo-hi", 0..65535, lo <= hi. */
int
parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[COND_TEXT_LEN];
	const char *dash = strchr(s, '-');
	unsigned long l, h;

	snprintf(a, sizeof(a), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	if (parse_number(a, UINT16_MAX, &l) != 0 ||
	    (dash != NULL ? parse_number(dash + 1, UINT16_MAX, &h) : (h = l, 0)) != 0 || l > h)
		return -EINVAL;
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

/* An IPv4 or IPv6 CIDR ("10.0.0.0/16", "10.0.0.1", "2001:db8::/32"), masked. */
static int
parse_cidr(struct json_ctx *ctx, const char *fpath, const char *s, uint8_t addr[IPV6_ADDR_LEN],
	   uint8_t *len, bool *v6)
{
	char a[INET_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	unsigned long l = 32;
	rte_be32_t ip;
	uint32_t mask;

	memset(addr, 0, IPV6_ADDR_LEN);
	*v6 = strchr(s, ':') != NULL;
	if (*v6)
		return parse_cidr6(ctx, fpath, s, addr, len);
	if ((slash ? (size_t)(slash - s) : strlen(s)) >= sizeof(a))
		return json_field_error(ctx, fpath, "\"%s\" is not an IPv4 or IPv6 CIDR", s);
	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, a, &ip) != 1 || (slash && parse_number(slash + 1, 32, &l) != 0))
		return json_field_error(ctx, fpath, "\"%s\" is not an IPv4 or IPv6 CIDR", s);
	mask = l == 0 ? 0 : ~0u << (32 - l);
	ip = rte_cpu_to_be_32(rte_be_to_cpu_32(ip) & mask);
	memcpy(addr, &ip, sizeof(ip));
	*len = (uint8_t)l;
	return 0;
}

static const char *const rule_types[] = {
	[RULE_ACCEPT] = "accept", [RULE_CONTINUE] = "continue", [RULE_DROP] = "drop",
	[RULE_REJECT] = "reject", [RULE_JUMP] = "jump", [RULE_RETURN] = "return",
	[RULE_DNAT] = "dnat", [RULE_SNAT] = "snat", [RULE_REV_DNAT] = "rev_dnat",
	[RULE_REV_SNAT] = "rev_snat",
};
static const char *const frag_policies[] = {
	[FRAG_POLICY_ANY] = "any", [FRAG_POLICY_HEADER] = "header",
	[FRAG_POLICY_NONHEADER] = "nonheader", [FRAG_POLICY_UNFRAGMENTED] = "unfragmented",
};

static int
name_index(const char *const *names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* The conditions of table 7.2, each "[!]value". */
static int
load_conditions(struct load_state *ls, const json_t *jr, const char *path, struct topo_rule *r)
{
	static const struct {
		const char *key;
		uint32_t cond;
	} conds[] = {
		{"hw-src", COND_HW_SRC},     {"hw-dst", COND_HW_DST},     {"ethertype", COND_ETHERTYPE},
		{"in-ports", COND_IN_PORTS}, {"out-ports", COND_OUT_PORTS}, {"tos", COND_TOS},
		{"proto", COND_PROTO},       {"src", COND_SRC},           {"dst", COND_DST},
		{"src-port", COND_SRC_PORT}, {"dst-port", COND_DST_PORT}, {"port-group", COND_PORT_GROUP},
	};
	struct json_ctx *ctx = ls->ctx;
	char text[COND_TEXT_LEN], fpath[PATH_LEN];
	unsigned long v;
	unsigned int i;
	bool inv, present;
	int ret = 0;

	memset(&r->hw_src_mask, 0xff, sizeof(r->hw_src_mask));
	memset(&r->hw_dst_mask, 0xff, sizeof(r->hw_dst_mask));
	for (i = 0; i < RTE_DIM(conds); i++) {
		const json_t *jv = json_object_get(jr, conds[i].key);

		bool list = conds[i].cond == COND_IN_PORTS || conds[i].cond == COND_OUT_PORTS;

		subpath(fpath, path, ".%s", conds[i].key);
		if (list && json_is_array(jv)) {
			/* A JSON list of port ids: not negatable (write "!p1, p2" for that). */
			text[0] = '\0';
			inv = false;
			present = true;
		} else if ((ret = cond_text(ctx, jr, fpath, conds[i].key, text, &inv,
					    &present)) != 0) {
			return ret;
		}
		if (!present)
			continue;
		r->conds |= conds[i].cond;
		r->inv |= inv ? conds[i].cond : 0;
		switch (conds[i].cond) {
		case COND_HW_SRC:
		case COND_HW_DST:
			if (parse_mac(text, conds[i].cond == COND_HW_SRC ? &r->hw_src : &r->hw_dst))
				return json_field_error(ctx, fpath, "\"%s\" is not a MAC address",
							text);
			break;
		case COND_ETHERTYPE:
			if (parse_number(text, UINT16_MAX, &v) != 0)
				return json_field_error(ctx, fpath, "\"%s\" is not an ethertype "
							"(0 to 65535, e.g. 2048 for IPv4)", text);
			r->ethertype = (uint16_t)v;
			break;
		case COND_TOS:
		case COND_PROTO:
			if (parse_number(text, UINT8_MAX, &v) != 0)
				return json_field_error(ctx, fpath, "\"%s\" is not a number from 0 to "
							"255", text);
			if (conds[i].cond == COND_TOS)
				r->tos = (uint8_t)v;
			else
				r->proto = (uint8_t)v;
			break;
		case COND_SRC:
			ret = parse_cidr(ctx, fpath, text, r->src_addr, &r->src_len, &r->src6);
			break;
		case COND_DST:
			ret = parse_cidr(ctx, fpath, text, r->dst_addr, &r->dst_len, &r->dst6);
			break;
		case COND_SRC_PORT:
		case COND_DST_PORT:
			if (parse_range(text, conds[i].cond == COND_SRC_PORT ? &r->src_port_lo
									      : &r->dst_port_lo,
					conds[i].cond == COND_SRC_PORT ? &r->src_port_hi
								       : &r->dst_port_hi) != 0)
				return json_field_error(ctx, fpath, "\"%s\" is not a port or a range "
							"\"low-high\" (0 to 65535)", text);
			break;
		case COND_IN_PORTS:
			ret = port_list(ls, jv, text, fpath, &r->in_ports, &r->n_in_ports);
			break;
		case COND_OUT_PORTS:
			ret = port_list(ls, jv, text, fpath, &r->out_ports, &r->n_out_ports);
			break;
		case COND_PORT_GROUP:
			for (r->port_group = 0; r->port_group < ls->t->n_port_groups; r->port_group++)
				if (strcmp(ls->t->port_groups[r->port_group].id, text) == 0)
					break;
			if (r->port_group == ls->t->n_port_groups)
				return json_field_error(ctx, fpath, "no port group with id \"%s\"",
							text);
			break;
		}
		if (ret != 0)
			return ret;
	}
	/* The masks: absent = every bit, as midonet-cli's default ffff.ffff.ffff. */
	subpath(fpath, path, ".hw-src-mask");
	if ((ret = cond_text(ctx, jr, fpath, "hw-src-mask", text, &inv, &present)) != 0)
		return ret;
	if (present && (inv || parse_mac(text, &r->hw_src_mask) != 0))
		return json_field_error(ctx, fpath, "\"%s\" is not a MAC mask", text);
	subpath(fpath, path, ".hw-dst-mask");
	if ((ret = cond_text(ctx, jr, fpath, "hw-dst-mask", text, &inv, &present)) != 0)
		return ret;
	if (present && (inv || parse_mac(text, &r->hw_dst_mask) != 0))
		return json_field_error(ctx, fpath, "\"%s\" is not a MAC mask", text);
	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		r->hw_src.addr_bytes[i] &= r->hw_src_mask.addr_bytes[i];
		r->hw_dst.addr_bytes[i] &= r->hw_dst_mask.addr_bytes[i];
	}
	return 0;
}

static bool
rule_is_nat(const struct topo_rule *r)
{
	return r->type >= RULE_DNAT && r->type <= RULE_REV_SNAT;
}

/* A NAT rule that keeps per-connection state and may rewrite ports: all but the static one. */
static bool
nat_dynamic(const struct topo_rule *r)
{
	return rule_is_nat(r) && !r->nat_static;
}

static int
load_rule(struct load_state *ls, const json_t *jr, const char *path, uint32_t default_pos,
	  struct topo_rule *r)
{
	static const char *const fields[] = {
		"id", "pos", "type", "jump-to", "flow", "fragment-policy", "hw-src", "hw-src-mask",
		"hw-dst", "hw-dst-mask", "ethertype", "in-ports", "out-ports", "tos", "proto", "src",
		"dst", "src-port", "dst-port", "port-group", "action", "target", "nat_targets",
		"meter", NULL};
	struct json_ctx *ctx = ls->ctx;
	char type[16], frag[16], flow[16], jump[TOPO_ID_LEN], fpath[PATH_LEN];
	uint64_t pos;
	int ret, ci, k;

	if (!json_is_object(jr))
		return json_field_error(ctx, path, "must be an object");
	memset(r, 0, sizeof(*r));
	jump[0] = frag[0] = flow[0] = '\0';
	r->jump_to = TOPO_NO_INDEX;
	if ((ret = json_field_only(ctx, jr, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "id", "", false, r->id, sizeof(r->id))) != 0 ||
	    (ret = json_field_uint(ctx, jr, path, "pos", 1, UINT32_MAX, default_pos, false,
				   &pos)) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "type", NULL, true, type, sizeof(type))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "jump-to", NULL, false, jump,
				     sizeof(jump))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "fragment-policy", NULL, false, frag,
				     sizeof(frag))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "flow", NULL, false, flow, sizeof(flow))) != 0 ||
	    (ret = json_field_string(ctx, jr, path, "meter", "", false, r->meter_name,
				     sizeof(r->meter_name))) != 0)
		return ret;
	r->pos = (uint32_t)pos;
	subpath(fpath, path, ".type");
	k = name_index(rule_types, RTE_DIM(rule_types), type);
	if (k < 0)
		return json_field_error(ctx, fpath, "\"%s\" is not a rule type (accept, continue, "
					"drop, reject, jump, return, dnat, snat, rev_dnat, "
					"rev_snat)", type);
	r->type = (uint8_t)k;
	subpath(fpath, path, ".action");
	if (rule_is_nat(r)) {
		if ((ret = load_nat(ls, jr, path, r)) != 0)
			return ret;
	} else if (json_object_get(jr, "action") != NULL || json_object_get(jr, "target") != NULL ||
		   json_object_get(jr, "nat_targets") != NULL) {
		return json_field_error(ctx, fpath, "\"action\" and \"target\" belong to NAT rules "
					"only");
	}
	subpath(fpath, path, ".jump-to");
	if (r->type == RULE_JUMP && jump[0] == '\0')
		return json_field_error(ctx, fpath, "missing (a jump rule names the chain it "
					"jumps to)");
	if (r->type != RULE_JUMP && jump[0] != '\0')
		return json_field_error(ctx, fpath, "only a rule of type jump jumps");
	if (jump[0] != '\0') {
		ci = find_chain(ls, jump);
		if (ci < 0)
			return json_field_error(ctx, fpath, "no chain with id \"%s\"", jump);
		r->jump_to = (uint32_t)ci;
	}
	subpath(fpath, path, ".flow");
	if (flow[0] != '\0') {
		if (strcmp(flow, "forward-flow") == 0)
			r->flow = RULE_FLOW_FORWARD;
		else if (strcmp(flow, "return-flow") == 0)
			r->flow = RULE_FLOW_RETURN;
		else
			return json_field_error(ctx, fpath, "\"%s\" is not forward-flow or "
						"return-flow", flow);
	}
	if ((ret = load_conditions(ls, jr, path, r)) != 0)
		return ret;
	/*
	 * Only a header fragment carries the L4 ports: a rule on them matches
	 * header fragments and whole packets, never the rest of a fragmented one.
	 */
	r->frag_policy = (r->conds & (COND_SRC_PORT | COND_DST_PORT)) || nat_dynamic(r)
				 ? FRAG_POLICY_HEADER
				 : FRAG_POLICY_ANY;
	subpath(fpath, path, ".fragment-policy");
	if (frag[0] != '\0') {
		k = name_index(frag_policies, RTE_DIM(frag_policies), frag);
		if (k < 0)
			return json_field_error(ctx, fpath, "\"%s\" is not header, nonheader, any or "
						"unfragmented", frag);
		if ((r->conds & (COND_SRC_PORT | COND_DST_PORT)) &&
		    (k == FRAG_POLICY_ANY || k == FRAG_POLICY_NONHEADER))
			return json_field_error(ctx, fpath, "\"%s\" with src-port or dst-port: "
						"only header fragments carry ports (use header or "
						"unfragmented)", frag);
		/* Operations guide: header is the only value a port-rewriting NAT rule takes. */
		if (nat_dynamic(r) && k != FRAG_POLICY_HEADER)
			return json_field_error(ctx, fpath, "\"%s\" on a NAT rule that keeps "
						"per-connection state: only header fragments carry "
						"the ports it translates (use header)", frag);
		r->frag_policy = (uint8_t)k;
	}
	return 0;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct topo_rule *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int
load_chain_rules(struct load_state *ls, const json_t *jchains)
{
	static const char *const fields[] = {"id", "name", "rules", NULL};
	struct json_ctx *ctx = ls->ctx;
	char path[PATH_LEN], fpath[PATH_LEN];
	json_t *jc, *jrules, *jr;
	size_t i, k;
	uint32_t j;
	int ret;

	if (jchains == NULL)
		return 0;
	json_array_foreach(jchains, i, jc) {
		struct topo_chain *c = &ls->t->chains[i];

		snprintf(path, sizeof(path), "chains[%zu]", i);
		if ((ret = json_field_only(ctx, jc, path, fields)) != 0 ||
		    (ret = json_field_array(ctx, jc, path, "rules", false, &jrules)) != 0)
			return ret;
		if (id_taken(ls, c->id) && find_chain(ls, c->id) != (int)i) {
			subpath(fpath, path, ".id");
			return json_field_error(ctx, fpath, "duplicate id \"%s\"", c->id);
		}
		if (jrules == NULL)
			continue;
		c->rules = calloc(json_array_size(jrules) + 1, sizeof(*c->rules));
		if (c->rules == NULL)
			return json_field_error(ctx, path, "out of memory");
		json_array_foreach(jrules, k, jr) {
			subpath(fpath, path, ".rules[%zu]", k);
			/* Counted first, so a failing rule's port lists are freed with the chain. */
			c->n_rules++;
			if ((ret = load_rule(ls, jr, fpath, (uint32_t)k + 1, &c->rules[k])) != 0)
				return ret;
			for (j = 0; j < k; j++)
				if (c->rules[j].pos == c->rules[k].pos)
					return json_field_error(ctx, fpath, "pos %u is already rule "
								"%u's", c->rules[k].pos, j);
		}
		qsort(c->rules, c->n_rules, sizeof(*c->rules), rule_cmp);
	}
	return 0;
}
