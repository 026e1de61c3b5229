/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command server (ctl_server.h): accept, read lines, answer the hello,
 * dispatch through the command table (ctl_protocol.h), write replies, all
 * from one poll() loop on a control thread.  What a line asks for is read by
 * ctl_request.c, which has no socket and is fuzzed on its own (tests/fuzz/).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_log.h>

#include "ctl_request.h"
#include "ctl_server.h"

RTE_LOG_REGISTER(kairo_logtype_ctl, kairo.control, INFO);
#define CTL_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, kairo_logtype_ctl, "kairod: control: " fmt "\n", ##__VA_ARGS__)

/* How long poll() waits, so a stop request is seen. */
#define CTL_POLL_MS 100

struct ctl_client {
	int fd;
	char *in;        /* CTL_MAX_REQUEST + 1 bytes */
	size_t in_len;
	char *out;       /* replies not yet written */
	size_t out_len;
	size_t out_cap;
	bool closing;    /* close once out is written */
	bool hello_done; /* it said it speaks CTL_PROTOCOL_VERSION: commands are served */
};

struct ctl_server {
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const ctl_handler *handlers; /* [CTL_CMD_COUNT] */
	void *ctx;
	struct ctl_client clients[CTL_MAX_CLIENTS];
	unsigned int n_clients;
	pthread_t thread;
	bool quit;
};

static void
client_close(struct ctl_client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Queue bytes for the client; false if it already has too much unread. */
static bool
client_queue(struct ctl_client *c, const char *data, size_t len)
{
	char *grown;
	size_t cap;

	if (c->out_len + len > CTL_MAX_PENDING_REPLY)
		return false;
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

static void
client_reply(struct ctl_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);

	json_decref(reply);
	if (text == NULL || !client_queue(c, text, strlen(text)) || !client_queue(c, "\n", 1)) {
		CTL_LOG(WARNING, "client on fd %d reads too slowly: closed", c->fd);
		c->closing = true;
		c->out_len = 0;
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

/* Read what is there; serve every complete line. */
static void
client_read(struct ctl_server *srv, struct ctl_client *c)
{
	ssize_t r;
	char *nl;

	for (;;) {
		r = read(c->fd, c->in + c->in_len, CTL_MAX_REQUEST - c->in_len);
		if (r == 0) {
			/* The client is gone (or half-closed): answer what it sent, then close. */
			c->closing = true;
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = true;
			return;
		}
		c->in_len += (size_t)r;
		c->in[c->in_len] = '\0';
		while (!c->closing && (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t line = (size_t)(nl - c->in);

			if (line > 0)
				handle_request(srv, c, c->in, line);
			memmove(c->in, nl + 1, c->in_len - line - 1);
			c->in_len -= line + 1;
		}
		if (c->in_len == CTL_MAX_REQUEST) {
			client_error(c, "request: longer than 65536 bytes without a newline");
			c->closing = true;
			c->in_len = 0;
			return;
		}
	}
}

static void
client_write(struct ctl_client *c)
{
	ssize_t w;

	while (c->out_len > 0) {
		w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				c->out_len = 0;
				c->closing = true;
			}
			return;
		}
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
	}
}

static void
accept_clients(struct ctl_server *srv)
{
	struct ctl_client *c;
	unsigned int i;
	int fd;

	while ((fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < CTL_MAX_CLIENTS && srv->clients[i].fd >= 0; i++)
			;
		if (i == CTL_MAX_CLIENTS) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many clients connected\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				CTL_LOG(DEBUG, "refused client left before the answer");
			close(fd);
			continue;
		}
		c = &srv->clients[i];
		c->fd = fd;
		c->in = malloc(CTL_MAX_REQUEST + 1);
		if (c->in == NULL) {
			client_close(c);
			continue;
		}
		srv->n_clients++;
	}
}

static void *
ctl_server_main(void *arg)
{
	struct ctl_server *srv = arg;
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int idx[CTL_MAX_CLIENTS + 1];
	unsigned int i, n;

	while (!__atomic_load_n(&srv->quit, __ATOMIC_ACQUIRE)) {
		pfd[0] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
		n = 1;
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			const struct ctl_client *c = &srv->clients[i];

			if (c->fd < 0)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = (c->closing ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0);
			pfd[n].revents = 0;
			idx[n++] = (int)i;
		}
		if (poll(pfd, n, CTL_POLL_MS) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			accept_clients(srv);
		for (i = 1; i < n; i++) {
			struct ctl_client *c = &srv->clients[idx[i]];

			if (pfd[i].revents & POLLIN)
				client_read(srv, c);
			if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL) &&
			    !(pfd[i].revents & POLLIN))
				c->closing = true;
			if (c->out_len > 0)
				client_write(c);
			if (c->closing && c->out_len == 0) {
				client_close(c);
				srv->n_clients--;
			}
		}
	}
	return NULL;
}

/* Is a server answering on path?  Then it is not ours to replace. */
static bool
socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return live;
}

static int
listen_on(struct ctl_server *srv, const char *group, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[sizeof(addr.sun_path)];
	gid_t gid = 0;
	struct group *gr;

	if (strlen(srv->path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control.socket: \"%s\" is longer than %zu bytes", srv->path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, srv->path, strlen(srv->path) + 1);
	if (group[0] != '\0') {
		gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "control.group: no group \"%s\" on this host", group);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", srv->path);
	/* /run/kairo on a fresh host; only the last level is made. */
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "control.socket: cannot make %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (socket_in_use(&addr)) {
		snprintf(err, errlen, "control.socket: %s is in use by another kairod", srv->path);
		return -EADDRINUSE;
	}
	unlink(srv->path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0 ||
	    bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chown(srv->path, 0, gid) != 0 || chmod(srv->path, 0660) != 0 ||
	    listen(srv->listen_fd, 16) != 0) {
		snprintf(err, errlen, "control.socket: %s: %s", srv->path, strerror(errno));
		return -errno;
	}
	return 0;
}

struct ctl_server *
ctl_server_start(const char *path, const char *group, const ctl_handler handlers[CTL_CMD_COUNT],
		 void *ctx, char *err, size_t errlen)
{
	struct ctl_server *srv;
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
	if (listen_on(srv, group, err, errlen) != 0)
		goto fail;
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
	unsigned int i;

	if (srv == NULL)
		return;
	__atomic_store_n(&srv->quit, true, __ATOMIC_RELEASE);
	pthread_join(srv->thread, NULL);
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			client_close(&srv->clients[i]);
	close(srv->listen_fd);
	unlink(srv->path);
	free(srv);
}
