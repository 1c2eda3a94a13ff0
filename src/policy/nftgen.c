/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetworkPolicy → nftables model (nftgen.h).
 *
 * Selection is computed with bitsets: an inverted index maps each label
 * key and each key=value pair to the set of pods (or namespaces) carrying
 * it, and a selector becomes intersections, unions and complements of
 * those sets.  That is a second, independent reading of the API's
 * selector semantics (the evaluator matches one pod at a time), and it
 * costs O(requirements x pods/64) per selector instead of O(pods x
 * requirements).
 */
#include "nftgen.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bitsets */

struct bits {
	uint64_t *w;
	size_t nw;    /* words */
	size_t n;     /* members possible */
};

static bool bits_new(struct bits *b, size_t n, bool full)
{
	b->n = n;
	b->nw = (n + 63) / 64;
	b->w = calloc(b->nw ? b->nw : 1, sizeof(uint64_t));
	if (!b->w)
		return false;
	if (full) {
		for (size_t i = 0; i < b->nw; i++)
			b->w[i] = ~0ull;
		if (n % 64)
			b->w[b->nw - 1] = (1ull << (n % 64)) - 1;
	}
	return true;
}

static void bits_free(struct bits *b)
{
	free(b->w);
	b->w = NULL;
}

static void bits_set(struct bits *b, size_t i)
{
	b->w[i / 64] |= 1ull << (i % 64);
}

static bool bits_has(const struct bits *b, size_t i)
{
	return b->w[i / 64] & (1ull << (i % 64));
}

static void bits_and(struct bits *b, const struct bits *o)
{
	for (size_t i = 0; i < b->nw; i++)
		b->w[i] &= o->w[i];
}

static void bits_or(struct bits *b, const struct bits *o)
{
	for (size_t i = 0; i < b->nw; i++)
		b->w[i] |= o->w[i];
}

static void bits_and_not(struct bits *b, const struct bits *o)
{
	for (size_t i = 0; i < b->nw; i++)
		b->w[i] &= ~o->w[i];
}

static void bits_clear(struct bits *b)
{
	memset(b->w, 0, b->nw * sizeof(uint64_t));
}

static bool bits_any(const struct bits *b)
{
	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i])
			return true;
	return false;
}

/* ---- inverted label index over N labelled items */

struct posting {
	const char *key;
	const char *value;   /* NULL: the key's entry (any value) */
	struct bits items;
};

struct label_index {
	struct posting *p;   /* sorted by key, then value (NULL first) */
	size_t n;
	size_t n_items;
};

struct triple {
	const char *key, *value;
	size_t item;
};

static int triple_cmp(const void *a, const void *b)
{
	const struct triple *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (!x->value || !y->value)
		return x->value ? 1 : y->value ? -1 : 0;
	return strcmp(x->value, y->value);
}

static void index_free(struct label_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		bits_free(&ix->p[i].items);
	free(ix->p);
	memset(ix, 0, sizeof(*ix));
}

/* @labels_of(i) gives item i's labels. */
static bool index_build(struct label_index *ix, size_t n_items,
			const struct pn_kvs *(*labels_of)(const void *ctx, size_t i), const void *ctx)
{
	struct triple *t = NULL;
	size_t nt = 0, cap = 0;
	bool ok = false;

	memset(ix, 0, sizeof(*ix));
	ix->n_items = n_items;
	for (size_t i = 0; i < n_items; i++)
		cap += 2 * labels_of(ctx, i)->n;
	t = calloc(cap + 1, sizeof(*t));
	ix->p = calloc(cap + 1, sizeof(*ix->p));
	if (!t || !ix->p)
		goto out;
	/* Each label contributes to its key=value posting and its key's. */
	for (size_t i = 0; i < n_items; i++) {
		const struct pn_kvs *l = labels_of(ctx, i);

		for (size_t k = 0; k < l->n; k++) {
			t[nt++] = (struct triple){ l->items[k].key, l->items[k].value, i };
			t[nt++] = (struct triple){ l->items[k].key, NULL, i };
		}
	}
	qsort(t, nt, sizeof(*t), triple_cmp);
	for (size_t i = 0; i < nt; i++) {
		if (i == 0 || triple_cmp(&t[i - 1], &t[i])) {
			struct posting *p = &ix->p[ix->n++];

			p->key = t[i].key;
			p->value = t[i].value;
			if (!bits_new(&p->items, n_items, false))
				goto out;
		}
		bits_set(&ix->p[ix->n - 1].items, t[i].item);
	}
	ok = true;
out:
	free(t);
	return ok;
}

