/* SPDX-License-Identifier: Apache-2.0 */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_REQ_BUF 512
#define ROUTE_DUMP_TRIES 3

void route_spec_init(struct route_spec *r)
{
	memset(r, 0, sizeof(*r));
	r->scope = -1;
}

static const char *route_str(const struct route_spec *r, char *buf, size_t size)
{
	char dst[PN_CIDR_STRLEN], gw[PN_IP_STRLEN];
	int n;

	n = snprintf(buf, size, "%s", pn_cidr_str(&r->dst, dst));
	if (r->gw.family && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " via %s", pn_ip_str(&r->gw, gw));
	if (r->oif && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " dev #%d", r->oif);
	if (r->table && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " table %d", r->table);
	return buf;
}

static int route_req(struct nl_sock *s, uint16_t type, uint16_t nlflags,
		     const struct route_spec *rs, const char *what, struct pn_err *err)
{
	char buf[ROUTE_REQ_BUF];
	size_t len = pn_ip_len(&rs->dst.ip);
	struct pn_cidr net;
	struct rtmsg *rtm;
	struct nl_req r;
	bool add = type == RTM_NEWROUTE;
	uint32_t table = rs->table > 0 ? (uint32_t)rs->table : RT_TABLE_MAIN;

	if (!len || rs->dst.prefix < 0 || (size_t)rs->dst.prefix > len * 8 ||
	    (rs->gw.family && rs->gw.family != rs->dst.ip.family))
		return pn_error(err, PN_E_KERNEL, EINVAL, "%s: invalid destination or gateway", what);
	nl_req_init(&r, buf, sizeof(buf), type, nlflags, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = (uint8_t)rs->dst.ip.family;
	rtm->rtm_dst_len = (uint8_t)rs->dst.prefix;
	/* rtm_table is 8 bits; RTA_TABLE carries any table id. */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	if (add) {
		rtm->rtm_protocol = rs->protocol > 0 ? (uint8_t)rs->protocol : RTPROT_BOOT;
		rtm->rtm_type = RTN_UNICAST;
		/* Without a gateway the destination is on the link, as
		 * `ip route add` assumes. */
		rtm->rtm_scope = rs->scope >= 0 ? (uint8_t)rs->scope
			       : rs->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	} else {
		/* Zero protocol/type and scope NOWHERE match any route in
		 * fib_table_delete; only what the caller gave narrows it. */
		rtm->rtm_protocol = rs->protocol > 0 ? (uint8_t)rs->protocol : 0;
		rtm->rtm_scope = rs->scope >= 0 ? (uint8_t)rs->scope : RT_SCOPE_NOWHERE;
	}
	/* The kernel refuses IPv4 routes with host bits set ("Invalid prefix
	 * for given prefix length"); send the network. */
	pn_cidr_network(&rs->dst, &net);
	if ((rs->dst.prefix > 0 && nl_put(&r, RTA_DST, net.ip.b, len) < 0) ||
	    nl_put_u32(&r, RTA_TABLE, table) < 0 ||
	    (rs->gw.family && nl_put(&r, RTA_GATEWAY, rs->gw.b, len) < 0) ||
	    (rs->oif > 0 && nl_put_u32(&r, RTA_OIF, (uint32_t)rs->oif) < 0) ||
	    (rs->priority > 0 && nl_put_u32(&r, RTA_PRIORITY, (uint32_t)rs->priority) < 0))
		goto too_big;
	if (add && (rs->mtu > 0 || rs->advmss > 0)) {
		struct nlattr *m = nl_nest_start(&r, RTA_METRICS);

		if (!m || (rs->mtu > 0 && nl_put_u32(&r, RTAX_MTU, (uint32_t)rs->mtu) < 0) ||
		    (rs->advmss > 0 && nl_put_u32(&r, RTAX_ADVMSS, (uint32_t)rs->advmss) < 0))
			goto too_big;
		nl_nest_end(&r, m);
	}
	return nl_talk(s, &r, what, err);
too_big:
	return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
}

int route_add(struct nl_sock *s, const struct route_spec *r, struct pn_err *err)
{
	char what[160], desc[128];
	struct pn_err e = { 0 };
	int ret;

	snprintf(what, sizeof(what), "add route %s", route_str(r, desc, sizeof(desc)));
	ret = route_req(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r, what, &e);
	if (ret < 0 && ret != -EEXIST)
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

int route_del(struct nl_sock *s, const struct route_spec *r, struct pn_err *err)
{
	char what[160], desc[128];

	snprintf(what, sizeof(what), "delete route %s", route_str(r, desc, sizeof(desc)));
	return route_req(s, RTM_DELROUTE, 0, r, what, err);
}

struct route_filter {
	int family;
	uint32_t table;
	int oif;
};

static void parse_metrics(const struct nlattr *nest, struct route_spec *rs)
{
	struct nlattr *tb[RTAX_MAX + 1];

	nl_parse_nested(tb, RTAX_MAX, nest);
	if (tb[RTAX_MTU])
		rs->mtu = (int)nl_get_u32(tb[RTAX_MTU]);
	if (tb[RTAX_ADVMSS])
		rs->advmss = (int)nl_get_u32(tb[RTAX_ADVMSS]);
}

static int route_list_cb(const struct nlmsghdr *h, void *arg, void *elem)
{
	const struct route_filter *f = arg;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	struct nlattr *tb[RTA_MAX + 1];
	struct route_spec *rs = elem;
	uint32_t table;
	size_t len;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	/* Cached clones (PMTU exceptions) and local/broadcast/multicast
	 * entries are not routes anyone added through this API. */
	if (rtm->rtm_family != f->family || (rtm->rtm_flags & RTM_F_CLONED) ||
	    rtm->rtm_type != RTN_UNICAST)
		return 0;
	nl_parse_msg(tb, RTA_MAX, h, sizeof(*rtm));
	table = tb[RTA_TABLE] ? nl_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != f->table)
		return 0;
	route_spec_init(rs);
	rs->oif = (int)nl_get_u32(tb[RTA_OIF]);
	if (f->oif && rs->oif != f->oif)
		return 0;
	rs->dst.ip.family = rtm->rtm_family;
	rs->dst.prefix = rtm->rtm_dst_len;
	len = pn_ip_len(&rs->dst.ip);
	if (tb[RTA_DST] && nl_len(tb[RTA_DST]) == len)
		memcpy(rs->dst.ip.b, nl_data(tb[RTA_DST]), len);
	if (tb[RTA_GATEWAY] && nl_len(tb[RTA_GATEWAY]) == len) {
		rs->gw.family = rtm->rtm_family;
		memcpy(rs->gw.b, nl_data(tb[RTA_GATEWAY]), len);
	}
	rs->table = (int)table;
	rs->priority = (int)nl_get_u32(tb[RTA_PRIORITY]);
	rs->scope = rtm->rtm_scope;
	rs->protocol = rtm->rtm_protocol;
	if (tb[RTA_METRICS])
		parse_metrics(tb[RTA_METRICS], rs);
	return 1;
}

int route_list(struct nl_sock *s, int family, int table, int oif, struct route_spec **out,
	       size_t *n, struct pn_err *err)
{
	struct route_filter f = {
		.family = family,
		.table = table > 0 ? (uint32_t)table : RT_TABLE_MAIN,
		.oif = oif,
	};
	char buf[ROUTE_REQ_BUF], what[64];
	struct pn_err e = { 0 };
	struct rtmsg *rtm;
	struct nl_req r;
	int ret;

	*out = NULL;
	*n = 0;
	if (family != AF_INET && family != AF_INET6)
		return pn_error(err, PN_E_KERNEL, EINVAL, "list routes: family %d is not IPv4/IPv6",
				family);
	snprintf(what, sizeof(what), "list IPv%c routes of table %u", family == AF_INET ? '4' : '6',
		 f.table);
	/* With strict checking the kernel walks only this table and skips
	 * other devices (ip_valid_fib_dump_req); the callback filters again
	 * for kernels that ignore the request's filter. */
	nl_req_init(&r, buf, sizeof(buf), RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = (uint8_t)family;
	if (nl_put_u32(&r, RTA_TABLE, f.table) < 0 ||
	    (oif > 0 && nl_put_u32(&r, RTA_OIF, (uint32_t)oif) < 0))
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	ret = nl_dump_array(s, &r, ROUTE_DUMP_TRIES, route_list_cb, &f, sizeof(**out), (void **)out,
			    n, what, &e);
	/* A table that was never created holds no routes; strict dumps
	 * report it as ENOENT ("FIB table does not exist"). */
	if (ret == -ENOENT)
		ret = 0;
	if (ret < 0)
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

static int route_get_cb(const struct nlmsghdr *h, void *arg)
{
	struct route_hop *out = arg;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	struct nlattr *tb[RTA_MAX + 1];
	size_t alen = rtm->rtm_family == AF_INET6 ? 16 : 4;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	nl_parse_msg(tb, RTA_MAX, h, sizeof(*rtm));
	out->type = rtm->rtm_type;
	out->oif = (int)nl_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && nl_len(tb[RTA_GATEWAY]) == alen) {
		out->gw.family = rtm->rtm_family;
		memcpy(out->gw.b, nl_data(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_PREFSRC] && nl_len(tb[RTA_PREFSRC]) == alen) {
		out->src.family = rtm->rtm_family;
		memcpy(out->src.b, nl_data(tb[RTA_PREFSRC]), alen);
	}
	return 1;
}

int route_get(struct nl_sock *s, const struct pn_ip *dst, struct route_hop *out,
	      struct pn_err *err)
{
	char buf[ROUTE_REQ_BUF], what[96], a[PN_IP_STRLEN];
	struct rtmsg *rtm;
	struct nl_req r;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "look up the route to %s", pn_ip_str(dst, a));
	nl_req_init(&r, buf, sizeof(buf), RTM_GETROUTE, 0, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = (uint8_t)dst->family;
	/* Strict checking wants a full-length destination for a lookup
	 * (inet_rtm_valid_getroute_req). */
	rtm->rtm_dst_len = (uint8_t)(pn_ip_len(dst) * 8);
	if (nl_put(&r, RTA_DST, dst->b, pn_ip_len(dst)) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	return nl_dump(s, &r, route_get_cb, out, what, err);
}
