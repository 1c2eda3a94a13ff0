/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Destructors and small accessors of the NetworkPolicy model (netpol.h).
 * Destructors accept NULL and half-built structs.
 */
#include "netpol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Vectors are NULL-terminated (the parser fills them so); their counts
 * may not be set yet when a half-built struct is freed. */
static void strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

void pn_selector_clear(struct pn_selector *s)
{
	if (!s)
		return;
	pn_kvs_free(&s->match_labels);
	for (size_t i = 0; i < s->n_exprs; i++) {
		free(s->exprs[i].key);
		free(s->exprs[i].op_raw);
		strv_free(s->exprs[i].values);
	}
	free(s->exprs);
	memset(s, 0, sizeof(*s));
}

void pn_selector_free(struct pn_selector *s)
{
	pn_selector_clear(s);
	free(s);
}

void pn_np_rule_clear(struct pn_np_rule *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ports; i++) {
		free(r->ports[i].port_name);
		free(r->ports[i].protocol_raw);
	}
	free(r->ports);
	for (size_t i = 0; i < r->n_peers; i++) {
		struct pn_np_peer *p = &r->peers[i];

		pn_selector_free(p->pod_selector);
		pn_selector_free(p->ns_selector);
		if (p->ip_block) {
			free(p->ip_block->cidr);
			strv_free(p->ip_block->except);
			free(p->ip_block);
		}
	}
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

void pn_netpol_free(struct pn_netpol *np)
{
	if (!np)
		return;
	pn_meta_free(&np->meta);
	pn_selector_clear(&np->pod_selector);
	for (size_t i = 0; i < np->n_ingress; i++)
		pn_np_rule_clear(&np->ingress[i]);
	free(np->ingress);
	for (size_t i = 0; i < np->n_egress; i++)
		pn_np_rule_clear(&np->egress[i]);
	free(np->egress);
	strv_free(np->types_raw);
	free(np);
}

bool pn_netpol_has_type(const struct pn_netpol *np, enum pn_np_type t)
{
	for (size_t i = 0; i < np->n_types; i++)
		if (np->types[i] == t)
			return true;
	return false;
}

bool pn_selector_is_empty(const struct pn_selector *s)
{
	return s->match_labels.n == 0 && s->n_exprs == 0;
}

const char *pn_proto_str(enum pn_proto p)
{
	switch (p) {
	case PN_PROTO_TCP:
		return "TCP";
	case PN_PROTO_UDP:
		return "UDP";
	case PN_PROTO_SCTP:
		return "SCTP";
	}
	return "?";
}

enum pn_proto pn_proto_parse(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "TCP"))
		return PN_PROTO_TCP;
	if (!strcmp(s, "UDP"))
		return PN_PROTO_UDP;
	if (!strcmp(s, "SCTP"))
		return PN_PROTO_SCTP;
	return 0;
}

/* One requirement as labels.Requirement.String() writes it. */
struct req_text {
	const char *key;
	int rank;       /* matchLabels before expressions on equal keys */
	char *text;
};

static int req_text_cmp(const void *a, const void *b)
{
	const struct req_text *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->rank - y->rank;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *req_str(const struct pn_sel_req *r)
{
	char **sorted = NULL, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	switch (r->op) {
	case PN_SEL_EXISTS:
		fputs(r->key, f);
		break;
	case PN_SEL_DOES_NOT_EXIST:
		fprintf(f, "!%s", r->key);
		break;
	case PN_SEL_IN:
	case PN_SEL_NOT_IN:
		/* Requirement.String sorts the values it prints. */
		sorted = calloc(r->n_values ? r->n_values : 1, sizeof(*sorted));
		if (!sorted)
			break;
		memcpy(sorted, r->values, r->n_values * sizeof(*sorted));
		qsort(sorted, r->n_values, sizeof(*sorted), str_cmp);
		fprintf(f, "%s %s (", r->key, r->op == PN_SEL_IN ? "in" : "notin");
		for (size_t i = 0; i < r->n_values; i++)
			fprintf(f, "%s%s", i ? "," : "", sorted[i]);
		fputc(')', f);
		break;
	}
	free(sorted);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *pn_selector_str(const struct pn_selector *s)
{
	size_t n = s->match_labels.n + s->n_exprs, len = 0;
	struct req_text *reqs;
	char *out = NULL;
	FILE *f;
	bool ok = true;

	if (n == 0)
		return strdup("<none>");
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs)
		return NULL;
	for (size_t i = 0; i < s->match_labels.n; i++) {
		reqs[i].key = s->match_labels.items[i].key;
		if (asprintf(&reqs[i].text, "%s=%s", s->match_labels.items[i].key,
			     s->match_labels.items[i].value) < 0)
			reqs[i].text = NULL;
	}
	for (size_t i = 0; i < s->n_exprs; i++) {
		struct req_text *t = &reqs[s->match_labels.n + i];

		t->key = s->exprs[i].key;
		t->rank = 1;
		t->text = req_str(&s->exprs[i]);
	}
	/* labels.internalSelector.Add sorts by key. */
	qsort(reqs, n, sizeof(*reqs), req_text_cmp);
	f = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i].text)
			ok = false;
		else if (f)
			fprintf(f, "%s%s", i ? "," : "", reqs[i].text);
		free(reqs[i].text);
	}
	free(reqs);
	if (!f)
		return NULL;
	if (fclose(f) != 0 || !ok) {
		free(out);
		return NULL;
	}
	return out;
}
