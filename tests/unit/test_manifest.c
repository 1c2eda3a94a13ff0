/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests: the seed's example pods, multi-document streams with a
 * Namespace, JSON and v1 List input, YAML 1.1 resolution as kubectl reads
 * it, API-server defaults, pod → JSON → pod round trips, the kubectl-style
 * YAML emitter against golden text, and every tests/data/manifests/bad-*.yaml
 * failing with exactly the message on its first line ("# expect: ...", with
 * \n and \\ escapes).  Run from the top of the tree (tests/run.sh does).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "tap.h"

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (pn_read_all(fd, &buf, len) < 0)
		buf = NULL;
	close(fd);
	return buf;
}

/* Parse a string; on failure the message is in *err. */
static int parse(const char *text, struct pn_object **o, size_t *n, struct pn_err *err)
{
	pn_err_free(err);
	return manifest_parse(text, strlen(text), "pod.yaml", o, n, err);
}

static struct pn_pod *parse_one_pod(const char *text)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	struct pn_pod *p;
	size_t n = 0;

	if (parse(text, &o, &n, &err) < 0) {
		printf("# unexpected error: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return NULL;
	}
	if (n != 1 || o[0].kind != PN_KIND_POD) {
		manifest_objects_free(o, n);
		pn_err_free(&err);
		return NULL;
	}
	p = o[0].pod;
	o[0].pod = NULL;
	manifest_objects_free(o, n);
	pn_err_free(&err);
	return p;
}

static const char *parse_error(const char *text)
{
	static struct pn_err err = { 0 };
	struct pn_object *o = NULL;
	size_t n = 0;

	if (parse(text, &o, &n, &err) == 0) {
		manifest_objects_free(o, n);
		return "(no error)";
	}
	return pn_err_msg(&err);
}

/* The Status reason an API server answers a bad manifest with. */
static int expected_code(const char *msg)
{
	if (strstr(msg, " is invalid: "))
		return PN_E_INVALID;
	if (strstr(msg, "resource mapping not found"))
		return PN_E_NOT_FOUND;
	return PN_E_BAD_REQUEST;
}

/*
 * An Invalid error lists its field errors twice: as the lines of the
 * message (one, or "\n* " bullets) and as causes.  "<field>: <message>"
 * of cause i must be line i.
 */
static void causes_rebuild_message(const struct pn_err *err, const char *what)
{
	const char *msg = pn_err_msg(err), *p = strstr(msg, " is invalid: ");
	size_t i, good = 0, lines = 1;
	char *line = NULL;

	for (const char *q = p; q && (q = strstr(q, "\n* ")); q++)
		lines++;
	if (lines > 1)
		lines--; /* "is invalid: " then a bullet per error */
	is_int((int)err->n_causes, (int)lines, "%s: one cause per field error", what);
	p = p ? p + strlen(" is invalid: ") : msg;
	for (i = 0; i < err->n_causes; i++) {
		const struct pn_cause *c = &err->causes[i];

		if (err->n_causes > 1)
			p = strstr(p, "\n* ") ? strstr(p, "\n* ") + 3 : "";
		free(line);
		line = NULL;
		if (asprintf(&line, "%s: %s", c->field, c->message) < 0)
			break;
		good += !strncmp(p, line, strlen(line)) &&
			(p[strlen(line)] == '\0' || p[strlen(line)] == '\n') &&
			!strncmp(c->reason, "FieldValue", 10);
	}
	free(line);
	is_int((int)good, (int)err->n_causes, "%s: each cause is its line of the message", what);
}

static char *join_argv(char **v)
{
	static char buf[512];
	size_t i;

	buf[0] = '\0';
	for (i = 0; v && v[i]; i++) {
		if (i)
			strcat(buf, "|");
		strncat(buf, v[i], sizeof(buf) - strlen(buf) - 2);
	}
	return buf;
}

