/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes manifests → validated Pod/Namespace structs, and back.
 *
 * The pipeline copies what `kubectl apply -f` and the API server do to the
 * same bytes, in the same order, so that the first error we report is the
 * one kubectl would print, worded the same way:
 *
 *   1. YAML → JSON per document, with go-yaml v2's YAML 1.1 resolution
 *      (yes/no/on/off are booleans, 0755 is octal, timestamps stay strings)
 *      as sigs.k8s.io/yaml does;                    "error parsing ..."
 *   2. kubectl's client-side OpenAPI check (kubectl <= 1.24, --validate=true):
 *      unknown fields, wrong types, missing required fields, reported for
 *      the whole object in sorted-key order;        "error validating ..."
 *   3. the REST mapping: only v1 Pod and Namespace exist here;
 *                                                   "resource mapping not found ..."
 *   4. kubectl apply's GET of the live object, which needs a name;
 *                                                   "resource name may not be empty"
 *   5. the API server's JSON decoding into Go structs (the OpenAPI check lets a
 *      number through where a string is expected, Go does not);
 *                                                   "Error from server (BadRequest) ..."
 *   6. defaulting, then the API server's validation, all errors at once;
 *                                                   "The Pod "x" is invalid: ..."
 *
 * Fields that Kubernetes knows but podnet does not implement are either
 * ignored (scheduling and cluster-only settings with no meaning on one node)
 * or, when setting them would change how containers run, rejected in step 6
 * with "Forbidden: not supported by podnet" unless empty: silently dropping
 * a volume or a probe would make the pod lie about what it does.
 */
#include "manifest.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "buf.h"
#include "k8sval.h"

/* Our own bounds on hostile input: nesting (jansson frees recursively) and
 * nodes after alias expansion (the "billion laughs" document). */
#define MAX_DEPTH 1000
#define MAX_NODES 1000000

#define GRACE_DEFAULT 30
#define ANNOTATIONS_MAX (256 * 1024) /* TotalAnnotationSizeLimitB */

/* ------------------------------------------------------------------ text */

/*
 * A list of formatted messages, in the order they were found.  A field
 * error, "<field>: <body>", also keeps its reason (metav1.CauseType) and the
 * length of its field path, so that it becomes a cause of the error.
 */
struct msg_cause {
	const char *reason; /* NULL: not a field error */
	size_t field_len;
};

struct msgs {
	char **v;
	struct msg_cause *cause;
	size_t n;
	bool oom;
};

static void msgs_push(struct msgs *m, struct pn_buf *b, const char *reason, size_t field_len)
{
	struct msg_cause *c = NULL;
	char **t = NULL;

	if (!b->failed && b->s) {
		t = realloc(m->v, (m->n + 1) * sizeof(*t));
		if (t)
			m->v = t;
		c = t ? realloc(m->cause, (m->n + 1) * sizeof(*c)) : NULL;
		if (c)
			m->cause = c;
	}
	if (!t || !c) {
		m->oom = true;
		free(b->s);
	} else {
		m->v[m->n] = b->s;
		m->cause[m->n] = (struct msg_cause){ reason, field_len };
		m->n++;
	}
	memset(b, 0, sizeof(*b));
}

static void msgs_take(struct msgs *m, struct pn_buf *b)
{
	msgs_push(m, b, NULL, 0);
}

static void msgs_add(struct msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msgs_add(struct msgs *m, const char *fmt, ...)
{
	struct pn_buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	pn_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	msgs_take(m, &b);
}

static void msgs_free(struct msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	free(m->cause);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------- field errors (k8s field.Error) */

/* The reasons of k8s.io/apimachinery/pkg/util/validation/field. */
#define FE_INVALID "FieldValueInvalid"
#define FE_REQUIRED "FieldValueRequired"
#define FE_DUPLICATE "FieldValueDuplicate"
#define FE_NOT_SUPPORTED "FieldValueNotSupported"
#define FE_TOO_LONG "FieldValueTooLong"
#define FE_FORBIDDEN "FieldValueForbidden"

/* "<field>: " in @b, to which the caller appends the body. */
static void fe_start(struct pn_buf *b, const char *field)
{
	pn_buf_puts(b, field);
	pn_buf_puts(b, ": ");
}

static void fe_done(struct msgs *e, struct pn_buf *b, const char *reason, const char *field)
{
	msgs_push(e, b, reason, strlen(field));
}

static void fe_printf(struct msgs *e, const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fe_printf(struct msgs *e, const char *reason, const char *field, const char *fmt, ...)
{
	struct pn_buf b = { 0 };
	va_list ap;

	fe_start(&b, field);
	va_start(ap, fmt);
	pn_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	fe_done(e, &b, reason, field);
}

static void fe_invalid_str(struct msgs *e, const char *field, const char *value, const char *detail)
{
	struct pn_buf b = { 0 };

	fe_start(&b, field);
	pn_buf_puts(&b, "Invalid value: ");
	k8s_goquote_buf(&b, value);
	pn_buf_printf(&b, ": %s", detail);
	fe_done(e, &b, FE_INVALID, field);
}

static void fe_invalid_int(struct msgs *e, const char *field, long long v, const char *detail)
{
	fe_printf(e, FE_INVALID, field, "Invalid value: %lld: %s", v, detail);
}

static void fe_required(struct msgs *e, const char *field)
{
	fe_printf(e, FE_REQUIRED, field, "Required value");
}

static void fe_duplicate(struct msgs *e, const char *field, const char *value)
{
	struct pn_buf b = { 0 };

	fe_start(&b, field);
	pn_buf_puts(&b, "Duplicate value: ");
	k8s_goquote_buf(&b, value);
	fe_done(e, &b, FE_DUPLICATE, field);
}

static void fe_not_supported(struct msgs *e, const char *field, const char *value,
			     const char *const *valid)
{
	struct pn_buf b = { 0 };
	size_t i;

	fe_start(&b, field);
	pn_buf_puts(&b, "Unsupported value: ");
	k8s_goquote_buf(&b, value);
	pn_buf_puts(&b, ": supported values: ");
	for (i = 0; valid[i]; i++) {
		if (i)
			pn_buf_puts(&b, ", ");
		k8s_goquote_buf(&b, valid[i]);
	}
	fe_done(e, &b, FE_NOT_SUPPORTED, field);
}

/* ------------------------------------------- k8s.io/apimachinery validation */

/* One field.Invalid per message of a validation.IsXxx check. */
static void invalid_each(struct msgs *e, const char *field, const char *value, struct k8s_msgs *raw)
{
	size_t i;

	if (raw->oom)
		e->oom = true;
	for (i = 0; i < raw->n; i++)
		fe_invalid_str(e, field, value, raw->v[i]);
	k8s_msgs_free(raw);
}

/* ------------------------------------------ YAML 1.1 resolution (go-yaml v2) */

enum rtag { RT_STR, RT_NULL, RT_BOOL, RT_INT, RT_FLOAT, RT_TIMESTAMP };

static const char *const y_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_true[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
				      "true", "True", "TRUE", NULL };
static const char *const y_false[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF",
				       "false", "False", "FALSE", NULL };
static const char *const y_nan[] = { ".nan", ".NaN", ".NAN", NULL };
static const char *const y_pinf[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
static const char *const y_ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

static bool c_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Move *pp past [0-9]*; returns how many digits it passed. */
static size_t skip_digits(const char **pp)
{
	const char *start = *pp;

	while (c_digit(**pp))
		(*pp)++;
	return (size_t)(*pp - start);
}

/* strconv.ParseInt(s, 0, 64), then ParseUint: 1 = int64, 2 = only fits uint64. */
static int go_parse_int(const char *s, long long *iv, double *dv)
{
	unsigned long long v = 0;
	bool neg = false, sign = false;
	const char *p = s;
	int base = 10, d;

	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		sign = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p++;
	}
	if (!*p)
		return 0;
	for (; *p; p++) {
		if (c_digit(*p))
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return 0;
		if (d >= base)
			return 0;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return 0;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return 0;
		*iv = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
		return 1;
	}
	if (v <= (unsigned long long)LLONG_MAX) {
		*iv = (long long)v;
		return 1;
	}
	if (sign) /* ParseUint takes no sign */
		return 0;
	*dv = (double)v;
	return 2;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float_re(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		if (!skip_digits(&p))
			return false;
	} else {
		if (!skip_digits(&p))
			return false;
		if (*p == '.') {
			p++;
			skip_digits(&p);
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!skip_digits(&p))
			return false;
	}
	return *p == '\0';
}

/* Up to @max digits (at least one) as a number in [lo, hi]. */
static bool take_num(const char **pp, int max, int lo, int hi)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (n < max && c_digit(*p)) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || v < lo || v > hi)
		return false;
	*pp = p;
	return true;
}

/*
 * go-yaml v2's parseTimestamp formats: "2006-1-2T15:4:5.999999999Z07:00" (also
 * with 't'), "2006-1-2 15:4:5.999999999", "2006-1-2".
 */
static bool yaml_timestamp(const char *s)
{
	const char *p = s;
	char sep;

	if (!take_num(&p, 4, 0, 9999) || p - s != 4 || *p++ != '-')
		return false;
	if (!take_num(&p, 2, 1, 12) || *p++ != '-' || !take_num(&p, 2, 1, 31))
		return false;
	if (!*p)
		return true;
	sep = *p++;
	if (sep != 'T' && sep != 't' && sep != ' ')
		return false;
	if (!take_num(&p, 2, 0, 23) || *p++ != ':' || !take_num(&p, 2, 0, 59) || *p++ != ':' ||
	    !take_num(&p, 2, 0, 59))
		return false;
	if (*p == '.') {
		p++;
		if (!skip_digits(&p))
			return false;
	}
	if (sep == ' ')
		return *p == '\0';
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p != '+' && *p != '-')
		return false;
	p++;
	if (!c_digit(p[0]) || !c_digit(p[1]) || p[2] != ':' || !c_digit(p[3]) || !c_digit(p[4]))
		return false;
	return p[5] == '\0';
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ : YAML 1.1 sexagesimal */
static bool yaml_base60(const char *s)
{
	const char *p = s;
	int groups = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (!c_digit(*p))
		return false;
	while (c_digit(*p) || *p == '_')
		p++;
	while (*p == ':') {
		p++;
		if (c_digit(p[0]) && c_digit(p[1])) {
			if (p[0] > '5')
				return false;
			p += 2;
		} else if (c_digit(p[0])) {
			p++;
		} else {
			return false;
		}
		groups++;
	}
	if (!groups)
		return false;
	if (*p == '.') {
		p++;
		while (c_digit(*p) || *p == '_')
			p++;
	}
	return *p == '\0';
}

/* go-yaml v2 resolve("", s) for a plain scalar. */
static enum rtag yaml_resolve(const char *s, long long *iv, double *dv, bool *bv)
{
	char *plain, *w;
	const char *r;
	enum rtag t = RT_STR;
	int k;

	if (in_list(s, y_null))
		return RT_NULL;
	if (in_list(s, y_true) || in_list(s, y_false)) {
		*bv = in_list(s, y_true);
		return RT_BOOL;
	}
	if (in_list(s, y_nan)) {
		*dv = NAN;
		return RT_FLOAT;
	}
	if (in_list(s, y_pinf) || in_list(s, y_ninf)) {
		*dv = s[0] == '-' ? -INFINITY : INFINITY;
		return RT_FLOAT;
	}
	if (s[0] == '.') {
		if (yaml_float_re(s)) {
			*dv = strtod(s, NULL);
			return RT_FLOAT;
		}
		return RT_STR;
	}
	if (!c_digit(s[0]) && s[0] != '+' && s[0] != '-')
		return RT_STR;
	if (yaml_timestamp(s))
		return RT_TIMESTAMP;
	/* go-yaml drops every '_' before trying numbers */
	plain = malloc(strlen(s) + 1);
	if (!plain)
		return RT_STR;
	for (r = s, w = plain; *r; r++)
		if (*r != '_')
			*w++ = *r;
	*w = '\0';
	k = go_parse_int(plain, iv, dv);
	if (k == 1)
		t = RT_INT;
	else if (k == 2)
		t = RT_FLOAT;
	else if (yaml_float_re(plain)) {
		*dv = strtod(plain, NULL);
		t = RT_FLOAT;
	}
	free(plain);
	return t;
}

/* ------------------------------------------------------- YAML → JSON */

struct yanchor {
	char *name;
	json_t *node;
	size_t count;
};

struct yframe {
	json_t *node;   /* array or object under construction */
	char *anchor;
	char *key;      /* mapping: key awaiting its value */
	bool have_key;
	bool merge;     /* the pending key is a "<<" merge key */
	json_t *merges; /* mapping: sources merged in at the end */
	size_t count;   /* nodes below, aliases expanded */
};

struct yloader {
	yaml_parser_t parser;
	bool parser_ok;
	struct yframe *st;
	size_t depth, cap;
	struct yanchor *anchors;
	size_t n_anchors;
	json_t *root;
	bool have_root;
	size_t nodes;      /* in this document, aliases expanded */
	struct pn_buf msg;   /* the go-yaml style error ("yaml: line 3: ...") */
	size_t line, col;  /* 1-based position of that error, 0 if unknown */
	bool oom;
};

static void yl_reset_doc(struct yloader *y)
{
	size_t i;

	for (i = 0; i < y->depth; i++) {
		json_decref(y->st[i].node);
		json_decref(y->st[i].merges);
		free(y->st[i].anchor);
		free(y->st[i].key);
	}
	y->depth = 0;
	for (i = 0; i < y->n_anchors; i++) {
		free(y->anchors[i].name);
		json_decref(y->anchors[i].node);
	}
	free(y->anchors);
	y->anchors = NULL;
	y->n_anchors = 0;
	json_decref(y->root);
	y->root = NULL;
	y->have_root = false;
	y->nodes = 0;
}

static int yl_fail(struct yloader *y, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int yl_fail(struct yloader *y, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	/* Only the last error is kept; none of ours quotes the one before. */
	pn_buf_reset(&y->msg);
	if (m) {
		y->line = m->line + 1;
		y->col = m->column + 1;
		pn_buf_printf(&y->msg, "yaml: line %zu: ", y->line);
	} else {
		pn_buf_puts(&y->msg, "yaml: ");
	}
	va_start(ap, fmt);
	pn_buf_vprintf(&y->msg, fmt, ap);
	va_end(ap);
	if (y->msg.failed)
		y->oom = true;
	return -1;
}

static int yl_oom(struct yloader *y)
{
	y->oom = true;
	return -1;
}

static int yl_register_anchor(struct yloader *y, char *name, json_t *node, size_t count)
{
	struct yanchor *t;
	size_t i;

	/* A redefined anchor shadows the old one from here on (YAML 1.1). */
	for (i = 0; i < y->n_anchors; i++) {
		if (strcmp(y->anchors[i].name, name) == 0) {
			free(name);
			json_decref(y->anchors[i].node);
			y->anchors[i].node = json_incref(node);
			y->anchors[i].count = count;
			return 0;
		}
	}
	t = realloc(y->anchors, (y->n_anchors + 1) * sizeof(*t));
	if (!t) {
		free(name);
		return yl_oom(y);
	}
	y->anchors = t;
	t[y->n_anchors].name = name;
	t[y->n_anchors].node = json_incref(node);
	t[y->n_anchors].count = count;
	y->n_anchors++;
	return 0;
}

/* The text of a scalar used as a mapping key, as sigs.k8s.io/yaml stringifies it. */
static char *key_text(json_t *k)
{
	char *s = NULL;

	switch (json_typeof(k)) {
	case JSON_STRING:
		return strdup(json_string_value(k));
	case JSON_INTEGER:
		if (asprintf(&s, "%lld", (long long)json_integer_value(k)) < 0)
			return NULL;
		return s;
	case JSON_REAL: {
		double d = json_real_value(k);

		if (isnan(d))
			return strdup(".nan");
		if (isinf(d))
			return strdup(d < 0 ? "-.inf" : ".inf");
		if (asprintf(&s, "%g", d) < 0)
			return NULL;
		return s;
	}
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	default:
		return NULL;
	}
}

/* Hand a finished node (reference stolen) to its parent. */
static int yl_add(struct yloader *y, json_t *v, size_t count, bool merge_key, const yaml_mark_t *m)
{
	struct yframe *f;
	size_t i;
	int rc;

	if (y->depth == 0) {
		y->root = v;
		y->have_root = true;
		return 0;
	}
	f = &y->st[y->depth - 1];
	f->count += count;
	if (json_is_array(f->node)) {
		if (json_array_append_new(f->node, v) < 0)
			return yl_oom(y);
		return 0;
	}
	if (!f->have_key) {
		if (merge_key) {
			f->merge = true;
			f->have_key = true;
			json_decref(v);
			return 0;
		}
		if (json_is_null(v)) {
			json_decref(v);
			return yl_fail(y, m, "unsupported map key: null");
		}
		if (json_is_object(v) || json_is_array(v)) {
			json_decref(v);
			return yl_fail(y, m, "invalid map key: a mapping or sequence");
		}
		f->key = key_text(v);
		json_decref(v);
		if (!f->key)
			return yl_oom(y);
		f->have_key = true;
		return 0;
	}
	f->have_key = false;
	if (f->merge) {
		f->merge = false;
		/* go-yaml: the value of "<<" is a mapping or a sequence of them */
		if (json_is_array(v)) {
			for (i = 0; i < json_array_size(v); i++)
				if (!json_is_object(json_array_get(v, i)))
					break;
			if (i < json_array_size(v)) {
				json_decref(v);
				return yl_fail(y, m, "map merge requires map or sequence of maps as the value");
			}
		} else if (!json_is_object(v)) {
			json_decref(v);
			return yl_fail(y, m, "map merge requires map or sequence of maps as the value");
		}
		if (!f->merges && !(f->merges = json_array()))
			rc = -1;
		else
			rc = json_array_append(f->merges, v);
		json_decref(v);
		return rc < 0 ? yl_oom(y) : 0;
	}
	/* Duplicate keys: the last one wins, as in go-yaml v2. */
	rc = json_object_set_new(f->node, f->key, v);
	free(f->key);
	f->key = NULL;
	return rc < 0 ? yl_oom(y) : 0;
}

static void merge_into(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v)
		if (!json_object_get(dst, k))
			json_object_set(dst, k, v);
}

static int yl_open(struct yloader *y, json_t *node, const yaml_char_t *anchor, const yaml_mark_t *m)
{
	if (!node)
		return yl_oom(y);
	if (y->depth >= MAX_DEPTH) {
		json_decref(node);
		return yl_fail(y, m, "exceeded max depth of %d", MAX_DEPTH);
	}
	if (pn_grow(&y->st, &y->cap, y->depth, sizeof(*y->st))) {
		json_decref(node);
		return yl_oom(y);
	}
	memset(&y->st[y->depth], 0, sizeof(y->st[0]));
	y->st[y->depth].node = node;
	if (anchor && !(y->st[y->depth].anchor = strdup((const char *)anchor))) {
		json_decref(node);
		return yl_oom(y);
	}
	y->depth++;
	if (++y->nodes > MAX_NODES)
		return yl_fail(y, NULL, "document contains excessive aliasing");
	return 0;
}

static int yl_close(struct yloader *y, const yaml_mark_t *m)
{
	struct yframe f = y->st[--y->depth];
	size_t i, j;
	json_t *src;

	if (f.merges) {
		for (i = 0; i < json_array_size(f.merges); i++) {
			src = json_array_get(f.merges, i);
			if (json_is_object(src))
				merge_into(f.node, src);
			else
				for (j = 0; j < json_array_size(src); j++)
					merge_into(f.node, json_array_get(src, j));
		}
		json_decref(f.merges);
	}
	free(f.key);
	if (f.anchor && yl_register_anchor(y, f.anchor, f.node, f.count + 1) < 0) {
		json_decref(f.node);
		return -1;
	}
	return yl_add(y, f.node, f.count + 1, false, m);
}

static json_t *scalar_json(struct yloader *y, const yaml_event_t *ev, int *rc)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const char *t = NULL;
	long long iv = 0;
	double dv = 0;
	bool bv = false;
	enum rtag r;

	*rc = 0;
	/* Our structs hold C strings; a "\0" escape cannot survive them. */
	if (memchr(s, '\0', ev->data.scalar.length)) {
		*rc = yl_fail(y, &ev->start_mark, "NUL character in a scalar is not supported");
		return NULL;
	}
	if (tag && strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
		t = tag + 18;
	if (t && (strcmp(t, "str") == 0 || strcmp(t, "binary") == 0 || strcmp(t, "timestamp") == 0))
		return json_string(s);
	if (!t && (tag || !plain)) /* quoted, "!" or a local tag: a string */
		return json_string(s);

	r = yaml_resolve(s, &iv, &dv, &bv);
	if (t && strcmp(t, "null") && strcmp(t, "bool") && strcmp(t, "int") && strcmp(t, "float"))
		t = NULL; /* !!map, !!seq, !!merge on a scalar: go by the content */
	if (t && ((strcmp(t, "null") == 0 && r != RT_NULL) || (strcmp(t, "bool") == 0 && r != RT_BOOL) ||
		  (strcmp(t, "int") == 0 && r != RT_INT) ||
		  (strcmp(t, "float") == 0 && r != RT_FLOAT && r != RT_INT))) {
		*rc = yl_fail(y, &ev->start_mark, "cannot decode !!str `%.40s` as a !!%s", s, t);
		return NULL;
	}
	switch (r) {
	case RT_NULL:
		return json_null();
	case RT_BOOL:
		return json_boolean(bv);
	case RT_INT:
		if (t && strcmp(t, "float") == 0)
			return json_real((double)iv);
		return json_integer(iv);
	case RT_FLOAT:
		/* JSON has no NaN or infinity; sigs.k8s.io/yaml fails the same way. */
		if (isnan(dv) || isinf(dv)) {
			*rc = yl_fail(y, NULL, "json: unsupported value: %s", isnan(dv) ? "NaN" : dv < 0 ? "-Inf" : "+Inf");
			return NULL;
		}
		return json_real(dv);
	case RT_STR:
	case RT_TIMESTAMP: /* v2 keeps timestamps as strings for interface{} targets */
		break;
	}
	return json_string(s);
}

static int yl_parser_error(struct yloader *y)
{
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem ? p->problem : "unknown problem parsing YAML content";

	if (p->error == YAML_MEMORY_ERROR)
		return yl_oom(y);
	if (p->error == YAML_READER_ERROR)
		return yl_fail(y, NULL, "%s", problem);
	/*
	 * go-yaml's parser.fail() numbers the line kubectl prints: a scanner
	 * error names its mark's line (1-based), a parser error
	 * problem_mark.line as it is (0-based: one less), else the context's;
	 * line 0 is not named.  The details keep the real position.
	 */
	{
		size_t line = 0;

		yl_fail(y, &p->problem_mark, "%s", problem);
		if (p->problem_mark.line != 0)
			line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR);
		else if (p->context_mark.line != 0)
			line = p->context_mark.line;
		pn_buf_reset(&y->msg);
		if (line)
			pn_buf_printf(&y->msg, "yaml: line %zu: %s", line, problem);
		else
			pn_buf_printf(&y->msg, "yaml: %s", problem);
		if (y->msg.failed)
			y->oom = true;
		return -1;
	}
}

