/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NETNS_H
#define PODNET_NETNS_H

#include "err.h"
#include "util.h"

/* Open a network namespace by path (/run/netns/X, /proc/PID/ns/net);
 * checks it is an nsfs file of type CLONE_NEWNET. Returns fd or -errno
 * (PN_CNI_UNKNOWN_CONTAINER-style errors are the caller's to choose). */
int netns_open(const char *path, struct pn_err *err) PN_MUST_CHECK;

/* Run @fn(@arg) in a thread that has joined @netns_fd; returns fn's value.
 * The caller's thread never changes namespace. */
int netns_run(int netns_fd, int (*fn)(void *arg), void *arg, struct pn_err *err) PN_MUST_CHECK;

/* Write a sysctl under /proc/sys (path relative, e.g. "net/ipv4/ip_forward")
 * in the caller's namespace, only if its value differs. */
int sysctl_ensure(const char *path, const char *value, struct pn_err *err) PN_MUST_CHECK;

#endif