static void test_examples(void)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	const struct pn_pod *p;
	size_t n = 0, len = 0;
	char *buf = slurp("examples/pod1.yaml", &len);

	ok(buf != NULL, "examples/pod1.yaml readable");
	ok(buf && manifest_parse(buf, len, "examples/pod1.yaml", &o, &n, &err) == 0, "pod1 parses: %s", pn_err_msg(&err));
	free(buf);
	if (n != 1) {
		ok(0, "pod1: one object (got %zu)", n);
		manifest_objects_free(o, n);
		pn_err_free(&err);
		return;
	}
	p = o[0].pod;
	is_int(o[0].kind, PN_KIND_POD, "pod1 is a Pod");
	is_int(o[0].doc, 0, "pod1 is document 0");
	is_str(p->meta.name, "pod1", "pod1 name");
	is_str(p->meta.namespace_, "default", "pod1 namespace defaulted");
	is_str(pn_kvs_get(&p->meta.labels, "app"), "pod1", "pod1 label app");
	ok(p->meta.uid == NULL && p->meta.creation == 0, "uid and creation left to the runtime");
	is_int(p->spec.n_containers, 3, "pod1 has three containers");
	is_str(p->spec.containers[0].name, "c1", "c1");
	is_str(p->spec.containers[1].name, "c2", "c2");
	is_str(p->spec.containers[2].name, "c3", "c3");
	is_str(p->spec.containers[0].image, "host", "c1 image host");
	is_str(join_argv(p->spec.containers[0].command), "sleep|infinity", "c1 command");
	is_str(join_argv(p->spec.containers[1].command), "sleep|infinity", "c2 command");
	is_str(join_argv(p->spec.containers[2].command), "nginx|-g|daemon off; error_log stderr;",
	       "c3 runs nginx in the foreground");
	ok(p->spec.containers[0].args == NULL, "no args");
	is_int(p->spec.containers[2].n_ports, 1, "c3 has one port");
	is_int(p->spec.containers[2].ports[0].container_port, 80, "c3 port 80");
	is_str(p->spec.containers[2].ports[0].protocol, "TCP", "protocol defaulted to TCP");
	is_int(p->spec.containers[2].ports[0].host_port, 0, "no hostPort");
	is_int(p->spec.containers[0].pull_policy, PN_PULL_ALWAYS, "untagged image: imagePullPolicy Always");
	is_int(p->spec.restart_policy, PN_RESTART_ALWAYS, "restartPolicy defaulted to Always");
	is_int(p->spec.termination_grace_period, 30, "grace period defaulted to 30");
	ok(p->spec.hostname == NULL, "hostname unset");
	ok(!p->spec.host_network && !p->spec.host_pid && !p->spec.share_process_namespace, "no host namespaces");
	manifest_objects_free(o, n);

	buf = slurp("examples/pod2.yaml", &len);
	o = NULL;
	n = 0;
	ok(buf && manifest_parse(buf, len, "examples/pod2.yaml", &o, &n, &err) == 0 && n == 1, "pod2 parses");
	free(buf);
	if (n == 1) {
		p = o[0].pod;
		is_str(p->meta.name, "pod2", "pod2 name");
		is_str(pn_kvs_get(&p->meta.labels, "app"), "pod2", "pod2 label app");
		is_int(p->spec.n_containers, 1, "pod2 has one container");
		is_str(p->spec.containers[0].name, "c4", "c4");
		is_str(join_argv(p->spec.containers[0].command), "nginx|-g|daemon off; error_log stderr;",
		       "c4 runs nginx");
	}
	manifest_objects_free(o, n);
	pn_err_free(&err);
}

static void test_multi_doc(void)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	const char *text = "---\n"
			   "# nothing in this one\n"
			   "---\n"
			   "apiVersion: v1\n"
			   "kind: Namespace\n"
			   "metadata:\n"
			   "  name: team-a\n"
			   "---\n"
			   "---\n"
			   "apiVersion: v1\n"
			   "kind: Pod\n"
			   "metadata: {name: web, namespace: team-a}\n"
			   "spec:\n"
			   "  containers: [{name: c, image: 'nginx:1.25'}]\n"
			   "...\n";

	ok(parse(text, &o, &n, &err) == 0, "multi-document stream parses: %s", pn_err_msg(&err));
	is_int(n, 2, "empty documents are skipped");
	if (n == 2) {
		is_int(o[0].kind, PN_KIND_NAMESPACE, "first object is the Namespace");
		is_str(o[0].ns->meta.name, "team-a", "namespace name");
		ok(o[0].ns->meta.namespace_ == NULL, "a Namespace has no namespace");
		is_str(pn_kvs_get(&o[0].ns->meta.labels, "kubernetes.io/metadata.name"), "team-a",
		       "kubernetes.io/metadata.name label added");
		is_int(o[0].doc, 1, "Namespace is document 1");
		is_int(o[1].kind, PN_KIND_POD, "second object is the Pod");
		is_int(o[1].doc, 3, "Pod is document 3 (libyaml counts the empty ones)");
		is_str(o[1].pod->meta.namespace_, "team-a", "pod in team-a");
		is_int(o[1].pod->spec.containers[0].pull_policy, PN_PULL_IF_NOT_PRESENT, "tagged image: IfNotPresent");
	}
	manifest_objects_free(o, n);

	ok(parse("", &o, &n, &err) == 0 && n == 0 && o == NULL, "empty input: no objects");
	ok(parse("---\n---\n", &o, &n, &err) == 0 && n == 0, "only separators: no objects");
	pn_err_free(&err);
}

