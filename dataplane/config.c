/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_common.h>

#include "config.h"
#include "conntrack.h"
#include "json_field.h"
#include "upcall.h"

/* Defaults follow MidoNet's compute-host column of table 17.1 where it has one. */
#define DEFAULT_MBUFS 16383
#define DEFAULT_FLOW_CAPACITY 65536
#define DEFAULT_FLOW_IDLE_MS 60000
#define DEFAULT_UPCALL_RING 4096
#define DEFAULT_GLOBAL_BUCKET 256
#define DEFAULT_TUNNEL_BUCKET 128
#define DEFAULT_VPORT_BUCKET 16
#define DEFAULT_MAC_TABLE 65536
#define DEFAULT_ARP_TABLE 4096
#define DEFAULT_CONNTRACK_TABLE 65536
#define DEFAULT_SLEEP_MAX_US 200
#define DEFAULT_CONTROL_SOCKET "/run/kairo/kairod.sock"

static int
load_port(struct json_ctx *ctx, const json_t *jp, size_t i, struct port_config *p,
	  const struct kairo_config *cfg)
{
	static const char *const fields[] = {"name", "device", "role", "rx_queues", "rx_desc",
					     "tx_desc", "mtu", "promiscuous", NULL};
	char path[64], fpath[96], role[16];
	uint64_t v;
	size_t j;
	int ret;

	snprintf(path, sizeof(path), "ports[%zu]", i);
	if (!json_is_object(jp))
		return json_field_error(ctx, path, "must be an object");
	if ((ret = json_field_only(ctx, jp, path, fields)) != 0 ||
	    (ret = json_field_string(ctx, jp, path, "name", NULL, true, p->name,
				     sizeof(p->name))) != 0 ||
	    (ret = json_field_string(ctx, jp, path, "device", NULL, true, p->devargs,
				     sizeof(p->devargs))) != 0 ||
	    (ret = json_field_string(ctx, jp, path, "role", "vport", false, role,
				     sizeof(role))) != 0)
		return ret;
	snprintf(fpath, sizeof(fpath), "%s.role", path);
	if (strcmp(role, "vport") == 0)
		p->role = PORT_ROLE_VPORT;
	else if (strcmp(role, "uplink") == 0)
		p->role = PORT_ROLE_UPLINK;
	else
		return json_field_error(ctx, fpath, "\"%s\" is not a role (vport or uplink)", role);
	for (j = 0; j < i; j++) {
		if (strcmp(cfg->ports[j].name, p->name) == 0) {
			snprintf(fpath, sizeof(fpath), "%s.name", path);
			return json_field_error(ctx, fpath, "duplicate name \"%s\" (also ports[%zu])",
						p->name, j);
		}
		if (strcmp(cfg->ports[j].devargs, p->devargs) == 0) {
			snprintf(fpath, sizeof(fpath), "%s.device", path);
			return json_field_error(ctx, fpath, "same device as ports[%zu]", j);
		}
	}
	if ((ret = json_field_uint(ctx, jp, path, "rx_queues", 1, 64, 1, false, &v)) != 0)
		return ret;
	p->rx_queues = (uint16_t)v;
	if ((ret = json_field_uint(ctx, jp, path, "rx_desc", 64, 16384, PORT_DEFAULT_DESC, false,
				   &v)) != 0)
		return ret;
	p->rx_desc = (uint16_t)v;
	if ((ret = json_field_uint(ctx, jp, path, "tx_desc", 64, 16384, PORT_DEFAULT_DESC, false,
				   &v)) != 0)
		return ret;
	p->tx_desc = (uint16_t)v;
	if ((ret = json_field_uint(ctx, jp, path, "mtu", 68, 9600, 0, false, &v)) != 0)
		return ret;
	p->mtu = (uint16_t)v;
	return json_field_bool(ctx, jp, path, "promiscuous", true, &p->promiscuous);
}

static int
load_section_uint(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		  uint64_t min, uint64_t max, uint64_t def, uint32_t *out)
{
	uint64_t v;
	int ret = json_field_uint(ctx, obj, path, key, min, max, def, false, &v);

	if (ret == 0)
		*out = (uint32_t)v;
	return ret;
}

