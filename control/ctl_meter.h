/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's meter commands (mm-meter): their context is the struct kairo_dp. */
#ifndef KAIRO_CTL_METER_H
#define KAIRO_CTL_METER_H

#include <stddef.h>

#include <jansson.h>

/* "meter list": every meter, {"meters": [{"name", "packets", "bytes"}]}. */
int ctl_meter_list(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);
/* "meter get" args {"name": N}: one sample {"name", "packets", "bytes"}. */
int ctl_meter_get(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

#endif
