/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topology editing, part three: rule chains, their rules and port groups,
 * in the words of the operations guide's tables 7.1 and 7.2:
 *
 *   chain create name "dnat-test"                                 -> chain10
 *   chain chain10 add rule dst 198.51.100.4 in-ports router1:port0 pos 1 type dnat
 *       action accept target 10.100.1.150                         -> chain10:rule2
 *   chain chain11 add rule ethertype 2048 src !10.0.0.0/16 type drop
 *
 * Conditions are written into the document as the CLI writes them
 * ("[!]value"), with port and port-group aliases turned into ids; a NAT
 * target "ip[-ip][:port[-port]]" becomes one entry of "nat_targets".  "pos"
 * is a position as in MidoNet: a rule added at pos N pushes the ones from N
 * on down, and every rule's pos is renumbered 1, 2, ... after each edit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_topology.h"

/* Longest condition text we write: a list of ports. */
#define COND_LEN 1024

/* The members of a port group as midonet-cli lists them: "port-group pgroup0 port router0:port0". */
static void
list_members(struct topo_cmd *c, const json_t *g, const char *alias)
{
	char pa[2 * ALIAS_LEN];
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(g, "ports"), i, m) {
		topo_port_alias(c->doc, json_string_value(m) ? json_string_value(m) : "", pa,
				sizeof(pa));
		topo_line(c, "port-group %s port %s", alias, pa);
	}
}

int
topo_edit_port_group(struct topo_cmd *c)
{
	static const char *const attrs[] = {"name", "stateful", NULL};
	const char *w = topo_next(c), *verb, *what, *pw;
	char alias[ALIAS_LEN], pid[TOPO_ID_LEN];
	json_t *g, *port, *ports;
	size_t idx;

	if (w == NULL || topo_is_word(w, "list"))
		return topo_list(c, KIND_PORT_GROUP);
	if (topo_is_word(w, "create"))
		return topo_create(c, KIND_PORT_GROUP, "port_groups", attrs, NULL);
	if (topo_resolve(c, KIND_PORT_GROUP, w, &g, &idx) != 0)
		return -EINVAL;
	topo_alias(KIND_PORT_GROUP, "", topo_id_of(g), alias, sizeof(alias));
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show"))
		return topo_show(c, KIND_PORT_GROUP, g);
	if (topo_is_word(verb, "set"))
		return topo_set_attributes(c, g, attrs);
	what = topo_next(c);
	if (topo_is_word(verb, "delete") && what == NULL) {
		json_array_remove(json_object_get(c->doc, "port_groups"), idx);
		c->edited = true;
		return 0;
	}
	if (topo_is_word(verb, "list") && topo_is_word(what, "member")) {
		list_members(c, g, alias);
		return 0;
	}
	if ((topo_is_word(verb, "add") || topo_is_word(verb, "delete")) &&
	    topo_is_word(what, "member")) {
		if (!topo_is_word(topo_next(c), "port") || topo_value(c, "port", &pw) != 0)
			return topo_fail(c, "%s member: write \"member port P\"", verb);
		if (topo_resolve_port(c, pw, NULL, &port, pid, sizeof(pid)) != 0)
			return -EINVAL;
		ports = topo_array(g, "ports");
		topo_array_remove_string(ports, pid);
		if (topo_is_word(verb, "add"))
			json_array_append_new(ports, json_string(pid));
		c->edited = true;
		return 0;
	}
	return topo_fail(c, "port-group %s: show, set, delete, list member, add member port P, "
			 "delete member port P", w);
}


static const char *const rule_types[] = {"accept", "continue", "drop", "jump", "reject",
					 "return", "dnat", "snat", "rev_dnat", "rev_snat", NULL};

static bool
one_of(const char *const *names, const char *w)
{
	unsigned int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], w) == 0)
			return true;
	return false;
}

