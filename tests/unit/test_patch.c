/* SPDX-License-Identifier: Apache-2.0 */
/* Patches as kube-apiserver applies them: JSON merge patch (RFC 7386),
 * strategic merge patch with Pod's merge keys, JSON patch (RFC 6902). */
#include <stdlib.h>
#include <string.h>

#include "patch.h"
#include "tap.h"

static char *run(const char *type, const char *doc, const char *patch, char **msg)
{
	json_t *d = json_loads(doc, 0, NULL), *p = json_loads(patch, 0, NULL), *out = NULL;
	char *s = NULL;
	int r;

	*msg = NULL;
	if (!d || !p) {
		json_decref(d);
		json_decref(p);
		return strdup("(bad test JSON)");
	}
	if (!strcmp(type, "merge"))
		r = patch_merge(d, p, &out, msg);
	else if (!strcmp(type, "smp"))
		r = patch_strategic(API_PODS, d, p, &out, msg);
	else
		r = patch_json(d, p, &out, msg);
	if (r == 0) {
		s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		/* The input document is left as it was. */
		{
			json_t *again = json_loads(doc, 0, NULL);

			if (!json_equal(again, d))
				s = strdup("(input modified)");
			json_decref(again);
		}
	}
	json_decref(d);
	json_decref(p);
	json_decref(out);
	return s;
}

static void same(const char *type, const char *doc, const char *patch, const char *want,
		 const char *what)
{
	char *msg, *got = run(type, doc, patch, &msg);
	json_t *w = json_loads(want, 0, NULL);
	char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);

	is_str(got ? got : msg, ws, "%s", what);
	free(got);
	free(msg);
	free(ws);
	json_decref(w);
}

/* Key order matters for lists, not for maps: compare one list's names. */
static void order(const char *doc, const char *patch, const char *list_path, const char *want,
		  const char *what)
{
	json_t *d = json_loads(doc, 0, NULL), *p = json_loads(patch, 0, NULL), *out = NULL, *l, *e;
	char *msg = NULL, got[256] = "";
	size_t i;

	if (patch_strategic(API_PODS, d, p, &out, &msg) == 0) {
		l = json_object_get(json_object_get(out, "spec"), list_path);
		json_array_foreach(l, i, e) {
			strcat(got, i ? "," : "");
			strcat(got, json_string_value(json_object_get(e, "name")));
		}
	} else {
		snprintf(got, sizeof(got), "error: %s", msg);
	}
	is_str(got, want, "%s", what);
	free(msg);
	json_decref(d);
	json_decref(p);
	json_decref(out);
}

static void refused(const char *type, const char *doc, const char *patch, const char *want,
		    const char *what)
{
	char *msg, *got = run(type, doc, patch, &msg);

	ok(got == NULL, "%s: refused", what);
	is_str(msg, want, "%s: message", what);
	free(got);
	free(msg);
}

#define POD                                                                                        \
	"{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"},"              \
	"\"finalizers\":[\"a\",\"b\"]},"                                                           \
	"\"spec\":{\"restartPolicy\":\"Always\",\"containers\":["                                  \
	"{\"name\":\"c1\",\"image\":\"host\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"           \
	"{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]},"\
	"{\"name\":\"c2\",\"image\":\"host\",\"command\":[\"sleep\",\"infinity\"]}]}}"

