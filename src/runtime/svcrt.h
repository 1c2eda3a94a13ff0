/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SVCRT_H
#define PODNET_SVCRT_H

/*
 * Services in the state store: what `podnet apply` and `podnet delete` do
 * to a Service, with the API server's allocators.
 *
 *  - Cluster IPs come from the service CIDR (PODNET_SERVICE_CIDR, default
 *    10.96.0.0/12, as kube-apiserver's --service-cluster-ip-range); its
 *    network and broadcast addresses are never given out.  A requested
 *    address (spec.clusterIP) must be inside and free; one left empty is
 *    drawn at random, from the upper part of the range first, so that
 *    requested addresses (conventionally low: 10.96.0.10 for DNS) rarely
 *    meet a dynamic one (KEP-3070's static/dynamic split).
 *  - Node ports come from PODNET_NODEPORT_RANGE ("30000-32767", as
 *    --service-node-port-range), the same way.
 *  - Conflicts and out-of-range requests fail with kube-apiserver's
 *    messages ("The Service \"x\" is invalid: spec.clusterIPs: Invalid
 *    value: []string{\"10.0.0.1\"}: failed to allocate IP 10.0.0.1:
 *    provided IP is not in the valid range. The range of valid IPs is
 *    10.96.0.0/12"), code PN_E_INVALID with one cause.
 *
 * The store's UNIQUE keys (cluster_ip; node_ports' (protocol, port)) are
 * the allocators' locks: two concurrent applies cannot hand out one
 * address, whatever they read before.
 */

#include <jansson.h>

#include "err.h"
#include "podrt.h"
#include "service.h"
#include "store.h"
#include "util.h"

struct svcrt_cfg {
	struct pn_cidr cidr;   /* network address (host bits clear) */
	int np_min, np_max;    /* node port range, inclusive */
};

/* From the environment (PODNET_SERVICE_CIDR, PODNET_NODEPORT_RANGE), with
 * kube-apiserver's defaults; a bad value is an error naming it. */
int svcrt_config(struct svcrt_cfg *cfg, struct pn_err *err) PN_MUST_CHECK;

enum svcrt_outcome { SVCRT_CREATED, SVCRT_CONFIGURED, SVCRT_UNCHANGED };

/*
 * Create or update @svc (as parsed).  An update keeps the allocated
 * cluster IP and node ports the manifest leaves out; a changed
 * clusterIP is refused as the API server refuses it.  On success @svc
 * holds what was stored (uid, creation, addresses).  Runs in the caller's
 * transaction when one is open (a batch of Services commits once), else
 * in its own.
 */
int svcrt_apply(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
		enum svcrt_outcome *outcome, struct pn_err *err) PN_MUST_CHECK;

/*
 * svcrt_apply() as the API writes: @w (NULL: as svcrt_apply) adds the
 * metadata the API keeps, the create-only/update-only mode
 * (PN_E_ALREADY_EXISTS / PN_E_NOT_FOUND), the resourceVersion the writer
 * read (PN_E_CONFLICT when the row moved) and dry runs (everything,
 * allocations included, then rolled back).  *out (when @out is not NULL):
 * the object as stored, without resourceVersion.
 */
int svcrt_write(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
		const struct podrt_write *w, enum svcrt_outcome *outcome, json_t **out,
		struct pn_err *err) PN_MUST_CHECK;

/* Every Service of @namespace_ (NULL: all), decoded; sorted by namespace, name. */
int svcrt_list(struct store *st, const char *namespace_, struct pn_service ***out, size_t *n,
	       struct pn_err *err) PN_MUST_CHECK;
int svcrt_get(struct store *st, const char *namespace_, const char *name,
	      struct pn_service **out, struct pn_err *err) PN_MUST_CHECK;
void svcrt_array_free(struct pn_service **a, size_t n);

/* Remove a Service (its node ports and address are free again). */
int svcrt_delete(struct store *st, const char *namespace_, const char *name,
		 struct pn_err *err) PN_MUST_CHECK;

#endif
