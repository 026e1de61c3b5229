/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded topology store: document() reads the JSON file, commit()
 * replaces it whole.  A commit writes a temporary file beside the real one,
 * fsyncs it, renames it over the real one and fsyncs the directory: a reader
 * (the daemon on SIGHUP, an operator's editor) sees the old document or the
 * new one, never half of one, and a crash leaves one of the two on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_field.h"
#include "topology_store_file.h"

/* Room for the path and a ".tmp.PID" suffix. */
#define STORE_PATH_LEN 4096
/* How the file is written: indented, so that an operator can still read and edit it by hand. */
#define STORE_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

struct topology_store_file {
	struct topology_store base; /* first: the ops get a struct topology_store * */
	char path[STORE_PATH_LEN];
};

static json_t *
file_document(struct topology_store *s, char *err, size_t errlen)
{
	struct topology_store_file *fs = (struct topology_store_file *)s;
	struct json_ctx ctx = {.file = fs->path, .err = err, .errlen = errlen};

	return json_field_load(&ctx);
}

/* fsync a directory, so that a rename inside it survives a crash. */
static int
sync_dir(const char *path)
{
	char dir[STORE_PATH_LEN];
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int
file_commit(struct topology_store *s, const json_t *doc, char *err, size_t errlen)
{
	struct topology_store_file *fs = (struct topology_store_file *)s;
	char tmp[STORE_PATH_LEN + 32];
	const char *step;
	FILE *f;
	int fd, ret;

	if (!json_is_object(doc)) {
		snprintf(err, errlen, "%s: not written: the document must be a JSON object",
			 fs->path);
		return -EINVAL;
	}
	/* The PID keeps two daemons sharing a directory from writing one temporary file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", fs->path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(-ret));
		return ret;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		ret = -errno;
		close(fd);
		step = "fdopen";
		goto fail;
	}
	step = "write";
	errno = 0;
	if (json_dumpf(doc, f, STORE_DUMP_FLAGS) != 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0) {
		ret = errno != 0 ? -errno : -EIO;
		fclose(f);
		goto fail;
	}
	step = "fsync";
	if (fsync(fd) != 0) {
		ret = -errno;
		fclose(f);
		goto fail;
	}
	step = "close";
	if (fclose(f) != 0) {
		ret = -errno;
		goto fail;
	}
	step = "rename";
	if (rename(tmp, fs->path) != 0) {
		ret = -errno;
		goto fail;
	}
	/* The new document is in place; a failed directory sync only weakens crash safety. */
	(void)sync_dir(fs->path);
	if (s->changed != NULL)
		__atomic_store_n(s->changed, 1, __ATOMIC_RELEASE);
	return 0;
fail:
	unlink(tmp);
	snprintf(err, errlen, "%s: not written (%s of %s failed: %s); the old document stays",
		 fs->path, step, tmp, strerror(-ret));
	return ret;
}

static void
file_close(struct topology_store *s)
{
	free(s);
}

static const struct topology_store_ops file_store_ops = {
	.name = "file",
	.document = file_document,
	.commit = file_commit,
	.close = file_close,
};

struct topology_store *
topology_store_file_open(const char *path, int *changed, char *err, size_t errlen)
{
	struct topology_store_file *fs;

	if (strlen(path) >= sizeof(fs->path)) {
		snprintf(err, errlen, "%s: path too long for the topology store", path);
		return NULL;
	}
	fs = calloc(1, sizeof(*fs));
	if (fs == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	fs->base.ops = &file_store_ops;
	fs->base.changed = changed;
	snprintf(fs->path, sizeof(fs->path), "%s", path);
	return &fs->base;
}