static void test_json_and_list(void)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\",\"labels\":"
			   "{\"tier\":\"web\"}},\"spec\":{\"restartPolicy\":\"OnFailure\",\"containers\":"
			   "[{\"name\":\"c\",\"image\":\"nginx:latest\",\"args\":[\"-v\"],\"env\":[{\"name\":\"A\","
			   "\"value\":\"1\"},{\"name\":\"B\"}],\"ports\":[{\"containerPort\":8080,\"name\":\"http\","
			   "\"protocol\":\"UDP\"}],\"tty\":true,\"stdin\":true,\"workingDir\":\"/srv\"}]}}";
	const char *list = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\","
			   "\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}},{\"apiVersion\":\"v1\",\"kind\":"
			   "\"Namespace\",\"metadata\":{\"name\":\"b\"}}]}";

	ok(parse(json, &o, &n, &err) == 0 && n == 1, "JSON input parses: %s", pn_err_msg(&err));
	if (n == 1) {
		const struct pn_container_spec *c = &o[0].pod->spec.containers[0];

		is_int(o[0].pod->spec.restart_policy, PN_RESTART_ON_FAILURE, "restartPolicy OnFailure");
		is_int(c->pull_policy, PN_PULL_ALWAYS, ":latest: imagePullPolicy Always");
		is_str(join_argv(c->args), "-v", "args");
		is_int(c->n_env, 2, "two env vars");
		is_str(c->env[0].value, "1", "env A=1");
		is_str(c->env[1].value, "", "env B defaults to empty");
		is_str(c->ports[0].name, "http", "port name");
		is_str(c->ports[0].protocol, "UDP", "protocol UDP kept");
		ok(c->tty && c->stdin_open, "tty and stdin");
		is_str(c->working_dir, "/srv", "workingDir");
	}
	manifest_objects_free(o, n);

	ok(parse(list, &o, &n, &err) == 0 && n == 2, "v1 List is unrolled: %s", pn_err_msg(&err));
	if (n == 2)
		ok(strcmp(o[0].ns->meta.name, "a") == 0 && strcmp(o[1].ns->meta.name, "b") == 0 && o[1].doc == 0,
		   "List items in order, same document");
	manifest_objects_free(o, n);
	pn_err_free(&err);
}

