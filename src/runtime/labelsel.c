/* SPDX-License-Identifier: Apache-2.0 */
#include "labelsel.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8sval.h"

/*
 * The grammar and its errors follow labels.Parse: a lexer that splits the
 * whole input into tokens first, then a recursive-descent parser over them
 * with one token of lookahead.  In a values context the keywords "in" and
 * "notin" are plain identifiers (`app in (in, notin)` is valid).
 */

enum tok {
	T_ERROR,
	T_END,
	T_CLOSE,        /* ) */
	T_COMMA,        /* , */
	T_NOT,          /* ! (does not exist) */
	T_DEQ,          /* == */
	T_EQ,           /* = */
	T_GT,           /* > */
	T_IDENT,
	T_IN,
	T_LT,           /* < */
	T_NEQ,          /* != */
	T_NOTIN,
	T_OPEN,         /* ( */
};

struct item {
	enum tok tok;
	char *lit;
};

struct parser {
	struct item *items;
	size_t n, pos;
	char *err;       /* the first error, heap */
	bool oom;
};

static const struct {
	const char *s;
	enum tok t;
} keywords[] = {
	{ ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT },  { "==", T_DEQ },
	{ "=", T_EQ },    { ">", T_GT },    { "in", T_IN },  { "<", T_LT },
	{ "!=", T_NEQ },  { "notin", T_NOTIN }, { "(", T_OPEN },
};

static bool keyword(const char *s, size_t n, enum tok *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].s) == n && !memcmp(keywords[i].s, s, n)) {
			*t = keywords[i].t;
			return true;
		}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return strchr("=!(),><", c) != NULL && c != '\0';
}

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err || p->oom)
		return;
	va_start(ap, fmt);
	if (vasprintf(&p->err, fmt, ap) < 0) {
		p->err = NULL;
		p->oom = true;
	}
	va_end(ap);
}

static int push(struct parser *p, enum tok t, const char *lit, size_t n)
{
	struct item *it = realloc(p->items, (p->n + 1) * sizeof(*it));

	if (!it)
		return -ENOMEM;
	p->items = it;
	it[p->n].tok = t;
	it[p->n].lit = strndup(lit, n);
	if (!it[p->n].lit)
		return -ENOMEM;
	p->n++;
	return 0;
}

/* The lexer: identifiers run to whitespace or a special character; a run
 * of special characters yields the longest prefix that is a token. */
static int scan(struct parser *p, const char *s)
{
	size_t i = 0, len = strlen(s);

	for (;;) {
		enum tok t;

		while (i < len && is_space(s[i]))
			i++;
		if (i >= len)
			return push(p, T_END, "", 0);
		if (is_special(s[i])) {
			size_t j = i, best = 0;
			enum tok bt = T_ERROR;

			while (j < len && is_special(s[j])) {
				j++;
				if (keyword(s + i, j - i, &t)) {
					bt = t;
					best = j - i;
				} else if (best) {
					break;
				}
			}
			/* Every single special character is a token, so a run
			 * always starts with one. */
			if (push(p, bt, s + i, best) < 0)
				return -ENOMEM;
			i += best;
		} else {
			size_t j = i;

			while (j < len && !is_special(s[j]) && !is_space(s[j]))
				j++;
			if (!keyword(s + i, j - i, &t))
				t = T_IDENT;
			if (push(p, t, s + i, j - i) < 0)
				return -ENOMEM;
			i = j;
		}
	}
}

static enum tok values_ctx(enum tok t)
{
	return t == T_IN || t == T_NOTIN ? T_IDENT : t;
}

static enum tok lookahead(struct parser *p, bool values, const char **lit)
{
	struct item *it = &p->items[p->pos];

	if (lit)
		*lit = it->lit;
	return values ? values_ctx(it->tok) : it->tok;
}

static enum tok consume(struct parser *p, bool values, const char **lit)
{
	/* The END token is last and never consumed past. */
	struct item *it = &p->items[p->pos < p->n - 1 ? p->pos++ : p->pos];

	if (lit)
		*lit = it->lit;
	return values ? values_ctx(it->tok) : it->tok;
}

