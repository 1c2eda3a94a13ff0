/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's network namespaces and their owners.  See inventory.h.
 *
 * Identity of a namespace is the (st_dev, st_ino) of its nsfs file: a pin
 * under /run/netns is a bind mount of that file, /proc/PID/ns/net is a
 * magic link to it, so stat(2) of either gives the same pair; the inode
 * number alone is what `ip netns identify` and `lsns` compare, and is what
 * users see, but the device is part of the identity (nsfs is one
 * superblock today, but not by contract).
 */
#include "inventory.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/net_namespace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cniclient.h"
#include "ipam.h"
#include "netns.h"
#include "nl.h"
#include "podrt.h"
#include "store.h"

#define DEFAULT_NETNS_DIR "/run/netns"

const char *inv_source_str(enum inv_source s)
{
	switch (s) {
	case INV_SRC_PODNET:
		return "podnet";
	case INV_SRC_CNI_CACHE:
		return "cni-cache";
	default:
		return "";
	}
}

const char *inv_orphan_kind_str(enum inv_orphan_kind k)
{
	static const char *const names[] = { "netns", "cni-cache", "lease", "veth", "pin" };

	return PN_ENUM_NAME(names, k, "?");
}

/* ------------------------------------------------------------------ */
/* small helpers                                                      */

/* *dst = strdup(s) (NULL stays NULL); -ENOMEM. */
static int dup_str(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int nsfs_stat(const char *path, dev_t *dev, ino_t *ino)
{
	struct statfs sfs;
	struct stat st;

	/* A pin whose bind mount is gone is an empty file on the netns dir's
	 * own file system: only nsfs identifies a namespace. */
	if (statfs(path, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != (unsigned long)NSFS_MAGIC)
		return -EINVAL;
	if (stat(path, &st) < 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void read_comm(pid_t pid, char comm[16])
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (pn_read_file(path, comm, 16) < 0)
		comm[0] = '\0';
}

/* Whole /proc/PID/cgroup in a heap string, or NULL. */
static char *read_cgroup(pid_t pid)
{
	char path[64], *buf = NULL;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (pn_read_all(fd, &buf, &len) < 0)
		buf = NULL;
	close(fd);
	return buf;
}

/* ------------------------------------------------------------------ */
/* cgroup paths                                                       */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A pod uid as written in a cgroup path: 36 chars, '-' or '_' (systemd
 * slices cannot hold '-' in a unit name component: kubelet escapes it). */
static bool take_uid(const char *s, size_t n, char out[40])
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? (s[i] != '-' && s[i] != '_') : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = dash ? '-' : (char)tolower((unsigned char)s[i]);
	}
	out[36] = '\0';
	return true;
}

/* One cgroup path ("/a/b/c").  Kubelet's layouts:
 *   cgroupfs: /kubepods[/burstable|/besteffort]/pod<uid>/<64 hex>
 *   systemd:  /kubepods.slice/kubepods-burstable.slice/
 *             kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
 * podnet-shim: <shim's cgroup>/podnet/pod<uid>/<id> (shim.c cgroups_path). */
static bool parse_cg_path(const char *p, struct inv_cgroup_id *out)
{
	struct inv_cgroup_id r = { 0 };
	const char *seg = p, *end;
	bool podnet_parent = false, kube = strstr(p, "kubepods") != NULL;

	while (*seg) {
		size_t n;

		while (*seg == '/')
			seg++;
		end = strchrnul(seg, '/');
		n = (size_t)(end - seg);
		if (n == 6 && !strncmp(seg, "podnet", 6)) {
			podnet_parent = true;
		} else if (n > 3 && !strncmp(seg, "pod", 3) && take_uid(seg + 3, n - 3, r.pod_uid)) {
			r.kind = podnet_parent ? INV_CG_PODNET : INV_CG_KUBEPODS;
		} else if (n > 9 && !strncmp(end - 6, ".slice", 6)) {
			/* kubepods-burstable-pod<uid>.slice */
			const char *q = NULL;

			for (const char *s = seg; s + 3 < end; s++)
				if (!strncmp(s, "pod", 3) && (s == seg || s[-1] == '-'))
					q = s;
			if (q && take_uid(q + 3, (size_t)(end - 6 - q - 3), r.pod_uid))
				r.kind = INV_CG_SYSTEMD_SCOPE;
		} else if (r.kind && n > 6 && !strncmp(end - 6, ".scope", 6)) {
			/* <runtime>-<id>.scope */
			const char *dash = memrchr(seg, '-', n);
			size_t idn = dash ? (size_t)(end - 6 - dash - 1) : 0;

			if (dash && idn >= 12 && idn < sizeof(r.container_id) && all_hex(dash + 1, idn)) {
				memcpy(r.container_id, dash + 1, idn);
				r.container_id[idn] = '\0';
				snprintf(r.runtime, sizeof(r.runtime), "%.*s", (int)(dash - seg), seg);
				r.kind = INV_CG_SYSTEMD_SCOPE;
			}
		} else if (r.kind && n >= 12 && n < sizeof(r.container_id) && all_hex(seg, n)) {
			memcpy(r.container_id, seg, n);
			r.container_id[n] = '\0';
		}
		seg = end;
	}
	if (!r.kind || (r.kind == INV_CG_KUBEPODS && !kube && !podnet_parent))
		return false;
	*out = r;
	return true;
}

int inventory_parse_cgroup(const char *text, struct inv_cgroup_id *out)
{
	const char *line = text;
	struct inv_cgroup_id best = { 0 };

	/* Lines are "hierarchy-ID:controllers:path" (cgroups(7)); v1 lists
	 * one per hierarchy, v2 one "0::path".  On hybrid hosts they may
	 * disagree (a runtime that skipped a controller): prefer the one that
	 * names a container over the one that names only the pod. */
	while (line && *line) {
		const char *eol = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		struct inv_cgroup_id r;
		char path[4096];

		if (c2 && (size_t)(eol - c2 - 1) < sizeof(path)) {
			memcpy(path, c2 + 1, (size_t)(eol - c2 - 1));
			path[eol - c2 - 1] = '\0';
			if (parse_cg_path(path, &r) && (!best.kind || (!best.container_id[0] &&
								       r.container_id[0])))
				best = r;
		}
		line = *eol ? eol + 1 : NULL;
	}
	if (!best.kind)
		return -ENOENT;
	*out = best;
	return 0;
}

/* ------------------------------------------------------------------ */
/* building the snapshot                                              */

struct lease_ref {
	char *network;
	char *data_dir;
	struct ipam_lease l;
};

struct build {
	const struct inventory_opts *o;
	struct inventory *inv;
	size_t cap_ns, cap_orphans;
	int *fds;                     /* one per inv->ns, -1 */
	size_t n_fds;
	struct nl_sock node_sock;
	struct cniclient_cached *cache;
	size_t n_cache;
	struct lease_ref *leases;
	size_t n_leases, cap_leases;
	char **sandboxes;             /* podnet pods' sandbox ids */
	size_t n_sandboxes, cap_sandboxes;
};

static int ns_index(const struct inventory *inv, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < inv->n_ns; i++)
		if (inv->ns[i].dev == dev && inv->ns[i].ino == ino)
			return (int)i;
	return -1;
}

const struct inv_netns *inventory_find_ns(const struct inventory *inv, dev_t dev, ino_t ino)
{
	int i = ns_index(inv, dev, ino);

	return i < 0 ? NULL : &inv->ns[i];
}

