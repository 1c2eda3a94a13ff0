/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The troubleshooting checklist of the seed, as checks over the kernel's
 * and the runtime's state.  See doctor.h.  Every message names the object
 * and the value seen; every fix is a command the user can paste.
 */
#include "doctor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/neighbour.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "bridge.h"
#include "buf.h"
#include "cni.h"
#include "cniclient.h"
#include "diag.h"
#include "evaluate.h"
#include "inventory.h"
#include "ipam.h"
#include "link.h"
#include "neigh.h"
#include "netns.h"
#include "nft.h"
#include "podrt.h"
#include "probe.h"
#include "route.h"
#include "sync.h"
#include "trace.h"

#define DOCTOR_DEFAULT_TIMEOUT_MS 1000
/* <linux/if.h> has it but clashes with <net/if.h>; RFC 2863 lower layer up. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

const char *doctor_status_str(enum doctor_status s)
{
	return s == DOCTOR_OK ? "ok" : s == DOCTOR_WARN ? "warn" : "fail";
}

const char *doctor_status_mark(enum doctor_status s)
{
	return s == DOCTOR_OK ? "\u2705" : s == DOCTOR_WARN ? "\u26a0\ufe0f" : "\u274c";
}

void doctor_report_free(struct doctor_report *rep)
{
	if (!rep)
		return;
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

__attribute__((format(printf, 6, 7)))
static void add(struct doctor_report *rep, const char *scope, const char *name,
		enum doctor_status st, const char *fix, const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	/* Out of memory while diagnosing: drop the line, keep the verdict
	 * (counted below), so a failure is never lost. */
	if (pn_grow(&rep->v, &rep->cap, rep->n, sizeof(*rep->v)))
		goto count;
	c = &rep->v[rep->n++];
	snprintf(c->scope, sizeof(c->scope), "%s", scope);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
count:
	if (st == DOCTOR_FAIL)
		rep->n_fail++;
	else if (st == DOCTOR_WARN)
		rep->n_warn++;
}

static bool report_has(const struct doctor_report *rep, const struct doctor_check *c)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->v[i].scope, c->scope) && !strcmp(rep->v[i].name, c->name) &&
		    !strcmp(rep->v[i].msg, c->msg))
			return true;
	return false;
}

json_t *doctor_report_to_json(const struct doctor_report *rep)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < rep->n; i++) {
		const struct doctor_check *c = &rep->v[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "scope", c->scope,
						     "check", c->name, "status",
						     doctor_status_str(c->status), "message", c->msg,
						     "fix", c->fix[0] ? c->fix : NULL));
	}
	return json_pack("{s:b, s:I, s:I, s:o}", "ok", rep->n_fail == 0, "failed",
			 (json_int_t)rep->n_fail, "warnings", (json_int_t)rep->n_warn, "checks", arr);
}

/* ------------------------------------------------------------------ */
/* pod references                                                     */

int doctor_pod_find(struct store *st, const char *ref, struct store_pod **out,
		    struct pn_err *err)
{
	const char *slash = strchr(ref, '/');
	char ns[256];

	if (!slash)
		return store_pod_get_by_name(st, "default", ref, out, err);
	if ((size_t)(slash - ref) >= sizeof(ns) || slash == ref || !slash[1])
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"\"%s\" is not a pod reference (NAME or NAMESPACE/NAME)", ref);
	memcpy(ns, ref, (size_t)(slash - ref));
	ns[slash - ref] = '\0';
	return store_pod_get_by_name(st, ns, slash + 1, out, err);
}

/* Every IP of a pod: pod_ips (JSON array) or pod_ip. */
static size_t pod_ips(const struct store_pod *sp, struct pn_ip *out, size_t cap)
{
	size_t n = 0;

	if (sp->pod_ips) {
		json_t *a = json_loads(sp->pod_ips, 0, NULL);
		size_t i;
		json_t *v;

		json_array_foreach(a, i, v) {
			if (n < cap && json_is_string(v) && pn_ip_parse(json_string_value(v), &out[n]) == 0)
				n++;
		}
		json_decref(a);
	}
	if (!n && sp->pod_ip && cap && pn_ip_parse(sp->pod_ip, &out[0]) == 0)
		n = 1;
	return n;
}

int doctor_pod_ip(const struct store_pod *sp, int family, struct pn_ip *out)
{
	struct pn_ip ips[CNI_MAX_IPS];
	size_t n = pod_ips(sp, ips, CNI_MAX_IPS);

	for (size_t i = 0; i < n; i++) {
		if (family == AF_UNSPEC || ips[i].family == family) {
			*out = ips[i];
			return 0;
		}
	}
	return -ENOENT;
}

int doctor_pod_find_by_ip(struct store *st, const struct pn_ip *ip, struct store_pod **out,
			  struct pn_err *err)
{
	struct store_pod *pods = NULL;
	size_t n = 0;
	char b[PN_IP_STRLEN];
	int ret;

	*out = NULL;
	ret = store_pod_list(st, NULL, &pods, &n, err);
	if (ret < 0)
		goto out;
	ret = -ENOENT;
	for (size_t i = 0; i < n && ret == -ENOENT; i++) {
		struct pn_ip ips[CNI_MAX_IPS];
		size_t k = pod_ips(&pods[i], ips, CNI_MAX_IPS);

		for (size_t j = 0; j < k; j++) {
			if (!pn_ip_eq(&ips[j], ip))
				continue;
			ret = store_pod_get(st, pods[i].uid, out, err);
			break;
		}
	}
	if (ret == -ENOENT)
		pn_error(err, PN_E_NOT_FOUND, ENOENT, "no pod has IP %s", pn_ip_str(ip, b));
out:
	store_pod_array_free(pods, n);
	return ret;
}

int doctor_pod_netns_open(const struct store_pod *sp, struct pn_err *err)
{
	char path[64];
	int fd;

	if (!sp->netns_path)
		return pn_error(err, PN_E_CONFLICT, ENOENT,
				"pod %s uses the node's network (hostNetwork)", sp->name);
	fd = netns_open(sp->netns_path, err);
	if (fd >= 0 || sp->pause_pid <= 0)
		return fd;
	/* The pin is gone but the pause process still holds the namespace. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sp->pause_pid);
	return netns_open(path, err);
}

int doctor_split_target(const char *s, char *host, size_t host_size, int *port,
			struct pn_err *err)
{
	const char *colon, *hend;
	struct pn_ip ip;
	char *end;
	long p;

	*port = 0;
	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (!hend || (hend[1] && hend[1] != ':'))
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
					"\"%s\": expected [IPv6]:PORT", s);
		colon = hend[1] ? hend + 1 : NULL;
		s++;
	} else {
		colon = strrchr(s, ':');
		/* A bare IPv6 address has colons but no port. */
		if (colon && strchr(s, ':') != colon) {
			if (pn_ip_parse(s, &ip) == 0)
				colon = NULL;
			else
				return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
						"\"%s\": write an IPv6 target as [ADDR]:PORT", s);
		}
		hend = colon ? colon : s + strlen(s);
	}
	if ((size_t)(hend - s) >= host_size || hend == s)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "\"%s\": bad target", s);
	memcpy(host, s, (size_t)(hend - s));
	host[hend - s] = '\0';
	if (!colon)
		return 0;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"port \"%s\" out of range 1-65535", colon + 1);
	*port = (int)p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* per-pod context                                                    */

struct pod_ctx {
	struct store_pod *sp;
	char scope[128];
	char nsopt[72];              /* " -n NS" for podnet hints outside "default", else "" */
	char nsname[256];            /* for `ip -n`: the pin's name, or its path */
	int nsfd;
	struct nl_sock pod;          /* rtnetlink inside the pod */
	struct store_attachment *att;
	size_t n_att;
	/* The pod's (first) CNI attachment: from the store, else from the
	 * CNI cache entries of its sandbox id. */
	struct pod_att {
		const char *network, *container_id, *ifname;
	} a_s;
	const struct pod_att *a;     /* NULL: unknown */
	struct cniclient_cached *by_id; /* cache entries of the sandbox */
	size_t n_by_id;
	struct cniclient_cached *cached;
	struct cni_netlist *list;
	struct cni_conf *conf;       /* the list's first plugin, parsed */
	struct pn_ip ip;             /* the state's pod IP */
	struct link_info eth;
	bool have_eth;
	struct link_info veth;
	bool have_veth;
	struct pn_cidr subnet;       /* the pod address's network */
	bool have_subnet;
	struct pn_cidr gw;           /* gateway address as on the bridge (gw/prefix) */
	bool have_gw;
	struct podrt_view view;      /* containers, their states and PIDs */
	bool have_view;
};

static void pod_ctx_free(struct pod_ctx *c)
{
	store_pod_free(c->sp);
	if (c->nsfd >= 0)
		close(c->nsfd);
	nl_close(&c->pod);
	store_attachment_array_free(c->att, c->n_att);
	cniclient_cached_free_all(c->by_id, c->n_by_id);
	cniclient_cached_free(c->cached);
	cni_netlist_free(c->list);
	cni_conf_free(c->conf);
	if (c->have_view)
		podrt_view_free(&c->view);
	memset(c, 0, sizeof(*c));
	c->nsfd = -1;
}

static void pod_scope(const struct store_pod *sp, char *out, size_t n)
{
	if (!sp->namespace_ || !strcmp(sp->namespace_, "default"))
		snprintf(out, n, "%s", sp->name);
	else
		snprintf(out, n, "%s/%s", sp->namespace_, sp->name);
}

/* The list's first plugin parsed, with the list's name and version as
 * libcni hands them to it: its bridge/ipMasq/mtu/ipam keys are what the
 * checks compare the kernel's state with. */
static void parse_first_plugin(const struct cni_netlist *l, struct cni_conf **out)
{
	struct pn_err scratch = { 0 };
	json_t *p;
	char *raw;

	*out = NULL;
	if (!l || !l->n_plugins)
		return;
	p = json_deep_copy(l->plugins[0].raw);
	if (!p)
		return;
	json_object_set_new(p, "name", json_string(l->name));
	json_object_set_new(p, "cniVersion", json_string(cni_version_str(l->version)));
	raw = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (raw && cni_conf_parse(raw, strlen(raw), true, out, &scratch) < 0)
		*out = NULL;
	free(raw);
	pn_err_free(&scratch);
}

/* The network's config: the list the attachment was made with (kept in
 * the cache entry), else the conf dir's list of that name. */
static void load_network(const struct doctor_opts *o, struct pod_ctx *c)
{
	struct pn_err scratch = { 0 };

	if (c->cached && c->cached->config &&
	    cniclient_parse_conflist(c->cached->config, c->cached->config_len, "cache", &c->list,
				     &scratch) < 0)
		c->list = NULL;
	if (!c->list && cniclient_load_conflist(o->rt->cni_conf_dir, c->a ? c->a->network : NULL,
						&c->list, &scratch) < 0)
		c->list = NULL;
	parse_first_plugin(c->list, &c->conf);
	pn_err_free(&scratch);
}

