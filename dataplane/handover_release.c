/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `kairoctl restart`, the old process's side (the sequence is described at
 * the top of dataplane/handover.c): the command server's thread asks
 * (dp_restart) and waits; the main thread, which owns start-up and shutdown,
 * runs the hand-over between two ticks of its loop (dp_handover_serve):
 * start the new process, wait until it is prepared, release the ports with
 * the state image, wait until it runs.  A new process that fails before
 * "released" costs nothing; one that fails after it makes this one open its
 * ports again and forward on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dataplane.h"
#include "handover_internal.h"
#include "state_image.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Added to --file-prefix, or taken off: the two processes never share EAL's files. */
#define PREFIX_SUFFIX "-r"
#define ARGS_MAX 256
#define ENV_MAX 512
#define CMDLINE_MAX 65536
#define DRAIN_MAX_MS 2000
#define EXIT_WAIT_MS 3000
#define NOTES_MAX 8

/* A kairoctl restart, from the command server's thread to the main thread and back. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;    /* a restart waits for the main thread, or runs */
	bool done;         /* the main thread's answer is in */
	bool handed_over;  /* the new process runs: this one exits, saves no state, keeps the lock */
	int ret;
	char error[HANDOVER_MSG_LEN];
	long new_pid;
	double gap_ms;
	char binary[PATH_MAX];
	unsigned int n_notes;
	char notes[NOTES_MAX][400];
} req = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* What the exec is built from: /proc/self/cmdline's words, the new prefix, the environment. */
struct spawn_args {
	char cmdline[CMDLINE_MAX];
	char prefix[PATH_MAX];
	char env_fd[64];
	char *argv[ARGS_MAX + 3];
	char *envp[ENV_MAX + 2];
};

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

bool
dp_handed_over(void)
{
	return req.handed_over;
}

void
dp_lock_leave(struct kairo_dp *dp)
{
	/* The new process holds the same lock through its copy of the descriptor. */
	if (req.handed_over) {
		close(dp->lock.fd);
		dp->lock.fd = -1;
		return;
	}
	instance_lock_release(&dp->lock);
}

static int
fail(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	DP_LOG(ERR, "restart: %s", err);
	return ret;
}

/* Ports a hand-over cannot keep: said in the reply and the log, the restart goes on. */
static void
note_ports(const struct kairo_dp *dp)
{
	unsigned int i;

	req.n_notes = 0;
	for (i = 0; i < dp->n_ports && req.n_notes < NOTES_MAX; i++) {
		const struct port_config *pc = dp->ports[i].cfg;

		if (!dp->ports[i].in_use || strncmp(pc->devargs, "net_tap", strlen("net_tap")) != 0)
			continue;
		snprintf(req.notes[req.n_notes], sizeof(req.notes[0]),
			 "port \"%s\" (%.40s...) is a net_tap kairod made: the kernel deletes it with "
			 "the old process's descriptor, and the VM side's addresses and routes go "
			 "with it; use net_af_packet on an interface made outside kairod",
			 pc->name, pc->devargs);
		DP_LOG(WARNING, "restart: %s", req.notes[req.n_notes]);
		req.n_notes++;
	}
}

/*
 * The binary to exec: what /proc/self/exe names.  After an upgrade replaced
 * the file, the link reads "PATH (deleted)" and opening it gives the old
 * inode: the path is taken, so the upgrade is what runs.
 */
static int
binary_path(char *path, size_t len)
{
	static const char deleted[] = " (deleted)";
	ssize_t n = readlink("/proc/self/exe", path, len - 1);

	if (n <= 0)
		return -errno;
	path[n] = '\0';
	if ((size_t)n > strlen(deleted) && strcmp(path + n - strlen(deleted), deleted) == 0)
		path[n - strlen(deleted)] = '\0';
	return 0;
}

/* The new process's --file-prefix: this one's with PREFIX_SUFFIX added or taken off. */
static void
toggle_prefix(const char *old, char *out, size_t len)
{
	size_t n = strlen(old), s = strlen(PREFIX_SUFFIX);

	if (n > s && strcmp(old + n - s, PREFIX_SUFFIX) == 0)
		snprintf(out, len, "%.*s", (int)(n - s), old);
	else
		snprintf(out, len, "%s%s", old, PREFIX_SUFFIX);
}