/*
 * The next document of the stream as JSON (null for an empty one).
 * Returns 1 with *doc set, 0 at the end of the stream, -1 on error
 * (y->msg, or y->oom).
 */
static int yl_next(struct yloader *y, json_t **doc)
{
	yaml_event_t ev;
	json_t *v;
	struct yanchor *a;
	size_t i;
	int rc = 0, done = 0;

	*doc = NULL;
	while (!done) {
		if (!yaml_parser_parse(&y->parser, &ev))
			return yl_parser_error(y);
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_NO_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			rc = 0;
			break;
		case YAML_DOCUMENT_START_EVENT:
			yl_reset_doc(y);
			break;
		case YAML_DOCUMENT_END_EVENT:
			*doc = y->have_root ? y->root : json_null();
			y->root = NULL;
			y->have_root = false;
			done = 1;
			rc = *doc ? 1 : yl_oom(y);
			break;
		case YAML_SCALAR_EVENT:
			v = scalar_json(y, &ev, &rc);
			if (!v) {
				rc = rc < 0 ? rc : yl_oom(y);
				break;
			}
			if (++y->nodes > MAX_NODES) {
				json_decref(v);
				rc = yl_fail(y, NULL, "document contains excessive aliasing");
				break;
			}
			if (ev.data.scalar.anchor) {
				char *name = strdup((const char *)ev.data.scalar.anchor);

				if (!name || yl_register_anchor(y, name, v, 1) < 0) {
					json_decref(v);
					rc = yl_oom(y);
					break;
				}
			}
			rc = yl_add(y, v, 1,
				    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag &&
					    strcmp((const char *)ev.data.scalar.value, "<<") == 0,
				    &ev.start_mark);
			break;
		case YAML_ALIAS_EVENT:
			a = NULL;
			for (i = y->n_anchors; i-- > 0;)
				if (strcmp(y->anchors[i].name, (const char *)ev.data.alias.anchor) == 0) {
					a = &y->anchors[i];
					break;
				}
			if (!a) {
				rc = yl_fail(y, NULL, "unknown anchor '%s' referenced",
					     (const char *)ev.data.alias.anchor);
				break;
			}
			y->nodes += a->count;
			if (y->nodes > MAX_NODES) {
				rc = yl_fail(y, NULL, "document contains excessive aliasing");
				break;
			}
			rc = yl_add(y, json_incref(a->node), a->count, false, &ev.start_mark);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = yl_open(y, json_array(), ev.data.sequence_start.anchor, &ev.start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = yl_open(y, json_object(), ev.data.mapping_start.anchor, &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = yl_close(y, &ev.start_mark);
			break;
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
	}
	return rc;
}

static void yl_free(struct yloader *y)
{
	yl_reset_doc(y);
	free(y->st);
	free(y->msg.s);
	if (y->parser_ok)
		yaml_parser_delete(&y->parser);
}

/* ------------------------------------------------- JSON → structs: decoding */

/* OpenAPI definition names kubectl prints in its schema errors. */
#define T_POD "io.k8s.api.core.v1.Pod"
#define T_NS "io.k8s.api.core.v1.Namespace"
#define T_META "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#define T_SPEC "io.k8s.api.core.v1.PodSpec"
#define T_CTR "io.k8s.api.core.v1.Container"
#define T_PORT "io.k8s.api.core.v1.ContainerPort"
#define T_ENV "io.k8s.api.core.v1.EnvVar"
#define T_NP "io.k8s.api.networking.v1.NetworkPolicy"
#define T_NPSPEC "io.k8s.api.networking.v1.NetworkPolicySpec"
#define T_NPINGRESS "io.k8s.api.networking.v1.NetworkPolicyIngressRule"
#define T_NPEGRESS "io.k8s.api.networking.v1.NetworkPolicyEgressRule"
#define T_NPPEER "io.k8s.api.networking.v1.NetworkPolicyPeer"
#define T_NPPORT "io.k8s.api.networking.v1.NetworkPolicyPort"
#define T_IPBLOCK "io.k8s.api.networking.v1.IPBlock"
#define T_LSEL "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"
#define T_LSELREQ "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"
#define T_PROBE "io.k8s.api.core.v1.Probe"
#define T_EXEC "io.k8s.api.core.v1.ExecAction"
#define T_HTTPGET "io.k8s.api.core.v1.HTTPGetAction"
#define T_HTTPHDR "io.k8s.api.core.v1.HTTPHeader"
#define T_TCPSOCK "io.k8s.api.core.v1.TCPSocketAction"
#define T_GRPC "io.k8s.api.core.v1.GRPCAction"
#define T_SVC "io.k8s.api.core.v1.Service"
#define T_SVCSPEC "io.k8s.api.core.v1.ServiceSpec"
#define T_SVCPORT "io.k8s.api.core.v1.ServicePort"
#define T_AFFCFG "io.k8s.api.core.v1.SessionAffinityConfig"
#define T_CLIENTIP "io.k8s.api.core.v1.ClientIPConfig"

struct dec {
	const char *kind;       /* "Pod", "Namespace" */
	bool store;             /* pod_from_json: keep uid and creationTimestamp */
	bool api;               /* manifest_decode_api: the API server's decoding only */
	const char *go;         /* the Go struct being decoded (api mode's messages) */
	char path[512];         /* "spec.containers[0].ports[1]", API-server style */
	size_t plen;
	struct msgs client;     /* kubectl's schema validation */
	struct msgs decode;     /* the API server's JSON decoding; the first is shown */
	struct msgs forbidden;  /* known fields podnet does not implement */
	struct msgs invalid;    /* API-server validation */
	struct msgs unknown;    /* api mode: fields no Kubernetes version has */
	bool oom;
};

static size_t path_push(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct dec *d, const char *fmt, ...)
{
	size_t mark = d->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->path + d->plen, sizeof(d->path) - d->plen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(d->path) - d->plen) {
		/* only a huge map key gets here: its messages name the parent */
		d->path[mark] = '\0';
		return mark;
	}
	d->plen += (size_t)n;
	return mark;
}

static size_t path_field(struct dec *d, const char *name)
{
	return path_push(d, "%s%s", d->plen ? "." : "", name);
}

static void path_pop(struct dec *d, size_t mark)
{
	d->plen = mark;
	d->path[mark] = '\0';
}

/* kubectl's item path: "Pod.spec.containers[0]" */
static void client_err(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void client_err(struct dec *d, const char *fmt, ...)
{
	struct pn_buf b = { 0 };
	va_list ap;

	pn_buf_printf(&b, "ValidationError(%s%s%s): ", d->kind, d->plen ? "." : "", d->path);
	va_start(ap, fmt);
	pn_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	msgs_take(&d->client, &b);
}

/* The OpenAPI validator's name for a JSON value's kind. */
static const char *openapi_kind(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "map";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: break;
	}
	return "nil";
}

static void decode_err(struct dec *d, const char *what, const char *gostruct, const char *gotype);
static const char *go_kind(json_t *v);

/* Go's name of the type the OpenAPI one decodes into, for api mode. */
static const char *go_type(const char *expected)
{
	static const char *const map[][2] = {
		{ "string", "string" }, { "integer", "int32" }, { "boolean", "bool" },
		{ "array", "[]interface {}" }, { "map", "map[string]interface {}" },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], expected))
			return map[i][1];
	return expected;
}

static void client_type(struct dec *d, const char *tpath, json_t *v, const char *expected)
{
	if (d->api) {
		/* Without kubectl's schema check, Go's decoder is the first to
		 * see a wrong type. */
		decode_err(d, go_kind(v), d->go ? d->go : d->kind, go_type(expected));
		return;
	}
	client_err(d, "invalid type for %s: got \"%s\", expected \"%s\"", tpath, openapi_kind(v), expected);
}

/*
 * encoding/json's UnmarshalTypeError: "json: cannot unmarshal number into Go
 * struct field EnvVar.spec.containers.env.value of type string"; the field
 * path is the JSON path without indexes or map keys.
 */
static void decode_err(struct dec *d, const char *what, const char *gostruct, const char *gotype)
{
	struct pn_buf b = { 0 };
	const char *p;

	pn_buf_printf(&b, "json: cannot unmarshal %s into Go struct field %s.", what, gostruct);
	for (p = d->path; *p; p++) {
		if (*p == '[') {
			while (*p && *p != ']')
				p++;
			if (!*p)
				break;
			continue;
		}
		pn_buf_add(&b, p, 1);
	}
	pn_buf_printf(&b, " of type %s", gotype);
	msgs_take(&d->decode, &b);
}

static const char *go_kind(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: break;
	}
	return "null";
}

static char *xstrdup(struct dec *d, const char *s)
{
	char *r = strdup(s);

	if (!r)
		d->oom = true;
	return r;
}

/* A string field; numbers and booleans pass kubectl's check but not Go's. */
static void get_str(struct dec *d, json_t *v, const char *tpath, const char *gostruct, char **out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		free(*out);
		*out = xstrdup(d, json_string_value(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
		decode_err(d, go_kind(v), gostruct, "string");
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		client_type(d, tpath, v, "string");
		break;
	case JSON_NULL:
		break;
	}
}

static bool get_int(struct dec *d, json_t *v, const char *tpath, const char *gostruct,
		    const char *gotype, long long min, long long max, long long *out)
{
	char num[64];
	double r;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (json_integer_value(v) < min || json_integer_value(v) > max) {
			snprintf(num, sizeof(num), "number %lld", (long long)json_integer_value(v));
			decode_err(d, num, gostruct, gotype);
			return false;
		}
		*out = json_integer_value(v);
		return true;
	case JSON_REAL:
		/* YAML 80.0 reaches Go as JSON 80 and decodes; 80.5 does not */
		r = json_real_value(v);
		/* range first: the cast is only defined for values that fit */
		if (!(r >= (double)min && r <= (double)max) || r != (double)(long long)r) {
			snprintf(num, sizeof(num), "number %g", r);
			decode_err(d, num, gostruct, gotype);
			return false;
		}
		*out = (long long)r;
		return true;
	case JSON_NULL:
		return false;
	default:
		client_type(d, tpath, v, "integer");
		return false;
	}
}

static void get_bool(struct dec *d, json_t *v, const char *tpath, bool *out)
{
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (!json_is_null(v))
		client_type(d, tpath, v, "boolean");
}

/* []string: NULL-terminated vector, NULL when empty (omitempty). */
static void get_strv(struct dec *d, json_t *v, const char *tpath, const char *gostruct, char ***out)
{
	size_t i, n = 0, mark;
	char **vec;
	json_t *e;

	if (json_is_null(v))
		return;
	if (!json_is_array(v)) {
		client_type(d, tpath, v, "array");
		return;
	}
	vec = calloc(json_array_size(v) + 1, sizeof(*vec));
	if (!vec) {
		d->oom = true;
		return;
	}
	json_array_foreach(v, i, e) {
		mark = path_push(d, "[%zu]", i);
		if (json_is_null(e)) {
			path_pop(d, mark);
			if (!d->api)
				client_err(d, "unknown object type \"nil\" in %s.%s[%zu]", d->kind,
					   d->path, i);
			continue;
		}
		if (json_is_string(e)) {
			if ((vec[n] = xstrdup(d, json_string_value(e))))
				n++;
		} else if (json_is_object(e) || json_is_array(e)) {
			client_type(d, tpath, e, "string");
		} else {
			decode_err(d, go_kind(e), gostruct, "string");
		}
		path_pop(d, mark);
	}
	if (n == 0) {
		free(vec);
		vec = NULL;
	}
	*out = vec;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pn_kv *)a)->key, ((const struct pn_kv *)b)->key);
}

/* map[string]string (labels, annotations, nodeSelector), kept sorted by key. */
static void get_strmap(struct dec *d, json_t *v, const char *tpath, const char *gostruct,
		       struct pn_kvs *out)
{
	const char *k;
	json_t *e;
	size_t mark;

	if (json_is_null(v))
		return;
	if (!json_is_object(v)) {
		client_type(d, tpath, v, "map");
		return;
	}
	pn_kvs_free(out);
	out->items = calloc(json_object_size(v) ? json_object_size(v) : 1, sizeof(*out->items));
	if (!out->items) {
		d->oom = true;
		return;
	}
	json_object_foreach(v, k, e) {
		/* null: Go leaves the zero value, an empty string */
		if (json_is_string(e) || json_is_null(e)) {
			struct pn_kv *kv = &out->items[out->n];

			kv->key = xstrdup(d, k);
			kv->value = xstrdup(d, json_is_null(e) ? "" : json_string_value(e));
			if (kv->key && kv->value) {
				out->n++;
			} else {
				free(kv->key);
				free(kv->value);
				kv->key = kv->value = NULL;
			}
			continue;
		}
		if (json_is_object(e) || json_is_array(e)) {
			mark = path_field(d, k);
			client_type(d, tpath, e, "string");
			path_pop(d, mark);
			continue;
		}
		decode_err(d, go_kind(e), gostruct, "string");
	}
	qsort(out->items, out->n, sizeof(*out->items), kv_cmp);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* kubectl's validator visits fields in sorted order; so do we. */
static const char **sorted_keys(struct dec *d, json_t *o, size_t *n)
{
	const char **keys, *k;
	json_t *v;

	*n = 0;
	keys = calloc(json_object_size(o) + 1, sizeof(*keys));
	if (!keys) {
		d->oom = true;
		return NULL;
	}
	json_object_foreach(o, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), str_cmp);
	return keys;
}

/* "empty" as encoding/json's omitempty sees it */
static bool json_empty(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return json_object_size(v) == 0;
	case JSON_ARRAY: return json_array_size(v) == 0;
	case JSON_STRING: return json_string_length(v) == 0;
	case JSON_INTEGER: return json_integer_value(v) == 0;
	case JSON_REAL: return json_real_value(v) == 0;
	case JSON_FALSE:
	case JSON_NULL: return true;
	case JSON_TRUE: break;
	}
	return false;
}

static void unsupported(struct dec *d, json_t *v)
{
	if (!json_empty(v))
		fe_printf(&d->forbidden, FE_FORBIDDEN, d->path, "Forbidden: not supported by podnet");
}

static void unknown_field(struct dec *d, const char *key, const char *type)
{
	struct pn_buf b = { 0 };

	if (d->api) {
		/* kube-apiserver's strict decoding names the field's path:
		 * unknown field "spec.containers[0].bogus" */
		pn_buf_puts(&b, "unknown field ");
		pn_buf_printf(&b, "\"%s%s%s\"", d->path, d->plen ? "." : "", key);
		if (b.failed) {
			d->unknown.oom = true;
			free(b.s);
			return;
		}
		msgs_take(&d->unknown, &b);
		return;
	}

	/* reported on the enclosing object, as kubectl does */
	pn_buf_puts(&b, "unknown field ");
	k8s_goquote_buf(&b, key);
	if (b.failed) {
		d->client.oom = true;
		free(b.s);
		return;
	}
	client_err(d, "%s in %s", b.s, type);
	free(b.s);
}

static void missing_field(struct dec *d, json_t *o, const char *key, const char *type)
{
	json_t *v = json_object_get(o, key);

	/* The API server has no such check: its validation says Required. */
	if (d->api)
		return;
	if (!v || json_is_null(v))
		client_err(d, "missing required field \"%s\" in %s", key, type);
}