static bool has_addr(const struct pn_cidr *v, size_t n, const struct pn_ip *ip)
{
	for (size_t i = 0; i < n; i++)
		if (pn_ip_eq(&v[i].ip, ip))
			return true;
	return false;
}

/* Check "pod": exists and Running; sets up the context for the rest.
 * Returns false when no network check can follow. */
static bool check_pod(const struct doctor_opts *o, struct doctor_report *rep, struct pod_ctx *c)
{
	const struct podrt_view *v = &c->view;
	struct pn_err e = { 0 };
	char fix[384];
	const char *sid = c->sp->sandbox_id ? c->sp->sandbox_id : "";

	memset(&c->view, 0, sizeof(c->view));
	if (podrt_view_get(o->rt, c->sp, &c->view, &e) < 0) {
		snprintf(fix, sizeof(fix), "podnet describe pod %s%s", c->sp->name, c->nsopt);
		add(rep, c->scope, "pod", DOCTOR_FAIL, fix, "cannot read %s: %s", c->scope,
		    pn_err_msg(&e));
		pn_err_free(&e);
		return false;
	}
	snprintf(fix, sizeof(fix), "podnet describe pod %s%s; podnet logs %s%s", c->sp->name, c->nsopt,
		 c->sp->name, c->nsopt);
	c->have_view = true;
	if (podrt_sandbox_dead(o->rt, c->sp)) {
		/* Nothing watches, logs or restarts its containers; whatever
		 * of it still runs is stopped and re-created by gc. */
		snprintf(fix, sizeof(fix), "podnet gc (re-creates its sandbox), or podnet delete pod %s%s",
			 c->sp->name, c->nsopt);
		add(rep, c->scope, "shim", DOCTOR_FAIL, fix,
		    "the shim of %s (pid %d) is gone: its sandbox died", c->scope, (int)v->shim_pid);
		pn_err_free(&e);
		return false;
	}
	if (!strcmp(v->phase, "Running") && v->ready == v->total)
		add(rep, c->scope, "pod", DOCTOR_OK, NULL,
		    "%s is Running, %d/%d containers ready (sandbox %.13s)", c->scope, v->ready, v->total,
		    sid);
	else if (!strcmp(v->phase, "Running"))
		add(rep, c->scope, "pod", DOCTOR_WARN, fix, "%s is Running with %d/%d containers ready (%s)",
		    c->scope, v->ready, v->total, v->status);
	else
		add(rep, c->scope, "pod", DOCTOR_FAIL, fix, "%s is %s (%s)%s%s", c->scope, v->phase,
		    v->status, c->sp->reason ? ": " : "", c->sp->reason ? c->sp->reason : "");
	if (!c->sp->netns_path) {
		add(rep, c->scope, "netns", DOCTOR_WARN, NULL,
		    "%s uses the node's network (hostNetwork): no pod network to check", c->scope);
		pn_err_free(&e);
		return false;
	}
	pn_err_free(&e);
	return true;
}

static bool check_netns(struct doctor_report *rep, struct pod_ctx *c)
{
	struct pn_err e = { 0 };
	struct stat st;
	const char *base = strrchr(c->sp->netns_path, '/');
	char fix[384];

	snprintf(fix, sizeof(fix), "podnet delete pod %s%s, then apply it again", c->sp->name, c->nsopt);
	c->nsfd = doctor_pod_netns_open(c->sp, &e);
	if (c->nsfd < 0) {
		add(rep, c->scope, "netns", DOCTOR_FAIL, fix, "network namespace of %s cannot be opened: %s",
		    c->scope, pn_err_msg(&e));
		pn_err_free(&e);
		return false;
	}
	if (nl_open_in_netns(&c->pod, NETLINK_ROUTE, c->nsfd, &e) < 0) {
		add(rep, c->scope, "netns", DOCTOR_FAIL, fix, "cannot read inside %s: %s",
		    c->sp->netns_path, pn_err_msg(&e));
		pn_err_free(&e);
		return false;
	}
	/* `ip -n NAME` resolves NAME under /run/netns only. */
	snprintf(c->nsname, sizeof(c->nsname), "%s",
		 base && !strncmp(c->sp->netns_path, "/run/netns/", 11) ? base + 1 : c->sp->netns_path);
	fstat(c->nsfd, &st);
	add(rep, c->scope, "netns", DOCTOR_OK, NULL, "%s (inode %lu)", c->sp->netns_path,
	    (unsigned long)st.st_ino);
	pn_err_free(&e);
	return true;
}

/* IP in state = on eth0 = in the CNI cache = in the lease. */
static void check_ip(const struct doctor_opts *o, struct doctor_report *rep, struct pod_ctx *c,
		     const struct pn_cidr *addrs, size_t n_addrs)
{
	struct ipam_lease *leases = NULL;
	size_t n_leases = 0;
	struct pn_err e = { 0 };
	char ip[PN_IP_STRLEN], bad[512] = "", fix[384] = "";
	bool on_eth = false, in_cache = false, leased = false, lease_known = false;
	const char *data_dir = c->conf && c->conf->ipam.data_dir ? c->conf->ipam.data_dir : NULL;
	size_t off = 0;

	if (!c->ip.family) {
		snprintf(fix, sizeof(fix), "podnet delete pod %s%s, then apply it again", c->sp->name,
			 c->nsopt);
		add(rep, c->scope, "ip", DOCTOR_FAIL, fix, "%s has no pod IP in the runtime's state",
		    c->scope);
		pn_err_free(&e);
		return;
	}
	pn_ip_str(&c->ip, ip);
	on_eth = has_addr(addrs, n_addrs, &c->ip);
	if (c->cached && c->cached->result)
		for (size_t i = 0; i < c->cached->result->n_ips; i++)
			in_cache |= pn_ip_eq(&c->cached->result->ips[i].address.ip, &c->ip);
	if (c->a && ipam_list(data_dir, c->a->network, &leases, &n_leases, &e) == 0) {
		lease_known = true;
		for (size_t i = 0; i < n_leases; i++)
			if (pn_ip_eq(&leases[i].ip, &c->ip)) {
				leased = !strcmp(leases[i].container_id, c->a->container_id);
				if (!leased)
					off += (size_t)snprintf(bad + off, sizeof(bad) - off,
								"%sleased to another container (%.12s)",
								off ? ", " : "", leases[i].container_id);
			}
	}
	free(leases);
	if (!on_eth && off < sizeof(bad))
		off += (size_t)snprintf(bad + off, sizeof(bad) - off, "%snot on %s", off ? ", " : "",
					c->a ? c->a->ifname : "eth0");
	if (!in_cache && off < sizeof(bad))
		off += (size_t)snprintf(bad + off, sizeof(bad) - off, "%snot in the CNI cache%s",
					off ? ", " : "", c->cached ? "" : " (no cache entry)");
	if (lease_known && !leased && !strstr(bad, "leased to") && off < sizeof(bad))
		off += (size_t)snprintf(bad + off, sizeof(bad) - off, "%sno lease", off ? ", " : "");
	if (!off) {
		add(rep, c->scope, "ip", DOCTOR_OK, NULL,
		    "%s: in state, on %s, in the CNI cache, leased", ip, c->a ? c->a->ifname : "eth0");
		pn_err_free(&e);
		return;
	}
	if (!on_eth && c->have_subnet)
		snprintf(fix, sizeof(fix), "ip -n %s addr add %s/%d dev %s, or recreate the pod",
			 c->nsname, ip, c->subnet.prefix, c->a ? c->a->ifname : "eth0");
	else
		snprintf(fix, sizeof(fix), "recreate the pod: podnet delete pod %s%s; podnet apply -f ...",
			 c->sp->name, c->nsopt);
	add(rep, c->scope, "ip", DOCTOR_FAIL, fix, "state says %s, but it is %s", ip, bad);
	pn_err_free(&e);
}

