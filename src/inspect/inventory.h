/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_INVENTORY_H
#define PODNET_INVENTORY_H

/*
 * The node's network namespaces and what they belong to (`podnet netns`,
 * `netns identify`, `pid2pod`, `graph`; `doctor` reads the orphans).
 *
 * One inventory_collect() takes a snapshot:
 *  - every network namespace of the node, keyed by its nsfs (dev, inode):
 *    the pins under the netns dir (bind mounts of nsfs files, as
 *    `ip netns add` and containerd make them), the namespaces held only by
 *    processes (/proc/PID/ns/net of every process), and the node's own
 *    (the namespace the caller runs in, /proc/self/ns/net);
 *  - for each, its owner: a podnet pod (store: netns_path, pause pid,
 *    container pids from the live view) or a pod of another CNI runtime
 *    (libcni's results cache: cniArgs K8S_POD_NAMESPACE / K8S_POD_NAME /
 *    K8S_POD_INFRA_CONTAINER_ID and the "netns" path that libcni >= 1.2
 *    records; for older entries the netns is found through the lease of
 *    the same container id, or a process whose cgroup names that id);
 *  - its links and addresses, read over rtnetlink inside it, and for each
 *    veth the exact peer: IFLA_LINK (peer ifindex) in the namespace that
 *    IFLA_LINK_NETNSID names, resolved by asking, inside, which netnsid
 *    each known namespace has (RTM_GETNSID with NETNSA_FD);
 *  - orphans, each with a reason (struct inv_orphan).
 *
 * Nothing is changed on the node, with one kernel side effect: dumping a
 * veth whose peer is in another namespace makes the kernel allocate a
 * netnsid for that namespace (rtnl_fill_link_netnsid() calls
 * peernet2id_alloc()), exactly as `ip link` does.
 *
 * The snapshot is racy by nature (processes come and go while /proc is
 * read); a process or namespace that vanishes mid-scan is skipped, never
 * an error.
 */

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "link.h"
#include "util.h"

struct podrt;

/* Where a namespace's pod identity came from. */
enum inv_source {
	INV_SRC_NONE = 0,
	INV_SRC_PODNET,     /* podnet's store */
	INV_SRC_CNI_CACHE,  /* another runtime's libcni cache entry */
};
const char *inv_source_str(enum inv_source s); /* "", "podnet", "cni-cache" */

struct inv_proc {
	pid_t pid;
	char comm[16];             /* /proc/PID/comm (TASK_COMM_LEN) */
};

struct inv_ctr {
	char *id;                  /* container id (64 hex) */
	char *name;                /* NULL when unknown (foreign pods) */
	pid_t pid;                 /* 0 when not running/unknown */
};

struct inv_pod {
	enum inv_source source;
	char *namespace_;          /* Kubernetes namespace */
	char *name;
	char *uid;                 /* NULL if unknown */
	char *sandbox_id;          /* CNI container id = sandbox id */
	char *network;             /* CNI network (cache entry) or NULL */
	char *cache_path;          /* the libcni cache file, or NULL */
	char *pod_ip;              /* state, else the cached result's first IP */
	pid_t pause_pid;           /* 0 if unknown */
	struct inv_ctr *ctrs;
	size_t n_ctrs;
};

/* Where a veth's peer lives. */
enum inv_peer {
	INV_PEER_NONE = 0,         /* not a veth, or peer not reported */
	INV_PEER_SAME_NS,          /* IFLA_LINK_NETNSID absent: same namespace */
	INV_PEER_OTHER_NS,         /* resolved to inventory ns[peer_ns] */
	INV_PEER_UNRESOLVED,       /* netnsid maps to no namespace we know */
};

struct inv_link {
	struct link_info li;       /* as the kernel reports it inside the ns */
	struct pn_cidr *addrs;     /* IPv4 and IPv6, link-local included */
	size_t n_addrs;
	char master_name[IFNAMSIZ];/* li.master resolved in the same ns, "" */
	enum inv_peer peer;
	int peer_ns;               /* index in inventory.ns, -1 */
	int peer_ifindex;          /* li.link: the peer's ifindex */
	char peer_name[IFNAMSIZ];  /* "" if not found */
	char peer_master[IFNAMSIZ];/* the peer's bridge, "" if none */
	int peer_master_ifindex;
};

struct inv_netns {
	dev_t dev;                 /* nsfs st_dev */
	ino_t ino;                 /* nsfs inode: `ls -L -i /proc/PID/ns/net` */
	char *name;                /* first pin's file name, NULL: unpinned */
	char **pins;               /* every pin path (bind mounts) */
	size_t n_pins;
	bool is_node;              /* the caller's own namespace */
	bool is_init;              /* pid 1's namespace */
	int nsid;                  /* the id the node gives it (RTM_GETNSID), -1 */
	struct inv_proc *procs;    /* holder processes, by pid */
	size_t n_procs;
	bool has_pod;
	struct inv_pod pod;
	struct inv_link *links;    /* by ifindex; empty if it could not be entered */
	size_t n_links;
	char *orphan;              /* reason if this namespace is an orphan, NULL */
};

enum inv_orphan_kind {
	INV_ORPHAN_NETNS = 0,      /* pinned netns with no process and no pod */
	INV_ORPHAN_CACHE,          /* CNI cache entry whose netns is gone */
	INV_ORPHAN_LEASE,          /* IPAM lease whose container is gone */
	INV_ORPHAN_VETH,           /* host veth whose peer / pod is gone */
	INV_ORPHAN_PIN,            /* file in the netns dir that is not a netns */
};
/* "netns", "cni-cache", "lease", "veth", "pin" */
const char *inv_orphan_kind_str(enum inv_orphan_kind k);