/* "h:port[,h:port...]", as midolman.conf's zookeeper_hosts. */
static int
check_zk_hosts(struct json_ctx *ctx, const char *hosts)
{
	const char *p = hosts, *colon, *end;
	char *num_end;
	unsigned long port;

	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		colon = memrchr(p, ':', (size_t)(end - p));
		if (colon == NULL || colon == p)
			return json_field_error(ctx, "zookeeper_hosts", "\"%.*s\" is not host:port",
						(int)(end - p), p);
		port = strtoul(colon + 1, &num_end, 10);
		if (num_end != end || port == 0 || port > 65535)
			return json_field_error(ctx, "zookeeper_hosts", "\"%.*s\": bad port",
						(int)(end - p), p);
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

/* zookeeper_hosts and the zookeeper section (nsdb/README.md). */
static int
load_zookeeper(struct json_ctx *ctx, const json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"root", "session_timeout_ms", "digest",
					     "start_wait_s", NULL};
	const json_t *zk = json_object_get(root, "zookeeper");
	json_t *empty = NULL;
	int ret;

	if ((ret = json_field_string(ctx, root, "", "zookeeper_hosts", "", false, cfg->zk_hosts,
				     sizeof(cfg->zk_hosts))) != 0)
		return ret;
	if (cfg->zk_hosts[0] == '\0') {
		if (zk != NULL)
			return json_field_error(ctx, "zookeeper", "given without zookeeper_hosts");
		return 0;
	}
	if ((ret = check_zk_hosts(ctx, cfg->zk_hosts)) != 0)
		return ret;
	if (json_object_get(root, "topology_file") != NULL)
		return json_field_error(ctx, "topology_file", "given with zookeeper_hosts: the "
					"topology comes from ZooKeeper, give one of the two");
	if (zk != NULL && !json_is_object(zk))
		return json_field_error(ctx, "zookeeper", "must be an object");
	if (zk == NULL)
		zk = empty = json_object();
	if ((ret = json_field_only(ctx, zk, "zookeeper", fields)) != 0 ||
	    (ret = json_field_string(ctx, zk, "zookeeper", "root", "/kairo", false, cfg->zk_root,
				     sizeof(cfg->zk_root))) != 0 ||
	    (ret = json_field_string(ctx, zk, "zookeeper", "digest", "", false, cfg->zk_digest,
				     sizeof(cfg->zk_digest))) != 0 ||
	    (ret = load_section_uint(ctx, zk, "zookeeper", "session_timeout_ms", 1000, 600000,
				     30000, &cfg->zk_session_timeout_ms)) != 0 ||
	    (ret = load_section_uint(ctx, zk, "zookeeper", "start_wait_s", 0, 86400, 0,
				     &cfg->zk_start_wait_s)) != 0)
		goto out;
	if (cfg->zk_root[0] != '/' || cfg->zk_root[strlen(cfg->zk_root) - 1] == '/' ||
	    strstr(cfg->zk_root, "//") != NULL)
		ret = json_field_error(ctx, "zookeeper.root", "\"%s\" is not a ZooKeeper path "
				       "(\"/kairo\": absolute, no trailing or double /)",
				       cfg->zk_root);
	else if (cfg->zk_digest[0] != '\0' && strchr(cfg->zk_digest, ':') == NULL)
		ret = json_field_error(ctx, "zookeeper.digest", "must be \"user:password\"");
	else if (strchr(cfg->host_id, '/') != NULL)
		ret = json_field_error(ctx, "host_id", "\"%s\" names a ZooKeeper node: no \"/\"",
				       cfg->host_id);
out:
	json_decref(empty);
	return ret;
}

/*
 * "sentinels": ["HOST:PORT", ...] and "master": the name the sentinels
 * monitor.  Either these or host and port, never both: a daemon that wrote
 * to a fixed address beside the sentinels' master would split the state.
 */