/* "80" or "1024-65535". */
static int
check_port_range(struct topo_cmd *c, const char *key, const char *s)
{
	char first[16];
	const char *dash = strchr(s, '-');
	unsigned long a, b;

	snprintf(first, sizeof(first), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	if (topo_number(c, key, first, 65535, &a) != 0 ||
	    (dash != NULL && topo_number(c, key, dash + 1, 65535, &b) != 0))
		return -EINVAL;
	if (dash != NULL && b < a)
		return topo_fail(c, "%s \"%s\": the range runs backwards", key, s);
	return 0;
}

/* "10.0.0.1[-10.0.0.9][:1024[-65535]]" into {"addr_from","addr_to","port_from","port_to"}. */
static int
parse_target(struct topo_cmd *c, const char *s, json_t **out)
{
	char addr[64], from[INET_ADDRSTRLEN + 1], to[INET_ADDRSTRLEN + 1], ports[32];
	const char *colon = strchr(s, ':'), *dash;
	struct in_addr a, b;
	unsigned long pf = 0, pt = 0;

	snprintf(addr, sizeof(addr), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	dash = strchr(addr, '-');
	snprintf(from, sizeof(from), "%.*s", dash ? (int)(dash - addr) : (int)strlen(addr), addr);
	snprintf(to, sizeof(to), "%s", dash ? dash + 1 : from);
	if (inet_pton(AF_INET, from, &a) != 1 || inet_pton(AF_INET, to, &b) != 1 ||
	    ntohl(b.s_addr) < ntohl(a.s_addr))
		return topo_fail(c, "target \"%s\": not ip[-ip][:port[-port]] with IPv4 "
				 "addresses, lowest first", s);
	if (colon != NULL) {
		snprintf(ports, sizeof(ports), "%s", colon + 1);
		dash = strchr(ports, '-');
		if (check_port_range(c, "target", ports) != 0)
			return -EINVAL;
		pf = strtoul(ports, NULL, 10);
		pt = dash ? strtoul(dash + 1, NULL, 10) : pf;
	}
	*out = json_pack("{s:s, s:s, s:I, s:I}", "addr_from", from, "addr_to", to, "port_from",
			 (json_int_t)pf, "port_to", (json_int_t)pt);
	return 0;
}

/* "[!]p1,p2" of port aliases into "[!]id1, id2". */
static int
port_list(struct topo_cmd *c, const char *key, const char *v, char *out, size_t len)
{
	char buf[COND_LEN], id[TOPO_ID_LEN], *save = NULL, *tok;
	bool neg = v[0] == '!';
	size_t n = 0;
	json_t *port;

	snprintf(buf, sizeof(buf), "%s", neg ? v + 1 : v);
	n = (size_t)snprintf(out, len, "%s", neg ? "!" : "");
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (topo_resolve_port(c, tok, NULL, &port, id, sizeof(id)) != 0)
			return -EINVAL;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s",
				      n > (neg ? 1u : 0u) ? ", " : "", id);
	}
	if (n <= (neg ? 1u : 0u))
		return topo_fail(c, "%s: names no port", key);
	return 0;
}

