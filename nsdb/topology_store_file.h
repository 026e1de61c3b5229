/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded topology store: the document is one local JSON file
 * (config/README.md, "Topology file").  Opening only remembers the path;
 * the file is read by each document() call, so an operator's edit followed
 * by SIGHUP is seen as it always was.
 */
#ifndef KAIRO_TOPOLOGY_STORE_FILE_H
#define KAIRO_TOPOLOGY_STORE_FILE_H

#include <stddef.h>

#include "topology_store.h"

/*
 * A store over the file at path.  changed (may be NULL) is set to 1 after
 * every commit(), so that the daemon's control loop reloads what was written
 * the same way it does on SIGHUP.  NULL with err set on failure.
 */
struct topology_store *topology_store_file_open(const char *path, int *changed, char *err,
						size_t errlen);

#endif
