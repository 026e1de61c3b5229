/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The UNIX sockets of VM ports, looked at just before their device is
 * probed, so that what DPDK would refuse with a bare errno ("configure 1 rx
 * / 1 tx queues: Operation not permitted") is refused naming the socket and
 * what is wrong with it:
 *
 *  - a vhost-user port kairod serves (net_vhost without client=1): kairod
 *    binds iface=PATH.  A socket left there by a kairod that died (nobody
 *    answers on it) is removed, as QEMU does for its server sockets; a live
 *    one (another kairod, another vhost-user server) or a file that is no
 *    socket is refused and left as it is.
 *  - a memif port that is the client (role=client): DPDK's memif client
 *    connects once, when its port starts, and never again; without a server
 *    listening on socket=PATH the start fails, so it is refused with what to
 *    do instead.
 *
 * A vhost-user client (client=1) needs nothing: it connects again every
 * second until the VM's server socket answers.
 */
#ifndef KAIRO_PORT_SOCKET_H
#define KAIRO_PORT_SOCKET_H

#include <stddef.h>

#include "config.h"

/* 0 (the path is ready, or the device has no such socket), or -errno with err. */
int port_socket_prepare(const struct port_config *pc, char *err, size_t errlen);

#endif
