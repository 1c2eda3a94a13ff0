/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PODRT_H
#define PODNET_PODRT_H

/*
 * The pod runtime: what `podnet apply` and `podnet delete` do to a pod, and
 * the live view of it that `get`, `ps` and `inspect` print.
 *
 * Create, in this order, each step undone in reverse if a later one fails:
 *   1. images checked (an unknown image fails before anything exists)
 *   2. state row, state "creating", owned by this process (a killed apply
 *      is visible to `get` and finished off by `delete`/`gc`)
 *   3. netns pinned at <netns_dir>/cni-<uuid> (unless hostNetwork)
 *   4. CNI ADD of the conflist's chain, result cached as libcni does
 *   5. per container: copy-on-write rootfs from its image
 *   6. plan.json, then podnet-shim, which runs the pause and the containers
 *   7. state row "ready", phase Running, pod IP, PIDs
 * Delete reverses it: shim stops the containers (TERM, KILL after the
 * grace period), CNI DEL, netns unpinned, pod dir and row removed.
 */

#include <jansson.h>
#include <stdbool.h>

#include "pod.h"
#include "store.h"

struct podrt {
	const char *root;         /* PODNET_ROOT */
	const char *cni_conf_dir;
	const char *cni_path;
	const char *cni_cache;
	const char *netns_dir;
	const char *runtime;      /* NULL: detect */
	char *bin_dir;            /* where podnet-shim/podnet-pause live */
	struct store *st;
	/*
	 * What makes the kernel follow the node's objects when a pod gained or
	 * lost its addresses or labels: after CNI ADD and before the pod's
	 * containers start (a pod isolated by a NetworkPolicy is isolated from
	 * its first packet), after a relabel, after a delete, at gc.  The
	 * layers above the runtime set it (NetworkPolicy and Services:
	 * pol_sync); NULL: nothing to do.  Its failure fails a create.
	 */
	int (*net_sync)(struct podrt *rt, struct pn_err *err);
};

int podrt_open(struct podrt *rt, struct pn_err *err) PN_MUST_CHECK;
void podrt_close(struct podrt *rt);

/* Write the default conflist (podnet-bridge + podnet-ipam) if the conf dir
 * has none; *written tells whether it did.  @path_out may be NULL. */
int podrt_init_cni(struct podrt *rt, bool *written, char **path_out, struct pn_err *err) PN_MUST_CHECK;

/* Create and start @pod (spec as parsed).  On success *out is its row. */
int podrt_pod_create(struct podrt *rt, struct pn_pod *pod, struct store_pod **out,
		     struct pn_err *err) PN_MUST_CHECK;

/* Stop and remove a pod and everything it made; works on half-made pods
 * (a killed apply) and on pods whose shim is gone. */
int podrt_pod_delete(struct podrt *rt, const struct store_pod *sp, struct pn_err *err) PN_MUST_CHECK;

/* Run rt->net_sync if set (0 otherwise). */
int podrt_net_sync(struct podrt *rt, struct pn_err *err) PN_MUST_CHECK;

/*
 * The labels and annotations of a running pod, as `apply` of the same pod
 * with other metadata changes them (the API server allows exactly these
 * to change on a pod's metadata): written to the state, then net_sync, so
 * policies that select by label follow.  *changed tells whether anything
 * differed.
 */
int podrt_pod_relabel(struct podrt *rt, const struct store_pod *sp, const struct pn_pod *pod,
		      bool *changed, struct pn_err *err) PN_MUST_CHECK;

/* Live status of one container, from the shim's status file. */
struct podrt_ctr {
	struct store_container row;  /* id, name, idx, image (owned by the array) */
	char state[16];              /* created, running, waiting, exited, unknown */
	int pid;
	int exit_code;               /* -1 if none */
	char reason[32];
	char message[256];
	char started_at[40], finished_at[40];
	int restart_count;
	/* kubelet's container status: started once the startup probe passed
	 * (or at once without one), ready while the readiness probe passes
	 * (or while running without one).  The shim's status file says. */
	bool started, ready;
	char log_path[4096], prev_log_path[4096];
	bool has_last;
	int last_exit_code;
	char last_reason[32], last_started_at[40], last_finished_at[40];
};

struct podrt_view {
	struct store_pod *pod;       /* the row (owned) */
	json_t *spec;                /* the stored Pod JSON (owned) */
	bool shim_alive;
	int shim_pid, pause_pid;
	char runtime[256], runtime_root[4096];
	char phase[16];              /* Pending, Running, Succeeded, Failed, Unknown */
	char status[48];             /* kubectl's STATUS column */
	int ready, total, restarts;
	time_t last_restart;
	struct podrt_ctr *ctrs;
	size_t n_ctrs;
	char pod_dir[4096];
};

int podrt_view_get(struct podrt *rt, const struct store_pod *sp, struct podrt_view *v,
		   struct pn_err *err) PN_MUST_CHECK;
void podrt_view_free(struct podrt_view *v);

/* The Pod as `kubectl get pod -o json` shows it: metadata, spec, status. */
json_t *podrt_view_to_json(const struct podrt_view *v);

/* Garbage: remove what belongs to no live pod (dead creators' rows, stray
 * netns pins, CNI cache entries, pod dirs) and run CNI GC.  *removed
 * counts objects removed. */
int podrt_gc(struct podrt *rt, size_t *removed, struct pn_err *err) PN_MUST_CHECK;

#endif