static void check_eth0(struct doctor_report *rep, struct pod_ctx *c, struct pn_cidr **addrs,
		       size_t *n_addrs)
{
	const char *ifn = c->a ? c->a->ifname : "eth0";
	struct pn_err e = { 0 };
	char fix[384], list[256] = "";
	size_t off = 0;
	int ret;

	ret = link_get(&c->pod, ifn, &c->eth, &e);
	if (ret < 0) {
		snprintf(fix, sizeof(fix), "recreate the pod: podnet delete pod %s%s; podnet apply -f ...",
			 c->sp->name, c->nsopt);
		add(rep, c->scope, ifn, DOCTOR_FAIL, fix, "%s has no %s in %s%s%s", c->scope, ifn,
		    c->nsname, ret == -ENODEV ? "" : ": ", ret == -ENODEV ? "" : pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	c->have_eth = true;
	if (addr_list(&c->pod, c->eth.ifindex, AF_UNSPEC, addrs, n_addrs, &e) < 0) {
		*addrs = NULL;
		*n_addrs = 0;
	}
	for (size_t i = 0; i < *n_addrs && off < sizeof(list); i++) {
		char b[PN_CIDR_STRLEN];

		if ((*addrs)[i].ip.family == AF_INET6 && (*addrs)[i].ip.b[0] == 0xfe &&
		    ((*addrs)[i].ip.b[1] & 0xc0) == 0x80)
			continue; /* link-local */
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", off ? " " : "",
					pn_cidr_str(&(*addrs)[i], b));
	}
	if (!(c->eth.flags & IFF_UP)) {
		snprintf(fix, sizeof(fix), "ip -n %s link set %s up (then restore its default route)",
			 c->nsname, ifn);
		add(rep, c->scope, ifn, DOCTOR_FAIL, fix,
		    "%s is down in %s (%s): no traffic leaves the pod", ifn, c->scope, c->nsname);
		pn_err_free(&e);
		return;
	}
	if (!(c->eth.flags & IFF_LOWER_UP)) {
		add(rep, c->scope, ifn, DOCTOR_WARN, "see the host veth check",
		    "%s is up but has no carrier: its peer on the node is down or gone", ifn);
		pn_err_free(&e);
		return;
	}
	add(rep, c->scope, ifn, DOCTOR_OK, NULL, "%s up, %s, mtu %d", ifn, off ? list : "no address",
	    c->eth.mtu);
	pn_err_free(&e);
}

static void check_route(struct doctor_report *rep, struct pod_ctx *c)
{
	struct route_spec *rt = NULL;
	size_t n = 0;
	struct pn_err e = { 0 };
	int fam = c->ip.family ? c->ip.family : AF_INET;
	char fix[384], gw[PN_IP_STRLEN] = "", net[PN_CIDR_STRLEN] = "";
	const struct route_spec *def = NULL;
	const char *ifn = c->a ? c->a->ifname : "eth0";

	if (c->have_gw)
		pn_ip_str(&c->gw.ip, gw);
	if (c->have_subnet)
		pn_cidr_str(&c->subnet, net);
	if (route_list(&c->pod, fam, 0, 0, &rt, &n, &e) < 0) {
		add(rep, c->scope, "route", DOCTOR_FAIL, NULL, "cannot read the routes of %s: %s",
		    c->scope, pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	for (size_t i = 0; i < n && !def; i++)
		if (rt[i].dst.prefix == 0)
			def = &rt[i];
	if (!def) {
		if (gw[0])
			snprintf(fix, sizeof(fix), "ip -n %s route add default via %s dev %s", c->nsname,
				 gw, ifn);
		else
			snprintf(fix, sizeof(fix), "ip -n %s route add default via GATEWAY dev %s",
				 c->nsname, ifn);
		add(rep, c->scope, "route", DOCTOR_FAIL, fix,
		    "%s has no default route%s: only %s is reachable from it",
		    c->scope, c->have_eth && !(c->eth.flags & IFF_UP) ? " (eth0 is down: the kernel removed its routes)" : "",
		    net[0] ? net : "its own subnet");
	} else {
		char via[PN_IP_STRLEN] = "";

		if (def->gw.family)
			pn_ip_str(&def->gw, via);
		if (gw[0] && via[0] && strcmp(gw, via))
			add(rep, c->scope, "route", DOCTOR_WARN, NULL,
			    "default via %s, but the network's gateway is %s", via, gw);
		else
			add(rep, c->scope, "route", DOCTOR_OK, NULL, "default via %s dev %s",
			    via[0] ? via : "(link)", ifn);
	}
	free(rt);
	pn_err_free(&e);
}

/* The node-side end of the pod's eth0: exact through IFLA_LINK (the peer's
 * ifindex) when it names a veth whose own peer is eth0, else by the name
 * podnet-bridge gives it. */
static void check_host_veth(struct doctor_report *rep, struct nl_sock *node, struct pod_ctx *c)
{
	char want[16] = "", fix[384], bname[IFNAMSIZ] = "";
	struct pn_err e = { 0 };
	struct link_info li;
	const char *bridge = c->conf && c->conf->bridge ? c->conf->bridge : "podnet0";

	if (c->a)
		bridge_host_veth_name(c->a->container_id, c->a->ifname, want);
	if (c->have_eth && c->eth.link > 0 && link_get_index(node, c->eth.link, &li, &e) == 0 &&
	    !strcmp(li.kind, "veth") && li.link == c->eth.ifindex && li.link_netnsid >= 0) {
		c->veth = li;
		c->have_veth = true;
	} else if (want[0] && link_get(node, want, &li, &e) == 0) {
		c->veth = li;
		c->have_veth = true;
	}
	if (!c->have_veth) {
		snprintf(fix, sizeof(fix), "recreate the pod: podnet delete pod %s%s; podnet apply -f ...",
			 c->sp->name, c->nsopt);
		add(rep, c->scope, "host veth", DOCTOR_FAIL, fix,
		    "the node-side veth of %s's eth0 (%s) does not exist", c->scope,
		    want[0] ? want : "?");
		pn_err_free(&e);
		return;
	}
	if (!(c->veth.flags & IFF_UP)) {
		snprintf(fix, sizeof(fix), "ip link set %s up", c->veth.name);
		add(rep, c->scope, "host veth", DOCTOR_FAIL, fix,
		    "%s (ifindex %d, peer of %s's eth0) is down: the pod's eth0 has no carrier",
		    c->veth.name, c->veth.ifindex, c->scope);
	} else {
		add(rep, c->scope, "host veth", DOCTOR_OK, NULL, "%s (ifindex %d, peer of eth0) up",
		    c->veth.name, c->veth.ifindex);
	}

	if (c->veth.master > 0 && link_get_index(node, c->veth.master, &li, &e) == 0)
		snprintf(bname, sizeof(bname), "%s", li.name);
	snprintf(fix, sizeof(fix), "ip link set %s master %s", c->veth.name, bridge);
	if (!c->veth.master)
		add(rep, c->scope, "bridge port", DOCTOR_FAIL, fix,
		    "%s is not attached to any bridge (expected %s): the pod is cut off from the node",
		    c->veth.name, bridge);
	else if (strcmp(bname, bridge))
		add(rep, c->scope, "bridge port", DOCTOR_FAIL, fix,
		    "%s is attached to %s, not to the network's bridge %s", c->veth.name,
		    bname[0] ? bname : "?", bridge);
	else
		add(rep, c->scope, "bridge port", DOCTOR_OK, NULL, "%s is a port of %s", c->veth.name,
		    bridge);

	/* portIsolation is what makes NetworkPolicy hold between pods of
	 * one bridge: isolated ports exchange no frames, the bridge answers
	 * ARP for every pod (proxy_arp_pvlan), so pod-to-pod packets are
	 * routed through the node and meet the inet forward hook. */
	if (c->conf && c->conf->port_isolation) {
		if (c->veth.isolated != 1) {
			snprintf(fix, sizeof(fix),
				 "bridge link set dev %s isolated on (CNI CHECK of network %s repairs it)",
				 c->veth.name, c->list ? c->list->name : "?");
			add(rep, c->scope, "isolation", DOCTOR_FAIL, fix,
			    "%s is not an isolated bridge port although network %s sets portIsolation: "
			    "%s reaches other pods at layer 2, past the forward hook where NetworkPolicy "
			    "is enforced", c->veth.name, c->list ? c->list->name : "?", c->scope);
		} else {
			add(rep, c->scope, "isolation", DOCTOR_OK, NULL,
			    "%s is an isolated bridge port (portIsolation): %s's traffic to other pods "
			    "is routed through %s", c->veth.name, c->scope, bridge);
		}
	}

	if (c->have_eth) {
		int want_mtu = c->conf && c->conf->mtu ? c->conf->mtu : 0;

		if (c->eth.mtu != c->veth.mtu || (want_mtu && c->eth.mtu != want_mtu)) {
			/* Without a configured mtu the plugin left eth0 at the
			 * kernel's default; the host end is the one that drifted. */
			int m = want_mtu ? want_mtu : c->eth.mtu;

			if (c->eth.mtu == m)
				snprintf(fix, sizeof(fix), "ip link set %s mtu %d", c->veth.name, m);
			else
				snprintf(fix, sizeof(fix), "ip link set %s mtu %d; ip -n %s link set eth0 mtu %d",
					 c->veth.name, m, c->nsname, m);
			add(rep, c->scope, "mtu", DOCTOR_FAIL, fix,
			    "MTU mismatch: eth0 %d, %s %d%s%s: larger packets are dropped at the smaller end",
			    c->eth.mtu, c->veth.name, c->veth.mtu, want_mtu ? ", network " : "",
			    want_mtu ? "(conf mtu)" : "");
		} else {
			add(rep, c->scope, "mtu", DOCTOR_OK, NULL, "eth0 and %s both %d", c->veth.name,
			    c->eth.mtu);
		}
	}
	pn_err_free(&e);
}

/* Checks of the node for the pod's network: bridge, gateway address,
 * forwarding, masquerade.  Once per network and report. */
static void check_network(struct doctor_report *rep, struct nl_sock *node, struct pod_ctx *c)
{
	const char *bridge = c->conf && c->conf->bridge ? c->conf->bridge : "podnet0";
	const char *netname = c->list ? c->list->name : (c->a ? c->a->network : "?");
	struct pn_cidr *addrs = NULL;
	size_t n_addrs = 0;
	struct pn_err e = { 0 };
	struct link_info br;
	char fix[384], b[PN_CIDR_STRLEN], val[32] = "";
	bool have_br = false;
	int fam = c->ip.family ? c->ip.family : AF_INET;

	if (link_get(node, bridge, &br, &e) < 0) {
		add(rep, "node", "bridge", DOCTOR_FAIL,
		    "podnet-bridge ADD creates it: recreate a pod, or run CNI CHECK",
		    "bridge %s of network %s does not exist", bridge, netname);
	} else if (!(br.flags & IFF_UP)) {
		have_br = true;
		snprintf(fix, sizeof(fix), "ip link set %s up", bridge);
		add(rep, "node", "bridge", DOCTOR_FAIL, fix, "bridge %s is down", bridge);
	} else {
		have_br = true;
		add(rep, "node", "bridge", DOCTOR_OK, NULL, "%s up, mtu %d", bridge, br.mtu);
	}
	if (have_br && c->conf && c->conf->port_isolation) {
		if (br.proxy_arp != 1 || br.proxy_arp_pvlan != 1) {
			snprintf(fix, sizeof(fix),
				 "sysctl -w net.ipv4.conf.%s.proxy_arp=1 net.ipv4.conf.%s.proxy_arp_pvlan=1",
				 bridge, bridge);
			add(rep, "node", "proxy arp", DOCTOR_FAIL, fix,
			    "%s does not answer ARP for its isolated pods (proxy_arp %d, proxy_arp_pvlan %d): "
			    "pods of network %s cannot resolve each other", bridge, br.proxy_arp,
			    br.proxy_arp_pvlan, netname);
		} else {
			add(rep, "node", "proxy arp", DOCTOR_OK, NULL,
			    "%s answers ARP for its isolated pods (proxy_arp 1, proxy_arp_pvlan 1)", bridge);
		}
	}

	if (!c->conf || c->conf->is_gateway || c->conf->is_default_gateway) {
		if (!c->have_gw) {
			add(rep, "node", "gateway", DOCTOR_WARN, NULL,
			    "gateway of network %s unknown (no CNI cache entry)", netname);
		} else if (have_br && addr_list(node, br.ifindex, fam, &addrs, &n_addrs, &e) == 0 &&
			   has_addr(addrs, n_addrs, &c->gw.ip)) {
			add(rep, "node", "gateway", DOCTOR_OK, NULL, "%s has %s", bridge,
			    pn_cidr_str(&c->gw, b));
		} else {
			snprintf(fix, sizeof(fix), "ip addr add %s dev %s", pn_cidr_str(&c->gw, b), bridge);
			add(rep, "node", "gateway", DOCTOR_FAIL, fix,
			    "bridge %s lacks the gateway address %s: the pods' default route points at "
			    "nobody", bridge, b);
		}
		free(addrs);
	} else {
		add(rep, "node", "gateway", DOCTOR_OK, NULL,
		    "isGateway is off for %s: the bridge has no address by design", netname);
	}

	{
		const char *path = fam == AF_INET6 ? "/proc/sys/net/ipv6/conf/all/forwarding"
						   : "/proc/sys/net/ipv4/ip_forward";
		const char *key = fam == AF_INET6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward";

		if (pn_read_file(path, val, sizeof(val)) < 0)
			add(rep, "node", "forwarding", DOCTOR_WARN, NULL, "cannot read %s", path);
		else if (strcmp(val, "1")) {
			snprintf(fix, sizeof(fix), "sysctl -w %s=1", key);
			add(rep, "node", "forwarding", DOCTOR_FAIL, fix,
			    "%s = %s on the node: nothing from the pods is routed beyond %s", key, val,
			    bridge);
		} else
			add(rep, "node", "forwarding", DOCTOR_OK, NULL, "%s = 1", key);
	}

	if (c->conf && !c->conf->ip_masq) {
		add(rep, "node", "masquerade", DOCTOR_OK, NULL,
		    "ipMasq is off for network %s: no masquerade rule expected", netname);
	} else if (c->have_subnet) {
		struct pn_err me = { 0 };
		int ret = nft_masq_check(netname, &c->subnet, 1, &me);

		pn_cidr_str(&c->subnet, b);
		if (ret == 0) {
			add(rep, "node", "masquerade", DOCTOR_OK, NULL,
			    "rule for %s in table %s podnet-%s", b, fam == AF_INET6 ? "ip6" : "ip", netname);
		} else {
			const char *f = fam == AF_INET6 ? "ip6" : "ip";

			/* The rule as nft.c writes it: the comment is how CHECK and
			 * this check find it. */
			snprintf(fix, sizeof(fix),
				 "CNI ADD/CHECK of network %s rebuilds it; by hand: nft add rule %s podnet-%s "
				 "postrouting %s saddr %s %s daddr != %s%s masquerade comment "
				 "\"podnet:%s:%s\"",
				 netname, f, netname, f, b, f, b,
				 fam == AF_INET6 ? " ip6 daddr != ff00::/8" : " ip daddr != 224.0.0.0/4", netname, b);
			add(rep, "node", "masquerade", DOCTOR_FAIL, fix, "%s: pods cannot reach beyond the node",
			    pn_err_msg(&me));
		}
		pn_err_free(&me);
	}
	pn_err_free(&e);
}

/* The node reaches the pod through the network's bridge (the connected
 * route the gateway address brings, or the plugin's). */
static void check_node_route(struct doctor_report *rep, struct nl_sock *node, struct pod_ctx *c)
{
	const char *bridge = c->conf && c->conf->bridge ? c->conf->bridge : "podnet0";
	struct pn_err e = { 0 };
	struct route_hop hop;
	struct link_info li;
	char ip[PN_IP_STRLEN], net[PN_CIDR_STRLEN], fix[384], dev[IFNAMSIZ] = "";

	if (!c->ip.family)
		return;
	pn_ip_str(&c->ip, ip);
	if (c->have_subnet)
		pn_cidr_str(&c->subnet, net);
	else
		snprintf(net, sizeof(net), "%s/%d", ip, c->ip.family == AF_INET ? 32 : 128);
	snprintf(fix, sizeof(fix), "ip route replace %s dev %s", net, bridge);
	if (route_get(node, &c->ip, &hop, &e) < 0) {
		add(rep, c->scope, "node route", DOCTOR_FAIL, fix,
		    "the node has no route to %s (%s): it cannot reach %s", ip,
		    e.errnum ? strerror(e.errnum) : pn_err_msg(&e), c->scope);
		pn_err_free(&e);
		return;
	}
	if (hop.oif > 0 && link_get_index(node, hop.oif, &li, &e) == 0)
		snprintf(dev, sizeof(dev), "%s", li.name);
	if (strcmp(dev, bridge) || hop.gw.family) {
		char gw[PN_IP_STRLEN] = "";

		if (hop.gw.family)
			pn_ip_str(&hop.gw, gw);
		add(rep, c->scope, "node route", DOCTOR_FAIL, fix,
		    "the node routes %s %s%s%s%s, not to %s: its packets for %s go elsewhere", ip,
		    gw[0] ? "via " : "", gw, gw[0] ? " " : "", dev[0] ? dev : "(no device)", bridge,
		    c->scope);
	} else {
		add(rep, c->scope, "node route", DOCTOR_OK, NULL, "the node reaches %s on %s", ip, bridge);
	}
	pn_err_free(&e);
}

static bool mac_eq(const unsigned char *a, const unsigned char *b)
{
	return memcmp(a, b, 6) == 0;
}

/* Who owns @ip on this network, and with which MAC: the gateway is the
 * bridge; a pod is its eth0, or the bridge when its port is isolated
 * (the bridge answers ARP for every pod then).  False if nobody known. */
static bool ip_owner(const struct doctor_opts *o, const struct pod_ctx *c, const struct link_info *br,
		     const struct pn_ip *ip, unsigned char mac[6], char *who, size_t who_size)
{
	struct store_pod *sp = NULL;
	struct pn_err e = { 0 };
	struct nl_sock s = NL_SOCK_INIT;
	struct link_info li;
	int fd = -1;
	bool found = false;

	if (c->have_gw && pn_ip_eq(ip, &c->gw.ip)) {
		memcpy(mac, br->mac, 6);
		snprintf(who, who_size, "the gateway, %s", br->name);
		return true;
	}
	if (doctor_pod_find_by_ip(o->rt->st, ip, &sp, &e) < 0)
		goto out;
	if (c->conf && c->conf->port_isolation) {
		memcpy(mac, br->mac, 6);
		snprintf(who, who_size, "pod %s, answered for by %s (portIsolation)", sp->name, br->name);
		found = true;
		goto out;
	}
	fd = doctor_pod_netns_open(sp, &e);
	if (fd >= 0 && nl_open_in_netns(&s, NETLINK_ROUTE, fd, &e) == 0 &&
	    link_get(&s, "eth0", &li, &e) == 0) {
		memcpy(mac, li.mac, 6);
		snprintf(who, who_size, "pod %s's eth0", sp->name);
		found = true;
	}
out:
	nl_close(&s);
	if (fd >= 0)
		close(fd);
	store_pod_free(sp);
	pn_err_free(&e);
	return found;
}

/*
 * The neighbour entries the packets will use, against the MACs that own
 * those IPs now: the pod's entries on eth0 (gateway, other pods) and the
 * node's entry for the pod on the bridge.  A stale or forged entry sends
 * frames to a MAC nobody answers to, and nothing else shows it.
 */
static void check_neigh(const struct doctor_opts *o, struct doctor_report *rep,
			struct nl_sock *node, struct pod_ctx *c)
{
	const char *bridge = c->conf && c->conf->bridge ? c->conf->bridge : "podnet0";
	struct neigh_entry *v = NULL;
	struct pn_err e = { 0 };
	struct link_info br;
	size_t n = 0, checked = 0, bad = 0;
	char fix[384];

	if (!c->have_eth || link_get(node, bridge, &br, &e) < 0)
		goto out;
	if (neigh_list(&c->pod, c->eth.ifindex, AF_UNSPEC, &v, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			unsigned char want[6];
			char who[160], ip[PN_IP_STRLEN], have_s[18], want_s[18];

			if (!v[i].has_mac || (v[i].state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP)))
				continue;
			if (!ip_owner(o, c, &br, &v[i].ip, want, who, sizeof(who)))
				continue;
			checked++;
			if (mac_eq(v[i].mac, want))
				continue;
			bad++;
			pn_ip_str(&v[i].ip, ip);
			link_mac_str(v[i].mac, have_s);
			link_mac_str(want, want_s);
			snprintf(fix, sizeof(fix), "ip -n %s neigh del %s dev %s", c->nsname, ip, c->eth.name);
			add(rep, c->scope, "neighbour", DOCTOR_FAIL, fix,
			    "%s's neighbour entry for %s says %s (%s), but %s is %s: frames for it go to a "
			    "MAC nobody answers to", c->scope, ip, have_s, neigh_state_str(v[i].state), who,
			    want_s);
		}
	}
	free(v);
	v = NULL;
	n = 0;
	pn_err_free(&e);
	/* The node talks to the pod on the bridge itself: the pod's own MAC,
	 * isolated or not (port isolation is between ports, not the bridge). */
	if (c->ip.family && neigh_list(node, br.ifindex, c->ip.family, &v, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			char ip[PN_IP_STRLEN], have_s[18];

			if (!pn_ip_eq(&v[i].ip, &c->ip) || !v[i].has_mac ||
			    (v[i].state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP)))
				continue;
			checked++;
			if (mac_eq(v[i].mac, c->eth.mac))
				continue;
			bad++;
			pn_ip_str(&c->ip, ip);
			link_mac_str(v[i].mac, have_s);
			snprintf(fix, sizeof(fix), "ip neigh del %s dev %s", ip, bridge);
			add(rep, c->scope, "neighbour", DOCTOR_FAIL, fix,
			    "the node's neighbour entry for %s on %s says %s (%s), but %s's eth0 is %s: the "
			    "node's frames for it go to a MAC nobody answers to", ip, bridge, have_s,
			    neigh_state_str(v[i].state), c->scope, c->eth.mac_str);
		}
	}
	if (!bad && checked)
		add(rep, c->scope, "neighbour", DOCTOR_OK, NULL,
		    "%zu neighbour entr%s (%s's and the node's) match%s the MACs that own those IPs",
		    checked, checked == 1 ? "y" : "ies", c->scope, checked == 1 ? "es" : "");
	else if (!bad)
		add(rep, c->scope, "neighbour", DOCTOR_OK, NULL,
		    "no neighbour entry of %s or of the node for it yet: nothing stale to mislead them",
		    c->scope);
out:
	free(v);
	pn_err_free(&e);
}

/* Open everything one pod's checks read; emits the pod/netns checks. */
static bool pod_ctx_open(const struct doctor_opts *o, struct doctor_report *rep,
			 struct pod_ctx *c, struct store_pod *sp)
{
	struct pn_err e = { 0 };

	memset(c, 0, sizeof(*c));
	c->nsfd = -1;
	c->pod.fd = -1;
	c->sp = sp;
	pod_scope(sp, c->scope, sizeof(c->scope));
	if (sp->namespace_ && strcmp(sp->namespace_, "default"))
		snprintf(c->nsopt, sizeof(c->nsopt), " -n %.63s", sp->namespace_);
	if (sp->pod_ip && pn_ip_parse(sp->pod_ip, &c->ip) < 0)
		memset(&c->ip, 0, sizeof(c->ip));
	if (store_attachment_list(o->rt->st, sp->uid, &c->att, &c->n_att, &e) == 0 && c->n_att) {
		c->a_s = (struct pod_att){ c->att[0].network, c->att[0].container_id, c->att[0].ifname };
		c->a = &c->a_s;
	} else if (sp->sandbox_id &&
		   cniclient_list_cache(o->rt->cni_cache, sp->sandbox_id, &c->by_id, &c->n_by_id,
					&e) == 0 && c->n_by_id) {
		c->a_s = (struct pod_att){ c->by_id[0].network, c->by_id[0].container_id,
					   c->by_id[0].ifname };
		c->a = &c->a_s;
	}
	/* No cache entry is a finding of check_ip, not an error. */
	if (c->a && cniclient_get_cached(o->rt->cni_cache, c->a->network, c->a->container_id,
					 c->a->ifname, &c->cached, &e) < 0)
		c->cached = NULL;
	load_network(o, c);
	/* The pod's subnet and gateway, from the result the plugin returned. */
	if (c->cached && c->cached->result) {
		const struct cni_result *r = c->cached->result;

		for (size_t i = 0; i < r->n_ips; i++) {
			if (c->ip.family && !pn_ip_eq(&r->ips[i].address.ip, &c->ip))
				continue;
			pn_cidr_network(&r->ips[i].address, &c->subnet);
			c->have_subnet = true;
			if (r->ips[i].gateway.family) {
				c->gw.ip = r->ips[i].gateway;
				c->gw.prefix = r->ips[i].address.prefix;
				c->have_gw = true;
			}
			break;
		}
	}
	pn_err_free(&e);
	if (!check_pod(o, rep, c))
		return false;
	return check_netns(rep, c);
}

/* The pod's own checks, in the checklist's order. */
static void pod_net_checks(const struct doctor_opts *o, struct doctor_report *rep,
			   struct nl_sock *node, struct pod_ctx *c)
{
	struct pn_cidr *addrs = NULL;
	size_t n_addrs = 0;

	check_eth0(rep, c, &addrs, &n_addrs);
	check_ip(o, rep, c, addrs, n_addrs);
	check_route(rep, c);
	check_host_veth(rep, node, c);
	check_node_route(rep, node, c);
	check_neigh(o, rep, node, c);
	free(addrs);
}

static void check_ping(const struct doctor_opts *o, struct doctor_report *rep,
		       const struct pod_ctx *c)
{
	struct probe_req q = { .kind = PROBE_ICMP, .dst = c->ip, .timeout_ms = o->timeout_ms };
	struct probe_result r;
	struct pn_err e = { 0 };
	char ip[PN_IP_STRLEN];

	if (!c->ip.family)
		return;
	pn_ip_str(&c->ip, ip);
	if (probe_run(-1, &q, &r, &e) < 0) {
		add(rep, c->scope, "ping", DOCTOR_WARN, NULL, "cannot ping %s from the node: %s", ip,
		    pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	if (r.outcome == PROBE_OK)
		add(rep, c->scope, "ping", DOCTOR_OK, NULL, "node -> %s: echo reply in %lluµs (%s socket)",
		    ip, (unsigned long long)r.elapsed_us, r.icmp_socket);
	else
		add(rep, c->scope, "ping", DOCTOR_FAIL, "see the eth0, host veth, bridge and gateway checks",
		    "node -> %s: %s%s%s%s", ip, probe_outcome_str(r.outcome),
		    r.outcome == PROBE_TIMEOUT ? " (no echo reply)" : "", r.detail[0] ? ": " : "",
		    r.detail);
	pn_err_free(&e);
}

/* ------------------------------------------------------------------ */
/* the path to a target                                               */

/* The container of the pod a process belongs to: its cgroup's container
 * id, else the container whose init is the process or an ancestor. */
static const char *owner_container(const struct pod_ctx *c, const struct diag_owner *o)
{
	pid_t p = o->pid;

	if (!c->have_view)
		return NULL;
	if (o->ctr_id[0])
		for (size_t i = 0; i < c->view.n_ctrs; i++)
			if (c->view.ctrs[i].row.id && !strcmp(c->view.ctrs[i].row.id, o->ctr_id))
				return c->view.ctrs[i].row.name;
	for (int depth = 0; depth < 64 && p > 1; depth++) {
		for (size_t i = 0; i < c->view.n_ctrs; i++)
			if (c->view.ctrs[i].pid > 0 && c->view.ctrs[i].pid == p)
				return c->view.ctrs[i].row.name;
		if (diag_pid_ppid(p, &p) < 0)
			break;
	}
	return NULL;
}

/* " (nginx, pid 123, container c3)" of a socket's first owner, "" if unknown. */
static void owner_str(const struct pod_ctx *c, const struct diag_sock *d, char *out, size_t n)
{
	const char *ctr;

	if (!d->n_owners) {
		out[0] = '\0';
		return;
	}
	ctr = owner_container(c, &d->owners[0]);
	snprintf(out, n, " (%s, pid %d%s%s)", d->owners[0].comm, (int)d->owners[0].pid,
		 ctr ? ", container " : "", ctr ? ctr : "");
}

static void sock_addr_str(const struct diag_sock *d, char *out, size_t n)
{
	char a[PN_IP_STRLEN];

	pn_ip_str(&d->local, a);
	snprintf(out, n, "%s%s%s:%d/%s", d->local.family == AF_INET6 ? "[" : "", a,
		 d->local.family == AF_INET6 ? "]" : "", d->lport, d->proto == IPPROTO_UDP ? "udp" : "tcp");
}

static bool is_loopback(const struct pn_ip *ip)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	return ip->family == AF_INET ? ip->b[0] == 127 : !memcmp(ip->b, lo6, 16);
}

/*
 * Something listens on @port/@proto in @t where a packet for the pod's IP
 * finds it: every TCP listener and bound UDP socket of both families is
 * read, so a server on the wrong address (loopback, an IPv6-only [::], an
 * address the pod's IP is not), on the wrong protocol, or on another port
 * is named for what it is.
 */
static void check_listener(struct doctor_report *rep, const struct pod_ctx *t, int port, int proto)
{
	struct diag_query q = { .protos = DIAG_Q_TCP | DIAG_Q_UDP,
				.states = (1u << DIAG_LISTEN) | (1u << DIAG_CLOSE),
				.family = AF_UNSPEC, .owners = true };
	struct diag_sock *ls = NULL;
	size_t n = 0;
	struct pn_err e = { 0 };
	const char *pname = proto == IPPROTO_UDP ? "udp" : "tcp";
	char other[256] = "", wrong[384] = "", proto_s[256] = "", fix[384], who[96], a[80];
	size_t oo = 0, wo = 0, po = 0, n_seen = 0;
	int seen_ports[32];
	const struct diag_sock *hit = NULL;
	bool lo_only = true, v6only = false;

	if (diag_list(t->nsfd, &q, &ls, &n, &e) < 0) {
		add(rep, t->scope, "listener", DOCTOR_WARN, NULL, "cannot list sockets in %s: %s",
		    t->scope, pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct diag_sock *l = &ls[i];
		bool any = pn_ip_is_zero(&l->local);
		bool listening = l->proto == IPPROTO_TCP ? l->state == DIAG_LISTEN
							 : l->state == DIAG_CLOSE;
		bool reach;

		if (!listening)
			continue;
		/* An IPv6 socket on :: takes IPv4 too unless IPV6_V6ONLY. */
		reach = (any && (l->local.family == t->ip.family ||
				 (l->local.family == AF_INET6 && !l->v6only))) ||
			pn_ip_eq(&l->local, &t->ip);
		sock_addr_str(l, a, sizeof(a));
		owner_str(t, l, who, sizeof(who));
		if (l->lport == port && l->proto == proto) {
			if (reach && !hit)
				hit = l;
			else if (!reach && wo < sizeof(wrong)) {
				lo_only &= is_loopback(&l->local);
				v6only |= any && l->v6only;
				wo += (size_t)snprintf(wrong + wo, sizeof(wrong) - wo, "%s%s%s%s", wo ? ", " : "",
						       a, any && l->v6only ? " (IPV6_V6ONLY)" : "", who);
			}
		} else if (l->lport == port) {
			if (po < sizeof(proto_s))
				po += (size_t)snprintf(proto_s + po, sizeof(proto_s) - po, "%s%s%s",
						       po ? ", " : "", a, who);
		} else if (l->proto == proto && oo < sizeof(other)) {
			bool seen = false;

			/* A server on 0.0.0.0 and [::] is one port to the user. */
			for (size_t k = 0; k < n_seen && !seen; k++)
				seen = seen_ports[k] == l->lport;
			if (seen)
				continue;
			if (n_seen < PN_ARRAY_SIZE(seen_ports))
				seen_ports[n_seen++] = l->lport;
			oo += (size_t)snprintf(other + oo, sizeof(other) - oo, "%s%d/%s%s", oo ? ", " : "",
					       l->lport, pname, who);
		}
	}
	if (hit) {
		sock_addr_str(hit, a, sizeof(a));
		owner_str(t, hit, who, sizeof(who));
		add(rep, t->scope, "listener", DOCTOR_OK, NULL, "%s %s in %s%s", a,
		    proto == IPPROTO_TCP ? "listens" : "is bound", t->scope, who);
	} else if (wo) {
		char ip[PN_IP_STRLEN];

		pn_ip_str(&t->ip, ip);
		if (lo_only) {
			snprintf(fix, sizeof(fix), "make the server bind 0.0.0.0:%d (or %s:%d), not loopback",
				 port, ip, port);
			add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
			    "only %s listens on port %d in %s: a loopback listener is reachable from inside "
			    "the pod only, never from other pods or the node", wrong, port, t->scope);
		} else if (v6only) {
			snprintf(fix, sizeof(fix), "bind 0.0.0.0:%d too, or clear IPV6_V6ONLY (ipv6only=off)",
				 port);
			add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
			    "only %s listens on port %d in %s: an IPv6-only socket never sees IPv4 clients "
			    "of %s", wrong, port, t->scope, ip);
		} else {
			snprintf(fix, sizeof(fix), "make the server bind %s:%d or 0.0.0.0:%d", ip, port, port);
			add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
			    "port %d/%s in %s is bound only to %s, not to the pod's IP %s", port, pname,
			    t->scope, wrong, ip);
		}
	} else if (po) {
		snprintf(fix, sizeof(fix), "use the protocol the server speaks, or serve %d/%s", port, pname);
		add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
		    "nothing listens on %d/%s in %s, but %s is bound (wrong protocol?)", port, pname,
		    t->scope, proto_s);
	} else if (oo) {
		snprintf(fix, sizeof(fix), "use the port the server listens on, or start it on %d", port);
		add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
		    "nothing listens on port %d in %s (wrong port?); it listens on %s", port, t->scope, other);
	} else {
		snprintf(fix, sizeof(fix), "start the server; see podnet logs %s%s", t->sp->name, t->nsopt);
		add(rep, t->scope, "listener", DOCTOR_FAIL, fix,
		    "nothing listens on any %s port in %s (no listener: the server is not running)",
		    proto == IPPROTO_UDP ? "UDP" : "TCP", t->scope);
	}
	diag_socks_free(ls, n);
	pn_err_free(&e);
}