static int
load_redis_sentinels(struct json_ctx *ctx, const json_t *r, struct redis_state_config *rc)
{
	const json_t *list = json_object_get(r, "sentinels"), *v;
	size_t i;

	if (list == NULL) {
		if (rc->master_name[0] != '\0')
			return json_field_error(ctx, "redis.master", "only with redis.sentinels");
		return 0;
	}
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > REDIS_SENTINELS_MAX)
		return json_field_error(ctx, "redis.sentinels", "must be a list of 1 to %u "
					"\"HOST:PORT\" strings", REDIS_SENTINELS_MAX);
	if (json_object_get(r, "host") != NULL || json_object_get(r, "port") != NULL)
		return json_field_error(ctx, "redis.sentinels", "given with redis.host or "
					"redis.port: the master's address comes from the sentinels");
	json_array_foreach(list, i, v) {
		struct redis_endpoint *e = &rc->sentinels[i];
		const char *s = json_string_value(v), *colon = s ? strrchr(s, ':') : NULL;
		char *end;
		long port;

		if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(e->host))
			return json_field_error(ctx, "redis.sentinels", "[%zu]: \"%s\" is not "
						"\"HOST:PORT\"", i, s ? s : "(not a string)");
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return json_field_error(ctx, "redis.sentinels", "[%zu]: \"%s\": the port "
						"must be 1 to 65535", i, s);
		memcpy(e->host, s, (size_t)(colon - s));
		e->host[colon - s] = '\0';
		e->port = (uint16_t)port;
	}
	rc->n_sentinels = (unsigned int)json_array_size(list);
	if (rc->master_name[0] == '\0')
		return json_field_error(ctx, "redis.master", "is needed with redis.sentinels: the "
					"name the sentinels monitor the master by");
	return 0;
}

/* The redis section (nsdb/README.md, "Shared state in Redis"); absent: nothing is shared. */
static int
load_redis(struct json_ctx *ctx, const json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"host", "port", "sentinels", "master", "password",
					     "prefix", "timeout_ms", "state_ttl_s", "lease_s",
					     "wait_ms", "queue", NULL};
	const json_t *r = json_object_get(root, "redis");
	struct redis_state_config *rc = &cfg->redis;
	uint32_t port = 0, lease_s = 0;
	int ret;

	if (r == NULL)
		return 0;
	if (!json_is_object(r))
		return json_field_error(ctx, "redis", "must be an object");
	cfg->redis_enabled = true;
	if ((ret = json_field_only(ctx, r, "redis", fields)) != 0 ||
	    (ret = json_field_string(ctx, r, "redis", "host", "127.0.0.1", false, rc->host,
				     sizeof(rc->host))) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "port", 1, 65535, 6379, &port)) != 0 ||
	    (ret = json_field_string(ctx, r, "redis", "password", "", false, rc->password,
				     sizeof(rc->password))) != 0 ||
	    (ret = json_field_string(ctx, r, "redis", "prefix", "kairo", false, rc->prefix,
				     sizeof(rc->prefix))) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "timeout_ms", 10, 60000, 200,
				     &rc->timeout_ms)) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "state_ttl_s", 3, 86400, 120,
				     &cfg->redis_ttl_s)) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "lease_s", 3, 86400, 60, &lease_s)) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "wait_ms", 1, 10000, 50,
				     &cfg->redis_wait_ms)) != 0 ||
	    (ret = load_section_uint(ctx, r, "redis", "queue", 64, 1u << 20, 65536,
				     &cfg->redis_queue)) != 0 ||
	    (ret = json_field_string(ctx, r, "redis", "master", "", false, rc->master_name,
				     sizeof(rc->master_name))) != 0 ||
	    (ret = load_redis_sentinels(ctx, r, rc)) != 0)
		return ret;
	if (rc->host[0] == '\0')
		return json_field_error(ctx, "redis.host", "is empty");
	/* The host id is written into the store's JSON values as it is. */
	if (strpbrk(cfg->host_id, "\"\\") != NULL)
		return json_field_error(ctx, "host_id", "\"%s\": no '\"' or '\\' with redis",
					cfg->host_id);
	if (!rte_is_power_of_2(cfg->redis_queue))
		return json_field_error(ctx, "redis.queue", "%u is not a power of two",
					cfg->redis_queue);
	/* Keys are "PREFIX:kind:..."; a prefix with a space or ':' would not read back. */
	if (rc->prefix[0] == '\0' || strpbrk(rc->prefix, ": \t\r\n") != NULL)
		return json_field_error(ctx, "redis.prefix", "\"%s\": a non-empty word without "
					"':' or spaces", rc->prefix);
	rc->port = (uint16_t)port;
	rc->lease_ms = lease_s * 1000;
	snprintf(rc->host_id, sizeof(rc->host_id), "%s", cfg->host_id);
	return 0;
}

