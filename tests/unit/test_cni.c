/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CNI protocol: versions, result encoding per version, result parsing,
 * network configuration (golden files in tests/data/ and bad inputs),
 * CNI_ARGS and the CNI_* environment, the error object.
 * Run from the top of the tree (tests/run.sh does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"
#include "tap.h"

#define HDR "\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"podnet-bridge\""
#define IPAM_V4(extra) \
	"\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"" extra "}]]}"

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

static struct cni_conf *load(const char *path, bool parse_ipam, struct pn_err *err)
{
	struct cni_conf *c = NULL;
	size_t len = 0;
	char *buf = slurp(path, &len);

	if (!buf) {
		printf("# cannot read %s (run from the top of the tree)\n", path);
		return NULL;
	}
	if (cni_conf_parse(buf, len, parse_ipam, &c, err) < 0) {
		printf("# %s: %s\n", path, pn_err_msg(err));
		c = NULL;
	}
	free(buf);
	return c;
}

/* A configuration that must fail with @code and a message containing @needle. */
static void bad_conf(const char *json, bool parse_ipam, int code, const char *needle)
{
	struct pn_err err = { 0 };
	struct cni_conf *c = NULL;
	int ret = cni_conf_parse(json, strlen(json), parse_ipam, &c, &err);

	is_int(ret < 0 ? err.code : 0, code, "bad conf rejected with code %d: %.*s", code,
	       (int)(strcspn(json, "\n") < 70 ? strcspn(json, "\n") : 70), json);
	ok(ret < 0 && strstr(pn_err_msg(&err), needle), "message names %s", needle);
	if (ret < 0 && !strstr(pn_err_msg(&err), needle))
		printf("#   message: %s\n", pn_err_msg(&err));
	if (getenv("TEST_VERBOSE") && ret < 0)
		printf("#   %s\n", pn_err_msg(&err));
	if (ret == 0)
		cni_conf_free(c);
	pn_err_free(&err);
}

static char *ipstr(const struct pn_ip *ip, char buf[PN_IP_STRLEN])
{
	return (char *)pn_ip_str(ip, buf);
}

static void test_versions(void)
{
	json_t *a;

	is_int(cni_version_parse("0.3.0"), CNI_V030, "0.3.0");
	is_int(cni_version_parse("0.3.1"), CNI_V031, "0.3.1");
	is_int(cni_version_parse("0.4.0"), CNI_V040, "0.4.0");
	is_int(cni_version_parse("1.0.0"), CNI_V100, "1.0.0");
	is_int(cni_version_parse("1.1.0"), CNI_V110, "1.1.0");
	is_int(cni_version_parse("0.2.0"), CNI_V_UNKNOWN, "0.2.0 not spoken");
	is_int(cni_version_parse("1.1"), CNI_V_UNKNOWN, "1.1 is not 1.1.0");
	is_int(cni_version_parse(NULL), CNI_V_UNKNOWN, "NULL");
	is_str(cni_version_str(CNI_V040), "0.4.0", "version_str 0.4.0");
	ok(cni_version_str(CNI_V_UNKNOWN) == NULL, "version_str unknown is NULL");
	a = cni_supported_versions();
	is_int(json_array_size(a), 5, "five supported versions");
	is_str(json_string_value(json_array_get(a, 4)), "1.1.0", "newest last");
	json_decref(a);
}

static struct cni_result *sample_result(void)
{
	struct cni_result *r = cni_result_new();
	struct pn_cidr a4, a6;
	struct pn_ip g4, g6;
	struct cni_route rt;
	int ifc;

	if (pn_cidr_parse("10.22.0.5/16", &a4) < 0 || pn_cidr_parse("fd00::5/64", &a6) < 0 ||
	    pn_ip_parse("10.22.0.1", &g4) < 0 || pn_ip_parse("fd00::1", &g6) < 0)
		abort();
	cni_result_add_iface(r, "podnet0", "0a:58:0a:16:00:01", NULL, 0);
	ifc = cni_result_add_iface(r, "eth0", "0a:58:0a:16:00:05", "/run/netns/cni-1", 1450);
	cni_result_add_ip(r, &a4, &g4, ifc);
	cni_result_add_ip(r, &a6, &g6, ifc);
	cni_route_init(&rt);
	if (pn_cidr_parse("0.0.0.0/0", &rt.dst) < 0)
		abort();
	rt.gw = g4;
	rt.mtu = 1400;
	rt.scope = 0;
	cni_result_add_route(r, &rt);
	r->dns.nameservers = calloc(1, sizeof(char *));
	r->dns.nameservers[0] = strdup("10.22.0.10");
	r->dns.n_nameservers = 1;
	return r;
}

static const char want_040[] =
	"{\"cniVersion\":\"0.4.0\","
	"\"interfaces\":[{\"name\":\"podnet0\",\"mac\":\"0a:58:0a:16:00:01\"},"
	"{\"name\":\"eth0\",\"mac\":\"0a:58:0a:16:00:05\",\"sandbox\":\"/run/netns/cni-1\"}],"
	"\"ips\":[{\"version\":\"4\",\"interface\":1,\"address\":\"10.22.0.5/16\",\"gateway\":\"10.22.0.1\"},"
	"{\"version\":\"6\",\"interface\":1,\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.22.0.1\"}],"
	"\"dns\":{\"nameservers\":[\"10.22.0.10\"]}}";