/* "y/deny-all, y/allow-web" (at most a few, then "and N more"). */
static void policy_names(char *out, size_t size, const struct pn_netpol *const *v, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int k = i == 3 ? snprintf(out + len, size - len, ", and %zu more", n - 3)
			       : snprintf(out + len, size - len, "%s%s/%s", i ? ", " : "",
					  v[i]->meta.namespace_ ? v[i]->meta.namespace_ : "default",
					  v[i]->meta.name);

		len += k > 0 ? (size_t)k : 0;
		if (i == 3)
			break;
	}
}

/*
 * "Is a NetworkPolicy blocking it?" (the seed's checklist), answered by
 * the evaluator for src -> dst:port/TCP, with the policies that decide it;
 * and whether the kernel holds the rules for them (a policy the node
 * never applied blocks nothing, and a stale table may block what the
 * policies allow).
 */
static void check_policy(const struct doctor_opts *o, struct doctor_report *rep,
			 const struct pod_ctx *c, const char *src, const char *dst,
			 const struct pn_ip *dst_ip, int port)
{
	struct pol_flow f = { .proto = PN_PROTO_TCP, .port = port };
	struct pol_world *w = NULL;
	struct pol_verdict v = { 0 };
	enum pol_enforcement enf;
	struct pn_err e = { 0 };
	char names[256], hint[512];
	const struct pol_side *deny;

	if (pol_world_load(o->rt->st, &w, &e) < 0 || !c->ip.family) {
		add(rep, "node", "policy", DOCTOR_WARN, NULL, "cannot evaluate NetworkPolicy for %s -> %s:%d: %s",
		    src, dst, port, c->ip.family ? pn_err_msg(&e) : "the pod has no IP");
		goto out;
	}
	pol_endpoint_from_ip(w, &c->ip, &f.src);
	pol_endpoint_from_ip(w, dst_ip, &f.dst);
	if (pol_evaluate(w, &f, &v, &e) < 0) {
		add(rep, "node", "policy", DOCTOR_WARN, NULL, "cannot evaluate NetworkPolicy: %s", pn_err_msg(&e));
		goto out;
	}
	snprintf(hint, sizeof(hint), "podnet netpol explain %s %s:%d", src, dst, port);
	if (w->n_pols == 0) {
		add(rep, "node", "policy", DOCTOR_OK, NULL,
		    "no NetworkPolicy on this node: %s -> %s:%d/TCP is allowed", src, dst, port);
	} else if (v.allowed) {
		add(rep, c->scope, "policy", DOCTOR_OK, NULL,
		    "NetworkPolicy allows %s -> %s:%d/TCP (egress %s, ingress %s)", src, dst, port,
		    !v.egress.isolated ? "not isolated" : "allowed by a rule",
		    !v.ingress.isolated ? "not isolated" : "allowed by a rule");
	} else {
		deny = v.egress.allowed ? &v.ingress : &v.egress;
		policy_names(names, sizeof(names), deny->isolating, deny->n_isolating);
		add(rep, deny == &v.egress ? c->scope : dst, "policy", DOCTOR_FAIL, hint,
		    "a NetworkPolicy blocks %s -> %s:%d/TCP: %s of %s is isolated by %s, and no %s rule allows it",
		    src, dst, port, deny == &v.egress ? "egress" : "ingress",
		    deny == &v.egress ? src : dst, names, deny == &v.egress ? "egress" : "ingress");
	}
	if (pol_sync_status(o->rt->st, o->rt->root, &enf, &e) < 0)
		add(rep, "node", "policy-rules", DOCTOR_WARN, NULL, "cannot read the NetworkPolicy rules: %s",
		    pn_err_msg(&e));
	else if (enf != POL_ENFORCED && enf != POL_NOTHING)
		add(rep, "node", "policy-rules", enf == POL_LEFTOVER ? DOCTOR_WARN : DOCTOR_FAIL,
		    "podnet gc (applies the policies again)", "%s", pol_enforcement_str(enf));
out:
	pol_verdict_free(&v);
	pol_world_free(w);
	pn_err_free(&e);
}

