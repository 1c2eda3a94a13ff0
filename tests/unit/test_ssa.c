/* SPDX-License-Identifier: Apache-2.0 */
/* managedFields and server-side apply: field sets, Update ownership,
 * conflicts worded as kube-apiserver words them, force, and the removal of
 * what an applier stopped applying. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ssa.h"
#include "tap.h"

#define NOW "2026-01-01T00:00:00Z"

static json_t *J(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	if (!j)
		abort();
	return j;
}

/* ssa_apply with the configuration as text (borrowed, freed here). */
static int apply(json_t *live, const char *cfg, const char *manager, bool force, json_t **out,
		 json_t **conflicts, char **msg)
{
	json_t *c = J(cfg);
	int r = ssa_apply(API_PODS, live, c, manager, force, NOW, out, conflicts, msg);

	json_decref(c);
	return r;
}

static const char *dump(json_t *j)
{
	static char *last;

	free(last);
	last = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : strdup("(null)");
	return last;
}

static json_t *manager_set(json_t *obj, const char *manager, const char *op)
{
	json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields"), *e;
	size_t i;

	json_array_foreach(mf, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "manager")), manager) &&
		    !strcmp(json_string_value(json_object_get(e, "operation")), op))
			return json_object_get(e, "fieldsV1");
	return NULL;
}

#define POD                                                                                       \
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"," \
	"\"uid\":\"u\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c1\","   \
	"\"image\":\"host\",\"ports\":[{\"containerPort\":80}]}],\"restartPolicy\":\"Always\"},"      \
	"\"status\":{\"phase\":\"Running\"}}"

int main(void)
{
	json_t *pod = J(POD), *set, *out = NULL, *conflicts = NULL, *live;
	char *msg = NULL;
	int r;

	set = ssa_fieldset(API_PODS, pod);
	is_str(dump(set),
	       "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":"
	       "{\"k:{\\\"name\\\":\\\"c1\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:ports\":"
	       "{\"k:{\\\"containerPort\\\":80}\":{\".\":{},\"f:containerPort\":{}}}}},"
	       "\"f:restartPolicy\":{}}}",
	       "field set: keyed items, labels as a map, no identity or status fields");
	json_decref(set);

	/* A create by client-side apply owns everything it wrote. */
	live = json_deep_copy(pod);
	ok(ssa_update(API_PODS, NULL, live, "kubectl-client-side-apply", NOW) == 0, "update on create");
	ok(manager_set(live, "kubectl-client-side-apply", "Update") != NULL, "an Update entry recorded");

	/* A server-side apply by another manager changing the image conflicts. */
	r = apply(live, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
			"\"spec\":{\"containers\":[{\"name\":\"c1\",\"image\":\"busybox\"}]}}", "kubectl", false, &out, &conflicts, &msg);
	is_int(r, -EEXIST, "a conflict");
	is_str(msg,
	       "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: "
	       ".spec.containers[name=\"c1\"].image",
	       "kube-apiserver's conflict message");
	is_str(json_string_value(json_object_get(json_array_get(conflicts, 0), "reason")),
	       "FieldManagerConflict", "cause reason");
	json_decref(conflicts);
	free(msg);

	/* The same value does not conflict: co-ownership. */
	r = apply(live, "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}},"
			"\"spec\":{\"containers\":[{\"name\":\"c1\",\"image\":\"host\"}]}}", "kubectl", false, &out, &conflicts, &msg);
	is_int(r, 0, "same values: no conflict");
	is_str(dump(json_object_get(json_object_get(out, "metadata"), "labels")),
	       "{\"app\":\"web\",\"tier\":\"fe\"}", "the new label merged in");
	json_decref(live);
	live = out;

	/* kubectl stops applying tier: it goes (only kubectl owned it); app
	 * stays (the client-side apply owns it too). */
	r = apply(live, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c1\","
			"\"image\":\"host\"}]}}", "kubectl", false, &out, &conflicts, &msg);
	is_int(r, 0, "apply without the label");
	is_str(dump(json_object_get(json_object_get(out, "metadata"), "labels")), "{\"app\":\"web\"}",
	       "its own field removed, the shared one kept");
	json_decref(live);
	live = out;

	/* --force-conflicts: the image changes and its ownership moves. */
	r = apply(live, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c1\","
			"\"image\":\"busybox\"}]}}", "kubectl", true, &out, &conflicts, &msg);
	is_int(r, 0, "forced apply");
	is_str(json_string_value(json_object_get(
		       json_array_get(json_object_get(json_object_get(out, "spec"), "containers"), 0),
		       "image")),
	       "busybox", "image changed");
	set = manager_set(out, "kubectl-client-side-apply", "Update");
	ok(set && !strstr(dump(set), "f:image"), "the other manager lost the image");
	ok(strstr(dump(manager_set(out, "kubectl", "Apply")), "f:image") != NULL, "the applier owns it");
	is_int(json_integer_value(json_object_get(json_array_get(json_object_get(json_array_get(
		       json_object_get(json_object_get(out, "spec"), "containers"), 0), "ports"), 0),
		       "containerPort")),
	       80, "fields nobody re-applied but another owns stay (ports)");
	json_decref(live);
	live = out;

	/* An update (kubectl label) takes what it changed from the others. */
	out = json_deep_copy(live);
	json_object_set_new(json_object_get(json_object_get(out, "metadata"), "labels"), "app",
			    json_string("db"));
	ok(ssa_update(API_PODS, live, out, "kubectl-label", NOW) == 0, "label update");
	ok(strstr(dump(manager_set(out, "kubectl-label", "Update")), "f:app") != NULL,
	   "kubectl-label owns app");
	ok(!strstr(dump(manager_set(out, "kubectl-client-side-apply", "Update")), "f:app"),
	   "and the creator no longer does");
	json_decref(out);
	json_decref(live);
	json_decref(pod);

	{
		char m[64];

		ssa_default_manager("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", m, sizeof(m));
		is_str(m, "kubectl", "manager from the User-Agent");
	}
	return tap_done();
}
