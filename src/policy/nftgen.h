/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NFTGEN_H
#define PODNET_NFTGEN_H

/*
 * NetworkPolicy → nftables: the part of podnet's table that enforces the
 * node's policies (docs/networkpolicy.md draws it):
 *
 *   table inet podnet
 *     chain forward          hook forward, priority filter, policy accept:
 *                              ct state established,related accept
 *                              ip saddr vmap @egress-v4    (ip6: egress-v6)
 *                              goto policy-ingress
 *     chain policy-ingress     ip daddr vmap @ingress-v4   (ip6: ingress-v6)
 *                              accept
 *     map egress-v4/-v6      isolated pod IP → goto egress-<group>
 *     map ingress-v4/-v6     isolated pod IP → goto ingress-<group>
 *     chain ingress-<group>  jump ingress/<ns>/<policy> for each policy of
 *                            the group (the policies selecting the pod),
 *                            then counter drop
 *     chain ingress/<ns>/<policy>  one rule per peer x port of each ingress
 *                            rule: ... accept
 *     chain egress/<ns>/<policy>   likewise: ... goto policy-ingress (the
 *                            destination's ingress still has its say)
 *     set pods-<hash>-v4/-v6 the pods a peer selector selects
 *     set port-<proto>-<name>-v4/-v6  pod IP . proto . port of every pod
 *                            with that named container port
 *
 * Per new connection the cost is two map lookups plus the rules of the
 * policies that select the two pods, whatever the number of policies and
 * pods on the node; established packets leave at the first rule.
 *
 * The generator decides who is selected by set algebra over an inverted
 * label index (label → pods), not by matching selectors pod by pod as the
 * evaluator does: the two share no decision code, so tests compare them.
 */

#include "nftmodel.h"
#include "world.h"

#define POL_NFT_FAMILY "inet"
#define POL_NFT_TABLE "podnet"
#define POL_NFT_FORWARD "forward"
#define POL_NFT_INGRESS "policy-ingress"

/* Add the NetworkPolicy objects for @w to @t (nothing when no pod is
 * isolated).  t->oom reports allocation failures at nftm_finish(). */
int pol_nft_build(const struct pol_world *w, struct nftm_table *t, struct pn_err *err) PN_MUST_CHECK;

#endif