/*
 * "Is anything in netfilter dropping it?", answered by the tracer: the
 * TCP probe from the pod with nftables tracing on in every namespace on
 * the way, so a drop by any table (podnet's, another firewall's, a
 * leftover) is named by table, chain and handle.  The probe's result is
 * handed back (*probed) for the probe check.
 */
static void check_netfilter(const struct doctor_opts *o, struct doctor_report *rep,
			    const struct pod_ctx *c, const struct pod_ctx *t, const struct pn_ip *dst,
			    int port, struct probe_result *probed, bool *have_probe)
{
	struct trace_req q = { .kind = PROBE_TCP, .dst = *dst, .port = port,
			       .timeout_ms = o->timeout_ms };
	struct trace_result res = { 0 };
	struct pn_err e = { 0 };
	char ip[PN_IP_STRLEN], flow[PN_IP_STRLEN + 300], fix[384];
	bool have_res = false;

	q.from.nsfd = q.to.nsfd = -1;
	*have_probe = false;
	snprintf(flow, sizeof(flow), "%s -> %s:%d/TCP", c->scope,
		 t && t->scope[0] ? t->scope : pn_ip_str(dst, ip), port);
	if (trace_end_pod(c->sp, &q.from, &e) < 0 ||
	    (t && t->sp && t->sp != c->sp && trace_end_pod(t->sp, &q.to, &e) < 0)) {
		add(rep, "node", "netfilter", DOCTOR_WARN, NULL, "cannot trace %s: %s", flow, pn_err_msg(&e));
		goto out;
	}
	snprintf(q.from.name, sizeof(q.from.name), "%s", c->scope);
	if (q.to.nsfd >= 0)
		snprintf(q.to.name, sizeof(q.to.name), "%s", t->scope);
	if (trace_run(&q, &res, &e) < 0) {
		add(rep, "node", "netfilter", DOCTOR_WARN, NULL, "cannot trace %s: %s", flow, pn_err_msg(&e));
		goto out;
	}
	have_res = true;
	*probed = res.probe;
	*have_probe = true;
	if (res.dropped) {
		const struct trace_packet *p = &res.packets[res.drop_packet];
		const struct trace_event *ev = &res.events[p->drop];
		const char *where = res.where[p->where];
		const char *fam = nftrace_family_str(ev->family);
		bool node = p->where == 0, podnet = !strcmp(ev->table, "podnet");
		char nft[160] = "nft";

		if (!node) {
			const struct pod_ctx *in = p->where == 1 || !t ? c : t;

			snprintf(nft, sizeof(nft), "podnet nsenter %s%s -- nft", in->sp->name, in->nsopt);
		}
		if (podnet)
			snprintf(fix, sizeof(fix), "podnet netpol explain %s %s:%d (podnet's NetworkPolicy table)",
				 c->scope, t && t->scope[0] ? t->scope : ip, port);
		else if (ev->type == NFTRACE_RULE)
			snprintf(fix, sizeof(fix), "if that rule is not wanted: %s delete rule %s %s %s handle %llu",
				 nft, fam, ev->table, ev->chain, (unsigned long long)ev->handle);
		else
			snprintf(fix, sizeof(fix), "%s list chain %s %s %s (its policy drops what no rule accepts)",
				 nft, fam, ev->table, ev->chain);
		if (ev->type == NFTRACE_RULE)
			add(rep, node ? "node" : where, "netfilter", DOCTOR_FAIL, fix,
			    "table %s %s, chain %s, rule handle %llu drops %s %s%s%s (%s hook): %s%s%s%s", fam,
			    ev->table, ev->chain, (unsigned long long)ev->handle, flow,
			    node ? "on the node" : "in ", node ? "" : where, node ? "" : "'s namespace",
			    ev->hook ? ev->hook : "?", ev->rule ? ev->rule : "(rule gone since)",
			    podnet && ev->chain_comment ? " (NetworkPolicy isolation by " : "",
			    podnet && ev->chain_comment ? ev->chain_comment : "",
			    podnet && ev->chain_comment ? ")" : "");
		else
			add(rep, node ? "node" : where, "netfilter", DOCTOR_FAIL, fix,
			    "the policy of chain %s (table %s %s) drops %s %s%s%s (%s hook)", ev->chain, fam,
			    ev->table, flow, node ? "on the node" : "in ", node ? "" : where,
			    node ? "" : "'s namespace", ev->hook ? ev->hook : "?");
	} else {
		size_t rules = 0;

		for (size_t i = 0; i < res.n_events; i++)
			rules += res.events[i].type == NFTRACE_RULE;
		add(rep, "node", "netfilter", DOCTOR_OK, NULL,
		    "no nftables rule or policy drops %s (traced through %zu namespace%s, %zu rule%s gave a "
		    "verdict)", flow, res.n_where, res.n_where == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
	}
out:
	if (have_res)
		trace_result_free(&res);
	trace_end_close(&q.from);
	trace_end_close(&q.to);
	pn_err_free(&e);
}

/* The probe check: TCP, or HTTP for ports 80/8080.  A TCP probe already
 * made (by the tracer) stands for itself, and for an HTTP probe that it
 * shows cannot connect. */
static void check_probe(const struct doctor_opts *o, struct doctor_report *rep,
			const struct pod_ctx *c, const struct pn_ip *dst, int port,
			const struct probe_result *probed)
{
	struct probe_req q = { .kind = (port == 80 || port == 8080) ? PROBE_HTTP : PROBE_TCP,
			       .dst = *dst, .port = port, .timeout_ms = o->timeout_ms };
	struct probe_result r;
	struct pn_err e = { 0 };
	char ip[PN_IP_STRLEN], where[PN_IP_STRLEN + 16];

	pn_ip_str(dst, ip);
	snprintf(where, sizeof(where), "%s%s%s:%d", dst->family == AF_INET6 ? "[" : "", ip,
		 dst->family == AF_INET6 ? "]" : "", port);
	if (probed && (q.kind == PROBE_TCP || probed->outcome != PROBE_OK)) {
		r = *probed;
	} else if (probe_run(c->nsfd, &q, &r, &e) < 0) {
		add(rep, c->scope, "probe", DOCTOR_FAIL, NULL, "%s %s from %s: %s", probe_kind_str(q.kind),
		    where, c->scope, pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	if (r.outcome == PROBE_OK && q.kind == PROBE_HTTP)
		add(rep, c->scope, "probe", DOCTOR_OK, NULL, "http %s from %s: %s, %zu bytes in %lluµs",
		    where, c->scope, r.status_line, r.bytes, (unsigned long long)r.total_us);
	else if (r.outcome == PROBE_OK)
		add(rep, c->scope, "probe", DOCTOR_OK, NULL, "tcp %s from %s: connected in %lluµs", where,
		    c->scope, (unsigned long long)r.elapsed_us);
	else
		add(rep, c->scope, "probe", DOCTOR_FAIL, "see the failed checks above",
		    "%s %s from %s: %s%s%s%s%s%s%s", probe_kind_str(q.kind), where, c->scope,
		    r.outcome == PROBE_HTTP_ERROR && r.status_line[0] ? r.status_line
									 : probe_outcome_str(r.outcome),
		    r.outcome == PROBE_TIMEOUT ? " after the timeout" : "",
		    r.from[0] && !strstr(r.detail, r.from) ? " (ICMP from " : "",
		    r.from[0] && !strstr(r.detail, r.from) ? r.from : "",
		    r.from[0] && !strstr(r.detail, r.from) ? ")" : "", r.detail[0] ? ": " : "", r.detail);
	pn_err_free(&e);
}

/* A port the pod's spec declares (containers[].ports[]). */
struct decl_port {
	const char *ctr;           /* borrowed from the view's rows */
	int port;
	int proto;                 /* IPPROTO_TCP, IPPROTO_UDP; 0: SCTP (not checked) */
};

/* containers[].ports[] of the stored spec, with their container. */
static size_t declared_ports(const struct pod_ctx *c, struct decl_port *out, size_t cap)
{
	json_t *j = c->sp->spec_json ? json_loads(c->sp->spec_json, 0, NULL) : NULL;
	json_t *spec = json_object_get(j, "spec"), *ctrs, *ct;
	size_t n = 0, i;

	ctrs = json_object_get(spec ? spec : j, "containers");
	json_array_foreach(ctrs, i, ct) {
		const char *name = json_string_value(json_object_get(ct, "name"));
		const char *ctr = NULL;
		json_t *p;
		size_t k;

		for (size_t v = 0; c->have_view && name && v < c->view.n_ctrs; v++)
			if (c->view.ctrs[v].row.name && !strcmp(c->view.ctrs[v].row.name, name))
				ctr = c->view.ctrs[v].row.name;
		json_array_foreach(json_object_get(ct, "ports"), k, p) {
			const char *proto = json_string_value(json_object_get(p, "protocol"));
			int port = (int)json_integer_value(json_object_get(p, "containerPort"));

			if (port <= 0 || n >= cap)
				continue;
			out[n].ctr = ctr ? ctr : "?";
			out[n].port = port;
			out[n].proto = !proto || !strcmp(proto, "TCP") ? IPPROTO_TCP
				       : !strcmp(proto, "UDP") ? IPPROTO_UDP : 0;
			n++;
		}
	}
	json_decref(j);
	return n;
}

/*
 * The last line of a container's log (this attempt's, else the last
 * one's) that says a bind failed because the address is in use, without
 * the CRI prefix ("<time> <stream> <tag> ").  False if none.
 */
static bool log_says_in_use(const struct podrt_ctr *ct, char *line, size_t n)
{
	const char *paths[2] = { ct->log_path, ct->prev_log_path };
	bool found = false;

	for (size_t i = 0; i < 2 && !found; i++) {
		char buf[16384], *p, *hit = NULL;
		ssize_t got;
		off_t size;
		int fd;

		if (!paths[i][0] || (fd = open(paths[i], O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		size = lseek(fd, 0, SEEK_END);
		got = size < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, size > (off_t)sizeof(buf) - 1
							       ? size - (off_t)sizeof(buf) + 1 : 0);
		close(fd);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strcasestr(l, "address already in use") || strstr(l, "EADDRINUSE"))
				hit = l;
		if (!hit)
			continue;
		/* CRI log lines: "<time> <stream> <P|F> <text>". */
		p = hit;
		for (int spaces = 0; *p && spaces < 3; p++)
			if (*p == ' ')
				spaces++;
		snprintf(line, n, "%.300s", *p ? p : hit);
		found = true;
	}
	return found;
}

/*
 * Two containers of a pod that want the same port: they share the pod's
 * network namespace, so the second bind fails with EADDRINUSE and that
 * container crash-loops.  Found from the spec (the same containerPort
 * declared twice) and from the logs (a container failing with "Address
 * already in use"), with the container that holds the port.
 */
static void check_port_clash(struct doctor_report *rep, const struct pod_ctx *c,
			     const struct decl_port *d, size_t nd)
{
	struct diag_query q = { .protos = DIAG_Q_TCP | DIAG_Q_UDP,
				.states = (1u << DIAG_LISTEN) | (1u << DIAG_CLOSE),
				.family = AF_UNSPEC, .owners = true };
	struct diag_sock *ls = NULL;
	size_t n = 0, clashes = 0;
	struct pn_err e = { 0 };

	if (!c->have_view)
		return;
	if (diag_list(c->nsfd, &q, &ls, &n, &e) < 0) {
		ls = NULL;
		n = 0;
	}
	for (size_t v = 0; v < c->view.n_ctrs; v++) {
		const struct podrt_ctr *ct = &c->view.ctrs[v];
		char line[320], held[384] = "", want[64] = "", fix[384], state[96];
		size_t ho = 0;
		int port = 0, proto = 0;

		if (!strcmp(ct->state, "running") && !ct->restart_count)
			continue;
		if (!log_says_in_use(ct, line, sizeof(line)))
			continue;
		/* The port it wants: its declared one that another container
		 * declares too, else any it declares. */
		for (size_t i = 0; i < nd && !port; i++)
			for (size_t k = 0; k < nd && !port; k++)
				if (!strcmp(d[i].ctr, ct->row.name) && strcmp(d[k].ctr, ct->row.name) &&
				    d[i].port == d[k].port && d[i].proto == d[k].proto) {
					port = d[i].port;
					proto = d[i].proto;
				}
		for (size_t i = 0; i < nd && !port; i++)
			if (!strcmp(d[i].ctr, ct->row.name)) {
				port = d[i].port;
				proto = d[i].proto;
			}
		if (port)
			snprintf(want, sizeof(want), " port %d/%s", port, proto == IPPROTO_UDP ? "udp" : "tcp");
		/* Who holds it: sockets on that port (any, without a declared
		 * one) owned by another container of the pod. */
		for (size_t i = 0; i < n; i++) {
			const char *owner;
			char a[80];

			if ((port && (ls[i].lport != port || ls[i].proto != proto)) || !ls[i].n_owners)
				continue;
			owner = owner_container(c, &ls[i].owners[0]);
			if (!owner || !strcmp(owner, ct->row.name) || ho >= sizeof(held))
				continue;
			sock_addr_str(&ls[i], a, sizeof(a));
			ho += (size_t)snprintf(held + ho, sizeof(held) - ho, "%s%s by %s (%s, pid %d)",
					       ho ? ", " : "", a, owner, ls[i].owners[0].comm,
					       (int)ls[i].owners[0].pid);
		}
		snprintf(state, sizeof(state), "%s%s%s, %d restart%s", ct->state,
			 ct->reason[0] ? " " : "", ct->reason, ct->restart_count,
			 ct->restart_count == 1 ? "" : "s");
		snprintf(fix, sizeof(fix),
			 "give each container of %s its own port (its containerPort and the server's "
			 "listen port), or put them in separate pods", c->sp->name);
		add(rep, c->scope, "port clash", DOCTOR_FAIL, fix,
		    "container %s cannot bind%s: another container of %s holds it (a pod's containers "
		    "share one network namespace)%s%s; %s is %s, its log says \"%s\"", ct->row.name, want,
		    c->scope, ho ? ": " : "", held, ct->row.name, state, line);
		clashes++;
	}
	/* Declared twice without a failure yet (or before the first crash). */
	for (size_t i = 0; i < nd && !clashes; i++)
		for (size_t k = i + 1; k < nd; k++)
			if (d[i].port == d[k].port && d[i].proto == d[k].proto && strcmp(d[i].ctr, d[k].ctr)) {
				char fix[384];

				snprintf(fix, sizeof(fix), "give each container of %s its own port, or put them in "
					 "separate pods", c->sp->name);
				add(rep, c->scope, "port clash", DOCTOR_FAIL, fix,
				    "containers %s and %s both declare port %d/%s: a pod's containers share one "
				    "network namespace, so only one of them can bind it", d[i].ctr, d[k].ctr,
				    d[i].port, d[i].proto == IPPROTO_UDP ? "udp" : "tcp");
				clashes++;
				break;
			}
	diag_socks_free(ls, n);
	pn_err_free(&e);
}

int doctor_pod(const struct doctor_opts *o, const char *pod_ref, const char *to,
	       struct doctor_report *rep, struct pn_err *err)
{
	struct doctor_opts oo = *o;
	struct pod_ctx c, t;
	struct nl_sock node = NL_SOCK_INIT;
	struct store_pod *sp = NULL, *tp = NULL;
	struct pn_err e = { 0 };
	char host[256] = "";
	struct pn_ip tip = { 0 };
	bool c_ok = false, t_ok = false;
	int port = 0, ret;

	memset(&c, 0, sizeof(c));
	memset(&t, 0, sizeof(t));
	c.nsfd = t.nsfd = -1;
	c.pod.fd = t.pod.fd = -1;
	if (!oo.timeout_ms)
		oo.timeout_ms = DOCTOR_DEFAULT_TIMEOUT_MS;
	if (to) {
		ret = doctor_split_target(to, host, sizeof(host), &port, err);
		if (ret < 0)
			goto out;
		if (!port) {
			ret = pn_error(err, PN_E_BAD_REQUEST, EINVAL, "--to %s: give TARGET:PORT", to);
			goto out;
		}
	}
	ret = nl_open(&node, NETLINK_ROUTE, err);
	if (ret < 0)
		goto out;

	ret = doctor_pod_find(o->rt->st, pod_ref, &sp, &e);
	if (ret < 0) {
		add(rep, pod_ref, "pod", DOCTOR_FAIL, "podnet get pods -A", "%s", pn_err_msg(&e));
		ret = 0;
		goto out;
	}
	c_ok = pod_ctx_open(&oo, rep, &c, sp);
	sp = NULL;
	if (c_ok)
		pod_net_checks(&oo, rep, &node, &c);
	if (c_ok)
		check_network(rep, &node, &c);

	if (to) {
		/* TARGET: a pod by name, or an IP (which may be a pod's). */
		if (pn_ip_parse(host, &tip) == 0) {
			if (doctor_pod_find_by_ip(o->rt->st, &tip, &tp, &e) < 0)
				tp = NULL;
		} else if (doctor_pod_find(o->rt->st, host, &tp, &e) < 0) {
			add(rep, host, "pod", DOCTOR_FAIL, "podnet get pods -A", "target %s", pn_err_msg(&e));
			ret = 0;
			goto out;
		}
		if (tp) {
			t_ok = pod_ctx_open(&oo, rep, &t, tp);
			tp = NULL;
			if (!tip.family)
				tip = t.ip;
			if (t_ok) {
				pod_net_checks(&oo, rep, &node, &t);
				check_listener(rep, &t, port, IPPROTO_TCP);
			}
		} else {
			add(rep, host, "listener", DOCTOR_WARN, NULL,
			    "%s is not a pod of this node: its listeners cannot be checked", host);
		}
		if (!tip.family) {
			add(rep, host, "pod", DOCTOR_FAIL, NULL, "target %s has no IP", host);
			ret = 0;
			goto out;
		}
		if (c_ok) {
			char ip[PN_IP_STRLEN];

			check_policy(&oo, rep, &c, c.scope[0] ? c.scope : pod_ref,
				     t.scope[0] ? t.scope : pn_ip_str(&tip, ip), &tip, port);
		}
	}
	if (c_ok)
		check_ping(&oo, rep, &c);
	if (t_ok && t.sp != c.sp && !pn_ip_eq(&t.ip, &c.ip))
		check_ping(&oo, rep, &t);
	if (c_ok && to) {
		struct probe_result probed;
		bool have_probe = false;

		check_netfilter(&oo, rep, &c, tp || t.sp ? &t : NULL, &tip, port, &probed, &have_probe);
		check_probe(&oo, rep, &c, &tip, port, have_probe ? &probed : NULL);
	} else if (c_ok) {
		/* Without --to the declared ports are what to check: each
		 * port once, and whether two containers want the same one. */
		struct decl_port d[32];
		size_t nd = declared_ports(&c, d, PN_ARRAY_SIZE(d));

		check_port_clash(rep, &c, d, nd);
		for (size_t i = 0; i < nd; i++) {
			bool seen = !d[i].proto;

			for (size_t k = 0; k < i && !seen; k++)
				seen = d[k].port == d[i].port && d[k].proto == d[i].proto;
			if (!seen)
				check_listener(rep, &c, d[i].port, d[i].proto);
		}
	}
	ret = 0;
out:
	store_pod_free(sp);
	store_pod_free(tp);
	pod_ctx_free(&c);
	pod_ctx_free(&t);
	nl_close(&node);
	pn_err_free(&e);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the node                                                           */

static void check_orphans(const struct doctor_opts *o, struct doctor_report *rep)
{
	struct inventory_opts io = { .netns_dir = o->rt->netns_dir, .cni_cache = o->rt->cni_cache,
				     .cni_conf_dir = o->rt->cni_conf_dir, .rt = o->rt,
				     .skip_links = false };
	struct inventory *inv = NULL;
	struct pn_err e = { 0 };
	size_t found = 0;

	if (inventory_collect(&io, &inv, &e) < 0) {
		add(rep, "node", "orphans", DOCTOR_WARN, NULL, "cannot take the node's inventory: %s",
		    pn_err_msg(&e));
		pn_err_free(&e);
		return;
	}
	for (size_t i = 0; i < inv->n_orphans; i++) {
		const struct inv_orphan *r = &inv->orphans[i];
		char fix[384];

		/* Leases get their own check below, against the same rule. */
		if (r->kind == INV_ORPHAN_LEASE)
			continue;
		found++;
		if (r->kind == INV_ORPHAN_NETNS || r->kind == INV_ORPHAN_PIN)
			snprintf(fix, sizeof(fix), "ip netns delete %s (or podnet gc)",
				 strrchr(r->object, '/') ? strrchr(r->object, '/') + 1 : r->object);
		else if (r->kind == INV_ORPHAN_VETH)
			snprintf(fix, sizeof(fix), "ip link delete %s (or podnet gc)", r->object);
		else
			snprintf(fix, sizeof(fix), "podnet gc");
		add(rep, "node", "orphans", DOCTOR_FAIL, fix, "orphan %s %s: %s",
		    inv_orphan_kind_str(r->kind), r->object, r->reason);
	}
	if (!found)
		add(rep, "node", "orphans", DOCTOR_OK, NULL,
		    "no orphan netns, CNI cache entry or host veth (%zu namespaces)", inv->n_ns);
	inventory_free(inv);
	pn_err_free(&e);
}

/* Leases whose container has neither a pod nor a CNI cache entry. */
static void check_leases(const struct doctor_opts *o, struct doctor_report *rep,
			 const struct cni_netlist *l, const struct cni_conf *conf)
{
	struct ipam_lease *ls = NULL;
	struct store_pod *pods = NULL;
	struct cniclient_cached *cache = NULL;
	size_t nl = 0, np = 0, nc = 0, leaked = 0;
	struct pn_err e = { 0 };

	if (ipam_list(conf && conf->ipam.data_dir ? conf->ipam.data_dir : NULL, l->name, &ls, &nl,
		      &e) < 0) {
		add(rep, "node", "leases", DOCTOR_WARN, NULL, "cannot read the leases of %s: %s", l->name,
		    pn_err_msg(&e));
		goto out;
	}
	if (store_pod_list(o->rt->st, NULL, &pods, &np, &e) < 0 ||
	    cniclient_list_cache(o->rt->cni_cache, NULL, &cache, &nc, &e) < 0) {
		add(rep, "node", "leases", DOCTOR_WARN, NULL, "cannot list pods or the CNI cache: %s",
		    pn_err_msg(&e));
		goto out;
	}
	for (size_t i = 0; i < nl; i++) {
		bool owned = false;
		char ip[PN_IP_STRLEN];

		for (size_t k = 0; k < np && !owned; k++)
			owned = pods[k].sandbox_id && !strcmp(pods[k].sandbox_id, ls[i].container_id);
		for (size_t k = 0; k < nc && !owned; k++)
			owned = cache[k].container_id && !strcmp(cache[k].container_id, ls[i].container_id);
		if (owned)
			continue;
		leaked++;
		add(rep, "node", "leases", DOCTOR_FAIL, "podnet gc (CNI GC releases it)",
		    "leaked lease %s in network %s: container %.12s has no pod and no CNI cache entry%s",
		    pn_ip_str(&ls[i].ip, ip), l->name, ls[i].container_id,
		    ls[i].stale ? " (stale)" : "");
	}
	if (!leaked)
		add(rep, "node", "leases", DOCTOR_OK, NULL, "%zu lease%s in network %s, each held by a pod",
		    nl, nl == 1 ? "" : "s", l->name);
out:
	free(ls);
	store_pod_array_free(pods, np);
	cniclient_cached_free_all(cache, nc);
	pn_err_free(&e);
}

int doctor_node(const struct doctor_opts *o, struct doctor_report *rep, struct pn_err *err)
{
	struct doctor_opts oo = *o;
	struct cniclient cc = { .cni_path = o->cni_path, .cache_dir = o->rt->cni_cache };
	struct cni_netlist *l = NULL;
	struct cni_conf *conf = NULL;
	struct store_pod *pods = NULL;
	size_t np = 0;
	struct pn_err e = { 0 };
	int ret;

	if (!oo.timeout_ms)
		oo.timeout_ms = DOCTOR_DEFAULT_TIMEOUT_MS;
	ret = cniclient_load_conflist(o->rt->cni_conf_dir, NULL, &l, &e);
	if (ret < 0) {
		char fix[384];

		snprintf(fix, sizeof(fix), "podnet init writes the default; or fix the file in %s",
			 o->rt->cni_conf_dir);
		add(rep, "node", "cni config", DOCTOR_FAIL, fix, "%s", pn_err_msg(&e));
	} else {
		add(rep, "node", "cni config", DOCTOR_OK, NULL, "%s: network %s, cniVersion %s, %zu plugin%s",
		    l->source, l->name, cni_version_str(l->version), l->n_plugins,
		    l->n_plugins == 1 ? "" : "s");
		for (size_t i = 0; i < l->n_plugins; i++) {
			char *path = NULL;

			pn_err_free(&e);
			if (cniclient_find_plugin(o->cni_path, l->plugins[i].type, &path, &e) < 0)
				add(rep, "node", "plugins", DOCTOR_FAIL, "install it into a CNI_PATH directory",
				    "plugin %s: %s", l->plugins[i].type, pn_err_msg(&e));
			else if (access(path, X_OK) < 0)
				add(rep, "node", "plugins", DOCTOR_FAIL, "chmod +x it",
				    "plugin %s at %s is not executable", l->plugins[i].type, path);
			else
				add(rep, "node", "plugins", DOCTOR_OK, NULL, "%s: %s", l->plugins[i].type, path);
			free(path);
		}
		pn_err_free(&e);
		if (cniclient_validate(&cc, l, &e) < 0)
			add(rep, "node", "cniVersion", DOCTOR_FAIL, "use a cniVersion every plugin speaks",
			    "%s", pn_err_msg(&e));
		else
			add(rep, "node", "cniVersion", DOCTOR_OK, NULL, "every plugin speaks %s",
			    cni_version_str(l->version));
		pn_err_free(&e);
		if (l->version < CNI_V110)
			add(rep, "node", "status", DOCTOR_OK, NULL, "STATUS needs cniVersion 1.1.0 (have %s)",
			    cni_version_str(l->version));
		else if (cniclient_status(&cc, l, &e) < 0)
			add(rep, "node", "status", DOCTOR_FAIL, NULL, "network %s not ready: %s", l->name, pn_err_msg(&e));
		else
			add(rep, "node", "status", DOCTOR_OK, NULL, "network %s ready (CNI STATUS)", l->name);
	}

	check_orphans(&oo, rep);
	if (l) {
		parse_first_plugin(l, &conf);
		check_leases(&oo, rep, l, conf);
	}

	/* Every pod's network, the same checks as `doctor POD`. */
	ret = store_pod_list(o->rt->st, NULL, &pods, &np, err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < np; i++) {
		struct doctor_report sub = { 0 };
		char ref[512];

		snprintf(ref, sizeof(ref), "%s/%s", pods[i].namespace_ ? pods[i].namespace_ : "default",
			 pods[i].name);
		ret = doctor_pod(&oo, ref, NULL, &sub, err);
		if (ret < 0)
			goto out;
		for (size_t k = 0; k < sub.n; k++) {
			struct doctor_check *s = &sub.v[k];

			/* A healthy pod is one line; a sick one shows what is
			 * wrong, and a node check failing for every pod once. */
			if (s->status != DOCTOR_OK && !report_has(rep, s))
				add(rep, s->scope, s->name, s->status, s->fix, "%s", s->msg);
		}
		if (!sub.n_fail && !sub.n_warn)
			add(rep, sub.n ? sub.v[0].scope : pods[i].name, "pod", DOCTOR_OK, NULL,
			    "%zu checks passed (details: podnet doctor %s%s%s)", sub.n, pods[i].name,
			    pods[i].namespace_ && strcmp(pods[i].namespace_, "default") ? " -n " : "",
			    pods[i].namespace_ && strcmp(pods[i].namespace_, "default") ? pods[i].namespace_ : "");
		doctor_report_free(&sub);
	}
	ret = 0;
out:
	store_pod_array_free(pods, np);
	cni_conf_free(conf);
	cni_netlist_free(l);
	pn_err_free(&e);
	return ret;
}
