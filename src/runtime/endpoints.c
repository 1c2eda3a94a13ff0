/* SPDX-License-Identifier: Apache-2.0 */
/* EndpointSlices computed from pods and their readiness (endpoints.h). */
#include "endpoints.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest.h"

int endpoints_find_port(const struct pn_pod *pod, const char *name, const char *protocol)
{
	for (size_t c = 0; c < pod->spec.n_containers; c++) {
		const struct pn_container_spec *cs = &pod->spec.containers[c];

		for (size_t i = 0; i < cs->n_ports; i++)
			if (cs->ports[i].name && !strcmp(cs->ports[i].name, name) &&
			    !strcmp(cs->ports[i].protocol ? cs->ports[i].protocol : "TCP", protocol))
				return cs->ports[i].container_port;
	}
	return 0;
}

static bool selects(const struct pn_service *svc, const struct pn_pod *pod)
{
	if (!pod->meta.namespace_ || strcmp(pod->meta.namespace_, svc->meta.namespace_) != 0)
		return false;
	for (size_t i = 0; i < svc->selector.n; i++) {
		const char *v = pn_kvs_get(&pod->meta.labels, svc->selector.items[i].key);

		if (!v || strcmp(v, svc->selector.items[i].value) != 0)
			return false;
	}
	return true;
}

void ep_slices_free(struct ep_slice *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < s[i].n_ports; k++) {
			free(s[i].ports[k].name);
			free(s[i].ports[k].protocol);
		}
		free(s[i].ports);
		for (size_t k = 0; k < s[i].n_eps; k++) {
			free(s[i].eps[k].ip);
			free(s[i].eps[k].pod_name);
			free(s[i].eps[k].pod_uid);
		}
		free(s[i].eps);
		free(s[i].name);
	}
	free(s);
}

/* FNV-1a over the Service's uid and a slice's port numbers. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* generateName's suffix alphabet (apimachinery rand.String: no vowels, no
 * look-alikes), here from a hash so the name is stable across runs. */
static void slice_suffix(const struct pn_service *svc, const int *ports, size_t n, char out[6])
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t h = 1469598103934665603ull;

	h = fnv(h, svc->meta.uid ? svc->meta.uid : svc->meta.name,
		strlen(svc->meta.uid ? svc->meta.uid : svc->meta.name));
	h = fnv(h, ports, n * sizeof(*ports));
	for (int i = 0; i < 5; i++) {
		out[i] = alnum[h % (sizeof(alnum) - 1)];
		h /= sizeof(alnum) - 1;
	}
	out[5] = '\0';
}

/* The target port of Service port @k in @pod: 0 when it cannot be resolved. */
static int resolve(const struct pn_svc_port *sp, const struct pn_pod *pod)
{
	if (!sp->target_port_name)
		return sp->target_port;
	return endpoints_find_port(pod, sp->target_port_name, sp->protocol ? sp->protocol : "TCP");
}

static int slice_new(const struct pn_service *svc, const int *key, struct ep_slice *s)
{
	char suffix[6];
	size_t np = 0;

	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < svc->n_ports; k++)
		np += key[k] != 0;
	s->ports = calloc(np ? np : 1, sizeof(*s->ports));
	if (!s->ports)
		return -ENOMEM;
	for (size_t k = 0; k < svc->n_ports; k++) {
		if (!key[k])
			continue;
		s->ports[s->n_ports].name = strdup(svc->ports[k].name ? svc->ports[k].name : "");
		s->ports[s->n_ports].protocol = strdup(svc->ports[k].protocol ? svc->ports[k].protocol : "TCP");
		s->ports[s->n_ports].port = key[k];
		if (!s->ports[s->n_ports].name || !s->ports[s->n_ports].protocol) {
			free(s->ports[s->n_ports].name);
			free(s->ports[s->n_ports].protocol);
			return -ENOMEM;
		}
		s->n_ports++;
	}
	slice_suffix(svc, key, svc->n_ports, suffix);
	if (asprintf(&s->name, "%s-%s", svc->meta.name, suffix) < 0) {
		s->name = NULL;
		return -ENOMEM;
	}
	return 0;
}

