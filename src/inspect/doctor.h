/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_DOCTOR_H
#define PODNET_DOCTOR_H

/*
 * `podnet doctor`: the seed's troubleshooting checklist, automated.  Each
 * check reads the kernel (rtnetlink, sock_diag, nf_tables, /proc/sys), the
 * runtime's state, the CNI cache and the IPAM leases, and produces one
 * verdict with its evidence and, when something is wrong, the fix.
 *
 * Checks never change anything on the node; the only traffic they send is
 * an ICMP echo from the node to the pod and, with a target, a TCP/HTTP
 * probe from the pod to it.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "store.h"
#include "util.h"

struct podrt;

enum doctor_status { DOCTOR_OK = 0, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_check {
	char scope[128];           /* "pod1", "default/pod1" outside default, "node" */
	char name[32];             /* stable check id: "eth0", "route", "listener"... */
	enum doctor_status status;
	char msg[640];             /* the evidence */
	char fix[384];             /* what to do; "" when nothing */
};

struct doctor_report {
	struct doctor_check *v;
	size_t n, cap;
	size_t n_fail, n_warn;
};

struct doctor_opts {
	struct podrt *rt;          /* opened; its paths and store are used */
	const char *cni_path;      /* full CNI_PATH plugins are searched in */
	int timeout_ms;            /* per probe; 0: 1000 */
};

/*
 * Check pod @pod_ref ("name" or "namespace/name") and, if @to is not
 * NULL ("TARGET:PORT", TARGET a pod, namespace/pod or IP; "[v6]:PORT"),
 * the path to it: the target pod's own network checks, something
 * listening on PORT there, the policy verdict, and a TCP (HTTP for ports
 * 80/8080) probe from the pod.  0 with @rep filled (even when checks
 * failed), or -errno when the checks could not run (bad @to).
 */
int doctor_pod(const struct doctor_opts *o, const char *pod_ref, const char *to,
	       struct doctor_report *rep, struct pn_err *err) PN_MUST_CHECK;

/* The whole node: CNI config, plugins, versions, STATUS, orphans,
 * leaked leases, then every pod's network checks. */
int doctor_node(const struct doctor_opts *o, struct doctor_report *rep,
		struct pn_err *err) PN_MUST_CHECK;

void doctor_report_free(struct doctor_report *rep);
const char *doctor_status_str(enum doctor_status s); /* "ok", "warn", "fail" */
const char *doctor_status_mark(enum doctor_status s); /* ✅ ⚠️ ❌ */
/* {"ok": bool, "failed": n, "warnings": n, "checks": [{scope, check, status, message, fix}]} */
json_t *doctor_report_to_json(const struct doctor_report *rep);

/* ------------------------------------------------------------------ */
/* pod references, shared with `podnet probe`                         */

/* "name" (namespace "default") or "namespace/name"; -ENOENT with
 * kubectl's `pods "name" not found`. */
int doctor_pod_find(struct store *st, const char *ref, struct store_pod **out,
		    struct pn_err *err) PN_MUST_CHECK;
/* The pod whose pod IP (any of pod_ips) is @ip; -ENOENT if none. */
int doctor_pod_find_by_ip(struct store *st, const struct pn_ip *ip, struct store_pod **out,
			  struct pn_err *err) PN_MUST_CHECK;
/* The pod's network namespace: its pin, else its pause process's. */
int doctor_pod_netns_open(const struct store_pod *sp, struct pn_err *err) PN_MUST_CHECK;
/* The pod's first IP of @family (AF_UNSPEC: any); -ENOENT if none. */
int doctor_pod_ip(const struct store_pod *sp, int family, struct pn_ip *out) PN_MUST_CHECK;

/* Split "HOST:PORT", "[v6]:PORT", "HOST" (port 0), a bare IPv6 address
 * (port 0).  -EINVAL naming @s on a bad port. */
int doctor_split_target(const char *s, char *host, size_t host_size, int *port,
			struct pn_err *err) PN_MUST_CHECK;

#endif