/* A sorted set of strings, as Go's sets.String.List() returns them. */
static int set_insert(struct labelsel_req *r, const char *v)
{
	size_t lo = 0, hi = r->n_values;
	char **t;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->values[mid], v);

		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	t = realloc(r->values, (r->n_values + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	r->values = t;
	memmove(&t[lo + 1], &t[lo], (r->n_values - lo) * sizeof(*t));
	t[lo] = strdup(v);
	if (!t[lo]) {
		memmove(&t[lo], &t[lo + 1], (r->n_values - lo) * sizeof(*t));
		return -ENOMEM;
	}
	r->n_values++;
	return 0;
}

static void req_free(struct labelsel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->n_values; i++)
		free(r->values[i]);
	free(r->values);
	memset(r, 0, sizeof(*r));
}

static void insert(struct parser *p, struct labelsel_req *r, const char *v)
{
	if (set_insert(r, v) < 0)
		p->oom = true;
}

/* "<field>: Invalid value: "<v>": <msgs>" (field.Invalid().Error()). */
static char *invalid(const char *field, const char *v, const struct k8s_msgs *m)
{
	char *q = k8s_goquote(v), *j = k8s_msgs_join(m, "; "), *s = NULL;

	if (q && j && asprintf(&s, "%s: Invalid value: %s: %s", field, q, j) < 0)
		s = NULL;
	free(q);
	free(j);
	return s;
}

static bool parse_int64(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	(void)v;
	return *s && !*end && errno == 0 && !is_space(*s);
}

/*
 * NewRequirement's checks once the parser has the operator and values:
 * the key was checked already; each value must be a label value, and the
 * comparisons need one integer.  Several failures print as Go's aggregate
 * error does: "[a, b]".
 */
static void check_req(struct parser *p, const struct labelsel_req *r)
{
	struct k8s_msgs errs = { 0 };

	/* The parser gives a comparison exactly one value. */
	if (r->op == LABELSEL_GREATER_THAN || r->op == LABELSEL_LESS_THAN) {
		for (size_t i = 0; i < r->n_values; i++) {
			char *q;

			if (parse_int64(r->values[i]))
				continue;
			q = k8s_goquote(r->values[i]);
			if (q)
				k8s_msgs_add(&errs, "values[%zu]: Invalid value: %s: for 'Gt', 'Lt' "
					     "operators, the value must be an integer", i, q);
			free(q);
		}
	}
	for (size_t i = 0; i < r->n_values; i++) {
		struct k8s_msgs m = { 0 };
		char *path = NULL, *s;

		k8s_check_label_value(r->values[i], &m);
		if (m.n && asprintf(&path, "values[%zu][%s]", i, r->key) >= 0) {
			s = invalid(path, r->values[i], &m);
			if (s)
				k8s_msgs_add(&errs, "%s", s);
			free(s);
			free(path);
		}
		k8s_msgs_free(&m);
	}
	if (errs.n == 1) {
		fail(p, "unable to parse requirement: %s", errs.v[0]);
	} else if (errs.n > 1) {
		size_t sz = 0;
		char *all = NULL;
		FILE *f = open_memstream(&all, &sz);

		if (f) {
			/* Go's aggregate drops repeated messages. */
			size_t shown = 0;

			for (size_t i = 0; i < errs.n; i++) {
				bool seen = false;

				for (size_t j = 0; j < i; j++)
					seen |= !strcmp(errs.v[i], errs.v[j]);
				if (seen)
					continue;
				fprintf(f, "%s%s", shown++ ? ", " : "", errs.v[i]);
			}
			if (fclose(f) == 0)
				fail(p, shown > 1 ? "unable to parse requirement: [%s]"
						  : "unable to parse requirement: %s", all);
			else
				p->oom = true;
			free(all);
		} else {
			p->oom = true;
		}
	}
	k8s_msgs_free(&errs);
}

