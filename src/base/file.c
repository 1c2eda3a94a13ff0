/* SPDX-License-Identifier: Apache-2.0 */
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pn_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* write(2) returns 0 only for a zero count, but a loop that
		 * could spin must not trust that. */
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory @path lives in, so the rename itself is durable. */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		ret = -errno;
	/* EINVAL: a file system that cannot sync a directory (some FUSE
	 * ones) has nothing to sync for it. */
	else if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

int pn_file_replace(const char *path, const void *data, size_t len, mode_t mode, int code,
		    struct pn_err *err)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL;
	int fd = -1, ret;

	/* Same directory as @path: rename(2) does not cross file systems. */
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) < 0) {
		tmp = NULL;
		ret = pn_error(err, code, ENOMEM, "cannot write %s: out of memory", path);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = pn_error(err, code, errno, "cannot write %s: cannot create a temp file", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* mkostemp makes 0600; fchmod is not subject to the umask. */
	if (fchmod(fd, mode) < 0) {
		ret = pn_error(err, code, errno, "cannot write %s: chmod", path);
		goto out;
	}
	ret = pn_write_all(fd, data, len);
	if (ret < 0) {
		ret = pn_error(err, code, -ret, "cannot write %s", path);
		goto out;
	}
	if (fsync(fd) < 0) {
		ret = pn_error(err, code, errno, "cannot write %s: fsync", path);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		ret = pn_error(err, code, errno, "cannot write %s: rename", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	ret = sync_parent(path);
	if (ret < 0)
		ret = pn_error(err, code, -ret, "cannot write %s: fsync of its directory", path);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return ret;
}

int pn_json_file_replace(const char *path, const json_t *j, size_t flags, mode_t mode, int code,
			 struct pn_err *err)
{
	char *text;
	int ret;

	/* jansson's own json_dump_file()/json_dumpfd() treat a short write
	 * as a failure without an errno: encode in memory, write here. */
	text = j ? json_dumps(j, flags) : NULL;
	if (!text)
		return pn_error(err, code, j ? ENOMEM : EINVAL, "cannot encode %s as JSON", path);
	ret = pn_file_replace(path, text, strlen(text), mode, code, err);
	free(text);
	return ret;
}

/* ---- trees */

int pn_empty_dir_fd(int fd)
{
	struct dirent *d;
	DIR *dir = NULL;
	int dfd = -1, ret = 0;

	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while ((errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		ret = pn_remove_tree_at(fd, d->d_name);
		if (ret < 0)
			break;
	}
	if (!d && errno && ret == 0)
		ret = -errno;
	closedir(dir);
	return ret;
}

int pn_remove_tree_at(int dirfd, const char *name)
{
	struct stat st, pst;
	int fd = -1, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (fstat(dirfd, &pst) < 0)
		return -errno;
	if (pst.st_dev != st.st_dev)
		return -EXDEV;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = pn_empty_dir_fd(fd);
	close(fd);
	if (ret == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = -errno;
	return ret;
}

int pn_remove_tree(const char *path)
{
	char *copy = strdup(path), *slash;
	int dfd = -1, ret;

	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (!slash || !slash[1]) {
		free(copy);
		return -EINVAL;
	}
	*slash = '\0';
	dfd = open(slash == copy ? "/" : copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = dfd < 0 ? (errno == ENOENT ? 0 : -errno) : pn_remove_tree_at(dfd, slash + 1);
	if (dfd >= 0)
		close(dfd);
	free(copy);
	return ret;
}