/* What the API server's defaulting and validation need beyond struct pn_service. */
struct svc_raw {
	char *type, *affinity, *etp, *itp;   /* as written; NULL: unset */
	char *cluster_ip, *ip_family_policy;
	char **cluster_ips, **ip_families;
	bool affinity_cfg;                    /* sessionAffinityConfig written */
	bool client_ip_cfg;                   /* ... .clientIP written */
	bool timeout_set;
	long long timeout;
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void svc_raw_free(struct svc_raw *r)
{
	free(r->type);
	free(r->affinity);
	free(r->etp);
	free(r->itp);
	free(r->cluster_ip);
	free(r->ip_family_policy);
	strv_free(r->cluster_ips);
	strv_free(r->ip_families);
	memset(r, 0, sizeof(*r));
}

/* What the API server's defaulting and validation need beyond struct pn_pod. */
struct pod_raw {
	char *restart;          /* spec.restartPolicy as written */
	char *dns;              /* spec.dnsPolicy as written (validated, not kept) */
	char **pull;            /* per container: imagePullPolicy as written */
	long long grace;
	bool grace_set;
	size_t n_pull;
};

static void pod_raw_free(struct pod_raw *r)
{
	size_t i;

	free(r->restart);
	free(r->dns);
	for (i = 0; i < r->n_pull; i++)
		free(r->pull[i]);
	free(r->pull);
	memset(r, 0, sizeof(*r));
}

/*
 * The objects podnet decodes, each described once by a table of its
 * fields (sorted by name, as kubectl's validator visits them) and read by
 * dec_object().  A field is one of:
 */
enum fkind {
	F_STR,          /* string */
	F_STRV,         /* []string */
	F_STRMAP,       /* map[string]string */
	F_BOOL,
	F_INT32,        /* int32, into an int */
	F_OBJECT,       /* an embedded object of ->type */
	F_LIST,         /* a list of objects of ->type: items at off, count at n_off */
	F_CALL,         /* ->call decodes it */
	F_IGNORED,      /* changes nothing on one node, or is set by the server: dropped */
	F_UNSUPPORTED,  /* would change how the pod runs: rejected unless empty */
};

/* What a field's decoder may reach besides its own object. */
struct fctx {
	struct pod_raw *raw;
	struct svc_raw *sraw;
	size_t idx;     /* the object's index in its list */
};

struct ftype;

struct field {
	const char *name;
	enum fkind kind;
	size_t off;                      /* in the object, or in struct pod_raw if raw */
	bool raw;                        /* ...in struct svc_raw if sraw */
	bool sraw;
	bool store_only;                 /* only pod_from_json reads it; else F_IGNORED */
	const struct ftype *type;        /* F_OBJECT, F_LIST */
	size_t n_off;                    /* F_LIST */
	void (*call)(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx);
};

struct ftype {
	const char *name;                /* the OpenAPI definition, in kubectl's errors */
	const char *go;                  /* the Go struct, in encoding/json's errors */
	size_t size;                     /* of the C struct, for lists */
	const struct field *fields;      /* up to a NULL name */
	const char *required;            /* kubectl's "missing required field", or NULL */
};

static void dec_object(struct dec *d, json_t *o, const struct ftype *t, void *obj,
		       struct fctx *cx);

/* A list of objects: containers, env, ports. */
static void get_objlist(struct dec *d, json_t *v, const char *tpath, const struct field *f,
			void *obj, struct fctx *cx)
{
	const struct ftype *t = f->type;
	size_t i, mark;
	json_t *e;
	char *arr;

	if (json_is_null(v))
		return;
	if (!json_is_array(v)) {
		client_type(d, tpath, v, "array");
		return;
	}
	if (json_array_size(v) == 0)
		return;
	arr = calloc(json_array_size(v), t->size);
	if (!arr) {
		d->oom = true;
		return;
	}
	*(void **)((char *)obj + f->off) = arr;
	*(size_t *)((char *)obj + f->n_off) = json_array_size(v);
	json_array_foreach(v, i, e) {
		struct fctx ecx = { .raw = cx->raw, .idx = i };

		if (json_is_null(e) && !d->api) {
			client_err(d, "unknown object type \"nil\" in %s.%s[%zu]", d->kind, d->path, i);
			continue;
		}
		mark = path_push(d, "[%zu]", i);
		if (json_is_null(e))
			e = json_object(); /* Go's zero value; validation names what is missing */
		else
			json_incref(e);
		dec_object(d, e, t, arr + i * t->size, &ecx);
		json_decref(e);
		path_pop(d, mark);
	}
}

static void dec_field(struct dec *d, json_t *v, const struct ftype *t, const struct field *f,
		      void *obj, struct fctx *cx)
{
	char *p = (char *)(f->raw ? (void *)cx->raw : f->sraw ? (void *)cx->sraw : obj) + f->off;
	enum fkind kind = f->store_only && !d->store ? F_IGNORED : f->kind;
	char tpath[128];
	long long iv;

	snprintf(tpath, sizeof(tpath), "%s.%s", t->name, f->name);
	d->go = t->go;
	switch (kind) {
	case F_STR:
		get_str(d, v, tpath, t->go, (char **)p);
		break;
	case F_STRV:
		get_strv(d, v, tpath, t->go, (char ***)p);
		break;
	case F_STRMAP:
		get_strmap(d, v, tpath, t->go, (struct pn_kvs *)p);
		break;
	case F_BOOL:
		get_bool(d, v, tpath, (bool *)p);
		break;
	case F_INT32:
		if (get_int(d, v, tpath, t->go, "int32", INT32_MIN, INT32_MAX, &iv))
			*(int *)p = (int)iv;
		break;
	case F_OBJECT:
		dec_object(d, v, f->type, p, cx);
		break;
	case F_LIST:
		get_objlist(d, v, tpath, f, obj, cx);
		break;
	case F_CALL:
		f->call(d, v, tpath, obj, cx);
		break;
	case F_IGNORED:
		break;
	case F_UNSUPPORTED:
		unsupported(d, v);
		break;
	}
}

static void dec_object(struct dec *d, json_t *o, const struct ftype *t, void *obj,
		       struct fctx *cx)
{
	const struct field *f;
	const char **keys;
	size_t i, n, mark;
	json_t *v;

	if (!json_is_object(o)) {
		client_type(d, t->name, o, "map");
		return;
	}
	keys = sorted_keys(d, o, &n);
	for (i = 0; keys && i < n; i++) {
		v = json_object_get(o, keys[i]);
		if (json_is_null(v))
			continue;
		for (f = t->fields; f->name && strcmp(f->name, keys[i]); f++)
			;
		if (!f->name) {
			unknown_field(d, keys[i], t->name);
			continue;
		}
		mark = path_field(d, keys[i]);
		dec_field(d, v, t, f, obj, cx);
		path_pop(d, mark);
	}
	free(keys);
	if (t->required)
		missing_field(d, o, t->required, t->name);
}

static void dec_created(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_meta *m = obj;
	const char *end;
	char *ts = NULL;
	struct tm tm;

	get_str(d, v, tpath, "ObjectMeta", &ts);
	if (!ts)
		return;
	memset(&tm, 0, sizeof(tm));
	end = strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		fe_invalid_str(&d->invalid, "metadata.creationTimestamp", ts,
			       "must be an RFC 3339 time in UTC");
	else
		m->creation = timegm(&tm);
	free(ts);
}

/* The server counts spec changes of some kinds (NetworkPolicy); a
 * manifest's value is ignored, as on create. */
static void dec_generation(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	long long iv;

	if (get_int(d, v, tpath, "ObjectMeta", "int64", 0, LLONG_MAX, &iv))
		((struct pn_meta *)obj)->generation = iv;
}

/*
 * Probes.  The handlers (exec, httpGet, tcpSocket, grpc) are flattened into
 * struct pn_probe; each written one is counted, so that validation can say
 * "must specify a handler type" or "may not specify more than 1".
 */
static void dec_intstr_port(struct dec *d, json_t *v, const char *tpath, int *num, char **name)
{
	long long iv;

	if (json_is_string(v)) {
		free(*name);
		*name = xstrdup(d, json_string_value(v));
		/* intstr: a string of digits is still a name to validate */
		return;
	}
	if (json_is_integer(v) || json_is_real(v)) {
		if (get_int(d, v, tpath, "IntOrString", "int32", INT32_MIN, INT32_MAX, &iv))
			*num = (int)iv;
		return;
	}
	if (!json_is_null(v))
		client_type(d, tpath, v, "integer");
}

static void dec_probe_port(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_probe *p = obj;

	dec_intstr_port(d, v, tpath, &p->port, &p->port_name);
}

static void dec_grpc_port(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_probe *p = obj;
	long long iv;

	if (get_int(d, v, tpath, "GRPCAction", "int32", INT32_MIN, INT32_MAX, &iv))
		p->port = (int)iv;
}

#define FIELD(n, k) .name = n, .kind = k
#define AT(s, f) .off = offsetof(struct s, f)

static const struct field hdr_fields[] = {
	{ FIELD("name", F_STR), AT(pn_http_header, name) },
	{ FIELD("value", F_STR), AT(pn_http_header, value) },
	{ 0 },
};
static const struct ftype hdr_type = { T_HTTPHDR, "HTTPHeader", sizeof(struct pn_http_header),
				       hdr_fields, "name" };

static const struct field exec_fields[] = {
	{ FIELD("command", F_STRV), AT(pn_probe, command) },
	{ 0 },
};
static const struct ftype exec_type = { T_EXEC, "ExecAction", sizeof(struct pn_probe), exec_fields,
					NULL };

static const struct field httpget_fields[] = {
	{ FIELD("host", F_STR), AT(pn_probe, host) },
	{ FIELD("httpHeaders", F_LIST), AT(pn_probe, headers), .type = &hdr_type,
	  .n_off = offsetof(struct pn_probe, n_headers) },
	{ FIELD("path", F_STR), AT(pn_probe, path) },
	{ FIELD("port", F_CALL), .call = dec_probe_port },
	{ FIELD("scheme", F_STR), AT(pn_probe, scheme) },
	{ 0 },
};
static const struct ftype httpget_type = { T_HTTPGET, "HTTPGetAction", sizeof(struct pn_probe),
					   httpget_fields, "port" };

static const struct field tcpsock_fields[] = {
	{ FIELD("host", F_STR), AT(pn_probe, host) },
	{ FIELD("port", F_CALL), .call = dec_probe_port },
	{ 0 },
};
static const struct ftype tcpsock_type = { T_TCPSOCK, "TCPSocketAction", sizeof(struct pn_probe),
					   tcpsock_fields, "port" };

static const struct field grpc_fields[] = {
	{ FIELD("port", F_CALL), .call = dec_grpc_port },
	{ FIELD("service", F_STR), AT(pn_probe, grpc_service) },
	{ 0 },
};
static const struct ftype grpc_type __attribute__((unused)) = {
	T_GRPC, "GRPCAction", sizeof(struct pn_probe), grpc_fields, "port"
};

static void dec_handler(struct dec *d, json_t *v, struct pn_probe *p, enum pn_probe_handler h,
			const struct ftype *t, struct fctx *cx)
{
	p->handlers |= 1u << h;
	dec_object(d, v, t, p, cx);
}

static void dec_exec(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_handler(d, v, obj, PN_PROBE_EXEC, &exec_type, cx);
}

static void dec_httpget(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_handler(d, v, obj, PN_PROBE_HTTP, &httpget_type, cx);
}

static void dec_tcpsock(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_handler(d, v, obj, PN_PROBE_TCP, &tcpsock_type, cx);
}

/* gRPC health checks need an HTTP/2 client podnet does not have yet. */
static void dec_grpc(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	((struct pn_probe *)obj)->handlers |= 1u << PN_PROBE_GRPC;
	unsupported(d, json_is_object(v) && !json_object_size(v) ? json_true() : v);
}

static void dec_probe_grace(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_probe *p = obj;
	long long iv;

	if (get_int(d, v, tpath, "Probe", "int64", LLONG_MIN, LLONG_MAX, &iv)) {
		p->termination_grace = iv;
		p->has_termination_grace = true;
	}
}

static const struct field probe_fields[] = {
	{ FIELD("exec", F_CALL), .call = dec_exec },
	{ FIELD("failureThreshold", F_INT32), AT(pn_probe, failure_threshold) },
	{ FIELD("grpc", F_CALL), .call = dec_grpc },
	{ FIELD("httpGet", F_CALL), .call = dec_httpget },
	{ FIELD("initialDelaySeconds", F_INT32), AT(pn_probe, initial_delay) },
	{ FIELD("periodSeconds", F_INT32), AT(pn_probe, period) },
	{ FIELD("successThreshold", F_INT32), AT(pn_probe, success_threshold) },
	{ FIELD("tcpSocket", F_CALL), .call = dec_tcpsock },
	{ FIELD("terminationGracePeriodSeconds", F_CALL), .call = dec_probe_grace },
	{ FIELD("timeoutSeconds", F_INT32), AT(pn_probe, timeout) },
	{ 0 },
};
static const struct ftype probe_type = { T_PROBE, "Probe", sizeof(struct pn_probe), probe_fields,
					 NULL };

static void dec_probe_at(struct dec *d, json_t *v, struct pn_probe *p, struct fctx *cx)
{
	if (!json_is_object(v)) {
		client_type(d, T_PROBE, v, "map");
		return;
	}
	p->present = true;
	dec_object(d, v, &probe_type, p, cx);
}

static void dec_liveness(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_probe_at(d, v, &((struct pn_container_spec *)obj)->liveness, cx);
}

static void dec_readiness(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_probe_at(d, v, &((struct pn_container_spec *)obj)->readiness, cx);
}

static void dec_startup(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_probe_at(d, v, &((struct pn_container_spec *)obj)->startup, cx);
}

#undef AT
#undef FIELD

/* Designated, so that an entry names only what it uses. */
#define FIELD(n, k) .name = n, .kind = k
#define AT(s, f) .off = offsetof(struct s, f)
#define IN_RAW(f) .off = offsetof(struct pod_raw, f), .raw = true

static const struct field meta_fields[] = {
	{ FIELD("annotations", F_STRMAP), AT(pn_meta, annotations) },
	{ FIELD("creationTimestamp", F_CALL), .store_only = true, .call = dec_created },
	{ FIELD("deletionGracePeriodSeconds", F_IGNORED) },
	{ FIELD("deletionTimestamp", F_IGNORED) },
	{ FIELD("finalizers", F_IGNORED) },
	{ FIELD("generateName", F_IGNORED) },
	{ FIELD("generation", F_CALL), .store_only = true, .call = dec_generation },
	{ FIELD("labels", F_STRMAP), AT(pn_meta, labels) },
	{ FIELD("managedFields", F_IGNORED) },
	{ FIELD("name", F_STR), AT(pn_meta, name) },
	{ FIELD("namespace", F_STR), AT(pn_meta, namespace_) },
	{ FIELD("ownerReferences", F_IGNORED) },
	{ FIELD("resourceVersion", F_IGNORED) },
	{ FIELD("selfLink", F_IGNORED) },
	{ FIELD("uid", F_STR), AT(pn_meta, uid), .store_only = true },
	{ 0 },
};
static const struct ftype meta_type = { T_META, "ObjectMeta", sizeof(struct pn_meta),
					meta_fields, NULL };

static const struct field port_fields[] = {
	{ FIELD("containerPort", F_INT32), AT(pn_port, container_port) },
	{ FIELD("hostIP", F_UNSUPPORTED) },
	{ FIELD("hostPort", F_INT32), AT(pn_port, host_port) },
	{ FIELD("name", F_STR), AT(pn_port, name) },
	{ FIELD("protocol", F_STR), AT(pn_port, protocol) },
	{ 0 },
};
static const struct ftype port_type = { T_PORT, "ContainerPort", sizeof(struct pn_port),
					port_fields, "containerPort" };

static const struct field env_fields[] = {
	{ FIELD("name", F_STR), AT(pn_env, name) },
	{ FIELD("value", F_STR), AT(pn_env, value) },
	{ FIELD("valueFrom", F_UNSUPPORTED) },
	{ 0 },
};
static const struct ftype env_type = { T_ENV, "EnvVar", sizeof(struct pn_env), env_fields,
				       "name" };

/* Kept per container for defaulting, which depends on the image's tag. */
static void dec_pull_policy(struct dec *d, json_t *v, const char *tpath, void *obj,
			    struct fctx *cx)
{
	get_str(d, v, tpath, "Container", &cx->raw->pull[cx->idx]);
}

/* No effect on one node without a kubelet: stdinOnce, terminationMessage*. */
static const struct field ctr_fields[] = {
	{ FIELD("args", F_STRV), AT(pn_container_spec, args) },
	{ FIELD("command", F_STRV), AT(pn_container_spec, command) },
	{ FIELD("env", F_LIST), AT(pn_container_spec, env), .type = &env_type,
	  .n_off = offsetof(struct pn_container_spec, n_env) },
	{ FIELD("envFrom", F_UNSUPPORTED) },
	{ FIELD("image", F_STR), AT(pn_container_spec, image) },
	{ FIELD("imagePullPolicy", F_CALL), .call = dec_pull_policy },
	{ FIELD("lifecycle", F_UNSUPPORTED) },
	{ FIELD("livenessProbe", F_CALL), .call = dec_liveness },
	{ FIELD("name", F_STR), AT(pn_container_spec, name) },
	{ FIELD("ports", F_LIST), AT(pn_container_spec, ports), .type = &port_type,
	  .n_off = offsetof(struct pn_container_spec, n_ports) },
	{ FIELD("readinessProbe", F_CALL), .call = dec_readiness },
	{ FIELD("resizePolicy", F_UNSUPPORTED) },
	{ FIELD("resources", F_UNSUPPORTED) },
	{ FIELD("restartPolicy", F_UNSUPPORTED) },
	{ FIELD("securityContext", F_UNSUPPORTED) },
	{ FIELD("startupProbe", F_CALL), .call = dec_startup },
	{ FIELD("stdin", F_BOOL), AT(pn_container_spec, stdin_open) },
	{ FIELD("stdinOnce", F_IGNORED) },
	{ FIELD("terminationMessagePath", F_IGNORED) },
	{ FIELD("terminationMessagePolicy", F_IGNORED) },
	{ FIELD("tty", F_BOOL), AT(pn_container_spec, tty) },
	{ FIELD("volumeDevices", F_UNSUPPORTED) },
	{ FIELD("volumeMounts", F_UNSUPPORTED) },
	{ FIELD("workingDir", F_STR), AT(pn_container_spec, working_dir) },
	{ 0 },
};
static const struct ftype ctr_type = { T_CTR, "Container", sizeof(struct pn_container_spec),
				       ctr_fields, "name" };

static const struct field ctr_list = {
	FIELD("containers", F_LIST), AT(pn_pod_spec, containers), .type = &ctr_type,
	.n_off = offsetof(struct pn_pod_spec, n_containers),
};

static void dec_containers(struct dec *d, json_t *v, const char *tpath, void *obj,
			   struct fctx *cx)
{
	if (json_is_array(v) && json_array_size(v)) {
		cx->raw->pull = calloc(json_array_size(v), sizeof(*cx->raw->pull));
		if (!cx->raw->pull) {
			d->oom = true;
			return;
		}
		cx->raw->n_pull = json_array_size(v);
	}
	get_objlist(d, v, tpath, &ctr_list, obj, cx);
}

static void dec_grace(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	long long iv;

	if (get_int(d, v, tpath, "PodSpec", "int64", LLONG_MIN, LLONG_MAX, &iv)) {
		cx->raw->grace = iv;
		cx->raw->grace_set = true;
	}
}

/* true is Kubernetes' default; false asks for a user namespace. */
static void dec_host_users(struct dec *d, json_t *v, const char *tpath, void *obj,
			   struct fctx *cx)
{
	if (!json_is_true(v))
		fe_printf(&d->forbidden, FE_FORBIDDEN, d->path, "Forbidden: not supported by podnet");
}

/* Scheduling and cluster services (affinity...) are ignored: nothing to do on one node. */
static const struct field spec_fields[] = {
	{ FIELD("activeDeadlineSeconds", F_UNSUPPORTED) },
	{ FIELD("affinity", F_IGNORED) },
	{ FIELD("automountServiceAccountToken", F_IGNORED) },
	{ FIELD("containers", F_CALL), .call = dec_containers },
	{ FIELD("dnsConfig", F_UNSUPPORTED) },
	{ FIELD("dnsPolicy", F_STR), IN_RAW(dns) },
	{ FIELD("enableServiceLinks", F_IGNORED) },
	{ FIELD("ephemeralContainers", F_UNSUPPORTED) },
	{ FIELD("hostAliases", F_UNSUPPORTED) },
	{ FIELD("hostIPC", F_BOOL), AT(pn_pod_spec, host_ipc) },
	{ FIELD("hostNetwork", F_BOOL), AT(pn_pod_spec, host_network) },
	{ FIELD("hostPID", F_BOOL), AT(pn_pod_spec, host_pid) },
	{ FIELD("hostUsers", F_CALL), .call = dec_host_users },
	{ FIELD("hostname", F_STR), AT(pn_pod_spec, hostname) },
	{ FIELD("imagePullSecrets", F_IGNORED) },
	{ FIELD("initContainers", F_UNSUPPORTED) },
	{ FIELD("nodeName", F_IGNORED) },
	{ FIELD("nodeSelector", F_STRMAP), AT(pn_pod_spec, node_selector) },
	{ FIELD("os", F_IGNORED) },
	{ FIELD("overhead", F_IGNORED) },
	{ FIELD("preemptionPolicy", F_IGNORED) },
	{ FIELD("priority", F_IGNORED) },
	{ FIELD("priorityClassName", F_IGNORED) },
	{ FIELD("readinessGates", F_IGNORED) },
	{ FIELD("resourceClaims", F_UNSUPPORTED) },
	{ FIELD("restartPolicy", F_STR), IN_RAW(restart) },
	{ FIELD("runtimeClassName", F_UNSUPPORTED) },
	{ FIELD("schedulerName", F_IGNORED) },
	{ FIELD("schedulingGates", F_IGNORED) },
	{ FIELD("securityContext", F_UNSUPPORTED) },
	{ FIELD("serviceAccount", F_IGNORED) },
	{ FIELD("serviceAccountName", F_IGNORED) },
	{ FIELD("setHostnameAsFQDN", F_IGNORED) },
	{ FIELD("shareProcessNamespace", F_BOOL), AT(pn_pod_spec, share_process_namespace) },
	{ FIELD("subdomain", F_IGNORED) },
	{ FIELD("terminationGracePeriodSeconds", F_CALL), .call = dec_grace },
	{ FIELD("tolerations", F_IGNORED) },
	{ FIELD("topologySpreadConstraints", F_IGNORED) },
	{ FIELD("volumes", F_UNSUPPORTED) },
	{ 0 },
};
static const struct ftype spec_type = { T_SPEC, "PodSpec", sizeof(struct pn_pod_spec),
					spec_fields, "containers" };

/* apiVersion and kind were checked by the caller; status is the server's. */
static const struct field pod_fields[] = {
	{ FIELD("apiVersion", F_IGNORED) },
	{ FIELD("kind", F_IGNORED) },
	{ FIELD("metadata", F_OBJECT), AT(pn_pod, meta), .type = &meta_type },
	{ FIELD("spec", F_OBJECT), AT(pn_pod, spec), .type = &spec_type },
	{ FIELD("status", F_IGNORED) },
	{ 0 },
};
static const struct ftype pod_type = { T_POD, "Pod", sizeof(struct pn_pod), pod_fields, NULL };

/* A Namespace's spec holds only finalizers: nothing to do. */
static const struct field ns_fields[] = {
	{ FIELD("apiVersion", F_IGNORED) },
	{ FIELD("kind", F_IGNORED) },
	{ FIELD("metadata", F_OBJECT), AT(pn_namespace, meta), .type = &meta_type },
	{ FIELD("spec", F_IGNORED) },
	{ FIELD("status", F_IGNORED) },
	{ 0 },
};
static const struct ftype ns_type = { T_NS, "Namespace", sizeof(struct pn_namespace),
				      ns_fields, NULL };

/* ---- NetworkPolicy (networking.k8s.io/v1) */

static const struct field selreq_fields[] = {
	{ FIELD("key", F_STR), AT(pn_sel_req, key) },
	{ FIELD("operator", F_STR), AT(pn_sel_req, op_raw) },
	{ FIELD("values", F_STRV), AT(pn_sel_req, values) },
	{ 0 },
};
static const struct ftype selreq_type = { T_LSELREQ, "LabelSelectorRequirement",
					  sizeof(struct pn_sel_req), selreq_fields, "key" };

static const struct field sel_fields[] = {
	{ FIELD("matchExpressions", F_LIST), AT(pn_selector, exprs), .type = &selreq_type,
	  .n_off = offsetof(struct pn_selector, n_exprs) },
	{ FIELD("matchLabels", F_STRMAP), AT(pn_selector, match_labels) },
	{ 0 },
};
static const struct ftype sel_type = { T_LSEL, "LabelSelector", sizeof(struct pn_selector),
				       sel_fields, NULL };

static const struct field ipblock_fields[] = {
	{ FIELD("cidr", F_STR), AT(pn_np_ipblock, cidr) },
	{ FIELD("except", F_STRV), AT(pn_np_ipblock, except) },
	{ 0 },
};
static const struct ftype ipblock_type = { T_IPBLOCK, "IPBlock", sizeof(struct pn_np_ipblock),
					   ipblock_fields, "cidr" };

/* A peer's members are pointers: present-but-empty differs from absent
 * (null is absent, as for a Go pointer). */
static void dec_selector_ptr(struct dec *d, json_t *v, struct pn_selector **slot, struct fctx *cx)
{
	if (!*slot && !(*slot = calloc(1, sizeof(**slot)))) {
		d->oom = true;
		return;
	}
	dec_object(d, v, &sel_type, *slot, cx);
}

static void dec_peer_pods(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_selector_ptr(d, v, &((struct pn_np_peer *)obj)->pod_selector, cx);
}

static void dec_peer_nss(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	dec_selector_ptr(d, v, &((struct pn_np_peer *)obj)->ns_selector, cx);
}

static void dec_peer_ipblock(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_np_peer *p = obj;

	if (!p->ip_block && !(p->ip_block = calloc(1, sizeof(*p->ip_block)))) {
		d->oom = true;
		return;
	}
	dec_object(d, v, &ipblock_type, p->ip_block, cx);
}

static const struct field peer_fields[] = {
	{ FIELD("ipBlock", F_CALL), .call = dec_peer_ipblock },
	{ FIELD("namespaceSelector", F_CALL), .call = dec_peer_nss },
	{ FIELD("podSelector", F_CALL), .call = dec_peer_pods },
	{ 0 },
};
static const struct ftype peer_type = { T_NPPEER, "NetworkPolicyPeer", sizeof(struct pn_np_peer),
					peer_fields, NULL };

/* intstr.IntOrString: a number, or a port name. */
static void dec_np_port(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_np_port *p = obj;
	long long iv;

	if (json_is_string(v)) {
		free(p->port_name);
		p->port_name = xstrdup(d, json_string_value(v));
		p->has_port = true;
	} else if (json_is_number(v)) {
		if (get_int(d, v, tpath, "NetworkPolicyPort", "int32", INT32_MIN, INT32_MAX, &iv)) {
			p->port = (int)iv;
			p->has_port = true;
		}
	} else {
		client_type(d, tpath, v, "string");
	}
}

static void dec_np_end_port(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	struct pn_np_port *p = obj;
	long long iv;

	if (get_int(d, v, tpath, "NetworkPolicyPort", "int32", INT32_MIN, INT32_MAX, &iv)) {
		p->end_port = (int)iv;
		p->has_end_port = true;
	}
}

static const struct field np_port_fields[] = {
	{ FIELD("endPort", F_CALL), .call = dec_np_end_port },
	{ FIELD("port", F_CALL), .call = dec_np_port },
	{ FIELD("protocol", F_STR), AT(pn_np_port, protocol_raw) },
	{ 0 },
};
static const struct ftype np_port_type = { T_NPPORT, "NetworkPolicyPort", sizeof(struct pn_np_port),
					   np_port_fields, NULL };

static const struct field np_ingress_fields[] = {
	{ FIELD("from", F_LIST), AT(pn_np_rule, peers), .type = &peer_type,
	  .n_off = offsetof(struct pn_np_rule, n_peers) },
	{ FIELD("ports", F_LIST), AT(pn_np_rule, ports), .type = &np_port_type,
	  .n_off = offsetof(struct pn_np_rule, n_ports) },
	{ 0 },
};
static const struct ftype np_ingress_type = { T_NPINGRESS, "NetworkPolicyIngressRule",
					      sizeof(struct pn_np_rule), np_ingress_fields, NULL };

static const struct field np_egress_fields[] = {
	{ FIELD("ports", F_LIST), AT(pn_np_rule, ports), .type = &np_port_type,
	  .n_off = offsetof(struct pn_np_rule, n_ports) },
	{ FIELD("to", F_LIST), AT(pn_np_rule, peers), .type = &peer_type,
	  .n_off = offsetof(struct pn_np_rule, n_peers) },
	{ 0 },
};
static const struct ftype np_egress_type = { T_NPEGRESS, "NetworkPolicyEgressRule",
					     sizeof(struct pn_np_rule), np_egress_fields, NULL };

/* The spec's fields live in struct pn_netpol itself. */
static const struct field np_spec_fields[] = {
	{ FIELD("egress", F_LIST), AT(pn_netpol, egress), .type = &np_egress_type,
	  .n_off = offsetof(struct pn_netpol, n_egress) },
	{ FIELD("ingress", F_LIST), AT(pn_netpol, ingress), .type = &np_ingress_type,
	  .n_off = offsetof(struct pn_netpol, n_ingress) },
	{ FIELD("podSelector", F_OBJECT), AT(pn_netpol, pod_selector), .type = &sel_type },
	{ FIELD("policyTypes", F_STRV), AT(pn_netpol, types_raw) },
	{ 0 },
};
static const struct ftype np_spec_type = { T_NPSPEC, "NetworkPolicySpec", sizeof(struct pn_netpol),
					   np_spec_fields, NULL };

static const struct field np_fields[] = {
	{ FIELD("apiVersion", F_IGNORED) },
	{ FIELD("kind", F_IGNORED) },
	{ FIELD("metadata", F_OBJECT), AT(pn_netpol, meta), .type = &meta_type },
	{ FIELD("spec", F_OBJECT), .off = 0, .type = &np_spec_type },
	{ 0 },
};
static const struct ftype np_type = { T_NP, "NetworkPolicy", sizeof(struct pn_netpol), np_fields,
				      NULL };
/* Services. */
static void dec_target_port(struct dec *d, json_t *v, const char *tpath, void *obj,
			    struct fctx *cx)
{
	struct pn_svc_port *p = obj;

