/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairod: start-up, the control thread's wait loop, and an orderly shutdown.
 *
 *   kairod [EAL options] -- --config FILE [--stats-json FILE] [--check-config]
 *   kairod --version
 *
 * The configuration and the topology are read and checked, and the instance
 * lock taken, before EAL starts: a bad file, or another kairod on the same
 * control socket, is refused without touching a device.  SIGUSR1 prints the
 * datapath view with its flows (and writes --stats-json); SIGHUP, or a
 * change in the topology store (an edit through kairoctl, a ZooKeeper watch),
 * reads the store's document again and applies what changed (SIGHUP also the
 * config file's ports: dataplane/port_runtime.c); SIGINT/SIGTERM stop the
 * daemon, after the packets already inside it have left.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctl_commands.h"
#include "dataplane.h"
#include "event_log.h"
#include "kairo_version.h"
#include "mbuf_pools.h"
#include "metrics.h"
#include "topology_json.h"
#include "underlay.h"
#include "topology_store.h"
#include "topology_store_file.h"
#include "shared_state.h"
#include "zk_store.h"

RTE_LOG_REGISTER(kairo_logtype_dataplane, kairo.dataplane, INFO);

/* Wait at most this long at shutdown for packets in the slow path to come out. */
#define SHUTDOWN_DRAIN_MS 2000
#define CONTROL_TICK_MS 20

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t dump_signal;
static volatile sig_atomic_t reload_signal;
/* The Prometheus endpoint (control/metrics.h), when configured. */
static struct metrics_server *metrics;

struct app_options {
	const char *config;
	const char *stats_json;
	bool check_only;
};

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump_signal = 1;
	else if (sig == SIGHUP)
		reload_signal = 1;
	else
		quit_signal = 1;
}

/*
 * First thing in main: SIGHUP and SIGUSR1 terminate a process by default, so
 * a reload or a dump asked for while kairod is still starting (reading its
 * files, waiting for ZooKeeper, inside EAL's initialisation) would kill it.
 * The handler only sets a flag, acted on once serve() runs.  SIGINT and
 * SIGTERM keep their default until EAL is up (start()): before that there is
 * nothing to undo, and a start waiting for ZooKeeper must stay stoppable.
 */
static void
catch_early_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* A server (Redis, a kairoctl client) gone mid-write is an error to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
}

/* A start that stops here: said on stderr, and to the kairod that restarts into this one. */
static void
refuse(const char *err)
{
	fprintf(stderr, "kairod: %s\n", err);
	dp_handover_error(err);
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- --config FILE [--stats-json FILE] [--check-config]\n"
		"       %s --version\n"
		"  --config FILE      daemon configuration (JSON, see config/README.md)\n"
		"  --stats-json FILE  write the datapath view as JSON on SIGUSR1 and at exit\n"
		"  --check-config     check the configuration and topology, then exit\n",
		prog, prog);
}

static int
parse_app_args(int argc, char **argv, struct app_options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"stats-json", required_argument, NULL, 's'},
		{"check-config", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:kh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->stats_json = optarg;
			break;
		case 'k':
			o->check_only = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || o->config == NULL)
		return -EINVAL;
	return 0;
}

unsigned int
dp_local_interfaces(const struct kairo_dp *dp, bool probed, struct local_interface *ifs)
{
	unsigned int i, n = 0;

	for (i = 0; i < dp->cfg.n_ports; i++) {
		if (probed ? !dp->ports[i].in_use : dp->cfg.ports[i].name[0] == '\0')
			continue;
		ifs[n].name = dp->cfg.ports[i].name;
		ifs[n].dpdk_port = probed ? dp->ports[i].id : (uint16_t)i;
		ifs[n].link_down = probed && !dp->ports[i].link_up;
		n++;
	}
	return n;
}

/*
 * The topology's store: the embedded file store for now.  The NSDB store
 * goes here too, opened instead when the config names ZooKeeper hosts.
 */
/*
 * The NSDB store (zookeeper_hosts in the config): waits for ZooKeeper as
 * configured, registers this host with its ports as interfaces, and takes
 * the central configuration (default template, this host's overrides) over
 * the local file's sizes before anything is built with them.
 */
