/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetworkPolicy evaluator against expectations written from the
 * networking.k8s.io/v1 reference, one semantic rule per case: isolation
 * and its default, policyTypes, peers (podSelector, namespaceSelector,
 * both, several, ipBlock with except), ports (number, range, name resolved
 * per destination pod, protocol only), the union of policies, egress and
 * ingress both having their say, node and self traffic, and the rules the
 * verdict names.
 *
 * The world: namespaces x (team=a), y (team=b), z; pods a, b, c in each
 * (label pod=a|b|c), IPv4 10.0.N.M (N = 1, 2, 3 for x, y, z).  Every pod
 * serves 80 and 81 on TCP and UDP, named serve-80-tcp etc.; "http" is
 * 80/TCP on x/a and 81/TCP on x/b.
 */
#include "polfix.h"
#include "tap.h"

static struct pol_world *world_xyz(void)
{
	static const char *const nss[] = { "x", "y", "z" };
	static const char *const pods[] = { "a", "b", "c" };
	struct pol_world *w = NULL;

	if (pol_world_new(&w, NULL) < 0)
		abort();
	fx_ns(w, "x", "team=a");
	fx_ns(w, "y", "team=b");
	fx_ns(w, "z", "");
	for (int n = 0; n < 3; n++)
		for (int p = 0; p < 3; p++) {
			char ip[32], labels[32], ports[256];

			snprintf(ip, sizeof(ip), "10.0.%d.%d", n + 1, p + 1);
			snprintf(labels, sizeof(labels), "pod=%s", pods[p]);
			snprintf(ports, sizeof(ports),
				 "serve-80-tcp:80/TCP,serve-80-udp:80/UDP,serve-81-tcp:81/TCP,serve-81-udp:81/UDP%s",
				 n == 0 && p == 0   ? ",http:80/TCP"
				 : n == 0 && p == 1 ? ",http:81/TCP"
						    : "");
			fx_pod(w, nss[n], pods[p], labels, ip, ports);
		}
	return w;
}

static void ep(const struct pol_world *w, const char *spec, struct pol_endpoint *e)
{
	char ns[16], name[16];
	struct pn_ip ip;

	memset(e, 0, sizeof(*e));
	if (!strcmp(spec, "node")) {
		e->kind = POL_EP_NODE;
		return;
	}
	if (pn_ip_parse(spec, &ip) == 0) {
		pol_endpoint_from_ip(w, &ip, e);
		return;
	}
	sscanf(spec, "%15[^/]/%15s", ns, name);
	e->kind = POL_EP_POD;
	e->pod = pol_world_pod(w, ns, name);
	if (!e->pod)
		abort();
	e->ip = e->pod->ips[0];
}

/* Is "FROM TO PORT/PROTO" allowed? */
static bool allowed(const struct pol_world *w, const char *from, const char *to, const char *pp,
		    struct pol_verdict *keep)
{
	struct pol_flow f = { 0 };
	struct pol_verdict v;
	char proto[8];
	bool r;

	ep(w, from, &f.src);
	ep(w, to, &f.dst);
	sscanf(pp, "%d/%7s", &f.port, proto);
	f.proto = pn_proto_parse(proto);
	if (pol_evaluate(w, &f, &v, NULL) < 0)
		abort();
	r = v.allowed;
	if (keep)
		*keep = v;
	else
		pol_verdict_free(&v);
	return r;
}

#define ALLOW(w, a, b, p) ok(allowed(w, a, b, p, NULL), "%s -> %s %s allowed", a, b, p)
#define DENY(w, a, b, p) ok(!allowed(w, a, b, p, NULL), "%s -> %s %s denied", a, b, p)

static struct pol_world *with(const char *ns, const char *name, const char *spec)
{
	struct pol_world *w = world_xyz();

	fx_add_policy(w, ns, name, spec);
	pol_world_finish(w);
	return w;
}

