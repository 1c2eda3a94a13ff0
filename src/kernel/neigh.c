/* SPDX-License-Identifier: Apache-2.0 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <stdio.h>
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