/* YAML 1.1 as kubectl reads it, and what the API server fills in. */
static void test_yaml_and_defaults(void)
{
	struct pn_pod *p;

	p = parse_one_pod("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			  "base: &base\n" /* unknown but null: kubectl's validator skips nils */
			  "spec: {containers: [{name: c, image: host}]}\n");
	ok(p != NULL, "an unknown field holding null is let through, as kubectl does");
	pn_pod_free(p);
	is_str(parse_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspc: {}\n"),
	       "error: error validating \"pod.yaml\": error validating data: ValidationError(Pod): unknown field "
	       "\"spc\" in io.k8s.api.core.v1.Pod",
	       "unknown top-level field message");

	p = parse_one_pod("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			  "spec:\n"
			  "  hostNetwork: yes\n"
			  "  terminationGracePeriodSeconds: -5\n"
			  "  containers:\n"
			  "  - &ctr\n"
			  "    name: a\n"
			  "    image: registry.local:5000/tools\n"
			  "    tty: on\n"
			  "    ports: [{containerPort: 0x50}]\n"
			  "  - <<: *ctr\n"
			  "    name: b\n"
			  "    image: tools@sha256:0123\n"
			  "    ports: [{containerPort: 0o1750, protocol: TCP}]\n");
	ok(p != NULL, "anchors, merge keys, yes/on, hex and octal parse");
	if (p) {
		ok(p->spec.host_network, "hostNetwork: yes is true");
		is_int(p->spec.termination_grace_period, 1, "negative grace period becomes 1");
		is_int(p->spec.containers[0].ports[0].container_port, 80, "0x50 is 80");
		is_int(p->spec.containers[0].ports[0].host_port, 80, "hostNetwork: hostPort defaults to containerPort");
		ok(p->spec.containers[0].tty, "tty: on is true");
		is_int(p->spec.containers[0].pull_policy, PN_PULL_ALWAYS, "registry port is not a tag");
		is_str(p->spec.containers[1].name, "b", "merge: explicit key wins");
		ok(p->spec.containers[1].tty, "merge: tty inherited");
		is_int(p->spec.containers[1].ports[0].container_port, 1000, "0o1750 is 1000");
		is_int(p->spec.containers[1].pull_policy, PN_PULL_IF_NOT_PRESENT, "digest only: IfNotPresent");
	}
	pn_pod_free(p);

	/* what `kubectl run pod1 --image=host --dry-run=client -o yaml` prints */
	p = parse_one_pod("apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n"
			  "    run: pod1\n  name: pod1\nspec:\n  containers:\n  - image: host\n    name: pod1\n"
			  "    resources: {}\n  dnsPolicy: ClusterFirst\n  restartPolicy: Always\nstatus: {}\n");
	ok(p != NULL, "kubectl run --dry-run output is accepted");
	pn_pod_free(p);

	p = parse_one_pod("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			  "spec: {containers: [{name: c, image: host, imagePullPolicy: Never, command: [\"1\", '2']}]}\n");
	ok(p && p->spec.containers[0].pull_policy == PN_PULL_NEVER, "explicit imagePullPolicy kept");
	ok(p && strcmp(join_argv(p->spec.containers[0].command), "1|2") == 0, "quoted numbers are strings");
	pn_pod_free(p);

	is_str(parse_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			   "spec: {containers: [{name: c, image: host, command: [sleep, 10]}]}\n"),
	       "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be "
	       "handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.command "
	       "of type string",
	       "an unquoted number in command fails like the API server");
	is_str(parse_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
			   "spec: {containers: [{name: c, image: host, tty: \"true\"}]}\n"),
	       "error: error validating \"pod.yaml\": error validating data: ValidationError(Pod.spec.containers[0].tty): "
	       "invalid type for io.k8s.api.core.v1.Container.tty: got \"string\", expected \"boolean\"",
	       "a quoted boolean is a type error");
	is_str(parse_error("kind: Pod\nmetadata: {name: p}\n"),
	       "error: error validating \"pod.yaml\": error validating data: apiVersion not set",
	       "apiVersion not set");
	is_str(parse_error("{}\n"),
	       "error: error validating \"pod.yaml\": error validating data: [apiVersion not set, kind not set]",
	       "several schema errors are aggregated in brackets");
}

static void test_yaml_limits(void)
{
	char *deep, *laughs;
	struct pn_err err = { 0 };
	struct pn_object *o = NULL;
	size_t n = 0, i, pos = 0;
	int ret;

	pn_err_free(&err);
	ret = manifest_parse("a: b: c\n", 8, "x.yaml", &o, &n, &err);
	ok(ret < 0 && err.code == PN_E_BAD_REQUEST, "syntax error: PN_E_BAD_REQUEST");
	is_str(pn_err_details_text(&err), "line 1, column 5", "syntax error: line and column in details");
	/* The line numbers kubectl v1.32 printed for the same files (go-yaml's). */
	is_str(parse_error("a: b: c\n"),
	       "error: error parsing pod.yaml: error converting YAML to JSON: yaml: mapping values are not allowed in this context",
	       "a scanner error on the first line names no line");
	is_str(parse_error("kind: Pod\na: b: c\n"),
	       "error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context",
	       "a scanner error names its line");
	is_str(parse_error("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n"),
	       "error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 3: did not find expected ',' or '}'",
	       "a parser error names the line go-yaml does");

	deep = malloc(4000);
	for (i = 0; i < 1500; i++)
		deep[i] = '[';
	deep[1500] = '\0';
	is_str(parse_error(deep),
	       "error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 1: exceeded max depth of 1000",
	       "nesting is bounded");
	free(deep);

	/* the billion laughs: 9 levels of 10 aliases each */
	laughs = malloc(4096);
	pos += (size_t)sprintf(laughs + pos, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++)
		pos += (size_t)sprintf(laughs + pos, "a%zu: &a%zu [*a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu]\n",
				       i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	is_str(parse_error(laughs),
	       "error: error parsing pod.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing",
	       "alias expansion is bounded");
	free(laughs);
	pn_err_free(&err);
}

static const char pod_yaml_golden[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  annotations:\n"
	"    note: 'a: b'\n"
	"  creationTimestamp: \"2024-05-01T12:00:00Z\"\n"
	"  labels:\n"
	"    app: pod1\n"
	"    enabled: \"true\"\n"
	"  name: pod1\n"
	"  namespace: default\n"
	"  uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n"
	"spec:\n"
	"  containers:\n"
	"  - command:\n"
	"    - sleep\n"
	"    - infinity\n"
	"    env:\n"
	"    - name: PORT\n"
	"      value: \"8080\"\n"
	"    - name: EMPTY\n"
	"    image: host\n"
	"    imagePullPolicy: Always\n"
	"    name: c1\n"
	"  - command:\n"
	"    - nginx\n"
	"    - -g\n"
	"    - daemon off; pid /tmp/nginx.pid; error_log stderr;\n"
	"    image: nginx:1.25\n"
	"    imagePullPolicy: IfNotPresent\n"
	"    name: c3\n"
	"    ports:\n"
	"    - containerPort: 80\n"
	"      name: http\n"
	"      protocol: TCP\n"
	"    stdin: true\n"
	"    tty: true\n"
	"  hostname: web\n"
	"  nodeSelector:\n"
	"    disk: ssd\n"
	"  restartPolicy: Never\n"
	"  shareProcessNamespace: true\n"
	"  terminationGracePeriodSeconds: 5\n";

static const char pod_yaml_src[] = "apiVersion: v1\n"
				   "kind: Pod\n"
				   "metadata:\n"
				   "  name: pod1\n"
				   "  labels: {app: pod1, enabled: \"true\"}\n"
				   "  annotations: {note: 'a: b'}\n"
				   "spec:\n"
				   "  hostname: web\n"
				   "  restartPolicy: Never\n"
				   "  shareProcessNamespace: true\n"
				   "  terminationGracePeriodSeconds: 5\n"
				   "  nodeSelector: {disk: ssd}\n"
				   "  containers:\n"
				   "  - name: c1\n"
				   "    image: host\n"
				   "    command: [sleep, infinity]\n"
				   "    env: [{name: PORT, value: \"8080\"}, {name: EMPTY}]\n"
				   "  - name: c3\n"
				   "    image: nginx:1.25\n"
				   "    command: [nginx, -g, 'daemon off; pid /tmp/nginx.pid; error_log stderr;']\n"
				   "    ports: [{name: http, containerPort: 80}]\n"
				   "    tty: true\n"
				   "    stdin: true\n";

static void test_round_trip(void)
{
	struct pn_pod *p = parse_one_pod(pod_yaml_src), *back = NULL, *other = NULL;
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	json_t *j = NULL, *j2 = NULL, *j3 = NULL;
	char *y = NULL, *s1 = NULL, *s2 = NULL;
	size_t n = 0;

	ok(p != NULL, "round-trip pod parses");
	if (!p)
		return;
	p->meta.uid = strdup("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	p->meta.creation = 1714564800; /* 2024-05-01T12:00:00Z */
	j = pod_to_json(p);
	ok(j != NULL, "pod_to_json");
	ok(pod_from_json(j, &back, &err) == 0, "pod_from_json accepts pod_to_json's output: %s", pn_err_msg(&err));
	if (back) {
		is_str(back->meta.uid, p->meta.uid, "uid survives the store");
		is_int(back->meta.creation, p->meta.creation, "creationTimestamp survives the store");
		j2 = pod_to_json(back);
		s1 = json_dumps(j, JSON_COMPACT);
		s2 = json_dumps(j2, JSON_COMPACT);
		ok(json_equal(j, j2) && s1 && s2 && strcmp(s1, s2) == 0, "pod → json → pod → json is identical");
	}
	y = json_to_yaml(j);
	is_str(y, pod_yaml_golden, "kubectl -o yaml rendering");

	/* `podnet get pod pod1 -o yaml | podnet apply -f -` */
	ok(y && manifest_parse(y, strlen(y), "STDIN", &o, &n, &err) == 0 && n == 1, "own YAML output re-applies: %s",
	   pn_err_msg(&err));
	if (n == 1) {
		o[0].pod->meta.uid = strdup(p->meta.uid);
		o[0].pod->meta.creation = p->meta.creation;
		j3 = pod_to_json(o[0].pod);
		ok(json_equal(j, j3), "re-applied pod is the same pod");
	}
	manifest_objects_free(o, n);

	pn_err_free(&err);
	json_object_set_new(j, "kind", json_string("Service"));
	ok(pod_from_json(j, &other, &err) < 0 && other == NULL && strstr(pn_err_msg(&err), "not a v1 Pod"),
	   "pod_from_json rejects other kinds");

	json_decref(j);
	json_decref(j2);
	json_decref(j3);
	free(s1);
	free(s2);
	free(y);
	pn_pod_free(back);
	pn_pod_free(p);
	pn_err_free(&err);
}

static void test_yaml_emitter(void)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			      "s:[], s:{}, s:n, s:i, s:b, s:f}",
			      "plain", "hello world", "bool", "true", "yes", "yes", "int", "1", "hex", "0x1F",
			      "float", "1.5", "empty", "", "null", "null", "lead", " x", "colon", "a: b", "hash", "#x",
			      "dash", "- x", "date", "2024-01-01", "sexagesimal", "1:20", "multi", "line1\nline2\n",
			      "utf8", "h\xc3\xa9llo", "list", "map", "nil", "n", 7, "b", 0, "f", 0.5);
	/* Keys in go-yaml's order, as kubectl prints them. */
	const char *want = "b: false\n"
			   "bool: \"true\"\n"
			   "colon: 'a: b'\n"
			   "dash: '- x'\n"
			   "date: \"2024-01-01\"\n"
			   "empty: \"\"\n"
			   "f: 0.5\n"
			   "float: \"1.5\"\n"
			   "hash: '#x'\n"
			   "hex: \"0x1F\"\n"
			   "int: \"1\"\n"
			   "lead: ' x'\n"
			   "list: []\n"
			   "map: {}\n"
			   "multi: |\n"
			   "  line1\n"
			   "  line2\n"
			   "\"n\": 7\n" /* "n" is false in YAML 1.1 */
			   "nil: null\n"
			   "\"null\": \"null\"\n"
			   "plain: hello world\n"
			   "sexagesimal: \"1:20\"\n"
			   "utf8: h\xc3\xa9llo\n"
			   "\"yes\": \"yes\"\n";
	char *y = json_to_yaml(j);

	is_str(y, want, "scalars quoted only where needed, as go-yaml does");
	free(y);
	json_decref(j);

	/* What `kubectl patch --local -o yaml` (kubectl v1.32) printed for
	 * these annotation keys: letters after other runes, digit runs as
	 * numbers, leading zeros after. */
	j = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
		      "c10", 1, "c9", 1, "a_b", 1, "aB", 1, "a-b", 1, "A", 1, "a.b", 1, "a0", 1, "a00", 1,
		      "a01", 1, "\xc3\xa9", 1, "z", 1, "Z", 1, "a1b", 1, "a1", 1);
	y = json_to_yaml(j);
	is_str(y,
	       "A: 1\nZ: 1\na-b: 1\na.b: 1\na_b: 1\na0: 1\na00: 1\na1: 1\na1b: 1\na01: 1\naB: 1\n"
	       "c9: 1\nc10: 1\nz: 1\n\xc3\xa9: 1\n",
	       "map keys in kubectl's (go-yaml v2's) order");
	free(y);
	json_decref(j);
}

static void unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] == 'n') {
			*w++ = '\n';
			r += 2;
		} else if (r[0] == '\\' && r[1] == '\\') {
			*w++ = '\\';
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_manifests(void)
{
	const char *dir = "tests/data/manifests";
	char *names[256], path[512], *buf, *nl, *want;
	struct pn_object *o;
	struct pn_err err = { 0 };
	struct dirent *de;
	size_t n_names = 0, i, len, n;
	DIR *d = opendir(dir);
	int ret;

	ok(d != NULL, "%s readable", dir);
	if (!d)
		return;
	while ((de = readdir(d)) && n_names < PN_ARRAY_SIZE(names))
		if (strncmp(de->d_name, "bad-", 4) == 0 && strstr(de->d_name, ".yaml"))
			names[n_names++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n_names, sizeof(names[0]), name_cmp);
	ok(n_names >= 20, "at least 20 bad manifests (%zu)", n_names);
	for (i = 0; i < n_names; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		buf = slurp(path, &len);
		if (!buf || strncmp(buf, "# expect: ", 10) != 0 || !(nl = strchr(buf, '\n'))) {
			ok(0, "%s: first line is \"# expect: MESSAGE\"", names[i]);
			free(buf);
			continue;
		}
		want = strndup(buf + 10, (size_t)(nl - buf - 10));
		unescape(want);
		o = NULL;
		n = 0;
		pn_err_free(&err);
		ret = manifest_parse(buf, len, names[i], &o, &n, &err);
		ok(ret < 0 && err.code == expected_code(want) && o == NULL && n == 0, "%s fails (code %d)",
		   names[i], err.code);
		is_str(pn_err_msg(&err), want, "%s: kubectl's message", names[i]);
		if (err.code == PN_E_INVALID)
			causes_rebuild_message(&err, names[i]);
		manifest_objects_free(o, n);
		free(want);
		free(buf);
		free(names[i]);
	}
	pn_err_free(&err);
}

/*
 * Ten bad ports and a missing image: the whole message (about 1.2 KiB)
 * and one cause per field error, in the API server's order.
 */
static void test_many_field_errors(void)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	char *yaml = NULL, *want = NULL, *p;
	size_t n = 0, i;
	FILE *y, *w;
	size_t ylen = 0, wlen = 0;

	y = open_memstream(&yaml, &ylen);
	w = open_memstream(&want, &wlen);
	if (!y || !w) {
		ok(0, "open_memstream");
		return;
	}
	fputs("apiVersion: v1\nkind: Pod\nmetadata: {name: ports}\nspec:\n"
	      "  containers:\n  - name: c\n    ports:\n", y);
	fputs("The Pod \"ports\" is invalid: \n* spec.containers[0].image: Required value", w);
	for (i = 0; i < 10; i++) {
		fprintf(y, "    - containerPort: %zu\n", 70000 + i);
		fprintf(w, "\n* spec.containers[0].ports[%zu].containerPort: Invalid value: %zu: "
			   "must be between 1 and 65535, inclusive", i, 70000 + i);
	}
	fclose(y);
	fclose(w);
	ok(parse(yaml, &o, &n, &err) < 0 && !o && !n, "ten bad ports and no image: refused");
	is_int(err.code, PN_E_INVALID, "code PN_E_INVALID");
	is_str(pn_err_msg(&err), want, "the whole message, %zu bytes", strlen(want));
	is_int((int)err.n_causes, 11, "eleven causes");
	if (err.n_causes == 11) {
		is_str(err.causes[0].reason, "FieldValueRequired", "cause 0: reason");
		is_str(err.causes[0].field, "spec.containers[0].image", "cause 0: field");
		is_str(err.causes[0].message, "Required value", "cause 0: message");
		is_str(err.causes[10].reason, "FieldValueInvalid", "cause 10: reason");
		is_str(err.causes[10].field, "spec.containers[0].ports[9].containerPort", "cause 10: field");
		is_str(err.causes[10].message, "Invalid value: 70009: must be between 1 and 65535, inclusive",
		       "cause 10: message");
	}
	causes_rebuild_message(&err, "ten bad ports");
	p = strstr(pn_err_msg(&err), "ports[9]");
	ok(p && !strcmp(p + strlen(p) - 9, "inclusive"), "the last bullet ends the message");
	pn_err_free(&err);
	free(yaml);
	free(want);
}

