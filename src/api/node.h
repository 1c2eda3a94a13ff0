/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NODE_H
#define PODNET_NODE_H

/*
 * The node side of podnetd (kubelet's part): it keeps the cache in step
 * with the state database, registers the Node, runs the pods created
 * through the API with the runtime `podnet apply` uses, writes their
 * status back, and stops deleted pods within their grace period.
 */

#include "api.h"
#include "err.h"

struct node_opts {
	const char *node_name;   /* NULL: the host name */
	const char *node_ip;     /* NULL: detect */
};

int node_start(struct api *a, const struct node_opts *o, struct pn_err *err) PN_MUST_CHECK;
void node_stop(struct api *a);
/* The node's InternalIP ("" when none). */
const char *node_address(struct api *a);

#endif
