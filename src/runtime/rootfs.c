/* SPDX-License-Identifier: Apache-2.0 */
#include "rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "util.h"

static int nomem(struct pn_err *err)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

/* Detach every mount stacked on @path; 0 when none is left. */
static int unmount_all(const char *path)
{
	for (int i = 0; i < 64; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			continue;
		/* EINVAL: not a mount point (any more). */
		return errno == EINVAL || errno == ENOENT ? 0 : -errno;
	}
	return -EBUSY;
}

int rootfs_release(const char *dir, struct pn_err *err)
{
	/*
	 * In this order: unmount the overlay and its tmpfs, remove the trees
	 * the overlay wrote to, then the mount point, with rmdir only: should
	 * the unmount not have happened, the node's files would be under it.
	 */
	static const struct {
		const char *name;
		enum { UNMOUNT, REMOVE_TREE, RMDIR } how;
	} steps[] = {
		{ "rootfs", UNMOUNT }, { "cow", UNMOUNT }, { "upper", REMOVE_TREE },
		{ "work", REMOVE_TREE }, { "cow", REMOVE_TREE }, { "rootfs", RMDIR },
	};
	char *p = NULL;
	int ret = 0;

	for (size_t i = 0; i < PN_ARRAY_SIZE(steps) && ret == 0; i++) {
		free(p);
		p = pn_strdup_printf("%s/%s", dir, steps[i].name);
		if (!p) {
			ret = nomem(err);
			break;
		}
		switch (steps[i].how) {
		case UNMOUNT:
			ret = unmount_all(p);
			if (ret < 0)
				ret = pn_error(err, PN_E_KERNEL, -ret, "cannot unmount %s", p);
			break;
		case REMOVE_TREE:
			ret = pn_remove_tree(p);
			if (ret < 0)
				ret = pn_error(err, PN_E_IMAGE, -ret, "cannot remove %s", p);
			break;
		case RMDIR:
			if (rmdir(p) < 0 && errno != ENOENT)
				ret = pn_error(err, PN_E_IMAGE, errno, "cannot remove %s", p);
			break;
		}
	}
	free(p);
	return ret;
}

int rootfs_gen_dir(const char *container_dir, char **out, struct pn_err *err)
{
	char *p = pn_strdup_printf("%s/" ROOTFS_GEN_PREFIX "XXXXXX", container_dir);

	*out = NULL;
	if (!p)
		return nomem(err);
	if (!mkdtemp(p)) {
		int e = errno;

		free(p);
		return pn_error(err, PN_E_IMAGE, e, "cannot create a directory in %s", container_dir);
	}
	*out = p;
	return 0;
}

static bool is_gen_name(const char *name)
{
	return !strncmp(name, ROOTFS_GEN_PREFIX, strlen(ROOTFS_GEN_PREFIX)) &&
	       name[strlen(ROOTFS_GEN_PREFIX)] && !strchr(name, '/');
}

/* A generation directory goes after its root file system: rmdir only, so
 * anything unexpected left in it stays and is reported. */
static int release_gen(const char *gen, struct pn_err *err)
{
	int ret = rootfs_release(gen, err);

	if (ret == 0 && rmdir(gen) < 0 && errno != ENOENT)
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot remove %s", gen);
	return ret;
}

int rootfs_release_path(const char *container_dir, const char *rootfs, struct pn_err *err)
{
	char *dir = NULL, *cdir = NULL, *rdir = NULL, *slash;
	int ret = 0;

	/* Compared resolved: the plan's paths come from realpath(3) (see
	 * image_rootfs_prepare()), @container_dir may not. */
	dir = strdup(rootfs);
	if (!dir)
		return nomem(err);
	slash = strrchr(dir, '/');
	if (!slash || strcmp(slash, "/rootfs") != 0)
		goto out;
	*slash = '\0';
	cdir = realpath(container_dir, NULL);
	rdir = realpath(dir, NULL);
	if (!cdir || !rdir)
		goto out; /* gone already */
	if (!strcmp(rdir, cdir)) {
		ret = rootfs_release(rdir, err);
		goto out;
	}
	slash = strrchr(rdir, '/');
	if (slash && (size_t)(slash - rdir) == strlen(cdir) && !strncmp(rdir, cdir, strlen(cdir)) &&
	    is_gen_name(slash + 1))
		ret = release_gen(rdir, err);
out:
	free(dir);
	free(cdir);
	free(rdir);
	return ret;
}

int rootfs_release_container(const char *container_dir, struct pn_err *err)
{
	struct pn_err scratch = { 0 };
	struct dirent *e;
	DIR *d;
	int ret;

	ret = rootfs_release(container_dir, err);
	d = opendir(container_dir);
	while (d && (e = readdir(d))) {
		char *gen;
		int r;

		if (!is_gen_name(e->d_name))
			continue;
		gen = pn_strdup_printf("%s/%s", container_dir, e->d_name);
		r = gen ? release_gen(gen, ret < 0 ? &scratch : err) : nomem(ret < 0 ? &scratch : err);
		if (ret == 0)
			ret = r;
		pn_err_free(&scratch);
		free(gen);
	}
	if (d)
		closedir(d);
	return ret;
}
