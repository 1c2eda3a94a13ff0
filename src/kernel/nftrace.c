/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nftables trace events over nfnetlink; see nftrace.h.  The attribute
 * layout is the kernel's nf_tables_trace.c (nft_trace_notify): all
 * integers big-endian, the verdict nested as in rule expressions.
 */
#include "nftrace.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>

/* NF_VERDICT_MASK: NF_QUEUE keeps the queue number above it. */
#define VERDICT_MASK 0x000000ffU

/* The trace queue fills in bursts (a TCP probe and its retransmissions,
 * tens of events per packet in a busy ruleset); what does not fit is lost
 * for good, so ask for room up front. */
#define NFTRACE_RCVBUF (4 << 20)

int nftrace_listen(struct nl_sock *s, struct pn_err *err)
{
	int ret;

	ret = nl_open(s, NETLINK_NETFILTER, err);
	if (ret < 0)
		return ret;
	nl_set_rcvbuf(s, NFTRACE_RCVBUF);
	ret = nl_listen_all_nsid(s, err);
	if (ret == 0)
		ret = nl_join_group(s, NFNLGRP_NFTRACE, err);
	if (ret < 0)
		nl_close(s);
	return ret;
}

static void copy_name(char *dst, const struct nlattr *a)
{
	const char *v = nl_get_str(a);

	snprintf(dst, NFTRACE_NAME_MAX, "%s", v ? v : "");
}

static uint8_t copy_bytes(uint8_t *dst, size_t cap, const struct nlattr *a)
{
	size_t n;

	if (!a)
		return 0;
	n = nl_len(a) < cap ? nl_len(a) : cap;
	memcpy(dst, nl_data(a), n);
	return (uint8_t)n;
}

int nftrace_decode(const struct nlmsghdr *h, int nsid, struct nftrace_event *ev)
{
	struct nlattr *tb[NFTA_TRACE_MAX + 1];
	const struct nfgenmsg *g;

	if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(h->nlmsg_type) != NFT_MSG_TRACE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return -EINVAL;
	g = NLMSG_DATA(h);
	memset(ev, 0, sizeof(*ev));
	ev->nsid = nsid;
	ev->family = g->nfgen_family;
	nl_parse_msg(tb, NFTA_TRACE_MAX, h, sizeof(*g));
	if (!tb[NFTA_TRACE_ID] || !tb[NFTA_TRACE_TYPE])
		return -EINVAL;
	ev->id = nl_get_be32(tb[NFTA_TRACE_ID]);
	ev->type = (enum nftrace_type)nl_get_be32(tb[NFTA_TRACE_TYPE]);
	copy_name(ev->table, tb[NFTA_TRACE_TABLE]);
	copy_name(ev->chain, tb[NFTA_TRACE_CHAIN]);
	if (tb[NFTA_TRACE_RULE_HANDLE])
		ev->handle = nl_get_be64(tb[NFTA_TRACE_RULE_HANDLE]);
	if (tb[NFTA_TRACE_VERDICT]) {
		struct nlattr *vb[NFTA_VERDICT_MAX + 1];

		nl_parse_nested(vb, NFTA_VERDICT_MAX, tb[NFTA_TRACE_VERDICT]);
		if (vb[NFTA_VERDICT_CODE]) {
			ev->has_verdict = true;
			ev->verdict = (int32_t)nl_get_be32(vb[NFTA_VERDICT_CODE]);
		}
		copy_name(ev->target, vb[NFTA_VERDICT_CHAIN]);
	}
	if (ev->type == NFTRACE_POLICY && tb[NFTA_TRACE_POLICY]) {
		ev->has_verdict = true;
		ev->verdict = (int32_t)nl_get_be32(tb[NFTA_TRACE_POLICY]);
	}
	ev->iif = nl_get_be32(tb[NFTA_TRACE_IIF]);
	ev->oif = nl_get_be32(tb[NFTA_TRACE_OIF]);
	ev->mark = nl_get_be32(tb[NFTA_TRACE_MARK]);
	ev->nfproto = tb[NFTA_TRACE_NFPROTO] ? nl_get_be32(tb[NFTA_TRACE_NFPROTO]) : ev->family;
	ev->ll_len = copy_bytes(ev->ll, sizeof(ev->ll), tb[NFTA_TRACE_LL_HEADER]);
	ev->nh_len = copy_bytes(ev->nh, sizeof(ev->nh), tb[NFTA_TRACE_NETWORK_HEADER]);
	ev->th_len = copy_bytes(ev->th, sizeof(ev->th), tb[NFTA_TRACE_TRANSPORT_HEADER]);
	return 0;
}

struct read_job {
	nftrace_cb cb;
	void *arg;
};

static int read_one(const struct nlmsghdr *h, int nsid, void *arg)
{
	struct read_job *j = arg;
	struct nftrace_event ev;

	if (nftrace_decode(h, nsid, &ev) < 0)
		return 0;
	return j->cb(&ev, j->arg);
}

int nftrace_read(struct nl_sock *s, int idle_ms, nftrace_cb cb, void *arg, unsigned int *lost,
		 struct pn_err *err)
{
	struct read_job j = { .cb = cb, .arg = arg };

	return nl_read_events(s, idle_ms, read_one, &j, lost, err);
}

const char *nftrace_verdict_str(int32_t v)
{
	switch (v) {
	case NFT_CONTINUE: return "continue";
	case NFT_BREAK: return "break";
	case NFT_JUMP: return "jump";
	case NFT_GOTO: return "goto";
	case NFT_RETURN: return "return";
	default: break;
	}
	switch ((uint32_t)v & VERDICT_MASK) {
	case NF_DROP: return "drop";
	case NF_ACCEPT: return "accept";
	case NF_STOLEN: return "stolen";
	case NF_QUEUE: return "queue";
	case NF_REPEAT: return "repeat";
	}
	return "?";
}

bool nftrace_verdict_drops(int32_t v)
{
	return v >= 0 && ((uint32_t)v & VERDICT_MASK) == NF_DROP;
}

const char *nftrace_family_str(uint8_t family)
{
	switch (family) {
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_INET: return "inet";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	}
	return "?";
}
