/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ZooKeeper store: its session, the thread that keeps it, this host's
 * registration, and the store's operations (the topology nodes themselves
 * are read and written in nsdb/zk_tree.c).
 *
 * What happens when ZooKeeper goes away is MidoNet's agent behaviour:
 *  - at start the daemon waits for a first session (start_wait_s, default
 *    for ever), saying so at growing intervals;
 *  - a lost connection changes nothing for forwarding: the daemon runs on
 *    its last snapshot; libzookeeper reconnects by itself (trying the hosts
 *    in turn) and the session survives when it is back within the session
 *    timeout; the store then reads every node again (resync) and raises
 *    the changed flag;
 *  - an expired session (away longer than the timeout) loses the watches
 *    and the ephemeral liveness node: the session thread opens a new handle
 *    (waiting 1, 2, 4 ... 30 s between failed attempts), registers the host
 *    again and reads everything.
 * The events are logged as MidoNet's agent.Nsdb does: CONNECT, DISCONNECT,
 * CONN_EXPIRE.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "event_log.h"
#include "json_field.h"
#include "zk_internal.h"

RTE_LOG_REGISTER(kairo_logtype_nsdb, kairo.nsdb, INFO);

/*
 * Watch events come in bursts (one commit touches many nodes): the flag is
 * raised once the burst has been quiet this long, or this long after its
 * first event however busy it stays, so a steady stream still gets read.
 */
#define ZK_SETTLE_MS 10
#define ZK_SETTLE_MAX_MS 100
/* The session thread's longest sleep: how late a settled burst can be noticed. */
#define ZK_TICK_MS 5
/* Back-off between failed attempts at a new session, and between "still waiting" messages. */
#define ZK_BACKOFF_FIRST_MS 1000
#define ZK_BACKOFF_MAX_MS 30000
/* More paths than this waiting to be applied: read everything instead of keeping each. */
#define ZK_MAX_PENDING_PATHS 65536

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * ZK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

int
zk_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *
zk_error_text(int rc)
{
	switch (rc) {
	case ZNOAUTH:
		return "not allowed by the node's ACL (check zookeeper.digest)";
	case ZCONNECTIONLOSS:
	case ZOPERATIONTIMEOUT:
	case ZINVALIDSTATE:
		return "no connection to ZooKeeper";
	case ZBADVERSION:
		return "changed by someone else since it was read (read it again)";
	case ZNODEEXISTS:
		return "already exists (created by someone else since it was read)";
	case ZNONODE:
		return "does not exist";
	case ZNOTEMPTY:
		return "has children";
	default:
		return zerror(rc);
	}
}

static const char *
state_name(int state)
{
	if (state == ZOO_CONNECTED_STATE)
		return "connected";
	if (state == ZOO_CONNECTING_STATE)
		return "connecting";
	if (state == ZOO_EXPIRED_SESSION_STATE)
		return "expired";
	if (state == ZOO_AUTH_FAILED_STATE)
		return "authentication failed";
	return "other";
}