/* The namespace (dev, ino), added if new; index or -ENOMEM. */
static int ns_get(struct build *b, dev_t dev, ino_t ino)
{
	struct inventory *inv = b->inv;
	int i = ns_index(inv, dev, ino);

	if (i >= 0)
		return i;
	if (pn_grow(&inv->ns, &b->cap_ns, inv->n_ns, sizeof(*inv->ns)) < 0)
		return -ENOMEM;
	memset(&inv->ns[inv->n_ns], 0, sizeof(*inv->ns));
	inv->ns[inv->n_ns].dev = dev;
	inv->ns[inv->n_ns].ino = ino;
	inv->ns[inv->n_ns].nsid = -1;
	return (int)inv->n_ns++;
}

static int orphan_add(struct build *b, enum inv_orphan_kind kind, const char *object,
		      const char *container_id, const char *netns, int ns, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int orphan_add(struct build *b, enum inv_orphan_kind kind, const char *object,
		      const char *container_id, const char *netns, int ns, const char *fmt, ...)
{
	struct inventory *inv = b->inv;
	struct inv_orphan *o;
	va_list ap;
	int ret;

	if (pn_grow(&inv->orphans, &b->cap_orphans, inv->n_orphans, sizeof(*o)) < 0)
		return -ENOMEM;
	o = &inv->orphans[inv->n_orphans++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->ns = ns;
	va_start(ap, fmt);
	ret = vasprintf(&o->reason, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		o->reason = NULL;
		return -ENOMEM;
	}
	if (dup_str(&o->object, object) < 0 || dup_str(&o->container_id, container_id) < 0 ||
	    dup_str(&o->netns, netns) < 0)
		return -ENOMEM;
	return 0;
}

static int scan_pins(struct build *b, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0; /* no netns dir: nothing pinned */
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct inv_netns *ns;
		dev_t dev;
		ino_t ino;
		int i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (nsfs_stat(path, &dev, &ino) < 0) {
			/* `ip netns add` creates the file before the bind
			 * mount and removes it on failure; a lone file is what a
			 * killed creator or a lazy umount without unlink leaves. */
			ret = orphan_add(b, INV_ORPHAN_PIN, path, NULL, path, -1,
					 "file in the netns dir is not a mounted network namespace");
			if (ret < 0)
				goto out;
			continue;
		}
		if ((i = ns_get(b, dev, ino)) < 0) {
			ret = i;
			goto out;
		}
		ns = &b->inv->ns[i];
		{
			char **v = realloc(ns->pins, (ns->n_pins + 1) * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				goto out;
			}
			ns->pins = v;
			if (!(ns->pins[ns->n_pins] = strdup(path))) {
				ret = -ENOMEM;
				goto out;
			}
			ns->n_pins++;
		}
	}
out:
	closedir(d);
	return ret;
}

static int scan_procs(struct build *b)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64];
		struct inv_netns *ns;
		struct stat st;
		int i;

		if (!is_pid_name(de->d_name))
			continue;
		/* /proc lists thread-group leaders only; threads share their
		 * leader's netns unless one setns()ed alone (rare; skipped). */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", atoi(de->d_name));
		if (stat(path, &st) < 0)
			continue; /* gone, or a zombie (its ns links are gone) */
		if ((i = ns_get(b, st.st_dev, st.st_ino)) < 0) {
			ret = i;
			goto out;
		}
		ns = &b->inv->ns[i];
		{
			struct inv_proc *v = realloc(ns->procs, (ns->n_procs + 1) * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				goto out;
			}
			ns->procs = v;
			v[ns->n_procs].pid = (pid_t)atoi(de->d_name);
			read_comm(v[ns->n_procs].pid, v[ns->n_procs].comm);
			ns->n_procs++;
		}
	}
out:
	closedir(d);
	return ret;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct inv_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Node first, then pinned ones by name, then the rest by inode. */
static int ns_cmp(const void *a, const void *b)
{
	const struct inv_netns *x = a, *y = b;

	if (x->is_node != y->is_node)
		return x->is_node ? -1 : 1;
	if (!!x->n_pins != !!y->n_pins)
		return x->n_pins ? -1 : 1;
	if (x->n_pins) {
		int c = strcmp(x->pins[0], y->pins[0]);

		if (c)
			return c;
	}
	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* An fd on namespace @i: a pin, or any of its live holders. */
static int open_ns(struct build *b, size_t i)
{
	const struct inv_netns *ns = &b->inv->ns[i];
	char path[64];

	if (ns->is_node)
		return netns_open("/proc/self/ns/net", NULL);
	for (size_t k = 0; k < ns->n_pins; k++) {
		int fd = netns_open(ns->pins[k], NULL);

		if (fd >= 0)
			return fd;
	}
	for (size_t k = 0; k < ns->n_procs; k++) {
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ns->procs[k].pid);
		fd = netns_open(path, NULL);
		if (fd < 0)
			continue;
		/* The pid may have been reused by a process elsewhere. */
		if (fstat(fd, &st) == 0 && st.st_dev == ns->dev && st.st_ino == ns->ino)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* The id under which @s's namespace knows the namespace of @fd, or -1
 * (RTM_GETNSID looks it up with peernet2id(): it never allocates one). */
static int get_nsid(struct nl_sock *s, int fd)
{
	int id;

	return netns_get_id(s, fd, &id, NULL) < 0 ? -1 : id;
}

static void links_free(struct inv_link *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].addrs);
	free(v);
}

static const struct inv_link *link_by_index(const struct inv_netns *ns, int ifindex)
{
	for (size_t i = 0; i < ns->n_links; i++)
		if (ns->links[i].li.ifindex == ifindex)
			return &ns->links[i];
	return NULL;
}

/* Links and addresses of namespace @i, through a socket opened inside. */
static int collect_links(struct build *b, size_t i, struct nl_sock *s)
{
	struct inv_netns *ns = &b->inv->ns[i];
	struct link_info *li = NULL;
	size_t n = 0;
	int ret;

	ret = link_list(s, &li, &n, NULL);
	if (ret < 0)
		return ret == -ENOMEM ? ret : 0;
	ns->links = calloc(n ? n : 1, sizeof(*ns->links));
	if (!ns->links) {
		free(li);
		return -ENOMEM;
	}
	ns->n_links = n;
	for (size_t k = 0; k < n; k++) {
		struct inv_link *l = &ns->links[k];

		l->li = li[k];
		l->peer_ns = -1;
		if (addr_list(s, li[k].ifindex, AF_UNSPEC, &l->addrs, &l->n_addrs, NULL) == -ENOMEM) {
			free(li);
			return -ENOMEM;
		}
	}
	free(li);
	for (size_t k = 0; k < n; k++) {
		const struct inv_link *m = ns->links[k].li.master ?
			link_by_index(ns, ns->links[k].li.master) : NULL;

		if (m)
			memcpy(ns->links[k].master_name, m->li.name, IFNAMSIZ);
	}
	return 0;
}

/*
 * The peers of namespace @i's veths.  IFLA_LINK_NETNSID is an id in @i's
 * own table of peer namespaces (net->netns_ids); the same namespace has
 * other ids elsewhere, so the only exact way to resolve it is to ask @i,
 * for each candidate, "which id do you give this one?" (RTM_GETNSID with
 * NETNSA_FD, from a socket inside @i).  The node is asked first: it is the
 * peer of every pod's eth0.
 */
