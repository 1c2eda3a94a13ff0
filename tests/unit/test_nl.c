/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Netlink layer, links, addresses, routes, netns helpers.
 *
 * Pure tests first (request building, parsing), then kernel tests that run
 * only in throwaway network namespaces:
 *
 *   test process ── fork ── "node"  (unshare CLONE_NEWNET)
 *                              │  pnbr0 (bridge, 10.22.0.1/24)
 *                              │    └─ pnv0 ══ veth ══ eth0 ── "pod" (a grandchild's
 *                              │                 10.22.0.5/24   netns, unshared too)
 *                              │                 fd00:22::5/64
 *                              │                 default via 10.22.0.1 / fd00:22::1
 *
 * The node reports its TAP counters to the parent through a pipe; the
 * machine's own namespace is never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "link.h"
#include "netns.h"
#include "sysctl.h"
#include "nl.h"
#include "route.h"
#include "tap.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; clashes with net/if.h */
#endif

static void skip(int n, const char *why)
{
	while (n-- > 0) {
		tap_n++;
		printf("ok %d # SKIP %s\n", tap_n, why);
	}
}

/* ---------------------------------------------------------------- pure */

static void test_build(void)
{
	char buf[256];
	struct nl_req r;
	struct ifinfomsg *ifi;
	struct nlattr *tb[IFLA_MAX + 1], *nest;
	size_t base;

	nl_req_init(&r, buf, sizeof(buf), RTM_NEWLINK, NLM_F_CREATE, sizeof(*ifi), (void **)&ifi);
	ok(ifi == NLMSG_DATA(r.h), "family header follows nlmsghdr");
	is_int(r.h->nlmsg_len, NLMSG_SPACE(sizeof(*ifi)), "empty request length");
	base = r.h->nlmsg_len;
	is_int(nl_put_u32(&r, IFLA_MTU, 1400), 0, "put u32");
	is_int(r.h->nlmsg_len, base + 8, "u32 attribute is 8 bytes");
	is_int(nl_put_str(&r, IFLA_IFNAME, "abc"), 0, "put str");
	is_int(r.h->nlmsg_len, base + 16, "\"abc\" attribute padded to 8 bytes");
	is_int(nl_put_u8(&r, IFLA_OPERSTATE, 6), 0, "put u8");
	nest = nl_nest_start(&r, IFLA_LINKINFO);
	ok(nest != NULL, "nest start");
	is_int(nl_put_str(&r, IFLA_INFO_KIND, "veth"), 0, "put inside nest");
	is_int(nl_put_u16(&r, IFLA_INFO_DATA, 7), 0, "put u16 inside nest");
	nl_nest_end(&r, nest);
	is_int(nest->nla_len, 4 + 12 + 8, "nest length covers its children");
	ok(nest->nla_type & NLA_F_NESTED, "nest carries NLA_F_NESTED");

	nl_parse_msg(tb, IFLA_MAX, r.h, sizeof(*ifi));
	is_int(nl_get_u32(tb[IFLA_MTU]), 1400, "parse back u32");
	is_str(nl_get_str(tb[IFLA_IFNAME]), "abc", "parse back str");
	is_int(nl_get_u8(tb[IFLA_OPERSTATE]), 6, "parse back u8");
	ok(tb[IFLA_LINKINFO] != NULL, "nest found with NLA_F_NESTED masked");
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *li[IFLA_INFO_MAX + 1];

		nl_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
		is_str(nl_get_str(li[IFLA_INFO_KIND]), "veth", "parse nested str");
		ok(li[IFLA_INFO_DATA] && nl_len(li[IFLA_INFO_DATA]) == 2, "parse nested u16 length");
	}
}

static void test_overflow(void)
{
	char buf[NLMSG_SPACE(sizeof(struct rtmsg)) + 8];
	char small[8];
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err err = { 0 };
	struct rtmsg *rtm;
	struct nl_req r;
	uint32_t len;
	void *hdr = &err;

	nl_req_init(&r, buf, sizeof(buf), RTM_NEWROUTE, 0, sizeof(*rtm), (void **)&rtm);
	is_int(nl_put_u32(&r, RTA_OIF, 1), 0, "first attribute fits");
	len = r.h->nlmsg_len;
	is_int(nl_put_u32(&r, RTA_TABLE, 1), -EMSGSIZE, "second attribute: -EMSGSIZE");
	is_int(r.h->nlmsg_len, len, "failed put leaves the request unchanged");
	ok(nl_nest_start(&r, RTA_METRICS) == NULL, "nest start on a full buffer: NULL");
	is_int(nl_put(&r, RTA_DST, buf, 70000), -EMSGSIZE, "attribute larger than 64 KiB refused");

	nl_req_init(&r, small, sizeof(small), RTM_NEWROUTE, 0, sizeof(*rtm), &hdr);
	ok(hdr == NULL, "buffer smaller than the headers: no family header");
	is_int(nl_put_u8(&r, RTA_OIF, 1), -EMSGSIZE, "puts fail on that request");
	is_int(nl_talk(&s, &r, "oversized request", &err), -EMSGSIZE,
	       "nl_talk refuses it before sending");
	is_int(err.code, PN_E_KERNEL, "error filled");
	pn_err_free(&err);
}