/* The API server's decoding (podnetd): strict, warn and ignore for unknown
 * fields, Go's type errors, kube-apiserver's Invalid text. */
static void test_decode_api(void)
{
	struct pn_object o;
	struct pn_err err = { 0 };
	struct manifest_api strict = { MANIFEST_FV_STRICT, NULL };
	struct manifest_api warn = { MANIFEST_FV_WARN, json_array() };
	struct manifest_api ignore = { MANIFEST_FV_IGNORE, NULL };
	json_t *j;

	j = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
		       "\"bogus\":1},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
		       "\"bogus\":true}]}}", 0, NULL);
	ok(manifest_decode_api(j, PN_KIND_POD, &strict, &o, &err) == -EINVAL && !o.pod,
	   "strict: unknown fields refused");
	is_int(err.code, PN_E_BAD_REQUEST, "strict: BadRequest");
	is_str(pn_err_msg(&err), "Pod in version \"v1\" cannot be handled as a Pod: strict decoding "
	       "error: unknown field \"metadata.bogus\", unknown field \"spec.containers[0].bogus\"",
	       "strict: kube-apiserver's message, every field by its path");
	pn_err_free(&err);
	ok(manifest_decode_api(j, PN_KIND_POD, &warn, &o, &err) == 0 && o.pod, "warn: accepted");
	is_int((int)json_array_size(warn.warnings), 2, "warn: two warnings");
	is_str(json_string_value(json_array_get(warn.warnings, 1)),
	       "unknown field \"spec.containers[0].bogus\"", "warn: the warning's text");
	pn_pod_free(o.pod);
	ok(manifest_decode_api(j, PN_KIND_POD, &ignore, &o, &err) == 0 && o.pod &&
	   !strcmp(o.pod->meta.namespace_, "default"), "ignore: accepted, defaulted");
	pn_pod_free(o.pod);
	json_decref(j);

	j = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
		       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":{}}]}}", 0, NULL);
	ok(manifest_decode_api(j, PN_KIND_POD, &strict, &o, &err) < 0, "object for a string: refused");
	is_str(pn_err_msg(&err), "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
	       "unmarshal object into Go struct field Container.spec.containers.image of type string",
	       "Go's decoding error");
	pn_err_free(&err);
	json_decref(j);

	j = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{},"
		       "\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", 0, NULL);
	ok(manifest_decode_api(j, PN_KIND_POD, &strict, &o, &err) < 0, "no name, no image: refused");
	is_int(err.code, PN_E_INVALID, "Invalid");
	is_str(pn_err_msg(&err), "Pod \"\" is invalid: [metadata.name: Required value: name or "
	       "generateName is required, spec.containers[0].image: Required value]",
	       "kube-apiserver's aggregate text");
	is_int((int)err.n_causes, 2, "two causes");
	pn_err_free(&err);
	json_decref(j);
	json_decref(warn.warnings);
}