static int config_parse(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg);

/* A port of cfg with this name or this device, or NULL. */
static const struct port_config *
config_port_like(const struct kairo_config *cfg, const char *name, const char *devargs)
{
	uint16_t i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].name[0] != '\0' && (strcmp(cfg->ports[i].name, name) == 0 ||
						       strcmp(cfg->ports[i].devargs, devargs) == 0))
			return &cfg->ports[i];
	return NULL;
}

int
config_ports_append(struct kairo_config *cfg, const json_t *ports, const char *source,
		    char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = source, .err = err, .errlen = errlen};
	struct kairo_config *next;
	const json_t *jp;
	size_t i;
	int ret = 0;

	if (!json_is_array(ports))
		return json_field_error(&ctx, "ports", "must be an array");
	/* Built aside, so that a refusal leaves cfg as it was. */
	next = malloc(sizeof(*next));
	if (next == NULL)
		return json_field_error(&ctx, "ports", "out of memory");
	*next = *cfg;
	json_array_foreach(ports, i, jp) {
		const char *name = json_string_value(json_object_get(jp, "name"));
		const char *dev = json_string_value(json_object_get(jp, "device"));

		/* The file's port of that name or device wins: it is what the operator wrote. */
		if (name != NULL && dev != NULL && config_port_like(next, name, dev) != NULL)
			continue;
		if (next->n_ports == RTE_MAX_ETHPORTS) {
			ret = json_field_error(&ctx, "ports", "more than %d ports", RTE_MAX_ETHPORTS);
			break;
		}
		if ((ret = load_port(&ctx, jp, next->n_ports, &next->ports[next->n_ports], next)) != 0)
			break;
		next->n_ports++;
	}
	if (ret == 0) {
		ret = next->n_ports - cfg->n_ports;
		*cfg = *next;
	}
	free(next);
	return ret;
}

int
config_load(const char *path, struct kairo_config *cfg, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = path, .err = err, .errlen = errlen};
	json_t *root;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	root = json_field_load(&ctx);
	if (root == NULL)
		return -EINVAL;
	ret = config_parse(&ctx, root, cfg);
	json_decref(root);
	return ret;
}

int
config_apply_central(struct kairo_config *cfg, const json_t *central, const char *source,
		     char *err, size_t errlen)
{
	static const char *const central_fields[] = {"worker_sleep_max_us", "vxlan_port",
						     "flow_cache", "slow_path", "redis", NULL};
	struct json_ctx local = {.file = cfg->file, .err = err, .errlen = errlen};
	struct json_ctx ctx = {.file = source, .err = err, .errlen = errlen};
	struct kairo_config *next;
	json_t *root;
	int ret;

	if ((ret = json_field_only(&ctx, central, "", central_fields)) != 0)
		return ret;
	next = calloc(1, sizeof(*next));
	root = json_field_load(&local);
	if (next == NULL || root == NULL) {
		free(next);
		json_decref(root);
		return next == NULL ? json_field_error(&ctx, "", "out of memory") : -EINVAL;
	}
	/* The local file was valid: what the merge makes invalid is the central part's doing. */
	json_merge_over(root, central);
	snprintf(next->file, sizeof(next->file), "%s", cfg->file);
	ret = config_parse(&ctx, root, next);
	if (ret == 0)
		*cfg = *next;
	json_decref(root);
	free(next);
	return ret;
}

/*
 * A section that is an object when present; absent, an empty one, so that every field takes its
 * default.  *out is a new reference either way.
 */
