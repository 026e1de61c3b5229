/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "json_field.h"

int
json_field_error(struct json_ctx *ctx, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(ctx->err, ctx->errlen, "%s: %s: %s", ctx->file, path, what);
	return -EINVAL;
}

/* What a file that is not a regular one is, in the words an operator reads. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

/*
 * Open path for reading, refusing anything but a regular file.  O_NONBLOCK:
 * opening a FIFO without a writer would otherwise block until one comes (at
 * start, or on the control thread at a reload, where SIGTERM then waits too).
 * The kind is read from the descriptor opened, so a file swapped in between
 * a check and the open cannot get through.  The descriptor, or -errno with
 * the message in ctx->err.
 */
static int
json_field_open(struct json_ctx *ctx)
{
	struct stat st;
	int fd, ret;

	fd = open(ctx->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		/* A socket cannot be opened at all: say what it is rather than "No such device". */
		if (ret == -ENXIO && stat(ctx->file, &st) == 0 && S_ISSOCK(st.st_mode))
			snprintf(ctx->err, ctx->errlen, "%s: is a socket, not a regular file",
				 ctx->file);
		else
			snprintf(ctx->err, ctx->errlen, "%s: cannot open: %s", ctx->file,
				 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		snprintf(ctx->err, ctx->errlen, "%s: cannot stat: %s", ctx->file, strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(ctx->err, ctx->errlen, "%s: is %s, not a regular file", ctx->file,
			 file_kind(st.st_mode));
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	return fd;
}

json_t *
json_field_load(struct json_ctx *ctx)
{
	json_error_t jerr;
	json_t *root;
	int fd = json_field_open(ctx);

	if (fd < 0)
		return NULL;
	/* O_NONBLOCK means nothing to a regular file: reads still wait for the disk. */
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (root == NULL) {
		snprintf(ctx->err, ctx->errlen, "%s: line %d, column %d: %s", ctx->file, jerr.line,
			 jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_field_error(ctx, "(top level)", "must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

static void
field_path(char *buf, size_t len, const char *path, const char *key)
{
	if (path == NULL || path[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", path, key);
}

int
json_field_only(struct json_ctx *ctx, const json_t *obj, const char *path,
		const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const char *const *a;
		char p[256];

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			field_path(p, sizeof(p), path, key);
			return json_field_error(ctx, p, "unknown field");
		}
	}
	return 0;
}

int
json_field_uint(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		uint64_t min, uint64_t max, uint64_t def, bool required, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	char p[256];

	field_path(p, sizeof(p), path, key);
	if (v == NULL) {
		if (required)
			return json_field_error(ctx, p, "missing (required)");
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return json_field_error(ctx, p, "must be an integer");
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
	    (uint64_t)json_integer_value(v) > max)
		return json_field_error(ctx, p, "%lld is out of range [%llu, %llu]",
					(long long)json_integer_value(v), (unsigned long long)min,
					(unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
json_field_bool(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		bool def, bool *out)
{
	const json_t *v = json_object_get(obj, key);
	char p[256];

	field_path(p, sizeof(p), path, key);
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return json_field_error(ctx, p, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

int
json_field_string(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		  const char *def, bool required, char *out, size_t outlen)
{
	const json_t *v = json_object_get(obj, key);
	char p[256];

	field_path(p, sizeof(p), path, key);
	if (v == NULL) {
		if (required || def == NULL)
			return required ? json_field_error(ctx, p, "missing (required)") : 0;
		snprintf(out, outlen, "%s", def);
		return 0;
	}
	if (!json_is_string(v))
		return json_field_error(ctx, p, "must be a string");
	if (json_string_length(v) == 0)
		return json_field_error(ctx, p, "must not be empty");
	if (json_string_length(v) >= outlen)
		return json_field_error(ctx, p, "longer than %zu characters", outlen - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int
json_field_array(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		 bool required, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	field_path(p, sizeof(p), path, key);
	*out = NULL;
	if (v == NULL)
		return required ? json_field_error(ctx, p, "missing (required)") : 0;
	if (!json_is_array(v))
		return json_field_error(ctx, p, "must be an array");
	*out = v;
	return 0;
}

static int
parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

int
json_field_ipv4(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		const char *def, bool required, uint32_t *out)
{
	char s[64], p[256];
	int ret;

	s[0] = '\0';
	if ((ret = json_field_string(ctx, obj, path, key, def, required, s, sizeof(s))) != 0)
		return ret;
	if (s[0] == '\0')
		return 0;
	field_path(p, sizeof(p), path, key);
	if (parse_ipv4(s, out) != 0)
		return json_field_error(ctx, p, "\"%s\" is not an IPv4 address", s);
	return 0;
}

int
json_field_cidr(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		const char *def, bool required, uint32_t *prefix, uint8_t *len)
{
	char s[64], p[256], *slash, *end;
	unsigned long l = 32;
	uint32_t a, mask;
	int ret;

	s[0] = '\0';
	if ((ret = json_field_string(ctx, obj, path, key, def, required, s, sizeof(s))) != 0)
		return ret;
	if (s[0] == '\0')
		return 0;
	field_path(p, sizeof(p), path, key);
	slash = strchr(s, '/');
	if (slash != NULL) {
		*slash = '\0';
		l = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || l > 32)
			return json_field_error(ctx, p, "\"%s/%s\": prefix length must be 0 to 32", s,
						slash + 1);
	}
	if (parse_ipv4(s, &a) != 0)
		return json_field_error(ctx, p, "\"%s\" is not an IPv4 address or CIDR", s);
	mask = l == 0 ? 0 : ~0u << (32 - l);
	*prefix = htonl(ntohl(a) & mask);
	*len = (uint8_t)l;
	return 0;
}

int
json_field_mac(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
	       uint8_t out[6], bool *present)
{
	char s[64], p[256];
	unsigned int b[6];
	int ret, i, n = 0;

	s[0] = '\0';
	*present = false;
	if ((ret = json_field_string(ctx, obj, path, key, NULL, false, s, sizeof(s))) != 0)
		return ret;
	if (s[0] == '\0')
		return 0;
	field_path(p, sizeof(p), path, key);
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) !=
		    6 || s[n] != '\0')
		return json_field_error(ctx, p, "\"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
	if (b[0] & 1)
		return json_field_error(ctx, p, "\"%s\" is a multicast address", s);
	for (i = 0; i < 6; i++)
		out[i] = (uint8_t)b[i];
	*present = true;
	return 0;
}

void
json_merge_over(json_t *base, const json_t *over)
{
	const char *key;
	json_t *v, *b;

	json_object_foreach((json_t *)over, key, v) {
		b = json_object_get(base, key);
		if (json_is_object(b) && json_is_object(v))
			json_merge_over(b, v);
		else
			json_object_set(base, key, v);
	}
}
