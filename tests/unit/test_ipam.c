/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lease store of podnet-ipam against a temp dataDir: allocation order,
 * requested addresses, exhaustion and reclaim, DEL with and without the
 * index, GC of half-made state, 16 concurrent processes, a process killed
 * mid-ADD, and the cost of one ADD/DEL.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cni.h"
#include "ipam.h"
#include "tap.h"

static char root[256];
static int conf_seq;

/* An ipam conf from JSON; dataDir is a fresh dir under root. */
static struct cni_ipam_conf *conf_new(const char *ranges_json, char *dir_out)
{
	struct cni_ipam_conf *c = calloc(1, sizeof(*c));
	char buf[2048], dir[512];
	struct pn_err err = { 0 };
	json_t *j;

	snprintf(dir, sizeof(dir), "%s/d%d", root, ++conf_seq);
	snprintf(buf, sizeof(buf),
		 "{\"type\":\"podnet-ipam\",\"dataDir\":\"%s\",\"ranges\":%s,"
		 "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}",
		 dir, ranges_json);
	j = json_loads(buf, 0, NULL);
	if (!j || cni_ipam_conf_parse(j, c, &err) < 0) {
		printf("# bad test conf %s: %s\n", buf, pn_err_msg(&err));
		exit(2);
	}
	json_decref(j);
	if (dir_out)
		strcpy(dir_out, dir);
	pn_err_free(&err);
	return c;
}

static struct pn_ip ipv(const char *s)
{
	struct pn_ip ip;

	if (pn_ip_parse(s, &ip) < 0)
		exit(2);
	return ip;
}

static struct pn_cidr cidrv(const char *s)
{
	struct pn_cidr c;

	if (pn_cidr_parse(s, &c) < 0)
		exit(2);
	return c;
}

static void conf_free(struct cni_ipam_conf *c)
{
	cni_ipam_conf_free(c);
	free(c);
}

/* ADD for (id, eth0); the first address as text in @ip (may be NULL). */
static int add(const struct cni_ipam_conf *c, const char *net, const char *id, const char *ifname,
	       const struct pn_ip *req, size_t n_req, char *ip, struct pn_err *err)
{
	struct ipam_request r = {
		.network = net, .container_id = id, .ifname = ifname ? ifname : "eth0",
		.netns = "/proc/self/ns/net", .requested = req, .n_requested = n_req,
	};
	struct cni_result *res = cni_result_new();
	int ret;

	pn_err_free(err);
	ret = ipam_add(c, &r, res, err);
	if (ip) {
		ip[0] = '\0';
		if (ret == 0 && res->n_ips)
			pn_ip_str(&res->ips[0].address.ip, ip);
	}
	cni_result_free(res);
	return ret;
}

static int del(const struct cni_ipam_conf *c, const char *net, const char *id)
{
	struct pn_err err = { 0 };
	int ret = ipam_del(c, net, id, "eth0", &err);

	if (ret < 0)
		printf("# del %s: %s\n", id, pn_err_msg(&err));
	pn_err_free(&err);
	return ret;
}

static bool exists(const char *dir, const char *net, const char *name)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, net, name);
	return access(p, F_OK) == 0;
}

static void write_file(const char *dir, const char *net, const char *name, const char *content)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, net, name);
	f = fopen(p, "w");
	if (!f) {
		printf("# cannot write %s\n", p);
		return;
	}
	fputs(content, f);
	fclose(f);
}

static void read_file(const char *dir, const char *net, const char *name, char *buf, size_t size)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, net, name);
	buf[0] = '\0';
	if (pn_read_file(p, buf, size) < 0)
		buf[0] = '\0';
}

/* Names in dir/net/sub, space-separated and sorted, for comparisons; a
 * directory that cannot be read says so, never "" (an empty one). */
static void ls(const char *dir, const char *net, const char *sub, char *out, size_t size)
{
	char p[1024], *names[256];
	struct dirent *de;
	size_t n = 0, len = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, net, sub);
	out[0] = '\0';
	d = opendir(p);
	if (!d) {
		snprintf(out, size, "(cannot read %s)", p);
		return;
	}
	while ((de = readdir(d)) && n < 256)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, size > len ? size - len : 0, "%s%s", i ? " " : "",
					names[i]);
		free(names[i]);
	}
}

