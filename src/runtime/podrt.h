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
 * grace period) and delete waits for the shim's exit; whatever still runs
 * then (a shim killed, stuck or gone) is stopped through the OCI runtime's
 * state and the pod's cgroups; CNI DEL, netns unpinned, pod dir and row
 * removed.
 *
 * A ready pod whose shim is gone (killed, or the node rebooted) has a dead
 * sandbox: podrt_pod_recover() (run by gc and podnetd's node agent) tears
 * it down and, as kubelet, re-creates it per restartPolicy with a new
 * sandbox id, netns and lease.
 *
 * The lifecycle lock (<root>/lifecycle.lock) orders gc against the rest:
 * gc and recovery hold it exclusively; delete and start hold it shared
 * (start from before its claim until the pod runs or is undone), so a gc
 * never sees a pod half-made or half-removed.  Any process that starts,
 * deletes or re-creates pods must follow this.
 *
 * The pod lock (an OFD lock on one byte of <root>/pods.lock, at an offset
 * hashed from the pod's uid) serializes what changes one pod's sandbox:
 * its start (claim to running, or undone), re-creation, an update (plan
 * written to the shim taking it) and the delete mark.  It never covers two
 * pods at once, and is taken after the lifecycle lock, never before.  So a
 * delete or a second start of a pod that is starting waits for that start
 * to end, and an update waits for a start, a delete mark or another update
 * of the same pod.
 *
 * Create is two halves that the Kubernetes API runs at different times,
 * as kube-apiserver and kubelet do: admit (1-2: the checks and the rows,
 * state "pending", the Scheduled event; the API answers then) and start
 * (3-7, run by the node agent).  `podnet apply` runs both at once.
 *
 * Semantics shared by the CLI and the API, written once here:
 *  - update: what kube-apiserver lets change in a pod (metadata; the
 *    containers' images) and its Forbidden message for the rest;
 *  - delete: a grace period per request, force, and several pods stopped
 *    at once (one grace period for all, not one per pod);
 *  - status: hostIP is the node's address (nodeinfo.h), the events kubelet
 *    records (Scheduled, Pulled, Created, Started, Killing, BackOff).
 */

#include <jansson.h>
#include <stdbool.h>

#include "pod.h"
#include "store.h"

/* Longest grace period honoured (31 years): deadlines never overflow. */
#define PODRT_GRACE_MAX_S 1000000000LL

struct podrt {
	const char *root;         /* PODNET_ROOT */
	const char *cni_conf_dir;
	const char *cni_path;
	const char *cni_cache;
	const char *netns_dir;
	const char *runtime;      /* NULL: detect */
	char *bin_dir;            /* where podnet-shim/podnet-pause live */
	struct store *st;
	/* The node as pods report it (spec.nodeName, status.hostIP); NULL:
	 * the host name in lower case, nodeinfo_address().  Set by the
	 * caller, or filled in once by podrt itself. */
	const char *node_name;
	const char *node_ip;
	char node_buf[256], ip_buf[64];
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

/* The node's name and address as pods report them (see struct podrt). */
const char *podrt_node_name(struct podrt *rt);
const char *podrt_node_ip(struct podrt *rt);

/*
 * What the API adds to a write; NULL or zeroes for the CLI.
 *  meta:      metadata the API keeps with the spec (managedFields,
 *             generation, finalizers, generateName...), merged into the
 *             stored object's metadata (a reference is taken);
 *  expect_rv: the resourceVersion the writer read; a row that moved since
 *             is PN_E_CONFLICT (kube-apiserver's 409), 0: any;
 *  dry_run:   check everything and answer as if done; write nothing;
 *  mode:      for the objects an apply creates or updates (NetworkPolicy,
 *             Service: netpolrt.h, svcrt.h): POST creates only (a taken
 *             name is PN_E_ALREADY_EXISTS), PUT/PATCH update only (a
 *             missing one is PN_E_NOT_FOUND); the CLI's apply does either.
 */
enum podrt_write_mode { PODRT_WRITE_ANY = 0, PODRT_WRITE_CREATE, PODRT_WRITE_UPDATE };
struct podrt_write {
	json_t *meta;
	int64_t expect_rv;
	bool dry_run;
	enum podrt_write_mode mode;
};

/* Create and start @pod (spec as parsed): admit, then start.  On success
 * *out is its row; a pod that fails to start is removed. */
int podrt_pod_create(struct podrt *rt, struct pn_pod *pod, struct store_pod **out,
		     struct pn_err *err) PN_MUST_CHECK;

/*
 * Accept @pod: its images exist (an unknown one is refused here, naming
 * the import command), its namespace is active, its name free; then its
 * rows (state pending, phase Pending, a uid, a sandbox id, its containers)
 * and the Scheduled event.  Fills pod->meta.uid and creation.  Nothing is
 * run.  With w->dry_run, *out is the row that would be written.
 */
int podrt_pod_admit(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		    struct store_pod **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * Run an admitted (pending) pod: network namespace, CNI ADD, root file
 * systems, the shim; then ready, Running, its status recorded and the
 * Pulled/Created/Started events.  On failure what was made is undone and
 * the pod stays pending with phase Failed and the reason in its status
 * (a Warning event too): nothing retries it.  A pod whose start was cut
 * short (creating, its owner dead) is started again, what the dead start
 * left undone first.
 */
int podrt_pod_start(struct podrt *rt, const char *uid, struct pn_err *err) PN_MUST_CHECK;

enum podrt_update_result { PODRT_UNCHANGED = 0, PODRT_CONFIGURED };

/*
 * Replace the stored desired state of the existing pod @pod names
 * (namespace, name) by @pod, as kube-apiserver's pod update does:
 * metadata changes freely; in spec only what kube-apiserver lets change
 * after creation (containers' images, activeDeadlineSeconds, additions to
 * tolerations, terminationGracePeriodSeconds from negative to 1); any
 * other difference is PN_E_FORBIDDEN, -EPERM, with kube-apiserver's text
 *   The Pod "x" is invalid: spec: Forbidden: pod updates may not change
 *   fields other than `spec.containers[*].image`,...
 * followed by the fields that differ, and a cause (FieldValueForbidden,
 * "spec").  A new image must be present, as at admission (podnet pulls
 * nothing: PN_E_NOT_FOUND naming the import command); the container it
 * changed is then restarted with it, as kubelet does: the shim (SIGUSR2)
 * stops it, rebuilds its rootfs and starts a new attempt (restartCount + 1,
 * a new containerID).  *what: PODRT_UNCHANGED when the stored object is
 * the same (nothing written: kubectl's "unchanged").  *out (may be NULL)
 * the row after.
 */
int podrt_pod_update(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		     enum podrt_update_result *what, struct store_pod **out,
		     struct pn_err *err) PN_MUST_CHECK;

/* The Forbidden check of podrt_pod_update() alone (0 when allowed). */
int podrt_pod_check_update(const struct pn_pod *old, const struct pn_pod *pod,
			   struct pn_err *err) PN_MUST_CHECK;

struct podrt_delete_opts {
	int64_t grace;   /* seconds between SIGTERM and SIGKILL; < 0: the pod's own */
	bool force;      /* with grace 0: the API forgets the pod at once */
};

/*
 * Mark @sp as being deleted (the API's Terminating: deletion time and
 * grace recorded, state deleting, owned by the caller) and tell its shim to
 * stop within the grace period.  A pod already terminating keeps its
 * deletion unless the new grace period ends sooner.  A pending pod (never
 * started) is removed at once (*gone true).  *out (may be NULL): the row.
 */
int podrt_pod_mark_deleting(struct podrt *rt, const struct store_pod *sp,
			    const struct podrt_delete_opts *o, bool *gone, struct store_pod **out,
			    struct pn_err *err) PN_MUST_CHECK;

/* Called as each pod of podrt_pods_delete() is gone (or failed), in the
 * calling thread, in the order they finish. */
typedef void (*podrt_deleted_fn)(void *ctx, const struct store_pod *sp, int ret,
				 const struct pn_err *err);

/*
 * Stop and remove @n pods at once: every shim is told to stop (each with
 * its grace period, or o->grace) at the same moment, so the pods take one
 * grace period together, not one each; then each pod's network, files and
 * rows go as soon as its processes are gone, and @done (may be NULL) hears
 * of it.  Works on half-made pods (a killed apply) and on pods whose shim
 * is gone.  Returns 0, or the first failure (the others are still tried).
 */
int podrt_pods_delete(struct podrt *rt, const struct store_pod *pods, size_t n,
		      const struct podrt_delete_opts *o, podrt_deleted_fn done, void *ctx,
		      struct pn_err *err) PN_MUST_CHECK;

/* One pod, its own grace period. */
int podrt_pod_delete(struct podrt *rt, const struct store_pod *sp, struct pn_err *err) PN_MUST_CHECK;

/*
 * The Pod as the Kubernetes API serves it, from its row alone: the stored
 * object with the server's metadata (uid, creationTimestamp,
 * resourceVersion, generation, deletionTimestamp and grace), spec.nodeName,
 * and the status the node recorded last (a Pending one before that).
 * New reference; NULL when out of memory.
 */
json_t *podrt_pod_object(struct podrt *rt, const struct store_pod *sp);

/*
 * Observe the pod as it is now (the shim's files) and record its status
 * when it differs from the recorded one (the resourceVersion moves; kubelet
 * writing status back), with the events of what changed: a restart
 * (Pulled, Created, Started), a back-off (BackOff).  *changed may be NULL.
 */
int podrt_pod_sync_status(struct podrt *rt, const struct store_pod *sp, bool *changed,
			  struct pn_err *err) PN_MUST_CHECK;

/* Record a kubelet event about @sp (container @ctr, or the pod: NULL). */
int podrt_event(struct podrt *rt, const struct store_pod *sp, const char *ctr, const char *type,
		const char *reason, struct pn_err *err, const char *fmt, ...)
	__attribute__((format(printf, 7, 8))) PN_MUST_CHECK;

/*
 * Namespaces.  create stores @ns (w->meta merged into its metadata;
 * PN_E_ALREADY_EXISTS with kube-apiserver's text when it exists); update
 * replaces its labels/annotations (*what: unchanged when the same);
 * delete makes it Terminating, marks each of its pods deleting (their own
 * grace period; the caller or podnetd's agent finishes them with
 * podrt_pods_delete()), and removes it at once when it has no pod left
 * (*gone); "default" may not be deleted (PN_E_FORBIDDEN).
 */
int podrt_namespace_create(struct podrt *rt, const struct pn_namespace *ns,
			   const struct podrt_write *w, struct store_namespace **out,
			   struct pn_err *err) PN_MUST_CHECK;
int podrt_namespace_update(struct podrt *rt, const struct pn_namespace *ns,
			   const struct podrt_write *w, enum podrt_update_result *what,
			   struct pn_err *err) PN_MUST_CHECK;
int podrt_namespace_delete(struct podrt *rt, const char *name, bool dry_run, bool *gone,
			   struct pn_err *err) PN_MUST_CHECK;
/* Run rt->net_sync if set (0 otherwise). */
int podrt_net_sync(struct podrt *rt, struct pn_err *err) PN_MUST_CHECK;


/* Live status of one container, from the shim's status file. */
struct podrt_ctr {
	struct store_container row;  /* id, name, idx, image (owned by the array) */
	/* The OCI runtime's id of the current attempt (a new one per restart,
	 * as CRI runtimes give each attempt; row.id for the first), and of
	 * the attempt lastState describes ("" when none ended yet). */
	char cid[STORE_ID_LEN + 1];
	char last_cid[STORE_ID_LEN + 1];
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
	/* In back-off, the attempt before the one that exited (its log is
	 * prev_log_path): crictl still lists it. */
	bool has_prev;
	char prev_cid[STORE_ID_LEN + 1];
	int prev_exit_code;
	char prev_reason[32], prev_started_at[40], prev_finished_at[40];
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
	char node_name[256], node_ip[64];
};

int podrt_view_get(struct podrt *rt, const struct store_pod *sp, struct podrt_view *v,
		   struct pn_err *err) PN_MUST_CHECK;
void podrt_view_free(struct podrt_view *v);

/* The Pod as `kubectl get pod -o json` shows it: metadata, spec, status. */
json_t *podrt_view_to_json(const struct podrt_view *v);
/* Its status alone. */
json_t *podrt_view_status(const struct podrt_view *v);

struct podrt_gc_report {
	size_t removed;     /* leftover objects removed */
	size_t recreated;   /* dead sandboxes re-created */
	size_t started;     /* pending pods whose admitting process died, started */
	size_t failed;      /* pods or objects it could not handle (err: the first) */
};

/* Garbage and repair: finish the pods of killed commands (dead owners),
 * start pending pods whose admitting process died, re-create dead sandboxes, remove what belongs to no pod (pod dirs, netns
 * pins, runtime state) and run CNI GC.  Goes on past a failure: every one
 * is warned about, the first is returned. */
int podrt_gc(struct podrt *rt, struct podrt_gc_report *rep, struct pn_err *err) PN_MUST_CHECK;

/* Ready, not finished, and its shim is gone: the sandbox died. */
bool podrt_sandbox_dead(struct podrt *rt, const struct store_pod *sp);

/* Re-create the dead sandbox of @sp (nothing if it is not dead), under the
 * lifecycle lock: *recreated tells whether a new one runs (false also when
 * the restart policy ends the pod). */
int podrt_pod_recover(struct podrt *rt, const struct store_pod *sp, bool *recreated,
		      struct pn_err *err) PN_MUST_CHECK;

/* The lifecycle lock (see the top); *fd for podrt_lifecycle_unlock(). */
int podrt_lifecycle_lock(struct podrt *rt, bool shared, int *fd, struct pn_err *err) PN_MUST_CHECK;
void podrt_lifecycle_unlock(int fd);

#endif