static void resolve_peers(struct build *b, size_t i, struct nl_sock *s)
{
	struct inventory *inv = b->inv;
	struct inv_netns *ns = &inv->ns[i];
	int *ids = NULL;

	for (size_t k = 0; k < ns->n_links; k++) {
		struct inv_link *l = &ns->links[k];
		const struct inv_link *p = NULL;
		int j = -1;

		if (strcmp(l->li.kind, "veth") || !l->li.link)
			continue;
		l->peer_ifindex = l->li.link;
		if (l->li.link_netnsid < 0) {
			/* Peer in the same namespace: the kernel omits
			 * IFLA_LINK_NETNSID when dev_net == link_net. */
			l->peer = INV_PEER_SAME_NS;
			l->peer_ns = (int)i;
			j = (int)i;
		} else {
			if (!ids) {
				ids = malloc(inv->n_ns * sizeof(*ids));
				if (!ids)
					return;
				for (size_t m = 0; m < inv->n_ns; m++)
					ids[m] = -2; /* not asked yet */
			}
			for (size_t step = 0; step <= inv->n_ns && j < 0; step++) {
				size_t m = step == 0 ? (size_t)inv->node : step - 1;

				if (m == i || b->fds[m] < 0 || (step && m == (size_t)inv->node))
					continue;
				if (ids[m] == -2)
					ids[m] = get_nsid(s, b->fds[m]);
				if (ids[m] == l->li.link_netnsid)
					j = (int)m;
			}
			l->peer = j < 0 ? INV_PEER_UNRESOLVED : INV_PEER_OTHER_NS;
			l->peer_ns = j;
		}
		if (j >= 0 && (p = link_by_index(&inv->ns[j], l->peer_ifindex))) {
			const struct inv_link *pm;

			memcpy(l->peer_name, p->li.name, IFNAMSIZ);
			l->peer_master_ifindex = p->li.master;
			pm = p->li.master ? link_by_index(&inv->ns[j], p->li.master) : NULL;
			if (pm)
				memcpy(l->peer_master, pm->li.name, IFNAMSIZ);
		}
	}
	free(ids);
}

/* ---- pods ---- */

static void pod_clear(struct inv_pod *p)
{
	free(p->namespace_);
	free(p->name);
	free(p->uid);
	free(p->sandbox_id);
	free(p->network);
	free(p->cache_path);
	free(p->pod_ip);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		free(p->ctrs[i].id);
		free(p->ctrs[i].name);
	}
	free(p->ctrs);
	memset(p, 0, sizeof(*p));
}

