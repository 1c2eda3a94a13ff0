/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CNI protocol: versions, results, network configuration, CNI_ARGS,
 * the CNI_* environment and the error object (SPEC.md of
 * containernetworking/cni 1.1.0, with the 0.3.x/0.4.0 result encoding).
 * Behaviour that the spec leaves open follows libcni and the reference
 * plugins, since runtimes are tested against those.
 */
#include "cni.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef IPAM_DEFAULT_DATA_DIR
/* Same default as ipam.h and host-local's "dataDir". */
#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/networks"
#endif

#define DEFAULT_BRIDGE "podnet0"
/* IFNAMSIZ - 1: the kernel rejects longer names (net/core/dev.c). */
#define IFNAME_MAX 15
#define PATH_LEN 192

/* ------------------------------------------------------------------ */
/* versions                                                           */

static const char *const version_names[] = {
	[CNI_V030] = "0.3.0",
	[CNI_V031] = "0.3.1",
	[CNI_V040] = "0.4.0",
	[CNI_V100] = "1.0.0",
	[CNI_V110] = "1.1.0",
};

#define SUPPORTED_LIST "0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"

enum cni_version cni_version_parse(const char *s)
{
	if (!s)
		return CNI_V_UNKNOWN;
	for (size_t i = CNI_V030; i < PN_ARRAY_SIZE(version_names); i++)
		if (strcmp(s, version_names[i]) == 0)
			return (enum cni_version)i;
	return CNI_V_UNKNOWN;
}

const char *cni_version_str(enum cni_version v)
{
	if (v <= CNI_V_UNKNOWN || (size_t)v >= PN_ARRAY_SIZE(version_names))
		return NULL;
	return version_names[v];
}

json_t *cni_supported_versions(void)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = CNI_V030; i < PN_ARRAY_SIZE(version_names); i++) {
		if (json_array_append_new(a, json_string(version_names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* 0.3.x and 0.4.0 results carry "version" on each IP and no 1.x fields. */
static bool version_is_legacy(enum cni_version v)
{
	return v == CNI_V030 || v == CNI_V031 || v == CNI_V040;
}

/* ------------------------------------------------------------------ */
/* small JSON helpers                                                 */

const char *cni_json_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

/* A short rendering of @j for messages; long values are cut with "...". */
static const char *jbrief(const json_t *j, char *buf, size_t size)
{
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	size_t len;

	if (!s) {
		snprintf(buf, size, "(%s)", cni_json_type(j));
		return buf;
	}
	len = strlen(s);
	if (len < size)
		memcpy(buf, s, len + 1);
	else
		snprintf(buf, size, "%.*s...", (int)(size - 4), s);
	free(s);
	return buf;
}

static int type_error(struct pn_err *err, int code, const char *path, const char *want,
		      const json_t *v)
{
	char val[72];

	return pn_error(err, code, 0, "%s: expected %s, got %s %s", path, want, cni_json_type(v),
			jbrief(v, val, sizeof(val)));
}

/*
 * Absent and null both mean "not given": Go's encoding/json, which every
 * runtime and reference plugin uses, leaves a field at its zero value for
 * null.
 */
static json_t *jget(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

__attribute__((format(printf, 3, 4)))
static const char *pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/* "parent.key", or "key" at the top level. */
static const char *pathk(char *buf, size_t size, const char *parent, const char *key)
{
	if (!parent || !*parent)
		return pathf(buf, size, "%s", key);
	return pathf(buf, size, "%s.%s", parent, key);
}

static int want_string(json_t *v, const char *path, int code, const char **out,
		       struct pn_err *err)
{
	*out = NULL;
	if (!json_is_string(v))
		return type_error(err, code, path, "a string", v);
	*out = json_string_value(v);
	return 0;
}

static int want_bool(json_t *v, const char *path, int code, bool *out, struct pn_err *err)
{
	if (!json_is_boolean(v))
		return type_error(err, code, path, "a boolean", v);
	*out = json_is_true(v);
	return 0;
}

/* Integers only: Go's decoder rejects 1500.0 for an int field, so do we. */
static int want_int(json_t *v, const char *path, int code, long long min, long long max,
		    int *out, struct pn_err *err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return type_error(err, code, path, "an integer", v);
	n = json_integer_value(v);
	if (n < min || n > max)
		return pn_error(err, code, 0, "%s: %lld out of range %lld..%lld", path,
				(long long)n, min, max);
	*out = (int)n;
	return 0;
}

static int dup_str(const char *s, char **out)
{
	char *d = NULL;

	if (s && !(d = strdup(s)))
		return -ENOMEM;
	free(*out);
	*out = d;
	return 0;
}

static int nomem(struct pn_err *err, const char *where)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", where);
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* @arr reallocated for n + 1 elements, the new one zeroed; NULL leaves @arr intact. */
static void *grow_array(void *arr, size_t n, size_t size)
{
	char *p;

	if (n >= SIZE_MAX / size - 1)
		return NULL;
	p = realloc(arr, (n + 1) * size);
	if (!p)
		return NULL;
	memset(p + n * size, 0, size);
	return p;
}

/* Append a zeroed element to the array @arr of @n; its address, or NULL. */
#define APPEND(arr, n)                                                        \
	({                                                                    \
		__typeof__(arr) grown_ = grow_array((arr), (n), sizeof(*(arr))); \
		grown_ ? ((arr) = grown_, &grown_[(n)++]) : NULL;            \
	})

/* ------------------------------------------------------------------ */
/* results                                                            */

void cni_route_init(struct cni_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->scope = -1;
}

void cni_dns_free(struct cni_dns *d)
{
	if (!d)
		return;
	free_strv(d->nameservers, d->n_nameservers);
	free(d->domain);
	free_strv(d->search, d->n_search);
	free_strv(d->options, d->n_options);
	memset(d, 0, sizeof(*d));
}

static int copy_strv(char **src, size_t n, char ***dst, size_t *dst_n)
{
	char **v = NULL;

	*dst = NULL;
	*dst_n = 0;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] = strdup(src[i]))) {
			free_strv(v, i);
			return -ENOMEM;
		}
	}
	*dst = v;
	*dst_n = n;
	return 0;
}

/* @dst is overwritten, not freed: pass a zeroed or already freed one. */
int cni_dns_copy(struct cni_dns *dst, const struct cni_dns *src)
{
	int ret;

	memset(dst, 0, sizeof(*dst));
	ret = copy_strv(src->nameservers, src->n_nameservers, &dst->nameservers,
			&dst->n_nameservers);
	if (ret < 0)
		goto out;
	ret = dup_str(src->domain, &dst->domain);
	if (ret < 0)
		goto out;
	ret = copy_strv(src->search, src->n_search, &dst->search, &dst->n_search);
	if (ret < 0)
		goto out;
	ret = copy_strv(src->options, src->n_options, &dst->options, &dst->n_options);
out:
	if (ret < 0)
		cni_dns_free(dst);
	return ret;
}

struct cni_result *cni_result_new(void)
{
	return calloc(1, sizeof(struct cni_result));
}

void cni_result_free(struct cni_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ifaces; i++) {
		free(r->ifaces[i].name);
		free(r->ifaces[i].mac);
		free(r->ifaces[i].sandbox);
	}
	free(r->ifaces);
	free(r->ips);
	free(r->routes);
	cni_dns_free(&r->dns);
	free(r);
}