/* A subnet with host bits set is refused, as host-local refuses it, in
 * both forms and both families, with code 7 and the network to use. */
static void test_host_bits(void)
{
	static const struct {
		const char *ipam, *msg;
	} cases[] = {
		{ "{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"10.252.8.5/24\"}]]}",
		  "ipam.ranges[0][0].subnet: 10.252.8.5/24 has host bits set: use 10.252.8.0/24" },
		{ "{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],"
		  "[{\"subnet\":\"fd00:1::/64\"},{\"subnet\":\"fd00:2::1/64\"}]]}",
		  "ipam.ranges[1][1].subnet: fd00:2::1/64 has host bits set: use fd00:2::/64" },
		{ "{\"type\":\"podnet-ipam\",\"subnet\":\"10.1.2.3/16\"}",
		  "ipam.subnet: 10.1.2.3/16 has host bits set: use 10.1.0.0/16" },
		{ "{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"10.0.0.1/31\"}]]}",
		  "ipam.ranges[0][0].subnet: network 10.0.0.1/31 too small" },
	};
	static const char *const good[] = { "10.252.8.0/24", "10.0.0.0/8", "0.0.0.0/0", "fd00::/64",
					     "10.0.0.4/30" };

	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++) {
		struct cni_ipam_conf c = { 0 };
		struct pn_err err = { 0 };
		json_t *j = json_loads(cases[i].ipam, 0, NULL);
		int ret = cni_ipam_conf_parse(j, &c, &err);

		ok(ret < 0 && err.code == PN_CNI_INVALID_CONFIG, "refused with code 7: %s", cases[i].ipam);
		ok(ret < 0 && !strncmp(pn_err_msg(&err), cases[i].msg, strlen(cases[i].msg)), "  %s",
		   cases[i].msg);
		if (ret < 0 && strncmp(pn_err_msg(&err), cases[i].msg, strlen(cases[i].msg)))
			printf("#   got: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		cni_ipam_conf_free(&c);
		json_decref(j);
	}
	for (size_t i = 0; i < PN_ARRAY_SIZE(good); i++) {
		struct cni_ipam_conf c = { 0 };
		struct pn_err err = { 0 };
		char buf[256];
		json_t *j;

		snprintf(buf, sizeof(buf), "{\"type\":\"podnet-ipam\",\"ranges\":[[{\"subnet\":\"%s\"}]]}",
			 good[i]);
		j = json_loads(buf, 0, NULL);
		ok(cni_ipam_conf_parse(j, &c, &err) == 0, "network address %s accepted (%s)", good[i],
		   pn_err_msg(&err));
		pn_err_free(&err);
		cni_ipam_conf_free(&c);
		json_decref(j);
	}
}

