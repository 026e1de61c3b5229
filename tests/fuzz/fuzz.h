/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the libFuzzer harnesses share: the check that turns a broken
 * invariant into a crash libFuzzer keeps the input of, and EAL for those
 * that need mbufs.
 */
#ifndef KAIRO_FUZZ_H
#define KAIRO_FUZZ_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * assert() is compiled out where NDEBUG is set (meson's release builds), and
 * an invariant must hold in every fuzz build: abort, which libFuzzer reports
 * as a crash and saves the input of.
 */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#ifdef FUZZ_WITH_EAL
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "flow_key.h"

/* EAL makes a runtime directory per file prefix even with --no-shconf: empty, gone at exit. */
static inline void
fuzz_eal_runtime_dir_remove(void)
{
	rmdir(rte_eal_get_runtime_dir());
}

/*
 * EAL as the unit tests start it (tests/unit/unit_eal.h): no hugepages, no
 * shared config, no PCI, no telemetry socket, and a file prefix of the
 * harness's own with the pid in it, so that harnesses, the test suite and
 * libFuzzer's -fork/-jobs children never meet.  EAL pins the calling thread
 * to its main lcore's CPU; the fuzzer gets its CPUs back, so that two
 * harnesses side by side do not share one core.  Mbufs carry struct pkt_meta
 * in their private area, as the daemon's do.  Exits on failure: nothing can
 * be fuzzed without it.
 */
static inline struct rte_mempool *
fuzz_eal_start(const char *harness, unsigned int n_mbufs)
{
	char prefix[64], pool_name[RTE_MEMPOOL_NAMESIZE];
	char *argv[] = {"fuzz", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
			"-m", "64", "--file-prefix", prefix, "--log-level", "lib.*:error"};
	struct rte_mempool *pool;
	cpu_set_t cpus;
	bool restore;

	snprintf(prefix, sizeof(prefix), "kairo_fuzz_%s_%d", harness, (int)getpid());
	snprintf(pool_name, sizeof(pool_name), "fuzz_%s", harness);
	restore = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
	if (rte_eal_init(RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "fuzz_%s: EAL does not start\n", harness);
		exit(1);
	}
	if (restore)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	atexit(fuzz_eal_runtime_dir_remove);
	pool = rte_pktmbuf_pool_create(pool_name, n_mbufs, 0,
				       RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN),
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "fuzz_%s: no mbuf pool\n", harness);
		exit(1);
	}
	return pool;
}
#endif

#endif