static int
section_object(struct json_ctx *ctx, json_t *root, const char *key, json_t **out)
{
	json_t *obj = json_object_get(root, key);

	*out = NULL;
	if (obj != NULL && !json_is_object(obj))
		return json_field_error(ctx, key, "must be an object");
	if (obj == NULL)
		obj = json_object();
	else
		json_incref(obj);
	*out = obj;
	return 0;
}

/* The top-level scalars, the NSDB (zookeeper, redis) and where the topology file is named. */
static int
load_top(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg, char *topo,
	 size_t topolen)
{
	uint32_t vx = 0;
	int ret;

	if ((ret = json_field_string(ctx, root, "", "host", "host0", false, cfg->host,
				     sizeof(cfg->host))) != 0 ||
	    (ret = json_field_string(ctx, root, "", "host_id", cfg->host, false, cfg->host_id,
				     sizeof(cfg->host_id))) != 0 ||
	    (ret = load_zookeeper(ctx, root, cfg)) != 0 ||
	    (ret = load_redis(ctx, root, cfg)) != 0 ||
	    (ret = json_field_string(ctx, root, "", "topology_file", NULL,
				     cfg->zk_hosts[0] == '\0', topo, topolen)) != 0 ||
	    (ret = load_section_uint(ctx, root, "", "workers", 1, KAIRO_MAX_WORKERS, 1,
				     &cfg->workers)) != 0 ||
	    (ret = load_section_uint(ctx, root, "", "mbufs", 1023, 1u << 24, DEFAULT_MBUFS,
				     &cfg->mbufs)) != 0 ||
	    (ret = load_section_uint(ctx, root, "", "worker_sleep_max_us", 0, 100000,
				     DEFAULT_SLEEP_MAX_US, &cfg->worker_sleep_max_us)) != 0 ||
	    (ret = load_section_uint(ctx, root, "", "vxlan_port", 1, 65535, 4789, &vx)) != 0)
		return ret;
	cfg->vxlan_port = (uint16_t)vx;
	return 0;
}

/* A relative topology path is read from beside the config, not from the caller's cwd. */
static int
resolve_topology_file(struct json_ctx *ctx, struct kairo_config *cfg, const char *topo)
{
	char dir[CONFIG_PATH_LEN];
	const char *d;

	if (topo[0] == '\0')
		return 0; /* the topology comes from ZooKeeper */
	if (topo[0] == '/') {
		snprintf(cfg->topology_file, sizeof(cfg->topology_file), "%s", topo);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", cfg->file);
	d = dirname(dir);
	if (strlen(d) + 1 + strlen(topo) >= sizeof(cfg->topology_file))
		return json_field_error(ctx, "topology_file", "path too long");
	memcpy(cfg->topology_file, d, strlen(d));
	cfg->topology_file[strlen(d)] = '/';
	memcpy(cfg->topology_file + strlen(d) + 1, topo, strlen(topo) + 1);
	return 0;
}

/* The flow_cache section. */
static int
load_flow_cache(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"capacity", "idle_timeout_ms", "hard_timeout_ms",
					     NULL};
	json_t *fc;
	int ret;

	if ((ret = section_object(ctx, root, "flow_cache", &fc)) != 0)
		return ret;
	ret = json_field_only(ctx, fc, "flow_cache", fields);
	if (ret == 0)
		ret = load_section_uint(ctx, fc, "flow_cache", "capacity", 64, 1u << 26,
					DEFAULT_FLOW_CAPACITY, &cfg->flow_capacity);
	if (ret == 0)
		ret = load_section_uint(ctx, fc, "flow_cache", "idle_timeout_ms", 0, 86400000,
					DEFAULT_FLOW_IDLE_MS, &cfg->flow_idle_timeout_ms);
	if (ret == 0)
		ret = load_section_uint(ctx, fc, "flow_cache", "hard_timeout_ms", 0, 86400000, 0,
					&cfg->flow_hard_timeout_ms);
	json_decref(fc);
	return ret;
}

