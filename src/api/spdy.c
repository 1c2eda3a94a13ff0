/* SPDX-License-Identifier: Apache-2.0 */
#include "spdy.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The zlib dictionary of SPDY/3 (section 2.6.10.1): these words, each
 * after its length as 4 big-endian bytes, then the text in dict_tail.
 * zlib checks it: the compressed stream names the dictionary's Adler-32
 * and inflateSetDictionary() refuses any other.
 */
static const char *const dict_words[] = {
	"options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
	"accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
	"cache-control", "connection", "content-base", "content-encoding", "content-language",
	"content-length", "content-location", "content-md5", "content-range", "content-type", "date",
	"etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
	"if-range", "if-unmodified-since", "last-modified", "location", "max-forwards", "pragma",
	"proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after", "server",
	"te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
	"www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
	"public", "set-cookie", "keep-alive", "origin",
};

static const char dict_tail[] =
	"100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
	"203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
	"401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
	"503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
	"Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
	"application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
	"gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

#define DICT_LEN 1423

static unsigned char dict[DICT_LEN];
static size_t dict_len;
static pthread_once_t dict_once = PTHREAD_ONCE_INIT;

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void dict_build(void)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(dict_words) / sizeof(dict_words[0]); i++) {
		size_t l = strlen(dict_words[i]);

		put32(dict + n, (uint32_t)l);
		memcpy(dict + n + 4, dict_words[i], l);
		n += 4 + l;
	}
	memcpy(dict + n, dict_tail, sizeof(dict_tail) - 1);
	dict_len = n + sizeof(dict_tail) - 1;
}

const unsigned char *spdy_dictionary(size_t *len)
{
	pthread_once(&dict_once, dict_build);
	*len = dict_len;
	return dict;
}

void spdy_codec_init(struct spdy_codec *c)
{
	memset(c, 0, sizeof(*c));
}

void spdy_codec_free(struct spdy_codec *c)
{
	if (c->inflate_ready)
		inflateEnd(&c->inflate);
	if (c->deflate_ready)
		deflateEnd(&c->deflate);
	memset(c, 0, sizeof(*c));
}

void spdy_frame_clear(struct spdy_frame *f)
{
	for (size_t i = 0; i < f->n_headers; i++) {
		free(f->headers[i].name);
		free(f->headers[i].value);
	}
	free(f->headers);
	memset(f, 0, sizeof(*f));
}

const char *spdy_header_get(const struct spdy_frame *f, const char *name)
{
	for (size_t i = 0; i < f->n_headers; i++)
		if (!strcmp(f->headers[i].name, name))
			return f->headers[i].value;
	return NULL;
}

/* Inflate one header block into *@out (heap, *@out_len bytes). */
static int inflate_block(struct spdy_codec *c, const uint8_t *in, size_t in_len, uint8_t **out,
			 size_t *out_len, struct pn_err *err)
{
	z_stream *z = &c->inflate;
	size_t cap = 1024, used = 0;
	uint8_t *o = NULL;
	int ret = -ENOMEM;

	if (c->broken)
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				"SPDY: an earlier header block did not inflate");
	if (!c->inflate_ready) {
		if (inflateInit(z) != Z_OK)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "SPDY: cannot start zlib");
		c->inflate_ready = true;
	}
	o = malloc(cap);
	if (!o)
		goto nomem;
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)in_len;
	for (;;) {
		int r;

		if (used == cap) {
			uint8_t *n;

			if (cap >= SPDY_MAX_HEADER_BLOCK) {
				ret = pn_error(err, PN_E_BAD_REQUEST, EMSGSIZE,
					       "SPDY: a header block inflates past %u bytes",
					       SPDY_MAX_HEADER_BLOCK);
				ret = -EMSGSIZE;
				goto broken;
			}
			n = realloc(o, cap * 2);
			if (!n)
				goto nomem;
			o = n;
			cap *= 2;
		}
		z->next_out = o + used;
		z->avail_out = (uInt)(cap - used);
		r = inflate(z, Z_SYNC_FLUSH);
		used = cap - z->avail_out;
		if (r == Z_NEED_DICT) {
			size_t dl;
			const unsigned char *d = spdy_dictionary(&dl);

			if (inflateSetDictionary(z, d, (uInt)dl) != Z_OK) {
				ret = pn_error(err, PN_E_BAD_REQUEST, EPROTO,
					       "SPDY: a header block is not compressed with SPDY/3's "
					       "dictionary");
				goto broken;
			}
			continue;
		}
		if (r == Z_BUF_ERROR && z->avail_in == 0)
			break;
		if (r == Z_BUF_ERROR && z->avail_out == 0)
			continue;
		if (r != Z_OK) {
			/* Z_STREAM_END too: SPDY never ends the stream. */
			ret = pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				       "SPDY: a header block does not inflate: %s",
				       r == Z_STREAM_END ? "the zlib stream ended"
							 : z->msg ? z->msg : "corrupt data");
			goto broken;
		}
		if (z->avail_in == 0 && z->avail_out > 0)
			break;
	}
	*out = o;
	*out_len = used;
	return 0;
