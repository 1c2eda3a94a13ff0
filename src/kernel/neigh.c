/* SPDX-License-Identifier: Apache-2.0 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int proxy_msg(struct nl_sock *s, uint16_t type, uint16_t flags, int ifindex,
		     const struct pn_ip *ip, struct pn_err *err)
{
	char buf[256], what[96], a[PN_IP_STRLEN];
	struct pn_err e = { 0 };
	struct ndmsg *nd;
	struct nl_req r;
	int ret;

	snprintf(what, sizeof(what), "%s proxy neighbour %s on link #%d",
		 type == RTM_NEWNEIGH ? "add" : "delete", pn_ip_str(ip, a), ifindex);
	nl_req_init(&r, buf, sizeof(buf), type, flags, sizeof(*nd), (void **)&nd);
	nd->ndm_family = (uint8_t)ip->family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_flags = NTF_PROXY;
	if (nl_put(&r, NDA_DST, ip->b, pn_ip_len(ip)) < 0)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request too large", what);
	ret = nl_talk(s, &r, what, &e);
	if (ret < 0 && !(ret == -ENOENT && type == RTM_DELNEIGH))
		pn_err_move(err, &e);
	pn_err_free(&e);
	return ret;
}

int neigh_proxy_add(struct nl_sock *s, int ifindex, const struct pn_ip *ip, struct pn_err *err)
{
	return proxy_msg(s, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, ifindex, ip, err);
}

int neigh_proxy_del(struct nl_sock *s, int ifindex, const struct pn_ip *ip, struct pn_err *err)
{
	return proxy_msg(s, RTM_DELNEIGH, 0, ifindex, ip, err);
}

struct neigh_acc {
	int ifindex;
	struct neigh_entry *v;
	size_t n, cap;
};

static int neigh_cb(const struct nlmsghdr *h, void *arg)
{
	struct neigh_acc *a = arg;
	const struct ndmsg *nd = NLMSG_DATA(h);
	struct nlattr *tb[NDA_MAX + 1];
	struct neigh_entry *e;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return 0;
	if ((nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) ||
	    (a->ifindex && nd->ndm_ifindex != a->ifindex) || (nd->ndm_flags & NTF_PROXY))
		return 0;
	nl_parse_msg(tb, NDA_MAX, h, sizeof(*nd));
	alen = nd->ndm_family == AF_INET ? 4 : 16;
	if (!tb[NDA_DST] || nl_len(tb[NDA_DST]) != alen)
		return 0;
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 16;
		struct neigh_entry *nv = realloc(a->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->cap = nc;
	}
	e = &a->v[a->n++];
	memset(e, 0, sizeof(*e));
	e->ifindex = nd->ndm_ifindex;
	e->ip.family = nd->ndm_family;
	memcpy(e->ip.b, nl_data(tb[NDA_DST]), alen);
	e->state = nd->ndm_state;
	e->flags = nd->ndm_flags;
	if (tb[NDA_LLADDR] && nl_len(tb[NDA_LLADDR]) == 6) {
		memcpy(e->mac, nl_data(tb[NDA_LLADDR]), 6);
		e->has_mac = true;
	}
	return 0;
}

int neigh_list(struct nl_sock *s, int ifindex, int family, struct neigh_entry **out, size_t *n,
	       struct pn_err *err)
{
	struct neigh_acc acc = { .ifindex = ifindex };
	char buf[128];
	struct ndmsg *nd;
	struct nl_req r;
	int ret = 0;

	*out = NULL;
	*n = 0;
	for (int tries = 0; tries < 4; tries++) {
		nl_req_init(&r, buf, sizeof(buf), RTM_GETNEIGH, NLM_F_DUMP, sizeof(*nd), (void **)&nd);
		nd->ndm_family = (uint8_t)family;
		/* Strict dumps want the header's ifindex 0 and filter by
		 * NDA_IFINDEX (neigh_valid_dump_req); the callback filters
		 * again for kernels without strict checking. */
		if (ifindex && nl_put_u32(&r, NDA_IFINDEX, (uint32_t)ifindex) < 0)
			return pn_error(err, PN_E_KERNEL, EMSGSIZE, "list neighbour entries: request too large");
		acc.n = 0;
		ret = nl_dump(s, &r, neigh_cb, &acc, "list neighbour entries", err);
		if (ret != -EAGAIN)
			break;
		pn_err_free(err);
	}
	if (ret < 0) {
		free(acc.v);
		return ret;
	}
	*out = acc.v;
	*n = acc.n;
	return 0;
}

const char *neigh_state_str(uint16_t st)
{
	if (st & NUD_PERMANENT) return "PERMANENT";
	if (st & NUD_NOARP) return "NOARP";
	if (st & NUD_REACHABLE) return "REACHABLE";
	if (st & NUD_STALE) return "STALE";
	if (st & NUD_DELAY) return "DELAY";
	if (st & NUD_PROBE) return "PROBE";
	if (st & NUD_FAILED) return "FAILED";
	if (st & NUD_INCOMPLETE) return "INCOMPLETE";
	return "NONE";
}
