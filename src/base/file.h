/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_FILE_H
#define PODNET_FILE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * Replace @path by a file holding @data, atomically and durably: the bytes
 * go to a temp file in the same directory (".<name>.XXXXXX": a dot name,
 * which directory readers such as libcni's cache skip), created
 * close-on-exec with @mode, written in full, fsync'ed, renamed over @path,
 * and the directory fsync'ed.  rename(2) within a directory is atomic, so
 * a reader sees the old file or the new one; the fsyncs make a crash or a
 * power cut leave one of those two, never an empty or half-written file
 * (ext4 and xfs may otherwise commit the rename before the data).  On
 * failure @path is untouched and no temp file is left.  @code is the
 * pn_err code of a failure (PN_CNI_IO, ...); the message names the file
 * and errnum is the real cause (ENOSPC of a short write included).
 */
int pn_file_replace(const char *path, const void *data, size_t len, mode_t mode, int code,
		    struct pn_err *err) __attribute__((warn_unused_result));

/* pn_file_replace() of json_dumps(@j, @flags). */
int pn_json_file_replace(const char *path, const json_t *j, size_t flags, mode_t mode, int code,
			 struct pn_err *err) __attribute__((warn_unused_result));

/* write(2) all of @data, through EINTR and short writes: 0 or -errno (a
 * write that makes no progress is -ENOSPC, never a spin). */
int pn_write_all(int fd, const void *data, size_t len) __attribute__((warn_unused_result));

/*
 * rm -rf of @name under @dirfd without following symlinks; a directory on
 * another filesystem than its parent is a mount point and is refused
 * (-EXDEV) rather than emptied or crossed.  A missing @name is 0.
 */
int pn_remove_tree_at(int dirfd, const char *name) __attribute__((warn_unused_result));
/* pn_remove_tree_at() of an absolute or relative path (not "/"). */
int pn_remove_tree(const char *path) __attribute__((warn_unused_result));
/* Remove everything inside the directory @fd (not the directory itself). */
int pn_empty_dir_fd(int fd) __attribute__((warn_unused_result));

#endif