static const char want_110[] =
	"{\"cniVersion\":\"1.1.0\","
	"\"interfaces\":[{\"name\":\"podnet0\",\"mac\":\"0a:58:0a:16:00:01\"},"
	"{\"name\":\"eth0\",\"mac\":\"0a:58:0a:16:00:05\",\"mtu\":1450,\"sandbox\":\"/run/netns/cni-1\"}],"
	"\"ips\":[{\"interface\":1,\"address\":\"10.22.0.5/16\",\"gateway\":\"10.22.0.1\"},"
	"{\"interface\":1,\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.22.0.1\",\"mtu\":1400,\"scope\":0}],"
	"\"dns\":{\"nameservers\":[\"10.22.0.10\"]}}";

static bool json_eq_str(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	bool same = w && json_equal(got, w);

	if (!same) {
		char *g = json_dumps(got, JSON_COMPACT);

		printf("#   got  %s\n#   want %s\n", g, want);
		free(g);
	}
	json_decref(w);
	return same;
}

static void test_result_encode(void)
{
	struct cni_result *r = sample_result(), *empty = cni_result_new(), *back = NULL;
	struct cni_dns copy;
	struct pn_err err = { 0 };
	json_t *j, *ip0;

	j = cni_result_to_json(r, CNI_V040);
	ok(json_eq_str(j, want_040), "0.4.0 encoding exact");
	json_decref(j);

	j = cni_result_to_json(r, CNI_V030);
	ip0 = json_array_get(json_object_get(j, "ips"), 0);
	is_str(json_string_value(json_object_get(j, "cniVersion")), "0.3.0", "0.3.0 cniVersion");
	is_str(json_string_value(json_object_get(ip0, "version")), "4", "0.3.0 ips carry version");
	json_decref(j);

	j = cni_result_to_json(r, CNI_V100);
	ip0 = json_array_get(json_object_get(j, "ips"), 0);
	ok(!json_object_get(ip0, "version"), "1.0.0 ips carry no version");
	ok(!json_object_get(json_array_get(json_object_get(j, "interfaces"), 1), "mtu"),
	   "1.0.0 interfaces carry no mtu");
	ok(!json_object_get(json_array_get(json_object_get(j, "routes"), 0), "mtu"),
	   "1.0.0 routes carry no mtu");
	json_decref(j);

	j = cni_result_to_json(r, CNI_V110);
	ok(json_eq_str(j, want_110), "1.1.0 encoding exact (mtu, scope 0; no unset extras)");

	/* round trip: 1.1.0 parse -> encode */
	ok(cni_result_parse(j, CNI_V_UNKNOWN, &back, &err) == 0, "parse own 1.1.0 output");
	json_decref(j);
	if (back) {
		is_int(back->version, CNI_V110, "version taken from cniVersion");
		is_int(back->routes[0].scope, 0, "route scope 0 kept");
		is_int(back->routes[0].priority, 0, "unset priority stays 0");
		j = cni_result_to_json(back, CNI_V110);
		ok(json_eq_str(j, want_110), "1.1.0 round trip");
		json_decref(j);
		j = cni_result_to_json(back, CNI_V040);
		ok(json_eq_str(j, want_040), "1.1.0 -> 0.4.0 conversion");
		json_decref(j);
		cni_result_free(back);
		back = NULL;
	}

	j = json_loads(want_040, 0, NULL);
	ok(cni_result_parse(j, CNI_V040, &back, &err) == 0, "parse 0.4.0");
	json_decref(j);
	if (back) {
		j = cni_result_to_json(back, CNI_V040);
		ok(json_eq_str(j, want_040), "0.4.0 round trip");
		json_decref(j);
		cni_result_free(back);
	}

	j = cni_result_to_json(empty, CNI_V100);
	ok(json_eq_str(j, "{\"cniVersion\":\"1.0.0\",\"dns\":{}}"),
	   "empty result: no lists, dns {}");
	json_decref(j);
	ok(cni_result_to_json(empty, CNI_V_UNKNOWN) == NULL, "unknown version: no encoding");

	ok(cni_dns_copy(&copy, &r->dns) == 0 && copy.n_nameservers == 1 &&
		   strcmp(copy.nameservers[0], "10.22.0.10") == 0 && copy.nameservers[0] != r->dns.nameservers[0],
	   "dns deep copy");
	cni_dns_free(&copy);
	cni_result_free(r);
	cni_result_free(empty);
	pn_err_free(&err);
}

/* A result that must fail: code PN_CNI_DECODE and @needle in the message. */
static void bad_result(const char *json, enum cni_version v, const char *needle)
{
	struct pn_err err = { 0 };
	struct cni_result *r = NULL;
	json_t *j = json_loads(json, 0, NULL);
	int ret = cni_result_parse(j, v, &r, &err);

	is_int(ret < 0 ? err.code : 0, PN_CNI_DECODE, "bad result rejected: %.60s", json);
	ok(ret < 0 && strstr(pn_err_msg(&err), needle), "message names %s", needle);
	if (ret < 0 && !strstr(pn_err_msg(&err), needle))
		printf("#   message: %s\n", pn_err_msg(&err));
	if (!ret)
		cni_result_free(r);
	json_decref(j);
	pn_err_free(&err);
}

