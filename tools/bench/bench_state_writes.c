/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State write-behind benchmark: how many records per second the state store
 * thread (nsdb/redis_state.c) takes from the write ring and has Redis
 * acknowledge, with the keys and values a simulation writes.
 *
 * This program stands where the simulation stands: it creates the rings
 * (state_sync_create), starts the store thread (redis_state_start) on a
 * Redis the script started, and enqueues --records writes, each a new
 * tuple: NAT bindings (STATE_WRITE_NAT, filed under both keys: two SETs)
 * and connections (STATE_WRITE_CONN, one SET), --nat-percent of them NAT,
 * interleaved.  It enqueues as fast as the ring takes them; on a full ring
 * it sleeps a little and tries again (the simulation would lose the write
 * and count it; here every write must arrive, and spinning would take a
 * core from the store thread or Redis on a two-core guest).  The window
 * runs from the first enqueue to the moment redis_state_stats_read counts
 * every SET acknowledged.  Any write error, dropped write or disconnect
 * fails the run: its figure would not be the store's.
 *
 * Printed: records/s and SETs/s, SETs per pipeline, and the CPU seconds of
 * the store thread and of this (producer) thread over the window, so a
 * reader can tell whether the client side or Redis is the limit.
 *
 * With --plan (no EAL, no Redis) it prints what a run would send: SET
 * count, mean key and value sizes (for redis-benchmark's -d), and the CPU
 * cost per SET of formatting alone, done the way redis_state.c does it:
 * state_key_ct and state_value_ct per SET, then hiredis's command
 * formatting (what redisAppendCommand does before any I/O), and beside it
 * hiredis's argv formatting, which takes the lengths instead of a format.
 *
 *   bench_state_writes [EAL args] -- --port P [--records N] [--nat-percent P] ...
 *   bench_state_writes --plan [--records N] [--nat-percent P]
 *
 * The last line of either mode is "result ..." or "plan ...": key=value
 * pairs for tools/bench/bench_state_writes.sh.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ring.h>

#include "redis_state.h"
#include "state_keys.h"
#include "state_sync.h"

#define DEFAULT_RECORDS 1000000
#define DEFAULT_NAT_PERCENT 50
/* kairod's defaults: redis.queue, redis.state_ttl_s, redis.timeout_ms. */
#define DEFAULT_RING 65536
#define DEFAULT_TTL_S 120
#define DEFAULT_TIMEOUT_MS 200
#define LEASE_MS 60000
/* Tuples come from the record number: 24 bits of it make the source address unique. */
#define RECORDS_MAX (1u << 24)
#define ENQUEUE_BURST 32
/* A full ring holds tens of thousands of SETs: a nap this long never starves the store. */
#define FULL_NAP_US 20
#define POLL_US 100
/* No acknowledgement for this long: the run fails rather than hang. */
#define STALL_S 30
/* The name rte_ctrl_thread_create gives the store thread (redis_state.c). */
#define STORE_THREAD_NAME "kairo-state"

#define PREFIX "kairo"
#define HOST_ID "bench-host-1"
/* Router ids are UUIDs in real topologies: keys as long as theirs. */
#define ROUTER_ID "6b616972-6f00-4000-8000-0000000000a1"
#define ROUTER_INDEX 1

struct bench_opts {
	bool plan;
	uint16_t port;
	uint32_t records;
	uint32_t nat_percent;
	uint32_t ring;
	uint32_t ttl_s;
	uint32_t timeout_ms;
};

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- --port P [--records N] [--nat-percent P] [--ring R]\n"
		"                          [--ttl-s T] [--timeout-ms M]\n"
		"       %s --plan [--records N] [--nat-percent P]\n"
		"  --port P         Redis on 127.0.0.1:P (no password)\n"
		"  --records N      writes enqueued (default %u, at most %u)\n"
		"  --nat-percent P  share of NAT bindings (2 SETs each) among them (default %u)\n"
		"  --ring R         write ring records, a power of two (default %u)\n"
		"  --ttl-s T        the TTL written (default %u)\n"
		"  --timeout-ms M   the store's connect and reply timeout (default %u)\n"
		"  --plan           print the SET count, sizes and format cost; no EAL, no Redis\n",
		prog, prog, DEFAULT_RECORDS, RECORDS_MAX, DEFAULT_NAT_PERCENT, DEFAULT_RING,
		DEFAULT_TTL_S, DEFAULT_TIMEOUT_MS);
	exit(2);
}

