/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one protobuf body podnetd reads.  kubectl's typed clients (create
 * namespace) send application/vnd.kubernetes.protobuf and nothing else;
 * every other request kubectl makes to the resources served here is JSON.
 * So instead of a protobuf library with descriptors generated from
 * Kubernetes' .proto files, this reads the wire format (varints and
 * length-delimited fields, protobuf's encoding spec) for the few fields a
 * Namespace can usefully carry, and skips every other field by its wire
 * type.  Everything is bounds-checked; tests/fuzz/fuzz_apibody.c feeds it
 * arbitrary bytes.
 *
 * The envelope (apimachinery's runtime.Unknown after the 4-byte magic
 * "k8s\0"): 1 typeMeta {1 apiVersion, 2 kind}, 2 raw (the object), 3
 * contentEncoding, 4 contentType.  Namespace: 1 metadata, 2 spec {1
 * finalizers}; ObjectMeta: 1 name, 2 generateName, 11 labels, 12
 * annotations (maps: repeated {1 key, 2 value}).
 */
#include "pbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
	const unsigned char *p, *end;
};

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static int varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -EINVAL;
		*v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return 0;
	}
	return -EINVAL;
}

/* The next field: its number, wire type, and for WT_LEN its bytes. */
static int field(struct rd *r, uint32_t *num, int *wt, struct rd *sub)
{
	uint64_t key, len;

	if (varint(r, &key) < 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return -EINVAL;
	*num = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case WT_VARINT:
		return varint(r, &len);
	case WT_I64:
		if (r->end - r->p < 8)
			return -EINVAL;
		r->p += 8;
		return 0;
	case WT_I32:
		if (r->end - r->p < 4)
			return -EINVAL;
		r->p += 4;
		return 0;
	case WT_LEN:
		if (varint(r, &len) < 0 || len > (uint64_t)(r->end - r->p))
			return -EINVAL;
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
		return 0;
	default:
		/* groups (3, 4) are not used by Kubernetes */
		return -EINVAL;
	}
}

static json_t *str(const struct rd *s)
{
	return json_stringn((const char *)s->p, (size_t)(s->end - s->p));
}

static int meta(struct rd m, json_t *out)
{
	struct rd sub;
	uint32_t num;
	int wt;

	while (m.p < m.end) {
		if (field(&m, &num, &wt, &sub) < 0)
			return -EINVAL;
		if (wt != WT_LEN)
			continue;
		switch (num) {
		case 1:
		case 2:
			/* json_stringn refuses bytes that are not UTF-8, which JSON
			 * cannot carry: the body is malformed for us. */
			if (json_object_set_new(out, num == 1 ? "name" : "generateName", str(&sub)) < 0)
				return -EINVAL;
			break;
		case 11:
		case 12: {
			const char *key = num == 11 ? "labels" : "annotations";
			json_t *map = json_object_get(out, key);
			struct rd k = { NULL, NULL }, v = { NULL, NULL }, f;
			uint32_t n2;
			int w2;

			if (!map) {
				map = json_object();
				json_object_set_new(out, key, map);
			}
			while (sub.p < sub.end) {
				if (field(&sub, &n2, &w2, &f) < 0)
					return -EINVAL;
				if (w2 == WT_LEN && n2 == 1)
					k = f;
				else if (w2 == WT_LEN && n2 == 2)
					v = f;
			}
			if (!k.p || !map)
				return -EINVAL;
			{
				json_t *ks = str(&k), *vs = v.p ? str(&v) : json_string("");

				/* Either is NULL when its bytes are not UTF-8; set_new
				 * takes vs even when it fails.  The key keeps its length
				 * (setn) so a NUL in it reaches validation, not a
				 * truncated name. */
				if (!ks || !vs) {
					json_decref(ks);
					json_decref(vs);
					return -EINVAL;
				}
				if (json_object_setn_new(map, json_string_value(ks), json_string_length(ks),
							 vs) < 0) {
					json_decref(ks);
					return -EINVAL;
				}
				json_decref(ks);
			}
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

int pbuf_namespace_to_json(const char *buf, size_t len, json_t **out, char **msg)
{
	struct rd r = { (const unsigned char *)buf, (const unsigned char *)buf + len }, sub, raw = {
		NULL, NULL };
	json_t *o = NULL, *m = NULL;
	char kind[64] = "", api[64] = "";
	uint32_t num;
	int wt;

	*out = NULL;
	*msg = NULL;
	if (len < 4 || memcmp(buf, "k8s\0", 4)) {
		*msg = strdup("provided data does not appear to be a protobuf message, expected "
			      "prefix [107 56 115 0]");
		return -EINVAL;
	}
	r.p += 4;
	while (r.p < r.end) {
		if (field(&r, &num, &wt, &sub) < 0)
			goto bad;
		if (wt != WT_LEN)
			continue;
		if (num == 1) {
			struct rd t = sub, f;
			uint32_t n2;
			int w2;

			while (t.p < t.end) {
				if (field(&t, &n2, &w2, &f) < 0)
					goto bad;
				if (w2 == WT_LEN && (n2 == 1 || n2 == 2))
					snprintf(n2 == 1 ? api : kind, 64, "%.*s", (int)(f.end - f.p),
						 (const char *)f.p);
			}
		} else if (num == 2) {
			raw = sub;
		}
	}
	if (strcmp(kind, "Namespace") || strcmp(api, "v1")) {
		if (asprintf(msg, "podnetd reads protobuf only for v1 Namespace, not %s %s: send "
			     "application/json", api, kind) < 0)
			*msg = NULL;
		return -EPROTONOSUPPORT;
	}
	o = json_pack("{s:s, s:s}", "apiVersion", "v1", "kind", "Namespace");
	m = json_object();
	if (!o || !m)
		goto oom;
	json_object_set_new(o, "metadata", m);
	while (raw.p && raw.p < raw.end) {
		if (field(&raw, &num, &wt, &sub) < 0)
			goto bad;
		if (wt == WT_LEN && num == 1 && meta(sub, m) < 0)
			goto bad;
	}
	*out = o;
	return 0;
bad:
	json_decref(o);
	*msg = strdup("unable to decode the protobuf body: malformed");
	return -EINVAL;
oom:
	json_decref(o);
	json_decref(m);
	return -ENOMEM;
}
