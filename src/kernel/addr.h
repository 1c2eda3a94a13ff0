/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ADDR_H
#define PODNET_ADDR_H

#include "nl.h"

#define ADDR_NODAD 0x1  /* IFA_F_NODAD: usable at once, no DAD wait */

/* Add an address; -EEXIST if already present (err not filled then). */
int addr_add(struct nl_sock *s, int ifindex, const struct pn_cidr *a, unsigned flags,
	     struct pn_err *err) PN_MUST_CHECK;
int addr_del(struct nl_sock *s, int ifindex, const struct pn_cidr *a, struct pn_err *err) PN_MUST_CHECK;
/* All addresses of @ifindex (0: every link) of @family (AF_UNSPEC: both);
 * scope-link IPv6 addresses included.  *out is malloc'ed. */
int addr_list(struct nl_sock *s, int ifindex, int family, struct pn_cidr **out, size_t *n,
	      struct pn_err *err) PN_MUST_CHECK;

#endif
