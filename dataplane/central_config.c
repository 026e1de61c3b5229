/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The central configuration (ROOT/config/default, ROOT/config/hosts/<id>)
 * changed while kairod runs: read it again, check all of it as at start
 * (config_apply_central, the same field-named messages), and apply what can
 * change under running workers; name the rest, which needs a restart.
 *
 * What is live and why (config/README.md, "Central configuration at run
 * time"): the admission buckets are counters the workers take from with
 * atomics, resized in place; the flow timeouts are read by the cache's one
 * writer for each new flow; a worker's longest idle sleep is read on each
 * idle pass.  Everything that sizes memory (the flow cache, the tables, the
 * rings), the number of simulation threads, the VXLAN port the underlay
 * socket and the tunnels were made with, and the Redis connection are made
 * once at start: a change to those is reported, not applied.
 *
 * A change that does not check is refused whole: nothing of it applies, the
 * running values stay, and the message names the field (`agent.Config
 * REFUSE`).  Control thread only (serve() in main.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "event_log.h"
#include "zk_store.h"

/* One line's worth of "field old -> new" items. */
#define CHANGES_LEN 1024

struct uint_setting {
	const char *field; /* as the configuration names it */
	size_t offset;     /* a uint32_t in struct kairo_config */
	bool live;         /* applied at run time (apply_live) */
};

#define SETTING(f, member, l) {f, offsetof(struct kairo_config, member), l}

static const struct uint_setting settings[] = {
	SETTING("worker_sleep_max_us", worker_sleep_max_us, true),
	SETTING("flow_cache.idle_timeout_ms", flow_idle_timeout_ms, true),
	SETTING("flow_cache.hard_timeout_ms", flow_hard_timeout_ms, true),
	SETTING("slow_path.global_bucket", global_bucket, true),
	SETTING("slow_path.tunnel_bucket", tunnel_bucket, true),
	SETTING("slow_path.vport_bucket", vport_bucket, true),
	SETTING("flow_cache.capacity", flow_capacity, false),
	SETTING("slow_path.sim_threads", sim_threads, false),
	SETTING("slow_path.upcall_ring_size", upcall_ring_size, false),
	SETTING("slow_path.mac_table_size", mac_table_size, false),
	SETTING("slow_path.arp_table_size", arp_table_size, false),
	SETTING("slow_path.conntrack_size", conntrack_size, false),
	SETTING("slow_path.conntrack_idle_s", conntrack_idle_s, false),
};

static uint32_t
uint_at(const struct kairo_config *c, size_t offset)
{
	uint32_t v;

	memcpy(&v, (const char *)c + offset, sizeof(v));
	return v;
}

static void
append(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
append(char *out, size_t len, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	if (n >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(out + n, len - n, fmt, ap);
	va_end(ap);
}

static bool
redis_differs(const struct kairo_config *a, const struct kairo_config *b)
{
	return a->redis_enabled != b->redis_enabled || a->redis_ttl_s != b->redis_ttl_s ||
	       a->redis_wait_ms != b->redis_wait_ms || a->redis_queue != b->redis_queue ||
	       memcmp(&a->redis, &b->redis, sizeof(a->redis)) != 0;
}

/* Put next's live settings into effect; dp->cfg takes them (the views read them there). */
static void
apply_live(struct kairo_dp *dp, const struct kairo_config *next)
{
	struct kairo_config *c = &dp->cfg;
	uint32_t w;

	__atomic_store_n(&c->worker_sleep_max_us, next->worker_sleep_max_us, __ATOMIC_RELAXED);
	for (w = 0; w < dp->n_workers; w++)
		__atomic_store_n(&dp->workers[w]->sleep_max_us, next->worker_sleep_max_us,
				 __ATOMIC_RELAXED);
	__atomic_store_n(&c->flow_idle_timeout_ms, next->flow_idle_timeout_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&c->flow_hard_timeout_ms, next->flow_hard_timeout_ms, __ATOMIC_RELAXED);
	flow_cache_set_timeouts(dp->cache, next->flow_idle_timeout_ms, next->flow_hard_timeout_ms);
	c->global_bucket = next->global_bucket;
	c->tunnel_bucket = next->tunnel_bucket;
	c->vport_bucket = next->vport_bucket;
	/* Ports added meanwhile take their bucket size from upcall_cfg: under the ports lock. */
	dp_ports_lock(dp);
	upcall_channel_resize(dp->upcall, &dp->upcall_cfg, (int32_t)next->global_bucket,
			      (int32_t)next->tunnel_bucket, (int32_t)next->vport_bucket);
	dp_ports_unlock(dp);
}

void
dp_central_config_reload(struct kairo_dp *dp)
{
	char err[1024], applied[CHANGES_LEN] = "", restart[CHANGES_LEN] = "";
	struct kairo_config *next = malloc(sizeof(*next));
	json_t *central;
	size_t i;
	int ret;

	if (next == NULL) {
		DP_LOG(ERR, "central configuration not read again: out of memory");
		return;
	}
	central = zk_store_central_config(dp->store, err, sizeof(err));
	/* Checked as at start, over the local file, into a copy: refused, nothing changes. */
	*next = dp->cfg;
	ret = central ? config_apply_central(next, central, dp->topo_source, err, sizeof(err)) : -1;
	json_decref(central);
	if (ret != 0) {
		DP_LOG(ERR, "agent.Config REFUSE central configuration change: %s; nothing of it "
		       "applied, the running values stay", err);
		event_log("agent.Config", "REFUSE", "%s; the running values stay", err);
		free(next);
		return;
	}
	for (i = 0; i < RTE_DIM(settings); i++) {
		uint32_t was = uint_at(&dp->cfg, settings[i].offset);
		uint32_t now = uint_at(next, settings[i].offset);

		if (was != now)
			append(settings[i].live ? applied : restart, CHANGES_LEN, "%s%s %" PRIu32
			       " -> %" PRIu32, settings[i].live ? (applied[0] ? ", " : "") :
			       (restart[0] ? ", " : ""), settings[i].field, was, now);
	}
	if (dp->cfg.vxlan_port != next->vxlan_port)
		append(restart, CHANGES_LEN, "%svxlan_port %u -> %u", restart[0] ? ", " : "",
		       dp->cfg.vxlan_port, next->vxlan_port);
	if (redis_differs(&dp->cfg, next))
		append(restart, CHANGES_LEN, "%sredis", restart[0] ? ", " : "");
	if (applied[0] != '\0')
		apply_live(dp, next);
	free(next);
	if (applied[0] == '\0' && restart[0] == '\0') {
		DP_LOG(INFO, "central configuration read again: nothing kairod uses changed");
		return;
	}
	DP_LOG(INFO, "agent.Config UPDATE central configuration from %s/config: %s%s%s%s%s",
	       dp->cfg.zk_root, applied[0] ? "applied: " : "", applied,
	       applied[0] && restart[0] ? "; " : "", restart[0] ? "needs restart: " : "", restart);
	if (restart[0] != '\0')
		DP_LOG(WARNING, "central configuration: needs restart: %s (the running values "
		       "stay until kairod starts again)", restart);
	event_log("agent.Config", "UPDATE", "%s%s%s%s%s", applied[0] ? "applied: " : "", applied,
		  applied[0] && restart[0] ? "; " : "", restart[0] ? "needs restart: " : "",
		  restart);
}
