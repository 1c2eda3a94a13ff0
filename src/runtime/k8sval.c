/* SPDX-License-Identifier: Apache-2.0 */
#include "k8sval.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The texts of k8s.io/apimachinery/pkg/util/validation, as its RegexError
 * formats them (two spaces before "or" included). */
#define MSG_DNS_LABEL                                                                              \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "   \
	"and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "   \
	"regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define MSG_DNS_SUBDOMAIN                                                                          \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define MSG_QNAME                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "     \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define MSG_LABEL_VALUE                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

void k8s_msgs_add(struct k8s_msgs *m, const char *fmt, ...)
{
	char *s = NULL, **t;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		m->oom = true;
		return;
	}
	t = realloc(m->v, (m->n + 1) * sizeof(*t));
	if (!t) {
		free(s);
		m->oom = true;
		return;
	}
	m->v = t;
	m->v[m->n++] = s;
}

void k8s_msgs_free(struct k8s_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

char *k8s_msgs_join(const struct k8s_msgs *m, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	char *s, *p;

	for (size_t i = 0; i < m->n; i++)
		len += strlen(m->v[i]) + (i ? sl : 0);
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		memcpy(p, m->v[i], strlen(m->v[i]));
		p += strlen(m->v[i]);
	}
	*p = '\0';
	return s;
}

static bool c_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool c_alnum(char c)
{
	return c_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool label_re(const char *s, size_t n)
{
	if (n == 0 || !c_lower_alnum(s[0]) || !c_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!c_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool subdomain_re(const char *s)
{
	for (;;) {
		const char *dot = strchr(s, '.');

		if (!label_re(s, dot ? (size_t)(dot - s) : strlen(s)))
			return false;
		if (!dot)
			return true;
		s = dot + 1;
	}
}

static bool qname_re(const char *s, size_t n)
{
	if (n == 0 || !c_alnum(s[0]) || !c_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!c_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

void k8s_check_dns1123_label(const char *v, struct k8s_msgs *out)
{
	if (strlen(v) > 63)
		k8s_msgs_add(out, "must be no more than 63 characters");
	if (!label_re(v, strlen(v)))
		k8s_msgs_add(out, "%s", MSG_DNS_LABEL);
}

void k8s_check_dns1123_subdomain(const char *v, const char *prefix, struct k8s_msgs *out)
{
	if (strlen(v) > 253)
		k8s_msgs_add(out, "%smust be no more than 253 characters", prefix);
	if (!subdomain_re(v))
		k8s_msgs_add(out, "%s%s", prefix, MSG_DNS_SUBDOMAIN);
}

void k8s_check_qualified_name(const char *v, struct k8s_msgs *out)
{
	const char *slash = strchr(v, '/'), *name = v;

	if (slash && strchr(slash + 1, '/')) {
		k8s_msgs_add(out, "a qualified name " MSG_QNAME
			     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
		return;
	}
	if (slash) {
		name = slash + 1;
		if (slash == v) {
			k8s_msgs_add(out, "prefix part must be non-empty");
		} else {
			char *prefix = strndup(v, (size_t)(slash - v));

			if (!prefix) {
				out->oom = true;
				return;
			}
			k8s_check_dns1123_subdomain(prefix, "prefix part ", out);
			free(prefix);
		}
	}
	if (!*name)
		k8s_msgs_add(out, "name part must be non-empty");
	else if (strlen(name) > 63)
		k8s_msgs_add(out, "name part must be no more than 63 characters");
	if (!qname_re(name, strlen(name)))
		k8s_msgs_add(out, "name part " MSG_QNAME);
}

void k8s_check_label_value(const char *v, struct k8s_msgs *out)
{
	if (strlen(v) > 63)
		k8s_msgs_add(out, "must be no more than 63 characters");
	if (*v && !qname_re(v, strlen(v)))
		k8s_msgs_add(out, "%s", MSG_LABEL_VALUE);
}

/* Length of the UTF-8 sequence at @p (1..4) with its code point, or 0 when
 * it is not valid UTF-8 (Go then prints the byte as \xNN). */
static size_t utf8_len(const unsigned char *p, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2, c = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, c = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

char *k8s_goquote(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n, sz = 0;
	char *out = NULL;
	unsigned cp;
	FILE *f = open_memstream(&out, &sz);

	if (!f)
		return NULL;
	fputc('"', f);
	while (i < len) {
		n = utf8_len(p + i, len - i, &cp);
		if (n == 0) {
			fprintf(f, "\\x%02x", p[i]);
			i++;
			continue;
		}
		switch (cp) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\a': fputs("\\a", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\v': fputs("\\v", f); break;
		default:
			/* strconv.Quote escapes what unicode.IsPrint rejects; of
			 * those only the C0/C1 controls and DEL occur in practice. */
			if (cp < 0x20 || cp == 0x7f)
				fprintf(f, "\\x%02x", cp);
			else if (cp >= 0x80 && cp < 0xa0)
				fprintf(f, "\\u%04x", cp);
			else
				fwrite(s + i, 1, n, f);
		}
		i += n;
	}
	fputc('"', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
