/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NFTRACE_H
#define PODNET_NFTRACE_H

/*
 * nftables trace events (`nft monitor trace`), decoded with podnet's own
 * netlink layer.  A packet whose skb carries nf_trace (set by a rule's
 * `meta nftrace set 1`) makes nft_do_chain() report, per base chain it
 * enters, one NFT_MSG_TRACE message to the NFNLGRP_NFTRACE group of the
 * packet's namespace for every rule that issued a verdict (a rule that
 * does not match issues none), for the return from a regular chain, and
 * for the base chain's policy.  The first message of each base chain also
 * carries the interfaces and the packet's headers.
 *
 * Why not libnftnl's nftnl_trace: it decodes the same attributes into the
 * same fields, but needs its own netlink socket handling (libmnl) beside
 * ours, and podnet needs one thing more than it offers, the namespace of
 * each event (NETLINK_LISTEN_ALL_NSID), which comes with the datagram, not
 * the message.  The decoding below is a table of a dozen attributes.
 *
 * nf_trace does not survive a namespace crossing (a veth's transmit
 * scrubs the skb: skb_scrub_packet -> nf_reset_trace), so a tracer marks
 * the packet again in every namespace it enters.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nl.h"
#include "util.h"

#define NFTRACE_NAME_MAX 256    /* NFT_TABLE_MAXNAMELEN = NFT_CHAIN_MAXNAMELEN */

enum nftrace_type {
	NFTRACE_UNSPEC = 0,
	NFTRACE_POLICY = 1,  /* the base chain's policy decided (verdict = policy) */
	NFTRACE_RETURN = 2,  /* end of a regular chain: back to the caller */
	NFTRACE_RULE = 3,    /* a rule issued a verdict (continue included) */
};

/* Verdict codes as the kernel reports them (NFTA_VERDICT_CODE):
 * NF_DROP 0, NF_ACCEPT 1, NF_STOLEN 2, NF_QUEUE 3, NF_REPEAT 4, and
 * nftables' own NFT_CONTINUE -1, NFT_BREAK -2, NFT_JUMP -3, NFT_GOTO -4,
 * NFT_RETURN -5.  NF_QUEUE carries the queue number in its upper bits. */
struct nftrace_event {
	uint32_t id;                   /* the same for every event of one skb in one namespace */
	int nsid;                      /* NL_NSID_SELF: the listening socket's namespace */
	uint8_t family;                /* NFPROTO_* of the table */
	enum nftrace_type type;
	char table[NFTRACE_NAME_MAX];
	char chain[NFTRACE_NAME_MAX];
	uint64_t handle;               /* the rule's handle; 0 for policy/return */
	bool has_verdict;
	int32_t verdict;               /* rule/return: its verdict; policy: the policy */
	char target[NFTRACE_NAME_MAX]; /* jump/goto chain, "" otherwise */
	uint32_t iif, oif;             /* ifindexes, 0 when not reported */
	uint32_t mark;
	uint32_t nfproto;              /* the protocol nf_tables processed (inet: ip/ip6) */
	/* Headers, on the first event of a base chain only (the kernel sends
	 * at most 20 link-layer, 40 network and 20 transport bytes). */
	uint8_t ll[20], nh[40], th[20];
	uint8_t ll_len, nh_len, th_len;
};

/*
 * A socket in the caller's namespace that receives the trace events of it
 * and of every namespace with an id in it (netns_peer_id()), in the order
 * the kernel sent them.  Events are generated only while some socket
 * listens (nfnetlink_has_listeners()), so open it before sending.
 */
int nftrace_listen(struct nl_sock *s, struct pn_err *err) PN_MUST_CHECK;

/* Decode one message; -EINVAL when it is not an NFT_MSG_TRACE. */
int nftrace_decode(const struct nlmsghdr *h, int nsid, struct nftrace_event *ev) PN_MUST_CHECK;

typedef int (*nftrace_cb)(const struct nftrace_event *ev, void *arg);
/* Read the queued trace events and those arriving until @idle_ms pass
 * without one; other messages are skipped.  *lost counts overflows. */
int nftrace_read(struct nl_sock *s, int idle_ms, nftrace_cb cb, void *arg, unsigned int *lost,
		 struct pn_err *err) PN_MUST_CHECK;

/* "accept", "drop", "continue", "jump", "goto", "return", "queue",
 * "stolen", "break", "repeat". */
const char *nftrace_verdict_str(int32_t verdict);
/* "ip", "ip6", "inet", "arp", "bridge", "netdev" (nft's family names). */
const char *nftrace_family_str(uint8_t family);
/* Whether the verdict ends the packet's way through netfilter here. */
bool nftrace_verdict_drops(int32_t verdict);

#endif