static uint32_t
parse_u32(const char *prog, const char *name, const char *s, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: %s: \"%s\" is not a number in %u .. %u\n", prog, name, s, min,
			max);
		usage(prog);
	}
	return (uint32_t)v;
}

static void
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{"plan", no_argument, NULL, 'P'},
		{"port", required_argument, NULL, 'p'},
		{"records", required_argument, NULL, 'n'},
		{"nat-percent", required_argument, NULL, 'N'},
		{"ring", required_argument, NULL, 'r'},
		{"ttl-s", required_argument, NULL, 't'},
		{"timeout-ms", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct bench_opts){.records = DEFAULT_RECORDS, .nat_percent = DEFAULT_NAT_PERCENT,
				 .ring = DEFAULT_RING, .ttl_s = DEFAULT_TTL_S,
				 .timeout_ms = DEFAULT_TIMEOUT_MS};
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'P':
			o->plan = true;
			break;
		case 'p':
			o->port = (uint16_t)parse_u32(argv[0], "--port", optarg, 1, 65535);
			break;
		case 'n':
			o->records = parse_u32(argv[0], "--records", optarg, 1, RECORDS_MAX);
			break;
		case 'N':
			o->nat_percent = parse_u32(argv[0], "--nat-percent", optarg, 0, 100);
			break;
		case 'r':
			o->ring = parse_u32(argv[0], "--ring", optarg, 64, 1u << 20);
			if (!rte_is_power_of_2(o->ring))
				usage(argv[0]);
			break;
		case 't':
			o->ttl_s = parse_u32(argv[0], "--ttl-s", optarg, 1, 86400);
			break;
		case 'T':
			o->timeout_ms = parse_u32(argv[0], "--timeout-ms", optarg, 10, 60000);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || (!o->plan && o->port == 0))
		usage(argv[0]);
}

/* ---- the records ---- */

/* Interleaved evenly: record i is NAT when the running share of NAT records steps up. */
static bool
record_is_nat(uint32_t i, uint32_t nat_percent)
{
	return (uint64_t)(i + 1) * nat_percent / 100 > (uint64_t)i * nat_percent / 100;
}

static uint64_t
sets_of(uint32_t records, uint32_t nat_percent)
{
	uint64_t nat = (uint64_t)records * nat_percent / 100;

	return nat * 2 + (records - nat);
}

/* Host order.  Not RTE_IPV4: in DPDK 22.11 it shifts an int, undefined from 128.0.0.0 up. */
static uint32_t
ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	return (a & 0xff) << 24 | (b & 0xff) << 16 | (c & 0xff) << 8 | (d & 0xff);
}

static void
put_ipv4(uint8_t *dst, uint32_t host_order)
{
	rte_be32_t a = htonl(host_order);

	memcpy(dst, &a, sizeof(a));
}

static struct ct_key
tuple(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t kind)
{
	struct ct_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	put_ipv4(k.src, src);
	put_ipv4(k.dst, dst);
	k.sport = sport;
	k.dport = dport;
	k.kind = kind;
	if (kind != CT_KIND_CONN)
		k.device = ROUTER_INDEX;
	return k;
}

/*
 * Record i, as the simulation writes it (sim/shared_state.c write_entry):
 * a VM 10.a.b.c talking to the outside, TCP to 443 or UDP to 53 in turn.
 * NAT: masqueraded to 203.0.113.x, a port per record; the reverse key is
 * the answer's tuple.  No two records share a key.
 */
static void
make_record(uint32_t i, bool nat, uint32_t ttl_ms, struct state_write *w)
{
	uint8_t proto = (i & 1) ? IPPROTO_TCP : IPPROTO_UDP;
	uint16_t dport = proto == IPPROTO_TCP ? 443 : 53;
	uint32_t vm = ipv4(10, 0, 0, 0) | (i & 0xffffff);
	uint16_t sport = (uint16_t)(1024 + (i * 7) % 60000);
	uint32_t far = ipv4(198, 51, 100, 1 + i % 200);
	uint32_t xlat = ipv4(203, 0, 113, 1 + (i / 64512) % 254);
	uint16_t xport = (uint16_t)(1024 + i % 64512);

	memset(w, 0, offsetof(struct state_write, ct));
	w->ttl_ms = ttl_ms;
	if (!nat) {
		w->kind = STATE_WRITE_CONN;
		w->ct.key[0] = tuple(proto, vm, sport, far, dport, CT_KIND_CONN);
		memset(&w->ct.key[1], 0, sizeof(w->ct.key[1]));
		memset(&w->ct.nat, 0, sizeof(w->ct.nat));
		return;
	}
	w->kind = STATE_WRITE_NAT;
	snprintf(w->device, sizeof(w->device), "%s", ROUTER_ID);
	w->ct.key[0] = tuple(proto, vm, sport, far, dport, CT_KIND_SNAT_FWD);
	w->ct.key[1] = tuple(proto, far, dport, xlat, xport, CT_KIND_SNAT_REV);
	memset(&w->ct.nat, 0, sizeof(w->ct.nat));
	w->ct.nat.orig_addr = htonl(vm);
	w->ct.nat.orig_port = sport;
	w->ct.nat.xlat_addr = htonl(xlat);
	w->ct.nat.xlat_port = xport;
	w->ct.nat.port = true;
}

