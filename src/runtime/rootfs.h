/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ROOTFS_H
#define PODNET_ROOTFS_H

/*
 * Releasing containers' root file systems, apart from image.c so that a
 * program that only takes them down (podnet-shim) links neither the image
 * store nor libarchive.  image_rootfs_prepare() (image.h) makes them.
 *
 * A container's root file system lives in a directory D that holds the
 * overlay's mount point "rootfs" and its "upper", "work" (and fallback
 * "cow") beside it.  D is the container's directory
 * <pod_dir>/containers/<id> at pod start; an image change prepares the new
 * image's in a generation directory <pod_dir>/containers/<id>/image.XXXXXX
 * (rootfs_gen_dir()) while the container still runs on the old one, and
 * whoever swaps them (the shim) releases the old D.
 */

#include "err.h"
#include "util.h"

#define ROOTFS_GEN_PREFIX "image."

/*
 * Detach the overlay (and the tmpfs, if any) at <dir>/rootfs and remove
 * upper, work and the mount point; 0 if they are already gone.  Stop the
 * container first: an OCI runtime's mount namespace keeps its own copy of
 * the mount.  @dir itself stays.
 */
int rootfs_release(const char *dir, struct pn_err *err) PN_MUST_CHECK;

/* A new, empty generation directory <container_dir>/image.XXXXXX (mode
 * 0700, unique by mkdtemp(3)); its path in *@out (heap). */
int rootfs_gen_dir(const char *container_dir, char **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * Release the root file system mounted at @rootfs, when it is one of
 * @container_dir's: <container_dir>/rootfs, or <gen>/rootfs of one of its
 * generation directories, which then goes too.  Any other path is not
 * podnet's to remove (a plan may name a directory of its own): 0, nothing
 * done.
 */
int rootfs_release_path(const char *container_dir, const char *rootfs,
			struct pn_err *err) PN_MUST_CHECK;

/* Everything of @container_dir: its own root file system and every
 * generation directory's.  The first error is returned, the rest are still
 * tried. */
int rootfs_release_container(const char *container_dir, struct pn_err *err) PN_MUST_CHECK;

#endif
