/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what a client sends podnetd in a request body or
 * query.  The first byte picks the reader, the rest is its input:
 *   0  a protobuf body (pbuf_namespace_to_json)
 *   1  a Pod as JSON, decoded as kube-apiserver does (manifest_decode_api,
 *      strict and warn)
 *   2  "DOC\0PATCH": merge, strategic merge and JSON patch of DOC
 *   3  a server-side apply configuration against a live pod
 *   4  a field selector (fieldSelector=) for pods and events
 * and (first byte / 5) % 3 the resource for 1-4: pods, services or
 * networkpolicies (each has its own patch merge keys and fields).
 * Each must fail with a message or succeed with a well-formed result;
 * none may crash, leak or read out of bounds.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fieldsel.h"
#include "manifest.h"
#include "patch.h"
#include "pbuf.h"
#include "ssa.h"

static const char live_pod[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
	"\"default\",\"labels\":{\"app\":\"web\"},\"managedFields\":[{\"manager\":\"kubectl\","
	"\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":"
	"{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":"
	"{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}}]},"
	"\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"host\",\"ports\":[{\"containerPort\":80,"
	"\"protocol\":\"TCP\"}]}]}}";

static const char live_svc[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\","
	"\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":"
	"[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}],"
	"\"clusterIP\":\"10.96.0.10\",\"type\":\"ClusterIP\"}}";

static const char live_np[] =
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":"
	"{\"name\":\"n\",\"namespace\":\"default\"},\"spec\":{\"podSelector\":{\"matchLabels\":"
	"{\"app\":\"web\"}},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"}}],"
	"\"ports\":[{\"port\":80}]}],\"policyTypes\":[\"Ingress\"]}}";

static const struct {
	enum api_kind api;
	enum pn_kind kind;
	const char *live;
} res[3] = {
	{ API_PODS, PN_KIND_POD, live_pod },
	{ API_SERVICES, PN_KIND_SERVICE, live_svc },
	{ API_NETPOLS, PN_KIND_NETPOL, live_np },
};

/* The object manifest_decode_api filled, whichever kind. */
static void free_object(struct pn_object *o)
{
	pn_pod_free(o->pod);
	pn_namespace_free(o->ns);
	pn_netpol_free(o->np);
	pn_service_free(o->svc);
}

static void decode(json_t *j, enum pn_kind kind)
{
	struct manifest_api strict = { MANIFEST_FV_STRICT, NULL };
	struct manifest_api warn = { MANIFEST_FV_WARN, json_array() };
	struct pn_object o = { 0 };
	struct pn_err err = { 0 };

	if (manifest_decode_api(j, kind, &strict, &o, &err) == 0) {
		if (kind == PN_KIND_POD && (!o.pod || !o.pod->meta.name))
			abort();
		if ((kind == PN_KIND_SERVICE && !o.svc) || (kind == PN_KIND_NETPOL && !o.np))
			abort();
		free_object(&o);
	} else if (!pn_err_msg(&err)[0]) {
		abort();
	}
	pn_err_free(&err);
	memset(&o, 0, sizeof(o));
	if (manifest_decode_api(j, kind, &warn, &o, &err) == 0)
		free_object(&o);
	pn_err_free(&err);
	json_decref(warn.warnings);
}

static void patches(enum api_kind kind, const char *doc_s, const char *patch_s)
{
	json_t *doc = json_loads(doc_s, JSON_DECODE_ANY, NULL);
	json_t *patch = json_loads(patch_s, JSON_DECODE_ANY, NULL);
	json_t *out = NULL;
	char *msg = NULL;

	if (doc && patch) {
		if (patch_merge(doc, patch, &out, &msg) == 0 && !out)
			abort();
		json_decref(out);
		free(msg);
		out = NULL;
		msg = NULL;
		if (patch_strategic(kind, doc, patch, &out, &msg) == 0 && !out)
			abort();
		json_decref(out);
		free(msg);
		out = NULL;
		msg = NULL;
		if (patch_json(doc, patch, &out, &msg) == 0 && !out)
			abort();
		json_decref(out);
		free(msg);
	}
	json_decref(doc);
	json_decref(patch);
}

static void apply(enum api_kind kind, const char *live_s, json_t *config)
{
	json_t *live = json_loads(live_s, 0, NULL), *out = NULL, *conflicts = NULL;
	char *msg = NULL;

	for (int force = 0; force < 2; force++) {
		int r = ssa_apply(kind, live, config, "fuzz", force, "2024-01-01T00:00:00Z", &out,
				  &conflicts, &msg);

		if (r == 0 && !out)
			abort();
		json_decref(out);
		json_decref(conflicts);
		free(msg);
		out = conflicts = NULL;
		msg = NULL;
	}
	json_decref(live);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	json_t *j;
	unsigned r;

	if (size < 1)
		return 0;
	r = data[0] / 5 % 3;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0: {
		json_t *out = NULL;
		char *msg = NULL;

		if (pbuf_namespace_to_json((const char *)data + 1, size - 1, &out, &msg) == 0 &&
		    !json_is_object(out))
			abort();
		json_decref(out);
		free(msg);
		break;
	}
	case 1:
		j = json_loadb(s, size - 1, 0, NULL);
		if (j)
			decode(j, res[r].kind);
		json_decref(j);
		break;
	case 2: {
		size_t n = strlen(s);

		patches(res[r].api, s, n + 1 < size - 1 ? s + n + 1 : "{}");
		break;
	}
	case 3:
		j = json_loadb(s, size - 1, 0, NULL);
		if (j)
			apply(res[r].api, res[r].live, j);
		json_decref(j);
		break;
	case 4: {
		struct fieldsel *f = NULL;
		char *msg = NULL;

		json_t *live = json_loads(res[r].live, 0, NULL);

		if (fieldsel_parse(s, res[r].api, &f, &msg) == 0) {
			if (live)
				(void)fieldsel_matches(f, res[r].api, live);
			fieldsel_free(f);
		}
		json_decref(live);
		free(msg);
		msg = NULL;
		f = NULL;
		if (fieldsel_parse(s, API_EVENTS, &f, &msg) == 0)
			fieldsel_free(f);
		free(msg);
		break;
	}
	}
	free(s);
	return 0;
}
