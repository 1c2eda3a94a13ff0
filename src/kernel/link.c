/* SPDX-License-Identifier: Apache-2.0 */
#include "link.h"

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What kernel 6.18 does with a veth pair and the per-device IPv6/IPv4
 * knobs (verified by tests/unit/test_nl.c):
 *
 *  - IFLA_MASTER in the creating RTM_NEWLINK works: rtnl_newlink_create
 *    enslaves the new host end right after registering it.
 *
 *  - IFF_UP in the peer's ifinfomsg (VETH_INFO_PEER) makes the whole
 *    request fail with ENOTCONN: veth_newlink configures the peer before
 *    the two ends are linked, and veth_open refuses to open an end without
 *    a peer.  The failed creation then costs an unregister (~17 ms).  The
 *    peer is brought up by an RTM_SETLINK in its namespace instead.
 *
 *  - IFLA_AF_SPEC in an RTM_NEWLINK that creates a link is refused with
 *    EAFNOSUPPORT (no extack text), on the link itself and inside
 *    VETH_INFO_PEER, for AF_INET6 and AF_INET alike: the per-family state
 *    (inet6_dev, in_device) only exists once the device is registered.
 *    So addr_gen_mode and arp_notify are set by RTM_SETLINK afterwards.
 *
 *  - do_setlink() applies the ifinfomsg flags (IFF_UP) before IFLA_AF_SPEC,
 *    and addrconf generates the link-local address with the mode it has
 *    when the link becomes ready (NETDEV_UP with carrier, or NETDEV_CHANGE
 *    when carrier arrives); changing the mode later removes nothing.  So
 *    the mode must be NONE in an earlier message than the one that gives
 *    the link carrier.  A veth end has no carrier while its peer is down
 *    (addrconf: "link is not ready"), so the host end may be created up;
 *    its mode is set before the peer comes up, and the peer gets its own
 *    mode in one RTM_SETLINK and IFF_UP in the next.
 *
 * The point of all this: no link-local address, hence no DAD, MLD report
 * or router solicitation multicast set off by every new bridge port.
 */

#define LINK_REQ_BUF 1024

static void set_flag(struct ifinfomsg *ifi, unsigned int flag, bool on)
{
	ifi->ifi_change |= flag;
	if (on)
		ifi->ifi_flags |= flag;
	else
		ifi->ifi_flags &= ~flag;
}

/* An RTM_NEWLINK that creates @name, refused if the name is taken; @mtu if > 0. */
static int newlink_init(struct nl_req *r, void *buf, size_t size, struct ifinfomsg **ifi,
			const char *name, int mtu)
{
	nl_req_init(r, buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(**ifi),
		    (void **)ifi);
	if (nl_put_str(r, IFLA_IFNAME, name) < 0 ||
	    (mtu > 0 && nl_put_u32(r, IFLA_MTU, (uint32_t)mtu) < 0))
		return -EMSGSIZE;
	return 0;
}

