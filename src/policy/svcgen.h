/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SVCGEN_H
#define PODNET_SVCGEN_H

/*
 * Services → nftables, the way kube-proxy's nftables mode (KEP-3866) does
 * it, in podnet's one table beside the NetworkPolicy objects
 * (docs/services.md draws it):
 *
 *   chain svc-nat-prerouting   hook prerouting, priority dstnat: jump svc-services
 *   chain svc-nat-output       hook output, priority dstnat:     jump svc-services
 *   chain svc-nat-postrouting  hook postrouting, priority srcnat: jump svc-masquerading
 *   chain svc-filter-forward   hook forward, priority -110: new connections to a
 *   chain svc-filter-output    hook output, priority -110:  Service without endpoints
 *   chain svc-filter-input     hook input, priority -110:   are rejected (ICMP)
 *   chain svc-filter-output-post-dnat  hook output, priority -90: a cluster IP
 *                              on a port no Service has is rejected (forward
 *                              checks it too: DNAT came before it there)
 *   chain svc-services   ip daddr . meta l4proto . th dport vmap @svc-ips
 *                        fib daddr type local ... th dport vmap @svc-nodeports
 *                        fib daddr type local ... th dport vmap @svc-hostports
 *   map svc-ips          cluster IP . proto . port → goto svc-<hash>-<ns>/<svc>/<proto>/<port>
 *   map svc-nodeports    proto . node port → goto svc-ext-<hash>-...
 *   map svc-hostports    proto . host port → goto svc-hp-<hash>-<ns>/<pod>/<proto>/<port>
 *   map svc-no-endpoints, svc-no-endpoint-nodeports → goto svc-reject
 *   set svc-cluster-ips  every cluster IP (traffic to a port no Service has: reject)
 *   set svc-pods         every pod address ("from a pod": no masquerade)
 *   chain svc-<hash>-...     masquerade unless from a pod; affinity; then
 *                            numgen random mod N vmap { 0 : goto svc-ep-..., ... }
 *   chain svc-ext-<hash>-... node port: masquerade (externalTrafficPolicy
 *                            Cluster), or only the node's own (Local), then
 *                            goto the Service port's chain
 *   chain svc-ep-<hash>-...__<ip>/<port>  hairpin masquerade (a pod reaching
 *                            itself), affinity update, dnat ip to <ip>:<port>
 *   set svc-aff-<hash>-...   ClientIP affinity: dynamic, timeoutSeconds
 *
 * Per packet the cost is one map lookup to find the Service port, whatever
 * the number of Services, then a few rules and one numgen lookup.
 *
 * One node, so every endpoint is local: internalTrafficPolicy Local and
 * Cluster pick the same endpoints; externalTrafficPolicy Local keeps the
 * client's source address (no masquerade) for node-port traffic that does
 * not come from the node itself.
 */

#include <stddef.h>

#include "endpoints.h"
#include "err.h"
#include "nftmodel.h"
#include "service.h"
#include "store.h"
#include "util.h"

/* A pod's hostPort: the node's addresses, @proto/@host_port, to the pod. */
struct svc_hostport {
	const char *ns, *pod;
	const char *proto;       /* "TCP", "UDP", "SCTP" */
	int host_port;
	const char *pod_ip;
	int container_port;
};

struct svc_input {
	struct pn_service *const *svcs;
	size_t n_svcs;
	struct ep_slice *const *slices;   /* per Service */
	const size_t *n_slices;
	const char *const *pod_ips;       /* every pod address (not hostNetwork) */
	size_t n_pod_ips;
	struct pn_cidr svc_cidr;
	const struct svc_hostport *hostports;
	size_t n_hostports;
};

/* kube-proxy's masquerade mark bit (--masquerade-bit 14). */
#define SVC_MASQ_MARK "0x00004000"

/*
 * Everything svc_nft_build() needs, from the store and the pods' shims:
 * Services, their EndpointSlices (with readiness), the pods' addresses
 * and hostPorts, the service CIDR.  @root is PODNET_ROOT (pod dirs).
 */
struct svc_loaded {
	struct svc_input in;
	struct pn_service **svcs;
	struct ep_slice **slices;
	size_t *n_slices;
	char **pod_ips;
	struct svc_hostport *hostports;
	struct ep_podset pods;
};

int svc_input_load(struct store *st, const char *root, struct svc_loaded *l,
		   struct pn_err *err) PN_MUST_CHECK;
void svc_loaded_free(struct svc_loaded *l);

/* Add the Services' objects to @t (nothing at all when there is no
 * Service and no hostPort).  t->oom reports allocation failures. */
int svc_nft_build(const struct svc_input *in, struct nftm_table *t, struct pn_err *err) PN_MUST_CHECK;

#endif