	dec_intstr_port(d, v, tpath, &p->target_port, &p->target_port_name);
}

#define IN_SRAW(f) .off = offsetof(struct svc_raw, f), .sraw = true

static const struct field svcport_fields[] = {
	{ FIELD("appProtocol", F_STR), AT(pn_svc_port, app_protocol) },
	{ FIELD("name", F_STR), AT(pn_svc_port, name) },
	{ FIELD("nodePort", F_INT32), AT(pn_svc_port, node_port) },
	{ FIELD("port", F_INT32), AT(pn_svc_port, port) },
	{ FIELD("protocol", F_STR), AT(pn_svc_port, protocol) },
	{ FIELD("targetPort", F_CALL), .call = dec_target_port },
	{ 0 },
};
static const struct ftype svcport_type = { T_SVCPORT, "ServicePort", sizeof(struct pn_svc_port),
					   svcport_fields, "port" };

static void dec_timeout(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	long long iv;

	if (get_int(d, v, tpath, "ClientIPConfig", "int32", INT32_MIN, INT32_MAX, &iv)) {
		cx->sraw->timeout = iv;
		cx->sraw->timeout_set = true;
	}
}

static const struct field clientip_fields[] = {
	{ FIELD("timeoutSeconds", F_CALL), .call = dec_timeout },
	{ 0 },
};
static const struct ftype clientip_type = { T_CLIENTIP, "ClientIPConfig", 0, clientip_fields, NULL };

static void dec_clientip(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	cx->sraw->client_ip_cfg = true;
	dec_object(d, v, &clientip_type, obj, cx);
}

static const struct field affcfg_fields[] = {
	{ FIELD("clientIP", F_CALL), .call = dec_clientip },
	{ 0 },
};
static const struct ftype affcfg_type = { T_AFFCFG, "SessionAffinityConfig", 0, affcfg_fields, NULL };

static void dec_affcfg(struct dec *d, json_t *v, const char *tpath, void *obj, struct fctx *cx)
{
	cx->sraw->affinity_cfg = true;
	dec_object(d, v, &affcfg_type, obj, cx);
}

/* LoadBalancer-only fields and externalIPs would need a node address
 * podnet does not manage; they are refused rather than ignored. */
static const struct field svcspec_fields[] = {
	{ FIELD("allocateLoadBalancerNodePorts", F_UNSUPPORTED) },
	{ FIELD("clusterIP", F_STR), IN_SRAW(cluster_ip) },
	{ FIELD("clusterIPs", F_STRV), IN_SRAW(cluster_ips) },
	{ FIELD("externalIPs", F_UNSUPPORTED) },
	{ FIELD("externalName", F_STR), AT(pn_service, external_name) },
	{ FIELD("externalTrafficPolicy", F_STR), IN_SRAW(etp) },
	{ FIELD("healthCheckNodePort", F_UNSUPPORTED) },
	{ FIELD("internalTrafficPolicy", F_STR), IN_SRAW(itp) },
	{ FIELD("ipFamilies", F_STRV), IN_SRAW(ip_families) },
	{ FIELD("ipFamilyPolicy", F_STR), IN_SRAW(ip_family_policy) },
	{ FIELD("loadBalancerClass", F_UNSUPPORTED) },
	{ FIELD("loadBalancerIP", F_UNSUPPORTED) },
	{ FIELD("loadBalancerSourceRanges", F_UNSUPPORTED) },
	{ FIELD("ports", F_LIST), AT(pn_service, ports), .type = &svcport_type,
	  .n_off = offsetof(struct pn_service, n_ports) },
	{ FIELD("publishNotReadyAddresses", F_BOOL), AT(pn_service, publish_not_ready) },
	{ FIELD("selector", F_STRMAP), AT(pn_service, selector) },
	{ FIELD("sessionAffinity", F_STR), IN_SRAW(affinity) },
	{ FIELD("sessionAffinityConfig", F_CALL), .call = dec_affcfg },
	/* One node is one zone: PreferClose changes nothing. */
	{ FIELD("trafficDistribution", F_IGNORED) },
	{ FIELD("type", F_STR), IN_SRAW(type) },
	{ 0 },
};
static const struct ftype svcspec_type = { T_SVCSPEC, "ServiceSpec", sizeof(struct pn_service),
					   svcspec_fields, NULL };

static const struct field svc_fields[] = {
	{ FIELD("apiVersion", F_IGNORED) },
	{ FIELD("kind", F_IGNORED) },
	{ FIELD("metadata", F_OBJECT), AT(pn_service, meta), .type = &meta_type },
	{ FIELD("spec", F_OBJECT), .off = 0, .type = &svcspec_type },
	{ FIELD("status", F_IGNORED) },
	{ 0 },
};
static const struct ftype svc_type = { T_SVC, "Service", sizeof(struct pn_service), svc_fields,
				       NULL };

#undef IN_SRAW

#undef IN_RAW
#undef AT
#undef FIELD

/* ---------------------------------------- defaulting and validation */

static const char *const restart_values[] = { "Always", "OnFailure", "Never", NULL };
static const char *const pull_values[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const dns_values[] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL };
static const char *const proto_values[] = { "SCTP", "TCP", "UDP", NULL };

/* k8s SetDefaults_Container: Always for ":latest" or no tag (and no digest). */
static enum pn_pull_policy default_pull_policy(const char *image)
{
	const char *at, *slash, *colon;
	size_t len;

	if (!image)
		return PN_PULL_ALWAYS;
	at = strchr(image, '@');
	len = at ? (size_t)(at - image) : strlen(image);
	slash = memrchr(image, '/', len);
	colon = memrchr(image, ':', len);
	if (colon && (!slash || colon > slash)) /* a tag, not a registry port */
		return (len - (size_t)(colon + 1 - image) == 6 && strncmp(colon + 1, "latest", 6) == 0)
			       ? PN_PULL_ALWAYS
			       : PN_PULL_IF_NOT_PRESENT;
	return at ? PN_PULL_IF_NOT_PRESENT : PN_PULL_ALWAYS;
}

static int policy_index(const char *v, const char *const *values)
{
	int i;

	for (i = 0; values[i]; i++)
		if (strcmp(v, values[i]) == 0)
			return i;
	return -1;
}

static void validate_labels(struct msgs *e, const char *field, const struct pn_kvs *k)
{
	struct k8s_msgs raw = { 0 };
	size_t i;

	for (i = 0; i < k->n; i++) {
		k8s_check_qualified_name(k->items[i].key, &raw);
		invalid_each(e, field, k->items[i].key, &raw);
		k8s_check_label_value(k->items[i].value, &raw);
		invalid_each(e, field, k->items[i].value, &raw);
	}
}

static void validate_annotations(struct msgs *e, const struct pn_kvs *k)
{
	struct k8s_msgs raw = { 0 };
	size_t i, total = 0;
	char *lower, *p;

	for (i = 0; i < k->n; i++) {
		/* QualifiedName, except that case does not matter */
		lower = strdup(k->items[i].key);
		if (!lower) {
			e->oom = true;
			return;
		}
		for (p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		k8s_check_qualified_name(lower, &raw);
		free(lower);
		invalid_each(e, "metadata.annotations", k->items[i].key, &raw);
		total += strlen(k->items[i].key) + strlen(k->items[i].value);
	}
	if (total > ANNOTATIONS_MAX)
		fe_printf(e, FE_TOO_LONG, "metadata.annotations", "Too long: must have at most %d bytes",
			  ANNOTATIONS_MAX);
}

/* ValidateObjectMeta: @namespaced Pods carry a namespace, Namespaces do not. */
static void validate_meta(struct msgs *e, const struct pn_meta *m, bool namespaced)
{
	struct k8s_msgs raw = { 0 };

	if (!m->name || !*m->name) {
		fe_printf(e, FE_REQUIRED, "metadata.name",
			  "Required value: name or generateName is required");
	} else {
		if (namespaced)
			k8s_check_dns1123_subdomain(m->name, "", &raw);
		else
			k8s_check_dns1123_label(m->name, &raw);
		invalid_each(e, "metadata.name", m->name, &raw);
	}
	if (namespaced) {
		if (!m->namespace_ || !*m->namespace_) {
			fe_required(e, "metadata.namespace");
		} else {
			k8s_check_dns1123_label(m->namespace_, &raw);
			invalid_each(e, "metadata.namespace", m->namespace_, &raw);
		}
	}
	validate_labels(e, "metadata.labels", &m->labels);
	validate_annotations(e, &m->annotations);
}

static void validate_ports(struct msgs *e, const struct pn_container_spec *c, size_t ci)
{
	struct k8s_msgs raw = { 0 };
	char field[128];
	size_t i, j;

	for (i = 0; i < c->n_ports; i++) {
		const struct pn_port *p = &c->ports[i];

		if (p->name && *p->name) {
			snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].name", ci, i);
			k8s_check_port_name(p->name, &raw);
			if (raw.n) {
				invalid_each(e, field, p->name, &raw);
			} else {
				k8s_msgs_free(&raw);
				for (j = 0; j < i; j++)
					if (c->ports[j].name && strcmp(c->ports[j].name, p->name) == 0)
						break;
				if (j < i)
					fe_duplicate(e, field, p->name);
			}
		}
		snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].containerPort", ci, i);
		if (p->container_port == 0)
			fe_required(e, field);
		else if (p->container_port < 1 || p->container_port > 65535)
			fe_invalid_int(e, field, p->container_port, "must be between 1 and 65535, inclusive");
		if (p->host_port != 0 && (p->host_port < 1 || p->host_port > 65535)) {
			snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].hostPort", ci, i);
			fe_invalid_int(e, field, p->host_port, "must be between 1 and 65535, inclusive");
		}
		snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].protocol", ci, i);
		if (!p->protocol || !*p->protocol)
			fe_required(e, field);
		else if (policy_index(p->protocol, proto_values) < 0)
			fe_not_supported(e, field, p->protocol, proto_values);
	}
}

static void validate_env(struct msgs *e, const struct pn_container_spec *c, size_t ci)
{
	struct k8s_msgs raw = { 0 };
	char field[128];
	size_t i;

	for (i = 0; i < c->n_env; i++) {
		snprintf(field, sizeof(field), "spec.containers[%zu].env[%zu].name", ci, i);
		if (!c->env[i].name || !*c->env[i].name) {
			fe_required(e, field);
			continue;
		}
		k8s_check_env_var_name(c->env[i].name, &raw);
		invalid_each(e, field, c->env[i].name, &raw);
	}
}

