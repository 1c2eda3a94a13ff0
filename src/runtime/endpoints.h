/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ENDPOINTS_H
#define PODNET_ENDPOINTS_H

/*
 * A Service's endpoints, as the EndpointSlice controller computes them:
 * the pods of the Service's namespace whose labels hold every pair of its
 * selector, that have an address and are not finished (Succeeded or
 * Failed), each with the conditions kube-proxy reads:
 *   ready       = the pod is Ready (every container ready), or the Service
 *                 publishes not-ready addresses;
 *   serving     = the pod is Ready, whatever publishNotReadyAddresses says;
 *   terminating = the pod is being deleted.
 * Ports are the Service's, each resolved per pod: a number is taken as
 * is, a name is looked up among the pod's container ports with the same
 * protocol (podutil.FindPort); a pod that lacks the name has no endpoint
 * on that port.  Pods that resolve to the same port numbers share a
 * slice, so a Service whose named port means 8080 in some pods and 9090
 * in others has two slices, as in Kubernetes.
 *
 * A Service without a selector gets no slice (its endpoints are someone
 * else's to manage); one with a selector always gets at least one, empty
 * when nothing matches (kubectl describe then prints an empty Endpoints).
 *
 * Pure: endpoints_compute() reads its arguments only; endpoints_pods_load()
 * gathers the node's pods with their readiness (from the shims' status
 * files) for it.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "podrt.h"
#include "service.h"

/* A pod as the controller sees it. */
struct ep_pod {
	const struct pn_pod *pod;   /* spec: labels and container ports */
	const char *uid;
	const char *ip;             /* NULL: no address yet (not an endpoint) */
	bool ready;                 /* Ready condition */
	bool terminating;           /* being deleted */
	bool finished;              /* phase Succeeded or Failed */
};

struct ep_port {
	char *name;                 /* the Service port's name; "" when unnamed */
	char *protocol;
	int port;                   /* resolved target port */
};

struct ep_endpoint {
	char *ip;
	char *pod_name, *pod_uid;
	bool ready, serving, terminating;
};

struct ep_slice {
	char *name;                 /* <service>-<5 chars>, stable for a Service and port set */
	struct ep_port *ports;
	size_t n_ports;
	struct ep_endpoint *eps;
	size_t n_eps;
};

int endpoints_compute(const struct pn_service *svc, const struct ep_pod *pods, size_t n_pods,
		      struct ep_slice **out, size_t *n_out, struct pn_err *err) PN_MUST_CHECK;
void ep_slices_free(struct ep_slice *s, size_t n);

/* The first container port named @name with @protocol, 0 if none. */
int endpoints_find_port(const struct pn_pod *pod, const char *name, const char *protocol);

/* The node's pods for endpoints_compute(), with what they hold. */
struct ep_podset {
	struct ep_pod *pods;
	size_t n;
	struct pn_pod **specs;      /* owned; NULL when the specs are a memo's */
	struct store_pod *rows;     /* owned */
	size_t n_rows;
};

/* @root: PODNET_ROOT, where the pods' shims keep their status files.
 * @hostports_only: only pods with a hostPort, readiness not read (what a
 * sync needs when there is no Service: cheap on a node of many pods). */
int endpoints_pods_load(struct store *st, const char *root, bool hostports_only,
			struct ep_podset *set, struct pn_err *err) PN_MUST_CHECK;
void endpoints_pods_free(struct ep_podset *set);

/*
 * What endpoints_pods_load() learnt of each pod, kept for the next load
 * by a caller that loads after every change (podnetd, for the
 * EndpointSlices): a pod whose row has the resourceVersion it had last
 * time is taken from the memo instead of parsed and looked at again (its
 * spec decoded, its containers' rows and status files read: most of a
 * load's time on a node of hundreds of pods).  Every write of a pod's
 * row, its observed status included, moves its resourceVersion, so what
 * a kept entry says is what a new look would say.
 */
struct ep_memo;

int ep_memo_new(struct ep_memo **out) PN_MUST_CHECK;
void ep_memo_free(struct ep_memo *m);
/* endpoints_pods_load(), not hostports_only, through @memo (updated to
 * the pods loaded).  The set's specs belong to the memo: the set must be
 * freed (endpoints_pods_free) before the memo is loaded again or freed. */
int endpoints_pods_load_memo(struct store *st, const char *root, struct ep_memo *memo,
			     struct ep_podset *set, struct pn_err *err) PN_MUST_CHECK;

/*
 * The EndpointSlice as the API serves it (discovery.k8s.io/v1): metadata
 * with the service-name and managed-by labels and the owner reference,
 * addressType, endpoints with conditions and target references, ports.
 * @node is nodeName; @created the slice's creationTimestamp (the
 * Service's).  NULL when out of memory.
 */
json_t *ep_slice_to_json(const struct pn_service *svc, const struct ep_slice *s, const char *node);

#endif
