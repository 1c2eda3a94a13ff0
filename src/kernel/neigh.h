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

/* One neighbour entry (`ip neigh`): the MAC the kernel will send frames
 * for @ip to, and what it knows of it (NUD_* state). */
struct neigh_entry {
	int ifindex;
	struct pn_ip ip;
	unsigned char mac[6];
	bool has_mac;
	uint16_t state;            /* NUD_REACHABLE, NUD_STALE, NUD_PERMANENT, ... */
	uint8_t flags;             /* NTF_* */
};

/* The entries of @ifindex (0: every link) of @family (AF_UNSPEC: both),
 * proxy entries excluded.  *out malloc'ed. */
int neigh_list(struct nl_sock *s, int ifindex, int family, struct neigh_entry **out, size_t *n,
	       struct pn_err *err) PN_MUST_CHECK;
/* "REACHABLE", "STALE", "PERMANENT", "FAILED"... as ip prints them. */
const char *neigh_state_str(uint16_t state);

#endif
