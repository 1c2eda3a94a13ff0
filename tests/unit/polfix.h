/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_POLFIX_H
#define PODNET_POLFIX_H

/*
 * Fixtures for the policy tests: worlds written compactly, NetworkPolicies
 * from JSON (a permissive test-only reader: the real parser with
 * kube-apiserver's validation is manifest.c), and a small interpreter of
 * the nft rules the generator writes, so generated models can be run
 * against flows without a kernel.  The interpreter knows only the
 * vocabulary nftgen.c uses and fails loudly on anything else.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "netpol.h"
#include "nftmodel.h"
#include "world.h"

/* Not every test uses every fixture. */
#define FX_FN static __attribute__((unused))

/* "k=v,k2=v2" → kvs ("" → none). */
FX_FN void fx_kvs(struct pn_kvs *k, const char *spec)
{
	char *copy = strdup(spec ? spec : ""), *save = NULL, *tok;

	memset(k, 0, sizeof(*k));
	k->items = calloc(16, sizeof(*k->items));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		k->items[k->n].key = strdup(tok);
		k->items[k->n].value = strdup(eq + 1);
		k->n++;
	}
	free(copy);
}

FX_FN void fx_ns(struct pol_world *w, const char *name, const char *labels)
{
	struct pn_kvs k;

	fx_kvs(&k, labels);
	if (pol_world_add_namespace(w, name, &k, NULL) < 0)
		abort();
	pn_kvs_free(&k);
}

/* ports: "name:80/TCP,:81/UDP" (empty name: unnamed). ips: "10.0.0.1,fd00::1". */
FX_FN void fx_pod(struct pol_world *w, const char *ns, const char *name, const char *labels,
		   const char *ips, const char *ports)
{
	struct pn_pod pod = { 0 };
	struct pn_container_spec c = { 0 };
	struct pn_ip ip[2];
	size_t nip = 0;
	char *copy, *save = NULL, *tok;

	pod.meta.name = (char *)name;
	pod.meta.namespace_ = (char *)ns;
	fx_kvs(&pod.meta.labels, labels);
	copy = strdup(ips);
	for (tok = strtok_r(copy, ",", &save); tok && nip < 2; tok = strtok_r(NULL, ",", &save))
		if (pn_ip_parse(tok, &ip[nip]) == 0)
			nip++;
	free(copy);
	c.ports = calloc(16, sizeof(*c.ports));
	copy = strdup(ports ? ports : "");
	save = NULL;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':'), *slash = strchr(tok, '/');
		struct pn_port *p = &c.ports[c.n_ports++];

		*colon = '\0';
		*slash = '\0';
		p->name = *tok ? tok : NULL;
		p->container_port = atoi(colon + 1);
		p->protocol = slash + 1;
	}
	pod.spec.containers = &c;
	pod.spec.n_containers = 1;
	if (pol_world_add_pod(w, &pod, ip, nip, NULL) < 0)
		abort();
	free(copy);
	free(c.ports);
	pn_kvs_free(&pod.meta.labels);
}

FX_FN struct pn_selector *fx_selector(json_t *j)
{
	struct pn_selector *s = calloc(1, sizeof(*s));
	json_t *ml = json_object_get(j, "matchLabels"), *me = json_object_get(j, "matchExpressions"), *e;
	const char *k;
	size_t i;
	json_t *v;

	s->match_labels.items = calloc(json_object_size(ml) + 1, sizeof(struct pn_kv));
	json_object_foreach(ml, k, v) {
		s->match_labels.items[s->match_labels.n].key = strdup(k);
		s->match_labels.items[s->match_labels.n].value = strdup(json_string_value(v));
		s->match_labels.n++;
	}
	s->exprs = calloc(json_array_size(me) + 1, sizeof(*s->exprs));
	json_array_foreach(me, i, e) {
		struct pn_sel_req *r = &s->exprs[s->n_exprs++];
		const char *op = json_string_value(json_object_get(e, "operator"));
		json_t *vals = json_object_get(e, "values");
		size_t vi;

		r->key = strdup(json_string_value(json_object_get(e, "key")));
		r->op = !strcmp(op, "In")	? PN_SEL_IN
			: !strcmp(op, "NotIn")	? PN_SEL_NOT_IN
			: !strcmp(op, "Exists") ? PN_SEL_EXISTS
						: PN_SEL_DOES_NOT_EXIST;
		r->values = calloc(json_array_size(vals) + 1, sizeof(char *));
		json_array_foreach(vals, vi, v)
			r->values[r->n_values++] = strdup(json_string_value(v));
	}
	return s;
}