static void test_result_parse(void)
{
	struct pn_err err = { 0 };
	struct cni_result *r = NULL;
	json_t *j;

	bad_result("{\"ips\":[{\"address\":\"10.0.0.5/24\"},{\"address\":\"10.0.0.300/24\"}]}",
		   CNI_V100, "ips[1].address: \"10.0.0.300/24\" is not a CIDR");
	bad_result("{\"ips\":[{\"version\":\"6\",\"address\":\"10.0.0.5/24\"}]}", CNI_V040,
		   "ips[0].version");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":2}],"
		   "\"interfaces\":[{\"name\":\"eth0\"}]}",
		   CNI_V100, "ips[0].interface: index 2 out of range");
	bad_result("{\"ips\":[{\"gateway\":\"10.0.0.1\"}]}", CNI_V100, "ips[0].address: missing");
	bad_result("{\"ips\":[{\"address\":\"10.0.0.5/24\",\"gateway\":\"fd00::1\"}]}", CNI_V100,
		   "ips[0].gateway");
	bad_result("{\"routes\":{\"dst\":\"0.0.0.0/0\"}}", CNI_V100, "routes: expected an array");
	bad_result("{\"interfaces\":[{\"name\":5}]}", CNI_V100, "interfaces[0].name");
	bad_result("{\"ips\":[]}", CNI_V_UNKNOWN, "cniVersion: missing");

	/* 1.x ignores a stale "version" (libcni drops it when converting). */
	j = json_loads("{\"ips\":[{\"version\":\"6\",\"address\":\"10.0.0.5/24\"}]}", 0, NULL);
	ok(cni_result_parse(j, CNI_V100, &r, &err) == 0 && r->n_ips == 1 && r->ips[0].iface == -1,
	   "1.0.0: ips version ignored, no interface = -1");
	cni_result_free(r);
	json_decref(j);
	pn_err_free(&err);
}