static int ctr_add(struct inv_pod *p, const char *id, const char *name, pid_t pid)
{
	struct inv_ctr *v = realloc(p->ctrs, (p->n_ctrs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->ctrs = v;
	memset(&v[p->n_ctrs], 0, sizeof(*v));
	v[p->n_ctrs].pid = pid;
	if (dup_str(&v[p->n_ctrs].id, id) < 0 || dup_str(&v[p->n_ctrs].name, name) < 0) {
		free(v[p->n_ctrs].id);
		free(v[p->n_ctrs].name);
		return -ENOMEM;
	}
	p->n_ctrs++;
	return 0;
}

static int ns_of_path(const struct inventory *inv, const char *path)
{
	dev_t dev;
	ino_t ino;

	if (!path || !*path || nsfs_stat(path, &dev, &ino) < 0)
		return -1;
	return ns_index(inv, dev, ino);
}

static int ns_of_pid(const struct inventory *inv, pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return -1;
	return ns_index(inv, st.st_dev, st.st_ino);
}

static int sandbox_add(struct build *b, const char *id)
{
	if (pn_grow(&b->sandboxes, &b->cap_sandboxes, b->n_sandboxes, sizeof(char *)) < 0)
		return -ENOMEM;
	if (!(b->sandboxes[b->n_sandboxes] = strdup(id)))
		return -ENOMEM;
	b->n_sandboxes++;
	return 0;
}

static bool is_podnet_sandbox(const struct build *b, const char *id)
{
	for (size_t i = 0; id && i < b->n_sandboxes; i++)
		if (!strcmp(b->sandboxes[i], id))
			return true;
	return false;
}

static int podnet_pods(struct build *b, struct pn_err *err)
{
	struct podrt *rt = b->o->rt;
	struct store_pod *pods = NULL;
	size_t np = 0;
	int ret;

	ret = store_pod_list(rt->st, NULL, &pods, &np, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < np; i++) {
		struct podrt_view v = { 0 };
		struct inv_netns *ns;
		struct inv_pod *p;
		int k;

		if (pods[i].sandbox_id && (ret = sandbox_add(b, pods[i].sandbox_id)) < 0)
			goto out;
		k = ns_of_path(b->inv, pods[i].netns_path);
		if (k < 0)
			k = ns_of_pid(b->inv, pods[i].pause_pid);
		/* hostNetwork pods share the node's namespace: not its owner. */
		if (k < 0 || b->inv->ns[k].is_node || b->inv->ns[k].has_pod)
			continue;
		ns = &b->inv->ns[k];
		p = &ns->pod;
		ns->has_pod = true;
		p->source = INV_SRC_PODNET;
		p->pause_pid = pods[i].pause_pid;
		if ((ret = dup_str(&p->namespace_, pods[i].namespace_)) < 0 ||
		    (ret = dup_str(&p->name, pods[i].name)) < 0 ||
		    (ret = dup_str(&p->uid, pods[i].uid)) < 0 ||
		    (ret = dup_str(&p->sandbox_id, pods[i].sandbox_id)) < 0 ||
		    (ret = dup_str(&p->pod_ip, pods[i].pod_ip)) < 0)
			goto out;
		/* The live view has the PIDs as the shim last saw them; a
		 * pod whose view cannot be read still has its identity. */
		if (podrt_view_get(rt, &pods[i], &v, NULL) == 0) {
			if (v.pause_pid)
				p->pause_pid = v.pause_pid;
			for (size_t c = 0; c < v.n_ctrs && ret == 0; c++)
				ret = ctr_add(p, v.ctrs[c].cid, v.ctrs[c].row.name, v.ctrs[c].pid);
			podrt_view_free(&v);
			if (ret < 0)
				goto out;
		}
	}
	ret = 0;
out:
	store_pod_array_free(pods, np);
	return ret;
}

/* The namespace of an old-format cache entry (no "netns"): the lease of
 * the same attachment records it, or a process's cgroup names the
 * sandbox (the pause container's id is the CNI container id). */
static int ns_of_container(struct build *b, const char *id)
{
	for (size_t i = 0; i < b->n_leases; i++)
		if (!strcmp(b->leases[i].l.container_id, id)) {
			int k = ns_of_path(b->inv, b->leases[i].l.netns);

			if (k >= 0)
				return k;
		}
	for (size_t i = 0; i < b->inv->n_ns; i++) {
		const struct inv_netns *ns = &b->inv->ns[i];

		for (size_t k = 0; !ns->is_node && k < ns->n_procs; k++) {
			struct inv_cgroup_id cg;
			char *text = read_cgroup(ns->procs[k].pid);
			bool hit = text && inventory_parse_cgroup(text, &cg) == 0 &&
				   !strcmp(cg.container_id, id);

			free(text);
			if (hit)
				return (int)i;
		}
	}
	return -1;
}

static const char *cached_first_ip(const struct cniclient_cached *c, char buf[PN_IP_STRLEN])
{
	if (!c->result || !c->result->n_ips)
		return NULL;
	return pn_ip_str(&c->result->ips[0].address.ip, buf);
}

/* Containers of a foreign pod: its namespace's processes, grouped by the
 * container id their cgroup names; the sandbox's is the pause. */
static int foreign_ctrs(struct inv_netns *ns)
{
	struct inv_pod *p = &ns->pod;
	int ret = 0;

	for (size_t k = 0; k < ns->n_procs && ret == 0; k++) {
		struct inv_cgroup_id cg;
		char *text = read_cgroup(ns->procs[k].pid);
		bool seen = false;

		if (!text || inventory_parse_cgroup(text, &cg) < 0 || !cg.container_id[0]) {
			free(text);
			continue;
		}
		free(text);
		if (!p->uid && cg.pod_uid[0] && (ret = dup_str(&p->uid, cg.pod_uid)) < 0)
			break;
		if (p->sandbox_id && !strcmp(cg.container_id, p->sandbox_id)) {
			if (!p->pause_pid)
				p->pause_pid = ns->procs[k].pid;
			continue;
		}
		for (size_t c = 0; c < p->n_ctrs; c++)
			seen |= !strcmp(p->ctrs[c].id, cg.container_id);
		if (!seen)
			ret = ctr_add(p, cg.container_id, NULL, ns->procs[k].pid);
	}
	return ret;
}

static int cache_pods(struct build *b)
{
	struct inventory *inv = b->inv;
	int ret = 0;

	for (size_t i = 0; i < b->n_cache; i++) {
		const struct cniclient_cached *c = &b->cache[i];
		const char *pns = cniclient_cached_arg(c, "K8S_POD_NAMESPACE");
		const char *pname = cniclient_cached_arg(c, "K8S_POD_NAME");
		const char *infra = cniclient_cached_arg(c, "K8S_POD_INFRA_CONTAINER_ID");
		const char *puid = cniclient_cached_arg(c, "K8S_POD_UID");
		const char *id = c->container_id ? c->container_id : infra;
		char ipbuf[PN_IP_STRLEN];
		struct inv_pod *p;
		int k;

		if (c->netns && *c->netns) {
			k = ns_of_path(inv, c->netns);
			if (k < 0) {
				ret = orphan_add(b, INV_ORPHAN_CACHE, c->path, id, c->netns, -1,
						 "CNI cache entry, its netns %s is gone", c->netns);
				if (ret < 0)
					return ret;
				continue;
			}
		} else {
			k = id ? ns_of_container(b, id) : -1;
			if (k < 0 && !is_podnet_sandbox(b, id)) {
				ret = orphan_add(b, INV_ORPHAN_CACHE, c->path, id, NULL, -1,
						 "CNI cache entry without netns, no namespace holds container %.12s",
						 id ? id : "?");
				if (ret < 0)
					return ret;
				continue;
			}
		}
		if (k < 0 || inv->ns[k].is_node)
			continue;
		p = &inv->ns[k].pod;
		if (inv->ns[k].has_pod) {
			/* podnet caches its own attachments too: same pod,
			 * the cache adds the network name. */
			if (p->sandbox_id && id && !strcmp(p->sandbox_id, id) && !p->network &&
			    ((ret = dup_str(&p->network, c->network)) < 0 ||
			     (ret = dup_str(&p->cache_path, c->path)) < 0))
				return ret;
			continue;
		}
		inv->ns[k].has_pod = true;
		p->source = INV_SRC_CNI_CACHE;
		if ((ret = dup_str(&p->namespace_, pns)) < 0 || (ret = dup_str(&p->name, pname)) < 0 ||
		    (ret = dup_str(&p->uid, puid)) < 0 || (ret = dup_str(&p->sandbox_id, id)) < 0 ||
		    (ret = dup_str(&p->network, c->network)) < 0 ||
		    (ret = dup_str(&p->cache_path, c->path)) < 0 ||
		    (ret = dup_str(&p->pod_ip, cached_first_ip(c, ipbuf))) < 0 ||
		    (ret = foreign_ctrs(&inv->ns[k])) < 0)
			return ret;
	}
	return 0;
}

/* ---- leases ---- */

static int dir_add(char ***v, size_t *n, const char *d)
{
	char **nv;

	if (!d || !*d)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], d))
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(d)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* ipam.dataDir of every plugin of every network config in @conf_dir. */
static int conf_data_dirs(const char *conf_dir, char ***v, size_t *n)
{
	DIR *d = opendir(conf_dir ? conf_dir : CNICLIENT_CONF_DIR);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && ret == 0) {
		char path[PATH_MAX];
		json_t *j, *plugins, *pl;
		size_t idx;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", conf_dir ? conf_dir : CNICLIENT_CONF_DIR,
			 de->d_name);
		if (!(j = json_load_file(path, 0, NULL)))
			continue;
		plugins = json_object_get(j, "plugins");
		if (!json_is_array(plugins)) {
			/* a single-plugin .conf */
			ret = dir_add(v, n, json_string_value(
				json_object_get(json_object_get(j, "ipam"), "dataDir")));
		}
		json_array_foreach(plugins, idx, pl)
			if (ret == 0)
				ret = dir_add(v, n, json_string_value(json_object_get(
					json_object_get(pl, "ipam"), "dataDir")));
		json_decref(j);
	}
	closedir(d);
	return ret;
}

static int load_leases(struct build *b)
{
	char **dirs = NULL;
	size_t n_dirs = 0;
	int ret;

	if ((ret = dir_add(&dirs, &n_dirs, IPAM_DEFAULT_DATA_DIR)) < 0 ||
	    (ret = conf_data_dirs(b->o->cni_conf_dir, &dirs, &n_dirs)) < 0)
		goto out;
	for (size_t i = 0; i < b->o->n_ipam_dirs; i++)
		if ((ret = dir_add(&dirs, &n_dirs, b->o->ipam_dirs[i])) < 0)
			goto out;
	for (size_t i = 0; i < n_dirs; i++) {
		char **nets = NULL;
		size_t n_nets = 0;

		if (ipam_list_networks(dirs[i], &nets, &n_nets, NULL) < 0)
			continue;
		for (size_t k = 0; k < n_nets && ret == 0; k++) {
			struct ipam_lease *l = NULL;
			size_t nl = 0;

			if (ipam_list(dirs[i], nets[k], &l, &nl, NULL) < 0)
				continue;
			for (size_t m = 0; m < nl && ret == 0; m++) {
				struct lease_ref *r;

				if ((ret = pn_grow(&b->leases, &b->cap_leases, b->n_leases,
						sizeof(*r))) < 0)
					break;
				r = &b->leases[b->n_leases];
				r->l = l[m];
				r->network = strdup(nets[k]);
				r->data_dir = strdup(dirs[i]);
				b->n_leases++;
				if (!r->network || !r->data_dir)
					ret = -ENOMEM;
			}
			free(l);
		}
		for (size_t k = 0; k < n_nets; k++)
			free(nets[k]);
		free(nets);
		if (ret < 0)
			goto out;
	}
out:
	for (size_t i = 0; i < n_dirs; i++)
		free(dirs[i]);
	free(dirs);
	return ret;
}

static bool cache_has_container(const struct build *b, const char *id)
{
	for (size_t i = 0; i < b->n_cache; i++)
		if (b->cache[i].container_id && !strcmp(b->cache[i].container_id, id))
			return true;
	return false;
}

/* ---- orphans ---- */

