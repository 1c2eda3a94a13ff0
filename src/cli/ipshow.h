/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_IPSHOW_H
#define PODNET_IPSHOW_H

/*
 * What `ip link`, `ip addr`, `ip route` and `ip neigh` show, read over
 * rtnetlink from a socket (typically one opened inside a pod's netns with
 * nl_open_in_netns).  Every reader returns a JSON array shaped exactly as
 * `ip -j` prints it (iproute2 6.1 key names and order), in the kernel's dump
 * order, which is the order `ip` prints.  The text form is rendered from
 * that array (ipshow_*_text), so text and JSON cannot disagree.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "nl.h"

/* `ip link` (@with_addrs false: "linkmode" included, no addresses) or
 * `ip addr` (@with_addrs true: "addr_info" per link).  @family AF_INET or
 * AF_INET6 filters addresses as `ip -4/-6 addr` does: links without an
 * address of that family are left out, and so is their link/ether line.
 * AF_UNSPEC: everything. */
int ipshow_links(struct nl_sock *s, bool with_addrs, int family, json_t **out,
		 struct pn_err *err) PN_MUST_CHECK;

/* `ip route` (main table, @family AF_INET) / `ip -6 route` (AF_INET6). */
int ipshow_routes(struct nl_sock *s, int family, json_t **out, struct pn_err *err) PN_MUST_CHECK;

/* `ip neigh`: AF_UNSPEC for both families, or AF_INET/AF_INET6. */
int ipshow_neighs(struct nl_sock *s, int family, json_t **out, struct pn_err *err) PN_MUST_CHECK;

/* The text `ip` prints for one of the arrays above, written to @f.  These
 * are formatters over data already read, the only place the library
 * writes: the caller owns @f (stdout, a memstream). */
void ipshow_links_text(FILE *f, const json_t *links, bool with_addrs);
void ipshow_routes_text(FILE *f, const json_t *routes);
void ipshow_neighs_text(FILE *f, const json_t *neighs);

/*
 * `ip -br link` / `ip -br addr` (iproute2 6.1): from the arrays of
 * ipshow_links(), the brief objects as `ip -j -br` prints them ("link" or
 * "link_index", "ifname", "operstate", then "address" and "flags" for
 * links, "addr_info" of {"local", "prefixlen"} for addresses).  New array.
 */
json_t *ipshow_links_brief(const json_t *links, bool with_addrs);
/* Their text: name[@link] in 16 columns, the state in 14, then the MAC and
 * <flags>, or each address/prefix, every field followed by one space. */
void ipshow_links_brief_text(FILE *f, const json_t *brief, bool with_addrs);
/* Keep only the link named @ifname (`ip addr show [dev] IFNAME`); false if
 * there is none. */
bool ipshow_links_only(json_t *links, const char *ifname);

#endif
