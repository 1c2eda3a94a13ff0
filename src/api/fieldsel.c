/* SPDX-License-Identifier: Apache-2.0 */
#include "fieldsel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The field labels each kind can be selected by (kube-apiserver's
 * registered conversions for core/v1). */
static const char *const pod_fields[] = {
	"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
	"spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
	"status.podIP", "status.nominatedNodeName", NULL,
};
static const char *const ns_fields[] = { "metadata.name", "status.phase", NULL };
static const char *const node_fields[] = { "metadata.name", "spec.unschedulable", NULL };
static const char *const event_fields[] = {
	"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
	"involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
	"involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
	"reportingComponent", "source", "type", NULL,
};

static const char *const svc_fields[] = { "metadata.name", "metadata.namespace", "spec.clusterIP",
					  "spec.type", NULL };
static const char *const meta_fields[] = { "metadata.name", "metadata.namespace", NULL };
static const char *const slice_fields[] = { "metadata.name", "metadata.namespace", "addressType",
					    NULL };

static const char *const *fields_of(enum api_kind k)
{
	switch (k) {
	case API_PODS: return pod_fields;
	case API_NAMESPACES: return ns_fields;
	case API_NODES: return node_fields;
	case API_EVENTS: return event_fields;
	case API_SERVICES: return svc_fields;
	case API_NETPOLS: return meta_fields;
	case API_ENDPOINTSLICES: return slice_fields;
	default: return NULL;
	}
}

void fieldsel_free(struct fieldsel *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->terms[i].field);
		free(f->terms[i].value);
	}
	free(f->terms);
	free(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Value escapes: "\\", "\,", "\=" and nothing else; a bare "," or "=" in
 * a value is an error. */
static int unescape(const char *s, char **out, char **msg)
{
	char *v = malloc(strlen(s) + 1), *p = v;
	bool slash = false;

	if (!v)
		return -ENOMEM;
	for (; *s; s++) {
		if (slash) {
			if (*s != '\\' && *s != ',' && *s != '=') {
				/* One rune: a UTF-8 sequence prints whole. */
				int n = 1;

				while (((unsigned char)s[n] & 0xc0) == 0x80)
					n++;
				if (asprintf(msg, "invalid field selector: invalid escape sequence: \\%.*s", n,
					     s) < 0)
					*msg = NULL;
				free(v);
				return -EINVAL;
			}
			*p++ = *s;
			slash = false;
			continue;
		}
		if (*s == '\\') {
			slash = true;
		} else if (*s == ',' || *s == '=') {
			/* Go prints the rune with %v: its code point. */
			if (asprintf(msg, "invalid field selector: unescaped character in value: %d", *s) < 0)
				*msg = NULL;
			free(v);
			return -EINVAL;
		} else {
			*p++ = *s;
		}
	}
	if (slash) {
		if (asprintf(msg, "invalid field selector: invalid escape sequence: \\") < 0)
			*msg = NULL;
		free(v);
		return -EINVAL;
	}
	*p = '\0';
	*out = v;
	return 0;
}

int fieldsel_parse(const char *s, enum api_kind kind, struct fieldsel **out, char **msg)
{
	struct fieldsel *f = calloc(1, sizeof(*f));
	char **parts = NULL;
	size_t np = 0, start = 0, len = strlen(s);
	const char *const *known = fields_of(kind);
	bool slash = false;
	int ret = 0;

	*out = NULL;
	*msg = NULL;
	if (!f)
		return -ENOMEM;
	/* Split on unescaped commas. */
	for (size_t i = 0; len && i <= len; i++) {
		if (i < len && slash) {
			slash = false;
			continue;
		}
		if (i < len && s[i] == '\\') {
			slash = true;
			continue;
		}
		if (i == len || s[i] == ',') {
			char **t = realloc(parts, (np + 1) * sizeof(*t));

			if (!t) {
				ret = -ENOMEM;
				goto out;
			}
			parts = t;
			parts[np] = strndup(s + start, i - start);
			if (!parts[np]) {
				ret = -ENOMEM;
				goto out;
			}
			np++;
			start = i + 1;
		}
	}
	/* Kubernetes sorts the terms before reading them (it reports the
	 * first bad one in that order). */
	qsort(parts, np, sizeof(*parts), cmp_str);
	for (size_t i = 0; i < np; i++) {
		const char *part = parts[i], *op = NULL;
		size_t oplen = 0, j;
		struct fieldsel_term *t;
		bool supported = false;

		if (!*part)
			continue;
		for (j = 0; part[j]; j++) {
			if (!strncmp(part + j, "!=", 2) || !strncmp(part + j, "==", 2)) {
				op = part + j;
				oplen = 2;
				break;
			}
			if (part[j] == '=') {
				op = part + j;
				oplen = 1;
				break;
			}
		}
		if (!op) {
			if (asprintf(msg, "invalid selector: '%s'; can't understand '%s'", s, part) < 0)
				*msg = NULL;
			ret = -EINVAL;
			goto out;
		}
		t = realloc(f->terms, (f->n + 1) * sizeof(*t));
		if (!t) {
			ret = -ENOMEM;
			goto out;
		}
		f->terms = t;
		t = &f->terms[f->n];
		memset(t, 0, sizeof(*t));
		t->field = strndup(part, (size_t)(op - part));
		t->not_equal = op[0] == '!';
		if (!t->field) {
			ret = -ENOMEM;
			goto out;
		}
		f->n++;
		ret = unescape(op + oplen, &t->value, msg);
		if (ret < 0)
			goto out;
		for (const char *const *k = known; k && *k; k++)
			supported |= !strcmp(*k, t->field);
		if (!supported) {
			if (asprintf(msg, "field label not supported: %s", t->field) < 0)
				*msg = NULL;
			ret = -EINVAL;
			goto out;
		}
	}
	*out = f;
	f = NULL;
out:
	for (size_t i = 0; i < np; i++)
		free(parts[i]);
	free(parts);
	fieldsel_free(f);
	if (ret == -EINVAL && !*msg)
		ret = -ENOMEM;
	return ret;
}

static const char *path_str(json_t *o, const char *a, const char *b, char *buf, size_t n)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v)) {
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
		return buf;
	}
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* The value of a supported field label on @obj ("" when unset: an absent
 * field selects as the empty string). */