/* The slow_path section: simulation threads, the upcall ring, admission buckets, table sizes. */
static int
load_slow_path(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"sim_threads", "upcall_ring_size", "global_bucket",
					     "tunnel_bucket", "vport_bucket", "mac_table_size",
					     "arp_table_size", "conntrack_size",
					     "conntrack_idle_s", NULL};
	json_t *sp;
	int ret;

	if ((ret = section_object(ctx, root, "slow_path", &sp)) != 0)
		return ret;
	ret = json_field_only(ctx, sp, "slow_path", fields);
	/*
	 * One simulation thread for now: MAC tables are owned by the thread
	 * that learns them.  More threads need shared learned state (the NSDB work).
	 */
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "sim_threads", 1, 1, 1,
					&cfg->sim_threads);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "upcall_ring_size", 64, 1u << 20,
					DEFAULT_UPCALL_RING, &cfg->upcall_ring_size);
	if (ret == 0 && !rte_is_power_of_2(cfg->upcall_ring_size))
		ret = json_field_error(ctx, "slow_path.upcall_ring_size",
				       "%u is not a power of two", cfg->upcall_ring_size);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "global_bucket", 1, 1u << 20,
					DEFAULT_GLOBAL_BUCKET, &cfg->global_bucket);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "tunnel_bucket", 1, 1u << 20,
					DEFAULT_TUNNEL_BUCKET, &cfg->tunnel_bucket);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "vport_bucket", 1, 1u << 20,
					DEFAULT_VPORT_BUCKET, &cfg->vport_bucket);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "mac_table_size", 64, 1u << 24,
					DEFAULT_MAC_TABLE, &cfg->mac_table_size);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "arp_table_size", 64, 1u << 20,
					DEFAULT_ARP_TABLE, &cfg->arp_table_size);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "conntrack_size", 64, 1u << 24,
					DEFAULT_CONNTRACK_TABLE, &cfg->conntrack_size);
	if (ret == 0)
		ret = load_section_uint(ctx, sp, "slow_path", "conntrack_idle_s", 1, 86400,
					CT_IDLE_DEFAULT_S, &cfg->conntrack_idle_s);
	json_decref(sp);
	return ret;
}

/* The control section: the command socket's path and the group that may connect. */
static int
load_control(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"socket", "group", NULL};
	/* sun_path: 108 bytes with the NUL. */
	const size_t sun_path_len = sizeof(((struct sockaddr_un *)0)->sun_path);
	json_t *ctl;
	int ret;

	if ((ret = section_object(ctx, root, "control", &ctl)) != 0)
		return ret;
	ret = json_field_only(ctx, ctl, "control", fields);
	if (ret == 0)
		ret = json_field_string(ctx, ctl, "control", "socket", DEFAULT_CONTROL_SOCKET, false,
					cfg->control_socket, sizeof(cfg->control_socket));
	if (ret == 0 && cfg->control_socket[0] != '/')
		ret = json_field_error(ctx, "control.socket", "\"%s\" is not an absolute path",
				       cfg->control_socket);
	if (ret == 0 && strlen(cfg->control_socket) >= sun_path_len)
		ret = json_field_error(ctx, "control.socket", "\"%s\" is longer than %zu bytes",
				       cfg->control_socket, sun_path_len - 1);
	if (ret == 0)
		ret = json_field_string(ctx, ctl, "control", "group", "", false,
					cfg->control_group, sizeof(cfg->control_group));
	if (ret == 0 && cfg->control_group[0] != '\0' && getgrnam(cfg->control_group) == NULL)
		ret = json_field_error(ctx, "control.group", "no group \"%s\" on this host",
				       cfg->control_group);
	json_decref(ctl);
	return ret;
}

/* An absolute path of at most CONFIG_PATH_LEN - 8 bytes (room for ".tmp"), or "" when absent. */
static int
section_path(struct json_ctx *ctx, json_t *r, const char *section, const char *key, char *out)
{
	char field[48];
	int ret;

	snprintf(field, sizeof(field), "%s.%s", section, key);
	ret = json_field_string(ctx, r, section, key, "", false, out, CONFIG_PATH_LEN);
	if (ret == 0 && out[0] != '\0' && out[0] != '/')
		ret = json_field_error(ctx, field, "\"%s\" is not an absolute path", out);
	if (ret == 0 && strlen(out) >= CONFIG_PATH_LEN - 8)
		ret = json_field_error(ctx, field, "longer than %d bytes", CONFIG_PATH_LEN - 9);
	return ret;
}