/* NetworkPolicy: the server's defaults, kubectl's JSON, FormatLabelSelector,
 * a round trip through the store's JSON, examples/ parse. */
static void test_netpol(void)
{
	static const char text[] =
		"apiVersion: networking.k8s.io/v1\n"
		"kind: NetworkPolicy\n"
		"metadata: { name: web, namespace: x, labels: { tier: front } }\n"
		"spec:\n"
		"  podSelector:\n"
		"    matchLabels: { app: web, role: db }\n"
		"    matchExpressions:\n"
		"    - { key: env, operator: NotIn, values: [prod, dev] }\n"
		"    - { key: canary, operator: DoesNotExist }\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {}\n"
		"      podSelector: { matchLabels: { app: client } }\n"
		"    - ipBlock: { cidr: 10.0.0.0/8, except: [10.88.0.0/16] }\n"
		"    ports:\n"
		"    - port: http\n"
		"    - { protocol: UDP, port: 53, endPort: 54 }\n"
		"    - protocol: SCTP\n"
		"  - {}\n"
		"  egress:\n"
		"  - to: []\n";
	struct pn_object *o = NULL;
	struct pn_netpol *np, *back = NULL;
	struct pn_err err = { 0 };
	char *sel, *a = NULL, *b = NULL;
	size_t n = 0;
	json_t *j;

	if (parse(text, &o, &n, &err) < 0 || n != 1 || o[0].kind != PN_KIND_NETPOL) {
		ok(0, "a NetworkPolicy parses: %s", pn_err_msg(&err));
		pn_err_free(&err);
		manifest_objects_free(o, n);
		return;
	}
	np = o[0].np;
	ok(np->n_types == 2 && np->types[0] == PN_NP_INGRESS && np->types[1] == PN_NP_EGRESS,
	   "policyTypes default: Ingress, then Egress for egress rules");
	ok(np->n_ingress == 2 && np->ingress[1].n_peers == 0 && np->ingress[1].n_ports == 0,
	   "an empty rule has no peers and no ports");
	ok(np->n_egress == 1 && np->egress[0].n_peers == 0, "to: [] is no peers");
	ok(np->ingress[0].ports[0].protocol == PN_PROTO_TCP && !strcmp(np->ingress[0].ports[0].port_name, "http"),
	   "a named port, protocol defaulted to TCP");
	ok(np->ingress[0].ports[1].protocol == PN_PROTO_UDP && np->ingress[0].ports[1].port == 53 &&
		   np->ingress[0].ports[1].end_port == 54,
	   "a range");
	ok(np->ingress[0].ports[2].protocol == PN_PROTO_SCTP && !np->ingress[0].ports[2].has_port,
	   "a protocol without a port");
	ok(np->ingress[0].peers[0].ns_selector && pn_selector_is_empty(np->ingress[0].peers[0].ns_selector) &&
		   np->ingress[0].peers[0].pod_selector && !np->ingress[0].peers[0].ip_block,
	   "present-but-empty namespaceSelector is kept apart from absent");
	ok(np->ingress[0].peers[1].ip_block && np->ingress[0].peers[1].ip_block->n_except == 1,
	   "ipBlock with its except");
	sel = pn_selector_str(&np->pod_selector);
	is_str(sel, "app=web,!canary,env notin (dev,prod),role=db", "FormatLabelSelector: sorted by key, values sorted");
	free(sel);
	j = netpol_to_json(np);
	a = j ? json_dumps(j, JSON_COMPACT) : NULL;
	is_str(a,
	       "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"creationTimestamp\":null,"
	       "\"labels\":{\"tier\":\"front\"},\"name\":\"web\",\"namespace\":\"x\"},\"spec\":{\"egress\":[{}],"
	       "\"ingress\":[{\"from\":[{\"namespaceSelector\":{},\"podSelector\":{\"matchLabels\":{\"app\":\"client\"}}},"
	       "{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.88.0.0/16\"]}}],\"ports\":[{\"port\":\"http\","
	       "\"protocol\":\"TCP\"},{\"endPort\":54,\"port\":53,\"protocol\":\"UDP\"},{\"protocol\":\"SCTP\"}]},{}],"
	       "\"podSelector\":{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\",\"dev\"]},"
	       "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}],\"matchLabels\":{\"app\":\"web\",\"role\":\"db\"}},"
	       "\"policyTypes\":[\"Ingress\",\"Egress\"]}}",
	       "JSON as the server returns it: defaults filled in, keys sorted");
	if (j) {
		json_object_set_new(json_object_get(j, "metadata"), "generation", json_integer(3));
		json_object_set_new(json_object_get(j, "metadata"), "uid",
				    json_string("0b3c9d4e-5f60-4a71-8b92-a3b4c5d6e7f8"));
	}
	ok(j && netpol_from_json(j, &back, &err) == 0 && back->meta.generation == 3 && back->meta.uid,
	   "the store's reload keeps generation and uid");
	json_decref(j);
	j = back ? netpol_to_json(back) : NULL;
	b = j ? json_dumps(j, JSON_COMPACT) : NULL;
	ok(b && strstr(b, "\"generation\":3") && strstr(b, "\"policyTypes\":[\"Ingress\",\"Egress\"]"),
	   "and writes them back");
	json_decref(j);
	free(a);
	free(b);
	pn_netpol_free(back);
	pn_err_free(&err);
	manifest_objects_free(o, n);

	/* policyTypes given: kept as written, egress rules or not. */
	if (parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: e}\n"
		  "spec: {podSelector: {}, policyTypes: [Egress], ingress: [{}]}\n",
		  &o, &n, &err) == 0 && n == 1) {
		ok(o[0].np->n_types == 1 && o[0].np->types[0] == PN_NP_EGRESS &&
			   !strcmp(o[0].np->meta.namespace_, "default"),
		   "policyTypes [Egress] stays; namespace defaults to default");
		manifest_objects_free(o, n);
	} else {
		ok(0, "policyTypes [Egress] parses: %s", pn_err_msg(&err));
	}
	pn_err_free(&err);
}

int main(void)
{
	test_examples();
	test_multi_doc();
	test_json_and_list();
	test_yaml_and_defaults();
	test_yaml_limits();
	test_round_trip();
	test_yaml_emitter();
	test_bad_manifests();
	test_many_field_errors();
	test_decode_api();
	test_netpol();
	return tap_done();
}
