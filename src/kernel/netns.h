/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NETNS_H
#define PODNET_NETNS_H

#include "err.h"
#include "util.h"

/* Open a network namespace by path (/run/netns/X, /proc/PID/ns/net);
 * checks it is an nsfs file of type CLONE_NEWNET. Returns fd or -errno
 * (PN_CNI_UNKNOWN_CONTAINER-style errors are the caller's to choose). */
int netns_open(const char *path, struct pn_err *err) PN_MUST_CHECK;

/* Run @fn(@arg) in a thread that has joined @netns_fd; returns fn's value.
 * The caller's thread never changes namespace. */
int netns_run(int netns_fd, int (*fn)(void *arg), void *arg, struct pn_err *err) PN_MUST_CHECK;

/*
 * Create a new network namespace pinned at @dir/@name, as `ip netns add`
 * does: @dir (e.g. /run/netns) is made a shared mount point, the empty
 * file @dir/@name gets the namespace bind-mounted on it.  The caller's
 * namespace never changes (a short-lived thread unshares).  On failure
 * nothing is left.  -EEXIST if the name is taken.  *path_out malloc'ed.
 */
int netns_create_pinned(const char *dir, const char *name, char **path_out,
			struct pn_err *err) PN_MUST_CHECK;

/* Unpin: detach the bind mount and remove the file; 0 if already gone.
 * The namespace itself lives on while a process or fd holds it. */
int netns_delete_pinned(const char *path, struct pn_err *err) PN_MUST_CHECK;

/*
 * The id the caller's network namespace gives the namespace @netns_fd
 * refers to (RTM_GETNSID), as `ip netns list` shows "(id: N)"; with
 * @assign, one is allocated when it has none (RTM_NEWNSID with id -1, as
 * `ip netns set NAME auto`; the kernel also allocates one itself whenever
 * it reports a veth peer's IFLA_LINK_NETNSID).  *nsid is -1 when none is
 * assigned and @assign is false.  0 or -errno.
 */
int netns_peer_id(int netns_fd, bool assign, int *nsid, struct pn_err *err) PN_MUST_CHECK;
/* The same read (RTM_GETNSID, never allocating) through @s: the id that
 * @s's namespace gives the namespace of @netns_fd, -1 when none. */
struct nl_sock;
int netns_get_id(struct nl_sock *s, int netns_fd, int *nsid, struct pn_err *err) PN_MUST_CHECK;

/* "cni-" + an RFC 4122 version 4 UUID (8-4-4-4-12 hex), the name
 * containerd gives pod network namespaces.  0 or -errno. */
#define NETNS_NAME_MAX 64
int netns_new_name(char out[NETNS_NAME_MAX]) PN_MUST_CHECK;

#endif