static double
seconds_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
nap_us(long us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000};

	nanosleep(&ts, NULL);
}

/* ---- --plan ---- */

/* What one plan loop does with each SET of a run. */
enum plan_step {
	PLAN_RECORDS,      /* make the records only: the loops' own cost, taken off the others */
	PLAN_KEYS,         /* state_key_ct */
	PLAN_VALUES,       /* state_value_ct, once per SET as write_format calls it */
	PLAN_HIREDIS_FMT,  /* both, then redisFormatCommand("SET %s %s PX %u"): redisAppendCommand */
	PLAN_HIREDIS_ARGV, /* both, then redisFormatCommandArgv with the lengths known */
	PLAN_STEPS,
};

struct plan_totals {
	uint64_t sets, nat, key_bytes, value_bytes, cmd_bytes;
	double cpu_s[PLAN_STEPS];
};

static int
plan_set(const struct state_write *w, unsigned int k, enum plan_step step, struct plan_totals *t)
{
	char key[STATE_KEY_LEN], val[STATE_VALUE_LEN], ttl[16];
	const char *argv[5];
	size_t argl[5];
	int kl = 0, vl = 0, len;
	char *cmd;

	if (step == PLAN_RECORDS)
		return 0;
	if (step != PLAN_VALUES)
		kl = state_key_ct(PREFIX, w->device, &w->ct.key[k], key, sizeof(key));
	if (step != PLAN_KEYS)
		vl = state_value_ct(HOST_ID, w, val, sizeof(val));
	if (kl < 0 || vl < 0)
		return -ENOSPC;
	switch (step) {
	case PLAN_KEYS:
		t->key_bytes += (uint64_t)kl;
		return 0;
	case PLAN_VALUES:
		t->value_bytes += (uint64_t)vl;
		return 0;
	case PLAN_HIREDIS_FMT:
		len = redisFormatCommand(&cmd, "SET %s %s PX %u", key, val, w->ttl_ms);
		break;
	default:
		snprintf(ttl, sizeof(ttl), "%u", w->ttl_ms);
		argv[0] = "SET";
		argv[1] = key;
		argv[2] = val;
		argv[3] = "PX";
		argv[4] = ttl;
		argl[0] = 3;
		argl[1] = (size_t)kl;
		argl[2] = (size_t)vl;
		argl[3] = 2;
		argl[4] = strlen(ttl);
		len = redisFormatCommandArgv(&cmd, 5, argv, argl);
		break;
	}
	if (len < 0)
		return -ENOMEM;
	if (step == PLAN_HIREDIS_FMT)
		t->cmd_bytes += (uint64_t)len;
	redisFreeCommand(cmd);
	return 0;
}

/*
 * Every SET of a run, formatted as redis_state.c formats it (write_format:
 * the key, then the value, for each of a NAT binding's two keys), then as
 * hiredis's redisAppendCommand formats it: sizes, and the CPU time of each
 * step, one loop per step so that each is timed alone.
 */
