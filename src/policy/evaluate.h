/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_EVALUATE_H
#define PODNET_EVALUATE_H

/*
 * The NetworkPolicy evaluator: given the node's world (world.h) and one
 * flow, the verdict the API reference defines, and every policy and rule
 * that decides it.  Pure: it reads the world and nothing else, and it
 * shares no code with the nftables generator (nftgen.h), so tests can hold
 * the kernel's behaviour against it cell by cell.
 *
 * The semantics, from the networking.k8s.io/v1 reference:
 *  - A pod is isolated for ingress (egress) when a policy of its namespace
 *    selects it and has Ingress (Egress) in its policyTypes; otherwise
 *    that direction is allowed.
 *  - An isolated direction allows exactly the union of the rules of every
 *    policy that isolates it; a policy with no rules of that direction
 *    allows nothing.
 *  - A rule matches when one of its peers matches (no peers: every peer)
 *    and one of its ports matches (no ports: every port and protocol).
 *  - Peers: podSelector alone selects pods of the policy's namespace;
 *    namespaceSelector alone, every pod of the selected namespaces; both,
 *    the selected pods of the selected namespaces; ipBlock, addresses in
 *    cidr outside every except (pod addresses included).
 *  - Ports: protocol (default TCP) and port, or port..endPort; a named
 *    port is looked up among the destination pod's container ports (name
 *    and protocol), so it never matches a destination that is not a pod.
 *  - A flow is allowed when the source's egress and the destination's
 *    ingress both allow it.  Traffic between a pod and its own node is
 *    always allowed, and so is a pod's traffic to itself.  Replies of an
 *    allowed connection are allowed (stateful); the evaluator judges the
 *    connection's first packet.
 */

#include <stdbool.h>
#include <stddef.h>

#include "world.h"

enum pol_ep_kind {
	POL_EP_POD = 1,   /* a pod of this node (in the world) */
	POL_EP_IP,        /* an address that is no pod here: elsewhere, outside */
	POL_EP_NODE,      /* this node itself */
};

struct pol_endpoint {
	enum pol_ep_kind kind;
	const struct pol_pod *pod;  /* POL_EP_POD */
	struct pn_ip ip;            /* the address the flow uses */
};

struct pol_flow {
	struct pol_endpoint src, dst;
	enum pn_proto proto;
	int port;                   /* destination port, 1..65535 */
};

/* One rule that allows the flow: pols[policy] of the world, its rule
 * (index into ingress[] or egress[]), the peer and port entries that
 * matched (-1: the rule has none, so every peer / every port). */
struct pol_allow {
	const struct pn_netpol *np;
	size_t rule;
	int peer;
	int port;
	int resolved_port;          /* a named port's number; 0 otherwise */
};

/* One direction: the source's egress or the destination's ingress. */
struct pol_side {
	bool applies;               /* the endpoint is a pod policies can select */
	bool isolated;
	bool allowed;
	const struct pn_netpol **isolating;  /* every policy that selects it for this direction */
	size_t n_isolating;
	struct pol_allow *allows;   /* every rule that allows the flow */
	size_t n_allows;
};

enum pol_reason {
	POL_BY_POLICY = 0,          /* decided by the two sides below */
	POL_SAME_POD,               /* a pod cannot block access to itself */
	POL_NODE,                   /* traffic to or from the pod's own node */
};

struct pol_verdict {
	bool allowed;
	enum pol_reason reason;
	struct pol_side egress;     /* of flow.src */
	struct pol_side ingress;    /* of flow.dst */
};

/* Fills @v (free with pol_verdict_free); fails only without memory. */
int pol_evaluate(const struct pol_world *w, const struct pol_flow *f, struct pol_verdict *v,
		 struct pn_err *err) PN_MUST_CHECK;
void pol_verdict_free(struct pol_verdict *v);

/* An endpoint for @ip: the pod that has it, else POL_EP_IP. */
void pol_endpoint_from_ip(const struct pol_world *w, const struct pn_ip *ip, struct pol_endpoint *ep);

#endif
