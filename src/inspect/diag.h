/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_DIAG_H
#define PODNET_DIAG_H

/*
 * Sockets of a network namespace, as `ss` sees them: NETLINK_SOCK_DIAG
 * dumps (inet_diag_req_v2) from a socket opened inside the namespace, and,
 * like `ss -p`, the processes holding each socket, found by scanning
 * /proc/PID/fd for "socket:[INODE]" among the processes of that namespace.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "util.h"

/* Kernel TCP states (include/net/tcp_states.h), which UDP reuses:
 * an unconnected UDP socket is TCP_CLOSE, a connected one ESTABLISHED. */
enum diag_state {
	DIAG_ESTABLISHED = 1,
	DIAG_SYN_SENT,
	DIAG_SYN_RECV,
	DIAG_FIN_WAIT1,
	DIAG_FIN_WAIT2,
	DIAG_TIME_WAIT,
	DIAG_CLOSE,
	DIAG_CLOSE_WAIT,
	DIAG_LAST_ACK,
	DIAG_LISTEN,
	DIAG_CLOSING,
	DIAG_NEW_SYN_RECV,
	DIAG_STATE_MAX,
};

/* ss's state sets (misc/ss.c): -l, the default, -a. */
#define DIAG_STATES_LISTEN ((1u << DIAG_LISTEN) | (1u << DIAG_CLOSE))
#define DIAG_STATES_ALL ((1u << 13) - 1)
#define DIAG_STATES_CONN \
	(DIAG_STATES_ALL & ~((1u << DIAG_LISTEN) | (1u << DIAG_CLOSE) | (1u << DIAG_TIME_WAIT) | \
			     (1u << DIAG_SYN_RECV)))

/* ss's names: "ESTAB", "LISTEN", "UNCONN" (TCP_CLOSE)... */
const char *diag_state_str(int state);

/* A process holding a socket open. */
struct diag_owner {
	pid_t pid;
	int fd;
	char comm[32];          /* /proc/PID/stat's comm, as ss prints it */
	char ctr_id[65];        /* podnet container id from /proc/PID/cgroup, "" if none */
};

struct diag_sock {
	int proto;              /* IPPROTO_TCP, IPPROTO_UDP */
	int state;              /* enum diag_state */
	struct pn_ip local, remote;
	uint16_t lport, rport;
	uint32_t rqueue;        /* Recv-Q; for LISTEN: connections waiting for accept() */
	uint32_t wqueue;        /* Send-Q; for LISTEN: the backlog */
	uint32_t inode;
	uint32_t uid;
	int ifindex;            /* SO_BINDTODEVICE, 0: none */
	bool v6only;            /* INET_DIAG_SKV6ONLY: "::" prints as "[::]", not "*" */
	struct diag_owner *owners; /* with DIAG_Q_OWNERS; highest pid first, as ss */
	size_t n_owners;
};

enum {
	DIAG_Q_TCP = 1u << 0,
	DIAG_Q_UDP = 1u << 1,
};

struct diag_query {
	unsigned int protos;    /* DIAG_Q_TCP | DIAG_Q_UDP */
	unsigned int states;    /* 1u << enum diag_state, e.g. DIAG_STATES_LISTEN */
	int family;             /* AF_INET, AF_INET6, AF_UNSPEC: both */
	bool owners;            /* scan /proc for the owning processes */
};

/*
 * Sockets of the network namespace @netns_fd, in ss's order: UDP before
 * TCP, IPv4 before IPv6 within each, the kernel's dump order within those.
 * *out is malloc'ed, free it with diag_socks_free().
 */
int diag_list(int netns_fd, const struct diag_query *q, struct diag_sock **out, size_t *n,
	      struct pn_err *err) PN_MUST_CHECK;
void diag_socks_free(struct diag_sock *v, size_t n);

/*
 * `ss -s`: the socket counts of the namespace, from its /proc/net/sockstat,
 * sockstat6 and snmp (Tcp CurrEstab), read from a thread that joined it
 * (/proc/thread-self/net: /proc/net is the process's main thread's
 * namespace).  As in ss, tcp_alloc is the kernel's count of TCP sockets
 * allocated on the whole host ("TCP: ... alloc"), the rest per namespace.
 */
struct diag_summary {
	int socks;                 /* sockets: used */
	int tcp4_hashed, tcp6_hashed, tcp_orphans, tcp_tws, tcp_alloc, tcp_estab;
	int udp4, udp6, raw4, raw6, frag4, frag6;
};
int diag_summary(int netns_fd, struct diag_summary *out, struct pn_err *err) PN_MUST_CHECK;

/* The podnet container id in @pid's cgroup path (.../podnet/pod<uid>/<id>,
 * the layout podnet-shim gives the runtime); -ENOENT if it is in none. */
int diag_pid_container(pid_t pid, char id[65]) PN_MUST_CHECK;

/* The parent pid of @pid (/proc/PID/stat field 4). */
int diag_pid_ppid(pid_t pid, pid_t *ppid) PN_MUST_CHECK;

/*
 * Run @argv (searched in PATH) in a child process in the network
 * namespace @netns_fd, as `nsenter -t PID -n` does: it is spawned from a
 * thread that joined the namespace with setns(2), so neither the caller
 * nor its other threads ever change namespace; mount, pid and user namespaces
 * stay the node's, so node binaries and /proc work as on the node.  SIGINT
 * and SIGQUIT are ignored by the caller while it waits (system(3)'s rule:
 * ^C belongs to the command).  *status is the exit code, 128+N for a
 * signal.  A command that cannot be executed: -ENOENT/-EACCES..., with
 * *status 127 (not found) or 126, and @err naming it.
 */
int diag_exec_in_netns(int netns_fd, char *const argv[], int *status,
		       struct pn_err *err) PN_MUST_CHECK;

#endif