/* argv and envp of the new process; 0 or -errno. */
static int
spawn_args_build(struct spawn_args *sa, int sock, int lockfd)
{
	extern char **environ;
	ssize_t n;
	int fd, argc = 0, i, e = 0;
	bool eal = true, prefixed = false;
	char *p;

	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, sa->cmdline, sizeof(sa->cmdline) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	sa->cmdline[n] = '\0';
	for (p = sa->cmdline; p < sa->cmdline + n && argc < ARGS_MAX; p += strlen(p) + 1) {
		if (eal && strcmp(p, "--") == 0) {
			eal = false;
			/* No prefix given: EAL's default one, "rte", is what this process has. */
			if (!prefixed) {
				toggle_prefix("rte", sa->prefix, sizeof(sa->prefix));
				sa->argv[argc++] = (char *)"--file-prefix";
				sa->argv[argc++] = sa->prefix;
			}
		}
		sa->argv[argc++] = p;
		if (eal && strcmp(p, "--file-prefix") == 0 && p + strlen(p) + 1 < sa->cmdline + n) {
			p += strlen(p) + 1;
			toggle_prefix(p, sa->prefix, sizeof(sa->prefix));
			sa->argv[argc++] = sa->prefix;
			prefixed = true;
		} else if (eal && strncmp(p, "--file-prefix=", 14) == 0) {
			snprintf(sa->prefix, sizeof(sa->prefix), "--file-prefix=");
			toggle_prefix(p + 14, sa->prefix + 14, sizeof(sa->prefix) - 14);
			sa->argv[argc - 1] = sa->prefix;
			prefixed = true;
		}
	}
	sa->argv[argc] = NULL;
	snprintf(sa->env_fd, sizeof(sa->env_fd), "%s=%d,%d,%ld", HANDOVER_ENV, sock, lockfd,
		 (long)getpid());
	for (i = 0; environ[i] != NULL && e < ENV_MAX; i++)
		if (strncmp(environ[i], HANDOVER_ENV "=", strlen(HANDOVER_ENV) + 1) != 0)
			sa->envp[e++] = environ[i];
	sa->envp[e++] = sa->env_fd;
	sa->envp[e] = NULL;
	return 0;
}

/*
 * The child between fork and exec: only async-signal-safe calls.  Every
 * descriptor but the two handed down is made close-on-exec (the old one's
 * af_packet sockets and taps must not live on in the new process), the CPU
 * mask is the whole machine again (EAL pins the main thread), signals are
 * unblocked.
 */
static void
child_exec(const char *binary, struct spawn_args *sa, int sock, int lockfd)
{
	cpu_set_t all;
	sigset_t none;
	int i;

	CPU_ZERO(&all);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	fcntl(sock, F_SETFD, 0);
	fcntl(lockfd, F_SETFD, 0);
	execve(binary, sa->argv, sa->envp);
	_exit(127);
}

/* Wait up to ms for pid to exit (SIGKILL after that); its status as text in buf. */
static void
reap(pid_t pid, unsigned int ms, char *buf, size_t len)
{
	unsigned int waited;
	int status = 0;

	for (waited = 0; waited < ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			goto done;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
done:
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
}

/*
 * Close every port and detach its device, so that the new process (or a
 * resume) probes it anew.  The slots stay as they were (in_use) for a resume;
 * only the devices go.
 */
static void
ports_release(struct kairo_dp *dp)
{
	uint16_t i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].in_use)
			dp_port_close(dp, &dp->ports[i], true);
}

static int
memfd_of(const void *buf, size_t len)
{
	const char *p = buf;
	int fd = memfd_create("kairo-state-image", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		p += n;
		len -= (size_t)n;
	}
	return fd;
}

/*
 * Stop taking packets, let the ones inside leave, write the state image into
 * a memfd (on the simulation thread), stop the workers, close the ports.
 * The memfd, or -errno (the ports are closed all the same).
 */