/* Called by libzookeeper on its completion thread: record, wake the session thread, return. */
void
zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_store *s = ctx;
	uint64_t now = now_ns();

	pthread_mutex_lock(&s->ev_lock);
	if (type == ZOO_SESSION_EVENT) {
		int was = s->state;

		s->state = state;
		if (state == ZOO_CONNECTED_STATE) {
			const clientid_t *id = zoo_client_id(zh);

			ZK_LOG(INFO, "agent.Nsdb CONNECT %s session 0x%" PRIx64 " (timeout %d ms)",
			       s->cfg.hosts, (uint64_t)id->client_id, zoo_recv_timeout(zh));
			event_log("agent.Nsdb", "CONNECT", "zookeeper %s session 0x%" PRIx64,
				  s->cfg.hosts, (uint64_t)id->client_id);
			/* Back after a loss: what changed meanwhile is read again. */
			if (was != 0 && was != ZOO_CONNECTED_STATE)
				s->resync = true;
		} else if (state == ZOO_CONNECTING_STATE && was == ZOO_CONNECTED_STATE) {
			ZK_LOG(WARNING, "agent.Nsdb DISCONNECT %s: forwarding goes on with the last "
			       "topology; reconnecting", s->cfg.hosts);
			event_log("agent.Nsdb", "DISCONNECT", "zookeeper %s", s->cfg.hosts);
		} else if (state == ZOO_EXPIRED_SESSION_STATE) {
			ZK_LOG(WARNING, "agent.Nsdb CONN_EXPIRE %s: the session expired; a new one "
			       "will register the host again", s->cfg.hosts);
			event_log("agent.Nsdb", "CONN_EXPIRE", "zookeeper %s", s->cfg.hosts);
			s->expired = true;
		} else if (state == ZOO_AUTH_FAILED_STATE) {
			ZK_LOG(ERR, "agent.Nsdb %s: authentication failed", s->cfg.hosts);
		}
	} else if (path != NULL && (strcmp(path, s->config_default) == 0 ||
				    strcmp(path, s->config_host) == 0)) {
		/* The daemon reads the central configuration again (zk_store_config_changed). */
		__atomic_store_n(&s->config_changed, 1, __ATOMIC_RELEASE);
		if (s->first_event_ns == 0)
			s->first_event_ns = now;
		s->last_event_ns = now;
	} else if (path != NULL && path[0] != '\0' && !s->all_dirty) {
		/* A node or a child list we read changed: keep which, for the next read. */
		if (s->n_paths == s->cap_paths) {
			size_t cap = s->cap_paths ? s->cap_paths * 2 : 64;
			char **p = cap <= ZK_MAX_PENDING_PATHS ?
					   realloc(s->paths, cap * sizeof(*p)) : NULL;

			if (p == NULL) {
				s->all_dirty = true;
			} else {
				s->paths = p;
				s->cap_paths = cap;
			}
		}
		if (!s->all_dirty && (s->paths[s->n_paths] = strdup(path)) != NULL)
			s->n_paths++;
		else
			s->all_dirty = true;
		if (s->first_event_ns == 0)
			s->first_event_ns = now;
		s->last_event_ns = now;
	}
	pthread_cond_signal(&s->ev_cond);
	pthread_mutex_unlock(&s->ev_lock);
}

char **
zk_take_paths(struct zk_store *s, size_t *n, bool *all)
{
	char **paths;

	pthread_mutex_lock(&s->ev_lock);
	paths = s->paths;
	*n = s->n_paths;
	*all = s->all_dirty;
	s->paths = NULL;
	s->n_paths = s->cap_paths = 0;
	s->all_dirty = false;
	pthread_mutex_unlock(&s->ev_lock);
	return paths;
}

bool
zk_connected(struct zk_store *s)
{
	bool up;

	pthread_mutex_lock(&s->ev_lock);
	up = s->state == ZOO_CONNECTED_STATE && !s->expired;
	pthread_mutex_unlock(&s->ev_lock);
	return up;
}

/* libzookeeper's own messages: connection attempts repeat while it is down, so debug only. */
static void
zk_lib_log(const char *msg)
{
	ZK_LOG(DEBUG, "libzookeeper: %s", msg);
}

