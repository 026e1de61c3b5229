/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the state image (sim/state_image.h), for its two files only:
 * state_image.c (the format: writing it, checking it) and
 * state_image_tables.c (what the thread's tables put in and take out).
 */
#ifndef KAIRO_STATE_IMAGE_INTERNAL_H
#define KAIRO_STATE_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state_image.h"

/* An image being written: a buffer that grows; failed once an allocation did. */
struct state_image_writer {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t section_at;   /* where the open section's header is; 0: none open */
	uint32_t n_sections;
	bool failed;
};

/* Room for the header; sections follow. */
void state_image_begin(struct state_image_writer *w);
/* Open a section of records of type (closing the one open). */
void state_image_section(struct state_image_writer *w, enum state_image_section_type type);
/* One record of the open section, of the size its type has. */
void state_image_record(struct state_image_writer *w, const void *rec);
/* Close the open section, fill in the header: 0 with the buffer handed over, or -ENOMEM. */
int state_image_finish(struct state_image_writer *w, uint64_t saved_ms, void **buf, size_t *len);

/* The record size of each section type (0 for an unknown one). */
size_t state_image_record_len(uint16_t type);

/* Wall-clock milliseconds (the one time two processes share). */
uint64_t state_image_now_ms(void);

#endif