nomem:
	ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
broken:
	/* The context is now out of step with the peer's: no later block
	 * can be read. */
	c->broken = true;
	free(o);
	return ret;
}

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* The name/value block of section 2.6.10 once inflated. */
static int parse_headers(const uint8_t *p, size_t len, struct spdy_frame *f, struct pn_err *err)
{
	size_t off = 4, cap = 0;
	uint32_t n;

	if (len < 4)
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO, "SPDY: a header block is truncated");
	n = get32(p);
	/* Each pair takes at least its two lengths. */
	if (n > (len - 4) / 8)
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				"SPDY: a header block claims %u pairs in %zu bytes", n, len);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nl, vl;
		struct spdy_header *h;

		if (len - off < 4 || (nl = get32(p + off)) > len - off - 4)
			goto truncated;
		off += 4;
		if (nl == 0)
			return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
					"SPDY: a header has an empty name");
		for (uint32_t k = 0; k < nl; k++) {
			if (p[off + k] >= 'A' && p[off + k] <= 'Z')
				return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
						"SPDY: header name %.*s is not lower case", (int)nl,
						(const char *)p + off);
			/* A NUL separates the values of one name (section
			 * 2.6.10); in a name it would cut it short. */
			if (p[off + k] == '\0')
				return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
						"SPDY: a header name holds a NUL byte");
		}
		if (len - off - nl < 4 || (vl = get32(p + off + nl)) > len - off - nl - 4)
			goto truncated;
		if (pn_grow(&f->headers, &cap, f->n_headers, sizeof(*f->headers)) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		h = &f->headers[f->n_headers];
		h->name = dup_n(p + off, nl);
		h->value = dup_n(p + off + nl + 4, vl);
		h->value_len = vl;
		f->n_headers++;
		if (!h->name || !h->value)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		off += nl + 4 + vl;
	}
	if (off != len)
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				"SPDY: %zu bytes after the last header", len - off);
	return 0;
truncated:
	return pn_error(err, PN_E_BAD_REQUEST, EPROTO, "SPDY: a header block is truncated");
}

static int read_block(struct spdy_codec *c, const uint8_t *in, size_t in_len,
		      struct spdy_frame *f, struct pn_err *err)
{
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	int ret = inflate_block(c, in, in_len, &plain, &plain_len, err);

	if (ret == 0)
		ret = parse_headers(plain, plain_len, f, err);
	free(plain);
	return ret;
}

