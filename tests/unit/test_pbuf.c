/* SPDX-License-Identifier: Apache-2.0 */
/* The protobuf body kubectl create namespace sends, and broken ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pbuf.h"
#include "tap.h"

/* "k8s\0" + Unknown{typeMeta{v1, Namespace}, raw{metadata{name team, labels {a: bc}}}} */
static const char ns_body[] = "k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x11\x0a\x0f"
			      "\x0a\x04team\x5a\x07\x0a\x01" "a\x12\x02" "bc";

int main(void)
{
	json_t *o = NULL;
	char *msg = NULL;

	ok(pbuf_namespace_to_json(ns_body, sizeof(ns_body) - 1, &o, &msg) == 0 && o,
	   "a Namespace in protobuf decodes");
	is_str(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "team",
	       "metadata.name");
	is_str(json_string_value(json_object_get(
		       json_object_get(json_object_get(o, "metadata"), "labels"), "a")),
	       "bc", "a label");
	is_str(json_string_value(json_object_get(o, "kind")), "Namespace", "kind");
	json_decref(o);

	for (size_t cut = 5; cut < sizeof(ns_body) - 1; cut += 3) {
		o = NULL;
		free(msg);
		msg = NULL;
		if (pbuf_namespace_to_json(ns_body, cut, &o, &msg) == 0)
			json_decref(o);
	}
	ok(1, "truncated bodies: no crash");
	free(msg);
	msg = NULL;
	ok(pbuf_namespace_to_json("{\"kind\":1}", 10, &o, &msg) == -EINVAL && msg &&
	   strstr(msg, "expected prefix [107 56 115 0]"), "JSON is not protobuf: %s", msg);
	free(msg);
	msg = NULL;
	{
		static const char pod[] = "k8s\0\x0a\x09\x0a\x02v1\x12\x03Pod\x12\x00";

		ok(pbuf_namespace_to_json(pod, sizeof(pod) - 1, &o, &msg) == -EPROTONOSUPPORT,
		   "a Pod in protobuf: not read (%s)", msg ? msg : "");
		free(msg);
	}
	{
		/* fuzz_apibody (2026-12-03): a label key that is not UTF-8 leaked
		 * its value; ns_body with key "a" replaced by 0x8e. */
		static const char badkey[] = "k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x11\x0a"
					     "\x0f\x0a\x04team\x5a\x07\x0a\x01\x8e\x12\x02" "bc";
		/* and a name that is not UTF-8 was dropped silently */
		static const char badname[] = "k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x08\x0a"
					      "\x06\x0a\x04te\xffm";

		msg = NULL;
		o = NULL;
		ok(pbuf_namespace_to_json(badkey, sizeof(badkey) - 1, &o, &msg) == -EINVAL && !o &&
		   msg && !strcmp(msg, "unable to decode the protobuf body: malformed"),
		   "a label key that is not UTF-8: malformed (%s)", msg ? msg : "");
		free(msg);
		msg = NULL;
		ok(pbuf_namespace_to_json(badname, sizeof(badname) - 1, &o, &msg) == -EINVAL && !o &&
		   msg && !strcmp(msg, "unable to decode the protobuf body: malformed"),
		   "a name that is not UTF-8: malformed (%s)", msg ? msg : "");
		free(msg);
	}
	return tap_done();
}
