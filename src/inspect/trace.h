/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_TRACE_H
#define PODNET_TRACE_H

/*
 * `podnet trace FROM TO:PORT`: send one probe and name every nftables
 * table, chain and rule its packets (and the answers) crossed, in every
 * namespace on the way, with the verdicts, whoever wrote the rules.
 *
 * How: the probe's identity is fixed before it is sent (its source port,
 * or its ICMP echo id).  In each namespace on the path (the sender's, the
 * node's, the receiver's) one table per family, `podnet-trace-<pid>`, gets
 * base chains at the earliest hooks (netdev ingress of the path's
 * interfaces, bridge prerouting/output, inet prerouting/output, all at
 * priority INT_MIN) whose rules set `meta nftrace` on the probe's packets,
 * its answers and ICMP errors quoting it, and nothing else; each
 * namespace's tables are added in one transaction and deleted after.  A
 * netfilter socket in the node's namespace listening to every namespace's
 * trace group (NETLINK_LISTEN_ALL_NSID) receives the kernel's events in
 * order; each rule's text comes from the namespace's ruleset as
 * libnftables prints it.  Data, never text: the CLI prints it.
 */

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nftrace.h"
#include "probe.h"
#include "store.h"
#include "util.h"

/* One end of the path, or the node. */
struct trace_end {
	char name[300];          /* "pod1", "default/pod2" outside default... "node" */
	int nsfd;                /* the pod's network namespace; -1: the node's */
	char ifname[IF_NAMESIZE];  /* the pod's interface ("eth0") */
	char host_if[IF_NAMESIZE]; /* its veth peer on the node */
};

struct trace_req {
	enum probe_kind kind;
	struct pn_ip dst;
	int port;
	int timeout_ms;
	struct trace_end from;   /* nsfd -1: from the node */
	struct trace_end to;     /* name "" when TO is not a pod of this node */
};

/* One event, as the kernel reported it, with what the ruleset says. */
struct trace_event {
	int where;               /* index into trace_result.where */
	uint32_t id;
	uint8_t family;
	enum nftrace_type type;
	char *table, *chain;
	char *hook;              /* the base chain's hook, or the one that called the chain */
	char *chain_comment;     /* the chain's comment, NULL if none */
	uint64_t handle;         /* NFTRACE_RULE */
	bool has_verdict;
	int32_t verdict;
	char *target;            /* jump/goto target, NULL otherwise */
	char *rule;              /* the rule's text; NULL for policy/return, or if gone */
};

/* A packet's passage through one namespace: the events of one skb. */
struct trace_packet {
	int where;
	uint32_t id;
	char hook[16];           /* where it was first marked: ingress, prerouting, output */
	char iif[IF_NAMESIZE], oif[IF_NAMESIZE];
	int l4;                  /* IPPROTO_*, 0 if no headers were reported */
	struct pn_ip src, dst;
	uint16_t sport, dport;   /* TCP/UDP */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	bool icmp_error;         /* an ICMP error about the probe */
	size_t first, n;         /* its events: events[first .. first+n) */
	bool dropped;            /* a verdict dropped it in this namespace */
	size_t drop;             /* the event that did, when dropped */
};

struct trace_result {
	struct probe_result probe;
	int src_port;            /* TCP/UDP source port of the probe */
	uint16_t icmp_id;
	char where[3][300];      /* names of the namespaces: [0] node, [1] FROM, [2] TO */
	size_t n_where;
	struct trace_event *events;
	size_t n_events;
	struct trace_packet *packets;
	size_t n_packets;
	unsigned int lost;       /* receive queue overflows (events missing) */
	bool dropped;            /* some rule or policy dropped a probe packet */
	size_t drop_packet;      /* the first such packet */
};

/* Fill @end for pod @sp: its netns (opened; close with trace_end_close),
 * its interface and the host veth. */
int trace_end_pod(const struct store_pod *sp, struct trace_end *end,
		  struct pn_err *err) PN_MUST_CHECK;
void trace_end_node(struct trace_end *end);
void trace_end_close(struct trace_end *end);

/* Run the probe with tracing on.  0 with @res filled (even when the probe
 * failed to reach its target), -errno when the trace could not be set up. */
int trace_run(const struct trace_req *req, struct trace_result *res,
	      struct pn_err *err) PN_MUST_CHECK;
void trace_result_free(struct trace_result *res);

/* The table prefix the tracer's own tables carry ("podnet-trace-"). */
#define TRACE_TABLE_PREFIX "podnet-trace-"

/* "SYN", "SYN,ACK", "RST,ACK"... of TCP flags. */
void trace_tcp_flags_str(uint8_t flags, char *out, size_t n);

#endif
