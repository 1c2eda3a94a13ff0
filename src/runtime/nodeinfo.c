/* SPDX-License-Identifier: Apache-2.0 */
#include "nodeinfo.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "addr.h"
#include "cniclient.h"
#include "link.h"
#include "route.h"

static bool usable(const struct pn_cidr *c)
{
	const struct pn_ip *ip = &c->ip;

	if (ip->family == AF_INET)
		return ip->b[0] != 127 && !(ip->b[0] == 169 && ip->b[1] == 254);
	if (ip->family == AF_INET6)
		return !(ip->b[0] == 0xfe && (ip->b[1] & 0xc0) == 0x80) &&
		       !IN6_IS_ADDR_LOOPBACK(&ip->v6);
	return false;
}

/* The first usable address of @ifindex, IPv4 before IPv6. */
static bool first_address(struct nl_sock *s, int ifindex, char ip[PN_IP_STRLEN])
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct pn_err scratch = { 0 };

	for (size_t f = 0; f < 2; f++) {
		struct pn_cidr *a = NULL;
		size_t n = 0;
		bool found = false;

		if (addr_list(s, ifindex, families[f], &a, &n, &scratch) < 0) {
			pn_err_free(&scratch);
			continue;
		}
		for (size_t i = 0; i < n && !found; i++) {
			if (usable(&a[i])) {
				pn_ip_str(&a[i].ip, ip);
				found = true;
			}
		}
		free(a);
		if (found)
			return true;
	}
	return false;
}

int nodeinfo_address(char ip[PN_IP_STRLEN], struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct link_info *links = NULL;
	size_t nl = 0;
	int ret;

	ip[0] = '\0';
	ret = nl_open(&s, NETLINK_ROUTE, err);
	if (ret < 0)
		return ret;
	/* The default route's interface, as kubelet's ChooseHostInterface. */
	for (int fam = AF_INET; fam == AF_INET || fam == AF_INET6;
	     fam = fam == AF_INET ? AF_INET6 : -1) {
		struct route_spec *r = NULL;
		size_t n = 0;
		struct pn_err scratch = { 0 };

		if (route_list(&s, fam, 0, 0, &r, &n, &scratch) < 0) {
			pn_err_free(&scratch);
			continue;
		}
		for (size_t i = 0; i < n && !ip[0]; i++)
			if (r[i].dst.prefix == 0 && r[i].oif > 0)
				first_address(&s, r[i].oif, ip);
		free(r);
		if (ip[0])
			goto out;
	}
	/* No default route (an isolated node): any interface that is not
	 * the loopback, a bridge or a veth (the pod network's own). */
	ret = link_list(&s, &links, &nl, err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < nl && !ip[0]; i++) {
		if ((links[i].flags & IFF_LOOPBACK) || !strcmp(links[i].kind, "bridge") ||
		    !strcmp(links[i].kind, "veth"))
			continue;
		first_address(&s, links[i].ifindex, ip);
	}
	ret = 0;
out:
	free(links);
	nl_close(&s);
	return ret;
}

static void read_line(const char *path, char *buf, size_t n)
{
	if (pn_read_file(path, buf, n) < 0)
		buf[0] = '\0';
}

static void os_image(char *buf, size_t n)
{
	FILE *f = fopen("/etc/os-release", "re");
	char line[512];

	snprintf(buf, n, "Linux");
	if (!f)
		f = fopen("/usr/lib/os-release", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v, *end;

		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		v = line + 12;
		if (*v == '"' || *v == '\'')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == '\n' || end[-1] == '"' || end[-1] == '\''))
			*--end = '\0';
		snprintf(buf, n, "%s", v);
		break;
	}
	fclose(f);
}

static void pod_cidr(const char *dir, char *buf, size_t n)
{
	struct cni_netlist *l = NULL;
	struct pn_err scratch = { 0 };

	buf[0] = '\0';
	if (cniclient_load_conflist(dir, NULL, &l, &scratch) < 0) {
		pn_err_free(&scratch);
		return;
	}
	/* The first IPAM range of the chain: what pods get addresses from. */
	for (size_t i = 0; i < l->n_plugins && !buf[0]; i++) {
		json_t *ranges = json_object_get(json_object_get(l->plugins[i].raw, "ipam"), "ranges");
		json_t *subnet = json_object_get(json_array_get(json_array_get(ranges, 0), 0), "subnet");
		json_t *plain = json_object_get(json_object_get(l->plugins[i].raw, "ipam"), "subnet");

		if (json_is_string(subnet))
			snprintf(buf, n, "%s", json_string_value(subnet));
		else if (json_is_string(plain))
			snprintf(buf, n, "%s", json_string_value(plain));
	}
	cni_netlist_free(l);
}

int nodeinfo_get(struct nodeinfo *ni, const char *name, const char *ip, const char *cni_conf_dir,
		 const char *root, struct pn_err *err)
{
	struct utsname u;
	struct statvfs sv;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	int ret;

	memset(ni, 0, sizeof(*ni));
	if (name && *name) {
		snprintf(ni->name, sizeof(ni->name), "%s", name);
	} else {
		gethostname(ni->name, sizeof(ni->name) - 1);
		/* kubelet lower-cases the host name it registers under. */
		for (char *p = ni->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (ip && *ip) {
		struct pn_ip parsed;

		if (pn_ip_parse(ip, &parsed) < 0)
			return pn_error(err, PN_E_BAD_REQUEST, 0, "--node-ip %s is not an IP address",
					ip);
		pn_ip_str(&parsed, ni->ip);
	} else {
		ret = nodeinfo_address(ni->ip, err);
		if (ret < 0)
			return ret;
	}
	pod_cidr(cni_conf_dir, ni->pod_cidr, sizeof(ni->pod_cidr));
	ni->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	ni->memory_kib = pages > 0 && psize > 0 ? (int64_t)pages * psize / 1024 : 0;
	if (root && statvfs(root, &sv) == 0)
		ni->storage_kib = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize / 1024;
	os_image(ni->os_image, sizeof(ni->os_image));
	if (uname(&u) == 0) {
		snprintf(ni->kernel, sizeof(ni->kernel), "%s", u.release);
		snprintf(ni->arch, sizeof(ni->arch), "%s",
			 !strcmp(u.machine, "x86_64") ? "amd64"
			 : !strcmp(u.machine, "aarch64") ? "arm64" : u.machine);
	}
	read_line("/etc/machine-id", ni->machine_id, sizeof(ni->machine_id));
	read_line("/proc/sys/kernel/random/boot_id", ni->boot_id, sizeof(ni->boot_id));
	return 0;
}
