/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ip link|addr|route|neigh` over rtnetlink.  The JSON built here follows
 * iproute2 6.1's print_linkinfo/print_addrinfo (ip/ipaddress.c),
 * print_route (ip/iproute.c) and print_neigh (ip/ipneigh.c) key by key, and
 * the text renderers below replay the same order with the same spacing
 * (trailing blanks included: `ip route` and `ip neigh` end their lines with
 * one), so a line-by-line diff against `ip -n NETNS ...` is empty.
 */
#include "ipshow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/icmpv6.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* struct ifinfomsg's flags beyond <net/if.h>'s (IFF_LOWER_UP...). */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT 0x20000
#endif
#ifndef IFF_ECHO
#define IFF_ECHO 0x40000
#endif

/* What a link dump tells about every ifindex, to name a route's "dev" or a
 * veth's peer, and to see whether a link's IFLA_LINK is down (M-DOWN). */
struct ifentry {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned int flags;
	unsigned short type;
};

struct iftable {
	struct ifentry *v;
	size_t n, cap;
	json_t *links;      /* the JSON objects, dump order (ipshow_links) */
	bool want_json;
	bool link_mode;     /* `ip link`: print linkmode */
	int error;
};

static const struct ifentry *if_find(const struct iftable *t, int ifindex)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].ifindex == ifindex)
			return &t->v[i];
	return NULL;
}

/* ll_index_to_name(): the name, or "if%d" for an index not in the dump. */
static const char *if_name(const struct iftable *t, int ifindex, char buf[IFNAMSIZ + 8])
{
	const struct ifentry *e = if_find(t, ifindex);

	if (e)
		return e->name;
	snprintf(buf, IFNAMSIZ + 8, "if%d", ifindex);
	return buf;
}

static int jset(json_t *o, const char *key, json_t *v)
{
	/* json_object_set_new steals @v even on failure. */
	return v && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

static int jstr(json_t *o, const char *key, const char *s)
{
	return jset(o, key, json_string(s));
}

static int jint(json_t *o, const char *key, long long v)
{
	return jset(o, key, json_integer(v));
}

static int jtrue(json_t *o, const char *key)
{
	return jset(o, key, json_true());
}

/* ll_addr_n2a(): colon-separated hex; tunnels carry IPv4/IPv6 addresses. */
static void lladdr_str(const unsigned char *a, size_t len, unsigned short type, char *buf, size_t size)
{
	size_t o = 0;

	if (len == 4 && (type == ARPHRD_TUNNEL || type == ARPHRD_SIT || type == ARPHRD_IPGRE)) {
		inet_ntop(AF_INET, a, buf, (socklen_t)size);
		return;
	}
	if (len == 16 && type == ARPHRD_TUNNEL6) {
		inet_ntop(AF_INET6, a, buf, (socklen_t)size);
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < len && o + 4 <= size; i++)
		o += (size_t)snprintf(buf + o, size - o, i ? ":%02x" : "%02x", a[i]);
}

/* ll_type_n2a(): lib/ll_types.c's table, the common part of it. */
static const char *ll_type_str(unsigned short type, char *buf, size_t size)
{
	static const struct { unsigned short t; const char *n; } tab[] = {
		{ ARPHRD_NETROM, "netrom" }, { ARPHRD_ETHER, "ether" }, { ARPHRD_EETHER, "eether" },
		{ ARPHRD_AX25, "ax25" }, { ARPHRD_PRONET, "pronet" }, { ARPHRD_CHAOS, "chaos" },
		{ ARPHRD_IEEE802, "ieee802" }, { ARPHRD_ARCNET, "arcnet" }, { ARPHRD_APPLETLK, "atalk" },
		{ ARPHRD_DLCI, "dlci" }, { ARPHRD_ATM, "atm" }, { ARPHRD_METRICOM, "metricom" },
		{ ARPHRD_IEEE1394, "ieee1394" }, { ARPHRD_INFINIBAND, "infiniband" },
		{ ARPHRD_SLIP, "slip" }, { ARPHRD_CSLIP, "cslip" }, { ARPHRD_SLIP6, "slip6" },
		{ ARPHRD_CSLIP6, "cslip6" }, { ARPHRD_RSRVD, "rsrvd" }, { ARPHRD_ADAPT, "adapt" },
		{ ARPHRD_ROSE, "rose" }, { ARPHRD_X25, "x25" }, { ARPHRD_HWX25, "hwx25" },
		{ ARPHRD_CAN, "can" }, { ARPHRD_PPP, "ppp" }, { ARPHRD_HDLC, "hdlc" },
		{ ARPHRD_LAPB, "lapb" }, { ARPHRD_DDCMP, "ddcmp" }, { ARPHRD_RAWHDLC, "rawhdlc" },
		{ ARPHRD_TUNNEL, "ipip" }, { ARPHRD_TUNNEL6, "tunnel6" }, { ARPHRD_FRAD, "frad" },
		{ ARPHRD_SKIP, "skip" }, { ARPHRD_LOOPBACK, "loopback" }, { ARPHRD_LOCALTLK, "ltalk" },
		{ ARPHRD_FDDI, "fddi" }, { ARPHRD_BIF, "bif" }, { ARPHRD_SIT, "sit" },
		{ ARPHRD_IPDDP, "ip/ddp" }, { ARPHRD_IPGRE, "gre" }, { ARPHRD_PIMREG, "pimreg" },
		{ ARPHRD_HIPPI, "hippi" }, { ARPHRD_ASH, "ash" }, { ARPHRD_ECONET, "econet" },
		{ ARPHRD_IRDA, "irda" }, { ARPHRD_IEEE802_TR, "tr" }, { ARPHRD_IEEE80211, "ieee802.11" },
		{ ARPHRD_IEEE80211_PRISM, "ieee802.11/prism" },
		{ ARPHRD_IEEE80211_RADIOTAP, "ieee802.11/radiotap" }, { ARPHRD_IEEE802154, "ieee802.15.4" },
		/* glibc's <net/if_arp.h> lacks the newer ones (linux/if_arp.h
		 * cannot be mixed with <net/if.h>): their values are ABI. */
		{ 820, "phonet" }, { 821, "phonet_pipe" }, { 822, "caif" }, { 823, "gre6" },
		{ 824, "netlink" }, { 825, "6lowpan" }, { ARPHRD_NONE, "none" }, { ARPHRD_VOID, "void" },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(tab); i++)
		if (tab[i].t == type)
			return tab[i].n;
	snprintf(buf, size, "[%u]", type);
	return buf;
}

/* rtnl_rtscope_n2a() with Debian's /etc/iproute2/rt_scopes. */
static const char *scope_str(unsigned int scope, char *buf, size_t size)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	}
	snprintf(buf, size, "%u", scope);
	return buf;
}

/* rtnl_rtprot_n2a() with Debian's /etc/iproute2/rt_protos. */
static const char *rtprot_str(unsigned int p, char *buf, size_t size)
{
	static const struct { unsigned int id; const char *n; } tab[] = {
		{ 0, "unspec" }, { 1, "redirect" }, { 2, "kernel" }, { 3, "boot" }, { 4, "static" },
		{ 8, "gated" }, { 9, "ra" }, { 10, "mrt" }, { 11, "zebra" }, { 12, "bird" },
		{ 13, "dnrouted" }, { 14, "xorp" }, { 15, "ntk" }, { 16, "dhcp" },
		{ 18, "keepalived" }, { 42, "babel" }, { 99, "openr" }, { 186, "bgp" },
		{ 187, "isis" }, { 188, "ospf" }, { 189, "rip" }, { 192, "eigrp" },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(tab); i++)
		if (tab[i].id == p)
			return tab[i].n;
	snprintf(buf, size, "%u", p);
	return buf;
}

static const char *rttype_str(unsigned int t, char *buf, size_t size)
{
	static const char *const names[] = {
		"none", "unicast", "local", "broadcast", "anycast", "multicast",
		"blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve",
	};

	if (t < PN_ARRAY_SIZE(names))
		return names[t];
	snprintf(buf, size, "%u", t);
	return buf;
}

/* ---- links ---- */

static int flags_json(json_t *o, unsigned int flags, bool mdown)
{
	static const struct { unsigned int f; const char *n; } tab[] = {
		{ IFF_LOOPBACK, "LOOPBACK" }, { IFF_BROADCAST, "BROADCAST" },
		{ IFF_POINTOPOINT, "POINTOPOINT" }, { IFF_MULTICAST, "MULTICAST" },
		{ IFF_NOARP, "NOARP" }, { IFF_ALLMULTI, "ALLMULTI" }, { IFF_PROMISC, "PROMISC" },
		{ IFF_MASTER, "MASTER" }, { IFF_SLAVE, "SLAVE" }, { IFF_DEBUG, "DEBUG" },
		{ IFF_DYNAMIC, "DYNAMIC" }, { IFF_AUTOMEDIA, "AUTOMEDIA" }, { IFF_PORTSEL, "PORTSEL" },
		{ IFF_NOTRAILERS, "NOTRAILERS" }, { IFF_UP, "UP" }, { IFF_LOWER_UP, "LOWER_UP" },
		{ IFF_DORMANT, "DORMANT" }, { IFF_ECHO, "ECHO" },
	};
	json_t *a = json_array();
	char hex[16];

	if (!a || jset(o, "flags", a) < 0)
		return -ENOMEM;
	/* print_link_flags(): an UP link without carrier (IFF_RUNNING clear)
	 * leads with NO-CARRIER; RUNNING itself is never shown. */
	if ((flags & IFF_UP) && !(flags & IFF_RUNNING))
		json_array_append_new(a, json_string("NO-CARRIER"));
	flags &= ~IFF_RUNNING;
	for (size_t i = 0; i < PN_ARRAY_SIZE(tab); i++) {
		if (flags & tab[i].f) {
			flags &= ~tab[i].f;
			json_array_append_new(a, json_string(tab[i].n));
		}
	}
	if (flags) {
		snprintf(hex, sizeof(hex), "%x", flags);
		json_array_append_new(a, json_string(hex));
	}
	if (mdown)
		json_array_append_new(a, json_string("M-DOWN"));
	return 0;
}

static int link_json(struct iftable *t, const struct nlmsghdr *h, bool ll_line, json_t *o)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1];
	char b1[64], b2[IFNAMSIZ + 8];
	bool mdown = false;
	int r = 0;

	nl_parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
	r |= jint(o, "ifindex", ifi->ifi_index);
	/* print_name_and_link(): a peer in another namespace is only an index
	 * there ("link_index", text "@ifN"); one here is named ("link"); an
	 * IFLA_LINK of 0 is JSON null, text "@NONE". */
	if (tb[IFLA_LINK]) {
		int iflink = (int)nl_get_u32(tb[IFLA_LINK]);

		if (!iflink) {
			r |= jset(o, "link", json_null());
		} else if (tb[IFLA_LINK_NETNSID]) {
			r |= jint(o, "link_index", iflink);
		} else {
			const struct ifentry *pe = if_find(t, iflink);

			r |= jstr(o, "link", if_name(t, iflink, b2));
			mdown = pe && !(pe->flags & IFF_UP);
		}
	}
	r |= jstr(o, "ifname", nl_get_str(tb[IFLA_IFNAME]) ? nl_get_str(tb[IFLA_IFNAME]) : "");
	r |= flags_json(o, ifi->ifi_flags, mdown);
	if (tb[IFLA_MTU])
		r |= jint(o, "mtu", nl_get_u32(tb[IFLA_MTU]));
	if (tb[IFLA_QDISC] && nl_get_str(tb[IFLA_QDISC]))
		r |= jstr(o, "qdisc", nl_get_str(tb[IFLA_QDISC]));
	if (tb[IFLA_MASTER])
		r |= jstr(o, "master", if_name(t, (int)nl_get_u32(tb[IFLA_MASTER]), b2));
	if (tb[IFLA_OPERSTATE]) {
		static const char *const states[] = { "UNKNOWN", "NOTPRESENT", "DOWN",
						      "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP" };
		unsigned int st = nl_get_u8(tb[IFLA_OPERSTATE]);

		if (st < PN_ARRAY_SIZE(states))
			r |= jstr(o, "operstate", states[st]);
		else
			r |= jint(o, "operstate_index", st);
	}
	if (t->link_mode && tb[IFLA_LINKMODE]) {
		unsigned int m = nl_get_u8(tb[IFLA_LINKMODE]);

		if (m <= 1)
			r |= jstr(o, "linkmode", m ? "DORMANT" : "DEFAULT");
		else
			r |= jint(o, "linkmode_index", m);
	}
	if (tb[IFLA_GROUP]) {
		uint32_t g = nl_get_u32(tb[IFLA_GROUP]);

		/* rtnl_group_n2a(): /etc/iproute2/group names only 0. */
		if (g)
			snprintf(b1, sizeof(b1), "%u", g);
		r |= jstr(o, "group", g ? b1 : "default");
	}
	/* `ip link` and `ip addr` both set filter.showqueue; qlen 0 is not
	 * printed. */
	if (tb[IFLA_TXQLEN] && nl_get_u32(tb[IFLA_TXQLEN]))
		r |= jint(o, "txqlen", nl_get_u32(tb[IFLA_TXQLEN]));
	if (ll_line) {
		char mac[3 * 32 + 1];

		r |= jstr(o, "link_type", ll_type_str(ifi->ifi_type, b1, sizeof(b1)));
		if (tb[IFLA_ADDRESS]) {
			lladdr_str(nl_data(tb[IFLA_ADDRESS]), nl_len(tb[IFLA_ADDRESS]) > 32 ? 32 : nl_len(tb[IFLA_ADDRESS]),
				   ifi->ifi_type, mac, sizeof(mac));
			r |= jstr(o, "address", mac);
		}
		if (tb[IFLA_BROADCAST]) {
			if (ifi->ifi_flags & IFF_POINTOPOINT)
				r |= jtrue(o, "link_pointtopoint");
			lladdr_str(nl_data(tb[IFLA_BROADCAST]),
				   nl_len(tb[IFLA_BROADCAST]) > 32 ? 32 : nl_len(tb[IFLA_BROADCAST]),
				   ifi->ifi_type, mac, sizeof(mac));
			r |= jstr(o, "broadcast", mac);
		}
		if (tb[IFLA_PERM_ADDRESS]) {
			size_t len = nl_len(tb[IFLA_PERM_ADDRESS]);

			if (!tb[IFLA_ADDRESS] || nl_len(tb[IFLA_ADDRESS]) != len ||
			    memcmp(nl_data(tb[IFLA_PERM_ADDRESS]), nl_data(tb[IFLA_ADDRESS]), len)) {
				lladdr_str(nl_data(tb[IFLA_PERM_ADDRESS]), len > 32 ? 32 : len,
					   ifi->ifi_type, mac, sizeof(mac));
				r |= jstr(o, "permaddr", mac);
			}
		}
	}
	if (tb[IFLA_LINK_NETNSID])
		r |= jint(o, "link_netnsid", (int32_t)nl_get_u32(tb[IFLA_LINK_NETNSID]));
	if (tb[IFLA_PROTO_DOWN] && nl_get_u8(tb[IFLA_PROTO_DOWN]))
		r |= jtrue(o, "proto_down");
	if (t->link_mode && tb[IFLA_IFALIAS] && nl_get_str(tb[IFLA_IFALIAS]))
		r |= jstr(o, "ifalias", nl_get_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_PROP_LIST]) {
		struct nlattr *pa = tb[IFLA_PROP_LIST];
		const struct nlattr *a = nl_data(pa);
		size_t left = nl_len(pa);
		json_t *names = json_array();

		r |= jset(o, "altnames", names);
		while (names && left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left) {
			size_t step = NLA_ALIGN(a->nla_len);

			if ((a->nla_type & NLA_TYPE_MASK) == IFLA_ALT_IFNAME && nl_get_str(a))
				json_array_append_new(names, json_string(nl_get_str(a)));
			if (step >= left)
				break;
			left -= step;
			a = (const struct nlattr *)((const char *)a + step);
		}
	}
	return r ? -ENOMEM : 0;
}

static int link_collect_cb(const struct nlmsghdr *h, void *arg)
{
	struct iftable *t = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifentry *e;
	const char *name;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	nl_parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
	name = nl_get_str(tb[IFLA_IFNAME]);
	if (!name)
		return 0;
	if (pn_grow(&t->v, &t->cap, t->n, sizeof(*t->v)))
		return -ENOMEM;
	e = &t->v[t->n++];
	e->ifindex = ifi->ifi_index;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->flags = ifi->ifi_flags;
	e->type = ifi->ifi_type;
	return 0;
}

/* The raw link messages are needed twice: first every name (a veth's peer
 * may come later in the dump), then the JSON.  Keep copies. */
struct msgvec {
	struct nlmsghdr **v;
	size_t n, cap;
};

static int msgvec_cb(const struct nlmsghdr *h, void *arg)
{
	struct msgvec *m = arg;
	struct nlmsghdr *c;

	if (pn_grow(&m->v, &m->cap, m->n, sizeof(*m->v)))
		return -ENOMEM;
	c = malloc(h->nlmsg_len);
	if (!c)
		return -ENOMEM;
	memcpy(c, h, h->nlmsg_len);
	m->v[m->n++] = c;
	return 0;
}

static void msgvec_free(struct msgvec *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

/* A dump into @m, retried when the kernel flags it interrupted
 * (NLM_F_DUMP_INTR: a link or address changed mid-walk). */
static int dump_all(struct nl_sock *s, uint16_t type, int family, struct msgvec *m,
		    const char *what, struct pn_err *err)
{
	char buf[128];
	struct nl_req r;
	void *hdr;
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < 5 && ret == -EAGAIN; attempt++) {
		msgvec_free(m);
		switch (type) {
		case RTM_GETLINK: {
			struct ifinfomsg *ifi;

			nl_req_init(&r, buf, sizeof(buf), type, NLM_F_DUMP, sizeof(*ifi), &hdr);
			ifi = hdr;
			ifi->ifi_family = (unsigned char)family;
			/* Statistics are not shown; do not make the kernel
			 * fill 200 bytes of counters per link. */
			if (nl_put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
				return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
			break;
		}
		case RTM_GETADDR:
			nl_req_init(&r, buf, sizeof(buf), type, NLM_F_DUMP, sizeof(struct ifaddrmsg), &hdr);
			((struct ifaddrmsg *)hdr)->ifa_family = (unsigned char)family;
			break;
		case RTM_GETROUTE:
			nl_req_init(&r, buf, sizeof(buf), type, NLM_F_DUMP, sizeof(struct rtmsg), &hdr);
			((struct rtmsg *)hdr)->rtm_family = (unsigned char)family;
			break;
		default:
			nl_req_init(&r, buf, sizeof(buf), type, NLM_F_DUMP, sizeof(struct ndmsg), &hdr);
			((struct ndmsg *)hdr)->ndm_family = (unsigned char)family;
			break;
		}
		ret = nl_dump(s, &r, msgvec_cb, m, what, err);
	}
	return ret;
}

static int build_iftable(struct nl_sock *s, struct iftable *t, struct msgvec *links,
			 struct pn_err *err)
{
	int ret = dump_all(s, RTM_GETLINK, AF_UNSPEC, links, "dump links", err);

	for (size_t i = 0; ret == 0 && i < links->n; i++)
		ret = link_collect_cb(links->v[i], t) < 0 ? pn_error(err, PN_E_NOMEM, ENOMEM, "dump links") : 0;
	return ret;
}

/* What a listing works from: the link table and the link dump it was
 * built from, a second dump (@type's), and the JSON array it fills. */
struct listing {
	struct iftable t;
	struct msgvec links, msgs;
	json_t *arr;
};

/* Dump the links, then @type unless 0 (its error "dump @what"), and make
 * the array ("list @list" when out of memory). */
static int listing_open(struct nl_sock *s, struct listing *l, uint16_t type, int family,
			const char *what, const char *list, struct pn_err *err)
{
	char dump_what[32];
	int ret;

	snprintf(dump_what, sizeof(dump_what), "dump %s", what);
	ret = build_iftable(s, &l->t, &l->links, err);
	if (ret == 0 && type)
		ret = dump_all(s, type, family, &l->msgs, dump_what, err);
	if (ret == 0 && !(l->arr = json_array()))
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "list %s", list);
	return ret;
}

/* The array into *@out when @ret is 0; the rest released.  Returns @ret. */
static int listing_close(struct listing *l, int ret, json_t **out)
{
	if (ret == 0) {
		*out = l->arr;
		l->arr = NULL;
	}
	json_decref(l->arr);
	msgvec_free(&l->links);
	msgvec_free(&l->msgs);
	free(l->t.v);
	return ret;
}

/* One JSON object per message of a dump of @type (routes, neighbours),
 * made by @one with the link table at hand for the interface names. */
typedef int msg_json_fn(const struct iftable *t, int family, const struct nlmsghdr *h,
			json_t *arr);

static int dump_json(struct nl_sock *s, uint16_t type, int family, msg_json_fn *one,
		     const char *what, json_t **out, struct pn_err *err)
{
	struct listing l = { 0 };
	int ret;

	*out = NULL;
	ret = listing_open(s, &l, type, family, what, what, err);
	for (size_t i = 0; ret == 0 && i < l.msgs.n; i++) {
		if (one(&l.t, family, l.msgs.v[i], l.arr) < 0)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "list %s", what);
	}
	return listing_close(&l, ret, out);
}

/* ---- addresses ---- */

#ifndef INFINITY_LIFE_TIME
#define INFINITY_LIFE_TIME 0xFFFFFFFFU
#endif

/* ifa_flag_data[] of ip/ipaddress.c, in its order. */
static const struct { const char *name; unsigned int mask; } ifa_flags_tab[] = {
	{ "secondary", IFA_F_SECONDARY }, { "temporary", IFA_F_SECONDARY },
	{ "nodad", IFA_F_NODAD }, { "optimistic", IFA_F_OPTIMISTIC },
	{ "dadfailed", IFA_F_DADFAILED }, { "home", IFA_F_HOMEADDRESS },
	{ "deprecated", IFA_F_DEPRECATED }, { "tentative", IFA_F_TENTATIVE },
	{ "permanent", IFA_F_PERMANENT }, { "mngtmpaddr", IFA_F_MANAGETEMPADDR },
	{ "noprefixroute", IFA_F_NOPREFIXROUTE }, { "autojoin", IFA_F_MCAUTOJOIN },
	{ "stable-privacy", IFA_F_STABLE_PRIVACY },
};

static void ip_str(int family, const struct nlattr *a, char buf[PN_IP_STRLEN])
{
	size_t want = family == AF_INET ? 4 : 16;

	buf[0] = '\0';
	if (a && nl_len(a) >= want)
		inet_ntop(family, nl_data(a), buf, PN_IP_STRLEN);
}

static int addr_json(const struct nlmsghdr *h, json_t *o)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct nlattr *tb[IFA_MAX + 1];
	char b[PN_IP_STRLEN], b1[32];
	unsigned int flags;
	int r = 0;

	nl_parse_msg(tb, IFA_MAX, h, sizeof(*ifa));
	flags = tb[IFA_FLAGS] ? nl_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	if (!tb[IFA_LOCAL])
		tb[IFA_LOCAL] = tb[IFA_ADDRESS];
	if (!tb[IFA_ADDRESS])
		tb[IFA_ADDRESS] = tb[IFA_LOCAL];
	if (ifa->ifa_family == AF_INET || ifa->ifa_family == AF_INET6)
		r |= jstr(o, "family", ifa->ifa_family == AF_INET ? "inet" : "inet6");
	else
		r |= jint(o, "family_index", ifa->ifa_family);
	if (tb[IFA_LOCAL]) {
		ip_str(ifa->ifa_family, tb[IFA_LOCAL], b);
		r |= jstr(o, "local", b);
		if (tb[IFA_ADDRESS] && nl_len(tb[IFA_ADDRESS]) == nl_len(tb[IFA_LOCAL]) &&
		    memcmp(nl_data(tb[IFA_ADDRESS]), nl_data(tb[IFA_LOCAL]), nl_len(tb[IFA_LOCAL]))) {
			ip_str(ifa->ifa_family, tb[IFA_ADDRESS], b);
			r |= jstr(o, "address", b);
		}
		r |= jint(o, "prefixlen", ifa->ifa_prefixlen);
		if (tb[IFA_RT_PRIORITY])
			r |= jint(o, "metric", nl_get_u32(tb[IFA_RT_PRIORITY]));
	}
	if (tb[IFA_BROADCAST]) {
		ip_str(ifa->ifa_family, tb[IFA_BROADCAST], b);
		r |= jstr(o, "broadcast", b);
	}
	if (tb[IFA_ANYCAST]) {
		ip_str(ifa->ifa_family, tb[IFA_ANYCAST], b);
		r |= jstr(o, "anycast", b);
	}
	if (tb[IFA_MULTICAST]) {
		ip_str(ifa->ifa_family, tb[IFA_MULTICAST], b);
		r |= jstr(o, "multicast", b);
	}
	r |= jstr(o, "scope", scope_str(ifa->ifa_scope, b1, sizeof(b1)));
	/* print_ifa_flags(): "dynamic" is the absence of IFA_F_PERMANENT, and
	 * IFA_F_SECONDARY reads "temporary" on IPv6 (a privacy address). */
	for (size_t i = 0; i < PN_ARRAY_SIZE(ifa_flags_tab); i++) {
		unsigned int m = ifa_flags_tab[i].mask;

		if (m == IFA_F_PERMANENT) {
			if (!(flags & m))
				r |= jtrue(o, "dynamic");
		} else if (flags & m) {
			if (m == IFA_F_SECONDARY && ifa->ifa_family == AF_INET6)
				r |= jtrue(o, "temporary");
			else
				r |= jtrue(o, ifa_flags_tab[i].name);
		}
		flags &= ~m;
	}
	if (flags) {
		snprintf(b1, sizeof(b1), "%02x", flags);
		r |= jstr(o, "ifa_flags", b1);
	}
	/* IFA_PROTO (kernel 6.1: "kernel_lo" on ::1...) is left out: the
	 * iproute2 of Debian 12 (6.1) predates it and prints nothing, and
	 * matching the node's `ip` line for line is the point. */
	if (tb[IFA_LABEL] && nl_get_str(tb[IFA_LABEL]))
		r |= jstr(o, "label", nl_get_str(tb[IFA_LABEL]));
	if (tb[IFA_CACHEINFO] && nl_len(tb[IFA_CACHEINFO]) >= sizeof(struct ifa_cacheinfo)) {
		struct ifa_cacheinfo ci;

		memcpy(&ci, nl_data(tb[IFA_CACHEINFO]), sizeof(ci));
		r |= jint(o, "valid_life_time", ci.ifa_valid);
		/* A deprecated address's preferred lifetime may have gone
		 * negative; ip prints it signed then. */
		if (ci.ifa_prefered != INFINITY_LIFE_TIME && json_is_true(json_object_get(o, "deprecated")))
			r |= jint(o, "preferred_life_time", (int32_t)ci.ifa_prefered);
		else
			r |= jint(o, "preferred_life_time", ci.ifa_prefered);
	}
	return r ? -ENOMEM : 0;
}

int ipshow_links(struct nl_sock *s, bool with_addrs, int family, json_t **out, struct pn_err *err)
{
	struct listing l = { .t = { .link_mode = !with_addrs } };
	struct msgvec *links = &l.links, *addrs = &l.msgs;
	int ret;

	*out = NULL;
	ret = listing_open(s, &l, with_addrs ? RTM_GETADDR : 0, family, "addresses", "links", err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < links->n; i++) {
		const struct ifinfomsg *ifi = NLMSG_DATA(links->v[i]);
		bool keep = true;
		json_t *o;

		if (links->v[i]->nlmsg_type != RTM_NEWLINK)
			continue;
		/* ipaddr_filter(): with a family, only links holding an address
		 * of it; a link with no address at all stays when unfiltered. */
		if (with_addrs && family != AF_UNSPEC) {
			keep = false;
			for (size_t k = 0; k < addrs->n && !keep; k++) {
				const struct ifaddrmsg *ifa = NLMSG_DATA(addrs->v[k]);

				keep = addrs->v[k]->nlmsg_type == RTM_NEWADDR &&
				       (int)ifa->ifa_index == ifi->ifi_index && ifa->ifa_family == family;
			}
		}
		if (!keep)
			continue;
		o = json_object();
		if (!o || json_array_append_new(l.arr, o) < 0 ||
		    link_json(&l.t, links->v[i], family == AF_UNSPEC, o) < 0) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "list links");
			goto out;
		}
		if (with_addrs) {
			json_t *ai = json_array();

			if (!ai || jset(o, "addr_info", ai) < 0) {
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "list addresses");
				goto out;
			}
			for (size_t k = 0; k < addrs->n; k++) {
				const struct nlmsghdr *h = addrs->v[k];
				const struct ifaddrmsg *ifa = NLMSG_DATA(h);
				json_t *a;

				if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
				    (int)ifa->ifa_index != ifi->ifi_index ||
				    (family != AF_UNSPEC && ifa->ifa_family != family))
					continue;
				a = json_object();
				if (!a || json_array_append_new(ai, a) < 0 || addr_json(h, a) < 0) {
					ret = pn_error(err, PN_E_NOMEM, ENOMEM, "list addresses");
					goto out;
				}
			}
		}
	}
out:
	return listing_close(&l, ret, out);
}

/* ---- routes ---- */

static int route_flags_json(json_t *o, unsigned int flags)
{
	static const struct { unsigned int f; const char *n; } tab[] = {
		{ RTNH_F_DEAD, "dead" }, { RTNH_F_ONLINK, "onlink" },
		{ RTNH_F_PERVASIVE, "pervasive" }, { RTNH_F_OFFLOAD, "offload" },
		{ RTNH_F_TRAP, "trap" }, { RTM_F_NOTIFY, "notify" },
		{ RTNH_F_LINKDOWN, "linkdown" }, { RTNH_F_UNRESOLVED, "unresolved" },
		{ RTM_F_OFFLOAD, "rt_offload" }, { RTM_F_TRAP, "rt_trap" },
		{ RTM_F_OFFLOAD_FAILED, "rt_offload_failed" },
	};
	json_t *a = json_array();

	if (!a || jset(o, "flags", a) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < PN_ARRAY_SIZE(tab); i++)
		if (flags & tab[i].f)
			json_array_append_new(a, json_string(tab[i].n));
	return 0;
}

static const char *const mx_names[RTAX_MAX + 1] = {
	[RTAX_MTU] = "mtu", [RTAX_WINDOW] = "window", [RTAX_RTT] = "rtt",
	[RTAX_RTTVAR] = "rttvar", [RTAX_SSTHRESH] = "ssthresh", [RTAX_CWND] = "cwnd",
	[RTAX_ADVMSS] = "advmss", [RTAX_REORDERING] = "reordering", [RTAX_HOPLIMIT] = "hoplimit",
	[RTAX_INITCWND] = "initcwnd", [RTAX_FEATURES] = "features", [RTAX_RTO_MIN] = "rto_min",
	[RTAX_INITRWND] = "initrwnd", [RTAX_QUICKACK] = "quickack", [RTAX_CC_ALGO] = "congctl",
	[RTAX_FASTOPEN_NO_COOKIE] = "fastopen_no_cookie",
};

/* print_rta_metrics(): one object in a "metrics" array.  The RTAX_LOCK
 * bits have no JSON key in ip -j, so they are not shown (text "lock"). */
static int metrics_json(json_t *o, const struct nlattr *rta)
{
	struct nlattr *mx[RTAX_MAX + 1];
	json_t *arr = json_array(), *m = json_object();
	uint32_t lock;
	int r = 0;

	if (!arr || !m) {
		json_decref(arr);
		json_decref(m);
		return -ENOMEM;
	}
	json_array_append_new(arr, m);
	r |= jset(o, "metrics", arr);
	nl_parse_nested(mx, RTAX_MAX, rta);
	lock = mx[RTAX_LOCK] ? nl_get_u32(mx[RTAX_LOCK]) : 0;
	for (int i = 2; i <= RTAX_MAX; i++) {
		uint32_t val = 0;

		if (!mx[i] && !(lock & (1u << i)))
			continue;
		if (mx[i] && i != RTAX_CC_ALGO)
			val = nl_get_u32(mx[i]);
		if (i == RTAX_HOPLIMIT && (int)val == -1)
			continue;
		if (!mx_names[i])
			continue;
		if (i == RTAX_CC_ALGO)
			r |= jstr(m, "congestion", mx[i] && nl_get_str(mx[i]) ? nl_get_str(mx[i]) : "");
		else if (i == RTAX_RTT)
			r |= jint(m, mx_names[i], val / 8);
		else if (i == RTAX_RTTVAR)
			r |= jint(m, mx_names[i], val / 4);
		else
			r |= jint(m, mx_names[i], val);
	}
	return r ? -ENOMEM : 0;
}

static int route_json(const struct iftable *t, int family, const struct nlmsghdr *h, json_t *arr)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	struct nlattr *tb[RTA_MAX + 1];
	char b[PN_IP_STRLEN + 8], ip[PN_IP_STRLEN], nb[IFNAMSIZ + 8];
	unsigned int table, host_len;
	json_t *o;
	int r = 0;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)))
		return 0;
	if (rt->rtm_family != family)
		return 0;
	nl_parse_msg(tb, RTA_MAX, h, sizeof(*rt));
	table = tb[RTA_TABLE] ? nl_get_u32(tb[RTA_TABLE]) : rt->rtm_table;
	/* `ip route` is `ip route show table main`: cloned (cache) entries and
	 * the local table's routes are not shown. */
	if (table != RT_TABLE_MAIN || (rt->rtm_flags & RTM_F_CLONED))
		return 0;
	host_len = rt->rtm_family == AF_INET ? 32 : 128;
	o = json_object();
	if (!o || json_array_append_new(arr, o) < 0)
		return -ENOMEM;
	if (rt->rtm_type != RTN_UNICAST)
		r |= jstr(o, "type", rttype_str(rt->rtm_type, b, sizeof(b)));
	if (tb[RTA_DST]) {
		ip_str(rt->rtm_family, tb[RTA_DST], ip);
		if (rt->rtm_dst_len != host_len)
			snprintf(b, sizeof(b), "%s/%u", ip, rt->rtm_dst_len);
		else
			snprintf(b, sizeof(b), "%s", ip);
		r |= jstr(o, "dst", b);
	} else if (rt->rtm_dst_len) {
		snprintf(b, sizeof(b), "0/%d ", rt->rtm_dst_len);
		r |= jstr(o, "dst", b);
	} else {
		r |= jstr(o, "dst", "default");
	}
	if (tb[RTA_SRC]) {
		ip_str(rt->rtm_family, tb[RTA_SRC], ip);
		if (rt->rtm_src_len != host_len)
			snprintf(b, sizeof(b), "%s/%u", ip, rt->rtm_src_len);
		else
			snprintf(b, sizeof(b), "%s", ip);
		r |= jstr(o, "from", b);
	}
	if (tb[RTA_NH_ID])
		r |= jint(o, "nhid", nl_get_u32(tb[RTA_NH_ID]));
	if (tb[RTA_GATEWAY]) {
		ip_str(rt->rtm_family, tb[RTA_GATEWAY], ip);
		r |= jstr(o, "gateway", ip);
	}
	if (tb[RTA_OIF])
		r |= jstr(o, "dev", if_name(t, (int)nl_get_u32(tb[RTA_OIF]), nb));
	if (rt->rtm_protocol != RTPROT_BOOT)
		r |= jstr(o, "protocol", rtprot_str(rt->rtm_protocol, b, sizeof(b)));
	if (rt->rtm_scope != RT_SCOPE_UNIVERSE)
		r |= jstr(o, "scope", scope_str(rt->rtm_scope, b, sizeof(b)));
	if (tb[RTA_PREFSRC]) {
		ip_str(rt->rtm_family, tb[RTA_PREFSRC], ip);
		r |= jstr(o, "prefsrc", ip);
	}
	if (tb[RTA_PRIORITY])
		r |= jint(o, "metric", nl_get_u32(tb[RTA_PRIORITY]));
	r |= route_flags_json(o, rt->rtm_flags);
	if (tb[RTA_MARK] && nl_get_u32(tb[RTA_MARK]))
		r |= jint(o, "mark", nl_get_u32(tb[RTA_MARK]));
	if (tb[RTA_UID])
		r |= jint(o, "uid", nl_get_u32(tb[RTA_UID]));
	if (tb[RTA_CACHEINFO] && nl_len(tb[RTA_CACHEINFO]) >= sizeof(struct rta_cacheinfo)) {
		struct rta_cacheinfo ci;
		long hz = 100; /* get_user_hz(): USER_HZ, 100 on every Linux ABI */

		memcpy(&ci, nl_data(tb[RTA_CACHEINFO]), sizeof(ci));
		if (ci.rta_expires)
			r |= jint(o, "expires", (int)ci.rta_expires / hz);
		if (ci.rta_error)
			r |= jint(o, "error", ci.rta_error);
	}
	if (tb[RTA_METRICS])
		r |= metrics_json(o, tb[RTA_METRICS]);
	if (tb[RTA_IIF])
		r |= jstr(o, "iif", if_name(t, (int)nl_get_u32(tb[RTA_IIF]), nb));
	if (tb[RTA_PREF]) {
		unsigned int p = nl_get_u8(tb[RTA_PREF]);

		if (p == ICMPV6_ROUTER_PREF_LOW)
			r |= jstr(o, "pref", "low");
		else if (p == ICMPV6_ROUTER_PREF_MEDIUM)
			r |= jstr(o, "pref", "medium");
		else if (p == ICMPV6_ROUTER_PREF_HIGH)
			r |= jstr(o, "pref", "high");
		else
			r |= jint(o, "pref", p);
	}
	if (tb[RTA_MULTIPATH]) {
		const struct rtnexthop *nh = nl_data(tb[RTA_MULTIPATH]);
		size_t len = nl_len(tb[RTA_MULTIPATH]);
		json_t *hops = json_array();

		r |= jset(o, "nexthops", hops);
		while (hops && len >= sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= len) {
			json_t *n = json_object();
			struct nlattr *nt[RTA_MAX + 1];

			if (!n || json_array_append_new(hops, n) < 0)
				return -ENOMEM;
			nl_parse_attrs(nt, RTA_MAX, (const struct nlattr *)RTNH_DATA(nh),
				       nh->rtnh_len - sizeof(*nh));
			if (nt[RTA_GATEWAY]) {
				ip_str(rt->rtm_family, nt[RTA_GATEWAY], ip);
				r |= jstr(n, "gateway", ip);
			}
			r |= jstr(n, "dev", if_name(t, nh->rtnh_ifindex, nb));
			r |= jint(n, "weight", nh->rtnh_hops + 1);
			r |= route_flags_json(n, nh->rtnh_flags);
			if (NLMSG_ALIGN(nh->rtnh_len) >= len)
				break;
			len -= NLMSG_ALIGN(nh->rtnh_len);
			nh = RTNH_NEXT(nh);
		}
	}
	return r ? -ENOMEM : 0;
}

int ipshow_routes(struct nl_sock *s, int family, json_t **out, struct pn_err *err)
{
	return dump_json(s, RTM_GETROUTE, family, route_json, "routes", out, err);
}

/* ---- neighbours ---- */

static int neigh_json(const struct iftable *t, int family, const struct nlmsghdr *h, json_t *arr)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	struct nlattr *tb[NDA_MAX + 1];
	static const struct { unsigned int f; const char *n; } states[] = {
		{ NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_REACHABLE, "REACHABLE" },
		{ NUD_STALE, "STALE" }, { NUD_DELAY, "DELAY" }, { NUD_PROBE, "PROBE" },
		{ NUD_FAILED, "FAILED" }, { NUD_NOARP, "NOARP" }, { NUD_PERMANENT, "PERMANENT" },
	};
	/* do_show_or_flush(): `ip neigh show` hides NOARP-only and NONE
	 * entries (filter.state = 0xFF & ~NUD_NOARP). */
	unsigned int want = 0xFF & ~NUD_NOARP;
	char b[3 * 32 + 1], nb[IFNAMSIZ + 8];
	uint32_t ext = 0;
	json_t *o;
	int r = 0;

	(void)family; /* the kernel filtered the dump by ndm_family */
	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return 0;
	if (!(want & nd->ndm_state) && !(nd->ndm_flags & NTF_PROXY) && !(nd->ndm_flags & NTF_EXT_LEARNED))
		return 0;
	nl_parse_msg(tb, NDA_MAX, h, sizeof(*nd));
	if (tb[NDA_FLAGS_EXT])
		ext = nl_get_u32(tb[NDA_FLAGS_EXT]);
	o = json_object();
	if (!o || json_array_append_new(arr, o) < 0)
		return -ENOMEM;
	if (tb[NDA_DST]) {
		int fam = nl_len(tb[NDA_DST]) == 16 ? AF_INET6 : AF_INET;
		char ip[PN_IP_STRLEN];

		ip_str(fam, tb[NDA_DST], ip);
		r |= jstr(o, "dst", ip);
	}
	if (nd->ndm_ifindex)
		r |= jstr(o, "dev", if_name(t, nd->ndm_ifindex, nb));
	if (tb[NDA_LLADDR]) {
		const struct ifentry *e = if_find(t, nd->ndm_ifindex);
		size_t len = nl_len(tb[NDA_LLADDR]);

		lladdr_str(nl_data(tb[NDA_LLADDR]), len > 32 ? 32 : len, e ? e->type : ARPHRD_ETHER,
			   b, sizeof(b));
		r |= jstr(o, "lladdr", b);
	}
	if (nd->ndm_flags & NTF_ROUTER)
		r |= jset(o, "router", json_null());
	if (nd->ndm_flags & NTF_PROXY)
		r |= jset(o, "proxy", json_null());
	if (ext & NTF_EXT_MANAGED)
		r |= jset(o, "managed", json_null());
	if (nd->ndm_flags & NTF_EXT_LEARNED)
		r |= jset(o, "extern_learn", json_null());
	if (nd->ndm_flags & NTF_OFFLOADED)
		r |= jset(o, "offload", json_null());
	if (nd->ndm_state) {
		json_t *sa = json_array();
		unsigned int st = nd->ndm_state;

		r |= jset(o, "state", sa);
		for (size_t i = 0; sa && i < PN_ARRAY_SIZE(states); i++)
			if (st & states[i].f)
				json_array_append_new(sa, json_string(states[i].n));
	}
	if (tb[NDA_PROTOCOL] && nl_get_u8(tb[NDA_PROTOCOL]))
		r |= jstr(o, "protocol", rtprot_str(nl_get_u8(tb[NDA_PROTOCOL]), b, sizeof(b)));
	return r ? -ENOMEM : 0;
}

int ipshow_neighs(struct nl_sock *s, int family, json_t **out, struct pn_err *err)
{
	return dump_json(s, RTM_GETNEIGH, family, neigh_json, "neighbours", out, err);
}

/* ---- text, replayed from the JSON in print_*()'s order ---- */

static const char *js(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool jhas(const json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

static long long ji(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void addr_text(FILE *f, const json_t *a)
{
	const char *fam = js(a, "family");

	if (fam)
		fprintf(f, "    %s ", fam);
	else
		fprintf(f, "    family %lld ", ji(a, "family_index"));
	if (jhas(a, "local")) {
		fputs(js(a, "local"), f);
		if (jhas(a, "address"))
			fprintf(f, " peer %s", js(a, "address"));
		fprintf(f, "/%lld ", ji(a, "prefixlen"));
		if (jhas(a, "metric"))
			fprintf(f, "metric %lld ", ji(a, "metric"));
	}
	if (jhas(a, "broadcast"))
		fprintf(f, "brd %s ", js(a, "broadcast"));
	if (jhas(a, "anycast"))
		fprintf(f, "any %s ", js(a, "anycast"));
	if (jhas(a, "multicast"))
		fprintf(f, "mcast %s ", js(a, "multicast"));
	fprintf(f, "scope %s ", js(a, "scope"));
	for (size_t i = 0; i < PN_ARRAY_SIZE(ifa_flags_tab); i++) {
		const char *n = ifa_flags_tab[i].mask == IFA_F_PERMANENT ? "dynamic" : ifa_flags_tab[i].name;

		/* "secondary" and "temporary" share a mask; each name is in
		 * the JSON only under the family that uses it. */
		if (json_is_true(json_object_get(a, n)))
			fprintf(f, "%s ", n);
	}
	if (jhas(a, "ifa_flags"))
		fprintf(f, "flags %s ", js(a, "ifa_flags"));
	if (jhas(a, "label"))
		fputs(js(a, "label"), f);
	if (jhas(a, "valid_life_time")) {
		long long v = ji(a, "valid_life_time"), p = ji(a, "preferred_life_time");

		fputs("\n       valid_lft ", f);
		if (v == INFINITY_LIFE_TIME)
			fputs("forever", f);
		else
			fprintf(f, "%lldsec", v);
		fputs(" preferred_lft ", f);
		if (p == INFINITY_LIFE_TIME)
			fputs("forever", f);
		else
			fprintf(f, "%lldsec", p);
	}
	fputc('\n', f);
}

void ipshow_links_text(FILE *f, const json_t *links, bool with_addrs)
{
	size_t i;
	json_t *l;

	json_array_foreach(links, i, l) {
		const json_t *fl = json_object_get(l, "flags"), *link = json_object_get(l, "link");
		size_t k;
		json_t *v;

		fprintf(f, "%lld: %s", ji(l, "ifindex"), js(l, "ifname"));
		if (json_is_string(link))
			fprintf(f, "@%s", json_string_value(link));
		else if (json_is_null(link))
			fputs("@NONE", f);
		else if (jhas(l, "link_index"))
			fprintf(f, "@if%lld", ji(l, "link_index"));
		fputs(": <", f);
		json_array_foreach(fl, k, v)
			fprintf(f, "%s%s", k ? "," : "", json_string_value(v));
		fputs("> ", f);
		if (jhas(l, "mtu"))
			fprintf(f, "mtu %lld ", ji(l, "mtu"));
		if (jhas(l, "qdisc"))
			fprintf(f, "qdisc %s ", js(l, "qdisc"));
		if (jhas(l, "master"))
			fprintf(f, "master %s ", js(l, "master"));
		if (jhas(l, "operstate"))
			fprintf(f, "state %s ", js(l, "operstate"));
		else if (jhas(l, "operstate_index"))
			fprintf(f, "state %#llx ", ji(l, "operstate_index"));
		if (jhas(l, "linkmode"))
			fprintf(f, "mode %s ", js(l, "linkmode"));
		else if (jhas(l, "linkmode_index"))
			fprintf(f, "mode %lld ", ji(l, "linkmode_index"));
		if (jhas(l, "group"))
			fprintf(f, "group %s ", js(l, "group"));
		if (jhas(l, "txqlen"))
			fprintf(f, "qlen %lld", ji(l, "txqlen"));
		if (jhas(l, "link_type")) {
			fprintf(f, "\n    link/%s ", js(l, "link_type"));
			if (jhas(l, "address"))
				fputs(js(l, "address"), f);
			if (jhas(l, "broadcast"))
				fprintf(f, " %s %s", jhas(l, "link_pointtopoint") ? "peer" : "brd",
					js(l, "broadcast"));
			if (jhas(l, "permaddr"))
				fprintf(f, " permaddr %s", js(l, "permaddr"));
		}
		if (jhas(l, "link_netnsid")) {
			long long id = ji(l, "link_netnsid");

			if (id >= 0)
				fprintf(f, " link-netnsid %lld", id);
			else
				fputs(" link-netnsid unknown", f);
		}
		if (jhas(l, "proto_down"))
			fputs(" protodown on ", f);
		if (jhas(l, "ifalias"))
			fprintf(f, "\n    alias %s", js(l, "ifalias"));
		json_array_foreach(json_object_get(l, "altnames"), k, v)
			fprintf(f, "\n    altname %s", json_string_value(v));
		fputc('\n', f);
		if (with_addrs)
			json_array_foreach(json_object_get(l, "addr_info"), k, v)
				addr_text(f, v);
	}
}

static void flags_text(FILE *f, const json_t *o)
{
	size_t k;
	json_t *v;

	json_array_foreach(json_object_get(o, "flags"), k, v)
		fprintf(f, "%s ", json_string_value(v));
}

void ipshow_routes_text(FILE *f, const json_t *routes)
{
	size_t i;
	json_t *r;

	json_array_foreach(routes, i, r) {
		const json_t *mx = json_array_get(json_object_get(r, "metrics"), 0);
		size_t k;
		json_t *v;
		const char *key;

		if (jhas(r, "type"))
			fprintf(f, "%s ", js(r, "type"));
		fprintf(f, "%s ", js(r, "dst"));
		if (jhas(r, "from"))
			fprintf(f, "from %s ", js(r, "from"));
		if (jhas(r, "nhid"))
			fprintf(f, "nhid %lld ", ji(r, "nhid"));
		if (jhas(r, "gateway"))
			fprintf(f, "via %s ", js(r, "gateway"));
		if (jhas(r, "dev"))
			fprintf(f, "dev %s ", js(r, "dev"));
		if (jhas(r, "protocol"))
			fprintf(f, "proto %s ", js(r, "protocol"));
		if (jhas(r, "scope"))
			fprintf(f, "scope %s ", js(r, "scope"));
		if (jhas(r, "prefsrc"))
			fprintf(f, "src %s ", js(r, "prefsrc"));
		if (jhas(r, "metric"))
			fprintf(f, "metric %lld ", ji(r, "metric"));
		flags_text(f, r);
		if (jhas(r, "mark")) {
			long long m = ji(r, "mark");

			fprintf(f, m >= 16 ? "mark 0x%llx " : "mark %llu ", m);
		}
		if (jhas(r, "uid"))
			fprintf(f, "uid %lld ", ji(r, "uid"));
		if (jhas(r, "expires"))
			fprintf(f, "expires %lldsec ", ji(r, "expires"));
		if (jhas(r, "error"))
			fprintf(f, "error %lld ", ji(r, "error"));
		json_object_foreach((json_t *)mx, key, v) {
			fprintf(f, "%s ", !strcmp(key, "congestion") ? "congctl" : key);
			if (json_is_string(v)) {
				fprintf(f, "%s ", json_string_value(v));
			} else if (!strcmp(key, "rtt") || !strcmp(key, "rttvar") || !strcmp(key, "rto_min")) {
				long long ms = json_integer_value(v);

				if (ms >= 1000)
					fprintf(f, "%gs ", (double)ms / 1e3);
				else
					fprintf(f, "%lldms ", ms);
			} else {
				fprintf(f, "%lld ", json_integer_value(v));
			}
		}
		if (jhas(r, "iif"))
			fprintf(f, "iif %s ", js(r, "iif"));
		if (jhas(r, "pref")) {
			if (json_is_string(json_object_get(r, "pref")))
				fprintf(f, "pref %s", js(r, "pref"));
			else
				fprintf(f, "%lld", ji(r, "pref"));
		}
		json_array_foreach(json_object_get(r, "nexthops"), k, v) {
			fputs("\n\tnexthop ", f);
			if (jhas(v, "gateway"))
				fprintf(f, "via %s ", js(v, "gateway"));
			fprintf(f, "dev %s weight %lld ", js(v, "dev"), ji(v, "weight"));
			flags_text(f, v);
		}
		fputc('\n', f);
	}
}

void ipshow_neighs_text(FILE *f, const json_t *neighs)
{
	static const char *const flags[] = { "router", "proxy", "managed", "extern_learn", "offload" };
	size_t i;
	json_t *n;

	json_array_foreach(neighs, i, n) {
		size_t k;
		json_t *v;

		if (jhas(n, "dst"))
			fprintf(f, "%s ", js(n, "dst"));
		if (jhas(n, "dev"))
			fprintf(f, "dev %s ", js(n, "dev"));
		if (jhas(n, "lladdr"))
			fprintf(f, "lladdr %s ", js(n, "lladdr"));
		for (size_t j = 0; j < PN_ARRAY_SIZE(flags); j++)
			if (jhas(n, flags[j]))
				fprintf(f, "%s ", flags[j]);
		json_array_foreach(json_object_get(n, "state"), k, v)
			fprintf(f, "%s ", json_string_value(v));
		if (jhas(n, "protocol"))
			fprintf(f, "proto %s ", js(n, "protocol"));
		fputc('\n', f);
	}
}

json_t *ipshow_links_brief(const json_t *links, bool with_addrs)
{
	json_t *out = json_array(), *l;
	size_t i;

	json_array_foreach(links, i, l) {
		json_t *b = json_object(), *v;

		/* print_name_and_link() prints the link before the name. */
		if ((v = json_object_get(l, "link_index")))
			json_object_set(b, "link_index", v);
		else if ((v = json_object_get(l, "link")))
			json_object_set(b, "link", v);
		json_object_set(b, "ifname", json_object_get(l, "ifname"));
		if ((v = json_object_get(l, "operstate")))
			json_object_set(b, "operstate", v);
		else if ((v = json_object_get(l, "operstate_index")))
			json_object_set(b, "operstate_index", v);
		if (!with_addrs) {
			if ((v = json_object_get(l, "address")))
				json_object_set(b, "address", v);
			json_object_set(b, "flags", json_object_get(l, "flags"));
		} else {
			json_t *ai = json_array(), *a;
			size_t k;

			json_array_foreach(json_object_get(l, "addr_info"), k, a) {
				json_t *ba = json_object();

				json_object_set(ba, "local", json_object_get(a, "local"));
				if ((v = json_object_get(a, "address")))
					json_object_set(ba, "address", v);
				json_object_set(ba, "prefixlen", json_object_get(a, "prefixlen"));
				json_array_append_new(ai, ba);
			}
			json_object_set_new(b, "addr_info", ai);
		}
		json_array_append_new(out, b);
	}
	return out;
}

void ipshow_links_brief_text(FILE *f, const json_t *brief, bool with_addrs)
{
	size_t i;
	json_t *l;

	json_array_foreach(brief, i, l) {
		const json_t *link = json_object_get(l, "link");
		char name[64];
		size_t k;
		json_t *v;

		if (json_is_string(link))
			snprintf(name, sizeof(name), "%s@%s", js(l, "ifname"), json_string_value(link));
		else if (json_is_null(link))
			snprintf(name, sizeof(name), "%s@NONE", js(l, "ifname"));
		else if (jhas(l, "link_index"))
			snprintf(name, sizeof(name), "%s@if%lld", js(l, "ifname"), ji(l, "link_index"));
		else
			snprintf(name, sizeof(name), "%s", js(l, "ifname"));
		fprintf(f, "%-16s ", name);
		if (jhas(l, "operstate"))
			fprintf(f, "%-14s ", js(l, "operstate"));
		else if (jhas(l, "operstate_index"))
			fprintf(f, "state %#llx", ji(l, "operstate_index"));
		if (!with_addrs) {
			if (jhas(l, "address"))
				fprintf(f, "%s ", js(l, "address"));
			fputc('<', f);
			json_array_foreach(json_object_get(l, "flags"), k, v)
				fprintf(f, "%s%s", k ? "," : "", json_string_value(v));
			fputs("> ", f);
		} else {
			json_array_foreach(json_object_get(l, "addr_info"), k, v) {
				fputs(js(v, "local") ? js(v, "local") : "", f);
				/* print_addrinfo(): "%s " of " peer ", then the peer. */
				if (jhas(v, "address"))
					fprintf(f, " peer  %s", js(v, "address"));
				fprintf(f, "/%lld ", ji(v, "prefixlen"));
			}
		}
		fputc('\n', f);
	}
}

bool ipshow_links_only(json_t *links, const char *ifname)
{
	for (size_t i = json_array_size(links); i-- > 0;)
		if (!js(json_array_get(links, i), "ifname") ||
		    strcmp(js(json_array_get(links, i), "ifname"), ifname))
			json_array_remove(links, i);
	return json_array_size(links) > 0;
}