int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox, int mtu)
{
	struct cni_iface i = { .mtu = mtu }, *slot;
	int ret = -ENOMEM;

	if (dup_str(name ? name : "", &i.name) < 0 || dup_str(mac, &i.mac) < 0 ||
	    dup_str(sandbox, &i.sandbox) < 0)
		goto out;
	slot = APPEND(r->ifaces, r->n_ifaces);
	if (!slot)
		goto out;
	*slot = i;
	memset(&i, 0, sizeof(i)); /* now owned by r */
	ret = (int)(r->n_ifaces - 1);
out:
	free(i.name);
	free(i.mac);
	free(i.sandbox);
	return ret;
}

int cni_result_add_ip(struct cni_result *r, const struct pn_cidr *addr,
		      const struct pn_ip *gw, int iface)
{
	struct cni_ipconfig *slot = APPEND(r->ips, r->n_ips);

	if (!slot)
		return -ENOMEM;
	slot->address = *addr;
	if (gw)
		slot->gateway = *gw;
	slot->iface = iface;
	return (int)(r->n_ips - 1);
}

int cni_result_add_route(struct cni_result *r, const struct cni_route *rt)
{
	struct cni_route *slot = APPEND(r->routes, r->n_routes);

	if (!slot)
		return -ENOMEM;
	*slot = *rt;
	return (int)(r->n_routes - 1);
}

/* json_object_set_new() that remembers a failure (allocation) in *bad. */
static void jset(json_t *o, const char *key, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*bad = true;
}

static void jappend(json_t *a, json_t *v, bool *bad)
{
	if (!v || json_array_append_new(a, v) < 0)
		*bad = true;
}

static json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();
	bool bad = !a;

	for (size_t i = 0; a && i < n; i++)
		jappend(a, json_string(v[i]), &bad);
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/*
 * The reference plugins always print "dns" (a Go struct is never omitted
 * by omitempty), each member only when non-empty.
 */