static void test_conf_golden(void)
{
	struct pn_err err = { 0 };
	struct cni_conf *c;
	char b[PN_IP_STRLEN], n[PN_CIDR_STRLEN];
	json_t *j;

	c = load("tests/data/bridge-v4.conf", false, &err);
	ok(c != NULL, "bridge-v4.conf parses");
	if (c) {
		const struct cni_range *r = &c->ipam.sets[0].ranges[0];

		is_int(c->version, CNI_V110, "v4: cniVersion 1.1.0");
		is_str(c->name, "podnet", "v4: name");
		is_str(c->type, "podnet-bridge", "v4: type");
		is_str(c->bridge, "pn0", "v4: bridge");
		ok(c->is_gateway && c->ip_masq && !c->hairpin_mode && !c->is_default_gateway,
		   "v4: booleans");
		is_int(c->mtu, 1450, "v4: mtu");
		ok(c->has_ipam && c->ipam_raw, "v4: has ipam");
		is_str(c->ipam.type, "podnet-ipam", "v4: podnet-ipam parsed without parse_ipam");
		is_int(c->ipam.n_sets, 1, "v4: one range set");
		is_str(pn_cidr_str(&r->subnet, n), "10.22.0.0/16", "v4: subnet");
		is_str(ipstr(&r->start, b), "10.22.0.1", "v4: default rangeStart = network+1");
		is_str(ipstr(&r->end, b), "10.22.255.254", "v4: default rangeEnd before broadcast");
		is_str(ipstr(&r->gateway, b), "10.22.0.1", "v4: gateway");
		is_int(c->ipam.n_routes, 1, "v4: one ipam route");
		is_str(c->ipam.data_dir, "/run/podnet-test/ipam", "v4: dataDir");
		ok(c->dns.n_nameservers == 1 && c->dns.n_search == 2 && c->dns.n_options == 1,
		   "v4: dns");
		ok(!c->prev_result && !c->has_valid, "v4: no prevResult, no GC list");
		cni_conf_free(c);
	}

	c = load("tests/data/bridge-dual.conf", false, &err);
	ok(c != NULL, "bridge-dual.conf parses");
	if (c) {
		is_int(c->ipam.n_sets, 0, "dual: host-local ipam not parsed without parse_ipam");
		ok(c->has_ipam, "dual: has_ipam");
		ok(c->is_default_gateway && c->is_gateway, "dual: isDefaultGateway implies isGateway");
		ok(c->promisc_mode && !c->force_address, "dual: promiscMode, forceAddress");
		is_str(c->bridge, "podnet0", "dual: default bridge name");
		is_int(c->n_rc_ips, 2, "dual: runtimeConfig.ips");
		is_str(ipstr(&c->rc_ips[0], b), "10.88.0.20", "dual: runtimeConfig CIDR becomes IP");
		is_str(c->rc_mac, "aa:bb:cc:00:11:22", "dual: runtimeConfig.mac normalized");
		is_int(c->n_arg_ips, 1, "dual: args.cni.ips");
		ok(json_object_get(c->raw, "someVendorKey") != NULL, "dual: unknown key kept in raw");
		cni_conf_free(c);
	}
	c = load("tests/data/bridge-dual.conf", true, &err);
	ok(c != NULL, "bridge-dual.conf parses with parse_ipam");
	if (c) {
		const struct cni_range *r6 = &c->ipam.sets[1].ranges[0];

		is_int(c->ipam.n_sets, 2, "dual: two sets");
		is_int(c->ipam.sets[0].n, 2, "dual: two pools in the v4 set");
		is_str(ipstr(&r6->start, b), "fd00:88::1", "dual: v6 start");
		is_str(ipstr(&r6->end, b), "fd00:88::ffff:ffff:ffff:ffff", "dual: v6 end is last");
		is_str(c->ipam.resolv_conf, "/etc/resolv.conf", "dual: resolvConf kept as path");
		is_str(c->ipam.data_dir, "/var/lib/cni/networks", "dual: default dataDir");
		is_int(c->ipam.n_routes, 2, "dual: routes");
		ok(c->ipam.routes[0].gw.family == 0 && c->ipam.routes[1].gw.family == AF_INET6,
		   "dual: route gateways");
		cni_conf_free(c);
	}

	c = load("tests/data/bridge-legacy-subnet.conf", true, &err);
	ok(c != NULL, "bridge-legacy-subnet.conf parses");
	if (c) {
		const struct cni_range *r = &c->ipam.sets[0].ranges[0];

		is_int(c->version, CNI_V040, "legacy: 0.4.0");
		is_str(pn_cidr_str(&r->subnet, n), "10.1.2.0/24", "legacy: subnet");
		is_str(ipstr(&r->start, b), "10.1.2.100", "legacy: rangeStart");
		is_str(ipstr(&r->end, b), "10.1.2.199", "legacy: rangeEnd");
		is_str(ipstr(&r->gateway, b), "10.1.2.1", "legacy: default gateway");
		cni_conf_free(c);
	}

	c = load("tests/data/bridge-check.conf", false, &err);
	ok(c != NULL && c->prev_result, "bridge-check.conf parses with prevResult");
	if (c && c->prev_result) {
		is_int(c->prev_result->n_ifaces, 3, "check: prevResult interfaces");
		is_int(c->prev_result->ips[0].iface, 2, "check: ip on interface 2");
		j = cni_result_to_json(c->prev_result, CNI_V040);
		ok(json_equal(j, json_object_get(c->raw, "prevResult")),
		   "check: prevResult re-encodes identically");
		json_decref(j);
	}
	cni_conf_free(c);

	c = load("tests/data/gc.conf", false, &err);
	ok(c && c->has_valid && c->n_valid == 2 && strcmp(c->valid[1].container_id, "def456") == 0 &&
		   strcmp(c->valid[1].ifname, "net1") == 0,
	   "gc.conf: valid attachments");
	cni_conf_free(c);

	{
		static const char old[] = "{" HDR ",\"cni.dev/attachments\":[],\"isGateway\":null}";

		c = NULL;
		ok(cni_conf_parse(old, strlen(old), false, &c, &err) == 0 && c->has_valid &&
			   c->n_valid == 0 && !c->is_gateway,
		   "older cni.dev/attachments key; null means unset");
		cni_conf_free(c);
	}
	pn_err_free(&err);
}