static int find_orphans(struct build *b)
{
	struct inventory *inv = b->inv;
	int ret;

	for (size_t i = 0; i < inv->n_ns; i++) {
		struct inv_netns *ns = &inv->ns[i];

		if (ns->n_pins && !ns->n_procs && !ns->has_pod && !ns->is_node) {
			if (!(ns->orphan = strdup("pinned, no process, no pod")))
				return -ENOMEM;
			ret = orphan_add(b, INV_ORPHAN_NETNS, ns->pins[0], NULL, ns->pins[0], (int)i,
					 "%s", ns->orphan);
			if (ret < 0)
				return ret;
		}
	}
	for (size_t i = 0; i < b->n_leases; i++) {
		const struct lease_ref *r = &b->leases[i];
		const char *id = r->l.container_id;
		char ip[PN_IP_STRLEN], obj[PATH_MAX];

		snprintf(obj, sizeof(obj), "%s/%s/%s", r->data_dir, r->network, pn_ip_str(&r->l.ip, ip));
		if (!is_podnet_sandbox(b, id) && !cache_has_container(b, id))
			ret = orphan_add(b, INV_ORPHAN_LEASE, obj, id, r->l.netns, -1,
					 "lease of container %.12s, which has no pod and no CNI cache entry",
					 id);
		else if (r->l.netns[0] && ns_of_path(inv, r->l.netns) < 0)
			ret = orphan_add(b, INV_ORPHAN_LEASE, obj, id, r->l.netns, -1,
					 "lease of container %.12s, its netns %s is gone", id, r->l.netns);
		else
			ret = 0;
		if (ret < 0)
			return ret;
	}
	/*
	 * Host veths.  A veth pair dies with either namespace (the kernel's
	 * default_device_exit_batch() unregisters a dying netns's devices and
	 * veth_dellink() takes the peer along), so "peer gone" cannot be seen
	 * as a dangling veth: what leaks is a namespace kept alive (by a
	 * process or a forgotten pin) whose pod is gone.  Flag the node's
	 * bridge ports whose peer is in a namespace no pod owns, and any veth
	 * whose netnsid names no namespace we can see.
	 */
	{
		const struct inv_netns *node = &inv->ns[inv->node];

		for (size_t k = 0; k < node->n_links; k++) {
			const struct inv_link *l = &node->links[k];

			if (strcmp(l->li.kind, "veth") || l->peer == INV_PEER_NONE ||
			    l->peer == INV_PEER_SAME_NS)
				continue;
			if (l->peer == INV_PEER_UNRESOLVED)
				ret = orphan_add(b, INV_ORPHAN_VETH, l->li.name, NULL, NULL, -1,
						 "host veth, its peer's netns (netnsid %d) is not found",
						 l->li.link_netnsid);
			else if (l->li.master && !inv->ns[l->peer_ns].has_pod)
				ret = orphan_add(b, INV_ORPHAN_VETH, l->li.name, NULL,
						 inv->ns[l->peer_ns].n_pins ? inv->ns[l->peer_ns].pins[0]
									    : NULL,
						 l->peer_ns,
						 "host veth on %s, its peer's netns (inode %lu) has no pod",
						 l->master_name[0] ? l->master_name : "a bridge",
						 (unsigned long)inv->ns[l->peer_ns].ino);
			else
				ret = 0;
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int inventory_collect(const struct inventory_opts *o, struct inventory **out,
		      struct pn_err *err)
{
	struct build b = { .o = o, .node_sock = NL_SOCK_INIT };
	const char *dir = o->netns_dir ? o->netns_dir : DEFAULT_NETNS_DIR;
	struct stat st;
	int ret, k;

	*out = NULL;
	b.inv = calloc(1, sizeof(*b.inv));
	if (!b.inv) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (stat("/proc/self/ns/net", &st) < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "stat /proc/self/ns/net (is /proc mounted?)");
		goto out;
	}
	if ((k = ns_get(&b, st.st_dev, st.st_ino)) < 0)
		goto nomem;
	b.inv->ns[k].is_node = true;
	if ((ret = scan_pins(&b, dir)) < 0)
		goto nomem;
	if ((ret = scan_procs(&b)) < 0) {
		ret = pn_error(err, PN_E_KERNEL, -ret, "read /proc");
		goto out;
	}
	qsort(b.inv->ns, b.inv->n_ns, sizeof(*b.inv->ns), ns_cmp); /* n_ns >= 1: the node */
	for (size_t i = 0; i < b.inv->n_ns; i++) {
		struct inv_netns *ns = &b.inv->ns[i];

		if (ns->n_procs)
			qsort(ns->procs, ns->n_procs, sizeof(*ns->procs), proc_cmp);
		if (ns->is_node)
			b.inv->node = (int)i;
		if (ns->n_pins && !(ns->name = strdup(strrchr(ns->pins[0], '/') + 1)))
			goto nomem;
	}
	/* pid 1's namespace; when /proc/1 is hidden from us (ptrace access
	 * mode checks on ns links), kthreadd's: kernel threads live in
	 * init_net. */
	{
		char comm[16] = "";

		read_comm(2, comm);
		if ((stat("/proc/1/ns/net", &st) == 0 ||
		     (!strcmp(comm, "kthreadd") && stat("/proc/2/ns/net", &st) == 0)) &&
		    (k = ns_index(b.inv, st.st_dev, st.st_ino)) >= 0)
			b.inv->ns[k].is_init = true;
	}

	b.fds = malloc((b.inv->n_ns ? b.inv->n_ns : 1) * sizeof(*b.fds));
	if (!b.fds)
		goto nomem;
	for (size_t i = 0; i < b.inv->n_ns; i++, b.n_fds++)
		b.fds[i] = open_ns(&b, i);

	/* Owners: leases and the cache first (an old cache entry is mapped
	 * through its lease), podnet's own pods before the cache's. */
	if ((ret = load_leases(&b)) < 0)
		goto nomem;
	ret = cniclient_list_cache(o->cni_cache, NULL, &b.cache, &b.n_cache, err);
	if (ret < 0)
		goto out;
	if (o->rt && (ret = podnet_pods(&b, err)) < 0)
		goto out;
	if ((ret = cache_pods(&b)) < 0)
		goto nomem;

	if (!o->skip_links) {
		struct nl_sock *socks = calloc(b.inv->n_ns ? b.inv->n_ns : 1, sizeof(*socks));

		if (!socks)
			goto nomem;
		for (size_t i = 0; i < b.inv->n_ns; i++) {
			socks[i] = (struct nl_sock)NL_SOCK_INIT;
			if (b.fds[i] >= 0 &&
			    nl_open_in_netns(&socks[i], NETLINK_ROUTE, b.fds[i], NULL) == 0 &&
			    collect_links(&b, i, &socks[i]) == -ENOMEM)
				ret = -ENOMEM;
		}
		/* Peers only after every dump: the dumps allocate the
		 * netnsids (peernet2id_alloc) that RTM_GETNSID then reads. */
		for (size_t i = 0; i < b.inv->n_ns && ret == 0; i++)
			if (socks[i].fd >= 0)
				resolve_peers(&b, i, &socks[i]);
		if (ret == 0 && socks[b.inv->node].fd >= 0)
			for (size_t i = 0; i < b.inv->n_ns; i++)
				if (b.fds[i] >= 0 && (int)i != b.inv->node)
					b.inv->ns[i].nsid = get_nsid(&socks[b.inv->node], b.fds[i]);
		for (size_t i = 0; i < b.inv->n_ns; i++)
			nl_close(&socks[i]);
		free(socks);
		if (ret < 0)
			goto nomem;
	}
	if ((ret = find_orphans(&b)) < 0)
		goto nomem;
	*out = b.inv;
	b.inv = NULL;
	ret = 0;
	goto out;
nomem:
	ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
out:
	for (size_t i = 0; i < b.n_fds; i++)
		if (b.fds[i] >= 0)
			close(b.fds[i]);
	free(b.fds);
	cniclient_cached_free_all(b.cache, b.n_cache);
	for (size_t i = 0; i < b.n_leases; i++) {
		free(b.leases[i].network);
		free(b.leases[i].data_dir);
	}
	free(b.leases);
	for (size_t i = 0; i < b.n_sandboxes; i++)
		free(b.sandboxes[i]);
	free(b.sandboxes);
	inventory_free(b.inv);
	return ret;
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_ns; i++) {
		struct inv_netns *ns = &inv->ns[i];

		free(ns->name);
		for (size_t k = 0; k < ns->n_pins; k++)
			free(ns->pins[k]);
		free(ns->pins);
		free(ns->procs);
		pod_clear(&ns->pod);
		links_free(ns->links, ns->n_links);
		free(ns->orphan);
	}
	free(inv->ns);
	for (size_t i = 0; i < inv->n_orphans; i++) {
		free(inv->orphans[i].object);
		free(inv->orphans[i].reason);
		free(inv->orphans[i].container_id);
		free(inv->orphans[i].netns);
	}
	free(inv->orphans);
	free(inv);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *link_json(const struct inventory *inv, const struct inv_link *l)
{
	json_t *addrs = json_array(), *j;
	static const char *const peers[] = { NULL, "same-netns", "other-netns", "unresolved" };

	for (size_t i = 0; i < l->n_addrs; i++) {
		char buf[PN_CIDR_STRLEN];

		json_array_append_new(addrs, json_string(pn_cidr_str(&l->addrs[i], buf)));
	}
	j = json_pack("{s:s, s:i, s:s, s:s, s:b, s:i, s:o, s:o}", "name", l->li.name, "ifindex",
		      l->li.ifindex, "kind", l->li.kind, "mac", l->li.mac_str, "up",
		      !!(l->li.flags & IFF_UP), "mtu", l->li.mtu, "master",
		      l->master_name[0] ? json_string(l->master_name) : json_null(), "addresses",
		      addrs);
	if (j && l->peer != INV_PEER_NONE) {
		const struct inv_netns *pns = l->peer_ns >= 0 ? &inv->ns[l->peer_ns] : NULL;

		json_object_set_new(
			j, "peer",
			json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o}", "where", peers[l->peer],
				  "ifindex", l->peer_ifindex, "linkNetnsid", l->li.link_netnsid,
				  "name", l->peer_name[0] ? json_string(l->peer_name) : json_null(),
				  "master", l->peer_master[0] ? json_string(l->peer_master) : json_null(),
				  "netnsInode", pns ? json_integer((json_int_t)pns->ino) : json_null(),
				  "netns", pns ? jstr(pns->is_node ? "(node)" : pns->name) : json_null()));
	}
	return j;
}

