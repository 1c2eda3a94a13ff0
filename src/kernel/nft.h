/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NFT_H
#define PODNET_NFT_H

/*
 * Masquerade for a CNI network, one table per network (not per pod):
 *   table ip podnet-<net>   (and table ip6 podnet-<net> for IPv6 subnets)
 *     chain postrouting { type nat hook postrouting priority srcnat;
 *       ip saddr <subnet> ip daddr != <subnet> ip daddr != 224.0.0.0/4 masquerade
 *         comment "podnet:<net>:<subnet>" }
 * Presence is read over nfnetlink (NFT_MSG_GETRULE dump, matched by the
 * rule's comment), so an ADD that finds the rules in place runs nothing;
 * only a missing table is (re)built, through `nft -f -` in one atomic
 * transaction that deletes and recreates the table, so racing ADDs end in
 * the same ruleset.
 */

#include <stdbool.h>

#include "util.h"

/* True if every subnet's masquerade rule exists. */
int nft_masq_check(const char *network, const struct pn_cidr *subnets, size_t n,
		   struct pn_err *err) PN_MUST_CHECK; /* 0 ok; -ENOENT + PN_E_CHECK naming what is missing */
/* Make it so (no-op, one netlink dump, when already present). */
int nft_masq_ensure(const char *network, const struct pn_cidr *subnets, size_t n,
		    struct pn_err *err) PN_MUST_CHECK;
/* Remove the network's tables; 0 if absent. */
int nft_masq_remove(const char *network, struct pn_err *err) PN_MUST_CHECK;

#endif
