/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetworkPolicy evaluator (evaluate.h): the API reference's definitions
 * written as directly as C allows, one predicate per term, evaluated for
 * one flow.  It is deliberately naive (every policy, every rule, every
 * peer, each selector matched against one pod's labels): its job is to be
 * obviously right, the generator's job is to be fast.
 */
#include "evaluate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool value_in(const char *v, char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, values[i]))
			return true;
	return false;
}

/* labels.Requirement.Matches */
static bool requirement_matches(const struct pn_sel_req *r, const struct pn_kvs *labels)
{
	const char *v = pn_kvs_get(labels, r->key);

	switch (r->op) {
	case PN_SEL_IN:
		return v && value_in(v, r->values, r->n_values);
	case PN_SEL_NOT_IN:
		return !v || !value_in(v, r->values, r->n_values);
	case PN_SEL_EXISTS:
		return v != NULL;
	case PN_SEL_DOES_NOT_EXIST:
		return v == NULL;
	}
	return false;
}

/* Every matchLabels pair and every expression must hold; the empty
 * selector selects everything. */
static bool selector_matches(const struct pn_selector *s, const struct pn_kvs *labels)
{
	for (size_t i = 0; i < s->match_labels.n; i++) {
		const char *v = pn_kvs_get(labels, s->match_labels.items[i].key);

		if (!v || strcmp(v, s->match_labels.items[i].value))
			return false;
	}
	for (size_t i = 0; i < s->n_exprs; i++)
		if (!requirement_matches(&s->exprs[i], labels))
			return false;
	return true;
}

static const char *policy_ns(const struct pn_netpol *np)
{
	return np->meta.namespace_ ? np->meta.namespace_ : "default";
}

/* The policy selects @pod: same namespace, podSelector matches. */
static bool policy_selects(const struct pn_netpol *np, const struct pol_pod *pod)
{
	return !strcmp(policy_ns(np), pod->ns) && selector_matches(&np->pod_selector, &pod->labels);
}

static bool cidr_text_contains(const char *text, const struct pn_ip *ip)
{
	struct pn_cidr c;

	return pn_cidr_parse(text, &c) == 0 && pn_cidr_contains(&c, ip);
}

static bool ipblock_matches(const struct pn_np_ipblock *b, const struct pn_ip *ip)
{
	if (!cidr_text_contains(b->cidr, ip))
		return false;
	for (size_t i = 0; i < b->n_except; i++)
		if (cidr_text_contains(b->except[i], ip))
			return false;
	return true;
}

/* Does @peer of a rule in policy @np match the endpoint @ep? */
static bool peer_matches(const struct pol_world *w, const struct pn_netpol *np,
			 const struct pn_np_peer *peer, const struct pol_endpoint *ep)
{
	if (peer->ip_block)
		return ipblock_matches(peer->ip_block, &ep->ip);
	if (ep->kind != POL_EP_POD)
		return false;
	if (peer->ns_selector) {
		const struct pol_ns *ns = &w->nss[ep->pod->ns_idx];

		if (!selector_matches(peer->ns_selector, &ns->labels))
			return false;
	} else if (strcmp(ep->pod->ns, policy_ns(np))) {
		return false;
	}
	return !peer->pod_selector || selector_matches(peer->pod_selector, &ep->pod->labels);
}

/* Does @port match the flow?  Named ports look at the destination pod. */
static bool port_matches(const struct pn_np_port *port, const struct pol_flow *f, int *resolved)
{
	*resolved = 0;
	if (port->protocol != f->proto)
		return false;
	if (port->port_name) {
		if (f->dst.kind != POL_EP_POD)
			return false;
		for (size_t i = 0; i < f->dst.pod->n_ports; i++) {
			const struct pol_port *cp = &f->dst.pod->ports[i];

			if (cp->name && !strcmp(cp->name, port->port_name) && cp->proto == port->protocol &&
			    cp->port == f->port) {
				*resolved = cp->port;
				return true;
			}
		}
		return false;
	}
	if (port->port == 0)
		return true;
	if (port->end_port)
		return f->port >= port->port && f->port <= port->end_port;
	return f->port == port->port;
}

