/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcni's runtime side: conflist loading, runtimeConfig injection, the
 * per-plugin config, the chain (ADD/DEL/CHECK/GC/STATUS/VERSION) against
 * fake plugins (shell scripts in a temp CNI_PATH that record stdin, env
 * and call order and print canned results), and the results cache file,
 * compared byte for byte with what libcni writes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cniclient.h"
#include "netns.h"
#include "tap.h"

static char tmp[256], bindir[300], cachedir[300], confdir[300];

static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *slurp(const char *fmt, ...)
{
	char path[1024], *buf = NULL;
	size_t len;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (pn_read_all(fd, &buf, &len) < 0)
		buf = NULL;
	close(fd);
	/* Drop one trailing newline: the fake plugins' echo adds it. */
	if (buf && len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

static void spit(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(s, f);
	fclose(f);
	chmod(path, mode);
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool exists(const char *fmt, ...)
{
	char path[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

static const char fake_plugin[] =
	"#!/bin/sh\n"
	"# Fake CNI plugin: records stdin/env/order, answers from files.\n"
	"d=$(dirname \"$0\"); n=$(basename \"$0\")\n"
	"cat >\"$d/$n.$CNI_COMMAND.stdin\"\n"
	"env | grep '^CNI_' | sort >\"$d/$n.$CNI_COMMAND.env\"\n"
	"echo \"$n $CNI_COMMAND\" >>\"$d/calls\"\n"
	"if [ -e \"$d/$n.fail.$CNI_COMMAND\" ]; then\n"
	"  echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"boom\",\"details\":\"canned\"}'; exit 1\n"
	"fi\n"
	"case $CNI_COMMAND in\n"
	"ADD) cat \"$d/$n.result\" ;;\n"
	"VERSION) echo '{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}' ;;\n"
	"esac\n";

static const char result_a[] =
	"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],"
	"\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}]}";
static const char result_b[] =
	"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],"
	"\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}],\"extra\":\"dropped\"}";

static void reset_calls(void)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/calls", bindir);
	unlink(p);
}

static void setup(void)
{
	char p[400];

	snprintf(tmp, sizeof(tmp), "/tmp/test_cniclient.XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(bindir, sizeof(bindir), "%s/bin", tmp);
	snprintf(cachedir, sizeof(cachedir), "%s/cache", tmp);
	snprintf(confdir, sizeof(confdir), "%s/net.d", tmp);
	mkdir(bindir, 0755);
	mkdir(confdir, 0755);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/fake-%c", bindir, 'a' + i);
		spit(p, fake_plugin, 0755);
	}
	snprintf(p, sizeof(p), "%s/fake-a.result", bindir);
	spit(p, result_a, 0644);
	snprintf(p, sizeof(p), "%s/fake-b.result", bindir);
	spit(p, result_b, 0644);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

/* ------------------------------------------------------------------ */

struct bad_case {
	const char *json;
	int code;
	const char *msg;
};

#define V "\"cniVersion\":\"1.0.0\""
#define N "\"name\":\"net1\""
#define P1 "\"plugins\":[{\"type\":\"x\"}]"

static const struct bad_case bad[] = {
	{ "{", PN_CNI_DECODE,
	  "t.conflist: invalid JSON: string or '}' expected near end of file (line 1 column 1)" },
	{ "[]", PN_CNI_INVALID_CONFIG, "t.conflist: expected a JSON object, got array" },
	{ "{" V "," P1 "}", PN_CNI_INVALID_CONFIG, "t.conflist: name: missing" },
	{ "{" V ",\"name\":5," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: name: expected a string, got integer" },
	{ "{" V ",\"name\":\"-bad\"," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: name: invalid network name \"-bad\" (must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$)" },
	{ "{" V ",\"name\":\"a/b\"," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: name: invalid network name \"a/b\" (must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$)" },
	{ "{" N "," P1 "}", PN_CNI_INVALID_CONFIG, "t.conflist: cniVersion: missing" },
	{ "{\"cniVersion\":1," N "," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: cniVersion: expected a string, got integer" },
	{ "{\"cniVersion\":\"0.2.0\"," N "," P1 "}", PN_CNI_INCOMPATIBLE_VERSION,
	  "t.conflist: cniVersion: unsupported version \"0.2.0\" (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)" },
	{ "{\"cniVersion\":\"2.0.0\"," N "," P1 "}", PN_CNI_INCOMPATIBLE_VERSION,
	  "t.conflist: cniVersion: unsupported version \"2.0.0\" (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)" },
	{ "{\"cniVersions\":\"1.0.0\"," N "," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: cniVersions: expected an array, got string" },
	{ "{\"cniVersions\":[1]," N "," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: cniVersions[0]: expected a string, got integer" },
	{ "{\"cniVersions\":[\"1.0.0\",\"1.0\"]," N "," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: cniVersions[1]: invalid version \"1.0\"" },
	{ "{\"cniVersions\":[\"9.0.0\"]," N "," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: cniVersion: missing" },
	{ "{" V "," N ",\"disableCheck\":1," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: disableCheck: expected a boolean, got integer" },
	{ "{" V "," N ",\"disableCheck\":\"yes\"," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: disableCheck: invalid value \"yes\"" },
	{ "{" V "," N ",\"disableGC\":[]," P1 "}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: disableGC: expected a boolean, got array" },
	{ "{" V "," N "}", PN_CNI_INVALID_CONFIG, "t.conflist: plugins: missing" },
	{ "{" V "," N ",\"plugins\":{}}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins: expected an array, got object" },
	{ "{" V "," N ",\"plugins\":[]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins: no plugins in list" },
	{ "{" V "," N ",\"plugins\":[1]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0]: expected an object, got integer" },
	{ "{" V "," N ",\"plugins\":[{}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].type: missing" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"x\"},{\"type\":3}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[1].type: expected a string, got integer" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"../../bin/sh\"}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].type: invalid plugin type \"../../bin/sh\"" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"\"}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].type: invalid plugin type \"\"" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"x\",\"name\":3}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].name: expected a string, got integer" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"x\",\"capabilities\":[]}]}", PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].capabilities: expected an object, got array" },
	{ "{" V "," N ",\"plugins\":[{\"type\":\"x\",\"capabilities\":{\"portMappings\":\"yes\"}}]}",
	  PN_CNI_INVALID_CONFIG,
	  "t.conflist: plugins[0].capabilities.portMappings: expected a boolean, got string" },
};

static void test_parse_bad(void)
{
	for (size_t i = 0; i < PN_ARRAY_SIZE(bad); i++) {
		struct cni_netlist *l = NULL;
		struct pn_err e = { 0 };
		int ret = cniclient_parse_conflist(bad[i].json, strlen(bad[i].json), "t.conflist", &l, &e);

		ok(ret < 0 && !l, "bad conflist %zu refused", i);
		is_str(pn_err_msg(&e), bad[i].msg, "bad conflist %zu: message", i);
		is_int(e.code, bad[i].code, "bad conflist %zu: code", i);
		pn_err_free(&e);
	}
}

static void test_parse_conf_bad(void)
{
	struct cni_netlist *l = NULL;
	struct pn_err e = { 0 };
	const char *c1 = "{" V "," N ",\"plugins\":[{\"type\":\"x\"}]}";
	const char *c2 = "{" V "," N ",\"type\":\"x\",\"capabilities\":{\"ips\":1}}";

	ok(cniclient_parse_conf(c1, strlen(c1), "t.conf", &l, &e) < 0, ".conf holding a list refused");
	is_str(pn_err_msg(&e), "t.conf: type: missing (a list with \"plugins\" belongs in a .conflist file)",
	       ".conf list: message says where lists go");
	ok(cniclient_parse_conf(c2, strlen(c2), "t.conf", &l, &e) < 0, ".conf bad capability refused");
	is_str(pn_err_msg(&e), "t.conf: capabilities.ips: expected a boolean, got integer",
	       ".conf error names the conf's own key");
	pn_err_free(&e);
}

static void test_parse_good(void)
{
	const char *s =
		"{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"disableCheck\":\"TRUE\",\"disableGC\":true,"
		"\"plugins\":[{\"type\":\"fake-a\",\"name\":\"first\"},"
		"{\"type\":\"fake-b\",\"capabilities\":{\"portMappings\":true,\"bandwidth\":false,\"mac\":true}}]}";
	const char *vs = "{\"cniVersion\":\"0.3.1\",\"cniVersions\":[\"0.4.0\",\"1.0.0\",\"9.9.9\"],"
			 "\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}";
	const char *conf = "{\"type\":\"bridge\",\"name\":\"n\",\"cniVersion\":\"1.0.0\"}";
	struct cni_netlist *l = NULL;
	struct pn_err e = { 0 };

	ok(cniclient_parse_conflist(s, strlen(s), "t", &l, &e) == 0, "good conflist parses (%s)", pn_err_msg(&e));
	if (l) {
		is_str(l->name, "net1", "name");
		is_int(l->version, CNI_V110, "cniVersion 1.1.0");
		ok(l->disable_check, "disableCheck \"TRUE\" read as true (libcni lowercases)");
		ok(l->disable_gc, "disableGC true");
		is_int(l->n_plugins, 2, "two plugins");
		is_str(l->plugins[0].name, "first", "plugin name kept");
		is_int(l->plugins[1].n_caps, 2, "only true capabilities kept");
		is_str(l->plugins[1].caps[0], "portMappings", "capability portMappings");
		is_str(l->plugins[1].caps[1], "mac", "capability mac");
		ok(l->len == strlen(s) && !memcmp(l->bytes, s, l->len), "list bytes are the input bytes");
	}
	cni_netlist_free(l);
	l = NULL;
	ok(cniclient_parse_conflist(vs, strlen(vs), "t", &l, &e) == 0, "cniVersions parses");
	if (l)
		is_int(l->version, CNI_V100, "highest cniVersions entry <= 1.1.0 wins over cniVersion");
	cni_netlist_free(l);
	l = NULL;
	ok(cniclient_parse_conf(conf, strlen(conf), "t.conf", &l, &e) == 0, ".conf wraps");
	if (l) {
		is_str(l->bytes,
		       "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"cniVersion\":\"1.0.0\","
		       "\"name\":\"n\",\"type\":\"bridge\"}]}",
		       ".conf wrapped as libcni's ConfListFromConf marshals it");
		is_int(l->n_plugins, 1, ".conf is a list of one");
	}
	cni_netlist_free(l);
	pn_err_free(&e);
}

static void test_load_dir(void)
{
	char p[600], d2[400];
	struct cni_netlist *l = NULL;
	struct pn_err e = { 0 };

	snprintf(p, sizeof(p), "%s/10-b.conflist", confdir);
	spit(p, "{\"name\":\"b\"}", 0644);
	snprintf(p, sizeof(p), "%s/30-c.conflist", confdir);
	spit(p, "{\"cniVersion\":\"1.0.0\",\"name\":\"c\",\"plugins\":[{\"type\":\"x\"}]}", 0644);
	snprintf(p, sizeof(p), "%s/20-a.conf", confdir);
	spit(p, "{\"cniVersion\":\"0.4.0\",\"name\":\"a\",\"type\":\"x\"}", 0644);
	snprintf(p, sizeof(p), "%s/05-z.txt", confdir);
	spit(p, "{\"cniVersion\":\"1.0.0\",\"name\":\"z\",\"plugins\":[{\"type\":\"x\"}]}", 0644);
	snprintf(p, sizeof(p), "%s/00-dir.conflist", confdir);
	mkdir(p, 0755);

	ok(cniclient_load_conflist(confdir, NULL, &l, &e) == 0, "load: a valid file is found");
	if (l) {
		is_str(l->name, "a", "load: first valid file in lexical order wins (10-b invalid skipped)");
		snprintf(p, sizeof(p), "%s/20-a.conf", confdir);
		is_str(l->source, p, "load: source names the file");
	}
	cni_netlist_free(l);
	l = NULL;
	ok(cniclient_load_conflist(confdir, "c", &l, &e) == 0 && l && !strcmp(l->name, "c"),
	   "load by name");
	cni_netlist_free(l);
	l = NULL;
	ok(cniclient_load_conflist(confdir, "zzz", &l, &e) < 0, "load: unknown name refused");
	snprintf(p, sizeof(p), "no net configuration with name \"zzz\" in %s", confdir);
	is_str(pn_err_msg(&e), p, "load: unknown name message (libcni's words)");
	snprintf(d2, sizeof(d2), "%s/empty", tmp);
	mkdir(d2, 0755);
	ok(cniclient_load_conflist(d2, NULL, &l, &e) == -ENOENT, "load: empty dir is -ENOENT");
	snprintf(p, sizeof(p), "no net configurations found in %s", d2);
	is_str(pn_err_msg(&e), p, "load: empty dir message");
	snprintf(d2, sizeof(d2), "%s/missing", tmp);
	ok(cniclient_load_conflist(d2, NULL, &l, &e) == -ENOENT, "load: missing dir is -ENOENT");
	snprintf(d2, sizeof(d2), "%s/onlybad", tmp);
	mkdir(d2, 0755);
	snprintf(p, sizeof(p), "%s/1.conflist", d2);
	spit(p, "{\"name\":\"b\"}", 0644);
	ok(cniclient_load_conflist(d2, NULL, &l, &e) < 0, "load: only invalid files: error");
	snprintf(p, sizeof(p), "%s/1.conflist: cniVersion: missing", d2);
	is_str(pn_err_msg(&e), p, "load: the invalid file's error names file and key");
	pn_err_free(&e);
}

/* ------------------------------------------------------------------ */

static struct cni_netlist *list_of(const char *s)
{
	struct cni_netlist *l = NULL;
	struct pn_err e = { 0 };

	if (cniclient_parse_conflist(s, strlen(s), "t", &l, &e) < 0) {
		printf("# cannot parse test list: %s\n", pn_err_msg(&e));
		exit(2);
	}
	pn_err_free(&e);
	return l;
}

static void test_build_conf(void)
{
	struct cni_netlist *l = list_of(
		"{\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"plugins\":["
		"{\"type\":\"fake-a\",\"name\":\"own\",\"cniVersion\":\"9\",\"runtimeConfig\":{\"keep\":1}},"
		"{\"type\":\"fake-b\",\"capabilities\":{\"portMappings\":true,\"bandwidth\":false,\"ips\":true},"
		"\"runtimeConfig\":{\"old\":1}},"
		"{\"type\":\"fake-b\",\"capabilities\":{\"mac\":true},\"runtimeConfig\":{\"old\":2}}]}");
	json_t *caps = json_loads("{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,"
				  "\"protocol\":\"tcp\"}],\"bandwidth\":{\"ingressRate\":1},"
				  "\"ips\":[\"10.1.0.9/24\"]}", 0, NULL);
	struct cniclient_rt rt = { .container_id = "c1", .ifname = "eth0", .capability_args = caps };
	struct cni_result *prev = NULL;
	json_t *pj = json_loads(result_a, 0, NULL);
	struct pn_err e = { 0 };
	char *c = NULL;
	size_t len;

	ok(cni_result_parse(pj, CNI_V_UNKNOWN, &prev, &e) == 0, "parse canned result");
	ok(cniclient_build_conf(l, 0, NULL, &rt, &c, &len, &e) == 0, "build plugin 0");
	is_str(c, "{\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"runtimeConfig\":{\"keep\":1},\"type\":\"fake-a\"}",
	       "plugin 0: list name/version forced, no capabilities so runtimeConfig untouched, no prevResult");
	free(c);
	ok(cniclient_build_conf(l, 1, prev, &rt, &c, &len, &e) == 0, "build plugin 1");
	is_str(c,
	       "{\"capabilities\":{\"bandwidth\":false,\"ips\":true,\"portMappings\":true},"
	       "\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"prevResult\":{\"cniVersion\":\"0.4.0\","
	       "\"dns\":{},\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],"
	       "\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0,"
	       "\"version\":\"4\"}]},\"runtimeConfig\":{\"ips\":[\"10.1.0.9/24\"],\"portMappings\":"
	       "[{\"containerPort\":80,\"hostPort\":8080,\"protocol\":\"tcp\"}]},\"type\":\"fake-b\"}",
	       "plugin 1: prevResult converted to 0.4.0, runtimeConfig = declared true capabilities only");
	free(c);
	ok(cniclient_build_conf(l, 2, NULL, &rt, &c, &len, &e) == 0, "build plugin 2");
	ok(c && strstr(c, "\"runtimeConfig\":{\"old\":2}"),
	   "plugin 2: declared capability without data leaves runtimeConfig as written");
	free(c);
	rt.capability_args = NULL;
	ok(cniclient_build_conf(l, 1, NULL, &rt, &c, &len, &e) == 0 && strstr(c, "{\"old\":1}"),
	   "no capability args: runtimeConfig as written");
	free(c);
	ok(cniclient_build_conf(l, 3, NULL, &rt, &c, &len, &e) < 0, "index out of range refused");
	json_decref(caps);
	json_decref(pj);
	cni_result_free(prev);
	cni_netlist_free(l);
	pn_err_free(&e);
}

/* ------------------------------------------------------------------ */

static const char chain[] =
	"{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"plugins\":[{\"type\":\"fake-a\"},"
	"{\"type\":\"fake-b\",\"capabilities\":{\"portMappings\":true}}]}";

static void test_chain(void)
{
	struct cni_netlist *l = list_of(chain);
	struct cniclient cc = { .cni_path = bindir, .cache_dir = cachedir };
	struct cniclient_kv kv[CNICLIENT_K8S_NARGS];
	json_t *caps = json_loads("{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80}]}", 0, NULL);
	struct cniclient_rt rt = { .container_id = "ctr1", .netns = "/run/netns/x", .ifname = "eth0",
				   .capability_args = caps };
	struct cniclient_cached *ce = NULL, *all = NULL;
	struct cni_result *res = NULL;
	struct pn_err e = { 0 };
	char *s, *want, *b64cmd;
	size_t n;

	cniclient_rt_k8s_args(&rt, kv, "default", "pod1", "ctr1", "uid-1");
	reset_calls();
	ok(cniclient_add(&cc, l, &rt, &res, &e) == 0, "ADD through the chain (%s)", pn_err_msg(&e));
	{
		struct cni_result *r2 = NULL;

		ok(cniclient_add(&cc, l, &rt, &r2, &e) == -EEXIST && !r2 && e.code == PN_E_EXISTS,
		   "second ADD of a cached attachment refused before any plugin runs");
	}
	ok(res && res->n_routes == 1 && res->n_ips == 1, "ADD returns the last plugin's result");
	s = slurp("%s/calls", bindir);
	is_str(s, "fake-a ADD\nfake-b ADD", "ADD runs the plugins in order");
	free(s);
	s = slurp("%s/fake-a.ADD.stdin", bindir);
	is_str(s, "{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"fake-a\"}",
	       "first plugin: no prevResult, no runtimeConfig (no capabilities)");
	free(s);
	s = slurp("%s/fake-b.ADD.stdin", bindir);
	is_str(s,
	       "{\"capabilities\":{\"portMappings\":true},\"cniVersion\":\"1.0.0\",\"name\":\"net1\","
	       "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"dns\":{},\"interfaces\":[{\"name\":\"eth0\","
	       "\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\","
	       "\"interface\":0}]},\"runtimeConfig\":{\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080}]},"
	       "\"type\":\"fake-b\"}",
	       "second plugin: prevResult = first's result, runtimeConfig.portMappings");
	free(s);
	s = slurp("%s/fake-b.ADD.env", bindir);
	want = NULL;
	if (asprintf(&want,
		     "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod1;"
		     "K8S_POD_INFRA_CONTAINER_ID=ctr1;K8S_POD_UID=uid-1\nCNI_COMMAND=ADD\n"
		     "CNI_CONTAINERID=ctr1\nCNI_IFNAME=eth0\nCNI_NETNS=/run/netns/x\nCNI_PATH=%s",
		     bindir) < 0)
		want = NULL;
	is_str(s, want, "plugin environment: CNI_* with the CRI's CNI_ARGS");
	free(s);
	free(want);

	/* The cache file, compared with what libcni's cacheAdd writes. */
	s = slurp("%s/results/net1-ctr1-eth0", cachedir);
	b64cmd = NULL;
	{
		char *b64 = NULL, cmd[600];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | base64 -w0", chain);
		p = popen(cmd, "r");
		if (p) {
			char buf[2048];
			size_t k = fread(buf, 1, sizeof(buf) - 1, p);

			buf[k] = '\0';
			b64 = strdup(buf);
			pclose(p);
		}
		if (asprintf(&b64cmd,
			     "{\"kind\":\"cniCacheV1\",\"containerId\":\"ctr1\",\"config\":\"%s\","
			     "\"ifName\":\"eth0\",\"networkName\":\"net1\",\"netns\":\"/run/netns/x\","
			     "\"cniArgs\":[[\"IgnoreUnknown\",\"1\"],[\"K8S_POD_NAMESPACE\",\"default\"],"
			     "[\"K8S_POD_NAME\",\"pod1\"],[\"K8S_POD_INFRA_CONTAINER_ID\",\"ctr1\"],"
			     "[\"K8S_POD_UID\",\"uid-1\"]],\"capabilityArgs\":{\"portMappings\":"
			     "[{\"containerPort\":80,\"hostPort\":8080}]},\"result\":{\"cniVersion\":\"1.0.0\","
			     "\"dns\":{},\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],"
			     "\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}],"
			     "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}]}}",
			     b64 ? b64 : "") < 0)
			b64cmd = NULL;
		free(b64);
	}
	is_str(s, b64cmd, "cache file: libcni's cachedInfo, config base64 of the list bytes");
	free(s);
	free(b64cmd);
	{
		char p[600];
		struct stat st;

		snprintf(p, sizeof(p), "%s/results/net1-ctr1-eth0", cachedir);
		ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "cache file mode 0600");
	}

	ok(cniclient_get_cached(cachedir, "net1", "ctr1", "eth0", &ce, &e) == 0, "get_cached");
	if (ce) {
		is_str(ce->network, "net1", "cached network");
		is_str(ce->netns, "/run/netns/x", "cached netns");
		is_str(cniclient_cached_arg(ce, "K8S_POD_NAME"), "pod1", "cached K8S_POD_NAME");
		is_str(cniclient_cached_arg(ce, "K8S_POD_NAMESPACE"), "default", "cached K8S_POD_NAMESPACE");
		ok(ce->result && ce->result->n_ips == 1, "cached result parsed");
		ok(ce->config && !strcmp(ce->config, chain), "cached config decodes to the list bytes");
	}
	cniclient_cached_free(ce);
	ok(cniclient_get_cached(cachedir, "net1", "nope", "eth0", &ce, &e) == -ENOENT, "get_cached: absent is -ENOENT");
	ok(cniclient_get_cached(cachedir, "net1", "../x", "eth0", &ce, &e) < 0, "get_cached: bad key refused");
	ok(cniclient_list_cache(cachedir, NULL, &all, &n, &e) == 0 && n == 1, "list_cache: one entry");
	cniclient_cached_free_all(all, n);
	ok(cniclient_list_cache(cachedir, "other", &all, &n, &e) == 0 && n == 0 && !all,
	   "list_cache filtered by container id");

	/* CHECK uses the cached result. */
	reset_calls();
	ok(cniclient_check(&cc, l, &rt, &e) == 0, "CHECK (%s)", pn_err_msg(&e));
	s = slurp("%s/calls", bindir);
	is_str(s, "fake-a CHECK\nfake-b CHECK", "CHECK in order");
	free(s);
	s = slurp("%s/fake-a.CHECK.stdin", bindir);
	ok(s && strstr(s, "\"prevResult\":{") && strstr(s, "\"routes\""),
	   "CHECK gets the cached (final) result as prevResult");
	free(s);

	/* DEL: reverse order, cached result, cache removed. */
	reset_calls();
	ok(cniclient_del(&cc, l, &rt, &e) == 0, "DEL (%s)", pn_err_msg(&e));
	s = slurp("%s/calls", bindir);
	is_str(s, "fake-b DEL\nfake-a DEL", "DEL in reverse order");
	free(s);
	s = slurp("%s/fake-a.DEL.stdin", bindir);
	ok(s && strstr(s, "\"prevResult\":{") && strstr(s, "\"routes\""), "DEL gets the cached result");
	free(s);
	ok(!exists("%s/results/net1-ctr1-eth0", cachedir), "DEL removed the cache file");
	reset_calls();
	ok(cniclient_del(&cc, l, &rt, &e) == 0, "DEL again without cache succeeds");
	s = slurp("%s/fake-a.DEL.stdin", bindir);
	ok(s && !strstr(s, "prevResult"), "DEL without cache: no prevResult");
	free(s);
	ok(cniclient_check(&cc, l, &rt, &e) < 0, "CHECK without cached result refused");
	ok(strstr(pn_err_msg(&e), "no cached result for network \"net1\"") != NULL, "CHECK without cache: message");

	/* A failing second plugin rolls the first back. */
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/fake-b.fail.ADD", bindir);
		spit(p, "", 0644);
		reset_calls();
		cni_result_free(res);
		res = NULL;
		ok(cniclient_add(&cc, l, &rt, &res, &e) < 0 && !res, "ADD with failing fake-b fails");
		is_str(pn_err_msg(&e), "plugin type=\"fake-b\" failed (add): fake-b: boom", "failure message as libcni's");
		is_int(e.code, 7, "plugin's error code kept");
		s = slurp("%s/calls", bindir);
		is_str(s, "fake-a ADD\nfake-b ADD\nfake-a DEL", "rollback: DEL of the plugins that succeeded");
		free(s);
		s = slurp("%s/fake-a.DEL.stdin", bindir);
		ok(s && strstr(s, "\"prevResult\":{\"cniVersion\":\"1.0.0\""),
		   "rollback DEL gets the last good result");
		free(s);
		ok(!exists("%s/results/net1-ctr1-eth0", cachedir), "failed ADD leaves no cache file");
		unlink(p);
	}

	/* Bad runtime config. */
	{
		struct cniclient_rt bad_rt = rt;

		bad_rt.container_id = "../etc";
		ok(cniclient_add(&cc, l, &bad_rt, &res, &e) < 0, "bad container ID refused");
		is_str(pn_err_msg(&e), "invalid container ID \"../etc\" (must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$)",
		       "bad container ID message");
		bad_rt = rt;
		bad_rt.ifname = "eth0:1";
		ok(cniclient_add(&cc, l, &bad_rt, &res, &e) < 0 && e.code == PN_CNI_INVALID_ENV,
		   "bad ifname refused");
	}
	{
		struct cni_netlist *l2 = list_of(
			"{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"plugins\":[{\"type\":\"fake-a\"},{\"type\":\"nope\"}]}");

		reset_calls();
		ok(cniclient_add(&cc, l2, &rt, &res, &e) < 0, "missing plugin fails");
		ok(strstr(pn_err_msg(&e), "plugin type=\"nope\" failed (add): failed to find plugin \"nope\" in path") != NULL,
		   "missing plugin message");
		s = slurp("%s/calls", bindir);
		is_str(s, "fake-a ADD\nfake-a DEL", "missing plugin: the first is rolled back");
		free(s);
		cni_netlist_free(l2);
	}
	cni_result_free(res);
	json_decref(caps);
	cni_netlist_free(l);
	pn_err_free(&e);
}

static void test_gc_status_validate(void)
{
	struct cni_netlist *l = list_of(
		"{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"plugins\":[{\"type\":\"fake-a\"},{\"type\":\"fake-b\"}]}");
	struct cniclient cc = { .cni_path = bindir, .cache_dir = cachedir };
	struct cniclient_rt r1 = { .container_id = "ctr1", .netns = "/run/netns/1", .ifname = "eth0" };
	struct cniclient_rt r2 = { .container_id = "ctr2", .netns = "/run/netns/2", .ifname = "eth0" };
	struct cni_attachment valid[] = { { .container_id = "ctr1", .ifname = "eth0" } };
	struct cni_result *res = NULL;
	struct pn_err e = { 0 };
	char *s;

	ok(cniclient_add(&cc, l, &r1, &res, &e) == 0, "ADD ctr1");
	cni_result_free(res);
	ok(cniclient_add(&cc, l, &r2, &res, &e) == 0, "ADD ctr2");
	cni_result_free(res);
	reset_calls();
	ok(cniclient_gc(&cc, l, valid, 1, &e) == 0, "GC (%s)", pn_err_msg(&e));
	s = slurp("%s/calls", bindir);
	is_str(s, "fake-b DEL\nfake-a DEL\nfake-a GC\nfake-b GC",
	       "GC: stale ctr2 deleted in reverse order, then GC per plugin");
	free(s);
	s = slurp("%s/fake-a.DEL.env", bindir);
	ok(s && strstr(s, "CNI_CONTAINERID=ctr2") && strstr(s, "CNI_NETNS=/run/netns/2"),
	   "stale DEL uses the cached container id and netns");
	free(s);
	ok(exists("%s/results/net1-ctr1-eth0", cachedir), "valid attachment's cache kept");
	ok(!exists("%s/results/net1-ctr2-eth0", cachedir), "stale attachment's cache removed");
	s = slurp("%s/fake-a.GC.stdin", bindir);
	is_str(s,
	       "{\"cni.dev/attachments\":[{\"containerID\":\"ctr1\",\"ifname\":\"eth0\"}],"
	       "\"cni.dev/valid-attachments\":[{\"containerID\":\"ctr1\",\"ifname\":\"eth0\"}],"
	       "\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"fake-a\"}",
	       "GC stdin carries cni.dev/valid-attachments (and the draft key)");
	free(s);
	s = slurp("%s/fake-a.GC.env", bindir);
	ok(s && strstr(s, "CNI_COMMAND=GC") && strstr(s, "CNI_CONTAINERID=\n"), "GC env: empty container id");
	free(s);

	reset_calls();
	ok(cniclient_status(&cc, l, &e) == 0, "STATUS");
	s = slurp("%s/calls", bindir);
	is_str(s, "fake-a STATUS\nfake-b STATUS", "STATUS every plugin in order");
	free(s);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/fake-a.fail.STATUS", bindir);
		spit(p, "", 0644);
		reset_calls();
		ok(cniclient_status(&cc, l, &e) < 0 && e.code == 7, "STATUS failure returns the plugin's code");
		s = slurp("%s/calls", bindir);
		is_str(s, "fake-a STATUS", "STATUS stops at the first failure");
		free(s);
		unlink(p);
	}
	ok(cniclient_validate(&cc, l, &e) == 0, "validate: plugins support 1.1.0 (%s)", pn_err_msg(&e));
	{
		struct cni_netlist *old = list_of(
			"{\"cniVersion\":\"0.3.1\",\"name\":\"net1\",\"disableCheck\":true,"
			"\"plugins\":[{\"type\":\"fake-a\"},{\"type\":\"nope\"}]}");
		struct cni_netlist *nogc = list_of(
			"{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"disableGC\":true,\"disableCheck\":true,"
			"\"plugins\":[{\"type\":\"fake-a\"}]}");
		struct cni_netlist *v100 = list_of(
			"{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"plugins\":[{\"type\":\"fake-a\"}]}");

		ok(cniclient_validate(&cc, old, &e) < 0, "validate: 0.3.1 not supported");
		is_str(pn_err_msg(&e), "plugin fake-a does not support config version \"0.3.1\"",
		       "validate: version message (libcni's words)");
		ok(strstr(pn_err_details_text(&e), "failed to find plugin \"nope\"") != NULL,
		   "validate: every plugin's problem reported");
		ok(cniclient_check(&cc, old, &r1, &e) < 0, "CHECK refused before 0.4.0");
		is_str(pn_err_msg(&e), "configuration version \"0.3.1\" does not support the CHECK command",
		       "CHECK version message (libcni's words)");
		reset_calls();
		ok(cniclient_gc(&cc, nogc, NULL, 0, &e) == 0 && !exists("%s/calls", bindir),
		   "disableGC: nothing runs");
		ok(cniclient_check(&cc, nogc, &r1, &e) == 0 && !exists("%s/calls", bindir),
		   "disableCheck: nothing runs");
		ok(cniclient_status(&cc, v100, &e) == 0 && !exists("%s/calls", bindir),
		   "STATUS before 1.1.0: nothing runs");
		ok(cniclient_gc(&cc, v100, NULL, 0, &e) == 0, "GC 1.0.0 list");
		s = slurp("%s/calls", bindir);
		is_str(s, "fake-a DEL", "GC before 1.1.0: stale DEL only, no plugin GC");
		free(s);
		cni_netlist_free(old);
		cni_netlist_free(nogc);
		cni_netlist_free(v100);
	}
	cni_netlist_free(l);
	pn_err_free(&e);
}

static void test_netns_name(void)
{
	char a[NETNS_NAME_MAX], b[NETNS_NAME_MAX];
	bool shape = true;

	ok(netns_new_name(a) == 0 && netns_new_name(b) == 0, "netns_new_name");
	is_int(strlen(a), 40, "cni- + 36-char UUID");
	for (int i = 4; i < 40; i++) {
		bool dash = i == 12 || i == 17 || i == 22 || i == 27;

		if (dash ? a[i] != '-' : !isxdigit((unsigned char)a[i]) || isupper((unsigned char)a[i]))
			shape = false;
	}
	ok(!strncmp(a, "cni-", 4) && shape, "8-4-4-4-12 lowercase hex: %s", a);
	ok(a[18] == '4' && strchr("89ab", a[23]), "RFC 4122 version 4, variant 10x");
	ok(strcmp(a, b) != 0, "two names differ");
}

/*
 * A plugin that exits without reading its stdin: the write of a config
 * larger than a pipe's buffer fails with EPIPE and raises SIGPIPE.  We must
 * live, and leave SIGPIPE as the program had it: not ignored, not blocked,
 * nothing pending (a library has no business changing it process-wide).
 */
static void test_sigpipe(void)
{
	size_t len = 1u << 20;
	char path[400], *conf = malloc(len);
	struct sigaction sa;
	sigset_t mask, pend;
	json_t *j = NULL;
	struct pn_err err = { 0 };
	int ret;

	snprintf(path, sizeof(path), "%s/pn-early-exit", bindir);
	spit(path, "#!/bin/sh\nexit 0\n", 0755);
	memset(conf, ' ', len);
	conf[0] = '{';
	conf[len - 1] = '}';
	ret = cniclient_exec(bindir, "pn-early-exit", "ADD", conf, len, &j, &err);
	sigaction(SIGPIPE, NULL, &sa);
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	sigpending(&pend);
	is_int(ret, 0, "a plugin that exits 0 without reading 1 MiB of stdin: success (%s)",
	       pn_err_msg(&err));
	ok(j == NULL, "  and no result");
	ok(sa.sa_handler == SIG_DFL, "  SIGPIPE is still SIG_DFL in the caller");
	ok(!sigismember(&mask, SIGPIPE) && !sigismember(&pend, SIGPIPE),
	   "  neither blocked nor pending");
	json_decref(j);
	free(conf);
	unlink(path);
	pn_err_free(&err);
}

int main(void)
{
	setup();
	test_parse_bad();
	test_parse_conf_bad();
	test_parse_good();
	test_load_dir();
	test_build_conf();
	test_chain();
	test_gc_status_validate();
	test_netns_name();
	test_sigpipe();
	teardown();
	return tap_done();
}
