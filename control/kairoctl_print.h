/* SPDX-License-Identifier: Apache-2.0 */
/* kairoctl's text form of a reply's result (without --json). */
#ifndef KAIRO_KAIROCTL_PRINT_H
#define KAIRO_KAIROCTL_PRINT_H

#include <jansson.h>

#include "ctl_protocol.h"

/* Print command id's result; local holds kairoctl's own arguments (show drops --all). */
void kairoctl_print(enum ctl_command_id id, json_t *result, const json_t *local);

#endif
