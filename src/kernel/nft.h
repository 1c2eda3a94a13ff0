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
#include <stdint.h>

#include "util.h"

/* True if every subnet's masquerade rule exists. */
int nft_masq_check(const char *network, const struct pn_cidr *subnets, size_t n,
		   struct pn_err *err) PN_MUST_CHECK; /* 0 ok; -ENOENT + PN_E_CHECK naming what is missing */
/* Make it so (no-op, one netlink dump, when already present). */
int nft_masq_ensure(const char *network, const struct pn_cidr *subnets, size_t n,
		    struct pn_err *err) PN_MUST_CHECK;
/* Remove the network's tables; 0 if absent. */
int nft_masq_remove(const char *network, struct pn_err *err) PN_MUST_CHECK;

/*
 * The kernel's handle of table @name of family @nfproto (NFPROTO_INET...):
 * unique per creation within the netns (nf_tables_newtable() numbers
 * tables from a per-netns counter), so a handle seen earlier tells that
 * the table was not deleted and made again meanwhile.  -ENOENT if absent.
 */
int nft_table_handle(uint8_t nfproto, const char *name, uint64_t *handle,
		     struct pn_err *err) PN_MUST_CHECK;

/*
 * Set elements over nfnetlink, for the per-pod entries the static CNI
 * plugin keeps (no libnftables there).  A key is the element's bytes as
 * the kernel stores them: a concatenation's fields each padded to 4
 * bytes (ifname 16, ether_addr 6+2, ipv4_addr 4, ipv6_addr 16).
 */
#define NFT_ELEM_KEY_MAX 64
struct nft_elem {
	const char *set;
	uint8_t key[NFT_ELEM_KEY_MAX];
	size_t key_len;
};

/* Add (@del false) or delete @n elements of table @table in one
 * transaction.  Adding an element that exists is no error; deleting one
 * that does not is -ENOENT, and then nothing is deleted. */
int nft_elems_apply(uint8_t nfproto, const char *table, const struct nft_elem *e, size_t n,
		    bool del, struct pn_err *err) PN_MUST_CHECK;

/* Call @cb with every element key of @set; -ENOENT if table or set is
 * absent.  @cb returns < 0 to stop with that value. */
typedef int (*nft_elem_cb)(const uint8_t *key, size_t len, void *arg);
int nft_elems_dump(uint8_t nfproto, const char *table, const char *set, nft_elem_cb cb, void *arg,
		   struct pn_err *err) PN_MUST_CHECK;

/* Does table @table (family @nfproto) have chain @chain?  0 yes, -ENOENT no. */
int nft_chain_present(uint8_t nfproto, const char *table, const char *chain,
		      struct pn_err *err) PN_MUST_CHECK;

/* `nft -f -` with @script (one transaction), for a network's tables
 * that are set up once and repaired by CHECK; @network names it in
 * messages. */
int nft_script_run(const char *network, const char *script, struct pn_err *err) PN_MUST_CHECK;

#endif