static int
open_zk_store(struct kairo_dp *dp, char *err, size_t errlen)
{
	struct zk_store_config zc = {
		.session_timeout_ms = dp->cfg.zk_session_timeout_ms,
		.start_wait_s = dp->cfg.zk_start_wait_s,
	};
	json_t *ifs = dp_interfaces_json(dp), *central;
	int ret;

	snprintf(zc.hosts, sizeof(zc.hosts), "%s", dp->cfg.zk_hosts);
	snprintf(zc.root, sizeof(zc.root), "%s", dp->cfg.zk_root);
	snprintf(zc.host_id, sizeof(zc.host_id), "%s", dp->cfg.host_id);
	snprintf(zc.host_name, sizeof(zc.host_name), "%s", dp->cfg.host);
	snprintf(zc.digest, sizeof(zc.digest), "%s", dp->cfg.zk_digest);
	zc.interfaces = ifs;
	dp->store = zk_store_open(&zc, &dp->store_changed, err, errlen);
	json_decref(ifs);
	if (dp->store == NULL)
		return -EINVAL;
	snprintf(dp->topo_source, sizeof(dp->topo_source), "%s", zk_store_source(dp->store));
	central = zk_store_central_config(dp->store, err, errlen);
	ret = central ? config_apply_central(&dp->cfg, central, dp->topo_source, err, errlen) :
			-EINVAL;
	if (ret == 0 && json_object_size(central) > 0)
		DP_LOG(INFO, "central configuration from %s/config applied", dp->cfg.zk_root);
	json_decref(central);
	if (ret != 0) {
		dp->store->ops->close(dp->store);
		dp->store = NULL;
	}
	return ret;
}

static int
open_store(struct kairo_dp *dp, char *err, size_t errlen)
{
	if (dp->cfg.zk_hosts[0] != '\0')
		return open_zk_store(dp, err, errlen);
	dp->store = topology_store_file_open(dp->cfg.topology_file, &dp->store_changed, err,
					     errlen);
	if (dp->store == NULL)
		return -EINVAL;
	snprintf(dp->topo_source, sizeof(dp->topo_source), "%s", dp->cfg.topology_file);
	return 0;
}