static json_t *dns_json(const struct cni_dns *d)
{
	json_t *o = json_object();
	bool bad = !o;

	if (!o)
		return NULL;
	if (d->n_nameservers)
		jset(o, "nameservers", strv_json(d->nameservers, d->n_nameservers), &bad);
	if (d->domain && *d->domain)
		jset(o, "domain", json_string(d->domain), &bad);
	if (d->n_search)
		jset(o, "search", strv_json(d->search, d->n_search), &bad);
	if (d->n_options)
		jset(o, "options", strv_json(d->options, d->n_options), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *route_json(const struct cni_route *rt, bool extras)
{
	char buf[PN_CIDR_STRLEN];
	json_t *o = json_object();
	bool bad = !o;

	if (!o)
		return NULL;
	jset(o, "dst", json_string(pn_cidr_str(&rt->dst, buf)), &bad);
	if (rt->gw.family)
		jset(o, "gw", json_string(pn_ip_str(&rt->gw, buf)), &bad);
	/* SPEC 1.1.0 "routes": mtu, advmss, priority, table, scope, each optional. */
	if (extras) {
		if (rt->mtu > 0)
			jset(o, "mtu", json_integer(rt->mtu), &bad);
		if (rt->advmss > 0)
			jset(o, "advmss", json_integer(rt->advmss), &bad);
		if (rt->priority > 0)
			jset(o, "priority", json_integer(rt->priority), &bad);
		if (rt->table > 0)
			jset(o, "table", json_integer(rt->table), &bad);
		if (rt->scope >= 0)
			jset(o, "scope", json_integer(rt->scope), &bad);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *cni_result_to_json(const struct cni_result *r, enum cni_version v)
{
	char buf[PN_CIDR_STRLEN];
	const char *vs = cni_version_str(v);
	json_t *o = NULL, *a;
	bool bad = false;

	if (!vs)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	jset(o, "cniVersion", json_string(vs), &bad);

	/* Empty lists are left out, as Go's omitempty does in libcni's types. */
	if (r->n_ifaces) {
		jset(o, "interfaces", a = json_array(), &bad);
		for (size_t i = 0; a && i < r->n_ifaces; i++) {
			const struct cni_iface *ifc = &r->ifaces[i];
			json_t *io = json_object();

			jappend(a, io, &bad);
			if (!io)
				break;
			jset(io, "name", json_string(ifc->name ? ifc->name : ""), &bad);
			if (ifc->mac && *ifc->mac)
				jset(io, "mac", json_string(ifc->mac), &bad);
			if (v >= CNI_V110 && ifc->mtu > 0)
				jset(io, "mtu", json_integer(ifc->mtu), &bad);
			if (ifc->sandbox && *ifc->sandbox)
				jset(io, "sandbox", json_string(ifc->sandbox), &bad);
		}
	}
	if (r->n_ips) {
		jset(o, "ips", a = json_array(), &bad);
		for (size_t i = 0; a && i < r->n_ips; i++) {
			const struct cni_ipconfig *ip = &r->ips[i];
			json_t *io = json_object();

			jappend(a, io, &bad);
			if (!io)
				break;
			/* 0.3.0-0.4.0 "version" is "4" or "6"; 1.0.0 removed it. */
			if (version_is_legacy(v))
				jset(io, "version",
				     json_string(ip->address.ip.family == AF_INET6 ? "6" : "4"),
				     &bad);
			if (ip->iface >= 0)
				jset(io, "interface", json_integer(ip->iface), &bad);
			jset(io, "address", json_string(pn_cidr_str(&ip->address, buf)), &bad);
			if (ip->gateway.family)
				jset(io, "gateway", json_string(pn_ip_str(&ip->gateway, buf)), &bad);
		}
	}
	if (r->n_routes) {
		jset(o, "routes", a = json_array(), &bad);
		for (size_t i = 0; a && i < r->n_routes; i++)
			jappend(a, route_json(&r->routes[i], v >= CNI_V110), &bad);
	}
	jset(o, "dns", dns_json(&r->dns), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------------ */
/* field parsers shared by results and configuration                   */

static int want_ip(json_t *v, const char *path, int code, struct pn_ip *out,
		   struct pn_err *err)
{
	char val[72];

	if (!json_is_string(v))
		return type_error(err, code, path, "a string", v);
	if (pn_ip_parse(json_string_value(v), out) < 0)
		return pn_error(err, code, 0, "%s: %s is not an IP address", path,
				jbrief(v, val, sizeof(val)));
	return 0;
}

static int want_cidr(json_t *v, const char *path, int code, struct pn_cidr *out,
		     struct pn_err *err)
{
	char val[72];

	if (!json_is_string(v))
		return type_error(err, code, path, "a string", v);
	if (pn_cidr_parse(json_string_value(v), out) < 0)
		return pn_error(err, code, 0, "%s: %s is not a CIDR", path,
				jbrief(v, val, sizeof(val)));
	return 0;
}

/* runtimeConfig.ips and host-local's args.cni.ips take "10.0.0.5" or "10.0.0.5/24". */
static int want_ip_or_cidr(json_t *v, const char *path, int code, struct pn_ip *out,
			   struct pn_err *err)
{
	struct pn_cidr c;
	char val[72];

	if (!json_is_string(v))
		return type_error(err, code, path, "a string", v);
	if (pn_ip_parse(json_string_value(v), out) == 0)
		return 0;
	if (pn_cidr_parse(json_string_value(v), &c) == 0) {
		*out = c.ip;
		return 0;
	}
	return pn_error(err, code, 0, "%s: %s is not an IP address", path,
			jbrief(v, val, sizeof(val)));
}

/* Array of strings; elements are appended to *out so the caller's free covers a failure. */
static int want_strv(json_t *v, const char *path, int code, bool ips, char ***out, size_t *n,
		     struct pn_err *err)
{
	char p[PATH_LEN];
	struct pn_ip ip;
	size_t i;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return type_error(err, code, path, "an array", v);
	json_array_foreach(v, i, e) {
		char **slot;

		pathf(p, sizeof(p), "%s[%zu]", path, i);
		if (ips)
			ret = want_ip(e, p, code, &ip, err);
		else
			ret = json_is_string(e) ? 0 : type_error(err, code, p, "a string", e);
		if (ret < 0)
			return ret;
		slot = APPEND(*out, *n);
		if (!slot || !(*slot = strdup(json_string_value(e))))
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", p);
	}
	return 0;
}

static int parse_dns(json_t *v, const char *path, int code, struct cni_dns *d,
		     struct pn_err *err)
{
	char p[PATH_LEN];
	const char *s;
	json_t *e;
	int ret;

	if (!json_is_object(v))
		return type_error(err, code, path, "an object", v);
	if ((e = jget(v, "nameservers"))) {
		ret = want_strv(e, pathk(p, sizeof(p), path, "nameservers"), code, true,
				&d->nameservers, &d->n_nameservers, err);
		if (ret < 0)
			return ret;
	}
	if ((e = jget(v, "domain"))) {
		ret = want_string(e, pathk(p, sizeof(p), path, "domain"), code, &s, err);
		if (ret < 0)
			return ret;
		if (dup_str(s, &d->domain) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", p);
	}
	if ((e = jget(v, "search"))) {
		ret = want_strv(e, pathk(p, sizeof(p), path, "search"), code, false, &d->search,
				&d->n_search, err);
		if (ret < 0)
			return ret;
	}
	if ((e = jget(v, "options"))) {
		ret = want_strv(e, pathk(p, sizeof(p), path, "options"), code, false, &d->options,
				&d->n_options, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* One route object; @extras: read the 1.1.0 mtu/advmss/priority/table/scope. */
static int parse_route(json_t *v, const char *path, int code, bool extras,
		       struct cni_route *rt, struct pn_err *err)
{
	static const struct {
		const char *key;
		size_t off;
		long long max;
	} ints[] = {
		{ "mtu", offsetof(struct cni_route, mtu), 65535 },
		{ "advmss", offsetof(struct cni_route, advmss), 65535 },
		{ "priority", offsetof(struct cni_route, priority), INT32_MAX },
		{ "table", offsetof(struct cni_route, table), INT32_MAX },
		{ "scope", offsetof(struct cni_route, scope), 255 }, /* rtm_scope is a u8 */
	};
	char p[PATH_LEN], val[PN_CIDR_STRLEN];
	json_t *e;
	int ret;

	cni_route_init(rt);
	if (!json_is_object(v))
		return type_error(err, code, path, "an object", v);
	if (!(e = jget(v, "dst")))
		return pn_error(err, code, 0, "%s.dst: missing", path);
	ret = want_cidr(e, pathk(p, sizeof(p), path, "dst"), code, &rt->dst, err);
	if (ret < 0)
		return ret;
	if ((e = jget(v, "gw"))) {
		ret = want_ip(e, pathk(p, sizeof(p), path, "gw"), code, &rt->gw, err);
		if (ret < 0)
			return ret;
		if (rt->gw.family != rt->dst.ip.family)
			return pn_error(err, code, 0, "%s: %s is not of the address family of dst %s",
					p, json_string_value(e), pn_cidr_str(&rt->dst, val));
	}
	for (size_t i = 0; extras && i < PN_ARRAY_SIZE(ints); i++) {
		if (!(e = jget(v, ints[i].key)))
			continue;
		ret = want_int(e, pathk(p, sizeof(p), path, ints[i].key), code, 0, ints[i].max,
			       (int *)((char *)rt + ints[i].off), err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* result parsing                                                     */

static int parse_ifaces(json_t *a, enum cni_version v, struct cni_result *r,
			struct pn_err *err)
{
	static const char *const strs[] = { "name", "mac", "sandbox" };
	char p[PATH_LEN];
	json_t *o, *e;
	size_t i;
	int ret;

	if (!json_is_array(a))
		return type_error(err, PN_CNI_DECODE, "interfaces", "an array", a);
	json_array_foreach(a, i, o) {
		const char *s[3] = { NULL, NULL, NULL };
		int mtu = 0;

		pathf(p, sizeof(p), "interfaces[%zu]", i);
		if (!json_is_object(o))
			return type_error(err, PN_CNI_DECODE, p, "an object", o);
		for (size_t k = 0; k < PN_ARRAY_SIZE(strs); k++) {
			if (!(e = jget(o, strs[k])))
				continue;
			pathf(p, sizeof(p), "interfaces[%zu].%s", i, strs[k]);
			ret = want_string(e, p, PN_CNI_DECODE, &s[k], err);
			if (ret < 0)
				return ret;
		}
		/* Interface "mtu" appeared in 1.1.0; older results never had it. */
		if (v >= CNI_V110 && (e = jget(o, "mtu"))) {
			pathf(p, sizeof(p), "interfaces[%zu].mtu", i);
			ret = want_int(e, p, PN_CNI_DECODE, 0, 65535, &mtu, err);
			if (ret < 0)
				return ret;
		}
		if (cni_result_add_iface(r, s[0], s[1], s[2], mtu) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "interfaces: out of memory");
	}
	return 0;
}

static int parse_ips(json_t *a, enum cni_version v, struct cni_result *r, struct pn_err *err)
{
	char p[PATH_LEN], val[72];
	json_t *o, *e;
	size_t i;
	int ret;

	if (!json_is_array(a))
		return type_error(err, PN_CNI_DECODE, "ips", "an array", a);
	json_array_foreach(a, i, o) {
		struct pn_cidr addr;
		struct pn_ip gw = { 0 };
		int iface = -1;

		pathf(p, sizeof(p), "ips[%zu]", i);
		if (!json_is_object(o))
			return type_error(err, PN_CNI_DECODE, p, "an object", o);
		if (!(e = jget(o, "address")))
			return pn_error(err, PN_CNI_DECODE, 0, "ips[%zu].address: missing", i);
		pathf(p, sizeof(p), "ips[%zu].address", i);
		ret = want_cidr(e, p, PN_CNI_DECODE, &addr, err);
		if (ret < 0)
			return ret;
		if ((e = jget(o, "gateway"))) {
			pathf(p, sizeof(p), "ips[%zu].gateway", i);
			ret = want_ip(e, p, PN_CNI_DECODE, &gw, err);
			if (ret < 0)
				return ret;
			if (gw.family != addr.ip.family)
				return pn_error(err, PN_CNI_DECODE, 0,
						"%s: %s is not of the address family of address %s",
						p, json_string_value(e), pn_cidr_str(&addr, val));
		}
		if ((e = jget(o, "interface"))) {
			pathf(p, sizeof(p), "ips[%zu].interface", i);
			if (!json_is_integer(e))
				return type_error(err, PN_CNI_DECODE, p, "an integer", e);
			/* SPEC: an index into "interfaces" of this same result. */
			if (json_integer_value(e) < 0 ||
			    (uint64_t)json_integer_value(e) >= r->n_ifaces)
				return pn_error(err, PN_CNI_DECODE, 0,
						"%s: index %lld out of range (%zu interfaces)", p,
						(long long)json_integer_value(e), r->n_ifaces);
			iface = (int)json_integer_value(e);
		}
		/*
		 * 0.3.x/0.4.0 carry "version": "4"|"6"; 1.0.0 dropped it, and
		 * libcni ignores it when converting, so 1.x does too.
		 */
		if (version_is_legacy(v) && (e = jget(o, "version"))) {
			const char *want = addr.ip.family == AF_INET ? "4" : "6";
			const char *s;

			pathf(p, sizeof(p), "ips[%zu].version", i);
			ret = want_string(e, p, PN_CNI_DECODE, &s, err);
			if (ret < 0)
				return ret;
			if (strcmp(s, "4") != 0 && strcmp(s, "6") != 0)
				return pn_error(err, PN_CNI_DECODE, 0, "%s: %s is not \"4\" or \"6\"",
						p, jbrief(e, val, sizeof(val)));
			if (strcmp(s, want) != 0)
				return pn_error(err, PN_CNI_DECODE, 0,
						"%s: \"%s\" does not match address %s", p, s,
						pn_cidr_str(&addr, val));
		}
		if (cni_result_add_ip(r, &addr, gw.family ? &gw : NULL, iface) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "ips: out of memory");
	}
	return 0;
}

int cni_result_parse(json_t *j, enum cni_version v, struct cni_result **out,
		     struct pn_err *err)
{
	struct cni_result *r = NULL;
	char p[PATH_LEN], val[72];
	const char *s;
	json_t *e;
	size_t i;
	int ret;

	if (!json_is_object(j)) {
		ret = j ? type_error(err, PN_CNI_DECODE, "result", "an object", j)
			: pn_error(err, PN_CNI_DECODE, 0, "result: missing");
		goto out;
	}
	/*
	 * A prevResult is read at the version of the configuration around it
	 * (libcni's ParsePrevResult); a result on its own says its version.
	 */
	if ((e = jget(j, "cniVersion"))) {
		ret = want_string(e, "cniVersion", PN_CNI_DECODE, &s, err);
		if (ret < 0)
			goto out;
		if (v == CNI_V_UNKNOWN && (v = cni_version_parse(s)) == CNI_V_UNKNOWN) {
			ret = pn_error(err, PN_CNI_INCOMPATIBLE_VERSION, 0,
				       "cniVersion: unsupported version %s (supported: %s)",
				       jbrief(e, val, sizeof(val)), SUPPORTED_LIST);
			goto out;
		}
	}
	if (v == CNI_V_UNKNOWN) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "cniVersion: missing");
		goto out;
	}
	r = cni_result_new();
	if (!r) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "result: out of memory");
		goto out;
	}
	r->version = v;
	if ((e = jget(j, "interfaces")) && (ret = parse_ifaces(e, v, r, err)) < 0)
		goto out;
	if ((e = jget(j, "ips")) && (ret = parse_ips(e, v, r, err)) < 0)
		goto out;
	if ((e = jget(j, "routes"))) {
		json_t *o;

		if (!json_is_array(e)) {
			ret = type_error(err, PN_CNI_DECODE, "routes", "an array", e);
			goto out;
		}
		json_array_foreach(e, i, o) {
			struct cni_route rt;

			pathf(p, sizeof(p), "routes[%zu]", i);
			ret = parse_route(o, p, PN_CNI_DECODE, v >= CNI_V110, &rt, err);
			if (ret < 0)
				goto out;
			if (cni_result_add_route(r, &rt) < 0) {
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "routes: out of memory");
				goto out;
			}
		}
	}
	if ((e = jget(j, "dns")) && (ret = parse_dns(e, "dns", PN_CNI_DECODE, &r->dns, err)) < 0)
		goto out;
	*out = r;
	r = NULL;
	ret = 0;
out:
	cni_result_free(r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* names and addresses from the outside                               */

/* libcni's ValidateContainerID / ValidateNetworkName: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
bool cni_valid_name(const char *s)
{
	if (!s || !isalnum((unsigned char)*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

#define ID_PATTERN "^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$"

/*
 * libcni's ValidateInterfaceName: the kernel takes any bytes but '/', ':'
 * and whitespace (dev_valid_name() in net/core/dev.c) up to IFNAMSIZ-1.
 * Returns NULL or why @s is not valid.
 */
const char *cni_ifname_problem(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0)
		return "interface name is empty";
	if (len > IFNAME_MAX)
		return "interface name is longer than 15 bytes";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "interface name is . or ..";
	for (; *s; s++) {
		if (*s == '/')
			return "interface name contains '/'";
		if (*s == ':')
			return "interface name contains ':'";
		if (isspace((unsigned char)*s))
			return "interface name contains whitespace";
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A 48-bit MAC, "aa:bb:cc:dd:ee:ff" (or with '-'), normalized to lower case with ':'. */
static int parse_mac(const char *s, char out[18])
{
	char buf[18];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
			return -EINVAL;
		if (i < 5 && p[2] != s[2])
			return -EINVAL;
		buf[i * 3] = (char)tolower((unsigned char)p[0]);
		buf[i * 3 + 1] = (char)tolower((unsigned char)p[1]);
		if (i < 5)
			buf[i * 3 + 2] = ':';
	}
	if (s[2] != ':' && s[2] != '-')
		return -EINVAL;
	buf[17] = '\0';
	memcpy(out, buf, sizeof(buf));
	return 0;
}

/* ------------------------------------------------------------------ */
/* IPAM configuration (host-local's shape)                            */

void cni_ipam_conf_free(struct cni_ipam_conf *c)
{
	if (!c)
		return;
	free(c->type);
	for (size_t i = 0; i < c->n_sets; i++)
		free(c->sets[i].ranges);
	free(c->sets);
	free(c->routes);
	free(c->data_dir);
	free(c->resolv_conf);
	memset(c, 0, sizeof(*c));
}

/* One range object at @path (a ranges[][] entry, or "ipam" itself for the legacy form). */
static int parse_range(json_t *o, const char *path, struct cni_range *r, struct pn_err *err)
{
	static const char *const keys[] = { "rangeStart", "rangeEnd", "gateway" };
	const int code = PN_CNI_INVALID_CONFIG;
	struct pn_ip *dst[] = { &r->start, &r->end, &r->gateway };
	char p[PATH_LEN], net[PN_CIDR_STRLEN], a[PN_IP_STRLEN], b[PN_IP_STRLEN];
	struct pn_cidr subnet;
	struct pn_ip last;
	json_t *e;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return type_error(err, code, path, "an object", o);
	if (!(e = jget(o, "subnet")))
		return pn_error(err, code, 0, "%s.subnet: missing", path);
	ret = want_cidr(e, pathk(p, sizeof(p), path, "subnet"), code, &subnet, err);
	if (ret < 0)
		return ret;
	/*
	 * host-local refuses networks without room for a gateway and one
	 * address: ones > bits-2 ("Network %s too small to allocate from").
	 */
	if (subnet.prefix > (subnet.ip.family == AF_INET ? 30 : 126))
		return pn_error(err, code, 0,
				"%s: network %s too small to allocate from (at most /%d)", p,
				json_string_value(e), subnet.ip.family == AF_INET ? 30 : 126);
	/*
	 * host-local refuses host bits (Range.Canonicalize, "Network has host
	 * bits set"): 10.1.2.3/24 may as well be a gateway or node address put
	 * in the wrong key as a network, so it is refused, naming the network.
	 */
	pn_cidr_network(&subnet, &r->subnet);
	pn_cidr_str(&r->subnet, net);
	if (!pn_ip_eq(&subnet.ip, &r->subnet.ip))
		return pn_error(err, code, 0, "%s: %s has host bits set: use %s", p,
				json_string_value(e), net);

	pn_cidr_last(&r->subnet, &last);
	(void)pn_ip_add(&r->subnet.ip, 1, &r->start);
	r->end = last;
	/* IPv4's last address is the broadcast address; IPv6 has none. */
	if (r->subnet.ip.family == AF_INET)
		(void)pn_ip_add(&last, -1, &r->end);
	r->gateway = r->start;

	for (size_t i = 0; i < PN_ARRAY_SIZE(keys); i++) {
		if (!(e = jget(o, keys[i])))
			continue;
		ret = want_ip(e, pathk(p, sizeof(p), path, keys[i]), code, dst[i], err);
		if (ret < 0)
			return ret;
		if (!pn_cidr_contains(&r->subnet, dst[i]))
			return pn_error(err, code, 0, "%s: %s is not in subnet %s", p,
					json_string_value(e), net);
	}
	if (pn_ip_cmp(&r->start, &r->end) > 0)
		return pn_error(err, code, 0, "%s: rangeStart %s is after rangeEnd %s in subnet %s",
				path, pn_ip_str(&r->start, a), pn_ip_str(&r->end, b), net);
	return 0;
}

struct range_ref {
	const struct cni_range *r;
	size_t set, idx;
};

static void range_name(const struct range_ref *x, bool legacy, char *buf, size_t size)
{
	char a[PN_IP_STRLEN], b[PN_IP_STRLEN], n[PN_CIDR_STRLEN];

	if (legacy)
		pathf(buf, size, "ipam %s (%s-%s)", pn_cidr_str(&x->r->subnet, n),
		      pn_ip_str(&x->r->start, a), pn_ip_str(&x->r->end, b));
	else
		pathf(buf, size, "ipam.ranges[%zu][%zu] %s (%s-%s)", x->set, x->idx,
		      pn_cidr_str(&x->r->subnet, n), pn_ip_str(&x->r->start, a),
		      pn_ip_str(&x->r->end, b));
}

/*
 * host-local refuses overlapping pools anywhere in the config (RangeSet
 * Overlaps, IPAMConfig Canonicalize): an address could otherwise be leased
 * twice, once per set.  Pools, not subnets: two pools cut from one subnet
 * are fine.
 */
static int check_overlaps(const struct cni_ipam_conf *c, bool legacy, struct pn_err *err)
{
	struct range_ref *all = NULL;
	size_t n = 0, k = 0;
	int ret = 0;

	for (size_t s = 0; s < c->n_sets; s++)
		n += c->sets[s].n;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
	for (size_t s = 0; s < c->n_sets; s++)
		for (size_t i = 0; i < c->sets[s].n; i++)
			all[k++] = (struct range_ref){ &c->sets[s].ranges[i], s, i };
	for (size_t i = 0; i < n && !ret; i++) {
		for (size_t j = i + 1; j < n; j++) {
			const struct cni_range *a = all[i].r, *b = all[j].r;
			char na[128], nb[128];

			if (a->subnet.ip.family != b->subnet.ip.family ||
			    pn_ip_cmp(&a->end, &b->start) < 0 || pn_ip_cmp(&b->end, &a->start) < 0)
				continue;
			range_name(&all[i], legacy, na, sizeof(na));
			range_name(&all[j], legacy, nb, sizeof(nb));
			ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "range %s overlaps range %s",
				       na, nb);
			break;
		}
	}
	free(all);
	return ret;
}

static int parse_rangesets(json_t *ranges, struct cni_ipam_conf *c, struct pn_err *err)
{
	const int code = PN_CNI_INVALID_CONFIG;
	char p[PATH_LEN];
	json_t *set, *o;
	size_t i, j;
	int ret;

	if (!json_is_array(ranges))
		return type_error(err, code, "ipam.ranges", "an array", ranges);
	if (json_array_size(ranges) == 0)
		return pn_error(err, code, 0, "ipam: no IP ranges specified");
	c->sets = calloc(json_array_size(ranges), sizeof(*c->sets));
	if (!c->sets)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "ipam.ranges: out of memory");
	json_array_foreach(ranges, i, set) {
		struct cni_rangeset *rs = &c->sets[c->n_sets++];

		pathf(p, sizeof(p), "ipam.ranges[%zu]", i);
		if (!json_is_array(set))
			return type_error(err, code, p, "an array of ranges", set);
		if (json_array_size(set) == 0)
			return pn_error(err, code, 0, "%s: empty range set", p);
		rs->ranges = calloc(json_array_size(set), sizeof(*rs->ranges));
		if (!rs->ranges)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", p);
		json_array_foreach(set, j, o) {
			struct cni_range *r = &rs->ranges[rs->n];

			pathf(p, sizeof(p), "ipam.ranges[%zu][%zu]", i, j);
			ret = parse_range(o, p, r, err);
			if (ret < 0)
				return ret;
			rs->n++;
			/* One set gives one address per attachment: one family per set. */
			if (r->subnet.ip.family != rs->ranges[0].subnet.ip.family) {
				char a[PN_CIDR_STRLEN], b[PN_CIDR_STRLEN];

				return pn_error(err, code, 0,
						"ipam.ranges[%zu]: mixes address families (%s and %s)",
						i, pn_cidr_str(&rs->ranges[0].subnet, a),
						pn_cidr_str(&r->subnet, b));
			}
		}
	}
	return 0;
}

int cni_ipam_conf_parse(json_t *ipam, struct cni_ipam_conf *out, struct pn_err *err)
{
	static const char *const legacy_keys[] = { "subnet", "rangeStart", "rangeEnd", "gateway" };
	const int code = PN_CNI_INVALID_CONFIG;
	struct cni_ipam_conf c = { 0 };
	const char *legacy = NULL, *s;
	char p[PATH_LEN];
	json_t *e, *ranges;
	size_t i;
	int ret;

	if (!json_is_object(ipam)) {
		ret = ipam ? type_error(err, code, "ipam", "an object", ipam)
			   : pn_error(err, code, 0, "ipam: missing");
		goto out;
	}
	if (!(e = jget(ipam, "type"))) {
		ret = pn_error(err, code, 0, "ipam.type: missing");
		goto out;
	}
	if ((ret = want_string(e, "ipam.type", code, &s, err)) < 0)
		goto out;
	if (dup_str(s, &c.type) < 0) {
		ret = nomem(err, "ipam");
		goto out;
	}

	for (i = 0; i < PN_ARRAY_SIZE(legacy_keys) && !legacy; i++)
		if (jget(ipam, legacy_keys[i]))
			legacy = legacy_keys[i];
	ranges = jget(ipam, "ranges");
	if (ranges && legacy) {
		ret = pn_error(err, code, 0,
			       "ipam: both \"ranges\" and the single-range \"%s\" given; use \"ranges\"",
			       legacy);
		goto out;
	}
	if (ranges) {
		if ((ret = parse_rangesets(ranges, &c, err)) < 0)
			goto out;
	} else if (legacy) {
		c.sets = calloc(1, sizeof(*c.sets));
		if (!c.sets) {
			ret = nomem(err, "ipam");
			goto out;
		}
		c.n_sets = 1;
		c.sets[0].ranges = calloc(1, sizeof(*c.sets[0].ranges));
		if (!c.sets[0].ranges) {
			ret = nomem(err, "ipam");
			goto out;
		}
		if ((ret = parse_range(ipam, "ipam", &c.sets[0].ranges[0], err)) < 0)
			goto out;
		c.sets[0].n = 1;
	} else {
		ret = pn_error(err, code, 0, "ipam: no IP ranges specified");
		goto out;
	}
	if ((ret = check_overlaps(&c, !ranges, err)) < 0)
		goto out;

	if ((e = jget(ipam, "routes"))) {
		json_t *o;

		if (!json_is_array(e)) {
			ret = type_error(err, code, "ipam.routes", "an array", e);
			goto out;
		}
		json_array_foreach(e, i, o) {
			struct cni_route *rt = APPEND(c.routes, c.n_routes);

			if (!rt) {
				ret = nomem(err, "ipam");
				goto out;
			}
			pathf(p, sizeof(p), "ipam.routes[%zu]", i);
			if ((ret = parse_route(o, p, code, true, rt, err)) < 0)
				goto out;
		}
	}
	s = IPAM_DEFAULT_DATA_DIR;
	if ((e = jget(ipam, "dataDir"))) {
		if ((ret = want_string(e, "ipam.dataDir", code, &s, err)) < 0)
			goto out;
		if (!*s) {
			ret = pn_error(err, code, 0, "ipam.dataDir: empty path");
			goto out;
		}
	}
	if (dup_str(s, &c.data_dir) < 0) {
		ret = nomem(err, "ipam");
		goto out;
	}
	/* The IPAM module reads the file itself, at ADD time, as host-local does. */
	if ((e = jget(ipam, "resolvConf"))) {
		if ((ret = want_string(e, "ipam.resolvConf", code, &s, err)) < 0)
			goto out;
		if (*s && dup_str(s, &c.resolv_conf) < 0) {
			ret = nomem(err, "ipam");
			goto out;
		}
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
out:
	cni_ipam_conf_free(&c);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* ------------------------------------------------------------------ */
/* network configuration                                              */

void cni_conf_free(struct cni_conf *c)
{
	if (!c)
		return;
	json_decref(c->raw);
	free(c->name);
	free(c->type);
	free(c->bridge);
	cni_ipam_conf_free(&c->ipam);
	cni_dns_free(&c->dns);
	cni_result_free(c->prev_result);
	for (size_t i = 0; i < c->n_valid; i++) {
		free(c->valid[i].container_id);
		free(c->valid[i].ifname);
	}
	free(c->valid);
	free(c);
}

/* An array of at most CNI_MAX_IPS addresses (IP or CIDR strings). */
static int parse_ip_list(json_t *a, const char *path, struct pn_ip *ips, size_t *n,
			 struct pn_err *err)
{
	char p[PATH_LEN];
	json_t *e;
	size_t i;
	int ret;

	if (!json_is_array(a))
		return type_error(err, PN_CNI_INVALID_CONFIG, path, "an array", a);
	if (json_array_size(a) > CNI_MAX_IPS)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: %zu addresses, at most %d",
				path, json_array_size(a), CNI_MAX_IPS);
	json_array_foreach(a, i, e) {
		pathf(p, sizeof(p), "%s[%zu]", path, i);
		if ((ret = want_ip_or_cidr(e, p, PN_CNI_INVALID_CONFIG, &ips[i], err)) < 0)
			return ret;
		*n = i + 1;
	}
	return 0;
}

/* GC's list of attachments still in use (SPEC 1.1.0 "GC"). */
static int parse_attachments(json_t *a, const char *key, struct cni_conf *c, struct pn_err *err)
{
	const int code = PN_CNI_INVALID_CONFIG;
	char p[PATH_LEN];
	const char *id, *ifn;
	json_t *o, *e;
	size_t i;
	int ret;

	if (!json_is_array(a))
		return type_error(err, code, key, "an array", a);
	json_array_foreach(a, i, o) {
		struct cni_attachment *at;

		pathf(p, sizeof(p), "%s[%zu]", key, i);
		if (!json_is_object(o))
			return type_error(err, code, p, "an object", o);
		if (!(e = jget(o, "containerID")))
			return pn_error(err, code, 0, "%s.containerID: missing", p);
		pathf(p, sizeof(p), "%s[%zu].containerID", key, i);
		if ((ret = want_string(e, p, code, &id, err)) < 0)
			return ret;
		pathf(p, sizeof(p), "%s[%zu]", key, i);
		if (!(e = jget(o, "ifname")))
			return pn_error(err, code, 0, "%s.ifname: missing", p);
		pathf(p, sizeof(p), "%s[%zu].ifname", key, i);
		if ((ret = want_string(e, p, code, &ifn, err)) < 0)
			return ret;
		at = APPEND(c->valid, c->n_valid);
		if (!at || dup_str(id, &at->container_id) < 0 || dup_str(ifn, &at->ifname) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", key);
	}
	c->has_valid = true;
	return 0;
}

static int parse_bridge_keys(json_t *j, struct cni_conf *c, struct pn_err *err)
{
	static const struct {
		const char *key;
		size_t off;
	} bools[] = {
		{ "isGateway", offsetof(struct cni_conf, is_gateway) },
		{ "isDefaultGateway", offsetof(struct cni_conf, is_default_gateway) },
		{ "forceAddress", offsetof(struct cni_conf, force_address) },
		{ "ipMasq", offsetof(struct cni_conf, ip_masq) },
		{ "hairpinMode", offsetof(struct cni_conf, hairpin_mode) },
		{ "promiscMode", offsetof(struct cni_conf, promisc_mode) },
		{ "portIsolation", offsetof(struct cni_conf, port_isolation) },
		{ "spoofCheck", offsetof(struct cni_conf, spoof_check) },
	};
	const int code = PN_CNI_INVALID_CONFIG;
	const char *s = DEFAULT_BRIDGE, *why;
	char val[72];
	json_t *e;
	int ret;

	if ((e = jget(j, "bridge"))) {
		if ((ret = want_string(e, "bridge", code, &s, err)) < 0)
			return ret;
		if ((why = cni_ifname_problem(s)))
			return pn_error(err, code, 0, "bridge: %s: %s", jbrief(e, val, sizeof(val)),
					why);
	}
	if (dup_str(s, &c->bridge) < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "bridge: out of memory");
	for (size_t i = 0; i < PN_ARRAY_SIZE(bools); i++) {
		if (!(e = jget(j, bools[i].key)))
			continue;
		ret = want_bool(e, bools[i].key, code, (bool *)((char *)c + bools[i].off), err);
		if (ret < 0)
			return ret;
	}
	/* As the reference bridge: a default gateway must be a gateway. */
	if (c->is_default_gateway)
		c->is_gateway = true;
	if ((e = jget(j, "mtu"))) {
		if ((ret = want_int(e, "mtu", code, INT32_MIN, INT32_MAX, &c->mtu, err)) < 0)
			return ret;
		/* 68 is IPv4's minimum link MTU (RFC 791); the kernel refuses less. */
		if (c->mtu != 0 && (c->mtu < 68 || c->mtu > 65535))
			return pn_error(err, code, 0, "mtu: %d is not 0 (kernel default) or 68..65535",
					c->mtu);
	}
	return 0;
}

static int parse_runtime(json_t *j, struct cni_conf *c, struct pn_err *err)
{
	const int code = PN_CNI_INVALID_CONFIG;
	json_t *rc, *args, *e;
	char val[72];
	int ret;

	if ((rc = jget(j, "runtimeConfig"))) {
		if (!json_is_object(rc))
			return type_error(err, code, "runtimeConfig", "an object", rc);
		if ((e = jget(rc, "ips")) &&
		    (ret = parse_ip_list(e, "runtimeConfig.ips", c->rc_ips, &c->n_rc_ips, err)) < 0)
			return ret;
		if ((e = jget(rc, "mac"))) {
			const char *s;

			if ((ret = want_string(e, "runtimeConfig.mac", code, &s, err)) < 0)
				return ret;
			if (parse_mac(s, c->rc_mac) < 0)
				return pn_error(err, code, 0, "runtimeConfig.mac: %s is not a MAC address",
						jbrief(e, val, sizeof(val)));
		}
	}
	/* "args" is free-form (conventions.md); only args.cni.ips is ours to read. */
	if ((args = jget(j, "args"))) {
		if (!json_is_object(args))
			return type_error(err, code, "args", "an object", args);
		if ((e = jget(args, "cni"))) {
			if (!json_is_object(e))
				return type_error(err, code, "args.cni", "an object", e);
			if ((e = jget(e, "ips")) &&
			    (ret = parse_ip_list(e, "args.cni.ips", c->arg_ips, &c->n_arg_ips, err)) < 0)
				return ret;
		}
	}
	return 0;
}

int cni_conf_parse(const char *buf, size_t len, bool parse_ipam, struct cni_conf **out,
		   struct pn_err *err)
{
	const int code = PN_CNI_INVALID_CONFIG;
	struct cni_conf *c = NULL;
	json_error_t jerr;
	const char *s;
	char val[72];
	json_t *e;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "configuration: out of memory");
		goto out;
	}
	c->raw = buf ? json_loadb(buf, len, 0, &jerr) : NULL;
	if (!c->raw) {
		if (!buf)
			ret = pn_error(err, PN_CNI_DECODE, 0, "configuration: no input");
		else
			ret = pn_error(err, PN_CNI_DECODE, 0,
				       "configuration is not valid JSON: line %d, column %d: %s",
				       jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(c->raw)) {
		ret = type_error(err, PN_CNI_DECODE, "configuration", "an object", c->raw);
		goto out;
	}

	if (!(e = jget(c->raw, "cniVersion"))) {
		ret = pn_error(err, code, 0, "cniVersion: missing");
		goto out;
	}
	if ((ret = want_string(e, "cniVersion", code, &s, err)) < 0)
		goto out;
	c->version = cni_version_parse(s);
	if (c->version == CNI_V_UNKNOWN) {
		ret = pn_error(err, PN_CNI_INCOMPATIBLE_VERSION, 0,
			       "cniVersion: unsupported version %s (supported: %s)",
			       jbrief(e, val, sizeof(val)), SUPPORTED_LIST);
		goto out;
	}

	if (!(e = jget(c->raw, "name"))) {
		ret = pn_error(err, code, 0, "name: missing");
		goto out;
	}
	if ((ret = want_string(e, "name", code, &s, err)) < 0)
		goto out;
	if (!cni_valid_name(s)) {
		ret = pn_error(err, code, 0, "name: %s is not a valid network name (must match %s)",
			       jbrief(e, val, sizeof(val)), ID_PATTERN);
		goto out;
	}
	if (dup_str(s, &c->name) < 0) {
		ret = nomem(err, "configuration");
		goto out;
	}

	if (!(e = jget(c->raw, "type"))) {
		ret = pn_error(err, code, 0, "type: missing");
		goto out;
	}
	if ((ret = want_string(e, "type", code, &s, err)) < 0)
		goto out;
	if (!*s) {
		ret = pn_error(err, code, 0, "type: empty plugin name");
		goto out;
	}
	if (dup_str(s, &c->type) < 0) {
		ret = nomem(err, "configuration");
		goto out;
	}

	/* podnet-bridge's keys mean something else (or nothing) to other main
	 * plugins that run podnet-ipam, so they are only checked for ours. */
	if (!strcmp(c->type, "podnet-bridge") && (ret = parse_bridge_keys(c->raw, c, err)) < 0)
		goto out;
	if ((e = jget(c->raw, "dns")) && (ret = parse_dns(e, "dns", code, &c->dns, err)) < 0)
		goto out;

	if ((e = jget(c->raw, "ipam"))) {
		json_t *t;

		if (!json_is_object(e)) {
			ret = type_error(err, code, "ipam", "an object", e);
			goto out;
		}
		if (!(t = jget(e, "type"))) {
			ret = pn_error(err, code, 0, "ipam.type: missing");
			goto out;
		}
		if ((ret = want_string(t, "ipam.type", code, &s, err)) < 0)
			goto out;
		c->has_ipam = true;
		c->ipam_raw = e;
		if ((parse_ipam || strcmp(s, "podnet-ipam") == 0) &&
		    (ret = cni_ipam_conf_parse(e, &c->ipam, err)) < 0)
			goto out;
		/* The type is needed to delegate to any other IPAM plugin. */
		if (!c->ipam.type && !(c->ipam.type = strdup(s))) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}

	if ((e = jget(c->raw, "prevResult"))) {
		if (!json_is_object(e)) {
			ret = type_error(err, PN_CNI_DECODE, "prevResult", "an object", e);
			goto out;
		}
		if ((ret = cni_result_parse(e, c->version, &c->prev_result, err)) < 0) {
			pn_err_prefix(err, "prevResult");
			goto out;
		}
	}

	if ((ret = parse_runtime(c->raw, c, err)) < 0)
		goto out;

	/* SPEC 1.1.0 names the key cni.dev/valid-attachments; 1.1.0 drafts used cni.dev/attachments. */
	s = "cni.dev/valid-attachments";
	if (!(e = jget(c->raw, s)))
		e = jget(c->raw, s = "cni.dev/attachments");
	if (e && (ret = parse_attachments(e, s, c, err)) < 0)
		goto out;

	*out = c;
	c = NULL;
	ret = 0;
out:
	cni_conf_free(c);
	return ret;
}

/* ------------------------------------------------------------------ */
/* CNI_ARGS                                                           */

void cni_args_free(struct cni_args *a)
{
	if (!a)
		return;
	free(a->k8s_pod_name);
	free(a->k8s_pod_namespace);
	free(a->k8s_pod_uid);
	free(a->k8s_pod_infra_container_id);
	memset(a, 0, sizeof(*a));
}

static int parse_args_ips(char *val, struct cni_args *a, struct pn_err *err)
{
	char *item, *end;

	/* host-local: IP is split on ',' and each item trimmed of spaces. */
	a->n_ips = 0;
	if (!*val)
		return 0;
	while ((item = strsep(&val, ","))) {
		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (a->n_ips == CNI_MAX_IPS)
			return pn_error(err, PN_CNI_INVALID_ENV, 0,
					"CNI_ARGS: IP: more than %d addresses", CNI_MAX_IPS);
		if (pn_ip_parse(item, &a->ips[a->n_ips]) < 0)
			return pn_error(err, PN_CNI_INVALID_ENV, 0,
					"CNI_ARGS: IP: \"%.64s\" is not an IP address", item);
		a->n_ips++;
	}
	return 0;
}

int cni_args_parse(const char *s, struct cni_args *out, struct pn_err *err)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "K8S_POD_NAME", offsetof(struct cni_args, k8s_pod_name) },
		{ "K8S_POD_NAMESPACE", offsetof(struct cni_args, k8s_pod_namespace) },
		{ "K8S_POD_UID", offsetof(struct cni_args, k8s_pod_uid) },
		{ "K8S_POD_INFRA_CONTAINER_ID", offsetof(struct cni_args, k8s_pod_infra_container_id) },
	};
	struct cni_args a = { 0 };
	char unknown[200] = "";
	char *copy = NULL, *rest, *pair;
	size_t ulen = 0;
	int ret = 0;

	if (!s || !*s)
		goto out;
	copy = strdup(s);
	if (!copy) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "CNI_ARGS: out of memory");
		goto out;
	}
	/*
	 * libcni's LoadArgs: split on ';', each pair must split on '=' into
	 * exactly two parts (so "", "K" and "K=V=W" are errors), a repeated key
	 * overwrites the earlier value, and unknown keys fail the whole
	 * string unless IgnoreUnknown is true.
	 */
	rest = copy;
	while ((pair = strsep(&rest, ";"))) {
		char *val = strchr(pair, '=');
		bool known = false;

		if (!val || strchr(val + 1, '=')) {
			ret = pn_error(err, PN_CNI_INVALID_ENV, 0, "CNI_ARGS: invalid pair \"%.100s\"",
				       pair);
			goto out;
		}
		*val++ = '\0';
		if (strcmp(pair, "IgnoreUnknown") == 0) {
			/* libcni's UnmarshallableBool: 1/true/0/false, any case. */
			if (strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0) {
				a.ignore_unknown = true;
			} else if (strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0) {
				a.ignore_unknown = false;
			} else {
				ret = pn_error(err, PN_CNI_INVALID_ENV, 0,
					       "CNI_ARGS: IgnoreUnknown: \"%.64s\" is not a boolean",
					       val);
				goto out;
			}
			continue;
		}
		if (strcmp(pair, "IP") == 0) {
			if ((ret = parse_args_ips(val, &a, err)) < 0)
				goto out;
			continue;
		}
		if (strcmp(pair, "MAC") == 0) {
			/* The reference bridge treats MAC= as unset. */
			a.mac[0] = '\0';
			if (*val && parse_mac(val, a.mac) < 0) {
				ret = pn_error(err, PN_CNI_INVALID_ENV, 0,
					       "CNI_ARGS: MAC: \"%.64s\" is not a MAC address", val);
				goto out;
			}
			continue;
		}
		for (size_t i = 0; i < PN_ARRAY_SIZE(strs) && !known; i++) {
			if (strcmp(pair, strs[i].key) != 0)
				continue;
			known = true;
			if (dup_str(val, (char **)((char *)&a + strs[i].off)) < 0) {
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "CNI_ARGS: out of memory");
				goto out;
			}
		}
		if (!known && ulen < sizeof(unknown)) {
			int n = snprintf(unknown + ulen, sizeof(unknown) - ulen, "%s\"%.40s\"",
					 ulen ? ", " : "", pair);

			ulen += n > 0 ? (size_t)n : 0;
		}
	}
	if (ulen && !a.ignore_unknown)
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0,
			       "CNI_ARGS: unknown key %s (IgnoreUnknown=1 lets them pass)", unknown);
out:
	free(copy);
	if (ret < 0)
		cni_args_free(&a);
	*out = a;
	return ret;
}

/* ------------------------------------------------------------------ */
/* the CNI_* environment                                              */

void cni_env_free(struct cni_env *env)
{
	if (env)
		cni_args_free(&env->args);
}

static const char *env_get(const char *name)
{
	const char *v = getenv(name);

	/* libcni's skel treats an empty variable as a missing one. */
	return v && *v ? v : NULL;
}

int cni_env_from_environ(struct cni_env *env, struct pn_err *err)
{
	static const struct {
		const char *name;
		enum cni_cmd cmd;
	} cmds[] = {
		{ "ADD", CNI_CMD_ADD },       { "DEL", CNI_CMD_DEL },
		{ "CHECK", CNI_CMD_CHECK },   { "GC", CNI_CMD_GC },
		{ "STATUS", CNI_CMD_STATUS }, { "VERSION", CNI_CMD_VERSION },
	};
	/* SPEC 1.1.0 "Parameters": which variables each verb requires. */
	enum { NEED_ID = 1, NEED_NETNS = 2, NEED_IFNAME = 4, NEED_PATH = 8 };
	char missing[128] = "";
	size_t n_missing = 0;
	const char *why;
	unsigned need = 0;
	int ret = 0;

	memset(env, 0, sizeof(*env));
	env->command = env_get("CNI_COMMAND");
	if (!env->command) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0, "CNI_COMMAND env variable missing");
		goto out;
	}
	for (size_t i = 0; i < PN_ARRAY_SIZE(cmds); i++)
		if (strcmp(env->command, cmds[i].name) == 0)
			env->cmd = cmds[i].cmd;
	switch (env->cmd) {
	case CNI_CMD_ADD:
	case CNI_CMD_CHECK:
		need = NEED_ID | NEED_NETNS | NEED_IFNAME | NEED_PATH;
		break;
	case CNI_CMD_DEL:
		/* DEL must succeed even when the netns is already gone. */
		need = NEED_ID | NEED_IFNAME | NEED_PATH;
		break;
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		need = NEED_PATH;
		break;
	case CNI_CMD_VERSION:
		goto out;
	case CNI_CMD_NONE:
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0, "unknown CNI_COMMAND: %.64s",
			       env->command);
		goto out;
	}
	env->container_id = env_get("CNI_CONTAINERID");
	env->netns = env_get("CNI_NETNS");
	env->ifname = env_get("CNI_IFNAME");
	env->path = env_get("CNI_PATH");

	{
		const struct {
			unsigned bit;
			const char *name, *val;
		} req[] = {
			{ NEED_ID, "CNI_CONTAINERID", env->container_id },
			{ NEED_NETNS, "CNI_NETNS", env->netns },
			{ NEED_IFNAME, "CNI_IFNAME", env->ifname },
			{ NEED_PATH, "CNI_PATH", env->path },
		};

		for (size_t i = 0; i < PN_ARRAY_SIZE(req); i++) {
			size_t len = strlen(missing);

			if (!(need & req[i].bit) || req[i].val)
				continue;
			snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "",
				 req[i].name);
			n_missing++;
		}
	}
	if (n_missing) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0, "%s env variable%s missing", missing,
			       n_missing > 1 ? "s" : "");
		goto out;
	}
	if ((need & NEED_ID) && !cni_valid_name(env->container_id)) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0,
			       "CNI_CONTAINERID \"%.100s\": invalid characters (must match %s)",
			       env->container_id, ID_PATTERN);
		goto out;
	}
	if ((need & NEED_IFNAME) && (why = cni_ifname_problem(env->ifname))) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0, "CNI_IFNAME \"%.64s\": %s", env->ifname,
			       why);
		goto out;
	}
	ret = cni_args_parse(getenv("CNI_ARGS"), &env->args, err);