static int
plan(const struct bench_opts *o)
{
	static const char *const step_names[] = {"records", "keys", "values", "hiredis format",
						  "hiredis argv"};
	struct plan_totals t;
	struct state_write w;
	unsigned int step;
	uint32_t i, k;
	double ns[PLAN_STEPS];

	memset(&t, 0, sizeof(t));
	for (step = 0; step < PLAN_STEPS; step++) {
		double t0 = seconds_now(CLOCK_PROCESS_CPUTIME_ID);

		for (i = 0; i < o->records; i++) {
			make_record(i, record_is_nat(i, o->nat_percent), o->ttl_s * 1000, &w);
			if (step == PLAN_RECORDS) {
				t.nat += w.kind == STATE_WRITE_NAT;
				t.sets += w.kind == STATE_WRITE_NAT ? 2 : 1;
			}
			for (k = 0; k < (w.kind == STATE_WRITE_NAT ? 2u : 1u); k++)
				if (plan_set(&w, k, step, &t) != 0) {
					fprintf(stderr, "plan: %s: record %u does not format\n",
						step_names[step], i);
					return 1;
				}
		}
		t.cpu_s[step] = seconds_now(CLOCK_PROCESS_CPUTIME_ID) - t0;
	}
	if (t.sets != sets_of(o->records, o->nat_percent)) {
		fprintf(stderr, "plan: %" PRIu64 " SETs, expected %" PRIu64 "\n", t.sets,
			sets_of(o->records, o->nat_percent));
		return 1;
	}
	for (step = 0; step < PLAN_STEPS; step++)
		ns[step] = (t.cpu_s[step] - (step == PLAN_RECORDS ? 0 : t.cpu_s[PLAN_RECORDS])) *
			   1e9 / (double)t.sets;
	printf("plan: %u records (%" PRIu64 " NAT, %" PRIu64 " connections) = %" PRIu64
	       " SETs; mean key %.1f B, value %.1f B, command %.1f B on the wire\n",
	       o->records, t.nat, o->records - t.nat, t.sets, (double)t.key_bytes / t.sets,
	       (double)t.value_bytes / t.sets, (double)t.cmd_bytes / t.sets);
	printf("plan: CPU per SET before any I/O: state_key_ct %.0f ns, state_value_ct %.0f ns;"
	       " both + redisFormatCommand (as redisAppendCommand) %.0f ns,"
	       " both + redisFormatCommandArgv %.0f ns\n",
	       ns[PLAN_KEYS], ns[PLAN_VALUES], ns[PLAN_HIREDIS_FMT], ns[PLAN_HIREDIS_ARGV]);
	printf("plan records=%u nat=%" PRIu64 " conn=%" PRIu64 " sets=%" PRIu64
	       " key_bytes=%.1f value_bytes=%.1f cmd_bytes=%.1f key_ns=%.1f value_ns=%.1f"
	       " hiredis_format_ns=%.1f hiredis_argv_ns=%.1f\n",
	       o->records, t.nat, o->records - t.nat, t.sets, (double)t.key_bytes / t.sets,
	       (double)t.value_bytes / t.sets, (double)t.cmd_bytes / t.sets, ns[PLAN_KEYS],
	       ns[PLAN_VALUES], ns[PLAN_HIREDIS_FMT], ns[PLAN_HIREDIS_ARGV]);
	return 0;
}

/* ---- a run ---- */

/* CPU seconds of this process's thread named name (utime + stime), or -1 if there is none. */
static double
thread_cpu_s(const char *name)
{
	char path[sizeof(((struct dirent *)NULL)->d_name) + 32], comm[32], stat[1024];
	double found = -1;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");

	if (dir == NULL)
		return -1;
	while (found < 0 && (d = readdir(dir)) != NULL) {
		unsigned long utime, stime;
		const char *after;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, name) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(stat, sizeof(stat), f) != NULL && (after = strrchr(stat, ')')) != NULL &&
		    /* Fields 3 .. 15 after the name: state ... utime stime. */
		    sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			   &stime) == 2)
			found = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	closedir(dir);
	return found;
}

static bool
store_failed(const struct redis_state_stats *s)
{
	return s->write_errors != 0 || s->writes_dropped != 0 || s->disconnects != 0;
}

