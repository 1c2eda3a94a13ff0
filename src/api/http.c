/* SPDX-License-Identifier: Apache-2.0 */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

const char *http_query_get(const struct http_req *r, const char *key)
{
	for (size_t i = 0; i < r->n_query; i++)
		if (!strcmp(r->query[i].key, key))
			return r->query[i].value;
	return NULL;
}

const char *http_header_get(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* Let go of the body, whoever's it is. */
static void body_clear(struct http_resp *r)
{
	if (r->body_release)
		r->body_release(r->body_release_ctx);
	else
		free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->body_release = NULL;
	r->body_release_ctx = NULL;
}

int http_resp_set(struct http_resp *r, int status, const char *ctype, const char *body,
		  size_t len)
{
	char *b = malloc(len + 1);

	if (!b)
		return -ENOMEM;
	memcpy(b, body, len);
	b[len] = '\0';
	body_clear(r);
	r->kind = HTTP_RESP_BUFFER;
	r->status = status;
	r->content_type = ctype;
	r->body = b;
	r->body_len = len;
	return 0;
}

int http_resp_json(struct http_resp *r, int status, json_t *j)
{
	char *s;
	size_t n;

	if (!j)
		return -ENOMEM;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	/* kube-apiserver ends every JSON body with a newline (its encoder
	 * is json.Encoder); clients do not care, curl users do. */
	{
		char *t = realloc(s, n + 2);

		if (!t) {
			free(s);
			return -ENOMEM;
		}
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	body_clear(r);
	r->kind = HTTP_RESP_BUFFER;
	r->status = status;
	r->content_type = "application/json";
	r->body = s;
	r->body_len = n;
	return 0;
}

int http_resp_add_header(struct http_resp *r, const char *name, const char *value)
{
	struct http_header *h = realloc(r->headers, (r->n_headers + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	r->headers = h;
	h[r->n_headers].name = strdup(name);
	h[r->n_headers].value = strdup(value);
	if (!h[r->n_headers].name || !h[r->n_headers].value) {
		free(h[r->n_headers].name);
		free(h[r->n_headers].value);
		return -ENOMEM;
	}
	r->n_headers++;
	return 0;
}

void http_resp_shared(struct http_resp *r, int status, const char *ctype, const char *body,
		      size_t len, void (*release)(void *ctx), void *ctx)
{
	body_clear(r);
	r->kind = HTTP_RESP_BUFFER;
	r->status = status;
	r->content_type = ctype;
	r->body = (char *)body;   /* read-only: see body_release */
	r->body_len = len;
	r->body_release = release;
	r->body_release_ctx = ctx;
}

void http_resp_stream(struct http_resp *r, const char *ctype, http_stream_fn fn,
		      http_stream_free_fn fn_free, void *ctx)
{
	r->kind = HTTP_RESP_STREAM;
	r->status = 200;
	r->content_type = ctype;
	r->stream = fn;
	r->stream_free = fn_free;
	r->stream_ctx = ctx;
}

void http_resp_upgrade(struct http_resp *r, http_upgrade_fn fn, http_upgrade_free_fn fn_free,
		       void *ctx)
{
	r->upgrade = fn;
	r->upgrade_free = fn_free;
	r->upgrade_ctx = ctx;
}

void http_resp_free(struct http_resp *r)
{
	if (!r)
		return;
	body_clear(r);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	if (r->kind == HTTP_RESP_STREAM && r->stream_free)
		r->stream_free(r->stream_ctx);
	if (r->kind == HTTP_RESP_UPGRADE && r->upgrade_free && r->upgrade_ctx)
		r->upgrade_free(r->upgrade_ctx);
	memset(r, 0, sizeof(*r));
}

void http_req_free(struct http_req *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_query; i++) {
		free(r->query[i].key);
		free(r->query[i].value);
	}
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->query = NULL;
	r->headers = NULL;
	r->n_query = r->n_headers = 0;
}

bool http_accepts_gzip(const struct http_req *r)
{
	const char *v = http_header_get(r, "Accept-Encoding"), *p;

	/* "gzip", "gzip, deflate", "deflate;q=0.5, gzip;q=1.0" */
	for (p = v; p && *p;) {
		size_t n;
		const char *end;

		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		end = p + n;
		if (n >= 4 && !strncasecmp(p, "gzip", 4) && strchr(" \t;,", p[4] ? p[4] : ',')) {
			const char *q = memchr(p, ';', n);

			if (!q)
				return true;
			q += strspn(q + 1, " \t") + 1;
			/* q=0, q=0.0, q=0.000: refused */
			if (strncasecmp(q, "q=", 2) || strtod(q + 2, NULL) > 0)
				return true;
		}
		p = end;
	}
	return false;
}

int http_gzip(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream zs = { 0 };
	char *buf;
	uLong cap;
	int r;

	/* windowBits 15 + 16: a gzip header and trailer around the deflate
	 * stream (zlib.h, deflateInit2) */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	/* deflateBound() is enough for one Z_FINISH call */
	r = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}
