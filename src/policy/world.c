/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy layer's snapshot of the node (world.h): copies of what the
 * store holds, sorted so that lookups are binary searches.
 */
#include "world.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "store.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

static int nomem(struct pn_err *err)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

int pol_world_new(struct pol_world **out, struct pn_err *err)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : nomem(err);
}

static void pod_clear(struct pol_pod *p)
{
	free(p->ns);
	free(p->name);
	pn_kvs_free(&p->labels);
	for (size_t i = 0; i < p->n_ports; i++)
		free(p->ports[i].name);
	free(p->ports);
}

void pol_world_free(struct pol_world *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_nss; i++) {
		free(w->nss[i].name);
		pn_kvs_free(&w->nss[i].labels);
	}
	free(w->nss);
	for (size_t i = 0; i < w->n_pods; i++)
		pod_clear(&w->pods[i]);
	free(w->pods);
	for (size_t i = 0; i < w->n_pols; i++)
		pn_netpol_free(w->pols[i]);
	free(w->pols);
	free(w);
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pn_kv *)a)->key, ((const struct pn_kv *)b)->key);
}

/* A sorted copy of @src, plus @extra_key=@extra_value unless present. */
static int kvs_copy(struct pn_kvs *dst, const struct pn_kvs *src, const char *extra_key,
		    const char *extra_value)
{
	size_t n = src ? src->n : 0;

	dst->items = calloc(n + 1, sizeof(*dst->items));
	dst->n = 0;
	if (!dst->items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct pn_kv *kv = &dst->items[dst->n];

		kv->key = strdup(src->items[i].key);
		kv->value = strdup(src->items[i].value ? src->items[i].value : "");
		dst->n++;
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	if (extra_key && !pn_kvs_get(dst, extra_key)) {
		struct pn_kv *kv = &dst->items[dst->n];

		kv->key = strdup(extra_key);
		kv->value = strdup(extra_value);
		dst->n++;
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	qsort(dst->items, dst->n, sizeof(*dst->items), kv_cmp);
	return 0;
}

int pol_world_add_namespace(struct pol_world *w, const char *name, const struct pn_kvs *labels,
			    struct pn_err *err)
{
	struct pol_ns *ns = NULL, *grown;

	for (size_t i = 0; i < w->n_nss; i++)
		if (!strcmp(w->nss[i].name, name)) {
			ns = &w->nss[i];
			pn_kvs_free(&ns->labels);
			break;
		}
	if (!ns) {
		grown = realloc(w->nss, (w->n_nss + 1) * sizeof(*grown));
		if (!grown)
			return nomem(err);
		w->nss = grown;
		ns = &w->nss[w->n_nss];
		memset(ns, 0, sizeof(*ns));
		ns->name = strdup(name);
		w->n_nss++;
		if (!ns->name)
			return nomem(err);
	}
	if (kvs_copy(&ns->labels, labels, NS_NAME_LABEL, name) < 0)
		return nomem(err);
	return 0;
}

static bool have_ns(const struct pol_world *w, const char *name)
{
	for (size_t i = 0; i < w->n_nss; i++)
		if (!strcmp(w->nss[i].name, name))
			return true;
	return false;
}

int pol_world_add_pod(struct pol_world *w, const struct pn_pod *pod, const struct pn_ip *ips,
		      size_t n_ips, struct pn_err *err)
{
	const char *nsname = pod->meta.namespace_ ? pod->meta.namespace_ : "default";
	struct pol_pod *p, *grown;
	size_t nports = 0;
	int ret;

	if (pod->spec.host_network || n_ips == 0)
		return 0;
	if (!have_ns(w, nsname)) {
		ret = pol_world_add_namespace(w, nsname, NULL, err);
		if (ret < 0)
			return ret;
	}
	grown = realloc(w->pods, (w->n_pods + 1) * sizeof(*grown));
	if (!grown)
		return nomem(err);
	w->pods = grown;
	p = &w->pods[w->n_pods++];
	memset(p, 0, sizeof(*p));
	p->ns = strdup(nsname);
	p->name = strdup(pod->meta.name ? pod->meta.name : "");
	if (!p->ns || !p->name || kvs_copy(&p->labels, &pod->meta.labels, NULL, NULL) < 0)
		return nomem(err);
	for (size_t i = 0; i < n_ips && p->n_ips < PN_ARRAY_SIZE(p->ips); i++) {
		bool dup = false;

		for (size_t k = 0; k < p->n_ips; k++)
			dup |= p->ips[k].family == ips[i].family;
		if (!dup && (ips[i].family == AF_INET || ips[i].family == AF_INET6))
			p->ips[p->n_ips++] = ips[i];
	}
	for (size_t c = 0; c < pod->spec.n_containers; c++)
		nports += pod->spec.containers[c].n_ports;
	p->ports = calloc(nports ? nports : 1, sizeof(*p->ports));
	if (!p->ports)
		return nomem(err);
	for (size_t c = 0; c < pod->spec.n_containers; c++) {
		const struct pn_container_spec *cs = &pod->spec.containers[c];

		for (size_t i = 0; i < cs->n_ports; i++) {
			struct pol_port *pp = &p->ports[p->n_ports];

			pp->port = cs->ports[i].container_port;
			pp->proto = cs->ports[i].protocol ? pn_proto_parse(cs->ports[i].protocol)
							  : PN_PROTO_TCP;
			if (cs->ports[i].name && cs->ports[i].name[0]) {
				pp->name = strdup(cs->ports[i].name);
				if (!pp->name)
					return nomem(err);
			}
			p->n_ports++;
		}
	}
	return 0;
}

int pol_world_add_policy(struct pol_world *w, struct pn_netpol *np, struct pn_err *err)
{
	struct pn_netpol **grown = realloc(w->pols, (w->n_pols + 1) * sizeof(*grown));
	const char *nsname;
	int ret;

	if (!grown) {
		pn_netpol_free(np);
		return nomem(err);
	}
	w->pols = grown;
	w->pols[w->n_pols++] = np;
	nsname = np->meta.namespace_ ? np->meta.namespace_ : "default";
	if (!have_ns(w, nsname)) {
		ret = pol_world_add_namespace(w, nsname, NULL, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pol_ns *)a)->name, ((const struct pol_ns *)b)->name);
}

static int pod_cmp(const void *a, const void *b)
{
	const struct pol_pod *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

static int pol_cmp(const void *a, const void *b)
{
	const struct pn_netpol *x = *(struct pn_netpol *const *)a, *y = *(struct pn_netpol *const *)b;
	int c = strcmp(x->meta.namespace_ ? x->meta.namespace_ : "default",
		       y->meta.namespace_ ? y->meta.namespace_ : "default");

	return c ? c : strcmp(x->meta.name ? x->meta.name : "", y->meta.name ? y->meta.name : "");
}

static size_t ns_index(const struct pol_world *w, const char *name)
{
	size_t lo = 0, hi = w->n_nss;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(w->nss[mid].name, name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

void pol_world_finish(struct pol_world *w)
{
	/* qsort and bsearch want an array even when it is empty */
	if (w->n_nss)
		qsort(w->nss, w->n_nss, sizeof(*w->nss), ns_cmp);
	if (w->n_pods)
		qsort(w->pods, w->n_pods, sizeof(*w->pods), pod_cmp);
	if (w->n_pols)
		qsort(w->pols, w->n_pols, sizeof(*w->pols), pol_cmp);
	for (size_t i = 0; i < w->n_pods; i++)
		w->pods[i].ns_idx = ns_index(w, w->pods[i].ns);
}

const struct pol_ns *pol_world_ns(const struct pol_world *w, const char *name)
{
	size_t i = ns_index(w, name);

	return i == (size_t)-1 ? NULL : &w->nss[i];
}

const struct pol_pod *pol_world_pod(const struct pol_world *w, const char *ns, const char *name)
{
	struct pol_pod key = { .ns = (char *)ns, .name = (char *)name };

	if (!w->n_pods)
		return NULL;
	return bsearch(&key, w->pods, w->n_pods, sizeof(*w->pods), pod_cmp);
}

const struct pol_pod *pol_world_pod_by_ip(const struct pol_world *w, const struct pn_ip *ip)
{
	for (size_t i = 0; i < w->n_pods; i++)
		for (size_t k = 0; k < w->pods[i].n_ips; k++)
			if (pn_ip_eq(&w->pods[i].ips[k], ip))
				return &w->pods[i];
	return NULL;
}

/* store_pod.pod_ips: a JSON array of address strings. */
static size_t row_ips(const struct store_pod *sp, struct pn_ip *out, size_t cap)
{
	json_t *a = sp->pod_ips ? json_loads(sp->pod_ips, 0, NULL) : NULL;
	size_t n = 0, i;
	json_t *e;

	if (json_is_array(a))
		json_array_foreach(a, i, e)
			if (n < cap && json_is_string(e) && pn_ip_parse(json_string_value(e), &out[n]) == 0)
				n++;
	json_decref(a);
	if (n == 0 && sp->pod_ip && pn_ip_parse(sp->pod_ip, &out[0]) == 0)
		n = 1;
	return n;
}

static int load_namespaces(struct store *st, struct pol_world *w, struct pn_err *err)
{
	struct store_namespace *rows = NULL;
	size_t n = 0;
	int ret;

	ret = store_namespace_list(st, &rows, &n, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct pn_namespace *ns = NULL;
		json_t *j = rows[i].spec_json ? json_loads(rows[i].spec_json, 0, NULL) : NULL;

		/* Namespaces podnet made itself ("default", or one named by a
		 * pod) carry no object: only the name label. */
		if (j && namespace_from_json(j, &ns, NULL) == 0)
			ret = pol_world_add_namespace(w, rows[i].name, &ns->meta.labels, err);
		else
			ret = pol_world_add_namespace(w, rows[i].name, NULL, err);
		pn_namespace_free(ns);
		json_decref(j);
	}
	store_namespace_array_free(rows, n);
	return ret;
}

static int load_pods(struct store *st, struct pol_world *w, struct pn_err *err)
{
	struct store_pod *rows = NULL;
	size_t n = 0;
	int ret;

	ret = store_pod_list(st, NULL, &rows, &n, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct pn_ip ips[2];
		size_t nip = row_ips(&rows[i], ips, PN_ARRAY_SIZE(ips));
		struct pn_pod *pod = NULL;
		json_t *j;

		if (nip == 0 || rows[i].state == STORE_POD_DELETING)
			continue;
		j = json_loads(rows[i].spec_json, 0, NULL);
		ret = j ? pod_from_json(j, &pod, err) : pn_error(err, PN_E_STATE, EINVAL,
								  "pod %s/%s: stored spec is not JSON",
								  rows[i].namespace_, rows[i].name);
		json_decref(j);
		if (ret == 0)
			ret = pol_world_add_pod(w, pod, ips, nip, err);
		pn_pod_free(pod);
	}
	store_pod_array_free(rows, n);
	return ret;
}

static int load_policies(struct store *st, struct pol_world *w, struct pn_err *err)
{
	struct store_netpol *rows = NULL;
	size_t n = 0;
	int ret;

	ret = store_netpol_list(st, NULL, &rows, &n, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		json_t *j = json_loads(rows[i].spec_json, 0, NULL);
		struct pn_netpol *np = NULL;

		ret = j ? netpol_from_json(j, &np, err)
			: pn_error(err, PN_E_STATE, EINVAL, "networkpolicy %s/%s: stored object is not JSON",
				   rows[i].namespace_, rows[i].name);
		json_decref(j);
		if (ret == 0)
			ret = pol_world_add_policy(w, np, err);
	}
	store_netpol_array_free(rows, n);
	return ret;
}

int pol_world_load(struct store *st, struct pol_world **out, struct pn_err *err)
{
	struct pol_world *w = NULL;
	int ret;

	ret = pol_world_new(&w, err);
	if (ret < 0)
		return ret;
	ret = load_namespaces(st, w, err);
	if (ret == 0)
		ret = load_pods(st, w, err);
	if (ret == 0)
		ret = load_policies(st, w, err);
	if (ret < 0) {
		pol_world_free(w);
		return ret;
	}
	pol_world_finish(w);
	*out = w;
	return 0;
}
