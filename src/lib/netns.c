/* SPDX-License-Identifier: Apache-2.0 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

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

/* Collapse whitespace runs: multi-value sysctls read back tab-separated
 * ("32768\t60999") while callers write them space-separated. */
static void squash_blanks(const char *in, char *out, size_t size)
{
	size_t o = 0;
	bool blank = false;

	for (; *in && o + 1 < size; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n') {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < size)
			out[o++] = ' ';
		blank = false;
		out[o++] = *in;
	}
	out[o] = '\0';
}

int sysctl_ensure(const char *path, const char *value, struct pn_err *err)
{
	char file[256], cur[256], a[256], b[256];
	int ret;

	/* Relative to /proc/sys, nothing that could walk out of it. */
	if (!path || !*path || path[0] == '/' || strstr(path, "..") ||
	    (size_t)snprintf(file, sizeof(file), "/proc/sys/%s", path) >= sizeof(file))
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid sysctl path \"%s\"",
				path ? path : "");
	ret = pn_read_file(file, cur, sizeof(cur));
	if (ret < 0)
		return pn_error(err, PN_E_KERNEL, -ret, "read sysctl %s", file);
	squash_blanks(cur, a, sizeof(a));
	squash_blanks(value, b, sizeof(b));
	if (strcmp(a, b) == 0)
		return 0;
	ret = pn_write_file(file, value);
	if (ret < 0)
		return pn_error(err, PN_E_KERNEL, -ret, "set sysctl %s to \"%s\"", file, value);
	return 0;
}
