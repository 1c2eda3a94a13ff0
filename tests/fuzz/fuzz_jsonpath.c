/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a `-o jsonpath=` template as a user types it, parsed
 * and run against a small pod list both the ways kubectl may run it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"

static const char doc_text[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},"
	"\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod1\",\"namespace\":\"default\","
	"\"labels\":{\"app\":\"web\",\"app.kubernetes.io/name\":\"pod1\"},"
	"\"annotations\":{\"kubernetes.io/role\":\"frontend\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"c1\",\"command\":[\"sleep\",\"infinity\"]},"
	"{\"name\":\"c3\",\"ports\":[{\"containerPort\":80}]}],\"priority\":0.5},"
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.88.0.2\","
	"\"podIPs\":[{\"ip\":\"10.88.0.2\"},{\"ip\":\"fd00::2\"}],"
	"\"containerStatuses\":[{\"name\":\"c1\",\"ready\":true,\"restartCount\":0},"
	"{\"name\":\"c3\",\"ready\":false,\"restartCount\":2}],\"deletionTimestamp\":null}},"
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod2\",\"namespace\":\"kube-system\"},"
	"\"spec\":{\"containers\":[]},\"status\":{\"phase\":\"Pending\",\"ratio\":1e-7,"
	"\"big\":1e21,\"neg\":-3}}]}";

static json_t *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonpath *jp = NULL;
	struct pn_err err = { 0 };
	char *tmpl, *out = NULL;

	if (!doc) {
		doc = json_loads(doc_text, 0, NULL);
		if (!doc)
			abort();
	}
	tmpl = malloc(size + 1);
	if (!tmpl)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0'; /* a command-line argument ends at the first NUL */
	if (jsonpath_parse(tmpl, &jp, &err) == 0) {
		for (int allow = 0; allow < 2; allow++) {
			if (jsonpath_execute(jp, doc, allow, &out, &err) == 0 && !out)
				abort();
			free(out);
			out = NULL;
		}
		jsonpath_free(jp);
	} else if (jp || !pn_err_msg(&err)[0]) {
		abort(); /* a failed parse hands nothing back and says why */
	}
	free(tmpl);
	pn_err_free(&err);
	return 0;
}