static void test_parse_handmade(void)
{
	/* An RTM_NEWADDR as the kernel would send it, built byte by byte:
	 * IFA_ADDRESS 10.0.0.1, IFA_LABEL "eth0", a truncated last attribute. */
	union {
		char b[128];
		struct nlmsghdr h;
	} m;
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;
	struct nlattr *a;
	char *p;

	memset(&m, 0, sizeof(m));
	m.h.nlmsg_type = RTM_NEWADDR;
	ifa = NLMSG_DATA(&m.h);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	p = (char *)NLMSG_DATA(&m.h) + NLMSG_ALIGN(sizeof(*ifa));
	a = (struct nlattr *)p;
	a->nla_type = IFA_ADDRESS;
	a->nla_len = 8;
	memcpy(p + 4, "\x0a\x00\x00\x01", 4);
	p += 8;
	a = (struct nlattr *)p;
	a->nla_type = IFA_LABEL;
	a->nla_len = 9;
	memcpy(p + 4, "eth0", 5);
	p += 12;
	a = (struct nlattr *)p;
	a->nla_type = IFA_CACHEINFO;
	a->nla_len = 40; /* claims more than the message holds */
	p += 8;
	m.h.nlmsg_len = (uint32_t)(p - m.b);

	nl_parse_msg(tb, IFA_MAX, &m.h, sizeof(*ifa));
	ok(tb[IFA_ADDRESS] && nl_len(tb[IFA_ADDRESS]) == 4 &&
	   memcmp(nl_data(tb[IFA_ADDRESS]), "\x0a\x00\x00\x01", 4) == 0, "hand-made: address");
	is_str(nl_get_str(tb[IFA_LABEL]), "eth0", "hand-made: label");
	ok(tb[IFA_CACHEINFO] == NULL, "hand-made: truncated attribute ignored");

	/* A string attribute without its NUL is not a string. */
	a = tb[IFA_LABEL];
	a->nla_len = 8;
	ok(nl_get_str(a) == NULL, "unterminated string: NULL");
	ok(nl_get_u32(a) != 0 && nl_get_u32(NULL) == 0, "nl_get_u32 tolerates NULL");
}

static void test_mac_and_misc(void)
{
	unsigned char mac[6];
	char s[18];
	struct route_spec rs;
	struct pn_err err = { 0 };
	int fd;

	is_int(link_mac_parse("02:AB:cd:00:11:ff", mac), 0, "mac parse");
	link_mac_str(mac, s);
	is_str(s, "02:ab:cd:00:11:ff", "mac string");
	is_int(link_mac_parse("02:ab:cd:00:11", mac), -EINVAL, "short mac refused");
	is_int(link_mac_parse("02-ab-cd-00-11-ff", mac), -EINVAL, "dashes refused");
	is_int(link_mac_parse("02:ab:cd:00:11:fg", mac), -EINVAL, "non-hex refused");
	route_spec_init(&rs);
	is_int(rs.scope, -1, "route_spec_init: kernel default scope");

	fd = netns_open("/proc/self/ns/pid", &err);
	is_int(fd, -EINVAL, "netns_open: a pid namespace file is refused");
	ok(strstr(pn_err_msg(&err), "/proc/self/ns/pid") != NULL, "  the error names the path: %s", pn_err_msg(&err));
	fd = netns_open("/proc/self/status", &err);
	is_int(fd, -EINVAL, "netns_open: a file outside nsfs is refused");
	fd = netns_open("/nonexistent/netns", &err);
	is_int(fd, -ENOENT, "netns_open: missing path");
	fd = netns_open("/proc/self/ns/net", &err);
	ok(fd >= 0, "netns_open: own net namespace");
	if (fd >= 0)
		close(fd);
	is_int(sysctl_ensure("../etc/passwd", "x", &err), -EINVAL, "sysctl_ensure: no escaping /proc/sys");
	pn_err_free(&err);
}

/* ---------------------------------------------------------------- kernel */

static int pod_pid = -1;
static int pod_release[2] = { -1, -1 };