static void test_order_and_cursor(void)
{
	char dir[512], ip[PN_IP_STRLEN], buf[256];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.22.0.0/24\"}]]", dir);
	struct cni_result *res = cni_result_new();
	struct ipam_request r = { .network = "n1", .container_id = "c1", .ifname = "eth0",
				  .netns = "/proc/self/ns/net" };
	struct pn_err err = { 0 };
	int ret;

	ret = ipam_add(c, &r, res, &err);
	is_int(ret, 0, "first ADD succeeds (%s)", pn_err_msg(&err));
	is_int(res->n_ips, 1, "one address for one range set");
	pn_cidr_str(&res->ips[0].address, buf);
	is_str(buf, "10.22.0.2/24", "first address skips the gateway, carries the subnet prefix");
	is_str(pn_ip_str(&res->ips[0].gateway, ip), "10.22.0.1", "gateway is the range's");
	is_int(res->ips[0].iface, -1, "iface is -1");
	is_int(res->n_routes, 1, "routes of the conf are copied");
	cni_result_free(res);

	read_file(dir, "n1", "10.22.0.2", buf, sizeof(buf));
	ok(!strncmp(buf, "c1\neth0\n/proc/self/ns/net\n", 26), "lease names container, ifname, netns");
	read_file(dir, "n1", "by-attachment/c1-eth0", buf, sizeof(buf));
	ok(!strncmp(buf, "c1\neth0\n", 8) && strstr(buf, "\n10.22.0.2"),
	   "index names the attachment and its address");
	{
		char p1[1024], p2[1024];
		struct stat s1, s2;

		snprintf(p1, sizeof(p1), "%s/n1/10.22.0.2", dir);
		snprintf(p2, sizeof(p2), "%s/n1/by-attachment/c1-eth0", dir);
		ok(stat(p1, &s1) == 0 && stat(p2, &s2) == 0 && s1.st_ino == s2.st_ino &&
		   s1.st_nlink == 2, "lease and index are one inode: one file creation per ADD");
	}

	ret = add(c, "n1", "c2", NULL, NULL, 0, ip, &err);
	is_str(ip, "10.22.0.3", "second ADD takes the next address");
	read_file(dir, "n1", "last_reserved_ip.0", buf, sizeof(buf));
	is_str(buf, "10.22.0.3", "cursor records the last address");
	ok(del(c, "n1", "c1") == 0, "DEL c1");
	ok(!exists(dir, "n1", "10.22.0.2") && !exists(dir, "n1", "by-attachment/c1-eth0"),
	   "DEL removes lease and index");
	ret = add(c, "n1", "c3", NULL, NULL, 0, ip, &err);
	is_str(ip, "10.22.0.4", "allocation continues after the cursor, not at the freed address");

	ret = add(c, "n1", "c3", NULL, NULL, 0, ip, &err);
	ok(ret < 0 && err.code == PN_E_EXISTS, "ADD of an existing attachment: PN_E_EXISTS (%s)",
	   pn_err_msg(&err));
	ok(exists(dir, "n1", "10.22.0.4"), "and the existing lease is untouched");

	write_file(dir, "n1", "last_reserved_ip.0", "garbage\n");
	ret = add(c, "n1", "c4", NULL, NULL, 0, ip, &err);
	is_str(ip, "10.22.0.2", "garbage cursor: start from the range start again");

	ok(del(c, "n1", "c3") == 0 && del(c, "n1", "c3") == 0, "DEL is idempotent");
	ok(del(c, "never-used", "c3") == 0, "DEL on a network without a store: 0");
	ok(!exists(dir, "never-used", "lock"), "DEL does not create a store");
	conf_free(c);
	pn_err_free(&err);
}

static void test_two_sets_and_requested(void)
{
	char dir[512], ip[PN_IP_STRLEN], a[PN_CIDR_STRLEN], b[PN_CIDR_STRLEN], names[1024];
	struct cni_ipam_conf *c = conf_new(
		"[[{\"subnet\":\"10.30.0.0/24\"}],[{\"subnet\":\"fd00:30::/64\"}]]", dir);
	struct cni_result *res = cni_result_new();
	struct ipam_request r = { .network = "ds", .container_id = "dual", .ifname = "eth0",
				  .netns = "" };
	struct pn_err err = { 0 };
	struct pn_ip req[2];
	int ret;

	ret = ipam_add(c, &r, res, &err);
	is_int(ret, 0, "dual-stack ADD (%s)", pn_err_msg(&err));
	is_int(res->n_ips, 2, "two range sets: two addresses");
	if (res->n_ips == 2) {
		is_str(pn_cidr_str(&res->ips[0].address, a), "10.30.0.2/24", "v4 address");
		is_str(pn_cidr_str(&res->ips[1].address, b), "fd00:30::2/64", "v6 address");
	}
	ok(exists(dir, "ds", "fd00:30::2"), "v6 lease named as host-local names it");
	cni_result_free(res);

	req[0] = ipv("10.30.0.77");
	req[1] = ipv("fd00:30::77");
	ret = add(c, "ds", "want", NULL, req, 2, ip, &err);
	is_str(ip, "10.30.0.77", "requested v4 address honoured (%s)", pn_err_msg(&err));
	ok(exists(dir, "ds", "fd00:30::77"), "requested v6 address honoured");

	req[0] = ipv("10.30.0.50");
	ret = add(c, "ds", "other", NULL, &req[1], 1, ip, &err);
	ok(ret < 0 && err.code == PN_E_IPAM_CONFLICT, "requested address of another: conflict");
	ok(strstr(pn_err_msg(&err), "fd00:30::77") && strstr(pn_err_msg(&err), "want"),
	   "conflict names the address and its holder: %s", pn_err_msg(&err));
	ok(!exists(dir, "ds", "10.30.0.3") && !exists(dir, "ds", "by-attachment/other-eth0"),
	   "failed ADD rolled back the v4 lease taken before and its index");

	ret = add(c, "ds", "other", NULL, req, 2, ip, &err);
	ok(ret < 0 && err.code == PN_E_IPAM_CONFLICT && !exists(dir, "ds", "10.30.0.50"),
	   "conflict in the second set: first set's requested lease removed");

	req[0] = ipv("10.99.0.5");
	ret = add(c, "ds", "other", NULL, req, 1, ip, &err);
	ok(ret < 0 && strstr(pn_err_msg(&err), "10.99.0.5") && strstr(pn_err_msg(&err), "outside"),
	   "requested address outside every range: %s", pn_err_msg(&err));
	req[0] = ipv("10.30.0.1");
	ret = add(c, "ds", "other", NULL, req, 1, ip, &err);
	ok(ret < 0 && strstr(pn_err_msg(&err), "gateway"), "requested gateway refused: %s", pn_err_msg(&err));

	ls(dir, "ds", "", names, sizeof(names));
	is_str(names, "10.30.0.2 10.30.0.77 by-attachment fd00:30::2 fd00:30::77 "
		      "last_reserved_ip.0 last_reserved_ip.1 lock",
	       "after the failures the store holds just the two attachments");
	conf_free(c);
	pn_err_free(&err);
}