static void test_conf_bad(void)
{
	static const char *const bools[] = { "isGateway", "isDefaultGateway", "forceAddress",
					     "ipMasq", "hairpinMode", "promiscMode" };
	char buf[512], needle[128];

	bad_conf("{\"cniVersion\": \"1.0.0\",\n \"name\": ", false, PN_CNI_DECODE, "line 2");
	bad_conf("[1, 2]", false, PN_CNI_DECODE, "expected an object");
	bad_conf("{\"name\":\"n\",\"type\":\"t\"}", false, PN_CNI_INVALID_CONFIG,
		 "cniVersion: missing");
	bad_conf("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"t\"}", false,
		 PN_CNI_INCOMPATIBLE_VERSION, "\"0.2.0\"");
	bad_conf("{\"cniVersion\":\"9.9.9\",\"name\":\"n\",\"type\":\"t\"}", false,
		 PN_CNI_INCOMPATIBLE_VERSION, "0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0");
	bad_conf("{\"cniVersion\":1,\"name\":\"n\",\"type\":\"t\"}", false, PN_CNI_INVALID_CONFIG,
		 "cniVersion: expected a string, got integer 1");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"my net\",\"type\":\"t\"}", false,
		 PN_CNI_INVALID_CONFIG, "name: \"my net\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"-net\",\"type\":\"t\"}", false,
		 PN_CNI_INVALID_CONFIG, "\"-net\"");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", false, PN_CNI_INVALID_CONFIG,
		 "type: missing");
	bad_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":[]}", false,
		 PN_CNI_INVALID_CONFIG, "type: expected a string, got array");
	for (size_t i = 0; i < PN_ARRAY_SIZE(bools); i++) {
		snprintf(buf, sizeof(buf), "{" HDR ",\"%s\":\"yes\"}", bools[i]);
		snprintf(needle, sizeof(needle), "%s: expected a boolean, got string \"yes\"",
			 bools[i]);
		bad_conf(buf, false, PN_CNI_INVALID_CONFIG, needle);
	}
	bad_conf("{" HDR ",\"ipMasq\":1}", false, PN_CNI_INVALID_CONFIG,
		 "ipMasq: expected a boolean, got integer 1");
	bad_conf("{" HDR ",\"mtu\":\"1500\"}", false, PN_CNI_INVALID_CONFIG,
		 "mtu: expected an integer, got string \"1500\"");
	bad_conf("{" HDR ",\"mtu\":1500.5}", false, PN_CNI_INVALID_CONFIG,
		 "mtu: expected an integer, got number 1500.5");
	bad_conf("{" HDR ",\"mtu\":50}", false, PN_CNI_INVALID_CONFIG, "mtu: 50");
	bad_conf("{" HDR ",\"mtu\":70000}", false, PN_CNI_INVALID_CONFIG, "mtu: 70000");
	bad_conf("{" HDR ",\"bridge\":\"br/0\"}", false, PN_CNI_INVALID_CONFIG, "\"br/0\"");
	bad_conf("{" HDR ",\"bridge\":\"abcdefghijklmnop\"}", false, PN_CNI_INVALID_CONFIG,
		 "\"abcdefghijklmnop\": interface name is longer than 15 bytes");
	bad_conf("{" HDR ",\"bridge\":\"..\"}", false, PN_CNI_INVALID_CONFIG, "\"..\"");
	bad_conf("{" HDR ",\"bridge\":5}", false, PN_CNI_INVALID_CONFIG,
		 "bridge: expected a string, got integer 5");
	bad_conf("{" HDR ",\"dns\":{\"nameservers\":[\"not-an-ip\"]}}", false,
		 PN_CNI_INVALID_CONFIG, "dns.nameservers[0]: \"not-an-ip\" is not an IP address");
	bad_conf("{" HDR ",\"dns\":[]}", false, PN_CNI_INVALID_CONFIG,
		 "dns: expected an object, got array");
	bad_conf("{" HDR ",\"dns\":{\"search\":[\"a\",7]}}", false, PN_CNI_INVALID_CONFIG,
		 "dns.search[1]: expected a string, got integer 7");
	bad_conf("{" HDR ",\"ipam\":\"host-local\"}", false, PN_CNI_INVALID_CONFIG,
		 "ipam: expected an object, got string \"host-local\"");
	bad_conf("{" HDR ",\"ipam\":{\"subnet\":\"10.0.0.0/24\"}}", false, PN_CNI_INVALID_CONFIG,
		 "ipam.type: missing");
	bad_conf("{" HDR ",\"ipam\":{\"type\":true}}", false, PN_CNI_INVALID_CONFIG,
		 "ipam.type: expected a string, got boolean true");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.0.0.0/33\"}]]}}",
		 true, PN_CNI_INVALID_CONFIG,
		 "ipam.ranges[0][0].subnet: \"10.0.0.0/33\" is not a CIDR");
	bad_conf("{" HDR "," IPAM_V4(",\"gateway\":\"10.1.0.1\"") "}", true, PN_CNI_INVALID_CONFIG,
		 "ipam.ranges[0][0].gateway: 10.1.0.1 is not in subnet 10.0.0.0/24");
	bad_conf("{" HDR "," IPAM_V4(",\"rangeStart\":\"10.0.0.200\",\"rangeEnd\":\"10.0.0.100\"") "}",
		 true, PN_CNI_INVALID_CONFIG,
		 "rangeStart 10.0.0.200 is after rangeEnd 10.0.0.100 in subnet 10.0.0.0/24");
	bad_conf("{" HDR "," IPAM_V4(",\"rangeStart\":\"fd00::5\"") "}", true,
		 PN_CNI_INVALID_CONFIG, "rangeStart: fd00::5 is not in subnet 10.0.0.0/24");
	bad_conf("{" HDR "," IPAM_V4(",\"rangeEnd\":\"10.0.0.x\"") "}", true,
		 PN_CNI_INVALID_CONFIG, "rangeEnd: \"10.0.0.x\" is not an IP address");
	/* the podnet-ipam type is parsed even without parse_ipam */
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"10.0.0.0/16\"}],"
		 "[{\"subnet\":\"10.0.5.0/24\"}]]}}",
		 false, PN_CNI_INVALID_CONFIG,
		 "ipam.ranges[0][0] 10.0.0.0/16 (10.0.0.1-10.0.255.254) overlaps range ipam.ranges[1][0]");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},"
		 "{\"subnet\":\"fd00::/64\"}]]}}",
		 true, PN_CNI_INVALID_CONFIG, "ipam.ranges[0]: mixes address families");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"10.0.0.0/31\"}}", true,
		 PN_CNI_INVALID_CONFIG, "ipam.subnet: network 10.0.0.0/31 too small");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"fd00::/127\"}}", true,
		 PN_CNI_INVALID_CONFIG, "fd00::/127 too small");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"10.0.0.0/24\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}}",
		 true, PN_CNI_INVALID_CONFIG, "both \"ranges\" and the single-range \"subnet\"");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\"}}", true, PN_CNI_INVALID_CONFIG,
		 "no IP ranges specified");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"ranges\":[[]]}}", true, PN_CNI_INVALID_CONFIG,
		 "ipam.ranges[0]: empty range set");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"ranges\":\"10.0.0.0/24\"}}", true,
		 PN_CNI_INVALID_CONFIG, "ipam.ranges: expected an array");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"rangeStart\":\"10.0.0.5\"}}", true,
		 PN_CNI_INVALID_CONFIG, "ipam.subnet: missing");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"10.0.0.0/24\",\"routes\":[{\"dst\":\"default\"}]}}",
		 true, PN_CNI_INVALID_CONFIG, "ipam.routes[0].dst: \"default\" is not a CIDR");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"10.0.0.0/24\",\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"fd00::1\"}]}}",
		 true, PN_CNI_INVALID_CONFIG, "ipam.routes[0].gw: fd00::1");
	bad_conf("{" HDR ",\"ipam\":{\"type\":\"x\",\"subnet\":\"10.0.0.0/24\",\"dataDir\":7}}", true,
		 PN_CNI_INVALID_CONFIG, "ipam.dataDir: expected a string, got integer 7");
	bad_conf("{" HDR ",\"runtimeConfig\":{\"mac\":\"zz:bb:cc:dd:ee:ff\"}}", false,
		 PN_CNI_INVALID_CONFIG, "runtimeConfig.mac: \"zz:bb:cc:dd:ee:ff\" is not a MAC");
	bad_conf("{" HDR ",\"runtimeConfig\":{\"ips\":[\"10.0.0.999\"]}}", false,
		 PN_CNI_INVALID_CONFIG, "runtimeConfig.ips[0]: \"10.0.0.999\"");
	bad_conf("{" HDR ",\"runtimeConfig\":{\"ips\":[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\","
		 "\"1.1.1.5\",\"1.1.1.6\",\"1.1.1.7\",\"1.1.1.8\",\"1.1.1.9\"]}}",
		 false, PN_CNI_INVALID_CONFIG, "runtimeConfig.ips: 9 addresses, at most 8");
	bad_conf("{" HDR ",\"runtimeConfig\":[]}", false, PN_CNI_INVALID_CONFIG,
		 "runtimeConfig: expected an object");
	bad_conf("{" HDR ",\"args\":{\"cni\":{\"ips\":[\"10.0.0.5\",\"nope\"]}}}", false,
		 PN_CNI_INVALID_CONFIG, "args.cni.ips[1]: \"nope\"");
	bad_conf("{" HDR ",\"prevResult\":{\"ips\":[{\"address\":\"10.0.0.5/24\"},"
		 "{\"address\":\"10.0.0.300/24\"}]}}",
		 false, PN_CNI_DECODE, "prevResult: ips[1].address: \"10.0.0.300/24\" is not a CIDR");
	bad_conf("{" HDR ",\"prevResult\":[]}", false, PN_CNI_DECODE,
		 "prevResult: expected an object");
	bad_conf("{" HDR ",\"prevResult\":{\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":0}]}}",
		 false, PN_CNI_DECODE, "prevResult: ips[0].interface: index 0 out of range");
	bad_conf("{" HDR ",\"cni.dev/valid-attachments\":[{\"ifname\":\"eth0\"}]}", false,
		 PN_CNI_INVALID_CONFIG, "cni.dev/valid-attachments[0].containerID: missing");
	bad_conf("{" HDR ",\"cni.dev/valid-attachments\":{}}", false, PN_CNI_INVALID_CONFIG,
		 "cni.dev/valid-attachments: expected an array");
}