/* The restart section: where state is kept across a stop and start, where the pid goes. */
static int
load_restart(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"state_file", "pid_file", NULL};
	json_t *r;
	int ret;

	if ((ret = section_object(ctx, root, "restart", &r)) != 0)
		return ret;
	ret = json_field_only(ctx, r, "restart", fields);
	if (ret == 0)
		ret = section_path(ctx, r, "restart", "state_file", cfg->state_file);
	if (ret == 0)
		ret = section_path(ctx, r, "restart", "pid_file", cfg->pid_file);
	json_decref(r);
	return ret;
}

/* The events section: the file the event log (util/event_log.h) is appended to. */
static int
load_events(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"file", NULL};
	json_t *r;
	int ret;

	if ((ret = section_object(ctx, root, "events", &r)) != 0)
		return ret;
	ret = json_field_only(ctx, r, "events", fields);
	if (ret == 0)
		ret = section_path(ctx, r, "events", "file", cfg->events_file);
	json_decref(r);
	return ret;
}

/*
 * The metrics section: where the Prometheus endpoint listens.  Without it
 * nothing listens: counters are not published on a network unless asked.
 * The address defaults to loopback, as node_exporter's does not, because
 * kairod's counters name the tenants' ports.
 */
static int
load_metrics(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	static const char *const fields[] = {"address", "port", NULL};
	unsigned char addr[sizeof(struct in6_addr)];
	uint32_t port = 0;
	json_t *m;
	int ret;

	if (json_object_get(root, "metrics") == NULL)
		return 0;
	if ((ret = section_object(ctx, root, "metrics", &m)) != 0)
		return ret;
	ret = json_field_only(ctx, m, "metrics", fields);
	if (ret == 0)
		ret = json_field_string(ctx, m, "metrics", "address", "127.0.0.1", false,
					cfg->metrics_address, sizeof(cfg->metrics_address));
	if (ret == 0 && inet_pton(AF_INET, cfg->metrics_address, addr) != 1 &&
	    inet_pton(AF_INET6, cfg->metrics_address, addr) != 1)
		ret = json_field_error(ctx, "metrics.address",
				       "\"%s\" is not an IPv4 or IPv6 address (a name is not looked up)",
				       cfg->metrics_address);
	if (ret == 0 && json_object_get(m, "port") == NULL)
		ret = json_field_error(ctx, "metrics.port", "missing: the TCP port to serve /metrics "
				       "on (Prometheus exporters use 9100-9999)");
	if (ret == 0)
		ret = load_section_uint(ctx, m, "metrics", "port", 1, 65535, 0, &port);
	cfg->metrics_port = (uint16_t)port;
	json_decref(m);
	return ret;
}

/*
 * "physical_networks": {"physnet1": "up0"}: the physical networks provider
 * bridges reach, each through a port of this configuration (Neutron's
 * bridge_mappings = physnet1:br-ex; topology/topology_provider.c).
 */
static int
load_physnets(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	const json_t *jn = json_object_get(root, "physical_networks"), *v;
	char path[CONFIG_NAME_LEN + 32];
	const char *name;
	unsigned int i;

	if (jn == NULL)
		return 0;
	if (!json_is_object(jn))
		return json_field_error(ctx, "physical_networks", "must be an object "
					"(\"physnet1\": \"<port name>\")");
	if (json_object_size(jn) > CONFIG_PHYSNETS_MAX)
		return json_field_error(ctx, "physical_networks", "at most %d", CONFIG_PHYSNETS_MAX);
	json_object_foreach((json_t *)jn, name, v) {
		snprintf(path, sizeof(path), "physical_networks.%s", name);
		if (name[0] == '\0' || strlen(name) >= CONFIG_NAME_LEN)
			return json_field_error(ctx, path, "a name of 1 to %d characters",
						CONFIG_NAME_LEN - 1);
		if (!json_is_string(v))
			return json_field_error(ctx, path, "must be a port name (a string)");
		for (i = 0; i < cfg->n_ports; i++)
			if (strcmp(cfg->ports[i].name, json_string_value(v)) == 0)
				break;
		if (i == cfg->n_ports)
			return json_field_error(ctx, path, "\"%s\" is not the name of a port in "
						"\"ports\"", json_string_value(v));
		snprintf(cfg->physnets[cfg->n_physnets].name, CONFIG_NAME_LEN, "%s", name);
		snprintf(cfg->physnets[cfg->n_physnets].port, CONFIG_NAME_LEN, "%s",
			 json_string_value(v));
		cfg->n_physnets++;
	}
	return 0;
}

