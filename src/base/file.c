/* SPDX-License-Identifier: Apache-2.0 */
#include "file.h"

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