/* The "TCP//80" keys of AccumulateUniqueHostPorts (protocol/hostIP/port). */
static void validate_host_ports(struct msgs *e, const struct pn_pod_spec *s)
{
	size_t ci, pi, cj, pj;
	char field[128], key[64];
	bool dup;

	for (ci = 0; ci < s->n_containers; ci++) {
		for (pi = 0; pi < s->containers[ci].n_ports; pi++) {
			const struct pn_port *p = &s->containers[ci].ports[pi];

			if (!p->host_port)
				continue;
			dup = false;
			for (cj = 0; cj <= ci && !dup; cj++)
				for (pj = 0; pj < s->containers[cj].n_ports && !dup; pj++) {
					const struct pn_port *q = &s->containers[cj].ports[pj];

					if (cj == ci && pj >= pi)
						break;
					dup = q->host_port == p->host_port && q->protocol && p->protocol &&
					      strcmp(q->protocol, p->protocol) == 0;
				}
			if (dup) {
				snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].hostPort", ci, pi);
				snprintf(key, sizeof(key), "%.8s//%d", p->protocol, p->host_port);
				fe_duplicate(e, field, key);
			}
		}
	}
}

/* Probe defaults (SetDefaults_Probe, SetDefaults_HTTPGetAction). */
static void probe_defaults(struct pn_probe *p)
{
	if (!p->present)
		return;
	if (!p->timeout)
		p->timeout = 1;
	if (!p->period)
		p->period = 10;
	if (!p->success_threshold)
		p->success_threshold = 1;
	if (!p->failure_threshold)
		p->failure_threshold = 3;
	if (p->handlers & (1u << PN_PROBE_HTTP)) {
		if (!p->path || !*p->path) {
			free(p->path);
			p->path = strdup("/");
		}
		if (!p->scheme || !*p->scheme) {
			free(p->scheme);
			p->scheme = strdup("HTTP");
		}
	}
}

/* ValidatePortNumOrName */
static void validate_port_num_or_name(struct msgs *e, const char *field, int num, const char *name)
{
	struct k8s_msgs raw = { 0 };

	if (name) {
		k8s_check_port_name(name, &raw);
		invalid_each(e, field, name, &raw);
	} else if (num < 1 || num > 65535) {
		fe_invalid_int(e, field, num, "must be between 1 and 65535, inclusive");
	}
}

static bool c_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* validation.IsHTTPHeaderName: [-A-Za-z0-9]+ */
static bool http_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!c_alnum(*s) && *s != '-')
			return false;
	return true;
}

static const char *const handler_names[] = { NULL, "exec", "httpGet", "tcpSocket", "grpc" };
static const char *const scheme_values[] = { "HTTP", "HTTPS", NULL };

/* validateLivenessProbe / validateReadinessProbe / validateStartupProbe. */
static void validate_probe(struct msgs *e, struct pn_probe *p, size_t ci, const char *which)
{
	char base[96], field[160];
	unsigned h, n = 0;

	if (!p->present)
		return;
	snprintf(base, sizeof(base), "spec.containers[%zu].%s", ci, which);
	if (strcmp(which, "readinessProbe") != 0 && p->success_threshold != 1) {
		snprintf(field, sizeof(field), "%s.successThreshold", base);
		fe_invalid_int(e, field, p->success_threshold, "must be 1");
	}
	if (strcmp(which, "readinessProbe") == 0 && p->has_termination_grace) {
		snprintf(field, sizeof(field), "%s.terminationGracePeriodSeconds", base);
		fe_invalid_int(e, field, p->termination_grace, "must not be set for readinessProbes");
	}
	/* validateHandler: the first handler counts, every other is forbidden */
	p->handler = PN_PROBE_NONE;
	for (h = PN_PROBE_EXEC; h <= PN_PROBE_GRPC; h++) {
		if (!(p->handlers & (1u << h)))
			continue;
		snprintf(field, sizeof(field), "%s.%s", base, handler_names[h]);
		if (n++) {
			fe_printf(e, FE_FORBIDDEN, field, "Forbidden: may not specify more than 1 handler type");
			continue;
		}
		p->handler = (enum pn_probe_handler)h;
		switch (h) {
		case PN_PROBE_EXEC:
			snprintf(field, sizeof(field), "%s.exec.command", base);
			if (!p->command)
				fe_required(e, field);
			break;
		case PN_PROBE_HTTP:
			snprintf(field, sizeof(field), "%s.httpGet.port", base);
			validate_port_num_or_name(e, field, p->port, p->port_name);
			snprintf(field, sizeof(field), "%s.httpGet.scheme", base);
			if (p->scheme && policy_index(p->scheme, scheme_values) < 0)
				fe_not_supported(e, field, p->scheme, scheme_values);
			snprintf(field, sizeof(field), "%s.httpGet.httpHeaders", base);
			for (size_t i = 0; i < p->n_headers; i++)
				if (!http_token(p->headers[i].name ? p->headers[i].name : ""))
					fe_invalid_str(e, field, p->headers[i].name ? p->headers[i].name : "",
						       "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name',  regex used for validation is '[-A-Za-z0-9]+')");
			break;
		case PN_PROBE_TCP:
			snprintf(field, sizeof(field), "%s.tcpSocket.port", base);
			validate_port_num_or_name(e, field, p->port, p->port_name);
			break;
		case PN_PROBE_GRPC: /* refused while decoding: podnet has no gRPC client */
			break;
		}
	}
	if (n == 0)
		fe_printf(e, FE_REQUIRED, base, "Required value: must specify a handler type");
#define NONNEG(f, v)                                                                               \
	do {                                                                                       \
		if ((v) < 0) {                                                                     \
			snprintf(field, sizeof(field), "%s." f, base);                             \
			fe_invalid_int(e, field, (v), "must be greater than or equal to 0");        \
		}                                                                                  \
	} while (0)
	NONNEG("initialDelaySeconds", p->initial_delay);
	NONNEG("timeoutSeconds", p->timeout);
	NONNEG("periodSeconds", p->period);
	NONNEG("successThreshold", p->success_threshold);
	NONNEG("failureThreshold", p->failure_threshold);
#undef NONNEG
	if (p->has_termination_grace && p->termination_grace <= 0) {
		snprintf(field, sizeof(field), "%s.terminationGracePeriodSeconds", base);
		fe_invalid_int(e, field, p->termination_grace, "must be greater than 0");
	}
}

static void pod_defaults(struct pn_pod *p, struct pod_raw *raw)
{
	size_t i, j;

	if (!p->meta.namespace_ || !*p->meta.namespace_) {
		free(p->meta.namespace_);
		p->meta.namespace_ = strdup("default");
	}
	/* negative periods are treated as 1s since Kubernetes 1.27 */
	p->spec.termination_grace_period = !raw->grace_set ? GRACE_DEFAULT : raw->grace < 0 ? 1 : raw->grace;
	for (i = 0; i < p->spec.n_containers; i++) {
		struct pn_container_spec *c = &p->spec.containers[i];

		if (!raw->pull || !raw->pull[i] || !*raw->pull[i])
			c->pull_policy = default_pull_policy(c->image);
		else
			c->pull_policy = (enum pn_pull_policy)(policy_index(raw->pull[i], pull_values) + 1);
		for (j = 0; j < c->n_env; j++)
			if (!c->env[j].value)
				c->env[j].value = strdup("");
		probe_defaults(&c->liveness);
		probe_defaults(&c->readiness);
		probe_defaults(&c->startup);
		for (j = 0; j < c->n_ports; j++) {
			if (!c->ports[j].protocol || !*c->ports[j].protocol) {
				free(c->ports[j].protocol);
				c->ports[j].protocol = strdup("TCP");
			}
			if (p->spec.host_network && c->ports[j].host_port == 0)
				c->ports[j].host_port = c->ports[j].container_port;
		}
	}
}

/* ValidatePodCreate, in the API server's order. */
static void validate_pod(struct msgs *e, struct pn_pod *p, const struct pod_raw *raw)
{
	struct pn_pod_spec *s = &p->spec;
	struct k8s_msgs tmp = { 0 };
	char field[128];
	size_t i, j;
	int idx;

	validate_meta(e, &p->meta, true);

	if (s->n_containers == 0)
		fe_required(e, "spec.containers");
	for (i = 0; i < s->n_containers; i++) {
		struct pn_container_spec *c = &s->containers[i];

		snprintf(field, sizeof(field), "spec.containers[%zu].name", i);
		if (!c->name || !*c->name) {
			fe_required(e, field);
		} else {
			k8s_check_dns1123_label(c->name, &tmp);
			invalid_each(e, field, c->name, &tmp);
		}
		for (j = 0; j < i; j++)
			if (strcmp(s->containers[j].name ? s->containers[j].name : "", c->name ? c->name : "") == 0)
				break;
		if (j < i)
			fe_duplicate(e, field, c->name ? c->name : "");
		snprintf(field, sizeof(field), "spec.containers[%zu].image", i);
		if (!c->image || !*c->image)
			fe_required(e, field);
		else if (c->image[0] == ' ' || c->image[0] == '\t' || c->image[0] == '\n' ||
			 c->image[strlen(c->image) - 1] == ' ' || c->image[strlen(c->image) - 1] == '\t' ||
			 c->image[strlen(c->image) - 1] == '\n')
			fe_invalid_str(e, field, c->image, "must not have leading or trailing whitespace");
		validate_ports(e, c, i);
		validate_env(e, c, i);
		validate_probe(e, &c->liveness, i, "livenessProbe");
		validate_probe(e, &c->readiness, i, "readinessProbe");
		validate_probe(e, &c->startup, i, "startupProbe");
		if (raw->pull && raw->pull[i] && *raw->pull[i] && policy_index(raw->pull[i], pull_values) < 0) {
			snprintf(field, sizeof(field), "spec.containers[%zu].imagePullPolicy", i);
			fe_not_supported(e, field, raw->pull[i], pull_values);
		}
	}
	validate_host_ports(e, s);

	if (s->host_network)
		for (i = 0; i < s->n_containers; i++)
			for (j = 0; j < s->containers[i].n_ports; j++) {
				const struct pn_port *pt = &s->containers[i].ports[j];

				if (pt->host_port != pt->container_port) {
					snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].hostPort", i, j);
					fe_invalid_int(e, field, pt->host_port,
						       "must match `containerPort` when `hostNetwork` is true");
				}
			}

	s->restart_policy = PN_RESTART_ALWAYS;
	if (raw->restart && *raw->restart) {
		idx = policy_index(raw->restart, restart_values);
		if (idx < 0)
			fe_not_supported(e, "spec.restartPolicy", raw->restart, restart_values);
		else
			s->restart_policy = idx == 1 ? PN_RESTART_ON_FAILURE : idx == 2 ? PN_RESTART_NEVER
											: PN_RESTART_ALWAYS;
	}
	if (raw->dns && *raw->dns && policy_index(raw->dns, dns_values) < 0)
		fe_not_supported(e, "spec.dnsPolicy", raw->dns, dns_values);
	validate_labels(e, "spec.nodeSelector", &s->node_selector);
	if (s->share_process_namespace && s->host_pid)
		fe_printf(e, FE_INVALID, "spec.shareProcessNamespace",
			  "Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled");
	if (s->hostname && *s->hostname) {
		k8s_check_dns1123_label(s->hostname, &tmp);
		invalid_each(e, "spec.hostname", s->hostname, &tmp);
	}
}

/* ------------------------------------------------- Services: defaults, validation */

static const char *const svc_type_values[] = { "ClusterIP", "ExternalName", "LoadBalancer",
					       "NodePort", NULL };
static const char *const affinity_values[] = { "ClientIP", "None", NULL };
static const char *const traffic_values[] = { "Cluster", "Local", NULL };
static const char *const family_values[] = { "IPv4", "IPv6", NULL };
static const char *const family_policy_values[] = { "PreferDualStack", "RequireDualStack",
						    "SingleStack", NULL };

static bool str_set(const char *s)
{
	return s && *s;
}

/* SetDefaults_Service and the registry's PrepareForCreate, as far as they
 * shape what validation sees. */
static void svc_defaults(struct pn_service *svc, struct svc_raw *r)
{
	struct pn_svc_port *p;
	size_t i;

	if (!svc->meta.namespace_ || !*svc->meta.namespace_) {
		free(svc->meta.namespace_);
		svc->meta.namespace_ = strdup("default");
	}
	if (!str_set(r->type)) {
		free(r->type);
		r->type = strdup("ClusterIP");
	}
	if (!str_set(r->affinity)) {
		free(r->affinity);
		r->affinity = strdup("None");
	}
	if (r->affinity && !strcmp(r->affinity, "ClientIP") && !r->timeout_set) {
		r->affinity_cfg = r->client_ip_cfg = r->timeout_set = true;
		r->timeout = PN_SVC_AFFINITY_DEFAULT_S;
	}
	for (i = 0; i < svc->n_ports; i++) {
		p = &svc->ports[i];
		if (!str_set(p->protocol)) {
			free(p->protocol);
			p->protocol = strdup("TCP");
		}
		if (p->target_port_name && !*p->target_port_name) {
			free(p->target_port_name);
			p->target_port_name = NULL;
		}
		if (!p->target_port_name && p->target_port == 0)
			p->target_port = p->port;
	}
	if (r->type && (!strcmp(r->type, "NodePort") || !strcmp(r->type, "LoadBalancer")) &&
	    !str_set(r->etp)) {
		free(r->etp);
		r->etp = strdup("Cluster");
	}
	if (r->type && strcmp(r->type, "ExternalName") != 0 && !str_set(r->itp)) {
		free(r->itp);
		r->itp = strdup("Cluster");
	}
	/* the strategy makes clusterIPs[0] of clusterIP */
	if (str_set(r->cluster_ip) && !r->cluster_ips) {
		r->cluster_ips = calloc(2, sizeof(char *));
		if (r->cluster_ips)
			r->cluster_ips[0] = strdup(r->cluster_ip);
	}
}

/* core.ServicePort{...} as Go's %#v prints the key of a duplicate port. */
static void svc_port_gostring(struct pn_buf *b, const char *protocol, int port)
{
	pn_buf_puts(b, "core.ServicePort{Name:\"\", Protocol:");
	k8s_goquote_buf(b, protocol);
	pn_buf_printf(b, ", AppProtocol:(*string)(nil), Port:%d, TargetPort:intstr.IntOrString"
		      "{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}", port);
}

