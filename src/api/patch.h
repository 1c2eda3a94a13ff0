/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PATCH_H
#define PODNET_PATCH_H

/*
 * The patch types kube-apiserver accepts on PATCH, as pure functions on
 * JSON documents (the live object is never modified; each returns a new
 * document):
 *   application/merge-patch+json            RFC 7386 (kubectl label, annotate)
 *   application/strategic-merge-patch+json  Kubernetes' strategic merge patch
 *                                           (kubectl apply, patch, edit)
 *   application/json-patch+json             RFC 6902 (kubectl patch --type=json)
 * Server-side apply is in ssa.h.
 *
 * Failures: -EINVAL with *msg (heap) saying why, in the words
 * kube-apiserver uses where it has them; -ENOMEM.
 */

#include <jansson.h>

#include "apires.h"

/* Where a list merges by key: the merge key and strategy of a field path
 * like "spec.containers.ports" (list elements add no segment). */
struct patch_meta {
	const char *merge_key;   /* NULL: the list is atomic (replaced whole) */
	bool retain_keys;        /* "merge,retainKeys" */
	bool merge_primitives;   /* a list of scalars merged as a set */
};
/* The patch metadata of @path in an object of @kind. */
struct patch_meta patch_meta_for(enum api_kind kind, const char *path);

int patch_merge(json_t *doc, json_t *patch, json_t **out, char **msg);
int patch_strategic(enum api_kind kind, json_t *doc, json_t *patch, json_t **out, char **msg);
int patch_json(json_t *doc, json_t *ops, json_t **out, char **msg);

#endif