static const char *field_value(enum api_kind kind, json_t *obj, const char *field, char *buf,
			       size_t n)
{
	const char *dot = strchr(field, '.'), *v;
	char head[64];

	if (kind == API_PODS && !strcmp(field, "spec.hostNetwork")) {
		v = path_str(obj, "spec", "hostNetwork", buf, n);
		return v ? v : "false";
	}
	if (kind == API_NODES && !strcmp(field, "spec.unschedulable")) {
		v = path_str(obj, "spec", "unschedulable", buf, n);
		return v ? v : "false";
	}
	if (kind == API_EVENTS && !strcmp(field, "source")) {
		v = path_str(obj, "source", "component", buf, n);
		return v ? v : "";
	}
	if (!dot) {
		v = json_string_value(json_object_get(obj, field));
		return v ? v : "";
	}
	snprintf(head, sizeof(head), "%.*s", (int)(dot - field), field);
	v = path_str(obj, head, dot + 1, buf, n);
	return v ? v : "";
}

bool fieldsel_matches(const struct fieldsel *f, enum api_kind kind, json_t *obj)
{
	for (size_t i = 0; f && i < f->n; i++) {
		char buf[64];
		const char *v = field_value(kind, obj, f->terms[i].field, buf, sizeof(buf));
		bool eq = !strcmp(v, f->terms[i].value);

		if (eq == f->terms[i].not_equal)
			return false;
	}
	return true;
}

const char *fieldsel_equals(const struct fieldsel *f, const char *field)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (!f->terms[i].not_equal && !strcmp(f->terms[i].field, field))
			return f->terms[i].value;
	return NULL;
}