/* The ports array, then the underlay section, which names uplink ports. */
static int
load_ports(struct json_ctx *ctx, json_t *root, struct kairo_config *cfg)
{
	const char *names[RTE_MAX_ETHPORTS];
	bool uplink[RTE_MAX_ETHPORTS];
	json_t *jports, *jp;
	size_t i;
	int ret;

	if ((ret = json_field_array(ctx, root, "", "ports", true, &jports)) != 0)
		return ret;
	if (json_array_size(jports) == 0 || json_array_size(jports) > RTE_MAX_ETHPORTS)
		return json_field_error(ctx, "ports", "must list 1 to %d ports", RTE_MAX_ETHPORTS);
	json_array_foreach(jports, i, jp) {
		if ((ret = load_port(ctx, jp, i, &cfg->ports[i], cfg)) != 0)
			return ret;
		cfg->n_ports++;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		names[i] = cfg->ports[i].name;
		uplink[i] = cfg->ports[i].role == PORT_ROLE_UPLINK;
	}
	if ((ret = load_physnets(ctx, root, cfg)) != 0 ||
	    (ret = underlay_config_load(ctx, root, names, uplink, cfg->n_ports,
					&cfg->underlay)) != 0)
		return ret;
	/* The underlay's interface takes tunnel packets only: no provider network's frames. */
	for (i = 0; cfg->underlay.enabled && i < cfg->n_physnets; i++)
		if (strcmp(cfg->physnets[i].port, cfg->underlay.interface) == 0) {
			char path[CONFIG_NAME_LEN + 32];

			snprintf(path, sizeof(path), "physical_networks.%s", cfg->physnets[i].name);
			return json_field_error(ctx, path, "\"%s\" is the underlay's interface "
						"(tunnels only)", cfg->physnets[i].port);
		}
	return 0;
}

/* The whole configuration, section by section, in the order the errors are reported. */
static int
config_parse(struct json_ctx *ctx_, json_t *root, struct kairo_config *cfg)
{
	static const char *const top[] = {"host", "host_id", "underlay", "topology_file",
					  "zookeeper_hosts", "zookeeper", "redis",
					  "workers", "mbufs", "worker_sleep_max_us", "vxlan_port", "flow_cache",
					  "slow_path", "control", "restart", "events", "metrics", "ports",
					  "physical_networks", NULL};
	struct json_ctx ctx = *ctx_;
	char topo[CONFIG_PATH_LEN];
	int ret;

	topo[0] = '\0';
	if ((ret = json_field_only(&ctx, root, "", top)) != 0 ||
	    (ret = load_top(&ctx, root, cfg, topo, sizeof(topo))) != 0 ||
	    (ret = resolve_topology_file(&ctx, cfg, topo)) != 0 ||
	    (ret = load_flow_cache(&ctx, root, cfg)) != 0 ||
	    (ret = load_slow_path(&ctx, root, cfg)) != 0 ||
	    (ret = load_control(&ctx, root, cfg)) != 0 ||
	    (ret = load_restart(&ctx, root, cfg)) != 0 ||
	    (ret = load_events(&ctx, root, cfg)) != 0 ||
	    (ret = load_metrics(&ctx, root, cfg)) != 0)
		return ret;
	return load_ports(&ctx, root, cfg);
}
