/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairod as a systemd service (deploy/kairod.service, Type=notify): the
 * readiness it reports, its status line and the watchdog, through
 * libsystemd's sd_notify(3).  Without $NOTIFY_SOCKET (not started by systemd,
 * or a build without libsystemd) every call here does nothing.
 *
 * READY=1 is sent once the ports are started, the topology is loaded and
 * every worker has made a pass of its loop (it polls): what `systemctl start`
 * and units ordered after kairod wait for.  It carries MAINPID=, so that after
 * `kairoctl restart` (a new process forked by the old one, which then exits)
 * systemd follows the new pid; that needs NotifyAccess=all in the unit, since
 * the message comes from a process that is not yet the main one.
 *
 * The watchdog (WatchdogSec=, $WATCHDOG_USEC) is fed from the control
 * thread's loop, every half interval as sd_watchdog_enabled(3) advises, and
 * only if every worker and the simulation thread made progress since the
 * last check: their loop counters (worker_stats.passes, each worker's own;
 * sim_thread_heartbeat) grew.  The workers pay nothing for it: they count
 * their passes anyway, and the control thread reads the counters with
 * relaxed loads.  A stalled worker stops the pings, says so in the status
 * line and the log, and systemd restarts the service (WatchdogSignal=).
 *
 * $WATCHDOG_PID names the process systemd started.  A process that a hand-over
 * started (its parent is that process) takes the watchdog over, and says so in
 * its environment for the next hand-over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef KAIRO_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <rte_cycles.h>

#include "dataplane.h"
#include "event_log.h"

/* How long READY=1 waits for the workers' first pass before it is sent anyway, with a warning. */
#define SERVICE_READY_WAIT_MS 5000

/* One kairod per process: the service's state is the process's. */
static struct {
	bool notify;                /* $NOTIFY_SOCKET is set */
	uint64_t watchdog_usec;     /* 0: no watchdog */
	uint64_t check_tsc;         /* half the watchdog interval, in TSC cycles */
	uint64_t next_check;
	uint64_t worker_seen[KAIRO_MAX_WORKERS];
	uint64_t sim_seen;
	bool starved;               /* the last check found a thread without progress */
} svc;

static void
notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
notify(const char *fmt, ...)
{
#ifdef KAIRO_HAVE_LIBSYSTEMD
	char msg[512];
	va_list ap;
	int ret;

	if (!svc.notify)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* 0: keep $NOTIFY_SOCKET, a process a hand-over starts needs it too. */
	ret = sd_notify(0, msg);
	if (ret < 0)
		DP_LOG(WARNING, "sd_notify: %s", strerror(-ret));
#else
	RTE_SET_USED(fmt);
#endif
}

/* $WATCHDOG_USEC, if it is meant for this process (see the top of the file); 0 if not. */
static uint64_t
watchdog_interval(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char mine[24];
	long owner;

	if (usec == NULL || strtoull(usec, NULL, 10) == 0)
		return 0;
	if (pid != NULL) {
		owner = strtol(pid, NULL, 10);
		if (owner != (long)getpid() && !(dp_handover_child() && owner == (long)getppid()))
			return 0;
		snprintf(mine, sizeof(mine), "%ld", (long)getpid());
		setenv("WATCHDOG_PID", mine, 1);
	}
	return strtoull(usec, NULL, 10);
}

void
dp_service_init(void)
{
	svc.notify = getenv("NOTIFY_SOCKET") != NULL;
	svc.watchdog_usec = svc.notify ? watchdog_interval() : 0;
}

/* 0 passes made: the worker has not yet polled once. */
static bool
workers_polled(const struct kairo_dp *dp)
{
	uint32_t i;

	for (i = 0; i < dp->n_workers; i++)
		if (__atomic_load_n(&dp->workers[i]->stats.passes, __ATOMIC_RELAXED) == 0)
			return false;
	return true;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

void
dp_service_ready(struct kairo_dp *dp)
{
	unsigned int waited;
	uint32_t i;

	for (waited = 0; !workers_polled(dp) && waited < SERVICE_READY_WAIT_MS; waited++)
		sleep_ms(1);
	if (!workers_polled(dp))
		DP_LOG(WARNING, "a worker has not polled %u ms after its launch", waited);
	for (i = 0; i < dp->n_workers; i++)
		svc.worker_seen[i] = __atomic_load_n(&dp->workers[i]->stats.passes, __ATOMIC_RELAXED);
	svc.sim_seen = sim_thread_heartbeat(dp->sim);
	if (svc.watchdog_usec != 0) {
		svc.check_tsc = rte_get_tsc_hz() / 1000000 * (svc.watchdog_usec / 2);
		svc.next_check = rte_get_tsc_cycles() + svc.check_tsc;
		DP_LOG(INFO, "service watchdog: %" PRIu64 " ms, fed while the workers and the "
		       "simulation make progress", svc.watchdog_usec / 1000);
	}
	event_log("agent.Service", "START", "pid %ld, %u port(s), %u worker(s), topology version %"
		  PRIu64, (long)getpid(), dp->n_ports, dp->n_workers, dp->topo_version);
	notify("READY=1\nMAINPID=%ld\nSTATUS=forwarding: %u port(s), %u worker(s), topology "
	       "version %" PRIu64, (long)getpid(), dp->n_ports, dp->n_workers, dp->topo_version);
}

/* The first thread without progress since the last check, named in buf; false if none. */
static bool
find_stalled(const struct kairo_dp *dp, char *buf, size_t len)
{
	bool stalled = false;
	uint64_t now;
	uint32_t i;

	for (i = 0; i < dp->n_workers; i++) {
		now = __atomic_load_n(&dp->workers[i]->stats.passes, __ATOMIC_RELAXED);
		if (now == svc.worker_seen[i] && !stalled) {
			snprintf(buf, len, "worker %u (lcore %u)", i, dp->workers[i]->lcore_id);
			stalled = true;
		}
		svc.worker_seen[i] = now;
	}
	now = sim_thread_heartbeat(dp->sim);
	if (now == svc.sim_seen && !stalled) {
		snprintf(buf, len, "the simulation thread");
		stalled = true;
	}
	svc.sim_seen = now;
	return stalled;
}

void
dp_service_tick(struct kairo_dp *dp)
{
	char who[64];
	uint64_t now;

	if (svc.watchdog_usec == 0 || (now = rte_get_tsc_cycles()) < svc.next_check)
		return;
	svc.next_check = now + svc.check_tsc;
	if (!find_stalled(dp, who, sizeof(who))) {
		if (svc.starved)
			notify("STATUS=forwarding: %u port(s), %u worker(s), topology version %" PRIu64,
			       dp->n_ports, dp->n_workers, dp->topo_version);
		svc.starved = false;
		notify("WATCHDOG=1");
		return;
	}
	if (!svc.starved) {
		DP_LOG(ERR, "%s made no progress for %" PRIu64 " ms: the service watchdog is not fed",
		       who, svc.watchdog_usec / 2000);
		notify("STATUS=%s stalled: watchdog not fed", who);
	}
	svc.starved = true;
}

void
dp_service_stopping(bool handed_over, const char *why)
{
	event_log("agent.Service", "EXIT", "pid %ld, %s", (long)getpid(), why);
	/* Handed over, the service goes on in the new process: systemd must not hear of a stop. */
	if (!handed_over)
		notify("STOPPING=1\nSTATUS=stopping: %s", why);
}
