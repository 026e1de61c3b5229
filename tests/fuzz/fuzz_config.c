/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the daemon's configuration file (dataplane/config.h).
 *
 * config_load reads a path, so each input is written to a file of the
 * harness's own on a tmpfs (/dev/shm when there is one) and loaded from
 * there.  An input that is a JSON object is also given to
 * config_apply_central as the NSDB's central configuration, over a local
 * file that loads (config/demo/kairod.json's shape, with an underlay and
 * Redis so that the merge reaches every section).
 *
 * Invariants checked: -EINVAL with a message that names the file, or 0 and a
 * configuration inside the limits config.c documents (counts, ranges, powers
 * of two, strings that end inside their arrays, unique port names, exactly
 * one topology source, an underlay on an uplink port); a central
 * configuration that is refused leaves the configuration untouched, and one
 * that is taken changes only what it may.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "config.h"
#include "flow_cache.h"
#include "fuzz.h"

#define ERR_LEN 512

/* A configuration that loads, under the central one: every section there to be merged into. */
static const char local_config[] =
	"{\"host\": \"host-a\", \"topology_file\": \"topology.json\", \"workers\": 1,"
	" \"mbufs\": 8191, \"flow_cache\": {\"capacity\": 4096, \"idle_timeout_ms\": 60000},"
	" \"slow_path\": {\"global_bucket\": 256, \"tunnel_bucket\": 128, \"vport_bucket\": 16},"
	" \"redis\": {\"host\": \"127.0.0.1\", \"port\": 6379},"
	" \"underlay\": {\"interface\": \"up\", \"address\": \"192.168.50.1/24\"},"
	" \"ports\": [{\"name\": \"up\", \"device\": \"net_null0\", \"role\": \"uplink\"},"
	"   {\"name\": \"vm1\", \"device\": \"net_tap0,iface=kairo-vm1\"}]}";

static char dir[64];
static char input_path[128];
static char local_path[128];
static struct kairo_config local;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size || size == 0);
	FUZZ_CHECK(fclose(f) == 0);
}

static void
remove_files(void)
{
	unlink(input_path);
	unlink(local_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[ERR_LEN];
	struct stat st;

	(void)argc;
	(void)argv;
	/* tmpfs: a file written and read per input stays in memory. */
	snprintf(dir, sizeof(dir), "%s/kairo-fuzz-config.XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(input_path, sizeof(input_path), "%s/kairod.json", dir);
	snprintf(local_path, sizeof(local_path), "%s/local.json", dir);
	atexit(remove_files);
	write_file(local_path, local_config, strlen(local_config));
	if (config_load(local_path, &local, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_config: the local configuration does not load: %s\n", err);
		exit(1);
	}
	return 0;
}

static bool
ends_inside(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define STR_OK(a) ends_inside((a), sizeof(a))

static bool
in_subnet(uint32_t ip, uint32_t net, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (rte_be_to_cpu_32(ip) & mask) == (rte_be_to_cpu_32(net) & mask);
}

static void
check_underlay(const struct kairo_config *c)
{
	const struct underlay_config *u = &c->underlay;
	unsigned int i;

	if (!u->enabled)
		return;
	FUZZ_CHECK(STR_OK(u->interface) && u->interface[0] != '\0');
	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, u->interface) == 0)
			break;
	FUZZ_CHECK(i < c->n_ports && c->ports[i].role == PORT_ROLE_UPLINK);
	FUZZ_CHECK(u->prefix_len >= 1 && u->prefix_len <= 30);
	FUZZ_CHECK(u->gateway == 0 || in_subnet(u->gateway, u->ip, u->prefix_len));
	FUZZ_CHECK(u->n_routes <= UNDERLAY_ROUTES_MAX && u->n_neighbours <= UNDERLAY_NEIGHBOURS_MAX);
	for (i = 0; i < u->n_routes; i++)
		FUZZ_CHECK(u->routes[i].len <= 32 &&
			   in_subnet(u->routes[i].gateway, u->ip, u->prefix_len));
	for (i = 0; i < u->n_neighbours; i++)
		FUZZ_CHECK(in_subnet(u->neighbours[i].ip, u->ip, u->prefix_len) &&
			   !(u->neighbours[i].mac[0] & 1));
}

/* What a configuration that loaded must be (config.c's limits). */
static void
check_config(const struct kairo_config *c)
{
	unsigned int i, j;

	FUZZ_CHECK(STR_OK(c->file) && STR_OK(c->host) && STR_OK(c->host_id));
	FUZZ_CHECK(STR_OK(c->topology_file) && STR_OK(c->control_socket));
	FUZZ_CHECK(STR_OK(c->control_group) && STR_OK(c->zk_hosts) && STR_OK(c->zk_root));
	FUZZ_CHECK(STR_OK(c->zk_digest) && c->host[0] != '\0' && c->host_id[0] != '\0');
	FUZZ_CHECK(c->workers >= 1 && c->workers <= KAIRO_MAX_WORKERS);
	FUZZ_CHECK(c->mbufs >= 1023 && c->mbufs <= 1u << 24);
	FUZZ_CHECK(c->vxlan_port != 0 && c->worker_sleep_max_us <= 100000);
	FUZZ_CHECK(c->flow_capacity >= 64 && c->flow_capacity <= 1u << 26);
	FUZZ_CHECK(c->sim_threads == 1);
	FUZZ_CHECK(rte_is_power_of_2(c->upcall_ring_size) && c->upcall_ring_size >= 64);
	FUZZ_CHECK(c->global_bucket >= 1 && c->tunnel_bucket >= 1 && c->vport_bucket >= 1);
	FUZZ_CHECK(c->mac_table_size >= 64 && c->arp_table_size >= 64 && c->conntrack_size >= 64);
	FUZZ_CHECK(c->conntrack_idle_s >= 1 && c->conntrack_idle_s <= 86400);
	/* The command socket: an absolute path that fits sun_path with its NUL. */
	FUZZ_CHECK(c->control_socket[0] == '/' &&
		   strlen(c->control_socket) < sizeof(((struct sockaddr_un *)0)->sun_path));
	/* The topology comes from one place: a file (beside the config if relative) or ZooKeeper. */
	FUZZ_CHECK((c->topology_file[0] != '\0') != (c->zk_hosts[0] != '\0'));
	if (c->topology_file[0] != '\0')
		FUZZ_CHECK(c->topology_file[0] == '/');
	if (c->zk_hosts[0] != '\0')
		FUZZ_CHECK(c->zk_root[0] == '/' && strstr(c->zk_root, "//") == NULL &&
			   strchr(c->host_id, '/') == NULL);
	if (c->redis_enabled) {
		FUZZ_CHECK(STR_OK(c->redis.host) && STR_OK(c->redis.prefix));
		FUZZ_CHECK(c->redis.host[0] != '\0' && c->redis.port != 0);
		FUZZ_CHECK(c->redis.prefix[0] != '\0' && strpbrk(c->redis.prefix, ": \t\r\n") == NULL);
		FUZZ_CHECK(strpbrk(c->host_id, "\"\\") == NULL);
		FUZZ_CHECK(rte_is_power_of_2(c->redis_queue));
	}
	FUZZ_CHECK(c->n_ports >= 1 && c->n_ports <= RTE_MAX_ETHPORTS);
	for (i = 0; i < c->n_ports; i++) {
		const struct port_config *p = &c->ports[i];

		FUZZ_CHECK(STR_OK(p->name) && STR_OK(p->devargs));
		FUZZ_CHECK(p->name[0] != '\0' && p->devargs[0] != '\0');
		FUZZ_CHECK(p->role == PORT_ROLE_VPORT || p->role == PORT_ROLE_UPLINK);
		FUZZ_CHECK(p->rx_queues >= 1 && p->rx_queues <= 64);
		FUZZ_CHECK(p->rx_desc >= 64 && p->tx_desc >= 64);
		FUZZ_CHECK(p->mtu == 0 || (p->mtu >= 68 && p->mtu <= 9600));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c->ports[j].name, p->name) != 0 &&
				   strcmp(c->ports[j].devargs, p->devargs) != 0);
	}
	check_underlay(c);
}

