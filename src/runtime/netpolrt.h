/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NETPOLRT_H
#define PODNET_NETPOLRT_H

/*
 * NetworkPolicies in the state store: what `podnet apply` and podnetd do
 * to one, as kube-apiserver's registry does it.  The store keeps the
 * object whole (netpol_to_json() plus the metadata the API keeps with it);
 * the server's own fields are set here: uid and creationTimestamp at
 * creation, generation 1 then one more for every change of the spec
 * (metadata changes leave it).
 *
 * The caller makes the kernel follow (pol_sync) after a write that
 * changed something: the runtime does not know the policy layer.
 */

#include <jansson.h>

#include "err.h"
#include "netpol.h"
#include "podrt.h"
#include "store.h"

enum netpolrt_outcome { NETPOLRT_CREATED, NETPOLRT_CONFIGURED, NETPOLRT_UNCHANGED };

/*
 * Create or update @np (as parsed and validated).  @w may be NULL (the
 * CLI); with w->dry_run nothing is written.  On success @np holds uid,
 * creation and generation as stored, *out (when @out is not NULL) the
 * object as stored, without a resourceVersion.  Runs in the caller's
 * transaction when one is open.
 * Errors: PN_E_ALREADY_EXISTS (mode CREATE), PN_E_NOT_FOUND (mode UPDATE,
 * or its namespace missing), PN_E_CONFLICT (w->expect_rv not the row's).
 */
int netpolrt_apply(struct store *st, struct pn_netpol *np, const struct podrt_write *w,
		   enum netpolrt_outcome *outcome, json_t **out, struct pn_err *err) PN_MUST_CHECK;

/* The stored object of a row (NULL: not JSON, or out of memory). */
json_t *netpolrt_object(const struct store_netpol *row);

#endif