static void test_ipam_direct(void)
{
	struct cni_ipam_conf ic = { 0 };
	struct pn_err err = { 0 };
	json_t *j = json_loads("{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"10.5.0.0/30\"}]],"
			       "\"routes\":[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.5.0.1\",\"priority\":10,\"table\":100}]}",
			       0, NULL);
	char b[PN_IP_STRLEN];

	ok(cni_ipam_conf_parse(j, &ic, &err) == 0, "ipam alone parses; /30 is allowed");
	is_str(ipstr(&ic.sets[0].ranges[0].end, b), "10.5.0.2", "/30: end before broadcast");
	ok(ic.routes[0].priority == 10 && ic.routes[0].table == 100 && ic.routes[0].scope == -1,
	   "ipam route 1.1 extras");
	cni_ipam_conf_free(&ic);
	json_decref(j);
	pn_err_free(&err);
}

static void bad_args(const char *s, const char *needle)
{
	struct cni_args a;
	struct pn_err err = { 0 };
	int ret = cni_args_parse(s, &a, &err);

	is_int(ret < 0 ? err.code : 0, PN_CNI_INVALID_ENV, "CNI_ARGS rejected: %s", s);
	ok(ret < 0 && strstr(pn_err_msg(&err), needle), "message names %s", needle);
	if (ret < 0 && !strstr(pn_err_msg(&err), needle))
		printf("#   message: %s\n", pn_err_msg(&err));
	cni_args_free(&a);
	pn_err_free(&err);
}