/* One condition of table 7.2, "[!]value", checked and written. */
static int
condition(struct topo_cmd *c, json_t *rule, const char *k, const char *v)
{
	const char *bare = v[0] == '!' ? v + 1 : v;
	char text[COND_LEN];
	unsigned long n;
	json_t *g;

	text[0] = '\0';
	if (strcmp(k, "hw-src") == 0 || strcmp(k, "hw-dst") == 0 ||
	    strcmp(k, "hw-src-mask") == 0 || strcmp(k, "hw-dst-mask") == 0) {
		if (topo_check_mac(c, k, bare) != 0)
			return -EINVAL;
	} else if (strcmp(k, "ethertype") == 0) {
		if (topo_number(c, k, bare, 0xffff, &n) != 0)
			return -EINVAL;
	} else if (strcmp(k, "tos") == 0 || strcmp(k, "proto") == 0) {
		if (topo_number(c, k, bare, 255, &n) != 0)
			return -EINVAL;
	} else if (strcmp(k, "src") == 0 || strcmp(k, "dst") == 0) {
		if (topo_check_cidr(c, k, bare) != 0)
			return -EINVAL;
	} else if (strcmp(k, "src-port") == 0 || strcmp(k, "dst-port") == 0) {
		if (check_port_range(c, k, bare) != 0)
			return -EINVAL;
	} else if (strcmp(k, "in-ports") == 0 || strcmp(k, "out-ports") == 0) {
		if (port_list(c, k, v, text, sizeof(text)) != 0)
			return -EINVAL;
	} else if (strcmp(k, "port-group") == 0) {
		if (topo_resolve(c, KIND_PORT_GROUP, bare, &g, NULL) != 0)
			return -EINVAL;
		snprintf(text, sizeof(text), "%s%s", v[0] == '!' ? "!" : "", topo_id_of(g));
	} else if (strcmp(k, "flow") == 0) {
		if (strcmp(v, "return-flow") != 0 && strcmp(v, "forward-flow") != 0)
			return topo_fail(c, "flow \"%s\": return-flow or forward-flow", v);
	} else if (strcmp(k, "fragment-policy") == 0) {
		if (strcmp(v, "header") != 0 && strcmp(v, "nonheader") != 0 &&
		    strcmp(v, "any") != 0 && strcmp(v, "unfragmented") != 0)
			return topo_fail(c, "fragment-policy \"%s\": header, nonheader, any or "
					 "unfragmented", v);
	} else {
		return topo_fail(c, "\"%s\": not a rule attribute (pos, type, action, jump-to, "
				 "target, meter, or a condition: hw-src, hw-dst, ethertype, "
				 "in-ports, out-ports, tos, proto, src, dst, src-port, dst-port, "
				 "port-group, flow, fragment-policy)", k);
	}
	json_object_set_new(rule, k, json_string(text[0] ? text : v));
	return 0;
}

/* Positions 1..n in array order, as MidoNet keeps them. */
static void
renumber(json_t *rules)
{
	json_t *r;
	size_t i;

	json_array_foreach(rules, i, r)
		json_object_set_new(r, "pos", json_integer((json_int_t)i + 1));
}

static int
add_rule(struct topo_cmd *c, json_t *chain)
{
	char id[TOPO_ID_LEN], ca[ALIAS_LEN], ra[ALIAS_LEN], full[2 * ALIAS_LEN + 2];
	json_t *rule = json_object(), *rules = topo_array(chain, "rules"), *t = NULL, *jc;
	const char *k, *v, *type;
	unsigned long pos = 0;
	int ret = 0;

	topo_new_id(id, sizeof(id));
	json_object_set_new(rule, "id", json_string(id));
	while (ret == 0 && (k = topo_next(c)) != NULL) {
		if ((ret = topo_value(c, k, &v)) != 0)
			break;
		if (strcmp(k, "pos") == 0) {
			if ((ret = topo_number(c, k, v, UINT32_MAX, &pos)) == 0 && pos == 0)
				ret = topo_fail(c, "pos 0: positions start at 1");
		} else if (strcmp(k, "type") == 0) {
			if (!one_of(rule_types, v))
				ret = topo_fail(c, "type \"%s\": accept, continue, drop, jump, "
						"reject, return, dnat, snat, rev_dnat or rev_snat", v);
			else
				json_object_set_new(rule, k, json_string(v));
		} else if (strcmp(k, "action") == 0) {
			if (strcmp(v, "accept") != 0 && strcmp(v, "continue") != 0 &&
			    strcmp(v, "return") != 0)
				ret = topo_fail(c, "action \"%s\": accept, continue or return", v);
			else
				json_object_set_new(rule, k, json_string(v));
		} else if (strcmp(k, "jump-to") == 0) {
			if ((ret = topo_resolve(c, KIND_CHAIN, v, &jc, NULL)) == 0)
				json_object_set_new(rule, k, json_string(topo_id_of(jc)));
		} else if (strcmp(k, "target") == 0) {
			if ((ret = parse_target(c, v, &t)) == 0)
				json_array_append_new(topo_array(rule, "nat_targets"), t);
		} else if (strcmp(k, "meter") == 0) {
			json_object_set_new(rule, k, json_string(v));
		} else {
			ret = condition(c, rule, k, v);
		}
	}
	type = json_string_value(json_object_get(rule, "type"));
	if (ret == 0 && type == NULL)
		ret = topo_fail(c, "add rule: type missing (accept, drop, jump, dnat, ...)");
	if (ret != 0) {
		json_decref(rule);
		return ret;
	}
	if (pos == 0 || pos > json_array_size(rules))
		json_array_append_new(rules, rule);
	else
		json_array_insert_new(rules, pos - 1, rule);
	renumber(rules);
	topo_alias(KIND_CHAIN, "", topo_id_of(chain), ca, sizeof(ca));
	topo_alias(KIND_RULE, topo_id_of(chain), id, ra, sizeof(ra));
	snprintf(full, sizeof(full), "%s:%s", ca, ra);
	topo_made(c, full, id);
	return 0;
}