static bool parse_key(struct parser *p, struct labelsel_req *r, bool *unary)
{
	const char *lit;
	enum tok t = consume(p, true, &lit);
	struct k8s_msgs m = { 0 };
	bool not = false;

	if (t == T_NOT) {
		not = true;
		t = consume(p, true, &lit);
	}
	if (t != T_IDENT) {
		fail(p, "unable to parse requirement: found '%s', expected: identifier", lit);
		return false;
	}
	k8s_check_qualified_name(lit, &m);
	if (m.n) {
		/* The parser checks the key with no field path: Go prints a nil
		 * path as "<nil>". */
		char *s = invalid("<nil>", lit, &m);

		fail(p, "unable to parse requirement: %s", s ? s : "invalid key");
		free(s);
		k8s_msgs_free(&m);
		return false;
	}
	k8s_msgs_free(&m);
	r->key = strdup(lit);
	if (!r->key) {
		p->oom = true;
		return false;
	}
	t = lookahead(p, true, NULL);
	*unary = not || t == T_END || t == T_COMMA;
	r->op = not ? LABELSEL_DOES_NOT_EXIST : LABELSEL_EXISTS;
	return true;
}

static bool parse_op(struct parser *p, struct labelsel_req *r)
{
	const char *lit;

	switch (consume(p, false, &lit)) {
	case T_IN: r->op = LABELSEL_IN; return true;
	case T_EQ: r->op = LABELSEL_EQUALS; return true;
	case T_DEQ: r->op = LABELSEL_DOUBLE_EQUALS; return true;
	case T_GT: r->op = LABELSEL_GREATER_THAN; return true;
	case T_LT: r->op = LABELSEL_LESS_THAN; return true;
	case T_NOTIN: r->op = LABELSEL_NOT_IN; return true;
	case T_NEQ: r->op = LABELSEL_NOT_EQUALS; return true;
	default:
		fail(p, "unable to parse requirement: found '%s', expected: in, notin, =, ==, !=, gt, lt",
		     lit);
		return false;
	}
}

/* "(a, b, c)": empty members are "" ("(,a)" holds "" and "a"). */
static bool parse_values(struct parser *p, struct labelsel_req *r)
{
	const char *lit, *lit2;
	enum tok t = consume(p, true, &lit);

	if (t != T_OPEN) {
		fail(p, "unable to parse requirement: found '%s' expected: '('", lit);
		return false;
	}
	t = lookahead(p, true, &lit);
	if (t == T_CLOSE) {
		consume(p, true, NULL);
		insert(p, r, "");
		return true;
	}
	if (t != T_IDENT && t != T_COMMA) {
		fail(p, "unable to parse requirement: found '%s', expected: ',', ')' or identifier", lit);
		return false;
	}
	/* The identifiers list. */
	for (;;) {
		t = consume(p, true, &lit2);
		if (t == T_IDENT) {
			insert(p, r, lit2);
			t = lookahead(p, true, &lit2);
			if (t == T_COMMA)
				continue;
			if (t == T_CLOSE)
				break;
			fail(p, "unable to parse requirement: found '%s', expected: ',' or ')'", lit2);
			return false;
		} else if (t == T_COMMA) {
			if (r->n_values == 0)
				insert(p, r, "");
			t = lookahead(p, true, NULL);
			if (t == T_CLOSE) {
				insert(p, r, "");
				break;
			}
			if (t == T_COMMA) {
				consume(p, true, NULL);
				insert(p, r, "");
			}
		} else {
			fail(p, "unable to parse requirement: found '%s', expected: ',', or identifier", lit2);
			return false;
		}
	}
	/* Go reports the token seen before the list here, a quirk kept. */
	if (consume(p, true, NULL) != T_CLOSE) {
		fail(p, "unable to parse requirement: found '%s', expected: ')'", lit);
		return false;
	}
	return true;
}

static bool parse_exact_value(struct parser *p, struct labelsel_req *r)
{
	const char *lit;
	enum tok t = lookahead(p, true, NULL);

	if (t == T_END || t == T_COMMA) {
		insert(p, r, "");
		return true;
	}
	t = consume(p, true, &lit);
	if (t == T_IDENT) {
		insert(p, r, lit);
		return true;
	}
	fail(p, "unable to parse requirement: found '%s', expected: identifier", lit);
	return false;
}

static bool parse_requirement(struct parser *p, struct labelsel_req *r)
{
	bool unary = false, ok;

	if (!parse_key(p, r, &unary))
		return false;
	if (unary)
		return true;
	if (!parse_op(p, r))
		return false;
	if (r->op == LABELSEL_IN || r->op == LABELSEL_NOT_IN)
		ok = parse_values(p, r);
	else
		ok = parse_exact_value(p, r);
	if (!ok)
		return false;
	check_req(p, r);
	return !p->err && !p->oom;
}

