/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VLAN-aware bridges, as a specification of what the topology accepts and
 * refuses (topology/topology_vlan.c) and of per-VLAN MAC learning
 * (sim/mac_table.c).  What a frame does through such a bridge is shown on
 * packets by tests/pcap/test_vlan_pcap.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ether.h>

#include "unit_eal.h"
#include "mac_table.h"
#include "topology_json.h"

static struct rte_mempool *pool;

/* A one-bridge document whose ports are the JSON objects given, or NULL with err filled. */
static struct topology *
load(const char *ports, char *err, size_t errlen)
{
	char doc[2048];
	struct topology *t;
	json_error_t jerr;
	json_t *root;

	snprintf(doc, sizeof(doc), "{ \"bridges\": [ { \"id\": \"br0\", \"ports\": [ %s ] } ] }",
		 ports);
	root = json_loads(doc, 0, &jerr);
	if (root == NULL)
		fail_msg("test document: %s", jerr.text);
	err[0] = '\0';
	t = topology_json_load(root, "topo.json", NULL, 0, err, errlen);
	json_decref(root);
	return t;
}

static void
assert_refused(const char *ports, const char *field, const char *what)
{
	char err[512];
	struct topology *t = load(ports, err, sizeof(err));

	if (t != NULL) {
		topology_free(t);
		fail_msg("accepted: %s", ports);
	}
	if (strstr(err, field) == NULL || strstr(err, what) == NULL)
		fail_msg("\"%s\": expected \"%s\" ... \"%s\"", err, field, what);
}

static void
test_access_and_trunk_ports_are_loaded(void **state)
{
	char err[512];
	struct topology *t = load("{ \"id\": \"a\", \"vlan\": 10 }, "
				  "{ \"id\": \"t\", \"trunk_vlans\": [10, 4094] }, "
				  "{ \"id\": \"u\", \"trunk_vlans\": \"all\" }, { \"id\": \"p\" }",
				  err, sizeof(err));

	(void)state;
	if (t == NULL)
		fail_msg("%s", err);
	assert_true(t->bridges[0].vlan_aware);
	assert_int_equal(t->ports[0].vlan_mode, TOPO_VLAN_ACCESS);
	assert_true(topo_port_in_vlan(&t->ports[0], 10));
	assert_false(topo_port_in_vlan(&t->ports[0], 0));
	assert_false(topo_port_in_vlan(&t->ports[0], 20));
	assert_int_equal(t->ports[1].vlan_mode, TOPO_VLAN_TRUNK);
	assert_true(topo_port_in_vlan(&t->ports[1], 10));
	assert_true(topo_port_in_vlan(&t->ports[1], 4094));
	assert_false(topo_port_in_vlan(&t->ports[1], 11));
	assert_false(topo_port_in_vlan(&t->ports[1], 0));
	assert_true(topo_port_in_vlan(&t->ports[2], 1));
	assert_true(topo_port_in_vlan(&t->ports[2], 4094));
	assert_false(topo_port_in_vlan(&t->ports[2], 0));
	/* A plain port of a VLAN-aware bridge: untagged frames, VLAN 0. */
	assert_int_equal(t->ports[3].vlan_mode, TOPO_VLAN_NONE);
	assert_true(topo_port_in_vlan(&t->ports[3], 0));
	assert_false(topo_port_in_vlan(&t->ports[3], 10));
	topology_free(t);
}

static void
test_a_bridge_without_vlan_settings_is_vlan_unaware(void **state)
{
	char err[512];
	struct topology *t = load("{ \"id\": \"a\" }, { \"id\": \"b\" }", err, sizeof(err));

	(void)state;
	assert_non_null(t);
	assert_false(t->bridges[0].vlan_aware);
	topology_free(t);
}

