/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Services without a kernel: manifests to struct pn_service (defaults),
 * EndpointSlices from pods (endpoints.c), and the nftables objects the
 * generator makes of them (svcgen.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "manifest.h"
#include "nftmodel.h"
#include "svcgen.h"
#include "tap.h"

static struct pn_object *parse(const char *yaml, size_t *n)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };

	if (manifest_parse(yaml, strlen(yaml), "t.yaml", &o, n, &err) < 0) {
		printf("# %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return NULL;
	}
	return o;
}

static const char pods_yaml[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: web}}\n"
	"spec: {containers: [{name: c, image: host, ports: [{name: http, containerPort: 8080}]}]}\n"
	"---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: b, labels: {app: web}}\n"
	"spec: {containers: [{name: c, image: host, ports: [{name: http, containerPort: 9090}]}]}\n"
	"---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: c, labels: {app: other}}\n"
	"spec: {containers: [{name: c, image: host}]}\n";

static const char svc_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec:\n  type: NodePort\n  sessionAffinity: ClientIP\n  selector: {app: web}\n"
	"  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]\n";

static bool has_elem(const struct nftm_table *t, const char *set, const char *prefix)
{
	const struct nftm_set *s = nftm_set_find(t, set);

	for (size_t i = 0; s && i < s->n_elems; i++)
		if (!strncmp(s->elems[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static size_t chains_with(const struct nftm_table *t, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_chains; i++)
		n += !strncmp(t->chains[i].name, prefix, strlen(prefix));
	return n;
}

int main(void)
{
	struct pn_object *pods, *svcs;
	size_t np = 0, ns = 0, nsl = 0;
	struct ep_pod in[3];
	struct ep_slice *sl = NULL;
	struct pn_err err = { 0 };
	struct pn_service *svc;
	const char *ips[] = { "10.244.0.2", "10.244.0.3", "10.244.0.4" };

	pods = parse(pods_yaml, &np);
	svcs = parse(svc_yaml, &ns);
	ok(pods && np == 3 && svcs && ns == 1, "manifests parse");
	if (!pods || !svcs)
		return tap_done();
	svc = svcs[0].svc;
	is_int(svc->type, PN_SVC_NODE_PORT, "type NodePort");
	is_str(svc->ports[0].protocol, "TCP", "protocol defaults to TCP");
	is_str(svc->ports[0].target_port_name, "http", "named targetPort kept");
	is_int(svc->affinity_timeout, PN_SVC_AFFINITY_DEFAULT_S, "ClientIP timeout defaults to 3 h");
	ok(!svc->external_local && !svc->internal_local, "traffic policies default to Cluster");
	svc->meta.uid = strdup("0b8c9a9e-0000-4000-8000-000000000001");
	svc->cluster_ip = strdup("10.96.0.10");

	/* a: ready; b: not ready; c: not selected */
	for (int i = 0; i < 3; i++)
		in[i] = (struct ep_pod){ .pod = pods[i].pod, .uid = "u", .ip = ips[i], .ready = i != 1 };
	ok(endpoints_compute(svc, in, 3, &sl, &nsl, &err) == 0, "endpoints computed");
	is_int((int)nsl, 2, "two slices: http is 8080 in a, 9090 in b");
	is_int((int)(nsl ? sl[0].n_eps + sl[1].n_eps : 0), 2, "two endpoints: c is not selected");
	if (nsl == 2) {
		const struct ep_slice *sa = sl[0].ports[0].port == 8080 ? &sl[0] : &sl[1];
		const struct ep_slice *sb = sa == &sl[0] ? &sl[1] : &sl[0];

		is_int(sa->ports[0].port, 8080, "a's slice: port 8080");
		ok(sa->eps[0].ready && sa->eps[0].serving, "a is ready and serving");
		is_int(sb->ports[0].port, 9090, "b's slice: port 9090");
		ok(!sb->eps[0].ready && !sb->eps[0].serving, "b is not ready");
		ok(!strncmp(sa->name, "web-", 4) && strlen(sa->name) == 9, "slice name web-<5>: %s",
		   sa->name);
		is_int(endpoints_find_port(pods[1].pod, "http", "UDP"), 0, "a named port of another protocol is no match");
	}

	{
		struct pn_service *list[] = { svc };
		struct ep_slice *slices[] = { sl };
		size_t counts[] = { nsl };
		struct svc_input si = { .svcs = list, .n_svcs = 1, .slices = slices, .n_slices = counts,
					.pod_ips = ips, .n_pod_ips = 3 };
		struct nftm_table *t = NULL;
		struct nftm_chain *c;

		ok(pn_cidr_parse("10.96.0.0/12", &si.svc_cidr) == 0, "service CIDR");
		ok(nftm_table_new("inet", "podnet", &t, &err) == 0 && svc_nft_build(&si, t, &err) == 0 &&
			   nftm_finish(t, &err) == 0,
		   "table built");
		ok(has_elem(t, "svc-ips", "10.96.0.10 . tcp . 80 : goto svc-"), "svc-ips: the cluster IP's port");
		ok(has_elem(t, "svc-nodeports", "tcp . 30080 : goto svc-ext-"), "svc-nodeports: the node port");
		ok(!has_elem(t, "svc-no-endpoints", "10.96.0.10"), "a ready endpoint: no reject");
		is_int((int)chains_with(t, "svc-ep-"), 1, "one endpoint chain: only the ready pod");
		c = NULL;
		for (size_t i = 0; i < t->n_chains; i++)
			if (!strncmp(t->chains[i].name, "svc-ep-", 7))
				c = &t->chains[i];
		ok(c && c->n_rules == 3, "endpoint chain: hairpin, affinity update, dnat");
		if (c && c->n_rules == 3) {
			is_str(c->rules[0], "ip saddr 10.244.0.2 jump svc-mark-masq", "hairpin masquerade");
			ok(!strncmp(c->rules[1], "update @svc-aff-", 16), "affinity update");
			is_str(c->rules[2], "meta l4proto tcp dnat ip to 10.244.0.2:8080", "DNAT to the resolved port");
		}
		{
			const struct nftm_set *aff = NULL;

			for (size_t i = 0; i < t->n_sets; i++)
				if (!strncmp(t->sets[i].name, "svc-aff-", 8))
					aff = &t->sets[i];
			is_str(aff ? aff->flags : NULL, "flags dynamic,timeout; timeout 10800s",
			       "affinity set: dynamic, timeoutSeconds");
		}
		nftm_table_free(t);

		/* no ready endpoint: the Service rejects */
		sl[0].eps[0].ready = sl[1].eps[0].ready = false;
		sl[0].eps[0].serving = sl[1].eps[0].serving = false;
		ok(nftm_table_new("inet", "podnet", &t, &err) == 0 && svc_nft_build(&si, t, &err) == 0 &&
			   nftm_finish(t, &err) == 0,
		   "table built without ready endpoints");
		ok(has_elem(t, "svc-no-endpoints", "10.96.0.10 . tcp . 80 : goto svc-reject"),
		   "svc-no-endpoints rejects the cluster IP's port");
		ok(has_elem(t, "svc-no-endpoint-nodeports", "tcp . 30080 : goto svc-reject"),
		   "  ...and the node port");
		ok(!has_elem(t, "svc-ips", "10.96.0.10"), "no DNAT without endpoints");
		nftm_table_free(t);

		/* nothing to serve: nothing in the table */
		si.n_svcs = 0;
		ok(nftm_table_new("inet", "podnet", &t, &err) == 0 && svc_nft_build(&si, t, &err) == 0,
		   "no Service, no hostPort");
		is_int((int)(t->n_chains + t->n_sets), 0, "  ...adds nothing");
		nftm_table_free(t);
	}
	ep_slices_free(sl, nsl);
	manifest_objects_free(pods, np);
	manifest_objects_free(svcs, ns);
	pn_err_free(&err);
	return tap_done();
}