/* ValidateService, in the API server's order. */
static void validate_service(struct msgs *e, struct msgs *forbidden, struct pn_service *svc,
			     const struct svc_raw *r)
{
	struct k8s_msgs tmp = { 0 };
	char field[128];
	size_t i, j;
	bool headless = r->cluster_ips && r->cluster_ips[0] && !strcmp(r->cluster_ips[0], "None");
	bool ext_name = r->type && !strcmp(r->type, "ExternalName");
	bool node_port = r->type && !strcmp(r->type, "NodePort");
	bool lb = r->type && !strcmp(r->type, "LoadBalancer");
	const char *cname;

	/* ValidateObjectMeta with ValidateServiceName (DNS-1035) */
	if (!svc->meta.name || !*svc->meta.name) {
		fe_printf(e, FE_REQUIRED, "metadata.name", "Required value: name or generateName is required");
	} else {
		k8s_check_dns1035_label(svc->meta.name, &tmp);
		invalid_each(e, "metadata.name", svc->meta.name, &tmp);
	}
	if (!svc->meta.namespace_ || !*svc->meta.namespace_) {
		fe_required(e, "metadata.namespace");
	} else {
		k8s_check_dns1123_label(svc->meta.namespace_, &tmp);
		invalid_each(e, "metadata.namespace", svc->meta.namespace_, &tmp);
	}
	validate_labels(e, "metadata.labels", &svc->meta.labels);
	validate_annotations(e, &svc->meta.annotations);

	if (svc->n_ports == 0 && !headless && !ext_name)
		fe_required(e, "spec.ports");
	if (node_port && headless)
		fe_invalid_str(e, "spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services");
	if (lb && headless)
		fe_invalid_str(e, "spec.clusterIPs[0]", "None",
			       "may not be set to 'None' for LoadBalancer services");
	if (ext_name) {
		if (r->cluster_ips)
			fe_printf(e, FE_FORBIDDEN, "spec.clusterIPs",
				  "Forbidden: may not be set for ExternalName services");
		if (r->ip_families)
			fe_printf(e, FE_FORBIDDEN, "spec.ipFamilies",
				  "Forbidden: may not be set for ExternalName services");
		if (r->ip_family_policy)
			fe_printf(e, FE_FORBIDDEN, "spec.ipFamilyPolicy",
				  "Forbidden: may not be set for ExternalName services");
		cname = svc->external_name ? svc->external_name : "";
		if (*cname && strcmp(cname, ".") != 0) {
			char *trim = strdup(cname);

			if (trim) {
				if (trim[strlen(trim) - 1] == '.')
					trim[strlen(trim) - 1] = '\0';
				k8s_check_dns1123_subdomain(trim, "", &tmp);
				invalid_each(e, "spec.externalName", trim, &tmp);
				free(trim);
			} else {
				e->oom = true;
			}
		} else {
			fe_required(e, "spec.externalName");
		}
	}

	for (i = 0; i < svc->n_ports; i++) {
		const struct pn_svc_port *p = &svc->ports[i];

		snprintf(field, sizeof(field), "spec.ports[%zu].name", i);
		if (svc->n_ports > 1 && !str_set(p->name)) {
			fe_required(e, field);
		} else if (str_set(p->name)) {
			k8s_check_dns1123_label(p->name, &tmp);
			invalid_each(e, field, p->name, &tmp);
			for (j = 0; j < i; j++)
				if (svc->ports[j].name && !strcmp(svc->ports[j].name, p->name))
					break;
			if (j < i)
				fe_duplicate(e, field, p->name);
		}
		snprintf(field, sizeof(field), "spec.ports[%zu].port", i);
		if (p->port < 1 || p->port > 65535)
			fe_invalid_int(e, field, p->port, "must be between 1 and 65535, inclusive");
		snprintf(field, sizeof(field), "spec.ports[%zu].protocol", i);
		if (!str_set(p->protocol))
			fe_required(e, field);
		else if (policy_index(p->protocol, proto_values) < 0)
			fe_not_supported(e, field, p->protocol, proto_values);
		snprintf(field, sizeof(field), "spec.ports[%zu].targetPort", i);
		validate_port_num_or_name(e, field, p->target_port, p->target_port_name);
		if (p->app_protocol) {
			snprintf(field, sizeof(field), "spec.ports[%zu].appProtocol", i);
			k8s_check_qualified_name(p->app_protocol, &tmp);
			invalid_each(e, field, p->app_protocol, &tmp);
		}
	}

	if (svc->selector.n)
		validate_labels(e, "spec.selector", &svc->selector);

	if (policy_index(r->affinity, affinity_values) < 0)
		fe_not_supported(e, "spec.sessionAffinity", r->affinity, affinity_values);
	if (!strcmp(r->affinity, "ClientIP")) {
		if (r->timeout <= 0 || r->timeout > PN_SVC_AFFINITY_MAX_S)
			fe_invalid_int(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", r->timeout,
				       "must be greater than 0 and less than 86400");
	} else if (!strcmp(r->affinity, "None") && r->affinity_cfg) {
		fe_printf(e, FE_FORBIDDEN, "spec.sessionAffinityConfig",
			  "Forbidden: must not be set when session affinity is None");
	}

	/* ValidateServiceClusterIPsRelatedFields, for this single-stack IPv4 node */
	if (r->ip_family_policy && policy_index(r->ip_family_policy, family_policy_values) < 0)
		fe_not_supported(e, "spec.ipFamilyPolicy", r->ip_family_policy, family_policy_values);
	else if (r->ip_family_policy && !strcmp(r->ip_family_policy, "RequireDualStack"))
		fe_invalid_str(e, "spec.ipFamilyPolicy", r->ip_family_policy,
			       "this cluster is not configured for dual-stack services");
	for (i = 0; r->ip_families && r->ip_families[i]; i++) {
		snprintf(field, sizeof(field), "spec.ipFamilies[%zu]", i);
		if (policy_index(r->ip_families[i], family_values) < 0)
			fe_not_supported(e, field, r->ip_families[i], family_values);
		else if (strcmp(r->ip_families[i], "IPv4") != 0)
			fe_invalid_str(e, field, r->ip_families[i], "not configured on this cluster");
	}
	if (str_set(r->cluster_ip) && r->cluster_ips && strcmp(r->cluster_ip, r->cluster_ips[0]) != 0)
		fe_invalid_str(e, "spec.clusterIPs", r->cluster_ips[0],
			       "element [0] must match clusterIP");
	for (i = 0; r->cluster_ips && r->cluster_ips[i]; i++) {
		struct pn_ip ip;

		snprintf(field, sizeof(field), "spec.clusterIPs[%zu]", i);
		if (!strcmp(r->cluster_ips[i], "None")) {
			if (i > 0)
				fe_invalid_str(e, field, r->cluster_ips[i],
					       "'None' must be the first and only value");
			continue;
		}
		if (pn_ip_parse(r->cluster_ips[i], &ip) < 0)
			fe_invalid_str(e, field, r->cluster_ips[i],
				       "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
		else if (i > 0)
			fe_invalid_str(e, field, r->cluster_ips[i],
				       "this cluster is not configured for dual-stack services");
	}

	if (policy_index(r->type, svc_type_values) < 0)
		fe_not_supported(e, "spec.type", r->type, svc_type_values);
	if (!strcmp(r->type, "ClusterIP"))
		for (i = 0; i < svc->n_ports; i++)
			if (svc->ports[i].node_port) {
				snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
				fe_printf(e, FE_FORBIDDEN, field,
					  "Forbidden: may not be used when `type` is 'ClusterIP'");
			}
	for (i = 0; i < svc->n_ports; i++) {
		const struct pn_svc_port *p = &svc->ports[i];

		if (!p->node_port)
			continue;
		for (j = 0; j < i; j++)
			if (svc->ports[j].node_port == p->node_port && p->protocol && svc->ports[j].protocol &&
			    !strcmp(svc->ports[j].protocol, p->protocol))
				break;
		if (j < i) {
			snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
			fe_printf(e, FE_DUPLICATE, field, "Duplicate value: %d", p->node_port);
		}
	}
	for (i = 0; i < svc->n_ports; i++) {
		const struct pn_svc_port *p = &svc->ports[i];

		for (j = 0; j < i; j++)
			if (svc->ports[j].port == p->port && p->protocol && svc->ports[j].protocol &&
			    !strcmp(svc->ports[j].protocol, p->protocol))
				break;
		if (j < i) {
			struct pn_buf b = { 0 };

			snprintf(field, sizeof(field), "spec.ports[%zu]", i);
			fe_start(&b, field);
			pn_buf_puts(&b, "Duplicate value: ");
			svc_port_gostring(&b, p->protocol, p->port);
			fe_done(e, &b, FE_DUPLICATE, field);
		}
	}

	/* validateServiceExternalTrafficPolicy: NodePort and LoadBalancer are
	 * the externally-accessible types here (no externalIPs). */
	if (!node_port && !lb) {
		if (str_set(r->etp))
			fe_invalid_str(e, "spec.externalTrafficPolicy", r->etp,
				       "may only be set for externally-accessible services");
	} else if (policy_index(r->etp, traffic_values) < 0) {
		fe_not_supported(e, "spec.externalTrafficPolicy", r->etp, traffic_values);
	}
	if (str_set(r->itp) && policy_index(r->itp, traffic_values) < 0)
		fe_not_supported(e, "spec.internalTrafficPolicy", r->itp, traffic_values);

	/* What podnet cannot give: no load balancer on one node. */
	if (lb)
		fe_printf(forbidden, FE_FORBIDDEN, "spec.type",
			  "Forbidden: type LoadBalancer needs a load-balancer controller, which a "
			  "single podnet node does not have; use type NodePort (reachable on the "
			  "node's address) or ClusterIP");

	svc->type = !strcmp(r->type, "NodePort") ? PN_SVC_NODE_PORT
		    : !strcmp(r->type, "ExternalName") ? PN_SVC_EXTERNAL_NAME
		    : lb ? PN_SVC_LOAD_BALANCER : PN_SVC_CLUSTER_IP;
	svc->affinity_client_ip = !strcmp(r->affinity, "ClientIP");
	svc->affinity_timeout = svc->affinity_client_ip ? (int)r->timeout : 0;
	svc->external_local = r->etp && !strcmp(r->etp, "Local");
	svc->internal_local = r->itp && !strcmp(r->itp, "Local");
	if (!ext_name && r->cluster_ips && r->cluster_ips[0]) {
		free(svc->cluster_ip);
		svc->cluster_ip = strdup(r->cluster_ips[0]);
		if (!svc->cluster_ip)
			e->oom = true;
	}
}

/* ------------------------------------------------------------ assembling */

/* ---- NetworkPolicy: the server's defaults and ValidateNetworkPolicy */

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* SetDefaults_NetworkPolicy and _NetworkPolicyPort, and the counts of the
 * NULL-terminated lists. */
static void netpol_defaults(struct pn_netpol *np)
{
	struct pn_np_rule *lists[2] = { np->ingress, np->egress };
	size_t counts[2] = { np->n_ingress, np->n_egress };

	if (!np->meta.namespace_ || !*np->meta.namespace_) {
		free(np->meta.namespace_);
		np->meta.namespace_ = strdup("default");
	}
	for (size_t l = 0; l < 2; l++)
		for (size_t r = 0; r < counts[l]; r++) {
			struct pn_np_rule *rule = &lists[l][r];

			for (size_t i = 0; i < rule->n_ports; i++)
				rule->ports[i].protocol = rule->ports[i].protocol_raw
								  ? pn_proto_parse(rule->ports[i].protocol_raw)
								  : PN_PROTO_TCP;
			for (size_t i = 0; i < rule->n_peers; i++) {
				struct pn_np_peer *p = &rule->peers[i];
				struct pn_selector *sels[2] = { p->pod_selector, p->ns_selector };

				if (p->ip_block)
					p->ip_block->n_except = strv_len(p->ip_block->except);
				for (size_t k = 0; k < 2; k++)
					for (size_t e = 0; sels[k] && e < sels[k]->n_exprs; e++)
						sels[k]->exprs[e].n_values = strv_len(sels[k]->exprs[e].values);
			}
		}
	for (size_t e = 0; e < np->pod_selector.n_exprs; e++)
		np->pod_selector.exprs[e].n_values = strv_len(np->pod_selector.exprs[e].values);
	/* Every policy affects ingress; one with egress rules egress too. */
	np->n_types = 0;
	if (!strv_len(np->types_raw)) {
		np->types[np->n_types++] = PN_NP_INGRESS;
		if (np->n_egress)
			np->types[np->n_types++] = PN_NP_EGRESS;
	} else {
		for (size_t i = 0; np->types_raw[i] && np->n_types < 2; i++)
			if (!strcmp(np->types_raw[i], "Ingress") || !strcmp(np->types_raw[i], "Egress"))
				np->types[np->n_types++] =
					!strcmp(np->types_raw[i], "Ingress") ? PN_NP_INGRESS : PN_NP_EGRESS;
	}
}

static enum pn_sel_op sel_op_parse(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "In"))
		return PN_SEL_IN;
	if (!strcmp(s, "NotIn"))
		return PN_SEL_NOT_IN;
	if (!strcmp(s, "Exists"))
		return PN_SEL_EXISTS;
	if (!strcmp(s, "DoesNotExist"))
		return PN_SEL_DOES_NOT_EXIST;
	return 0;
}