static int req_cmp(const void *a, const void *b)
{
	return strcmp(((const struct labelsel_req *)a)->key, ((const struct labelsel_req *)b)->key);
}

int labelsel_parse(const char *s, struct labelsel **out, struct pn_err *err)
{
	struct parser p = { 0 };
	struct labelsel *sel = calloc(1, sizeof(*sel));
	int ret = 0;

	*out = NULL;
	if (!sel || scan(&p, s) < 0) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		const char *lit;
		enum tok t = lookahead(&p, true, &lit);

		if (t == T_END)
			break;
		if (t != T_IDENT && t != T_NOT) {
			fail(&p, "found '%s', expected: !, identifier, or 'end of string'", lit);
			break;
		}
		{
			struct labelsel_req r = { 0 }, *v;

			if (!parse_requirement(&p, &r)) {
				req_free(&r);
				break;
			}
			v = realloc(sel->reqs, (sel->n + 1) * sizeof(*v));
			if (!v) {
				req_free(&r);
				p.oom = true;
				break;
			}
			sel->reqs = v;
			v[sel->n++] = r;
		}
		t = consume(&p, true, &lit);
		if (t == T_END)
			break;
		if (t != T_COMMA) {
			fail(&p, "found '%s', expected: ',' or 'end of string'", lit);
			break;
		}
		t = lookahead(&p, true, &lit);
		if (t != T_IDENT && t != T_NOT) {
			fail(&p, "found '%s', expected: identifier after ','", lit);
			break;
		}
	}
	if (p.oom)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	else if (p.err)
		ret = pn_error(err, PN_E_BAD_REQUEST, 0, "%s", p.err);
	if (ret == 0) {
		/* Kubernetes sorts requirements by key (stable order of
		 * insertion otherwise); the order does not change a match. */
		if (sel->n)
			qsort(sel->reqs, sel->n, sizeof(*sel->reqs), req_cmp);
		*out = sel;
		sel = NULL;
	}
out:
	for (size_t i = 0; i < p.n; i++)
		free(p.items[i].lit);
	free(p.items);
	free(p.err);
	labelsel_free(sel);
	return ret;
}

void labelsel_free(struct labelsel *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		req_free(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}

bool labelsel_empty(const struct labelsel *sel)
{
	return !sel || sel->n == 0;
}

static bool has_value(const struct labelsel_req *r, const char *v)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (!strcmp(r->values[i], v))
			return true;
	return false;
}

static bool req_matches(const struct labelsel_req *r, labelsel_lookup_fn get, void *ctx)
{
	const char *v = get(ctx, r->key);

	switch (r->op) {
	case LABELSEL_IN:
	case LABELSEL_EQUALS:
	case LABELSEL_DOUBLE_EQUALS:
		return v && has_value(r, v);
	case LABELSEL_NOT_IN:
	case LABELSEL_NOT_EQUALS:
		return !v || !has_value(r, v);
	case LABELSEL_EXISTS:
		return v != NULL;
	case LABELSEL_DOES_NOT_EXIST:
		return v == NULL;
	case LABELSEL_GREATER_THAN:
	case LABELSEL_LESS_THAN: {
		long long a, b;
		char *end;

		if (!v || r->n_values != 1 || !parse_int64(v) || !parse_int64(r->values[0]))
			return false;
		a = strtoll(v, &end, 10);
		b = strtoll(r->values[0], &end, 10);
		return r->op == LABELSEL_GREATER_THAN ? a > b : a < b;
	}
	}
	return false;
}

bool labelsel_matches(const struct labelsel *sel, labelsel_lookup_fn get, void *ctx)
{
	for (size_t i = 0; sel && i < sel->n; i++)
		if (!req_matches(&sel->reqs[i], get, ctx))
			return false;
	return true;
}

static const char *kvs_get(void *ctx, const char *key)
{
	return pn_kvs_get(ctx, key);
}

bool labelsel_matches_kvs(const struct labelsel *sel, const struct pn_kvs *labels)
{
	return labelsel_matches(sel, kvs_get, (void *)labels);
}
