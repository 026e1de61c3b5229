/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event log's ring and file (event_log.h).  The first sequence number is
 * 1, so `--since 0` reads everything still in the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "event_log.h"

static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;
static char event_ring[EVENT_LOG_RING][EVENT_LOG_LINE + 1];
static uint64_t event_next = 1; /* sequence number of the next line */
static int event_fd = -1;

int
event_log_open(const char *path)
{
	int fd = -1, old;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&event_lock);
	old = event_fd;
	event_fd = fd;
	pthread_mutex_unlock(&event_lock);
	if (old >= 0)
		close(old);
	return 0;
}

/* "2026-12-06T13:05:01.123Z": UTC, so lines from hosts in other zones sort together. */
static size_t
format_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
	return n;
}

void
event_log(const char *kind, const char *event, const char *fmt, ...)
{
	char line[EVENT_LOG_LINE + 2];
	size_t n;
	va_list ap;

	n = format_time(line, sizeof(line));
	n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %s", kind, event);
	if (fmt != NULL && n < EVENT_LOG_LINE) {
		line[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	line[EVENT_LOG_LINE] = '\0';
	n = strlen(line);

	pthread_mutex_lock(&event_lock);
	memcpy(event_ring[event_next % EVENT_LOG_RING], line, n + 1);
	event_next++;
	if (event_fd >= 0) {
		line[n] = '\n';
		/*
		 * One write with O_APPEND: whole lines, even beside a restarted
		 * kairod writing too.  A failure (a full disk) is not an agent's
		 * failure: the ring still has the line.
		 */
		ssize_t w = write(event_fd, line, n + 1);

		(void)w;
	}
	pthread_mutex_unlock(&event_lock);
}

unsigned int
event_log_read(uint64_t since, unsigned int max,
	       void (*fn)(void *arg, uint64_t seq, const char *line), void *arg, uint64_t *next,
	       uint64_t *first)
{
	unsigned int n = 0;
	uint64_t oldest, seq;

	pthread_mutex_lock(&event_lock);
	oldest = event_next > EVENT_LOG_RING ? event_next - EVENT_LOG_RING : 1;
	for (seq = since > oldest ? since : oldest; seq < event_next && n < max; seq++, n++)
		fn(arg, seq, event_ring[seq % EVENT_LOG_RING]);
	*next = seq;
	*first = oldest;
	pthread_mutex_unlock(&event_lock);
	return n;
}