int
topo_edit_chain(struct topo_cmd *c)
{
	static const char *const attrs[] = {"name", NULL};
	const char *w = topo_next(c), *verb, *what, *rw;
	json_t *chain, *rule, *rules;
	size_t idx, i;

	if (w == NULL || topo_is_word(w, "list"))
		return topo_list(c, KIND_CHAIN);
	if (topo_is_word(w, "create"))
		return topo_create(c, KIND_CHAIN, "chains", attrs, NULL);
	if (topo_resolve(c, KIND_CHAIN, w, &chain, &idx) != 0)
		return -EINVAL;
	rules = topo_array(chain, "rules");
	verb = topo_next(c);
	if (verb == NULL || topo_is_word(verb, "show"))
		return topo_show(c, KIND_CHAIN, chain);
	if (topo_is_word(verb, "set"))
		return topo_set_attributes(c, chain, attrs);
	if (topo_is_word(verb, "delete") && topo_peek(c) == NULL) {
		/* Filters and jumps naming it are left for the check to refuse. */
		json_array_remove(json_object_get(c->doc, "chains"), idx);
		c->edited = true;
		return 0;
	}
	what = topo_next(c);
	if ((topo_is_word(verb, "list") && topo_is_word(what, "rule")) ||
	    (topo_is_word(verb, "rule") && topo_is_word(what, "list"))) {
		json_array_foreach(rules, i, rule)
			topo_print_rule(c, chain, rule);
		return 0;
	}
	if ((topo_is_word(verb, "add") && topo_is_word(what, "rule")) ||
	    (topo_is_word(verb, "rule") && topo_is_word(what, "add")))
		return add_rule(c, chain);
	/* "delete rule R" or "rule R delete" */
	if (topo_is_word(verb, "delete") && topo_is_word(what, "rule"))
		rw = topo_next(c);
	else if (topo_is_word(verb, "rule") && what != NULL &&
		 (topo_is_word(topo_peek(c), "delete") || topo_is_word(topo_peek(c), "show")))
		rw = what;
	else
		return topo_fail(c, "chain %s: show, set name N, delete, list rule, add rule ..., "
				 "delete rule R", w);
	if (rw == NULL)
		return topo_fail(c, "delete rule: which one?");
	if (topo_resolve_child(c, KIND_RULE, chain, "rules", rw, &rule, &idx) != 0)
		return -EINVAL;
	if (topo_is_word(topo_peek(c), "show")) {
		c->pos++;
		topo_print_rule(c, chain, rule);
		return 0;
	}
	if (topo_is_word(topo_peek(c), "delete"))
		c->pos++;
	json_array_remove(rules, idx);
	renumber(rules);
	c->edited = true;
	return 0;
}