static int
zk_new_handle(struct zk_store *s)
{
	int rc;

	pthread_mutex_lock(&s->ev_lock);
	s->state = 0;
	s->expired = false;
	s->need_register = true;
	pthread_mutex_unlock(&s->ev_lock);
	s->zh = zookeeper_init2(s->cfg.hosts, zk_watcher, (int)s->cfg.session_timeout_ms, NULL, s,
				0, zk_lib_log);
	if (s->zh == NULL)
		return errno ? -errno : -EINVAL;
	/* Sent with the first connect and again with every reconnect by the library. */
	if (s->cfg.digest[0] != '\0') {
		rc = zoo_add_auth(s->zh, "digest", s->cfg.digest, (int)strlen(s->cfg.digest), NULL,
				  NULL);
		if (rc != ZOK) {
			zookeeper_close(s->zh);
			s->zh = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

/* Create path (and what is missing above it) with data when absent; keep it when present. */
static int
zk_ensure(struct zk_store *s, const char *path, const char *data, char *err, size_t errlen)
{
	char part[ZK_PATH_LEN];
	const char *slash;
	int rc;

	for (slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		snprintf(part, sizeof(part), "%.*s", (int)(slash - path), path);
		rc = zoo_create(s->zh, part, NULL, -1, s->acl, 0, NULL, 0);
		if (rc != ZOK && rc != ZNODEEXISTS)
			goto fail;
	}
	rc = zoo_create(s->zh, path, data, data ? (int)strlen(data) : -1, s->acl, 0, NULL, 0);
	if (rc == ZOK || rc == ZNODEEXISTS)
		return 0;
	snprintf(part, sizeof(part), "%s", path);
fail:
	snprintf(err, errlen, "%s: %s: cannot create it: %s", s->source, part, zk_error_text(rc));
	return rc == ZNOAUTH ? -EACCES : -EIO;
}

/*
 * This host's record and liveness node.  The record (name, interfaces) is
 * written on every new session; the ephemeral "alive" node lives exactly as
 * long as the session.  One left by this host's previous session (a restart
 * within the session timeout) is replaced, not waited for.
 */
/* The host record: its name and interfaces (under s->lock). */
static int
zk_write_host_record(struct zk_store *s, char *err, size_t errlen)
{
	char *record;
	json_t *jr;
	int rc, ret;

	jr = json_pack("{s:s, s:O}", "name", s->cfg.host_name, "interfaces", s->interfaces);
	record = jr ? json_dumps(jr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(jr);
	if (record == NULL) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	ret = zk_ensure(s, s->host_path, record, err, errlen);
	if (ret == 0) {
		rc = zoo_set(s->zh, s->host_path, record, (int)strlen(record), -1);
		if (rc != ZOK) {
			snprintf(err, errlen, "%s: %s: cannot write the host record: %s", s->source,
				 s->host_path, zk_error_text(rc));
			ret = -EIO;
		}
	}
	free(record);
	return ret;
}

static int
zk_register_host(struct zk_store *s, char *err, size_t errlen)
{
	char alive[128];
	struct Stat st;
	int rc, ret;

	if ((ret = zk_ensure(s, s->topo_path, NULL, err, errlen)) != 0)
		return ret;
	ret = zk_write_host_record(s, err, errlen);
	if (ret == 0)
		ret = zk_ensure(s, s->bindings_path, NULL, err, errlen);
	if (ret != 0)
		return ret;
	snprintf(alive, sizeof(alive), "{\"pid\":%d,\"session\":\"0x%" PRIx64 "\"}", (int)getpid(),
		 (uint64_t)zoo_client_id(s->zh)->client_id);
	rc = zoo_create(s->zh, s->alive_path, alive, (int)strlen(alive), s->acl, ZOO_EPHEMERAL,
			NULL, 0);
	if (rc == ZNODEEXISTS &&
	    zoo_exists(s->zh, s->alive_path, 0, &st) == ZOK &&
	    st.ephemeralOwner != zoo_client_id(s->zh)->client_id) {
		ZK_LOG(INFO, "%s is held by an old session 0x%" PRIx64 ": replacing it", s->alive_path,
		       (uint64_t)st.ephemeralOwner);
		zoo_delete(s->zh, s->alive_path, -1);
		rc = zoo_create(s->zh, s->alive_path, alive, (int)strlen(alive), s->acl,
				ZOO_EPHEMERAL, NULL, 0);
	}
	if (rc != ZOK && rc != ZNODEEXISTS) {
		snprintf(err, errlen, "%s: %s: cannot create the liveness node: %s", s->source,
			 s->alive_path, zk_error_text(rc));
		return -EIO;
	}
	ZK_LOG(INFO, "host %s registered: %s", s->cfg.host_id, s->alive_path);
	return 0;
}

static void
raise_changed(struct zk_store *s)
{
	if (s->base.changed != NULL)
		__atomic_store_n(s->base.changed, 1, __ATOMIC_RELEASE);
}

/* ts = now + ms, for pthread_cond_timedwait. */
static void
deadline_in(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000l;
	if (ts->tv_nsec >= 1000000000l) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000l;
	}
}

/*
 * The session thread: replaces an expired handle, registers the host on
 * each new session, asks for a full read after a reconnect, and turns
 * bursts of watch events into one raise of the changed flag.  It sleeps
 * until the watcher wakes it, ZK_TICK_MS while a burst settles.
 */
static void *
zk_session_main(void *arg)
{
	struct zk_store *s = arg;
	uint64_t backoff_ms = ZK_BACKOFF_FIRST_MS, retry_at = 0, down_since = 0, warn_at = 0;
	uint64_t warn_ms = ZK_BACKOFF_FIRST_MS;
	char err[512];

	pthread_mutex_lock(&s->ev_lock);
	while (!s->stop) {
		bool expired, reg, resync, fire = false;
		uint64_t now = now_ns(), sleep_ms;
		struct timespec ts;
		int state;

		if (s->first_event_ns != 0 &&
		    (now - s->last_event_ns >= ZK_SETTLE_MS * ZK_NS_PER_MS ||
		     now - s->first_event_ns >= ZK_SETTLE_MAX_MS * ZK_NS_PER_MS)) {
			s->first_event_ns = s->last_event_ns = 0;
			fire = true;
		}
		state = s->state;
		expired = s->expired && now >= retry_at;
		reg = s->need_register && state == ZOO_CONNECTED_STATE && now >= retry_at;
		resync = s->resync && state == ZOO_CONNECTED_STATE;
		if (resync)
			s->resync = false;
		pthread_mutex_unlock(&s->ev_lock);

		if (fire)
			raise_changed(s);
		if (expired) {
			pthread_mutex_lock(&s->lock);
			if (s->zh != NULL)
				zookeeper_close(s->zh);
			s->zh = NULL;
			if (zk_new_handle(s) != 0) {
				ZK_LOG(ERR, "%s: cannot open a new session handle; again in %" PRIu64
				       " ms", s->cfg.hosts, backoff_ms);
				pthread_mutex_lock(&s->ev_lock);
				s->expired = true;
				pthread_mutex_unlock(&s->ev_lock);
				retry_at = now + backoff_ms * ZK_NS_PER_MS;
				backoff_ms = RTE_MIN(backoff_ms * 2, (uint64_t)ZK_BACKOFF_MAX_MS);
			} else {
				backoff_ms = ZK_BACKOFF_FIRST_MS;
			}
			pthread_mutex_unlock(&s->lock);
		} else if (reg) {
			int ret;

			pthread_mutex_lock(&s->lock);
			ret = zk_register_host(s, err, sizeof(err));
			/* Every watch went with the old session: read everything on this one. */
			zk_tree_mark_all(&s->tree);
			pthread_mutex_unlock(&s->lock);
			if (ret != 0) {
				ZK_LOG(ERR, "host %s not registered (again in %" PRIu64 " ms): %s",
				       s->cfg.host_id, backoff_ms, err);
				retry_at = now + backoff_ms * ZK_NS_PER_MS;
				backoff_ms = RTE_MIN(backoff_ms * 2, (uint64_t)ZK_BACKOFF_MAX_MS);
			} else {
				pthread_mutex_lock(&s->ev_lock);
				s->need_register = false;
				s->resync = false;
				pthread_mutex_unlock(&s->ev_lock);
				backoff_ms = ZK_BACKOFF_FIRST_MS;
				__atomic_store_n(&s->config_changed, 1, __ATOMIC_RELEASE);
				raise_changed(s);
			}
		} else if (resync) {
			__atomic_store_n(&s->config_changed, 1, __ATOMIC_RELEASE);
			pthread_mutex_lock(&s->lock);
			zk_tree_mark_all(&s->tree);
			pthread_mutex_unlock(&s->lock);
			ZK_LOG(INFO, "reconnected to %s: reading the topology again", s->cfg.hosts);
			raise_changed(s);
		}
		/* Say it is still down at growing intervals, not on every wake-up. */
		if (state != ZOO_CONNECTED_STATE) {
			if (down_since == 0) {
				down_since = now;
				warn_at = now + warn_ms * ZK_NS_PER_MS;
			} else if (now >= warn_at) {
				ZK_LOG(WARNING, "no ZooKeeper session with %s for %" PRIu64 " s (%s); "
				       "forwarding on the last topology", s->cfg.hosts,
				       (now - down_since) / ZK_NS_PER_S, state_name(state));
				warn_ms = RTE_MIN(warn_ms * 2, (uint64_t)ZK_BACKOFF_MAX_MS);
				warn_at = now + warn_ms * ZK_NS_PER_MS;
			}
		} else {
			down_since = 0;
			warn_ms = ZK_BACKOFF_FIRST_MS;
		}

		pthread_mutex_lock(&s->ev_lock);
		if (s->stop)
			break;
		now = now_ns();
		sleep_ms = down_since != 0 ? 200 : 1000;
		if (s->first_event_ns != 0)
			sleep_ms = ZK_TICK_MS;
		if ((s->expired || s->need_register) && retry_at > now)
			sleep_ms = RTE_MIN(sleep_ms, (retry_at - now) / ZK_NS_PER_MS + 1);
		else if (s->expired || s->resync ||
			 (s->need_register && s->state == ZOO_CONNECTED_STATE))
			continue; /* work to do now */
		deadline_in(&ts, sleep_ms);
		pthread_cond_timedwait(&s->ev_cond, &s->ev_lock, &ts);
	}
	pthread_mutex_unlock(&s->ev_lock);
	return NULL;
}

static json_t *
zk_document(struct topology_store *ts, char *err, size_t errlen)
{
	struct zk_store *s = (struct zk_store *)ts;
	uint64_t t0 = now_ns(), t1 = 0;
	json_t *doc = NULL;

	pthread_mutex_lock(&s->lock);
	if (!zk_connected(s)) {
		snprintf(err, errlen, "%s: no ZooKeeper session: the topology in use stays",
			 s->source);
	} else if (zk_tree_refresh(s, err, errlen) == 0) {
		t1 = now_ns();
		doc = zk_tree_document(s, err, errlen);
	}
	if (doc != NULL)
		ZK_LOG(INFO, "document: %zu node(s) read in %.1f ms, assembled and checked in %.1f ms",
		       s->tree.last_read, (double)(t1 - t0) / 1e6, (double)(now_ns() - t1) / 1e6);
	pthread_mutex_unlock(&s->lock);
	return doc;
}

static int
zk_commit(struct topology_store *ts, const json_t *doc, char *err, size_t errlen)
{
	struct zk_store *s = (struct zk_store *)ts;
	int ret;

	pthread_mutex_lock(&s->lock);
	if (!zk_connected(s)) {
		snprintf(err, errlen, "%s: no ZooKeeper session: nothing written", s->source);
		ret = -ENOTCONN;
	} else if ((ret = zk_tree_refresh(s, err, errlen)) == 0) {
		ret = zk_tree_commit(s, doc, err, errlen);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void
zk_close(struct topology_store *ts)
{
	struct zk_store *s = (struct zk_store *)ts;
	size_t i;

	if (s->thread_started) {
		pthread_mutex_lock(&s->ev_lock);
		s->stop = true;
		pthread_cond_signal(&s->ev_cond);
		pthread_mutex_unlock(&s->ev_lock);
		pthread_join(s->thread, NULL);
	}
	/* Closing the session removes the liveness node at once, not after the timeout. */
	if (s->zh != NULL)
		zookeeper_close(s->zh);
	zk_tree_free(&s->tree);
	json_decref(s->interfaces);
	for (i = 0; i < s->n_paths; i++)
		free(s->paths[i]);
	free(s->paths);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->ev_lock);
	pthread_cond_destroy(&s->ev_cond);
	free(s);
}

/*
 * This host's interfaces changed (a port added or removed at run time): the
 * host record says so now if the session is up; if not, the registration of
 * the next session writes the new list.
 */
static int
zk_set_interfaces(struct topology_store *ts, const json_t *interfaces, char *err, size_t errlen)
{
	struct zk_store *s = (struct zk_store *)ts;
	json_t *copy = json_deep_copy(interfaces);
	int ret = 0;

	if (copy == NULL) {
		snprintf(err, errlen, "%s: out of memory", s->source);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	json_decref(s->interfaces);
	s->interfaces = copy;
	if (zk_connected(s))
		ret = zk_write_host_record(s, err, errlen);
	pthread_mutex_unlock(&s->lock);
	if (ret == 0)
		ZK_LOG(INFO, "host %s: interfaces updated (%zu)", s->cfg.host_id,
		       json_array_size(copy));
	return ret;
}

static bool
zk_store_connected(struct topology_store *ts)
{
	return zk_connected((struct zk_store *)ts);
}

static const struct topology_store_ops zk_ops = {
	.name = "zookeeper",
	.document = zk_document,
	.commit = zk_commit,
	.set_interfaces = zk_set_interfaces,
	.connected = zk_store_connected,
	.hosts = zk_store_hosts,
	.close = zk_close,
};

/* Wait for the first session, saying so at growing intervals; 0 or -ETIMEDOUT. */
static int
zk_wait_first_session(struct zk_store *s)
{
	uint64_t start = now_ns(), warn_ms = ZK_BACKOFF_FIRST_MS, next = start + warn_ms * ZK_NS_PER_MS;
	uint64_t limit = s->cfg.start_wait_s ? start + s->cfg.start_wait_s * ZK_NS_PER_S : 0;
	int ret = 0;

	pthread_mutex_lock(&s->ev_lock);
	while (s->state != ZOO_CONNECTED_STATE) {
		struct timespec ts;
		uint64_t now = now_ns();

		if (s->state == ZOO_AUTH_FAILED_STATE) {
			ret = -EACCES;
			break;
		}
		if (limit != 0 && now >= limit) {
			ret = -ETIMEDOUT;
			break;
		}
		if (now >= next) {
			ZK_LOG(WARNING, "waiting for ZooKeeper at %s (%" PRIu64 " s so far)",
			       s->cfg.hosts, (now - start) / ZK_NS_PER_S);
			fprintf(stderr, "kairod: waiting for ZooKeeper at %s (%" PRIu64 " s so far)\n",
				s->cfg.hosts, (now - start) / ZK_NS_PER_S);
			warn_ms = RTE_MIN(warn_ms * 2, (uint64_t)ZK_BACKOFF_MAX_MS);
			next = now + warn_ms * ZK_NS_PER_MS;
		}
		deadline_in(&ts, 50);
		pthread_cond_timedwait(&s->ev_cond, &s->ev_lock, &ts);
	}
	pthread_mutex_unlock(&s->ev_lock);
	return ret;
}

struct topology_store *
zk_store_open(const struct zk_store_config *cfg, int *changed, char *err, size_t errlen)
{
	struct zk_store *s = calloc(1, sizeof(*s));
	int ret;

	if (s == NULL) {
		snprintf(err, errlen, "zookeeper: out of memory");
		return NULL;
	}
	s->base.ops = &zk_ops;
	s->base.changed = changed;
	s->cfg = *cfg;
	/* The caller's interfaces may be gone by the next session: keep a copy. */
	s->interfaces = cfg->interfaces ? json_deep_copy(cfg->interfaces) : json_array();
	s->cfg.interfaces = NULL;
	snprintf(s->source, sizeof(s->source), "zookeeper %s%s", cfg->hosts, cfg->root);
	snprintf(s->topo_path, sizeof(s->topo_path), "%s/topology", cfg->root);
	snprintf(s->hosts_path, sizeof(s->hosts_path), "%s/hosts", cfg->root);
	snprintf(s->host_path, sizeof(s->host_path), "%s/hosts/%s", cfg->root, cfg->host_id);
	zk_fmt(s->bindings_path, sizeof(s->bindings_path), "%s/bindings", s->host_path);
	zk_fmt(s->alive_path, sizeof(s->alive_path), "%s/alive", s->host_path);
	snprintf(s->config_default, sizeof(s->config_default), "%s/config/default", cfg->root);
	snprintf(s->config_host, sizeof(s->config_host), "%s/config/hosts/%s", cfg->root,
		 cfg->host_id);
	/* With credentials, only the same identity may read or change what we create. */
	s->acl = cfg->digest[0] ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->ev_lock, NULL);
	pthread_cond_init(&s->ev_cond, NULL);
	zk_tree_init(s);
	zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);

	if ((ret = zk_new_handle(s)) != 0) {
		snprintf(err, errlen, "%s: zookeeper_hosts: cannot use \"%s\": %s", s->source,
			 cfg->hosts, strerror(-ret));
		goto fail;
	}
	ret = zk_wait_first_session(s);
	if (ret != 0) {
		if (ret == -EACCES)
			snprintf(err, errlen, "%s: authentication failed (zookeeper.digest)",
				 s->source);
		else
			snprintf(err, errlen, "%s: no ZooKeeper session after %u s "
				 "(zookeeper.start_wait_s)", s->source, cfg->start_wait_s);
		goto fail;
	}
	pthread_mutex_lock(&s->lock);
	ret = zk_register_host(s, err, errlen);
	pthread_mutex_unlock(&s->lock);
	if (ret != 0)
		goto fail;
	pthread_mutex_lock(&s->ev_lock);
	s->need_register = false;
	s->resync = false;
	pthread_mutex_unlock(&s->ev_lock);
	if (pthread_create(&s->thread, NULL, zk_session_main, s) != 0) {
		snprintf(err, errlen, "%s: cannot start the session thread", s->source);
		goto fail;
	}
	s->thread_started = true;
	pthread_setname_np(s->thread, "kairo-zk");
	return &s->base;
fail:
	zk_close(&s->base);
	return NULL;
}

const char *
zk_store_source(const struct topology_store *ts)
{
	return ((const struct zk_store *)ts)->source;
}

/* One configuration node: its object, {} when absent, NULL with a message when not an object. */
static json_t *
zk_config_node(struct zk_store *s, const char *path, char *err, size_t errlen)
{
	struct Stat st;
	json_error_t jerr;
	char *buf;
	int len, rc;
	json_t *v;

	/* Watched while absent too: creating it is a change. */
	if (zoo_exists(s->zh, path, 1, &st) == ZNONODE)
		return json_object();
	len = st.dataLength;
	buf = malloc((size_t)len + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: %s: out of memory", s->source, path);
		return NULL;
	}
	/* Watched: a change raises config_changed (zk_store_config_changed). */
	rc = zoo_get(s->zh, path, 1, buf, &len, &st);
	if (rc == ZNONODE) {
		free(buf);
		return json_object();
	}
	if (rc != ZOK) {
		free(buf);
		snprintf(err, errlen, "%s: %s: %s", s->source, path, zk_error_text(rc));
		return NULL;
	}
	v = len > 0 ? json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr) : json_object();
	free(buf);
	if (v == NULL || !json_is_object(v)) {
		if (v == NULL)
			snprintf(err, errlen, "%s: %s: not JSON: %s (line %d)", s->source, path,
				 jerr.text, jerr.line);
		else
			snprintf(err, errlen, "%s: %s: must be a JSON object", s->source, path);
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *
zk_store_central_config(struct topology_store *ts, char *err, size_t errlen)
{
	struct zk_store *s = (struct zk_store *)ts;
	json_t *def = NULL, *host = NULL;

	pthread_mutex_lock(&s->lock);
	if (!zk_connected(s))
		snprintf(err, errlen, "%s: no ZooKeeper session", s->source);
	else if ((def = zk_config_node(s, s->config_default, err, errlen)) != NULL &&
		 (host = zk_config_node(s, s->config_host, err, errlen)) != NULL)
		json_merge_over(def, host);
	pthread_mutex_unlock(&s->lock);
	if (host == NULL) {
		json_decref(def);
		return NULL;
	}
	json_decref(host);
	return def;
}

bool
zk_store_config_changed(struct topology_store *ts)
{
	struct zk_store *s = (struct zk_store *)ts;

	return __atomic_exchange_n(&s->config_changed, 0, __ATOMIC_ACQUIRE) != 0;
}
