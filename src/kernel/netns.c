/* SPDX-License-Identifier: Apache-2.0 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "nl.h"

int netns_open(const char *path, struct pn_err *err)
{
	struct statfs st;
	int fd = -1;
	int ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "open network namespace %s", path);
		goto out;
	}
	/* A path under /run/netns whose bind mount is gone is a plain empty
	 * file: setns() on it would fail later with a less helpful EINVAL. */
	if (fstatfs(fd, &st) < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "statfs %s", path);
		goto out;
	}
	if ((unsigned long)st.f_type != (unsigned long)NSFS_MAGIC) {
		ret = pn_error(err, PN_E_KERNEL, EINVAL, "%s is not a namespace file (not on nsfs)",
			       path);
		goto out;
	}
#ifdef NS_GET_NSTYPE
	{
		/* NS_GET_NSTYPE (4.11) tells a net namespace from the pid or
		 * mount namespace file of the same process. */
		int type = ioctl(fd, NS_GET_NSTYPE);

		if (type < 0 && errno != ENOTTY && errno != EINVAL) {
			ret = pn_error(err, PN_E_KERNEL, errno, "query namespace type of %s", path);
			goto out;
		}
		if (type >= 0 && type != CLONE_NEWNET) {
			ret = pn_error(err, PN_E_KERNEL, EINVAL,
				       "%s is a namespace but not a network namespace", path);
			goto out;
		}
	}
#endif
	ret = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

struct netns_job {
	int fd;
	int (*fn)(void *arg);
	void *arg;
	struct pn_err *err;
	int ret;
};

static void *netns_thread(void *p)
{
	struct netns_job *j = p;

	/* setns(CLONE_NEWNET) moves this thread only (the net namespace is
	 * per task, unlike the mount namespace which needs an unshared fs);
	 * the thread exits afterwards, so nothing else ever runs in it. */
	if (setns(j->fd, CLONE_NEWNET) < 0) {
		j->ret = pn_error(j->err, PN_E_KERNEL, errno, "enter network namespace (fd %d)",
				  j->fd);
		return NULL;
	}
	j->ret = j->fn(j->arg);
	return NULL;
}

int netns_run(int netns_fd, int (*fn)(void *arg), void *arg, struct pn_err *err)
{
	struct netns_job j = { .fd = netns_fd, .fn = fn, .arg = arg, .err = err, .ret = 0 };
	pthread_t t;
	int rc;

	rc = pthread_create(&t, NULL, netns_thread, &j);
	if (rc)
		return pn_error(err, PN_E_KERNEL, rc, "start a thread to enter a network namespace");
	rc = pthread_join(t, NULL);
	if (rc)
		return pn_error(err, PN_E_KERNEL, rc, "join network namespace thread");
	return j.ret;
}

/*
 * Make @dir a mount point with shared propagation, under an flock on the
 * directory so two podnet processes do not both stack a bind mount.  Why
 * (iproute2's netns_add says it): pins made in one mount namespace must
 * propagate to the others, so that `ip netns` in any of them sees a pod's
 * namespace and an unmount in one unmounts it everywhere, letting the
 * namespace be freed.  A dir that is not a mount point cannot be made
 * shared (EINVAL), hence the bind mount of the dir onto itself first.
 */
static int make_shared_dir(const char *dir, struct pn_err *err)
{
	bool bound = false;
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pn_error(err, PN_E_KERNEL, errno, "open %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "lock %s", dir);
		goto out;
	}
	while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound) {
			ret = pn_error(err, PN_E_KERNEL, errno, "make %s a shared mount", dir);
			goto out;
		}
		if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) {
			ret = pn_error(err, PN_E_KERNEL, errno, "bind mount %s onto itself", dir);
			goto out;
		}
		bound = true;
	}
	ret = 0;
out:
	close(fd); /* drops the lock */
	return ret;
}

struct pin_job {
	const char *path;
	int errnum;
	const char *what;
};

/*
 * Runs in its own thread: unshare(CLONE_NEWNET) moves only this thread
 * into a new namespace, which the bind mount then keeps alive after the
 * thread is gone.  The mount namespace is the process's, so the pin is
 * visible to the caller.
 */
static void *pin_thread(void *p)
{
	struct pin_job *j = p;
	char src[64];

	if (unshare(CLONE_NEWNET) < 0) {
		j->errnum = errno;
		j->what = "unshare(CLONE_NEWNET)";
		return NULL;
	}
	snprintf(src, sizeof(src), "/proc/self/task/%d/ns/net", (int)gettid());
	if (mount(src, j->path, "none", MS_BIND, NULL) < 0) {
		j->errnum = errno;
		j->what = "bind mount the new namespace";
	}
	return NULL;
}

int netns_create_pinned(const char *dir, const char *name, char **path_out,
			struct pn_err *err)
{
	struct pin_job j = { 0 };
	char *path = NULL;
	bool created = false;
	pthread_t t;
	int fd, rc, ret;