/* metav1 validation.ValidateLabelSelector (label values checked). */
static void validate_selector(struct msgs *e, const char *path, struct pn_selector *sel)
{
	struct k8s_msgs raw = { 0 };
	char f[768];

	snprintf(f, sizeof(f), "%s.matchLabels", path);
	validate_labels(e, f, &sel->match_labels);
	for (size_t i = 0; i < sel->n_exprs; i++) {
		struct pn_sel_req *r = &sel->exprs[i];

		r->op = sel_op_parse(r->op_raw);
		switch (r->op) {
		case PN_SEL_IN:
		case PN_SEL_NOT_IN:
			if (!r->n_values) {
				snprintf(f, sizeof(f), "%s.matchExpressions[%zu].values", path, i);
				fe_printf(e, FE_REQUIRED, f,
					  "Required value: must be specified when `operator` is 'In' or 'NotIn'");
			}
			break;
		case PN_SEL_EXISTS:
		case PN_SEL_DOES_NOT_EXIST:
			if (r->n_values) {
				snprintf(f, sizeof(f), "%s.matchExpressions[%zu].values", path, i);
				fe_printf(e, FE_FORBIDDEN, f,
					  "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
			}
			break;
		default:
			snprintf(f, sizeof(f), "%s.matchExpressions[%zu].operator", path, i);
			fe_invalid_str(e, f, r->op_raw ? r->op_raw : "", "not a valid selector operator");
		}
		snprintf(f, sizeof(f), "%s.matchExpressions[%zu].key", path, i);
		k8s_check_qualified_name(r->key ? r->key : "", &raw);
		invalid_each(e, f, r->key ? r->key : "", &raw);
		for (size_t k = 0; k < r->n_values; k++) {
			snprintf(f, sizeof(f), "%s.matchExpressions[%zu].values[%zu]", path, i, k);
			k8s_check_label_value(r->values[k], &raw);
			invalid_each(e, f, r->values[k], &raw);
		}
	}
}

static const char *const np_proto_values[] = { "TCP", "UDP", "SCTP", NULL };
static const char *const np_type_values[] = { "Ingress", "Egress", NULL };
#define MSG_CIDR "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
#define MSG_PORT_NUM "must be between 1 and 65535, inclusive"

/* ValidateNetworkPolicyPort */
static void validate_np_port(struct msgs *e, const char *path, const struct pn_np_port *p)
{
	struct k8s_msgs raw = { 0 };
	char f[768], fe[1024];

	snprintf(f, sizeof(f), "%s.port", path);
	snprintf(fe, sizeof(fe), "%s.endPort", path);
	if (p->protocol_raw && !pn_proto_parse(p->protocol_raw)) {
		char fp[768];

		snprintf(fp, sizeof(fp), "%s.protocol", path);
		fe_not_supported(e, fp, p->protocol_raw, np_proto_values);
	}
	if (p->has_port && !p->port_name) {
		if (p->port < 1 || p->port > 65535)
			fe_invalid_int(e, f, p->port, MSG_PORT_NUM);
		if (p->has_end_port) {
			if (p->end_port < p->port)
				fe_invalid_int(e, fe, p->end_port, "must be greater than or equal to `port`");
			if (p->end_port < 1 || p->end_port > 65535)
				fe_invalid_int(e, fe, p->end_port, MSG_PORT_NUM);
		}
	} else if (p->has_port) {
		if (p->has_end_port)
			fe_invalid_int(e, fe, p->end_port, "may not be specified when `port` is non-numeric");
		k8s_check_port_name(p->port_name, &raw);
		invalid_each(e, f, p->port_name, &raw);
	} else if (p->has_end_port) {
		fe_invalid_int(e, fe, p->end_port, "may not be specified when `port` is not specified");
	}
}

/* ValidateIPBlock, with IsValidCIDR: an address, "/", a prefix length. */
static void validate_ipblock(struct msgs *e, const char *path, const struct pn_np_ipblock *b)
{
	struct pn_cidr cidr, ex, net, exnet;
	char f[768];

	snprintf(f, sizeof(f), "%s.cidr", path);
	if (!b->cidr || !*b->cidr) {
		fe_required(e, f);
		return;
	}
	if (pn_cidr_parse(b->cidr, &cidr) < 0) {
		fe_invalid_str(e, f, b->cidr, MSG_CIDR);
		return;
	}
	pn_cidr_network(&cidr, &net);
	for (size_t i = 0; i < b->n_except; i++) {
		snprintf(f, sizeof(f), "%s.except[%zu]", path, i);
		if (pn_cidr_parse(b->except[i], &ex) < 0) {
			fe_invalid_str(e, f, b->except[i], MSG_CIDR);
			continue;
		}
		pn_cidr_network(&ex, &exnet);
		if (!pn_cidr_contains(&net, &exnet.ip) || net.prefix >= exnet.prefix)
			fe_invalid_str(e, f, b->except[i], "must be a strict subset of `cidr`");
	}
}

/* ValidateNetworkPolicyPeer */
static void validate_peer(struct msgs *e, const char *path, struct pn_np_peer *p)
{
	int n = 0;
	char f[512];

	if (p->pod_selector) {
		n++;
		snprintf(f, sizeof(f), "%s.podSelector", path);
		validate_selector(e, f, p->pod_selector);
	}
	if (p->ns_selector) {
		n++;
		snprintf(f, sizeof(f), "%s.namespaceSelector", path);
		validate_selector(e, f, p->ns_selector);
	}
	if (p->ip_block) {
		n++;
		snprintf(f, sizeof(f), "%s.ipBlock", path);
		validate_ipblock(e, f, p->ip_block);
	}
	if (n == 0)
		fe_printf(e, FE_REQUIRED, path, "Required value: must specify a peer");
	else if (n > 1 && p->ip_block)
		fe_printf(e, FE_FORBIDDEN, path, "Forbidden: may not specify both ipBlock and another peer");
}

/* ValidateNetworkPolicy: metadata, then the spec in the API server's order. */
static void validate_netpol(struct msgs *e, struct pn_netpol *np)
{
	size_t n_types = strv_len(np->types_raw);
	char f[256];

	validate_meta(e, &np->meta, true);
	validate_selector(e, "spec.podSelector", &np->pod_selector);
	for (size_t i = 0; i < np->n_ingress; i++) {
		for (size_t k = 0; k < np->ingress[i].n_ports; k++) {
			snprintf(f, sizeof(f), "spec.ingress[%zu].ports[%zu]", i, k);
			validate_np_port(e, f, &np->ingress[i].ports[k]);
		}
		for (size_t k = 0; k < np->ingress[i].n_peers; k++) {
			snprintf(f, sizeof(f), "spec.ingress[%zu].from[%zu]", i, k);
			validate_peer(e, f, &np->ingress[i].peers[k]);
		}
	}
	for (size_t i = 0; i < np->n_egress; i++) {
		for (size_t k = 0; k < np->egress[i].n_ports; k++) {
			snprintf(f, sizeof(f), "spec.egress[%zu].ports[%zu]", i, k);
			validate_np_port(e, f, &np->egress[i].ports[k]);
		}
		for (size_t k = 0; k < np->egress[i].n_peers; k++) {
			snprintf(f, sizeof(f), "spec.egress[%zu].to[%zu]", i, k);
			validate_peer(e, f, &np->egress[i].peers[k]);
		}
	}
	if (n_types > 2) {
		/* field.Invalid with the slice itself: Go's %#v of it */
		struct pn_buf b = { 0 };

		fe_start(&b, "spec.policyTypes");
		pn_buf_puts(&b, "Invalid value: []networking.PolicyType{");
		for (size_t i = 0; i < n_types; i++) {
			if (i)
				pn_buf_puts(&b, ", ");
			k8s_goquote_buf(&b, np->types_raw[i]);
		}
		pn_buf_puts(&b, "}: may not specify more than two policyTypes");
		fe_done(e, &b, FE_INVALID, "spec.policyTypes");
		return;
	}
	for (size_t i = 0; i < n_types; i++)
		if (strcmp(np->types_raw[i], "Ingress") && strcmp(np->types_raw[i], "Egress")) {
			snprintf(f, sizeof(f), "spec.policyTypes[%zu]", i);
			fe_not_supported(e, f, np->types_raw[i], np_type_values);
		}
}

struct mctx {
	const char *source;
	struct pn_object *objs;
	size_t n;
	struct pn_err *err;
};

static int nomem(struct pn_err *err)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

/* utilerrors.NewAggregate's text: one error alone, several in brackets. */
static void sb_aggregate(struct pn_buf *b, const struct msgs *m)
{
	size_t i;

	if (m->n == 1) {
		pn_buf_puts(b, m->v[0]);
		return;
	}
	pn_buf_puts(b, "[");
	for (i = 0; i < m->n; i++) {
		if (i)
			pn_buf_puts(b, ", ");
		pn_buf_puts(b, m->v[i]);
	}
	pn_buf_puts(b, "]");
}

static int fail_sb(struct pn_err *err, int code, struct pn_buf *b)
{
	int ret;

	if (b->failed) {
		free(b->s);
		return nomem(err);
	}
	ret = pn_error(err, code, 0, "%s", b->s);
	free(b->s);
	return ret;
}

/* Each field error of @m as a cause of @err (Status.details.causes). */
static int add_causes(struct pn_err *err, const struct msgs *m)
{
	char *field;
	size_t i;
	int ret;

	for (i = 0; err && i < m->n; i++) {
		if (!m->cause[i].reason)
			continue;
		field = strndup(m->v[i], m->cause[i].field_len);
		if (!field)
			return -ENOMEM;
		ret = pn_err_cause(err, m->cause[i].reason, field, "%s",
				   m->v[i] + m->cause[i].field_len + 2);
		free(field);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int fail_client(struct pn_err *err, const char *source, const struct msgs *m)
{
	struct pn_buf b = { 0 };

	/* kubectl adds "; if you choose to ignore these errors, turn validation
	 * off with --validate=false": podnet has no such switch. */
	pn_buf_puts(&b, "error: error validating ");
	k8s_goquote_buf(&b, source);
	pn_buf_puts(&b, ": error validating data: ");
	sb_aggregate(&b, m);
	return fail_sb(err, PN_E_BAD_REQUEST, &b);
}

/*
 * kubectl's MultilineError for an Invalid status: one line, or "* " bullets
 * (kube-apiserver's own message joins them as "[a, b]"; kubectl rebuilds it
 * from the causes).  The field errors are the error's causes too.
 */
static int fail_invalid(struct pn_err *err, const char *kind, const char *name, const struct msgs *a,
			const struct msgs *b2)
{
	struct pn_buf b = { 0 };
	size_t i, n = a->n + b2->n;
	int ret;

	pn_buf_printf(&b, "The %s ", kind);
	k8s_goquote_buf(&b, name ? name : "");
	pn_buf_puts(&b, " is invalid: ");
	for (i = 0; i < n; i++) {
		if (n > 1)
			pn_buf_puts(&b, "\n* ");
		pn_buf_puts(&b, i < a->n ? a->v[i] : b2->v[i - a->n]);
	}
	ret = fail_sb(err, PN_E_INVALID, &b);
	if (ret != -ENOMEM && (add_causes(err, a) < 0 || add_causes(err, b2) < 0))
		ret = nomem(err);
	return ret;
}

/*
 * kube-apiserver's own text for an Invalid object (kubectl rebuilds its
 * "The Pod ..." lines from the causes): one cause as "field: message",
 * several as Go's aggregate prints them, "[a, b]".
 */
static int fail_invalid_api(struct pn_err *err, const char *kind, const char *name,
			    const struct msgs *a, const struct msgs *b2)
{
	struct pn_buf b = { 0 };
	size_t i, n = a->n + b2->n;
	int ret;

	pn_buf_printf(&b, "%s ", kind);
	k8s_goquote_buf(&b, name ? name : "");
	pn_buf_puts(&b, n > 1 ? " is invalid: [" : " is invalid: ");
	for (i = 0; i < n; i++)
		pn_buf_printf(&b, "%s%s", i ? ", " : "", i < a->n ? a->v[i] : b2->v[i - a->n]);
	if (n > 1)
		pn_buf_puts(&b, "]");
	ret = fail_sb(err, PN_E_INVALID, &b);
	if (ret != -ENOMEM && (add_causes(err, a) < 0 || add_causes(err, b2) < 0))
		ret = nomem(err);
	return ret;
}

/* api mode: Go's decoding error, then strict field validation. */
static int api_decode_result(struct dec *d, const char *version, const struct manifest_api *api,
			     struct pn_err *err)
{
	struct pn_buf b = { 0 };
	size_t i;

	if (d->decode.n) {
		pn_buf_printf(&b, "%s in version \"%s\" cannot be handled as a %s: %s", d->kind,
			      version, d->kind, d->decode.v[0]);
		return fail_sb(err, PN_E_BAD_REQUEST, &b);
	}
	if (!d->unknown.n || api->validation == MANIFEST_FV_IGNORE)
		return 0;
	if (api->validation == MANIFEST_FV_WARN) {
		for (i = 0; api->warnings && i < d->unknown.n; i++)
			if (json_array_append_new(api->warnings, json_string(d->unknown.v[i])) < 0)
				return nomem(err);
		return 0;
	}
	pn_buf_printf(&b, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ",
		      d->kind, version, d->kind);
	for (i = 0; i < d->unknown.n; i++)
		pn_buf_printf(&b, "%s%s", i ? ", " : "", d->unknown.v[i]);
	return fail_sb(err, PN_E_BAD_REQUEST, &b);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The kinds manifest_parse() knows: names, types and how to make them
 * as the API server would. */
struct kind_info {
	const char *kind;        /* "Pod" */
	const char *api;         /* its apiVersion: "v1", "networking.k8s.io/v1" */
	const char *resource;    /* "pods" */
	const struct ftype *type;
	bool namespaced;
};

static const struct kind_info kinds[] = {
	[PN_KIND_POD] = { "Pod", "v1", "pods", &pod_type, true },
	[PN_KIND_NAMESPACE] = { "Namespace", "v1", "namespaces", &ns_type, false },
	[PN_KIND_NETPOL] = { "NetworkPolicy", "networking.k8s.io/v1", "networkpolicies", &np_type, true },
	[PN_KIND_SERVICE] = { "Service", "v1", "services", &svc_type, true },
};
#define KIND_LAST PN_KIND_SERVICE

static void object_free(enum pn_kind kind, void *obj)
{
	switch (kind) {
	case PN_KIND_POD: pn_pod_free(obj); break;
	case PN_KIND_NAMESPACE: pn_namespace_free(obj); break;
	case PN_KIND_NETPOL: pn_netpol_free(obj); break;
	case PN_KIND_SERVICE: pn_service_free(obj); break;
	}
}

static struct pn_meta *object_meta(enum pn_kind kind, void *obj)
{
	switch (kind) {
	case PN_KIND_POD: return &((struct pn_pod *)obj)->meta;
	case PN_KIND_NAMESPACE: return &((struct pn_namespace *)obj)->meta;
	case PN_KIND_NETPOL: return &((struct pn_netpol *)obj)->meta;
	case PN_KIND_SERVICE: return &((struct pn_service *)obj)->meta;
	}
	return NULL;
}

/* "/v1" for the core group, "networking.k8s.io/v1" otherwise (schema.
 * GroupVersion's String, as kubectl prints it in a GroupVersionKind). */
static const char *group_version(const struct kind_info *ki, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", strchr(ki->api, '/') ? "" : "/", ki->api);
	return buf;
}

/* the API server's defaulting and validation of @kind */
static void defaults_and_validate(struct dec *d, enum pn_kind kind, void *obj, struct pod_raw *raw,
				  struct svc_raw *sraw)
{
	struct pn_meta *meta = object_meta(kind, obj);

	switch (kind) {
	case PN_KIND_POD:
		pod_defaults(obj, raw);
		validate_pod(&d->invalid, obj, raw);
		break;
	case PN_KIND_SERVICE:
		svc_defaults(obj, sraw);
		if (!sraw->type || !sraw->affinity) {
			d->invalid.oom = true;
			break;
		}
		validate_service(&d->invalid, &d->forbidden, obj, sraw);
		break;
	case PN_KIND_NETPOL:
		netpol_defaults(obj);
		validate_netpol(&d->invalid, obj);
		break;
	case PN_KIND_NAMESPACE: {
		/* the API server labels every namespace with its own name (1.21+) */
		const char *key = "kubernetes.io/metadata.name";
		struct pn_kv *items;

		if (!pn_kvs_get(&meta->labels, key) && meta->name) {
			items = realloc(meta->labels.items, (meta->labels.n + 1) * sizeof(*items));
			if (items) {
				meta->labels.items = items;
				items[meta->labels.n].key = strdup(key);
				items[meta->labels.n].value = strdup(meta->name);
				meta->labels.n++;
				qsort(items, meta->labels.n, sizeof(*items), kv_cmp);
			}
		}
		validate_meta(&d->invalid, meta, false);
		/* a Namespace is cluster-scoped: kubectl drops a namespace given here */
		free(meta->namespace_);
		meta->namespace_ = NULL;
		break;
	}
	}
}

/*
 * Steps 2..6 of the pipeline for one object of a kind of kinds[] (its
 * apiVersion and kind checked by the caller).  Fills *out.
 */
static int decode_object(json_t *o, const char *source, bool store, enum pn_kind kind, void **out,
			 const struct manifest_api *api, struct pn_err *err)
{
	const struct kind_info *ki = &kinds[kind];
	struct dec *d = NULL;
	struct pod_raw raw = { 0 };
	struct svc_raw sraw = { 0 };
	struct fctx cx = { .raw = &raw, .sraw = &sraw };
	void *obj = NULL;
	struct pn_meta *meta;
	struct pn_buf b = { 0 };
	char gv[64];
	const char *name;
	int ret;

	d = calloc(1, sizeof(*d));
	obj = calloc(1, ki->type->size);
	if (!d || !obj) {
		ret = nomem(err);
		goto out;
	}
	meta = object_meta(kind, obj);
	d->kind = ki->kind;
	d->store = store;
	d->api = api != NULL;
	dec_object(d, o, ki->type, obj, &cx);
	if (d->oom || d->client.oom || d->decode.oom || d->forbidden.oom || d->unknown.oom) {
		ret = nomem(err);
		goto out;
	}
	if (api) {
		const char *slash = strchr(ki->api, '/');

		ret = api_decode_result(d, slash ? slash + 1 : ki->api, api, err);
		if (ret < 0)
			goto out;
	} else if (d->client.n) {
		ret = fail_client(err, source, &d->client);
		goto out;
	}

	/* kubectl apply looks the object up by name before anything else */
	name = jstr(json_object_get(o, "metadata"), "name");
	if (!api && (!name || !*name)) {
		const char *nsn = jstr(json_object_get(o, "metadata"), "namespace");

		group_version(ki, gv, sizeof(gv));
		pn_buf_printf(&b, "error: error when retrieving current configuration of:\n"
			      "Resource: \"%s, Resource=%s\", GroupVersionKind: \"%s, Kind=%s\"\n"
			      "Name: \"\", Namespace: ",
			      gv, ki->resource, gv, ki->kind);
		k8s_goquote_buf(&b, ki->namespaced ? (nsn && *nsn ? nsn : "default") : "");
		pn_buf_puts(&b, "\nfrom server for: ");
		k8s_goquote_buf(&b, source);
		pn_buf_puts(&b, ": resource name may not be empty");
		ret = fail_sb(err, PN_E_BAD_REQUEST, &b);
		goto out;
	}
	if (d->decode.n && !api) {
		const char *slash = strchr(ki->api, '/');

		pn_buf_printf(&b, "Error from server (BadRequest): error when creating ");
		k8s_goquote_buf(&b, source);
		pn_buf_printf(&b, ": %s in version \"%s\" cannot be handled as a %s: %s", ki->kind,
			      slash ? slash + 1 : ki->api, ki->kind, d->decode.v[0]);
		ret = fail_sb(err, PN_E_BAD_REQUEST, &b);
		goto out;
	}

	defaults_and_validate(d, kind, obj, &raw, &sraw);
	if (d->invalid.oom || d->forbidden.oom) {
		ret = nomem(err);
		goto out;
	}
	if (d->invalid.n || d->forbidden.n) {
		ret = api ? fail_invalid_api(err, ki->kind, meta->name, &d->invalid, &d->forbidden)
			  : fail_invalid(err, ki->kind, meta->name, &d->invalid, &d->forbidden);
		goto out;
	}
	if (ki->namespaced && !meta->namespace_) { /* strdup("default") failed */
		ret = nomem(err);
		goto out;
	}
	*out = obj;
	obj = NULL;
	ret = 0;
out:
	if (d) {
		msgs_free(&d->client);
		msgs_free(&d->decode);
		msgs_free(&d->forbidden);
		msgs_free(&d->invalid);
		msgs_free(&d->unknown);
	}
	free(d);
	pod_raw_free(&raw);
	svc_raw_free(&sraw);
	object_free(kind, obj);
	return ret;
}

static int add_object(struct mctx *m, enum pn_kind kind, void *obj, int doc, json_t *o)
{
	const char *nsn = jstr(json_object_get(o, "metadata"), "namespace");
	struct pn_object *t = realloc(m->objs, (m->n + 1) * sizeof(*t));

	if (!t) {
		object_free(kind, obj);
		return nomem(m->err);
	}
	m->objs = t;
	memset(&t[m->n], 0, sizeof(t[m->n]));
	t[m->n].kind = kind;
	switch (kind) {
	case PN_KIND_POD: t[m->n].pod = obj; break;
	case PN_KIND_NAMESPACE: t[m->n].ns = obj; break;
	case PN_KIND_NETPOL: t[m->n].np = obj; break;
	case PN_KIND_SERVICE: t[m->n].svc = obj; break;
	}
	t[m->n].doc = doc;
	t[m->n].namespace_given = nsn && *nsn;
	m->n++;
	return 0;
}

/* Steps 2..6 for one document (or one item of a v1 List). */
static int process_object(struct mctx *m, json_t *o, int doc, bool in_list)
{
	struct msgs gvk = { 0 };
	struct pn_buf b = { 0 };
	json_t *av, *kv, *items, *it;
	const char *api = NULL, *kind = NULL, *sl;
	void *obj = NULL;
	size_t i;
	int ret, k;

	if (json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		msgs_add(&gvk, "invalid object to validate");
		goto gvk_fail;
	}
	/* kubectl's getObjectKind */
	av = json_object_get(o, "apiVersion");
	kv = json_object_get(o, "kind");
	if (!av || json_is_null(av)) {
		msgs_add(&gvk, "apiVersion not set");
	} else if (!json_is_string(av)) {
		msgs_add(&gvk, "apiVersion isn't string type");
	} else {
		api = json_string_value(av);
		sl = strchr(api, '/');
		if (sl && strchr(sl + 1, '/'))
			msgs_add(&gvk, "unexpected GroupVersion string: %s", api);
	}
	if (!kv || json_is_null(kv))
		msgs_add(&gvk, "kind not set");
	else if (!json_is_string(kv))
		msgs_add(&gvk, "kind isn't string type");
	else
		kind = json_string_value(kv);
	if (gvk.n || gvk.oom)
		goto gvk_fail;

	if (!in_list && strcmp(api, "v1") == 0 && strcmp(kind, "List") == 0) {
		items = json_object_get(o, "items");
		if (json_is_array(items))
			json_array_foreach(items, i, it)
				if ((ret = process_object(m, it, doc, true)) < 0)
					return ret;
		return 0;
	}
	for (k = PN_KIND_POD; k <= KIND_LAST; k++)
		if (strcmp(api, kinds[k].api) == 0 && strcmp(kind, kinds[k].kind) == 0)
			break;
	if (k > KIND_LAST) {
		const char *name = jstr(json_object_get(o, "metadata"), "name");
		const char *nsn = jstr(json_object_get(o, "metadata"), "namespace");

		pn_buf_puts(&b, "error: resource mapping not found for name: ");
		k8s_goquote_buf(&b, name ? name : "");
		pn_buf_puts(&b, " namespace: ");
		k8s_goquote_buf(&b, nsn ? nsn : "");
		pn_buf_puts(&b, " from ");
		k8s_goquote_buf(&b, m->source);
		pn_buf_puts(&b, ": no matches for kind ");
		k8s_goquote_buf(&b, kind);
		pn_buf_puts(&b, " in version ");
		k8s_goquote_buf(&b, api);
		pn_buf_puts(&b, "\nensure CRDs are installed first");
		return fail_sb(m->err, PN_E_NOT_FOUND, &b);
	}
	ret = decode_object(o, m->source, false, (enum pn_kind)k, &obj, NULL, m->err);
	if (ret < 0)
		return ret;
	return add_object(m, (enum pn_kind)k, obj, doc, o);

gvk_fail:
	if (gvk.oom) {
		msgs_free(&gvk);
		return nomem(m->err);
	}
	ret = fail_client(m->err, m->source, &gvk);
	msgs_free(&gvk);
	return ret;
}

void manifest_objects_free(struct pn_object *o, size_t n)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < n; i++) {
		pn_pod_free(o[i].pod);
		pn_namespace_free(o[i].ns);
		pn_netpol_free(o[i].np);
		pn_service_free(o[i].svc);
	}
	free(o);
}

int manifest_yaml_to_json(const char *buf, size_t len, json_t **out, struct pn_err *err)
{
	struct yloader *y = calloc(1, sizeof(*y));
	struct pn_buf b = { 0 };
	int ret, r;

	*out = NULL;
	if (!y || !yaml_parser_initialize(&y->parser)) {
		free(y);
		return nomem(err);
	}
	y->parser_ok = true;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)buf, len);
	r = yl_next(y, out);
	if (r < 0) {
		if (y->oom) {
			ret = nomem(err);
		} else {
			pn_buf_puts(&b, "error converting YAML to JSON: ");
			pn_buf_puts(&b, y->msg.s ? y->msg.s : "yaml: unknown error");
			ret = fail_sb(err, PN_E_BAD_REQUEST, &b);
		}
	} else {
		ret = 0;
		if (!*out)
			*out = json_null();
	}
	yl_free(y);
	free(y);
	return ret;
}

int manifest_parse(const char *buf, size_t len, const char *source, struct pn_object **out, size_t *n,
		   struct pn_err *err)
{
	struct mctx m = { .source = source ? source : "STDIN", .err = err };
	struct yloader *y = NULL;
	struct pn_buf b = { 0 };
	json_t *doc = NULL;
	int ret, r, idx = 0;

	*out = NULL;
	*n = 0;
	y = calloc(1, sizeof(*y));
	if (!y || !yaml_parser_initialize(&y->parser)) {
		ret = nomem(err);
		goto out;
	}
	y->parser_ok = true;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)buf, len);
	for (;;) {
		r = yl_next(y, &doc);
		if (r < 0) {
			if (y->oom) {
				ret = nomem(err);
				goto out;
			}
			pn_buf_puts(&b, "error: error parsing ");
			pn_buf_puts(&b, m.source);
			pn_buf_puts(&b, ": error converting YAML to JSON: ");
			pn_buf_puts(&b, y->msg.s ? y->msg.s : "yaml: unknown error");
			ret = fail_sb(err, PN_E_BAD_REQUEST, &b);
			if (y->line)
				pn_err_details(err, "line %zu, column %zu", y->line, y->col);
			goto out;
		}
		if (r == 0)
			break;
		ret = process_object(&m, doc, idx, false);
		json_decref(doc);
		doc = NULL;
		if (ret < 0)
			goto out;
		idx++;
	}
	*out = m.objs;
	*n = m.n;
	m.objs = NULL;
	ret = 0;
out:
	json_decref(doc);
	manifest_objects_free(m.objs, m.n);
	if (y)
		yl_free(y);
	free(y);
	return ret;
}

static int from_json(json_t *j, enum pn_kind kind, void **out, struct pn_err *err)
{
	const char *api = jstr(j, "apiVersion"), *k = jstr(j, "kind");

	*out = NULL;
	if (!json_is_object(j) || !api || !k || strcmp(api, kinds[kind].api) || strcmp(k, kinds[kind].kind))
		return pn_error(err, PN_E_STATE, 0, "error: stored object is not a %s %s", kinds[kind].api,
				kinds[kind].kind);
	return decode_object(j, "podnet state", true, kind, out, NULL, err);
}

int manifest_decode_api(json_t *o, enum pn_kind kind, const struct manifest_api *api,
			struct pn_object *out, struct pn_err *err)
{
	void *obj = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!json_is_object(o))
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "Object 'Kind' is missing in '%s'",
				"null");
	ret = decode_object(o, "request", false, kind, &obj, api, err);
	if (ret < 0)
		return ret;
	switch (kind) {
	case PN_KIND_POD: out->pod = obj; break;
	case PN_KIND_NAMESPACE: out->ns = obj; break;
	case PN_KIND_NETPOL: out->np = obj; break;
	case PN_KIND_SERVICE: out->svc = obj; break;
	}
	return 0;
}

int pod_from_json(json_t *j, struct pn_pod **out, struct pn_err *err)
{
	return from_json(j, PN_KIND_POD, (void **)out, err);
}

int namespace_from_json(json_t *j, struct pn_namespace **out, struct pn_err *err)
{
	return from_json(j, PN_KIND_NAMESPACE, (void **)out, err);
}

int netpol_from_json(json_t *j, struct pn_netpol **out, struct pn_err *err)
{
	return from_json(j, PN_KIND_NETPOL, (void **)out, err);
}

int service_from_json(json_t *j, struct pn_service **out, struct pn_err *err)
{
	return from_json(j, PN_KIND_SERVICE, (void **)out, err);
}

/* ----------------------------------------------------------- structs → JSON */

/* Adds are no-ops once one failed; the caller checks *ok at the end. */
static void jset(json_t *o, const char *k, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		*ok = false;
}

static void jset_str(json_t *o, const char *k, const char *s, bool *ok)
{
	if (s && *s)
		jset(o, k, json_string(s), ok);
}

static json_t *kvs_json(const struct pn_kvs *k, bool *ok)
{
	json_t *o = json_object();
	size_t i;

	if (!o) {
		*ok = false;
		return NULL;
	}
	/* kept sorted by the parser; kubectl prints maps sorted */
	for (i = 0; i < k->n; i++)
		jset(o, k->items[i].key, json_string(k->items[i].value), ok);
	return o;
}

static json_t *strv_json(char **v, bool *ok)
{
	json_t *a = json_array();
	size_t i;

	if (!a) {
		*ok = false;
		return NULL;
	}
	for (i = 0; v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			*ok = false;
	return a;
}

static json_t *meta_json(const struct pn_meta *m, bool *ok)
{
	json_t *o = json_object();
	char ts[32];
	struct tm tm;

	if (!o) {
		*ok = false;
		return NULL;
	}
	if (m->annotations.n)
		jset(o, "annotations", kvs_json(&m->annotations, ok), ok);
	if (m->creation && gmtime_r(&m->creation, &tm)) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		jset(o, "creationTimestamp", json_string(ts), ok);
	} else {
		jset(o, "creationTimestamp", json_null(), ok);
	}
	if (m->generation)
		jset(o, "generation", json_integer(m->generation), ok);
	if (m->labels.n)
		jset(o, "labels", kvs_json(&m->labels, ok), ok);
	jset_str(o, "name", m->name, ok);
	jset_str(o, "namespace", m->namespace_, ok);
	jset_str(o, "uid", m->uid, ok);
	return o;
}

static json_t *intstr_json(int num, const char *name)
{
	return name ? json_string(name) : json_integer(num);
}