static void
test_a_vlan_id_outside_1_to_4094_is_refused(void **state)
{
	(void)state;
	assert_refused("{ \"id\": \"a\", \"vlan\": 0 }", "bridges[0].ports[0].vlan",
		       "out of range [1, 4094]");
	assert_refused("{ \"id\": \"a\", \"vlan\": 4095 }", "bridges[0].ports[0].vlan",
		       "out of range [1, 4094]");
	assert_refused("{ \"id\": \"a\", \"vlan\": \"10\" }", "bridges[0].ports[0].vlan",
		       "must be an integer");
	assert_refused("{ \"id\": \"a\" }, { \"id\": \"t\", \"trunk_vlans\": [10, 4095] }",
		       "bridges[0].ports[1].trunk_vlans[1]", "4095 is not a VLAN id (1-4094)");
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": [0] }",
		       "bridges[0].ports[0].trunk_vlans[0]", "0 is not a VLAN id");
}

static void
test_an_access_and_trunk_setting_on_one_port_is_refused(void **state)
{
	(void)state;
	assert_refused("{ \"id\": \"a\", \"vlan\": 10, \"trunk_vlans\": [10] }",
		       "bridges[0].ports[0].trunk_vlans", "not both");
	assert_refused("{ \"id\": \"a\", \"vlan\": 10, \"trunk_vlans\": \"all\" }",
		       "bridges[0].ports[0].trunk_vlans", "not both");
}

static void
test_a_bad_trunk_list_is_refused(void **state)
{
	(void)state;
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": [10, 20, 10] }",
		       "bridges[0].ports[0].trunk_vlans[2]", "VLAN 10 is listed twice");
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": [10, \"20\"] }",
		       "bridges[0].ports[0].trunk_vlans[1]", "must be a VLAN id");
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": [] }", "bridges[0].ports[0].trunk_vlans",
		       "must be \"all\" or a list of VLAN ids");
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": \"some\" }",
		       "bridges[0].ports[0].trunk_vlans", "must be \"all\" or a list");
	assert_refused("{ \"id\": \"t\", \"trunk_vlans\": 10 }", "bridges[0].ports[0].trunk_vlans",
		       "must be \"all\" or a list");
}

static void
test_router_ports_take_no_vlan(void **state)
{
	char err[512];
	json_error_t jerr;
	json_t *root = json_loads("{ \"routers\": [ { \"id\": \"r\", \"ports\": [ { \"id\": \"rp\","
				  " \"address\": \"10.0.0.1\", \"network\": \"10.0.0.0/24\","
				  " \"vlan\": 10 } ] } ] }", 0, &jerr);
	struct topology *t;

	(void)state;
	assert_non_null(root);
	t = topology_json_load(root, "topo.json", NULL, 0, err, sizeof(err));
	json_decref(root);
	assert_null(t);
	assert_non_null(strstr(err, "routers[0].ports[0]"));
	assert_non_null(strstr(err, "vlan"));
}

/* A document of two bridges, gw and b10, with the ports given; NULL with err filled. */
static struct topology *
load_two(const char *gw_ports, const char *b10_ports, char *err, size_t errlen)
{
	char doc[2048];
	struct topology *t;
	json_error_t jerr;
	json_t *root;

	snprintf(doc, sizeof(doc),
		 "{ \"bridges\": [ { \"id\": \"gw\", \"ports\": [ %s ] },"
		 " { \"id\": \"b10\", \"ports\": [ %s ] } ] }",
		 gw_ports, b10_ports);
	root = json_loads(doc, 0, &jerr);
	if (root == NULL)
		fail_msg("test document: %s", jerr.text);
	err[0] = '\0';
	t = topology_json_load(root, "topo.json", NULL, 0, err, errlen);
	json_decref(root);
	return t;
}

static void
assert_link_refused(const char *gw_ports, const char *b10_ports)
{
	char err[512];
	struct topology *t = load_two(gw_ports, b10_ports, err, sizeof(err));

	if (t != NULL) {
		topology_free(t);
		fail_msg("accepted: %s / %s", gw_ports, b10_ports);
	}
	if (strstr(err, "bridges[0].ports[0].peer") == NULL ||
	    strstr(err, "only from an access port") == NULL)
		fail_msg("\"%s\": expected the peer field and why", err);
}

