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

#include "err.h"
#include "util.h"

/* Run @script; on failure err->msg names @what and err->details carries
 * nft's own message (the offending line and its error). */
int nftx_run(const char *script, const char *what, struct pn_err *err) PN_MUST_CHECK;

/* Run a listing command ("list table inet podnet") and return its text
 * (heap) in *out. */
int nftx_list(const char *cmd, char **out, struct pn_err *err) PN_MUST_CHECK;

#endif
