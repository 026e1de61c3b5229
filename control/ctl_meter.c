/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mm-meter's commands over the control socket.  A meter's value is its
 * totals plus its live flows' counters (sim/meter.h), which only the
 * simulation thread may read: both commands run there (sim_thread_call).
 * "meter get NAME DELAY COUNT" repeats in the client, one request a sample.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_meter.h"
#include "dataplane.h"

struct meter_call {
	const char *name;  /* NULL: every meter */
	json_t *out;       /* the list, or the one meter's sample */
	uint64_t overflow, not_created;
	int ret;
};

static json_t *
sample(const char *name, uint64_t packets, uint64_t bytes)
{
	return json_pack("{s:s, s:I, s:I}", "name", name, "packets", (json_int_t)packets, "bytes",
			 (json_int_t)bytes);
}

static void
meters_on_sim(struct sim_thread *st, void *arg)
{
	struct meter_call *mc = arg;
	const struct meter_registry *r = sim_thread_meters(st);
	uint64_t *packets = calloc(r->n + 1, sizeof(*packets));
	uint64_t *bytes = calloc(r->n + 1, sizeof(*bytes));
	char user[METER_NAME_LEN];
	uint32_t i;
	int k;

	mc->ret = -ENOMEM;
	if (packets == NULL || bytes == NULL)
		goto out;
	meter_snapshot(r, sim_thread_cache(st), packets, bytes);
	mc->ret = 0;
	mc->overflow = r->overflow;
	mc->not_created = r->full;
	if (mc->name == NULL) {
		mc->out = json_array();
		for (i = 0; i < r->n; i++)
			json_array_append_new(mc->out, sample(r->m[i].name, packets[i], bytes[i]));
		goto out;
	}
	/* A rule's meter may be named as the rule names it, without "user:". */
	k = meter_find(r, mc->name);
	if (k < 0 && strchr(mc->name, ':') == NULL) {
		snprintf(user, sizeof(user), "user:%s", mc->name);
		k = meter_find(r, user);
	}
	if (k < 0) {
		mc->ret = -ENOENT;
		goto out;
	}
	mc->out = sample(r->m[k].name, packets[k], bytes[k]);
out:
	free(packets);
	free(bytes);
}

int
ctl_meter_list(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = ctx;
	struct meter_call mc = {0};

	sim_thread_call(dp->sim, meters_on_sim, &mc);
	if (mc.ret != 0) {
		snprintf(err, errlen, "out of memory");
		return mc.ret;
	}
	*result = json_pack("{s:o, s:I, s:I}", "meters", mc.out, "overflow",
			    (json_int_t)mc.overflow, "not_created", (json_int_t)mc.not_created);
	return 0;
}

int
ctl_meter_get(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = ctx;
	struct meter_call mc = {0};

	mc.name = json_string_value(json_object_get(args, "name"));
	if (mc.name == NULL) {
		snprintf(err, errlen, "args.name: must be the meter's name, a string");
		return -EINVAL;
	}
	sim_thread_call(dp->sim, meters_on_sim, &mc);
	if (mc.ret == -ENOENT) {
		snprintf(err, errlen, "args.name: no meter \"%s\" (\"meter list\" shows them; a "
			 "meter appears once a packet went through it)", mc.name);
		return mc.ret;
	}
	if (mc.ret != 0) {
		snprintf(err, errlen, "out of memory");
		return mc.ret;
	}
	*result = mc.out;
	return 0;
}
