/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubectl JSONPath templates against a `kubectl get pods -o json` List of
 * three pods (tests/data/pods-list.json): pod1 (c1, c2, c3; dual-stack
 * podIPs; dotted label and annotation keys), pod2 (c4) and pod3 (Pending,
 * no podIP, CrashLoopBackOff).  Every expected string is what client-go's
 * jsonpath prints for the same template and document; error texts are
 * client-go's word for word.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jsonpath.h"
#include "tap.h"

static json_t *pods;

/* Parse and run @tmpl on @doc; returns the output or NULL with *err set. */
static char *run_on(json_t *doc, const char *tmpl, bool allow, struct pn_err *err)
{
	struct jsonpath *jp = NULL;
	char *out = NULL;

	pn_err_free(err);
	if (jsonpath_parse(tmpl, &jp, err) < 0)
		return NULL;
	if (jsonpath_execute(jp, doc, allow, &out, err) < 0)
		out = NULL;
	jsonpath_free(jp);
	return out;
}

/* kubectl's default: missing keys print nothing. */
static void expect(const char *tmpl, const char *want)
{
	struct pn_err err = { 0 };
	char *got = run_on(pods, tmpl, true, &err);

	is_str(got, want, "%s", tmpl);
	if (!got)
		printf("#   error: %s\n", pn_err_msg(&err));
	free(got);
	pn_err_free(&err);
}

static void expect_doc(const char *doc_text, const char *tmpl, const char *want)
{
	json_t *doc = json_loads(doc_text, JSON_DECODE_ANY, NULL);
	struct pn_err err = { 0 };
	char *got = run_on(doc, tmpl, true, &err);

	is_str(got, want, "%s on %s", tmpl, doc_text);
	if (!got)
		printf("#   error: %s\n", pn_err_msg(&err));
	free(got);
	json_decref(doc);
	pn_err_free(&err);
}

static void expect_exec_error(const char *tmpl, bool allow, const char *want)
{
	struct pn_err err = { 0 };
	char *got = run_on(pods, tmpl, allow, &err);

	ok(got == NULL, "%s fails%s", tmpl, allow ? "" : " without missing keys");
	is_str(pn_err_msg(&err), want, "  with \"%s\"", want);
	free(got);
	pn_err_free(&err);
}

static void expect_doc_error(const char *doc_text, const char *tmpl, const char *want)
{
	json_t *doc = json_loads(doc_text, JSON_DECODE_ANY, NULL);
	struct pn_err err = { 0 };
	char *got = run_on(doc, tmpl, true, &err);

	ok(got == NULL, "%s on %s fails", tmpl, doc_text);
	is_str(pn_err_msg(&err), want, "  with \"%s\"", want);
	free(got);
	json_decref(doc);
	pn_err_free(&err);
}

static void expect_parse_error(const char *tmpl, const char *want)
{
	struct jsonpath *jp = (struct jsonpath *)&jp;
	struct pn_err err = { 0 };
	int ret;

	pn_err_free(&err);
	ret = jsonpath_parse(tmpl, &jp, &err);
	ok(ret == -EINVAL && jp == NULL, "parse of %s fails", tmpl);
	is_str(pn_err_msg(&err), want, "  with \"%s\"", want);
	jsonpath_free(ret == 0 ? jp : NULL);
	pn_err_free(&err);
}

static void test_fields(void)
{
	expect("{.kind}", "List");
	expect("{$.kind}", "List");
	expect("{.items[0].metadata.name}", "pod1");
	expect("{.items[1].status.podIP}", "10.88.0.3");
	expect("{.items[*].metadata.name}", "pod1 pod2 pod3");
	expect("{.items[0].status.podIPs[*].ip}", "10.88.0.2 fd00:88::2");
	expect("{.items[0].spec.containers[2].ports[0].containerPort}", "80");
	expect("{.items[2].status.containerStatuses[0].state.waiting.reason}", "CrashLoopBackOff");
	expect("{ .items[0].metadata.namespace }", "default");
	expect("{@.items[0].metadata.uid}", "7c2d6f3e-1a4b-4c5d-8e9f-0a1b2c3d4e5f");
	/* Text outside braces is literal; kubectl does not wrap a bare path. */
	expect("IP: {.items[0].status.podIP}", "IP: 10.88.0.2");
	expect(".status.podIP", ".status.podIP");
	expect("", "");
}

