/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubectl JSONPath templates, written from the behaviour of
 * k8s.io/client-go/util/jsonpath (parser.go, jsonpath.go) and the
 * comparison functions of its forked text/template.  Where client-go has a
 * quirk that users can observe, we keep it and say so; see jsonpath.h for
 * the few places where we differ.
 */
#include "jsonpath.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Bounds that only pathological templates reach; see jsonpath.h. */
#define JP_MAX_PARSE_DEPTH 32
#define JP_MAX_RANGE_DEPTH 256
#define JP_MAX_VALUES (1024u * 1024)
#define JP_MAX_OUTPUT (64u * 1024 * 1024)

enum jp_kind {
	JP_LIST,      /* a sequence of nodes applied one after the other */
	JP_TEXT,      /* literal text, or a quoted string inside an action */
	JP_FIELD,     /* .name */
	JP_ARRAY,     /* [a:b:c], [n], [*] */
	JP_FILTER,    /* [?(left op right)] */
	JP_INT,
	JP_FLOAT,
	JP_BOOL,
	JP_WILDCARD,  /* .* */
	JP_RECURSIVE, /* .. */
	JP_UNION,     /* [a,b]: a list of lists */
	JP_IDENT,     /* range, end, or an unknown word (an error when run) */
};

struct jp_param {
	bool known;
	bool derived; /* end of a plain [n], computed as n+1 at parse time */
	int64_t value;
};

struct jp_node {
	enum jp_kind kind;
	union {
		struct {
			struct jp_node **items;
			size_t n, cap;
		} list; /* JP_LIST, JP_UNION */
		struct {
			char *s;
			size_t len;
		} text; /* JP_TEXT, JP_FIELD, JP_IDENT */
		struct jp_param params[3];
		struct {
			struct jp_node *left, *right;
			char *op; /* "exists" when there is no comparison */
		} filter;
		int64_t i;
		double f;
		bool b;
	};
};

struct jsonpath {
	struct jp_node *root; /* JP_LIST of JP_TEXT and JP_LIST nodes */
};

/* ------------------------------------------------------------------ */
/* Nodes                                                                */

static void node_free(struct jp_node *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case JP_LIST:
	case JP_UNION:
		for (size_t i = 0; i < n->list.n; i++)
			node_free(n->list.items[i]);
		free(n->list.items);
		break;
	case JP_TEXT:
	case JP_FIELD:
	case JP_IDENT:
		free(n->text.s);
		break;
	case JP_FILTER:
		node_free(n->filter.left);
		node_free(n->filter.right);
		free(n->filter.op);
		break;
	default:
		break;
	}
	free(n);
}

static struct jp_node *node_new(enum jp_kind kind)
{
	struct jp_node *n = calloc(1, sizeof(*n));

	if (n)
		n->kind = kind;
	return n;
}

static struct jp_node *node_new_text(enum jp_kind kind, const char *s, size_t len)
{
	struct jp_node *n = node_new(kind);

	if (!n)
		return NULL;
	n->text.s = malloc(len + 1);
	if (!n->text.s) {
		free(n);
		return NULL;
	}
	memcpy(n->text.s, s, len);
	n->text.s[len] = '\0';
	n->text.len = len;
	return n;
}

/* Takes ownership of @child even on failure. */
static int list_append(struct jp_node *list, struct jp_node *child)
{
	if (!child)
		return -ENOMEM;
	if (pn_grow(&list->list.items, &list->list.cap, list->list.n, sizeof(*list->list.items))) {
		node_free(child);
		return -ENOMEM;
	}
	list->list.items[list->list.n++] = child;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Runes                                                                */

/*
 * Decode one rune as Go's utf8.DecodeRune does: anything invalid (bad
 * sequence, overlong form, surrogate, beyond U+10FFFF) is U+FFFD of width 1.
 */
static uint32_t utf8_decode(const unsigned char *s, size_t len, size_t *width)
{
	uint32_t r, min;
	size_t n;

	*width = 1;
	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, r = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, r = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, r = s[0] & 0x07, min = 0x10000;
	} else {
		return 0xfffd;
	}
	if (len < n)
		return 0xfffd;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0xfffd;
	*width = n;
	return r;
}