	*path_out = NULL;
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		ret = pn_error(err, PN_E_INVALID, EINVAL, "invalid network namespace name \"%s\"",
			       name ? name : "");
		goto out;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = pn_error(err, PN_E_KERNEL, errno, "create %s", dir);
		goto out;
	}
	ret = make_shared_dir(dir, err);
	if (ret < 0)
		goto out;
	/* O_EXCL: a name is never shared by two pods. */
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = pn_error(err, errno == EEXIST ? PN_E_EXISTS : PN_E_KERNEL, errno,
			       "create network namespace file %s", path);
		goto out;
	}
	close(fd);
	created = true;
	j.path = path;
	rc = pthread_create(&t, NULL, pin_thread, &j);
	if (rc) {
		ret = pn_error(err, PN_E_KERNEL, rc, "start a thread to create a network namespace");
		goto out;
	}
	rc = pthread_join(t, NULL);
	if (rc) {
		ret = pn_error(err, PN_E_KERNEL, rc, "join network namespace thread");
		goto out;
	}
	if (j.errnum) {
		ret = pn_error(err, PN_E_KERNEL, j.errnum, "create network namespace %s: %s", path,
			       j.what);
		goto out;
	}
	*path_out = path;
	path = NULL;
	ret = 0;
out:
	if (path && created) {
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	free(path);
	return ret;
}

int netns_delete_pinned(const char *path, struct pn_err *err)
{
	/* MNT_DETACH as `ip netns delete`: a process still inside keeps the
	 * namespace, only the name goes.  EINVAL: not a mount (a half-made
	 * pin), ENOENT: gone already. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return pn_error(err, PN_E_KERNEL, errno, "unmount network namespace %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return pn_error(err, PN_E_KERNEL, errno, "remove network namespace file %s", path);
	return 0;
}

int netns_new_name(char out[NETNS_NAME_MAX])
{
	unsigned char u[16];
	size_t got = 0;

	while (got < sizeof(u)) {
		ssize_t n = getrandom(u + got, sizeof(u) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	/* RFC 4122 4.4: version 4 in the high nibble of byte 6, variant 10x
	 * in the top bits of byte 8. */
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, NETNS_NAME_MAX,
		 "cni-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
	return 0;
}

struct nsid_reply {
	int nsid;
};

static int nsid_cb(const struct nlmsghdr *h, void *arg)
{
	struct nsid_reply *r = arg;
	struct nlattr *tb[NETNSA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNSID)
		return 0;
	nl_parse_msg(tb, NETNSA_MAX, h, sizeof(struct rtgenmsg));
	if (tb[NETNSA_NSID])
		r->nsid = (int)nl_get_u32(tb[NETNSA_NSID]);
	return 0;
}

int netns_get_id(struct nl_sock *s, int netns_fd, int *nsid, struct pn_err *err)
{
	struct nsid_reply r = { .nsid = NETNSA_NSID_NOT_ASSIGNED };
	char buf[128];
	struct nl_req req;
	struct rtgenmsg *g;
	int ret;

	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	nl_req_init(&req, buf, sizeof(buf), RTM_GETNSID, 0, sizeof(*g), (void **)&g);
	g->rtgen_family = AF_UNSPEC;
	ret = nl_put_u32(&req, NETNSA_FD, (uint32_t)netns_fd);
	if (ret < 0)
		return pn_error(err, PN_E_KERNEL, -ret, "RTM_GETNSID: request too long");
	ret = nl_dump(s, &req, nsid_cb, &r, "read a network namespace id", err);
	if (ret < 0)
		return ret;
	*nsid = r.nsid;
	return 0;
}

int netns_peer_id(int netns_fd, bool assign, int *nsid, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	char buf[128];
	struct nl_req req;
	struct rtgenmsg *g;
	int ret;

	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	ret = nl_open(&s, NETLINK_ROUTE, err);
	if (ret < 0)
		goto out;
	ret = netns_get_id(&s, netns_fd, nsid, err);
	if (ret < 0 || *nsid >= 0 || !assign)
		goto out;
	nl_req_init(&req, buf, sizeof(buf), RTM_NEWNSID, 0, sizeof(*g), (void **)&g);
	g->rtgen_family = AF_UNSPEC;
	if (nl_put_u32(&req, NETNSA_FD, (uint32_t)netns_fd) < 0 ||
	    nl_put_u32(&req, NETNSA_NSID, (uint32_t)NETNSA_NSID_NOT_ASSIGNED) < 0) {
		ret = pn_error(err, PN_E_KERNEL, EMSGSIZE, "RTM_NEWNSID: request too long");
		goto out;
	}
	ret = nl_talk(&s, &req, "assign a network namespace id", err);
	/* Another process may have assigned one meanwhile: read it back
	 * either way, the kernel's answer is the truth. */
	if (ret < 0 && ret != -EEXIST)
		goto out;
	ret = netns_get_id(&s, netns_fd, nsid, err);
out:
	nl_close(&s);
	return ret;
}