FX_FN void fx_rules(json_t *arr, const char *peers_key, struct pn_np_rule **out, size_t *n)
{
	json_t *r;
	size_t i;

	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	*n = 0;
	json_array_foreach(arr, i, r) {
		struct pn_np_rule *rule = &(*out)[(*n)++];
		json_t *peers = json_object_get(r, peers_key), *ports = json_object_get(r, "ports"), *e;
		size_t k;

		rule->peers = calloc(json_array_size(peers) + 1, sizeof(*rule->peers));
		json_array_foreach(peers, k, e) {
			struct pn_np_peer *p = &rule->peers[rule->n_peers++];
			json_t *ib = json_object_get(e, "ipBlock");

			if (json_object_get(e, "podSelector"))
				p->pod_selector = fx_selector(json_object_get(e, "podSelector"));
			if (json_object_get(e, "namespaceSelector"))
				p->ns_selector = fx_selector(json_object_get(e, "namespaceSelector"));
			if (ib) {
				json_t *ex = json_object_get(ib, "except"), *x;
				size_t xi;

				p->ip_block = calloc(1, sizeof(*p->ip_block));
				p->ip_block->cidr = strdup(json_string_value(json_object_get(ib, "cidr")));
				p->ip_block->except = calloc(json_array_size(ex) + 1, sizeof(char *));
				json_array_foreach(ex, xi, x)
					p->ip_block->except[p->ip_block->n_except++] =
						strdup(json_string_value(x));
			}
		}
		rule->ports = calloc(json_array_size(ports) + 1, sizeof(*rule->ports));
		json_array_foreach(ports, k, e) {
			struct pn_np_port *p = &rule->ports[rule->n_ports++];
			json_t *port = json_object_get(e, "port");
			const char *proto = json_string_value(json_object_get(e, "protocol"));

			p->protocol = proto ? pn_proto_parse(proto) : PN_PROTO_TCP;
			if (json_is_string(port))
				p->port_name = strdup(json_string_value(port));
			else if (json_is_integer(port))
				p->port = (int)json_integer_value(port);
			p->end_port = (int)json_integer_value(json_object_get(e, "endPort"));
		}
	}
}

/* A NetworkPolicy from its spec in JSON; policyTypes defaulted as the API
 * server does (Ingress, plus Egress when egress rules exist). */
FX_FN struct pn_netpol *fx_policy(const char *ns, const char *name, const char *spec_json)
{
	json_error_t je;
	json_t *spec = json_loads(spec_json, 0, &je), *types, *t;
	struct pn_netpol *np = calloc(1, sizeof(*np));
	struct pn_selector *ps;
	size_t i;

	if (!spec) {
		printf("# bad fixture JSON: %s: %s\n", spec_json, je.text);
		abort();
	}
	np->meta.name = strdup(name);
	np->meta.namespace_ = strdup(ns);
	ps = fx_selector(json_object_get(spec, "podSelector"));
	np->pod_selector = *ps;
	free(ps);
	fx_rules(json_object_get(spec, "ingress"), "from", &np->ingress, &np->n_ingress);
	fx_rules(json_object_get(spec, "egress"), "to", &np->egress, &np->n_egress);
	types = json_object_get(spec, "policyTypes");
	if (types) {
		json_array_foreach(types, i, t)
			np->types[np->n_types++] = !strcmp(json_string_value(t), "Egress") ? PN_NP_EGRESS
											 : PN_NP_INGRESS;
	} else {
		np->types[np->n_types++] = PN_NP_INGRESS;
		if (json_array_size(json_object_get(spec, "egress")))
			np->types[np->n_types++] = PN_NP_EGRESS;
	}
	json_decref(spec);
	return np;
}

FX_FN void fx_add_policy(struct pol_world *w, const char *ns, const char *name, const char *spec)
{
	if (pol_world_add_policy(w, fx_policy(ns, name, spec), NULL) < 0)
		abort();
}

/* ---- the nft interpreter */

