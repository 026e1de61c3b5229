/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the state image's checker (sim/state_image.h), which stands
 * between a file a previous kairod left (or anything else at that path, or
 * a hand-over's memfd) and the simulation's tables: everything a load
 * touches is what state_image_check accepted.
 *
 * Input: byte 0 bit 0 set: the header's body length and both checksums are
 * made right before the check, so the fuzzer gets past them to the
 * sections and records; the rest is the image.
 *
 * Invariants checked: 0 or -EINVAL; a refusal says "state image: byte N:"
 * with N inside the image (or its end); an accepted image's sections, walked
 * again, cover it exactly, each record the size its type has.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "state_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fix_checksums(uint8_t *img, size_t len)
{
	struct state_image_header h;

	if (len < sizeof(h))
		return;
	memcpy(&h, img, sizeof(h));
	h.body_len = len - sizeof(h);
	h.body_crc = state_image_crc(img + sizeof(h), len - sizeof(h));
	h.header_crc = 0;
	h.header_crc = state_image_crc(&h, sizeof(h));
	memcpy(img, &h, sizeof(h));
}

static void
walk_accepted(const uint8_t *img, size_t len)
{
	struct state_image_header h;
	struct state_image_section s;
	size_t off = sizeof(h);
	uint32_t i;

	memcpy(&h, img, sizeof(h));
	FUZZ_CHECK(h.body_len == len - sizeof(h));
	for (i = 0; i < h.n_sections; i++) {
		FUZZ_CHECK(len - off >= sizeof(s));
		memcpy(&s, img + off, sizeof(s));
		FUZZ_CHECK(s.type >= STATE_IMAGE_CONNS && s.type <= STATE_IMAGE_SECTION_MAX);
		off += sizeof(s) + (size_t)s.count * s.record_len;
		FUZZ_CHECK(off <= len);
	}
	FUZZ_CHECK(off == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	size_t at, len;
	uint8_t *img;
	int ret;

	if (size < 1)
		return 0;
	len = size - 1;
	img = malloc(len + 1);
	if (img == NULL)
		return 0;
	memcpy(img, data + 1, len);
	if (data[0] & 1)
		fix_checksums(img, len);
	err[0] = '\0';
	ret = state_image_check(img, len, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		walk_accepted(img, len);
	} else {
		FUZZ_CHECK(sscanf(err, "state image: byte %zu:", &at) == 1);
		FUZZ_CHECK(at <= len);
	}
	free(img);
	return 0;
}