int endpoints_compute(const struct pn_service *svc, const struct ep_pod *pods, size_t n_pods,
		      struct ep_slice **out, size_t *n_out, struct pn_err *err)
{
	struct ep_slice *sl = NULL;
	int **keys = NULL, *key = NULL;
	size_t ns = 0, i, k, nk = svc->n_ports ? svc->n_ports : 1;
	int ret = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	if (svc->selector.n == 0 || svc->type == PN_SVC_EXTERNAL_NAME)
		return 0;
	/* one slice per distinct key, at most one per pod, plus the empty one */
	sl = calloc(n_pods + 1, sizeof(*sl));
	keys = calloc(n_pods + 1, sizeof(*keys));
	if (!sl || !keys)
		goto out;
	for (i = 0; i < n_pods; i++) {
		const struct ep_pod *p = &pods[i];
		struct ep_endpoint *e;
		size_t s;

		if (!p->ip || p->finished || !selects(svc, p->pod))
			continue;
		key = calloc(nk, sizeof(*key));
		if (!key)
			goto out;
		for (k = 0; k < svc->n_ports; k++)
			key[k] = resolve(&svc->ports[k], p->pod);
		for (s = 0; s < ns; s++)
			if (!memcmp(keys[s], key, nk * sizeof(*key)))
				break;
		if (s == ns) {
			if (slice_new(svc, key, &sl[ns]) < 0)
				goto out;
			keys[ns++] = key;
			key = NULL;
		}
		free(key);
		key = NULL;
		e = realloc(sl[s].eps, (sl[s].n_eps + 1) * sizeof(*e));
		if (!e)
			goto out;
		sl[s].eps = e;
		e = &e[sl[s].n_eps];
		memset(e, 0, sizeof(*e));
		e->ip = strdup(p->ip);
		e->pod_name = strdup(p->pod->meta.name);
		e->pod_uid = p->uid ? strdup(p->uid) : NULL;
		sl[s].n_eps++;
		if (!e->ip || !e->pod_name || (p->uid && !e->pod_uid))
			goto out;
		e->serving = p->ready;
		e->ready = (p->ready || svc->publish_not_ready) && !p->terminating;
		e->terminating = p->terminating;
	}
	if (ns == 0) {
		/* the empty slice: every port as written (named ones unresolved) */
		key = calloc(nk, sizeof(*key));
		if (!key)
			goto out;
		for (k = 0; k < svc->n_ports; k++)
			key[k] = svc->ports[k].target_port_name ? 0 : svc->ports[k].target_port;
		if (slice_new(svc, key, &sl[0]) < 0)
			goto out;
		keys[0] = key;
		key = NULL;
		ns = 1;
	}
	*out = sl;
	*n_out = ns;
	sl = NULL;
	ret = 0;
out:
	free(key);
	for (i = 0; keys && i < ns; i++)
		free(keys[i]);
	free(keys);
	if (sl)
		ep_slices_free(sl, ns);
	if (ret)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

void endpoints_pods_free(struct ep_podset *set)
{
	for (size_t i = 0; set->specs && i < set->n; i++)
		pn_pod_free(set->specs[i]);
	free(set->specs);
	free(set->pods);
	store_pod_array_free(set->rows, set->n_rows);
	memset(set, 0, sizeof(*set));
}

/* One pod as an endpoint candidate: its spec and conditions, or
 * usable false (no spec that decodes, no view of it). */
struct ep_look {
	struct pn_pod *pod;
	bool usable, ready, terminating, finished;
};

static void look_at(struct podrt *rt, struct store_pod *row, struct ep_look *l)
{
	struct podrt_view v;
	struct pn_err e = { 0 };
	json_t *j = json_loads(row->spec_json, 0, NULL);

	memset(l, 0, sizeof(*l));
	if (!j || pod_from_json(j, &l->pod, &e) < 0) {
		json_decref(j);
		pn_err_free(&e);
		return;
	}
	json_decref(j);
	if (podrt_view_get(rt, row, &v, &e) < 0) {
		pn_err_free(&e);
		pn_pod_free(l->pod);
		l->pod = NULL;
		return;
	}
	l->usable = true;
	l->ready = v.total > 0 && v.ready == v.total && !strcmp(v.phase, "Running");
	l->terminating = row->state == STORE_POD_DELETING;
	l->finished = !strcmp(v.phase, "Succeeded") || !strcmp(v.phase, "Failed");
	podrt_view_free(&v);
}

int endpoints_pods_load(struct store *st, const char *root, bool hostports_only,
			struct ep_podset *set, struct pn_err *err)
{
	/* podrt_view_get() reads only the store and the pod directories */
	struct podrt view_rt = { .root = root, .st = st }, *rt = &view_rt;
	size_t i;
	int ret;

	memset(set, 0, sizeof(*set));
	ret = store_pod_list(st, NULL, &set->rows, &set->n_rows, err);
	if (ret)
		return ret;
	set->pods = calloc(set->n_rows ? set->n_rows : 1, sizeof(*set->pods));
	set->specs = calloc(set->n_rows ? set->n_rows : 1, sizeof(*set->specs));
	if (!set->pods || !set->specs) {
		endpoints_pods_free(set);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	for (i = 0; i < set->n_rows; i++) {
		struct store_pod *row = &set->rows[i];
		struct pn_pod *pod = NULL;
		struct ep_look l;
		json_t *j;
		struct pn_err e = { 0 };

		/* hostNetwork pods have the node's address: not pod IPs here */
		if (!row->pod_ip || !row->spec_json)
			continue;
		if (hostports_only) {
			if (!strstr(row->spec_json, "\"hostPort\""))
				continue;
			j = json_loads(row->spec_json, 0, NULL);
			if (!j || pod_from_json(j, &pod, &e) < 0) {
				json_decref(j);
				pn_err_free(&e);
				continue;
			}
			json_decref(j);
			set->specs[set->n] = pod;
			set->pods[set->n++] = (struct ep_pod){ .pod = pod, .uid = row->uid, .ip = row->pod_ip };
			continue;
		}
		look_at(rt, row, &l);
		if (!l.usable)
			continue;
		set->specs[set->n] = l.pod;
		set->pods[set->n++] = (struct ep_pod){
			.pod = l.pod,
			.uid = row->uid,
			.ip = row->pod_ip,
			.ready = l.ready,
			.terminating = l.terminating,
			.finished = l.finished,
		};
	}
	return 0;
}

struct memo_entry {
	char *uid;
	int64_t rv;
	struct ep_look l;
};

struct ep_memo {
	struct memo_entry *v;   /* sorted by uid */
	size_t n;
};

int ep_memo_new(struct ep_memo **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void memo_entries_free(struct memo_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].uid);
		pn_pod_free(v[i].l.pod);
	}
	free(v);
}