struct fx_flow {
	struct pn_ip src, dst;
	enum pn_proto proto;
	int port;
};

enum fx_verdict { FX_CONTINUE = 0, FX_ACCEPT, FX_DROP, FX_BROKEN };

FX_FN const char *fx_proto_kw(enum pn_proto p)
{
	return p == PN_PROTO_UDP ? "udp" : p == PN_PROTO_SCTP ? "sctp" : "tcp";
}

FX_FN bool fx_set_has(const struct nftm_table *t, const char *name, const char *key,
		       const char **value)
{
	const struct nftm_set *s = nftm_set_find(t, name);
	size_t klen = strlen(key);

	if (!s) {
		printf("# interpreter: no set %s\n", name);
		return false;
	}
	for (size_t i = 0; i < s->n_elems; i++) {
		if (s->verdict_type) {
			if (!strncmp(s->elems[i], key, klen) && !strncmp(s->elems[i] + klen, " : ", 3)) {
				*value = s->elems[i] + klen + 3;
				return true;
			}
		} else if (!strcmp(s->elems[i], key)) {
			return true;
		}
	}
	return false;
}

/* "10.0.0.0/8" or "10.0.0.0-10.0.0.9" holds @ip? */
FX_FN bool fx_literal_has(const char *lit, const struct pn_ip *ip)
{
	char lo[64], *dash;
	struct pn_ip a, b;
	struct pn_cidr c;

	if (strchr(lit, '/'))
		return pn_cidr_parse(lit, &c) == 0 && pn_cidr_contains(&c, ip);
	snprintf(lo, sizeof(lo), "%s", lit);
	dash = strchr(lo, '-');
	if (!dash)
		return pn_ip_parse(lo, &a) == 0 && pn_ip_eq(&a, ip);
	*dash = '\0';
	if (pn_ip_parse(lo, &a) < 0 || pn_ip_parse(dash + 1, &b) < 0 || a.family != ip->family)
		return false;
	return pn_ip_cmp(&a, ip) <= 0 && pn_ip_cmp(ip, &b) <= 0;
}

FX_FN enum fx_verdict fx_run_chain(const struct nftm_table *t, const char *chain, const struct fx_flow *f,
				    int depth);

FX_FN enum fx_verdict fx_verdict_text(const struct nftm_table *t, const char *v, const struct fx_flow *f,
				       int depth)
{
	if (!strncmp(v, "goto ", 5))
		return fx_run_chain(t, v + 5, f, depth + 1);
	if (!strncmp(v, "jump ", 5)) {
		enum fx_verdict r = fx_run_chain(t, v + 5, f, depth + 1);

		return r;
	}
	printf("# interpreter: unknown verdict %s\n", v);
	return FX_BROKEN;
}