static const char *type_name(unsigned type)
{
	static const char *const names[] = { "data",     "SYN_STREAM", "SYN_REPLY",
					     "RST_STREAM", "SETTINGS", "NOOP",
					     "PING",     "GOAWAY",     "HEADERS",
					     "WINDOW_UPDATE" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

ssize_t spdy_parse(struct spdy_codec *c, const uint8_t *buf, size_t len, struct spdy_frame *f,
		   struct pn_err *err)
{
	uint32_t w0, w1, plen;
	const uint8_t *p = buf + SPDY_HEADER_LEN;
	size_t need = 0;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	if (len < SPDY_HEADER_LEN)
		return 0;
	w0 = get32(buf);
	w1 = get32(buf + 4);
	f->flags = (uint8_t)(w1 >> 24);
	plen = w1 & SPDY_MAX_LEN;
	if (len - SPDY_HEADER_LEN < plen)
		return 0;
	if (!(w0 & 0x80000000u)) {
		f->type = SPDY_DATA;
		f->stream_id = w0 & 0x7fffffffu;
		f->data = p;
		f->len = plen;
		if (f->stream_id == 0)
			return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
					"SPDY: a data frame on stream 0");
		return (ssize_t)(SPDY_HEADER_LEN + plen);
	}
	if (((w0 >> 16) & 0x7fff) != SPDY_VERSION)
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				"SPDY: a control frame of version %u, not 3", (w0 >> 16) & 0x7fff);
	f->type = (enum spdy_type)(w0 & 0xffff);
	/* The fixed part of each control frame (section 2.6). */
	switch (f->type) {
	case SPDY_SYN_STREAM:
		need = 10;
		break;
	case SPDY_SYN_REPLY:
	case SPDY_HEADERS:
	case SPDY_SETTINGS:
		need = 4;
		break;
	case SPDY_PING:
		need = 4;
		break;
	case SPDY_RST_STREAM:
	case SPDY_GOAWAY:
	case SPDY_WINDOW_UPDATE:
		need = 8;
		break;
	default:
		/* Section 2.2.1: a receiver ignores control frames it does not know. */
		f->type = SPDY_UNKNOWN;
		return (ssize_t)(SPDY_HEADER_LEN + plen);
	}
	if (plen < need ||
	    ((f->type == SPDY_PING || f->type == SPDY_RST_STREAM || f->type == SPDY_GOAWAY ||
	      f->type == SPDY_WINDOW_UPDATE) &&
	     plen != need))
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
				"SPDY: a %s frame of %u bytes", type_name(f->type), plen);
	switch (f->type) {
	case SPDY_SYN_STREAM:
		f->stream_id = get32(p) & 0x7fffffffu;
		f->assoc_id = get32(p + 4) & 0x7fffffffu;
		f->priority = p[8] >> 5;
		ret = read_block(c, p + 10, plen - 10, f, err);
		break;
	case SPDY_SYN_REPLY:
	case SPDY_HEADERS:
		f->stream_id = get32(p) & 0x7fffffffu;
		ret = read_block(c, p + 4, plen - 4, f, err);
		break;
	case SPDY_SETTINGS:
		f->value = get32(p); /* the number of entries, each 8 bytes */
		if (f->value != (plen - 4) / 8 || (plen - 4) % 8)
			return pn_error(err, PN_E_BAD_REQUEST, EPROTO,
					"SPDY: a SETTINGS frame of %u entries in %u bytes", f->value,
					plen);
		break;
	case SPDY_PING:
		f->value = get32(p);
		break;
	case SPDY_RST_STREAM:
	case SPDY_GOAWAY:
	case SPDY_WINDOW_UPDATE:
		f->stream_id = get32(p) & 0x7fffffffu;
		f->value = get32(p + 4) & (f->type == SPDY_WINDOW_UPDATE ? 0x7fffffffu : 0xffffffffu);
		break;
	default:
		break;
	}
	if (ret < 0) {
		spdy_frame_clear(f);
		return ret;
	}
	if (f->stream_id == 0 && f->type != SPDY_GOAWAY && f->type != SPDY_WINDOW_UPDATE &&
	    f->type != SPDY_SETTINGS && f->type != SPDY_PING) {
		spdy_frame_clear(f);
		return pn_error(err, PN_E_BAD_REQUEST, EPROTO, "SPDY: a %s frame for stream 0",
				type_name(w0 & 0xffff));
	}
	return (ssize_t)(SPDY_HEADER_LEN + plen);
}

static void put_u32(struct pn_buf *out, uint32_t v)
{
	unsigned char b[4];

	put32(b, v);
	pn_buf_add(out, (const char *)b, 4);
}

static void put_control(struct pn_buf *out, enum spdy_type type, uint8_t flags, uint32_t len)
{
	put_u32(out, 0x80000000u | (uint32_t)SPDY_VERSION << 16 | (uint32_t)type);
	put_u32(out, (uint32_t)flags << 24 | (len & SPDY_MAX_LEN));
}

void spdy_put_data(struct pn_buf *out, uint32_t stream_id, uint8_t flags, const void *data,
		   size_t len)
{
	/* The caller splits larger writes; a frame's length has 24 bits. */
	if (len > SPDY_MAX_LEN) {
		out->failed = true;
		return;
	}
	put_u32(out, stream_id & 0x7fffffffu);
	put_u32(out, (uint32_t)flags << 24 | (uint32_t)len);
	if (len)
		pn_buf_add(out, data, len);
}