int link_mac_parse(const char *s, unsigned char mac[6])
{
	unsigned char m[6];
	int i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi, lo;

		if (i < 5 && p[2] != ':')
			return -EINVAL;
#define HEXVAL(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : \
		   (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : \
		   (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : -1)
		hi = HEXVAL(p[0]);
		lo = HEXVAL(p[1]);
#undef HEXVAL
		if (hi < 0 || lo < 0)
			return -EINVAL;
		m[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

void link_mac_str(const unsigned char mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static void parse_linkinfo(const struct nlattr *nest, struct link_info *li)
{
	struct nlattr *tb[IFLA_INFO_MAX + 1];
	const char *kind, *slave;

	nl_parse_nested(tb, IFLA_INFO_MAX, nest);
	if ((kind = nl_get_str(tb[IFLA_INFO_KIND])))
		snprintf(li->kind, sizeof(li->kind), "%s", kind);
	/* A bridge port reports its port options here in every RTM_GETLINK
	 * (br_port_fill_slave_info), so hairpin costs no AF_BRIDGE request. */
	slave = nl_get_str(tb[IFLA_INFO_SLAVE_KIND]);
	if (slave && strcmp(slave, "bridge") == 0 && tb[IFLA_INFO_SLAVE_DATA]) {
		struct nlattr *pt[IFLA_BRPORT_MAX + 1];

		nl_parse_nested(pt, IFLA_BRPORT_MAX, tb[IFLA_INFO_SLAVE_DATA]);
		if (pt[IFLA_BRPORT_MODE])
			li->hairpin = nl_get_u8(pt[IFLA_BRPORT_MODE]);
		if (pt[IFLA_BRPORT_ISOLATED])
			li->isolated = nl_get_u8(pt[IFLA_BRPORT_ISOLATED]);
	}
}

static void parse_af_spec(const struct nlattr *nest, struct link_info *li)
{
	struct nlattr *af[AF_INET6 + 1];
	struct nlattr *in6[IFLA_INET6_MAX + 1];

	nl_parse_nested(af, AF_INET6, nest);
	if (af[AF_INET]) {
		struct nlattr *in[IFLA_INET_MAX + 1];

		/* On output IFLA_INET_CONF is a plain u32 array, entry i
		 * holding devconf i + 1 (inet_fill_link_af). */
		nl_parse_nested(in, IFLA_INET_MAX, af[AF_INET]);
		if (in[IFLA_INET_CONF]) {
			const uint32_t *c = nl_data(in[IFLA_INET_CONF]);
			size_t n = nl_len(in[IFLA_INET_CONF]) / sizeof(uint32_t);

			if (n >= IPV4_DEVCONF_PROXY_ARP)
				li->proxy_arp = (int)c[IPV4_DEVCONF_PROXY_ARP - 1];
			if (n >= IPV4_DEVCONF_SEND_REDIRECTS)
				li->send_redirects = (int)c[IPV4_DEVCONF_SEND_REDIRECTS - 1];
			if (n >= IPV4_DEVCONF_PROXY_ARP_PVLAN)
				li->proxy_arp_pvlan = (int)c[IPV4_DEVCONF_PROXY_ARP_PVLAN - 1];
		}
	}
	if (!af[AF_INET6])
		return;
	nl_parse_nested(in6, IFLA_INET6_MAX, af[AF_INET6]);
	if (in6[IFLA_INET6_ADDR_GEN_MODE])
		li->addr_gen_mode = nl_get_u8(in6[IFLA_INET6_ADDR_GEN_MODE]);
}

static int link_info_cb(const struct nlmsghdr *h, void *arg)
{
	struct link_info *li = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1];
	const char *name;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	memset(li, 0, sizeof(*li));
	li->link_netnsid = -1;
	li->hairpin = -1;
	li->isolated = -1;
	li->addr_gen_mode = -1;
	li->proxy_arp = li->proxy_arp_pvlan = li->send_redirects = -1;
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	nl_parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
	if ((name = nl_get_str(tb[IFLA_IFNAME])))
		snprintf(li->name, sizeof(li->name), "%s", name);
	li->mtu = (int)nl_get_u32(tb[IFLA_MTU]);
	li->master = (int)nl_get_u32(tb[IFLA_MASTER]);
	li->link = (int)nl_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID])
		li->link_netnsid = (int)nl_get_u32(tb[IFLA_LINK_NETNSID]);
	if (tb[IFLA_ADDRESS] && nl_len(tb[IFLA_ADDRESS]) == sizeof(li->mac))
		memcpy(li->mac, nl_data(tb[IFLA_ADDRESS]), sizeof(li->mac));
	link_mac_str(li->mac, li->mac_str);
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], li);
	if (tb[IFLA_PROTINFO] && (tb[IFLA_PROTINFO]->nla_type & NLA_F_NESTED)) {
		struct nlattr *pt[IFLA_BRPORT_MAX + 1];

		nl_parse_nested(pt, IFLA_BRPORT_MAX, tb[IFLA_PROTINFO]);
		if (pt[IFLA_BRPORT_MODE])
			li->hairpin = nl_get_u8(pt[IFLA_BRPORT_MODE]);
		if (pt[IFLA_BRPORT_ISOLATED])
			li->isolated = nl_get_u8(pt[IFLA_BRPORT_ISOLATED]);
	}
	if (tb[IFLA_AF_SPEC])
		parse_af_spec(tb[IFLA_AF_SPEC], li);
	return 1;
}

