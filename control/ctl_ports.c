/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl port add NAME DEVARGS [role vport|uplink] [rx-queues N] [mtu N]
 * kairoctl port remove NAME
 *
 * The words after the device come in pairs, as midonet-cli's attributes do.
 * Everything is checked here before the daemon touches a device; what the
 * device itself refuses comes back with DPDK's text (port_runtime.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_ports.h"
#include "dataplane.h"

static int
refuse(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
refuse(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* A number in [min, max], all of the word. */
static int
option_number(const char *key, const char *word, unsigned long min, unsigned long max,
	      uint16_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(word, &end, 10);

	if (word[0] == '\0' || *end != '\0' || v < min || v > max)
		return refuse(err, errlen, -EINVAL, "%s \"%s\": a number from %lu to %lu", key,
			      word, min, max);
	*out = (uint16_t)v;
	return 0;
}

/* The "KEY VALUE" pairs after the device. */
static int
parse_options(const json_t *words, struct port_config *pc, char *err, size_t errlen)
{
	size_t i, n = json_array_size(words);
	const char *key, *value;
	int ret;

	for (i = 0; i < n; i += 2) {
		key = json_string_value(json_array_get(words, i));
		value = json_string_value(json_array_get(words, i + 1));
		if (key == NULL)
			return refuse(err, errlen, -EINVAL, "options: words, as kairoctl sends them");
		if (strcmp(key, "role") != 0 && strcmp(key, "rx-queues") != 0 &&
		    strcmp(key, "mtu") != 0)
			return refuse(err, errlen, -EINVAL, "\"%s\": not an option of port add (role "
				      "vport|uplink, rx-queues N, mtu N)", key);
		if (value == NULL)
			return refuse(err, errlen, -EINVAL, "%s: missing value", key);
		if (strcmp(key, "role") == 0) {
			if (strcmp(value, "vport") == 0)
				pc->role = PORT_ROLE_VPORT;
			else if (strcmp(value, "uplink") == 0)
				pc->role = PORT_ROLE_UPLINK;
			else
				return refuse(err, errlen, -EINVAL, "role \"%s\": vport or uplink",
					      value);
		} else if (strcmp(key, "rx-queues") == 0) {
			ret = option_number(key, value, 1, DP_PORT_MAX_RXQ, &pc->rx_queues, err,
					    errlen);
			if (ret != 0)
				return ret;
		} else if ((ret = option_number(key, value, 68, 9600, &pc->mtu, err, errlen)) != 0) {
			return ret;
		}
	}
	return 0;
}

/* The name and the device, as the config file would take them. */
static int
parse_port(const json_t *args, struct port_config *pc, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	const char *device = json_string_value(json_object_get(args, "device"));

	memset(pc, 0, sizeof(*pc));
	if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(pc->name))
		return refuse(err, errlen, -EINVAL, "args.name: a name of 1 to %zu characters",
			      sizeof(pc->name) - 1);
	if (device == NULL || device[0] == '\0' || device[0] == ',' ||
	    strlen(device) >= sizeof(pc->devargs))
		return refuse(err, errlen, -EINVAL, "args.device: devargs of 1 to %zu characters "
			      "(net_tap3,iface=vm3, 0000:03:00.1)", sizeof(pc->devargs) - 1);
	snprintf(pc->name, sizeof(pc->name), "%s", name);
	snprintf(pc->devargs, sizeof(pc->devargs), "%s", device);
	pc->role = PORT_ROLE_VPORT;
	pc->rx_queues = 1;
	pc->rx_desc = PORT_DEFAULT_DESC;
	pc->tx_desc = PORT_DEFAULT_DESC;
	pc->promiscuous = true;
	return parse_options(json_object_get(args, "options"), pc, err, errlen);
}

int
ctl_port_add(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = ctx;
	struct port_config pc;
	const struct dp_port *p;
	int ret;

	if ((ret = parse_port(args, &pc, err, errlen)) != 0)
		return ret;
	if ((ret = dp_port_add(dp, &pc, err, errlen)) != 0)
		return ret;
	dp_ports_lock(dp);
	p = dp_port_by_name(dp, pc.name);
	*result = p == NULL ? json_pack("{s:s}", "name", pc.name) :
		  json_pack("{s:s, s:i, s:s, s:s, s:b}", "name", pc.name, "id", p->id, "driver",
			    p->driver, "device", pc.devargs, "link_up", p->link_up);
	dp_ports_unlock(dp);
	return 0;
}

int
ctl_port_remove(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	int ret;

	if (name == NULL)
		return refuse(err, errlen, -EINVAL, "args.name: the port's name, a string");
	if ((ret = dp_port_remove(ctx, name, err, errlen)) != 0)
		return ret;
	*result = json_pack("{s:s, s:b}", "name", name, "removed", 1);
	return 0;
}