const struct inv_link *inventory_pod_uplink(const struct inventory *inv,
					    const struct inv_netns *ns)
{
	const struct inv_link *best = NULL;

	for (size_t i = 0; i < ns->n_links; i++) {
		const struct inv_link *l = &ns->links[i];

		if (l->peer == INV_PEER_OTHER_NS && l->peer_ns == inv->node &&
		    (!best || !strcmp(l->li.name, "eth0")))
			best = l;
	}
	return best;
}

json_t *inventory_netns_to_json(const struct inventory *inv, const struct inv_netns *ns)
{
	json_t *j, *pins = json_array(), *procs = json_array(), *links = json_array();
	const struct inv_link *up = inventory_pod_uplink(inv, ns);

	for (size_t i = 0; i < ns->n_pins; i++)
		json_array_append_new(pins, json_string(ns->pins[i]));
	for (size_t i = 0; i < ns->n_procs; i++)
		json_array_append_new(procs, json_pack("{s:i, s:s}", "pid", (int)ns->procs[i].pid,
						       "comm", ns->procs[i].comm));
	for (size_t i = 0; i < ns->n_links; i++)
		json_array_append_new(links, link_json(inv, &ns->links[i]));
	j = json_pack("{s:o, s:I, s:I, s:b, s:b, s:o, s:o, s:o, s:o}", "name", jstr(ns->name),
		      "inode", (json_int_t)ns->ino, "dev", (json_int_t)ns->dev, "node", ns->is_node,
		      "init", ns->is_init, "nsid", ns->nsid >= 0 ? json_integer(ns->nsid) : json_null(),
		      "pins", pins, "processes", procs, "links", links);
	if (!j)
		return NULL;
	if (ns->has_pod) {
		const struct inv_pod *p = &ns->pod;
		json_t *ctrs = json_array();

		for (size_t i = 0; i < p->n_ctrs; i++)
			json_array_append_new(ctrs, json_pack("{s:s, s:o, s:o}", "id", p->ctrs[i].id,
							      "name", jstr(p->ctrs[i].name), "pid",
							      p->ctrs[i].pid ? json_integer(p->ctrs[i].pid)
									     : json_null()));
		json_object_set_new(
			j, "pod",
			json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "source",
				  inv_source_str(p->source), "namespace", jstr(p->namespace_), "name",
				  jstr(p->name), "uid", jstr(p->uid), "sandboxId", jstr(p->sandbox_id),
				  "network", jstr(p->network), "cacheFile", jstr(p->cache_path), "podIP",
				  jstr(p->pod_ip), "pausePid",
				  p->pause_pid ? json_integer(p->pause_pid) : json_null(), "containers",
				  ctrs));
	} else {
		json_object_set_new(j, "pod", json_null());
	}
	json_object_set_new(j, "hostVeth", up && up->peer_name[0] ? json_string(up->peer_name)
								  : json_null());
	json_object_set_new(j, "hostVethIfindex", up ? json_integer(up->peer_ifindex) : json_null());
	json_object_set_new(j, "bridge", up && up->peer_master[0] ? json_string(up->peer_master)
								  : json_null());
	json_object_set_new(j, "orphan", jstr(ns->orphan));
	return j;
}

json_t *inventory_to_json(const struct inventory *inv)
{
	json_t *nss = json_array(), *orph = json_array();

	for (size_t i = 0; i < inv->n_ns; i++)
		json_array_append_new(nss, inventory_netns_to_json(inv, &inv->ns[i]));
	for (size_t i = 0; i < inv->n_orphans; i++) {
		const struct inv_orphan *o = &inv->orphans[i];

		json_array_append_new(orph, json_pack("{s:s, s:o, s:o, s:o, s:o}", "kind",
						      inv_orphan_kind_str(o->kind), "object",
						      jstr(o->object), "reason", jstr(o->reason),
						      "containerId", jstr(o->container_id), "netns",
						      jstr(o->netns)));
	}
	return json_pack("{s:o, s:o}", "netns", nss, "orphans", orph);
}

/* ------------------------------------------------------------------ */
/* PID -> pod                                                         */