static void test_args(void)
{
	struct cni_args a;
	struct pn_err err = { 0 };
	char b[PN_IP_STRLEN];

	ok(cni_args_parse(NULL, &a, &err) == 0 && !a.k8s_pod_name && !a.n_ips, "NULL: no args");
	cni_args_free(&a);
	ok(cni_args_parse("", &a, &err) == 0, "empty: no args");
	cni_args_free(&a);

	ok(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
			  "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1;FOO=bar",
			  &a, &err) == 0,
	   "K8S args with IgnoreUnknown");
	is_str(a.k8s_pod_name, "web-0", "K8S_POD_NAME");
	is_str(a.k8s_pod_namespace, "default", "K8S_POD_NAMESPACE");
	is_str(a.k8s_pod_uid, "u-1", "K8S_POD_UID");
	is_str(a.k8s_pod_infra_container_id, "abc", "K8S_POD_INFRA_CONTAINER_ID");
	ok(a.ignore_unknown, "IgnoreUnknown set");
	cni_args_free(&a);

	ok(cni_args_parse("FOO=bar;IgnoreUnknown=TRUE", &a, &err) == 0,
	   "IgnoreUnknown anywhere, any case");
	cni_args_free(&a);
	ok(cni_args_parse("K8S_POD_NAME=a;K8S_POD_NAME=b", &a, &err) == 0 &&
		   strcmp(a.k8s_pod_name, "b") == 0,
	   "repeated key: last wins (libcni)");
	cni_args_free(&a);
	ok(cni_args_parse("IP=10.0.0.5, fd00::5;MAC=AA:bb:cc:dd:ee:0F", &a, &err) == 0 &&
		   a.n_ips == 2,
	   "IP list and MAC");
	is_str(ipstr(&a.ips[1], b), "fd00::5", "second IP");
	is_str(a.mac, "aa:bb:cc:dd:ee:0f", "MAC normalized");
	cni_args_free(&a);
	ok(cni_args_parse("IP=;MAC=", &a, &err) == 0 && a.n_ips == 0 && !a.mac[0],
	   "empty IP and MAC are unset");
	cni_args_free(&a);

	bad_args("FOO=bar;K8S_POD_NAME=x", "unknown key \"FOO\"");
	bad_args("FOO=bar;IgnoreUnknown=0", "\"FOO\"");
	bad_args("IgnoreUnknown=maybe", "\"maybe\" is not a boolean");
	bad_args("IP=10.0.0.5,10.0.0.256", "\"10.0.0.256\" is not an IP address");
	bad_args("IP=10.0.0.5,", "\"\" is not an IP address");
	bad_args("MAC=aa:bb:cc:dd:ee", "\"aa:bb:cc:dd:ee\" is not a MAC");
	bad_args("MAC=aa:bb-cc:dd:ee:ff", "\"aa:bb-cc:dd:ee:ff\"");
	bad_args("K8S_POD_NAME", "invalid pair \"K8S_POD_NAME\"");
	bad_args("K8S_POD_NAME=a=b", "invalid pair \"K8S_POD_NAME=a=b\"");
	bad_args("K8S_POD_NAME=a;", "invalid pair \"\"");
	bad_args("IP=1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9",
		 "more than 8");
	pn_err_free(&err);
}

