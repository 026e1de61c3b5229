/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /metrics over HTTP, for Prometheus to scrape (metrics.c writes the text).
 *
 * libmicrohttpd serves it from one thread of its own, non-blocking: a
 * client that reads slowly or never sends its request holds a connection
 * slot until the timeout, not the thread, and the slots are few, so that a
 * scraper cannot take memory or the control thread's time.  Every scrape
 * renders the counters anew; nothing is cached between scrapes.
 *
 * The listening socket is made here rather than by libmicrohttpd, so that a
 * port already taken is refused with the address and the reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

/* Prometheus scrapes once per interval; a few connections cover it and a curl beside. */
#define METRICS_CONNECTIONS_MAX 8
#define METRICS_CONNECTION_TIMEOUT_S 10

struct metrics_server {
	struct kairo_dp *dp;
	struct MHD_Daemon *mhd;
	int fd;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *type, char *body,
      size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
metrics_answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	       const char *version, const char *upload_data, size_t *upload_data_size,
	       void **req_cls)
{
	struct metrics_server *ms = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int ret;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "kairod: GET /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "kairod serves /metrics only\n");
	out = open_memstream(&body, &len);
	if (out == NULL)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "kairod: out of memory\n");
	ret = metrics_write(ms->dp, out);
	if (fclose(out) != 0 || ret != 0) {
		free(body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "kairod: the metrics could not be written\n");
	}
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

/* A listening TCP socket on address:port, SO_REUSEPORT; the fd or -errno with err. */
static int
metrics_listen(const char *address, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t sslen;
	int fd, one = 1, ret;

	if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		sslen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		sslen = sizeof(*in6);
	} else {
		snprintf(err, errlen, "metrics.address: \"%s\" is not an IP address", address);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "metrics: socket: %s", strerror(-ret));
		return ret;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 16) != 0) {
		ret = -errno;
		snprintf(err, errlen, "metrics: cannot listen on %s%s%s:%u: %s",
			 ss.ss_family == AF_INET6 ? "[" : "", address,
			 ss.ss_family == AF_INET6 ? "]" : "", port, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

struct metrics_server *
metrics_server_start(struct kairo_dp *dp, char *err, size_t errlen)
{
	struct metrics_server *ms = calloc(1, sizeof(*ms));
	int fd;

	if (ms == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	fd = metrics_listen(dp->cfg.metrics_address, dp->cfg.metrics_port, err, errlen);
	if (fd < 0) {
		free(ms);
		return NULL;
	}
	ms->dp = dp;
	ms->fd = fd;
	ms->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
				   metrics_answer, ms, MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONNECTIONS_MAX,
				   MHD_OPTION_CONNECTION_TIMEOUT,
				   (unsigned int)METRICS_CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (ms->mhd == NULL) {
		snprintf(err, errlen, "metrics: libmicrohttpd would not start on %s:%u",
			 dp->cfg.metrics_address, dp->cfg.metrics_port);
		close(fd);
		free(ms);
		return NULL;
	}
	return ms;
}

void
metrics_server_stop(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	/* MHD_stop_daemon closes the listening socket it was given. */
	MHD_stop_daemon(ms->mhd);
	free(ms);
}