int inventory_pid_lookup(const struct inventory *inv, pid_t pid, struct inv_pid *out,
			 struct pn_err *err)
{
	char path[64], *cg = NULL;
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (pid <= 0 || stat(path, &st) < 0)
		return pn_error(err, PN_E_NOT_FOUND, ESRCH, "process %d not found", (int)pid);
	read_comm(pid, out->comm);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0) {
		/* The process exists; following its ns link needs ptrace read
		 * access to it (proc_ns_get_link: PTRACE_MODE_READ_FSCREDS),
		 * which another user's process, or one beyond our capabilities,
		 * refuses.  Its cgroup file is world-readable: go on with it. */
		if (errno == ENOENT || errno == ESRCH)
			return pn_error(err, PN_E_NOT_FOUND, ESRCH, "process %d not found", (int)pid);
		out->ns_errnum = errno;
	} else {
		out->dev = st.st_dev;
		out->ino = st.st_ino;
		out->ns = inventory_find_ns(inv, st.st_dev, st.st_ino);
		if (out->ns && out->ns->has_pod) {
			out->pod = &out->ns->pod;
			out->via_netns = true;
		}
	}
	cg = read_cgroup(pid);
	if (cg && inventory_parse_cgroup(cg, &out->cg) == 0) {
		/* The cgroup names the pod even for hostNetwork pods, whose
		 * netns is the node's. */
		for (size_t i = 0; i < inv->n_ns; i++) {
			const struct inv_pod *p = &inv->ns[i].pod;
			bool hit = false;

			if (!inv->ns[i].has_pod)
				continue;
			hit = (p->uid && out->cg.pod_uid[0] && !strcmp(p->uid, out->cg.pod_uid)) ||
			      (p->sandbox_id && out->cg.container_id[0] &&
			       !strcmp(p->sandbox_id, out->cg.container_id));
			for (size_t c = 0; !hit && out->cg.container_id[0] && c < p->n_ctrs; c++)
				hit = !strcmp(p->ctrs[c].id, out->cg.container_id);
			if (hit && (!out->pod || out->pod == p)) {
				out->pod = p;
				out->via_cgroup = true;
				break;
			}
		}
	}
	free(cg);
	if (out->pod) {
		const struct inv_pod *p = out->pod;

		out->is_pause = pid == p->pause_pid ||
				(p->sandbox_id && !strcmp(out->cg.container_id, p->sandbox_id));
		for (size_t c = 0; c < p->n_ctrs && !out->ctr; c++)
			if (p->ctrs[c].pid == pid ||
			    (out->cg.container_id[0] && !strcmp(p->ctrs[c].id, out->cg.container_id)))
				out->ctr = &p->ctrs[c];
	}
	return 0;
}

json_t *inventory_pid_to_json(const struct inventory *inv, const struct inv_pid *p)
{
	static const char *const kinds[] = { NULL, "podnet", "kubepods", "systemd" };
	json_t *j;
	const char *via = p->via_netns && p->via_cgroup ? "netns+cgroup"
			  : p->via_netns ? "netns" : p->via_cgroup ? "cgroup" : NULL;

	j = json_pack("{s:i, s:s, s:I, s:o, s:o, s:b, s:o}", "pid", (int)p->pid, "comm", p->comm,
		      "netnsInode", (json_int_t)p->ino, "netns",
		      p->ns ? jstr(p->ns->is_node ? "(node)" : p->ns->name) : json_null(), "via",
		      jstr(via), "pause", p->is_pause, "cgroup",
		      p->cg.kind ? json_pack("{s:s, s:o, s:o, s:o}", "layout", kinds[p->cg.kind],
					     "podUid", jstr(p->cg.pod_uid[0] ? p->cg.pod_uid : NULL),
					     "containerId",
					     jstr(p->cg.container_id[0] ? p->cg.container_id : NULL),
					     "runtime", jstr(p->cg.runtime[0] ? p->cg.runtime : NULL))
				 : json_null());
	if (!j)
		return NULL;
	if (p->ns_errnum)
		json_object_set_new(j, "netnsError",
				    json_pack("{s:s, s:s}", "path", "/proc/PID/ns/net", "error",
					      strerror(p->ns_errnum)));
	if (p->pod)
		json_object_set_new(j, "pod",
				    json_pack("{s:s, s:o, s:o, s:o, s:o}", "source",
					      inv_source_str(p->pod->source), "namespace",
					      jstr(p->pod->namespace_), "name", jstr(p->pod->name),
					      "uid", jstr(p->pod->uid), "sandboxId",
					      jstr(p->pod->sandbox_id)));
	else
		json_object_set_new(j, "pod", json_null());
	if (p->ctr)
		json_object_set_new(j, "container", json_pack("{s:s, s:o, s:o}", "id", p->ctr->id,
							      "name", jstr(p->ctr->name), "pid",
							      p->ctr->pid ? json_integer(p->ctr->pid)
									  : json_null()));
	else
		json_object_set_new(j, "container", json_null());
	(void)inv;
	return j;
}

/* ------------------------------------------------------------------ */
/* graph                                                              */

static void sb_addrs(struct pn_buf *b, const struct inv_link *l, const char *sep, bool v4_only)
{
	bool first = true;

	for (size_t i = 0; i < l->n_addrs; i++) {
		char buf[PN_CIDR_STRLEN];

		if (v4_only && l->addrs[i].ip.family != AF_INET)
			continue;
		/* fe80:: addresses say nothing about the pod. */
		if (l->addrs[i].ip.family == AF_INET6 && l->addrs[i].ip.b[0] == 0xfe &&
		    (l->addrs[i].ip.b[1] & 0xc0) == 0x80)
			continue;
		pn_buf_printf(b, "%s%s", first ? "" : sep, pn_cidr_str(&l->addrs[i], buf));
		first = false;
	}
}

static const char *ns_label(const struct inv_netns *ns, char *buf, size_t n)
{
	if (ns->name)
		return ns->name;
	snprintf(buf, n, "netns:[%lu]", (unsigned long)ns->ino);
	return buf;
}

static void text_pod(struct pn_buf *b, const struct inventory *inv, const struct inv_netns *ns,
		     const char *ind)
{
	char lb[48];

	if (ns->has_pod)
		pn_buf_printf(b, "%spod %s/%s  [%s] sandbox %.12s  netns %s\n", ind,
			  ns->pod.namespace_ ? ns->pod.namespace_ : "?",
			  ns->pod.name ? ns->pod.name : "?", inv_source_str(ns->pod.source),
			  ns->pod.sandbox_id ? ns->pod.sandbox_id : "-", ns_label(ns, lb, sizeof(lb)));
	else
		pn_buf_printf(b, "%s(no pod)  netns %s%s%s\n", ind, ns_label(ns, lb, sizeof(lb)),
			  ns->orphan ? "  orphan: " : "", ns->orphan ? ns->orphan : "");
	if (ns->has_pod && ns->pod.pause_pid)
		pn_buf_printf(b, "%s  pause pid %d\n", ind, (int)ns->pod.pause_pid);
	for (size_t c = 0; ns->has_pod && c < ns->pod.n_ctrs; c++) {
		const struct inv_ctr *ct = &ns->pod.ctrs[c];

		pn_buf_printf(b, "%s  container %s %.12s", ind, ct->name ? ct->name : "-", ct->id);
		if (ct->pid)
			pn_buf_printf(b, " pid %d", (int)ct->pid);
		pn_buf_printf(b, "\n");
	}
	(void)inv;
}

