/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_WORLD_H
#define PODNET_WORLD_H

/*
 * The policy layer's view of the node: a snapshot of the namespaces (with
 * their labels), the pods that have addresses (labels, IPs, container
 * ports) and the NetworkPolicies.  Both the evaluator (evaluate.h) and the
 * nftables generator (nftgen.h) read it; neither changes it, and they share
 * nothing beyond it, so each can check the other.
 *
 * Built from the state store by pol_world_load(), or by hand (tests,
 * benchmarks) with the pol_world_add_*() functions, which copy what they
 * are given.  Services will add their objects here the same way.
 */

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netpol.h"
#include "pod.h"
#include "util.h"

struct store;

struct pol_ns {
	char *name;
	struct pn_kvs labels;     /* always holds kubernetes.io/metadata.name */
};

/* A container port as NetworkPolicy's named ports see it. */
struct pol_port {
	char *name;               /* NULL: unnamed */
	int port;
	enum pn_proto proto;
};

struct pol_pod {
	char *ns;
	char *name;
	struct pn_kvs labels;
	struct pn_ip ips[2];      /* at most one per family */
	size_t n_ips;
	struct pol_port *ports;   /* every container's ports */
	size_t n_ports;
	size_t ns_idx;            /* index into pol_world.nss */
};

struct pol_world {
	struct pol_ns *nss;       /* sorted by name */
	size_t n_nss;
	struct pol_pod *pods;     /* sorted by namespace, name */
	size_t n_pods;
	struct pn_netpol **pols;  /* sorted by namespace, name; owned */
	size_t n_pols;
};

int pol_world_new(struct pol_world **out, struct pn_err *err) PN_MUST_CHECK;
void pol_world_free(struct pol_world *w);

/* A namespace; kubernetes.io/metadata.name is added when missing, as the
 * API server does.  Adding an existing name replaces its labels. */
int pol_world_add_namespace(struct pol_world *w, const char *name, const struct pn_kvs *labels,
			    struct pn_err *err) PN_MUST_CHECK;
/* A pod with its addresses (hostNetwork pods have none of their own and
 * are not added: policy does not apply to them).  Its namespace is added
 * without labels if unknown. */
int pol_world_add_pod(struct pol_world *w, const struct pn_pod *pod, const struct pn_ip *ips,
		      size_t n_ips, struct pn_err *err) PN_MUST_CHECK;
/* Takes ownership of @np (also on failure). */
int pol_world_add_policy(struct pol_world *w, struct pn_netpol *np, struct pn_err *err) PN_MUST_CHECK;
/* Sort and index after the last add; lookups need it. */
void pol_world_finish(struct pol_world *w);

/* Everything the store holds, finished.  Pods without an address yet
 * (before CNI ADD) and hostNetwork pods are left out. */
int pol_world_load(struct store *st, struct pol_world **out, struct pn_err *err) PN_MUST_CHECK;

const struct pol_ns *pol_world_ns(const struct pol_world *w, const char *name);
const struct pol_pod *pol_world_pod(const struct pol_world *w, const char *ns, const char *name);
/* The pod that has @ip, if any. */
const struct pol_pod *pol_world_pod_by_ip(const struct pol_world *w, const struct pn_ip *ip);

#endif
