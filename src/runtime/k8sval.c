/* SPDX-License-Identifier: Apache-2.0 */
#include "k8sval.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
#define MSG_DNS1035_LABEL                                                                          \
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "  \
	"an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "   \
	"'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define MSG_ENV_NAME                                                                               \
	"a valid environment variable name must consist of alphabetic characters, digits, '_', "   \
	"'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "   \
	"or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"

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

void k8s_check_dns1035_label(const char *v, struct k8s_msgs *out)
{
	if (strlen(v) > 63)
		k8s_msgs_add(out, "must be no more than 63 characters");
	if (!label_re(v, strlen(v)) || !(v[0] >= 'a' && v[0] <= 'z'))
		k8s_msgs_add(out, "%s", MSG_DNS1035_LABEL);
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

void k8s_check_port_name(const char *v, struct k8s_msgs *out)
{
	size_t n = strlen(v);
	bool charset = n > 0, letter = false;

	for (size_t i = 0; i < n; i++) {
		if (!c_lower_alnum(v[i]) && v[i] != '-')
			charset = false;
		if (v[i] >= 'a' && v[i] <= 'z')
			letter = true;
	}
	if (n > 15)
		k8s_msgs_add(out, "must be no more than 15 characters");
	if (!charset)
		k8s_msgs_add(out, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!letter)
		k8s_msgs_add(out, "must contain at least one letter (a-z)");
	if (strstr(v, "--"))
		k8s_msgs_add(out, "must not contain consecutive hyphens");
	if (n && (v[0] == '-' || v[n - 1] == '-'))
		k8s_msgs_add(out, "must not begin or end with a hyphen");
}

void k8s_check_env_var_name(const char *v, struct k8s_msgs *out)
{
	bool ok = *v && !(v[0] >= '0' && v[0] <= '9');

	for (const char *p = v; *p; p++)
		if (!c_alnum(*p) && *p != '-' && *p != '.' && *p != '_')
			ok = false;
	if (!ok)
		k8s_msgs_add(out, "%s", MSG_ENV_NAME);
	if (strcmp(v, ".") == 0)
		k8s_msgs_add(out, "must not be '.'");
	else if (strcmp(v, "..") == 0)
		k8s_msgs_add(out, "must not be '..'");
	else if (strncmp(v, "..", 2) == 0)
		k8s_msgs_add(out, "must not start with '..'");
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

void k8s_goquote_buf(struct pn_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	unsigned cp;

	pn_buf_putc(b, '"');
	while (i < len) {
		n = utf8_len(p + i, len - i, &cp);
		if (n == 0) {
			pn_buf_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		switch (cp) {
		case '"': pn_buf_puts(b, "\\\""); break;
		case '\\': pn_buf_puts(b, "\\\\"); break;
		case '\a': pn_buf_puts(b, "\\a"); break;
		case '\b': pn_buf_puts(b, "\\b"); break;
		case '\f': pn_buf_puts(b, "\\f"); break;
		case '\n': pn_buf_puts(b, "\\n"); break;
		case '\r': pn_buf_puts(b, "\\r"); break;
		case '\t': pn_buf_puts(b, "\\t"); break;
		case '\v': pn_buf_puts(b, "\\v"); break;
		default:
			/* strconv.Quote escapes what unicode.IsPrint rejects; of
			 * those only the C0/C1 controls and DEL occur in practice. */
			if (cp < 0x20 || cp == 0x7f)
				pn_buf_printf(b, "\\x%02x", cp);
			else if (cp >= 0x80 && cp < 0xa0)
				pn_buf_printf(b, "\\u%04x", cp);
			else
				pn_buf_add(b, s + i, n);
		}
		i += n;
	}
	pn_buf_putc(b, '"');
}

char *k8s_goquote(const char *s)
{
	struct pn_buf b = { 0 };

	k8s_goquote_buf(&b, s);
	return pn_buf_take(&b);
}