static void test_escaped_keys(void)
{
	expect("{.items[0].metadata.annotations.kubernetes\\.io/role}", "frontend");
	/* pod3 has no such label: skipped, the others printed. */
	expect("{.items[*].metadata.labels.app\\.kubernetes\\.io/name}", "pod1 pod2");
	expect("{.items[0].metadata.labels['app\\.kubernetes\\.io/name']}", "pod1");
	expect("{.items[0].metadata['name']}", "pod1");
	/* client-go reads ['a.b'] as .a.b, not as the key "a.b". */
	expect("{.items[0]['metadata.name']}", "pod1");
	expect("{.items[0].metadata.labels['app.kubernetes.io/name']}", "");
}

static void test_indexes_and_slices(void)
{
	expect("{.items[-1].metadata.name}", "pod3");
	expect("{.items[-2].metadata.name}", "pod2");
	expect("{.items[0:2].metadata.name}", "pod1 pod2");
	expect("{.items[1:].metadata.name}", "pod2 pod3");
	expect("{.items[:1].metadata.name}", "pod1");
	expect("{.items[-2:].metadata.name}", "pod2 pod3");
	expect("{.items[::2].metadata.name}", "pod1 pod3");
	expect("{.items[0].spec.containers[0:3:2].name}", "c1 c3");
	expect("{.items[0].spec.containers[1:3:5].name}", "c2");
	expect("{.items[3:3].metadata.name}", "");
	/* "[]" is "[0]" in client-go's slice grammar. */
	expect("{.items[].metadata.name}", "pod1");
	expect("{.items[0].spec.containers[*].name}", "c1 c2 c3");
}

static void test_recursive_and_union(void)
{
	expect("{..podIP}", "10.88.0.2 10.88.0.3");
	expect("{.items[0]..ip}", "10.88.0.2 fd00:88::2");
	expect("{..restartCount}", "0 1 0 3 7");
	expect("{...restartCount}", "0 1 0 3 7");
	expect("{.items[0,2].metadata.name}", "pod1 pod3");
	expect("{.items[0].metadata['name','namespace']}", "pod1 default");
	/* Each member of a union runs on the whole input, one after the other. */
	expect("{.items[*]['metadata.name', 'status.phase']}",
	       "pod1 pod2 pod3 Running Running Pending");
	expect("{.items[0].metadata.labels.*}", "web pod1 frontend");
	/* A wildcard over a string yields its bytes, as Go indexes strings. */
	expect("{.kind.*}", "76 105 115 116");
	expect_doc("{\"a\":[1,2],\"b\":\"xy\",\"c\":[],\"d\":\"\"}", "{..}",
		   "{\"a\":[1,2],\"b\":\"xy\",\"c\":[],\"d\":\"\"} [1,2] xy");
}

static void test_filters(void)
{
	expect("{.items[?(@.status.phase==\"Pending\")].metadata.name}", "pod3");
	expect("{.items[?(@.metadata.labels.app=='api')].status.podIP}", "10.88.0.3");
	expect("{.items[?(@.status.phase!=\"Running\")].metadata.name}", "pod3");
	expect("{.items[*].status.containerStatuses[?(@.restartCount>0)].name}", "c2 c4 worker");
	expect("{..containerStatuses[?(@.restartCount<3)].name}", "c1 c2 c3");
	expect("{.items[*].status.containerStatuses[?(@.restartCount<=1)].name}", "c1 c2 c3");
	expect("{.items[*].status.containerStatuses[?(@.restartCount>=3)].name}", "c4 worker");
	expect("{.items[?(@.metadata.annotations)].metadata.name}", "pod1 pod3");
	expect("{.items[?(@.metadata.labels.app\\.kubernetes\\.io/name)].metadata.name}",
	       "pod1 pod2");
	expect("{.items[?(@.metadata.labels.app\\.kubernetes\\.io/name==\"pod2\")].metadata.uid}",
	       "8d3e7a4f-2b5c-4d6e-9f0a-1b2c3d4e5f6a");
	expect("{.items[*].status.containerStatuses[?(@.ready==false)].name}", "worker");
	expect("{.items[0].status.conditions[?(@.type==\"Ready\")].status}", "True");
	expect("{.items[0].spec.containers[?(@.ports)].name}", "c3");
	/* The left side may omit "@"; pod3 has no podIP and is skipped. */
	expect("{.items[?(.status.podIP==\"10.88.0.3\")].metadata.name}", "pod2");
	expect("{.items[?(@.status.podIP)].metadata.name}", "pod1 pod2");
	expect("{.items[?(@.spec.terminationGracePeriodSeconds<10)].metadata.name}", "pod3");
}