int main(void)
{
	/* RFC 7386 */
	same("merge", "{\"a\":1,\"b\":{\"c\":2}}", "{\"b\":{\"c\":null,\"d\":3},\"e\":[1]}",
	     "{\"a\":1,\"b\":{\"d\":3},\"e\":[1]}", "merge: null removes, objects merge, lists replace");
	same("merge", "{\"a\":[1,2]}", "{\"a\":[3]}", "{\"a\":[3]}", "merge: a list is replaced whole");
	same("merge", "{\"a\":1}", "[1]", "[1]", "merge: a non-object patch replaces the document");
	same("merge", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}",
	     "{\"metadata\":{\"labels\":{\"y\":\"2\"}}}",
	     "{\"metadata\":{\"labels\":{\"x\":\"1\",\"y\":\"2\"}}}", "merge: kubectl label adds a key");

	/* Strategic merge patch */
	same("smp", POD, "{\"metadata\":{\"labels\":{\"tier\":null,\"v\":\"2\"}}}",
	     "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"v\":\"2\"},"
	     "\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"restartPolicy\":\"Always\",\"containers\":["
	     "{\"name\":\"c1\",\"image\":\"host\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
	     "{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]},"
	     "{\"name\":\"c2\",\"image\":\"host\",\"command\":[\"sleep\",\"infinity\"]}]}}",
	     "smp: labels merge, null deletes");
	same("smp", POD, "{\"spec\":{\"containers\":[{\"name\":\"c2\",\"image\":\"busybox\"}]}}",
	     "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"},"
	     "\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"restartPolicy\":\"Always\",\"containers\":["
	     "{\"name\":\"c1\",\"image\":\"host\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
	     "{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]},"
	     "{\"name\":\"c2\",\"image\":\"busybox\",\"command\":[\"sleep\",\"infinity\"]}]}}",
	     "smp: containers merge by name, other fields kept");
	order(POD, "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c1\"},{\"name\":\"c2\"}],"
		   "\"containers\":[{\"name\":\"c2\",\"image\":\"x\"}]}}",
	      "containers", "c1,c2", "smp: kubectl apply's $setElementOrder keeps c1,c2");
	order(POD, "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c2\"},{\"name\":\"c1\"}]}}",
	      "containers", "c2,c1", "smp: $setElementOrder alone reorders");
	order(POD, "{\"spec\":{\"containers\":[{\"name\":\"c0\",\"image\":\"host\"}]}}", "containers",
	      "c0,c1,c2", "smp: without $setElementOrder a new item comes first (as Go's)");
	order(POD, "{\"spec\":{\"containers\":[{\"name\":\"c1\",\"$patch\":\"delete\"}]}}",
	      "containers", "c2", "smp: $patch delete removes an element");
	order(POD, "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"n\",\"image\":\"h\"}]}}",
	      "containers", "n", "smp: $patch replace in a list replaces it");
	same("smp", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"B\",\"value\":\"2\"},"
	     "{\"name\":\"A\",\"value\":\"9\"}]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"B\",\"value\":\"2\"},"
	     "{\"name\":\"A\",\"value\":\"9\"}]}]}}",
	     "smp: env merges by name inside a container, in the patch's order");
	same("smp", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
		    "{\"containerPort\":443}]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":443,\"name\":\"tls\"}]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
	     "{\"containerPort\":443,\"name\":\"tls\"}]}]}}",
	     "smp: ports merge by containerPort");
	same("smp", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"command\":[\"a\",\"b\"]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"command\":[\"x\"]}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"command\":[\"x\"]}]}}",
	     "smp: a list without merge key (command) is replaced");
	same("smp", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	     "{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}",
	     "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}",
	     "smp: a primitive merge list is a union");
	same("smp", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}",
	     "{\"metadata\":{\"finalizers\":[\"b\"]}}", "smp: $deleteFromPrimitiveList");
	same("smp", "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
	     "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
	     "{\"metadata\":{\"labels\":{\"c\":\"3\"}}}", "smp: $patch replace on a map");
	same("smp", "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
	     "{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}", "{\"metadata\":{\"labels\":{}}}",
	     "smp: $patch delete on a map");
	same("smp", "{\"spec\":{}}", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"x\":null}]}}",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", "smp: nulls in new values are dropped");
	refused("smp", POD, "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}",
		"map: spec.containers does not contain declared merge key: name",
		"smp: an element without its merge key");
	refused("smp", POD, "{\"spec\":{\"containers\":[{\"name\":\"c1\",\"$patch\":\"bogus\"}]}}",
		"unknown patch type: bogus in map: spec.containers", "smp: an unknown $patch");

	/* RFC 6902 */
	same("json", "{\"a\":{\"b\":[1,2]}}",
	     "[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},{\"op\":\"add\",\"path\":\"/a/b/-\","
	     "\"value\":3},{\"op\":\"replace\",\"path\":\"/a/b/0\",\"value\":0},"
	     "{\"op\":\"test\",\"path\":\"/a/b/2\",\"value\":2}]",
	     "{\"a\":{\"b\":[0,9,2,3]}}", "json patch: add, append, replace, test");
	same("json", "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\",\"k\":\"v\"}}}",
	     "[{\"op\":\"remove\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\"},"
	     "{\"op\":\"move\",\"from\":\"/metadata/labels/k\",\"path\":\"/metadata/labels/m\"},"
	     "{\"op\":\"copy\",\"from\":\"/metadata/labels/m\",\"path\":\"/metadata/labels/n\"}]",
	     "{\"metadata\":{\"labels\":{\"m\":\"v\",\"n\":\"v\"}}}", "json patch: ~1, remove, move, copy");
	refused("json", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
		"testing value /a failed: test failed", "json patch: a failed test");
	refused("json", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]",
		"remove operation does not apply: doc is missing path: \"/b\"",
		"json patch: remove of a missing path");
	refused("json", "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]",
		"add operation does not apply: index out of bounds: \"/a/5\"",
		"json patch: an index past the end");
	return tap_done();
}