static const struct bits *index_get(const struct label_index *ix, const char *key, const char *value)
{
	struct triple want = { key, value, 0 };
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct triple have = { ix->p[mid].key, ix->p[mid].value, 0 };
		int c = triple_cmp(&have, &want);

		if (c == 0)
			return &ix->p[mid].items;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The items @s selects, into @out (allocated here). */
static bool index_select(const struct label_index *ix, const struct pn_selector *s, struct bits *out)
{
	struct bits acc;

	if (!bits_new(out, ix->n_items, true))
		return false;
	if (!bits_new(&acc, ix->n_items, false)) {
		bits_free(out);
		return false;
	}
	for (size_t i = 0; i < s->match_labels.n; i++) {
		const struct bits *b = index_get(ix, s->match_labels.items[i].key,
						 s->match_labels.items[i].value);

		if (b)
			bits_and(out, b);
		else
			bits_clear(out);
	}
	for (size_t i = 0; i < s->n_exprs; i++) {
		const struct pn_sel_req *r = &s->exprs[i];
		const struct bits *b;

		bits_clear(&acc);
		switch (r->op) {
		case PN_SEL_IN:
		case PN_SEL_NOT_IN:
			for (size_t v = 0; v < r->n_values; v++)
				if ((b = index_get(ix, r->key, r->values[v])))
					bits_or(&acc, b);
			if (r->op == PN_SEL_IN)
				bits_and(out, &acc);
			else
				bits_and_not(out, &acc);
			break;
		case PN_SEL_EXISTS:
		case PN_SEL_DOES_NOT_EXIST:
			if ((b = index_get(ix, r->key, NULL)))
				bits_or(&acc, b);
			if (r->op == PN_SEL_EXISTS)
				bits_and(out, &acc);
			else
				bits_and_not(out, &acc);
			break;
		}
	}
	bits_free(&acc);
	return true;
}

/* ---- generator state */

struct gen {
	const struct pol_world *w;
	struct nftm_table *t;
	struct label_index pods, nss;
	struct bits *ns_pods;      /* per namespace: its pods */
	bool fam4, fam6;           /* some pod has an address of the family */
	bool oom;
};

static const struct pn_kvs *pod_labels(const void *ctx, size_t i)
{
	return &((const struct pol_world *)ctx)->pods[i].labels;
}

static const struct pn_kvs *ns_labels(const void *ctx, size_t i)
{
	return &((const struct pol_world *)ctx)->nss[i].labels;
}

static size_t ns_idx(const struct pol_world *w, const char *name)
{
	const struct pol_ns *ns = pol_world_ns(w, name);

	return ns ? (size_t)(ns - w->nss) : (size_t)-1;
}

static const char *np_ns(const struct pn_netpol *np)
{
	return np->meta.namespace_ ? np->meta.namespace_ : "default";
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* nft keeps comments to 128 bytes (NFTNL_UDATA_COMMENT_MAXLEN) and we
 * quote them: drop what the quotes cannot hold, cut what is too long. */
static void comment_text(char *out, size_t size, const char *in)
{
	size_t k = 0;

	for (; *in && k + 1 < size && k < 127; in++)
		if (*in != '"' && *in != '\\' && (unsigned char)*in >= 0x20)
			out[k++] = *in;
	out[k] = '\0';
}

/* Pods of namespace @nsname that @sel selects (the policy's own pods). */
static bool select_in_ns(struct gen *g, const char *nsname, const struct pn_selector *sel,
			 struct bits *out)
{
	size_t ni = ns_idx(g->w, nsname);

	if (!index_select(&g->pods, sel, out))
		return false;
	if (ni == (size_t)-1)
		bits_clear(out);
	else
		bits_and(out, &g->ns_pods[ni]);
	return true;
}

/* Pods a selector peer of policy @np selects. */
static bool select_peer(struct gen *g, const struct pn_netpol *np, const struct pn_np_peer *peer,
			struct bits *out)
{
	struct bits nss;

	if (!peer->ns_selector) {
		static const struct pn_selector every = { 0 };

		return select_in_ns(g, np_ns(np), peer->pod_selector ? peer->pod_selector : &every, out);
	}
	if (!index_select(&g->nss, peer->ns_selector, &nss))
		return false;
	if (!bits_new(out, g->w->n_pods, false)) {
		bits_free(&nss);
		return false;
	}
	for (size_t i = 0; i < g->w->n_nss; i++)
		if (bits_has(&nss, i))
			bits_or(out, &g->ns_pods[i]);
	bits_free(&nss);
	if (peer->pod_selector) {
		struct bits p;

		if (!index_select(&g->pods, peer->pod_selector, &p)) {
			bits_free(out);
			return false;
		}
		bits_and(out, &p);
		bits_free(&p);
	}
	return true;
}

static void ip_text(const struct pn_ip *ip, char *buf)
{
	pn_ip_str(ip, buf);
}

/*
 * The set @stem-v4 or @stem-v6 (@fam 4 or 6) of type @type4 or @type6,
 * new: NULL when that family is off or the set exists already (policies
 * that select the same pods or name the same port share one set, filled
 * once), or when out of memory (the table's oom is then set).
 */
static struct nftm_set *fam_set_new(struct gen *g, const char *stem, int fam, const char *type4,
				    const char *type6, const char *comment)
{
	char full[128];

	if ((fam == 4 && !g->fam4) || (fam == 6 && !g->fam6))
		return NULL;
	snprintf(full, sizeof(full), "%s-v%d", stem, fam);
	if (nftm_set_find(g->t, full))
		return NULL;
	return nftm_set_add(g->t, full, fam == 4 ? type4 : type6, NULL, comment);
}

/* Add to @s each of pod @p's addresses of family @fam (4 or 6), followed
 * by @tail: the rest of a concatenated element, or "". */
static void pod_addr_elems(struct gen *g, struct nftm_set *s, const struct pol_pod *p, int fam,
			   const char *tail)
{
	for (size_t k = 0; k < p->n_ips; k++) {
		char a[PN_IP_STRLEN];

		if (p->ips[k].family != (fam == 4 ? AF_INET : AF_INET6))
			continue;
		ip_text(&p->ips[k], a);
		nftm_elem(g->t, s, "%s%s", a, tail);
	}
}

/*
 * The set for a selector peer, named by a hash of what it selects in
 * words (so two policies with the same peer share it, and the name stays
 * when pods come and go).  Returns the name's stem ("pods-<hash>"), or
 * NULL when out of memory.
 */
static char *peer_set(struct gen *g, const struct pn_netpol *np, const struct pn_np_peer *peer)
{
	char *key = NULL, *ps = NULL, *nss = NULL, *stem = NULL, comment[200], name[64];
	struct bits sel = { 0 };

	ps = peer->pod_selector ? pn_selector_str(peer->pod_selector) : strdup("<all>");
	nss = peer->ns_selector ? pn_selector_str(peer->ns_selector) : NULL;
	if (!ps || (peer->ns_selector && !nss))
		goto out;
	if (peer->ns_selector) {
		if (asprintf(&key, "namespaces %s, pods %s", nss, ps) < 0)
			key = NULL;
	} else if (asprintf(&key, "namespace %s, pods %s", np_ns(np), ps) < 0) {
		key = NULL;
	}
	if (!key)
		goto out;
	snprintf(name, sizeof(name), "pods-%016llx", (unsigned long long)fnv1a(key));
	stem = strdup(name);
	if (!stem)
		goto out;
	comment_text(comment, sizeof(comment), key);
	for (int fam = 4; fam <= 6; fam += 2) {
		struct nftm_set *s = fam_set_new(g, stem, fam, "ipv4_addr", "ipv6_addr", comment);

		if (!s)
			continue;
		if (!sel.w && !select_peer(g, np, peer, &sel)) {
			g->oom = true;
			goto out;
		}
		for (size_t i = 0; i < g->w->n_pods; i++) {
			const struct pol_pod *p = &g->w->pods[i];

			if (bits_has(&sel, i))
				pod_addr_elems(g, s, p, fam, "");
		}
	}
out:
	if (!stem)
		g->oom = true;
	bits_free(&sel);
	free(key);
	free(ps);
	free(nss);
	return stem;
}

static const char *proto_kw(enum pn_proto p)
{
	switch (p) {
	case PN_PROTO_TCP:
		return "tcp";
	case PN_PROTO_UDP:
		return "udp";
	case PN_PROTO_SCTP:
		return "sctp";
	}
	return "tcp";
}

/* The named-port set of (@proto, @name) over every pod: "port-tcp-http". */
static void port_set(struct gen *g, enum pn_proto proto, const char *pname, char *stem, size_t size)
{
	char comment[128];

	snprintf(stem, size, "port-%s-%s", proto_kw(proto), pname);
	snprintf(comment, sizeof(comment), "pods with container port %s/%s", pname, pn_proto_str(proto));
	for (int fam = 4; fam <= 6; fam += 2) {
		struct nftm_set *s = fam_set_new(g, stem, fam, "ipv4_addr . inet_proto . inet_service",
						 "ipv6_addr . inet_proto . inet_service", comment);

		if (!s)
			continue;
		for (size_t i = 0; i < g->w->n_pods; i++) {
			const struct pol_pod *p = &g->w->pods[i];

			for (size_t c = 0; c < p->n_ports; c++) {
				const struct pol_port *cp = &p->ports[c];
				char tail[32];

				if (!cp->name || strcmp(cp->name, pname) || cp->proto != proto)
					continue;
				snprintf(tail, sizeof(tail), " . %s . %d", proto_kw(proto), cp->port);
				pod_addr_elems(g, s, p, fam, tail);
			}
		}
	}
}

/* ---- ipBlock: cidr minus excepts, as disjoint ranges */

struct range {
	struct pn_ip lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	return pn_ip_cmp(&((const struct range *)a)->lo, &((const struct range *)b)->lo);
}

static bool cidr_range(const char *text, struct range *r)
{
	struct pn_cidr c, net;

	if (pn_cidr_parse(text, &c) < 0)
		return false;
	pn_cidr_network(&c, &net);
	r->lo = net.ip;
	pn_cidr_last(&net, &r->hi);
	return true;
}

/* Up to @cap ranges of @b's cidr not covered by an except. */
static size_t ipblock_ranges(const struct pn_np_ipblock *b, struct range *out, size_t cap)
{
	struct range whole, *ex;
	struct pn_ip cur;
	size_t n = 0, ne = 0;
	bool done = false;

	if (!cidr_range(b->cidr, &whole))
		return 0;
	ex = calloc(b->n_except + 1, sizeof(*ex));
	if (!ex)
		return 0;
	for (size_t i = 0; i < b->n_except; i++)
		if (cidr_range(b->except[i], &ex[ne]) && ex[ne].lo.family == whole.lo.family)
			ne++;
	qsort(ex, ne, sizeof(*ex), range_cmp);
	cur = whole.lo;
	for (size_t i = 0; i < ne && !done; i++) {
		if (pn_ip_cmp(&ex[i].hi, &cur) < 0)
			continue;
		if (pn_ip_cmp(&ex[i].lo, &whole.hi) > 0)
			break;
		if (pn_ip_cmp(&ex[i].lo, &cur) > 0 && n < cap) {
			out[n].lo = cur;
			pn_ip_add(&ex[i].lo, -1, &out[n].hi);
			n++;
		}
		/* The next candidate starts after this except; an except
		 * reaching the top of the address space ends the walk. */
		if (pn_ip_cmp(&ex[i].hi, &whole.hi) >= 0 || !pn_ip_add(&ex[i].hi, 1, &cur))
			done = true;
	}
	if (!done && pn_ip_cmp(&cur, &whole.hi) <= 0 && n < cap) {
		out[n].lo = cur;
		out[n].hi = whole.hi;
		n++;
	}
	free(ex);
	return n;
}

/* "10.0.0.0/8" when the range is one prefix, else "10.0.0.0-10.87.255.255". */
static void range_text(const struct range *r, char *buf, size_t size)
{
	int bits = r->lo.family == AF_INET ? 32 : 128;
	char a[PN_IP_STRLEN], b[PN_IP_STRLEN];

	for (int len = 0; len <= bits; len++) {
		struct pn_cidr c = { .ip = r->lo, .prefix = len }, net;
		struct pn_ip last;

		pn_cidr_network(&c, &net);
		if (!pn_ip_eq(&net.ip, &r->lo))
			continue;
		pn_cidr_last(&c, &last);
		if (pn_ip_eq(&last, &r->hi)) {
			snprintf(buf, size, "%s/%d", pn_ip_str(&r->lo, a), len);
			return;
		}
	}
	snprintf(buf, size, "%s-%s", pn_ip_str(&r->lo, a), pn_ip_str(&r->hi, b));
}

/* ---- rules of one policy direction */

/* A match fragment and the address family it needs (0: either). */
struct frag {
	int fam;
	char *text;
};

struct frags {
	struct frag *v;
	size_t n, cap;
};

static void frag_add(struct gen *g, struct frags *f, int fam, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void frag_add(struct gen *g, struct frags *f, int fam, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 8;
		struct frag *p = realloc(f->v, nc * sizeof(*p));

		if (!p) {
			g->oom = true;
			return;
		}
		f->v = p;
		f->cap = nc;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		g->oom = true;
		return;
	}
	f->v[f->n++] = (struct frag){ fam, s };
}

static void frags_free(struct frags *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* The peer side of a rule: "ip saddr @pods-..-v4", "ip saddr 10.0.0.0/8". */
static void peer_frags(struct gen *g, const struct pn_netpol *np, const struct pn_np_rule *rule,
		       bool egress, struct frags *out)
{
	const char *dir = egress ? "daddr" : "saddr";

	if (rule->n_peers == 0) {
		frag_add(g, out, 0, "%s", "");
		return;
	}
	for (size_t i = 0; i < rule->n_peers; i++) {
		const struct pn_np_peer *peer = &rule->peers[i];

		if (peer->ip_block) {
			struct range r[64];
			size_t n = ipblock_ranges(peer->ip_block, r, PN_ARRAY_SIZE(r));

			for (size_t k = 0; k < n; k++) {
				char t[2 * PN_IP_STRLEN + 2];
				int fam = r[k].lo.family == AF_INET ? 4 : 6;

				range_text(&r[k], t, sizeof(t));
				frag_add(g, out, fam, "%s %s %s ", fam == 4 ? "ip" : "ip6", dir, t);
			}
			continue;
		}
		char *stem = peer_set(g, np, peer);

		if (!stem)
			return;
		if (g->fam4)
			frag_add(g, out, 4, "ip %s @%s-v4 ", dir, stem);
		if (g->fam6)
			frag_add(g, out, 6, "ip6 %s @%s-v6 ", dir, stem);
		free(stem);
	}
}

/* The port side of a rule: "tcp dport 80 ", "meta l4proto udp ", named. */
static void port_frags(struct gen *g, const struct pn_np_rule *rule, struct frags *out)
{
	if (rule->n_ports == 0) {
		frag_add(g, out, 0, "%s", "");
		return;
	}
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct pn_np_port *p = &rule->ports[i];
		const char *kw = proto_kw(p->protocol);

		if (p->port_name) {
			char stem[96];

			port_set(g, p->protocol, p->port_name, stem, sizeof(stem));
			if (g->fam4)
				frag_add(g, out, 4, "ip daddr . meta l4proto . th dport @%s-v4 ", stem);
			if (g->fam6)
				frag_add(g, out, 6, "ip6 daddr . meta l4proto . th dport @%s-v6 ", stem);
		} else if (p->port == 0) {
			frag_add(g, out, 0, "meta l4proto %s ", kw);
		} else if (p->end_port) {
			frag_add(g, out, 0, "%s dport %d-%d ", kw, p->port, p->end_port);
		} else {
			frag_add(g, out, 0, "%s dport %d ", kw, p->port);
		}
	}
}

/*
 * A chain name for a policy direction: "ingress/<ns>/<name>".  nft chain
 * names hold 255 bytes; a namespace (63) and a name (253) may not fit, so
 * a long one keeps a prefix and gains a hash of the whole.
 */
static void policy_chain_name(const struct pn_netpol *np, bool egress, char *out, size_t size)
{
	char full[512];

	snprintf(full, sizeof(full), "%s/%s/%s", egress ? "egress" : "ingress", np_ns(np),
		 np->meta.name ? np->meta.name : "");
	if (strlen(full) < 240 || size < 256) {
		snprintf(out, size, "%s", full);
		return;
	}
	snprintf(out, size, "%.220s~%016llx", full, (unsigned long long)fnv1a(full));
}

/* Two peers or ports of one policy may say the same thing: one rule. */
static bool rule_seen(const struct nftm_chain *c, const char *peer, const char *port)
{
	size_t lp = strlen(peer), lq = strlen(port);

	for (size_t i = 0; c && i < c->n_rules; i++)
		if (!strncmp(c->rules[i], peer, lp) && !strncmp(c->rules[i] + lp, port, lq) &&
		    (!strncmp(c->rules[i] + lp + lq, "accept", 6) || !strncmp(c->rules[i] + lp + lq, "goto", 4)))
			return true;
	return false;
}

static void policy_chain(struct gen *g, const struct pn_netpol *np, bool egress)
{
	const struct pn_np_rule *rules = egress ? np->egress : np->ingress;
	size_t n_rules = egress ? np->n_egress : np->n_ingress;
	char name[256], comment[160];
	struct nftm_chain *c;

	policy_chain_name(np, egress, name, sizeof(name));
	if (nftm_chain_find(g->t, name))
		return;
	snprintf(comment, sizeof(comment), "NetworkPolicy %s/%s %s", np_ns(np),
		 np->meta.name ? np->meta.name : "", egress ? "egress" : "ingress");
	comment_text(comment, sizeof(comment), comment);
	c = nftm_chain_add(g->t, name, NULL, comment);
	for (size_t r = 0; r < n_rules; r++) {
		struct frags peers = { 0 }, ports = { 0 };

		peer_frags(g, np, &rules[r], egress, &peers);
		port_frags(g, &rules[r], &ports);
		for (size_t i = 0; i < peers.n; i++)
			for (size_t k = 0; k < ports.n; k++) {
				int a = peers.v[i].fam, b = ports.v[k].fam;

				if ((a && b && a != b) || rule_seen(c, peers.v[i].text, ports.v[k].text))
					continue;
				nftm_rule(g->t, c, "%s%s%s comment \"%s/%s %s[%zu]\"", peers.v[i].text,
					  ports.v[k].text,
					  egress ? "goto " POL_NFT_INGRESS : "accept", np_ns(np),
					  np->meta.name ? np->meta.name : "",
					  egress ? "egress" : "ingress", r);
			}
		frags_free(&peers);
		frags_free(&ports);
	}
}

/* ---- isolation groups and dispatch */

/* Which policies select each pod for one direction, as a list of policy
 * indexes per pod; pods sharing a list share a group chain. */
struct grouping {
	size_t **lists;      /* per pod: policy indexes, NULL if not isolated */
	size_t *lens;
};

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void direction(struct gen *g, bool egress)
{
	const struct pol_world *w = g->w;
	enum pn_np_type type = egress ? PN_NP_EGRESS : PN_NP_INGRESS;
	const char *dir = egress ? "egress" : "ingress";
	struct nftm_set *map4 = NULL, *map6 = NULL;
	size_t **lists = calloc(w->n_pods + 1, sizeof(*lists));
	size_t *lens = calloc(w->n_pods + 1, sizeof(*lens));
	bool any = false;

	if (!lists || !lens) {
		g->oom = true;
		goto out;
	}
	for (size_t p = 0; p < w->n_pols; p++) {
		const struct pn_netpol *np = w->pols[p];
		struct bits sel;

		if (!pn_netpol_has_type(np, type))
			continue;
		if (!select_in_ns(g, np_ns(np), &np->pod_selector, &sel)) {
			g->oom = true;
			goto out;
		}
		for (size_t i = 0; i < w->n_pods; i++) {
			size_t *grown;

			if (!bits_has(&sel, i))
				continue;
			grown = realloc(lists[i], (lens[i] + 1) * sizeof(*grown));
			if (!grown) {
				g->oom = true;
				break;
			}
			lists[i] = grown;
			lists[i][lens[i]++] = p;
			any = true;
		}
		if (bits_any(&sel))
			policy_chain(g, np, egress);
		bits_free(&sel);
	}
	if (!any)
		goto out;
	if (g->fam4) {
		char name[32];

		snprintf(name, sizeof(name), "%s-v4", dir);
		map4 = nftm_set_add(g->t, name, "ipv4_addr", "verdict",
				    egress ? "pods isolated for egress" : "pods isolated for ingress");
	}
	if (g->fam6) {
		char name[32];

		snprintf(name, sizeof(name), "%s-v6", dir);
		map6 = nftm_set_add(g->t, name, "ipv6_addr", "verdict",
				    egress ? "pods isolated for egress" : "pods isolated for ingress");
	}
	for (size_t i = 0; i < w->n_pods; i++) {
		char key[4096] = "", gname[64], comment[160] = "";
		size_t klen = 0;

		if (!lens[i])
			continue;
		qsort(lists[i], lens[i], sizeof(size_t), size_cmp);
		/* The group's identity is the policies in it, by name. */
		for (size_t k = 0; k < lens[i] && klen < sizeof(key); k++) {
			const struct pn_netpol *np = w->pols[lists[i][k]];
			int n = snprintf(key + klen, sizeof(key) - klen, "%s%s/%s", k ? ", " : "",
					 np_ns(np), np->meta.name ? np->meta.name : "");

			klen += n > 0 ? (size_t)n : 0;
		}
		snprintf(gname, sizeof(gname), "%s-%016llx", dir, (unsigned long long)fnv1a(key));
		if (!nftm_chain_find(g->t, gname)) {
			struct nftm_chain *c;

			comment_text(comment, sizeof(comment), key);
			c = nftm_chain_add(g->t, gname, NULL, comment);
			for (size_t k = 0; k < lens[i]; k++) {
				char cn[256];

				policy_chain_name(w->pols[lists[i][k]], egress, cn, sizeof(cn));
				nftm_rule(g->t, c, "jump %s", cn);
			}
			nftm_rule(g->t, c, "counter drop comment \"%s isolated, no rule allows\"", dir);
		}
		for (size_t k = 0; k < w->pods[i].n_ips; k++) {
			const struct pn_ip *ip = &w->pods[i].ips[k];
			char a[PN_IP_STRLEN];

			ip_text(ip, a);
			nftm_elem(g->t, ip->family == AF_INET ? map4 : map6, "%s : goto %s", a, gname);
		}
	}
out:
	for (size_t i = 0; lists && i < w->n_pods; i++)
		free(lists[i]);
	free(lists);
	free(lens);
}

static bool anyone_isolated(const struct gen *g)
{
	return nftm_set_find(g->t, "ingress-v4") || nftm_set_find(g->t, "ingress-v6") ||
	       nftm_set_find(g->t, "egress-v4") || nftm_set_find(g->t, "egress-v6");
}

int pol_nft_build(const struct pol_world *w, struct nftm_table *t, struct pn_err *err)
{
	struct gen g = { .w = w, .t = t };
	int ret = 0;

	if (w->n_pols == 0 || w->n_pods == 0)
		return 0;
	for (size_t i = 0; i < w->n_pods; i++)
		for (size_t k = 0; k < w->pods[i].n_ips; k++) {
			g.fam4 |= w->pods[i].ips[k].family == AF_INET;
			g.fam6 |= w->pods[i].ips[k].family == AF_INET6;
		}
	g.ns_pods = calloc(w->n_nss + 1, sizeof(*g.ns_pods));
	if (!g.ns_pods || !index_build(&g.pods, w->n_pods, pod_labels, w) ||
	    !index_build(&g.nss, w->n_nss, ns_labels, w)) {
		g.oom = true;
		goto out;
	}
	for (size_t i = 0; i < w->n_nss; i++)
		if (!bits_new(&g.ns_pods[i], w->n_pods, false)) {
			g.oom = true;
			goto out;
		}
	for (size_t i = 0; i < w->n_pods; i++)
		if (w->pods[i].ns_idx < w->n_nss)
			bits_set(&g.ns_pods[w->pods[i].ns_idx], i);

	direction(&g, true);
	direction(&g, false);
	if (!g.oom && anyone_isolated(&g)) {
		struct nftm_chain *fwd, *ing;

		fwd = nftm_chain_add(t, POL_NFT_FORWARD,
				     "type filter hook forward priority filter; policy accept;",
				     "NetworkPolicy: replies pass, then egress of the source");
		nftm_rule(t, fwd, "ct state established,related accept");
		if (g.fam4 && nftm_set_find(t, "egress-v4"))
			nftm_rule(t, fwd, "ip saddr vmap @egress-v4");
		if (g.fam6 && nftm_set_find(t, "egress-v6"))
			nftm_rule(t, fwd, "ip6 saddr vmap @egress-v6");
		nftm_rule(t, fwd, "goto " POL_NFT_INGRESS);
		ing = nftm_chain_add(t, POL_NFT_INGRESS, NULL, "NetworkPolicy: ingress of the destination");
		if (g.fam4 && nftm_set_find(t, "ingress-v4"))
			nftm_rule(t, ing, "ip daddr vmap @ingress-v4");
		if (g.fam6 && nftm_set_find(t, "ingress-v6"))
			nftm_rule(t, ing, "ip6 daddr vmap @ingress-v6");
		nftm_rule(t, ing, "accept");
	}
out:
	if (g.oom)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory generating NetworkPolicy rules");
	index_free(&g.pods);
	index_free(&g.nss);
	for (size_t i = 0; g.ns_pods && i < w->n_nss; i++)
		bits_free(&g.ns_pods[i]);
	free(g.ns_pods);
	return ret;
}
