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

static void decode_pod(json_t *j)
{
	struct manifest_api strict = { MANIFEST_FV_STRICT, NULL };
	struct manifest_api warn = { MANIFEST_FV_WARN, json_array() };
	struct pn_object o;
	struct pn_err err = { 0 };

	if (manifest_decode_api(j, PN_KIND_POD, &strict, &o, &err) == 0) {
		if (!o.pod || !o.pod->meta.name)
			abort();
		pn_pod_free(o.pod);
	} else if (!pn_err_msg(&err)[0]) {
		abort();
	}
	pn_err_free(&err);
	if (manifest_decode_api(j, PN_KIND_POD, &warn, &o, &err) == 0)
		pn_pod_free(o.pod);
	pn_err_free(&err);
	json_decref(warn.warnings);
}

static void patches(const char *doc_s, const char *patch_s)
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
		if (patch_strategic(API_PODS, doc, patch, &out, &msg) == 0 && !out)
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

static void apply(json_t *config)
{
	json_t *live = json_loads(live_pod, 0, NULL), *out = NULL, *conflicts = NULL;
	char *msg = NULL;

	for (int force = 0; force < 2; force++) {
		int r = ssa_apply(API_PODS, live, config, "fuzz", force, "2024-01-01T00:00:00Z", &out,
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

	if (size < 1)
		return 0;
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
			decode_pod(j);
		json_decref(j);
		break;
	case 2: {
		size_t n = strlen(s);

		patches(s, n + 1 < size - 1 ? s + n + 1 : "{}");
		break;
	}
	case 3:
		j = json_loadb(s, size - 1, 0, NULL);
		if (j)
			apply(j);
		json_decref(j);
		break;
	case 4: {
		struct fieldsel *f = NULL;
		char *msg = NULL;

		if (fieldsel_parse(s, API_PODS, &f, &msg) == 0)
			fieldsel_free(f);
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