int main(void)
{
	struct pol_world *w;
	struct pol_verdict v;

	/* No policy: pods are non-isolated and accept everything. */
	w = world_xyz();
	pol_world_finish(w);
	ALLOW(w, "x/a", "y/b", "80/TCP");
	ALLOW(w, "z/c", "x/a", "81/UDP");
	allowed(w, "x/a", "y/b", "80/TCP", &v);
	ok(!v.egress.isolated && !v.ingress.isolated && v.reason == POL_BY_POLICY,
	   "without policies neither side is isolated");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* Default deny ingress: empty podSelector, Ingress, no rules. */
	w = with("x", "deny-all", "{\"podSelector\":{}}");
	DENY(w, "y/a", "x/a", "80/TCP");
	DENY(w, "x/b", "x/a", "80/TCP");
	DENY(w, "10.9.9.9", "x/c", "81/UDP");
	ALLOW(w, "x/a", "y/a", "80/TCP");	/* egress is not isolated */
	ALLOW(w, "y/a", "z/a", "80/TCP");	/* other namespaces untouched */
	ALLOW(w, "node", "x/a", "80/TCP");	/* the node reaches its pods */
	ALLOW(w, "x/a", "x/a", "80/TCP");	/* a pod reaches itself */
	allowed(w, "y/a", "x/a", "80/TCP", &v);
	ok(v.ingress.isolated && v.ingress.n_isolating == 1 &&
		   !strcmp(v.ingress.isolating[0]->meta.name, "deny-all") && v.ingress.n_allows == 0,
	   "the verdict names the isolating policy and no allowing rule");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* podSelector peer: pods of the policy's own namespace only. */
	w = with("x", "from-b", "{\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},"
				"\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"pod\":\"b\"}}}]}]}");
	ALLOW(w, "x/b", "x/a", "80/TCP");
	DENY(w, "y/b", "x/a", "80/TCP");
	DENY(w, "x/c", "x/a", "81/UDP");
	ALLOW(w, "x/c", "x/b", "80/TCP");	/* x/b is not selected */
	pol_world_free(w);

	/* namespaceSelector peer: every pod of the selected namespaces. */
	w = with("x", "from-team-b", "{\"podSelector\":{},"
				     "\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}}}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	ALLOW(w, "y/c", "x/b", "81/UDP");
	DENY(w, "z/a", "x/a", "80/TCP");
	DENY(w, "x/b", "x/a", "80/TCP");	/* own namespace is not team=b */
	pol_world_free(w);

	/* Both selectors in one peer: AND. */
	w = with("x", "and", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
			     "\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}},"
			     "\"podSelector\":{\"matchLabels\":{\"pod\":\"c\"}}}]}]}");
	ALLOW(w, "y/c", "x/a", "80/TCP");
	DENY(w, "y/a", "x/a", "80/TCP");
	DENY(w, "x/c", "x/a", "80/TCP");
	DENY(w, "z/c", "x/a", "80/TCP");
	pol_world_free(w);

	/* Two peers: OR. */
	w = with("x", "or", "{\"podSelector\":{},\"ingress\":[{\"from\":["
			    "{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}}},"
			    "{\"podSelector\":{\"matchLabels\":{\"pod\":\"c\"}}}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	ALLOW(w, "x/c", "x/a", "80/TCP");
	DENY(w, "z/c", "x/a", "80/TCP");
	allowed(w, "x/c", "x/a", "80/TCP", &v);
	ok(v.ingress.n_allows == 1 && v.ingress.allows[0].rule == 0 && v.ingress.allows[0].peer == 1 &&
		   v.ingress.allows[0].port == -1,
	   "the verdict names rule 0, peer 1, every port");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* ipBlock with except; pod addresses are addresses too. */
	w = with("x", "cidr", "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":"
			      "{\"cidr\":\"10.0.2.0/24\",\"except\":[\"10.0.2.2/32\"]}}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	DENY(w, "y/b", "x/a", "80/TCP");
	ALLOW(w, "10.0.2.200", "x/b", "81/UDP");
	DENY(w, "10.0.3.1", "x/b", "81/UDP");
	pol_world_free(w);

	/* Ports: number (protocol defaults to TCP). */
	w = with("x", "tcp80", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":80}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	DENY(w, "y/a", "x/a", "80/UDP");
	DENY(w, "y/a", "x/a", "81/TCP");
	pol_world_free(w);

	/* Port range. */
	w = with("x", "range", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"protocol\":\"UDP\","
			       "\"port\":80,\"endPort\":81}]}]}");
	ALLOW(w, "y/a", "x/a", "80/UDP");
	ALLOW(w, "y/a", "x/a", "81/UDP");
	DENY(w, "y/a", "x/a", "82/UDP");
	DENY(w, "y/a", "x/a", "80/TCP");
	pol_world_free(w);

	/* Protocol only: every port of it. */
	w = with("x", "udp", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"protocol\":\"UDP\"}]}]}");
	ALLOW(w, "y/a", "x/a", "81/UDP");
	ALLOW(w, "y/a", "x/a", "5353/UDP");
	DENY(w, "y/a", "x/a", "81/TCP");
	pol_world_free(w);

	/* Named port: resolved on each destination pod. */
	w = with("x", "named", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":\"http\"}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	DENY(w, "y/a", "x/a", "81/TCP");
	ALLOW(w, "y/a", "x/b", "81/TCP");
	DENY(w, "y/a", "x/b", "80/TCP");
	DENY(w, "y/a", "x/c", "80/TCP");	/* x/c has no port named http */
	allowed(w, "y/a", "x/b", "81/TCP", &v);
	ok(v.ingress.n_allows == 1 && v.ingress.allows[0].resolved_port == 81,
	   "the verdict gives the number the name resolved to");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* A named port needs the protocol of the container port. */
	w = with("x", "named-udp", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":\"serve-80-tcp\","
				   "\"protocol\":\"UDP\"}]}]}");
	DENY(w, "y/a", "x/a", "80/UDP");
	DENY(w, "y/a", "x/a", "80/TCP");
	pol_world_free(w);

	/* Egress default deny; ingress of others unaffected. */
	w = with("x", "no-egress", "{\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},\"policyTypes\":[\"Egress\"]}");
	DENY(w, "x/a", "y/a", "80/TCP");
	DENY(w, "x/a", "x/b", "80/TCP");
	DENY(w, "x/a", "8.8.8.8", "53/UDP");
	ALLOW(w, "y/a", "x/a", "80/TCP");	/* only Egress: ingress not isolated */
	ALLOW(w, "x/b", "y/a", "80/TCP");
	ALLOW(w, "x/a", "node", "80/TCP");
	pol_world_free(w);

	/* Egress rules without policyTypes: the server adds Egress to Ingress. */
	w = world_xyz();
	{
		struct pn_netpol *np = fx_policy("x", "both", "{\"podSelector\":{},"
							      "\"egress\":[{\"to\":[{\"namespaceSelector\":{}}]}]}");

		ok(np->n_types == 2 && pn_netpol_has_type(np, PN_NP_INGRESS) &&
			   pn_netpol_has_type(np, PN_NP_EGRESS),
		   "policyTypes default to Ingress and Egress when egress rules exist");
		if (pol_world_add_policy(w, np, NULL) < 0)
			abort();
	}
	pol_world_finish(w);
	ALLOW(w, "x/a", "y/a", "80/TCP");	/* any pod of any namespace */
	DENY(w, "x/a", "8.8.8.8", "53/UDP");	/* not a pod */
	DENY(w, "y/a", "x/a", "80/TCP");	/* Ingress isolated, no rules */
	pol_world_free(w);

	/* Egress named port: resolved on the destination. */
	w = with("y", "to-http", "{\"podSelector\":{},\"policyTypes\":[\"Egress\"],"
				 "\"egress\":[{\"ports\":[{\"port\":\"http\"}]}]}");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	ALLOW(w, "y/a", "x/b", "81/TCP");
	DENY(w, "y/a", "x/b", "80/TCP");
	DENY(w, "y/a", "10.9.9.9", "80/TCP");
	pol_world_free(w);

	/* Egress and ingress must both allow. */
	w = world_xyz();
	fx_add_policy(w, "x", "out", "{\"podSelector\":{},\"policyTypes\":[\"Egress\"],"
				     "\"egress\":[{\"ports\":[{\"port\":80}]}]}");
	fx_add_policy(w, "y", "in", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":81}]}]}");
	pol_world_finish(w);
	DENY(w, "x/a", "y/a", "80/TCP");	/* egress yes, ingress no */
	DENY(w, "x/a", "y/a", "81/TCP");	/* egress no, ingress yes */
	ALLOW(w, "x/a", "z/a", "80/TCP");
	ALLOW(w, "z/a", "y/a", "81/TCP");
	allowed(w, "x/a", "y/a", "80/TCP", &v);
	ok(v.egress.allowed && !v.ingress.allowed, "the verdict tells which side refused");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* Several policies: their rules add up. */
	w = world_xyz();
	fx_add_policy(w, "x", "p80", "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":80}]}]}");
	fx_add_policy(w, "x", "p81", "{\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},"
				     "\"ingress\":[{\"ports\":[{\"port\":81}]}]}");
	pol_world_finish(w);
	ALLOW(w, "y/a", "x/a", "80/TCP");
	ALLOW(w, "y/a", "x/a", "81/TCP");
	DENY(w, "y/a", "x/b", "81/TCP");
	allowed(w, "y/a", "x/a", "81/TCP", &v);
	ok(v.ingress.n_isolating == 2 && v.ingress.n_allows == 1 &&
		   !strcmp(v.ingress.allows[0].np->meta.name, "p81"),
	   "both policies isolate x/a, p81 allows 81");
	pol_verdict_free(&v);
	pol_world_free(w);

	/* One empty rule allows everything; an empty rule list nothing. */
	w = with("x", "allow-all", "{\"podSelector\":{},\"ingress\":[{}]}");
	ALLOW(w, "z/c", "x/a", "80/UDP");
	ALLOW(w, "10.1.1.1", "x/a", "4242/SCTP");
	pol_world_free(w);
	w = with("x", "empty-from", "{\"podSelector\":{},\"ingress\":[{\"from\":[],\"ports\":[]}]}");
	ALLOW(w, "z/c", "x/a", "80/UDP");
	pol_world_free(w);

	/* matchExpressions: NotIn and DoesNotExist hold for pods without the key. */
	w = world_xyz();
	fx_pod(w, "x", "d", "", "10.0.1.4", "");
	fx_add_policy(w, "x", "expr", "{\"podSelector\":{\"matchExpressions\":[{\"key\":\"pod\","
				      "\"operator\":\"NotIn\",\"values\":[\"a\",\"b\"]}]}}");
	fx_add_policy(w, "y", "nokey", "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"namespaceSelector\":{},"
				       "\"podSelector\":{\"matchExpressions\":[{\"key\":\"pod\",\"operator\":\"DoesNotExist\"}]}}]}]}");
	pol_world_finish(w);
	DENY(w, "y/a", "x/c", "80/TCP");
	DENY(w, "y/a", "x/d", "80/TCP");
	ALLOW(w, "y/a", "x/a", "80/TCP");
	ALLOW(w, "x/d", "y/b", "80/TCP");
	DENY(w, "x/c", "y/b", "80/TCP");
	pol_world_free(w);

	/* Exists and In on namespaces; a policy of y never selects x's pods. */
	w = world_xyz();
	fx_add_policy(w, "y", "in", "{\"podSelector\":{\"matchExpressions\":[{\"key\":\"pod\","
				    "\"operator\":\"In\",\"values\":[\"a\"]}]},\"ingress\":[{\"from\":[{\"namespaceSelector\":"
				    "{\"matchExpressions\":[{\"key\":\"team\",\"operator\":\"Exists\"}]}}]}]}");
	pol_world_finish(w);
	ALLOW(w, "x/b", "y/a", "80/TCP");
	DENY(w, "z/b", "y/a", "80/TCP");
	ALLOW(w, "z/b", "x/a", "80/TCP");
	ALLOW(w, "z/b", "y/b", "80/TCP");
	pol_world_free(w);

	/* The built-in namespace label selects a namespace by name. */
	w = with("x", "by-name", "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"namespaceSelector\":"
				 "{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"z\"}}}]}]}");
	ALLOW(w, "z/a", "x/a", "80/TCP");
	DENY(w, "y/a", "x/a", "80/TCP");
	pol_world_free(w);

	/* IPv6: ipBlock matches by family; a v4 block never holds a v6 address. */
	w = world_xyz();
	fx_pod(w, "z", "six", "pod=six", "10.0.3.9,fd00::9", "");
	fx_add_policy(w, "z", "v6", "{\"podSelector\":{\"matchLabels\":{\"pod\":\"six\"}},"
				    "\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"fd00::/64\",\"except\":[\"fd00::bad/128\"]}}]}]}");
	pol_world_finish(w);
	{
		struct pol_flow f = { .proto = PN_PROTO_TCP, .port = 80 };
		struct pn_ip a, b;

		if (pn_ip_parse("fd00::1", &a) < 0 || pn_ip_parse("fd00::9", &b) < 0)
			abort();
		pol_endpoint_from_ip(w, &a, &f.src);
		pol_endpoint_from_ip(w, &b, &f.dst);
		ok(f.dst.kind == POL_EP_POD && pol_evaluate(w, &f, &v, NULL) == 0 && v.allowed,
		   "fd00::1 -> z/six allowed by a v6 ipBlock");
		pol_verdict_free(&v);
		if (pn_ip_parse("fd00::bad", &a) < 0)
			abort();
		pol_endpoint_from_ip(w, &a, &f.src);
		ok(pol_evaluate(w, &f, &v, NULL) == 0 && !v.allowed, "fd00::bad -> z/six denied by except");
		pol_verdict_free(&v);
	}
	DENY(w, "x/a", "z/six", "80/TCP");
	pol_world_free(w);

	return tap_done();
}