static void env_reset(void)
{
	static const char *const vars[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
					    "CNI_IFNAME", "CNI_PATH", "CNI_ARGS" };

	for (size_t i = 0; i < PN_ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

static void env_add(void)
{
	env_reset();
	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "abc123", 1);
	setenv("CNI_NETNS", "/run/netns/cni-1", 1);
	setenv("CNI_IFNAME", "eth0", 1);
	setenv("CNI_PATH", "/opt/cni/bin", 1);
}

static void env_bad(const char *needle, const char *desc)
{
	struct cni_env env;
	struct pn_err err = { 0 };
	int ret = cni_env_from_environ(&env, &err);

	is_int(ret < 0 ? err.code : 0, PN_CNI_INVALID_ENV, "env rejected: %s", desc);
	ok(ret < 0 && strstr(pn_err_msg(&err), needle), "message: %s", needle);
	if (ret < 0 && !strstr(pn_err_msg(&err), needle))
		printf("#   message: %s\n", pn_err_msg(&err));
	cni_env_free(&env);
	pn_err_free(&err);
}

static void test_env(void)
{
	struct cni_env env;
	struct pn_err err = { 0 };

	env_reset();
	env_bad("CNI_COMMAND env variable missing", "no CNI_COMMAND");
	setenv("CNI_COMMAND", "FOO", 1);
	env_bad("unknown CNI_COMMAND: FOO", "unknown verb");
	setenv("CNI_COMMAND", "VERSION", 1);
	ok(cni_env_from_environ(&env, &err) == 0 && env.cmd == CNI_CMD_VERSION,
	   "VERSION needs nothing else");
	cni_env_free(&env);

	env_add();
	setenv("CNI_ARGS", "K8S_POD_NAME=web;IgnoreUnknown=1;X=y", 1);
	ok(cni_env_from_environ(&env, &err) == 0 && env.cmd == CNI_CMD_ADD, "ADD complete");
	is_str(env.ifname, "eth0", "ADD: ifname");
	is_str(env.args.k8s_pod_name, "web", "ADD: CNI_ARGS parsed");
	cni_env_free(&env);

	env_add();
	unsetenv("CNI_NETNS");
	env_bad("CNI_NETNS env variable missing", "ADD without netns");
	unsetenv("CNI_PATH");
	env_bad("CNI_NETNS, CNI_PATH env variables missing", "ADD without netns and path");
	env_add();
	setenv("CNI_COMMAND", "DEL", 1);
	unsetenv("CNI_NETNS");
	ok(cni_env_from_environ(&env, &err) == 0 && env.cmd == CNI_CMD_DEL && !env.netns,
	   "DEL without netns");
	cni_env_free(&env);
	setenv("CNI_COMMAND", "CHECK", 1);
	env_bad("CNI_NETNS env variable missing", "CHECK without netns");

	env_add();
	setenv("CNI_IFNAME", "eth0/x", 1);
	env_bad("CNI_IFNAME \"eth0/x\": interface name contains '/'", "ifname with /");
	setenv("CNI_IFNAME", "eth0:1", 1);
	env_bad("CNI_IFNAME \"eth0:1\": interface name contains ':'", "ifname with :");
	setenv("CNI_IFNAME", "a b", 1);
	env_bad("\"a b\": interface name contains whitespace", "ifname with space");
	setenv("CNI_IFNAME", "..", 1);
	env_bad("\"..\"", "ifname ..");
	setenv("CNI_IFNAME", "abcdefghijklmnop", 1);
	env_bad("longer than 15", "ifname of 16 bytes");
	setenv("CNI_IFNAME", "abcdefghijklmno", 1);
	ok(cni_env_from_environ(&env, &err) == 0, "ifname of 15 bytes accepted");
	cni_env_free(&env);

	env_add();
	setenv("CNI_CONTAINERID", "-abc", 1);
	env_bad("CNI_CONTAINERID \"-abc\"", "container id starting with -");
	setenv("CNI_CONTAINERID", "ab/c", 1);
	env_bad("CNI_CONTAINERID \"ab/c\"", "container id with /");

	env_add();
	setenv("CNI_ARGS", "FOO=1", 1);
	env_bad("unknown key \"FOO\"", "bad CNI_ARGS");

	env_reset();
	setenv("CNI_COMMAND", "GC", 1);
	env_bad("CNI_PATH env variable missing", "GC without path");
	setenv("CNI_PATH", "/opt/cni/bin", 1);
	setenv("CNI_IFNAME", "bad/name", 1);
	ok(cni_env_from_environ(&env, &err) == 0 && env.cmd == CNI_CMD_GC,
	   "GC needs only CNI_PATH");
	cni_env_free(&env);
	setenv("CNI_COMMAND", "STATUS", 1);
	ok(cni_env_from_environ(&env, &err) == 0 && env.cmd == CNI_CMD_STATUS, "STATUS");
	cni_env_free(&env);
	env_reset();
	pn_err_free(&err);
}

static json_t *print_error(enum cni_version v, const struct pn_err *e, bool *nl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j;

	cni_error_print(f, v, e);
	fclose(f);
	*nl = len > 0 && buf[len - 1] == '\n';
	j = json_loads(buf, 0, NULL);
	free(buf);
	return j;
}

static void test_print(void)
{
	struct pn_err e = { 0 };
	bool nl = false;
	json_t *j;

	(void)pn_error(&e, PN_CNI_INVALID_CONFIG, 0, "mtu: 50 is not 0 (kernel default) or 68..65535");
	j = print_error(CNI_V040, &e, &nl);
	ok(nl && json_eq_str(j, "{\"cniVersion\":\"0.4.0\",\"code\":7,"
				"\"msg\":\"mtu: 50 is not 0 (kernel default) or 68..65535\"}"),
	   "error object, no empty details, newline");
	json_decref(j);

	(void)pn_error(&e, PN_E_KERNEL, EEXIST, "bridge \"pn0\": cannot create");
	j = print_error(CNI_V_UNKNOWN, &e, &nl);
	is_str(json_string_value(json_object_get(j, "cniVersion")), "1.1.0",
	       "unknown version: newest");
	is_int(json_integer_value(json_object_get(j, "code")), 100, "podnet code kept");
	is_str(json_string_value(json_object_get(j, "details")), strerror(EEXIST),
	       "details printed");
	json_decref(j);

	(void)pn_error(&e, PN_CNI_INVALID_CONFIG, 0, "bad byte \xff here");
	j = print_error(CNI_V100, &e, &nl);
	is_str(json_string_value(json_object_get(j, "msg")), "bad byte ? here",
	       "invalid UTF-8 still prints");
	json_decref(j);
	pn_err_free(&e);
}

int main(void)
{
	test_versions();
	test_result_encode();
	test_result_parse();
	test_conf_golden();
	test_conf_bad();
	test_ipam_direct();
	test_args();
	test_env();
	test_print();
	return tap_done();
}