/* MidoNet's L2 gateway: a VLAN-aware bridge's access port linked to a per-VLAN bridge. */
static void
test_a_bridge_links_to_a_bridge_only_from_an_access_port(void **state)
{
	char err[512];
	struct topology *t;

	(void)state;
	t = load_two("{ \"id\": \"g10\", \"vlan\": 10, \"peer\": \"up\" },"
		     " { \"id\": \"ta\", \"trunk_vlans\": \"all\" }",
		     "{ \"id\": \"up\" }, { \"id\": \"vm\" }", err, sizeof(err));
	if (t == NULL)
		fail_msg("refused: %s", err);
	assert_int_equal(t->ports[t->ports[0].peer].device, 1);
	assert_int_equal(t->ports[t->ports[0].peer].peer, 0);
	assert_true(t->bridges[0].vlan_aware);
	assert_false(t->bridges[1].vlan_aware);
	topology_free(t);
	/* Plain to plain, trunk to plain, access to access: no VLAN, or two, between them. */
	assert_link_refused("{ \"id\": \"g\", \"peer\": \"up\" }", "{ \"id\": \"up\" }");
	assert_link_refused("{ \"id\": \"g\", \"trunk_vlans\": [10], \"peer\": \"up\" }",
			    "{ \"id\": \"up\" }");
	assert_link_refused("{ \"id\": \"g\", \"vlan\": 10, \"peer\": \"up\" }",
			    "{ \"id\": \"up\", \"vlan\": 10 }");
	/* A bridge to itself. */
	assert_link_refused("{ \"id\": \"g\", \"vlan\": 10, \"peer\": \"p\" },"
			    " { \"id\": \"p\" }",
			    "{ \"id\": \"up\" }");
}

static void
test_macs_are_learned_per_vlan(void **state)
{
	const struct rte_ether_addr m = { { 0x02, 0, 0, 0, 0, 0x0a } };
	struct mac_table *mt = mac_table_create("ut_vlan_macs", 64, SOCKET_ID_ANY);
	uint64_t aging = 1000000;
	uint32_t e10, e20, e;

	(void)state;
	assert_non_null(mt);
	assert_int_equal(mac_table_learn(mt, 0, 10, &m, 1, aging, 0, &e10), MAC_LEARN_NEW);
	/* Unknown in VLAN 20 and in VLAN 0: the entry of VLAN 10 answers only VLAN 10. */
	assert_int_equal(mac_table_lookup(mt, 0, 20, &m), -ENOENT);
	assert_int_equal(mac_table_lookup(mt, 0, 0, &m), -ENOENT);
	/* The same MAC on another port in VLAN 20 is new there, not a move. */
	assert_int_equal(mac_table_learn(mt, 0, 20, &m, 2, aging, 0, &e20), MAC_LEARN_NEW);
	assert_int_not_equal(e10, e20);
	assert_int_equal(mac_table_lookup(mt, 0, 10, &m), 1);
	assert_int_equal(mac_table_lookup(mt, 0, 20, &m), 2);
	/* A move stays within its VLAN. */
	assert_int_equal(mac_table_learn(mt, 0, 10, &m, 3, aging, 0, &e), MAC_LEARN_MOVED);
	assert_int_equal(mac_table_lookup(mt, 0, 10, &m), 3);
	assert_int_equal(mac_table_lookup(mt, 0, 20, &m), 2);
	assert_int_equal(mac_table_count(mt), 2);
	mac_table_destroy(mt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_and_trunk_ports_are_loaded),
		cmocka_unit_test(test_a_bridge_without_vlan_settings_is_vlan_unaware),
		cmocka_unit_test(test_a_vlan_id_outside_1_to_4094_is_refused),
		cmocka_unit_test(test_an_access_and_trunk_setting_on_one_port_is_refused),
		cmocka_unit_test(test_a_bad_trunk_list_is_refused),
		cmocka_unit_test(test_router_ports_take_no_vlan),
		cmocka_unit_test(test_a_bridge_links_to_a_bridge_only_from_an_access_port),
		cmocka_unit_test(test_macs_are_learned_per_vlan),
	};
	int failed;

	pool = unit_eal_start("ut_vlan", "ut_vlan_pool", 63);
	if (pool == NULL)
		return 1;
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	unit_eal_stop(pool);
	return failed;
}
