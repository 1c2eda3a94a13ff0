/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: manifests (manifest_parse on arbitrary bytes).  Beyond
 * "no crash, no leak", every object we accept must survive the paths its
 * data takes later: pod → JSON → pod (the state store) unchanged, and
 * pod → YAML (`get -o yaml`) → manifest_parse (`apply -f -`) unchanged;
 * NetworkPolicies and Services → JSON → back (the state store) unchanged,
 * and their YAML readable again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static void check_pod(const struct pn_pod *p)
{
	struct pn_object *o = NULL;
	struct pn_pod *back = NULL;
	struct pn_err err = { 0 };
	json_t *j = pod_to_json(p), *j2 = NULL;
	char *y = NULL;
	size_t n = 0;

	if (!j)
		abort();
	if (pod_from_json(j, &back, &err) < 0) {
		fprintf(stderr, "own JSON rejected: %s\n", pn_err_msg(&err));
		abort();
	}
	j2 = pod_to_json(back);
	if (!json_equal(j, j2)) {
		fprintf(stderr, "pod -> json -> pod changed the pod\n");
		abort();
	}
	json_decref(j2);
	j2 = NULL;

	y = json_to_yaml(j);
	if (!y)
		abort();
	if (manifest_parse(y, strlen(y), "fuzz", &o, &n, &err) < 0 || n != 1 || o[0].kind != PN_KIND_POD) {
		fprintf(stderr, "own YAML rejected: %s\n---\n%s", pn_err_msg(&err), y);
		abort();
	}
	j2 = pod_to_json(o[0].pod);
	if (!json_equal(j, j2)) {
		fprintf(stderr, "pod -> yaml -> pod changed the pod:\n%s", y);
		abort();
	}
	json_decref(j2);
	manifest_objects_free(o, n);
	free(y);
	pn_pod_free(back);
	json_decref(j);
	pn_err_free(&err);
}

static void check_namespace(const struct pn_namespace *ns)
{
	struct pn_namespace *back = NULL;
	struct pn_err err = { 0 };
	json_t *j = namespace_to_json(ns), *j2;
	char *y;

	if (!j)
		abort();
	if (namespace_from_json(j, &back, &err) < 0) {
		fprintf(stderr, "own Namespace JSON rejected: %s\n", pn_err_msg(&err));
		abort();
	}
	j2 = namespace_to_json(back);
	if (!json_equal(j, j2))
		abort();
	y = json_to_yaml(j);
	if (!y)
		abort();
	free(y);
	json_decref(j2);
	json_decref(j);
	pn_namespace_free(back);
	pn_err_free(&err);
}

/* NetworkPolicy and Service: the state store's round trip must be exact,
 * and what `get -o yaml` prints must parse again as one object of the
 * same kind. */
static void check_other(const struct pn_object *o)
{
	struct pn_object *again = NULL;
	struct pn_netpol *np = NULL;
	struct pn_service *svc = NULL;
	struct pn_err err = { 0 };
	json_t *j, *j2;
	size_t n = 0;
	char *y;
	int r;

	j = o->kind == PN_KIND_NETPOL ? netpol_to_json(o->np) : service_to_json(o->svc);
	if (!j)
		abort();
	r = o->kind == PN_KIND_NETPOL ? netpol_from_json(j, &np, &err) : service_from_json(j, &svc, &err);
	if (r < 0) {
		fprintf(stderr, "own JSON rejected: %s\n", pn_err_msg(&err));
		abort();
	}
	j2 = np ? netpol_to_json(np) : service_to_json(svc);
	if (!json_equal(j, j2)) {
		fprintf(stderr, "object -> json -> object changed it\n");
		abort();
	}
	y = json_to_yaml(j);
	if (!y)
		abort();
	if (manifest_parse(y, strlen(y), "fuzz", &again, &n, &err) < 0 || n != 1 ||
	    again[0].kind != o->kind) {
		fprintf(stderr, "own YAML rejected: %s\n---\n%s", pn_err_msg(&err), y);
		abort();
	}
	manifest_objects_free(again, n);
	free(y);
	json_decref(j2);
	json_decref(j);
	pn_netpol_free(np);
	pn_service_free(svc);
	pn_err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	size_t n = 0, i;

	if (manifest_parse((const char *)data, size, "fuzz.yaml", &o, &n, &err) < 0) {
		if (o || n || !pn_err_msg(&err)[0])
			abort();
		pn_err_free(&err);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (o[i].kind == PN_KIND_POD)
			check_pod(o[i].pod);
		else if (o[i].kind == PN_KIND_NAMESPACE)
			check_namespace(o[i].ns);
		else
			check_other(&o[i]);
	}
	manifest_objects_free(o, n);
	pn_err_free(&err);
	return 0;
}