static void test_ranges_and_literals(void)
{
	expect("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.podIP}{\"\\n\"}{end}",
	       "pod1\t10.88.0.2\npod2\t10.88.0.3\npod3\t\n");
	expect("{range .items[*]}{.metadata.name}:{range .spec.containers[*]}{.name},{end};{end}",
	       "pod1:c1,c2,c3,;pod2:c4,;pod3:worker,;");
	expect("{range .items[*]}{.metadata.name} {end}{.kind}", "pod1 pod2 pod3 List");
	expect("{range .items[*]}{.metadata.name}={.status.podIPs[*].ip}{\"\\n\"}{end}",
	       "pod1=10.88.0.2 fd00:88::2\npod2=10.88.0.3\npod3=\n");
	expect("{range .items[?(@.status.phase==\"Failed\")]}{.metadata.name}{end}done", "done");
	expect("{range .items[*]}{.metadata.name}{\"\\t\"}{range .spec.containers[*]}{.name} {end}"
	       "{\"\\t\"}{range .spec.containers[*]}{.name} {end}{\"\\n\"}{end}",
	       "pod1\tc1 c2 c3 \tc1 c2 c3 \npod2\tc4 \tc4 \npod3\tworker \tworker \n");
	/* Without {end} the body runs per item, then once more on the list. */
	expect("{range .items[*]}{.metadata.name} ", "pod1 pod2 pod3  ");
	expect("{range .items[0].status.podIPs[*]}[{@}]{end}",
	       "[{\"ip\":\"10.88.0.2\"}][{\"ip\":\"fd00:88::2\"}]");
	expect("{\"\\n\"}", "\n");
	expect("{'x'}", "x");
	expect("{'\\''}", "'");
	expect("{\"\\101\\x42\\U00000043\"}", "ABC");
	expect("{\"{\"}", "{");
	expect("{\"a\\u00e9\\x41\"}", "a\xc3\xa9" "A");
	expect("{.items[0].status.podIPs}", "[{\"ip\":\"10.88.0.2\"},{\"ip\":\"fd00:88::2\"}]");
	expect("{.items[0].metadata.labels}",
	       "{\"app\":\"web\",\"app.kubernetes.io/name\":\"pod1\",\"tier\":\"frontend\"}");
	expect("{.items[0].spec.containers[0].command}", "[\"sleep\",\"infinity\"]");
	expect("{.items[0].status.containerStatuses[0].ready} {3} {2.5} {true}", "true 3 2.5 true");
}

static void test_values(void)
{
	static const char doc[] =
		"{\"a\":1.5,\"b\":1e6,\"c\":0.0001,\"d\":0.00001,\"e\":123456.0,"
		"\"f\":1234567.0,\"g\":[1.0,2.5e-7,1e21,100,-0.0],\"h\":{\"x\":\"<a&b>\\u2028\"},"
		"\"n\":null,\"t\":true}";

	/* fmt.Print of float64 for scalars, encoding/json inside lists. */
	expect_doc(doc, "{.a} {.b} {.c} {.d} {.e} {.f}",
		   "1.5 1e+06 0.0001 1e-05 123456 1.234567e+06");
	expect_doc(doc, "{.g}", "[1,2.5e-7,1e+21,100,-0]");
	expect_doc(doc, "{.h}", "{\"x\":\"\\u003ca\\u0026b\\u003e\\u2028\"}");
	expect_doc(doc, "{.h.x}", "<a&b>\xe2\x80\xa8");
	expect_doc(doc, "{.n}", "<nil>");
	expect_doc(doc, "{.t}", "true");
	expect_doc(doc, "{@}",
		   "{\"a\":1.5,\"b\":1000000,\"c\":0.0001,\"d\":0.00001,\"e\":123456,"
		   "\"f\":1234567,\"g\":[1,2.5e-7,1e+21,100,-0],"
		   "\"h\":{\"x\":\"\\u003ca\\u0026b\\u003e\\u2028\"},\"n\":null,\"t\":true}");
	expect_doc("[2,6,3,7]", "{[?(@<5)]}", "2 3");
	expect_doc("[0,1,2,3,4]", "{[1,3,4]}", "1 3 4");
	expect_doc_error(doc, "{.g[?(@>1)]}", "incompatible types for comparison");
}

