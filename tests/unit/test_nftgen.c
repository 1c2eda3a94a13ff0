/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetworkPolicy → nftables generator: the layout of what it writes
 * (golden rules for one policy), ipBlock except arithmetic, nothing at all
 * when nothing is isolated, and then the generated rules run by the
 * fixture's nft interpreter against the evaluator on every flow of a few
 * hundred random worlds (random labels, selectors, peers, ports, named
 * ports that differ per pod, IPv4 and IPv6): the two implementations share
 * no decision code, so any disagreement is a bug in one of them.  Whether
 * the kernel does what the rules say is tests/netns/netpol-*.sh's job.
 */
#include "nftgen.h"
#include "polfix.h"
#include "tap.h"

static struct nftm_table *gen(struct pol_world *w)
{
	struct nftm_table *t = NULL;

	pol_world_finish(w);
	if (nftm_table_new(POL_NFT_FAMILY, POL_NFT_TABLE, &t, NULL) < 0 || pol_nft_build(w, t, NULL) < 0 ||
	    nftm_finish(t, NULL) < 0)
		abort();
	return t;
}

static bool chain_has(const struct nftm_table *t, const char *chain, const char *rule)
{
	const struct nftm_chain *c = nftm_chain_find(t, chain);

	for (size_t i = 0; c && i < c->n_rules; i++)
		if (!strcmp(c->rules[i], rule))
			return true;
	if (c) {
		printf("# chain %s:\n", chain);
		for (size_t i = 0; i < c->n_rules; i++)
			printf("#   %s\n", c->rules[i]);
	}
	return false;
}

static bool set_has(const struct nftm_table *t, const char *set, const char *elem)
{
	const struct nftm_set *s = nftm_set_find(t, set);

	for (size_t i = 0; s && i < s->n_elems; i++)
		if (!strcmp(s->elems[i], elem))
			return true;
	return false;
}

/* Every flow between pods and to and from a few outside addresses. */
static size_t cross_check(struct pol_world *w, struct nftm_table *t, size_t *flows, size_t *denied)
{
	static const char *const outside4[] = { "10.0.2.77", "192.168.3.4", "8.8.8.8" };
	static const char *const outside6[] = { "fd00::2:5", "fd00::77", "2001:db8::1" };
	static const struct {
		int port;
		enum pn_proto proto;
	} pp[] = { { 80, PN_PROTO_TCP }, { 81, PN_PROTO_UDP }, { 80, PN_PROTO_UDP }, { 81, PN_PROTO_TCP },
		   { 8080, PN_PROTO_TCP }, { 53, PN_PROTO_UDP }, { 7500, PN_PROTO_SCTP } };
	struct pol_endpoint eps[32];
	size_t n = 0, bad = 0;

	for (size_t i = 0; i < w->n_pods; i++)
		for (size_t k = 0; k < w->pods[i].n_ips; k++) {
			eps[n].kind = POL_EP_POD;
			eps[n].pod = &w->pods[i];
			eps[n].ip = w->pods[i].ips[k];
			n++;
		}
	for (size_t i = 0; i < 3; i++) {
		struct pn_ip ip;

		if (pn_ip_parse(outside4[i], &ip) == 0)
			pol_endpoint_from_ip(w, &ip, &eps[n++]);
		if (pn_ip_parse(outside6[i], &ip) == 0)
			pol_endpoint_from_ip(w, &ip, &eps[n++]);
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++) {
			if (eps[a].ip.family != eps[b].ip.family)
				continue;
			if (eps[a].kind == POL_EP_POD && eps[a].pod == eps[b].pod)
				continue; /* a pod's own traffic never reaches forward */
			if (eps[a].kind != POL_EP_POD && eps[b].kind != POL_EP_POD)
				continue; /* not pod traffic */
			for (size_t p = 0; p < PN_ARRAY_SIZE(pp); p++) {
				struct pol_flow f = { eps[a], eps[b], pp[p].proto, pp[p].port };
				struct fx_flow ff = { eps[a].ip, eps[b].ip, pp[p].proto, pp[p].port };
				struct pol_verdict v;
				enum fx_verdict k = fx_nft_verdict(t, &ff);
				char sa[PN_IP_STRLEN], sb[PN_IP_STRLEN];

				if (pol_evaluate(w, &f, &v, NULL) < 0)
					abort();
				(*flows)++;
				*denied += !v.allowed;
				if (k == FX_BROKEN || (k == FX_ACCEPT) != v.allowed) {
					if (bad++ < 5)
						printf("# %s -> %s %d/%s: evaluator %s, nft %s\n", pn_ip_str(&f.src.ip, sa),
						       pn_ip_str(&f.dst.ip, sb), f.port, pn_proto_str(f.proto),
						       v.allowed ? "allow" : "deny",
						       k == FX_BROKEN ? "broken" : k == FX_ACCEPT ? "accept" : "drop");
				}
				pol_verdict_free(&v);
			}
		}
	return bad;
}

