/* SPDX-License-Identifier: Apache-2.0 */
/* Names and help lines of the drop reasons, from the one list in drop_reason.h. */
#include "drop_reason.h"

static const char *const drop_names[DROP_REASON_COUNT] = {
#define KAIRO_DROP_NAME(sym, name, help) [DROP_##sym] = name,
	KAIRO_DROP_REASONS(KAIRO_DROP_NAME)
#undef KAIRO_DROP_NAME
};

static const char *const drop_helps[DROP_REASON_COUNT] = {
#define KAIRO_DROP_HELP(sym, name, help) [DROP_##sym] = help,
	KAIRO_DROP_REASONS(KAIRO_DROP_HELP)
#undef KAIRO_DROP_HELP
};

const char *
drop_reason_name(unsigned int reason)
{
	/* Numbers come from counter dumps and the API too: never index with one unchecked. */
	if (reason >= DROP_REASON_COUNT)
		return "unknown";
	return drop_names[reason];
}

const char *
drop_reason_help(unsigned int reason)
{
	if (reason >= DROP_REASON_COUNT)
		return "unknown";
	return drop_helps[reason];
}