/* Runs on the simulation thread (or after it stopped): the only place that may walk the flows. */
static void
dump_views(void *arg, FILE *out)
{
	struct kairo_dp *dp = arg;
	char tmp[CONFIG_PATH_LEN + 8];
	FILE *f;

	datapath_view_print(dp, out, true);
	fflush(out);
	if (dp->stats_json == NULL)
		return;
	/* Write then rename, so a reader never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", dp->stats_json);
	f = fopen(tmp, "w");
	if (f == NULL) {
		DP_LOG(ERR, "cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	datapath_view_json(dp, f);
	fclose(f);
	rename(tmp, dp->stats_json);
}

static int
setup_workers(struct kairo_dp *dp, char *err, size_t errlen)
{
	unsigned int lcore, i = 0;
	uint16_t p;
	int ret;

	dp->n_workers = dp->cfg.workers;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct worker *w;

		if (i == dp->n_workers)
			break;
		w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       rte_lcore_to_socket_id(lcore));
		if (w == NULL) {
			snprintf(err, errlen, "out of memory for worker %u", i);
			return -ENOMEM;
		}
		w->index = i;
		w->lcore_id = lcore;
		w->sleep_max_us = dp->cfg.worker_sleep_max_us;
		w->parse.vxlan_udp_port = dp->cfg.vxlan_port;
		w->underlay_port = dp_underlay_port(dp);
		w->cache = dp->cache;
		w->qsbr = flow_cache_qsbr(dp->cache);
		w->upcall = dp->upcall;
		/* Flood and decap copies: from the memory of the socket that makes them. */
		w->pool = dp_mbuf_pool(dp, (int)rte_lcore_to_socket_id(lcore));
		w->control = &dp->control;
		dp->workers[i++] = w;
	}
	/* RX queues round-robin over the workers; every worker can send on every port. */
	for (p = 0; p < dp->n_ports; p++)
		if ((ret = dp_poll_assign(dp, &dp->ports[p], err, errlen)) != 0)
			return ret;
	if (dp_poll_publish(dp) != 0) {
		snprintf(err, errlen, "out of memory for the workers' poll lists");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Shared state in Redis: the rings, the simulation's side, and the thread
 * that connects (and keeps reconnecting) by itself: Redis away at start
 * does not stop the start, forwarding runs on local state meanwhile.
 */
static int
setup_shared_state(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	if (state_sync_create(&dp->state_sync, "state", dp->cfg.redis_queue, socket) != 0) {
		snprintf(err, errlen, "%s: redis.queue: cannot create rings of %u records",
			 dp->cfg.file, dp->cfg.redis_queue);
		return -ENOMEM;
	}
	dp->state_sync.ttl_ms = dp->cfg.redis_ttl_s * 1000;
	dp->state_sync.mac_ttl_ms = dp->cfg.redis_ttl_s * 1000;
	dp->state_sync.wait_ms = dp->cfg.redis_wait_ms;
	dp->shared = sim_shared_create(&dp->state_sync, dp->cfg.host_id);
	if (dp->shared == NULL) {
		snprintf(err, errlen, "cannot allocate the shared state's tables");
		return -ENOMEM;
	}
	dp->redis = redis_state_start(&dp->cfg.redis, &dp->state_sync, err, errlen);
	if (dp->redis == NULL)
		return -ENOMEM;
	DP_LOG(INFO, "shared state in redis %s (prefix \"%s\", ttl %u s)",
	       redis_state_address(dp->redis), dp->cfg.redis.prefix, dp->cfg.redis_ttl_s);
	return 0;
}

/* The simulation thread, handed the tables, the first snapshot and the overlay; not started. */
static int
setup_simulation(struct kairo_dp *dp, char *err, size_t errlen)
{
	struct sim_config sc = {
		.index = 0,
		.upcall = dp->upcall,
		.cache = dp->cache,
		.macs = dp->macs,
		.arps = dp->arps,
		.ct = dp->conns,
		.pool = dp->pool,
		.vxlan_udp_port = dp->cfg.vxlan_port,
		.topo = dp->topo,
		.overlay = dp->overlay,
		.shared = dp->shared,
		.dump_fn = dump_views,
		.dump_arg = dp,
	};

	dp->sim = sim_thread_create(&sc);
	if (dp->sim == NULL) {
		snprintf(err, errlen, "cannot create the simulation thread: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	/* From here on the simulation thread owns the snapshot and the shared-state side. */
	dp->topo = NULL;
	dp->shared = NULL;
	return 0;
}

static int
setup_dataplane(struct kairo_dp *dp, char *err, size_t errlen)
{
	int socket = (int)rte_socket_id();
	unsigned int i;
	int ret;

	/* Checked before anything is allocated: the cheap mistakes are named first. */
	if (rte_lcore_count() < dp->cfg.workers + 1) {
		snprintf(err, errlen,
			 "%s: workers: %u worker lcores asked for, but EAL has %u lcore(s) besides "
			 "the main one (give more with -l)",
			 dp->cfg.file, dp->cfg.workers, rte_lcore_count() - 1);
		return -EINVAL;
	}
	dp->n_workers = dp->cfg.workers;
	/* Before any port: a size that cannot be had is refused with no device touched. */
	if ((ret = dp_tables_create(dp, socket, err, errlen)) != 0)
		return ret;
	/* Restarted by `kairoctl restart`: the old process lets go of the ports now. */
	if ((ret = dp_handover_prepared(dp, err, errlen)) != 0)
		return ret;
	/* A plain start after a stop with restart.state_file: the ports kairoctl had added. */
	if (!dp_handover_child())
		dp_state_file_ports(dp);
	for (i = 0; i < dp->cfg.n_ports; i++)
		if ((ret = dp_port_open(dp, (uint16_t)i, err, errlen)) != 0)
			return ret;
	for (i = 0; i < dp->n_ports; i++)
		dp_interface_event("DETECT", &dp->ports[i]);
	/* Bindings name the ports by their DPDK ids, known only now. */
	dp->topo = dp_topology_load_doc(dp, true, &dp->doc, err, errlen);
	if (dp->topo == NULL)
		return -EINVAL;
	dp->topo_version = 1;
	dp_bindings_record(dp, dp->topo);
	for (i = 0; i < dp->n_ports; i++)
		upcall_channel_set_port(dp->upcall, dp->ports[i].id,
					dp->ports[i].cfg->role == PORT_ROLE_UPLINK ? PORT_BUCKET_TUNNEL
										   : PORT_BUCKET_VPORT,
					&dp->upcall_cfg);
	if (dp->cfg.redis_enabled && (ret = setup_shared_state(dp, socket, err, errlen)) != 0)
		return ret;
	if ((ret = dp_underlay_setup(dp, err, errlen)) != 0)
		return ret;
	if ((ret = setup_simulation(dp, err, errlen)) != 0)
		return ret;
	return setup_workers(dp, err, errlen);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Packets still inside: in the slow path (tokens out) or waiting for a worker to send them. */
bool
dp_drained(const struct kairo_dp *dp)
{
	unsigned int i;

	if (__atomic_load_n(&dp->upcall->global.tokens, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&dp->upcall->global.size, __ATOMIC_RELAXED))
		return false;
	/* Followers hold no tokens (pipeline/upcall.h): one still queued up is inside too. */
	for (i = 0; i < dp->upcall->n_sim; i++)
		if (rte_ring_count(dp->upcall->to_sim[i]) != 0)
			return false;
	for (i = 0; i < dp->n_workers; i++)
		if (rte_ring_count(dp->upcall->to_worker[i]) != 0)
			return false;
	return true;
}

static void
teardown(struct kairo_dp *dp)
{
	unsigned int i;

	dp_ports_close(dp);
	dp_poll_free(dp);
	free(dp->bindings);
	dp->bindings = NULL;
	redis_state_stop(dp->redis);
	/* First: the flows it tracks go with the cache, and it no longer hears of them. */
	sim_thread_destroy(dp->sim);
	dp->sim = NULL;
	sim_shared_destroy(dp->shared);
	if (dp->state_sync.writes != NULL)
		state_sync_destroy(&dp->state_sync);
	for (i = 0; i < dp->n_workers; i++)
		rte_free(dp->workers[i]);
	upcall_channel_destroy(dp->upcall);
	mac_table_destroy(dp->macs);
	arp_table_destroy(dp->arps);
	conntrack_destroy(dp->conns);
	dp_underlay_teardown(dp);
	flow_cache_destroy(dp->cache);
	topology_free(dp->topo);
	json_decref(dp->doc);
	dp->doc = NULL;
	dp_mbuf_pools_free(dp);
	if (dp->store != NULL)
		dp->store->ops->close(dp->store);
	dp->store = NULL;
}

/* The event log's file (events.file), if any: at start, and again on SIGHUP (log rotation). */
static int
events_open(const struct kairo_dp *dp, char *err, size_t errlen)
{
	int ret;

	if (dp->cfg.events_file[0] == '\0')
		return 0;
	ret = event_log_open(dp->cfg.events_file);
	if (ret != 0)
		snprintf(err, errlen, "%.256s: events.file: cannot open %s: %s", dp->cfg.file,
			 dp->cfg.events_file, strerror(-ret));
	return ret;
}

/*
 * Before EAL: the arguments, the configuration, the instance lock, the store
 * and its topology, all checked, so a bad file or a second daemon is refused
 * without touching a device.  The lock stays held (main lets it go).  Returns
 * the index of "--" in argv (where EAL's arguments end), or -(exit status):
 * -2 for a usage error, -1 for a refused file, 0 for --check-config done.
 */
static int
prepare(int argc, char **argv, struct kairo_dp *dp)
{
	struct app_options opt = {0};
	struct topology *check;
	char err[1024];
	int sep;

	/* Application arguments follow "--"; read them first so a bad config never starts EAL. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc || parse_app_args(argc - sep, argv + sep, &opt) != 0) {
		usage(argv[0]);
		return -2;
	}
	if (config_load(opt.config, &dp->cfg, err, sizeof(err)) != 0) {
		refuse(err);
		return -1;
	}
	/* SIGHUP compares the file with this (port_runtime.c): taken before ZooKeeper's part. */
	dp->file_cfg = dp->cfg;
	/*
	 * --check-config may run beside the daemon whose files it checks; a start
	 * may not.  The lock comes before the store (a ZooKeeper registration would
	 * replace the running daemon's) and before EAL (whose ports would take the
	 * other's devices and truncate its capture files).
	 */
	if (!opt.check_only && dp_lock_take(dp, err, sizeof(err)) != 0) {
		refuse(err);
		return -1;
	}
	/* Before the store: ZooKeeper's CONNECT is an event already. */
	if (!opt.check_only && events_open(dp, err, sizeof(err)) != 0) {
		refuse(err);
		return -1;
	}
	/* Every snapshot is built for this host: its bindings are local, the others' remote. */
	topology_hosts_set_local(dp->cfg.host_id,
				 dp->cfg.underlay.enabled ? dp->cfg.underlay.ip : 0);
	/* And for its physical networks (provider bridges). */
	{
		const char *names[CONFIG_PHYSNETS_MAX], *ports[CONFIG_PHYSNETS_MAX];
		unsigned int i;

		for (i = 0; i < dp->cfg.n_physnets; i++) {
			names[i] = dp->cfg.physnets[i].name;
			ports[i] = dp->cfg.physnets[i].port;
		}
		topology_physnets_set_local(names, ports, dp->cfg.n_physnets);
	}
	if (open_store(dp, err, sizeof(err)) != 0) {
		refuse(err);
		return -1;
	}
	check = dp_topology_load(dp, false, err, sizeof(err));
	if (check == NULL) {
		refuse(err);
		dp->store->ops->close(dp->store);
		return -1;
	}
	topology_free(check);
	if (opt.check_only) {
		printf("kairod: %s and %s are valid\n", opt.config, dp->topo_source);
		dp->store->ops->close(dp->store);
		return 0;
	}
	dp->stats_json = opt.stats_json;
	return sep;
}

/*
 * EAL, the ports, the tables, the simulation thread and the command server;
 * then the workers.  0, or 1 with the reason printed and everything undone.
 */
static int
start(struct kairo_dp *dp, int eal_argc, char **argv, struct ctl_server **ctl)
{
	const struct topology *t;
	unsigned int w;
	char err[1024];
	int ret;

	dp_service_init();
	if (rte_eal_init(eal_argc, argv) < 0) {
		snprintf(err, sizeof(err), "EAL initialisation failed: %s", rte_strerror(rte_errno));
		refuse(err);
		return 1;
	}
	/* From here on a stop undoes what was built (SIGHUP and SIGUSR1: catch_early_signals). */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (setup_dataplane(dp, err, sizeof(err)) != 0) {
		refuse(err);
		goto undo;
	}
	dp->start_tsc = rte_get_tsc_cycles();
	/* Read before the thread runs: from then on the snapshot is its own. */
	t = sim_thread_topology(dp->sim);
	DP_LOG(INFO, "forwarding: %u port(s), %u worker(s), %u bridge(s), %u router(s), flow cache %u",
	       dp->n_ports, dp->n_workers, t->n_bridges, t->n_routers, dp->cfg.flow_capacity);
	dp_restore_state(dp);
	if ((ret = sim_thread_start(dp->sim)) != 0) {
		fprintf(stderr, "kairod: cannot start the simulation thread: %s\n", strerror(-ret));
		goto undo;
	}
	dp_handover_take_socket(dp);
	*ctl = ctl_server_start(dp->cfg.control_socket, dp->cfg.control_group, ctl_commands(), dp,
				err, sizeof(err));
	if (*ctl == NULL) {
		fprintf(stderr, "kairod: %s: %s\n", dp->cfg.file, err);
		sim_thread_stop(dp->sim);
		goto undo;
	}
	if (dp->cfg.metrics_port != 0) {
		metrics = metrics_server_start(dp, err, sizeof(err));
		if (metrics == NULL) {
			fprintf(stderr, "kairod: %s: %s\n", dp->cfg.file, err);
			ctl_server_stop(*ctl);
			sim_thread_stop(dp->sim);
			goto undo;
		}
		DP_LOG(INFO, "metrics: http://%s%s%s:%u/metrics", strchr(dp->cfg.metrics_address, ':')
		       ? "[" : "", dp->cfg.metrics_address, strchr(dp->cfg.metrics_address, ':') ? "]"
		       : "", dp->cfg.metrics_port);
	}
	/* Without the telemetry socket (--no-telemetry) this only registers what nobody asks. */
	if ((ret = telemetry_register(dp)) != 0)
		DP_LOG(WARNING, "telemetry commands not registered: %s", strerror(-ret));
	dp->control.rx_enabled = true;
	for (w = 0; w < dp->n_workers; w++)
		rte_eal_remote_launch(worker_main, dp->workers[w], dp->workers[w]->lcore_id);
	printf("kairod: ready\n");
	fflush(stdout);
	/* Before the old process hears of us: systemd must know the new MAINPID before it exits. */
	dp_service_ready(dp);
	dp_handover_running(dp);
	dp_pid_file_write(dp);
	return 0;
undo:
	teardown(dp);
	rte_eal_cleanup();
	return 1;
}

/* The control thread's wait loop: signals and the store's changed flag, until told to stop. */
static void
serve(struct kairo_dp *dp)
{
	bool store_changed, must_stop;
	char err[1024];

	while (!quit_signal) {
		sleep_ms(CONTROL_TICK_MS);
		if (dp_handover_serve(dp, &must_stop) && must_stop)
			break;
		if (dump_signal) {
			dump_signal = 0;
			sim_thread_request_dump(dp->sim, stdout);
		}
		/*
		 * SIGHUP also reads the config file's ports again (port_runtime.c)
		 * and opens the event log's file anew (after logrotate moved it).
		 */
		if (reload_signal) {
			dp_ports_reread_config(dp);
			if (events_open(dp, err, sizeof(err)) != 0)
				DP_LOG(ERR, "%s; the old file stays in use", err);
		}
		/* Both read the store's document again; one reload serves both. */
		store_changed = __atomic_exchange_n(&dp->store_changed, 0, __ATOMIC_ACQUIRE) != 0;
		if (reload_signal || store_changed) {
			reload_signal = 0;
			dp_topology_reload(dp, store_changed ? "the store changed" : "SIGHUP");
		}
		if (store_changed && dp->cfg.zk_hosts[0] != '\0' &&
		    zk_store_config_changed(dp->store))
			dp_central_config_reload(dp);
		dp_ports_link_tick(dp);
		dp_service_tick(dp);
	}
}

/* Stop taking packets in, let the ones inside reach their ports, then stop everything. */
static void
stop(struct kairo_dp *dp, struct ctl_server *ctl)
{
	unsigned int waited;

	dp_service_stopping(dp_handed_over(), dp_handed_over() ? "handed over" : "asked to stop");
	ctl_server_stop(ctl);
	metrics_server_stop(metrics);
	__atomic_store_n(&dp->control.rx_enabled, false, __ATOMIC_RELAXED);
	for (waited = 0; waited < SHUTDOWN_DRAIN_MS && !dp_drained(dp);
	     waited += CONTROL_TICK_MS)
		sleep_ms(CONTROL_TICK_MS);
	sim_thread_stop(dp->sim);
	sleep_ms(CONTROL_TICK_MS); /* workers send what the simulation's last pass handed them */
	__atomic_store_n(&dp->control.quit, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	/* Handed over: the new process has the state and runs; nothing is kept here. */
	if (!dp_handed_over())
		dp_state_file_save(dp);

	printf("kairod: stopping\n");
	dump_views(dp, stdout);
	teardown(dp);
	rte_eal_cleanup();
}

int
main(int argc, char **argv)
{
	static struct kairo_dp dp = {.lock = {.fd = -1}, .ports_lock = PTHREAD_MUTEX_INITIALIZER};
	struct ctl_server *ctl;
	int eal_argc, status = 0;

	catch_early_signals();
	/* Before anything else: a package's tests and an operator ask it without a config. */
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("kairod %s\n", KAIRO_VERSION);
		return 0;
	}
	eal_argc = prepare(argc, argv, &dp);
	if (eal_argc <= 0) {
		status = -eal_argc;
	} else if (start(&dp, eal_argc, argv, &ctl) != 0) {
		status = 1;
	} else {
		serve(&dp);
		stop(&dp, ctl);
	}
	dp_pid_file_remove(&dp);
	dp_lock_leave(&dp);
	return status;
}