static void test_missing_keys(void)
{
	expect("{.items[0].status.nosuch}", "");
	expect("a{.nosuch}b", "ab");
	expect("{.items[*].status.podIP}", "10.88.0.2 10.88.0.3");
	expect_exec_error("{.items[0].status.nosuch}", false, "nosuch is not found");
	expect_exec_error("{.items[?(@.status.podIP==\"10.88.0.3\")].metadata.name}", false,
			  "podIP is not found");
	/* An empty range still runs its body once, on nothing. */
	expect_exec_error("{range .items[?(@.status.phase==\"Failed\")]}{.metadata.name}{end}",
			  false, "metadata is not found");
}

static void test_exec_errors(void)
{
	expect_exec_error("{.items[3]}", true, "array index out of bounds: index 3, length 3");
	expect_exec_error("{.items[-4]}", true, "array index out of bounds: index -1, length 3");
	expect_exec_error("{.items[0:4]}", true, "array index out of bounds: index 3, length 3");
	expect_exec_error("{.items[2:1]}", true, "starting index 2 is greater than ending index 1");
	expect_exec_error("{.items[0:3:0]}", true, "step must be > 0");
	expect_exec_error("{.kind[0]}", true, "string is not array or slice");
	expect_exec_error("{.metadata[0]}", true, "map[string]interface {} is not array or slice");
	expect_exec_error("{.items[0].spec.terminationGracePeriodSeconds[0]}", true,
			  "int64 is not array or slice");
	expect_exec_error("{.metadata[?(@.x)]}", true,
			  "map[resourceVersion:] is not array or slice and cannot be filtered");
	expect_exec_error("{range .items[*]}{.metadata.name}{end}{end}", true,
			  "not in range, nothing to end");
	expect_exec_error("{hello}", true, "unrecognized identifier hello");
	expect_exec_error("{.items[?(@.metadata.name<>\"x\")]}", true,
			  "unrecognized filter operator <>");
	expect_exec_error("{.items[?(@.metadata.name=\"x\")]}", true,
			  "unrecognized filter operator =");
	expect_exec_error("{.items[?(@.spec.containers[*].name==\"c1\")]}", true,
			  "can only compare one element at a time");
	expect_exec_error("{.items[?(@.status.phase>3)]}", true, "incompatible types for comparison");
	expect_exec_error("{.items[?(@.status.containerStatuses[0].ready<true)]}", true,
			  "invalid type for comparison");
	expect_exec_error("{.items[?(@.metadata.labels>1)]}", true, "invalid type for comparison");
}

