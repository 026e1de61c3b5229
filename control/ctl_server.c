/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server (ctl_server.h): accept, read lines, answer the hello,
 * dispatch through the command table (ctl_protocol.h), write replies, all
 * from one poll() loop on a control thread.  What a line asks for is read by
 * ctl_request.c, which has no socket and is fuzzed on its own (tests/fuzz/).
 *
 * Each turn of the loop gives every client one turn (client_turn): one read,
 * at most CTL_REQUESTS_PER_TURN requests served, a write of what its socket
 * takes, its deadlines checked; then new clients are accepted.  Nothing in a
 * turn waits for a client, and what one client sends or leaves unread costs
 * the others at most one request's handler per turn.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "ctl_listen.h"
#include "ctl_request.h"
#include "ctl_server.h"

RTE_LOG_REGISTER(kairo_logtype_ctl, kairo.control, INFO);
#define CTL_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, kairo_logtype_ctl, "kairod: control: " fmt "\n", ##__VA_ARGS__)

/* How long poll() waits, so that a stop request and the deadlines are seen. */
#define CTL_POLL_MS 100
/* A reply buffer larger than this is freed once written: most replies are a few KiB. */
#define CTL_OUT_KEEP (64 * 1024)

_Static_assert(CTL_LISTEN_BACKLOG == CTL_MAX_CLIENTS, "ctl_listen.h: one queue place a slot");

/*
 * One connection.  Its input is [in_off, in_len) of in: complete lines are
 * served in turn, at most CTL_REQUESTS_PER_TURN a turn, and nothing more is
 * read while one waits, so a client's backlog stays in its own socket.  Its
 * output is [out_off, out_len) of out, written as the socket takes it.
 */
struct ctl_client {
	int fd;
	char *in;            /* CTL_MAX_REQUEST + 1 bytes */
	size_t in_off;
	size_t in_len;
	char *out;           /* replies not yet written */
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	uint64_t active_ms;  /* connected, a request served, reply bytes taken: the idle
			      * deadline and the choice of whom to evict count from it */
	uint64_t request_ms; /* when the unfinished line at the end of in began; 0: none */
	bool eof;            /* it sent its last byte: serve its complete lines, then close */
	bool closing;        /* close once out is written (or at the idle deadline) */
	bool hello_done;     /* it said it speaks CTL_PROTOCOL_VERSION: commands are served */
};