/* One RTM_GETLINK (not a dump) by index or name.  -ENODEV leaves err alone. */
static int getlink(struct nl_sock *s, int ifindex, const char *name, struct link_info *out,
		   struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct pn_err e = { 0 };
	struct ifinfomsg *ifi;
	struct nl_req r;
	int ret;

	nl_req_init(&r, buf, sizeof(buf), RTM_GETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	if (name)
		snprintf(what, sizeof(what), "get link %s", name);
	else
		snprintf(what, sizeof(what), "get link #%d", ifindex);
	if ((name && nl_put_str(&r, IFLA_IFNAME, name) < 0) ||
	    nl_put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	out->ifindex = 0;
	ret = nl_dump(s, &r, link_info_cb, out, what, &e);
	if (ret == 0 && out->ifindex == 0)
		ret = -ENODEV; /* no reply at all: treat as absent */
	if (ret < 0 && ret != -ENODEV)
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

int link_get(struct nl_sock *s, const char *name, struct link_info *out, struct pn_err *err)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid link name \"%s\"", name ? name : "");
	return getlink(s, 0, name, out, err);
}

int link_get_index(struct nl_sock *s, int ifindex, struct link_info *out, struct pn_err *err)
{
	if (ifindex <= 0)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid link index %d", ifindex);
	return getlink(s, ifindex, NULL, out, err);
}

static int link_list_cb(const struct nlmsghdr *h, void *arg, void *elem)
{
	return link_info_cb(h, elem) == 1;
}

int link_list(struct nl_sock *s, struct link_info **out, size_t *n, struct pn_err *err)
{
	char buf[LINK_REQ_BUF];
	struct ifinfomsg *ifi;
	struct nl_req r;

	*out = NULL;
	*n = 0;
	nl_req_init(&r, buf, sizeof(buf), RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi), (void **)&ifi);
	if (nl_put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "list links: request too large");
	return nl_dump_array(s, &r, 5, link_list_cb, NULL, sizeof(**out), (void **)out, n,
			     "list links", err);
}