/* One rule: FX_CONTINUE when it does not match or jumps and comes back. */
FX_FN enum fx_verdict fx_run_rule(const struct nftm_table *t, const char *rule, const struct fx_flow *f,
				   int depth, bool *is_goto)
{
	char *copy = strdup(rule), *tok[64], *save = NULL, *c;
	char a[PN_IP_STRLEN], key[256];
	enum fx_verdict r = FX_CONTINUE;
	size_t n = 0, i = 0;
	bool v4 = f->src.family == AF_INET;

	*is_goto = false;
	if ((c = strstr(copy, " comment \"")))
		*c = '\0';
	if (!strncmp(copy, "comment \"", 9))
		copy[0] = '\0';
	for (char *p = strtok_r(copy, " ", &save); p && n < 64; p = strtok_r(NULL, " ", &save))
		tok[n++] = p;
	while (i < n) {
		const char *w = tok[i];

		if (!strcmp(w, "ct") && i + 2 < n && !strcmp(tok[i + 1], "state")) {
			goto nomatch; /* every flow here is a new connection */
		} else if ((!strcmp(w, "ip") || !strcmp(w, "ip6")) && i + 2 < n) {
			bool want4 = !strcmp(w, "ip");
			bool dst = !strcmp(tok[i + 1], "daddr");
			const struct pn_ip *ip = dst ? &f->dst : &f->src;

			if (want4 != v4)
				goto nomatch;
			pn_ip_str(ip, a);
			if (!strcmp(tok[i + 2], ".")) {
				/* ip daddr . meta l4proto . th dport @set */
				if (i + 8 >= n || tok[i + 8][0] != '@')
					goto broken;
				snprintf(key, sizeof(key), "%s . %s . %d", a, fx_proto_kw(f->proto), f->port);
				if (!fx_set_has(t, tok[i + 8] + 1, key, &(const char *){ NULL }))
					goto nomatch;
				i += 9;
			} else if (!strcmp(tok[i + 2], "vmap")) {
				const char *verdict = NULL;

				if (i + 3 >= n || !fx_set_has(t, tok[i + 3] + 1, a, &verdict))
					goto nomatch;
				*is_goto = !strncmp(verdict, "goto ", 5);
				r = fx_verdict_text(t, verdict, f, depth);
				goto out;
			} else if (tok[i + 2][0] == '@') {
				if (!fx_set_has(t, tok[i + 2] + 1, a, &(const char *){ NULL }))
					goto nomatch;
				i += 3;
			} else {
				struct pn_ip lo, hi;
				char *dash = strchr(tok[i + 2], '-');

				/* nft refuses a range that ends before it starts */
				if (dash && (*dash = '\0', pn_ip_parse(tok[i + 2], &lo) == 0) &&
				    pn_ip_parse(dash + 1, &hi) == 0 && pn_ip_cmp(&lo, &hi) > 0)
					goto broken;
				if (dash)
					*dash = '-';
				if (!fx_literal_has(tok[i + 2], ip))
					goto nomatch;
				i += 3;
			}
		} else if ((!strcmp(w, "tcp") || !strcmp(w, "udp") || !strcmp(w, "sctp")) && i + 2 < n &&
			   !strcmp(tok[i + 1], "dport")) {
			int lo = atoi(tok[i + 2]), hi = lo;
			char *dash = strchr(tok[i + 2], '-');

			if (dash)
				hi = atoi(dash + 1);
			if (strcmp(w, fx_proto_kw(f->proto)) || f->port < lo || f->port > hi)
				goto nomatch;
			i += 3;
		} else if (!strcmp(w, "meta") && i + 2 < n && !strcmp(tok[i + 1], "l4proto")) {
			if (strcmp(tok[i + 2], fx_proto_kw(f->proto)))
				goto nomatch;
			i += 3;
		} else if (!strcmp(w, "counter")) {
			i++;
		} else if (!strcmp(w, "accept")) {
			r = FX_ACCEPT;
			goto out;
		} else if (!strcmp(w, "drop")) {
			r = FX_DROP;
			goto out;
		} else if ((!strcmp(w, "jump") || !strcmp(w, "goto")) && i + 1 < n) {
			char v[300];

			snprintf(v, sizeof(v), "%s %s", w, tok[i + 1]);
			*is_goto = !strcmp(w, "goto");
			r = fx_verdict_text(t, v, f, depth);
			goto out;
		} else {
			goto broken;
		}
	}
	goto out;
broken:
	printf("# interpreter: cannot read rule \"%s\" at \"%s\"\n", rule, i < n ? tok[i] : "");
	r = FX_BROKEN;
	goto out;
nomatch:
	r = FX_CONTINUE;
out:
	free(copy);
	return r;
}

FX_FN enum fx_verdict fx_run_chain(const struct nftm_table *t, const char *chain, const struct fx_flow *f,
				    int depth)
{
	const struct nftm_chain *c = nftm_chain_find(t, chain);

	if (!c || depth > 16) {
		printf("# interpreter: no chain %s (or a loop)\n", chain);
		return FX_BROKEN;
	}
	for (size_t i = 0; i < c->n_rules; i++) {
		bool is_goto;
		enum fx_verdict r = fx_run_rule(t, c->rules[i], f, depth, &is_goto);

		/* A goto's chain ending without a verdict returns to our
		 * caller, not to our next rule. */
		if (r != FX_CONTINUE || is_goto)
			return r;
	}
	return FX_CONTINUE;
}

/* The verdict of the podnet table's forward hook for a new connection. */
FX_FN enum fx_verdict fx_nft_verdict(const struct nftm_table *t, const struct fx_flow *f)
{
	enum fx_verdict r;

	if (!nftm_chain_find(t, "forward"))
		return FX_ACCEPT; /* no table: nothing is filtered */
	r = fx_run_chain(t, "forward", f, 0);
	return r == FX_CONTINUE ? FX_ACCEPT : r; /* policy accept */
}