static void test_exhaustion_and_reclaim(void)
{
	char dir[512], ip[PN_IP_STRLEN], lease[256];
	struct cni_ipam_conf *c = conf_new(
		"[[{\"subnet\":\"10.40.0.0/24\",\"rangeStart\":\"10.40.0.2\",\"rangeEnd\":\"10.40.0.3\"}]]",
		dir);
	struct pn_err err = { 0 };
	int ret;

	ok(add(c, "ex", "a", NULL, NULL, 0, ip, &err) == 0 &&
	   add(c, "ex", "b", NULL, NULL, 0, ip, &err) == 0, "two ADDs fill a two-address range");
	ret = add(c, "ex", "c", NULL, NULL, 0, ip, &err);
	ok(ret < 0 && err.code == PN_E_IPAM_EXHAUSTED, "third ADD: exhausted");
	is_str(pn_err_msg(&err), "no IP addresses available in range set: 10.40.0.2-10.40.0.3",
	       "exhaustion message names the set like host-local");
	pn_err_free(&err);
	ret = ipam_status(c, "ex", &err);
	ok(ret == -ENOSPC && err.code == PN_CNI_NOT_AVAILABLE, "STATUS of a full set: -ENOSPC, 50");

	/* A lease of an earlier boot, and one whose netns is gone. */
	snprintf(lease, sizeof(lease), "old\neth0\n\n00000000-0000-0000-0000-000000000000\n%lld\n",
		 (long long)time(NULL) - 3600);
	write_file(dir, "ex", "10.40.0.2", lease);
	snprintf(lease, sizeof(lease), "gone\neth0\n/run/netns/podnet-test-nonexistent\n%s\n%lld\n",
		 "", (long long)time(NULL));
	write_file(dir, "ex", "10.40.0.3", lease);
	pn_err_free(&err);
	is_int(ipam_status(c, "ex", &err), 0, "STATUS counts reclaimable leases as free");
	ret = add(c, "ex", "c", NULL, NULL, 0, ip, &err);
	ok(ret == 0 && ip[0], "ADD reclaims a stale lease (%s: %s)", ip, pn_err_msg(&err));
	ret = add(c, "ex", "d", NULL, NULL, 0, ip, &err);
	ok(ret == 0 && ip[0], "and the other stale one (%s: %s)", ip, pn_err_msg(&err));
	ret = add(c, "ex", "e", NULL, NULL, 0, ip, &err);
	ok(ret < 0 && err.code == PN_E_IPAM_EXHAUSTED, "then exhausted again: live leases stay");
	conf_free(c);
	pn_err_free(&err);
}