void ep_memo_free(struct ep_memo *m)
{
	if (!m)
		return;
	memo_entries_free(m->v, m->n);
	free(m);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct memo_entry *)a)->uid, ((const struct memo_entry *)b)->uid);
}

int endpoints_pods_load_memo(struct store *st, const char *root, struct ep_memo *memo,
			     struct ep_podset *set, struct pn_err *err)
{
	struct podrt view_rt = { .root = root, .st = st }, *rt = &view_rt;
	struct memo_entry *next = NULL;
	size_t nn = 0;
	int ret;

	memset(set, 0, sizeof(*set));
	ret = store_pod_list(st, NULL, &set->rows, &set->n_rows, err);
	if (ret)
		return ret;
	set->pods = calloc(set->n_rows ? set->n_rows : 1, sizeof(*set->pods));
	next = calloc(set->n_rows ? set->n_rows : 1, sizeof(*next));
	if (!set->pods || !next) {
		free(next);
		endpoints_pods_free(set);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < set->n_rows; i++) {
		struct store_pod *row = &set->rows[i];
		struct memo_entry key = { .uid = row->uid }, *old, *e = &next[nn];

		if (!row->pod_ip || !row->spec_json || !row->uid)
			continue;
		e->uid = strdup(row->uid);
		if (!e->uid) {
			memo_entries_free(next, nn);
			endpoints_pods_free(set);
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		}
		e->rv = row->rv;
		old = memo->n ? bsearch(&key, memo->v, memo->n, sizeof(*memo->v), entry_cmp) : NULL;
		if (old && old->rv == row->rv && old->l.pod) {
			/* unchanged since the last load: its look moves over */
			e->l = old->l;
			old->l.pod = NULL;
		} else {
			look_at(rt, row, &e->l);
		}
		nn++;
		if (!e->l.usable)
			continue;
		set->pods[set->n++] = (struct ep_pod){
			.pod = e->l.pod,
			.uid = row->uid,
			.ip = row->pod_ip,
			.ready = e->l.ready,
			.terminating = e->l.terminating,
			.finished = e->l.finished,
		};
	}
	/* The pods gone (and the looks not moved over) go with the old memo. */
	memo_entries_free(memo->v, memo->n);
	qsort(next, nn, sizeof(*next), entry_cmp);
	memo->v = next;
	memo->n = nn;
	return 0;
}

json_t *ep_slice_to_json(const struct pn_service *svc, const struct ep_slice *s, const char *node)
{
	json_t *o, *eps = json_array(), *ports = json_array();
	char ts[32] = "", gen[80];
	struct tm tm;

	snprintf(gen, sizeof(gen), "%s-", svc->meta.name);
	if (!eps || !ports) {
		json_decref(eps);
		json_decref(ports);
		return NULL;
	}
	if (svc->meta.creation && gmtime_r(&svc->meta.creation, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < s->n_eps; i++) {
		const struct ep_endpoint *e = &s->eps[i];

		json_array_append_new(
			eps, json_pack("{s:[s], s:{s:b, s:b, s:b}, s:s, s:{s:s, s:s, s:s, s:s?}}",
				       "addresses", e->ip, "conditions", "ready", e->ready, "serving",
				       e->serving, "terminating", e->terminating, "nodeName", node,
				       "targetRef", "kind", "Pod", "name", e->pod_name, "namespace",
				       svc->meta.namespace_, "uid", e->pod_uid));
	}
	for (size_t i = 0; i < s->n_ports; i++)
		json_array_append_new(ports, json_pack("{s:s, s:i, s:s}", "name", s->ports[i].name,
						       "port", s->ports[i].port, "protocol",
						       s->ports[i].protocol));
	o = json_pack("{s:s, s:s, s:o, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:[{s:s, s:b, s:b, s:s, s:s, s:s?}]}, s:o}",
		      "addressType", "IPv4", "apiVersion", "discovery.k8s.io/v1", "endpoints", eps,
		      "kind", "EndpointSlice", "metadata", "creationTimestamp", ts, "generateName",
		      gen, "labels", "endpointslice.kubernetes.io/managed-by",
		      "endpointslice-controller.k8s.io", "kubernetes.io/service-name", svc->meta.name,
		      "name", s->name, "namespace", svc->meta.namespace_, "ownerReferences",
		      "apiVersion", "v1", "blockOwnerDeletion", 1, "controller", 1, "kind", "Service",
		      "name", svc->meta.name, "uid", svc->meta.uid, "ports", ports);
	return o;
}