void spdy_put_rst(struct pn_buf *out, uint32_t stream_id, enum spdy_rst status)
{
	put_control(out, SPDY_RST_STREAM, 0, 8);
	put_u32(out, stream_id & 0x7fffffffu);
	put_u32(out, (uint32_t)status);
}

void spdy_put_ping(struct pn_buf *out, uint32_t id)
{
	put_control(out, SPDY_PING, 0, 4);
	put_u32(out, id);
}

void spdy_put_goaway(struct pn_buf *out, uint32_t last_good, enum spdy_goaway status)
{
	put_control(out, SPDY_GOAWAY, 0, 8);
	put_u32(out, last_good & 0x7fffffffu);
	put_u32(out, (uint32_t)status);
}

void spdy_put_window_update(struct pn_buf *out, uint32_t stream_id, uint32_t delta)
{
	put_control(out, SPDY_WINDOW_UPDATE, 0, 8);
	put_u32(out, stream_id & 0x7fffffffu);
	put_u32(out, delta & 0x7fffffffu);
}

/* Compress the name/value block of @h into @z_out, ended by a sync flush so
 * the peer can inflate it whole (section 2.6.10.1). */
static int deflate_block(struct spdy_codec *c, const struct spdy_header *h, size_t n,
			 struct pn_buf *z_out)
{
	struct pn_buf plain = { 0 };
	z_stream *z = &c->deflate;
	int ret = 0;

	put_u32(&plain, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(h[i].name);

		put_u32(&plain, (uint32_t)nl);
		pn_buf_add(&plain, h[i].name, nl);
		put_u32(&plain, (uint32_t)h[i].value_len);
		pn_buf_add(&plain, h[i].value, h[i].value_len);
	}
	if (plain.failed) {
		ret = -ENOMEM;
		goto out;
	}
	if (!c->deflate_ready) {
		size_t dl;
		const unsigned char *d = spdy_dictionary(&dl);

		if (deflateInit(z, Z_DEFAULT_COMPRESSION) != Z_OK) {
			ret = -ENOMEM;
			goto out;
		}
		c->deflate_ready = true;
		if (deflateSetDictionary(z, d, (uInt)dl) != Z_OK) {
			ret = -EIO;
			goto out;
		}
	}
	z->next_in = (Bytef *)plain.s;
	z->avail_in = (uInt)plain.len;
	do {
		unsigned char chunk[1024];

		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		if (deflate(z, Z_SYNC_FLUSH) == Z_STREAM_ERROR) {
			ret = -EIO;
			goto out;
		}
		pn_buf_add(z_out, (const char *)chunk, sizeof(chunk) - z->avail_out);
	} while (z->avail_out == 0);
	if (z_out->failed)
		ret = -ENOMEM;
out:
	free(plain.s);
	return ret;
}

static int put_with_block(struct spdy_codec *c, struct pn_buf *out, enum spdy_type type,
			  uint32_t stream_id, uint8_t flags, const struct spdy_header *h, size_t n)
{
	struct pn_buf z = { 0 };
	size_t fixed = type == SPDY_SYN_STREAM ? 10 : 4;
	int ret = deflate_block(c, h, n, &z);

	if (ret == 0 && z.len + fixed > SPDY_MAX_LEN)
		ret = -EMSGSIZE;
	if (ret == 0) {
		put_control(out, type, flags, (uint32_t)(z.len + fixed));
		put_u32(out, stream_id & 0x7fffffffu);
		if (type == SPDY_SYN_STREAM) {
			put_u32(out, 0);            /* associated stream */
			pn_buf_add(out, "\0\0", 2); /* priority 0, slot 0 */
		}
		pn_buf_add(out, z.s, z.len);
		if (out->failed)
			ret = -ENOMEM;
	}
	free(z.s);
	return ret;
}

int spdy_put_syn_stream(struct spdy_codec *c, struct pn_buf *out, uint32_t stream_id,
			uint8_t flags, const struct spdy_header *h, size_t n)
{
	return put_with_block(c, out, SPDY_SYN_STREAM, stream_id, flags, h, n);
}

int spdy_put_syn_reply(struct spdy_codec *c, struct pn_buf *out, uint32_t stream_id,
		       uint8_t flags, const struct spdy_header *h, size_t n)
{
	return put_with_block(c, out, SPDY_SYN_REPLY, stream_id, flags, h, n);
}