/* Append IFLA_AF_SPEC { AF_INET6 { mode NONE }?, AF_INET { CONF { ARP_NOTIFY=1 } }? }. */
static int put_af_spec(struct nl_req *r, bool no_ipv6_ll, bool arp_notify)
{
	struct nlattr *af, *fam, *conf;

	if (!(af = nl_nest_start(r, IFLA_AF_SPEC)))
		return -EMSGSIZE;
	if (no_ipv6_ll) {
		if (!(fam = nl_nest_start(r, AF_INET6)) ||
		    nl_put_u8(r, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
			return -EMSGSIZE;
		nl_nest_end(r, fam);
	}
	if (arp_notify) {
		/* IFLA_INET_CONF is indexed by IPV4_DEVCONF_* (1-based), as
		 * inet_set_link_af hands nla_type() to ipv4_devconf_set. */
		if (!(fam = nl_nest_start(r, AF_INET)) || !(conf = nl_nest_start(r, IFLA_INET_CONF)) ||
		    nl_put_u32(r, IPV4_DEVCONF_ARP_NOTIFY, 1) < 0)
			return -EMSGSIZE;
		nl_nest_end(r, conf);
		nl_nest_end(r, fam);
	}
	nl_nest_end(r, af);
	return 0;
}

/*
 * RTM_SETLINK on a link given by index or (index 0) name: optional
 * IFLA_AF_SPEC, optional flag change (@change 0: none).
 */
static int setlink(struct nl_sock *s, int ifindex, const char *name, bool no_ipv6_ll,
		   bool arp_notify, unsigned int change, bool on, const char *what, struct pn_err *err)
{
	char buf[LINK_REQ_BUF];
	struct ifinfomsg *ifi;
	struct nl_req r;

	nl_req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	if (change)
		set_flag(ifi, change, on);
	if ((!ifindex && nl_put_str(&r, IFLA_IFNAME, name) < 0) ||
	    ((no_ipv6_ll || arp_notify) && put_af_spec(&r, no_ipv6_ll, arp_notify) < 0))
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	return nl_talk(s, &r, what, err);
}

int link_set_up(struct nl_sock *s, int ifindex, bool up, struct pn_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "set link #%d %s", ifindex, up ? "up" : "down");
	return setlink(s, ifindex, NULL, false, false, IFF_UP, up, what, err);
}

int link_set_promisc(struct nl_sock *s, int ifindex, bool on, struct pn_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "set promisc %s on link #%d", on ? "on" : "off", ifindex);
	/* IFF_PROMISC through ifi_change goes to dev_change_flags, which
	 * keeps it as the user's flag (gflags) apart from the count that
	 * bridge ports and packet sockets add. */
	return setlink(s, ifindex, NULL, false, false, IFF_PROMISC, on, what, err);
}