static int
release(struct kairo_dp *dp)
{
	unsigned int waited;
	size_t len = 0;
	void *buf = NULL;
	int ret;

	__atomic_store_n(&dp->control.rx_enabled, false, __ATOMIC_RELAXED);
	/* Polled every millisecond: this wait is part of the forwarding gap. */
	for (waited = 0; waited < DRAIN_MAX_MS && !dp_drained(dp); waited++)
		sleep_ms(1);
	ret = sim_state_image_save(dp->sim, &buf, &len);
	__atomic_store_n(&dp->control.quit, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	ports_release(dp);
	if (ret == 0)
		ret = memfd_of(buf, len);
	free(buf);
	return ret;
}

/* The new process failed after the ports were released: take them back and forward on. */
static int
resume(struct kairo_dp *dp, char *err, size_t errlen)
{
	uint16_t old_ids[RTE_MAX_ETHPORTS];
	bool was_in_use[RTE_MAX_ETHPORTS];
	unsigned int i, w;
	int ret;

	for (i = 0; i < dp->n_ports; i++) {
		old_ids[i] = dp->ports[i].id;
		was_in_use[i] = dp->ports[i].in_use;
	}
	for (i = 0; i < dp->n_ports; i++) {
		if (!was_in_use[i])
			continue;
		if ((ret = dp_port_open(dp, (uint16_t)i, err, errlen)) != 0)
			return ret;
		/* The workers' queues, the topology's bindings and the tables name ports by id. */
		if (dp->ports[i].id != old_ids[i]) {
			snprintf(err, errlen, "port \"%s\" came back as DPDK port %u, not %u",
				 dp->cfg.ports[i].name, dp->ports[i].id, old_ids[i]);
			return -EIO;
		}
	}
	__atomic_store_n(&dp->control.quit, false, __ATOMIC_RELAXED);
	__atomic_store_n(&dp->control.rx_enabled, true, __ATOMIC_RELAXED);
	for (w = 0; w < dp->n_workers; w++)
		rte_eal_remote_launch(worker_main, dp->workers[w], dp->workers[w]->lcore_id);
	return 0;
}

/* Up to "prepared": a refusal or a death here costs nothing, this process forwards on. */
static int
start_new(struct kairo_dp *dp, struct spawn_args *sa, int *sock, pid_t *pid, char *err,
	  size_t errlen)
{
	char msg[HANDOVER_MSG_LEN], status[64];
	int sv[2], ret, fd;

	if ((ret = binary_path(req.binary, sizeof(req.binary))) != 0)
		return fail(err, errlen, ret, "cannot read /proc/self/exe: %s", strerror(-ret));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return fail(err, errlen, -errno, "socketpair: %s", strerror(errno));
	if ((ret = spawn_args_build(sa, sv[1], dp->lock.fd)) != 0) {
		close(sv[0]);
		close(sv[1]);
		return fail(err, errlen, ret, "cannot read this process's arguments: %s",
			    strerror(-ret));
	}
	*pid = fork();
	if (*pid == 0)
		child_exec(req.binary, sa, sv[1], dp->lock.fd);
	close(sv[1]);
	if (*pid < 0) {
		close(sv[0]);
		return fail(err, errlen, -errno, "fork: %s", strerror(errno));
	}
	*sock = sv[0];
	DP_LOG(INFO, "restart: started %s as pid %ld (EAL --file-prefix %s)", req.binary,
	       (long)*pid, sa->prefix);
	ret = handover_msg_recv(*sock, msg, sizeof(msg), &fd, HANDOVER_PREPARED_TIMEOUT_MS);
	if (fd >= 0)
		close(fd);
	if (ret > 0 && strcmp(msg, "prepared") == 0)
		return 0;
	close(*sock);
	reap(*pid, EXIT_WAIT_MS, status, sizeof(status));
	if (ret > 0 && strncmp(msg, "error ", 6) == 0)
		return fail(err, errlen, -EINVAL, "the new kairod (pid %ld) refused to start, this "
			    "one forwards on: %s", (long)*pid, msg + 6);
	return fail(err, errlen, -ECHILD, "the new kairod (pid %ld) %s before it was prepared "
		    "(%s; its log says why), this one forwards on", (long)*pid, status,
		    ret == -ETIMEDOUT ? "timed out" : "no word from it");
}

/*
 * "ports" with a memfd of the ports added with kairoctl (ports[] JSON): the
 * new process opens them with its file's.  Without it they would be lost to
 * every VM attached at run time.  A failure here is logged: those ports are
 * then the operator's to add again.
 */
static void
send_added_ports(struct kairo_dp *dp, int sock)
{
	json_t *ports = dp_ports_added_json(dp);
	char *text = json_dumps(ports, JSON_COMPACT);
	int fd = -1, ret = -ENOMEM;

	if (json_array_size(ports) == 0)
		goto out;
	if (text != NULL && (fd = memfd_of(text, strlen(text))) < 0)
		ret = fd;
	if (fd >= 0)
		ret = handover_msg_send(sock, "ports", fd);
	if (ret != 0)
		DP_LOG(ERR, "restart: the %zu port(s) added at run time could not be handed over "
		       "(%s): add them again", json_array_size(ports), strerror(-ret));
	else
		DP_LOG(INFO, "restart: %zu port(s) added at run time handed over",
		       json_array_size(ports));
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(ports);
}

/* The whole hand-over: 0 when the new process runs (this one exits), -errno with err. */
static int
handover_run(struct kairo_dp *dp, char *err, size_t errlen)
{
	static struct spawn_args sa;
	char msg[HANDOVER_MSG_LEN], status[64], why[HANDOVER_MSG_LEN];
	int sock = -1, memfd, ret, fd;
	pid_t pid = -1;
	uint64_t t0;

	note_ports(dp);
	if ((ret = start_new(dp, &sa, &sock, &pid, err, errlen)) != 0)
		return ret;
	/* Before RX stops: the ports added at run time, which the new one's file does not list. */
	send_added_ports(dp, sock);
	t0 = mono_us();
	memfd = release(dp);
	if (memfd < 0) {
		snprintf(why, sizeof(why), "no state image (%s)", strerror(-memfd));
		ret = memfd;
	} else {
		ret = handover_msg_send(sock, "released", memfd);
		close(memfd);
		if (ret == 0)
			ret = handover_msg_recv(sock, msg, sizeof(msg), &fd,
						HANDOVER_RUNNING_TIMEOUT_MS);
		if (ret > 0 && fd >= 0)
			close(fd);
		if (ret > 0 && sscanf(msg, "running %ld", &req.new_pid) == 1) {
			req.gap_ms = (double)(mono_us() - t0) / 1000.0;
			close(sock);
			DP_LOG(INFO, "restart: handed over to pid %ld (%s); forwarding stopped for "
			       "%.1f ms; this one exits", req.new_pid, req.binary, req.gap_ms);
			return 0;
		}
		snprintf(why, sizeof(why), "%s", ret > 0 && strncmp(msg, "error ", 6) == 0 ?
			 msg + 6 : ret == -ETIMEDOUT ? "it did not say it runs in time" :
			 "it closed the hand-over socket");
		if (ret >= 0)
			ret = -ECHILD;
	}
	close(sock);
	kill(pid, SIGTERM);
	reap(pid, EXIT_WAIT_MS, status, sizeof(status));
	if (resume(dp, msg, sizeof(msg)) != 0) {
		/* Nothing forwards now: say so, and stop like a SIGTERM would. */
		DP_LOG(CRIT, "restart: the new kairod (pid %ld) failed after the hand-over (%s), "
		       "and this one cannot open its ports again (%s): it stops", (long)pid, why,
		       msg);
		fail(err, errlen, ret, "the new kairod (pid %ld) failed after the hand-over: %s; "
		     "this one cannot open its ports again (%s) and stops", (long)pid, why, msg);
		return -ENODEV;
	}
	return fail(err, errlen, ret, "the new kairod (pid %ld, %s) failed after the hand-over: "
		    "%s; this one opened its ports again and forwards on", (long)pid, status, why);
}

bool
dp_handover_serve(struct kairo_dp *dp, bool *stop)
{
	char err[HANDOVER_MSG_LEN];
	int ret;

	*stop = false;
	pthread_mutex_lock(&req.lock);
	if (!req.requested || req.done) {
		pthread_mutex_unlock(&req.lock);
		return false;
	}
	pthread_mutex_unlock(&req.lock);
	ret = handover_run(dp, err, sizeof(err));
	pthread_mutex_lock(&req.lock);
	req.ret = ret;
	req.handed_over = ret == 0;
	*stop = ret == 0 || ret == -ENODEV;
	snprintf(req.error, sizeof(req.error), "%s", ret == 0 ? "" : err);
	req.done = true;
	pthread_cond_broadcast(&req.cond);
	pthread_mutex_unlock(&req.lock);
	return true;
}

int
dp_restart(struct kairo_dp *dp, json_t **result, char *err, size_t errlen)
{
	json_t *notes;
	unsigned int i;
	int ret;

	RTE_SET_USED(dp);
	pthread_mutex_lock(&req.lock);
	if (req.requested) {
		pthread_mutex_unlock(&req.lock);
		snprintf(err, errlen, "a restart is under way already");
		return -EBUSY;
	}
	req.requested = true;
	req.done = false;
	while (!req.done)
		pthread_cond_wait(&req.cond, &req.lock);
	ret = req.ret;
	if (ret != 0) {
		snprintf(err, errlen, "%s", req.error);
		req.requested = false;
		pthread_mutex_unlock(&req.lock);
		return ret;
	}
	notes = json_array();
	for (i = 0; i < req.n_notes; i++)
		json_array_append_new(notes, json_string(req.notes[i]));
	*result = json_pack("{s:I, s:I, s:f, s:s, s:o}", "pid", (json_int_t)req.new_pid,
			    "old_pid", (json_int_t)getpid(), "gap_ms", req.gap_ms, "binary",
			    req.binary, "notes", notes);
	/* requested stays set: this process is leaving, no second restart starts here. */
	pthread_mutex_unlock(&req.lock);
	return *result != NULL ? 0 : -ENOMEM;
}