static void test_parse_errors(void)
{
	struct jsonpath *jp = NULL;
	struct pn_err err = { 0 };

	expect_parse_error("{.kind", "unclosed action");
	expect_parse_error("{.items[0].metadata.name}{", "unclosed action");
	expect_parse_error("{.items[0}", "unterminated array");
	expect_parse_error("{!}", "unrecognized character in action: U+0021 '!'");
	expect_parse_error("{\t.kind}", "unrecognized character in action: U+0009");
	expect_parse_error("{.items[?(@.x==\"a\"}", "unterminated filter");
	expect_parse_error("{.items[?(@.x)}", "unclosed array expect ]");
	expect_parse_error("{\"abc}", "unterminated quoted string");
	expect_parse_error("{.items[a]}", "invalid array index a");
	expect_parse_error("{.items[1:x]}", "invalid array index 1:x");
	expect_parse_error("{.items[-]}", "array index - is not a number");
	expect_parse_error("{....kind}", "invalid multiple recursive descent");
	expect_parse_error("{1.2.3}", "cannot parse number 1.2.3");
	expect_parse_error("{\"\\q\"}", "unquote string \"\\q\" error invalid syntax");
	expect_parse_error("{\"\\'\"}", "unquote string \"\\'\" error invalid syntax");
	/* A quote after a backslash never ends the string, even after "\\". */
	expect_parse_error("{\"\\\\\"}", "unterminated quoted string");
	/* Only single quotes make a key in client-go. */
	expect_parse_error("{.metadata[\"name\"]}", "invalid array index \"name\"");
	expect_parse_error("{.items[?(@.a==!)]}", "unrecognized character in action: U+0021 '!'");
	/* No regular expressions, with kubectl's own error (kubernetes#72220). */
	expect_parse_error("{.items[?(@.metadata.name=~/^test$/)].metadata.name}",
			   "unrecognized character in action: U+007E '~'");
	expect_parse_error("{..*}", "unrecognized character in action: U+002A '*'");

	pn_err_free(&err);
	ok(jsonpath_parse("{.kind", &jp, &err) < 0 &&
	   strcmp(pn_err_details_text(&err), "at byte 6 of the template") == 0,
	   "a parse error names its position: %s", pn_err_details_text(&err));
	pn_err_free(&err);
}

static void test_marshal(void)
{
	json_t *doc = json_loads("{\"b\":[1,{\"d\":[],\"c\":{}}],\"a\":\"x\"}", 0, NULL);
	char *s = NULL;
	size_t len = 0;
	struct pn_err err = { 0 };

	ok(jsonpath_marshal(doc, 4, &s, &len, &err) == 0, "marshal with indent");
	is_str(s, "{\n    \"a\": \"x\",\n    \"b\": [\n        1,\n        {\n"
		  "            \"c\": {},\n            \"d\": []\n        }\n    ]\n}",
	       "MarshalIndent layout, sorted keys, empty {} and []");
	ok(s && len == strlen(s), "length returned (%zu)", len);
	free(s);
	json_decref(doc);
	pn_err_free(&err);
}

/* -o jsonpath-as-json: what kubectl v1.32 printed (`kubectl patch --local
 * -f /tmp/kt.json --type merge -p '{}' -o jsonpath-as-json=...` with a Pod
 * whose labels are z=1 and a=2 and one container "c"). */
static void test_as_json(void)
{
	json_t *doc = json_pack("{s:{s:s, s:{s:s, s:s}}, s:{s:[{s:s}]}}", "metadata", "name", "x", "labels",
				"z", "1", "a", "2", "spec", "containers", "name", "c");
	struct jsonpath *jp = NULL;
	struct pn_err err = { 0 };
	char *out = NULL;

	ok(jsonpath_parse("{.metadata.labels}{\"\\n\"}{.spec.containers[*].name}", &jp, &err) == 0 &&
		   jsonpath_execute_as_json(jp, doc, true, &out, &err) == 0,
	   "jsonpath-as-json runs: %s", pn_err_msg(&err));
	is_str(out,
	       "[\n    {\n        \"a\": \"2\",\n        \"z\": \"1\"\n    }\n]\n"
	       "[\n    \"\\n\"\n]\n"
	       "[\n    \"c\"\n]\n",
	       "each part of the template a 4-space indented JSON list, as kubectl prints it");
	free(out);
	out = NULL;
	jsonpath_free(jp);
	jp = NULL;
	ok(jsonpath_parse("{.metadata.nothing}", &jp, &err) == 0 &&
		   jsonpath_execute_as_json(jp, doc, true, &out, &err) == 0,
	   "a missing field runs");
	is_str(out, "[]\n", "and prints an empty list");
	free(out);
	jsonpath_free(jp);
	json_decref(doc);
	pn_err_free(&err);
}

int main(void)
{
	json_error_t jerr;

	pods = json_load_file("tests/data/pods-list.json", 0, &jerr);
	if (!pods) {
		printf("Bail out! tests/data/pods-list.json: %s\n", jerr.text);
		return 1;
	}
	test_fields();
	test_escaped_keys();
	test_indexes_and_slices();
	test_recursive_and_union();
	test_filters();
	test_ranges_and_literals();
	test_values();
	test_missing_keys();
	test_exec_errors();
	test_parse_errors();
	test_marshal();
	test_as_json();
	json_decref(pods);
	return tap_done();
}