out:
	if (ret < 0)
		cni_env_free(env);
	return ret;
}

/* ------------------------------------------------------------------ */
/* output                                                             */

/* jansson refuses invalid UTF-8; messages may quote arbitrary env bytes. */
static json_t *json_string_lossy(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !(copy = strdup(s)))
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

void cni_error_print(FILE *f, enum cni_version v, const struct pn_err *err)
{
	const char *vs = cni_version_str(v) ? cni_version_str(v) : cni_version_str(CNI_V110);
	/* SPEC: codes 1-99 are reserved and 0 is not an error; libcni's skel uses 999 then. */
	int code = err && err->code > 0 ? err->code : 999;
	const char *msg = pn_err_msg(err);
	json_t *o = json_object();
	bool bad = !o;

	if (o) {
		jset(o, "cniVersion", json_string(vs), &bad);
		jset(o, "code", json_integer(code), &bad);
		jset(o, "msg", json_string_lossy(*msg ? msg : "unknown error"), &bad);
		if (*pn_err_details_text(err))
			jset(o, "details", json_string_lossy(pn_err_details_text(err)), &bad);
	}
	if (bad || cni_json_print(f, o) < 0)
		fprintf(f, "{\"cniVersion\": \"%s\", \"code\": %d, \"msg\": \"out of memory\"}\n",
			vs, code);
	json_decref(o);
}

int cni_json_print(FILE *f, json_t *j)
{
	/* 4-space indent, like the reference plugins' types.PrettyPrint. */
	if (!j || json_dumpf(j, f, JSON_INDENT(4)) < 0 || fputc('\n', f) == EOF)
		return -EIO;
	if (fflush(f) != 0)
		return -errno;
	return 0;
}