struct ctl_server {
	int listen_fd;
	/*
	 * The socket file it made: removed at stop only if it is still that
	 * one, since a kairod that took over by `kairoctl restart` has put its
	 * own at the path meanwhile.
	 */
	dev_t sock_dev;
	ino_t sock_ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const ctl_handler *handlers; /* [CTL_CMD_COUNT] */
	void *ctx;
	struct ctl_client clients[CTL_MAX_CLIENTS];
	unsigned int n_clients;
	unsigned int busy_refused; /* told busy since busy_logged_ms */
	uint64_t busy_logged_ms;
	pthread_t thread;
	bool quit;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t
client_unread(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

static bool
client_has_line(const struct ctl_client *c)
{
	return memchr(c->in + c->in_off, '\n', c->in_len - c->in_off) != NULL;
}

/* A request waits and its reply can be buffered: the client is served this turn. */
static bool
client_servable(const struct ctl_client *c)
{
	return !c->closing && client_unread(c) < CTL_MAX_UNREAD && client_has_line(c);
}

/* Nothing to serve and room for replies: the server reads from it. */
static bool
client_wants_input(const struct ctl_client *c)
{
	return !c->closing && !c->eof && client_unread(c) < CTL_MAX_UNREAD && !client_has_line(c);
}

static void
client_close(struct ctl_server *srv, struct ctl_client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	srv->n_clients--;
}

/*
 * Queue bytes for the client.  The bound is the callers': a reply is only
 * made for a client under CTL_MAX_UNREAD, and is at most CTL_MAX_REPLY.
 */
static bool
client_queue(struct ctl_client *c, const char *data, size_t len)
{
	char *grown;
	size_t cap;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, client_unread(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (grown == NULL)
			return false;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return true;
}

static void client_error(struct ctl_client *c, const char *msg);

static void
client_reply(struct ctl_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t len = text != NULL ? strlen(text) : 0;
	char msg[256];

	json_decref(reply);
	if (text != NULL && len + 1 > CTL_MAX_REPLY) {
		free(text);
		snprintf(msg, sizeof(msg), "reply: %zu bytes, more than the %d MiB a reply may be: "
			 "ask for less (--limit, --max)", len + 1, CTL_MAX_REPLY >> 20);
		client_error(c, msg);
		return;
	}
	if (text == NULL || !client_queue(c, text, len) || !client_queue(c, "\n", 1)) {
		CTL_LOG(WARNING, "client on fd %d: no memory for its reply: closed", c->fd);
		c->closing = true;
		c->out_off = c->out_len = 0;
	}
	free(text);
}

static void
client_error(struct ctl_client *c, const char *msg)
{
	client_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/*
 * The hello (ctl_hello_check).  After a refused hello nothing on the
 * connection can be read the same way on both ends: the reply is the last
 * thing it gets.
 */
static void
client_hello(const struct ctl_server *srv, struct ctl_client *c, const json_t *args)
{
	char msg[512];
	int ret = ctl_hello_check(args, srv->path, msg, sizeof(msg));

	if (ret == -EINVAL) {
		client_error(c, msg);
		return;
	}
	if (ret != 0) {
		CTL_LOG(WARNING, "client on fd %d refused: %s", c->fd, msg);
		client_reply(c, json_pack("{s:b, s:i, s:s}", "ok", 0, CTL_HELLO_PROTOCOL,
					  CTL_PROTOCOL_VERSION, "error", msg));
		c->closing = true;
		return;
	}
	c->hello_done = true;
	client_reply(c, json_pack("{s:b, s:{s:i, s:s}}", "ok", 1, "result", CTL_HELLO_PROTOCOL,
				  CTL_PROTOCOL_VERSION, CTL_HELLO_SERVER, "kairod"));
}

/* A command that passed ctl_request_parse: its handler, and the reply. */
static void
client_command(const struct ctl_server *srv, struct ctl_client *c, int id, json_t *args)
{
	char err[1024];
	json_t *result = NULL;
	int ret;

	err[0] = '\0';
	ret = srv->handlers[id](srv->ctx, args, &result, err, sizeof(err));
	if (ret == 0)
		client_reply(c, json_pack("{s:b, s:o}", "ok", 1, "result",
					  result ? result : json_null()));
	else
		client_error(c, err[0] ? err : strerror(-ret));
}

static void
handle_request(struct ctl_server *srv, struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request r;

	ctl_request_parse(line, len, c->hello_done, &r);
	switch (r.kind) {
	case CTL_REQUEST_REFUSED:
		client_error(c, r.err);
		break;
	case CTL_REQUEST_HELLO:
		client_hello(srv, c, r.args);
		break;
	case CTL_REQUEST_COMMAND:
		client_command(srv, c, r.id, r.args);
		break;
	}
	ctl_request_free(&r);
}

/*
 * One read of what the client sent (a turn reads once, so a client that
 * keeps writing cannot keep the thread here).  The request deadline runs
 * from the read that brought the first byte of a line still unfinished.
 */
static void
client_read(struct ctl_client *c, uint64_t now)
{
	size_t had;
	ssize_t r;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	had = c->in_len;
	r = read(c->fd, c->in + had, CTL_MAX_REQUEST - had);
	if (r == 0) {
		/* The client is gone (or half-closed): answer what it sent, then close. */
		c->eof = true;
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			c->closing = true;
			c->out_off = c->out_len = 0;
		}
		return;
	}
	c->in_len += (size_t)r;
	c->in[c->in_len] = '\0';
	if (memchr(c->in + had, '\n', (size_t)r) != NULL)
		c->request_ms = c->in[c->in_len - 1] == '\n' ? 0 : now;
	else if (had == 0)
		c->request_ms = now;
	if (c->in_len == CTL_MAX_REQUEST && !client_has_line(c)) {
		client_error(c, "request: longer than 65536 bytes without a newline");
		c->closing = true;
		c->in_len = 0;
	}
}

/* Serve the client's next complete lines, CTL_REQUESTS_PER_TURN at most. */
static void
client_serve(struct ctl_server *srv, struct ctl_client *c, uint64_t now)
{
	unsigned int n;
	size_t line;
	char *nl;

	for (n = 0; n < CTL_REQUESTS_PER_TURN && client_servable(c); n++) {
		nl = memchr(c->in + c->in_off, '\n', c->in_len - c->in_off);
		line = (size_t)(nl - (c->in + c->in_off));
		if (line > 0)
			handle_request(srv, c, c->in + c->in_off, line);
		c->in_off += line + 1;
		c->active_ms = now;
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Write what the socket takes now; never wait for it. */
static void
client_write(struct ctl_client *c, uint64_t now)
{
	ssize_t w;

	while (client_unread(c) > 0) {
		w = send(c->fd, c->out + c->out_off, client_unread(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				c->out_off = c->out_len = 0;
				c->closing = true;
			}
			return;
		}
		c->out_off += (size_t)w;
		c->active_ms = now; /* taking its replies, however slowly, is not being idle */
	}
	c->out_off = c->out_len = 0;
	/* A big reply's buffer goes with it, not kept for the client's life. */
	if (c->out_cap > CTL_OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

/*
 * Close the client now, telling it why in a last line ({"ok": false,
 * "error": reason}) when its socket takes it: a client waiting for a reply
 * reads the reason instead of finding the connection gone.
 */
static void
client_drop(struct ctl_server *srv, struct ctl_client *c, const char *reason)
{
	CTL_LOG(INFO, "client on fd %d: %s", c->fd, reason);
	client_error(c, reason);
	client_write(c, 0);
	client_close(srv, c);
}

/* The request and idle deadlines (ctl_server.h); true if the client was closed. */
static bool
client_deadlines(struct ctl_server *srv, struct ctl_client *c, uint64_t now)
{
	char reason[200];

	/* The server is not reading (the client has replies to take): its line cannot end. */
	if (c->request_ms != 0 && !client_wants_input(c))
		c->request_ms = now;
	if (c->request_ms != 0 && now - c->request_ms > CTL_REQUEST_MS) {
		snprintf(reason, sizeof(reason), "request: not complete %d s after it began (a "
			 "request is one line, sent at once): closed", CTL_REQUEST_MS / 1000);
		client_drop(srv, c, reason);
		return true;
	}
	if (now - c->active_ms > CTL_IDLE_MS) {
		snprintf(reason, sizeof(reason), "closed: %s for %d s",
			 client_unread(c) > 0 ? "its replies not read" : "no request",
			 CTL_IDLE_MS / 1000);
		client_drop(srv, c, reason);
		return true;
	}
	return false;
}

/* One turn of a client: read, serve, write, close or check its deadlines. */
static void
client_turn(struct ctl_server *srv, struct ctl_client *c, short revents, uint64_t now)
{
	if ((revents & (POLLERR | POLLHUP | POLLNVAL)) && !client_wants_input(c)) {
		/* Gone for good, and nothing more of it to read: its replies have nowhere to go. */
		client_close(srv, c);
		return;
	}
	if ((revents & (POLLIN | POLLERR | POLLHUP)) && client_wants_input(c))
		client_read(c, now);
	client_serve(srv, c, now);
	if (client_unread(c) > 0)
		client_write(c, now);
	if (c->eof && !client_has_line(c))
		c->closing = true;
	if (c->closing && client_unread(c) == 0) {
		client_close(srv, c);
		return;
	}
	client_deadlines(srv, c, now);
}

/*
 * Every slot is taken: the slot of the client quiet longest, if one has been
 * quiet CTL_EVICT_QUIET_MS, told why and closed; NULL if none has.
 */
static struct ctl_client *
evict_quietest(struct ctl_server *srv, uint64_t now)
{
	struct ctl_client *quietest = NULL;
	char reason[200];
	unsigned int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &srv->clients[i];

		if (c->fd >= 0 && now - c->active_ms >= CTL_EVICT_QUIET_MS &&
		    (quietest == NULL || c->active_ms < quietest->active_ms))
			quietest = c;
	}
	if (quietest == NULL)
		return NULL;
	snprintf(reason, sizeof(reason), "closed: all %d connections were taken and a new "
		 "client needed one; this one had been quiet longest (%" PRIu64 " ms)",
		 CTL_MAX_CLIENTS, now - quietest->active_ms);
	client_drop(srv, quietest, reason);
	return quietest;
}

/* A free slot, or one made free; NULL when every client is busy. */
static struct ctl_client *
free_slot(struct ctl_server *srv, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->clients[i].fd < 0)
			return &srv->clients[i];
	return evict_quietest(srv, now);
}

/*
 * Take the clients waiting in the queue, CTL_LISTEN_BACKLOG at most a turn
 * (a connect storm cannot keep the thread accepting).  Each one is answered:
 * served, or told that kairod is busy.
 */
static void
accept_clients(struct ctl_server *srv, uint64_t now)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"kairod is busy: all "
				   RTE_STR(CTL_MAX_CLIENTS) " control connections are in use, "
				   "none of them quiet for " RTE_STR(CTL_EVICT_QUIET_MS) " ms; "
				   "try again\"}\n";
	struct ctl_client *c;
	unsigned int n;
	int fd;

	for (n = 0; n < CTL_LISTEN_BACKLOG; n++) {
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c = free_slot(srv, now);
		if (c == NULL) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				CTL_LOG(DEBUG, "refused client left before the answer");
			close(fd);
			srv->busy_refused++;
			continue;
		}
		c->in = malloc(CTL_MAX_REQUEST + 1);
		if (c->in == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->active_ms = now;
		srv->n_clients++;
	}
}

/* The poll set: the listening socket, then each client with what it waits for. */
static unsigned int
poll_set(const struct ctl_server *srv, struct pollfd *pfd, int *idx, int *timeout)
{
	unsigned int i, n = 1;

	pfd[0] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
	*timeout = CTL_POLL_MS;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &srv->clients[i];

		if (c->fd < 0)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (client_wants_input(c) ? POLLIN : 0) |
				(client_unread(c) > 0 ? POLLOUT : 0);
		pfd[n].revents = 0;
		idx[n++] = (int)i;
		/* A request is waiting in our buffer: poll only for news, do not sleep. */
		if (client_servable(c))
			*timeout = 0;
	}
	return n;
}

static void *
ctl_server_main(void *arg)
{
	struct ctl_server *srv = arg;
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int idx[CTL_MAX_CLIENTS + 1], timeout;
	unsigned int i, n;
	uint64_t now;

	while (!__atomic_load_n(&srv->quit, __ATOMIC_ACQUIRE)) {
		n = poll_set(srv, pfd, idx, &timeout);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			CTL_LOG(ERR, "poll: %s", strerror(errno));
			continue;
		}
		now = now_ms();
		for (i = 1; i < n; i++)
			client_turn(srv, &srv->clients[idx[i]], pfd[i].revents, now);
		/* After the turns: a slot an eviction frees is not in this turn's poll set. */
		if (pfd[0].revents & POLLIN)
			accept_clients(srv, now);
		/* A connect storm is one line a second in the log, not one per client. */
		if (srv->busy_refused > 0 && now - srv->busy_logged_ms >= 1000) {
			CTL_LOG(WARNING, "%u clients told kairod is busy: all %d connections taken",
				srv->busy_refused, CTL_MAX_CLIENTS);
			srv->busy_refused = 0;
			srv->busy_logged_ms = now;
		}
	}
	return NULL;
}

struct ctl_server *
ctl_server_start(const char *path, const char *group, const ctl_handler handlers[CTL_CMD_COUNT],
		 void *ctx, char *err, size_t errlen)
{
	struct ctl_server *srv;
	struct stat st;
	unsigned int i;
	int ret;

	/* A command declared for clients and served by nobody is a build mistake: say which. */
	for (i = 0; i < CTL_CMD_COUNT; i++) {
		if (handlers[i] == NULL) {
			snprintf(err, errlen, "control: command \"%s\" has no handler",
				 ctl_commands_table[i].words);
			return NULL;
		}
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		snprintf(err, errlen, "control: out of memory");
		return NULL;
	}
	srv->listen_fd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		srv->clients[i].fd = -1;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->handlers = handlers;
	srv->ctx = ctx;
	if (ctl_listen(srv->path, group, &srv->listen_fd, err, errlen) != 0)
		goto fail;
	if (stat(srv->path, &st) == 0) {
		srv->sock_dev = st.st_dev;
		srv->sock_ino = st.st_ino;
	}
	ret = rte_ctrl_thread_create(&srv->thread, "kairo-ctl", NULL, ctl_server_main, srv);
	if (ret != 0) {
		snprintf(err, errlen, "control: cannot start its thread: %s", strerror(ret));
		unlink(srv->path);
		goto fail;
	}
	CTL_LOG(INFO, "listening on %s (root%s%s)", srv->path, group[0] ? " and group " : " only",
		group);
	return srv;
fail:
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	free(srv);
	return NULL;
}

void
ctl_server_stop(struct ctl_server *srv)
{
	struct stat st;
	unsigned int i;

	if (srv == NULL)
		return;
	__atomic_store_n(&srv->quit, true, __ATOMIC_RELEASE);
	pthread_join(srv->thread, NULL);
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			client_close(srv, &srv->clients[i]);
	close(srv->listen_fd);
	if (stat(srv->path, &st) == 0 && st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
		unlink(srv->path);
	free(srv);
}