static size_t utf8_encode(uint32_t r, char out[4])
{
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xc0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xe0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		out[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	out[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

/*
 * unicode.IsLetter, approximated by the blocks that hold letters of living
 * scripts; client-go only asks it to decide whether a bare word starts.
 */
static bool rune_is_letter(uint32_t r)
{
	static const struct {
		uint32_t lo, hi;
	} letters[] = {
		{ 'A', 'Z' },         { 'a', 'z' },         { 0xaa, 0xaa },
		{ 0xb5, 0xb5 },       { 0xba, 0xba },       { 0xc0, 0xd6 },
		{ 0xd8, 0xf6 },       { 0xf8, 0x2c1 },      { 0x370, 0x3ff },
		{ 0x400, 0x52f },     { 0x531, 0x587 },     { 0x5d0, 0x5ea },
		{ 0x620, 0x64a },     { 0x904, 0x939 },     { 0xe01, 0xe30 },
		{ 0x10a0, 0x10ff },   { 0x1e00, 0x1fff },   { 0x3041, 0x3096 },
		{ 0x30a1, 0x30fa },   { 0x3400, 0x4dbf },   { 0x4e00, 0x9fff },
		{ 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },   { 0x20000, 0x2fa1f },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(letters); i++)
		if (r >= letters[i].lo && r <= letters[i].hi)
			return true;
	return false;
}

static bool rune_is_digit(uint32_t r)
{
	return r >= '0' && r <= '9';
}

static bool rune_is_alnum(uint32_t r)
{
	return r == '_' || rune_is_letter(r) || rune_is_digit(r);
}

/* strconv.IsPrint for the runes that can reach an error message. */
static bool rune_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	if (r < 0xa0 || r == 0xad)
		return false;
	return !(r >= 0x2028 && r <= 0x202e) && !(r >= 0x2060 && r <= 0x206f) &&
	       r != 0xfeff && !(r >= 0xfff9 && r <= 0xfffb);
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */

struct parser {
	const char *in;
	size_t len;
	size_t pos;   /* next byte to read */
	size_t start; /* first byte of the token being scanned */
	int depth;    /* sub-parses (unions, filters, quoted keys) */
	struct jp_node *root;
	struct pn_err *err;
};

static int parse_fail(struct parser *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(struct parser *p, int ret, const char *fmt, ...)
{
	va_list ap;

	if (ret == -ENOMEM)
		return pn_error(p->err, PN_E_NOMEM, ENOMEM, "out of memory parsing jsonpath");
	va_start(ap, fmt);
	pn_verror(p->err, PN_E_BAD_REQUEST, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_nomem(struct parser *p)
{
	return parse_fail(p, -ENOMEM, "%s", "");
}

static bool at(const struct parser *p, const char *prefix)
{
	size_t n = strlen(prefix);

	return p->len - p->pos >= n && memcmp(p->in + p->pos, prefix, n) == 0;
}

/* The byte at the cursor, -1 at the end (Go's eof). */
static int peek_byte(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->in[p->pos] : -1;
}

/* isTerminator: what may follow a field name or a bare word. */
static bool is_terminator(int c)
{
	switch (c) {
	case -1: case ' ': case '\t': case '\r': case '\n':
	case '.': case ',': case '[': case ']': case '$': case '@': case '{': case '}':
		return true;
	default:
		return false;
	}
}

static int parse_text(struct parser *p);
static int parse_action(struct parser *p, struct jp_node *cur);

/*
 * client-go's parseAction: parse "{text}" on its own and return the action
 * list, so unions, quoted keys and filter operands can hold any action.
 * Whatever the sub-template holds after its first action is ignored, as in
 * client-go, but must still parse.
 */
static int parse_sub(struct parser *p, const char *text, size_t len, struct jp_node **out)
{
	struct parser sub = { 0 };
	char *buf = NULL;
	int ret;

	*out = NULL;
	if (p->depth >= JP_MAX_PARSE_DEPTH)
		return parse_fail(p, -EINVAL, "jsonpath template nested too deeply");
	buf = malloc(len + 3);
	if (!buf)
		return parse_nomem(p);
	buf[0] = '{';
	memcpy(buf + 1, text, len);
	buf[len + 1] = '}';
	buf[len + 2] = '\0';

	sub.in = buf;
	sub.len = len + 2;
	sub.depth = p->depth + 1;
	sub.err = p->err;
	sub.root = node_new(JP_LIST);
	if (!sub.root) {
		ret = parse_nomem(p);
		goto out;
	}
	ret = parse_text(&sub);
	if (ret < 0)
		goto out;
	/* The template starts with '{', so its first node is that action. */
	*out = sub.root->list.items[0];
	sub.root->list.items[0] = NULL;
	ret = 0;
out:
	node_free(sub.root);
	free(buf);
	return ret;
}

static int parse_text(struct parser *p)
{
	for (;;) {
		const char *brace = memchr(p->in + p->pos, '{', p->len - p->pos);
		struct jp_node *action;
		int ret;

		if (!brace) {
			p->pos = p->len;
			if (p->pos > p->start &&
			    list_append(p->root, node_new_text(JP_TEXT, p->in + p->start,
								p->pos - p->start)) < 0)
				return parse_nomem(p);
			p->start = p->pos;
			return 0;
		}
		p->pos = (size_t)(brace - p->in);
		if (p->pos > p->start &&
		    list_append(p->root, node_new_text(JP_TEXT, p->in + p->start,
							p->pos - p->start)) < 0)
			return parse_nomem(p);
		p->pos++;
		p->start = p->pos;
		action = node_new(JP_LIST);
		if (list_append(p->root, action) < 0)
			return parse_nomem(p);
		ret = parse_action(p, action);
		if (ret < 0)
			return ret;
	}
}

/* Atoi: optional sign, decimal digits, fits in a Go int (64 bits). */
static bool go_atoi(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	bool neg = false;
	size_t i = 0;

	if (len && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* ParseFloat on what parseNumber collects: [+-]? [0-9.]*, one '.', a digit. */
static bool go_parse_float(const char *s, size_t len, double *out)
{
	size_t i = 0, digits = 0, dots = 0;
	char buf[512];
	char *end;
	double v;

	if (len && (s[0] == '+' || s[0] == '-'))
		i = 1;
	for (; i < len; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return false;
	}
	if (!digits || dots > 1 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || isinf(v)) /* Go reports overflow as an error */
		return false;
	*out = v;
	return true;
}

static int parse_number(struct parser *p, struct jp_node *cur)
{
	struct jp_node *n;
	const char *s;
	size_t len;
	int64_t i;
	double f;
	int c;

	c = peek_byte(p);
	if (c == '+' || c == '-')
		p->pos++;
	while ((c = peek_byte(p)) == '.' || (c >= '0' && c <= '9'))
		p->pos++;
	s = p->in + p->start;
	len = p->pos - p->start;
	p->start = p->pos;
	if (go_atoi(s, len, &i)) {
		n = node_new(JP_INT);
		if (n)
			n->i = i;
	} else if (go_parse_float(s, len, &f)) {
		n = node_new(JP_FLOAT);
		if (n)
			n->f = f;
	} else {
		return parse_fail(p, -EINVAL, "cannot parse number %.*s", (int)len, s);
	}
	if (list_append(cur, n) < 0)
		return parse_nomem(p);
	return 0;
}

static int parse_identifier(struct parser *p, struct jp_node *cur)
{
	struct jp_node *n;
	const char *s;
	size_t len;

	while (!is_terminator(peek_byte(p)))
		p->pos++;
	s = p->in + p->start;
	len = p->pos - p->start;
	p->start = p->pos;
	if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) {
		n = node_new(JP_BOOL);
		if (n)
			n->b = len == 4;
	} else {
		n = node_new_text(JP_IDENT, s, len);
	}
	if (list_append(cur, n) < 0)
		return parse_nomem(p);
	return 0;
}

/*
 * A field name runs to the next unescaped terminator; a backslash escapes
 * the next character (kubernetes\.io/role) and every backslash is then
 * dropped.  Scanning bytes is enough: terminators are ASCII and never occur
 * inside a multi-byte sequence.
 */
static int parse_field(struct parser *p, struct jp_node *cur)
{
	struct jp_node *n;
	size_t len, j = 0;
	const char *s;

	p->start = p->pos;
	for (;;) {
		int c = peek_byte(p);

		if (c == '\\') {
			p->pos++;
			if (p->pos < p->len)
				p->pos++;
		} else if (is_terminator(c)) {
			break;
		} else {
			p->pos++;
		}
	}
	s = p->in + p->start;
	len = p->pos - p->start;
	p->start = p->pos;
	if (len == 1 && s[0] == '*') {
		n = node_new(JP_WILDCARD);
	} else {
		n = node_new_text(JP_FIELD, s, len);
		if (n) {
			for (size_t i = 0; i < len; i++)
				if (s[i] != '\\')
					n->text.s[j++] = s[i];
			n->text.s[j] = '\0';
			n->text.len = j;
		}
	}
	if (list_append(cur, n) < 0)
		return parse_nomem(p);
	return 0;
}

static int parse_recursive(struct parser *p, struct jp_node *cur)
{
	size_t w;

	if (cur->list.n && cur->list.items[cur->list.n - 1]->kind == JP_RECURSIVE)
		return parse_fail(p, -EINVAL, "invalid multiple recursive descent");
	p->pos += 2;
	p->start = p->pos;
	if (list_append(cur, node_new(JP_RECURSIVE)) < 0)
		return parse_nomem(p);
	if (p->pos < p->len &&
	    rune_is_alnum(utf8_decode((const unsigned char *)p->in + p->pos, p->len - p->pos, &w)))
		return parse_field(p, cur);
	return 0;
}

static bool is_hex(int c, int *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		return false;
	return true;
}

/*
 * client-go's UnquoteExtend: strconv.Unquote that also takes single
 * quotes.  @s includes the quotes.  -EINVAL is Go's ErrSyntax.
 */
static int unquote_extend(const char *s, size_t n, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t i, o = 0;
	char quote;
	int ret = -EINVAL;

	if (n < 2 || s[0] != s[n - 1] || (s[0] != '"' && s[0] != '\''))
		return -EINVAL;
	quote = s[0];
	s++;
	n -= 2;
	/* Escapes only shorten; invalid UTF-8 (3 bytes of U+FFFD) grows below. */
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	/* Go's shortcut: nothing to unescape keeps the bytes as they are. */
	if (!memchr(s, '\\', n) && !memchr(s, quote, n)) {
		memcpy(buf, s, n);
		o = n;
		goto done;
	}
	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t v = 0;
		size_t k;
		int d;

		if (c == (unsigned char)quote)
			goto out;
		if (c >= 0x80) {
			char enc[4];
			size_t w;
			uint32_t r = utf8_decode((const unsigned char *)s + i, n - i, &w);

			k = utf8_encode(r, enc);
			/* An invalid byte becomes U+FFFD: three bytes for one. */
			if (k > w) {
				char *nb = realloc(buf, o + (n - i) + k + 1);

				if (!nb) {
					ret = -ENOMEM;
					goto out;
				}
				buf = nb;
			}
			memcpy(buf + o, enc, k);
			o += k;
			i += w;
			continue;
		}
		if (c != '\\') {
			buf[o++] = (char)c;
			i++;
			continue;
		}
		if (n - i < 2)
			goto out;
		c = (unsigned char)s[i + 1];
		i += 2;
		switch (c) {
		case 'a': buf[o++] = '\a'; break;
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'v': buf[o++] = '\v'; break;
		case 'x':
		case 'u':
		case 'U':
			k = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			if (n - i < k)
				goto out;
			for (size_t j = 0; j < k; j++) {
				if (!is_hex((unsigned char)s[i + j], &d))
					goto out;
				v = (v << 4) | (uint32_t)d;
			}
			i += k;
			if (c == 'x') {
				buf[o++] = (char)v; /* a byte, UTF-8 or not */
				break;
			}
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				goto out;
			/* \uXXXX and \UXXXXXXXX encode to fewer bytes than they take. */
			o += utf8_encode(v, buf + o);
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			v = c - '0';
			if (n - i < 2)
				goto out;
			for (size_t j = 0; j < 2; j++) {
				int oc = (unsigned char)s[i + j];

				if (oc < '0' || oc > '7')
					goto out;
				v = (v << 3) | (uint32_t)(oc - '0');
			}
			i += 2;
			if (v > 255)
				goto out;
			buf[o++] = (char)v;
			break;
		case '\\':
			buf[o++] = '\\';
			break;
		case '\'':
		case '"':
			/* Only the string's own quote may be escaped. */
			if (c != (unsigned char)quote)
				goto out;
			buf[o++] = (char)c;
			break;
		default:
			goto out;
		}
	}
done:
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}

/*
 * A quoted string ends at the first quote not preceded by a backslash, so
 * "\\" does not end where it seems to: client-go reads on, as we do.
 */
static int parse_quote(struct parser *p, struct jp_node *cur, char quote)
{
	struct jp_node *n;
	size_t len;
	char *s;
	int ret;

	for (;;) {
		int c = peek_byte(p);

		if (c == -1 || c == '\n')
			return parse_fail(p, -EINVAL, "unterminated quoted string");
		p->pos++;
		if (c == quote && p->in[p->pos - 2] != '\\')
			break;
	}
	ret = unquote_extend(p->in + p->start, p->pos - p->start, &s, &len);
	if (ret < 0)
		return parse_fail(p, ret, "unquote string %.*s error invalid syntax",
				  (int)(p->pos - p->start), p->in + p->start);
	p->start = p->pos;
	n = node_new(JP_TEXT);
	if (!n) {
		free(s);
		return parse_nomem(p);
	}
	n->text.s = s;
	n->text.len = len;
	if (list_append(cur, n) < 0)
		return parse_nomem(p);
	return 0;
}

/* Move the nodes of action list @src to the end of @dst; frees @src. */
static int list_splice(struct jp_node *dst, struct jp_node *src)
{
	int ret = 0;

	for (size_t i = 0; i < src->list.n; i++) {
		if (ret == 0)
			ret = list_append(dst, src->list.items[i]);
		else
			node_free(src->list.items[i]);
		src->list.items[i] = NULL;
	}
	src->list.n = 0;
	node_free(src);
	return ret;
}

/*
 * The slice grammar ^(-?\d*)(:-?\d*)?(:-?\d*)?$ and client-go's reading of
 * it: an empty start is 0; a missing end makes [n] mean [n:n+1], marked
 * "derived" so that [-1] reaches the end of the list.
 */
static int parse_slice(struct parser *p, struct jp_node *cur, const char *t, size_t len)
{
	struct jp_param *params;
	struct jp_node *n;
	size_t gs[3], ge[3];
	bool present[3] = { true, false, false };
	size_t i = 0;

	gs[0] = 0;
	if (i < len && t[i] == '-')
		i++;
	while (i < len && t[i] >= '0' && t[i] <= '9')
		i++;
	ge[0] = i;
	for (int k = 1; k < 3; k++) {
		if (i < len && t[i] == ':') {
			present[k] = true;
			gs[k] = ++i;
			if (i < len && t[i] == '-')
				i++;
			while (i < len && t[i] >= '0' && t[i] <= '9')
				i++;
			ge[k] = i;
		}
	}
	if (i != len)
		return parse_fail(p, -EINVAL, "invalid array index %.*s", (int)len, t);

	n = node_new(JP_ARRAY);
	if (!n)
		return parse_nomem(p);
	params = n->params;
	for (int k = 0; k < 3; k++) {
		bool has = k == 0 ? ge[0] > 0 : present[k];

		if (has) {
			if (k > 0 && ge[k] == gs[k]) {
				params[k].known = false;
			} else {
				params[k].known = true;
				if (!go_atoi(t + gs[k], ge[k] - gs[k], &params[k].value)) {
					node_free(n);
					return parse_fail(p, -EINVAL, "array index %.*s is not a number",
							  (int)(ge[k] - gs[k]), t + gs[k]);
				}
			}
		} else if (k == 1) {
			params[1].known = true;
			/* Go's int addition wraps; do the same without UB. */
			params[1].value = (int64_t)((uint64_t)params[0].value + 1);
			params[1].derived = true;
		}
	}
	if (list_append(cur, n) < 0)
		return parse_nomem(p);
	return 0;
}

static int parse_array(struct parser *p, struct jp_node *cur)
{
	const char *t;
	size_t len;
	int ret;

	for (;;) {
		int c = peek_byte(p);

		if (c == -1 || c == '\n')
			return parse_fail(p, -EINVAL, "unterminated array");
		p->pos++;
		if (c == ']')
			break;
	}
	t = p->in + p->start + 1;
	len = p->pos - p->start - 2;
	p->start = p->pos;
	if (len == 1 && t[0] == '*')
		t = ":";

	if (memchr(t, ',', len)) {
		struct jp_node *u = node_new(JP_UNION);
		const char *part = t, *end = t + len;

		if (!u)
			return parse_nomem(p);
		for (;;) {
			const char *comma = memchr(part, ',', (size_t)(end - part));
			const char *a = part, *b = comma ? comma : end;
			struct jp_node *elem;
			char *sub;

			while (a < b && *a == ' ')
				a++;
			while (b > a && b[-1] == ' ')
				b--;
			sub = malloc((size_t)(b - a) + 3);
			if (!sub) {
				node_free(u);
				return parse_nomem(p);
			}
			sub[0] = '[';
			memcpy(sub + 1, a, (size_t)(b - a));
			sub[(b - a) + 1] = ']';
			sub[(b - a) + 2] = '\0';
			ret = parse_sub(p, sub, (size_t)(b - a) + 2, &elem);
			free(sub);
			if (ret < 0) {
				node_free(u);
				return ret;
			}
			if (list_append(u, elem) < 0) {
				node_free(u);
				return parse_nomem(p);
			}
			if (!comma)
				break;
			part = comma + 1;
		}
		if (list_append(cur, u) < 0)
			return parse_nomem(p);
		return 0;
	}

	/*
	 * ['key'] is .key parsed again, so ['a.b'] walks a then b, exactly as
	 * in client-go; a dotted key needs ['a\.b'].  Only single quotes make
	 * a key: ["key"] is an invalid array index there too.
	 */
	if (len >= 2 && t[0] == '\'' && t[len - 1] == '\'' && !memchr(t + 1, '\'', len - 2)) {
		struct jp_node *action;
		char *sub = malloc(len);

		if (!sub)
			return parse_nomem(p);
		sub[0] = '.';
		memcpy(sub + 1, t + 1, len - 2);
		sub[len - 1] = '\0';
		ret = parse_sub(p, sub, len - 1, &action);
		free(sub);
		if (ret < 0)
			return ret;
		if (list_splice(cur, action) < 0)
			return parse_nomem(p);
		return 0;
	}
	return parse_slice(p, cur, t, len);
}

static int parse_filter(struct parser *p, struct jp_node *cur)
{
	struct jp_node *n = NULL, *left = NULL, *right = NULL;
	bool begin = false, end = false;
	const char *t;
	size_t len, l, oplen, rest;
	char pair = 0;
	int ret;

	p->pos += 3;
	p->start = p->pos;
	for (;;) {
		int c = peek_byte(p);

		if (c == -1 || c == '\n')
			return parse_fail(p, -EINVAL, "unterminated filter");
		p->pos++;
		if (c == '"' || c == '\'') {
			if (!begin) {
				begin = true;
				pair = (char)c;
				continue;
			}
			if (p->in[p->pos - 2] != '\\' && c == pair)
				end = true;
		} else if (c == ')' && begin == end) {
			break;
		}
	}
	if (peek_byte(p) != ']')
		return parse_fail(p, -EINVAL, "unclosed array expect ]");
	p->pos++;
	t = p->in + p->start;
	len = p->pos - p->start - 2;
	p->start = p->pos;

	/*
	 * ^([^!<>=]+)([!<>=]+)(.+?)$ : the left operand runs to the first
	 * operator character, the operator takes the whole run of them but
	 * must leave the right operand at least one character.
	 */
	l = 0;
	while (l < len && !strchr("!<>=", t[l]))
		l++;
	oplen = 0;
	while (l + oplen < len && strchr("!<>=", t[l + oplen]))
		oplen++;
	rest = len - l - oplen;
	if (l > 0 && oplen > 0 && rest == 0 && oplen >= 2) {
		oplen--;
		rest = 1;
	}
	n = node_new(JP_FILTER);
	if (!n)
		return parse_nomem(p);
	if (l == 0 || oplen == 0 || rest == 0) {
		ret = parse_sub(p, t, len, &left);
		if (ret < 0)
			goto out;
		right = node_new(JP_LIST);
		n->filter.op = strdup("exists");
	} else {
		ret = parse_sub(p, t, l, &left);
		if (ret < 0)
			goto out;
		ret = parse_sub(p, t + l + oplen, rest, &right);
		if (ret < 0)
			goto out;
		n->filter.op = strndup(t + l, oplen);
	}
	n->filter.left = left;
	n->filter.right = right;
	left = right = NULL;
	if (!n->filter.right || !n->filter.op) {
		ret = parse_nomem(p);
		goto out;
	}
	ret = list_append(cur, n);
	n = NULL;
	if (ret < 0)
		ret = parse_nomem(p);
out:
	node_free(left);
	node_free(right);
	node_free(n);
	return ret;
}

/* Everything between { and }: client-go's parseInsideAction, as a loop. */
static int parse_action(struct parser *p, struct jp_node *cur)
{
	for (;;) {
		uint32_t r;
		size_t w;
		int ret = 0;

		if (at(p, "}")) {
			p->pos++;
			p->start = p->pos;
			return 0;
		}
		if (at(p, "[?(")) {
			ret = parse_filter(p, cur);
		} else if (at(p, "..")) {
			ret = parse_recursive(p, cur);
		} else {
			if (p->pos >= p->len)
				return parse_fail(p, -EINVAL, "unclosed action");
			r = utf8_decode((const unsigned char *)p->in + p->pos, p->len - p->pos, &w);
			if (r == '\r' || r == '\n')
				return parse_fail(p, -EINVAL, "unclosed action");
			if (r == '+' || r == '-' || rune_is_digit(r)) {
				ret = parse_number(p, cur);
			} else if (rune_is_alnum(r)) {
				ret = parse_identifier(p, cur);
			} else {
				p->pos += w;
				switch (r) {
				case ' ':
				case '@':
				case '$':
					p->start = p->pos;
					break;
				case '[':
					ret = parse_array(p, cur);
					break;
				case '"':
				case '\'':
					ret = parse_quote(p, cur, (char)r);
					break;
				case '.':
					ret = parse_field(p, cur);
					break;
				default: {
					char enc[4];
					size_t k = utf8_encode(r, enc);

					if (rune_is_print(r))
						return parse_fail(p, -EINVAL,
								  "unrecognized character in action: U+%04" PRIX32 " '%.*s'",
								  r, (int)k, enc);
					return parse_fail(p, -EINVAL,
							  "unrecognized character in action: U+%04" PRIX32, r);
				}
				}
			}
		}
		if (ret < 0)
			return ret;
	}
}

int jsonpath_parse(const char *tmpl, struct jsonpath **out, struct pn_err *err)
{
	struct parser p = { 0 };
	struct jsonpath *jp = NULL;
	int ret;

	*out = NULL;
	if (!tmpl)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "no jsonpath template given");
	p.in = tmpl;
	p.len = strlen(tmpl);
	p.err = err;
	p.root = node_new(JP_LIST);
	jp = calloc(1, sizeof(*jp));
	if (!p.root || !jp) {
		ret = parse_nomem(&p);
		goto out;
	}
	ret = parse_text(&p);
	if (ret < 0) {
		if (ret != -ENOMEM)
			pn_err_details(err, "at byte %zu of the template", p.pos);
		goto out;
	}
	jp->root = p.root;
	p.root = NULL;
	*out = jp;
	jp = NULL;
	ret = 0;
out:
	node_free(p.root);
	free(jp);
	return ret;
}

void jsonpath_free(struct jsonpath *jp)
{
	if (!jp)
		return;
	node_free(jp->root);
	free(jp);
}

/* ------------------------------------------------------------------ */
/* Go formatting                                                      */

/*
 * The shortest decimal digits that read back as @v (> 0): digs[0..nd) with
 * the decimal point after dp digits, as strconv computes them.  Taking the
 * first precision whose correctly rounded %e form round-trips gives the
 * same digits except, in theory, right at a power of two.
 */
static void float_digits(double v, char digs[24], int *nd, int *dp)
{
	char tmp[48];
	const char *e;
	int n = 0, exp;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	e = strchr(tmp, 'e');
	for (const char *c = tmp; c < e; c++)
		if (*c >= '0' && *c <= '9')
			digs[n++] = *c;
	exp = atoi(e + 1);
	while (n > 1 && digs[n - 1] == '0')
		n--;
	*nd = n;
	*dp = exp + 1;
}

/* strconv's %e body: d.ddde±XX with at least two exponent digits. */
static void fmt_e(struct pn_buf *b, bool neg, const char *digs, int nd, int dp, int prec)
{
	int exp = nd ? dp - 1 : 0;

	if (neg)
		pn_buf_putc(b, '-');
	pn_buf_putc(b, nd ? digs[0] : '0');
	if (prec > 0) {
		pn_buf_putc(b, '.');
		for (int i = 1; i <= prec; i++)
			pn_buf_putc(b, i < nd ? digs[i] : '0');
	}
	pn_buf_putc(b, 'e');
	pn_buf_putc(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	if (exp < 10)
		pn_buf_printf(b, "0%d", exp);
	else
		pn_buf_printf(b, "%d", exp);
}

/* strconv's %f body. */
static void fmt_f(struct pn_buf *b, bool neg, const char *digs, int nd, int dp, int prec)
{
	if (neg)
		pn_buf_putc(b, '-');
	if (dp > 0) {
		for (int i = 0; i < dp; i++)
			pn_buf_putc(b, i < nd ? digs[i] : '0');
	} else {
		pn_buf_putc(b, '0');
	}
	if (prec > 0) {
		pn_buf_putc(b, '.');
		for (int i = 0; i < prec; i++) {
			int j = dp + i;

			pn_buf_putc(b, j >= 0 && j < nd ? digs[j] : '0');
		}
	}
}

/* fmt.Print of a float64: %g, shortest, exponent from 1e+06 and below 1e-04. */
static void go_print_float(struct pn_buf *b, double v)
{
	char digs[24];
	int nd = 0, dp = 0, exp;
	bool neg = signbit(v);

	if (v != 0)
		float_digits(fabs(v), digs, &nd, &dp);
	exp = dp - 1;
	if (v != 0 && (exp < -4 || exp >= 6))
		fmt_e(b, neg, digs, nd, dp, nd - 1);
	else
		fmt_f(b, neg, digs, nd, dp, nd - dp > 0 ? nd - dp : 0);
}

/* encoding/json's float64: %f, or %e outside [1e-6, 1e21) with e-07 -> e-7. */
static void go_json_float(struct pn_buf *b, double v)
{
	char digs[24];
	int nd = 0, dp = 0;
	bool neg = signbit(v);
	double a = fabs(v);

	if (v != 0)
		float_digits(a, digs, &nd, &dp);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		size_t mark = b->len;

		fmt_e(b, neg, digs, nd, dp, nd > 1 ? nd - 1 : 0);
		if (!b->failed && b->len - mark >= 4 && b->s[b->len - 4] == 'e' &&
		    b->s[b->len - 3] == '-' && b->s[b->len - 2] == '0') {
			b->s[b->len - 2] = b->s[b->len - 1];
			b->len--;
			b->s[b->len] = '\0';
		}
	} else {
		fmt_f(b, neg, digs, nd, dp, nd - dp > 0 ? nd - dp : 0);
	}
}

/* A JSON string as encoding/json writes it, with HTML escaping on. */
static void go_json_string(struct pn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	pn_buf_putc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		size_t w = 1;
		uint32_t r;

		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
				i++;
				continue;
			}
			switch (c) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				snprintf(u, sizeof(u), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				esc = u;
			}
		} else {
			r = utf8_decode((const unsigned char *)s + i, n - i, &w);
			if (r == 0xfffd && w == 1)
				esc = "\\ufffd";
			else if (r == 0x2028)
				esc = "\\u2028";
			else if (r == 0x2029)
				esc = "\\u2029";
			if (!esc) {
				i += w;
				continue;
			}
		}
		pn_buf_add(b, s + run, i - run);
		pn_buf_puts(b, esc);
		i += w;
		run = i;
	}
	pn_buf_add(b, s + run, n - run);
	pn_buf_putc(b, '"');
}

struct key {
	const char *k;
	size_t len;
	json_t *v;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Members sorted bytewise, as Go sorts string map keys. */
static struct key *sorted_members(json_t *obj, size_t *n)
{
	struct key *keys;
	const char *k;
	size_t klen, i = 0;
	json_t *v;

	*n = json_object_size(obj);
	keys = malloc((*n ? *n : 1) * sizeof(*keys));
	if (!keys)
		return NULL;
	json_object_keylen_foreach(obj, k, klen, v) {
		keys[i].k = k;
		keys[i].len = klen;
		keys[i].v = v;
		i++;
	}
	qsort(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

static void newline_indent(struct pn_buf *b, int indent, int level)
{
	pn_buf_putc(b, '\n');
	for (int i = 0; i < indent * level; i++)
		pn_buf_putc(b, ' ');
}

static void go_json(struct pn_buf *b, json_t *v, int indent, int level)
{
	size_t n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		struct key *keys = sorted_members(v, &n);

		if (!keys) {
			b->failed = true;
			return;
		}
		pn_buf_putc(b, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				pn_buf_putc(b, ',');
			if (indent)
				newline_indent(b, indent, level + 1);
			go_json_string(b, keys[i].k, keys[i].len);
			pn_buf_puts(b, indent ? ": " : ":");
			go_json(b, keys[i].v, indent, level + 1);
		}
		if (indent && n)
			newline_indent(b, indent, level);
		pn_buf_putc(b, '}');
		free(keys);
		break;
	}
	case JSON_ARRAY:
		n = json_array_size(v);
		pn_buf_putc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				pn_buf_putc(b, ',');
			if (indent)
				newline_indent(b, indent, level + 1);
			go_json(b, json_array_get(v, i), indent, level + 1);
		}
		if (indent && n)
			newline_indent(b, indent, level);
		pn_buf_putc(b, ']');
		break;
	case JSON_STRING:
		go_json_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		pn_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		go_json_float(b, json_real_value(v));
		break;
	case JSON_TRUE:
		pn_buf_puts(b, "true");
		break;
	case JSON_FALSE:
		pn_buf_puts(b, "false");
		break;
	case JSON_NULL:
		pn_buf_puts(b, "null");
		break;
	}
}

int jsonpath_marshal(json_t *v, int indent, char **out, size_t *len, struct pn_err *err)
{
	struct pn_buf b = { 0 };

	*out = NULL;
	if (len)
		*len = 0;
	if (!v)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "no JSON value to encode");
	go_json(&b, v, indent < 0 ? 0 : indent, 0);
	pn_buf_add(&b, "", 0);
	if (b.failed) {
		free(b.s);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory encoding JSON");
	}
	*out = b.s;
	if (len)
		*len = b.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values during execution                                              */

/*
 * The Go type a value has inside client-go, where it shows: in error texts
 * ("int64 is not array or slice") and in comparisons (int vs float64 is an
 * error).  Document numbers are int64 or float64 as in kubectl's
 * unstructured objects; template literals are int; bytes of a string
 * reached by a wildcard are uint8.
 */
enum go_type { GT_NIL, GT_MAP, GT_SLICE, GT_STRING, GT_INT64, GT_INT, GT_UINT8, GT_FLOAT64, GT_BOOL };

struct val {
	json_t *j; /* one reference owned by the list holding it */
	enum go_type t;
};

struct vals {
	struct val *v;
	size_t n, cap;
};

struct exec {
	bool allow_missing;
	bool as_json;
	int begin_range, in_range, end_range;
	const struct jp_node *last_end;
	int range_depth;
	size_t budget;
	bool exhausted;
	struct pn_buf out;
	struct pn_err *err;
};

/* Pass an error on unchanged: out of memory, or over the value budget. */
#define TRY(expr)                            \
	do {                                 \
		int try_ret_ = (expr);       \
		if (try_ret_ < 0)            \
			return try_ret_;     \
	} while (0)

static enum go_type go_type_of(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return GT_MAP;
	case JSON_ARRAY: return GT_SLICE;
	case JSON_STRING: return GT_STRING;
	case JSON_INTEGER: return GT_INT64;
	case JSON_REAL: return GT_FLOAT64;
	case JSON_TRUE:
	case JSON_FALSE: return GT_BOOL;
	default: return GT_NIL;
	}
}

static const char *go_type_name(enum go_type t)
{
	switch (t) {
	case GT_MAP: return "map[string]interface {}";
	case GT_SLICE: return "[]interface {}";
	case GT_STRING: return "string";
	case GT_INT64: return "int64";
	case GT_INT: return "int";
	case GT_UINT8: return "uint8";
	case GT_FLOAT64: return "float64";
	case GT_BOOL: return "bool";
	default: return "<nil>";
	}
}

static void vals_clear(struct vals *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->v[i].j);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int exec_fail(struct exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int exec_fail(struct exec *ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pn_verror(ex->err, PN_E_BAD_REQUEST, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int exec_nomem(struct exec *ex)
{
	return pn_error(ex->err, PN_E_NOMEM, ENOMEM, "out of memory executing jsonpath");
}

/* Append, taking over the reference @j carries (NULL: allocation failed). */
static int vals_take(struct exec *ex, struct vals *l, json_t *j, enum go_type t)
{
	if (!j)
		return exec_nomem(ex);
	if (ex->budget == 0) {
		/* Sticky: an exists filter may swallow this error. */
		ex->exhausted = true;
		json_decref(j);
		return exec_fail(ex, "jsonpath evaluation exceeds %u values", JP_MAX_VALUES);
	}
	ex->budget--;
	if (pn_grow(&l->v, &l->cap, l->n, sizeof(*l->v))) {
		json_decref(j);
		return exec_nomem(ex);
	}
	l->v[l->n].j = j;
	l->v[l->n].t = t;
	l->n++;
	return 0;
}

static int vals_add(struct exec *ex, struct vals *l, const struct val *v)
{
	return vals_take(ex, l, json_incref(v->j), v->t);
}

/* Replace *out with a copy of @in: client-go's "return input, err". */
static int vals_copy(struct exec *ex, struct vals *out, const struct vals *in)
{
	vals_clear(out);
	for (size_t i = 0; i < in->n; i++)
		TRY(vals_add(ex, out, &in->v[i]));
	return 0;
}

/* Errors keep client-go's partial result; see eval_filter's exists case. */
static int fail_with_input(struct exec *ex, struct vals *out, const struct vals *in, int ret)
{
	TRY(vals_copy(ex, out, in));
	return ret;
}

/* fmt's %v, for the values client-go names in its error messages. */
static void go_print_v(struct pn_buf *b, json_t *j, enum go_type t)
{
	size_t n;

	switch (t) {
	case GT_MAP: {
		struct key *keys = sorted_members(j, &n);

		if (!keys) {
			b->failed = true;
			return;
		}
		pn_buf_puts(b, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				pn_buf_putc(b, ' ');
			pn_buf_add(b, keys[i].k, keys[i].len);
			pn_buf_putc(b, ':');
			go_print_v(b, keys[i].v, go_type_of(keys[i].v));
		}
		pn_buf_putc(b, ']');
		free(keys);
		break;
	}
	case GT_SLICE:
		pn_buf_putc(b, '[');
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				pn_buf_putc(b, ' ');
			go_print_v(b, json_array_get(j, i), go_type_of(json_array_get(j, i)));
		}
		pn_buf_putc(b, ']');
		break;
	case GT_STRING:
		pn_buf_add(b, json_string_value(j), json_string_length(j));
		break;
	case GT_INT64:
	case GT_INT:
	case GT_UINT8:
		pn_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case GT_FLOAT64:
		go_print_float(b, json_real_value(j));
		break;
	case GT_BOOL:
		pn_buf_puts(b, json_is_true(j) ? "true" : "false");
		break;
	default:
		pn_buf_puts(b, "<nil>");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */

static int walk(struct exec *ex, const struct vals *in, const struct jp_node *node, struct vals *out);

static int eval_list(struct exec *ex, const struct vals *in, const struct jp_node *list,
		     struct vals *out)
{
	struct vals cur = { 0 };
	int ret = 0;

	if (list->list.n == 0)
		return vals_copy(ex, out, in);
	for (size_t i = 0; ret == 0 && i < list->list.n; i++) {
		struct vals next = { 0 };

		/* The first step reads @in itself: no copy on the hot path. */
		ret = walk(ex, i ? &cur : in, list->list.items[i], &next);
		vals_clear(&cur);
		cur = next;
	}
	vals_clear(out);
	*out = cur;
	return ret;
}

static int eval_field(struct exec *ex, const struct vals *in, const struct jp_node *node,
		      struct vals *out)
{
	if (in->n == 0)
		return 0;
	for (size_t i = 0; i < in->n; i++) {
		json_t *m;

		if (in->v[i].t != GT_MAP)
			continue;
		m = json_object_getn(in->v[i].j, node->text.s, node->text.len);
		if (m)
			TRY(vals_take(ex, out, json_incref(m), go_type_of(m)));
	}
	if (out->n == 0 && !ex->allow_missing)
		return exec_fail(ex, "%s is not found", node->text.s);
	return 0;
}

static int eval_array(struct exec *ex, const struct vals *in, const struct jp_node *node,
		      struct vals *out)
{
	for (size_t i = 0; i < in->n; i++) {
		struct jp_param p[3];
		int64_t len, step = 1;

		if (in->v[i].t == GT_NIL)
			continue;
		if (in->v[i].t != GT_SLICE)
			return fail_with_input(ex, out, in,
					       exec_fail(ex, "%s is not array or slice",
							 go_type_name(in->v[i].t)));
		memcpy(p, node->params, sizeof(p));
		len = (int64_t)json_array_size(in->v[i].j);
		if (!p[0].known)
			p[0].value = 0;
		if (p[0].value < 0)
			p[0].value += len;
		if (!p[1].known)
			p[1].value = len;
		if (p[1].value < 0 || (p[1].value == 0 && p[1].derived))
			p[1].value += len;
		/* An empty selection ends the evaluation, other inputs and all. */
		if (p[1].value == p[0].value)
			return 0;
		if (p[0].value >= len || p[0].value < 0)
			return fail_with_input(ex, out, in,
					       exec_fail(ex, "array index out of bounds: index %" PRId64 ", length %" PRId64,
							 p[0].value, len));
		if (p[1].value > len || p[1].value < 0)
			return fail_with_input(ex, out, in,
					       exec_fail(ex, "array index out of bounds: index %" PRId64 ", length %" PRId64,
							 p[1].value - 1, len));
		if (p[0].value > p[1].value)
			return fail_with_input(ex, out, in,
					       exec_fail(ex, "starting index %" PRId64 " is greater than ending index %" PRId64,
							 p[0].value, p[1].value));
		if (p[2].known) {
			if (p[2].value <= 0)
				return fail_with_input(ex, out, in, exec_fail(ex, "step must be > 0"));
			step = p[2].value;
		}
		for (int64_t k = p[0].value; k < p[1].value; k += step) {
			json_t *e = json_array_get(in->v[i].j, (size_t)k);

			TRY(vals_take(ex, out, json_incref(e), go_type_of(e)));
			if (step > p[1].value - k)
				break;
		}
	}
	return 0;
}

/* Go's string indexing: one uint8 per byte. */
static int push_bytes(struct exec *ex, struct vals *out, json_t *s)
{
	const unsigned char *p = (const unsigned char *)json_string_value(s);
	size_t n = json_string_length(s);

	for (size_t i = 0; i < n; i++)
		TRY(vals_take(ex, out, json_integer(p[i]), GT_UINT8));
	return 0;
}

static int eval_wildcard(struct exec *ex, const struct vals *in, struct vals *out)
{
	for (size_t i = 0; i < in->n; i++) {
		json_t *j = in->v[i].j, *e;
		const char *k;
		size_t idx;

		switch (in->v[i].t) {
		case GT_MAP:
			json_object_foreach(j, k, e)
				TRY(vals_take(ex, out, json_incref(e), go_type_of(e)));
			break;
		case GT_SLICE:
			json_array_foreach(j, idx, e)
				TRY(vals_take(ex, out, json_incref(e), go_type_of(e)));
			break;
		case GT_STRING:
			TRY(push_bytes(ex, out, j));
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * client-go's ".." yields every value that has children, parent before
 * children: maps, non-empty lists, and non-empty strings (whose children
 * are their bytes).  Scalars are never yielded themselves.
 */
static int recurse(struct exec *ex, const struct val *v, struct vals *out)
{
	const char *k;
	size_t idx;
	json_t *e;

	switch (v->t) {
	case GT_MAP:
		if (json_object_size(v->j) == 0)
			return 0;
		TRY(vals_add(ex, out, v));
		json_object_foreach(v->j, k, e) {
			struct val c = { e, go_type_of(e) };

			TRY(recurse(ex, &c, out));
		}
		return 0;
	case GT_SLICE:
		if (json_array_size(v->j) == 0)
			return 0;
		TRY(vals_add(ex, out, v));
		json_array_foreach(v->j, idx, e) {
			struct val c = { e, go_type_of(e) };

			TRY(recurse(ex, &c, out));
		}
		return 0;
	case GT_STRING:
		if (json_string_length(v->j) == 0)
			return 0;
		return vals_add(ex, out, v);
	default:
		return 0;
	}
}

static int eval_recursive(struct exec *ex, const struct vals *in, struct vals *out)
{
	for (size_t i = 0; i < in->n; i++)
		TRY(recurse(ex, &in->v[i], out));
	return 0;
}

/* text/template's basicKind classes. */
enum cmp_kind { CK_INVALID, CK_BOOL, CK_INT, CK_UINT, CK_FLOAT, CK_STRING };

static enum cmp_kind cmp_kind_of(enum go_type t)
{
	switch (t) {
	case GT_BOOL: return CK_BOOL;
	case GT_INT64:
	case GT_INT: return CK_INT;
	case GT_UINT8: return CK_UINT;
	case GT_FLOAT64: return CK_FLOAT;
	case GT_STRING: return CK_STRING;
	default: return CK_INVALID;
	}
}

static int str_cmp(json_t *a, json_t *b)
{
	size_t la = json_string_length(a), lb = json_string_length(b);
	int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* text/template's eq: 1 true, 0 false, <0 error already reported. */
static int go_equal(struct exec *ex, const struct val *a, const struct val *b)
{
	enum cmp_kind k1 = cmp_kind_of(a->t), k2;
	json_int_t x, y;

	if (k1 == CK_INVALID)
		return exec_fail(ex, "invalid type for comparison");
	k2 = cmp_kind_of(b->t);
	if (k2 == CK_INVALID)
		return exec_fail(ex, "invalid type for comparison");
	if (k1 != k2) {
		/* Integers compare across signedness, and nothing else does. */
		if ((k1 == CK_INT && k2 == CK_UINT) || (k1 == CK_UINT && k2 == CK_INT))
			return json_integer_value(a->j) == json_integer_value(b->j);
		return exec_fail(ex, "incompatible types for comparison");
	}
	switch (k1) {
	case CK_BOOL:
		return json_is_true(a->j) == json_is_true(b->j);
	case CK_FLOAT:
		return json_real_value(a->j) == json_real_value(b->j);
	case CK_STRING:
		return str_cmp(a->j, b->j) == 0;
	default:
		x = json_integer_value(a->j);
		y = json_integer_value(b->j);
		return x == y;
	}
}

/* text/template's lt. */
static int go_less(struct exec *ex, const struct val *a, const struct val *b)
{
	enum cmp_kind k1 = cmp_kind_of(a->t), k2;

	if (k1 == CK_INVALID)
		return exec_fail(ex, "invalid type for comparison");
	k2 = cmp_kind_of(b->t);
	if (k2 == CK_INVALID)
		return exec_fail(ex, "invalid type for comparison");
	if (k1 != k2) {
		/* uint8 bytes are never negative, so a plain compare is exact. */
		if ((k1 == CK_INT && k2 == CK_UINT) || (k1 == CK_UINT && k2 == CK_INT))
			return json_integer_value(a->j) < json_integer_value(b->j);
		return exec_fail(ex, "incompatible types for comparison");
	}
	switch (k1) {
	case CK_BOOL:
		return exec_fail(ex, "invalid type for comparison");
	case CK_FLOAT:
		return json_real_value(a->j) < json_real_value(b->j);
	case CK_STRING:
		return str_cmp(a->j, b->j) < 0;
	default:
		return json_integer_value(a->j) < json_integer_value(b->j);
	}
}

static int go_compare(struct exec *ex, const char *op, const struct val *a, const struct val *b)
{
	int r;

	if (strcmp(op, "<") == 0)
		return go_less(ex, a, b);
	if (strcmp(op, ">=") == 0) {
		r = go_less(ex, a, b);
		return r < 0 ? r : !r;
	}
	if (strcmp(op, "==") == 0)
		return go_equal(ex, a, b);
	if (strcmp(op, "!=") == 0) {
		r = go_equal(ex, a, b);
		return r < 0 ? r : !r;
	}
	if (strcmp(op, "<=") == 0 || strcmp(op, ">") == 0) {
		r = go_less(ex, a, b);
		if (r == 0)
			r = go_equal(ex, a, b);
		if (r < 0)
			return r;
		return op[0] == '<' ? r : !r;
	}
	return exec_fail(ex, "unrecognized filter operator %s", op);
}

static int eval_filter(struct exec *ex, const struct vals *in, const struct jp_node *node,
		       struct vals *out)
{
	const char *op = node->filter.op;
	bool exists = strcmp(op, "exists") == 0;

	for (size_t i = 0; i < in->n; i++) {
		json_t *arr = in->v[i].j;

		if (in->v[i].t != GT_SLICE) {
			struct pn_buf b = { .limit = 4096 };
			int ret;

			go_print_v(&b, arr, in->v[i].t);
			ret = exec_fail(ex, "%s%s is not array or slice and cannot be filtered",
					b.s ? b.s : "", b.over ? "..." : "");
			free(b.s);
			return fail_with_input(ex, out, in, ret);
		}
		for (size_t k = 0; k < json_array_size(arr); k++) {
			json_t *e = json_array_get(arr, k);
			struct vals temp = { 0 }, lefts = { 0 }, rights = { 0 };
			struct pn_err scratch = { 0 }, *saved = ex->err;
			int ret, pass;

			TRY(vals_take(ex, &temp, json_incref(e), go_type_of(e)));
			if (exists) {
				/*
				 * client-go ignores the error here and keeps the
				 * element when the walk returned anything, which
				 * a failed index does (it returns its input).
				 */
				ex->err = &scratch;
				ret = eval_list(ex, &temp, node->filter.left, &lefts);
				ex->err = saved;
				pn_err_free(&scratch);
				if (ret == -ENOMEM) {
					vals_clear(&temp);
					vals_clear(&lefts);
					return exec_nomem(ex);
				}
				if (lefts.n > 0)
					ret = vals_add(ex, out, &temp.v[0]);
				else
					ret = 0;
				vals_clear(&temp);
				vals_clear(&lefts);
				if (ret < 0)
					return ret;
				continue;
			}
			ret = eval_list(ex, &temp, node->filter.left, &lefts);
			if (ret == 0 && lefts.n > 1)
				ret = exec_fail(ex, "can only compare one element at a time");
			if (ret == 0 && lefts.n == 1) {
				ret = eval_list(ex, &temp, node->filter.right, &rights);
				if (ret == 0 && rights.n > 1)
					ret = exec_fail(ex, "can only compare one element at a time");
			}
			if (ret < 0) {
				vals_clear(&temp);
				vals_clear(&lefts);
				vals_clear(&rights);
				if (ret == -ENOMEM)
					return ret;
				return fail_with_input(ex, out, in, ret);
			}
			if (lefts.n == 0 || rights.n == 0) {
				vals_clear(&temp);
				vals_clear(&lefts);
				vals_clear(&rights);
				continue;
			}
			pass = go_compare(ex, op, &lefts.v[0], &rights.v[0]);
			vals_clear(&lefts);
			vals_clear(&rights);
			if (pass > 0)
				pass = vals_add(ex, out, &temp.v[0]);
			vals_clear(&temp);
			if (pass < 0)
				return pass; /* client-go returns what passed so far */
		}
	}
	return 0;
}

static int eval_union(struct exec *ex, const struct vals *in, const struct jp_node *node,
		      struct vals *out)
{
	for (size_t i = 0; i < node->list.n; i++) {
		struct vals temp = { 0 };
		int ret = eval_list(ex, in, node->list.items[i], &temp);

		if (ret < 0) {
			vals_clear(&temp);
			return ret == -ENOMEM ? ret : fail_with_input(ex, out, in, ret);
		}
		for (size_t k = 0; ret == 0 && k < temp.n; k++)
			ret = vals_add(ex, out, &temp.v[k]);
		vals_clear(&temp);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int eval_ident(struct exec *ex, const struct vals *in, const struct jp_node *node,
		      struct vals *out)
{
	if (strcmp(node->text.s, "range") == 0) {
		ex->begin_range++;
		return vals_copy(ex, out, in);
	}
	if (strcmp(node->text.s, "end") == 0) {
		if (ex->in_range > 0) {
			ex->end_range++;
			return 0;
		}
		return exec_fail(ex, "not in range, nothing to end");
	}
	return fail_with_input(ex, out, in,
			       exec_fail(ex, "unrecognized identifier %s", node->text.s));
}

/* @out is empty on entry; on error it holds what client-go would return. */
static int walk(struct exec *ex, const struct vals *in, const struct jp_node *node, struct vals *out)
{
	size_t i;

	switch (node->kind) {
	case JP_LIST:
		return eval_list(ex, in, node, out);
	case JP_TEXT:
		return vals_take(ex, out, json_stringn_nocheck(node->text.s, node->text.len), GT_STRING);
	case JP_FIELD:
		return eval_field(ex, in, node, out);
	case JP_ARRAY:
		return eval_array(ex, in, node, out);
	case JP_FILTER:
		return eval_filter(ex, in, node, out);
	case JP_INT:
		for (i = 0; i < in->n; i++)
			TRY(vals_take(ex, out, json_integer(node->i), GT_INT));
		return 0;
	case JP_FLOAT:
		for (i = 0; i < in->n; i++)
			TRY(vals_take(ex, out, json_real(node->f), GT_FLOAT64));
		return 0;
	case JP_BOOL:
		for (i = 0; i < in->n; i++)
			TRY(vals_take(ex, out, json_boolean(node->b), GT_BOOL));
		return 0;
	case JP_WILDCARD:
		return eval_wildcard(ex, in, out);
	case JP_RECURSIVE:
		return eval_recursive(ex, in, out);
	case JP_UNION:
		return eval_union(ex, in, node, out);
	case JP_IDENT:
		return eval_ident(ex, in, node, out);
	}
	return exec_fail(ex, "unexpected Node");
}

/* PrintResults: one node's values, space separated; maps and lists as JSON.
 * With outputJSON (jsonpath-as-json) the values become one list, printed
 * by json.MarshalIndent with 4 spaces and a newline. */
static void print_results(struct pn_buf *b, const struct vals *r, bool as_json)
{
	if (as_json) {
		json_t *list = json_array();

		for (size_t i = 0; list && i < r->n; i++)
			if (json_array_append(list, r->v[i].j) < 0)
				b->failed = true;
		if (!list)
			b->failed = true;
		else
			go_json(b, list, 4, 0);
		pn_buf_putc(b, '\n');
		json_decref(list);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct val *v = &r->v[i];

		if (v->t == GT_MAP || v->t == GT_SLICE)
			go_json(b, v->j, 0, 0);
		else
			go_print_v(b, v->j, v->t);
		if (i != r->n - 1)
			pn_buf_putc(b, ' ');
	}
}

/*
 * client-go's FindResults.  {range} sets a counter that makes this loop run
 * the rest of the template once per value; {end} makes that inner run stop
 * and records where, so the outer run resumes after it.  A range over
 * nothing still runs its body once, with no value and its output thrown
 * away, only to find its {end}.  We print as client-go appends, which is
 * the same order; on error the caller discards the whole output.
 */
static int find_results(struct exec *ex, const struct val *data, struct jp_node *const *nodes,
			size_t n, bool discard)
{
	struct vals cur = { 0 };
	int ret;

	ret = vals_add(ex, &cur, data);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct vals results = { 0 };

		ret = walk(ex, &cur, nodes[i], &results);
		if (ret < 0) {
			vals_clear(&results);
			break;
		}
		if (ex->end_range > 0 && ex->end_range <= ex->in_range) {
			ex->end_range--;
			ex->last_end = nodes[i];
			vals_clear(&results);
			break;
		}
		if (ex->begin_range > 0) {
			ex->begin_range--;
			ex->in_range++;
			if (++ex->range_depth > JP_MAX_RANGE_DEPTH) {
				ret = exec_fail(ex, "jsonpath ranges nested too deeply");
			} else if (results.n > 0) {
				for (size_t k = 0; ret == 0 && k < results.n; k++)
					ret = find_results(ex, &results.v[k], nodes + i + 1, n - i - 1,
							   discard);
			} else {
				struct val nil = { json_null(), GT_NIL };

				ret = find_results(ex, &nil, nodes + i + 1, n - i - 1, true);
			}
			ex->range_depth--;
			ex->in_range--;
			vals_clear(&results);
			if (ret < 0)
				break;
			for (size_t k = i + 1; k < n; k++) {
				if (nodes[k] == ex->last_end) {
					i = k;
					break;
				}
			}
			continue;
		}
		if (!discard) {
			print_results(&ex->out, &results, ex->as_json);
			if (ex->out.failed)
				ret = ex->out.over ? exec_fail(ex, "jsonpath output exceeds %u bytes",
							       JP_MAX_OUTPUT)
						   : exec_nomem(ex);
		}
		vals_clear(&results);
	}
	vals_clear(&cur);
	return ret;
}

static int execute(const struct jsonpath *jp, json_t *root, bool allow_missing_keys,
		   bool as_json, char **out, struct pn_err *err)
{
	struct exec ex = { 0 };
	struct val data;
	int ret;

	*out = NULL;
	if (!jp || !root)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "jsonpath: no template or no data");
	ex.allow_missing = allow_missing_keys;
	ex.as_json = as_json;
	ex.budget = JP_MAX_VALUES;
	ex.out.limit = JP_MAX_OUTPUT;
	ex.err = err;
	data.j = root;
	data.t = go_type_of(root);

	ret = find_results(&ex, &data, jp->root->list.items, jp->root->list.n, false);
	if (ret == 0 && ex.exhausted)
		ret = exec_fail(&ex, "jsonpath evaluation exceeds %u values", JP_MAX_VALUES);
	if (ret == 0) {
		pn_buf_add(&ex.out, "", 0); /* an empty result is "", not NULL */
		if (ex.out.failed)
			ret = exec_nomem(&ex);
	}
	if (ret < 0) {
		free(ex.out.s);
		return ret;
	}
	*out = ex.out.s;
	return 0;
}

int jsonpath_execute(const struct jsonpath *jp, json_t *root, bool allow_missing_keys,
		     char **out, struct pn_err *err)
{
	return execute(jp, root, allow_missing_keys, false, out, err);
}

int jsonpath_execute_as_json(const struct jsonpath *jp, json_t *root, bool allow_missing_keys,
			     char **out, struct pn_err *err)
{
	return execute(jp, root, allow_missing_keys, true, out, err);
}
