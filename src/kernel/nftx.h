/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NFTX_H
#define PODNET_NFTX_H

/*
 * nft scripts through libnftables, for podnet's own tables (NetworkPolicy
 * now, Services next).  One call is one nf_tables transaction: libnftables
 * sends the whole script as one netlink batch, which the kernel commits
 * or aborts as a whole, so no packet sees half a change.
 *
 * Only the podnet binary links libnftables: the CNI plugins are static and
 * Debian ships no static libnftables (they use nft.h's netlink instead).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

/* Run @script; on failure err->msg names @what and err->details carries
 * nft's own message (the offending line and its error). */
int nftx_run(const char *script, const char *what, struct pn_err *err) PN_MUST_CHECK;

/* Run a listing command ("list table inet podnet") and return its text
 * (heap) in *out. */
int nftx_list(const char *cmd, char **out, struct pn_err *err) PN_MUST_CHECK;

/* nftx_run()/nftx_list() inside the network namespace @netns_fd (-1: the
 * caller's): libnftables' netlink socket belongs to the namespace of the
 * thread that opens it, so the context lives in a thread that joined it. */
int nftx_run_in(int netns_fd, const char *script, const char *what,
		struct pn_err *err) PN_MUST_CHECK;

/*
 * A namespace's whole ruleset, every table of every family (podnet's or
 * not), as nft prints it with handles: for each chain its hook when it is
 * a base chain, for each rule its handle and its text exactly as `nft -a
 * list ruleset` shows it (stateless: counters print without their values,
 * so the text names the rule, not its history).
 */
#define NFTX_NAME_MAX 256         /* NFT_TABLE_MAXNAMELEN, NFT_CHAIN_MAXNAMELEN */
struct nftx_chain {
	uint8_t family;            /* NFPROTO_* */
	char *table, *name;
	char *hook;                /* "forward", "ingress"...; NULL: a regular chain */
	char *priority;            /* as printed: "filter + 5", "-300" */
	char *policy;              /* "accept"/"drop"; NULL for a regular chain */
	char *comment;             /* the chain's comment, unquoted; NULL if none */
};
struct nftx_rule {
	uint8_t family;
	char *table, *chain;
	uint64_t handle;
	char *text;                /* without the " # handle N" */
};
struct nftx_ruleset {
	struct nftx_chain *chains;
	size_t n_chains;
	struct nftx_rule *rules;
	size_t n_rules;
};

int nftx_ruleset_read(int netns_fd, struct nftx_ruleset **out, struct pn_err *err) PN_MUST_CHECK;
/* Parse nft's text (exposed for the unit test); NULL on allocation failure. */
struct nftx_ruleset *nftx_ruleset_parse(const char *text);
const struct nftx_rule *nftx_ruleset_rule(const struct nftx_ruleset *rs, uint8_t family,
					  const char *table, const char *chain, uint64_t handle);
const struct nftx_chain *nftx_ruleset_chain(const struct nftx_ruleset *rs, uint8_t family,
					    const char *table, const char *chain);
void nftx_ruleset_free(struct nftx_ruleset *rs);

/* NFPROTO_* of nft's family name ("ip", "inet"...); 0 if unknown. */
uint8_t nftx_family_parse(const char *name);

#endif