static int side_add_isolating(struct pol_side *s, const struct pn_netpol *np)
{
	const struct pn_netpol **grown = realloc(s->isolating, (s->n_isolating + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->isolating = grown;
	s->isolating[s->n_isolating++] = np;
	return 0;
}

static int side_add_allow(struct pol_side *s, const struct pol_allow *a)
{
	struct pol_allow *grown = realloc(s->allows, (s->n_allows + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->allows = grown;
	s->allows[s->n_allows++] = *a;
	return 0;
}

/*
 * One direction for the pod at @self: @peer is the other end of the flow.
 * For egress self is the source, for ingress the destination.
 */
static int evaluate_side(const struct pol_world *w, const struct pol_flow *f, bool egress,
			 struct pol_side *s)
{
	const struct pol_endpoint *self = egress ? &f->src : &f->dst;
	const struct pol_endpoint *peer = egress ? &f->dst : &f->src;
	enum pn_np_type type = egress ? PN_NP_EGRESS : PN_NP_INGRESS;

	s->applies = self->kind == POL_EP_POD;
	if (!s->applies) {
		s->allowed = true;
		return 0;
	}
	for (size_t p = 0; p < w->n_pols; p++) {
		const struct pn_netpol *np = w->pols[p];
		const struct pn_np_rule *rules = egress ? np->egress : np->ingress;
		size_t n_rules = egress ? np->n_egress : np->n_ingress;

		if (!pn_netpol_has_type(np, type) || !policy_selects(np, self->pod))
			continue;
		s->isolated = true;
		if (side_add_isolating(s, np) < 0)
			return -ENOMEM;
		for (size_t r = 0; r < n_rules; r++) {
			const struct pn_np_rule *rule = &rules[r];
			struct pol_allow a = { .np = np, .rule = r, .peer = -1, .port = -1 };

			if (rule->n_peers) {
				for (size_t i = 0; i < rule->n_peers && a.peer < 0; i++)
					if (peer_matches(w, np, &rule->peers[i], peer))
						a.peer = (int)i;
				if (a.peer < 0)
					continue;
			}
			if (rule->n_ports) {
				for (size_t i = 0; i < rule->n_ports && a.port < 0; i++)
					if (port_matches(&rule->ports[i], f, &a.resolved_port))
						a.port = (int)i;
				if (a.port < 0)
					continue;
			}
			if (side_add_allow(s, &a) < 0)
				return -ENOMEM;
		}
	}
	s->allowed = !s->isolated || s->n_allows > 0;
	return 0;
}

void pol_endpoint_from_ip(const struct pol_world *w, const struct pn_ip *ip, struct pol_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->ip = *ip;
	ep->pod = pol_world_pod_by_ip(w, ip);
	ep->kind = ep->pod ? POL_EP_POD : POL_EP_IP;
}

int pol_evaluate(const struct pol_world *w, const struct pol_flow *f, struct pol_verdict *v,
		 struct pn_err *err)
{
	memset(v, 0, sizeof(*v));
	if (f->src.kind == POL_EP_NODE || f->dst.kind == POL_EP_NODE) {
		v->reason = POL_NODE;
		v->allowed = true;
		return 0;
	}
	if (f->src.kind == POL_EP_POD && f->dst.kind == POL_EP_POD && f->src.pod == f->dst.pod) {
		v->reason = POL_SAME_POD;
		v->allowed = true;
		return 0;
	}
	if (evaluate_side(w, f, true, &v->egress) < 0 || evaluate_side(w, f, false, &v->ingress) < 0) {
		pol_verdict_free(v);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	v->allowed = v->egress.allowed && v->ingress.allowed;
	return 0;
}

void pol_verdict_free(struct pol_verdict *v)
{
	if (!v)
		return;
	free(v->egress.isolating);
	free(v->egress.allows);
	free(v->ingress.isolating);
	free(v->ingress.allows);
	memset(v, 0, sizeof(*v));
}