static void dump_policies(const struct pol_world *w, const struct nftm_table *t)
{
	char *s = nftm_script_full(t);

	for (size_t i = 0; i < w->n_pols; i++)
		printf("# policy %s/%s\n", w->pols[i]->meta.namespace_, w->pols[i]->meta.name);
	printf("# %s\n", s ? s : "");
	free(s);
}

int main(void)
{
	struct pol_world *w = NULL;
	struct nftm_table *t;

	/* Nothing isolated: no table at all (no cost per packet). */
	if (pol_world_new(&w, NULL) < 0)
		abort();
	fx_pod(w, "x", "a", "app=a", "10.0.1.1", "");
	t = gen(w);
	ok(t->n_chains == 0 && t->n_sets == 0, "no policy: nothing generated");
	nftm_table_free(t);
	fx_add_policy(w, "x", "nobody", "{\"podSelector\":{\"matchLabels\":{\"app\":\"zzz\"}}}");
	t = gen(w);
	ok(t->n_chains == 0 && t->n_sets == 0, "a policy selecting no pod: nothing generated");
	nftm_table_free(t);
	pol_world_free(w);

	/* The layout for one policy. */
	if (pol_world_new(&w, NULL) < 0)
		abort();
	fx_ns(w, "x", "team=a");
	fx_ns(w, "y", "team=b");
	fx_pod(w, "x", "a", "app=web", "10.0.1.1", "http:8080/TCP");
	fx_pod(w, "x", "b", "app=db", "10.0.1.2", "");
	fx_pod(w, "y", "c", "app=web", "10.0.2.3", "http:80/TCP");
	fx_add_policy(w, "x", "web", "{\"podSelector\":{\"matchLabels\":{\"app\":\"web\"}},"
				     "\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}}},"
				     "{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.88.0.0/16\"]}}],"
				     "\"ports\":[{\"port\":\"http\"},{\"port\":443,\"endPort\":444}]}]}");
	t = gen(w);
	ok(chain_has(t, "forward", "ct state established,related accept") &&
		   chain_has(t, "forward", "goto policy-ingress") &&
		   chain_has(t, "policy-ingress", "ip daddr vmap @ingress-v4") &&
		   chain_has(t, "policy-ingress", "accept"),
	   "forward: replies, egress dispatch, then ingress dispatch");
	ok(!chain_has(t, "forward", "ip saddr vmap @egress-v4") && !nftm_set_find(t, "egress-v4"),
	   "no egress isolation: no egress map");
	ok(nftm_set_find(t, "ingress-v4") && nftm_set_find(t, "ingress-v4")->n_elems == 1 &&
		   !strncmp(nftm_set_find(t, "ingress-v4")->elems[0], "10.0.1.1 : goto ingress-", 24),
	   "only x/a (app=web in x) is isolated: %s",
	   nftm_set_find(t, "ingress-v4") ? nftm_set_find(t, "ingress-v4")->elems[0] : "none");
	{
		const struct nftm_set *m = nftm_set_find(t, "ingress-v4");
		const char *group = m && m->n_elems ? strstr(m->elems[0], "goto ") + 5 : "";
		const struct nftm_chain *g = nftm_chain_find(t, group);

		ok(g && g->n_rules == 2 && !strcmp(g->rules[0], "jump ingress/x/web") &&
			   !strcmp(g->rules[1], "counter drop comment \"ingress isolated, no rule allows\"") &&
			   !strcmp(g->comment, "x/web"),
		   "the group chain jumps to the policy, then drops");
	}
	{
		const struct nftm_chain *c = nftm_chain_find(t, "ingress/x/web");
		char pods[64] = "";

		for (size_t i = 0; i < t->n_sets; i++)
			if (!strncmp(t->sets[i].name, "pods-", 5))
				snprintf(pods, sizeof(pods), "%s", t->sets[i].name);
		ok(c && c->n_rules == 6, "6 rules: (set, 2 ranges) x (named, range)");
		{
			char want[256];

			snprintf(want, sizeof(want),
				 "ip saddr @%s ip daddr . meta l4proto . th dport @port-tcp-http-v4 accept comment \"x/web ingress[0]\"",
				 pods);
			ok(chain_has(t, "ingress/x/web", want), "named port rule");
			snprintf(want, sizeof(want), "ip saddr @%s tcp dport 443-444 accept comment \"x/web ingress[0]\"",
				 pods);
			ok(chain_has(t, "ingress/x/web", want), "port range rule");
		}
		ok(chain_has(t, "ingress/x/web",
			     "ip saddr 10.0.0.0-10.87.255.255 tcp dport 443-444 accept comment \"x/web ingress[0]\"") &&
			   chain_has(t, "ingress/x/web",
				     "ip saddr 10.89.0.0-10.255.255.255 tcp dport 443-444 accept comment \"x/web ingress[0]\""),
		   "10.0.0.0/8 except 10.88.0.0/16 is two ranges");
		ok(set_has(t, pods, "10.0.2.3") && nftm_set_find(t, pods)->n_elems == 1 &&
			   !strcmp(nftm_set_find(t, pods)->comment, "namespaces team=b, pods <all>"),
		   "the peer set holds y's pod and says what it selects");
		ok(set_has(t, "port-tcp-http-v4", "10.0.1.1 . tcp . 8080") &&
			   set_has(t, "port-tcp-http-v4", "10.0.2.3 . tcp . 80"),
		   "the named port resolves per pod");
	}
	nftm_table_free(t);
	pol_world_free(w);

	/* ipBlock arithmetic: excepts at the edges, adjacent, overlapping. */
	if (pol_world_new(&w, NULL) < 0)
		abort();
	fx_pod(w, "x", "a", "", "10.0.1.1", "");
	fx_add_policy(w, "x", "edges", "{\"podSelector\":{},\"ingress\":[{\"from\":["
				       "{\"ipBlock\":{\"cidr\":\"10.0.0.0/24\",\"except\":[\"10.0.0.0/26\",\"10.0.0.64/26\",\"10.0.0.192/26\"]}},"
				       "{\"ipBlock\":{\"cidr\":\"172.16.0.0/12\",\"except\":[\"172.16.0.0/16\",\"172.16.128.0/17\"]}},"
				       "{\"ipBlock\":{\"cidr\":\"0.0.0.0/0\",\"except\":[\"128.0.0.0/1\"]}}]}]}");
	t = gen(w);
	ok(nftm_chain_find(t, "ingress/x/edges")->n_rules == 3 &&
		   chain_has(t, "ingress/x/edges", "ip saddr 10.0.0.128/26 accept comment \"x/edges ingress[0]\""),
	   "first, adjacent and last excepts leave one prefix");
	ok(chain_has(t, "ingress/x/edges", "ip saddr 172.17.0.0-172.31.255.255 accept comment \"x/edges ingress[0]\""),
	   "overlapping excepts at the start");
	ok(chain_has(t, "ingress/x/edges", "ip saddr 0.0.0.0/1 accept comment \"x/edges ingress[0]\""),
	   "an except reaching the top of the space");
	nftm_table_free(t);
	pol_world_free(w);

	/* Random worlds: generator and evaluator agree on every flow. */
	{
		size_t worlds = 400, bad_worlds = 0, flows = 0, denied = 0;

		for (size_t i = 0; i < worlds; i++) {
			size_t bad;

			w = rnd_world(i % 2);
			t = gen(w);
			bad = cross_check(w, t, &flows, &denied);
			if (bad && bad_worlds++ < 2)
				dump_policies(w, t);
			nftm_table_free(t);
			pol_world_free(w);
		}
		ok(bad_worlds == 0,
		   "%zu random worlds, %zu flows (%zu denied): nft rules and evaluator agree (%zu worlds differ)",
		   worlds, flows, denied, bad_worlds);
		ok(denied > flows / 10 && denied < flows - flows / 10, "the random worlds deny and allow alike");
	}
	return tap_done();
}