/* ---- random worlds */

FX_FN unsigned long long rng = 0x9e3779b97f4a7c15ull;

FX_FN unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

FX_FN const char *pick(const char *const *v, size_t n)
{
	return v[rnd((unsigned)n)];
}

FX_FN void rnd_labels(char *out, size_t size, bool ns)
{
	FX_FN const char *const pod_keys[] = { "app", "role", "tier" };
	FX_FN const char *const ns_keys[] = { "team", "env" };
	FX_FN const char *const vals[] = { "a", "b", "c" };
	const char *const *keys = ns ? ns_keys : pod_keys;
	size_t nk = ns ? 2 : 3, len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < nk; i++)
		if (rnd(3))
			len += (size_t)snprintf(out + len, size - len, "%s%s=%s", len ? "," : "", keys[i],
						pick(vals, 3));
}

FX_FN void rnd_selector(char *out, size_t size, bool ns)
{
	FX_FN const char *const pod_keys[] = { "app", "role", "tier" };
	FX_FN const char *const ns_keys[] = { "team", "env", "kubernetes.io/metadata.name" };
	FX_FN const char *const vals[] = { "a", "b", "c" };
	FX_FN const char *const nsvals[] = { "a", "b", "x", "y" };
	FX_FN const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	const char *key = ns ? pick(ns_keys, 3) : pick(pod_keys, 3);
	const char *v1 = ns ? pick(nsvals, 4) : pick(vals, 3), *v2 = ns ? pick(nsvals, 4) : pick(vals, 3);

	switch (rnd(4)) {
	case 0:
		snprintf(out, size, "{}");
		break;
	case 1:
		snprintf(out, size, "{\"matchLabels\":{\"%s\":\"%s\"}}", key, v1);
		break;
	default: {
		const char *op = pick(ops, 4);

		if (!strcmp(op, "In") || !strcmp(op, "NotIn"))
			snprintf(out, size,
				 "{\"matchExpressions\":[{\"key\":\"%s\",\"operator\":\"%s\",\"values\":[\"%s\",\"%s\"]}]}",
				 key, op, v1, v2);
		else
			snprintf(out, size, "{\"matchExpressions\":[{\"key\":\"%s\",\"operator\":\"%s\"}]}", key,
				 op);
	}
	}
}

FX_FN void rnd_rule(char *out, size_t size, bool egress)
{
	FX_FN const char *const cidrs[] = {
		"{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.0.2.0/24\"]}",
		"{\"cidr\":\"10.0.1.0/24\"}",
		"{\"cidr\":\"10.0.0.0/16\",\"except\":[\"10.0.1.0/25\",\"10.0.1.128/26\",\"10.0.3.2/32\"]}",
		"{\"cidr\":\"0.0.0.0/0\",\"except\":[\"10.0.0.0/16\"]}",
		"{\"cidr\":\"192.168.0.0/16\"}",
		"{\"cidr\":\"fd00::/64\",\"except\":[\"fd00::2:0/112\"]}",
		"{\"cidr\":\"::/0\"}",
	};
	FX_FN const char *const ports[] = {
		"{\"port\":80}", "{\"port\":81,\"protocol\":\"UDP\"}", "{\"port\":80,\"endPort\":81}",
		"{\"protocol\":\"UDP\"}", "{\"port\":\"http\"}", "{\"port\":\"dns\",\"protocol\":\"UDP\"}",
		"{\"port\":\"serve-80-tcp\"}", "{\"port\":7000,\"endPort\":8000,\"protocol\":\"SCTP\"}",
	};
	size_t len = 0, np = rnd(3), nq = rnd(3);

	len += (size_t)snprintf(out + len, size - len, "{");
	if (np || rnd(2)) {
		len += (size_t)snprintf(out + len, size - len, "\"%s\":[", egress ? "to" : "from");
		for (size_t i = 0; i < np; i++) {
			char a[256], b[256];

			len += (size_t)snprintf(out + len, size - len, "%s", i ? "," : "");
			switch (rnd(4)) {
			case 0:
				rnd_selector(a, sizeof(a), false);
				len += (size_t)snprintf(out + len, size - len, "{\"podSelector\":%s}", a);
				break;
			case 1:
				rnd_selector(a, sizeof(a), true);
				len += (size_t)snprintf(out + len, size - len, "{\"namespaceSelector\":%s}", a);
				break;
			case 2:
				rnd_selector(a, sizeof(a), true);
				rnd_selector(b, sizeof(b), false);
				len += (size_t)snprintf(out + len, size - len,
							"{\"namespaceSelector\":%s,\"podSelector\":%s}", a, b);
				break;
			default:
				len += (size_t)snprintf(out + len, size - len, "{\"ipBlock\":%s}",
							pick(cidrs, PN_ARRAY_SIZE(cidrs)));
			}
		}
		len += (size_t)snprintf(out + len, size - len, "]");
	}
	if (nq || rnd(2)) {
		len += (size_t)snprintf(out + len, size - len, "%s\"ports\":[", len > 1 ? "," : "");
		for (size_t i = 0; i < nq; i++)
			len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "",
						pick(ports, PN_ARRAY_SIZE(ports)));
		len += (size_t)snprintf(out + len, size - len, "]");
	}
	snprintf(out + len, size - len, "}");
}