struct inv_orphan {
	enum inv_orphan_kind kind;
	char *object;              /* pin path, cache file, "<network>/<ip>", ifname */
	char *reason;              /* one line, e.g. "pinned, no process, no pod" */
	char *container_id;        /* cache/lease: the attachment's, else NULL */
	char *netns;               /* the netns path involved, else NULL */
	int ns;                    /* index in inventory.ns, -1 */
};

struct inventory {
	struct inv_netns *ns;      /* node's first, then pinned by name, then by inode */
	size_t n_ns;
	int node;                  /* index of the caller's namespace */
	struct inv_orphan *orphans;
	size_t n_orphans;
};

struct inventory_opts {
	const char *netns_dir;     /* NULL: /run/netns */
	const char *cni_cache;     /* libcni cache dir, NULL: /var/lib/cni */
	const char *cni_conf_dir;  /* conflists, for ipam dataDirs; NULL: /etc/cni/net.d */
	/* Extra IPAM data dirs; IPAM_DEFAULT_DATA_DIR and every "dataDir" of
	 * the conflists' ipam sections are always read. */
	const char *const *ipam_dirs;
	size_t n_ipam_dirs;
	struct podrt *rt;          /* podnet's runtime, opened; NULL: no podnet pods */
	bool skip_links;           /* don't enter namespaces (faster) */
};

/*
 * Take the snapshot.  Fails only for what makes it meaningless (no /proc,
 * an unreadable store, ENOMEM); an unreadable namespace, cache file or
 * lease store is skipped.  *out to inventory_free().
 */
int inventory_collect(const struct inventory_opts *o, struct inventory **out,
		      struct pn_err *err) PN_MUST_CHECK;
void inventory_free(struct inventory *inv); /* accepts NULL */

/* The whole snapshot as JSON ({"netns": [...], "orphans": [...]}). */
json_t *inventory_to_json(const struct inventory *inv);
json_t *inventory_netns_to_json(const struct inventory *inv, const struct inv_netns *ns);

/* The namespace with that nsfs identity, or NULL. */
const struct inv_netns *inventory_find_ns(const struct inventory *inv, dev_t dev, ino_t ino);

/* The pod-side veth of @ns whose peer is on the node (eth0 if several), or NULL. */
const struct inv_link *inventory_pod_uplink(const struct inventory *inv,
					    const struct inv_netns *ns);

/* ------------------------------------------------------------------ */
/* PID -> pod                                                         */

enum inv_cgroup_kind {
	INV_CG_NONE = 0,
	INV_CG_PODNET,            /* .../podnet/pod<uid>/<id> (podnet-shim) */
	INV_CG_KUBEPODS,          /* .../kubepods.../pod<uid>/<id> (cgroupfs driver) */
	INV_CG_SYSTEMD_SCOPE,     /* ...pod<uid>.slice/<runtime>-<id>.scope (systemd) */
};

struct inv_cgroup_id {
	enum inv_cgroup_kind kind;
	char pod_uid[40];         /* dashes restored ("_" in systemd slices); "" */
	char container_id[72];    /* "" if the path ends at the pod */
	char runtime[24];         /* "cri-containerd", "crio", "docker", "" */
};

/*
 * Find the pod/container identity in the text of /proc/PID/cgroup (all
 * lines; v1 and v2).  Pure.  0 if found, -ENOENT if no line names a pod.
 */
int inventory_parse_cgroup(const char *text, struct inv_cgroup_id *out) PN_MUST_CHECK;

struct inv_pid {
	pid_t pid;
	char comm[16];
	dev_t dev;
	ino_t ino;                     /* its network namespace */
	const struct inv_netns *ns;    /* borrowed from the inventory; NULL */
	struct inv_cgroup_id cg;
	const struct inv_pod *pod;     /* borrowed; NULL if no pod */
	const struct inv_ctr *ctr;     /* borrowed; NULL if not a known container */
	bool is_pause;                 /* the pod's pause/infra process */
	bool via_netns;                /* the pod was found through the netns */
	bool via_cgroup;               /* ... through the cgroup path */
	int ns_errnum;                 /* reading /proc/PID/ns/net failed with this (EACCES:
					* another user's process, or no CAP_SYS_PTRACE over
					* it); dev/ino/ns are then unknown, the cgroup still
					* names the pod */
};

/* -ESRCH (err filled) if @pid does not exist.  A namespace that may not be
 * read is no error: out->ns_errnum says so. */
int inventory_pid_lookup(const struct inventory *inv, pid_t pid, struct inv_pid *out,
			 struct pn_err *err) PN_MUST_CHECK;
json_t *inventory_pid_to_json(const struct inventory *inv, const struct inv_pid *p);

/* ------------------------------------------------------------------ */
/* graph                                                              */

enum inv_graph_fmt { INV_GRAPH_TEXT = 0, INV_GRAPH_DOT };

/* The node as an ASCII tree or a Graphviz digraph, in a malloc'ed string. */
int inventory_graph(const struct inventory *inv, enum inv_graph_fmt fmt, char **out,
		    struct pn_err *err) PN_MUST_CHECK;

#endif