/* A process parked in a fresh network namespace: the "pod". */
static int start_pod(void)
{
	int ready[2];
	char c;

	if (pipe(ready) < 0 || pipe(pod_release) < 0)
		return -1;
	pod_pid = fork();
	if (pod_pid < 0)
		return -1;
	if (pod_pid == 0) {
		close(ready[0]);
		close(pod_release[1]);
		c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(pod_release[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(pod_release[0]);
	if (read(ready[0], &c, 1) != 1 || c != 'y')
		c = 'n';
	close(ready[0]);
	return c == 'y' ? 0 : -1;
}

static void stop_pod(void)
{
	if (pod_pid > 0) {
		close(pod_release[1]);
		waitpid(pod_pid, NULL, 0);
	}
}

static bool has_flag_tentative;
static bool saw_addr;
static struct pn_ip want_ip;

static int tentative_cb(const struct nlmsghdr *h, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct nlattr *tb[IFA_MAX + 1];
	uint32_t flags;

	(void)arg;
	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET6)
		return 0;
	nl_parse_msg(tb, IFA_MAX, h, sizeof(*ifa));
	if (!tb[IFA_ADDRESS] || memcmp(nl_data(tb[IFA_ADDRESS]), want_ip.b, 16) != 0)
		return 0;
	flags = tb[IFA_FLAGS] ? nl_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	saw_addr = true;
	has_flag_tentative = flags & IFA_F_TENTATIVE;
	return 0;
}

/* Is @ip on @ifindex, and tentative (DAD pending)? */
static int addr_tentative(struct nl_sock *s, int ifindex, const char *ip)
{
	char buf[128];
	struct nl_req r;
	struct ifaddrmsg *ifa;
	struct pn_err err = { 0 };

	if (pn_ip_parse(ip, &want_ip) < 0)
		return -1;
	saw_addr = has_flag_tentative = false;
	nl_req_init(&r, buf, sizeof(buf), RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = (uint32_t)ifindex;
	if (nl_dump(s, &r, tentative_cb, NULL, "dump v6 addresses", &err) < 0 || !saw_addr) {
		pn_err_free(&err);
		return -1;
	}
	pn_err_free(&err);
	return has_flag_tentative;
}

static int read_arp_notify(void *arg)
{
	char *out = arg;

	return pn_read_file("/proc/sys/net/ipv4/conf/eth0/arp_notify", out, 16);
}

static bool has_cidr(const struct pn_cidr *v, size_t n, const char *want)
{
	struct pn_cidr c;
	size_t i;

	if (pn_cidr_parse(want, &c) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (v[i].prefix == c.prefix && pn_ip_eq(&v[i].ip, &c.ip))
			return true;
	return false;
}

static int v6_count(struct nl_sock *s, int ifindex)
{
	struct pn_cidr *v = NULL;
	size_t n = 0;
	struct pn_err err = { 0 };
	int ret = addr_list(s, ifindex, AF_INET6, &v, &n, &err);

	free(v);
	pn_err_free(&err);
	return ret < 0 ? ret : (int)n;
}

static int race_bridge(void)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct bridge_opts bo = { .name = "pnrace0" };
	struct link_info li;
	struct pn_err err = { 0 };
	int ret;

	if (nl_open(&s, NETLINK_ROUTE, &err) < 0) {
		pn_err_free(&err);
		return 1;
	}
	ret = link_bridge_ensure(&s, &bo, &li, &err);
	nl_close(&s);
	pn_err_free(&err);
	return ret == 0 && (li.flags & IFF_UP) ? 0 : 1;
}

static void test_bridge_race(void)
{
	int gate[2], i, good = 0;
	pid_t pids[6];
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err err = { 0 };
	struct link_info li;

	if (pipe(gate) < 0) {
		ok(0, "bridge race: pipe: %s", strerror(errno));
		return;
	}
	for (i = 0; i < 6; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;

			close(gate[1]);
			/* All start together when the gate closes. */
			if (read(gate[0], &c, 1) < 0)
				_exit(2);
			_exit(race_bridge());
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < 6; i++) {
		int st;

		if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			good++;
	}
	is_int(good, 6, "six processes racing to create one bridge all succeed");
	ok(nl_open(&s, NETLINK_ROUTE, &err) == 0 && link_get(&s, "pnrace0", &li, &err) == 0 &&
		   strcmp(li.kind, "bridge") == 0 && (li.flags & IFF_UP),
	   "  and the bridge exists, up");
	nl_close(&s);
	pn_err_free(&err);
}

/* Raw RTM_NEWLINK of a veth pnraw0/pnraw1, to ask the kernel what
 * link_veth_create cannot: IFLA_AF_SPEC on the host end (@afspec 0), in
 * VETH_INFO_PEER (1) or nowhere (-1); IFF_UP in the peer's ifinfomsg. */
static int raw_veth(struct nl_sock *s, int afspec, bool peer_up, struct pn_err *err)
{
	char buf[1024];
	struct ifinfomsg *ifi, pifi = { 0 };
	struct nlattr *li, *d, *p, *af, *f;
	struct nl_req r;
	int i;

	if (peer_up) {
		pifi.ifi_flags = IFF_UP;
		pifi.ifi_change = IFF_UP;
	}
	nl_req_init(&r, buf, sizeof(buf), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi),
		    (void **)&ifi);
	if (nl_put_str(&r, IFLA_IFNAME, "pnraw0") < 0 || !(li = nl_nest_start(&r, IFLA_LINKINFO)) ||
	    nl_put_str(&r, IFLA_INFO_KIND, "veth") < 0 || !(d = nl_nest_start(&r, IFLA_INFO_DATA)))
		return -EMSGSIZE;
	p = (struct nlattr *)((char *)r.h + NLMSG_ALIGN(r.h->nlmsg_len));
	if (nl_put(&r, VETH_INFO_PEER, &pifi, sizeof(pifi)) < 0 ||
	    nl_put_str(&r, IFLA_IFNAME, "pnraw1") < 0)
		return -EMSGSIZE;
	for (i = 1; i >= 0; i--) {
		if (afspec == i) {
			if (!(af = nl_nest_start(&r, IFLA_AF_SPEC)) || !(f = nl_nest_start(&r, AF_INET6)) ||
			    nl_put_u8(&r, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
				return -EMSGSIZE;
			nl_nest_end(&r, f);
			nl_nest_end(&r, af);
		}
		if (i == 1) {
			nl_nest_end(&r, p);
			nl_nest_end(&r, d);
			nl_nest_end(&r, li);
		}
	}
	return nl_talk(s, &r, "raw veth pnraw0", err);
}

static int setlink_mode_none(struct nl_sock *s, int ifindex)
{
	char buf[256];
	struct ifinfomsg *ifi;
	struct nlattr *af, *f;
	struct nl_req r;
	struct pn_err err = { 0 };

	nl_req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	if (!(af = nl_nest_start(&r, IFLA_AF_SPEC)) || !(f = nl_nest_start(&r, AF_INET6)) ||
	    nl_put_u8(&r, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
		return -EMSGSIZE;
	nl_nest_end(&r, f);
	nl_nest_end(&r, af);
	return nl_talk(s, &r, "set addr_gen_mode", &err);
}

static double us_since(uint64_t t0, int n)
{
	return (double)(pn_now_ns() - t0) / 1000.0 / n;
}

static void bench(struct nl_sock *s, struct nl_sock *ps, int pfd, int br)
{
	enum { N = 100 };
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	struct pn_err err = { 0 };
	struct link_info li;
	struct pn_cidr a;
	struct route_spec rt;
	uint64_t t0, t_veth = 0, t_addr = 0, t_route = 0, t;
	int i, fails = 0;

	/* The CNI ADD sequence as the bridge plugin will run it. */
	for (i = 0; i < N; i++) {
		struct veth_opts vo = {
			.peer_netns_fd = pfd, .master = br, .mtu = 1400, .host_up = true,
			.peer_up = true, .host_no_ipv6_ll = true, .peer_no_ipv6_ll = true,
			.peer_arp_notify = true, .peer_sock = ps,
		};

		snprintf(host, sizeof(host), "pnb%d", i);
		snprintf(peer, sizeof(peer), "ethb%d", i);
		vo.host_name = host;
		vo.peer_name = peer;
		t = pn_now_ns();
		fails += link_veth_create(s, &vo, &err) < 0;
		t_veth += pn_now_ns() - t;
		fails += link_get(ps, peer, &li, &err) < 0;
		if (pn_cidr_parse("10.30.0.0/16", &a) < 0 || !pn_ip_add(&a.ip, i + 2, &a.ip))
			fails++;
		t = pn_now_ns();
		fails += addr_add(ps, li.ifindex, &a, ADDR_NODAD, &err) < 0;
		t_addr += pn_now_ns() - t;
		route_spec_init(&rt);
		if (pn_cidr_parse("10.40.0.0/16", &rt.dst) < 0 || !pn_ip_add(&rt.dst.ip, i << 8, &rt.dst.ip))
			fails++;
		rt.dst.prefix = 24;
		rt.oif = li.ifindex;
		t = pn_now_ns();
		fails += route_add(ps, &rt, &err) < 0;
		t_route += pn_now_ns() - t;
	}
	is_int(fails, 0, "bench: %d veth+addr+route sequences", N);
	printf("# bench: link_veth_create (all options, peer socket given) %.0f us, addr_add %.0f us, "
	       "route_add %.0f us (mean of %d)\n",
	       (double)t_veth / 1000.0 / N, (double)t_addr / 1000.0 / N, (double)t_route / 1000.0 / N,
	       N);
	t0 = pn_now_ns();
	for (i = 0; i < N; i++) {
		snprintf(host, sizeof(host), "pnb%d", i);
		fails += link_del(s, host, &err) < 0;
	}
	printf("# bench: link_del of a veth %.0f us (mean of %d)\n", us_since(t0, N), N);

	/* The same with no follow-up RTM_SETLINKs: the cost of the fallback. */
	t0 = pn_now_ns();
	for (i = 0; i < N; i++) {
		struct veth_opts vo = {
			.peer_netns_fd = pfd, .master = br, .mtu = 1400, .host_up = true,
		};

		snprintf(host, sizeof(host), "pnc%d", i);
		snprintf(peer, sizeof(peer), "ethc%d", i);
		vo.host_name = host;
		vo.peer_name = peer;
		fails += link_veth_create(s, &vo, &err) < 0;
	}
	printf("# bench: link_veth_create, host up, no peer options (one RTM_NEWLINK): %.0f us\n",
	       us_since(t0, N));
	t0 = pn_now_ns();
	for (i = 0; i < N; i++)
		fails += link_set_up(s, br, true, &err) < 0;
	printf("# bench: one RTM_SETLINK round trip (no change) %.1f us\n", us_since(t0, N));
	t0 = pn_now_ns();
	for (i = 0; i < N; i++) {
		struct nl_sock tmp = NL_SOCK_INIT;

		fails += nl_open_in_netns(&tmp, NETLINK_ROUTE, pfd, &err) < 0;
		nl_close(&tmp);
	}
	printf("# bench: nl_open_in_netns %.0f us\n", us_since(t0, N));
	for (i = 0; i < N; i++) {
		snprintf(host, sizeof(host), "pnc%d", i);
		fails += link_del(s, host, &err) < 0;
	}
	is_int(fails, 0, "bench: cleanup without errors");
	pn_err_free(&err);
}

static void kernel_tests(void)
{
	struct nl_sock s = NL_SOCK_INIT, ps = NL_SOCK_INIT;
	unsigned char brmac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x01 };
	unsigned char pmac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x05 };
	struct pn_err err = { 0 };
	struct link_info br, br2, host, pod;
	struct pn_cidr *addrs = NULL, c;
	struct route_spec *routes = NULL, rt;
	size_t n = 0, i;
	char path[64], val[16] = "";
	int pfd = -1, ret;
	bool found;

	if (start_pod() < 0) {
		ok(0, "start the pod namespace");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pod_pid);
	pfd = netns_open(path, &err);
	ok(pfd >= 0, "netns_open %s", path);
	is_int(nl_open(&s, NETLINK_ROUTE, &err), 0, "nl_open in the node namespace");
	is_int(nl_open_in_netns(&ps, NETLINK_ROUTE, pfd, &err), 0, "nl_open_in_netns (pod)");
	if (pfd < 0 || s.fd < 0 || ps.fd < 0)
		goto out;

	/* Bridge. */
	{
		struct bridge_opts bo = { .name = "pnbr0", .mtu = 1400, .promisc = true, .mac = brmac };

		is_int(link_bridge_ensure(&s, &bo, &br, &err), 0, "bridge created");
		is_str(br.kind, "bridge", "  kind bridge");
		ok(br.flags & IFF_UP, "  up");
		ok(br.flags & IFF_PROMISC, "  promisc");
		is_int(br.mtu, 1400, "  mtu");
		is_str(br.mac_str, "02:42:ac:11:00:01", "  fixed mac");
		is_int(br.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE, "  addr_gen_mode none");
		is_int(link_bridge_ensure(&s, &bo, &br2, &err), 0, "bridge ensured again: no-op");
		is_int(br2.ifindex, br.ifindex, "  same bridge");
	}
	test_bridge_race();

	/* Veth: host end on the bridge, peer "eth0" straight into the pod.
	 * No peer_sock given: link_veth_create opens one itself. */
	{
		struct veth_opts vo = {
			.host_name = "pnv0", .peer_name = "eth0", .peer_netns_fd = pfd,
			.master = br.ifindex, .mtu = 1400, .peer_mac = pmac, .host_up = true,
			.peer_up = true, .host_no_ipv6_ll = true, .peer_no_ipv6_ll = true,
			.peer_arp_notify = true,
		};

		ret = link_veth_create(&s, &vo, &err);
		is_int(ret, 0, "veth created: %s %s", pn_err_msg(&err), ret ? pn_err_details_text(&err) : "");
		is_int(link_veth_create(&s, &vo, &err), -EEXIST, "same veth again: -EEXIST");
	}
	is_int(link_get(&s, "pnv0", &host, &err), 0, "host end found");
	is_str(host.kind, "veth", "  kind veth");
	is_int(host.master, br.ifindex, "  enslaved at creation (IFLA_MASTER in RTM_NEWLINK)");
	ok(host.flags & IFF_UP, "  up");
	is_int(host.mtu, 1400, "  mtu");
	is_int(host.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE, "  addr_gen_mode none");
	is_int(host.hairpin, 0, "  bridge port, hairpin off");
	ok(host.link_netnsid >= 0, "  peer in another namespace (netnsid %d)", host.link_netnsid);
	is_int(link_get(&ps, "eth0", &pod, &err), 0, "peer eth0 found in the pod");
	ok(pod.flags & IFF_UP, "  up");
	is_int(pod.mtu, 1400, "  mtu");
	is_str(pod.mac_str, "02:42:ac:11:00:05", "  mac");
	is_int(pod.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE, "  addr_gen_mode none");
	is_int(pod.link, host.ifindex, "  IFLA_LINK is the host end");
	is_int(netns_run(pfd, read_arp_notify, val, &err), 0, "read the pod's arp_notify");
	is_str(val, "1", "  arp_notify on");
	usleep(50000); /* carrier comes through linkwatch; let addrconf run */
	is_int(v6_count(&s, host.ifindex), 0, "no IPv6 address at all on the host end");
	is_int(v6_count(&ps, pod.ifindex), 0, "no IPv6 address at all on the peer");
	is_int(link_get(&ps, "eth0", &pod, &err), 0, "peer read again");
	ok(pod.flags & IFF_LOWER_UP, "  carrier up");
	is_int(link_bridge_ensure(&s, &(struct bridge_opts){ .name = "pnv0" }, &br2, &err), -EEXIST,
	       "bridge ensure on a veth name fails");
	ok(strstr(pn_err_msg(&err), "veth") != NULL, "  naming its kind: %s", pn_err_msg(&err));

	/* Hairpin, promisc, up/down. */
	is_int(link_set_hairpin(&s, host.ifindex, true, &err), 0, "hairpin on");
	ok(link_get_index(&s, host.ifindex, &host, &err) == 0 && host.hairpin == 1, "  read back on");
	is_int(link_set_hairpin(&s, host.ifindex, false, &err), 0, "hairpin off");
	ok(link_get_index(&s, host.ifindex, &host, &err) == 0 && host.hairpin == 0, "  read back off");
	is_int(link_set_promisc(&s, host.ifindex, true, &err), 0, "promisc on");
	ok(link_get_index(&s, host.ifindex, &host, &err) == 0 && (host.flags & IFF_PROMISC),
	   "  read back");

	/* Addresses in the pod. */
	if (pn_cidr_parse("10.22.0.5/24", &c) == 0)
		is_int(addr_add(&ps, pod.ifindex, &c, ADDR_NODAD, &err), 0, "add 10.22.0.5/24");
	if (pn_cidr_parse("fd00:22::5/64", &c) == 0)
		is_int(addr_add(&ps, pod.ifindex, &c, ADDR_NODAD, &err), 0, "add fd00:22::5/64 nodad");
	if (pn_cidr_parse("fd00:23::5/64", &c) == 0)
		is_int(addr_add(&ps, pod.ifindex, &c, 0, &err), 0, "add fd00:23::5/64 with DAD");
	pn_err_free(&err);
	is_int(addr_add(&ps, pod.ifindex, &c, 0, &err), -EEXIST, "add it again: -EEXIST");
	is_int(err.code, 0, "  err untouched");
	is_int(addr_tentative(&ps, pod.ifindex, "fd00:22::5"), 0, "NODAD address is not tentative");
	is_int(addr_tentative(&ps, pod.ifindex, "fd00:23::5"), 1,
	       "  (control: the address with DAD is tentative)");
	is_int(addr_list(&ps, pod.ifindex, AF_UNSPEC, &addrs, &n, &err), 0, "addr_list");
	is_int(n, 3, "  three addresses");
	ok(has_cidr(addrs, n, "10.22.0.5/24") && has_cidr(addrs, n, "fd00:22::5/64"), "  ours");
	free(addrs);
	addrs = NULL;
	is_int(addr_list(&ps, pod.ifindex, AF_INET, &addrs, &n, &err), 0, "addr_list v4 only");
	ok(n == 1 && has_cidr(addrs, n, "10.22.0.5/24"), "  one v4 address");
	free(addrs);
	addrs = NULL;
	is_int(addr_del(&ps, pod.ifindex, &c, &err), 0, "addr_del fd00:23::5/64");
	is_int(v6_count(&ps, pod.ifindex), 1, "  one v6 address left");
	if (pn_cidr_parse("10.22.0.1/24", &c) == 0)
		is_int(addr_add(&s, br.ifindex, &c, 0, &err), 0, "gateway address on the bridge");

	/* Routes in the pod. */
	route_spec_init(&rt);
	if (pn_cidr_parse("0.0.0.0/0", &rt.dst) < 0 || pn_ip_parse("10.22.0.1", &rt.gw) < 0)
		ok(0, "parse");
	rt.oif = pod.ifindex;
	is_int(route_add(&ps, &rt, &err), 0, "default route via 10.22.0.1");
	pn_err_free(&err);
	is_int(route_add(&ps, &rt, &err), -EEXIST, "  again: -EEXIST");
	is_int(err.code, 0, "  err untouched");
	route_spec_init(&rt);
	if (pn_cidr_parse("10.99.0.0/16", &rt.dst) < 0 || pn_ip_parse("10.22.0.1", &rt.gw) < 0)
		ok(0, "parse");
	rt.mtu = 1300;
	rt.advmss = 1260;
	rt.priority = 10;
	is_int(route_add(&ps, &rt, &err), 0, "10.99.0.0/16 with mtu, advmss, metric");
	route_spec_init(&rt);
	if (pn_cidr_parse("::/0", &rt.dst) < 0 || pn_ip_parse("fd00:22::1", &rt.gw) < 0)
		ok(0, "parse");
	rt.oif = pod.ifindex;
	is_int(route_add(&ps, &rt, &err), 0, "default route via fd00:22::1: %s", pn_err_details_text(&err));
	is_int(route_list(&ps, AF_INET, 0, pod.ifindex, &routes, &n, &err), 0, "route_list v4");
	found = false;
	for (i = 0; i < n; i++)
		if (routes[i].dst.prefix == 0 && routes[i].gw.family == AF_INET &&
		    routes[i].gw.v4.s_addr == htonl(0x0a160001))
			found = true;
	ok(found, "  default route found, prefix 0");
	found = false;
	for (i = 0; i < n; i++)
		if (routes[i].dst.prefix == 16 && routes[i].mtu == 1300 && routes[i].advmss == 1260 &&
		    routes[i].priority == 10 && routes[i].table == RT_TABLE_MAIN)
			found = true;
	ok(found, "  10.99.0.0/16 found with its metrics");
	found = false;
	for (i = 0; i < n; i++)
		if (routes[i].dst.prefix == 24 && routes[i].scope == RT_SCOPE_LINK && !routes[i].gw.family)
			found = true;
	ok(found, "  the kernel's subnet route, scope link");
	free(routes);
	routes = NULL;
	is_int(route_list(&ps, AF_INET6, 0, 0, &routes, &n, &err), 0, "route_list v6");
	found = false;
	for (i = 0; i < n; i++)
		if (routes[i].dst.prefix == 0 && routes[i].gw.family == AF_INET6 &&
		    routes[i].oif == pod.ifindex)
			found = true;
	ok(found, "  v6 default route found");
	free(routes);
	routes = NULL;
	is_int(route_list(&ps, AF_INET, 100, 0, &routes, &n, &err), 0, "route_list of an empty table");
	is_int(n, 0, "  nothing");
	ok(routes == NULL, "  and no array");
	free(routes);
	routes = NULL;
	{
		struct link_info *links = NULL;
		bool lo = false, eth = false;

		is_int(link_list(&ps, &links, &n, &err), 0, "link_list in the pod");
		for (size_t k = 0; k < n; k++) {
			lo |= !strcmp(links[k].name, "lo") && links[k].ifindex == 1;
			eth |= links[k].ifindex == pod.ifindex && !strcmp(links[k].name, pod.name);
		}
		ok(n == 2 && lo && eth, "  lo and the pod's veth, nothing else (%zu links)", n);
		free(links);
	}
	route_spec_init(&rt);
	if (pn_cidr_parse("10.99.0.0/16", &rt.dst) < 0)
		ok(0, "parse");
	is_int(route_del(&ps, &rt, &err), 0, "route_del 10.99.0.0/16");
	is_int(route_del(&ps, &rt, &err), -ESRCH, "  again: -ESRCH");

	/* Extended ack text reaches pn_err_details_text(&err). */
	route_spec_init(&rt);
	if (pn_cidr_parse("10.98.0.0/16", &rt.dst) < 0 || pn_ip_parse("10.55.0.1", &rt.gw) < 0)
		ok(0, "parse");
	ret = route_add(&ps, &rt, &err);
	ok(ret < 0 && strstr(pn_err_details_text(&err), "gateway"), "unreachable gateway: %d, extack \"%s\"", ret,
	   pn_err_details_text(&err));
	ok(strstr(pn_err_msg(&err), "10.98.0.0/16 via 10.55.0.1"), "  message names the route: %s", pn_err_msg(&err));
	{
		struct bridge_opts bo = { .name = "pnbr9", .mtu = 10 };

		ret = link_bridge_ensure(&s, &bo, NULL, &err);
		ok(ret == -EINVAL && strstr(pn_err_details_text(&err), "mtu"), "bridge with mtu 10: %d, extack \"%s\"",
		   ret, pn_err_details_text(&err));
	}

	/* Kernel facts link.c relies on (see the comment at its top). */
	pn_err_free(&err);
	ret = raw_veth(&s, -1, true, &err);
	is_int(ret, -ENOTCONN, "fact: IFF_UP in VETH_INFO_PEER's ifinfomsg fails the creation");
	printf("# fact: peer IFF_UP at creation: %d (%s)\n", ret, pn_err_details_text(&err));
	if (ret == 0)
		is_int(link_del(&s, "pnraw0", &err), 0, "  cleanup");
	pn_err_free(&err);
	ret = raw_veth(&s, 0, false, &err);
	ok(ret == -EAFNOSUPPORT, "fact: IFLA_AF_SPEC at creation, host end: refused (%d)", ret);
	if (ret == 0)
		is_int(link_del(&s, "pnraw0", &err), 0, "  cleanup");
	pn_err_free(&err);
	ret = raw_veth(&s, 1, false, &err);
	ok(ret == -EAFNOSUPPORT, "fact: IFLA_AF_SPEC at creation, in VETH_INFO_PEER: refused (%d)",
	   ret);
	if (ret == 0)
		is_int(link_del(&s, "pnraw0", &err), 0, "  cleanup");
	{
		/* The race link.c avoids: both ends up, mode set right after. */
		struct veth_opts vo = {
			.host_name = "pnup0", .peer_name = "pnup1", .peer_netns_fd = pfd,
			.host_up = true, .peer_up = true, .peer_sock = &ps,
		};
		struct link_info p;

		is_int(link_veth_create(&s, &vo, &err), 0, "veth, both ends up, default addr_gen_mode");
		ok(link_get(&ps, "pnup1", &p, &err) == 0 && (p.flags & IFF_UP), "  peer up");
		is_int(setlink_mode_none(&ps, p.ifindex), 0, "  addr_gen_mode none set after up");
		usleep(50000);
		is_int(v6_count(&ps, p.ifindex), 1, "  too late: the peer has its link-local address");
		is_int(link_del(&s, "pnup0", &err), 0, "  deleted");
	}

	/* sysctl_ensure in the node namespace (the private one). */
	is_int(sysctl_ensure("net/ipv4/ip_forward", "1", &err), 0, "sysctl_ensure ip_forward=1");
	ok(pn_read_file("/proc/sys/net/ipv4/ip_forward", val, sizeof(val)) == 0 && !strcmp(val, "1"),
	   "  read back");
	is_int(sysctl_ensure("net/ipv4/ip_forward", "1", &err), 0, "  again: no write needed");
	is_int(sysctl_ensure("net/ipv4/no_such_knob", "1", &err), -ENOENT, "missing sysctl: -ENOENT");
	ok(strstr(pn_err_msg(&err), "no_such_knob") != NULL, "  named: %s", pn_err_msg(&err));

	bench(&s, &ps, pfd, br.ifindex);

	/* Deletion. */
	is_int(link_del(&s, "pnv0", &err), 0, "link_del pnv0");
	pn_err_free(&err);
	is_int(link_del(&s, "pnv0", &err), -ENODEV, "  again: -ENODEV");
	is_int(err.code, 0, "  err untouched");
	is_int(link_get(&ps, "eth0", &pod, &err), -ENODEV, "  the peer went with it");
	is_int(err.code, 0, "  err untouched by link_get");
	is_int(link_del_index(&s, br.ifindex, &err), 0, "link_del_index bridge");
	is_int(link_del_index(&s, br.ifindex, &err), -ENODEV, "  again: -ENODEV");
out:
	nl_close(&ps);
	nl_close(&s);
	if (pfd >= 0)
		close(pfd);
	stop_pod();
	pn_err_free(&err);
}

int main(void)
{
	int counts[2] = { 0, 0 };
	int pfd[2], st;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_build();
	test_overflow();
	test_parse_handmade();
	test_mac_and_misc();

	if (geteuid() != 0) {
		skip(1, "not root");
		return tap_done();
	}
	if (pipe(pfd) < 0) {
		ok(0, "pipe");
		return tap_done();
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (unshare(CLONE_NEWNET) < 0) {
			printf("# unshare(CLONE_NEWNET): %s\n", strerror(errno));
			counts[0] = -1;
		} else {
			kernel_tests();
			counts[0] = tap_n;
			counts[1] = tap_failed;
		}
		fflush(stdout);
		if (write(pfd[1], counts, sizeof(counts)) != sizeof(counts))
			exit(1);
		exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], counts, sizeof(counts)) != sizeof(counts)) {
		ok(0, "kernel tests ran to the end");
	} else if (counts[0] < 0) {
		ok(0, "a network namespace for the kernel tests (unshare as root)");
	} else {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (pid > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		ok(0, "kernel test process exited cleanly (status %d)", st);
	return tap_done();
}