static void graph_text(struct pn_buf *b, const struct inventory *inv)
{
	const struct inv_netns *node = &inv->ns[inv->node];
	size_t n_br = 0;

	pn_buf_printf(b, "node (netns inode %lu)\n", (unsigned long)node->ino);
	for (size_t i = 0; i < node->n_links; i++)
		n_br += !strcmp(node->links[i].li.kind, "bridge");
	for (size_t i = 0, seen = 0; i < node->n_links; i++) {
		const struct inv_link *br = &node->links[i];
		size_t n_ports = 0;
		bool last_br;

		if (strcmp(br->li.kind, "bridge"))
			continue;
		last_br = ++seen == n_br;
		pn_buf_printf(b, "%s bridge %s %s ", last_br ? "`--" : "|--", br->li.name,
			  br->li.flags & IFF_UP ? "up" : "DOWN");
		sb_addrs(b, br, " ", false);
		pn_buf_printf(b, "\n");
		for (size_t k = 0; k < node->n_links; k++)
			n_ports += node->links[k].li.master == br->li.ifindex;
		for (size_t k = 0, pi = 0; k < node->n_links; k++) {
			const struct inv_link *v = &node->links[k];
			const char *pre = last_br ? "    " : "|   ";
			bool last = ++pi == n_ports;
			char ind[32];

			if (v->li.master != br->li.ifindex) {
				pi--;
				continue;
			}
			pn_buf_printf(b, "%s%s %s (ifindex %d)", pre, last ? "`--" : "|--", v->li.name,
				  v->li.ifindex);
			snprintf(ind, sizeof(ind), "%s%s      ", pre, last ? "    " : "|   ");
			if (v->peer == INV_PEER_OTHER_NS) {
				const struct inv_netns *pns = &inv->ns[v->peer_ns];
				const struct inv_link *pl = link_by_index(pns, v->peer_ifindex);

				pn_buf_printf(b, " <-veth-> %s@if%d ", v->peer_name[0] ? v->peer_name : "?",
					  v->peer_ifindex);
				if (pl)
					sb_addrs(b, pl, " ", false);
				pn_buf_printf(b, "\n");
				text_pod(b, inv, pns, ind);
			} else if (v->peer == INV_PEER_UNRESOLVED) {
				pn_buf_printf(b, " <-veth-> ? (peer netns not found)\n");
			} else {
				pn_buf_printf(b, " %s\n", v->li.kind);
			}
		}
	}
	/* Pods not reachable from a bridge: another plugin, or hostNetwork. */
	for (size_t i = 0; i < inv->n_ns; i++) {
		const struct inv_netns *ns = &inv->ns[i];
		const struct inv_link *up = inventory_pod_uplink(inv, ns);

		if (!ns->has_pod || (up && up->peer_master[0]))
			continue;
		pn_buf_printf(b, "(not on a bridge)\n");
		text_pod(b, inv, ns, "    ");
	}
	for (size_t i = 0; i < inv->n_orphans; i++)
		pn_buf_printf(b, "orphan %s %s: %s\n", inv_orphan_kind_str(inv->orphans[i].kind),
			  inv->orphans[i].object ? inv->orphans[i].object : "-",
			  inv->orphans[i].reason);
}

/* A DOT double-quoted string body: escape '"' and '\'. */
static void sb_dot_str(struct pn_buf *b, const char *s)
{
	for (; s && *s; s++)
		pn_buf_printf(b, "%s%c", *s == '"' || *s == '\\' ? "\\" : "", *s);
}

static void graph_dot(struct pn_buf *b, const struct inventory *inv)
{
	const struct inv_netns *node = &inv->ns[inv->node];
	char lb[48];

	pn_buf_printf(b, "digraph podnet {\n"
		     "  rankdir=LR;\n"
		     "  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
		     "  edge [dir=none];\n"
		     "  subgraph cluster_node {\n"
		     "    label=\"node (netns %lu)\";\n", (unsigned long)node->ino);
	for (size_t i = 0; i < node->n_links; i++) {
		const struct inv_link *l = &node->links[i];

		if (strcmp(l->li.kind, "bridge") && !(l->li.master && !strcmp(l->li.kind, "veth")))
			continue;
		pn_buf_printf(b, "    n%d_%d [label=\"", inv->node, l->li.ifindex);
		sb_dot_str(b, l->li.name);
		pn_buf_printf(b, "\\n%s", l->li.kind);
		if (l->n_addrs)
			pn_buf_printf(b, "\\n");
		sb_addrs(b, l, "\\n", false);
		pn_buf_printf(b, "\"%s];\n", !strcmp(l->li.kind, "bridge") ? ", shape=box3d, style=filled, fillcolor=lightblue"
								      : ", shape=ellipse");
		if (l->li.master)
			pn_buf_printf(b, "    n%d_%d -> n%d_%d;\n", inv->node, l->li.ifindex, inv->node,
				  l->li.master);
	}
	pn_buf_printf(b, "  }\n");
	for (size_t i = 0; i < inv->n_ns; i++) {
		const struct inv_netns *ns = &inv->ns[i];
		const struct inv_link *up = inventory_pod_uplink(inv, ns);

		if ((int)i == inv->node || (!ns->has_pod && !up))
			continue;
		pn_buf_printf(b, "  subgraph cluster_ns%zu {\n    label=\"", i);
		if (ns->has_pod) {
			pn_buf_printf(b, "pod ");
			sb_dot_str(b, ns->pod.namespace_ ? ns->pod.namespace_ : "?");
			pn_buf_printf(b, "/");
			sb_dot_str(b, ns->pod.name ? ns->pod.name : "?");
			pn_buf_printf(b, "\\n");
		}
		sb_dot_str(b, ns_label(ns, lb, sizeof(lb)));
		pn_buf_printf(b, "\";\n    style=rounded;\n");
		for (size_t k = 0; k < ns->n_links; k++) {
			const struct inv_link *l = &ns->links[k];

			if (l->peer != INV_PEER_OTHER_NS)
				continue;
			pn_buf_printf(b, "    n%zu_%d [label=\"", i, l->li.ifindex);
			sb_dot_str(b, l->li.name);
			pn_buf_printf(b, "\\n");
			sb_addrs(b, l, "\\n", false);
			pn_buf_printf(b, "\", shape=ellipse];\n");
		}
		for (size_t c = 0; ns->has_pod && c < ns->pod.n_ctrs; c++) {
			const struct inv_ctr *ct = &ns->pod.ctrs[c];

			pn_buf_printf(b, "    c%zu_%zu [label=\"", i, c);
			sb_dot_str(b, ct->name ? ct->name : "-");
			pn_buf_printf(b, "\\n%.12s", ct->id);
			if (ct->pid)
				pn_buf_printf(b, "\\npid %d", (int)ct->pid);
			pn_buf_printf(b, "\", shape=component];\n");
		}
		pn_buf_printf(b, "  }\n");
		for (size_t k = 0; k < ns->n_links; k++) {
			const struct inv_link *l = &ns->links[k];

			if (l->peer == INV_PEER_OTHER_NS && l->peer_ns == inv->node)
				pn_buf_printf(b, "  n%zu_%d -> n%d_%d [style=bold, label=\"veth\"];\n", i,
					  l->li.ifindex, inv->node, l->peer_ifindex);
		}
	}
	pn_buf_printf(b, "}\n");
}

int inventory_graph(const struct inventory *inv, enum inv_graph_fmt fmt, char **out,
		    struct pn_err *err)
{
	struct pn_buf b = { 0 };

	*out = NULL;
	if (fmt == INV_GRAPH_DOT)
		graph_dot(&b, inv);
	else
		graph_text(&b, inv);
	if (b.failed || !b.s) {
		free(b.s);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	*out = b.s;
	return 0;
}
