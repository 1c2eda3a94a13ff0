/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SSA_H
#define PODNET_SSA_H

/*
 * Field ownership (metadata.managedFields) and server-side apply, as
 * kube-apiserver keeps them: every write records which fields its field
 * manager set (FieldsV1: "f:NAME", "k:{KEY}" for items of keyed lists,
 * "v:VALUE" for items of sets, "." for a map or item itself); an apply
 * (application/apply-patch+yaml) merges the applied configuration into the
 * object, removes what the same manager applied before and no longer
 * does (unless another manager owns it too), and refuses to change a
 * field another manager set to a different value unless forced:
 *   409 Conflict "Apply failed with 1 conflict: conflict with
 *   "kubectl-client-side-apply" using v1: .spec.containers[name="c1"].image"
 * Lists merge by the keys patch.h declares (containers by name, ...);
 * lists without one are atomic.
 */

#include <jansson.h>
#include <stdbool.h>

#include "apires.h"

/* The FieldsV1 set of every field present in @obj (not apiVersion, kind,
 * metadata.name/namespace/uid/resourceVersion/managedFields/..., status). */
json_t *ssa_fieldset(enum api_kind kind, json_t *obj);

/*
 * Apply @config as @manager to @live (NULL: the object does not exist
 * yet).  On success *out is the merged object with its managedFields
 * updated (the caller validates and stores it).  -EEXIST with *conflicts
 * (a JSON array of {reason, message, field}) and *msg when another manager
 * owns a field with a different value and !force; -EINVAL with *msg for
 * a configuration that cannot be applied.
 */
int ssa_apply(enum api_kind kind, json_t *live, json_t *config, const char *manager, bool force,
	      const char *now, json_t **out, json_t **conflicts, char **msg);

/*
 * Record a write that is not an apply (create, update, patch) by @manager:
 * the fields of @new_obj that differ from @old (all of them when @old is
 * NULL) become @manager's (operation Update) and no one else's.  Updates
 * @new_obj's metadata.managedFields in place.  Returns 0 or -ENOMEM.
 */
int ssa_update(enum api_kind kind, json_t *old, json_t *new_obj, const char *manager,
	       const char *now);

/* The manager kube-apiserver records when the request names none: the
 * User-Agent's program name ("kubectl", "kubectl-label" from
 * "kubectl-label/v1.32.4 (...)"). */
void ssa_default_manager(const char *user_agent, char *buf, size_t n);

#endif
