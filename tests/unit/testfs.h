/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_TESTFS_H
#define PODNET_TESTFS_H

/* Small file-system helpers the unit tests share. */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

/* The whole file, NUL-terminated (free()), or NULL. */
static inline char *test_slurp(const char *path)
{
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && pn_read_all(fd, &buf, NULL) < 0)
		buf = NULL;
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Open fds of this process (the count before and after must match). */
static inline int test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

#endif
