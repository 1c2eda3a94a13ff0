/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NEIGH_H
#define PODNET_NEIGH_H

/*
 * Proxy neighbour entries (NTF_PROXY): with proxy_ndp on a link, the
 * kernel answers neighbour solicitations received there for these
 * addresses with the link's own MAC, as proxy_arp does for IPv4.
 */

#include "nl.h"

/* Idempotent: an existing entry is replaced. */
int neigh_proxy_add(struct nl_sock *s, int ifindex, const struct pn_ip *ip,
		    struct pn_err *err) PN_MUST_CHECK;
/* -ENOENT if there is none (err untouched). */
int neigh_proxy_del(struct nl_sock *s, int ifindex, const struct pn_ip *ip,
		    struct pn_err *err) PN_MUST_CHECK;

#endif