static int
run(const struct bench_opts *o)
{
	struct state_write burst[ENQUEUE_BURST];
	struct redis_state_stats st, before;
	struct redis_state_config cfg;
	struct state_sync sync;
	struct redis_state *rs;
	uint64_t sets = sets_of(o->records, o->nat_percent), full_naps = 0, last_writes = 0;
	double t0, t1, cpu0, store0, producer_cpu, store_cpu, last_progress;
	uint32_t made = 0, queued = 0, pending = 0, done;
	char err[256];
	int ret = 1;

	if (state_sync_create(&sync, "bench_state", o->ring, SOCKET_ID_ANY) != 0) {
		fprintf(stderr, "bench_state_writes: cannot create rings of %u records (raise -m)\n",
			o->ring);
		return 1;
	}
	sync.ttl_ms = sync.mac_ttl_ms = o->ttl_s * 1000;
	sync.wait_ms = 50;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.host, sizeof(cfg.host), "127.0.0.1");
	cfg.port = o->port;
	snprintf(cfg.prefix, sizeof(cfg.prefix), PREFIX);
	snprintf(cfg.host_id, sizeof(cfg.host_id), HOST_ID);
	cfg.timeout_ms = o->timeout_ms;
	cfg.lease_ms = LEASE_MS;
	rs = redis_state_start(&cfg, &sync, err, sizeof(err));
	if (rs == NULL) {
		fprintf(stderr, "bench_state_writes: %s\n", err);
		goto out_sync;
	}
	redis_state_stats_read(rs, &before);
	if (before.connected != 1) {
		fprintf(stderr, "bench_state_writes: no Redis at %s\n", redis_state_address(rs));
		goto out_rs;
	}

	store0 = thread_cpu_s(STORE_THREAD_NAME);
	cpu0 = seconds_now(CLOCK_THREAD_CPUTIME_ID);
	t0 = seconds_now(CLOCK_MONOTONIC);
	while (queued < o->records) {
		while (pending < ENQUEUE_BURST && made < o->records) {
			make_record(made, record_is_nat(made, o->nat_percent), o->ttl_s * 1000,
				    &burst[pending++]);
			made++;
		}
		/* As the simulation enqueues (sim/shared_state.c write_queue): multi-producer. */
		done = rte_ring_mp_enqueue_burst_elem(sync.writes, burst, sizeof(burst[0]), pending,
						      NULL);
		queued += done;
		if (done < pending) {
			memmove(burst, burst + done, (pending - done) * sizeof(burst[0]));
			full_naps++;
			nap_us(FULL_NAP_US);
		}
		pending -= done;
	}
	producer_cpu = seconds_now(CLOCK_THREAD_CPUTIME_ID) - cpu0;

	last_progress = seconds_now(CLOCK_MONOTONIC);
	for (;;) {
		double now;

		redis_state_stats_read(rs, &st);
		now = seconds_now(CLOCK_MONOTONIC);
		if (st.writes - before.writes >= sets || store_failed(&st))
			break;
		if (st.writes != last_writes) {
			last_writes = st.writes;
			last_progress = now;
		} else if (now - last_progress > STALL_S) {
			break;
		}
		nap_us(POLL_US);
	}
	t1 = seconds_now(CLOCK_MONOTONIC);
	store_cpu = thread_cpu_s(STORE_THREAD_NAME) - store0;
	if (store_failed(&st) || st.writes - before.writes != sets) {
		fprintf(stderr,
			"bench_state_writes: %" PRIu64 " of %" PRIu64 " SETs acknowledged; errors %"
			PRIu64 ", dropped %" PRIu64 ", disconnects %" PRIu64
			" (raise --timeout-ms if Redis was only slow)\n",
			st.writes - before.writes, sets, st.write_errors, st.writes_dropped,
			st.disconnects);
		goto out_rs;
	}

	printf("kairo: %u records (%" PRIu64 " SETs) in %.3f s: %.0f records/s, %.0f SETs/s;"
	       " %.1f SETs per pipeline; store thread CPU %.2f s (%.0f%%), producer %.2f s,"
	       " %" PRIu64 " naps on a full ring\n",
	       o->records, sets, t1 - t0, o->records / (t1 - t0), sets / (t1 - t0),
	       (double)sets / (double)(st.write_batches - before.write_batches), store_cpu,
	       100 * store_cpu / (t1 - t0), producer_cpu, full_naps);
	printf("result records=%u sets=%" PRIu64 " seconds=%.6f records_per_s=%.1f"
	       " sets_per_s=%.1f batches=%" PRIu64 " store_cpu_s=%.3f producer_cpu_s=%.3f"
	       " full_naps=%" PRIu64 "\n",
	       o->records, sets, t1 - t0, o->records / (t1 - t0), sets / (t1 - t0),
	       st.write_batches - before.write_batches, store_cpu, producer_cpu, full_naps);
	ret = 0;
out_rs:
	redis_state_stop(rs);
out_sync:
	state_sync_destroy(&sync);
	return ret;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	int sep, ret;

	/* EAL's arguments, then "--", then ours; with no "--", all are ours. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc)
		sep = 0;
	argv[sep] = argv[0];
	parse_opts(argc - sep, argv + sep, &o);
	if (o.plan)
		return plan(&o);
	if (sep == 0) {
		fprintf(stderr, "%s: EAL arguments, then --, then ours\n", argv[0]);
		usage(argv[0]);
	}
	if (rte_eal_init(sep, argv) < 0) {
		fprintf(stderr, "%s: EAL did not start\n", argv[0]);
		return 1;
	}
	ret = run(&o);
	rte_eal_cleanup();
	return ret;
}