FX_FN struct pol_world *rnd_world(bool v6)
{
	FX_FN const char *const nss[] = { "x", "y", "z" };
	FX_FN const char *const named[] = { "", "http:80/TCP", "http:81/TCP", "dns:53/UDP", "dns:81/UDP",
					     "http:8080/TCP,dns:80/UDP" };
	struct pol_world *w = NULL;
	size_t npol = 1 + rnd(4);

	if (pol_world_new(&w, NULL) < 0)
		abort();
	for (int n = 0; n < 3; n++) {
		char l[128];

		rnd_labels(l, sizeof(l), true);
		fx_ns(w, nss[n], l);
		for (int p = 0; p < 3; p++) {
			char name[8], ip[64], ports[256];

			snprintf(name, sizeof(name), "%c", 'a' + p);
			if (v6 && rnd(2))
				snprintf(ip, sizeof(ip), "10.0.%d.%d,fd00::%d:%d", n + 1, p + 1, n + 1, p + 1);
			else
				snprintf(ip, sizeof(ip), "10.0.%d.%d", n + 1, p + 1);
			snprintf(ports, sizeof(ports), "serve-80-tcp:80/TCP,:81/UDP%s%s",
				 rnd(2) ? "," : "", rnd(2) ? pick(named, PN_ARRAY_SIZE(named)) : "");
			if (ports[strlen(ports) - 1] == ',')
				ports[strlen(ports) - 1] = '\0';
			rnd_labels(l, sizeof(l), false);
			fx_pod(w, nss[n], name, l, ip, ports);
		}
	}
	for (size_t i = 0; i < npol; i++) {
		char spec[4096], sel[256], r[1024], name[16];
		size_t len;
		unsigned types = rnd(4);

		rnd_selector(sel, sizeof(sel), false);
		len = (size_t)snprintf(spec, sizeof(spec), "{\"podSelector\":%s", sel);
		if (types != 1) {
			size_t nr = rnd(3);

			len += (size_t)snprintf(spec + len, sizeof(spec) - len, ",\"ingress\":[");
			for (size_t k = 0; k < nr; k++) {
				rnd_rule(r, sizeof(r), false);
				len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s%s", k ? "," : "", r);
			}
			len += (size_t)snprintf(spec + len, sizeof(spec) - len, "]");
		}
		if (types != 0) {
			size_t nr = rnd(3);

			len += (size_t)snprintf(spec + len, sizeof(spec) - len, ",\"egress\":[");
			for (size_t k = 0; k < nr; k++) {
				rnd_rule(r, sizeof(r), true);
				len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s%s", k ? "," : "", r);
			}
			len += (size_t)snprintf(spec + len, sizeof(spec) - len, "]");
		}
		len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s}",
					types == 0   ? ",\"policyTypes\":[\"Ingress\"]"
					: types == 1 ? ",\"policyTypes\":[\"Egress\"]"
					: types == 2 ? ",\"policyTypes\":[\"Ingress\",\"Egress\"]"
						     : "");
		snprintf(name, sizeof(name), "p%zu", i);
		fx_add_policy(w, nss[rnd(3)], name, spec);
	}
	return w;
}

#endif