static void test_del_without_index_and_crowd(void)
{
	char dir[512], ip[PN_IP_STRLEN], name[64], names[2048];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.50.0.0/24\"}]]", dir);
	struct pn_err err = { 0 };

	ok(add(c, "nx", "lost", NULL, NULL, 0, ip, &err) == 0, "ADD");
	{
		char p[1024];

		snprintf(p, sizeof(p), "%s/nx/by-attachment/lost-eth0", dir);
		unlink(p);
	}
	ok(del(c, "nx", "lost") == 0 && !exists(dir, "nx", ip), "DEL without the index scans and frees");

	/* Leases past the cursor: probing gives way to one directory read. */
	for (int i = 3; i < 60; i++) {
		snprintf(name, sizeof(name), "10.50.0.%d", i);
		write_file(dir, "nx", name, "someone\neth0\n");
	}
	ok(add(c, "nx", "late", NULL, NULL, 0, ip, &err) == 0, "ADD in a crowded range");
	is_str(ip, "10.50.0.60", "first free address after the crowd");
	read_file(dir, "nx", "by-attachment/late-eth0", names, sizeof(names));
	ok(strstr(names, "\n10.50.0.60") && !strstr(names, "10.50.0.4"),
	   "journal names the address taken, not the probed ones");

	/* Two attachments whose "<id>-<ifname>" spell the same index name. */
	ok(add(c, "nx", "a-b", "c", NULL, 0, ip, &err) == 0 &&
	   add(c, "nx", "a", "b-c", NULL, 0, name, &err) == 0,
	   "index name collision: both ADDs succeed");
	pn_err_free(&err);
	ok(ipam_del(c, "nx", "a", "b-c", &err) == 0 && !exists(dir, "nx", name) && exists(dir, "nx", ip),
	   "DEL of the one without index frees only its lease");
	ok(ipam_del(c, "nx", "a-b", "c", &err) == 0 && !exists(dir, "nx", ip) &&
	   !exists(dir, "nx", "by-attachment/a-b-c"), "DEL of the indexed one frees its lease");
	conf_free(c);
	pn_err_free(&err);
}

static void test_gc_check_list(void)
{
	char dir[512], ip1[PN_IP_STRLEN], ip2[PN_IP_STRLEN], ip3[PN_IP_STRLEN], names[1024];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.60.0.0/24\"}]]", dir);
	struct cni_attachment valid[] = { { .container_id = "keep", .ifname = "eth0" } };
	struct ipam_lease *leases = NULL;
	struct cni_ipconfig ipc = { 0 };
	struct pn_err err = { 0 };
	char **nets = NULL;
	size_t n = 0, freed = 0;

	ok(add(c, "gc", "keep", NULL, NULL, 0, ip1, &err) == 0 &&
	   add(c, "gc", "drop1", NULL, NULL, 0, ip2, &err) == 0 &&
	   add(c, "gc", "drop2", NULL, NULL, 0, ip3, &err) == 0, "three ADDs");

	ipc.address = cidrv("10.60.0.2/24");
	is_int(ipam_check(c, "gc", "keep", "eth0", &ipc, 1, &err), 0, "CHECK of a held address");
	ipc.address = cidrv("10.60.0.3/24");
	ok(ipam_check(c, "gc", "keep", "eth0", &ipc, 1, &err) < 0 && err.code == PN_E_CHECK,
	   "CHECK of another's address: PN_E_CHECK (%s)", pn_err_msg(&err));
	ipc.address = cidrv("10.60.0.99/24");
	ok(ipam_check(c, "gc", "keep", "eth0", &ipc, 1, &err) < 0 && strstr(pn_err_msg(&err), "10.60.0.99"),
	   "CHECK of a missing lease names it");

	write_file(dir, "gc", "10.60.0.200", "legacy\r\neth0");   /* host-local's format */
	write_file(dir, "gc", ".tmp.99999.deadbeef", "x\n");
	write_file(dir, "gc", "by-attachment/ghost-eth0", "ghost\neth0\n10.60.0.201\n");
	write_file(dir, "gc", "by-attachment/.tmp.1.2", "");

	ok(ipam_list(dir, "gc", &leases, &n, &err) == 0, "ipam_list");
	is_int(n, 4, "four leases listed");
	if (n == 4) {
		is_str(pn_ip_str(&leases[0].ip, ip1), "10.60.0.2", "sorted by address");
		is_str(leases[3].container_id, "legacy", "host-local lease read: id");
		is_str(leases[3].ifname, "eth0", "host-local lease read: ifname");
		ok(leases[3].created > 0, "host-local lease: age from the file");
		ok(!leases[0].stale && leases[0].created > 0 && leases[0].boot_id[0],
		   "fresh lease: not stale, with boot id and creation time");
	}
	free(leases);

	ok(ipam_gc(c, "gc", valid, 1, &freed, &err) == 0, "GC");
	is_int(freed, 3, "GC freed the three leases not valid");
	ls(dir, "gc", "", names, sizeof(names));
	is_str(names, "10.60.0.2 by-attachment last_reserved_ip.0 lock",
	       "GC kept the valid lease and removed temp files");
	ls(dir, "gc", "by-attachment", names, sizeof(names));
	is_str(names, "keep-eth0", "GC removed orphaned and freed indexes");
	ok(ipam_gc(c, "gc", NULL, 0, &freed, &err) == 0 && freed == 1, "GC with no valid: frees all");

	ok(ipam_list_networks(dir, &nets, &n, &err) == 0 && n == 1 && !strcmp(nets[0], "gc"),
	   "ipam_list_networks");
	for (size_t i = 0; i < n; i++)
		free(nets[i]);
	free(nets);
	ok(ipam_list(dir, "nope", &leases, &n, &err) < 0 && strstr(pn_err_msg(&err), "nope"),
	   "ipam_list of an unknown network names it");
	conf_free(c);
	pn_err_free(&err);
}

