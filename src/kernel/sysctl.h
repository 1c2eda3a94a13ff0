/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SYSCTL_H
#define PODNET_SYSCTL_H

#include "err.h"
#include "util.h"

/* Write a sysctl under /proc/sys (path relative, e.g. "net/ipv4/ip_forward")
 * in the caller's namespace, only if its value differs. */
int sysctl_ensure(const char *path, const char *value, struct pn_err *err) PN_MUST_CHECK;

#endif
