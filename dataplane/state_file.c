/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State kept across a plain stop and start (restart.state_file,
 * config/README.md): at SIGINT/SIGTERM, once the packets inside have left
 * and the simulation thread stopped, kairod writes its state image
 * (sim/state_image.h) there; the next start loads it before the workers run
 * and moves it aside (FILE.loaded), so a start that crashes does not load
 * the same state again and again.  A missing, unreadable or corrupt image is
 * logged and ignored: kairod starts clean, it never refuses to start for it.
 *
 * Also the pid file (restart.pid_file): written once forwarding runs, by the
 * daemon that a hand-over started too (dataplane/handover.c), so that a
 * supervisor follows the process that forwards now.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dataplane.h"
#include "state_image.h"

/* An image larger than this is not a state image of any table size kairod allows. */
#define STATE_FILE_MAX (16ull << 30)

int
dp_state_image_apply(struct kairo_dp *dp, const void *buf, size_t len, const char *source)
{
	struct state_image_report rep;
	char err[512], line[512];
	int ret;

	ret = sim_state_image_load(dp->sim, buf, len, &rep, err, sizeof(err));
	if (ret != 0) {
		DP_LOG(ERR, "%s not loaded, starting with no state: %s", source, err);
		return ret;
	}
	state_image_report_str(&rep, line, sizeof(line));
	DP_LOG(INFO, "state from %s: %s", source, line);
	return 0;
}

/* Write len bytes of buf to fd; 0 or -errno. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
dp_fd_read_all(int fd, void **buf, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	char *p;

	if (fstat(fd, &sb) != 0)
		return -errno;
	if ((uint64_t)sb.st_size > STATE_FILE_MAX)
		return -EFBIG;
	p = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
	if (p == NULL)
		return -ENOMEM;
	while (got < (size_t)sb.st_size) {
		ssize_t n = pread(fd, p + got, (size_t)sb.st_size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*buf = p;
	*len = got;
	return 0;
}

/*
 * The ports added with kairoctl, beside the image (STATE_FILE.ports, the
 * config's ports[] format): a stop and start opens them again, as a
 * hand-over does.  None: no file, so a later start adds nothing stale.
 */
static void
ports_file_save(struct kairo_dp *dp, const char *path)
{
	char file[CONFIG_PATH_LEN + 16], tmp[CONFIG_PATH_LEN + 24];
	json_t *ports = dp_ports_added_json(dp);

	snprintf(file, sizeof(file), "%s.ports", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (json_array_size(ports) == 0)
		unlink(file);
	else if (json_dump_file(ports, tmp, JSON_INDENT(1)) != 0 || rename(tmp, file) != 0)
		DP_LOG(ERR, "restart.state_file: cannot write %s: the %zu port(s) added at run "
		       "time will have to be added again", file, json_array_size(ports));
	else
		DP_LOG(INFO, "%zu port(s) added at run time written to %s", json_array_size(ports),
		       file);
	json_decref(ports);
}

void
dp_state_file_ports(struct kairo_dp *dp)
{
	char file[CONFIG_PATH_LEN + 16], aside[CONFIG_PATH_LEN + 24], err[512];
	json_error_t jerr;
	json_t *ports;
	int ret;

	if (dp->cfg.state_file[0] == '\0')
		return;
	snprintf(file, sizeof(file), "%s.ports", dp->cfg.state_file);
	ports = json_load_file(file, 0, &jerr);
	if (ports == NULL) {
		if (access(file, F_OK) == 0)
			DP_LOG(ERR, "restart.state_file: %s:%d: %s: the ports added at run time are "
			       "not opened again", file, jerr.line, jerr.text);
		return;
	}
	ret = config_ports_append(&dp->cfg, ports, file, err, sizeof(err));
	json_decref(ports);
	if (ret < 0)
		DP_LOG(ERR, "restart.state_file: %s: the ports added at run time are not opened "
		       "again", err);
	else
		DP_LOG(INFO, "%d port(s) added at run time opened again from %s", ret, file);
	snprintf(aside, sizeof(aside), "%s.loaded", file);
	if (rename(file, aside) != 0)
		DP_LOG(WARNING, "restart.state_file: cannot move %s aside: %s", file,
		       strerror(errno));
}

void
dp_state_file_load(struct kairo_dp *dp)
{
	const char *path = dp->cfg.state_file;
	char aside[CONFIG_PATH_LEN + 8];
	size_t len = 0;
	void *buf = NULL;
	int fd, ret;

	if (path[0] == '\0')
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			DP_LOG(INFO, "restart.state_file: no state image at %s: starting with no state",
			       path);
		else
			DP_LOG(ERR, "restart.state_file: cannot open %s, starting with no state: %s",
			       path, strerror(errno));
		return;
	}
	ret = dp_fd_read_all(fd, &buf, &len);
	close(fd);
	if (ret != 0)
		DP_LOG(ERR, "restart.state_file: cannot read %s, starting with no state: %s", path,
		       strerror(-ret));
	else
		dp_state_image_apply(dp, buf, len, path);
	free(buf);
	/* Loaded once: kept beside it for a look, never loaded again. */
	snprintf(aside, sizeof(aside), "%s.loaded", path);
	if (rename(path, aside) != 0)
		DP_LOG(WARNING, "restart.state_file: cannot move %s aside: %s", path,
		       strerror(errno));
}

void
dp_state_file_save(struct kairo_dp *dp)
{
	const char *path = dp->cfg.state_file;
	char tmp[CONFIG_PATH_LEN + 8];
	size_t len;
	void *buf;
	int fd, ret;

	if (path[0] == '\0' || dp->sim == NULL)
		return;
	ports_file_save(dp, path);
	if ((ret = sim_state_image_save(dp->sim, &buf, &len)) != 0) {
		DP_LOG(ERR, "restart.state_file: no state image: %s", strerror(-ret));
		return;
	}
	/* Written then renamed: the next start reads a whole image or none. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
	} else {
		ret = write_all(fd, buf, len);
		if (ret == 0 && fsync(fd) != 0)
			ret = -errno;
		close(fd);
		if (ret == 0 && rename(tmp, path) != 0)
			ret = -errno;
		if (ret != 0)
			unlink(tmp);
	}
	if (ret != 0)
		DP_LOG(ERR, "restart.state_file: cannot write %s: %s", tmp, strerror(-ret));
	else
		DP_LOG(INFO, "state image of %zu bytes written to %s", len, path);
	free(buf);
}

void
dp_pid_file_write(const struct kairo_dp *dp)
{
	const char *path = dp->cfg.pid_file;
	char tmp[CONFIG_PATH_LEN + 8], line[32];
	int fd, n, ret = 0;

	if (path[0] == '\0')
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write_all(fd, line, (size_t)n) != 0 || rename(tmp, path) != 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret != 0)
		DP_LOG(ERR, "restart.pid_file: cannot write %s: %s", path, strerror(-ret));
}

void
dp_pid_file_remove(const struct kairo_dp *dp)
{
	char line[32];
	ssize_t n;
	int fd;

	if (dp->cfg.pid_file[0] == '\0')
		return;
	/* Only our own: after a hand-over the file names the new process. */
	fd = open(dp->cfg.pid_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n > 0 && (line[n] = '\0', strtol(line, NULL, 10) == (long)getpid()))
		unlink(dp->cfg.pid_file);
}
