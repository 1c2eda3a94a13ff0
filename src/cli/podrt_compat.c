/* SPDX-License-Identifier: Apache-2.0 */
/* TEMPORARY stand-ins, see podrt_compat.h. */
#include "podrt_compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static void drop_server_fields(json_t *j)
{
	json_t *m = json_object_get(j, "metadata");

	json_object_del(m, "uid");
	json_object_del(m, "creationTimestamp");
}

int podrt_pod_update(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		     enum podrt_update_result *what, struct store_pod **out, struct pn_err *err)
{
	struct store_pod *sp = NULL;
	json_t *old = NULL, *new = NULL, *os, *ns;
	int ret;

	(void)w;
	(void)out;
	ret = store_pod_get_by_name(rt->st, pod->meta.namespace_, pod->meta.name, &sp, err);
	if (ret < 0)
		return ret;
	old = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	new = pod_to_json(pod);
	if (!old || !new) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	drop_server_fields(old);
	drop_server_fields(new);
	if (json_equal(old, new)) {
		*what = PODRT_UNCHANGED;
		goto out;
	}
	os = json_object_get(old, "spec");
	ns = json_object_get(new, "spec");
	if (!json_equal(os, ns)) {
		ret = pn_error(err, PN_E_FORBIDDEN, EPERM,
			       "Pod \"%s\" is invalid: spec: Forbidden: pod updates may not change fields (not yet supported)",
			       pod->meta.name);
		goto out;
	}
	*what = PODRT_CONFIGURED;
	{
		json_t *full = json_loads(sp->spec_json, 0, NULL);
		json_t *m = json_object_get(full, "metadata");

		json_object_set(m, "labels", json_object_get(json_object_get(new, "metadata"), "labels"));
		json_object_set(m, "annotations",
				json_object_get(json_object_get(new, "metadata"), "annotations"));
		free(sp->spec_json);
		sp->spec_json = json_dumps(full, JSON_COMPACT);
		json_decref(full);
		ret = store_pod_update(rt->st, sp, STORE_POD_F_SPEC, err);
	}
out:
	json_decref(old);
	json_decref(new);
	store_pod_free(sp);
	return ret;
}

int podrt_pods_delete(struct podrt *rt, const struct store_pod *pods, size_t n,
		      const struct podrt_delete_opts *o, podrt_deleted_fn done, void *ctx,
		      struct pn_err *err)
{
	int first = 0;

	(void)o;
	(void)err;
	for (size_t i = 0; i < n; i++) {
		struct pn_err e = { 0 };
		int ret = podrt_pod_delete(rt, &pods[i], &e);

		if (ret < 0 && !first)
			first = ret;
		if (done)
			done(ctx, &pods[i], ret, &e);
		pn_err_free(&e);
	}
	return first;
}
