/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

json_t *
json_field_load(struct json_ctx *ctx)
{
	json_error_t jerr;
	json_t *root = json_load_file(ctx->file, JSON_REJECT_DUPLICATES, &jerr);

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
