/* SPDX-License-Identifier: Apache-2.0 */
#include "addr.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_REQ_BUF 256
/* A dump the kernel marks NLM_F_DUMP_INTR (addresses changed under it) is
 * started again from scratch this many times before giving up. */
#define ADDR_DUMP_TRIES 3

static int addr_req(struct nl_sock *s, uint16_t type, uint16_t nlflags, int ifindex,
		    const struct pn_cidr *a, unsigned flags, const char *what, struct pn_err *err)
{
	char buf[ADDR_REQ_BUF];
	size_t len = pn_ip_len(&a->ip);
	struct ifaddrmsg *ifa;
	struct nl_req r;

	if (!len || a->prefix < 0 || (size_t)a->prefix > len * 8 || ifindex <= 0)
		return pn_error(err, PN_E_KERNEL, EINVAL, "%s: invalid address or link", what);
	nl_req_init(&r, buf, sizeof(buf), type, nlflags, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = (uint8_t)a->ip.family;
	ifa->ifa_prefixlen = (uint8_t)a->prefix;
	ifa->ifa_index = (uint32_t)ifindex;
	/* IPv6 derives the scope from the address itself; for IPv4 it is
	 * ours to give, and 127/8 is host scope as with `ip addr add`. */
	ifa->ifa_scope = a->ip.family == AF_INET && a->ip.b[0] == 127 ? RT_SCOPE_HOST
								     : RT_SCOPE_UNIVERSE;
	if (a->ip.family == AF_INET) {
		/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the
		 * peer on point-to-point links, equal to it otherwise. */
		if (nl_put(&r, IFA_LOCAL, a->ip.b, len) < 0 || nl_put(&r, IFA_ADDRESS, a->ip.b, len) < 0)
			goto too_big;
		if (type == RTM_NEWADDR && a->prefix < 31) {
			struct pn_ip brd;

			pn_cidr_last(a, &brd);
			if (nl_put(&r, IFA_BROADCAST, brd.b, len) < 0)
				goto too_big;
		}
	} else if (nl_put(&r, IFA_ADDRESS, a->ip.b, len) < 0) {
		goto too_big;
	}
	if (flags & ADDR_NODAD) {
		/* IFA_F_NODAD: no tentative phase, the address is usable at
		 * once (IPv6 DAD would delay it ~1 s and send NS multicast).
		 * IFA_FLAGS (3.14) carries all 32 flag bits; ifa_flags too for
		 * older kernels. */
		ifa->ifa_flags |= IFA_F_NODAD;
		if (nl_put_u32(&r, IFA_FLAGS, IFA_F_NODAD) < 0)
			goto too_big;
	}
	return nl_talk(s, &r, what, err);
too_big:
	return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
}

int addr_add(struct nl_sock *s, int ifindex, const struct pn_cidr *a, unsigned flags,
	     struct pn_err *err)
{
	char what[96], cidr[PN_CIDR_STRLEN];
	struct pn_err e = { 0 };
	int ret;

	snprintf(what, sizeof(what), "add address %s to link #%d", pn_cidr_str(a, cidr), ifindex);
	ret = addr_req(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a, flags, what, &e);
	if (ret < 0 && ret != -EEXIST)
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

int addr_del(struct nl_sock *s, int ifindex, const struct pn_cidr *a, struct pn_err *err)
{
	char what[96], cidr[PN_CIDR_STRLEN];

	snprintf(what, sizeof(what), "delete address %s from link #%d", pn_cidr_str(a, cidr),
		 ifindex);
	return addr_req(s, RTM_DELADDR, 0, ifindex, a, 0, what, err);
}

struct addr_filter {
	int ifindex;
	int family;
};

static int addr_list_cb(const struct nlmsghdr *h, void *arg, void *elem)
{
	const struct addr_filter *f = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct nlattr *tb[IFA_MAX + 1];
	const struct nlattr *a;
	struct pn_cidr *c = elem;
	size_t len;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	/* The kernel filters by index under strict checking; old kernels
	 * ignore the filter, so check again. */
	if ((f->ifindex && (int)ifa->ifa_index != f->ifindex) ||
	    (f->family != AF_UNSPEC && ifa->ifa_family != f->family) ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	nl_parse_msg(tb, IFA_MAX, h, sizeof(*ifa));
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	c->ip.family = ifa->ifa_family;
	len = pn_ip_len(&c->ip);
	if (!a || nl_len(a) != len)
		return 0;
	memcpy(c->ip.b, nl_data(a), len);
	c->prefix = ifa->ifa_prefixlen;
	return 1;
}

int addr_list(struct nl_sock *s, int ifindex, int family, struct pn_cidr **out, size_t *n,
	      struct pn_err *err)
{
	struct addr_filter f = { .ifindex = ifindex, .family = family };
	char buf[ADDR_REQ_BUF], what[64];
	struct ifaddrmsg *ifa;
	struct nl_req r;

	snprintf(what, sizeof(what), "list addresses of link #%d", ifindex);
	nl_req_init(&r, buf, sizeof(buf), RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (uint32_t)ifindex;
	return nl_dump_array(s, &r, ADDR_DUMP_TRIES, addr_list_cb, &f, sizeof(**out),
			     (void **)out, n, what, err);
}