static json_t *probe_json(const struct pn_probe *p, bool *ok)
{
	json_t *o = json_object(), *h = json_object();

	if (!o || !h) {
		json_decref(o);
		json_decref(h);
		*ok = false;
		return NULL;
	}
	switch (p->handler) {
	case PN_PROBE_EXEC:
		if (p->command)
			jset(h, "command", strv_json(p->command, ok), ok);
		jset(o, "exec", h, ok);
		break;
	case PN_PROBE_HTTP:
		jset_str(h, "host", p->host, ok);
		if (p->n_headers) {
			json_t *a = json_array();

			for (size_t i = 0; a && i < p->n_headers; i++) {
				json_t *e = json_object();

				if (e) {
					jset_str(e, "name", p->headers[i].name, ok);
					jset(e, "value", json_string(p->headers[i].value ? p->headers[i].value : ""), ok);
				}
				if (!e || json_array_append_new(a, e) < 0)
					*ok = false;
			}
			jset(h, "httpHeaders", a, ok);
		}
		jset_str(h, "path", p->path, ok);
		jset(h, "port", intstr_json(p->port, p->port_name), ok);
		jset_str(h, "scheme", p->scheme, ok);
		jset(o, "httpGet", h, ok);
		break;
	case PN_PROBE_TCP:
		jset_str(h, "host", p->host, ok);
		jset(h, "port", intstr_json(p->port, p->port_name), ok);
		jset(o, "tcpSocket", h, ok);
		break;
	case PN_PROBE_GRPC:
		jset(h, "port", json_integer(p->port), ok);
		jset(h, "service", json_string(p->grpc_service ? p->grpc_service : ""), ok);
		jset(o, "grpc", h, ok);
		break;
	case PN_PROBE_NONE:
		json_decref(h);
		break;
	}
	jset(o, "failureThreshold", json_integer(p->failure_threshold), ok);
	if (p->initial_delay)
		jset(o, "initialDelaySeconds", json_integer(p->initial_delay), ok);
	jset(o, "periodSeconds", json_integer(p->period), ok);
	jset(o, "successThreshold", json_integer(p->success_threshold), ok);
	if (p->has_termination_grace)
		jset(o, "terminationGracePeriodSeconds", json_integer(p->termination_grace), ok);
	jset(o, "timeoutSeconds", json_integer(p->timeout), ok);
	return o;
}

static json_t *container_json(const struct pn_container_spec *c, bool *ok)
{
	json_t *o = json_object(), *a, *e;
	enum pn_pull_policy pp = c->pull_policy;
	size_t i;

	if (!o) {
		*ok = false;
		return NULL;
	}
	if (c->args)
		jset(o, "args", strv_json(c->args, ok), ok);
	if (c->command)
		jset(o, "command", strv_json(c->command, ok), ok);
	if (c->n_env) {
		a = json_array();
		for (i = 0; a && i < c->n_env; i++) {
			e = json_object();
			if (e) {
				jset_str(e, "name", c->env[i].name, ok);
				jset_str(e, "value", c->env[i].value, ok);
			}
			if (!e || json_array_append_new(a, e) < 0)
				*ok = false;
		}
		jset(o, "env", a, ok);
	}
	jset_str(o, "image", c->image, ok);
	if (pp == PN_PULL_DEFAULT)
		pp = default_pull_policy(c->image);
	jset_str(o, "imagePullPolicy", pn_pull_policy_str(pp), ok);
	if (c->liveness.present)
		jset(o, "livenessProbe", probe_json(&c->liveness, ok), ok);
	jset_str(o, "name", c->name, ok);
	if (c->n_ports) {
		a = json_array();
		for (i = 0; a && i < c->n_ports; i++) {
			e = json_object();
			if (e) {
				jset(e, "containerPort", json_integer(c->ports[i].container_port), ok);
				if (c->ports[i].host_port)
					jset(e, "hostPort", json_integer(c->ports[i].host_port), ok);
				jset_str(e, "name", c->ports[i].name, ok);
				jset_str(e, "protocol", c->ports[i].protocol ? c->ports[i].protocol : "TCP", ok);
			}
			if (!e || json_array_append_new(a, e) < 0)
				*ok = false;
		}
		jset(o, "ports", a, ok);
	}
	if (c->readiness.present)
		jset(o, "readinessProbe", probe_json(&c->readiness, ok), ok);
	if (c->startup.present)
		jset(o, "startupProbe", probe_json(&c->startup, ok), ok);
	if (c->stdin_open)
		jset(o, "stdin", json_true(), ok);
	if (c->tty)
		jset(o, "tty", json_true(), ok);
	jset_str(o, "workingDir", c->working_dir, ok);
	return o;
}

json_t *pod_to_json(const struct pn_pod *p)
{
	const struct pn_pod_spec *s = &p->spec;
	json_t *o = json_object(), *spec = json_object(), *a = json_array();
	bool ok = o && spec && a;
	size_t i;

	if (!ok) {
		json_decref(o);
		json_decref(spec);
		json_decref(a);
		return NULL;
	}
	/* Keys in sorted order, as kubectl prints them. */
	jset(o, "apiVersion", json_string("v1"), &ok);
	jset(o, "kind", json_string("Pod"), &ok);
	jset(o, "metadata", meta_json(&p->meta, &ok), &ok);
	for (i = 0; i < s->n_containers; i++)
		if (json_array_append_new(a, container_json(&s->containers[i], &ok)) < 0)
			ok = false;
	jset(spec, "containers", a, &ok);
	if (s->host_ipc)
		jset(spec, "hostIPC", json_true(), &ok);
	if (s->host_network)
		jset(spec, "hostNetwork", json_true(), &ok);
	if (s->host_pid)
		jset(spec, "hostPID", json_true(), &ok);
	jset_str(spec, "hostname", s->hostname, &ok);
	if (s->node_selector.n)
		jset(spec, "nodeSelector", kvs_json(&s->node_selector, &ok), &ok);
	jset(spec, "restartPolicy", json_string(pn_restart_policy_str(s->restart_policy)), &ok);
	if (s->share_process_namespace)
		jset(spec, "shareProcessNamespace", json_true(), &ok);
	jset(spec, "terminationGracePeriodSeconds", json_integer(s->termination_grace_period), &ok);
	jset(o, "spec", spec, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *namespace_to_json(const struct pn_namespace *ns)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!ok)
		return NULL;
	jset(o, "apiVersion", json_string("v1"), &ok);
	jset(o, "kind", json_string("Namespace"), &ok);
	jset(o, "metadata", meta_json(&ns->meta, &ok), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *selector_json(const struct pn_selector *sel, bool *ok)
{
	json_t *o = json_object(), *a;

	if (!o) {
		*ok = false;
		return NULL;
	}
	if (sel->n_exprs) {
		a = json_array();
		for (size_t i = 0; a && i < sel->n_exprs; i++) {
			const struct pn_sel_req *r = &sel->exprs[i];
			json_t *e = json_object();

			if (e) {
				jset_str(e, "key", r->key, ok);
				jset_str(e, "operator", r->op_raw, ok);
				if (r->n_values)
					jset(e, "values", strv_json(r->values, ok), ok);
			}
			if (!e || json_array_append_new(a, e) < 0)
				*ok = false;
		}
		jset(o, "matchExpressions", a, ok);
	}
	if (sel->match_labels.n)
		jset(o, "matchLabels", kvs_json(&sel->match_labels, ok), ok);
	return o;
}

static json_t *np_rule_json(const struct pn_np_rule *r, bool egress, bool *ok)
{
	json_t *o = json_object(), *ports = NULL, *peers = NULL;

	if (!o) {
		*ok = false;
		return NULL;
	}
	if (r->n_peers && (peers = json_array())) {
		for (size_t i = 0; i < r->n_peers; i++) {
			const struct pn_np_peer *p = &r->peers[i];
			json_t *e = json_object();

			if (e && p->ip_block) {
				json_t *ib = json_object();

				if (ib) {
					jset_str(ib, "cidr", p->ip_block->cidr, ok);
					if (p->ip_block->n_except)
						jset(ib, "except", strv_json(p->ip_block->except, ok), ok);
				}
				jset(e, "ipBlock", ib, ok);
			}
			if (e && p->ns_selector)
				jset(e, "namespaceSelector", selector_json(p->ns_selector, ok), ok);
			if (e && p->pod_selector)
				jset(e, "podSelector", selector_json(p->pod_selector, ok), ok);
			if (!e || json_array_append_new(peers, e) < 0)
				*ok = false;
		}
	}
	if (r->n_ports && (ports = json_array())) {
		for (size_t i = 0; i < r->n_ports; i++) {
			const struct pn_np_port *p = &r->ports[i];
			json_t *e = json_object();

			if (e) {
				if (p->has_end_port)
					jset(e, "endPort", json_integer(p->end_port), ok);
				if (p->port_name)
					jset(e, "port", json_string(p->port_name), ok);
				else if (p->has_port)
					jset(e, "port", json_integer(p->port), ok);
				jset(e, "protocol", json_string(pn_proto_str(p->protocol)), ok);
			}
			if (!e || json_array_append_new(ports, e) < 0)
				*ok = false;
		}
	}
	if ((r->n_peers && !peers) || (r->n_ports && !ports))
		*ok = false;
	/* sorted keys: "from" < "ports" < "to" */
	if (peers && !egress)
		jset(o, "from", peers, ok);
	if (ports)
		jset(o, "ports", ports, ok);
	if (peers && egress)
		jset(o, "to", peers, ok);
	return o;
}

json_t *netpol_to_json(const struct pn_netpol *np)
{
	json_t *o = json_object(), *spec = json_object(), *a;
	bool ok = o && spec;

	if (!ok) {
		json_decref(o);
		json_decref(spec);
		return NULL;
	}
	jset(o, "apiVersion", json_string("networking.k8s.io/v1"), &ok);
	jset(o, "kind", json_string("NetworkPolicy"), &ok);
	jset(o, "metadata", meta_json(&np->meta, &ok), &ok);
	if (np->n_egress && (a = json_array())) {
		for (size_t i = 0; i < np->n_egress; i++)
			if (json_array_append_new(a, np_rule_json(&np->egress[i], true, &ok)) < 0)
				ok = false;
		jset(spec, "egress", a, &ok);
	}
	if (np->n_ingress && (a = json_array())) {
		for (size_t i = 0; i < np->n_ingress; i++)
			if (json_array_append_new(a, np_rule_json(&np->ingress[i], false, &ok)) < 0)
				ok = false;
		jset(spec, "ingress", a, &ok);
	}
	jset(spec, "podSelector", selector_json(&np->pod_selector, &ok), &ok);
	if ((a = json_array())) {
		for (size_t i = 0; i < np->n_types; i++)
			if (json_array_append_new(a, json_string(np->types[i] == PN_NP_EGRESS ? "Egress"
											: "Ingress")) < 0)
				ok = false;
	}
	jset(spec, "policyTypes", a, &ok);
	jset(o, "spec", spec, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *service_to_json(const struct pn_service *svc)
{
	json_t *o = json_object(), *spec = json_object(), *a, *e, *st;
	bool ok = o && spec, ext = svc->type == PN_SVC_EXTERNAL_NAME;
	size_t i;

	if (!ok) {
		json_decref(o);
		json_decref(spec);
		return NULL;
	}
	jset(o, "apiVersion", json_string("v1"), &ok);
	jset(o, "kind", json_string("Service"), &ok);
	jset(o, "metadata", meta_json(&svc->meta, &ok), &ok);
	if (!ext && svc->cluster_ip) {
		jset(spec, "clusterIP", json_string(svc->cluster_ip), &ok);
		a = json_array();
		if (!a || json_array_append_new(a, json_string(svc->cluster_ip)) < 0)
			ok = false;
		jset(spec, "clusterIPs", a, &ok);
	}
	jset_str(spec, "externalName", svc->external_name, &ok);
	if (svc->type == PN_SVC_NODE_PORT || svc->type == PN_SVC_LOAD_BALANCER)
		jset(spec, "externalTrafficPolicy", json_string(svc->external_local ? "Local" : "Cluster"),
		     &ok);
	if (!ext) {
		jset(spec, "internalTrafficPolicy", json_string(svc->internal_local ? "Local" : "Cluster"),
		     &ok);
		a = json_array();
		if (!a || json_array_append_new(a, json_string("IPv4")) < 0)
			ok = false;
		jset(spec, "ipFamilies", a, &ok);
		jset(spec, "ipFamilyPolicy", json_string("SingleStack"), &ok);
	}
	if (svc->n_ports) {
		a = json_array();
		for (i = 0; a && i < svc->n_ports; i++) {
			const struct pn_svc_port *p = &svc->ports[i];

			e = json_object();
			if (e) {
				jset_str(e, "appProtocol", p->app_protocol, &ok);
				jset_str(e, "name", p->name, &ok);
				if (p->node_port)
					jset(e, "nodePort", json_integer(p->node_port), &ok);
				jset(e, "port", json_integer(p->port), &ok);
				jset(e, "protocol", json_string(p->protocol ? p->protocol : "TCP"), &ok);
				jset(e, "targetPort", intstr_json(p->target_port, p->target_port_name), &ok);
			}
			if (!e || json_array_append_new(a, e) < 0)
				ok = false;
		}
		jset(spec, "ports", a, &ok);
	}
	if (svc->publish_not_ready)
		jset(spec, "publishNotReadyAddresses", json_true(), &ok);
	if (svc->selector.n)
		jset(spec, "selector", kvs_json(&svc->selector, &ok), &ok);
	jset(spec, "sessionAffinity", json_string(svc->affinity_client_ip ? "ClientIP" : "None"), &ok);
	if (svc->affinity_client_ip) {
		e = json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", svc->affinity_timeout);
		jset(spec, "sessionAffinityConfig", e, &ok);
	}
	jset(spec, "type", json_string(pn_svc_type_str(svc->type)), &ok);
	jset(o, "spec", spec, &ok);
	st = json_pack("{s:{}}", "loadBalancer");
	jset(o, "status", st, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ JSON → YAML */

static int yaml_out(void *data, unsigned char *buffer, size_t size)
{
	struct pn_buf *b = data;

	pn_buf_add(b, (const char *)buffer, size);
	return !b->failed;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

/*
 * go-yaml v2's choice for a string: literal block when multi-line, plain when
 * it would read back as the same string, double quotes otherwise; libyaml
 * then falls back from plain to single quotes where plain cannot be written
 * (": ", " #", leading indicators), exactly as go-yaml's port of it does.
 */
static int emit_string(yaml_emitter_t *em, const char *s, size_t len)
{
	long long iv;
	double dv;
	bool bv;

	if (memchr(s, '\n', len))
		return emit_scalar(em, s, len, YAML_LITERAL_SCALAR_STYLE);
	if (strlen(s) == len && yaml_resolve(s, &iv, &dv, &bv) == RT_STR && !yaml_base60(s))
		return emit_scalar(em, s, len, YAML_PLAIN_SCALAR_STYLE);
	return emit_scalar(em, s, len, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* One UTF-8 rune of @s at *@i (advancing it); invalid bytes are U+FFFD. */
static uint32_t next_rune(const char *s, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	uint32_t r;
	size_t w;

	if (p[0] < 0x80) {
		r = p[0];
		w = 1;
	} else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		r = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		w = 2;
	} else if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		r = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		w = 3;
	} else if ((p[0] & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
		   (p[3] & 0xc0) == 0x80) {
		r = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
		    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		w = 4;
	} else {
		r = 0xfffd;
		w = 1;
	}
	*i += w;
	return r;
}

/* unicode.IsLetter, with every letter outside ASCII counted as one (map
 * keys are label and annotation names: ASCII in practice). */
static bool rune_letter(uint32_t r)
{
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	       (r >= 0xc0 && r != 0xd7 && r != 0xf7 && r != 0xfffd);
}

static bool rune_digit(uint32_t r)
{
	return r >= '0' && r <= '9';
}

static size_t to_runes(const char *s, uint32_t **out)
{
	size_t len = strlen(s), n = 0, i = 0;
	uint32_t *r = malloc((len + 1) * sizeof(*r));

	if (r)
		while (i < len)
			r[n++] = next_rune(s, &i);
	*out = r;
	return n;
}

/*
 * go-yaml v2's order of map keys (sorter.go, keyList.Less), which
 * `kubectl -o yaml` prints through sigs.k8s.io/yaml: rune by rune, a
 * letter after anything else, runs of digits compared as numbers ("c9"
 * before "c10"), a shorter key first when one is the other's prefix.
 */
static bool yaml_key_less(const char *as, const char *bs)
{
	uint32_t *a = NULL, *b = NULL;
	size_t na = to_runes(as, &a), nb = to_runes(bs, &b);
	bool less = na < nb;

	if (!a || !b) {
		less = strcmp(as, bs) < 0;
		goto out;
	}
	for (size_t i = 0; i < na && i < nb; i++) {
		bool al, bl;
		size_t ai, bi;
		long long an = 0, bn = 0;

		if (a[i] == b[i])
			continue;
		al = rune_letter(a[i]);
		bl = rune_letter(b[i]);
		if (al && bl) {
			less = a[i] < b[i];
			goto out;
		}
		if (al || bl) {
			less = bl;
			goto out;
		}
		if (a[i] == '0' || b[i] == '0') {
			for (size_t j = i; j-- > 0 && rune_digit(a[j]);) {
				if (a[j] != '0') {
					an = 1;
					bn = 1;
					break;
				}
			}
		}
		for (ai = i; ai < na && rune_digit(a[ai]); ai++)
			an = an * 10 + (long long)(a[ai] - '0');
		for (bi = i; bi < nb && rune_digit(b[bi]); bi++)
			bn = bn * 10 + (long long)(b[bi] - '0');
		if (an != bn)
			less = an < bn;
		else if (ai != bi)
			less = ai < bi;
		else
			less = a[i] < b[i];
		goto out;
	}
out:
	free(a);
	free(b);
	return less;
}

static int yaml_key_cmp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;

	return yaml_key_less(a, b) ? -1 : yaml_key_less(b, a) ? 1 : 0;
}

static int emit_json(yaml_emitter_t *em, json_t *v);

static int emit_mapping(yaml_emitter_t *em, json_t *v)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = malloc((n ? n : 1) * sizeof(*keys));
	const char *k;
	json_t *e;
	int ret = 0;

	if (!keys)
		return -1;
	json_object_foreach(v, k, e)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), yaml_key_cmp);
	for (i = 0; i < n && ret == 0; i++)
		if (emit_string(em, keys[i], strlen(keys[i])) < 0 ||
		    emit_json(em, json_object_get(v, keys[i])) < 0)
			ret = -1;
	free(keys);
	return ret;
}

static int emit_json(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t ev;
	json_t *e;
	char num[64];
	size_t i;
	int p;
	double d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		if (emit_mapping(em, v) < 0)
			return -1;
		if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	case JSON_ARRAY:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_array_foreach(v, i, e)
			if (emit_json(em, e) < 0)
				return -1;
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	case JSON_STRING:
		return emit_string(em, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		d = json_real_value(v);
		if (isnan(d))
			snprintf(num, sizeof(num), ".nan");
		else if (isinf(d))
			snprintf(num, sizeof(num), "%s", d < 0 ? "-.inf" : ".inf");
		else
			/* shortest text that reads back as the same double */
			for (p = 1; p <= 17; p++) {
				snprintf(num, sizeof(num), "%.*g", p, d);
				if (strtod(num, NULL) == d)
					break;
			}
		break;
	case JSON_TRUE:
		snprintf(num, sizeof(num), "true");
		break;
	case JSON_FALSE:
		snprintf(num, sizeof(num), "false");
		break;
	case JSON_NULL:
		snprintf(num, sizeof(num), "null");
		break;
	}
	return emit_scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
}

char *json_to_yaml(json_t *j)
{
	struct pn_buf b = { 0 };
	yaml_emitter_t em;
	yaml_event_t ev;
	bool ok = false;

	if (!j || !yaml_emitter_initialize(&em))
		return NULL;
	yaml_emitter_set_output(&em, yaml_out, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_width(&em, 80); /* go-yaml v2 folds long plain scalars at 80 too */
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (emit_json(&em, j) < 0)
		goto out;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev))
		goto out;
	ok = !b.failed && b.s;
out:
	yaml_emitter_delete(&em);
	if (!ok) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
