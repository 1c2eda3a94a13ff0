/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PODRT_COMPAT_H
#define PODNET_PODRT_COMPAT_H

/*
 * TEMPORARY: the runtime's pod update and multi-pod delete are being
 * written on branch `api` (podrt.h there declares exactly these).  Until it
 * lands, these stand-ins let the CLI build: update knows only "unchanged"
 * and label/annotation changes; delete stops the pods one after another.
 * This file and podrt_compat.c go away when `api` is on main.
 */

#include <stdbool.h>
#include <stdint.h>

#include "podrt.h"

enum podrt_update_result { PODRT_UNCHANGED = 0, PODRT_CONFIGURED };
struct podrt_write;

int podrt_pod_update(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		     enum podrt_update_result *what, struct store_pod **out,
		     struct pn_err *err) PN_MUST_CHECK;

struct podrt_delete_opts {
	int64_t grace;
	bool force;
};
typedef void (*podrt_deleted_fn)(void *ctx, const struct store_pod *sp, int ret,
				 const struct pn_err *err);
int podrt_pods_delete(struct podrt *rt, const struct store_pod *pods, size_t n,
		      const struct podrt_delete_opts *o, podrt_deleted_fn done, void *ctx,
		      struct pn_err *err) PN_MUST_CHECK;

#endif
