/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hash of a name an operator wrote (an id, a meter's name, a host id):
 * FNV-1a over its bytes.  Byte-wise on purpose: such strings sit anywhere in
 * a record, unaligned, where rte_hash_crc's word reads are undefined (UBSan).
 * Not for packet keys: those go through rte_hash's own hash.
 */
#ifndef KAIRO_NAME_HASH_H
#define KAIRO_NAME_HASH_H

#include <stdint.h>

static inline uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

#endif
