/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PROBE_H
#define PODNET_PROBE_H

/*
 * Probes run natively from inside a network namespace: nothing is executed
 * in the pod's image, so a pod without curl, nc or ping can still be
 * probed.  Every probe runs in a short-lived thread that setns()es into the
 * pod's namespace (netns_run); its sockets are created there and so belong
 * to that namespace, while the caller's thread never changes namespace.
 *
 * A failure to reach the target is not an error of the call: it returns 0
 * and says what happened in res->outcome.  -errno means the probe itself
 * could not be run (no such netns, no socket of that kind...).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

enum probe_kind { PROBE_TCP = 0, PROBE_HTTP, PROBE_UDP, PROBE_ICMP };

enum probe_outcome {
	PROBE_OK = 0,        /* connected / HTTP answered / echo reply / UDP answered */
	PROBE_NO_ANSWER,     /* UDP only: nothing came back, no ICMP error (open|filtered) */
	PROBE_REFUSED,       /* TCP RST, ICMP port unreachable */
	PROBE_TIMEOUT,       /* nothing at all within the timeout */
	PROBE_NO_ROUTE,      /* ENETUNREACH: the namespace has no route to the target */
	PROBE_UNREACHABLE,   /* EHOSTUNREACH: no ARP/NDP answer, or ICMP unreachable */
	PROBE_RESET,         /* ECONNRESET after connecting */
	PROBE_HTTP_ERROR,    /* HTTP answered with a status >= 400, or not HTTP */
	PROBE_FAILED,        /* any other errno, in res->errnum */
};

struct probe_req {
	enum probe_kind kind;
	struct pn_ip dst;
	int port;              /* TCP/HTTP/UDP */
	int timeout_ms;        /* 0: 2000 */
	const char *http_path; /* NULL: "/" */
	/* The probe's own identity, for a tracer that marks exactly its
	 * packets: TCP/UDP bind this source port (0: an ephemeral one;
	 * -EADDRINUSE when taken), ICMP echoes carry this id (0: random). */
	int src_port;
	uint16_t icmp_id;
};

struct probe_result {
	enum probe_outcome outcome;
	int errnum;                /* errno behind a failed outcome, 0 if none */
	uint64_t elapsed_us;       /* connect time (TCP/HTTP), round trip (ICMP/UDP) */
	uint64_t total_us;         /* whole HTTP exchange */
	int http_status;           /* 0 if none */
	char status_line[128];     /* "HTTP/1.1 200 OK" */
	size_t bytes;              /* HTTP body bytes / UDP reply bytes */
	const char *icmp_socket;   /* "raw" or "ping" (SOCK_DGRAM ping socket) */
	char from[PN_IP_STRLEN];   /* source of an ICMP error ("" if none) */
	int icmp_type, icmp_code;  /* that error's type and code (-1: none) */
	bool icmp_self;            /* the error came from the probing namespace itself
				    * (its own address: no ARP/NDP answer for the next hop) */
	char detail[160];          /* one phrase for the user, "" if nothing to add */
};

/*
 * Run @req from inside the network namespace @netns_fd (-1: the caller's,
 * "from the node").  0 with @res filled, or -errno.
 * ICMP uses a SOCK_RAW socket (root, CAP_NET_RAW in the namespace's owning
 * user namespace) and falls back to an unprivileged "ping socket"
 * (SOCK_DGRAM/IPPROTO_ICMP, allowed by the namespace's
 * net.ipv4.ping_group_range); res->icmp_socket says which.  The pod's
 * sysctls are never changed to make a probe work.
 */
int probe_run(int netns_fd, const struct probe_req *req, struct probe_result *res,
	      struct pn_err *err) PN_MUST_CHECK;

/* "connected", "refused", "timed out", "no route to host"... */
const char *probe_outcome_str(enum probe_outcome o);
const char *probe_kind_str(enum probe_kind k);
/* Outcomes that count as reaching the target (exit 0). */
bool probe_outcome_ok(enum probe_outcome o);

#endif
