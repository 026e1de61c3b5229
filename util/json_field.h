/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading typed fields out of jansson objects with errors that say where:
 * "FILE: FIELD.PATH: what is wrong".  Used by the daemon configuration and
 * the embedded topology store, so both refuse bad input the same way.
 * Every function returns 0 or -EINVAL with the message in ctx->err.
 */
#ifndef KAIRO_JSON_FIELD_H
#define KAIRO_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct json_ctx {
	const char *file;
	char *err;
	size_t errlen;
};

int json_field_error(struct json_ctx *ctx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * over's keys into base; where both hold an object under a key, key by key
 * (a host override of flow_cache.capacity keeps the default's idle timeout).
 */
void json_merge_over(json_t *base, const json_t *over);

/*
 * Load ctx->file, which must be a regular file holding a JSON object.  A
 * FIFO, a directory, a device or a socket is refused with what it is ("FILE:
 * is a FIFO, not a regular file"), without waiting for a writer.
 */
json_t *json_field_load(struct json_ctx *ctx);

/* Refuse any key of obj not in allowed (NULL-terminated): a typo must not be silently ignored. */
int json_field_only(struct json_ctx *ctx, const json_t *obj, const char *path,
		    const char *const *allowed);

int json_field_uint(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    uint64_t min, uint64_t max, uint64_t def, bool required, uint64_t *out);
int json_field_bool(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    bool def, bool *out);
/* A string that must fit in out (outlen bytes, NUL included) and not be empty. */
int json_field_string(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		      const char *def, bool required, char *out, size_t outlen);
/* An array field (absent = NULL with 0 when !required). */
int json_field_array(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		     bool required, json_t **out);

/* "10.0.0.1" into a network-order address. */
int json_field_ipv4(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    const char *def, bool required, uint32_t *out);
/* "10.0.0.0/24" into a network-order prefix, masked, and its length. "10.0.0.1" means /32. */
int json_field_cidr(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    const char *def, bool required, uint32_t *prefix, uint8_t *len);
/* "02:00:00:00:00:01"; absent leaves out untouched and sets *present false. */
int json_field_mac(struct json_ctx *ctx, const json_t *obj, const char *path, const char *key,
		   uint8_t out[6], bool *present);

#endif
