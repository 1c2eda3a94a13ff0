/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_IMAGE_H
#define PODNET_IMAGE_H

/*
 * Local images and per-container root filesystems.
 *
 * No registry is reachable, so an image is a directory tree imported from a
 * rootfs directory or tarball (plain, OCI image layout or `docker save`):
 *
 *   <root>/images/<dir>/rootfs/      the image's files, owners and modes kept
 *   <root>/images/<dir>/image.json   name, id, created, size, source, config
 *
 * <dir> is the canonical name with '/' spelled '+' (a character no image
 * name may hold), so "reg.local:5000/app:1.0" lives in
 * "reg.local:5000+app:1.0".  Entries starting with '.' are imports or
 * removals in progress and are never listed.
 *
 * The built-in image "host" is the node's own root filesystem; it always
 * exists and cannot be imported over or removed.
 *
 * A container's root filesystem is an overlay mount at
 * <container_dir>/rootfs whose lower layer is the image's rootfs ("/" for
 * host) and whose upper and work dirs live beside it, so a container's
 * writes never reach the image or the node.
 */

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

#define IMAGE_DEFAULT_ROOT "/var/lib/podnet"
#define IMAGE_HOST "host"
#define IMAGE_ID_LEN 64
#define IMAGE_NAME_MAX 255

struct image_info {
	char *name;          /* canonical: "nginx:latest", "host" */
	char id[IMAGE_ID_LEN + 1]; /* 64 hex, random at import */
	char *rootfs;        /* absolute path of the lower layer; "/" for host */
	char *source;        /* what was imported (absolute path), "built-in" */
	int builtin;         /* 1 for host */
	int64_t created_ns;  /* import time, ns since the epoch */
	int64_t size;        /* bytes in the rootfs (hard links once); host: used
				bytes of the root filesystem */
	/* Defaults from an OCI/docker image config; NULL when absent. */
	char **entrypoint;   /* NULL-terminated */
	char **cmd;          /* NULL-terminated */
	char **env;          /* NULL-terminated "K=V" */
	char *working_dir;
};

/*
 * Validate an image reference and return its canonical form: a name
 * without a tag gets ":latest" (as docker and crictl show it), except the
 * built-in "host" ("host:latest" is also "host").  Grammar, after the
 * docker reference grammar: [domain[:port]/]component(/component)*[:tag],
 * components lowercase [a-z0-9]+ joined by '.', '_', '__' or '-'+, a tag
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests ("@sha256:") are refused.
 */
int image_name_canonical(const char *name, char **out, struct pn_err *err) PN_MUST_CHECK;

#define IMAGE_IMPORT_FORCE 0x1u /* replace an image of the same name */

/*
 * Import @src (a directory, or a tar file compressed or not) as @name.
 * The tree is built in a temp dir under <root>/images and renamed into
 * place, so a failure or a crash never leaves a half-made image under its
 * name.  Tar entries with absolute paths or "..", and entries that would
 * be written through a symlink, make the import fail.  A taken name is
 * PN_E_ALREADY_EXISTS unless IMAGE_IMPORT_FORCE.  @out may be NULL.
 * @root NULL means IMAGE_DEFAULT_ROOT.
 */
int image_import(const char *root, const char *name, const char *src, unsigned flags,
		 struct image_info **out, struct pn_err *err) PN_MUST_CHECK;

/* Unknown image: -ENOENT, PN_E_NOT_FOUND, and a message naming
 * `podnet image import`. */
int image_get(const char *root, const char *name, struct image_info **out,
	      struct pn_err *err) PN_MUST_CHECK;

/* "host" first, then the imported images by name. */
int image_list(const char *root, struct image_info **out, size_t *n,
	       struct pn_err *err) PN_MUST_CHECK;

/* Refuses "host" and an image that a mounted container rootfs still uses. */
int image_remove(const char *root, const char *name, struct pn_err *err) PN_MUST_CHECK;

void image_info_free(struct image_info *info);
void image_info_array_free(struct image_info *infos, size_t n);

/*
 * Mount <container_dir>/rootfs as an overlay of @image (see top), and
 * return that path in @rootfs_path.  Idempotent: an existing mount there
 * is kept.  The mount is made in the caller's mount namespace and is not
 * made shared or private: the caller (podnet, podnetd) must run in the mount
 * namespace that the OCI runtime is started from, usually the node's, so
 * the runtime finds the mount at the path it is given; where "/" is
 * shared (systemd's default) the mount also propagates to its peers, which
 * is harmless.
 */
int image_rootfs_prepare(const char *root, const char *image, const char *container_dir,
			 char **rootfs_path, struct pn_err *err) PN_MUST_CHECK;

/* Keep upper and work dirs on a tmpfs mounted at <container_dir>/cow: the
 * fallback taken by itself on kernels that refuse upper dirs inside the
 * lower layer, or an upper filesystem that overlayfs cannot use. */
#define IMAGE_ROOTFS_UPPER_TMPFS 0x1u

int image_rootfs_prepare_opts(const char *root, const char *image, const char *container_dir,
			      unsigned flags, char **rootfs_path,
			      struct pn_err *err) PN_MUST_CHECK;

/* Released by rootfs_release() (rootfs.h: no image store needed). */

#endif