static void test_dns(void)
{
	char dir[512], rc[600], buf[4096];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.70.0.0/24\"}]]", dir);
	struct ipam_request r = { .network = "dns", .container_id = "x", .ifname = "eth0" };
	struct cni_result *res = cni_result_new();
	struct pn_err err = { 0 };
	FILE *f;

	snprintf(rc, sizeof(rc), "%s/resolv.conf", root);
	f = fopen(rc, "w");
	fputs("# comment\nnameserver 1.1.1.1\nnameserver 8.8.8.8\ndomain example.com\n"
	      "search a.example b.example\noptions ndots:5 edns0\n; other\n", f);
	fclose(f);
	c->resolv_conf = strdup(rc);
	is_int(ipam_add(c, &r, res, &err), 0, "ADD with resolvConf");
	ok(res->dns.n_nameservers == 2 && !strcmp(res->dns.nameservers[1], "8.8.8.8"), "nameservers");
	ok(res->dns.domain && !strcmp(res->dns.domain, "example.com"), "domain");
	ok(res->dns.n_search == 2 && res->dns.n_options == 2 &&
	   !strcmp(res->dns.options[0], "ndots:5"), "search and options");
	cni_result_free(res);

	free(c->resolv_conf);
	snprintf(buf, sizeof(buf), "%s/missing.conf", root);
	c->resolv_conf = strdup(buf);
	r.container_id = "y";
	res = cni_result_new();
	ok(ipam_add(c, &r, res, &err) < 0 && strstr(pn_err_msg(&err), "missing.conf"),
	   "missing resolvConf is an error naming it: %s", pn_err_msg(&err));
	ok(!exists(dir, "dns", "by-attachment/y-eth0"), "and allocates nothing");
	cni_result_free(res);
	conf_free(c);
	pn_err_free(&err);
}