int link_set_hairpin(struct nl_sock *s, int ifindex, bool on, struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct ifinfomsg *ifi;
	struct nlattr *pi;
	struct nl_req r;

	snprintf(what, sizeof(what), "set hairpin %s on bridge port #%d", on ? "on" : "off",
		 ifindex);
	/* AF_BRIDGE routes RTM_SETLINK to the master's ndo_bridge_setlink;
	 * br_setlink reads IFLA_PROTINFO as port attributes only when
	 * NLA_F_NESTED is set (else as a bare STP state byte). */
	nl_req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	if (!(pi = nl_nest_start(&r, IFLA_PROTINFO)) || nl_put_u8(&r, IFLA_BRPORT_MODE, on) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	nl_nest_end(&r, pi);
	return nl_talk(s, &r, what, err);
}

int link_set_isolated(struct nl_sock *s, int ifindex, bool on, struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct ifinfomsg *ifi;
	struct nlattr *pi;
	struct nl_req r;

	snprintf(what, sizeof(what), "set isolation %s on bridge port #%d", on ? "on" : "off",
		 ifindex);
	/* As for hairpin: AF_BRIDGE, nested IFLA_PROTINFO (br_setport). */
	nl_req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	if (!(pi = nl_nest_start(&r, IFLA_PROTINFO)) || nl_put_u8(&r, IFLA_BRPORT_ISOLATED, on) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	nl_nest_end(&r, pi);
	return nl_talk(s, &r, what, err);
}

int link_set_ipv4_conf(struct nl_sock *s, int ifindex, const struct link_ipv4_conf *conf, size_t n,
		       struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct nlattr *af, *fam, *c;
	struct ifinfomsg *ifi;
	struct nl_req r;

	snprintf(what, sizeof(what), "set IPv4 settings of link #%d", ifindex);
	nl_req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	if (!(af = nl_nest_start(&r, IFLA_AF_SPEC)) || !(fam = nl_nest_start(&r, AF_INET)) ||
	    !(c = nl_nest_start(&r, IFLA_INET_CONF)))
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	for (size_t i = 0; i < n; i++)
		if (nl_put_u32(&r, (uint16_t)conf[i].id, conf[i].value) < 0)
			return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	nl_nest_end(&r, c);
	nl_nest_end(&r, fam);
	nl_nest_end(&r, af);
	return nl_talk(s, &r, what, err);
}

/*
 * The host end's settings after creation, in one message: addr_gen_mode
 * (IFLA_AF_SPEC) and port isolation (bridge slave data).  RTM_NEWLINK on
 * an existing link goes to rtnl_changelink(), which hands
 * IFLA_INFO_SLAVE_DATA to the master's slave_changelink
 * (br_port_slave_changelink) before do_setlink() takes IFLA_AF_SPEC;
 * RTM_SETLINK would ignore IFLA_LINKINFO.  At creation the slave data is
 * not applied (rtnl_newlink_create enslaves after configuring), hence a
 * second message at all.
 */
static int host_end_setup(struct nl_sock *s, const char *name, bool no_ipv6_ll, bool isolated,
			  struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[96];
	struct nlattr *info, *slave;
	struct ifinfomsg *ifi;
	struct nl_req r;

	snprintf(what, sizeof(what), "%s%s%s on %s", no_ipv6_ll ? "disable IPv6 address generation" : "",
		 no_ipv6_ll && isolated ? " and " : "", isolated ? "isolate bridge port" : "", name);
	nl_req_init(&r, buf, sizeof(buf), RTM_NEWLINK, 0, sizeof(*ifi), (void **)&ifi);
	if (nl_put_str(&r, IFLA_IFNAME, name) < 0 ||
	    (no_ipv6_ll && put_af_spec(&r, true, false) < 0))
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	if (isolated) {
		if (!(info = nl_nest_start(&r, IFLA_LINKINFO)) ||
		    !(slave = nl_nest_start(&r, IFLA_INFO_SLAVE_DATA)) ||
		    nl_put_u8(&r, IFLA_BRPORT_ISOLATED, 1) < 0)
			return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
		nl_nest_end(&r, slave);
		nl_nest_end(&r, info);
	}
	return nl_talk(s, &r, what, err);
}

static int dellink(struct nl_sock *s, int ifindex, const char *name, struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct pn_err e = { 0 };
	struct ifinfomsg *ifi;
	struct nl_req r;
	int ret;

	if (name)
		snprintf(what, sizeof(what), "delete link %s", name);
	else
		snprintf(what, sizeof(what), "delete link #%d", ifindex);
	nl_req_init(&r, buf, sizeof(buf), RTM_DELLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	if (name && nl_put_str(&r, IFLA_IFNAME, name) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	ret = nl_talk(s, &r, what, &e);
	if (ret < 0 && ret != -ENODEV)
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

int link_del(struct nl_sock *s, const char *name, struct pn_err *err)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid link name \"%s\"", name ? name : "");
	return dellink(s, 0, name, err);
}

int link_del_index(struct nl_sock *s, int ifindex, struct pn_err *err)
{
	if (ifindex <= 0)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid link index %d", ifindex);
	return dellink(s, ifindex, NULL, err);
}

static int bridge_check_existing(struct nl_sock *s, const struct bridge_opts *o,
				 struct link_info *li, struct pn_err *err)
{
	int ret;

	if (strcmp(li->kind, "bridge") != 0)
		return pn_error(err, PN_E_KERNEL, EEXIST,
				"link %s exists and is not a bridge (kind \"%s\")", o->name,
				li->kind[0] ? li->kind : "none");
	if (li->flags & IFF_UP)
		return 0;
	ret = link_set_up(s, li->ifindex, true, err);
	if (ret < 0)
		return ret;
	li->flags |= IFF_UP;
	return 0;
}

int link_bridge_ensure(struct nl_sock *s, const struct bridge_opts *o, struct link_info *out,
		       struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[64];
	struct pn_err e = { 0 };
	struct link_info li;
	struct ifinfomsg *ifi;
	struct nlattr *info;
	struct nl_req r;
	int ret;

	if (!o->name || !*o->name || strlen(o->name) >= IFNAMSIZ)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid bridge name \"%s\"",
				o->name ? o->name : "");
	/* The common case on a node: the bridge is there; one round trip. */
	ret = getlink(s, 0, o->name, &li, err);
	if (ret == 0) {
		ret = bridge_check_existing(s, o, &li, err);
		goto out;
	}
	if (ret != -ENODEV)
		goto out;

	snprintf(what, sizeof(what), "create bridge %s", o->name);
	/* Created down: addr_gen_mode has to be NONE before IFF_UP (see the
	 * comment at the top).  A bridge without ports has carrier, so
	 * addrconf would give it a link-local address at once. */
	if (newlink_init(&r, buf, sizeof(buf), &ifi, o->name, o->mtu) < 0 ||
	    /* A fixed MAC: otherwise the bridge takes the lowest port MAC
	     * and changes it as pods come and go (br_stp_recalculate_bridge_id),
	     * which breaks the neighbour caches of every pod. */
	    (o->mac && nl_put(&r, IFLA_ADDRESS, o->mac, 6) < 0) ||
	    !(info = nl_nest_start(&r, IFLA_LINKINFO)) ||
	    nl_put_str(&r, IFLA_INFO_KIND, "bridge") < 0) {
		ret = pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
		goto out;
	}
	nl_nest_end(&r, info);
	if (o->promisc)
		set_flag(ifi, IFF_PROMISC, true);
	ret = nl_talk(s, &r, what, &e);
	if (ret == -EEXIST) {
		/* Another plugin instance won the race (CNI ADDs of several pods
		 * run in parallel): use its bridge.  It may not be up yet;
		 * bringing it up here can, in that narrow window, happen before
		 * its creator set addr_gen_mode. */
		ret = getlink(s, 0, o->name, &li, err);
		if (ret == -ENODEV)
			ret = pn_error(err, PN_E_KERNEL, ENODEV,
				       "bridge %s vanished right after a racing creation", o->name);
		if (ret == 0)
			ret = bridge_check_existing(s, o, &li, err);
		goto out;
	}
	if (ret < 0) {
		pn_err_move(err, &e);
		goto out;
	}
	snprintf(what, sizeof(what), "disable IPv6 address generation on bridge %s", o->name);
	ret = setlink(s, 0, o->name, true, false, 0, false, what, err);
	if (ret < 0)
		goto out;
	snprintf(what, sizeof(what), "set bridge %s up", o->name);
	ret = setlink(s, 0, o->name, false, false, IFF_UP, true, what, err);
	if (ret < 0)
		goto out;
	ret = getlink(s, 0, o->name, &li, err);
	if (ret == -ENODEV)
		ret = pn_error(err, PN_E_KERNEL, ENODEV, "bridge %s vanished right after creation",
			       o->name);
out:
	pn_err_free(&e);
	if (ret == 0 && out)
		*out = li;
	return ret;
}

int link_veth_create(struct nl_sock *s, const struct veth_opts *o, struct pn_err *err)
{
	char buf[LINK_REQ_BUF], what[96];
	struct nl_sock own = NL_SOCK_INIT;
	struct nl_sock *ps = NULL;
	struct ifinfomsg *ifi, pifi;
	struct nlattr *info, *data, *peer;
	bool created = false;
	bool peer_fix = o->peer_up || o->peer_no_ipv6_ll || o->peer_arp_notify;
	struct nl_req r;
	int ret;

	if (!o->host_name || !*o->host_name || strlen(o->host_name) >= IFNAMSIZ ||
	    !o->peer_name || !*o->peer_name || strlen(o->peer_name) >= IFNAMSIZ)
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid veth names \"%s\"/\"%s\"",
				o->host_name ? o->host_name : "", o->peer_name ? o->peer_name : "");
	snprintf(what, sizeof(what), "create veth %s (peer %s)", o->host_name, o->peer_name);

	/* IFLA_MASTER at creation: rtnl_newlink_create enslaves right after
	 * registering the device, saving an RTM_SETLINK. */
	if (newlink_init(&r, buf, sizeof(buf), &ifi, o->host_name, o->mtu) < 0 ||
	    (o->master > 0 && nl_put_u32(&r, IFLA_MASTER, (uint32_t)o->master) < 0) ||
	    (o->host_mac && nl_put(&r, IFLA_ADDRESS, o->host_mac, 6) < 0) ||
	    !(info = nl_nest_start(&r, IFLA_LINKINFO)) ||
	    nl_put_str(&r, IFLA_INFO_KIND, "veth") < 0 ||
	    !(data = nl_nest_start(&r, IFLA_INFO_DATA)))
		goto too_big;
	/* VETH_INFO_PEER's payload starts with the peer's own ifinfomsg and
	 * goes on with its attributes.  Its flags stay 0: IFF_UP there fails
	 * the request (see the top of this file). */
	memset(&pifi, 0, sizeof(pifi));
	peer = (struct nlattr *)((char *)r.h + NLMSG_ALIGN(r.h->nlmsg_len));
	if (nl_put(&r, VETH_INFO_PEER, &pifi, sizeof(pifi)) < 0)
		goto too_big;
	if (nl_put_str(&r, IFLA_IFNAME, o->peer_name) < 0 ||
	    (o->peer_netns_fd >= 0 && nl_put_u32(&r, IFLA_NET_NS_FD, (uint32_t)o->peer_netns_fd) < 0) ||
	    (o->mtu > 0 && nl_put_u32(&r, IFLA_MTU, (uint32_t)o->mtu) < 0) ||
	    (o->peer_mac && nl_put(&r, IFLA_ADDRESS, o->peer_mac, 6) < 0))
		goto too_big;
	nl_nest_end(&r, peer);
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);
	/* Up at once even when its mode is still to be set: without a peer
	 * up it has no carrier, so addrconf leaves it alone until then. */
	if (o->host_up)
		set_flag(ifi, IFF_UP, true);
	ret = nl_talk(s, &r, what, err);
	if (ret < 0)
		goto out;
	created = true;

	if (o->host_no_ipv6_ll || o->host_isolated) {
		ret = host_end_setup(s, o->host_name, o->host_no_ipv6_ll, o->host_isolated, err);
		if (ret < 0)
			goto out;
	}
	if (peer_fix) {
		/* The peer lives in another namespace: RTM_SETLINK needs a socket
		 * there (the caller's, when it has one for the pod side). */
		ps = o->peer_sock;
		if (!ps && o->peer_netns_fd >= 0) {
			ret = nl_open_in_netns(&own, NETLINK_ROUTE, o->peer_netns_fd, err);
			if (ret < 0)
				goto out;
			ps = &own;
		} else if (!ps) {
			ps = s;
		}
		/* arp_notify acts on later events only, so it may share the
		 * message that brings the peer up; addr_gen_mode may not. */
		if (o->peer_no_ipv6_ll || o->peer_arp_notify) {
			bool up_too = o->peer_up && !o->peer_no_ipv6_ll;

			snprintf(what, sizeof(what), "set addr_gen_mode/arp_notify%s on %s",
				 up_too ? " and up" : "", o->peer_name);
			ret = setlink(ps, 0, o->peer_name, o->peer_no_ipv6_ll, o->peer_arp_notify,
				      up_too ? IFF_UP : 0, true, what, err);
			if (ret < 0)
				goto out;
		}
		if (o->peer_up && (o->peer_no_ipv6_ll || !o->peer_arp_notify)) {
			snprintf(what, sizeof(what), "set %s up", o->peer_name);
			ret = setlink(ps, 0, o->peer_name, false, false, IFF_UP, true, what, err);
			if (ret < 0)
				goto out;
		}
	}
	ret = 0;
	goto out;
too_big:
	ret = pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
out:
	/* Half-configured: remove the pair (deleting one end deletes both)
	 * so a failed ADD leaves no link behind. */
	if (ret < 0 && created)
		dellink(s, 0, o->host_name, NULL);
	nl_close(&own);
	return ret;
}
