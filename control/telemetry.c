/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairod's counters on DPDK's telemetry socket, for standard tooling
 * (dpdk-telemetry.py, collectd's dpdk_telemetry plugin):
 *
 *   /kairo/datapath   flows, hits, misses, lost; flow_cache/..., slow_path/...
 *   /kairo/ports      ports/<i>/name, ports/<i>/rx_packets, ...
 *   /kairo/lcores     per worker lcore
 *   /kairo/drops      drops by reason
 *   /kairo/meters     meters (mm-meter): packets and bytes by meter
 *
 * The same numbers as kairoctl's views (datapath_view_object).  A
 * telemetry dict holds no dicts in 22.11, so nested objects are flattened
 * into "a/b" names.  Callbacks run on EAL's telemetry thread and only read
 * counters.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "ctl_commands.h"
#include "ctl_meter.h"

static struct kairo_dp *telemetry_dp;

/* Fill d from v, names prefixed; entries past the dict's capacity are left out. */
static void
flatten(struct rte_tel_data *d, const char *prefix, json_t *v)
{
	char name[RTE_TEL_MAX_STRING_LEN];
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "/" : "", key);
			flatten(d, name, item);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			snprintf(name, sizeof(name), "%s%s%zu", prefix, prefix[0] ? "/" : "", i);
			flatten(d, name, item);
		}
	} else if (json_is_integer(v)) {
		rte_tel_data_add_dict_u64(d, prefix, (uint64_t)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		rte_tel_data_add_dict_int(d, prefix, json_is_true(v));
	} else if (json_is_string(v)) {
		rte_tel_data_add_dict_string(d, prefix, json_string_value(v));
	}
}

static int
telemetry_view(const char *part, struct rte_tel_data *d)
{
	json_t *view = datapath_view_object(telemetry_dp);

	rte_tel_data_start_dict(d);
	if (part == NULL) {
		/* The totals; the per-port, per-lcore and drop lists have their own commands. */
		json_object_del(view, "ports");
		json_object_del(view, "lcores");
		json_object_del(view, "drops");
		flatten(d, "", view);
	} else {
		flatten(d, "", json_object_get(view, part));
	}
	json_decref(view);
	return 0;
}

static int
tel_datapath(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	return telemetry_view(NULL, d);
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	return telemetry_view("ports", d);
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	return telemetry_view("lcores", d);
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	return telemetry_view("drops", d);
}

/*
 * A dict's name from a meter's: telemetry's names take letters, digits,
 * "_" and "/" only, so "user:udp-in" is "user_udp_in" there.
 */
static void
telemetry_name(char *out, size_t len, const char *meter, const char *suffix)
{
	size_t i, n;

	snprintf(out, len, "%s%s", meter, suffix);
	n = strlen(out) - strlen(suffix);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '_' && out[i] != '/')
			out[i] = '_';
}

/*
 * The meters (mm-meter), "NAME/packets" and "NAME/bytes", read on the
 * simulation thread as "meter list" reads them.  A dict holds
 * RTE_TEL_MAX_DICT_ENTRIES entries: meters past that are left out and
 * "truncated" says so; kairoctl meter list shows them all.
 */
static int
tel_meters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const json_t *meters, *m;
	json_t *list = NULL;
	char name[RTE_TEL_MAX_STRING_LEN], err[128];
	size_t i, room = RTE_TEL_MAX_DICT_ENTRIES - 1;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (ctl_meter_list(telemetry_dp, NULL, &list, err, sizeof(err)) != 0)
		return -1;
	rte_tel_data_start_dict(d);
	meters = json_object_get(list, "meters");
	json_array_foreach(meters, i, m) {
		const char *n = json_string_value(json_object_get(m, "name"));

		if (room < 2)
			break;
		telemetry_name(name, sizeof(name), n, "/packets");
		rte_tel_data_add_dict_u64(d, name, json_integer_value(json_object_get(m, "packets")));
		telemetry_name(name, sizeof(name), n, "/bytes");
		rte_tel_data_add_dict_u64(d, name, json_integer_value(json_object_get(m, "bytes")));
		room -= 2;
	}
	rte_tel_data_add_dict_int(d, "truncated", i < json_array_size(meters));
	json_decref(list);
	return 0;
}

int
telemetry_register(struct kairo_dp *dp)
{
	int ret;

	telemetry_dp = dp;
	if ((ret = rte_telemetry_register_cmd("/kairo/datapath", tel_datapath,
					      "Kairo flows, hits, misses, lost, cache and slow path")) != 0 ||
	    (ret = rte_telemetry_register_cmd("/kairo/ports", tel_ports,
					      "Kairo per-port counters and link state")) != 0 ||
	    (ret = rte_telemetry_register_cmd("/kairo/lcores", tel_lcores,
					      "Kairo per worker lcore load")) != 0 ||
	    (ret = rte_telemetry_register_cmd("/kairo/drops", tel_drops,
					      "Kairo drops by reason")) != 0 ||
	    (ret = rte_telemetry_register_cmd("/kairo/meters", tel_meters,
					      "Kairo meters: packets and bytes by meter")) != 0)
		return ret;
	return 0;
}