/* A refusal: -EINVAL and "SOURCE: ..." in err. */
static void
check_refusal(int ret, const char *err, const char *source)
{
	size_t n = strlen(source);

	FUZZ_CHECK(ret == -EINVAL);
	FUZZ_CHECK(strncmp(err, source, n) == 0 && strncmp(err + n, ": ", 2) == 0);
}

/*
 * The central part over the local file: refused, cfg is untouched; taken,
 * only the sections it may set have changed.
 */
static void
central_checked(const json_t *central)
{
	static struct kairo_config cfg, merged;
	char err[ERR_LEN];
	int ret;

	cfg = local;
	err[0] = '\0';
	ret = config_apply_central(&cfg, central, "central", err, sizeof(err));
	if (ret != 0) {
		check_refusal(ret, err, "central");
		FUZZ_CHECK(memcmp(&cfg, &local, sizeof(cfg)) == 0);
		return;
	}
	check_config(&cfg);
	/* Put back what the central part may set: what is left must be the local file's. */
	merged = cfg;
	merged.worker_sleep_max_us = local.worker_sleep_max_us;
	merged.vxlan_port = local.vxlan_port;
	merged.flow_capacity = local.flow_capacity;
	merged.flow_idle_timeout_ms = local.flow_idle_timeout_ms;
	merged.flow_hard_timeout_ms = local.flow_hard_timeout_ms;
	merged.sim_threads = local.sim_threads;
	merged.upcall_ring_size = local.upcall_ring_size;
	merged.global_bucket = local.global_bucket;
	merged.tunnel_bucket = local.tunnel_bucket;
	merged.vport_bucket = local.vport_bucket;
	merged.mac_table_size = local.mac_table_size;
	merged.arp_table_size = local.arp_table_size;
	merged.conntrack_size = local.conntrack_size;
	merged.conntrack_idle_s = local.conntrack_idle_s;
	merged.redis_enabled = local.redis_enabled;
	merged.redis = local.redis;
	merged.redis_ttl_s = local.redis_ttl_s;
	merged.redis_wait_ms = local.redis_wait_ms;
	merged.redis_queue = local.redis_queue;
	FUZZ_CHECK(memcmp(&merged, &local, sizeof(merged)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kairo_config cfg;
	char err[ERR_LEN];
	json_t *doc;
	int ret;

	write_file(input_path, data, size);
	err[0] = '\0';
	ret = config_load(input_path, &cfg, err, sizeof(err));
	if (ret == 0)
		check_config(&cfg);
	else
		check_refusal(ret, err, input_path);

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(doc))
		central_checked(doc);
	json_decref(doc);
	return 0;
}