static void test_concurrency(void)
{
	char dir[512], names[4096], buf[64];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.80.0.0/24\"}]]", dir);
	char got[16][PN_IP_STRLEN];
	int fds[16][2], distinct = 1, status, all_ok = 1;
	pid_t pids[16];

	for (int i = 0; i < 16; i++) {
		if (pipe(fds[i]) < 0)
			exit(2);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct pn_err err = { 0 };
			char id[32], ip[PN_IP_STRLEN];

			snprintf(id, sizeof(id), "par%d", i);
			if (add(c, "par", id, NULL, NULL, 0, ip, &err) < 0)
				snprintf(ip, sizeof(ip), "ERR");
			if (write(fds[i][1], ip, strlen(ip) + 1) < 0)
				_exit(1);
			_exit(0);
			pn_err_free(&err);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fds[i][0], got[i], sizeof(got[i]) - 1);

		got[i][n > 0 ? n : 0] = '\0';
		close(fds[i][0]);
		waitpid(pids[i], &status, 0);
		if (!got[i][0] || !strcmp(got[i], "ERR"))
			all_ok = 0;
	}
	for (int i = 0; i < 16; i++)
		for (int j = i + 1; j < 16; j++)
			if (!strcmp(got[i], got[j]))
				distinct = 0;
	ok(all_ok, "16 concurrent ADDs all succeed");
	ok(distinct, "16 concurrent ADDs got 16 distinct addresses");
	for (int i = 0; i < 16; i++) {
		snprintf(buf, sizeof(buf), "par%d", i);
		if (del(c, "par", buf) < 0)
			all_ok = 0;
	}
	ls(dir, "par", "", names, sizeof(names));
	is_str(names, "by-attachment last_reserved_ip.0 lock", "no lease left after 16 DELs");
	ls(dir, "par", "by-attachment", names, sizeof(names));
	is_str(names, "", "no index left after 16 DELs");
	conf_free(c);
}

static void test_killed_mid_add(void)
{
	char dir[512], names[8192];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.90.0.0/24\"}],"
					   "[{\"subnet\":\"fd00:90::/64\"}]]", dir);
	struct pn_err err = { 0 };
	size_t freed = 0;
	int status;

	/* Kill loops of add/del at assorted moments; whatever they leave,
	 * GC with no valid attachment must clean completely. */
	for (int round = 0; round < 12; round++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct pn_err e = { 0 };
			char id[32];

			for (unsigned k = 0;; k++) {
				snprintf(id, sizeof(id), "k%d-%u", round, k);
				if (add(c, "kill", id, NULL, NULL, 0, NULL, &e) == 0 && (k & 1))
					if (ipam_del(c, "kill", id, "eth0", &e) < 0)
						_exit(3);
			}
			pn_err_free(&e);
		}
		usleep(10000 + (useconds_t)round * 3500);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(ipam_gc(c, "kill", NULL, 0, &freed, &err) == 0, "GC after killed children (%s)", pn_err_msg(&err));
	ok(freed > 0, "GC freed the leases they left (%zu)", freed);
	ls(dir, "kill", "", names, sizeof(names));
	is_str(names, "by-attachment last_reserved_ip.0 last_reserved_ip.1 lock",
	       "only lock, cursors and the index dir remain");
	ls(dir, "kill", "by-attachment", names, sizeof(names));
	is_str(names, "", "index dir is empty");
	ok(add(c, "kill", "after", NULL, NULL, 0, NULL, &err) == 0, "store usable afterwards");
	conf_free(c);
	pn_err_free(&err);
}

static void test_perf(void)
{
	char dir[512], id[32];
	struct cni_ipam_conf *c = conf_new("[[{\"subnet\":\"10.100.0.0/16\"}]]", dir);
	struct pn_err err = { 0 };
	uint64_t t0, t_add, t_del;
	int fails = 0;

	t0 = pn_now_ns();
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "perf%d", i);
		if (add(c, "perf", id, NULL, NULL, 0, NULL, &err) < 0)
			fails++;
	}
	t_add = pn_now_ns() - t0;
	t0 = pn_now_ns();
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "perf%d", i);
		if (ipam_del(c, "perf", id, "eth0", &err) < 0)
			fails++;
	}
	t_del = pn_now_ns() - t0;
	is_int(fails, 0, "1000 ADDs and DELs in a /16");
	printf("# ipam_add %.1f us/op, ipam_del %.1f us/op (1000 ops, /16)\n",
	       (double)t_add / 1000 / 1e3, (double)t_del / 1000 / 1e3);
	conf_free(c);
	pn_err_free(&err);
}

int main(void)
{
	char cmd[300];

	snprintf(root, sizeof(root), "%s/test_ipam.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	test_host_bits();
	test_order_and_cursor();
	test_two_sets_and_requested();
	test_exhaustion_and_reclaim();
	test_del_without_index_and_crowd();
	test_gc_check_list();
	test_dns();
	test_concurrency();
	test_killed_mid_add();
	test_perf();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return tap_done();
}
