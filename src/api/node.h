/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NODE_H
#define PODNET_NODE_H

/*
 * The node side of podnetd (kubelet's part): it keeps the cache in step
 * with the state database (whoever wrote it), registers the Node, runs
 * the pods created through the API with the runtime `podnet apply` uses,
 * writes their status back, finishes deleted pods after their grace
 * period and terminating namespaces after their pods.  See node.c.
 */

#include <jansson.h>

#include "api.h"
#include "err.h"
#include "store.h"

struct podrt;

struct node_opts {
	const char *node_name;   /* NULL: the host name */
	const char *node_ip;     /* NULL: detect */
};

/* Fills a->cache with what exists and starts the agent. */
int node_start(struct api *a, const struct node_opts *o, struct pn_err *err) PN_MUST_CHECK;
/* Stops the agent; pods are left as they are. */
void node_stop(struct api *a);
/* The node's InternalIP (NULL when none) and name. */
const char *node_address(struct api *a);
const char *node_name(struct api *a);
/* Where podnetd's execs record their processes' PIDs (<root>/exec): those
 * left by a podnetd that died are killed at start (oci_exec_orphans_kill). */
int node_exec_dir(struct api *a, char *buf, size_t len);

/* A runtime handle (its own database connection) for the calling thread
 * until node_rt_put(); NULL with @err when none can be opened. */
struct podrt *node_rt_get(struct api *a, struct pn_err *err);
void node_rt_put(struct api *a, struct podrt *rt);

/* Mirror every change made so far into the cache, and act on it: called
 * after each write so that the writer reads it back. */
void node_sync(struct api *a);
/* Wake the agent (it looks at everything within a second anyway). */
void node_kick(struct api *a);

/* The Node (new reference), and a change of its labels/annotations
 * (@obj: the whole new object; kept across restarts in PODNET_ROOT). */
json_t *node_get_object(struct api *a);
int node_set_meta(struct api *a, json_t *obj, struct pn_err *err) PN_MUST_CHECK;

/* An Event as the API serves it. */
json_t *node_event_object(const struct store_event *ev);

#endif
